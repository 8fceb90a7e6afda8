#!/usr/bin/env bash
# End-to-end benchmark: one NGINX, a local upstream, wrk POSTing the bench
# bodies; plain proxy_pass against the module (GA check + PII masking).
# Rounds alternate the variants so that machine drift hits both alike.
# Prints median req/s, median p99 latency, the ratio of the medians to
# plain, the median of the per-round ratios (each round's module run
# against the plain run just before it: steadier when the host drifts),
# and the worker's RSS before and after.
#
# usage: e2e.sh MODULE_SO [SECONDS_PER_RUN] [ROUNDS]
set -euo pipefail

so=${1:?usage: e2e.sh MODULE_SO [SECONDS] [ROUNDS]}
secs=${2:-5}
rounds=${3:-3}
conns=${CONNS:-16}
here=$(cd "$(dirname "$0")" && pwd)
# the bodies: BODIES, or those bench/gen-bodies.pl writes into build/
if [[ -n ${BODIES:-} ]]; then
    bodies=$BODIES
else
    bodies=$here/../build/bench-bodies
    perl "$here/gen-bodies.pl" "$bodies"
fi
work=$(mktemp -d -t azoai-e2e.XXXXXX)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; sleep 0.3; rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/logs"

cat >"$work/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["api-key"] = "bench-not-a-secret"
LUA

cat >"$work/nginx.conf" <<CONF
load_module $so;
worker_processes 1;
pcre_jit on;
error_log $work/logs/error.log warn;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    client_body_buffer_size 128k;
    client_max_body_size 8m;
    upstream backend { server 127.0.0.1:19100; keepalive 32; }
    server {
        listen 127.0.0.1:19100;
        location / { return 200 '{"id":"x","usage":{"prompt_tokens":1}}'; }
    }
    server {
        listen 127.0.0.1:19101;
        location / {
            proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_pass http://backend;
        }
    }
    server {
        listen 127.0.0.1:19102;
        azoai_deployment chat-prod gpt-5.1 2025-11-13;
        location / {
            azoai on;
            azoai_pii on;
            proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_pass http://backend;
        }
    }
}
CONF

/usr/sbin/nginx -p "$work" -c "$work/nginx.conf" -e "$work/logs/error.log"
sleep 0.5

worker_rss() {
    local w
    w=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)
    awk '/VmRSS/ {print $2}' "/proc/$w/status"
}

median() {
    tr ' ' '\n' | sed '/^$/d' | sort -g \
        | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

declare -A port=([plain]=19101 [azoai]=19102)
path="/openai/deployments/chat-prod/chat/completions?api-version=2024-10-21"

for v in plain azoai; do
    code=$(curl -s -o /dev/null -w '%{http_code}' \
        -H 'Content-Type: application/json' \
        --data-binary @"$bodies/chat-1k-clean.json" \
        "http://127.0.0.1:${port[$v]}$path")
    [[ $code == 200 ]] || { echo "variant $v answered $code" >&2; exit 1; }
done

rss_start=$(worker_rss)

printf '%-22s %-6s %12s %10s %8s %8s\n' body variant "req/s(med)" "p99(med)" \
    "/plain" "paired"

for body in chat-1k-clean.json chat-4k-pii.json chat-64k-pii.json; do
    declare -A rps=() p99=()
    for ((i = 1; i <= rounds; i++)); do
        for v in plain azoai; do
            out=$(BODY="$bodies/$body" wrk --latency -t1 -c"$conns" \
                -d"${secs}s" -s "$work/post.lua" \
                "http://127.0.0.1:${port[$v]}$path")
            rps[$v]="${rps[$v]:-} $(echo "$out" | awk '/Requests\/sec/ {print $2}')"
            lat=$(echo "$out" | awk '$1 == "99%" {print $2}')
            # wrk prints us, ms or s: normalise to ms
            lat=$(echo "$lat" | awk '/us$/ {sub("us",""); print $1/1000; next}
                                   /ms$/ {sub("ms",""); print $1; next}
                                   /s$/ {sub("s",""); print $1*1000}')
            p99[$v]="${p99[$v]:-} $lat"
        done
    done
    base=$(echo "${rps[plain]}" | median)
    paired=$(paste -d' ' <(echo "${rps[plain]}" | tr ' ' '\n' | sed '/^$/d') \
                         <(echo "${rps[azoai]}" | tr ' ' '\n' | sed '/^$/d') \
             | awk '{print $2 / $1}' | tr '\n' ' ' | median)
    for v in plain azoai; do
        m=$(echo "${rps[$v]}" | median)
        l=$(echo "${p99[$v]}" | median)
        printf '%-22s %-6s %12s %8sms %8.3f %8.3f\n' "$body" "$v" "$m" "$l" \
            "$(echo "$m / $base" | bc -l)" \
            "$([[ $v == plain ]] && echo 1 || echo "$paired")"
    done
    unset rps p99
done

rss_end=$(worker_rss)
echo "worker RSS: ${rss_start} kB at start, ${rss_end} kB at end"

if grep -q '\[alert\]\|\[emerg\]\|\[crit\]' "$work/logs/error.log"; then
    echo "error.log has alerts" >&2
    exit 1
fi
