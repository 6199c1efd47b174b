#!/usr/bin/env bash
# ctgan_bench.sh -- CTGAN on UCI Adult: preprocessing time, seconds per epoch (CPU backend, 2 BLAS
# threads), generation rows/s, and the quality score after CTGAN_EPOCHS epochs (default 300, the
# reference default) next to the Gaussian copula's, with per-column and per-pair tables.
# Prints a Markdown section on stdout (tests/bench/run.sh puts it into docs/BENCHMARKS.md);
# progress goes to stderr.  CTGAN_MODEL=path reuses a model already trained (e.g. a background
# run), skipping the long fit; CTGAN_SPEED_EPOCHS (5) and CTGAN_GEN_ROWS (1e6) size the speed
# runs.  The JSON reports stay in build/bench/ctgan/.  On a shared machine the wall times carry
# the load; the CPU-second figures do not.
set -euo pipefail
cd "$(dirname "$0")/../.."
SYNTH=${SYNTH:-bin/synth}
B=build/bench/ctgan
mkdir -p "$B"
EPOCHS=${CTGAN_EPOCHS:-300}
MODEL=${CTGAN_MODEL:-}
SPEED_EPOCHS=${CTGAN_SPEED_EPOCHS:-5}
gen_rows=${CTGAN_GEN_ROWS:-1000000}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "ctgan bench: speed ($SPEED_EPOCHS epochs)" >&2
/usr/bin/time -f "%U %S" -o "$B/speed.time" $SYNTH fit datasets/adult.csv --generator ctgan --epochs "$SPEED_EPOCHS" \
  --threads 2 --checkpoint-every 0 -o "$B/speed.synth" 2>"$B/speed.log"
cpu_epoch=$(awk -v e="$SPEED_EPOCHS" '{printf "%.2f", ($1 + $2) / e}' "$B/speed.time")
pre=$(awk '/preprocessing/ {print $4}' "$B/speed.log")
pre_cpu=$(sed -n 's/.*preprocessing [0-9.]* s (\([0-9.]*\) s CPU).*/\1/p' "$B/speed.log")
layout=$(sed -n 's/.*preprocessing [0-9.]* s ([0-9.]* s CPU): //p' "$B/speed.log")
# epochs 2..5 (the first one also pays for first-touch allocations)
epoch=$(awk '/ epoch / && !/epoch 1\// {print $(NF-1)}' "$B/speed.log" | median)

if [ -z "$MODEL" ]; then
  echo "ctgan bench: training $EPOCHS epochs (long)" >&2
  MODEL="$B/adult-ctgan.synth"
  /usr/bin/time -f "%e %M" -o "$B/fit.time" \
    $SYNTH fit datasets/adult.csv --generator ctgan --epochs "$EPOCHS" --threads 2 -o "$MODEL" 2>"$B/fit.log"
  provenance="Trained by this run: \`synth fit datasets/adult.csv --generator ctgan --epochs $EPOCHS --threads 2\`, $(awk '{printf "%.0f s wall, %.0f MiB peak RSS", $1, $2 / 1024}' "$B/fit.time")."
else
  provenance="Model given by CTGAN_MODEL ($MODEL), trained beforehand with \`synth fit datasets/adult.csv --generator ctgan --epochs N --threads 2\`."
fi
trained=$($SYNTH inspect "$MODEL" --json | jq -r '.. | objects | select(has("epochs_trained")) | .epochs_trained' | head -1)

echo "ctgan bench: generation" >&2
for t in 1 2; do
  /usr/bin/time -f "%e %M %U" -o "$B/time.txt" $SYNTH generate "$MODEL" --rows "$gen_rows" --threads $t -o "$B/out.csv" -q
  read -r w rss u < "$B/time.txt"
  eval "gen_wall_$t=$w; gen_rss_$t=$rss; gen_user_$t=$u"
  rm -f "$B/out.csv"
done

echo "ctgan bench: quality" >&2
score() {   # score MODEL SEED NAME -> "overall shapes pairs"; keeps the JSON report
  $SYNTH generate "$1" --rows 32561 --seed "$2" -o "$B/q.csv" -q
  $SYNTH validate --real datasets/adult.csv --synthetic "$B/q.csv" --json "$B/$3-seed$2.json" -q >/dev/null
  rm -f "$B/q.csv"
  jq -r '.fidelity | "\(.overall) \(.column_shapes) \(.column_pair_trends)"' "$B/$3-seed$2.json"
}
$SYNTH fit datasets/adult.csv -o "$B/copula.synth" -q
ct=(); cp=()
for seed in 1 2 3; do
  ct+=("$(score "$MODEL" $seed ctgan)")
  cp+=("$(score "$B/copula.synth" $seed copula)")
done
ct_q=$(printf '%s\n' "${ct[@]}" | sort -g | sed -n 2p)
cp_q=$(printf '%s\n' "${cp[@]}" | sort -g | sed -n 2p)
fmt3() { awk '{printf "%.3f | %.3f | %.3f", $1, $2, $3}'; }

columns=$(jq -r -s '[.[0].fidelity.columns, .[1].fidelity.columns] | transpose[] |
  "| \(.[0].column) | \(.[0].metric) | \(.[0].score * 1000 | round / 1000) | \(.[1].score * 1000 | round / 1000) |"' \
  "$B/ctgan-seed1.json" "$B/copula-seed1.json")
pairs=$(jq -r -s '[.[0].fidelity.pairs, .[1].fidelity.pairs] | transpose | sort_by(.[0].score) | .[0:12][] |
  "| \(.[0].columns | join(" x ")) | \(.[0].metric) | \(.[0].score * 1000 | round / 1000) | \(.[1].score * 1000 | round / 1000) |"' \
  "$B/ctgan-seed1.json" "$B/copula-seed1.json")
npairs=$(jq '.fidelity.pairs | length' "$B/ctgan-seed1.json")

cat <<MD
## CTGAN (UCI Adult, CPU backend)

Written by tests/bench/ctgan_bench.sh.  Model: the reference defaults (batch 500, 256-256
generator and critic, pac 10, embedding 128, Adam 2e-4 / betas 0.5, 0.9, weight decay 1e-6).
Layout of Adult after the transformer: $layout.

| measure | value | target |
| --- | ---: | ---: |
| preprocessing (mixtures + encoding, 32,561 rows) | $pre s wall, $pre_cpu s CPU | <= 2 s |
| seconds per epoch (65 steps, 2 BLAS threads, median of epochs 2-$SPEED_EPOCHS, wall) | $epoch s | <= 4.3 s |
| CPU seconds per epoch (user + sys, whole run / epochs, includes preprocessing) | $cpu_epoch s | |
| generation, 1 thread: $gen_rows rows | $gen_wall_1 s wall ($(awk -v w="$gen_wall_1" -v n="$gen_rows" 'BEGIN {printf "%.0f", n / w}') rows/s; $(awk -v w="$gen_user_1" -v n="$gen_rows" 'BEGIN {printf "%.0f", n / w}') rows per CPU second), $(awk -v m="$gen_rss_1" 'BEGIN {printf "%.0f", m / 1024}') MiB | |
| generation, 2 threads: $gen_rows rows | $gen_wall_2 s wall ($(awk -v w="$gen_wall_2" -v n="$gen_rows" 'BEGIN {printf "%.0f", n / w}') rows/s), $(awk -v m="$gen_rss_2" 'BEGIN {printf "%.0f", m / 1024}') MiB | |

Quality after $trained epochs, 32,561 synthetic rows vs the real file, median of seeds 1-3.
$provenance

| generator | overall | column shapes | column pair trends |
| --- | ---: | ---: | ---: |
| ctgan ($trained epochs) | $(echo "$ct_q" | fmt3) |
| copula | $(echo "$cp_q" | fmt3) |

Target: ctgan overall >= 0.85.  Per column (seed 1):

| column | metric | ctgan | copula |
| --- | --- | ---: | ---: |
$columns

The 12 weakest of the $npairs column pairs for ctgan (seed 1; the full per-pair lists are in
build/bench/ctgan/{ctgan,copula}-seed1.json):

| pair | metric | ctgan | copula |
| --- | --- | ---: | ---: |
$pairs
MD
