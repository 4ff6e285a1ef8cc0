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
#   bench/compare.sh [--quick] [--port-base=N] [--out=DIR]
# --quick: a small version (1 s per cell, 1 and 16 clients, 20,000 keys), under two minutes.
# Raw results (one JSON object per run) and every member's log stay in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
port_base=7300
out=""
for arg in "$@"; do
  case "$arg" in
    --quick) quick=true ;;
    --port-base=*) port_base="${arg#*=}" ;;
    --out=*) out="${arg#*=}" ;;
    *) echo "usage: $0 [--quick] [--port-base=N] [--out=DIR]" >&2; exit 2 ;;
  esac
done

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
results="$out/results.jsonl"
: > "$results"
# peer COMMAND [ARGS]: bench/peers/<target>.sh for the target $t, its cluster in $dir.
peer() { "bench/peers/$t.sh" "$1" "$dir" "${@:2}"; }
running=false
cleanup() { if $running; then peer stop > /dev/null 2>&1 || true; fi; }
trap cleanup EXIT

declare -A port=([warren]=$port_base [etcd]=$((port_base + 30)) [zookeeper]=$((port_base + 60))
  [warren-zk]=$((port_base + 90)) [warren-tls]=$((port_base + 120)))
field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<< "$1"; }
declare -A ops p99 cpu_us completed

# run TARGET LABEL warren-bench-flags...: one measured run, remembered under TARGET|LABEL,
# with the CPU the members spent per request (the warm-up's requests and CPU included).
run() {
  local target=$1 label=$2 line cpu_before cpu_after extra=()
  shift 2
  mapfile -t extra < <(peer bench-flags)
  cpu_before="$(peer cpu)"
  line="$("$bench" --target="${driver[$target]}" --endpoints="$(peer endpoints)" "${extra[@]}" \
    --json "$@" \
    2>> "$out/bench.log")" || echo "  ($target $label had errors; see $out/bench.log)" >&2
  cpu_after="$(peer cpu)"
  echo "$line" >> "$results"
  ops[$target|$label]="$(field "$line" ops_per_s)"
  p99[$target|$label]="$(field "$line" p99_ms)"
  completed[$target|$label]="$(field "$line" completed)"
  cpu_us[$target|$label]="$(awk -v a="$cpu_before" -v b="$cpu_after" \
    -v n="$(field "$line" completed)" 'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / n }')"
  printf '  %-10s %-18s %10.0f/s  p99 %8.2f ms  server CPU %6s us/request\n' "$target" "$label" \
    "${ops[$target|$label]:-0}" "${p99[$target|$label]:-0}" "${cpu_us[$target|$label]:-?}" >&2
}

# run_placement LABEL warren-bench-flags...: run, and remember the leader's CPU per request
# (the warm-up's included, as in run).
declare -A leader_cpu_us
run_placement() {
  local label=$1 before after
  shift
  before="$(peer leader-cpu)"
  run warren "$label" "$@"
  after="$(peer leader-cpu)"
  # A watch run counts deliveries per second only: per delivery, then.
  leader_cpu_us[$label]="$(awk -v a="$before" -v b="$after" -v n="${completed[warren|$label]:-0}" \
    -v rate="${ops[warren|$label]:-0}" -v d="${duration%s}" -v w="${warmup%s}" \
    'BEGIN { if (n == 0) n = rate * (d + w); if (n > 0) printf "%.0f", (b - a) * 1e6 / n }')"
  echo "    leader CPU ${leader_cpu_us[$label]:-?} us/request" >&2
}
placement_clients=${client_counts[-1]}

declare -A rss restart failover
for t in "${targets[@]}"; do
  dir="$out/$t"
  echo "== $t: throughput and latency" >&2
  rm -rf "$dir"
  running=true
  peer start "${port[$t]}" > /dev/null
  measured=("${workloads[@]}")
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
  if [ "$t" = warren-tls ]; then
    peer stop
    running=false
    continue
  fi
  run "$t" "watch/$watchers" --workload=watch --clients="$watchers" --duration="$duration" \
    --warmup="$warmup" --value-size=256
  if [ "$t" = warren ]; then
    echo "== warren: clients spread over the members, and all at the leader" >&2
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
  fi
  echo "== $t: the leader killed under writes" >&2
  line="$("$bench" --target="${driver[$t]}" --endpoints="$(peer endpoints)" --json --workload=failover \
    --clients=1 --warmup="$failover_warmup" --duration=60s --timeout=2s \
    --kill-cmd="bench/peers/$t.sh kill-leader $dir > /dev/null" 2>> "$out/bench.log")" || true
  echo "$line" >> "$results"
  failover[$t]="$(field "$line" unavailable_ms)"
  echo "  writes unavailable for ${failover[$t]} ms" >&2
  peer stop
  running=false
  [ "$t" = warren-zk ] && continue  # the same server as warren: its footprint is warren's

  echo "== $t: $load_keys keys of 100 B" >&2
  running=true
  rm -rf "$dir"
  peer start "${port[$t]}" > /dev/null
  "$bench" --target="${driver[$t]}" --endpoints="$(peer endpoints)" --json --workload=create \
    --batch=100 --ops=$((load_keys / 100)) --clients=8 --value-size=100 --warmup=0s \
    --prefix=load >> "$results" 2>> "$out/bench.log"
  sleep 2
  rss[$t]="$(peer rss | sort -n | tail -1)"
  echo "  largest member: $((rss[$t] / 1024)) MiB resident" >&2
  peer stop
  restart[$t]="$(peer start)"
  echo "  restart to first acknowledged write: ${restart[$t]} s" >&2
  peer stop
  running=false
done

ratio() {  # warren's figure over another's, for throughput
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'
}
echo
echo "## Throughput and p99 latency (3 members each, 256 B values, $duration per cell)"
echo
echo "warren-zk is Warren through its ZooKeeper port, driven by ZooKeeper's C client as the"
echo "zookeeper column is (a linearizable get is sync then getData there, one request here)."
echo
echo "| workload | clients | warren ops/s | warren-zk ops/s | etcd ops/s | zookeeper ops/s | warren p99 ms | warren-zk p99 ms | etcd p99 ms | zookeeper p99 ms | warren/etcd | warren/zookeeper | warren-zk/warren | warren-zk/zookeeper |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for w in "${workloads[@]}"; do
  for c in "${client_counts[@]}"; do
    k="$w/$c"
    printf '| %s | %s | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %s | %s | %s | %s |\n' \
      "$w" "$c" "${ops[warren|$k]:-0}" "${ops[warren-zk|$k]:-0}" "${ops[etcd|$k]:-0}" \
      "${ops[zookeeper|$k]:-0}" "${p99[warren|$k]:-0}" "${p99[warren-zk|$k]:-0}" \
      "${p99[etcd|$k]:-0}" "${p99[zookeeper|$k]:-0}" \
      "$(ratio "${ops[warren|$k]:-0}" "${ops[etcd|$k]:-0}")" \
      "$(ratio "${ops[warren|$k]:-0}" "${ops[zookeeper|$k]:-0}")" \
      "$(ratio "${ops[warren-zk|$k]:-0}" "${ops[warren|$k]:-0}")" \
      "$(ratio "${ops[warren-zk|$k]:-0}" "${ops[zookeeper|$k]:-0}")"
  done
done
echo
echo "## TLS on every connection: writes (warren-tls, bench/peers/warren-tls.sh)"
echo
echo "The members' traffic to each other with mutual TLS, the clients' with TLS to the members;"
echo "the same quorum and client otherwise."
echo
echo "| workload | clients | plaintext ops/s | TLS ops/s | TLS/plaintext | plaintext p99 ms | TLS p99 ms | plaintext CPU µs | TLS CPU µs |"
echo "|---|---|---|---|---|---|---|---|---|"
for w in "${write_workloads[@]}"; do
  for c in "${client_counts[@]}"; do
    k="$w/$c"
    printf '| %s | %s | %.0f | %.0f | %s | %.2f | %.2f | %s | %s |\n' "$w" "$c" \
      "${ops[warren|$k]:-0}" "${ops[warren-tls|$k]:-0}" \
      "$(ratio "${ops[warren-tls|$k]:-0}" "${ops[warren|$k]:-0}")" \
      "${p99[warren|$k]:-0}" "${p99[warren-tls|$k]:-0}" "${cpu_us[warren|$k]:-?}" \
      "${cpu_us[warren-tls|$k]:-?}"
  done
done
echo
echo "## Server CPU per request, µs (the three members together; lower is better)"
echo
echo "| workload | clients | warren | warren-zk | etcd | zookeeper | warren/etcd | warren/zookeeper |"
echo "|---|---|---|---|---|---|---|---|"
for w in "${workloads[@]}"; do
  for c in "${client_counts[@]}"; do
    k="$w/$c"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$w" "$c" "${cpu_us[warren|$k]:-?}" \
      "${cpu_us[warren-zk|$k]:-?}" "${cpu_us[etcd|$k]:-?}" "${cpu_us[zookeeper|$k]:-?}" \
      "$(ratio "${cpu_us[warren|$k]:-0}" "${cpu_us[etcd|$k]:-0}")" \
      "$(ratio "${cpu_us[warren|$k]:-0}" "${cpu_us[zookeeper|$k]:-0}")"
  done
done
k="watch/$watchers"
echo
echo "## Watch fan-out: one write seen by $watchers watchers"
echo
echo "| | warren | warren-zk | etcd | zookeeper |"
echo "|---|---|---|---|---|"
printf '| deliveries/s | %.0f | %.0f | %.0f | %.0f |\n' "${ops[warren|$k]:-0}" \
  "${ops[warren-zk|$k]:-0}" "${ops[etcd|$k]:-0}" "${ops[zookeeper|$k]:-0}"
printf '| delivery p99 ms | %.2f | %.2f | %.2f | %.2f |\n' "${p99[warren|$k]:-0}" \
  "${p99[warren-zk|$k]:-0}" "${p99[etcd|$k]:-0}" "${p99[zookeeper|$k]:-0}"
echo
echo "## Warren: clients spread over the members, and all at the leader"
echo
echo "Each client talks to one member picked at random (the default), or every client to the"
echo "leader (--leader-only). Leader CPU: the leader's alone, per request (lower is better)."
echo
echo "| workload | clients | spread ops/s | leader-only ops/s | spread/leader-only | spread p99 ms | leader-only p99 ms | leader CPU µs, spread | leader CPU µs, leader-only |"
echo "|---|---|---|---|---|---|---|---|---|"
for w in get get-serializable watch; do
  c=$placement_clients
  [ "$w" = watch ] && c=$watchers
  s="$w/$c/spread" l="$w/$c/leader-only"
  printf '| %s | %s | %.0f | %.0f | %s | %.2f | %.2f | %s | %s |\n' "$w" "$c" \
    "${ops[warren|$s]:-0}" "${ops[warren|$l]:-0}" \
    "$(ratio "${ops[warren|$s]:-0}" "${ops[warren|$l]:-0}")" \
    "${p99[warren|$s]:-0}" "${p99[warren|$l]:-0}" "${leader_cpu_us[$s]:-?}" "${leader_cpu_us[$l]:-?}"
done
echo
echo "## Footprint and recovery ($load_keys keys of 100 B)"
echo
echo "| (lower is better) | warren | etcd | zookeeper | warren/etcd | warren/zookeeper |"
echo "|---|---|---|---|---|---|"
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
printf '| resident memory, largest member, MiB | %s | %s | %s | %s | %s |\n' \
  "$(mib "${rss[warren]}")" "$(mib "${rss[etcd]}")" "$(mib "${rss[zookeeper]}")" \
  "$(ratio "${rss[warren]}" "${rss[etcd]}")" "$(ratio "${rss[warren]}" "${rss[zookeeper]}")"
printf '| restart to first acknowledged write, s | %s | %s | %s | %s | %s |\n' \
  "${restart[warren]}" "${restart[etcd]}" "${restart[zookeeper]}" \
  "$(ratio "${restart[warren]}" "${restart[etcd]}")" \
  "$(ratio "${restart[warren]}" "${restart[zookeeper]}")"
printf '| writes unavailable after the leader is killed, ms | %s | %s | %s | %s | %s |\n' \
  "${failover[warren]}" "${failover[etcd]}" "${failover[zookeeper]}" \
  "$(ratio "${failover[warren]}" "${failover[etcd]}")" \
  "$(ratio "${failover[warren]}" "${failover[zookeeper]}")"
echo
echo "Through Warren's ZooKeeper port, writes were unavailable for ${failover[warren-zk]:-?} ms after"
echo "the leader was killed (ZooKeeper's client moving its session to another member)."
echo
echo "Raw results: $results"
