#!/bin/bash
# The state directory survives a crash at any point: the emulator is killed
# (SIGKILL) while three writers hammer it at once with creates, updates and deletes, again
# and again; after each restart every function is whole (its members changed
# together, its code there and matching CodeSha256), nothing half-written is
# left, and the service works. Also: one state directory, one emulator.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

make_task "$T/task"
make_zip "$T/task" "$T/a.zip"
echo "# another" >>"$T/task/bootstrap"
make_zip "$T/task" "$T/b.zip"
declare -A SHA
for z in a b; do
  SHA[$(python3 -c 'import hashlib,base64,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$T/$z.zip")]=$z
done

check_state() {
  local f name
  ls "$T/state/functions" | grep -q '\.tmp\.' && fail "a temporary file survived the restart"
  ls "$T/state/tmp" | grep -q . && fail "scratch files survived the restart"
  curl -sS "$ENDPOINT/2015-03-31/functions/?MaxItems=100" >"$T/list.json"
  for name in $(jget "$T/list.json" '" ".join(f["FunctionName"] for f in d["Functions"])'); do
    curl -sS "$ENDPOINT/2015-03-31/functions/$name" >"$T/get.json"
    jget "$T/get.json" '(lambda c: c["Description"] == c["Handler"] and int(c["Description"][4:]) + 128 == c["MemorySize"])(d["Configuration"])' | grep -qx True ||
      fail "function $name is torn: $(cat "$T/get.json")"
    sha=$(jget "$T/get.json" 'd["Configuration"]["CodeSha256"]')
    [ -n "${SHA[$sha]:-}" ] || fail "function $name has unknown code $sha"
    curl -sS -o "$T/dl.zip" "$(jget "$T/get.json" 'd["Code"]["Location"]')"
    cmp -s "$T/dl.zip" "$T/${SHA[$sha]}.zip" || fail "function $name: its stored zip does not match CodeSha256"
    [ -x "$T/state/code/$(sha256sum "$T/${SHA[$sha]}.zip" | cut -d' ' -f1)/bootstrap" ] ||
      fail "function $name: its unpacked code is missing"
  done
}

seen=0
for round in $(seq 1 12); do
  start_service
  # three writers at once: concurrent API calls on the same functions
  writers=()
  for w in 1 2 3; do
    python3 "$FL_TOP/tests/fixtures/emu_writer.py" "$ENDPOINT" "$T/a.zip" "$T/b.zip" "$round$w" &
    writers+=($!)
  done
  sleep "0.$((RANDOM % 4 + 1))"
  kill -KILL "$EMU_PID"
  wait "$EMU_PID" 2>/dev/null || true
  for w in "${writers[@]}"; do wait "$w" 2>/dev/null || true; done
  start_service
  check_state
  seen=$((seen + $(ls "$T/state/functions" | wc -l)))
  kill -TERM "$EMU_PID"; wait "$EMU_PID" || fail "exit status after round $round"
done
((seen > 0)) || fail "the writer never got a function created"

# --- after all that, the service still works end to end
start_service
create_fn survivor "$T/a.zip" --environment "Variables={RAPI_CLIENT=$TASK_RAPI_CLIENT}" >/dev/null
aws_lambda invoke --function-name survivor --cli-binary-format raw-in-base64-out --payload '{"ok":1}' "$T/out" >/dev/null
assert_eq "invoke" '{"ok":1}' "$(cat "$T/out")"

# --- one emulator per state directory
port=$(free_port)
rc=0
"$FL" emulate --state-dir "$T/state" --listen "127.0.0.1:$port" 2>"$T/second.log" || rc=$?
assert_eq "a second emulator on the same state" 1 "$rc"
assert_contains "message" "$(cat "$T/second.log")" "is in use by another faas-lambda emulate"
stop_service
echo ok
