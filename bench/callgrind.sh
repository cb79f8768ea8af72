#!/usr/bin/env bash
# Instructions per request, counted by callgrind: a figure that does not
# depend on what else the machine runs, for before/after comparisons of the
# mock's request path on a shared machine.
#
#   GET /v1/calls/call_abc        (repeated reads: the response cache)
#   GET /v1/calls/call_N, N=1..   (new resources: the generator)
#
# For each binary in BINS (default: target/release/decoy) and the bare-hyper
# ceilings (CEILING, default target/release/examples/ceiling), it starts the
# server under callgrind, warms it up, zeroes the counters, sends N requests
# on one keep-alive connection, dumps, and prints instructions per request.
#
#   BINS="old/decoy new/decoy" N=2000 bench/callgrind.sh
#
# SIM=1 also simulates caches and branch prediction and prints, per
# request, instructions/I1 misses/D1 misses/mispredicts: instruction
# counts alone miss what separates the mock from the ceiling in wall clock
# (a larger code path and branches that follow random draws). Slower.
# Needs valgrind (callgrind_control) and curl.
set -eu
cd "$(dirname "$0")/.."
N=${N:-2000}
PORT=${PORT:-4630}
SIM=${SIM:-0}
sim=()
[ "$SIM" = 1 ] && sim=(--cache-sim=yes --branch-sim=yes)
BINS=${BINS:-target/release/decoy}
CEILING=${CEILING:-target/release/examples/ceiling}
command -v callgrind_control >/dev/null || { echo "valgrind is missing" >&2; exit 2; }
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

wait_up() {
  for _ in $(seq 1 3000); do
    curl -s -o /dev/null -H 'Authorization: Bearer t' "$1" && return 0
    sleep 0.02
  done
  echo "server did not start" >&2; return 1
}

# urls FIRST COUNT MANY: a curl config of COUNT requests.
urls() {
  local first=$1 count=$2 many=$3 i
  echo 'header = "Authorization: Bearer t"'
  for ((i = first; i < first + count; i++)); do
    if [ "$many" = 1 ]; then echo "url = \"http://127.0.0.1:$PORT/v1/calls/call_$i\""
    else echo "url = \"http://127.0.0.1:$PORT/v1/calls/call_abc\""; fi
    echo 'output = "/dev/null"'
  done
}

# measure MANY CMD...: instructions per request (with SIM=1:
# instructions/I1 misses/D1 misses/branch mispredicts).
measure() {
  local many=$1; shift
  rm -f "$work"/cg.*
  # One worker thread: counts that do not depend on how tokio spreads work.
  TOKIO_WORKER_THREADS=1 valgrind --tool=callgrind ${sim[@]+"${sim[@]}"} \
    --callgrind-out-file="$work/cg.%p" "$@" >/dev/null 2>&1 & pid=$!
  wait_up "http://127.0.0.1:$PORT/v1/calls/call_abc"
  # Warm-up: caches filled, lazy work done, threads started.
  urls 1000000 200 "$many" > "$work/warm"; curl -s -K "$work/warm"
  urls 1 "$N" "$many" > "$work/load"
  callgrind_control -z "$pid" >/dev/null 2>&1
  curl -s -K "$work/load"
  callgrind_control -d "$pid" >/dev/null 2>&1
  # The dump's totals (its `summary:` line repeats them; the file without
  # a part number is what ran after the dump: shutdown). With SIM=1 the
  # events are Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim.
  grep -h '^totals:' "$work"/cg.*.[0-9]* 2>/dev/null | awk -v n="$N" -v sim="$SIM" '
    { for (i = 2; i <= NF; i++) s[i] += $i }
    END {
      if (sim == 1) printf "%d/%d/%d/%d\n", s[2] / n, s[5] / n, (s[6] + s[7]) / n, (s[12] + s[14]) / n
      else printf "%d\n", s[2] / n
    }'
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

body="$work/body.json"
first=${BINS%% *}
"$first" mock --port "$PORT" --log off >/dev/null 2>&1 & pid=$!
wait_up "http://127.0.0.1:$PORT/v1/calls/call_abc"
curl -s -H 'Authorization: Bearer t' "http://127.0.0.1:$PORT/v1/calls/call_abc" > "$body"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

echo "instructions per request (callgrind), $N requests on one connection"
w=12
if [ "$SIM" = 1 ]; then
  w=26
  echo "each figure: instructions/I1 misses/D1 misses/branch mispredicts"
fi
printf "%-40s %${w}s %${w}s\n" server "one id" "many ids"
if [ -x "$CEILING" ]; then
  printf "%-40s %${w}s %${w}s\n" "ceiling (fixed / fresh template)" \
    "$(measure 0 "$CEILING" fixed "$PORT" "$body")" "$(measure 1 "$CEILING" fresh "$PORT" "$body")"
  printf "%-40s %${w}s %${w}s\n" "ceiling (hand-written structs)" \
    "" "$(measure 1 "$CEILING" structs "$PORT" "$body")"
fi
for b in $BINS; do
  printf "%-40s %${w}s %${w}s\n" "$b" \
    "$(measure 0 "$b" mock --port "$PORT" --log off)" "$(measure 1 "$b" mock --port "$PORT" --log off)"
done
