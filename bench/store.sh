#!/usr/bin/env bash
# Times the HostFactory commands on both stores, with and without history, in interleaved rounds, and
# prints each command's own time (wall time minus the AWS round trips the command logs) with the
# ratios (bench/store_report.py): PostgreSQL over loopback against SQLite, and a store holding
# 100,000 finished requests and 1,000,000 machine rows against an empty one (target: at most 1.2x).
#
#   bench/store.sh                 # RUNS=20 rounds: each command on each of the four stores once per round
#
# Set-up: moto on a free 127.0.0.1 port, a PostgreSQL server of the script's own
# (scripts/lib/local-postgres.sh; durable: fsync on), and four installations, each with its own
# ohfp-chaos-proxy: sqlite, sqlite+history, postgres, postgres+history (each PostgreSQL one in a
# schema of its own). Each launches one request of 50 machines; its proxy then answers
# DescribeInstances with those 50 instances rewritten to `pending` (bench/hold_pending.py), so
# that every getRequestStatus makes the full round trip; one poll saves the 50 machines. The history (SQL straight into
# the store): 50,000 finished acquire requests of the timed template with 20 machines each, all
# terminated, and 50,000 finished return requests that gave them back (1,000,000 return rows), all
# younger than the 30-day retention; PostgreSQL is ANALYZEd after the load (autovacuum would do it
# on a store that grows by itself), SQLite is left as ohfp leaves it. Timed, through the shims, with
# bench/interleaved.py (every round runs all 20 command × store pairs once, in a rotated order, so that
# a load that drifts during the run weighs on the four stores alike; hyperfine would time one after the
# other) and `env` setting each installation's environment:
#   getAvailableTemplates  requestMachines (1 machine, RunInstances)  getRequestStatus (the 50)
#   requestReturnMachines (one machine id the cloud does not show: a lookup and a return request
#   saved, nothing to terminate)  getReturnRequests (the 50)
# Everything started is stopped on exit; KEEP=1 keeps the directory (logs, databases).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OHFP_BUILD_DIR:-$root/build/default}
ohfp=$build/plugin/src/cli/ohfp
proxy=$build/tools/chaos-proxy/ohfp-chaos-proxy
runs=${RUNS:-20}
[ -x "$ohfp" ] && [ -x "$proxy" ] || { echo "bench/store.sh: build first (cmake --build --preset default)" >&2; exit 2; }

# shellcheck source=../scripts/lib/local-aws.sh
source "$root/scripts/lib/local-aws.sh"
# shellcheck source=../scripts/lib/local-postgres.sh
source "$root/scripts/lib/local-postgres.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/ohfp-bench-store.XXXXXX")
proxies=()
cleanup() {
  local pid
  for pid in "${proxies[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  local_aws_stop
  local_pg_stop
  if [ -n "${KEEP:-}" ]; then echo "bench/store.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
local_aws_start "$work" "$proxy" --quiet
local_pg_start "$work"
moto=$LOCAL_AWS_MOTO_PORT
local_aws_env
export OHFP_BIN=$ohfp
shims=$root/scripts/hostfactory

# A proxy of its own in front of moto, for one installation's DescribeInstances rule; sets PROXY_PORT.
start_proxy() {
  local name=$1
  rm -f "$work/$name.port"
  "$proxy" --upstream "http://127.0.0.1:$moto" --listen 127.0.0.1:0 --port-file "$work/$name.port" --quiet \
    >"$work/$name.proxy.log" 2>&1 &
  proxies+=($!)
  for _ in $(seq 100); do [ -s "$work/$name.port" ] && break; sleep 0.05; done
  PROXY_PORT=$(cat "$work/$name.port")
}

# Installs `name` (store "sqlite" or "postgres"), launches and polls its 50 machines, keeps them
# pending through its proxy.
install() {
  local name=$1 store=$2 port dir=$work/$1
  start_proxy "$name"
  port=$PROXY_PORT
  mkdir -p "$dir/conf" "$dir/work" "$dir/logs"
  python3 - "$root/config/examples/seed-resilience.json" "$dir/conf/config.json" "$store" \
    "$LOCAL_PG_URL" "$name" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
if sys.argv[3] == "postgres":
    config["store"] = {"url": sys.argv[4], "schema": sys.argv[5].replace("+", "_").replace("-", "_")}
json.dump(config, open(sys.argv[2], "w"))
PY
  cat >"$dir/conf/awsprov_templates.json" <<'JSON'
{"templates": [
  {"templateId": "OnDemand-C5", "maxNumber": 1000, "imageId": "ami-12c6146b", "vmType": "c5.large",
   "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "2"], "nram": ["Numeric", "4096"]}},
  {"templateId": "OnDemand-M5", "maxNumber": 200, "imageId": "ami-12c6146b", "vmType": "m5.xlarge",
   "attributes": {"type": ["String", "X86_64"], "ncpus": ["Numeric", "4"], "nram": ["Numeric", "16384"]}}
]}
JSON
  printf 'HF_PROVIDER_CONFDIR=%s HF_PROVIDER_WORKDIR=%s HF_PROVIDER_LOGDIR=%s AWS_ENDPOINT_URL=http://127.0.0.1:%s' \
    "$dir/conf" "$dir/work" "$dir/logs" "$port" >"$dir/env"
  echo '{"template": {"templateId": "OnDemand-C5", "machineCount": 50}}' >"$dir/request50.json"
  echo '{"template": {"templateId": "OnDemand-C5", "machineCount": 1}}' >"$dir/request1.json"
  echo '{"machines": [{"name": "ip-10-9-9-9.ec2.internal", "machineId": "i-0000000000bench00"}]}' >"$dir/return.json"
  echo '{}' >"$dir/empty.json"
  local id
  # shellcheck disable=SC2046
  id=$(env $(cat "$dir/env") "$shims/requestMachines.sh" -f "$dir/request50.json" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["requestId"])')
  echo "{\"requests\": [{\"requestId\": \"$id\"}]}" >"$dir/status.json"
  python3 "$root/bench/hold_pending.py" --moto "$moto" --proxy "$port" --request-id "$id" --expect 50
  # shellcheck disable=SC2046
  env $(cat "$dir/env") "$shims/getRequestStatus.sh" -f "$dir/status.json" | python3 -c '
import json, sys
r = json.load(sys.stdin)["requests"][0]
assert r["status"] == "running" and len(r["machines"]) == 50, "the request should be running with 50 machines"
json.dump({"machines": [{"name": m["name"], "machineId": m["machineId"]} for m in r["machines"]]},
          open(sys.argv[1], "w"))' "$dir/held.json"
}

# The history, written straight into a store: `sql` runs it with the SQL on stdin.
history_sql() {
  local now=$1 series=$2  # series: SQLite's recursive CTE or PostgreSQL's generate_series
  cat <<SQL
INSERT INTO requests (id, kind, template_id, machine_count, provider_api, state, message, created_at,
  updated_at, polled_at, owner_pid, owner_start, resource_id, launch_template_id, abandoned, cleaned_up_at, owner_host)
  SELECT 'req-hist-' || i, 'acquire', 'OnDemand-C5', 20, 'RunInstances', 'complete', '', $now - i * 50000,
    $now - i * 50000 + 1000, $now - i * 50000, 1, 'b/1', '', '', 0, $now - i * 50000 + 2000, 'old-host'
  FROM $(printf "$series" 1 50000);
INSERT INTO requests (id, kind, template_id, machine_count, provider_api, state, message, created_at,
  updated_at, polled_at, owner_pid, owner_start, resource_id, launch_template_id, abandoned, cleaned_up_at, owner_host)
  SELECT 'ret-hist-' || i, 'return', '', 20, '', 'complete', '', $now - i * 50000 + 3000,
    $now - i * 50000 + 4000, $now - i * 50000 + 3000, 1, 'b/1', '', '', 0, NULL, 'old-host'
  FROM $(printf "$series" 1 50000);
INSERT INTO attempts (request_id, number, client_token, state, error, created_at, updated_at)
  SELECT 'req-hist-' || i, 1, 'req-hist-' || i || '-1', 'succeeded', '', $now - i * 50000, $now - i * 50000
  FROM $(printf "$series" 1 50000);
INSERT INTO machines (instance_id, request_id, template_id, name, private_ip, public_ip, state, result, message,
  lifecycle, spot_request_id, launch_time, created_at, updated_at)
  SELECT 'i-hist' || i, 'req-hist-' || (i / 20 + 1), 'OnDemand-C5', 'ip-10-1-' || i, '10.1.0.1', '', 'terminated',
    'succeed', '', '', '', 1700000000, $now - (i / 20 + 1) * 50000, $now - (i / 20 + 1) * 50000 + 4000
  FROM $(printf "$series" 0 999999);
INSERT INTO return_machines (return_id, instance_id, name, acquire_request_id, state, result, message, updated_at)
  SELECT 'ret-hist-' || (i / 20 + 1), 'i-hist' || i, 'ip-10-1-' || i, 'req-hist-' || (i / 20 + 1), 'terminated',
    'succeed', '', $now - (i / 20 + 1) * 50000 + 4000
  FROM $(printf "$series" 0 999999);
SQL
}

install sqlite sqlite
install sqlite+history sqlite
install postgres postgres
install postgres+history postgres
now=$(python3 -c 'import time; print(int(time.time() * 1000))')
echo "bench/store.sh: writing the history (100,000 requests, 1,000,000 machines) into both stores" >&2
history_sql "$now" "(WITH RECURSIVE n(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM n WHERE i < %s) SELECT i FROM n)" |
  sqlite3 "$work/sqlite+history/work/ohfp-state.db"
{ echo "SET search_path TO postgres_history;"
  history_sql "$now" "generate_series(%s::bigint, %s) AS i"
  echo "ANALYZE;"; } | psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$LOCAL_PG_PORT" -U ohfp -d ohfp >/dev/null

args=()
for name in sqlite sqlite+history postgres postgres+history; do
  dir=$work/$name
  e="env $(cat "$dir/env")"
  args+=(-n "$name getAvailableTemplates" "$e $shims/getAvailableTemplates.sh -f $dir/empty.json")
  args+=(-n "$name requestMachines" "$e $shims/requestMachines.sh -f $dir/request1.json")
  args+=(-n "$name getRequestStatus" "$e $shims/getRequestStatus.sh -f $dir/status.json")
  args+=(-n "$name requestReturnMachines" "$e $shims/requestReturnMachines.sh -f $dir/return.json")
  args+=(-n "$name getReturnRequests" "$e $shims/getReturnRequests.sh -f $dir/held.json")
done
python3 "$root/bench/interleaved.py" --warmup 3 --runs "$runs" --export-json "$work/times.json" "${args[@]}"
python3 "$root/bench/store_report.py" "$work/times.json" "$work" "$runs"
