#!/usr/bin/env bash
# Several targets in one plan: a scenario and a request may name their own `target`, so one
# plan tests a service and its dependency side by side. Against two real msdemo instances:
#  - every label's count in results.json equals what the msdemo it names served for its
#    path (msdemo_requests_total), and the other instance saw none of it;
#  - a request's target wins over its scenario's, a scenario's over the plan's; a plan
#    without a target of its own runs when every scenario names one;
#  - results.json lists the other targets with their addresses; https and http mix;
#  - a bad target URL is a plan error with file:line:col (exit 2); an unreachable second
#    target exits 3 naming it, before any load.
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"

p1=$(free_port)
start_msdemo svc "$p1" --workers 1
p2=$(free_port)
start_msdemo dep "$p2" --workers 1

served() { # PORT PATH: 200s msdemo on PORT answered for PATH
  curl -s "http://127.0.0.1:$1/metrics" |
    awk -v p="path=\"$2\"" '/^msdemo_requests_total\{/ && index($0, p) && /code="200"/ {s += $2} END {print s + 0}'
}

cat >"$TMP/plan.yaml" <<YAML
target: http://127.0.0.1:$p1
scenarios:
  - name: journey
    users: 3
    iterations: 20
    order: sequence
    requests:
      - {label: svc-A, path: /A}
      - {label: dep-B, path: /B, target: "http://localhost:$p2"}
  - name: dependency
    target: http://localhost:$p2
    users: 2
    iterations: 15
    requests:
      - {label: dep-C, path: /C}
      - {label: svc-D, path: /D, target: "http://127.0.0.1:$p1"}
YAML
rc=0
"$PTEST" run "$TMP/plan.yaml" --out "$TMP/r" --quiet >"$TMP/out.txt" 2>"$TMP/err.txt" || rc=$?
check_eq "two targets: exit 0" 0 "$rc"
[ "$rc" -eq 0 ] || cat "$TMP/err.txt"
count() { json_get "$TMP/r/results.json" "d['labels']['$1']['count']"; }
check_eq "svc-A: 3 users x 20 iterations, all on the plan's target" "60 60 0" \
  "$(count svc-A) $(served "$p1" /A) $(served "$p2" /A)"
check_eq "dep-B: the request's own target (the dependency)" "60 0 60" \
  "$(count dep-B) $(served "$p1" /B) $(served "$p2" /B)"
check_eq "dep-C: the scenario's target" "$(count dep-C) 0" "$(served "$p2" /C) $(served "$p1" /C)"
check_eq "svc-D: a request's target over its scenario's" "$(count svc-D) 0" "$(served "$p1" /D) $(served "$p2" /D)"
check_eq "dependency scenario: 2 users x 15 iterations" 30 "$(( $(count dep-C) + $(count svc-D) ))"
check_eq "no errors" 0 "$(json_get "$TMP/r/results.json" "d['total']['errors']")"
# A request that writes the plan's URL again is a target of its own (by its text): listed too.
check_eq "environment: the plan's address and the other targets'" \
  "127.0.0.1:$p1 http://localhost:$p2 127.0.0.1:$p2 http://127.0.0.1:$p1 127.0.0.1:$p1" \
  "$(json_get "$TMP/r/results.json" "' '.join([d['environment']['target_address']] + [x for t in d['environment']['targets'] for x in (t['target'], t['address'])])")"
check_eq "plan echo: scenario and request targets" \
  "None http://localhost:$p2 | http://localhost:$p2 http://127.0.0.1:$p1" \
  "$(json_get "$TMP/r/results.json" "' | '.join(' '.join(str(r.get('target')) for r in s['requests']) for s in d['plan']['scenarios'])")"

# A plan without a target of its own.
cat >"$TMP/own-less.yaml" <<YAML
scenarios:
  - {target: "http://127.0.0.1:$p2", users: 1, iterations: 5, requests: [{label: E5, path: /E}]}
YAML
before=$(served "$p2" /E)
expect_exit "no plan target, every scenario names one: exit 0" 0 "" \
  "$PTEST" run "$TMP/own-less.yaml" --out "$TMP/r2" --quiet
check_eq "  ... its 5 requests reached the scenario's target" 5 "$(( $(served "$p2" /E) - before ))"

# Errors.
cat >"$TMP/bad.yaml" <<YAML
target: http://127.0.0.1:$p1
scenarios:
  - {users: 1, iterations: 1, requests: [{path: /, target: "ftp://x"}]}
YAML
expect_exit "a bad request target: exit 2 with file:line:col" 2 "bad.yaml:3:60: unsupported URL scheme" \
  "$PTEST" run "$TMP/bad.yaml" --out "$TMP/r3" --quiet
dead=$(free_port)
cat >"$TMP/dead.yaml" <<YAML
target: http://127.0.0.1:$p1
scenarios:
  - {users: 1, iterations: 1, requests: [{path: /}, {path: /x, target: "http://127.0.0.1:$dead"}]}
YAML
before=$(served "$p1" /)
expect_exit "an unreachable second target: exit 3 naming it" 3 "target http://127.0.0.1:$dead unreachable" \
  "$PTEST" run "$TMP/dead.yaml" --out "$TMP/r4" --quiet
check_eq "  ... before any load" "$before" "$(served "$p1" /)"

finish
