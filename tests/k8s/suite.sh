#!/usr/bin/env bash
# tests/k8s/suite.sh - the pipeline's k8s mode end to end on the repo's real test cluster
# (tests/k8s/cluster: official Kubernetes components, containerd nodes in network
# namespaces). `tests/run.sh k8s` runs it; one line per check.
#
#  1. the cluster: >= 2 Ready nodes of the pinned version; the pins agree
#  2. the platform: namespaces, RBAC and the registry applied for real; all of
#     deploy/platform judged by the API server (--dry-run=server); the jenkins
#     ServiceAccount's rights (kubectl auth can-i)
#  3. build k1, as the Jenkins agent runs it (agent namespace, jenkins ServiceAccount
#     token): build, image, publish, deploy, smoke, perftest, analyze, promote, reclaim;
#     PT pods and workers on >= 2 nodes, merged counts = what the PT pods served, the
#     image pulled from the in-cluster registry, stage on its NodePort, nothing left
#  4. build k2 with SLOW=B: the gate fails, nothing is promoted, stage keeps k1
#  5. faults in build k3: a worker pod and a PT pod deleted mid-run are reported, the
#     run ends within its bound, reclaim cleans up; an unreachable API server is one
#     clear line and exit 2
#  6. the cluster goes down and leaves nothing behind
# Resource use of msdemo, the workers and the collector during k1's perftest (the
# kubelets' /stats/summary) goes to build/test-logs/k8s-resources.txt.
# Environment: PTK_KEEP=1 leaves the cluster up at the end; PERFTEST_DURATION (default 20s,
# long enough for the kubelet to refresh the pods' figures at least once).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
source "$here/../integration/lib.sh"
# shellcheck source=tests/k8s/lib.sh
source "$here/lib.sh"
# shellcheck source=tests/k8s/agent.sh
source "$here/agent.sh"
set +e
CLUSTER=$here/cluster
LOGS=$ROOT/build/test-logs
mkdir -p "$LOGS"
W=$ROOT/build/k8s-suite                  # the agent's workspace: out/, build/
rm -rf "$W/out"
mkdir -p "$W"
export PERFTEST_DURATION=${PERFTEST_DURATION:-20s}
started_cluster=0

step() { printf '\n== %s\n' "$*"; }
# must NAME CMD...: a check whose failure makes the rest meaningless: stop here.
must() {
  local what=$1; shift
  if "$@"; then ok "$what"; else fail "$what"; teardown; finish; exit 1; fi
}
teardown() {
  [ -z "${sampler:-}" ] || kill "$sampler" 2>/dev/null
  if [ $started_cluster = 1 ] && [ "${PTK_KEEP:-0}" != 1 ]; then
    step "cluster down"
    if PTK_KEEP_LOGS=$LOGS/k8s-cluster "$CLUSTER" down >"$TMP/down.log" 2>&1; then
      ok "cluster down: $(tail -n 1 "$TMP/down.log")"
    else
      fail "cluster down left something behind:"; sed 's/^/      | /' "$TMP/down.log"
    fi
  fi
}
K() { ptk_kubectl "$@"; }                 # admin, for the checks
ci_image_ref_of() { echo "registry.pitestbed.local:5000/pitestbed:$1"; }
# stage NAME ARGS...: one pipeline stage where Jenkins would run it: in the agent pod's
# build container (tests/k8s/agent.sh; PTK_AGENT=netns: in the agent network namespace
# with the jenkins ServiceAccount's token instead). Output in $W/logs/ID-NAME.log (shown on
# failure); returns the stage's exit code.
stage() {
  local name=$1 log; shift
  log=$W/logs/$BUILD_ID-$name.log
  mkdir -p "$W/logs"
  if [ "${PTK_AGENT:-pod}" = pod ]; then
    agent_stage "$name" "$@" >"$log" 2>&1
    local prc=$?
    echo "$prc" >"$log.rc"
    return $prc
  fi
  KUBECONFIG_AGENT=$W/jenkins.kubeconfig "$CLUSTER" exec env PITESTBED_MODE=k8s \
    OUT="$W/out" BUILD="$W/build" PITESTBED_BUILD_ID="$BUILD_ID" \
    PUSH_REGISTRY=registry.registry.svc.cluster.local:5000 PERFTEST_DURATION="$PERFTEST_DURATION" \
    IMAGE_PLATFORMS="${IMAGE_PLATFORMS:-}" SLOW="${SLOW:-}" JOBS="${JOBS:-2}" UNIT="${UNIT:-1}" \
    "$ROOT/ci/$name" "$@" >"$log" 2>&1
  local rc=$?
  echo "$rc" >"$log.rc"
  return $rc
}
must_stage() { stage_ok "$@" || { teardown; finish; exit 1; }; }
stage_ok() { # NAME ARGS...
  local name=$1
  if stage "$@"; then ok "[$BUILD_ID] ci/$name${2:+ ${*:2}}"
  else fail "[$BUILD_ID] ci/$name${2:+ ${*:2}} (exit $(cat "$W/logs/$BUILD_ID-$name.log.rc"))"
       tail -n 25 "$W/logs/$BUILD_ID-$name.log" | sed 's/^/      | /'; return 1; fi
}
# nodes_of NS SELECTOR: the distinct nodes the matching pods run on
nodes_of() { K -n "$1" get pods -l "$2" -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u | grep -c .; }
# labelled ID: every object left with the build's label
labelled() {
  K get deployments,replicasets,pods,services,configmaps,jobs -A -l "pitestbed.io/build=$1" -o name 2>&1
}
# served NS SELECTOR: "PATH COUNT" summed over the pods' msdemo /metrics (via the API)
served() {
  local p
  for p in $(K -n "$1" get pods -l "$2" -o jsonpath='{.items[*].metadata.name}'); do
    K get --raw "/api/v1/namespaces/$1/pods/$p:8080/proxy/metrics"
  done | python3 -c '
import re, sys, collections
c = collections.Counter()
for line in sys.stdin:
    m = re.match(r"msdemo_requests_total\{([^}]*)\} (\S+)", line)
    if not m: continue
    labels = dict(re.findall(r"(\w+)=\"([^\"]*)\"", m.group(1)))
    c[labels.get("path", "?")] += int(float(m.group(2)))
for k in sorted(c): print(k, c[k])'
}
# merged_counts RESULTS.JSON: "LABEL COUNT" of the merged run
merged_counts() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
labels = d.get("labels") or d.get("stats", {}).get("labels") or {}
if isinstance(labels, dict): labels = [dict(v, label=k) for k, v in labels.items()]
for l in sorted(labels, key=lambda x: x.get("label", x.get("name", ""))):
    print(l.get("label", l.get("name")), l.get("count", l.get("requests")))' "$1"
}

# --- 1. the cluster ---------------------------------------------------------------------
step "cluster"
check_cmd "pins: KUBE_VERSION $KUBE_VERSION = the Pis' k3s_version, staging modules v0.${KUBE_VERSION#v1.}" \
  "$here/check-pins.sh"
if ! "$CLUSTER" status >/dev/null 2>&1; then
  t0=$(date +%s)
  if "$CLUSTER" up >"$TMP/up.log" 2>&1; then
    started_cluster=1
    ok "cluster up in $(( $(date +%s) - t0 )) s ($(grep -o 'up in [0-9]* s.*' "$TMP/up.log" | head -1))"
  else
    fail "cluster up"; tail -n 40 "$TMP/up.log" | sed 's/^/      | /'
    started_cluster=1; teardown; finish; exit 1
  fi
else
  ok "cluster already up (left running by hand)"
fi
PTK_BIN=$(cat "$PTK_DIR/bin.path")
eval "$("$CLUSTER" env | grep '^KUBECONFIG=')"
export KUBECONFIG
ready=$("$PTK_BIN/kubectl" get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{.status.nodeInfo.kubeletVersion}{"\n"}{end}')
check_cmd "kubectl get nodes on the host: >= 2 Ready nodes of $KUBE_VERSION" \
  test "$(printf '%s\n' "$ready" | grep -c "^True $KUBE_VERSION$")" -ge 2
check_eq "API server version" "$KUBE_VERSION" \
  "$("$PTK_BIN/kubectl" version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')"
# The host has a route to nothing of the cluster but the API forwarder: no interface in the
# LAN, pod or Service ranges, no route through a cluster interface, no cluster DNS.
check_cmd "the host has no interface or route into the cluster's networks" bash -c \
  "! ip -4 addr | grep -q ' 10\.\(77\|244\|96\)\.' && ! ip route get 10.244.1.2 | grep -q 'cni0\|ptk' \
   && ! ip route get 10.96.0.10 | grep -q 'cni0\|ptk' && ! getent hosts kube-dns.kube-system.svc.cluster.local"
check_cmd "cluster DNS resolves a Service name in the agent namespace" \
  "$CLUSTER" exec getent hosts kubernetes.default.svc.cluster.local

# --- 2. the platform --------------------------------------------------------------------
step "platform"
K kustomize --load-restrictor LoadRestrictionsNone "$here/platform" >"$TMP/platform-real.yaml"
must "deploy/platform: namespaces, RBAC, registry applied for real" \
  K apply -f "$TMP/platform-real.yaml" -o name
sed -e "s|@NODE@|ptk-n1|" -e "s|@DIR@|$PTK_DIR/nodes/ptk-n1/volumes/registry|" "$here/manifests/storage.yaml" >"$TMP/storage.yaml"
mkdir -p "$PTK_DIR/nodes/ptk-n1/volumes/registry"
must "local-path storage class and the registry's volume" K apply -f "$TMP/storage.yaml" -o name
K kustomize "$ROOT/deploy/platform" >"$TMP/platform.yaml"
if K apply --dry-run=server -f "$TMP/platform.yaml" -o name >"$TMP/dry.log" 2>&1; then
  ok "all of deploy/platform accepted by the API server (--dry-run=server: $(grep -c . "$TMP/dry.log") objects)"
else
  fail "deploy/platform --dry-run=server"; sed 's/^/      | /' "$TMP/dry.log" | tail -20
fi
must "registry rollout" K -n registry rollout status deployment/registry --timeout=180s
# The jenkins ServiceAccount: what the stages need, and nothing more.
sa=system:serviceaccount:jenkins:jenkins
can() { [ "$(K auth can-i --as=$sa "$@" 2>/dev/null)" = yes ]; }
for ns in demo-qa demo-pt demo-stage; do
  for r in "create deployments.apps" "patch deployments.apps" "delete deployments.apps" "watch replicasets.apps" \
           "create services" "create configmaps" "delete pods" "get pods --subresource=log" \
           "get services --subresource=proxy" "create services --subresource=proxy" "create jobs.batch"; do
    # shellcheck disable=SC2086
    can $r -n $ns || { fail "jenkins may $r in $ns"; continue 2; }
  done
  ok "jenkins has the stages' rights in $ns"
done
check_cmd "jenkins may create its agent pods in jenkins" can create pods -n jenkins
denied=""
for q in "create namespaces" "list nodes" "get secrets -n kube-system" "create deployments.apps -n kube-system" \
         "create deployments.apps -n default" "get secrets -n demo-pt" "create pods --subresource=exec -n demo-pt" \
         "create clusterrolebindings.rbac.authorization.k8s.io" "delete deployments.apps -n registry" "create persistentvolumes"; do
  # shellcheck disable=SC2086
  can $q && denied="$denied [$q]"
done
check_eq "jenkins may not act cluster-wide or outside its namespaces" "" "$denied"
# The agent's credentials: the jenkins ServiceAccount's token, as the pod template mounts it.
token=$(K -n jenkins create token jenkins --duration=2h)
cat >"$W/jenkins.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster: {server: "https://$PTK_CP_IP:6443", certificate-authority-data: $(base64 -w0 "$PTK_DIR/pki/ca.crt")}
users:
  - name: jenkins
    user: {token: "$token"}
contexts:
  - name: jenkins
    context: {cluster: test, user: jenkins, namespace: jenkins}
current-context: jenkins
KC
chmod 600 "$W/jenkins.kubeconfig"
if [ "${PTK_AGENT:-pod}" = pod ]; then
  AGENT_COMMIT=$(git -C "$ROOT" rev-parse HEAD)
  t0=$(date +%s)
  if agent_up "$LOGS/k8s-agent.log"; then
    ok "agent pod: deploy/platform/jenkins/agent-pod.yaml without jnlp, image $(ci_image_ref_of x | sed 's/pitestbed:x/pitestbed-agent/'):$("$ROOT/ci/agent-image" --print-tag) from the registry, workspace filled ($(( $(date +%s) - t0 )) s)"
  else
    fail "agent pod (log $LOGS/k8s-agent.log)"; tail -n 20 "$LOGS/k8s-agent.log" | sed 's/^/      | /'
    teardown; finish; exit 1
  fi
fi

# --- 3. build k1 --------------------------------------------------------------------------
step "pipeline, build k1 (as the Jenkins agent)"
BUILD_ID=k1
must_stage build
must_stage image
must_stage publish
tag=$(cat "$W/out/state/tag")
check_cmd "[k1] the registry serves pitestbed:$tag as a multi-arch index" bash -c \
  "'$CLUSTER' exec curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' \
     http://registry.registry.svc.cluster.local:5000/v2/pitestbed/manifests/$tag | grep -q '\"manifests\"'"
must_stage deploy qa pt
pt_nodes=$(nodes_of demo-pt "app.kubernetes.io/name=msdemo,pitestbed.io/build=k1")
check_cmd "[k1] the 3 PT pods run on >= 2 nodes (API: $pt_nodes)" test "$pt_nodes" -ge 2
img=$(K -n demo-pt get pods -l pitestbed.io/build=k1 -o jsonpath='{.items[0].status.containerStatuses[0].imageID}')
check_cmd "[k1] containerd pulled the image from the in-cluster registry ($img)" \
  bash -c "case '$img' in registry.pitestbed.local:5000/pitestbed@sha256:*) exit 0;; *) exit 1;; esac"
stage_ok smoke qa
before=$(served demo-pt "app.kubernetes.io/name=msdemo,pitestbed.io/build=k1")
# The kubelets' own figures for the pods during the perftest stage.
python3 "$here/podstats.py" sample "$TMP/stats.jsonl" &
sampler=$!
stage_ok perftest
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null; sampler=
python3 "$here/podstats.py" summary "$TMP/stats.jsonl" >"$LOGS/k8s-resources.txt" 2>&1 \
  && ok "resources during perftest: $LOGS/k8s-resources.txt" || fail "resource sampling (see $LOGS/k8s-resources.txt)"
sed 's/^/      /' "$LOGS/k8s-resources.txt"
wnodes=$(awk '{print $2}' "$W/out/runs/k1/workers.txt" 2>/dev/null | sort -u | grep -c .)
check_cmd "[k1] the ptest workers ran on >= 2 nodes (API: $wnodes)" test "$wnodes" -ge 2
after=$(served demo-pt "app.kubernetes.io/name=msdemo,pitestbed.io/build=k1")
# What the PT pods served during the run (their own counters) against the merged counts.
served_run=$(join -a2 -e0 -o 2.1,2.2,1.2 <(printf '%s\n' "$before" | sort) <(printf '%s\n' "$after" | sort) \
  | awk '{print $1, $2 - $3}')
merged=$(merged_counts "$W/out/runs/k1/results/results.json")
check_cmd "[k1] merged counts per label = requests the PT pods served per path" python3 - "$served_run" "$merged" <<'PY'
import sys
served = dict(l.split() for l in sys.argv[1].splitlines() if l.strip())
merged = dict(l.split() for l in sys.argv[2].splitlines() if l.strip())
path = {"root": "/"}
bad = []
for label, n in merged.items():
    p = path.get(label, "/" + label)
    if int(served.get(p, -1)) != int(n):
        bad.append("%s: merged %s, served %s" % (label, n, served.get(p)))
if not merged: bad.append("no labels in the merged results")
print("\n".join(bad) or "equal: " + ", ".join("%s %s" % kv for kv in sorted(merged.items())))
sys.exit(1 if bad else 0)
PY
stage_ok analyze
check_eq "[k1] gate" pass "$(cat "$W/out/state/gate" 2>/dev/null)"
if stage_ok promote; then
  check_eq "[k1] stage answers on its NodePort 31080 of every node" "Hello World!Hello World!" \
    "$("$CLUSTER" exec curl -sf --max-time 5 "http://$(ptk_node_ip 1):31080/")$("$CLUSTER" exec curl -sf --max-time 5 "http://$(ptk_node_ip 2):31080/")"
  check_eq "[k1] stage runs the promoted build" "$(ci_image_ref_of "$tag")" \
    "$(K -n demo-stage get deploy msdemo -o jsonpath='{.spec.template.spec.containers[0].image}')"
fi
stage_ok reclaim
check_eq "[k1] reclaim leaves no object with the build's label" "" "$(labelled k1)"

# --- 4. build k2, slowed /B ---------------------------------------------------------------
step "pipeline, build k2 with SLOW=B (the gate must fail)"
BUILD_ID=k2
export SLOW=B
for s in build image publish; do stage_ok $s || break; done
stage_ok deploy qa pt
stage_ok smoke qa
stage_ok perftest
stage analyze
check_eq "[k2] ci/analyze exits 1 (gate failed)" 1 "$(cat "$W/logs/$BUILD_ID-analyze.log.rc")"
grep -q "B" "$W/out/summary.txt" 2>/dev/null && ok "[k2] summary names the slowed label" \
  || fail "[k2] summary names the slowed label"
stage promote
check_eq "[k2] ci/promote refuses (exit 1)" 1 "$(cat "$W/logs/$BUILD_ID-promote.log.rc")"
check_cmd "[k2] stage still runs k1's build" bash -c \
  "'$PTK_BIN/kubectl' -n demo-stage get deploy msdemo -o jsonpath='{.metadata.labels}' | grep -vq 'k2'"
stage_ok reclaim
check_eq "[k2] reclaim leaves no object with the build's label" "" "$(labelled k2)"
unset SLOW

# --- 5. faults ----------------------------------------------------------------------------
step "faults, build k3: a worker and a PT pod deleted mid-run"
BUILD_ID=k3
# Its own build, image and publish: the tag is the commit's, and an image never pushed
# would only be an ImagePullBackOff.
UNIT=0 stage_ok build
stage_ok image
stage_ok publish
stage_ok deploy pt
PERFTEST_DURATION=20s stage perftest &
pf=$!
t0=$(date +%s)
for ((i = 0; i < 120; i++)); do
  n=$(K -n demo-pt get pods -l job-name=ptest-k3 --field-selector=status.phase=Running -o name 2>/dev/null | grep -c .)
  [ "$n" -ge 3 ] && break
  sleep 0.5
done
sleep 6
w1=$(K -n demo-pt get pods -l job-name=ptest-k3,batch.kubernetes.io/job-completion-index=1 -o name | head -1)
p1=$(K -n demo-pt get pods -l "app.kubernetes.io/name=msdemo,pitestbed.io/build=k3" -o name | head -1)
K -n demo-pt delete "$w1" --wait=false >/dev/null && ok "[k3] deleted worker 1 ($w1) mid-run" || fail "[k3] delete worker 1"
K -n demo-pt delete "$p1" --wait=false >/dev/null && ok "[k3] deleted PT pod ${p1#pod/} mid-run" || fail "[k3] delete a PT pod"
wait $pf
rc=$(cat "$W/logs/k3-perftest.log.rc")
dt=$(( $(date +%s) - t0 ))
check_cmd "[k3] perftest ended within its bound (${dt}s, exit $rc: 0/1 as documented)" test "$rc" -le 1 -a "$dt" -lt 300
log=$W/logs/k3-perftest.log
check_cmd "[k3] perftest names worker 1" grep -q "worker 1" "$log"
check_cmd "[k3] perftest reports the replaced PT pod" grep -q "PT pod ${p1#pod/} was replaced" "$log"
check_cmd "[k3] merged results of the other workers were fetched" test -s "$W/out/runs/k3/results/results.json"
stage analyze
check_eq "[k3] a run with a lost worker fails the gate (ci/analyze exit 1)" 1 "$(cat "$W/logs/k3-analyze.log.rc")"
stage_ok reclaim
check_eq "[k3] reclaim leaves no object with the build's label" "" "$(labelled k3)"
# An API server that does not answer: one clear line, exit 2, no retry loop.
sed "s|https://$PTK_CP_IP:6443|https://$PTK_CP_IP:1|" "$W/jenkins.kubeconfig" >"$W/bad.kubeconfig"
t0=$(date +%s)
"$CLUSTER" exec env KUBECONFIG="$W/bad.kubeconfig" PITESTBED_MODE=k8s OUT="$W/out-bad" BUILD="$W/build" \
  PITESTBED_BUILD_ID=k4 "$ROOT/ci/deploy" qa >"$TMP/bad.log" 2>&1
rc=$?
check_eq "unreachable API server: ci/deploy exits 2" 2 "$rc"
check_cmd "unreachable API server: one clear line within 30 s ($(( $(date +%s) - t0 )) s)" \
  bash -c "grep -q 'API server is not reachable' '$TMP/bad.log' && [ $(( $(date +%s) - t0 )) -lt 30 ]"
sed 's/^/      | /' "$TMP/bad.log" | tail -2

teardown
finish
