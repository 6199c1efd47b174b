/* test_count_arg.c -- unit tests for count_arg.c: accepted spellings with their exact values,
 * rejected ones with the exact message, limits (max, uint64 overflow) and --shard parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "count_arg.h"

static void test_accept(void **state)
{
    (void)state;
    static const struct { const char *s; uint64_t v; } ok[] = {
        { "0", 0 },
        { "1", 1 },
        { "10000000", 10000000 },
        { "10_000_000", 10000000 },
        { "1_0", 10 },
        { "1e7", 10000000 },
        { "1E7", 10000000 },
        { "1e+7", 10000000 },
        { "1.5e6", 1500000 },
        { "1.25e2", 125 },
        { "1.50e1", 15 },
        { "12.0", 12 },
        { "10e-1", 1 },
        { "0e-5", 0 },
        { "0.0", 0 },
        { ".5e1", 5 },
        { "10M", 10000000 },
        { "10k", 10000 },
        { "10K", 10000 },
        { "2G", 2000000000 },
        { "2B", 2000000000 },
        { "1T", 1000000000000ULL },
        { "1.5M", 1500000 },
        { "2.5k", 2500 },
        { "1_000k", 1000000 },
        { "+5", 5 },
        { "007", 7 },
        { "0e99999999999", 0 },
        { "18446744073709551615", UINT64_MAX },
        { "18_446_744_073_709_551_615", UINT64_MAX },
        { "1.8446744073709551615e19", UINT64_MAX },
        { "0000000000000000000000000000000000000000000000000000000000000000000000000042", 42 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 777;
        synth_err err;
        synth_err_clear(&err);
        int rc = synth_parse_count(ok[i].s, UINT64_MAX, &v, "--rows", &err);
        if (rc != 0)
            fail_msg("'%s' rejected: %s", ok[i].s, err.msg);
        if (v != ok[i].v)
            fail_msg("'%s' = %llu, want %llu", ok[i].s, (unsigned long long)v,
                     (unsigned long long)ok[i].v);
        assert_int_equal(err.code, SYNTH_OK);
    }
    /* max itself is fine; NULL err is allowed */
    uint64_t v = 0;
    assert_int_equal(synth_parse_count("1000", 1000, &v, "--rows", NULL), 0);
    assert_true(v == 1000);
    assert_int_equal(synth_parse_count("1k", 1000, &v, "--rows", NULL), 0);
    assert_true(v == 1000);
}

static void expect_reject(const char *text, uint64_t max, const char *msg)
{
    uint64_t v = 777;
    synth_err err;
    synth_err_clear(&err);
    int rc = synth_parse_count(text, max, &v, "--rows", &err);
    if (rc == 0)
        fail_msg("'%s' accepted as %llu", text, (unsigned long long)v);
    assert_int_equal(rc, SYNTH_USAGE);
    assert_int_equal(err.code, SYNTH_USAGE);
    assert_true(v == 777);
    if (strcmp(err.msg, msg) != 0)
        fail_msg("'%s': message '%s', want '%s'", text, err.msg, msg);
}

#define NAN_MSG "is not a number (expected e.g. 1000, 10_000, 1e6, 1.5e6 or 10M)"
#define US_MSG "has a misplaced '_' (use it only between digits: 10_000)"

static void test_reject(void **state)
{
    (void)state;
    expect_reject("1.5", UINT64_MAX, "--rows: '1.5' is not a whole number");
    expect_reject("1e-1", UINT64_MAX, "--rows: '1e-1' is not a whole number");
    expect_reject("1500e-3", UINT64_MAX, "--rows: '1500e-3' is not a whole number");
    expect_reject("1.0001k", UINT64_MAX, "--rows: '1.0001k' is not a whole number");
    expect_reject("1e-99999999", UINT64_MAX, "--rows: '1e-99999999' is not a whole number");
    expect_reject("-5", UINT64_MAX, "--rows: '-5' must not be negative");
    expect_reject("-0", UINT64_MAX, "--rows: '-0' must not be negative");
    expect_reject("", UINT64_MAX,
                  "--rows: empty value (expected a whole number such as 1000, 10_000, 1e6, 1.5e6 "
                  "or 10M)");
    expect_reject("1__0", UINT64_MAX, "--rows: '1__0' " US_MSG);
    expect_reject("_10", UINT64_MAX, "--rows: '_10' " US_MSG);
    expect_reject("10_", UINT64_MAX, "--rows: '10_' " US_MSG);
    expect_reject("1_.5e1", UINT64_MAX, "--rows: '1_.5e1' " US_MSG);
    expect_reject("1._5e1", UINT64_MAX, "--rows: '1._5e1' " US_MSG);
    expect_reject("10_k", UINT64_MAX, "--rows: '10_k' " US_MSG);
    expect_reject("1e5_", UINT64_MAX, "--rows: '1e5_' " US_MSG);
    expect_reject(" 10", UINT64_MAX, "--rows: ' 10' " NAN_MSG);
    expect_reject("10 ", UINT64_MAX, "--rows: '10 ' " NAN_MSG);
    expect_reject("1 0", UINT64_MAX, "--rows: '1 0' " NAN_MSG);
    expect_reject("\t10", UINT64_MAX, "--rows: '\t10' " NAN_MSG);
    expect_reject("10x", UINT64_MAX, "--rows: '10x' " NAN_MSG);
    expect_reject("10m", UINT64_MAX, "--rows: '10m' " NAN_MSG);
    expect_reject("10kk", UINT64_MAX, "--rows: '10kk' " NAN_MSG);
    expect_reject("1e5k", UINT64_MAX, "--rows: '1e5k' " NAN_MSG);
    expect_reject("k", UINT64_MAX, "--rows: 'k' " NAN_MSG);
    expect_reject(".", UINT64_MAX, "--rows: '.' " NAN_MSG);
    expect_reject("e5", UINT64_MAX, "--rows: 'e5' " NAN_MSG);
    expect_reject("1e", UINT64_MAX, "--rows: '1e' " NAN_MSG);
    expect_reject("1e+", UINT64_MAX, "--rows: '1e+' " NAN_MSG);
    expect_reject("0x10", UINT64_MAX, "--rows: '0x10' " NAN_MSG);
    expect_reject("1,000", UINT64_MAX, "--rows: '1,000' " NAN_MSG);
    expect_reject("++1", UINT64_MAX, "--rows: '++1' " NAN_MSG);
    expect_reject("inf", UINT64_MAX, "--rows: 'inf' " NAN_MSG);
    expect_reject("1.2.3", UINT64_MAX, "--rows: '1.2.3' " NAN_MSG);
    /* limits */
    expect_reject("1001", 1000, "--rows: '1001' is too large (max 1000)");
    expect_reject("1.001k", 1000, "--rows: '1.001k' is too large (max 1000)");
    expect_reject("1T", 999999999999ULL, "--rows: '1T' is too large (max 999999999999)");
    expect_reject("18446744073709551616", UINT64_MAX,
                  "--rows: '18446744073709551616' is too large (max 18446744073709551615)");
    expect_reject("99999999999999999999999", UINT64_MAX,
                  "--rows: '99999999999999999999999' is too large (max 18446744073709551615)");
    expect_reject("1e20", UINT64_MAX, "--rows: '1e20' is too large (max 18446744073709551615)");
    expect_reject("1e99999999999", UINT64_MAX,
                  "--rows: '1e99999999999' is too large (max 18446744073709551615)");
    expect_reject("20000000T", UINT64_MAX,
                  "--rows: '20000000T' is too large (max 18446744073709551615)");
    expect_reject("1", 0, "--rows: '1' is too large (max 0)");
    /* long text is cut in the message */
    char longtext[200];
    memset(longtext, '9', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    char want[300];
    snprintf(want, sizeof want, "--rows: '%.64s...' is too large (max 18446744073709551615)",
             longtext);
    expect_reject(longtext, UINT64_MAX, want);
}

static void test_what(void **state)
{
    (void)state;
    synth_err err;
    uint64_t v;
    assert_int_equal(synth_parse_count("x", 10, &v, "--max-categories", &err), SYNTH_USAGE);
    assert_non_null(strstr(err.msg, "--max-categories: 'x'"));
    assert_int_equal(synth_parse_count(NULL, 10, &v, "--rows", &err), SYNTH_USAGE);
}

static void test_shard(void **state)
{
    (void)state;
    static const struct { const char *s; uint64_t i, k; } ok[] = {
        { "0/1", 0, 1 }, { "0/4", 0, 4 }, { "3/4", 3, 4 }, { "999999/1000000", 999999, 1000000 },
        { "01/02", 1, 2 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t idx = 9, cnt = 9;
        synth_err err;
        if (synth_parse_shard(ok[i].s, &idx, &cnt, &err) != 0)
            fail_msg("shard '%s' rejected: %s", ok[i].s, err.msg);
        assert_true(idx == ok[i].i && cnt == ok[i].k);
    }
    static const struct { const char *s; const char *msg; } bad[] = {
        { "4/4", "--shard: '4/4': the shard index I must be less than K (shards are numbered "
                 "0..K-1)" },
        { "0/0", "--shard: '0/0': the shard count K must be between 1 and 1000000" },
        { "0/1000001", "--shard: '0/1000001': the shard count K must be between 1 and 1000000" },
        { "0/99999999999999999999999", "--shard: '0/99999999999999999999999': the shard count K "
                                       "must be between 1 and 1000000" },
        { "", "--shard: '' is not of the form I/K (e.g. 0/4: the first of 4 shards)" },
        { "1", "--shard: '1' is not of the form I/K (e.g. 0/4: the first of 4 shards)" },
        { "1/", "--shard: '1/' is not of the form I/K (e.g. 0/4: the first of 4 shards)" },
        { "/4", "--shard: '/4' is not of the form I/K (e.g. 0/4: the first of 4 shards)" },
        { "-1/4", "--shard: '-1/4' is not of the form I/K (e.g. 0/4: the first of 4 shards)" },
        { "1/4/5", "--shard: '1/4/5' is not of the form I/K (e.g. 0/4: the first of 4 shards)" },
        { " 1/4", "--shard: ' 1/4' is not of the form I/K (e.g. 0/4: the first of 4 shards)" },
        { "1 /4", "--shard: '1 /4' is not of the form I/K (e.g. 0/4: the first of 4 shards)" },
        { "1/4 ", "--shard: '1/4 ' is not of the form I/K (e.g. 0/4: the first of 4 shards)" },
        { "a/b", "--shard: 'a/b' is not of the form I/K (e.g. 0/4: the first of 4 shards)" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t idx = 9, cnt = 9;
        synth_err err;
        synth_err_clear(&err);
        assert_int_equal(synth_parse_shard(bad[i].s, &idx, &cnt, &err), SYNTH_USAGE);
        assert_true(idx == 9 && cnt == 9);
        if (strcmp(err.msg, bad[i].msg) != 0)
            fail_msg("shard '%s': message '%s', want '%s'", bad[i].s, err.msg, bad[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_reject),
        cmocka_unit_test(test_what),
        cmocka_unit_test(test_shard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
