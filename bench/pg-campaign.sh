#!/usr/bin/env bash
# The shared-store campaign in full (tests/e2e/campaign_test.cc; CI runs it short): hosts of
# concurrent HostFactory processes requesting, polling and returning machines against one
# PostgreSQL store and one moto, on a template whose maxNumber is far below their demand,
#  1. with the database restarted (fast shutdown, then start) half-way, and
#  2. with commands killed (-9) at random moments, a quarter of them;
# then prints what happened. Every run checks: maxNumber never exceeded (the store's held count,
# sampled every 100 ms), the store and moto agree afterwards (nothing live, every request
# finished), no request above its count, one reservation per ClientToken, no request HostFactory
# learned of lost.
#
#   bench/pg-campaign.sh        # HOSTS=3 PROCESSES=8 CYCLES=5 KILL_PROCESSES=8 KILL_CYCLES=5 SEED=20261301
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OHFP_BUILD_DIR:-$root/build/default}
bin=$build/tests/e2e/ohfp_e2e_shared_store_tests
[ -x "$bin" ] || { echo "bench/pg-campaign.sh: build first (cmake --build --preset default --target ohfp_e2e_shared_store_tests ohfp ohfp-chaos-proxy)" >&2; exit 2; }
report=$(mktemp "${TMPDIR:-/tmp}/ohfp-campaign.XXXXXX")
trap 'rm -f "$report"' EXIT
status=0
OHFP_CAMPAIGN_HOSTS=${HOSTS:-3} OHFP_CAMPAIGN_PROCESSES=${PROCESSES:-8} OHFP_CAMPAIGN_CYCLES=${CYCLES:-5} \
  OHFP_CAMPAIGN_KILL_PROCESSES=${KILL_PROCESSES:-8} OHFP_CAMPAIGN_KILL_CYCLES=${KILL_CYCLES:-5} \
  OHFP_CAMPAIGN_SEED=${SEED:-20261301} OHFP_CAMPAIGN_REPORT=$report \
  "$bin" --gtest_filter='CampaignTest.*' >&2 || status=$?
python3 - "$report" <<'PY'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
names = ["database restarted half-way", "kill -9 (p = 0.25 per command)"]
keys = ["hosts", "processes_per_host", "cycles_per_process", "cycles_done", "acquire_requests", "return_requests",
        "instances_launched", "commands", "failed", "killed", "refused_for_capacity", "max_held", "max_number",
        "restart_ms", "seconds"]
print("| | " + " | ".join(names[:len(runs)]) + " |")
print("|---|" + "---|" * len(runs))
for k in keys:
    print(f"| {k} | " + " | ".join(str(round(r[k], 1) if isinstance(r[k], float) else r[k]) for r in runs) + " |")
PY
exit $status
