#!/usr/bin/env bash
# Checks that the repository is self-contained (scripts/check-self-contained.sh), installs what is missing, builds,
# and runs every test: the optimised build, then the whole suite under AddressSanitizer +
# UndefinedBehaviorSanitizer, then the concurrent code under ThreadSanitizer, then each fuzz target briefly
# (scripts/fuzz.sh --ci: its corpus, then a fixed number of runs from a fixed seed, time-capped).
#
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh default    only the optimised build's tests (any of: default asan tsan fuzz)
#
# Idempotent: a second run rebuilds nothing that did not change.
set -euo pipefail
cd "$(dirname "$0")/.."

presets=("$@")
if [ ${#presets[@]} -eq 0 ]; then
  presets=(default asan tsan fuzz)
fi

# First, in well under a second: no file may depend on what a user's clone does not have beside it.
scripts/check-self-contained.sh
scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

started=$(date +%s)
for preset in "${presets[@]}"; do
  case "$preset" in
    default|asan|tsan) ;;
    fuzz)
      echo "== fuzz: build, then each target's corpus and fixed runs" >&2
      scripts/fuzz.sh --ci
      continue
      ;;
    *) echo "test.sh: unknown preset '$preset' (use default, asan, tsan or fuzz)" >&2; exit 2 ;;
  esac
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: test" >&2
  ctest --preset "$preset" -j "$jobs"
done
echo "== all tests passed in $(( $(date +%s) - started )) s (${presets[*]})" >&2
