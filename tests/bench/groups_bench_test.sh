#!/usr/bin/env bash
# warren-bench-groups, briefly: rounds of 1 and 4 groups on loopback finish, each reports a
# positive write rate and some idle traffic (heartbeats), the data directories are removed,
# and a bad flag is refused with exit 2.
#   tests/bench/groups_bench_test.sh BIN PORT_BASE
set -euo pipefail
bin="$1"
port="$2"
dir="$(mktemp -d /tmp/warren-bench-groups-test-XXXXXX)"
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

out="$("$bin" --groups=1,4 --duration=1s --warmup=0.2s --idle=0.5s --port-base="$port" \
  --segment-mib=4 --dir="$dir")" || fail "exited $?"
echo "$out"
for groups in 1 4; do
  row="$(grep "^| $groups |" <<< "$out")" || fail "no row for $groups groups"
  # | groups | writes/s total | per group | p50 | p99 | idle messages/s | idle CPU ms/s |
  awk -F'|' '{ exit !($3 > 0 && $7 > 0) }' <<< "$row" \
    || fail "$groups groups: no writes or no idle messages: $row"
done
[ -z "$(ls -A "$dir")" ] || fail "left behind in $dir: $(ls -A "$dir")"

set +e
"$bin" --groups=1,0 --port-base="$port" > /dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--groups=1,0 exited $rc, not 2"
echo PASS
