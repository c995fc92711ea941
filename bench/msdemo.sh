#!/usr/bin/env bash
# msdemo.sh [--duration S] [--rounds N] [--conns N] [--wrk-conns N] [--delay-conns N,N]
#           [--hold-delay S] [--sched MODE] [--evloop auto|epoll|uring] [--cpu-only]
#
# Side-by-side benchmark, not a test: nginx (1 worker, `return 200 "Hello World!"`) and
# msdemo (1 worker), each pinned to CPU 0, wrk pinned to CPU 1. Prints each server's CPU
# microseconds per request on / and their ratio, RSS idle and with 100,000 held connections
# (or as many as the open-files limit allows), CPU per request on a constant 20 ms delay at
# wrk -c200 and -c1000 (nginx + echo_sleep against msdemo at timer_slack 0, 100us, 1ms),
# and msdemo's served delays on /B at half of its maximum rate, then a summary against the
# targets. Exits 0 whatever the figures; 1 when it cannot run (missing tool, no build).
# The work is done by msdemo.py beside this script; see bench/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=msdemo
source "$ROOT/bench/lib.sh"
bench_args "$@"

bench_need nginx nginx-light
bench_need wrk wrk
bench_need_file /usr/lib/nginx/modules/ngx_http_echo_module.so libnginx-mod-http-echo
bench_need taskset util-linux
bench_need python3 python3
bench_ready msdemo

echo "# $cmdline"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) CPUs  $(uname -r)  $("$BUILD/msdemo" --version 2>&1 | head -1)  $(nginx -v 2>&1)"
bench_uptime
bench_exec "$@"
