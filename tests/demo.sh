#!/bin/bash
# make demo: the main job on the embedded default.
#   1. an example OpenFaaS function image (a watchdog in serializing mode in front
#      of a shell script), built with umoci and pushed to a local docker-registry;
#   2. faas-lambda serve, the OpenFaaS provider, on its embedded local Lambda;
#   3. deploy through the faas-provider API (what faas-cli deploy sends): the image
#      is packed into a Lambda zip with the static bootstrap and created as a function;
#   4. invoke it through the provider, and show the answer and the function's logs.
# Everything listens on 127.0.0.1 and stops at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_url() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer at $1" >&2; exit 1; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "1. An OpenFaaS function image: a watchdog and a shell script"
root=$work/rootfs
mkdir -p "$root/home/app" "$root/usr/bin" "$root/usr/lib/x86_64-linux-gnu" "$root/usr/lib64"
cp "$B/tests/fixture-watchdog" "$root/usr/bin/fwatchdog"
cp /usr/bin/dash "$root/usr/bin/dash"
for so in $( (ldd "$B/tests/fixture-watchdog"; ldd /usr/bin/dash) | grep -o '/[^ ]*' | sort -u); do
  cp -L "$so" "$root/usr/lib/x86_64-linux-gnu/"
done
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/usr/lib64/ld-linux-x86-64.so.2"
ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"; ln -s usr/bin "$root/bin"; ln -s dash "$root/usr/bin/sh"
cat > "$root/home/app/handler.sh" <<'SH'
#!/bin/sh
# An OpenFaaS function: the request body on stdin, the answer on stdout.
read -r name || true
echo "Hello, ${name:-world}! I ran on Lambda: $Http_Method $Http_Path (${AWS_LAMBDA_FUNCTION_NAME})"
echo "handled a request for ${name:-world}" >&2
SH
chmod +x "$root/home/app/handler.sh"
umoci init --layout "$work/img" >/dev/null
umoci new --image "$work/img:hello"
umoci insert --image "$work/img:hello" "$root" / >/dev/null
umoci config --image "$work/img:hello" --config.cmd fwatchdog --config.workingdir /home/app \
  --config.env fprocess=./handler.sh --config.env mode=serializing
echo "built: a Debian-based image (glibc), fwatchdog + /home/app/handler.sh, fprocess=./handler.sh"

rport=$(port)
mkdir -p "$work/registry"
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/registry\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$work" "$rport" > "$work/registry.yml"
/usr/bin/docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
wait_url "http://127.0.0.1:$rport/v2/"
image=127.0.0.1:$rport/demo/hello:1
show skopeo copy -q --dest-tls-verify=false "oci:$work/img:hello" "docker://$image"
"$B/faas-lambda" inspect "docker://$image" --insecure-registry "127.0.0.1:$rport" -q | sed -n '1,12p'

step "2. faas-lambda serve: the OpenFaaS provider, on the embedded local Lambda"
pport=$(port)
"$B/faas-lambda" serve --port "$pport" --state-dir "$work/state" --work-dir "$work" \
  --insecure-registry "127.0.0.1:$rport" >"$work/serve.log" 2>&1 &
pids+=($!)
P=http://127.0.0.1:$pport
wait_url "$P/healthz"
show curl -s "$P/system/info"; echo

step "3. Deploy, as faas-cli deploy does (PUT, then POST when the function is new)"
deployment='{"service":"hello","image":"'$image'","envProcess":"./handler.sh","labels":{"app":"demo"},
  "annotations":{"com.openfaas.lambda.timeout":"10"},"limits":{"memory":"256Mi"}}'
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -d "$deployment" "$P/system/functions")
echo "PUT /system/functions -> $code (a new function)"
start=$(date +%s%N)
code=$(curl -s -o "$work/deploy.out" -w '%{http_code}' -X POST -d "$deployment" "$P/system/functions")
echo "POST /system/functions -> $code in $(( ($(date +%s%N) - start) / 1000000 )) ms (packed and created)"
[ "$code" -lt 300 ] || { cat "$work/deploy.out"; exit 1; }
for _ in $(seq 200); do
  curl -s "$P/system/function/hello" | grep -q '"availableReplicas":1' && break
  sleep 0.05
done
curl -s "$P/system/functions" | python3 -c '
import json, sys
for f in json.load(sys.stdin):
    print("%s.%s  image=%s  replicas=%s  labels=%s" % (f["name"], f["namespace"], f["image"], f.get("replicas"), f.get("labels")))'

step "4. Invoke through the provider: HTTP -> Lambda event -> bootstrap -> watchdog -> function"
show curl -s -d 'OpenFaaS' "$P/function/hello/greet?lang=en"
show curl -s -D - -o /dev/null -d 'headers' "$P/function/hello" | grep -iE '^(HTTP|X-Duration-Seconds|X-Call-Id)'

step "The function's logs (GET /system/logs, from the local CloudWatch Logs)"
sleep 0.3
curl -s "$P/system/logs?name=hello&tail=8" | python3 -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        e = json.loads(line)
        print(e.get("timestamp", "")[:23], e.get("text", "").rstrip())'

step "Remove"
show curl -s -o /dev/null -w '%{http_code}\n' -X DELETE -d '{"functionName":"hello"}' "$P/system/functions"
echo "done: the same image runs on Kubernetes (faas-netes) and, packed by faas-lambda, on Lambda."
