#!/usr/bin/env python3
"""apiforward.py NETNS LISTEN_PORT TARGET_IP TARGET_PORT

The host's only way into the test cluster: listens on 127.0.0.1:LISTEN_PORT in the host's
network namespace, then enters NETNS (setns) so that every connection it makes goes to
TARGET_IP:TARGET_PORT inside it, and copies bytes both ways. The listening socket stays in
the host namespace (a socket belongs to the namespace it was created in). TLS passes through
untouched: kubectl talks to the real kube-apiserver.
"""
import ctypes
import os
import selectors
import socket
import sys

CLONE_NEWNET = 0x40000000


def main():
    netns, lport, tip, tport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", lport))
    lsock.listen(64)
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + netns, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        sys.exit("apiforward: setns %s: %s" % (netns, os.strerror(ctypes.get_errno())))
    os.close(fd)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    peer = {}
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is lsock:
                c, _ = lsock.accept()
                try:
                    u = socket.create_connection((tip, tport), timeout=5)
                except OSError:
                    c.close()
                    continue
                for x in (c, u):
                    x.setblocking(False)
                    sel.register(x, selectors.EVENT_READ, None)
                peer[c], peer[u] = u, c
                continue
            try:
                data = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            other = peer.get(s)
            if data and other is not None:
                try:
                    other.setblocking(True)
                    other.sendall(data)
                    other.setblocking(False)
                    continue
                except OSError:
                    pass
            for x in (s, other):
                if x is not None and x in peer:
                    sel.unregister(x)
                    x.close()
                    del peer[x]


if __name__ == "__main__":
    main()
