# Pinned versions of the test cluster's components (sourced by tests/k8s/*).
# KUBE_VERSION follows the Pis' k3s pin in examples/inventory.yaml (k3s_version, without
# the +k3sN suffix); components/go.mod maps the staging modules to the matching v0.X.
# tests/k8s/check-pins.sh (run by the k8s suite) fails when the three drift apart.
KUBE_VERSION=v1.32.5
KUBE_COMMIT=9894294ef13a5b32803e3ca2c0d620a088cc84d1   # upstream tag v1.32.5
KINE_VERSION=v0.13.14                                    # SQLite datastore, as k3s uses
COREDNS_VERSION=v1.12.1                                  # k3s v1.32 ships CoreDNS 1.12
