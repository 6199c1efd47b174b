#!/usr/bin/env bats
# Quoting: categories with commas, quotes, LF and CRLF inside, and a header name with a comma
# and quotes, survive fit -> generate -> schema/fit.
#
# data/quoted.csv (100 rows): label in {Smith, John | say "hi" | two<LF>lines | plain |
# a,"b",<CR><LF>c}, n = 0..6, and a boolean column named: x, "y"

load helpers

setup_file() {
    fit_once "$DATA/quoted.csv" quoted
    "$SYNTH" generate "$BATS_FILE_TMPDIR/quoted.synth" --rows 2000 --seed 11 -q >"$BATS_FILE_TMPDIR/gen.csv"
    "$SYNTH" schema "$DATA/quoted.csv" -q >"$BATS_FILE_TMPDIR/src.json"
    "$SYNTH" schema "$BATS_FILE_TMPDIR/gen.csv" -q >"$BATS_FILE_TMPDIR/gen.json"
}

setup() {
    GEN="$BATS_FILE_TMPDIR/gen.csv"
    SJ="$BATS_FILE_TMPDIR/src.json"
    GJ="$BATS_FILE_TMPDIR/gen.json"
}

expected_labels() {
    printf '%s\n' '"Smith, John"' '"a,\"b\",\r\nc"' '"plain"' '"say \"hi\""' '"two\nlines"'
}

@test "the source is read with its 5 quoted categories intact" {
    need_json_tool
    assert_eq "$(col_field "$SJ" label type)" categorical
    diff <(categories "$SJ" label | LC_ALL=C sort) <(expected_labels | LC_ALL=C sort)
    assert_eq "$(col_field "$SJ" 'x, "y"' type)" boolean
}

@test "generated output quotes the header name with a comma and quotes" {
    assert_eq "$(head -n1 "$GEN")" 'label,n,"x, ""y"""'
}

@test "generated output parses back with synth schema: 2000 rows, same columns and types" {
    need_json_tool
    if have_jq; then
        assert_eq "$(jq .rows "$GJ")" 2000 "rows"
        assert_eq "$(jq -c '[.columns[] | [.name, .type]]' "$GJ")" \
                  '[["label","categorical"],["n","integer"],["x, \"y\"","boolean"]]'
    fi
    assert_eq "$(col_field "$GJ" label type)" categorical
    assert_eq "$(col_field "$GJ" n type)" integer
}

@test "generated categories are exactly the training categories (all 5 occur)" {
    need_json_tool
    diff <(categories "$GJ" label | LC_ALL=C sort) <(expected_labels | LC_ALL=C sort)
}

@test "generated quoted values are written with doubled quotes and kept line breaks" {
    grep -q '^"Smith, John",' "$GEN"
    grep -q '^"say ""hi""",' "$GEN"
    grep -qx '"two' "$GEN"
    grep -q $'^"a,""b"",\r$' "$GEN"
    grep -q '^plain,' "$GEN"
    # "plain" needs no quotes and gets none.
    if grep -q '^"plain"' "$GEN"; then fail "plain was quoted"; fi
}

@test "a standard CSV parser reads 2000 records of 3 fields from the output" {
    command -v python3 >/dev/null 2>&1 || skip "needs python3"
    run python3 - "$GEN" <<'PY'
import csv, sys
with open(sys.argv[1], newline="") as f:
    rows = list(csv.reader(f))
header, data = rows[0], rows[1:]
assert header == ["label", "n", 'x, "y"'], header
assert len(data) == 2000, len(data)
assert all(len(r) == 3 for r in data)
labels = {r[0] for r in data}
assert labels == {"Smith, John", 'say "hi"', "two\nlines", "plain", 'a,"b",\r\nc'}, labels
assert {r[2] for r in data} <= {"yes", "no"}
assert all(r[1].isdigit() and 0 <= int(r[1]) <= 6 for r in data)
print("ok")
PY
    [ "$status" -eq 0 ] || fail "$output"
    assert_eq "$output" ok
}

@test "fit on the generated output works, and its output round-trips again" {
    run --separate-stderr "$SYNTH" fit "$GEN" -o "$BATS_TEST_TMPDIR/again.synth"
    [ "$status" -eq 0 ] || fail "$stderr"
    assert_contains "$stderr" "2000 rows x 3 columns"
    "$SYNTH" generate "$BATS_TEST_TMPDIR/again.synth" --rows 500 -q >"$BATS_TEST_TMPDIR/again.csv"
    need_json_tool
    "$SYNTH" schema "$BATS_TEST_TMPDIR/again.csv" -q >"$BATS_TEST_TMPDIR/again.json"
    categories "$BATS_TEST_TMPDIR/again.json" label | LC_ALL=C sort >"$BATS_TEST_TMPDIR/labels"
    # Every label is one of the originals.
    local extra
    extra=$(LC_ALL=C comm -23 "$BATS_TEST_TMPDIR/labels" <(expected_labels | LC_ALL=C sort))
    [ -z "$extra" ] || fail "new labels: $extra"
}

@test "quoting with another delimiter: a value holding the delimiter is quoted" {
    printf 'label,n\n' >"$BATS_TEST_TMPDIR/semi.csv"
    local i
    for ((i = 0; i < 40; i++)); do printf 'a;%d,%d\n' $((i % 2)) $((i % 5)) >>"$BATS_TEST_TMPDIR/semi.csv"; done
    "$SYNTH" fit "$BATS_TEST_TMPDIR/semi.csv" -o "$BATS_TEST_TMPDIR/semi.synth" -q
    "$SYNTH" generate "$BATS_TEST_TMPDIR/semi.synth" --rows 300 -d ';' -q >"$BATS_TEST_TMPDIR/out.csv"
    [ -z "$(tail -n +2 "$BATS_TEST_TMPDIR/out.csv" | grep -Ev '^"a;[01]";[0-4]$' | head -n 3)" ]
    need_json_tool
    "$SYNTH" schema "$BATS_TEST_TMPDIR/out.csv" -d ';' -q >"$BATS_TEST_TMPDIR/out.json"
    assert_eq "$(categories "$BATS_TEST_TMPDIR/out.json" label | LC_ALL=C sort | tr '\n' ' ')" '"a;0" "a;1" '
}

@test "gzip output of quoted data decompresses to the plain output" {
    "$SYNTH" generate "$BATS_FILE_TMPDIR/quoted.synth" --rows 2000 --seed 11 -o "$BATS_TEST_TMPDIR/q.csv.gz" -q
    zcat "$BATS_TEST_TMPDIR/q.csv.gz" | cmp - "$GEN"
}

@test "quoted output is deterministic across threads, chunks and shards" {
    local m="$BATS_FILE_TMPDIR/quoted.synth"
    "$SYNTH" generate "$m" --rows 2000 --seed 11 -t 3 --chunk-rows 7 -q | cmp - "$GEN"
    {
        "$SYNTH" generate "$m" --rows 2000 --seed 11 --shard 0/3 -q
        "$SYNTH" generate "$m" --rows 2000 --seed 11 --shard 1/3 --no-header -q
        "$SYNTH" generate "$m" --rows 2000 --seed 11 --shard 2/3 --no-header -q
    } | cmp - "$GEN"
}
