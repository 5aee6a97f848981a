#!/bin/bash
# Relocation: glibc (Debian layout) and musl (Alpine layout) programs and a
# script, packed, then run from /var/task inside a bubblewrap sandbox whose
# root has nothing but /var/task, /tmp, /proc and /dev: no libc, no loader, no
# /bin/sh. The relocation links the bootstrap would make at init are made by
# bwrap --symlink from faas-lambda.json.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"

cd "$T"
fake_bootstrap $T/bootstrap
gnu=/lib/x86_64-linux-gnu
r=$T/root
mkdir -p $r/usr/lib/x86_64-linux-gnu $r/usr/lib64 $r/usr/bin $r/etc/ld.so.conf.d $r/home/app $r/lib-musl
cp $gnu/libc.so.6 $gnu/ld-linux-x86-64.so.2 $r/usr/lib/x86_64-linux-gnu/
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 $r/usr/lib64/ld-linux-x86-64.so.2
ln -s usr/lib $r/lib; ln -s usr/lib64 $r/lib64; ln -s usr/bin $r/bin
printf 'include /etc/ld.so.conf.d/*.conf\n' > $r/etc/ld.so.conf
printf '# multiarch\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' \
  > $r/etc/ld.so.conf.d/x86_64-linux-gnu.conf
hello_glibc $r/usr/bin/hello-glibc
cp /bin/dash $r/usr/bin/dash; ln -s dash $r/usr/bin/sh
# musl, as Alpine lays it out: the loader is libc itself
cp /lib/x86_64-linux-musl/libc.so $r/usr/lib/ld-musl-x86_64.so.1
ln -s ld-musl-x86_64.so.1 $r/usr/lib/libc.musl-x86_64.so.1
hello_musl_dynamic $r/usr/bin/hello-musl
hello_musl_static $r/usr/bin/hello-static
printf '#!/bin/sh\necho "script in $PWD"\nhello-glibc\nhello-musl\n' > $r/usr/bin/greet; chmod 755 $r/usr/bin/greet
printf '#!/usr/bin/env sh\necho env\n' > $r/home/app/run.sh; chmod 755 $r/home/app/run.sh
ln $r/usr/bin/hello-glibc $r/home/app/hello-hard
new_image $T/img fn; add_layer $T/img fn $r
umoci config --image $T/img:fn --config.cmd greet --config.workingdir /home/app \
  --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.env JAVA_HOME=/usr/lib --config.env URL=http://x/usr
"$FL" pack oci:$T/img:fn -o $T/fn.zip --bootstrap $T/bootstrap --json > $T/res.json 2>$T/err || fail "pack: $(cat $T/err)"
x=$T/task; unzip_to $T/fn.zip $x
m=$T/m.json; manifest_of $T/fn.zip > $m

# ---- what relocation wrote ----
interp() { readelf -l "$1" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p'; }
# target LINK: where the manifest's relocation link LINK points
target() { json $m "{l['path']: l['target'] for l in j['relocation']['links']}.get('$1')"; }
assert_eq "glibc interpreter" /var/task/lib64/ld-linux-x86-64.so.2 "$(target "$(interp $x/usr/bin/hello-glibc)")"
assert_eq "musl interpreter" /var/task/lib/ld-musl-x86_64.so.1 "$(target "$(interp $x/usr/bin/hello-musl)")"
assert_eq "hard link relocated too" "$(interp $x/usr/bin/hello-glibc)" "$(interp $x/home/app/hello-hard)"
assert_eq "static untouched" "" "$(interp $x/usr/bin/hello-static)"
cmp <(tail -c +2 $r/usr/lib/x86_64-linux-gnu/libc.so.6 | head -c 100) <(tail -c +2 $x/usr/lib/x86_64-linux-gnu/libc.so.6 | head -c 100) >/dev/null ||
  fail "libc head changed"
assert_eq "same length" "$(stat -c %s $r/usr/bin/hello-glibc)" "$(stat -c %s $x/usr/bin/hello-glibc)"
shebang=$(head -1 $x/usr/bin/greet); envline=$(head -1 $x/home/app/run.sh)
assert_eq "shebang: the image's shell" /var/task/bin/sh "$(target "${shebang#\#!}")"
envlink=${envline#\#!}
assert_eq "env shebang: no env in the image, the runtime's own" /usr/bin/env "$(target "${envlink%% *}")"
assert_eq "env shebang keeps its argument" "sh" "${envline##* }"
assert_eq "every link under /tmp/fl-" "True" "$(json $m "all(l['path'].startswith('/tmp/fl-ld') for l in j['relocation']['links'])")"
assert_eq "argv" "['/var/task/usr/bin/greet']" "$(json $m "j['argv']")"
assert_eq "workdir" /var/task/home/app "$(json $m "j['workdir']")"
env=$(json $m "'\n'.join(j['env'])")
assert_contains "PATH" "$env" "PATH=/var/task/usr/local/bin:/var/task/usr/bin:/var/task/bin"
# each directory once (lib -> usr/lib), only those that exist, ld.so.conf order first
assert_contains "LD_LIBRARY_PATH" "$env" "LD_LIBRARY_PATH=/var/task/lib/x86_64-linux-gnu:/var/task/lib64:/var/task/lib"
assert_contains "image paths mapped" "$env" "JAVA_HOME=/var/task/usr/lib"
assert_contains "URLs left alone" "$env" "URL=http://x/usr"
assert_contains "notes" "$(cat $T/res.json)" "rewrote the ELF interpreter of"

# ---- run them where the host's libc is not ----
sandbox() { # sandbox ENV_JSON CMD...: /var/task = the package, relocation links from the manifest
  local args=(--bind $x /var/task --tmpfs /tmp --proc /proc --dev /dev --clearenv --chdir /var/task/home/app)
  local l
  while read -r l; do args+=(--symlink ${l#* } ${l%% *}); done < <(json $m "'\n'.join(l['path']+' '+l['target'] for l in j['relocation']['links'])")
  while read -r l; do args+=(--setenv "${l%%=*}" "${l#*=}"); done < <(json $m "'\n'.join(j['env'])")
  bwrap "${args[@]}" "$@"
}
assert_eq "glibc program" "hello from /var/task/usr/bin/hello-glibc" "$(sandbox /var/task/usr/bin/hello-glibc)"
assert_eq "musl program" "hello from /var/task/usr/bin/hello-musl" "$(sandbox /var/task/usr/bin/hello-musl)"
assert_eq "static program" "hello from /var/task/usr/bin/hello-static" "$(sandbox /var/task/usr/bin/hello-static)"
out=$(sandbox /var/task/usr/bin/greet) || fail "the script failed: $out"
assert_eq "script through the relocated shell" "script in /var/task/home/app
hello from hello-glibc
hello from hello-musl" "$out"
assert_eq "the manifest's command" "$out" "$(sandbox $(json $m "j['argv'][0]"))"
[ ! -e /bin/sh ] || bwrap --bind $x /var/task --tmpfs /tmp --proc /proc --dev /dev /bin/sh -c true 2>/dev/null &&
  fail "the sandbox has a /bin/sh: it does not prove anything"

# ---- without relocation the same package cannot run there ----
"$FL" pack oci:$T/img:fn -o $T/raw.zip --bootstrap $T/bootstrap --no-relocate -q 2>/dev/null
x=$T/raw; unzip_to $T/raw.zip $x; m=$T/raw.json; manifest_of $T/raw.zip > $m
assert_eq "interpreter kept" /lib64/ld-linux-x86-64.so.2 "$(interp $x/usr/bin/hello-glibc)"
sandbox /var/task/usr/bin/hello-glibc 2>/dev/null && fail "an unrelocated glibc program ran without a libc"
echo "packer_relocate: ok"
