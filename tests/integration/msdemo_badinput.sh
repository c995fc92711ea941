#!/usr/bin/env bash
# Malformed and hostile input: 400 (or 431/505/408/413) and close, never a crash;
# pipelining answered in order; max_connections refused cleanly.
# san: yes
source "$(dirname "$0")/lib.sh"

cat >"$TMP/limits.yaml" <<'YAML'
workers: 1
limits: {max_connections: 20, max_header_bytes: 1024, header_timeout: 1s, idle_timeout: 2s, max_body_bytes: 100}
YAML
port=$(free_port)
start_msdemo bad "$port" --config "$TMP/limits.yaml"
raw() { python3 "$(dirname "$0")/rawhttp.py" "$port" "$@"; }

# name | request (python escapes) | expected "codes state"
while IFS='|' read -r name req want; do
  [ -z "$name" ] && continue
  got=$(raw "$req" --wait 1.5)
  check_eq "$name" "$want" "$got"
done <<'CASES'
valid request keeps the connection|GET / HTTP/1.1\r\nHost: x\r\n\r\n|200 open
HTTP/1.0 closes by default|GET / HTTP/1.0\r\n\r\n|200 closed
HTTP/1.0 keep-alive is honoured|GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /A HTTP/1.0\r\n\r\n|200 200 closed
Connection: close is honoured|GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n|200 closed
pipelined requests answered in order|GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n|200 404 405 open
garbage request line|HELLO\r\n\r\n|400 closed
missing version|GET /\r\n\r\n|400 closed
space in target|GET /a b HTTP/1.1\r\n\r\n|400 closed
unknown version|GET / HTTP/2.0\r\n\r\n|505 closed
header without colon|GET / HTTP/1.1\r\nHost x\r\n\r\n|400 closed
space before colon|GET / HTTP/1.1\r\nHost : x\r\n\r\n|400 closed
obs-fold|GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n|400 closed
NUL in header value|GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n|400 closed
control byte in header value|GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n|400 closed
NUL in request line|GET /\x00 HTTP/1.1\r\n\r\n|400 closed
CL and TE together (smuggling)|POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n|400 closed
duplicate Content-Length|POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello|400 closed
non-numeric Content-Length|POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhello|400 closed
TE not ending in chunked|POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nx|400 closed
bad chunk size: one answer, the body's 400|POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n|400 closed
body over max_body_bytes|POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n|413 closed
body is skipped, next request served|POST /A HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: x\r\n\r\n|405 200 open
chunked body is skipped|POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n|405 200 open
CASES

big=$(python3 -c 'print("X-Big: " + "a"*2000)')
check_eq "oversized headers get 431" "431 closed" "$(raw "GET / HTTP/1.1\r\n$big\r\n\r\n")"
check_eq "a header that never completes is cut off after header_timeout" "408 closed" \
  "$(raw 'GET / HTTP/1.1\r\nX-Slow: 1' --wait 3)"
check_eq "a silent connection is closed after header_timeout" "- closed" "$(raw '' --wait 3)"
check_eq "slowloris trickle is cut off at header_timeout, not reset per byte" "408 closed" \
  "$(raw 'GET / HTTP/1.1\r\nX-Slow: 111111111111111111111111111111\r\n' --slow 0.05 --wait 1.5)"

# Random garbage never crashes the server.
python3 - "$port" <<'PY'
import random, socket, sys
port = int(sys.argv[1])
rnd = random.Random(1)
for i in range(300):
    n = rnd.randint(1, 600)
    data = bytes(rnd.getrandbits(8) for _ in range(n))
    if i % 3 == 0:
        data = b"GET / HTTP/1.1\r\n" + data
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(data)
        s.settimeout(0.2)
        try:
            s.recv(4096)
        except Exception:
            pass
        s.close()
    except Exception:
        pass
PY
check_eq "still serving after 300 random inputs" "Hello World!" "$(curl -s "http://127.0.0.1:$port/")"

# max_connections: 20 held open, the 21st gets 503 and is closed.
python3 - "$port" >"$TMP/maxconn" <<'PY'
import socket, sys, time, re
port = int(sys.argv[1])
held = []
for i in range(20):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(4096)
    held.append(s)
time.sleep(0.2)
s = socket.create_connection(("127.0.0.1", port), timeout=3)
data = b""
try:
    while True:
        c = s.recv(4096)
        if not c:
            break
        data += c
except Exception:
    pass
m = re.match(rb"HTTP/1\.1 (\d+)", data)
print(m.group(1).decode() if m else "none")
PY
check_eq "connection over max_connections is refused with 503" "503" "$(cat "$TMP/maxconn")"
m=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^msdemo_rejected_connections_total/{print $2}')
check_cmd "rejections are counted ($m)" test "$m" -ge 1
check_eq "serving again once connections closed" "200" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")"
kill -0 "$MSDEMO_PID" && ok "msdemo alive after every bad input" || fail "msdemo died"
finish
