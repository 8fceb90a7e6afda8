#!/usr/bin/env bash
# The version matrix: the whole t/ suite against the packaged NGINX and
# against each NGINX line named, built from Debian's source packages.
#
#   tools/nginx-matrix.sh [SERIES|DIR ...]     (make nginx-matrix)
#
# SERIES (1.26, 1.30): the newest version of that line among the nginx
# source packages apt knows (trixie and unstable, from the deb-src lines
# of /etc/apt/sources.list.d/azoai-nginx-src.sources, written here when
# missing); its upstream tarball (nginx_VERSION.orig.tar.gz, checked by
# apt against the Sources index) is unpacked into build/matrix/.  DIR: an
# NGINX source tree to test as it is.  Each is built with Debian's flags
# (tools/ngx-configure.sh) into build/nginx-VERSION/, binary and module;
# trees and builds are kept, so a second run only runs the tests.
#
# A line whose source apt cannot download is reported as SKIP (exit 0)
# unless MATRIX_STRICT=1; a failed build or test fails the run.
# MATRIX_INSTALLED=0 leaves out the installed NGINX.
set -uo pipefail
cd "$(dirname "$0")/.."

MAKE=${MAKE:-make}
SOURCES=/etc/apt/sources.list.d/azoai-nginx-src.sources
DL=build/matrix/dl
declare -a ROWS
failed=0

apt_sources() {
    [ -f "$SOURCES" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "matrix: $SOURCES is missing; run as root once" >&2
        return 1
    fi
    cat >"$SOURCES" <<'EOF'
# deb-src only: the NGINX sources ngx_http_azoai_module's version matrix
# builds against (make nginx-matrix); no binary package comes from here
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie unstable
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -qq
}

# SERIES -> the Debian version of its newest source package
newest() {
    apt-cache showsrc nginx 2>/dev/null \
        | sed -n 's/^Version: //p' | grep "^$1\." | sort -V | tail -1
}

# SERIES -> a source tree under build/matrix (prints its path)
fetch_series() {
    local debver up dir

    debver=$(newest "$1")
    if [ -z "$debver" ]; then
        echo "matrix: no nginx $1.x source package known to apt" >&2
        return 1
    fi
    up=${debver#*:}
    up=${up%-*}
    dir=build/matrix/nginx-$up
    if [ ! -f "$dir/.fetched" ]; then
        mkdir -p "$DL"
        ( cd "$DL" && apt-get source -qq --tar-only --download-only \
              "nginx=$debver" ) >&2 || {
            echo "matrix: apt could not download nginx $debver" >&2
            return 1
        }
        rm -rf "$dir"
        tar xzf "$DL/nginx_$up.orig.tar.gz" -C build/matrix || return 1
        echo "$debver" >"$dir/.fetched"
    fi
    echo "$dir"
}

run() {
    local name=$1 t0 rc
    shift
    t0=$(date +%s)
    echo "== matrix: $name"
    nice -n 10 "$MAKE" -j2 "$@" integration
    rc=$?
    ROWS+=("$(printf '%-28s %-5s %4ss' "$name" \
              "$([ $rc = 0 ] && echo PASS || echo FAIL)" \
              $(( $(date +%s) - t0 )))")
    [ $rc = 0 ] || failed=1
}

[ $# -gt 0 ] || set -- 1.26 1.30

# MATRIX_INSTALLED=0: not the installed NGINX (make test ran it already)
if [ "${MATRIX_INSTALLED:-1}" = 1 ]; then
    run "nginx $(/usr/sbin/nginx -v 2>&1 | sed 's|.*/||') (installed)"
fi

for s in "$@"; do
    if [ -d "$s" ]; then
        dir=$s
    else
        apt_sources || exit 1
        if ! dir=$(fetch_series "$s"); then
            ROWS+=("$(printf '%-28s %-5s' "nginx $s.x" SKIP)")
            [ "${MATRIX_STRICT:-0}" = 1 ] && failed=1
            continue
        fi
    fi
    ver=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' \
              "$dir/src/core/nginx.h")
    run "nginx $ver ($dir)" NGINX_SRC="$dir"
done

echo "== matrix summary"
printf '%s\n' "${ROWS[@]}"
exit $failed
