#!/bin/bash
# Hostile images: each is refused or neutralised with a clear message, and
# nothing is ever written outside the output (a failed pack leaves nothing).
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"

mkdir -p $T/out $T/work; cd $T/work
fake_bootstrap $T/bootstrap
tarf() { local out=$1; shift; $PY $FX/packer_oci.py tar "$out" "$@"; }
layout() { local d=$1; shift; rm -rf "$d"; $PY $FX/packer_oci.py layout "$d" "$@"; }
# pack_fails NAME LAYOUT NEEDLE [ARGS]: must fail, say NEEDLE, leave nothing.
pack_fails() {
  local name=$1 l=$2 needle=$3 msg; shift 3
  msg=$("$FL" pack oci:$l:fn -o $T/out/$name.zip --bootstrap $T/bootstrap "$@" 2>&1) && fail "$name: packed"
  assert_contains "$name" "$msg" "$needle"
  [ -z "$(ls -A $T/out)" ] || fail "$name: left $(ls -A $T/out)"
}
pack_ok() {
  local name=$1 l=$2; shift 2
  "$FL" pack oci:$l:fn -o $T/ok/$name.zip --bootstrap $T/bootstrap "$@" 2>$T/ok/$name.err >/dev/null ||
    fail "$name: $(cat $T/ok/$name.err)"
}
mkdir -p $T/ok
base=$T/base.tar; tarf $base d:bin f:bin/fwatchdog=x

# ---- names ----
tarf $T/abs.tar f:/etc/abs.txt=abs
layout $T/L1 $base $T/abs.tar; pack_ok abs $T/L1
assert_contains "absolute names neutralised" "$(cat $T/ok/abs.err)" "had absolute names (made relative"
assert_eq "absolute name inside" abs "$(unzip -p $T/ok/abs.zip etc/abs.txt)"
[ ! -e /etc/abs.txt ] || fail "wrote /etc/abs.txt"

tarf $T/dotdot.tar f:../../evil.txt=evil; layout $T/L2 $base $T/dotdot.tar
pack_fails dotdot $T/L2 'climbs out of the image root'
tarf $T/dotdot2.tar f:a/../../evil.txt=evil; layout $T/L3 $base $T/dotdot2.tar
pack_fails dotdot2 $T/L3 'climbs out of the image root'
[ ! -e $T/evil.txt ] && [ ! -e $T/out/evil.txt ] || fail "evil.txt escaped"

# ---- paths through symlinks ----
tarf $T/through.tar l:evil=/etc f:evil/passwd=root::0:0; layout $T/L4 $base $T/through.tar
pack_fails through $T/L4 'under a symlink or file that the same layer created'
tarf $T/wh.tar l:evil=/etc f:evil/.wh.passwd=; layout $T/L5 $base $T/wh.tar
pack_fails whiteout-through $T/L5 'goes through a symlink or file of the same layer'
# across layers the upper directory wins; the lower symlink is gone
tarf $T/low.tar l:lnk=/etc; tarf $T/up.tar f:lnk/passwd=mine
layout $T/L6 $base $T/low.tar $T/up.tar; pack_ok cross $T/L6
assert_contains "upper dir replaces lower symlink" "$(zip_line $T/ok/cross.zip lnk/)" "drwxr-xr-x"
assert_contains "and says so" "$(cat $T/ok/cross.err)" "1 symlinks of lower layers were replaced by directories"
assert_eq "file under it" mine "$(unzip -p $T/ok/cross.zip lnk/passwd)"

# ---- links pointing outside ----
tarf $T/up2.tar l:up=../../../../etc/shadow l:abs=/etc/shadow l:bin/sh2=/bin/../../../sh l:out=/proc/self/root
layout $T/L7 $base $T/up2.tar; pack_ok links $T/L7
assert_contains "clamped" "$(cat $T/ok/links.err)" "2 symlinks pointed above the image root"
unzip_to $T/ok/links.zip $T/lx
assert_eq "clamped target" etc/shadow "$(readlink $T/lx/up)"
assert_eq "absolute made relative" etc/shadow "$(readlink $T/lx/abs)"
assert_eq "clamped from a subdirectory" ../sh "$(readlink $T/lx/bin/sh2)"
assert_eq "runtime path kept" /proc/self/root "$(readlink $T/lx/out)"
tarf $T/hl.tar h:hl=../../etc/passwd; layout $T/L8 $base $T/hl.tar
pack_fails hardlink-out $T/L8 'hard link hl points outside the image root'

# ---- devices, FIFOs, setuid ----
tarf $T/dev.tar d:dev c:dev/null p:run.fifo s:bin/su=x
layout $T/L9 $base $T/dev.tar; pack_ok dev $T/L9
assert_contains "devices skipped" "$(cat $T/ok/dev.err)" "skipped 2 device nodes, FIFOs or sockets"
assert_contains "setuid" "$(cat $T/ok/dev.err)" "cleared setuid/setgid on 1 files"
has_entry $T/ok/dev.zip dev/null && fail "a device node was packed"
has_entry $T/ok/dev.zip run.fifo && fail "a FIFO was packed"
assert_contains "su mode" "$(zip_line $T/ok/dev.zip bin/su)" "-rwxr-xr-x"

# ---- gigantic and endless layers ----
tarf $T/bomb.tar big:zeros=200000000; layout $T/L10 $base $T/bomb.tar
[ "$(stat -c %s $T/L10/blobs/sha256/* | sort -n | tail -1)" -lt 1000000 ] || fail "the bomb is not small"
rm $T/bomb.tar
pack_fails bomb $T/L10 'over the 67108864 allowed (--max-size)' --max-size 64M
tarf $T/many.tar many:f=3000; layout $T/L11 $base $T/many.tar
pack_fails flood $T/L11 'more than 1000 entries (--max-entries)' --max-entries 1000

# ---- digests that do not match ----
layout $T/L12 $base $T/abs.tar
pack_ok good $T/L12
for b in $T/L12/blobs/sha256/*; do
  if gzip -t $b 2>/dev/null && zcat $b | tar -t 2>/dev/null | grep -q abs.txt; then victim=$b; fi
done
$PY $FX/packer_oci.py corrupt $victim
pack_fails corrupt-layer $T/L12 "not sha256:$(basename $victim)"
layout $T/L13 $base $T/abs.tar
$PY $FX/packer_oci.py lie-size $T/L13 -10
pack_fails size-lie $T/L13 'longer than the'
layout $T/L14 $base
cfg=$($PY -c "import json,sys; i=json.load(open('$T/L14/index.json')); m=json.load(open('$T/L14/blobs/sha256/'+i['manifests'][0]['digest'][7:])); print(m['config']['digest'][7:])")
$PY $FX/packer_oci.py corrupt $T/L14/blobs/sha256/$cfg
pack_fails corrupt-config $T/L14 "corrupt or tampered with"
echo '{"schemaVersion": 2, "manifests": [' > $T/L14/index.json
pack_fails bad-index $T/L14 "index.json: not a JSON object"

# docker-archive: a layer that does not match its diff_id
layout $T/L15 $base $T/abs.tar
skopeo copy -q oci:$T/L15:fn docker-archive:$T/work/fn.tar
$PY - $T/work/fn.tar <<'P'
import io, sys, tarfile
src = sys.argv[1]
members = []
with tarfile.open(src) as t:
    for m in t.getmembers():
        data = t.extractfile(m).read() if m.isfile() else None
        if data and b"abs.txt" in data:
            i = data.index(b"abs\0") if b"abs\0" in data else data.rindex(b"abs")
            data = data[:i] + b"ABS" + data[i + 3:]
        members.append((m, data))
with tarfile.open(src, "w") as t:
    for m, data in members:
        t.addfile(m, io.BytesIO(data) if data is not None else None)
P
msg=$("$FL" pack docker-archive:$T/work/fn.tar -o $T/out/arc.zip --bootstrap $T/bootstrap 2>&1) && fail "tampered archive packed"
assert_contains "diff_id" "$msg" "but the image config says"
[ -z "$(ls -A $T/out)" ] || fail "tampered archive left $(ls -A $T/out)"

# a registry that serves a damaged blob
start_registry reg
skopeo copy -q --dest-tls-verify=false oci:$T/L15:fn docker://$REG/team/fn:1
for d in $T/reg/data/docker/registry/v2/blobs/sha256/*/*/data; do
  if gzip -t $d 2>/dev/null && zcat $d | tar -t 2>/dev/null | grep -q abs.txt; then $PY $FX/packer_oci.py corrupt $d; fi
done
msg=$("$FL" pack docker://$REG/team/fn:1 -o $T/out/reg.zip --bootstrap $T/bootstrap 2>&1) && fail "damaged blob packed"
assert_contains "registry blob" "$msg" "corrupt or tampered with; refusing it"
[ -z "$(ls -A $T/out)" ] || fail "damaged blob left $(ls -A $T/out)"
[ -z "$(find $XDG_CACHE_HOME -name '.tmp-*')" ] || fail "temp files left in the cache"
for f in $XDG_CACHE_HOME/faas-lambda/blobs/sha256/*; do
  [ "sha256:$(basename $f)" == "sha256:$(sha256sum $f | cut -d' ' -f1)" ] || fail "the cache holds a bad blob $f"
done

# ---- nothing outside: the packs ran in $T/work, which holds only what the test made ----
assert_eq "work directory" "fn.tar" "$(ls -A $T/work)"
echo "packer_hostile: ok"
