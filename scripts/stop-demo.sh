#!/usr/bin/env bash
# Stops the quorum scripts/run-demo.sh left running (SIGTERM, then SIGKILL after 10 s).
set -uo pipefail
data="${WARREN_DEMO_DIR:-/tmp/warren-demo}"
shopt -s nullglob
pids=()
for f in "$data"/warrend-*.pid; do
  pid="$(cat "$f")"
  if kill -0 "$pid" 2> /dev/null && grep -q warrend "/proc/$pid/cmdline" 2> /dev/null; then
    kill -TERM "$pid" && pids+=("$pid")
  fi
  rm -f "$f"
done
for _ in $(seq 100); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2> /dev/null && alive=1; done
  [ "$alive" = 0 ] && break
  sleep 0.1
done
for pid in "${pids[@]}"; do kill -KILL "$pid" 2> /dev/null || true; done
echo "stopped ${#pids[@]} members of the quorum in $data"
