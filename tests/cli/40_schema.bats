#!/usr/bin/env bats
# synth schema: JSON output, type inference on fixtures, and --schema overrides.
#
# data/types.csv (200 rows): id 1..200, cust C000101..C000300, price with 2 decimals, d_iso
# (YYYY-MM-DD), dt_iso (YYYY-MM-DDTHH:MM:SS), d_us (MM/DD/YYYY), flag true/false, note (sentences),
# qty (integers, 20 empty cells and 20 NA), color (4 values).

load helpers

setup_file() {
    "$SYNTH" schema "$ADULT" -q >"$BATS_FILE_TMPDIR/adult.json"
    "$SYNTH" schema "$DATA/types.csv" -q >"$BATS_FILE_TMPDIR/types.json"
}

setup() {
    AJ="$BATS_FILE_TMPDIR/adult.json"
    TJ="$BATS_FILE_TMPDIR/types.json"
}

# num_eq A B: numeric equality within 1e-9.
num_eq() {
    awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d < 1e-9 && d > -1e-9) }' ||
        fail "expected $2, got $1"
}

@test "schema on Adult prints valid JSON on stdout, nothing on stderr with -q" {
    run --separate-stderr "$SYNTH" schema "$ADULT" -q
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    json_check "$AJ"
    assert_contains "$output" '"columns"'
}

@test "schema on Adult: 32561 rows, 15 columns in header order" {
    need_json_tool
    if have_jq; then
        assert_eq "$(jq '.rows' "$AJ")" 32561 "rows"
        assert_eq "$(jq '.columns | length' "$AJ")" 15 "columns"
        assert_eq "$(jq -r '[.columns[].name] | join(",")' "$AJ")" "$(head -n1 "$ADULT")" "names"
    else
        grep -q '"rows": 32561' "$AJ"
        assert_eq "$(grep -c '"type":' "$AJ")" 15 "columns"
    fi
}

@test "schema on Adult: age is integer 17..90, workclass categorical with its 9 values" {
    need_json_tool
    assert_eq "$(col_field "$AJ" age type)" integer "age type"
    num_eq "$(col_field "$AJ" age min)" 17
    num_eq "$(col_field "$AJ" age max)" 90
    assert_eq "$(col_field "$AJ" workclass type)" categorical "workclass type"
    assert_eq "$(categories "$AJ" workclass | wc -l | tr -d ' ')" 9 "workclass categories"
    categories "$AJ" workclass | grep -qx '" Private"' || fail "no ' Private' category"
    # Most frequent first, with exact counts.
    assert_eq "$(categories "$AJ" workclass | head -n1)" '" Private"'
    local private
    private=$(awk -F, 'NR > 1 && $2 == " Private"' "$ADULT" | wc -l | tr -d ' ')
    if have_jq; then
        assert_eq "$(jq '.columns[1].categories[0].count' "$AJ")" "$private" "count of Private"
    fi
}

@test "schema on Adult: every column has the expected type" {
    need_json_tool
    local expected="age:integer workclass:categorical fnlwgt:integer education:categorical
education-num:integer marital-status:categorical occupation:categorical relationship:categorical
race:categorical sex:categorical capital-gain:integer capital-loss:integer hours-per-week:integer
native-country:categorical income:categorical"
    local pair
    for pair in $expected; do
        assert_eq "$(col_field "$AJ" "${pair%%:*}" type)" "${pair#*:}" "type of ${pair%%:*}"
        num_eq "$(col_field "$AJ" "${pair%%:*}" null_rate)" 0
    done
}

@test "schema -o FILE writes the same JSON as stdout" {
    "$SYNTH" schema "$ADULT" -q -o "$BATS_TEST_TMPDIR/s.json"
    cmp "$AJ" "$BATS_TEST_TMPDIR/s.json"
}

@test "schema reads standard input with '-'" {
    "$SYNTH" schema - -q <"$DATA/types.csv" >"$BATS_TEST_TMPDIR/stdin.json"
    cmp "$TJ" "$BATS_TEST_TMPDIR/stdin.json"
}

@test "inference: float column with 2 decimals" {
    need_json_tool
    assert_eq "$(col_field "$TJ" price type)" float
    assert_eq "$(col_field "$TJ" price decimals)" 2
}

@test "inference: ISO date, ISO datetime and m/d/Y columns are datetime with their layout" {
    need_json_tool
    assert_eq "$(col_field "$TJ" d_iso type)" datetime
    assert_eq "$(col_field "$TJ" d_iso format)" "%Y-%m-%d"
    assert_eq "$(col_field "$TJ" dt_iso type)" datetime
    assert_eq "$(col_field "$TJ" dt_iso format)" "%Y-%m-%dT%H:%M:%S"
    assert_eq "$(col_field "$TJ" d_us type)" datetime
    assert_eq "$(col_field "$TJ" d_us format)" "%m/%d/%Y"
}

@test "inference: true/false column is boolean" {
    need_json_tool
    assert_eq "$(col_field "$TJ" flag type)" boolean
    assert_eq "$(categories "$TJ" flag | sort | tr '\n' ' ')" '"false" "true" '
}

@test "inference: unique integers named id are an integer id column" {
    need_json_tool
    assert_eq "$(col_field "$TJ" id type)" id
    assert_eq "$(col_field "$TJ" id id_format)" integer
    assert_eq "$(col_field "$TJ" id next)" 201
}

@test "inference: C000123-style values are a prefixed id column" {
    need_json_tool
    assert_eq "$(col_field "$TJ" cust type)" id
    assert_eq "$(col_field "$TJ" cust id_format)" prefixed
    assert_eq "$(col_field "$TJ" cust prefix)" C
    assert_eq "$(col_field "$TJ" cust width)" 6
    assert_eq "$(col_field "$TJ" cust next)" 301
}

@test "inference: sentences are text; a few repeated words are categorical" {
    need_json_tool
    assert_eq "$(col_field "$TJ" note type)" text
    assert_eq "$(col_field "$TJ" color type)" categorical
    assert_eq "$(categories "$TJ" color | sort | tr '\n' ' ')" '"blue" "green" "red" "yellow" '
}

@test "inference: empty cells and NA in an integer column are nulls (null_rate 0.2)" {
    need_json_tool
    assert_eq "$(col_field "$TJ" qty type)" integer
    assert_eq "$(col_field "$TJ" qty null_count)" 40
    num_eq "$(col_field "$TJ" qty null_rate)" 0.2
    num_eq "$(col_field "$TJ" qty min)" 1
    num_eq "$(col_field "$TJ" qty max)" 49
}

@test "inference: null spellings -- NA-only float keeps 'NA', empty categorical cells are nulls" {
    need_json_tool
    "$SYNTH" schema "$DATA/nulls.csv" -q >"$BATS_TEST_TMPDIR/n.json"
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/n.json" x type)" float
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/n.json" x decimals)" 1
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/n.json" x null_token)" NA
    num_eq "$(col_field "$BATS_TEST_TMPDIR/n.json" x null_rate)" 0.2
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/n.json" c type)" categorical
    num_eq "$(col_field "$BATS_TEST_TMPDIR/n.json" c null_rate)" 0.2
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/n.json" k type)" integer
    num_eq "$(col_field "$BATS_TEST_TMPDIR/n.json" k null_rate)" 0.2
}

@test "--delimiter tab reads a TSV the same as the CSV" {
    need_json_tool
    tr ',' '\t' <"$DATA/types.csv" >"$BATS_TEST_TMPDIR/types.tsv"
    "$SYNTH" schema "$BATS_TEST_TMPDIR/types.tsv" -d tab -q >"$BATS_TEST_TMPDIR/tsv.json"
    local c
    for c in id cust price d_iso dt_iso d_us flag note qty color; do
        assert_eq "$(col_field "$BATS_TEST_TMPDIR/tsv.json" "$c" type)" "$(col_field "$TJ" "$c" type)" "type of $c"
    done
}

@test "--max-categories: a column with more distinct values stops being categorical" {
    need_json_tool
    "$SYNTH" schema "$ADULT" --max-categories 20 -q >"$BATS_TEST_TMPDIR/m.json"
    [ "$(col_field "$BATS_TEST_TMPDIR/m.json" native-country type)" != categorical ]
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/m.json" workclass type)" categorical
}

@test "--schema override: education-num becomes categorical with its 16 values" {
    need_json_tool
    "$SYNTH" schema "$ADULT" --schema "$DATA/override_ednum.json" -q >"$BATS_TEST_TMPDIR/o.json"
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/o.json" education-num type)" categorical
    assert_eq "$(categories "$BATS_TEST_TMPDIR/o.json" education-num | wc -l | tr -d ' ')" 16
    # Other columns are untouched.
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/o.json" age type)" integer
}

@test "--schema override in fit: the model and its output follow the override" {
    "$SYNTH" fit "$ADULT" --schema "$DATA/override_ednum.json" -o "$BATS_TEST_TMPDIR/o.synth" -q
    run --separate-stderr "$SYNTH" inspect "$BATS_TEST_TMPDIR/o.synth"
    [ "$status" -eq 0 ]
    echo "$output" | grep -Eq '^  education-num +categorical .*16 categories' ||
        fail "inspect: $(echo "$output" | grep education-num)"
    "$SYNTH" generate "$BATS_TEST_TMPDIR/o.synth" --rows 5000 -q >"$BATS_TEST_TMPDIR/g.csv"
    # Values are still exactly the training values 1..16.
    local bad
    bad=$(bad_rows "$BATS_TEST_TMPDIR/g.csv" '!($5 ~ /^([1-9]|1[0-6])$/)')
    [ -z "$bad" ] || fail "education-num values outside 1..16: $bad"
}

@test "--schema override: decimals, type changes to text and integer" {
    need_json_tool
    "$SYNTH" schema "$DATA/types.csv" --schema "$DATA/override_types.json" -q >"$BATS_TEST_TMPDIR/o.json"
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/o.json" price decimals)" 3
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/o.json" color type)" text
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/o.json" id type)" integer
    "$SYNTH" fit "$DATA/types.csv" --schema "$DATA/override_types.json" -o "$BATS_TEST_TMPDIR/o.synth" -q
    "$SYNTH" generate "$BATS_TEST_TMPDIR/o.synth" --rows 2000 -q >"$BATS_TEST_TMPDIR/g.csv"
    local bad
    bad=$(bad_rows "$BATS_TEST_TMPDIR/g.csv" '!($3 ~ /^[0-9]+\.[0-9][0-9][0-9]$/)')
    [ -z "$bad" ] || fail "price without 3 decimals: $bad"
    # id as a plain integer: values within the training range 1..200 (no longer fresh ids).
    bad=$(bad_rows "$BATS_TEST_TMPDIR/g.csv" '!($1 ~ /^[0-9]+$/ && $1 >= 1 && $1 <= 200)')
    [ -z "$bad" ] || fail "id outside 1..200: $bad"
}

@test "--schema override with a format the data does not fit: fit exits 3 naming line and column" {
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" --schema "$DATA/override_wrong_format.json" \
        -o "$BATS_TEST_TMPDIR/w.synth" -q
    [ "$status" -eq 3 ]
    assert_contains "$stderr" "line 2"
    assert_contains "$stderr" "d_us"
    [ ! -e "$BATS_TEST_TMPDIR/w.synth" ]
    no_temp_files "$BATS_TEST_TMPDIR"
}

# bad_override FILE WORD: schema and fit both exit 2 naming FILE and WORD.
bad_override() {
    local cmd
    for cmd in schema fit; do
        run --separate-stderr "$SYNTH" "$cmd" "$ADULT" --schema "$DATA/$1" -o "$BATS_TEST_TMPDIR/x.out" -q
        [ "$status" -eq 2 ] || fail "$cmd with $1 exited $status: $stderr"
        [ -z "$output" ]
        assert_contains "$stderr" "$1"
        assert_contains "$stderr" "$2"
        [ ! -e "$BATS_TEST_TMPDIR/x.out" ]
    done
    no_temp_files "$BATS_TEST_TMPDIR"
}

@test "--schema override naming an unknown column: exit 2 naming the file and column" {
    bad_override override_unknown_column.json "no-such-column"
}

@test "--schema override with an unknown type: exit 2 naming the file and type" {
    bad_override override_unknown_type.json "complex-number"
}

@test "--schema override with malformed JSON: exit 2 naming the file and line" {
    bad_override override_malformed.json "line"
}

@test "--schema override with an unknown field or a bad decimals value: exit 2" {
    echo '{"columns": [{"name": "age", "typo": "integer"}]}' >"$BATS_TEST_TMPDIR/f.json"
    run --separate-stderr "$SYNTH" schema "$ADULT" --schema "$BATS_TEST_TMPDIR/f.json" -q
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "f.json"
    assert_contains "$stderr" "typo"
    echo '{"columns": [{"name": "age", "decimals": 99}]}' >"$BATS_TEST_TMPDIR/d.json"
    run --separate-stderr "$SYNTH" schema "$ADULT" --schema "$BATS_TEST_TMPDIR/d.json" -q
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "decimals"
    echo '[1, 2]' >"$BATS_TEST_TMPDIR/a.json"
    run --separate-stderr "$SYNTH" schema "$ADULT" --schema "$BATS_TEST_TMPDIR/a.json" -q
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "columns"
}

@test "--schema override file that does not exist: exit 4 (I/O), naming the file" {
    run --separate-stderr "$SYNTH" schema "$ADULT" --schema "$BATS_TEST_TMPDIR/none.json" -q
    assert_contains "$stderr" "none.json"
    if [ "$status" -ne 4 ] || [[ "$stderr" == *"line -1"* ]]; then
        fail "regression: see the test name"
    fi
    assert_not_contains "$stderr" "line -1"
}

@test "the output of synth schema passes back unchanged through --schema (help text promise)" {
    local f
    for f in "$AJ" "$TJ"; do
        local src="$ADULT"
        [ "$f" = "$TJ" ] && src="$DATA/types.csv"
        run --separate-stderr "$SYNTH" schema "$src" --schema "$f" -q
        [ "$status" -eq 0 ] || fail "schema $src --schema (its own schema) exited $status: $stderr"
        diff <(echo "$output") "$f"
    done
    "$SYNTH" fit "$DATA/types.csv" --schema "$TJ" -o "$BATS_TEST_TMPDIR/t.synth" -q
}

@test "an edited schema (one type changed, everything else as printed) is accepted" {
    have_jq || skip "needs jq"
    jq '(.columns[] | select(.name == "education-num") | .type) = "categorical"' "$AJ" >"$BATS_TEST_TMPDIR/e.json"
    run --separate-stderr "$SYNTH" schema "$ADULT" --schema "$BATS_TEST_TMPDIR/e.json" -q
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    echo "$output" >"$BATS_TEST_TMPDIR/o.json"
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/o.json" education-num type)" categorical
    assert_eq "$(categories "$BATS_TEST_TMPDIR/o.json" education-num | wc -l | tr -d ' ')" 16
}
