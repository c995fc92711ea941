#!/usr/bin/env bash
# ci_k8s.sh - the ci/ stages in k8s mode (PITESTBED_MODE=k8s) against a recording fake
# kubectl (no cluster here): `kubectl kustomize` is the real one, every other call is
# logged and answered. Checks what the stages would apply: QA and PT named with the build
# id (Deployment, Service, ConfigMap, selector label), the image tag BRANCH-COMMIT, 3 PT
# replicas; the ptest Job, PVC and collector suffixed, the Job aimed at the PT Service's
# numeric ClusterIP; results copied out of the collector and merged; reclaim deletes by
# the build label only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

real_kubectl=$(command -v kubectl || true)
if [ -z "$real_kubectl" ]; then fail "kubectl missing (for kustomize)"; finish; fi
mkdir -p "$TMP/bin"
cat >"$TMP/bin/kubectl" <<FAKE
#!/usr/bin/env bash
echo "kubectl \$*" >>"$TMP/kubectl.log"
case " \$* " in
  *" kustomize "*) exec "$real_kubectl" "\$@" ;;
  *" get svc "*) echo 10.43.0.17 ;;
  *" get job "*) echo "Complete " ;;
  *" get pods "*) echo "0 0 0 " ;;
  *" cp "*) dest=\${@: -1}; mkdir -p "\$dest"
            for i in 0 1 2; do cp -r "$TMP/worker" "\$dest/worker-\$i"; done ;;
esac
exit 0
FAKE
chmod +x "$TMP/bin/kubectl"
# logged NAME CMD...: runs CMD with its output in $TMP/NAME.log (shown when it fails).
logged() {
  local name=$1; shift
  "$@" >"$TMP/$name.log" 2>&1 || { tail -20 "$TMP/$name.log"; return 1; }
}

# One small real result for the fake collector to hand out as each worker's.
port=$(free_port)
start_msdemo w "$port"
"$BUILD/ptest" run "http://127.0.0.1:$port/A" -d 1s -c 2 --out "$TMP/worker" --quiet || true
check_cmd "a worker result to copy" test -s "$TMP/worker/results.json"

export PATH=$TMP/bin:$PATH PITESTBED_MODE=k8s OUT=$TMP/out PITESTBED_BUILD_ID=b42 \
  BRANCH_NAME=feature/x GIT_COMMIT=0123456789abcdef BUILD
check_cmd "ci/deploy qa pt" logged deploy "$ROOT/ci/deploy" qa pt
pt=$OUT/k8s/b42/pt/manifest.yaml
check_eq "tag BRANCH-COMMIT" "feature-x-0123456" "$(cat "$OUT/state/tag")"
check_cmd "PT Deployment msdemo-b42 in demo-pt" grep -q "name: msdemo-b42" "$pt"
check_cmd "PT image tag" grep -q "image: registry.pitestbed.local:5000/pitestbed:feature-x-0123456" "$pt"
check_cmd "PT 3 replicas" grep -q "replicas: 3" "$pt"
check_cmd "selector carries the build id" python3 - "$pt" <<'PY'
import sys
t = open(sys.argv[1]).read()
assert "matchLabels:\n      app.kubernetes.io/name: msdemo\n      pitestbed.io/build: b42" in t, t
PY
check_cmd "QA applied to demo-qa" grep -q "apply -n demo-qa" "$TMP/kubectl.log"
check_eq "PT numeric address for ptest" "10.43.0.17" "$(cat "$OUT/state/pt.ip")"

check_cmd "ci/perftest (Job, collector, merge)" logged perftest "$ROOT/ci/perftest"
job=$OUT/k8s/b42/ptest/manifest.yaml
check_cmd "Job ptest-b42" grep -q "name: ptest-b42" "$job"
check_cmd "Job target is the ClusterIP" grep -q -- "- http://10.43.0.17:8080" "$job"
check_eq "PVC claimed by Job and collector" 2 "$(grep -c 'claimName: ptest-results-b42' "$job")"
check_cmd "collector ptest-collect-b42" grep -q "name: ptest-collect-b42" "$job"
check_cmd "results copied out" grep -q "cp ptest-collect-b42:/results" "$TMP/kubectl.log"
check_cmd "merged results" test -s "$OUT/runs/b42/results/results.json"

check_cmd "ci/reclaim" logged reclaim "$ROOT/ci/reclaim"
check_eq "reclaim deletes by build label only" 3 "$(grep -c 'delete .* -l pitestbed.io/build=b42' "$TMP/kubectl.log")"
if grep " delete " "$TMP/kubectl.log" | grep -qv "pitestbed.io/build=b42"; then
  fail "a delete without the build label"
else
  ok "no delete without the build label"
fi
finish
