#!/usr/bin/env bash
# User journeys (issue 12, data and correlation): a login/token/API server written for this
# test (journey_srv.py) answers /api/me only when a user's flow is right: the CSV row's user
# and password at /login, then the token taken from the JSON answer (json extraction), the
# csrf from its body (regex), the X-Request-Id header (header extraction) and the session
# cookie (the jar, on by default in order: sequence). Checked:
#  - sequential data: zero failed checks; every row logged in and called the API exactly
#    users x iterations / rows times;
#  - cookies: false breaks the flow (the server counts "cookie"), proving the jar works;
#  - unique data: every row used once, never twice; the users stop when rows run out and
#    results.json says how many (data_exhausted_users), the summary warns;
#  - --share 0/2 and 1/2 in two processes at once: each takes rows r % 2 == I, the union
#    covers every row exactly once;
#  - a failed extraction (the server leaves the token out for one user) is its own kind,
#    "extraction", on the login label;
#  - JSON-lines data, random mode; -e and PTEST_VAR_ set the plan's constants;
#  - a broken data file is a plan error naming file:line:col (exit 2); so is an unknown
#    variable.
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need python3 curl

# 10 rows; passwords with quotes and commas exercise the CSV quoting.
python3 - "$TMP/users.csv" "$TMP/users.jsonl" <<'PY'
import json, sys
rows = [("u%02d" % i, 'p"%d,x' % i if i % 3 == 0 else "p%d" % i) for i in range(10)]
with open(sys.argv[1], "w") as f:
    f.write("user,password\r\n")
    for u, p in rows:
        f.write('%s,"%s"\r\n' % (u, p.replace('"', '""')) if '"' in p or "," in p else "%s,%s\r\n" % (u, p))
with open(sys.argv[2], "w") as f:
    for u, p in rows:
        f.write(json.dumps({"user": u, "password": p}) + "\n")
PY

SRV_PID=
start_srv() { # [ARGS...]: a fresh server (fresh counts) on $port
  [ -z "$SRV_PID" ] || { kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; }
  port=$(free_port)
  python3 "$ROOT/tests/integration/journey_srv.py" "$port" --users "$TMP/users.csv" "$@" >"$TMP/srv.log" 2>&1 &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  wait_http "http://127.0.0.1:$port/stats" 20
}
stats() { curl -s "http://127.0.0.1:$port/stats" >"$TMP/stats.json"; }

plan() { # FILE USERS ITERATIONS DATA [EXTRA-SCENARIO-LINES]
  cat >"$1" <<YAML
target: http://127.0.0.1:$port
variables:
  login: /nowhere
scenarios:
  - name: journey
    users: $2
    iterations: $3
    order: sequence
    data: $4
${5:-}
    requests:
      - label: login
        path: \${login}
        method: POST
        headers: {Content-Type: application/x-www-form-urlencoded}
        body: 'user=\${user}&password=\${password}'
        expect: {status: 200}
        extract:
          - {json: /token, as: token}
          - {regex: '"csrf": *"([^"]+)"', as: csrf}
          - {header: X-Request-Id, as: rid}
      - label: me
        path: /api/me
        headers: {Authorization: 'Bearer \${token}', X-Csrf: '\${csrf}', X-Req: '\${rid}'}
        expect: {status: 200, body_contains: '"user"'}
YAML
}
errs() { json_get "$1/results.json" "d['total']['errors']"; }
kind() { json_get "$1/results.json" "d['labels']['$2']['errors_by_kind']['$3']"; }

# --- sequential: 5 users x 4 iterations over 10 rows = 2 uses per row -----------------------
start_srv
plan "$TMP/seq.yaml" 5 4 "{file: users.csv}"
rc=0
"$PTEST" run "$TMP/seq.yaml" -e login=/login --out "$TMP/seq" --quiet 2>"$TMP/err.txt" || rc=$?
check_eq "sequential: exit 0" 0 "$rc"
[ "$rc" -eq 0 ] || cat "$TMP/err.txt"
stats
check_eq "sequential: zero failed checks" "0 40" "$(errs "$TMP/seq") $(json_get "$TMP/seq/results.json" "d['total']['count']")"
check_eq "sequential: every row logged in twice and used the API twice" "10 {2} {2} {}" \
  "$(json_get "$TMP/stats.json" "len(d['logins']), set(d['logins'].values()), set(d['api_ok'].values()), d['bad']" | tr -d '(),')"
check_eq "results.json: the plan's data and cookies" "csv sequential 10 ['user', 'password'] True" \
  "$(json_get "$TMP/seq/results.json" "' '.join(str(x) for x in [d['plan']['scenarios'][0]['data'][k] for k in ('format','mode','rows','columns')] + [d['plan']['scenarios'][0]['cookies']])")"

# --- without the cookie jar the API refuses every call ----------------------------------------
start_srv
plan "$TMP/nocookie.yaml" 2 2 "{file: users.csv}" "    cookies: false"
rc=0
PTEST_VAR_login=/login "$PTEST" run "$TMP/nocookie.yaml" --out "$TMP/nocookie" --quiet 2>/dev/null || rc=$?
stats
check_eq "cookies: false: /api/me refused for want of the session cookie (PTEST_VAR_login set the path)" "0 4 4 4" \
  "$(kind "$TMP/nocookie" login status) $(kind "$TMP/nocookie" me status) $(json_get "$TMP/stats.json" "d['bad'].get('cookie', 0)") $(json_get "$TMP/stats.json" "sum(d['logins'].values())")"

# --- unique: each row once; 4 users x 5 iterations want 20 rows of 10 ------------------------
start_srv
plan "$TMP/uniq.yaml" 4 5 "{file: users.csv, mode: unique}"
rc=0
"$PTEST" run "$TMP/uniq.yaml" -e login=/login --out "$TMP/uniq" >"$TMP/out.txt" 2>"$TMP/err.txt" || rc=$?
check_eq "unique: exit 0" 0 "$rc"
stats
check_eq "unique: every row logged in exactly once, zero failed checks" "10 {1} {1} 0" \
  "$(json_get "$TMP/stats.json" "len(d['logins']), set(d['logins'].values()), set(d['api_ok'].values())" | tr -d '(),') $(errs "$TMP/uniq")"
check_eq "unique: the 4 users stopped when the rows ran out (results.json)" 4 \
  "$(json_get "$TMP/uniq/results.json" "d['data_exhausted_users']")"
check "unique: the summary says so" grep -q "4 users stopped early: their scenario's unique data ran out" \
  "$TMP/uniq/summary.txt"

# --- unique with --share across two processes at once ----------------------------------------
start_srv
plan "$TMP/share.yaml" 4 5 "{file: users.csv, mode: unique}"
"$PTEST" run "$TMP/share.yaml" -e login=/login --share 0/2 --out "$TMP/s0" --quiet 2>"$TMP/s0.err" &
s0=$!
"$PTEST" run "$TMP/share.yaml" -e login=/login --share 1/2 --out "$TMP/s1" --quiet 2>"$TMP/s1.err" &
s1=$!
rc0=0 rc1=0
wait "$s0" || rc0=$?
wait "$s1" || rc1=$?
check_eq "--share 0/2 and 1/2: both exit 0" "0 0" "$rc0 $rc1"
stats
check_eq "--share: the union covers every row exactly once (no overlap), zero failed checks" "10 {1} {1} 0 0" \
  "$(json_get "$TMP/stats.json" "len(d['logins']), set(d['logins'].values()), set(d['api_ok'].values())" | tr -d '(),') $(errs "$TMP/s0") $(errs "$TMP/s1")"
check_eq "--share: each worker logged in its own rows (r % 2 == I: 5 each)" "5 5 5 5" \
  "$(json_get "$TMP/s0/results.json" "d['labels']['login']['count'], d['plan']['scenarios'][0]['data']['rows']" | tr -d '(),') $(json_get "$TMP/s1/results.json" "d['labels']['login']['count'], d['plan']['scenarios'][0]['data']['rows']" | tr -d '(),')"

# --- a failed extraction is counted as its own kind -----------------------------------------
start_srv --no-token u03
plan "$TMP/noext.yaml" 5 4 "{file: users.csv}"
rc=0
"$PTEST" run "$TMP/noext.yaml" -e login=/login --out "$TMP/noext" --quiet 2>/dev/null || rc=$?
stats
check_eq "failed extraction: u03's 2 logins are 'extraction' errors, its 2 API calls 'status' (401)" "2 0 2 2" \
  "$(kind "$TMP/noext" login extraction) $(kind "$TMP/noext" login status) $(kind "$TMP/noext" me status) $(json_get "$TMP/stats.json" "d['bad'].get('token', 0)")"
check "failed extraction: the summary names it" grep -q "2 responses failed an extraction" "$TMP/noext/summary.txt"
check "failed extraction: the gate's checks fail" grep -q "failed extraction" "$TMP/noext/junit.xml"

# --- JSON lines, random rows ------------------------------------------------------------------
start_srv
plan "$TMP/jsonl.yaml" 3 10 "{file: users.jsonl, mode: random}"
rc=0
"$PTEST" run "$TMP/jsonl.yaml" -e login=/login --seed 7 --out "$TMP/jsonl" --quiet 2>"$TMP/err.txt" || rc=$?
stats
check_eq "jsonl random: exit 0, zero failed checks, 30 logins" "0 0 30" \
  "$rc $(errs "$TMP/jsonl") $(json_get "$TMP/stats.json" "sum(d['logins'].values())")"

# --- errors at load time ------------------------------------------------------------------------
printf 'user,password\nu1,"p1\n' >"$TMP/broken.csv"
plan "$TMP/broken.yaml" 1 1 "{file: broken.csv}"
expect_exit "a broken CSV is a plan error at file:line:col" 2 'broken\.csv:2:4: quoted field without its closing quote' \
  "$PTEST" run "$TMP/broken.yaml" --out "$TMP/b"
plan "$TMP/unknown.yaml" 1 1 "{file: users.csv}"
sed -i 's/X-Req:/X-Who: "${who}", X-Req:/' "$TMP/unknown.yaml"
expect_exit "an unknown variable is a plan error at file:line:col" 2 'unknown\.yaml:[0-9]+:[0-9]+: unknown variable "who"' \
  "$PTEST" run "$TMP/unknown.yaml" --out "$TMP/b"
expect_exit "-e for an undeclared name is refused" 2 'declares no variable "nope"' \
  "$PTEST" run "$TMP/seq.yaml" -e nope=1 --out "$TMP/b"

finish
