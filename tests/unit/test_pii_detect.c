/* test_pii_detect.c -- unit tests of privacy/pii_detect.c: every recognizer's positives and
 * near-miss negatives (bad Luhn, wrong card lengths, SSN 000/666/9xx/00/0000, IBAN with a bad check
 * digit, 256.1.1.1, leading zeros, ...), column-name context, free-text cells with several matches,
 * masking, the column decision on a small CSV, allocation failures, and precision/recall on the
 * labelled file tests/unit/data/pii/labelled.csv.
 *
 * Labelled file convention: every data column X is followed by a column "X__label" whose cell holds
 * the ';'-separated entity names ("email", "phone", "person_name;email", ...) present in X's cell of
 * the same row, empty for none.  A data column whose labels are all empty is a decoy and must not be
 * reported as PII; "__label" columns are skipped.  Run from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "csv_reader.h"
#include "pii_detect.h"
#include "test_util.h"

#define LABELLED "tests/unit/data/pii/labelled.csv"
#define NAMES "datasets/names.txt"

static synth_pii_names *g_names;

static int setup(void **state)
{
    (void)state;
    synth_err err;
    if (tu_make_dir("pii"))
        return -1;
    return synth_pii_names_load(NAMES, &g_names, &err);
}

static int teardown(void **state)
{
    (void)state;
    synth_pii_names_free(g_names);
    return tu_drop_dir();
}

static const char *const k_names[] = {
#define X(name, text) text,
    SYNTH_PII_ENTITIES(X)
#undef X
};

/* Does s (in column col) hold a match of entity e?  exact: the match covers the whole string. */
static int finds(const char *s, const char *col, synth_pii_entity e, int exact)
{
    synth_pii_match m[32];
    size_t n = synth_pii_find_ex(s, strlen(s), col, g_names, m, 32);
    for (size_t i = 0; i < n; i++) {
        assert_true(m[i].start + m[i].len <= strlen(s));
        assert_true(m[i].score > 0 && m[i].score <= 1.0);
        if (m[i].entity == e && (!exact || (m[i].start == 0 && m[i].len == strlen(s))))
            return 1;
    }
    return 0;
}

typedef struct rec_case {
    const char *text;
    const char *column;
    synth_pii_entity entity;
    int expect;
} rec_case;

static void run_cases(const rec_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int got = finds(c[i].text, c[i].column, c[i].entity, c[i].expect);
        if (got != c[i].expect)
            fail_msg("'%s' (column %s): expected %s%s", c[i].text, c[i].column ? c[i].column : "-",
                     c[i].expect ? "" : "no ", k_names[c[i].entity]);
    }
}

#define RUN(cases) run_cases(cases, sizeof cases / sizeof cases[0])

static void test_email_url(void **state)
{
    (void)state;
    static const rec_case c[] = {
        {"jane.doe@example.com", NULL, SYNTH_PII_EMAIL, 1},
        {"j_o+tag@mail.example.co.uk", NULL, SYNTH_PII_EMAIL, 1},
        {"jane@localhost", NULL, SYNTH_PII_EMAIL, 0},
        {"jane@example.c", NULL, SYNTH_PII_EMAIL, 0},
        {"@example.com", NULL, SYNTH_PII_EMAIL, 0},
        {"jane@-bad.com", NULL, SYNTH_PII_EMAIL, 0},
        {"https://www.example.com/a?b=1", NULL, SYNTH_PII_URL, 1},
        {"http://example.org", NULL, SYNTH_PII_URL, 1},
        {"www.example.net/x", NULL, SYNTH_PII_URL, 1},
        {"https://", NULL, SYNTH_PII_URL, 0},
        {"http://nohost/", NULL, SYNTH_PII_URL, 0},
        {"file.www.txt", NULL, SYNTH_PII_URL, 0},
    };
    RUN(c);
}

static void test_phone(void **state)
{
    (void)state;
    static const rec_case c[] = {
        {"+14155552671", NULL, SYNTH_PII_PHONE, 1},
        {"(415) 555-2671", NULL, SYNTH_PII_PHONE, 1},
        {"415-555-2671", NULL, SYNTH_PII_PHONE, 1},
        {"415.555.2671", NULL, SYNTH_PII_PHONE, 1},
        {"1 415 555 2671", NULL, SYNTH_PII_PHONE, 1},
        {"+44 20 7946 0958", NULL, SYNTH_PII_PHONE, 1},
        {"+49 30 90182000", NULL, SYNTH_PII_PHONE, 1},
        {"020 7946 0958", NULL, SYNTH_PII_PHONE, 1},
        {"4155552671", "phone", SYNTH_PII_PHONE, 1},
        {"4155552671", NULL, SYNTH_PII_PHONE, 0},          /* bare digits need a phone column */
        {"115-555-2671", NULL, SYNTH_PII_PHONE, 0},        /* area code cannot start with 1 */
        {"415-155-2671", NULL, SYNTH_PII_PHONE, 0},        /* nor the exchange */
        {"415-555-267", NULL, SYNTH_PII_PHONE, 0},
        {"+1 415 555 267", NULL, SYNTH_PII_PHONE, 0},      /* +1 needs 10 more digits */
        {"2024-01-05", NULL, SYNTH_PII_PHONE, 0},
        {"ORD-2024-000123", NULL, SYNTH_PII_PHONE, 0},
        {"1,249.00", NULL, SYNTH_PII_PHONE, 0},
        {"415-555-2671-99", NULL, SYNTH_PII_PHONE, 0},
    };
    RUN(c);
}

static void test_ssn(void **state)
{
    (void)state;
    static const rec_case c[] = {
        {"123-45-6789", NULL, SYNTH_PII_SSN, 1},
        {"665-01-0001", NULL, SYNTH_PII_SSN, 1},
        {"123456789", "ssn", SYNTH_PII_SSN, 1},
        {"123 45 6789", "social_security_number", SYNTH_PII_SSN, 1},
        {"123456789", NULL, SYNTH_PII_SSN, 0},             /* bare 9 digits need a hint */
        {"123456789", "order_number", SYNTH_PII_SSN, 0},
        {"000-12-3456", NULL, SYNTH_PII_SSN, 0},
        {"666-12-3456", NULL, SYNTH_PII_SSN, 0},
        {"900-12-3456", NULL, SYNTH_PII_SSN, 0},
        {"999-12-3456", NULL, SYNTH_PII_SSN, 0},
        {"123-00-4567", NULL, SYNTH_PII_SSN, 0},
        {"123-45-0000", NULL, SYNTH_PII_SSN, 0},
        {"000123456", "ssn", SYNTH_PII_SSN, 0},
        {"123-456-789", NULL, SYNTH_PII_SSN, 0},
        {"A123-45-6789", NULL, SYNTH_PII_SSN, 0},
    };
    RUN(c);
}

static void test_card(void **state)
{
    (void)state;
    static const rec_case c[] = {
        {"4242424242424242", NULL, SYNTH_PII_CARD, 1},
        {"4242 4242 4242 4242", NULL, SYNTH_PII_CARD, 1},
        {"4111-1111-1111-1111", NULL, SYNTH_PII_CARD, 1},
        {"4222222222222", NULL, SYNTH_PII_CARD, 1},          /* Visa 13 */
        {"5555555555554444", NULL, SYNTH_PII_CARD, 1},
        {"2223003122003222", NULL, SYNTH_PII_CARD, 1},       /* Mastercard 2-series */
        {"3782 822463 10005", NULL, SYNTH_PII_CARD, 1},      /* Amex 4-6-5 */
        {"371449635398431", NULL, SYNTH_PII_CARD, 1},
        {"6011111111111117", NULL, SYNTH_PII_CARD, 1},
        {"6445644564456445", NULL, SYNTH_PII_CARD, 1},
        {"4242424242424241", NULL, SYNTH_PII_CARD, 0},       /* Luhn fails */
        {"5555555555554440", NULL, SYNTH_PII_CARD, 0},
        {"378282246310005", NULL, SYNTH_PII_CARD, 1},
        {"37828224631000", NULL, SYNTH_PII_CARD, 0},         /* Amex must be 15 */
        {"555555555555444", NULL, SYNTH_PII_CARD, 0},        /* Mastercard must be 16 */
        {"1234567812345670", NULL, SYNTH_PII_CARD, 0},       /* Luhn ok, no issuer */
        {"2721000000000004", NULL, SYNTH_PII_CARD, 0},       /* above the 2-series */
        {"42424242424242424242", NULL, SYNTH_PII_CARD, 0},   /* 20 digits */
        {"4242 4242-4242 4242", NULL, SYNTH_PII_CARD, 0},    /* mixed separators */
    };
    RUN(c);
}

static void test_iban(void **state)
{
    (void)state;
    static const rec_case c[] = {
        {"DE89370400440532013000", NULL, SYNTH_PII_IBAN, 1},
        {"DE89 3704 0044 0532 0130 00", NULL, SYNTH_PII_IBAN, 1},
        {"GB82WEST12345698765432", NULL, SYNTH_PII_IBAN, 1},
        {"FR1420041010050500013M02606", NULL, SYNTH_PII_IBAN, 1},
        {"NL91ABNA0417164300", NULL, SYNTH_PII_IBAN, 1},
        {"DE88370400440532013000", NULL, SYNTH_PII_IBAN, 0},   /* bad check digits */
        {"DE8937040044053201300", NULL, SYNTH_PII_IBAN, 0},    /* one short */
        {"DE893704004405320130001", NULL, SYNTH_PII_IBAN, 0},  /* one long */
        {"XX89370400440532013000", NULL, SYNTH_PII_IBAN, 0},   /* unknown country */
    };
    RUN(c);
}

static void test_network(void **state)
{
    (void)state;
    static const rec_case c[] = {
        {"192.168.0.1", NULL, SYNTH_PII_IPV4, 1},
        {"0.0.0.0", NULL, SYNTH_PII_IPV4, 1},
        {"255.255.255.255", NULL, SYNTH_PII_IPV4, 1},
        {"256.1.1.1", NULL, SYNTH_PII_IPV4, 0},
        {"1.2.3.256", NULL, SYNTH_PII_IPV4, 0},
        {"192.168.01.1", NULL, SYNTH_PII_IPV4, 0},
        {"010.1.1.1", NULL, SYNTH_PII_IPV4, 0},
        {"1.2.3", NULL, SYNTH_PII_IPV4, 0},
        {"1.2.3.4.5", NULL, SYNTH_PII_IPV4, 0},
        {"v1.2.3.4", NULL, SYNTH_PII_IPV4, 0},
        {"2001:0db8:85a3:0000:0000:8a2e:0370:7334", NULL, SYNTH_PII_IPV6, 1},
        {"2001:db8::1", NULL, SYNTH_PII_IPV6, 1},
        {"::1", NULL, SYNTH_PII_IPV6, 1},
        {"fe80::", NULL, SYNTH_PII_IPV6, 1},
        {"::ffff:192.0.2.1", NULL, SYNTH_PII_IPV6, 1},
        {"2001:db8::1::2", NULL, SYNTH_PII_IPV6, 0},
        {"12:30:45", NULL, SYNTH_PII_IPV6, 0},
        {"2001:db8:g::1", NULL, SYNTH_PII_IPV6, 0},
        {"00:1A:2b:3C:4d:5E", NULL, SYNTH_PII_MAC, 1},
        {"00-1a-2b-3c-4d-5e", NULL, SYNTH_PII_MAC, 1},
        {"00:1a-2b:3c:4d:5e", NULL, SYNTH_PII_MAC, 0},
        {"00:1a:2b:3c:4d", NULL, SYNTH_PII_MAC, 0},
        {"00:1a:2b:3c:4d:5e:6f", NULL, SYNTH_PII_MAC, 0},
        {"00:1g:2b:3c:4d:5e", NULL, SYNTH_PII_MAC, 0},
    };
    RUN(c);
}

static void test_context_entities(void **state)
{
    (void)state;
    static const rec_case c[] = {
        {"1985-03-12", "date_of_birth", SYNTH_PII_DATE_OF_BIRTH, 1},
        {"03/12/1985", "dob", SYNTH_PII_DATE_OF_BIRTH, 1},
        {"12.03.1985", "Birthday", SYNTH_PII_DATE_OF_BIRTH, 1},
        {"March 5, 1985", "birth_date", SYNTH_PII_DATE_OF_BIRTH, 1},
        {"5 Mar 1985", "dateOfBirth", SYNTH_PII_DATE_OF_BIRTH, 1},
        {"1985-03-12", "created_at", SYNTH_PII_DATE_OF_BIRTH, 0},
        {"1985-13-12", "dob", SYNTH_PII_DATE_OF_BIRTH, 0},
        {"1850-01-01", "dob", SYNTH_PII_DATE_OF_BIRTH, 0},
        {"94103", "zip", SYNTH_PII_POSTAL_CODE, 1},
        {"94103-1234", "postal_code", SYNTH_PII_POSTAL_CODE, 1},
        {"94103", "quantity", SYNTH_PII_POSTAL_CODE, 0},
        {"9410", "zip", SYNTH_PII_POSTAL_CODE, 0},
        {"SW1A 1AA", NULL, SYNTH_PII_POSTAL_CODE, 1},
        {"M1 1AE", NULL, SYNTH_PII_POSTAL_CODE, 1},
        {"DN55 1PT", NULL, SYNTH_PII_POSTAL_CODE, 1},
        {"SW1A 1A", NULL, SYNTH_PII_POSTAL_CODE, 0},
        {"sw1a 1aa", NULL, SYNTH_PII_POSTAL_CODE, 0},
        {"Maria Garcia", NULL, SYNTH_PII_PERSON, 1},
        {"Jean Dupont", "comment", SYNTH_PII_PERSON, 1},
        {"Maria", NULL, SYNTH_PII_PERSON, 0},                /* one word needs a name column */
        {"Maria", "first_name", SYNTH_PII_PERSON, 1},
        {"Zorblax Quux", "customer_name", SYNTH_PII_PERSON, 1}, /* name column: any short word pair */
        {"Zorblax Quux", NULL, SYNTH_PII_PERSON, 0},
        {"unknown", "name", SYNTH_PII_PERSON, 0},
        {"Widget Pro 3000", "product_name", SYNTH_PII_PERSON, 0},
        {"maria garcia", NULL, SYNTH_PII_PERSON, 0},         /* free text needs capitals */
    };
    RUN(c);
}

static void test_without_dictionary(void **state)
{
    (void)state;
    synth_pii_match m[8];
    assert_int_equal(synth_pii_find("Maria Garcia", 12, NULL, m, 8), 0);
    assert_int_equal(synth_pii_find("Maria Garcia", 12, "full_name", m, 8), 1);
    assert_int_equal(m[0].entity, SYNTH_PII_PERSON);
    assert_int_equal(synth_pii_names_count(NULL), 0);
    assert_true(synth_pii_names_count(g_names) > 300);
    assert_true(synth_pii_names_contains(g_names, "GARCIA", 6));
    assert_true(synth_pii_names_contains(g_names, "O'Brien", 7));
    assert_false(synth_pii_names_contains(g_names, "zorblax", 7));
    synth_pii_names *nm = NULL;
    synth_err err;
    assert_int_equal(synth_pii_names_load("/nonexistent/names.txt", &nm, &err), SYNTH_IO);
    assert_null(nm);
}

static void test_free_text(void **state)
{
    (void)state;
    const char *s = "Call Maria Garcia at (415) 555-2671 or mail maria.g@example.com; card 4242 4242 4242 4242, "
                    "IP 192.0.2.7, order ORD-2024-000123 total 1,249.00.";
    synth_pii_match m[16];
    size_t n = synth_pii_find_ex(s, strlen(s), "notes", g_names, m, 16);
    static const synth_pii_entity want[] = {SYNTH_PII_PERSON, SYNTH_PII_PHONE, SYNTH_PII_EMAIL, SYNTH_PII_CARD,
                                            SYNTH_PII_IPV4};
    static const char *const text[] = {"Maria Garcia", "(415) 555-2671", "maria.g@example.com",
                                       "4242 4242 4242 4242", "192.0.2.7"};
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(m[i].entity, want[i]);
        assert_int_equal(m[i].len, strlen(text[i]));
        assert_memory_equal(s + m[i].start, text[i], m[i].len);
        if (i > 0)
            assert_true(m[i].start >= m[i - 1].start + m[i - 1].len);
    }
    /* max caps the count; a URL swallows the email inside it. */
    assert_int_equal(synth_pii_find_ex(s, strlen(s), NULL, g_names, m, 2), 2);
    const char *u = "see https://example.com/?mail=a@b.example.com now";
    n = synth_pii_find(u, strlen(u), NULL, m, 16);
    assert_int_equal(n, 1);
    assert_int_equal(m[0].entity, SYNTH_PII_URL);
    /* Empty, blank and NUL-free cells with no PII. */
    assert_int_equal(synth_pii_find("", 0, NULL, m, 16), 0);
    assert_int_equal(synth_pii_find("   ", 3, "email", m, 16), 0);
    assert_int_equal(synth_pii_find("shipped", 7, NULL, m, 16), 0);
    /* len bounds the scan: a match past len is not seen. */
    assert_int_equal(synth_pii_find("ab 123-45-6789", 8, NULL, m, 16), 0);
}

static void test_masking(void **state)
{
    (void)state;
    static const struct {
        synth_pii_entity e;
        const char *in, *out;
    } c[] = {
        {SYNTH_PII_EMAIL, "jane@example.com", "j***@e******.com"},
        {SYNTH_PII_SSN, "123-45-6789", "***-**-6789"},
        {SYNTH_PII_CARD, "4242 4242 4242 4242", "**** **** **** 4242"},
        {SYNTH_PII_PHONE, "(415) 555-2671", "(***) ***-2671"},
        {SYNTH_PII_IBAN, "DE89370400440532013000", "DE****************3000"},
        {SYNTH_PII_IPV4, "192.168.10.23", "***.***.**.23"},
        {SYNTH_PII_PERSON, "Maria Garcia", "M**** G*****"},
        {SYNTH_PII_POSTAL_CODE, "94103", "***03"},
    };
    char buf[SYNTH_PII_MASK_MAX];
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        size_t n = synth_pii_mask(c[i].e, c[i].in, strlen(c[i].in), buf);
        assert_int_equal(n, strlen(buf));
        assert_string_equal(buf, c[i].out);
    }
    char longv[300];
    memset(longv, 'a', sizeof longv);
    size_t n = synth_pii_mask(SYNTH_PII_URL, longv, sizeof longv, buf);
    assert_true(n < SYNTH_PII_MASK_MAX);
    assert_int_equal(strlen(buf), n);
}

static void test_column_decision(void **state)
{
    (void)state;
    synth_pii_column_counts c;
    synth_pii_column_report r;
    memset(&c, 0, sizeof c);
    synth_pii_column_decide(&c, 0, &r);
    assert_false(r.is_pii);
    c.nonempty = 10;
    c.cells[SYNTH_PII_EMAIL] = 5;
    c.whole[SYNTH_PII_EMAIL] = 5;
    c.score_sum[SYNTH_PII_EMAIL] = 5 * 0.95;
    synth_pii_column_decide(&c, 0, &r);
    assert_true(r.is_pii);
    assert_int_equal(r.entity, SYNTH_PII_EMAIL);
    assert_false(r.free_text);
    assert_true(r.confidence > 0.9);
    c.cells[SYNTH_PII_EMAIL] = 3;  /* 30%: needs a hint */
    c.whole[SYNTH_PII_EMAIL] = 3;
    c.score_sum[SYNTH_PII_EMAIL] = 3 * 0.95;
    synth_pii_column_decide(&c, 0, &r);
    assert_false(r.is_pii);
    synth_pii_column_decide(&c, 1u << SYNTH_PII_EMAIL, &r);
    assert_true(r.is_pii);
    c.cells[SYNTH_PII_PHONE] = 3;  /* mixed "contact" column: 30% email + 30% phone */
    c.whole[SYNTH_PII_PHONE] = 3;
    c.score_sum[SYNTH_PII_PHONE] = 3 * 0.75;
    c.any_cells = 6;
    synth_pii_column_decide(&c, 0, &r);
    assert_true(r.is_pii);
    assert_int_equal(r.entity, SYNTH_PII_EMAIL);
    c.cells[SYNTH_PII_PHONE] = c.whole[SYNTH_PII_PHONE] = 0;
    c.score_sum[SYNTH_PII_PHONE] = 0;
    c.any_cells = 3;
    c.whole[SYNTH_PII_EMAIL] = 0;  /* free text: 2+ cells suffice */
    c.cells[SYNTH_PII_EMAIL] = 2;
    c.score_sum[SYNTH_PII_EMAIL] = 2 * 0.95;
    c.any_cells = 2;
    synth_pii_column_decide(&c, 0, &r);
    assert_true(r.is_pii);
    assert_true(r.free_text);

    const char *csv = "id,contact,mixed,comment,zip,city\n"
                      "1,ann@example.com,415-555-2671,hello,94103,Paris\n"
                      "2,bob@example.org,n/a,mail me at x.y@example.com,10001,Lyon\n"
                      "3,carol@example.net,n/a,fine,02139,Nice\n"
                      "4,,n/a,call 212-555-0101 please,60601,Lille\n";
    const char *path = tu_file(".csv", csv);
    json_t *rep = NULL;
    synth_err err;
    assert_int_equal(synth_pii_scan_csv_ex(path, NULL, 0, g_names, "x", &rep, &err), 0);
    json_t *cols = json_object_get(rep, "columns");
    assert_int_equal(json_array_size(cols), 6);
    static const int want_pii[] = {0, 1, 0, 1, 1, 0};
    static const char *const want_entity[] = {NULL, "email", "phone", "email", "postal_code", NULL};
    for (size_t i = 0; i < 6; i++) {
        json_t *o = json_array_get(cols, i);
        if (json_is_true(json_object_get(o, "is_pii")) != want_pii[i])
            fail_msg("column %zu: is_pii", i);
        if (want_entity[i] != NULL)
            assert_string_equal(json_string_value(json_object_get(o, "entity")), want_entity[i]);
    }
    assert_true(json_is_true(json_object_get(json_array_get(cols, 3), "free_text")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(cols, 1), "example")), "a***@e******.com");
    assert_int_equal(json_integer_value(json_object_get(rep, "rows_scanned")), 4);
    json_decref(rep);
    /* max_rows, and no dictionary. */
    assert_int_equal(synth_pii_scan_csv_ex(path, NULL, 1, NULL, NULL, &rep, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(rep, "rows_scanned")), 1);
    assert_string_equal(json_string_value(json_object_get(rep, "name_detection")), "column-names-only");
    assert_true(json_is_null(json_object_get(rep, "name_dictionary")));
    json_decref(rep);
    assert_int_equal(synth_pii_scan_csv_ex("/nonexistent.csv", NULL, 0, NULL, NULL, &rep, &err), SYNTH_IO);
    assert_null(rep);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    const char *path = tu_file(".csv", "email,n\na@example.com,1\nb@example.com,2\n");
    synth_err err;
    json_t *rep = NULL;
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(synth_pii_scan_csv_ex(path, NULL, 0, g_names, "x", &rep, &err), 0);
    json_decref(rep);
    long need = synth_alloc_fail_after(-1, 0);
    for (long k = 0; k < need; k++) {
        synth_alloc_fail_after(k, 1);
        rep = NULL;
        int rc = synth_pii_scan_csv_ex(path, NULL, 0, g_names, "x", &rep, &err);
        synth_alloc_fail_after(-1, 0);
        assert_int_equal(rc, SYNTH_NOMEM);
        assert_null(rep);
    }
    for (long k = 0; k < 3; k++) {
        synth_pii_names *nm = NULL;
        synth_alloc_fail_after(k, 1);
        int rc = synth_pii_names_load(NAMES, &nm, &err);
        synth_alloc_fail_after(-1, 0);
        assert_int_equal(rc, SYNTH_NOMEM);
        assert_null(nm);
    }
}

/* ---- the labelled file ------------------------------------------------------------------------------------ */

static int label_has(const char *labels, size_t len, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && labels[e] != ';')
            e++;
        if (e - i == nl && memcmp(labels + i, name, nl) == 0)
            return 1;
        i = e + 1;
    }
    return 0;
}

static void test_labelled_precision_recall(void **state)
{
    (void)state;
    synth_csv_reader *rd = NULL;
    synth_err err;
    assert_int_equal(synth_csv_reader_open(&rd, LABELLED, NULL, &err), 0);
    size_t ncols = synth_csv_reader_ncols(rd);
    size_t tp[SYNTH_PII_ENTITY_COUNT] = {0}, fp[SYNTH_PII_ENTITY_COUNT] = {0}, fn[SYNTH_PII_ENTITY_COUNT] = {0};
    const synth_csv_chunk *ch;
    while (synth_csv_reader_next(rd, &ch, &err) == 1) {
        for (size_t c = 0; c + 1 < ncols; c++) {
            const char *name = synth_csv_reader_column_name(rd, c);
            const char *lname = synth_csv_reader_column_name(rd, c + 1);
            if (strstr(name, "__label") != NULL)
                continue;
            assert_true(strlen(lname) == strlen(name) + 7 && strncmp(lname, name, strlen(name)) == 0);
            for (size_t r = 0; r < ch->nrows; r++) {
                size_t len, llen;
                const char *cell = synth_csv_cell(ch, r, c, &len);
                const char *lab = synth_csv_cell(ch, r, c + 1, &llen);
                synth_pii_match m[32];
                size_t n = synth_pii_find_ex(cell, len, name, g_names, m, 32);
                for (size_t e = 0; e < SYNTH_PII_ENTITY_COUNT; e++) {
                    int found = 0;
                    for (size_t k = 0; k < n; k++)
                        found |= m[k].entity == e;
                    int truth = label_has(lab, llen, k_names[e]);
                    tp[e] += found && truth;
                    fp[e] += found && !truth;
                    fn[e] += !found && truth;
                    if (found != truth)
                        print_message("labelled: column %s row %zu: %s %s\n", name, r + 1,
                                      found ? "false positive" : "missed", k_names[e]);
                }
            }
        }
    }
    synth_csv_reader_free(rd);
    size_t TP = 0, FP = 0, FN = 0;
    print_message("labelled.csv cell-level results (entity: precision recall tp fp fn)\n");
    for (size_t e = 0; e < SYNTH_PII_ENTITY_COUNT; e++) {
        double p = tp[e] + fp[e] ? (double)tp[e] / (double)(tp[e] + fp[e]) : 1.0;
        double rcl = tp[e] + fn[e] ? (double)tp[e] / (double)(tp[e] + fn[e]) : 1.0;
        print_message("  %-14s %.3f %.3f %3zu %3zu %3zu\n", k_names[e], p, rcl, tp[e], fp[e], fn[e]);
        assert_true(p >= 0.95);
        assert_true(rcl >= 0.95);
        TP += tp[e];
        FP += fp[e];
        FN += fn[e];
    }
    double P = (double)TP / (double)(TP + FP), R = (double)TP / (double)(TP + FN);
    print_message("  %-14s %.3f %.3f %3zu %3zu %3zu\n", "overall", P, R, TP, FP, FN);
    assert_true(P >= 0.95);
    assert_true(R >= 0.95);
}

/* Column level on the labelled file: PII columns found, decoys not, and no raw value in the JSON. */
static void test_labelled_columns_and_masking(void **state)
{
    (void)state;
    json_t *rep = NULL;
    synth_err err;
    assert_int_equal(synth_pii_scan_csv_ex(LABELLED, NULL, 0, g_names, NAMES, &rep, &err), 0);
    char *json = json_dumps(rep, 0);
    assert_non_null(json);
    json_t *cols = json_object_get(rep, "columns");
    synth_csv_reader *rd = NULL;
    assert_int_equal(synth_csv_reader_open(&rd, LABELLED, NULL, &err), 0);
    size_t ncols = synth_csv_reader_ncols(rd);
    assert_int_equal(json_array_size(cols), ncols);
    const synth_csv_chunk *ch;
    assert_int_equal(synth_csv_reader_next(rd, &ch, &err), 1);
    size_t tp = 0, fp = 0, fn = 0;
    for (size_t c = 0; c + 1 < ncols; c++) {
        const char *name = synth_csv_reader_column_name(rd, c);
        if (strstr(name, "__label") != NULL)
            continue;
        int truth = 0;
        for (size_t r = 0; r < ch->nrows; r++) {
            size_t len, llen;
            const char *cell = synth_csv_cell(ch, r, c, &len);
            synth_csv_cell(ch, r, c + 1, &llen);
            truth |= llen > 0;
            /* No raw PII value (nor its last 6 characters + anything before) appears in the report. */
            if (llen > 0 && len >= 6 && strstr(json, cell) != NULL)
                fail_msg("raw value of column %s row %zu in the report", name, r + 1);
        }
        int got = json_is_true(json_object_get(json_array_get(cols, c), "is_pii"));
        print_message("  column %-14s truth %d reported %d (%s, conf %.2f)\n", name, truth, got,
                      json_string_value(json_object_get(json_array_get(cols, c), "entity")) ?: "-",
                      json_real_value(json_object_get(json_array_get(cols, c), "confidence")));
        tp += got && truth;
        fp += got && !truth;
        fn += !got && truth;
    }
    print_message("labelled.csv column-level: tp %zu fp %zu fn %zu\n", tp, fp, fn);
    assert_int_equal(fp, 0);
    assert_int_equal(fn, 0);
    synth_csv_reader_free(rd);
    free(json);
    json_decref(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_url),
        cmocka_unit_test(test_phone),
        cmocka_unit_test(test_ssn),
        cmocka_unit_test(test_card),
        cmocka_unit_test(test_iban),
        cmocka_unit_test(test_network),
        cmocka_unit_test(test_context_entities),
        cmocka_unit_test(test_without_dictionary),
        cmocka_unit_test(test_free_text),
        cmocka_unit_test(test_masking),
        cmocka_unit_test(test_column_decision),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_labelled_precision_recall),
        cmocka_unit_test(test_labelled_columns_and_masking),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
