#!/bin/bash
# Federation: provider "a" in front of its own Lambda and of provider "b" (a
# second faas-lambda serve, behind basic auth). The annotation
# com.openfaas.federation.gateway picks the backend (by name or by the host
# of its URL, case-insensitively); deploy, update, status, scale, logs,
# invoke and delete are forwarded for real; the list merges both and, with b
# down, still answers with what it has and names the backend that is down.
# b federates back to a (a cycle): forwarded requests carry a hop header and
# are answered locally, so nothing goes round.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"
. "$FL_TOP/tests/fixtures/provider_lib.sh"
cd "$T"
watchdog_image "$T/img" fn
start_registry reg
push "$T/img:fn" "$REG/team/fn:1"
sec=$T/b-secrets; mkdir -p "$sec"; echo admin > "$sec/basic-auth-user"; echo b-pass > "$sec/basic-auth-password"
echo b-pass > "$T/b-password"
aport=$(free_port)
start_serve b --insecure-registry "$REG" --basic-auth --secret-mount-path "$sec" --federate "front=http://127.0.0.1:$aport"
B_URL=$SERVE_URL
SERVE_PORT=$aport start_serve a --insecure-registry "$REG" --federate "other=$B_URL,user=admin,password-file=$T/b-password"
A_URL=$SERVE_URL

onb() { SERVE_URL=$B_URL api "$1" "$2" "${3-}" -u admin:b-pass; }

# a deployment annotated for "other" lands on b; one without stays on a's Lambda
deploy '{"service":"remote","image":"'$REG'/team/fn:1","annotations":{"com.openfaas.federation.gateway":"OTHER"},"labels":{"x":"1"}}'
deploy '{"service":"local","image":"'$REG'/team/fn:1"}'
onb_local() { SERVE_URL=$B_URL api "$1" "$2" "${3-}" -u admin:b-pass -H 'X-Faas-Lambda-Forwarded: 1'; }
assert_eq "b's Lambda has remote only" "['remote']" "$(onb_local GET /system/functions | python3 -c 'import json,sys; print([f["name"] for f in json.load(sys.stdin)])')"
api GET /system/functions > list.json; assert_eq "merged list" 200 "$STATUS"
assert_eq "both listed" "['local', 'remote']" "$(json list.json 'sorted(f["name"] for f in j)')"
assert_eq "annotation kept" "OTHER" "$(json list.json '[f for f in j if f["name"]=="remote"][0]["annotations"]["com.openfaas.federation.gateway"]')"
wait_ready remote
wait_ready local

# by the host of the backend's URL, too (faas-federation's rule)
deploy '{"service":"byhost","image":"'$REG'/team/fn:1","annotations":{"com.openfaas.federation.gateway":"127.0.0.1"}}'
assert_eq "host match" 200 "$(onb GET /system/function/byhost >/dev/null; echo "$STATUS")"

# the cycle a -> b -> a does not loop
api GET /system/function/nosuch >/dev/null; assert_eq "unknown through the cycle" 404 "$STATUS"
assert_eq "unknown invoke through the cycle" 503 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$A_URL/function/nosuch")"
assert_eq "b's list through b" "['byhost', 'local', 'remote']" "$(onb GET /system/functions | python3 -c 'import json,sys; print(sorted(f["name"] for f in json.load(sys.stdin)))')"

# calls about b's functions are forwarded
api GET /system/function/remote > st.json; assert_eq "status forwarded" 200 "$STATUS"
assert_eq "status labels" 1 "$(json st.json 'j["labels"]["x"]')"
assert_eq "invoke forwarded" "/p q=1" "$(curl -s "$A_URL/function/remote/p?q=1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["path"], d["query"])')"
assert_eq "invoke fn.ns" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$A_URL/function/remote.openfaas-fn")"
head -c 50000 /dev/urandom > bin.dat
curl -s --data-binary @bin.dat -H 'Content-Type: application/octet-stream' "$A_URL/function/remote" > out.json
python3 -c 'import json,base64,sys; e=json.load(open("out.json")); assert base64.b64decode(e["body_base64"])==open("bin.dat","rb").read()' ||
  fail "binary body through federation"
api POST /system/scale-function/remote '{"serviceName":"remote","replicas":0}' >/dev/null; assert_eq "scale forwarded" 200 "$STATUS"
assert_eq "scaled on b" 0 "$(onb GET /system/function/remote | python3 -c 'import json,sys; print(json.load(sys.stdin).get("availableReplicas",0))')"
api POST /system/scale-function/remote '{"serviceName":"remote","replicas":1}' >/dev/null
wait_ready remote
curl -s -o /dev/null -H 'X-Fixture-Stderr: fed-marker-42' "$A_URL/function/remote"
for ((i = 0; i < 100; i++)); do
  curl -s "$A_URL/system/logs?name=remote" > logs.ndjson; grep -q fed-marker-42 logs.ndjson && break; sleep 0.1
done
grep -q fed-marker-42 logs.ndjson || fail "logs not forwarded: $(tail -3 logs.ndjson)"
curl -s -N --max-time 4 "$A_URL/system/logs?name=remote&follow=true&tail=1" > follow.ndjson &
fpid=$!; sleep 1.5
curl -s -o /dev/null -H 'X-Fixture-Stderr: fed-follow-43' "$A_URL/function/remote"
wait $fpid || true
grep -q fed-follow-43 follow.ndjson || fail "follow not forwarded: $(cat follow.ndjson)"

# update of b's function goes to b (PUT, same annotation)
deploy '{"service":"remote","image":"'$REG'/team/fn:1","annotations":{"com.openfaas.federation.gateway":"other"},"labels":{"x":"2"}}'
assert_eq "update forwarded" "2" "$(onb GET /system/function/remote | python3 -c 'import json,sys; print(json.load(sys.stdin)["labels"]["x"])')"
assert_eq "namespaces merged" '["openfaas-fn"]' "$(api GET /system/namespaces)"

api DELETE /system/functions '{"functionName":"byhost","namespace":"openfaas-fn"}' >/dev/null
assert_eq "delete forwarded" 200 "$STATUS"
assert_eq "gone from b" 404 "$(onb GET /system/function/byhost >/dev/null; echo "$STATUS")"
api DELETE /system/functions '{"functionName":"byhost"}' >/dev/null; assert_eq "delete again" 404 "$STATUS"

# b down: the list still answers and says which backend is missing
kill "$PID_b"; wait "$PID_b" 2>/dev/null || true
curl -s -D hdr.txt -o list.json "$A_URL/system/functions"
grep -qi '^HTTP/1.1 200' hdr.txt || fail "list with b down: $(cat hdr.txt)"
grep -qi '^X-Federation-Unavailable: other' hdr.txt || fail "down backend not reported: $(cat hdr.txt)"
assert_eq "local still listed" "['local']" "$(json list.json '[f["name"] for f in j]')"
assert_eq "invoke on a down backend" 502 "$(curl -s -o /dev/null -w '%{http_code}' "$A_URL/function/remote")"
assert_eq "local still invoked" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$A_URL/function/local")"

# delete: local on a
api DELETE /system/functions '{"functionName":"local"}' >/dev/null; assert_eq "delete local" 200 "$STATUS"
grep -q "federation: listing backend other" "$T/a.log" || fail "the down backend was not logged"
echo "provider_federation: ok"
