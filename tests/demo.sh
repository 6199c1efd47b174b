#!/usr/bin/env bash
# The demo behind `make run`: fit the bundled UCI Adult data with the Gaussian copula, then write
# a sizeable synthetic file (DEMO_ROWS, default 1,000,000 rows) with a progress bar, and say where
# it is and how long each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${DEMO_ROWS:-1000000}
out=build/demo
mkdir -p "$out"
now() { date +%s.%N; }

echo "== synth demo: learn datasets/adult.csv (32,561 people, 15 columns), write $rows synthetic rows"
t0=$(now)
bin/synth fit datasets/adult.csv -o "$out/adult.synth"
t1=$(now)
bin/synth inspect "$out/adult.synth" | head -n 8
echo
bin/synth generate "$out/adult.synth" --rows "$rows" --seed 1 --progress=always -o "$out/adult-synthetic.csv"
t2=$(now)
echo
echo "First rows of the synthetic file:"
head -n 4 "$out/adult-synthetic.csv"
echo
awk -v a="$t0" -v b="$t1" -v c="$t2" -v f="$out/adult-synthetic.csv" -v m="$out/adult.synth" -v n="$rows" 'BEGIN {
  printf "model:     %s (fit in %.2f s)\n", m, b - a
  printf "synthetic: %s (%d rows in %.2f s, %.0f rows/s)\n", f, n, c - b, n / (c - b)
}'
echo "Next: bin/synth generate $out/adult.synth --rows 1e7 -o adult-10m.csv   (see README.md)"
