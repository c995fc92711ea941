#!/usr/bin/env bash
# ptest run --metrics-listen: a real Prometheus scrapes ptest's live metrics during a run
# against msdemo's /B (normal 20 ms +- 5 ms). up == 1 while it runs; the exposition passes
# `promtool check metrics`; the plan's threshold value (p95 < 30ms) is a bucket bound; the
# planned rate is the plan's; and Prometheus' histogram_quantile(0.95) over the last scrape
# agrees with results.json's p95 within the bucket resolution: both fall in the same bucket.
# A bad --metrics-listen address, or one in use, is a usage error (exit 2) before any load.
source "$(dirname "$0")/lib.sh"
need prometheus promtool curl python3

port=$(free_port)
start_msdemo ms "$port" --workers 1
mport=$(free_port)
start_prometheus ptest "127.0.0.1:$mport"

cat >"$TMP/live.yaml" <<YAML
name: live
target: http://127.0.0.1:$port
scenarios:
  - {model: open, rate: 100/s, duration: 15s, max_connections: 50, requests: [{label: B, path: /B}]}
thresholds:
  B: ["p95 < 30ms", "error_rate < 1%"]
YAML
"$PTEST" run "$TMP/live.yaml" --out "$TMP/live" --metrics-listen "127.0.0.1:$mport" -q >"$TMP/run.out" 2>"$TMP/run.err" &
run=$!
PIDS+=("$run")
wait_http "http://127.0.0.1:$mport/metrics" 10

up=""
for i in $(seq 1 20); do
  up=$(prom_value 'up{job="ptest"}')
  [ "$up" = 1 ] && break
  sleep 0.5
done
check_eq "prometheus sees ptest up during the run" "1" "$up"
sleep 4
curl -s "http://127.0.0.1:$mport/metrics" >"$TMP/metrics.txt"
check "promtool check metrics is clean" sh -c "promtool check metrics <'$TMP/metrics.txt'"
check_cmd "the threshold's 30 ms is a bucket bound" \
  grep -q '^ptest_request_duration_seconds_bucket{label="B",le="0.03"} ' "$TMP/metrics.txt"
check_cmd "planned rate is the plan's 100/s" grep -q '^ptest_planned_requests_per_second{label="B"} 100$' "$TMP/metrics.txt"
check_cmd "in-flight gauge present" grep -Eq '^ptest_inflight_requests\{label="B"\} [0-9]+$' "$TMP/metrics.txt"
planned=$(prom_value 'ptest_planned_requests_per_second{label="B"}')
check_eq "prometheus has the planned rate" "100" "$planned"
rc=0
wait "$run" || rc=$?
check_eq "the run passes its gate" 0 "$rc"

# The last scrape of the run (range functions skip the staleness marker set when ptest left).
p95=$(prom_value 'histogram_quantile(0.95, last_over_time(ptest_request_duration_seconds_bucket{label="B"}[2m]))')
n=$(prom_value 'last_over_time(ptest_requests_total{label="B"}[2m])')
check_cmd "prometheus scraped the run's requests ($n)" python3 -c "import sys; sys.exit(not float('${n:-0}') > 500)"
check_cmd "histogram_quantile p95 ($p95 s) agrees with results.json within the bucket" \
  python3 - "$TMP/live/results.json" "$TMP/metrics.txt" "${p95:-nan}" <<'PY'
import json, math, re, sys
d = json.load(open(sys.argv[1]))
truth = d["labels"]["B"]["latency_us"]["p95"] / 1e6
prom = float(sys.argv[3])
les = sorted({float(m) for m in re.findall(r'_bucket\{label="B",le="([0-9.e+-]+)"\}', open(sys.argv[2]).read())})
assert not math.isnan(prom), "no answer from prometheus"
lo = max([b for b in les if b < prom], default=0.0)
hi = min([b for b in les if b >= prom], default=math.inf)
print(f"results.json p95 {truth * 1e3:.2f} ms, prometheus {prom * 1e3:.2f} ms, bucket ({lo * 1e3:g}, {hi * 1e3:g}] ms")
assert lo * 0.999 <= truth <= hi * 1.001, (truth, prom, lo, hi)
PY

# A bad address and a port in use are usage errors before any load.
expect_exit "--metrics-listen without a port exits 2" 2 '^ptest: --metrics-listen: expected HOST:PORT' \
  "$PTEST" run "http://127.0.0.1:$port/" -d 1s -q --out "$TMP/bad" --metrics-listen nope
expect_exit "--metrics-listen on a port in use exits 2" 2 "^ptest: cannot listen on 127.0.0.1:$port" \
  "$PTEST" run "http://127.0.0.1:$port/" -d 1s -q --out "$TMP/bad" --metrics-listen "127.0.0.1:$port"
finish
