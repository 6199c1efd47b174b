/* bgm.h -- a one-dimensional variational Bayesian Gaussian mixture (Dirichlet-process prior).
 *
 * The mode-specific normalisation of CTGAN fits one of these per continuous column, with the
 * settings the reference uses (scikit-learn's BayesianGaussianMixture: 10 components,
 * weight_concentration_prior_type='dirichlet_process', weight_concentration_prior=0.001,
 * mean_precision_prior=1, mean_prior=mean(x), degrees_of_freedom_prior=1, covariance_prior=var(x),
 * reg_covar=1e-6, tol=1e-3, max_iter=100, initialised from k-means).  The variational E and M
 * steps follow scikit-learn's equations; they run on the distinct values of x with their counts,
 * which gives the same sufficient statistics as the full data at a fraction of the cost.
 * Deterministic for a seed (k-means++ seeding draws from the counter-based RNG).
 * A synth_bgm is a plain value (no heap); thread-safe to read. */
#ifndef SYNTH_CTGAN_BGM_H
#define SYNTH_CTGAN_BGM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SYNTH_BGM_MAX_COMPONENTS 10

typedef struct synth_bgm {
    int ncomp;                                  /* components fitted */
    double weight[SYNTH_BGM_MAX_COMPONENTS];    /* expected mixture weights (sum 1) */
    double mean[SYNTH_BGM_MAX_COMPONENTS];      /* variational means */
    double std[SYNTH_BGM_MAX_COMPONENTS];       /* sqrt of the estimated covariances */
    /* posterior responsibilities: log r_k(x) = logc[k] - 0.5 (x - mean[k])^2 prec[k]^2, normalised */
    double prec[SYNTH_BGM_MAX_COMPONENTS];      /* precision Cholesky factor (1 / std) */
    double logc[SYNTH_BGM_MAX_COMPONENTS];      /* per-component constant of the log responsibility */
    int iterations;                             /* EM iterations run */
    int converged;                              /* lower bound change fell below tol */
} synth_bgm;

typedef struct synth_bgm_options {
    int ncomp;                  /* default 10 (at most SYNTH_BGM_MAX_COMPONENTS) */
    double weight_prior;        /* default 0.001 */
    int max_iter;               /* default 100 */
    double tol;                 /* default 1e-3 */
} synth_bgm_options;

void synth_bgm_options_init(synth_bgm_options *opt);

/* Fit to x[0..n) (n >= 1, finite values).  A column with a single distinct value gets one
 * component of weight 1 at that value.  SYNTH_NOMEM, or SYNTH_USAGE for bad options. */
int synth_bgm_fit(const double *x, size_t n, const synth_bgm_options *opt, uint64_t seed, synth_bgm *out,
                  synth_err *err);

/* Posterior probability of each component for value x (proba[0..ncomp)).  Can't fail. */
void synth_bgm_proba(const synth_bgm *m, double x, double *proba);

#endif
