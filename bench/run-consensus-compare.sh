#!/usr/bin/env bash
# Replicated small writes, side by side: a 3-member Warren metastore (warrend, setData on a
# znode), a 3-member etcd cluster (Put) and a 3-member ZooKeeper ensemble (setData), all on this
# machine's loopback and disk, started here from
# Debian packages, each driven by warren-bench-consensus through its own client. Prints a
# table with Warren's figures as ratios of the others'.
#   bench/run-consensus-compare.sh [OPS] [PORT_BASE]      (defaults 20000, 7200)
set -euo pipefail
cd "$(dirname "$0")/.."
ops="${1:-20000}"
base="${2:-7200}"

scripts/install-deps.sh
need=()
for p in etcd-server libzookeeper-mt-dev zookeeper default-jre-headless bc; do
  dpkg -s "$p" > /dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get install -y -q "${need[@]}" > /dev/null
fi
scripts/build.sh build
bench=build/bin/warren-bench-consensus

data="$(mktemp -d /tmp/warren-compare-XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

# Warren: ports base..base+2.
warren_members="1=127.0.0.1:$base,2=127.0.0.1:$((base + 1)),3=127.0.0.1:$((base + 2))"
warren_endpoints="127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
for i in 1 2 3; do
  build/bin/warrend --id=$i --members="$warren_members" --data-dir="$data/warren$i" \
    > "$data/warren$i.log" 2>&1 &
  pids+=($!)
done

# etcd: clients base+10.., peers base+20..
etcd_cluster="" etcd_endpoints=""
for i in 1 2 3; do
  etcd_cluster+="${etcd_cluster:+,}e$i=http://127.0.0.1:$((base + 19 + i))"
  etcd_endpoints+="${etcd_endpoints:+,}127.0.0.1:$((base + 9 + i))"
done
for i in 1 2 3; do
  etcd --name "e$i" --data-dir "$data/etcd$i" \
    --listen-client-urls "http://127.0.0.1:$((base + 9 + i))" \
    --advertise-client-urls "http://127.0.0.1:$((base + 9 + i))" \
    --listen-peer-urls "http://127.0.0.1:$((base + 19 + i))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((base + 19 + i))" \
    --initial-cluster "$etcd_cluster" --initial-cluster-state new \
    --initial-cluster-token warren-bench > "$data/etcd$i.log" 2>&1 &
  pids+=($!)
done

# ZooKeeper: clients base+30.., quorum base+40.., election base+50..
zk_endpoints=""
for i in 1 2 3; do zk_endpoints+="${zk_endpoints:+,}127.0.0.1:$((base + 29 + i))"; done
for i in 1 2 3; do
  conf="$data/zk$i-conf"
  mkdir -p "$conf" "$data/zk$i"
  echo "$i" > "$data/zk$i/myid"
  {
    echo "tickTime=2000"; echo "initLimit=10"; echo "syncLimit=5"
    echo "dataDir=$data/zk$i"; echo "clientPort=$((base + 29 + i))"
    echo "clientPortAddress=127.0.0.1"; echo "admin.enableServer=false"
    for j in 1 2 3; do echo "server.$j=127.0.0.1:$((base + 39 + j)):$((base + 49 + j))"; done
  } > "$conf/zoo.cfg"
  cp /etc/zookeeper/conf/log4j.properties "$conf/"
  java -cp "$conf:/usr/share/java/zookeeper.jar" -Dzookeeper.root.logger=WARN,CONSOLE \
    -Dzookeeper.log.dir="$data" org.apache.zookeeper.server.quorum.QuorumPeerMain \
    "$conf/zoo.cfg" > "$data/zk$i.log" 2>&1 &
  pids+=($!)
done

declare -A endpoints=([warren]="$warren_endpoints" [etcd]="$etcd_endpoints" [zookeeper]="$zk_endpoints")
for s in warren etcd zookeeper; do
  for _ in $(seq 60); do
    if "$bench" --system=$s --endpoints="${endpoints[$s]}" --ops=1 --concurrency=1 \
        > /dev/null 2>&1; then
      continue 2
    fi
    sleep 1
  done
  echo "$s did not become ready; logs in $data" >&2
  trap - EXIT
  exit 1
done

# Two rounds in opposite orders, so drift of the disk does not favour one system.
declare -A ops_sum secs_sum p50 p99
run() {
  local s=$1 c=$2 line
  line="$("$bench" --system="$s" --endpoints="${endpoints[$s]}" --ops="$ops" --concurrency="$c")"
  local k="$s/$c"
  ops_sum[$k]=$(( ${ops_sum[$k]:-0} + ops ))
  secs_sum[$k]=$(echo "${secs_sum[$k]:-0} + $(sed 's/.*seconds=\([0-9.]*\).*/\1/' <<< "$line")" | bc -l)
  p50[$k]="$(sed 's/.*p50_ms=\([0-9.]*\).*/\1/' <<< "$line")"
  p99[$k]="$(sed 's/.*p99_ms=\([0-9.]*\).*/\1/' <<< "$line")"
}
for c in 1 16; do
  for s in warren etcd zookeeper; do run $s $c; done
  for s in zookeeper etcd warren; do run $s $c; done
done

echo "# Replicated small writes, 3 members each on loopback, $ops writes x 2 rounds per row"
echo
echo "| system | writers | writes/s | p50 ms (last round) | p99 ms (last round) | Warren ÷ this |"
echo "|---|---|---|---|---|---|"
for c in 1 16; do
  w=$(echo "${ops_sum[warren/$c]} / ${secs_sum[warren/$c]}" | bc -l)
  for s in warren etcd zookeeper; do
    k="$s/$c"
    r=$(echo "${ops_sum[$k]} / ${secs_sum[$k]}" | bc -l)
    printf "| %s | %d | %.0f | %s | %s | %.2f |\n" "$s" "$c" "$r" "${p50[$k]}" "${p99[$k]}" \
      "$(echo "$w / $r" | bc -l)"
  done
done
