#!/usr/bin/env bats
# REST API limits and bad input against a real server: the per-key token bucket (exact 429 after
# the burst, consistent RateLimit headers, Retry-After, recovery, per-key independence, a
# concurrent burst never admits more than burst + rate x elapsed), failed authentications per IP,
# the concurrent-job cap, size limits (413 upload with and without Content-Length, 413 JSON body and
# field), malformed CSV (422 with line), malformed JSON (400 with line), wrong Content-Type (415),
# bad parameters (400/422).  Each test starts its own server with the limits it needs.

load helpers
load api_helpers

teardown() {
    api_stop
}

# rl_field HEADER_VALUE KEY: an integer parameter of a structured RateLimit field (r, t, q, w).
rl_field() {
    printf '%s' "$1" | tr ';' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'
}

@test "limits: exactly burst requests pass, then 429 with Retry-After and consistent headers" {
    # one token per 2 s, so the timing of a loaded machine cannot add a token between two requests
    api_start --rate 0.5 --burst 5
    KEY=$(api_key rl read,generate)
    OTHER=$(api_key rl2 read)
    remaining=()
    for i in 1 2 3 4 5; do
        api_req GET /v1/datasets
        expect_status 200 "request $i" || return 1
        remaining+=("$(api_header ratelimit-remaining)")
        [ "$(api_header ratelimit-limit)" = 5 ]
        [ "$(rl_field "$(api_header ratelimit-policy)" q)" = 5 ]
        [ "$(rl_field "$(api_header ratelimit-policy)" w)" = 10 ]
        [ "$(rl_field "$(api_header ratelimit)" r)" = "$(api_header ratelimit-remaining)" ]
    done
    [ "${remaining[*]}" = "4 3 2 1 0" ] || fail "RateLimit-Remaining went ${remaining[*]}"
    api_req GET /v1/datasets
    expect_problem 429
    retry=$(api_header retry-after)
    [[ "$retry" =~ ^[0-9]+$ ]] && [ "$retry" -ge 1 ] && [ "$retry" -le 2 ] || fail "Retry-After '$retry'"
    [ "$(api_header ratelimit-remaining)" = 0 ]
    [ "$(rl_field "$(api_header ratelimit)" r)" = 0 ]
    t=$(rl_field "$(api_header ratelimit)" t)
    [ "$t" -ge 1 ] && [ "$t" -le 10 ] || fail "reset t=$t for a 5-request bucket at 0.5/s"
    # after Retry-After one request passes again, the next does not
    sleep "$retry"
    api_req GET /v1/datasets
    expect_status 200
    api_req GET /v1/datasets
    expect_problem 429
    # another key has its own bucket
    KEY=$OTHER api_req GET /v1/datasets
    expect_status 200
    n=$(curl -sS --max-time 5 "$API_URL/metrics" | awk '$1 == "synth_rate_limited_total" {print $2}')
    [ "$n" = 2 ] || fail "synth_rate_limited_total = $n"
}

@test "limits: a concurrent burst never admits more than burst + rate x elapsed" {
    api_start --rate 2 --burst 10 --threads 4
    KEY=$(api_key burst read)
    start=$(date +%s.%N)
    seq 60 | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 \
        -H "Authorization: Bearer $KEY" "$API_URL/v1/datasets" >"$BATS_TEST_TMPDIR/codes"
    end=$(date +%s.%N)
    ok=$(grep -c '^200$' "$BATS_TEST_TMPDIR/codes" || true)
    limited=$(grep -c '^429$' "$BATS_TEST_TMPDIR/codes" || true)
    [ $((ok + limited)) -eq 60 ] || fail "other statuses: $(sort "$BATS_TEST_TMPDIR/codes" | uniq -c)"
    max=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%d", 10 + 2 * (e - s) }')
    [ "$ok" -ge 10 ] || fail "only $ok admitted; the burst is 10"
    [ "$ok" -le "$max" ] || fail "$ok admitted, more than burst + rate x elapsed = $max"
}

@test "limits: failed authentications per IP: the 11th within a minute is 429" {
    api_start
    for i in $(seq 10); do
        API_NOKEY=1 api_req GET /v1/datasets -H "Authorization: Bearer synth_AAAAAAAA_${i}BBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
        expect_problem 401 || fail "attempt $i"
    done
    API_NOKEY=1 api_req GET /v1/datasets -H "Authorization: Bearer synth_AAAAAAAA_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
    expect_problem 429
    [ -n "$(api_header retry-after)" ]
    # health checks need no key and are not limited
    API_NOKEY=1 api_req GET /healthz
    expect_status 200
}

@test "limits: concurrent jobs per key are capped (429), others' jobs are not" {
    api_start --rate 1000 --burst 1000 --max-jobs 2 --workers 1
    KEY=$(api_key jobs read,generate)
    head -n 300 "$ADULT" >"$BATS_TEST_TMPDIR/s.csv"
    ds=$(api_upload "$BATS_TEST_TMPDIR/s.csv")
    api_req POST /v1/models -H 'Content-Type: application/json' --data "{\"dataset_id\":\"$ds\"}"
    [ "$(api_wait_job "$(api_json .id)" 60)" = succeeded ]
    md=$(api_json .result.model_id)
    ids=()
    for i in 1 2; do
        api_req POST "/v1/models/$md/samples" -H 'Content-Type: application/json' --data "{\"rows\":400000000,\"seed\":$i}"
        expect_status 202 "job $i" || return 1
        ids+=("$(api_json .id)")
    done
    api_req POST "/v1/models/$md/samples" -H 'Content-Type: application/json' --data '{"rows":10,"seed":3}'
    expect_problem 429
    [ -n "$(api_header retry-after)" ]
    for id in "${ids[@]}"; do api_req DELETE "/v1/jobs/$id"; done
    for id in "${ids[@]}"; do [ "$(api_wait_job "$id" 30)" = cancelled ]; done
    api_req POST "/v1/models/$md/samples" -H 'Content-Type: application/json' --data '{"rows":10,"seed":3}'
    expect_status 202
}

@test "limits: uploads over --max-upload are 413 (with and without Content-Length), nothing kept" {
    api_start --rate 1000 --burst 1000 --max-upload 20000
    KEY=$(api_key up read,generate)
    head -c 19000 "$ADULT" | sed '$d' >"$BATS_TEST_TMPDIR/fits.csv"
    head -n 2000 "$ADULT" >"$BATS_TEST_TMPDIR/big.csv"
    api_req POST "/v1/datasets?name=ok" -H 'Content-Type: text/csv' --data-binary "@$BATS_TEST_TMPDIR/fits.csv"
    expect_status 201
    api_req POST "/v1/datasets?name=big" -H 'Content-Type: text/csv' --data-binary "@$BATS_TEST_TMPDIR/big.csv"
    expect_problem 413
    api_req POST "/v1/datasets?name=big" -H 'Content-Type: text/csv' -H 'Transfer-Encoding: chunked' \
        --data-binary "@$BATS_TEST_TMPDIR/big.csv"
    expect_problem 413
    api_req POST "/v1/generate?rows=10" -H 'Content-Type: text/csv' --data-binary "@$BATS_TEST_TMPDIR/big.csv"
    expect_problem 413
    api_req GET /v1/datasets
    [ "$(jq '(.items // .) | length' "$API_BODY")" = 1 ]
    [ "$(find "$API_DATA/datasets" -type f | wc -l)" = 1 ]
    [ -z "$(find "$API_DATA/tmp" -type f 2>/dev/null)" ] || fail "upload leftovers: $(ls "$API_DATA/tmp")"
}

@test "limits: JSON bodies: 413 too large, 413 field too long, 400 malformed (line), 422 bad fields" {
    api_start --rate 1000 --burst 1000
    KEY=$(api_key js read,generate)
    json='Content-Type: application/json'
    big=$(head -c 70000 /dev/zero | tr '\0' 'a')
    api_req POST /v1/models -H "$json" --data "{\"dataset_id\":\"ds_0000000000000000\",\"params\":{\"x\":\"$big\"}}"
    expect_problem 413
    long=$(head -c 5000 /dev/zero | tr '\0' 'b')
    api_req POST /v1/models -H "$json" --data "{\"dataset_id\":\"$long\"}"
    expect_problem 413
    api_req POST /v1/models -H "$json" --data $'{\n"dataset_id": "ds_0000000000000000",\n"seed": }'
    expect_problem 400
    [ "$(api_json .line)" = 3 ] || fail "line: $(cat "$API_BODY")"
    api_req POST /v1/models -H "$json" --data '[1,2]'
    expect_problem 422
    api_req POST /v1/models -H "$json" --data '{"dataset_id":"ds_0000000000000000","bogus":1}'
    expect_problem 422
    [ "$(api_json .field)" = bogus ] || fail "field: $(cat "$API_BODY")"
    api_req POST /v1/models -H "$json" --data '{"dataset_id":12}'
    expect_problem 422
    api_req POST /v1/models -H "$json" --data '{"seed":1}'
    expect_problem 422
    [ "$(api_json .field)" = dataset_id ]
    api_req POST /v1/models -H "$json" --data '{"dataset_id":"ds_0000000000000000"}'
    expect_problem 404
}

@test "limits: malformed CSV is 422 naming the line; empty CSV is 422" {
    api_start --rate 1000 --burst 1000
    KEY=$(api_key csv read,generate)
    api_req POST "/v1/datasets?name=r" -H 'Content-Type: text/csv' --data-binary "@$DATA/ragged.csv"
    expect_problem 422
    [ "$(api_json .line)" = 5 ] || fail "line: $(cat "$API_BODY")"
    api_req POST "/v1/generate?rows=10" -H 'Content-Type: text/csv' --data-binary "@$DATA/ragged.csv"
    expect_problem 422
    [ "$(api_json .line)" = 5 ]
    api_req POST "/v1/datasets?name=u" -H 'Content-Type: text/csv' --data-binary "@$DATA/unterminated.csv"
    expect_problem 422
    api_req POST "/v1/datasets?name=e" -H 'Content-Type: text/csv' --data-binary "@$DATA/empty.csv"
    expect_problem 422
    api_req POST "/v1/datasets?name=b" -H 'Content-Type: text/csv' --data-binary "@$DATA/bad_utf8.csv"
    expect_problem 422
    api_req GET /v1/datasets
    [ "$(jq '(.items // .) | length' "$API_BODY")" = 0 ]
    [ -z "$(find "$API_DATA/tmp" "$API_DATA/datasets" -type f 2>/dev/null)" ]
}

@test "limits: wrong Content-Type is 415; bad rows/seed are 400 naming the parameter" {
    api_start --rate 1000 --burst 1000
    KEY=$(api_key ct read,generate)
    api_req POST "/v1/datasets?name=x" -H 'Content-Type: application/json' --data-binary '{"a":1}'
    expect_problem 415
    api_req POST "/v1/generate?rows=10" -H 'Content-Type: text/plain' --data-binary $'a,b\n1,2\n'
    expect_problem 415
    api_req POST /v1/models -H 'Content-Type: text/plain' --data '{"dataset_id":"x"}'
    expect_problem 415
    for rows in abc -1 0 1e99 99999999999999999999999 ''; do
        api_req POST "/v1/generate?rows=$rows" -H 'Content-Type: text/csv' --data-binary $'a,b\n1,2\n3,4\n'
        [ "$API_STATUS" = 400 ] || [ "$API_STATUS" = 422 ] || fail "rows=$rows answered $API_STATUS"
        expect_problem "$API_STATUS"
        [ "$(api_json .field)" = rows ] || fail "rows=$rows: field $(api_json .field)"
    done
    api_req POST "/v1/generate?rows=5&seed=x" -H 'Content-Type: text/csv' --data-binary $'a,b\n1,2\n3,4\n'
    [ "$API_STATUS" = 400 ] || [ "$API_STATUS" = 422 ] || fail "seed=x answered $API_STATUS"
    [ "$(api_json .field)" = seed ]
}

@test "limits: uploads stream to disk: the server's peak RSS does not grow with the upload's size" {
    # Fitting-time checks of an upload keep a bounded sample (200,000 rows), so the first large
    # upload raises the peak once; one twice as large must not raise it again.  A small ASan
    # quarantine lets the sanitized build reuse freed memory as the plain one does.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1" api_start --rate 1000 --burst 1000
    KEY=$(api_key big read,generate)
    "$SYNTH" fit "$ADULT" -o "$BATS_TEST_TMPDIR/a.synth" -q
    "$SYNTH" generate "$BATS_TEST_TMPDIR/a.synth" --rows 250000 -o "$BATS_TEST_TMPDIR/m.csv" -q
    "$SYNTH" generate "$BATS_TEST_TMPDIR/a.synth" --rows 500000 --seed 1 -o "$BATS_TEST_TMPDIR/l.csv" -q
    api_req POST "/v1/datasets?name=m" -H 'Content-Type: text/csv' --data-binary "@$BATS_TEST_TMPDIR/m.csv"
    expect_status 201
    before=$(awk '/^VmHWM:/ {print $2}' "/proc/$API_PID/status")
    size=$(stat -c %s "$BATS_TEST_TMPDIR/l.csv")
    api_req POST "/v1/datasets?name=l" -H 'Content-Type: text/csv' --data-binary "@$BATS_TEST_TMPDIR/l.csv"
    expect_status 201
    [ "$(api_json .rows)" = 500000 ]
    [ "$(api_json .bytes)" = "$size" ]
    cmp "$BATS_TEST_TMPDIR/l.csv" "$API_DATA/datasets/$(api_json .id).csv"
    after=$(awk '/^VmHWM:/ {print $2}' "/proc/$API_PID/status")
    grew=$(( (after - before) * 1024 ))
    [ "$grew" -lt $((size / 4)) ] || fail "peak RSS grew by $grew bytes for a $size-byte upload (peak before: $before kB)"
}
