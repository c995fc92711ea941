#!/usr/bin/env bash
# The quality gate: a plan whose thresholds hold exits 0 with a junit.xml without failures;
# one whose thresholds cannot hold exits 1 with a <failure> carrying the measured value and
# the limit (both files well-formed for xmllint); a threshold typo exits 2 with
# file:line:col before any load is sent; `ptest report` reproduces the verdict offline.
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"

port=$(free_port)
start_msdemo ms "$port" --config "$FIXTURES/msdemo-ae.yaml" --workers 1
target=http://127.0.0.1:$port

plan() { # plan NAME THRESHOLDS-YAML
  cat >"$TMP/$1.yaml" <<YAML
name: $1
scenarios:
  - {model: open, rate: 100/s, duration: 2s, requests: [{label: A, path: /A, expect: {status: 200}}]}
thresholds:
$2
server: {metrics: /metrics, config: /config}   # msdemo's; ptest reads them only when asked
YAML
}
plan pass '  "*": ["p95 < 2s", "error_rate < 1%", "rps > 20", "mean < 1s", "max < 5s"]
  A: ["p50 > 1ms"]'
plan fail '  "*": ["error_rate < 1%"]
  A: ["p99 < 100us", "rps > 1000"]'
plan typo '  A: ["p95 < 250"]'

rc=0
"$PTEST" run "$TMP/pass.yaml" --target "$target" --out "$TMP/pass" -q || rc=$?
check_eq "passing gate exits 0" 0 "$rc"
check_cmd "passing junit.xml is well-formed" xmllint --noout "$TMP/pass/junit.xml"
check_eq "passing junit.xml has no failure" 0 "$(grep -c '<failure' "$TMP/pass/junit.xml" || true)"
check_eq "passing junit counts every threshold" 'tests="12" failures="0"' \
  "$(grep -o 'tests="[0-9]*" failures="[0-9]*"' "$TMP/pass/junit.xml" | head -1)"
check_cmd "summary.txt says PASS" grep -q '^PASS: 12 checks passed' "$TMP/pass/summary.txt"
for f in scorecard.html scorecard.css; do check_cmd "$f written" test -s "$TMP/pass/$f"; done
# Server-side cost (msdemo's /metrics) and the expected delays (its /config) are stored.
check_cmd "server cost and expected delays in results.json" python3 - "$TMP/pass/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["server"]
assert s["scraped"] is True and s["cpu_ms_per_1000_requests"] > 0 and s["peak_rss_bytes"] > 100000, s
assert s["requests"] == d["total"]["count"]
e = {x["path"]: x for x in d["expected"]["endpoints"]}
assert abs(e["/A"]["mean_ms"] - 5) < 0.01, e
PY
check_cmd "summary: expected vs measured for A" grep -q '^  A  *configured 5.00 ms; service time ' "$TMP/pass/summary.txt"
check_cmd "summary: server cost" grep -q '^server: [0-9.]* ms CPU per 1,000 requests, peak RSS' "$TMP/pass/summary.txt"

rc=0
"$PTEST" run "$TMP/fail.yaml" --target "$target" --out "$TMP/fail" >"$TMP/fail.out" 2>&1 || rc=$?
check_eq "failing gate exits 1" 1 "$rc"
check_cmd "failing junit.xml is well-formed" xmllint --noout "$TMP/fail/junit.xml"
check_eq "two failures in junit.xml" 2 "$(grep -c '<failure' "$TMP/fail/junit.xml")"
check_cmd "failure has the measured value and the limit" \
  grep -Eq 'message="A is [0-9.]+ (us|ms), limit &lt; 100 us">measured: ' "$TMP/fail/junit.xml"
check_cmd "the summary is printed with the verdict" grep -q '^FAIL: 2 of 5 checks failed' "$TMP/fail.out"
check_cmd "scorecard verdict is fail" grep -q 'class="verdict fail"' "$TMP/fail/scorecard.html"

# Offline: the same verdict from the stored results, into another directory.
rc=0
"$PTEST" report "$TMP/fail" --out "$TMP/again" -q || rc=$?
check_eq "ptest report reproduces the failure" 1 "$rc"
check_cmd "report junit equals the run's" cmp -s "$TMP/fail/junit.xml" "$TMP/again/junit.xml"
rc=0
"$PTEST" report "$TMP/pass" -q || rc=$?
check_eq "ptest report reproduces the pass" 0 "$rc"

rc=0
"$PTEST" run "$TMP/typo.yaml" --target "$target" --out "$TMP/typo" 2>"$TMP/typo.err" || rc=$?
check_eq "threshold typo exits 2" 2 "$rc"
check_cmd "typo message has file:line:col" grep -q "typo.yaml:5:[0-9]*: threshold \"p95 < 250\", character 10: latency needs a unit" "$TMP/typo.err"
check_cmd "typo fails before the run" test ! -e "$TMP/typo/results.json"

rc=0; "$PTEST" report "$TMP/nothing" -q 2>/dev/null || rc=$?
check_eq "report of a missing directory exits 2" 2 "$rc"
rc=0; "$PTEST" report 2>/dev/null || rc=$?
check_eq "report without a directory exits 2" 2 "$rc"
rc=0; "$PTEST" compare "$TMP/pass" 2>/dev/null || rc=$?
check_eq "compare with one directory exits 2" 2 "$rc"
rc=0; "$PTEST" merge "$TMP/pass" 2>/dev/null || rc=$?
check_eq "merge without --out exits 2" 2 "$rc"
finish
