#!/bin/bash
# faas-lambda emulate with streamed responses (chunked, with the streaming
# mode header): collected for a RequestResponse invoke, 200 MB allowed, and
# errors carried in HTTP trailers or by a stream cut short.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

make_task "$T/task"
start_emulator "$T/emu.log" --task-root "$T/task" --name streamer
LOG=$T/emu.log

assert_eq "status" 200 "$(post_invoke streamer '{"do":"stream"}')"
assert_eq "collected stream" "hello streamed world" "$(cat "$T/body")"
assert_eq "function error" "" "$(header X-Amz-Function-Error)"
wait_log "$LOG" "stream answered: STATUS 202"

assert_eq "status" 200 "$(post_invoke streamer '{"do":"stream_big"}')"
assert_eq "8 MB streamed (over the 6 MB buffered limit)" 8000000 "$(stat -c %s "$T/body")"
assert_eq "content" 8000000 "$(tr -cd x <"$T/body" | wc -c)"
wait_log "$LOG" "stream_big answered: STATUS 202"

assert_eq "status" 200 "$(post_invoke streamer '{"do":"stream_error"}')"
assert_eq "function error" Unhandled "$(header X-Amz-Function-Error)"
assert_eq "error from the trailers" '{"errorMessage":"lost the upstream","errorType":"Runtime.StreamError"}' "$(cat "$T/body")"
wait_log "$LOG" "stream_error answered: STATUS 202"

assert_eq "status" 200 "$(post_invoke streamer '{"do":"stream_error_type_only"}')"
assert_eq "function error" Unhandled "$(header X-Amz-Function-Error)"
assert_eq "error from the type trailer" '{"errorMessage":"Unknown application error occurred","errorType":"Function.Oops"}' "$(cat "$T/body")"

assert_eq "status" 200 "$(post_invoke streamer '{"do":"stream_drop"}')"
assert_eq "function error" Unhandled "$(header X-Amz-Function-Error)"
rid=$(header X-Amzn-RequestId)
assert_eq "stream cut short" "{\"errorMessage\":\"RequestId: $rid Error: the runtime's response ended before it was complete\",\"errorType\":\"Runtime.TruncatedResponse\"}" "$(cat "$T/body")"

# the runtime carries on afterwards
assert_eq "status" 200 "$(post_invoke streamer '{"after":"streams"}')"
assert_eq "echo" '{"after":"streams"}' "$(cat "$T/body")"
assert_eq "cold starts" 1 "$(grep -c 'Init Duration' "$LOG")"
stop_emulator
assert_eq "exit status" 0 "$EMU_RC"
echo ok
