#!/usr/bin/env bats
# 98a_keys.bats -- `synth keys create|list|revoke`: the secret alone on stdout once, only its hash
# stored, listings without secrets, revocation by id or prefix, clear usage errors.

load helpers

setup() {
    D="$BATS_TEST_TMPDIR/var"
}

@test "keys create prints the secret alone on stdout; metadata on stderr" {
    run --separate-stderr "$SYNTH" keys create --name ci --scopes read,generate --data-dir "$D"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" =~ ^synth_[0-9A-Za-z]{8}_[0-9A-Za-z]{32}$ ]] || fail "bad secret: $output"
    [[ "$stderr" == *"prefix ${output:6:8}"* ]] || fail "stderr: $stderr"
    [[ "$stderr" == *"read,generate"* ]]
    [[ "$stderr" != *"${output:15}"* ]] || fail "secret body on stderr"
    # the data dir is private
    [ "$(stat -c %a "$D")" = 700 ]
    [ "$(stat -c %a "$D/store.db")" = 600 ]
}

@test "only the SHA-256 of the secret is stored" {
    key=$("$SYNTH" keys create --name rest --scopes admin --data-dir "$D" 2>/dev/null)
    [ -n "$key" ]
    ! grep -rqF "${key:15}" "$D" || fail "secret body found in $D"
    hash=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)
    [ "$(sqlite3 "$D/store.db" 'SELECT hash FROM api_keys')" = "$hash" ]
}

@test "keys list shows keys (table and JSON) but never secrets or hashes" {
    k1=$("$SYNTH" keys create --name first --scopes read --data-dir "$D" 2>/dev/null)
    k2=$("$SYNTH" keys create --name "second key" --scopes admin --data-dir "$D" 2>/dev/null)
    run --separate-stderr "$SYNTH" keys list --data-dir "$D"
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 3 ]
    [[ "${lines[0]}" == ID* ]]
    [[ "${lines[1]}" == *"${k1:6:8}"*read*first ]]
    [[ "${lines[2]}" == *"${k2:6:8}"*admin*"second key" ]]
    [[ "$output" != *"${k1:15}"* && "$output" != *"${k2:15}"* ]]
    run --separate-stderr "$SYNTH" keys list --data-dir "$D" --json
    [ "$status" -eq 0 ]
    [ "$(jq length <<<"$output")" -eq 2 ]
    [ "$(jq -r '.[1].name' <<<"$output")" = "second key" ]
    [ "$(jq -r '.[1].scopes | join(",")' <<<"$output")" = admin ]
    [ "$(jq -r '.[0].prefix' <<<"$output")" = "${k1:6:8}" ]
    [ "$(jq -r '.[0].revoked_at' <<<"$output")" = null ]
    [ "$(jq -r '[.[] | keys[]] | unique | join(",")' <<<"$output")" = "created_at,id,name,prefix,revoked_at,scopes" ]
    hash=$(printf '%s' "$k1" | sha256sum | cut -d' ' -f1)
    [[ "$output" != *"$hash"* ]]
}

@test "keys revoke by prefix and by id; unknown key is a usage error" {
    k=$("$SYNTH" keys create --name gone --data-dir "$D" 2>/dev/null)
    run --separate-stderr "$SYNTH" keys revoke "${k:6:8}" --data-dir "$D"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *revoked* ]]
    id=$("$SYNTH" keys list --data-dir "$D" --json | jq -r '.[0].id')
    [ "$("$SYNTH" keys list --data-dir "$D" --json | jq -r '.[0].revoked_at')" != null ]
    run --separate-stderr "$SYNTH" keys revoke "$id" --data-dir "$D"
    [ "$status" -eq 0 ]
    run --separate-stderr "$SYNTH" keys revoke key_0000000000000000 --data-dir "$D"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"no key with id or prefix 'key_0000000000000000'"* ]]
    # SQL in the argument is only a value
    run --separate-stderr "$SYNTH" keys revoke "x' OR '1'='1" --data-dir "$D"
    [ "$status" -eq 2 ]
    k2=$("$SYNTH" keys create --name kept --data-dir "$D" 2>/dev/null)
    run --separate-stderr "$SYNTH" keys revoke "' OR 1=1 --" --data-dir "$D"
    [ "$status" -eq 2 ]
    [ "$("$SYNTH" keys list --data-dir "$D" --json | jq -r '.[1].revoked_at')" = null ]
    [ "$(sqlite3 "$D/store.db" "SELECT COUNT(*) FROM audit_log WHERE action = 'key.revoke'")" -eq 2 ]
}

@test "keys: usage errors and --help" {
    run --separate-stderr "$SYNTH" keys create --name x --scopes read,write --data-dir "$D"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"unknown scope 'write'"* ]]
    [ -z "$output" ]
    run --separate-stderr "$SYNTH" keys create --scopes read --data-dir "$D"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--name"* ]]
    run --separate-stderr "$SYNTH" keys create --name x
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"--data-dir"* ]]
    run --separate-stderr "$SYNTH" keys create --name "$(printf 'a\tb')" --data-dir "$D"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"name"* ]]
    run --separate-stderr "$SYNTH" keys
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"create list revoke"* ]]
    run --separate-stderr "$SYNTH" keys revoke --data-dir "$D"
    [ "$status" -eq 2 ]
    run "$SYNTH" keys create --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"--scopes"* ]]
    [[ "$output" == *"once"* ]]
    run "$SYNTH" help keys list
    [ "$status" -eq 0 ]
    [[ "$output" == *"--json"* ]]
}

@test "keys: a data dir that is a file is an I/O error" {
    touch "$BATS_TEST_TMPDIR/file"
    run --separate-stderr "$SYNTH" keys list --data-dir "$BATS_TEST_TMPDIR/file"
    [ "$status" -eq 4 ]
    [[ "$stderr" == *"not a directory"* ]]
}

@test "keys: a store from a newer synth is refused with a clear message" {
    "$SYNTH" keys list --data-dir "$D" >/dev/null
    sqlite3 "$D/store.db" "INSERT INTO schema_migrations(version, applied_at) VALUES (999, 0)"
    run --separate-stderr "$SYNTH" keys list --data-dir "$D"
    [ "$status" -eq 4 ]
    [[ "$stderr" == *"schema version 999"*newer* ]]
}
