#!/usr/bin/env bash
# Runs the cargo-fuzz targets one after another, each for SECONDS (default 600), and keeps
# each run's log in fuzz/logs/TARGET.log. Needs cargo-fuzz (`cargo install cargo-fuzz`); on
# stable Rust, RUSTC_BOOTSTRAP=1 lets it use the nightly-only sanitizer flags.
#
#   scripts/fuzz.sh                 # all targets, 10 minutes each
#   scripts/fuzz.sh 60 rules        # one target, one minute
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pipeline gazetteer rules)
export RUSTC_BOOTSTRAP=1
mkdir -p fuzz/logs
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    echo "== $t: $(date -u +%FT%TZ), $seconds s"
    # The first folder receives new inputs; the committed seeds are read only.
    cargo fuzz run -O "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"fuzz/logs/$t.log" 2>&1 || echo "$t: exited $? (see fuzz/logs/$t.log)"
    grep -E '^(#[0-9]+.*DONE|Done|stat::number_of_executed_units|stat::peak_rss_mb)' "fuzz/logs/$t.log" || true
    tail -n 3 "fuzz/logs/$t.log"
done
