#!/usr/bin/env bash
# Two warrend builds against each other on this machine: each round starts a fresh 3-member
# quorum of A, measures every cell, stops it, then does the same for B; even rounds run B
# first (A B B A ...), so that neither is always the one measured while the machine is busy.
# Prints one line per run, then each cell's medians side by side.
#   bench/ab.sh [--rounds=N] [--quick] [--port-base=N] [--out=DIR] A_WARREND B_WARREND
# A cell is "WORKLOAD CLIENTS [warren-bench flags...]"; the default cells are set and create
# at 16 and 128 clients, and set at 16 with every client at the leader. --quick: 1 s cells,
# one round. WARREN_BIN=DIR: where warren-bench is (build/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/results.sh

rounds=3 duration=10s warmup=2s port_base=7600 out=/tmp/warren-ab
usage() {
  echo "usage: $0 [--rounds=N] [--quick] [--port-base=N] [--out=DIR] A_WARREND B_WARREND" >&2
  exit 2
}
builds=()
for arg in "$@"; do
  case "$arg" in
    --rounds=*) rounds="${arg#*=}" ;;
    --quick) rounds=1 duration=1s warmup=0.2s ;;
    --port-base=*) port_base="${arg#*=}" ;;
    --out=*) out="${arg#*=}" ;;
    -*) usage ;;
    *) builds+=("$(realpath "$arg")") ;;
  esac
done
[ ${#builds[@]} -eq 2 ] && [[ "$rounds" =~ ^[1-9][0-9]*$ ]] || usage
for b in "${builds[@]}"; do [ -x "$b" ] || { echo "$0: $b is not a program" >&2; exit 2; }; done

cells=("set 16" "create 16" "set 128" "create 128" "set 16 --leader-only")
bench="${WARREN_BIN:-build/bin}/warren-bench"
peer=bench/peers/warren.sh
mkdir -p "$out"
results="$out/runs.txt"
: > "$results"

measure() {  # ROUND LABEL WARREND: every cell on a fresh quorum
  local dir="$out/$2" cell line before after
  rm -rf "$dir"
  WARREND="$3" "$peer" start "$dir" "$port_base" > /dev/null
  trap '"$peer" stop "$dir" > /dev/null 2>&1 || true' EXIT
  for cell in "${cells[@]}"; do
    read -r -a words <<< "$cell"
    before="$("$peer" cpu "$dir")"
    line="$("$bench" --target=warren --endpoints="$("$peer" endpoints "$dir")" --json \
      --workload="${words[0]}" --clients="${words[1]}" "${words[@]:2}" --value-size=256 \
      --duration="$duration" --warmup="$warmup" 2>> "$out/bench.log")" || true
    after="$("$peer" cpu "$dir")"
    printf '%s|%s|%s|%s|%s|%s\n' "$1" "$2" "$cell" "$(field "$line" ops_per_s)" \
      "$(field "$line" p99_ms)" "$(awk -v a="$before" -v b="$after" -v n="$(field "$line" completed)" \
        'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / n }')" | tee -a "$results" >&2
  done
  "$peer" stop "$dir" > /dev/null
  trap - EXIT
}

for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then order=(A B); else order=(B A); fi
  for label in "${order[@]}"; do
    if [ "$label" = A ]; then measure "$r" A "${builds[0]}"; else measure "$r" B "${builds[1]}"; fi
  done
done

# median_of CELL LABEL K: the median of column K (4: ops/s, 5: p99 ms, 6: CPU µs) over
# build LABEL's runs of CELL.
median_of() {
  awk -F'|' -v cell="$1" -v label="$2" -v k="$3" '$3 == cell && $2 == label { print $k }' \
    "$results" | summarize median "%.2f"
}

echo "| cell | A ops/s | B ops/s | B/A | A p99 ms | B p99 ms | A CPU µs/op | B CPU µs/op |"
echo "|---|---|---|---|---|---|---|---|"
for cell in "${cells[@]}"; do
  a="$(median_of "$cell" A 4)" b="$(median_of "$cell" B 4)"
  awk -v cell="$cell" -v a="$a" -v b="$b" -v ap="$(median_of "$cell" A 5)" \
    -v bp="$(median_of "$cell" B 5)" -v ac="$(median_of "$cell" A 6)" \
    -v bc="$(median_of "$cell" B 6)" 'BEGIN {
      printf "| %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.0f | %.0f |\n", cell, a, b,
        (a > 0 ? b / a : 0), ap, bp, ac, bc
    }'
done
