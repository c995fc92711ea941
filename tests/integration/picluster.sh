#!/usr/bin/env bash
# picluster.sh - renders examples/inventory.yaml and checks the result the way a Pi would
# read it: every user-data passes `cloud-init schema --config-file`, every network-config
# converts with cloud-init's own renderers (netplan, networkd, NetworkManager, ENI), the
# platform embedded for k3s is byte-identical to `kubectl kustomize deploy/platform`, the
# generated Secrets validate against the Kubernetes schema, secrets.env is 0600. Every
# bad-inventory case below gives its file:line:col message, exit 2, and no output.
# Needs cloud-init, kubectl, node and $BUILD/picluster; a missing tool fails.
# san: yes
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
PC=$BUILD/picluster
HELP=$ROOT/tests/integration/helpers
[ -x "$PC" ] || fail "$PC is built (run make)"
need cloud-init kubectl node npm

# The Kubernetes schema validator (same cache as deploy.sh).
source "$(dirname "$0")/helpers/k8s-validator.sh"

# --- command line -------------------------------------------------------------------
for args in "--help" "check --help" "render --help"; do
  # shellcheck disable=SC2086
  check "picluster $args" bash -c "'$PC' $args | grep -q '^usage: picluster'"
done
check "picluster --version" bash -c "'$PC' --version | grep -q '^picluster '"
expect_exit() { local want=$1; shift; set +e; "$@" >"$TMP/o" 2>"$TMP/e"; local rc=$?; set -e; [ "$rc" -eq "$want" ] || { cat "$TMP/e"; echo "exit $rc, want $want"; return 1; }; }
check "no command: usage, exit 2" expect_exit 2 "$PC"
check "unknown command: exit 2" expect_exit 2 "$PC" frobnicate
check "render without --out: exit 2" expect_exit 2 "$PC" render examples/inventory.yaml
check "check examples/inventory.yaml" bash -c "'$PC' check examples/inventory.yaml | grep -q 'ok: cluster pitestbed, k3s v1.32.5+k3s1, 1 server (pi-master), 3 agents'"

# --- render --------------------------------------------------------------------------
kubectl kustomize deploy/platform >"$TMP/platform.yaml"
OUT=$TMP/cluster
check "render examples/inventory.yaml --platform" "$PC" render examples/inventory.yaml --out "$OUT" --platform "$TMP/platform.yaml"
hosts="pi-master pi-node01 pi-node02 pi-node03"
files_ok() {
  for h in $hosts; do for f in user-data meta-data network-config cmdline-additions.txt; do
    [ -s "$OUT/$h/$f" ] || { echo "missing $h/$f"; return 1; }; done; done
  [ -s "$OUT/README.txt" ] && [ -s "$OUT/secrets.env" ]
  [ "$(find "$OUT" -type f | wc -l)" -eq 18 ] || { find "$OUT" -type f; return 1; }
  ! ls -d "$OUT".tmp-* 2>/dev/null
}
check "render: user-data, meta-data, network-config, cmdline-additions.txt per node, README.txt, secrets.env" files_ok
check "render: secrets.env is mode 0600" test "$(stat -c %a "$OUT/secrets.env")" = 600
for h in $hosts; do
  check "render: $h/user-data (holds the token) is mode 0600" test "$(stat -c %a "$OUT/$h/user-data")" = 600
done
check "render: token is 32 random bytes in hex" grep -Eq '^K3S_TOKEN=[0-9a-f]{64}$' "$OUT/secrets.env"
token=$(sed -n 's/^K3S_TOKEN=//p' "$OUT/secrets.env")
for h in $hosts; do
  check "$h: user-data passes cloud-init schema --config-file" \
    bash -c "cloud-init schema --config-file '$OUT/$h/user-data' | grep -q '^Valid cloud-config'"
  check "$h: carries the cluster token" grep -q "token: \"$token\"" "$OUT/$h/user-data"
  check "$h: SSH keys only (password locked, no password anywhere, no password logins)" \
    bash -c "grep -q 'lock_passwd: true' '$OUT/$h/user-data' && grep -q '^ssh_pwauth: false' '$OUT/$h/user-data' &&
             ! grep -Eq 'plain_text_passwd|hashed_passwd|chpasswd|^ *passwd:' '$OUT/$h/user-data'"
  check "$h: hosts file lists every node" \
    bash -c "for n in $hosts; do grep -q \"  192.168.10.2[0-3] \$n.pitestbed.lan \$n\" '$OUT/$h/user-data' || exit 1; done"
  check "$h: k3s pinned to the inventory's version" grep -q "k3s_version='v1.32.5+k3s1'" "$OUT/$h/user-data"
  check "$h: meta-data names the instance and host" \
    bash -c "grep -q '^instance-id: pitestbed-$h-[0-9a-f]\{8\}\$' '$OUT/$h/meta-data' && grep -q '^local-hostname: $h\$' '$OUT/$h/meta-data'"
  check "$h: cmdline additions" test "$(cat "$OUT/$h/cmdline-additions.txt")" = " cgroup_memory=1 cgroup_enable=memory"
  for r in netplan networkd network-manager eni; do
    check "$h: network-config converts with cloud-init's $r renderer" \
      cloud-init devel net-convert -p "$OUT/$h/network-config" -k yaml -d "$TMP/net-$h-$r" -D debian -O "$r"
  done
done
check "pi-node01: joins the server" grep -q 'server: "https://192.168.10.20:6443"' "$OUT/pi-node01/user-data"
check "pi-master: runs the k3s server, agents do not" \
  bash -c "grep -q \"INSTALL_K3S_EXEC='server'\" '$OUT/pi-master/user-data' && grep -q \"INSTALL_K3S_EXEC='agent'\" '$OUT/pi-node03/user-data'"
check "pi-node03: label from the inventory" grep -q '"pitestbed.io/pool=loadgen"' "$OUT/pi-node03/user-data"

# The manifests for k3s' auto-deploy folder: decode them from the server's user-data.
extract() { # USER-DATA PATH OUT: content of a write_files entry, decoded like cloud-init does
  node -e '
    const y = require("js-yaml"), fs = require("fs"), zlib = require("zlib");
    const ud = y.load(fs.readFileSync(process.argv[1], "utf8"));
    const f = (ud.write_files || []).find((w) => w.path === process.argv[2]);
    if (!f) { console.error("no write_files entry " + process.argv[2]); process.exit(1); }
    let data = Buffer.from(f.content, f.encoding ? "base64" : "utf8");
    if (f.encoding === "gz+b64") data = zlib.gunzipSync(data);
    fs.writeFileSync(process.argv[3], data);' "$@"
}
M=/var/lib/rancher/k3s/server/manifests
check "pi-master: platform manifests (gz+b64) decode to exactly kubectl kustomize deploy/platform" \
  bash -c "$(declare -f extract); extract '$OUT/pi-master/user-data' $M/pitestbed-platform.yaml '$TMP/embedded.yaml' && cmp '$TMP/embedded.yaml' '$TMP/platform.yaml'"
check "pi-node01: agents carry no platform and no admin passwords" \
  bash -c "! grep -q 'pitestbed-platform\|pitestbed-generated' '$OUT/pi-node01/user-data' && ! grep -q \"\$(sed -n 's/^JENKINS_ADMIN_PASSWORD=//p' '$OUT/secrets.env')\" '$OUT/pi-node01/user-data'"
extract "$OUT/pi-master/user-data" $M/pitestbed-generated.yaml "$TMP/generated.yaml"
check "pi-master: generated Secrets and ConfigMap validate against the Kubernetes schema" \
  node "$HELP/k8s-validate.cjs" "$TMP/generated.yaml"
check "pi-master: generated Secrets hold the passwords of secrets.env" \
  bash -c "grep -q \"password: \\\"\$(sed -n 's/^JENKINS_ADMIN_PASSWORD=//p' '$OUT/secrets.env')\\\"\" '$TMP/generated.yaml' &&
           grep -q \"admin-password: \\\"\$(sed -n 's/^GRAFANA_ADMIN_PASSWORD=//p' '$OUT/secrets.env')\\\"\" '$TMP/generated.yaml'"
check "pi-master: the platform refers to exactly the generated objects" \
  bash -c "grep -q 'name: jenkins-admin' '$TMP/platform.yaml' && grep -q 'name: grafana-admin' '$TMP/platform.yaml' && grep -q 'name: pipeline\$' '$TMP/platform.yaml'"

# --- renders again: new secrets, or the same with --secrets; replacing needs --force --
OUT2=$TMP/cluster2
check "render (platform via kubectl kustomize deploy/platform)" "$PC" render examples/inventory.yaml --out "$OUT2"
check "a second render has a new token" bash -c "! grep -q '$token' '$OUT2/secrets.env'"
check "render into an existing render without --force fails, exit 1, nothing changed" \
  bash -c "cp '$OUT2/secrets.env' '$TMP/s.env'; set +e; '$PC' render examples/inventory.yaml --out '$OUT2' --no-platform 2>/dev/null; rc=\$?; set -e
           [ \$rc -eq 1 ] && cmp '$TMP/s.env' '$OUT2/secrets.env' && ! ls -d '$OUT2'.tmp-* 2>/dev/null"
check "render --force --secrets keeps the token" \
  bash -c "'$PC' render examples/inventory.yaml --out '$OUT2' --force --no-platform --secrets '$OUT/secrets.env' >/dev/null &&
           grep -q 'K3S_TOKEN=$token' '$OUT2/secrets.env' && grep -q 'token: \"$token\"' '$OUT2/pi-node02/user-data' &&
           ! grep -q pitestbed-platform '$OUT2/pi-master/user-data'"
mkdir -p "$TMP/precious" && echo keep >"$TMP/precious/file"
check "--force never replaces a directory that is not a render" \
  bash -c "set +e; '$PC' render examples/inventory.yaml --out '$TMP/precious' --force --no-platform 2>/dev/null; rc=\$?; set -e; [ \$rc -ne 0 ] && [ \"\$(cat '$TMP/precious/file')\" = keep ]"
printf 'kind: Namespace\n' >"$TMP/notk8s.yaml"
check "a platform file that is not Kubernetes objects: exit 2, nothing written" \
  bash -c "set +e; '$PC' render examples/inventory.yaml --out '$TMP/o-plat' --platform '$TMP/notk8s.yaml' 2>'$TMP/e'; rc=\$?; set -e
           [ \$rc -eq 2 ] && grep -q 'document 1 is not a Kubernetes object' '$TMP/e' && [ ! -e '$TMP/o-plat' ]"

# --- Wi-Fi uplink on the server -----------------------------------------------------
sed -e '/^  gateway:/d' -e 's/^  # wifi:/  wifi:/' -e 's/^  #   \(ssid\|psk_env\|country\)/    \1/' \
  examples/inventory.yaml >"$TMP/wifi.yaml"
check "wifi inventory: passphrase variable unset: exit 2, nothing written" \
  bash -c "set +e; env -u PICLUSTER_WIFI_PSK '$PC' render '$TMP/wifi.yaml' --out '$TMP/o-wifi' --no-platform 2>'$TMP/e'; rc=\$?; set -e
           [ \$rc -eq 2 ] && grep -q 'PICLUSTER_WIFI_PSK is not set' '$TMP/e' && [ ! -e '$TMP/o-wifi' ]"
check "wifi inventory renders" env PICLUSTER_WIFI_PSK='pass "phrase" #1' "$PC" render "$TMP/wifi.yaml" --out "$TMP/o-wifi" --no-platform
check "wifi: server network-config (holds the passphrase) is 0600" test "$(stat -c %a "$TMP/o-wifi/pi-master/network-config")" = 600
check "wifi: server user-data passes cloud-init schema" \
  bash -c "cloud-init schema --config-file '$TMP/o-wifi/pi-master/user-data' | grep -q '^Valid cloud-config'"
for r in netplan networkd network-manager; do
  check "wifi: server network-config converts with cloud-init's $r renderer" \
    cloud-init devel net-convert -p "$TMP/o-wifi/pi-master/network-config" -k yaml -d "$TMP/wnet-$r" -D debian -O "$r"
done
check "wifi: netplan output keeps the access point" grep -q '^ *HomeNetwork:$' "$TMP/wnet-netplan/etc/netplan/50-cloud-init.yaml"
check "wifi: netplan output keeps the passphrase exactly" \
  grep -Fq "password: 'pass \"phrase\" #1'" "$TMP/wnet-netplan/etc/netplan/50-cloud-init.yaml"
check "wifi: agents route through the server, which NATs to Wi-Fi" \
  bash -c "grep -q 'via: \"192.168.10.20\"' '$TMP/o-wifi/pi-node01/network-config' && grep -q 'masquerade' '$TMP/o-wifi/pi-master/user-data'"

# --- every bad-inventory case: message with file:line:col, exit 2, nothing written ----
bad_case() { # NAME FILE EXPECTED-MESSAGE (regex, without the "FILE:" prefix)
  local name=$1 file=$2 msg=$3 cmd
  for cmd in check render; do
    local out=$TMP/o-bad
    rm -rf "$out"
    set +e
    if [ $cmd = check ]; then "$PC" check "$file" >"$TMP/o" 2>"$TMP/e"; else "$PC" render "$file" --out "$out" --no-platform >"$TMP/o" 2>"$TMP/e"; fi
    local rc=$?
    set -e
    if [ $rc -eq 2 ] && grep -Eq "^$(printf '%s' "$file" | sed 's/[.[\*^$/]/\\&/g'):$msg" "$TMP/e" && [ ! -e "$out" ] &&
       ! ls -d "$out".tmp-* >/dev/null 2>&1 && ! grep -q 'picluster render\|rendered' "$TMP/o"; then
      ok "fail inventory ($cmd): $name"
    else
      fail "fail inventory ($cmd): $name (exit $rc, want 2 and /$msg/)"; sed 's/^/      | /' "$TMP/e"
    fi
  done
}
line_of() { grep -n -- "$2" "$1" | sed -n "${3:-1}p" | cut -d: -f1; }
EX=examples/inventory.yaml

f=$TMP/dup-host.yaml; sed 's/host: pi-node02/host: pi-node01/' $EX >"$f"
bad_case "duplicate host" "$f" "$(line_of "$f" 'host: pi-node01' 2):11: duplicate host \"pi-node01\" \\(also at line $(line_of "$f" 'host: pi-node01')\\)"
f=$TMP/dup-ip.yaml; sed 's/ip: 192.168.10.23/ip: 192.168.10.21/' $EX >"$f"
bad_case "duplicate address" "$f" "$(line_of "$f" 'ip: 192.168.10.21' 2):9: duplicate address 192.168.10.21 \\(also used by pi-node01"
f=$TMP/outside.yaml; sed 's/ip: 192.168.10.22/ip: 192.168.11.22/' $EX >"$f"
bad_case "address outside the subnet" "$f" "$(line_of "$f" 'ip: 192.168.11.22'):9: address 192.168.11.22 of pi-node02 is outside the subnet 192.168.10.0/24"
f=$TMP/no-server.yaml; sed 's/role: server/role: agent/' $EX >"$f"
bad_case "zero servers" "$f" "$(line_of "$f" '^nodes:'):1: no server: exactly one node needs \"role: server\""
f=$TMP/two-servers.yaml; awk '/host: pi-node02/{n=1} n&&/role: agent/{sub(/agent/,"server");n=0} {print}' $EX >"$f"
bad_case "two servers" "$f" "$(line_of "$f" 'role: server' 2):11: second server pi-node02: picluster builds exactly one k3s server"
f=$TMP/arch.yaml; awk '/host: pi-node03/{n=1} n&&/arch: arm64/{sub(/arm64/,"x86_64");n=0} {print}' $EX >"$f"
bad_case "unknown arch" "$f" "$(line_of "$f" 'arch: x86_64'):11: unknown arch \"x86_64\" \\(expected arm64 or armhf\\)"
f=$TMP/no-key.yaml; sed -e '/^ssh_authorized_keys:/d' -e '/^  - ssh-ed25519/d' $EX >"$f"
bad_case "missing SSH key" "$f" "$(line_of "$f" '^cluster:'):1: missing key \"ssh_authorized_keys\""
f=$TMP/empty-key.yaml; sed -e '/^  - ssh-ed25519/d' $EX >"$f"
bad_case "empty SSH key list" "$f" "$(line_of "$f" '^ssh_authorized_keys:'):1: ssh_authorized_keys is empty"
f=$TMP/typo.yaml; sed 's/^  gateway:/  gatway:/' $EX >"$f"
bad_case "unknown key (a typo)" "$f" "$(line_of "$f" 'gatway:'):3: unknown key \"gatway\" \\(did you mean \"gateway\"\\?\\)"
f=$TMP/typo-node.yaml; sed '0,/    role: agent/s//    rol: agent/' $EX >"$f"
bad_case "unknown key in a node" "$f" "$(line_of "$f" 'rol: agent'):5: unknown key \"rol\" \\(did you mean \"role\"\\?\\)"
f=$TMP/many.yaml; sed -e 's/host: pi-node02/host: pi-node01/' -e 's/ip: 192.168.10.23/ip: 192.168.12.23/' -e 's/^  gateway:/  gatway:/' $EX >"$f"
check "several problems: all reported, one line each" \
  bash -c "set +e; '$PC' check '$f' 2>'$TMP/e'; rc=\$?; set -e; [ \$rc -eq 2 ] && [ \$(grep -c '^$f:[0-9]*:[0-9]*: ' '$TMP/e') -eq 4 ] && grep -q '4 problems' '$TMP/e'"
check "an unreadable inventory: exit 2" expect_exit 2 "$PC" check "$TMP/does-not-exist.yaml"
printf 'cluster: [unclosed\n' >"$TMP/syntax.yaml"
bad_case "YAML syntax error" "$TMP/syntax.yaml" "[0-9]+:[0-9]+: "

finish
