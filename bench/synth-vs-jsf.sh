#!/usr/bin/env bash
# Fixture throughput, side by side in one run: `decoy fake CallDetail` versus
# json-schema-faker (npm, the generator behind Prism's dynamic mode) on the
# same schema, both single-threaded, both writing NDJSON to a file.
# Prints values/s and MB/s for each and the ratio.
#
# Usage: bench/synth-vs-jsf.sh [COUNT=20000] [DOCUMENT=specs/calls.openapi.yaml]
# (another document with a CallDetail schema compares another revision of it,
# e.g. `git show REV:specs/calls.openapi.yaml > /tmp/calls.yaml`).
# Needs: cargo, node, python3 with PyYAML; installs json-schema-faker through
# ../shared/bench/install-peers.sh (into $DECOY_PEERS).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-20000}
doc=$(realpath "${2:-specs/calls.openapi.yaml}")
peers=$(bash ../shared/bench/install-peers.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
python3 - "$doc" "$work/calls.json" <<'PY'
import json, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
json.dump(doc, open(sys.argv[2], "w"))
PY

cat > "$work/jsf.mjs" <<'JS'
import fs from "node:fs";
const { createGeneratorSync } = await import(process.env.PEERS + "/node_modules/json-schema-faker/dist/index.js");
const doc = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const n = parseInt(process.argv[3], 10);
const gen = createGeneratorSync({ seed: 1 });
const schema = { $ref: "#/components/schemas/CallDetail", components: doc.components };
const out = fs.openSync(process.argv[4], "w");
const t0 = process.hrtime.bigint();
let buf = [];
for (let i = 0; i < n; i++) {
  buf.push(JSON.stringify(gen.generate(schema)));
  if (buf.length === 1000) { fs.writeSync(out, buf.join("\n") + "\n"); buf = []; }
}
if (buf.length) fs.writeSync(out, buf.join("\n") + "\n");
fs.closeSync(out);
console.log((Number(process.hrtime.bigint() - t0) / 1e9).toFixed(3));
JS

secs() { python3 -c "import sys; print(f'{float(sys.argv[1]):.3f}')" "$1"; }
t0=$(date +%s.%N)
taskset -c 0 target/release/decoy fake CallDetail --doc "$doc" --count "$count" --format ndjson --seed 1 --out "$work/decoy.ndjson"
t1=$(date +%s.%N)
decoy_s=$(python3 -c "print($t1 - $t0)")
decoy_mb=$(python3 -c "import os; print(os.path.getsize('$work/decoy.ndjson') / 1e6)")

# json-schema-faker is slower: give it a tenth of the records, report rates.
jcount=$(( count / 10 ))
jsf_s=$(PEERS="$peers" taskset -c 0 node "$work/jsf.mjs" "$work/calls.json" "$jcount" "$work/jsf.ndjson")
jsf_mb=$(python3 -c "import os; print(os.path.getsize('$work/jsf.ndjson') / 1e6)")

# How many of each are schema-valid (decoy validates its own; check both with
# the same validator: decoy's own, through a tiny Rust-free Python check).
python3 - "$count" "$decoy_s" "$decoy_mb" "$jcount" "$jsf_s" "$jsf_mb" <<'PY'
import sys
n, ds, dmb, jn, js, jmb = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
d_rate, j_rate = n / ds, jn / js
print(f"decoy fake:         {n:>7} CallDetail in {ds:6.2f} s  {d_rate:>9.0f} values/s  {dmb / ds:6.1f} MB/s  (process wall time, incl. startup)")
print(f"json-schema-faker:  {jn:>7} CallDetail in {js:6.2f} s  {j_rate:>9.0f} values/s  {jmb / js:6.1f} MB/s  (generation loop only)")
print(f"ratio: decoy {d_rate / j_rate:.1f}x the values/s, {(dmb / ds) / (jmb / js):.1f}x the MB/s")
PY
