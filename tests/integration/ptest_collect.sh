#!/usr/bin/env bash
# `ptest collect` with real workers against msdemo: three workers (--share I/3 --report-to)
# report to one collector; the merged results equal the sum of the workers' own results and
# `ptest merge` of their folders; /status and /metrics (promtool) are live; /results/ is 503
# before the merge and serves the merged folder after it, which `ptest report` analyses;
# malformed uploads get 400. Then a worker killed with SIGKILL mid-run is partial and a
# worker never started is missing after --timeout, and both fail the gate; a worker that
# starts before its collector finds it; an unreachable collector ends a worker with exit 4.
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"

port=$(free_port)
start_msdemo ms "$port" --config "$FIXTURES/msdemo-ae.yaml" --workers 1
target="http://127.0.0.1:$port"
# plan DURATION: the plan of every worker.
plan() {
  cat <<YAML
name: distributed
scenarios:
  - {model: open, rate: 120/s, duration: $1, requests: [{label: A, path: /A, weight: 3}, {label: E, path: /E}]}
thresholds:
  A: ["p99 < 2s"]
YAML
}
plan 3s >"$TMP/plan.yaml"
plan 8s >"$TMP/long.yaml"

# start_collector NAME ARGS...: sets CPORT and CPID; logs in $TMP/NAME.log.
start_collector() {
  local name=$1; shift
  CPORT=$(free_port)
  "$PTEST" collect --listen "127.0.0.1:$CPORT" --out "$TMP/$name" "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
  CPID=$!
  PIDS+=("$CPID")
  wait_http "http://127.0.0.1:$CPORT/healthz" 10
}
# wait_done PORT SECONDS: until /status says done.
wait_done() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    curl -s "http://127.0.0.1:$1/status" | grep -q '"done":true' && return 0
    sleep 0.1
  done
  return 1
}
# fetch PORT DIR: every file of /results/ into DIR, as the pipeline does through the API server.
fetch() {
  mkdir -p "$2"
  local f
  for f in $(curl -sf "http://127.0.0.1:$1/results/"); do
    curl -sf -o "$2/$f" "http://127.0.0.1:$1/results/$f"
  done
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# --- three workers, all of them report ------------------------------------------------
start_collector c1 --workers 3 --timeout 60s
C="http://127.0.0.1:$CPORT"
check_eq "healthz" "ok" "$(curl -s "$C/healthz")"
check_eq "/results/ is 503 before the merge" 503 "$(code "$C/results/")"
check_eq "/results/results.json is 503 before the merge" 503 "$(code "$C/results/results.json")"
check_eq "malformed interval: 400" 400 "$(code -X POST --data-binary 'not json' "$C/v1/workers/0/interval")"
check_eq "interval with errors > count: 400" 400 "$(code -X POST --data-binary \
  '{"workers":3,"start_ms":1,"t":0,"len_ms":1000,"labels":[{"name":"A","count":1,"errors":2,"errors_by_kind":{"reset":2},"hist":""}]}' \
  "$C/v1/workers/0/interval")"
check_eq "file name with a path: 400" 400 "$(code -X PUT --data-binary x "$C/v1/workers/0/final/..%2Fa.hlog")"
check_eq "file name not a result file: 400" 400 "$(code -X PUT --data-binary x "$C/v1/workers/0/final/junit.xml")"
check_eq "commit without files: 400" 400 "$(code -X POST --data-binary '{"workers":3}' "$C/v1/workers/0/final")"
check_eq "worker out of range: 404" 404 "$(code -X POST --data-binary '{}' "$C/v1/workers/3/interval")"
check_eq "wrong method: 405" 405 "$(code -X DELETE "$C/v1/workers/0/interval")"
check_eq "chunked body: 411" 411 "$(printf 'x' | code -X POST -H 'Transfer-Encoding: chunked' --data-binary @- "$C/v1/workers/0/interval")"
check_eq "oversized commit: 413" 413 "$(head -c 10000 /dev/zero | tr '\0' ' ' | code -X POST --data-binary @- "$C/v1/workers/0/final")"
check_cmd "collector still answers after bad input" curl -sf -o /dev/null "$C/status"

wpids=()
for i in 0 1 2; do
  "$PTEST" run "$TMP/plan.yaml" --target "$target" --share "$i/3" --report-to "$C" --out "$TMP/w$i" -q -t 1 \
    >"$TMP/w$i.log" 2>&1 &
  wpids+=($!)
done
sleep 2
curl -s "$C/status" >"$TMP/live.json"
check_eq "live: every worker is live during the run" "[0, 1, 2]" "$(json_get "$TMP/live.json" 'd["live"]')"
curl -s "$C/metrics" >"$TMP/live.prom"
check_cmd "live /metrics passes promtool check metrics" promtool check metrics <"$TMP/live.prom"
check_cmd "live /metrics counts requests of label A" grep -Eq '^ptest_requests_total\{label="A"\} [1-9]' "$TMP/live.prom"
check_cmd "live /metrics has latency quantiles" grep -q '^ptest_latency_seconds{label="(total)",quantile="0.99"} 0\.' "$TMP/live.prom"
rcs=""
for p in "${wpids[@]}"; do rc=0; wait "$p" || rc=$?; rcs="$rcs$rc"; done
check_eq "the three workers exit 0" "000" "$rcs"
check_cmd "the collector merges once every worker reported" wait_done "$CPORT" 20
curl -s "$C/status" >"$TMP/status.json"
check_eq "status: complete" "True [0, 1, 2] [] [] False 0" \
  "$(json_get "$TMP/status.json" '" ".join(str(d[k]) for k in ("complete", "reported", "partial", "missing", "timed_out", "exit_code"))')"
curl -s "$C/metrics" >"$TMP/done.prom"
check_cmd "final /metrics passes promtool check metrics" promtool check metrics <"$TMP/done.prom"
fetch "$CPORT" "$TMP/fetched"
for f in results.json A.hlog E.hlog total.hlog junit.xml scorecard.html scorecard.css summary.txt; do
  check_cmd "GET /results/$f" test -s "$TMP/fetched/$f"
done
check_cmd "the index lists no spool folder" bash -c "! curl -s '$C/results/' | grep -q workers"
check_eq "GET /results/../etc/passwd: 404" 404 "$(code --path-as-is "$C/results/../etc/passwd")"
check_eq "GET /results/.workers: 404" 404 "$(code "$C/results/.workers")"
"$PTEST" merge "$TMP/w0" "$TMP/w1" "$TMP/w2" --out "$TMP/m" -q || true
check_cmd "merged counts = sum of the workers' = ptest merge's, percentiles identical" python3 - "$TMP" <<'PY'
import json, sys
t = sys.argv[1]
ws = [json.load(open(f"{t}/w{i}/results.json")) for i in range(3)]
c, m = json.load(open(f"{t}/fetched/results.json")), json.load(open(f"{t}/m/results.json"))
for key in ("A", "E"):
    for f in ("count", "errors", "bytes_received", "bytes_sent"):
        s = sum(w["labels"][key][f] for w in ws)
        assert c["labels"][key][f] == s == m["labels"][key][f], (key, f, c["labels"][key][f], s)
    assert c["labels"][key]["errors_by_kind"] == m["labels"][key]["errors_by_kind"], key
    assert c["labels"][key]["status"] == m["labels"][key]["status"], key
    assert c["labels"][key]["latency_us"] == m["labels"][key]["latency_us"], key
assert c["total"]["count"] == sum(w["total"]["count"] for w in ws) == m["total"]["count"]
assert c["total"]["latency_us"] == m["total"]["latency_us"]
assert c["labels"]["E"]["errors"] > 0
assert c["distributed"] == {"workers": 3, "reported": [0, 1, 2], "partial": [], "missing": []}, c["distributed"]
assert len(c["timeseries"]) == len(m["timeseries"])
PY
total=$(json_get "$TMP/fetched/results.json" 'd["total"]["count"]')
check_cmd "final /metrics total = merged count" grep -qx "ptest_requests_total{label=\"(total)\"} $total" "$TMP/done.prom"
rc=0; "$PTEST" report "$TMP/fetched" -q || rc=$?
check_eq "ptest report on the fetched results: gate passes" 0 "$rc"
check_cmd "junit.xml has a passing workers suite" grep -q '<testsuite name="workers" tests="3" failures="0"' "$TMP/fetched/junit.xml"
check_eq "uploads after the merge: 409" 409 "$(code -X POST --data-binary '{"workers":3}' "$C/v1/workers/0/final")"
check_cmd "one progress line per second on stderr" \
  test "$(grep -cE '^collect [0-9]+s  workers [0-3]/3 live, [0-3] final  [0-9]+ req/s' "$TMP/c1.log")" -ge 3
kill -TERM "$CPID"; rc=0; wait "$CPID" || rc=$?
check_eq "SIGTERM: the collector exits 0" 0 "$rc"

# --- a worker killed mid-run (partial), one never started (missing) ---------------------
start_collector c2 --workers 3 --timeout 7s -q
C="http://127.0.0.1:$CPORT"
"$PTEST" run "$TMP/plan.yaml" --target "$target" --share 0/3 --report-to "$C" --out "$TMP/k0" -q -t 1 \
  >"$TMP/k0.log" 2>&1 &
k0=$!
"$PTEST" run "$TMP/long.yaml" --target "$target" --share 1/3 --report-to "$C" --out "$TMP/k1" -q -t 1 \
  >"$TMP/k1.log" 2>&1 &
k1=$!
sleep 3.5
kill -KILL "$k1"; wait "$k1" 2>/dev/null || true
wait "$k0" || true
sleep 1
check_eq "before the timeout: not done, worker 1 live" "False [0, 1]" \
  "$(curl -s "$C/status" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["done"], d["live"])')"
check_cmd "the collector merges at --timeout" wait_done "$CPORT" 15
curl -s "$C/status" >"$TMP/status2.json"
check_eq "status: worker 1 partial, worker 2 missing, timed out" "False [0] [1] [2] True 1" \
  "$(json_get "$TMP/status2.json" '" ".join(str(d[k]) for k in ("complete", "reported", "partial", "missing", "timed_out", "exit_code"))')"
fetch "$CPORT" "$TMP/fetched2"
check_cmd "results.json names the partial and the missing worker" python3 - "$TMP" <<'PY'
import json, sys
t = sys.argv[1]
c = json.load(open(f"{t}/fetched2/results.json"))
w0 = json.load(open(f"{t}/k0/results.json"))
assert c["distributed"] == {"workers": 3, "reported": [0], "partial": [1], "missing": [2]}, c["distributed"]
# The killed worker contributed what it sent: more than worker 0 alone, at most its 3.5 s.
extra = c["total"]["count"] - w0["total"]["count"]
assert 40 < extra < 40 * 4.5, extra
PY
rc=0; "$PTEST" report "$TMP/fetched2" -q || rc=$?
check_eq "ptest report: the gate fails (exit 1)" 1 "$rc"
check_cmd "junit.xml: worker 1 partial" grep -q 'worker 1 sent live seconds but no final results' "$TMP/fetched2/junit.xml"
check_cmd "junit.xml: worker 2 missing" grep -q 'worker 2 never reported' "$TMP/fetched2/junit.xml"
check_cmd "summary.txt names both" grep -q 'FAILED  \[workers\] worker 2' "$TMP/fetched2/summary.txt"
kill -TERM "$CPID"; wait "$CPID" || true

# --- a worker stopped by SIGTERM (cut short: partial), one that never comes, POST /finish --
start_collector c4 --workers 2 -q
C="http://127.0.0.1:$CPORT"
"$PTEST" run "$TMP/long.yaml" --target "$target" --share 0/2 --report-to "$C" --out "$TMP/t0" -q -t 1 \
  >"$TMP/t0.log" 2>&1 &
t0w=$!
sleep 2.5
kill -TERM "$t0w"; wait "$t0w" 2>/dev/null || true
check_eq "GET /finish is refused (405)" 405 "$(code "$C/finish")"
check_eq "POST /finish: 200" 200 "$(code -X POST "$C/finish")"
check_cmd "the collector merges at once after POST /finish (no --timeout)" wait_done "$CPORT" 10
# exit_code 3: the only worker's run was interrupted, so the merged run is too.
check_eq "status: the SIGTERM'd worker partial, the silent one missing, finish requested" "False [] [0] [1] True 3" \
  "$(curl -s "$C/status" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(str(d[k]) for k in ("complete", "reported", "partial", "missing", "finish_requested", "exit_code")))')"
check_eq "POST /finish after the merge: 409" 409 "$(code -X POST "$C/finish")"
kill -TERM "$CPID"; wait "$CPID" || true

# --- a worker that starts before its collector; an unreachable collector -----------------
lport=$(free_port)
"$PTEST" run "$TMP/plan.yaml" --target "$target" --share 0/1 --report-to "http://localhost:$lport" --out "$TMP/late" -q -t 1 \
  >"$TMP/late.log" 2>&1 &
lw=$!
sleep 1.5
"$PTEST" collect --listen "127.0.0.1:$lport" --workers 1 --out "$TMP/c3" -q >"$TMP/c3.out" 2>&1 &
CPID=$!
PIDS+=("$CPID")
rc=0; wait "$lw" || rc=$?
check_eq "a worker started before the collector still delivers (exit 0)" 0 "$rc"
check_cmd "the late collector merges it" wait_done "$lport" 10
check_eq "late collector: complete" "True" "$(curl -s "http://127.0.0.1:$lport/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["complete"])')"
kill -TERM "$CPID"; wait "$CPID" || true
dead=$(free_port)
rc=0; "$PTEST" run "$TMP/plan.yaml" -d 1s --target "$target" --share 0/2 --report-to "http://127.0.0.1:$dead" \
  --report-timeout 2s --out "$TMP/lost" -q -t 1 2>"$TMP/lost.log" || rc=$?
check_eq "collector unreachable: the run goes on, exit 4" 4 "$rc"
check_cmd "... and its local results are written" test -s "$TMP/lost/results.json"
rc=0; "$PTEST" run "$TMP/plan.yaml" --report-to "http://127.0.0.1:$dead" -q 2>/dev/null || rc=$?
check_eq "--report-to without --share: usage error" 2 "$rc"
finish
