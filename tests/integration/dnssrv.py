#!/usr/bin/env python3
"""dnssrv.py - a tiny authoritative DNS server for tests (UDP and TCP, RFC 1035 framing).

usage: dnssrv.py ADDR:PORT [ADDR:PORT ...] --zone NAME=A1,A2 [--zone ...] [--truncate NAME]
                 [--cname NAME=TARGET] [--log FILE] [--silent ADDR:PORT] [--zones-file FILE]
       dnssrv.py --corpus DIR      writes answers of this server as fuzzing seeds

Answers A queries for the zone names (owner compressed to the question), AAAA with an empty
answer (NODATA) for them, NXDOMAIN for every other name. A --truncate name gets TC and no
records over UDP, the full answer over TCP. --cname NAME=TARGET answers NAME with a CNAME to
TARGET followed by TARGET's A records. A --silent address reads queries and never answers.
Every query is logged as "NAME TYPE udp|tcp" to --log (flushed per line). --zones-file holds
more NAME=A1,A2 lines, read again before every answer, so a test changes an answer mid-run
by rewriting the file (write a new file and rename it over the old one).
"""
import argparse
import os
import select
import socket
import struct
import sys

T_A, T_CNAME, T_AAAA = 1, 5, 28


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_question(q):
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += q[i] + 1
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    return ".".join(labels).lower(), qtype, q[12:i + 5]


def rr_a(owner_ptr, addr):
    return struct.pack(">HHHIH", 0xC000 | owner_ptr, T_A, 1, 30, 4) + socket.inet_aton(addr)


def answer(q, zones, cnames, truncate, tcp):
    name, qtype, question = parse_question(q)
    ident = q[:2]
    flags, recs, n = 0x8180, b"", 0
    if name in truncate and not tcp:
        flags |= 0x0200
    elif name in cnames:
        target = cnames[name]
        target_wire = wire_name(target)
        recs = struct.pack(">HHHIH", 0xC00C, T_CNAME, 1, 30, len(target_wire)) + target_wire
        n = 1
        if qtype == T_A:
            ptr = 12 + len(question) + 12
            for a in zones.get(target, []):
                recs += rr_a(ptr, a)
                n += 1
    elif name in zones:
        if qtype == T_A:
            for a in zones[name]:
                recs += rr_a(12, a)
                n += 1
    else:
        flags |= 3
    return ident + struct.pack(">HHHHH", flags, 1, n, 0, 0) + question + recs


def file_zones(path):
    """The NAME=A1,A2 lines of path ({} when it is missing)."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    out[k.lower().rstrip(".")] = [a for a in v.split(",") if a]
    except OSError:
        pass
    return out


def serve(args):
    zones = {}
    for z in args.zone:
        k, v = z.split("=", 1)
        zones[k.lower().rstrip(".")] = v.split(",")
    cnames = {}
    for c in args.cname:
        k, v = c.split("=", 1)
        cnames[k.lower().rstrip(".")] = v.lower().rstrip(".")
    truncate = {t.lower().rstrip(".") for t in args.truncate}
    log = open(args.log, "a") if args.log else None
    udp, tcp, quiet = [], [], []
    for spec in args.listen:
        host, port = spec.rsplit(":", 1)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((host, int(port)))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((host, int(port)))
        t.listen(16)
        udp.append(u)
        tcp.append(t)
    for spec in args.silent:
        host, port = spec.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((host, int(port)))
        quiet.append(s)
    print("ready", flush=True)

    def current():
        return {**zones, **file_zones(args.zones_file)} if args.zones_file else zones

    def note(q, proto):
        if log:
            name, qtype, _ = parse_question(q)
            log.write("%s %s %s\n" % (name, {T_A: "A", T_AAAA: "AAAA"}.get(qtype, qtype), proto))
            log.flush()

    while True:
        ready, _, _ = select.select(udp + tcp + quiet, [], [])
        for s in ready:
            if s in quiet:
                s.recv(4096)
            elif s in udp:
                q, peer = s.recvfrom(4096)
                note(q, "udp")
                s.sendto(answer(q, current(), cnames, truncate, False), peer)
            else:
                c, _ = s.accept()
                c.settimeout(2)
                try:
                    ln = struct.unpack(">H", c.recv(2, socket.MSG_WAITALL))[0]
                    q = c.recv(ln, socket.MSG_WAITALL)
                    note(q, "tcp")
                    a = answer(q, current(), cnames, truncate, True)
                    c.sendall(struct.pack(">H", len(a)) + a)
                except (OSError, struct.error):
                    pass
                c.close()


def query(ident, name, qtype):
    return struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + wire_name(name) + struct.pack(">HH", qtype, 1)


def corpus(d):
    """Seeds for fuzz_dns_response: byte 0 picks the query the harness builds (bit 0 AAAA,
    bits 1-2 the name: 0 msdemo.demo-pt.svc.cluster.local, 1 x.test, 2 www.example.test),
    the rest is this server's answer."""
    os.makedirs(d, exist_ok=True)
    ms = "msdemo.demo-pt.svc.cluster.local"
    zones = {ms: ["10.96.12.7", "10.96.12.8"], "web.example.test": ["192.0.2.1"], "x.test": ["127.0.0.1"]}
    cnames = {"www.example.test": "web.example.test"}
    seeds = {
        "a_two_records": (0, answer(query(0x1111, ms, T_A), zones, cnames, set(), False)),
        "aaaa_nodata": (1, answer(query(0x2222, ms, T_AAAA), zones, cnames, set(), False)),
        "nxdomain": (2, answer(query(0x3333, "x.test", T_A), {}, {}, set(), False)),
        "truncated": (0, answer(query(0x4444, ms, T_A), zones, cnames, {ms}, False)),
        "tcp_answer": (0, answer(query(0x4444, ms, T_A), zones, cnames, {ms}, True)),
        "cname_chain": (4, answer(query(0x5555, "www.example.test", T_A), zones, cnames, set(), False)),
    }
    # an AAAA answer and a pointer loop, built by hand
    q = query(0x6666, "x.test", T_AAAA)
    aaaa = struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + q[12:] + struct.pack(">HHHIH", 0xC00C, T_AAAA, 1, 30, 16) + \
        socket.inet_pton(socket.AF_INET6, "2001:db8::7")
    seeds["aaaa_record"] = (3, q[:2] + aaaa)
    loop = bytearray(answer(query(0x7777, "x.test", T_A), zones, {}, set(), False))
    pos = 12 + len(wire_name("x.test")) + 4
    loop[pos:pos + 2] = struct.pack(">H", 0xC000 | pos)
    seeds["pointer_loop"] = (2, bytes(loop))
    for name, (sel, pkt) in seeds.items():
        with open(os.path.join(d, name + ".bin"), "wb") as f:
            f.write(bytes([sel]) + pkt)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen", nargs="*")
    ap.add_argument("--zone", action="append", default=[])
    ap.add_argument("--cname", action="append", default=[])
    ap.add_argument("--truncate", action="append", default=[])
    ap.add_argument("--silent", action="append", default=[])
    ap.add_argument("--log")
    ap.add_argument("--zones-file")
    ap.add_argument("--corpus")
    args = ap.parse_args()
    if args.corpus:
        corpus(args.corpus)
        return
    if not args.listen and not args.silent:
        ap.error("nothing to listen on")
    serve(args)


if __name__ == "__main__":
    sys.exit(main())
