#!/usr/bin/env bash
# Fails when a file of the repository refers to the "shared" directory beside the project (the path made of "..",
# "/" and "shared"), which exists only next to the project's own CI and developer checkouts, never next to a
# user's clone. The project builds, tests and documents itself from its own files: test data in tests/data/, the
# specification in docs/. Each reference is printed as FILE:LINE: TEXT.
#
#   scripts/check-self-contained.sh           check the repository (scripts/test.sh runs it before building)
#   scripts/check-self-contained.sh DIR...    check those directories instead
#
# It first proves that it can fail: it plants a reference in a temporary directory (a plain one and a Git work
# tree) and must find it there, with its file and line; otherwise it stops with status 3. Takes well under a second.
set -euo pipefail

# Assembled from two pieces so that this file does not contain what it looks for.
needle="..""/shared"

# The files to check under the current directory, NUL-separated: in a Git work tree, the tracked files and the
# untracked ones Git does not ignore (a new file is checked before it is committed); elsewhere every file outside
# build directories and .git.
list_files() {
  if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
    git ls-files -z --cached --others --exclude-standard
  else
    find . \( -path ./.git -o -path './build' -o -path './build/*' \) -prune -o -type f -print0 | sed -z 's|^\./||'
  fi
}

# Prints every reference under DIR as FILE:LINE: TEXT (FILE relative to DIR); succeeds when there is none.
scan() {
  local found
  # grep: -H names the file even when there is one, -I skips binary files, -s ignores files listed by Git but deleted from the work tree.
  found=$(cd "$1" && list_files | xargs -0 -r grep -I -s -H -n -F -e "$needle" -- || true)
  if [ -n "$found" ]; then
    printf '%s\n' "$found" | sed 's/^\([^:]*:[0-9]*\):/\1: /'
    return 1
  fi
}

# In a subshell, so that its EXIT trap removes the temporary directory however it ends.
self_test() (
  local tmp out
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/ohfp-check-self-contained.XXXXXX")
  # shellcheck disable=SC2064  # expand $tmp now
  trap "rm -rf '$tmp'" EXIT
  mkdir -p "$tmp/plain/docs" "$tmp/git/src"
  printf 'clean\nsee %s/docs/notes.md\n' "$needle" >"$tmp/plain/docs/page.md"
  printf 'int x;\n\n// from %s/seed\n' "$needle" >"$tmp/git/src/a.cc"
  printf 'nothing here\n' >"$tmp/git/clean.txt"
  git -C "$tmp/git" init -q
  git -C "$tmp/git" add src/a.cc
  for dir in plain git; do
    local expected
    expected=$([ "$dir" = plain ] && echo "docs/page.md:2: see $needle/docs/notes.md" || echo "src/a.cc:3: // from $needle/seed")
    if out=$(scan "$tmp/$dir"); then
      echo "check-self-contained: BROKEN: a planted reference in a $dir directory was not found" >&2
      return 3
    fi
    if [ "$out" != "$expected" ]; then
      echo "check-self-contained: BROKEN: expected '$expected', got '$out'" >&2
      return 3
    fi
  done
  rm -f "$tmp/plain/docs/page.md" "$tmp/git/src/a.cc"
  for dir in plain git; do
    if ! out=$(scan "$tmp/$dir"); then
      echo "check-self-contained: BROKEN: a directory without references failed: $out" >&2
      return 3
    fi
  done
)

self_test || exit 3

dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
  dirs=("$(cd "$(dirname "$0")/.." && pwd)")
fi
status=0
for dir in "${dirs[@]}"; do
  if ! out=$(scan "$dir"); then
    printf '%s\n' "$out" >&2
    echo "check-self-contained: $dir: $(printf '%s\n' "$out" | wc -l) line(s) refer to $needle, which a user's clone" \
      "does not have. Copy what is needed into the repository (test data: tests/data/; the specification:" \
      "docs/) and point there." >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "check-self-contained: no file refers to $needle" >&2
exit "$status"
