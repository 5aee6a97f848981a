#!/bin/bash
# Registry authentication: Basic (htpasswd) from --creds and from a docker
# config.json, and the Bearer token flow with a token service.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"

cd "$T"
fake_bootstrap $T/bootstrap
img=$T/img
r=$T/root; mkdir -p $r/usr/bin; hello_musl_static $r/usr/bin/fwatchdog
new_image $img fn; add_layer $img fn $r
umoci config --image $img:fn --config.cmd fwatchdog
"$FL" pack oci:$img:fn -o $T/oci.zip --bootstrap $T/bootstrap -q 2>/dev/null

# ---- Basic (htpasswd) ----
$PY -W ignore -c "import crypt; print('alice:' + crypt.crypt('s3cret', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))" > $T/htpasswd
start_registry basic "auth:
  htpasswd:
    realm: faas-lambda-test
    path: $T/htpasswd"
push $img:fn $REG/team/fn:1.0 --dest-creds alice:s3cret
msg=$("$FL" pack docker://$REG/team/fn:1.0 -o $T/a.zip --bootstrap $T/bootstrap 2>&1) && fail "packed without credentials"
assert_contains "asks for credentials" "$msg" "needs credentials: pass --creds USER:PASS"
"$FL" pack docker://$REG/team/fn:1.0 -o $T/a.zip --bootstrap $T/bootstrap --creds alice:s3cret --cache-dir $T/c1 -q \
  2>$T/err || fail "--creds: $(cat $T/err)"
cmp $T/oci.zip $T/a.zip || fail "basic-auth pack differs"
msg=$("$FL" pack docker://$REG/team/fn:1.0 -o $T/b.zip --bootstrap $T/bootstrap --creds alice:wrong --cache-dir $T/c2 2>&1) &&
  fail "wrong credentials packed"
assert_contains "wrong credentials" "$msg" "refused the credentials for alice"
# ~/.docker/config.json auths, keyed as docker login writes it
mkdir -p $DOCKER_CONFIG
printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$(printf alice:s3cret | base64)" > $DOCKER_CONFIG/config.json
"$FL" pack docker://$REG/team/fn:1.0 -o $T/c.zip --bootstrap $T/bootstrap --cache-dir $T/c3 -q 2>$T/err ||
  fail "docker config credentials: $(cat $T/err)"
printf '{"auths":{"http://%s/v2/":{"username":"alice","password":"s3cret"}}}' "$REG" > $T/other.json
rm $DOCKER_CONFIG/config.json
"$FL" pack docker://$REG/team/fn:1.0 -o $T/d.zip --bootstrap $T/bootstrap --docker-config $T/other.json --cache-dir $T/c4 \
  -q 2>$T/err || fail "--docker-config: $(cat $T/err)"
msg=$("$FL" pack docker://$REG/team/fn:1.0 -o $T/e.zip --docker-config $T/missing.json 2>&1) && fail "a missing --docker-config"
assert_contains "missing docker config" "$msg" "missing.json"

# ---- Bearer tokens ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout $T/key.pem -out $T/cert.pem -days 2 -subj /CN=faas-lambda-test \
  2>/dev/null
tport=$(free_port)
bg $PY $FX/packer_authd.py token $tport $T/key.pem $T/cert.pem test-issuer test-registry bob:hunter2 $T/token.log
wait_http http://127.0.0.1:$tport/
start_registry bearer "auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: test-registry
    issuer: test-issuer
    rootcertbundle: $T/cert.pem"
push $img:fn $REG/team/fn:1.0 --dest-creds bob:hunter2
"$FL" pack docker://$REG/team/fn:1.0 -o $T/t1.zip --bootstrap $T/bootstrap --cache-dir $T/c5 -q 2>$T/err ||
  fail "anonymous bearer pull: $(cat $T/err)"
cmp $T/oci.zip $T/t1.zip || fail "bearer pack differs"
grep -qx -- "- repository:team/fn:pull" $T/token.log || fail "no anonymous pull token: $(cat $T/token.log)"
"$FL" pack docker://$REG/team/fn:1.0 -o $T/t2.zip --bootstrap $T/bootstrap --creds bob:hunter2 --cache-dir $T/c6 -q \
  2>$T/err || fail "bearer pull with credentials: $(cat $T/err)"
grep -qx -- "bob repository:team/fn:pull" $T/token.log || fail "no token for bob: $(cat $T/token.log)"
msg=$("$FL" pack docker://$REG/team/fn:1.0 -o $T/t3.zip --bootstrap $T/bootstrap --creds bob:nope --cache-dir $T/c7 2>&1) &&
  fail "bad credentials got a token"
assert_contains "token refused" "$msg" "token service refused these credentials"
echo "packer_auth: ok"
