#!/usr/bin/env bash
# The main job, on the embedded defaults: installs what is missing, builds ohfp, and replays an outage — a burst of
# 50 provisioning calls while EC2 throttles for 90 seconds — against the seed's example configuration and against
# ohfp's recommended one, side by side.
#
# Idempotent and fast when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target ohfp -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

ohfp=build/default/plugin/src/cli/ohfp
scenario=config/scenarios/throttle-storm

cat <<TXT
ohfp resilience demo: 50 RunInstances calls at t=0 while EC2 answers RequestLimitExceeded for 90 s.
Each configuration is replayed on virtual time through the same pipeline the plugin uses.

TXT
"$ohfp" resilience compare \
  --config config/examples/seed-resilience.json --label "seed example" \
  --config config/recommended-resilience.json --label "recommended" \
  --trace "$scenario.trace.jsonl" --faults "$scenario.faults.json" --seed 1
cat <<TXT

Why they differ: the seed's breaker opens after 3 throttles and its rejections are never retried, so every call
fails within seconds. The recommended configuration lets calls wait for the circuit (one probe at a time, full
jitter, a retry budget) and all of them succeed once the throttling stops.

Replay it event by event:
  $ohfp resilience simulate --config config/recommended-resilience.json \\
      --trace $scenario.trace.jsonl --faults $scenario.faults.json
TXT
