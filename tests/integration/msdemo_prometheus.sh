#!/usr/bin/env bash
# A real Prometheus server scrapes msdemo: up == 1 and a histogram_quantile query answers.
source "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null || { fail "prometheus is not installed"; finish; }

port=$(free_port)
start_msdemo prom "$port" --workers 2
start_prometheus msdemo "127.0.0.1:$port"

# Traffic until the queries below have their answer (at most 60 s): a fixed burst before
# Prometheus is known to be up left the rate window empty on a loaded machine (NaN).
( end=$((SECONDS + 60))
  while [ $SECONDS -lt $end ]; do
    curl -s -o /dev/null "http://127.0.0.1:$port/A" -o /dev/null "http://127.0.0.1:$port/B" -o /dev/null "http://127.0.0.1:$port/"
  done ) &
traffic=$!
PIDS+=("$traffic")
sleep 3

up=""
for i in $(seq 1 30); do
  up=$(prom_value 'up{job="msdemo"}')
  [ "$up" = 1 ] && break
  sleep 1
done
check_eq "prometheus sees msdemo up" "1" "$up"
p50=""
for i in $(seq 1 20); do
  p50=$(prom_value 'histogram_quantile(0.5, sum by (le) (rate(msdemo_request_duration_seconds_bucket{path="/B"}[10s])))')
  case "$p50" in ""|NaN) sleep 1 ;; *) break ;; esac
done
kill "$traffic" 2>/dev/null || true
wait "$traffic" 2>/dev/null || true
# A median estimated from a few dozen samples by bucket interpolation: it must be a number
# inside the span of /B's delays (normal 20 ms +- 5 ms), not an exact 20 ms.
check_cmd "histogram_quantile(0.5) of /B answers a plausible median (got $p50 s)" \
  python3 -c "import sys; sys.exit(not (0.008 <= float('$p50' or 'nan') <= 0.035))"
n=$(prom_value 'sum(msdemo_requests_total{path="/A"})')
n=${n:-0}
check_cmd "requests_total{path=/A} scraped ($n)" test "${n%.*}" -gt 0
finish
