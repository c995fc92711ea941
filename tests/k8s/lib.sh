# tests/k8s/lib.sh - the test cluster's layout, shared by tests/k8s/cluster and the k8s
# suite (sourced, not run).
# shellcheck shell=bash
#
# Network (all inside namespaces this file names; nothing routes to or from the host):
#   ptk-cp      control plane: kine, kube-apiserver, controller-manager, scheduler, and the
#               "LAN" bridge ptk-br (10.77.0.1/24) every other namespace is plugged into
#   ptk-nI      node I (I = 1..PTK_NODES): containerd + kubelet + kube-proxy, 10.77.0.(10+I),
#               pods on its cni0 bridge in 10.244.I.0/24 (static routes between nodes,
#               flannel host-gw style)
#   ptk-agent   where the pipeline's stages run, as a Jenkins agent pod would: 10.77.0.100,
#               cluster DNS in its resolv.conf, Services routed through node 1's kube-proxy
# Services 10.96.0.0/16 (API 10.96.0.1, DNS 10.96.0.10). The host reaches only the API
# server, through a forwarder on 127.0.0.1 (tests/k8s/apiforward.py).
PTK_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PTK_ROOT=$(cd "$PTK_HERE/../.." && pwd)
# shellcheck source=tests/k8s/versions.sh
. "$PTK_HERE/versions.sh"
PTK_DIR=${PTK_DIR:-/run/pitestbed-k8s}          # state: pki, configs, data, logs
PTK_NODES=${PTK_NODES:-2}
PTK_API_PORT=${PTK_API_PORT:-16443}              # host forwarder, 127.0.0.1 only
PTK_LAN=10.77.0
PTK_CP_IP=$PTK_LAN.1
PTK_AGENT_IP=$PTK_LAN.100
PTK_POD_CIDR=10.244.0.0/16
PTK_SVC_CIDR=10.96.0.0/16
PTK_DNS_IP=10.96.0.10
PTK_PAUSE_REF=localhost/pause:pitestbed
# Sysctls the kubelet sets on the (shared) kernel at start; saved by up, restored by down.
PTK_SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes"

ptk_node_ip() { echo "$PTK_LAN.$((10 + $1))"; }
ptk_node_name() { echo "ptk-n$1"; }
ptk_log() { printf 'cluster: %s\n' "$*" >&2; }
ptk_die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

# ptk_in NS CMD...: CMD in network namespace NS only (nsenter keeps the host's /sys and
# /etc, unlike `ip netns exec`, which remounts /sys and hides the cgroup mounts).
ptk_in() { local ns=$1; shift; nsenter --net="/run/netns/$ns" -- "$@"; }

# ptk_kubectl ARGS...: the admin kubectl, from the control plane's namespace.
ptk_kubectl() {
  ptk_in ptk-cp "$PTK_BIN/kubectl" --kubeconfig "$PTK_DIR/pki/admin.kubeconfig" "$@"
}

# ptk_cgroup_pids NAME: every process in cgroup NAME and below (pids hierarchy, v1).
ptk_cgroup_pids() {
  local d=/sys/fs/cgroup/pids/$1
  [ -d "$d" ] || return 0
  find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
}

# ptk_cgroup_join NAME: moves this shell into cgroup NAME in every v1 hierarchy, so all
# it starts (and all they start) is found, and killed, by NAME.
ptk_cgroup_join() {
  local h d part
  for h in /sys/fs/cgroup/*/; do
    h=${h%/}
    case $(basename "$h") in unified) continue ;; esac
    [ -f "$h/cgroup.procs" ] || continue
    d=$h
    for part in ${1//\// }; do
      d=$d/$part
      mkdir -p "$d"
      # A new v1 cpuset starts empty and accepts no process: inherit the parent's.
      if [ -f "$d/cpuset.cpus" ] && [ -z "$(cat "$d/cpuset.cpus")" ]; then
        cat "$(dirname "$d")/cpuset.cpus" >"$d/cpuset.cpus"
        cat "$(dirname "$d")/cpuset.mems" >"$d/cpuset.mems"
      fi
    done
    echo $$ >"$d/cgroup.procs"
  done
}
