# Shutdown: the bootstrap registers an internal extension, so stopping the
# sandbox delivers SIGTERM; the watchdog gets it and can finish cleanly.
. "$FL_TOP/tests/lib.sh"
make_task_root "$T/task" '{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"]}'
start_emulate "$T/task"
invoke "$EVENTS/aws-lambda-go/sqs-event.json" "$T/out.json" >/dev/null
kill -TERM "$EMU_PID"
rc=0; wait "$EMU_PID" || rc=$?
assert_eq "emulate exit status" 0 "$rc"
log=$(cat "$T/emulate.log")
assert_contains "the bootstrap got SIGTERM" "$log" "SIGTERM received: stopping the watchdog"
assert_contains "the watchdog got SIGTERM" "$log" "fixture-watchdog: SIGTERM received"
