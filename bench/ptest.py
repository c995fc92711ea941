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
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile

from benchlib import (BenchError, children, cpu_of, errors_text, free_port, loadavg, log, mem, nginx_cmd, per_request,
                      parse_wrk, poll_until, run_rusage, run_wrk, runq, runq_text,
                      sched_prefixes, stop_all, wait_http)

# Targets: the "target" column of bench/README.md.
T_CPU_RATIO = 0.75         # issue 15: ptest closed CPU per request <= 0.75 x wrk's (50 and 1000 connections)
T_RSS_KIB = 8192           # ptest peak RSS <= 8 MiB
T_OPEN_REL = 0.01          # open model: achieved rate within 1 % of the target ...
T_OPEN_UPTO = 0.8          # ... up to 80 % of the closed-model maximum
T_OPEN_PEER = 0.5          # issue 15: open model at fixed rates, CPU per request <= 0.5 x autocannon
T_CONN_KIB = 2.0           # issue 15: <= 2 KiB RSS per connection (asked at 50,000)


def gen_ptest(a, tmp, url, rate=None, conns=None, slack=None):
    out = os.path.join(tmp, "ptest-results")
    cmd = [a.ptest, "run", url, "-c", str(conns or a.conns[0]), "-t", "1", "-d", f"{a.duration}s",
           "--out", out, "--quiet"]
    if rate is not None:
        cmd[3:3] = ["-R", f"{rate:.0f}"]
    if slack is not None:
        cmd[3:3] = ["--timer-slack", slack]
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


def gen_wrk(a, tmp, url, conns=None):
    cmd = ["wrk", "-t1", f"-c{conns or a.conns[0]}", f"-d{a.duration}s", url]
    rc, text, usr, sys_, rss = run_rusage(a.load_prefix, cmd, tmp)
    cmd = a.load_prefix + cmd
    if rc != 0:
        raise BenchError(f"{shlex.join(cmd)} exited with {rc}:\n{text}")
    w = parse_wrk(cmd, text)
    errors = 0 if not w["errors"] and not w["non2xx"] else w["non2xx"] or -1
    return {"cmd": w["cmd"], "requests": w["requests"], "rps": w["rps"], "errors": errors,
            "usr": usr, "sys": sys_, "rss": rss}


def gen_h2load(a, tmp, url, conns=None):
    # --h1: HTTP/1.1 (nginx here speaks no h2c); -D: duration-bound like the others.
    cmd = ["h2load", "--h1", "-t", "1", "-c", str(conns or a.conns[0]), "-D", str(a.duration), url]
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


def gen_autocannon(a, tmp, url, rate, conns):
    """autocannon --overallRate: the rate spread over the connections, each sending its
    share and waiting for the answer (no backlog, so not an open model in the strict sense:
    a late answer delays that connection's next send). Achieved = requests.total / duration."""
    cmd = [a.autocannon, "-c", str(conns), "--overallRate", f"{rate:.0f}", "-d", str(a.duration),
           "-j", url]
    rc, text, usr, sys_, rss = run_rusage(a.load_prefix, cmd, tmp)
    cmd = a.load_prefix + cmd
    js = next((l for l in reversed(text.splitlines()) if l.startswith("{")), None)
    if rc != 0 or js is None:
        raise BenchError(f"{shlex.join(cmd)} exited with {rc}:\n{text}")
    j = json.loads(js)
    n = j["requests"]["total"]
    return {"cmd": shlex.join(cmd), "requests": n, "rps": n / j["duration"] if j["duration"] else 0,
            "errors": j["errors"] + j["timeouts"] + j["non2xx"], "dropped": 0, "queued": 0,
            "p99_us": j["latency"]["p99"] * 1000, "usr": usr, "sys": sys_, "rss": rss}


GENERATORS = {"ptest": gen_ptest, "wrk": gen_wrk, "h2load": gen_h2load}


def phase_closed(a, tmp, url, ng_pids, res, conns):
    log(f"== Closed model: -c {conns}, one thread, {a.duration} s, {a.rounds} rounds,"
        " generators alternating")
    run_wrk(a, conns, 1, url)  # warm-up of nginx
    names = list(GENERATORS)
    runs = {n: [] for n in names}
    for r in range(a.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            c0, q0 = cpu_of(ng_pids), runq(ng_pids)
            g = GENERATORS[name](a, tmp, url, conns=conns)
            c1, q1 = cpu_of(ng_pids), runq(ng_pids)
            n = g["requests"]
            if n <= 0:
                raise BenchError(f"{g['cmd']}: no requests completed")
            per_request(g, n)
            g["ng_us"] = (sum(c1) - sum(c0)) * 1e6 / n
            runs[name].append(g)
            err = errors_text(g)
            log(f"  round {r + 1} {name:6s} {n:8d} req {g['rps']:8.0f} req/s"
                f"  CPU {g['usr'] + g['sys']:5.2f} s = {g['us']:5.2f} us/req (user {g['usr_us']:4.2f},"
                f" sys {g['sys_us']:4.2f})  peak RSS {g['rss']} KiB"
                f"  | nginx {g['ng_us']:4.2f} us/req, {runq_text(q0, q1)}, load average"
                f" {loadavg().split()[0]}{err}")
    out = {"load": loadavg()}
    for name in names:
        rr = runs[name]
        out[name] = {k: statistics.median(g[k] for g in rr)
                     for k in ("us", "usr_us", "sys_us", "rps", "rss", "ng_us")}
        out[name]["all_us"] = [g["us"] for g in rr]
        out[name]["cmd"] = rr[0]["cmd"]
    out["cpu_ratio"] = out["ptest"]["us"] / out["wrk"]["us"]
    res.setdefault("closed", {})[conns] = out
    if conns == a.conns[0]:
        res.update({n: out[n] for n in names}, cpu_ratio=out["cpu_ratio"])
    log(f"  median us/req: " + ", ".join(f"{n} {out[n]['us']:.2f}" for n in names) +
        f"; ptest/wrk {out['cpu_ratio']:.3f}, ptest/h2load {out['ptest']['us'] / out['h2load']['us']:.3f}")


def phase_open(a, tmp, url, res):
    top = res["ptest"]["rps"]
    log(f"\n== Open model: ptest -R at {', '.join(f'{x * 100:.0f}%' for x in a.open_loads)} of"
        f" ptest's closed-model maximum ({top:.0f} req/s), -c {a.conns[0]} (at most), {a.duration} s")
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


def phase_open_fixed(a, tmp, url, res):
    """ptest's open model at fixed rates over a.open_conns connections, at each timer slack,
    against autocannon --overallRate: CPU per request and achieved vs planned rate."""
    gens = [(f"ptest {s}", lambda rate, s=s: gen_ptest(a, tmp, url, rate, a.open_conns, s)) for s in a.slacks]
    gens.append(("autocannon", lambda rate: gen_autocannon(a, tmp, url, rate, a.open_conns)))
    res["fixed"] = {}
    for rate in a.open_rates:
        log(f"\n== Open model at {rate}/s over {a.open_conns} connections, {a.duration} s, {a.rounds}"
            f" rounds, generators rotating (ptest -R {rate} -c {a.open_conns} -t 1 --timer-slack S;"
            f" autocannon -c {a.open_conns} --overallRate {rate})")
        runs = {n: [] for n, _ in gens}
        for r in range(a.rounds):
            k = r % len(gens)
            for name, fn in gens[k:] + gens[:k]:
                g = fn(rate)
                n = g["requests"] or 1
                per_request(g, n)
                g["rel"] = g["rps"] / rate - 1
                runs[name].append(g)
                err = errors_text(g)
                log(f"  round {r + 1} {name:12s} {g['requests']:7d} req, achieved {g['rps']:8.1f}/s"
                    f" ({g['rel'] * 100:+6.2f}%)  CPU {g['usr'] + g['sys']:5.2f} s = {g['us']:5.2f} us/req"
                    f" (user {g['usr_us']:4.2f}, sys {g['sys_us']:5.2f})  p99 {g['p99_us']:.0f} us"
                    f"  queued {g['queued']}, dropped {g['dropped']}  peak RSS {g['rss']} KiB,"
                    f" load average {loadavg().split()[0]}{err}")
        out = {}
        for name, rr in runs.items():
            out[name] = {k: statistics.median(g[k] for g in rr)
                         for k in ("us", "usr_us", "sys_us", "rps", "rel", "rss", "p99_us")}
            out[name]["cmd"] = rr[0]["cmd"]
        res["fixed"][rate] = out
        ac = out["autocannon"]["us"]
        log(f"  median us/req: " + ", ".join(f"{n} {v['us']:.2f}" for n, v in out.items()) +
            "; ptest/autocannon " + ", ".join(f"{n.split()[1]} {out[n]['us'] / ac:.3f}" for n in out
                                              if n.startswith("ptest")))


CONN_PLAN = """\
target: http://127.0.0.1:{port}
scenarios:
  - name: held
    users: {users}
    ramp_up: 5s
    hold_for: {hold}s
    think_time: 2s
    requests: [{{path: /}}]
"""


def phase_conn_rss(a, tmp, url, port, res, n):
    """Peak RSS per connection: ptest with n closed users (2 s think time: connections held
    open, little load) against the same with 100; wrk -c n against wrk -c 100 for scale."""
    base = 100
    log(f"\n== RSS per connection: ptest {n} closed users (think time 2 s) against {base}; wrk -c {n}"
        f" against -c {base} ({a.duration} s each)")
    out = {}
    for users in (base, n):
        path = os.path.join(tmp, f"conns{users}.yaml")
        with open(path, "w") as f:
            f.write(CONN_PLAN.format(port=port, users=users, hold=a.duration))
        cmd = [a.ptest, "run", path, "-t", "1", "--out", os.path.join(tmp, "ptest-conns"), "--quiet"]
        rc, text, usr, sys_, rss = run_rusage(a.load_prefix, cmd, tmp)
        if rc != 0:
            raise BenchError(f"{shlex.join(a.load_prefix + cmd)} exited with {rc}:\n{text}")
        with open(os.path.join(tmp, "ptest-conns", "results.json")) as f:
            t = json.load(f)["total"]
        out[("ptest", users)] = rss
        log(f"  ptest {users:6d} users: peak RSS {rss} KiB, {t['count']} requests, {t['errors']} errors,"
            f" load average {loadavg().split()[0]}")
        out["ptest_cmd"] = shlex.join(a.load_prefix + cmd)
        g = gen_wrk(a, tmp, url, conns=users)
        out[("wrk", users)] = g["rss"]
        log(f"  wrk   -c {users:6d}: peak RSS {g['rss']} KiB, {g['requests']} requests")
    res["conn_rss"] = {"n": n, "ptest": (out[("ptest", n)] - out[("ptest", base)]) / (n - base),
                       "wrk": (out[("wrk", n)] - out[("wrk", base)]) / (n - base),
                       "ptest_kib": out[("ptest", n)], "cmd": out["ptest_cmd"]}
    log(f"  per connection: ptest {res['conn_rss']['ptest'] * 1024:.0f} B, wrk {res['conn_rss']['wrk'] * 1024:.0f} B")


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
    for conns, c in res["closed"].items():
        if conns == a.conns[0]:
            continue
        rows.append((f"CPU per request, -c {conns} (us)", f"{c['ptest']['us']:.2f}", f"{c['wrk']['us']:.2f}",
                     f"{c['h2load']['us']:.2f}", f"<= {T_CPU_RATIO} x wrk", f"{c['cpu_ratio']:.3f}",
                     verdict(c["cpu_ratio"] <= T_CPU_RATIO)))
        rows.append(("  of which user (us)", f"{c['ptest']['usr_us']:.2f}", f"{c['wrk']['usr_us']:.2f}",
                     f"{c['h2load']['usr_us']:.2f}", "-", f"{c['ptest']['usr_us'] / c['wrk']['usr_us']:.3f}", "info"))
    for rate, out in res.get("fixed", {}).items():
        ac = out["autocannon"]
        for name, g in out.items():
            if name == "autocannon":
                continue
            ratio = g["us"] / ac["us"]
            rows.append((f"open {rate}/s -c {a.open_conns}: CPU/req (us), {name}", f"{g['us']:.2f}",
                         f"autocannon {ac['us']:.2f}", "-", f"<= {T_OPEN_PEER} x autocannon",
                         f"{ratio:.3f}", verdict(ratio <= T_OPEN_PEER)))
            rows.append((f"  achieved/planned, p99 (us)", f"{g['rel'] * 100:+.2f}%, {g['p99_us']:.0f}",
                         f"{ac['rel'] * 100:+.2f}%, {ac['p99_us']:.0f}", "-", f"+-{T_OPEN_REL * 100:.0f}%",
                         "-", verdict(abs(g["rel"]) <= T_OPEN_REL)))
    if "conn_rss" in res:
        c = res["conn_rss"]
        rows.append((f"RSS per connection (B), {c['n']}", f"{c['ptest'] * 1024:.0f}", f"{c['wrk'] * 1024:.0f}",
                     "-", f"<= {T_CONN_KIB * 1024:.0f}", f"{c['ptest'] / c['wrk']:.3f}" if c["wrk"] > 0 else "-",
                     verdict(c["ptest"] <= T_CONN_KIB)))
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
    for rate, out in res.get("fixed", {}).items():
        log(f"  {rate}/s:  {out['ptest ' + a.slacks[0]]['cmd']}\n           {out['autocannon']['cmd']}")
    if "conn_rss" in res:
        log(f"  conns:   {res['conn_rss']['cmd']}")
    if res.get("conn_note"):
        log(f"  conns:   {res['conn_note']}")
    log(f"  machine: {os.cpu_count()} CPUs, load average {res['loadavg']} at start,"
        f" {loadavg()} at end")


def main():
    p = argparse.ArgumentParser(description="ptest, wrk and h2load side by side against nginx")
    p.add_argument("--ptest", required=True)
    p.add_argument("--cmdline", default="bench/ptest.sh")
    p.add_argument("--duration", type=int, metavar="S", default=10, help="seconds per run (10)")
    p.add_argument("--rounds", type=int, metavar="N", default=3, help="closed-model rounds per generator (3)")
    p.add_argument("--conns", metavar="N,N", default="50,1000",
                   help="closed-model connections, one set of rounds each (50,1000); the open fractions use the first")
    p.add_argument("--open-rates", metavar="R,R", default="20000,50000",
                   help="open-model fixed rates against autocannon (20000,50000); empty: skip")
    p.add_argument("--open-conns", type=int, metavar="N", default=1000, help="connections at the fixed rates (1000)")
    p.add_argument("--slacks", metavar="D,D", default="0,100us,1ms",
                   help="ptest --timer-slack values at the fixed rates (0,100us,1ms)")
    p.add_argument("--autocannon", metavar="PATH", default="autocannon", help="autocannon to run")
    p.add_argument("--rss-conns", type=int, metavar="N", default=50000,
                   help="connections for RSS per connection (50000, lowered to the open-files limit; 0: skip)")
    p.add_argument("--open-loads", metavar="F,F..", default="0.2,0.4,0.6,0.8",
                   help="open-model rates as fractions of ptest's closed maximum (0.2,0.4,0.6,0.8)")
    p.add_argument("--sched", choices=["auto", "rt", "normal"], default="auto",
                   help="rt: nginx SCHED_FIFO 50 and the generators nice -10, to shield the figures from other jobs; auto (default): rt where permitted")
    p.add_argument("--server-cpu", type=int, default=0, metavar="CPU", help="CPU for nginx (0)")
    p.add_argument("--load-cpu", type=int, default=1, metavar="CPU", help="CPU for the generators (1)")
    a = p.parse_args()
    try:
        a.open_loads = [float(x) for x in a.open_loads.split(",") if x]
        a.conns = [int(x) for x in a.conns.split(",") if x]
        a.open_rates = [int(x) for x in a.open_rates.split(",") if x]
    except ValueError:
        raise BenchError("--open-loads: expected fractions such as 0.2,0.8; --conns and --open-rates numbers")
    a.slacks = [x for x in a.slacks.split(",") if x] or ["0"]
    if (a.duration < 1 or a.rounds < 1 or not a.conns or min(a.conns) < 1 or a.open_conns < 1 or
            any(not 0 < x <= 2 for x in a.open_loads)):
        raise BenchError("--duration, --rounds, --conns and --open-conns must be >= 1, --open-loads in (0, 2]")
    a.server_prefix, a.load_prefix = sched_prefixes(a.sched, a.server_cpu, a.load_cpu)

    res = {"loadavg": loadavg()}
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rss_n = a.rss_conns
    if hard != resource.RLIM_INFINITY and rss_n > (hard - 400) * 16 // 17:
        # ptest and the nginx worker are one process each: at most `hard` files each, and
        # nginx closes idle keep-alive connections once fewer than 1/16 of its slots are free.
        rss_n = (hard - 400) * 16 // 17 // 1000 * 1000
        res["conn_note"] = (f"{rss_n} instead of {a.rss_conns} connections: the open-files hard limit"
                            f" is {hard} per process (not raisable here)")
        log(f"note: {res['conn_note']}")
    wconns = max(max(a.conns + [a.open_conns]) * 2 + 64, rss_n + rss_n // 16 + 128)
    if hard != resource.RLIM_INFINITY:
        wconns = min(wconns, hard - 256)
    with tempfile.TemporaryDirectory(prefix="bench-ptest.") as tmp:
        port = free_port()
        cmd = nginx_cmd(f"{tmp}/nginx", port, wconns, a.server_prefix)
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
            for conns in a.conns:
                phase_closed(a, tmp, url, [ng.pid] + workers, res, conns)
            phase_open(a, tmp, url, res)
            if a.open_rates:
                phase_open_fixed(a, tmp, url, res)
            if rss_n > 100:
                phase_conn_rss(a, tmp, url, port, res, rss_n)
        finally:
            stop_all([ng])
    summary(a, res)


if __name__ == "__main__":
    try:
        main()
    except BenchError as e:
        print(f"bench/ptest: {e}", file=sys.stderr)
        sys.exit(1)
