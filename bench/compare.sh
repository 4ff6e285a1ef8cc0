#!/usr/bin/env bash
# Warren side by side with etcd and ZooKeeper on this machine, in one run: each started as a
# 3-member cluster on loopback by bench/peers/, one after another, and driven by the same
# load generator (build/bin/warren-bench) through its own client. Prints Markdown tables:
# throughput and p99 per workload and client count with the ratios warren/etcd and
# warren/zookeeper; watch delivery latency; resident memory with KEYS keys of 100 B loaded,
# restart-to-ready time with that data, and how long writes stop when the leader is killed;
# and Warren's reads and watches with its clients spread over the members (its default)
# next to all of them at the leader (--leader-only). Warren is driven twice: through its own
# client (warren) and through its ZooKeeper port with the ZooKeeper client the zookeeper
# column uses (warren-zk: bench/peers/warren-zk.sh), so the two doors and the two servers
# compare with the same client library; and a third time with TLS on every connection
# (warren-tls: bench/peers/warren-tls.sh), on writes only, next to the plaintext figures.
#   bench/compare.sh [--quick] [--rounds=N] [--port-base=N] [--out=DIR]
# --rounds=N: measure every target N times (default 2; 1 with --quick). Odd rounds run the
# targets in the order above, even rounds in reverse (A B C C B A), so that a ratio is not an
# accident of which system ran first or while the machine was busy. Every cell printed is
# the median over the rounds and every ratio a ratio of medians; the throughput, watch and
# footprint tables also give each system's spread over the rounds, (max - min) / median.
# --quick: a small version (1 s per cell, 1 and 16 clients, 20,000 keys), under two minutes
# a round.
# DIR/r<R>/ holds round R: results.jsonl (the JSON object warren-bench prints for each run,
# in the order they ran) and a directory per target with every member's data and log.
# DIR/bench.log collects warren-bench's messages of every round.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/results.sh

usage() {
  echo "usage: $0 [--quick] [--rounds=N] [--port-base=N] [--out=DIR]" >&2
  exit 2
}
quick=false
rounds=""
port_base=7300
out=""
for arg in "$@"; do
  case "$arg" in
    --quick) quick=true ;;
    --rounds=*) rounds="${arg#*=}" ;;
    --port-base=*) port_base="${arg#*=}" ;;
    --out=*) out="${arg#*=}" ;;
    *) usage ;;
  esac
done
if [ -z "$rounds" ]; then
  if $quick; then rounds=1; else rounds=2; fi
fi
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || usage

if $quick; then
  duration=1s warmup=0.2s client_counts=(1 16) workloads=(create set get)
  watchers=16 load_keys=20000 failover_warmup=0.5s
else
  duration=10s warmup=2s client_counts=(1 16 128)
  workloads=(create set get get-serializable mixed) watchers=128 load_keys=1000000
  failover_warmup=1s
fi
targets=(warren warren-tls warren-zk etcd zookeeper)
# The warren-bench driver of each target: warren-zk is Warren through ZooKeeper's client;
# warren-tls is Warren with TLS on every connection (bench/peers/warren-tls.sh), measured on
# writes only, for the cost of TLS.
declare -A driver=([warren]=warren [warren-tls]=warren [warren-zk]=zookeeper [etcd]=etcd
  [zookeeper]=zookeeper)
write_workloads=(create set)

scripts/install-deps.sh
need=()
for p in etcd-server etcd-client zookeeper default-jre-headless; do
  dpkg -s "$p" > /dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get install -y -q "${need[@]}" > /dev/null
fi
scripts/build.sh build > /dev/null
bench=build/bin/warren-bench

out="${out:-$(mktemp -d /tmp/warren-compare-XXXXXX)}"
mkdir -p "$out"
# The round, target, cluster directory and results file being measured: globals, because
# peer and the EXIT trap read them.
round="" t="" dir="" results=""
# peer COMMAND [ARGS]: bench/peers/<target>.sh for the target $t, its cluster in $dir.
peer() { "bench/peers/$t.sh" "$1" "$dir" "${@:2}"; }
running=false
cleanup() { if $running; then peer stop > /dev/null 2>&1 || true; fi; }
trap cleanup EXIT

declare -A port=([warren]=$port_base [etcd]=$((port_base + 30)) [zookeeper]=$((port_base + 60))
  [warren-zk]=$((port_base + 90)) [warren-tls]=$((port_base + 120)))
# Every figure is kept per round, under ROUND|TARGET|LABEL. footprint's labels are rss (KiB),
# restart (s) and failover (ms).
declare -A ops p99 cpu_us completed leader_cpu_us footprint

# run TARGET LABEL warren-bench-flags...: one measured run, remembered under
# ROUND|TARGET|LABEL with the CPU the members spent per request (the warm-up's requests and
# CPU included).
run() {
  local target=$1 label=$2 key="$round|$1|$2" line cpu_before cpu_after extra=()
  shift 2
  mapfile -t extra < <(peer bench-flags)
  cpu_before="$(peer cpu)"
  line="$("$bench" --target="${driver[$target]}" --endpoints="$(peer endpoints)" "${extra[@]}" \
    --json "$@" \
    2>> "$out/bench.log")" ||
    echo "  (round $round: $target $label had errors; see $out/bench.log)" >&2
  cpu_after="$(peer cpu)"
  echo "$line" >> "$results"
  ops[$key]="$(field "$line" ops_per_s)"
  p99[$key]="$(field "$line" p99_ms)"
  completed[$key]="$(field "$line" completed)"
  cpu_us[$key]="$(awk -v a="$cpu_before" -v b="$cpu_after" \
    -v n="$(field "$line" completed)" 'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / n }')"
  printf '  r%s %-10s %-18s %10.0f/s  p99 %8.2f ms  server CPU %6s us/request\n' "$round" \
    "$target" "$label" "${ops[$key]:-0}" "${p99[$key]:-0}" "${cpu_us[$key]:-?}" >&2
}

# run_placement LABEL warren-bench-flags...: run, and remember the leader's CPU per request
# (the warm-up's included, as in run).
run_placement() {
  local label=$1 key="$round|warren|$1" before after
  shift
  before="$(peer leader-cpu)"
  run warren "$label" "$@"
  after="$(peer leader-cpu)"
  # A watch run counts deliveries per second only: per delivery, then.
  leader_cpu_us[$key]="$(awk -v a="$before" -v b="$after" -v n="${completed[$key]:-0}" \
    -v rate="${ops[$key]:-0}" -v d="${duration%s}" -v w="${warmup%s}" \
    'BEGIN { if (n == 0) n = rate * (d + w); if (n > 0) printf "%.0f", (b - a) * 1e6 / n }')"
  echo "    leader CPU ${leader_cpu_us[$key]:-?} us/request" >&2
}
placement_clients=${client_counts[-1]}

start_fresh() {  # a new cluster of $t in an empty $dir
  rm -rf "$dir"
  running=true
  peer start "${port[$t]}" > /dev/null
}
stop_cluster() { peer stop; running=false; }

measure_matrix() {  # every workload at every client count; warren-tls the writes only
  local measured=("${workloads[@]}") w c
  local -a flags
  [ "$t" = warren-tls ] && measured=("${write_workloads[@]}")
  for w in "${measured[@]}"; do
    for c in "${client_counts[@]}"; do
      flags=(--duration="$duration" --warmup="$warmup" --clients="$c" --value-size=256)
      case "$w" in
        get-serializable) flags+=(--workload=get --read=serializable) ;;
        *) flags+=(--workload="$w") ;;
      esac
      run "$t" "$w/$c" "${flags[@]}"
    done
  done
}

measure_placement() {  # warren's reads and watches, clients spread and all at the leader
  local placement w
  local -a placed flags
  echo "== round $round, warren: clients spread over the members, and all at the leader" >&2
  for placement in spread leader-only; do
    placed=()
    [ "$placement" = leader-only ] && placed=(--leader-only)
    for w in get get-serializable; do
      flags=(--duration="$duration" --warmup="$warmup" --clients="$placement_clients"
        --value-size=256 --workload=get "${placed[@]}")
      [ "$w" = get-serializable ] && flags+=(--read=serializable)
      run_placement "$w/$placement_clients/$placement" "${flags[@]}"
    done
    run_placement "watch/$watchers/$placement" --workload=watch --clients="$watchers" \
      --duration="$duration" --warmup="$warmup" --value-size=256 "${placed[@]}"
  done
}

measure_failover() {
  local line key="$round|$t|failover"
  echo "== round $round, $t: the leader killed under writes" >&2
  line="$("$bench" --target="${driver[$t]}" --endpoints="$(peer endpoints)" --json --workload=failover \
    --clients=1 --warmup="$failover_warmup" --duration=60s --timeout=2s \
    --kill-cmd="bench/peers/$t.sh kill-leader $dir > /dev/null" 2>> "$out/bench.log")" || true
  echo "$line" >> "$results"
  footprint[$key]="$(field "$line" unavailable_ms)"
  echo "  writes unavailable for ${footprint[$key]} ms" >&2
}

measure_footprint() {  # memory with load_keys keys, and the restart with them
  local rss
  echo "== round $round, $t: $load_keys keys of 100 B" >&2
  start_fresh
  "$bench" --target="${driver[$t]}" --endpoints="$(peer endpoints)" --json --workload=create \
    --batch=100 --ops=$((load_keys / 100)) --clients=8 --value-size=100 --warmup=0s \
    --prefix=load >> "$results" 2>> "$out/bench.log"
  sleep 2
  rss="$(peer rss | sort -n | tail -1)"
  footprint[$round|$t|rss]=$rss
  echo "  largest member: $((rss / 1024)) MiB resident" >&2
  peer stop
  footprint[$round|$t|restart]="$(peer start)"
  echo "  restart to first acknowledged write: ${footprint[$round|$t|restart]} s" >&2
  stop_cluster
}

# measure_target ROUND TARGET: everything measured of TARGET, on fresh clusters in
# $out/r<ROUND>/<TARGET>, its raw results appended to $out/r<ROUND>/results.jsonl.
measure_target() {
  round=$1 t=$2 dir="$out/r$1/$2" results="$out/r$1/results.jsonl"
  echo "== round $round, $t: throughput and latency" >&2
  start_fresh
  measure_matrix
  if [ "$t" = warren-tls ]; then
    stop_cluster
    return
  fi
  run "$t" "watch/$watchers" --workload=watch --clients="$watchers" --duration="$duration" \
    --warmup="$warmup" --value-size=256
  if [ "$t" = warren ]; then measure_placement; fi
  measure_failover
  stop_cluster
  if [ "$t" != warren-zk ]; then  # the same server as warren: its footprint is warren's
    measure_footprint
  fi
}

reversed() { local i; for ((i = $#; i > 0; i--)); do echo "${!i}"; done; }

orders=()  # the order each round ran in, for the heading
for ((r = 1; r <= rounds; r++)); do
  order=("${targets[@]}")
  ((r % 2)) || mapfile -t order < <(reversed "${targets[@]}")
  orders+=("${order[*]}")
  mkdir -p "$out/r$r"
  : > "$out/r$r/results.jsonl"
  for target in "${order[@]}"; do measure_target "$r" "$target"; done
done

# per_round ARRAY TARGET LABEL [DEFAULT]: that cell in each round, one a line; DEFAULT stands
# in for a round that has none.
per_round() {
  local -n cells=$1
  local i
  for ((i = 1; i <= rounds; i++)); do echo "${cells[$i|$2|$3]:-${4-}}"; done
}
med() { local fmt=$1; shift; per_round "$@" | summarize median "$fmt"; }  # FORMAT ARRAY...
spread() { per_round "$@" | summarize spread; }  # ARRAY TARGET LABEL [DEFAULT]

ratio() {  # warren's figure over another's, for throughput
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'
}
# scaled FORMAT VALUE [DIVISOR]: VALUE / DIVISOR printed with FORMAT, or "?" if not a number.
scaled() {
  awk -v f="$1" -v x="$2" -v d="${3:-1}" \
    'BEGIN { if (x ~ /^-?[0-9]/) printf f, x / d; else printf "?" }'
}

systems=(warren warren-zk etcd zookeeper)
throughput_row() {  # WORKLOAD CLIENTS
  local k=$1/$2 s row="| $1 | $2 |" latency=""
  local -A m
  for s in "${systems[@]}"; do
    m[$s]="$(med %.10g ops "$s" "$k" 0)"
    row+=" $(scaled %.0f "${m[$s]}") | $(spread ops "$s" "$k" 0) |"
    latency+=" $(med %.2f p99 "$s" "$k" 0) |"
  done
  echo "$row$latency $(ratio "${m[warren]}" "${m[etcd]}") | $(ratio "${m[warren]}" \
    "${m[zookeeper]}") | $(ratio "${m[warren-zk]}" "${m[warren]}") | $(ratio "${m[warren-zk]}" \
    "${m[zookeeper]}") |"
}

cpu_row() {  # WORKLOAD CLIENTS
  local k=$1/$2 s row="| $1 | $2 |"
  local -A m
  for s in "${systems[@]}"; do
    m[$s]="$(med %.10g cpu_us "$s" "$k")"
    row+=" $(scaled %.0f "${m[$s]}") |"
  done
  echo "$row $(ratio "${m[warren]}" "${m[etcd]}") | $(ratio "${m[warren]}" "${m[zookeeper]}") |"
}

# footprint_row TITLE FIGURE FORMAT [DIVISOR]: one row of the footprint table.
footprint_row() {
  local s row="| $1 |"
  local -A m
  for s in warren etcd zookeeper; do
    m[$s]="$(med %.10g footprint "$s" "$2")"
    row+=" $(scaled "$3" "${m[$s]}" "${4:-1}") | $(spread footprint "$s" "$2") |"
  done
  echo "$row $(ratio "${m[warren]}" "${m[etcd]}") | $(ratio "${m[warren]}" "${m[zookeeper]}") |"
}

if [ "$rounds" -eq 1 ]; then
  echo "# Warren, etcd and ZooKeeper: 1 round"
  of_rounds="from that one round"
else
  echo "# Warren, etcd and ZooKeeper: $rounds rounds"
  of_rounds="the median of $rounds rounds"
fi
echo
for ((r = 1; r <= rounds; r++)); do
  echo "- round $r ran ${orders[r - 1]// /, }"
done
echo
echo "Every cell is $of_rounds, and every ratio is of those figures. A ±% column is that"
echo "system's spread over the rounds, (max - min) / median in percent: 0 with one round."
echo
echo "## Throughput and p99 latency (3 members each, 256 B values, $duration per cell)"
echo
echo "warren-zk is Warren through its ZooKeeper port, driven by ZooKeeper's C client as the"
echo "zookeeper column is (a linearizable get is sync then getData there, one request here)."
echo
echo "| workload | clients | warren ops/s | warren ±% | warren-zk ops/s | warren-zk ±% | etcd ops/s | etcd ±% | zookeeper ops/s | zookeeper ±% | warren p99 ms | warren-zk p99 ms | etcd p99 ms | zookeeper p99 ms | warren/etcd | warren/zookeeper | warren-zk/warren | warren-zk/zookeeper |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for w in "${workloads[@]}"; do
  for c in "${client_counts[@]}"; do throughput_row "$w" "$c"; done
done
echo
echo "## TLS on every connection: writes (warren-tls, bench/peers/warren-tls.sh)"
echo
echo "The members' traffic to each other with mutual TLS, the clients' with TLS to the members;"
echo "the same quorum and client otherwise. Each cell is $of_rounds."
echo
echo "| workload | clients | plaintext ops/s | TLS ops/s | TLS/plaintext | plaintext p99 ms | TLS p99 ms | plaintext CPU µs | TLS CPU µs |"
echo "|---|---|---|---|---|---|---|---|---|"
for w in "${write_workloads[@]}"; do
  for c in "${client_counts[@]}"; do
    k="$w/$c"
    plain="$(med %.10g ops warren "$k" 0)" tls="$(med %.10g ops warren-tls "$k" 0)"
    echo "| $w | $c | $(scaled %.0f "$plain") | $(scaled %.0f "$tls") | $(ratio "$tls" "$plain") |" \
      "$(med %.2f p99 warren "$k" 0) | $(med %.2f p99 warren-tls "$k" 0) |" \
      "$(med %.0f cpu_us warren "$k") | $(med %.0f cpu_us warren-tls "$k") |"
  done
done
echo
echo "## Server CPU per request, µs (the three members together; lower is better)"
echo
echo "Each cell is $of_rounds."
echo
echo "| workload | clients | warren | warren-zk | etcd | zookeeper | warren/etcd | warren/zookeeper |"
echo "|---|---|---|---|---|---|---|---|"
for w in "${workloads[@]}"; do
  for c in "${client_counts[@]}"; do cpu_row "$w" "$c"; done
done
k="watch/$watchers"
echo
echo "## Watch fan-out: one write seen by $watchers watchers"
echo
echo "| | warren | warren-zk | etcd | zookeeper |"
echo "|---|---|---|---|---|"
deliveries="| deliveries/s |" deliveries_spread="| deliveries/s ±% |" latency="| delivery p99 ms |"
for s in "${systems[@]}"; do
  deliveries+=" $(med %.0f ops "$s" "$k" 0) |"
  deliveries_spread+=" $(spread ops "$s" "$k" 0) |"
  latency+=" $(med %.2f p99 "$s" "$k" 0) |"
done
printf '%s\n' "$deliveries" "$deliveries_spread" "$latency"
echo
echo "## Warren: clients spread over the members, and all at the leader"
echo
echo "Each client talks to one member picked at random (the default), or every client to the"
echo "leader (--leader-only). Leader CPU: the leader's alone, per request (lower is better)."
echo "Each cell is $of_rounds."
echo
echo "| workload | clients | spread ops/s | leader-only ops/s | spread/leader-only | spread p99 ms | leader-only p99 ms | leader CPU µs, spread | leader CPU µs, leader-only |"
echo "|---|---|---|---|---|---|---|---|---|"
for w in get get-serializable watch; do
  c=$placement_clients
  [ "$w" = watch ] && c=$watchers
  s="$w/$c/spread" l="$w/$c/leader-only"
  spread_ops="$(med %.10g ops warren "$s" 0)" leader_ops="$(med %.10g ops warren "$l" 0)"
  echo "| $w | $c | $(scaled %.0f "$spread_ops") | $(scaled %.0f "$leader_ops") |" \
    "$(ratio "$spread_ops" "$leader_ops") | $(med %.2f p99 warren "$s" 0) |" \
    "$(med %.2f p99 warren "$l" 0) | $(med %.0f leader_cpu_us warren "$s") |" \
    "$(med %.0f leader_cpu_us warren "$l") |"
done
echo
echo "## Footprint and recovery ($load_keys keys of 100 B)"
echo
echo "| (lower is better) | warren | warren ±% | etcd | etcd ±% | zookeeper | zookeeper ±% | warren/etcd | warren/zookeeper |"
echo "|---|---|---|---|---|---|---|---|---|"
footprint_row "resident memory, largest member, MiB" rss %.0f 1024
footprint_row "restart to first acknowledged write, s" restart %.2f
footprint_row "writes unavailable after the leader is killed, ms" failover %.1f
echo
echo "Through Warren's ZooKeeper port, writes were unavailable for" \
  "$(med %.1f footprint warren-zk failover) ms after the"
echo "leader was killed (ZooKeeper's client moving its session to another member); its spread"
echo "over the rounds: $(spread footprint warren-zk failover)%."
echo
echo "Raw results: $out/r<round>/results.jsonl"
