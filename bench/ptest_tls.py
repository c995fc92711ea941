#!/usr/bin/env python3
"""ptest_tls.py - TLS CPU per request of ptest and wrk against nginx (run through
bench/ptest_tls.sh).

nginx (one worker, https, TLS 1.3, ECDSA P-256 certificate signed by a CA made here with
openssl) runs pinned to one core; ptest and wrk in turn run pinned to the other core with
one thread and the same number of connections for the same time, in two modes:
  keep-alive   one handshake per connection, then requests on it;
  new conn     every request on a new connection: both send `Connection: close` (wrk -H,
               ptest a plan-wide header), so nginx closes after each answer and the
               generator reconnects (and may resume its TLS session).
CPU per request = user + system time of the generator (wait4) / requests it completed;
rounds alternate the generators; medians. nginx logs $ssl_session_reused per request (a
buffered access log, whose cost is nginx's, not the generators'), so each run also shows
how many handshakes were full and how many resumed.
A benchmark, not a test: it prints figures and PASS/MISS against the target and exits 0;
it exits 1 only when it cannot run.
"""
import argparse
import json
import os
import shlex
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import (NGINX_TEMP_PATHS, BenchError, children, cpu_of, errors_text, free_port, loadavg, log,
                      parse_wrk, per_request, poll_until,
                      run_rusage, sched_prefixes, stop_all)

T_CPU_RATIO = 0.9          # ptest TLS CPU per request <= 0.9 x wrk's, in both modes

NGINX_TLS = """\
worker_processes 1;
worker_rlimit_nofile {nofile};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections {wconns}; }}
http {{
    log_format reuse '$connection $ssl_session_reused';
    access_log {d}/access.log reuse buffer=256k;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
""" + NGINX_TEMP_PATHS + """    server {{
        listen 127.0.0.1:{port} ssl backlog=4096;
        ssl_certificate {d}/srv.pem;
        ssl_certificate_key {d}/srv.key;
        ssl_protocols TLSv1.3;
        location / {{ default_type text/plain; return 200 "Hello World!"; }}
    }}
}}
"""


def sh(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise BenchError(f"{shlex.join(cmd)} failed: {r.stderr.strip()}")


def make_certs(d):
    """CA and a server certificate for localhost / 127.0.0.1 (ECDSA P-256), in d."""
    ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    sh(["openssl", "genpkey", *ec, "-out", "ca.key"], d)
    sh(["openssl", "req", "-x509", "-new", "-key", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=bench CA"], d)
    sh(["openssl", "genpkey", *ec, "-out", "srv.key"], d)
    sh(["openssl", "req", "-new", "-key", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost"], d)
    with open(f"{d}/srv.ext", "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    sh(["openssl", "x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "srv.ext", "-out", "srv.pem"], d)


def wait_https(port, cafile, proc, secs=10.0):
    ctx = ssl.create_default_context(cafile=cafile)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BenchError(f"nginx exited with status {proc.returncode}")
        try:
            import http.client
            c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=1)
            c.request("GET", "/")
            if c.getresponse().status == 200:
                c.close()
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise BenchError(f"nginx did not answer https on port {port} within {secs:.0f} s")


def log_reuse(d, offset):
    """(full, resumed) handshakes logged since offset, and the new offset: nginx logs one
    line per request, "CONNECTION REUSED"; each connection counts once."""
    with open(f"{d}/nginx.pid") as f:
        os.kill(int(f.read()), 10)   # SIGUSR1: reopen the log, which flushes the buffer
    time.sleep(0.3)
    conns = {}
    with open(f"{d}/access.log") as f:
        f.seek(offset)
        for line in f:
            c, _, flag = line.strip().partition(" ")
            conns[c] = flag
        end = f.tell()
    flags = list(conns.values())
    return flags.count("."), flags.count("r"), end


def gen_ptest(a, tmp, url, close):
    out = os.path.join(tmp, "ptest-results")
    if close:
        plan = os.path.join(tmp, "close.yaml")
        with open(plan, "w") as f:
            f.write(f"target: {url}\nheaders: {{Connection: close}}\n"
                    f"scenarios: [{{users: {a.conns}, hold_for: {a.duration}s, requests: [{{path: /}}]}}]\n")
        cmd = [a.ptest, "run", plan, "-t", "1", "--cacert", a.cafile, "--out", out, "--quiet"]
    else:
        cmd = [a.ptest, "run", url, "-c", str(a.conns), "-t", "1", "-d", f"{a.duration}s",
               "--cacert", a.cafile, "--out", out, "--quiet"]
    rc, text, usr, sys_, rss = run_rusage(a.load_prefix, cmd, tmp)
    cmd = a.load_prefix + cmd
    if rc != 0:
        raise BenchError(f"{shlex.join(cmd)} exited with {rc}:\n{text}")
    with open(os.path.join(out, "results.json")) as f:
        t = json.load(f)["total"]
    return {"cmd": shlex.join(cmd), "requests": t["count"], "rps": t["rps"], "errors": t["errors"],
            "handshakes": t["tls"]["handshakes"], "usr": usr, "sys": sys_, "rss": rss}


def gen_wrk(a, tmp, url, close):
    cmd = ["wrk", "-t1", f"-c{a.conns}", f"-d{a.duration}s"] + (["-H", "Connection: close"] if close else []) + [url]
    rc, text, usr, sys_, rss = run_rusage(a.load_prefix, cmd, tmp)
    cmd = a.load_prefix + cmd
    if rc != 0:
        raise BenchError(f"{shlex.join(cmd)} exited with {rc}:\n{text}")
    w = parse_wrk(cmd, text)
    errors = 0 if not w["non2xx"] else w["non2xx"]
    return {"cmd": w["cmd"], "requests": w["requests"], "rps": w["rps"], "errors": errors,
            "socket_errors": w["errors"], "usr": usr, "sys": sys_, "rss": rss}


GENERATORS = {"ptest": gen_ptest, "wrk": gen_wrk}
MODES = {"keep-alive": False, "new conn": True}


def main():
    p = argparse.ArgumentParser(description="TLS CPU per request: ptest and wrk against nginx")
    p.add_argument("--ptest", required=True)
    p.add_argument("--cmdline", default="bench/ptest_tls.sh")
    p.add_argument("--duration", type=int, metavar="S", default=10, help="seconds per run (10)")
    p.add_argument("--rounds", type=int, metavar="N", default=3, help="rounds per generator and mode (3)")
    p.add_argument("--conns", type=int, metavar="N", default=50, help="connections (50)")
    p.add_argument("--sched", choices=["auto", "rt", "normal"], default="auto",
                   help="rt: nginx SCHED_FIFO 50 and the generators nice -10; auto (default): rt where permitted")
    p.add_argument("--server-cpu", type=int, default=0, metavar="CPU", help="CPU for nginx (0)")
    p.add_argument("--load-cpu", type=int, default=1, metavar="CPU", help="CPU for the generators (1)")
    a = p.parse_args()
    if a.duration < 1 or a.rounds < 1 or a.conns < 1:
        raise BenchError("--duration, --rounds and --conns must be >= 1")
    a.server_prefix, a.load_prefix = sched_prefixes(a.sched, a.server_cpu, a.load_cpu)
    res = {"loadavg": loadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-ptest-tls.") as tmp:
        d = f"{tmp}/nginx"
        os.makedirs(f"{d}/tmp")
        make_certs(d)
        a.cafile = f"{d}/ca.pem"
        port = free_port()
        with open(f"{d}/nginx.conf", "w") as f:
            f.write(NGINX_TLS.format(d=d, port=port, wconns=a.conns * 2 + 64, nofile=a.conns * 2 + 320))
        cmd = a.server_prefix + ["nginx", "-p", d, "-e", f"{d}/error.log", "-c", f"{d}/nginx.conf",
                                 "-g", "daemon off;"]
        res["ng_cmd"] = shlex.join(cmd)
        with open(f"{tmp}/nginx.log", "w") as logf:
            ng = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
        try:
            url = f"https://localhost:{port}/"
            wait_https(port, a.cafile, ng)
            workers = poll_until("the nginx worker", lambda: children(ng.pid), 5)
            pids = [ng.pid] + workers
            log(f"nginx: {res['ng_cmd']}\n       {url}, master {ng.pid}, worker {workers[0]}")
            log(f"load:  {shlex.join(a.load_prefix)} GENERATOR ...")
            _, _, off = log_reuse(d, 0)
            for mode, close in MODES.items():
                log(f"\n== {mode}: -c {a.conns}, one thread, {a.duration} s, {a.rounds} rounds, alternating")
                runs = {n: [] for n in GENERATORS}
                names = list(GENERATORS)
                for r in range(a.rounds):
                    for name in names[r % 2:] + names[:r % 2]:
                        c0 = cpu_of(pids)
                        g = GENERATORS[name](a, tmp, url, close)
                        c1 = cpu_of(pids)
                        full, resumed, off = log_reuse(d, off)
                        n = g["requests"]
                        if n <= 0:
                            raise BenchError(f"{g['cmd']}: no requests completed")
                        per_request(g, n)
                        g.update(ng_us=(sum(c1) - sum(c0)) * 1e6 / n, full=full, resumed=resumed)
                        runs[name].append(g)
                        err = errors_text(g)
                        log(f"  round {r + 1} {name:5s} {n:8d} req {g['rps']:8.0f} req/s  CPU"
                            f" {g['us']:6.2f} us/req (user {g['usr_us']:5.2f}, sys {g['sys_us']:5.2f})"
                            f"  nginx saw {full} full + {resumed} resumed handshakes"
                            f"  | nginx {g['ng_us']:5.2f} us/req, peak RSS {g['rss']} KiB,"
                            f" load average {loadavg().split()[0]}{err}")
                res[mode] = {}
                for name in names:
                    rr = runs[name]
                    res[mode][name] = {k: statistics.median(g[k] for g in rr)
                                       for k in ("us", "usr_us", "sys_us", "rps", "ng_us", "full", "resumed", "rss")}
                    res[mode][name]["cmd"] = rr[0]["cmd"]
                res[mode]["ratio"] = res[mode]["ptest"]["us"] / res[mode]["wrk"]["us"]
        finally:
            stop_all([ng])
    log("\n== Summary (medians)")
    rows = [("mode", "ptest us/req", "wrk us/req", "ptest/wrk", "target", "result",
             "ptest full/resumed", "wrk full/resumed", "req/s ptest/wrk")]
    for mode in MODES:
        m, pt, w = res[mode], res[mode]["ptest"], res[mode]["wrk"]
        rows.append((mode, f"{pt['us']:.2f}", f"{w['us']:.2f}", f"{m['ratio']:.3f}", f"<= {T_CPU_RATIO}",
                     "PASS" if m["ratio"] <= T_CPU_RATIO else "MISS",
                     f"{pt['full']:.0f}/{pt['resumed']:.0f}", f"{w['full']:.0f}/{w['resumed']:.0f}",
                     f"{pt['rps']:.0f}/{w['rps']:.0f}"))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        log("  " + "  ".join(str(c).ljust(wd) for c, wd in zip(r, widths)).rstrip())
    log(f"\n  command: {a.cmdline}")
    log(f"  nginx:   {res['ng_cmd']}")
    for mode in MODES:
        for n in GENERATORS:
            log(f"  {mode + ' ' + n + ':':17s} {res[mode][n]['cmd']}")
    log(f"  machine: {os.cpu_count()} CPUs, load average {res['loadavg']} at start, {loadavg()} at end")


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print(f"bench/ptest_tls: {e}", file=sys.stderr)
        sys.exit(1)
