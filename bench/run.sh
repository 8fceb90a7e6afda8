#!/usr/bin/env bash
# make bench: the engine benchmark (core alone, MB/s, then instructions
# per byte under callgrind: bench/engine-instr.sh), then the end-to-end
# benchmark (module on vs plain proxy_pass in one NGINX), the same over
# TLS 1.3 and HTTP/2 with the 4 KB body (h2load), then the
# instruction counts under callgrind.  The request bodies are generated
# into build/bench-bodies by bench/gen-bodies.pl (fixed seed), unless
# BODIES names another directory of them.
set -euo pipefail
so=${1:?usage: run.sh MODULE_SO}
top=$(cd "$(dirname "$0")/.." && pwd)
if [[ -n ${BODIES:-} ]]; then
    bodies=$BODIES
else
    bodies=$top/build/bench-bodies
    perl "$top/bench/gen-bodies.pl" "$bodies"
fi

echo "== engine (core only, all built-in detectors)"
"$top/build/bench_engine" "$bodies"/*.json

echo
echo "== engine, instructions per byte (callgrind, repeatable)"
"$top/bench/engine-instr.sh" "$top/build/bench_engine" "$bodies"/*.json

echo
echo "== end to end (one worker, wrk, ${CONNS:-16} connections)"
BODIES=$bodies "$top/bench/e2e.sh" "$so" "${BENCH_SECONDS:-5}" "${BENCH_ROUNDS:-3}"

echo
echo "== end to end, TLS 1.3 and HTTP/2 (one worker, h2load)"
BODIES=$bodies "$top/bench/h2tls.sh" "$so" "${H2_REQUESTS:-20000}" \
    "${BENCH_ROUNDS:-3}"

echo
echo "== user-space instructions per request (callgrind, repeatable)"
BODIES=$bodies "$top/bench/callgrind.sh" "$so" "${BENCH_REQUESTS:-300}"
