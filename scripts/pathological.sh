#!/usr/bin/env bash
# Pathological inputs: generates them, runs the release binary on each at two sizes (a
# quarter and the full size, to show the growth) and prints wall time and peak memory as
# measured by /usr/bin/time. The figures are recorded in docs/reliability.md.
#
#   scripts/pathological.sh            # all cases
#   scripts/pathological.sh one-name   # cases whose name contains "one-name"
set -euo pipefail
cd "$(dirname "$0")/.."
filter=${1:-}
cargo build --release -q
bin=$PWD/target/release/kgbuild
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# gen NAME SCALE: writes $work/NAME.txt (and $work/NAME.tsv for gazetteer cases); SCALE is
# 1 for the full size, 4 for a quarter.
gen() {
    python3 - "$work" "$1" "$2" <<'PY'
import sys
work, name, scale = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = f"{work}/{name}.txt"
def fill(unit, size):
    n = size // len(unit.encode())
    with open(out, "w") as f:
        f.write(unit * n)
if name == "one-name-10MB":
    # One name over and over, no sentence end: one 10 MB sentence of 1.4 million tokens.
    fill("Dmitry Peskov ", 10_000_000 // scale)
elif name == "one-name-sentences-10MB":
    # One name per sentence.
    fill("Dmitry Peskov said. ", 10_000_000 // scale)
elif name == "million-mentions":
    # 10^6 mentions (two a sentence), every sentence a meeting: one edge, 500,000 evidence.
    fill("Putin and Peskov met. ", 22 * 500_000 // scale)
elif name == "unknown-names":
    # Names the gazetteer lacks, found by a title: a new entity per sentence.
    with open(out, "w") as f:
        for i in range(200_000 // scale):
            a = "".join(chr(ord("a") + int(d)) for d in str(i))
            f.write(f"Spokesman Jo{a} Smith{a} said. ")
elif name == "one-line-100MB":
    # 100 MB on one line: an ordinary sentence repeated, no newline.
    fill("Kremlin spokesman Dmitry Peskov said on Monday that talks stalled in Moscow. ", 100_000_000 // scale)
elif name == "one-token-100MB":
    # 100 MB on one line, one token.
    fill("a", 100_000_000 // scale)
elif name.startswith("alias-"):
    # A gazetteer of 10^5 entries, each with a one-letter alias.
    n = 100_000 // scale
    if name == "alias-shared":
        # All share the 26 letters a-z: up to ~4,000 entries per form.
        letters = [chr(ord("a") + i % 26) for i in range(n)]
    else:
        # Distinct letters: CJK ideographs, then Hangul syllables, then CJK extension B.
        pool = [chr(c) for c in range(0x4E00, 0x9FFF + 1)] + [chr(c) for c in range(0xAC00, 0xD7A3 + 1)] + [chr(c) for c in range(0x20000, 0x2A6DF + 1)]
        letters = pool[:n]
    with open(f"{work}/{name}.tsv", "w") as g:
        for i, l in enumerate(letters):
            g.write(f"e{i}\tPerson\tperson\tPerson Number{i}\t={l}\t\n")
    # The article: every alias once, separated by spaces, ten to a sentence.
    with open(out, "w") as f:
        for i, l in enumerate(letters):
            f.write(l + (". " if i % 10 == 9 else " "))
PY
}

cases=(one-name-10MB one-name-sentences-10MB million-mentions unknown-names one-line-100MB one-token-100MB alias-shared alias-distinct)
printf '%-24s %6s %12s %10s %12s %s\n' case size bytes seconds peak_KB "nodes/edges"
for c in "${cases[@]}"; do
    [[ -z $filter || $c == *"$filter"* ]] || continue
    for scale in 4 1; do
        gen "$c" "$scale"
        args=("$work/$c.txt" -o "$work/out.json")
        [[ -f $work/$c.tsv ]] && args+=(--gazetteer "$work/$c.tsv")
        /usr/bin/time -o "$work/time" -f '%e %M' "$bin" "${args[@]}" 2>"$work/err" || {
            status=$?
            [[ $status == 1 ]] || { echo "$c: exit $status: $(cat "$work/err")"; continue; }
        }
        # The last line: GNU time puts "Command exited with non-zero status" before it.
        read -r secs kb < <(tail -n 1 "$work/time")
        shape=$(python3 -c 'import json,sys; g=json.load(open(sys.argv[1])); print(len(g["nodes"]), len(g["edges"]), sep="/")' "$work/out.json")
        size=$([[ $scale == 1 ]] && echo full || echo 1/4)
        printf '%-24s %6s %12s %10s %12s %s\n' "$c" "$size" "$(stat -c %s "$work/$c.txt")" "$secs" "$kb" "$shape"
        rm -f "$work/$c.txt" "$work/$c.tsv" "$work/out.json"
    done
done
