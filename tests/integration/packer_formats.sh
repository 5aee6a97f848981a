#!/bin/bash
# --format layer (with --path), --format image (to an OCI layout, and pushed
# to a registry, then pulled and packed again), and inspect.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"

cd "$T"
fake_bootstrap $T/bootstrap
img=$T/img
r=$T/root; mkdir -p $r/usr/bin $r/home/app $r/usr/share/doc
hello_musl_static $r/fwatchdog; cp $r/fwatchdog $r/usr/bin/other; echo doc > $r/usr/share/doc/x
echo app > $r/home/app/handler.txt
new_image $img fn; add_layer $img fn $r
mkdir -p $T/r2/home/app; echo v2 > $T/r2/home/app/handler.txt; add_layer $img fn $T/r2
umoci config --image $img:fn --config.entrypoint /fwatchdog --config.workingdir /home/app --config.env fprocess=cat \
  --config.env mode=http --config.env upstream_url=http://127.0.0.1:5000 --config.user app

# ---- layer ----
"$FL" pack oci:$img:fn --format layer --path /fwatchdog -o $T/wd.zip --json > $T/l.json 2>/dev/null || fail "layer"
assert_eq "layer holds only the path" fwatchdog "$(zip_names $T/wd.zip)"
assert_eq "layer format" layer "$(json $T/l.json "j['format']")"
"$FL" pack oci:$img:fn --format layer --path /home/app --path usr/bin -o $T/two.zip -q 2>/dev/null
assert_eq "two paths" "home/app/ home/app/handler.txt usr/bin/ usr/bin/other" "$(zip_names $T/two.zip | tr '\n' ' ' | sed 's/ $//')"
assert_eq "upper content" v2 "$(unzip -p $T/two.zip home/app/handler.txt)"
"$FL" pack oci:$img:fn --format layer -o $T/all.zip -q 2>/dev/null
has_entry $T/all.zip bootstrap && fail "a layer got a bootstrap"
has_entry $T/all.zip faas-lambda.json && fail "a layer got a manifest"
has_entry $T/all.zip usr/share/doc/x || fail "a layer without --path lacks files"
msg=$("$FL" pack oci:$img:fn --format layer --path /nothere -o $T/none.zip 2>&1) || fail "layer with a missing path"
assert_contains "missing path warned" "$msg" "--path /nothere matched nothing"
msg=$("$FL" pack oci:$img:fn --path /x -o $T/bad.zip 2>&1) && fail "--path with a zip"
assert_contains "--path needs layer" "$msg" "--path applies to --format layer only"

# ---- image, to an OCI layout ----
"$FL" pack oci:$img:fn --format image -o oci:$T/out:lambda --bootstrap $T/bootstrap --env EXTRA=1 --json \
  > $T/i.json 2>$T/err || fail "image: $(cat $T/err)"
skopeo inspect --config oci:$T/out:lambda > $T/cfg.json || fail "skopeo cannot read the layout"
assert_eq "entrypoint" "['/var/runtime/bootstrap']" "$(json $T/cfg.json "j['config']['Entrypoint']")"
assert_eq "cmd" "['/fwatchdog']" "$(json $T/cfg.json "j['config']['Cmd']")"
assert_eq "workdir kept" /home/app "$(json $T/cfg.json "j['config']['WorkingDir']")"
assert_contains "env merged" "$(json $T/cfg.json "j['config']['Env']")" "'EXTRA=1'"
assert_eq "one more layer" 3 "$(json $T/cfg.json "len(j['rootfs']['diff_ids'])")"
mkdir -p $T/bundle; umoci raw unpack --image $T/out:lambda $T/bundle/rootfs >/dev/null 2>&1 || fail "umoci cannot unpack it"
cmp $T/bundle/rootfs/var/runtime/bootstrap $T/bootstrap || fail "bootstrap in the image"
assert_eq "container manifest" "['/fwatchdog']" "$(json $T/bundle/rootfs/var/task/faas-lambda.json "j['argv']")"
assert_eq "image content" v2 "$(cat $T/bundle/rootfs/home/app/handler.txt)"
"$FL" pack oci:$img:fn --format image -o oci:$T/out2:lambda --bootstrap $T/bootstrap --env EXTRA=1 -q 2>/dev/null
cmp $T/out/index.json $T/out2/index.json || fail "image output is not deterministic"
# a second tag in the same layout keeps the first
"$FL" pack oci:$img:fn --format image -o oci:$T/out:other --bootstrap $T/bootstrap -q 2>/dev/null
skopeo inspect oci:$T/out:lambda >/dev/null && skopeo inspect oci:$T/out:other >/dev/null || fail "tags in one layout"
# docker-archive layers are recompressed to gzip
skopeo copy -q oci:$img:fn docker-archive:$T/fn.tar
"$FL" pack docker-archive:$T/fn.tar --format image -o oci:$T/out3 --bootstrap $T/bootstrap -q 2>$T/err ||
  fail "image from docker-archive: $(cat $T/err)"
mkdir -p $T/bundle3; umoci raw unpack --image $T/out3:latest $T/bundle3/rootfs >/dev/null 2>&1 || fail "umoci cannot unpack the recompressed image"
assert_eq "recompressed content" v2 "$(cat $T/bundle3/rootfs/home/app/handler.txt)"

# ---- zstd and uncompressed layers ----
$PY $FX/packer_oci.py tar $T/z1.tar d:bin f:bin/fwatchdog=z f:a.txt=zstd
$PY $FX/packer_oci.py tar $T/z2.tar f:b.txt=plain f:.wh.a.txt=
zstd -q -19 $T/z1.tar -o $T/z1.tar.zst
$PY $FX/packer_oci.py layout $T/zl $T/z1.tar.zst $T/z2.tar --no-gzip
"$FL" inspect oci:$T/zl:fn --json --config-only > $T/z.json 2>/dev/null
assert_eq "compressions" "['zstd', 'none']" "$(json $T/z.json "[l['compression'] for l in j['layers']]")"
"$FL" pack oci:$T/zl:fn -o $T/z.zip --bootstrap $T/bootstrap -q 2>/dev/null || fail "pack zstd + plain layers"
assert_eq "zstd layer content" z "$(unzip -p $T/z.zip bin/fwatchdog)"
assert_eq "plain layer content" plain "$(unzip -p $T/z.zip b.txt)"
has_entry $T/z.zip a.txt && fail "whiteout across zstd and plain layers"
"$FL" pack oci:$T/zl:fn --format image -o oci:$T/zout --bootstrap $T/bootstrap -q 2>/dev/null || fail "image from zstd"
mkdir -p $T/zb; umoci raw unpack --image $T/zout:latest $T/zb/rootfs >/dev/null 2>&1 || fail "unpack the recompressed zstd image"
assert_eq "recompressed zstd" plain "$(cat $T/zb/rootfs/b.txt)"
assert_eq "all gzip now" "True" "$(json $T/zout/blobs/sha256/$(json $T/zout/index.json "j['manifests'][0]['digest'][7:]") \
  "all(l['mediaType'].endswith('+gzip') for l in j['layers'])")"

# ---- image, pushed: only missing blobs go up ----
start_registry reg
push $img:fn $REG/team/fn:1
"$FL" pack docker://$REG/team/fn:1 --format image -o docker://$REG/team/fn-lambda:1 --bootstrap $T/bootstrap \
  --json > $T/p.json 2>$T/err || fail "push: $(cat $T/err)"
pushed=$(json $T/p.json "j['manifest_digest']")
raw=$(skopeo inspect --raw --tls-verify=false docker://$REG/team/fn-lambda:1)
assert_contains "docker media types" "$raw" '"mediaType":"application/vnd.docker.distribution.manifest.v2+json"'
assert_contains "docker layer type" "$raw" 'application/vnd.docker.image.rootfs.diff.tar.gzip'
assert_eq "pushed digest" "$pushed" "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)"
assert_eq "the image's layers were mounted, not uploaded" 2 "$(grep -c 'POST /v2/team/fn-lambda/blobs/uploads/?mount=.*" 201 ' $T/reg/log)"
assert_eq "only the image's layers are mounted" 0 "$(grep -c 'POST /v2/team/fn-lambda/blobs/uploads/?mount=.*" 202 ' $T/reg/log)"
assert_eq "only bootstrap layer and config uploaded" 2 "$(grep -c 'PUT /v2/team/fn-lambda/blobs/uploads/' $T/reg/log)"
# pushed again: every blob is there already
"$FL" pack docker://$REG/team/fn:1 --format image -o docker://$REG/team/fn-lambda:2 --bootstrap $T/bootstrap -q 2>/dev/null
assert_eq "nothing uploaded twice" 2 "$(grep -c 'PUT /v2/team/fn-lambda/blobs/uploads/' $T/reg/log)"
# pulled again: it is an image like any other
skopeo copy -q --src-tls-verify=false docker://$REG/team/fn-lambda:1 oci:$T/back:x
mkdir -p $T/bundle4; umoci raw unpack --image $T/back:x $T/bundle4/rootfs >/dev/null 2>&1
cmp $T/bundle4/rootfs/var/runtime/bootstrap $T/bootstrap || fail "round trip"
"$FL" inspect docker://$REG/team/fn-lambda:1 --json > $T/ins.json 2>/dev/null || fail "inspect the pushed image"
assert_eq "pushed image starts the bootstrap" /var/runtime/bootstrap "$(json $T/ins.json "j['watchdog']['path']")"

# ---- inspect ----
"$FL" inspect oci:$img:fn --json > $T/ins.json 2>/dev/null || fail "inspect"
assert_eq "watchdog path" /fwatchdog "$(json $T/ins.json "j['watchdog']['path']")"
assert_eq "watchdog kind" of-watchdog "$(json $T/ins.json "j['watchdog']['kind']")"
assert_eq "upstream" http://127.0.0.1:5000 "$(json $T/ins.json "j['watchdog']['upstream']")"
assert_eq "layers" 2 "$(json $T/ins.json "len(j['layers'])")"
assert_eq "files" 4 "$(json $T/ins.json "j['files']")"
assert_contains "USER warned" "$(json $T/ins.json "j['warnings']")" "USER app has no meaning on Lambda"
text=$("$FL" inspect oci:$img:fn 2>/dev/null)
assert_contains "text report" "$text" "watchdog    /fwatchdog (of-watchdog)"
"$FL" inspect oci:$img:fn --config-only --json > $T/co.json 2>/dev/null
assert_eq "config only reads no files" False "$(json $T/co.json "'files' in j")"
umoci config --image $img:fn --config.entrypoint /nothere
"$FL" inspect oci:$img:fn --json > $T/ins2.json 2>/dev/null
assert_contains "missing watchdog" "$(json $T/ins2.json "j['warnings']")" "/nothere is not a file in the image"
umoci config --image $img:fn --architecture s390x
"$FL" inspect oci:$img:fn --json --config-only > $T/ins3.json 2>/dev/null
assert_contains "architecture" "$(json $T/ins3.json "j['warnings']")" "Lambda runs linux x86_64 (amd64) and arm64 only"
echo "packer_formats: ok"
