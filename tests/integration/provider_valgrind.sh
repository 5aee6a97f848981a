#!/bin/bash
# faas-lambda serve under valgrind, talking to a separate `faas-lambda
# emulate` (so that only the provider is measured): deploy (the packer
# runs in the provider), update, status, list, invokes (binary, function
# error, unknown function, too large), scale, logs (tail and follow),
# validation errors, delete, then SIGTERM. No memory errors, no leaks,
# exit status 0.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"
. "$FL_TOP/tests/fixtures/provider_lib.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed"
cd "$T"
watchdog_image "$T/img" fn
start_registry reg
push "$T/img:fn" "$REG/team/fn:1"
eport=$(free_port)
bg "$FL" emulate --state-dir "$T/emu" --listen "127.0.0.1:$eport" --quiet
wait_http "http://127.0.0.1:$eport/" 10
port=$(free_port)
SERVE_URL=http://127.0.0.1:$port
AWS_ACCESS_KEY_ID=AKIDVALGRIND AWS_SECRET_ACCESS_KEY=secret \
  valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
  --log-file="$T/valgrind.txt" "$FL" serve --port "$port" --lambda-endpoint "http://127.0.0.1:$eport" \
  --insecure-registry "$REG" --work-dir "$T" --write-timeout 3s --read-timeout 60s > "$T/serve.log" 2>&1 &
VG_PID=$!; _pids+=($VG_PID)
wait_http "$SERVE_URL/healthz" 60

dep='{"service":"vg","image":"'$REG'/team/fn:1","labels":{"a":"1","long":"'$(printf 'x%.0s' {1..300})'"},"annotations":{"q":"\"\\n"},"envVars":{"KEY":"v"},"limits":{"memory":"256Mi"}}'
deploy "$dep"
deploy "${dep/\"KEY\":\"v\"/\"KEY\":\"w\"}"
wait_ready vg
api GET /system/function/vg > st.json; assert_eq "updated" w "$(json st.json 'j["envVars"]["KEY"]')"
api GET /system/functions >/dev/null; assert_eq "list" 200 "$STATUS"
head -c 100000 /dev/urandom > bin.dat
assert_eq "invoke" 200 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @bin.dat -H 'X-Multi: 1' -H 'X-Multi: 2' "$SERVE_URL/function/vg/p?q=1")"
assert_eq "function error" 500 "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Fixture-Crash: before' "$SERVE_URL/function/vg")"
assert_eq "unknown" 503 "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/function/nosuch")"
head -c 6300000 /dev/zero > big.dat
assert_eq "too large" 413 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @big.dat "$SERVE_URL/function/vg")"
api POST /system/scale-function/vg '{"replicas":0}' >/dev/null; assert_eq "scale 0" 200 "$STATUS"
assert_eq "throttled" 429 "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/function/vg")"
api POST /system/scale-function/vg '{"replicas":1}' >/dev/null; assert_eq "scale 1" 200 "$STATUS"
wait_ready vg
curl -s -o /dev/null -H 'X-Fixture-Stderr: vg-marker' "$SERVE_URL/function/vg"
curl -s "$SERVE_URL/system/logs?name=vg&tail=3" > logs.ndjson
curl -s --max-time 10 "$SERVE_URL/system/logs?name=vg&follow=true&tail=1" > follow.ndjson
[ -s follow.ndjson ] || fail "follow gave nothing"
api POST /system/functions '{"service":"vg","image":"x","secrets":["s"]}' >/dev/null; assert_eq "400" 400 "$STATUS"
api POST /system/functions '{bad' >/dev/null; assert_eq "bad JSON" 400 "$STATUS"
api GET /system/secrets >/dev/null; assert_eq "secrets" 501 "$STATUS"
api GET /metrics >/dev/null; assert_eq "metrics" 200 "$STATUS"
api DELETE /system/functions '{"functionName":"vg"}' >/dev/null; assert_eq "delete" 200 "$STATUS"

kill -TERM $VG_PID
rc=0; wait $VG_PID || rc=$?
[ "$rc" -ne 99 ] || fail "valgrind found errors: $(grep -B2 -A25 -E 'Invalid|uninitialised|definitely lost in|indirectly lost in' "$T/valgrind.txt" | head -80)"
assert_eq "exit status" 0 "$rc"
grep -q "ERROR SUMMARY: 0 errors" "$T/valgrind.txt" || fail "valgrind: $(tail -n 30 "$T/valgrind.txt")"
grep -q "All heap blocks were freed -- no leaks are possible" "$T/valgrind.txt" ||
  fail "memory still in use at exit: $(grep -A8 'HEAP SUMMARY' "$T/valgrind.txt")"
echo "provider_valgrind: ok"
