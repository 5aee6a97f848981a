#!/bin/bash
# faas-lambda emulate as a service under valgrind: every REST operation, the
# Logs API, Function URLs (buffered and streamed), Event invokes with a
# retry, InvokeWithResponseStream, layers merged at /opt, errors, a pool of
# two sandboxes frozen and thawed, then SIGTERM. No leaks, no memory errors.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed"

make_task "$T/task"
make_zip "$T/task" "$T/fn.zip"
mkdir -p "$T/l1" "$T/l2"; echo one >"$T/l1/f"; echo two >"$T/l2/f"; echo x >"$T/l2/g"
make_zip "$T/l1" "$T/l1.zip"; make_zip "$T/l2" "$T/l2.zip"
PORT=$(free_port)
ENDPOINT=http://127.0.0.1:$PORT
valgrind --leak-check=full --error-exitcode=99 --log-file="$T/valgrind.txt" \
  "$FL" emulate --listen "127.0.0.1:$PORT" --state-dir "$T/state" --freeze-after 200ms \
  --async-retry-delays 100ms,100ms 2>"$T/emu.log" &
EMU_PID=$!
_pids+=("$EMU_PID")
wait_http "$ENDPOINT/" 60
api() { curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$1" "${@:3}" "$ENDPOINT$2"; }
ZIP=$(base64 -w0 "$T/fn.zip")
ROLE=arn:aws:iam::000000000000:role/r
A=arn:aws:lambda:us-east-1:000000000000

# layers
assert_eq "publish 1" 201 "$(api POST /2018-10-31/layers/L/versions -d "{\"Content\":{\"ZipFile\":\"$(base64 -w0 "$T/l1.zip")\"}}")"
assert_eq "publish 2" 201 "$(api POST /2018-10-31/layers/M/versions -d "{\"Content\":{\"ZipFile\":\"$(base64 -w0 "$T/l2.zip")\"},\"CompatibleRuntimes\":[\"provided.al2\"]}")"
assert_eq "get layer" 200 "$(api GET /2018-10-31/layers/L/versions/1)"
assert_eq "by arn" 200 "$(api GET "/2018-10-31/layers?find=LayerVersion&Arn=$A:layer:M:1")"
assert_eq "list layers" 200 "$(api GET /2018-10-31/layers)"
assert_eq "list versions" 200 "$(api GET /2018-10-31/layers/L/versions?MaxItems=1)"
# functions
code=$(api POST /2015-03-31/functions -d "{\"FunctionName\":\"vg\",\"Role\":\"$ROLE\",\"Runtime\":\"provided.al2023\",\"Handler\":\"h\",\"Code\":{\"ZipFile\":\"$ZIP\"},\"Layers\":[\"$A:layer:L:1\",\"$A:layer:M:1\"],\"Environment\":{\"Variables\":{\"RAPI_CLIENT\":\"$TASK_RAPI_CLIENT\"}},\"Tags\":{\"a\":\"b\"},\"Timeout\":5}")
assert_eq "create: $(cat "$T/body")" 201 "$code"
assert_eq "create again" 409 "$(api POST /2015-03-31/functions -d "{\"FunctionName\":\"vg\",\"Role\":\"$ROLE\",\"Runtime\":\"provided.al2\",\"Handler\":\"h\",\"Code\":{\"ZipFile\":\"$ZIP\"}}")"
assert_eq "invalid" 400 "$(api POST /2015-03-31/functions -d '{"FunctionName":"a.b","MemorySize":1,"Role":"x","Code":{}}')"
assert_eq "get" 200 "$(api GET /2015-03-31/functions/vg)"
assert_eq "get config" 200 "$(api GET /2015-03-31/functions/$A:function:vg/configuration)"
assert_eq "list" 200 "$(api GET '/2015-03-31/functions/?MaxItems=1')"
assert_eq "not found" 404 "$(api GET /2015-03-31/functions/nope)"
assert_eq "code download" 200 "$(api GET "/faas-lambda/code/$(sha256sum "$T/fn.zip" | cut -d' ' -f1).zip")"
# invokes: sync (twice at once: a pool of two), Tail, DryRun, Event with retries, a stream
assert_eq "opt" 200 "$(api POST /2015-03-31/functions/vg/invocations -d '{"do":"opt"}')"
assert_eq "merged /opt" "/opt/f: two /opt/g: x" "$(tr '\n' ' ' <"$T/body" | sed 's/ $//')"
curl -sS -o /dev/null -d '{"do":"nap","ms":1500}' "$ENDPOINT/2015-03-31/functions/vg/invocations" & nap=$!
assert_eq "concurrent" 200 "$(api POST /2015-03-31/functions/vg/invocations -d '{"do":"log"}' -H 'X-Amz-Log-Type: Tail')"
wait "$nap"
assert_eq "dry run" 204 "$(api POST /2015-03-31/functions/vg/invocations -d '{}' -H 'X-Amz-Invocation-Type: DryRun')"
assert_eq "event" 202 "$(api POST /2015-03-31/functions/vg/invocations -d '{"do":"error"}' -H 'X-Amz-Invocation-Type: Event')"
/usr/bin/python3 "$FL_TOP/tests/fixtures/emu_eventstream.py" "$ENDPOINT/2021-11-15/functions/vg/response-streaming-invocations" \
  '{"do":"stream"}' "$T/stream.out" >"$T/stream.txt"
assert_eq "stream" "hello streamed world" "$(cat "$T/stream.out")"
assert_eq "crash" 200 "$(api POST /2015-03-31/functions/vg/invocations -d '{"do":"exit"}')"
sleep 1   # frozen meanwhile
assert_eq "thawed" 200 "$(api POST /2015-03-31/functions/vg/invocations -d '{"after":"crash"}')"
# concurrency, tags, account
assert_eq "put concurrency" 200 "$(api PUT /2017-10-31/functions/vg/concurrency -d '{"ReservedConcurrentExecutions":3}')"
assert_eq "get concurrency" 200 "$(api GET /2019-09-30/functions/vg/concurrency)"
assert_eq "delete concurrency" 204 "$(api DELETE /2017-10-31/functions/vg/concurrency)"
assert_eq "tag" 204 "$(api POST "/2017-03-31/tags/$A:function:vg" -d '{"Tags":{"c":"d"}}')"
assert_eq "untag" 204 "$(api DELETE "/2017-03-31/tags/$A:function:vg?tagKeys=a")"
assert_eq "list tags" 200 "$(api GET "/2017-03-31/tags/$A:function:vg")"
assert_eq "account" 200 "$(api GET /2016-08-19/account-settings/)"
# updates
assert_eq "update config" 200 "$(api PUT /2015-03-31/functions/vg/configuration -d '{"MemorySize":256,"Layers":[]}')"
assert_eq "update code" 200 "$(api PUT /2015-03-31/functions/vg/code -d "{\"ZipFile\":\"$ZIP\"}")"
# Function URLs: buffered, then streamed
assert_eq "url" 201 "$(api POST /2021-10-31/functions/vg/url -d '{"AuthType":"NONE"}')"
host=$(jget "$T/body" 'd["FunctionUrl"]' | sed 's|http://||; s|:.*||')
assert_eq "url get" 200 "$(api GET /2021-10-31/functions/vg/url)"
assert_eq "served by host" 200 "$(api POST /x/y?z=1 -H "Host: $host" -d '{"via":"url"}')"
assert_eq "url update" 200 "$(api PUT /2021-10-31/functions/vg/url -d '{"InvokeMode":"RESPONSE_STREAM"}')"
assert_eq "served by path, streamed mode" 200 "$(api GET /lambda-url/vg/p)"
assert_eq "url list" 200 "$(api GET /2021-10-31/functions/vg/urls)"
assert_eq "url delete" 204 "$(api DELETE /2021-10-31/functions/vg/url)"
# logs
logs() { curl -sS -o "$T/body" -w '%{http_code}' -H "X-Amz-Target: Logs_20140328.$1" -d "$2" "$ENDPOINT/"; }
assert_eq "filter" 200 "$(logs FilterLogEvents '{"logGroupName":"/aws/lambda/vg","filterPattern":"REPORT","limit":2}')"
stream=$(logs DescribeLogStreams '{"logGroupName":"/aws/lambda/vg"}' >/dev/null; jget "$T/body" 'd["logStreams"][0]["logStreamName"]')
assert_eq "get events" 200 "$(logs GetLogEvents "{\"logGroupName\":\"/aws/lambda/vg\",\"logStreamName\":\"$stream\",\"startFromHead\":true,\"limit\":3}")"
assert_eq "groups" 200 "$(logs DescribeLogGroups '{}')"
assert_eq "no group" 400 "$(logs FilterLogEvents '{"logGroupName":"/aws/lambda/none"}')"
# deletes
assert_eq "delete layer version" 204 "$(api DELETE /2018-10-31/layers/L/versions/1)"
assert_eq "delete" 204 "$(api DELETE /2015-03-31/functions/vg)"

kill -TERM "$EMU_PID"
EMU_RC=0
wait "$EMU_PID" || EMU_RC=$?
[ "$EMU_RC" -ne 99 ] || fail "valgrind found errors: $(grep -A20 -E 'Invalid|uninitialised|lost in' "$T/valgrind.txt" | head -60)"
assert_eq "exit status" 0 "$EMU_RC"
grep -q "ERROR SUMMARY: 0 errors" "$T/valgrind.txt" || fail "valgrind: $(tail -n 20 "$T/valgrind.txt")"
grep -q "All heap blocks were freed -- no leaks are possible" "$T/valgrind.txt" ||
  fail "valgrind: memory still in use at exit: $(grep -A8 'HEAP SUMMARY' "$T/valgrind.txt")"
echo ok
