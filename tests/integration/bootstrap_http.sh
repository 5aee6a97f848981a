# The static bootstrap in `faas-lambda emulate` with the fixture watchdog:
# every HTTP event kind and a raw event reach the watchdog exactly, and the
# answer comes back in the Lambda response shape of the event's kind.
. "$FL_TOP/tests/lib.sh"
make_task_root "$T/task" '{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"]}'
start_emulate "$T/task"

# API Gateway REST (payload 1.0)
invoke "$EVENTS/aws-lambda-go/apigw-request.json" "$T/rest.json" > "$T/cli.json"
assert_eq "REST: no function error" "None" "$(json "$T/cli.json" 'j.get("FunctionError")')"
assert_eq "REST: statusCode" 200 "$(json "$T/rest.json" 'j["statusCode"]')"
assert_eq "REST: response uses multiValueHeaders" "['application/json']" \
  "$(json "$T/rest.json" '[v for k, v in j["multiValueHeaders"].items() if k.lower() == "content-type"][0]')"
assert_eq "REST: no single-value headers" "False" "$(json "$T/rest.json" '"headers" in j')"
assert_eq "REST: method" POST "$(echo_field "$T/rest.json" 'e["method"]')"
assert_eq "REST: path" /hello/world "$(echo_field "$T/rest.json" 'e["path"]')"
assert_eq "REST: query" name=me "$(echo_field "$T/rest.json" 'e["query"]')"
assert_eq "REST: header" "['headerValue']" "$(echo_field "$T/rest.json" 'hdr("headerName")')"
assert_eq "REST: body" "True" \
  "$(echo_field "$T/rest.json" "body().decode() == json.load(open('$EVENTS/aws-lambda-go/apigw-request.json'))['body']")"
assert_eq "REST: X-Call-Id is the request id" "True" \
  "$(echo_field "$T/rest.json" 'hdr("X-Call-Id")[0] == json.loads(hdr("x-amzn-lambda-context")[0])["request_id"]')"
assert_eq "REST: request context forwarded" "deef4878-7910-11e6-8f14-25afc3e9ae33" \
  "$(echo_field "$T/rest.json" 'json.loads(hdr("x-amzn-request-context")[0])["requestId"]')"
assert_eq "REST: lambda context" "fn" \
  "$(echo_field "$T/rest.json" 'json.loads(hdr("x-amzn-lambda-context")[0])["env_config"]["function_name"]')"

# Function URL with cookies and a query
invoke "$EVENTS/aws-lambda-go/function-url-request-with-headers-and-cookies-and-text-body.json" "$T/url.json" >/dev/null
assert_eq "URL: statusCode" 200 "$(json "$T/url.json" 'j["statusCode"]')"
assert_eq "URL: response has headers" "True" "$(json "$T/url.json" '"headers" in j and "multiValueHeaders" not in j')"
assert_eq "URL: path" /hello "$(echo_field "$T/url.json" 'e["path"]')"
assert_eq "URL: raw query kept" "hello=world&foo=bar" "$(echo_field "$T/url.json" 'e["query"]')"
assert_eq "URL: one Cookie header" "['foo=bar; hello=hello']" "$(echo_field "$T/url.json" 'hdr("cookie")')"
assert_eq "URL: body" '{"hello": "world"}' "$(echo_field "$T/url.json" 'body().decode()')"

# HTTP API 2.0, decoded path with a space re-encoded
invoke "$EVENTS/aws-lambda-rust-runtime/apigw_request_path_with_space.json" "$T/v2.json" >/dev/null
assert_contains "HTTP API: space re-encoded" "$(echo_field "$T/v2.json" 'e["path"]')" "%20"

# ALB with multi-value headers: the response uses the same style
invoke "$EVENTS/aws-lambda-go/alb-lambda-target-request-multivalue-headers.json" "$T/alb.json" >/dev/null
assert_eq "ALB: statusDescription" "200 OK" "$(json "$T/alb.json" 'j["statusDescription"]')"
assert_eq "ALB: multiValueHeaders style" "True" "$(json "$T/alb.json" '"multiValueHeaders" in j')"
invoke "$EVENTS/aws-lambda-go/alb-lambda-target-request-headers-only.json" "$T/alb1.json" >/dev/null
assert_eq "ALB single: headers style" "True" "$(json "$T/alb1.json" '"headers" in j and "multiValueHeaders" not in j')"

# A raw event (SQS): POSTed to / as JSON; the watchdog's body is the payload
invoke "$EVENTS/aws-lambda-go/sqs-event.json" "$T/sqs.json" >/dev/null
assert_eq "raw: method" POST "$(echo_field "$T/sqs.json" 'e["method"]')"
assert_eq "raw: path" / "$(echo_field "$T/sqs.json" 'e["path"]')"
assert_eq "raw: content type" "['application/json']" "$(echo_field "$T/sqs.json" 'hdr("Content-Type")')"
assert_eq "raw: event bytes exact" "True" \
  "$(echo_field "$T/sqs.json" "body() == open('$EVENTS/aws-lambda-go/sqs-event.json','rb').read()")"

# Binary response through a Function URL event: base64, byte-exact
python3 - "$EVENTS/aws-lambda-go/lambda-urls-request.json" > "$T/bin-event.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
e["headers"]["x-fixture-body-size"] = "100000"
e["headers"]["x-fixture-binary"] = "1"
e["headers"]["x-fixture-content-type"] = "application/octet-stream"
print(json.dumps(e))
PY
invoke "$T/bin-event.json" "$T/bin.json" >/dev/null
assert_eq "binary: base64" True "$(json "$T/bin.json" 'j["isBase64Encoded"]')"
python3 - "$T/bin.json" <<'PY' || fail "binary: the bytes differ from the fixture's pattern"
import json, sys, base64
body = base64.b64decode(json.load(open(sys.argv[1]))["body"])
x, want = 1, bytearray()
for _ in range(100000):  # the fixture's xorshift32 pattern
    x ^= (x << 13) & 0xffffffff; x ^= x >> 17; x ^= (x << 5) & 0xffffffff
    want.append(x & 0xff)
assert body == bytes(want), len(body)
PY

# Tail of the function's log comes back with --log-type Tail
invoke "$EVENTS/aws-lambda-go/sqs-event.json" "$T/t.json" --log-type Tail > "$T/cli.json"
assert_contains "log tail" "$(json "$T/cli.json" 'base64.b64decode(j["LogResult"]).decode()')" "REPORT RequestId"
