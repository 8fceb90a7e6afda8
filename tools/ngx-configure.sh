#!/usr/bin/env bash
# Configures an NGINX source tree for building ngx_http_azoai_module.
#
#   tools/ngx-configure.sh SRC DEST REPO
#
# Copies SRC to DEST and runs ./configure there with the module added
# (--add-dynamic-module=REPO) and the flags Debian builds NGINX with:
# SRC/conf_flags when SRC is Debian's nginx-dev tree (/usr/share/nginx/src),
# else the same list (Debian's common_configure_flags, what its
# libnginx-mod-* packages build against) plus --with-http_v3_module from
# 1.25 on, so that HTTP/3 is tested; CFLAGS and LDFLAGS as in Debian's
# `nginx -V`.  With --with-compat the module's signature does not depend
# on which modules NGINX has, so a module built here loads into Debian's
# binary of the same version either way.  (Whether Debian's own 1.26 and
# 1.30 binaries enable HTTP/3 could not be read here: the mirror serves
# their .orig tarballs but not their debian/ trees.)
set -euo pipefail

src=$1 dest=$2 repo=$3

ver=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' "$src/src/core/nginx.h")
[ -n "$ver" ] || { echo "$src: not an NGINX source tree" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -r "$src" "$dest"
cd "$dest"

if [ -f conf_flags ]; then
    . ./conf_flags
else
    NGX_CONF_FLAGS=(
        --prefix=/usr/share/nginx --conf-path=/etc/nginx/nginx.conf
        --http-log-path=/var/log/nginx/access.log --error-log-path=stderr
        --lock-path=/var/lock/nginx.lock --pid-path=/run/nginx.pid
        --modules-path=/usr/lib/nginx/modules
        --http-client-body-temp-path=/var/lib/nginx/body
        --http-fastcgi-temp-path=/var/lib/nginx/fastcgi
        --http-proxy-temp-path=/var/lib/nginx/proxy
        --http-scgi-temp-path=/var/lib/nginx/scgi
        --http-uwsgi-temp-path=/var/lib/nginx/uwsgi
        --with-compat --with-debug --with-pcre-jit --with-http_ssl_module
        --with-http_stub_status_module --with-http_realip_module
        --with-http_auth_request_module --with-http_v2_module
        --with-http_dav_module --with-http_slice_module --with-threads)
    case $ver in
    1.2[5-9].*|1.[3-9][0-9].*) NGX_CONF_FLAGS+=(--with-http_v3_module) ;;
    esac
fi

cflags='-g -O2 -fstack-protector-strong -Wformat -Werror=format-security'
cflags="$cflags -Wdate-time -D_FORTIFY_SOURCE=2"
ldflags='-Wl,-z,relro -Wl,-z,now'

echo "configuring NGINX $ver in $dest"
conf=./configure
[ -x "$conf" ] || conf=auto/configure   # a git checkout
"$conf" "${NGX_CONF_FLAGS[@]}" \
    --with-cc-opt="$cflags -fPIC" --with-ld-opt="$ldflags -fPIC" \
    --add-dynamic-module="$repo" >configure.log 2>&1 \
    || { tail -30 configure.log; exit 1; }
