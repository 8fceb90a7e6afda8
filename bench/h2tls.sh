#!/usr/bin/env bash
# The production shape: TLS 1.3 terminated at NGINX, HTTP/2 clients (h2load,
# Debian's nghttp2-client), plain proxy_pass against the module (GA check +
# PII masking), the 4 KB body with 5 PII values.  One NGINX worker, a local
# upstream in a second NGINX (not charged to the worker); rounds alternate
# the variants.  Prints median req/s, median mean latency, the ratio of
# the medians and the median of the per-round ratios; fails when a request
# does not get a 2xx.
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
. "$here/lib.sh"
bench_bodies
body=$bodies/chat-4k-pii.json
bench_workdir h2
read -r up plain azoai <<<"$(bench_free_ports 3)"

# a throw-away self-signed P-256 certificate for 127.0.0.1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -nodes -days 1 -subj /CN=127.0.0.1 -keyout "$work/key.pem" \
    -out "$work/cert.pem" 2>/dev/null

{
    BENCH_CONNS=1024 bench_conf_main "$so" "worker_processes 1;" \
        "pcre_jit on;"
    echo "http {"
    bench_conf_http
    cat <<CONF
    # h2load does not reconnect after NGINX's GOAWAY at 1,000 requests
    keepalive_requests 1000000;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.3;
CONF
    bench_conf_backend "$up" 32
    bench_conf_pair "$plain ssl http2" "$azoai ssl http2"
    echo "}"
} >"$work/nginx.conf"

bench_start_standin "$up"
bench_start "$work/nginx.conf"
bench_wait_port "$azoai"

declare -A port=([plain]=$plain [azoai]=$azoai)
path=$BENCH_PATH

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

base=$(echo "${rps[plain]}" | bench_median)
paired=$(paste -d' ' <(echo "${rps[plain]}" | tr ' ' '\n' | sed '/^$/d') \
                     <(echo "${rps[azoai]}" | tr ' ' '\n' | sed '/^$/d') \
         | awk '{print $2 / $1}' | tr '\n' ' ' | bench_median)
for v in plain azoai; do
    m=$(echo "${rps[$v]}" | bench_median)
    l=$(echo "${lat[$v]}" | bench_median)
    printf '%-6s %12s %12sms %8.3f %8.3f\n' "$v" "$m" "$l" \
        "$(echo "$m / $base" | bc -l)" \
        "$([[ $v == plain ]] && echo 1 || echo "$paired")"
done

bench_no_alerts
