#!/usr/bin/env bash
# Instructions per byte of the engine benchmark (build/bench_engine:
# azoai_body_inspect + azoai_body_rewrite, every built-in detector on),
# counted by callgrind: repeatable on a loaded host where MB/s is not.
# Each input runs BENCH_ITERS=1 and BENCH_ITERS=3; the difference over 2
# iterations leaves out start-up (engine setup, reading the file).
# GB/s on an otherwise idle core is about (instructions per cycle x GHz)
# / (instructions per byte).
#
# usage: engine-instr.sh BENCH_ENGINE [BODY.json ...]
set -euo pipefail

bin=${1:?usage: engine-instr.sh BENCH_ENGINE [BODY.json ...]}
shift
work=$(mktemp -d -t azoai-engine-instr.XXXXXX)
trap 'rm -rf "$work"' EXIT

# total instructions of one run: $1 iterations, BENCH_CLEAN $2, files after;
# the benchmark's own line (name, size) goes to $work/out
count() {
    local iters=$1 clean=$2
    shift 2
    BENCH_ITERS=$iters BENCH_CLEAN=$clean valgrind --tool=callgrind \
        --callgrind-out-file="$work/cg" "$bin" "$@" >"$work/out" 2>/dev/null
    sed -n 's/^summary: *//p; s/^totals: *//p' "$work/cg" | head -n 1
}

# one input: its name and the arguments that select it
measure() {
    local name=$1 clean=$2
    shift 2
    local one three size
    one=$(count 1 "$clean" "$@")
    size=$(sed -n 's/.* \([0-9][0-9]*\) bytes .*/\1/p' "$work/out")
    three=$(count 3 "$clean" "$@")
    awk -v n="$name" -v s="$size" -v a="$one" -v b="$three" 'BEGIN {
        d = (b - a) / 2;
        printf "%-24s %9d bytes %12.0f instr %7.3f instr/byte\n",
               n, s, d, d / s }'
}

measure "clean-1m (built)" 1
for f in "$@"; do
    measure "$(basename "$f")" 0 "$f"
done
