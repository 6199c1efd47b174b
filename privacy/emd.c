/* emd.c -- shared Earth Mover's Distance helpers.  See emd.h. */
#include "emd.h"

#include <math.h>
#include <stdlib.h>

int synth__emd_parse_number(const char *s, size_t len, double *out)
{
    if (len == 0)
        return 0;
    char *end = NULL;
    double d = strtod(s, &end);
    if (end != s + len || isnan(d))
        return 0;
    *out = d;
    return 1;
}

double synth__emd_seg_abs(const double *Q, const double *SQ, size_t a, size_t b, double P)
{
    if (a > b)
        return 0.0;
    size_t lo = a, hi = b + 1; /* first i in [a, b] with Q_i >= P, or b + 1 */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (Q[mid] >= P)
            hi = mid;
        else
            lo = mid + 1;
    }
    double below = P * (double)(lo - a) - (SQ[lo] - SQ[a]);
    double above = (SQ[b + 1] - SQ[lo]) - P * (double)(b + 1 - lo);
    return below + above;
}
