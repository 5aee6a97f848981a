#!/bin/bash
# faas-cli's flows over HTTP against `faas-lambda serve` with the embedded
# emulator and an image in a local docker-registry: deploy (PUT -> 404 ->
# POST), list, describe, invoke (binary bodies, odd paths, queries, headers,
# every method), scale to zero and back, logs, namespaces, remove; the
# status codes of reference/openfaas.md §1.3 and §1.5 on the way.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"
. "$FL_TOP/tests/fixtures/provider_lib.sh"
cd "$T"
watchdog_image "$T/img" fn
start_registry reg
push "$T/img:fn" "$REG/team/fn:1"
start_serve a --insecure-registry "$REG"

# ---- deploy: PUT of an unknown function is 404, then POST ----
dep='{"service":"echo","image":"'$REG'/team/fn:1","envProcess":"cat","envVars":{"GREETING":"hi there","EMPTY":""},
 "labels":{"com.openfaas.scale.min":"1","team":"blue"},
 "annotations":{"topic":"a b/c","json":"{\"k\":[1,2]}","com.openfaas.health.http.path":"/_/health?x=1&y=2","utf":"h\u00e9 \u2603"},
 "limits":{"memory":"512M","cpu":"100m"},"constraints":["node=x"],"readOnlyRootFilesystem":true}'
api PUT /system/functions "$dep" >/dev/null; assert_eq "PUT unknown" 404 "$STATUS"
api POST /system/functions "$dep" >/dev/null; assert_eq "POST" 202 "$STATUS"
api PUT /system/functions "$dep" >/dev/null; assert_eq "PUT known" 200 "$STATUS"
wait_ready echo

# ---- describe: everything reads back as deployed ----
api GET "/system/function/echo?namespace=openfaas-fn&usage=1" > st.json; assert_eq "status" 200 "$STATUS"
python3 - st.json <<'PY' || fail "status JSON: $(cat st.json)"
import json, sys
s = json.load(open(sys.argv[1]))
want = {"name": "echo", "namespace": "openfaas-fn", "envProcess": "cat", "envVars": {"GREETING": "hi there", "EMPTY": ""},
        "labels": {"com.openfaas.scale.min": "1", "team": "blue"},
        "annotations": {"topic": "a b/c", "json": "{\"k\":[1,2]}", "com.openfaas.health.http.path": "/_/health?x=1&y=2",
                        "utf": "h\u00e9 \u2603"},
        "limits": {"memory": "512M", "cpu": "100m"}, "constraints": ["node=x"], "readOnlyRootFilesystem": True,
        "replicas": 1, "availableReplicas": 1}
for k, v in want.items():
    assert s.get(k) == v, (k, s.get(k), v)
assert s["image"].endswith("/team/fn:1"), s["image"]
assert s["createdAt"].endswith("Z") and s["createdAt"][:2] == "20", s["createdAt"]
assert "secrets" not in s
PY
api GET /system/function/nosuch >/dev/null; assert_eq "status of unknown" 404 "$STATUS"
api GET /system/function/echo.openfaas-fn >/dev/null; assert_eq "status fn.ns" 200 "$STATUS"

# ---- list ----
api GET /system/functions > list.json; assert_eq "list" 200 "$STATUS"
assert_eq "list names" "['echo']" "$(json list.json '[f["name"] for f in j]')"
assert_eq "list namespace" "openfaas-fn" "$(json list.json 'j[0]["namespace"]')"
assert_eq "other namespace empty" "[]" "$(api GET '/system/functions?namespace=dev')"
api GET '/system/functions?namespace=Bad_NS' >/dev/null; assert_eq "bad namespace" 400 "$STATUS"

# ---- invoke: bodies, paths, queries, headers, methods ----
head -c 200000 /dev/urandom > bin.dat
curl -s -o out.json -D hdr.txt -X POST --data-binary @bin.dat -H 'Content-Type: application/octet-stream' \
  -H 'X-Call-Id: call-123' -H 'X-Multi: one' -H 'X-Multi: two' -H 'MiXeD-Case: Value  With  Spaces' \
  "$SERVE_URL/function/echo/a%2Fb/c%20d/%E2%98%83/?q=a+b&q=c&empty=&flag&x=%00%FF"
grep -qi '^HTTP/1.1 200' hdr.txt || fail "invoke: $(cat hdr.txt out.json)"
python3 - out.json bin.dat <<'PY' || fail "echo: $(head -c 600 out.json)"
import json, sys, base64
e = json.load(open(sys.argv[1])); body = open(sys.argv[2], "rb").read()
assert e["method"] == "POST", e["method"]
assert e["path"] == "/a%2Fb/c%20d/%E2%98%83/", e["path"]
assert e["query"] == "q=a+b&q=c&empty=&flag&x=%00%FF", e["query"]
assert base64.b64decode(e["body_base64"]) == body, "binary body changed"
h = {}
for k, v in e["headers"]:
    h.setdefault(k.lower(), []).append(v)
assert h["x-multi"] == ["one", "two"], h.get("x-multi")
assert h["mixed-case"] == ["Value  With  Spaces"], h.get("mixed-case")
assert h["x-call-id"] == ["call-123"], h.get("x-call-id")
assert h["content-type"] == ["application/octet-stream"]
assert h["x-forwarded-host"][0].startswith("127.0.0.1:"), h.get("x-forwarded-host")
assert h["x-forwarded-for"][0].startswith("127.0.0.1:"), h.get("x-forwarded-for")
PY
grep -qi '^X-Call-Id: call-123' hdr.txt || fail "X-Call-Id not kept: $(cat hdr.txt)"
grep -qi '^X-Duration-Seconds: [0-9]' hdr.txt || fail "no X-Duration-Seconds: $(cat hdr.txt)"

# a binary answer, its status and headers, byte for byte
curl -s -o bin.out -D hdr.txt -H 'X-Fixture-Body-Size: 300000' -H 'X-Fixture-Binary: 1' -H 'X-Fixture-Status: 418' \
  -H 'X-Fixture-Header: Set-Cookie: a=1' -H 'X-Fixture-Header: Set-Cookie: b=2' "$SERVE_URL/function/echo"
grep -qi '^HTTP/1.1 418' hdr.txt || fail "status not passed: $(cat hdr.txt)"
assert_eq "cookies" 2 "$(grep -ci '^Set-Cookie: [ab]=[12]' hdr.txt)"
python3 - bin.out <<'PY' || fail "binary answer changed"
import sys
x = 1; out = bytearray()
for _ in range(300000):
    x ^= (x << 13) & 0xffffffff; x ^= x >> 17; x ^= (x << 5) & 0xffffffff
    out.append(x & 0xff)
assert open(sys.argv[1], "rb").read() == bytes(out)
PY
for m in GET PUT DELETE PATCH OPTIONS; do
  curl -s -o m.json -X $m "$SERVE_URL/function/echo.openfaas-fn/m?x=$m"
  assert_eq "method $m" "$m /m x=$m" "$(json m.json 'j["method"]+" "+j["path"]+" "+j["query"]')"
done
assert_eq "HEAD" 200 "$(curl -s -o /dev/null -w '%{http_code}' -I "$SERVE_URL/function/echo")"
assert_eq "bare name is /" "/" "$(curl -s "$SERVE_URL/function/echo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["path"])')"
assert_eq "TRACE" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X TRACE "$SERVE_URL/function/echo")"

# errors of the proxy
curl -s -o e.txt -D hdr.txt "$SERVE_URL/function/nosuch"
grep -qi '^HTTP/1.1 503' hdr.txt || fail "unknown function: $(cat hdr.txt)"
grep -qi '^X-OpenFaaS-Internal: proxy' hdr.txt || fail "no X-OpenFaaS-Internal"
assert_eq "503 text" "No endpoints available for: nosuch.openfaas-fn." "$(cat e.txt)"
head -c 6300000 /dev/zero > big.dat
assert_eq "over 6 MB" 413 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @big.dat "$SERVE_URL/function/echo")"
head -c 4800000 /dev/urandom > mid.dat   # 6.4 MB once base64 in the event
assert_eq "event over 6 MB" 413 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @mid.dat -H 'Content-Type: application/octet-stream' "$SERVE_URL/function/echo")"
curl -s -o e.json -D hdr.txt -H 'X-Fixture-Crash: before' "$SERVE_URL/function/echo"
grep -qi '^HTTP/1.1 500' hdr.txt || fail "function error: $(cat hdr.txt e.json)"
python3 -c 'import json,sys; d=json.load(open("e.json")); assert d["errorType"] and d["errorMessage"], d' ||
  fail "function error body: $(cat e.json)"
assert_eq "after a crash" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/function/echo")"

# ---- invocation counts ----
api GET /system/functions > list.json
n=$(json list.json 'j[0].get("invocationCount", 0)')
[ "$n" -ge 10 ] || fail "invocationCount $n"

# ---- scale to zero and back (the gateway's scale-from-zero) ----
api POST /system/scale-function/echo '{"serviceName":"echo","replicas":0}' >/dev/null; assert_eq "scale 0" 200 "$STATUS"
api GET /system/function/echo > st.json
assert_eq "replicas at zero" "0 0" "$(json st.json 'str(j.get("replicas",0))+" "+str(j.get("availableReplicas",0))')"
assert_eq "throttled at zero" 429 "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/function/echo")"
api POST '/system/scale-function/echo?namespace=openfaas-fn' '{"serviceName":"echo","replicas":1}' >/dev/null
assert_eq "scale 1" 200 "$STATUS"
wait_ready echo
assert_eq "invoke after scale up" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/function/echo")"
api POST /system/scale-function/nosuch '{"serviceName":"nosuch","replicas":1}' >/dev/null; assert_eq "scale unknown" 404 "$STATUS"

# ---- logs ----
curl -s -o /dev/null -H 'X-Fixture-Stderr: marker-one-1234' "$SERVE_URL/function/echo"
for ((i = 0; i < 100; i++)); do
  curl -s "$SERVE_URL/system/logs?name=echo&namespace=openfaas-fn" > logs.ndjson
  grep -q marker-one-1234 logs.ndjson && break; sleep 0.1
done
grep -q marker-one-1234 logs.ndjson || fail "marker not in the logs: $(tail -5 logs.ndjson)"
python3 - logs.ndjson <<'PY' || fail "log lines: $(head -3 logs.ndjson)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines
for l in lines:
    assert list(l) == ["name", "namespace", "instance", "timestamp", "text"], list(l)
    assert l["name"] == "echo" and l["namespace"] == "openfaas-fn" and l["instance"] and l["timestamp"].endswith("Z")
PY
assert_eq "tail=2" 2 "$(curl -s "$SERVE_URL/system/logs?name=echo&tail=2" | wc -l)"
assert_eq "bad tail" 422 "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/system/logs?name=echo&tail=x")"
assert_eq "bad since" 422 "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/system/logs?name=echo&since=yesterday")"
assert_eq "logs of unknown" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/system/logs?name=nosuch")"
future=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
assert_eq "since the future" 0 "$(curl -s "$SERVE_URL/system/logs?name=echo&since=$future" | wc -l)"
# follow: a line logged after the stream started arrives
curl -s -N --max-time 6 "$SERVE_URL/system/logs?name=echo&follow=true&tail=1" > follow.ndjson &
fpid=$!
sleep 1.5
curl -s -o /dev/null -H 'X-Fixture-Stderr: marker-two-5678' "$SERVE_URL/function/echo"
wait $fpid || true
grep -q marker-two-5678 follow.ndjson || fail "follow missed the new line: $(cat follow.ndjson)"

# ---- a second namespace ----
dep2='{"service":"echo","namespace":"dev","image":"'$REG'/team/fn:1"}'
deploy "$dep2"
wait_ready echo.dev
assert_eq "dev invoke" "/x" "$(curl -s "$SERVE_URL/function/echo.dev/x" | python3 -c 'import json,sys; print(json.load(sys.stdin)["path"])')"
assert_eq "namespaces" '["dev","openfaas-fn"]' "$(api GET /system/namespaces)"
assert_eq "dev list" "['dev']" "$(api GET '/system/functions?namespace=dev' | python3 -c 'import json,sys; print([f["namespace"] for f in json.load(sys.stdin)])')"

# ---- remove ----
api DELETE /system/functions '{"functionName":"echo","namespace":"openfaas-fn"}' >/dev/null; assert_eq "delete" 200 "$STATUS"
api DELETE /system/functions '{"functionName":"echo","namespace":"openfaas-fn"}' >/dev/null; assert_eq "delete again" 404 "$STATUS"
api GET /system/function/echo >/dev/null; assert_eq "status after delete" 404 "$STATUS"
assert_eq "invoke after delete" 503 "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/function/echo")"
api DELETE '/system/functions?namespace=dev' '{"functionName":"echo"}' >/dev/null; assert_eq "delete dev" 200 "$STATUS"
assert_eq "empty list" "[]" "$(api GET /system/functions)"

# ---- the rest of the routes ----
assert_eq "info" "faas-lambda lambda" "$(api GET /system/info | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["provider"], d["orchestration"])')"
api GET /system/secrets >/dev/null; assert_eq "secrets" 501 "$STATUS"
api POST /system/secrets '{"name":"s","value":"v"}' >/dev/null; assert_eq "secret create" 501 "$STATUS"
api GET /system/namespace/dev >/dev/null; assert_eq "namespace mutate" 501 "$STATUS"
api PATCH /system/functions >/dev/null; assert_eq "405" 405 "$STATUS"
api GET /system/nothing >/dev/null; assert_eq "404" 404 "$STATUS"
api GET /metrics > metrics.txt
grep -q '^provider_http_requests_total{code="200",method="GET",path="/system/functions"} [0-9]' metrics.txt ||
  fail "metrics: $(head -20 metrics.txt)"
grep -q '^provider_function_invocations_total{function_name="echo.openfaas-fn"}' metrics.txt || fail "invocation metric"
echo "provider_flows: ok"
