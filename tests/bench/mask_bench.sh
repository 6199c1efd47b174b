#!/usr/bin/env bash
# mask_bench.sh -- throughput of `synth pii mask`: builds a CSV of ROWS rows (default 2,000,000;
# about 200 MB) with an id, a name, an e-mail, an SSN, a card number, a phone and two plain
# columns, masks five of them (tokenize, replace, hash, mask, fpe) and prints input MB/s: the
# median of RUNS runs (default 3), each writing a real file (temporary name, fsync, rename).
# Usage: tests/bench/mask_bench.sh [ROWS]
#   SYNTH=path/to/synth, RUNS=n, BENCH_DIR=dir to keep the input in (reused when present).
set -euo pipefail
ROWS=${1:-2000000}
RUNS=${RUNS:-3}
SYNTH=${SYNTH:-bin/synth}
DIR=${BENCH_DIR:-$(mktemp -d /tmp/synth-mask-bench-XXXXXX)}
mkdir -p "$DIR"
trap '[ -z "${BENCH_DIR:-}" ] && rm -rf "$DIR"' EXIT
IN=$DIR/in.csv
if [ ! -s "$IN" ]; then
  awk -v n="$ROWS" 'BEGIN {
    srand(42);
    print "id,name,email,ssn,card,phone,amount,city";
    split("Alice,Bob,Carol,Dave,Erin,Frank,Grace,Heidi", first, ",");
    split("Smith,Jones,Brown,Taylor,Wilson,Davies,Evans,Thomas", last, ",");
    split("Leeds,York,Bath,Derby,Ely,Hull", city, ",");
    for (i = 0; i < n; i++) {
      f = first[int(rand() * 8) + 1]; l = last[int(rand() * 8) + 1];
      printf "C-%07d,%s %s,%s.%s%d@example.com,%03d-%02d-%04d,4%03d %04d %04d %04d,(555) 010-%04d,%.2f,%s\n",
        i, f, l, tolower(f), tolower(l), i % 1000, int(rand() * 899) + 100, int(rand() * 99) + 1,
        int(rand() * 9999), int(rand() * 1000), int(rand() * 10000), int(rand() * 10000), int(rand() * 10000),
        int(rand() * 10000), rand() * 1000, city[int(rand() * 6) + 1];
    }
  }' > "$IN"
fi
cat > "$DIR/policy.json" <<'JSON'
{"columns": {"id": {"operator": "tokenize"}, "name": {"operator": "replace", "value": "REDACTED"},
             "email": {"operator": "hash", "length": 16}, "ssn": {"operator": "mask", "keep_last": 4},
             "card": {"operator": "fpe"}}}
JSON
head -c 32 /dev/urandom > "$DIR/key.bin"
bytes=$(stat -c %s "$IN")
times=()
for i in $(seq "$RUNS"); do
  rm -f "$DIR/out.csv"
  start=$(date +%s.%N)
  "$SYNTH" pii mask "$IN" --policy "$DIR/policy.json" --key-file "$DIR/key.bin" -o "$DIR/out.csv" --quiet
  end=$(date +%s.%N)
  times+=("$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.3f", e - s}')")
done
rm -f "$DIR/out.csv"
printf '%s\n' "${times[@]}" | sort -g | awk -v b="$bytes" -v r="$ROWS" -v n="$RUNS" '{t[NR] = $1} END {
  m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
  printf "pii mask: %d rows, %.1f MB, median of %d runs %.2f s = %.1f MB/s (%.0f rows/s; fastest %.2f s, slowest %.2f s)\n",
    r, b / 1e6, n, m, b / 1e6 / m, r / m, t[1], t[NR] }'
