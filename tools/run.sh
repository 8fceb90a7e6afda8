#!/usr/bin/env bash
# make run: NGINX with conf.example/ in front of a local stand-in for Azure
# OpenAI, in the foreground.  Ctrl-C stops both.
set -euo pipefail

module=${1:?usage: run.sh /path/to/ngx_http_azoai_module.so}
top=$(cd "$(dirname "$0")/.." && pwd)
port=${AZOAI_PORT:-8080}
upstream_port=${AZOAI_STANDIN_PORT:-18080}
work=$(mktemp -d -t azoai-run.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/logs"

cp "$top/conf.example/azoai-catalog.json" "$work/"

# the example, with the lines marked "run:" pointed at this machine
sed -e "s|^load_module .*# run: module|load_module $module;|" \
    -e "s|access_log .*# run: log|access_log $work/logs/access.log azoai;|" \
    -e "s|server YOUR-RESOURCE.*# run: upstream|server 127.0.0.1:$upstream_port;|" \
    -e "s|listen .*# run: listen|listen 127.0.0.1:$port;|" \
    -e "s|proxy_set_header Host .*# run: host|proxy_set_header Host localhost;|" \
    -e "/# run: sni/d" \
    -e "s|proxy_pass https://azure_openai;.*# run: pass|proxy_pass http://azure_openai;|" \
    -e "s|^worker_processes auto;|worker_processes 2;\npid $work/nginx.pid;\nerror_log $work/logs/error.log info;\ndaemon off;|" \
    "$top/conf.example/nginx.conf" >"$work/nginx.conf"

sed -i "s|^http {|http {\n    client_body_temp_path $work/body;\n    proxy_temp_path $work/proxy;|" "$work/nginx.conf"

/usr/sbin/nginx -t -q -p "$work" -c "$work/nginx.conf" -e "$work/logs/error.log"

"$top/tools/azure-standin.pl" "$upstream_port" &
standin=$!
trap 'kill $standin 2>/dev/null; rm -rf "$work"' EXIT

base="http://127.0.0.1:$port/openai"
cat <<TXT

NGINX with ngx_http_azoai_module on 127.0.0.1:$port, in front of a stand-in
Azure OpenAI on 127.0.0.1:$upstream_port that prints what it received.
Access log (JSON): $work/logs/access.log   Ctrl-C stops both.

Try, in another terminal:

# GA deployment, PII masked before it leaves (see the stand-in's output):
curl -si '$base/deployments/chat-prod/chat/completions?api-version=2024-10-21' \\
  -H 'Content-Type: application/json' \\
  -d '{"messages":[{"role":"user","content":"Mail jane.doe@example.com, card 4111 1111 1111 1111"}]}'

# preview API version: 403 PreviewApiVersionBlocked, nothing sent upstream
curl -si '$base/deployments/chat-prod/chat/completions?api-version=2025-04-01-preview' \\
  -H 'Content-Type: application/json' -d '{"messages":[]}'

# v1 API, deployment in the body; a preview model is blocked
curl -si '$base/v1/chat/completions' -H 'Content-Type: application/json' \\
  -d '{"model":"gpt-4o-realtime-preview","messages":[]}'

# a US SSN is blocked outright (azoai_pii_action us_ssn block)
curl -si '$base/v1/chat/completions' -H 'Content-Type: application/json' \\
  -d '{"model":"chat-prod","messages":[{"role":"user","content":"SSN 123-45-6789"}]}'

# streamed answer; token usage lands in the access log
curl -sN '$base/v1/chat/completions' -H 'Content-Type: application/json' \\
  -d '{"model":"chat-prod","stream":true,"messages":[{"role":"user","content":"hi"}]}'

# counters
curl -s http://127.0.0.1:$port/azoai/metrics

TXT

/usr/sbin/nginx -p "$work" -c "$work/nginx.conf" -e "$work/logs/error.log"
