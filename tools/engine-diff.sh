#!/usr/bin/env bash
# The core of two revisions side by side: the same bodies inspected and
# rewritten by both, under four PII configurations (tools/engine-diff/);
# any difference in what the module would send (error, names, store,
# matches, masked bytes) stops the run and keeps the body.  For changes
# that must not change behaviour (performance work on the engine and the
# walker): run it against the revision before them.
#
# usage: tools/engine-diff.sh BASE [N [SEED]] [-- FILE ...]
#   BASE   a git revision (the "old" side); the "new" side is the
#          working tree's ngx_http_azoai_module/core, or ENGINE_DIFF_NEW=REV
#   N      random bodies (default 20000), SEED their seed (default 1)
#   FILE   bodies to compare first (e.g. tests/fuzz/corpus/fuzz_body/*)
#   ENGINE_DIFF_NOSIMD=1 builds both sides with the SIMD paths compiled
#          out, as make unit-nosimd does; ENGINE_DIFF_SSE2=1 with the
#          AVX2 paths out (make unit-sse2)
#   ENGINE_DIFF_OLD_FLAGS, ENGINE_DIFF_NEW_FLAGS: more compiler flags for
#          one side, e.g. one revision against itself without AVX2:
#          ENGINE_DIFF_NEW=REV ENGINE_DIFF_NEW_FLAGS=-DAZOAI_NO_AVX2
set -euo pipefail

base=${1:?usage: engine-diff.sh BASE [N [SEED]] [-- FILE ...]}
shift
n=20000
seed=1
[[ $# -gt 0 && $1 != -- ]] && { n=$1; shift; }
[[ $# -gt 0 && $1 != -- ]] && { seed=$1; shift; }
[[ $# -gt 0 && $1 == -- ]] && shift

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/engine-diff.XXXXXX)
trap 'rm -rf "$work"' EXIT
cflags="-O2 -g -std=gnu99 -w"
[[ -n ${ENGINE_DIFF_NOSIMD:-} ]] && cflags+=" -U__SSE2__ -DAZOAI_NO_AVX2"
[[ -n ${ENGINE_DIFF_SSE2:-} ]] && cflags+=" -DAZOAI_NO_AVX2"

side() {
    local name=$1 rev=$2 extra=$3 dir=$work/$1 f
    mkdir -p "$dir/src" "$dir/obj"
    if [[ $rev == WORKTREE ]]; then
        cp "$root"/ngx_http_azoai_module/core/*.[ch] "$dir/src/"
    else
        git -C "$root" archive "$rev" ngx_http_azoai_module/core \
            | tar -x -C "$dir/src" --strip-components=2
    fi
    # the built-in catalog is generated at build time; no body needs it
    rm -f "$dir/src/azoai_catalog_builtin.c"
    for f in "$dir"/src/*.c "$root/tools/engine-diff/side.c"; do
        cc $cflags $extra -I"$dir/src" -DENGINE_DIFF_RUN="${name}_run" \
            -c "$f" -o "$dir/obj/$(basename "$f" .c).o" &
    done
    wait
    ld -r -o "$dir/all.o" "$dir"/obj/*.o
    objcopy --keep-global-symbol="${name}_run" "$dir/all.o" "$work/$name.o"
}

side old "$base" "${ENGINE_DIFF_OLD_FLAGS:-}"
side new "${ENGINE_DIFF_NEW:-WORKTREE}" "${ENGINE_DIFF_NEW_FLAGS:-}"
cc $cflags -o "$work/driver" "$root/tools/engine-diff/driver.c" \
    "$work/old.o" "$work/new.o" -lpcre2-8 -lcjson -lcrypto
"$work/driver" "$n" "$seed" "$@"
