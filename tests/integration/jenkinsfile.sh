#!/usr/bin/env bash
# jenkinsfile.sh - the Jenkinsfile passes npm-groovy-lint (--failon error; installed into
# $BUILD/node/groovylint, runs CodeNarc with the local Java, no server left behind), and
# its stages, in order, are ci/lib.sh's CI_STAGES, each calling its ci/ script, with
# reclaim in post { always }. The order check is also shown to reject a reordered copy.
# The agent: the Jenkinsfile's pod template is the one casc.yaml seeds, whose yaml is
# agent-pod.yaml as the jenkins-casc ConfigMap mounts it, with the default container in it,
# and the build image's tag is the one ci/agent-image builds (ci/agent-image --check).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# stage_check FILE: prints the problems, exits 1 when there are any.
stage_check() {
  python3 - "$1" "$ROOT" <<'PY'
import os, re, sys
path, root = sys.argv[1], sys.argv[2]
text = open(path).read()
lib = open(os.path.join(root, "ci/lib.sh")).read()
want = re.search(r'^CI_STAGES="([^"]*)"', lib, re.M).group(1).split()
problems = []
# The stages block: stage('name') { ... sh 'ci/name ...' ... } in order.
body = text.split("post {")[0]
found = re.findall(r"stage\('([^']+)'\)\s*\{(.*?)\n        \}", body, re.S)
names = [n for n, _ in found]
post = text.split("post {", 1)[1] if "post {" in text else ""
always = re.search(r"always\s*\{(.*)", post, re.S)
if always and re.search(r"sh\s+'ci/reclaim'", always.group(1)):
    names.append("reclaim")
else:
    problems.append("post { always } does not run ci/reclaim")
if names != want:
    problems.append("stages %s, ci/lib.sh CI_STAGES %s" % (names, want))
for n, blk in found:
    if not re.search(r"sh\s+'ci/%s(\s[^']*)?'" % re.escape(n), blk):
        problems.append("stage %s does not run ci/%s" % (n, n))
for n in want:
    p = os.path.join(root, "ci", n)
    if not os.access(p, os.X_OK):
        problems.append("ci/%s missing or not executable" % n)
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
}

check_cmd "Jenkinsfile stages = ci/lib.sh CI_STAGES, each runs its script" stage_check "$ROOT/Jenkinsfile"
sed -e "s/stage('smoke')/stage('tmp-x')/; s/stage('deploy')/stage('smoke')/; s/stage('tmp-x')/stage('deploy')/" \
  "$ROOT/Jenkinsfile" >"$TMP/Jenkinsfile.swapped"
if stage_check "$TMP/Jenkinsfile.swapped" >/dev/null; then
  fail "the order check accepted deploy and smoke swapped"
else
  ok "the order check rejects deploy and smoke swapped"
fi

# agent_check: the Jenkinsfile -> casc.yaml template -> ConfigMap key -> agent-pod.yaml chain.
agent_check() {
  python3 - "$ROOT" <<'PY'
import os, re, sys
root = sys.argv[1]
def read(p):
    return open(os.path.join(root, p)).read()
problems = []
m = re.search(r"kubernetes\s*\{[^}]*inheritFrom\s+'([^']+)'[^}]*defaultContainer\s+'([^']+)'", read("Jenkinsfile"), re.S)
if not m:
    sys.exit("the Jenkinsfile's agent is not kubernetes { inheritFrom '...'; defaultContainer '...' }")
template, container = m.groups()
# casc.yaml: the template's lines, from its "- name:" to the next list item at that indent.
casc = read("deploy/platform/jenkins/casc.yaml")
t = re.search(r'\n( *)- name: "?%s"?\n(.*?)(?=\n\1- |\n\S|\Z)' % re.escape(template), casc, re.S)
if not t or "templates:" not in casc[:t.start()]:
    sys.exit("casc.yaml has no pod template %r" % template)
fields = dict(re.findall(r'^\s*(\w+): *"?([^"\n]*)"?$', t.group(2), re.M))
if fields.get("yamlMergeStrategy") != "override":
    problems.append("template %s: yamlMergeStrategy is not override" % template)
f = re.fullmatch(r"\$\{readFile:/var/jenkins_config/([^}/]+)\}", fields.get("yaml", ""))
if not f:
    sys.exit("template %s: yaml is not ${readFile:/var/jenkins_config/KEY}" % template)
key = f.group(1)
gen = re.search(r"- name: jenkins-casc\n(.*?)(?=\n  - name:|\Z)", read("deploy/platform/kustomization.yaml"), re.S)
files = dict(re.findall(r"^ *- ([^=\s]+)=(\S+)$", gen.group(1), re.M)) if gen else {}
if key not in files:
    sys.exit("ConfigMap jenkins-casc has no key %s" % key)
if not re.search(r"name: casc, mountPath: /var/jenkins_config", read("deploy/platform/jenkins/jenkins.yaml")):
    problems.append("the controller does not mount jenkins-casc at /var/jenkins_config")
pod = read(os.path.join("deploy/platform", files[key]))
names = re.findall(r"^    - name: (\S+)$", pod.split("\n  containers:\n", 1)[-1].split("\n  volumes:\n")[0], re.M)
if names[:1] != ["jnlp"] or container not in names:
    problems.append("agent pod containers %s: want jnlp and %s" % (names, container))
sa = re.search(r"^  serviceAccountName: (\S+)$", pod, re.M)
if not sa or sa.group(1) != fields.get("serviceAccount"):
    problems.append("agent pod service account %s, template %s" % (sa and sa.group(1), fields.get("serviceAccount")))
if not re.search(r"^    - name: workspace-volume$", pod, re.M):
    problems.append("agent pod has no workspace-volume")
if pod.count("readOnlyRootFilesystem: true") != len(names) or pod.count("allowPrivilegeEscalation: false") != len(names):
    problems.append("not every container is read-only without privilege escalation")
if "$" in pod:
    problems.append("%s holds a '$' (configuration as code would substitute it)" % files[key])
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
}
check_cmd "agent: Jenkinsfile -> casc.yaml template -> ConfigMap key -> agent-pod.yaml" agent_check
check_cmd "agent: agent-pod.yaml names ci/agent-image's tag" "$ROOT/ci/agent-image" --check

GL=$BUILD/node/groovylint
if [ ! -x "$GL/node_modules/.bin/npm-groovy-lint" ]; then
  mkdir -p "$GL"
  npm install --prefix "$GL" --no-audit --no-fund npm-groovy-lint >"$TMP/npm.log" 2>&1 ||
    { tail -5 "$TMP/npm.log"; fail "npm install npm-groovy-lint (needs the npm registry once)"; finish; }
fi
check_cmd "java for CodeNarc" java -version 2>/dev/null
# --noserver: CodeNarc runs in a JVM that ends with the command (the default starts a
# CodeNarc server that stays in the background).
# A directory of its own: --path recurses, and $BUILD may hold other .groovy files.
mkdir -p "$TMP/lint"
cp "$ROOT/Jenkinsfile" "$TMP/lint/Jenkinsfile"
if (cd "$TMP/lint" && "$GL/node_modules/.bin/npm-groovy-lint" --noserver --failon error \
      --path "$TMP/lint" --files '**/Jenkinsfile' >"$TMP/lint.log" 2>&1); then
  ok "npm-groovy-lint --failon error"
else
  cat "$TMP/lint.log"
  fail "npm-groovy-lint --failon error"
fi
grep -E "'(Error|Warning|Info)'" "$TMP/lint.log" | tr -d "│'" | awk '{print "  lint:", $2, $3}' || true
finish
