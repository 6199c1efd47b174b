/* sampler.h -- CTGAN's conditional vectors and training-by-sampling.
 *
 * Training (the reference's DataSampler): each row of a batch picks a discrete column uniformly,
 * then one of its categories with probability proportional to log(1 + count); the cond vector is
 * that category's one-hot within the concatenated discrete columns, the mask marks the column, and
 * the critic's real rows are drawn uniformly among the training rows that have the category.
 * Generation: a discrete column uniformly, then a category by its training frequency (or by
 * log-frequency as the reference's sample() does, when log_frequency_sampling is set).
 * Every draw takes a caller's counter-based RNG stream, so training and sampling are pure
 * functions of (seed, step or row).  The sampler owns its arrays (_free); read-only use is
 * thread-safe. */
#ifndef SYNTH_CTGAN_SAMPLER_H
#define SYNTH_CTGAN_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "rng.h"

typedef struct synth_ctgan_sampler {
    int ndiscrete;
    int cond_dim;
    int *ncat;             /* per discrete column */
    int *offset;           /* per discrete column: first cond position */
    uint64_t *count;       /* cond_dim: training rows per (column, category) */
    double *cum_log;       /* cond_dim: per column cumulative log(1 + count) probabilities */
    double *cum_freq;      /* cond_dim: per column cumulative frequencies */
    size_t nrows;
    uint32_t *rows;        /* rows grouped by (column, category): rows[start[p] .. start[p] + count[p]) */
    size_t *start;         /* cond_dim */
} synth_ctgan_sampler;

/* From the training categories: cats is nrows x ndiscrete slot numbers (cats may be NULL with
 * nrows 0, then only `count` is needed: see _from_counts).  SYNTH_NOMEM. */
int synth_ctgan_sampler_new(const int32_t *cats, size_t nrows, int ndiscrete, const int *ncat,
                            synth_ctgan_sampler **out, synth_err *err);
/* For a loaded model: the counts alone (no training rows; only generation draws work). */
int synth_ctgan_sampler_from_counts(const uint64_t *count, int ndiscrete, const int *ncat,
                                    synth_ctgan_sampler **out, synth_err *err);
void synth_ctgan_sampler_free(synth_ctgan_sampler *s);

/* Training cond vectors for `batch` rows: cond (batch x cond_dim) and mask (batch x ndiscrete)
 * are overwritten; col[i], cat[i] get each row's column and category.  ndiscrete must be > 0. */
void synth_ctgan_sampler_condvec(const synth_ctgan_sampler *s, synth_rng *rng, int batch, float *cond,
                                 float *mask, int *col, int *cat);
/* A training row index with category `cat` of discrete column `col` (uniform among them). */
size_t synth_ctgan_sampler_row(const synth_ctgan_sampler *s, synth_rng *rng, int col, int cat);
/* One generation cond vector (cond_dim floats, overwritten). */
void synth_ctgan_sampler_generation_cond(const synth_ctgan_sampler *s, synth_rng *rng, int log_frequency,
                                         float *cond);

#endif
