#!/usr/bin/env bash
# ptest_dns.sh - names resolved by ptest's own resolver (lib/dns) the way they are in a
# Kubernetes pod running the FROM scratch image:
#  - a network namespace of its own, a DNS server (tests/integration/dnssrv.py) on
#    127.0.0.1:53 in it, /etc/netns/NS/resolv.conf with a pod's search list and ndots:5;
#  - the STATIC ptest in a chroot holding only what a scratch container has: the binary,
#    and the /etc/resolv.conf and /etc/hosts the runtime mounts (plus /proc);
#  - a short name resolves through the search list (queries in glibc's order); both A
#    records are used (msdemo on 127.0.0.1 and 127.0.0.2, both count requests in
#    /metrics); a truncated UDP answer is asked again over TCP; NXDOMAIN is one clear line
#    and exit 3; a silent nameserver fails within resolv.conf's timeout x attempts and
#    within the plan's connect_timeout; no nameserver at all fails at once;
#  - the dynamic build resolves the same way (one resolver in every build);
#  - renewal: a name whose answer changes mid-run (127.0.0.1,.2 -> .1,.3) moves the load
#    after dns.ttl: the new address gets traffic, the dropped one none after the change;
#    --resolve pins a name to an address without any query for it.
# Needs root (ip netns, mount, chroot); skips otherwise.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "skip: ptest_dns needs root (ip netns add, mount --bind, chroot)"
  finish
  exit 0
fi

# The static ptest: $PTEST_STATIC, else built next to BUILD (build/ -> build/static, as
# `make STATIC=1`; any other BUILD -> BUILD-static).
if [ -z "${PTEST_STATIC:-}" ]; then
  if [ "$BUILD" = "$ROOT/build" ]; then sbuild=$ROOT/build/static; else sbuild=$BUILD-static; fi
  (cd "$ROOT" && env -u BUILD make --no-print-directory -s STATIC=1 BUILD="$sbuild" "$sbuild/ptest" >/dev/null 2>&1) || {
    echo "cannot build the static ptest into $sbuild" >&2; exit 1; }
  PTEST_STATIC=$sbuild/ptest
fi
if readelf -l "$PTEST_STATIC" | grep -q 'program interpreter'; then
  echo "$PTEST_STATIC is not a static binary" >&2
  exit 1
fi

NS=ptdns$$
ip netns add "$NS"
dns_cleanup() {
  cleanup_status=$?
  ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null || true
  sleep 0.2
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "/etc/netns/$NS"
  cleanup
  exit $cleanup_status
}
trap dns_cleanup EXIT
inns() { ip netns exec "$NS" "$@"; }
inns ip link set lo up
mkdir -p "/etc/netns/$NS"

resolv() { # NAMESERVER OPTIONS
  printf 'search demo-pt.svc.cluster.local svc.cluster.local cluster.local\nnameserver %s\noptions %s\n' \
    "$1" "$2" >"/etc/netns/$NS/resolv.conf"
}
resolv 127.0.0.1 "ndots:5"

# The scratch container's root file system.
R=$TMP/rootfs
mkdir -p "$R/etc" "$R/out" "$R/proc"
cp "$PTEST_STATIC" "$R/ptest"
: >"$R/etc/resolv.conf"
cat >"$R/etc/hosts" <<'EOF'
# Kubernetes-managed hosts file.
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
10.244.1.7	ptest-job-x7k2p
EOF
# scratch_ptest ARGS...: the static ptest in the chroot, in the namespace, with the
# namespace's resolv.conf mounted where a container runtime mounts the pod's.
scratch_ptest() {
  inns sh -c 'mount --bind /etc/resolv.conf "$0/etc/resolv.conf" && mount -t proc proc "$0/proc" &&
              exec chroot "$0" /ptest "$@"' "$R" "$@"
}

sz=big.demo-pt.svc.cluster.local
inns python3 "$ROOT/tests/integration/dnssrv.py" 127.0.0.1:53 --silent 127.0.0.3:53 \
  --zone msdemo.demo-pt.svc.cluster.local=127.0.0.1,127.0.0.2 --zone $sz=127.0.0.1,127.0.0.2 \
  --truncate $sz --log "$TMP/dns.log" --zones-file "$TMP/zones" >"$TMP/dnssrv.out" 2>&1 &
PIDS+=($!)
for a in 127.0.0.1 127.0.0.2 127.0.0.3; do
  inns "$BUILD/msdemo" --listen "$a:8080" --workers 1 >"$TMP/msdemo-$a.log" 2>&1 &
  PIDS+=($!)
done
for ((i = 0; i < 100; i++)); do
  grep -q ready "$TMP/dnssrv.out" 2>/dev/null &&
    inns curl -s -o /dev/null http://127.0.0.1:8080/healthz &&
    inns curl -s -o /dev/null http://127.0.0.2:8080/healthz && break
  sleep 0.1
done
check_cmd "DNS server and two msdemo up in the namespace" \
  inns curl -s -o /dev/null http://127.0.0.2:8080/healthz

served() { # ADDR: requests msdemo at ADDR answered on /
  inns curl -s "http://$1:8080/metrics" |
    awk '/^msdemo_requests_total\{/ && /path="\/"/ && /code="200"/ {s += $2} END {print s + 0}'
}

# 1. A short name through the search list, both addresses used.
: >"$TMP/dns.log"
rc=0
scratch_ptest run http://msdemo.demo-pt.svc:8080/ -c 8 -t 2 -d 2s --out /out/short --quiet \
  >"$TMP/short.out" 2>"$TMP/short.err" || rc=$?
check_eq "static ptest in a scratch chroot: msdemo.demo-pt.svc runs (exit 0)" 0 "$rc"
[ "$rc" -eq 0 ] || cat "$TMP/short.err"
check_eq "queries in glibc's search order (ndots:5: search domains first)" \
  "msdemo.demo-pt.svc.demo-pt.svc.cluster.local msdemo.demo-pt.svc.svc.cluster.local msdemo.demo-pt.svc.cluster.local" \
  "$(awk '$2 == "A" {print $1}' "$TMP/dns.log" | awk '!seen[$0]++' | head -3 | xargs)"
addr=$(json_get "$R/out/short/results.json" 'd["environment"]["target_address"]')
check_eq "results.json names both addresses" "127.0.0.1:8080, 127.0.0.2:8080" "$addr"
n1=$(served 127.0.0.1)
n2=$(served 127.0.0.2)
check_cmd "both A records used: 127.0.0.1 served $n1, 127.0.0.2 served $n2" test "$n1" -gt 0 -a "$n2" -gt 0
check_cmd "connections spread evenly (8 connections, 4 each: within a factor 3)" \
  python3 -c "import sys; a, b = int(sys.argv[1]), int(sys.argv[2]); sys.exit(0 if max(a, b) <= 3 * min(a, b) else 1)" "$n1" "$n2"

# 2. A truncated UDP answer: asked again over TCP.
: >"$TMP/dns.log"
rc=0
scratch_ptest run http://big:8080/ -c 2 -d 1s --out /out/big --quiet >"$TMP/big.out" 2>"$TMP/big.err" || rc=$?
check_eq "truncated answer: run succeeds (exit 0)" 0 "$rc"
check_cmd "truncated answer: the A query went again over TCP" grep -q "^$sz A tcp" "$TMP/dns.log"
check_cmd "truncated answer: first over UDP" grep -q "^$sz A udp" "$TMP/dns.log"

# 3. NXDOMAIN: one clear line, exit 3.
rc=0
scratch_ptest run http://nosuch.demo-pt.svc:8080/ -d 1s --out /out/nx --quiet >"$TMP/nx.out" 2>"$TMP/nx.err" || rc=$?
check_eq "NXDOMAIN: exit 3" 3 "$rc"
check_eq "NXDOMAIN: one line on stderr" 1 "$(wc -l <"$TMP/nx.err")"
check_cmd "NXDOMAIN: the line says so and names the tries: $(cat "$TMP/nx.err")" \
  grep -q "nosuch.demo-pt.svc: no such name (NXDOMAIN); tried nosuch.demo-pt.svc.demo-pt.svc.cluster.local, .*, nosuch.demo-pt.svc$" "$TMP/nx.err"

# 4. A nameserver that never answers: bounded by timeout x attempts ...
resolv 127.0.0.3 "ndots:5 timeout:1 attempts:2"
rc=0
t0=$(date +%s%N)
scratch_ptest run http://msdemo.demo-pt.svc:8080/ -d 1s --out /out/silent --quiet >/dev/null 2>"$TMP/silent.err" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "silent nameserver: exit 3" 3 "$rc"
check_cmd "silent nameserver: fails after about 2 s (timeout:1 attempts:2), took $ms ms" test "$ms" -ge 1800 -a "$ms" -lt 4000
check_cmd "silent nameserver: $(cat "$TMP/silent.err")" grep -q "no answer from 127.0.0.3 within 2 s" "$TMP/silent.err"
# ... and by the plan's connect_timeout when that is shorter.
resolv 127.0.0.3 "ndots:5 timeout:5 attempts:2"
cat >"$R/out/plan.yaml" <<'EOF'
target: http://msdemo.demo-pt.svc:8080
settings: {connect_timeout: 1s}
scenarios:
  - {name: u, users: 1, hold_for: 1s, requests: [{path: /}]}
EOF
rc=0
t0=$(date +%s%N)
scratch_ptest run /out/plan.yaml --out /out/bounded --quiet >/dev/null 2>"$TMP/bounded.err" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "connect_timeout 1s bounds the lookup: exit 3" 3 "$rc"
check_cmd "connect_timeout 1s bounds the lookup: took $ms ms" test "$ms" -ge 900 -a "$ms" -lt 2500
check_cmd "connect_timeout 1s: $(cat "$TMP/bounded.err")" grep -q "no answer from 127.0.0.3 within 1 s" "$TMP/bounded.err"

# 5. Nothing listening on the nameserver's port: an immediate, clear failure.
resolv 127.0.0.4 "ndots:5"
rc=0
t0=$(date +%s%N)
scratch_ptest run http://msdemo.demo-pt.svc:8080/ -d 1s --out /out/gone --quiet >/dev/null 2>"$TMP/gone.err" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "no nameserver: exit 3" 3 "$rc"
check_cmd "no nameserver: fast ($ms ms): $(cat "$TMP/gone.err")" \
  sh -c "[ $ms -lt 1000 ] && grep -q 'no nameserver reachable: 127.0.0.4 (Connection refused)' '$TMP/gone.err'"

# 6. The dynamic build takes the same path (the namespace's resolv.conf, the host's hosts).
resolv 127.0.0.1 "ndots:5"
rc=0
inns "$BUILD/ptest" run http://msdemo:8080/ -c 2 -d 1s --out "$TMP/dyn" --quiet >/dev/null 2>"$TMP/dyn.err" || rc=$?
check_eq "dynamic ptest resolves msdemo through the search list (exit 0)" 0 "$rc"
check_eq "dynamic ptest: both addresses" "127.0.0.1:8080, 127.0.0.2:8080" \
  "$(json_get "$TMP/dyn/results.json" 'd["environment"]["target_address"]')"

# 7. Renewal: the answer changes mid-run; after the ttl the load follows it.
rn=renew.demo-pt.svc.cluster.local
zones() { echo "$rn=$1" >"$TMP/zones.new" && mv "$TMP/zones.new" "$TMP/zones"; }
zones 127.0.0.1,127.0.0.2
b1=$(served 127.0.0.1) b2=$(served 127.0.0.2) b3=$(served 127.0.0.3)
rc=0
scratch_ptest run "http://$rn:8080/" -c 4 -t 1 -d 6s --dns-ttl 500ms --out /out/renew --quiet \
  >"$TMP/renew.out" 2>"$TMP/renew.err" &
rpid=$!
sleep 2
zones 127.0.0.1,127.0.0.3
sleep 2.5 # the change is seen within ttl (0.5 s) + a lookup + the probe of .3
m2=$(served 127.0.0.2)
wait "$rpid" || rc=$?
check_eq "renewal: run succeeds (exit 0)" 0 "$rc"
[ "$rc" -eq 0 ] || cat "$TMP/renew.err"
e1=$(( $(served 127.0.0.1) - b1 )) e2=$(( $(served 127.0.0.2) - b2 )) e3=$(( $(served 127.0.0.3) - b3 ))
check_cmd "renewal: the old addresses served before the change (.1 $e1, .2 $e2)" test "$e1" -gt 0 -a "$e2" -gt 0
check_cmd "renewal: the new address 127.0.0.3 got traffic after the change ($e3)" test "$e3" -gt 0
check_eq "renewal: the dropped 127.0.0.2 got nothing more 2.5 s after the change" "$m2" "$(served 127.0.0.2)"
check_eq "renewal: results.json environment.dns" "False 1 0 127.0.0.1:8080, 127.0.0.3:8080" \
  "$(json_get "$R/out/renew/results.json" \
    '" ".join(str(x) for x in (d["environment"]["dns"]["pinned"], d["environment"]["dns"]["changes"], d["environment"]["dns"]["failures"], d["environment"]["dns"]["final_addresses"]))')"
check_cmd "renewal: the change is logged on stderr" grep -q "dns: $rn now 127.0.0.1:8080, 127.0.0.3:8080" "$TMP/renew.err"
check_eq "renewal: no request failed" 0 "$(json_get "$R/out/renew/results.json" 'd["total"]["errors"]')"

# 8. --resolve pins the name: no query for it, only the given address loaded.
: >"$TMP/dns.log"
b3=$(served 127.0.0.3) b1=$(served 127.0.0.1)
rc=0
scratch_ptest run "http://pinned.example:8080/" --resolve pinned.example:8080:127.0.0.3 -c 2 -d 1s \
  --out /out/pinned --quiet >/dev/null 2>"$TMP/pinned.err" || rc=$?
check_eq "--resolve: run succeeds (exit 0)" 0 "$rc"
check_cmd "--resolve: no query for the pinned name" sh -c "! grep -q pinned.example '$TMP/dns.log'"
check_cmd "--resolve: 127.0.0.3 served it, 127.0.0.1 nothing" \
  test "$(( $(served 127.0.0.3) - b3 ))" -gt 0 -a "$(served 127.0.0.1)" -eq "$b1"
check_eq "--resolve: results.json environment.dns.pinned" True \
  "$(json_get "$R/out/pinned/results.json" 'd["environment"]["dns"]["pinned"]')"

finish
