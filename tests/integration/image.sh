#!/usr/bin/env bash
# image.sh - `make image` (ci/mkimage) without a container engine, checked by real consumers:
#   - the image: amd64, arm64 and arm/v7 (amd64 only when a cross compiler is missing,
#     or IMAGE_TEST_PLATFORMS=amd64), an OCI layout with one index; skopeo reads it: platforms, variant v7,
#     user, entrypoint, command, port, labels; the layer holds msdemo and ptest only,
#     owner 0:0, the build's mtime, diff_id = sha256 of the tar; sizes printed;
#   - reproducible: a second build gives the same digests;
#   - a real registry (Debian's docker-registry on a loopback port): ci/publish (k8s
#     mode) pushes with ci/oci, a second push uploads nothing, skopeo inspects it and
#     copies it back byte for byte, `ci/oci tag ... latest` (promote) and --also-tag,
#     and a failure reads as one line with the HTTP status;
#   - containerd (Debian 1.6, a private instance under $TMP, when run as root): the OCI
#     archive imports with `ctr -n k8s.io images import` under its name, msdemo runs
#     from it (--version; serving /, /B, /healthz, /readyz as UID 65532; no shell; ptest
#     inside; exit 0 on SIGTERM); nothing stays mounted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

for t in skopeo docker-registry python3 curl; do
  command -v "$t" >/dev/null || { fail "$t missing (scripts/deps.sh test installs it)"; finish; }
done
tag=itest-$$
L1=$TMP/img1/oci
L2=$TMP/img2/oci
# IMAGE_TEST_PLATFORMS=amd64 for a quick run (a cold three-arch build is ~75 s on 2 cores,
# a warm one seconds).
platforms=${IMAGE_TEST_PLATFORMS:-}
if [ -z "$platforms" ]; then
  platforms=amd64
  if command -v aarch64-linux-gnu-gcc >/dev/null && command -v arm-linux-gnueabihf-gcc >/dev/null; then
    platforms="amd64 arm64 armv7"
  else
    echo "note: no cross compilers: the amd64 image only"
  fi
fi
[ "$(uname -m)" = x86_64 ] || { fail "ci/mkimage builds amd64 with the host compiler: needs an x86_64 host"; finish; }
export SOURCE_DATE_EPOCH=1700000000

t0=$(date +%s)
if IMAGE_PLATFORMS=$platforms IMAGE_DIR=$TMP/img1 OUT=$TMP/out "$ROOT/ci/mkimage" "$tag" >"$TMP/mkimage1.log" 2>&1; then
  ok "ci/mkimage builds the image for: $platforms ($(( $(date +%s) - t0 )) s)"
else
  tail -30 "$TMP/mkimage1.log"; fail "ci/mkimage"; finish
fi
grep -E 'layer|index|manifest sha' "$TMP/mkimage1.log" | sed 's/^/      /'
if IMAGE_PLATFORMS=$platforms IMAGE_DIR=$TMP/img2 OUT=$TMP/out "$ROOT/ci/mkimage" "$tag" >"$TMP/mkimage2.log" 2>&1; then
  check_eq "reproducible: a second build, the same index.json and blobs" \
    "$(cd "$L1" && find . -type f | sort | xargs sha256sum)" "$(cd "$L2" && find . -type f | sort | xargs sha256sum)"
else
  tail -30 "$TMP/mkimage2.log"; fail "ci/mkimage (second build)"
fi

# --- the layout, as skopeo reads it ----------------------------------------------------
digest=$(skopeo inspect --raw "oci:$L1:$tag" | sha256sum | cut -c1-64)
check_eq "index.json names the top manifest by digest" "sha256:$digest" \
  "$(json_get "$L1/index.json" 'd["manifests"][0]["digest"]')"
want=$(for p in $platforms; do case $p in armv7) echo arm/v7 ;; *) echo "$p" ;; esac; done | LC_ALL=C sort | tr '\n' ' ')
check_eq "skopeo inspect --raw: the platforms" "$want" "$(skopeo inspect --raw "oci:$L1:$tag" | python3 -c '
import json, sys
m = json.load(sys.stdin)
ms = m["manifests"] if "manifests" in m else []
print(" ".join(sorted(p["platform"]["architecture"] + ("/" + p["platform"]["variant"] if p["platform"].get("variant") else "")
                      for p in ms)) + " " if ms else "amd64 ")')"
skopeo inspect --config "oci:$L1:$tag" >"$TMP/config.json"
check_eq "config: architecture, os" "amd64 linux" "$(json_get "$TMP/config.json" 'd["architecture"] + " " + d["os"]')"
check_eq "config: numeric non-root user" "65532:65532" "$(json_get "$TMP/config.json" 'd["config"]["User"]')"
check_eq "config: entrypoint, command" "['/msdemo'] ['--listen', '0.0.0.0:8080']" \
  "$(json_get "$TMP/config.json" 'str(d["config"]["Entrypoint"]) + " " + str(d["config"]["Cmd"])')"
check_eq "config: port 8080" "['8080/tcp']" "$(json_get "$TMP/config.json" 'str(list(d["config"]["ExposedPorts"]))')"
# (Compared with the programs built, not with `git describe` now: others may commit meanwhile.)
version=$(json_get "$TMP/config.json" 'd["config"]["Labels"]["org.opencontainers.image.version"]')
check_eq "config: version label = the programs' version" "msdemo $version" "$("$TMP/img1/root-amd64/msdemo" --version)"
check_eq "config: created from SOURCE_DATE_EPOCH" "2023-11-14T22:13:20Z" "$(json_get "$TMP/config.json" 'd["created"]')"
check_eq "skopeo inspect: the image's labels and arch" "amd64 pitestbed" \
  "$(skopeo inspect "oci:$L1:$tag" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["Architecture"], d["Labels"]["org.opencontainers.image.title"])')"
if [ "$platforms" != amd64 ]; then
  check_eq "arm64 config" "arm64" "$(skopeo --override-arch arm64 inspect --config "oci:$L1:$tag" | python3 -c 'import json,sys; print(json.load(sys.stdin)["architecture"])')"
  check_eq "arm/v7 config (variant v7)" "arm v7" "$(skopeo --override-arch arm --override-variant v7 inspect --config "oci:$L1:$tag" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["architecture"], d.get("variant"))')"
fi
# Every platform's layer: its entries, owners, mtimes, diff_id; the sizes.
if python3 - "$L1" "$tag" "$SOURCE_DATE_EPOCH" >"$TMP/layers.txt" 2>&1 <<'PY'
import gzip, hashlib, io, json, sys, tarfile
lay, tag, mtime = sys.argv[1], sys.argv[2], int(sys.argv[3])
blob = lambda dg: open(lay + "/blobs/" + dg.replace(":", "/"), "rb").read()
top = json.load(open(lay + "/index.json"))["manifests"][0]
assert top["annotations"]["org.opencontainers.image.ref.name"] == tag
ms = json.loads(blob(top["digest"]))["manifests"] if "index" in top["mediaType"] else [top]
for m in ms:
    man = json.loads(blob(m["digest"]))
    cfg = json.loads(blob(man["config"]["digest"]))
    layer = man["layers"][0]
    assert man["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert layer["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
    raw = gzip.decompress(blob(layer["digest"]))
    assert cfg["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(raw).hexdigest()], "diff_id"
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        es = t.getmembers()
    assert [e.name for e in es] == ["msdemo", "ptest"], [e.name for e in es]
    for e in es:
        assert (e.uid, e.gid, e.uname, e.gname, e.mode, e.mtime) == (0, 0, "", "", 0o755, mtime), e.get_info()
    arch = cfg["architecture"] + ("/" + cfg["variant"] if cfg.get("variant") else "")
    print("%s %d %d" % (arch, (layer["size"] + 1023) // 1024, (len(raw) + 1023) // 1024))
PY
then
  ok "each layer: msdemo and ptest only (no shell, no libc files), 0:0, mode 0755, mtime fixed, diff_id right"
else
  cat "$TMP/layers.txt"; fail "layer contents"
fi
while read -r arch gz raw; do
  echo "      size $arch: $gz KiB as pulled (gzip), $raw KiB unpacked"
  check_cmd "$arch: under 3 MiB as pulled ($gz KiB)" test "$gz" -lt 3072
done <"$TMP/layers.txt"

# --- a real registry ------------------------------------------------------------------
port=$(free_port)
reg=127.0.0.1:$port
cat >"$TMP/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $TMP/registry}
  delete: {enabled: true}
http: {addr: "$reg"}
YAML
docker-registry serve "$TMP/registry.yml" >"$TMP/registry.log" 2>&1 &
PIDS+=($!)
wait_http "http://$reg/v2/" 20 || { cat "$TMP/registry.log"; fail "docker-registry did not start"; finish; }
mkdir -p "$TMP/out/state"
echo "$tag" >"$TMP/out/state/tag"
if PITESTBED_MODE=k8s PUSH_REGISTRY=$reg OUT=$TMP/out IMAGE_DIR=$TMP/img1 "$ROOT/ci/publish" >"$TMP/publish.log" 2>&1; then
  ok "ci/publish (k8s mode) pushes to the registry with ci/oci"
else
  cat "$TMP/publish.log"; fail "ci/publish"
fi
grep 'pushed' "$TMP/publish.log" | sed 's/^/      /'
check_cmd "a second push uploads nothing (every blob HEADed and skipped)" \
  bash -c "'$ROOT/ci/oci' push '$L1' '$reg/pitestbed:$tag' | grep -q ' 0 blobs uploaded'"
check_eq "skopeo inspect --raw docker://: the same index digest" "$digest" \
  "$(skopeo inspect --tls-verify=false --raw "docker://$reg/pitestbed:$tag" | sha256sum | cut -c1-64)"
check_eq "skopeo inspect docker://: amd64 config" "amd64 65532:65532" \
  "$(skopeo inspect --tls-verify=false --config "docker://$reg/pitestbed:$tag" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["architecture"], d["config"]["User"])')"
if skopeo copy --quiet --all --preserve-digests --src-tls-verify=false "docker://$reg/pitestbed:$tag" "oci:$TMP/copy:$tag" >"$TMP/copy.log" 2>&1; then
  check_eq "skopeo copy back to an OCI layout: the same blobs" \
    "$(cd "$L1/blobs" && find . -type f | sort | xargs sha256sum)" "$(cd "$TMP/copy/blobs" && find . -type f | sort | xargs sha256sum)"
else
  cat "$TMP/copy.log"; fail "skopeo copy from the registry"
fi
"$ROOT/ci/oci" tag "$reg/pitestbed:$tag" latest >"$TMP/tag.log" 2>&1 || cat "$TMP/tag.log"
check_eq "ci/oci tag REF latest (promote): latest is the same index" "$digest" \
  "$(skopeo inspect --tls-verify=false --raw "docker://$reg/pitestbed:latest" | sha256sum | cut -c1-64)"
"$ROOT/ci/oci" push --also-tag also-$$ "$L1" "$reg/other/pitestbed:$tag" >/dev/null
check_eq "push --also-tag into a new repository" "$digest" \
  "$(curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' -o - "http://$reg/v2/other/pitestbed/manifests/also-$$" | sha256sum | cut -c1-64)"
"$ROOT/ci/oci" tag "$reg/pitestbed:no-such-tag" latest >"$TMP/err.out" 2>"$TMP/err.log" || true
check_cmd "a failure is one line with the HTTP status and the registry's answer" \
  bash -c "[ \$(wc -l <'$TMP/err.log') = 1 ] && grep -q 'HTTP 404.*MANIFEST_UNKNOWN' '$TMP/err.log'"
rc=0
"$ROOT/ci/oci" push --retry-seconds 1 "$L1" "127.0.0.1:$(free_port)/pitestbed:x" >"$TMP/noreg.out" 2>"$TMP/noreg.log" || rc=$?
check_cmd "no registry: the push retries, then gives up with one line" \
  bash -c "[ $rc = 1 ] && [ \$(wc -l <'$TMP/noreg.log') = 1 ] && grep -q 'Connection refused (gave up after 1s)' '$TMP/noreg.log'"

# --- containerd -----------------------------------------------------------------------
"$ROOT/ci/oci" archive "$L1" "$TMP/image.tar" >/dev/null
if [ "$(id -u)" != 0 ] || ! command -v containerd >/dev/null || ! command -v ctr >/dev/null || ! command -v runc >/dev/null; then
  echo "note: containerd part skipped: needs root, containerd, ctr and runc"
  finish
fi
C=$TMP/ctd
mkdir -p "$C"
cat >"$C/config.toml" <<TOML
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$C/sock"
[ttrpc]
  address = "$C/sock.ttrpc"
TOML
containerd --config "$C/config.toml" >"$C/log" 2>&1 &
ctd_pid=$!
ctr() { command ctr --address "$C/sock" -n k8s.io "$@"; }
ctd_stop() {
  local t
  for t in $(ctr task ls -q 2>/dev/null); do ctr task kill -s KILL "$t" >/dev/null 2>&1 || true; ctr task rm -f "$t" >/dev/null 2>&1 || true; done
  for t in $(ctr containers ls -q 2>/dev/null); do ctr containers rm "$t" >/dev/null 2>&1 || true; done
  kill "$ctd_pid" 2>/dev/null && wait "$ctd_pid" 2>/dev/null || true
}
trap 'ctd_stop; cleanup' EXIT
for ((i = 0; i < 100; i++)); do ctr version >/dev/null 2>&1 && break; sleep 0.1; done
ctr version >/dev/null 2>&1 || { tail -5 "$C/log"; fail "a private containerd did not start"; finish; }
if ctr images import --all-platforms "$TMP/image.tar" >"$TMP/import.log" 2>&1; then
  ok "ctr -n k8s.io images import of the OCI archive (ci/oci archive)"
else
  cat "$TMP/import.log"; fail "ctr images import"; finish
fi
img=localhost/pitestbed:$tag
check_cmd "imported as $img (io.containerd.image.name)" bash -c "command ctr --address '$C/sock' -n k8s.io images ls -q | grep -qx '$img'"
check_eq "ctr run --rm: /msdemo --version" "msdemo $version" \
  "$(ctr run --rm "$img" "itest-$$-v" /msdemo --version 2>&1)"
check_cmd "ptest in the image" bash -c "command ctr --address '$C/sock' -n k8s.io run --rm '$img' itest-$$-p /ptest --version | grep -q '^ptest '"
mport=$(free_port)
( ctr run --rm --net-host "$img" "itest-$$-s" /msdemo --listen "127.0.0.1:$mport" >"$TMP/ctr-msdemo.log" 2>&1; echo $? >"$TMP/ctr-msdemo.rc" ) &
srv=$!
if wait_http "http://127.0.0.1:$mport/readyz" 20; then
  check_eq "GET / from the container" "Hello World!" "$(curl -s "http://127.0.0.1:$mport/")"
  check_eq "GET /B from the container" "*****BETA*****" "$(curl -s "http://127.0.0.1:$mport/B")"
  check_eq "/healthz, /readyz" "200 200" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/healthz") $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/readyz")"
  pid=$(ctr task ls | awk -v t="itest-$$-s" '$1 == t { print $2 }')
  check_eq "runs as the image's user" "65532 65532" "$(awk '/^Uid:/ { u = $2 } /^Gid:/ { g = $2 } END { print u, g }' "/proc/$pid/status")"
  if ctr task exec --exec-id sh "itest-$$-s" /bin/sh -c true >/dev/null 2>&1; then fail "the image has a shell"; else ok "no shell in the image"; fi
  ctr task kill -s SIGTERM "itest-$$-s" >/dev/null 2>&1 || true
else
  cat "$TMP/ctr-msdemo.log"; fail "msdemo in containerd never answered"
  ctr task kill -s KILL "itest-$$-s" >/dev/null 2>&1 || true
fi
wait "$srv" || true
check_eq "msdemo exits 0 on SIGTERM (drain)" 0 "$(cat "$TMP/ctr-msdemo.rc" 2>/dev/null)"
ctd_stop
trap cleanup EXIT
check_eq "nothing of the private containerd stays mounted" "" "$(grep -F "$C" /proc/self/mountinfo || true)"
finish
