#!/usr/bin/env bash
# Soak: holds $CONNS connections against `decoy mock` on the Calls document
# for $MINUTES minutes over a mix of all nine operations (warm transfers are
# created, then completed or cancelled by id), sampling the server's RSS every
# $EVERY seconds.
#
# Pass: every status the server answered is documented for its operation
# (checked against `decoy routes`), nothing on its stderr says "error", and
# RSS is flat: the last sample is within max(4 MB, 10%) of the sample taken a
# quarter of the way in (state and the request log are bounded).
#
# Usage: bench/soak.sh                 (MINUTES=10 CONNS=50 EVERY=5)
# Needs: wrk, a release build (built here). Exit 0 pass, 1 fail.
set -eu
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-10}
CONNS=${CONNS:-50}
EVERY=${EVERY:-5}
PORT=${PORT:-4620}
DOC=specs/calls.openapi.yaml
work=$(mktemp -d)

cargo build -q --release --bin decoy
bin=target/release/decoy

# Request log as JSON lines, counted on the fly: (operation, status) pairs.
# The log itself would be gigabytes; the counts are what the check needs.
"$bin" mock "$DOC" --port "$PORT" --log json 2>"$work/stderr" \
  | awk -F'"' '{
      op = "-"; st = "";
      for (i = 1; i < NF; i++) {
        if ($i == "operation" && $(i + 1) == ":") op = $(i + 2);
        if ($i == "status") { st = $(i + 1); gsub(/[^0-9]/, "", st) }
      }
      n[op " " st]++
    }
    END { for (k in n) print k, n[k] }' >"$work/counts" &
pipeline=$!
pid=
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

for _ in $(seq 1 2000); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/__decoy/health" && break
  sleep 0.005
done
pid=$(pgrep -f "$bin mock $DOC --port $PORT" | head -n1)

cat >"$work/mix.lua" <<'LUA'
-- The nine Calls operations; complete/cancel act on warm transfers this
-- thread created (ids read from their responses), else fall back to a read.
local ops, n, warm = {}, 0, {}
local function json(method, path, body)
  -- Headers given here replace wrk.headers, so both are set.
  return wrk.format(method, path,
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer soak"}, body)
end
wrk.headers["Authorization"] = "Bearer soak"
request = function()
  n = n + 1
  local call = "/v1/calls/soak_" .. (n % 500)
  local k = n % 9
  if k == 0 then return wrk.format("GET", call)
  elseif k == 1 then return wrk.format("GET", call .. "/events")
  elseif k == 2 then return wrk.format("GET", call .. "/report")
  elseif k == 3 then return json("POST", call .. "/report/finalize", "{}")
  elseif k == 4 then return wrk.format("GET", call .. "/recording")
  elseif k == 5 then return json("POST", call .. "/transfers/blind", '{"to":"+14155550100"}')
  elseif k == 6 then
    return json("POST", "/v1/calls/soak_warm/transfers/warm",
      '{"destinations":[{"to":"+14155550101"},{"to":"sip:b@pbx.example.com"}]}')
  else
    local id = table.remove(warm, 1)
    if id == nil then return wrk.format("GET", call) end
    local action = (k == 7) and "/complete" or "/cancel"
    local body = (k == 7) and "{}" or '{"tryNext":true}'
    return json("POST", "/v1/calls/soak_warm/transfers/" .. id .. action, body)
  end
end
response = function(status, headers, body)
  if status == 200 and #warm < 1000 then
    -- A new warm transfer: its own kind and status follow its ids (a
    -- cancelled one's `next_transfer` also says "screening", further in).
    local id = string.match(body,
      '^{"id":"(tr_%w+)","session_id":"[^"]*","organization_id":"[^"]*","kind":"warm","status":"screening"')
    if id then warm[#warm + 1] = id end
  end
end
LUA

secs=$((MINUTES * 60))
echo "soak: $CONNS connections for ${MINUTES} min against pid $pid; RSS every ${EVERY}s" >&2
wrk -t2 -c"$CONNS" -d"${secs}s" --timeout 10s -s "$work/mix.lua" "http://127.0.0.1:$PORT" >"$work/wrk" 2>&1 &
wrkpid=$!
printf '%8s %8s\n' elapsed_s rss_mb | tee "$work/rss"
t0=$(date +%s)
while kill -0 "$wrkpid" 2>/dev/null; do
  printf '%8s %8s\n' "$(( $(date +%s) - t0 ))" \
    "$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")" | tee -a "$work/rss"
  sleep "$EVERY"
done
wait "$wrkpid" || true
grep -E 'Requests/sec|requests in|Non-2xx|Socket errors' "$work/wrk" >&2 || true

# Stop the server so the counter flushes.
kill "$pid"
wait "$pipeline" || true

fail=0
"$bin" routes "$DOC" | awk 'NR > 1 { for (i = 4; i <= NF; i++) print $3, $i }' >"$work/documented"
echo "statuses (operation status count):" >&2
sort "$work/counts" >&2
while read -r op st count; do
  [ "$op" = "-" ] && continue   # admin endpoints (the health probe)
  if ! grep -qx "$op $st" "$work/documented"; then
    echo "FAIL: $op answered $st ($count times), which it does not document" >&2
    fail=1
  fi
done <"$work/counts"
if grep -qi error "$work/stderr"; then
  echo "FAIL: the server logged an error:" >&2
  grep -i error "$work/stderr" | head -5 >&2
  fail=1
fi
samples=$(($(wc -l <"$work/rss") - 1))
quarter=$(awk -v q=$((samples / 4 + 2)) 'NR == q {print $2}' "$work/rss")
last=$(tail -n1 "$work/rss" | awk '{print $2}')
if ! awk -v a="$quarter" -v b="$last" 'BEGIN { d = b - a; lim = a * 0.10; if (lim < 4) lim = 4; exit !(d <= lim) }'; then
  echo "FAIL: RSS grew from $quarter MB (a quarter in) to $last MB" >&2
  fail=1
fi
echo "RSS: ${quarter} MB a quarter in, ${last} MB at the end" >&2
if [ "$fail" = 0 ]; then echo "soak: PASS" >&2; else echo "soak: FAIL" >&2; fi
exit "$fail"
