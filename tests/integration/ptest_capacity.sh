#!/usr/bin/env bash
# ptest capacity against servers of known behaviour:
#  (a) serialsrv.py serves one request at a time, 10 ms each: its capacity is 100 req/s; the
#      capacity found (p95 < 50ms) is within 15 % of it, the step above it failed on the
#      server (not the generator); a plan gate `capacity > 80/s` exits 0; results.json, summary.txt, junit.xml (one case per step + the capacity,
#      xmllint-clean) and the scorecard's charts are written;
#  (b) msdemo answering after a constant 20 ms, SLO p95 < 25ms, with ptest limited to 10
#      connections (so at most 500 req/s whatever msdemo could do): the step that
#      saturates the connections is named generator-limited, the result is "capacity >=",
#      never a server capacity, and a gate above it fails (exit 1, junit failure).
# Bounded: short steps (1 s warm-up + 2-3 s judged), lost steps stop early.
# san: no
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need python3 xmllint

port=$(free_port)
python3 "$ROOT/tests/integration/serialsrv.py" "$port" 10 >"$TMP/serial.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$port/" 20

cat >"$TMP/serial.yaml" <<YAML
name: serial
target: http://127.0.0.1:$port
scenarios:
  - {rate: 50/s, duration: 10s, requests: [{path: /}]}
thresholds:
  "*": ["p95 < 50ms", "error_rate < 1%", "capacity > 80/s"]
YAML
rc=0
"$PTEST" capacity "$TMP/serial.yaml" --out "$TMP/a" --warmup 1s --step-duration 2s --start 50/s \
  >"$TMP/a.out" 2>"$TMP/a.err" || rc=$?
check_eq "capacity of the serial server: exit 0 (gate capacity > 80/s holds)" 0 "$rc"
sed 's/^/      | /' "$TMP/a.out"
check "capacity within 15 % of 100/s, the failing step is the server's" python3 - "$TMP/a/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["capacity"]
assert d["kind"] == "capacity", d["kind"]
assert c["limited_by"] == "server", c
assert 85 <= c["rate"] <= 115, c["rate"]
assert c["first_failing"] > c["rate"] and c["relative_width"] <= 0.05 + 1e-9, c
steps = c["steps"]
assert len(steps) >= 4, len(steps)
for s in steps:
    assert s["result"] in ("pass", "fail"), s
    assert s["result"] != "generator-limited", s
    if s["result"] == "pass":
        assert s["rate"] <= c["rate"] and s["p95_us"] < 50000, s
assert any(s["result"] == "fail" and s["stopped_early"] for s in steps), "a lost step stops early"
assert c["gates"] == [{"expr": "capacity > 80/s", "passed": True, "message": c["gates"][0]["message"]}], c["gates"]
assert c["warmup_s"] == 1 and c["step_s"] == 2
print("capacity", c["rate"], "first failing", c["first_failing"], "steps", len(steps))
PY
check_cmd "summary.txt names the capacity" grep -Eq '^PASS: capacity [0-9.]+/s: the SLOs hold at' "$TMP/a/summary.txt"
check_cmd "summary printed" grep -q '^step ' "$TMP/a.out"
check_cmd "junit.xml is well-formed" xmllint --noout "$TMP/a/junit.xml"
nsteps=$(json_get "$TMP/a/results.json" 'len(d["capacity"]["steps"])')
check_eq "junit: one case per step, the capacity and its gate" "$((nsteps + 2))" \
  "$(grep -c '<testcase ' "$TMP/a/junit.xml")"
check_eq "junit: no failure" 0 "$(grep -c '<failure' "$TMP/a/junit.xml" || true)"
check_cmd "scorecard: the knee charts" grep -q 'Latency against the arrival rate' "$TMP/a/scorecard.html"
check_cmd "scorecard.css written" test -s "$TMP/a/scorecard.css"
check_cmd "every step has its own results" test -s "$TMP/a/steps/01-50/results.json"

# Usage errors: no SLO, an SLO that does not parse, a ptest run of a plan with a capacity
# gate (the run skips it, its junit says why).
cat >"$TMP/noslo.yaml" <<YAML
target: http://127.0.0.1:$port
scenarios: [{rate: 10/s, duration: 1s, requests: [{path: /}]}]
YAML
expect_exit "no SLO: exit 2" 2 'no SLO' "$PTEST" capacity "$TMP/noslo.yaml" --out "$TMP/x"
expect_exit "a bad --slo: exit 2" 2 'character 8' "$PTEST" capacity "$TMP/noslo.yaml" --slo "p95 < 1" --out "$TMP/x"
expect_exit "a relative --slo: exit 2" 2 'absolute' "$PTEST" capacity "$TMP/noslo.yaml" --slo "p95: +10%" --out "$TMP/x"
rc=0
"$PTEST" run "$TMP/serial.yaml" -d 2s --out "$TMP/run" -q || rc=$?
check_eq "ptest run of a plan with a capacity gate: exit 0" 0 "$rc"
check_cmd "the run's junit skips the capacity gate" grep -q 'judged by ptest capacity' "$TMP/run/junit.xml"

# (b) msdemo, constant 20 ms; ptest's 10 connections are the limit (500/s).
mport=$(free_port)
cat >"$TMP/ms.yaml" <<'YAML'
endpoints:
  - {path: /slow, body: slow, delay: {dist: constant, mean: 20ms, n: 1}}
YAML
start_msdemo ms "$mport" --config "$TMP/ms.yaml" --workers 1
cat >"$TMP/ms-plan.yaml" <<YAML
name: msdemo-20ms
target: http://127.0.0.1:$mport
scenarios:
  - {rate: 100/s, duration: 10s, requests: [{path: /slow}]}
thresholds:
  "*": ["capacity > 1000/s"]
YAML
rc=0
"$PTEST" capacity "$TMP/ms-plan.yaml" --slo "p95 < 25ms" --max-connections 10 --out "$TMP/b" \
  --warmup 1s --step-duration 2s >"$TMP/b.out" 2>"$TMP/b.err" || rc=$?
check_eq "msdemo behind 10 connections: the gate capacity > 1000/s fails (exit 1)" 1 "$rc"
sed 's/^/      | /' "$TMP/b.out"
check "the generator is named, never a server capacity" python3 - "$TMP/b/results.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["capacity"]
assert c["limited_by"] == "generator", c
steps = c["steps"]
last = steps[-1]
assert last["result"] == "generator-limited", last
assert "service time met the SLOs" in last["reason"] and "--max-connections" in last["reason"], last["reason"]
assert last["service_p95_us"] < 25000, last
assert all(s["result"] == "pass" for s in steps[:-1]), steps
assert c["rate"] == steps[-2]["rate"] and c["rate"] <= 500, c
assert c["text"].startswith("capacity >= "), c["text"]
print(c["text"])
PY
check_cmd "summary.txt: capacity >= ..., limited by the generator" \
  grep -Eq '^FAIL: capacity >= [0-9.]+/s, limited by the generator at' "$TMP/b/summary.txt"
check_cmd "junit.xml (b) is well-formed" xmllint --noout "$TMP/b/junit.xml"
check_cmd "junit.xml (b) carries the gate's failure" grep -q '<failure type="threshold" message="capacity is &gt;= ' \
  "$TMP/b/junit.xml"
finish
