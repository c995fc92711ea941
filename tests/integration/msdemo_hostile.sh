#!/usr/bin/env bash
# What a hostile-input campaign broke (issue 14), each case against a real msdemo over raw
# sockets: long pipelines in one write, slow bodies, one response per request, Host required,
# absolute-form targets, Expect: 100-continue in order, SIGHUP drains, memory given back
# after a connection storm.
# san: yes
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")

cat >"$TMP/hostile.yaml" <<'YAML'
workers: 2
limits: {header_timeout: 2s, body_timeout: 1s, body_min_rate: 1024, send_timeout: 1s, max_body_bytes: 300000}
endpoints:
  - {path: /slow, delay: {mean: 300ms, stddev: 0}}
YAML
port=$(free_port)
start_msdemo hostile "$port" --config "$TMP/hostile.yaml"
raw() { python3 "$HERE/rawhttp.py" "$port" "$@"; }

# --- 1. a pipeline longer than max_pipeline (64) in one write -----------------------------
# The issue's reproduction: everything is sent first, then read. Before the fix: 64 x 200,
# then a stall until header_timeout and one 408.
got=$(python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 65)
s.settimeout(5)
b = b""
try:
    while b.count(b"200 OK") < 65 and b"408" not in b:
        d = s.recv(65536)
        if not d:
            break
        b += d
except socket.timeout:
    pass
print(b.count(b"200 OK"), b.count(b" 408 "))
PY
)
check_eq "65 pipelined requests in one write: 65 answers, no 408" "65 0" "$got"

# 100,000 in one write, / and /nope interleaved: every answer arrives, in order.
got=$(python3 - "$port" <<'PY'
import re, socket, sys, threading
N = 100000
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
reqs = [b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" if i % 7 == 3 else b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        for i in range(N)]
want = ["404" if i % 7 == 3 else "200" for i in range(N)]
got = bytearray()
def reader():
    s.settimeout(10)
    try:
        while got.count(b"HTTP/1.1 ") < N:
            d = s.recv(1 << 20)
            if not d:
                break
            got.extend(d)
    except socket.timeout:
        pass
t = threading.Thread(target=reader)
t.start()
s.sendall(b"".join(reqs))
t.join()
codes = [c.decode() for c in re.findall(rb"HTTP/1\.1 (\d{3}) ", bytes(got))]
print(len(codes), "in-order" if codes == want else "out-of-order")
PY
)
check_eq "100,000 pipelined requests in one write: all answered in order" "100000 in-order" "$got"

# --- 2. slow bodies ----------------------------------------------------------------------
# One byte every 0.3 s: every pause is under body_timeout (1 s), but the average stays far
# below body_min_rate, so the grace (1 s) plus what the bytes earned runs out: 408.
got=$(python3 - "$port" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /A HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
s.settimeout(0.3)
t0 = time.time(); b = b""; closed = False
while time.time() - t0 < 10 and not closed:
    try:
        s.sendall(b"x")
    except OSError:
        pass
    try:
        d = s.recv(4096)
        if not d:
            closed = True
        b += d
    except socket.timeout:
        pass
    except OSError:
        closed = True
print(b.split(b" ")[1].decode() if b else "-", "closed" if closed else "open",
      "cut-in-time" if time.time() - t0 < 6 else "late")
PY
)
check_eq "a body trickling one byte per 0.3 s is cut off: 408" "408 closed cut-in-time" "$got"
check_eq "a body that pauses longer than body_timeout gets 408" "408 closed" \
  "$(raw 'POST /A HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc' --wait 6)"
python3 -c 'import sys; sys.stdout.write("y" * 200000)' >"$TMP/big"
check_eq "a 200 KB body at full speed is read and answered" "405 open" \
  "$(raw 'POST /A HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n' --file "$TMP/big" --wait 0.5)"

# A client that writes requests but never reads: reading pauses (bounded memory) and after
# send_timeout (1 s) without progress the connection is closed.
got=$(python3 - "$port" <<'PY'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.setblocking(False)
req = b"GET /config HTTP/1.1\r\nHost: x\r\n\r\n" * 64
t0 = time.time()
while time.time() - t0 < 2.5:
    try:
        s.send(req)
    except BlockingIOError:
        pass
    except OSError:
        break
    time.sleep(0.05)
s.setblocking(True); s.settimeout(2)
closed = False
try:
    while True:
        d = s.recv(1 << 16)
        if not d:
            closed = True; break
except ConnectionResetError:
    closed = True
except socket.timeout:
    pass
print("closed" if closed else "open")
PY
)
check_eq "a client that never reads is closed after send_timeout" "closed" "$got"

# --- 5. one response per request ---------------------------------------------------------
check_eq "bad chunk after the head: one answer (400), no 405 first" "400 closed" \
  "$(raw 'POST /A HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n' --wait 3)"
python3 -c 'import sys; sys.stdout.write(("ffff\r\n" + "z" * 65535 + "\r\n") * 5)' >"$TMP/chunks"
check_eq "chunked body over max_body_bytes: one answer (413)" "413 closed" \
  "$(raw 'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' --file "$TMP/chunks" --wait 1)"
check_eq "a client that half-closes inside a body gets one 400" "400 closed" \
  "$(python3 - "$port" <<'PY'
import re, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /A HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nabc")
s.shutdown(socket.SHUT_WR)
s.settimeout(3); b = b""; closed = False
try:
    while True:
        d = s.recv(4096)
        if not d:
            closed = True; break
        b += d
except OSError:
    closed = True
print(" ".join(c.decode() for c in re.findall(rb"HTTP/1\.1 (\d{3}) ", b)) or "-", "closed" if closed else "open")
PY
)"

# Expect: 100-continue: the interim 100 comes after the earlier request's answer, then the
# final one once the body is in.
got=$(python3 - "$port" <<'PY'
import re, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
          b"POST /A HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
s.settimeout(3); b = b""
while b.count(b"HTTP/1.1 ") < 2:
    b += s.recv(4096)
first = re.findall(rb"HTTP/1\.1 (\d{3}) ", b)
s.sendall(b"hello")
while b.count(b"HTTP/1.1 ") < 3:
    b += s.recv(4096)
print(" ".join(c.decode() for c in re.findall(rb"HTTP/1\.1 (\d{3}) ", b)))
PY
)
check_eq "Expect: 100-continue: 100 after the earlier answer, final after the body" "200 100 405" "$got"

# --- 4. Host ---------------------------------------------------------------------------
check_eq "HTTP/1.1 without Host is a 400" "400 closed" "$(raw 'GET / HTTP/1.1\r\n\r\n' --wait 3)"
check_eq "HTTP/1.0 without Host is served" "200 closed" "$(raw 'GET / HTTP/1.0\r\n\r\n' --wait 3)"

# --- 6. absolute-form targets route by their path --------------------------------------
check_eq "absolute-form targets are routed by path" "200 200 404 open" \
  "$(raw 'GET http://x/A HTTP/1.1\r\nHost: x\r\n\r\nGET http://x:8080/healthz?q HTTP/1.1\r\nHost: x\r\n\r\nGET http://x/nope HTTP/1.1\r\nHost: x\r\n\r\n' --wait 3)"
body=$(curl -s --request-target "http://127.0.0.1:$port/healthz" "http://127.0.0.1:$port/")
check_eq "curl --request-target absolute-form gets /healthz's body" "ok" "$body"

# --- 8. memory comes back after a connection storm --------------------------------------
if grep -q __asan_init "$BUILD/msdemo" 2>/dev/null; then
  ok "memory after a storm: skipped under ASan (its allocator keeps freed memory on purpose)"
else
  got=$(python3 - "$port" "$MSDEMO_PID" <<'PY'
import socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"):
            return int(l.split()[1])
idle = rss()
socks = []
for i in range(5000):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    socks.append(s)
for s in socks:
    s.recv(4096)
peak = rss()
for s in socks:
    s.close()
time.sleep(2.5)   # the trim runs 1 s after the storm ended
after = rss()
print(f"idle={idle} peak={peak} after={after} KiB", file=sys.stderr)
print("released" if after - idle < (peak - idle) / 2 else f"kept idle={idle} peak={peak} after={after}")
PY
)
  check_eq "RSS falls back towards idle after 5,000 connections closed" "released" "$got"
fi

# --- 3. SIGHUP drains: the in-flight request completes, exit 0 -------------------------
curl -s -o "$TMP/slow.out" -w '%{http_code}' "http://127.0.0.1:$port/slow" >"$TMP/slow.code" &
cpid=$!
sleep 0.1
kill -HUP "$MSDEMO_PID"
wait "$cpid" || true
check_eq "request in flight at SIGHUP is answered" "200" "$(cat "$TMP/slow.code")"
rc=0
wait "$MSDEMO_PID" || rc=$?
check_eq "SIGHUP drains and msdemo exits 0" "0" "$rc"
check_cmd "the log names SIGHUP" grep -q '"signal":"SIGHUP"' "$TMP/hostile.log"
finish
