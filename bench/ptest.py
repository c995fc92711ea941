#!/usr/bin/env python3
"""ptest.py - ptest, wrk and h2load side by side against nginx (run through bench/ptest.sh).

nginx (one worker, `return 200 "Hello World!"`) runs pinned to one core; each load
generator in turn runs pinned to the other core with one thread and the same number of
keep-alive connections for the same time. Measured:
  1. closed model (each connection sends its next request when the answer arrives): CPU
     time per request of each generator (user + system from wait4(), divided by the
     requests it completed) and its peak RSS (VmHWM at exit, by /usr/bin/time); several rounds,
     the generators alternating, median;
  2. open model: ptest -R at 20, 40, 60 and 80 % of ptest's closed-model maximum from
     step 1; achieved rate (results.json total.rps) against the target, dropped and queued
     arrivals, peak RSS.
Where permitted nginx runs SCHED_FIFO and the generators at nice -10 (--sched).
A benchmark, not a test: it prints figures and PASS/MISS against the targets and exits 0;
it exits 1 only when it cannot run (missing tool, a server that does not start).
"""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile

from benchlib import (BenchError, children, cpu_of, free_port, loadavg, log, mem, nginx_cmd,
                      parse_wrk, poll_until, run_rusage, run_wrk, runq, runq_text,
                      sched_prefixes, stop_all, wait_http)

# Targets: the "target" column of bench/README.md.
T_CPU_RATIO = 0.9          # ptest CPU per request <= 0.9 x wrk's
T_RSS_KIB = 8192           # ptest peak RSS <= 8 MiB
T_OPEN_REL = 0.01          # open model: achieved rate within 1 % of the target ...
T_OPEN_UPTO = 0.8          # ... up to 80 % of the closed-model maximum


def gen_ptest(a, tmp, url, rate=None):
    out = os.path.join(tmp, "ptest-results")
    cmd = [a.ptest, "run", url, "-c", str(a.conns), "-t", "1", "-d", f"{a.duration}s",
           "--out", out, "--quiet"]
    if rate is not None:
        cmd[3:3] = ["-R", f"{rate:.0f}"]
    rc, text, usr, sys_, rss = run_rusage(a.load_prefix, cmd, tmp)
    cmd = a.load_prefix + cmd
    if rc != 0:
        raise BenchError(f"{shlex.join(cmd)} exited with {rc}:\n{text}")
    with open(os.path.join(out, "results.json")) as f:
        r = json.load(f)
    t = r["total"]
    return {"cmd": shlex.join(cmd), "requests": t["count"], "rps": t["rps"], "errors": t["errors"],
            "dropped": r["dropped"], "queued": t.get("queued", 0), "p99_us": t["latency_us"]["p99"],
            "usr": usr, "sys": sys_, "rss": rss}


def gen_wrk(a, tmp, url):
    cmd = ["wrk", "-t1", f"-c{a.conns}", f"-d{a.duration}s", url]
    rc, text, usr, sys_, rss = run_rusage(a.load_prefix, cmd, tmp)
    cmd = a.load_prefix + cmd
    if rc != 0:
        raise BenchError(f"{shlex.join(cmd)} exited with {rc}:\n{text}")
    w = parse_wrk(cmd, text)
    errors = 0 if not w["errors"] and not w["non2xx"] else w["non2xx"] or -1
    return {"cmd": w["cmd"], "requests": w["requests"], "rps": w["rps"], "errors": errors,
            "usr": usr, "sys": sys_, "rss": rss}


def gen_h2load(a, tmp, url):
    # --h1: HTTP/1.1 (nginx here speaks no h2c); -D: duration-bound like the others.
    cmd = ["h2load", "--h1", "-t", "1", "-c", str(a.conns), "-D", str(a.duration), url]
    rc, text, usr, sys_, rss = run_rusage(a.load_prefix, cmd, tmp)
    cmd = a.load_prefix + cmd
    if rc != 0:
        raise BenchError(f"{shlex.join(cmd)} exited with {rc}:\n{text}")
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed,"
                  r" (\d+) errored", text)
    fin = re.search(r"finished in ([\d.]+)s, ([\d.]+) req/s", text)
    if not m or not fin:
        raise BenchError(f"cannot parse the output of {shlex.join(cmd)}:\n{text}")
    return {"cmd": shlex.join(cmd), "requests": int(m.group(3)), "rps": float(fin.group(2)),
            "errors": int(m.group(5)) + int(m.group(6)), "usr": usr, "sys": sys_, "rss": rss}


GENERATORS = {"ptest": gen_ptest, "wrk": gen_wrk, "h2load": gen_h2load}


def phase_closed(a, tmp, url, ng_pids, res):
    log(f"== Closed model: -c {a.conns}, one thread, {a.duration} s, {a.rounds} rounds,"
        " generators alternating")
    run_wrk(a, a.conns, 1, url)  # warm-up of nginx
    names = list(GENERATORS)
    runs = {n: [] for n in names}
    for r in range(a.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            c0, q0 = cpu_of(ng_pids), runq(ng_pids)
            g = GENERATORS[name](a, tmp, url)
            c1, q1 = cpu_of(ng_pids), runq(ng_pids)
            n = g["requests"]
            if n <= 0:
                raise BenchError(f"{g['cmd']}: no requests completed")
            g["us"] = (g["usr"] + g["sys"]) * 1e6 / n
            g["usr_us"], g["sys_us"] = g["usr"] * 1e6 / n, g["sys"] * 1e6 / n
            g["ng_us"] = (sum(c1) - sum(c0)) * 1e6 / n
            runs[name].append(g)
            err = f"  errors {g['errors']}" if g["errors"] else ""
            log(f"  round {r + 1} {name:6s} {n:8d} req {g['rps']:8.0f} req/s"
                f"  CPU {g['usr'] + g['sys']:5.2f} s = {g['us']:5.2f} us/req (user {g['usr_us']:4.2f},"
                f" sys {g['sys_us']:4.2f})  peak RSS {g['rss']} KiB"
                f"  | nginx {g['ng_us']:4.2f} us/req, {runq_text(q0, q1)}, load average"
                f" {loadavg().split()[0]}{err}")
    for name in names:
        rr = runs[name]
        res[name] = {k: statistics.median(g[k] for g in rr)
                     for k in ("us", "usr_us", "sys_us", "rps", "rss", "ng_us")}
        res[name]["all_us"] = [g["us"] for g in rr]
        res[name]["cmd"] = rr[0]["cmd"]
    res["cpu_ratio"] = res["ptest"]["us"] / res["wrk"]["us"]
    log(f"  median us/req: " + ", ".join(f"{n} {res[n]['us']:.2f}" for n in names) +
        f"; ptest/wrk {res['cpu_ratio']:.3f}, ptest/h2load {res['ptest']['us'] / res['h2load']['us']:.3f}")


def phase_open(a, tmp, url, res):
    top = res["ptest"]["rps"]
    log(f"\n== Open model: ptest -R at {', '.join(f'{x * 100:.0f}%' for x in a.open_loads)} of"
        f" ptest's closed-model maximum ({top:.0f} req/s), -c {a.conns} (at most), {a.duration} s")
    res["open"] = []
    for frac in a.open_loads:
        rate = round(top * frac)
        g = gen_ptest(a, tmp, url, rate)
        rel = g["rps"] / rate - 1
        g.update(frac=frac, rate=rate, rel=rel)
        res["open"].append(g)
        log(f"  {frac * 100:3.0f}%: target {rate:7d} req/s, achieved {g['rps']:9.1f} ({rel * 100:+6.2f}%),"
            f" {g['requests']} requests, dropped {g['dropped']}, queued {g['queued']}, p99"
            f" {g['p99_us'] if g['p99_us'] is not None else '-'} us, CPU"
            f" {(g['usr'] + g['sys']) * 1e6 / max(1, g['requests']):.2f} us/req, peak RSS {g['rss']} KiB,"
            f" load average {loadavg().split()[0]}")
    res["open_cmd"] = res["open"][-1]["cmd"] if res["open"] else ""


def summary(a, res):
    def verdict(ok):
        return "PASS" if ok else "MISS"
    p, w, h = res["ptest"], res["wrk"], res["h2load"]
    rss_peak = max([p["rss"]] + [g["rss"] for g in res["open"]])
    rows = [
        ("CPU per request (us)", f"{p['us']:.2f}", f"{w['us']:.2f}", f"{h['us']:.2f}",
         f"<= {T_CPU_RATIO} x wrk", f"{res['cpu_ratio']:.3f}", verdict(res["cpu_ratio"] <= T_CPU_RATIO)),
        ("  of which user (us)", f"{p['usr_us']:.2f}", f"{w['usr_us']:.2f}", f"{h['usr_us']:.2f}",
         "-", f"{p['usr_us'] / w['usr_us']:.3f}", "info"),
        ("  of which system (us)", f"{p['sys_us']:.2f}", f"{w['sys_us']:.2f}", f"{h['sys_us']:.2f}",
         "-", f"{p['sys_us'] / w['sys_us']:.3f}", "info"),
        ("CPU per request vs h2load", "-", "-", "-", "-",
         f"{p['us'] / h['us']:.3f}", "info"),
        ("requests/s (closed)", f"{p['rps']:.0f}", f"{w['rps']:.0f}", f"{h['rps']:.0f}", "-",
         f"{p['rps'] / w['rps']:.3f}", "info"),
        ("nginx CPU per request (us)", f"{p['ng_us']:.2f}", f"{w['ng_us']:.2f}", f"{h['ng_us']:.2f}",
         "-", "-", "info"),
        ("peak RSS (KiB)", f"{rss_peak}", f"{w['rss']:.0f}", f"{h['rss']:.0f}", f"<= {T_RSS_KIB}",
         f"{rss_peak / w['rss']:.3f}", verdict(rss_peak <= T_RSS_KIB)),
    ]
    for g in res["open"]:
        ok = abs(g["rel"]) <= T_OPEN_REL if g["frac"] <= T_OPEN_UPTO + 1e-9 else None
        rows.append((f"open {g['frac'] * 100:.0f}%: achieved/target", f"{g['rps']:.0f}/{g['rate']}",
                     "-", "-", f"+-{T_OPEN_REL * 100:.0f}%", f"{g['rel'] * 100:+.2f}%",
                     "info" if ok is None else verdict(ok)))
    head = ("figure", "ptest", "wrk", "h2load", "target", "ptest/wrk", "result")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    log("\n== Summary (medians; peak RSS of ptest: the largest of all its runs)")
    for r in [head] + rows:
        log("  " + "  ".join(str(c).ljust(wd) for c, wd in zip(r, widths)).rstrip())
    log(f"\n  command: {a.cmdline}")
    log(f"  nginx:   {res['ng_cmd']}")
    for n in GENERATORS:
        log(f"  {n + ':':8s} {res[n]['cmd']}")
    log(f"  open:    {res['open_cmd']}")
    log(f"  machine: {os.cpu_count()} CPUs, load average {res['loadavg']} at start,"
        f" {loadavg()} at end")


def main():
    p = argparse.ArgumentParser(description="ptest, wrk and h2load side by side against nginx")
    p.add_argument("--ptest", required=True)
    p.add_argument("--cmdline", default="bench/ptest.sh")
    p.add_argument("--duration", type=int, metavar="S", default=10, help="seconds per run (10)")
    p.add_argument("--rounds", type=int, metavar="N", default=3, help="closed-model rounds per generator (3)")
    p.add_argument("--conns", type=int, metavar="N", default=50, help="connections (50)")
    p.add_argument("--open-loads", metavar="F,F..", default="0.2,0.4,0.6,0.8",
                   help="open-model rates as fractions of ptest's closed maximum (0.2,0.4,0.6,0.8)")
    p.add_argument("--sched", choices=["auto", "rt", "normal"], default="auto",
                   help="rt: nginx SCHED_FIFO 50 and the generators nice -10, to shield the figures from other jobs; auto (default): rt where permitted")
    p.add_argument("--server-cpu", type=int, default=0, metavar="CPU", help="CPU for nginx (0)")
    p.add_argument("--load-cpu", type=int, default=1, metavar="CPU", help="CPU for the generators (1)")
    a = p.parse_args()
    try:
        a.open_loads = [float(x) for x in a.open_loads.split(",") if x]
    except ValueError:
        raise BenchError(f"--open-loads: expected fractions such as 0.2,0.8, got {a.open_loads!r}")
    if a.duration < 1 or a.rounds < 1 or a.conns < 1 or any(not 0 < x <= 2 for x in a.open_loads):
        raise BenchError("--duration, --rounds and --conns must be >= 1, --open-loads in (0, 2]")
    a.server_prefix, a.load_prefix = sched_prefixes(a.sched, a.server_cpu, a.load_cpu)

    res = {"loadavg": loadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-ptest.") as tmp:
        port = free_port()
        cmd = nginx_cmd(f"{tmp}/nginx", port, a.conns * 2 + 64, a.server_prefix)
        res["ng_cmd"] = shlex.join(cmd)
        with open(f"{tmp}/nginx.log", "w") as logf:
            ng = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_http(port, "/", ng)
            workers = poll_until("the nginx worker", lambda: children(ng.pid), 5)
            if len(workers) != 1:
                raise BenchError(f"expected one nginx worker, found {workers}")
            log(f"nginx: {res['ng_cmd']}\n       port {port}, master {ng.pid}, worker {workers[0]},"
                f" idle worker VmRSS {mem(workers[0])['rss']} KiB")
            log(f"load:  {shlex.join(a.load_prefix)} GENERATOR ...\n")
            phase_closed(a, tmp, url, [ng.pid] + workers, res)
            phase_open(a, tmp, url, res)
        finally:
            stop_all([ng])
    summary(a, res)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print(f"bench/ptest: {e}", file=sys.stderr)
        sys.exit(1)
