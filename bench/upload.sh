#!/usr/bin/env bash
# File upload benchmark: a fine-tuning JSONL of SIZE_MB (default 100) MB,
# 1% of its lines holding an e-mail address, uploaded as multipart to
# /openai/v1/files through one NGINX worker, plain proxy_pass against the
# module with azoai_pii on (the file masked end to end); the body is
# spooled to a temp file (client_body_buffer_size 16k).  The stand-in
# upstream runs in its own NGINX and reads the whole body before it
# answers (bench_start_standin_reading), so that the measured worker is
# only the proxy and sends every byte on, as in production.  The uploads
# come from bench/upload-client.pl (the body sent from memory in 1 MB
# writes over one keep-alive connection): curl tops out at ~207 MB/s on
# the 2-core bench VM, below the goal; the first two lines, curl and the
# client straight to the stand-in, are what each client and the loopback
# allow.  Prints, per variant, the median MB/s over ROUNDS uploads, the
# measured worker's CPU time per upload (user and system, from
# /proc/PID/stat), its peak RSS growth (VmHWM after the uploads minus
# VmRSS before them) and the bytes its system calls read and wrote per
# upload (/proc/PID/io: the client's socket, temp files, the upstream's
# socket; the figure that does not depend on the machine's load).
# Goals of issue 12: >= 300 MB/s, <= 16 MB growth.
#
# usage: upload.sh MODULE_SO [SIZE_MB] [ROUNDS]
set -euo pipefail

so=${1:?usage: upload.sh MODULE_SO [SIZE_MB] [ROUNDS]}
size_mb=${2:-100}
rounds=${3:-3}
. "$(dirname "$0")/lib.sh"
bench_workdir upload

# the file: fixed content, every 100th line with PII; the envelope
perl "$(dirname "$0")/gen-upload.pl" "$size_mb" "$work/upload.body" >/dev/null
bytes=$(stat -c %s "$work/upload.body")
ctype='multipart/form-data; boundary=----azoaiBench'

read -r up plain module <<<"$(bench_free_ports 3)"
bench_start_standin_reading "$up" '{"id":"file-1"}'

cat >"$work/nginx.conf" <<CONF
load_module $so;
worker_processes 1;
error_log $work/logs/error.log warn;
pid $work/nginx.pid;
events { worker_connections 64; }
$(bench_conf_upload_http "$plain" "$module" "$up")
CONF

bench_start "$work/nginx.conf"
bench_wait_port "$module"

echo "file: $bytes bytes (multipart), 1% of lines with an e-mail address"

# ROUNDS uploads to PORT from bench/upload-client.pl; their times, one a
# line, into $work/times
uploads() {
    perl "$(dirname "$0")/upload-client.pl" "$1" "$work/upload.body" \
         "$rounds" "$ctype" >"$work/times"
}

# the same with curl, which reads the file in 64 KB pieces
uploads_curl() {
    local i t
    for i in $(seq "$rounds"); do
        t=$(curl -s -o "$work/out" -w '%{time_total} %{http_code}' \
                 -H "Content-Type: $ctype" --data-binary @"$work/upload.body" \
                 "http://127.0.0.1:$1/openai/v1/files")
        [[ ${t#* } == 200 ]] || { echo "upload failed: $t" >&2; \
                                  cat "$work/out" >&2; exit 1; }
        echo "${t% *}"
    done >"$work/times"
}

mbs() {
    echo "scale=1; $bytes / 1048576 / $1" | bc
}

uploads_curl "$up"
secs=$(bench_median <"$work/times")
echo "curl to the stand-in   $(mbs "$secs") MB/s (median of $rounds," \
     "$secs s), no proxy"
uploads "$up"
secs=$(bench_median <"$work/times")
echo "client to the stand-in $(mbs "$secs") MB/s (median of $rounds," \
     "$secs s), no proxy"

hz=$(getconf CLK_TCK)

for port in "$plain" "$module"; do
    name=$([[ $port == "$plain" ]] && echo "plain proxy_pass    " \
                                   || echo "azoai_pii on        ")
    # a fresh worker for each variant, so that its peak is its own
    kill -HUP "$(cat "$work/nginx.pid")"
    sleep 1
    rss0=$(bench_worker_kb VmRSS)
    read -r u0 s0 <<<"$(bench_worker_ticks)"
    read -r r0 w0 <<<"$(bench_worker_io)"
    uploads "$port"
    read -r u1 s1 <<<"$(bench_worker_ticks)"
    read -r r1 w1 <<<"$(bench_worker_io)"
    hwm=$(bench_worker_kb VmHWM)
    secs=$(bench_median <"$work/times")
    echo "$name $(mbs "$secs") MB/s (median of $rounds, $secs s)," \
         "worker CPU per upload" \
         "user $(( (u1 - u0) * 1000 / hz / rounds )) ms" \
         "system $(( (s1 - s0) * 1000 / hz / rounds )) ms," \
         "peak RSS growth $(( hwm - rss0 )) KB;" \
         "read $(( (r1 - r0) / rounds / 1048576 )) MB," \
         "written $(( (w1 - w0) / rounds / 1048576 )) MB per upload"
done

bench_no_alerts
