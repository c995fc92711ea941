"""benchlib.py - helpers shared by the bench/*.py benchmarks (msdemo.py, ptest.py).

/proc readings (CPU ticks, run-queue waits, memory), tiny HTTP helpers, wrk, the nginx
configuration both benchmarks measure against, and the scheduling prefixes (taskset, and
chrt/nice where permitted). Python 3 standard library only.
"""
import os
import re
import shlex
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


def log(msg=""):
    print(msg, flush=True)



# --- /proc ------------------------------------------------------------------------------

def cpu_ticks(pid):
    """(utime, stime) of the whole process (all threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]), int(rest[12])  # fields 14 and 15


def cpu_of(pids):
    """(user, system) seconds of the processes pids together."""
    u = s = 0
    for p in pids:
        a, b = cpu_ticks(p)
        u, s = u + a, s + b
    return u / CLK_TCK, s / CLK_TCK


def runq(pids):
    """(ns waited on a run queue, timeslices) summed over every thread of pids: shows how
    much other jobs on the machine delayed the servers (/proc/PID/task/TID/schedstat)."""
    wait = slices = 0
    for p in pids:
        for t in os.listdir(f"/proc/{p}/task"):
            try:
                with open(f"/proc/{p}/task/{t}/schedstat") as f:
                    _, w, n = f.read().split()
            except (OSError, ValueError):
                continue
            wait, slices = wait + int(w), slices + int(n)
    return wait, slices


def runq_text(before, after):
    """The run-queue wait between two runq() samples, as text for the log."""
    n, w = after[1] - before[1], after[0] - before[0]
    per = w / n / 1000 if n > 0 else 0.0
    return f"waited {w / 1e6:.0f} ms for a CPU ({per:.0f} us/slice)"


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def private_kib(pid):
    """Private_Clean + Private_Dirty: memory that is this process's alone (no shared libs)."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1])
    except OSError:
        return None
    return total


def mem(pid):
    return {"rss": status_kib(pid, "VmRSS"), "anon": status_kib(pid, "RssAnon"),
            "file": status_kib(pid, "RssFile"), "private": private_kib(pid)}


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(rest[1]) == pid:
            out.append(int(d))
    return sorted(out)


# --- small HTTP helpers -------------------------------------------------------------------

def http_get(port, path, timeout=5.0):
    """One GET on a fresh connection; returns (status, body bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, body


def wait_http(port, path, proc, secs=10.0):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BenchError(f"server on port {port} exited with status {proc.returncode}")
        try:
            if http_get(port, path, timeout=1.0)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise BenchError(f"server on port {port} did not answer {path} within {secs:.0f} s")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def poll_until(what, fn, secs):
    end = time.monotonic() + secs
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise BenchError(f"timeout waiting for {what}")
        time.sleep(0.2)


# --- wrk --------------------------------------------------------------------------------

def parse_wrk(cmd, stdout):
    """The figures of one wrk run from its output (cmd only for messages)."""
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", stdout)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", stdout)
    if not m or not rps:
        raise BenchError(f"cannot parse the output of {shlex.join(cmd)}:\n{stdout}")
    errs = re.search(r"Socket errors: (.*)", stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", stdout)
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
    lat = re.search(r"Latency\s+([\d.]+)(us|ms|s)", stdout)
    lat_ms = float(lat.group(1)) * unit[lat.group(2)] if lat else None
    # Only with --latency: the 99th percentile of the latency distribution.
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", stdout, re.M)
    p99_ms = float(p99.group(1)) * unit[p99.group(2)] if p99 else None
    return {"cmd": shlex.join(cmd), "requests": int(m.group(1)), "rps": float(rps.group(1)),
            "errors": errs.group(1) if errs else None,
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "latency_ms": lat_ms, "p99_ms": p99_ms}


def run_wrk(a, conns, secs, url, latency=False):
    cmd = a.load_prefix + ["wrk", "-t1", f"-c{conns}", f"-d{secs}s"] + (["--latency"] if latency else []) + [url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise BenchError(f"{shlex.join(cmd)} failed: {out.stderr.strip()}")
    return parse_wrk(cmd, out.stdout)


def run_rusage(prefix, cmd, tmp):
    """Runs prefix + cmd (prefix: taskset, nice...) to completion. Returns (exit status,
    stdout + stderr text, user s, system s, peak RSS KiB).
    CPU: wait4() of the whole chain, which is cmd itself once the prefix has exec'ed.
    Peak RSS: why /usr/bin/time and not wait4's ru_maxrss: a child forked from this Python
    process starts with Python's resident pages (~17 MiB) as its high-water mark and keeps
    it through exec, so ru_maxrss would show Python, not cmd. GNU time is small (< 1 MiB)
    and reports its own child's ru_maxrss (= VmHWM at exit), so the figure is cmd's peak
    unless cmd stays below 1 MiB."""
    path = os.path.join(tmp, "run-output.txt")
    rss_path = os.path.join(tmp, "run-maxrss.txt")
    full = prefix + ["/usr/bin/time", "-o", rss_path, "-f", "%M"] + cmd
    with open(path, "w+") as f:
        p = subprocess.Popen(full, stdout=f, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        f.seek(0)
        text = f.read()
    try:
        with open(rss_path) as f:
            rss = int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        raise BenchError(f"no peak RSS from /usr/bin/time for {shlex.join(full)}:\n{text}")
    return p.returncode, text, ru.ru_utime, ru.ru_stime, rss


# --- the servers ------------------------------------------------------------------------

# Where a bench nginx keeps its temporary files (inside its own folder d): the block every
# bench's nginx.conf (a str.format template with d) carries in its http {}.
NGINX_TEMP_PATHS = """\
    client_body_temp_path {d}/tmp;
    proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp;
    uwsgi_temp_path {d}/tmp;
    scgi_temp_path {d}/tmp;
"""

NGINX_CONF = """\
{load_echo}worker_processes 1;
worker_rlimit_nofile {nofile};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections {wconns}; }}
http {{
    access_log off;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
""" + NGINX_TEMP_PATHS + """    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{ default_type text/plain; return 200 "Hello World!"; }}
        location = /nginx_status {{ stub_status; }}
{echo_loc}    }}
}}
"""


# Debian's libnginx-mod-http-echo: `echo_sleep` is nginx's delayed answer (a timer per
# request in the worker's event loop, like msdemo's delays).
NGINX_ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"


def nginx_cmd(d, port, wconns, prefix, delay_s=None):
    """Writes d/nginx.conf (one worker on 127.0.0.1:port, `return 200 "Hello World!"` on /,
    wconns worker_connections; with delay_s also /d20 answering "Hello World!" after
    `echo_sleep delay_s`, from the echo module) and returns the command that runs it in the
    foreground behind prefix (a list, e.g. taskset)."""
    os.makedirs(f"{d}/tmp", exist_ok=True)
    load_echo = echo_loc = ""
    if delay_s is not None:
        load_echo = f"load_module {NGINX_ECHO_MODULE};\n"
        echo_loc = (f"        location = /d20 {{ default_type text/plain; echo_sleep {delay_s};"
                    " echo \"Hello World!\"; }\n")
    with open(f"{d}/nginx.conf", "w") as f:
        f.write(NGINX_CONF.format(d=d, port=port, wconns=wconns, nofile=wconns + 256,
                                  load_echo=load_echo, echo_loc=echo_loc))
    return prefix + ["nginx", "-p", d, "-e", f"{d}/error.log", "-c", f"{d}/nginx.conf",
                     "-g", "daemon off;"]


def per_request(g, n):
    """Adds to the round g (with "usr" and "sys" CPU seconds) its CPU per request in
    microseconds over n requests: "us" (user + system), "usr_us", "sys_us". Returns g."""
    g["us"] = (g["usr"] + g["sys"]) * 1e6 / n
    g["usr_us"], g["sys_us"] = g["usr"] * 1e6 / n, g["sys"] * 1e6 / n
    return g


def errors_text(g):
    """The "  errors N" a round's log line ends with, "" when it had none."""
    return f"  errors {g['errors']}" if g["errors"] else ""


def stop_all(procs):
    """SIGTERM to every still running Popen in procs, then wait (SIGKILL after 15 s)."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def can_rt():
    try:
        return subprocess.run(["chrt", "-f", "1", "true"], capture_output=True).returncode == 0
    except OSError:
        return False




def sched_prefixes(sched, server_cpu, load_cpu):
    """(server prefix, load prefix) for sched "auto" | "rt" | "normal": taskset to the CPU,
    plus `chrt -f 50` for the servers and `nice -n -10` for the load generator under rt
    (auto: rt where permitted). Raises BenchError for rt when chrt is not permitted."""
    rt = sched == "rt" or (sched == "auto" and can_rt())
    if sched == "rt" and not can_rt():
        raise BenchError("--sched rt: chrt -f is not permitted here (needs root or CAP_SYS_NICE)")
    # Why real-time servers: on a shared machine other jobs otherwise delay every wakeup of
    # the server by their time slice, which shows up as late answers and lower rates;
    # SCHED_FIFO lets the server run as soon as its timer or socket is ready.
    server = ["taskset", "-c", str(server_cpu)] + (["chrt", "-f", "50"] if rt else [])
    load = ["taskset", "-c", str(load_cpu)] + (["nice", "-n", "-10"] if rt else [])
    return server, load


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])
