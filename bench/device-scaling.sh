#!/usr/bin/env bash
# bench/scaling.sh on a lent many-core machine that has nothing installed
# and can fetch nothing: the release binaries and wrk's packages travel with
# the working tree.
#
# Here, once:   bash bench/device-scaling.sh --prepare
#   builds the release binaries and puts stripped copies (about 15 MB; with
#   their line tables they pass the 64 MiB a carry may hold) and wrk and
#   LuaJIT (Debian packages, about 300 KB) in .bench-carry/ (git ignores it).
# There:        bash bench/device-scaling.sh      (carrying .bench-carry)
#   wrk is unpacked beside them where the machine has none.
#   CORES, SECS and CONNS pass through (default: 1 2 4 8 where they fit).
#   Then, from the same binaries: memory with 10,000 cached and 10,000 kept
#   resources (bench/cache-rss.sh; mimalloc's heaps and the answer caches are
#   per worker, so the core count matters) and startup (bench/startup.sh).
#   With $OUT set, each is also written there (scaling.txt, cache-rss.txt,
#   startup.txt).
set -eu
cd "$(dirname "$0")/.."
carry=.bench-carry
if [ "${1:-}" = --prepare ]; then
  cargo build -q --release --bin decoy
  cargo build -q --release -p decoy-mock --example ceiling
  rm -rf "$carry"; mkdir -p "$carry"
  strip -o "$carry/decoy" target/release/decoy
  strip -o "$carry/ceiling" target/release/examples/ceiling
  (cd "$carry" && apt-get download wrk libluajit-5.1-2)
  ls -l "$carry"
  exit 0
fi
for f in "$carry/decoy" "$carry/ceiling"; do
  [ -x "$f" ] || { echo "$f is missing: run --prepare here and carry $carry" >&2; exit 2; }
done
if command -v wrk >/dev/null; then
  WRK=$(command -v wrk)
else
  ls "$carry"/wrk_*.deb >/dev/null 2>&1 || { echo "no wrk and no $carry/wrk_*.deb" >&2; exit 2; }
  root=$(mktemp -d)
  for deb in "$carry"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  WRK="$root/usr/bin/wrk"
fi
"$WRK" --version 2>&1 | head -n1 || true
echo "$(nproc) cores; $(uname -sr); taskset $(taskset -c 0 true 2>/dev/null && echo works || echo absent or ignored)"
export WRK DECOY="$carry/decoy" CEILING="$carry/ceiling"
# Runs a benchmark, keeping its output under $OUT/$1 where $OUT is set.
bench() {
  local name=$1; shift
  if [ -n "${OUT:-}" ]; then "$@" | tee "$OUT/$name"; else "$@"; fi
}
bench scaling.txt bash bench/scaling.sh
bench cache-rss.txt bash bench/cache-rss.sh
BINS="$DECOY" bench startup.txt bash bench/startup.sh
