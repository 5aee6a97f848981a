#!/bin/bash
# The Lambda REST API of faas-lambda emulate, driven by the AWS CLI: functions
# created from zips, read, listed page by page, updated, deleted; the states
# AWS reports (Pending -> Active, InProgress -> Successful); CodeSha256 and
# CodeSize as AWS computes them; errors with AWS's types, messages and the
# CLI's exit codes; code stored once per content and collected when unused.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

make_task "$T/task"
make_zip "$T/task" "$T/fn.zip"
start_service --state-delay 1500ms

# --- CreateFunction: Pending at first, the digest and size of the zip
create_fn f1 "$T/fn.zip" --environment "Variables={RAPI_CLIENT=$TASK_RAPI_CLIENT,GREETING=hi}" \
  --tags team=a,cost=1 --description "first" >"$T/create.json"
assert_eq "state" Pending "$(jget "$T/create.json" 'd["State"]')"
assert_eq "state reason code" Creating "$(jget "$T/create.json" 'd["StateReasonCode"]')"
assert_eq "no update status yet" False "$(jget "$T/create.json" '"LastUpdateStatus" in d')"
sha=$(python3 -c 'import hashlib,base64,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$T/fn.zip")
assert_eq "CodeSha256" "$sha" "$(jget "$T/create.json" 'd["CodeSha256"]')"
assert_eq "CodeSize" "$(stat -c %s "$T/fn.zip")" "$(jget "$T/create.json" 'd["CodeSize"]')"
assert_eq "ARN" arn:aws:lambda:us-east-1:000000000000:function:f1 "$(jget "$T/create.json" 'd["FunctionArn"]')"
assert_eq "defaults" "3 128 512 ['x86_64'] Zip" \
  "$(jget "$T/create.json" '" ".join(map(str,[d["Timeout"],d["MemorySize"],d["EphemeralStorage"]["Size"],d["Architectures"],d["PackageType"]]))')"

# an invoke while Pending: ResourceConflictException
code=$(curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' -d '{}' "$ENDPOINT/2015-03-31/functions/f1/invocations")
assert_eq "invoke while Pending" 409 "$code"
assert_eq "error type" ResourceConflictException "$(header x-amzn-ErrorType)"
assert_contains "message" "$(cat "$T/body")" "The function is currently in the following state: Pending"
aws_lambda wait function-active-v2 --function-name f1 || fail "the function never became Active"
aws_lambda get-function --function-name f1 >"$T/get.json"
assert_eq "state" Active "$(jget "$T/get.json" 'd["Configuration"]["State"]')"
assert_eq "update status" Successful "$(jget "$T/get.json" 'd["Configuration"]["LastUpdateStatus"]')"
assert_eq "tags" "{'team': 'a', 'cost': '1'}" "$(jget "$T/get.json" 'd["Tags"]')"
assert_eq "environment" "hi" "$(jget "$T/get.json" 'd["Configuration"]["Environment"]["Variables"]["GREETING"]')"
curl -sS -o "$T/download.zip" "$(jget "$T/get.json" 'd["Code"]["Location"]')"
cmp "$T/fn.zip" "$T/download.zip" || fail "Code.Location does not serve the uploaded zip"

# --- it runs, with its environment
invoke_fn() { aws_lambda invoke --function-name "$1" --cli-binary-format raw-in-base64-out --payload "$2" "$T/out" >"$T/inv.json"; }
invoke_fn f1 '{"do":"env"}'
grep -qx GREETING=hi "$T/out" || fail "the function's environment: $(cat "$T/out")"
grep -qx AWS_LAMBDA_FUNCTION_NAME=f1 "$T/out" || fail "AWS_LAMBDA_FUNCTION_NAME"
aws_lambda get-function-configuration --function-name arn:aws:lambda:us-east-1:000000000000:function:f1 >"$T/conf.json"
assert_eq "by ARN" f1 "$(jget "$T/conf.json" 'd["FunctionName"]')"
aws_lambda get-function-configuration --function-name 000000000000:function:f1 >/dev/null || fail "by partial ARN"

# --- the same zip again: stored once
for n in f2 f3 f4; do create_fn "$n" "$T/fn.zip" >/dev/null; done
assert_eq "code trees for 4 functions of one zip" 1 "$(ls "$T/state/code" | wc -l)"

# --- ListFunctions, a page at a time
aws_lambda list-functions --page-size 2 >"$T/list.json"
assert_eq "all pages" "['f1', 'f2', 'f3', 'f4']" "$(jget "$T/list.json" '[f["FunctionName"] for f in d["Functions"]]')"
curl -sS "$ENDPOINT/2015-03-31/functions/?MaxItems=3" >"$T/page.json"
assert_eq "first page" "3 f3" "$(jget "$T/page.json" 'len(d["Functions"]), d["NextMarker"]' | tr -d "(),'")"
curl -sS "$ENDPOINT/2015-03-31/functions/?MaxItems=3&Marker=f3" >"$T/page.json"
assert_eq "last page" "['f4'] False" "$(jget "$T/page.json" '[f["FunctionName"] for f in d["Functions"]], "NextMarker" in d' | tr -d "()," )"

# --- UpdateFunctionConfiguration: InProgress, then Successful; a second update meanwhile is refused
aws_lambda update-function-configuration --function-name f1 --memory-size 256 --timeout 7 \
  --environment "Variables={RAPI_CLIENT=$TASK_RAPI_CLIENT,GREETING=hello}" >"$T/upd.json"
assert_eq "update status" InProgress "$(jget "$T/upd.json" 'd["LastUpdateStatus"]')"
assert_eq "state" Active "$(jget "$T/upd.json" 'd["State"]')"
expect_cli_error 254 ResourceConflictException "An update is in progress for resource: arn:aws:lambda:us-east-1:000000000000:function:f1" \
  aws_lambda update-function-configuration --function-name f1 --timeout 8
aws_lambda wait function-updated-v2 --function-name f1 || fail "the update never finished"
aws_lambda get-function-configuration --function-name f1 >"$T/conf.json"
assert_eq "updated" "256 7 Successful" "$(jget "$T/conf.json" '" ".join(map(str,[d["MemorySize"],d["Timeout"],d["LastUpdateStatus"]]))')"
invoke_fn f1 '{"do":"env"}'
grep -qx GREETING=hello "$T/out" || fail "new sandboxes after the update: $(grep GREETING "$T/out")"
grep -qx AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 "$T/out" || fail "memory size after the update"
rev=$(jget "$T/conf.json" 'd["RevisionId"]')
expect_cli_error 254 PreconditionFailedException "The Revision Id provided does not match" \
  aws_lambda update-function-configuration --function-name f1 --description x --revision-id 00000000-0000-4000-8000-000000000000
aws_lambda update-function-configuration --function-name f1 --description second --revision-id "$rev" >/dev/null ||
  fail "an update with the right revision id was refused"
aws_lambda wait function-updated-v2 --function-name f1

# --- UpdateFunctionCode: a new zip, a new digest; DryRun changes nothing
cp "$T/task/bootstrap" "$T/task/extra-file"
make_zip "$T/task" "$T/fn2.zip"
aws_lambda update-function-code --function-name f2 --zip-file "fileb://$T/fn2.zip" --dry-run >"$T/dry.json"
assert_eq "dry run keeps the code" "$sha" "$(jget "$T/dry.json" 'd["CodeSha256"]')"
aws_lambda update-function-code --function-name f2 --zip-file "fileb://$T/fn2.zip" >"$T/code.json"
sha2=$(python3 -c 'import hashlib,base64,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$T/fn2.zip")
assert_eq "new CodeSha256" "$sha2" "$(jget "$T/code.json" 'd["CodeSha256"]')"
assert_eq "update status" InProgress "$(jget "$T/code.json" 'd["LastUpdateStatus"]')"
aws_lambda wait function-updated-v2 --function-name f2
invoke_fn f2 '{"do":"count"}'
assert_eq "a new sandbox after the code update" 1 "$(jget "$T/out" 'd["count"]')"

# --- errors: AWS's types, messages, and the CLI's exit status 254
expect_cli_error 254 ResourceNotFoundException "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope" \
  aws_lambda get-function --function-name nope
expect_cli_error 254 ResourceNotFoundException "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope" \
  aws_lambda delete-function --function-name nope
expect_cli_error 254 ResourceNotFoundException "Function not found: arn:aws:lambda:us-east-1:000000000000:function:f1:7" \
  aws_lambda get-function --function-name f1 --qualifier 7
expect_cli_error 254 ResourceConflictException "Function already exist: f1" create_fn f1 "$T/fn.zip"
expect_cli_error 254 ValidationException "Value 'bad.name' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern" \
  create_fn bad.name "$T/fn.zip"
expect_cli_error 254 ValidationException "Value '20000' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240" \
  create_fn m1 "$T/fn.zip" --memory-size 20000
expect_cli_error 254 ValidationException "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900" \
  aws_lambda update-function-configuration --function-name f3 --timeout 901
expect_cli_error 254 ValidationException "2 validation errors detected" \
  create_fn m1 "$T/fn.zip" --memory-size 20000 --timeout 1000
expect_cli_error 254 ValidationException "at 'role' failed to satisfy constraint" \
  aws_lambda create-function --function-name m1 --runtime provided.al2 --handler h --role not-a-role --zip-file "fileb://$T/fn.zip"
big=$(head -c 4200 /dev/zero | tr '\0' v)
expect_cli_error 254 InvalidParameterValueException "exceeded the 4KB limit" \
  aws_lambda update-function-configuration --function-name f3 --environment "Variables={BIG=$big}"
expect_cli_error 254 InvalidParameterValueException "Reserved keys used in this request: AWS_REGION" \
  aws_lambda update-function-configuration --function-name f3 --environment "Variables={AWS_REGION=x}"
expect_cli_error 254 InvalidParameterValueException "not supported by faas-lambda emulate" \
  aws_lambda create-function --function-name m1 --runtime python3.9 --handler h --role "$ROLE" --zip-file "fileb://$T/fn.zip"
expect_cli_error 254 InvalidParameterValueException "Runtime and Handler are mandatory parameters" \
  aws_lambda create-function --function-name m1 --role "$ROLE" --zip-file "fileb://$T/fn.zip"
expect_cli_error 254 InvalidParameterValueException "has no S3" \
  aws_lambda create-function --function-name m1 --runtime provided.al2 --handler h --role "$ROLE" --code S3Bucket=bucket,S3Key=key.zip
# (the CLI refuses a broken zip itself: curl sends one)
code=$(curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' -d "{\"FunctionName\":\"m1\",\"Role\":\"$ROLE\",\"Runtime\":\"provided.al2\",\"Handler\":\"h\",\"Code\":{\"ZipFile\":\"$(printf 'PK\003\004 but not a zip' | base64 -w0)\"}}" \
  "$ENDPOINT/2015-03-31/functions")
assert_eq "a broken zip" "400 InvalidParameterValueException" "$code $(header x-amzn-ErrorType)"
assert_contains "message" "$(cat "$T/body")" "Could not unzip uploaded file"
python3 - "$T/evil.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("bootstrap", "#!/bin/sh\n")
    z.writestr("../../escaped", "x")
PY
expect_cli_error 254 InvalidParameterValueException "an entry name contains '..'" create_fn m1 "$T/evil.zip"
[ ! -e "$T/escaped" ] && [ ! -e "$T/state/escaped" ] || fail "a zip entry escaped"
expect_cli_error 252 "" "Invalid value for parameter MemorySize, value: 64, valid min value: 128" create_fn m1 "$T/fn.zip" --memory-size 64
# the REST API's own errors
code=$(curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' -X PATCH "$ENDPOINT/2015-03-31/functions/f1")
assert_eq "unknown operation" 404 "$code"
assert_eq "error type" UnknownOperationException "$(header x-amzn-ErrorType)"
code=$(curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' -X POST -d '{"FunctionName":' "$ENDPOINT/2015-03-31/functions")
assert_eq "malformed JSON" 400 "$code"
assert_eq "error type" InvalidRequestContentException "$(header x-amzn-ErrorType)"
code=$(curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' -X PUT -H 'Content-Length: 2000000' \
  "$ENDPOINT/2015-03-31/functions/f1/configuration")
assert_eq "request too large" 413 "$code"
assert_eq "error type" RequestEntityTooLargeException "$(header x-amzn-ErrorType)"
assert_contains "message" "$(cat "$T/body")" "Request must be smaller than 1048576 bytes for the UpdateFunctionConfiguration operation"
[ -n "$(header X-Amzn-RequestId)" ] || fail "no request id on an error"

# --- DeleteFunction; unreferenced code is collected
aws_lambda delete-function --function-name f2
expect_cli_error 254 ResourceNotFoundException "function:f2" aws_lambda get-function --function-name f2
for ((i = 0; i < 50; i++)); do [ "$(ls "$T/state/code" | wc -l)" = 1 ] && break; sleep 0.1; done
assert_eq "code trees after deleting the only user of fn2.zip" 1 "$(ls "$T/state/code" | wc -l)"
assert_eq "records" "f1.json f3.json f4.json" "$(ls "$T/state/functions" | tr '\n' ' ' | sed 's/ $//')"

# --- a restart keeps everything
stop_service
assert_eq "exit status" 0 "$EMU_RC"
start_service
aws_lambda get-function-configuration --function-name f1 >"$T/after.json"
assert_eq "after a restart" "second 256 7 $rev" \
  "$(jget "$T/after.json" '" ".join(map(str,[d["Description"],d["MemorySize"],d["Timeout"],d["RevisionId"]]))' | sed "s/ [^ ]*$/ $rev/")"
assert_eq "tags after a restart" "{'team': 'a', 'cost': '1'}" "$(aws_lambda get-function --function-name f1 | jget /dev/stdin 'd["Tags"]')"
invoke_fn f1 '{"do":"env"}'
grep -qx GREETING=hello "$T/out" || fail "invoke after a restart"
stop_service
echo ok
