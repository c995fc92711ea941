#!/usr/bin/env python3
"""rawhttp.py - sends raw bytes to an HTTP server and reports what came back.

usage: rawhttp.py PORT HEX_OR_TEXT [--wait SECONDS] [--slow SECONDS] [--file PATH]
Prints: the status codes of every response received, space-separated, then
'closed' if the server closed the connection (EOF or reset) within the wait, else 'open'.
Text is given with Python escapes (\\r\\n, \\x00) and decoded with unicode_escape; with
--file the raw bytes of PATH are sent after it (for bodies too large for an argument).
"""
import argparse
import re
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("data")
ap.add_argument("--wait", type=float, default=2.0)
ap.add_argument("--slow", type=float, default=0.0, help="seconds between bytes")
ap.add_argument("--file", help="raw bytes to send after the text")
args = ap.parse_args()

data = args.data.encode("latin-1").decode("unicode_escape").encode("latin-1")
if args.file:
    with open(args.file, "rb") as f:
        data += f.read()
s = socket.create_connection(("127.0.0.1", args.port), timeout=5)
try:
    if args.slow:
        for b in data:
            s.sendall(bytes([b]))
            time.sleep(args.slow)
    else:
        s.sendall(data)
except (BrokenPipeError, ConnectionResetError):
    pass
got = b""
closed = False
deadline = time.time() + args.wait
s.settimeout(0.1)
while time.time() < deadline:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        continue
    except ConnectionResetError:
        closed = True
        break
    if not chunk:
        closed = True
        break
    got += chunk
codes = re.findall(rb"HTTP/1\.1 (\d{3}) ", got)
print(" ".join(c.decode() for c in codes) or "-", "closed" if closed else "open")
