#!/usr/bin/env bash
# Fuzzes every decoder that takes bytes from outside, each TARGET for SECONDS (default 60;
# TARGET:SECONDS for one of its own), all of them if none is named:
#   zk_request       ZooKeeper's port: frames to the request handler (tests/zookeeper/fuzz)
#   metastore_apply  log entries to the metastore's state machine          (tests/fuzz/...)
#   peer_message     peer messages through the member's check to a Raft core
#   log_recovery     segment and hard-state files to the log's recovery
#   snapshot         a snapshot file to the snapshot store and the tree's restore
#   path             znode paths to their validation, split and storage keys
# Builds the libFuzzer targets with clang, AddressSanitizer and UndefinedBehaviorSanitizer in
# build-fuzz/ (the fuzzers and what they link, nothing else), then runs each over a copy of its
# seed corpus. Fails if any crashes or breaks a check, leaving the input that did it in
# build-fuzz/<target>-fuzz/artifacts/ (replay it with build/bin/<target>_fuzz_corpus_test FILE;
# zk_fuzz_corpus_test for zk_request). New inputs each finds stay in build-fuzz/<target>-fuzz/
# corpus/; the committed seeds are not touched.
#   scripts/fuzz.sh [SECONDS] [TARGET[:SECONDS]...]
#   scripts/fuzz.sh --build-only [TARGET...]    (builds them, runs nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=false
if [ "${1:-}" = --build-only ]; then
  build_only=true
  seconds=0
else
  seconds="${1:-60}"
fi
shift || true
all=(zk_request metastore_apply peer_message log_recovery snapshot path)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=("${all[@]}"); fi
dir=build-fuzz

corpus_of() {
  if [ "$1" = zk_request ]; then echo tests/zookeeper/fuzz/corpus; else echo "tests/fuzz/corpus/$1"; fi
}
# The largest input worth trying: a snapshot seed holds a whole (small) RocksDB checkpoint.
max_len_of() {
  if [ "$1" = snapshot ]; then echo 32768; else echo 4096; fi
}

binaries=()
for t in "${targets[@]}"; do
  name="${t%%:*}"
  if [ ! -d "$(corpus_of "$name")" ]; then
    echo "fuzz.sh: no target $name (targets: ${all[*]})" >&2
    exit 2
  fi
  binaries+=("${name}_fuzzer")
done

# Debian's clang and its libFuzzer runtime, if missing.
if ! command -v clang++ > /dev/null ||
  ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" > /dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "fuzz.sh: installing clang and libclang-rt-14-dev"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang libclang-rt-14-dev
fi

echo "== configure and build ${binaries[*]} in $dir"
launcher=()
if command -v ccache > /dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# Coverage (-fsanitize=fuzzer-no-link) and the sanitizers on everything the fuzzers link of
# ours; asserts on (no NDEBUG).
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" \
  -DWARREN_SANITIZE=ON -DWARREN_FUZZ=ON "${launcher[@]}" > /dev/null
cmake --build "$dir" --target "${binaries[@]}" -j "$(nproc)"
if $build_only; then exit 0; fi

# The trees and logs the fuzzers write go to a temporary directory: in memory where there is one.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi

failed=()
for t in "${targets[@]}"; do
  name="${t%%:*}"
  secs="$seconds"
  if [ "$t" != "$name" ]; then secs="${t#*:}"; fi
  work="$dir/$name-fuzz"
  rm -rf "$work/corpus"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp "$(corpus_of "$name")"/* "$work/corpus/"
  echo "== fuzz $name for ${secs}s"
  if ! ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" UBSAN_OPTIONS=print_stacktrace=1 \
    "$dir/bin/${name}_fuzzer" -max_total_time="$secs" -max_len="$(max_len_of "$name")" \
    -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus"; then
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: ${failed[*]} failed; the inputs are in $dir/<target>-fuzz/artifacts/"
  exit 1
fi
echo "fuzz.sh: no crash in ${targets[*]}"
