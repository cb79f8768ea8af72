#!/usr/bin/env bash
# decoy test beside Schemathesis, in one run, against the same target (the
# faulty Calls implementation of tests/faulty.rs, once correct and once per
# bug class) with the same number of examples per operation.
#
# Usage: bench/conform-vs-schemathesis.sh [CASES] [SEED] [BUG...]
#   CASES  examples per operation for both tools (default 25)
#   SEED   seed for both tools (default 1)
#   BUG    bug classes to run (default: none plus all 17)
# Needs: Schemathesis from /work/shared/bench/install-peers.sh ($DECOY_PEERS/bin),
# curl, jq. decoy runs as `$DECOY test` when that binary has a `test`
# subcommand, otherwise through the decoy-conform `conform` example.
#
# Prints one row per target: wall time, requests and requests/s per tool, and
# whether each tool reported a failure beyond what it reports on the correct
# build (its false positives there are shown in the `none` row). The last
# columns match request budgets: decoy runs again with --cases scaled so it
# sends about as many requests as Schemathesis did (`m reqs`, `m s`,
# `m found`), so "found" compares like with like.
set -u
cd "$(dirname "$0")/.."
CASES=${1:-25}
SEED=${2:-1}
shift $(( $# > 2 ? 2 : $# ))
BUGS=${*:-none MissingRequired WrongType OutsideEnum NullNotAllowed MalformedDateTime UndocumentedStatus WrongContentType AuthNotEnforced InvalidBodyAccepted ServerErrorOnOddId DeepNestedViolation PatternViolation StateMachine WrongErrorShape Intermittent CrashOnLargeBody MissingFromListing}
PEERS=${DECOY_PEERS:-$HOME/.cache/decoy-peers}
ST=${SCHEMATHESIS:-$PEERS/bin/schemathesis}
DOC=specs/calls.openapi.yaml
TOKEN=faulty-token
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cargo build -q --release -p decoy-conform --examples || exit 2
DECOY=${DECOY:-target/release/decoy}
if [ -x "$DECOY" ] && "$DECOY" test --help >/dev/null 2>&1; then
  decoy_test() { "$DECOY" test --url "$1" --token "$TOKEN" --id id=call_1 --cases "${3:-$CASES}" --seed "$SEED" --report "json=$2" "$DOC"; }
else
  decoy_test() { target/release/examples/conform "$1" "$DOC" "$TOKEN" "${3:-$CASES}" "$SEED" --json "$2"; }
fi
[ -x "$ST" ] || { echo "Schemathesis not found at $ST; run /work/shared/bench/install-peers.sh" >&2; exit 2; }

now() { date +%s.%N; }
count() { curl -s "$1/__faulty/requests" | jq -r .requests; }

start() {
  : > "$OUT/url"  # empty first, or the wait below may read the last URL
  target/release/examples/faulty "$1" > "$OUT/url" &
  PID=$!
  for _ in $(seq 100); do [ -s "$OUT/url" ] && break; sleep 0.05; done
  URL=$(cat "$OUT/url")
}
# TERM, not INT: a background job of a non-interactive shell ignores SIGINT.
stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }

printf '%-20s | %8s %6s %8s %-5s | %8s %6s %8s %-5s | %8s | %6s %6s %-7s\n' target "decoy s" reqs "req/s" found "st s" reqs "req/s" found speed-up "m reqs" "m s" "m found"
ST_BASE=""
for bug in $BUGS; do
  # decoy
  start "$bug"
  t0=$(now); decoy_test "$URL" "$OUT/decoy.json" > "$OUT/decoy.txt" 2>&1; dcode=$?; t1=$(now)
  dreq=$(count "$URL"); stop
  dsec=$(echo "$t1 - $t0" | bc -l)
  dfound=$([ $dcode -eq 1 ] && echo yes || { [ $dcode -eq 0 ] && echo no || echo "err$dcode"; })
  # Schemathesis (all phases, all checks, same examples per operation and seed)
  start "$bug"
  t0=$(now)
  "$ST" run "$DOC" --url "$URL" -H "Authorization: Bearer $TOKEN" --checks all \
    --max-examples "$CASES" --seed "$SEED" --no-color --continue-on-failure \
    --report junit --report-junit-path "$OUT/st.xml" > "$OUT/st.txt" 2>&1
  scode=$?; t1=$(now)
  sreq=$(count "$URL"); stop
  ssec=$(echo "$t1 - $t0" | bc -l)
  # Failure titles, so a bug counts as found only when something beyond the
  # correct build's own failures shows up.
  titles=$(grep -o '<failure[^>]*message="[^"]*"' "$OUT/st.xml" 2>/dev/null | sed 's/.*message="//; s/"$//' | sed 's/[0-9]\{3\}//g' | sort -u)
  if [ "$bug" = none ]; then ST_BASE=$titles; sfound=$([ $scode -eq 0 ] && echo no || echo "FP")
  else
    extra=$(comm -23 <(echo "$titles") <(echo "$ST_BASE") | grep -c .)
    sfound=$([ "$extra" -gt 0 ] && echo yes || echo no)
  fi
  # decoy again, with about Schemathesis's number of requests.
  mcases=$(( (CASES * sreq + dreq - 1) / (dreq > 0 ? dreq : 1) ))
  [ "$mcases" -ge 1 ] || mcases=1
  start "$bug"
  t0=$(now); decoy_test "$URL" "$OUT/decoy-m.json" "$mcases" > "$OUT/decoy-m.txt" 2>&1; mcode=$?; t1=$(now)
  mreq=$(count "$URL"); stop
  msec=$(echo "$t1 - $t0" | bc -l)
  mfound=$([ $mcode -eq 1 ] && echo yes || { [ $mcode -eq 0 ] && echo no || echo "err$mcode"; })
  printf '%-20s | %8.2f %6s %8.0f %-5s | %8.2f %6s %8.0f %-5s | %7.1fx | %6s %6.2f %-7s\n' "$bug" \
    "$dsec" "$dreq" "$(echo "$dreq / $dsec" | bc -l)" "$dfound" \
    "$ssec" "$sreq" "$(echo "$sreq / $ssec" | bc -l)" "$sfound" \
    "$(echo "$ssec / $dsec" | bc -l)" "$mreq" "$msec" "$mfound"
  [ "$bug" = none ] && [ "$sfound" = FP ] && { echo "  Schemathesis on the correct build:"; echo "$titles" | sed 's/^/    /' | head -10; }
done
