#!/usr/bin/env bash
# ptest's own file-descriptor limit is not the server's fault (issue 14): under `ulimit -n 64`
# with 200 closed users (and an open run with 200 connection slots) against a real msdemo,
#  - no connect_refused is counted: the attempts over the limit are errors_by_kind.local_limit,
#    outside count and errors, so error_rate stays 0 and an `error_rate < 1%` gate passes;
#  - count is exactly what msdemo answered (msdemo_requests_total): only real requests count;
#  - ptest warns at start (the soft limit cannot be raised past the hard 64), and the analysis
#    names the limit in summary.txt, junit.xml (system-out) and the scorecard;
#  - results.json records environment.fd_limit.
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"

port=$(free_port)
start_msdemo ms "$port" --workers 1
target=http://127.0.0.1:$port

cat >"$TMP/plan.yaml" <<'YAML'
name: fdlimit
scenarios:
  - {name: users, model: closed, users: 200, hold_for: 2s, think_time: 20ms, requests: [{label: root, path: /}]}
thresholds:
  "*": ["error_rate < 1%"]
YAML

served() { curl -s "$target/metrics" | awk '/^msdemo_requests_total\{path="\/",/ {n += $2} END {print n + 0}'; }

before=$(served)
rc=0
(ulimit -n 64 && exec "$PTEST" run "$TMP/plan.yaml" --target "$target" --out "$TMP/closed") \
  >"$TMP/closed.out" 2>"$TMP/closed.err" || rc=$?
after=$(served)
check_eq "gate passes: local limits are not server errors" 0 "$rc"
check_cmd "start warning names the limit" \
  grep -q '^ptest: warning: open file limit (ulimit -n) 64 (hard limit 64) is below the [0-9]* descriptors the plan.s 200 users need' "$TMP/closed.err"
R=$TMP/closed/results.json
check_eq "no connect_refused" 0 "$(json_get "$R" 'd["total"]["errors_by_kind"]["connect_refused"]')"
check_eq "no error of any server kind" 0 "$(json_get "$R" 'd["total"]["errors"]')"
check_eq "error_rate 0" 0.0 "$(json_get "$R" 'float(d["total"]["error_rate"])')"
check_eq "local_limit counted" True "$(json_get "$R" 'd["total"]["errors_by_kind"]["local_limit"] > 0')"
check_eq "per label too" True "$(json_get "$R" 'd["labels"]["root"]["errors_by_kind"]["local_limit"] > 0')"
check_eq "some users did run" True "$(json_get "$R" 'd["total"]["count"] > 100')"
check_eq "count = requests msdemo answered" "$((after - before))" "$(json_get "$R" 'd["total"]["count"]')"
check_eq "environment.fd_limit" 64 "$(json_get "$R" 'd["environment"]["fd_limit"]')"
check_eq "not aborted as unreachable" None "$(json_get "$R" 'd["aborted"]')"
local_n=$(json_get "$R" 'd["total"]["errors_by_kind"]["local_limit"]')
check_cmd "summary.txt: PASS" grep -q '^PASS: 2 checks passed' "$TMP/closed/summary.txt"
check_cmd "summary.txt: the saturation warning" grep -qF \
  "  warning: generator hit its file-descriptor limit (ulimit -n 64): $local_n connects not attempted (not counted as server errors); raise ulimit -n or lower users" \
  "$TMP/closed/summary.txt"
check_cmd "printed summary has it too" grep -q 'warning: generator hit its file-descriptor limit (ulimit -n 64)' "$TMP/closed.out"
check_cmd "junit.xml well-formed" xmllint --noout "$TMP/closed/junit.xml"
check_eq "junit.xml: no failure" 0 "$(grep -c '<failure' "$TMP/closed/junit.xml" || true)"
check_cmd "junit.xml: the warning as system-out" grep -q '<system-out>warning: generator hit its file-descriptor limit (ulimit -n 64)' "$TMP/closed/junit.xml"
check_cmd "scorecard: the warning" grep -q 'generator hit its file-descriptor limit (ulimit -n 64)' "$TMP/closed/scorecard.html"
check_cmd "ptest report reproduces it" sh -c "'$PTEST' report '$TMP/closed' --out '$TMP/again' -q && grep -q 'ulimit -n 64' '$TMP/again/summary.txt'"

# The open model: 200 slots, 64 descriptors; arrivals that find no descriptor are local_limit.
rc=0
(ulimit -n 64 && exec "$PTEST" run "$target/" -R 400 -c 200 -d 2s --out "$TMP/open" -q) 2>"$TMP/open.err" || rc=$?
check_eq "open run exits 0" 0 "$rc"
R=$TMP/open/results.json
check_eq "open: no connect_refused, no errors" "0 0" \
  "$(json_get "$R" '"%d %d" % (d["total"]["errors_by_kind"]["connect_refused"], d["total"]["errors"])')"
check_eq "open: answered requests counted" True "$(json_get "$R" 'd["total"]["count"] > 0')"
finish
