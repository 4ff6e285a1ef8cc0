# Shared by bench/compare.sh and bench/ab.sh: reading warren-bench's JSON lines and reducing
# figures over rounds. Sourced.

# field JSON NAME: the value of NAME in one of warren-bench's JSON objects (quotes dropped).
field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<< "$1"; }

# summarize median|spread [FORMAT]: of the numbers on stdin, one a line (other lines are
# skipped): their median printed with FORMAT, or their spread (max - min) / median in
# percent; "?" when there are none.
summarize() {
  sort -g | awk -v want="$1" -v fmt="${2:-%.10g}" '
    $1 ~ /^-?[0-9]+(\.[0-9]*)?$/ { v[++n] = $1 }
    END {
      if (n == 0) { print "?"; exit }
      m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      if (want == "median") printf fmt "\n", m
      else if (m > 0) printf "%.0f\n", (v[n] - v[1]) * 100 / m
      else print "n/a"
    }'
}
