#!/usr/bin/env bats
# PII leakage: no source PII value in generated output (structured columns and free text), exact
# counts and exit 10 when values are pasted in, and free-text PII never learned by the model.

load helpers

PEOPLE="$DATA/pii_people.csv"
NOTES="$DATA/pii_notes.csv"

setup_file() {
    fit_once "$PEOPLE" people
    fit_once "$NOTES" notes
}

# jnum FILE FILTER: a value of a JSON file (jq filter syntax, e.g. .pii_leakage.leaked_values).
jnum() {
    if have_jq; then
        jq -r "$2" "$1"
    else
        python3 - "$1" "$2" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for part in sys.argv[2].strip(".").split("."):
    v = v[part]
print(json.dumps(v) if isinstance(v, (bool, type(None))) else v)
PY
    fi
}

# entity_field FILE ENTITY FIELD: a field of one entity of the pii_leakage section.
entity_field() {
    if have_jq; then
        jq -r --arg e "$2" --arg f "$3" '.pii_leakage.entities[] | select(.entity == $e) | .[$f]' "$1"
    else
        python3 - "$1" "$2" "$3" <<'PY'
import json, sys
for e in json.load(open(sys.argv[1]))["pii_leakage"]["entities"]:
    if e["entity"] == sys.argv[2]:
        v = e[sys.argv[3]]
        print(json.dumps(v) if isinstance(v, bool) else v)
PY
    fi
}

@test "leak check: 5000 rows generated from the PII-rich file leak nothing (generate gate and validate)" {
    need_json_tool
    local out=$BATS_TEST_TMPDIR/out.csv
    run --separate-stderr "$SYNTH" generate "$BATS_FILE_TMPDIR/people.synth" --rows 5000 -o "$out" \
        --leak-check "$PEOPLE" --fail-on-leak
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    assert_contains "$stderr" "leaked source values            0 in 0 cells"
    run --separate-stderr "$SYNTH" validate --real "$PEOPLE" --synthetic "$out" --json "$BATS_TEST_TMPDIR/r.json" \
        --fail-on-leak
    [ "$status" -eq 0 ] || fail "validate exit $status: $stderr"
    assert_contains "$output" "PII leakage"
    local r=$BATS_TEST_TMPDIR/r.json
    assert_eq "$(jnum "$r" .pii_leakage.leaked_values)" 0 "leaked values"
    assert_eq "$(jnum "$r" .pii_leakage.passed)" true "passed"
    assert_eq "$(jnum "$r" .pii_leakage.output_rows)" 5000 "output rows scanned"
    assert_eq "$(jnum "$r" .pii_leakage.complete)" true "complete"
    # every source e-mail, SSN, card and IBAN was hashed (60 rows, one each)
    for e in email us_ssn credit_card iban; do
        assert_eq "$(entity_field "$r" $e source_values)" 60 "$e source values"
    done
    # documentation IPv4s come from a 762-value domain: hits there are expected by chance
    assert_eq "$(entity_field "$r" ipv4 chance_possible)" true "ipv4 chance"
    assert_eq "$(entity_field "$r" credit_card chance_possible)" false "card chance"
}

@test "leak check: source values pasted into the output are counted exactly; exit 10 under the gate" {
    need_json_tool
    local out=$BATS_TEST_TMPDIR/out.csv pasted=$BATS_TEST_TMPDIR/pasted.csv
    "$SYNTH" generate "$BATS_FILE_TMPDIR/people.synth" --rows 5000 -o "$out" -q
    cp "$out" "$pasted"
    # whole cells: row 1's e-mail, row 2's SSN, row 3's Amex number without its spaces
    sed -n 2p "$out" | awk -F, -v OFS=, '{$2 = "maria.garcia0@example.org"; print}' >>"$pasted"
    sed -n 3p "$out" | awk -F, -v OFS=, '{$4 = "450-55-2519"; print}' >>"$pasted"
    sed -n 4p "$out" | awk -F, -v OFS=, '{$5 = "342970483265816"; print}' >>"$pasted"
    run --separate-stderr "$SYNTH" validate --real "$PEOPLE" --synthetic "$pasted" --json "$BATS_TEST_TMPDIR/r.json" \
        --fail-on-leak
    [ "$status" -eq 10 ] || fail "exit $status: $stderr"
    assert_contains "$stderr" "3 PII values"
    local r=$BATS_TEST_TMPDIR/r.json
    assert_eq "$(jnum "$r" .pii_leakage.leaked_values)" 3 "leaked values"
    assert_eq "$(jnum "$r" .pii_leakage.leaked_cells)" 3 "leaked cells"
    for e in email us_ssn credit_card; do
        assert_eq "$(entity_field "$r" $e leaked_values)" 1 "$e leaked values"
        assert_eq "$(entity_field "$r" $e leaked_cells)" 1 "$e leaked cells"
    done
    # masked examples only, in the report and on the terminal
    ! grep -q -e "maria.garcia0" -e "450-55-2519" -e "342970483265816" "$r" || fail "raw PII in the JSON report"
    assert_not_contains "$output$stderr" "maria.garcia0"
    assert_not_contains "$output$stderr" "450-55"
    assert_contains "$output" "email            leaked 1 values in 1 cells, e.g. m***@e******.org"
    # the same with no gate: reported, exit 0
    run --separate-stderr "$SYNTH" validate --real "$PEOPLE" --synthetic "$pasted" -q
    [ "$status" -eq 0 ] || fail "no gate: exit $status"
}

@test "leak check: PII inside free text, whole cells and tokens, exact counts; generate gate exits 10" {
    need_json_tool
    local out=$BATS_TEST_TMPDIR/n.csv pasted=$BATS_TEST_TMPDIR/np.csv
    run --separate-stderr "$SYNTH" generate "$BATS_FILE_TMPDIR/notes.synth" --rows 5000 -o "$out" \
        --leak-check "$NOTES" --fail-on-leak
    [ "$status" -eq 0 ] || fail "clean run: exit $status: $stderr"
    cp "$out" "$pasted"
    {
        echo 'T99991,open,kofi.garcia1@gmail.com,Order shipped'
        echo 'T99992,open,veri@example.org,"Please email kofi.garcia1@gmail.com about the order"'
        echo 'T99993,closed,veri@example.org,"call back at (415) 932-5320 today"'
        echo 'T99994,closed,veri@example.org,"Customer Fatima Chen called"'
        echo 'T99995,open,veri@example.org,"SSN 186-18-2220 verified"'
    } >>"$pasted"
    run --separate-stderr "$SYNTH" validate --real "$NOTES" --synthetic "$pasted" --json "$BATS_TEST_TMPDIR/r.json" \
        --fail-on-leak
    [ "$status" -eq 10 ] || fail "exit $status: $stderr"
    local r=$BATS_TEST_TMPDIR/r.json
    assert_eq "$(jnum "$r" .pii_leakage.leaked_values)" 4 "leaked values"
    assert_eq "$(jnum "$r" .pii_leakage.leaked_cells)" 5 "leaked cells (per entity)"
    assert_eq "$(entity_field "$r" email leaked_values)" 1 "email values"
    assert_eq "$(entity_field "$r" email leaked_cells)" 2 "email cells: one whole, one in text"
    assert_eq "$(entity_field "$r" phone leaked_cells)" 1 "phone cells"
    assert_eq "$(entity_field "$r" person_name leaked_cells)" 1 "name cells"
    assert_eq "$(entity_field "$r" us_ssn leaked_cells)" 1 "ssn cells"
    ! grep -q -e "kofi.garcia1" -e "932-5320" -e "Fatima Chen" -e "186-18" "$r" || fail "raw PII in the report"
    # --leak-check on generate gates the same way (exit 10, GATE)
    run --separate-stderr "$SYNTH" generate "$BATS_FILE_TMPDIR/notes.synth" --rows 10 -o "$BATS_TEST_TMPDIR/x.csv" \
        --leak-check "$pasted" --fail-on-leak -q
    [ "$status" -eq 10 ] || fail "generate gate against a leaking source: exit $status"
}

@test "free text: PII inside text is never learned (model file, output) and fresh valid fakes appear" {
    need_json_tool
    local model=$BATS_FILE_TMPDIR/notes.synth out=$BATS_TEST_TMPDIR/n.csv
    "$SYNTH" generate "$model" --rows 5000 -o "$out" -q
    # nothing of the source's e-mails, phones, SSNs, cards or names is stored in the model
    local dump=$BATS_TEST_TMPDIR/model.txt
    strings -n 3 "$model" >"$dump"
    grep -q '<pii:email>' "$dump" || fail "no placeholder in the model"
    # the PII tokens replaced at fit, per entity (fixture: e-mails in 2 of 6 ticket kinds of 400)
    "$SYNTH" inspect "$model" --json >"$BATS_TEST_TMPDIR/i.json"
    assert_eq "$(jnum "$BATS_TEST_TMPDIR/i.json" .parameters.text_pii_tokens.notes.email)" 134 "e-mails in notes"
    assert_eq "$(jnum "$BATS_TEST_TMPDIR/i.json" .parameters.text_pii_tokens.notes.credit_card)" 66 "cards in notes"
    grep -o -E '[a-z]+\.[a-z]+[0-9]+@[a-z.]+' "$NOTES" | sort -u >"$BATS_TEST_TMPDIR/emails"
    grep -o -E '\([0-9]{3}\) [0-9]{3}-[0-9]{4}' "$NOTES" | sort -u >"$BATS_TEST_TMPDIR/phones"
    grep -o -E 'SSN [0-9-]{11}|card [0-9 ]{19}' "$NOTES" | sed 's/^[a-zA-Z]* //' | sort -u >"$BATS_TEST_TMPDIR/ids"
    [ "$(line_count "$BATS_TEST_TMPDIR/emails")" -gt 100 ] || fail "fixture extraction failed"
    for f in emails phones ids; do
        ! grep -F -q -f "$BATS_TEST_TMPDIR/$f" "$dump" || fail "a source $f value is in the model file"
        ! grep -F -q -f "$BATS_TEST_TMPDIR/$f" "$out" || fail "a source $f value is in the output"
    done
    for w in Okafor Tanaka Chen Jensen Mensah Priya Fatima Kofi Lars; do
        ! grep -q -w "$w" "$dump" || fail "name word $w in the model file"
        ! grep -q -w "$w" "$out" || fail "name word $w in the output"
        grep -q -w "$w" "$NOTES" || fail "fixture lacks $w"
    done
    # the scanner (checksums, issuance rules) finds fresh fakes of every entity in the notes
    run --separate-stderr "$SYNTH" pii scan "$out" --json "$BATS_TEST_TMPDIR/s.json"
    [ "$status" -eq 0 ] || fail "scan exit $status: $stderr"
    local ents
    if have_jq; then
        ents=$(jq -r '.columns[] | select(.name == "notes") | .entities | keys | join(",")' "$BATS_TEST_TMPDIR/s.json")
    else
        ents=$(python3 -c 'import json,sys
for c in json.load(open(sys.argv[1]))["columns"]:
    if c["name"] == "notes": print(",".join(sorted(c["entities"])))' "$BATS_TEST_TMPDIR/s.json")
    fi
    for e in email phone us_ssn credit_card person_name; do
        assert_contains "$ents" "$e"
    done
    grep -q -E '@example\.(com|org|net)' <(cut -d, -f4- "$out") || fail "no fake e-mail in the notes"
    grep -q -E '555-01[0-9][0-9]' "$out" || fail "no fictional phone in the notes"
    # the rate of e-mails in the text follows the source (1 in 3 rows), within sampling noise
    local src_rate out_rate
    src_rate=$(cut -d, -f4- "$NOTES" | awk 'NR > 1 && /@/ {n++} END {printf "%d", 1000 * n / (NR - 1)}')
    out_rate=$(cut -d, -f4- "$out" | awk 'NR > 1 && /@/ {n++} END {printf "%d", 1000 * n / (NR - 1)}')
    [ "$out_rate" -gt $((src_rate / 3)) ] && [ "$out_rate" -lt $((src_rate * 3)) ] ||
        fail "e-mail rate in text: source $src_rate/1000, output $out_rate/1000"
}

@test "leak check: option errors are usage errors" {
    run --separate-stderr "$SYNTH" generate "$BATS_FILE_TMPDIR/people.synth" --rows 10 --fail-on-leak
    [ "$status" -eq 2 ] || fail "--fail-on-leak alone: exit $status"
    assert_contains "$stderr" "--leak-check"
    run --separate-stderr "$SYNTH" generate "$BATS_FILE_TMPDIR/people.synth" --rows 10 --leak-check "$PEOPLE"
    [ "$status" -eq 2 ] || fail "--leak-check to stdout: exit $status"
    run --separate-stderr "$SYNTH" generate "$BATS_FILE_TMPDIR/people.synth" --rows 10 -o "$BATS_TEST_TMPDIR/o.csv" \
        --leak-check "$BATS_TEST_TMPDIR/missing.csv"
    [ "$status" -eq 4 ] || fail "missing source: exit $status"
    assert_contains "$stderr" "missing.csv"
    run --separate-stderr "$SYNTH" validate --real "$PEOPLE" --synthetic "$PEOPLE" --no-leak-check --fail-on-leak
    [ "$status" -eq 2 ] || fail "validate --no-leak-check --fail-on-leak: exit $status"
}

@test "leak check: generate --validate-against reports leakage and gates with --fail-on-leak" {
    local pasted=$BATS_TEST_TMPDIR/src.csv
    # a "real" file that shares one e-mail with what the model generates for row 0
    "$SYNTH" generate "$BATS_FILE_TMPDIR/people.synth" --rows 3 -o "$BATS_TEST_TMPDIR/g.csv" -q
    { cat "$PEOPLE"; sed -n 2p "$BATS_TEST_TMPDIR/g.csv"; } >"$pasted"
    run --separate-stderr "$SYNTH" generate "$BATS_FILE_TMPDIR/people.synth" --rows 200 -o "$BATS_TEST_TMPDIR/o.csv" \
        --validate-against "$PEOPLE" --fail-on-leak
    [ "$status" -eq 0 ] || fail "clean: exit $status: $stderr"
    assert_contains "$stderr" "PII leakage"
    run --separate-stderr "$SYNTH" generate "$BATS_FILE_TMPDIR/people.synth" --rows 200 -o "$BATS_TEST_TMPDIR/o.csv" \
        --validate-against "$pasted" --fail-on-leak
    [ "$status" -eq 10 ] || fail "leaking: exit $status: $stderr"
    assert_contains "$stderr" "--fail-on-leak"
}

@test "leak check: an unreadable --leak-check/--validate-against/--holdout file fails before generating anything" {
    d=$BATS_TEST_TMPDIR
    "$SYNTH" fit "$DATA/types.csv" -o "$d/m.synth" -q
    for opts in "--leak-check $d/missing.csv" "--validate-against $d/missing.csv" \
                "--validate-against $DATA/types.csv --holdout $d/missing.csv"; do
        run --separate-stderr "$SYNTH" generate "$d/m.synth" --rows 100000 -o "$d/o.csv" $opts
        [ "$status" -eq 4 ] || fail "$opts: status $status"
        assert_contains "$stderr" "missing.csv"
        [ ! -e "$d/o.csv" ] || fail "$opts: output written before the check"
    done
}
