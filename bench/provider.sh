#!/bin/bash
# Benchmark: the provider (faas-lambda serve, embedded emulator) against the
# Lambda Invoke API it calls, in the same run, on the fixture watchdog:
#   - invoke overhead: p50 through /function/NAME minus p50 of the same
#     event sent straight to Invoke (target <= 150 us), and requests per
#     second at concurrency 4 (target >= 70 % of the direct path);
#   - deploy: a 50 MB image from docker-registry on 127.0.0.1 to a function
#     that answers (PUT -> 404 -> POST, then invokes until 200; target <= 3 s),
#     with a cold blob cache, and again as an update.
# Prints its section of bench/RESULTS.md on stdout; progress goes to stderr.
#   bench/provider.sh [COUNT] [SECONDS]   (default 2000 requests, 8 s)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-2000} secs=${2:-8}
export FL_TOP=$top
set +u
. "$top/tests/lib.sh" >/dev/null
. "$top/tests/fixtures/packer_lib.sh"
. "$top/tests/fixtures/provider_lib.sh"
set -u
[ -x "$B/bench/provider_load" ] || { echo "make build/bench/provider_load first" >&2; exit 1; }
cd "$T"
echo "building the images ..." >&2
watchdog_image "$T/img" fn
start_registry reg
push "$T/img:fn" "$REG/bench/fn:1"
mkdir -p big/home/app/data
/usr/bin/python3 - big/home/app/data <<'PY'
import os, random, sys
random.seed(5)
d = sys.argv[1]
open(os.path.join(d, "random.bin"), "wb").write(os.urandom(20 << 20))           # incompressible
words = [("w%d" % i) * (1 + i % 5) for i in range(3000)]
with open(os.path.join(d, "text.dat"), "w") as f:                             # compressible
    while f.tell() < (30 << 20):
        f.write(" ".join(random.choice(words) for _ in range(20000)))
PY
watchdog_image "$T/img" big
add_layer "$T/img" big "$T/big"
push "$T/img:big" "$REG/bench/big:1"
image_mb=$(du -sm "$T/big" "$T/wdroot" | awk '{s += $1} END {print s}')

start_serve bench --insecure-registry "$REG" --read-timeout 60s
emu=$(grep -o 'embedded Lambda emulator at http://[0-9.:]*' "$T/bench.log" | awk '{print $NF}')
deploy '{"service":"echo","image":"'$REG'/bench/fn:1"}'
wait_ready echo
echo "invoke latency and throughput ..." >&2
res=$("$B/bench/provider_load" "$SERVE_URL/function/echo" "$emu/2015-03-31/functions/echo_openfaas-fn/invocations" \
  1024 "$count" 4 "$secs")
j() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$res" "$1"; }

# time_deploy NAME: seconds from the first deploy call to the first 200 of the function
time_deploy() {
  local name=$1 start end i
  start=$(date +%s%N)
  deploy '{"service":"'$name'","image":"'$REG'/bench/big:1"}'
  for ((i = 0; i < 3000; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Fixture-Body: ok' "$SERVE_URL/function/$name")" = 200 ] && break
    sleep 0.005
  done
  end=$(date +%s%N)
  /usr/bin/python3 -c "print('%.2f' % (($end - $start) / 1e9))"
}
echo "deploy of a ${image_mb} MB image ..." >&2
rm -rf "$XDG_CACHE_HOME"
cold=$(time_deploy big)
warm=$(time_deploy big)
second=$(time_deploy big2)

ok() { /usr/bin/python3 -c "print('yes' if $1 else 'NO')"; }
cat <<MD
## Provider (faas-lambda serve)

Peer: the Lambda Invoke API of the embedded emulator that the provider calls, sent the same
event directly (\`bench/provider_load.c\`), interleaved in the same run; the function is the
fixture watchdog answering "ok" to a 1 KiB POST.

| measure | through the provider | Invoke directly | provider overhead / ratio | target | met |
|---|---|---|---|---|---|
| p50 latency | $(j provider_p50_us) us | $(j direct_p50_us) us | +$(j overhead_p50_us) us | <= 150 us | $(ok "$(j overhead_p50_us) <= 150") |
| p90 latency | $(j provider_p90_us) us | $(j direct_p90_us) us | | | |
| p99 latency | $(j provider_p99_us) us | $(j direct_p99_us) us | | | |
| throughput, 4 clients | $(j provider_rps) req/s | $(j direct_rps) req/s | $(j throughput_ratio) | >= 0.70 | $(ok "$(j throughput_ratio) >= 0.70") |

Deploy of a ${image_mb} MB image (20 MB random, 30 MB text, the watchdog) from docker-registry on
127.0.0.1 to a function that answers (PUT -> 404 -> POST, pack, CreateFunction, invoke until 200):

| deploy | seconds | target | met |
|---|---|---|---|
| first, cold blob cache | $cold | <= 3 s | $(ok "$cold <= 3") |
| again (update, cache warm) | $warm | <= 3 s | $(ok "$warm <= 3") |
| another function, same image | $second | <= 3 s | $(ok "$second <= 3") |
MD
