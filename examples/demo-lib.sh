# Sourced by the examples' demo scripts: the quorum they talk to (scripts/run-demo.sh's by
# default), the binaries, and `run`, which echoes a command before running it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export WARREN_ENDPOINTS="${WARREN_ENDPOINTS:-127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103}"
bin="$PWD/build/bin"
if ! "$bin/warren" --timeout-ms=3000 status > /dev/null 2>&1; then
  echo "no quorum answers at $WARREN_ENDPOINTS: start one with scripts/run-demo.sh" >&2
  exit 1
fi
run() {
  echo "\$ $(basename "$1")$(printf ' %q' "${@:2}")"
  "$@"
}
warren() { run "$bin/warren" "$@"; }
