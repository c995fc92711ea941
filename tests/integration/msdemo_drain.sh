#!/usr/bin/env bash
# SIGTERM drains: /readyz turns 503, listening stops after the grace period, every request
# already received completes with its full response, exit 0 within drain_timeout.
# san: yes
source "$(dirname "$0")/lib.sh"

cat >"$TMP/drain.yaml" <<'YAML'
workers: 2
drain_grace: 700ms
drain_timeout: 5s
endpoints:
  - {path: /slow, body: "slow but complete", delay: {dist: constant, mean: 1500ms}}
YAML
port=$(free_port)
start_msdemo drain "$port" --config "$TMP/drain.yaml"
base=http://127.0.0.1:$port

# 1. Slow requests in flight when SIGTERM arrives.
for i in $(seq 1 20); do
  curl -s -w '|%{http_code}' "$base/slow" >"$TMP/slow.$i" 2>&1 &
  PIDS+=($!)
done
sleep 0.4
t0=$(date +%s%N)
kill -TERM "$MSDEMO_PID"
sleep 0.2
check_eq "/readyz is 503 during the grace period" "503" "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")"
check_eq "still serving new requests during the grace period" "200" "$(curl -s -o /dev/null -w '%{http_code}' "$base/")"
set +e
wait "$MSDEMO_PID"; rc=$?
set -e
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "exit code after drain" "0" "$rc"
check_cmd "drain finished within drain_timeout ($ms ms)" test "$ms" -lt 5000
done_ok=0
for i in $(seq 1 20); do
  wait "${PIDS[$i]}" 2>/dev/null || true
  [ "$(cat "$TMP/slow.$i")" = "slow but complete|200" ] && done_ok=$((done_ok + 1))
done
check_eq "every in-flight request completed with its full body" "20" "$done_ok"
check_cmd "listening stopped after the drain" sh -c "! curl -s --max-time 1 -o /dev/null '$base/'"
check_cmd "the drain is logged" grep -q '"msg":"stopped"' "$TMP/drain.log"

# 2. SIGTERM during a keep-alive load: no response is ever cut short.
port=$(free_port)
start_msdemo drain2 "$port" --config "$TMP/drain.yaml"
python3 - "$port" "$MSDEMO_PID" >"$TMP/load.out" <<'PY'
import os, re, signal, socket, sys, threading, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
stats = {"complete": 0, "partial": 0, "closed_idle": 0, "refused": 0}
lock = threading.Lock()
stop = time.time() + 4.0

def count(k):
    with lock:
        stats[k] += 1

def client(path):
    while time.time() < stop:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            count("refused"); time.sleep(0.05); continue
        f = s.makefile("rb")
        while time.time() < stop:
            try:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
                line = f.readline()
            except OSError:
                line = b""
            if not line:
                count("closed_idle"); break      # closed before our request was read
            hdrs = {}
            while True:
                h = f.readline()
                if h in (b"\r\n", b""):
                    break
                k, _, v = h.decode().partition(":")
                hdrs[k.strip().lower()] = v.strip()
            n = int(hdrs.get("content-length", "-1"))
            body = f.read(n) if n >= 0 else b""
            if not line.startswith(b"HTTP/1.1 200") or len(body) != n:
                count("partial"); break
            count("complete")
            if hdrs.get("connection", "").lower() == "close":
                break
        s.close()

ts = [threading.Thread(target=client, args=(p,)) for p in ["/", "/A", "/B", "/slow"] * 4]
for t in ts: t.start()
time.sleep(1.0)
os.kill(pid, signal.SIGTERM)
for t in ts: t.join()
print(stats["complete"], stats["partial"])
PY
set +e
wait "$MSDEMO_PID"; rc=$?
set -e
read -r complete partial <"$TMP/load.out"
check_eq "exit code after a drain under load" "0" "$rc"
check_eq "no response cut short under load" "0" "$partial"
check_cmd "requests completed under load ($complete)" test "$complete" -gt 100
finish
