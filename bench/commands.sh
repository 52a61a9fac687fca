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

# shellcheck source=lib.sh
source "$root/bench/lib.sh"
bench_start bench/commands.sh
bench_install "$work" <<'JSON'
{"templates": [
  {"templateId": "OnDemand-C5", "maxNumber": 200, "imageId": "ami-12c6146b", "vmType": "c5.large",
   "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"], "nram": ["Numeric", "4096"]}},
  {"templateId": "OnDemand-M5", "maxNumber": 200, "imageId": "ami-12c6146b", "vmType": "m5.xlarge",
   "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "4"], "nram": ["Numeric", "16384"]}}
]}
JSON
shims=$bench_shims
bench_pending_request "$work" 50
echo '{}' >"$work/empty.json"
"$shims/getRequestStatus.sh" -f "$work/status.json" |
  python3 -c 'import json, sys; r = json.load(sys.stdin)["requests"][0]; sys.exit(r["status"] != "running" or len(r["machines"]) != 50)' ||
  { echo "bench/commands.sh: the request should be running with 50 machines" >&2; exit 1; }

hyperfine --style basic --warmup 5 --runs "$runs" --export-json "$work/hyperfine.json" \
  -n getRequestStatus "$shims/getRequestStatus.sh -f $work/status.json" \
  -n getAvailableTemplates "$shims/getAvailableTemplates.sh -f $work/empty.json" \
  -n "import boto3" "python3 -c 'import boto3'" >&2

python3 "$root/bench/commands_report.py" "$work/hyperfine.json" "$work/logs/app.log" "$runs"
