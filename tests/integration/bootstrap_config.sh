# Bootstrap settings (FAAS_LAMBDA_* and their AWS_LWA_* aliases) change what
# the user sees: readiness, async init, base path, pass-through path, error
# statuses; and a watchdog that cannot be restarted makes the bootstrap exit.
. "$FL_TOP/tests/lib.sh"
M='{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"%s]}'
url_event() {
  python3 - "$EVENTS/aws-lambda-go/lambda-urls-request.json" "$@" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
args = sys.argv[2:]
for k, v in zip(args[::2], args[1::2]):
    e["headers"][k] = v
print(json.dumps(e))
PY
}
stop_emulate() { kill "$EMU_PID"; wait "$EMU_PID" 2>/dev/null || true; }
SQS=$EVENTS/aws-lambda-go/sqs-event.json

# A watchdog that is slow to become healthy: init fails without async init...
make_task_root "$T/slow" "$(printf "$M" ',"FIXTURE_READY_DELAY_MS=1500"')"
start_emulate "$T/slow" --env FAAS_LAMBDA_INIT_TIMEOUT_MS=300
invoke "$SQS" "$T/out.json" >/dev/null
assert_eq "slow watchdog: init error" Runtime.WatchdogNotReady "$(json "$T/out.json" 'j["errorType"]')"
stop_emulate
# ...and with it (the Web Adapter's name), the first invoke waits for it.
start_emulate "$T/slow" --env FAAS_LAMBDA_INIT_TIMEOUT_MS=300 --env AWS_LWA_ASYNC_INIT=true
invoke "$SQS" "$T/out.json" >/dev/null
assert_eq "async init: answered" POST "$(echo_field "$T/out.json" 'e["method"]')"
stop_emulate

# Readiness by TCP connect, or with a wider set of healthy statuses, passes
# for a watchdog whose health check never says 200.
make_task_root "$T/never" "$(printf "$M" ',"FIXTURE_NEVER_READY=1"')"
start_emulate "$T/never" --env FAAS_LAMBDA_READINESS_CHECK_PROTOCOL=tcp
invoke "$SQS" "$T/out.json" >/dev/null
assert_eq "tcp readiness" POST "$(echo_field "$T/out.json" 'e["method"]')"
stop_emulate
start_emulate "$T/never" --env AWS_LWA_READINESS_CHECK_HEALTHY_STATUS=200-599
invoke "$SQS" "$T/out.json" >/dev/null
assert_eq "healthy statuses" POST "$(echo_field "$T/out.json" 'e["method"]')"
stop_emulate

# Base path removal, pass-through path, error statuses.
make_task_root "$T/task" "$(printf "$M" '')"
start_emulate "$T/task" --env FAAS_LAMBDA_REMOVE_BASE_PATH=/hello --env FAAS_LAMBDA_PASS_THROUGH_PATH=/events \
  --env FAAS_LAMBDA_ERROR_STATUS_CODES=500,502-504
invoke "$EVENTS/aws-lambda-go/apigw-request.json" "$T/out.json" >/dev/null
assert_eq "base path removed" /world "$(echo_field "$T/out.json" 'e["path"]')"
invoke "$SQS" "$T/out.json" >/dev/null
assert_eq "pass-through path" /events "$(echo_field "$T/out.json" 'e["path"]')"
url_event x-fixture-status 503 x-fixture-body "try later" > "$T/503.json"
invoke "$T/503.json" "$T/out.json" > "$T/cli.json"
assert_eq "error status: function error" Unhandled "$(json "$T/cli.json" 'j.get("FunctionError")')"
assert_eq "error status: type" Function.ErrorStatus "$(json "$T/out.json" 'j["errorType"]')"
assert_eq "error status: status" 503 "$(json "$T/out.json" 'j["statusCode"]')"
assert_eq "error status: body" "try later" "$(json "$T/out.json" 'j["body"]')"
url_event x-fixture-status 404 > "$T/404.json"
invoke "$T/404.json" "$T/out.json" > "$T/cli.json"
assert_eq "other statuses stay responses" 404 "$(json "$T/out.json" 'j["statusCode"]')"
stop_emulate

# A watchdog that starts once and then never again: after a crash the
# bootstrap retries with a growing pause, then exits so that Lambda (here the
# emulator) replaces the sandbox; the new sandbox works again.
make_task_root "$T/once" '{"schema":1,"argv":["/var/task/once.sh"],"env":["port=8080"]}'
cat > "$T/once/once.sh" <<'SH'
#!/bin/sh
# first start in a sandbox: the watchdog; later starts: fail at once
[ -e /tmp/started ] && { echo "once.sh: refusing to start again" >&2; exit 4; }
touch /tmp/started
exec /var/task/fwatchdog
SH
chmod +x "$T/once/once.sh"
start_emulate "$T/once" --timeout 10
url_event x-fixture-crash before > "$T/crash.json"
invoke "$T/crash.json" "$T/out.json" >/dev/null
assert_eq "crash" Runtime.WatchdogExited "$(json "$T/out.json" 'j["errorType"]')"
for _ in $(seq 100); do grep -q "failed to restart" "$T/emulate.log" && break; sleep 0.1; done
assert_contains "gave up restarting" "$(cat "$T/emulate.log")" "the watchdog failed to restart 5 times"
assert_eq "restart attempts" 5 "$(grep -c 'once.sh: refusing to start again' "$T/emulate.log")"
invoke "$SQS" "$T/out.json" >/dev/null
assert_eq "a fresh sandbox answers" POST "$(echo_field "$T/out.json" 'e["method"]')"
