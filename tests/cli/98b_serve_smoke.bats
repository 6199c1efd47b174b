#!/usr/bin/env bats
# synth serve basics: start on a free port, health, routing errors, auth, one-call generation equal
# to the CLI's bytes, a streamed download, SIGTERM.  (The full API suite is 98_api*.bats.)

load helpers

# start_server DIR [serve options...]: start synth serve on 127.0.0.1:0; sets PORT and SERVER_PID.
start_server() {
    local dir=$1
    shift
    "$SYNTH" serve --listen 127.0.0.1:0 --data-dir "$dir/var" --threads 2 "$@" 2>"$dir/serve.err" &
    SERVER_PID=$!
    local i
    for i in $(seq 1 100); do
        PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$dir/serve.err" 2>/dev/null | sed 's/.*://')
        [ -n "$PORT" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$dir/serve.err" >&2
    return 1
}

setup_file() {
    local d=$BATS_FILE_TMPDIR
    mkdir -p "$d/var"
    "$SYNTH" keys create --name smoke --scopes read,generate --data-dir "$d/var" > "$d/key" 2>/dev/null
    "$SYNTH" keys create --name reader --scopes read --data-dir "$d/var" > "$d/readkey" 2>/dev/null
    head -n 2001 "$ADULT" > "$d/small.csv"
    start_server "$d" --access-log "$d/access.log"
    echo "$PORT" > "$d/port"
    echo "$SERVER_PID" > "$d/pid"
}

teardown_file() {
    local d=$BATS_FILE_TMPDIR
    [ -f "$d/pid" ] && kill -TERM "$(cat "$d/pid")" 2>/dev/null
    wait 2>/dev/null || true
}

url() {
    echo "http://127.0.0.1:$(cat "$BATS_FILE_TMPDIR/port")$1"
}

@test "serve: /healthz and /readyz answer JSON without a key" {
    run curl -s -w '\n%{http_code} %{content_type}' "$(url /healthz)"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = '{"status":"ok"}' ] || fail "body: ${lines[0]}"
    [ "${lines[1]}" = "200 application/json" ] || fail "${lines[1]}"
    run curl -s -o /dev/null -w '%{http_code}' "$(url /readyz)"
    [ "$output" = 200 ]
}

@test "serve: unknown path is a 404 problem, wrong method a 405 with Allow" {
    run curl -s -D "$BATS_TEST_TMPDIR/h" -w '\n%{http_code} %{content_type}' "$(url /v1/nope)"
    [ "${lines[1]}" = "404 application/problem+json" ] || fail "${lines[1]}"
    have_jq || skip "needs jq"
    [ "$(echo "${lines[0]}" | jq -r .status)" = 404 ]
    [ "$(echo "${lines[0]}" | jq -r .title)" = "Not Found" ]
    run curl -s -X PUT -D "$BATS_TEST_TMPDIR/h" -o /dev/null -w '%{http_code}' "$(url /v1/datasets)"
    [ "$output" = 405 ]
    grep -i '^Allow: ' "$BATS_TEST_TMPDIR/h" | grep -q 'GET' || fail "$(cat "$BATS_TEST_TMPDIR/h")"
    grep -i '^Allow: ' "$BATS_TEST_TMPDIR/h" | grep -q 'POST' || fail "$(cat "$BATS_TEST_TMPDIR/h")"
    ! grep -i '^Allow: ' "$BATS_TEST_TMPDIR/h" | grep -q 'PUT\|DELETE' || fail "$(cat "$BATS_TEST_TMPDIR/h")"
}

@test "serve: ids with traversal or quotes never match a route" {
    run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$BATS_FILE_TMPDIR/key")" \
        "$(url '/v1/datasets/..%2F..%2Fstore.db')"
    [ "$output" = 404 ]
    run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$BATS_FILE_TMPDIR/key")" \
        "$(url "/v1/models/md_x'%20OR%201=1--")"
    [ "$output" = 404 ]
}

@test "serve: no key is 401 with WWW-Authenticate; a read key cannot generate (403)" {
    run curl -s -D "$BATS_TEST_TMPDIR/h" -o /dev/null -w '%{http_code}' "$(url /v1/datasets)"
    [ "$output" = 401 ]
    grep -qi '^WWW-Authenticate: Bearer' "$BATS_TEST_TMPDIR/h"
    run curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer synth_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' \
        "$(url /v1/datasets)"
    [ "$output" = 401 ]
    run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$BATS_FILE_TMPDIR/readkey")" \
        -H 'Content-Type: text/csv' --data-binary @"$BATS_FILE_TMPDIR/small.csv" "$(url '/v1/generate?rows=10')"
    [ "$output" = 403 ]
    run curl -s -D "$BATS_TEST_TMPDIR/h" -o /dev/null -w '%{http_code}' \
        -H "Authorization: Bearer $(cat "$BATS_FILE_TMPDIR/readkey")" "$(url /v1/datasets)"
    [ "$output" = 200 ]
    grep -qi '^RateLimit-Policy: "default";q=20;w=2' "$BATS_TEST_TMPDIR/h" || fail "$(cat "$BATS_TEST_TMPDIR/h")"
    grep -qi '^RateLimit-Remaining: ' "$BATS_TEST_TMPDIR/h"
}

@test "serve: POST /v1/generate streams the same bytes as synth fit + synth generate" {
    local d=$BATS_FILE_TMPDIR t=$BATS_TEST_TMPDIR
    "$SYNTH" fit "$d/small.csv" -o "$t/m.synth" -q
    "$SYNTH" generate "$t/m.synth" --rows 50000 --seed 7 -o "$t/cli.csv" -q
    run curl -s -D "$t/h" -o "$t/api.csv" -w '%{http_code}' -H "Authorization: Bearer $(cat "$d/key")" \
        -H 'Content-Type: text/csv' --data-binary @"$d/small.csv" "$(url '/v1/generate?rows=50000&seed=7')"
    [ "$output" = 200 ] || fail "status $output: $(cat "$t/api.csv")"
    grep -qi '^Transfer-Encoding: chunked' "$t/h"
    [ "$(wc -l < "$t/api.csv")" -eq 50001 ]
    cmp "$t/cli.csv" "$t/api.csv"
}

@test "serve: --max-upload: 413 by Content-Length and mid-stream (chunked), no temporary file left" {
    local t=$BATS_TEST_TMPDIR
    mkdir -p "$t/var"
    "$SYNTH" keys create --name up --scopes generate --data-dir "$t/var" > "$t/key" 2>/dev/null
    start_server "$t" --max-upload 5000
    local u="http://127.0.0.1:$PORT/v1/datasets"
    run curl -s -o "$t/p.json" -w '%{http_code}' -H "Authorization: Bearer $(cat "$t/key")" \
        -H 'Content-Type: text/csv' --data-binary @"$BATS_FILE_TMPDIR/small.csv" "$u"
    [ "$output" = 413 ] || fail "status $output"
    run curl -s -o "$t/p.json" -w '%{http_code}' -H "Authorization: Bearer $(cat "$t/key")" \
        -H 'Content-Type: text/csv' -H 'Transfer-Encoding: chunked' --data-binary @"$BATS_FILE_TMPDIR/small.csv" "$u"
    [ "$output" = 413 ] || fail "status $output"
    grep -q '"status":413' "$t/p.json"
    run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$t/key")" \
        -H 'Content-Type: text/csv' --data-binary @"$DATA/quoted.csv" "$u"
    [ "$output" = 201 ] || fail "status $output"
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
    [ -z "$(ls -A "$t/var/tmp")" ] || fail "left: $(ls "$t/var/tmp")"
    [ "$(ls "$t/var/datasets" | wc -l)" -eq 1 ]
}

@test "serve: upload errors: wrong type 415, ragged CSV 422 with the line, bad rows 400" {
    local d=$BATS_FILE_TMPDIR t=$BATS_TEST_TMPDIR
    run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$d/key")" \
        -H 'Content-Type: application/json' --data-binary @"$d/small.csv" "$(url '/v1/generate?rows=10')"
    [ "$output" = 415 ]
    run curl -s -o "$t/p.json" -w '%{http_code}' -H "Authorization: Bearer $(cat "$d/key")" \
        -H 'Content-Type: text/csv' --data-binary @"$DATA/ragged.csv" "$(url '/v1/generate?rows=10')"
    [ "$output" = 422 ] || fail "status $output: $(cat "$t/p.json")"
    have_jq || skip "needs jq"
    [ "$(jq -r .line "$t/p.json")" -ge 2 ] || fail "$(cat "$t/p.json")"
    ! grep -q 'tmp/' "$t/p.json" || fail "server path leaked: $(cat "$t/p.json")"
    run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$d/key")" \
        -H 'Content-Type: text/csv' --data-binary @"$d/small.csv" "$(url '/v1/generate?rows=abc')"
    [ "$output" = 400 ]
}

@test "serve: a client that leaves mid-stream stops the generator; nothing is left behind" {
    local d=$BATS_FILE_TMPDIR
    local pid threads_before threads_after
    pid=$(cat "$d/pid")
    threads_before=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
    run curl -s -o /dev/null --max-time 2 -H "Authorization: Bearer $(cat "$d/key")" \
        -H 'Content-Type: text/csv' --data-binary @"$d/small.csv" "$(url '/v1/generate?rows=500000000')"
    [ "$status" -eq 28 ] || fail "curl exit $status (expected a timeout mid-stream)"
    local i
    for i in $(seq 1 50); do
        threads_after=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
        [ "$threads_after" -le "$threads_before" ] && break
        sleep 0.1
    done
    [ "$threads_after" -le "$threads_before" ] || fail "threads $threads_before -> $threads_after"
    [ -z "$(ls -A "$d/var/tmp")" ] || fail "left in tmp: $(ls "$d/var/tmp")"
    run curl -s -o /dev/null -w '%{http_code}' "$(url /healthz)"
    [ "$output" = 200 ]
}

@test "serve: access log has JSON lines with the key prefix and never the secret or query" {
    local d=$BATS_FILE_TMPDIR
    curl -s -o /dev/null -H "Authorization: Bearer $(cat "$d/key")" "$(url '/v1/jobs?state=queued')"
    sleep 1.3   # the log is flushed about once a second
    local secret prefix
    secret=$(cat "$d/key")
    prefix=$(echo "$secret" | cut -d_ -f2)
    ! grep -q "$secret" "$d/access.log"
    ! grep -q 'state=queued' "$d/access.log"
    grep -q "\"path\":\"/v1/jobs\",\"status\":200,.*\"key_prefix\":\"$prefix\"" "$d/access.log" || fail "$(cat "$d/access.log")"
}

@test "serve: SIGTERM drains and exits 0; a second server on the same dir starts" {
    local t=$BATS_TEST_TMPDIR
    mkdir -p "$t/var"
    start_server "$t"
    kill -TERM "$SERVER_PID"
    local rc=0
    wait "$SERVER_PID" || rc=$?
    [ "$rc" -eq 0 ] || fail "exit $rc: $(cat "$t/serve.err")"
    grep -q 'stopped' "$t/serve.err"
    start_server "$t"
    kill -INT "$SERVER_PID"
    rc=0
    wait "$SERVER_PID" || rc=$?
    [ "$rc" -eq 0 ]
}

@test "serve: bad options are usage errors (exit 2)" {
    run "$SYNTH" serve --listen nowhere --data-dir "$BATS_TEST_TMPDIR/v"
    [ "$status" -eq 2 ]
    run "$SYNTH" serve --listen 127.0.0.1:0 --data-dir "$BATS_TEST_TMPDIR/v" --tls-cert /nonexistent.pem --tls-key /nonexistent.pem
    [ "$status" -eq 2 ]
    [[ "$output" == *"/nonexistent.pem"* ]]
}
