#!/usr/bin/env bats
# synth validate and generate --validate-against: scores, gates, reports, bad input.

load helpers

setup_file() {
    # A 2/3 - 1/3 split of Adult: train and holdout; a model fitted on train; 20k synthetic rows.
    local d=$BATS_FILE_TMPDIR
    head -n1 "$ADULT" > "$d/train.csv"
    head -n1 "$ADULT" > "$d/holdout.csv"
    tail -n +2 "$ADULT" | awk 'NR % 3 != 0' >> "$d/train.csv"
    tail -n +2 "$ADULT" | awk 'NR % 3 == 0' >> "$d/holdout.csv"
    "$SYNTH" fit "$d/train.csv" -o "$d/train.synth" -q
    "$SYNTH" generate "$d/train.synth" --rows 20000 --seed 3 -o "$d/synth.csv" -q
}

jget() {   # jget FILE JQ_EXPR
    jq -r "$2" "$1"
}

@test "validate: summary table with the three scores, utility and privacy" {
    need_json_tool
    local d=$BATS_FILE_TMPDIR
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv" --synthetic "$d/synth.csv" \
        --holdout "$d/holdout.csv" --target income --json "$BATS_TEST_TMPDIR/r.json"
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    assert_contains "$output" "overall"
    assert_contains "$output" "column pair trends"
    assert_contains "$output" "roc_auc"
    assert_contains "$output" "membership-inference"
    json_check "$BATS_TEST_TMPDIR/r.json"
    have_jq || skip "needs jq for the numbers"
    local overall shapes auc ratio share copies
    overall=$(jget "$BATS_TEST_TMPDIR/r.json" .fidelity.overall)
    shapes=$(jget "$BATS_TEST_TMPDIR/r.json" .fidelity.column_shapes)
    auc=$(jget "$BATS_TEST_TMPDIR/r.json" .utility.train_real.roc_auc)
    ratio=$(jget "$BATS_TEST_TMPDIR/r.json" .utility.ratio.roc_auc)
    share=$(jget "$BATS_TEST_TMPDIR/r.json" .privacy.dcr.share_closer_to_train)
    copies=$(jget "$BATS_TEST_TMPDIR/r.json" .privacy.dcr.exact_copy_rate)
    awk -v o="$overall" -v s="$shapes" -v a="$auc" -v r="$ratio" -v sh="$share" -v c="$copies" 'BEGIN {
        exit !(o > 0.9 && o <= 1 && s > 0.95 && a > 0.85 && r > 0.9 && r < 1.1 && sh > 0.4 && sh < 0.6 && c < 0.01) }' \
        || fail "overall=$overall shapes=$shapes auc=$auc ratio=$ratio share=$share copies=$copies"
}

@test "validate: identical files score 1.0 and every row is an exact copy" {
    have_jq || skip "needs jq"
    local d=$BATS_FILE_TMPDIR
    run --separate-stderr "$SYNTH" validate --real "$d/holdout.csv" --synthetic "$d/holdout.csv" \
        --json "$BATS_TEST_TMPDIR/r.json" -q
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    assert_eq "$(jget "$BATS_TEST_TMPDIR/r.json" .fidelity.overall)" "1" "overall"
    assert_eq "$(jget "$BATS_TEST_TMPDIR/r.json" .fidelity.column_shapes)" "1" "shapes"
    assert_eq "$(jget "$BATS_TEST_TMPDIR/r.json" .privacy.dcr.exact_copy_rate)" "1" "exact copies"
}

@test "validate: --fail-under gates with exit 10, passes below the score" {
    local d=$BATS_FILE_TMPDIR
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv" --synthetic "$d/synth.csv" --fail-under 0.999 -q
    [ "$status" -eq 10 ] || fail "exit $status: $stderr"
    assert_contains "$stderr" "below --fail-under"
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv" --synthetic "$d/synth.csv" --fail-under 0.5 -q
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
}

@test "validate: HTML report is written, self-contained, with inline SVG" {
    local d=$BATS_FILE_TMPDIR h=$BATS_TEST_TMPDIR/r.html
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv" --synthetic "$d/synth.csv" --html "$h" -q
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    grep -q '<svg' "$h" || fail "no svg in the report"
    ! grep -q '<script' "$h" || fail "the report has a script"
    ! grep -qE 'https?://' "$h" || fail "the report links out"
    no_temp_files "$BATS_TEST_TMPDIR"
}

@test "generate --validate-against writes the data and the reports" {
    need_json_tool
    local d=$BATS_FILE_TMPDIR t=$BATS_TEST_TMPDIR
    run --separate-stderr "$SYNTH" generate "$d/train.synth" --rows 5000 -o "$t/s.csv" \
        --validate-against "$d/train.csv" --json "$t/r.json" --html "$t/r.html"
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    assert_eq "$(line_count "$t/s.csv")" "5001" "lines"
    json_check "$t/r.json"
    [ -s "$t/r.html" ] || fail "no html"
    assert_contains "$stderr" "overall"
}

@test "generate --validate-against: needs a plain output file; report options need it" {
    local d=$BATS_FILE_TMPDIR
    run --separate-stderr "$SYNTH" generate "$d/train.synth" --rows 10 -o - --validate-against "$d/train.csv"
    [ "$status" -eq 2 ] || fail "exit $status"
    run --separate-stderr "$SYNTH" generate "$d/train.synth" --rows 10 -o "$BATS_TEST_TMPDIR/x.csv.gz" \
        --validate-against "$d/train.csv"
    [ "$status" -eq 2 ] || fail "exit $status"
    run --separate-stderr "$SYNTH" generate "$d/train.synth" --rows 10 -o "$BATS_TEST_TMPDIR/x.csv" --html r.html
    [ "$status" -eq 2 ] || fail "exit $status"
    assert_contains "$stderr" "--validate-against"
}

@test "validate: usage errors exit 2" {
    local d=$BATS_FILE_TMPDIR
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv"
    [ "$status" -eq 2 ] || fail "missing --synthetic: exit $status"
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv" --synthetic "$d/synth.csv" --target income
    [ "$status" -eq 2 ] || fail "--target without --holdout: exit $status"
    assert_contains "$stderr" "--holdout"
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv" --synthetic "$d/synth.csv" \
        --holdout "$d/holdout.csv" --target nosuch
    [ "$status" -eq 2 ] || fail "unknown target: exit $status"
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv" --synthetic "$d/synth.csv" --fail-under 1.5
    [ "$status" -eq 2 ] || fail "--fail-under 1.5: exit $status"
}

@test "validate: bad input gets a clear error naming the file (exit 3 or 4)" {
    local d=$BATS_FILE_TMPDIR t=$BATS_TEST_TMPDIR
    cut -d, -f1-14 "$d/synth.csv" > "$t/fewer.csv"
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv" --synthetic "$t/fewer.csv" -q
    [ "$status" -eq 3 ] || fail "missing column: exit $status: $stderr"
    assert_contains "$stderr" "income"
    : > "$t/empty.csv"
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv" --synthetic "$t/empty.csv" -q
    [ "$status" -eq 3 ] || fail "empty synthetic: exit $status: $stderr"
    assert_contains "$stderr" "empty.csv"
    { head -n 3 "$d/synth.csv"; echo "abc,$(sed -n 2p "$d/synth.csv" | cut -d, -f2-)"; } > "$t/badtype.csv"
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv" --synthetic "$t/badtype.csv" -q
    [ "$status" -eq 3 ] || fail "wrong type: exit $status: $stderr"
    assert_contains "$stderr" "line 4"
    assert_contains "$stderr" "age"
    run --separate-stderr "$SYNTH" validate --real "$d/train.csv" --synthetic "$t/nosuch.csv" -q
    [ "$status" -eq 4 ] || fail "missing file: exit $status: $stderr"
}
