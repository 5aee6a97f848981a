#!/bin/bash
# faas-lambda emulate's command line: help, refusals (exit 2 with a reason),
# a busy port (exit 1), the region from AWS_REGION, port 0.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

"$FL" emulate --help >"$T/help" || fail "--help failed"
assert_contains "help" "$(cat "$T/help")" "usage: faas-lambda emulate [--state-dir DIR] [--listen ADDR] [OPTIONS]"
assert_contains "help" "$(cat "$T/help")" "faas-lambda emulate --task-root DIR [--name NAME] [OPTIONS]"
assert_contains "help" "$(cat "$T/help")" "aws --endpoint-url http://127.0.0.1:9000 lambda invoke"

mkdir -p "$T/task"
# refuse WHY ARGS...: exit status 2 and WHY on stderr
refuse() {
  local why=$1 rc=0
  shift
  "$FL" emulate "$@" >/dev/null 2>"$T/err" || rc=$?
  assert_eq "exit status for [$*]" 2 "$rc"
  assert_contains "message for [$*]" "$(cat "$T/err")" "$why"
}
refuse "describe the --task-root function: give --task-root DIR too" --name x
refuse "--auth strict needs --access-key ID and --secret-key KEY" --auth strict
refuse "--auth 'loose': expected none or strict" --auth loose
refuse "--cgroups 'v3': expected auto, v1, v2 or none" --cgroups v3
refuse "--freeze-after '5h'" --freeze-after 5h
refuse "--async-retry-delays '1s': expected two durations" --async-retry-delays 1s
refuse "--concurrency-limit '0'" --concurrency-limit 0
refuse "not a loopback address" --task-root "$T/task" --listen 0.0.0.0:9000
refuse "not a loopback address" --task-root "$T/task" --listen 192.168.1.1:9000
refuse "is not an IP address" --task-root "$T/task" --listen localhost:9000
refuse "--timeout '0'" --task-root "$T/task" --timeout 0
refuse "--timeout '901'" --task-root "$T/task" --timeout 901
refuse "--timeout '1.5'" --task-root "$T/task" --timeout 1.5
refuse "--memory '64'" --task-root "$T/task" --memory 64
refuse "Reserved keys used in this request: AWS_REGION" --task-root "$T/task" --env AWS_REGION=eu-west-1
refuse "is not KEY=VALUE" --task-root "$T/task" --env NOVALUE
refuse "function name 'a.b' is invalid" --task-root "$T/task" --name a.b
refuse "No such file or directory" --task-root "$T/missing"
refuse "is not a directory" --task-root "$T/help"
refuse "unknown option '--bogus'" --task-root "$T/task" --bogus
refuse "--timeout needs a value" --task-root "$T/task" --timeout
refuse "unexpected argument 'extra'" --task-root "$T/task" extra

# a port in use: exit 1
PORT=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(30)' "$PORT" &
_pids+=($!)
for ((i = 0; i < 100; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
rc=0
"$FL" emulate --task-root "$T/task" --listen "127.0.0.1:$PORT" 2>"$T/err" || rc=$?
assert_eq "exit status on a busy port" 1 "$rc"
assert_contains "busy port" "$(cat "$T/err")" "Address already in use"

# the region comes from AWS_REGION; port 0 picks a free port and says which
AWS_REGION=eu-west-1 "$FL" emulate --task-root "$T/task" --listen 127.0.0.1:0 --name regional 2>"$T/emu.log" &
EMU_PID=$!
_pids+=("$EMU_PID")
wait_log "$T/emu.log" "POST http://127.0.0.1:"
ENDPOINT=$(grep -o 'http://127.0.0.1:[0-9]*' "$T/emu.log" | head -1)
[ "$ENDPOINT" != "http://127.0.0.1:0" ] || fail "port 0 was not resolved"
assert_eq "status" 404 "$(post_invoke nope '{}')"
assert_eq "error body" '{"Type":"User","Message":"Function not found: arn:aws:lambda:eu-west-1:000000000000:function:nope"}' "$(cat "$T/body")"
assert_eq "status" 404 "$(post_invoke 'arn:aws:lambda:us-east-1:000000000000:function:regional' '{}')"
# SIGINT (Ctrl-C) stops it as SIGTERM does, even from a background job,
# whose SIGINT the shell ignores
kill -INT "$EMU_PID"
rc=0
wait "$EMU_PID" || rc=$?
assert_eq "exit status after SIGINT" 0 "$rc"
assert_contains "log" "$(cat "$T/emu.log")" "SIGINT: shutting down"
echo ok
