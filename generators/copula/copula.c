/* copula.c -- the Gaussian copula generator.
 *
 * Model: every integer, float, datetime, categorical and boolean column is one dimension of a
 * multivariate normal latent vector with correlation matrix R.  A row is sampled by drawing
 * z ~ N(0, I), x = L z (L L' = R), and mapping each x_j through Phi and the column's marginal:
 *  - numeric columns: u = Phi(x); u < p_null is a null, else the marginal's inverse CDF at
 *    (u - p_null) / (1 - p_null) (see marginal.h: exact discrete, knots, or parametric);
 *  - categorical columns: frequency-interval encoding: each category (and null, if seen) owns an
 *    interval of u with width equal to its frequency; x is compared with the precomputed
 *    thresholds Phi^-1(interval ends), so no Phi evaluation is needed.
 * Fit (on the reservoir sample):
 *  1. marginals and category frequencies (exact counts from the schema pass);
 *  2. normal scores: each value (ties and nulls as one group, categories as their interval) is
 *     scored by the conditional mean of a standard normal over its interval of u;
 *  3. R = correlation of the scores, corrected for the variance lost by grouping (the
 *     polyserial-style correction r_ij / (s_i s_j), s = score standard deviation);
 *  4. category order: intervals are laid out so the encoding carries the most dependence:
 *     "optimal scaling" iterations sort each column's categories by the mean, over the rows of
 *     each category, of that column's latent value predicted from all other columns
 *     (E[x_j | x_-j] = -sum_k P_jk / P_jj x_k with P = R^-1), then rescore and re-estimate R;
 *  5. R is repaired to the nearest positive-definite correlation matrix (eigenvalue clipping,
 *     unit diagonal) and factored with Cholesky (LAPACK from OpenBLAS).
 * Id columns get fresh unique ids; text columns are independent bags of frequent words (a word
 * seen once in training is never emitted) with the training distribution of word counts.  PII
 * inside text (e-mails, phones, SSNs, cards, names..., found by privacy/pii_detect.h) is never
 * learned: at fit each match becomes a placeholder word "<pii:ENTITY>" counted like any word (so
 * its rate follows the source), and sampling writes a fresh format-valid fake (synth_pii_fake,
 * stream 0x6000 + 256 x text column + word position) in its place.
 * The model is immutable after fit/load; sampling is thread-safe. */
#include "copula/copula.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <gsl/gsl_cdf.h>
#include <lapacke.h>

#include "alloc.h"
#include "copula/marginal.h"
#include "pii.h"
#include "pii_detect.h"
#include "rng.h"

#define MAX_TEXT_WORDS 5000
#define MAX_TEXT_LEN_WORDS 200
#define TEXT_STREAM_BASE (SYNTH_STREAM_GENERATOR + 1)
#define TEXT_PII_STREAM_BASE 0x6000u   /* + 256 x text column + word position (PII columns use 0x5000 + c) */
#define PII_PLACEHOLDER "<pii:"

/* A lookup grid over latent x that jumps close to the answer of "first threshold above x", so
 * sampling does a step or two of linear scan instead of a branchy binary search. */
#define GRID_CELLS 2048
#define GRID_LO (-6.0)
#define GRID_HI 6.0

typedef struct grid_index {
    uint32_t start[GRID_CELLS];   /* first k with z[k] > the cell's lower edge */
} grid_index;

typedef struct copula_dim {
    size_t col;
    int categorical;
    double p_null;             /* numeric */
    synth_marginal marginal;   /* numeric */
    double z_null;             /* numeric: x below this is a null (Phi^-1(p_null)) */
    double *zknot;             /* numeric, discrete/knots marginals: thresholds in x-space */
    size_t nslots;             /* categorical: categories plus a null slot when nulls were seen */
    int32_t *order;            /* slot -> category index, -1 for null */
    double *cum;               /* upper end of each slot's interval in u */
    double *zcut;              /* Phi^-1(cum[k]) */
    grid_index *grid;          /* over zcut (categorical) or zknot (numeric) */
} copula_dim;

typedef struct text_model {
    size_t col;
    double p_null;
    size_t nwords;
    char **words;
    double *word_cum;
    signed char *word_pii;     /* per word: the entity of a "<pii:...>" placeholder, or -1 */
    uint64_t pii_tokens[SYNTH_PII_ENTITY_COUNT];   /* fit: PII matches replaced, per entity */
    synth_marginal lengths;    /* discrete distribution of word counts */
} text_model;

struct synth_model {
    const synth_schema *schema;
    size_t ndims;
    copula_dim *dims;
    double *corr;              /* ndims x ndims, row-major */
    double *chol;              /* lower triangle */
    size_t ntext;
    text_model *texts;
    /* parameters */
    int parametric;
    size_t knots, discrete_max, order_iterations;
    int correct;
};

static const synth_param_desc copula_params[] = {
    {"marginals", "empirical", "empirical (exact/knots) or parametric (best GSL family by KS)"},
    {"knots", "1001", "quantile knots for continuous columns with many distinct values"},
    {"discrete_max", "1000", "columns with at most this many distinct values get an exact marginal"},
    {"order_iterations", "4", "optimal-scaling passes that order categories (0 = by frequency)"},
    {"correction", "1", "1 = correct correlations for grouped scores, 0 = plain Pearson of scores"},
    {NULL, NULL, NULL},
};

/* ---- small numeric helpers -------------------------------------------------------------------- */

static const double INV_SQRT_2PI = 0.39894228040143267794;

static double npdf(double x)
{
    return isinf(x) ? 0.0 : INV_SQRT_2PI * exp(-0.5 * x * x);
}

static double ncdf(double x)
{
    return 0.5 * erfc(-x * 0.70710678118654752440);
}

static double nquantile(double u)
{
    if (u <= 0)
        return -INFINITY;
    if (u >= 1)
        return INFINITY;
    return gsl_cdf_ugaussian_Pinv(u);
}

/* E[Z | a < Phi(Z) < b] for a standard normal Z. */
static double interval_score(double a, double b)
{
    if (b - a < 1e-9)
        return nquantile(0.5 * (a + b));
    return (npdf(nquantile(a)) - npdf(nquantile(b))) / (b - a);
}

/* ---- model lifetime ----------------------------------------------------------------------------- */

static void model_free(synth_model *m)
{
    if (m == NULL)
        return;
    for (size_t j = 0; m->dims != NULL && j < m->ndims; j++) {
        synth__marginal_release(&m->dims[j].marginal);
        synth_free(m->dims[j].zknot);
        synth_free(m->dims[j].grid);
        synth_free(m->dims[j].order);
        synth_free(m->dims[j].cum);
        synth_free(m->dims[j].zcut);
    }
    for (size_t t = 0; m->texts != NULL && t < m->ntext; t++) {
        text_model *tm = &m->texts[t];
        for (size_t i = 0; i < tm->nwords; i++)
            synth_free(tm->words[i]);
        synth_free(tm->words);
        synth_free(tm->word_cum);
        synth_free(tm->word_pii);
        synth__marginal_release(&tm->lengths);
    }
    synth_free(m->dims);
    synth_free(m->texts);
    synth_free(m->corr);
    synth_free(m->chol);
    synth_free(m);
}

static int parse_size_param(const synth_fit_options *opt, const char *key, size_t dflt, size_t lo,
                            size_t hi, size_t *out, synth_err *err)
{
    const char *v = synth_param_get(opt, key);
    *out = dflt;
    if (v == NULL)
        return 0;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (*v == '\0' || *end != '\0' || *v == '-' || x < lo || x > hi)
        return synth_err_set(err, SYNTH_USAGE, "--param %s=%s: expected an integer %zu..%zu", key, v, lo, hi);
    *out = (size_t)x;
    return 0;
}

static int parse_params(synth_model *m, const synth_fit_options *opt, synth_err *err)
{
    const char *marg = synth_param_get(opt, "marginals");
    if (marg != NULL && strcmp(marg, "empirical") != 0 && strcmp(marg, "parametric") != 0)
        return synth_err_set(err, SYNTH_USAGE, "--param marginals=%s: expected empirical or parametric", marg);
    m->parametric = marg != NULL && strcmp(marg, "parametric") == 0;
    size_t corr;
    int rc;
    if ((rc = parse_size_param(opt, "knots", 1001, 2, 1000000, &m->knots, err)) ||
        (rc = parse_size_param(opt, "discrete_max", 1000, 0, 1000000, &m->discrete_max, err)) ||
        (rc = parse_size_param(opt, "order_iterations", 4, 0, 100, &m->order_iterations, err)) ||
        (rc = parse_size_param(opt, "correction", 1, 0, 1, &corr, err)))
        return rc;
    m->correct = (int)corr;
    return 0;
}

/* ---- linear algebra --------------------------------------------------------------------------- */

/* Replace R (d x d, symmetric, unit diagonal wanted) by the nearest positive-definite
 * correlation matrix in the eigenvalue-clipping sense.  Returns 0 or SYNTH_NOMEM/INTERNAL. */
static int repair_correlation(double *R, size_t d)
{
    double *a = synth_malloc(d * d * sizeof *a), *w = synth_malloc(d * sizeof *w);
    double *tmp = synth_malloc(d * d * sizeof *tmp);
    int rc = SYNTH_NOMEM;
    if (a == NULL || w == NULL || tmp == NULL)
        goto done;
    memcpy(a, R, d * d * sizeof *a);
    rc = SYNTH_INTERNAL;
    if (LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, a, (lapack_int)d, w) != 0)
        goto done;
    const double floor_eig = 1e-4;
    int clipped = 0;
    for (size_t i = 0; i < d; i++)
        if (w[i] < floor_eig) {
            w[i] = floor_eig;
            clipped = 1;
        }
    if (clipped) {
        /* R = V diag(w) V' */
        for (size_t i = 0; i < d; i++)
            for (size_t k = 0; k < d; k++)
                tmp[i * d + k] = a[i * d + k] * w[k];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)d, (int)d, (int)d, 1.0, tmp, (int)d,
                    a, (int)d, 0.0, R, (int)d);
        for (size_t i = 0; i < d; i++)
            w[i] = sqrt(R[i * d + i]);
        for (size_t i = 0; i < d; i++)
            for (size_t k = 0; k < d; k++)
                R[i * d + k] = i == k ? 1.0 : R[i * d + k] / (w[i] * w[k]);
    }
    rc = 0;
done:
    synth_free(a);
    synth_free(w);
    synth_free(tmp);
    return rc;
}

/* chol = lower Cholesky factor of R (adding jitter to the diagonal if LAPACK refuses). */
static int cholesky(const double *R, double *chol, size_t d)
{
    for (double jitter = 0; jitter < 1.0; jitter = jitter == 0 ? 1e-8 : jitter * 10) {
        memcpy(chol, R, d * d * sizeof *chol);
        for (size_t i = 0; i < d; i++)
            chol[i * d + i] += jitter;
        if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)d, chol, (lapack_int)d) == 0) {
            for (size_t i = 0; i < d; i++)
                for (size_t k = i + 1; k < d; k++)
                    chol[i * d + k] = 0;
            return 0;
        }
    }
    return SYNTH_INTERNAL;
}

/* P = R^-1 via Cholesky (full symmetric result). */
static int invert_spd(const double *R, double *P, size_t d)
{
    if (cholesky(R, P, d))
        return SYNTH_INTERNAL;
    if (LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', (lapack_int)d, P, (lapack_int)d) != 0)
        return SYNTH_INTERNAL;
    for (size_t i = 0; i < d; i++)
        for (size_t k = i + 1; k < d; k++)
            P[i * d + k] = P[k * d + i];
    return 0;
}

static int prepare_numeric(copula_dim *dim);
static int prepare_categorical_grids(synth_model *m);

/* First k in [0, n) with x < z[k] (z ascending; z[n-1] may be +inf). */
static size_t first_above(const double *z, size_t n, double x)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x < z[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int grid_build(grid_index **out, const double *z, size_t n)
{
    grid_index *g = synth_malloc(sizeof *g);
    if (g == NULL)
        return SYNTH_NOMEM;
    for (size_t c = 0; c < GRID_CELLS; c++) {
        double edge = GRID_LO + (GRID_HI - GRID_LO) * (double)c / GRID_CELLS;
        g->start[c] = (uint32_t)first_above(z, n, c == 0 ? -INFINITY : edge);
    }
    synth_free(*out);
    *out = g;
    return 0;
}

/* Same answer as first_above(z, n, x), using the grid. */
static inline size_t grid_first_above(const grid_index *g, const double *z, size_t n, double x)
{
    double t = (x - GRID_LO) * (GRID_CELLS / (GRID_HI - GRID_LO));
    size_t cell = t <= 0 ? 0 : t >= GRID_CELLS - 1 ? GRID_CELLS - 1 : (size_t)t;
    size_t k = g->start[cell];
    while (k + 1 < n && !(x < z[k]))
        k++;
    return k;
}

/* ---- fitting ----------------------------------------------------------------------------------- */

typedef struct fit_state {
    size_t n, d;
    double *Z;           /* n x d scores, row-major */
    double *sd;          /* score standard deviation per dim */
    int32_t **slot_of;   /* categorical dims: each row's category index (-1 null) */
    double **value_of;   /* numeric dims: each row's value (NaN null) */
} fit_state;

static void fit_state_release(fit_state *fs)
{
    for (size_t j = 0; j < fs->d; j++) {
        if (fs->slot_of)
            synth_free(fs->slot_of[j]);
        if (fs->value_of)
            synth_free(fs->value_of[j]);
    }
    synth_free(fs->slot_of);
    synth_free(fs->value_of);
    synth_free(fs->Z);
    synth_free(fs->sd);
}

typedef struct label_index {
    const char *value;
    int32_t index;
} label_index;

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const label_index *)a)->value, ((const label_index *)b)->value);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Numeric dim: values per row, marginal, null probability. */
static int fit_numeric(synth_model *m, copula_dim *dim, const synth_sample_table *t, fit_state *fs,
                       size_t j, synth_err *err)
{
    const synth_column *col = &m->schema->cols[dim->col];
    double *vals = synth_malloc(t->nrows * sizeof *vals), *sorted = synth_malloc(t->nrows * sizeof *sorted);
    if (vals == NULL || sorted == NULL) {
        synth_free(vals);
        synth_free(sorted);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    fs->value_of[j] = vals;
    size_t nn = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        const char *s = t->cells[r * t->ncols + dim->col];
        size_t len = t->lens[r * t->ncols + dim->col];
        if (synth_cell_is_null(col, s, len)) {
            vals[r] = NAN;
            continue;
        }
        if (synth_cell_parse_number(col, s, len, &vals[r]) || !isfinite(vals[r])) {
            synth_free(sorted);
            return synth_err_set(err, SYNTH_BAD_INPUT, "line %llu, column '%s': '%.40s' is not a valid %s",
                                 (unsigned long long)t->line[r], col->name, s, synth_col_type_name(col->type));
        }
        sorted[nn++] = vals[r];
    }
    dim->p_null = (double)(t->nrows - nn) / (double)t->nrows;
    if (nn == 0) {
        sorted[0] = 0;
        nn = 1;
        dim->p_null = 1.0;
    }
    qsort(sorted, nn, sizeof *sorted, cmp_double);
    int rc = synth__marginal_fit(&dim->marginal, sorted, nn, m->parametric, m->knots, m->discrete_max);
    synth_free(sorted);
    if (rc == 0)
        rc = prepare_numeric(dim);
    return rc ? synth_err_set(err, SYNTH_NOMEM, "out of memory") : 0;
}

/* Categorical dim: category index per row, slots ordered by frequency. */
static int fit_categorical(synth_model *m, copula_dim *dim, const synth_sample_table *t, fit_state *fs,
                           size_t j, synth_err *err)
{
    const synth_column *col = &m->schema->cols[dim->col];
    size_t nc = col->ncategories;
    label_index *idx = synth_malloc((nc ? nc : 1) * sizeof *idx);
    int32_t *slot_of = synth_malloc(t->nrows * sizeof *slot_of);
    fs->slot_of[j] = slot_of;
    if (idx == NULL || slot_of == NULL) {
        synth_free(idx);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nc; i++)
        idx[i] = (label_index){col->categories[i].value, (int32_t)i};
    qsort(idx, nc, sizeof *idx, cmp_label);
    uint64_t sample_nulls = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        const char *s = t->cells[r * t->ncols + dim->col];
        if (t->lens[r * t->ncols + dim->col] == 0) {
            slot_of[r] = -1;
            sample_nulls++;
            continue;
        }
        label_index key = {s, 0};
        label_index *hit = nc ? bsearch(&key, idx, nc, sizeof *idx, cmp_label) : NULL;
        if (hit == NULL) {
            synth_free(idx);
            return synth_err_set(err, SYNTH_BAD_INPUT, "line %llu, column '%s': '%.40s' is not a known category",
                                 (unsigned long long)t->line[r], col->name, s);
        }
        slot_of[r] = hit->index;
    }
    synth_free(idx);
    /* Frequencies: exact counts from the schema pass; nulls from the schema too. */
    uint64_t total = col->null_count;
    for (size_t i = 0; i < nc; i++)
        total += col->categories[i].count;
    int has_null = col->null_count > 0 || sample_nulls > 0;
    if (total == 0) {
        total = 1;   /* an all-null column */
        has_null = 1;
    }
    dim->nslots = nc + (size_t)has_null;
    dim->order = synth_malloc(dim->nslots * sizeof *dim->order);
    dim->cum = synth_malloc(dim->nslots * sizeof *dim->cum);
    dim->zcut = synth_malloc(dim->nslots * sizeof *dim->zcut);
    if (dim->order == NULL || dim->cum == NULL || dim->zcut == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    for (size_t i = 0; i < nc; i++)
        dim->order[i] = (int32_t)i;   /* schema lists categories most frequent first */
    if (has_null)
        dim->order[nc] = -1;
    return 0;
}

static double slot_probability(const synth_model *m, const copula_dim *dim, size_t k)
{
    const synth_column *col = &m->schema->cols[dim->col];
    uint64_t total = col->null_count;
    for (size_t i = 0; i < col->ncategories; i++)
        total += col->categories[i].count;
    if (total == 0)
        return 1.0;
    int32_t c = dim->order[k];
    return (double)(c < 0 ? col->null_count : col->categories[c].count) / (double)total;
}

/* Recompute interval ends and thresholds of a categorical dim from its order. */
static void layout_slots(const synth_model *m, copula_dim *dim)
{
    double acc = 0;
    for (size_t k = 0; k < dim->nslots; k++) {
        acc += slot_probability(m, dim, k);
        dim->cum[k] = acc;
    }
    dim->cum[dim->nslots - 1] = 1.0;
    for (size_t k = 0; k < dim->nslots; k++)
        dim->zcut[k] = k + 1 == dim->nslots ? INFINITY : nquantile(dim->cum[k]);
}

static int prepare_categorical_grids(synth_model *m)
{
    for (size_t j = 0; j < m->ndims; j++)
        if (m->dims[j].categorical && grid_build(&m->dims[j].grid, m->dims[j].zcut, m->dims[j].nslots))
            return SYNTH_NOMEM;
    return 0;
}

/* Precompute a numeric dim's thresholds in latent (x) space so sampling needs no Phi:
 * discrete marginals: x < zknot[k] selects values[k] (zknot[k] = Phi^-1(p + (1-p) cum[k]));
 * knots marginals: zknot[k] = Phi^-1(p + (1-p) k/(n-1)), interpolated linearly in x between
 * interior knots (the CDF is exact at every knot; the two unbounded end intervals use Phi). */
static int prepare_numeric(copula_dim *dim)
{
    const synth_marginal *mg = &dim->marginal;
    double p = dim->p_null;
    dim->z_null = p >= 1.0 ? INFINITY : nquantile(p);
    if (mg->kind == SYNTH_MARGINAL_PARAMETRIC || mg->n == 0)
        return 0;
    dim->zknot = synth_malloc(mg->n * sizeof *dim->zknot);
    if (dim->zknot == NULL)
        return SYNTH_NOMEM;
    for (size_t k = 0; k < mg->n; k++) {
        double frac = mg->kind == SYNTH_MARGINAL_DISCRETE ? mg->cum[k]
                                                           : (mg->n > 1 ? (double)k / (double)(mg->n - 1) : 1.0);
        dim->zknot[k] = nquantile(p + (1.0 - p) * frac);
    }
    if (mg->kind == SYNTH_MARGINAL_DISCRETE)
        dim->zknot[mg->n - 1] = INFINITY;
    return grid_build(&dim->grid, dim->zknot, mg->n);
}

/* Fill column j of Z with the dim's normal scores and set fs->sd[j]. */
static int score_dim(const synth_model *m, const copula_dim *dim, fit_state *fs, size_t j)
{
    size_t n = fs->n, d = fs->d;
    double sumsq = 0;
    if (dim->categorical) {
        size_t nc = m->schema->cols[dim->col].ncategories;
        double *score = synth_malloc((nc + 1) * sizeof *score);   /* by category; [nc] = null */
        if (score == NULL)
            return SYNTH_NOMEM;
        for (size_t k = 0; k < nc + 1; k++)
            score[k] = 0;
        for (size_t k = 0; k < dim->nslots; k++) {
            double a = k ? dim->cum[k - 1] : 0.0;
            int32_t c = dim->order[k];
            score[c < 0 ? nc : (size_t)c] = interval_score(a, dim->cum[k]);
        }
        for (size_t r = 0; r < n; r++) {
            int32_t c = fs->slot_of[j][r];
            double z = score[c < 0 ? nc : (size_t)c];
            fs->Z[r * d + j] = z;
            sumsq += z * z;
        }
        synth_free(score);
    } else {
        /* rank groups: nulls first, then ties of equal values */
        const double *v = fs->value_of[j];
        size_t *ix = synth_malloc(n * sizeof *ix);
        if (ix == NULL)
            return SYNTH_NOMEM;
        size_t nnull = 0;
        for (size_t r = 0; r < n; r++)
            if (isnan(v[r]))
                ix[nnull++] = r;
        size_t p = nnull;
        for (size_t r = 0; r < n; r++)
            if (!isnan(v[r]))
                ix[p++] = r;
        /* sort the non-null part of ix by value (insertion via qsort on pairs) */
        typedef struct { double v; size_t r; } pair;
        pair *pairs = synth_malloc((n - nnull + 1) * sizeof *pairs);
        if (pairs == NULL) {
            synth_free(ix);
            return SYNTH_NOMEM;
        }
        for (size_t i = nnull; i < n; i++)
            pairs[i - nnull] = (pair){v[ix[i]], ix[i]};
        qsort(pairs, n - nnull, sizeof *pairs, cmp_double);   /* v is the first member */
        for (size_t i = nnull; i < n; i++)
            ix[i] = pairs[i - nnull].r;
        size_t start = 0;
        while (start < n) {
            size_t end = start + 1;
            if (start < nnull)
                end = nnull;
            else
                while (end < n && pairs[end - nnull].v == pairs[start - nnull].v)
                    end++;
            double z = interval_score((double)start / (double)n, (double)end / (double)n);
            for (size_t i = start; i < end; i++)
                fs->Z[ix[i] * d + j] = z;
            sumsq += z * z * (double)(end - start);
            start = end;
        }
        synth_free(pairs);
        synth_free(ix);
    }
    fs->sd[j] = sqrt(sumsq / (double)n);
    return 0;
}

/* R from the scores (BLAS dsyrk), corrected for grouping, clipped, unit diagonal. */
static void estimate_correlation(const synth_model *m, fit_state *fs, double *R)
{
    size_t n = fs->n, d = fs->d;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)n, 1.0 / (double)n, fs->Z, (int)d,
                0.0, R, (int)d);
    for (size_t i = 0; i < d; i++)
        for (size_t k = i; k < d; k++) {
            double r;
            if (i == k) {
                r = 1.0;
            } else if (fs->sd[i] <= 1e-12 || fs->sd[k] <= 1e-12) {
                r = 0.0;
            } else if (m->correct) {
                /* Scores are E[latent | group]; to first order their covariance is rho times the
                 * product of their variances, so dividing by the variances undoes the attenuation
                 * that grouping (categories, ties, nulls) causes. */
                r = R[i * d + k] / (fs->sd[i] * fs->sd[i] * fs->sd[k] * fs->sd[k]);
            } else {
                r = R[i * d + k] / (fs->sd[i] * fs->sd[k]);   /* plain Pearson of the scores */
            }
            if (r > 0.995)
                r = 0.995;
            if (r < -0.995)
                r = -0.995;
            R[i * d + k] = R[k * d + i] = r;
        }
}

typedef struct slot_key {
    double mean;
    int32_t category;
    size_t original;
} slot_key;

static int cmp_slot_key(const void *a, const void *b)
{
    const slot_key *x = a, *y = b;
    if (x->mean != y->mean)
        return x->mean < y->mean ? -1 : 1;
    return x->original < y->original ? -1 : x->original > y->original;
}

/* One optimal-scaling pass: reorder each categorical dim's slots by the mean predicted latent. */
static int reorder_categories(synth_model *m, fit_state *fs, const double *P)
{
    size_t n = fs->n, d = fs->d;
    for (size_t j = 0; j < d; j++) {
        copula_dim *dim = &m->dims[j];
        if (!dim->categorical || dim->nslots < 3 || !(P[j * d + j] > 0))
            continue;
        size_t nc = m->schema->cols[dim->col].ncategories;
        double *sum = synth_calloc(nc + 1, sizeof *sum), *cnt = synth_calloc(nc + 1, sizeof *cnt);
        slot_key *keys = synth_malloc(dim->nslots * sizeof *keys);
        if (sum == NULL || cnt == NULL || keys == NULL) {
            synth_free(sum);
            synth_free(cnt);
            synth_free(keys);
            return SYNTH_NOMEM;
        }
        for (size_t r = 0; r < n; r++) {
            double pred = 0;
            const double *zr = &fs->Z[r * d];
            for (size_t k = 0; k < d; k++)
                if (k != j)
                    pred -= P[j * d + k] * zr[k];
            pred /= P[j * d + j];
            int32_t c = fs->slot_of[j][r];
            size_t b = c < 0 ? nc : (size_t)c;
            sum[b] += pred;
            cnt[b] += 1;
        }
        for (size_t k = 0; k < dim->nslots; k++) {
            int32_t c = dim->order[k];
            size_t b = c < 0 ? nc : (size_t)c;
            keys[k] = (slot_key){cnt[b] > 0 ? sum[b] / cnt[b] : 0.0, c, k};
        }
        qsort(keys, dim->nslots, sizeof *keys, cmp_slot_key);
        for (size_t k = 0; k < dim->nslots; k++)
            dim->order[k] = keys[k].category;
        synth_free(sum);
        synth_free(cnt);
        synth_free(keys);
        layout_slots(m, dim);
        if (score_dim(m, dim, fs, j))
            return SYNTH_NOMEM;
    }
    return 0;
}

/* ---- text columns ------------------------------------------------------------------------------ */

typedef struct word_count {
    char *word;
    uint64_t count;
} word_count;

static int cmp_word(const void *a, const void *b)
{
    return strcmp(((const word_count *)a)->word, ((const word_count *)b)->word);
}

/* The entity of a placeholder word "<pii:email>", or -1 for any other word. */
static int placeholder_entity(const char *w)
{
    size_t pl = sizeof PII_PLACEHOLDER - 1, n = strlen(w);
    if (n <= pl + 1 || memcmp(w, PII_PLACEHOLDER, pl) != 0 || w[n - 1] != '>' || n - pl - 1 >= 32)
        return -1;
    char name[32];
    memcpy(name, w + pl, n - pl - 1);
    name[n - pl - 1] = '\0';
    synth_pii_entity e;
    return synth_pii_entity_parse(name, &e) == 0 ? (int)e : -1;
}

/* Placeholders first (they are kept whatever their count), then by count. */
static int cmp_word_count(const void *a, const void *b)
{
    const word_count *x = a, *y = b;
    int px = placeholder_entity(x->word) >= 0, py = placeholder_entity(y->word) >= 0;
    if (px != py)
        return py - px;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->word, y->word);
}

#define TEXT_PII_MATCHES 64

/* Copy s[0..len) into out (cap bytes) with every PII match replaced by " <pii:ENTITY> "; counts the
 * matches per entity.  Returns the new length, or (size_t)-1 when out is too small. */
static size_t replace_pii(const char *s, size_t len, const char *column, const synth_pii_names *names,
                          text_model *tm, char *out, size_t cap)
{
    synth_pii_match mt[TEXT_PII_MATCHES];
    size_t nm = synth_pii_find_ex(s, len, column, names, mt, TEXT_PII_MATCHES);
    size_t n = 0, at = 0;
    for (size_t k = 0; k <= nm; k++) {
        size_t end = k < nm ? mt[k].start : len;
        if (end < at || n + (end - at) + 48 > cap)
            return (size_t)-1;
        memcpy(out + n, s + at, end - at);
        n += end - at;
        if (k == nm)
            break;
        int w = snprintf(out + n, cap - n, " %s%s> ", PII_PLACEHOLDER, synth_pii_entity_name(mt[k].entity));
        if (w < 0 || (size_t)w >= cap - n)
            return (size_t)-1;
        n += (size_t)w;
        tm->pii_tokens[mt[k].entity]++;
        at = mt[k].start + mt[k].len;
    }
    return n;
}

static int fit_text(synth_model *m, text_model *tm, const synth_sample_table *t, const synth_pii_names *names)
{
    size_t cap = 1024, nw = 0;
    word_count *all = synth_malloc(cap * sizeof *all);
    double *lens = synth_malloc((t->nrows + 1) * sizeof *lens);
    size_t nlen = 0, nulls = 0, clean_cap = 0;
    char *clean = NULL;
    int rc = SYNTH_NOMEM;
    if (all == NULL || lens == NULL)
        goto done;
    for (size_t r = 0; r < t->nrows; r++) {
        const char *s = t->cells[r * t->ncols + tm->col];
        size_t len = t->lens[r * t->ncols + tm->col];
        if (synth_cell_is_null(&m->schema->cols[tm->col], s, len)) {
            nulls++;
            continue;
        }
        /* PII never enters the bag of words: each match becomes a placeholder word */
        size_t need = len * 2 + 64 * TEXT_PII_MATCHES;
        if (need > clean_cap) {
            char *nc = synth_realloc(clean, need);
            if (nc == NULL)
                goto done;
            clean = nc;
            clean_cap = need;
        }
        size_t cl = replace_pii(s, len, m->schema->cols[tm->col].name, names, tm, clean, clean_cap);
        if (cl == (size_t)-1)
            goto done;
        s = clean;
        len = cl;
        size_t words = 0;
        for (size_t i = 0; i < len;) {
            while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
                i++;
            size_t a = i;
            while (i < len && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
                i++;
            if (i == a)
                break;
            words++;
            if (nw == cap) {
                word_count *na = synth_reallocarray(all, cap * 2, sizeof *all);
                if (na == NULL)
                    goto done;
                all = na;
                cap *= 2;
            }
            if ((all[nw].word = synth_strndup(s + a, i - a)) == NULL)
                goto done;
            all[nw++].count = 1;
        }
        lens[nlen++] = (double)(words > MAX_TEXT_LEN_WORDS ? MAX_TEXT_LEN_WORDS : words);
    }
    tm->p_null = (double)nulls / (double)t->nrows;
    /* merge duplicates */
    qsort(all, nw, sizeof *all, cmp_word);
    size_t u = 0;
    for (size_t i = 0; i < nw; i++) {
        if (u > 0 && strcmp(all[u - 1].word, all[i].word) == 0) {
            all[u - 1].count++;
            synth_free(all[i].word);
        } else {
            all[u++] = all[i];
        }
    }
    nw = u;
    qsort(all, nw, sizeof *all, cmp_word_count);
    size_t keep = 0;
    while (keep < nw && keep < MAX_TEXT_WORDS && (all[keep].count >= 2 || placeholder_entity(all[keep].word) >= 0))
        keep++;
    tm->words = synth_calloc(keep ? keep : 1, sizeof *tm->words);
    tm->word_cum = synth_malloc((keep ? keep : 1) * sizeof *tm->word_cum);
    tm->word_pii = synth_malloc(keep ? keep : 1);
    if (tm->words == NULL || tm->word_cum == NULL || tm->word_pii == NULL)
        goto done;
    double total = 0;
    for (size_t i = 0; i < keep; i++)
        total += (double)all[i].count;
    double acc = 0;
    for (size_t i = 0; i < keep; i++) {
        tm->words[i] = all[i].word;
        tm->word_pii[i] = (signed char)placeholder_entity(all[i].word);
        all[i].word = NULL;
        acc += (double)all[i].count;
        tm->word_cum[i] = acc / total;
    }
    tm->nwords = keep;
    if (nlen == 0)
        lens[nlen++] = 0;
    qsort(lens, nlen, sizeof *lens, cmp_double);
    rc = synth__marginal_fit(&tm->lengths, lens, nlen, 0, 2, MAX_TEXT_LEN_WORDS + 1) ? SYNTH_NOMEM : 0;
done:
    for (size_t i = 0; all != NULL && i < nw; i++)
        synth_free(all[i].word);
    synth_free(all);
    synth_free(lens);
    synth_free(clean);
    return rc;
}

/* ---- fit driver ------------------------------------------------------------------------------- */

static int alloc_dims(synth_model *m)
{
    const synth_schema *s = m->schema;
    size_t nd = 0, nt = 0;
    for (size_t c = 0; c < s->ncols; c++) {
        synth_col_type ty = s->cols[c].type;
        if (ty == SYNTH_COL_TEXT)
            nt++;
        else if (ty != SYNTH_COL_ID && ty != SYNTH_COL_PII)
            nd++;
    }
    m->dims = synth_calloc(nd ? nd : 1, sizeof *m->dims);
    m->texts = synth_calloc(nt ? nt : 1, sizeof *m->texts);
    m->corr = synth_calloc(nd > 0 ? nd * nd : 1, sizeof *m->corr);
    m->chol = synth_calloc(nd > 0 ? nd * nd : 1, sizeof *m->chol);
    if (m->dims == NULL || m->texts == NULL || m->corr == NULL || m->chol == NULL)
        return SYNTH_NOMEM;
    for (size_t c = 0; c < s->ncols; c++) {
        synth_col_type ty = s->cols[c].type;
        if (ty == SYNTH_COL_TEXT) {
            m->texts[m->ntext++].col = c;
        } else if (ty != SYNTH_COL_ID && ty != SYNTH_COL_PII) {
            copula_dim *dim = &m->dims[m->ndims++];
            dim->col = c;
            dim->categorical = ty == SYNTH_COL_CATEGORICAL || ty == SYNTH_COL_BOOLEAN;
        }
    }
    return 0;
}

static int copula_fit(const synth_schema *schema, const synth_sample_table *t,
                      const synth_fit_options *opt, synth_model **out, synth_err *err)
{
    *out = NULL;
    if (t == NULL || t->nrows == 0)
        return synth_err_set(err, SYNTH_BAD_INPUT, "no rows to fit");
    synth_model *m = synth_calloc(1, sizeof *m);
    if (m == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    m->schema = schema;
    fit_state fs = {0};
    double *P = NULL;
    int rc = parse_params(m, opt, err);
    if (rc)
        goto fail;
    if ((rc = alloc_dims(m)) != 0)
        goto nomem;
    size_t d = m->ndims, n = t->nrows;
    fs.n = n;
    fs.d = d;
    fs.Z = synth_malloc((n > 0 && d > 0 ? n * d : 1) * sizeof *fs.Z);
    fs.sd = synth_calloc(d ? d : 1, sizeof *fs.sd);
    fs.slot_of = synth_calloc(d ? d : 1, sizeof *fs.slot_of);
    fs.value_of = synth_calloc(d ? d : 1, sizeof *fs.value_of);
    P = synth_malloc((d > 0 ? d * d : 1) * sizeof *P);
    if (fs.Z == NULL || fs.sd == NULL || fs.slot_of == NULL || fs.value_of == NULL || P == NULL)
        goto nomem;
    for (size_t j = 0; j < d; j++) {
        copula_dim *dim = &m->dims[j];
        rc = dim->categorical ? fit_categorical(m, dim, t, &fs, j, err) : fit_numeric(m, dim, t, &fs, j, err);
        if (rc)
            goto fail;
        if (dim->categorical)
            layout_slots(m, dim);
        if (score_dim(m, dim, &fs, j))
            goto nomem;
    }
    if (d > 0) {
        estimate_correlation(m, &fs, m->corr);
        for (size_t it = 0; it < m->order_iterations; it++) {
            if ((rc = repair_correlation(m->corr, d)) != 0 || (rc = invert_spd(m->corr, P, d)) != 0)
                goto linalg;
            if (reorder_categories(m, &fs, P))
                goto nomem;
            estimate_correlation(m, &fs, m->corr);
        }
        if ((rc = repair_correlation(m->corr, d)) != 0 || (rc = cholesky(m->corr, m->chol, d)) != 0)
            goto linalg;
    }
    if (m->ntext > 0) {
        synth_pii_names *names = NULL;
        if ((rc = synth_pii_names_load_default(&names, NULL, 0, err)))
            goto fail;
        for (size_t i = 0; i < m->ntext; i++)
            if (fit_text(m, &m->texts[i], t, names)) {
                synth_pii_names_free(names);
                goto nomem;
            }
        synth_pii_names_free(names);
    }
    if (prepare_categorical_grids(m))
        goto nomem;
    fit_state_release(&fs);
    synth_free(P);
    *out = m;
    return 0;
linalg:
    if (rc == SYNTH_NOMEM)
        goto nomem;
    rc = synth_err_set(err, SYNTH_INTERNAL, "copula: correlation matrix could not be factored");
    goto fail;
nomem:
    rc = synth_err_set(err, SYNTH_NOMEM, "out of memory while fitting");
fail:
    fit_state_release(&fs);
    synth_free(P);
    model_free(m);
    return rc;
}

/* ---- sampling --------------------------------------------------------------------------------- */

static int sample_text(const synth_model *m, const text_model *tm, size_t ti, uint64_t seed, uint64_t row,
                       synth_chunk *ch, size_t r)
{
    synth_rng rng;
    synth_rng_init(&rng, seed, row, TEXT_STREAM_BASE + (uint32_t)ti);
    size_t cell = tm->col * ch->cap + r;
    if (synth_rng_uniform(&rng) < tm->p_null) {
        ch->is_null[cell] = 1;
        return 0;
    }
    ch->is_null[cell] = 0;
    double want = synth__marginal_quantile(&tm->lengths, synth_rng_uniform(&rng));
    size_t words = want >= 1 && want <= MAX_TEXT_LEN_WORDS ? (size_t)want : 0;   /* a damaged model stays in range */
    char buf[4096];
    size_t n = 0;
    for (size_t w = 0; w < words; w++) {
        const char *word;
        char made[SYNTH_PII_TEXT_MAX];
        if (tm->nwords > 0) {
            double u = synth_rng_uniform(&rng);
            size_t lo = 0, hi = tm->nwords - 1;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (tm->word_cum[mid] < u)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            word = tm->words[lo];
            if (tm->word_pii != NULL && tm->word_pii[lo] >= 0) {
                synth_pii_fake((synth_pii_entity)tm->word_pii[lo], seed, row,
                               TEXT_PII_STREAM_BASE + (uint32_t)ti * 256u + (uint32_t)w, NULL, made);
                word = made;
            }
        } else {
            /* no word repeats in training: made-up lowercase words */
            size_t len = 3 + synth_rng_below(&rng, 6);
            for (size_t i = 0; i < len; i++)
                made[i] = (char)('a' + synth_rng_below(&rng, 26));
            made[len] = '\0';
            word = made;
        }
        size_t wl = strlen(word);
        if (n + wl + 1 >= sizeof buf)
            break;
        if (n)
            buf[n++] = ' ';
        memcpy(buf + n, word, wl);
        n += wl;
    }
    (void)m;
    return synth_chunk_put_text(ch, tm->col, r, buf, n);
}

/* Value of a non-null numeric dim at latent x (x >= z_null). */
static double numeric_value(const copula_dim *dim, double x)
{
    const synth_marginal *mg = &dim->marginal;
    if (mg->kind == SYNTH_MARGINAL_DISCRETE)
        return mg->values[grid_first_above(dim->grid, dim->zknot, mg->n, x)];
    if (mg->kind == SYNTH_MARGINAL_KNOTS && mg->n >= 4) {
        size_t k = grid_first_above(dim->grid, dim->zknot, mg->n, x);   /* x in [zknot[k-1], zknot[k]) */
        if (k >= 2 && k <= mg->n - 2) {
            double z0 = dim->zknot[k - 1], z1 = dim->zknot[k];
            double t = (x - z0) / (z1 - z0);
            return mg->values[k - 1] + t * (mg->values[k] - mg->values[k - 1]);
        }
    }
    double v = (ncdf(x) - dim->p_null) / (1.0 - dim->p_null);
    if (v <= 0)
        v = 1e-300;
    if (v >= 1)
        v = 1 - 1e-16;
    return synth__marginal_quantile(mg, v);
}

static int copula_sample(const synth_model *m, uint64_t seed, synth_chunk *ch, synth_err *err)
{
    const size_t d = m->ndims, n = ch->nrows;
    const synth_schema *s = m->schema;
    ch->arena_len = 0;
    if (d > 0) {
        /* Z: one row of d independent normals per output row; X = Z L' in one BLAS call. */
        double *Z = synth_chunk_scratch(ch, 2 * n * d * sizeof *Z);
        if (Z == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        double *X = Z + n * d;
        for (size_t r = 0; r < n; r++) {
            synth_gsl_rng rng;
            synth_gsl_rng_init(&rng, seed, ch->first_row + r, SYNTH_STREAM_GENERATOR);
            for (size_t k = 0; k < d; k++)
                Z[r * d + k] = synth_gsl_rng_normal(&rng);
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)d, (int)d, 1.0, Z, (int)d, m->chol,
                    (int)d, 0.0, X, (int)d);
        for (size_t j = 0; j < d; j++) {
            const copula_dim *dim = &m->dims[j];
            synth_cell *cells = &ch->cells[dim->col * ch->cap];
            uint8_t *is_null = &ch->is_null[dim->col * ch->cap];
            if (dim->categorical) {
                for (size_t r = 0; r < n; r++) {
                    int32_t c = dim->order[grid_first_above(dim->grid, dim->zcut, dim->nslots, X[r * d + j])];
                    is_null[r] = c < 0;
                    cells[r].index = c < 0 ? 0 : c;
                }
            } else {
                for (size_t r = 0; r < n; r++) {
                    double x = X[r * d + j];
                    is_null[r] = x < dim->z_null || dim->p_null >= 1.0;
                    if (!is_null[r])
                        cells[r].num = numeric_value(dim, x);
                }
            }
        }
    }
    for (size_t c = 0; c < s->ncols; c++) {
        /* ids and PII: the formatter makes a fresh value from the row index (never a learned one) */
        if (s->cols[c].type != SYNTH_COL_ID && s->cols[c].type != SYNTH_COL_PII)
            continue;
        for (size_t r = 0; r < n; r++) {
            ch->is_null[c * ch->cap + r] = 0;
            ch->cells[c * ch->cap + r].index = (int64_t)(ch->first_row + r);
        }
    }
    for (size_t t = 0; t < m->ntext; t++)
        for (size_t r = 0; r < n; r++)
            if (sample_text(m, &m->texts[t], t, seed, ch->first_row + r, ch, r))
                return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    return 0;
}

/* ---- save / load / describe ----------------------------------------------------------------------- */

static json_t *params_json(const synth_model *m)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:i}", "marginals", m->parametric ? "parametric" : "empirical", "knots",
                     (json_int_t)m->knots, "discrete_max", (json_int_t)m->discrete_max, "order_iterations",
                     (json_int_t)m->order_iterations, "correction", m->correct);
}

static json_t *marginal_json(const synth_marginal *mg)
{
    json_t *o = json_pack("{s:s, s:s, s:[f,f,f,f], s:f, s:f, s:f, s:I}", "kind",
                          synth__marginal_kind_name(mg->kind), "family", synth__family_name(mg->family),
                          "param", mg->param[0], mg->param[1], mg->param[2], mg->param[3], "lo", mg->lo,
                          "hi", mg->hi, "ks", isfinite(mg->ks) ? mg->ks : 0.0, "n", (json_int_t)mg->n);
    return o;
}

static int copula_save(const synth_model *m, synth_model_file *mf, synth_err *err)
{
    json_t *root = json_object(), *dims = json_array(), *texts = json_array();
    char name[64];
    int rc = 0;
    if (root == NULL || dims == NULL || texts == NULL)
        goto nomem;
    json_object_set_new(root, "params", params_json(m));
    for (size_t j = 0; j < m->ndims; j++) {
        const copula_dim *dim = &m->dims[j];
        json_t *o = json_pack("{s:s, s:b}", "column", m->schema->cols[dim->col].name, "categorical",
                              dim->categorical);
        if (o == NULL || json_array_append_new(dims, o))
            goto nomem;
        if (dim->categorical) {
            json_t *order = json_array();
            for (size_t k = 0; order != NULL && k < dim->nslots; k++)
                json_array_append_new(order, json_integer(dim->order[k]));
            json_object_set_new(o, "order", order);
        } else {
            json_object_set_new(o, "p_null", json_real(dim->p_null));
            json_object_set_new(o, "marginal", marginal_json(&dim->marginal));
            snprintf(name, sizeof name, "marginal_values_%zu", j);
            if (dim->marginal.n > 0 &&
                (rc = synth_model_file_put_doubles(mf, name, dim->marginal.values, dim->marginal.n, err)))
                goto fail;
            snprintf(name, sizeof name, "marginal_cum_%zu", j);
            if (dim->marginal.cum != NULL &&
                (rc = synth_model_file_put_doubles(mf, name, dim->marginal.cum, dim->marginal.n, err)))
                goto fail;
        }
    }
    json_object_set_new(root, "dims", dims);
    dims = NULL;
    for (size_t t = 0; t < m->ntext; t++) {
        const text_model *tm = &m->texts[t];
        json_t *words = json_array();
        for (size_t i = 0; words != NULL && i < tm->nwords; i++)
            json_array_append_new(words, json_string(tm->words[i]));
        json_t *pii = json_object();
        for (size_t e = 0; pii != NULL && e < SYNTH_PII_ENTITY_COUNT; e++)
            if (tm->pii_tokens[e] > 0)
                json_object_set_new(pii, synth_pii_entity_name((synth_pii_entity)e),
                                    json_integer((json_int_t)tm->pii_tokens[e]));
        json_t *o = json_pack("{s:s, s:f, s:o, s:o}", "column", m->schema->cols[tm->col].name, "p_null", tm->p_null,
                              "words", words, "pii_tokens", pii);
        if (o == NULL || json_array_append_new(texts, o))
            goto nomem;
        snprintf(name, sizeof name, "text_word_cum_%zu", t);
        if (tm->nwords && (rc = synth_model_file_put_doubles(mf, name, tm->word_cum, tm->nwords, err)))
            goto fail;
        snprintf(name, sizeof name, "text_len_values_%zu", t);
        if ((rc = synth_model_file_put_doubles(mf, name, tm->lengths.values, tm->lengths.n, err)))
            goto fail;
        snprintf(name, sizeof name, "text_len_cum_%zu", t);
        if ((rc = synth_model_file_put_doubles(mf, name, tm->lengths.cum, tm->lengths.n, err)))
            goto fail;
    }
    json_object_set_new(root, "texts", texts);
    texts = NULL;
    if (m->ndims > 0 &&
        (rc = synth_model_file_put_doubles(mf, "correlation", m->corr, m->ndims * m->ndims, err)))
        goto fail;
    char *text = json_dumps(root, JSON_COMPACT);
    if (text == NULL)
        goto nomem;
    rc = synth_model_file_set_meta(mf, "copula", text, err);
    free(text);
    goto fail;   /* common cleanup */
nomem:
    rc = synth_err_set(err, SYNTH_NOMEM, "out of memory saving the model");
fail:
    json_decref(root);
    json_decref(dims);
    json_decref(texts);
    return rc;
}

static int bad_model(synth_err *err, const char *what)
{
    return synth_err_set(err, SYNTH_MODEL, "copula model is damaged: %s", what);
}

static int load_marginal(synth_model_file *mf, const json_t *o, synth_marginal *mg, size_t j, synth_err *err)
{
    const char *kind = json_string_value(json_object_get(o, "kind"));
    const char *family = json_string_value(json_object_get(o, "family"));
    if (kind == NULL || family == NULL)
        return bad_model(err, "marginal kind");
    if (strcmp(kind, "discrete") == 0)
        mg->kind = SYNTH_MARGINAL_DISCRETE;
    else if (strcmp(kind, "empirical") == 0)
        mg->kind = SYNTH_MARGINAL_KNOTS;
    else if (strcmp(kind, "parametric") == 0)
        mg->kind = SYNTH_MARGINAL_PARAMETRIC;
    else
        return bad_model(err, "marginal kind");
    int f;
    for (f = 0; f < SYNTH_FAMILY_COUNT && strcmp(family, synth__family_name((synth_family)f)) != 0; f++)
        ;
    if (f == SYNTH_FAMILY_COUNT)
        return bad_model(err, "marginal family");
    mg->family = (synth_family)f;
    json_t *param = json_object_get(o, "param");
    for (size_t i = 0; i < 4; i++)
        mg->param[i] = json_number_value(json_array_get(param, i));
    mg->lo = json_number_value(json_object_get(o, "lo"));
    mg->hi = json_number_value(json_object_get(o, "hi"));
    mg->ks = json_number_value(json_object_get(o, "ks"));
    if (mg->kind == SYNTH_MARGINAL_PARAMETRIC)
        return 0;
    char name[64];
    size_t n;
    snprintf(name, sizeof name, "marginal_values_%zu", j);
    int rc = synth_model_file_get_doubles_new(mf, name, &mg->values, &n, err);
    if (rc)
        return rc;
    mg->n = n;
    if (n == 0)
        return bad_model(err, "empty marginal");
    if (mg->kind == SYNTH_MARGINAL_DISCRETE) {
        mg->cum = synth_malloc(n * sizeof *mg->cum);
        if (mg->cum == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        snprintf(name, sizeof name, "marginal_cum_%zu", j);
        return synth_model_file_get_doubles(mf, name, mg->cum, n, err);
    }
    return 0;
}

static int load_dims(synth_model *m, synth_model_file *mf, const json_t *root, synth_err *err)
{
    const json_t *dims = json_object_get(root, "dims");
    size_t j;
    const json_t *o;
    if (!json_is_array(dims) || json_array_size(dims) != m->ndims)
        return bad_model(err, "dimension list does not match the schema");
    json_array_foreach(dims, j, o) {
        copula_dim *dim = &m->dims[j];
        const char *col = json_string_value(json_object_get(o, "column"));
        if (col == NULL || strcmp(col, m->schema->cols[dim->col].name) != 0)
            return bad_model(err, "dimension column");
        if (!dim->categorical) {
            dim->p_null = json_number_value(json_object_get(o, "p_null"));
            int rc = load_marginal(mf, json_object_get(o, "marginal"), &dim->marginal, j, err);
            if (rc)
                return rc;
            if (!(dim->p_null >= 0 && dim->p_null <= 1))
                return bad_model(err, "null probability");
            if (prepare_numeric(dim))
                return synth_err_set(err, SYNTH_NOMEM, "out of memory");
            continue;
        }
        const json_t *order = json_object_get(o, "order");
        size_t nc = m->schema->cols[dim->col].ncategories;
        dim->nslots = json_array_size(order);
        if (dim->nslots == 0 || dim->nslots > nc + 1)
            return bad_model(err, "category order");
        dim->order = synth_malloc(dim->nslots * sizeof *dim->order);
        dim->cum = synth_malloc(dim->nslots * sizeof *dim->cum);
        dim->zcut = synth_malloc(dim->nslots * sizeof *dim->zcut);
        if (dim->order == NULL || dim->cum == NULL || dim->zcut == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        for (size_t k = 0; k < dim->nslots; k++) {
            json_int_t c = json_integer_value(json_array_get(order, k));
            if (c < -1 || c >= (json_int_t)nc)
                return bad_model(err, "category index");
            dim->order[k] = (int32_t)c;
        }
        layout_slots(m, dim);
    }
    return 0;
}

static int load_texts(synth_model *m, synth_model_file *mf, const json_t *root, synth_err *err)
{
    const json_t *texts = json_object_get(root, "texts");
    if (!json_is_array(texts) || json_array_size(texts) != m->ntext)
        return bad_model(err, "text column list");
    char name[64];
    for (size_t t = 0; t < m->ntext; t++) {
        text_model *tm = &m->texts[t];
        const json_t *o = json_array_get(texts, t);
        const json_t *words = json_object_get(o, "words");
        tm->p_null = json_number_value(json_object_get(o, "p_null"));
        size_t nw = json_array_size(words);
        tm->words = synth_calloc(nw ? nw : 1, sizeof *tm->words);
        tm->word_cum = synth_malloc((nw ? nw : 1) * sizeof *tm->word_cum);
        tm->word_pii = synth_malloc(nw ? nw : 1);
        if (tm->words == NULL || tm->word_cum == NULL || tm->word_pii == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        for (size_t i = 0; i < nw; i++) {
            const char *w = json_string_value(json_array_get(words, i));
            if (w == NULL || (tm->words[i] = synth_strdup(w)) == NULL)
                return w == NULL ? bad_model(err, "text words") : synth_err_set(err, SYNTH_NOMEM, "out of memory");
            tm->word_pii[i] = (signed char)placeholder_entity(w);   /* models before placeholders have none */
            tm->nwords = i + 1;
        }
        const json_t *pii = json_object_get(o, "pii_tokens");
        for (size_t e = 0; json_is_object(pii) && e < SYNTH_PII_ENTITY_COUNT; e++) {
            const json_t *v = json_object_get(pii, synth_pii_entity_name((synth_pii_entity)e));
            tm->pii_tokens[e] = json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
        }
        int rc;
        snprintf(name, sizeof name, "text_word_cum_%zu", t);
        if (nw && (rc = synth_model_file_get_doubles(mf, name, tm->word_cum, nw, err)))
            return rc;
        size_t n;
        snprintf(name, sizeof name, "text_len_values_%zu", t);
        if ((rc = synth_model_file_get_doubles_new(mf, name, &tm->lengths.values, &n, err)))
            return rc;
        tm->lengths.n = n;
        tm->lengths.kind = SYNTH_MARGINAL_DISCRETE;
        if (n == 0 || (tm->lengths.cum = synth_malloc(n * sizeof *tm->lengths.cum)) == NULL)
            return n == 0 ? bad_model(err, "text lengths") : synth_err_set(err, SYNTH_NOMEM, "out of memory");
        snprintf(name, sizeof name, "text_len_cum_%zu", t);
        if ((rc = synth_model_file_get_doubles(mf, name, tm->lengths.cum, n, err)))
            return rc;
    }
    return 0;
}

static int copula_load(synth_model_file *mf, const synth_schema *schema, synth_model **out, synth_err *err)
{
    *out = NULL;
    char *text = NULL;
    int rc = synth_model_file_get_meta(mf, "copula", &text, err);
    if (rc)
        return rc;
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    synth_free(text);
    if (root == NULL)
        return bad_model(err, "metadata is not JSON");
    synth_model *m = synth_calloc(1, sizeof *m);
    if (m == NULL) {
        json_decref(root);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    m->schema = schema;
    const json_t *params = json_object_get(root, "params");
    const char *marg = json_string_value(json_object_get(params, "marginals"));
    m->parametric = marg != NULL && strcmp(marg, "parametric") == 0;
    m->knots = (size_t)json_integer_value(json_object_get(params, "knots"));
    m->discrete_max = (size_t)json_integer_value(json_object_get(params, "discrete_max"));
    m->order_iterations = (size_t)json_integer_value(json_object_get(params, "order_iterations"));
    m->correct = (int)json_integer_value(json_object_get(params, "correction"));
    if ((rc = alloc_dims(m)) != 0) {
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
        goto fail;
    }
    if ((rc = load_dims(m, mf, root, err)) || (rc = load_texts(m, mf, root, err)))
        goto fail;
    if (prepare_categorical_grids(m)) {
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
        goto fail;
    }
    size_t d = m->ndims;
    if (d > 0) {
        if ((rc = synth_model_file_get_doubles(mf, "correlation", m->corr, d * d, err)))
            goto fail;
        for (size_t i = 0; i < d * d; i++)
            if (!isfinite(m->corr[i]) || fabs(m->corr[i]) > 1.0 + 1e-9) {
                rc = bad_model(err, "correlation values");
                goto fail;
            }
        if (cholesky(m->corr, m->chol, d)) {
            rc = bad_model(err, "correlation matrix is not positive definite");
            goto fail;
        }
    }
    json_decref(root);
    *out = m;
    return 0;
fail:
    json_decref(root);
    model_free(m);
    return rc;
}

static json_t *copula_describe(const synth_model *m)
{
    json_t *root = json_object(), *cols = json_array();
    if (root == NULL || cols == NULL) {
        json_decref(root);
        json_decref(cols);
        return NULL;
    }
    json_object_set_new(root, "params", params_json(m));
    for (size_t j = 0; j < m->ndims; j++) {
        const copula_dim *dim = &m->dims[j];
        json_t *o;
        if (dim->categorical) {
            o = json_pack("{s:s, s:s, s:I}", "column", m->schema->cols[dim->col].name, "encoding",
                          "frequency intervals (optimal-scaling order)", "slots", (json_int_t)dim->nslots);
        } else {
            o = json_pack("{s:s, s:s, s:s, s:f, s:f}", "column", m->schema->cols[dim->col].name, "marginal",
                          synth__marginal_kind_name(dim->marginal.kind), "family",
                          dim->marginal.kind == SYNTH_MARGINAL_PARAMETRIC ? synth__family_name(dim->marginal.family) : "-",
                          "ks", dim->marginal.ks, "p_null", dim->p_null);
        }
        json_array_append_new(cols, o);
    }
    json_object_set_new(root, "dimensions", cols);
    double maxabs = 0;
    size_t d = m->ndims;
    for (size_t i = 0; i < d; i++)
        for (size_t k = 0; k < i; k++)
            maxabs = fmax(maxabs, fabs(m->corr[i * d + k]));
    json_object_set_new(root, "max_abs_correlation", json_real(maxabs));
    json_object_set_new(root, "text_columns", json_integer((json_int_t)m->ntext));
    /* PII tokens found in the text at fit, replaced by placeholders (never stored) */
    json_t *tp = json_object();
    for (size_t t = 0; tp != NULL && t < m->ntext; t++) {
        json_t *o = json_object();
        for (size_t e = 0; o != NULL && e < SYNTH_PII_ENTITY_COUNT; e++)
            if (m->texts[t].pii_tokens[e] > 0)
                json_object_set_new(o, synth_pii_entity_name((synth_pii_entity)e),
                                    json_integer((json_int_t)m->texts[t].pii_tokens[e]));
        if (o != NULL)
            json_object_set_new(tp, m->schema->cols[m->texts[t].col].name, o);
    }
    if (tp != NULL)
        json_object_set_new(root, "text_pii_tokens", tp);
    return root;
}

const synth_generator synth_copula_generator = {
    .name = "copula",
    .description = "Gaussian copula: exact or parametric marginals, frequency-interval categories "
                   "ordered by optimal scaling, correlation of normal scores",
    .params = copula_params,
    .fit = copula_fit,
    .sample = copula_sample,
    .save = copula_save,
    .load = copula_load,
    .free = model_free,
    .describe = copula_describe,
};
