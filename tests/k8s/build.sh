#!/usr/bin/env bash
# Build the test cluster's components from the Go module proxy, once per version.
#
#   tests/k8s/build.sh            build into the cache if missing, print the bin folder
#   tests/k8s/build.sh --force    rebuild
#
# Cache: ${PITESTBED_CACHE:-/var/cache/pitestbed}/k8s/<KUBE_VERSION>-<recipe hash>/bin,
# outside the repo so that a clean checkout starts warm. The hash covers versions.sh and the
# wrapper module, so changing a pin (or the recipe) builds a new folder, never a mix.
# Cold: ~25 min on 2 cores (mostly kube-apiserver and kubelet); warm: instant.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"

force=0
[ "${1:-}" = --force ] && force=1

hash=$(cat "$here/versions.sh" "$here/build.sh" "$here/components/go.mod" "$here/components/go.sum" \
       | sha256sum | cut -c1-12)
cache=${PITESTBED_CACHE:-/var/cache/pitestbed}/k8s/$KUBE_VERSION-$hash
bin=$cache/bin
want="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kine coredns"

complete() { for b in $want; do [ -x "$bin/$b" ] || return 1; done; }
if [ $force = 0 ] && complete; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "build.sh: go is not installed (the Go toolchain builds the test cluster)" >&2; exit 1; }
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9                      # two builds of one version wait for each other
if [ $force = 0 ] && complete; then echo "$bin"; exit 0; fi
tmp=$cache/bin.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
log=$cache/build.log
: >"$log"
t0=$(date +%s)

# Upstream's version stamp (hack/lib/version.sh): both version packages, same values.
minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ldx=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldx+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitCommit=$KUBE_COMMIT"
  ldx+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  ldx+=" -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
done

echo "build.sh: building Kubernetes $KUBE_VERSION, kine $KINE_VERSION, CoreDNS $COREDNS_VERSION into $bin (log: $log)" >&2
(
  cd "$here/components"
  CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w$ldx" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl
) >>"$log" 2>&1 || { tail -30 "$log" >&2; echo "build.sh: Kubernetes build failed (log: $log)" >&2; exit 1; }
# kine and CoreDNS have no replace directives: plain go install of the tagged modules.
# kine's SQLite driver is cgo (mattn/go-sqlite3), as in k3s.
GOBIN=$tmp CGO_ENABLED=1 GOFLAGS= go install -trimpath -ldflags "-s -w" \
  "github.com/k3s-io/kine@$KINE_VERSION" >>"$log" 2>&1 \
  || { tail -30 "$log" >&2; echo "build.sh: kine build failed (log: $log)" >&2; exit 1; }
GOBIN=$tmp CGO_ENABLED=0 GOFLAGS= go install -trimpath -ldflags "-s -w" \
  "github.com/coredns/coredns@$COREDNS_VERSION" >>"$log" 2>&1 \
  || { tail -30 "$log" >&2; echo "build.sh: CoreDNS build failed (log: $log)" >&2; exit 1; }

rm -rf "$bin" && mv "$tmp" "$bin"
echo "build.sh: built in $(( $(date +%s) - t0 )) s" >&2
echo "$bin"
