#!/bin/bash
# The provider's API without functions: every deployment Lambda cannot take
# gets a 400 that says why (before anything is packed), request limits,
# configuration from the environment, and basic auth on and off
# (reference/openfaas.md §1.2: /system/* behind it, /healthz,
# /system/namespaces and /function/* not; 401 with WWW-Authenticate).
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"
. "$FL_TOP/tests/fixtures/provider_lib.sh"
cd "$T"
start_serve a --insecure-registry 127.0.0.1:1

# bad400 WHAT BODY WORDS: POST answers 400 and its text holds WORDS
bad400() {
  api POST /system/functions "$2" > "$T/bad.out"; local out; out=$(cat "$T/bad.out")
  [ "$STATUS" = 400 ] || fail "$1: expected 400, got $STATUS: $out"
  assert_contains "$1" "$out" "$3"
}
img='"image":"127.0.0.1:1/x:1"'
bad400 "bad JSON" '{"service":' "not a JSON"
bad400 "wrong type" '{"service":"f",'"$img"',"envVars":{"A":1}}' "envVars.A must be a string"
bad400 "no service" '{'"$img"'}' "service"
bad400 "secrets" '{"service":"f",'"$img"',"secrets":["db-password"]}' "secrets are not supported"
bad400 "bad name" '{"service":"Bad_Name",'"$img"'}' "DNS-1123"
bad400 "bad namespace" '{"service":"f","namespace":"a.b",'"$img"'}' "namespace"
long=$(printf 'f%.0s' {1..60})
bad400 "too long" '{"service":"'$long'",'"$img"'}' "64"
bad400 "no image" '{"service":"f"}' "image is required"
bad400 "local image" '{"service":"f","image":"oci:/etc"}' "not a registry reference"
bad400 "memory" '{"service":"f",'"$img"',"limits":{"memory":"11Gi"}}' "10240"
bad400 "memory syntax" '{"service":"f",'"$img"',"limits":{"memory":"lots"}}' "Kubernetes quantity"
big=$(python3 -c 'print("x"*4100)')
bad400 "env size" '{"service":"f",'"$img"',"envVars":{"BIG":"'$big'"}}' "4 KB"
bad400 "env name" '{"service":"f",'"$img"',"envVars":{"a-b":"1"}}' "a-b"
bad400 "timeout" '{"service":"f",'"$img"',"annotations":{"com.openfaas.lambda.timeout":"901"}}' "900"
bad400 "architecture" '{"service":"f",'"$img"',"annotations":{"com.openfaas.lambda.architecture":"sparc"}}' "arm64"
bad400 "package" '{"service":"f",'"$img"',"annotations":{"com.openfaas.lambda.package":"tar"}}' "zip or image"
bad400 "image package, no repository" '{"service":"f",'"$img"',"annotations":{"com.openfaas.lambda.package":"image"}}' "--image-repository"
bad400 "role" '{"service":"f",'"$img"',"annotations":{"com.openfaas.lambda.role":"admin"}}' "IAM role ARN"
bad400 "layer" '{"service":"f",'"$img"',"annotations":{"com.openfaas.lambda.layers":"arn:aws:lambda:us-east-1:000000000000:layer:x"}}' "layer version ARN"
l='arn:aws:lambda:us-east-1:000000000000:layer:x:1'
bad400 "six layers" '{"service":"f",'"$img"',"annotations":{"com.openfaas.lambda.layers":"'$l,$l,$l,$l,$l,$l'"}}' "at most 5"
huge=$(python3 -c 'print("!"*20000)')
bad400 "tags" '{"service":"f",'"$img"',"labels":{"x":"'$huge'"}}' "too large for Lambda"
bad400 "unreachable registry" '{"service":"f",'"$img"'}' "packing 127.0.0.1:1/x:1"
api GET /system/function/f >/dev/null; assert_eq "nothing was made" 404 "$STATUS"
head -c 1100000 /dev/zero | tr '\0' ' ' > big.json
assert_eq "body over 1 MiB" 413 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @big.json "$SERVE_URL/system/functions")"
api DELETE /system/functions '{}' >/dev/null; assert_eq "delete without a name" 400 "$STATUS"
api DELETE /system/functions '{"functionName":"nosuch"}' >/dev/null; assert_eq "delete unknown" 404 "$STATUS"
api POST /system/scale-function/f '{"replicas":-1}' >/dev/null; assert_eq "scale -1" 400 "$STATUS"
api POST /system/scale-function/f 'x' >/dev/null; assert_eq "scale bad JSON" 400 "$STATUS"
long_uri=$(python3 -c 'print("a"*20000)')
assert_eq "URI too long" 414 "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/function/f/$long_uri")"

# ---- basic auth ----
sec=$T/secrets; mkdir -p "$sec"
printf 'admin\n' > "$sec/basic-auth-user"; printf '  s3cr:et \n' > "$sec/basic-auth-password"
start_serve auth --basic-auth --secret-mount-path "$sec"
code() { curl -s -o "$T/code.out" -D "$T/code.hdr" -w '%{http_code}' "$@"; }
assert_eq "no credentials" 401 "$(code "$SERVE_URL/system/functions")"
grep -qi '^WWW-Authenticate: Basic realm="Restricted"' "$T/code.hdr" || fail "no WWW-Authenticate: $(cat "$T/code.hdr")"
assert_eq "401 body" "invalid credentials" "$(cat "$T/code.out")"
assert_eq "wrong password" 401 "$(code -u admin:s3cr:e "$SERVE_URL/system/functions")"
assert_eq "wrong user" 401 "$(code -u root:s3cr:et "$SERVE_URL/system/functions")"
assert_eq "right (trimmed files)" 200 "$(code -u admin:s3cr:et "$SERVE_URL/system/functions")"
for p in /system/info /system/function/x /system/logs?name=x /system/secrets; do
  assert_eq "$p needs auth" 401 "$(code "$SERVE_URL$p")"
done
assert_eq "healthz is open" 200 "$(code "$SERVE_URL/healthz")"
assert_eq "namespaces is open" 200 "$(code "$SERVE_URL/system/namespaces")"
assert_eq "metrics is open" 200 "$(code "$SERVE_URL/metrics")"
assert_eq "functions are open" 503 "$(code "$SERVE_URL/function/x")"
assert_eq "PUT needs auth" 401 "$(code -X PUT -d '{}' "$SERVE_URL/system/functions")"

# the environment the OpenFaaS way
port=$(free_port)
basic_auth=true secret_mount_path=$sec port=$port function_namespace=team-a read_timeout=5s write_timeout=7 \
  "$FL" serve --state-dir "$T/env-state" > "$T/env.log" 2>&1 & _pids+=($!)
SERVE_URL=http://127.0.0.1:$port; wait_http "$SERVE_URL/healthz"
assert_eq "env basic_auth" 401 "$(code "$SERVE_URL/system/functions")"
assert_eq "env namespace" '["team-a"]' "$(curl -s "$SERVE_URL/system/namespaces")"
port=$(free_port)
basic_auth=TRUE port=$port "$FL" serve --state-dir "$T/env2-state" > "$T/env2.log" 2>&1 & _pids+=($!)
SERVE_URL=http://127.0.0.1:$port; wait_http "$SERVE_URL/healthz"
assert_eq "only the literal true enables" 200 "$(code "$SERVE_URL/system/functions")"

# missing credential files stop the start
if "$FL" serve --port "$(free_port)" --basic-auth --secret-mount-path "$T/none" > "$T/miss.log" 2>&1; then
  fail "serve started without its credential files"
fi
assert_contains "missing files" "$(cat "$T/miss.log")" "failed to read basic auth credentials"
# bad configuration is a usage error
"$FL" serve --port 0 > "$T/u.log" 2>&1 && fail "port 0 accepted"
"$FL" serve --read-timeout soon > "$T/u.log" 2>&1 && fail "bad duration accepted"
assert_contains "bad duration" "$(cat "$T/u.log")" "invalid duration"
"$FL" serve --federate nourl > "$T/u.log" 2>&1 && fail "bad --federate accepted"
echo "provider_api: ok"
