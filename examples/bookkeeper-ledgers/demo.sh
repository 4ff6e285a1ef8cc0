#!/usr/bin/env bash
# BookKeeper's ledger metadata on a running quorum: start one with scripts/run-demo.sh (or
# point $WARREN_ENDPOINTS at yours), build, then run this. It leaves /ledgers behind; remove
# it with `warren deleteall /ledgers`.
source "$(dirname "$0")/../demo-lib.sh"
ledgers() { run "$bin/warren-ledgers" "$@"; }

echo "== the layout"
ledgers init --layout=hierarchical

echo; echo "== three bookies register (each holds a session, as a bookie process does)"
pids=()
for b in bookie-1 bookie-2 bookie-3; do
  "$bin/warren-ledgers" register-bookie "$b" --address="127.0.0.1:318${b: -1}" \
    --session-timeout-ms=3000 > "/tmp/warren-demo-$b.out" 2>&1 &
  pids+=("$!")
  disown "$!"
done
for b in bookie-1 bookie-2 bookie-3; do
  for _ in $(seq 100); do grep -q registered "/tmp/warren-demo-$b.out" && break; sleep 0.1; done
done
ledgers list-bookies

echo; echo "== a writer creates a ledger; two clients race to close it"
id="$("$bin/warren-ledgers" create-ledger --ensemble=3 --write-quorum=2 --ack-quorum=2 --custom=application=demo)"
echo "ledger $id"
ledgers read "$id"
version="$("$bin/warren-ledgers" read "$id" | sed -n 's/^version: //p')"
ledgers close "$id" --last-entry=99 --length=4096 --version="$version"
ledgers close "$id" --last-entry=42 --length=1024 --version="$version" ||
  echo "   (refused: the other close won)"
"$bin/warren-ledgers" create-ledger > /dev/null
"$bin/warren-ledgers" create-ledger > /dev/null
ledgers list

echo; echo "== what it wrote"
warren ls /ledgers
warren ls /ledgers/available
warren get /ledgers/LAYOUT
warren get /ledgers/cookies/bookie-1
warren get "$("$bin/warren-ledgers" read "$id" | sed -n 's/^path: //p')"

echo; echo "== bookie-3 dies (kill -9): it leaves the list once its session expires"
kill -9 "${pids[2]}"
sleep 5
ledgers list-bookies
kill "${pids[0]}" "${pids[1]}"

