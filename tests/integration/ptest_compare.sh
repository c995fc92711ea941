#!/usr/bin/env bash
# Baseline comparison: msdemo as configured vs the same with /B 50 % slower is flagged as a
# regression on B only (compare exits 1, report --baseline fails the gate with a junit
# failure for B), and two runs of the same configuration are not flagged.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ms_config() { # ms_config FILE B_MEAN B_STDDEV
  cat >"$1" <<YAML
seed: 1
endpoints:
  - {path: /A, delay: {dist: normal, mean: 10ms, stddev: 2ms, n: 1000}}
  - {path: /B, delay: {dist: normal, mean: $2, stddev: $3, n: 1000}}
YAML
}
ms_config "$TMP/base.yaml" 20ms 5ms
ms_config "$TMP/slow.yaml" 30ms 7.5ms
cat >"$TMP/plan.yaml" <<'YAML'
name: compare
scenarios:
  - {model: open, rate: 100/s, duration: 5s, max_connections: 200,
     requests: [{label: A, path: /A}, {label: B, path: /B}]}
YAML
pb=$(free_port)
start_msdemo base "$pb" --config "$TMP/base.yaml" --workers 1
pb2=$(free_port)
start_msdemo base2 "$pb2" --config "$TMP/base.yaml" --workers 1
ps=$(free_port)
start_msdemo slow "$ps" --config "$TMP/slow.yaml" --workers 1

# The three runs go at the same time: on a shared CI machine the load of other jobs then
# affects them alike, and the test checks the statistics, not the machine's quietness.
"$PTEST" run "$TMP/plan.yaml" --target "http://127.0.0.1:$pb" --out "$TMP/r1" -q -t 1 &
r1=$!
"$PTEST" run "$TMP/plan.yaml" --target "http://127.0.0.1:$pb2" --out "$TMP/r2" -q -t 1 &
r2=$!
"$PTEST" run "$TMP/plan.yaml" --target "http://127.0.0.1:$ps" --out "$TMP/r3" -q -t 1 &
r3=$!
wait "$r1"; wait "$r2"; wait "$r3"

rc=0
"$PTEST" compare "$TMP/r1" "$TMP/r2" >"$TMP/same.txt" || rc=$?
cat "$TMP/same.txt"
check_eq "same config: compare exits 0" 0 "$rc"
check_eq "same config: no regression" 0 "$(grep -c 'regression' "$TMP/same.txt" || true)"

rc=0
"$PTEST" compare "$TMP/r1" "$TMP/r3" >"$TMP/slow.txt" || rc=$?
cat "$TMP/slow.txt"
check_eq "B slower: compare exits 1" 1 "$rc"
check_cmd "B is a regression" grep -q '^B .* regression$' "$TMP/slow.txt"
check_cmd "A is not" grep -q '^A .* no significant change$' "$TMP/slow.txt"
check_cmd "B's p50 moved by about +50 %" python3 - "$TMP/slow.txt" <<'PY'
import sys
for line in open(sys.argv[1]):
    if line.startswith("B "):
        p50 = float(line.split()[1].rstrip("%"))
        assert 35 <= p50 <= 65, p50
PY

rc=0
"$PTEST" report "$TMP/r3" --baseline "$TMP/r1" -q || rc=$?
check_eq "report --baseline fails the gate" 1 "$rc"
check_cmd "junit.xml well-formed" xmllint --noout "$TMP/r3/junit.xml"
# B and the total (which contains B) regress; A does not.
check_eq "two baseline failures (B, total)" 2 "$(grep -c '<failure' "$TMP/r3/junit.xml")"
check_cmd "a failure names B" grep -q 'message="B regressed: ' "$TMP/r3/junit.xml"
check_cmd "a failure names the total" grep -q 'message="total regressed: ' "$TMP/r3/junit.xml"
check_eq "no failure for A" 0 "$(grep -c 'message="A regressed' "$TMP/r3/junit.xml" || true)"
rc=0
"$PTEST" report "$TMP/r2" --baseline "$TMP/r1" -q || rc=$?
check_eq "same config: report --baseline passes" 0 "$rc"
finish
