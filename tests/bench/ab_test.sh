#!/usr/bin/env bash
# bench/ab.sh, briefly: one quick round of a warrend against itself prints a row for every
# cell with both builds' throughput, and bad usage is refused with exit 2.
#   tests/bench/ab_test.sh BIN_DIR PORT_BASE
set -euo pipefail
bin="$1"
port="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$(mktemp -d /tmp/warren-ab-test-XXXXXX)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

out="$(WARREN_BIN="$bin" "$root/bench/ab.sh" --quick --port-base="$port" --out="$dir" \
  "$bin/warrend" "$bin/warrend")" || fail "exited $?"
echo "$out"
for cell in "set 16" "create 16" "set 128" "create 128" "set 16 --leader-only"; do
  row="$(grep -F "| $cell |" <<< "$out")" || fail "no row for $cell"
  # | cell | A ops/s | B ops/s | B/A | ...
  awk -F'|' '{ exit !($3 > 0 && $4 > 0) }' <<< "$row" || fail "$cell: no writes: $row"
done

set +e
"$root/bench/ab.sh" --rounds=0 "$bin/warrend" "$bin/warrend" > /dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--rounds=0 exited $rc, not 2"
echo PASS
