#!/usr/bin/env bash
# ptest's exit codes tell what went wrong (run.h, README "Exit codes"): 2 usage, plan or
# unreadable input; 3 aborted / unreachable; 5 runtime failure: an output that cannot be
# written (the output directory, results.json, an interval log, the JTL, a merged folder, a
# report), the event loop, out of memory. Each runtime path is provoked for real.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

port=$(free_port)
start_msdemo ms "$port" --workers 1
url=http://127.0.0.1:$port/
run() { "$PTEST" run "$url" -d 1s -c 1 -t 1 -q "$@"; }

expect_exit "a plain run exits 0" 0 "" run --out "$TMP/ok"
expect_exit "usage error exits 2" 2 "" "$PTEST" run "$url" --bogus
closed=$(free_port)
expect_exit "unreachable target exits 3" 3 "unreachable" "$PTEST" run "http://127.0.0.1:$closed/" -d 1s -q --out "$TMP/unr"

# --- outputs that cannot be written ---------------------------------------------------
: >"$TMP/afile"
expect_exit "output directory cannot be created: 5" 5 "cannot create output directory" run --out "$TMP/afile/out"
mkdir -p "$TMP/rj/results.json"
expect_exit "results.json cannot be written: 5" 5 "results.json" run --out "$TMP/rj"
check_cmd "... the interval logs were written all the same" test -s "$TMP/rj/total.hlog"
mkdir -p "$TMP/hl/total.hlog"
expect_exit "an interval log cannot be created: 5" 5 "total.hlog" run --out "$TMP/hl"
expect_exit "the JTL file cannot be created: 5" 5 "JTL" run --out "$TMP/jtl" --jtl "$TMP/afile/x.jtl"
expect_exit "merge: unreadable input exits 2" 2 "nonexistent" "$PTEST" merge "$TMP/ok" "$TMP/nonexistent" --out "$TMP/m1" -q
expect_exit "merge: output cannot be created: 5" 5 "cannot create" "$PTEST" merge "$TMP/ok" --out "$TMP/afile/m" -q
expect_exit "report: reports cannot be written: 5" 5 "cannot create" "$PTEST" report "$TMP/ok" --out "$TMP/afile/r" -q
expect_exit "report: unreadable results exit 2" 2 "results.json" "$PTEST" report "$TMP/nonexistent" -q

# --- the event loop and memory --------------------------------------------------------
# Six descriptors: stdio and the start-up probe fit, an event loop (epoll + eventfd) does not.
expect_exit "no event loop (ulimit -n 6): 5" 5 "cannot create an event loop" \
  bash -c 'ulimit -n 6 && exec "$@"' _ "$PTEST" run "$url" -d 1s -c 1 -t 1 -q --out "$TMP/fd"
# 300 labels need ~400 MB of address space for their histograms (measured: the run passes at
# ulimit -v 400000 KiB and fails at 200000); 40 MB is far below, and far above what loading
# the program takes (~6 MB). ASan reserves terabytes of shadow memory: no RLIMIT_AS there.
if grep -q __asan_init "$PTEST" 2>/dev/null; then
  ok "out of memory: skipped (ASan build)"
else
  python3 -c "
print('name: many\nscenarios:\n  - {model: closed, users: 1, iterations: 1, requests: [' +
      ', '.join('{label: L%d, path: /}' % i for i in range(300)) + ']}')" >"$TMP/many.yaml"
  expect_exit "out of memory (ulimit -v 40000): 5" 5 "out of memory" \
    bash -c 'ulimit -v 40000 && exec "$@"' _ "$PTEST" run "$TMP/many.yaml" --target "$url" -t 1 -q --out "$TMP/oom"
fi
finish
