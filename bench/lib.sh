# Shared setup of the bench scripts; sourced, not run:
#
#   here=$(cd "$(dirname "$0")" && pwd)
#   . "$here/lib.sh"
#
# bench_bodies             $bodies: BODIES, or those gen-bodies.pl writes
#                          into build/bench-bodies
# bench_workdir NAME       $work: a fresh temp dir (logs/ in it, readable
#                          by the workers), removed at exit after NGINX
#                          and the stand-in upstream are stopped (KEEP=1
#                          keeps it and leaves them running)
# bench_free_ports N       N free 127.0.0.1 ports, held together while
#                          they are picked (other benchmarks run too)
# bench_conf_main SO [DIRECTIVE...]
#                          the main context: load_module, the pid file and
#                          error log in $work (level BENCH_LOG_LEVEL, warn),
#                          the directives given, events{} (BENCH_CONNS)
# bench_conf_http [BUFFER] the http{} lines every benchmark has: no access
#                          log, temp paths in $work, the body buffer size
#                          (default 128k)
# bench_conf_backend PORT [KEEPALIVE]
#                          upstream "backend" at PORT (keepalive 8)
# bench_conf_pair PLAIN_LISTEN AZOAI_LISTEN
#                          the two servers every comparison has: plain
#                          proxy_pass to backend, and the same with the GA
#                          check and PII masking (deployment chat-prod);
#                          BENCH_PII=off: the GA check alone;
#                          BENCH_AZOAI: more directives for its location
#                          (e.g. "azoai_audit_headers off;")
# bench_conf_standin PORT [BODY [TYPE]]
#                          a server answering 200 with BODY (JSON with
#                          usage) to everything, as TYPE if given (NGINX's
#                          default, text/plain, otherwise)
# bench_conf_standin_reading PORT [BODY]
#                          the same, after reading the whole request body
#                          (in memory, as Azure does before it answers):
#                          the proxy then sends all of it, where `return`
#                          answers at once and the proxy stops sending
# bench_start_standin_reading PORT [BODY]
#                          that stand-in in its own NGINX, in $work/up
# bench_start_standin PORT [BODY]
#                          the stand-in upstream in its own NGINX, in
#                          $work/up, never measured with the gateway;
#                          BENCH_STANDIN_HTTP: more lines for its http{}
# bench_start CONF         starts NGINX on CONF (it daemonizes)
# bench_wait_port PORT     waits up to 60 s for PORT to accept (NGINX under
#                          valgrind starts slowly); fails with the logs
# bench_stop               stops the NGINX of $work/nginx.pid, waits for it
# bench_median             the median of numbers on stdin (spaces or lines)
# bench_worker_kb FIELD    a /proc status field (VmRSS, VmHWM) of the
#                          first worker, in kB
# bench_worker_ticks       the first worker's user and system CPU time,
#                          "UTIME STIME" in clock ticks (/proc/PID/stat)
# bench_worker_io          the bytes the first worker's system calls read
#                          and wrote, "RCHAR WCHAR" (/proc/PID/io:
#                          sockets and files alike)
# bench_no_alerts          fails when the error log has alert/crit/emerg
# bench_post PORT FILE N [KEYS [PATH]]
#                          N keep-alive POSTs of FILE (bench/client.pl);
#                          a non-200 answer ends the run
# bench_cg_total FILE      the program total of a callgrind profile

BENCH_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_PATH="/openai/deployments/chat-prod/chat/completions"
BENCH_PATH+="?api-version=2024-10-21"
BENCH_STANDIN_BODY='{"id":"x","usage":{"prompt_tokens":1}}'

bench_bodies() {
    if [[ -n ${BODIES:-} ]]; then
        bodies=$BODIES
    else
        bodies=$BENCH_LIB/../build/bench-bodies
        perl "$BENCH_LIB/gen-bodies.pl" "$bodies"
    fi
}

bench_cleanup() {
    local f
    [[ -n ${KEEP:-} ]] && { echo "files kept in $work" >&2; return; }
    for f in "$work"/*.pid "$work"/up/*.pid; do   # NGINXes, upstreams
        [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true
    done
    sleep 0.5
    rm -rf "$work"
}

bench_workdir() {
    work=$(mktemp -d -t "azoai-$1.XXXXXX")
    trap bench_cleanup EXIT
    chmod 755 "$work"   # the workers run as nobody when this runs as root
    mkdir -p "$work/logs"
}

bench_free_ports() {
    perl -MIO::Socket::INET -e \
        'print join " ", map { $_->sockport } map {
             IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1")
         } 1 .. $ARGV[0]' "$1"
}

bench_conf_main() {
    local so=$1
    shift
    echo "load_module $so;"
    [[ $# -gt 0 ]] && printf '%s\n' "$@"
    echo "pid $work/nginx.pid;"
    echo "error_log $work/logs/error.log ${BENCH_LOG_LEVEL:-warn};"
    echo "events { worker_connections ${BENCH_CONNS:-64}; }"
}

bench_conf_http() {
    cat <<CONF
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    client_body_buffer_size ${1:-128k};
CONF
}

bench_conf_backend() {
    echo "    upstream backend { server 127.0.0.1:$1; keepalive ${2:-8}; }"
}

bench_conf_pair() {
    cat <<CONF
    server {
        listen 127.0.0.1:$1;
        location / {
            proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_pass http://backend;
        }
    }
    server {
        listen 127.0.0.1:$2;
        azoai_deployment chat-prod gpt-5.1 2025-11-13;
        location / {
            azoai on;
            azoai_pii ${BENCH_PII:-on};
            ${BENCH_AZOAI:-}
            proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_pass http://backend;
        }
    }
CONF
}

bench_conf_standin() {
    echo "    server {"
    echo "        listen 127.0.0.1:$1;"
    [[ -n ${3:-} ]] && echo "        default_type $3;"
    echo "        location / { return 200 '${2:-$BENCH_STANDIN_BODY}'; }"
    echo "    }"
}

bench_conf_standin_reading() {
    cat <<CONF
    server {
        listen 127.0.0.1:$1;
        client_max_body_size 0;
        client_body_buffer_size 1024m;
        location / {
            # the mirror module reads the body first; the static module
            # then refuses the POST, and the answer is the error page
            mirror /azoai-bench-read;
            mirror_request_body on;
            error_page 404 405 =200 @answer;
        }
        location = /azoai-bench-read { internal; return 204; }
        location @answer { return 200 '${2:-$BENCH_STANDIN_BODY}'; }
    }
CONF
}

# the stand-in upstream in its own NGINX (one process, not measured):
# $1 the port, then what the server block writer takes; the writer is
# bench_conf_standin, or bench_conf_standin_reading for the _reading form
bench_start_standin_with() {
    local conf=$1
    shift
    mkdir -p "$work/up/logs"
    cat >"$work/up/nginx.conf" <<CONF
master_process off;
daemon on;
pid $work/up/nginx.pid;
error_log $work/up/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/up/body;
${BENCH_STANDIN_HTTP:-}
$("$conf" "$@")
}
CONF
    /usr/sbin/nginx -p "$work/up" -c "$work/up/nginx.conf"
    bench_wait_port "$1"
}

bench_start_standin() {
    bench_start_standin_with bench_conf_standin "$@"
}

bench_start_standin_reading() {
    bench_start_standin_with bench_conf_standin_reading "$@"
}

# NGINX with conf $1 under callgrind (instructions counted only inside
# its event loop; profile $work/cg.out, dumps with callgrind_control).
# Names are written uncompressed: a dump after callgrind_control -z is a
# later "part" that would otherwise refer to names defined only in part 1,
# and callgrind_annotate on a kept profile showed nothing but totals.
bench_start_callgrind() {
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
        --compress-strings=no --compress-pos=no \
        --toggle-collect=ngx_process_events_and_timers \
        /usr/sbin/nginx -p "$work" -c "$1" >"$work/valgrind.log" 2>&1 &
}

# the http{} of the upload benchmarks: a spooled body (16k buffer), plain
# proxy_pass on port $1, the module masking on port $2, upstream port $3
bench_conf_upload_http() {
    cat <<CONF
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    client_body_buffer_size 16k;
    client_max_body_size 1g;
    server {
        listen 127.0.0.1:$1;
        location / { proxy_pass http://127.0.0.1:$3; }
    }
    server {
        listen 127.0.0.1:$2;
        location / {
            azoai on;
            azoai_pii on;
            azoai_max_body_size 1024m;
            # the deployment the lines of PURPOSE=batch name
            azoai_deployment chat-prod gpt-5.1 2025-11-13;
            proxy_pass http://127.0.0.1:$3;
        }
    }
}
CONF
}

bench_start() {
    /usr/sbin/nginx -p "$work" -c "$1" -e "$work/logs/error.log"
}

bench_wait_port() {
    local _
    for _ in $(seq 300); do
        perl -MIO::Socket::INET -e \
            "exit !IO::Socket::INET->new('127.0.0.1:$1')" && return 0
        sleep 0.2
    done
    echo "$(basename "$0"): nothing listens on port $1" >&2
    tail -5 "$work"/*.log "$work/logs/error.log" >&2 || true
    exit 1
}

bench_stop() {
    local pid
    pid=$(cat "$work/nginx.pid")
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

bench_median() {
    tr ' ' '\n' | sed '/^$/d' | sort -g \
        | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

bench_worker_kb() {
    local w
    w=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)
    awk -v k="$1:" '$1 == k {print $2}' "/proc/$w/status"
}

# the worker's minor page faults and CPU ticks (user + system) so far
bench_worker_usage() {
    local w
    w=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)
    sed 's/.*) //' "/proc/$w/stat" | awk '{print $8, $12 + $13}'
}

# between two bench_worker_usage lines $1 and $2, over $3 requests: the
# worker's CPU microseconds and page faults per request
bench_usage_per() {
    awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN {
        split(a, x, " "); split(b, y, " ");
        printf "%.1f %.2f\n", (y[2] - x[2]) * 1e6 / hz / n, (y[1] - x[1]) / n
    }'
}

bench_worker_ticks() {
    local w
    w=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)
    # the fields after the command name, which may hold blanks
    sed 's/.*) //' "/proc/$w/stat" | awk '{print $12, $13}'
}

bench_worker_io() {
    local w
    w=$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)
    awk '$1 == "rchar:" {r = $2} $1 == "wchar:" {w = $2}
         END {print r, w}' "/proc/$w/io"
}

bench_no_alerts() {
    if grep -q '\[alert\]\|\[emerg\]\|\[crit\]' "$work/logs/error.log"; then
        echo "error.log has alerts" >&2
        exit 1
    fi
}

bench_post() {
    perl "$BENCH_LIB/client.pl" "$@"
}

bench_cg_total() {
    callgrind_annotate "$1" 2>/dev/null \
        | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
