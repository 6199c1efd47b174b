/* fuzz_numbers.c -- libFuzzer target for numfmt.c, datetime.c and count_arg.c.
 *
 * The input is one cell: it goes to synth_parse_i64, synth_parse_double, synth_parse_count,
 * synth_parse_shard, every candidate datetime layout and (when short) synth_dt_from_pattern.
 * Invariants: parsers never read past len (the cell is an exact-size heap copy, so ASan sees any
 * over-read); what a parser accepts formats back into text it accepts again with the same value
 * (within the rounding the format promises); the double parser agrees with strtod; no formatter
 * writes past its documented maximum. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "count_arg.h"
#include "datetime.h"
#include "numfmt.h"

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "fuzz_numbers: line %d: %s\n", __LINE__, #cond);       \
            abort();                                                                \
        }                                                                           \
    } while (0)

static const double k_pow10[16] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
};

static void check_i64(const char *cell, size_t len)
{
    int64_t v;
    if (synth_parse_i64(cell, len, &v) != 0)
        return;
    char buf[SYNTH_NUMFMT_MAX];
    size_t n = synth_fmt_i64(buf, v);
    CHECK(n >= 1 && n <= 20);
    int64_t back;
    CHECK(synth_parse_i64(buf, n, &back) == 0);
    CHECK(back == v);
    /* every accepted integer is also an accepted double with 0 decimals (the double parser
     * refuses numbers over 64 characters, which only leading zeros can make) */
    size_t b = 0, e = len;
    while (b < e && cell[b] == ' ')
        b++;
    while (e > b && cell[e - 1] == ' ')
        e--;
    double d;
    int dec = -1;
    if (e - b <= 64) {
        CHECK(synth_parse_double(cell, len, &d, &dec) == 0);
        CHECK(dec == 0);
        CHECK(d == (double)v);
    }
}

static void check_double(const char *cell, size_t len)
{
    double v;
    int dec = -1;
    if (synth_parse_double(cell, len, &v, &dec) != 0)
        return;
    CHECK(dec >= 0 && dec <= 15);
    CHECK(isfinite(v));
    /* agreement with strtod on the trimmed text (which passed our stricter grammar) */
    size_t b = 0, e = len;
    while (b < e && cell[b] == ' ')
        b++;
    while (e > b && cell[e - 1] == ' ')
        e--;
    char tmp[80];
    CHECK(e - b < sizeof tmp);
    memcpy(tmp, cell + b, e - b);
    tmp[e - b] = '\0';
    double want = strtod(tmp, NULL);
    CHECK(v == want && signbit(v) == signbit(want));

    char s[SYNTH_NUMFMT_MAX];
    size_t n = synth_fmt_fixed(s, v, dec);
    CHECK(n > 0 && n < SYNTH_NUMFMT_MAX);
    double back;
    int dec2;
    CHECK(synth_parse_double(s, n, &back, &dec2) == 0);
    if (fabs(v) * k_pow10[dec] < 9007199254740992.0) {
        double bound = 0.5 / k_pow10[dec] * (1 + 1e-12) + fabs(v) * 4e-16;
        CHECK(fabs(back - v) <= bound);
        CHECK(dec2 == dec);
        char again[SYNTH_NUMFMT_MAX];
        size_t n2 = synth_fmt_fixed(again, back, dec);
        CHECK(n2 == n && memcmp(again, s, n) == 0);
    } else {
        CHECK(back == v);   /* the general fallback is exact */
    }
}

static void check_count(const char *z)
{
    uint64_t v = 0;
    synth_err err;
    synth_err_clear(&err);
    if (synth_parse_count(z, UINT64_MAX, &v, "--rows", &err) == 0) {
        char buf[SYNTH_NUMFMT_MAX + 1];
        size_t n = synth_fmt_u64(buf, v);
        buf[n] = '\0';
        uint64_t back = 1;
        CHECK(synth_parse_count(buf, UINT64_MAX, &back, "--rows", NULL) == 0);
        CHECK(back == v);
        if (v > 0) {
            CHECK(synth_parse_count(z, v - 1, &back, "--rows", &err) == SYNTH_USAGE);
            CHECK(strstr(err.msg, "too large") != NULL);
        }
    } else {
        CHECK(err.code == SYNTH_USAGE);
        CHECK(strncmp(err.msg, "--rows: ", 8) == 0);
    }
    uint64_t idx, cnt;
    synth_err_clear(&err);
    if (synth_parse_shard(z, &idx, &cnt, &err) == 0)
        CHECK(cnt >= 1 && cnt <= 1000000 && idx < cnt);
    else
        CHECK(err.code == SYNTH_USAGE && strncmp(err.msg, "--shard: ", 9) == 0);
}

static void check_datetime(const char *cell, size_t len)
{
    const double max_seconds = (double)(synth_days_from_civil(9999, 12, 31) * 86400 + 86399);
    size_t count = 0;
    const synth_dtfmt *cands = synth_dt_candidates(&count);
    for (size_t i = 0; i < count; i++) {
        synth_dtfmt f = cands[i];
        double t1;
        int fd = -1;
        if (synth_dt_parse_ex(&f, cell, len, &t1, &fd) != 0)
            continue;
        CHECK(isfinite(t1));
        int has_frac = strstr(f.pattern, "%f") != NULL;
        CHECK(has_frac ? (fd >= 1 && fd <= 9) : fd == 0);
        if (has_frac)
            f.frac_digits = fd;
        char s2[SYNTH_DT_TEXT_MAX];
        size_t n2 = synth_dt_format(&f, t1, s2);
        CHECK(n2 < SYNTH_DT_TEXT_MAX);
        double t2;
        CHECK(synth_dt_parse(&f, s2, n2, &t2) == 0);
        if (t1 > max_seconds)       /* 9999-12-31T23:59:60 is clamped */
            continue;
        if (strstr(f.pattern, "%Y") == NULL && t1 >= 86400)
            t1 -= 86400;      /* time of day only: "23:59:60" is 86400 s, written "00:00:00" */
        char s3[SYNTH_DT_TEXT_MAX];
        size_t n3 = synth_dt_format(&f, t2, s3);
        if (!has_frac) {
            CHECK(t2 == t1);
            CHECK(n3 == n2 && memcmp(s2, s3, n2) == 0);
        } else {
            double bound = 0.5 * pow(10.0, -fd) + fabs(t1) * 4e-16 + 1e-12;
            CHECK(fabs(t2 - t1) <= bound);
            if (fd <= 3)
                CHECK(n3 == n2 && memcmp(s2, s3, n2) == 0);
        }
    }
}

static void check_pattern(const char *z)
{
    synth_dtfmt f;
    if (synth_dt_from_pattern(&f, z) != 0)
        return;
    CHECK(strlen(f.pattern) < SYNTH_DT_PATTERN_MAX);
    static const double times[] = { 0.0, -1.5, 1615120496.25, -62135596800.0, 253402300799.9,
                                    1e300, -1e300 };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char s[SYNTH_DT_TEXT_MAX];
        size_t n = synth_dt_format(&f, times[i], s);
        CHECK(n < SYNTH_DT_TEXT_MAX);
        double t;
        /* fixed-width layouts always read their own output back */
        if (strstr(f.pattern, "%-") == NULL && strchr(f.pattern, 'f') == NULL)
            CHECK(synth_dt_parse(&f, s, n, &t) == 0);
        else
            (void)synth_dt_parse(&f, s, n, &t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *cell = malloc(size ? size : 1);     /* exact size: over-reads hit the redzone */
    char *z = malloc(size + 1);
    if (cell == NULL || z == NULL) {
        free(cell);
        free(z);
        return 0;
    }
    memcpy(cell, data, size);
    memcpy(z, data, size);
    z[size] = '\0';

    check_i64(cell, size);
    check_double(cell, size);
    check_datetime(cell, size);
    if (memchr(data, '\0', size) == NULL) {
        check_count(z);
        if (size < 64)
            check_pattern(z);
    }
    free(cell);
    free(z);
    return 0;
}
