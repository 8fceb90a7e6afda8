#!/usr/bin/env bash
# Runs libFuzzer targets for a fixed time each (make fuzz, make fuzz-nosimd).
#
#   tools/fuzz-run.sh DIR SECONDS JOBS FUZZER...
#
# DIR is the build directory holding the fuzzers (build/fuzz,
# build/fuzz-nosimd).  Each fuzzer runs SECONDS on its own core and the
# merged corpus (build/corpus/NAME, what it finds, and the hand-written
# seeds in tests/fuzz/corpus/NAME); JOBS fuzzers run at a time (one per
# core: each still gets SECONDS of a whole core), their logs in
# DIR-logs/NAME.log and what makes one fail (crash, leak, timeout,
# out-of-memory input) in DIR-artifacts/.  Prints, in the order given,
# each fuzzer's executed runs and any error; fails when one fuzzer did.
set -uo pipefail
cd "$(dirname "$0")/.."

dir=$1 seconds=$2 jobs=$3
shift 3
logs=$dir-logs
artifacts=$dir-artifacts
mkdir -p "$logs" "$artifacts"

one() {
    local f=$1 rc

    mkdir -p "build/corpus/$f"
    "$dir/$f" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$artifacts/$f-" \
        "build/corpus/$f" "tests/fuzz/corpus/$f" >"$logs/$f.log" 2>&1
    rc=$?
    echo "$rc" >"$logs/$f.rc"
}
export -f one
export dir seconds logs artifacts

printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'one {}'

failed=0
for f in "$@"; do
    echo "== $f ($(basename "$dir")) for ${seconds}s"
    grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' "$logs/$f.log"
    if [ "$(cat "$logs/$f.rc" 2>/dev/null)" != 0 ]; then
        echo "$f failed (exit $(cat "$logs/$f.rc" 2>/dev/null));" \
             "$logs/$f.log, $artifacts/"
        failed=1
    fi
done
exit $failed
