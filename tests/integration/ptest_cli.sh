#!/usr/bin/env bash
# ptest's command line and outputs: usage errors exit 2, plan errors exit 2 with
# file:line:col, a dead target exits 3 with a clear message, SIGINT mid-run exits 3 and still
# writes results.json (interrupted: true), the JTL has 17 columns and one row per request,
# one .hlog per label (plus total.hlog) that agrees with results.json, checks count as errors.
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# --- usage -------------------------------------------------------------------------
expect_exit "no arguments" 2 "usage: ptest" "$PTEST"
expect_exit "unknown command" 2 'unknown command "frobnicate"' "$PTEST" frobnicate
expect_exit "run without URL" 2 "missing URL" "$PTEST" run
expect_exit "-c 0" 2 "^ptest run: -c" "$PTEST" run http://127.0.0.1:1/ -c 0
expect_exit "-c not a number" 2 "^ptest run: -c" "$PTEST" run http://127.0.0.1:1/ -c ten
expect_exit "-t 0" 2 "^ptest run: -t" "$PTEST" run http://127.0.0.1:1/ -t 0
expect_exit "-d bad" 2 "^ptest run: -d" "$PTEST" run http://127.0.0.1:1/ -d soon
expect_exit "-R bad" 2 "^ptest run: -R" "$PTEST" run http://127.0.0.1:1/ -R fast
expect_exit "unknown option" 2 "" "$PTEST" run http://127.0.0.1:1/ --frobnicate
expect_exit "two targets" 2 "unexpected argument" "$PTEST" run http://127.0.0.1:1/ http://127.0.0.1:2/
expect_exit "https accepted; a closed port is unreachable" 3 "target https://127.0.0.1:1 unreachable: connection refused" "$PTEST" run https://127.0.0.1:1/
expect_exit "https --report-to refused" 2 "collector speaks plain http" "$PTEST" run https://127.0.0.1:1/ --share 0/1 --report-to https://127.0.0.1:2/
expect_exit "--key without --cert" 2 "--key needs --cert" "$PTEST" run https://127.0.0.1:1/ --key k.pem
expect_exit "--target with a URL" 2 "--target applies to plan runs" "$PTEST" run http://127.0.0.1:1/ --target http://x/
expect_exit "--help" 0 "" "$PTEST" --help
check_cmd "--help lists run" grep -q "run URL|PLAN.yaml" "$TMP/out.txt"
expect_exit "run --help" 0 "" "$PTEST" run --help
check_cmd "run --help lists the options" grep -q -- "--jtl FILE" "$TMP/out.txt"
expect_exit "--version" 0 "" "$PTEST" --version
check_cmd "--version prints the version" grep -q "^ptest " "$TMP/out.txt"

# --- plan errors -------------------------------------------------------------------
cat >"$TMP/bad.yaml" <<'YAML'
name: bad
target: http://127.0.0.1:1
scenarios:
  - name: a
    model: closed
    users: many
    hold_for: 1s
    requests: [{path: /}]
YAML
expect_exit "plan error" 2 "bad.yaml:6:[0-9]+: " "$PTEST" run "$TMP/bad.yaml"
expect_exit "missing plan file" 2 "nope.yaml" "$PTEST" run "$TMP/nope.yaml"
cat >"$TMP/notarget.yaml" <<'YAML'
scenarios:
  - {name: a, model: closed, users: 1, hold_for: 1s, requests: [{path: /}]}
YAML
expect_exit "plan without target" 2 "no target" "$PTEST" run "$TMP/notarget.yaml"
expect_exit "-c with a plan" 2 "apply to URL runs" "$PTEST" run "$TMP/notarget.yaml" -c 5

# --- dead target -------------------------------------------------------------------
dead=$(free_port)
expect_exit "dead target exits 3" 3 "^ptest: target http://127.0.0.1:$dead unreachable: connection refused$" \
  "$PTEST" run "http://127.0.0.1:$dead/" -d 2s --out "$TMP/dead"

# --- a live server -----------------------------------------------------------------
port=$(free_port)
"$TOOLS/stallsrv" --listen "127.0.0.1:$port" --stall 1h:1s >"$TMP/srv.out" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do grep -q listening "$TMP/srv.out" 2>/dev/null && break; sleep 0.05; done
base=http://127.0.0.1:$port

# SIGINT mid-run: exit 3, results of what ran, interrupted.
"$PTEST" run "$base/" -c 4 -d 30s --out "$TMP/int" -q >"$TMP/int.log" 2>&1 &
pt=$!
sleep 1.5
kill -INT "$pt"
rc=0
wait "$pt" || rc=$?
check_eq "SIGINT exits 3" 3 "$rc"
check_cmd "SIGINT still writes results.json, interrupted, with what ran" python3 -c "
import json, sys; r = json.load(open('$TMP/int/results.json'))
print(r['interrupted'], r['total']['count'], r['duration_s'])
sys.exit(not (r['interrupted'] is True and r['total']['count'] > 0 and r['duration_s'] < 10))"

# A plan with three labels, a JTL and a --target override.
cat >"$TMP/plan.yaml" <<'YAML'
name: cli-plan
target: http://127.0.0.1:1
scenarios:
  - name: users
    model: closed
    users: 4
    hold_for: 30s
    requests:
      - {label: root, path: /, weight: 2, expect: {status: 200, body_contains: "ok"}}
      - {label: "a/b", path: /a/b, weight: 1}
  - name: arrivals
    model: open
    rate: 200/s
    duration: 30s
    max_connections: 10
    requests: [{label: chk, path: /c, expect: {body_contains: "not there"}}]
YAML
# The chk label's body check fails on purpose, so the gate fails: exit 1, results written.
set +e
"$PTEST" run "$TMP/plan.yaml" --target "$base" -d 2s --out "$TMP/plan" --jtl "$TMP/plan/r.jtl" -q
rc=$?
set -e
check_eq "plan run with --target and -d (failed check -> gate exit 1)" "1" "$rc"
check_cmd "one .hlog per label and total.hlog" test -f "$TMP/plan/root.hlog" -a -f "$TMP/plan/a_b.hlog" \
  -a -f "$TMP/plan/chk.hlog" -a -f "$TMP/plan/total.hlog"
check_cmd "JTL: header, 17 columns, one row per request" python3 - "$TMP/plan/r.jtl" "$TMP/plan/results.json" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
r = json.load(open(sys.argv[2]))
head = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect".split(",")
ok = rows[0] == head and all(len(x) == 17 for x in rows)
per = {}
for x in rows[1:]:
    per[x[2]] = per.get(x[2], 0) + 1
want = {k: v["count"] for k, v in r["labels"].items()}
fails = sum(1 for x in rows[1:] if x[7] == "false")
print(len(rows) - 1, "rows", per, want, "failures", fails, "errors", r["total"]["errors"])
sys.exit(not (ok and per == want and len(rows) - 1 == r["total"]["count"] and fails == r["total"]["errors"]))
PY
check_cmd "results: checks count as errors, 2 s of 200/s arrivals" python3 - "$TMP/plan/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
L = r["labels"]
print({k: (v["count"], v["errors"], v["errors_by_kind"]["expectation"]) for k, v in L.items()})
sys.exit(not (list(L) == ["root", "a/b", "chk"] and L["root"]["count"] > 0 and L["root"]["errors"] == 0
              and L["a/b"]["count"] > 0 and L["a/b"]["errors"] == 0 and L["chk"]["count"] == 400
              and L["chk"]["errors"] == 400 and L["chk"]["errors_by_kind"]["expectation"] == 400
              and r["plan"]["target"].startswith("http://127.0.0.1:") and r["dropped"] == 0))
PY
if [ -x "$TOOLS/hlogtool" ]; then
  for l in root a_b chk total; do
    key=$l; [ "$l" = a_b ] && key=a/b
    got=$("$TOOLS/hlogtool" percentiles "$TMP/plan/$l.hlog" | awk '{print $1, $3, $6}')
    want=$(python3 -c "
import json; r = json.load(open('$TMP/plan/results.json'))
l = r['total'] if '$key' == 'total' else r['labels']['$key']
print(l['latency_us']['p50'], l['latency_us']['p99'], l['latency_us']['count'])")
    check_eq "$l.hlog agrees with results.json (p50 p99 count)" "$want" "$got"
  done
fi
# --- distributed shares (--share INDEX/N) -------------------------------------------
expect_exit "--share index out of range" 2 "^ptest run: --share" "$PTEST" run "$base/" --share 2/2
expect_exit "--share 0/0" 2 "^ptest run: --share" "$PTEST" run "$base/" --share 0/0
expect_exit "--share not I/N" 2 "^ptest run: --share" "$PTEST" run "$base/" --share 1
cat >"$TMP/share.yaml" <<'YAML'
name: shares
scenarios:
  - {name: users, model: closed, users: 5, ramp_up: 1s, iterations: 20, requests: [{label: u, path: /u}]}
  - {name: arrivals, model: open, rate: 100/s, duration: 2s, max_connections: 3, requests: [{label: o, path: /o}]}
YAML
# Two workers at once, as the Indexed Job runs them; then one run of the whole plan.
pids=()
for i in 0 1; do
  "$PTEST" run "$TMP/share.yaml" --target "$base" --share "$i/2" --out "$TMP/share$i" -q &
  pids+=("$!")
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
check_eq "two shares run" 0 "$rc"
check_cmd "shares add up: users 3+2, 100+100 arrivals, max_connections 2+1, share recorded" \
  python3 - "$TMP/share0/results.json" "$TMP/share1/results.json" <<'PY'
import json, sys
r = [json.load(open(f)) for f in sys.argv[1:]]
sc = [{s["name"]: s for s in x["plan"]["scenarios"]} for x in r]
users = [s["users"]["users"] for s in sc]
maxc = [s["arrivals"]["max_connections"] for s in sc]
rates = [s["arrivals"]["stages"][0]["rate"] for s in sc]
u = [x["labels"]["u"]["count"] for x in r]
o = [x["labels"]["o"]["count"] for x in r]
shares = [x["share"] for x in r]
print("users", users, "max_connections", maxc, "rates", rates, "counts u", u, "o", o, "shares", shares)
sys.exit(not (users == [3, 2] and maxc == [2, 1] and rates == [50, 50] and u == [60, 40]
              and o == [100, 100] and shares == [{"index": 0, "count": 2}, {"index": 1, "count": 2}]
              and all(x["dropped"] == 0 and x["total"]["errors"] == 0 for x in r)))
PY
if "$PTEST" run "$TMP/share.yaml" --target "$base" --out "$TMP/share-all" -q; then
  check_cmd "the single run: same counts, no share" python3 -c "
import json, sys; r = json.load(open('$TMP/share-all/results.json'))
print(r['labels']['u']['count'], r['labels']['o']['count'], r['share'])
sys.exit(not (r['labels']['u']['count'] == 100 and r['labels']['o']['count'] == 200 and r['share'] is None))"
else
  fail "the single run of the share plan"
fi
finish
