# helpers.bash -- shared setup for the synth CLI end-to-end tests (bats).
#
# Every .bats file does `load helpers`.  $SYNTH is the binary under test (`make cli` sets it);
# by default the freshly built bin/synth of this checkout.  Outputs go to $BATS_TEST_TMPDIR (one
# per test) or $BATS_FILE_TMPDIR (shared by a file, e.g. a model fitted once in setup_file).

if ! type bats_require_minimum_version >/dev/null 2>&1; then
    echo "these tests need bats >= 1.7 (run --separate-stderr, BATS_TEST_TMPDIR)" >&2
    exit 1
fi
bats_require_minimum_version 1.5.0

# Byte-wise sort/comm/grep, whatever the caller's locale.
export LC_ALL=C

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

# bad_rows FILE AWK_CONDITION: the first few data rows of a plain CSV (no quoted commas) where
# the condition holds; empty when none.  An awk error is reported as a "bad row" so that a broken
# condition can never pass vacuously.
bad_rows() {
    local tmp="$BATS_TEST_TMPDIR/.bad_rows"
    if ! awk -F, "NR > 1 && ($2)" "$1" >"$tmp"; then
        echo "awk failed on condition: $2"
        return 0
    fi
    head -n 3 "$tmp"
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

# col_field JSON_FILE COLUMN FIELD: a column's field from schema JSON ('synth schema' output or the
# "schema" of 'synth inspect --json'), printed as jq -r would (arrays/objects as JSON text).
col_field() {
    if have_jq; then
        jq -r --arg n "$2" --arg f "$3" \
            '(if has("schema") then .schema else . end) | .columns[] | select(.name == $n) | .[$f]
             | if type == "array" or type == "object" then tojson else . end' "$1"
    else
        python3 - "$1" "$2" "$3" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc = doc.get("schema", doc)
for c in doc["columns"]:
    if c["name"] == sys.argv[2]:
        v = c.get(sys.argv[3])
        if isinstance(v, (list, dict)):
            print(json.dumps(v, separators=(",", ":")))
        elif v is None:
            print("null")
        elif isinstance(v, bool):
            print("true" if v else "false")
        else:
            print(v)
PY
    fi
}

# categories JSON_FILE COLUMN: the column's category values, one per line (JSON-escaped so that
# values with newlines stay on one line), in file order.
categories() {
    if have_jq; then
        jq -c --arg n "$2" \
            '(if has("schema") then .schema else . end) | .columns[] | select(.name == $n)
             | .categories[].value' "$1"
    else
        python3 - "$1" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc = doc.get("schema", doc)
for c in doc["columns"]:
    if c["name"] == sys.argv[2]:
        for cat in c["categories"]:
            print(json.dumps(cat["value"], separators=(",", ":")))
PY
    fi
}

# need_json_tool: skip the test when neither jq nor python3 is available.
need_json_tool() {
    have_jq || command -v python3 >/dev/null 2>&1 || skip "needs jq or python3"
}
