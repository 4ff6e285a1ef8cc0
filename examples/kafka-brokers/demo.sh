#!/usr/bin/env bash
# Kafka's broker registry and controller election on a running quorum: start one with
# scripts/run-demo.sh (or point $WARREN_ENDPOINTS at yours), build, then run this. It leaves
# /brokers, /controller_epoch and /controller_log behind.
source "$(dirname "$0")/../demo-lib.sh"
controller() { "$bin/warren" get /controller | sed 's/.*"brokerid":\([0-9]*\).*/\1/'; }

echo "== three brokers start; one becomes controller"
declare -A pid
for id in 1 2 3; do
  "$bin/warren-kafka-broker" serve --id="$id" --port="909$id" --session-timeout-ms=3000 \
    > "/tmp/warren-demo-broker-$id.out" 2>&1 &
  pid[$id]=$!
  disown "$!"
done
for _ in $(seq 100); do "$bin/warren" exists /controller > /dev/null 2>&1 && break; sleep 0.1; done
run "$bin/warren-kafka-broker" create-topic ledgers --partitions=3 --replication-factor=2
sleep 1
warren ls /brokers/ids
warren get /brokers/ids/1
warren get /controller
warren get /controller_epoch
warren get /brokers/topics/ledgers
warren get /brokers/topics/ledgers/partitions/0/state

first="$(controller)"
echo; echo "== the controller, broker $first, is killed (kill -9)"
kill -9 "${pid[$first]}"
for _ in $(seq 100); do
  c="$(controller 2> /dev/null || true)"
  [ -n "$c" ] && [ "$c" != "$first" ] && break
  sleep 0.1
done
sleep 1
warren get /controller
warren get /controller_epoch
warren get /brokers/topics/ledgers/partitions/0/state
echo; echo "== the controller log: each epoch has one controller"
for n in $("$bin/warren" ls /controller_log); do "$bin/warren" get "/controller_log/$n"; done

for id in 1 2 3; do if [ "$id" != "$first" ]; then kill "${pid[$id]}"; fi; done
