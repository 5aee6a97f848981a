#!/bin/sh
# Smoke-runs each libFuzzer target for a bounded number of inputs, seeded with
# its corpus (tests/fuzz/corpus/NAME) and the shared public sample events.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
shared=${FL_SHARED:-$top/../shared}
runs=${FUZZ_RUNS:-20000}
fail=0
for f in "$@"; do
  name=$(basename "$f")
  work=$(mktemp -d)
  seeds="$work"
  [ -d "$top/tests/fuzz/corpus/$name" ] && seeds="$seeds $top/tests/fuzz/corpus/$name"
  case $name in fuzz_event*) seeds="$seeds $(find "$shared/testdata/events" -mindepth 1 -type d | tr '\n' ' ')";; esac
  # shellcheck disable=SC2086
  if "$f" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=1024 $seeds >"$work/log" 2>&1; then
    echo "fuzz $name: $(grep -o 'Done [0-9]* runs' "$work/log" | tail -1)"
  else
    tail -n 40 "$work/log" >&2; echo "FAILED: fuzz $name" >&2; fail=1
  fi
  rm -rf "$work"
done
exit $fail
