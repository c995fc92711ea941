# lib.sh - shared helpers for the integration tests (sourced, not run).
# Provides: BUILD, TOOLS, PTEST, FIXTURES, TMP (removed at exit), free_port, start_msdemo, wait_http,
# start_prometheus, prom_query, prom_value, pass/fail counters (ok, fail, check_eq, check_cmd,
# check, expect_exit, need) and finish (prints "N passed, N failed").
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TOOLS=${TOOLS:-$BUILD/tools}
PTEST=${PTEST:-$BUILD/ptest}
FIXTURES=$ROOT/tests/integration/fixtures # inputs several tests share (msdemo configs, ...)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pitestbed.XXXXXX")
PIDS=()
T_PASS=0
T_FAIL=0

cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

ok()   { T_PASS=$((T_PASS + 1)); echo "ok    $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL  $*"; }
# check_eq WHAT EXPECTED ACTUAL
check_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
# check_cmd WHAT CMD... : passes when CMD exits 0
check_cmd() {
  local what=$1; shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
# check WHAT CMD... : passes when CMD exits 0; its output (in $TMP/out) is shown when it fails
check() {
  local what=$1; shift
  if "$@" >"$TMP/out" 2>&1; then ok "$what"; else fail "$what"; sed 's/^/      | /' "$TMP/out" | tail -n 40; fi
}
# need TOOL... : every tool is on PATH; the test stops at once when one is missing or a
# check before it failed (what a test checks first: its tools and binaries)
need() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || fail "tool $t is installed (needed by this test)"
  done
  [ "$T_FAIL" -eq 0 ] || { finish || true; exit 1; }
}
# expect_exit WHAT CODE STDERR-REGEX CMD...: passes when CMD exits CODE and its stderr
# matches the regex (empty: any); stdout/stderr kept in $TMP/out.txt and $TMP/err.txt
expect_exit() {
  local what=$1 code=$2 pat=$3 rc=0; shift 3
  "$@" >"$TMP/out.txt" 2>"$TMP/err.txt" || rc=$?
  if [ "$rc" -ne "$code" ]; then
    fail "$what: exit $rc, want $code ($(head -c 300 "$TMP/err.txt"))"
  elif [ -n "$pat" ] && ! grep -Eq -- "$pat" "$TMP/err.txt"; then
    fail "$what: stderr does not match /$pat/: $(head -c 300 "$TMP/err.txt")"
  else
    ok "$what"
  fi
}
finish() {
  echo "$T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
}

# free_port, wait_http URL [SECONDS] (any status; a line on stderr when it times out):
# scripts/lib/net.sh's, under the names the tests use.
source "$ROOT/scripts/lib/net.sh"
free_port() { net_free_port; }
wait_http() { net_wait_url "$@" || { echo "timeout waiting for $1" >&2; return 1; }; }

# start_msdemo NAME PORT [ARGS...]: starts msdemo on 127.0.0.1:PORT in the background, logs to
# $TMP/NAME.log, waits until it answers; sets MSDEMO_PID.
start_msdemo() {
  local name=$1 port=$2; shift 2
  "$BUILD/msdemo" --listen "127.0.0.1:$port" "$@" >"$TMP/$name.log" 2>&1 &
  MSDEMO_PID=$!
  PIDS+=("$MSDEMO_PID")
  if ! wait_http "http://127.0.0.1:$port/healthz" 20; then
    cat "$TMP/$name.log" >&2
    return 1
  fi
}

# start_nginx HTTP-BODY: starts a real nginx (one worker, prefix $TMP/nginx, temp paths and
# logs inside it) whose http { } block holds HTTP-BODY, in the background; sets NGINX_DIR.
# The caller waits for it in its own way (plain or TLS).
start_nginx() {
  command -v nginx >/dev/null || { echo "nginx missing (Debian nginx-light; scripts/deps.sh test)" >&2; return 1; }
  NGINX_DIR=$TMP/nginx
  local n=$NGINX_DIR
  mkdir -p "$n/tmp"
  cat >"$n/nginx.conf" <<EOF
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log warn;
events { worker_connections 1024; }
http {
  client_body_temp_path $n/tmp; proxy_temp_path $n/tmp; fastcgi_temp_path $n/tmp;
  uwsgi_temp_path $n/tmp; scgi_temp_path $n/tmp;
$1
}
EOF
  nginx -p "$n" -e "$n/error.log" -c "$n/nginx.conf" -g 'daemon off;' >"$n/out.log" 2>&1 &
  PIDS+=($!)
}

# json_get FILE PYEXPR: evaluates a Python expression on the parsed JSON bound to `d`.
json_get() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# start_prometheus JOB HOST:PORT: a real Prometheus on a free port (PROM_PORT) scraping
# HOST:PORT as job JOB every second (its config checked by promtool first); waits until ready.
start_prometheus() {
  PROM_PORT=$(free_port)
  cat >"$TMP/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: $1
    static_configs: [{targets: ["$2"]}]
YAML
  check_cmd "promtool check config" promtool check config "$TMP/prometheus.yml"
  prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$TMP/prometheus.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$PROM_PORT/-/ready" 60
}
# prom_query PROMQL: the raw JSON answer of an instant query to start_prometheus' server;
# prom_value PROMQL: the first result's value, "" when there is none.
prom_query() { curl -s --get "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"; }
prom_value() {
  prom_query "$1" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
