#!/bin/bash
# Execution: a pool of sandboxes per function (concurrent invokes run in
# separate sandboxes, later ones reuse the warm ones), idle sandboxes frozen
# (cgroup v1 freezer here; cgroup v2's cgroup.freeze; SIGSTOP without
# cgroups) and thawed by the next invoke, stopped after the idle timeout;
# the memory limit from the memory cgroup (and Max Memory Used from it),
# /tmp capped at the ephemeral storage, at most 1024 processes; timeouts and
# crashes replace the sandbox.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

make_task "$T/task"
make_zip "$T/task" "$T/fn.zip"
start_service --freeze-after 150ms --idle-timeout 3s
LOG=$T/emulate.log
create_fn pool "$T/fn.zip" --timeout 2 --memory-size 256 >/dev/null
FREEZER=/sys/fs/cgroup/freezer/faas-lambda-$EMU_PID
nap() { curl -sS -o "$T/nap.$1" -d "{\"do\":\"nap\",\"ms\":$2}" "$ENDPOINT/2015-03-31/functions/pool/invocations"; }

# --- three at once: three sandboxes; then the warm ones are reused
nap 1 700 & p1=$!; nap 2 700 & p2=$!; nap 3 700 & p3=$!
wait $p1 $p2 $p3
assert_eq "three fresh sandboxes" "1 1 1" "$(for i in 1 2 3; do jget "$T/nap.$i" 'd["count"]'; done | tr '\n' ' ' | sed 's/ $//')"
assert_eq "sandboxes started" 3 "$(grep -c 'sandbox [0-9]*: started' "$LOG")"
for i in 1 2 3 4; do post_invoke pool '{"do":"count"}' >/dev/null; done
assert_eq "warm reuse" 3 "$(grep -c 'sandbox [0-9]*: started' "$LOG")"
(($(jget "$T/body" 'd["count"]') >= 2)) || fail "a warm sandbox: $(cat "$T/body")"

# --- idle: frozen (cgroup v1 freezer; the processes in D state), thawed by an invoke
sleep 0.5
states=$(cat "$FREEZER"/pool-*/freezer.state | sort | uniq -c | tr -s ' ')
assert_eq "all three frozen" " 3 FROZEN" "$states"
for p in $(cat "$FREEZER"/pool-*/cgroup.procs); do
  grep -q '^State:.D' "/proc/$p/status" || fail "process $p of a frozen sandbox: $(grep State /proc/$p/status)"
done
assert_eq "thawed by an invoke" 200 "$(post_invoke pool '{"do":"count"}')"
(($(jget "$T/body" 'd["count"]') >= 3)) || fail "thawed, counted on: $(cat "$T/body")"
assert_eq "the other two stay frozen" "FROZEN FROZEN THAWED" "$(cat "$FREEZER"/pool-*/freezer.state | sort | tr '\n' ' ' | sed 's/ $//')"

# --- bursts: an idle runtime picked for an invoke that another runtime, just
# back in /next, took first is idle again (frozen later, picked again)
for r in $(seq 25); do
  burst=()
  for i in 1 2 3; do curl -sS -o /dev/null -d '{"do":"count"}' "$ENDPOINT/2015-03-31/functions/pool/invocations" & burst+=($!); done
  wait "${burst[@]}"
done
sleep 0.5
assert_eq "after bursts, every sandbox frozen" "FROZEN" "$(cat "$FREEZER"/pool-*/freezer.state | sort -u | tr '\n' ' ' | sed 's/ $//')"
started=$(grep -c 'sandbox [0-9]*: started' "$LOG")
((started <= 4)) || fail "bursts of three started $started sandboxes"

# --- memory: the cgroup limit is the function's memory; Max Memory Used is the cgroup's peak
assert_eq "memory limit" 268435456 "$(cat /sys/fs/cgroup/memory/*/*/faas-lambda-$EMU_PID/pool-*/memory.limit_in_bytes /sys/fs/cgroup/memory/faas-lambda-$EMU_PID/pool-*/memory.limit_in_bytes 2>/dev/null | sort -u)"
assert_eq "processes" 1024 "$(cat /sys/fs/cgroup/pids/faas-lambda-$EMU_PID/pool-*/pids.max | sort -u)"
assert_eq "100 MB" 200 "$(post_invoke pool '{"do":"alloc","mb":100}')"
assert_eq "allocated" "allocated 100 MB" "$(cat "$T/body")"
rid=$(header X-Amzn-RequestId)
wait_log "$LOG" "REPORT RequestId: $rid"
used=$(grep "REPORT RequestId: $rid" "$LOG" | sed 's/.*Max Memory Used: \([0-9]*\) MB.*/\1/')
((used >= 100 && used <= 256)) || fail "Max Memory Used after 100 MB: $used"
assert_eq "300 MB" 200 "$(post_invoke pool '{"do":"alloc","mb":300}')"
assert_contains "out of memory: the allocating process is killed" "$(cat "$T/body")" "alloc failed: 137"

# --- /tmp: capped at the ephemeral storage (RAM-backed here: it counts toward memory)
aws_lambda update-function-configuration --function-name pool --memory-size 1024 --ephemeral-storage Size=512 >/dev/null
aws_lambda wait function-updated-v2 --function-name pool
assert_eq "400 MB to /tmp" "wrote 400 MB" "$(post_invoke pool '{"do":"disk","mb":400}' >/dev/null; cat "$T/body")"
assert_contains "600 MB to a 512 MB /tmp" "$(post_invoke pool '{"do":"disk","mb":600}' >/dev/null; cat "$T/body")" "disk full"

# --- timeout and crash: errors, and the sandbox is replaced
assert_eq "timeout" 200 "$(post_invoke pool '{"do":"nap","ms":5000}')"
assert_contains "timeout" "$(cat "$T/body")" '"errorType":"Sandbox.Timedout"'
assert_contains "timeout message" "$(cat "$T/body")" "Task timed out after 2.00 seconds"
assert_eq "crash" 200 "$(post_invoke pool '{"do":"exit"}')"
assert_contains "crash" "$(cat "$T/body")" '"errorType":"Runtime.ExitError"'
assert_eq "after both" 200 "$(post_invoke pool '{"after":1}')"

# --- what the sandbox cannot see: the state directory (others' code), home directories
post_invoke pool "{\"do\":\"ls\",\"path\":\"$T/state\"}" >/dev/null
grep -q functions "$T/body" && fail "the state directory is visible in the sandbox: $(cat "$T/body")"
assert_eq "/root hidden" "" "$(post_invoke pool '{"do":"ls","path":"/root"}' >/dev/null; cat "$T/body")"
[ -n "$(ls -A /root)" ] || fail "this check needs a non-empty /root on the host"

# --- idle timeout: the sandboxes go, and so do their cgroups
for ((i = 0; i < 60; i++)); do [ -z "$(ls -d "$FREEZER"/pool-* 2>/dev/null)" ] && break; sleep 0.1; done
[ -z "$(ls -d "$FREEZER"/pool-* 2>/dev/null)" ] || fail "idle sandboxes were not stopped: $(ls "$FREEZER")"
[ -z "$(pgrep -P "$EMU_PID" bwrap)" ] || fail "bwrap still running: $(pgrep -a -P "$EMU_PID")"
assert_eq "cold again" 200 "$(post_invoke pool '{"do":"count"}')"
assert_eq "a new sandbox" 1 "$(jget "$T/body" 'd["count"]')"
stop_service
assert_eq "exit status" 0 "$EMU_RC"
[ ! -d "$FREEZER" ] || fail "the emulator's cgroups remain: $FREEZER"

# --- cgroup v2 freezing (cgroup.freeze in the unified hierarchy), and SIGSTOP without cgroups
if [ -f /sys/fs/cgroup/unified/cgroup.procs ]; then
  start_service --freeze-after 100ms --cgroups v2
  post_invoke pool '{"do":"count"}' >/dev/null
  sleep 0.4
  V2=$( (ls -d /sys/fs/cgroup/unified/faas-lambda-$EMU_PID/pool-* /sys/fs/cgroup/unified/*/faas-lambda-$EMU_PID/pool-* 2>/dev/null || true) | head -1)
  [ -n "$V2" ] || fail "no v2 cgroup"
  assert_eq "v2 frozen" "frozen 1" "$(grep frozen "$V2/cgroup.events")"
  assert_eq "v2 thawed" 200 "$(post_invoke pool '{"do":"count"}')"
  assert_eq "v2 count" 2 "$(jget "$T/body" 'd["count"]')"
  stop_service
fi
start_service --freeze-after 100ms --cgroups none
post_invoke pool '{"do":"count"}' >/dev/null
sleep 0.4
runtime=$(pgrep -P "$(pgrep -P "$(pgrep -P "$EMU_PID" bwrap)" bwrap)" | head -1)
grep -q '^State:.T (stopped)' "/proc/$runtime/status" || fail "SIGSTOP: $(grep State "/proc/$runtime/status")"
assert_eq "SIGCONT" 200 "$(post_invoke pool '{"do":"count"}')"
assert_eq "count" 2 "$(jget "$T/body" 'd["count"]')"
stop_service
echo ok
