#!/usr/bin/env bats
# REST API basics against a real `synth serve`: health, readiness, 404/405, metrics, the OpenAPI
# document, API keys (CLI and admin routes) and every kind of authentication failure, the access
# log (no secrets), and a clean SIGTERM exit.

load helpers
load api_helpers

setup_file() {
    api_start --rate 1000 --burst 1000 --access-log "$BATS_FILE_TMPDIR/access.log"
    KEY=$(api_key ci read,generate)
    ADMIN=$(api_key root admin)
    READER=$(api_key viewer read)
    export KEY ADMIN READER
}

teardown_file() {
    api_stop
}

@test "api: GET /healthz is 200 {\"status\":\"ok\"} without a key" {
    API_NOKEY=1 api_req GET /healthz
    expect_status 200
    [ "$(api_json .status)" = ok ]
    assert_contains "$(api_header content-type)" application/json
}

@test "api: GET /readyz is 200 ready" {
    api_req GET /readyz
    expect_status 200
    [ "$(api_json .status)" = ready ]
}

@test "api: unknown path is a 404 problem, wrong method a 405 with Allow" {
    api_req GET /v1/nothing-here
    expect_problem 404
    api_req DELETE /healthz
    expect_problem 405
    assert_contains "$(api_header allow)" GET
    api_req PUT /v1/datasets
    expect_problem 405
    allow=$(api_header allow)
    assert_contains "$allow" GET
    assert_contains "$allow" POST
}

@test "api: keys create prints the secret alone on stdout; list never shows secrets" {
    run --separate-stderr "$SYNTH" keys create --name once --scopes read --data-dir "$API_DATA"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
    [[ "$output" =~ ^synth_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$ ]] || fail "bad secret format: $output"
    secret=$output
    run --separate-stderr "$SYNTH" keys list --data-dir "$API_DATA"
    [ "$status" -eq 0 ]
    assert_contains "$output" once
    assert_not_contains "$output" "$secret"
    assert_not_contains "$output" "${secret##*_}"
    # the hash is not shown either
    hash=$(printf '%s' "$secret" | sha256sum | cut -d' ' -f1)
    assert_not_contains "$output$stderr" "$hash"
}

@test "api: no key -> 401 problem with WWW-Authenticate: Bearer" {
    API_NOKEY=1 api_req GET /v1/datasets
    expect_problem 401
    assert_contains "$(api_header www-authenticate)" Bearer
}

@test "api: unknown, malformed and wrong-scheme keys -> 401" {
    API_NOKEY=1 api_req GET /v1/datasets -H "Authorization: Bearer synth_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
    expect_problem 401
    # the right prefix with a wrong body
    API_NOKEY=1 api_req GET /v1/datasets -H "Authorization: Bearer ${KEY%_*}_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
    expect_problem 401
    API_NOKEY=1 api_req GET /v1/datasets -H "Authorization: Basic $(printf 'u:%s' "$KEY" | base64 -w0)"
    expect_problem 401
}

@test "api: a revoked key -> 401, other keys unaffected" {
    k=$(api_key doomed read,generate)
    KEY=$k api_req GET /v1/datasets
    expect_status 200
    prefix=$(printf '%s' "$k" | cut -d_ -f2)
    run "$SYNTH" keys revoke "$prefix" --data-dir "$API_DATA"
    [ "$status" -eq 0 ]
    KEY=$k api_req GET /v1/datasets
    expect_problem 401
    api_req GET /v1/datasets
    expect_status 200
}

@test "api: wrong scope -> 403 problem naming the scope" {
    KEY=$READER api_req POST "/v1/datasets?name=x" -H 'Content-Type: text/csv' --data-binary $'a,b\n1,2\n'
    expect_problem 403
    assert_contains "$(api_json .detail)" generate
    KEY=$READER api_req GET /v1/datasets
    expect_status 200
    api_req GET /v1/keys
    expect_problem 403
    assert_contains "$(api_json .detail)" admin
}

@test "api: admin keys: create (secret once), list (no secrets), the new key works, revoke" {
    KEY=$ADMIN api_req POST /v1/keys -H 'Content-Type: application/json' \
        --data '{"name":"made-by-admin","scopes":["read"]}'
    expect_status 201
    secret=$(api_json .secret)
    id=$(api_json .id)
    [[ "$secret" =~ ^synth_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$ ]] || fail "bad secret: $secret"
    [ "$(api_json '.scopes | join(",")')" = read ]
    KEY=$ADMIN api_req GET /v1/keys
    expect_status 200
    assert_contains "$(cat "$API_BODY")" made-by-admin
    assert_not_contains "$(cat "$API_BODY")" "${secret##*_}"
    assert_not_contains "$(cat "$API_BODY")" '"hash"'
    KEY=$secret api_req GET /v1/datasets
    expect_status 200
    KEY=$ADMIN api_req DELETE "/v1/keys/$id"
    [ "$API_STATUS" = 204 ] || [ "$API_STATUS" = 200 ] || fail "revoke answered $API_STATUS"
    KEY=$secret api_req GET /v1/datasets
    expect_problem 401
}

@test "api: authenticated answers carry the RateLimit headers" {
    api_req GET /v1/datasets
    expect_status 200
    [[ "$(api_header ratelimit-policy)" =~ ^\"default\"\;q=[0-9]+\;w=[0-9]+$ ]] ||
        fail "RateLimit-Policy: $(api_header ratelimit-policy)"
    [[ "$(api_header ratelimit)" =~ ^\"default\"\;r=[0-9]+\;t=[0-9]+$ ]] || fail "RateLimit: $(api_header ratelimit)"
    [ -n "$(api_header ratelimit-limit)" ]
    [ -n "$(api_header ratelimit-remaining)" ]
    [ -n "$(api_header ratelimit-reset)" ]
    # the draft header and the legacy ones agree
    r=$(api_header ratelimit | sed -E 's/.*r=([0-9]+).*/\1/')
    [ "$r" = "$(api_header ratelimit-remaining)" ]
    q=$(api_header ratelimit-policy | sed -E 's/.*q=([0-9]+).*/\1/')
    [ "$q" = "$(api_header ratelimit-limit)" ]
}

@test "api: /metrics counts requests by route, method and status" {
    scrape() { curl -sS --max-time 10 "$API_URL/metrics"; }
    series='synth_http_requests_total{route="/healthz",method="GET",status="200"}'
    before=$(scrape | awk -v s="$series" '$1 == s {print $2}')
    for i in 1 2 3 4 5; do curl -sS --max-time 5 -o /dev/null "$API_URL/healthz"; done
    api_req GET /v1/nothing
    text=$(scrape)
    after=$(printf '%s\n' "$text" | awk -v s="$series" '$1 == s {print $2}')
    [ "$((after - ${before:-0}))" -eq 5 ] || fail "healthz counter went from '$before' to '$after'"
    assert_contains "$text" '# TYPE synth_http_requests_total counter'
    assert_contains "$text" '# TYPE synth_http_request_duration_seconds histogram'
    assert_contains "$text" 'synth_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"}'
    assert_contains "$text" 'synth_jobs{state="queued"}'
    assert_contains "$text" 'synth_rows_generated_total'
    assert_contains "$text" 'synth_rate_limited_total'
    printf '%s\n' "$text" | grep -q 'status="404"' || fail "no 404 series"
    # _count equals the +Inf bucket for every route
    printf '%s\n' "$text" | awk '
        /_bucket\{.*le="\+Inf"\}/ { r = $1; sub(/.*route="/, "", r); sub(/".*/, "", r); inf[r] = $2 }
        /^synth_http_request_duration_seconds_count/ { r = $1; sub(/.*route="/, "", r); sub(/".*/, "", r); cnt[r] = $2 }
        END { for (r in cnt) if (cnt[r] != inf[r]) { print "mismatch " r; exit 1 } }'
    ct=$(curl -sS --max-time 5 -o /dev/null -w '%{content_type}' "$API_URL/metrics")
    assert_contains "$ct" "text/plain"
    assert_contains "$ct" "version=0.0.4"
}

@test "api: /v1/openapi.json is an OpenAPI 3 document listing the contract's routes" {
    API_NOKEY=1 api_req GET /v1/openapi.json
    expect_status 200
    [[ "$(api_json .openapi)" == 3.* ]]
    for p in /healthz /readyz /metrics /v1/generate /v1/datasets '/v1/datasets/{id}' /v1/models \
             '/v1/models/{id}/rows' '/v1/models/{id}/samples' /v1/validations /v1/jobs '/v1/jobs/{id}' \
             '/v1/jobs/{id}/result' /v1/keys '/v1/keys/{id}'; do
        jq -e --arg p "$p" '.paths[$p]' "$API_BODY" >/dev/null || fail "path $p missing"
    done
    [ "$(api_json '.components.securitySchemes.bearer.scheme')" = bearer ]
}

@test "api: the access log has one JSON line per request and never a secret" {
    api_req GET "/v1/datasets?token=$KEY"
    log="$BATS_FILE_TMPDIR/access.log"
    # the log is flushed about once a second
    for _ in $(seq 100); do
        [ "$(grep -c '"path":"/v1/datasets"' "$log" 2>/dev/null)" -ge 1 ] && break
        sleep 0.05
    done
    [ -s "$log" ] || fail "empty access log"
    while IFS= read -r line; do
        printf '%s' "$line" | jq -e '.ts and .ip and .method and .path and (.status | type == "number")' \
            >/dev/null || fail "bad log line: $line"
    done <"$log"
    for k in "$KEY" "$ADMIN" "$READER"; do
        ! grep -qF "${k##*_}" "$log" || fail "a key secret is in the access log"
    done
    grep -q '"path":"/v1/datasets"' "$log"
}

@test "api: authenticated errors (403, 404, 422) carry the RateLimit headers too" {
    KEY=$READER api_req DELETE /v1/datasets/ds_0000000000000000
    expect_problem 403
    [ -n "$(api_header ratelimit)" ] && [ -n "$(api_header ratelimit-policy)" ] || fail "403 without RateLimit"
    api_req GET /v1/datasets/ds_0000000000000000
    expect_problem 404
    [ -n "$(api_header ratelimit)" ] && [ -n "$(api_header ratelimit-remaining)" ] || fail "404 without RateLimit"
    api_req POST /v1/models -H 'Content-Type: application/json' --data '{"nope":1}'
    expect_problem 422
    [ -n "$(api_header ratelimit)" ] || fail "422 without RateLimit"
}

@test "api: metrics label requests by route template, never by raw path or id" {
    for id in ds_00000000000000a1 ds_00000000000000b2 ds_00000000000000c3 '..%2f..%2fx' 'x%22y'; do
        api_req GET "/v1/datasets/$id"
    done
    for p in /v1/aaa /v1/bbb '/x%22%7D%20evil' /ccc/ddd; do api_req GET "$p"; done
    text=$(curl -sS --max-time 10 "$API_URL/metrics")
    assert_not_contains "$text" ds_00000000000000a1
    assert_not_contains "$text" 'route="/v1/aaa"'
    assert_not_contains "$text" evil
    assert_contains "$text" 'synth_http_requests_total{route="/v1/datasets/{id}",method="GET",status="404"}'
    assert_contains "$text" 'synth_http_requests_total{route="other",method="GET",status="404"}'
    # every sample line is well formed (name{labels} value)
    bad=$(printf '%s\n' "$text" | grep -v '^#' | grep -vE '^[a-z_]+(\{[a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*\})? [0-9.e+-]+$' || true)
    [ -z "$bad" ] || fail "malformed lines: $bad"
}
