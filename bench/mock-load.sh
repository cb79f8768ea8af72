#!/usr/bin/env bash
# Load benchmark: decoy's mock beside Stoplight Prism and the bare-hyper
# ceilings (crates/mock/examples/ceiling/) on the Calls document, measured
# back to back in one run (the machine is shared: compare ratios).
#
# Measures, for GET /v1/calls/{id} at $CONNS connections for $SECS seconds:
# rps and p99 over one id (repeated reads) and over many ids (fresh
# resources), startup time (launch to first answer) and RSS after load.
#
# Usage: bench/mock-load.sh            (SECS=10 CONNS=50 by default)
# Needs: ../shared/bench (install-peers.sh, load.sh), curl, python3, a release build.
set -eu
cd "$(dirname "$0")/.."
SHARED=${DECOY_SHARED:-$(cd .. && pwd)/shared}
SECS=${SECS:-10}
CONNS=${CONNS:-50}
DOC=specs/calls.openapi.yaml
DECOY_PORT=${DECOY_PORT:-4610}
PRISM_PORT=${PRISM_PORT:-4611}

peers=$(bash "$SHARED/bench/install-peers.sh" | tail -n1)
export PATH="$peers/bin:$PATH"

# The real CLI, as users run it (request log off: the benchmark measures
# the server, not a terminal).
cargo build -q --release --bin decoy
cargo build -q --release -p decoy-mock --example ceiling
CEILING_PORT=${CEILING_PORT:-4612}
decoy_cmd=(target/release/decoy mock "$DOC" --port "$DECOY_PORT" --log off)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Starts a server in the background; prints "PID STARTUP_MS" once it answers
# (launch to first answer, polled in-process every half millisecond as
# bench/startup.sh does: a curl process per poll would cost more than the
# startup it measures). The server outlives the poller.
launch() {
  python3 - "$@" <<'PY'
import http.client, subprocess, sys, time
url, cmd = sys.argv[1], sys.argv[2:]
host, _, rest = url.removeprefix("http://").partition("/")
name, _, port = host.partition(":")
t0 = time.perf_counter()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while time.perf_counter() - t0 < 60:
    try:
        c = http.client.HTTPConnection(name, int(port), timeout=5)
        c.request("GET", "/" + rest, headers={"Authorization": "Bearer t"})
        c.getresponse().read()
        print(p.pid, round((time.perf_counter() - t0) * 1000))
        sys.exit(0)
    except OSError:
        if p.poll() is not None:
            break
        time.sleep(0.0005)
print("server did not start:", " ".join(cmd), file=sys.stderr)
p.kill()
sys.exit(1)
PY
}

# One wrk run over many ids (call_0, call_1, ...); same output as load.sh.
many_ids() {
  local url=$1 lua; lua=$(mktemp --suffix=.lua)
  cat > "$lua" <<'LUA'
wrk.headers["Authorization"] = "Bearer test"
wrk.headers["Accept"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/v1/calls/call_" .. (n % 100000))
end
done = function(s, lat, req)
  local e = s.errors
  io.write(string.format("rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    s.requests / (s.duration / 1e6), lat:percentile(50) / 1000, lat:percentile(99) / 1000,
    e.status + e.connect + e.read + e.write + e.timeout))
end
LUA
  wrk -t2 -c"$CONNS" -d2s --timeout 5s -s "$lua" "$url" >/dev/null 2>&1 || true
  wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 5s -s "$lua" "$url" 2>/dev/null | grep '^rps='
  rm -f "$lua"
}

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

measure() {  # NAME PORT PID STARTUP
  local name=$1 port=$2 pid=$3 startup=$4
  local one many
  one=$(bash "$SHARED/bench/load.sh" "http://127.0.0.1:$port/v1/calls/call_abc" "$CONNS" "$SECS" test)
  many=$(many_ids "http://127.0.0.1:$port/")
  printf '%-6s one-id: %s | many-ids: %s | startup_ms=%s rss_mb=%s\n' \
    "$name" "$one" "$many" "$startup" "$(rss_mb "$pid")" >&2
  echo "$one|$many|$startup|$(rss_mb "$pid")"
}

read -r dpid dstart < <(launch "http://127.0.0.1:$DECOY_PORT/v1/calls/x" "${decoy_cmd[@]}")
pids+=("$dpid")
decoy=$(measure decoy "$DECOY_PORT" "$dpid" "$dstart")
kill "$dpid"

# The ceilings serve decoy's own body for one id: same bytes, same size.
body=$(mktemp --suffix=.json)
read -r dpid dstart < <(launch "http://127.0.0.1:$DECOY_PORT/v1/calls/x" "${decoy_cmd[@]}")
pids+=("$dpid")
curl -s -H 'Authorization: Bearer t' "http://127.0.0.1:$DECOY_PORT/v1/calls/call_abc" > "$body"
kill "$dpid"
read -r cpid cstart < <(launch "http://127.0.0.1:$CEILING_PORT/v1/calls/x" target/release/examples/ceiling fixed "$CEILING_PORT" "$body")
pids+=("$cpid")
fixed=$(bash "$SHARED/bench/load.sh" "http://127.0.0.1:$CEILING_PORT/v1/calls/call_abc" "$CONNS" "$SECS" test)
kill "$cpid"
read -r cpid cstart < <(launch "http://127.0.0.1:$CEILING_PORT/v1/calls/x" target/release/examples/ceiling fresh "$CEILING_PORT" "$body")
pids+=("$cpid")
fresh=$(many_ids "http://127.0.0.1:$CEILING_PORT/")
kill "$cpid"
read -r cpid cstart < <(launch "http://127.0.0.1:$CEILING_PORT/v1/calls/x" target/release/examples/ceiling structs "$CEILING_PORT" "$body")
pids+=("$cpid")
structs=$(many_ids "http://127.0.0.1:$CEILING_PORT/")
kill "$cpid"
rm -f "$body"

read -r ppid pstart < <(launch "http://127.0.0.1:$PRISM_PORT/v1/calls/x" prism mock -h 127.0.0.1 -p "$PRISM_PORT" "$DOC")
pids+=("$ppid")
prism=$(measure prism "$PRISM_PORT" "$ppid" "$pstart")

IFS='|' read -r d1 dm ds dr <<<"$decoy"
IFS='|' read -r p1 pm ps pr <<<"$prism"
echo "one id:   decoy/ceiling(fixed body) rps $(ratio "$(field rps "$d1")" "$(field rps "$fixed")") ($(field rps "$d1") vs $(field rps "$fixed"))"
echo "many ids: decoy/ceiling(hand-written structs) rps $(ratio "$(field rps "$dm")" "$(field rps "$structs")") ($(field rps "$dm") vs $(field rps "$structs"))"
echo "many ids: decoy/ceiling(fresh template) rps $(ratio "$(field rps "$dm")" "$(field rps "$fresh")") ($(field rps "$dm") vs $(field rps "$fresh"))"
echo "one id:   decoy/prism rps x$(ratio "$(field rps "$d1")" "$(field rps "$p1")"), p99 decoy $(field p99_ms "$d1") ms vs prism $(field p99_ms "$p1") ms"
echo "many ids: decoy/prism rps x$(ratio "$(field rps "$dm")" "$(field rps "$pm")"), p99 decoy $(field p99_ms "$dm") ms vs prism $(field p99_ms "$pm") ms"
echo "startup:  decoy ${ds} ms, prism ${ps} ms; RSS after load: decoy ${dr} MB, prism ${pr} MB"
