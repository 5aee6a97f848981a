#!/bin/bash
# faas-lambda emulate as an unprivileged user (nobody): bwrap adds a user
# namespace, and the Runtime API socket is made by a helper that joins it.
# Same answers, same isolation, SIGTERM at shutdown.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
if ! as_nobody bwrap --ro-bind / / --unshare-net true 2>/dev/null; then
  echo "SKIP: this kernel does not let an unprivileged user create namespaces"
  exit 0
fi
chmod 755 "$T"
make_task "$T/task"
PORT=$(free_port)
ENDPOINT=http://127.0.0.1:$PORT
setpriv --reuid 65534 --regid 65534 --clear-groups "$FL" emulate --listen "127.0.0.1:$PORT" --task-root "$T/task" --name unpriv \
  --env RAPI_CLIENT=/var/task/rapi_client --env "HOST_PROBE=127.0.0.1:$PORT" --env BEHAVIOUR_INIT=extension 2>"$T/emu.log" &
EMU_PID=$!
_pids+=("$EMU_PID")
wait_http "$ENDPOINT/"
[ "$(stat -c %u /proc/$EMU_PID)" = 65534 ] || fail "the emulator is not running as nobody"

assert_eq "status" 200 "$(post_invoke unpriv '{"as":"nobody"}')"
assert_eq "echo" '{"as":"nobody"}' "$(cat "$T/body")"
assert_eq "status" 200 "$(post_invoke unpriv '{"do":"isolation"}')"
assert_eq "sandbox" "task: read-only
root: read-only
tmp: writable
opt: []
run: []
host tmp: 0
cwd: /var/task
uid: 65534
pid1: bwrap
host: unreachable
caps: 0000000000000000" "$(cat "$T/body")"
assert_eq "status" 200 "$(post_invoke unpriv '{"do":"exit"}')"
assert_contains "crash" "$(cat "$T/body")" "exit status 3"
assert_eq "status" 200 "$(post_invoke unpriv '{"do":"stream"}')"
assert_eq "stream" "hello streamed world" "$(cat "$T/body")"
grep -qP '^REPORT RequestId: .*\tMax Memory Used: [1-9][0-9]* MB' "$T/emu.log" || fail "no memory figure: $(grep ^REPORT "$T/emu.log")"

stop_emulator
assert_eq "exit status" 0 "$EMU_RC"
grep -qx "got SIGTERM" "$T/emu.log" || fail "the runtime did not get SIGTERM"
echo ok
