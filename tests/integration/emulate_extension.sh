#!/bin/bash
# faas-lambda emulate and the Extensions API: a runtime that registers an
# (internal) extension gets INVOKE events, and SIGTERM with 500 ms to exit
# at shutdown, as on Lambda; registration errors follow RIE.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

make_task "$T/task"
start_emulator "$T/emu.log" --task-root "$T/task" --name ext --env BEHAVIOUR_INIT=extension
LOG=$T/emu.log

assert_eq "status" 200 "$(post_invoke ext '{"with":"extension"}')"
assert_eq "echo" '{"with":"extension"}' "$(cat "$T/body")"
rid=$(header X-Amzn-RequestId)
grep -qE '^extension registered: id=[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} body=\{"functionName":"ext","functionVersion":"\$LATEST","handler":"function.handler"\}$' "$LOG" ||
  fail "registration: $(grep 'extension registered' "$LOG")"
wait_log "$LOG" "extension event: {\"eventType\":\"INVOKE\",\"deadlineMs\":"
event=$(grep '^extension event: ' "$LOG" | head -1)
assert_contains "INVOKE event" "$event" "\"requestId\":\"$rid\",\"invokedFunctionArn\":\"arn:aws:lambda:us-east-1:000000000000:function:ext\",\"tracing\":{\"type\":\"X-Amzn-Trace-Id\",\"value\":\"Root=1-"
grep -qxF 'register SHUTDOWN: 403 {"errorMessage":"SHUTDOWN: ShutdownEvent is not supported for internal extensions","errorType":"Extension.InvalidEventType"}' "$LOG" || fail "SHUTDOWN registration"
grep -qxF 'register again: 403 {"errorMessage":"Extension with this name already registered","errorType":"Extension.InvalidExtensionState"}' "$LOG" || fail "double registration"
grep -qxF 'register unnamed: 403 {"errorMessage":"Empty extension name","errorType":"Extension.InvalidExtensionName"}' "$LOG" || fail "unnamed registration"
grep -qF 'register bad body: 403 {"errorMessage":' "$LOG" || fail "registration with a bad body"
grep -qxF 'next unknown: 403 {"errorMessage":"Unknown extension","errorType":"Extension.UnknownExtensionIdentifier"}' "$LOG" || fail "event/next, unknown id"
grep -qxF 'next without id: 403 {"errorMessage":"Missing Lambda-Extension-Identifier header","errorType":"Extension.MissingExtensionIdentifier"}' "$LOG" || fail "event/next, no id"

# shutdown: SIGTERM to the runtime, which exits by itself
stop_emulator
assert_eq "exit status" 0 "$EMU_RC"
grep -qx "got SIGTERM" "$LOG" || fail "the runtime did not get SIGTERM: $(tail "$LOG")"
grep -q "the runtime exited after SIGTERM" "$LOG" || fail "no note of the runtime's exit"
((EMU_STOP_MS < 1500)) || fail "shutdown took $EMU_STOP_MS ms"

# a runtime that ignores SIGTERM is killed 500 ms later
make_task "$T/stubborn"
PORT=$(free_port) start_emulator "$T/stubborn.log" --task-root "$T/stubborn" --name stubborn \
  --env BEHAVIOUR_INIT=extension_stubborn
assert_eq "status" 200 "$(post_invoke stubborn '{}')"
stop_emulator
assert_eq "exit status" 0 "$EMU_RC"
wait_log "$T/stubborn.log" "ignoring SIGTERM"
((EMU_STOP_MS >= 500 && EMU_STOP_MS < 2000)) || fail "a runtime ignoring SIGTERM was stopped after $EMU_STOP_MS ms"
grep -q "the runtime exited after SIGTERM" "$T/stubborn.log" && fail "the stubborn runtime exited by itself?"
echo ok
