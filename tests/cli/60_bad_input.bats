#!/usr/bin/env bats
# Bad input: malformed CSV (exit 3), missing files (exit 4), bad model files (exit 5),
# bad parameters (exit 2).  Every failure names the file (and line) and leaves nothing behind.

load helpers

setup_file() {
    fit_once "$DATA/types.csv" types
}

setup() {
    MODEL="$BATS_FILE_TMPDIR/types.synth"
    OUT="$BATS_TEST_TMPDIR/out"
    mkdir -p "$OUT"
}

# both_fail FILE STATUS TEXT...: schema and fit on FILE exit STATUS, stderr holds every TEXT, no
# model is written.
both_fail() {
    local file=$1 want=$2 cmd t
    shift 2
    for cmd in schema fit; do
        run --separate-stderr "$SYNTH" "$cmd" "$file" -o "$OUT/x.out" -q
        [ "$status" -eq "$want" ] || fail "$cmd $file exited $status, expected $want: $stderr"
        [ -z "$output" ] || fail "$cmd wrote to stdout: $output"
        assert_contains "$stderr" "synth $cmd: "
        for t in "$@"; do
            assert_contains "$stderr" "$t"
        done
        [ ! -e "$OUT/x.out" ] || fail "$cmd left $OUT/x.out"
    done
    no_temp_files "$OUT"
}

@test "empty file: exit 3 naming the file" {
    both_fail "$DATA/empty.csv" 3 "empty.csv" "empty"
}

@test "header only: exit 3 'no data rows'" {
    both_fail "$DATA/header_only.csv" 3 "header_only.csv" "no data rows"
}

@test "ragged row: exit 3 naming the file and line 5" {
    both_fail "$DATA/ragged.csv" 3 "ragged.csv" "line 5" "expected 3 fields, found 2"
}

@test "ragged row after a quoted multi-line field: the physical line number" {
    printf 'a,b,c\n1,"x\ny",3\n4,5,6\n7,8\n' >"$BATS_TEST_TMPDIR/multi.csv"
    both_fail "$BATS_TEST_TMPDIR/multi.csv" 3 "line 5"
}

@test "ragged row with too many fields, CRLF line endings" {
    printf 'a,b\r\n1,2\r\n3,4\r\n5,6,7\r\n' >"$BATS_TEST_TMPDIR/crlf.csv"
    both_fail "$BATS_TEST_TMPDIR/crlf.csv" 3 "line 4" "expected 2 fields, found 3"
}

@test "invalid UTF-8: exit 3 naming the file, line 4 and the column" {
    both_fail "$DATA/bad_utf8.csv" 3 "bad_utf8.csv" "line 4" "UTF-8" "'b'"
}

@test "unterminated quote: exit 3 naming the file and line" {
    both_fail "$DATA/unterminated.csv" 3 "unterminated.csv" "line 3" "unterminated"
}

@test "duplicate column names: exit 3" {
    printf 'a,b,a\n1,2,3\n' >"$BATS_TEST_TMPDIR/dup.csv"
    both_fail "$BATS_TEST_TMPDIR/dup.csv" 3 "duplicate column name 'a'"
}

@test "--skip-bad-rows: the ragged file fits, and the summary reports 1 skipped row" {
    run --separate-stderr "$SYNTH" fit "$DATA/ragged.csv" --skip-bad-rows -o "$OUT/r.synth"
    [ "$status" -eq 0 ]
    assert_contains "$stderr" "5 rows x 3 columns"
    assert_contains "$stderr" "(1 bad rows skipped)"
    [ -s "$OUT/r.synth" ]
    run --separate-stderr "$SYNTH" inspect "$OUT/r.synth"
    [ "$status" -eq 0 ]
    assert_contains "$output" "5 rows, 5 fitted, 1 skipped"
    "$SYNTH" generate "$OUT/r.synth" --rows 100 -q >"$OUT/r.csv"
    assert_eq "$(line_count "$OUT/r.csv")" 101
    no_temp_files "$OUT"
}

@test "--skip-bad-rows also skips invalid UTF-8 rows (schema counts 3 rows)" {
    need_json_tool
    "$SYNTH" schema "$DATA/bad_utf8.csv" --skip-bad-rows -q >"$OUT/s.json"
    if have_jq; then
        assert_eq "$(jq .rows "$OUT/s.json")" 3 "rows"
    else
        grep -q '"rows": 3' "$OUT/s.json"
    fi
}

@test "--skip-bad-rows does not hide an unterminated quote or an empty file" {
    run "$SYNTH" fit "$DATA/unterminated.csv" --skip-bad-rows -o "$OUT/u.synth" -q
    [ "$status" -eq 3 ]
    run "$SYNTH" fit "$DATA/empty.csv" --skip-bad-rows -o "$OUT/u.synth" -q
    [ "$status" -eq 3 ]
    [ ! -e "$OUT/u.synth" ]
}

@test "missing input file: exit 4 naming it" {
    both_fail "$BATS_TEST_TMPDIR/no-such.csv" 4 "no-such.csv" "No such file"
}

@test "input that is a directory: exit 4 (or 3), not a crash" {
    run --separate-stderr "$SYNTH" schema "$BATS_TEST_TMPDIR" -q
    [ "$status" -eq 4 ] || [ "$status" -eq 3 ] || fail "exit $status: $stderr"
}

@test "generate on a CSV (not a model): exit 5 'not a synth model'" {
    run --separate-stderr "$SYNTH" generate "$DATA/types.csv" --rows 10 -o "$OUT/g.csv"
    [ "$status" -eq 5 ]
    [ -z "$output" ]
    assert_contains "$stderr" "types.csv"
    assert_contains "$stderr" "not a synth model"
    [ ! -e "$OUT/g.csv" ]
    no_temp_files "$OUT"
}

@test "inspect on a CSV or an empty file: exit 5" {
    run --separate-stderr "$SYNTH" inspect "$DATA/types.csv"
    [ "$status" -eq 5 ]
    assert_contains "$stderr" "not a synth model"
    run --separate-stderr "$SYNTH" inspect "$DATA/empty.csv"
    [ "$status" -eq 5 ]
}

@test "missing model file: exit 4" {
    run --separate-stderr "$SYNTH" generate "$BATS_TEST_TMPDIR/none.synth" --rows 10
    [ "$status" -eq 4 ]
    assert_contains "$stderr" "none.synth"
    run --separate-stderr "$SYNTH" inspect "$BATS_TEST_TMPDIR/none.synth"
    [ "$status" -eq 4 ]
}

@test "truncated model files: exit 5, never a crash" {
    local size n
    size=$(stat -c %s "$MODEL")
    for n in 0 16 100 1024 4096 $((size / 2)) $((size - 4096)) $((size - 1024)); do
        head -c "$n" "$MODEL" >"$OUT/t.synth"
        run --separate-stderr "$SYNTH" generate "$OUT/t.synth" --rows 100 -o "$OUT/g.csv"
        [ "$status" -eq 5 ] || fail "model truncated to $n bytes: exit $status: $stderr"
        assert_contains "$stderr" "t.synth"
        [ ! -e "$OUT/g.csv" ]
        run --separate-stderr "$SYNTH" inspect "$OUT/t.synth"
        [ "$status" -eq 5 ] || fail "inspect of model truncated to $n bytes: exit $status: $stderr"
    done
    no_temp_files "$OUT"
}

@test "model truncated by one byte: exit 5, not silently wrong output" {
    local size
    size=$(stat -c %s "$MODEL")
    head -c $((size - 1)) "$MODEL" >"$OUT/t.synth"
    run --separate-stderr "$SYNTH" generate "$OUT/t.synth" --rows 1000 --seed 1 -o "$OUT/g.csv"
    if [ "$status" -eq 0 ]; then
        # SQLite zero-fills the missing byte of the last page, which holds the tail of a marginal
        # blob: the model loads and emits values outside the training range (e.g. 01/01/1970).
        "$SYNTH" generate "$MODEL" --rows 1000 --seed 1 -q | cmp -s - "$OUT/g.csv" ||
            fail "regression: see the test name"
    fi
    [ "$status" -eq 5 ] || fail "exit $status: $stderr"
    [ ! -e "$OUT/g.csv" ]
}

@test "corrupted model files (overwritten pages): exit 0 or 5, never a crash" {
    local size off
    size=$(stat -c %s "$MODEL")
    for off in 0 100 4096 8192 $((size / 2)) $((size - 4096)); do
        cp "$MODEL" "$OUT/c.synth"
        head -c 2048 /dev/zero | tr '\0' 'Z' | dd of="$OUT/c.synth" bs=1 seek="$off" conv=notrunc 2>/dev/null
        run --separate-stderr timeout 30 "$SYNTH" generate "$OUT/c.synth" --rows 1000 -o "$OUT/g.csv"
        [ "$status" -eq 0 ] || [ "$status" -eq 5 ] || fail "corruption at $off: exit $status: $stderr"
        if [ "$status" -eq 5 ]; then
            assert_contains "$stderr" "c.synth"
            [ ! -e "$OUT/g.csv" ]
        fi
        rm -f "$OUT/g.csv"
    done
    no_temp_files "$OUT"
}

@test "--param unknown=1: exit 2 naming the key" {
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" --param unknown=1 -o "$OUT/p.synth"
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "unknown"
    assert_contains "$stderr" "--param"
    [ ! -e "$OUT/p.synth" ]
    no_temp_files "$OUT"
}

@test "--param without '=' or with a bad value: exit 2" {
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" --param knots -o "$OUT/p.synth"
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "knots"
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" --param knots=abc -o "$OUT/p.synth"
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "knots=abc"
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" --param marginals=magic -o "$OUT/p.synth"
    [ "$status" -eq 2 ]
    [ ! -e "$OUT/p.synth" ]
}

@test "valid --param values are accepted and recorded" {
    "$SYNTH" fit "$DATA/types.csv" --param knots=101 --param marginals=parametric -o "$OUT/p.synth" -q
    "$SYNTH" generate "$OUT/p.synth" --rows 100 -q >"$OUT/p.csv"
    assert_eq "$(line_count "$OUT/p.csv")" 101
}

@test "unknown generator: exit 2" {
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" -g nosuch -o "$OUT/g.synth"
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "nosuch"
}

@test "--threads 0: exit 2" {
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 10 --threads 0
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    assert_contains "$stderr" "--threads"
}

@test "--shard 3/3: exit 2" {
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 10 --shard 3/3
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    assert_contains "$stderr" "--shard"
}

@test "fit/schema numeric options: bad values exit 2 naming the option" {
    local opt
    for opt in --sample-rows --max-categories; do
        run --separate-stderr "$SYNTH" fit "$DATA/types.csv" "$opt" 0 -o "$OUT/o.synth"
        [ "$status" -eq 2 ] || fail "$opt 0 exited $status"
        assert_contains "$stderr" "$opt"
        run --separate-stderr "$SYNTH" fit "$DATA/types.csv" "$opt" abc -o "$OUT/o.synth"
        [ "$status" -eq 2 ] || fail "$opt abc exited $status"
    done
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" --seed -1 -o "$OUT/o.synth"
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "--seed"
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" --delimiter ab -o "$OUT/o.synth"
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "--delimiter"
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" --progress sometimes -o "$OUT/o.synth"
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "--progress"
    [ ! -e "$OUT/o.synth" ]
}

@test "fit from stdin needs -o; a model cannot go to stdout" {
    run --separate-stderr "$SYNTH" fit - <"$DATA/types.csv"
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "-o"
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" -o -
    [ "$status" -eq 2 ]
    "$SYNTH" fit - -o "$OUT/stdin.synth" -q <"$DATA/types.csv"
    "$SYNTH" generate "$OUT/stdin.synth" --rows 10 -q >/dev/null
}

@test "fit without -o writes INPUT's name with .synth in the current directory" {
    cd "$OUT"
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv"
    [ "$status" -eq 0 ]
    assert_contains "$stderr" "types.synth"
    [ -s "$OUT/types.synth" ]
    no_temp_files "$OUT"
}
