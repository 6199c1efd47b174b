/* numfmt.h -- fast, exact number formatting and strict number parsing for CSV cells.
 *
 * The generator's hot loop formats millions of numbers; printf is too slow there.  These
 * functions write into caller buffers (no NUL is added) and never allocate.  Thread-safe. */
#ifndef SYNTH_NUMFMT_H
#define SYNTH_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#define SYNTH_NUMFMT_MAX 48   /* buffer size that fits any output of the formatters below */

/* "000102...9899": the two-digit pairs used by the formatters (internal, shared with datetime.c). */
extern const char synth__digits2[201];

/* Decimal text of v.  Returns the length (1..20). */
size_t synth_fmt_i64(char *buf, int64_t v);
size_t synth_fmt_u64(char *buf, uint64_t v);

/* v rounded half away from zero to `decimals` (0..15) places, written in fixed notation with
 * exactly that many digits after the point ("-0" is written as "0", "-0.00" as "0.00").  Values
 * whose scaled magnitude is >= 2^53 or that are not finite fall back to the shortest "%.17g" text.
 * Returns the length (< SYNTH_NUMFMT_MAX). */
size_t synth_fmt_fixed(char *buf, double v, int decimals);

/* Strict parsers for a whole cell.  Leading/trailing ASCII spaces are allowed; anything else that
 * is not part of the number makes them return -1 (0 on success).  No locale, no hex, no inf/nan. */
int synth_parse_i64(const char *s, size_t len, int64_t *out);   /* optional sign, digits; -1 on overflow */
/* Decimal or scientific notation ("3", "-2.50", ".5", "1e-3").  *decimals gets the number of
 * digits written after the point (for "1e-3" the number needed to show it: 3), capped at 15. */
int synth_parse_double(const char *s, size_t len, double *out, int *decimals);

#endif
