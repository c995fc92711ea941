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
for arg in "$@"; do
  if [ "$arg" = -h ] || [ "$arg" = --help ]; then
    sed -n '2,/^set /p' "$0" | sed -e '/^set /d' -e 's/^# \{0,1\}//'
    python3 "$ROOT/bench/ptest.py" --ptest - --help | sed -n '/^options/,$p' | grep -v -e '--ptest\|--cmdline'
    exit 0
  fi
done
# The static build is what the images ship; `make bench` builds it. Override with
# BUILD=build to measure the dynamic one.
BUILD=${BUILD:-$ROOT/build/static}
cmdline="bench/ptest.sh${*:+ $*}"

missing=0
need() { # need COMMAND DEBIAN-PACKAGE
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "bench/ptest: '$1' not found: install the Debian package '$2' (apt-get install $2)" >&2
    missing=1
  fi
}
need nginx nginx-light
need wrk wrk
need h2load nghttp2-client
need taskset util-linux
need /usr/bin/time time
need python3 python3
[ "$missing" = 0 ] || exit 1
if [ ! -x "$BUILD/ptest" ]; then
  echo "bench/ptest: $BUILD/ptest not found: run 'make STATIC=1' (or make bench) first" >&2
  exit 1
fi

server_cpu=0 load_cpu=1
if [ "$(nproc)" -lt 2 ]; then
  echo "bench/ptest: warning: one CPU only; nginx and the generators share it" >&2
  load_cpu=0
fi

echo "# $cmdline"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) CPUs  $(uname -r)  $("$BUILD/ptest" --version 2>&1 | head -1)  $(nginx -v 2>&1)  $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)  $(h2load --version 2>&1 | head -1)"
echo "# uptime:$(uptime | sed 's/.*up/ up/')"
exec python3 "$ROOT/bench/ptest.py" --ptest "$BUILD/ptest" --cmdline "$cmdline" \
  --server-cpu "$server_cpu" --load-cpu "$load_cpu" "$@"
