#!/usr/bin/env bash
# The main job: installs what is missing, builds ohfp, then plays one whole HostFactory cycle through the
# shell shims (scripts/hostfactory/*.sh, a new process per command, as HostFactory runs them) against moto,
# a local AWS emulator, behind ohfp-chaos-proxy, which throttles one AWS call in five and cuts AWS off
# completely for 20 seconds. ohfp runs on its embedded defaults: no config.json, only the two templates in
# config/demo/awsprov_templates.json and the environment HostFactory would give it.
#
# The cycle (ohfp-hf-simulator cycle): list templates, request machines on two templates, poll until both
# requests are complete, return every machine, poll until the returns are complete; every answer is
# checked against the HostFactory contract. Then a summary: requests, machines, retries, circuit breaker
# transitions, faults injected, elapsed time, and where the logs and metrics are. About a minute.
#
#   scripts/demo.sh                 the demo
#   KEEP=1 scripts/demo.sh          keep the work directory (logs, state database, metrics) afterwards
#   OUTAGE_AT=S OUTAGE_FOR=S THROTTLE=P THROTTLE_FOR=S scripts/demo.sh
#                                   move or resize the faults (defaults 2, 20, 0.2, 40). The throttling stops
#                                   at 40 s so that the breaker's probe after its 60 s reset timeout is not
#                                   throttled again: the demo then takes a minute and a bit, not two.
#
# Everything it starts (moto, the proxy) is stopped when it ends, also on Ctrl-C. Idempotent; the build is
# fast when nothing changed. The offline resilience comparison (seed vs recommended configuration) that
# earlier versions of this script ran is `ohfp resilience compare`, see README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=lib/local-aws.sh
source scripts/lib/local-aws.sh

scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target ohfp ohfp-chaos-proxy ohfp-hf-simulator \
  -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

build=$root/build/default
ohfp=$build/plugin/src/cli/ohfp
simulator=$build/tools/hf-simulator/ohfp-hf-simulator
proxy=$build/tools/chaos-proxy/ohfp-chaos-proxy
outage_at=${OUTAGE_AT:-2}
outage_for=${OUTAGE_FOR:-20}
throttle=${THROTTLE:-0.2}
throttle_for=${THROTTLE_FOR:-40}

work=$(mktemp -d "${TMPDIR:-/tmp}/ohfp-demo.XXXXXX")
finish() {
  local_aws_stop
  if [ -n "${KEEP:-}" ]; then echo "(kept $work)"; else rm -rf "$work"; fi
}
trap finish EXIT
trap 'exit 130' INT TERM

# The faults: every AWS service the plugin calls, from the proxy's start.
cat >"$work/chaos.json" <<JSON
{"rules": [
  {"name": "outage", "match": {"service": "any"}, "from": $outage_at, "duration": $outage_for,
   "fault": {"type": "error", "status": 503, "code": "ServiceUnavailable",
             "message": "the demo's ${outage_for}-second outage"}},
  {"name": "throttling", "match": {"service": "any"}, "probability": $throttle, "duration": $throttle_for,
   "fault": {"type": "throttle"}}
]}
JSON
local_aws_start "$work" "$proxy" --config "$work/chaos.json" --seed 2026
local_aws_env

mkdir -p "$work/conf" "$work/work" "$work/logs"
cp config/demo/awsprov_templates.json "$work/conf/"
export HF_PROVIDER_CONFDIR=$work/conf HF_PROVIDER_WORKDIR=$work/work HF_PROVIDER_LOGDIR=$work/logs
export OHFP_BIN=$ohfp

cat <<TXT
ohfp demo: one HostFactory cycle through the shims, against moto (127.0.0.1:$LOCAL_AWS_MOTO_PORT) behind
ohfp-chaos-proxy (127.0.0.1:$LOCAL_AWS_PROXY_PORT): $(python3 -c "print(round($throttle * 100))") % of AWS calls throttled for ${throttle_for} s, and every call fails with
503 ServiceUnavailable from t=${outage_at} s to t=$((outage_at + outage_for)) s. ohfp runs on its embedded defaults.

TXT

started=$(date +%s.%N)
set +e
"$simulator" cycle --template OnDemand-RunInstances:3 --template Spot-SpotFleet:3 \
  --poll-interval 2 --timeout 240 --return-fraction 1 --json >"$work/cycle.json" 2>"$work/cycle.err"
cycle_exit=$?
set -e
elapsed=$(python3 -c "import time; print(f'{time.time() - $started:.0f}')")
curl -sf "$LOCAL_AWS_ENDPOINT/__chaos/stats" >"$work/chaos-stats.json" || echo '{}' >"$work/chaos-stats.json"
"$ohfp" metrics --format json >"$work/metrics.json" 2>/dev/null || echo '{}' >"$work/metrics.json"

python3 scripts/lib/demo_summary.py "$work/cycle.json" "$work/metrics.json" "$work/chaos-stats.json" \
  "$work/logs/app.log" "$elapsed"
[ -s "$work/cycle.err" ] && { echo; echo "simulator stderr:"; sed 's/^/  /' "$work/cycle.err"; }

cat <<TXT

Where things are$( [ -z "${KEEP:-}" ] && echo " (deleted on exit; KEEP=1 keeps them)"):
  logs      $work/logs/app.log   (JSON lines; e.g. grep '"circuit' or '"retry')
  metrics   $work/work/ohfp-metrics.prom (Prometheus textfile); or: $ohfp metrics
  state     $work/work/ohfp-state.db (SQLite: requests, machines, attempts, breakers)
  cycle     $work/cycle.json (every request and command timing, as the simulator saw them)
TXT
exit "$cycle_exit"
