#!/bin/bash
# One cell of the fault-test matrix: warren-jepsen against real warrend processes, which must
# end with the expected verdict. Usage: jepsen_run_test.sh WARREN_JEPSEN EXPECT ARGS...
# EXPECT is "valid", or "invalid:TEXT" for a build or state broken on purpose, whose verdict
# must begin "invalid: TEXT".
# Partitions need network namespaces (root); without them the cell runs on loopback with the
# other nemeses, and says so.
set -u
jepsen=$1
expect=$2
shift 2
args=("$@")
if ! unshare -n true 2>/dev/null; then
  echo "NOTE: no network namespaces here: running on loopback without the partition nemesis"
  for i in "${!args[@]}"; do
    case "${args[$i]}" in
      --nemesis=all) args[$i]=--nemesis=kill,pause,membership ;;
      --nemesis=*)  # the list without partition
        kinds=$(echo "${args[$i]#--nemesis=}" | tr ',' '\n' | grep -vx partition | paste -sd,)
        args[$i]=--nemesis=${kinds:-none} ;;
    esac
  done
  args+=(--net=loopback)
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/warren-jepsen-test.XXXXXX")
out=$("$jepsen" --dir="$dir" "${args[@]}" 2>&1)
code=$?
echo "$out"
run=$(echo "$out" | sed -n 's/^run directory: //p')
[ -n "$run" ] && cat "$run/summary.txt" "$run/nemesis.log" 2>/dev/null
verdict=$(echo "$out" | tail -1)
case "$expect" in
  valid) [ $code -eq 0 ] && [ "$verdict" = "valid" ] ;;
  invalid:*) [ $code -eq 1 ] && [[ "$verdict" == "invalid: ${expect#invalid:}"* ]] ;;
  *) echo "unknown expectation $expect"; false ;;
esac
ok=$?
if [ $ok -eq 0 ]; then rm -rf "$dir"; echo PASS; else echo "FAIL: expected $expect (run kept in $run)"; fi
exit $ok
