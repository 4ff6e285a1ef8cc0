#!/usr/bin/env bash
# The main job, until the metastore lands: a local 3-member replicated counter on Warren's
# Raft runtime, driven through its CLI. The leader is killed with SIGKILL mid-way and comes
# back; no acknowledged increment is lost and none counts twice.
#   WARREN_DEMO_PORT=7101 scripts/run-demo.sh     (uses that port and the next two)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build

port="${WARREN_DEMO_PORT:-7101}"
members="1=127.0.0.1:$port,2=127.0.0.1:$((port + 1)),3=127.0.0.1:$((port + 2))"
data="$(mktemp -d /tmp/warren-demo-XXXXXX)"
declare -A pids

start() {
  build/bin/warren-counter-server --id="$1" --members="$members" --data-dir="$data/$1" \
    --snapshot-entries=500 --log-retention=100 >> "$data/server-$1.log" 2>&1 &
  pids[$1]=$!
}
cleanup() {
  for id in "${!pids[@]}"; do kill -TERM "${pids[$id]}" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
cli() { build/bin/warren-counter --members="$members" "$@"; }
leader() { cli status | awk '$3 == "leader" { print $1 }' | head -1; }
wait_for_leader() {
  for _ in $(seq 100); do
    l="$(leader)"
    if [ -n "$l" ]; then echo "$l"; return; fi
    sleep 0.1
  done
  echo "no leader after 10 s; logs in $data" >&2
  exit 1
}

echo "== starting 3 members on 127.0.0.1:$port-$((port + 2)), data in $data"
for id in 1 2 3; do start "$id"; done
l="$(wait_for_leader)"
echo "== member $l leads"
cli status

echo "== 1000 increments, 16 in flight"
cli incr --times=1000 --concurrency=16

echo "== 2000 more; the leader is killed with SIGKILL while they run"
cli incr --times=2000 --concurrency=16 &
incr=$!
sleep 0.3
kill -KILL "${pids[$l]}"
wait "${pids[$l]}" 2> /dev/null || true
unset "pids[$l]"
echo "   killed member $l"
wait "$incr"
echo "== linearizable read (expect 3000):"
cli get

echo "== member $l restarts and catches up"
start "$l"
sleep 2
cli status
echo "== sequential read at member $l alone (expect 3000):"
build/bin/warren-counter --members="$l=127.0.0.1:$((port + l - 1))" get --sequential
echo "== stopping"
