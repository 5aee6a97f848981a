# Helpers for integration tests (bash). Source it: . "$FL_TOP/tests/lib.sh"
# Every server listens on 127.0.0.1; every process started is killed on exit.
set -euo pipefail
: "${FL_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
B=$FL_TOP/build
FL=$B/faas-lambda
AWS=/usr/bin/aws              # Debian's awscli, not whatever else is on PATH
SHARED=${FL_SHARED:-$FL_TOP/../shared}
EVENTS=$SHARED/testdata/events
T=$(mktemp -d)
_pids=()
cleanup() {
  local p
  for p in "${_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# assert_eq WHAT EXPECTED ACTUAL
assert_eq() { [ "$2" == "$3" ] || fail "$1: expected [$2], got [$3]"; }
assert_contains() { [[ "$2" == *"$3"* ]] || fail "$1: [$2] does not contain [$3]"; }
# A TCP port free on 127.0.0.1 now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# bg CMD...: starts CMD in the background, killed at exit; sets $! as usual.
bg() { "$@" & _pids+=($!); }
# wait_http URL [SECONDS]: until URL answers at all.
wait_http() {
  local i
  for ((i = 0; i < ${2:-10} * 100; i++)); do
    curl -s -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.01
  done
  fail "nothing answered at $1"
}
# aws_lambda ARGS...: the AWS CLI against a local endpoint with dummy credentials.
aws_lambda() {
  AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1 \
  AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$AWS" --endpoint-url "$ENDPOINT" lambda "$@"
}
[ -d "$EVENTS" ] || fail "shared test data not found at $SHARED (set FL_SHARED)"

# make_task_root DIR [manifest-json]: a Lambda task root with the real static
# bootstrap (or $BOOTSTRAP) and the fixture watchdog as the function's watchdog.
make_task_root() {
  local dir=$1
  mkdir -p "$dir"
  cp "${BOOTSTRAP:-$B/bootstrap}" "$dir/bootstrap"
  cp "$B/tests/fixture-watchdog" "$dir/fwatchdog"
  if [ $# -ge 2 ]; then printf '%s\n' "$2" > "$dir/faas-lambda.json"; fi
}

# start_emulate TASK_ROOT [ARGS...]: faas-lambda emulate on a free port, the
# function named "fn"; sets ENDPOINT and EMU_PID, logs to $T/emulate.log.
start_emulate() {
  local root=$1; shift
  local port; port=$(free_port)
  ENDPOINT=http://127.0.0.1:$port
  "$FL" emulate --task-root "$root" --name fn --listen "127.0.0.1:$port" "$@" >"$T/emulate.log" 2>&1 &
  EMU_PID=$!; _pids+=($EMU_PID)
  wait_http "$ENDPOINT/" 10
}

# invoke PAYLOAD_FILE OUT_FILE [extra aws args]: prints the CLI's JSON answer.
invoke() {
  local payload=$1 out=$2; shift 2
  aws_lambda invoke --function-name fn --cli-binary-format raw-in-base64-out \
    --payload "fileb://$payload" "$@" "$out"
}

# json FILE EXPR: evaluates a Python expression over the parsed JSON `j`.
json() { python3 -c 'import json,sys,base64; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# echo_field OUT_JSON EXPR: the fixture watchdog's echo carried in a Lambda
# HTTP response payload (body text or base64), or the raw payload itself;
# EXPR is evaluated with the echo as `e` and the payload as `j`.
echo_field() {
  python3 - "$1" "$2" <<'PY'
import json, sys, base64
j = json.load(open(sys.argv[1]))
if isinstance(j, dict) and "statusCode" in j:
    b = j.get("body") or ""
    b = base64.b64decode(b) if j.get("isBase64Encoded") else b.encode()
    e = json.loads(b)
else:
    e = j
def hdr(name):
    return [v for k, v in e["headers"] if k.lower() == name.lower()]
def body():
    return base64.b64decode(e["body_base64"])
print(eval(sys.argv[2]))
PY
}

# ---- the emulator as a service (tests/integration/emulate_api*.sh etc.) ----
# make_zip DIR ZIP: zips a task root (symlinks kept as symlinks).
make_zip() { (cd "$1" && rm -f "$2" && zip -qry "$2" .); }
# start_service [ARGS...]: faas-lambda emulate with its state in ${STATE:-$T/state}
# on a free port; sets ENDPOINT and EMU_PID; stderr to ${EMU_LOG:-$T/emulate.log}.
start_service() {
  local port; port=$(free_port)
  ENDPOINT=http://127.0.0.1:$port
  "$FL" emulate --state-dir "${STATE:-$T/state}" --listen "127.0.0.1:$port" "$@" 2>>"${EMU_LOG:-$T/emulate.log}" &
  EMU_PID=$!; _pids+=($EMU_PID)
  local i
  for ((i = 0; i < 1000; i++)); do
    curl -s -o /dev/null --max-time 1 "$ENDPOINT/" && return 0
    kill -0 "$EMU_PID" 2>/dev/null || fail "the emulator exited: $(tail -n 5 "${EMU_LOG:-$T/emulate.log}")"
    sleep 0.01
  done
  fail "nothing answered at $ENDPOINT/: $(tail -n 5 "${EMU_LOG:-$T/emulate.log}")"
}
# stop_service: SIGTERM and wait; EMU_RC is its exit status.
stop_service() { EMU_RC=0; kill -TERM "$EMU_PID"; wait "$EMU_PID" || EMU_RC=$?; }
# aws_logs ARGS...: the AWS CLI's CloudWatch Logs commands against $ENDPOINT.
aws_logs() {
  AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1 \
  AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$AWS" --endpoint-url "$ENDPOINT" logs "$@"
}
# expect_cli_error CODE TYPE MESSAGE-PART CMD...: the AWS CLI fails with exit
# status CODE (254: the service said no; 252: the CLI refused the parameters)
# naming TYPE and MESSAGE-PART.
expect_cli_error() {
  local code=$1 type=$2 msg=$3 rc=0; shift 3
  "$@" >"$T/cli.out" 2>"$T/cli.err" || rc=$?
  [ "$rc" -eq "$code" ] || fail "[$*]: exit status $rc, expected $code: $(cat "$T/cli.err")"
  [ -z "$type" ] || assert_contains "[$*]: error type" "$(cat "$T/cli.err")" "($type)"
  assert_contains "[$*]: message" "$(cat "$T/cli.err")" "$msg"
}
ROLE=arn:aws:iam::000000000000:role/lambda-role
# create_fn NAME ZIP [ARGS...]: CreateFunction with the CLI (provided.al2023).
create_fn() {
  local name=$1 zip=$2; shift 2
  aws_lambda create-function --function-name "$name" --runtime provided.al2023 --handler function.handler \
    --role "$ROLE" --zip-file "fileb://$zip" "$@"
}
