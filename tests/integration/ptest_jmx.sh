#!/usr/bin/env bash
# ptest runs a JMeter plan (examples/ms-demo.jmx, JMeter's own file format) against msdemo:
#  - exact request counts per label (threads x loops x samplers), in ptest's results and
#    in msdemo's own msdemo_requests_total;
#  - ramp-up honoured (the last thread of a group starts about ramp x (n-1)/n after the first);
#  - the Header Manager's headers arrive at the server (a header-recording python server);
#  - variables substituted (-J into ${__P}, user-defined variables) and assertions counted
#    (a greeting that msdemo does not send makes every "/" request fail its assertion);
#  - `ptest import` prints YAML that runs to the same counts; --strict and bad XML exit 2.
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PLAN="$ROOT/examples/ms-demo.jmx"

cat >"$TMP/ms.yaml" <<'YAML'
endpoints:
  - {path: /A, delay: {dist: constant, mean: 1ms}}
  - {path: /B, delay: {dist: constant, mean: 1ms}}
  - {path: /C, delay: {dist: constant, mean: 1ms}}
  - {path: /D, delay: {dist: constant, mean: 1ms}}
  - {path: /E, delay: {dist: constant, mean: 1ms}}
  - {path: /F, delay: {dist: constant, mean: 1ms}}
YAML
port=$(free_port)
start_msdemo ms "$port" --config "$TMP/ms.yaml"
base=http://127.0.0.1:$port

# served PATH: msdemo's count of 200s for PATH so far.
served() {
  curl -s "$base/metrics" | python3 -c '
import re, sys
n = 0
for line in sys.stdin:
    m = re.match(r"^msdemo_requests_total\{([^}]*)\}\s+(\S+)$", line.strip())
    if m:
        l = dict(re.findall(r"(\w+)=\"([^\"]*)\"", m.group(1)))
        if l.get("path") == sys.argv[1] and l.get("code") == "200":
            n += float(m.group(2))
print(int(n))' "$1"
}
paths="/ /A /B /C /D /E /F"
declare -A before
for p in $paths; do before[$p]=$(served "$p"); done

# --- the plan as written: 10 threads x 10 loops per group, ramp-up 3 s ----------------
rc=0
"$PTEST" run "$PLAN" -Jhost=127.0.0.1 -Jport="$port" -Jrampup=3 --out "$TMP/r1" --jtl "$TMP/r1.jtl" \
  --quiet 2>"$TMP/r1.err" || rc=$?
check_eq "jmx run exits 0" 0 "$rc"
check_cmd "listener reported as a warning with file:line:col" \
  grep -q 'ms-demo.jmx:[0-9]*:[0-9]*: warning: ResultCollector "Summary Report"' "$TMP/r1.err"
for p in $paths; do
  check_eq "label $p: ptest count = 10 threads x 10 loops" 100 "$(json_get "$TMP/r1/results.json" "d['labels']['$p']['count']")"
  check_eq "label $p: msdemo served exactly 100" 100 "$(( $(served "$p") - ${before[$p]} ))"
  before[$p]=$(served "$p")
done
check_eq "assertions pass: no errors" 0 "$(json_get "$TMP/r1/results.json" "d['total']['errors']")"

# Ramp-up: thread n of 10 starts at 3 s x (n-1)/10, so the 10th about 2.7 s after the 1st.
check_cmd "ramp-up honoured (last thread of each group starts 2.5-3.5 s after the first)" python3 - "$TMP/r1.jtl" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ok = len(rows) == 700
for group in ("Home", "Services"):
    first = {}
    for r in rows:
        name = r["threadName"]
        if name.startswith(group + " "):
            n = int(name.rsplit("-", 1)[1])
            t = int(r["timeStamp"])
            first[n] = min(first.get(n, t), t)
    gap = (first[10] - first[1]) / 1000.0
    print(f"{group}: {len(first)} threads, last starts {gap:.2f} s after the first")
    ok = ok and len(first) == 10 and 2.5 <= gap <= 3.5 and sorted(first) == list(range(1, 11)) \
        and all(first[i] <= first[i + 1] for i in range(1, 10))
sys.exit(0 if ok else 1)
PY

# --- assertions and variables: the greeting comes from -Jgreeting through a UDV -------
"$PTEST" run "$PLAN" -Jhost=127.0.0.1 -Jport="$port" -Jrampup=0 -Jthreads=3 -Jloops=4 \
  -Jgreeting='*****NOT-THERE*****' --out "$TMP/r2" --quiet 2>/dev/null || true
check_eq "failed assertions counted: every / request" 12 "$(json_get "$TMP/r2/results.json" "d['labels']['/']['errors']")"
check_eq "other labels unaffected" 0 "$(json_get "$TMP/r2/results.json" "d['labels']['/A']['errors']")"
check_eq "-Jthreads/-Jloops substituted: 3 x 4" 12 "$(json_get "$TMP/r2/results.json" "d['labels']['/F']['count']")"
for p in $paths; do before[$p]=$(served "$p"); done

# --- headers on the server side --------------------------------------------------------
hport=$(free_port)
cat >"$TMP/hdr.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        with open(sys.argv[2], "a") as f:
            f.write("%s\t%s\t%s\n" % (self.path, self.headers.get("User-Agent"), self.headers.get("Accept")))
        body = b"Hello World!"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$TMP/hdr.py" "$hport" "$TMP/headers.tsv" &
PIDS+=("$!")
wait_http "http://127.0.0.1:$hport/" 10
: >"$TMP/headers.tsv"
"$PTEST" run "$PLAN" -Jhost=127.0.0.1 -Jport="$hport" -Jrampup=0 -Jthreads=2 -Jloops=2 --out "$TMP/r3" \
  --quiet 2>/dev/null || true
# (ptest itself may also ask the target for /metrics and /config: not the plan's requests)
check_eq "header server saw 2 x 2 x 7 plan requests" 28 "$(grep -cE $'^/[A-F]?\t' "$TMP/headers.tsv" || true)"
check_eq "every plan request carried the Header Manager's headers" 28 \
  "$(grep -cE $'^/[A-F]?\tms-demo-jmeter\ttext/plain$' "$TMP/headers.tsv" || true)"

# --- import round trip ------------------------------------------------------------------
"$PTEST" import "$PLAN" -Jhost=127.0.0.1 -Jport="$port" -Jrampup=1 >"$TMP/imported.yaml" 2>/dev/null
check_cmd "import marks what was not mapped" grep -q '^#   line [0-9]*: ResultCollector' "$TMP/imported.yaml"
rc=0
"$PTEST" run "$TMP/imported.yaml" --out "$TMP/r4" --quiet || rc=$?
check_eq "imported YAML runs" 0 "$rc"
for p in $paths; do
  check_eq "imported $p: 100 requests served" 100 "$(( $(served "$p") - ${before[$p]} ))"
done

# --- errors -----------------------------------------------------------------------------
rc=0
"$PTEST" import "$PLAN" --strict >/dev/null 2>"$TMP/strict.err" || rc=$?
check_eq "--strict: unsupported element exits 2" 2 "$rc"
check_cmd "--strict names the element as an error" grep -q 'ms-demo.jmx:[0-9]*:[0-9]*: error: ResultCollector' "$TMP/strict.err"
head -c 2000 "$PLAN" >"$TMP/cut.jmx"
rc=0
"$PTEST" run "$TMP/cut.jmx" --quiet 2>"$TMP/cut.err" || rc=$?
check_eq "truncated XML exits 2" 2 "$rc"
check_cmd "truncated XML: line and column" grep -Eq 'cut.jmx:[0-9]+:[0-9]+: malformed XML' "$TMP/cut.err"
rc=0
"$PTEST" run "$ROOT/examples/plan.yaml" -Jx=1 --quiet 2>/dev/null || rc=$?
check_eq "-J on a YAML plan is a usage error" 2 "$rc"
finish
