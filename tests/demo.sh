#!/bin/bash
# make demo: a function's files run as Lambda runs them, through the real
# static bootstrap, in the local Lambda (`faas-lambda emulate`), invoked with
# the AWS CLI. Everything listens on 127.0.0.1 and stops at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
emu=
trap '[ -n "$emu" ] && kill "$emu" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "A task root: the static bootstrap, a watchdog, and faas-lambda.json"
mkdir -p "$work/task"
cp "$B/bootstrap" "$work/task/bootstrap"
cp "$B/tests/fixture-watchdog" "$work/task/fwatchdog"
cat > "$work/task/faas-lambda.json" <<JSON
{"schema": 1, "argv": ["/var/task/fwatchdog"], "env": ["port=8080"], "health_path": "/_/health"}
JSON
ls -l "$work/task"; file "$work/task/bootstrap"

step "faas-lambda emulate on 127.0.0.1:$port"
"$B/faas-lambda" emulate --task-root "$work/task" --name demo --listen "127.0.0.1:$port" 2>"$work/emulate.log" &
emu=$!
for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done

aws() {
  AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    /usr/bin/aws --endpoint-url "http://127.0.0.1:$port" "$@"
}
shared=${FL_SHARED:-$top/../shared}/testdata/events
if [ -f "$shared/aws-lambda-go/apigw-request.json" ]; then
  cp "$shared/aws-lambda-go/apigw-request.json" "$work/apigw.json"
else
  cat > "$work/apigw.json" <<'JSON'
{"resource":"/{proxy+}","path":"/hello/world","httpMethod":"POST","headers":{"Content-Type":"application/json"},
 "multiValueHeaders":{"Content-Type":["application/json"]},"queryStringParameters":{"name":"me"},
 "multiValueQueryStringParameters":{"name":["me"]},"requestContext":{"stage":"prod","requestId":"demo",
 "identity":{"sourceIp":"192.0.2.1"}},"body":"{\"hello\":\"world\"}","isBase64Encoded":false}
JSON
fi

step "Invoke with an API Gateway (REST) event: POST /hello/world?name=me"
aws lambda invoke --function-name demo --payload "fileb://$work/apigw.json" --log-type Tail "$work/out.json" \
  | python3 -c 'import json,sys,base64; j=json.load(sys.stdin); print(base64.b64decode(j["LogResult"]).decode().strip())'
python3 - "$work/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
echo = json.loads(r["body"])
print(f'statusCode {r["statusCode"]}, the watchdog saw: {echo["method"]} {echo["path"]}?{echo["query"]}')
print("response headers:", json.dumps(r["multiValueHeaders"]))
PY

step "Invoke with a raw event (an SQS-style record)"
printf '{"Records":[{"eventSource":"aws:sqs","body":"hello from SQS"}]}' > "$work/sqs.json"
aws lambda invoke --function-name demo --payload "fileb://$work/sqs.json" "$work/out2.json" >/dev/null
python3 - "$work/out2.json" <<'PY'
import json, sys, base64
echo = json.load(open(sys.argv[1]))
print(f'the watchdog saw: {echo["method"]} {echo["path"]} with body {base64.b64decode(echo["body_base64"]).decode()}')
PY

step "Stop"
kill "$emu"; wait "$emu" 2>/dev/null || true; emu=
tail -n 3 "$work/emulate.log"
echo "done."
