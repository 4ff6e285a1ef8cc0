#!/usr/bin/env bash
# Fuzzes ZooKeeper's port for SECONDS (default 60): builds tests/zookeeper/fuzz's libFuzzer
# target with clang, AddressSanitizer and UndefinedBehaviorSanitizer in build-fuzz/ (the
# fuzzer and what it links, nothing else), then runs it over a copy of the seed corpus.
# Fails on any crash or broken check, leaving the input that did it in
# build-fuzz/zk-fuzz/artifacts/ (replay it with build/bin/zk_fuzz_corpus_test FILE, or
# ZK_FUZZ_TRACE=1 to see every request and reply). New inputs it finds stay in
# build-fuzz/zk-fuzz/corpus/; the committed seeds are not touched.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
dir=build-fuzz

# Debian's clang and its libFuzzer runtime, if missing.
if ! command -v clang++ > /dev/null ||
  ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" > /dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "fuzz.sh: installing clang and libclang-rt-14-dev"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang libclang-rt-14-dev
fi

echo "== configure and build zk_request_fuzzer in $dir"
# Coverage (-fsanitize=fuzzer-no-link) and the sanitizers on everything the fuzzer links of
# ours; asserts on (no NDEBUG).
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" \
  -DWARREN_SANITIZE=ON -DWARREN_FUZZ=ON > /dev/null
cmake --build "$dir" --target zk_request_fuzzer -j "$(nproc)"

work="$dir/zk-fuzz"
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
cp tests/zookeeper/fuzz/corpus/* "$work/corpus/"
# The fuzzer's tree is RocksDB in a temporary directory: in memory where there is one.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi

echo "== fuzz for ${seconds}s"
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" UBSAN_OPTIONS=print_stacktrace=1 \
  "$dir/bin/zk_request_fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=20 \
  -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus"
echo "fuzz.sh: no crash in ${seconds}s"
