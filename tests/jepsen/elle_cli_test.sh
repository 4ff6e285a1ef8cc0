#!/bin/bash
# warren-elle as a user runs it: verdicts, evidence and exit codes on small histories.
# Usage: elle_cli_test.sh WARREN_ELLE HISTORIES_DIR
set -u
elle=$1
histories=$2
fail() { echo "FAIL: $*"; exit 1; }

out=$("$elle" "$histories/append-valid.jsonl" 2>/dev/null); code=$?
[ $code -eq 0 ] || fail "append-valid: exit $code: $out"
[ "$out" = "strict-serializable" ] || fail "append-valid said: $out"

out=$("$elle" "$histories/append-read-skew.jsonl" 2>/dev/null); code=$?
[ $code -eq 1 ] || fail "read-skew: exit $code: $out"
echo "$out" | head -1 | grep -qx "not strict-serializable" || fail "read-skew said: $out"
echo "$out" | grep -q '^G-single: a cycle of 2 transactions' || fail "read-skew: no G-single: $out"
echo "$out" | grep -q 'T2: lines 2-4 (ok) \[r x \[\]\] \[r y \[1\]\]' ||
  fail "read-skew: the reader (lines 2-4) is not shown: $out"
echo "$out" | grep -q 'T2 -rw-> T1: T2 read x empty' || fail "read-skew: no rw edge: $out"

out=$(cat "$histories/append-read-skew.jsonl" | "$elle" - 2>/dev/null); code=$?
[ $code -eq 1 ] || fail "stdin: exit $code"

out=$(echo '{"process":0,"type":"invoke","f":"txn","value":[["incr","x",1]]}' | "$elle" - 2>&1)
code=$?
[ $code -eq 3 ] || fail "malformed: exit $code"
echo "$out" | grep -q "line 1: unknown micro-op 'incr'" || fail "malformed said: $out"

out=$("$elle" /nonexistent 2>&1); code=$?
[ $code -eq 3 ] || fail "missing file: exit $code"
out=$("$elle" 2>&1); code=$?
[ $code -eq 3 ] || fail "no file: exit $code"
echo "PASS"
