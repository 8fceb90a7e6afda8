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
set -euo pipefail

so=$(realpath "${1:?usage: callgrind.sh MODULE_SO [REQUESTS]}")
n=${2:-500}
here=$(cd "$(dirname "$0")" && pwd)
# the bodies: BODIES, or those bench/gen-bodies.pl writes into build/
if [[ -n ${BODIES:-} ]]; then
    bodies=$BODIES
else
    bodies=$here/../build/bench-bodies
    perl "$here/gen-bodies.pl" "$bodies"
fi
work=$(mktemp -d -t azoai-cg.XXXXXX)
trap 'kill $(cat "$work/nginx.pid" "$work/up/nginx.pid" 2>/dev/null) \
    2>/dev/null || true; sleep 1; rm -rf "$work"' EXIT
mkdir -p "$work/logs" "$work/up/logs"

port=$(perl -MIO::Socket::INET -e \
    'my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1");
     print $s->sockport')

cat >"$work/nginx.conf" <<CONF
load_module $so;
master_process off;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    client_body_buffer_size 128k;
    upstream backend { server 127.0.0.1:$port; keepalive 8; }
    server {
        listen 127.0.0.1:$((port + 1));
        location / {
            proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_pass http://backend;
        }
    }
    server {
        listen 127.0.0.1:$((port + 2));
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

# the stand-in upstream: its own NGINX, outside callgrind
cat >"$work/up/nginx.conf" <<CONF
master_process off;
daemon on;
pid $work/up/nginx.pid;
error_log $work/up/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/up/body;
    server {
        listen 127.0.0.1:$port;
        location / { return 200 '{"id":"x","usage":{"prompt_tokens":1}}'; }
    }
}
CONF
/usr/sbin/nginx -p "$work/up" -c "$work/up/nginx.conf"

cat >"$work/client.pl" <<'PERL'
use strict;
use warnings;
use IO::Socket::INET;

my ($port, $file, $n) = @ARGV;
open my $f, '<', $file or die "$file: $!";
my $body = do { local $/; <$f> };
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or die $!;
my $req = "POST /openai/deployments/chat-prod/chat/completions"
    . "?api-version=2024-10-21 HTTP/1.1\r\nHost: bench\r\n"
    . "Content-Type: application/json\r\n"
    . "Content-Length: " . length($body) . "\r\n\r\n$body";

for (1 .. $n) {
    print $s $req;
    my $buf = '';
    while ($buf !~ /\r\n\r\n/) {
        sysread($s, $buf, 65536, length $buf) or die "closed";
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    $head =~ /^HTTP\/1.1 200/ or die "not 200: $head";
    my ($len) = $head =~ /Content-Length: (\d+)/i;
    while (length $rest < $len) {
        sysread($s, $rest, 65536, length $rest) or die "closed";
    }
}
PERL

valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    --toggle-collect=ngx_process_events_and_timers \
    /usr/sbin/nginx -p "$work" -c "$work/nginx.conf" \
    >"$work/valgrind.log" 2>&1 &

# NGINX under valgrind starts slowly on a loaded machine: up to 60 s, then
# fail with its logs (a port taken by another process shows there)
up=0
for _ in $(seq 300); do
    if perl -MIO::Socket::INET -e \
        "exit !IO::Socket::INET->new('127.0.0.1:$((port + 2))')"; then
        up=1
        break
    fi
    sleep 0.2
done
if ((!up)); then
    echo "callgrind.sh: NGINX did not start on ports $port-$((port + 2))" >&2
    tail -5 "$work/valgrind.log" "$work/logs/error.log" >&2 || true
    exit 1
fi

measure() {
    local p=$1 body=$2 out
    # a request that is not answered 200 ends the run: counting denials
    # would measure another path
    perl "$work/client.pl" "$p" "$body" 20 || exit 1    # warm up
    callgrind_control -z "$(cat "$work/nginx.pid")" >/dev/null 2>&1
    perl "$work/client.pl" "$p" "$body" "$n" || exit 1
    callgrind_control -d "$(cat "$work/nginx.pid")" >/dev/null 2>&1
    out=$(ls -v "$work"/cg.out.* | tail -1)
    if [[ -n ${CG_KEEP:-} ]]; then
        mkdir -p "$CG_KEEP"
        cp "$out" "$CG_KEEP/cg.$p.${body##*/}"
    fi
    callgrind_annotate "$out" 2>/dev/null \
        | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}

printf '%-22s %14s %14s %12s\n' body "plain instr/req" "azoai instr/req" "extra"
for body in chat-1k-clean.json chat-4k-pii.json chat-64k-pii.json; do
    plain=$(measure $((port + 1)) "$bodies/$body")
    azoai=$(measure $((port + 2)) "$bodies/$body")
    printf '%-22s %14d %14d %11.0f%%\n' "$body" $((plain / n)) \
        $((azoai / n)) "$(echo "($azoai - $plain) * 100 / $plain" | bc -l)"
    if [[ -n ${CG_RESULTS:-} ]]; then
        echo "$body $((plain / n)) $((azoai / n))" >>"$CG_RESULTS"
    fi
done
