/* test_datetime.c -- unit tests for datetime.c: calendar conversions (known values, inverse over a
 * wide range, agreement with a naive day counter), parsing (valid and invalid dates and times,
 * every candidate layout), formatting (round trips, rounding, clamping, unpadded fields) and
 * user patterns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "datetime.h"

static uint64_t g_rng = 0x243F6A8885A308D3ULL;
static uint64_t rnd(void)
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 2685821657736338717ULL;
}

static const synth_dtfmt *find_layout(const char *pattern)
{
    size_t n = 0;
    const synth_dtfmt *c = synth_dt_candidates(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].pattern, pattern) == 0)
            return &c[i];
    fail_msg("candidate '%s' missing", pattern);
    return NULL;
}

static int parse(const char *pattern, const char *s, double *t)
{
    synth_dtfmt f;
    assert_int_equal(synth_dt_from_pattern(&f, pattern), 0);
    return synth_dt_parse(&f, s, strlen(s), t);
}

static void test_days_known(void **state)
{
    (void)state;
    assert_true(synth_days_from_civil(1970, 1, 1) == 0);
    assert_true(synth_days_from_civil(1970, 1, 2) == 1);
    assert_true(synth_days_from_civil(1969, 12, 31) == -1);
    assert_true(synth_days_from_civil(2000, 2, 29) == 11016);
    assert_true(synth_days_from_civil(2000, 3, 1) == 11017);
    assert_true(synth_days_from_civil(1900, 3, 1) == -25508);
    assert_true(synth_days_from_civil(9999, 12, 31) == 2932896);
    assert_true(synth_days_from_civil(1, 1, 1) == -719162);
    assert_true(synth_days_from_civil(2021, 3, 7) == 18693);
    int y, m, d;
    synth_civil_from_days(-719162, &y, &m, &d);
    assert_true(y == 1 && m == 1 && d == 1);
    synth_civil_from_days(2932896, &y, &m, &d);
    assert_true(y == 9999 && m == 12 && d == 31);
    synth_civil_from_days(11016, &y, &m, &d);
    assert_true(y == 2000 && m == 2 && d == 29);
    synth_civil_from_days(-1, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 31);
}

static int naive_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Walk day by day from 0001-01-01 to 9999-12-31 with a naive calendar; both directions agree. */
static void test_days_walk(void **state)
{
    (void)state;
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    long long days = -719162;
    for (int y = 1; y <= 9999; y++) {
        for (int m = 1; m <= 12; m++) {
            int n = dim[m - 1] + (m == 2 && naive_is_leap(y));
            for (int d = 1; d <= n; d++) {
                if (synth_days_from_civil(y, m, d) != days)
                    fail_msg("days_from_civil(%d,%d,%d) = %lld, want %lld", y, m, d,
                             synth_days_from_civil(y, m, d), days);
                int yy, mm, dd;
                synth_civil_from_days(days, &yy, &mm, &dd);
                if (yy != y || mm != m || dd != d)
                    fail_msg("civil_from_days(%lld) = %d-%d-%d", days, yy, mm, dd);
                days++;
            }
        }
    }
}

/* Inverse over a much wider range (beyond the 0001..9999 the layouts use). */
static void test_days_inverse_wide(void **state)
{
    (void)state;
    for (long long z = -50000000LL; z <= 50000000LL; z += 997) {
        int y, m, d;
        synth_civil_from_days(z, &y, &m, &d);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= 31);
        assert_true(synth_days_from_civil(y, m, d) == z);
    }
}

static void expect_epoch(const char *pattern, const char *s, double want)
{
    double t = -1;
    if (parse(pattern, s, &t) != 0)
        fail_msg("'%s' rejected by '%s'", s, pattern);
    if (t != want)
        fail_msg("'%s' with '%s' = %.17g, want %.17g", s, pattern, t, want);
}

static void expect_reject(const char *pattern, const char *s)
{
    double t = 12345;
    if (parse(pattern, s, &t) == 0)
        fail_msg("'%s' accepted by '%s' (%.17g)", s, pattern, t);
    assert_true(t == 12345);
}

static void test_parse_known(void **state)
{
    (void)state;
    expect_epoch("%Y-%m-%d", "1970-01-01", 0);
    expect_epoch("%Y-%m-%d", "2000-02-29", 11016 * 86400.0);
    expect_epoch("%Y-%m-%d", "1969-12-31", -86400);
    expect_epoch("%Y-%m-%d", "9999-12-31", 2932896 * 86400.0);
    expect_epoch("%Y-%m-%d", "0001-01-01", -719162 * 86400.0);
    expect_epoch("%Y-%m-%dT%H:%M:%S", "1970-01-01T00:00:01", 1);
    expect_epoch("%Y-%m-%dT%H:%M:%S", "1969-12-31T23:59:59", -1);
    expect_epoch("%Y-%m-%dT%H:%M:%SZ", "2021-03-07T12:34:56Z", 1615120496);
    expect_epoch("%Y-%m-%dT%H:%M:%S.%f", "1970-01-01T00:00:00.5", 0.5);
    expect_epoch("%Y-%m-%dT%H:%M:%S.%f", "1969-12-31T23:59:59.5", -0.5);
    expect_epoch("%Y-%m-%dT%H:%M:%S.%f", "1970-01-01T00:00:00.123456789", 0.123456789);
    expect_epoch("%Y-%m-%d %H:%M", "2021-03-07 12:34", 1615120440);
    expect_epoch("%m/%d/%Y", "03/07/2021", 18693 * 86400.0);
    expect_epoch("%d/%m/%Y", "07/03/2021", 18693 * 86400.0);
    expect_epoch("%-m/%-d/%Y", "3/7/2021", 18693 * 86400.0);
    expect_epoch("%-m/%-d/%Y", "03/07/2021", 18693 * 86400.0);
    expect_epoch("%-m/%-d/%Y", "12/31/2021", 18992 * 86400.0);
    expect_epoch("%d.%m.%Y", "07.03.2021", 18693 * 86400.0);
    expect_epoch("%H:%M:%S", "01:02:03", 3723);
    expect_epoch("%H:%M:%S", "23:59:60", 86400);   /* leap second: 59 + 1 */
    expect_epoch("%Y-%m-%d %H:%M:%S", "2016-12-31 23:59:60", 1483228800);
    expect_epoch("%Y%%%m", "2021%03", 18687 * 86400.0);
    /* parse_ex reports the fraction digits */
    synth_dtfmt f;
    assert_int_equal(synth_dt_from_pattern(&f, "%Y-%m-%dT%H:%M:%S.%f"), 0);
    double t;
    int fd = -1;
    assert_int_equal(synth_dt_parse_ex(&f, "2021-03-07T12:34:56.120", 23, &t, &fd), 0);
    assert_int_equal(fd, 3);
    assert_int_equal(synth_dt_parse_ex(&f, "2021-03-07T12:34:56.1", 21, &t, NULL), 0);
    assert_int_equal(synth_dt_from_pattern(&f, "%Y-%m-%d"), 0);
    assert_int_equal(synth_dt_parse_ex(&f, "2021-03-07", 10, &t, &fd), 0);
    assert_int_equal(fd, 0);
}

static void test_parse_invalid(void **state)
{
    (void)state;
    expect_reject("%Y-%m-%d", "2021-02-29");
    expect_reject("%Y-%m-%d", "1900-02-29");
    expect_reject("%Y-%m-%d", "2021-13-01");
    expect_reject("%Y-%m-%d", "2021-00-01");
    expect_reject("%Y-%m-%d", "2021-01-00");
    expect_reject("%Y-%m-%d", "2021-04-31");
    expect_reject("%Y-%m-%d", "0000-01-01");
    expect_reject("%Y-%m-%d", "21-01-01");
    expect_reject("%Y-%m-%d", "20210-01-01");
    expect_reject("%Y-%m-%d", "2021-1-01");
    expect_reject("%Y-%m-%d", "2021-01-01 ");
    expect_reject("%Y-%m-%d", " 2021-01-01");
    expect_reject("%Y-%m-%d", "2021-01-0");
    expect_reject("%Y-%m-%d", "2021/01/01");
    expect_reject("%Y-%m-%d", "");
    expect_reject("%Y-%m-%d", "+021-01-01");
    expect_reject("%Y-%m-%d", "2021-0a-01");
    expect_reject("%H:%M:%S", "24:00:00");
    expect_reject("%H:%M:%S", "23:60:00");
    expect_reject("%H:%M:%S", "23:59:61");
    expect_reject("%H:%M:%S", "1:02:03");
    expect_reject("%Y-%m-%dT%H:%M:%S.%f", "2021-03-07T12:34:56.");
    expect_reject("%Y-%m-%dT%H:%M:%S.%f", "2021-03-07T12:34:56.1234567890");
    expect_reject("%Y-%m-%dT%H:%M:%S.%f", "2021-03-07T12:34:56");
    expect_reject("%Y-%m-%dT%H:%M:%SZ", "2021-03-07T12:34:56");
    expect_reject("%Y-%m-%dT%H:%M:%S", "2021-03-07T12:34:56Z");
    expect_reject("%Y-%m-%dT%H:%M:%S", "2021-03-07t12:34:56");
    expect_reject("%-m/%-d/%Y", "3/7/21");
    expect_reject("%-m/%-d/%Y", "/7/2021");
    expect_reject("%-m/%-d/%Y", "123/7/2021");
    expect_reject("%-m/%-d/%Y", "13/7/2021");
    expect_reject("%m/%d/%Y", "3/7/2021");
    /* len is respected (no NUL needed) */
    synth_dtfmt f;
    assert_int_equal(synth_dt_from_pattern(&f, "%Y-%m-%d"), 0);
    double t;
    assert_int_equal(synth_dt_parse(&f, "2021-03-07T00", 10, &t), 0);
    assert_int_equal(synth_dt_parse(&f, "2021-03-07", 9, &t), -1);
}

static void test_candidates(void **state)
{
    (void)state;
    size_t n = 0;
    const synth_dtfmt *c = synth_dt_candidates(&n);
    assert_true(n >= 16);
    static const char *const required[] = {
        "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
        "%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%d/%m/%Y",
        "%d.%m.%Y", "%d-%m-%Y", "%H:%M:%S", "%-m/%-d/%Y",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        (void)find_layout(required[i]);
    for (size_t i = 0; i < n; i++) {
        /* every candidate is a valid user pattern with the same frac_digits */
        synth_dtfmt f;
        assert_int_equal(synth_dt_from_pattern(&f, c[i].pattern), 0);
        assert_int_equal(f.frac_digits, c[i].frac_digits);
        assert_false(strcmp(c[i].pattern, "%Y%m%d") == 0);
    }
    /* padded layouts match padded text first; unpadded text only the unpadded twin */
    double t;
    size_t first_padded = n, first_unpadded = n;
    for (size_t i = 0; i < n; i++) {
        if (first_padded == n && synth_dt_parse(&c[i], "03/07/2021", 10, &t) == 0)
            first_padded = i;
        if (first_unpadded == n && synth_dt_parse(&c[i], "3/7/2021", 8, &t) == 0)
            first_unpadded = i;
    }
    assert_string_equal(c[first_padded].pattern, "%m/%d/%Y");
    assert_string_equal(c[first_unpadded].pattern, "%-m/%-d/%Y");
    assert_non_null(synth_dt_candidates(NULL));
}

static void expect_format(const char *pattern, int frac_digits, double t, const char *want)
{
    synth_dtfmt f;
    assert_int_equal(synth_dt_from_pattern(&f, pattern), 0);
    if (frac_digits > 0)
        f.frac_digits = frac_digits;
    char buf[SYNTH_DT_TEXT_MAX];
    size_t n = synth_dt_format(&f, t, buf);
    assert_true(n < SYNTH_DT_TEXT_MAX);
    if (n != strlen(want) || memcmp(buf, want, n) != 0)
        fail_msg("format('%s', %.17g) = '%.*s', want '%s'", pattern, t, (int)n, buf, want);
}

static void test_format_cases(void **state)
{
    (void)state;
    expect_format("%Y-%m-%dT%H:%M:%S", 0, 0, "1970-01-01T00:00:00");
    expect_format("%Y-%m-%dT%H:%M:%S", 0, -1, "1969-12-31T23:59:59");
    expect_format("%Y-%m-%dT%H:%M:%S", 0, -0.25, "1969-12-31T23:59:59");   /* truncates down */
    expect_format("%Y-%m-%dT%H:%M:%S", 0, 1615120496.999, "2021-03-07T12:34:56");
    expect_format("%Y-%m-%d", 0, 1615120496, "2021-03-07");
    expect_format("%Y-%m-%d", 0, -1, "1969-12-31");
    expect_format("%Y-%m-%d %H:%M", 0, 1615120496, "2021-03-07 12:34");
    expect_format("%Y-%m-%dT%H:%M:%S.%f", 3, 1615120496.9996, "2021-03-07T12:34:57.000");
    expect_format("%Y-%m-%dT%H:%M:%S.%f", 3, 1615120496.1234, "2021-03-07T12:34:56.123");
    expect_format("%Y-%m-%dT%H:%M:%S.%fZ", 6, -0.5, "1969-12-31T23:59:59.500000Z");
    expect_format("%Y-%m-%dT%H:%M:%S.%f", 9, 0.123456789, "1970-01-01T00:00:00.123456789");
    expect_format("%Y-%m-%dT%H:%M:%S.%f", 1, 59.96, "1970-01-01T00:01:00.0");
    expect_format("%Y-%m-%dT%H:%M:%S.%3f", 0, 1.5, "1970-01-01T00:00:01.500");
    expect_format("%-m/%-d/%Y", 0, 18693 * 86400.0, "3/7/2021");
    expect_format("%-m/%-d/%Y", 0, 18992 * 86400.0, "12/31/2021");
    expect_format("%m/%d/%Y", 0, 18693 * 86400.0, "03/07/2021");
    expect_format("%-H:%-M:%-S", 0, 3723, "1:2:3");
    expect_format("%H:%M:%S", 0, 18693 * 86400.0 + 3723, "01:02:03");
    expect_format("%d.%m.%Y", 0, 11016 * 86400.0, "29.02.2000");
    expect_format("%Y%%%m", 0, 18693 * 86400.0, "2021%03");
    /* clamping */
    expect_format("%Y-%m-%dT%H:%M:%S", 0, -1e18, "0001-01-01T00:00:00");
    expect_format("%Y-%m-%dT%H:%M:%S", 0, 1e18, "9999-12-31T23:59:59");
    expect_format("%Y-%m-%dT%H:%M:%S", 0, INFINITY, "9999-12-31T23:59:59");
    expect_format("%Y-%m-%dT%H:%M:%S", 0, -INFINITY, "0001-01-01T00:00:00");
    expect_format("%Y-%m-%dT%H:%M:%S", 0, NAN, "1970-01-01T00:00:00");
    expect_format("%Y-%m-%dT%H:%M:%S.%f", 3, 253402300799.9999, "9999-12-31T23:59:59.999");
    expect_format("%Y-%m-%d", 0, 2932897 * 86400.0, "9999-12-31");
}

/* format(parse(s)) == s for canonical text in every candidate layout. */
static void test_round_trip_candidates(void **state)
{
    (void)state;
    size_t n = 0;
    const synth_dtfmt *c = synth_dt_candidates(&n);
    for (size_t ci = 0; ci < n; ci++) {
        synth_dtfmt f = c[ci];
        int has_frac = strstr(f.pattern, "%f") != NULL;
        for (int i = 0; i < 20000; i++) {
            long long day = (long long)(rnd() % 2932897ULL + 0) - 719162;   /* 0001..9999 */
            long long sod = (long long)(rnd() % 86400);
            double t = (double)(day * 86400 + sod);
            if (has_frac) {
                /* doubles hold ~16 digits: ms everywhere, us near the present, ns near 1970 */
                f.frac_digits = 1 + (int)(rnd() % 3);
                if (rnd() & 1) {
                    t = (double)((long long)(rnd() % 4000000000ULL) - 2000000000LL);
                    f.frac_digits = 1 + (int)(rnd() % 6);
                }
                if (rnd() % 4 == 0) {
                    t = (double)((long long)(rnd() % 200000) - 100000);
                    f.frac_digits = 1 + (int)(rnd() % 9);
                }
                static const double p10[10] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
                t += (double)(rnd() % (uint64_t)p10[f.frac_digits]) / p10[f.frac_digits];
            }
            char buf[SYNTH_DT_TEXT_MAX];
            size_t len = synth_dt_format(&f, t, buf);
            double back = 0;
            int fd = -1;
            if (synth_dt_parse_ex(&f, buf, len, &back, &fd) != 0)
                fail_msg("'%s' does not parse its own '%.*s'", f.pattern, (int)len, buf);
            assert_int_equal(fd, has_frac ? f.frac_digits : 0);
            char again[SYNTH_DT_TEXT_MAX];
            size_t len2 = synth_dt_format(&f, back, again);
            if (len2 != len || memcmp(buf, again, len) != 0)
                fail_msg("'%s': '%.*s' -> '%.*s'", f.pattern, (int)len, buf, (int)len2, again);
            /* the parsed value is the formatted value truncated to the layout's resolution */
            if (strcmp(f.pattern, "%H:%M:%S") == 0)
                assert_true(back == (double)sod);
            else if (strstr(f.pattern, "%Y") != NULL && has_frac && f.frac_digits <= 3)
                assert_true(fabs(back - t) < 1e-3);
        }
    }
}

static void test_from_pattern(void **state)
{
    (void)state;
    synth_dtfmt f;
    assert_int_equal(synth_dt_from_pattern(&f, "%Y-%m-%d"), 0);
    assert_string_equal(f.pattern, "%Y-%m-%d");
    assert_int_equal(f.frac_digits, 0);
    assert_int_equal(synth_dt_from_pattern(&f, "%H:%M:%S.%f"), 0);
    assert_int_equal(f.frac_digits, 6);
    assert_int_equal(synth_dt_from_pattern(&f, "%H:%M:%S.%3f"), 0);
    assert_int_equal(f.frac_digits, 3);
    assert_int_equal(synth_dt_from_pattern(&f, "%Y%%"), 0);
    static const char *const bad[] = {
        "", "%", "%q", "%Y-%", "%-Y", "%-f", "%0f", "%10f", "%-", "no directives", "%%",
        "%Y-%m-%dT%H:%M:%S.%f---------------",   /* >= 32 chars */
        "%f%f%f%f%f%f",                           /* could write >= 48 chars */
        "%E", "%y", "%I",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (synth_dt_from_pattern(&f, bad[i]) == 0)
            fail_msg("pattern '%s' accepted", bad[i]);
}

/* Hand-made layouts that from_pattern refuses must still not overrun the output buffer. */
static void test_format_hostile_layout(void **state)
{
    (void)state;
    synth_dtfmt f;
    memset(&f, 0, sizeof f);
    memcpy(f.pattern, "%f%f%f%f%f%f%f%f%f%f%f%f%f%f%f", 31);
    f.frac_digits = 9;
    char buf[SYNTH_DT_TEXT_MAX];
    assert_true(synth_dt_format(&f, 1.5, buf) < SYNTH_DT_TEXT_MAX);
    memcpy(f.pattern, "%q%-%", 6);
    assert_true(synth_dt_format(&f, 1.5, buf) < SYNTH_DT_TEXT_MAX);
    double t;
    assert_int_equal(synth_dt_parse(&f, "%q%-%", 5, &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_known),
        cmocka_unit_test(test_days_walk),
        cmocka_unit_test(test_days_inverse_wide),
        cmocka_unit_test(test_parse_known),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_candidates),
        cmocka_unit_test(test_format_cases),
        cmocka_unit_test(test_round_trip_candidates),
        cmocka_unit_test(test_from_pattern),
        cmocka_unit_test(test_format_hostile_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
