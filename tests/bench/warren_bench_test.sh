#!/usr/bin/env bash
# warren-bench and bench/peers/warren.sh against a real 3-member warrend quorum on loopback:
# every workload does what it reports (keys created, values written, events delivered, the
# leader killed and writes resumed), and bad flags are refused with exit 2 and a message.
#   tests/bench/warren_bench_test.sh BIN_DIR PORT_BASE
set -euo pipefail
cd "$(dirname "$0")/../.."
export WARREN_BIN="$1"
port="$2"
dir="$(mktemp -d /tmp/warren-bench-test-XXXXXX)"
peers=bench/peers/warren.sh
tls_dir="$dir/tls-quorum"
trap '$peers stop "$dir" > /dev/null 2>&1 || true
  bench/peers/warren-tls.sh stop "$tls_dir" > /dev/null 2>&1 || true; rm -rf "$dir"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<< "$1"; }
expect() {  # JSON FIELD VALUE
  [ "$(field "$1" "$2")" = "$3" ] || fail "$2 is $(field "$1" "$2"), not $3, in $1"
}

$peers start "$dir" "$port" > /dev/null
endpoints="$($peers endpoints "$dir")"
wb() { "$WARREN_BIN/warren-bench" --endpoints="$endpoints" --json --warmup=0s "$@"; }
cli() { "$WARREN_BIN/warren" --endpoints="$endpoints" "$@"; }

echo "== create, batched: 30 requests of 10 keys make 300 znodes"
out="$(wb --workload=create --batch=10 --ops=30 --clients=3 --value-size=32 --prefix=c)"
expect "$out" ok 30
expect "$out" errors 0
[ "$(cli ls /c | wc -l)" -eq 300 ] || fail "/c has $(cli ls /c | wc -l) children, not 300"

echo "== set: the keys exist afterwards with values of the asked size"
out="$(wb --workload=set --ops=200 --clients=4 --inflight=2 --keys=20 --value-size=64 --prefix=s)"
expect "$out" ok 200
[ "$(cli ls /s | wc -l)" -eq 20 ] || fail "/s has $(cli ls /s | wc -l) children, not 20"
[ "$(cli get /s/k7)" = "$(printf 'v%.0s' $(seq 64))" ] || fail "/s/k7 is not 64 x v"

echo "== get (both read modes) and mixed"
for read in linearizable serializable; do
  out="$(wb --workload=get --read=$read --ops=200 --clients=4 --keys=20 --prefix=s)"
  expect "$out" ok 200
  expect "$out" errors 0
done
out="$(wb --workload=mixed --ops=300 --clients=4 --keys=20 --prefix=s)"
expect "$out" ok 300

echo "== watch: 20 writes seen by each of 4 watchers"
out="$(wb --workload=watch --ops=20 --clients=4 --prefix=w)"
expect "$out" ok 80
expect "$out" errors 0

echo "== probe, and the members' CPU and memory as bench/compare.sh reads them"
out="$(wb --workload=probe --duration=10s)"
awk -v ms="$(field "$out" ready_ms)" 'BEGIN { exit !(ms >= 0) }' || fail "probe: $out"
[ "$($peers rss "$dir" | grep -c '^[1-9][0-9]*$')" -eq 3 ] || fail "rss: $($peers rss "$dir")"
awk -v s="$($peers cpu "$dir")" 'BEGIN { exit !(s > 0) }' || fail "cpu: $($peers cpu "$dir")"

echo "== failover: the leader killed; a write acknowledged after it"
leader_before="$(cli leader | cut -d' ' -f1)"
out="$(wb --workload=failover --clients=1 --warmup=0.5s --duration=30s --timeout=2s \
  --kill-cmd="$peers kill-leader $dir > /dev/null" --prefix=f)"
awk -v ms="$(field "$out" unavailable_ms)" 'BEGIN { exit !(ms > 0) }' || fail "no outage: $out"
leader_after="$(cli --timeout-ms=10000 leader | cut -d' ' -f1)"
[ "$leader_after" != "$leader_before" ] || fail "member $leader_before still leads"
out="$(wb --workload=set --ops=20 --clients=1 --keys=5 --prefix=f)"
expect "$out" ok 20

echo "== TLS (bench/peers/warren-tls.sh): writes over TLS succeed, plaintext ones do not"
bench/peers/warren-tls.sh start "$tls_dir" $((port + 10)) > /dev/null
tls_endpoints="$(bench/peers/warren-tls.sh endpoints "$tls_dir")"
mapfile -t tls_flags < <(bench/peers/warren-tls.sh bench-flags "$tls_dir")
out="$("$WARREN_BIN/warren-bench" --endpoints="$tls_endpoints" "${tls_flags[@]}" --json \
  --warmup=0s --workload=set --ops=50 --clients=4 --keys=5 --prefix=t)"
expect "$out" ok 50
expect "$out" errors 0
set +e
"$WARREN_BIN/warren-bench" --endpoints="$tls_endpoints" --workload=set --ops=1 --timeout=2s \
  > /dev/null 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a plaintext client was served by a TLS quorum"
# kill-leader finds the leader over TLS too; the other two go on taking writes.
bench/peers/warren-tls.sh kill-leader "$tls_dir" > /dev/null
out="$("$WARREN_BIN/warren-bench" --endpoints="$tls_endpoints" "${tls_flags[@]}" --json \
  --warmup=0s --workload=set --ops=10 --clients=1 --keys=5 --prefix=t)"
expect "$out" ok 10
bench/peers/warren-tls.sh stop "$tls_dir" > /dev/null

echo "== bad input: exit 2 and a message, nothing run"
for bad in --clients=0 --inflight=-1 --workload=nope --target=nope --read=stale \
    --value-size=-5 --prefix=a/b --duration=0s --tls-ca=/nonexistent/ca.pem \
    "--target=etcd --tls-ca=$0"; do
  set +e
  # shellcheck disable=SC2086  # one case is two flags
  msg="$(wb --workload=set $bad --ops=1 2>&1 > /dev/null)"
  rc=$?
  set -e
  [ "$rc" -eq 2 ] || fail "$bad exited $rc, not 2"
  [ -n "$msg" ] || fail "$bad printed no message"
done
set +e
"$WARREN_BIN/warren-bench" --endpoints=127.0.0.1:1 --workload=probe --duration=1s --timeout=200ms \
  > /dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "a probe of nothing exited $rc, not 1"
echo PASS
