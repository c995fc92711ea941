#!/usr/bin/env bash
# msdemo endpoints, bodies, methods, ops endpoints, CLI and config errors, with real curl.
# san: yes
source "$(dirname "$0")/lib.sh"

port=$(free_port)
start_msdemo ep "$port" --workers 2
base=http://127.0.0.1:$port

declare -A bodies=([/]="Hello World!" [/A]="*****ALPHA*****" [/B]="*****BETA*****" [/C]="*****CHARLIE*****"
                   [/D]="*****DELTA*****" [/E]="*****ECHO*****" [/F]="*****FOXTROT*****")
for p in / /A /B /C /D /E /F; do
  out=$(curl -s -w '|%{http_code}|%{content_type}' "$base$p")
  check_eq "GET $p" "${bodies[$p]}|200|text/plain" "$out"
  head=$(curl -s -I -o /dev/null -w '%{http_code}|%{size_download}' "$base$p")
  check_eq "HEAD $p answers 200 without a body" "200|0" "$head"
  cl=$(curl -s -I "$base$p" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-length"{print $2}')
  check_eq "HEAD $p Content-Length" "${#bodies[$p]}" "$cl"
done
check_eq "unknown path is 404" "404" "$(curl -s -o /dev/null -w '%{http_code}' "$base/nope")"
check_eq "POST is 405" "405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$base/A")"
check_eq "DELETE is 405" "405" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$base/")"
allow=$(curl -s -D - -o /dev/null -X PUT "$base/A" | tr -d '\r' | awk -F': ' 'tolower($1)=="allow"{print $2}')
check_eq "405 names the allowed methods" "GET, HEAD" "$allow"
check_eq "/healthz" "ok" "$(curl -sf "$base/healthz")"
check_eq "/readyz" "ready" "$(curl -sf "$base/readyz")"
curl -s "$base/config" >"$TMP/config.json"
check_eq "/config is JSON with 7 endpoints" "7" "$(json_get "$TMP/config.json" 'len(d["endpoints"])')"
check_eq "/config fitted mean of /B" "20.0" \
  "$(json_get "$TMP/config.json" 'round(float([e for e in d["endpoints"] if e["path"]=="/B"][0]["delay"]["fitted_mean_ms"]),1)')"
check_eq "/config fitted stddev of /B" "5.0" \
  "$(json_get "$TMP/config.json" 'round(float([e for e in d["endpoints"] if e["path"]=="/B"][0]["delay"]["fitted_stddev_ms"]),1)')"
curl -s "$base/metrics" >"$TMP/metrics.txt"
check_cmd "/metrics counts GET and HEAD of /A" grep -q 'msdemo_requests_total{path="/A",code="200"} 3$' "$TMP/metrics.txt"
check_cmd "/metrics counts the 404" grep -q 'msdemo_requests_total{path="other",code="404"} 1' "$TMP/metrics.txt"
check_cmd "/metrics has process_resident_memory_bytes" grep -q '^process_resident_memory_bytes [1-9]' "$TMP/metrics.txt"
if command -v promtool >/dev/null; then
  check_cmd "promtool check metrics" sh -c "promtool check metrics < '$TMP/metrics.txt'"
else
  fail "promtool not installed"
fi
# Keep-alive: several URLs on one curl command reuse one connection.
n=$(curl -s -v "$base/" "$base/A" "$base/" 2>&1 | grep -c 'Re-using existing connection' || true)
check_eq "keep-alive reuses the connection" "2" "$n"

# --- CLI and config -------------------------------------------------------------------
check_cmd "--help exits 0" "$BUILD/msdemo" --help
set +e
"$BUILD/msdemo" --bogus >/dev/null 2>&1; rc=$?
set -e
check_eq "unknown flag exits 2" "2" "$rc"

cat >"$TMP/bad.yaml" <<'YAML'
listen: 127.0.0.1:0
endpoints:
  - path: /B
    delay: {dist: normal, mean: 20ms, stdev: 5ms}
YAML
set +e
msg=$("$BUILD/msdemo" --config "$TMP/bad.yaml" 2>&1 >/dev/null); rc=$?
set -e
check_eq "config typo exits 2" "2" "$rc"
check_cmd "config typo names file:line:col and suggests" \
  grep -q "bad.yaml:4:[0-9]*: .*stdev.*stddev" <<<"$msg"

printf 'listen: [1, 2\n' >"$TMP/syntax.yaml"
set +e
msg=$("$BUILD/msdemo" --config "$TMP/syntax.yaml" 2>&1 >/dev/null); rc=$?
set -e
check_eq "YAML syntax error exits 2" "2" "$rc"
check_cmd "YAML syntax error is located" grep -q "syntax.yaml:[0-9]*:[0-9]*:" <<<"$msg"

cat >"$TMP/range.yaml" <<'YAML'
endpoints:
  - path: /X
    errors: {rate: 2%, status: 999}
YAML
set +e
msg=$(MSDEMO_CONFIG="$TMP/range.yaml" "$BUILD/msdemo" --check 2>&1 >/dev/null); rc=$?
set -e
check_eq "status out of range exits 2 (config from MSDEMO_CONFIG)" "2" "$rc"
check_cmd "status out of range is located" grep -q "range.yaml:3:[0-9]*:" <<<"$msg"

cat >"$TMP/good.yaml" <<'YAML'
seed: 7
endpoints:
  - path: /X
    body: "x marks the spot"
    delay: {dist: lognormal, mean: 3ms, stddev: 1ms, n: 100}
YAML
"$BUILD/msdemo" --config "$TMP/good.yaml" --check >"$TMP/check.json"
check_eq "--check prints the effective config" "8" "$(json_get "$TMP/check.json" 'len(d["endpoints"])')"

# X-Served-By names the instance: the host name by default, $POD_NAME (the Deployment's
# downward API) over it, the config's instance over both, "" for none.
served_by() { curl -s -D - -o /dev/null "$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-served-by"{print $2}'; }
check_eq "X-Served-By is the host name by default" "$(hostname)" "$(served_by "$base/")"
check_eq "/config names the instance" "$(hostname)" "$(curl -s "$base/config" | json_get /dev/stdin 'd["instance"]')"
p2=$(free_port)
POD_NAME=msdemo-7d9f-x2 start_msdemo pod "$p2"
check_eq "X-Served-By is \$POD_NAME when set" "msdemo-7d9f-x2" "$(served_by "http://127.0.0.1:$p2/A")"
printf 'instance: ""\n' >"$TMP/noinst.yaml"
p3=$(free_port)
POD_NAME=ignored start_msdemo noinst "$p3" --config "$TMP/noinst.yaml"
check_eq "instance: \"\" sends no X-Served-By" "" "$(served_by "http://127.0.0.1:$p3/")"
printf 'instance: "a b"\n' >"$TMP/badinst.yaml"
err=$("$BUILD/msdemo" --config "$TMP/badinst.yaml" --check 2>&1 >/dev/null || true)
check_cmd "a bad instance name is a config error with line and column ($err)" \
  grep -q "badinst.yaml:1:11: instance must be" <<<"$err"

finish
