#!/usr/bin/env bash
# ptest's connection control and requests per instance, against real servers on loopback:
#  - a real nginx logs `$connection $connection_requests` (and the time) per request:
#    keep_alive: false gives one connection per request; max_requests_per_connection: 5
#    gives connections of exactly 5 requests but the last one of each slot (closed and open
#    model, plan key and --max-requests-per-connection); connection_lifetime: 1s on a 3.5 s
#    run gives each slot at least 3 connections, each living about 1 s, and no request cut
#    under way (no ptest error, every nginx status 200); results.json's plan records the
#    three settings per scenario and "connections" counts what nginx saw;
#  - a real msdemo with its instance name ($POD_NAME): results.json's "instances" has that
#    name with every response, summary.txt says `instances: NAME 100.0% (N)`, and `ptest
#    merge` of a run against a second msdemo of another name adds the counts per name;
#  - bad values of the plan keys are file:line:col errors (exit 2).
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PTEST="$BUILD/ptest"
# --- nginx: one server, one access-log line per request ---------------------------------
PORT=$(free_port)
start_nginx "  log_format conn '\$connection \$connection_requests \$msec \$status';
  access_log $TMP/nginx/access.log conn;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server { listen 127.0.0.1:$PORT; location / { default_type text/plain; return 200 \"Hello World!\"; } }"
N=$NGINX_DIR
wait_http "http://127.0.0.1:$PORT/" 10 || { cat "$N"/*.log >&2; exit 1; }

# plan NAME MODEL-LINES CONN-LINES: writes $TMP/NAME.yaml with one scenario "s"
plan() {
  cat >"$TMP/$1.yaml" <<EOF
target: http://127.0.0.1:$PORT
scenarios:
  - name: s
$2
$3
    requests:
      - path: /
EOF
}
# run NAME ARGS...: truncates the access log, runs ptest into $TMP/NAME, keeps the log lines
# of that run in $TMP/NAME.log; rc is ptest's exit code
run() {
  local name=$1; shift
  : >"$N/access.log"
  rc=0
  "$PTEST" run -q -t 1 --out "$TMP/$name" "$@" >"$TMP/$name.out" 2>&1 || rc=$?
  sleep 0.2 # nginx writes its log line after the response
  cp "$N/access.log" "$TMP/$name.log"
}
# per_conn NAME: "requests" of every connection nginx saw in that run, one per line
per_conn() { awk '{n[$1]++} END {for (c in n) print n[c]}' "$TMP/$1.log"; }
# common NAME: exit 0, no ptest error, every nginx answer 200, ptest's request count and
# connection count equal nginx's
common() {
  local name=$1 R=$TMP/$1/results.json
  check_eq "$name: exit 0" 0 "$rc" || cat "$TMP/$name.out"
  check_eq "$name: no errors (no request cut under way)" 0 "$(json_get "$R" 'd["total"]["errors"]')"
  check_eq "$name: every nginx status 200" 0 "$(awk '$4 != 200' "$TMP/$name.log" | wc -l)"
  check_eq "$name: ptest's count is nginx's" "$(wc -l <"$TMP/$name.log")" "$(json_get "$R" 'd["total"]["count"]')"
  check_eq "$name: results.json connections = nginx's connections" \
    "$(awk '{print $1}' "$TMP/$name.log" | sort -u | wc -l)" "$(json_get "$R" 'd["total"]["connections"]')"
}

# --- keep_alive: false ------------------------------------------------------------------
plan noka "    users: 4
    hold_for: 1s" "    keep_alive: false"
run noka "$TMP/noka.yaml"
common noka
check_eq "keep_alive false: one request per connection" 1 "$(per_conn noka | sort -n | tail -1)"
check_cmd "keep_alive false: many connections ($(per_conn noka | wc -l))" test "$(per_conn noka | wc -l)" -gt 20
check_eq "keep_alive false: recorded in the plan" "False None None" \
  "$(json_get "$TMP/noka/results.json" '" ".join(str(d["plan"]["scenarios"][0][k]) for k in ("keep_alive", "max_requests_per_connection", "connection_lifetime_s"))')"

# --- max_requests_per_connection: 5 -----------------------------------------------------
# max5 N: every connection has 5 requests but at most N (the last one of each slot) fewer
max5() {
  local name=$1 slots=$2
  common "$name"
  check_cmd "$name: no connection above 5 requests" test "$(per_conn "$name" | sort -n | tail -1)" -le 5
  local short
  short=$(per_conn "$name" | awk '$1 != 5' | wc -l)
  check_cmd "$name: all connections of exactly 5 but at most one per slot ($short of $(per_conn "$name" | wc -l) shorter)" \
    test "$short" -le "$slots"
  check_cmd "$name: more than one connection per slot" test "$(per_conn "$name" | wc -l)" -gt $((2 * slots))
}
plan max5 "    users: 4
    hold_for: 1s" "    max_requests_per_connection: 5"
run max5 "$TMP/max5.yaml"
max5 max5 4
check_eq "max_requests_per_connection: recorded in the plan" "True 5 None" \
  "$(json_get "$TMP/max5/results.json" '" ".join(str(d["plan"]["scenarios"][0][k]) for k in ("keep_alive", "max_requests_per_connection", "connection_lifetime_s"))')"
# The open model through the flag: arrivals at 400/s on at most 4 connections.
run max5_open -R 400 -c 4 -d 1 --max-requests-per-connection 5 "http://127.0.0.1:$PORT/"
max5 max5_open 4

# --- connection_lifetime: 1s ------------------------------------------------------------
plan life "    users: 4
    hold_for: 3500ms" "    connection_lifetime: 1s"
run life "$TMP/life.yaml"
common life
R=$TMP/life/results.json
check_cmd "connection_lifetime 1s, 3.5 s: at least 3 connections per slot ($(json_get "$R" 'd["total"]["connections"]') for 4 slots)" \
  test "$(json_get "$R" 'd["total"]["connections"]')" -ge 12
# Each connection lives from its first to its last request about 1 s (a request may start
# just before the second is up: loose, one-sided).
span=$(awk '{if (!($1 in a)) a[$1] = $3; b[$1] = $3} END {m = 0; for (c in a) if (b[c] - a[c] > m) m = b[c] - a[c]; print m}' "$TMP/life.log")
check_cmd "connection_lifetime 1s: no connection used for more than 1.5 s (longest ${span}s)" \
  awk -v s="$span" 'BEGIN {exit !(s < 1.5)}'
check_eq "connection_lifetime: recorded in the plan" "True None 1" \
  "$(json_get "$R" '" ".join(str(d["plan"]["scenarios"][0][k]) for k in ("keep_alive", "max_requests_per_connection", "connection_lifetime_s"))')"
# The flag replaces the plan's setting for every scenario.
run life_flag -d 1 --connection-lifetime 250ms "$TMP/noka.yaml"
common life_flag
check_eq "--connection-lifetime over keep_alive: false: recorded" "True None 0.25" \
  "$(json_get "$TMP/life_flag/results.json" '" ".join(str(d["plan"]["scenarios"][0][k]) for k in ("keep_alive", "max_requests_per_connection", "connection_lifetime_s"))')"
check_cmd "--connection-lifetime 250ms: connections reused (most carry several requests)" \
  test "$(per_conn life_flag | awk '$1 > 1' | wc -l)" -ge 4

# --- plan errors --------------------------------------------------------------------------
plan bad1 "    users: 1
    hold_for: 1s" "    keep_alive: maybe"
expect_exit "keep_alive: maybe is a file:line:col error" 2 "bad1.yaml:6:17: expected a boolean" "$PTEST" run "$TMP/bad1.yaml"
plan bad2 "    users: 1
    hold_for: 1s" "    max_requests_per_connection: 0"
expect_exit "max_requests_per_connection: 0 is a file:line:col error" 2 "bad2.yaml:6:34: .* out of range" "$PTEST" run "$TMP/bad2.yaml"
plan bad3 "    users: 1
    hold_for: 1s" "    keep_alive: false
    connection_lifetime: 1s"
expect_exit "connection_lifetime with keep_alive: false is refused" 2 "bad3.yaml:7:5: connection_lifetime has no effect" \
  "$PTEST" run "$TMP/bad3.yaml"
expect_exit "--no-keep-alive with --max-requests-per-connection is a usage error" 2 "no effect" \
  "$PTEST" run --no-keep-alive --max-requests-per-connection 3 "http://127.0.0.1:$PORT/"

# --- requests per instance (msdemo's X-Served-By) ----------------------------------------
MA=$(free_port) MB=$(free_port)
POD_NAME=msdemo-it-a start_msdemo msa "$MA"
POD_NAME=msdemo-it-b start_msdemo msb "$MB"
inst_run() { # NAME PORT
  rc=0
  "$PTEST" run -c 4 -t 2 -d 1 --out "$TMP/$1" "http://127.0.0.1:$2/" >"$TMP/$1.out" 2>&1 || rc=$?
}
inst_run ia "$MA"
inst_run ib "$MB"
R=$TMP/ia/results.json
check_eq "instance a: exit 0" 0 "$rc"
check_eq "instance a: one instance, every response counted" \
  "msdemo-it-a $(json_get "$R" 'd["total"]["count"]')" \
  "$(json_get "$R" '" ".join(f"{k} {v}" for k, v in d["instances"]["counts"].items())')"
check_eq "instance a: responses with the header = count, none other" \
  "$(json_get "$R" 'd["total"]["count"]') 0" "$(json_get "$R" '" ".join(str(d["instances"][k]) for k in ("responses", "other"))')"
check_eq "instance a: per label too" "$(json_get "$R" 'd["total"]["count"]')" \
  "$(json_get "$R" 'd["instances"]["labels"]["/"]["counts"]["msdemo-it-a"]')"
check_eq "instance a: evenness of one instance" "1 0" "$(json_get "$R" '" ".join(str(d["instances"][k]) for k in ("max_min_ratio", "cv"))')"
check_cmd "instance a: summary.txt line" \
  grep -q "^instances: msdemo-it-a 100.0% ($(json_get "$R" 'd["total"]["count"]'))" "$TMP/ia/summary.txt"
grep '^instances' "$TMP/ia/summary.txt" | sed 's/^/    /'
rc=0
"$PTEST" merge "$TMP/ia" "$TMP/ib" --out "$TMP/merged" >"$TMP/merge.out" 2>&1 || rc=$?
check_eq "merge of the two instances' runs: exit 0" 0 "$rc" || cat "$TMP/merge.out"
check_cmd "merged: counts per instance add, per label too" python3 - "$TMP" <<'PY'
import json, sys
t = sys.argv[1]
a, b, m = (json.load(open(f"{t}/{d}/results.json")) for d in ("ia", "ib", "merged"))
want = {"msdemo-it-a": a["total"]["count"], "msdemo-it-b": b["total"]["count"]}
assert m["instances"]["counts"] == want, (m["instances"], want)
assert m["instances"]["labels"]["/"]["counts"] == want, m["instances"]["labels"]
assert m["instances"]["responses"] == sum(want.values())
assert m["total"]["connections"] == a["total"]["connections"] + b["total"]["connections"]
PY
check_cmd "merged: summary.txt names both with an evenness figure" \
  grep -Eq '^instances: msdemo-it-[ab] [0-9.]+% \([0-9]+\), msdemo-it-[ab] [0-9.]+% \([0-9]+\); max/min [0-9.]+, cv [0-9.]+%' \
  "$TMP/merged/summary.txt"
grep '^instances' "$TMP/merged/summary.txt" | sed 's/^/    /'
check_eq "nginx (no X-Served-By): instances null" None "$(json_get "$TMP/max5/results.json" 'd["instances"]')"

finish
