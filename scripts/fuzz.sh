#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (the `fuzz` CMake preset: clang 14, ASan+UBSan) and runs them.
#
#   scripts/fuzz.sh                     every target, 60 s each, one after the other
#   scripts/fuzz.sh TARGET [SECONDS]    one target (e.g. aws_response), SECONDS long (default 60)
#   scripts/fuzz.sh all SECONDS         every target, SECONDS each
#   scripts/fuzz.sh --ci                what scripts/test.sh runs: each target replays its corpus, then makes a fixed
#                                       number of runs (FUZZ_RUNS, default 20000) from a fixed seed, capped at
#                                       FUZZ_MAX_SECONDS (default 15) per target; fails on the first finding
#   scripts/fuzz.sh --list              the targets
#
# Each target starts from its seed corpus in fuzz/corpus/TARGET (kept in the repository, read only here) and the
# inputs earlier runs found, kept in build/fuzz/corpus/TARGET (not in the repository; --ci starts from the seeds
# alone, so its runs are reproducible). A crash, leak, timeout or sanitizer report stops the target and leaves the
# input in build/fuzz/artifacts/TARGET/; fuzz/README.md says how to turn it into a regression input and a unit test.
# At the end, a line per target: executions, executions per second, and whether it found anything.
#
# Run it niced on a shared machine: nice -n 19 scripts/fuzz.sh aws_response 600
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(http_response aws_response aws_error sigv4 query_roundtrip hf_input config templates chaos_request
  chaos_rules)

ci=0
seconds=60
selected=()
case "${1:-all}" in
  --list) printf '%s\n' "${targets[@]}"; exit 0 ;;
  --ci) ci=1; selected=("${targets[@]}") ;;
  all) selected=("${targets[@]}"); seconds="${2:-60}" ;;
  -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *)
    for t in "${targets[@]}"; do [ "$t" = "$1" ] && selected=("$1"); done
    if [ ${#selected[@]} -eq 0 ]; then
      echo "fuzz.sh: unknown target '$1' (scripts/fuzz.sh --list)" >&2
      exit 2
    fi
    seconds="${2:-60}"
    ;;
esac

scripts/install-deps.sh
cmake --preset fuzz >/dev/null
build_targets=()
for t in "${selected[@]}"; do build_targets+=("fuzz_$t"); done
cmake --build --preset fuzz -j "$(nproc 2>/dev/null || echo 2)" --target "${build_targets[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
runs="${FUZZ_RUNS:-20000}"
cap="${FUZZ_MAX_SECONDS:-15}"
summary=()
status=0
for t in "${selected[@]}"; do
  binary="build/fuzz/fuzz/fuzz_$t"
  seeds="fuzz/corpus/$t"
  artifacts="build/fuzz/artifacts/$t"
  mkdir -p "$artifacts"
  log="build/fuzz/logs/$t.log"
  mkdir -p "$(dirname "$log")"
  common=(-artifact_prefix="$artifacts/" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -max_len=65536)
  if [ "$ci" -eq 1 ]; then
    work="$(mktemp -d)"
    # Every seed and regression input first (libFuzzer runs the corpus before mutating), then fixed runs from a
    # fixed seed.
    if ! "$binary" "${common[@]}" -seed=1 -runs="$runs" -max_total_time="$cap" "$work" "$seeds" >"$log" 2>&1; then
      status=1
    fi
    rm -rf "$work"
  else
    work="build/fuzz/corpus/$t"
    mkdir -p "$work"
    echo "== $t: $seconds s (corpus $work, seeds $seeds)" >&2
    if ! "$binary" "${common[@]}" -max_total_time="$seconds" "$work" "$seeds" >"$log" 2>&1; then
      status=1
    fi
  fi
  executed=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | awk '{print $2}')
  per_second=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | awk '{print $2}')
  finding=$(grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY: |.*runtime error:|ERROR: libFuzzer)' "$log" || true)
  summary+=("$(printf '%-16s %12s executions %8s exec/s  %s' "$t" "${executed:-?}" "${per_second:-?}" \
    "${finding:-no findings}")")
  if [ -n "$finding" ]; then
    echo "fuzz.sh: $t: $finding (log $log, input in $artifacts/)" >&2
    [ "$ci" -eq 1 ] && break
  fi
done
printf '%s\n' "${summary[@]}"
exit "$status"
