#!/usr/bin/env bats
# --rows parsing: every accepted spelling gives exactly that many data rows; bad ones are usage
# errors naming --rows.

load helpers

setup_file() {
    fit_once "$ADULT" adult
}

setup() {
    MODEL="$BATS_FILE_TMPDIR/adult.synth"
}

# rows_of SPELLING: data rows written for --rows SPELLING (header checked and not counted).
check_rows() {
    local spelling=$1 expected=$2 out="$BATS_TEST_TMPDIR/rows.csv"
    "$SYNTH" generate "$MODEL" --rows "$spelling" -o "$out" -q
    head -n1 "$out" | grep -q '^age,workclass,' || fail "--rows $spelling: no header line"
    assert_eq "$(line_count "$out")" "$((expected + 1))" "--rows $spelling: lines"
}

@test "--rows 100000 gives exactly 100000 data rows plus a header" {
    check_rows 100000 100000
}

@test "--rows 1e5 (exponent)" {
    check_rows 1e5 100000
}

@test "--rows 100k and 100K (suffixes)" {
    check_rows 100k 100000
    check_rows 100K 100000
}

@test "--rows 100_000 (digit separators)" {
    check_rows 100_000 100000
}

@test "--rows other exact spellings: 1.5e3, 2k, 0.1M, +7, 1E2, 1.5k" {
    check_rows 1.5e3 1500
    check_rows 2k 2000
    check_rows 0.1M 100000
    check_rows +7 7
    check_rows 1E2 100
    check_rows 1.5k 1500
}

@test "--rows spellings all give the same bytes" {
    local ref
    "$SYNTH" generate "$MODEL" --rows 100000 -s 9 -o "$BATS_TEST_TMPDIR/ref.csv" -q
    ref=$(sha "$BATS_TEST_TMPDIR/ref.csv")
    for r in 1e5 100k 100K 100_000; do
        "$SYNTH" generate "$MODEL" --rows "$r" -s 9 -o "$BATS_TEST_TMPDIR/r.csv" -q
        assert_eq "$(sha "$BATS_TEST_TMPDIR/r.csv")" "$ref" "checksum for --rows $r"
    done
}

@test "--rows 0 writes only the header" {
    "$SYNTH" generate "$MODEL" --rows 0 -o "$BATS_TEST_TMPDIR/z.csv" -q
    assert_eq "$(line_count "$BATS_TEST_TMPDIR/z.csv")" 1 "lines"
}

@test "without --rows, as many rows as trained on (32561 for Adult)" {
    "$SYNTH" generate "$MODEL" -o "$BATS_TEST_TMPDIR/d.csv" -q
    assert_eq "$(line_count "$BATS_TEST_TMPDIR/d.csv")" 32562 "lines"
}

@test "--rows=N (with '=') and -n N are accepted" {
    "$SYNTH" generate "$MODEL" --rows=250 -q >"$BATS_TEST_TMPDIR/a.csv"
    "$SYNTH" generate "$MODEL" -n 250 -q >"$BATS_TEST_TMPDIR/b.csv"
    assert_eq "$(line_count "$BATS_TEST_TMPDIR/a.csv")" 251
    cmp "$BATS_TEST_TMPDIR/a.csv" "$BATS_TEST_TMPDIR/b.csv"
}

@test "bad --rows values exit 2 with a message naming --rows and nothing on stdout" {
    local bad
    for bad in -5 1.5 1e-1 1__0 99999999999999999999 abc "" _1 1_ 1e 10x 1.5001k 0x10 " 5" 1e16; do
        run --separate-stderr "$SYNTH" generate "$MODEL" --rows "$bad"
        [ "$status" -eq 2 ] || fail "--rows '$bad' exited $status (stderr: $stderr)"
        [ -z "$output" ] || fail "--rows '$bad' wrote to stdout"
        assert_contains "$stderr" "--rows"
        assert_contains "$stderr" "Try 'synth generate --help'"
    done
}

@test "bad --rows messages say what is wrong" {
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows -5
    assert_contains "$stderr" "negative"
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 1.5
    assert_contains "$stderr" "not a whole number"
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 1e-1
    assert_contains "$stderr" "not a whole number"
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 1__0
    assert_contains "$stderr" "'_'"
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 99999999999999999999
    assert_contains "$stderr" "too large"
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows abc
    assert_contains "$stderr" "'abc' is not a number"
}

@test "bad --rows leaves no output file behind" {
    run "$SYNTH" generate "$MODEL" --rows 1.5 -o "$BATS_TEST_TMPDIR/never.csv"
    [ "$status" -eq 2 ]
    [ ! -e "$BATS_TEST_TMPDIR/never.csv" ]
    no_temp_files "$BATS_TEST_TMPDIR"
}
