#!/usr/bin/env bash
# bench/peers/warren.sh's quorum with TLS on every connection: members to each other (mutual
# TLS, member certificates) and clients to members (the clients trust the quorum's CA, and
# present no certificate of their own). A throwaway CA and member certificates are made in
# DIR/tls by tests/security/make_certs.sh on the first start.
TARGET=warren
source "$(dirname "$0")/common.sh"

start_member() {
  local i=$1 m="" tls="$dir/tls"
  for j in "${members[@]}"; do m+="${m:+,}$j=127.0.0.1:$(client_port "$j")"; done
  exec "${WARREND:-$bin/warrend}" --id="$i" --members="$m" --data-dir="$dir/member$i" \
    --tls-ca="$tls/ca.pem" --tls-cert="$tls/member-$i.pem" --tls-key="$tls/member-$i.key"
}

bench_flags() { echo "--tls-ca=$dir/tls/ca.pem"; }

leader_index() {
  "$bin/warren" --endpoints="$(cat "$dir/endpoints")" --tls-ca="$dir/tls/ca.pem" \
    --timeout-ms=10000 leader | cut -d' ' -f1
}

if [ "${1:-}" = start ] && [ -n "${2:-}" ] && [ ! -f "$2/tls/ca.pem" ]; then
  mkdir -p "$2/tls"
  "$root/tests/security/make_certs.sh" "$2/tls" member-1 member-2 member-3
fi
main "$@"
