#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for SECONDS each (default 600).
#
#   bench/fuzz.sh [SECONDS] [TARGET...]
#
# cargo-fuzz needs nightly compiler flags (-Zsanitizer, -Cpasses=sancov).
# This project is built with stable Rust only, so the script sets
# RUSTC_BOOTSTRAP=1, which lets a stable rustc accept them. It is for
# fuzzing only: nothing in the main build or CI's required path needs it.
#
# Corpora grow in fuzz/corpus/TARGET (seeded from fuzz/seeds/TARGET);
# crashes land in fuzz/artifacts/TARGET. Each crash becomes a regression
# test in the normal suite (tests/hardening.rs or the owning crate).
# Prints one line per target: seconds, executions per second, corpus size.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(load router request synth)

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

# Address sanitizer off: the code is safe Rust (unsafe_code = "forbid"), so
# ASan mostly costs speed; libFuzzer still catches panics, OOM and hangs.
flags=(--sanitizer none --release --debug-assertions)
for t in "${targets[@]}"; do cargo fuzz build "${flags[@]}" "$t"; done

mkdir -p logs
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true
    log="logs/$t.log"
    # -rss_limit_mb bounds memory; -timeout turns a hang into a crash.
    started=$(date +%s)
    cargo fuzz run "${flags[@]}" "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -max_len=65536 -print_final_stats=1 >"$log" 2>&1 || status=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    corpus=$(ls "corpus/$t" | wc -l)
    crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
    # Wall time actually fuzzed: a crash or hang stops the run early.
    ran=$(( $(date +%s) - started ))
    echo "$t: ${ran}s of ${seconds}s, $execs execs, $rate exec/s, corpus $corpus, artifacts $crashes${status:+, exit $status}"
    unset status
done
