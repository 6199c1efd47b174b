#!/usr/bin/env bats
# Generated output keeps the source's formats: decimals, date layouts, integers, categories,
# fresh unique ids, null spellings and null rates.

load helpers

setup_file() {
    fit_once "$ADULT" adult
    fit_once "$DATA/types.csv" types
    fit_once "$DATA/nulls.csv" nulls
    "$SYNTH" generate "$BATS_FILE_TMPDIR/adult.synth" --rows 1e5 --seed 5 -q >"$BATS_FILE_TMPDIR/adult-gen.csv"
    "$SYNTH" generate "$BATS_FILE_TMPDIR/types.synth" --rows 20000 --seed 5 -q >"$BATS_FILE_TMPDIR/types-gen.csv"
    "$SYNTH" generate "$BATS_FILE_TMPDIR/nulls.synth" --rows 20000 --seed 5 -q >"$BATS_FILE_TMPDIR/nulls-gen.csv"
}

setup() {
    AG="$BATS_FILE_TMPDIR/adult-gen.csv"
    TG="$BATS_FILE_TMPDIR/types-gen.csv"
    NG="$BATS_FILE_TMPDIR/nulls-gen.csv"
}

@test "generated Adult has the source header and 15 fields in every row" {
    assert_eq "$(head -n1 "$AG")" "$(head -n1 "$ADULT")" "header"
    assert_eq "$(line_count "$AG")" 100001
    local bad
    bad=$(bad_rows "$AG" 'NF != 15')
    [ -z "$bad" ] || fail "rows without 15 fields: $bad"
}

@test "Adult integer columns have no decimal point and stay within the training range" {
    local col name lo hi bad
    for name in age fnlwgt education-num capital-gain capital-loss hours-per-week; do
        col=$(column_of "$ADULT" "$name")
        lo=$(awk -F, -v c="$col" 'NR > 1 { if (min == "" || $c + 0 < min) min = $c + 0 } END { print min }' "$ADULT")
        hi=$(awk -F, -v c="$col" 'NR > 1 { if ($c + 0 > max) max = $c + 0 } END { print max }' "$ADULT")
        bad=$(bad_rows "$AG" "!(\$$col ~ /^-?[0-9]+\$/) || \$$col < $lo || \$$col > $hi")
        [ -z "$bad" ] || fail "$name (column $col) not an integer in $lo..$hi: $bad"
    done
}

@test "Adult categorical values all come from the training data" {
    local name col
    for name in workclass education marital-status occupation relationship race sex native-country income; do
        col=$(column_of "$ADULT" "$name")
        awk -F, -v c="$col" 'NR > 1 { print $c }' "$ADULT" | sort -u >"$BATS_TEST_TMPDIR/train"
        awk -F, -v c="$col" 'NR > 1 { print $c }' "$AG" | sort -u >"$BATS_TEST_TMPDIR/gen"
        local extra
        extra=$(comm -13 "$BATS_TEST_TMPDIR/train" "$BATS_TEST_TMPDIR/gen" | head -n 3)
        [ -z "$extra" ] || fail "$name values not in the source: $extra"
        # And most of the source's categories appear in 100k rows.
        [ "$(wc -l <"$BATS_TEST_TMPDIR/gen")" -ge $(( $(wc -l <"$BATS_TEST_TMPDIR/train") * 3 / 4 )) ] ||
            fail "$name: only $(wc -l <"$BATS_TEST_TMPDIR/gen") of $(wc -l <"$BATS_TEST_TMPDIR/train") categories generated"
    done
}

@test "Adult marginals are close to the source (sex, income, mean age)" {
    local src gen
    src=$(awk -F, 'NR > 1 { n++; if ($10 == " Male") m++ } END { printf "%.4f", m / n }' "$ADULT")
    gen=$(awk -F, 'NR > 1 { n++; if ($10 == " Male") m++ } END { printf "%.4f", m / n }' "$AG")
    awk -v a="$src" -v b="$gen" 'BEGIN { exit !((a - b) ^ 2 < 0.02 ^ 2) }' || fail "share of Male: source $src, generated $gen"
    src=$(awk -F, 'NR > 1 { n++; if ($15 == " >50K") m++ } END { printf "%.4f", m / n }' "$ADULT")
    gen=$(awk -F, 'NR > 1 { n++; if ($15 == " >50K") m++ } END { printf "%.4f", m / n }' "$AG")
    awk -v a="$src" -v b="$gen" 'BEGIN { exit !((a - b) ^ 2 < 0.02 ^ 2) }' || fail "share of >50K: source $src, generated $gen"
    src=$(awk -F, 'NR > 1 { s += $1; n++ } END { printf "%.3f", s / n }' "$ADULT")
    gen=$(awk -F, 'NR > 1 { s += $1; n++ } END { printf "%.3f", s / n }' "$AG")
    awk -v a="$src" -v b="$gen" 'BEGIN { exit !((a - b) ^ 2 < 1) }' || fail "mean age: source $src, generated $gen"
}

@test "float column keeps exactly 2 decimals, like the source" {
    # The source has 2 decimals everywhere.
    [ -z "$(bad_rows "$DATA/types.csv" '!($3 ~ /^[0-9]+\.[0-9][0-9]$/)')" ]
    local bad
    bad=$(bad_rows "$TG" '!($3 ~ /^-?[0-9]+\.[0-9][0-9]$/)')
    [ -z "$bad" ] || fail "price without 2 decimals: $bad"
    # Decimals count, computed as in the source.
    local dec
    dec=$(awk -F, 'NR > 1 { split($3, p, "."); d[length(p[2])]++ } END { for (k in d) print k }' "$TG" | sort -u | tr '\n' ' ')
    assert_eq "$dec" "2 " "decimal counts"
    # Not all the same value: the column varies.
    [ "$(awk -F, 'NR > 1 { print $3 }' "$TG" | sort -u | wc -l)" -gt 100 ]
}

@test "float column with 1 decimal keeps 1 decimal" {
    local bad
    bad=$(bad_rows "$NG" '$1 != "NA" && !($1 ~ /^-?[0-9]+\.[0-9]$/)')
    [ -z "$bad" ] || fail "x without 1 decimal: $bad"
}

@test "date columns come out in the source layouts, with valid calendar fields" {
    local bad
    bad=$(bad_rows "$TG" '!($4 ~ /^(19|20)[0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/)')
    [ -z "$bad" ] || fail "d_iso not YYYY-MM-DD: $bad"
    bad=$(bad_rows "$TG" '!($5 ~ /^(19|20)[0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$/)')
    [ -z "$bad" ] || fail "dt_iso not YYYY-MM-DDTHH:MM:SS: $bad"
    bad=$(bad_rows "$TG" '!($6 ~ /^(0[1-9]|1[0-2])\/(0[1-9]|[12][0-9]|3[01])\/(19|20)[0-9][0-9]$/)')
    [ -z "$bad" ] || fail "d_us not MM/DD/YYYY: $bad"
}

@test "dates stay within the training range (2019-01-01 .. 2022-12-31)" {
    local bad
    bad=$(bad_rows "$TG" '$4 < "2019-01-01" || $4 > "2022-12-31"')
    [ -z "$bad" ] || fail "d_iso out of range: $bad"
    bad=$(bad_rows "$TG" 'substr($6, 7, 4) < 2019 || substr($6, 7, 4) > 2022')
    [ -z "$bad" ] || fail "d_us year out of range: $bad"
    # Dates vary.
    [ "$(awk -F, 'NR > 1 { print $4 }' "$TG" | sort -u | wc -l)" -ge 50 ] # the source has 84 distinct dates
}

@test "integer column with nulls has no decimal point" {
    local bad
    bad=$(bad_rows "$TG" '$9 != "" && !($9 ~ /^[0-9]+$/)')
    [ -z "$bad" ] || fail "qty not an integer: $bad"
}

@test "boolean and categorical columns use only training values" {
    local bad
    bad=$(bad_rows "$TG" '$7 != "true" && $7 != "false"')
    [ -z "$bad" ] || fail "flag not true/false: $bad"
    bad=$(bad_rows "$TG" '$10 != "red" && $10 != "green" && $10 != "blue" && $10 != "yellow"')
    [ -z "$bad" ] || fail "color not a training value: $bad"
    # Both booleans and all colors occur.
    assert_eq "$(awk -F, 'NR > 1 { print $7 }' "$TG" | sort -u | tr '\n' ' ')" "false true "
    assert_eq "$(awk -F, 'NR > 1 { print $10 }' "$TG" | sort -u | wc -l | tr -d ' ')" 4
}

@test "boolean share is close to the source's (1/3 true)" {
    local share
    share=$(awk -F, 'NR > 1 { n++; if ($7 == "true") t++ } END { printf "%.4f", t / n }' "$TG")
    awk -v s="$share" 'BEGIN { exit !(s > 0.30 && s < 0.37) }' || fail "share of true: $share"
}

@test "integer id column: unique, fresh (above every training id), plain integers" {
    local bad
    bad=$(bad_rows "$TG" '!($1 ~ /^[0-9]+$/) || $1 <= 200')
    [ -z "$bad" ] || fail "ids not fresh integers: $bad"
    assert_eq "$(awk -F, 'NR > 1 { print $1 }' "$TG" | sort | uniq -d | head -n 3)" "" "duplicate ids"
    # None equal to a training id (also checked by value above).
    assert_eq "$(comm -12 <(awk -F, 'NR > 1 { print $1 }' "$DATA/types.csv" | sort) \
                            <(awk -F, 'NR > 1 { print $1 }' "$TG" | sort) | head -n 3)" "" "reused ids"
}

@test "prefixed id column: C + 6 digits, unique, none equal to a training id" {
    local bad
    bad=$(bad_rows "$TG" '!($2 ~ /^C[0-9][0-9][0-9][0-9][0-9][0-9]$/)')
    [ -z "$bad" ] || fail "cust not C + 6 digits: $bad"
    assert_eq "$(awk -F, 'NR > 1 { print $2 }' "$TG" | sort | uniq -d | head -n 3)" "" "duplicate cust ids"
    assert_eq "$(comm -12 <(awk -F, 'NR > 1 { print $2 }' "$DATA/types.csv" | sort) \
                            <(awk -F, 'NR > 1 { print $2 }' "$TG" | sort) | head -n 3)" "" "reused cust ids"
}

@test "ids are unique across --shard parts too" {
    local m="$BATS_FILE_TMPDIR/types.synth" i
    for i in 0 1 2; do
        "$SYNTH" generate "$m" --rows 3000 --shard "$i/3" --no-header -q
    done | awk -F, '{ print $1; print $2 }' | sort | uniq -d >"$BATS_TEST_TMPDIR/dups"
    [ ! -s "$BATS_TEST_TMPDIR/dups" ] || fail "duplicate ids across shards: $(head -n 3 "$BATS_TEST_TMPDIR/dups")"
}

@test "text column: several words per value, no nulls" {
    local bad
    bad=$(bad_rows "$TG" '$8 == "" || split($8, w, " ") < 2')
    [ -z "$bad" ] || fail "note not multi-word text: $bad"
    local mean
    mean=$(awk -F, 'NR > 1 { s += split($8, w, " "); n++ } END { printf "%.2f", s / n }' "$TG")
    awk -v m="$mean" 'BEGIN { exit !(m > 6 && m < 12) }' || fail "mean words per note: $mean (source: 9)"
}

@test "null rate within 1 point of the source's 20% (integer column, 20000 rows)" {
    local rate
    rate=$(awk -F, 'NR > 1 { n++; if ($9 == "" || $9 == "NA") z++ } END { printf "%.4f", z / n }' "$TG")
    awk -v r="$rate" 'BEGIN { exit !(r >= 0.19 && r <= 0.21) }' || fail "qty null rate $rate"
}

@test "null rates within 1 point for float (NA), categorical (empty) and integer columns" {
    local rates
    rates=$(awk -F, 'NR > 1 { n++; if ($1 == "NA") a++; if ($2 == "") b++; if ($3 == "" || $3 == "NA") c++ }
                     END { printf "%.4f %.4f %.4f", a / n, b / n, c / n }' "$NG")
    local r
    for r in $rates; do
        awk -v r="$r" 'BEGIN { exit !(r >= 0.19 && r <= 0.21) }' || fail "null rates (x c k): $rates"
    done
}

@test "nulls are written with the source's spelling (NA for x, empty for c)" {
    # x's nulls were all "NA" in the source: never an empty cell.
    assert_eq "$(awk -F, 'NR > 1 && $1 == ""' "$NG" | wc -l | tr -d ' ')" 0 "empty x cells"
    [ "$(awk -F, 'NR > 1 && $1 == "NA"' "$NG" | wc -l)" -gt 0 ]
    # c's nulls were empty cells: never NA.
    assert_eq "$(awk -F, 'NR > 1 && $2 == "NA"' "$NG" | wc -l | tr -d ' ')" 0 "NA c cells"
    local bad
    bad=$(bad_rows "$NG" '$2 != "" && $2 != "low" && $2 != "high"')
    [ -z "$bad" ] || fail "c values: $bad"
}

@test "--delimiter changes the output separator only" {
    "$SYNTH" generate "$BATS_FILE_TMPDIR/types.synth" --rows 500 --seed 5 -d ';' -q >"$BATS_TEST_TMPDIR/semi.csv"
    head -n 501 "$TG" | tr ',' ';' | cmp - "$BATS_TEST_TMPDIR/semi.csv"
    "$SYNTH" generate "$BATS_FILE_TMPDIR/types.synth" --rows 500 --seed 5 -d tab -q >"$BATS_TEST_TMPDIR/tab.tsv"
    head -n 501 "$TG" | tr ',' '\t' | cmp - "$BATS_TEST_TMPDIR/tab.tsv"
}

@test "generated output can be fitted again (round trip)" {
    run --separate-stderr "$SYNTH" fit "$TG" -o "$BATS_TEST_TMPDIR/again.synth"
    [ "$status" -eq 0 ]
    assert_contains "$stderr" "20000 rows x 10 columns"
    "$SYNTH" schema "$TG" -q >"$BATS_TEST_TMPDIR/again.json"
    need_json_tool
    local c
    for c in price:float d_iso:datetime dt_iso:datetime d_us:datetime flag:boolean cust:id id:id qty:integer color:categorical; do
        assert_eq "$(col_field "$BATS_TEST_TMPDIR/again.json" "${c%%:*}" type)" "${c#*:}" "type of ${c%%:*}"
    done
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/again.json" price decimals)" 2
    assert_eq "$(col_field "$BATS_TEST_TMPDIR/again.json" d_us format)" "%m/%d/%Y"
}

# data/misc.csv (300 rows): ts = 2021-03-DDT05:MM:07.fffZ, t = HH:MM, zip = 5 digits with leading
# zeros (01000..03093), neg = floats with 2 decimals from -50.00, sci = 1.500e-04 style, yn = Yes/No.
misc_gen() {
    local m="$BATS_TEST_TMPDIR/misc.synth"
    "$SYNTH" fit "$DATA/misc.csv" -o "$m" -q
    "$SYNTH" generate "$m" --rows 5000 --seed 5 -q >"$BATS_TEST_TMPDIR/misc.csv"
    MG="$BATS_TEST_TMPDIR/misc.csv"
}

@test "datetime with milliseconds and Z, and time-of-day columns keep their layout" {
    misc_gen
    local bad
    bad=$(bad_rows "$MG" '!($1 ~ /^2021-03-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9][0-9][0-9]Z$/)')
    [ -z "$bad" ] || fail "ts layout: $bad"
    bad=$(bad_rows "$MG" '!($2 ~ /^([01][0-9]|2[0-3]):[0-5][0-9]$/)')
    [ -z "$bad" ] || fail "t layout: $bad"
}

@test "negative floats keep 2 decimals and the sign; Yes/No keeps its spelling" {
    misc_gen
    local bad
    bad=$(bad_rows "$MG" '!($4 ~ /^-?[0-9]+\.[0-9][0-9]$/) || $4 < -50 || $4 > 60.63')
    [ -z "$bad" ] || fail "neg: $bad"
    [ "$(awk -F, 'NR > 1 && $4 < 0' "$MG" | wc -l)" -gt 1000 ] || fail "too few negative values"
    bad=$(bad_rows "$MG" '$6 != "Yes" && $6 != "No"')
    [ -z "$bad" ] || fail "yn: $bad"
}

@test "integers with leading zeros (zip codes) keep their fixed width" {
    misc_gen
    local bad
    bad=$(bad_rows "$MG" '!($3 ~ /^[0-9][0-9][0-9][0-9][0-9]$/)')
    if [ -n "$bad" ]; then
        fail "zero-padded codes lost their width, e.g. $(echo "$bad" | head -n1 | cut -d, -f3)"
    fi
}

@test "floats in scientific notation keep the notation" {
    misc_gen
    local bad
    bad=$(bad_rows "$MG" '!($5 ~ /^[0-9]\.[0-9][0-9][0-9]e[-+][0-9][0-9]$/)')
    if [ -n "$bad" ]; then
        fail "scientific notation lost, e.g. $(echo "$bad" | head -n1 | cut -d, -f5)"
    fi
}
