#!/bin/bash
# End to end: an OpenFaaS-style image (the fixture watchdog and the glibc
# libraries it needs, Debian layout) pushed to a registry, packed from there
# with the real static bootstrap, run in `faas-lambda emulate`, invoked with
# the AWS CLI. The watchdog only starts if the bootstrap honours the
# manifest: argv, env, workdir and the relocation link of its interpreter.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"

[ -x "$B/bootstrap" ] || fail "no $B/bootstrap (make build/bootstrap)"
[ -x "$B/tests/fixture-watchdog" ] || fail "no fixture watchdog (make build/tests/fixture-watchdog)"
cd "$T"
r=$T/root; lib=$r/usr/lib/x86_64-linux-gnu
mkdir -p $lib $r/usr/lib64 $r/usr/bin $r/home/app
cp $B/tests/fixture-watchdog $r/usr/bin/fwatchdog
for so in $(ldd $B/tests/fixture-watchdog | grep -o '/[^ ]*'); do cp -L "$so" "$lib/$(basename "$so")"; done
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 $r/usr/lib64/ld-linux-x86-64.so.2
ln -s usr/lib $r/lib; ln -s usr/lib64 $r/lib64; ln -s usr/bin $r/bin
echo hello > $r/home/app/handler.txt
new_image $T/img fn; add_layer $T/img fn $r
umoci config --image $T/img:fn --config.cmd fwatchdog --config.workingdir /home/app --config.env fprocess=cat \
  --config.env mode=http
start_registry reg
push $T/img:fn $REG/team/fn:1

# the bootstrap is found next to faas-lambda (build/bootstrap)
"$FL" pack docker://$REG/team/fn:1 -o $T/fn.zip --env port=8080 --json > $T/res.json 2>$T/err || fail "pack: $(cat $T/err)"
cmp <(unzip -p $T/fn.zip bootstrap) $B/bootstrap || fail "not the real bootstrap"
assert_eq "relocated" "['/tmp/fl-ld0']" "$(json $T/res.json "[l['path'] for l in j['manifest']['relocation']['links']]")"
unzip_to $T/fn.zip $T/task
start_emulate "$T/task"
invoke "$EVENTS/aws-lambda-go/function-url-request-with-headers-and-cookies-and-text-body.json" $T/out.json > $T/cli.json ||
  fail "invoke: $(tail -20 $T/emulate.log)"
assert_eq "no function error" "None" "$(json $T/cli.json 'j.get("FunctionError")')"
assert_eq "statusCode" 200 "$(json $T/out.json 'j["statusCode"]')"
assert_eq "path" /hello "$(echo_field $T/out.json 'e["path"]')"
assert_eq "query" "hello=world&foo=bar" "$(echo_field $T/out.json 'e["query"]')"
assert_eq "body" '{"hello": "world"}' "$(echo_field $T/out.json 'body().decode()')"
grep -q "fixture-watchdog: listening on 127.0.0.1:8080" $T/emulate.log || fail "the packed watchdog did not start"
echo "packer_emulate: ok"
