#!/usr/bin/env bash
# Token budgets: what azoai_token_limit costs a request.
#
# 1. wrk, 1 KB chat bodies, the module on without and with a token limit
#    (two zones: one per key over 10,000 distinct keys in a 1 MB zone, one
#    global), WORKERS workers (default 2); rounds alternate the variants.
#    Prints median req/s, the median of the per-round ratios (limit / no
#    limit), and the keys and evictions of the 1 MB zone.  TLIMIT_SKIP_WRK=1
#    skips this part.
# 2. callgrind, one process: user-space instructions per request without
#    and with the limit, and those spent in the zone lock
#    (ngx_shmtx_lock/unlock) per request.
#
# usage: tlimit.sh MODULE_SO [SECONDS_PER_RUN] [ROUNDS] [REQUESTS]
set -euo pipefail

so=${1:?usage: tlimit.sh MODULE_SO [SECONDS] [ROUNDS] [REQUESTS]}
secs=${2:-${BENCH_SECONDS:-5}}
rounds=${3:-${BENCH_ROUNDS:-3}}
n=${4:-${BENCH_REQUESTS:-2000}}
conns=${CONNS:-16}
workers=${WORKERS:-2}
keys=10000
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_workdir tlimit

# a 1 KB chat body, text only
perl -e 'my $t = join " ", ("the quick brown fox jumps over it") x 28;
         print "{\"messages\":[{\"role\":\"user\",\"content\":\"$t\"}],",
               "\"max_tokens\":100}"' >"$work/body.json"
echo "body: $(wc -c <"$work/body.json") bytes"

path=$BENCH_PATH

reply='{"id":"x","usage":{"prompt_tokens":300,"completion_tokens":20,'
reply+='"total_tokens":320}}'

# the stand-in upstream answers from its own NGINX ($work/up), started
# once for both parts: neither wrk's workers nor callgrind's process
# spend anything on it, only on the module and the proxying
read -r up <<<"$(bench_free_ports 1)"
bench_start_standin "$up" "$reply" application/json

conf() {   # conf MASTER(on|off) WORKERS (servers: $p_off, $p_on)
    BENCH_CONNS=1024 bench_conf_main "$so" "master_process $1;" \
        "worker_processes $2;" \
        "daemon $([[ $1 == on ]] && echo on || echo off);"
    echo "http {"
    bench_conf_http
    cat <<CONF
    keepalive_requests 1000000;
    azoai_token_limit_zone \$http_x_team zone=team:1m
                           tokens_per_minute=1000000000;
    azoai_token_limit_zone all zone=global:1m tokens_per_minute=1000000000;
    azoai_metrics_zone bench 1m;
CONF
    bench_conf_backend "$up" 32
    cat <<CONF
    server {
        listen 127.0.0.1:$p_off;
        azoai_deployment chat-prod gpt-5.1 2025-11-13;
        azoai on;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location / { proxy_pass http://backend; }
    }
    server {
        listen 127.0.0.1:$p_on;
        azoai_deployment chat-prod gpt-5.1 2025-11-13;
        azoai on;
        azoai_token_limit zone=team;
        azoai_token_limit zone=global;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location / { proxy_pass http://backend; }
        location = /metrics { azoai_metrics; }
    }
}
CONF
}

# --- 1. wrk ------------------------------------------------------------------
if [[ -z ${TLIMIT_SKIP_WRK:-} ]]; then

read -r p_off p_on <<<"$(bench_free_ports 2)"
conf on "$workers" >"$work/nginx.conf"
bench_start "$work/nginx.conf"
bench_wait_port $p_on

cat >"$work/post.lua" <<LUA
local f = assert(io.open("$work/body.json", "rb"))
local body = f:read("*a")
f:close()
local n = math.random(0, $keys)
request = function()
    n = (n + 1) % $keys
    return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                    ["X-Team"] = "team-" .. n}, body)
end
LUA

for p in $p_off $p_on; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Team: t' \
        -H 'Content-Type: application/json' --data-binary @"$work/body.json" \
        "http://127.0.0.1:$p$path")
    [[ $code == 200 ]] || { echo "port $p answered $code" >&2; exit 1; }
done

declare -A rps=()
ratios=""
for ((i = 1; i <= rounds; i++)); do
    for v in off on; do
        p=$([[ $v == off ]] && echo $p_off || echo $p_on)
        r=$(wrk -t1 -c"$conns" -d"${secs}s" -s "$work/post.lua" \
                "http://127.0.0.1:$p$path" | awk '/Requests\/sec/ {print $2}')
        rps[$v]="${rps[$v]:-} $r"
    done
    last_off=$(echo "${rps[off]}" | awk '{print $NF}')
    last_on=$(echo "${rps[on]}" | awk '{print $NF}')
    ratios="$ratios $(echo "$last_on / $last_off" | bc -l)"
done

echo "== wrk: 1 KB bodies, $workers worker(s), $conns connections, $keys keys"
printf '%-28s %12s\n' variant "req/s(med)"
printf '%-28s %12s\n' "azoai on, no token limit" "$(echo "${rps[off]}" | bench_median)"
printf '%-28s %12s\n' "azoai on, two token zones" "$(echo "${rps[on]}" | bench_median)"
printf 'paired ratio (median of %d rounds): %.3f (goal >= 0.97)\n' \
    "$rounds" "$(echo "$ratios" | bench_median)"
curl -s "http://127.0.0.1:$p_on/metrics" \
    | awk '/^azoai_token_limit_(keys|evictions_total)\{zone="team"\}/ {
               printf "zone team (1 MB): %s %s\n", $1, $2 }'

bench_no_alerts
bench_stop
fi
sleep 1

# --- 2. callgrind --------------------------------------------------------------

read -r p_off p_on <<<"$(bench_free_ports 2)"
conf off 1 >"$work/cg.conf"

bench_start_callgrind "$work/cg.conf"
bench_wait_port $p_on

measure() {   # measure PORT -> "total lock" instructions
    local out
    bench_post "$1" "$work/body.json" 20 "$keys" "$path"
    callgrind_control -z "$(cat "$work/nginx.pid")" >/dev/null 2>&1
    bench_post "$1" "$work/body.json" "$n" "$keys" "$path"
    callgrind_control -d "$(cat "$work/nginx.pid")" >/dev/null 2>&1
    out=$(ls -v "$work"/cg.out.* | tail -1)
    [[ -n ${CG_KEEP:-} ]] && mkdir -p "$CG_KEEP" && cp "$out" "$CG_KEEP/cg.$1"
    callgrind_annotate --threshold=100 "$out" 2>/dev/null | awk '
        /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
        /ngx_shmtx_(lock|unlock)/ { gsub(",", "", $1); lock += $1 }
        END { print total, lock + 0 }'
}

read -r off _ < <(measure $p_off)
read -r on lock < <(measure $p_on)

echo
echo "== callgrind: user-space instructions per request, 1 KB body, $n requests over $keys keys"
printf '%-28s %12d\n' "azoai on, no token limit" $((off / n))
printf '%-28s %12d\n' "azoai on, two token zones" $((on / n))
printf '%-28s %12d (%.2f%%)\n' "extra" $(((on - off) / n)) \
    "$(echo "($on - $off) * 100 / $off" | bc -l)"
printf '%-28s %12d\n' "in ngx_shmtx_lock/unlock" $((lock / n))
