#!/usr/bin/env bash
# Measures kgbuild on the shared development sets and writes docs/quality.md.
#
#   scripts/eval.sh            # build release, run all sets, rewrite docs/quality.md
#   scripts/eval.sh --print    # same, but print the table instead of writing the file
#
# Needs ../shared beside the checkout (the annotated sets and their scorers) and python3.
# Nothing here reads the annotations except the shared scorers: the tool sees the texts only.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
[ -d "$shared/eval" ] || { echo "eval.sh: $shared/eval not found" >&2; exit 2; }
cargo build --release -q
bin=./target/release/kgbuild
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

row() { # name json-file key...
    python3 - "$@" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
m = json.load(open(path))
def f(d): return "%.3f | %.3f | %.3f" % (d["precision"], d["recall"], d["f1"])
e = m["entities"]["strict"]
types = m["entities_per_type"]
cells = [f(e)] + ["%.3f" % types[t]["f1"] if t in types else "-" for t in ("PER", "LOC", "ORG", "MISC")]
rel = m.get("relations", {}).get("typed")
cells.append(f(rel) if rel and rel["gold"] else "- | - | -")
print("| %s | %s |" % (name, " | ".join(cells)))
PY
}

table=$tmp/table.md
{
echo "| set | entity P | entity R | entity F1 (strict) | PER F1 | LOC F1 | ORG F1 | MISC F1 | relation P | relation R | relation F1 (typed) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for set in conll03_dev crossner_politics_dev conll04_dev; do
    bash "$shared/eval/run_eval.sh" "$bin" "$shared/eval/$set.jsonl" --json "$tmp/$set.json" --quiet > "$tmp/$set.txt"
    row "$set" "$tmp/$set.json"
done
} > "$table"

art=$(ls "$shared"/acceptance/*.txt | head -n 1)
"$bin" "$art" -o "$tmp/ref.json"
ref=$(python3 "$shared/eval/score_graph.py" "${art%.txt}.gold.json" "$tmp/ref.json" | tail -n 1)

if [ "${1:-}" = "--print" ]; then
    cat "$table"; echo; echo "reference article: $ref"; exit 0
fi

python3 - "$table" "$ref" "$(git rev-parse --short HEAD)" <<'PY'
import sys, pathlib
table, ref, rev = pathlib.Path(sys.argv[1]).read_text(), sys.argv[2], sys.argv[3]
doc = pathlib.Path("docs/quality.md")
text = doc.read_text()
start, end = "<!-- results:start -->", "<!-- results:end -->"
block = f"{start}\nMeasured at commit `{rev}` (plus the working tree) with `scripts/eval.sh`.\n\n{table}\nReference article (`score_graph.py`): `{ref}`\n{end}"
a, b = text.index(start), text.index(end) + len(end)
doc.write_text(text[:a] + block + text[b:])
print(block)
PY
