#!/usr/bin/env bash
# A 3-member etcd cluster (Debian's etcd-server) on loopback, with etcd's defaults (every
# write fsynced before it is acknowledged): clients on PORT_BASE..+2, peers on
# PORT_BASE+10..+12. See bench/peers/common.sh for the commands.
TARGET=etcd
source "$(dirname "$0")/common.sh"

start_member() {
  local i=$1 cluster=""
  for j in "${members[@]}"; do
    cluster+="${cluster:+,}m$j=http://127.0.0.1:$((port_base + 9 + j))"
  done
  exec etcd --name "m$i" --data-dir "$dir/member$i" \
    --listen-client-urls "http://127.0.0.1:$(client_port "$i")" \
    --advertise-client-urls "http://127.0.0.1:$(client_port "$i")" \
    --listen-peer-urls "http://127.0.0.1:$((port_base + 9 + i))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((port_base + 9 + i))" \
    --initial-cluster "$cluster" --initial-cluster-state new \
    --initial-cluster-token warren-bench
}

# `etcdctl endpoint status` prints: endpoint, id, version, db size, is leader, ...
leader_index() {
  local n=1
  while IFS=, read -r _ _ _ _ is_leader _; do
    if [ "$(echo "$is_leader" | tr -d ' ')" = true ]; then echo "$n"; return; fi
    n=$((n + 1))
  done < <(ETCDCTL_API=3 etcdctl --endpoints="$(cat "$dir/endpoints")" endpoint status 2> /dev/null)
}

main "$@"
