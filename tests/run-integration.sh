#!/bin/bash
# Runs each tests/integration/*.sh (or those named) in its own temp dir, with a
# time limit; prints a summary and fails if any test failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("$top"/tests/integration/*.sh)
pass=0; failed=()
for t in "${tests[@]}"; do
  name=$(basename "$t" .sh)
  log=$(mktemp)
  start=$(date +%s%N)
  if FL_TOP="$top" timeout --kill-after=10 "${TEST_TIMEOUT:-300}" bash "$t" >"$log" 2>&1; then
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    printf 'ok    %-40s %4d.%03ds\n' "$name" $((ms / 1000)) $((ms % 1000))
    pass=$((pass + 1))
  else
    printf 'FAIL  %-40s\n' "$name"; sed 's/^/    /' "$log" | tail -n 60
    failed+=("$name")
  fi
  rm -f "$log"
done
echo "integration: $pass passed, ${#failed[@]} failed ${failed[*]:+(${failed[*]})}"
[ ${#failed[@]} -eq 0 ]
