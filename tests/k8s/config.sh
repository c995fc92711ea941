# tests/k8s/config.sh - per-node configuration files of the test cluster (sourced by
# tests/k8s/cluster): containerd, CNI, kubelet, kube-proxy.
# shellcheck shell=bash

ptk_node_config() { # I
  local i=$1 name ip N subnet
  name=$(ptk_node_name "$i"); ip=$(ptk_node_ip "$i"); N=$PTK_DIR/nodes/$name
  subnet=10.244.$i.0/24
  mkdir -p "$N"/{containerd,cni,kubelet,pod-logs,certs.d/registry.pitestbed.local:5000}
  # The registry name the manifests use resolves to the in-cluster registry's NodePort on
  # the node itself, as picluster's registries.yaml does on the Pis.
  cat >"$N/certs.d/registry.pitestbed.local:5000/hosts.toml" <<T
server = "http://registry.pitestbed.local:5000"
[host."http://$ip:30500"]
  capabilities = ["pull", "resolve"]
T
  cat >"$N/containerd.toml" <<T
version = 2
root = "$N/containerd/root"
state = "$N/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$N/containerd.sock"
[ttrpc]
  address = "$N/containerd.sock.ttrpc"
[debug]
  address = "$N/containerd-debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$N/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PTK_PAUSE_REF"
  stream_server_address = "127.0.0.1"
  enable_unprivileged_ports = true
  # This machine withholds CAP_SYS_RESOURCE even from root, so no process may lower its
  # oom_score_adj (the CRI gives sandboxes -998): clamp to containerd's own instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "${PTK_RUNC:-runc}"
        Root = "$N/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$N/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$N/certs.d"
T
  cat >"$N/cni/10-ptk.conflist" <<T
{
  "cniVersion": "1.0.0",
  "name": "ptk",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$subnet"}]],
              "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$N/cni-ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
T
  printf 'nameserver %s\nsearch cluster.local\n' "$PTK_DNS_IP" >"$N/resolv.conf"
  cat >"$N/kubelet.yaml" <<T
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PTK_DIR/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PTK_DIR/pki/kubelet-$name.crt
tlsPrivateKeyFile: $PTK_DIR/pki/kubelet-$name.key
containerRuntimeEndpoint: unix://$N/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: /$name
cgroupsPerQOS: true
failSwapOn: false
clusterDomain: cluster.local
clusterDNS: [$PTK_DNS_IP]
resolvConf: $N/resolv.conf
podLogsDir: $N/pod-logs
serializeImagePulls: false
# Both nodes share one disk: eviction on disk pressure would evict the cluster's own pods
# because of the rest of the machine.
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: 60
T
  cat >"$N/kube-proxy.yaml" <<T
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $PTK_DIR/pki/kube-proxy.kubeconfig
mode: iptables
clusterCIDR: $PTK_POD_CIDR
hostnameOverride: $name
bindAddress: $ip
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# 0: leave the (machine-wide) conntrack table settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
T
  # Node 1 plays the Pi cluster's "infra" node, the others the load generators'.
  if [ "$i" = 1 ]; then echo pitestbed.io/pool=infra; else echo pitestbed.io/pool=loadgen; fi >"$N/labels"
}
