#!/usr/bin/env bash
# The main job, until the metastore exists: three simulated Raft peers elect a leader,
# commit commands, survive the loss of their leader, and heal.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
build/bin/warren-demo "$@"
