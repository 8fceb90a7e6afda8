#!/usr/bin/env bash
# The production shape: TLS 1.3 terminated at NGINX, HTTP/2 clients (h2load,
# Debian's nghttp2-client), plain proxy_pass against the module (GA check +
# PII masking), the 4 KB body with 5 PII values.  One NGINX worker, a local
# upstream; rounds alternate the variants.  Prints median req/s, median
# mean latency, the ratio of the medians and the median of the per-round
# ratios; fails when a request does not get a 2xx.
#
# usage: h2tls.sh MODULE_SO [REQUESTS_PER_RUN] [ROUNDS]
#   H2_CLIENTS (16) connections, H2_STREAMS (4) concurrent streams each;
#   every request must succeed (a timed h2load run cuts streams at its end)
set -euo pipefail

so=${1:?usage: h2tls.sh MODULE_SO [REQUESTS] [ROUNDS]}
requests=${2:-20000}
rounds=${3:-3}
clients=${H2_CLIENTS:-16}
streams=${H2_STREAMS:-4}
here=$(cd "$(dirname "$0")" && pwd)
if [[ -n ${BODIES:-} ]]; then
    bodies=$BODIES
else
    bodies=$here/../build/bench-bodies
    perl "$here/gen-bodies.pl" "$bodies"
fi
body=$bodies/chat-4k-pii.json
work=$(mktemp -d -t azoai-h2.XXXXXX)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; sleep 0.3; rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/logs"

# a throw-away self-signed P-256 certificate for 127.0.0.1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 1 -subj /CN=127.0.0.1 -keyout "$work/key.pem" \
    -out "$work/cert.pem" 2>/dev/null

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
    # h2load does not reconnect after NGINX's GOAWAY at 1,000 requests
    keepalive_requests 1000000;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.3;
    upstream backend { server 127.0.0.1:19200; keepalive 32; }
    server {
        listen 127.0.0.1:19200;
        location / { return 200 '{"id":"x","usage":{"prompt_tokens":1}}'; }
    }
    server {
        listen 127.0.0.1:19201 ssl http2;
        location / {
            proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_pass http://backend;
        }
    }
    server {
        listen 127.0.0.1:19202 ssl http2;
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

median() {
    tr ' ' '\n' | sed '/^$/d' | sort -g \
        | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

declare -A port=([plain]=19201 [azoai]=19202)
path="/openai/deployments/chat-prod/chat/completions?api-version=2024-10-21"

# the module masks over TLS + HTTP/2: the upstream gets a tag, not the value
for v in plain azoai; do
    proto=$(curl -sk --http2 -o /dev/null -w '%{http_version} %{http_code}' \
        -H 'Content-Type: application/json' --data-binary @"$body" \
        "https://127.0.0.1:${port[$v]}$path")
    [[ $proto == "2 200" ]] || { echo "variant $v: $proto" >&2; exit 1; }
done

run() {
    h2load -t1 -c"$clients" -m"$streams" -n"$requests" \
        -d "$body" -H 'content-type: application/json' \
        "https://127.0.0.1:${port[$1]}$path"
}

echo "TLS 1.3, HTTP/2 (h2load, $clients connections x $streams streams)," \
     "$(basename "$body")"
printf '%-6s %12s %14s %8s %8s\n' variant "req/s(med)" "mean lat(med)" \
    "/plain" "paired"

declare -A rps=() lat=()
for ((i = 1; i <= rounds; i++)); do
    for v in plain azoai; do
        out=$(run "$v")
        if ! echo "$out" | grep -q 'requests: .* 0 failed, 0 errored'; then
            echo "$out" >&2
            exit 1
        fi
        if echo "$out" | grep -q 'status codes: .* [1-9][0-9]* [345]xx'; then
            echo "$out" >&2
            exit 1
        fi
        rps[$v]="${rps[$v]:-} $(echo "$out" \
            | awk '/^finished in/ {print $4}')"
        # "time for request: min max mean sd": mean in us, ms or s
        lat[$v]="${lat[$v]:-} $(echo "$out" | awk '/^time for request:/ {
            m = $6
            if (m ~ /us$/) { sub("us", "", m); print m / 1000 }
            else if (m ~ /ms$/) { sub("ms", "", m); print m }
            else { sub("s", "", m); print m * 1000 } }')"
    done
done

base=$(echo "${rps[plain]}" | median)
paired=$(paste -d' ' <(echo "${rps[plain]}" | tr ' ' '\n' | sed '/^$/d') \
                     <(echo "${rps[azoai]}" | tr ' ' '\n' | sed '/^$/d') \
         | awk '{print $2 / $1}' | tr '\n' ' ' | median)
for v in plain azoai; do
    m=$(echo "${rps[$v]}" | median)
    l=$(echo "${lat[$v]}" | median)
    printf '%-6s %12s %12sms %8.3f %8.3f\n' "$v" "$m" "$l" \
        "$(echo "$m / $base" | bc -l)" \
        "$([[ $v == plain ]] && echo 1 || echo "$paired")"
done

if grep -q '\[alert\]\|\[emerg\]\|\[crit\]' "$work/logs/error.log"; then
    echo "error.log has alerts" >&2
    exit 1
fi
