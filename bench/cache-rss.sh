#!/usr/bin/env bash
# Memory of decoy mock holding many resources: RSS after startup, after
# 10,000 distinct Calls read twice (the second pass answered from the
# response cache), and after 10,000 resources created and kept (library
# shape, generic CRUD). Issue 13's goal: RSS <= 30 MB with 10,000 cached
# resources. Requests go one keep-alive connection at a time from Python
# (no timing is reported, only memory).
#
# Usage: bench/cache-rss.sh            (COUNT=10000)
#        DECOY=path/to/decoy bench/cache-rss.sh   (a carried release binary)
# Needs: python3, a release build (built here unless DECOY names one); curl
# where present (python3 otherwise, as on a lent machine).
set -eu
cd "$(dirname "$0")/.."
COUNT=${COUNT:-10000}
if [ -z "${DECOY:-}" ]; then
  cargo build -q --release --bin decoy
  DECOY=target/release/decoy
fi
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

load() {
  python3 - "$1" "$2" "$COUNT" <<'PY'
import http.client, json, sys
port, kind, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"Authorization": "Bearer t", "Content-Type": "application/json"}
for i in range(count):
    if kind == "read":
        c.request("GET", f"/v1/calls/call_{i}", headers=h)
    else:
        c.request("POST", "/libraries", body=json.dumps({"name": f"Library {i}", "city": "Oslo"}), headers=h)
    r = c.getresponse(); r.read()
    if r.status >= 300:
        sys.exit(f"{kind} {i}: status {r.status}")
PY
}

# Whether the mock on port $1 answers (any status).
ready() {
  if command -v curl >/dev/null; then
    curl -s -o /dev/null "http://127.0.0.1:$1/"
  else
    python3 -c 'import sys, http.client as h
c = h.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=1); c.request("GET", "/")
c.getresponse().read()' "$1" 2>/dev/null
  fi
}

start() {
  local port=$1; shift
  "$DECOY" mock "$@" --port "$port" --seed 1 >/dev/null 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 500); do
    ready "$port" && return 0 || sleep 0.02
  done
  echo "the mock on port $port did not start" >&2
  exit 2
}

start 4701
echo "calls: after startup $(rss_mb "$pid") MB"
load 4701 read
echo "calls: after $COUNT distinct reads $(rss_mb "$pid") MB"
load 4701 read
echo "calls: after reading them again (cached) $(rss_mb "$pid") MB"

start 4702 specs/shapes/library.openapi.yaml
echo "library: after startup $(rss_mb "$pid") MB"
load 4702 create
echo "library: after $COUNT resources created and kept $(rss_mb "$pid") MB"
