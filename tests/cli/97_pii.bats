#!/usr/bin/env bats
# synth pii mask: operators end to end, keys, policy errors.

load helpers

M="$BATS_TEST_DIRNAME/../unit/data/pii_mask"

setup() {
    head -c 32 /dev/urandom > "$BATS_TEST_TMPDIR/key.bin"
}

@test "pii mask: every policy column is rewritten, the rest and the quoting are kept" {
    local out=$BATS_TEST_TMPDIR/m.csv
    run --separate-stderr "$SYNTH" pii mask "$M/people.csv" --policy "$M/policy.json" -o "$out" \
        --key-file "$BATS_TEST_TMPDIR/key.bin"
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    assert_eq "$(head -n1 "$out")" "$(head -n1 "$M/people.csv")" "header"
    ! grep -q "alice@example.com" "$out" || fail "an email survived masking"
    ! grep -q "123-45-6789" "$out" || fail "an SSN survived masking"
    grep -q "REDACTED" "$out" || fail "replace operator missing"
    grep -q '"likes ""quotes"", commas"' "$out" || fail "quoting of the untouched column changed"
    no_temp_files "$BATS_TEST_TMPDIR"
}

@test "pii mask: same key gives the same tokens across runs, another key does not" {
    local a=$BATS_TEST_TMPDIR/a.csv b=$BATS_TEST_TMPDIR/b.csv c=$BATS_TEST_TMPDIR/c.csv
    "$SYNTH" pii mask "$M/people.csv" --policy "$M/policy.json" -o "$a" --key-file "$BATS_TEST_TMPDIR/key.bin"
    "$SYNTH" pii mask "$M/people.csv" --policy "$M/policy.json" -o "$b" --key-file "$BATS_TEST_TMPDIR/key.bin"
    cmp -s "$a" "$b" || fail "masking is not deterministic for one key"
    head -c 32 /dev/urandom > "$BATS_TEST_TMPDIR/key2.bin"
    "$SYNTH" pii mask "$M/people.csv" --policy "$M/policy.json" -o "$c" --key-file "$BATS_TEST_TMPDIR/key2.bin"
    ! cmp -s "$a" "$c" || fail "another key gave the same output"
}

@test "pii mask: a missing key is a usage error naming the operator; no output" {
    run --separate-stderr env -u SYNTH_MASK_KEY "$SYNTH" pii mask "$M/people.csv" --policy "$M/policy.json" \
        -o "$BATS_TEST_TMPDIR/x.csv"
    [ "$status" -eq 2 ] || fail "exit $status"
    assert_contains "$stderr" "needs a key"
    [ ! -e "$BATS_TEST_TMPDIR/x.csv" ] || fail "output written"
}

@test "pii mask: policy errors name the file and the field (exit 2)" {
    printf '{"columns": {"email": {"operator": "shred"}}}' > "$BATS_TEST_TMPDIR/p.json"
    run --separate-stderr "$SYNTH" pii mask "$M/people.csv" --policy "$BATS_TEST_TMPDIR/p.json" \
        -o "$BATS_TEST_TMPDIR/x.csv" --key-file "$BATS_TEST_TMPDIR/key.bin"
    [ "$status" -eq 2 ] || fail "unknown operator: exit $status"
    assert_contains "$stderr" "p.json"
    assert_contains "$stderr" "shred"
    printf '{"columns": {"nosuch": {"operator": "redact"}}}' > "$BATS_TEST_TMPDIR/p.json"
    run --separate-stderr "$SYNTH" pii mask "$M/people.csv" --policy "$BATS_TEST_TMPDIR/p.json" \
        -o "$BATS_TEST_TMPDIR/x.csv" --key-file "$BATS_TEST_TMPDIR/key.bin"
    [ "$status" -eq 2 ] || fail "unknown column: exit $status"
    assert_contains "$stderr" "nosuch"
    printf '{"columns": ' > "$BATS_TEST_TMPDIR/p.json"
    run --separate-stderr "$SYNTH" pii mask "$M/people.csv" --policy "$BATS_TEST_TMPDIR/p.json" \
        -o "$BATS_TEST_TMPDIR/x.csv" --key-file "$BATS_TEST_TMPDIR/key.bin"
    [ "$status" -eq 2 ] || fail "malformed: exit $status"
}

@test "pii mask: the key never appears in output or messages" {
    local hex
    hex=$(od -An -tx1 "$BATS_TEST_TMPDIR/key.bin" | tr -d ' \n')
    run --separate-stderr env SYNTH_MASK_KEY="$hex" "$SYNTH" pii mask "$M/people.csv" --policy "$M/policy.json" \
        -o "$BATS_TEST_TMPDIR/m.csv"
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    assert_not_contains "$stderr$output" "$hex"
    ! grep -q "$hex" "$BATS_TEST_TMPDIR/m.csv" || fail "key in output"
}

@test "pii scan: finds the PII columns, prints only masked examples, JSON report" {
    need_json_tool
    run --separate-stderr "$SYNTH" pii scan "$M/people.csv" --json "$BATS_TEST_TMPDIR/s.json"
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    assert_contains "$output" "email"
    assert_contains "$output" "credit_card"
    assert_not_contains "$output" "alice@example.com"
    assert_not_contains "$output" "4111 1111 1111 1111"
    json_check "$BATS_TEST_TMPDIR/s.json"
    ! grep -q "alice@example.com" "$BATS_TEST_TMPDIR/s.json" || fail "raw PII in the JSON report"
    run --separate-stderr "$SYNTH" pii scan "$BATS_TEST_TMPDIR/nosuch.csv"
    [ "$status" -eq 4 ] || fail "missing file: exit $status"
}

@test "fit/generate: PII columns become fresh format-valid fakes; no e-mail, SSN or card is copied" {
    local d=$BATS_TEST_TMPDIR src="$BATS_TEST_DIRNAME/data/pii_people.csv"
    "$SYNTH" fit "$src" -o "$d/p.synth" -q
    run --separate-stderr "$SYNTH" inspect "$d/p.synth"
    [ "$status" -eq 0 ] || fail "inspect: $stderr"
    for c in email ssn card_number iban customer_name; do
        echo "$output" | grep -E "^  $c +pii " >/dev/null || fail "column $c is not pii: $output"
    done
    echo "$output" | grep -E "^  product_code +(id|categorical|text) " >/dev/null || fail "product_code taken for PII"
    # the model file holds no source value of a PII column
    for v in $(cut -d, -f2 "$src" | tail -n +2 | head -n 20); do
        ! grep -aqF "$v" "$d/p.synth" || fail "model file contains the e-mail $v"
    done
    "$SYNTH" generate "$d/p.synth" --rows 3000 -o "$d/out.csv" -q
    local c leaked
    for c in 2 4 5 6; do   # email, ssn, card, iban: large domains, any match would be a copy
        leaked=$(comm -12 <(cut -d, -f$c "$src" | tail -n +2 | sort -u) <(cut -d, -f$c "$d/out.csv" | tail -n +2 | sort -u) | wc -l)
        [ "$leaked" -eq 0 ] || fail "column $c: $leaked source values in the output"
    done
    # every generated card number passes Luhn, every e-mail is at a reserved example domain
    cut -d, -f5 "$d/out.csv" | tail -n +2 | tr -d ' -' | awk '{
        s = 0; n = length($0)
        for (i = n; i >= 1; i--) { d = substr($0, i, 1) + 0; if ((n - i) % 2 == 1) { d *= 2; if (d > 9) d -= 9 } s += d }
        if (s % 10 != 0) { print "bad card " $0; exit 1 } }' || fail "a generated card fails Luhn"
    ! cut -d, -f2 "$d/out.csv" | tail -n +2 | grep -vqE '@example\.(com|org|net)$' || fail "an e-mail outside example domains"
}
