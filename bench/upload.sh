#!/usr/bin/env bash
# File upload benchmark: a fine-tuning JSONL of SIZE_MB (default 100) MB,
# 1% of its lines holding an e-mail address, uploaded as multipart to
# /openai/v1/files through one NGINX worker, plain proxy_pass against the
# module with azoai_pii on (the file masked end to end); the body is
# spooled to a temp file (client_body_buffer_size 16k).  Prints, per
# variant, the median MB/s over ROUNDS uploads and the worker's peak RSS
# growth (VmHWM after the uploads minus VmRSS before them).  Goals of
# issue 12: >= 300 MB/s, <= 16 MB growth.
#
# usage: upload.sh MODULE_SO [SIZE_MB] [ROUNDS]
set -euo pipefail

so=${1:?usage: upload.sh MODULE_SO [SIZE_MB] [ROUNDS]}
size_mb=${2:-100}
rounds=${3:-3}
. "$(dirname "$0")/lib.sh"
bench_workdir upload

# the file: fixed content, every 100th line with PII; the envelope
perl -e '
    my ($mb, $out) = @ARGV;
    open my $f, ">:raw", $out or die "$out: $!";
    my $b = "----azoaiBench";
    print $f "--$b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n"
        . "\r\nfine-tune\r\n--$b\r\nContent-Disposition: form-data; "
        . "name=\"file\"; filename=\"train.jsonl\"\r\nContent-Type: "
        . "application/octet-stream\r\n\r\n";
    my ($n, $len) = (0, 0);
    while ($len < $mb * 1024 * 1024) {
        $n++;
        my $who = $n % 100 ? "the customer" : "jane.doe$n\@example.com";
        my $l = qq({"messages":[{"role":"system","content":"You are a )
            . qq(helpful assistant."},{"role":"user","content":"Line $n: )
            . qq(please summarise the ticket opened by $who about the )
            . qq(delayed order."},{"role":"assistant","content":"The )
            . qq(order was delayed by the carrier; a refund is on its )
            . qq(way."}]}\n);
        print $f $l;
        $len += length $l;
    }
    print $f "\r\n--$b--\r\n";
' "$size_mb" "$work/upload.body"
bytes=$(stat -c %s "$work/upload.body")
ctype='multipart/form-data; boundary=----azoaiBench'

cat >"$work/nginx.conf" <<CONF
load_module $so;
worker_processes 1;
error_log $work/logs/error.log warn;
pid $work/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    client_body_buffer_size 16k;
    client_max_body_size 1g;
    server {
        listen 127.0.0.1:19110;
        location / { return 200 '{"id":"file-1"}'; }
    }
    server {
        listen 127.0.0.1:19111;
        location / { proxy_pass http://127.0.0.1:19110; }
    }
    server {
        listen 127.0.0.1:19112;
        location / {
            azoai on;
            azoai_pii on;
            azoai_max_body_size 1024m;
            proxy_pass http://127.0.0.1:19110;
        }
    }
}
CONF

bench_start "$work/nginx.conf"
bench_wait_port 19112

kb() { bench_worker_kb "$1"; }

median() { bench_median; }

echo "file: $bytes bytes (multipart), 1% of lines with an e-mail address"

for port in 19111 19112; do
    name=$([[ $port == 19111 ]] && echo "plain proxy_pass" \
                                || echo "azoai_pii on    ")
    # a fresh worker for each variant, so that its peak is its own
    kill -HUP "$(cat "$work/nginx.pid")"
    sleep 1
    rss0=$(kb VmRSS)
    for i in $(seq "$rounds"); do
        t=$(curl -s -o "$work/out" -w '%{time_total} %{http_code}' \
                 -H "Content-Type: $ctype" --data-binary @"$work/upload.body" \
                 "http://127.0.0.1:$port/openai/v1/files")
        [[ ${t#* } == 200 ]] || { echo "upload failed: $t"; \
                                  cat "$work/out"; exit 1; }
        echo "${t% *}"
    done >"$work/times"
    hwm=$(kb VmHWM)
    secs=$(median <"$work/times")
    echo "$name  $(echo "scale=1; $bytes / 1048576 / $secs" | bc) MB/s" \
         "(median of $rounds, $secs s)," \
         "worker peak RSS growth $(( hwm - rss0 )) KB"
done

bench_no_alerts
