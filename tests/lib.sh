# Helpers for integration tests (bash). Source it: . "$FL_TOP/tests/lib.sh"
# Every server listens on 127.0.0.1; every process started is killed on exit.
set -euo pipefail
: "${FL_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
B=$FL_TOP/build
FL=$B/faas-lambda
AWS=/usr/bin/aws              # Debian's awscli, not whatever else is on PATH
SHARED=${FAAS_LAMBDA_SHARED:-$FL_TOP/../shared}
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
[ -d "$EVENTS" ] || fail "shared test data not found at $SHARED (set FAAS_LAMBDA_SHARED)"
