# ci/lib.sh - shared by the stage scripts (sourced, not run).
# shellcheck shell=bash
#
# Every stage is a separate process (Jenkins runs each in its own `sh` step), so what one
# stage leaves for the next lives in files under $OUT/state/:
#   build_id      the run's id (names processes, directories and Kubernetes resources)
#   tag           the image tag, BRANCH-COMMIT
#   pids          every process a local stage started, one PID a line (reclaim's list)
#   ENV.url       where environment ENV (qa, pt, stage) answers
#   perftest.rc   ptest's exit code;  gate  "pass" or "fail" (written by analyze)
#
# Environment: PITESTBED_MODE (local | k8s, default local), OUT (default ./out), BUILD
# (default ./build), PITESTBED_BUILD_ID (else Jenkins' BUILD_NUMBER, else a timestamp),
# PERFTEST_DURATION (ptest -d), SLOW (an endpoint such as B served 50% slower in PT, local),
# PUSH_REGISTRY (k8s: where images are pushed, default registry.pitestbed.local:5000).
set -euo pipefail

CI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Relative OUT and BUILD are the caller's; the stages then run from the repository root.
case ${OUT:-} in ''|/*) ;; *) OUT=$PWD/$OUT ;; esac
case ${BUILD:-} in ''|/*) ;; *) BUILD=$PWD/$BUILD ;; esac
cd "$CI_ROOT"
# The stages, in the order every driver runs them (ci/demo, the Jenkinsfile; a test
# checks that the Jenkinsfile agrees).
# shellcheck disable=SC2034 # used by the scripts that source this file
CI_STAGES="build image publish deploy smoke perftest analyze promote reclaim"
PITESTBED_MODE=${PITESTBED_MODE:-local}
OUT=${OUT:-$CI_ROOT/out}
BUILD=${BUILD:-$CI_ROOT/build}
STATE=$OUT/state
# REGISTRY is the name in the manifests (the nodes' containerd mirrors it); PUSH_REGISTRY
# is where publish and promote push (in a pod: the registry's Service name).
REGISTRY=registry.pitestbed.local:5000
IMAGE_NAME=pitestbed
PUSH_REGISTRY=${PUSH_REGISTRY:-$REGISTRY}
# Endpoint bodies: what smoke checks and what the plan expects.
CI_BODIES="/=Hello World!|/A=*****ALPHA*****|/B=*****BETA*****|/C=*****CHARLIE*****|/D=*****DELTA*****|/E=*****ECHO*****|/F=*****FOXTROT*****"

case $PITESTBED_MODE in
  local|k8s) ;;
  *) echo "ci: PITESTBED_MODE must be local or k8s, not '$PITESTBED_MODE'" >&2; exit 2 ;;
esac

ci_stage() { printf '\n== %s [%s]\n' "$*" "$PITESTBED_MODE"; }
ci_log()   { printf '  %s\n' "$*"; }
ci_die()   { echo "ci: $*" >&2; exit 1; }

ci_state_get() { # NAME [DEFAULT]
  if [ -f "$STATE/$1" ]; then cat "$STATE/$1"; else printf '%s' "${2-}"; fi
}
ci_state_set() { # NAME VALUE
  mkdir -p "$STATE"
  printf '%s\n' "$2" >"$STATE/$1.tmp" && mv "$STATE/$1.tmp" "$STATE/$1"
}

# ci_build_id: the run's id, fixed by the first stage that asks. A DNS-label fragment
# (lower case, digits, dashes) because Kubernetes names carry it.
ci_build_id() {
  local id
  id=$(ci_state_get build_id)
  if [ -z "$id" ]; then
    if [ -n "${PITESTBED_BUILD_ID:-}" ]; then id=$PITESTBED_BUILD_ID
    elif [ -n "${BUILD_NUMBER:-}" ]; then id=b$BUILD_NUMBER
    else id=l$(date -u +%Y%m%d%H%M%S); fi
    id=$(printf '%s' "$id" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9-' '-' | cut -c1-20)
    ci_state_set build_id "$id"
  fi
  printf '%s\n' "$id"
}

# ci_tag: BRANCH-COMMIT (Jenkins' BRANCH_NAME/GIT_BRANCH and GIT_COMMIT when set), in the
# characters an OCI tag allows; "-dirty" when the work tree has uncommitted changes.
ci_tag() {
  local t branch commit
  t=$(ci_state_get tag)
  if [ -z "$t" ]; then
    branch=${BRANCH_NAME:-${GIT_BRANCH:-$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo nobranch)}}
    branch=${branch#origin/}
    commit=${GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo 0000000)}
    commit=$(printf '%s' "$commit" | cut -c1-7)
    t=$branch-$commit
    if [ -z "${GIT_COMMIT:-}" ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
      t=$t-dirty
    fi
    t=$(printf '%s' "$t" | tr -c 'A-Za-z0-9_.-' '-' | cut -c1-120)
    ci_state_set tag "$t"
  fi
  printf '%s\n' "$t"
}

# net_free_port, net_wait_url (scripts/lib/net.sh). ci_wait_url URL [SECONDS]: until URL
# answers 2xx.
source "$CI_ROOT/scripts/lib/net.sh"
ci_wait_url() { net_wait_url --ok "$@"; }

# ci_pid_ours PID: true when PID is alive and its command line names this run's $OUT,
# so a PID recycled by an unrelated process is never signalled.
ci_pid_ours() {
  local cmd
  [ -r "/proc/$1/cmdline" ] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  case $cmd in *"$OUT"*) return 0 ;; *) return 1 ;; esac
}

# ci_start NAME CMD...: starts CMD in the background, detached from this stage's process
# group (the stage script ends, the service stays), output to $STATE/NAME.log; records
# the PID in $STATE/pids and $STATE/NAME.pid. JENKINS_NODE_COOKIE keeps Jenkins from
# killing it when the `sh` step that started it ends; reclaim stops it.
ci_start() {
  local name=$1 pid; shift
  mkdir -p "$STATE"
  JENKINS_NODE_COOKIE=dontKillMe BUILD_ID=dontKillMe setsid "$@" </dev/null >"$STATE/$name.log" 2>&1 &
  pid=$!
  echo "$pid" >>"$STATE/pids"
  echo "$pid" >"$STATE/$name.pid"
  CI_PID=$pid
}

# ci_stop_pid PID: SIGTERM (msdemo drains), SIGKILL after 5 s. Only our own processes.
ci_stop_pid() {
  local pid=$1 i
  ci_pid_ours "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    ci_pid_ours "$pid" || return 0
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# ci_kustomize DIR: `kustomize build`, standalone or kubectl's built-in one.
ci_kustomize() {
  if command -v kustomize >/dev/null 2>&1; then kustomize build "$1"; else kubectl kustomize "$1"; fi
}

# ci_image_ref [TAG]: the image as the manifests name it; ci_push_ref [TAG]: where it is pushed.
ci_image_ref() { printf '%s/%s:%s\n' "$REGISTRY" "$IMAGE_NAME" "${1:-$(ci_tag)}"; }
ci_push_ref() { printf '%s/%s:%s\n' "$PUSH_REGISTRY" "$IMAGE_NAME" "${1:-$(ci_tag)}"; }

# ci_endpoints: "PATH BODY" lines from CI_BODIES.
ci_endpoints() { printf '%s' "$CI_BODIES" | tr '|' '\n' | sed 's/=/ /'; echo; }

# ci_slow_endpoint MSDEMO ENDPOINT: the msdemo config lines that serve ENDPOINT (e.g. B)
# 50% slower than msdemo's built-in delay for it (read from MSDEMO --check), for SLOW=.
ci_slow_endpoint() {
  "$1" --check | python3 -c '
import json, sys
p = sys.argv[1]
e = [x for x in json.load(sys.stdin)["endpoints"] if x["path"] == p]
if not e:
    sys.exit("ci: SLOW: msdemo has no endpoint " + p)
d = e[0]["delay"]
print("endpoints:\n  - {path: %s, delay: {dist: %s, mean: %.3fms, stddev: %.3fms, n: %d}}"
      % (p, d["dist"], d["mean_ms"] * 1.5, d["stddev_ms"] * 1.5, d["n"]))' "/${2#/}"
}

# ci_local_env ENV TAG [SLOW]: local mode: starts msdemo of image TAG as environment ENV
# on a free loopback port, SLOW (e.g. B) served 50% slower; waits until /readyz answers;
# records ENV.url. The config file lives in $STATE, so the command line names $OUT.
ci_local_env() {
  local env=$1 tag=$2 slow=${3:-} img cfg port p
  img=$OUT/registry/$tag
  [ -x "$img/msdemo" ] || ci_die "no image $img: run ci/publish first"
  cfg=$STATE/msdemo-$env.yaml
  printf 'seed: 42\nworkers: 2\ndrain_grace: 100ms\ndrain_timeout: 2s\n' >"$cfg"
  if [ -n "$slow" ]; then
    ci_slow_endpoint "$img/msdemo" "$slow" >>"$cfg"
    ci_log "$env: serving /${slow#/} 50% slower"
  fi
  port=$(net_free_port)
  ci_start "msdemo-$env" "$img/msdemo" --config "$cfg" --listen "127.0.0.1:$port"
  if ! ci_wait_url "http://127.0.0.1:$port/readyz" 10; then
    cat "$STATE/msdemo-$env.log" >&2
    ci_die "$env: msdemo did not become ready"
  fi
  ci_state_set "$env.url" "http://127.0.0.1:$port"
  ci_state_set "$env.tag" "$tag"
  ci_log "$env: http://127.0.0.1:$port (pid $CI_PID, $img, log $STATE/msdemo-$env.log)"
}

# ci_k8s_reachable: one clear line and exit 2 when the API server does not answer (a
# wrong KUBECONFIG, a cluster that is down), instead of every later kubectl retrying.
ci_k8s_reachable() {
  local err
  # timeout(1), not --request-timeout: any client override makes kubectl ignore its
  # in-cluster configuration (the agent pod's ServiceAccount) and try localhost:8080.
  if ! err=$(timeout 15 kubectl version -o json 2>&1 >/dev/null); then
    local via="KUBECONFIG=${KUBECONFIG:-~/.kube/config}"
    [ -n "${KUBECONFIG:-}" ] || [ -z "${KUBERNETES_SERVICE_HOST:-}" ] || via="in-cluster, the pod's ServiceAccount"
    echo "ci: the Kubernetes API server is not reachable ($via): $(printf '%s' "$err" | tail -n 1)" >&2
    exit 2
  fi
}

# ci_k8s_job_line JOB: "job JOB: A active, S succeeded, F failed" (namespace demo-pt).
ci_k8s_job_line() {
  timeout 15 kubectl -n demo-pt get job "$1" \
    -o jsonpath='job {.metadata.name}: {.status.active} active, {.status.succeeded} succeeded, {.status.failed} failed' 2>/dev/null \
    || echo "job $1: not found"
}

# ci_k8s_job_ended JOB: true when no pod of JOB (demo-pt) runs any more and every index
# has ended (succeeded or failed), or the Job itself has failed (deadline, backoff).
ci_k8s_job_ended() {
  local s want active ok bad conds
  s=$(timeout 15 kubectl -n demo-pt get job "$1" -o jsonpath='{.spec.completions},{.status.active},{.status.succeeded},{.status.failed},{.status.conditions[?(@.status=="True")].type}' 2>/dev/null) || return 1
  IFS=, read -r want active ok bad conds <<<"$s"
  case " $conds " in *" Failed "*|*" Complete "*) return 0 ;; esac
  [ "${active:-0}" = 0 ] && [ $(( ${ok:-0} + ${bad:-0} )) -ge "${want:-1}" ]
}

# ci_k8s_env ENV TAG [SLOW]: k8s mode: applies deploy/msdemo/overlays/ENV with image TAG into
# namespace demo-ENV and waits for the rollout. qa and pt get the build id as name
# suffix and selector label, so two builds never collide; stage is the one promoted
# Deployment "msdemo" (its NodePort 31080 exists once). Records ENV.url, the Service's
# cluster DNS name (curl in the agent pod and ptest in the scratch image resolve it).
ci_k8s_env() {
  local env=$1 tag=$2 slow=${3:-} id dir name ns
  id=$(ci_build_id)
  ns=demo-$env
  dir=$OUT/k8s/$id/$env
  mkdir -p "$dir"
  name=msdemo
  {
    echo "apiVersion: kustomize.config.k8s.io/v1beta1"
    echo "kind: Kustomization"
    echo "resources:"
    echo "  - $(realpath --relative-to="$dir" "$CI_ROOT/deploy/msdemo/overlays/$env")"
    echo "images:"
    echo "  - name: $REGISTRY/$IMAGE_NAME"
    echo "    newTag: \"$tag\""
    if [ "$env" != stage ]; then
      name=msdemo-$id
      echo "nameSuffix: -$id"
      echo "labels:"
      echo "  - pairs: {pitestbed.io/build: \"$id\"}"
      echo "    includeSelectors: true"
    fi
    if [ -n "$slow" ]; then
      # The base config plus the slowed endpoint, as the same ConfigMap.
      { cat "$CI_ROOT/deploy/msdemo/base/msdemo.yaml"; ci_slow_endpoint "$BUILD/msdemo" "$slow"; } >"$dir/msdemo.yaml"
      echo "configMapGenerator:"
      echo "  - name: msdemo-config"
      echo "    behavior: replace"
      echo "    files: [msdemo.yaml]"
      ci_log "$env: serving /${slow#/} 50% slower" >&2
    fi
  } >"$dir/kustomization.yaml"
  ci_kustomize "$dir" >"$dir/manifest.yaml"
  ci_k8s_reachable
  kubectl apply -n "$ns" -f "$dir/manifest.yaml"
  kubectl -n "$ns" rollout status "deployment/$name" --timeout="${ROLLOUT_TIMEOUT:-300s}"
  ci_state_set "$env.url" "http://$name.$ns.svc:8080"
  ci_state_set "$env.tag" "$tag"
  ci_log "$env: $name in $ns, image $(ci_image_ref "$tag")"
}
