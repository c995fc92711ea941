#!/usr/bin/env python3
"""podstats.py sample FILE | summary FILE - the kubelets' own resource figures for pods.

sample: every second until killed, appends one JSON line per node with the pods of the
demo-pt namespace from the kubelet's /stats/summary (read through the API server's node
proxy with the host's KUBECONFIG): CPU in nanocores, memory working set and RSS in bytes.
summary: per pod group (msdemo, ptest worker, collector), the peak working set and RSS
and the mean and peak CPU while the group ran, one line each.
"""
import json
import subprocess
import sys
import time


def kubectl(*args):
    return subprocess.run(["kubectl", *args], check=True, capture_output=True, text=True).stdout


def sample(path):
    with open(path, "a") as out:
        while True:
            try:
                nodes = kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").split()
                for n in nodes:
                    s = json.loads(kubectl("get", "--raw", "/api/v1/nodes/%s/proxy/stats/summary" % n))
                    pods = []
                    for p in s.get("pods", []):
                        ref = p["podRef"]
                        if ref["namespace"] != "demo-pt":
                            continue
                        # Pod-level figures, else the sum of its containers' (the kubelet
                        # fills either first, depending on its housekeeping cycle).
                        conts = p.get("containers") or []
                        def pick(sect, key):
                            v = (p.get(sect) or {}).get(key)
                            if v is None:
                                vs = [(c.get(sect) or {}).get(key) for c in conts]
                                vs = [x for x in vs if x is not None]
                                v = sum(vs) if vs else None
                            return v
                        pods.append({"pod": ref["name"], "cpu_nanocores": pick("cpu", "usageNanoCores"),
                                     "working_set": pick("memory", "workingSetBytes"),
                                     "rss": pick("memory", "rssBytes")})
                    out.write(json.dumps({"t": time.time(), "node": n, "pods": pods}) + "\n")
                    out.flush()
            except (subprocess.CalledProcessError, ValueError):
                pass
            time.sleep(1)


def group(pod):
    if pod.startswith("ptest-collect-"):
        return "collector (ptest collect)"
    if pod.startswith("ptest-"):
        return "ptest worker"
    if pod.startswith("msdemo-"):
        return "msdemo replica"
    return None


def summary(path):
    agg = {}
    for line in open(path):
        rec = json.loads(line)
        for p in rec["pods"]:
            g = group(p["pod"])
            if g is None:
                continue
            a = agg.setdefault(g, {"pods": set(), "cpu": [], "ws": None, "rss": None, "n": 0})
            a["pods"].add(p["pod"])
            if p["cpu_nanocores"] is not None:
                a["cpu"].append(p["cpu_nanocores"])
            for k, src in (("ws", "working_set"), ("rss", "rss")):
                if p[src]:
                    a[k] = max(a[k] or 0, p[src])
                    a["n"] += k == "ws"
    if not agg:
        sys.exit("podstats: no samples of demo-pt pods in " + path)
    print("%-26s %5s %7s %10s %10s %12s %12s" % ("per pod", "pods", "samples", "cpu mean", "cpu peak", "wset peak", "rss peak"))
    bad = False
    for g, a in sorted(agg.items()):
        c = [x for x in a["cpu"] if x] or [0]
        mib = lambda v: "%9.1f MiB" % (v / 2**20) if v else "      n/a    "
        print("%-26s %5d %7d %8.0fm %8.0fm %s %s" % (
            g, len(a["pods"]), a["n"], sum(c) / len(c) / 1e6, max(c) / 1e6, mib(a["ws"]), mib(a["rss"])))
        bad = bad or not a["ws"]
    if bad:
        # Not a failure: the kubelet refreshes pod figures every ~10 s, a short-lived pod may
        # fall between two refreshes. Said, so that a missing figure is never read as 0.
        print("note: no kubelet figure for some group in this run (n/a): it lived between two refreshes")


if __name__ == "__main__":
    {"sample": sample, "summary": summary}[sys.argv[1]](sys.argv[2])
