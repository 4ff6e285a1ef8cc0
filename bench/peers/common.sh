# Shared by bench/peers/{warren,etcd,zookeeper}.sh: a 3-member cluster of one system on
# loopback, its members' data, logs and pid files in one directory:
#   DIR/member<i>/ (data)  DIR/member<i>.log  DIR/member<i>.pid  DIR/endpoints  DIR/port_base
# Every system serves member i's clients on PORT_BASE + i - 1 (client_port).
# Sourced; the including script defines start_member <i>, leader_index and TARGET.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${WARREN_BIN:-$root/build/bin}"  # where warren-bench (and warrend, warren) are
bench="$bin/warren-bench"
members=(1 2 3)

usage() {
  cat >&2 << USAGE
usage: $0 start DIR [PORT_BASE]   start 3 members (keeping data already in DIR), wait until
                                  a write is acknowledged; prints the seconds that took
       $0 stop DIR                SIGTERM every member, SIGKILL after 30 s
       $0 kill-leader DIR         SIGKILL the leader; prints its member number
       $0 rss DIR                 resident memory of each living member, KiB, one per line
       $0 cpu DIR                 CPU seconds (user + system) the living members used so far
       $0 leader-cpu DIR          the same, of the leader alone
       $0 endpoints DIR           the client endpoints, comma-separated
       $0 bench-flags DIR         what warren-bench needs beyond them (TLS), one per line
USAGE
  exit 2
}

client_port() { echo $((port_base + $1 - 1)); }

write_endpoints() {
  local e=""
  for i in "${members[@]}"; do e+="${e:+,}127.0.0.1:$(client_port "$i")"; done
  echo "$e" > "$dir/endpoints"
}

# For ZooKeeper's protocol: the member whose four-letter word `srvr` answers "Mode: leader".
leader_by_srvr() {
  for i in "${members[@]}"; do
    if (exec 3<> "/dev/tcp/127.0.0.1/$(client_port "$i")" && printf srvr >&3 && cat <&3) \
        2> /dev/null | grep -q 'Mode: leader'; then
      echo "$i"
      return
    fi
  done
}

# A script whose clients need more than the endpoints (warren-tls.sh) redefines this.
bench_flags() { :; }

pid_of() { cat "$dir/member$1.pid" 2> /dev/null || true; }
alive() { [ -n "$1" ] && kill -0 "$1" 2> /dev/null; }

cmd_start() {
  mkdir -p "$dir"
  if [ -n "${1:-}" ]; then
    echo "$1" > "$dir/port_base"
    port_base="$1"
  fi
  [ -n "$port_base" ] || { echo "$0: first start of $dir needs PORT_BASE" >&2; exit 2; }
  write_endpoints
  local t0 ready
  t0=$(date +%s.%N)
  for i in "${members[@]}"; do
    alive "$(pid_of "$i")" && { echo "$0: member $i already runs" >&2; exit 1; }
    mkdir -p "$dir/member$i"
    start_member "$i" >> "$dir/member$i.log" 2>&1 < /dev/null &
    echo $! > "$dir/member$i.pid"
  done
  local extra=()
  mapfile -t extra < <(bench_flags)
  if ! "$bench" --target="$TARGET" --endpoints="$(cat "$dir/endpoints")" "${extra[@]}" --workload=probe \
      --duration=120s --timeout=2s --progress=false > "$dir/probe.out" 2>&1; then
    echo "$0: $TARGET did not acknowledge a write within 120 s; logs in $dir" >&2
    cat "$dir/probe.out" >&2
    exit 1
  fi
  ready=$(date +%s.%N)
  awk -v a="$t0" -v b="$ready" 'BEGIN { printf "%.2f\n", b - a }'
}

cmd_stop() {
  local pids=() p
  for i in "${members[@]}"; do
    p="$(pid_of "$i")"
    if alive "$p"; then kill -TERM "$p"; pids+=("$p"); fi
    rm -f "$dir/member$i.pid"
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 300); do alive "$p" || break; sleep 0.1; done
    alive "$p" && kill -KILL "$p"
  done
  return 0
}

cmd_kill_leader() {
  local i
  i="$(leader_index)"
  [ -n "$i" ] || { echo "$0: no leader found" >&2; exit 1; }
  kill -KILL "$(pid_of "$i")"
  echo "$i"
}

cmd_rss() {
  for i in "${members[@]}"; do
    alive "$(pid_of "$i")" || continue
    awk '/^VmRSS:/ {print $2}' "/proc/$(pid_of "$i")/status"
  done
}

# cpu_of MEMBER...: their CPU seconds (user + system) so far.
cpu_of() {
  local ticks=0 t
  for i in "$@"; do
    alive "$(pid_of "$i")" || continue
    t=$(awk '{print $14 + $15}' "/proc/$(pid_of "$i")/stat")
    ticks=$((ticks + t))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f\n", t / hz }'
}

cmd_leader_cpu() {
  local i
  i="$(leader_index)"
  [ -n "$i" ] || { echo "$0: no leader found" >&2; exit 1; }
  cpu_of "$i"
}

main() {
  [ $# -ge 2 ] || usage
  local cmd="$1"
  dir="$(realpath -m "$2")"
  port_base="$(cat "$dir/port_base" 2> /dev/null || true)"
  shift 2
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    kill-leader) cmd_kill_leader ;;
    rss) cmd_rss ;;
    cpu) cpu_of "${members[@]}" ;;
    leader-cpu) cmd_leader_cpu ;;
    endpoints) cat "$dir/endpoints" ;;
    bench-flags) bench_flags ;;
    *) usage ;;
  esac
}
