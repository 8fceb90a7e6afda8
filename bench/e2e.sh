#!/usr/bin/env bash
# End-to-end benchmark: one NGINX, a local upstream, wrk POSTing the bench
# bodies; plain proxy_pass against the module (GA check + PII masking).
# Rounds alternate the variants so that machine drift hits both alike.
# Prints median req/s, median p99 latency, the ratio of the medians to
# plain, the median of the per-round ratios (each round's module run
# against the plain run just before it: steadier when the host drifts),
# the worker's CPU time and page faults per request (medians; the CPU
# time is what the module costs whatever else shares the host), and the
# worker's RSS before and after.  The stand-in upstream runs in a
# second NGINX (as in callgrind.sh), so the measured worker does only the
# gateway's work.
#
# usage: e2e.sh MODULE_SO [SECONDS_PER_RUN] [ROUNDS]
set -euo pipefail

so=${1:?usage: e2e.sh MODULE_SO [SECONDS] [ROUNDS]}
secs=${2:-5}
rounds=${3:-3}
conns=${CONNS:-16}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_bodies
bench_workdir e2e
read -r up plain azoai <<<"$(bench_free_ports 3)"

cat >"$work/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["api-key"] = "bench-not-a-secret"
LUA

{
    BENCH_CONNS=1024 bench_conf_main "$so" "worker_processes 1;" \
        "pcre_jit on;"
    echo "http {"
    bench_conf_http
    echo "    client_max_body_size 8m;"
    bench_conf_backend "$up" 32
    bench_conf_pair "$plain" "$azoai"
    echo "}"
} >"$work/nginx.conf"

bench_start_standin "$up"
bench_start "$work/nginx.conf"
bench_wait_port "$azoai"

declare -A port=([plain]=$plain [azoai]=$azoai)
path=$BENCH_PATH

for v in plain azoai; do
    code=$(curl -s -o /dev/null -w '%{http_code}' \
        -H 'Content-Type: application/json' \
        --data-binary @"$bodies/chat-1k-clean.json" \
        "http://127.0.0.1:${port[$v]}$path")
    [[ $code == 200 ]] || { echo "variant $v answered $code" >&2; exit 1; }
done

rss_start=$(bench_worker_kb VmRSS)

printf '%-22s %-6s %12s %10s %8s %8s %10s %8s\n' body variant "req/s(med)" \
    "p99(med)" "/plain" "paired" "worker us" "faults"

for body in chat-1k-clean.json chat-4k-pii.json chat-64k-pii.json; do
    declare -A rps=() p99=() cpu=() flt=()
    for ((i = 1; i <= rounds; i++)); do
        for v in plain azoai; do
            s0=$(bench_worker_usage)
            out=$(BODY="$bodies/$body" wrk --latency -t1 -c"$conns" \
                -d"${secs}s" -s "$work/post.lua" \
                "http://127.0.0.1:${port[$v]}$path")
            read -r c f <<<"$(bench_usage_per "$s0" "$(bench_worker_usage)" \
                "$(echo "$out" | awk '/requests in/ {print $1}')")"
            cpu[$v]="${cpu[$v]:-} $c"
            flt[$v]="${flt[$v]:-} $f"
            rps[$v]="${rps[$v]:-} $(echo "$out" | awk '/Requests\/sec/ {print $2}')"
            lat=$(echo "$out" | awk '$1 == "99%" {print $2}')
            # wrk prints us, ms or s: normalise to ms
            lat=$(echo "$lat" | awk '/us$/ {sub("us",""); print $1/1000; next}
                                   /ms$/ {sub("ms",""); print $1; next}
                                   /s$/ {sub("s",""); print $1*1000}')
            p99[$v]="${p99[$v]:-} $lat"
        done
    done
    base=$(echo "${rps[plain]}" | bench_median)
    paired=$(paste -d' ' <(echo "${rps[plain]}" | tr ' ' '\n' | sed '/^$/d') \
                         <(echo "${rps[azoai]}" | tr ' ' '\n' | sed '/^$/d') \
             | awk '{print $2 / $1}' | tr '\n' ' ' | bench_median)
    for v in plain azoai; do
        m=$(echo "${rps[$v]}" | bench_median)
        l=$(echo "${p99[$v]}" | bench_median)
        printf '%-22s %-6s %12s %8sms %8.3f %8.3f %10s %8s\n' "$body" "$v" \
            "$m" "$l" "$(echo "$m / $base" | bc -l)" \
            "$([[ $v == plain ]] && echo 1 || echo "$paired")" \
            "$(echo "${cpu[$v]}" | bench_median)" \
            "$(echo "${flt[$v]}" | bench_median)"
    done
    unset rps p99 cpu flt
done

rss_end=$(bench_worker_kb VmRSS)
echo "worker RSS: ${rss_start} kB at start, ${rss_end} kB at end"

bench_no_alerts
