#!/usr/bin/env bash
# Builds libnginx-mod-http-azoai_VERSION_ARCH.deb from a built module, laid
# out like Debian's own libnginx-mod-http-* packages, with dpkg-deb, and
# runs lintian on it.       (make deb)
#
#   tools/make-deb.sh MODULE.so VERSION OUTDIR [TOOL]
#
# TOOL, the catalog tool (build/azoai-catalog), goes to /usr/bin with its
# manual page azoai-catalog(1).
#
# Depends: the exact nginx-abi-* virtual package the installed NGINX
# provides (the module only loads into that NGINX) and the shared
# libraries dpkg-shlibdeps finds (libcjson1, libpcre2-8-0, libssl3, libc6).
set -euo pipefail
cd "$(dirname "$0")/.."

so=$1 version=$2 out=$3 tool=${4:-}
pkg=libnginx-mod-http-azoai
maint=${DEB_MAINTAINER:-ngx_http_azoai_module maintainers <azoai@example.org>}
homepage=${DEB_HOMEPAGE:-https://example.org/ngx_http_azoai_module}
arch=$(dpkg --print-architecture)
stage=build/deb/$pkg
doc=$stage/usr/share/doc/$pkg

abi=$(dpkg-query -W -f='${Provides}' nginx nginx-core nginx-common \
          2>/dev/null | tr ',' '\n' | sed -n 's/^ *\(nginx-abi-[^ ]*\).*/\1/p' \
          | head -1)
if [ -z "$abi" ]; then
    echo "make deb: no installed package provides nginx-abi-*" >&2
    exit 1
fi

rm -rf build/deb
install -d "$stage/DEBIAN" "$stage/usr/lib/nginx/modules" \
    "$stage/usr/share/nginx/modules-available" "$doc/examples" \
    "$stage/usr/bin" "$stage/usr/share/man/man1"

install -m 0644 "$so" "$stage/usr/lib/nginx/modules/ngx_http_azoai_module.so"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
    "$stage/usr/lib/nginx/modules/ngx_http_azoai_module.so"
if [ -n "$tool" ]; then
    install -m 0755 "$tool" "$stage/usr/bin/azoai-catalog"
    strip --strip-unneeded --remove-section=.comment \
        --remove-section=.note "$stage/usr/bin/azoai-catalog"
    gzip -9n <packaging/deb/azoai-catalog.1 \
        >"$stage/usr/share/man/man1/azoai-catalog.1.gz"
    chmod 0644 "$stage/usr/share/man/man1/azoai-catalog.1.gz"
fi
install -m 0644 packaging/deb/mod-http-azoai.conf \
    "$stage/usr/share/nginx/modules-available/"
install -m 0644 conf.example/nginx.conf conf.example/azoai-catalog.json \
    conf.example/grafana-dashboard.json "$doc/examples/"
install -m 0644 packaging/deb/copyright "$doc/"
gzip -9n <README.md >"$doc/README.md.gz"
sed -e "s/@VERSION@/$version/" -e "s/@MAINTAINER@/$maint/" \
    -e "s/@DATE@/$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 \
        --format=%ct 2>/dev/null || date +%s)}")/" \
    packaging/deb/changelog | gzip -9n >"$doc/changelog.Debian.gz"
chmod 0644 "$doc/README.md.gz" "$doc/changelog.Debian.gz"

for s in postinst prerm postrm; do
    install -m 0755 "packaging/deb/$s" "$stage/DEBIAN/$s"
done

# dpkg-shlibdeps wants a debian/control to read
mkdir -p build/deb/src/debian
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" \
    >build/deb/src/debian/control
shlibs=$(cd build/deb/src && dpkg-shlibdeps -O \
    -e"../$pkg/usr/lib/nginx/modules/ngx_http_azoai_module.so" \
    ${tool:+-e"../$pkg/usr/bin/azoai-catalog"} \
    | sed -n 's/^shlibs:Depends=//p')

size=$(du -k -s --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" \
    -e "s/@MAINTAINER@/$maint/" -e "s/@SIZE@/$size/" \
    -e "s/@NGINX_ABI@/$abi/" -e "s/@SHLIBS@/$shlibs/" \
    -e "s|@HOMEPAGE@|$homepage|" \
    packaging/deb/control.in >"$stage/DEBIAN/control"
(cd "$stage" && find usr -type f -exec md5sum {} + | sort -k2) \
    >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"

mkdir -p "$out"
deb=$out/${pkg}_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
dpkg-deb --info "$deb" | sed -n '/Package:/,/Homepage:/p'
echo "built $deb"

if command -v lintian >/dev/null; then
    # tags left, each explained in README's "Installing from the .deb"
    lintian --fail-on error --suppress-tags-from-file \
        packaging/deb/lintian-expected "$deb"
fi
