/* numfmt.c -- fast integer and fixed-decimal formatting and strict, allocation-free number parsing
 * for CSV cells (see numfmt.h).
 *
 * Integers are written two digits at a time from a 200-byte table.  synth_fmt_fixed scales by
 * 10^decimals, rounds half away from zero and prints integer part and zero-padded fraction with the
 * integer formatter; the only inexact step (the multiplication) is corrected with fma() when the
 * scaled value lands exactly on .5, so the result is the correctly rounded decimal of the double.
 * synth_parse_double validates the grammar itself, converts the common short cases exactly with
 * one IEEE operation (Clinger's fast path) and hands the rest to strtod_l in the "C" locale. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE      /* strtod_l, newlocale */
#endif
#include "numfmt.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "00".."99": two digits at a time (shared with datetime.c) */
const char synth__digits2[201] =
    "00010203040506070809"
    "10111213141516171819"
    "20212223242526272829"
    "30313233343536373839"
    "40414243444546474849"
    "50515253545556575859"
    "60616263646566676869"
    "70717273747576777879"
    "80818283848586878889"
    "90919293949596979899";

static const double k_pow10d[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static const uint64_t k_pow10u[16] = {
    1ULL,
    10ULL,
    100ULL,
    1000ULL,
    10000ULL,
    100000ULL,
    1000000ULL,
    10000000ULL,
    100000000ULL,
    1000000000ULL,
    10000000000ULL,
    100000000000ULL,
    1000000000000ULL,
    10000000000000ULL,
    100000000000000ULL,
    1000000000000000ULL,
};

#define TWO_POW_53 9007199254740992.0

static size_t count_digits(uint64_t v)
{
    size_t n = 1;
    for (;;) {
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* Write v backwards so that its last digit lands just before `end`. */
static void write_digits_backwards(char *end, uint64_t v)
{
    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        *--end = synth__digits2[i + 1];
        *--end = synth__digits2[i];
    }
    if (v >= 10) {
        unsigned i = (unsigned)v * 2;
        *--end = synth__digits2[i + 1];
        *--end = synth__digits2[i];
    } else {
        *--end = (char)('0' + v);
    }
}

/* Write exactly n digits of v (v < 10^n), zero-padded, backwards ending before `end`. */
static void write_padded_backwards(char *end, uint64_t v, int n)
{
    while (n >= 2) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        *--end = synth__digits2[i + 1];
        *--end = synth__digits2[i];
        n -= 2;
    }
    if (n == 1)
        *--end = (char)('0' + v % 10);
}

size_t synth_fmt_u64(char *buf, uint64_t v)
{
    size_t n = count_digits(v);
    write_digits_backwards(buf + n, v);
    return n;
}

size_t synth_fmt_i64(char *buf, int64_t v)
{
    if (v < 0) {
        buf[0] = '-';
        return 1 + synth_fmt_u64(buf + 1, 0 - (uint64_t)v);
    }
    return synth_fmt_u64(buf, (uint64_t)v);
}

/* ---- "C" locale for the strtod/snprintf slow paths */

static locale_t g_c_locale;
static pthread_once_t g_c_locale_once = PTHREAD_ONCE_INIT;

static void init_c_locale(void)
{
    g_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static locale_t c_locale(void)
{
    pthread_once(&g_c_locale_once, init_c_locale);
    return g_c_locale;
}

static double strtod_c(const char *s, char **end)
{
    locale_t loc = c_locale();
    if (loc != (locale_t)0)
        return strtod_l(s, end, loc);
    return strtod(s, end);
}

/* Shortest of "%.15g", "%.16g", "%.17g" that reads back as v (inf/nan as printf writes them). */
static size_t fmt_general(char *buf, double v)
{
    char tmp[SYNTH_NUMFMT_MAX];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (n < 0 || (size_t)n >= sizeof tmp) {
            n = 0;
            break;
        }
        if (!isfinite(v) || prec == 17)
            break;
        /* snprintf may use the locale's decimal point; the C-locale strtod wants '.'. */
        for (int i = 0; i < n; i++)
            if (tmp[i] == ',')
                tmp[i] = '.';
        if (strtod_c(tmp, NULL) == v)
            break;
    }
    for (int i = 0; i < n; i++)
        if (tmp[i] == ',')
            tmp[i] = '.';
    memcpy(buf, tmp, (size_t)n);
    return (size_t)n;
}

size_t synth_fmt_fixed(char *buf, double v, int decimals)
{
    if (decimals < 0)
        decimals = 0;
    if (decimals > 15)
        decimals = 15;
    double av = fabs(v);
    double p = k_pow10d[decimals];
    double a = av * p;
    if (!(a < TWO_POW_53))               /* also NaN and inf */
        return fmt_general(buf, v);
    uint64_t r = (uint64_t)a;
    double frac = a - (double)r;         /* exact: a < 2^53 */
    if (frac > 0.5) {
        r++;
    } else if (frac == 0.5) {
        /* The product may have been rounded onto the tie; its exact error decides. */
        double err = fma(av, p, -a);
        if (err >= 0)
            r++;
    }
    char *o = buf;
    if (signbit(v) && r != 0)
        *o++ = '-';
    if (decimals == 0)
        return (size_t)(o - buf) + synth_fmt_u64(o, r);
    uint64_t pu = k_pow10u[decimals];
    uint64_t ip = r / pu, fp = r % pu;
    o += synth_fmt_u64(o, ip);
    *o++ = '.';
    o += decimals;
    write_padded_backwards(o, fp, decimals);
    return (size_t)(o - buf);
}

/* ---- parsers */

#define NUM_TOKEN_MAX 64   /* longest number text (without surrounding spaces) we accept */

static void trim_spaces(const char *s, size_t *b, size_t *e)
{
    while (*b < *e && s[*b] == ' ')
        (*b)++;
    while (*e > *b && s[*e - 1] == ' ')
        (*e)--;
}

int synth_parse_i64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0, end = len;
    trim_spaces(s, &i, &end);
    int neg = 0;
    if (i < end && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i >= end)
        return -1;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t acc = 0;
    for (; i < end; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return -1;
        if (acc > (limit - d) / 10)
            return -1;
        acc = acc * 10 + d;
    }
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return 0;
}

int synth_parse_double(const char *s, size_t len, double *out, int *decimals)
{
    size_t i = 0, end = len;
    trim_spaces(s, &i, &end);
    size_t start = i;
    if (end - start > NUM_TOKEN_MAX)
        return -1;
    int neg = 0;
    if (i < end && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    uint64_t mant = 0;
    int sig = 0;          /* significant digits folded into mant */
    int overflowed = 0;   /* more than 19 significant digits: leave it to strtod */
    int ndigits = 0, nfrac = 0;
    for (int part = 0; part < 2; part++) {
        while (i < end) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            if (d > 9)
                break;
            ndigits++;
            nfrac += part;
            if (mant != 0 || d != 0) {
                if (sig < 19) {
                    mant = mant * 10 + d;
                    sig++;
                } else {
                    overflowed = 1;
                }
            }
            i++;
        }
        if (part == 0) {
            if (i < end && s[i] == '.')
                i++;
            else
                break;
        }
    }
    if (ndigits == 0)
        return -1;
    long exp10 = 0;
    if (i < end && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < end && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        size_t estart = i;
        while (i < end) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            if (d > 9)
                break;
            if (exp10 < 1000000)
                exp10 = exp10 * 10 + (long)d;
            i++;
        }
        if (i == estart)
            return -1;
        if (eneg)
            exp10 = -exp10;
    }
    if (i != end)
        return -1;

    long dec = (long)nfrac - exp10;
    if (decimals != NULL)
        *decimals = dec < 0 ? 0 : dec > 15 ? 15 : (int)dec;

    long e10 = exp10 - nfrac;
    double v;
    if (mant == 0) {
        v = 0.0;
    } else if (!overflowed && mant <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
        /* Exact operands, one correctly rounded operation (Clinger's fast path). */
        v = (double)mant;
        if (e10 > 0)
            v *= k_pow10d[e10];
        else if (e10 < 0)
            v /= k_pow10d[-e10];
    } else {
        char tmp[NUM_TOKEN_MAX + 1];
        size_t n = end - start;
        memcpy(tmp, s + start, n);
        tmp[n] = '\0';
        char *stop = NULL;
        int saved_errno = errno;
        v = strtod_c(tmp, &stop);
        errno = saved_errno;
        if (stop != tmp + n || isinf(v))
            return -1;
        *out = v;
        return 0;
    }
    *out = neg ? -v : v;
    return 0;
}
