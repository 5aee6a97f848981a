#!/bin/bash
# Container-image functions: an image built with umoci, pushed with skopeo to
# docker-registry on 127.0.0.1, becomes a function (PackageType Image,
# ImageUri): pulled and unpacked once per digest (through the packer), run
# with the image as / and its ENTRYPOINT, CMD, WORKDIR and ENV; ImageConfig
# overrides them; GetFunction reports the image; restarts keep it.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"

# the image: a static runtime (no libc in the image) and a file of its own
r=$T/root
mkdir -p "$r/var/runtime" "$r/app" "$r/other" "$r/etc"
musl-gcc -D_GNU_SOURCE -static -Os -o "$r/var/runtime/bootstrap" "$FL_TOP/tests/fixtures/emu_image_runtime.c"
echo "only in the image" >"$r/etc/image-release"
img=$T/img
new_image "$img" fn
add_layer "$img" fn "$r"
umoci config --image "$img:fn" --config.entrypoint /var/runtime/bootstrap --config.cmd app.handler \
  --config.workingdir /app --config.env FOO=from-image --config.env PATH=/var/runtime:/bin \
  --config.env AWS_REGION=image-must-not-win
start_registry reg
push "$img:fn" "$REG/team/fn:1"
STATE=$T/state start_service
blob_gets() { grep -c 'GET /v2/team/fn/blobs/' "$T/reg/log" || true; }

aws_lambda create-function --function-name img --package-type Image --code "ImageUri=$REG/team/fn:1" \
  --role "$ROLE" --environment Variables={BAR=from-function} >"$T/c.json"
assert_eq "package type" Image "$(jget "$T/c.json" 'd["PackageType"]')"
digest=$(skopeo inspect --tls-verify=false "docker://$REG/team/fn:1" | jget /dev/stdin 'd["Digest"]')
assert_eq "CodeSha256: the image digest" "${digest#sha256:}" "$(jget "$T/c.json" 'd["CodeSha256"]')"
aws_lambda get-function --function-name img >"$T/g.json"
assert_eq "code" "ECR $REG/team/fn:1 $REG/team/fn@$digest" \
  "$(jget "$T/g.json" '" ".join([d["Code"]["RepositoryType"], d["Code"]["ImageUri"], d["Code"]["ResolvedImageUri"]])')"

aws_lambda invoke --function-name img --cli-binary-format raw-in-base64-out --payload '{"hi":1}' "$T/out" >/dev/null
assert_eq "argv: ENTRYPOINT + CMD" "['/var/runtime/bootstrap', 'app.handler']" "$(jget "$T/out" 'd["argv"]')"
assert_eq "WORKDIR" /app "$(jget "$T/out" 'd["cwd"]')"
assert_eq "ENV" "from-image from-function /var/runtime:/bin app.handler img us-east-1" \
  "$(jget "$T/out" '" ".join(d["env"][k] for k in ["FOO","BAR","PATH","_HANDLER","AWS_LAMBDA_FUNCTION_NAME","AWS_REGION"])')"
assert_eq "event" '{"hi":1}' "$(jget "$T/out" 'd["event"]')"

# ImageConfig overrides ENTRYPOINT's arguments (CMD) and WORKDIR
aws_lambda update-function-configuration --function-name img \
  --image-config 'Command=other.handler,--flag,WorkingDirectory=/other' >"$T/u.json"
assert_eq "image config" "['other.handler', '--flag'] /other" \
  "$(jget "$T/u.json" '"%s %s" % (d["ImageConfigResponse"]["ImageConfig"]["Command"], d["ImageConfigResponse"]["ImageConfig"]["WorkingDirectory"])')"
aws_lambda invoke --function-name img "$T/out" >/dev/null
assert_eq "overridden" "['/var/runtime/bootstrap', 'other.handler', '--flag'] /other other.handler" \
  "$(jget "$T/out" '"%s %s %s" % (d["argv"], d["cwd"], d["env"]["_HANDLER"])')"

# a second function of the same image: no second download
before=$(blob_gets)
aws_lambda create-function --function-name img2 --package-type Image --code "ImageUri=$REG/team/fn:1" --role "$ROLE" >/dev/null
assert_eq "blob GETs for the second function" "$before" "$(blob_gets)"
assert_eq "images unpacked" 1 "$(ls -d "$T/state/images"/sha256-* | grep -vc '\.json$')"

# errors
expect_cli_error 254 InvalidParameterValueException "Source image $REG/team/nope:1 does not exist" \
  aws_lambda create-function --function-name bad --package-type Image --code "ImageUri=$REG/team/nope:1" --role "$ROLE"
expect_cli_error 254 InvalidParameterValueException "Runtime, Handler and Layers are not supported for functions with packageType Image" \
  aws_lambda create-function --function-name bad --package-type Image --code "ImageUri=$REG/team/fn:1" --role "$ROLE" --runtime provided.al2 --handler h



# a restart keeps the function and its unpacked image (the registry may be gone)
stop_registry "$REG_PID"
stop_service
STATE=$T/state start_service
aws_lambda invoke --function-name img2 "$T/out" >/dev/null
assert_eq "after a restart, without the registry" /app "$(jget "$T/out" 'd["cwd"]')"
aws_lambda delete-function --function-name img
aws_lambda delete-function --function-name img2
for ((i = 0; i < 50; i++)); do [ -z "$(ls "$T/state/images")" ] && break; sleep 0.1; done
assert_eq "unused image collected" "" "$(ls "$T/state/images")"
stop_service
echo ok
