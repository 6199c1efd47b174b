/* test_pii_leak.c -- unit tests of privacy/pii_leak.c and synth_pii_fake_domain (privacy/pii.c):
 * SipHash-2-4 reference vectors, the bounded hash set (membership, tags across growth, the cap,
 * allocation failures), the fakes' domains, and the leakage checker's exact counts on whole cells,
 * free-text tokens, reformatted values, chance-prone entities, with masked examples only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "pii_leak.h"

static const unsigned char KEY[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void test_siphash_vectors(void **state)
{
    (void)state;
    unsigned char msg[64];
    for (int i = 0; i < 64; i++)
        msg[i] = (unsigned char)i;
    /* Aumasson and Bernstein's reference: the empty message and the paper's 15-byte example */
    assert_true(synth_pii_siphash(KEY, msg, 0) == 0x726fdb47dd0e0e31ULL);
    assert_true(synth_pii_siphash(KEY, msg, 15) == 0xa129ca6149be45e5ULL);
    assert_true(synth_pii_siphash(KEY, msg, 8) == 0x93f5f5799a932462ULL);
    unsigned char other[16];
    memcpy(other, KEY, 16);
    other[0] ^= 1;
    assert_true(synth_pii_siphash(other, msg, 15) != 0xa129ca6149be45e5ULL);
}

static void test_hashset_membership_and_growth(void **state)
{
    (void)state;
    synth_err err;
    synth_pii_hashset *hs = NULL;
    assert_int_equal(synth_pii_hashset_new(100000, KEY, &hs, &err), 0);
    char buf[32];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof buf, "value-%d", i);
        assert_int_equal(synth_pii_hashset_add(hs, buf, (size_t)n, (uint32_t)i), 1);
    }
    assert_int_equal(synth_pii_hashset_count(hs), 20000);
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof buf, "value-%d", i);
        uint32_t *t = synth_pii_hashset_find(hs, buf, (size_t)n);
        assert_non_null(t);
        assert_int_equal(*t, (uint32_t)i);   /* tags survive every doubling */
        assert_int_equal(synth_pii_hashset_add(hs, buf, (size_t)n, 7), 0);
        assert_int_equal(*synth_pii_hashset_find(hs, buf, (size_t)n), (uint32_t)i);
    }
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof buf, "other-%d", i);
        assert_null(synth_pii_hashset_find(hs, buf, (size_t)n));
    }
    uint32_t *t = synth_pii_hashset_find(hs, "value-5", 7);
    *t |= 0x200;
    assert_int_equal(*synth_pii_hashset_find(hs, "value-5", 7), 5 | 0x200);
    assert_int_equal(synth_pii_hashset_dropped(hs), 0);
    synth_pii_hashset_free(hs);
    synth_pii_hashset_free(NULL);
}

static void test_hashset_cap_and_errors(void **state)
{
    (void)state;
    synth_err err;
    synth_pii_hashset *hs = NULL;
    assert_int_equal(synth_pii_hashset_new(0, KEY, &hs, &err), SYNTH_USAGE);
    assert_null(hs);
    assert_int_equal(synth_pii_hashset_new(100, NULL, &hs, &err), 0);   /* random key */
    char buf[32];
    for (int i = 0; i < 150; i++) {
        int n = snprintf(buf, sizeof buf, "v%d", i);
        assert_int_equal(synth_pii_hashset_add(hs, buf, (size_t)n, 0), i < 100 ? 1 : 2);
    }
    assert_int_equal(synth_pii_hashset_count(hs), 100);
    assert_int_equal(synth_pii_hashset_dropped(hs), 50);
    assert_non_null(synth_pii_hashset_find(hs, "v99", 3));
    assert_null(synth_pii_hashset_find(hs, "v100", 4));
    synth_pii_hashset_free(hs);

    /* growth failure: SYNTH_NOMEM, and the set keeps what it had */
    assert_int_equal(synth_pii_hashset_new(10000, KEY, &hs, &err), 0);
    int i = 0, rc = 0;
    for (; i < 512; i++) {   /* fills the first 1024 slots to load 1/2 */
        int n = snprintf(buf, sizeof buf, "w%d", i);
        assert_int_equal(synth_pii_hashset_add(hs, buf, (size_t)n, 0), 1);
    }
    synth_alloc_fail_after(0, 1);
    int n = snprintf(buf, sizeof buf, "w%d", i);
    rc = synth_pii_hashset_add(hs, buf, (size_t)n, 0);
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(rc, SYNTH_NOMEM);
    assert_int_equal(synth_pii_hashset_count(hs), 512);
    assert_non_null(synth_pii_hashset_find(hs, "w0", 2));
    assert_int_equal(synth_pii_hashset_add(hs, buf, (size_t)n, 0), 1);
    synth_pii_hashset_free(hs);
}

static double dom(synth_pii_entity e, const char *s) { return synth_pii_fake_domain(e, s, strlen(s)); }

static void test_fake_domains(void **state)
{
    (void)state;
    char buf[SYNTH_PII_TEXT_MAX];
    /* every fake lies inside its own domain */
    for (uint64_t row = 0; row < 300; row++)
        for (int e = 0; e < (int)SYNTH_PII_ENTITY_COUNT; e++) {
            static const char *const like[] = {NULL, "+44 20 7946 0000", "646.555.0101", "4453 4165 3828 9663",
                                               "SW1A 1AA", "25731-9854", "20.08.1950"};
            for (size_t k = 0; k < sizeof like / sizeof like[0]; k++) {
                size_t n = synth_pii_fake((synth_pii_entity)e, 3, row, 9, like[k], buf);
                assert_true(synth_pii_fake_domain((synth_pii_entity)e, buf, n) > 0);
            }
        }
    assert_true(dom(SYNTH_PII_PHONE, "646.555.0101") == 71200);
    assert_true(dom(SYNTH_PII_PHONE, "+44 7700 900123") == 1000);
    assert_true(dom(SYNTH_PII_PHONE, "+44 20 7946 0000") == 0);
    assert_true(dom(SYNTH_PII_PHONE, "(415) 867-5309") == 0);
    assert_true(dom(SYNTH_PII_CARD, "4453 4165 3828 9663") == 0);
    assert_true(dom(SYNTH_PII_CARD, "4111 1111 1111 1111") > 1e8);
    assert_true(dom(SYNTH_PII_PERSON, "Maria Garcia") == 0);          /* Maria is not a fake first name */
    assert_true(dom(SYNTH_PII_PERSON, "mary smith") == 2500);
    assert_true(dom(SYNTH_PII_PERSON, "Smith, Mary") == 2500);
    assert_true(dom(SYNTH_PII_EMAIL, "maria@gmail.com") == 0);
    assert_true(dom(SYNTH_PII_EMAIL, "kalo@Example.COM") >= 1e10);
    assert_true(dom(SYNTH_PII_IPV4, "203.0.113.4") == 762);
    assert_true(dom(SYNTH_PII_IPV4, "10.0.0.1") == 0);
    assert_true(dom(SYNTH_PII_SSN, "450-55-2519") > 8e8);
    assert_true(dom(SYNTH_PII_POSTAL_CODE, "00100") == 0);
    assert_true(dom(SYNTH_PII_POSTAL_CODE, "42805") == 99450);
    assert_true(dom(SYNTH_PII_DATE_OF_BIRTH, "1980-01-02") == 24106);
}

/* Feed cells (column name, text) to the source side. */
static void add_src(synth_pii_leak *lk, const char *col, const char *cell)
{
    synth_err err;
    assert_int_equal(synth_pii_leak_add_source(lk, cell, strlen(cell), col, &err), 0);
}

static int64_t num(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    assert_true(json_is_integer(v));
    return (int64_t)json_integer_value(v);
}

static const json_t *entity(const json_t *rep, const char *name)
{
    const json_t *ents = json_object_get(rep, "entities");
    for (size_t i = 0; i < json_array_size(ents); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(ents, i), "entity")), name) == 0)
            return json_array_get(ents, i);
    fail_msg("entity %s not in the report", name);
    return NULL;
}

static void test_leak_counts(void **state)
{
    (void)state;
    synth_err err;
    synth_pii_leak_options opt;
    synth_pii_leak_options_init(&opt);
    opt.key = KEY;
    opt.chance_threshold = 0.001;   /* 3 output IPv4s x 1/762 = 0.0039: chance at this threshold */
    synth_pii_leak *lk = NULL;
    assert_int_equal(synth_pii_leak_new(&opt, NULL, &lk, &err), 0);
    add_src(lk, "email", "maria.garcia@gmail.com");
    add_src(lk, "email", "john.tanaka@corp.example");      /* never in the output */
    add_src(lk, "ssn", "450-55-2519");
    add_src(lk, "card", "4453 4165 3828 9663");
    add_src(lk, "notes", "Call +44 20 7946 0000 or mail wei.okafor@mail.co.uk today");
    add_src(lk, "ip", "203.0.113.4");
    add_src(lk, "ip", "203.0.113.4");                       /* duplicates count once */
    const char *cols[] = {"email", "ssn", "card", "notes", "ip"};
    assert_int_equal(synth_pii_leak_set_output_columns(lk, 5, cols, &err), 0);
    const char *rows[][5] = {
        {"kalo@example.com", "123-45-6789", "4111 1111 1111 1111", "nothing here", "192.0.2.1"},
        {"MARIA.GARCIA@gmail.com", "450 55 2519", "4453-4165-3828-9663", "see wei.okafor@mail.co.uk", "203.0.113.4"},
        {"x@example.org", "450-55-2519", "4453416538289663",
         "maria.garcia@gmail.com and wei.okafor@mail.co.uk, +44 20 7946 0000", "203.0.113.4"},
    };
    for (size_t r = 0; r < 3; r++)
        for (size_t c = 0; c < 5; c++)
            synth_pii_leak_scan_output(lk, c, rows[r][c], strlen(rows[r][c]));
    uint64_t lv, lc;
    synth_pii_leak_totals(lk, &lv, &lc);
    json_t *rep = synth_pii_leak_report(lk);
    assert_non_null(rep);
    /* leaks: two e-mails (any case) in 3 cells: "email" row 2, "notes" rows 2 and 3 (one cell holding
     * both counts once); the SSN in 2 cells ("450 55 2519" is one in an ssn-named column); the card,
     * reformatted, in 2 cells; the phone inside free text in 1 cell */
    const json_t *em = entity(rep, "email");
    assert_int_equal(num(em, "leaked_values"), 2);
    assert_int_equal(num(em, "leaked_cells"), 3);
    assert_int_equal(num(entity(rep, "us_ssn"), "leaked_values"), 1);
    assert_int_equal(num(entity(rep, "us_ssn"), "leaked_cells"), 2);
    assert_int_equal(num(entity(rep, "credit_card"), "leaked_values"), 1);
    assert_int_equal(num(entity(rep, "credit_card"), "leaked_cells"), 2);
    assert_int_equal(num(entity(rep, "phone"), "leaked_values"), 1);
    assert_int_equal(num(entity(rep, "phone"), "leaked_cells"), 1);
    /* the documentation IPv4 is inside the fakes' domain, 3 output values x 1/762 >= 0.01: chance */
    const json_t *ip = entity(rep, "ipv4");
    assert_true(json_is_true(json_object_get(ip, "chance_possible")));
    assert_int_equal(num(ip, "leaked_values"), 0);
    assert_int_equal(num(ip, "chance_values"), 1);
    assert_int_equal(num(ip, "chance_cells"), 2);
    assert_int_equal(num(rep, "leaked_values"), 5);
    assert_int_equal(lv, 5);
    assert_int_equal(num(rep, "leaked_cells"), (int64_t)lc);
    assert_true(json_is_false(json_object_get(rep, "passed")));
    assert_int_equal(num(rep, "source_values"), 7);
    /* nothing raw in the report */
    char *text = json_dumps(rep, JSON_COMPACT);
    assert_non_null(text);
    assert_null(strstr(text, "garcia"));
    assert_null(strstr(text, "GARCIA"));
    assert_null(strstr(text, "450-55"));
    assert_null(strstr(text, "450 55"));
    assert_true(strstr(text, "*** ** 2519") != NULL);   /* masked as pii scan does: the last 4 only */
    assert_null(strstr(text, "4453"));
    assert_null(strstr(text, "okafor"));
    assert_null(strstr(text, "7946"));
    free(text);
    json_decref(rep);
    synth_pii_leak_free(lk);
}

static void test_leak_clean_and_cap(void **state)
{
    (void)state;
    synth_err err;
    synth_pii_leak_options opt;
    synth_pii_leak_options_init(&opt);
    opt.max_values = 2;
    synth_pii_leak *lk = NULL;
    assert_int_equal(synth_pii_leak_new(&opt, NULL, &lk, &err), 0);
    add_src(lk, "email", "a.one@gmail.com");
    add_src(lk, "email", "b.two@gmail.com");
    add_src(lk, "email", "c.three@gmail.com");   /* over the cap: dropped, reported */
    const char *cols[] = {"email"};
    assert_int_equal(synth_pii_leak_set_output_columns(lk, 1, cols, &err), 0);
    synth_pii_leak_scan_output(lk, 0, "c.three@gmail.com", 17);
    synth_pii_leak_scan_output(lk, 0, "zed@example.com", 15);
    json_t *rep = synth_pii_leak_report(lk);
    assert_non_null(rep);
    assert_int_equal(num(rep, "leaked_values"), 0);
    assert_true(json_is_true(json_object_get(rep, "passed")));
    assert_true(json_is_false(json_object_get(rep, "complete")));
    assert_int_equal(num(rep, "source_values_dropped"), 1);
    assert_int_equal(num(rep, "output_cells_scanned"), 2);
    assert_int_equal(json_array_size(json_object_get(rep, "columns")), 0);
    json_decref(rep);
    synth_pii_leak_free(lk);
    synth_pii_leak_free(NULL);
}

/* A source without PII cannot leak: the output is not scanned, and the report says so. */
static void test_check_csv_no_source_pii(void **state)
{
    (void)state;
    char src[] = "/tmp/synth-leak-src-XXXXXX", out[] = "/tmp/synth-leak-out-XXXXXX";
    int fs = mkstemp(src), fo = mkstemp(out);
    assert_true(fs >= 0 && fo >= 0);
    FILE *f = fdopen(fs, "w");
    fprintf(f, "age,color\n");
    for (int i = 0; i < 50; i++)
        fprintf(f, "%d,%s\n", 20 + i, i % 2 ? "red" : "blue");
    fclose(f);
    f = fdopen(fo, "w");
    fprintf(f, "age,color\n31,red\nuser1@gmail.com,123-45-6789\n");
    fclose(f);
    synth_pii_leak_options opt;
    synth_pii_leak_options_init(&opt);
    json_t *rep = NULL;
    uint64_t leaked = 7;
    synth_err err;
    assert_int_equal(synth_pii_leak_check_csv(src, out, NULL, &opt, &rep, &leaked, &err), 0);
    assert_int_equal(leaked, 0);
    assert_int_equal(json_integer_value(json_object_get(rep, "source_values")), 0);
    assert_true(json_is_false(json_object_get(rep, "output_scanned")));
    assert_int_equal(json_integer_value(json_object_get(rep, "output_rows")), 0);
    json_decref(rep);
    unlink(src);
    unlink(out);
}

/* The CSV check gives the same report for any thread count (columns are owned by threads). */
static void test_check_csv_threads(void **state)
{
    (void)state;
    char src[] = "/tmp/synth-leak-src-XXXXXX", out[] = "/tmp/synth-leak-out-XXXXXX";
    int fs = mkstemp(src), fo = mkstemp(out);
    assert_true(fs >= 0 && fo >= 0);
    FILE *f = fdopen(fs, "w");
    fprintf(f, "name,email,ssn,notes\n");
    for (int i = 0; i < 300; i++)
        fprintf(f, "x%d,user%d@gmail.com,%03d-%02d-%04d,\"write to user%d@gmail.com, or 203.0.113.%d\"\n", i, i,
                100 + i, 1 + i % 98, 1000 + i, i + 1, 1 + i % 250);
    fclose(f);
    f = fdopen(fo, "w");
    fprintf(f, "name,email,ssn,notes\n");
    for (int i = 0; i < 3000; i++)   /* every 7th row copies a source e-mail, every 11th an SSN */
        fprintf(f, "y%d,%s%d@%s,%03d-%02d-%04d,text 203.0.113.%d\n", i, i % 7 ? "fake" : "user", i % 300,
                i % 7 ? "example.com" : "gmail.com", i % 11 ? 700 : 100 + i % 300, i % 11 ? 5 : 1 + (i % 300) % 98,
                i % 11 ? 5555 : 1000 + i % 300, 1 + i % 250);
    fclose(f);
    char *text[2];
    for (int k = 0; k < 2; k++) {
        synth_pii_leak_options opt;
        synth_pii_leak_options_init(&opt);
        opt.threads = k == 0 ? 1 : 3;
        json_t *rep = NULL;
        uint64_t leaked = 0;
        synth_err err;
        assert_int_equal(synth_pii_leak_check_csv(src, out, NULL, &opt, &rep, &leaked, &err), 0);
        assert_true(leaked > 0);
        assert_int_equal(json_integer_value(json_object_get(rep, "leaked_values")), (json_int_t)leaked);
        assert_int_equal(json_integer_value(json_object_get(rep, "output_rows")), 3000);
        assert_true(json_is_true(json_object_get(rep, "output_scanned")));
        text[k] = json_dumps(rep, JSON_SORT_KEYS | JSON_COMPACT);
        json_decref(rep);
    }
    assert_string_equal(text[0], text[1]);
    free(text[0]);
    free(text[1]);
    unlink(src);
    unlink(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_vectors),
        cmocka_unit_test(test_hashset_membership_and_growth),
        cmocka_unit_test(test_hashset_cap_and_errors),
        cmocka_unit_test(test_fake_domains),
        cmocka_unit_test(test_leak_counts),
        cmocka_unit_test(test_leak_clean_and_cap),
        cmocka_unit_test(test_check_csv_threads),
        cmocka_unit_test(test_check_csv_no_source_pii),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
