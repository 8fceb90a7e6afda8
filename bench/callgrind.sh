#!/usr/bin/env bash
# Deterministic per-request cost: NGINX (one process) under callgrind,
# the same keep-alive POSTs through plain proxy_pass and through the
# module (GA check + PII masking); prints user-space instructions per
# request for each and the module's extra.  The stand-in upstream runs in
# a second, plain NGINX that is not under valgrind: in production Azure
# answers (and parses the module's audit headers), so its work is no part
# of either count.  Unlike req/s on a shared
# machine, these counts repeat run after run.  Kernel time is not counted:
# the module makes no extra system calls.
#
# usage: callgrind.sh MODULE_SO [REQUESTS]
#   CG_KEEP=DIR keeps each profile as DIR/cg.PORT.BODY for callgrind_annotate
#   BODIES=DIR takes the three bodies from DIR instead of generating them
#   CG_RESULTS=FILE also writes "BODY PLAIN MODULE" (instr/req) per line
#   CG_STANDIN=inside runs the stand-in upstream in the measured NGINX, as
#     this script did when issue 18 set its goals (both counts then carry
#     the upstream's work, ~10k, and the module's carries the upstream
#     parsing its audit headers): to compare with figures of that method
#   BENCH_PII=off, BENCH_AZOAI="DIRECTIVES" (bench/lib.sh): the module's
#     cost in parts, e.g. the GA check alone, or without audit headers
set -euo pipefail

so=$(realpath "${1:?usage: callgrind.sh MODULE_SO [REQUESTS]}")
n=${2:-500}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_bodies
bench_workdir cg
read -r port p_plain p_azoai <<<"$(bench_free_ports 3)"

{
    bench_conf_main "$so" "master_process off;" "daemon off;"
    echo "http {"
    bench_conf_http
    bench_conf_backend "$port"
    bench_conf_pair "$p_plain" "$p_azoai"
    [[ ${CG_STANDIN:-} == inside ]] && bench_conf_standin "$port"
    echo "}"
} >"$work/nginx.conf"

# the stand-in upstream: its own NGINX, outside callgrind
[[ ${CG_STANDIN:-} == inside ]] || bench_start_standin "$port"

bench_start_callgrind "$work/nginx.conf"
bench_wait_port "$p_azoai"

measure() {
    local p=$1 body=$2 out
    # a request that is not answered 200 ends the run: counting denials
    # would measure another path
    bench_post "$p" "$body" 20 || exit 1    # warm up
    callgrind_control -z "$(cat "$work/nginx.pid")" >/dev/null 2>&1
    bench_post "$p" "$body" "$n" || exit 1
    callgrind_control -d "$(cat "$work/nginx.pid")" >/dev/null 2>&1
    out=$(ls -v "$work"/cg.out.* | tail -1)
    if [[ -n ${CG_KEEP:-} ]]; then
        mkdir -p "$CG_KEEP"
        cp "$out" "$CG_KEEP/cg.$p.${body##*/}"
    fi
    bench_cg_total "$out"
}

printf '%-22s %14s %14s %12s\n' body "plain instr/req" "azoai instr/req" "extra"
for body in chat-1k-clean.json chat-4k-pii.json chat-64k-pii.json; do
    plain=$(measure "$p_plain" "$bodies/$body")
    azoai=$(measure "$p_azoai" "$bodies/$body")
    printf '%-22s %14d %14d %11.0f%%\n' "$body" $((plain / n)) \
        $((azoai / n)) "$(echo "($azoai - $plain) * 100 / $plain" | bc -l)"
    if [[ -n ${CG_RESULTS:-} ]]; then
        echo "$body $((plain / n)) $((azoai / n))" >>"$CG_RESULTS"
    fi
done
