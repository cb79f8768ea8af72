#!/usr/bin/env bash
# Proxy benchmark: what putting a validating proxy in front of an API costs.
# One upstream (decoy mock on the Calls document, request log off), measured
# in one run: called directly, through `decoy proxy`, and through
# `prism proxy` (Stoplight Prism 5.16) on the same document.
#
# For GET /v1/calls/{id} (a ~2.6 KB body each proxy validates) at $CONNS
# connections for $SECS seconds: throughput, p50 and p99 latency, the
# latency each proxy adds at p50 and p99 over calling the upstream directly,
# and RSS after load. The machine is shared: compare the ratios.
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
load() { bash "$SHARED/bench/load.sh" "http://127.0.0.1:$1$PATH_" "$CONNS" "$SECS" test; }

up=$(launch "http://127.0.0.1:$UP_PORT$PATH_" target/release/decoy mock "$DOC" --port "$UP_PORT" --log off)
pids+=("$up")
direct=$(load "$UP_PORT")
echo "direct        $direct" >&2

dp=$(launch "http://127.0.0.1:$DECOY_PORT$PATH_" target/release/decoy proxy "$DOC" \
  --upstream "http://127.0.0.1:$UP_PORT" --port "$DECOY_PORT" --log violations)
pids+=("$dp")
decoy=$(load "$DECOY_PORT")
decoy_rss=$(rss_mb "$dp")
echo "decoy proxy   $decoy rss_mb=$decoy_rss" >&2
kill "$dp"

pp=$(launch "http://127.0.0.1:$PRISM_PORT$PATH_" prism proxy -h 127.0.0.1 -p "$PRISM_PORT" \
  "$DOC" "http://127.0.0.1:$UP_PORT")
pids+=("$pp")
prism=$(load "$PRISM_PORT")
prism_rss=$(rss_mb "$pp")
echo "prism proxy   $prism rss_mb=$prism_rss" >&2

for name in decoy prism; do
  r=${!name}
  echo "$name proxy: rps $(field rps "$r") (x$(ratio "$(field rps "$r")" "$(field rps "$direct")") of direct)," \
    "adds p50 $(minus "$(field p50_ms "$r")" "$(field p50_ms "$direct")") ms," \
    "p99 $(minus "$(field p99_ms "$r")" "$(field p99_ms "$direct")") ms, errors $(field errors "$r")"
done
echo "decoy/prism: rps x$(ratio "$(field rps "$decoy")" "$(field rps "$prism")"), RSS decoy ${decoy_rss} MB vs prism ${prism_rss} MB"
