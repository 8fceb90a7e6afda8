#!/usr/bin/env bash
# File uploads under callgrind: the fine-tuning JSONL of bench/upload.sh
# (SIZE_MB, default 10, 1% of its lines with an e-mail address, spooled
# with client_body_buffer_size 16k) uploaded once through plain
# proxy_pass and once through the module with azoai_pii on, in one NGINX
# process under callgrind; prints the user-space instructions per upload
# and per JSONL line of each.  The figure that repeats run after run on a
# shared machine, where MB/s and CPU ticks of bench/upload.sh vary by
# tens of percent; kernel time (reading and writing temp files, sockets)
# is not counted.  The stand-in upstream reads the body, outside
# callgrind.
#
# usage: upload-cg.sh MODULE_SO [SIZE_MB]
#   CG_KEEP=DIR keeps the module's profile as DIR/cg.upload
#   PURPOSE=batch uploads a batch file instead (bench/gen-upload.pl): the
#   same messages in requests to deployment chat-prod, each line judged
#   (its url and body.model) and masked
set -euo pipefail

so=$(realpath "${1:?usage: upload-cg.sh MODULE_SO [SIZE_MB]}")
size_mb=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_workdir upcg

purpose=${PURPOSE:-fine-tune}
lines=$(perl "$here/gen-upload.pl" "$size_mb" "$work/upload.body" \
             "$purpose")
ctype='multipart/form-data; boundary=----azoaiBench'

read -r up plain module <<<"$(bench_free_ports 3)"
bench_start_standin_reading "$up" '{"id":"file-1"}'

cat >"$work/nginx.conf" <<CONF
load_module $so;
master_process off;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 64; }
$(bench_conf_upload_http "$plain" "$module" "$up")
CONF

bench_start_callgrind "$work/nginx.conf"
bench_wait_port "$module"

# one upload to PORT, counted alone; prints its instructions
measure() {
    local code out
    callgrind_control -z "$(cat "$work/nginx.pid")" >/dev/null 2>&1
    code=$(curl -s -o "$work/answer" -w '%{http_code}' \
                -H "Content-Type: $ctype" \
                --data-binary @"$work/upload.body" \
                "http://127.0.0.1:$1/openai/v1/files")
    [[ $code == 200 ]] || { echo "upload failed: $code" >&2; \
                            cat "$work/answer" >&2; exit 1; }
    callgrind_control -d "$(cat "$work/nginx.pid")" >/dev/null 2>&1
    out=$(ls -v "$work"/cg.out.* | tail -1)
    if [[ -n ${CG_KEEP:-} && $1 == "$module" ]]; then
        mkdir -p "$CG_KEEP"
        cp "$out" "$CG_KEEP/cg.upload"
    fi
    bench_cg_total "$out"
}

echo "file: $(stat -c %s "$work/upload.body") bytes (multipart)," \
     "$lines JSONL lines ($purpose), 1% with an e-mail address"

for port in "$plain" "$module"; do
    name=$([[ $port == "$plain" ]] && echo "plain proxy_pass" \
                                   || echo "azoai_pii on    ")
    n=$(measure "$port")
    echo "$name $n instructions per upload, $(( n / lines )) per line"
done

bench_stop
bench_no_alerts
