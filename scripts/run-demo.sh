#!/usr/bin/env bash
# The main job: a local 3-member Warren metastore quorum (warrend) on loopback, a short tour
# through the `warren` CLI (znodes, versions, sequential and ephemeral nodes, a watch, the
# leader killed with SIGKILL), the same tree read through ZooKeeper's own zkCli.sh on the
# members' ZooKeeper ports (PORT+80..+82), and then the quorum is left running for you to use,
# each member serving Prometheus metrics and its health checks on PORT+90..+92.
#   WARREN_DEMO_PORT=7101 WARREN_DEMO_DIR=/tmp/warren-demo scripts/run-demo.sh
# Stop it with scripts/stop-demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build

port="${WARREN_DEMO_PORT:-7101}"
data="${WARREN_DEMO_DIR:-/tmp/warren-demo}"
members="1=127.0.0.1:$port,2=127.0.0.1:$((port + 1)),3=127.0.0.1:$((port + 2))"
endpoints="127.0.0.1:$port,127.0.0.1:$((port + 1)),127.0.0.1:$((port + 2))"
zk_port() { echo $((port + 79 + $1)); }
zk_hosts="127.0.0.1:$(zk_port 1),127.0.0.1:$(zk_port 2),127.0.0.1:$(zk_port 3)"
metrics_port() { echo $((port + 89 + $1)); }
bin="$PWD/build/bin"

WARREN_DEMO_DIR="$data" scripts/stop-demo.sh > /dev/null 2>&1 || true
rm -rf "$data"
mkdir -p "$data"

start() {
  # setsid: the members outlive this script.
  setsid "$bin/warrend" --id="$1" --members="$members" --data-dir="$data/$1" \
    --zk-port="$(zk_port "$1")" --zk-4lw-whitelist=ruok,srvr,mntr \
    --metrics-address="127.0.0.1:$(metrics_port "$1")" \
    >> "$data/warrend-$1.log" 2>&1 < /dev/null &
  echo "$!" > "$data/warrend-$1.pid"
  disown "$!"
}
w() {
  echo "\$ warren$(printf ' %q' "$@")"
  "$bin/warren" --endpoints="$endpoints" "$@"
}
leader() { "$bin/warren" --endpoints="$endpoints" --timeout-ms=20000 leader | cut -d' ' -f1; }

echo "== starting 3 members on 127.0.0.1:$port-$((port + 2)); data and logs in $data"
for id in 1 2 3; do start "$id"; done
l="$(leader)"
echo "== member $l leads"
w status

echo; echo "== znodes, versions and sequential nodes"
w create /ledgers "ledger metadata root"
w create -s /ledgers/L "ledger one"
w create -s /ledgers/L "ledger two"
w ls /ledgers
w set /ledgers/L0000000000 "closed" -v 0
w set /ledgers/L0000000000 "stale write" -v 0 || echo "   (refused: someone else changed it first)"
w get /ledgers/L0000000000
w stat /ledgers

echo; echo "== a watch on /brokers, while a broker registers (ephemeral) and its session ends"
w create /brokers ""
"$bin/warren" --endpoints="$endpoints" watch /brokers --recursive --count=2 > "$data/watch.out" 2>&1 &
watcher=$!
for _ in $(seq 100); do grep -q watching "$data/watch.out" && break; sleep 0.1; done
w create -e /brokers/b1 "host-a:9092"
w exists /brokers/b1 || echo "   (gone: it lived as long as that command's session)"
wait "$watcher"
cat "$data/watch.out"

echo; echo "== kill -9 the leader (member $l); the others elect a new one and lose nothing"
kill -KILL "$(cat "$data/warrend-$l.pid")"
w ls /ledgers
echo "   new leader: member $(leader)"
start "$l"
w create -s /ledgers/L "ledger three"
sleep 2  # member $l catches up
w members

echo; echo "== the same tree through ZooKeeper's own client, on the members' ZooKeeper ports"
echo "\$ zkCli.sh -server $zk_hosts ls /ledgers"
/usr/share/zookeeper/bin/zkCli.sh -server "$zk_hosts" ls /ledgers 2> /dev/null | tail -1

cat << DONE

The quorum is still running (data and logs in $data). Try:
  export WARREN_ENDPOINTS=$endpoints
  build/bin/warren ls /ledgers
  build/bin/warren watch / --recursive
  build/bin/warren --json stat /ledgers
  /usr/share/zookeeper/bin/zkCli.sh -server $zk_hosts
  curl -s 127.0.0.1:$(metrics_port 1)/metrics | grep ^warren_raft_role
  curl -s 127.0.0.1:$(metrics_port 1)/readyz
Stop it with:
  WARREN_DEMO_DIR=$data scripts/stop-demo.sh
DONE
