#!/usr/bin/env bash
# ptest_tls.sh [--duration S] [--rounds N] [--conns N] [--sched MODE]
#
# Side-by-side benchmark, not a test: TLS CPU per request of ptest against wrk. nginx (1
# worker, https with an ECDSA P-256 certificate of a CA made here with openssl, TLS 1.3,
# `return 200 "Hello World!"`) pinned to CPU 0; ptest and wrk in turn pinned to CPU 1,
# one thread, 50 connections, 10 s each, in two modes: keep-alive, and a new connection
# per request (both send `Connection: close`: wrk -H, ptest a plan header). ptest verifies
# the certificate (--cacert, its default behaviour); wrk does not verify. Prints CPU
# microseconds per request, full and resumed handshakes as nginx saw them
# ($ssl_session_reused), and the ratio ptest/wrk per mode (3 alternating rounds, median)
# against the target <= 0.9. Exits 0 whatever the figures; 1 when it cannot run. The work
# is done by ptest_tls.py beside this script; see bench/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=ptest_tls
source "$ROOT/bench/lib.sh"
bench_args "$@"

bench_need nginx nginx-light
bench_need wrk wrk
bench_need openssl openssl
bench_need taskset util-linux
bench_need /usr/bin/time time
bench_need python3 python3
[ "$bench_missing" = 0 ] || exit 1
if [ ! -x "$BUILD/ptest" ]; then
  echo "bench/$BENCH: $BUILD/ptest not found: run 'make STATIC=1' (or make bench) first" >&2
  exit 1
fi

echo "# $cmdline"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) CPUs  $(uname -r)  $("$BUILD/ptest" --version 2>&1 | head -1)  $(nginx -v 2>&1)  $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)  $(openssl version)"
bench_uptime
exec python3 "$ROOT/bench/$BENCH.py" --ptest "$BUILD/ptest" --cmdline "$cmdline" \
  --server-cpu "$server_cpu" --load-cpu "$load_cpu" "$@"
