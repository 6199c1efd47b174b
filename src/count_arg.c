/* count_arg.c -- parse row counts and other non-negative whole numbers from the command line
 * (see count_arg.h): digits with '_' separators, an optional fraction and a decimal exponent or a
 * k/K/M/G/B/T suffix, evaluated with exact integer arithmetic.  "<what>: '<text>' ..." messages. */
#include "count_arg.h"

#include <stdio.h>
#include <string.h>

#define ECHO_MAX 64   /* how much of the user's text is quoted back in a message */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int usage(synth_err *err, const char *what, const char *text, const char *why)
{
    int cut = strnlen(text, ECHO_MAX + 1) > ECHO_MAX;
    return synth_err_set(err, SYNTH_USAGE, "%s: '%.*s%s' %s", what, ECHO_MAX, text,
                         cut ? "..." : "", why);
}

/* Scans digits with single '_' between digits.  Returns the number of digits, or -1 on a
 * misplaced underscore.  *pos is left after the run. */
static long scan_digit_run(const char *text, size_t *pos)
{
    size_t i = *pos;
    long n = 0;
    while (is_digit(text[i]) || text[i] == '_') {
        if (text[i] == '_') {
            if (i == *pos || !is_digit(text[i - 1]) || !is_digit(text[i + 1]))
                return -1;
        } else {
            n++;
        }
        i++;
    }
    *pos = i;
    return n;
}

int synth_parse_count(const char *text, uint64_t max, uint64_t *out, const char *what,
                      synth_err *err)
{
    if (what == NULL)
        what = "value";
    if (text == NULL || text[0] == '\0')
        return synth_err_set(err, SYNTH_USAGE, "%s: empty value (expected a whole number such as "
                             "1000, 10_000, 1e6, 1.5e6 or 10M)", what);
    static const char not_a_number[] =
        "is not a number (expected e.g. 1000, 10_000, 1e6, 1.5e6 or 10M)";
    static const char misplaced[] = "has a misplaced '_' (use it only between digits: 10_000)";
    size_t i = 0;
    if (text[0] == '-')
        return usage(err, what, text, "must not be negative");
    if (text[0] == '+')
        i++;
    /* Pass 1: grammar. */
    size_t mant_start = i;
    long int_digits = scan_digit_run(text, &i);
    if (int_digits < 0)
        return usage(err, what, text, misplaced);
    long frac_digits = 0;
    if (text[i] == '.') {
        i++;
        frac_digits = scan_digit_run(text, &i);
        if (frac_digits < 0)
            return usage(err, what, text, misplaced);
    }
    size_t mant_end = i;
    if (int_digits + frac_digits == 0)
        return usage(err, what, text, not_a_number);
    long exp10 = 0;
    if (text[i] == 'e' || text[i] == 'E') {
        i++;
        int neg = 0;
        if (text[i] == '+' || text[i] == '-') {
            neg = text[i] == '-';
            i++;
        }
        if (!is_digit(text[i]))
            return usage(err, what, text, not_a_number);
        while (is_digit(text[i])) {
            if (exp10 < 100000)
                exp10 = exp10 * 10 + (text[i] - '0');
            i++;
        }
        if (neg)
            exp10 = -exp10;
    } else {
        switch (text[i]) {
        case 'k': case 'K': exp10 = 3; i++; break;
        case 'M': exp10 = 6; i++; break;
        case 'G': case 'B': exp10 = 9; i++; break;
        case 'T': exp10 = 12; i++; break;
        default: break;
        }
    }
    if (text[i] == '_')
        return usage(err, what, text, misplaced);
    if (text[i] != '\0')
        return usage(err, what, text, not_a_number);

    /* Pass 2: value = mantissa digits * 10^(exp10 - frac_digits), exactly. */
    long total = int_digits + frac_digits;
    long net = exp10 - frac_digits;
    long drop = net < 0 ? -net : 0;          /* trailing digits that must be zero */
    long k = 0;
    uint64_t acc = 0;
    int too_large = 0;
    for (size_t j = mant_start; j < mant_end; j++) {
        if (!is_digit(text[j]))
            continue;
        unsigned d = (unsigned)(text[j] - '0');
        if (k >= total - drop) {
            if (d != 0)
                return usage(err, what, text, "is not a whole number");
        } else if (!too_large) {
            if (acc > (UINT64_MAX - d) / 10)
                too_large = 1;
            else
                acc = acc * 10 + d;
        }
        k++;
    }
    if (drop > total) {
        /* Every digit was checked to be zero above, so the value is 0. */
        acc = 0;
    }
    if (acc != 0) {
        for (long e = 0; e < net && !too_large; e++) {
            if (acc > UINT64_MAX / 10)
                too_large = 1;
            else
                acc *= 10;
        }
    }
    if (too_large || acc > max) {
        char why[48];
        snprintf(why, sizeof why, "is too large (max %llu)", (unsigned long long)max);
        return usage(err, what, text, why);
    }
    *out = acc;
    return SYNTH_OK;
}

/* Plain decimal digits only, capped just above `cap`. Returns -1 when there are none. */
static int scan_plain(const char *s, size_t *pos, uint64_t cap, uint64_t *out)
{
    size_t i = *pos;
    uint64_t v = 0;
    while (is_digit(s[i])) {
        if (v <= cap)
            v = v * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    if (i == *pos)
        return -1;
    *pos = i;
    *out = v;
    return 0;
}

#define SHARD_MAX 1000000ULL

int synth_parse_shard(const char *text, uint64_t *index, uint64_t *count, synth_err *err)
{
    if (text == NULL)
        text = "";
    size_t i = 0;
    uint64_t idx = 0, cnt = 0;
    if (scan_plain(text, &i, SHARD_MAX, &idx) != 0 || text[i] != '/')
        goto bad_form;
    i++;
    if (scan_plain(text, &i, SHARD_MAX, &cnt) != 0 || text[i] != '\0')
        goto bad_form;
    if (cnt < 1 || cnt > SHARD_MAX)
        return synth_err_set(err, SYNTH_USAGE,
                             "--shard: '%.*s': the shard count K must be between 1 and %llu",
                             ECHO_MAX, text, (unsigned long long)SHARD_MAX);
    if (idx >= cnt)
        return synth_err_set(err, SYNTH_USAGE,
                             "--shard: '%.*s': the shard index I must be less than K "
                             "(shards are numbered 0..K-1)", ECHO_MAX, text);
    *index = idx;
    *count = cnt;
    return SYNTH_OK;
bad_form:
    return synth_err_set(err, SYNTH_USAGE,
                         "--shard: '%.*s' is not of the form I/K (e.g. 0/4: the first of 4 shards)",
                         ECHO_MAX, text);
}
