#!/usr/bin/env bash
# A real Prometheus server scrapes msdemo: up == 1 and a histogram_quantile query answers.
source "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null || { fail "prometheus is not installed"; finish; }

port=$(free_port)
start_msdemo prom "$port" --workers 2
pport=$(free_port)
cat >"$TMP/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: msdemo
    static_configs: [{targets: ["127.0.0.1:$port"]}]
YAML
check_cmd "promtool check config" promtool check config "$TMP/prometheus.yml"
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
  --web.listen-address="127.0.0.1:$pport" >"$TMP/prometheus.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$pport/-/ready" 60

# Traffic until the queries below have their answer (at most 60 s): a fixed burst before
# Prometheus is known to be up left the rate window empty on a loaded machine (NaN).
( end=$((SECONDS + 60))
  while [ $SECONDS -lt $end ]; do
    curl -s -o /dev/null "http://127.0.0.1:$port/A" -o /dev/null "http://127.0.0.1:$port/B" -o /dev/null "http://127.0.0.1:$port/"
  done ) &
traffic=$!
PIDS+=("$traffic")
sleep 3

q() { curl -s --get "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1"; }
up=""
for i in $(seq 1 30); do
  up=$(q 'up{job="msdemo"}' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")')
  [ "$up" = 1 ] && break
  sleep 1
done
check_eq "prometheus sees msdemo up" "1" "$up"
p50=""
for i in $(seq 1 20); do
  p50=$(q 'histogram_quantile(0.5, sum by (le) (rate(msdemo_request_duration_seconds_bucket{path="/B"}[10s])))' |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")')
  case "$p50" in ""|NaN) sleep 1 ;; *) break ;; esac
done
kill "$traffic" 2>/dev/null || true
wait "$traffic" 2>/dev/null || true
# A median estimated from a few dozen samples by bucket interpolation: it must be a number
# inside the span of /B's delays (normal 20 ms +- 5 ms), not an exact 20 ms.
check_cmd "histogram_quantile(0.5) of /B answers a plausible median (got $p50 s)" \
  python3 -c "import sys; sys.exit(not (0.008 <= float('$p50' or 'nan') <= 0.035))"
n=$(q 'sum(msdemo_requests_total{path="/A"})' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')
check_cmd "requests_total{path=/A} scraped ($n)" test "${n%.*}" -gt 0
finish
