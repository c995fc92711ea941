#!/usr/bin/env bash
# sysroot.sh TRIPLE DEBARCH - unpacks the Debian arm packages of our libraries
# (libyaml, jansson, expat, OpenSSL, zlib, cmocka, liburing) into build/sysroot/TRIPLE for cross builds.
#
# Why not multiarch (apt-get install libyaml-dev:arm64)? It drags in libc6-dev:arm64 and
# has to match the host's exact versions of every shared package; one mirror hiccup on
# the armhf index leaves apt with "held broken packages". `apt-get download` + `dpkg -x`
# needs only the package index and touches nothing on the host.
set -euo pipefail
cd "$(dirname "$0")/.."
triple=$1 arch=$2
root=build/sysroot/$triple
pkgs="libyaml-dev libyaml-0-2 libjansson-dev libjansson4 libexpat1-dev libexpat1 libssl-dev libssl3 zlib1g-dev zlib1g libcmocka-dev libcmocka0 liburing-dev liburing2"
stamp=$root/.complete
# Up to date when the stamp lists exactly these packages.
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pkgs" ] && exit 0
rm -rf "$root"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
  $SUDO dpkg --add-architecture "$arch"
  $SUDO apt-get update -qq || true
fi

dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
( cd "$dl" && apt-get download $(for p in $pkgs; do printf '%s:%s ' "$p" "$arch"; done) >/dev/null 2>&1 ) || {
  # The index for a freshly added architecture may be missing: update once and retry.
  $SUDO apt-get update -qq || true
  ( cd "$dl" && chmod 777 . && apt-get download $(for p in $pkgs; do printf '%s:%s ' "$p" "$arch"; done) >/dev/null )
}
mkdir -p "$root"
for deb in "$dl"/*.deb; do dpkg -x "$deb" "$root"; done
echo "$pkgs" >"$stamp"
echo "sysroot: $root ready"
