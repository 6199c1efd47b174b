/* emd.h -- pieces of the Earth Mover's Distance shared by the t-closeness check (check.c) and the
 * anonymizer (anonymize.c), so both judge t the same way.  Internal; pure; thread-safe. */
#ifndef SYNTH_PRIVACY_EMD_H
#define SYNTH_PRIVACY_EMD_H

#include <stddef.h>

/* Does the whole text (len bytes, NUL-terminated, non-empty) parse as a non-NaN number (strtod)?
 * Decides whether a sensitive column uses the ordered distance.  Returns 1 and sets *out, else 0. */
int synth__emd_parse_number(const char *s, size_t len, double *out);

/* Sum of |P - Q_i| for i in [a, b], Q nondecreasing, SQ[i] = Q_0 + ... + Q_(i-1): O(log n). */
double synth__emd_seg_abs(const double *Q, const double *SQ, size_t a, size_t b, double P);

#endif
