#!/usr/bin/env bash
# deps.sh PURPOSE - installs the Debian packages a purpose needs, only those missing.
#   build : compilers and libraries for `make`
#   demo  : build + what `make demo` runs (curl)
#   test  : everything `make test` uses (clang/libFuzzer, cross compilers + qemu-user,
#           prometheus/promtool, node/npm, xmllint, containerd + CNI plugins + iptables,
#           docker-registry and skopeo for the test cluster, ...), plus the arm sysroots.
#           The test cluster's Kubernetes is built with Go (>= 1.23, not in Debian 12:
#           tests/k8s/build.sh names what is missing).
# Uses sudo when not root. Safe to run repeatedly: a no-op when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

purpose=${1:-build}
pkgs_build="make gcc libc6-dev pkg-config libyaml-dev libjansson-dev libexpat1-dev libssl-dev zlib1g-dev libcmocka-dev liburing-dev git"
pkgs_demo="curl procps python3"
pkgs_test="clang libclang-rt-14-dev llvm gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
  libc6-dev-arm64-cross libc6-dev-armhf-cross qemu-user-static prometheus curl procps
  libxml2-utils nodejs npm iproute2 python3 cloud-init chromium default-jre-headless
  containerd runc containernetworking-plugins iptables openssl util-linux docker-registry
  skopeo debootstrap nginx-light clang-format"

case "$purpose" in
  build) want="$pkgs_build" ;;
  demo)  want="$pkgs_build $pkgs_demo" ;;
  test)  want="$pkgs_build $pkgs_demo $pkgs_test" ;;
  *) echo "usage: $0 build|demo|test" >&2; exit 2 ;;
esac

missing=()
for p in $want; do
  # dpkg-query prints "install ok installed" for a present package.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    # node may come from outside Debian (nodesource, nvm): accept a working binary.
    case "$p" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
    esac
    missing+=("$p")
  fi
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update -qq || echo "deps: apt-get update reported errors; trying the install anyway" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$purpose" = test ]; then
  scripts/sysroot.sh aarch64-linux-gnu arm64
  scripts/sysroot.sh arm-linux-gnueabihf armhf
fi
