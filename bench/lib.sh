# lib.sh - sourced by the bench/*.sh drivers: the checks and settings they share.
# Expects BENCH (the benchmark's name, for messages) and ROOT to be set.

# Usage text: the script's header comment, then the Python side's options.
bench_help() { # bench_help SCRIPT PYTHON-FILE PROGRAM-OPTION
  sed -n '2,/^set /p' "$1" | sed -e '/^set /d' -e 's/^# \{0,1\}//'
  python3 "$2" "$3" - --help | sed -n '/^options/,$p' | grep -v -e "$3\|--cmdline"
}

# The static build is what the images ship (no shared-library pages in RSS); `make bench`
# builds it. Override with BUILD=build to measure the dynamic one.
BUILD=${BUILD:-$ROOT/build/static}

# bench_args "$@": --help or -h anywhere prints the usage and exits 0; otherwise sets
# cmdline, the command as typed (for the report).
bench_args() {
  local arg
  for arg in "$@"; do
    if [ "$arg" = -h ] || [ "$arg" = --help ]; then
      bench_help "$ROOT/bench/$BENCH.sh" "$ROOT/bench/$BENCH.py" "--$BENCH"
      exit 0
    fi
  done
  cmdline="bench/$BENCH.sh${*:+ $*}"
}

bench_missing=0
bench_need() { # bench_need COMMAND DEBIAN-PACKAGE
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "bench/$BENCH: '$1' not found: install the Debian package '$2' (apt-get install $2)" >&2
    bench_missing=1
  fi
}

bench_need_file() { # bench_need_file PATH DEBIAN-PACKAGE
  if [ ! -e "$1" ]; then
    echo "bench/$BENCH: '$1' not found: install the Debian package '$2' (apt-get install $2)" >&2
    bench_missing=1
  fi
}

# bench_ready PROGRAM: exits 1 if a tool was missing or $BUILD/PROGRAM is not built.
bench_ready() {
  [ "$bench_missing" = 0 ] || exit 1
  if [ ! -x "$BUILD/$1" ]; then
    echo "bench/$BENCH: $BUILD/$1 not found: run 'make STATIC=1' (or make bench) first" >&2
    exit 1
  fi
}

# Servers on CPU 0, the load generator on CPU 1 (both on CPU 0 on a one-CPU machine).
server_cpu=0 load_cpu=1
if [ "$(nproc)" -lt 2 ]; then
  echo "bench/$BENCH: warning: one CPU only; the servers and the load generator share it" >&2
  load_cpu=0
fi

bench_uptime() { echo "# uptime:$(uptime | sed 's/.*up/ up/')"; }

# bench_exec "$@": hands over to bench/$BENCH.py with the program under test, the command
# line and the CPUs.
bench_exec() {
  exec python3 "$ROOT/bench/$BENCH.py" "--$BENCH" "$BUILD/$BENCH" --cmdline "$cmdline" \
    --server-cpu "$server_cpu" --load-cpu "$load_cpu" "$@"
}
