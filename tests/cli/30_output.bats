#!/usr/bin/env bats
# Output handling: stdout streaming, gzip, atomic files (no partial output, no temp files),
# failures and interrupts.

load helpers

setup_file() {
    fit_once "$ADULT" adult
}

setup() {
    MODEL="$BATS_FILE_TMPDIR/adult.synth"
    OUT="$BATS_TEST_TMPDIR/out"
    mkdir -p "$OUT"
    BGPID=
    BGPID2=
}

teardown() {
    # Never leave a background synth running (killed by its own process id only).
    local p
    for p in $BGPID $BGPID2; do
        if kill -0 "$p" 2>/dev/null; then
            kill -KILL "$p" 2>/dev/null || true
            wait "$p" 2>/dev/null || true
        fi
    done
}

@test "-o - streams CSV to stdout, stderr stays quiet with -q" {
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 50 -o - -q
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    assert_eq "$(echo "$output" | wc -l | tr -d ' ')" 51 "lines"
    assert_eq "$(echo "$output" | head -n1)" "$(head -n1 "$ADULT")" "header"
}

@test "stdout is the default output and no summary is printed for it" {
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 50
    [ "$status" -eq 0 ]
    [ -z "$stderr" ] || fail "unexpected stderr: $stderr"
    assert_eq "$(echo "$output" | wc -l | tr -d ' ')" 51 "lines"
}

@test "a file output prints a one-line summary on stderr (and none with -q)" {
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 1000 -o "$OUT/s.csv"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    assert_contains "$stderr" "wrote 1.00k rows"
    assert_contains "$stderr" "$OUT/s.csv"
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 1000 -o "$OUT/s.csv" -q
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
}

@test "-o - | head: exits promptly without an error message" {
    # 1e8 rows would take a minute: head closing the pipe must stop synth at once.
    run bash -c '
        timeout 30 "$SYNTH" generate "$1" --rows 1e8 -o - 2>"$2/err" | head -n 3 >"$2/head.csv"
        echo "${PIPESTATUS[0]}"' _ "$MODEL" "$OUT"
    [ "$status" -eq 0 ]
    # 141 = killed by SIGPIPE (the normal fate of a writer whose reader went away); 124 = hung.
    [ "$output" = 0 ] || [ "$output" = 141 ] || fail "synth exited $output when head closed the pipe"
    assert_eq "$(line_count "$OUT/head.csv")" 3 "lines through head"
    assert_eq "$(head -n1 "$OUT/head.csv")" "$(head -n1 "$ADULT")" "header"
    [ ! -s "$OUT/err" ] || fail "stderr: $(cat "$OUT/err")"
}

@test "closed pipe with SIGPIPE ignored: I/O error exit 4, promptly, no hang" {
    run bash -c '
        trap "" PIPE
        timeout 30 "$SYNTH" generate "$1" --rows 1e8 -o - 2>"$2/err" | head -n 1 >/dev/null
        echo "${PIPESTATUS[0]}"' _ "$MODEL" "$OUT"
    [ "$status" -eq 0 ]
    assert_eq "$output" 4 "exit status"
    grep -q "Broken pipe" "$OUT/err" || fail "stderr: $(cat "$OUT/err")"
}

@test "-o FILE.csv.gz writes valid gzip whose content equals the plain output" {
    "$SYNTH" generate "$MODEL" --rows 20000 --seed 3 -o "$OUT/g.csv.gz" -q
    "$SYNTH" generate "$MODEL" --rows 20000 --seed 3 -o "$OUT/g.csv" -q
    gzip -t "$OUT/g.csv.gz"
    # gzip magic bytes
    assert_eq "$(head -c2 "$OUT/g.csv.gz" | od -An -tx1 | tr -d ' \n')" 1f8b "magic"
    zcat "$OUT/g.csv.gz" | cmp - "$OUT/g.csv"
    [ "$(stat -c %s "$OUT/g.csv.gz")" -lt "$(stat -c %s "$OUT/g.csv")" ]
    no_temp_files "$OUT"
}

@test "--gzip compresses a file without .gz and stdout; levels give the same content" {
    "$SYNTH" generate "$MODEL" --rows 5000 --seed 3 -o "$OUT/plain.csv" -q
    "$SYNTH" generate "$MODEL" --rows 5000 --seed 3 --gzip -o "$OUT/z.dat" -q
    zcat "$OUT/z.dat" | cmp - "$OUT/plain.csv"
    "$SYNTH" generate "$MODEL" --rows 5000 --seed 3 -z -o - -q >"$OUT/z-stdout.gz"
    zcat "$OUT/z-stdout.gz" | cmp - "$OUT/plain.csv"
    "$SYNTH" generate "$MODEL" --rows 5000 --seed 3 --compression-level 1 -o "$OUT/l1.csv.gz" -q
    "$SYNTH" generate "$MODEL" --rows 5000 --seed 3 --compression-level 9 -o "$OUT/l9.csv.gz" -q
    zcat "$OUT/l1.csv.gz" | cmp - "$OUT/plain.csv"
    zcat "$OUT/l9.csv.gz" | cmp - "$OUT/plain.csv"
}

@test "gzip output is deterministic across threads and chunk sizes" {
    "$SYNTH" generate "$MODEL" --rows 20000 --seed 3 -t 1 -o "$OUT/a.csv.gz" -q
    "$SYNTH" generate "$MODEL" --rows 20000 --seed 3 -t 4 --chunk-rows 500 -o "$OUT/b.csv.gz" -q
    zcat "$OUT/a.csv.gz" | cmp - <(zcat "$OUT/b.csv.gz")
}

@test "--compression-level without gzip output, or out of range: exit 2" {
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 10 --compression-level 5 -o "$OUT/x.csv"
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "--compression-level"
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 10 --compression-level 10 -o "$OUT/x.csv.gz"
    [ "$status" -eq 2 ]
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 10 --compression-level 0 -o "$OUT/x.csv.gz"
    [ "$status" -eq 2 ]
    [ ! -e "$OUT/x.csv" ]
    [ ! -e "$OUT/x.csv.gz" ]
    no_temp_files "$OUT"
}

@test "writing into a missing directory: exit 4 naming the path, no file left" {
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 10 -o "$OUT/missing/x.csv"
    [ "$status" -eq 4 ]
    [ -z "$output" ]
    assert_contains "$stderr" "$OUT/missing/x.csv"
    [ ! -e "$OUT/missing" ]
    [ -z "$(ls -A "$OUT")" ] || fail "left behind: $(ls -A "$OUT")"
}

@test "writing to a directory path: exit 4" {
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 10 -o "$OUT"
    [ "$status" -eq 4 ]
    assert_contains "$stderr" "directory"
    [ -z "$(ls -A "$OUT")" ]
}

@test "fit into a missing directory: exit 4, no model left" {
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" -o "$OUT/missing/m.synth" -q
    [ "$status" -eq 4 ]
    assert_contains "$stderr" "m.synth"
    [ ! -e "$OUT/missing" ]
}

@test "no temporary files remain after successful generate, fit and schema -o" {
    "$SYNTH" generate "$MODEL" --rows 30000 -o "$OUT/a.csv" -q
    "$SYNTH" generate "$MODEL" --rows 30000 -o "$OUT/a.csv.gz" -q
    "$SYNTH" fit "$DATA/types.csv" -o "$OUT/t.synth" -q
    "$SYNTH" schema "$DATA/types.csv" -o "$OUT/t.json" -q
    no_temp_files "$OUT"
    assert_eq "$(ls -A "$OUT" | sort | tr '\n' ' ')" "a.csv a.csv.gz t.json t.synth " "files"
    json_check "$OUT/t.json"
}

@test "no temporary files remain after failures; an existing output file is left untouched" {
    echo "precious" >"$OUT/keep.csv"
    echo "precious model" >"$OUT/keep.synth"
    # generate on a bad model, fit on bad input, fit with a bad parameter, generate a bad option
    run "$SYNTH" generate "$DATA/types.csv" -o "$OUT/keep.csv"
    [ "$status" -eq 5 ]
    run "$SYNTH" fit "$DATA/ragged.csv" -o "$OUT/keep.synth"
    [ "$status" -eq 3 ]
    run "$SYNTH" fit "$DATA/types.csv" -o "$OUT/keep.synth" --param knots=1
    [ "$status" -eq 2 ]
    run "$SYNTH" generate "$MODEL" --rows 10 --threads 0 -o "$OUT/keep.csv"
    [ "$status" -eq 2 ]
    run "$SYNTH" schema "$DATA/empty.csv" -o "$OUT/keep.csv"
    [ "$status" -eq 3 ]
    assert_eq "$(cat "$OUT/keep.csv")" "precious"
    assert_eq "$(cat "$OUT/keep.synth")" "precious model"
    no_temp_files "$OUT"
    assert_eq "$(ls -A "$OUT" | sort | tr '\n' ' ')" "keep.csv keep.synth " "files"
}

@test "an existing output file is replaced whole on success" {
    printf 'old content that is longer than nothing\n%.0s' $(seq 1 5000) >"$OUT/r.csv"
    "$SYNTH" generate "$MODEL" --rows 10 --seed 1 -o "$OUT/r.csv" -q
    "$SYNTH" generate "$MODEL" --rows 10 --seed 1 -o - -q | cmp - "$OUT/r.csv"
}

# wait_for_temp DIR: wait (up to 10 s) until a temporary file appears in DIR.
wait_for_temp() {
    local i
    for ((i = 0; i < 100; i++)); do
        [ -n "$(find "$1" -maxdepth 1 -name '.*.tmp-*' -print -quit)" ] && return 0
        sleep 0.1
    done
    fail "no temporary file appeared in $1"
}

# wait_exit PID: wait (up to 20 s) for PID to end; sets EXIT to its status.
wait_exit() {
    local i
    for ((i = 0; i < 200; i++)); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$1" 2>/dev/null && fail "synth still running 20 s after the signal"
    EXIT=0
    wait "$1" || EXIT=$?
}

@test "SIGINT during generate: exit 130, no output file and no temp file left" {
    (exec_default_sigint "$SYNTH" generate "$MODEL" --rows 1e8 -o "$OUT/big.csv" -q) 2>"$BATS_TEST_TMPDIR/err" &
    BGPID=$!
    wait_for_temp "$OUT"
    sleep 1
    kill -INT "$BGPID"
    wait_exit "$BGPID"
    assert_eq "$EXIT" 130 "exit status after SIGINT"
    [ ! -e "$OUT/big.csv" ] || fail "big.csv was left behind"
    no_temp_files "$OUT"
    grep -q "interrupted" "$BATS_TEST_TMPDIR/err" || fail "stderr: $(cat "$BATS_TEST_TMPDIR/err")"
}

@test "SIGTERM during gzip generate: exit 130, nothing left" {
    "$SYNTH" generate "$MODEL" --rows 1e8 -o "$OUT/big.csv.gz" -q 2>"$BATS_TEST_TMPDIR/err" &
    BGPID=$!
    wait_for_temp "$OUT"
    sleep 0.5
    kill -TERM "$BGPID"
    wait_exit "$BGPID"
    assert_eq "$EXIT" 130 "exit status after SIGTERM"
    [ -z "$(ls -A "$OUT")" ] || fail "left behind: $(ls -A "$OUT")"
}

@test "SIGINT does not destroy an existing output file" {
    echo "precious" >"$OUT/big.csv"
    (exec_default_sigint "$SYNTH" generate "$MODEL" --rows 1e8 -o "$OUT/big.csv" -q) 2>/dev/null &
    BGPID=$!
    wait_for_temp "$OUT"
    sleep 0.5
    kill -INT "$BGPID"
    wait_exit "$BGPID"
    assert_eq "$EXIT" 130
    assert_eq "$(cat "$OUT/big.csv")" "precious"
    no_temp_files "$OUT"
}

@test "SIGINT during fit (endless input on a pipe): exit 130, no model and no temp file left" {
    mkfifo "$BATS_TEST_TMPDIR/pipe"
    # The writer produces far more than fit will read before it is interrupted.
    "$SYNTH" generate "$MODEL" --rows 1e9 -o - -q >"$BATS_TEST_TMPDIR/pipe" 2>/dev/null &
    BGPID2=$!
    (exec_default_sigint "$SYNTH" fit - -o "$OUT/m.synth" -q) <"$BATS_TEST_TMPDIR/pipe" 2>"$BATS_TEST_TMPDIR/err" &
    BGPID=$!
    sleep 1.5
    kill -0 "$BGPID" || fail "fit ended before the signal: $(cat "$BATS_TEST_TMPDIR/err")"
    kill -INT "$BGPID"
    wait_exit "$BGPID"
    assert_eq "$EXIT" 130 "fit exit status after SIGINT"
    [ -z "$(ls -A "$OUT")" ] || fail "left behind: $(ls -A "$OUT")"
    grep -q "interrupted" "$BATS_TEST_TMPDIR/err" || fail "stderr: $(cat "$BATS_TEST_TMPDIR/err")"
}

@test "generate and inspect to a full device: exit 4 with a message, promptly" {
    [ -w /dev/full ] || skip "no /dev/full"
    run --separate-stderr bash -c 'timeout 30 "$SYNTH" generate "$1" --rows 1e6 -o - >/dev/full' _ "$MODEL"
    [ "$status" -eq 4 ]
    assert_contains "$stderr" "No space left on device"
    run --separate-stderr bash -c 'timeout 30 "$SYNTH" generate "$1" --rows 1e6 -z -o - >/dev/full' _ "$MODEL"
    [ "$status" -eq 4 ]
    run --separate-stderr bash -c '"$SYNTH" inspect "$1" >/dev/full' _ "$MODEL"
    [ "$status" -eq 4 ]
    assert_contains "$stderr" "cannot write"
    run --separate-stderr bash -c '"$SYNTH" inspect --json "$1" >/dev/full' _ "$MODEL"
    [ "$status" -eq 4 ]
}

@test "-o '' (empty path): an error, not a crash" {
    run --separate-stderr "$SYNTH" generate "$MODEL" --rows 10 -o ''
    [ "$status" -eq 4 ] || [ "$status" -eq 2 ] || fail "exit $status: $stderr"
    [ -n "$stderr" ]
}

@test "gzip to a terminal is refused (exit 2); plain CSV to a terminal is fine" {
    command -v script >/dev/null 2>&1 || skip "needs script(1) for a pseudo-terminal"
    script -qec "true" /dev/null >/dev/null 2>&1 || skip "script(1) cannot open a pseudo-terminal here"
    run script -qec "'$SYNTH' generate '$MODEL' --rows 5 -z" /dev/null
    [ "$status" -eq 2 ]
    assert_contains "$output" "refusing to write gzip data to a terminal"
    run script -qec "'$SYNTH' generate '$MODEL' --rows 5 -q" /dev/null
    [ "$status" -eq 0 ]
    assert_contains "$output" "age,workclass"
}
