/* test_api_keys.c -- unit tests of api/keys.c: secret format, authentication (right key, wrong key,
 * right prefix with a wrong body, malformed, revoked), only the hash at rest, scopes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "keys.h"
#include "test_util.h"

static synth_store *store;

static int setup(void **state)
{
    (void)state;
    if (tu_make_dir("api-keys") != 0)
        return -1;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/data", tu_dir);
    synth_err err;
    return synth_store_open(dir, &store, &err);
}

static int teardown(void **state)
{
    (void)state;
    synth_store_close(store);
    return tu_drop_dir();
}

static int is_b62(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void test_create_format(void **state)
{
    (void)state;
    synth_err err;
    char *secret = NULL;
    synth_key_info info;
    assert_int_equal(synth_keys_create(store, "ci", SYNTH_SCOPE_READ | SYNTH_SCOPE_GENERATE, &secret, &info, &err), 0);
    assert_non_null(secret);
    assert_int_equal(strlen(secret), SYNTH_KEY_SECRET_LEN);
    assert_memory_equal(secret, "synth_", 6);
    assert_int_equal(secret[14], '_');
    for (int i = 6; i < 47; i++)
        if (i != 14)
            assert_true(is_b62(secret[i]));
    assert_memory_equal(info.prefix, secret + 6, 8);
    assert_true(synth_store_id_valid(info.id, "key_"));
    assert_string_equal(info.name, "ci");
    assert_int_equal(info.scopes, SYNTH_SCOPE_READ | SYNTH_SCOPE_GENERATE);
    assert_int_equal(info.revoked_at, 0);

    /* two keys differ */
    char *other = NULL;
    assert_int_equal(synth_keys_create(store, "ci", SYNTH_SCOPE_READ, &other, NULL, &err), 0);
    assert_string_not_equal(secret, other);
    synth_free(other);

    /* bad input */
    char *none = (char *)1;
    assert_int_equal(synth_keys_create(store, "x", 0, &none, NULL, &err), SYNTH_BAD_INPUT);
    assert_null(none);
    assert_int_equal(synth_keys_create(store, "", SYNTH_SCOPE_READ, &none, NULL, &err), SYNTH_BAD_INPUT);
    assert_int_equal(synth_keys_create(store, "a\tb", SYNTH_SCOPE_READ, &none, NULL, &err), SYNTH_BAD_INPUT);
    synth_free(secret);
}

static void test_authenticate(void **state)
{
    (void)state;
    synth_err err;
    char *secret = NULL;
    synth_key_info info, got;
    assert_int_equal(synth_keys_create(store, "auth", SYNTH_SCOPE_GENERATE, &secret, &info, &err), 0);
    assert_int_equal(synth_keys_authenticate(store, secret, &got, &err), 0);
    assert_string_equal(got.id, info.id);
    assert_int_equal(got.scopes, SYNTH_SCOPE_GENERATE);

    /* right prefix, wrong body (one character changed) */
    char wrong[64];
    memcpy(wrong, secret, SYNTH_KEY_SECRET_LEN + 1);
    wrong[40] = wrong[40] == 'a' ? 'b' : 'a';
    assert_int_equal(synth_keys_authenticate(store, wrong, &got, &err), SYNTH_KEYS_DENIED);
    assert_non_null(strstr(err.msg, "wrong"));
    assert_null(strstr(err.msg, wrong + 15));   /* never the secret in messages */
    /* unknown prefix */
    memcpy(wrong, secret, SYNTH_KEY_SECRET_LEN + 1);
    wrong[6] = wrong[6] == 'a' ? 'b' : 'a';
    assert_int_equal(synth_keys_authenticate(store, wrong, &got, &err), SYNTH_KEYS_DENIED);
    assert_non_null(strstr(err.msg, "unknown"));
    /* malformed */
    const char *bad[] = {"", "synth_", "Bearer x", "synth_abcdefgh_short",
                         "synth_abcdefgh-0123456789012345678901234567890a", "synth_abc'efgh_0123456789012345678901234567890a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(synth_keys_authenticate(store, bad[i], &got, &err), SYNTH_KEYS_DENIED);
    assert_int_equal(synth_keys_authenticate(store, NULL, &got, &err), SYNTH_KEYS_DENIED);
    /* a longer token with the right start is not the key */
    char longer[80];
    snprintf(longer, sizeof longer, "%sX", secret);
    assert_int_equal(synth_keys_authenticate(store, longer, &got, &err), SYNTH_KEYS_DENIED);

    /* revoke by prefix, then the key no longer works; revoking again keeps it revoked */
    synth_key_info rev;
    assert_int_equal(synth_keys_revoke(store, info.prefix, &rev, &err), 0);
    assert_true(rev.revoked_at > 0);
    assert_int_equal(synth_keys_authenticate(store, secret, &got, &err), SYNTH_KEYS_DENIED);
    assert_non_null(strstr(err.msg, "revoked"));
    assert_int_equal(synth_keys_revoke(store, info.id, &rev, &err), 0);
    assert_int_equal(synth_keys_revoke(store, "key_ffffffffffffffff", &rev, &err), SYNTH_STORE_NOT_FOUND);
    synth_free(secret);
}

/* The database file holds the SHA-256 of the secret, never the secret or its body. */
static void test_hash_at_rest(void **state)
{
    (void)state;
    synth_err err;
    char *secret = NULL;
    assert_int_equal(synth_keys_create(store, "rest", SYNTH_SCOPE_ADMIN, &secret, NULL, &err), 0);
    char db[512], wal[512];
    snprintf(db, sizeof db, "%s/data/store.db", tu_dir);
    snprintf(wal, sizeof wal, "%s/data/store.db-wal", tu_dir);
    const char *files[] = {db, wal};
    size_t total = 0;
    for (int f = 0; f < 2; f++) {
        FILE *fp = fopen(files[f], "rb");
        if (fp == NULL)
            continue;
        char *buf = malloc(1 << 22);
        assert_non_null(buf);
        size_t n = fread(buf, 1, (1 << 22) - 1, fp);
        fclose(fp);
        total += n;
        assert_null(memmem(buf, n, secret + 15, 32));   /* the body */
        assert_null(memmem(buf, n, secret, 47));
        free(buf);
    }
    assert_true(total > 0);
    /* and the hash is there: SHA-256 hex of the whole secret (computed by sqlite-free means) */
    synth_key_info k;
    char hash[65];
    char prefix[9];
    memcpy(prefix, secret + 6, 8);
    prefix[8] = '\0';
    assert_int_equal(synth_store_key_by_prefix(store, prefix, &k, hash, &err), 0);
    assert_int_equal(strlen(hash), 64);
    json_t *list = NULL;
    assert_int_equal(synth_keys_list_json(store, &list, &err), 0);
    char *text = json_dumps(list, 0);
    assert_null(strstr(text, hash));
    assert_null(strstr(text, secret + 15));
    assert_non_null(strstr(text, prefix));
    free(text);
    json_decref(list);
    synth_free(secret);
}

static void test_scopes(void **state)
{
    (void)state;
    synth_err err;
    unsigned s;
    assert_int_equal(synth_scopes_parse("read,generate", &s, &err), 0);
    assert_int_equal(s, SYNTH_SCOPE_READ | SYNTH_SCOPE_GENERATE);
    assert_int_equal(synth_scopes_parse(" admin , read ", &s, &err), 0);
    assert_int_equal(s, SYNTH_SCOPE_READ | SYNTH_SCOPE_ADMIN);
    assert_int_equal(synth_scopes_parse("read,write", &s, &err), SYNTH_USAGE);
    assert_non_null(strstr(err.msg, "'write'"));
    assert_int_equal(synth_scopes_parse("", &s, &err), SYNTH_USAGE);
    assert_int_equal(synth_scopes_parse(",", &s, &err), SYNTH_USAGE);
    char buf[32];
    synth_scopes_format(SYNTH_SCOPE_ALL, buf, sizeof buf);
    assert_string_equal(buf, "read,generate,admin");
    synth_scopes_format(SYNTH_SCOPE_GENERATE, buf, sizeof buf);
    assert_string_equal(buf, "generate");
    assert_true(synth_scopes_allow(SYNTH_SCOPE_ADMIN, SYNTH_SCOPE_GENERATE));
    assert_true(synth_scopes_allow(SYNTH_SCOPE_ADMIN, SYNTH_SCOPE_READ));
    assert_true(synth_scopes_allow(SYNTH_SCOPE_READ | SYNTH_SCOPE_GENERATE, SYNTH_SCOPE_READ));
    assert_false(synth_scopes_allow(SYNTH_SCOPE_READ, SYNTH_SCOPE_GENERATE));
    assert_false(synth_scopes_allow(SYNTH_SCOPE_GENERATE, SYNTH_SCOPE_ADMIN));
    assert_false(synth_scopes_allow(SYNTH_SCOPE_READ | SYNTH_SCOPE_GENERATE, SYNTH_SCOPE_ADMIN));
    json_t *j = synth_scopes_json(SYNTH_SCOPE_READ | SYNTH_SCOPE_ADMIN);
    assert_int_equal(json_array_size(j), 2);
    assert_string_equal(json_string_value(json_array_get(j, 1)), "admin");
    json_decref(j);
}

static void test_list_json(void **state)
{
    (void)state;
    synth_err err;
    json_t *list = NULL;
    assert_int_equal(synth_keys_list_json(store, &list, &err), 0);
    assert_true(json_array_size(list) >= 4);
    json_t *k0 = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(k0, "name")), "ci");
    assert_non_null(json_object_get(k0, "prefix"));
    assert_null(json_object_get(k0, "hash"));
    assert_null(json_object_get(k0, "secret"));
    assert_true(json_is_array(json_object_get(k0, "scopes")));
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_format), cmocka_unit_test(test_authenticate),
        cmocka_unit_test(test_hash_at_rest),  cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_list_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
