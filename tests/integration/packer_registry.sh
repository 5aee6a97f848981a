#!/bin/bash
# pack from docker-registry on 127.0.0.1: anonymous pulls, tags and digests,
# a multi-platform index, blobs behind redirects, and the blob cache (a second
# pack moves no blob; with the registry gone it still works).
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"

cd "$T"
fake_bootstrap $T/bootstrap
printf 'int main(void){return 0;}\n' > $T/b.c
aarch64-linux-gnu-gcc -static -Os -o $T/bootstrap-arm64 $T/b.c
img=$T/img
r=$T/root; mkdir -p $r/usr/bin $r/home/app; hello_musl_static $r/usr/bin/fwatchdog; echo hi > $r/home/app/x
new_image $img fn; add_layer $img fn $r
mkdir -p $T/r2/home/app; echo two > $T/r2/home/app/y; add_layer $img fn $T/r2
umoci config --image $img:fn --config.cmd fwatchdog --config.workingdir /home/app
# an arm64 sibling and an index over both
umoci tag --image $img:fn arm
umoci config --image $img:arm --architecture arm64
$PY $FX/packer_oci.py index $img multi fn arm

start_registry reg; reg_pid=$REG_PID
push $img:fn $REG/team/fn:1.0
push $img:multi $REG/team/multi:1 --all

"$FL" pack oci:$img:fn -o $T/oci.zip --bootstrap $T/bootstrap -q 2>/dev/null
"$FL" pack docker://$REG/team/fn:1.0 -o $T/reg.zip --bootstrap $T/bootstrap --json > $T/res.json 2>$T/err ||
  fail "pack from the registry: $(cat $T/err)"
cmp $T/oci.zip $T/reg.zip || fail "registry and layout packs differ"
assert_eq "source" "$REG/team/fn:1.0" "$(json $T/res.json "j['source']")"
digest=$(json $T/res.json "j['image_digest']")
[ -n "$(ls $XDG_CACHE_HOME/faas-lambda/blobs/sha256)" ] || fail "nothing in the blob cache"

# ---- a second pack moves no blob ----
blob_gets() { grep -c 'GET /v2/team/fn/blobs/' $T/reg/log || true; }
before=$(blob_gets)
[ "$before" -ge 3 ] || fail "expected blob downloads in the registry log, saw $before"
"$FL" pack docker://$REG/team/fn:1.0 -o $T/again.zip --bootstrap $T/bootstrap -q 2>/dev/null
cmp $T/reg.zip $T/again.zip || fail "second pack differs"
assert_eq "blob GETs on the second pack" "$before" "$(blob_gets)"
assert_eq "manifest bodies on the second pack" 1 "$(grep -c 'GET /v2/team/fn/manifests/1.0' $T/reg/log)"

# ---- by digest, into another cache ----
"$FL" pack "docker://$REG/team/fn@$digest" -o $T/dig.zip --bootstrap $T/bootstrap --cache-dir $T/c2 -q 2>/dev/null ||
  fail "pack by digest"
cmp $T/reg.zip $T/dig.zip || fail "digest pack differs"
[ -f $T/c2/sha256/${digest#sha256:} ] || fail "--cache-dir not used"

# ---- a multi-platform index ----
"$FL" pack docker://$REG/team/multi:1 -o $T/amd.zip --bootstrap $T/bootstrap --json --cache-dir $T/c3 > $T/m.json 2>/dev/null ||
  fail "pack the index"
assert_eq "default platform" linux/amd64 "$(json $T/m.json "j['platform']")"
"$FL" pack docker://$REG/team/multi:1 --platform linux/arm64 -o $T/arm.zip --bootstrap $T/bootstrap-arm64 --json \
  --cache-dir $T/c3 > $T/a.json 2>$T/err || fail "pack arm64: $(cat $T/err)"
assert_eq "arm64 platform" linux/arm64 "$(json $T/a.json "j['platform']")"
assert_eq "arm64 arch" arm64 "$(json $T/a.json "j['architecture']")"
msg=$("$FL" pack docker://$REG/team/multi:1 --platform linux/arm64 -o $T/bad.zip --bootstrap $T/bootstrap --cache-dir $T/c3 2>&1) &&
  fail "an x86_64 bootstrap went into an arm64 package"
assert_contains "bootstrap arch" "$msg" "not built for arm64"
msg=$("$FL" pack docker://$REG/team/multi:1 --platform linux/s390x -o $T/bad.zip --cache-dir $T/c3 2>&1) &&
  fail "a missing platform packed"
assert_contains "lists platforms" "$msg" "it has: linux/amd64, linux/arm64"
msg=$("$FL" pack docker://$REG/team/multi:1 --platform linux/arm64 --arch x86_64 -o $T/bad.zip --cache-dir $T/c3 2>&1) &&
  fail "--arch mismatch packed"
assert_contains "arch mismatch" "$msg" "--arch x86_64, but the image is arm64"
msg=$("$FL" pack docker://$REG/team/nothere:1 -o $T/bad.zip --bootstrap $T/bootstrap 2>&1) && fail "a missing repo packed"
assert_contains "missing repo" "$msg" "not found"

# ---- blobs (and everything) behind redirects ----
rport=$(free_port)
bg $PY $FX/packer_authd.py redirect $rport http://$REG $T/redirect.log
wait_http http://127.0.0.1:$rport/v2/
"$FL" pack docker://127.0.0.1:$rport/team/fn:1.0 -o $T/redir.zip --bootstrap $T/bootstrap --cache-dir $T/c4 -q \
  2>$T/err || fail "pack through redirects: $(cat $T/err)"
unzip_to $T/redir.zip $T/rx; unzip_to $T/reg.zip $T/gx
diff -r $T/rx $T/gx || fail "redirected pack differs"
grep -q "GET /v2/team/fn/blobs/sha256:" $T/redirect.log || fail "no blob went through the redirect"

# ---- a registry under load: 503 and 429 are retried with backoff ----
fport=$(free_port)
bg $PY $FX/packer_authd.py redirect $fport http://$REG $T/flaky.log flaky
wait_http http://127.0.0.1:$fport/v2/
"$FL" pack docker://127.0.0.1:$fport/team/fn:1.0 -o $T/flaky.zip --bootstrap $T/bootstrap --cache-dir $T/c5 -q \
  2>$T/err || fail "pack through a flaky registry: $(cat $T/err)"
cmp $T/reg.zip $T/flaky.zip || fail "flaky pack differs"
blob=$(grep -m1 -o 'GET /v2/team/fn/blobs/sha256:[0-9a-f]*' $T/flaky.log)
assert_eq "each blob asked for three times" 3 "$(grep -c "^$blob\$" $T/flaky.log)"

# ---- the registry gone: the cache still packs ----
stop_registry $reg_pid
"$FL" pack docker://$REG/team/fn:1.0 -o $T/offline.zip --bootstrap $T/bootstrap 2>$T/err >/dev/null ||
  fail "offline pack: $(cat $T/err)"
cmp $T/reg.zip $T/offline.zip || fail "offline pack differs"
assert_contains "says it used the cache" "$(cat $T/err)" "that an earlier pull of $REG/team/fn:1.0 saw"
msg=$("$FL" pack docker://$REG/team/fn:2.0 -o $T/bad.zip --bootstrap $T/bootstrap 2>&1) && fail "an unknown tag packed offline"
assert_contains "unreachable" "$msg" "cannot reach registry $REG"
echo "packer_registry: ok"
