#!/bin/bash
# Invoke through the REST API: Event invokes (202, queued, retried twice on
# error after the configured delays, under one request id), payload limits
# with AWS's error types, InvokeWithResponseStream in the event stream
# encoding (read by botocore's decoder, which checks every CRC), and
# concurrency: the account limit and reserved concurrency throttle with 429
# TooManyRequestsException and Lambda's Reason.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

make_task "$T/task"
make_zip "$T/task" "$T/fn.zip"
start_service --concurrency-limit 3 --async-retry-delays 300ms,600ms
LOG=$T/emulate.log
ENV="Variables={RAPI_CLIENT=$TASK_RAPI_CLIENT}"
for f in inv busy other; do create_fn "$f" "$T/fn.zip" --environment "$ENV" --timeout 10 >/dev/null; done

# --- Event: 202 at once; the runtime gets it; errors retried twice with the delays
aws_lambda invoke --function-name inv --invocation-type Event --cli-binary-format raw-in-base64-out \
  --payload '{"event":1}' "$T/out" >"$T/cli.json"
assert_eq "Event status" 202 "$(jget "$T/cli.json" 'd["StatusCode"]')"
assert_eq "Event: no payload" 0 "$(stat -c %s "$T/out")"
post_invoke inv '{"do":"error"}' -H 'X-Amz-Invocation-Type: Event' >"$T/status"
assert_eq "Event status" 202 "$(cat "$T/status")"
rid=$(header X-Amzn-RequestId)
wait_log "$LOG" "attempt 3 failed (Function.MyError); dropped" 10
assert_eq "attempts, one request id" 3 "$(grep -c "^handling $rid$" "$LOG")"
grep -q "Event invoke $rid of inv: attempt 1 failed (Function.MyError); retry in 300 ms" "$LOG" || fail "first retry delay"
grep -q "Event invoke $rid of inv: attempt 2 failed (Function.MyError); retry in 600 ms" "$LOG" || fail "second retry delay"
t=($(grep -n "REPORT RequestId: $rid" "$LOG" | cut -d: -f1))
assert_eq "three REPORT lines" 3 "${#t[@]}"
# Event payload limit: 1 MB (1048576 bytes) passes, one more byte does not
{ printf '"'; head -c 1048574 /dev/zero | tr '\0' 'e'; printf '"'; } >"$T/1mb.json"
assert_eq "Event at the limit" 202 "$(post_invoke inv "@$T/1mb.json" -H 'X-Amz-Invocation-Type: Event')"
{ printf '"'; head -c 1048575 /dev/zero | tr '\0' 'e'; printf '"'; } >"$T/over.json"
assert_eq "Event over the limit" 413 "$(post_invoke inv "@$T/over.json" -H 'X-Amz-Invocation-Type: Event')"
assert_eq "error" "RequestTooLargeException" "$(header x-amzn-ErrorType)"
assert_contains "message" "$(cat "$T/body")" "Request must be smaller than 1048576 bytes for the InvokeFunction operation"
expect_cli_error 254 ResourceNotFoundException "function:nope" \
  aws_lambda invoke --function-name nope --invocation-type Event "$T/out"
# sync limit through the CLI: 6 MB + 1 byte
{ printf '"'; head -c 6291455 /dev/zero | tr '\0' 'p'; printf '"'; } >"$T/6mb.json"
expect_cli_error 254 RequestTooLargeException "Request must be smaller than 6291456 bytes for the InvokeFunction operation" \
  aws_lambda invoke --function-name inv --payload "fileb://$T/6mb.json" "$T/out"

# --- DryRun and Tail
aws_lambda invoke --function-name inv --invocation-type DryRun "$T/out" >"$T/cli.json"
assert_eq "DryRun" 204 "$(jget "$T/cli.json" 'd["StatusCode"]')"
aws_lambda invoke --function-name inv --log-type Tail --cli-binary-format raw-in-base64-out --payload '{"do":"log"}' \
  "$T/out" >"$T/cli.json"
jget "$T/cli.json" 'd["LogResult"]' | base64 -d | grep -q "^to stderr: line two$" || fail "Tail"

# --- InvokeWithResponseStream (this AWS CLI predates it: botocore's decoder reads it)
ES() { /usr/bin/python3 "$FL_TOP/tests/fixtures/emu_eventstream.py" "$ENDPOINT/2021-11-15/functions/$1/response-streaming-invocations" "${@:2}"; }
ES inv '{"do":"stream"}' "$T/s.out" >"$T/s.txt"
assert_eq "streamed payload" "hello streamed world" "$(cat "$T/s.out")"
assert_eq "events" "STATUS 200 application/vnd.amazon.eventstream" "$(head -1 "$T/s.txt")"
assert_eq "the end" "InvokeComplete {}" "$(tail -1 "$T/s.txt")"
ES inv '{"do":"stream_big"}' "$T/s.out" >"$T/s.txt"
assert_eq "8 MB streamed" 8000000 "$(stat -c %s "$T/s.out")"
[ "$(grep -c PayloadChunk "$T/s.txt")" -gt 10 ] || fail "8 MB came in too few chunks: $(grep -c PayloadChunk "$T/s.txt")"
ES inv '{"buffered":"answer"}' "$T/s.out" X-Amz-Log-Type:Tail >"$T/s.txt"
assert_eq "a buffered answer, streamed" '{"buffered":"answer"}' "$(cat "$T/s.out")"
tail -1 "$T/s.txt" | sed 's/^InvokeComplete //' | jget /dev/stdin 'd["LogResult"]' | base64 -d | grep -q '^REPORT RequestId' ||
  fail "LogResult in InvokeComplete"
ES inv '{"do":"stream_error"}' "$T/s.out" >"$T/s.txt"
assert_eq "error after a partial stream" "partial " "$(cat "$T/s.out")"
assert_eq "error code" Runtime.StreamError "$(tail -1 "$T/s.txt" | sed 's/^InvokeComplete //' | jget /dev/stdin 'd["ErrorCode"]')"
ES inv '{"do":"exit"}' "$T/s.out" >"$T/s.txt"
assert_eq "a crash" Runtime.ExitError "$(tail -1 "$T/s.txt" | sed 's/^InvokeComplete //' | jget /dev/stdin 'd["ErrorCode"]')"
ES nope '{}' "$T/s.out" >"$T/s.txt"
assert_eq "unknown function" "STATUS 404 application/json" "$(head -1 "$T/s.txt")"

# --- concurrency: 3 for the account; a 4th concurrent invoke is throttled
nap() { curl -sS -o "$T/nap.$1.$2" -w '%{http_code}' -d "{\"do\":\"nap\",\"ms\":$3}" "$ENDPOINT/2015-03-31/functions/$1/invocations" >"$T/nap.$1.$2.code"; }
naps=()
# nap_bg NAME N MS: a nap in the background; wait_naps waits for them all
nap_bg() { nap "$@" & naps+=($!); }
wait_naps() { local p; for p in "${naps[@]}"; do wait "$p"; done; naps=(); }
nap_bg busy 1 3000; nap_bg busy 2 3000; nap_bg other 3 3000
sleep 0.5
assert_eq "over the account limit" 429 "$(post_invoke inv '{}')"
assert_eq "error type" TooManyRequestsException "$(header x-amzn-ErrorType)"
assert_eq "body" '{"Type":"User","message":"Rate Exceeded.","Reason":"ConcurrentInvocationLimitExceeded"}' "$(cat "$T/body")"
AWS_MAX_ATTEMPTS=1 expect_cli_error 254 TooManyRequestsException "Rate Exceeded." \
  aws_lambda invoke --function-name inv "$T/out"
wait_naps
for i in 1 2 3; do assert_eq "the first 3 ran" 200 "$(cat "$T"/nap.*.$i.code)"; done
assert_eq "free again" 200 "$(post_invoke inv '{}')"

# reserved concurrency: 0 throttles; 1 lets one run at a time and is taken from the account's 3
aws_lambda put-function-concurrency --function-name other --reserved-concurrent-executions 0 >"$T/cli.json"
assert_eq "put" 0 "$(jget "$T/cli.json" 'd["ReservedConcurrentExecutions"]')"
assert_eq "reserved 0" 429 "$(post_invoke other '{}')"
assert_eq "reason" '{"Type":"User","message":"Rate Exceeded.","Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"}' "$(cat "$T/body")"
aws_lambda put-function-concurrency --function-name other --reserved-concurrent-executions 1 >/dev/null
assert_eq "get" 1 "$(aws_lambda get-function-concurrency --function-name other | jget /dev/stdin 'd["ReservedConcurrentExecutions"]')"
aws_lambda get-account-settings >"$T/acct.json"
assert_eq "account" "3 2 3" "$(jget "$T/acct.json" '"%d %d %d" % (d["AccountLimit"]["ConcurrentExecutions"], d["AccountLimit"]["UnreservedConcurrentExecutions"], d["AccountUsage"]["FunctionCount"])')"
nap_bg other 4 1000
sleep 0.3
assert_eq "reserved 1, one running" 429 "$(post_invoke other '{}')"
nap_bg busy 5 1000; nap_bg busy 6 1000
sleep 0.3
assert_eq "the unreserved 2 are taken" 429 "$(post_invoke inv '{}')"
wait_naps
expect_cli_error 254 InvalidParameterValueException "decreases account's UnreservedConcurrentExecution below its minimum value" \
  aws_lambda put-function-concurrency --function-name busy --reserved-concurrent-executions 3
aws_lambda delete-function-concurrency --function-name other
assert_eq "no reservation" "" "$(aws_lambda get-function-concurrency --function-name other | tr -d '{} \n')"
aws_lambda get-function --function-name other | jget /dev/stdin '"Concurrency" in d' | grep -qx False || fail "Concurrency after delete"
expect_cli_error 254 ResourceNotFoundException "function:nope" \
  aws_lambda put-function-concurrency --function-name nope --reserved-concurrent-executions 1
stop_service
echo ok
