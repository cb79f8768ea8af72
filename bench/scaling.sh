#!/usr/bin/env bash
# Scaling benchmark: decoy's mock beside the bare-hyper ceilings, the server
# pinned to 1, 2, 4, 8 cores and wrk to the others, all in one run, so every
# figure is a ratio measured on the same machine at the same time.
#
#   repeated reads: GET /v1/calls/call_abc        decoy vs `ceiling fixed`
#   new resources:  GET /v1/calls/call_N (N=0..)  decoy vs `ceiling structs`
#                   (hand-written, every value fresh) and `ceiling fresh`
#                   (a template cloned, ids and integers redrawn)
#
# Runs from release binaries alone, so it can be carried to a bigger machine:
#   DECOY=path/to/decoy CEILING=path/to/ceiling bench/scaling.sh
# Without them it builds both here. CORES="1 2 4 8" (default: every count
# that leaves at least one core for wrk), SECS=10, CONNS=256, WRK=wrk.
# wrk runs on the last min(8, free) cores with one thread per core, so the
# load generator stays the same while the server gets more cores.
# Needs wrk; curl where present, else python3. Cores are pinned with taskset
# where it works; everywhere each server also gets TOKIO_WORKER_THREADS=k, so
# a sandbox that ignores affinity still runs k workers.
# On a lent machine with nothing installed: bench/device-scaling.sh.
set -eu
cd "$(dirname "$0")/.."
SECS=${SECS:-10}
CONNS=${CONNS:-256}
PORT=${PORT:-4620}
total=$(nproc)
if [ -z "${DECOY:-}" ] || [ -z "${CEILING:-}" ]; then
  cargo build -q --release --bin decoy
  cargo build -q --release -p decoy-mock --example ceiling
  DECOY=target/release/decoy
  CEILING=target/release/examples/ceiling
fi
if [ -z "${CORES:-}" ]; then
  CORES=""
  for k in 1 2 4 8; do [ "$k" -lt "$total" ] && CORES="$CORES $k"; done
fi
WRK=${WRK:-wrk}
# pin CPUS CMD...: CMD on those cores, or unpinned where affinity cannot be set
# (taskset execs CMD, so `pin ... &` started by `run` below is not a function:
# its $! must be the server's own pid).
pinning=0
taskset -c 0 true 2>/dev/null && pinning=1
pin() { local c=$1; shift; if [ "$pinning" = 1 ]; then taskset -c "$c" "$@"; else "$@"; fi; }
command -v "$WRK" >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 2; }

# get URL: the body, with a bearer token (curl where present, else python3).
get() {
  if command -v curl >/dev/null; then
    curl -sf -H 'Authorization: Bearer t' "$1"
  else
    python3 -c 'import sys, urllib.request as u
r = u.Request(sys.argv[1], headers={"Authorization": "Bearer t"})
sys.stdout.buffer.write(u.urlopen(r, timeout=1).read())' "$1" 2>/dev/null
  fi
}

pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT

wait_up() {
  for _ in $(seq 1 2000); do
    get "$1" >/dev/null && return 0
    sleep 0.005
  done
  echo "server did not start" >&2; return 1
}

lua=$(mktemp --suffix=.lua)
cat > "$lua" <<'LUA'
-- Each wrk thread asks for its own ids, so no two requests share one.
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("tid", threads) end
wrk.headers["Authorization"] = "Bearer test"
local n = 0
local many = os.getenv("MANY") == "1"
request = function()
  if many then n = n + 1; return wrk.format("GET", "/v1/calls/call_" .. tid .. "_" .. n) end
  return wrk.format("GET", "/v1/calls/call_abc")
end
done = function(s, lat, req)
  io.write(string.format("%.0f %.2f %d\n", s.requests / (s.duration / 1e6),
    lat:percentile(99) / 1000, s.requests))
end
LUA

# ticks PID: the process's user and kernel CPU time so far, in clock ticks.
ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)

# load CORES MANY: rps, p99 (ms), and the server's CPU time per request in
# microseconds, user and kernel (from /proc, so no profiler is needed).
# The kernel share tells what instruction counts cannot: a server that
# answers slower leaves wrk idle, and each answer then pays for waking it.
load() {
  local k=$1 free=$((total - $1))
  local w=$(( free > 8 ? 8 : free ))
  MANY=$2 pin "$((total - w))-$((total - 1))" "$WRK" -t"$w" -c"$CONNS" -d2s \
    -s "$lua" "http://127.0.0.1:$PORT/" >/dev/null 2>&1 || true
  local u0 s0 u1 s1 rps p99 n
  read -r u0 s0 < <(ticks "$pid")
  read -r rps p99 n < <(MANY=$2 pin "$((total - w))-$((total - 1))" "$WRK" -t"$w" \
    -c"$CONNS" -d"${SECS}s" -s "$lua" "http://127.0.0.1:$PORT/" 2>/dev/null | tail -n1)
  read -r u1 s1 < <(ticks "$pid")
  awk -v r="$rps" -v p="$p99" -v n="$n" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t="$tck" \
    'BEGIN { printf "%s %s %.1f %.1f\n", r, p, u * 1e6 / t / n, s * 1e6 / t / n }'
}

# The body decoy serves is the ceilings' template: same bytes, same size.
"$DECOY" mock --port "$PORT" --log off >/dev/null 2>&1 & pid=$!
wait_up "http://127.0.0.1:$PORT/v1/calls/call_abc"
body=$(mktemp --suffix=.json)
get "http://127.0.0.1:$PORT/v1/calls/call_abc" > "$body"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

run() {  # CORES MANY CMD...
  local k=$1 many=$2; shift 2
  if [ "$pinning" = 1 ]; then
    TOKIO_WORKER_THREADS=$k taskset -c "0-$((k - 1))" "$@" >/dev/null 2>&1 & pid=$!
  else
    TOKIO_WORKER_THREADS=$k "$@" >/dev/null 2>&1 & pid=$!
  fi
  wait_up "http://127.0.0.1:$PORT/v1/calls/call_abc"
  load "$k" "$many"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "machine: $total cores; body $(wc -c < "$body") bytes; wrk $CONNS connections, ${SECS}s"
printf '%-5s | %-10s %-10s %-5s | %-10s %-10s %-18s %-7s %-7s\n' cores "ceil fixed" "decoy 1id" \
  ratio "ceil struc" "ceil templ" "decoy many ids" "/struc" "/templ"
cpu=()
for k in $CORES; do
  read -r cf cf99 cfu cfs < <(run "$k" 0 "$CEILING" fixed "$PORT" "$body")
  read -r d1 d199 d1u d1s < <(run "$k" 0 "$DECOY" mock --port "$PORT" --log off)
  read -r cs cs99 csu css < <(run "$k" 1 "$CEILING" structs "$PORT" "$body")
  read -r cr cr99 cru crs < <(run "$k" 1 "$CEILING" fresh "$PORT" "$body")
  read -r dm dm99 dmu dms < <(run "$k" 1 "$DECOY" mock --port "$PORT" --log off)
  printf '%-5s | %-10s %-10s %-5s | %-10s %-10s %-18s %-7s %-7s\n' "$k" "$cf" "$d1" \
    "$(ratio "$d1" "$cf")" "$cs" "$cr" "$dm (p99 ${dm99}ms)" "$(ratio "$dm" "$cs")" \
    "$(ratio "$dm" "$cr")"
  cpu+=("$(printf '%-5s | %-12s %-12s | %-12s %-12s %-12s' "$k" "$cfu+$cfs" "$d1u+$d1s" \
    "$csu+$css" "$cru+$crs" "$dmu+$dms")")
done
echo
echo "server CPU per request, microseconds user+kernel (/proc; the kernel part includes"
echo "waking wrk, which a slower server pays more often)"
printf '%-5s | %-12s %-12s | %-12s %-12s %-12s\n' cores "ceil fixed" "decoy 1id" "ceil struc" \
  "ceil templ" "decoy many"
printf '%s\n' "${cpu[@]}"
rm -f "$lua" "$body"
