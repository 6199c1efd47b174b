#!/usr/bin/env bats
# Determinism: row i depends only on (model, seed, i) -- not on threads, chunk size or sharding.

load helpers

setup_file() {
    fit_once "$ADULT" adult
    # The reference run every comparison below is checked against.
    "$SYNTH" generate "$BATS_FILE_TMPDIR/adult.synth" --rows 1e5 --seed 42 -o "$BATS_FILE_TMPDIR/ref.csv" -q
}

setup() {
    MODEL="$BATS_FILE_TMPDIR/adult.synth"
    REF="$BATS_FILE_TMPDIR/ref.csv"
}

gen() {
    "$SYNTH" generate "$MODEL" -q "$@"
}

@test "reference run has 100000 rows" {
    assert_eq "$(line_count "$REF")" 100001
}

@test "same seed gives byte-identical output" {
    gen --rows 1e5 --seed 42 -o "$BATS_TEST_TMPDIR/again.csv"
    cmp "$REF" "$BATS_TEST_TMPDIR/again.csv"
    assert_eq "$(sha "$BATS_TEST_TMPDIR/again.csv")" "$(sha "$REF")"
}

@test "same seed to a file and to stdout gives the same bytes" {
    gen --rows 1e5 --seed 42 -o - >"$BATS_TEST_TMPDIR/stdout.csv"
    cmp "$REF" "$BATS_TEST_TMPDIR/stdout.csv"
}

@test "different seed gives different output (same shape)" {
    gen --rows 1e5 --seed 43 -o "$BATS_TEST_TMPDIR/other.csv"
    [ "$(sha "$BATS_TEST_TMPDIR/other.csv")" != "$(sha "$REF")" ]
    assert_eq "$(line_count "$BATS_TEST_TMPDIR/other.csv")" 100001
    # Not merely a different first row: most rows differ.
    local same
    same=$(paste -d'\n' "$REF" "$BATS_TEST_TMPDIR/other.csv" | awk 'NR%2==1{a=$0; next} a==$0{n++} END{print n+0}')
    [ "$same" -lt 10000 ] || fail "$same of 100001 lines are identical between seeds 42 and 43"
}

@test "default seed is stable and equals --seed 0" {
    gen --rows 5000 -o "$BATS_TEST_TMPDIR/a.csv"
    gen --rows 5000 --seed 0 -o "$BATS_TEST_TMPDIR/b.csv"
    cmp "$BATS_TEST_TMPDIR/a.csv" "$BATS_TEST_TMPDIR/b.csv"
}

@test "a shorter run is a prefix of a longer one" {
    gen --rows 1000 --seed 42 -o "$BATS_TEST_TMPDIR/short.csv"
    head -n 1001 "$REF" | cmp - "$BATS_TEST_TMPDIR/short.csv"
}

@test "--threads 1, 2 and 5 give identical output" {
    local t
    for t in 1 2 5; do
        gen --rows 1e5 --seed 42 --threads "$t" -o "$BATS_TEST_TMPDIR/t$t.csv"
        assert_eq "$(sha "$BATS_TEST_TMPDIR/t$t.csv")" "$(sha "$REF")" "checksum with --threads $t"
    done
}

@test "--chunk-rows 7, 1000 and 16384 give identical output" {
    local c
    for c in 7 1000 16384; do
        gen --rows 1e5 --seed 42 --chunk-rows "$c" --threads 2 -o "$BATS_TEST_TMPDIR/c$c.csv"
        assert_eq "$(sha "$BATS_TEST_TMPDIR/c$c.csv")" "$(sha "$REF")" "checksum with --chunk-rows $c"
    done
}

@test "--chunk-rows 1 gives identical output (3000 rows, 3 threads)" {
    gen --rows 3000 --seed 42 --chunk-rows 1 --threads 3 -o "$BATS_TEST_TMPDIR/c1.csv"
    head -n 3001 "$REF" | cmp - "$BATS_TEST_TMPDIR/c1.csv"
}

@test "--chunk-rows larger than the run, and a chunk size that does not divide N" {
    gen --rows 3000 --seed 42 --chunk-rows 100000 -o "$BATS_TEST_TMPDIR/big.csv"
    head -n 3001 "$REF" | cmp - "$BATS_TEST_TMPDIR/big.csv"
    gen --rows 3000 --seed 42 --chunk-rows 333 --threads 5 -o "$BATS_TEST_TMPDIR/odd.csv"
    head -n 3001 "$REF" | cmp - "$BATS_TEST_TMPDIR/odd.csv"
}

# check_shards N K: the K parts of an N-row run have headers and concatenate to the full run.
check_shards() {
    local n=$1 k=$2 i full="$BATS_TEST_TMPDIR/full-$1.csv" cat="$BATS_TEST_TMPDIR/cat-$1-$2.csv"
    [ -e "$full" ] || gen --rows "$n" --seed 42 -o "$full"
    : >"$cat"
    local total=0 expected_rows
    for ((i = 0; i < k; i++)); do
        local part="$BATS_TEST_TMPDIR/part-$n-$i-of-$k.csv"
        gen --rows "$n" --seed 42 --shard "$i/$k" -o "$part"
        head -n1 "$part" | cmp - <(head -n1 "$full") || fail "shard $i/$k has no header"
        # Part i holds rows [i*N/K, (i+1)*N/K).
        expected_rows=$(( (i + 1) * n / k - i * n / k ))
        assert_eq "$(( $(line_count "$part") - 1 ))" "$expected_rows" "data rows in shard $i/$k of $n"
        tail -n +2 "$part" >>"$cat"
        total=$((total + expected_rows))
    done
    assert_eq "$total" "$n" "rows over all shards"
    tail -n +2 "$full" | cmp - "$cat" || fail "shards of $n rows in $k parts differ from the single run"
}

@test "--shard I/3: parts have headers and concatenate to the single run (N divisible by 3)" {
    check_shards 99999 3
}

@test "--shard I/3 with N not divisible by 3" {
    check_shards 100000 3
}

@test "--shard I/7: parts concatenate to the single run (N divisible by 7)" {
    check_shards 70000 7
}

@test "--shard I/7 with N not divisible by 7" {
    check_shards 100000 7
}

@test "--shard with more shards than rows: empty parts still have a header" {
    check_shards 5 7
}

@test "--shard 0/1 is the whole run" {
    gen --rows 1e5 --seed 42 --shard 0/1 -o "$BATS_TEST_TMPDIR/s.csv"
    cmp "$REF" "$BATS_TEST_TMPDIR/s.csv"
}

@test "--shard parts are also independent of --threads and --chunk-rows" {
    gen --rows 1e5 --seed 42 --shard 1/3 -o "$BATS_TEST_TMPDIR/p1.csv"
    gen --rows 1e5 --seed 42 --shard 1/3 --threads 1 --chunk-rows 999 -o "$BATS_TEST_TMPDIR/p1b.csv"
    cmp "$BATS_TEST_TMPDIR/p1.csv" "$BATS_TEST_TMPDIR/p1b.csv"
}

@test "--no-header output is the data rows of the normal output" {
    gen --rows 1e5 --seed 42 --no-header -o "$BATS_TEST_TMPDIR/nh.csv"
    tail -n +2 "$REF" | cmp - "$BATS_TEST_TMPDIR/nh.csv"
}

@test "--threads, --chunk-rows and --shard reject bad values with exit 2" {
    local args
    while IFS= read -r args; do
        # shellcheck disable=SC2086
        run --separate-stderr "$SYNTH" generate "$MODEL" --rows 10 $args
        [ "$status" -eq 2 ] || fail "'$args' exited $status"
        [ -z "$output" ]
        assert_contains "$stderr" "${args%% *}"
    done <<'EOF'
--threads 0
--threads -1
--threads abc
--threads 100000
--chunk-rows 0
--chunk-rows 1.5
--shard 3/3
--shard 4/3
--shard 0/0
--shard 1
--shard a/b
--shard 1/2/3
--shard -1/3
EOF
}

@test "--shard 3/3 says the index must be less than K" {
    run --separate-stderr "$SYNTH" generate "$MODEL" --shard 3/3
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "--shard"
    assert_contains "$stderr" "less than K"
}

@test "fit is deterministic: refitting the same data gives a model with the same output" {
    "$SYNTH" fit "$ADULT" -o "$BATS_TEST_TMPDIR/again.synth" -q
    gen --rows 1e5 --seed 42 -o "$BATS_TEST_TMPDIR/a.csv"
    "$SYNTH" generate "$BATS_TEST_TMPDIR/again.synth" --rows 1e5 --seed 42 -q -o "$BATS_TEST_TMPDIR/b.csv"
    cmp "$BATS_TEST_TMPDIR/a.csv" "$BATS_TEST_TMPDIR/b.csv"
}

@test "fit on a sample: same --seed, same model output; another --seed, another sample" {
    local m
    for m in a b; do
        "$SYNTH" fit "$ADULT" --sample-rows 2000 --seed 7 -o "$BATS_TEST_TMPDIR/$m.synth" -q
    done
    "$SYNTH" fit "$ADULT" --sample-rows 2000 --seed 8 -o "$BATS_TEST_TMPDIR/c.synth" -q
    for m in a b c; do
        "$SYNTH" generate "$BATS_TEST_TMPDIR/$m.synth" --rows 5000 --seed 1 -q -o "$BATS_TEST_TMPDIR/$m.csv"
    done
    cmp "$BATS_TEST_TMPDIR/a.csv" "$BATS_TEST_TMPDIR/b.csv"
    if cmp -s "$BATS_TEST_TMPDIR/a.csv" "$BATS_TEST_TMPDIR/c.csv"; then
        fail "--seed 7 and --seed 8 fitted the same sample"
    fi
}

@test "fit from standard input gives the same model output as from the file" {
    "$SYNTH" fit - -o "$BATS_TEST_TMPDIR/stdin.synth" -q <"$ADULT"
    "$SYNTH" generate "$BATS_TEST_TMPDIR/stdin.synth" --rows 20000 --seed 42 -q | cmp - <(head -n 20001 "$REF")
}
