# The published layers: the bootstrap layer (faas-lambda layer publish) and the
# OpenFaaS watchdog as a layer (pack --format layer --path /fwatchdog from an
# image shaped like ghcr.io/openfaas/of-watchdog), used by a function packed
# with --no-bootstrap that carries only the function: all three meet in the
# local Lambda at /var/task and /opt, and the function answers.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/packer_lib.sh"
cd "$T"
start_service

# 1. the bootstrap layer
arn=$("$FL" layer publish --arch x86_64 --lambda-endpoint "$ENDPOINT" --public) || fail "layer publish"
assert_eq "bootstrap layer ARN" "arn:aws:lambda:us-east-1:000000000000:layer:faas-lambda-bootstrap-x86_64:1" "$arn"
aws_lambda get-layer-version --layer-name faas-lambda-bootstrap-x86_64 --version-number 1 > gl.json
assert_eq "compatible runtimes" "['provided.al2023', 'provided.al2']" "$(json gl.json 'j["CompatibleRuntimes"]')"
assert_eq "architecture" "['x86_64']" "$(json gl.json 'j["CompatibleArchitectures"]')"
aws_lambda get-layer-version-policy --layer-name faas-lambda-bootstrap-x86_64 --version-number 1 > pol.json
assert_eq "public" "*" "$(json pol.json 'json.loads(j["Policy"])["Statement"][0]["Principal"]')"
expect_cli_error 254 ResourceConflictException "already exists" aws_lambda add-layer-version-permission \
  --layer-name faas-lambda-bootstrap-x86_64 --version-number 1 --statement-id faas-lambda-public \
  --action lambda:GetLayerVersion --principal '*'
aws_lambda add-layer-version-permission --layer-name faas-lambda-bootstrap-x86_64 --version-number 1 \
  --statement-id one-account --action lambda:GetLayerVersion --principal 123456789012 > add.json
assert_eq "account principal" "arn:aws:iam::123456789012:root" "$(json add.json 'json.loads(j["Statement"])["Principal"]["AWS"]')"
aws_lambda remove-layer-version-permission --layer-name faas-lambda-bootstrap-x86_64 --version-number 1 --statement-id faas-lambda-public
aws_lambda remove-layer-version-permission --layer-name faas-lambda-bootstrap-x86_64 --version-number 1 --statement-id one-account
expect_cli_error 254 ResourceNotFoundException "No policy" aws_lambda get-layer-version-policy \
  --layer-name faas-lambda-bootstrap-x86_64 --version-number 1
"$FL" layer build --arch x86_64 -o local.zip >/dev/null
assert_eq "CodeSha256 of the published layer" "$(python3 -c 'import hashlib,base64,sys; print(base64.b64encode(hashlib.sha256(open("local.zip","rb").read()).digest()).decode())')" \
  "$(json gl.json 'j["Content"]["CodeSha256"]')"

# 2. the watchdog as a layer, from an image with only /fwatchdog (the of-watchdog image's shape;
#    the fixture watchdog stands in for it and uses the host's libraries in the local Lambda)
mkdir -p wd && cp "$B/tests/fixture-watchdog" wd/fwatchdog && mkdir -p wd/etc && echo x > wd/etc/other
new_image img wd; add_layer img wd wd
umoci config --image img:wd --config.entrypoint /fwatchdog
start_registry reg
push img:wd "$REG/openfaas/of-watchdog:test"
"$FL" pack "docker://$REG/openfaas/of-watchdog:test" --format layer --path /fwatchdog -o wd-layer.zip -q ||
  fail "pack --format layer"
assert_eq "the watchdog layer holds only fwatchdog" "fwatchdog" "$(zip_names wd-layer.zip)"
aws_lambda publish-layer-version --layer-name of-watchdog --zip-file fileb://wd-layer.zip \
  --compatible-runtimes provided.al2023 > wl.json
wd_arn=$(json wl.json 'j["LayerVersionArn"]')

# 3. a function image without a watchdog or a bootstrap
mkdir -p fn/home/app
printf '#!/bin/sh\nread -r name || true\necho "Hello, $name, from the layers"\n' > fn/home/app/handler.sh
chmod +x fn/home/app/handler.sh
new_image img fn; add_layer img fn fn
umoci config --image img:fn --config.cmd /opt/fwatchdog --config.workingdir /home/app \
  --config.env fprocess=./handler.sh --config.env mode=serializing
push img:fn "$REG/team/fn:1"
"$FL" pack "docker://$REG/team/fn:1" --no-bootstrap -o fn.zip -q || fail "pack --no-bootstrap"
has_entry fn.zip bootstrap && fail "a --no-bootstrap zip has a bootstrap"
assert_eq "argv from the layer" "['/opt/fwatchdog']" "$(python3 -c 'import json,zipfile; print(json.loads(zipfile.ZipFile("fn.zip").read("faas-lambda.json"))["argv"])')"
create_fn hello fn.zip --layers "$arn" "$wd_arn" > cf.json
for _ in $(seq 100); do
  [ "$(aws_lambda get-function-configuration --function-name hello --query State --output text)" = Active ] && break
  sleep 0.1
done
python3 -c 'import json; print(json.dumps({"version":"2.0","rawPath":"/","rawQueryString":"","headers":{},
  "requestContext":{"http":{"method":"POST","path":"/"},"domainName":"x.lambda-url.us-east-1.on.aws"},
  "body":"layers","isBase64Encoded":False}))' > ev.json
aws_lambda invoke --function-name hello --payload fileb://ev.json out.json > cli.json || fail "invoke"
assert_eq "no function error" None "$(json cli.json 'j.get("FunctionError")')"
assert_eq "the function answered" "Hello, layers, from the layers" "$(json out.json 'j["body"]' | tr -d '\n')"
