#!/usr/bin/env bash
# Flink JobManager high availability on a running quorum: start one with scripts/run-demo.sh
# (or point $WARREN_ENDPOINTS at yours), build, then run this. It leaves /flink/demo behind.
source "$(dirname "$0")/../demo-lib.sh"

echo "== three JobManagers start; one leads and completes checkpoints"
declare -A pid
for jm in jm-1 jm-2 jm-3; do
  "$bin/warren-flink-jobmanager" --cluster-id=demo --name="$jm" --address="$jm:8081" \
    --checkpoints=30 --interval-ms=100 --session-timeout-ms=3000 \
    > "/tmp/warren-demo-$jm.out" 2>&1 &
  pid[$jm]=$!
done
sleep 1.5
warren ls /flink/demo/leader/latch
leader="$("$bin/warren" get /flink/demo/leader/connection_info | cut -d: -f1)"
warren get /flink/demo/leader/connection_info
warren get /flink/demo/checkpoints/job-1/latest

echo; echo "== the leader, $leader, is killed (kill -9) mid-stream"
kill -9 "${pid[$leader]}"
wait "${pid[$leader]}" 2> /dev/null || true
for jm in jm-1 jm-2 jm-3; do if [ "$jm" != "$leader" ]; then wait "${pid[$jm]}"; fi; done
for jm in jm-1 jm-2 jm-3; do
  echo "-- $jm said (checkpoint by checkpoint lines left out):"
  grep -vE "completed checkpoint [0-9]+$" "/tmp/warren-demo-$jm.out" | grep -v '^$' || true
done
warren get /flink/demo/checkpoints/job-1/latest
warren get /flink/demo/checkpoint_id_counter/job-1
echo "== completed checkpoints, and who completed them"
for n in $("$bin/warren" ls /flink/demo/checkpoints/job-1); do
  [ "$n" = latest ] || echo "$n $("$bin/warren" get "/flink/demo/checkpoints/job-1/$n")"
done
