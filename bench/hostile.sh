#!/usr/bin/env bash
# `decoy test` with default flags against each hostile target of
# tests/targets.rs (the `hostile` example of decoy-conform), on the Calls
# document: prints wall time, peak RSS and exit code per target, and the
# first line decoy wrote to stderr (why it stopped, if it did).
#
# The bar the issue set (not a test: timings never gate tests): every run
# exits 1 or 2 within 60 s, with a peak RSS under 256 MB.
#
# Usage: bench/hostile.sh [MODE...]   (default: Silent Late Huge Endless Reset MidBody NotJson)
# Needs: GNU time (/usr/bin/time), a release build (built here).
set -u
cd "$(dirname "$0")/.."
MODES=${*:-Silent Late Huge Endless Reset MidBody NotJson}
DOC=specs/calls.openapi.yaml
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cargo build -q --release --bin decoy -p decoy && \
  cargo build -q --release -p decoy-conform --example hostile || exit 2
DECOY=target/release/decoy

printf '%-9s %8s %9s %4s  %s\n' target "wall s" "peak MB" exit "first stderr line"
for mode in $MODES; do
  : > "$OUT/url"
  target/release/examples/hostile "$mode" > "$OUT/url" &
  PID=$!
  for _ in $(seq 100); do [ -s "$OUT/url" ] && break; sleep 0.05; done
  URL=$(cat "$OUT/url")
  CI=1 /usr/bin/time -f '%e %M' -o "$OUT/time" \
    "$DECOY" test "$DOC" --url "$URL" --token t > "$OUT/stdout" 2> "$OUT/stderr"
  code=$?
  kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null
  # GNU time prefixes "Command exited with non-zero status N" when it is.
  read -r wall kib < <(tail -1 "$OUT/time")
  why=$(grep -v '^decoy test: ' "$OUT/stderr" | head -1)
  [ -z "$why" ] && why=$(grep -m1 'findings\|contract holds' "$OUT/stdout")
  printf '%-9s %8s %9d %4s  %.60s\n' "$mode" "$wall" $((kib / 1024)) "$code" "$why"
done
