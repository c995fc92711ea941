#!/usr/bin/env bash
# tests/k8s/check-pins.sh - the test cluster's Kubernetes version follows the Pis' k3s pin:
# versions.sh KUBE_VERSION = examples/inventory.yaml k3s_version without +k3sN, and the
# wrapper module requires that k8s.io/kubernetes and maps every staging module to v0.X.Y.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"
k3s=$(sed -n 's/^k3s_version: *\([^ #]*\).*/\1/p' "$here/../../examples/inventory.yaml")
bad=0
[ "${k3s%%+*}" = "$KUBE_VERSION" ] || { echo "k3s_version $k3s in examples/inventory.yaml, KUBE_VERSION $KUBE_VERSION in tests/k8s/versions.sh"; bad=1; }
grep -q "^require k8s.io/kubernetes $KUBE_VERSION\$" "$here/components/go.mod" \
  || { echo "components/go.mod does not require k8s.io/kubernetes $KUBE_VERSION"; bad=1; }
staging="v0.${KUBE_VERSION#v1.}"
other=$(grep -E '^\s+k8s\.io/[a-z-]+ => ' "$here/components/go.mod" | grep -v "=> k8s.io/[a-z-]* $staging\$" || true)
[ -z "$other" ] || { echo "staging modules not at $staging:"; echo "$other"; bad=1; }
[ $bad = 0 ] && echo "pins agree: k3s $k3s, Kubernetes $KUBE_VERSION, staging modules $staging"
exit $bad
