#!/usr/bin/env bash
# Runs warren-jepsen over workloads × clients × seeds, one line per run, then a tally per
# workload and client (runs, verdicts, faults injected, operations recorded) as a Markdown
# table; exits 1 if any run was not valid. The long mode of the fault tests
# (docs/fault-testing.md).
#   jepsen/matrix.sh [--time=S] [--nodes=N] [--seeds=FIRST-LAST | --hours=H [--seeds=FIRST-]]
#                    [--nemesis=LIST] [--workloads=a,b] [--clients=grpc,zookeeper]
#                    [-- extra warren-jepsen flags]
# --hours goes round the workloads and clients with one seed after another, from FIRST, and
# starts no run after H hours.
set -uo pipefail
cd "$(dirname "$0")/.."
time=60 nodes=3 seeds=1-3 hours="" nemesis=all clients=grpc
workloads=register,sequential,session,counter,watch,append
while [ $# -gt 0 ]; do
  case "$1" in
    --time=*) time=${1#*=} ;;
    --nodes=*) nodes=${1#*=} ;;
    --seeds=*) seeds=${1#*=} ;;
    --hours=*) hours=${1#*=} ;;
    --nemesis=*) nemesis=${1#*=} ;;
    --workloads=*) workloads=${1#*=} ;;
    --clients=*) clients=${1#*=} ;;
    --) shift; break ;;
    *) echo "unknown flag $1" >&2; exit 3 ;;
  esac
  shift
done
first=${seeds%-*} last=${seeds#*-}
if [ -n "$hours" ]; then
  [[ "$hours" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "--hours must be a number" >&2; exit 3; }
  deadline=$(( $(date +%s) + $(awk -v h="$hours" 'BEGIN { printf "%d", h * 3600 }') ))
  last=""
fi
[[ "$first" =~ ^[0-9]+$ ]] && [[ -z "$last" || "$last" =~ ^[0-9]+$ ]] ||
  { echo "--seeds must be FIRST-LAST (or FIRST- with --hours)" >&2; exit 3; }
jepsen=${WARREN_JEPSEN:-build/bin/warren-jepsen}
[ -x "$jepsen" ] || { echo "no $jepsen: run scripts/build.sh build first" >&2; exit 3; }

# ZooKeeper's C client runs every workload but the counter (docs/fault-testing.md).
runs_through() { [ "$1" = grpc ] || [ "$2" != counter ]; }

# How many operations of the run's summary ended as $1 (ok, info, fail).
count() { n=$(echo "$ops" | grep -o "[0-9]* $1" | cut -d' ' -f1); echo "${n:-0}"; }

declare -A runs valid invalid unknown faults ok info fail
started=$(date +%s)
[ $# -gt 0 ] && echo "every run with: $*"
printf '%-11s %-10s %-5s %-5s %s\n' workload client nodes seed verdict
seed=$first
while :; do
  if [ -n "$hours" ]; then [ "$(date +%s)" -lt "$deadline" ] || break
  else [ "$seed" -le "$last" ] || break; fi
  for w in ${workloads//,/ }; do
    for c in ${clients//,/ }; do
      runs_through "$c" "$w" || continue
      [ -n "$hours" ] && [ "$(date +%s)" -ge "$deadline" ] && break 2
      out=$("$jepsen" --workload="$w" --client="$c" --nemesis="$nemesis" --nodes="$nodes" \
        --time="$time" --seed="$seed" "$@" 2>&1)
      verdict=$(echo "$out" | tail -1)
      run=$(echo "$out" | sed -n 's/^run directory: //p')
      printf '%-11s %-10s %-5s %-5s %s\n' "$w" "$c" "$nodes" "$seed" "$verdict"
      k="$w $c"
      runs[$k]=$(( ${runs[$k]:-0} + 1 ))
      summary="$run/summary.txt"
      f=$(sed -n 's/^faults: //p' "$summary" 2>/dev/null)
      ops=$(sed -n 's/^operations: //p' "$summary" 2>/dev/null)
      faults[$k]=$(( ${faults[$k]:-0} + ${f:-0} ))
      ok[$k]=$(( ${ok[$k]:-0} + $(count ok) ))
      info[$k]=$(( ${info[$k]:-0} + $(count info) ))
      fail[$k]=$(( ${fail[$k]:-0} + $(count fail) ))
      case "$verdict" in
        valid)
          valid[$k]=$(( ${valid[$k]:-0} + 1 ))
          [ -n "$run" ] && rm -rf "$run"/m[0-9]*/   # keep the history and logs, not the data
          ;;
        unknown*) unknown[$k]=$(( ${unknown[$k]:-0} + 1 )); echo "    kept: $run" ;;
        *) invalid[$k]=$(( ${invalid[$k]:-0} + 1 )); echo "    kept: $run" ;;
      esac
    done
  done
  seed=$((seed + 1))
done

elapsed=$(( $(date +%s) - started ))
echo
echo "$(( elapsed / 3600 )) h $(( elapsed % 3600 / 60 )) min; seeds $first-$((seed - 1)); nodes $nodes;" \
  "nemesis $nemesis; $time s of faults a run${*:+; $*}"
echo
echo "| workload | client | runs | valid | invalid | unknown | faults | ok | info | fail |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
total=0 good=0
for w in ${workloads//,/ }; do
  for c in ${clients//,/ }; do
    k="$w $c"
    [ -n "${runs[$k]:-}" ] || continue
    echo "| $w | $c | ${runs[$k]} | ${valid[$k]:-0} | ${invalid[$k]:-0} | ${unknown[$k]:-0} |" \
      "${faults[$k]} | ${ok[$k]} | ${info[$k]} | ${fail[$k]} |"
    total=$(( total + runs[$k] )) good=$(( good + ${valid[$k]:-0} ))
  done
done
echo
echo "$good valid, $(( total - good )) not"
[ "$total" -eq "$good" ]
