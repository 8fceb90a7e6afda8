#!/usr/bin/env bash
# Soak test: one NGINX (2 workers) with the module in front of a local
# upstream (a second NGINX answering JSON), on loopback only.  wrk sends a
# rotating mix of allowed, denied (preview api-version, preview model),
# PII-bearing (masked) and malformed bodies.
#
#   phase 1, no reloads: 2 x RSS_REQUESTS requests; the workers' RSS after
#            a warm-up, after the first and after the second batch (flat
#            means no per-request leak)
#   phase 2, SECONDS of load with `nginx -s reload` every RELOAD_EVERY s
#            (requests with "Connection: close" unless SOAK_KEEPALIVE=1)
#   phase 3, 5 + RELOAD_STORM (20) reloads back to back, no load: the
#            master's RSS after 5 and at the end (configuration-time leaks)
#
# Fails (exit 1) on: any socket error (connect, read, write, timeout), any
# response other than the one expected for its kind, a reload that did not
# replace the workers, an [alert]/[crit]/[emerg] or a crashed worker in
# error.log, worker RSS growing more than RSS_SLACK_KB over the second
# batch, or master RSS more than STORM_SLACK_KB (256) over phase 3.  Stops
# by itself; prints a summary block for README.md.
#
# usage: soak.sh MODULE_SO [SECONDS]
#   env: CONNS (16), THREADS (2), RELOAD_EVERY (5), RSS_REQUESTS (100000),
#        RSS_SLACK_KB (2048), SOAK_PORT (it and the next one; default: the
#        first free pair from 19400),
#        NGINX (/usr/sbin/nginx)
set -euo pipefail

so=${1:?usage: soak.sh MODULE_SO [SECONDS]}
secs=${2:-60}
conns=${CONNS:-16}
threads=${THREADS:-2}
reload_every=${RELOAD_EVERY:-5}
rss_requests=${RSS_REQUESTS:-100000}
rss_slack=${RSS_SLACK_KB:-2048}
nginx=${NGINX:-/usr/sbin/nginx}

[[ -f $so ]] || { echo "soak: no module at $so" >&2; exit 2; }
[[ $secs =~ ^[0-9]+$ && $secs -ge 5 && $secs -le 3600 ]] \
    || { echo "soak: SECONDS must be 5 .. 3600" >&2; exit 2; }
command -v wrk >/dev/null || { echo "soak: wrk is not installed" >&2; exit 2; }
so=$(cd "$(dirname "$so")" && pwd)/$(basename "$so")

in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# SOAK_PORT, or the first free pair from 19400
if [[ -n ${SOAK_PORT:-} ]]; then
    port=$SOAK_PORT
    if in_use "$port" || in_use $((port + 1)); then
        echo "soak: port $port or $((port + 1)) is in use" >&2
        exit 2
    fi
else
    for ((port = 19400; port < 19600; port += 2)); do
        in_use "$port" || in_use $((port + 1)) || break
    done
fi
up_port=$((port + 1))

work=$(mktemp -d -t azoai-soak.XXXXXX)
chmod 755 "$work"
reloader=

cleanup() {
    local pidfile
    [[ -n $reloader ]] && kill "$reloader" 2>/dev/null || true
    for pidfile in "$work/nginx.pid" "$work/up/nginx.pid"; do
        [[ -f $pidfile ]] || continue
        kill -QUIT "$(cat "$pidfile")" 2>/dev/null || true
        for _ in $(seq 50); do
            [[ -f $pidfile ]] || break
            sleep 0.1
        done
    done
    if [[ ${SOAK_KEEP:-0} == 1 ]]; then
        echo "soak: files kept in $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

cat >"$work/catalog.json" <<'JSON'
{
  "models": {
    "gpt-4o": { "2024-11-20": "ga" },
    "gpt-5-chat": { "*": "preview" }
  },
  "deployments": {
    "chat-prod": { "model": "gpt-4o", "version": "2024-11-20" },
    "chat-preview": { "model": "gpt-5-chat", "version": "2025-08-07" }
  }
}
JSON

cat >"$work/nginx.conf" <<CONF
load_module $so;
worker_processes 2;
worker_shutdown_timeout 10s;
pcre_jit on;
error_log $work/error.log notice;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    client_body_buffer_size 16k;
    azoai_metrics_zone azoai 1m;

    upstream backend {
        server 127.0.0.1:$up_port;
        keepalive 32;
    }

    server {
        listen 127.0.0.1:$port;
        azoai_catalog $work/catalog.json;

        location / {
            azoai on;
            azoai_pii on;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://backend;
        }
        location = /metrics {
            azoai_metrics;
        }
    }
}
CONF

# the stand-in for Azure OpenAI: its own NGINX, never reloaded (a real
# upstream does not restart with the gateway)
mkdir -p "$work/up"
reply='{"id":"chatcmpl-1","object":"chat.completion","choices":[],'
reply+='"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}'
cat >"$work/up/nginx.conf" <<CONF
worker_processes 1;
error_log $work/up/error.log warn;
pid $work/up/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/up/body;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$up_port;
        location / {
            default_type application/json;
            return 200 '$reply';
        }
    }
}
CONF

# the request mix; counts every answer by what it should be
cat >"$work/mix.lua" <<'LUA'
local threads = {}
local reqs = {}
local n = 0
-- globals: done() reads them from each thread
got = { allow = 0, masked = 0, deny_api = 0, deny_model = 0,
        invalid = 0, unexpected = 0 }
sample = ""

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    local h = { ["Content-Type"] = "application/json",
                ["api-key"] = "soak-not-a-secret" }
    if os.getenv("SOAK_CLOSE") == "1" then
        h["Connection"] = "close"
    end
    local chat = "/openai/v1/chat/completions"
    local msg = function (text)
        return '[{"role":"system","content":"You are terse."},'
            .. '{"role":"user","content":"' .. text .. '"}]'
    end
    reqs[1] = wrk.format("POST", chat, h,
        '{"model":"chat-prod","messages":' .. msg("hello there") .. '}')
    reqs[2] = wrk.format("POST", chat .. "?api-version=2025-04-01-preview", h,
        '{"model":"chat-prod","messages":' .. msg("preview api") .. '}')
    reqs[3] = wrk.format("POST", chat, h,
        '{"model":"chat-preview","messages":' .. msg("preview model") .. '}')
    reqs[4] = wrk.format("POST",
        "/openai/deployments/chat-prod/chat/completions"
        .. "?api-version=2024-10-21", h,
        '{"messages":' .. msg("mail jane.doe@example.com or call "
        .. "+1 415-555-2671, card 4111 1111 1111 1111") .. '}')
    reqs[5] = wrk.format("POST", chat, h,
        '{"model":"chat-prod","messages":[{"role":"user","content":"x"')
end

function request()
    n = n + 1
    return reqs[(n - 1) % #reqs + 1]
end

function response(status, headers, body)
    local kind
    if status == 200 then
        local m = headers["X-AzOAI-PII-Masked"]
        kind = (m and m ~= "0") and "masked" or "allow"
    elseif status == 403 and body:find('"PreviewApiVersionBlocked"', 1, true)
    then
        kind = "deny_api"
    elseif status == 403 and body:find('"PreviewModelBlocked"', 1, true) then
        kind = "deny_model"
    elseif status == 400 and body:find('"InvalidBody"', 1, true) then
        kind = "invalid"
    else
        kind = "unexpected"
        if sample == "" then
            sample = status .. " " .. body:sub(1, 120)
        end
    end
    got[kind] = got[kind] + 1
end

function done(summary, latency, requests)
    local sum = { allow = 0, masked = 0, deny_api = 0, deny_model = 0,
                  invalid = 0, unexpected = 0 }
    local samples = ""
    for _, t in ipairs(threads) do
        local g = t:get("got")
        for k, _ in pairs(sum) do sum[k] = sum[k] + (g[k] or 0) end
        local s = t:get("sample")
        if s and s ~= "" and samples == "" then samples = s end
    end
    local e = summary.errors
    io.write(string.format("SOAK requests=%d allow=%d masked=%d "
        .. "deny_api=%d deny_model=%d invalid=%d unexpected=%d "
        .. "connect=%d read=%d write=%d timeout=%d status=%d "
        .. "p99_ms=%.2f secs=%.1f\n",
        summary.requests, sum.allow, sum.masked, sum.deny_api,
        sum.deny_model, sum.invalid, sum.unexpected, e.connect, e.read,
        e.write, e.timeout, e.status, latency:percentile(99) / 1000,
        summary.duration / 1e6))
    if samples ~= "" then
        io.write("SOAK sample unexpected: " .. samples .. "\n")
    end
end
LUA

master_pid() { cat "$work/nginx.pid"; }
workers() { pgrep -P "$(master_pid)" | sort -n; }

rss_kb() {
    local kb=0 p v
    for p in "$@"; do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
        kb=$((kb + ${v:-0}))
    done
    echo "$kb"
}

# a field of the SOAK line
field() { sed -n "s/.*\b$2=\([0-9.]*\).*/\1/p" <<<"$1" | head -1; }

run_wrk() {
    # run_wrk SECONDS [close]: one SOAK line
    SOAK_CLOSE=$([[ ${2:-} == close ]] && echo 1 || echo 0) \
        wrk -t"$threads" -c"$conns" -d"$1s" --timeout 10s \
        -s "$work/mix.lua" "http://127.0.0.1:$port/" \
        | tee -a "$work/wrk.out" | grep '^SOAK requests' || true
}

# SOAK lines summed into one (p99_ms: the largest)
sum_lines() {
    awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "=");
               if (!(kv[1] in v)) order[++n] = kv[1];
               if (kv[1] == "p99_ms") { if (kv[2] > v[kv[1]]) v[kv[1]] = kv[2] }
               else v[kv[1]] += kv[2] } }
         END { printf "SOAK"; for (i = 1; i <= n; i++)
                   printf " %s=%s", order[i], v[order[i]]; print "" }'
}

# run_batch N: 2-second wrk runs until N requests are done (at most 60)
run_batch() {
    local lines="" line total=0 i
    for ((i = 0; i < 60 && total < $1; i++)); do
        line=$(run_wrk 2)
        [[ -n $line ]] || break
        lines+="$line"$'\n'
        total=$((total + $(field "$line" requests)))
    done
    printf '%s' "$lines" | sum_lines
}

fail=0
problem() { echo "soak: FAIL: $*" >&2; fail=1; }

check_line() {
    local what=$1 line=$2 k
    [[ -n $line ]] || { problem "$what: wrk printed no result"; return; }
    for k in connect read write timeout unexpected; do
        [[ $(field "$line" $k) == 0 ]] \
            || problem "$what: $k=$(field "$line" $k)"
    done
    for k in allow masked deny_api deny_model invalid; do
        [[ $(field "$line" $k) -gt 0 ]] || problem "$what: no $k answers"
    done
}

"$nginx" -p "$work/up" -c "$work/up/nginx.conf" -e "$work/up/error.log"
"$nginx" -p "$work" -c "$work/nginx.conf" -e "$work/error.log"
for _ in $(seq 50); do
    [[ -s $work/nginx.pid && $(workers | wc -l) -ge 2 ]] && break
    sleep 0.1
done
[[ $(workers | wc -l) -ge 2 ]] || { echo "soak: nginx did not start" >&2;
                                     cat "$work/error.log" >&2; exit 1; }

code=$(curl -s -o /dev/null -w '%{http_code}' \
    -H 'Content-Type: application/json' \
    --data-binary '{"model":"chat-prod","messages":[]}' \
    "http://127.0.0.1:$port/openai/v1/chat/completions")
[[ $code == 200 ]] || { echo "soak: a GA request answered $code" >&2; exit 1; }

echo "== phase 1: no reloads, 2 x $rss_requests requests ($conns connections)"
run_wrk 3 >/dev/null                              # warm-up
rss_warm=$(rss_kb $(workers))
master_rss_start=$(rss_kb "$(master_pid)")
p1a=$(run_batch "$rss_requests")
echo "$p1a"
rss_mid=$(rss_kb $(workers))
p1b=$(run_batch "$rss_requests")
echo "$p1b"
rss_end1=$(rss_kb $(workers))
check_line "phase 1a" "$p1a"
check_line "phase 1b" "$p1b"
for l in "$p1a" "$p1b"; do
    [[ $(field "$l" requests) -ge $rss_requests ]] \
        || problem "phase 1: only $(field "$l" requests) requests"
done
growth=$((rss_end1 - rss_mid))
[[ $growth -le $rss_slack ]] \
    || problem "worker RSS grew ${growth} kB over $rss_requests requests"

# A reload closes the old workers' idle keep-alive connections; a client
# that sends its next request at that instant sees the connection close
# (HTTP/1.1 lets it retry; wrk counts a read error).  So phase 2 sends
# "Connection: close" unless SOAK_KEEPALIVE=1, which shows those races.
phase2_conn=close
[[ ${SOAK_KEEPALIVE:-0} == 1 ]] && phase2_conn=keepalive
echo "== phase 2: ${secs}s of load ($phase2_conn), nginx -s reload every" \
     "${reload_every}s"
(
    while sleep "$reload_every"; do
        "$nginx" -p "$work" -c "$work/nginx.conf" -e "$work/error.log" \
            -s reload 2>>"$work/reload.err" && echo reload >>"$work/reloads"
    done
) &
reloader=$!
before_workers=$(workers | tr '\n' ' ')
p2=$(run_wrk "$secs" "$phase2_conn")
kill "$reloader" 2>/dev/null || true
wait "$reloader" 2>/dev/null || true
reloader=
echo "$p2"
check_line "phase 2" "$p2"
reloads=$(wc -l <"$work/reloads" 2>/dev/null || echo 0)
want_reloads=$(( secs / reload_every - 1 ))
[[ $reloads -ge $want_reloads && $reloads -ge 1 ]] \
    || problem "only $reloads reloads (wanted $want_reloads)"

# settle: the old workers finish, the last generation serves on
for _ in $(seq 100); do
    [[ $(workers | wc -l) -eq 2 ]] && break
    sleep 0.1
done
after_workers=$(workers | tr '\n' ' ')
[[ $reloads -eq 0 || $before_workers != "$after_workers" ]] \
    || problem "reloads did not replace the workers"
[[ $(workers | wc -l) -eq 2 ]] \
    || problem "$(workers | wc -l) workers after settling (old ones stuck?)"
run_wrk 3 >/dev/null
rss_final=$(rss_kb $(workers))
master_rss_end=$(rss_kb "$(master_pid)")

# phase 3: back-to-back reloads without load: the master re-reads the
# configuration (catalog, patterns, keys) each time; its RSS stays flat
# unless configuration-time memory leaks
reload_wait() {
    local old new i
    old=$(workers | tr '\n' ' ')
    "$nginx" -p "$work" -c "$work/nginx.conf" -e "$work/error.log" -s reload \
        2>>"$work/reload.err" || return 1
    for i in $(seq 100); do
        new=$(workers | tr '\n' ' ')
        [[ $new != "$old" && $(workers | wc -l) -eq 2 ]] && return 0
        sleep 0.05
    done
    return 1
}
storm=${RELOAD_STORM:-20}
echo "== phase 3: $((storm + 5)) reloads back to back"
for i in $(seq 5); do reload_wait || problem "reload $i of phase 3 stuck"; done
master_rss_storm0=$(rss_kb "$(master_pid)")
for i in $(seq "$storm"); do
    reload_wait || problem "reload $((i + 5)) of phase 3 stuck"
done
master_rss_storm1=$(rss_kb "$(master_pid)")
storm_growth=$((master_rss_storm1 - master_rss_storm0))
[[ $storm_growth -le ${STORM_SLACK_KB:-256} ]] \
    || problem "master RSS grew ${storm_growth} kB over $storm reloads"

metrics=$(curl -s "http://127.0.0.1:$port/metrics" \
    | grep -E '^azoai_requests_total|^azoai_decisions_total' | head -8 || true)

alerts=$(grep -cE '\[(alert|crit|emerg)\]|exited on signal|segfault' \
    "$work/error.log" || true)
[[ $alerts -eq 0 ]] || {
    problem "$alerts alert/crit/emerg lines in error.log"
    grep -E '\[(alert|crit|emerg)\]|exited on signal' "$work/error.log" \
        | head -5 >&2
}
[[ ! -s $work/reload.err ]] \
    || problem "nginx -s reload: $(head -3 "$work/reload.err")"

sum() {
    echo $(( $(field "$p1a" "$1") + $(field "$p1b" "$1")
             + $(field "$p2" "$1") ))
}

n1a=$(field "$p1a" requests)
n1b=$(field "$p1b" requests)
n2=$(field "$p2" requests)
version=$("$nginx" -v 2>&1 | sed 's/.*\///')

cat <<EOF

### Soak result ($(date -u +%Y-%m-%d), $(nproc) CPUs, nginx $version)

| | |
| --- | --- |
| load | wrk -t$threads -c$conns, mix of 5 request kinds, loopback |
| phase 1 (no reload) | $n1a + $n1b requests, keep-alive |
| phase 2 | ${secs} s, $n2 requests ($phase2_conn), $reloads reloads \
(every ${reload_every} s), p99 $(field "$p2" p99_ms) ms |
| total requests | $(sum requests) |
| 200 allowed / 200 PII masked | $(sum allow) / $(sum masked) |
| 403 PreviewApiVersionBlocked / PreviewModelBlocked | \
$(sum deny_api) / $(sum deny_model) |
| 400 InvalidBody | $(sum invalid) |
| unexpected answers (other status or code) | $(sum unexpected) |
| socket errors connect/read/write/timeout | \
$(sum connect)/$(sum read)/$(sum write)/$(sum timeout) |
| worker RSS, 2 workers (phase 1) | ${rss_warm} kB warm, ${rss_mid} kB \
after $n1a, ${rss_end1} kB after $((n1a + n1b)) (${growth} kB) |
| worker RSS after reloads (last generation) | ${rss_final} kB |
| master RSS before / after reloads | \
${master_rss_start} / ${master_rss_end} kB |
| master RSS, $((storm + 5)) more reloads without load | \
${master_rss_storm0} kB after 5, ${master_rss_storm1} kB after $((storm + 5)) \
(${storm_growth} kB) |
| error.log alert/crit/emerg/crash | $alerts |
EOF
if [[ -n $metrics ]]; then
    echo
    echo "metrics (shared zone, kept across reloads):"
    echo "$metrics"
fi
if grep -q '^SOAK sample' "$work/wrk.out"; then
    echo
    echo "unexpected answers, first of each run:"
    grep '^SOAK sample' "$work/wrk.out" | head -5
fi
echo
if [[ $fail -ne 0 ]]; then
    echo "soak: FAILED"
    exit 1
fi
echo "soak: PASSED"
