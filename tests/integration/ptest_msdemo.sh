#!/usr/bin/env bash
# ptest against a real msdemo whose delays and errors are known:
#  - the measured per-label mean and p50 match what msdemo served (its own
#    msdemo_request_duration_seconds sum/count for the path) within 3% + 0.3 ms,
#    in the closed model (a plan with a weighted mix) and the open model (-R);
#  - counts and errors are exact under error injection: ptest's count for a label equals
#    msdemo_requests_total for the path, its errors equal the 500s msdemo sent;
#  - the 1 s time series and the interval logs add up to the totals.
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cat >"$TMP/ms.yaml" <<'YAML'
seed: 1
endpoints:
  - {path: /A, delay: {dist: normal, mean: 20ms, stddev: 5ms, n: 1000}}
  - {path: /E, errors: {rate: 0.1, status: 500}}
YAML
port=$(free_port)
start_msdemo ms "$port" --config "$TMP/ms.yaml" --workers 1
base=http://127.0.0.1:$port

cat >"$TMP/check.py" <<'PY'
import json, re, sys

def metrics(path):
    m = {}
    for line in open(path):
        mm = re.match(r'^(\w+)\{([^}]*)\}\s+(\S+)$', line.strip())
        if mm:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', mm.group(2)))
            m.setdefault(mm.group(1), []).append((labels, float(mm.group(3))))
    return m

def total(m, name, **want):
    return sum(v for labels, v in m.get(name, []) if all(labels.get(k) == x for k, x in want.items()))

def delta(before, after, name, **want):
    return total(metrics(after), name, **want) - total(metrics(before), name, **want)

what, res, before, after, label, path = sys.argv[1:7]
r = json.load(open(res))
l = r["labels"][label]
if what == "delay":
    s = delta(before, after, "msdemo_request_duration_seconds_sum", path=path)
    c = delta(before, after, "msdemo_request_duration_seconds_count", path=path)
    served = s / c * 1000.0
    tol = 0.03 * served + 0.3
    mean = l["latency_us"]["mean"] / 1000.0
    p50 = l["latency_us"]["p50"] / 1000.0
    print(f"{label}: served mean {served:.3f} ms over {c:.0f}; ptest mean {mean:.3f} ms, p50 {p50:.3f} ms (tolerance {tol:.3f} ms)")
    sys.exit(0 if abs(mean - served) <= tol and abs(p50 - served) <= tol else 1)
if what == "count":
    n = delta(before, after, "msdemo_requests_total", path=path)
    print(f"{label}: ptest count {l['count']}, msdemo served {n:.0f}")
    sys.exit(0 if l["count"] == n and n > 0 else 1)
if what == "errors":
    n = delta(before, after, "msdemo_requests_total", path=path, code="500")
    st = l["status"].get("500", 0)
    print(f"{label}: ptest errors {l['errors']} (status 500: {st}, kind status: {l['errors_by_kind']['status']}), msdemo 500s {n:.0f}")
    sys.exit(0 if l["errors"] == n == st == l["errors_by_kind"]["status"] and n > 0 else 1)
if what == "series":
    t = r["total"]["count"]
    s = round(sum(p["rps"] * p["len_s"] for p in r["timeseries"]))
    sl = round(sum(p["labels"][label]["rps"] * p["len_s"] for p in r["timeseries"]))
    print(f"time series: total {s} of {t}, {label} {sl} of {l['count']}")
    sys.exit(0 if s == t and sl == l["count"] else 1)
sys.exit(2)
PY

# run NAME ARGS...: snapshot metrics around one ptest run into $TMP/NAME.{before,after}
run() {
  local name=$1; shift
  curl -s "$base/metrics" >"$TMP/$name.before"
  if ! "$PTEST" run "$@" --out "$TMP/$name" -q >"$TMP/$name.log" 2>&1; then
    cat "$TMP/$name.log"
    fail "$name: ptest exited with an error"
    return 1
  fi
  curl -s "$base/metrics" >"$TMP/$name.after"
  ok "$name: ptest ran"
}
check() { # WHAT RUN LABEL PATH
  check_cmd "$2 $1 $3" python3 "$TMP/check.py" "$1" "$TMP/$2/results.json" "$TMP/$2.before" "$TMP/$2.after" "$3" "$4"
}

# Closed model: a plan with a weighted mix of both endpoints.
cat >"$TMP/closed.yaml" <<YAML
name: closed-mix
target: $base
scenarios:
  - name: users
    model: closed
    users: 16
    hold_for: 5s
    requests:
      - {label: A, path: /A, weight: 3}
      - {label: E, path: /E, weight: 1}
YAML
if run closed "$TMP/closed.yaml" -t 1; then
  check delay closed A /A
  check count closed A /A
  check count closed E /E
  check errors closed E /E
  check series closed A -
fi

# Open model at a constant rate, one endpoint per run (ad-hoc URL form).
if run openA "$base/A" -R 200 -c 50 -d 5s -t 1 --label A; then
  check delay openA A /A
  check count openA A /A
  check_cmd "openA achieved 200/s (no drops)" python3 -c "
import json, sys; r = json.load(open('$TMP/openA/results.json'))
print(r['total']['count'], r['dropped'], r['total']['rps']); sys.exit(not (r['dropped'] == 0 and r['total']['count'] == 1000))"
fi
if run openE "$base/E" -R 400 -c 20 -d 4s --label E; then
  check count openE E /E
  check errors openE E /E
  check series openE E -
fi

# An open plan with stages: arrivals follow the schedule exactly.
cat >"$TMP/open.yaml" <<YAML
name: open-stages
target: $base
scenarios:
  - name: arrivals
    model: open
    stages: [{rate: 100/s, duration: 2s}, {rate: 300/s, duration: 2s}]
    max_connections: 30
    requests: [{label: A, path: /A}]
YAML
if run stages "$TMP/open.yaml" -t 1; then
  check count stages A /A
  check delay stages A /A
  check_cmd "stages: 200 + 600 arrivals" python3 -c "
import json, sys; r = json.load(open('$TMP/stages/results.json'))
ts = r['timeseries']; print(r['total']['count'], [round(p['rps']) for p in ts])
sys.exit(not (r['total']['count'] == 800))"
fi
finish
