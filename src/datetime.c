/* datetime.c -- parse and format dates/times in a fixed set of layouts (see datetime.h).
 *
 * Layouts are interpreted directly from their pattern string: %Y (4 digits), %m %d %H %M %S
 * (2 digits), their unpadded forms %-m %-d %-H %-M %-S (1 or 2 digits), %f (1-9 fractional digits
 * when parsing, frac_digits when formatting; "%3f" fixes frac_digits at 3), %% and literals.
 * Calendar arithmetic uses the days-from-civil / civil-from-days algorithms described by Howard
 * Hinnant (proleptic Gregorian, 400-year eras), so no libc time function is ever called. */
#include "datetime.h"
#include "numfmt.h"

#include <math.h>
#include <string.h>

#define DT_CANDIDATE(p) { p, 0 }
#define DT_CANDIDATE_F(p) { p, 6 }

static const synth_dtfmt k_candidates[] = {
    DT_CANDIDATE_F("%Y-%m-%dT%H:%M:%S.%fZ"),
    DT_CANDIDATE_F("%Y-%m-%dT%H:%M:%S.%f"),
    DT_CANDIDATE("%Y-%m-%dT%H:%M:%SZ"),
    DT_CANDIDATE("%Y-%m-%dT%H:%M:%S"),
    DT_CANDIDATE("%Y-%m-%dT%H:%M"),
    DT_CANDIDATE_F("%Y-%m-%d %H:%M:%S.%f"),
    DT_CANDIDATE("%Y-%m-%d %H:%M:%S"),
    DT_CANDIDATE("%Y-%m-%d %H:%M"),
    DT_CANDIDATE("%Y-%m-%d"),
    DT_CANDIDATE("%Y/%m/%d %H:%M:%S"),
    DT_CANDIDATE("%Y/%m/%d"),
    DT_CANDIDATE("%m/%d/%Y %H:%M:%S"),
    DT_CANDIDATE("%m/%d/%Y %H:%M"),
    DT_CANDIDATE("%m/%d/%Y"),
    DT_CANDIDATE("%-m/%-d/%Y %H:%M:%S"),
    DT_CANDIDATE("%-m/%-d/%Y %H:%M"),
    DT_CANDIDATE("%-m/%-d/%Y"),
    DT_CANDIDATE("%d/%m/%Y"),
    DT_CANDIDATE("%-d/%-m/%Y"),
    DT_CANDIDATE("%d.%m.%Y"),
    DT_CANDIDATE("%-d.%-m.%Y"),
    DT_CANDIDATE("%d-%m-%Y"),
    DT_CANDIDATE_F("%H:%M:%S.%f"),
    DT_CANDIDATE("%H:%M:%S"),
    DT_CANDIDATE("%H:%M"),
};

const synth_dtfmt *synth_dt_candidates(size_t *count)
{
    if (count != NULL)
        *count = sizeof k_candidates / sizeof k_candidates[0];
    return k_candidates;
}

/* ---- calendar */

long long synth_days_from_civil(int y, int m, int d)
{
    /* Count years from March so the leap day is the last day of the (shifted) year. */
    long long yy = (long long)y - (m <= 2);
    long long era = (yy >= 0 ? yy : yy - 399) / 400;
    long long year_of_era = yy - era * 400;                              /* 0..399 */
    long long month_from_march = m > 2 ? m - 3 : m + 9;                  /* 0..11 */
    long long day_of_year = (153 * month_from_march + 2) / 5 + d - 1;    /* 0..365 */
    long long day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;                          /* 719468: 0000-03-01 */
}

void synth_civil_from_days(long long days, int *y, int *m, int *d)
{
    long long z = days + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long day_of_era = z - era * 146097;                             /* 0..146096 */
    long long year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    long long day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    long long mp = (5 * day_of_year + 2) / 153;                          /* 0..11 from March */
    int dd = (int)(day_of_year - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(year_of_era + era * 400 + (mm <= 2));
    *m = mm;
    *d = dd;
}

/* civil_from_days for 0000-03-01 + z with z >= 0 and small (years 0001..9999: z < 3.7e6), in
 * 32-bit unsigned arithmetic, which compiles to multiplications instead of 64-bit divisions. */
static void civil_from_days_fast(unsigned z, int *y, int *m, int *d)
{
    unsigned era = z / 146097;
    unsigned day_of_era = z - era * 146097;
    unsigned year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    unsigned mp = (5 * day_of_year + 2) / 153;
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *d = (int)(day_of_year - (153 * mp + 2) / 5 + 1);
    *m = mm;
    *y = (int)(year_of_era + era * 400) + (mm <= 2);
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const unsigned char k_dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : k_dim[m - 1];
}

/* First and last whole second of years 0001..9999. */
#define DT_MIN_SECONDS (-62135596800LL)
#define DT_MAX_SECONDS 253402300799LL

static const unsigned k_pow10[10] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u,
};

/* ---- parsing */

static int read_fixed(const char *s, size_t len, size_t *i, int ndigits, int *out)
{
    if (len - *i < (size_t)ndigits)
        return -1;
    int v = 0;
    for (int k = 0; k < ndigits; k++) {
        unsigned d = (unsigned)(unsigned char)s[*i + (size_t)k] - '0';
        if (d > 9)
            return -1;
        v = v * 10 + (int)d;
    }
    *i += (size_t)ndigits;
    *out = v;
    return 0;
}

/* One or two digits (greedy). */
static int read_unpadded(const char *s, size_t len, size_t *i, int *out)
{
    if (*i >= len)
        return -1;
    unsigned d0 = (unsigned)(unsigned char)s[*i] - '0';
    if (d0 > 9)
        return -1;
    (*i)++;
    int v = (int)d0;
    if (*i < len) {
        unsigned d1 = (unsigned)(unsigned char)s[*i] - '0';
        if (d1 <= 9) {
            v = v * 10 + (int)d1;
            (*i)++;
        }
    }
    *out = v;
    return 0;
}

int synth_dt_parse_ex(const synth_dtfmt *f, const char *s, size_t len, double *epoch_seconds,
                      int *frac_digits_seen)
{
    int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
    unsigned frac = 0;
    int nfrac = 0;
    size_t i = 0;
    const char *p = f->pattern;
    while (*p != '\0') {
        if (*p != '%' || p[1] == '%') {
            if (i >= len || s[i] != *p)
                return -1;
            i++;
            p += *p == '%' ? 2 : 1;
            continue;
        }
        p++;
        int unpadded = 0;
        if (*p == '-') {
            unpadded = 1;
            p++;
        } else if (*p >= '1' && *p <= '9' && p[1] == 'f') {
            p++;
        }
        int *field = NULL;
        switch (*p) {
        case 'Y':
            if (read_fixed(s, len, &i, 4, &year) != 0)
                return -1;
            break;
        case 'm': field = &month; break;
        case 'd': field = &day; break;
        case 'H': field = &hour; break;
        case 'M': field = &minute; break;
        case 'S': field = &second; break;
        case 'f':
            while (i < len && nfrac < 10) {
                unsigned d = (unsigned)(unsigned char)s[i] - '0';
                if (d > 9)
                    break;
                if (nfrac < 9)
                    frac = frac * 10 + d;
                nfrac++;
                i++;
            }
            if (nfrac == 0 || nfrac > 9)
                return -1;
            break;
        default:
            return -1;     /* unknown directive: synth_dt_from_pattern would have refused it */
        }
        if (field != NULL) {
            int r = unpadded ? read_unpadded(s, len, &i, field) : read_fixed(s, len, &i, 2, field);
            if (r != 0)
                return -1;
        }
        p++;
    }
    if (i != len)
        return -1;
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 60)
        return -1;
    long long secs = synth_days_from_civil(year, month, day) * 86400LL + hour * 3600LL +
                     minute * 60LL + second;
    double t = (double)secs;
    if (nfrac > 0)
        t += (double)frac / (double)k_pow10[nfrac];
    *epoch_seconds = t;
    if (frac_digits_seen != NULL)
        *frac_digits_seen = nfrac;
    return 0;
}

int synth_dt_parse(const synth_dtfmt *f, const char *s, size_t len, double *epoch_seconds)
{
    return synth_dt_parse_ex(f, s, len, epoch_seconds, NULL);
}

/* ---- formatting */


static char *put2(char *o, int v)
{
    o[0] = synth__digits2[v * 2];
    o[1] = synth__digits2[v * 2 + 1];
    return o + 2;
}

static char *put_unpadded(char *o, int v)
{
    if (v >= 10)
        return put2(o, v);
    *o = (char)('0' + v);
    return o + 1;
}

static int pattern_has_frac(const char *p)
{
    for (; *p != '\0'; p++) {
        if (*p != '%')
            continue;
        p++;
        if (*p == 'f' || (*p >= '1' && *p <= '9' && p[1] == 'f'))
            return 1;
        if (*p == '\0')
            break;
    }
    return 0;
}

size_t synth_dt_format(const synth_dtfmt *f, double epoch_seconds, char *buf)
{
    int fd = f->frac_digits;
    if (fd < 1)
        fd = 6;
    if (fd > 9)
        fd = 9;
    double t = epoch_seconds;
    if (isnan(t))
        t = 0.0;
    if (t < (double)DT_MIN_SECONDS)
        t = (double)DT_MIN_SECONDS;
    if (t >= (double)DT_MAX_SECONDS + 1.0)
        t = (double)DT_MAX_SECONDS;
    double fl = floor(t);
    long long secs = (long long)fl;
    unsigned units = 0;
    if (pattern_has_frac(f->pattern)) {
        double x = (t - fl) * (double)k_pow10[fd];   /* t - fl is exact */
        double r = floor(x);
        if (x - r >= 0.5)
            r += 1.0;
        units = (unsigned)r;
        if (units >= k_pow10[fd]) {
            units -= k_pow10[fd];
            secs++;
            if (secs > DT_MAX_SECONDS) {
                secs = DT_MAX_SECONDS;
                units = k_pow10[fd] - 1;
            }
        }
    }
    long long days = secs / 86400;
    long long sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int year, month, day;
    civil_from_days_fast((unsigned)(days + 719468), &year, &month, &day);
    int hour = (int)(sod / 3600), minute = (int)(sod / 60 % 60), second = (int)(sod % 60);

    char *o = buf;
    const char *p = f->pattern;
    while (*p != '\0') {
        /* Output is cut where the next item would not fit, which only hand-made patterns that
         * synth_dt_from_pattern refuses can reach. */
        if (*p != '%') {
            if (o - buf >= SYNTH_DT_TEXT_MAX - 1)
                break;
            *o++ = *p++;
            continue;
        }
        p++;
        int unpadded = 0;
        if (*p == '-') {
            unpadded = 1;
            p++;
        } else if (*p >= '1' && *p <= '9' && p[1] == 'f') {
            p++;
        }
        int need = *p == 'Y' ? 4 : *p == 'f' ? fd : 2;
        if (o - buf + need > SYNTH_DT_TEXT_MAX - 1)
            break;
        int v = -1;
        switch (*p) {
        case 'Y':
            o = put2(o, year / 100);
            o = put2(o, year % 100);
            break;
        case 'm': v = month; break;
        case 'd': v = day; break;
        case 'H': v = hour; break;
        case 'M': v = minute; break;
        case 'S': v = second; break;
        case 'f': {
            unsigned u = units;
            for (int k = fd - 1; k >= 0; k--) {
                o[k] = (char)('0' + u % 10);
                u /= 10;
            }
            o += fd;
            break;
        }
        case '%':
            *o++ = '%';
            break;
        default:          /* unknown directive or a trailing '%': written literally */
            *o++ = '%';
            if (*p == '\0')
                return (size_t)(o - buf);
            *o++ = *p;
            break;
        }
        if (v >= 0)
            o = unpadded ? put_unpadded(o, v) : put2(o, v);
        p++;
    }
    return (size_t)(o - buf);
}

int synth_dt_from_pattern(synth_dtfmt *f, const char *pattern)
{
    size_t n = strlen(pattern);
    if (n == 0 || n >= SYNTH_DT_PATTERN_MAX)
        return -1;
    int has_directive = 0, has_frac = 0, fd = 6;
    size_t width = 0;    /* longest text the pattern can produce */
    for (const char *p = pattern; *p != '\0'; p++) {
        if (*p != '%') {
            width++;
            continue;
        }
        p++;
        if (*p == '%') {
            width++;
            continue;
        }
        if (*p == '-') {
            p++;
            if (*p != 'm' && *p != 'd' && *p != 'H' && *p != 'M' && *p != 'S')
                return -1;
        } else if (*p >= '1' && *p <= '9' && p[1] == 'f') {
            fd = *p - '0';
            p++;
        }
        switch (*p) {
        case 'Y':
            width += 4;
            break;
        case 'm': case 'd': case 'H': case 'M': case 'S':
            width += 2;
            break;
        case 'f':
            has_frac = 1;
            width += 9;
            break;
        default:
            return -1;
        }
        has_directive = 1;
    }
    if (!has_directive || width >= SYNTH_DT_TEXT_MAX)
        return -1;
    memcpy(f->pattern, pattern, n + 1);
    f->frac_digits = has_frac ? fd : 0;
    return 0;
}
