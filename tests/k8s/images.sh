#!/usr/bin/env bash
# images.sh OUTDIR - the test cluster's two helper images, built without a container engine
# (ci/oci, the same tool as the pitestbed image), for the host's architecture only:
#
#   localhost/pause:pitestbed         OUTDIR/pause.tar     tests/k8s/pause.c, static
#   localhost/registry:2.8-debian     OUTDIR/registry.tar  Debian's docker-registry
#
# Both tars are OCI archives for `ctr -n k8s.io images import OUTDIR/NAME.tar`; each names
# its image (io.containerd.image.name), so no --base-name is needed. Prints "REF TAR" per
# image. Idempotent: when nothing that goes in changed (sources, ci/oci, the registry
# binary and its libraries, the compiler), the tars are kept as they are; a rebuild gives
# the same bytes anyway (SOURCE_DATE_EPOCH=0, reproducible layers).
#
# The registry image: /usr/bin/docker-registry (package docker-registry, 2.8) plus exactly
# the shared libraries `ldd` lists and the dynamic loader, at their paths; its config
# /etc/docker/registry/config.yml (filesystem storage in /var/lib/registry, owned by the
# image's user, HTTP on :5000, deletes enabled); USER 1000:1000; entrypoint the registry,
# command `serve /etc/docker/registry/config.yml`.
# The pause image: /pause (CC, default cc, static), USER 65535:65535, entrypoint /pause.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
oci=$root/ci/oci
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
CC=${CC:-cc}
registry_bin=/usr/bin/docker-registry
pause_ref=localhost/pause:pitestbed
registry_ref=localhost/registry:2.8-debian

case $(uname -m) in
  x86_64) platform=linux/amd64 ;;
  aarch64|arm64) platform=linux/arm64 ;;
  armv7l|armv8l) platform=linux/arm/v7 ;;
  *) echo "images.sh: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
[ -x "$registry_bin" ] || { echo "images.sh: $registry_bin missing (Debian package docker-registry)" >&2; exit 1; }

# The files the registry binary loads: "name => /path (addr)" and "/path (addr)" lines of
# ldd (the vDSO has no file).
libs=$(ldd "$registry_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
[ -n "$libs" ] || { echo "images.sh: ldd lists no libraries for $registry_bin" >&2; exit 1; }

key=$( {
  echo "$platform $pause_ref $registry_ref"
  "$CC" --version | head -1
  cat "$here/pause.c" "$here/images.sh" "$oci"
  sha256sum "$registry_bin" $(readlink -f $libs)
} | sha256sum | cut -c1-64)
if [ -f "$out/pause.tar" ] && [ -f "$out/registry.tar" ] && [ "$(cat "$out/.images.key" 2>/dev/null)" = "$key" ]; then
  echo "$pause_ref $out/pause.tar"
  echo "$registry_ref $out/registry.tar"
  exit 0
fi

work=$(mktemp -d "$out/.images.XXXXXX")
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=0

# pause
mkdir -p "$work/pause-root"
"$CC" -std=c11 -Wall -Wextra -Wshadow -Wpedantic -O2 -static -s -o "$work/pause-root/pause" "$here/pause.c"
chmod 0755 "$work/pause-root/pause"
"$oci" build --out "$work/pause" --tag pitestbed --name "$pause_ref" --platform "$platform=$work/pause-root" \
  --entrypoint '["/pause"]' --user 65535:65535 \
  --label org.opencontainers.image.title=pause \
  --label "org.opencontainers.image.description=pitestbed's pod sandbox (tests/k8s/pause.c)" >&2
"$oci" archive "$work/pause" "$out/pause.tar.tmp" >&2

# registry
r=$work/registry-root
install -D -m 0755 "$registry_bin" "$r$registry_bin"
for l in $libs; do
  install -D -m 0755 "$(readlink -f "$l")" "$r$l"
done
mkdir -p "$r/etc/docker/registry" "$r/var/lib/registry"
cat >"$r/etc/docker/registry/config.yml" <<'YAML'
# The test cluster's registry (tests/k8s/images.sh): plain HTTP, no authentication.
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
YAML
chmod 0644 "$r/etc/docker/registry/config.yml"
find "$r" -type d -exec chmod 0755 {} +    # the same modes whatever the umask
version=$("$registry_bin" --version | awk '{ print $3 }')
"$oci" build --out "$work/registry" --tag 2.8-debian --name "$registry_ref" --platform "$platform=$r" \
  --gzip-level 6 --chown var/lib/registry=1000:1000 \
  --entrypoint "[\"$registry_bin\"]" --cmd '["serve", "/etc/docker/registry/config.yml"]' \
  --user 1000:1000 --expose 5000/tcp \
  --label org.opencontainers.image.title=registry \
  --label "org.opencontainers.image.description=Debian's docker-registry for the pitestbed test cluster" \
  --label "org.opencontainers.image.version=$version" >&2
"$oci" archive "$work/registry" "$out/registry.tar.tmp" >&2

mv "$out/pause.tar.tmp" "$out/pause.tar"
mv "$out/registry.tar.tmp" "$out/registry.tar"
echo "$key" >"$out/.images.key"
echo "$pause_ref $out/pause.tar"
echo "$registry_ref $out/registry.tar"
