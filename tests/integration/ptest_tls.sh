#!/usr/bin/env bash
# ptest against https:// targets served by a real nginx, with a private CA, server and
# client certificates made by openssl here:
#  - verification is on by default: without --cacert the self-made CA is not trusted, exit 3
#    and one line naming the reason; --cacert, SSL_CERT_FILE (the "system store" path) and
#    --insecure pass;
#  - a certificate for another name, an expired certificate and a plain-HTTP server behind
#    an https:// URL each give exit 3 with one clear line, within seconds (no hang), and
#    results.json counts the failures as errors_by_kind.tls with the reason in tls.first_error;
#  - nginx requiring a client certificate (mTLS) answers 400 without one (the gate fails),
#    200 with --cert/--key, and with the plan's tls: {cert, key};
#  - reconnects resume their TLS session: against a server that closes every connection
#    after one response, nginx's $ssl_session_reused shows one full handshake per connection
#    slot and every other one resumed (TLS 1.3 and TLS 1.2), as results.json's tls counts;
#  - handshake time is reported per label, apart from the service time (results.json,
#    summary.txt); the plan's tls: paths are relative to the plan; a file that does not load
#    is a file:line:col error (exit 2).
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# --- certificates -----------------------------------------------------------------------
C=$TMP/certs
mkdir -p "$C/ca/new"
cd "$C"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 3 -subj "/CN=ptest test CA" 2>/dev/null
# sign NAME CN SAN [STARTDATE ENDDATE]: NAME.key, NAME.pem signed by the CA (openssl ca, so
# that the validity period can lie in the past).
touch ca/index.txt
echo 1000 >ca/serial
cat >ca.cnf <<EOF
[ca]
default_ca = d
[d]
database = $C/ca/index.txt
new_certs_dir = $C/ca/new
serial = $C/ca/serial
default_md = sha256
default_days = 3
policy = p
unique_subject = no
[p]
commonName = supplied
EOF
sign() {
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" >"$1.ext"
  openssl ca -batch -notext -config ca.cnf -cert ca.pem -keyfile ca.key -in "$1.csr" -out "$1.pem" \
    -extfile "$1.ext" ${4:+-startdate "$4" -enddate "$5"} 2>"$1.log" || { cat "$1.log" >&2; exit 1; }
}
sign srv localhost "DNS:localhost,IP:127.0.0.1"
sign other other.example "DNS:other.example"
sign old localhost "DNS:localhost,IP:127.0.0.1" 20200101000000Z 20200102000000Z
sign client "ptest client" "DNS:ptest-client"
cd - >/dev/null

# --- nginx: one server per case ---------------------------------------------------------
P_OK=$(free_port) P_CLOSE=$(free_port) P_TLS12=$(free_port) P_MTLS=$(free_port) P_OTHER=$(free_port)
P_OLD=$(free_port) P_PLAIN=$(free_port)
srv() { # PORT CERT EXTRA
  echo "server { listen 127.0.0.1:$1 ssl; ssl_certificate $C/$2.pem; ssl_certificate_key $C/$2.key; ${3:-}
    location / { default_type text/plain; return 200 \"Hello World!\"; } }"
}
start_nginx "  log_format tls '\$server_port \$connection \$ssl_session_reused \$ssl_protocol \$status';
  access_log $TMP/nginx/access.log tls;
  $(srv "$P_OK" srv "keepalive_requests 1000000;")
  $(srv "$P_CLOSE" srv "keepalive_requests 1;")
  $(srv "$P_TLS12" srv "keepalive_requests 1; ssl_protocols TLSv1.2;")
  $(srv "$P_MTLS" srv "ssl_client_certificate $C/ca.pem; ssl_verify_client on;")
  $(srv "$P_OTHER" other)
  $(srv "$P_OLD" old)
  server { listen 127.0.0.1:$P_PLAIN; location / { return 200 \"plain\"; } }"
N=$NGINX_DIR
for i in $(seq 50); do
  curl -sf --cacert "$C/ca.pem" "https://localhost:$P_OK/" >/dev/null && break
  sleep 0.1
done
curl -sf --cacert "$C/ca.pem" "https://localhost:$P_OK/" >/dev/null || { cat "$N"/*.log >&2; exit 1; }

# run NAME ARGS...: ptest run -d 1 -c 4 into $TMP/NAME; sets rc, secs; stderr in NAME.err
run() {
  local name=$1; shift
  local t0=$SECONDS
  rc=0
  "$PTEST" run -d 1 -c 4 -t 1 --out "$TMP/$name" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
  secs=$((SECONDS - t0))
}
# fails_clearly NAME PATTERN: exit 3, quickly, the reason on one "ptest: target" line,
# counted as kind tls with the reason in results.json
fails_clearly() {
  local name=$1 pat=$2
  check_eq "$name: exit 3" 3 "$rc"
  check_cmd "$name: within 8 s, not a hang (took ${secs}s)" test "$secs" -le 8
  check_eq "$name: one line with the reason" 1 "$(grep -c "^ptest: target https://.*: TLS handshake failed: .*$pat" "$TMP/$name.err" || true)"
  local R=$TMP/$name/results.json
  check_cmd "$name: errors_by_kind.tls counted" test "$(json_get "$R" 'd["total"]["errors_by_kind"]["tls"]')" -gt 0
  check_cmd "$name: tls.first_error has the reason" grep -q "$pat" <<<"$(json_get "$R" 'd["tls"]["first_error"]')"
}

# --- verification -----------------------------------------------------------------------
run noca "https://localhost:$P_OK/"
fails_clearly noca "certificate verify failed: unable to get local issuer certificate (trust its CA with --cacert"
sed 's/^/    /' "$TMP/noca.err"

run cacert --cacert "$C/ca.pem" "https://localhost:$P_OK/"
check_eq "--cacert: exit 0" 0 "$rc"
R=$TMP/cacert/results.json
check_eq "--cacert: no errors" 0 "$(json_get "$R" 'd["total"]["errors"]')"
check_cmd "--cacert: requests answered" test "$(json_get "$R" 'd["total"]["status"].get("200", 0)')" -gt 10
check_eq "--cacert: one handshake per connection (keep-alive)" 4 "$(json_get "$R" 'd["labels"]["/"]["tls"]["handshakes"]')"
check_eq "--cacert: handshake times per label" 4 "$(json_get "$R" 'd["labels"]["/"]["tls"]["handshake_us"]["count"]')"
check_eq "--cacert: verification on" True "$(json_get "$R" 'd["tls"]["verify"]')"
check_cmd "summary.txt: a TLS handshake section" grep -q '^TLS handshakes (after the TCP connect; in latency, not in service time)' "$TMP/cacert/summary.txt"

run ipaddr --cacert "$C/ca.pem" "https://127.0.0.1:$P_OK/"
check_eq "--cacert, numeric target checked against the IP SAN: exit 0" 0 "$rc"

rc=0
SSL_CERT_FILE=$C/ca.pem "$PTEST" run -d 1 -c 2 -t 1 -q --out "$TMP/store" "https://localhost:$P_OK/" \
  >"$TMP/store.out" 2>"$TMP/store.err" || rc=$?
check_eq "default store (SSL_CERT_FILE): exit 0" 0 "$rc"

run insecure --insecure "https://localhost:$P_OK/"
check_eq "--insecure: exit 0" 0 "$rc"
check_eq "--insecure: no errors" 0 "$(json_get "$TMP/insecure/results.json" 'd["total"]["errors"]')"
check_eq "--insecure: recorded" False "$(json_get "$TMP/insecure/results.json" 'd["tls"]["verify"]')"

run wrongname --cacert "$C/ca.pem" "https://localhost:$P_OTHER/"
fails_clearly wrongname "certificate verify failed: hostname mismatch (the certificate is not valid for localhost"
sed 's/^/    /' "$TMP/wrongname.err"

run expired --cacert "$C/ca.pem" "https://localhost:$P_OLD/"
fails_clearly expired "certificate verify failed: certificate has expired"
sed 's/^/    /' "$TMP/expired.err"

run plain --cacert "$C/ca.pem" "https://localhost:$P_PLAIN/"
fails_clearly plain "wrong version number (the server did not answer in TLS: plain http on this port?)"
sed 's/^/    /' "$TMP/plain.err"

# --- mutual TLS ---------------------------------------------------------------------------
cat >"$TMP/mtls.yaml" <<EOF
target: https://localhost:$P_MTLS/
tls: {cacert: certs/ca.pem, cert: certs/client.pem, key: certs/client.key}
scenarios: [{users: 2, hold_for: 1s, requests: [{path: /}]}]
thresholds: {"*": ["error_rate < 1%"]}
EOF
run mtls_none --cacert "$C/ca.pem" "https://localhost:$P_MTLS/"
check_eq "mTLS without a client certificate: every answer is nginx's 400" \
  "$(json_get "$TMP/mtls_none/results.json" 'd["total"]["count"]')" \
  "$(json_get "$TMP/mtls_none/results.json" 'd["total"]["status"].get("400", 0)')"
run mtls_cert --cacert "$C/ca.pem" --cert "$C/client.pem" --key "$C/client.key" "https://localhost:$P_MTLS/"
check_eq "mTLS with --cert/--key: exit 0" 0 "$rc"
check_eq "mTLS with --cert/--key: no errors" 0 "$(json_get "$TMP/mtls_cert/results.json" 'd["total"]["errors"]')"
check_eq "mTLS: recorded" True "$(json_get "$TMP/mtls_cert/results.json" 'd["tls"]["client_certificate"]')"
# The plan's paths are relative to the plan file: run from another directory.
mkdir -p "$TMP/elsewhere"
rc=0
(cd "$TMP/elsewhere" && "$PTEST" run "$TMP/mtls.yaml" -t 1 -q --out "$TMP/mtls_plan") >"$TMP/mtls_plan.err" 2>&1 || rc=$?
check_eq "mTLS plan (tls: relative to the plan): gate passes" 0 "$rc"
cp "$TMP/mtls.yaml" "$TMP/nocert.yaml"
sed -i 's|cert: certs/client.pem, key: certs/client.key|cert: certs/client.pem, key: certs/missing.key|' "$TMP/nocert.yaml"
rc=0
"$PTEST" run "$TMP/nocert.yaml" -q --out "$TMP/nocert" >"$TMP/nocert.out" 2>"$TMP/nocert.err" || rc=$?
check_eq "a key that does not load: exit 2" 2 "$rc"
check_cmd "... named as file:line:col" grep -q "^ptest: $TMP/nocert.yaml:2:58: tls.key $TMP/certs/missing.key: cannot read: No such file or directory" "$TMP/nocert.err"
sed 's/^/    /' "$TMP/nocert.err"
rc=0
"$PTEST" run "$TMP/mtls.yaml" --key "$C/other.key" -q --out "$TMP/mismatch" >"$TMP/mismatch.out" 2>"$TMP/mismatch.err" || rc=$?
check_eq "a key of another certificate: exit 2" 2 "$rc"
check_cmd "... says so" grep -q "^ptest: --key $C/other.key: the key does not belong to the client certificate" "$TMP/mismatch.err"

# The example plan for a k3s Ingress loads and runs (its target and CA replaced; its
# latency thresholds dropped: a loaded test machine is not the Ingress they are meant for).
grep -v '"p95 <' "$ROOT/examples/https-ingress.yaml" >"$TMP/example.yaml"
rc=0
"$PTEST" run "$TMP/example.yaml" --target "https://localhost:$P_OK/" --cacert "$C/ca.pem" -d 1 -t 1 \
  -q --out "$TMP/example" >"$TMP/example.err" 2>&1 || rc=$?
check_eq "examples/https-ingress.yaml against the test nginx: error_rate gate passes" 0 "$rc" || head -20 "$TMP/example.err"

# --- session resumption -----------------------------------------------------------------
# nginx closes after every response, so every request reconnects: each of the 4 slots
# makes one full handshake, then resumes its session on every reconnect.
reused() { # PORT FLAG: access-log lines of that server with $ssl_session_reused == FLAG
  awk -v p="$1" -v f="$2" '$1 == p && $3 == f {n++} END {print n + 0}' "$N/access.log"
}
for v in close:"$P_CLOSE" tls12:"$P_TLS12"; do
  name=resume_${v%%:*} port=${v#*:}
  run "$name" --cacert "$C/ca.pem" "https://localhost:$port/"
  R=$TMP/$name/results.json
  check_eq "$name: exit 0" 0 "$rc"
  hs=$(json_get "$R" 'd["total"]["tls"]["handshakes"]')
  res=$(json_get "$R" 'd["total"]["tls"]["resumed"]')
  check_cmd "$name: a handshake per request ($hs)" test "$hs" -ge "$(json_get "$R" 'd["total"]["count"]')"
  check_eq "$name: ptest made 4 full handshakes (one per slot), resumed the rest" 4 $((hs - res))
  full=$(reused "$port" .)
  check_eq "$name: nginx saw 4 full handshakes" 4 "$full"
  check_cmd "$name: nginx saw the rest resumed ($(reused "$port" r) of $((full + $(reused "$port" r))))" \
    test "$(reused "$port" r)" -ge $((res - 4))
done
echo "    TLS 1.2 line: $(awk -v p="$P_TLS12" '$1 == p {print $4; exit}' "$N/access.log")"

# --- merge: handshake counts add, the run's tls section is kept ------------------------
rc=0
"$PTEST" merge "$TMP/resume_close" "$TMP/resume_tls12" --out "$TMP/merged" >"$TMP/merge.err" 2>&1 || rc=$?
check_eq "merge of two https runs: exit 0" 0 "$rc" || cat "$TMP/merge.err"
check_cmd "merged: handshakes and resumed add, handshake time null (not stored per second), tls kept" \
  python3 - "$TMP" <<'PY'
import json, sys
t = sys.argv[1]
a, b, m = (json.load(open(f"{t}/{d}/results.json")) for d in ("resume_close", "resume_tls12", "merged"))
for k in ("handshakes", "resumed"):
    assert m["total"]["tls"][k] == a["total"]["tls"][k] + b["total"]["tls"][k], k
assert m["total"]["tls"]["handshake_us"] is None
assert m["tls"] == a["tls"], (m["tls"], a["tls"])
PY

finish
