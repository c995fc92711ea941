#!/usr/bin/env python3
"""serialsrv.py PORT [SERVICE_MS] - an HTTP/1.1 server of known capacity: it accepts any
number of keep-alive connections but serves one request at a time, SERVICE_MS (default 10)
each, in arrival order, so its capacity is exactly 1000 / SERVICE_MS requests per second
(100/s): below it a request waits for nothing but its own service, above it the queue and
the latency grow without bound. Service slots are back to back (the next one starts when
the previous one ends, not when the loop gets round to it), so the loop's own jitter delays
answers a little but never lowers the capacity. Every answer is "200 ok"."""
import selectors
import socket
import sys
import time

port = int(sys.argv[1])
service = (float(sys.argv[2]) if len(sys.argv) > 2 else 10.0) / 1000.0
sel = selectors.DefaultSelector()
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1024)
ls.setblocking(False)
sel.register(ls, selectors.EVENT_READ, None)
bufs = {}      # connection -> bytes received, not yet a whole request
queue = []     # connections with a request waiting, one entry per request, FIFO
head = 0
done_at = None  # when the request in service (queue[head]) is done
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


def close(c):
    try:
        sel.unregister(c)
    except (KeyError, ValueError):
        pass
    bufs.pop(c, None)
    c.close()


while True:
    now = time.monotonic()
    timeout = None if done_at is None else max(0.0, done_at - now)
    for key, _ in sel.select(timeout):
        if key.fileobj is ls:
            try:
                while True:
                    c, _ = ls.accept()
                    c.setblocking(False)
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    bufs[c] = b""
                    sel.register(c, selectors.EVENT_READ, None)
            except BlockingIOError:
                pass
            continue
        c = key.fileobj
        try:
            data = c.recv(65536)
        except OSError:
            data = b""
        if not data:
            close(c)
            continue
        b = bufs[c] + data
        while b"\r\n\r\n" in b:
            _, _, b = b.partition(b"\r\n\r\n")  # GETs only: no body
            queue.append(c)
            if done_at is None:
                done_at = time.monotonic() + service
        bufs[c] = b
    now = time.monotonic()
    while done_at is not None and now >= done_at:
        c = queue[head]
        head += 1
        if c in bufs:
            try:
                c.sendall(ANSWER)
            except OSError:
                close(c)
        # Requests of connections the client closed meanwhile cost no service (a load
        # generator that stops a lost step leaves no backlog for the next one).
        while head < len(queue) and queue[head] not in bufs:
            head += 1
        if head < len(queue):
            done_at += service  # back to back: the next one was already waiting
        else:
            done_at = None
        if head > 4096:
            del queue[:head]
            head = 0
