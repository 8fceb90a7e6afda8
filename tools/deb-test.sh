#!/usr/bin/env bash
# Installs the package on this machine, checks it is enabled the Debian
# way, runs nginx -t with the stock /etc/nginx/nginx.conf plus a site that
# uses the module, serves judged requests through the packaged module,
# then purges the package and checks nothing of it is left.  As root.
#                                                       (make deb-test)
#   tools/deb-test.sh PACKAGE.deb
set -uo pipefail

deb=$(readlink -f "$1")
pkg=libnginx-mod-http-azoai
link=/etc/nginx/modules-enabled/50-mod-http-azoai.conf
site=/etc/nginx/conf.d/azoai-deb-test.conf
examples=/usr/share/doc/$pkg/examples
tmp=$(mktemp -d /tmp/azoai-deb-XXXXXX)
pass=0 fail=0

check() {
    local name=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then
        echo "ok - $name"
        pass=$((pass + 1))
    else
        echo "not ok - $name"
        sed 's/^/#   /' "$tmp/out" | head -20
        fail=$((fail + 1))
    fi
}

cleanup() {
    [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null
    rm -f "$site"
    dpkg -s "$pkg" >/dev/null 2>&1 \
        && DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$pkg" \
           >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "deb-test: run as root" >&2; exit 1; }

port() {
    perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1,
        LocalAddr => "127.0.0.1", LocalPort => 0)->sockport'
}
PORT=$(port)
UP=$(port)

check "the package installs" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq "$deb"
check "the module is in /usr/lib/nginx/modules" \
    test -f /usr/lib/nginx/modules/ngx_http_azoai_module.so
check "enabled through modules-enabled, as Debian's modules are" \
    test "$(readlink "$link")" = \
         /usr/share/nginx/modules-available/mod-http-azoai.conf
check "examples under /usr/share/doc" \
    test -f "$examples/nginx.conf" -a -f "$examples/azoai-catalog.json"
check "the catalog tool and its manual page are installed" \
    test -x /usr/bin/azoai-catalog \
         -a -f /usr/share/man/man1/azoai-catalog.1.gz
check "azoai-catalog check passes the example catalog" \
    azoai-catalog check "$examples/azoai-catalog.json"
check "azoai-catalog explain denies a preview deployment (exit 1)" sh -c "
    azoai-catalog explain '$examples/azoai-catalog.json' realtime-preview \
        | tee /dev/stderr | grep -q '^decision: 403 PreviewModelBlocked'
    test \$? = 0 && ! azoai-catalog explain \
        '$examples/azoai-catalog.json' realtime-preview >/dev/null"

# a site that uses the module, with a stand-in upstream in the same NGINX
cat >"$site" <<EOF
server {
    listen 127.0.0.1:$PORT;
    azoai on;
    azoai_catalog $examples/azoai-catalog.json;
    location / {
        proxy_pass http://127.0.0.1:$UP;
    }
}
server {
    listen 127.0.0.1:$UP;
    location / {
        default_type application/json;
        return 200 '{"choices":[]}';
    }
}
EOF
check "nginx -t with the stock nginx.conf and the site" nginx -t

# serve through the packaged files: the stock layout's modules-enabled
# include and the site, with pid, logs and temp paths of our own
cat >"$tmp/nginx.conf" <<EOF
include /etc/nginx/modules-enabled/*.conf;
pid $tmp/nginx.pid;
error_log $tmp/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    include $site;
}
EOF
check "nginx starts with the packaged module" \
    nginx -c "$tmp/nginx.conf" -e "$tmp/error.log"
for _ in $(seq 50); do [ -s "$tmp/nginx.pid" ] && break; sleep 0.1; done

ga='/openai/deployments/chat-prod/chat/completions?api-version=2024-10-21'
pre='/openai/deployments/chat-prod/chat/completions?api-version=2024-10-01-preview'
check "a GA request is judged and allowed" sh -c "
    curl -sS -D - -o /dev/null -H 'Content-Type: application/json' \
        --data '{\"messages\":[]}' 'http://127.0.0.1:$PORT$ga' \
    | tee /dev/stderr | grep -qi '^x-azoai-decision: allow'"
check "a preview API version is denied with the JSON error" sh -c "
    curl -sS -w '\n%{http_code}' -H 'Content-Type: application/json' \
        --data '{}' 'http://127.0.0.1:$PORT$pre' | tee /dev/stderr \
    | tr -d '\n' | grep -q 'PreviewApiVersionBlocked.*403\$'"
check "no alert in the error log" sh -c \
    "! grep -E '\\[(alert|crit|emerg)\\]' '$tmp/error.log'"
kill "$(cat "$tmp/nginx.pid")" 2>/dev/null
rm -f "$tmp/nginx.pid" "$site"

check "the package purges" env DEBIAN_FRONTEND=noninteractive \
    apt-get purge -y -qq "$pkg"
check "nothing of it is left" sh -c "
    ! test -e /usr/lib/nginx/modules/ngx_http_azoai_module.so \
    && ! test -e /usr/share/nginx/modules-available/mod-http-azoai.conf \
    && ! test -e '$link' && ! test -e '$link.removed' \
    && ! test -e /usr/bin/azoai-catalog \
    && ! test -e /usr/share/man/man1/azoai-catalog.1.gz \
    && ! test -e /usr/share/doc/$pkg"
check "nginx -t still passes without it" nginx -t

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
