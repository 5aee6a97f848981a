#!/bin/bash
# Layers and tags through the AWS CLI: versions published, read, listed and
# deleted (numbers never reused); a function's layers at /opt, merged in
# order with later layers winning, as Lambda extracts them; a function keeps
# a layer version that is deleted; a layer can provide /opt/bootstrap. Tags
# on functions: tag, untag, list, and what GetFunction shows.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

make_task "$T/task"
make_zip "$T/task" "$T/fn.zip"
mkdir -p "$T/l1/lib" "$T/l1/bin" "$T/l2/lib"
echo one >"$T/l1/lib/common.txt"; echo only-in-one >"$T/l1/bin/tool"
echo two >"$T/l2/lib/common.txt"; echo only-in-two >"$T/l2/two.txt"
ln -s lib/common.txt "$T/l2/link"
make_zip "$T/l1" "$T/l1.zip"; make_zip "$T/l2" "$T/l2.zip"
start_service
ARN=arn:aws:lambda:us-east-1:000000000000:layer

# --- PublishLayerVersion and the reads
aws_lambda publish-layer-version --layer-name base --zip-file "fileb://$T/l1.zip" --description "the first" \
  --compatible-runtimes provided.al2023 provided.al2 --compatible-architectures x86_64 --license-info MIT >"$T/p1.json"
assert_eq "version" 1 "$(jget "$T/p1.json" 'd["Version"]')"
assert_eq "arn" "$ARN:base:1" "$(jget "$T/p1.json" 'd["LayerVersionArn"]')"
assert_eq "layer arn" "$ARN:base" "$(jget "$T/p1.json" 'd["LayerArn"]')"
sha=$(python3 -c 'import hashlib,base64,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$T/l1.zip")
assert_eq "CodeSha256" "$sha" "$(jget "$T/p1.json" 'd["Content"]["CodeSha256"]')"
assert_eq "CodeSize" "$(stat -c %s "$T/l1.zip")" "$(jget "$T/p1.json" 'd["Content"]["CodeSize"]')"
curl -sS -o "$T/dl.zip" "$(jget "$T/p1.json" 'd["Content"]["Location"]')"
cmp "$T/l1.zip" "$T/dl.zip" || fail "Content.Location"
aws_lambda publish-layer-version --layer-name base --zip-file "fileb://$T/l2.zip" >"$T/p2.json"
aws_lambda publish-layer-version --layer-name extra --zip-file "fileb://$T/l2.zip" --compatible-runtimes python3.9 >/dev/null
aws_lambda get-layer-version --layer-name base --version-number 1 >"$T/g.json"
assert_eq "get" "the first MIT ['x86_64']" "$(jget "$T/g.json" '" ".join(map(str,[d["Description"],d["LicenseInfo"],d["CompatibleArchitectures"]]))')"
aws_lambda get-layer-version --layer-name "$ARN:base" --version-number 2 >/dev/null || fail "by layer ARN"
aws_lambda get-layer-version-by-arn --arn "$ARN:base:2" >"$T/g.json"
assert_eq "by version ARN" 2 "$(jget "$T/g.json" 'd["Version"]')"
aws_lambda list-layer-versions --layer-name base >"$T/lv.json"
assert_eq "versions, newest first" "[2, 1]" "$(jget "$T/lv.json" '[v["Version"] for v in d["LayerVersions"]]')"
aws_lambda list-layer-versions --layer-name base --page-size 1 >"$T/lv.json"
assert_eq "versions, a page at a time" "[2, 1]" "$(jget "$T/lv.json" '[v["Version"] for v in d["LayerVersions"]]')"
aws_lambda list-layers >"$T/ll.json"
assert_eq "layers" "[('base', 2), ('extra', 1)]" "$(jget "$T/ll.json" '[(l["LayerName"], l["LatestMatchingVersion"]["Version"]) for l in d["Layers"]]')"
aws_lambda list-layers --compatible-runtime provided.al2 >"$T/ll.json"
assert_eq "layers for provided.al2" "[('base', 1)]" "$(jget "$T/ll.json" '[(l["LayerName"], l["LatestMatchingVersion"]["Version"]) for l in d["Layers"]]')"
expect_cli_error 254 ResourceNotFoundException "The resource you requested does not exist." \
  aws_lambda get-layer-version --layer-name base --version-number 9
expect_cli_error 254 ValidationException "at 'layerName' failed to satisfy constraint" \
  aws_lambda get-layer-version --layer-name 'bad name' --version-number 1

# --- a function with both layers: /opt merged in order, the later layer wins
create_fn layered "$T/fn.zip" --environment "Variables={RAPI_CLIENT=$TASK_RAPI_CLIENT}" \
  --layers "$ARN:base:1" "$ARN:extra:1" >"$T/c.json"
assert_eq "layers in the configuration" "['$ARN:base:1', '$ARN:extra:1']" "$(jget "$T/c.json" '[l["Arn"] for l in d["Layers"]]')"
post_invoke layered '{"do":"opt"}' >/dev/null
assert_eq "/opt" "/opt/bin/tool: only-in-one
/opt/lib/common.txt: two
/opt/link: two
/opt/two.txt: only-in-two" "$(cat "$T/body")"
aws_lambda update-function-configuration --function-name layered --layers "$ARN:extra:1" "$ARN:base:1" >/dev/null
aws_lambda wait function-updated-v2 --function-name layered
post_invoke layered '{"do":"opt"}' >/dev/null
assert_eq "the other order" "/opt/lib/common.txt: one" "$(grep common "$T/body")"
expect_cli_error 254 InvalidParameterValueException "Layer version $ARN:base:7 does not exist." \
  aws_lambda update-function-configuration --function-name layered --layers "$ARN:base:7"
expect_cli_error 254 InvalidParameterValueException "Two different versions of the same layer are not allowed." \
  aws_lambda update-function-configuration --function-name layered --layers "$ARN:base:1" "$ARN:base:2"
expect_cli_error 254 InvalidParameterValueException "Cannot reference more than 5 layers." \
  aws_lambda update-function-configuration --function-name layered --layers $(for i in 1 2 3 4 5 6; do echo "$ARN:l$i:1"; done)

# --- a layer that is the runtime: /opt/bootstrap
mkdir -p "$T/rt" "$T/empty"
cp "$RAPI_BOOTSTRAP" "$T/rt/bootstrap"
cp "$RAPI_CLIENT" "$T/rt/rapi_client"
make_zip "$T/rt" "$T/rt.zip"
echo "no bootstrap here" >"$T/empty/README"
make_zip "$T/empty" "$T/code.zip"
aws_lambda publish-layer-version --layer-name runtime --zip-file "fileb://$T/rt.zip" >/dev/null
create_fn from-layer "$T/code.zip" --layers "$ARN:runtime:1" --environment "Variables={RAPI_CLIENT=/opt/rapi_client}" >/dev/null
assert_eq "runtime from a layer" 200 "$(post_invoke from-layer '{"from":"layer"}')"
assert_eq "echo" '{"from":"layer"}' "$(cat "$T/body")"

# --- deleting a version: gone from the API, number not reused, its users keep it
aws_lambda delete-layer-version --layer-name base --version-number 1
aws_lambda delete-layer-version --layer-name base --version-number 1 || fail "deleting twice is not an error on Lambda"
expect_cli_error 254 ResourceNotFoundException "does not exist" aws_lambda get-layer-version --layer-name base --version-number 1
aws_lambda publish-layer-version --layer-name base --zip-file "fileb://$T/l1.zip" >"$T/p3.json"
assert_eq "numbers are not reused" 3 "$(jget "$T/p3.json" 'd["Version"]')"
stop_service; start_service   # and a restart on top
post_invoke layered '{"do":"opt"}' >/dev/null
assert_eq "still has the deleted version" "/opt/lib/common.txt: one" "$(grep common "$T/body")"
assert_eq "versions after a restart" "[3, 2]" "$(aws_lambda list-layer-versions --layer-name base | jget /dev/stdin '[v["Version"] for v in d["LayerVersions"]]')"

# --- tags
FARN=arn:aws:lambda:us-east-1:000000000000:function:layered
aws_lambda tag-resource --resource "$FARN" --tags env=dev,owner=me
aws_lambda list-tags --resource "$FARN" >"$T/t.json"
assert_eq "tags" "{'env': 'dev', 'owner': 'me'}" "$(jget "$T/t.json" 'd["Tags"]')"
aws_lambda untag-resource --resource "$FARN" --tag-keys owner
assert_eq "untagged" "{'env': 'dev'}" "$(aws_lambda list-tags --resource "$FARN" | jget /dev/stdin 'd["Tags"]')"
assert_eq "in GetFunction" "{'env': 'dev'}" "$(aws_lambda get-function --function-name layered | jget /dev/stdin 'd["Tags"]')"
expect_cli_error 254 ResourceNotFoundException "Function not found" \
  aws_lambda list-tags --resource arn:aws:lambda:us-east-1:000000000000:function:nope
expect_cli_error 254 ValidationException "at 'resource' failed to satisfy constraint" \
  aws_lambda list-tags --resource not-an-arn
expect_cli_error 254 InvalidParameterValueException "Tag keys must be 1 to 128 characters" \
  aws_lambda tag-resource --resource "$FARN" --tags aws:reserved=x
stop_service; start_service
assert_eq "tags after a restart" "{'env': 'dev'}" "$(aws_lambda list-tags --resource "$FARN" | jget /dev/stdin 'd["Tags"]')"
stop_service
echo ok
