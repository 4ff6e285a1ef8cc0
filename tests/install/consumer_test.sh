#!/usr/bin/env bash
# Warren as a user installs it: `cmake --install` into a fresh prefix, then examples/consumer
# built out of tree against that prefix alone, with find_package(Warren) and again with
# pkg-config, and run — its own state machine under the Raft runtime, and a metastore client
# against the installed warrend.
#   tests/install/consumer_test.sh BUILD_DIR PORT_BASE
set -euo pipefail
cd "$(dirname "$0")/../.."
build="$1" port="$2"
work="$(mktemp -d /tmp/warren-install-test-XXXXXX)"
warrend_pid=""
trap '[ -z "$warrend_pid" ] || kill -9 "$warrend_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== cmake --install"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
prefix="$work/prefix"
for f in bin/warrend bin/warren include/warren/raft/server/raft_server.h \
  include/warren/proto/metastore.pb.h include/warren/proto/metastore.proto \
  lib/cmake/Warren/WarrenConfig.cmake lib/pkgconfig/warren.pc lib/libwarren_raft_core.a; do
  [ -e "$prefix/$f" ] || fail "$f was not installed"
done
[ ! -e "$prefix/include/warren/metastore/server" ] || fail "the server's internals were installed"

echo "== examples/consumer with find_package(Warren)"
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S examples/consumer -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" > "$work/configure.log" ||
  { cat "$work/configure.log"; fail "configuring the consumer"; }
cmake --build "$work/consumer" -j "$(nproc)"

echo "== tally: its own state machine under the Raft runtime"
out="$("$work/consumer/tally" --members=1=127.0.0.1:"$port" --data-dir="$work/tally" 2> "$work/tally.log")" ||
  { tail -20 "$work/tally.log"; fail "tally: $out"; }
echo "$out"
grep -qx "apples = 7" <<< "$out" || fail "tally did not read apples = 7"
grep -q "add apples many -> INVALID_ARGUMENT: bad tally command" <<< "$out" ||
  fail "a bad command was not refused with its message"

echo "== znodes: a metastore client against the installed warrend"
endpoint="127.0.0.1:$((port + 1))"
"$prefix/bin/warrend" --id=1 --members=1="$endpoint" --data-dir="$work/m1" 2> "$work/warrend.log" &
warrend_pid=$!
for _ in $(seq 100); do
  "$prefix/bin/warren" --endpoints="$endpoint" leader > /dev/null 2>&1 && break
  sleep 0.2
done
"$work/consumer/znodes" --endpoints="$endpoint"

echo "== znodes again, built with pkg-config alone"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046 # pkg-config's words are meant to split
${launcher:+ccache} c++ -std=c++20 -O1 examples/consumer/znodes.cc -o "$work/znodes-pc" \
  $(pkg-config --cflags --libs warren absl_flags absl_flags_parse)
"$work/znodes-pc" --endpoints="$endpoint" --root=/consumer-pkg-config

echo "== the installed warrend stops cleanly on SIGTERM"
kill -TERM "$warrend_pid"
wait "$warrend_pid" || { tail -20 "$work/warrend.log"; fail "warrend exited with $?"; }
warrend_pid=""
echo "PASS"
