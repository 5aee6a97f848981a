# Response streaming: the prelude, the body as it arrives, and trailers when
# the watchdog fails mid-stream.
. "$FL_TOP/tests/lib.sh"
make_task_root "$T/task" '{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"],"invoke_mode":"response_stream"}'
start_emulate "$T/task" --timeout 30
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
url_event x-fixture-chunks 100,100000,0 x-fixture-header "Set-Cookie: a=1; Path=/" > "$T/ev.json"
invoke "$T/ev.json" "$T/out.bin" > "$T/cli.json"
assert_eq "stream: no error" None "$(json "$T/cli.json" 'j.get("FunctionError")')"
python3 - "$T/out.bin" <<'PY' || fail "stream: bad prelude or body"
import json, sys
data = open(sys.argv[1], "rb").read()
i = data.index(b"\0" * 8)
prelude = json.loads(data[:i])
assert prelude["statusCode"] == 200, prelude
assert prelude["cookies"] == ["a=1; Path=/"], prelude
assert "set-cookie" not in {k.lower() for k in prelude.get("headers", {})}, prelude
body = data[i + 8:]
assert len(body) == 10_000_000, len(body)
PY

# A raw event streams the body itself, no prelude.
python3 -c 'import json; print(json.dumps({"source": "test", "detail": {}}))' > "$T/raw.json"
invoke "$T/raw.json" "$T/raw.out" >/dev/null
assert_eq "raw stream: the echo, no prelude" POST "$(json "$T/raw.out" 'j["method"]')"

# The watchdog dies mid-body: the error travels in the trailers.
url_event x-fixture-crash mid-body > "$T/crash.json"
invoke "$T/crash.json" "$T/crash.out" > "$T/cli.json"
assert_eq "mid-stream crash: function error" Unhandled "$(json "$T/cli.json" 'j.get("FunctionError")')"
assert_contains "mid-stream crash: error type" "$(cat "$T/crash.out")" Runtime.WatchdogExited

# And the next invoke streams again from a restarted watchdog.
url_event x-fixture-chunks 3,10,0 > "$T/small.json"
invoke "$T/small.json" "$T/small.out" > "$T/cli.json"
assert_eq "after crash: no error" None "$(json "$T/cli.json" 'j.get("FunctionError")')"
