# Relocation, proven where it matters: a Debian-based (glibc) watchdog and a
# musl program it runs, packed from an image, run by faas-lambda emulate in a
# sandbox whose root filesystem is empty (--runtime-root): no libc, no loader,
# no shell but what the package carries. The function answers only if the
# bootstrap made the relocation links and the packer rewrote every
# interpreter and library path.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"
cd "$T"
r=$T/root; lib=$r/usr/lib/x86_64-linux-gnu
mkdir -p "$lib" "$r/usr/lib64" "$r/usr/bin" "$r/home/app" "$r/lib/x86_64-linux-musl"
cp "$B/tests/fixture-watchdog" "$r/usr/bin/fwatchdog"
for so in $(ldd "$B/tests/fixture-watchdog" | grep -o '/[^ ]*'); do cp -L "$so" "$lib/$(basename "$so")"; done
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$r/usr/lib64/ld-linux-x86-64.so.2"
ln -s usr/lib64 "$r/lib64"
# the function: a dynamically linked musl program, with musl's loader
cat > hello.c <<'C'
#include <stdio.h>
int main(void) { char b[256]; size_t n = fread(b, 1, sizeof b - 1, stdin); b[n] = 0;
                 printf("musl says hello to %s\n", b); return 0; }
C
musl-gcc -O1 -o "$r/usr/bin/hello-musl" hello.c
cp -L /lib/x86_64-linux-musl/libc.so "$r/lib/x86_64-linux-musl/libc.so"
ln -s x86_64-linux-musl/libc.so "$r/lib/ld-musl-x86_64.so.1"
new_image img fn; add_layer img fn "$r"
umoci config --image img:fn --config.cmd fwatchdog --config.workingdir /home/app \
  --config.env mode=serializing --config.env fprocess=/usr/bin/hello-musl
"$FL" pack oci:img:fn -o fn.zip -q || fail "pack"
unzip_to fn.zip task

mkdir -p empty-root
start_emulate "$T/task" --runtime-root "$T/empty-root" --timeout 10
python3 -c 'import json; print(json.dumps({"version":"2.0","rawPath":"/","rawQueryString":"","headers":{},
  "requestContext":{"http":{"method":"POST","path":"/"},"domainName":"x.lambda-url.us-east-1.on.aws"},
  "body":"Lambda","isBase64Encoded":False}))' > ev.json
invoke ev.json out.json > cli.json || fail "invoke: $(tail -20 "$T/emulate.log")"
assert_eq "no function error" None "$(json cli.json 'j.get("FunctionError")')"
assert_eq "the musl function ran behind the glibc watchdog" "musl says hello to Lambda" "$(json out.json 'j["body"]' | tr -d '\n')"
grep -q "fixture-watchdog: listening on 127.0.0.1:8080" "$T/emulate.log" || fail "the relocated watchdog did not start"
kill "$EMU_PID"; wait "$EMU_PID" 2>/dev/null || true

# the same package without relocation cannot start there: the proof has teeth
"$FL" pack oci:img:fn -o plain.zip -q --no-relocate || fail "pack --no-relocate"
unzip_to plain.zip plain
start_emulate "$T/plain" --runtime-root "$T/empty-root" --timeout 10
invoke ev.json out2.json > cli2.json || true
assert_eq "without relocation: the watchdog cannot start" Unhandled "$(json cli2.json 'j.get("FunctionError")')"
