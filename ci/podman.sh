# ci/podman.sh - podman set up for this kind of host (sourced, not run): a containers.conf
# shellcheck shell=bash
# under $BUILD that selects runc, explicit nofile/nproc ulimits, cgroupfs and file event
# logging (no systemd in a CI container). CONTAINERS_CONF points at it; /etc is untouched.
# Needs: podman (Debian packages podman, buildah, runc; uidmap for rootless users).
command -v podman >/dev/null 2>&1 || { echo "ci: podman missing (scripts/deps.sh test installs it)" >&2; exit 1; }
# The ulimits stay within this shell's hard limits: runc fails to start a container asking for
# more than the host allows ("error setting rlimit ... operation not permitted").
# nofile: the hard limit, at most 65536. nproc: 4096, well below any host's (runc was
# refused even a value equal to this host's hard limit); msdemo runs a few threads.
ci_nofile=$(ulimit -Hn)
if [ "$ci_nofile" = unlimited ] || [ "$ci_nofile" -gt 65536 ]; then ci_nofile=65536; fi
ci_nproc=4096
mkdir -p "$BUILD/containers"
cat >"$BUILD/containers/containers.conf" <<CONF
# Written by ci/podman.sh.
[containers]
default_ulimits = ["nofile=$ci_nofile:$ci_nofile", "nproc=$ci_nproc:$ci_nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF=$BUILD/containers/containers.conf
