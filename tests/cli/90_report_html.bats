#!/usr/bin/env bats
# The HTML validation report (validation/report_html.c), end to end: the example report document
# (tests/unit/data/report_example.json) rendered by the unit-test binary's --render mode, checked
# as a file, then opened in headless Chromium (skipped when Chromium is not installed; Debian
# package `chromium`).  xmllint (Debian package `libxml2-utils`) is used when present.

load helpers

setup() {
    EXAMPLE="$REPO/tests/unit/data/report_example.json"
    # The render helper next to the binary under test (build/san/... under `make asan-test`),
    # else the plain build's.
    RENDER="$(dirname "$SYNTH")/../tests/test_report_html"
    [ -x "$RENDER" ] || RENDER="$REPO/build/tests/test_report_html"
    [ -x "$RENDER" ] || skip "build/tests/test_report_html not built (make build/tests/test_report_html; make test builds it)"
}

# chromium_bin: the first Chromium-like browser on PATH, or nothing.
chromium_bin() {
    local b
    for b in chromium chromium-browser google-chrome-stable google-chrome; do
        if command -v "$b" >/dev/null 2>&1; then
            command -v "$b"
            return 0
        fi
    done
    return 1
}

# screenshot HTML PNG: a 1280x2000 screenshot in headless Chromium, nothing fetched.
screenshot() {
    local profile
    profile=$(mktemp -d "$BATS_TEST_TMPDIR/profile.XXXXXX")
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --screenshot="$2" --window-size=1280,2000 "file://$1" \
        >"$BATS_TEST_TMPDIR/chromium.log" 2>&1
}

file_size() {
    wc -c <"$1" | tr -d ' '
}

@test "report html: --render writes one self-contained page, no temporary files left" {
    run --separate-stderr "$RENDER" --render "$EXAMPLE" "$BATS_TEST_TMPDIR/r.html"
    [ "$status" -eq 0 ] || fail "render failed ($status): $stderr"
    [ -s "$BATS_TEST_TMPDIR/r.html" ]
    no_temp_files "$BATS_TEST_TMPDIR"
    local page
    page=$(cat "$BATS_TEST_TMPDIR/r.html")
    assert_contains "$page" "<!DOCTYPE html>"
    assert_contains "$page" "Synthetic data validation report"
    assert_not_contains "$page" "<script"
    assert_not_contains "$page" "http://"
    assert_not_contains "$page" "https://"
    # one chart per column (15), three heatmaps, one DCR histogram
    assert_eq "$(grep -o '<svg ' "$BATS_TEST_TMPDIR/r.html" | wc -l | tr -d ' ')" 19 "svg count"
    if command -v xmllint >/dev/null 2>&1; then
        xmllint --noout --nonet "$BATS_TEST_TMPDIR/r.html"
    fi
}

@test "report html: bad input is an error, no output file" {
    printf '[1, 2]\n' >"$BATS_TEST_TMPDIR/array.json"
    run --separate-stderr "$RENDER" --render "$BATS_TEST_TMPDIR/array.json" "$BATS_TEST_TMPDIR/a.html"
    [ "$status" -eq 2 ] || fail "expected exit 2 (usage), got $status: $stderr"
    assert_contains "$stderr" "not a JSON object"
    [ ! -e "$BATS_TEST_TMPDIR/a.html" ]
    no_temp_files "$BATS_TEST_TMPDIR"
}

@test "report html: renders in headless Chromium (screenshot is not blank)" {
    CHROMIUM=$(chromium_bin) || skip "Chromium not installed (Debian package: chromium)"
    "$RENDER" --render "$EXAMPLE" "$BATS_TEST_TMPDIR/r.html"
    printf '<!DOCTYPE html>\n<html><head><meta charset="utf-8"/><title>empty</title></head><body></body></html>\n' \
        >"$BATS_TEST_TMPDIR/empty.html"
    screenshot "$BATS_TEST_TMPDIR/r.html" "$BATS_TEST_TMPDIR/r.png" ||
        fail "chromium failed on the report: $(tail -n 5 "$BATS_TEST_TMPDIR/chromium.log")"
    screenshot "$BATS_TEST_TMPDIR/empty.html" "$BATS_TEST_TMPDIR/empty.png" ||
        fail "chromium failed on an empty page: $(tail -n 5 "$BATS_TEST_TMPDIR/chromium.log")"
    [ -s "$BATS_TEST_TMPDIR/r.png" ] || fail "no screenshot written"
    # a PNG: the signature's "PNG" at bytes 2-4
    assert_eq "$(head -c 4 "$BATS_TEST_TMPDIR/r.png" | tail -c 3)" "PNG" "PNG signature"
    local ours blank
    ours=$(file_size "$BATS_TEST_TMPDIR/r.png")
    blank=$(file_size "$BATS_TEST_TMPDIR/empty.png")
    [ "$ours" -gt 10240 ] || fail "screenshot is only $ours bytes"
    [ "$ours" -gt $((blank * 5)) ] || fail "screenshot ($ours bytes) hardly differs from a blank page ($blank bytes)"
}

@test "report html: Chromium parses every chart as SVG" {
    CHROMIUM=$(chromium_bin) || skip "Chromium not installed (Debian package: chromium)"
    "$RENDER" --render "$EXAMPLE" "$BATS_TEST_TMPDIR/r.html"
    local profile
    profile=$(mktemp -d "$BATS_TEST_TMPDIR/profile.XXXXXX")
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --dump-dom "file://$BATS_TEST_TMPDIR/r.html" \
        >"$BATS_TEST_TMPDIR/dom.html" 2>"$BATS_TEST_TMPDIR/chromium.log" ||
        fail "chromium --dump-dom failed: $(tail -n 5 "$BATS_TEST_TMPDIR/chromium.log")"
    # the DOM as parsed: all 19 <svg> elements, with their last part (the footer) after them
    assert_eq "$(grep -o '<svg ' "$BATS_TEST_TMPDIR/dom.html" | wc -l | tr -d ' ')" 19 "svg elements in the DOM"
    grep -q '<footer>' "$BATS_TEST_TMPDIR/dom.html" || fail "the footer is missing from the parsed DOM"
}
