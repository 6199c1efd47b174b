/* marginal.h -- one-dimensional distributions for the Gaussian copula's numeric columns.
 *
 * Three kinds, all mapping a uniform v in (0,1) to a value (the inverse CDF):
 *  - discrete: the exact empirical distribution over at most `discrete_max` distinct values
 *    (integer-like columns such as ages or counts get exact marginals);
 *  - knots: an empirical quantile function with a bounded number of knots, linearly interpolated
 *    (CDF error at most 1/(knots-1) plus sampling noise);
 *  - parametric: the best of normal, truncated normal, beta, gamma, uniform and lognormal (GSL),
 *    chosen by the smallest Kolmogorov-Smirnov statistic against the data.
 * A marginal owns its arrays (synth__marginal_release).  Evaluation is thread-safe. */
#ifndef SYNTH_MARGINAL_H
#define SYNTH_MARGINAL_H

#include <stddef.h>

typedef enum synth_marginal_kind {
    SYNTH_MARGINAL_DISCRETE = 0,
    SYNTH_MARGINAL_KNOTS,
    SYNTH_MARGINAL_PARAMETRIC
} synth_marginal_kind;

typedef enum synth_family {
    SYNTH_FAMILY_NORMAL = 0,
    SYNTH_FAMILY_TRUNCNORM,
    SYNTH_FAMILY_BETA,
    SYNTH_FAMILY_GAMMA,
    SYNTH_FAMILY_UNIFORM,
    SYNTH_FAMILY_LOGNORMAL,
    SYNTH_FAMILY_COUNT
} synth_family;

typedef struct synth_marginal {
    synth_marginal_kind kind;
    size_t n;            /* discrete: values; knots: knots */
    double *values;      /* discrete: sorted distinct values; knots: quantiles at k/(n-1) */
    double *cum;         /* discrete: cum[i] = P(X <= values[i]); cum[n-1] = 1 */
    synth_family family; /* parametric */
    double param[4];     /* family parameters (see marginal.c) */
    double lo, hi;       /* data range; parametric output is clamped to it */
    double ks;           /* KS statistic of the chosen fit against the data */
} synth_marginal;

/* Fit to n sorted finite values (n >= 1).  mode: "empirical" picks discrete when the data has at
 * most discrete_max distinct values, else knots; "parametric" fits families.  Returns 0 or -1 when
 * out of memory. */
int synth__marginal_fit(synth_marginal *m, const double *sorted, size_t n, int parametric,
                        size_t knots, size_t discrete_max);

/* Inverse CDF at v in (0,1). */
double synth__marginal_quantile(const synth_marginal *m, double v);

void synth__marginal_release(synth_marginal *m);

const char *synth__family_name(synth_family f);
const char *synth__marginal_kind_name(synth_marginal_kind k);

#endif
