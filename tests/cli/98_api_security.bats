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

# check_batch WHAT: every answer of the last api_batch is 4xx (STRICT=1) or at least not 5xx/000,
# and no body leaks a file.
check_batch() {
    local bad
    if [ "${STRICT:-1}" = 1 ]; then
        bad=$(awk '$2 !~ /^4[0-9][0-9]$/' "$API_BATCH")
    else
        bad=$(awk '$2 ~ /^(5[0-9][0-9]|000)$/' "$API_BATCH")
    fi
    [ -z "$bad" ] || fail "$1: unexpected answers:" "$(printf '%s\n' "$bad" | head -n 10)"
    ! grep -rlaE 'SQLite format 3|root:.*:0:0:' "$API_BATCH.d" >/dev/null || fail "$1: a body leaked a file"
}

@test "security: hostile ids in every path (raw and encoded): 4xx, never success" {
    spec="$BATS_TEST_TMPDIR/spec"
    : >"$spec"
    for p in "${PAYLOADS[@]}"; do
        for enc in raw uri; do
            id=${p// /%20}   # curl refuses a raw space; everything else goes as is
            [ $enc = uri ] && id=$(uri "$p")
            for route in "/v1/datasets/$id" "/v1/models/$id" "/v1/jobs/$id" "/v1/models/$id/rows?rows=5" \
                         "/v1/jobs/$id/result" "/v1/datasets/$id/../$DS"; do
                printf 'GET\t%s\t-\t-\t-\n' "$route" >>"$spec"
            done
            for route in "/v1/datasets/$id" "/v1/models/$id" "/v1/jobs/$id"; do
                printf 'DELETE\t%s\t-\t-\t-\n' "$route" >>"$spec"
            done
            printf 'DELETE\t%s\t-\t-\t%s\n' "/v1/keys/$id" "$ADMIN" >>"$spec"
        done
    done
    api_batch "$spec"
    [ "$(wc -l <"$API_BATCH")" -eq $((${#PAYLOADS[@]} * 2 * 10)) ]
    check_batch "hostile ids"
    # traversal in the route part itself: no 5xx
    : >"$spec"
    for route in "/v1/../v1/datasets" "/v1/datasets/%2e%2e" "/../../etc/passwd" "/v1/datasets/..%2f..%2fstore.db" \
                 "/v1//datasets" "/v1/datasets/$DS/" "/%2e%2e/store.db" "/v1/datasets/$DS%00" "/v1/datasets/%00"; do
        printf 'GET\t%s\t-\t-\t-\n' "$route" >>"$spec"
    done
    api_batch "$spec"
    STRICT=0 check_batch "hostile routes"
    # and the fixtures are still there
    api_req GET "/v1/datasets/$DS"
    expect_status 200
}

@test "security: hostile query parameters: names stored literally, numbers rejected, no 5xx" {
    spec="$BATS_TEST_TMPDIR/spec"
    : >"$spec"
    for p in "${PAYLOADS[@]}"; do
        printf 'POST\t%s\ttext/csv\t@%s\t-\n' "/v1/datasets?name=$(uri "$p")" "$BATS_FILE_TMPDIR/s.csv" >>"$spec"
    done
    api_batch "$spec"
    STRICT=0 check_batch "hostile names"
    cp "$API_BATCH" "$BATS_TEST_TMPDIR/made"
    : >"$spec"
    i=0
    for p in "${PAYLOADS[@]}"; do
        i=$((i + 1))
        code=$(awk -v n=$i '$1 == n {print $2}' "$BATS_TEST_TMPDIR/made")
        case "$code" in
        201)
            [ "$(jq -r .name "$API_BATCH.d/$i")" = "$p" ] || fail "name stored as '$(jq -r .name "$API_BATCH.d/$i")', sent '$p'"
            id=$(jq -r .id "$API_BATCH.d/$i")
            [[ "$id" =~ ^ds_[0-9a-f]{16}$ ]] || fail "id $id"
            printf 'GET\t/v1/datasets/%s\t-\t-\t-\n' "$id" >>"$spec"
            printf 'DELETE\t/v1/datasets/%s\t-\t-\t-\n' "$id" >>"$spec" ;;
        4??) ;;
        *) fail "name=$p answered $code" ;;
        esac
    done
    [ "$(grep -c . "$spec")" -ge 20 ] || fail "hostile names were refused instead of stored: $(cat "$BATS_TEST_TMPDIR/made")"
    if [ -s "$spec" ]; then
        api_batch "$spec"
        # each GET gives back the literal name, each DELETE 204
        awk '($3 == "GET" && $2 != 200) || ($3 == "DELETE" && $2 != 204)' "$API_BATCH" | grep -q . &&
            fail "get/delete of literal names: $(cat "$API_BATCH")"
        for f in "$API_BATCH.d"/*; do
            [ -s "$f" ] || continue
            n=$(jq -r .name "$f")
            printf '%s\n' "${PAYLOADS[@]}" | grep -qxF -- "$n" || fail "GET returned name '$n'"
        done
    fi
    spec="$BATS_TEST_TMPDIR/spec"
    : >"$spec"
    for p in "${PAYLOADS[@]}"; do
        q=$(uri "$p")
        printf 'GET\t%s\t-\t-\t-\n' "/v1/models/$MD/rows?rows=$q" "/v1/models/$MD/rows?rows=5&seed=$q" \
            "/v1/jobs?state=$q" >>"$spec"
    done
    api_batch "$spec"
    check_batch "hostile rows, seed, state"
    : >"$spec"
    for p in "${PAYLOADS[@]}"; do
        printf 'GET\t%s\t-\t-\t-\n' "/v1/jobs/$FIT/result?format=$(uri "$p")" >>"$spec"
    done
    api_batch "$spec"
    STRICT=0 check_batch "hostile format"
}

@test "security: hostile JSON fields: 4xx, no 5xx, no job on a hostile id" {
    spec="$BATS_TEST_TMPDIR/spec"
    : >"$spec"
    json=application/json
    for p in "${PAYLOADS[@]}"; do
        s=$(jq -cn --arg v "$p" '$v')
        for body in "{\"dataset_id\":$s}" "{\"dataset_id\":\"$DS\",\"generator\":$s}" \
                    "{\"dataset_id\":\"$DS\",\"params\":{$s:$s}}"; do
            printf 'POST\t/v1/models\t%s\t%s\t-\n' "$json" "$body" >>"$spec"
        done
        printf 'POST\t%s\t%s\t{"rows":5}\t-\n' "/v1/models/$(uri "$p")/samples" "$json" >>"$spec"
        for body in "{\"dataset_id\":$s,\"job_id\":$s}" "{\"dataset_id\":\"$DS\",\"job_id\":$s}" \
                    "{\"dataset_id\":\"$DS\",\"job_id\":\"$FIT\",\"target\":$s}" \
                    "{\"dataset_id\":\"$DS\",\"job_id\":\"$FIT\",\"holdout_dataset_id\":$s}"; do
            printf 'POST\t/v1/validations\t%s\t%s\t-\n' "$json" "$body" >>"$spec"
        done
        printf 'POST\t/v1/keys\t%s\t%s\t%s\n' "$json" "{\"name\":\"k\",\"scopes\":[$s]}" "$ADMIN" >>"$spec"
    done
    api_batch "$spec"
    [ "$(wc -l <"$API_BATCH")" -eq $((${#PAYLOADS[@]} * 9)) ]
    check_batch "hostile JSON fields"
    # no job was made from any of them
    api_req GET /v1/jobs
    [ "$(jq '(.items // .) | length' "$API_BODY")" = 1 ] || fail "jobs: $(jq -c '[(.items // .)[] | .params]' "$API_BODY")"
    # key names are stored literally
    : >"$spec"
    for p in "${PAYLOADS[@]}"; do
        printf 'POST\t/v1/keys\t%s\t%s\t%s\n' "$json" "{\"name\":$(jq -cn --arg v "$p" '$v'),\"scopes\":[\"read\"]}" "$ADMIN" >>"$spec"
    done
    api_batch "$spec"
    STRICT=0 check_batch "hostile key names"
    i=0
    for p in "${PAYLOADS[@]}"; do
        i=$((i + 1))
        if [ "$(awk -v n=$i '$1 == n {print $2}' "$API_BATCH")" = 201 ]; then
            [ "$(jq -r .name "$API_BATCH.d/$i")" = "$p" ] || fail "key name stored as $(jq -r .name "$API_BATCH.d/$i")"
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
