#!/usr/bin/env bash
# The throttling storm (issue 14): K HostFactory installations x M processes borrow and return machines against moto
# behind ohfp-chaos-proxy's model of EC2's token buckets; ohfp with and without its rate limiter and a boto3 plugin
# (adaptive, standard) run the same workload; prints a table of throttled responses, requests, time and the
# bucket-limited optimum (bench/throttle_storm.py, which documents the workload and the optimum).
#
#   bench/throttle_storm.sh                           # 3 x 16, two cycles of 2 machines, EC2's buckets x 0.5
#   bench/throttle_storm.sh --quick                   # 2 x 3, under a minute (the ctest throttle_storm_quick)
#   bench/throttle_storm.sh --installations 3 --processes 8 --json report.json
#   bench/throttle_storm.sh --help                    # every option
#
# Builds nothing: expects build/default (OHFP_BUILD_DIR to change) with ohfp and ohfp-chaos-proxy, and python3 with
# moto and boto3 (scripts/install-deps.sh). Everything it starts is stopped, its temporary directory removed
# (--keep to keep it). Exit status 0 when every variant finished the workload.
set -euo pipefail
exec python3 "$(cd "$(dirname "$0")" && pwd)/throttle_storm.py" "$@"
