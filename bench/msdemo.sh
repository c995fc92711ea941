#!/usr/bin/env bash
# msdemo.sh [--duration S] [--rounds N] [--conns N] [--wrk-conns N] [--hold-delay S] [--sched MODE]
#
# Side-by-side benchmark, not a test: nginx (1 worker, `return 200 "Hello World!"`) and
# msdemo (1 worker), each pinned to CPU 0, wrk pinned to CPU 1. Prints each server's CPU
# microseconds per request on / and their ratio, RSS idle and with 10,000 held connections,
# and msdemo's served delays on /B at half of its maximum rate, then a summary against the
# targets. Exits 0 whatever the figures; 1 when it cannot run (missing tool, no build).
# The work is done by msdemo.py beside this script; see bench/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for arg in "$@"; do
  if [ "$arg" = -h ] || [ "$arg" = --help ]; then
    sed -n '2,/^set /p' "$0" | sed -e '/^set /d' -e 's/^# \{0,1\}//'
    python3 "$ROOT/bench/msdemo.py" --msdemo - --help | sed -n '/^options/,$p' | grep -v -e '--msdemo\|--cmdline'
    exit 0
  fi
done
# The static build is what the images ship (no shared-library pages in RSS); `make bench`
# builds it. Override with BUILD=build to measure the dynamic one.
BUILD=${BUILD:-$ROOT/build/static}
cmdline="bench/msdemo.sh${*:+ $*}"

missing=0
need() { # need COMMAND DEBIAN-PACKAGE
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "bench/msdemo: '$1' not found: install the Debian package '$2' (apt-get install $2)" >&2
    missing=1
  fi
}
need nginx nginx-light
need wrk wrk
need taskset util-linux
need python3 python3
[ "$missing" = 0 ] || exit 1
if [ ! -x "$BUILD/msdemo" ]; then
  echo "bench/msdemo: $BUILD/msdemo not found: run 'make STATIC=1' (or make bench) first" >&2
  exit 1
fi

server_cpu=0 load_cpu=1
if [ "$(nproc)" -lt 2 ]; then
  echo "bench/msdemo: warning: one CPU only; servers and wrk share it" >&2
  load_cpu=0
fi

echo "# $cmdline"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) CPUs  $(uname -r)  $("$BUILD/msdemo" --version 2>&1 | head -1)  $(nginx -v 2>&1)"
echo "# uptime:$(uptime | sed 's/.*up/ up/')"
exec python3 "$ROOT/bench/msdemo.py" --msdemo "$BUILD/msdemo" --cmdline "$cmdline" \
  --server-cpu "$server_cpu" --load-cpu "$load_cpu" "$@"
