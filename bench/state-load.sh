#!/usr/bin/env bash
# Stateful load: decoy mock with state in memory beside decoy mock with
# state in Redis (--state), measured back to back in one run (the machine
# is shared: compare ratios, not absolute numbers).
#
# Per backend, at $CONNS connections for $SECS seconds each:
#   create      POST  /libraries                  (generic CRUD, library doc)
#   read        GET   /libraries/{id}             (one stored library)
#   update      PATCH /libraries/{id}             (over 100 stored libraries)
#   transition  POST  /v1/calls/c/transfers/{id}/complete   (Calls doc, over
#               $TRANSFERS warm transfers: the first complete of each wins,
#               later ones are the guard's 409; both load, check and answer)
# Prints rps, p50/p99 and non-2xx per phase, then redis/memory ratios.
#
# Usage: bench/state-load.sh        (SECS=5 CONNS=16 TRANSFERS=300)
# Needs: wrk, curl, redis-server, a release build (built here).
set -eu
cd "$(dirname "$0")/.."
SECS=${SECS:-5}
CONNS=${CONNS:-16}
TRANSFERS=${TRANSFERS:-300}
AUTH='Authorization: Bearer t'

cargo build -q --release --bin decoy
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() {  # URL
  for _ in $(seq 1 2000); do
    curl -s -o /dev/null -H "$AUTH" "$1" && return 0
    sleep 0.005
  done
  echo "no answer from $1" >&2; return 1
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
pids+=($!)
for _ in $(seq 1 2000); do
  (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
  sleep 0.005
done

# One wrk run: METHOD URL_BASE PATHS_FILE [BODY]; paths cycle from the file.
run() {
  local method=$1 base=$2 paths=$3 body=${4:-} lua
  lua=$(mktemp --suffix=.lua)
  cat > "$lua" <<LUA
wrk.method = "$method"
wrk.headers["Authorization"] = "Bearer t"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
local paths = {}
for line in io.lines("$paths") do paths[#paths + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, paths[(n % #paths) + 1])
end
done = function(s, lat, req)
  io.write(string.format("rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d\n",
    s.requests / (s.duration / 1e6), lat:percentile(50) / 1000, lat:percentile(99) / 1000,
    s.errors.status + s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout))
end
LUA
  wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 5s -s "$lua" "$base" 2>/dev/null | grep '^rps='
  rm -f "$lua"
}

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

declare -A results
measure() {  # NAME [--state URL]
  local name=$1; shift
  local lport cport tmp
  lport=$(free_port); cport=$(free_port)
  target/release/decoy mock specs/shapes/library.openapi.yaml --port "$lport" --log off "$@" &
  pids+=($!)
  target/release/decoy mock specs/calls.openapi.yaml --port "$cport" --log off "$@" &
  pids+=($!)
  wait_for "http://127.0.0.1:$lport/__decoy/health"
  wait_for "http://127.0.0.1:$cport/__decoy/health"
  tmp=$(mktemp -d)
  local lib="http://127.0.0.1:$lport" calls="http://127.0.0.1:$cport"
  echo /libraries > "$tmp/create"
  for _ in $(seq 1 100); do
    curl -s -H "$AUTH" -H 'Content-Type: application/json' \
      -d '{"name":"Bench","city":"Bern"}' "$lib/libraries" \
      | python3 -c 'import json,sys; print("/libraries/%s" % json.load(sys.stdin)["id"])'
  done > "$tmp/update"
  head -n1 "$tmp/update" > "$tmp/read"
  for _ in $(seq 1 "$TRANSFERS"); do
    curl -s -H "$AUTH" -H 'Content-Type: application/json' \
      -d '{"destinations":[{"to":"+14155550000"}]}' "$calls/v1/calls/bench/transfers/warm" \
      | python3 -c 'import json,sys; print("/v1/calls/bench/transfers/%s/complete" % json.load(sys.stdin)["id"])'
  done > "$tmp/transition"
  local body='{"name":"Bench","city":"Bern"}'
  results[$name,create]=$(run POST "$lib" "$tmp/create" "$body")
  results[$name,read]=$(run GET "$lib" "$tmp/read")
  results[$name,update]=$(run PATCH "$lib" "$tmp/update" '{"name":"Renamed"}')
  results[$name,transition]=$(run POST "$calls" "$tmp/transition" '{}')
  for phase in create read update transition; do
    printf '%-7s %-10s %s\n' "$name" "$phase" "${results[$name,$phase]}"
  done
  rm -rf "$tmp"
  kill "${pids[-1]}" "${pids[-2]}" 2>/dev/null || true
}

measure memory
measure redis --state "redis://127.0.0.1:$redis_port/0"
for phase in create read update transition; do
  m=${results[memory,$phase]} r=${results[redis,$phase]}
  echo "$phase: redis/memory rps x$(ratio "$(field rps "$r")" "$(field rps "$m")"), p99 redis $(field p99_ms "$r") ms vs memory $(field p99_ms "$m") ms"
done
