#!/usr/bin/env node
// deploy-checks.cjs COMMAND ... - checks on rendered kustomize output (tests/integration/deploy.sh).
//   configmap-file RENDERED.yaml NAMESPACE NAME-PREFIX KEY OUT   write a ConfigMap's data key to OUT
//   jobs RENDERED.yaml               Indexed Jobs: completions == parallelism == WORKERS env == the
//                                    collector's --workers, --share and --report-to used, no PVC, spread
//   grace RENDERED.yaml              msdemo: terminationGracePeriodSeconds > drain_grace + drain_timeout,
//                                    probes on /healthz and /readyz, scrape annotations, MSDEMO_CONFIG mount
//   rbac RENDERED.yaml               no ClusterRole(Binding)s, nothing bound to cluster-admin, Jenkins only
//                                    in jenkins + demo-* namespaces
//   metrics DASHBOARD.json RULES.yml METRICS.txt...   every metric a query names is in a live /metrics
//                                    (msdemo's, ptest run --metrics-listen's)
//   dash-rules DASHBOARD.json OUT    every dashboard query as a recording rule (Grafana variables
//                                    filled in), so `promtool check rules OUT` parses each with
//                                    Prometheus' own PromQL parser
//   prom-static IN OUT               checks the kubernetes_sd_configs blocks of a Prometheus config
//                                    and writes a copy with static_configs in their place, for a
//                                    promtool built without Kubernetes discovery (Debian's)
// Prints one line per problem; exit 1 on any.
'use strict';
const fs = require('fs');
const yaml = require('js-yaml');

const load = (f) => yaml.loadAll(fs.readFileSync(f, 'utf8')).filter((d) => d != null);
const problems = [];
const fail = (m) => problems.push(m);

function durationSeconds(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(String(s));
  if (!m) return NaN;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2]];
}

// Metric names in a PromQL expression: strip strings, label matchers, ranges, grouping
// clauses and Grafana variables, then drop functions, aggregations and keywords.
const PROMQL_WORDS = new Set(`sum avg min max count stddev stdvar topk bottomk quantile count_values group
 rate irate increase delta idelta deriv predict_linear histogram_quantile histogram_count histogram_sum
 abs ceil floor round exp ln log2 log10 sqrt clamp clamp_min clamp_max time timestamp vector scalar
 label_replace label_join sort sort_desc absent absent_over_time changes resets avg_over_time
 min_over_time max_over_time sum_over_time count_over_time quantile_over_time stddev_over_time
 last_over_time present_over_time day_of_month day_of_week hour minute month year days_in_month
 and or unless by without on ignoring group_left group_right offset bool inf nan`.split(/\s+/));

function metricNames(expr) {
  let e = String(expr);
  e = e.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  e = e.replace(/\{[^}]*\}/g, ' ');
  e = e.replace(/\[[^\]]*\]/g, ' ');
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  e = e.replace(/\$\{?\w+\}?/g, ' ');
  const out = new Set();
  for (const m of e.matchAll(/(^|[^A-Za-z0-9_:.])([A-Za-z_:][A-Za-z0-9_:]*)/g)) {
    const w = m[2];
    if (!PROMQL_WORDS.has(w)) out.add(w);
  }
  return out;
}

const cmd = process.argv[2];
const args = process.argv.slice(3);

if (cmd === 'configmap-file') {
  const [file, ns, prefix, key, out] = args;
  const cm = load(file).find((d) => d.kind === 'ConfigMap' && d.metadata.namespace === ns &&
    (d.metadata.name === prefix || d.metadata.name.startsWith(prefix + '-')));
  if (!cm || !cm.data || cm.data[key] === undefined) fail(`${file}: no ConfigMap ${ns}/${prefix} with key ${key}`);
  else fs.writeFileSync(out, cm.data[key]);
} else if (cmd === 'jobs') {
  const jobs = load(args[0]).filter((d) => d.kind === 'Job');
  if (jobs.length === 0) fail(`${args[0]}: no Job`);
  for (const j of jobs) {
    const s = j.spec, name = `Job ${j.metadata.name}`;
    if (s.completionMode !== 'Indexed') fail(`${name}: completionMode must be Indexed`);
    if (s.completions !== s.parallelism) fail(`${name}: completions ${s.completions} != parallelism ${s.parallelism}`);
    for (const c of s.template.spec.containers) {
      const env = Object.fromEntries((c.env || []).map((e) => [e.name, e]));
      if (!env.WORKERS || Number(env.WORKERS.value) !== s.parallelism)
        fail(`${name}: env WORKERS (${env.WORKERS && env.WORKERS.value}) must equal parallelism ${s.parallelism}`);
      const idx = env.WORKER_INDEX && env.WORKER_INDEX.valueFrom && env.WORKER_INDEX.valueFrom.fieldRef;
      if (!idx || idx.fieldPath !== "metadata.annotations['batch.kubernetes.io/job-completion-index']")
        fail(`${name}: WORKER_INDEX must come from the job-completion-index annotation`);
      const a = (c.args || []).join(' ');
      if (!/--share \$\(WORKER_INDEX\)\/\$\(WORKERS\)/.test(a)) fail(`${name}: args must pass --share $(WORKER_INDEX)/$(WORKERS)`);
      if (!/--report-to http:\/\/ptest-collect\./.test(a)) fail(`${name}: workers must --report-to the collector Service`);
      // Live metrics: --metrics-listen :PORT, and the pod template's scrape annotations name it.
      const ml = /--metrics-listen \S*:(\d+)/.exec(a), an = s.template.metadata.annotations || {};
      if (!ml) fail(`${name}: workers must serve live metrics (--metrics-listen :PORT)`);
      else if (an['prometheus.io/scrape'] !== 'true' || an['prometheus.io/port'] !== ml[1] || an['prometheus.io/path'] !== '/metrics')
        fail(`${name}: pod template needs prometheus.io/scrape "true", port "${ml[1]}", path /metrics (has ${JSON.stringify(an)})`);
      else if (!(c.ports || []).some((p) => String(p.containerPort) === ml[1])) fail(`${name}: container must declare port ${ml[1]}`);
    }
    // Workers may run on any node: no shared volume, and spread over the nodes.
    const vols = s.template.spec.volumes || [];
    if (vols.some((v) => v.persistentVolumeClaim)) fail(`${name}: a worker must not need a PersistentVolumeClaim`);
    const spread = (s.template.spec.topologySpreadConstraints || []).find((t) => t.topologyKey === 'kubernetes.io/hostname');
    if (!spread) fail(`${name}: workers must be spread over the nodes (topologySpreadConstraints on kubernetes.io/hostname)`);
    const coll = load(args[0]).find((d) => d.kind === 'Pod' && d.metadata.name.startsWith('ptest-collect'));
    if (!coll) fail(`${args[0]}: no ptest-collect Pod`);
    else {
      const ca = coll.spec.containers[0].args || [];
      const i = ca.indexOf('--workers');
      if (ca[0] !== 'collect' || i < 0 || Number(ca[i + 1]) !== s.parallelism)
        fail(`Pod ${coll.metadata.name}: ptest collect --workers must equal the Job's parallelism ${s.parallelism} (args ${ca.join(' ')})`);
      if ((coll.spec.volumes || []).some((v) => v.persistentVolumeClaim)) fail(`Pod ${coll.metadata.name}: no PersistentVolumeClaim`);
      if (coll.spec.containers.some((c) => !/pitestbed/.test(c.image))) fail(`Pod ${coll.metadata.name}: only the pitestbed image`);
    }
  }
} else if (cmd === 'grace') {
  const docs = load(args[0]);
  const deps = docs.filter((d) => d.kind === 'Deployment' && d.metadata.name === 'msdemo');
  if (deps.length !== 1) fail(`${args[0]}: expected one msdemo Deployment`);
  for (const d of deps) {
    const pod = d.spec.template.spec, c = pod.containers[0];
    const vol = pod.volumes.find((v) => v.configMap);
    const cm = vol && docs.find((x) => x.kind === 'ConfigMap' && x.metadata.name === vol.configMap.name);
    if (!cm) { fail('msdemo: config volume does not name a ConfigMap of the overlay'); continue; }
    const cfg = yaml.load(cm.data['msdemo.yaml']);
    const grace = durationSeconds(cfg.drain_grace ?? '1s'), timeout = durationSeconds(cfg.drain_timeout ?? '10s');
    const tgps = pod.terminationGracePeriodSeconds ?? 30;
    if (!(tgps >= grace + timeout + 2))
      fail(`msdemo: terminationGracePeriodSeconds ${tgps} < drain_grace ${grace}s + drain_timeout ${timeout}s + 2s`);
    const env = (c.env || []).find((e) => e.name === 'MSDEMO_CONFIG');
    const mount = (c.volumeMounts || []).find((m) => m.name === vol.name);
    if (!env || !mount || env.value !== `${mount.mountPath}/msdemo.yaml`) fail('msdemo: MSDEMO_CONFIG must point at the mounted msdemo.yaml');
    if (!c.readinessProbe || c.readinessProbe.httpGet.path !== '/readyz') fail('msdemo: readinessProbe must GET /readyz');
    if (!c.livenessProbe || c.livenessProbe.httpGet.path !== '/healthz') fail('msdemo: livenessProbe must GET /healthz');
    const ann = d.spec.template.metadata.annotations || {};
    if (ann['prometheus.io/scrape'] !== 'true' || ann['prometheus.io/port'] !== String(c.ports[0].containerPort))
      fail('msdemo: prometheus.io/scrape and prometheus.io/port annotations missing or wrong');
    const listen = String(cfg.listen || '');
    if (!listen.endsWith(`:${c.ports[0].containerPort}`)) fail(`msdemo: config listens on ${listen}, container port is ${c.ports[0].containerPort}`);
  }
} else if (cmd === 'rbac') {
  const docs = load(args[0]);
  for (const d of docs) {
    if (d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding') fail(`${d.kind} ${d.metadata.name}: the platform must not grant cluster-wide rights`);
    if (d.roleRef && d.roleRef.name === 'cluster-admin') fail(`${d.kind} ${d.metadata.name}: bound to cluster-admin`);
    if (d.kind === 'RoleBinding' && (d.subjects || []).some((s) => s.name === 'jenkins' && s.namespace === 'jenkins')) {
      const ns = d.metadata.namespace;
      if (ns !== 'jenkins' && !/^demo-(qa|pt|stage)$/.test(ns)) fail(`RoleBinding ${ns}/${d.metadata.name}: Jenkins may act only in jenkins and demo-*`);
    }
  }
  const jenkinsNs = new Set(docs.filter((d) => d.kind === 'RoleBinding' && (d.subjects || []).some((s) => s.name === 'jenkins')).map((d) => d.metadata.namespace));
  for (const ns of ['demo-qa', 'demo-pt', 'demo-stage']) if (!jenkinsNs.has(ns)) fail(`Jenkins cannot deploy into ${ns}`);
} else if (cmd === 'metrics') {
  const [dashFile, rulesFile, ...metricsFiles] = args;
  const dash = JSON.parse(fs.readFileSync(dashFile, 'utf8'));
  const live = new Set();
  for (const metricsFile of metricsFiles) {
    const before = live.size;
    for (const line of fs.readFileSync(metricsFile, 'utf8').split('\n')) {
      const m = /^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/.exec(line);
      if (m) live.add(m[1]);
    }
    if (live.size === before) fail(`${metricsFile}: no samples`);
  }
  const exprs = [];
  for (const p of dash.panels || []) for (const t of p.targets || []) exprs.push([`panel "${p.title}"`, t.expr]);
  for (const v of (dash.templating && dash.templating.list) || []) {
    const q = typeof v.query === 'string' ? v.query : v.query && v.query.query;
    const m = /^label_values\((.*),\s*[A-Za-z_]\w*\)$/.exec(q || '');
    exprs.push([`variable $${v.name}`, m ? m[1] : q]);
  }
  if (exprs.length < 5) fail(`${dashFile}: expected a dashboard with queries, found ${exprs.length}`);
  let checked = 0;
  for (const [where, e] of exprs)
    for (const name of metricNames(e)) {
      checked++;
      if (!live.has(name)) fail(`${dashFile}: ${where} queries ${name}, which neither msdemo nor ptest exports`);
    }
  // Alert and recording rules: msdemo's and process metrics must exist too.
  const rules = yaml.load(fs.readFileSync(rulesFile, 'utf8'));
  for (const g of rules.groups) for (const r of g.rules)
    for (const name of metricNames(r.expr))
      if (/^(msdemo_|process_)/.test(name) && !live.has(name)) fail(`${rulesFile}: rule ${r.alert || r.record} uses ${name}, which msdemo does not export`);
  // The dashboard's required panels: rate, quantiles from the histogram, errors, CPU, memory.
  const all = exprs.map((x) => x[1]).join('\n');
  for (const [what, re] of [['request rate', /rate\(msdemo_requests_total/], ['latency quantiles', /histogram_quantile\(0\.\d+, sum by \([^)]*\) \(rate\(msdemo_request_duration_seconds_bucket/],
    ['errors', /code=~"5\.\."/], ['CPU per pod', /by \(pod\) \(rate\(process_cpu_seconds_total/], ['memory per pod', /by \(pod\) \(process_resident_memory_bytes/],
    ['client-side (ptest) request rate', /rate\(ptest_requests_total\{job="ptest"/],
    ['client-side (ptest) p95 from the histogram', /histogram_quantile\(0\.95, sum by \(le, label\) \(rate\(ptest_request_duration_seconds_bucket\{job="ptest"/]])
    if (!re.test(all)) fail(`${dashFile}: no ${what} panel`);
  console.log(`${checked} metric references checked against ${live.size} exported names`);
} else if (cmd === 'dash-rules') {
  const [dashFile, out] = args;
  const dash = JSON.parse(fs.readFileSync(dashFile, 'utf8'));
  const rules = [];
  for (const p of dash.panels || [])
    for (const t of p.targets || [])
      rules.push({ record: `dashboard:panel_${p.id}_${t.refId}`,
        expr: t.expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '1m').replace(/\$\{?namespace\}?/g, 'demo-.*') });
  if (rules.length === 0) fail(`${dashFile}: no queries`);
  fs.writeFileSync(out, yaml.dump({ groups: [{ name: 'dashboard', rules }] }));
} else if (cmd === 'prom-static') {
  const [inFile, out] = args;
  const cfg = yaml.load(fs.readFileSync(inFile, 'utf8'));
  const roles = new Set(['pod', 'endpoints', 'endpointslice', 'service', 'node', 'ingress']);
  const keys = new Set(['role', 'namespaces', 'selectors', 'api_server', 'kubeconfig_file', 'attach_metadata']);
  let n = 0;
  for (const sc of cfg.scrape_configs || []) {
    if (!sc.kubernetes_sd_configs) continue;
    for (const sd of sc.kubernetes_sd_configs) {
      n++;
      for (const k of Object.keys(sd)) if (!keys.has(k)) fail(`job ${sc.job_name}: unknown kubernetes_sd_configs key ${k}`);
      if (!roles.has(sd.role)) fail(`job ${sc.job_name}: unknown kubernetes_sd_configs role ${sd.role}`);
      const ns = sd.namespaces;
      if (ns && (Object.keys(ns).some((k) => k !== 'names' && k !== 'own_namespace') || !Array.isArray(ns.names) || !ns.names.every((x) => typeof x === 'string')))
        fail(`job ${sc.job_name}: namespaces must be {names: [..]}`);
    }
    delete sc.kubernetes_sd_configs;
    sc.static_configs = [{ targets: ['kubernetes-sd.invalid:80'] }];
  }
  fs.writeFileSync(out, yaml.dump(cfg));
  console.log(`${n} kubernetes_sd_configs blocks checked and replaced by static_configs`);
} else {
  console.error('usage: deploy-checks.cjs configmap-file|jobs|grace|rbac|metrics|dash-rules|prom-static ...');
  process.exit(2);
}
for (const p of problems) console.log(p);
process.exit(problems.length ? 1 : 0);
