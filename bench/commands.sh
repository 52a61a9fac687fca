#!/usr/bin/env bash
# Times HostFactory commands as HostFactory runs them, one process per call through the shims in
# scripts/hostfactory/, with hyperfine; in the same run it times `python3 -c "import boto3"`, the
# floor of any Python plugin, and prints the ratios (bench/commands_report.py).
#
#   bench/commands.sh              # 40 timed runs of each (RUNS=N to change), moto on loopback
#
# Set-up: moto on a free 127.0.0.1 port with ohfp-chaos-proxy in front, an installation in a
# temporary directory with the seed's configuration, one request of 50 machines launched and polled
# once (a warm store). A complete request is answered from the store without AWS, so to time the
# full path the proxy answers DescribeInstances with moto's own answer for those 50 instances,
# rewritten to say they are still `pending`: every poll makes the round trip, parses 50 instances,
# updates 50 machine rows and keeps the request running. Measured:
#   getRequestStatus       that running request of 50 machines (one DescribeInstances round trip)
#   getAvailableTemplates  two templates that give ncpus and nram (no AWS call)
#   import boto3           python3 -c "import boto3"
# ohfp's own overhead per call is the wall time minus the AWS round-trip time the command logs
# (app.log: duration_ms, aws_ms), paired run by run. Everything started is stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OHFP_BUILD_DIR:-$root/build/default}
ohfp=$build/plugin/src/cli/ohfp
proxy=$build/tools/chaos-proxy/ohfp-chaos-proxy
runs=${RUNS:-40}   # KEEP=1 keeps the temporary directory (logs, database) for a look
[ -x "$ohfp" ] && [ -x "$proxy" ] || { echo "bench/commands.sh: build first (cmake --build --preset default)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench/commands.sh: hyperfine is missing (scripts/install-deps.sh)" >&2; exit 2; }
python3 -c 'import moto.server, boto3' 2>/dev/null || { echo "bench/commands.sh: python3 lacks moto/boto3" >&2; exit 2; }

# shellcheck source=../scripts/lib/local-aws.sh
source "$root/scripts/lib/local-aws.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/ohfp-bench.XXXXXX")
cleanup() {
  local_aws_stop
  if [ -n "${KEEP:-}" ]; then echo "bench/commands.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
local_aws_start "$work" "$proxy" --quiet
port=$LOCAL_AWS_MOTO_PORT
proxy_port=$LOCAL_AWS_PROXY_PORT

mkdir -p "$work/conf" "$work/work" "$work/logs"
cp "$root/config/examples/seed-resilience.json" "$work/conf/config.json"
cat >"$work/conf/awsprov_templates.json" <<'JSON'
{"templates": [
  {"templateId": "OnDemand-C5", "maxNumber": 200, "imageId": "ami-12c6146b", "vmType": "c5.large",
   "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"], "nram": ["Numeric", "4096"]}},
  {"templateId": "OnDemand-M5", "maxNumber": 200, "imageId": "ami-12c6146b", "vmType": "m5.xlarge",
   "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "4"], "nram": ["Numeric", "16384"]}}
]}
JSON
export HF_PROVIDER_CONFDIR=$work/conf HF_PROVIDER_WORKDIR=$work/work HF_PROVIDER_LOGDIR=$work/logs
local_aws_env
export OHFP_BIN=$ohfp
shims=$root/scripts/hostfactory

echo '{"template": {"templateId": "OnDemand-C5", "machineCount": 50}}' >"$work/request.json"
request_id=$("$shims/requestMachines.sh" -f "$work/request.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requestId"])')
echo "{\"requests\": [{\"requestId\": \"$request_id\"}]}" >"$work/status.json"
echo '{}' >"$work/empty.json"
python3 - "$port" "$proxy_port" "$request_id" <<'PY'
import json, re, sys, urllib.parse, urllib.request
moto, proxy, request_id = sys.argv[1:4]
query = urllib.parse.urlencode({"Action": "DescribeInstances", "Version": "2016-11-15",
                                "Filter.1.Name": "tag:ohfp:request-id", "Filter.1.Value.1": request_id})
# moto routes an unsigned request by the credential scope of its Authorization header.
ask = urllib.request.Request(f"http://127.0.0.1:{moto}/", data=query.encode(), method="POST", headers={
    "Content-Type": "application/x-www-form-urlencoded",
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, "
                     "SignedHeaders=host, Signature=0"})
body = urllib.request.urlopen(ask).read().decode()
assert body.count("<instanceId>") == 50, "moto should hold the 50 instances"
body = re.sub(r"<instanceState>\s*<code>16</code>\s*<name>running</name>\s*</instanceState>",
              "<instanceState><code>0</code><name>pending</name></instanceState>", body)
body = re.sub(r"<launchTime>[^<]*</launchTime>", "<launchTime>2099-01-01T00:00:00.000Z</launchTime>", body)
rules = {"rules": [{"name": "still-pending", "match": {"action": "DescribeInstances"},
                    "fault": {"type": "respond", "status": 200, "body": body}}]}
put = urllib.request.Request(f"http://127.0.0.1:{proxy}/__chaos/rules", data=json.dumps(rules).encode(),
                             method="PUT", headers={"Content-Type": "application/json"})
urllib.request.urlopen(put).read()
PY
"$shims/getRequestStatus.sh" -f "$work/status.json" |
  python3 -c 'import json, sys; r = json.load(sys.stdin)["requests"][0]; sys.exit(r["status"] != "running" or len(r["machines"]) != 50)' ||
  { echo "bench/commands.sh: the request should be running with 50 machines" >&2; exit 1; }

hyperfine --style basic --warmup 5 --runs "$runs" --export-json "$work/hyperfine.json" \
  -n getRequestStatus "$shims/getRequestStatus.sh -f $work/status.json" \
  -n getAvailableTemplates "$shims/getAvailableTemplates.sh -f $work/empty.json" \
  -n "import boto3" "python3 -c 'import boto3'" >&2

python3 "$root/bench/commands_report.py" "$work/hyperfine.json" "$work/logs/app.log" "$runs"
