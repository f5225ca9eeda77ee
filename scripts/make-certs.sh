#!/usr/bin/env bash
# Makes, with openssl, what a secured deployment needs, into DIR (default ./certs):
#   ca.crt / ca.key             a private CA (keep ca.key offline; only ca.crt is handed out)
#   origin.crt / origin.key     the origin's gRPC server certificate      (Origin:Tls:CertificatePath / KeyPath)
#   edge.crt / edge.key         the edge's client certificate for mTLS    (Edge:Origin:ClientCertificatePath / ClientKeyPath)
#   rtsps.crt / rtsps.key       the edge's RTSPS certificate              (Edge:Rtsps:CertificatePath / KeyPath)
# Subject alternative names of the server certificates: localhost, 127.0.0.1, origin, edge, plus any given as
# arguments (DNS names or IP addresses), or SANS="a b c" to replace the defaults.
#   scripts/make-certs.sh [DIR] [SAN...]
# Keys are written mode 0600; the containers run as uid 1654: `chown 1654 DIR/*.key` before mounting DIR.
# Running it again renews the leaf certificates under the same CA (the services reload them without a restart).
set -euo pipefail

dir=${1:-./certs}
shift || true
sans=(${SANS:-localhost 127.0.0.1 origin edge} "$@")
days=${DAYS:-825}
mkdir -p "$dir"
cd "$dir"
umask 077

san_list() {
  local out=() s
  for s in "${sans[@]}"; do
    if [[ $s =~ ^[0-9.]+$ || $s == *:* ]]; then out+=("IP:$s"); else out+=("DNS:$s"); fi
  done
  (IFS=,; echo "${out[*]}")
}

if [ ! -f ca.key ]; then
  openssl req -x509 -newkey rsa:3072 -sha256 -days 3650 -nodes -keyout ca.key -out ca.crt \
    -subj "/CN=GrpcStream private CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

issue() { # name, extendedKeyUsage, with SANs (yes/no)
  local name=$1 usage=$2 ext
  ext=$(mktemp)
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [ "$3" = yes ] && echo "subjectAltName=$(san_list)"
  } >"$ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$name.key.new" -out "$name.csr" -subj "/CN=grpcstream-$name" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" -sha256 -extfile "$ext" -out "$name.crt.new" 2>/dev/null
  rm -f "$name.csr" "$ext"
  # Key first, then certificate, each moved into place whole: a service reloading never reads half a file.
  mv "$name.key.new" "$name.key"
  chmod 644 "$name.crt.new"
  mv "$name.crt.new" "$name.crt"
}

issue origin serverAuth yes
issue rtsps serverAuth yes
issue edge clientAuth no
chmod 644 ca.crt
echo "make-certs: CA, origin, edge (client) and rtsps certificates in $(pwd) for $(san_list)"
