# k8s-validator.sh - sourced by deploy.sh and picluster.sh: installs the offline Kubernetes
# schema validator (npm kubernetes-models, pinned) once into $BUILD/node/k8s and exports
# NODE_PATH. Uses the caller's `check NAME CMD...` to report the install.
NODE_DIR=$BUILD/node/k8s
want='{"private":true,"dependencies":{"kubernetes-models":"4.5.1","@kubernetes-models/validate":"4.0.0","js-yaml":"4.1.0"}}'
if [ ! -d "$NODE_DIR/node_modules/kubernetes-models" ] || [ "$(cat "$NODE_DIR/package.json" 2>/dev/null)" != "$want" ]; then
  mkdir -p "$NODE_DIR"
  printf '%s' "$want" > "$NODE_DIR/package.json"
  rm -f "$NODE_DIR/package-lock.json"
  check "npm install kubernetes-models into $NODE_DIR" npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error
fi
export NODE_PATH=$NODE_DIR/node_modules
