#!/bin/bash
# faas-lambda emulate benchmarks (issue 4), printed as a markdown section:
#  - warm invoke through the whole stack (Invoke API -> Runtime API ->
#    bootstrap -> fixture watchdog), 1 KB, concurrency 1, against a direct
#    HTTP call to a fixture watchdog in the same run (bench/invoke_latency);
#  - throughput at concurrency 4 and 1 (bench/emulator_load);
#  - the emulator's own CPU per warm invoke (from /proc);
#  - cold start: sandbox start to the first /next answered (REPORT's Init
#    Duration) with a runtime that does nothing (bench/emulator_noop_runtime),
#    so no watchdog start-up is in it; and the cold invoke as a client sees it;
#  - idle memory (RSS) of the emulator with 100 functions defined.
# Everything listens on 127.0.0.1; state in a temporary directory.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
make -C "$top" -s build/faas-lambda build/bootstrap build/tests/fixture-watchdog build/bench/invoke_latency \
  build/bench/emulator_load build/bench/emulator_noop_runtime >/dev/null
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 500); do curl -s -o /dev/null "$1" && return 0; sleep 0.02; done; echo "no answer at $1" >&2; exit 1; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# --- the function: the real bootstrap and the fixture watchdog
mkdir -p "$work/task" "$work/noop"
cp "$B/bootstrap" "$work/task/bootstrap"
cp "$B/tests/fixture-watchdog" "$work/task/fwatchdog"
echo '{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"]}' >"$work/task/faas-lambda.json"
cp "$B/bench/emulator_noop_runtime" "$work/noop/bootstrap"
(cd "$work/noop" && zip -q ../noop.zip bootstrap)
ep=$(port); dp=$(port)
"$B/faas-lambda" emulate --task-root "$work/task" --name bench --listen "127.0.0.1:$ep" --timeout 60 --quiet \
  --state-dir "$work/state1" 2>"$work/emu1.log" &
emu=$!; pids+=($emu)
port=$dp FIXTURE_LOCK_FILE=$work/lock "$B/tests/fixture-watchdog" 2>/dev/null &
pids+=($!)
wait_up "http://127.0.0.1:$ep/"; wait_up "http://127.0.0.1:$dp/_/health"
inv=http://127.0.0.1:$ep/2015-03-31/functions/bench/invocations

# --- warm latency, interleaved with the direct call; then the emulator's CPU per invoke
lat=$("$B/bench/invoke_latency" "$inv" "http://127.0.0.1:$dp/bench" 1024 5000)
c0=$(cpu_ticks "$emu")
one=$("$B/bench/emulator_load" "$inv" 1 4)
c1=$(cpu_ticks "$emu")
cpu_us=$(( (c1 - c0) * 1000000 / $(getconf CLK_TCK) / $(field "$one" invokes) ))
four=$("$B/bench/emulator_load" "$inv" 4 5)

# --- cold starts: 20 functions, one invoke each
ep2=$(port)
"$B/faas-lambda" emulate --listen "127.0.0.1:$ep2" --state-dir "$work/state2" --quiet 2>"$work/emu2.log" &
emu2=$!; pids+=($emu2)
wait_up "http://127.0.0.1:$ep2/"
cold=$(python3 - "http://127.0.0.1:$ep2" "$work/noop.zip" "$work/task" <<'PY'
import base64, io, json, os, sys, time, urllib.request, zipfile
base, noop, task = sys.argv[1:4]
def call(method, path, body=None, headers={}):
    r = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                               method=method, headers=headers)
    return urllib.request.urlopen(r).read()
def zip_dir(d):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for f in os.listdir(d):
            info = zipfile.ZipInfo(f)
            info.external_attr = 0o755 << 16
            z.writestr(info, open(os.path.join(d, f), "rb").read())
    return base64.b64encode(b.getvalue()).decode()
codes = {"noop": base64.b64encode(open(noop, "rb").read()).decode(), "watchdog": zip_dir(task)}
out = {}
for kind, code in codes.items():
    client = []
    for i in range(20):
        name = "%s%d" % (kind, i)
        call("POST", "/2015-03-31/functions", {"FunctionName": name, "Role": "arn:aws:iam::000000000000:role/r",
             "Runtime": "provided.al2023", "Handler": "h", "Code": {"ZipFile": code}})
        t = time.time()
        call("POST", "/2015-03-31/functions/%s/invocations" % name, {})
        client.append((time.time() - t) * 1000)
    inits = []
    for i in range(20):
        ev = json.loads(call("POST", "/", {"logGroupName": "/aws/lambda/%s%d" % (kind, i),
                             "filterPattern": "\"Init Duration\""}, {"X-Amz-Target": "Logs_20140328.FilterLogEvents"}))
        inits.append(float(ev["events"][0]["message"].split("Init Duration: ")[1].split(" ")[0]))
    inits.sort(); client.sort()
    out[kind] = {"init_p50": inits[10], "init_p90": inits[18], "client_p50": client[10]}
print(json.dumps(out))
PY
)

# --- idle memory with 100 functions defined (a fresh emulator, nothing invoked)
ep3=$(port)
"$B/faas-lambda" emulate --listen "127.0.0.1:$ep3" --state-dir "$work/state3" --quiet 2>"$work/emu3.log" &
emu3=$!; pids+=($emu3)
wait_up "http://127.0.0.1:$ep3/"
python3 - "http://127.0.0.1:$ep3" "$work/noop.zip" <<'PY'
import base64, json, sys, urllib.request
base, noop = sys.argv[1:3]
code = base64.b64encode(open(noop, "rb").read()).decode()
for i in range(100):
    body = {"FunctionName": "idle%d" % i, "Role": "arn:aws:iam::000000000000:role/r", "Runtime": "provided.al2023",
            "Handler": "h", "Code": {"ZipFile": code}, "Environment": {"Variables": {"KEY%d" % i: "v" * 64}},
            "Tags": {"team": "bench"}}
    urllib.request.urlopen(urllib.request.Request(base + "/2015-03-31/functions", data=json.dumps(body).encode()))
PY
sleep 1
idle_kb=$(rss_kb "$emu3")

p50=$(field "$lat" invoke_p50_us); d50=$(field "$lat" direct_p50_us)
ratio=$(python3 -c "print('%.1f' % ($p50 / $d50))")
c=$(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); print(" ".join("%.1f" % x for x in (c["noop"]["init_p50"], c["noop"]["init_p90"], c["noop"]["client_p50"], c["watchdog"]["init_p50"], c["watchdog"]["client_p50"])))' "$cold")
read -r noop_p50 noop_p90 noop_client wd_p50 wd_client <<<"$c"
cat <<EOF_MD
<!-- emulator:start -->
## emulator (bench/emulator.sh)

Function: the static bootstrap + the fixture watchdog (zip, provided.al2023); 1 KB Function URL
event; everything on 127.0.0.1. Peer: a direct HTTP call to a fixture watchdog, interleaved in
the same run. On a shared VM the absolute latencies move with the neighbours' load (the direct
call's p50 ranged 58-116 µs over one afternoon); the ratio to the peer is the stable figure.
Warm invokes at concurrency 1 are measured two ways: one client invoking back to back, and the
peer run, where each invoke alternates with a direct call.

| measure | result | target |
|---|---|---|
| warm invoke p50 / p90 / p99, concurrency 1: one client invoking back to back | $(field "$one" p50_us) / $(field "$one" p90_us) / $(field "$one" p99_us) µs ($(field "$one" per_second) invokes/s) | p50 ≤ 300 µs |
| warm invoke p50 / p90 / p99, each invoke followed by a direct call (the peer run) | $(field "$lat" invoke_p50_us) / $(field "$lat" invoke_p90_us) / $(field "$lat" invoke_p99_us) µs | |
| direct call to the watchdog p50 (peer) | $d50 µs | |
| ratio invoke / direct (p50, interleaved) | ${ratio}x | |
| throughput, concurrency 4 (p50 latency) | $(field "$four" per_second) invokes/s ($(field "$four" p50_us) µs) | ≥ 3,000/s |
| emulator CPU per warm invoke | $cpu_us µs | |
| cold start: sandbox start to first /next answered, p50 / p90 (no-op runtime) | $noop_p50 / $noop_p90 ms | p50 ≤ 15 ms |
| cold invoke as the client sees it, p50 (no-op runtime) | $noop_client ms | |
| cold start with bootstrap + watchdog (Init Duration p50; client p50) | $wd_p50 ms; $wd_client ms | |
| emulator RSS, 100 functions defined, idle | $((idle_kb / 1024)) MiB | ≤ 20 MB |
<!-- emulator:end -->
EOF_MD
