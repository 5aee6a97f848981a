#!/bin/bash
# faas-lambda emulate when things go wrong: errors the runtime reports,
# runtimes that crash, hang, time out, answer too much or twice, fail their
# init or have no bootstrap; and sandboxes replaced after each of those.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

count() { post_invoke "$1" '{"do":"count"}' >/dev/null; jget "$T/body" 'd["count"]'; }
# expect_error NAME PAYLOAD BODY: an post_invoke answered 200 + Unhandled + BODY
# (RID in BODY stands for the invoke's request id).
expect_error() {
  assert_eq "$2: status" 200 "$(post_invoke "$1" "$2")"
  assert_eq "$2: function error" Unhandled "$(header X-Amz-Function-Error)"
  assert_eq "$2: error body" "${3//RID/$(header X-Amzn-RequestId)}" "$(cat "$T/body")"
}

# A runtime that never calls /next: the 10 s init limit. Started first,
# checked last, so the wait overlaps the rest.
make_task "$T/hang"
PORT=$(free_port) start_emulator "$T/hang.log" --task-root "$T/hang" --name hang --env BEHAVIOUR_INIT=never_next
HANG_ENDPOINT=$ENDPOINT HANG_PID=$EMU_PID
hang_start=$(date +%s%3N)
curl -sS -o "$T/hang.body" -D "$T/hang.headers" -w '%{http_code}' -d '{}' \
  "$HANG_ENDPOINT/2015-03-31/functions/hang/invocations" >"$T/hang.status" &
hang_curl=$!

make_task "$T/task"
PORT=$(free_port) start_emulator "$T/emu.log" --task-root "$T/task" --name errs --timeout 1
LOG=$T/emu.log

# --- errors the runtime posts to /error
expect_error errs '{"do":"error"}' '{"errorMessage":"boom","errorType":"MyError","stackTrace":["a.sh:1"]}'
expect_error errs '{"do":"error_text"}' '{"errorMessage":"plain text failure","errorType":"Runtime.Unknown"}'
expect_error errs '{"do":"error_fn_bad"}' '{"errorMessage":"Unknown application error occurred","errorType":"Function.Unknown"}'
before=$(count errs)

# --- the runtime exits, or is killed, during an invoke: Runtime.ExitError, new sandbox
expect_error errs '{"do":"exit"}' \
  '{"errorMessage":"RequestId: RID Error: Runtime exited with error: exit status 3","errorType":"Runtime.ExitError"}'
rid=$(header X-Amzn-RequestId)
wait_log "$LOG" "REPORT RequestId: $rid"
grep "^REPORT RequestId: $rid" "$LOG" | grep -qP '\tStatus: error\tError Type: Runtime.ExitError$' ||
  fail "REPORT after a crash: $(grep "^REPORT RequestId: $rid" "$LOG")"
assert_eq "fresh sandbox after a crash" 1 "$(count errs)"
expect_error errs '{"do":"kill"}' \
  '{"errorMessage":"RequestId: RID Error: Runtime exited with error: signal: killed","errorType":"Runtime.ExitError"}'

# --- timeout: the sandbox is killed at the deadline and replaced
assert_eq "count" 1 "$(count errs)"
start=$(date +%s%3N)
expect_error errs '{"do":"sleep"}' \
  '{"errorMessage":"RequestId: RID Error: Task timed out after 1.00 seconds","errorType":"Sandbox.Timedout"}'
took=$(($(date +%s%3N) - start))
((took >= 1000 && took < 2500)) || fail "a 1 s timeout took $took ms"
rid=$(header X-Amzn-RequestId)
wait_log "$LOG" "REPORT RequestId: $rid"
grep "^REPORT RequestId: $rid" "$LOG" | grep -qP '\tDuration: 10[0-9]{2}\.[0-9]{2} ms.*\tStatus: timeout$' ||
  fail "REPORT after a timeout: $(grep "^REPORT RequestId: $rid" "$LOG")"
assert_eq "fresh sandbox after a timeout" 1 "$(count errs)"

# --- a buffered response over 6291556 bytes: 413 to the runtime, error to the caller, sandbox kept
expect_error errs '{"do":"big"}' \
  '{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}'
wait_log "$LOG" 'big response status 413 body {"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}'
assert_eq "status" 200 "$(post_invoke errs '{"do":"limit"}')"
assert_eq "response at the limit" 6291556 "$(stat -c %s "$T/body")"
assert_eq "function error" "" "$(header X-Amz-Function-Error)"
wait_log "$LOG" "limit response status 202"
expect_error errs '{"do":"buffered_chunked_big"}' \
  '{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}'
wait_log "$LOG" "buffered_chunked_big answered: STATUS 413"
assert_eq "sandbox kept after 413s" 5 "$(count errs)"

# --- Runtime API misuse
expect_error errs '{"do":"bad_mode"}' \
  '{"errorMessage":"RequestId: RID Error: invalid Lambda-Runtime-Function-Response-Mode '"'"'bogus'"'"'; the only mode is '"'"'streaming'"'"'","errorType":"Runtime.InvalidResponseModeHeader"}'
wait_log "$LOG" "bad mode status 400 body {\"errorMessage\":\"Invalid Lambda-Runtime-Function-Response-Mode 'bogus'; use 'streaming'\",\"errorType\":\"InvalidFunctionResponseMode\"}"
assert_eq "status" 200 "$(post_invoke errs '{"do":"twice"}')"
assert_eq "first answer wins" '{"first":true}' "$(cat "$T/body")"
rid=$(header X-Amzn-RequestId)
wait_log "$LOG" "twice: first 202 second 403 {\"errorMessage\":\"State transition from Ready to InvocationResponse failed for runtime. Error: invocation $rid already has a response\",\"errorType\":\"InvalidStateTransition\"} wrong-id 400 {\"errorMessage\":\"Invalid request ID: not-an-invocation is not the invocation in progress\",\"errorType\":\"InvalidRequestID\"}"
assert_eq "status" 200 "$(post_invoke errs '{"do":"next_early"}')"
assert_eq "answer after an early /next" '{"after":"early next"}' "$(cat "$T/body")"
wait_log "$LOG" "early next status 403"
assert_eq "status" 200 "$(post_invoke errs '{"do":"late_register"}')"
assert_eq "registration after init" '{"status":403,"body":{"errorMessage":"Extension registration closed already","errorType":"Extension.RegistrationClosed"}}' "$(cat "$T/body")"

# --- a runtime that answers but never asks for the next event: reset at the deadline
assert_eq "status" 200 "$(post_invoke errs '{"do":"no_next"}')"
assert_eq "answer" '{"then":"hang"}' "$(cat "$T/body")"
start=$(date +%s%3N)
assert_eq "next post_invoke after a stuck runtime" 1 "$(count errs)"
took=$(($(date +%s%3N) - start))
((took < 2500)) || fail "waited $took ms for a stuck runtime's sandbox to be replaced"
# (the next invoke ran in a new sandbox of the pool; the stuck one goes at its deadline)
wait_log "$LOG" "did not ask for the next event before the last invoke's deadline" 5

# --- two invokes at once: two sandboxes of the pool, the warm one and a new one
post_invoke errs '{"do":"nap","ms":400}' >"$T/c1" &
p1=$!
curl -sS -o "$T/body2" -w '%{http_code}' -d '{"do":"nap","ms":400}' "$ENDPOINT/2015-03-31/functions/errs/invocations" >"$T/c2"
wait $p1
assert_eq "concurrent statuses" "200 200" "$(cat "$T/c1") $(cat "$T/c2")"
assert_eq "one warm, one new" "1 2" "$(printf '%s\n' "$(jget "$T/body" 'd["count"]')" "$(jget "$T/body2" 'd["count"]')" | sort -n | tr '\n' ' ' | sed 's/ $//')"

stop_emulator
assert_eq "exit status" 0 "$EMU_RC"

# --- no bootstrap, or not an executable one: Runtime.InvalidEntrypoint
mkdir -p "$T/empty"
chmod 755 "$T/empty"
PORT=$(free_port) start_emulator "$T/empty.log" --task-root "$T/empty" --name empty
expect_error empty '{}' \
  '{"errorMessage":"RequestId: RID Error: Couldn'"'"'t find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]","errorType":"Runtime.InvalidEntrypoint"}'
printf '#!/bin/sh\n' >"$T/empty/bootstrap"
chmod 644 "$T/empty/bootstrap"
expect_error empty '{}' \
  '{"errorMessage":"RequestId: RID Error: Couldn'"'"'t find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]","errorType":"Runtime.InvalidEntrypoint"}'
stop_emulator

# --- the bootstrap from a layer (/opt/bootstrap), or linked from the task into /opt
mkdir -p "$T/notask" "$T/layer/bin"
chmod 755 "$T/notask" "$T/layer" "$T/layer/bin"
cp "$RAPI_BOOTSTRAP" "$T/layer/bootstrap"
PORT=$(free_port) start_emulator "$T/layer.log" --task-root "$T/notask" --opt-dir "$T/layer" --name layered
assert_eq "status" 200 "$(post_invoke layered '{"from":"opt"}')"
assert_eq "echo from /opt/bootstrap" '{"from":"opt"}' "$(cat "$T/body")"
stop_emulator
cp "$RAPI_BOOTSTRAP" "$T/layer/bin/runtime"
rm "$T/layer/bootstrap"
ln -s /opt/bin/runtime "$T/notask/bootstrap"
PORT=$(free_port) start_emulator "$T/link.log" --task-root "$T/notask" --opt-dir "$T/layer" --name linked
assert_eq "status" 200 "$(post_invoke linked '{"via":"link"}')"
assert_eq "echo through a link into /opt" '{"via":"link"}' "$(cat "$T/body")"
stop_emulator

# --- init failures: the waiting post_invoke gets the error; each post_invoke tries a fresh sandbox
make_task "$T/initerr"
PORT=$(free_port) start_emulator "$T/initerr.log" --task-root "$T/initerr" --name initerr --env BEHAVIOUR_INIT=init_error
expect_error initerr '{}' '{"errorMessage":"cannot read config","errorType":"Runtime.ConfigBroken"}'
expect_error initerr '{}' '{"errorMessage":"cannot read config","errorType":"Runtime.ConfigBroken"}'
wait_log "$T/initerr.log" "init/error answered 202"
grep -qP '^INIT_REPORT Init Duration: [0-9.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime.ConfigBroken$' "$T/initerr.log" ||
  fail "no INIT_REPORT line: $(cat "$T/initerr.log")"
wait_log "$T/initerr.log" "sandbox 2: started"
stop_emulator

make_task "$T/initexit"
PORT=$(free_port) start_emulator "$T/initexit.log" --task-root "$T/initexit" --name initexit --env BEHAVIOUR_INIT=init_exit
expect_error initexit '{}' \
  '{"errorMessage":"RequestId: RID Error: Runtime exited with error: exit status 7","errorType":"Runtime.ExitError"}'
stop_emulator

# --- the runtime that never called /next
wait $hang_curl
took=$(($(date +%s%3N) - hang_start))
((took >= 10000 && took < 12500)) || fail "the init limit hit after $took ms"
assert_eq "status" 200 "$(cat "$T/hang.status")"
rid=$(grep -i '^X-Amzn-RequestId:' "$T/hang.headers" | cut -d' ' -f2 | tr -d '\r')
assert_eq "init timeout" "{\"errorMessage\":\"RequestId: $rid Error: Runtime init did not complete within 10.00 seconds (it never called /runtime/invocation/next)\",\"errorType\":\"Sandbox.Timedout\"}" "$(cat "$T/hang.body")"
grep -qP '^INIT_REPORT Init Duration: [0-9.]+ ms\tPhase: init\tStatus: timeout$' "$T/hang.log" || fail "no INIT_REPORT for the timeout"
EMU_PID=$HANG_PID
stop_emulator
assert_eq "exit status" 0 "$EMU_RC"
echo ok
