#!/usr/bin/env bash
# azoai_pii_restore and azoai_pii_response on responses (issue 13):
#  1. time to first byte and to the last byte of a streamed chat
#     completion of 2,000 events carrying pseudonyms, through plain
#     proxy_pass, the module without restore, and the module restoring
#     (read from the socket by bench/first-byte.pl, medians of RUNS
#     requests each); then the time to first byte with an upstream that
#     pauses PAUSE_MS after its first event (which carries a pseudonym),
#     module restoring against plain proxy_pass;
#  2. user-space instructions per event that restoring adds (callgrind,
#     repeatable);
#  3. the bytes held back at most per stream (debug log) and the worker's
#     RSS growth over the runs;
#  4. a 64 KB JSON completion with response masking on: requests/s and
#     instructions per request against plain proxy_pass.
# The upstream is a second server of the same NGINX serving static files.
#
# The 64 KB JSON rows are printed twice: the completion whose text holds an
# address every ~230 bytes (~290 values) and the same completion around the
# text of chat-64k-pii.json (40 values of five kinds, issue 18's density).
#
# usage: restore.sh MODULE_SO
#        (RUNS=200 BENCH_SECONDS=5 BENCH_ROUNDS=3 CG_STREAMS=20 PAUSE_MS=50
#         SECTIONS="stream json rss cg-stream cg-json": any of them)
#   CG_KEEP=DIR keeps each callgrind profile as DIR/cg.PORT.KIND
#   CG_RESULTS=FILE also writes "NAME PLAIN MODULE" (instructions) per
#   line: restore-json40 and restore-json290 per response (cg-json),
#   restore-event and restore-mask-event per event (cg-stream; PLAIN is
#   the module without restore), for bench/check.sh
set -euo pipefail

so=$(realpath "${1:?usage: restore.sh MODULE_SO}")
runs=${RUNS:-200}
secs=${BENCH_SECONDS:-5}
streams=${CG_STREAMS:-20}
pause_ms=${PAUSE_MS:-50}
events=2000
sections=" ${SECTIONS:-stream json rss cg-stream cg-json} "
want() { [[ $sections == *" $1 "* ]]; }
. "$(dirname "$0")/lib.sh"
bench_workdir restore
mkdir -p "$work/up"

read -r -a ports <<<"$(bench_free_ports 8)"
port=${ports[0]}
p() { echo "${ports[$1]}"; }

# the request: one e-mail address, minted as [EMAIL_1]
body='{"messages":[{"role":"user","content":"Write to ann@example.com"}]}'
printf '%s' "$body" >"$work/body.json"

# the stream: 2,000 chat completion chunks of 3 to 12 bytes of text, a
# "[EMAIL_1]" in every 10th event, split across two events in every 50th;
# the JSON: 64 KB of text with an e-mail address every 2 KB
perl - "$work/up" "$events" <<'PERL'
my ($dir, $n) = @ARGV;
my @w = qw(the model writes to you about it and then some more text here);
open my $s, '>', "$dir/stream.sse" or die $!;
for my $i (1 .. $n) {
    my $t = $w[$i % @w] . ' ';
    $t .= '[EMAIL_1] ' if $i % 10 == 0;
    $t = 'to [EMA' if $i % 50 == 0;
    $t = 'IL_1] ' . $t if $i % 50 == 1 && $i > 1;
    print $s 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk",'
        . '"created":1,"model":"gpt-4o","choices":[{"index":0,"delta":'
        . '{"content":"' . $t . '"},"finish_reason":null}]}' . "\n\n";
}
print $s "data: [DONE]\n\n";
close $s;
my $text = '';
my $k = 0;
while (length $text < 64 * 1024 - 200) {
    $text .= ($k++ % 40 == 39) ? 'write to bob' . $k . '@example.org ' :
             $w[$k % @w] . ' ';
}
open my $j, '>', "$dir/completion.json" or die $!;
print $j '{"id":"chatcmpl-1","object":"chat.completion","created":1,'
    . '"model":"gpt-4o","choices":[{"index":0,"finish_reason":"stop",'
    . '"message":{"role":"assistant","content":"' . $text . '"}}],'
    . '"usage":{"prompt_tokens":5,"completion_tokens":9000,'
    . '"total_tokens":9005}}';
close $j;
PERL
# the same completion around the text of the request benchmarks' 64 KB
# body (chat-64k-pii.json: 40 values of five kinds in Latin filler, the
# density of issue 18's table) in place of the ~290 addresses above
bench_bodies
perl - "$bodies/chat-64k-pii.json" "$work/up/completion40.json" <<'PERL'
use JSON::PP;
my ($in, $out) = @ARGV;
my $b = do { local $/; open my $f, '<', $in or die $!; <$f> };
my $text = decode_json($b)->{messages}[-1]{content};
$text = JSON::PP->new->ascii->allow_nonref->encode($text);
open my $j, '>', $out or die $!;
print $j '{"id":"chatcmpl-1","object":"chat.completion","created":1,'
    . '"model":"gpt-4o","choices":[{"index":0,"finish_reason":"stop",'
    . '"message":{"role":"assistant","content":' . $text . '}}],'
    . '"usage":{"prompt_tokens":5,"completion_tokens":9000,'
    . '"total_tokens":9005}}';
close $j;
PERL

conf() {
    local master=$1 level=$2 bufs=${3:-}
    cat <<CONF
load_module $so;
master_process $master;
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log $level;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    upstream backend { server 127.0.0.1:$port; keepalive 8; }
    server {
        listen 127.0.0.1:$port;
        root $work/up;
        location / {
            if (\$http_x_bench = json) {
                rewrite ^ /json last;
            }
            if (\$http_x_bench = json40) {
                rewrite ^ /json40 last;
            }
            types { }
            default_type text/event-stream;
            try_files /stream.sse =404;
        }
        location = /json {
            types { }
            default_type application/json;
            try_files /completion.json =404;
        }
        location = /json40 {
            types { }
            default_type application/json;
            try_files /completion40.json =404;
        }
    }
    # plain proxy_pass; the module without restore; with restore; with
    # response masking ($bufs: see section 4)
    server {
        listen 127.0.0.1:$(p 1);
        $bufs
        proxy_http_version 1.1; proxy_set_header Connection "";
        proxy_method GET;
        location / { proxy_pass http://backend; }
    }
    server {
        listen 127.0.0.1:$(p 2);
        azoai_deployment chat-prod gpt-5.1 2025-11-13;
        azoai on; azoai_pii on; azoai_pii_action pseudonym;
        proxy_http_version 1.1; proxy_set_header Connection "";
        proxy_method GET;
        location / { proxy_pass http://backend; }
    }
    server {
        listen 127.0.0.1:$(p 3);
        azoai_deployment chat-prod gpt-5.1 2025-11-13;
        azoai on; azoai_pii on; azoai_pii_action pseudonym;
        azoai_pii_restore on;
        proxy_http_version 1.1; proxy_set_header Connection "";
        proxy_method GET;
        location / { proxy_pass http://backend; }
    }
    # plain and restoring, in front of the upstream that pauses (with
    # proxy_buffering on, NGINX keeps a part-filled buffer until it fills
    # or the upstream ends, whatever the filters do: streams run with it
    # off)
    upstream pauser { server 127.0.0.1:$(p 7); }
    server {
        listen 127.0.0.1:$(p 5);
        proxy_buffering off;
        location / { proxy_pass http://pauser; }
    }
    server {
        listen 127.0.0.1:$(p 6);
        azoai_deployment chat-prod gpt-5.1 2025-11-13;
        azoai on; azoai_pii on; azoai_pii_action pseudonym;
        azoai_pii_restore on;
        proxy_buffering off;
        location / { proxy_pass http://pauser; }
    }
    server {
        listen 127.0.0.1:$(p 4);
        azoai_deployment chat-prod gpt-5.1 2025-11-13;
        azoai on; azoai_pii on; azoai_pii_action pseudonym;
        azoai_pii_restore on; azoai_pii_response on;
        $bufs
        proxy_http_version 1.1; proxy_set_header Connection "";
        proxy_method GET;
        location / { proxy_pass http://backend; }
    }
}
CONF
}

start() {
    "$@" >"$work/run.log" 2>&1 &
    bench_wait_port "$(p 4)"
}

stop() { bench_stop; }

path=/openai/deployments/chat-prod/chat/completions?api-version=2024-10-21
url() { echo "http://127.0.0.1:$1$path"; }

median() { bench_median; }
jname() {
    case $1 in
    json) echo "~290 e-mail addresses" ;;
    json40) echo "chat-64k-pii.json's text, 40 values" ;;
    esac
}

# --- 1. time to first byte, to the last byte -------------------------------

conf on "warn" >"$work/nginx.conf"
start nginx -p "$work" -c "$work/nginx.conf"

if want stream; then
check=$(curl -s --data-binary @"$work/body.json" \
             -H 'Content-Type: application/json' "$(url $(p 3))")
if [[ $check != *ann@example.com* || $check == *EMAIL_1* ]]; then
    echo "the restore server did not restore" >&2
    exit 1
fi

echo "== a streamed completion of $events events through the module," \
     "medians of $runs requests (ms)"
printf '%-34s %10s %10s %12s\n' variant "first byte" "last byte" \
    "per event"
# by_turns WARMUP V...: WARMUP + $runs requests to each variant V (a port
# index) by turns, read from the socket (bench/first-byte.pl: not curl,
# whose first-byte time moves with the rest of the response);
# $work/last.V holds "first-byte last-byte" (seconds) of the last $runs
by_turns() {
    local warmup=$1 v vars=()
    shift
    for v in "$@"; do
        vars+=("$v=$(p "$v")")
    done
    perl "$(dirname "$0")/first-byte.pl" "$work/body.json" "$path" \
        "$warmup" "$runs" "$work" "${vars[@]}"
}

# paired_ms A B: the median of each first byte of variant B less the one of
# variant A in the same turn (ms)
paired_ms() {
    paste -d' ' "$work/last.$1" "$work/last.$2" \
        | awk '{ print ($3 - $1) * 1000 }' | median
}

declare -A ttfb total
by_turns 20 1 2 3
for v in 1 2 3; do
    ttfb[$v]=$(awk '{ print $1 * 1000 }' "$work/last.$v" | median)
    total[$v]=$(awk '{ print $2 * 1000 }' "$work/last.$v" | median)
done
paired=$(paired_ms 1 3)
name=([1]="plain proxy_pass" [2]="module, no restore"
      [3]="module, azoai_pii_restore on")
for v in 1 2 3; do
    printf '%-34s %10.3f %10.3f %12s\n' "${name[$v]}" "${ttfb[$v]}" \
        "${total[$v]}" \
        "$(echo "(${total[$v]} - ${total[2]}) * 1000 / $events" | bc -l \
           | xargs printf '%.2f us')"
done
printf 'restore adds %.3f ms to the first byte against the module without' \
    "$(echo "${ttfb[3]} - ${ttfb[2]}" | bc -l)"
printf ' it, %.3f ms against plain proxy_pass (medians), %.3f ms (median' \
    "$(echo "${ttfb[3]} - ${ttfb[1]}" | bc -l)" "$paired"
printf ' of the paired differences; goal < 0.1 ms)\n'

# --- 1b. time to first byte, an upstream that pauses after its first event -

# the stream's first event (with a pseudonym), a pause, then the rest;
# HTTP/1.0 framing (the end is the close).  One connection after the
# other in one process: the requests below come one at a time, and a
# fork per connection added milliseconds of noise to every first byte
perl - "$(p 7)" "$work/up/stream.sse" "$pause_ms" "$work/pauser.pid" \
    >/dev/null 2>&1 <<'PERL' &
use IO::Socket::INET;
use Time::HiRes qw(usleep);
my ($port, $file, $ms, $pidfile) = @ARGV;
my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$port", Listen => 64,
                              ReuseAddr => 1) or die $!;
open my $pf, '>', $pidfile or die $!; print $pf "$$\n"; close $pf;
my $first = 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk",'
    . '"created":1,"model":"gpt-4o","choices":[{"index":0,"delta":'
    . '{"content":"Hello [EMAIL_1], "},"finish_reason":null}]}' . "\n\n";
my $rest = do { local $/; open my $f, '<', $file or die $!; <$f> };
while (my $c = $l->accept) {
    my ($h, $len) = ('', 0);
    $h .= $_ while defined($_ = <$c>) && $_ ne "\r\n";
    $len = $1 if $h =~ /^content-length:\s*(\d+)/im;
    read $c, my $body, $len if $len;
    $c->autoflush(1);
    print $c "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
        . $first;
    usleep($ms * 1000);
    print $c $rest;
    close $c;
}
PERL
for _ in $(seq 50); do
    [[ -s $work/pauser.pid ]] && break
    sleep 0.1
done

echo
echo "== time to first byte, an upstream that pauses ${pause_ms} ms after" \
     "its first event, $runs requests each, plain and module by turns (ms)"
declare -A first
by_turns 10 5 6
for v in 5 6; do
    first[$v]=$(awk '{ print $1 * 1000 }' "$work/last.$v" | median)
done
paired=$(paired_ms 5 6)
check=$(curl -s --data-binary @"$work/body.json" \
             -H 'Content-Type: application/json' "$(url $(p 6))")
if [[ $check != *"Hello ann@example.com"* ]]; then
    echo "the pausing stream was not restored" >&2
    exit 1
fi
printf '%-34s %10.3f\n' "plain proxy_pass" "${first[5]}" \
    "module, azoai_pii_restore on" "${first[6]}"
printf 'restore adds %.3f ms to the first byte (medians), %.3f ms' \
    "$(echo "${first[6]} - ${first[5]}" | bc -l)" "$paired"
printf ' (median of the paired differences; goal < 0.1 ms)\n'
fi

# --- 4. a 64 KB JSON completion, response masking, req/s -------------------

# one wrk round on PORT: req/s, the worker's CPU time (user + system,
# /proc/PID/stat) per response in microseconds, its page faults per
# response.  The worker's time is what the module adds to a deployment
# whatever else runs on the host; req/s here also carry wrk's share of
# two cores.
json_round() {
    local s0 s1 out
    s0=$(bench_worker_usage)
    out=$(wrk -t1 -c8 -d"${secs}s" -s "$work/post.lua" "$(url "$1")" \
              2>/dev/null)
    s1=$(bench_worker_usage)
    echo "$(echo "$out" | awk '/Requests\/sec/ { print $2 }')" \
         "$(bench_usage_per "$s0" "$s1" \
               "$(echo "$out" | awk '/requests in/ { print $1 }')")"
}

# The two servers compared have room for the 64 KB completion in memory
# (proxy_buffers 16 16k): with the default 8 x 4 KB, plain proxy_pass
# writes what the client has not read yet to a temp file and its req/s
# swing twofold from round to round.  The callgrind rows (section 2)
# keep the default: callgrind counts a copy that glibc makes with "rep
# movsb" (over 4 KB) as one instruction per byte, and the same copies in
# 16 KB pieces counted 4.3 times as many instructions (73.6k against
# 17.1k per response) as in 4 KB ones.
if want json; then
stop
conf on "warn" "proxy_buffers 16 16k;" >"$work/nginx.conf"
start nginx -p "$work" -c "$work/nginx.conf"
for kind in json json40; do
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Bench"] = "$kind"
wrk.body = '$body'
LUA
echo
echo "== a 64 KB JSON completion ($(jname $kind)) with" \
     "azoai_pii_response on: req/s, wrk ${secs}s, 8 connections"
curl -s --data-binary @"$work/body.json" -H 'Content-Type: application/json' \
     -H "X-Bench: $kind" "$(url $(p 4))" | grep -q '\[EMAIL\]' || {
    echo "the masking server did not mask" >&2; exit 1; }
for ((round = 1; round <= ${BENCH_ROUNDS:-3}; round++)); do
    read -r p pcpu pflt <<<"$(json_round "$(p 1)")"
    read -r m mcpu mflt <<<"$(json_round "$(p 4)")"
    printf 'round %d: req/s plain %6.0f masking %6.0f ratio %.2f' \
        "$round" "$p" "$m" "$(echo "$m / $p" | bc -l)"
    printf ' (goal >= 0.80); worker us/response %.0f / %.0f ratio %.2f;' \
        "$pcpu" "$mcpu" "$(echo "$pcpu / $mcpu" | bc -l)"
    printf ' page faults/response %.2f / %.2f\n' "$pflt" "$mflt"
done
done
fi

stop

# --- 3. bytes held back, RSS -------------------------------------------------

want rss || want cg-stream || want cg-json || exit 0
conf on "debug" >"$work/nginx.conf"
start nginx -p "$work" -c "$work/nginx.conf"
if want rss; then
worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)
rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$worker/status")
for _ in $(seq 100); do
    curl -s -o /dev/null --data-binary @"$work/body.json" \
         -H 'Content-Type: application/json' "$(url $(p 3))"
done
rss1=$(awk '/VmRSS/ { print $2 }' "/proc/$worker/status")
echo
echo "== memory per stream"
grep -o 'pseudonyms restored, [0-9]* bytes held back at most' \
    "$work/logs/error.log" | sort | uniq -c | sort -rn | head -3
echo "worker RSS: $rss0 kB before 100 streams, $rss1 kB after"
fi
stop

# --- 2. instructions per event, per 64 KB JSON response --------------------

conf off "warn" >"$work/nginx.conf"
bench_start_callgrind "$work/nginx.conf"
bench_wait_port "$(p 4)"

# measure URL N [X-Bench value]
measure() {
    local u=$1 n=$2 kind=${3:-sse} out port
    for _ in 1 2 3; do
        curl -s -o /dev/null --data-binary @"$work/body.json" \
             -H 'Content-Type: application/json' -H "X-Bench: $kind" "$u"
    done
    callgrind_control -z "$(cat "$work/nginx.pid")" >/dev/null 2>&1
    for _ in $(seq "$n"); do
        curl -s -o /dev/null --data-binary @"$work/body.json" \
             -H 'Content-Type: application/json' -H "X-Bench: $kind" "$u"
    done
    callgrind_control -d "$(cat "$work/nginx.pid")" >/dev/null 2>&1
    out=$(ls -v "$work"/cg.out.* | tail -1)
    if [[ -n ${CG_KEEP:-} ]]; then
        port=${u#http://127.0.0.1:}
        mkdir -p "$CG_KEEP"
        cp "$out" "$CG_KEEP/cg.${port%%/*}.$kind"
    fi
    bench_cg_total "$out"
}

want cg-stream || want cg-json || exit 0
if want cg-stream; then
echo
echo "== user-space instructions (callgrind), $streams streams of" \
     "$events events"
s1=$(measure "$(url $(p 1))" "$streams")
s2=$(measure "$(url $(p 2))" "$streams")
s3=$(measure "$(url $(p 3))" "$streams")
s4=$(measure "$(url $(p 4))" "$streams")
printf '%-40s %14d %10.0f\n' "plain proxy_pass, per stream" \
    $((s1 / streams)) "$(echo "$s1 / $streams / $events" | bc -l)"
printf '%-40s %14d %10.0f\n' "module, no restore, per stream" \
    $((s2 / streams)) "$(echo "$s2 / $streams / $events" | bc -l)"
printf '%-40s %14d %10.0f\n' "module, restore, per stream" \
    $((s3 / streams)) "$(echo "$s3 / $streams / $events" | bc -l)"
printf '%-40s %14d %10.0f\n' "module, restore + masking, per stream" \
    $((s4 / streams)) "$(echo "$s4 / $streams / $events" | bc -l)"
printf 'restore adds %.0f instructions per event; response masking %.0f more\n' \
    "$(echo "($s3 - $s2) / $streams / $events" | bc -l)" \
    "$(echo "($s4 - $s3) / $streams / $events" | bc -l)"
if [[ -n ${CG_RESULTS:-} ]]; then
    echo "restore-event $((s2 / streams / events))" \
         "$((s3 / streams / events))" >>"$CG_RESULTS"
    echo "restore-mask-event $((s2 / streams / events))" \
         "$((s4 / streams / events))" >>"$CG_RESULTS"
fi

fi

want cg-json && for kind in json json40; do
    j1=$(measure "$(url $(p 1))" "$streams" $kind)
    j4=$(measure "$(url $(p 4))" "$streams" $kind)
    printf '64 KB JSON, %s: plain %d, masking %d instructions per' \
        "$(jname $kind)" $((j1 / streams)) $((j4 / streams))
    printf ' request (%.2fx)\n' "$(echo "$j4 / $j1" | bc -l)"
    if [[ -n ${CG_RESULTS:-} ]]; then
        echo "restore-$([[ $kind = json ]] && echo json290 || echo $kind)" \
             "$((j1 / streams)) $((j4 / streams))" >>"$CG_RESULTS"
    fi
done
kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
# the pausing upstream of section 1b serves until it is killed: waiting
# for it hung the script (and `make bench`) after its last figure
if [[ -s $work/pauser.pid ]]; then
    kill "$(cat "$work/pauser.pid")" 2>/dev/null || true
fi
wait
