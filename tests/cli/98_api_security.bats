#!/usr/bin/env bats
# Hostile input in every parameter of the REST API: path traversal (../, %2e%2e, %2f, absolute
# paths, backslashes, NUL) and SQL-injection strings in path ids, query parameters, JSON fields and
# headers.  Nothing may answer 5xx or succeed on a hostile id; names are stored literally (prepared
# statements); afterwards the database is intact and no file exists outside the server's own names.

load helpers
load api_helpers

PAYLOADS=(
    '../../../../etc/passwd'
    '..%2f..%2f..%2fetc%2fpasswd'
    '%2e%2e%2f%2e%2e%2fstore.db'
    '%2e%2e/store.db'
    '/etc/passwd'
    '..\..\store.db'
    'ds_0000000000000000%00.csv'
    'a%00b'
    "' OR '1'='1"
    "x'; DROP TABLE datasets; --"
    'ds_0000000000000000" OR 1=1 --'
    '1; SELECT * FROM api_keys'
    '%27%20OR%201%3D1--'
    '$(touch /tmp/synth-pwned)'
    '*'
    '%'
)

setup_file() {
    api_start --rate 100000 --burst 100000
    KEY=$(api_key sec read,generate)
    ADMIN=$(api_key secadmin admin)
    export KEY ADMIN
    head -n 300 "$ADULT" >"$BATS_FILE_TMPDIR/s.csv"
    DS=$(api_upload "$BATS_FILE_TMPDIR/s.csv" base) || return 1
    api_req POST /v1/models -H 'Content-Type: application/json' --data "{\"dataset_id\":\"$DS\"}"
    FIT=$(api_json .id)
    [ "$(api_wait_job "$FIT" 60)" = succeeded ] || return 1
    MD=$(api_json .result.model_id)
    export DS MD FIT
    touch "$BATS_FILE_TMPDIR/marker"
    rm -f /tmp/synth-pwned
}

teardown_file() {
    api_stop
}

uri() { jq -rn --arg v "$1" '$v | @uri'; }

# no_5xx WHAT: the last answer is not a server error and not a dropped connection.
no_5xx() {
    case "$API_STATUS" in
    5?? | 000) fail "$1 answered $API_STATUS: $(head -c 300 "$API_BODY")" ;;
    esac
    ! grep -qaE 'SQLite format 3|root:.*:0:0:' "$API_BODY" || fail "$1 leaked a file"
}

@test "security: hostile ids in every path (raw and encoded): 4xx, never success" {
    for p in "${PAYLOADS[@]}"; do
        for enc in raw uri; do
            id=${p// /%20}   # curl refuses a raw space; everything else goes as is
            [ $enc = uri ] && id=$(uri "$p")
            for route in "/v1/datasets/$id" "/v1/models/$id" "/v1/jobs/$id" "/v1/models/$id/rows?rows=5" \
                         "/v1/jobs/$id/result" "/v1/datasets/$id/../$DS"; do
                api_req GET "$route" --path-as-is
                no_5xx "GET $route" || return 1
                [[ "$API_STATUS" == 4?? ]] || fail "GET $route answered $API_STATUS"
            done
            for route in "/v1/datasets/$id" "/v1/models/$id" "/v1/jobs/$id"; do
                api_req DELETE "$route" --path-as-is
                no_5xx "DELETE $route" || return 1
                [[ "$API_STATUS" == 4?? ]] || fail "DELETE $route answered $API_STATUS"
            done
            KEY=$ADMIN api_req DELETE "/v1/keys/$id" --path-as-is
            no_5xx "DELETE /v1/keys/$id" || return 1
            [[ "$API_STATUS" == 4?? ]] || fail "DELETE /v1/keys/$id answered $API_STATUS"
        done
    done
    # traversal in the route part itself
    for route in "/v1/../v1/datasets" "/v1/datasets/%2e%2e" "/../../etc/passwd" "/v1/datasets/..%2f..%2fstore.db" \
                 "/v1//datasets" "/v1/datasets/$DS/" "/%2e%2e/store.db"; do
        api_req GET "$route" --path-as-is
        no_5xx "GET $route" || return 1
    done
}

@test "security: hostile query parameters: names stored literally, numbers rejected, no 5xx" {
    for p in "${PAYLOADS[@]}"; do
        q=$(uri "$p")
        api_req POST "/v1/datasets?name=$q" -H 'Content-Type: text/csv' --data-binary "@$BATS_FILE_TMPDIR/s.csv"
        no_5xx "name=$p" || return 1
        if [ "$API_STATUS" = 201 ]; then
            id=$(api_json .id)
            [[ "$id" =~ ^ds_[0-9a-f]{16}$ ]] || fail "id $id"
            api_req GET "/v1/datasets/$id"
            [ "$(api_json .name)" = "$p" ] || fail "name stored as '$(api_json .name)', sent '$p'"
            api_req DELETE "/v1/datasets/$id"
            expect_status 204
        else
            [[ "$API_STATUS" == 4?? ]] || fail "name=$p: $API_STATUS"
        fi
        for query in "rows=$q" "rows=5&seed=$q"; do
            api_req GET "/v1/models/$MD/rows?$query"
            no_5xx "$query" || return 1
            [[ "$API_STATUS" == 4?? ]] || fail "$query answered $API_STATUS"
        done
        api_req GET "/v1/jobs?state=$q"
        no_5xx "state=$p" || return 1
        [[ "$API_STATUS" == 4?? ]] || fail "state=$p answered $API_STATUS"
        api_req GET "/v1/jobs/$FIT/result?format=$q"
        no_5xx "format=$p" || return 1
    done
}

@test "security: hostile JSON fields: 4xx, no 5xx, no job on a hostile id" {
    for p in "${PAYLOADS[@]}"; do
        s=$(jq -cn --arg v "$p" '$v')
        for body in "{\"dataset_id\":$s}" "{\"dataset_id\":\"$DS\",\"generator\":$s}" \
                    "{\"dataset_id\":\"$DS\",\"params\":{$s:$s}}"; do
            api_req POST /v1/models -H 'Content-Type: application/json' --data "$body"
            no_5xx "POST /v1/models $body" || return 1
            [[ "$API_STATUS" == 4?? ]] || fail "POST /v1/models $body answered $API_STATUS"
        done
        api_req POST "/v1/models/$(uri "$p")/samples" --path-as-is -H 'Content-Type: application/json' --data '{"rows":5}'
        no_5xx "samples on $p" || return 1
        [[ "$API_STATUS" == 4?? ]] || fail "samples on $p answered $API_STATUS"
        for body in "{\"dataset_id\":$s,\"job_id\":$s}" "{\"dataset_id\":\"$DS\",\"job_id\":$s}" \
                    "{\"dataset_id\":\"$DS\",\"job_id\":\"$FIT\",\"target\":$s}" \
                    "{\"dataset_id\":\"$DS\",\"job_id\":\"$FIT\",\"holdout_dataset_id\":$s}"; do
            api_req POST /v1/validations -H 'Content-Type: application/json' --data "$body"
            no_5xx "POST /v1/validations $body" || return 1
            [[ "$API_STATUS" == 4?? ]] || fail "POST /v1/validations $body answered $API_STATUS"
        done
        KEY=$ADMIN api_req POST /v1/keys -H 'Content-Type: application/json' --data "{\"name\":\"k\",\"scopes\":[$s]}"
        no_5xx "scopes $p" || return 1
        [[ "$API_STATUS" == 4?? ]] || fail "scopes [$p] answered $API_STATUS"
        KEY=$ADMIN api_req POST /v1/keys -H 'Content-Type: application/json' --data "{\"name\":$s,\"scopes\":[\"read\"]}"
        no_5xx "key name $p" || return 1
        if [ "$API_STATUS" = 201 ]; then
            [ "$(api_json .name)" = "$p" ] || fail "key name stored as $(api_json .name)"
        fi
    done
}

@test "security: hostile headers: Idempotency-Key stored literally, Authorization rejected cleanly" {
    for p in "${PAYLOADS[@]}"; do
        api_req POST "/v1/models/$MD/samples" -H 'Content-Type: application/json' -H "Idempotency-Key: $p" \
            --data '{"rows":5,"seed":1}'
        no_5xx "Idempotency-Key $p" || return 1
        [ "$API_STATUS" = 202 ] || [ "$API_STATUS" = 400 ] || [ "$API_STATUS" = 429 ] ||
            fail "Idempotency-Key $p answered $API_STATUS"
    done
    # at most 9 failed authentications (the per-IP limit is 10 a minute)
    for p in "' OR '1'='1" "synth_%27OR1_x" "synth_../../_x" "$(printf 'synth_AAAAAAAA_%032d' 0)' --"; do
        API_NOKEY=1 api_req GET /v1/datasets -H "Authorization: Bearer $p"
        no_5xx "Authorization $p" || return 1
        expect_problem 401 || return 1
    done
}

@test "security: afterwards the store is intact and no file exists outside the server's names" {
    api_req GET "/v1/datasets/$DS"
    expect_status 200
    [ "$(api_json .name)" = base ]
    api_req GET "/v1/models/$MD"
    expect_status 200
    [ ! -e /tmp/synth-pwned ]
    if command -v sqlite3 >/dev/null; then
        [ "$(sqlite3 "file:$API_DATA/store.db?mode=ro" 'PRAGMA integrity_check')" = ok ]
        for t in api_keys datasets models jobs schedules audit_log; do
            sqlite3 "file:$API_DATA/store.db?mode=ro" "SELECT count(*) FROM $t" >/dev/null || fail "table $t gone"
        done
    fi
    # every file in the data dir has a server-made name
    bad=$(find "$API_DATA" -type f | sed "s|^$API_DATA/||" | grep -vE \
        '^(store\.db(-wal|-shm|-journal)?|datasets/ds_[0-9a-f]{16}\.csv|models/md_[0-9a-f]{16}\.synth|outputs/job_[0-9a-f]{16}\.(csv|json|html)|tmp/[a-z]+_[0-9a-f]{16}\.part)$' || true)
    [ -z "$bad" ] || fail "unexpected files: $bad"
    # nothing new next to the data dir
    new=$(find "$(dirname "$API_DATA")" -maxdepth 1 -newer "$BATS_FILE_TMPDIR/marker" -type f \
        ! -name 'serve-*' ! -name 'body.*' ! -name 'headers.*' || true)
    [ -z "$new" ] || fail "files created next to the data dir: $new"
}
