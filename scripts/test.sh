#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests, the deterministic
# simulation over 2,000 seeds (3 and 5 nodes), log crash-recovery tests, in-process runtime
# tests with injected faults, multi-process tests of real servers on loopback, and the fault
# tests (warren-jepsen's matrix in network namespaces, checked by warren-lincheck and
# warren-elle), ZooKeeper's own clients against warrend's ZooKeeper port; 30 s of fuzzing that
# port and 5 to 15 s each of the other decoders of outside bytes (scripts/fuzz.sh); then all
# of it again, with a shorter simulation, under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

# Each phase's header says when it began and how much disk is left: a member that cannot
# write its data directory fails in ways that look like bugs.
phase() { echo "== $* ($(date -u +%T), $(df -h --output=avail . | tail -1 | tr -d ' ') free)"; }

phase "build (RelWithDebInfo)"
scripts/build.sh build

# The sanitized build compiles at the lowest priority while the tests above run: most of their
# time is spent waiting (for elections, session timeouts, faults held), and the cores with
# them. -O1, as AddressSanitizer recommends: a sixth faster to build than -O2.
echo "== build under ASan + UBSan, in the background (build-asan.log)"
setsid nice -n 19 scripts/build.sh build-asan -DWARREN_SANITIZE=ON -DWARREN_SIM_SEEDS=150 \
  -DWARREN_SIM_LONG_SEEDS=30 -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  > build-asan.log 2>&1 &
asan_build=$!
trap 'kill -- -$asan_build 2>/dev/null || true' EXIT  # its process group: make and compilers too

# The fuzzers too (clang, a build of their own), behind the sanitized build.
echo "== build the fuzzers, in the background (build-fuzz.log)"
setsid nice -n 19 scripts/fuzz.sh --build-only > build-fuzz.log 2>&1 &
fuzz_build=$!
trap 'kill -- -$asan_build -$fuzz_build 2>/dev/null || true' EXIT

phase "test (RelWithDebInfo)"
(cd build && ctest --output-on-failure -j "$(nproc)")

phase "fuzz every decoder of outside bytes (libFuzzer, from the committed corpora)"
if ! wait $fuzz_build; then
  tail -50 build-fuzz.log
  echo "building the fuzzers failed (build-fuzz.log)"
  exit 1
fi
# The path fuzzer's coverage is flat within seconds, the log's within ten.
scripts/fuzz.sh 15 zk_request:30 metastore_apply peer_message snapshot log_recovery:10 path:5

phase "wait for the sanitized build"
if ! wait $asan_build; then
  tail -50 build-asan.log
  echo "the build under ASan + UBSan failed (build-asan.log)"
  exit 1
fi
trap - EXIT

phase "test under ASan + UBSan"
# ZooKeeper's own clients (kazoo, zkCli, Java: label `clients`) and the installed package
# (label `install`) run once, above: under the sanitizers the port is driven by the C client's
# test, its unit tests and the fuzzer's corpus.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$(nproc)" -LE "clients|install")
