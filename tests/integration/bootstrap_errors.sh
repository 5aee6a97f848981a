# Bad input and failing watchdogs: each gets the documented Lambda error type
# and a clear message, and the bootstrap survives where Lambda's own runtime
# would (the next invoke works).
. "$FL_TOP/tests/lib.sh"
M='{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"%s]}'
url_event() { # url_event HEADER VALUE...: a Function URL event with extra headers
  python3 - "$EVENTS/aws-lambda-go/lambda-urls-request.json" "$@" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
args = sys.argv[2:]
for k, v in zip(args[::2], args[1::2]):
    e["headers"][k] = "a" * int(v[7:]) if v.startswith("repeat:") else v
print(json.dumps(e))
PY
}
err_type() { json "$1" 'j["errorType"]'; }
err_msg() { json "$1" 'j["errorMessage"]'; }
expect_error() { # expect_error WHAT EVENT_FILE TYPE [MESSAGE_PART]
  invoke "$2" "$T/out.json" > "$T/cli.json" || fail "$1: the CLI failed"
  assert_eq "$1: function error" Unhandled "$(json "$T/cli.json" 'j.get("FunctionError")')"
  assert_eq "$1: error type" "$3" "$(err_type "$T/out.json")"
  [ $# -lt 4 ] || assert_contains "$1: message" "$(err_msg "$T/out.json")" "$4"
}
expect_ok() {
  invoke "$EVENTS/aws-lambda-go/sqs-event.json" "$T/ok.json" > "$T/cli.json" || fail "$1: the CLI failed"
  assert_eq "$1: no function error" None "$(json "$T/cli.json" 'j.get("FunctionError")')"
  assert_eq "$1: echo" POST "$(echo_field "$T/ok.json" 'e["method"]')"
}
stop_emulate() { kill "$EMU_PID"; wait "$EMU_PID" 2>/dev/null || true; }

# --- init failures ---
make_task_root "$T/never" "$(printf "$M" ',"FIXTURE_NEVER_READY=1"')"
start_emulate "$T/never" --env FAAS_LAMBDA_INIT_TIMEOUT_MS=300
expect_error "never ready" "$EVENTS/aws-lambda-go/sqs-event.json" Runtime.WatchdogNotReady "fixture-watchdog: listening"
stop_emulate

make_task_root "$T/exits" "$(printf "$M" ',"FIXTURE_EXIT_AT_START=3"')"
start_emulate "$T/exits"
expect_error "exits at start" "$EVENTS/aws-lambda-go/sqs-event.json" Runtime.WatchdogExited "exit status 3"
assert_contains "exits at start: stderr tail" "$(err_msg "$T/out.json")" "failing at start as asked"
stop_emulate

make_task_root "$T/cfg" "$(printf "$M" '')"
start_emulate "$T/cfg" --env FAAS_LAMBDA_PROT=8080
expect_error "unknown variable" "$EVENTS/aws-lambda-go/sqs-event.json" Runtime.InvalidConfiguration FAAS_LAMBDA_PROT
stop_emulate
start_emulate "$T/cfg" --env AWS_LWA_INVOKE_MODE=fast
expect_error "invalid value" "$EVENTS/aws-lambda-go/sqs-event.json" Runtime.InvalidConfiguration fast
stop_emulate

make_task_root "$T/nowd"
rm "$T/nowd/fwatchdog"
start_emulate "$T/nowd" --handler fwatchdog
expect_error "no watchdog" "$EVENTS/aws-lambda-go/sqs-event.json" Runtime.InvalidEntrypoint fwatchdog
stop_emulate

make_task_root "$T/badm" '{"schema":1,"argv":"fwatchdog"}'
start_emulate "$T/badm"
expect_error "bad manifest" "$EVENTS/aws-lambda-go/sqs-event.json" Runtime.InvalidManifest argv
stop_emulate

# --- invoke failures: each followed by a working invoke ---
make_task_root "$T/task" "$(printf "$M" '')"
start_emulate "$T/task" --timeout 2
expect_ok "first"

url_event x-fixture-crash before > "$T/crash.json"
expect_error "crash" "$T/crash.json" Runtime.WatchdogExited "exit status 3"
expect_ok "after crash (restarted)"

url_event x-fixture-crash mid-body > "$T/crash2.json"
expect_error "crash mid-body" "$T/crash2.json" Runtime.WatchdogExited
expect_ok "after crash mid-body"

url_event x-fixture-garbage 1 > "$T/garbage.json"
expect_error "garbage HTTP" "$T/garbage.json" Runtime.InvalidWatchdogResponse
expect_ok "after garbage"

url_event x-fixture-body-size 7000000 > "$T/big.json"
expect_error "body over 6 MB" "$T/big.json" Function.ResponseSizeTooLarge
expect_ok "after a big body"

# 5 MB of binary is 6.7 MB of base64: Lambda (the emulator) refuses the payload.
url_event x-fixture-body-size 5000000 x-fixture-binary 1 x-fixture-content-type application/octet-stream > "$T/big64.json"
expect_error "payload over 6 MB" "$T/big64.json" Function.ResponseSizeTooLarge
expect_ok "after a big payload"

url_event x-fixture-delay-ms 4000 > "$T/slow.json"
expect_error "slower than the timeout" "$T/slow.json" Runtime.WatchdogTimeout
expect_ok "after a timeout"

expect_error "invalid base64 body" "$EVENTS/powertools-lambda-python/apiGatewayProxyEventAnotherPath.json" \
  Runtime.InvalidEvent base64
expect_ok "after an invalid event"

url_event x-huge repeat:200000 > "$T/huge.json"
invoke "$T/huge.json" "$T/out.json" > "$T/cli.json"
assert_eq "huge header: forwarded whole" 200000 "$(echo_field "$T/out.json" 'len(hdr("x-huge")[0])')"
url_event x-huge repeat:5000000 > "$T/huge.json"
expect_error "headers over 1 MB" "$T/huge.json" Runtime.InvalidEvent "headers take"
expect_ok "after a huge header"

url_event "x-inject" $'a\r\nx-evil: 1' > "$T/inject.json"
expect_error "header injection" "$T/inject.json" Runtime.InvalidEvent "CR or LF"
url_event "bad name" x > "$T/badname.json"
expect_error "invalid header name" "$T/badname.json" Runtime.InvalidEvent "not a valid header name"
expect_ok "after bad headers"

# The REPORT of a warm invoke has no Init Duration: the sandbox survived.
invoke "$EVENTS/aws-lambda-go/sqs-event.json" "$T/t.json" --log-type Tail > "$T/cli.json"
log=$(json "$T/cli.json" 'base64.b64decode(j["LogResult"]).decode()')
assert_contains "warm" "$log" "REPORT RequestId"
[[ "$log" != *"Init Duration"* ]] || fail "the sandbox was replaced: $log"
