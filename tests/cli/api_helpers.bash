# api_helpers.bash -- a real `synth serve` for the REST API end-to-end tests (bats + curl).
#
# Usage in a .bats file:
#   load helpers
#   load api_helpers
#   setup_file()    { api_start --rate 1000 --burst 1000; KEY=$(api_key ci read,generate); export KEY; }
#   teardown_file() { api_stop; }
#   @test ... { api_req GET /v1/datasets; [ "$API_STATUS" = 200 ]; jq ... "$API_BODY"; }
#
# api_start serves on 127.0.0.1 with port 0 and a fresh data dir, reads the port from the
# "listening on http://127.0.0.1:<port>" line on stderr and waits for /readyz.  Everything has a
# timeout (server start, every curl, the SIGTERM wait), so a hung server fails the test instead of
# hanging CI.  Variables (exported so setup_file's values reach the tests):
#   API_DATA  the data dir          API_URL  http://127.0.0.1:<port>    API_PID  the server
#   API_LOG   the server's stderr   API_OUT  its stdout
# After api_req: API_STATUS (HTTP status), API_BODY (file), API_HEADERS (file).

API_START_TIMEOUT=${API_START_TIMEOUT:-20}   # seconds to wait for the listening line and /readyz
API_STOP_TIMEOUT=${API_STOP_TIMEOUT:-40}     # seconds a SIGTERM may take (drain + grace)
API_CURL_TIMEOUT=${API_CURL_TIMEOUT:-60}     # seconds per request

command -v curl >/dev/null 2>&1 || { echo "the API tests need curl" >&2; exit 1; }
command -v jq >/dev/null 2>&1 || { echo "the API tests need jq" >&2; exit 1; }

# api_tmp: a directory for files: the test's own, or the file's in setup_file.
api_tmp() {
    if [ -n "${BATS_TEST_TMPDIR:-}" ] && [ -d "${BATS_TEST_TMPDIR:-}" ]; then
        echo "$BATS_TEST_TMPDIR"
    else
        echo "$BATS_FILE_TMPDIR"
    fi
}

# api_start [serve options...]: start a server on a fresh data dir (or on $API_DATA when
# API_REUSE_DATA=1, for restarts).  Fails when it does not come up in time.
api_start() {
    if [ "${API_REUSE_DATA:-0}" != 1 ] || [ -z "${API_DATA:-}" ]; then
        API_DATA=$(mktemp -d "$(api_tmp)/data.XXXXXX")
    fi
    API_LOG=$(mktemp "$(api_tmp)/serve-err.XXXXXX")
    API_OUT=$(mktemp "$(api_tmp)/serve-out.XXXXXX")
    export API_DATA API_LOG API_OUT
    # fd 3 is bats' own; a background child holding it would make bats wait for it.
    "$SYNTH" serve --listen 127.0.0.1:0 --data-dir "$API_DATA" "$@" >"$API_OUT" 2>"$API_LOG" 3>&- &
    API_PID=$!
    export API_PID
    local deadline=$((SECONDS + API_START_TIMEOUT)) line=""
    while [ $SECONDS -lt $deadline ]; do
        line=$(grep -m1 -oE 'listening on https?://[0-9.]+:[0-9]+' "$API_LOG" || true)
        [ -n "$line" ] && break
        if ! kill -0 "$API_PID" 2>/dev/null; then
            fail "synth serve exited during start: $(cat "$API_LOG")"
            return 1
        fi
        sleep 0.05
    done
    if [ -z "$line" ]; then
        kill -9 "$API_PID" 2>/dev/null
        fail "synth serve printed no 'listening on' line in ${API_START_TIMEOUT}s: $(cat "$API_LOG")"
        return 1
    fi
    API_URL=${line#listening on }
    API_PORT=${API_URL##*:}
    export API_URL API_PORT
    while [ $SECONDS -lt $deadline ]; do
        if [ "$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 ${API_CACERT:+--cacert "$API_CACERT"} \
                "$API_URL/readyz" 2>/dev/null)" = 200 ]; then
            return 0
        fi
        sleep 0.05
    done
    kill -9 "$API_PID" 2>/dev/null
    fail "/readyz never answered 200 in ${API_START_TIMEOUT}s: $(cat "$API_LOG")"
}

# api_stop: SIGTERM, wait (bounded), and require exit status 0.  Safe to call twice.
api_stop() {
    [ -n "${API_PID:-}" ] || return 0
    local pid=$API_PID
    API_PID=
    kill -TERM "$pid" 2>/dev/null || return 0
    api_wait_exit "$pid" "$API_STOP_TIMEOUT" || return 1
    [ "$API_EXIT" = 0 ] || fail "synth serve exited with $API_EXIT after SIGTERM: $(tail -n 20 "$API_LOG")"
}

# api_wait_exit PID SECONDS: wait for the server to exit; API_EXIT gets its status.  Kills it (and
# fails) when it outlives the timeout.
api_wait_exit() {
    local pid=$1 limit=$2 deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
        # a zombie counts as exited
        [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ]; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        fail "synth serve did not exit within ${limit}s"
        return 1
    fi
    API_EXIT=0
    wait "$pid" 2>/dev/null || API_EXIT=$?
}

# api_kill9: crash the server (no cleanup at all).
api_kill9() {
    [ -n "${API_PID:-}" ] || return 0
    kill -9 "$API_PID" 2>/dev/null
    wait "$API_PID" 2>/dev/null || true
    API_PID=
}

# api_key NAME SCOPES: create a key offline with `synth keys create`; prints the secret.
api_key() {
    "$SYNTH" keys create --name "$1" --scopes "$2" --data-dir "$API_DATA" 2>/dev/null
}

# api_req METHOD PATH [curl options...]: one request with $KEY (unless API_NOKEY=1 or the caller
# passes its own -H 'Authorization: ...'); sets API_STATUS, API_BODY, API_HEADERS.
api_req() {
    local method=$1 path=$2
    shift 2
    local dir
    dir=$(api_tmp)
    API_BODY="$dir/body.$$"
    API_HEADERS="$dir/headers.$$"
    local auth=()
    if [ "${API_NOKEY:-0}" != 1 ] && [ -n "${KEY:-}" ]; then
        auth=(-H "Authorization: Bearer $KEY")
    fi
    API_STATUS=$(curl -sS -X "$method" --max-time "$API_CURL_TIMEOUT" ${API_CACERT:+--cacert "$API_CACERT"} \
        -o "$API_BODY" -D "$API_HEADERS" -w '%{http_code}' "${auth[@]}" "$@" "$API_URL$path") || API_STATUS=000
    export API_STATUS API_BODY API_HEADERS
}

# api_header NAME: a response header's value from the last api_req (case-insensitive, no CR).
api_header() {
    awk -v n="$(printf '%s' "$1" | tr 'A-Z' 'a-z')" 'BEGIN { FS = ": " }
        { sub(/\r$/, "") }
        { k = tolower($1) }
        k == n { sub(/^[^:]*: */, ""); print; exit }' "$API_HEADERS"
}

# api_json FILTER: jq -r FILTER over the last body.
api_json() {
    jq -r "$1" "$API_BODY"
}

# expect_status CODE [WHAT]: the last request answered CODE (else show the body).
expect_status() {
    [ "$API_STATUS" = "$1" ] || fail "${2:-request}: expected HTTP $1, got $API_STATUS: $(head -c 600 "$API_BODY" 2>/dev/null)"
}

# expect_problem CODE: the last answer is an RFC 9457 problem with that status.
expect_problem() {
    expect_status "$1" "problem" || return 1
    local ct
    ct=$(api_header content-type)
    assert_contains "$ct" "application/problem+json" || return 1
    jq -e --argjson s "$1" '(.status == $s) and (.type | type == "string") and (.title | type == "string")
        and (.detail | type == "string" and length > 0)' "$API_BODY" >/dev/null ||
        fail "not a problem+json with status $1: $(cat "$API_BODY")"
}

# api_wait_job ID [SECONDS]: poll GET /v1/jobs/ID until it leaves queued/running; prints the state.
api_wait_job() {
    local id=$1 deadline=$((SECONDS + ${2:-60})) state=""
    while [ $SECONDS -lt $deadline ]; do
        api_req GET "/v1/jobs/$id"
        state=$(jq -r '.state // empty' "$API_BODY" 2>/dev/null)
        case "$state" in
        succeeded | failed | cancelled) echo "$state"; return 0 ;;
        esac
        sleep 0.1
    done
    echo "timeout:$state"
}

# api_upload FILE [NAME]: POST /v1/datasets; prints the new dataset id (fails on another status).
api_upload() {
    api_req POST "/v1/datasets?name=${2:-data}" -H 'Content-Type: text/csv' --data-binary "@$1"
    expect_status 201 "upload $1" || return 1
    api_json .id
}

# api_batch SPEC_FILE: many requests over one curl process (kept-alive connections), for suites
# that send hundreds.  SPEC_FILE lines: METHOD<TAB>PATH<TAB>CONTENT_TYPE<TAB>BODY<TAB>KEY, where
# "-" means none for CONTENT_TYPE and BODY, and KEY "-" means $KEY, "none" no Authorization.
# Paths go as is (--path-as-is).  Writes "N STATUS METHOD PATH" lines to $API_BATCH (file), the
# bodies to $API_BATCH.d/N.
api_batch() {
    local spec=$1 dir cfg n=0 method path ctype body key
    dir=$(api_tmp)
    API_BATCH="$dir/batch.$$"
    rm -rf "$API_BATCH.d"
    mkdir -p "$API_BATCH.d"
    cfg="$dir/batch.$$.cfg"
    : >"$cfg"
    # config values are double-quoted; \\ and \" escape (no subshells: hundreds of lines)
    local e_url e_body e_key=${KEY:-} e_ca=${API_CACERT:-}
    e_ca=${e_ca//\\/\\\\}; e_ca=${e_ca//\"/\\\"}
    while IFS=$'\t' read -r method path ctype body key; do
        [ -n "$method" ] || continue
        n=$((n + 1))
        e_url=$API_URL$path; e_url=${e_url//\\/\\\\}; e_url=${e_url//\"/\\\"}
        e_body=${body//\\/\\\\}; e_body=${e_body//\"/\\\"}
        case "$key" in
        none) e_key="" ;;
        - | '') e_key=${KEY:-} ;;
        *) e_key=$key ;;
        esac
        [ $n -gt 1 ] && printf 'next\n'
        printf 'path-as-is\nsilent\nmax-time = %s\nrequest = %s\nurl = "%s"\noutput = "%s"\nwrite-out = "%s %%{http_code}\\n"\n' \
            "$API_CURL_TIMEOUT" "$method" "$e_url" "$API_BATCH.d/$n" "$n"
        [ -n "$e_ca" ] && printf 'cacert = "%s"\n' "$e_ca"
        [ "$ctype" != - ] && printf 'header = "Content-Type: %s"\n' "$ctype"
        [ "$body" != - ] && printf 'data-binary = "%s"\n' "$e_body"
        [ -z "$e_key" ] || printf 'header = "Authorization: Bearer %s"\n' "$e_key"
    done <"$spec" >"$cfg"
    curl -K "$cfg" >"$API_BATCH.codes" 2>"$API_BATCH.err" || true
    [ "$(wc -l <"$API_BATCH.codes")" -eq "$n" ] ||
        fail "api_batch: $(wc -l <"$API_BATCH.codes") answers for $n requests: $(head -c 300 "$API_BATCH.err")" || return 1
    # "N STATUS" + "METHOD PATH" (paths are kept out of --write-out, where % is special)
    awk -F'\t' 'NF { print $1 " " $2 }' "$spec" | paste -d' ' "$API_BATCH.codes" - >"$API_BATCH"
}
