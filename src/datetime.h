/* datetime.h -- parse and format dates and times in a fixed set of common layouts.
 *
 * A layout is a pattern of directives (%Y %m %d %H %M %S %f) and literal characters, e.g.
 * "%Y-%m-%dT%H:%M:%S" or "%m/%d/%Y".  %Y is 4 digits and %m %d %H %M %S are 2; the unpadded forms
 * %-m %-d %-H %-M %-S parse 1 or 2 digits and format without a leading zero ("3/7/2021"); "%3f"
 * is %f with frac_digits fixed at 3; "%%" is a literal '%'.  Fields missing from a layout default
 * to 1970-01-01 00:00:00 (so "%H:%M:%S" gives seconds within day 0).  Values are seconds since
 * 1970-01-01T00:00:00 (UTC, no time zones; a trailing 'Z' is a literal of the layout), as a
 * double so fractional seconds survive (to about 1 us near the present; a double cannot hold
 * nanoseconds there, so 7-9 digit fractions round-trip only near 1970).
 * The proleptic Gregorian calendar is used for years 0001..9999.  No allocation; thread-safe;
 * no libc time functions (they are slow and locale/timezone dependent). */
#ifndef SYNTH_DATETIME_H
#define SYNTH_DATETIME_H

#include <stddef.h>

#define SYNTH_DT_PATTERN_MAX 32
#define SYNTH_DT_TEXT_MAX 48   /* buffer size that fits any formatted value */

typedef struct synth_dtfmt {
    char pattern[SYNTH_DT_PATTERN_MAX];  /* NUL-terminated */
    int frac_digits;                     /* digits written for %f (1..9); parse accepts 1..9;
                                            0 in layouts without %f (format then treats it as 6) */
} synth_dtfmt;

/* The built-in candidate layouts, most specific first; *count gets their number.  The table is
 * static and const.  It includes at least: ISO 8601 date, date-time with 'T' or space, with and
 * without fractional seconds and trailing 'Z'; %Y/%m/%d; %m/%d/%Y; %d/%m/%Y; %d.%m.%Y;
 * %m/%d/%Y %H:%M(:%S); %Y%m%d is NOT included (it looks like an integer).  Each zero-padded
 * layout comes before its unpadded twin ("%m/%d/%Y" before "%-m/%-d/%Y"), so a column that is
 * padded throughout keeps its padding and one with "3/7/2021" values keeps that style. */
const synth_dtfmt *synth_dt_candidates(size_t *count);

/* Parse s (len bytes, no surrounding spaces allowed) with layout f.  Validates ranges (month 1-12,
 * day within the month, leap years, hour 0-23, minute 0-59, second 0-60 treated as 0-59 + 1).
 * Returns 0 and sets *epoch_seconds, or -1 when s does not match. */
int synth_dt_parse(const synth_dtfmt *f, const char *s, size_t len, double *epoch_seconds);
/* The same, also setting *frac_digits_seen (may be NULL) to the number of %f digits in s (0 when
 * the layout has no %f), so a caller can record the precision a column uses. */
int synth_dt_parse_ex(const synth_dtfmt *f, const char *s, size_t len, double *epoch_seconds,
                      int *frac_digits_seen);

/* Write t in layout f (truncating to the layout's resolution; %f rounds to frac_digits).  Values
 * outside years 0001..9999 are clamped to that range; NaN is written as 1970-01-01T00:00:00.  Returns the length (< SYNTH_DT_TEXT_MAX). */
size_t synth_dt_format(const synth_dtfmt *f, double epoch_seconds, char *buf);

/* Set f from a user-given pattern (e.g. from --schema); frac_digits becomes 6 (or N for "%Nf"),
 * 0 without %f.  Returns 0, or -1 if the pattern has an unknown directive, no directive at all,
 * or is too long (pattern >= SYNTH_DT_PATTERN_MAX or output possibly >= SYNTH_DT_TEXT_MAX). */
int synth_dt_from_pattern(synth_dtfmt *f, const char *pattern);

/* Days since 1970-01-01 for a civil date and back (exposed for tests and the schema). */
long long synth_days_from_civil(int y, int m, int d);
void synth_civil_from_days(long long days, int *y, int *m, int *d);

#endif
