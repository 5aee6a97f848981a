#!/bin/bash
# --auth strict: requests signed by the AWS CLI (and curl --aws-sigv4) with the
# configured key pass; a wrong secret, an unknown key, no signature, another
# region or an old date are refused with AWS's error types and messages. The
# Logs API (service logs) and AWS_IAM Function URLs are checked the same way.
# Without --auth strict anything is accepted.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

make_task "$T/task"
make_zip "$T/task" "$T/fn.zip"
start_service --auth strict --access-key AKIDSTRICT --secret-key 'strict/secret+key'
signed() { AWS_ACCESS_KEY_ID=AKIDSTRICT AWS_SECRET_ACCESS_KEY='strict/secret+key' AWS_MAX_ATTEMPTS=1 "$@"; }
wrong() { AWS_ACCESS_KEY_ID=AKIDSTRICT AWS_SECRET_ACCESS_KEY='not the secret' AWS_MAX_ATTEMPTS=1 "$@"; }
cli() {
  AWS_DEFAULT_REGION=${REGION:-us-east-1} AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$AWS" --endpoint-url "$ENDPOINT" "$@"
}

# --- the right key: every kind of request
signed cli lambda create-function --function-name sig --runtime provided.al2023 --handler h --role "$ROLE" \
  --zip-file "fileb://$T/fn.zip" --environment "Variables={RAPI_CLIENT=$TASK_RAPI_CLIENT}" >/dev/null || fail "signed create"
signed cli lambda invoke --function-name arn:aws:lambda:us-east-1:000000000000:function:sig --qualifier '$LATEST' \
  --cli-binary-format raw-in-base64-out --payload '{"signed":true}' "$T/out" >/dev/null || fail "signed invoke by ARN"
assert_eq "payload" '{"signed":true}' "$(cat "$T/out")"
signed cli lambda tag-resource --resource arn:aws:lambda:us-east-1:000000000000:function:sig --tags 'k=v w' || fail "signed tag"
signed cli lambda untag-resource --resource arn:aws:lambda:us-east-1:000000000000:function:sig --tag-keys k || fail "signed untag (query)"
signed cli lambda list-functions --max-items 5 >/dev/null || fail "signed list with a query"
signed cli logs filter-log-events --log-group-name /aws/lambda/sig >/dev/null || fail "signed Logs API"

# --- refused
expect_cli_error 254 InvalidSignatureException "The request signature we calculated does not match the signature you provided" \
  wrong cli lambda list-functions
assert_contains "the canonical request in the message" "$(cat "$T/cli.err")" "The Canonical String for this request should have been"
expect_cli_error 254 UnrecognizedClientException "The security token included in the request is invalid." \
  env AWS_ACCESS_KEY_ID=AKIDOTHER AWS_SECRET_ACCESS_KEY='strict/secret+key' AWS_MAX_ATTEMPTS=1 \
  AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_CONFIG_FILE=/dev/null "$AWS" --endpoint-url "$ENDPOINT" lambda list-functions
expect_cli_error 254 InvalidSignatureException "Credential should be scoped to a valid region." \
  env REGION=eu-west-1 bash -c "$(declare -f signed cli); AWS=$AWS ENDPOINT=$ENDPOINT signed cli lambda list-functions"
expect_cli_error 254 InvalidSignatureException "The request signature we calculated does not match" \
  wrong cli logs filter-log-events --log-group-name /aws/lambda/sig
code=$(curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' "$ENDPOINT/2015-03-31/functions/")
assert_eq "unsigned" 403 "$code"
assert_eq "type" MissingAuthenticationTokenException "$(header x-amzn-ErrorType)"
assert_eq "body" '{"Type":"User","message":"Missing Authentication Token"}' "$(cat "$T/body")"
code=$(curl -sS -o "$T/body" -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:lambda --user 'AKIDSTRICT:strict/secret+key' \
  "$ENDPOINT/2015-03-31/functions/sig/configuration")
assert_eq "curl --aws-sigv4" 200 "$code"
code=$(curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:lambda \
  --user 'AKIDSTRICT:strict/secret+key' -H 'X-Amz-Date: 20200101T000000Z' "$ENDPOINT/2015-03-31/functions/")
assert_eq "an old date" 403 "$code"
assert_contains "expired" "$(cat "$T/body")" "Signature expired: 20200101T000000Z is now earlier than"
code=$(curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDSTRICT/20200101/us-east-1/lambda/aws4_request' \
  -H 'X-Amz-Date: 20200101T000000Z' "$ENDPOINT/2015-03-31/functions/")
assert_eq "incomplete" "400 IncompleteSignatureException" "$code $(header x-amzn-ErrorType)"

# --- Function URLs: NONE needs nothing; AWS_IAM needs the right signature
signed cli lambda create-function-url-config --function-name sig --auth-type AWS_IAM >/dev/null
code=$(curl -sS -o "$T/body" -w '%{http_code}' "$ENDPOINT/lambda-url/sig/x")
assert_eq "IAM URL, unsigned" 403 "$code"
code=$(curl -sS -o "$T/body" -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:lambda --user 'AKIDSTRICT:wrong' "$ENDPOINT/lambda-url/sig/x")
assert_eq "IAM URL, wrong secret" 403 "$code"
code=$(curl -sS -o "$T/body" -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:lambda --user 'AKIDSTRICT:strict/secret+key' "$ENDPOINT/lambda-url/sig/x")
assert_eq "IAM URL, signed" 200 "$code"
signed cli lambda update-function-url-config --function-name sig --auth-type NONE >/dev/null
code=$(curl -sS -o "$T/body" -w '%{http_code}' "$ENDPOINT/lambda-url/sig/x")
assert_eq "NONE URL, unsigned" 200 "$code"
stop_service

# --- the default: anything goes
start_service
aws_lambda get-function --function-name sig >/dev/null || fail "the CLI with other credentials"
assert_eq "unsigned" 200 "$(curl -sS -o /dev/null -w '%{http_code}' "$ENDPOINT/2015-03-31/functions/")"
stop_service
echo ok
