#!/usr/bin/env python3
"""ka_timer.py PORT PATH N - sends N sequential GETs on one keep-alive connection and
prints the mean and population stddev of the response times in ms, then the status codes
as "code:count" pairs. A minimal client (no curl process or TLS machinery in the timing)."""
import collections
import socket
import statistics
import sys
import time

port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
req = f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode()
times, codes = [], collections.Counter()
for _ in range(n):
    t0 = time.perf_counter()
    s.sendall(req)
    status = f.readline().split()[1].decode()
    length = 0
    while True:
        h = f.readline()
        if h == b"\r\n":
            break
        k, _, v = h.decode().partition(":")
        if k.lower() == "content-length":
            length = int(v)
    f.read(length)
    times.append((time.perf_counter() - t0) * 1000)
    codes[status] += 1
print(f"{statistics.fmean(times):.4f} {statistics.pstdev(times):.4f}",
      " ".join(f"{k}:{v}" for k, v in sorted(codes.items())))
