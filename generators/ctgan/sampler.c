/* sampler.c -- conditional vectors and training-by-sampling.  See sampler.h. */
#include "ctgan/sampler.h"

#include <math.h>
#include <string.h>

#include "alloc.h"

void synth_ctgan_sampler_free(synth_ctgan_sampler *s)
{
    if (s == NULL)
        return;
    synth_free(s->ncat);
    synth_free(s->offset);
    synth_free(s->count);
    synth_free(s->cum_log);
    synth_free(s->cum_freq);
    synth_free(s->rows);
    synth_free(s->start);
    synth_free(s);
}

static int sampler_alloc(int ndiscrete, const int *ncat, synth_ctgan_sampler **out)
{
    synth_ctgan_sampler *s = synth_calloc(1, sizeof *s);
    if (s == NULL)
        return SYNTH_NOMEM;
    s->ndiscrete = ndiscrete;
    size_t nd = ndiscrete > 0 ? (size_t)ndiscrete : 1;
    s->ncat = synth_malloc(nd * sizeof *s->ncat);
    s->offset = synth_malloc(nd * sizeof *s->offset);
    if (s->ncat == NULL || s->offset == NULL) {
        synth_ctgan_sampler_free(s);
        return SYNTH_NOMEM;
    }
    int off = 0;
    for (int d = 0; d < ndiscrete; d++) {
        s->ncat[d] = ncat[d];
        s->offset[d] = off;
        off += ncat[d];
    }
    s->cond_dim = off;
    size_t cd = off > 0 ? (size_t)off : 1;
    s->count = synth_calloc(cd, sizeof *s->count);
    s->cum_log = synth_malloc(cd * sizeof *s->cum_log);
    s->cum_freq = synth_malloc(cd * sizeof *s->cum_freq);
    s->start = synth_calloc(cd, sizeof *s->start);
    if (s->count == NULL || s->cum_log == NULL || s->cum_freq == NULL || s->start == NULL) {
        synth_ctgan_sampler_free(s);
        return SYNTH_NOMEM;
    }
    *out = s;
    return 0;
}

static void probabilities(synth_ctgan_sampler *s)
{
    for (int d = 0; d < s->ndiscrete; d++) {
        double tl = 0, tf = 0;
        const uint64_t *c = s->count + s->offset[d];
        for (int k = 0; k < s->ncat[d]; k++) {
            tl += log((double)c[k] + 1.0);
            tf += (double)c[k];
        }
        double al = 0, af = 0;
        for (int k = 0; k < s->ncat[d]; k++) {
            al += log((double)c[k] + 1.0);
            af += (double)c[k];
            s->cum_log[s->offset[d] + k] = tl > 0 ? al / tl : (double)(k + 1) / s->ncat[d];
            s->cum_freq[s->offset[d] + k] = tf > 0 ? af / tf : (double)(k + 1) / s->ncat[d];
        }
        s->cum_log[s->offset[d] + s->ncat[d] - 1] = 1.0;
        s->cum_freq[s->offset[d] + s->ncat[d] - 1] = 1.0;
    }
}

int synth_ctgan_sampler_from_counts(const uint64_t *count, int ndiscrete, const int *ncat,
                                    synth_ctgan_sampler **out, synth_err *err)
{
    *out = NULL;
    synth_ctgan_sampler *s;
    if (sampler_alloc(ndiscrete, ncat, &s))
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    if (s->cond_dim > 0)
        memcpy(s->count, count, (size_t)s->cond_dim * sizeof *count);
    probabilities(s);
    *out = s;
    return 0;
}

int synth_ctgan_sampler_new(const int32_t *cats, size_t nrows, int ndiscrete, const int *ncat,
                            synth_ctgan_sampler **out, synth_err *err)
{
    *out = NULL;
    synth_ctgan_sampler *s;
    if (sampler_alloc(ndiscrete, ncat, &s))
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    size_t nd = (size_t)ndiscrete;
    s->nrows = nrows;
    s->rows = synth_malloc((nrows > 0 && nd > 0 ? nrows * nd : 1) * sizeof *s->rows);
    if (s->rows == NULL) {
        synth_ctgan_sampler_free(s);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    for (size_t r = 0; r < nrows; r++)
        for (size_t d = 0; d < nd; d++)
            s->count[s->offset[d] + cats[r * nd + d]]++;
    size_t acc = 0;
    for (int p = 0; p < s->cond_dim; p++) {
        s->start[p] = acc;
        acc += s->count[p];
    }
    /* fill, reusing cum_freq as a cursor would lose precision: use a temporary */
    size_t *fill = synth_calloc(s->cond_dim > 0 ? (size_t)s->cond_dim : 1, sizeof *fill);
    if (fill == NULL) {
        synth_ctgan_sampler_free(s);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    for (size_t r = 0; r < nrows; r++)
        for (size_t d = 0; d < nd; d++) {
            int p = s->offset[d] + cats[r * nd + d];
            s->rows[s->start[p] + fill[p]++] = (uint32_t)r;
        }
    synth_free(fill);
    probabilities(s);
    *out = s;
    return 0;
}

static int pick(const double *cum, int n, double u)
{
    int k = 0;
    while (k + 1 < n && cum[k] < u)
        k++;
    return k;
}

void synth_ctgan_sampler_condvec(const synth_ctgan_sampler *s, synth_rng *rng, int batch, float *cond,
                                 float *mask, int *col, int *cat)
{
    memset(cond, 0, (size_t)batch * (size_t)s->cond_dim * sizeof *cond);
    memset(mask, 0, (size_t)batch * (size_t)s->ndiscrete * sizeof *mask);
    for (int i = 0; i < batch; i++) {
        int d = (int)synth_rng_below(rng, (uint64_t)s->ndiscrete);
        int k = pick(s->cum_log + s->offset[d], s->ncat[d], synth_rng_uniform(rng));
        /* a category never seen in training has log(1) = 0 weight and is never picked */
        col[i] = d;
        cat[i] = k;
        mask[(size_t)i * (size_t)s->ndiscrete + (size_t)d] = 1.0f;
        cond[(size_t)i * (size_t)s->cond_dim + (size_t)(s->offset[d] + k)] = 1.0f;
    }
}

size_t synth_ctgan_sampler_row(const synth_ctgan_sampler *s, synth_rng *rng, int col, int cat)
{
    int p = s->offset[col] + cat;
    if (s->count[p] == 0)   /* only reachable for a category absent from the rows */
        return (size_t)synth_rng_below(rng, s->nrows);
    return s->rows[s->start[p] + synth_rng_below(rng, s->count[p])];
}

void synth_ctgan_sampler_generation_cond(const synth_ctgan_sampler *s, synth_rng *rng, int log_frequency,
                                         float *cond)
{
    memset(cond, 0, (size_t)s->cond_dim * sizeof *cond);
    if (s->ndiscrete == 0)
        return;
    int d = (int)synth_rng_below(rng, (uint64_t)s->ndiscrete);
    const double *cum = (log_frequency ? s->cum_log : s->cum_freq) + s->offset[d];
    int k = pick(cum, s->ncat[d], synth_rng_uniform(rng));
    cond[s->offset[d] + k] = 1.0f;
}
