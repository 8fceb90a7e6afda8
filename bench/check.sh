#!/usr/bin/env bash
# make bench-check: the module's instructions per request (callgrind.sh)
# against the committed baseline (bench/baseline); fails when a body costs
# more than BENCH_TOLERANCE percent (default 3) above its baseline.  Plain
# proxy_pass is measured too and printed, not judged (it is NGINX's cost).
# The 64 KB JSON completion with azoai_pii_response on is judged too, per
# response (bench/restore.sh's cg-json section, BENCH_RESTORE_RESPONSES,
# default 5, for each of its two texts: restore-json40, restore-json290).
# BENCH_UPDATE=1 writes the measured counts as the new baseline: a change
# that lowers a count commits the lower baseline with it.
#
# usage: check.sh MODULE_SO [REQUESTS]
set -euo pipefail

so=${1:?usage: check.sh MODULE_SO [REQUESTS]}
n=${2:-500}
here=$(cd "$(dirname "$0")" && pwd)
baseline=$here/baseline
tolerance=${BENCH_TOLERANCE:-3}
results=$(mktemp -t azoai-bench-check.XXXXXX)
trap 'rm -f "$results"' EXIT

CG_RESULTS=$results "$here/callgrind.sh" "$so" "$n"
CG_RESULTS=$results SECTIONS=cg-json CG_STREAMS=${BENCH_RESTORE_RESPONSES:-5} \
    "$here/restore.sh" "$so" >/dev/null

if [[ ${BENCH_UPDATE:-0} = 1 ]]; then
    {
        echo "# bench/check.sh: module instructions per request"
        echo "# (bench/callgrind.sh, $n requests); body plain module;" \
             "restore-json*:"
        echo "# per 64 KB JSON response with azoai_pii_response on" \
             "(bench/restore.sh)"
        cat "$results"
    } >"$baseline"
    echo "bench-check: baseline written to $baseline"
    exit 0
fi

fail=0
while read -r body plain module; do
    base=$(awk -v b="$body" '$1 == b { print $3 }' "$baseline")
    if [[ -z $base ]]; then
        echo "bench-check: $body has no baseline in $baseline"
        fail=1
        continue
    fi
    limit=$((base + base * tolerance / 100))
    change=$(echo "($module - $base) * 100 / $base" | bc -l)
    if ((module > limit)); then
        printf 'bench-check: FAIL %s: %d instr/req, baseline %d (%+.2f%%,' \
            "$body" "$module" "$base" "$change"
        printf ' over %d%%)\n' "$tolerance"
        fail=1
    else
        printf 'bench-check: ok %s: %d instr/req, baseline %d (%+.2f%%)\n' \
            "$body" "$module" "$base" "$change"
        if ((module * 100 < base * 99)); then
            echo "bench-check: $body is more than 1% below its baseline:" \
                 "commit a lower one (make bench-check BENCH_UPDATE=1)"
        fi
    fi
done <"$results"

exit $fail
