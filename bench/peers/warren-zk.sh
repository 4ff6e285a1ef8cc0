#!/usr/bin/env bash
# The same 3-member Warren metastore as bench/peers/warren.sh, driven through its ZooKeeper
# port instead: member i serves ZooKeeper's clients on PORT_BASE + i - 1 (the endpoints) and
# its peers and gRPC clients on PORT_BASE + 9 + i. See bench/peers/common.sh.
TARGET=zookeeper
source "$(dirname "$0")/common.sh"

grpc_port() { echo $((port_base + 9 + $1)); }

start_member() {
  local i=$1 m=""
  for j in "${members[@]}"; do m+="${m:+,}$j=127.0.0.1:$(grpc_port "$j")"; done
  exec "${WARREND:-$bin/warrend}" --id="$i" --members="$m" --data-dir="$dir/member$i" \
    --zk-port="$(client_port "$i")" --zk-4lw-whitelist=srvr
}

leader_index() { leader_by_srvr; }

main "$@"
