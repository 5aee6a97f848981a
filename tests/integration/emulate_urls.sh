#!/bin/bash
# Function URLs: the config API through the AWS CLI, and the URLs served on
# the emulator's port by host name (curl --resolve, or a Host header) and by
# path (/lambda-url/NAME/...), with the real bootstrap and the fixture
# watchdog behind them: requests arrive exactly, answers come back exactly,
# buffered (BUFFERED) or streamed as the watchdog writes them
# (RESPONSE_STREAM); errors as AWS gives them.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

make_task_root "$T/buf" '{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"]}'
make_task_root "$T/str" '{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"],"invoke_mode":"response_stream"}'
make_zip "$T/buf" "$T/buf.zip"; make_zip "$T/str" "$T/str.zip"
start_service
create_fn web "$T/buf.zip" --timeout 10 >/dev/null
create_fn streamer "$T/str.zip" --timeout 10 >/dev/null
PORT=${ENDPOINT##*:}

# --- the config API
aws_lambda create-function-url-config --function-name web --auth-type NONE \
  --cors 'AllowOrigins=https://example.com,MaxAge=60' >"$T/u.json"
URL=$(jget "$T/u.json" 'd["FunctionUrl"]')
[[ $URL =~ ^http://[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:$PORT/$ ]] || fail "FunctionUrl [$URL]"
assert_eq "arn" arn:aws:lambda:us-east-1:000000000000:function:web "$(jget "$T/u.json" 'd["FunctionArn"]')"
assert_eq "cors" "['https://example.com'] 60" "$(jget "$T/u.json" 'd["Cors"]["AllowOrigins"], d["Cors"]["MaxAge"]' | tr -d '(),')"
expect_cli_error 254 ResourceConflictException "FunctionUrlConfig exists for this Lambda function" \
  aws_lambda create-function-url-config --function-name web --auth-type NONE
aws_lambda get-function-url-config --function-name web >"$T/g.json"
assert_eq "get" "$URL NONE" "$(jget "$T/g.json" 'd["FunctionUrl"] + " " + d["AuthType"]')"
[ -n "$(jget "$T/g.json" 'd["LastModifiedTime"]')" ] || fail "LastModifiedTime"
aws_lambda update-function-url-config --function-name web --auth-type AWS_IAM >"$T/up.json"
assert_eq "updated" AWS_IAM "$(jget "$T/up.json" 'd["AuthType"]')"
assert_eq "list" "['$URL']" "$(aws_lambda list-function-url-configs --function-name web | jget /dev/stdin '[u["FunctionUrl"] for u in d["FunctionUrlConfigs"]]')"
expect_cli_error 254 ResourceNotFoundException "The resource you requested does not exist." \
  aws_lambda get-function-url-config --function-name streamer
expect_cli_error 254 ValidationException "at 'authType' failed to satisfy constraint" \
  aws_lambda create-function-url-config --function-name streamer --auth-type NOPE
HOST=${URL#http://}; HOST=${HOST%%:*}

# AWS_IAM: an unsigned request is refused, a signed one passes
code=$(curl -sS -o "$T/body" -w '%{http_code}' --resolve "$HOST:$PORT:127.0.0.1" "$URL")
assert_eq "IAM, unsigned" 403 "$code"
assert_eq "body" '{"Message":"Forbidden"}' "$(cat "$T/body")"
code=$(curl -sS -o "$T/body" -w '%{http_code}' --resolve "$HOST:$PORT:127.0.0.1" --aws-sigv4 aws:amz:us-east-1:lambda \
  --user AKIDEXAMPLE:secret "$URL")
assert_eq "IAM, signed" 200 "$code"
aws_lambda update-function-url-config --function-name web --auth-type NONE >/dev/null

# --- by host name: method, path, query, headers and body arrive exactly
printf 'line one\n\x00\x01binary\xff' >"$T/req.bin"
curl -sS -o "$T/echo.json" -D "$T/h" --resolve "$HOST:$PORT:127.0.0.1" -X PUT -H 'X-One: 1' -H 'X-Multi: a' -H 'X-Multi: b' \
  -H 'Content-Type: application/octet-stream' --data-binary "@$T/req.bin" "${URL}some/p%20ath?b=2&a=1&a=%2F"
assert_eq "method" PUT "$(jget "$T/echo.json" 'd["method"]')"
assert_eq "path" "/some/p%20ath" "$(jget "$T/echo.json" 'd["path"]')"
assert_eq "query" "b=2&a=1&a=%2F" "$(jget "$T/echo.json" 'd["query"]')"
assert_eq "headers" "['1'] ['a', 'b']" "$(jget "$T/echo.json" '"%s %s" % ([v for k, v in d["headers"] if k.lower()=="x-one"], [v for k, v in d["headers"] if k.lower()=="x-multi"])')"
python3 -c 'import json,sys,base64; d=json.load(open(sys.argv[1])); sys.exit(base64.b64decode(d["body_base64"]) != open(sys.argv[2],"rb").read())' \
  "$T/echo.json" "$T/req.bin" || fail "binary request body"
grep -qi '^x-amzn-requestid: ' "$T/h" || fail "x-amzn-RequestId"

# a Host header works as well as --resolve; status, headers, cookies and a binary body come back
curl -sS -o "$T/bin.out" -D "$T/h" -H "Host: $HOST" -H 'X-Fixture-Status: 201' -H 'X-Fixture-Header: X-Out: yes' \
  -H 'X-Fixture-Header: Set-Cookie: a=1' -H 'X-Fixture-Header: Set-Cookie: b=2' -H 'X-Fixture-Body-Size: 70000' \
  -H 'X-Fixture-Binary: 1' "http://127.0.0.1:$PORT/x"
grep -q '^HTTP/1.1 201' "$T/h" || fail "status: $(head -1 "$T/h")"
grep -qi '^X-Out: yes' "$T/h" || fail "response header"
assert_eq "cookies" 2 "$(grep -ci '^set-cookie: ' "$T/h")"
python3 - "$T/bin.out" <<'PY' || fail "binary response body"
import sys
data = open(sys.argv[1], "rb").read()
x, want = 1, bytearray()
for _ in range(70000):
    x ^= (x << 13) & 0xffffffff; x ^= x >> 17; x ^= (x << 5) & 0xffffffff
    want.append(x & 0xff)
sys.exit(data != bytes(want))
PY

# --- by path
code=$(curl -sS -o "$T/echo.json" -w '%{http_code}' "http://127.0.0.1:$PORT/lambda-url/web/deep/er?q=1")
assert_eq "by path" "200 /deep/er q=1" "$code $(jget "$T/echo.json" 'd["path"] + " " + d["query"]')"
curl -sS -o "$T/echo.json" "http://127.0.0.1:$PORT/lambda-url/web"
assert_eq "the root by path" / "$(jget "$T/echo.json" 'd["path"]')"
code=$(curl -sS -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$PORT/lambda-url/streamer/x")
assert_eq "a function without a URL" "403 {\"Message\":\"Forbidden\"}" "$code $(cat "$T/body")"
code=$(curl -sS -o "$T/body" -w '%{http_code}' -H "Host: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.lambda-url.us-east-1.localhost" "http://127.0.0.1:$PORT/")
assert_eq "an unknown URL id" 403 "$code"
# a failing function: 502
code=$(curl -sS -o "$T/body" -w '%{http_code}' -H 'X-Fixture-Crash: before' "http://127.0.0.1:$PORT/lambda-url/web/")
assert_eq "crash" "502 {\"Message\":\"Internal Server Error\"}" "$code $(cat "$T/body")"

# --- RESPONSE_STREAM: the body arrives as the watchdog writes it
aws_lambda create-function-url-config --function-name streamer --auth-type NONE --invoke-mode RESPONSE_STREAM >"$T/s.json" 2>/dev/null ||
  curl -sS -o "$T/s.json" -X POST -d '{"AuthType":"NONE","InvokeMode":"RESPONSE_STREAM"}' "$ENDPOINT/2021-10-31/functions/streamer/url"
assert_eq "invoke mode" RESPONSE_STREAM "$(jget "$T/s.json" 'd["InvokeMode"]')"
times=$(curl -sS -o "$T/stream.out" -D "$T/h" -w '%{time_starttransfer} %{time_total}' -H 'X-Fixture-Chunks: 4,25000,400' \
  -H 'X-Fixture-Header: X-Streamed: 1' "http://127.0.0.1:$PORT/lambda-url/streamer/s")
grep -q '^HTTP/1.1 200' "$T/h" || fail "streamed status"
grep -qi '^X-Streamed: 1' "$T/h" || fail "header from the prelude"
grep -qi '^transfer-encoding: chunked' "$T/h" || fail "not chunked: $(cat "$T/h")"
assert_eq "streamed size" 100000 "$(stat -c %s "$T/stream.out")"
python3 -c 'import sys; first, total = map(float, sys.argv[1:]); sys.exit(not (first < 0.6 and total - first > 0.9))' $times ||
  fail "not streamed: first byte / total = $times s"
head -c 26 "$T/stream.out" | grep -qx abcdefghijklmnopqrstuvwxyz || fail "stream content"
# a buffered answer from a streaming URL's function still comes back whole
aws_lambda update-function-url-config --function-name web --invoke-mode RESPONSE_STREAM >/dev/null 2>&1 ||
  curl -sS -o /dev/null -X PUT -d '{"InvokeMode":"RESPONSE_STREAM"}' "$ENDPOINT/2021-10-31/functions/web/url"
code=$(curl -sS -o "$T/echo.json" -w '%{http_code}' "http://127.0.0.1:$PORT/lambda-url/web/buffered")
assert_eq "buffered function, streaming URL" "200 /buffered" "$code $(jget "$T/echo.json" 'd["path"]')"

# --- delete; the URL is gone; config survives a restart
aws_lambda delete-function-url-config --function-name web
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/lambda-url/web/")
assert_eq "deleted" 403 "$code"
stop_service; start_service
PORT=${ENDPOINT##*:}
# (this AWS CLI's model predates InvokeMode: read it with curl)
assert_eq "after a restart" RESPONSE_STREAM "$(curl -sS "$ENDPOINT/2021-10-31/functions/streamer/url" | jget /dev/stdin 'd["InvokeMode"]')"
stop_service
echo ok
