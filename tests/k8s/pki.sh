# tests/k8s/pki.sh - certificates and kubeconfigs of the test cluster (sourced by
# tests/k8s/cluster). One CA signs everything; keys are EC P-256 (fast on a Pi too),
# the service-account signing key RSA 2048. Written to $PTK_DIR/pki, 0600.
# shellcheck shell=bash

ptk_cert() { # NAME CN O [SAN]: client or serving certificate NAME.crt/NAME.key
  local name=$1 cn=$2 o=$3 san=${4:-} p=$PTK_DIR/pki subj ext
  subj="/CN=$cn"
  [ -z "$o" ] || subj="/O=$o$subj"
  openssl ecparam -name prime256v1 -genkey -noout -out "$p/$name.key" 2>/dev/null
  openssl req -new -key "$p/$name.key" -subj "$subj" -out "$p/$name.csr" 2>/dev/null
  ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth${san:+,serverAuth}"
  [ -z "$san" ] || ext="$ext
subjectAltName=$san"
  openssl x509 -req -in "$p/$name.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile <(printf '%s\n' "$ext") -out "$p/$name.crt" 2>/dev/null
  rm -f "$p/$name.csr"
}

ptk_kubeconfig() { # NAME USER SERVER: NAME.kubeconfig with client cert USER.crt
  local p=$PTK_DIR/pki
  cat >"$p/$1.kubeconfig" <<K
apiVersion: v1
kind: Config
clusters:
  - name: pitestbed-test
    cluster:
      server: $3
      certificate-authority-data: $(base64 -w0 "$p/ca.crt")
users:
  - name: $2
    user:
      client-certificate-data: $(base64 -w0 "$p/$2.crt")
      client-key-data: $(base64 -w0 "$p/$2.key")
contexts:
  - name: pitestbed-test
    context: {cluster: pitestbed-test, user: $2}
current-context: pitestbed-test
K
}

ptk_pki() {
  local p=$PTK_DIR/pki i api=https://$PTK_CP_IP:6443
  mkdir -p "$p"
  chmod 700 "$p"
  openssl ecparam -name prime256v1 -genkey -noout -out "$p/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$p/ca.key" -subj "/CN=pitestbed-test-ca" -days 30 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$p/ca.crt" 2>/dev/null
  openssl genrsa -out "$p/sa.key" 2048 2>/dev/null
  openssl rsa -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
  ptk_cert apiserver kube-apiserver "" \
    "IP:$PTK_CP_IP,IP:10.96.0.1,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  ptk_cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  ptk_cert admin pitestbed-admin system:masters
  ptk_cert controller-manager system:kube-controller-manager ""
  ptk_cert scheduler system:kube-scheduler ""
  ptk_cert kube-proxy system:kube-proxy ""
  ptk_kubeconfig admin admin "$api"
  ptk_kubeconfig controller-manager controller-manager "$api"
  ptk_kubeconfig scheduler scheduler "$api"
  ptk_kubeconfig kube-proxy kube-proxy "$api"
  ptk_kubeconfig host-admin admin "https://127.0.0.1:$PTK_API_PORT"
  for ((i = 1; i <= PTK_NODES; i++)); do
    local n ip
    n=$(ptk_node_name "$i"); ip=$(ptk_node_ip "$i")
    ptk_cert "kubelet-$n" "system:node:$n" system:nodes "IP:$ip,DNS:$n"
    ptk_kubeconfig "kubelet-$n" "kubelet-$n" "$api"
  done
  chmod 600 "$p"/*
}
