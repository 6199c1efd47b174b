#!/usr/bin/env bats
# The REST server's life: a crash (kill -9) with a job running loses nothing (the job is requeued
# on restart and finishes with the CLI's bytes); SIGTERM stops accepting, lets a running job finish
# within --grace or requeues it, and exits 0; state persists across restarts; HTTPS with a
# self-signed certificate (curl --cacert).

load helpers
load api_helpers

teardown() {
    api_stop
}

# A narrow numeric table so big generate jobs are quick and small on disk.
make_table() {
    awk 'BEGIN { print "a,b,c"; srand(7); for (i = 0; i < 2000; i++) printf "%d,%d,%.2f\n", int(rand() * 100), int(rand() * 1000), rand() * 10 }' >"$1"
}

# fit_model: upload a table and fit it; sets MD (model id).
fit_model() {
    make_table "$BATS_TEST_TMPDIR/t.csv"
    local ds
    ds=$(api_upload "$BATS_TEST_TMPDIR/t.csv" t) || return 1
    api_req POST /v1/models -H 'Content-Type: application/json' --data "{\"dataset_id\":\"$ds\"}"
    expect_status 202 || return 1
    [ "$(api_wait_job "$(api_json .id)" 60)" = succeeded ] || fail "fit failed: $(cat "$API_BODY")" || return 1
    MD=$(api_json .result.model_id)
}

# wait_running JOB: until the job is running (with some progress when PROGRESS=1).
wait_running() {
    local deadline=$((SECONDS + 30))
    while [ $SECONDS -lt $deadline ]; do
        api_req GET "/v1/jobs/$1"
        if [ "$(api_json .state)" = running ]; then
            [ "${PROGRESS:-0}" != 1 ] && return 0
            awk -v p="$(api_json .progress)" 'BEGIN { exit !(p > 0) }' && return 0
        fi
        [ "$(api_json .state)" = succeeded ] && { fail "job finished before it could be interrupted"; return 1; }
        sleep 0.02
    done
    fail "job $1 never ran: $(cat "$API_BODY")"
}

@test "lifecycle: kill -9 with a job running; after restart it is requeued and finishes with the CLI's bytes" {
    api_start --rate 1000 --burst 1000 --workers 1
    KEY=$(api_key crash read,generate)
    fit_model
    rows=6000000
    api_req POST "/v1/models/$MD/samples" -H 'Content-Type: application/json' --data "{\"rows\":$rows,\"seed\":11}"
    expect_status 202
    job=$(api_json .id)
    PROGRESS=1 wait_running "$job"
    api_kill9
    [ ! -e "$API_DATA/outputs/$job.csv" ] || fail "a partial output was left under the final name"
    API_REUSE_DATA=1 api_start --rate 1000 --burst 1000 --workers 1
    [ "$(api_wait_job "$job" 120)" = succeeded ] || fail "after restart: $(cat "$API_BODY")"
    [ "$(api_json .attempts)" -ge 2 ] || fail "attempts $(api_json .attempts)"
    "$SYNTH" generate "$API_DATA/models/$MD.synth" --rows $rows --seed 11 -o "$BATS_TEST_TMPDIR/cli.csv" -q
    [ "$(sha "$API_DATA/outputs/$job.csv")" = "$(sha "$BATS_TEST_TMPDIR/cli.csv")" ] || fail "output differs from the CLI's"
    rm -f "$BATS_TEST_TMPDIR/cli.csv"
    [ -z "$(find "$API_DATA/outputs" -name '.*' -type f)" ] || fail "temporary outputs left: $(ls -a "$API_DATA/outputs")"
}

@test "lifecycle: a job that crashes the server 3 times is failed with a reason, not run forever" {
    api_start --rate 1000 --burst 1000 --workers 1
    KEY=$(api_key crash3 read,generate)
    fit_model
    api_req POST "/v1/models/$MD/samples" -H 'Content-Type: application/json' --data '{"rows":300000000,"seed":1}'
    job=$(api_json .id)
    for attempt in 1 2 3; do
        PROGRESS=1 wait_running "$job" || return 1
        [ "$(api_json .attempts)" = $attempt ] || fail "attempt $attempt: attempts $(api_json .attempts)"
        api_kill9
        API_REUSE_DATA=1 api_start --rate 1000 --burst 1000 --workers 1
    done
    api_req GET "/v1/jobs/$job"
    [ "$(api_json .state)" = failed ] || fail "after 3 crashes: $(cat "$API_BODY")"
    [ "$(api_json .attempts)" = 3 ]
    [ -n "$(api_json '.error // empty')" ] || fail "no reason given"
    [ -z "$(find "$API_DATA/outputs" -type f)" ] || fail "outputs left: $(ls -a "$API_DATA/outputs")"
}

@test "lifecycle: SIGTERM lets a running job finish within --grace, then exits 0" {
    api_start --rate 1000 --burst 1000 --workers 1 --grace 30
    KEY=$(api_key drain read,generate)
    fit_model
    api_req POST "/v1/models/$MD/samples" -H 'Content-Type: application/json' --data '{"rows":3000000,"seed":2}'
    job=$(api_json .id)
    wait_running "$job"
    pid=$API_PID
    kill -TERM "$pid"
    # while draining: readiness is 503 or the listener is already closed
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$API_URL/readyz" || true)
    [ "$code" = 503 ] || [ "$code" = 000 ] || fail "/readyz while draining answered $code"
    API_PID=
    api_wait_exit "$pid" 60
    [ "$API_EXIT" = 0 ] || fail "exit status $API_EXIT: $(tail -n 5 "$API_LOG")"
    API_REUSE_DATA=1 api_start --rate 1000 --burst 1000
    api_req GET "/v1/jobs/$job"
    [ "$(api_json .state)" = succeeded ] || fail "job after a graceful stop: $(cat "$API_BODY")"
    [ "$(api_json .attempts)" = 1 ]
    [ "$(line_count "$API_DATA/outputs/$job.csv")" = 3000001 ]
}

@test "lifecycle: SIGTERM with a job longer than --grace requeues it; the next start finishes it" {
    api_start --rate 1000 --burst 1000 --workers 1 --grace 1
    KEY=$(api_key requeue read,generate)
    fit_model
    api_req POST "/v1/models/$MD/samples" -H 'Content-Type: application/json' --data '{"rows":200000000,"seed":3}'
    long=$(api_json .id)
    api_req POST "/v1/models/$MD/samples" -H 'Content-Type: application/json' --data '{"rows":1000,"seed":4}'
    queued=$(api_json .id)
    wait_running "$long"
    api_stop
    if command -v sqlite3 >/dev/null; then
        [ "$(sqlite3 "file:$API_DATA/store.db?mode=ro" "SELECT state FROM jobs WHERE id = '$long'")" = queued ]
        [ "$(sqlite3 "file:$API_DATA/store.db?mode=ro" "SELECT state FROM jobs WHERE id = '$queued'")" = queued ]
    fi
    API_REUSE_DATA=1 api_start --rate 1000 --burst 1000 --workers 1
    api_req GET "/v1/jobs/$long"
    case "$(api_json .state)" in queued | running) ;; *) fail "long job after restart: $(cat "$API_BODY")" ;; esac
    api_req DELETE "/v1/jobs/$long"
    [ "$(api_wait_job "$long" 30)" = cancelled ]
    [ "$(api_wait_job "$queued" 60)" = succeeded ]
    [ "$(line_count "$API_DATA/outputs/$queued.csv")" = 1001 ]
}

@test "lifecycle: keys, datasets and models persist across a restart" {
    api_start --rate 1000 --burst 1000
    KEY=$(api_key persist read,generate)
    fit_model
    api_stop
    API_REUSE_DATA=1 api_start --rate 1000 --burst 1000
    api_req GET "/v1/models/$MD"
    expect_status 200
    api_req GET "/v1/models/$MD/rows?rows=10&seed=1"
    expect_status 200
    [ "$(line_count "$API_BODY")" = 11 ]
}

@test "lifecycle: HTTPS with a self-signed certificate (curl --cacert); plain HTTP is refused" {
    command -v openssl >/dev/null || skip "openssl not installed"
    d=$BATS_TEST_TMPDIR
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
        -addext "subjectAltName=IP:127.0.0.1" -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    API_CACERT="$d/cert.pem"
    export API_CACERT
    api_start --tls-cert "$d/cert.pem" --tls-key "$d/key.pem" --rate 1000 --burst 1000
    [[ "$API_URL" == https://127.0.0.1:* ]] || fail "listening line: $API_URL"
    api_req GET /healthz
    expect_status 200
    [ "$(api_json .status)" = ok ]
    KEY=$(api_key tls read)
    api_req GET /v1/datasets
    expect_status 200
    # the certificate is checked: without --cacert curl refuses it
    run curl -sS --max-time 5 "$API_URL/healthz"
    [ "$status" -ne 0 ]
    # no plain HTTP on the TLS port
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$API_PORT/healthz" || true)
    [ "$code" != 200 ] || fail "plain HTTP answered 200 on the TLS port"
    api_stop
    unset API_CACERT
}

@test "lifecycle: bad TLS files and a bad listen address fail at start with a message" {
    d=$BATS_TEST_TMPDIR
    echo "not a certificate" >"$d/bad.pem"
    run --separate-stderr timeout 20 "$SYNTH" serve --listen 127.0.0.1:0 --data-dir "$d/data" --tls-cert "$d/bad.pem" --tls-key "$d/bad.pem"
    [ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "status $status"
    [ -n "$stderr" ]
    run --separate-stderr timeout 20 "$SYNTH" serve --listen 127.0.0.1:0 --data-dir "$d/data" --tls-cert "$d/bad.pem"
    [ "$status" -eq 2 ] || fail "cert without key: status $status"
    run --separate-stderr timeout 20 "$SYNTH" serve --listen nonsense --data-dir "$d/data"
    [ "$status" -eq 2 ] || fail "bad --listen: status $status"
    run --separate-stderr timeout 20 "$SYNTH" serve --listen 127.0.0.1:0
    [ "$status" -eq 2 ] || fail "no --data-dir: status $status"
    assert_contains "$stderr" data-dir
}

@test "lifecycle: a second server on a port in use fails with exit 4 instead of sharing it" {
    api_start
    run --separate-stderr timeout 20 "$SYNTH" serve --listen "127.0.0.1:$API_PORT" --data-dir "$BATS_TEST_TMPDIR/other"
    [ "$status" -eq 4 ] || fail "second serve on port $API_PORT: status $status: $stderr"
    assert_contains "$stderr" "cannot listen"
    api_stop
}

@test "lifecycle: --auth-failures sets the per-IP failed-auth limit" {
    api_start --auth-failures 3
    for i in 1 2 3; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Authorization: Bearer synth_nope' "$API_URL/v1/datasets")
        [ "$code" = 401 ] || fail "attempt $i: $code"
    done
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Authorization: Bearer synth_nope' "$API_URL/v1/datasets")
    [ "$code" = 429 ] || fail "attempt 4: $code"
    api_stop
    for opt in --auth-failures --max-upload --max-rows; do
        run --separate-stderr timeout 20 "$SYNTH" serve --listen 127.0.0.1:0 --data-dir "$BATS_TEST_TMPDIR/d" $opt 0
        [ "$status" -eq 2 ] || fail "$opt 0: status $status"
        assert_contains "$stderr" "$opt"
    done
}
