#!/usr/bin/env bats
# synth privacy check|anonymize and generate --qi --k [--enforce]: exit codes, numbers, errors.

load helpers

P="$BATS_TEST_DIRNAME/../unit/data/privacy"

@test "privacy check: the inpatient table is 1-anonymous as given; exit 10 when k is not met" {
    need_json_tool
    run --separate-stderr "$SYNTH" privacy check "$P/inpatient.csv" --qi zip,age,nationality \
        --sensitive condition --k 2 --json "$BATS_TEST_TMPDIR/r.json"
    [ "$status" -eq 10 ] || fail "exit $status: $stderr"
    assert_contains "$output" "FAIL k-anonymity"
    json_check "$BATS_TEST_TMPDIR/r.json"
    have_jq || skip "needs jq for the numbers"
    assert_eq "$(jq -r .rows "$BATS_TEST_TMPDIR/r.json")" "12" "rows"
    assert_eq "$(jq -r .passed "$BATS_TEST_TMPDIR/r.json")" "false" "passed"
}

@test "privacy check: exit 0 when every requested model holds (Adult, coarse QIs)" {
    run --separate-stderr "$SYNTH" privacy check "$ADULT" --qi sex,race --k 5 --quiet
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
}

@test "privacy anonymize: k=4 on the inpatient table; the output passes check; loss reported" {
    local out=$BATS_TEST_TMPDIR/anon.csv
    run --separate-stderr "$SYNTH" privacy anonymize "$P/inpatient.csv" --qi zip,age,nationality \
        --sensitive condition --k 4 --hierarchy "$P/inpatient_age.json" -o "$out" --json "$BATS_TEST_TMPDIR/a.json"
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    assert_contains "$output" "NCP"
    run --separate-stderr "$SYNTH" privacy check "$out" --qi zip,age,nationality --k 4 --quiet
    [ "$status" -eq 0 ] || fail "the anonymized table fails k=4: $stderr"
    no_temp_files "$BATS_TEST_TMPDIR"
}

@test "privacy anonymize: Adult k=5 with at most 2% suppression passes check" {
    local out=$BATS_TEST_TMPDIR/anon.csv
    run --separate-stderr "$SYNTH" privacy anonymize "$ADULT" --qi age,sex,race --k 5 --max-suppression 2% -o "$out" --quiet
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    local kept=$(( $(line_count "$out") - 1 ))
    [ "$kept" -ge 31910 ] || fail "suppressed more than 2%: $kept rows kept"
    run --separate-stderr "$SYNTH" privacy check "$out" --qi age,sex,race --k 5 --quiet
    [ "$status" -eq 0 ] || fail "output fails k=5: $stderr"
}

@test "privacy anonymize: hierarchy errors name the file and the value (exit 2)" {
    run --separate-stderr "$SYNTH" privacy anonymize "$P/inpatient.csv" --qi zip,age,nationality --k 2 \
        --hierarchy "$P/bad_missing.json" -o "$BATS_TEST_TMPDIR/x.csv"
    [ "$status" -eq 2 ] || fail "exit $status: $stderr"
    assert_contains "$stderr" "bad_missing.json"
    [ ! -e "$BATS_TEST_TMPDIR/x.csv" ] || fail "output written despite the error"
    run --separate-stderr "$SYNTH" privacy anonymize "$P/inpatient.csv" --qi zip,age,nationality --k 2 \
        --hierarchy "$P/bad_malformed.json" -o "$BATS_TEST_TMPDIR/x.csv"
    [ "$status" -eq 2 ] || fail "malformed: exit $status: $stderr"
    assert_contains "$stderr" "bad_malformed.json"
}

@test "privacy: usage errors exit 2" {
    run --separate-stderr "$SYNTH" privacy
    [ "$status" -eq 2 ]
    run --separate-stderr "$SYNTH" privacy check "$P/inpatient.csv" --k 2
    [ "$status" -eq 2 ] || fail "missing --qi: exit $status"
    run --separate-stderr "$SYNTH" privacy check "$P/inpatient.csv" --qi nosuch --k 2
    [ "$status" -eq 2 ] || fail "unknown column: exit $status"
    assert_contains "$stderr" "nosuch"
    run --separate-stderr "$SYNTH" privacy check "$P/inpatient.csv" --qi zip --l 2
    [ "$status" -eq 2 ] || fail "--l without --sensitive: exit $status"
    run --separate-stderr "$SYNTH" privacy anonymize "$P/inpatient.csv" --qi zip --k 2
    [ "$status" -eq 2 ] || fail "missing -o: exit $status"
}

@test "generate --qi --k: exit 10 when the output is not k-anonymous; --enforce fixes it" {
    "$SYNTH" fit "$ADULT" -o "$BATS_TEST_TMPDIR/a.synth" -q
    local out=$BATS_TEST_TMPDIR/g.csv
    run --separate-stderr "$SYNTH" generate "$BATS_TEST_TMPDIR/a.synth" --rows 5000 -o "$out" --qi age,sex,race --k 5
    [ "$status" -eq 10 ] || fail "exit $status: $stderr"
    run --separate-stderr "$SYNTH" generate "$BATS_TEST_TMPDIR/a.synth" --rows 5000 -o "$out" --qi age,sex,race \
        --k 5 --enforce --max-suppression 5%
    [ "$status" -eq 0 ] || fail "--enforce: exit $status: $stderr"
    run --separate-stderr "$SYNTH" privacy check "$out" --qi age,sex,race --k 5 --quiet
    [ "$status" -eq 0 ] || fail "enforced output fails k=5: $stderr"
    run --separate-stderr "$SYNTH" generate "$BATS_TEST_TMPDIR/a.synth" --rows 10 -o - --qi age --k 2
    [ "$status" -eq 2 ] || fail "--qi with stdout: exit $status"
    run --separate-stderr "$SYNTH" generate "$BATS_TEST_TMPDIR/a.synth" --rows 10 -o "$out" --k 2
    [ "$status" -eq 2 ] || fail "--k without --qi: exit $status"
}
