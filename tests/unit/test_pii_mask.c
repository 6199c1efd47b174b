/* test_pii_mask.c -- unit tests of pii_mask.c: each operator on hand examples, HMAC against an
 * `openssl dgst` value, tokenization consistency across files and keys, fpe format keeping and
 * decryption back, consistent synthetic fakes, CSV quoting kept, policy and key errors with their
 * messages, and allocation-failure injection (SYNTH_NOMEM, no leak).  Run from the repository
 * root (fixtures in tests/unit/data/pii_mask). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "ff1.h"
#include "pii_mask.h"
#include "test_util.h"

#define DATA "tests/unit/data/pii_mask/"

static synth_mask_key test_key(uint8_t base)
{
    synth_mask_key k;
    memset(&k, 0, sizeof k);
    for (int i = 0; i < 16; i++)
        k.bytes[i] = (uint8_t)(base + i);
    k.len = 16;
    return k;
}

/* The policy must outlive the masker: kept here and freed by masker_done. */
static synth_mask_policy *cur_policy;

static synth_masker *masker_for(const char *policy_json, const char *const *cols, size_t ncols,
                                const synth_mask_key *key)
{
    synth_mask_policy *p = NULL;
    synth_err err;
    if (synth_mask_policy_parse(&p, policy_json, "p.json", &err) != 0)
        fail_msg("policy: %s", err.msg);
    synth_masker *m = NULL;
    if (synth_masker_new(&m, p, cols, NULL, ncols, key, &err) != 0)
        fail_msg("masker: %s", err.msg);
    cur_policy = p;
    return m;
}

static void masker_done(synth_masker *m)
{
    synth_masker_free(m);
    synth_mask_policy_free(cur_policy);
    cur_policy = NULL;
}

static char *mask1(synth_masker *m, size_t col, const char *in, uint64_t row, char *out)
{
    synth_err err;
    size_t n;
    assert_true(synth_masker_bound(m, col, strlen(in)) <= 256);
    if (synth_masker_cell(m, col, in, strlen(in), row, out, &n, &err) != 0)
        fail_msg("cell: %s", err.msg);
    if (strlen(out) != n)
        fail_msg("column %zu: output length %zu, reported %zu", col, strlen(out), n);
    return out;
}

static void test_operators(void **state)
{
    (void)state;
    static const char *const cols[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    synth_mask_key key = test_key(0);
    synth_masker *m = masker_for(
        "{\"columns\": {\"a\": {\"operator\": \"redact\"}, \"b\": {\"operator\": \"replace\", \"value\": \"REDACTED\"},"
        " \"c\": {\"operator\": \"mask\", \"keep_last\": 4, \"char\": \"#\"},"
        " \"d\": {\"operator\": \"mask\", \"keep_first\": 1, \"keep_last\": 1},"
        " \"e\": {\"operator\": \"hash\"}, \"f\": {\"operator\": \"hash\", \"length\": 12},"
        " \"g\": {\"operator\": \"tokenize\"}, \"h\": {\"operator\": \"redact\", \"value\": \"[x]\"}}}",
        cols, 8, &key);
    char out[256];
    assert_string_equal(mask1(m, 0, "secret", 0, out), "");
    assert_string_equal(mask1(m, 1, "Alice", 0, out), "REDACTED");
    assert_string_equal(mask1(m, 2, "123-45-6789", 0, out), "#######6789");
    assert_string_equal(mask1(m, 2, "789", 0, out), "789");
    assert_string_equal(mask1(m, 3, "Zo\xc3\xab M\xc3\xbcller", 0, out), "Z********r");   /* code points */
    assert_string_equal(mask1(m, 3, "\xc3\xa9t\xc3\xa9", 0, out), "\xc3\xa9*\xc3\xa9");
    /* echo -n alice@example.com | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102..0f */
    assert_string_equal(mask1(m, 4, "alice@example.com", 0, out),
                        "5d1fc068857810a7d97bdd4a8d5c6607745f087aa688029c17ff77809fd7fa8a");
    assert_string_equal(mask1(m, 5, "alice@example.com", 0, out), "5d1fc0688578");
    /* tok_ + base32(HMAC(HMAC(key, "synth-mask-v1 tokenize"), value))[:20] */
    assert_string_equal(mask1(m, 6, "C-1001", 0, out), "tok_wqxmziirqqg2pschpwhn");
    assert_string_equal(mask1(m, 7, "x", 0, out), "[x]");
    /* empty cells stay empty, unmasked columns pass */
    assert_string_equal(mask1(m, 1, "", 0, out), "");
    assert_string_equal(mask1(m, 4, "", 0, out), "");
    assert_int_equal(synth_masker_masks(m, 8), 0);
    masker_done(m);
}

static void test_fpe(void **state)
{
    (void)state;
    static const char *const cols[] = {"card", "short"};
    synth_mask_key key = test_key(7);
    synth_masker *m = masker_for("{\"columns\": {\"card\": {\"operator\": \"fpe\"}, \"short\": {\"operator\": "
                                 "\"fpe\", \"tweak\": \"t1\"}}}",
                                 cols, 2, &key);
    static const char *const vals[] = {"4111 1111 1111 1111", "5500-0000-0000-0004", "123-45-6789", "(555) 010-1234",
                                       "000000"};
    synth_ff1 *f = NULL;
    synth_err err;
    assert_int_equal(synth_ff1_new(&f, key.bytes, key.len, 10, &err), 0);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char out[256];
        mask1(m, 0, vals[i], 0, out);
        assert_int_equal(strlen(out), strlen(vals[i]));
        assert_string_not_equal(out, vals[i]);
        char digits[64], back[64];
        size_t nd = 0;
        for (size_t k = 0; vals[i][k]; k++) {
            int isd = vals[i][k] >= '0' && vals[i][k] <= '9';
            assert_int_equal(isd, out[k] >= '0' && out[k] <= '9');   /* format kept */
            if (!isd)
                assert_int_equal(out[k], vals[i][k]);
            else
                digits[nd++] = out[k];
        }
        digits[nd] = '\0';
        assert_int_equal(synth_ff1_decrypt_str(f, digits, NULL, 0, back, &err), 0);
        size_t k2 = 0;
        for (size_t k = 0; vals[i][k]; k++) {
            if (vals[i][k] >= '0' && vals[i][k] <= '9')
                assert_int_equal(back[k2++], vals[i][k]);
        }
        /* deterministic */
        char again[256];
        assert_string_equal(mask1(m, 0, vals[i], 99, again), out);
    }
    /* the tweak changes the ciphertext */
    char a[64], b[64];
    mask1(m, 0, "123456789", 0, a);
    mask1(m, 1, "123456789", 0, b);
    assert_string_not_equal(a, b);
    /* under 6 digits: refused, value not echoed */
    size_t n;
    assert_int_equal(synth_masker_cell(m, 0, "12-345", 6, 0, a, &n, &err), SYNTH_BAD_INPUT);
    assert_non_null(strstr(err.msg, "column 'card'"));
    assert_non_null(strstr(err.msg, "10^6"));
    assert_null(strstr(err.msg, "345"));
    synth_ff1_free(f);
    masker_done(m);
}

static void test_synthetic(void **state)
{
    (void)state;
    static const char *const cols[] = {"phone", "mail"};
    synth_mask_key key = test_key(1);
    synth_masker *m = masker_for("{\"columns\": {\"phone\": {\"operator\": \"synthetic\", \"entity\": \"phone\", "
                                 "\"consistent\": true}, \"mail\": {\"operator\": \"synthetic\", \"entity\": \"email\"}}}",
                                 cols, 2, &key);
    char a[256], b[256], c[256];
    mask1(m, 0, "(555) 010-1234", 0, a);
    mask1(m, 0, "(555) 010-1234", 5, b);
    mask1(m, 0, "(555) 010-9999", 0, c);
    assert_string_equal(a, b);          /* consistent: row does not matter */
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, "(555) 010-1234");
    assert_true(strlen(a) > 0);
    mask1(m, 1, "bob@corp.com", 0, a);
    mask1(m, 1, "bob@corp.com", 1, b);
    assert_non_null(strchr(a, '@'));
    assert_string_not_equal(a, b);      /* not consistent: per row */
    masker_done(m);
    /* non-consistent synthetic needs no key */
    m = masker_for("{\"columns\": {\"mail\": {\"operator\": \"synthetic\", \"entity\": \"email\"}}}", cols, 2, NULL);
    masker_done(m);
}

static void test_entities_section(void **state)
{
    (void)state;
    static const char *const cols[] = {"contact", "email", "x"};
    synth_pii_entity ents[] = {SYNTH_PII_PHONE, SYNTH_PII_ENTITY_COUNT, SYNTH_PII_ENTITY_COUNT};
    synth_mask_policy *p = NULL;
    synth_err err;
    assert_int_equal(synth_mask_policy_parse(&p,
                                             "{\"entities\": {\"phone\": {\"operator\": \"mask\", \"keep_last\": 2},"
                                             " \"email\": {\"operator\": \"redact\", \"value\": \"-\"}}}",
                                             "e.json", &err),
                     0);
    assert_null(synth_mask_policy_key_user(p));
    synth_masker *m = NULL;
    assert_int_equal(synth_masker_new(&m, p, cols, ents, 3, NULL, &err), 0);
    char out[256];
    assert_string_equal(mask1(m, 0, "5550101", 0, out), "*****01");
    assert_string_equal(mask1(m, 1, "a@b.c", 0, out), "-");
    assert_int_equal(synth_masker_masks(m, 2), 0);
    synth_masker_free(m);
    synth_mask_policy_free(p);
}

static void run_csv(const char *in, const char *policy, const char *out, const synth_mask_key *key)
{
    synth_mask_policy *p = NULL;
    synth_err err;
    if (synth_mask_policy_load(&p, policy, &err) != 0)
        fail_msg("%s", err.msg);
    synth_mask_stats st;
    if (synth_mask_csv(in, out, p, key, NULL, &st, &err) != 0)
        fail_msg("%s", err.msg);
    synth_mask_policy_free(p);
}

/* Field `col` (0-based) of data row `row` of a simple CSV text (no quoted fields in those rows). */
static void field(const char *text, int row, int col, char *out, size_t cap)
{
    const char *s = strchr(text, '\n') + 1;
    for (int r = 0; r < row; r++)
        s = strchr(s, '\n') + 1;
    for (int c = 0; c < col; c++)
        s = strchr(s, ',') + 1;
    size_t n = strcspn(s, ",\n");
    assert_true(n < cap);
    memcpy(out, s, n);
    out[n] = '\0';
}

static void test_csv_stream(void **state)
{
    (void)state;
    synth_mask_key key = test_key(0);
    char out[192];
    tu_path(out, sizeof out, ".csv");
    run_csv(DATA "people.csv", DATA "policy.json", out, &key);
    char *text = tu_read(out, NULL);
    /* header kept, quoting of the untouched column kept */
    assert_true(strncmp(text, "id,name,email,ssn,card,phone,note\n", 34) == 0);
    assert_non_null(strstr(text, ",\"likes \"\"quotes\"\", commas\"\n"));
    assert_non_null(strstr(text, ",\"multi\nline\"\n"));
    assert_null(strstr(text, "alice@example.com"));
    assert_null(strstr(text, "123-45-6789"));
    assert_null(strstr(text, "Alice"));
    assert_non_null(strstr(text, "tok_wqxmziirqqg2pschpwhn,REDACTED,5d1fc068857810a7d97bdd4a8d5c6607745f087aa688029c17ff77809fd7fa8a,*******6789"));
    assert_null(strstr(text, "C-100"));
    assert_non_null(strstr(text, ",,,,,,empty cells\n"));
    /* rows 0 and 2 hold the same person: every keyed operator gives the same output */
    char a[128], b[128];
    for (int c = 0; c < 6; c++) {
        field(text, 0, c, a, sizeof a);
        field(text, 3, c, b, sizeof b);   /* row 1 spans two lines: physical line index 3 */
        assert_string_equal(a, b);
    }
    free(text);
}

static void test_tokenize_consistency(void **state)
{
    (void)state;
    synth_mask_key key = test_key(0), other = test_key(100);
    char o1[192], o2[192], o3[192];
    tu_path(o1, sizeof o1, ".csv");
    tu_path(o2, sizeof o2, ".csv");
    tu_path(o3, sizeof o3, ".csv");
    run_csv(DATA "people.csv", DATA "tokenize.json", o1, &key);
    run_csv(DATA "other.csv", DATA "tokenize.json", o2, &key);
    run_csv(DATA "other.csv", DATA "tokenize.json", o3, &other);
    char *t1 = tu_read(o1, NULL), *t2 = tu_read(o2, NULL), *t3 = tu_read(o3, NULL);
    char a[64], b[64], c[64], d[64];
    field(t1, 0, 0, a, sizeof a);   /* C-1001 in people.csv */
    field(t2, 1, 1, b, sizeof b);   /* C-1001 in other.csv */
    field(t3, 1, 1, c, sizeof c);   /* same, other key */
    field(t2, 0, 1, d, sizeof d);   /* C-1003 */
    assert_string_equal(a, "tok_wqxmziirqqg2pschpwhn");
    assert_string_equal(a, b);
    assert_string_not_equal(b, c);
    assert_string_not_equal(b, d);
    assert_true(strncmp(c, "tok_", 4) == 0);
    free(t1);
    free(t2);
    free(t3);
}

static void expect_policy_error(const char *json, const char *want1, const char *want2)
{
    synth_mask_policy *p = NULL;
    synth_err err;
    int rc = synth_mask_policy_parse(&p, json, "pol.json", &err);
    if (rc != SYNTH_USAGE)
        fail_msg("policy %s: rc %d", json, rc);
    assert_null(p);
    if (strstr(err.msg, "pol.json") == NULL || strstr(err.msg, want1) == NULL ||
        (want2 != NULL && strstr(err.msg, want2) == NULL))
        fail_msg("message '%s' lacks '%s' / '%s'", err.msg, want1, want2 ? want2 : "");
}

static void test_policy_errors(void **state)
{
    (void)state;
    expect_policy_error("{\"columns\": {\"a\": {\"operator\": \"scramble\"}}}", "columns.a.operator", "scramble");
    expect_policy_error("{\"columns\": {\"a\": {}}}", "columns.a.operator", NULL);
    expect_policy_error("{\"columns\": {\"a\": {\"operator\": \"mask\", \"keep_last\": -1}}}", "columns.a.keep_last",
                        NULL);
    expect_policy_error("{\"columns\": {\"a\": {\"operator\": \"mask\", \"char\": \"**\"}}}", "columns.a.char", NULL);
    expect_policy_error("{\"columns\": {\"a\": {\"operator\": \"mask\", \"bogus\": 1}}}", "columns.a.bogus",
                        "unknown option");
    expect_policy_error("{\"columns\": {\"a\": {\"operator\": \"hash\", \"length\": 99}}}", "columns.a.length", NULL);
    expect_policy_error("{\"columns\": {\"a\": {\"operator\": \"replace\"}}}", "columns.a.value", "required");
    expect_policy_error("{\"columns\": {\"a\": {\"operator\": \"synthetic\"}}}", "columns.a.entity", "required");
    expect_policy_error("{\"columns\": {\"a\": {\"operator\": \"synthetic\", \"entity\": \"dna\"}}}", "columns.a.entity",
                        "unknown entity");
    expect_policy_error("{\"entities\": {\"dna\": {\"operator\": \"hash\"}}}", "entities.dna", "unknown entity");
    expect_policy_error("{\"colums\": {}}", "colums", "unknown field");
    expect_policy_error("{\"columns\": {}}", "masks nothing", NULL);
    expect_policy_error("[1]", "JSON object", NULL);
    expect_policy_error("{\"columns\": ", "malformed JSON", NULL);

    /* a policy column that is not in the header */
    synth_mask_policy *p = NULL;
    synth_err err;
    assert_int_equal(synth_mask_policy_load(&p, DATA "policy.json", &err), 0);
    synth_mask_key key = test_key(0);
    char out[192];
    tu_path(out, sizeof out, ".csv");
    assert_int_equal(synth_mask_csv(DATA "other.csv", out, p, &key, NULL, NULL, &err), SYNTH_USAGE);
    assert_non_null(strstr(err.msg, DATA "policy.json"));
    assert_non_null(strstr(err.msg, "columns.email"));
    assert_null(fopen(out, "r"));
    synth_mask_policy_free(p);
    assert_int_equal(synth_mask_policy_load(&p, DATA "missing.json", &err), SYNTH_USAGE);
    assert_non_null(strstr(err.msg, "missing.json"));
}

static void test_key_errors(void **state)
{
    (void)state;
    synth_mask_policy *p = NULL;
    synth_err err;
    assert_int_equal(synth_mask_policy_load(&p, DATA "policy.json", &err), 0);
    assert_non_null(synth_mask_policy_key_user(p));
    char out[192];
    tu_path(out, sizeof out, ".csv");
    synth_mask_key none;
    memset(&none, 0, sizeof none);
    assert_int_equal(synth_mask_csv(DATA "people.csv", out, p, &none, NULL, NULL, &err), SYNTH_USAGE);
    assert_non_null(strstr(err.msg, "needs a key"));
    assert_non_null(strstr(err.msg, "operator '"));
    assert_non_null(strstr(err.msg, "SYNTH_MASK_KEY"));
    synth_mask_policy_free(p);

    /* key files: 16/24/32 raw bytes only; message never holds key bytes */
    synth_mask_key k;
    const char *f16 = tu_file(".key", "0123456789abcdef");
    assert_int_equal(synth_mask_key_load(&k, f16, &err), 0);
    assert_int_equal(k.len, 16);
    assert_memory_equal(k.bytes, "0123456789abcdef", 16);
    const char *f17 = tu_file(".key", "0123456789abcdefQ");
    assert_int_equal(synth_mask_key_load(&k, f17, &err), SYNTH_USAGE);
    assert_non_null(strstr(err.msg, "17"));
    assert_null(strstr(err.msg, "0123456789"));
    assert_int_equal(k.len, 0);
    assert_int_equal(synth_mask_key_load(&k, "/nonexistent/k.bin", &err), SYNTH_IO);
    /* environment: hex */
    setenv(SYNTH_MASK_KEY_ENV, "000102030405060708090a0b0c0d0e0f1011121314151617", 1);
    assert_int_equal(synth_mask_key_load(&k, NULL, &err), 0);
    assert_int_equal(k.len, 24);
    assert_int_equal(k.bytes[23], 0x17);
    setenv(SYNTH_MASK_KEY_ENV, "00010203040506070809", 1);
    assert_int_equal(synth_mask_key_load(&k, NULL, &err), SYNTH_USAGE);
    setenv(SYNTH_MASK_KEY_ENV, "zz0102030405060708090a0b0c0d0e0f", 1);
    assert_int_equal(synth_mask_key_load(&k, NULL, &err), SYNTH_USAGE);
    assert_null(strstr(err.msg, "zz"));
    unsetenv(SYNTH_MASK_KEY_ENV);
    assert_int_equal(synth_mask_key_load(&k, NULL, &err), 0);
    assert_int_equal(k.len, 0);
}

static void test_fpe_refusal_in_stream(void **state)
{
    (void)state;
    const char *in = tu_file(".csv", "id,zip\n1,123456\n2,1234\n");
    const char *pol = tu_file(".json", "{\"columns\": {\"zip\": {\"operator\": \"fpe\"}}}");
    synth_mask_policy *p = NULL;
    synth_err err;
    assert_int_equal(synth_mask_policy_load(&p, pol, &err), 0);
    synth_mask_key key = test_key(3);
    char out[192];
    tu_path(out, sizeof out, ".csv");
    assert_int_equal(synth_mask_csv(in, out, p, &key, NULL, NULL, &err), SYNTH_BAD_INPUT);
    assert_non_null(strstr(err.msg, "line 3"));
    assert_non_null(strstr(err.msg, "column 'zip'"));
    assert_null(fopen(out, "r"));   /* nothing left at the final path */
    synth_mask_policy_free(p);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    synth_mask_key key = test_key(0);
    char out[192];
    tu_path(out, sizeof out, ".csv");
    long n;
    int rc = -1;
    for (n = 0; n < 2000; n++) {
        synth_mask_policy *p = NULL;
        synth_err err;
        synth_alloc_fail_after(n, 1);
        rc = synth_mask_policy_load(&p, DATA "policy.json", &err);
        if (rc == 0)
            rc = synth_mask_csv(DATA "people.csv", out, p, &key, NULL, NULL, &err);
        synth_alloc_fail_after(-1, 0);
        synth_mask_policy_free(p);
        if (rc == 0)
            break;
        if (rc != SYNTH_NOMEM)
            fail_msg("allocation %ld: rc %d: %s", n, rc, err.msg);
    }
    assert_int_equal(rc, 0);
    assert_true(n > 3);
}

static int setup(void **state)
{
    (void)state;
    return tu_make_dir("pii-mask");
}

static int teardown(void **state)
{
    (void)state;
    return tu_drop_dir();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_fpe),
        cmocka_unit_test(test_synthetic),
        cmocka_unit_test(test_entities_section),
        cmocka_unit_test(test_csv_stream),
        cmocka_unit_test(test_tokenize_consistency),
        cmocka_unit_test(test_policy_errors),
        cmocka_unit_test(test_key_errors),
        cmocka_unit_test(test_fpe_refusal_in_stream),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
