#!/usr/bin/env bash
# Two costs docs/operations.md states for the PostgreSQL store, measured here (figures in docs/benchmarks.md):
#
#  1. What a commit that waits for the disk costs against one that does not. ohfp's sessions commit with
#     synchronous_commit off, except the writes that must be on disk before AWS is called (store/pg_pool.h). pgbench
#     runs the same one-row UPDATE transaction (a machine's state, as getRequestStatus writes it) against a server of
#     the script's own (scripts/lib/local-postgres.sh, fsync on), with synchronous_commit on and off in alternating
#     rounds; the report is the median latency of each and their ratio.
#  2. What loading libpq would cost a command on the SQLite default. ohfp is not linked with libpq; it loads it
#     (dlopen) only when store.url is set. hyperfine times `ohfp --version` (a process start and nothing else) plain
#     and with libpq preloaded (LD_PRELOAD), as a link would load it.
#
#   bench/pg-costs.sh             # ROUNDS=5 rounds of SECONDS_PER_RUN=5 s of pgbench each way; RUNS=200 starts each
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OHFP_BUILD_DIR:-$root/build/default}
ohfp=$build/plugin/src/cli/ohfp
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_RUN:-5}
runs=${RUNS:-200}
[ -x "$ohfp" ] || { echo "bench/pg-costs.sh: build first (cmake --build --preset default --target ohfp)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench/pg-costs.sh: hyperfine is missing (scripts/install-deps.sh)" >&2; exit 2; }
libpq=$(ldconfig -p | awk '/libpq\.so\.5 / {print $NF; exit}')
[ -n "$libpq" ] || { echo "bench/pg-costs.sh: libpq.so.5 is missing (scripts/install-deps.sh)" >&2; exit 2; }

# shellcheck source=../scripts/lib/local-postgres.sh
source "$root/scripts/lib/local-postgres.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/ohfp-bench-pg-costs.XXXXXX")
cleanup() { local_pg_stop; rm -rf "$work"; }
trap cleanup EXIT
local_pg_start "$work"
pgbench=$LOCAL_PG_BIN/pgbench

local_pg_sql "CREATE TABLE machines (instance_id TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at BIGINT NOT NULL);
  INSERT INTO machines SELECT 'i-' || i, 'pending', 0 FROM generate_series(1, 1000) AS i;" >/dev/null
cat >"$work/update.sql" <<'SQL'
\set n random(1, 1000)
BEGIN;
UPDATE machines SET state = 'running', updated_at = updated_at + 1 WHERE instance_id = 'i-' || :n;
COMMIT;
SQL

# Median per-transaction latency (ms) of one pgbench run with synchronous_commit $1.
commit_latency() {
  PGOPTIONS="-c synchronous_commit=$1" "$pgbench" -n -h 127.0.0.1 -p "$LOCAL_PG_PORT" -U ohfp -c 1 -T "$seconds" \
    -f "$work/update.sql" ohfp 2>/dev/null | awk '/latency average/ {print $4}'
}
echo "bench/pg-costs.sh: $rounds rounds of $seconds s each way (synchronous_commit on, off)" >&2
on=() off=()
for ((r = 0; r < rounds; r++)); do
  on+=("$(commit_latency on)")
  off+=("$(commit_latency off)")
done

echo "bench/pg-costs.sh: ohfp --version, $runs starts each way" >&2
hyperfine -N --style basic --warmup 10 --runs "$runs" --export-json "$work/start.json" \
  -n "ohfp --version" "$ohfp --version" \
  -n "ohfp --version, libpq preloaded" "env LD_PRELOAD=$libpq $ohfp --version" >&2

python3 - "$work/start.json" "${on[*]}" "${off[*]}" <<'PY'
import json, statistics, sys
start = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
on = [float(x) for x in sys.argv[2].split()]
off = [float(x) for x in sys.argv[3].split()]
m_on, m_off = statistics.median(on), statistics.median(off)
print("commit of a one-row UPDATE, median of the rounds' average latency:")
print(f"  synchronous_commit on   {m_on:7.3f} ms   (rounds: {', '.join(f'{x:.3f}' for x in on)})")
print(f"  synchronous_commit off  {m_off:7.3f} ms   (rounds: {', '.join(f'{x:.3f}' for x in off)})")
print(f"  on / off {m_on / m_off:5.2f}x; saved per commit {m_on - m_off:.3f} ms")
plain = statistics.median(start["ohfp --version"]["times"]) * 1000
preload = statistics.median(start["ohfp --version, libpq preloaded"]["times"]) * 1000
print("process start (`ohfp --version`), median:")
print(f"  plain {plain:.2f} ms; libpq preloaded {preload:.2f} ms; ratio {preload / plain:.2f}x, +{preload - plain:.2f} ms")
PY
