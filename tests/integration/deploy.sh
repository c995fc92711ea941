#!/usr/bin/env bash
# deploy.sh - every kustomization under deploy/ renders with `kubectl kustomize` (no cluster
# needed) and every object validates against the Kubernetes schema (npm kubernetes-models,
# unknown fields included); the Prometheus config passes promtool; the Grafana dashboard
# parses as PromQL and names only metrics that a live msdemo or ptest (--metrics-listen) exports; RBAC, drain timing,
# overlays and the ptest Job are what the docs promise.
# Needs kubectl, node + npm, promtool, curl and $BUILD/msdemo; a missing tool fails.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
HELP=$ROOT/tests/integration/helpers
[ -x "$BUILD/msdemo" ] || fail "$BUILD/msdemo is built (run make)"
need kubectl node npm promtool curl

# --- the schema validator, installed once into a cache under the build directory ------
source "$(dirname "$0")/helpers/k8s-validator.sh"
CHK() { node "$HELP/deploy-checks.cjs" "$@"; }

# --- render every kustomization ------------------------------------------------------
dirs=(deploy/platform deploy/msdemo/overlays/qa deploy/msdemo/overlays/pt deploy/msdemo/overlays/stage
      deploy/ptest deploy/optional/headlamp deploy/optional/nfs)
found=$(find deploy -name kustomization.yaml -printf '%h\n' | grep -v '/base$' | sort)
expected=$(printf '%s\n' "${dirs[@]}" | sort)
check "every kustomization is covered by this test" test "$found" = "$expected"
for d in "${dirs[@]}"; do
  out=$TMP/$(echo "$d" | tr / _).yaml
  if kubectl kustomize "$d" >"$out" 2>"$TMP/err"; then
    ok "kubectl kustomize $d"
    check "schema: every object of $d" node "$HELP/k8s-validate.cjs" "$out"
  else
    fail "kubectl kustomize $d"; sed 's/^/      | /' "$TMP/err"
  fi
done
P=$TMP/deploy_platform.yaml
QA=$TMP/deploy_msdemo_overlays_qa.yaml PT=$TMP/deploy_msdemo_overlays_pt.yaml ST=$TMP/deploy_msdemo_overlays_stage.yaml
J=$TMP/deploy_ptest.yaml

# --- platform ------------------------------------------------------------------------
names() { node -e 'const y=require("js-yaml"),fs=require("fs");
  console.log(y.loadAll(fs.readFileSync(process.argv[1],"utf8")).filter(d=>d&&d.kind===process.argv[2]).map(d=>d.metadata.name).sort().join(" "))' "$@"; }
check "platform: namespaces jenkins registry monitoring demo-qa demo-pt demo-stage" \
  test "$(names "$P" Namespace)" = "demo-pt demo-qa demo-stage jenkins monitoring registry"
check "platform RBAC: no cluster-wide grants, Jenkins only in jenkins and demo-*" CHK rbac "$P"
check "platform: every image pinned to a version" \
  bash -c "! grep -h 'image:' '$P' '$J' $TMP/deploy_optional_*.yaml | grep -v 'registry.pitestbed.local:5000/' | grep -E ':latest\$|image: [^:]+\$'"
check "platform: Jenkins runs only where its image exists (arm64/amd64)" \
  bash -c "sed -n '/^  name: jenkins\$/,/^---/p' '$P' | grep -A4 'key: kubernetes.io/arch' | grep -q -- '- amd64'"
check "platform: JCasC seeds the pipeline job" grep -q "pipelineJob('pitestbed')" "$P"
for s in jenkins-admin grafana-admin; do
  check "platform: $s comes from picluster, not from git" bash -c "! grep -A4 '^kind: Secret' '$P' | grep -q 'name: $s'"
done

mkdir -p "$TMP/prom"
CHK configmap-file "$P" monitoring prometheus-config prometheus.yml "$TMP/prom/prometheus.yml"
CHK configmap-file "$P" monitoring prometheus-config rules.yml "$TMP/prom/rules.yml"
CHK configmap-file "$P" monitoring grafana-dashboards msdemo.json "$TMP/prom/msdemo.json"
check "promtool check rules (alerting and recording rules)" promtool check rules "$TMP/prom/rules.yml"
# Debian's prometheus is built without Kubernetes service discovery; then the SD blocks
# are checked by the helper and promtool checks everything else of the same file.
printf 'scrape_configs:\n  - job_name: x\n    kubernetes_sd_configs: [{role: pod}]\n' > "$TMP/sd.yml"
if promtool check config "$TMP/sd.yml" >/dev/null 2>&1; then
  check "promtool check config (Prometheus config as deployed)" promtool check config "$TMP/prom/prometheus.yml"
else
  echo "note  this promtool lacks Kubernetes discovery (Debian build): SD blocks checked separately"
  check "Prometheus kubernetes_sd_configs blocks" CHK prom-static "$TMP/prom/prometheus.yml" "$TMP/prom/prometheus-static.yml"
  check "promtool check config (Prometheus config, SD blocks as static targets)" \
    promtool check config "$TMP/prom/prometheus-static.yml"
fi
CHK dash-rules "$TMP/prom/msdemo.json" "$TMP/prom/dash-rules.yml"
check "Grafana dashboard: every query parses (promtool's PromQL parser)" promtool check rules "$TMP/prom/dash-rules.yml"
check "Grafana datasource points at the Prometheus service" grep -q 'url: http://prometheus.monitoring.svc.cluster.local:9090' "$P"

# --- the dashboard against a live msdemo ----------------------------------------------
port=$(net_free_port)
"$BUILD/msdemo" --listen "127.0.0.1:$port" >"$TMP/msdemo.log" 2>&1 &
MSDEMO_PID=$!
PIDS+=("$MSDEMO_PID")
if net_wait_url --ok "http://127.0.0.1:$port/healthz" 5; then
  for path in / /A /B /C /D /E /F /nope; do curl -s -o /dev/null "http://127.0.0.1:$port$path" || true; done
  curl -sf "http://127.0.0.1:$port/metrics" >"$TMP/metrics.txt"
  # ptest's live metrics (the dashboard's client-side panels), from a short open-model run
  # against it (the planned rate is there for open load only).
  mport=$(net_free_port)
  "$BUILD/ptest" run "http://127.0.0.1:$port/A" -d 4s -R 50 -c 4 -q --out "$TMP/ptest-run" \
    --metrics-listen "127.0.0.1:$mport" >"$TMP/ptest-run.log" 2>&1 &
  ptest_pid=$!
  PIDS+=("$ptest_pid")
  : >"$TMP/ptest-metrics.txt"
  for i in $(seq 1 30); do
    sleep 0.2
    curl -sf "http://127.0.0.1:$mport/metrics" >"$TMP/ptest-metrics.txt" 2>/dev/null && grep -q '^ptest_requests_total{label="/A"} [1-9]' "$TMP/ptest-metrics.txt" && break
  done
  wait "$ptest_pid" 2>/dev/null || true
  check "Grafana dashboard and rules query only metrics msdemo and ptest export (live /metrics of both)" \
    CHK metrics "$TMP/prom/msdemo.json" "$TMP/prom/rules.yml" "$TMP/metrics.txt" "$TMP/ptest-metrics.txt"
  kill "$MSDEMO_PID"; wait "$MSDEMO_PID" 2>/dev/null || true
else
  fail "msdemo starts for the live /metrics check"; tail -5 "$TMP/msdemo.log"
fi

# --- msdemo overlays --------------------------------------------------------------------
replicas() { sed -n '/^kind: Deployment/,/^---/p' "$1" | sed -n 's/^  replicas: //p'; }
check "msdemo qa: 1 replica" test "$(replicas "$QA")" = 1
check "msdemo qa: namespace demo-qa" grep -q 'namespace: demo-qa' "$QA"
check "msdemo pt: 3 replicas in demo-pt" test "$(replicas "$PT")" = 3
check "msdemo pt: namespace demo-pt" grep -q 'namespace: demo-pt' "$PT"
check "msdemo stage: NodePort 31080 in demo-stage" \
  bash -c "grep -q 'nodePort: 31080' '$ST' && grep -q 'type: NodePort' '$ST' && grep -q 'namespace: demo-stage' '$ST'"
for o in qa pt stage; do
  f=$TMP/deploy_msdemo_overlays_$o.yaml
  check "msdemo $o: probes, scrape annotations, drain within terminationGracePeriodSeconds" CHK grace "$f"
  CHK configmap-file "$f" "demo-$o" msdemo-config msdemo.yaml "$TMP/msdemo-$o.yaml"
  check "msdemo $o: its ConfigMap passes msdemo --check" "$BUILD/msdemo" --check --config "$TMP/msdemo-$o.yaml"
done

# --- ptest Job ------------------------------------------------------------------------
check "ptest: Indexed Job (completions = parallelism = WORKERS = collector --workers, --share, --report-to, no PVC, spread)" CHK jobs "$J"
check "ptest: plan is examples/plan.yaml (deploy/ptest/plan.yaml must be kept identical)" \
  cmp deploy/ptest/plan.yaml examples/plan.yaml
check "ptest: targets the PT service" grep -q 'http://msdemo.demo-pt.svc:8080' "$J"

finish
