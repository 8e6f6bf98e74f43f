#!/usr/bin/env bash
# DEVELOPMENT ONLY: makes a throw-away CA, one certificate for the nodes, one for clients and a
# master key, for docker/cluster/compose.yaml and local tests. Production certificates come from
# your own CA (cert-manager, Vault, ...) and the master key from your secret store; nothing this
# script writes belongs in git (docker/cluster/.gitignore keeps tls/ and secrets/ out).
#
#   docker/cluster/make-dev-certs.sh [OUT_DIR]        (default: docker/cluster)
#
# Writes OUT_DIR/tls/{ca.crt,node.crt,node.key,client.crt,client.key} and
# OUT_DIR/secrets/sealkv_master_key. The node certificate is for server and client use (nodes
# present it to each other for MIGRATE with tls-cluster yes) and names the Compose addresses
# (172.29.18.11-13, sealkv-0..2), the Kubernetes StatefulSet's names (sealkv-N.sealkv...),
# localhost and 127.0.0.1; SEALKV_CERT_SANS adds more ("DNS:x.example,IP:10.0.0.5").
# Run as root, the key files are given to uid 10001 (the image's user) with mode 0400; otherwise
# the script prints the chown to run.
set -euo pipefail

OUT="${1:-$(dirname "$0")}"
DAYS="${SEALKV_CERT_DAYS:-30}"
UID_IMAGE=10001
TLS="$OUT/tls"
SECRETS="$OUT/secrets"
install -d -m 0755 "$TLS"
install -d -m 0700 "$SECRETS"
[ "$(id -u)" = 0 ] && chown "$UID_IMAGE:$UID_IMAGE" "$SECRETS"
umask 077

SANS="DNS:localhost,IP:127.0.0.1"
for i in 0 1 2; do
  SANS="$SANS,IP:172.29.18.1$((i + 1)),DNS:sealkv-$i,DNS:sealkv-$i.sealkv,DNS:sealkv-$i.sealkv.sealkv.svc.cluster.local"
done
[ -n "${SEALKV_CERT_SANS:-}" ] && SANS="$SANS,$SEALKV_CERT_SANS"

ssl() { openssl "$@" 2>/dev/null; }
ssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days "$DAYS" \
  -subj "/CN=sealkv development CA" -keyout "$TLS/ca.key" -out "$TLS/ca.crt"

issue() { # name, CN, extendedKeyUsage, subjectAltName or ""
  ssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "/CN=$2" \
    -keyout "$TLS/$1.key" -out "$TLS/$1.csr"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$3"
    [ -n "$4" ] && echo "subjectAltName=$4"
  } >"$TLS/$1.ext"
  ssl x509 -req -in "$TLS/$1.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial \
    -days "$DAYS" -extfile "$TLS/$1.ext" -out "$TLS/$1.crt"
  rm -f "$TLS/$1.csr" "$TLS/$1.ext"
}
issue node "sealkv node" "serverAuth,clientAuth" "$SANS"
issue client "sealkv client" "clientAuth" ""
# The CA key signs nothing more: without it no one can mint a certificate the nodes accept.
rm -f "$TLS/ca.key" "$TLS/ca.srl"
chmod 0644 "$TLS/ca.crt" "$TLS/node.crt" "$TLS/client.crt"
chmod 0400 "$TLS/node.key" "$TLS/client.key"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SECRETS/sealkv_master_key"
chmod 0400 "$SECRETS/sealkv_master_key"

if [ "$(id -u)" = 0 ]; then
  chown "$UID_IMAGE:$UID_IMAGE" "$TLS/node.key" "$SECRETS/sealkv_master_key"
else
  echo "make-dev-certs: now run: sudo chown $UID_IMAGE:$UID_IMAGE $TLS/node.key $SECRETS/sealkv_master_key $SECRETS" >&2
fi
echo "make-dev-certs: wrote $TLS/{ca.crt,node.crt,node.key,client.crt,client.key} and $SECRETS/sealkv_master_key (valid $DAYS days)" >&2
