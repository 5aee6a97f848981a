# The bootstrap against a Runtime API that fails: it exits promptly when
# Lambda says so (/next 500), retries then exits when the connection drops,
# and goes on to the next invoke after a 413 or 403 on /response.
. "$FL_TOP/tests/lib.sh"
mkdir -p "$T/task"
cp "$B/tests/fixture-watchdog" "$T/task/fwatchdog"
run_bootstrap() { # run_bootstrap MODE: runs the bootstrap against fake_rapi in MODE
  local rport wport; rport=$(free_port); wport=$(free_port)
  : > "$T/rapi.log"
  bg python3 "$FL_TOP/tests/fixtures/fake_rapi.py" "$rport" "$1" "$T/rapi.log"
  RAPI=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$rport/" && break; sleep 0.05; done
  printf '{"schema":1,"argv":["%s/task/fwatchdog"],"env":["port=%s","FIXTURE_LOCK_FILE=%s/lock"]}\n' "$T" "$wport" "$T" \
    > "$T/task/faas-lambda.json"
  AWS_LAMBDA_RUNTIME_API=127.0.0.1:$rport LAMBDA_TASK_ROOT=$T/task \
    timeout 20 "$B/bootstrap" > "$T/boot.log" 2>&1 &
  BOOT=$!; _pids+=($BOOT)
}

run_bootstrap next500
rc=0; wait "$BOOT" || rc=$?
assert_eq "next 500: exit status" 1 "$rc"
assert_contains "next 500: log" "$(cat "$T/boot.log")" "answered 500"
kill "$RAPI"

run_bootstrap nextclose
rc=0; wait "$BOOT" || rc=$?
assert_eq "next closed: exit status" 1 "$rc"
assert_eq "next closed: 3 attempts" 3 "$(grep -c 'closed' "$T/rapi.log")"
assert_contains "next closed: log" "$(cat "$T/boot.log")" "retrying"
kill "$RAPI"

for mode in resp413 resp403; do
  run_bootstrap $mode
  for _ in $(seq 200); do grep -q "req-2/response 202" "$T/rapi.log" && break; sleep 0.05; done
  assert_contains "$mode: first answer refused" "$(cat "$T/rapi.log")" "req-1/response ${mode#resp}"
  assert_contains "$mode: second invoke answered" "$(cat "$T/rapi.log")" "req-2/response 202"
  kill -0 "$BOOT" || fail "$mode: the bootstrap died"
  kill -TERM "$BOOT"; wait "$BOOT" || true
  assert_contains "$mode: SIGTERM reached the watchdog" "$(cat "$T/boot.log")" "SIGTERM received"
  kill "$RAPI"
done
