/* test_numfmt.c -- unit tests for numfmt.c: integer formatting against snprintf, fixed-decimal
 * rounding (bounds, idempotence, agreement with "%.*f" off exact ties, specific cases) and the
 * strict integer/double parsers (accept/reject tables, decimals, agreement with strtod). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

/* xorshift64*: deterministic pseudo-random numbers for the tests. */
static uint64_t g_rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 2685821657736338717ULL;
}

static double rnd_unit(void)
{
    return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

static void check_i64(int64_t v)
{
    char buf[SYNTH_NUMFMT_MAX + 1];
    char want[64];
    memset(buf, 'x', sizeof buf);
    size_t n = synth_fmt_i64(buf, v);
    int m = snprintf(want, sizeof want, "%lld", (long long)v);
    assert_int_equal(n, (size_t)m);
    assert_memory_equal(buf, want, n);
    assert_true(buf[n] == 'x');      /* no NUL or other byte written past the text */
    int64_t back = 0;
    assert_int_equal(synth_parse_i64(buf, n, &back), 0);
    assert_true(back == v);
}

static void check_u64(uint64_t v)
{
    char buf[SYNTH_NUMFMT_MAX];
    char want[64];
    size_t n = synth_fmt_u64(buf, v);
    int m = snprintf(want, sizeof want, "%llu", (unsigned long long)v);
    assert_int_equal(n, (size_t)m);
    assert_memory_equal(buf, want, n);
}

static void test_fmt_int_edges(void **state)
{
    (void)state;
    check_i64(0);
    check_i64(INT64_MIN);
    check_i64(INT64_MAX);
    check_i64(INT64_MIN + 1);
    check_i64(-1);
    check_i64(1);
    int64_t p = 1;
    for (int k = 0; k <= 18; k++) {
        check_i64(p);
        check_i64(p - 1);
        check_i64(p + 1);
        check_i64(-p);
        check_i64(-p + 1);
        check_i64(-p - 1);
        if (k < 18)
            p *= 10;
    }
    check_u64(0);
    check_u64(UINT64_MAX);
    check_u64(10000000000000000000ULL);
    check_u64(9999999999999999999ULL);
}

static void test_fmt_int_random(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        uint64_t r = rnd();
        int shift = (int)(rnd() % 64);
        check_i64((int64_t)(r >> shift) * ((rnd() & 1) ? -1 : 1));
        check_u64(r >> shift);
    }
}

static double pow10i(int d)
{
    double p = 1;
    for (int i = 0; i < d; i++)
        p *= 10;
    return p;
}

/* Is v * 10^d exactly halfway between two integers?  (Only then may we differ from printf, which
 * rounds exact ties to even.)  Checked exactly with fma. */
static int exact_tie(double v, int d)
{
    double p = pow10i(d);
    double a = fabs(v) * p;
    if (a - floor(a) != 0.5)
        return 0;
    return fma(fabs(v), p, -a) == 0.0;
}

static void check_fixed(double v, int d)
{
    char buf[SYNTH_NUMFMT_MAX + 1];
    memset(buf, 'x', sizeof buf);
    size_t n = synth_fmt_fixed(buf, v, d);
    assert_true(n > 0 && n < SYNTH_NUMFMT_MAX);
    assert_true(buf[n] == 'x');
    char s[SYNTH_NUMFMT_MAX + 1];
    memcpy(s, buf, n);
    s[n] = '\0';
    double scaled = fabs(v) * pow10i(d);
    if (!(scaled < 9007199254740992.0)) {
        /* general-notation fallback: must read back exactly */
        if (isfinite(v))
            assert_true(strtod(s, NULL) == v);
        return;
    }
    /* fixed notation: exactly d digits after the point */
    const char *dot = strchr(s, '.');
    if (d == 0) {
        assert_null(dot);
    } else {
        assert_non_null(dot);
        assert_int_equal(strlen(dot + 1), (size_t)d);
    }
    assert_true(strncmp(s, "-0", 2) != 0 || strspn(s, "-0.") != n);   /* never "-0..." zero */
    double back = strtod(s, NULL);
    double bound = 0.5 * pow(10.0, -d) * (1 + 1e-12) + fabs(v) * 4e-16;
    if (fabs(back - v) > bound)
        fail_msg("fmt_fixed(%.17g, %d) = %s is off by %g", v, d, s, fabs(back - v));
    /* idempotence */
    char again[SYNTH_NUMFMT_MAX];
    size_t n2 = synth_fmt_fixed(again, back, d);
    if (n2 != n || memcmp(again, s, n) != 0)
        fail_msg("fmt_fixed not idempotent for %.17g, %d: %s -> %.*s", v, d, s, (int)n2, again);
    /* printf agreement except on exact ties (and printf's "-0.00", which we write as "0.00") */
    if (!exact_tie(v, d)) {
        char want[400];
        snprintf(want, sizeof want, "%.*f", d, v);
        const char *w = want;
        if (strspn(want, "-0.") == strlen(want) && want[0] == '-')
            w++;
        if (strcmp(w, s) != 0)
            fail_msg("fmt_fixed(%.17g, %d) = %s, printf says %s", v, d, s, want);
    }
}

static void test_fixed_random(void **state)
{
    (void)state;
    for (int i = 0; i < 300000; i++) {
        int d = (int)(rnd() % 7);
        int mag = (int)(rnd() % 24) - 8;                     /* 1e-8 .. 1e15 */
        double v = rnd_unit() * pow(10.0, mag);
        if (rnd() & 1)
            v = -v;
        check_fixed(v, d);
        /* values near a rounding boundary: k/10^d + 0.5/10^d, perturbed */
        double k = (double)(rnd() % 1000000);
        double edge = (k + 0.5) / pow10i(d);
        check_fixed(edge, d);
        check_fixed(-edge, d);
        check_fixed(nextafter(edge, 0), d);
        check_fixed(nextafter(edge, INFINITY), d);
    }
    for (int d = 0; d <= 15; d++) {
        for (int i = 0; i < 20000; i++) {
            double v = rnd_unit() * pow(10.0, (int)(rnd() % 10) - 3);
            check_fixed(v, d);
            check_fixed(-v, d);
        }
    }
}

static void expect_fixed(double v, int d, const char *want)
{
    char buf[SYNTH_NUMFMT_MAX];
    size_t n = synth_fmt_fixed(buf, v, d);
    if (n != strlen(want) || memcmp(buf, want, n) != 0)
        fail_msg("fmt_fixed(%.17g, %d) = '%.*s', want '%s'", v, d, (int)n, buf, want);
}

static void test_fixed_cases(void **state)
{
    (void)state;
    expect_fixed(0.5, 0, "1");
    expect_fixed(-0.5, 0, "-1");
    expect_fixed(1.5, 0, "2");
    expect_fixed(2.5, 0, "3");
    expect_fixed(-2.5, 0, "-3");
    expect_fixed(0.125, 2, "0.13");
    expect_fixed(-0.001, 2, "0.00");
    expect_fixed(-0.0, 2, "0.00");
    expect_fixed(-0.0, 0, "0");
    expect_fixed(0.0, 3, "0.000");
    expect_fixed(-0.4, 0, "0");
    expect_fixed(1234.5678, 2, "1234.57");
    expect_fixed(1.005, 2, "1.00");        /* 1.005 is 1.00499999999999989... */
    expect_fixed(0.1, 1, "0.1");
    expect_fixed(0.1, 17, "0.100000000000000");   /* decimals capped at 15 */
    expect_fixed(-7.25, 3, "-7.250");
    expect_fixed(99.995, 2, "100.00");     /* 99.99500000000000454... */
    expect_fixed(9.5, 0, "10");
    expect_fixed(123456789.0, 0, "123456789");
    expect_fixed(0.000001, 6, "0.000001");
    expect_fixed(4503599627370495.5, 0, "4503599627370496");
    expect_fixed(9007199254740991.0, 0, "9007199254740991");
    /* fallbacks */
    expect_fixed(9007199254740992.0, 0, "9007199254740992");
    expect_fixed(1e20, 0, "1e+20");
    expect_fixed(1e300, 2, "1e+300");
    expect_fixed(123456.789, 15, "123456.789");
    expect_fixed(NAN, 2, "nan");
    expect_fixed(INFINITY, 2, "inf");
    expect_fixed(-INFINITY, 0, "-inf");
}

/* ---- parsers */

static void test_parse_i64(void **state)
{
    (void)state;
    static const struct { const char *s; int64_t v; } ok[] = {
        { "0", 0 }, { "-0", 0 }, { "+0", 0 }, { "42", 42 }, { "-42", -42 }, { "+7", 7 },
        { "  12  ", 12 }, { " -3", -3 }, { "007", 7 },
        { "9223372036854775807", INT64_MAX }, { "-9223372036854775808", INT64_MIN },
        { "-9223372036854775807", -INT64_MAX }, { "00000000000000000000000001", 1 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = 12345;
        if (synth_parse_i64(ok[i].s, strlen(ok[i].s), &v) != 0)
            fail_msg("parse_i64 rejected '%s'", ok[i].s);
        assert_true(v == ok[i].v);
    }
    static const char *const bad[] = {
        "", " ", "-", "+", "--1", "+-1", "1.0", "1e3", "0x10", "1 2", "12a", "a12", "\t1", "1\n",
        "9223372036854775808", "-9223372036854775809", "99999999999999999999", "1,000", "١",
        " - 1", "1_000", "inf", "nan",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 12345;
        if (synth_parse_i64(bad[i], strlen(bad[i]), &v) == 0)
            fail_msg("parse_i64 accepted '%s'", bad[i]);
        assert_true(v == 12345);
    }
    /* len is respected: no reading past it */
    int64_t v = 0;
    assert_int_equal(synth_parse_i64("123456", 3, &v), 0);
    assert_true(v == 123);
}

static void test_parse_double_tables(void **state)
{
    (void)state;
    static const struct { const char *s; double v; int dec; } ok[] = {
        { "3", 3, 0 }, { "-2.50", -2.5, 2 }, { ".5", 0.5, 1 }, { "5.", 5, 0 }, { "1e-3", 0.001, 3 },
        { "1E3", 1000, 0 }, { "1.25e1", 12.5, 1 }, { "1.5e6", 1500000, 0 }, { "+4", 4, 0 },
        { "  -0.125  ", -0.125, 3 }, { "0", 0, 0 }, { "-0", -0.0, 0 }, { "0.000", 0, 3 },
        { "1e+2", 100, 0 }, { "12.345e-2", 0.12345, 5 }, { "1e-20", 1e-20, 15 },
        { "123456789012345678901234567890", 123456789012345678901234567890.0, 0 },
        { "0.1", 0.1, 1 }, { "3.14159265358979323846", 3.14159265358979323846, 15 },
        { "1e308", 1e308, 0 }, { "1e-400", 0.0, 15 }, { "4.9e-324", 4.9e-324, 15 },
        { "9007199254740993", 9007199254740992.0, 0 }, { "0e99999999999", 0.0, 0 },
        { "00012.5000", 12.5, 4 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = 123;
        int dec = -1;
        if (synth_parse_double(ok[i].s, strlen(ok[i].s), &v, &dec) != 0)
            fail_msg("parse_double rejected '%s'", ok[i].s);
        if (v != ok[i].v || signbit(v) != signbit(ok[i].v) || dec != ok[i].dec)
            fail_msg("parse_double('%s') = %.17g dec %d, want %.17g dec %d", ok[i].s, v, dec,
                     ok[i].v, ok[i].dec);
    }
    static const char *const bad[] = {
        "", " ", ".", "-", "+", "e5", ".e5", "1e", "1e+", "1e-", "1.2.3", "1..2", "--1", "0x1p3",
        "0x10", "inf", "-inf", "nan", "NaN", "infinity", "1,5", "1 5", "1e5.5", "1e5e5", "\t1",
        "1\t", "1f", "1d", "abc", "1e400", "-1e400", "+-1", "1_000", " . ",
        "12345678901234567890123456789012345678901234567890123456789012345",   /* 65 chars */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 123;
        int dec = -1;
        if (synth_parse_double(bad[i], strlen(bad[i]), &v, &dec) == 0)
            fail_msg("parse_double accepted '%s'", bad[i]);
    }
    /* 64 characters (plus spaces around) is still fine; NULL decimals is allowed */
    const char *s64 = "   1234567890123456789012345678901234567890123456789012345678901234   ";
    double v = 0;
    assert_int_equal(synth_parse_double(s64, strlen(s64), &v, NULL), 0);
    assert_true(v == 1234567890123456789012345678901234567890123456789012345678901234.0);
    /* len is respected */
    assert_int_equal(synth_parse_double("2.5e3", 3, &v, NULL), 0);
    assert_true(v == 2.5);
}

/* Random decimal strings: the result must equal glibc strtod exactly (fast path and slow path). */
static void test_parse_double_vs_strtod(void **state)
{
    (void)state;
    char s[80];
    for (int i = 0; i < 300000; i++) {
        int pos = 0;
        if (rnd() & 1)
            s[pos++] = '-';
        int nint = (int)(rnd() % 12), nfrac = (int)(rnd() % 12);
        if (rnd() % 8 == 0)
            nint += (int)(rnd() % 20);
        for (int k = 0; k < nint; k++)
            s[pos++] = (char)('0' + rnd() % 10);
        if (nfrac > 0 || nint == 0) {
            s[pos++] = '.';
            if (nfrac == 0)
                nfrac = 1;
            for (int k = 0; k < nfrac; k++)
                s[pos++] = (char)('0' + rnd() % 10);
        }
        int e = 0;
        if (rnd() % 3 == 0) {
            e = (int)(rnd() % 60) - 30;
            pos += snprintf(s + pos, sizeof s - (size_t)pos, "e%d", e);
        }
        s[pos] = '\0';
        double v = 0;
        int dec = -1;
        if (synth_parse_double(s, (size_t)pos, &v, &dec) != 0)
            fail_msg("rejected '%s'", s);
        double want = strtod(s, NULL);
        if (v != want || signbit(v) != signbit(want))
            fail_msg("parse_double('%s') = %.17g, strtod = %.17g", s, v, want);
        int wdec = nfrac - e;
        wdec = wdec < 0 ? 0 : wdec > 15 ? 15 : wdec;
        assert_int_equal(dec, wdec);
        /* and formatting with those decimals reads back to the same value when it fits */
        if (fabs(v) < 1e12 && dec <= 6 && nfrac + nint <= 15) {
            char buf[SYNTH_NUMFMT_MAX];
            size_t n = synth_fmt_fixed(buf, v, dec);
            double back = 0;
            assert_int_equal(synth_parse_double(buf, n, &back, NULL), 0);
            if (back != v)
                fail_msg("'%s' -> %.*s -> %.17g", s, (int)n, buf, back);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_int_edges),
        cmocka_unit_test(test_fmt_int_random),
        cmocka_unit_test(test_fixed_cases),
        cmocka_unit_test(test_fixed_random),
        cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_parse_double_tables),
        cmocka_unit_test(test_parse_double_vs_strtod),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
