#!/usr/bin/env bash
# jenkinsfile.sh - the Jenkinsfile passes npm-groovy-lint (--failon error; installed into
# $BUILD/node/groovylint, runs CodeNarc with the local Java, no server left behind), and
# its stages, in order, are ci/lib.sh's CI_STAGES, each calling its ci/ script, with
# reclaim in post { always }. The order check is also shown to reject a reordered copy.
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
