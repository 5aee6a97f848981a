#!/bin/bash
# The AWS SDK for JavaScript v3 (@aws-sdk/client-lambda from npm, installed
# into build/npm once and reused) runs a create / wait / get / invoke /
# InvokeWithResponseStream / delete scenario against faas-lambda emulate,
# with its own SigV4 signing checked in --auth strict mode.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"
command -v node >/dev/null || fail "node is not installed (Debian: apt-get install nodejs npm)"
# Pinned: reproducible, and it runs on Debian 12's Node.js 18 as well as on 20+.
SDK_VERSION=3.723.0
SDK=$B/npm/aws-sdk-js-$SDK_VERSION
if [ ! -d "$SDK/node_modules/@aws-sdk/client-lambda" ]; then
  command -v npm >/dev/null || fail "npm is not installed (Debian: apt-get install npm)"
  mkdir -p "$SDK"
  npm install --prefix "$SDK" --cache "$B/npm/cache" --no-audit --no-fund --loglevel=error "@aws-sdk/client-lambda@$SDK_VERSION" ||
    fail "npm install @aws-sdk/client-lambda failed"
fi

make_task "$T/task"
make_zip "$T/task" "$T/fn.zip"
start_service --auth strict --access-key AKIDEXAMPLE --secret-key sdk-secret
SDK_DIR=$SDK/node_modules node "$FL_TOP/tests/fixtures/emu_sdk.mjs" "$ENDPOINT" "$T/fn.zip" "$TASK_RAPI_CLIENT" >"$T/sdk.out" 2>&1 ||
  fail "the SDK scenario: $(cat "$T/sdk.out")"
assert_eq "SDK scenario" ok "$(tail -1 "$T/sdk.out")"
stop_service
echo ok
