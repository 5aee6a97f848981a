#!/bin/bash
# The fixture watchdog (tests/fixtures/watchdog.c) keeps of-watchdog's contract
# (port, /_/health, lock file, SIGTERM) and obeys every control, checked with curl.
. "$FL_TOP/tests/lib.sh"
FX=$B/tests/fixture-watchdog
[ -x "$FX" ] || fail "$FX is not built: make build/tests/fixture-watchdog"

# start_fixture NAME [VAR=VALUE...]: the fixture on a free port with its own
# lock file and stderr log; sets PORT URL PID LOCK LOG. Does not wait.
start_fixture() {
  local name=$1; shift
  PORT=$(free_port); URL=http://127.0.0.1:$PORT; LOCK=$T/$name.lock; LOG=$T/$name.log
  bg env port="$PORT" FIXTURE_LOCK_FILE="$LOCK" "$@" "$FX" 2>"$LOG"
  PID=$!
}
# status URL [CURL ARGS...]: the HTTP status of one request.
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# pattern N [binary]: the fixture's body pattern (see watchdog.c), recomputed.
pattern() {
  python3 - "$@" <<'EOF'
import sys
n = int(sys.argv[1])
if len(sys.argv) > 2:
    out, x = bytearray(n), 1
    for i in range(n):
        x ^= (x << 13) & 0xffffffff; x ^= x >> 17; x ^= (x << 5) & 0xffffffff
        out[i] = x & 0xff
    sys.stdout.buffer.write(out)
else:
    sys.stdout.buffer.write((b"abcdefghijklmnopqrstuvwxyz" * (n // 26 + 1))[:n])
EOF
}
# jget FILE EXPR: a Python expression over the JSON document d in FILE.
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1],"rb")); print(eval(sys.argv[2]))' "$1" "$2"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
# reap PID: waits for a fixture that should be gone by now; its status in RC.
# (Not a $(...): a subshell cannot wait for its parent's children.)
reap() { RC=0; wait "$1" || RC=$?; }

echo "== health: 503 until FIXTURE_READY_DELAY_MS, then 200 OK and the lock file"
start_fixture ready FIXTURE_READY_DELAY_MS=800
wait_http "$URL/_/health"
assert_eq "health before ready" 503 "$(status "$URL/_/health")"
[ ! -e "$LOCK" ] || fail "lock file $LOCK exists before ready"
assert_contains "start line" "$(cat "$LOG")" "fixture-watchdog: listening on 127.0.0.1:$PORT"
assert_contains "bound to loopback only" "$(ss -Hltn "sport = :$PORT")" "127.0.0.1:$PORT"
for ((i = 0; i < 300; i++)); do [ "$(status "$URL/_/health")" = 200 ] && break; sleep 0.01; done
assert_eq "health when ready" "OK" "$(curl -s "$URL/_/health")"
[ -f "$LOCK" ] || fail "no lock file $LOCK once ready"
assert_eq "POST /_/health" 405 "$(status -X POST "$URL/_/health")"
rm "$LOCK"
assert_eq "health without the lock file (as of-watchdog)" 503 "$(status "$URL/_/health")"
touch "$LOCK"
assert_eq "health with the lock back" 200 "$(status "$URL/_/health")"

echo "== echo: odd path, repeated headers, binary body, byte for byte"
{ printf 'a\0b\r\n\xff\xfe\x80'; head -c 70000 /dev/urandom; printf '\0'; } >"$T/req.bin"
curl -s -X PATCH -o "$T/echo.json" -D "$T/echo.h" --data-binary @"$T/req.bin" \
  -H 'Content-Type: application/octet-stream' \
  -H 'X-Rep: one' -H 'x-rep: two, and more' -H 'X-REP: three' \
  "$URL/a%20b/%2F/c?x=1&x=2&y=%3D"
assert_contains "echo content type" "$(cat "$T/echo.h")" "Content-Type: application/json"
assert_eq "method" PATCH "$(jget "$T/echo.json" 'd["method"]')"
assert_eq "raw path" "/a%20b/%2F/c" "$(jget "$T/echo.json" 'd["path"]')"
assert_eq "raw query" "x=1&x=2&y=%3D" "$(jget "$T/echo.json" 'd["query"]')"
assert_eq "repeated headers, order and spelling" \
  '[["X-Rep", "one"], ["x-rep", "two, and more"], ["X-REP", "three"]]' \
  "$(jget "$T/echo.json" 'json.dumps([h for h in d["headers"] if h[0].lower() == "x-rep"])')"
assert_eq "header names in order" \
  "Host User-Agent Accept Content-Type X-Rep x-rep X-REP Content-Length" \
  "$(jget "$T/echo.json" '" ".join(h[0] for h in d["headers"])')"
assert_eq "body_size" "$(stat -c %s "$T/req.bin")" "$(jget "$T/echo.json" 'd["body_size"]')"
jget "$T/echo.json" 'd["body_base64"]' | base64 -d >"$T/echoed.bin"
cmp "$T/req.bin" "$T/echoed.bin" || fail "echoed body differs from the request body"
curl -s -o "$T/echo2.json" "$URL/plain"
assert_eq "no query" "" "$(jget "$T/echo2.json" 'd["query"]')"
assert_eq "no body" "0 " "$(jget "$T/echo2.json" 'd["body_size"], d["body_base64"]' | tr -d '(),'"'")"
curl -s -o "$T/echo3.json" --path-as-is "$URL/x/../y%zz/?a&&b=%2B+c"
assert_eq "path kept even when odd" "/x/../y%zz/" "$(jget "$T/echo3.json" 'd["path"]')"
assert_eq "query kept even when odd" "a&&b=%2B+c" "$(jget "$T/echo3.json" 'd["query"]')"

echo "== status, repeated response headers, literal body, content type"
curl -s -o "$T/ctl.body" -D "$T/ctl.h" -H 'X-Fixture-Status: 418' \
  -H 'X-Fixture-Header: Set-Cookie: a=1; Path=/' -H 'X-Fixture-Header: Set-Cookie: b=2' \
  -H 'X-Fixture-Header: X-Custom:  spaced' -H 'X-Fixture-Body: hello, world' \
  -H 'X-Fixture-Content-Type: text/x-test' "$URL/ctl"
assert_eq "status" "418" "$(head -1 "$T/ctl.h" | cut -d' ' -f2)"
assert_eq "both Set-Cookie in order" $'Set-Cookie: a=1; Path=/\nSet-Cookie: b=2' \
  "$(grep -i '^set-cookie:' "$T/ctl.h" | tr -d '\r')"
assert_eq "custom header" "X-Custom: spaced" "$(grep -i '^x-custom:' "$T/ctl.h" | tr -d '\r')"
assert_eq "content type" "Content-Type: text/x-test" "$(grep -i '^content-type:' "$T/ctl.h" | tr -d '\r')"
assert_eq "literal body" "hello, world" "$(cat "$T/ctl.body")"
assert_eq "status applies to the echo too" 503 "$(status -H 'X-Fixture-Status: 503' "$URL/e")"
assert_eq "bad control is a 400" 400 "$(status -H 'X-Fixture-Status: abc' "$URL/e")"
assert_contains "bad control says which" "$(curl -s -H 'X-Fixture-Chunks: 1,2' "$URL/e")" "bad X-Fixture-Chunks"

echo "== sized bodies: 1 MiB printable, 1 MiB binary"
curl -s -o "$T/p.bin" -D "$T/p.h" -H 'X-Fixture-Body-Size: 1048576' "$URL/p"
pattern 1048576 >"$T/p.want"
assert_eq "printable body sha256" "$(sha "$T/p.want")" "$(sha "$T/p.bin")"
assert_contains "Content-Length" "$(tr -d '\r' <"$T/p.h")" "Content-Length: 1048576"
curl -s -o "$T/b.bin" -D "$T/b.h" -H 'X-Fixture-Body-Size: 1048576' -H 'X-Fixture-Binary: 1' "$URL/b"
pattern 1048576 binary >"$T/b.want"
assert_eq "binary body sha256" "$(sha "$T/b.want")" "$(sha "$T/b.bin")"
assert_contains "binary content type" "$(tr -d '\r' <"$T/b.h")" "Content-Type: application/octet-stream"
assert_eq "binary body has NUL and is not UTF-8" "True False" \
  "$(python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); ok=True
try: b.decode("utf-8")
except UnicodeDecodeError: ok=False
print(b"\0" in b, ok)' "$T/b.bin")"

echo "== chunked streaming"
curl -s -o "$T/c.bin" -D "$T/c.h" -w '%{time_starttransfer} %{time_total}\n' \
  -H 'X-Fixture-Chunks: 3,1000,400' "$URL/c" >"$T/c.times"
assert_contains "chunked" "$(tr -d '\r' <"$T/c.h")" "Transfer-Encoding: chunked"
assert_eq "3 chunks of 1000 bytes" 3000 "$(stat -c %s "$T/c.bin")"
pattern 3000 >"$T/c.want"
cmp "$T/c.bin" "$T/c.want" || fail "chunked body differs from the pattern"
read -r first total <"$T/c.times"
python3 -c "import sys; sys.exit(not ($first < 0.3 and $total >= 0.75))" \
  || fail "not streamed: first byte after ${first}s, all after ${total}s (want < 0.3 and >= 0.75)"
curl -s -o /dev/null -H 'X-Fixture-Chunks: 2,700,0' -H 'X-Fixture-Binary: 1' "$URL/cb" \
  -w '%{size_download}' >"$T/cb.n"
assert_eq "binary chunks" 1400 "$(cat "$T/cb.n")"
assert_eq "100 MiB streamed" 104857600 \
  "$(curl -s -o /dev/null -w '%{size_download}' -H 'X-Fixture-Chunks: 100,1048576,0' "$URL/big")"
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$PID/status")
[ "$hwm" -lt 32768 ] || fail "fixture peak memory ${hwm} kB after streaming 100 MiB (want < 32 MiB)"
echo "   100 MiB streamed; fixture peak RSS ${hwm} kB"

echo "== concurrency and keep-alive"
t0=$(ms_now)
curl -s -o /dev/null -H 'X-Fixture-Delay-Ms: 1500' "$URL/slow" &
slow=$!
sleep 0.1
assert_eq "answered while another request sleeps" 200 "$(status "$URL/fast")"
fast_ms=$(( $(ms_now) - t0 ))
[ "$fast_ms" -lt 1200 ] || fail "a second request waited for the slow one (${fast_ms} ms)"
wait "$slow"
[ $(( $(ms_now) - t0 )) -ge 1500 ] || fail "X-Fixture-Delay-Ms: 1500 answered early"
assert_eq "keep-alive: one connection for two requests" $'1\n0' \
  "$(curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' "$URL/k1" "$URL/k2")"

echo "== garbage: not HTTP, then closed; the fixture lives on"
rc=0; curl -s -o /dev/null -H 'X-Fixture-Garbage: 1' "$URL/g" || rc=$?
[ "$rc" -ne 0 ] || fail "curl accepted the garbage answer"
curl -s --http0.9 -o "$T/g.raw" -H 'X-Fixture-Garbage: 1' "$URL/g" || true
assert_eq "garbage bytes" "$(printf 'garbage\r\n\r\n' | od -An -tx1)" "$(od -An -tx1 <"$T/g.raw")"
assert_eq "still serving after garbage" 200 "$(status "$URL/_/health")"

echo "== X-Fixture-Stderr"
curl -s -o /dev/null -H 'X-Fixture-Stderr: marker line 4711' "$URL/s"
grep -qx 'marker line 4711' "$LOG" || fail "X-Fixture-Stderr line not on stderr: $(cat "$LOG")"

echo "== SIGTERM: line, lock removed, exit 0 promptly"
[ -f "$LOCK" ] || fail "lock missing before SIGTERM"
t0=$(date +%s%N); kill -TERM "$PID"; reap "$PID"; t1=$(date +%s%N)
assert_eq "exit status on SIGTERM" 0 "$RC"
[ $(( (t1 - t0) / 1000000 )) -le 100 ] || fail "SIGTERM exit took $(( (t1 - t0) / 1000000 )) ms"
echo "   exited $(( (t1 - t0) / 1000 )) us after SIGTERM"
assert_contains "SIGTERM line" "$(cat "$LOG")" "fixture-watchdog: SIGTERM received"
[ ! -e "$LOCK" ] || fail "lock file left after SIGTERM"

echo "== crash before answering"
start_fixture crash1
wait_http "$URL/_/health"
rc=0; curl -s -o /dev/null -H 'X-Fixture-Crash: before' -H 'X-Fixture-Stderr: about to crash' "$URL/x" || rc=$?
assert_eq "curl: empty reply" 52 "$rc"
reap "$PID"
assert_eq "fixture exit status" 3 "$RC"
assert_contains "stderr before crash" "$(cat "$LOG")" "about to crash"

echo "== crash mid-body"
start_fixture crash2
wait_http "$URL/_/health"
rc=0; curl -s -o "$T/mid.bin" -D "$T/mid.h" -H 'X-Fixture-Crash: mid-body' "$URL/x" || rc=$?
assert_eq "curl: partial transfer" 18 "$rc"
assert_contains "headers were sent" "$(head -1 "$T/mid.h")" "200"
assert_eq "first chunk arrived" 1024 "$(stat -c %s "$T/mid.bin")"
reap "$PID"
assert_eq "fixture exit status" 3 "$RC"

echo "== FIXTURE_EXIT_AT_START"
rc=0; env port="$(free_port)" FIXTURE_LOCK_FILE="$T/eas.lock" FIXTURE_EXIT_AT_START=7 "$FX" 2>"$T/eas.log" || rc=$?
assert_eq "exit status" 7 "$rc"
assert_contains "start failure lines" "$(cat "$T/eas.log")" "fixture-watchdog: failing at start as asked"
assert_eq "several lines" 3 "$(wc -l <"$T/eas.log")"

echo "== FIXTURE_EXIT_AFTER (health checks do not count)"
start_fixture after FIXTURE_EXIT_AFTER=2
wait_http "$URL/_/health"
assert_eq "health again" 200 "$(status "$URL/_/health")"
assert_eq "request 1" 200 "$(status "$URL/1")"
assert_eq "request 2" 200 "$(status "$URL/2")"
reap "$PID"
assert_eq "exit after 2 requests" 0 "$RC"
assert_contains "exit line" "$(cat "$LOG")" "exiting after 2 requests"

echo "== FIXTURE_START_DELAY_MS and FIXTURE_NEVER_READY"
start_fixture late FIXTURE_START_DELAY_MS=600
sleep 0.2
assert_eq "not listening during the start delay" 000 "$(status --max-time 1 "$URL/_/health" || true)"
wait_http "$URL/_/health"
for ((i = 0; i < 300; i++)); do [ "$(status "$URL/_/health")" = 200 ] && break; sleep 0.01; done
assert_eq "ready after the start delay" 200 "$(status "$URL/_/health")"
start_fixture never FIXTURE_NEVER_READY=1
wait_http "$URL/_/health"
sleep 0.3
assert_eq "never ready" 503 "$(status "$URL/_/health")"
[ ! -e "$LOCK" ] || fail "lock written although never ready"
assert_eq "never-ready still echoes" 200 "$(status "$URL/x")"
kill -TERM "$PID"
reap "$PID"
assert_eq "SIGTERM when never ready" 0 "$RC"

echo "== mode=serializing: the function runs per request, as of-watchdog runs it"
printf '#!/bin/sh\nread -r name\necho "Hello, $name ($Http_Method $Http_Path $Http_Query)"\n' > "$T/fn.sh"
printf '#!/bin/sh\necho broken >&2\nexit 2\n' > "$T/bad.sh"
chmod +x "$T/fn.sh" "$T/bad.sh"
start_fixture fn mode=serializing fprocess="$T/fn.sh" content_type=text/plain
wait_http "$URL/_/health"
assert_eq "function answer" "Hello, world (POST /hi x=1)" "$(curl -s -d world "$URL/hi?x=1")"
assert_eq "controls still apply" 418 "$(status -H 'X-Fixture-Status: 418' -H 'X-Fixture-Body: t' "$URL/")"
kill -TERM "$PID"; reap "$PID"
start_fixture bad mode=serializing fprocess="$T/bad.sh"
wait_http "$URL/_/health"
assert_eq "failing function" 500 "$(status -d x "$URL/")"
kill -TERM "$PID"; reap "$PID"

echo "all fixture-watchdog checks passed"
