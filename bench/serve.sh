#!/usr/bin/env bash
# Does `ohfp serve` slow the HostFactory commands down? 16 getRequestStatus commands at once (a process each,
# through the shims, as HostFactory runs them), round after round, alternately without serve and with serve running
# and polled by clients much harder than a dashboard polls it; prints each phase's command times and their ratio
# (bench/serve_bench.py).
#
#   bench/serve.sh          # 20 rounds per phase (ROUNDS=N to change), moto on loopback
#
# Set-up as in bench/commands.sh: moto on a free 127.0.0.1 port behind ohfp-chaos-proxy, an installation in a
# temporary directory, one request of 20 machines that the proxy keeps `pending`, so every getRequestStatus makes a
# DescribeInstances round trip and writes 20 machine rows: the commands write the store while serve reads it.
# The pollers (POLLERS=4 threads, each as fast as serve answers) ask for /api/v1/overview (every listing and
# count), /api/v1/requests and /metrics in turn. Everything started is stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OHFP_BUILD_DIR:-$root/build/default}
ohfp=$build/plugin/src/cli/ohfp
proxy=$build/tools/chaos-proxy/ohfp-chaos-proxy
[ -x "$ohfp" ] && [ -x "$build/plugin/src/cli/ohfp-serve" ] && [ -x "$proxy" ] ||
  { echo "bench/serve.sh: build first (cmake --build --preset default)" >&2; exit 2; }
python3 -c 'import moto.server' 2>/dev/null || { echo "bench/serve.sh: python3 lacks moto" >&2; exit 2; }

# shellcheck source=../scripts/lib/local-aws.sh
source "$root/scripts/lib/local-aws.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/ohfp-bench-serve.XXXXXX")
cleanup() {
  local_aws_stop
  if [ -n "${KEEP:-}" ]; then echo "bench/serve.sh: kept $work" >&2; else rm -rf "$work"; fi
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
   "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"], "nram": ["Numeric", "4096"]}}
]}
JSON
export HF_PROVIDER_CONFDIR=$work/conf HF_PROVIDER_WORKDIR=$work/work HF_PROVIDER_LOGDIR=$work/logs
local_aws_env
export OHFP_BIN=$ohfp
shims=$root/scripts/hostfactory

echo '{"template": {"templateId": "OnDemand-C5", "machineCount": 20}}' >"$work/request.json"
request_id=$("$shims/requestMachines.sh" -f "$work/request.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requestId"])')
echo "{\"requests\": [{\"requestId\": \"$request_id\"}]}" >"$work/status.json"
python3 - "$port" "$proxy_port" "$request_id" <<'PY'
import json, re, sys, urllib.parse, urllib.request
moto, proxy, request_id = sys.argv[1:4]
query = urllib.parse.urlencode({"Action": "DescribeInstances", "Version": "2016-11-15",
                                "Filter.1.Name": "tag:ohfp:request-id", "Filter.1.Value.1": request_id})
ask = urllib.request.Request(f"http://127.0.0.1:{moto}/", data=query.encode(), method="POST", headers={
    "Content-Type": "application/x-www-form-urlencoded",
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, "
                     "SignedHeaders=host, Signature=0"})
body = urllib.request.urlopen(ask).read().decode()
body = re.sub(r"<instanceState>\s*<code>16</code>\s*<name>running</name>\s*</instanceState>",
              "<instanceState><code>0</code><name>pending</name></instanceState>", body)
body = re.sub(r"<launchTime>[^<]*</launchTime>", "<launchTime>2099-01-01T00:00:00.000Z</launchTime>", body)
rules = {"rules": [{"name": "still-pending", "match": {"action": "DescribeInstances"},
                    "fault": {"type": "respond", "status": 200, "body": body}}]}
put = urllib.request.Request(f"http://127.0.0.1:{proxy}/__chaos/rules", data=json.dumps(rules).encode(),
                             method="PUT", headers={"Content-Type": "application/json"})
urllib.request.urlopen(put).read()
PY

python3 "$root/bench/serve_bench.py" --ohfp "$ohfp" --shim "$shims/getRequestStatus.sh" --input "$work/status.json" \
  --work "$work" --rounds "${ROUNDS:-20}" --concurrency 16 --pollers "${POLLERS:-4}"
