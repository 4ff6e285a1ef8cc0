#!/usr/bin/env bash
# A 3-member Warren metastore (build/bin/warrend) on 127.0.0.1:PORT_BASE..+2 (one port per
# member for peers and clients), with its defaults. WARREN_BIN=DIR takes the binaries from
# another build; WARREND=PATH runs another warrend (to compare two). See bench/peers/common.sh.
TARGET=warren
source "$(dirname "$0")/common.sh"

start_member() {
  local i=$1 m=""
  for j in "${members[@]}"; do m+="${m:+,}$j=127.0.0.1:$(client_port "$j")"; done
  exec "${WARREND:-$bin/warrend}" --id="$i" --members="$m" --data-dir="$dir/member$i"
}

leader_index() {
  "$bin/warren" --endpoints="$(cat "$dir/endpoints")" --timeout-ms=10000 leader |
    cut -d' ' -f1
}

main "$@"
