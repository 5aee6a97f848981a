#!/bin/bash
# Runtime benchmarks (issue 2), printed as a markdown section:
#  - added latency of the Lambda path (emulate + bootstrap + fixture watchdog)
#    over a direct HTTP call to a fixture watchdog, same run, 1 KB and 1 MB;
#  - readiness: how long after the health check turns 200 the bootstrap
#    notices it, and reaches /next;
#  - the bootstrap's memory: idle, and after streaming 100 MB.
set -euo pipefail
[ -n "${BENCH_DEBUG:-}" ] && set -x
top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; [ -n "${BENCH_DEBUG:-}" ] && cat "$work"/emu2.log; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.02; done; echo "no answer at $1" >&2; exit 1; }
# bootstrap_of PID: the bootstrap process running under the emulator PID.
bootstrap_of() {
  local p kids=("$1") all=()
  while [ ${#kids[@]} -gt 0 ]; do
    p=${kids[0]}; kids=("${kids[@]:1}"); all+=("$p")
    kids+=($(pgrep -P "$p" || true))
  done
  for p in "${all[@]}"; do
    [[ "$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)" == /var/task/bootstrap* ]] && { echo "$p"; return; }
  done
}
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

mkdir -p "$work/task"
cp "$B/bootstrap" "$work/task/bootstrap"
cp "$B/tests/fixture-watchdog" "$work/task/fwatchdog"
echo '{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"]}' > "$work/task/faas-lambda.json"
ep=$(port); dp=$(port)
"$B/faas-lambda" emulate --task-root "$work/task" --name bench --listen "127.0.0.1:$ep" --timeout 60 2>"$work/emu.log" &
emu1=$!; pids+=($emu1)
port=$dp FIXTURE_LOCK_FILE=$work/lock "$B/tests/fixture-watchdog" 2>/dev/null &
pids+=($!)
wait_up "http://127.0.0.1:$ep/"; wait_up "http://127.0.0.1:$dp/_/health"
inv=http://127.0.0.1:$ep/2015-03-31/functions/bench/invocations
small=$("$B/bench/invoke_latency" "$inv" "http://127.0.0.1:$dp/bench" 1024 3000)
bpid=$(bootstrap_of "$emu1")
idle_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$bpid/status")
large=$("$B/bench/invoke_latency" "$inv" "http://127.0.0.1:$dp/bench" 1048576 200)
idle_large_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$bpid/status")
stream_ev=$work/stream.json
python3 - > "$stream_ev" <<'PY'
import json
print(json.dumps({"version": "2.0", "rawPath": "/s", "rawQueryString": "",
  "headers": {"x-fixture-chunks": "1600,65536,0"},
  "requestContext": {"domainName": "x.lambda-url.us-east-1.on.aws", "http": {"method": "GET", "path": "/s"}}}))
PY
# Streaming needs its own function: a second emulator with the invoke mode set.
sp=$(port)
"$B/faas-lambda" emulate --task-root "$work/task" --name stream --listen "127.0.0.1:$sp" --timeout 120 \
  --env FAAS_LAMBDA_INVOKE_MODE=response_stream 2>"$work/emu2.log" &
emu2=$!; pids+=($emu2)
wait_up "http://127.0.0.1:$sp/"
curl -s -o /dev/null --data-binary "@$stream_ev" "http://127.0.0.1:$sp/2015-03-31/functions/stream/invocations"
spid=$(bootstrap_of "$emu2")
before_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$spid/status")
got=$(curl -s --data-binary "@$stream_ev" "http://127.0.0.1:$sp/2015-03-31/functions/stream/invocations" | wc -c)
hwm_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$spid/status")

ready=$("$B/bench/readiness" "$B/bootstrap" 30 2>/dev/null)
wake=$("$B/bench/wakeup" 20000)
pstat() { # pstat KEY: p50 and max over the readiness runs
  python3 -c 'import json,sys; v=sorted(json.loads(l)[sys.argv[1]] for l in sys.stdin); print("%.2f %.2f" % (v[len(v)//2]/1000, v[-1]/1000))' "$1" <<<"$ready"
}
read -r n50 nmax < <(pstat notice_us); read -r x50 xmax < <(pstat next_us)

cat <<MD
### Runtime: bootstrap (issue 2)

Peer: a direct HTTP call to the same fixture watchdog, interleaved in the same run (\`bench/invoke_latency\`).
The direct call is two hand-offs between processes (client to watchdog and back); the Lambda path is
six (client, emulator, bootstrap, watchdog, bootstrap, emulator, client: the invoke and the runtime's
parked /next meet on one emulator loop, so no thread inside the emulator is woken). What one hand-off
costs here before anyone does work (\`bench/wakeup\`, a byte over a socket pair): $(field "$wake" same_cpu_us) µs when
both processes share a CPU, $(field "$wake" two_cpus_us) µs ($(field "$wake" two_cpus_cpu_us) µs of CPU) when the woken one is on the other,
halted CPU, $(field "$wake" free_us) µs left to the scheduler. Four extra hand-offs therefore put a floor under the
added latency that on this VM is several times the 60 µs target whenever the scheduler spreads the
processes over both CPUs. Absolute figures move between runs on this shared VM; the ratio is steadier.

| measure | target | result |
|---|---|---|
| added latency p50, 1 KB body (invoke p50 − direct p50) | ≤ 60 µs | $(field "$small" added_p50_us) µs (invoke $(field "$small" invoke_p50_us) µs, direct $(field "$small" direct_p50_us) µs, ratio $(field "$small" ratio_p50)×) |
| added latency p50, 1 MB body | ≤ 2 ms | $(python3 -c "print('%.2f' % ($(field "$large" added_p50_us)/1000))") ms (invoke $(field "$large" invoke_p50_us) µs, direct $(field "$large" direct_p50_us) µs, ratio $(field "$large" ratio_p50)×) |
| readiness noticed after the health check turns 200 (p50 / max of 30) | ≤ 1 ms | $n50 / $nmax ms |
| health check 200 → first /next (p50 / max of 30) | ≤ 5 ms | $x50 / $xmax ms |
| bootstrap RSS, idle after 3,000 1 KB invokes | ≤ 2 MB | $((idle_kb)) KB (after 200 1 MB invokes: $idle_large_kb KB, buffers kept for reuse) |
| bootstrap peak RSS while streaming $((got / 1000000)) MB | ≤ 4 MB | $((hwm_kb)) KB (RSS before the stream: $before_kb KB) |
| bootstrap size, x86_64 / arm64 (static, stripped) | ≤ 400 KB | $(($(stat -c %s "$B/bootstrap") / 1024)) / $(($(stat -c %s "$B/bootstrap-arm64") / 1024)) KB |
MD
