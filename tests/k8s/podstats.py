#!/usr/bin/env python3
"""podstats.py sample FILE | summary FILE - the kubelets' own resource figures for pods.

sample: every 2 s until killed, appends one JSON line per node with the pods of the
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
                        cpu = (p.get("cpu") or {}).get("usageNanoCores")
                        mem = p.get("memory") or {}
                        pods.append({"pod": ref["name"], "cpu_nanocores": cpu,
                                     "working_set": mem.get("workingSetBytes"), "rss": mem.get("rssBytes")})
                    out.write(json.dumps({"t": time.time(), "node": n, "pods": pods}) + "\n")
                    out.flush()
            except (subprocess.CalledProcessError, ValueError):
                pass
            time.sleep(2)


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
            a = agg.setdefault(g, {"pods": set(), "cpu": [], "ws": 0, "rss": 0})
            a["pods"].add(p["pod"])
            if p["cpu_nanocores"] is not None:
                a["cpu"].append(p["cpu_nanocores"])
            a["ws"] = max(a["ws"], p["working_set"] or 0)
            a["rss"] = max(a["rss"], p["rss"] or 0)
    if not agg:
        sys.exit("podstats: no samples of demo-pt pods in " + path)
    print("%-26s %5s %10s %10s %12s %12s" % ("per pod", "pods", "cpu mean", "cpu peak", "wset peak", "rss peak"))
    for g, a in sorted(agg.items()):
        c = a["cpu"] or [0]
        print("%-26s %5d %8.0fm %8.0fm %9.1f MiB %9.1f MiB" % (
            g, len(a["pods"]), sum(c) / len(c) / 1e6, max(c) / 1e6, a["ws"] / 2**20, a["rss"] / 2**20))


if __name__ == "__main__":
    {"sample": sample, "summary": summary}[sys.argv[1]](sys.argv[2])
