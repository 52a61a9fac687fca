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

# shellcheck source=lib.sh
source "$root/bench/lib.sh"
bench_start bench/serve.sh
bench_install "$work" <<'JSON'
{"templates": [
  {"templateId": "OnDemand-C5", "maxNumber": 200, "imageId": "ami-12c6146b", "vmType": "c5.large",
   "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"], "nram": ["Numeric", "4096"]}}
]}
JSON
shims=$bench_shims
bench_pending_request "$work" 20

python3 "$root/bench/serve_bench.py" --ohfp "$ohfp" --shim "$shims/getRequestStatus.sh" --input "$work/status.json" \
  --work "$work" --rounds "${ROUNDS:-20}" --concurrency 16 --pollers "${POLLERS:-4}"
