#!/usr/bin/env bats
# CLI basics: help, version, per-command help, unknown commands/options, missing arguments.

load helpers

@test "synth help prints the overview on stdout and exits 0" {
    run --separate-stderr "$SYNTH" help
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    assert_contains "$output" "Usage: synth COMMAND"
    for cmd in schema fit generate inspect; do
        echo "$output" | grep -Eq "^  $cmd +[a-z]" || fail "help does not list '$cmd'"
    done
}

@test "synth --help and -h are the same as synth help" {
    run --separate-stderr "$SYNTH" help
    local expected=$output
    run --separate-stderr "$SYNTH" --help
    [ "$status" -eq 0 ]
    assert_eq "$output" "$expected" "--help output"
    run --separate-stderr "$SYNTH" -h
    [ "$status" -eq 0 ]
    assert_eq "$output" "$expected" "-h output"
}

@test "help lists every exit code" {
    run --separate-stderr "$SYNTH" help
    [ "$status" -eq 0 ]
    assert_contains "$output" "Exit status:"
    for code in 0 1 2 3 4 5 6 130; do
        echo "$output" | grep -Eq "^  $code +[A-Za-z]" || fail "help does not list exit code $code"
    done
    echo "$output" | grep -Eq '^  2 +usage error' || fail "exit 2 is not described as a usage error"
    echo "$output" | grep -Eq '^  130 +interrupted' || fail "exit 130 is not described as interrupted"
}

@test "synth --version prints 'synth X.Y.Z' on stdout" {
    run --separate-stderr "$SYNTH" --version
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [[ "$output" =~ ^synth\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "bad version line: $output"
    run --separate-stderr "$SYNTH" version
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^synth\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "synth CMD --help prints usage, options and exit codes on stdout for every command" {
    for cmd in schema fit generate inspect; do
        run --separate-stderr "$SYNTH" "$cmd" --help
        [ "$status" -eq 0 ] || fail "$cmd --help exited $status"
        [ -z "$stderr" ] || fail "$cmd --help wrote to stderr: $stderr"
        assert_contains "$output" "Usage: synth $cmd"
        assert_contains "$output" "-h, --help"
        assert_contains "$output" "Exit status:"
        run --separate-stderr "$SYNTH" "$cmd" -h
        [ "$status" -eq 0 ]
        run --separate-stderr "$SYNTH" help "$cmd"
        [ "$status" -eq 0 ]
        assert_contains "$output" "Usage: synth $cmd"
    done
}

@test "fit --help documents its options and the generator parameters" {
    run --separate-stderr "$SYNTH" fit --help
    [ "$status" -eq 0 ]
    for opt in --output --generator --param --schema --seed --sample-rows --delimiter \
               --max-categories --skip-bad-rows --quiet; do
        assert_contains "$output" "$opt"
    done
    assert_contains "$output" "copula"
    assert_contains "$output" "knots"
}

@test "generate --help documents rows, seed, threads, shard, chunk-rows and gzip" {
    run --separate-stderr "$SYNTH" generate --help
    [ "$status" -eq 0 ]
    for opt in --rows --output --seed --threads --shard --chunk-rows --no-header --gzip \
               --compression-level; do
        assert_contains "$output" "$opt"
    done
}

@test "--help wins over a missing argument" {
    run --separate-stderr "$SYNTH" generate --help
    [ "$status" -eq 0 ]
    run --separate-stderr "$SYNTH" fit -h
    [ "$status" -eq 0 ]
}

@test "no command: overview on stderr, exit 2" {
    run --separate-stderr "$SYNTH"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    assert_contains "$stderr" "Usage: synth COMMAND"
}

@test "unknown command: exit 2 with a hint on stderr, nothing on stdout" {
    run --separate-stderr "$SYNTH" frobnicate
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    assert_contains "$stderr" "unknown command 'frobnicate'"
    assert_contains "$stderr" "synth help"
}

@test "help for an unknown command: exit 2" {
    run --separate-stderr "$SYNTH" help frobnicate
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    assert_contains "$stderr" "frobnicate"
}

@test "unknown long option: exit 2 naming it, with a hint" {
    run --separate-stderr "$SYNTH" fit --bogus "$DATA/types.csv"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    assert_contains "$stderr" "unknown option '--bogus'"
    assert_contains "$stderr" "Try 'synth fit --help'"
}

@test "unknown short option: exit 2 naming it" {
    run --separate-stderr "$SYNTH" generate x.synth -Q
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "unknown option '-Q'"
    assert_contains "$stderr" "Try 'synth generate --help'"
}

@test "missing positional argument: exit 2 for every command" {
    for cmd in schema fit generate inspect; do
        run --separate-stderr "$SYNTH" "$cmd"
        [ "$status" -eq 2 ] || fail "$cmd without argument exited $status"
        [ -z "$output" ]
        assert_contains "$stderr" "missing argument"
        assert_contains "$stderr" "Try 'synth $cmd --help'"
    done
}

@test "option without its value: exit 2" {
    run --separate-stderr "$SYNTH" generate x.synth --rows
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "--rows"
    assert_contains "$stderr" "needs a value"
}

@test "extra positional argument: exit 2" {
    run --separate-stderr "$SYNTH" fit a.csv b.csv
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "unexpected argument 'b.csv'"
}

@test "usage errors are detected before any file is touched" {
    # The input does not exist: a usage error must still win (exit 2, not 4).
    run --separate-stderr "$SYNTH" fit "$BATS_TEST_TMPDIR/missing.csv" -o "$BATS_TEST_TMPDIR/m.synth" --bogus
    [ "$status" -eq 2 ]
    [ ! -e "$BATS_TEST_TMPDIR/m.synth" ]
    no_temp_files "$BATS_TEST_TMPDIR"
}

@test "a flag given a value (--quiet=yes, --help=1): exit 2 naming the option, readable message" {
    local cmd opt
    for cmd in schema fit generate inspect; do
        for opt in --help=1 "$( [ "$cmd" = inspect ] && echo --json=1 || echo --quiet=yes)"; do
            run --separate-stderr "$SYNTH" "$cmd" x "$opt"
            [ "$status" -eq 2 ] || fail "$cmd $opt exited $status"
            [ -z "$output" ]
            assert_contains "$stderr" "option '${opt%%=*}' does not take a value"
            # Plain ASCII (no stray bytes from a bad option code).
            if LC_ALL=C grep -q '[^ -~]' <<<"$stderr"; then fail "non-ASCII bytes in: $stderr"; fi
        done
    done
}

@test "unknown option with '=VALUE': exit 2 naming it" {
    run --separate-stderr "$SYNTH" generate x.synth --bogus=3
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "unknown option '--bogus"
}

@test "an ambiguous long-option prefix is a usage error" {
    # --s could be --seed, --sample-rows, --schema or --skip-bad-rows
    run --separate-stderr "$SYNTH" fit "$DATA/types.csv" --s 5
    [ "$status" -eq 2 ]
    assert_contains "$stderr" "--s"
}

@test "writing help, version or results to a full device: exit 4 with a message" {
    [ -w /dev/full ] || skip "no /dev/full"
    local args
    for args in "help" "--version" "fit --help" "schema $DATA/types.csv -q"; do
        # shellcheck disable=SC2086
        run --separate-stderr bash -c '"$SYNTH" "$@" >/dev/full' _ $args
        [ "$status" -eq 4 ] || fail "synth $args >/dev/full exited $status"
        [ -n "$stderr" ] || fail "synth $args >/dev/full printed no error"
    done
}
