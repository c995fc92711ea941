#!/usr/bin/env bash
# tests/k8s/node.sh I - one node of the test cluster, started by `tests/k8s/cluster up`
# inside the node's network namespace and a mount namespace of its own (so every mount
# containerd and the kubelet make - overlay roots, volumes - disappears with the node).
# Runs containerd, imports the locally built images, then the kubelet and kube-proxy;
# waits for them and stops them all when it gets SIGTERM.
# shellcheck source=tests/k8s/lib.sh
. "$(dirname "$0")/lib.sh"
set -euo pipefail
i=$1
name=$(ptk_node_name "$i")
ip=$(ptk_node_ip "$i")
N=$PTK_DIR/nodes/$name
PTK_BIN=$(cat "$PTK_DIR/bin.path")
# Private /run/containerd: the shims put their sockets in /run/containerd/s; a tmpfs of
# the node's own keeps them apart from any other containerd on the machine.
mkdir -p /run/containerd
mount -t tmpfs -o mode=0711 ptk-run /run/containerd
# The same for two paths the kubelet and containerd use whatever their configuration says:
# the kubelet's device-plugin and pod-resources sockets (/var/lib/kubelet/...; two kubelets
# would fight over one socket) and the pods' network namespace files (/run/netns/cni-*,
# which would outlive the node on the host). `cluster up` made the mount points.
mount -t tmpfs -o mode=0755 ptk-kubelet /var/lib/kubelet
mount -t tmpfs -o mode=0755 ptk-netns /run/netns
ptk_cgroup_join "$name/system"

pids=()
stop() {
  trap - TERM INT
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait
  exit 0
}
trap stop TERM INT

containerd --config "$N/containerd.toml" >"$N/containerd.log" 2>&1 &
pids+=($!)
for ((t = 0; t < 200; t++)); do
  [ -S "$N/containerd.sock" ] && ctr --address "$N/containerd.sock" version >/dev/null 2>&1 && break
  sleep 0.1
done
for tar in "$PTK_DIR"/images/*.tar; do
  ctr --address "$N/containerd.sock" -n k8s.io images import --all-platforms "$tar" >>"$N/import.log" 2>&1 \
    || { echo "node $name: ctr import $tar failed" >&2; cat "$N/import.log" >&2; stop; }
done

"$PTK_BIN/kubelet" --config "$N/kubelet.yaml" --kubeconfig "$PTK_DIR/pki/kubelet-$name.kubeconfig" \
  --root-dir "$N/kubelet" --hostname-override "$name" --node-ip "$ip" \
  --node-labels "$(cat "$N/labels")" --v=1 >"$N/kubelet.log" 2>&1 &
pids+=($!)
"$PTK_BIN/kube-proxy" --config "$N/kube-proxy.yaml" --v=1 >"$N/kube-proxy.log" 2>&1 &
pids+=($!)
echo ready >"$N/launcher.ready"
wait -n "${pids[@]}" || true
echo "node $name: a component exited (see $N/*.log)" >&2
stop
