# helpers.bash -- shared setup for the synth CLI end-to-end tests (bats).
#
# Every .bats file does `load helpers`.  $SYNTH is the binary under test (`make cli` sets it);
# by default the freshly built bin/synth of this checkout.  Outputs go to $BATS_TEST_TMPDIR (one
# per test) or $BATS_FILE_TMPDIR (shared by a file, e.g. a model fitted once in setup_file).

bats_require_minimum_version 1.5.0

: "${SYNTH:=$BATS_TEST_DIRNAME/../../bin/synth}"
export SYNTH
REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
DATA="$BATS_TEST_DIRNAME/data"
ADULT="$REPO/datasets/adult.csv"
export REPO DATA ADULT

if [ ! -x "$SYNTH" ]; then
    echo "synth binary not found at $SYNTH (run 'make' first or set SYNTH)" >&2
    exit 1
fi

# fit_once SRC NAME [fit options...]: fit SRC into $BATS_FILE_TMPDIR/NAME.synth (for setup_file).
fit_once() {
    local src=$1 name=$2
    shift 2
    "$SYNTH" fit "$src" -o "$BATS_FILE_TMPDIR/$name.synth" -q "$@"
}

# fail MESSAGE: end the test with a message (shown by bats).
fail() {
    printf '%s\n' "$*" >&2
    return 1
}

# assert_contains HAYSTACK NEEDLE: fixed-string containment.
assert_contains() {
    case "$1" in
    *"$2"*) return 0 ;;
    esac
    fail "expected to find: $2" "in: $1"
}

# assert_not_contains HAYSTACK NEEDLE
assert_not_contains() {
    case "$1" in
    *"$2"*) fail "did not expect to find: $2" "in: $1" ;;
    esac
    return 0
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
    [ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

# sha FILE: the SHA-256 of a file.
sha() {
    sha256sum <"$1" | cut -d' ' -f1
}

# data_lines FILE: number of lines in FILE.
line_count() {
    wc -l <"$1" | tr -d ' '
}

# no_temp_files DIR: no "<dir>/.<name>.tmp-XXXXXX" leftovers.
no_temp_files() {
    local left
    left=$(find "$1" -maxdepth 1 -name '.*.tmp-*' -print)
    [ -z "$left" ] || fail "temporary files left behind in $1: $left"
}

# json_check FILE: FILE is valid JSON (python3, else jq, else a shallow shape check).
json_check() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -m json.tool "$1" >/dev/null
    elif command -v jq >/dev/null 2>&1; then
        jq -e . "$1" >/dev/null
    else
        head -c1 "$1" | grep -q '{' && tail -c2 "$1" | grep -q '}'
    fi
}

have_jq() {
    command -v jq >/dev/null 2>&1
}

# column_of FILE NAME: the 1-based index of header column NAME in a plain CSV (no quoted header).
column_of() {
    head -n1 "$1" | tr ',' '\n' | grep -n -x -F "$2" | cut -d: -f1
}

# exec_default_sigint CMD...: run CMD with SIGINT at its default disposition.  A background job
# of a non-interactive shell starts with SIGINT ignored, and synth (deliberately, like nohup)
# keeps a signal that was ignored at start ignored; an interactive Ctrl-C never has that problem.
exec_default_sigint() {
    if env --default-signal=INT true 2>/dev/null; then
        exec env --default-signal=INT "$@"
    fi
    exec python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}
