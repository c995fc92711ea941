#!/usr/bin/env bash
# Stopping a lost run early: abort_on_fail / delay_abort_eval thresholds and "for D".
# A small server (below) answers 200 until second 3 after its first request, then 500 (or
# 100 ms late) for a while. A 30 s open-model run whose threshold "error_rate < 10%" carries
# abort_on_fail with delay_abort_eval 2s stops at ~4 s (the cumulative error rate passes 10 %
# in the first second after 3 s; asserted one-sided: at or after the delay, well before
# 15 s), exits 1, writes every result and report (results.json, summary.txt, junit.xml,
# scorecard, interval logs, JTL), and each names the threshold and when it stopped the run.
# A "for 2s" latency threshold aborts only after two slow seconds in a row; at the end of a
# run "for D" fails only when D consecutive one-second windows broke it (a slow stretch of
# ~1 s fails "for 1s" and passes "for 3s").
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need python3 xmllint

cat >"$TMP/turnsrv.py" <<'PY'
# turnsrv.py PORT MODE AT UNTIL: answers "ok"; from AT to UNTIL seconds after its first
# request MODE "errors" answers 500, "slow" answers 100 ms late.
import sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, mode, at, until = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
first, lock = [None], threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        now = time.monotonic()
        with lock:
            if first[0] is None and self.path != "/healthz":
                first[0] = now
        bad = first[0] is not None and at <= now - first[0] < until
        if bad and mode == "slow":
            time.sleep(0.1)
        body = b"ok\n"
        self.send_response(500 if bad and mode == "errors" else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY

start_turnsrv() { # start_turnsrv MODE AT UNTIL: sets port
  port=$(free_port)
  python3 "$TMP/turnsrv.py" "$port" "$@" >"$TMP/turnsrv-$port.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$port/healthz" 20
}

plan() { # plan NAME RATE DURATION THRESHOLDS-YAML
  cat >"$TMP/$1.yaml" <<YAML
name: $1
target: http://127.0.0.1:$port
scenarios:
  - {model: open, rate: $2, duration: $3, max_connections: 40, requests: [{label: api, path: /}]}
thresholds:
$4
YAML
}

# --- abort_on_fail on the run so far ----------------------------------------------------
start_turnsrv errors 3 1000
plan abort 50/s 30s '  "*": ["p95 < 5s"]
  api:
    - threshold: error_rate < 10%
      abort_on_fail: true
      delay_abort_eval: 2s'
rc=0
start=$(date +%s.%N)
"$PTEST" run "$TMP/abort.yaml" --out "$TMP/abort" --jtl "$TMP/abort/results.jtl" >"$TMP/abort.out" 2>"$TMP/abort.err" || rc=$?
took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
check_eq "aborted run exits 1" 1 "$rc"
check_cmd "stopped well before the 30 s (took ${took} s, want < 15)" python3 -c "import sys; sys.exit(float(sys.argv[1]) >= 15)" "$took"
for f in results.json summary.txt junit.xml scorecard.html scorecard.css api.hlog total.hlog results.jtl; do
  check_cmd "aborted run wrote $f" test -s "$TMP/abort/$f"
done
check_cmd "results.json names the threshold, the label and when" python3 - "$TMP/abort/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a = d["threshold_abort"]
assert a["threshold"] == "error_rate < 10%" and a["label"] == "api", a
assert 3 <= a["at_s"] <= 8, a  # errors start at 3 s; the delay is 2 s
assert a["limit"] == "< 10 %" and a["measured"].endswith("%"), a
assert d["interrupted"] is False and d["aborted"] is None, d
assert d["duration_s"] < 10, d["duration_s"]
t = d["plan"]["thresholds"]["api"][0]
assert t == {"threshold": "error_rate < 10%", "abort_on_fail": True, "delay_abort_eval_s": 2}, t
PY
check_cmd "stderr says which threshold stopped the run" \
  grep -Eq 'threshold "error_rate < 10%" of api failed at [0-9.]+ s .*abort_on_fail stops the run' "$TMP/abort.err"
check_cmd "summary.txt verdict names the threshold" \
  grep -Eq '^FAIL: stopped at [0-9.]+ s by threshold "error_rate < 10%" of api \(abort_on_fail\)' "$TMP/abort/summary.txt"
check_cmd "junit.xml is well-formed" xmllint --noout "$TMP/abort/junit.xml"
check_cmd "junit failure says it stopped the run" \
  grep -Eq '<failure type="threshold" message="stopped the run at [0-9.]+ s \(abort_on_fail\): api is [0-9.]+ %, limit &lt; 10 %"' \
  "$TMP/abort/junit.xml"
check_cmd "scorecard verdict is fail and names the threshold" \
  grep -q 'stopped at .* by threshold &quot;error_rate &lt; 10%&quot;' "$TMP/abort/scorecard.html"
jtl_rows=$(($(wc -l <"$TMP/abort/results.jtl") - 1))
check_eq "the JTL holds every request of results.json" "$(json_get "$TMP/abort/results.json" 'd["total"]["count"]')" "$jtl_rows"
rc=0
"$PTEST" report "$TMP/abort" -q || rc=$?
check_eq "ptest report on the aborted run: exit 1 again" 1 "$rc"

# --- abort_on_fail with "for": two slow seconds in a row ---------------------------------
start_turnsrv slow 3 1000
plan forabort 40/s 30s '  api:
    - threshold: p95 < 50ms for 2s
      abort_on_fail: true'
rc=0
"$PTEST" run "$TMP/forabort.yaml" --out "$TMP/forabort" -q 2>"$TMP/forabort.err" || rc=$?
check_eq "for-abort exits 1" 1 "$rc"
check_cmd "for-abort stopped after two slow seconds, before 15 s" python3 - "$TMP/forabort/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
a = d["threshold_abort"]
assert a["threshold"] == "p95 < 50ms for 2s" and a["limit"] == "< 50.0 ms for 2s", a
assert 4 <= a["at_s"] <= 10 and d["duration_s"] < 15, (a, d["duration_s"])
PY

# --- "for" at the end of the run: ~1 s slow -----------------------------------------------
start_turnsrv slow 2 3
plan forgate 40/s 6s '  api: ["p95 < 50ms for 1s", "p95 < 50ms for 3s"]'
rc=0
"$PTEST" run "$TMP/forgate.yaml" --out "$TMP/forgate" -q || rc=$?
check_eq "for-gate exits 1 (for 1s broken)" 1 "$rc"
check_cmd "for 1s fails, for 3s passes" python3 - "$TMP/forgate/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
cases = {c.get("name"): c for c in ET.parse(sys.argv[1]).getroot().iter("testcase")}
assert cases["p95 < 50ms for 1s"].find("failure") is not None, "for 1s should fail"
assert cases["p95 < 50ms for 3s"].find("failure") is None, "for 3s should pass"
PY
check_cmd "the failure says how long and from when" \
  grep -Eq 'api broke it for 1 s in a row from second [0-9]+' "$TMP/forgate/summary.txt"

# --- a bad "for" clause is a plan error with its place -------------------------------------
plan badfor 10/s 1s '  api: ["p95 < 50ms for 10"]'
expect_exit "a for without a unit exits 2 with file:line:col" 2 \
  'badfor.yaml:6:9: threshold "p95 < 50ms for 10", character 18: for: the duration needs a unit' \
  "$PTEST" run "$TMP/badfor.yaml" --out "$TMP/badfor" -q
finish
