#!/usr/bin/env bats
# synth inspect: human table and --json.

load helpers

setup_file() {
    fit_once "$ADULT" adult
    "$SYNTH" inspect "$BATS_FILE_TMPDIR/adult.synth" >"$BATS_FILE_TMPDIR/adult.txt"
    "$SYNTH" inspect --json "$BATS_FILE_TMPDIR/adult.synth" >"$BATS_FILE_TMPDIR/adult.json"
}

setup() {
    MODEL="$BATS_FILE_TMPDIR/adult.synth"
    TXT="$BATS_FILE_TMPDIR/adult.txt"
    JS="$BATS_FILE_TMPDIR/adult.json"
}

@test "inspect prints on stdout, nothing on stderr, exit 0" {
    run --separate-stderr "$SYNTH" inspect "$MODEL"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    assert_eq "$output" "$(cat "$TXT")"
}

@test "inspect names the generator (copula), the source and its row counts" {
    grep -Eq '^generator +copula: ' "$TXT" || fail "$(cat "$TXT")"
    grep -Eq "^trained on +.*adult\.csv \(32561 rows, 32561 fitted, 0 skipped\)" "$TXT" || fail "$(grep trained "$TXT")"
    grep -Eq '^model +.*adult\.synth \(format [0-9]+, synth [0-9]+\.[0-9]+\.[0-9]+\)' "$TXT"
    grep -Eq '^created +[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$TXT"
}

@test "inspect lists 15 columns with types and details" {
    grep -Eq '^columns +15$' "$TXT" || fail "$(grep columns "$TXT")"
    local name rows=0
    for name in $(head -n1 "$ADULT" | tr ',' ' '); do
        grep -Eq "^  $name +(integer|categorical) " "$TXT" || fail "column $name not listed"
        rows=$((rows + 1))
    done
    assert_eq "$rows" 15
    grep -Eq '^  age +integer +0\.00%  range 17\.\.90$' "$TXT" || fail "$(grep ' age ' "$TXT")"
    grep -Eq '^  workclass +categorical +0\.00%  9 categories$' "$TXT" || fail "$(grep workclass "$TXT")"
    grep -Eq '^  sex +categorical +0\.00%  2 categories$' "$TXT"
}

@test "inspect shows the fit sample size when --sample-rows was used" {
    "$SYNTH" fit "$ADULT" --sample-rows 1000 -o "$BATS_TEST_TMPDIR/s.synth" -q
    run --separate-stderr "$SYNTH" inspect "$BATS_TEST_TMPDIR/s.synth"
    [ "$status" -eq 0 ]
    assert_contains "$output" "(32561 rows, 1000 fitted, 0 skipped)"
}

@test "inspect shows float, datetime, id and text details on the types fixture" {
    "$SYNTH" fit "$DATA/types.csv" -o "$BATS_TEST_TMPDIR/t.synth" -q
    run --separate-stderr "$SYNTH" inspect "$BATS_TEST_TMPDIR/t.synth"
    [ "$status" -eq 0 ]
    echo "$output" | grep -Eq '^  price +float .*2 decimals$'
    echo "$output" | grep -Eq '^  d_us +datetime .*format %m/%d/%Y$'
    echo "$output" | grep -Eq '^  cust +id .*\(prefixed\)$'
    echo "$output" | grep -Eq '^  id +id .*\(integer\)$'
    echo "$output" | grep -Eq '^  note +text .*9\.0 words'
    echo "$output" | grep -Eq '^  qty +integer +20\.00%'
    echo "$output" | grep -Eq '^  flag +boolean .*2 categories$'
}

@test "inspect --json is valid JSON with model, schema and parameters" {
    json_check "$JS"
    grep -q '"schema"' "$JS"
    grep -q '"model"' "$JS"
    if have_jq; then
        assert_eq "$(jq -r 'keys | sort | join(",")' "$JS")" "model,parameters,schema"
        assert_eq "$(jq '.schema.columns | length' "$JS")" 15
        assert_eq "$(jq -r '.schema.rows' "$JS")" 32561
        assert_eq "$(jq -r '.model.generator' "$JS")" copula
        assert_eq "$(jq -r '.model.provenance.rows' "$JS")" 32561
        jq -e '.model.provenance.source | endswith("adult.csv")' "$JS" >/dev/null
        assert_eq "$(jq '.parameters.dimensions | length' "$JS")" 15
    fi
}

@test "inspect --json schema equals what synth schema infers" {
    have_jq || skip "needs jq"
    "$SYNTH" schema "$ADULT" -q >"$BATS_TEST_TMPDIR/s.json"
    diff <(jq -S '.schema | del(.columns[].min, .columns[].max)' "$JS") \
         <(jq -S 'del(.columns[].min, .columns[].max)' "$BATS_TEST_TMPDIR/s.json")
}

@test "inspect -j is --json" {
    "$SYNTH" inspect -j "$MODEL" >"$BATS_TEST_TMPDIR/j.json"
    # Only the path may differ; the same model gives the same document.
    cmp "$JS" "$BATS_TEST_TMPDIR/j.json"
}
