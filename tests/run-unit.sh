#!/usr/bin/env bash
# Runs each unit-test binary in its own process with a timeout and prints one closing line.
set -u
pass=0; fail=0; failed=()
for t in "$@"; do
  if timeout 300 "$t" >"$t.log" 2>&1; then
    pass=$((pass + 1)); grep -E '^\[  PASSED  \]' "$t.log" | sed "s|^|$(basename "$t"): |"
  else
    fail=$((fail + 1)); failed+=("$t"); cat "$t.log"
  fi
done
echo "unit: ${pass} passed, ${fail} failed"
[ "$fail" -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
