#!/bin/sh
# Runs criterion test binaries; fails if any test fails, or if a sanitizer
# reported anything (criterion runs each test in a child process and does not
# fail a test on LeakSanitizer's report at the child's exit).
set -u
fail=0
log=$(mktemp)
for t in "$@"; do
  if "$t" --jobs 2 --short-filename >"$log" 2>&1; then
    grep -E 'Synthesis' "$log" || true
  else
    tail -n 40 "$log" >&2
    echo "FAILED: $t" >&2
    fail=1
  fi
  if grep -qE 'ERROR: (Leak|Address)Sanitizer|runtime error:' "$log"; then
    grep -E -A20 'ERROR: (Leak|Address)Sanitizer|runtime error:' "$log" | head -60 >&2
    echo "FAILED (sanitizer report): $t" >&2
    fail=1
  fi
done
rm -f "$log"
exit $fail
