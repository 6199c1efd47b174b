#!/usr/bin/env bash
# Runs the bats CLI suites (TAP output) and closes with one "cli: N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
bats --tap tests/cli | tee "$log"
status=${PIPESTATUS[0]}
pass=$(grep -cE '^ok ' "$log" || true)
skipped=$(grep -cE '^ok .*# skip' "$log" || true)
fail=$(grep -cE '^not ok ' "$log" || true)
rm -f "$log"
echo "cli: $((pass - skipped)) passed, $fail failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$fail" -eq 0 ]
