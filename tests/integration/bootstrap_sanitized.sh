# The bootstrap's invoke paths under AddressSanitizer and UBSan: the same
# code as the static build, compiled for the host with sanitizers, run through
# the emulator: HTTP events, repeated large streams, failures and restarts.
. "$FL_TOP/tests/lib.sh"
BOOTSTRAP=$B/san/bootstrap
[ -x "$BOOTSTRAP" ] || fail "build $BOOTSTRAP first (make $BOOTSTRAP)"
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
clean_log() {
  if grep -E -A30 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/emulate.log"; then
    fail "sanitizer report in the bootstrap's log"
  fi
}

make_task_root "$T/task" '{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"]}'
start_emulate "$T/task" --timeout 20
for e in aws-lambda-go/apigw-request.json aws-lambda-go/alb-lambda-target-request-multivalue-headers.json \
         aws-lambda-go/function-url-request-with-headers-and-cookies-and-text-body.json aws-lambda-go/sqs-event.json \
         powertools-lambda-python/apiGatewayProxyEventAnotherPath.json; do
  invoke "$EVENTS/$e" "$T/out.json" >/dev/null
done
url_event x-fixture-body-size 3000000 x-fixture-binary 1 > "$T/big.json"
invoke "$T/big.json" "$T/out.json" >/dev/null
assert_eq "3 MB binary body" 3000000 "$(json "$T/out.json" 'len(base64.b64decode(j["body"]))')"
url_event x-fixture-crash before > "$T/crash.json"
invoke "$T/crash.json" "$T/out.json" >/dev/null
invoke "$EVENTS/aws-lambda-go/sqs-event.json" "$T/out.json" >/dev/null
assert_eq "after a crash" POST "$(echo_field "$T/out.json" 'e["method"]')"
kill "$EMU_PID"; wait "$EMU_PID" 2>/dev/null || true
clean_log

make_task_root "$T/stream" '{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"],"invoke_mode":"response_stream"}'
start_emulate "$T/stream" --timeout 60
url_event x-fixture-chunks 200,65536,0 > "$T/s.json"
for i in 1 2 3; do
  invoke "$T/s.json" "$T/s.out" > "$T/cli.json"
  assert_eq "stream $i" None "$(json "$T/cli.json" 'j.get("FunctionError")')"
  [ "$(stat -c %s "$T/s.out")" -gt 13107200 ] || fail "stream $i: $(stat -c %s "$T/s.out") bytes"
done
url_event x-fixture-crash mid-body > "$T/c.json"
invoke "$T/c.json" "$T/c.out" >/dev/null
assert_contains "mid-stream crash" "$(cat "$T/c.out")" Runtime.WatchdogExited
invoke "$T/s.json" "$T/s.out" > "$T/cli.json"
assert_eq "stream after the crash" None "$(json "$T/cli.json" 'j.get("FunctionError")')"
kill "$EMU_PID"; wait "$EMU_PID" 2>/dev/null || true
clean_log
