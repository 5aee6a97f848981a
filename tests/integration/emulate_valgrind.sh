#!/bin/bash
# faas-lambda emulate under valgrind: invokes that take every main path
# (success, errors, crash, timeout, streams, a 413, the Invoke API's own
# errors, extensions), then SIGTERM. No leaks, no memory errors, exit 0.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed"

make_task "$T/task"
PORT=$(free_port)
ENDPOINT=http://127.0.0.1:$PORT
valgrind --leak-check=full --error-exitcode=99 --log-file="$T/valgrind.txt" \
  "$FL" emulate --listen "127.0.0.1:$PORT" --task-root "$T/task" --name vg --timeout 2 \
  --env RAPI_CLIENT=/var/task/rapi_client --env BEHAVIOUR_INIT=extension 2>"$T/emu.log" &
EMU_PID=$!
_pids+=("$EMU_PID")
wait_http "$ENDPOINT/" 30

assert_eq "echo" 200 "$(post_invoke vg '{"a":1}' -H 'X-Amz-Log-Type: Tail' -H "X-Amz-Client-Context: $(echo '{"c":1}' | base64 -w0)")"
assert_eq "echo body" '{"a":1}' "$(cat "$T/body")"
assert_eq "error" 200 "$(post_invoke vg '{"do":"error"}')"
assert_eq "error type" Unhandled "$(header X-Amz-Function-Error)"
assert_eq "stream" 200 "$(post_invoke vg '{"do":"stream"}')"
assert_eq "stream body" "hello streamed world" "$(cat "$T/body")"
assert_eq "stream error" 200 "$(post_invoke vg '{"do":"stream_error"}')"
assert_eq "stream cut" 200 "$(post_invoke vg '{"do":"stream_drop"}')"
assert_contains "stream cut" "$(cat "$T/body")" "Runtime.TruncatedResponse"
assert_eq "too big" 200 "$(post_invoke vg '{"do":"big"}')"
assert_contains "too big" "$(cat "$T/body")" "Function.ResponseSizeTooLarge"
assert_eq "twice" 200 "$(post_invoke vg '{"do":"twice"}')"
assert_eq "crash" 200 "$(post_invoke vg '{"do":"exit"}')"
assert_contains "crash" "$(cat "$T/body")" "Runtime.ExitError"
assert_eq "timeout" 200 "$(post_invoke vg '{"do":"sleep"}')"
assert_contains "timeout" "$(cat "$T/body")" "Sandbox.Timedout"
assert_eq "after the timeout" 200 "$(post_invoke vg '{"b":2}')"
assert_eq "unknown function" 404 "$(post_invoke nope '{}')"
assert_eq "not JSON" 400 "$(post_invoke vg '{')"
assert_eq "unknown route" 404 "$(curl -sS -o /dev/null -w '%{http_code}' "$ENDPOINT/")"
{ printf '"'; head -c 6291455 /dev/zero | tr '\0' 'p'; printf '"'; } >"$T/over.json"
assert_eq "payload too large" 413 "$(post_invoke vg "@$T/over.json")"

stop_emulator
grep -q "got SIGTERM" "$T/emu.log" || fail "the runtime with an extension did not get SIGTERM"
[ "$EMU_RC" -ne 99 ] || fail "valgrind found errors: $(grep -A20 -E 'Invalid|uninitialised|lost in' "$T/valgrind.txt" | head -60)"
assert_eq "exit status" 0 "$EMU_RC"
grep -q "ERROR SUMMARY: 0 errors" "$T/valgrind.txt" || fail "valgrind: $(tail -n 20 "$T/valgrind.txt")"
grep -q "All heap blocks were freed -- no leaks are possible" "$T/valgrind.txt" ||
  fail "valgrind: memory still in use at exit: $(grep -A8 'HEAP SUMMARY' "$T/valgrind.txt")"
echo ok
