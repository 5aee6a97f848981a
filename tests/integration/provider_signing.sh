#!/bin/bash
# Every request the provider sends to Lambda and CloudWatch Logs is signed
# as AWS checks it: a proxy between the provider and `faas-lambda emulate`
# verifies each one with botocore's signer (tests/fixtures/
# provider_sigv4_proxy.py, from Debian's awscli, what /usr/bin/aws signs
# with) and refuses it otherwise. A full flow runs through it (deploy with
# tags, update with tag changes, ARNs in paths, list queries, invoke, scale,
# logs, delete) with session credentials, then a provider with the wrong
# secret is refused.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"
. "$FL_TOP/tests/fixtures/provider_lib.sh"
cd "$T"
watchdog_image "$T/img" fn
start_registry reg
push "$T/img:fn" "$REG/team/fn:1"
eport=$(free_port)
bg "$FL" emulate --state-dir "$T/emu" --listen "127.0.0.1:$eport" --quiet
wait_http "http://127.0.0.1:$eport/" 10
pport=$(free_port)
PROXY=http://127.0.0.1:$pport
bg /usr/bin/python3 "$FL_TOP/tests/fixtures/provider_sigv4_proxy.py" "$pport" "http://127.0.0.1:$eport" "$T/sig.log" \
  ASIAPROVIDERTEST 'wJalr/secret+key=' 'session/token+with=chars' eu-west-1
wait_http "$PROXY/x" 10
: > "$T/sig.log"   # the probe above was unsigned

export AWS_ACCESS_KEY_ID=ASIAPROVIDERTEST AWS_SECRET_ACCESS_KEY='wJalr/secret+key=' AWS_SESSION_TOKEN='session/token+with=chars'
start_serve signed --lambda-endpoint "$PROXY" --region eu-west-1 --insecure-registry "$REG"
dep='{"service":"sig","image":"'$REG'/team/fn:1","labels":{"a":"1","b":"x y"},"annotations":{"c":"{\"j\":1}"}}'
deploy "$dep"
wait_ready sig
deploy '{"service":"sig","image":"'$REG'/team/fn:1","labels":{"a":"2"},"annotations":{"d":"new"}}'
api GET /system/function/sig > st.json; assert_eq "tags updated" "{'a': '2'} {'d': 'new'}" "$(json st.json 'str(j["labels"])+" "+str(j["annotations"])')"
api GET /system/functions >/dev/null; assert_eq "list" 200 "$STATUS"
assert_eq "invoke" 200 "$(curl -s -o /dev/null -w '%{http_code}' -d 'x' "$SERVE_URL/function/sig/a?b=c")"
api POST /system/scale-function/sig '{"replicas":0}' >/dev/null; assert_eq "scale 0" 200 "$STATUS"
api POST /system/scale-function/sig '{"replicas":1}' >/dev/null; assert_eq "scale 1" 200 "$STATUS"
curl -s "$SERVE_URL/system/logs?name=sig&tail=2" >/dev/null
api GET /system/namespaces >/dev/null
api DELETE /system/functions '{"functionName":"sig"}' >/dev/null; assert_eq "delete" 200 "$STATUS"
python3 - "$T/sig.log" <<'PY' || fail "signatures: $(grep '"ok": false' "$T/sig.log" | head -3)"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
bad = [r for r in reqs if not r["ok"]]
assert not bad, bad[:3]
kinds = {(r["method"], r["target"].split("?")[0].split("/")[1] if r["target"] != "/" else "/") for r in reqs}
services = {r["service"] for r in reqs}
assert services == {"lambda", "logs"}, services
targets = " ".join(r["target"] for r in reqs)
assert "/2017-03-31/tags/arn%3Aaws%3Alambda%3A" in targets, "no tag call with an ARN in its path"
assert "tagKeys=" in targets and "MaxItems=" in targets, "no signed query"
for m in ("GET", "POST", "PUT", "DELETE"):
    assert any(r["method"] == m for r in reqs), m
print(len(reqs), "requests, all signed right")
PY

# the wrong secret: refused at the first call, and the provider says so
AWS_SECRET_ACCESS_KEY=wrong start_serve wrong --lambda-endpoint "$PROXY" --region eu-west-1
api GET /system/functions > out.txt; assert_eq "refused" 500 "$STATUS"
assert_contains "refusal reported" "$(cat out.txt)" "InvalidSignatureException"
grep -q '"why": "signature mismatch' "$T/sig.log" || fail "the proxy did not see the bad signature"
echo "provider_signing: ok"
