#!/usr/bin/env bash
# The scorecard renders fully under Jenkins' default Content-Security-Policy: headless
# Chromium loads it from a local server that sends the CSP header, the console shows no
# CSP violation, the stylesheet applied, and the screenshot's chart area is not blank.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if ! command -v chromium >/dev/null 2>&1; then
  apt-get install -y chromium >"$TMP/apt.log" 2>&1 || { cat "$TMP/apt.log" >&2; fail "install chromium"; finish; exit 1; }
fi

cat >"$TMP/ms.yaml" <<'YAML'
seed: 1
endpoints:
  - {path: /A, delay: {dist: normal, mean: 5ms, stddev: 1ms, n: 1000}}
  - {path: /B, delay: {dist: normal, mean: 10ms, stddev: 2ms, n: 1000}}
YAML
cat >"$TMP/plan.yaml" <<'YAML'
name: browser-check
server: {metrics: /metrics, config: /config}   # the scorecard's server-side sections
scenarios:
  - {model: open, rate: 200/s, duration: 3s, requests: [{label: A, path: /A}, {label: B, path: /B}]}
thresholds:
  "*": ["p95 < 250ms", "error_rate < 1%"]
  B: ["p99 < 1ms"]
YAML
port=$(free_port)
start_msdemo ms "$port" --config "$TMP/ms.yaml" --workers 1
rc=0
"$PTEST" run "$TMP/plan.yaml" --target "http://127.0.0.1:$port" --out "$TMP/r" -q || rc=$?
check_eq "run with a failing threshold exits 1" 1 "$rc"
# Also with a baseline (the overlay) and a history of earlier runs (the trend chart).
mkdir -p "$TMP/hist"
for i in 1 2 3; do
  echo "{\"started\":\"2026-01-0${i}T00:00:00Z\",\"results\":\"old$i\",\"rps\":199,\"error_rate\":0,\"p50_us\":$((6000 + i * 500)),\"p95_us\":$((12000 + i * 700)),\"p99_us\":$((15000 + i * 900)),\"verdict\":\"pass\"}"
done >"$TMP/hist/history.jsonl"
"$PTEST" report "$TMP/r" --baseline "$TMP/r" --history "$TMP/hist" -q || true
check_eq "history has 4 runs" 4 "$(wc -l <"$TMP/hist/history.jsonl")"

cat >"$TMP/serve.py" <<'PY'
import http.server, sys
CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'self';"
class H(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Content-Security-Policy", CSP)
        super().end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
hport=$(free_port)
(cd "$TMP/r" && exec python3 "$TMP/serve.py" "$hport") &
PIDS+=($!)
wait_http "http://127.0.0.1:$hport/scorecard.html" 10
check_cmd "server sends the CSP header" bash -c \
  "curl -sI http://127.0.0.1:$hport/scorecard.html | grep -qi \"^content-security-policy: sandbox; default-src 'none'\""

chrome() {
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d "$TMP/profile.XXXX")" --enable-logging=stderr --v=0 "$@"
}
chrome --window-size=1280,2400 --screenshot="$TMP/shot.png" "http://127.0.0.1:$hport/scorecard.html" \
  >"$TMP/chrome.out" 2>"$TMP/chrome.err" || true
chrome --dump-dom "http://127.0.0.1:$hport/scorecard.html" >"$TMP/dom.html" 2>>"$TMP/chrome.err" || true
[ -n "${KEEP_SHOT:-}" ] && cp "$TMP/shot.png" "$KEEP_SHOT"

if grep -i "Content Security Policy\|Content-Security-Policy" "$TMP/chrome.err" | grep -qiv "^\s*$"; then
  grep -i "Content Security Policy\|Content-Security-Policy" "$TMP/chrome.err" | head -5 >&2
  fail "no CSP violation in the console"
else
  ok "no CSP violation in the console"
fi
check_cmd "screenshot taken" test -s "$TMP/shot.png"
check_cmd "DOM has the verdict and 5 charts" python3 - "$TMP/dom.html" <<'PY'
import re, sys
d = open(sys.argv[1]).read()
assert 'class="verdict fail"' in d, "verdict"
assert len(re.findall(r"<svg", d)) == 5, "charts"
assert len(re.findall(r"<path[^>]* d=\"M[^\"]*L", d)) >= 8, "lines"
assert "Where the time goes" in d and "Server-side cost" in d
assert "<rect" in d
assert "<script" not in d and " style=" not in d and "<style" not in d
PY

# The screenshot: decode the PNG (zlib, no PIL); the page background must come from the
# stylesheet (not white: the CSS applied) and the chart region must have many colours.
check_cmd "screenshot: stylesheet applied and charts drawn" python3 - "$TMP/shot.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, t = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if t == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif t == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
rows, prev = [], bytearray(stride)
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
px = lambda x, y: tuple(rows[y][x * bpp:x * bpp + 3])
# Page background from scorecard.css (#f4f5f7) at the left edge.
assert px(3, h // 2) == (0xf4, 0xf5, 0xf7), px(3, h // 2)
colours = set()
for y in range(0, h, 3):
    for x in range(0, w, 3):
        colours.add(px(x, y))
print("distinct colours:", len(colours))
assert len(colours) > 40
PY
finish
