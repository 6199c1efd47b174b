#!/usr/bin/env bats
# synth pii mask on files of several blocks: the threaded fast path (LF file) and the reader path
# (the same rows with CRLF line ends, which the fast path hands to the reader) write the same
# bytes; stdout works; a bad row deep in the file is an error naming its line, with no output.

load helpers

setup() {
    head -c 32 /dev/urandom > "$BATS_TEST_TMPDIR/key.bin"
    # 40,000 rows, about 3.6 MB: several 1 MiB blocks; every ninth note holds a quoted newline
    local eol
    for eol in lf crlf; do
        awk -v crlf=$([ $eol = crlf ] && echo 1 || echo 0) 'BEGIN {
            e = crlf ? "\r\n" : "\n";
            printf "id,name,email,card,note%s", e;
            for (i = 0; i < 40000; i++)
                printf "C-%06d,Name %d,u%d@example.com,4%03d %04d %04d %04d,%s%s", i, i % 97, i,
                    i % 1000, (i * 7) % 10000, (i * 13) % 10000, (i * 31) % 10000,
                    (i % 9 == 0) ? "\"a, \"\"quoted\"\"\nnote\"" : "plain", e;
        }' > "$BATS_TEST_TMPDIR/$eol.csv"
    done
    cat > "$BATS_TEST_TMPDIR/p.json" <<'JSON'
{"columns": {"id": {"operator": "tokenize"}, "name": {"operator": "synthetic", "entity": "person_name"},
             "email": {"operator": "hash", "length": 12}, "card": {"operator": "fpe"},
             "note": {"operator": "mask", "keep_first": 2}}}
JSON
}

@test "pii mask: fast path (LF) and reader path (CRLF) write identical bytes; stdout too" {
    local d=$BATS_TEST_TMPDIR k=$BATS_TEST_TMPDIR/key.bin
    run --separate-stderr "$SYNTH" pii mask "$d/lf.csv" --policy "$d/p.json" --key-file "$k" -o "$d/a.csv"
    [ "$status" -eq 0 ] || fail "exit $status: $stderr"
    assert_contains "$stderr" "40000 rows, 5 columns masked (200000 cells)"
    "$SYNTH" pii mask "$d/crlf.csv" --policy "$d/p.json" --key-file "$k" -o "$d/b.csv" -q
    cmp "$d/a.csv" "$d/b.csv" || fail "fast path and reader path differ"
    "$SYNTH" pii mask "$d/lf.csv" --policy "$d/p.json" --key-file "$k" -o - > "$d/c.csv"
    cmp "$d/a.csv" "$d/c.csv" || fail "stdout output differs"
    [ "$(wc -l < "$d/a.csv")" -eq 40001 ] || fail "line count $(wc -l < "$d/a.csv")"   # masked notes lose their newline
    ! grep -q "u123@example.com" "$d/a.csv" || fail "an e-mail survived"
    no_temp_files "$d"
}

@test "pii mask: a ragged row and a short fpe value deep in a big file name their line; no output" {
    local d=$BATS_TEST_TMPDIR k=$BATS_TEST_TMPDIR/key.bin
    awk '/^C-030000,/ { print "C-x,only,three"; next } { print }' "$d/lf.csv" > "$d/ragged.csv"
    local line
    line=$(grep -n '^C-x,only,three$' "$d/ragged.csv" | cut -d: -f1)
    run --separate-stderr "$SYNTH" pii mask "$d/ragged.csv" --policy "$d/p.json" --key-file "$k" -o "$d/r.csv"
    [ "$status" -ne 0 ] || fail "ragged row accepted"
    assert_contains "$stderr" "line $line"
    [ ! -e "$d/r.csv" ] || fail "output written"
    awk '/^C-031000,/ { sub(/,4[0-9]+ [0-9]+ [0-9]+ [0-9]+,/, ",12-34,") } { print }' "$d/lf.csv" > "$d/short.csv"
    line=$(grep -n ',12-34,' "$d/short.csv" | cut -d: -f1)
    [ -n "$line" ] || fail "fixture not made"
    run --separate-stderr "$SYNTH" pii mask "$d/short.csv" --policy "$d/p.json" --key-file "$k" -o "$d/s.csv"
    [ "$status" -ne 0 ] || fail "short fpe value accepted"
    assert_contains "$stderr" "line $line"
    assert_contains "$stderr" "column 'card'"
    ! grep -q "12-34" <<< "$stderr" || fail "the value appears in the message"
    [ ! -e "$d/s.csv" ] || fail "output written"
    no_temp_files "$d"
}
