#!/usr/bin/env bats
# The served OpenAPI document and the server cannot drift: every (method, path) the document lists
# is called against a real server, with real ids and a valid body, and must answer something other
# than 404/405, with a status the document lists for that operation.  Operations without a scope
# answer without a key; keyed ones answer 401 without one.

load helpers
load api_helpers

setup_file() {
    api_start --rate 1000 --burst 1000
    ADMIN=$(api_key root admin)
    KEY=$ADMIN
    export ADMIN KEY
    head -n 400 "$ADULT" >"$BATS_FILE_TMPDIR/small.csv"
    DS=$(api_upload "$BATS_FILE_TMPDIR/small.csv" small) || return 1
    api_req POST /v1/models -H 'Content-Type: application/json' --data "{\"dataset_id\":\"$DS\",\"generator\":\"copula\",\"seed\":1}"
    expect_status 202 "fit" || return 1
    FIT=$(api_json .id)
    [ "$(api_wait_job "$FIT" 60)" = succeeded ] || fail "fit job did not succeed: $(cat "$API_BODY")" || return 1
    MD=$(api_json '.result.model_id // .model_id // empty')
    if [ -z "$MD" ]; then
        api_req GET /v1/models
        MD=$(api_json '(.items // .)[0].id')
    fi
    api_req POST "/v1/models/$MD/samples" -H 'Content-Type: application/json' --data '{"rows":200,"seed":1}'
    expect_status 202 "samples" || return 1
    GEN=$(api_json .id)
    [ "$(api_wait_job "$GEN" 60)" = succeeded ] || fail "generate job did not succeed" || return 1
    api_req POST /v1/keys -H 'Content-Type: application/json' --data '{"name":"spare","scopes":["read"]}'
    KID=$(api_json .id)
    READER=$(api_key reader read)
    WRITER=$(api_key writer read,generate)
    export DS FIT MD GEN KID READER WRITER
}

teardown_file() {
    api_stop
}

# The id to put in a path: by resource.
id_for() {
    case "$1" in
    /v1/datasets/*) echo "$DS" ;;
    /v1/models/*) echo "$MD" ;;
    /v1/jobs/*) echo "$GEN" ;;
    /v1/keys/*) echo "$KID" ;;
    *) echo "" ;;
    esac
}

# A valid body for a schema name.
body_for() {
    case "$1" in
    ModelCreate) printf '{"dataset_id":"%s","generator":"copula","seed":2}' "$DS" ;;
    SampleCreate) printf '{"rows":50,"seed":3}' ;;
    ValidationCreate) printf '{"dataset_id":"%s","job_id":"%s"}' "$DS" "$GEN" ;;
    KeyCreate) printf '{"name":"drift","scopes":["read"]}' ;;
    *) printf '{}' ;;
    esac
}

# Every operation as "METHOD PATH SCOPE BODYKIND QUERY", DELETEs last (they remove the fixtures).
operations() {
    jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[]
        | [(.key | ascii_upcase), $p, (.value["x-synth-scope"] // "-"),
           ((.value.requestBody.content // {}) | to_entries | map(
                if .key == "text/csv" then "csv"
                else (.value.schema["$ref"] // "" | sub(".*/"; "")) end) | first // "-"),
           ([(.value.parameters // [])[] | select(.in == "query" and .required) | .name] | join(",") | if . == "" then "-" else . end)]
        | @tsv' "$1" | sort -t$'\t' -k1,1 -s | awk -F'\t' '$1 != "DELETE"' 
    jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[] | select(.key == "delete")
        | ["DELETE", $p, (.value["x-synth-scope"] // "-"), "-", "-"] | @tsv' "$1" |
        # jobs, then models, then datasets, then keys
        awk -F'\t' '{o = ($2 ~ /jobs/) ? 1 : ($2 ~ /models/) ? 2 : ($2 ~ /datasets/) ? 3 : 4; print o "\t" $0}' |
        sort -n | cut -f2-
}

@test "openapi: the served document is valid OpenAPI (openapi-spec-validator, when installed)" {
    API_NOKEY=1 api_req GET /v1/openapi.json
    expect_status 200
    python3 -c 'import openapi_spec_validator' 2>/dev/null || skip "python3 openapi-spec-validator not installed"
    python3 - "$API_BODY" <<'PY'
import json, sys
import openapi_spec_validator as v
doc = json.load(open(sys.argv[1]))
(getattr(v, "validate", None) or v.validate_spec)(doc)
PY
}

# Runs before the keyless checks below: those reach the per-IP limit of failed authentications,
# which then answers 429 to every key from this address for a minute.
@test "openapi: the scope each operation documents (x-synth-scope) is the one the server enforces" {
    doc="$BATS_TEST_TMPDIR/openapi.json"
    curl -sS --max-time 10 -o "$doc" "$API_URL/v1/openapi.json"
    n=0
    while IFS=$'\t' read -r method path scope; do
        url=${path//\{id\}/$(id_for "$path")}
        case "$scope" in
        read) # the ids belong to another key, so a 404 (not yours) is right there; never 403
              KEY=$READER api_req "$method" "$url?rows=5"
              case "$API_STATUS" in 401 | 403 | 405) fail "$method $path with a read key: $API_STATUS" ;; esac ;;
        generate) KEY=$READER api_req "$method" "$url"
                  expect_problem 403 || fail "$method $path (generate) with a read key: $API_STATUS" ;;
        admin) KEY=$WRITER api_req "$method" "$url"
               expect_problem 403 || fail "$method $path (admin) with a read,generate key: $API_STATUS" ;;
        *) continue ;;
        esac
        n=$((n + 1))
    done < <(jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[]
                    | [(.key | ascii_upcase), $p, (.value["x-synth-scope"] // "-")] | @tsv' "$doc")
    [ "$n" -ge 19 ] || fail "only $n keyed operations checked"
}

@test "openapi: every documented operation answers (not 404/405) with a documented status" {
    doc="$BATS_TEST_TMPDIR/openapi.json"
    curl -sS --max-time 10 -o "$doc" "$API_URL/v1/openapi.json"
    n=0
    while IFS=$'\t' read -r method path scope body query; do
        url=$path
        id=$(id_for "$path")
        url=${url//\{id\}/$id}
        q=""
        [[ "$query" == *rows* ]] && q="?rows=20&seed=1"
        args=()
        case "$body" in
        csv) args=(-H 'Content-Type: text/csv' --data-binary "@$BATS_FILE_TMPDIR/small.csv") ;;
        -) ;;
        *) args=(-H 'Content-Type: application/json' --data "$(body_for "$body")") ;;
        esac
        [ "$path" = /v1/datasets ] && [ "$method" = POST ] && q="?name=drift"
        api_req "$method" "$url$q" "${args[@]}"
        case "$API_STATUS" in
        404 | 405 | 000) fail "$method $path ($url$q) answered $API_STATUS: $(head -c 300 "$API_BODY")" ;;
        esac
        jq -e --arg p "$path" --arg m "$(printf '%s' "$method" | tr 'A-Z' 'a-z')" --arg s "$API_STATUS" \
            '.paths[$p][$m].responses | has($s) or has("default")' "$doc" >/dev/null ||
            fail "$method $path answered $API_STATUS, which the document does not list"
        if [ "$scope" != - ]; then
            # 401, or 429 once the per-IP limit of failed authentications (10 a minute) is reached
            API_NOKEY=1 api_req "$method" "$url$q"
            if [ "$API_STATUS" = 429 ]; then
                assert_contains "$(api_json .detail)" authentication || return 1
            else
                expect_problem 401 || fail "$method $path without a key: $API_STATUS"
            fi
        fi
        n=$((n + 1))
    done < <(operations "$doc")
    [ "$n" -ge 23 ] || fail "only $n operations in the document"
}

@test "openapi: the document lists no operation the server does not route, and vice versa for /v1" {
    doc="$BATS_TEST_TMPDIR/openapi.json"
    curl -sS --max-time 10 -o "$doc" "$API_URL/v1/openapi.json"
    # a method the document does not list on a documented path is a 405 with an Allow header
    # naming exactly the documented methods
    for path in $(jq -r '.paths | keys[]' "$doc"); do
        want=$(jq -r --arg p "$path" '.paths[$p] | keys | map(ascii_upcase) | sort | join(",")' "$doc")
        id=$(id_for "$path")
        api_req PATCH "${path//\{id\}/$id}"
        expect_status 405 "PATCH $path" || return 1
        got=$(api_header allow | tr -d ' ' | tr ',' '\n' | grep -v '^HEAD$' | sort | paste -sd, -)
        [ "$got" = "$want" ] || fail "$path: Allow '$got', document '$want'"
    done
}
