#!/bin/bash
# warren-lincheck as a user runs it: verdicts and exit codes on small histories.
# Usage: lincheck_cli_test.sh WARREN_LINCHECK HISTORIES_DIR
set -u
lincheck=$1
histories=$2
fail() { echo "FAIL: $*"; exit 1; }

out=$("$lincheck" "$histories/concurrent-cas.jsonl"); code=$?
[ $code -eq 0 ] || fail "concurrent-cas: exit $code: $out"
[ "$out" = "linearizable" ] || fail "concurrent-cas said: $out"

out=$("$lincheck" "$histories/stale-read.jsonl"); code=$?
[ $code -eq 1 ] || fail "stale-read: exit $code: $out"
echo "$out" | head -1 | grep -qx "not linearizable" || fail "stale-read said: $out"
echo "$out" | grep -q '^8: .*"value":1' || fail "stale-read: the stale read (line 8) is not shown: $out"

out=$(cat "$histories/stale-read.jsonl" | "$lincheck" -); code=$?
[ $code -eq 1 ] || fail "stdin: exit $code"

out=$(echo '{"process":0,"type":"invoke","f":"incr","key":"x"}' | "$lincheck" - 2>&1); code=$?
[ $code -eq 3 ] || fail "malformed: exit $code"
echo "$out" | grep -q "line 1: unknown f 'incr'" || fail "malformed said: $out"

out=$("$lincheck" --model=queue "$histories/stale-read.jsonl" 2>&1); code=$?
[ $code -eq 3 ] || fail "bad model: exit $code"
out=$("$lincheck" /nonexistent 2>&1); code=$?
[ $code -eq 3 ] || fail "missing file: exit $code"
echo "PASS"
