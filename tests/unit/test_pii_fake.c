/* test_pii_fake.c -- unit tests for pii.c: entity name round trip, the validators (Luhn, IBAN mod-97,
 * SSN issuance rules) on known positives and negatives, and the fakes: every entity's values pass
 * the validators and stay in their reserved ranges, follow `like`'s shape, are NUL-terminated and
 * short, are a pure function of (seed, row, stream) and vary between rows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "pii.h"

#define DRAWS 10000

static size_t fake(synth_pii_entity e, uint64_t row, const char *like, char *buf)
{
    memset(buf, 'x', SYNTH_PII_TEXT_MAX);
    size_t n = synth_pii_fake(e, 42, row, 17, like, buf);
    assert_true(n < SYNTH_PII_TEXT_MAX);
    assert_int_equal(strlen(buf), n);
    assert_true(n > 0);
    return n;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Shape of s: digits become '9', everything else stays. */
static void shape(const char *s, char *out, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        out[i] = (s[i] >= '0' && s[i] <= '9') ? '9' : s[i];
    out[i] = '\0';
}

/* ---------------------------------------------------------------------------------- names */

static void test_names(void **state)
{
    (void)state;
    for (int i = 0; i < SYNTH_PII_ENTITY_COUNT; i++) {
        const char *name = synth_pii_entity_name((synth_pii_entity)i);
        assert_non_null(name);
        synth_pii_entity e = SYNTH_PII_ENTITY_COUNT;
        assert_int_equal(synth_pii_entity_parse(name, &e), 0);
        assert_int_equal(e, i);
    }
    assert_string_equal(synth_pii_entity_name(SYNTH_PII_CARD), "credit_card");
    assert_string_equal(synth_pii_entity_name(SYNTH_PII_SSN), "us_ssn");
    assert_null(synth_pii_entity_name(SYNTH_PII_ENTITY_COUNT));
    assert_null(synth_pii_entity_name((synth_pii_entity)-1));
    synth_pii_entity e;
    assert_int_equal(synth_pii_entity_parse("nope", &e), -1);
    assert_int_equal(synth_pii_entity_parse("", &e), -1);
    assert_int_equal(synth_pii_entity_parse("EMAIL", &e), -1);
    assert_int_equal(synth_pii_entity_parse(NULL, &e), -1);
}

/* ---------------------------------------------------------------------------------- validators */

static int luhn(const char *s)
{
    return synth_pii_luhn_ok(s, strlen(s));
}

static void test_luhn(void **state)
{
    (void)state;
    const char *good[] = {"4111111111111111", "4242424242424242", "5555555555554444", "2223003122003222",
                          "378282246310005",  "371449635398431",  "6011111111111117", "4012888888881881",
                          "4111 1111 1111 1111", "4111-1111-1111-1111", "79927398713"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!luhn(good[i]))
            fail_msg("luhn rejects %s", good[i]);
    const char *bad[] = {"4111111111111112", "4242424242424241", "378282246310006", "79927398710", "",
                         "0", "4111x111111111111", " 4111111111111111", "4111111111111111-",
                         "4111  1111 1111 1111", "6011111111111118"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (luhn(bad[i]))
            fail_msg("luhn accepts '%s'", bad[i]);
    /* every single-digit change of a valid number breaks it */
    char s[] = "4111111111111111";
    for (size_t i = 0; i < 16; i++) {
        char orig = s[i];
        for (char c = '0'; c <= '9'; c++) {
            if (c == orig)
                continue;
            s[i] = c;
            assert_false(luhn(s));
        }
        s[i] = orig;
    }
    assert_true(synth_pii_luhn_ok("4111111111111111xyz", 16)); /* never reads past n */
}

static int iban(const char *s)
{
    return synth_pii_iban_ok(s, strlen(s));
}

static void test_iban_validator(void **state)
{
    (void)state;
    const char *good[] = {"GB82WEST12345698765432", "DE89370400440532013000", "GB82 WEST 1234 5698 7654 32",
                          "FR1420041010050500013M02606", "NL91ABNA0417164300", "ES9121000418450200051332",
                          "IT60X0542811101000000123456", "BE68539007547034", "AT611904300234573201",
                          "CH9300762011623852957", "PL61109010140000071219812874", "de89370400440532013000",
                          "NO9386011117947" /* unknown country: generic rules */};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!iban(good[i]))
            fail_msg("iban rejects %s", good[i]);
    const char *bad[] = {"GB83WEST12345698765432", "DE88370400440532013000", "DE89370400440532013001",
                         "DE8937040044053201300",   "DE893704004405320130000", "GB82WEST1234569876543X",
                         "GB82-WEST-1234-5698-7654-32", "", "DE89", "1289370400440532013000",
                         " GB82WEST12345698765432", "GB82  WEST12345698765432",
                         "XX12345678901234567890123456789012345"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (iban(bad[i]))
            fail_msg("iban accepts '%s'", bad[i]);
}

static int ssn(const char *s)
{
    return synth_pii_ssn_ok(s, strlen(s));
}

static void test_ssn_validator(void **state)
{
    (void)state;
    const char *good[] = {"123-45-6789", "123456789", "001-01-0001", "899-99-9999", "665-12-3456",
                          "667 12 3456", "078-05-1120"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!ssn(good[i]))
            fail_msg("ssn rejects %s", good[i]);
    const char *bad[] = {"000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-4567",
                         "123-45-0000", "12345678",    "1234567890",  "123-456789",  "123 45-6789",
                         "12a-45-6789", "",            "123-45-678",  "666123456",   "123000000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ssn(bad[i]))
            fail_msg("ssn accepts '%s'", bad[i]);
}

/* ---------------------------------------------------------------------------------- determinism */

static void test_determinism(void **state)
{
    (void)state;
    /* large domains: consecutive rows differ in > 99% of draws */
    const synth_pii_entity big[] = {SYNTH_PII_EMAIL, SYNTH_PII_PHONE, SYNTH_PII_SSN,  SYNTH_PII_CARD,
                                    SYNTH_PII_IBAN,  SYNTH_PII_IPV6,  SYNTH_PII_MAC,  SYNTH_PII_URL,
                                    SYNTH_PII_DATE_OF_BIRTH, SYNTH_PII_PERSON, SYNTH_PII_POSTAL_CODE};
    for (int e = 0; e < SYNTH_PII_ENTITY_COUNT; e++) {
        int is_big = 0;
        for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
            is_big |= big[i] == (synth_pii_entity)e;
        int differ = 0;
        char a[SYNTH_PII_TEXT_MAX], b[SYNTH_PII_TEXT_MAX], c[SYNTH_PII_TEXT_MAX];
        for (uint64_t row = 0; row < DRAWS; row++) {
            fake((synth_pii_entity)e, row, NULL, a);
            fake((synth_pii_entity)e, row, NULL, b);
            assert_string_equal(a, b);
            fake((synth_pii_entity)e, row + 1, NULL, c);
            differ += strcmp(a, c) != 0;
        }
        if (is_big && differ <= DRAWS * 99 / 100)
            fail_msg("%s: only %d of %d rows differ", synth_pii_entity_name((synth_pii_entity)e), differ, DRAWS);
        if (!is_big && differ < DRAWS * 9 / 10) /* ipv4: 762 values */
            fail_msg("%s: only %d of %d rows differ", synth_pii_entity_name((synth_pii_entity)e), differ, DRAWS);
    }
    /* seed and stream matter too */
    char a[SYNTH_PII_TEXT_MAX], b[SYNTH_PII_TEXT_MAX];
    synth_pii_fake(SYNTH_PII_CARD, 1, 5, 17, NULL, a);
    synth_pii_fake(SYNTH_PII_CARD, 2, 5, 17, NULL, b);
    assert_string_not_equal(a, b);
    synth_pii_fake(SYNTH_PII_CARD, 1, 5, 18, NULL, b);
    assert_string_not_equal(a, b);
    /* an out-of-range entity gives an empty string */
    assert_int_equal(synth_pii_fake(SYNTH_PII_ENTITY_COUNT, 1, 1, 1, NULL, a), 0);
    assert_string_equal(a, "");
}

/* ---------------------------------------------------------------------------------- fakes */

static int email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || at == s)
        return 0;
    if (strcmp(at + 1, "example.com") && strcmp(at + 1, "example.org") && strcmp(at + 1, "example.net"))
        return 0;
    if (s[0] == '.' || s[0] == '_' || at[-1] == '.' || at[-1] == '_')
        return 0;
    for (const char *p = s; p < at; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_';
        if (!ok || (*p == '.' && p[1] == '.'))
            return 0;
    }
    return 1;
}

static void test_email_url(void **state)
{
    (void)state;
    char buf[SYNTH_PII_TEXT_MAX];
    for (uint64_t row = 0; row < DRAWS; row++) {
        fake(SYNTH_PII_EMAIL, row, "john.doe@gmail.com", buf);
        if (!email_ok(buf))
            fail_msg("bad email %s", buf);
        fake(SYNTH_PII_URL, row, NULL, buf);
        const char *prefix = "https://www.example.com/";
        assert_memory_equal(buf, prefix, strlen(prefix));
        for (const char *p = buf + strlen(prefix); *p; p++) {
            int ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '/' || *p == '-';
            if (!ok)
                fail_msg("bad url %s", buf);
        }
    }
}

/* The 10 NANP digits (after an optional leading 1) are NXX-555-01XX. */
static void check_nanp(const char *s)
{
    char d[16] = {0};
    size_t k = 0;
    for (const char *p = s; *p; p++)
        if (*p >= '0' && *p <= '9' && k < sizeof d)
            d[k++] = *p;
    const char *n = d;
    if (k == 11 && d[0] == '1')
        n = d + 1;
    else if (k != 10)
        fail_msg("phone %s has %zu digits", s, k);
    if (n[0] < '2' || n[1] == '9' || (n[1] == '1' && n[2] == '1'))
        fail_msg("phone %s: bad area code", s);
    if (memcmp(n + 3, "55501", 5) != 0)
        fail_msg("phone %s not in 555-0100..0199", s);
}

static void test_phone(void **state)
{
    (void)state;
    char buf[SYNTH_PII_TEXT_MAX], sh[SYNTH_PII_TEXT_MAX];
    const char *likes[] = {"(202) 555-0143", "202-555-0143", "+12025550143", "+1-202-555-0143", "202.555.0143",
                           "1 (212) 867-5309"};
    for (uint64_t row = 0; row < 2000; row++) {
        fake(SYNTH_PII_PHONE, row, NULL, buf);
        shape(buf, sh, sizeof sh);
        assert_string_equal(sh, "+9-999-999-9999");
        check_nanp(buf);
        for (size_t i = 0; i < sizeof likes / sizeof likes[0]; i++) {
            fake(SYNTH_PII_PHONE, row, likes[i], buf);
            check_nanp(buf);
            char want[SYNTH_PII_TEXT_MAX];
            shape(likes[i], want, sizeof want);
            shape(buf, sh, sizeof sh);
            assert_string_equal(sh, want);
            if (likes[i][0] == '+' || likes[i][0] == '1')
                assert_int_equal(buf[0 + (likes[i][0] == '+')], '1');
        }
        /* UK: Ofcom drama range 07700 900000-900999 */
        fake(SYNTH_PII_PHONE, row, "+44 7700 900123", buf);
        assert_memory_equal(buf, "+44 7700 900", 12);
        shape(buf, sh, sizeof sh);
        assert_string_equal(sh, "+99 9999 999999");
        fake(SYNTH_PII_PHONE, row, "+447911123456", buf);
        assert_memory_equal(buf, "+447700900", 10);
        assert_int_equal(strlen(buf), 13);
        fake(SYNTH_PII_PHONE, row, "07911 123456", buf);
        assert_memory_equal(buf, "07700 900", 9);
        assert_int_equal(strlen(buf), 12);
        fake(SYNTH_PII_PHONE, row, "+44 20 7946 0000 ext 5", buf); /* unusual: default UK layout */
        assert_memory_equal(buf, "+44 7700 900", 12);
        /* odd US-ish input falls back to the default layout */
        fake(SYNTH_PII_PHONE, row, "555-0143", buf);
        check_nanp(buf);
    }
}

static void test_ssn_fake(void **state)
{
    (void)state;
    char buf[SYNTH_PII_TEXT_MAX], sh[SYNTH_PII_TEXT_MAX];
    for (uint64_t row = 0; row < DRAWS; row++) {
        fake(SYNTH_PII_SSN, row, NULL, buf);
        shape(buf, sh, sizeof sh);
        assert_string_equal(sh, "999-99-9999");
        if (!ssn(buf))
            fail_msg("fake ssn %s fails the rules", buf);
        fake(SYNTH_PII_SSN, row, "123456789", buf);
        assert_int_equal(strlen(buf), 9);
        assert_true(all_digits(buf, 9));
        assert_true(ssn(buf));
        fake(SYNTH_PII_SSN, row, "123 45 6789", buf);
        shape(buf, sh, sizeof sh);
        assert_string_equal(sh, "999 99 9999");
        assert_true(ssn(buf));
        fake(SYNTH_PII_SSN, row, "123-45-6789", buf);
        shape(buf, sh, sizeof sh);
        assert_string_equal(sh, "999-99-9999");
    }
}

static void card_digits(const char *s, char *d, size_t *k)
{
    *k = 0;
    for (; *s; s++)
        if (*s >= '0' && *s <= '9')
            d[(*k)++] = *s;
    d[*k] = '\0';
}

static void test_card(void **state)
{
    (void)state;
    static const char *const bins[] = {"411111", "424242", "555555", "222300", "378282", "601111"};
    char buf[SYNTH_PII_TEXT_MAX], d[SYNTH_PII_TEXT_MAX], sh[SYNTH_PII_TEXT_MAX];
    size_t k;
    int seen[6] = {0};
    for (uint64_t row = 0; row < DRAWS; row++) {
        fake(SYNTH_PII_CARD, row, NULL, buf);
        if (!luhn(buf))
            fail_msg("fake card %s fails Luhn", buf);
        card_digits(buf, d, &k);
        int hit = -1;
        for (int i = 0; i < 6; i++)
            if (memcmp(d, bins[i], 6) == 0)
                hit = i;
        if (hit < 0) {
            fail_msg("card %s not on a test BIN", buf);
            return;
        }
        seen[hit]++;
        assert_int_equal(k, hit == 4 ? 15 : 16);
        shape(buf, sh, sizeof sh);
        assert_string_equal(sh, hit == 4 ? "9999 999999 99999" : "9999 9999 9999 9999");

        const struct {
            const char *like, *prefix_any, *shape;
        } cases[] = {
            {"4000-0566-5566-5556", "4", "9999-9999-9999-9999"},
            {"5105105105105100", "555555", "9999999999999999"},
            {"2223 0000 4840 0011", "222300", "9999 9999 9999 9999"},
            {"3714 496353 98431", "378282", "9999 999999 99999"},
            {"371449635398431", "378282", "999999999999999"},
            {"6011 0009 9013 9424", "601111", "9999 9999 9999 9999"},
            {"4222222222222", "4", "9999999999999"},
            {"4111-1111-1111-1111-003", "4", "9999-9999-9999-9999-999"},
            {"5555 5555 5555 44", "555555", "9999 9999 9999 9999"}, /* wrong length: brand length, like's separator */
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            fake(SYNTH_PII_CARD, row, cases[i].like, buf);
            if (!luhn(buf))
                fail_msg("card %s (like %s) fails Luhn", buf, cases[i].like);
            card_digits(buf, d, &k);
            assert_memory_equal(d, cases[i].prefix_any, strlen(cases[i].prefix_any));
            shape(buf, sh, sizeof sh);
            if (strcmp(sh, cases[i].shape) != 0)
                fail_msg("card %s for like %s", buf, cases[i].like);
            if (buf[0] == '4')
                assert_true(memcmp(d, "411111", 6) == 0 || memcmp(d, "424242", 6) == 0);
        }
    }
    for (int i = 0; i < 6; i++)
        assert_true(seen[i] > DRAWS / 12);
}

static void test_iban_fake(void **state)
{
    (void)state;
    const struct {
        const char *like;
        const char *cc;
        size_t len;
    } cases[] = {
        {NULL, "DE", 22},
        {"DE89370400440532013000", "DE", 22},
        {"FR1420041010050500013M02606", "FR", 27},
        {"GB82WEST12345698765432", "GB", 22},
        {"NL91ABNA0417164300", "NL", 18},
        {"ES9121000418450200051332", "ES", 24},
        {"IT60X0542811101000000123456", "IT", 27},
        {"BE68539007547034", "BE", 16},
        {"AT611904300234573201", "AT", 20},
        {"CH9300762011623852957", "CH", 21},
        {"PL61109010140000071219812874", "PL", 28},
        {"gb82west12345698765432", "GB", 22},
        {"NO9386011117947", "DE", 22}, /* unsupported country: default */
    };
    char buf[SYNTH_PII_TEXT_MAX];
    for (uint64_t row = 0; row < 2000; row++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            fake(SYNTH_PII_IBAN, row, cases[i].like, buf);
            if (!iban(buf))
                fail_msg("fake iban %s fails mod-97", buf);
            assert_memory_equal(buf, cases[i].cc, 2);
            assert_int_equal(strlen(buf), cases[i].len);
            if (strcmp(cases[i].cc, "FR") == 0) { /* RIB key */
                unsigned long long bank = 0, branch = 0, acct = 0, key = 0;
                for (int j = 4; j < 9; j++)
                    bank = bank * 10 + (unsigned)(buf[j] - '0');
                for (int j = 9; j < 14; j++)
                    branch = branch * 10 + (unsigned)(buf[j] - '0');
                for (int j = 14; j < 25; j++)
                    acct = acct * 10 + (unsigned)(buf[j] - '0');
                for (int j = 25; j < 27; j++)
                    key = key * 10 + (unsigned)(buf[j] - '0');
                assert_int_equal((89 * bank + 15 * branch + 3 * acct + key) % 97, 0);
            }
            if (strcmp(cases[i].cc, "BE") == 0) {
                unsigned long long v = 0, key = 0;
                for (int j = 4; j < 14; j++)
                    v = v * 10 + (unsigned)(buf[j] - '0');
                for (int j = 14; j < 16; j++)
                    key = key * 10 + (unsigned)(buf[j] - '0');
                assert_int_equal(v % 97 == 0 ? 97 : v % 97, key);
            }
        }
        /* spaced like: groups of four */
        fake(SYNTH_PII_IBAN, row, "GB82 WEST 1234 5698 7654 32", buf);
        assert_int_equal(strlen(buf), 27);
        for (int j = 4; j < 27; j += 5)
            assert_int_equal(buf[j], ' ');
        assert_true(iban(buf));
    }
}

/* The national check characters of synth's IBANs agree with real examples. */
static void test_iban_national(void **state)
{
    (void)state;
    /* These known-valid IBANs have correct national checks; the fakes' algorithms are tested on
     * them indirectly through the FR/BE checks above.  IT CIN and ES DC: recompute here. */
    const char *it = "IT60X0542811101000000123456";
    static const unsigned odd[26] = {1,  0,  5,  7,  9,  13, 15, 17, 19, 21, 2,  4,  18,
                                     20, 11, 3,  6,  8,  12, 14, 16, 10, 22, 25, 24, 23};
    unsigned s = 0;
    for (int i = 0; i < 22; i++) {
        char c = it[5 + i];
        unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'A');
        s += i % 2 == 0 ? odd[v] : v;
    }
    assert_int_equal('A' + s % 26, 'X');
    char buf[SYNTH_PII_TEXT_MAX];
    for (uint64_t row = 0; row < 1000; row++) {
        fake(SYNTH_PII_IBAN, row, "IT60X0542811101000000123456", buf);
        s = 0;
        for (int i = 0; i < 22; i++) {
            char c = buf[5 + i];
            unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'A');
            s += i % 2 == 0 ? odd[v] : v;
        }
        assert_int_equal('A' + s % 26, buf[4]);
        fake(SYNTH_PII_IBAN, row, "ES9121000418450200051332", buf);
        static const unsigned w[10] = {1, 2, 4, 8, 5, 10, 9, 7, 3, 6};
        unsigned s1 = 0, s2 = 0;
        for (int i = 0; i < 8; i++)
            s1 += w[i + 2] * (unsigned)(buf[4 + i] - '0');
        for (int i = 0; i < 10; i++)
            s2 += w[i] * (unsigned)(buf[14 + i] - '0');
        unsigned d1 = 11 - s1 % 11, d2 = 11 - s2 % 11;
        d1 = d1 == 11 ? 0 : d1 == 10 ? 1 : d1;
        d2 = d2 == 11 ? 0 : d2 == 10 ? 1 : d2;
        assert_int_equal(buf[12] - '0', d1);
        assert_int_equal(buf[13] - '0', d2);
    }
    /* ES DC of the real example: 2100 0418 -> 4, 0200051332 -> 5 */
    {
        static const unsigned w[10] = {1, 2, 4, 8, 5, 10, 9, 7, 3, 6};
        const char *es = "ES9121000418450200051332";
        unsigned s1 = 0;
        for (int i = 0; i < 8; i++)
            s1 += w[i + 2] * (unsigned)(es[4 + i] - '0');
        unsigned d1 = 11 - s1 % 11;
        d1 = d1 == 11 ? 0 : d1 == 10 ? 1 : d1;
        assert_int_equal(d1, 4);
    }
}

static void test_network(void **state)
{
    (void)state;
    char buf[SYNTH_PII_TEXT_MAX];
    for (uint64_t row = 0; row < DRAWS; row++) {
        struct in_addr a4;
        fake(SYNTH_PII_IPV4, row, NULL, buf);
        if (inet_pton(AF_INET, buf, &a4) != 1)
            fail_msg("bad ipv4 %s", buf);
        const unsigned char *b = (const unsigned char *)&a4.s_addr;
        int doc = (b[0] == 192 && b[1] == 0 && b[2] == 2) || (b[0] == 198 && b[1] == 51 && b[2] == 100) ||
                  (b[0] == 203 && b[1] == 0 && b[2] == 113);
        if (!doc || b[3] == 0 || b[3] == 255)
            fail_msg("ipv4 %s outside the documentation ranges", buf);

        struct in6_addr a6;
        fake(SYNTH_PII_IPV6, row, NULL, buf);
        if (inet_pton(AF_INET6, buf, &a6) != 1)
            fail_msg("bad ipv6 %s", buf);
        if (a6.s6_addr[0] != 0x20 || a6.s6_addr[1] != 0x01 || a6.s6_addr[2] != 0x0d || a6.s6_addr[3] != 0xb8)
            fail_msg("ipv6 %s outside 2001:db8::/32", buf);
        char canon[INET6_ADDRSTRLEN];
        assert_non_null(inet_ntop(AF_INET6, &a6, canon, sizeof canon));
        assert_string_equal(canon, buf); /* already canonical */
        fake(SYNTH_PII_IPV6, row, "2001:DB8::1", buf);
        assert_int_equal(inet_pton(AF_INET6, buf, &a6), 1);
        assert_memory_equal(buf, "2001:DB8:", 9);

        const struct {
            const char *like;
            char sep;
            int upper, len;
        } macs[] = {{NULL, ':', 0, 17}, {"00:1a:2b:3c:4d:5e", ':', 0, 17}, {"00-1A-2B-3C-4D-5E", '-', 1, 17},
                    {"001a.2b3c.4d5e", '.', 0, 14}, {"001A2B3C4D5E", 0, 1, 12}};
        for (size_t i = 0; i < sizeof macs / sizeof macs[0]; i++) {
            fake(SYNTH_PII_MAC, row, macs[i].like, buf);
            assert_int_equal(strlen(buf), (size_t)macs[i].len);
            char hex[13];
            int k = 0;
            for (int j = 0; buf[j]; j++) {
                if (is_hex(buf[j])) {
                    if (k >= 12)
                        fail_msg("mac %s", buf);
                    hex[k++] = buf[j];
                    if (macs[i].upper ? (buf[j] >= 'a' && buf[j] <= 'f') : (buf[j] >= 'A' && buf[j] <= 'F'))
                        fail_msg("mac %s: case", buf);
                } else if (buf[j] != macs[i].sep) {
                    fail_msg("mac %s: separator", buf);
                } else if (macs[i].sep == '.' ? (j != 4 && j != 9) : (j % 3 != 2)) {
                    fail_msg("mac %s: separator position", buf);
                }
            }
            assert_int_equal(k, 12);
            char second = hex[1];
            if (!strchr("26aeAE", second))
                fail_msg("mac %s not locally administered unicast", buf);
        }
    }
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static void check_date(const char *s, int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1940 || y > 2005 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap(y)))
        fail_msg("bad date of birth %s", s);
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static void test_dob(void **state)
{
    (void)state;
    char buf[SYNTH_PII_TEXT_MAX], sh[SYNTH_PII_TEXT_MAX];
    int miny = 9999, maxy = 0, feb29 = 0;
    for (uint64_t row = 0; row < DRAWS * 3; row++) {
        fake(SYNTH_PII_DATE_OF_BIRTH, row, NULL, buf);
        shape(buf, sh, sizeof sh);
        assert_string_equal(sh, "9999-99-99");
        int y = num(buf, 4);
        check_date(buf, y, num(buf + 5, 2), num(buf + 8, 2));
        miny = y < miny ? y : miny;
        maxy = y > maxy ? y : maxy;
        feb29 += memcmp(buf + 4, "-02-29", 6) == 0;
        if (row >= DRAWS)
            continue;
        fake(SYNTH_PII_DATE_OF_BIRTH, row, "07/04/1976", buf);
        shape(buf, sh, sizeof sh);
        assert_string_equal(sh, "99/99/9999");
        check_date(buf, num(buf + 6, 4), num(buf, 2), num(buf + 3, 2));
        fake(SYNTH_PII_DATE_OF_BIRTH, row, "24.12.1980", buf);
        shape(buf, sh, sizeof sh);
        assert_string_equal(sh, "99.99.9999");
        check_date(buf, num(buf + 6, 4), num(buf + 3, 2), num(buf, 2));
        fake(SYNTH_PII_DATE_OF_BIRTH, row, "31/12/1980", buf); /* day first: first field > 12 */
        check_date(buf, num(buf + 6, 4), num(buf + 3, 2), num(buf, 2));
        fake(SYNTH_PII_DATE_OF_BIRTH, row, "1980/12/31", buf);
        shape(buf, sh, sizeof sh);
        assert_string_equal(sh, "9999/99/99");
        fake(SYNTH_PII_DATE_OF_BIRTH, row, "Dec 31, 1980", buf); /* unrecognized: default */
        shape(buf, sh, sizeof sh);
        assert_string_equal(sh, "9999-99-99");
    }
    assert_int_equal(miny, 1940);
    assert_int_equal(maxy, 2005);
    assert_true(feb29 > 0);
}

static void test_person_postal(void **state)
{
    (void)state;
    char buf[SYNTH_PII_TEXT_MAX];
    for (uint64_t row = 0; row < DRAWS; row++) {
        fake(SYNTH_PII_PERSON, row, NULL, buf);
        const char *sp = strchr(buf, ' ');
        assert_non_null(sp);
        assert_null(strchr(sp + 1, ' '));
        assert_true(buf[0] >= 'A' && buf[0] <= 'Z' && sp[1] >= 'A' && sp[1] <= 'Z');
        fake(SYNTH_PII_PERSON, row, "DOE, JANE", buf);
        assert_non_null(strstr(buf, ", "));
        for (const char *p = buf; *p; p++)
            assert_false(*p >= 'a' && *p <= 'z');

        fake(SYNTH_PII_POSTAL_CODE, row, NULL, buf);
        assert_int_equal(strlen(buf), 5);
        assert_true(all_digits(buf, 5));
        assert_string_not_equal(buf, "00000");
        fake(SYNTH_PII_POSTAL_CODE, row, "94105-1420", buf);
        assert_int_equal(strlen(buf), 10);
        assert_true(all_digits(buf, 5) && buf[5] == '-' && all_digits(buf + 6, 4));

        /* UK: outward A9 A99 AA9 AA99 A9A AA9A, inward 9AA */
        const char *likes[] = {"SW1A 1AA", "EC1A1BB"};
        for (int i = 0; i < 2; i++) {
            fake(SYNTH_PII_POSTAL_CODE, row, likes[i], buf);
            size_t n = strlen(buf);
            int spaced = i == 0;
            assert_true(n >= (size_t)(5 + spaced) && n <= (size_t)(7 + spaced));
            const char *in = buf + n - 3;
            if (spaced)
                assert_int_equal(in[-1], ' ');
            assert_true(in[0] >= '0' && in[0] <= '9');
            assert_non_null(strchr("ABDEFGHJLNPQRSTUWXYZ", in[1]));
            assert_non_null(strchr("ABDEFGHJLNPQRSTUWXYZ", in[2]));
            size_t on = n - 3 - (size_t)spaced;
            char outw[8];
            shape(buf, outw, on + 1);
            for (size_t j = 0; j < on; j++)
                outw[j] = outw[j] == '9' ? '9' : 'A';
            outw[on] = '\0';
            const char *ok[] = {"A9", "A99", "AA9", "AA99", "A9A", "AA9A"};
            int hit = 0;
            for (int j = 0; j < 6; j++)
                hit |= strcmp(outw, ok[j]) == 0;
            if (!hit)
                fail_msg("bad UK postcode %s", buf);
            assert_null(strchr("QVX", buf[0]));
        }
    }
}

/* Hostile `like` values: long, odd, empty. */
static void test_like_robust(void **state)
{
    (void)state;
    char longlike[300];
    memset(longlike, '9', sizeof longlike - 1);
    longlike[sizeof longlike - 1] = '\0';
    const char *likes[] = {"", " ", "+", "+44", "()", "----", "\xff\xfe", longlike, "1", "DE", "d", "1/1/1"};
    char buf[SYNTH_PII_TEXT_MAX];
    for (int e = 0; e < SYNTH_PII_ENTITY_COUNT; e++)
        for (size_t i = 0; i < sizeof likes / sizeof likes[0]; i++)
            for (uint64_t row = 0; row < 50; row++)
                fake((synth_pii_entity)e, row, likes[i], buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),          cmocka_unit_test(test_luhn),
        cmocka_unit_test(test_iban_validator), cmocka_unit_test(test_ssn_validator),
        cmocka_unit_test(test_determinism),    cmocka_unit_test(test_email_url),
        cmocka_unit_test(test_phone),          cmocka_unit_test(test_ssn_fake),
        cmocka_unit_test(test_card),           cmocka_unit_test(test_iban_fake),
        cmocka_unit_test(test_iban_national),  cmocka_unit_test(test_network),
        cmocka_unit_test(test_dob),            cmocka_unit_test(test_person_postal),
        cmocka_unit_test(test_like_robust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
