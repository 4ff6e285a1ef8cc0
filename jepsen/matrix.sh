#!/usr/bin/env bash
# Runs warren-jepsen over workloads × seeds and prints one line per run and a tally; exits 1 if
# any run was not valid. The long mode of the fault tests (docs/fault-testing.md).
#   jepsen/matrix.sh [--time=S] [--nodes=N] [--seeds=FIRST-LAST] [--nemesis=LIST]
#                    [--workloads=a,b] [-- extra warren-jepsen flags, e.g. --client=zookeeper]
set -uo pipefail
cd "$(dirname "$0")/.."
time=60 nodes=3 seeds=1-3 nemesis=all workloads=register,sequential,session,counter,watch
while [ $# -gt 0 ]; do
  case "$1" in
    --time=*) time=${1#*=} ;;
    --nodes=*) nodes=${1#*=} ;;
    --seeds=*) seeds=${1#*=} ;;
    --nemesis=*) nemesis=${1#*=} ;;
    --workloads=*) workloads=${1#*=} ;;
    --) shift; break ;;
    *) echo "unknown flag $1" >&2; exit 3 ;;
  esac
  shift
done
jepsen=${WARREN_JEPSEN:-build/bin/warren-jepsen}
[ -x "$jepsen" ] || { echo "no $jepsen: run scripts/build.sh build first" >&2; exit 3; }
valid=0 other=0
[ $# -gt 0 ] && echo "every run with: $*"
printf '%-11s %-5s %-5s %s\n' workload nodes seed verdict
for seed in $(seq "${seeds%-*}" "${seeds#*-}"); do
  for w in ${workloads//,/ }; do
    out=$("$jepsen" --workload="$w" --nemesis="$nemesis" --nodes="$nodes" --time="$time" \
      --seed="$seed" "$@" 2>&1)
    verdict=$(echo "$out" | tail -1)
    run=$(echo "$out" | sed -n 's/^run directory: //p')
    printf '%-11s %-5s %-5s %s\n' "$w" "$nodes" "$seed" "$verdict"
    if [ "$verdict" = valid ]; then
      valid=$((valid + 1))
      [ -n "$run" ] && rm -rf "$run"/m[0-9]   # keep the history and logs, not the data
    else
      other=$((other + 1))
      echo "    kept: $run"
    fi
  done
done
echo "$valid valid, $other not"
[ "$other" -eq 0 ]
