# tests/k8s/agent.sh - the Jenkins agent pod in the test cluster (sourced by suite.sh).
# shellcheck shell=bash
#
# The pod is deploy/platform/jenkins/agent-pod.yaml, the very template JCasC gives the
# Kubernetes plugin, minus its jnlp container (Jenkins cannot run here). Its build container
# runs each stage as the plugin's `sh` step would: `kubectl exec` into it, in the workspace.
# The image is ci/agent-image's (debootstrap + ci/oci, cached per tag on the machine),
# pushed to the in-cluster registry and pulled from it by containerd like any other.
# The workspace is the repository's files (tracked and new, as a checkout of this tree
# would have them); BRANCH_NAME and GIT_COMMIT are set as Jenkins sets them.
AGENT_NS=jenkins
AGENT_POD=pitestbed-agent-suite
AGENT_WS=/home/jenkins/agent/workspace/pitestbed

agent_exec() { ptk_kubectl -n "$AGENT_NS" exec -i "$AGENT_POD" -c build -- "$@"; }

# agent_up LOG: image built (cached), pushed, pod Running, workspace filled. Returns 1 on
# failure with the reason in LOG.
agent_up() {
  local log=$1 tag layout pod
  {
    tag=$("$PTK_ROOT/ci/agent-image" --print-tag) || return 1
    "$PTK_ROOT/ci/agent-image" --kubectl "$PTK_BIN/kubectl" --out "$W/agent" || return 1
    layout=$W/agent/oci
    [ -d "$layout" ] || { echo "no agent image layout in $layout"; return 1; }
    "$PTK_HERE/cluster" exec "$PTK_ROOT/ci/oci" push --ref-name "$tag" "$layout" \
      "registry.registry.svc.cluster.local:5000/pitestbed-agent:$tag" || return 1
    # The template without jnlp, named, as a JSON object the API takes.
    pod=$(ptk_kubectl create --dry-run=client -o json -f "$PTK_ROOT/deploy/platform/jenkins/agent-pod.yaml" \
      | python3 -c '
import json, sys
p = json.load(sys.stdin)
p["metadata"]["name"] = sys.argv[1]
p["metadata"]["namespace"] = "jenkins"
p["spec"]["containers"] = [c for c in p["spec"]["containers"] if c["name"] != "jnlp"]
print(json.dumps(p))' "$AGENT_POD") || return 1
    ptk_kubectl -n "$AGENT_NS" delete pod "$AGENT_POD" --ignore-not-found --wait >/dev/null
    printf '%s' "$pod" | ptk_kubectl apply -f - || return 1
    ptk_kubectl -n "$AGENT_NS" wait --for=condition=Ready "pod/$AGENT_POD" --timeout=300s \
      || { ptk_kubectl -n "$AGENT_NS" describe pod "$AGENT_POD" | tail -20; return 1; }
    agent_exec mkdir -p "$AGENT_WS" || return 1
    (cd "$PTK_ROOT" && git ls-files -z -c -o --exclude-standard | tar --null -T - -cf -) \
      | agent_exec tar -xf - -C "$AGENT_WS" || return 1
  } >"$log" 2>&1
}

# agent_stage NAME ARGS...: ci/NAME in the build container, the environment a Jenkins build
# of this commit would have; then the workspace's out/ is copied back into $W/out for the
# checks. Returns the stage's exit code.
agent_stage() {
  local name=$1 rc; shift
  agent_exec env PITESTBED_BUILD_ID="$BUILD_ID" BRANCH_NAME=main GIT_COMMIT="$AGENT_COMMIT" \
    PERFTEST_DURATION="$PERFTEST_DURATION" SLOW="${SLOW:-}" UNIT="${UNIT:-1}" JOBS="${JOBS:-2}" \
    IMAGE_PLATFORMS="${IMAGE_PLATFORMS:-}" \
    bash -c 'cd "$0" && exec "ci/$1" "${@:2}"' "$AGENT_WS" "$name" "$@"
  rc=$?
  rm -rf "$W/out"
  agent_exec tar -cf - -C "$AGENT_WS" out | tar -xf - -C "$W" 2>/dev/null
  return $rc
}
