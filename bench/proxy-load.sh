#!/usr/bin/env bash
# Proxy benchmark: what putting a validating proxy in front of an API costs.
# One upstream (decoy mock on the Calls document, request log off), measured
# in one run: called directly, through `decoy proxy`, and through
# `prism proxy` (Stoplight Prism 5.16) on the same document.
#
# For GET /v1/calls/{id} (a ~2.6 KB body each proxy validates), $SECS
# seconds each: the latency each proxy adds at p50 and p99 over calling the
# upstream directly, at 2 connections (little queueing, so close to the
# proxy's own cost), and throughput at $CONNS connections; RSS after load.
# The machine is shared: compare the ratios.
#
# Usage: bench/proxy-load.sh            (SECS=10 CONNS=50 by default)
# Needs: ../shared/bench (install-peers.sh, load.sh), curl, a release build.
set -eu
cd "$(dirname "$0")/.."
SHARED=${DECOY_SHARED:-$(cd .. && pwd)/shared}
SECS=${SECS:-10}
CONNS=${CONNS:-50}
DOC=specs/calls.openapi.yaml
UP_PORT=${UP_PORT:-4620}
DECOY_PORT=${DECOY_PORT:-4621}
PRISM_PORT=${PRISM_PORT:-4622}
PATH_=/v1/calls/call_abc

peers=$(bash "$SHARED/bench/install-peers.sh" | tail -n1)
export PATH="$peers/bin:$PATH"
cargo build -q --release --bin decoy

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Starts a server in the background and waits until it answers; prints its pid.
launch() {
  local url=$1; shift
  "$@" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 3000); do
    if curl -s -o /dev/null -H 'Authorization: Bearer t' "$url"; then echo "$pid"; return 0; fi
    sleep 0.005
  done
  echo "did not start: $*" >&2; kill "$pid" 2>/dev/null; return 1
}

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
load() { bash "$SHARED/bench/load.sh" "http://127.0.0.1:$1$PATH_" "$2" "$SECS" test; }

up=$(launch "http://127.0.0.1:$UP_PORT$PATH_" target/release/decoy mock "$DOC" --port "$UP_PORT" --log off)
pids+=("$up")
direct_lat=$(load "$UP_PORT" 2)
direct=$(load "$UP_PORT" "$CONNS")
echo "direct        2 conns: $direct_lat | $CONNS conns: $direct" >&2

dp=$(launch "http://127.0.0.1:$DECOY_PORT$PATH_" target/release/decoy proxy "$DOC" \
  --upstream "http://127.0.0.1:$UP_PORT" --port "$DECOY_PORT" --log violations)
pids+=("$dp")
decoy_lat=$(load "$DECOY_PORT" 2)
decoy=$(load "$DECOY_PORT" "$CONNS")
decoy_rss=$(rss_mb "$dp")
echo "decoy proxy   2 conns: $decoy_lat | $CONNS conns: $decoy rss_mb=$decoy_rss" >&2
kill "$dp"

pp=$(launch "http://127.0.0.1:$PRISM_PORT$PATH_" prism proxy -h 127.0.0.1 -p "$PRISM_PORT" \
  "$DOC" "http://127.0.0.1:$UP_PORT")
pids+=("$pp")
prism_lat=$(load "$PRISM_PORT" 2)
prism=$(load "$PRISM_PORT" "$CONNS")
prism_rss=$(rss_mb "$pp")
echo "prism proxy   2 conns: $prism_lat | $CONNS conns: $prism rss_mb=$prism_rss" >&2

for name in decoy prism; do
  lat_var=${name}_lat
  l=${!lat_var} r=${!name}
  echo "$name proxy: adds p50 $(minus "$(field p50_ms "$l")" "$(field p50_ms "$direct_lat")") ms," \
    "p99 $(minus "$(field p99_ms "$l")" "$(field p99_ms "$direct_lat")") ms (2 conns);" \
    "rps $(field rps "$r") at $CONNS conns (x$(ratio "$(field rps "$r")" "$(field rps "$direct")") of direct)," \
    "errors $(field errors "$r")"
done
echo "decoy/prism: rps x$(ratio "$(field rps "$decoy")" "$(field rps "$prism")")," \
  "added p50 x$(ratio "$(minus "$(field p50_ms "$prism_lat")" "$(field p50_ms "$direct_lat")")" \
  "$(minus "$(field p50_ms "$decoy_lat")" "$(field p50_ms "$direct_lat")")") less," \
  "RSS decoy ${decoy_rss} MB vs prism ${prism_rss} MB"
