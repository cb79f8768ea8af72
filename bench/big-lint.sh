#!/usr/bin/env bash
# Peak memory of `decoy lint` on a big JSON document, against its size.
#
# The document is built here, not committed: openai-api.yaml (specs-wild)
# converted to JSON, its paths copied COPIES times under new prefixes until
# it weighs tens of megabytes (COPIES=20 gives about 20 MB, 58 about 57 MB).
#
#   DECOY=path/to/decoy COPIES=20 bench/big-lint.sh
# Needs python3 with PyYAML and GNU time (/usr/bin/time).
set -eu
cd "$(dirname "$0")/.."
COPIES=${COPIES:-20}
DECOY=${DECOY:-target/release/decoy}
WILD=${DECOY_SPECS_WILD:-$(cd .. && pwd)/shared/specs-wild}
[ -x "$DECOY" ] || cargo build -q --release --bin decoy
doc=$(mktemp --suffix=.json)
trap 'rm -f "$doc"' EXIT
python3 - "$WILD/openai-api.yaml" "$COPIES" "$doc" <<'PY'
import json, sys, yaml
src, copies, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(src) as f:
    d = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
paths = d["paths"]
big = {}
for k in range(copies):
    for p, item in paths.items():
        item = json.loads(json.dumps(item))
        for op in item.values():
            if isinstance(op, dict) and "operationId" in op:
                op["operationId"] = f"{op['operationId']}_{k}"
        big[f"/copy{k}{p}"] = item
d["paths"] = big
with open(out, "w") as f:
    json.dump(d, f, indent=1, default=str)
PY
size=$(stat -c %s "$doc")
set +e
/usr/bin/time -v "$DECOY" lint "$doc" --format json >/dev/null 2>"$doc.time"
code=$?
set -e
peak_kb=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$doc.time")
wall=$(awk '/Elapsed \(wall clock\)/ { print $NF }' "$doc.time")
rm -f "$doc.time"
awk -v s="$size" -v p="$peak_kb" -v w="$wall" -v c="$code" 'BEGIN {
  printf "document %.1f MB; decoy lint exit %d, %s wall, peak RSS %.0f MB = %.1fx the document\n",
    s / 1e6, c, w, p / 1e3, p * 1e3 / s }'
