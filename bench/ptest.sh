#!/usr/bin/env bash
# ptest.sh [--duration S] [--rounds N] [--conns N] [--open-loads F,F..] [--sched MODE]
#
# Side-by-side benchmark, not a test: nginx (1 worker, `return 200 "Hello World!"`) pinned
# to CPU 0; ptest, wrk and h2load (--h1) in turn pinned to CPU 1, one thread, 50
# connections, 10 s each. Prints each generator's CPU microseconds per request and peak
# RSS, and the ratios (closed model, 3 alternating rounds, median); then ptest's open model
# at 20-80 % of its closed-model maximum: achieved rate against the target. Ends with a
# summary against the targets. Exits 0 whatever the figures; 1 when it cannot run
# (missing tool, no build). The work is done by ptest.py beside this script; see
# bench/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=ptest
source "$ROOT/bench/lib.sh"
bench_args "$@"

bench_need nginx nginx-light
bench_need wrk wrk
bench_need h2load nghttp2-client
bench_need taskset util-linux
bench_need /usr/bin/time time
bench_need python3 python3
bench_ready ptest

echo "# $cmdline"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) CPUs  $(uname -r)  $("$BUILD/ptest" --version 2>&1 | head -1)  $(nginx -v 2>&1)  $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)  $(h2load --version 2>&1 | head -1)"
bench_uptime
bench_exec "$@"
