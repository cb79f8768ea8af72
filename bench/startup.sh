#!/usr/bin/env bash
# Startup of `decoy mock` on the embedded document: launch to first answer
# (GET /v1/calls/call_1), median of RUNS launches per binary, binaries
# alternated so that both see the same load.
#
#   BINS="old/decoy new/decoy" RUNS=15 bench/startup.sh
# Needs curl and python3 (for the clock and the median).
set -eu
cd "$(dirname "$0")/.."
BINS=${BINS:-target/release/decoy}
RUNS=${RUNS:-15}
PORT=${PORT:-4650}
python3 - "$PORT" "$RUNS" $BINS <<'PY'
import http.client, statistics, subprocess, sys, time
port, runs, bins = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
def once(b):
    t0 = time.perf_counter()
    p = subprocess.Popen([b, "mock", "--port", str(port), "--log", "off"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/v1/calls/call_1", headers={"Authorization": "Bearer t"})
                c.getresponse().read()
                return (time.perf_counter() - t0) * 1000
            except OSError:
                time.sleep(0.0005)
    finally:
        p.kill(); p.wait()
times = {b: [] for b in bins}
for _ in range(runs):
    for b in bins:
        times[b].append(once(b))
for b in bins:
    t = sorted(times[b])
    print(f"{b}: median {statistics.median(t):.1f} ms (min {t[0]:.1f}, max {t[-1]:.1f}) over {runs}")
PY
