#!/bin/bash
# pack from an OCI layout and a docker-archive: layer semantics (whiteouts,
# opaque directories, file<->directory replacement, hard links, symlinks,
# modes), the package layout, the manifest, determinism, --slim, --json.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"

cd "$T"
fake_bootstrap "$T/bootstrap"
img=$T/img

# layer 1: the base
r=$T/l1; mkdir -p $r/home/app/public $r/usr/bin $r/usr/lib $r/etc/conf.d $r/tree $r/var/log $r/usr/share/doc/x
hello_musl_static $r/usr/bin/fwatchdog
echo A > $r/home/app/a.txt; echo K > $r/home/app/keep.txt
ln $r/home/app/a.txt $r/home/app/h1; ln $r/home/app/a.txt $r/home/app/h2
echo x > $r/etc/conf.d/x.conf; echo y > $r/etc/conf.d/y.conf
echo data > $r/data; echo inner > $r/tree/inner.txt
echo lib > $r/usr/lib/libfoo.so; ln -s usr/lib $r/lib
cp $r/usr/bin/fwatchdog $r/usr/bin/su; chmod 4755 $r/usr/bin/su
ln -s /usr/bin/fwatchdog $r/home/app/abs; ln -s fwatchdog $r/usr/bin/wd; ln -s /dev/stdout $r/var/log/out
echo secret > $r/home/app/secret; chmod 600 $r/home/app/secret
seq 1 2000 | gzip -9n > $r/home/app/data.gz
echo readme > $r/usr/share/doc/x/README
new_image $img fn
add_layer $img fn $r
# layer 2: a whiteout
whiteout $img fn /home/app/keep.txt
# layer 3: /etc/conf.d opaque, holding only z.conf
mkdir -p $T/l3; echo z > $T/l3/z.conf
opaque $img fn $T/l3 /etc/conf.d
# layer 4: data becomes a directory, tree a file
r=$T/l4; mkdir -p $r/data; echo inside > $r/data/inside.txt; echo now-a-file > $r/tree
add_layer $img fn $r
umoci config --image $img:fn --config.cmd fwatchdog --config.workingdir /home/app \
  --config.env fprocess=cat --config.env port=8081 --config.env mode=streaming --config.env KEEP=1

# ---- pack ----
out=$("$FL" pack oci:$img:fn -o $T/fn.zip --bootstrap $T/bootstrap --env EXTRA=yes --env mode=http \
       --fprocess "python index.py" 2>$T/err) || fail "pack: $(cat $T/err)"
assert_contains "summary" "$out" "wrote $T/fn.zip"
assert_contains "setuid warning" "$(cat $T/err)" "cleared setuid/setgid on 1 files"
names=$(zip_names $T/fn.zip)
assert_eq "bootstrap first" bootstrap "$(echo "$names" | head -1)"
assert_eq "manifest last" faas-lambda.json "$(echo "$names" | tail -1)"
assert_eq "one entry per path" "$(echo "$names" | sort | uniq -d)" ""

x=$T/x; unzip_to $T/fn.zip $x
cmp $x/bootstrap $T/bootstrap || fail "bootstrap content"
assert_contains "bootstrap mode" "$(zip_line $T/fn.zip bootstrap)" "-rwxr-xr-x"
assert_eq "a.txt" A "$(cat $x/home/app/a.txt)"
[ ! -e $x/home/app/keep.txt ] || fail "whiteout: keep.txt is still there"
for h in h1 h2; do
  assert_eq "hard link $h" A "$(cat $x/home/app/$h)"
  assert_contains "hard link $h is a file" "$(zip_line $T/fn.zip home/app/$h)" "-rw-r--r--"
done
[ ! -e $x/etc/conf.d/x.conf ] && [ ! -e $x/etc/conf.d/y.conf ] || fail "opaque: lower files survived"
assert_eq "opaque dir content" z "$(cat $x/etc/conf.d/z.conf)"
[ -d $x/data ] && assert_eq "file became dir" inside "$(cat $x/data/inside.txt)"
[ -f $x/tree ] && assert_eq "dir became file" now-a-file "$(cat $x/tree)"
assert_eq "no child of a replaced dir" "" "$(echo "$names" | grep '^tree/' || true)"
assert_eq "absolute symlink made relative" ../../usr/bin/fwatchdog "$(readlink $x/home/app/abs)"
assert_eq "relative symlink kept" fwatchdog "$(readlink $x/usr/bin/wd)"
assert_eq "runtime symlink kept" /dev/stdout "$(readlink $x/var/log/out)"
assert_eq "dir symlink" usr/lib "$(readlink $x/lib)"
assert_eq "through the dir symlink" lib "$(cat $x/lib/libfoo.so)"
assert_contains "setuid cleared" "$(zip_line $T/fn.zip usr/bin/su)" "-rwxr-xr-x"
assert_contains "readable by the Lambda user" "$(zip_line $T/fn.zip home/app/secret)" "-rw-r--r--"
assert_contains "precompressed stored" "$(zip_line $T/fn.zip home/app/data.gz)" " stor "
assert_contains "text deflated" "$(zip_line $T/fn.zip usr/bin/fwatchdog)" " defN "
[ -d $x/home/app/public ] || fail "empty directory lost"
assert_contains "the packed program runs" "$($x/usr/bin/fwatchdog)" "hello from"

m=$T/m.json; manifest_of $T/fn.zip > $m
assert_eq "argv" "['/var/task/usr/bin/fwatchdog']" "$(json $m "j['argv']")"
assert_eq "workdir" /var/task/home/app "$(json $m "j['workdir']")"
assert_eq "port from the image env" 8081 "$(json $m "j['port']")"
assert_eq "health" /_/health "$(json $m "j['health_path']")"
env=$(json $m "'\n'.join(j['env'])")
assert_contains "fprocess from --fprocess" "$env" "fprocess=python index.py"
assert_contains "deployment wins" "$env" "mode=http"
assert_contains "image env kept" "$env" "KEEP=1"
assert_contains "deployment env added" "$env" "EXTRA=yes"
assert_contains "PATH mapped" "$env" "PATH=/var/task/usr/local/sbin:/var/task/usr/local/bin:"
assert_eq "one fprocess" 1 "$(echo "$env" | grep -c '^fprocess=')"

# ---- determinism: byte-identical, whatever the time zone ----
"$FL" pack oci:$img:fn -o $T/fn2.zip --bootstrap $T/bootstrap --env EXTRA=yes --env mode=http \
  --fprocess "python index.py" -q 2>/dev/null
TZ=Pacific/Kiritimati "$FL" pack oci:$img:fn -o $T/fn3.zip --bootstrap $T/bootstrap --env EXTRA=yes \
  --env mode=http --fprocess "python index.py" -q 2>/dev/null
cmp $T/fn.zip $T/fn2.zip || fail "two packs differ"
cmp $T/fn.zip $T/fn3.zip || fail "a pack in another time zone differs"
assert_contains "DOS time" "$(zipinfo -v $T/fn.zip)" "(DOS date/time):          1980 Jan 1 00:00:00"

# ---- docker-archive: the same image gives the same package ----
skopeo copy -q oci:$img:fn docker-archive:$T/fn.tar:team/fn:1.0
"$FL" pack docker-archive:$T/fn.tar -o $T/arc.zip --bootstrap $T/bootstrap --env EXTRA=yes --env mode=http \
  --fprocess "python index.py" -q 2>/dev/null || fail "pack docker-archive"
cmp $T/fn.zip $T/arc.zip || fail "docker-archive and OCI layout packs differ"
"$FL" pack docker-archive:$T/fn.tar:team/fn:1.0 -o $T/arc2.zip --bootstrap $T/bootstrap -q 2>/dev/null ||
  fail "docker-archive by name"
msg=$("$FL" pack docker-archive:$T/fn.tar:team/other -o $T/arc3.zip --bootstrap $T/bootstrap 2>&1) &&
  fail "a missing name was accepted"
assert_contains "names what it has" "$msg" "docker.io/team/fn:1.0"

# ---- --json, --slim, --no-bootstrap ----
"$FL" pack oci:$img:fn -o $T/slim.zip --bootstrap $T/bootstrap --slim --json > $T/res.json 2>/dev/null
assert_eq "json output" $T/slim.zip "$(json $T/res.json "j['output']")"
assert_eq "json format" zip "$(json $T/res.json "j['format']")"
assert_eq "json arch" x86_64 "$(json $T/res.json "j['architecture']")"
assert_eq "json size" "$(stat -c %s $T/slim.zip)" "$(json $T/res.json "j['size']")"
sha=$(openssl dgst -sha256 -binary $T/slim.zip | base64)
assert_eq "CodeSha256" "$sha" "$(json $T/res.json "j['code_sha256']")"
assert_eq "json manifest" "['/var/task/usr/bin/fwatchdog']" "$(json $T/res.json "j['manifest']['argv']")"
has_entry $T/slim.zip usr/share/doc/x/README && fail "--slim kept docs"
has_entry $T/slim.zip usr/share/doc/ || fail "--slim dropped the directory itself"
"$FL" pack oci:$img:fn -o $T/nb.zip --no-bootstrap -q 2>/dev/null
has_entry $T/nb.zip bootstrap && fail "--no-bootstrap packaged one"

# ---- the bootstrap found next to the executable ----
mkdir -p $T/bin; cp "$FL" $T/bin/faas-lambda
msg=$($T/bin/faas-lambda pack oci:$img:fn -o $T/nob.zip 2>&1) && fail "packed without a bootstrap"
assert_contains "says where it looked" "$msg" "$T/bin/bootstrap"
assert_contains "says what to do" "$msg" "--bootstrap FILE"
[ ! -e $T/nob.zip ] || fail "a failed pack left its output"
cp $T/bootstrap $T/bin/bootstrap
$T/bin/faas-lambda pack oci:$img:fn -o $T/found.zip -q 2>/dev/null || fail "bootstrap next to faas-lambda"
unzip -p $T/found.zip bootstrap | cmp - $T/bootstrap || fail "found bootstrap content"
cp /bin/true $T/bin/bootstrap
msg=$($T/bin/faas-lambda pack oci:$img:fn -o $T/dyn.zip 2>&1) && fail "a dynamic bootstrap was packed"
assert_contains "static bootstrap required" "$msg" "dynamically linked"
mkdir -p $T/pfx/bin $T/pfx/lib/faas-lambda; cp "$FL" $T/pfx/bin/; cp $T/bootstrap $T/pfx/lib/faas-lambda/bootstrap-x86_64
$T/pfx/bin/faas-lambda pack oci:$img:fn -o $T/inst.zip -q 2>/dev/null || fail "installed bootstrap"

# ---- errors leave nothing behind ----
msg=$("$FL" pack oci:$T/nope -o $T/bad.zip --bootstrap $T/bootstrap 2>&1) && fail "a missing layout packed"
assert_contains "missing layout" "$msg" "not an OCI image layout"
[ -z "$(ls $T | grep -E 'bad.zip|\.tmp\.')" ] || fail "left files: $(ls $T)"
msg=$("$FL" pack oci:$img:nope -o $T/bad.zip --bootstrap $T/bootstrap 2>&1) && fail "a missing ref packed"
assert_contains "missing ref" "$msg" 'no image named "nope" (it has: fn)'
rc=0; "$FL" pack 2>/dev/null || rc=$?
assert_eq "usage error" 2 $rc
echo "packer_basic: ok"
