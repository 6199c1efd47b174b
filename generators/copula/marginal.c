/* marginal.c -- empirical and parametric marginals for the Gaussian copula.  See marginal.h.
 *
 * Parametric fits use closed-form or moment estimators (fast, deterministic):
 *   normal (mean, sd); truncated normal (mean, sd of the data, truncated at the data range);
 *   uniform (min, max); lognormal (mean, sd of log x; needs x > 0); gamma (shape, scale by moments
 *   of x - lo + eps); beta (a, b by moments of x scaled to [lo, hi]).  The KS statistic of each is
 *   computed against the data and the smallest wins. */
#include "marginal.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "alloc.h"

static const char *const family_names[SYNTH_FAMILY_COUNT] = {
    "normal", "truncnorm", "beta", "gamma", "uniform", "lognormal",
};

const char *synth__family_name(synth_family f)
{
    return (unsigned)f < SYNTH_FAMILY_COUNT ? family_names[f] : "unknown";
}

const char *synth__marginal_kind_name(synth_marginal_kind k)
{
    switch (k) {
    case SYNTH_MARGINAL_DISCRETE: return "discrete";
    case SYNTH_MARGINAL_KNOTS: return "empirical";
    case SYNTH_MARGINAL_PARAMETRIC: return "parametric";
    }
    return "unknown";
}

void synth__marginal_release(synth_marginal *m)
{
    synth_free(m->values);
    synth_free(m->cum);
    m->values = m->cum = NULL;
    m->n = 0;
}

static double family_cdf(const synth_marginal *m, double x)
{
    const double *p = m->param;
    switch (m->family) {
    case SYNTH_FAMILY_NORMAL:
        return gsl_cdf_gaussian_P(x - p[0], p[1]);
    case SYNTH_FAMILY_TRUNCNORM: {
        double a = gsl_cdf_gaussian_P(m->lo - p[0], p[1]), b = gsl_cdf_gaussian_P(m->hi - p[0], p[1]);
        if (b - a <= 0)
            return x < m->lo ? 0 : 1;
        double f = (gsl_cdf_gaussian_P(x - p[0], p[1]) - a) / (b - a);
        return f < 0 ? 0 : f > 1 ? 1 : f;
    }
    case SYNTH_FAMILY_BETA: {
        double t = (x - m->lo) / (m->hi - m->lo);
        return t <= 0 ? 0 : t >= 1 ? 1 : gsl_cdf_beta_P(t, p[0], p[1]);
    }
    case SYNTH_FAMILY_GAMMA: {
        double t = x - m->lo + p[2];
        return t <= 0 ? 0 : gsl_cdf_gamma_P(t, p[0], p[1]);
    }
    case SYNTH_FAMILY_UNIFORM:
        return x <= m->lo ? 0 : x >= m->hi ? 1 : (x - m->lo) / (m->hi - m->lo);
    case SYNTH_FAMILY_LOGNORMAL:
        return x <= 0 ? 0 : gsl_cdf_lognormal_P(x, p[0], p[1]);
    default:
        return 0;
    }
}

static double family_quantile(const synth_marginal *m, double v)
{
    const double *p = m->param;
    double x;
    switch (m->family) {
    case SYNTH_FAMILY_NORMAL:
        x = p[0] + gsl_cdf_gaussian_Pinv(v, p[1]);
        break;
    case SYNTH_FAMILY_TRUNCNORM: {
        double a = gsl_cdf_gaussian_P(m->lo - p[0], p[1]), b = gsl_cdf_gaussian_P(m->hi - p[0], p[1]);
        x = p[0] + gsl_cdf_gaussian_Pinv(a + v * (b - a), p[1]);
        break;
    }
    case SYNTH_FAMILY_BETA:
        x = m->lo + (m->hi - m->lo) * gsl_cdf_beta_Pinv(v, p[0], p[1]);
        break;
    case SYNTH_FAMILY_GAMMA:
        x = gsl_cdf_gamma_Pinv(v, p[0], p[1]) + m->lo - p[2];
        break;
    case SYNTH_FAMILY_UNIFORM:
        x = m->lo + v * (m->hi - m->lo);
        break;
    case SYNTH_FAMILY_LOGNORMAL:
        x = gsl_cdf_lognormal_Pinv(v, p[0], p[1]);
        break;
    default:
        x = m->lo;
    }
    if (!(x >= m->lo))
        x = m->lo;
    if (!(x <= m->hi))
        x = m->hi;
    return x;
}

/* KS statistic of the current family against sorted data. */
static double family_ks(const synth_marginal *m, const double *x, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && x[i + 1] == x[i])
            continue;   /* evaluate the empirical CDF after the last of a run of ties */
        double f = family_cdf(m, x[i]);
        double hi = (double)(i + 1) / (double)n;
        size_t first = i;
        while (first > 0 && x[first - 1] == x[i])
            first--;
        double lo = (double)first / (double)n;
        d = fmax(d, fmax(fabs(f - hi), fabs(f - lo)));
    }
    return d;
}

static void fit_parametric(synth_marginal *m, const double *x, size_t n)
{
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    var = n > 1 ? var / (double)(n - 1) : 0;
    double sd = sqrt(var);
    double range = m->hi - m->lo;
    m->kind = SYNTH_MARGINAL_PARAMETRIC;
    m->ks = INFINITY;
    if (!(sd > 0) || !(range > 0)) {
        m->family = SYNTH_FAMILY_UNIFORM;   /* constant column */
        m->ks = 0;
        return;
    }
    synth_marginal best = *m;
    for (int f = 0; f < SYNTH_FAMILY_COUNT; f++) {
        synth_marginal cand = *m;
        cand.family = (synth_family)f;
        memset(cand.param, 0, sizeof cand.param);
        switch (cand.family) {
        case SYNTH_FAMILY_NORMAL:
        case SYNTH_FAMILY_TRUNCNORM:
            cand.param[0] = mean;
            cand.param[1] = sd;
            break;
        case SYNTH_FAMILY_UNIFORM:
            break;
        case SYNTH_FAMILY_LOGNORMAL: {
            if (m->lo <= 0)
                continue;
            double lm = 0, lv = 0;
            for (size_t i = 0; i < n; i++)
                lm += log(x[i]);
            lm /= (double)n;
            for (size_t i = 0; i < n; i++)
                lv += (log(x[i]) - lm) * (log(x[i]) - lm);
            lv /= (double)(n > 1 ? n - 1 : 1);
            if (!(lv > 0))
                continue;
            cand.param[0] = lm;
            cand.param[1] = sqrt(lv);
            break;
        }
        case SYNTH_FAMILY_GAMMA: {
            double eps = range * 1e-3;
            double gm = mean - m->lo + eps;
            cand.param[0] = gm * gm / var;     /* shape */
            cand.param[1] = var / gm;          /* scale */
            cand.param[2] = eps;
            break;
        }
        case SYNTH_FAMILY_BETA: {
            double tm = (mean - m->lo) / range, tv = var / (range * range);
            double common = tm * (1 - tm) / tv - 1;
            if (!(common > 0))
                continue;
            cand.param[0] = tm * common;
            cand.param[1] = (1 - tm) * common;
            break;
        }
        default:
            continue;
        }
        cand.ks = family_ks(&cand, x, n);
        if (cand.ks < best.ks)
            best = cand;
    }
    *m = best;
}

int synth__marginal_fit(synth_marginal *m, const double *x, size_t n, int parametric,
                        size_t knots, size_t discrete_max)
{
    memset(m, 0, sizeof *m);
    m->lo = x[0];
    m->hi = x[n - 1];
    if (parametric) {
        fit_parametric(m, x, n);
        return 0;
    }
    size_t distinct = 1;
    for (size_t i = 1; i < n && distinct <= discrete_max; i++)
        distinct += x[i] != x[i - 1];
    if (distinct <= discrete_max) {
        m->kind = SYNTH_MARGINAL_DISCRETE;
        m->values = synth_malloc(distinct * sizeof *m->values);
        m->cum = synth_malloc(distinct * sizeof *m->cum);
        if (m->values == NULL || m->cum == NULL) {
            synth__marginal_release(m);
            return -1;
        }
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (i + 1 < n && x[i + 1] == x[i])
                continue;
            m->values[k] = x[i];
            m->cum[k] = (double)(i + 1) / (double)n;
            k++;
        }
        m->cum[k - 1] = 1.0;
        m->n = k;
        return 0;
    }
    if (knots < 2)
        knots = 2;
    if (knots > n)
        knots = n;
    m->kind = SYNTH_MARGINAL_KNOTS;
    m->values = synth_malloc(knots * sizeof *m->values);
    if (m->values == NULL)
        return -1;
    m->n = knots;
    for (size_t k = 0; k < knots; k++) {
        double pos = (double)k * (double)(n - 1) / (double)(knots - 1);   /* type-7 quantile */
        size_t i = (size_t)pos;
        double frac = pos - (double)i;
        m->values[k] = i + 1 < n ? x[i] + frac * (x[i + 1] - x[i]) : x[n - 1];
    }
    return 0;
}

double synth__marginal_quantile(const synth_marginal *m, double v)
{
    switch (m->kind) {
    case SYNTH_MARGINAL_DISCRETE: {
        size_t lo = 0, hi = m->n - 1;   /* first i with cum[i] >= v */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (m->cum[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        return m->values[lo];
    }
    case SYNTH_MARGINAL_KNOTS: {
        double pos = v * (double)(m->n - 1);
        size_t k = (size_t)pos;
        if (k >= m->n - 1)
            return m->values[m->n - 1];
        return m->values[k] + (pos - (double)k) * (m->values[k + 1] - m->values[k]);
    }
    case SYNTH_MARGINAL_PARAMETRIC:
        return family_quantile(m, v);
    }
    return 0;
}
