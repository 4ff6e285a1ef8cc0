#!/usr/bin/env bash
# A 3-member ZooKeeper ensemble (Debian's zookeeper, run as its QuorumPeerMain with the JVM's
# defaults) on loopback, with ZooKeeper's defaults (tickTime 2000, every write fsynced to the
# transaction log before it is acknowledged): clients on PORT_BASE..+2, quorum on
# PORT_BASE+10..+12, election on PORT_BASE+20..+22. See bench/peers/common.sh.
TARGET=zookeeper
source "$(dirname "$0")/common.sh"

start_member() {
  local i=$1 conf="$dir/member$i/conf"
  mkdir -p "$conf" "$dir/member$i/data"
  echo "$i" > "$dir/member$i/data/myid"
  {
    echo "tickTime=2000"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$dir/member$i/data"
    echo "clientPort=$(client_port "$i")"
    echo "clientPortAddress=127.0.0.1"
    echo "admin.enableServer=false"
    echo "4lw.commands.whitelist=srvr"
    for j in "${members[@]}"; do
      echo "server.$j=127.0.0.1:$((port_base + 9 + j)):$((port_base + 19 + j))"
    done
  } > "$conf/zoo.cfg"
  cp /etc/zookeeper/conf/log4j.properties "$conf/"
  exec java -cp "$conf:/usr/share/java/zookeeper.jar" -Dzookeeper.root.logger=WARN,CONSOLE \
    -Dzookeeper.log.dir="$dir/member$i" org.apache.zookeeper.server.quorum.QuorumPeerMain \
    "$conf/zoo.cfg"
}

leader_index() { leader_by_srvr; }

main "$@"
