#!/usr/bin/env bash
# jmeter.sh [--plan FILE.jmx] [--rounds N] [-J name=value]...
#
# Side-by-side benchmark, not a test: Debian's JMeter (2.13) and ptest run the same JMeter
# plan (default examples/ms-demo.jmx: two thread groups, 10 threads x 10 loops each, 10 s
# ramp-up) against one msdemo (built-in delays). Prints, for each tool, the requests per
# label (from its own results and from msdemo's /metrics) and the tool's CPU time (user +
# system) and peak RSS (/usr/bin/time -v), best of N rounds. Exits 0 whatever the figures;
# 1 when it cannot run (missing tool, no build) or when the counts differ.
#
# Bookworm's jmeter cannot load any plan as shipped: libxstream-java >= 1.4.18 denies every
# type unless allowed, and JMeter 2.13 never allows any. This script starts JMeter through a
# 20-line launcher (compiled with javac into a temporary directory) that loads JMeter's
# properties, opens SaveService's XStream allow-list to org.apache.jmeter.**,
# org.apache.jorphan.** and java.**, then calls JMeter's own NewDriver.main. Nothing is
# installed or changed on the system.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/scripts/lib/net.sh"
BUILD=${BUILD:-$ROOT/build}
PLAN=$ROOT/examples/ms-demo.jmx
ROUNDS=1
JPROPS=()
while [ $# -gt 0 ]; do
  case $1 in
    --plan) PLAN=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -J) JPROPS+=("-J$2"); shift 2 ;;
    -J*) JPROPS+=("$1"); shift ;;
    -h|--help) sed -n '2,/^set /p' "$0" | sed -e '/^set /d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/jmeter: unknown option $1 (--help)" >&2; exit 1 ;;
  esac
done

JMETER_HOME=${JMETER_HOME:-/usr/share/jmeter}
missing=0
if [ ! -f "$JMETER_HOME/bin/ApacheJMeter.jar" ] || [ ! -f "$JMETER_HOME/lib/ext/ApacheJMeter_http.jar" ]; then
  echo "bench/jmeter: JMeter not found in $JMETER_HOME: apt-get install jmeter jmeter-http" >&2
  missing=1
fi
for t in javac:default-jdk-headless java:default-jre-headless python3:python3 curl:curl; do
  if ! command -v "${t%%:*}" >/dev/null 2>&1; then
    echo "bench/jmeter: '${t%%:*}' not found: apt-get install ${t#*:}" >&2
    missing=1
  fi
done
if [ ! -x /usr/bin/time ]; then
  echo "bench/jmeter: /usr/bin/time not found: apt-get install time" >&2
  missing=1
fi
[ "$missing" = 0 ] || exit 1
for b in ptest msdemo; do
  [ -x "$BUILD/$b" ] || { echo "bench/jmeter: $BUILD/$b not found: run make first" >&2; exit 1; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-jmeter.XXXXXX")
MSPID=
cleanup() {
  [ -n "$MSPID" ] && kill "$MSPID" 2>/dev/null && wait "$MSPID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

cat >"$TMP/JMeterOpen.java" <<'JAVA'
// Runs JMeter 2.13 with SaveService's XStream allow-list opened (see bench/jmeter.sh).
public class JMeterOpen {
    public static void main(String[] args) throws Exception {
        Class<?> nd = Class.forName("org.apache.jmeter.NewDriver");
        java.lang.reflect.Field lf = nd.getDeclaredField("loader");
        lf.setAccessible(true);
        ClassLoader loader = (ClassLoader) lf.get(null);
        String home = System.getProperty("jmeter.home");
        Class<?> ju = Class.forName("org.apache.jmeter.util.JMeterUtils", true, loader);
        ju.getMethod("setJMeterHome", String.class).invoke(null, home);
        ju.getMethod("loadJMeterProperties", String.class).invoke(null, home + "/bin/jmeter.properties");
        Class<?> ss = Class.forName("org.apache.jmeter.save.SaveService", true, loader);
        String[] allow = {"org.apache.jmeter.**", "org.apache.jorphan.**", "java.**"};
        for (String name : new String[] {"JMXSAVER", "JTLSAVER"}) {
            java.lang.reflect.Field f = ss.getDeclaredField(name);
            f.setAccessible(true);
            Object x = f.get(null);
            x.getClass().getMethod("allowTypesByWildcard", String[].class).invoke(x, (Object) allow);
        }
        nd.getMethod("main", String[].class).invoke(null, (Object) args);
    }
}
JAVA
javac -cp "$JMETER_HOME/bin/ApacheJMeter.jar" -d "$TMP" "$TMP/JMeterOpen.java"

port=$(net_free_port)
"$BUILD/msdemo" --listen "127.0.0.1:$port" >"$TMP/msdemo.log" 2>&1 &
MSPID=$!
net_wait_url "http://127.0.0.1:$port/healthz" 5 || { echo "bench/jmeter: msdemo did not start:" >&2; cat "$TMP/msdemo.log" >&2; exit 1; }
METRICS=http://127.0.0.1:$port/metrics

# measure NAME CMD...: runs CMD under /usr/bin/time -v; prints "cpu_s rss_kib".
measure() {
  local name=$1; shift
  /usr/bin/time -v -o "$TMP/$name.time" "$@" >"$TMP/$name.out" 2>&1 || {
    echo "bench/jmeter: $name failed:" >&2; tail -20 "$TMP/$name.out" >&2; exit 1; }
  awk -F': ' '/User time/{u=$2} /System time/{s=$2} /Maximum resident/{r=$2} END{printf "%.2f %d\n", u+s, r}' "$TMP/$name.time"
}

summary=$TMP/summary.txt
: >"$summary"
for round in $(seq "$ROUNDS"); do
  curl -s "$METRICS" >"$TMP/m0.txt"
  read -r p_cpu p_rss < <(measure ptest "$BUILD/ptest" run "$PLAN" -Jhost=127.0.0.1 -Jport="$port" "${JPROPS[@]}" \
    --out "$TMP/ptest-out" --jtl "$TMP/ptest.jtl" --quiet)
  curl -s "$METRICS" >"$TMP/m1.txt"
  rm -f "$TMP/jmeter.jtl"
  read -r j_cpu j_rss < <(measure jmeter java -cp "$TMP:$JMETER_HOME/bin/ApacheJMeter.jar" -Djmeter.home="$JMETER_HOME" \
    JMeterOpen -n -t "$PLAN" -Jhost=127.0.0.1 -Jport="$port" "${JPROPS[@]}" -l "$TMP/jmeter.jtl" -j "$TMP/jmeter.log")
  curl -s "$METRICS" >"$TMP/m2.txt"
  echo "$round $p_cpu $p_rss $j_cpu $j_rss" >>"$summary"
done

python3 - "$TMP" "$summary" "$PLAN" <<'PY'
import csv, json, re, sys
tmp, summary, plan = sys.argv[1:4]

def served(path):
    m = {}
    for line in open(path):
        mm = re.match(r'^msdemo_requests_total\{([^}]*)\}\s+(\S+)$', line.strip())
        if mm:
            l = dict(re.findall(r'(\w+)="([^"]*)"', mm.group(1)))
            m[l["path"]] = m.get(l["path"], 0) + float(mm.group(2))
    return m

m0, m1, m2 = (served(f"{tmp}/m{i}.txt") for i in range(3))
p = {k: v["count"] for k, v in json.load(open(f"{tmp}/ptest-out/results.json"))["labels"].items()}
j = {}
for row in csv.reader(open(f"{tmp}/jmeter.jtl")):
    if row and row[0].isdigit():
        j[row[2]] = j.get(row[2], 0) + 1
labels = sorted(set(p) | set(j))
print(f"plan {plan}")
print(f"{'label':<12}{'ptest':>8}{'served':>8}{'jmeter':>8}{'served':>8}")
same = True
for l in labels:
    sp = int(m1.get(l, 0) - m0.get(l, 0))
    sj = int(m2.get(l, 0) - m1.get(l, 0))
    print(f"{l:<12}{p.get(l, 0):>8}{sp:>8}{j.get(l, 0):>8}{sj:>8}")
    same = same and p.get(l, 0) == j.get(l, 0) == sp == sj
rows = [list(map(float, line.split())) for line in open(summary)]
best = lambda col: min(r[col] for r in rows)
print(f"{'':<12}{'CPU s':>10}{'peak RSS':>12}   (best of {len(rows)})")
print(f"{'ptest':<12}{best(1):>10.2f}{best(2) / 1024:>9.1f} MiB")
print(f"{'jmeter':<12}{best(3):>10.2f}{best(4) / 1024:>9.1f} MiB")
print("counts per label: " + ("identical" if same else "DIFFER"))
sys.exit(0 if same else 1)
PY
