#!/usr/bin/env bash
# `ptest merge` of two workers of one run: counts, errors and status codes add exactly, the
# merged percentiles are those of the added histograms (checked independently with
# hdr-histogram-js adding both workers' interval logs), the time series are aligned, and the
# merged run is analysed (junit.xml, scorecard) like any other. Merged shares of one plan
# describe the whole run (its plan, not worker 0's share). Exit codes of the failure paths.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export NODE_PATH=${NODE_PATH:-$BUILD/node/node_modules}

port=$(free_port)
start_msdemo ms "$port" --config "$FIXTURES/msdemo-ae.yaml" --workers 1
cat >"$TMP/plan.yaml" <<'YAML'
name: distributed
scenarios:
  - {model: open, rate: 100/s, duration: 3s, requests: [{label: A, path: /A, weight: 3}, {label: E, path: /E}]}
thresholds:
  A: ["p99 < 2s"]
YAML
"$PTEST" run "$TMP/plan.yaml" --target "http://127.0.0.1:$port" --out "$TMP/w1" -q -t 1 &
w1=$!
"$PTEST" run "$TMP/plan.yaml" --target "http://127.0.0.1:$port" --out "$TMP/w2" -q -t 1 &
w2=$!
wait "$w1"; wait "$w2"

rc=0
"$PTEST" merge "$TMP/w1" "$TMP/w2" --out "$TMP/m" -q || rc=$?
check_eq "merge exits 0 (gate passes)" 0 "$rc"
for f in results.json A.hlog E.hlog total.hlog junit.xml scorecard.html summary.txt; do
  check_cmd "merged $f written" test -s "$TMP/m/$f"
done
check_cmd "merged junit.xml well-formed" xmllint --noout "$TMP/m/junit.xml"

check_cmd "counts, errors and status codes add exactly" python3 - "$TMP" <<'PY'
import json, sys
t = sys.argv[1]
a, b, m = (json.load(open(f"{t}/{d}/results.json")) for d in ("w1", "w2", "m"))
for key in ("A", "E"):
    la, lb, lm = a["labels"][key], b["labels"][key], m["labels"][key]
    for f in ("count", "errors", "bytes_received", "bytes_sent"):
        assert lm[f] == la[f] + lb[f], (key, f)
    for s in set(la["status"]) | set(lb["status"]):
        assert lm["status"][s] == la["status"].get(s, 0) + lb["status"].get(s, 0), (key, s)
    assert lm["latency_us"]["count"] == la["latency_us"]["count"] + lb["latency_us"]["count"]
assert m["total"]["count"] == a["total"]["count"] + b["total"]["count"]
assert m["labels"]["E"]["errors"] > 0
assert m["merged_from"] == [f"{t}/w1", f"{t}/w2"]
# Series aligned: the workers started within the same second, so the merged series is as
# long as the longer one and its requests add up to the merged count (within rounding).
assert len(m["timeseries"]) == max(len(a["timeseries"]), len(b["timeseries"]))
n = sum(round(p["rps"] * p["len_s"]) for p in m["timeseries"])
assert abs(n - m["total"]["count"]) <= len(m["timeseries"]), (n, m["total"]["count"])
PY

# Independent percentiles: hdr-histogram-js adds every interval of both workers' logs.
{ cat "$TMP/w1/total.hlog"; grep -v '^[#"]' "$TMP/w2/total.hlog"; } >"$TMP/both.hlog"
js=$(node "$(dirname "$0")/hdr_interop.js" read-percentiles "$TMP/both.hlog")
ours=$(json_get "$TMP/m/results.json" '" ".join(str(d["total"]["latency_us"][k]) for k in ("p50","p90","p99","p999","max","count"))')
check_eq "merged percentiles = hdr-histogram-js on both workers' logs" "$js" "$ours"

# Merging a run with itself doubles every count and keeps every percentile.
"$PTEST" merge "$TMP/w1" "$TMP/w1" --out "$TMP/self" -q
check_cmd "self-merge: counts double, percentiles stay" python3 - "$TMP" <<'PY'
import json, sys
t = sys.argv[1]
a, s = json.load(open(f"{t}/w1/results.json")), json.load(open(f"{t}/self/results.json"))
assert s["total"]["count"] == 2 * a["total"]["count"]
for k in ("p50", "p90", "p99", "p999", "max", "min"):
    assert s["total"]["latency_us"][k] == a["total"]["latency_us"][k], k
PY
# A distributed run merged describes the whole run, not worker 0's share: the planned rate,
# users and connections are the single run's; share and environment are per input.
cat >"$TMP/split.yaml" <<'YAML'
name: split
scenarios:
  - {name: o, model: open, rate: 60/s, duration: 2s, max_connections: 8, requests: [{label: A, path: /A}]}
  - {name: u, model: closed, users: 3, ramp_up: 1s, hold_for: 1s, requests: [{label: U, path: /A}]}
YAML
"$PTEST" run "$TMP/split.yaml" --target "http://127.0.0.1:$port" --out "$TMP/full" -q -t 1
"$PTEST" run "$TMP/split.yaml" --target "http://127.0.0.1:$port" --share 0/2 --out "$TMP/s0" -q -t 1 &
s0=$!
"$PTEST" run "$TMP/split.yaml" --target "http://127.0.0.1:$port" --share 1/2 --out "$TMP/s1" -q -t 1
wait "$s0"
rc=0; "$PTEST" merge "$TMP/s0" "$TMP/s1" --out "$TMP/sm" -q || rc=$?
check_eq "merge of two shares exits 0" 0 "$rc"
check_cmd "merged shares: the whole plan (planned rate, users, connections), shares and environments per input" \
  python3 - "$TMP" <<'PY'
import json, sys
t = sys.argv[1]
full, s0, s1, m = (json.load(open(f"{t}/{d}/results.json")) for d in ("full", "s0", "s1", "sm"))
def load(r):
    sc = {s["name"]: s for s in r["plan"]["scenarios"]}
    rate = sum(st["rate"] * st["duration_s"] for st in sc["o"]["stages"]) / sum(st["duration_s"] for st in sc["o"]["stages"])
    return rate, sc["o"]["max_connections"], sc["u"]["users"], sc["u"]["ramp_up_s"]
print("full", load(full), "share 0", load(s0), "merged", load(m), "share", m["share"])
assert load(s0)[0] == 30 and load(s0)[2] == 2          # a share is half the load
assert load(m) == load(full), (load(m), load(full))    # the merged run is the whole plan
assert m["plan"] == full["plan"]
assert s0["whole_plan"] == full["plan"] and full["whole_plan"] is None
assert m["share"] is None and full["share"] is None
assert m["shares"] == [{"index": 0, "count": 2}, {"index": 1, "count": 2}]
assert m["environment"] is None and m["environments"] == [s0["environment"], s1["environment"]]
assert m["total"]["count"] == s0["total"]["count"] + s1["total"]["count"]
PY
rc=0; "$PTEST" merge "$TMP/w1" --out "$TMP/w1" -q 2>/dev/null || rc=$?
check_eq "merge into an input exits 2" 2 "$rc"
finish
