#!/usr/bin/env bash
# ptest.sh [--duration S] [--rounds N] [--conns N,N] [--open-loads F,F..] [--open-rates R,R]
#          [--open-conns N] [--slacks D,D] [--rss-conns N] [--sched MODE]
#
# Side-by-side benchmark, not a test: nginx (1 worker, `return 200 "Hello World!"`) pinned
# to CPU 0; ptest, wrk and h2load (--h1) in turn pinned to CPU 1, one thread, 50 and 1000
# connections, 10 s each. Prints each generator's CPU microseconds per request and peak
# RSS, and the ratios (closed model, 3 alternating rounds, median); then ptest's open model
# at 20-80 % of its closed-model maximum: achieved rate against the target; then the open
# model at 20,000/s and 50,000/s over 1,000 connections, ptest at --timer-slack 0, 100us
# and 1ms against autocannon --overallRate (npm, installed into build/node/ when missing);
# then RSS per connection at 50,000 connections (or what the open-files limit allows).
# Ends with a summary against the targets. Exits 0 whatever the figures; 1 when it cannot run
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
bench_need npm npm
bench_ready ptest

# autocannon (npm, pinned) into build/node/autocannon once, like the tests' npm packages.
AUTOCANNON_VERSION=${AUTOCANNON_VERSION:-9.0.0}
acdir="$ROOT/build/node/autocannon"
autocannon="$acdir/node_modules/.bin/autocannon"
if [ "$("$autocannon" --version 2>/dev/null | head -1)" != "autocannon v$AUTOCANNON_VERSION" ]; then
  echo "bench/ptest: installing autocannon@$AUTOCANNON_VERSION into $acdir (npm)" >&2
  mkdir -p "$acdir"
  npm install --prefix "$acdir" --no-audit --no-fund --loglevel=error "autocannon@$AUTOCANNON_VERSION" >&2 ||
    { echo "bench/ptest: npm install autocannon failed (needs the npm registry once)" >&2; exit 1; }
fi

echo "# $cmdline"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) CPUs  $(uname -r)  $("$BUILD/ptest" --version 2>&1 | head -1)  $(nginx -v 2>&1)  $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)  $(h2load --version 2>&1 | head -1)"
echo "# $("$autocannon" --version 2>&1 | head -1 | tr '\n' ' ')"
bench_uptime
bench_exec --autocannon "$autocannon" "$@"
