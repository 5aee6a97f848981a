#!/bin/sh
# Runs criterion test binaries; fails if any fails.
set -u
fail=0
for t in "$@"; do
  "$t" --jobs 2 --short-filename || { echo "FAILED: $t" >&2; fail=1; }
done
exit $fail
