#!/usr/bin/env bash
# Coordinated omission: a server that freezes for 1 s at t = 3 s and t = 7 s of a 10 s run
# (tests/tools/stallsrv; times counted from its first request, i.e. ptest's time 0).
# Open model at 1000/s: every request intended during a stall waits for its end, so 20% of
# the requests have latencies spread evenly over 0..1 s and the analytic p90/p99 are about
# 500 ms and 950 ms (computed below from the schedule). ptest must be within 10% of both.
# The closed model on the same server is printed for comparison (it cannot see the stall:
# its users simply wait, so it measures few slow requests; not asserted).
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PTEST="$BUILD/ptest"
STALLSRV="$TOOLS/stallsrv"

# start_stallsrv NAME: starts a fresh server (its clock starts at its first request).
start_stallsrv() {
  local name=$1 port
  port=$(free_port)
  "$STALLSRV" --listen "127.0.0.1:$port" --stall 3s:1s --stall 7s:1s >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PIDS+=("$!")
  for _ in $(seq 100); do
    grep -q listening "$TMP/$name.out" 2>/dev/null && break
    sleep 0.05
  done
  URL=http://127.0.0.1:$port/
}

start_stallsrv open
if "$PTEST" run "$URL" -R 1000 -c 50 -d 10s -t 2 --out "$TMP/open" -q; then
  ok "open model run"
else
  fail "open model run"
fi
check_cmd "the server stalled twice" test "$(grep -c '^stall' "$TMP/open.err")" -eq 2

cat >"$TMP/truth.py" <<'PY'
import json, math, sys
rate, duration, stalls = 1000, 10.0, [(3.0, 1.0), (7.0, 1.0)]
lat = []
for i in range(int(rate * duration)):
    t = i / rate
    l = 0.0
    for at, d in stalls:
        if at <= t < at + d:
            l = at + d - t        # waits for the end of the stall
    lat.append(l)
lat.sort()
def pct(p):                        # HdrHistogram's rule: the k-th smallest, k = ceil(p N)
    return lat[max(1, math.ceil(p / 100 * len(lat))) - 1]
r = json.load(open(sys.argv[1]))
l = r["total"]["latency_us"]
ok = True
for p in (90, 99):
    truth = pct(p) * 1000
    got = l["p%d" % p] / 1000
    good = abs(got - truth) <= 0.10 * truth
    ok = ok and good
    print(f"p{p}: ptest {got:.1f} ms, truth {truth:.1f} ms -> {'ok' if good else 'OFF BY MORE THAN 10%'}")
print(f"count {r['total']['count']}, dropped {r['dropped']}, queued {r['total']['queued']}, max {l['max']/1000:.1f} ms, "
      f"service time p99 {r['total']['service_time_us']['p99']/1000:.1f} ms")
sys.exit(0 if ok and r["total"]["count"] == 10000 else 1)
PY
check_cmd "open model p90/p99 within 10% of the analytic truth" python3 "$TMP/truth.py" "$TMP/open/results.json"

# The closed model against a fresh server, for contrast (printed, not asserted).
start_stallsrv closed
"$PTEST" run "$URL" -c 50 -d 10s -t 2 --out "$TMP/closed" -q || true
if [ -f "$TMP/closed/results.json" ]; then
  python3 - "$TMP/closed/results.json" "$TMP/open/results.json" <<'PY'
import json, sys
c, o = (json.load(open(f))["total"] for f in sys.argv[1:3])
for name, t in (("open  ", o), ("closed", c)):
    l = t["latency_us"]
    print(f"{name}: {t['count']:7d} requests, p50 {l['p50']/1000:8.2f} ms, p90 {l['p90']/1000:8.2f} ms, "
          f"p99 {l['p99']/1000:8.2f} ms, max {l['max']/1000:8.2f} ms")
PY
fi
finish
