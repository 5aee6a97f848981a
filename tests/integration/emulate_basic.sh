#!/bin/bash
# faas-lambda emulate, the working path: invokes through curl and the AWS CLI,
# what the runtime is given (event, headers, environment, sandbox), the Invoke
# API's answers and errors, the log lines, and a clean shutdown.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

make_task "$T/task"
touch "/tmp/faas-lambda-host-marker-$$"
trap 'rm -f "/tmp/faas-lambda-host-marker-$$"; cleanup' EXIT
PORT=$(free_port)
start_emulator "$T/emu.log" --task-root "$T/task" --name basic --handler my.handler --memory 256 \
  --env FOO=bar --env TZ=Europe/Paris --env "HOST_PROBE=127.0.0.1:$PORT"
LOG=$T/emu.log
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

# --- the payload goes to the runtime and back byte for byte
printf '{"text":"h\\u00e9llo \\"q\\"","n":[1,2.5e3,null,true],"deep":{"k":"ünïcödé ✓"},"sp":  " "}\n' >"$T/event.json"
assert_eq "status" 200 "$(post_invoke basic "@$T/event.json")"
cmp "$T/event.json" "$T/body" || fail "payload changed on the way: $(cat "$T/body")"
assert_eq "content type" "application/json" "$(header Content-Type)"
assert_eq "executed version" '$LATEST' "$(header X-Amz-Executed-Version)"
rid=$(header X-Amzn-RequestId)
[[ $rid =~ $UUID_RE ]] || fail "request id [$rid] is not a UUID"
assert_eq "function error" "" "$(header X-Amz-Function-Error)"
wait_log "$LOG" "REPORT RequestId: $rid"
grep -qxF "START RequestId: $rid Version: \$LATEST" "$LOG" || fail "no START line for $rid"
grep -qxF "handling $rid" "$LOG" || fail "the function's own line is not in the log unmodified"
grep -qxF "END RequestId: $rid" "$LOG" || fail "no END line for $rid"
report=$(grep "^REPORT RequestId: $rid" "$LOG")
[[ $report =~ ^REPORT\ RequestId:\ $rid$'\t'Duration:\ [0-9]+\.[0-9]{2}\ ms$'\t'Billed\ Duration:\ [0-9]+\ ms$'\t'Memory\ Size:\ 256\ MB$'\t'Max\ Memory\ Used:\ [1-9][0-9]*\ MB$'\t'Init\ Duration:\ [0-9]+\.[0-9]{2}\ ms$ ]] ||
  fail "REPORT line of the cold start: [$report]"

# --- what the runtime got with the event
before=$(date +%s%3N)
cc=$(printf '{"custom":{"k":"v"},\n "env":{}}' | base64 -w0)
assert_eq "status" 200 "$(post_invoke basic '{"do":"headers"}' -H "X-Amz-Client-Context: $cc")"
rid=$(header X-Amzn-RequestId)
seen=$(cat "$T/body")
assert_contains "next headers" "$seen" "Lambda-Runtime-Aws-Request-Id: $rid"
assert_contains "next headers" "$seen" "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:basic"
assert_contains "next headers" "$seen" 'Lambda-Runtime-Client-Context: {"custom":{"k":"v"},"env":{}}'
assert_contains "next headers" "$seen" "Content-Type: application/json"
assert_contains "next headers" "$seen" "Content-Length: 16"
trace=$(sed -n 's/^Lambda-Runtime-Trace-Id: //p' <<<"$seen")
[[ $trace =~ ^Root=1-[0-9a-f]{8}-[0-9a-f]{24}\;Parent=[0-9a-f]{16}\;Sampled=0$ ]] || fail "trace id [$trace]"
deadline=$(sed -n 's/^Lambda-Runtime-Deadline-Ms: //p' <<<"$seen")
((deadline >= before + 2900 && deadline <= $(date +%s%3N) + 3100)) || fail "deadline $deadline is not 3 s after $before"

# --- the environment: Lambda's, the user's, nothing of the host's
assert_eq "status" 200 "$(post_invoke basic '{"do":"env"}')"
got=$(grep -vE '^(PWD|SHLVL|_)=' "$T/body" | sed -E 's#(AWS_LAMBDA_LOG_STREAM_NAME=)[0-9]{4}/[0-9]{2}/[0-9]{2}/\[\$LATEST\][0-9a-f]{32}$#\1OK#' | LC_ALL=C sort)
want=$(LC_ALL=C sort <<EOT
AWS_ACCESS_KEY_ID=ASIAEMULATOR00000000
AWS_DEFAULT_REGION=us-east-1
AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256
AWS_LAMBDA_FUNCTION_NAME=basic
AWS_LAMBDA_FUNCTION_VERSION=\$LATEST
AWS_LAMBDA_INITIALIZATION_TYPE=on-demand
AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/basic
AWS_LAMBDA_LOG_STREAM_NAME=OK
AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001
AWS_REGION=us-east-1
AWS_SECRET_ACCESS_KEY=faas-lambda-emulate-dummy-secret-access-key
AWS_SESSION_TOKEN=faas-lambda-emulate-dummy-session-token
FOO=bar
HOST_PROBE=127.0.0.1:$PORT
LAMBDA_RUNTIME_DIR=/var/runtime
LAMBDA_TASK_ROOT=/var/task
LANG=en_US.UTF-8
LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib
PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin
RAPI_CLIENT=/var/task/rapi_client
TZ=Europe/Paris
_HANDLER=my.handler
EOT
)
assert_eq "sandbox environment" "$want" "$got"

# --- the sandbox: read-only code and root, private /tmp, empty /opt, no way out
assert_eq "status" 200 "$(post_invoke basic '{"do":"isolation"}')"
assert_eq "sandbox" "task: read-only
root: read-only
tmp: writable
opt: []
run: []
host tmp: 0
cwd: /var/task
uid: 0
pid1: bwrap
host: unreachable
caps: 0000000000000000" "$(cat "$T/body")"

# --- warm: the same runtime process serves the next invoke
assert_eq "status" 200 "$(post_invoke basic '{"do":"count"}')"
n1=$(jget "$T/body" 'd["count"]')
assert_eq "status" 200 "$(post_invoke basic '{"do":"count"}')"
assert_eq "warm post_invoke count" "$((n1 + 1))" "$(jget "$T/body" 'd["count"]')"

# --- the payload limit: 6291456 bytes pass (and come back), one more is refused
{ printf '"'; head -c 6291454 /dev/zero | tr '\0' 'p'; printf '"'; } >"$T/max.json"
assert_eq "status at the limit" 200 "$(post_invoke basic "@$T/max.json")"
cmp "$T/max.json" "$T/body" || fail "6 MB payload did not come back intact"
{ printf '"'; head -c 6291455 /dev/zero | tr '\0' 'p'; printf '"'; } >"$T/over.json"
assert_eq "status over the limit" 413 "$(post_invoke basic "@$T/over.json")"
assert_eq "error type" RequestTooLargeException "$(header x-amzn-ErrorType)"
assert_eq "error body" '{"Type":"User","message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}' "$(cat "$T/body")"

# --- the Invoke API's own errors, in AWS's shape
assert_eq "not JSON" 400 "$(post_invoke basic '{"a":')"
assert_eq "error type" InvalidRequestContentException "$(header x-amzn-ErrorType)"
assert_eq "bad client context" 400 "$(post_invoke basic '{}' -H 'X-Amz-Client-Context: !!!')"
assert_eq "error type" InvalidRequestContentException "$(header x-amzn-ErrorType)"
assert_eq "bad invocation type" 400 "$(post_invoke basic '{}' -H 'X-Amz-Invocation-Type: Sometimes')"
assert_eq "error type" ValidationException "$(header x-amzn-ErrorType)"
assert_eq "unknown function" 404 "$(post_invoke nope '{}')"
assert_eq "error type" ResourceNotFoundException "$(header x-amzn-ErrorType)"
assert_eq "error body" '{"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"}' "$(cat "$T/body")"
assert_eq "other version" 404 "$(post_invoke 'basic:7' '{}')"
assert_contains "error body" "$(cat "$T/body")" "function:basic:7"
assert_eq "by ARN" 200 "$(post_invoke 'arn:aws:lambda:us-east-1:000000000000:function:basic:$LATEST' '{"by":"arn"}')"
assert_eq "ARN of another region" 404 "$(post_invoke 'arn:aws:lambda:eu-west-1:000000000000:function:basic' '{}')"
assert_eq "dry run" 204 "$(post_invoke basic '{}' -H 'X-Amz-Invocation-Type: DryRun')"
assert_eq "dry run, unknown function" 404 "$(post_invoke nope '{}' -H 'X-Amz-Invocation-Type: DryRun')"
assert_eq "event" 202 "$(post_invoke basic '{"async":1}' -H 'X-Amz-Invocation-Type: Event')"
wait_log "$LOG" "handling $(header X-Amzn-RequestId)"
code=$(curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' "$ENDPOINT/2015-03-31/functions/basic/invocations")
assert_eq "unknown route" 404 "$code"
assert_eq "error type" UnknownOperationException "$(header x-amzn-ErrorType)"
assert_eq "error body" '{"Type":"User","message":"Unknown operation: GET /2015-03-31/functions/basic/invocations"}' "$(cat "$T/body")"

# --- the AWS CLI as the client
aws_lambda invoke --function-name basic --payload "fileb://$T/event.json" "$T/out.json" >"$T/cli.json" ||
  fail "aws lambda post_invoke failed"
cmp "$T/event.json" "$T/out.json" || fail "AWS CLI payload differs"
assert_eq "CLI status" 200 "$(jget "$T/cli.json" 'd["StatusCode"]')"
assert_eq "CLI version" '$LATEST' "$(jget "$T/cli.json" 'd["ExecutedVersion"]')"
assert_eq "CLI function error" False "$(jget "$T/cli.json" '"FunctionError" in d')"

printf '{"do":"log"}' >"$T/log.json"
aws_lambda invoke --function-name basic --payload "fileb://$T/log.json" --log-type Tail "$T/out.json" >"$T/cli.json" ||
  fail "aws lambda invoke --log-type Tail failed"
tail_log=$(jget "$T/cli.json" 'd["LogResult"]' | base64 -d)
rid=$(sed -n 's/^START RequestId: \([^ ]*\) Version: \$LATEST$/\1/p' <<<"$tail_log")
[[ $rid =~ $UUID_RE ]] || fail "no START line in the tail: [$tail_log]"
want_tail="START RequestId: $rid Version: \$LATEST
handling $rid
to stdout: line one
to stderr: line two
no newline at the end
END RequestId: $rid"
assert_eq "log tail" "$want_tail" "$(grep -v '^REPORT' <<<"$tail_log")"
assert_contains "log tail" "$(tail -n 1 <<<"$tail_log")" "REPORT RequestId: $rid"

aws_lambda invoke --function-name basic --payload "fileb://$T/log.json" --client-context "$cc" --qualifier '$LATEST' \
  "$T/out.json" >/dev/null || fail "post_invoke with a client context and a qualifier failed"
aws_lambda invoke --function-name arn:aws:lambda:us-east-1:000000000000:function:basic \
  --payload "fileb://$T/event.json" "$T/out.json" >/dev/null || fail "post_invoke by ARN failed"
cmp "$T/event.json" "$T/out.json" || fail "AWS CLI payload differs (by ARN)"
aws_lambda invoke --function-name basic --invocation-type DryRun "$T/out.json" >"$T/cli.json" || fail "DryRun failed"
assert_eq "DryRun status" 204 "$(jget "$T/cli.json" 'd["StatusCode"]')"

rc=0
aws_lambda invoke --function-name nope "$T/out.json" >"$T/cli.out" 2>"$T/cli.err" || rc=$?
[ "$rc" -ne 0 ] || fail "the AWS CLI succeeded on an unknown function"
assert_contains "CLI error" "$(cat "$T/cli.err")" "ResourceNotFoundException"
assert_contains "CLI error" "$(cat "$T/cli.err")" "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
aws_lambda invoke --function-name basic --invocation-type Event --payload "fileb://$T/log.json" "$T/out.json" >"$T/cli.json" ||
  fail "an Event invoke with the AWS CLI"
assert_eq "Event: status" 202 "$(jget "$T/cli.json" 'd["StatusCode"]')"

# --- one sandbox served it all; SIGTERM ends the emulator cleanly
assert_eq "cold starts" 1 "$(grep -c 'Init Duration' "$LOG")"
stop_emulator
assert_eq "exit status" 0 "$EMU_RC"
assert_contains "log" "$(cat "$LOG")" "SIGTERM: shutting down"
grep -q "got SIGTERM" "$LOG" && fail "a runtime without an extension got SIGTERM"
echo "ok"
