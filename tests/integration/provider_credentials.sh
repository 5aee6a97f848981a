#!/bin/bash
# The AWS credential chain of `faas-lambda serve`, each source against a
# mock of AWS on 127.0.0.1 (tests/fixtures/provider_aws_mock.py), which also
# stands in for Lambda and records how each request was signed: keys from
# the environment, from the shared files with profiles, from a web identity
# (STS AssumeRoleWithWebIdentity, as EKS IRSA sets it up), from the
# container endpoint (ECS, EKS Pod Identity), and refreshed before they
# expire. No key, secret or token ever reaches the log.
. "$FL_TOP/tests/lib.sh"
unset AWS_REGION AWS_DEFAULT_REGION AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
cd "$T"
mport=$(free_port); MOCK=http://127.0.0.1:$mport
echo "k8s-token-1" > token
bg python3 "$FL_TOP/tests/fixtures/provider_aws_mock.py" "$mport" mock.log "$T/token" 120
wait_http "$MOCK/nothing"
export HOME=$T/home AWS_SHARED_CREDENTIALS_FILE=$T/none AWS_CONFIG_FILE=$T/none

# serve_with NAME ENV...: a provider whose Lambda is the mock; lists once.
serve_with() {
  local name=$1; shift
  local port; port=$(free_port)
  env "$@" "$FL" serve --port "$port" --lambda-endpoint "$MOCK" --region eu-west-1 > "$T/$name.log" 2>&1 &
  local pid=$!; _pids+=($pid)
  SERVE_URL=http://127.0.0.1:$port
  local i
  for ((i = 0; i < 500; i++)); do
    curl -s -o /dev/null "$SERVE_URL/healthz" && break
    kill -0 $pid 2>/dev/null || fail "$name: serve exited: $(cat "$T/$name.log")"
    sleep 0.02
  done
  : > mock.log
  assert_eq "$name: list" "[]" "$(curl -s "$SERVE_URL/system/functions")"
  SERVE_PID=$pid
}
# signed KEY: the last Lambda request was signed with access key KEY for eu-west-1/lambda
signed() {
  python3 - mock.log "$1" "${2-}" <<'PY' || fail "signature: $(tail -2 mock.log)"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if '"/2015-03-31/functions' in l]
h = reqs[-1]["headers"]
auth = h["Authorization"]
assert auth.startswith("AWS4-HMAC-SHA256 Credential=" + sys.argv[2] + "/"), auth
assert "/eu-west-1/lambda/aws4_request" in auth, auth
token = sys.argv[3]
if token:
    assert h.get("X-Amz-Security-Token") == token, h
    assert "x-amz-security-token" in auth.split("SignedHeaders=")[1], auth
else:
    assert "X-Amz-Security-Token" not in h, h
PY
}

# 1. the environment
serve_with env AWS_ACCESS_KEY_ID=AKIDENV1 AWS_SECRET_ACCESS_KEY=env-secret-1 AWS_SESSION_TOKEN=env-token-1
signed AKIDENV1 env-token-1
grep -q "credentials from the environment" "$T/env.log" || fail "source not logged"

# 2. shared files and profiles (custom paths)
mkdir -p "$T/aws"
cat > "$T/aws/credentials" <<'X'
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = default-secret
[team]
aws_access_key_id = AKIDTEAM
aws_secret_access_key = team-secret
X
printf '[profile team]\nregion = eu-west-1\n' > "$T/aws/config"
serve_with default AWS_SHARED_CREDENTIALS_FILE="$T/aws/credentials" AWS_CONFIG_FILE="$T/aws/config"
signed AKIDDEFAULT
serve_with team AWS_SHARED_CREDENTIALS_FILE="$T/aws/credentials" AWS_CONFIG_FILE="$T/aws/config" AWS_PROFILE=team
signed AKIDTEAM
# ~/.aws by default
mkdir -p "$HOME/.aws"; cp "$T/aws/credentials" "$HOME/.aws/credentials"
serve_with home AWS_SHARED_CREDENTIALS_FILE= AWS_CONFIG_FILE= AWS_PROFILE=team
signed AKIDTEAM

# 3. web identity (IRSA): the token file and the role go to STS, unsigned;
# keys valid for 2 minutes are within the 5-minute refresh margin, so each
# use fetches new ones (and reads the token file again: kubelet rotates it)
serve_with irsa AWS_WEB_IDENTITY_TOKEN_FILE="$T/token" AWS_ROLE_ARN=arn:aws:iam::123456789012:role/fn \
  AWS_ROLE_SESSION_NAME=provider-test AWS_ENDPOINT_URL_STS="$MOCK/sts"
python3 - mock.log <<'PY' || fail "STS call: $(cat mock.log)"
import json, sys
sts = [json.loads(l) for l in open(sys.argv[1]) if '"/sts/' in l]
f = sts[-1]["form"]
assert f["RoleArn"] == "arn:aws:iam::123456789012:role/fn" and f["RoleSessionName"] == "provider-test"
assert f["WebIdentityToken"] == "k8s-token-1" and f["Version"] == "2011-06-15", f
assert "Authorization" not in sts[-1]["headers"]
PY
first=$(python3 -c 'import json; r=[json.loads(l) for l in open("mock.log") if "/2015-03-31" in l]; print(r[-1]["headers"]["Authorization"].split("Credential=")[1].split("/")[0])')
echo "k8s-token-2" > token
curl -s -o /dev/null "$SERVE_URL/system/functions"
second=$(python3 -c 'import json; r=[json.loads(l) for l in open("mock.log") if "/2015-03-31" in l]; print(r[-1]["headers"]["Authorization"].split("Credential=")[1].split("/")[0])')
[ "$first" != "$second" ] || fail "web identity credentials were not refreshed ($first)"
grep -q '"WebIdentityToken": "k8s-token-2"' mock.log || fail "the rotated token file was not read again"
signed "$second" "sts-token-${second#ASIASTS}"
# IRSA through a profile (role_arn + web_identity_token_file)
printf '[profile irsa]\nrole_arn = arn:aws:iam::123456789012:role/p\nweb_identity_token_file = %s\n' "$T/token" > "$T/aws/config2"
serve_with irsa-profile AWS_CONFIG_FILE="$T/aws/config2" AWS_PROFILE=irsa AWS_ENDPOINT_URL_STS="$MOCK/sts"
grep -q '"RoleArn": "arn:aws:iam::123456789012:role/p"' mock.log || fail "profile web identity"

# 4. the container endpoint (EKS Pod Identity: full URI + token file)
echo "pod-identity-token" > cont-token
sed -i 's/.*/pod-identity-token/' token  # the mock checks against the token file
serve_with container AWS_CONTAINER_CREDENTIALS_FULL_URI="$MOCK/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$T/cont-token"
key=$(python3 -c 'import json; r=[json.loads(l) for l in open("mock.log") if "/2015-03-31" in l]; print(r[-1]["headers"]["Authorization"].split("Credential=")[1].split("/")[0])')
case $key in ASIACONT*) ;; *) fail "container credentials not used: $key" ;; esac
signed "$key" "cont-token-${key#ASIACONT}"
# (ECS: the token in the environment)
serve_with container-env AWS_CONTAINER_CREDENTIALS_FULL_URI="$MOCK/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN=pod-identity-token
# a wrong token stops the start with the endpoint's answer
if env AWS_CONTAINER_CREDENTIALS_FULL_URI="$MOCK/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong \
   "$FL" serve --port "$(free_port)" --lambda-endpoint http://example.invalid --region eu-west-1 > bad.log 2>&1; then
  fail "started with refused container credentials"
fi
assert_contains "refused" "$(cat bad.log)" "answered 401"
# --aws without any credentials is an error naming what to set
if env -u HOME "$FL" serve --port "$(free_port)" --aws --region eu-west-1 > none.log 2>&1; then
  fail "started on AWS without credentials"
fi
assert_contains "no credentials" "$(cat none.log)" "no AWS credentials found"

# nothing secret in any log
for f in "$T"/*.log; do
  [ "$f" = "$T/mock.log" ] && continue
  if grep -E 'secret-|token-[0-9]|k8s-token|pod-identity-token|env-secret' "$f"; then fail "a secret in $f"; fi
done
echo "provider_credentials: ok"
