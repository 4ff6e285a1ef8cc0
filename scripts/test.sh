#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests, the deterministic
# simulation over 2,000 seeds (3 and 5 nodes), log crash-recovery tests, in-process runtime
# tests with injected faults, multi-process tests of real servers on loopback, and the fault
# tests (warren-jepsen's matrix in network namespaces, checked by warren-lincheck), ZooKeeper's
# own clients against warrend's ZooKeeper port; 30 s of fuzzing that port; then all of it
# again, with a shorter simulation, under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== build and test (RelWithDebInfo)"
scripts/build.sh build
(cd build && ctest --output-on-failure -j "$(nproc)")

echo "== fuzz ZooKeeper's port (libFuzzer, from the committed corpus)"
scripts/fuzz.sh 30

echo "== build and test under ASan + UBSan"
scripts/build.sh build-asan -DWARREN_SANITIZE=ON -DWARREN_SIM_SEEDS=150 -DWARREN_SIM_LONG_SEEDS=30
# ZooKeeper's own clients (kazoo, zkCli, Java: label `clients`) run once, above: under the
# sanitizers the port is driven by the C client's test, its unit tests and the fuzzer's corpus.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$(nproc)" -LE clients)
