#!/bin/sh
# privacy_bench.sh -- time `synth_privacy_check_csv` on a large synthetic Adult file.
# Usage: tests/bench/privacy_bench.sh [ROWS]   (default 1e7; needs ~1.2 GB in $TMPDIR for 1e7)
# Prints wall seconds and peak RSS (KB) of 3 runs with QIs age,sex,race,native-country and
# sensitive income; then deletes the generated file.
set -eu
rows=${1:-1e7}
tmp=${TMPDIR:-/tmp}
model="$tmp/privacy_bench.synth"
csv="$tmp/privacy_bench.csv"
trap 'rm -f "$model" "$csv"' EXIT
make -s bin/synth build/tests/test_privacy_check
bin/synth fit datasets/adult.csv -o "$model" -q
bin/synth generate "$model" --rows "$rows" -o "$csv" -q
for i in 1 2 3; do
  /usr/bin/time -f "wall %e s, peak RSS %M KB" build/tests/test_privacy_check --bench "$csv" \
    age,sex,race,native-country income 2>&1 | tail -2
done
