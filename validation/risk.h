/* risk.h -- privacy-risk metrics of a synthetic table against the real rows it was trained on: the
 * distance to the closest record (DCR) and a distance-based membership-inference attack.  Produces
 * the "privacy" object of the validation report (validation/REPORT.md).
 *
 * Inputs are already-encoded rows (numeric columns min-max scaled to [0,1], categoricals one-hot;
 * see the encoding module) as row-major float matrices of `width` columns.  Distances are Euclidean
 * in that encoded space.
 *
 * What is computed (n_s, n_t, n_h = rows used after sampling down, see options):
 *   - DCR synthetic -> train for every synthetic row, and synthetic -> holdout when a holdout is
 *     given: min, p5, median, mean (percentiles by linear interpolation between order statistics,
 *     numpy's default) and a histogram whose bins split [0, max of both distributions] evenly (the
 *     same edges for both, so they are comparable; [0, 1] when every distance is 0).
 *   - exact_copy_rate: share of synthetic rows whose encoded row equals some training row,
 *     element by element (found with a hash set of the training rows: exact, no tolerance).
 *   - share_closer_to_train: share of synthetic rows strictly closer to the training data than to
 *     the holdout, ties counting 1/2.  When there are more training than holdout rows, "the
 *     training data" here is a random subset of n_h training rows (the seed picks it), so that 0.5
 *     is what a generator that does not memorize gets whatever the two sizes; the reported
 *     synthetic_to_train distribution always uses every training row.
 *   - membership_inference: the attacker scores each real row by minus its distance to the closest
 *     synthetic row; roc_auc is the ROC AUC of separating members (training rows; the same random
 *     subset of n_h rows when there are more) from non-members (holdout rows) by that score
 *     (Mann-Whitney U, ties counting 1/2).  0.5 = no signal, 1 = every member is closer.
 *   Without a holdout only synthetic_to_train and exact_copy_rate are computed; the others are null.
 *
 * How: the cross term of ||a-b||^2 = ||a||^2 + ||b||^2 - 2 a.b comes from cblas_sgemm on tiles of
 * block_rows synthetic x block_cols reference rows, each reduced at once (SIMD) to a running
 * minimum per synthetic row and per reference row (so both directions come from one product).
 * Only the argmin is taken from the float products: every reported distance is then recomputed
 * exactly, in double, between the two rows themselves (so there is no float-cancellation noise and
 * a distance is 0 exactly when the rows are equal; exact copies are also confirmed by hash sets).
 *
 * Memory: O(block) -- one block_rows x block_cols float tile per thread (1 MiB by default) --
 * whatever the input sizes; never an n_s x n_t matrix.  Besides: O(n_s + n_t + n_h) for per-row
 * results (about 70 bytes per synthetic row, 8 per reference row and thread, hash sets), and
 * copies of the rows kept when an input is sampled down or the training subset is set apart (at
 * most max_synthetic resp. max_reference rows each, width floats per row).
 *
 * Time: 2 * n_s * (n_t + n_h) * width flops in sgemm, spread over `threads` worker threads (each
 * calls a single-threaded sgemm: faster than OpenBLAS's own threading here, see the benchmark).
 *
 * Ownership: the input matrices are only read and are not retained; *out is a new reference the
 * caller owns (json_decref).
 * Thread-safety: no global state of its own, but while it runs with threads > 1 it sets OpenBLAS's
 * process-wide thread count to 1 (restored on return), so do not run other multi-threaded BLAS
 * work concurrently.  Polls synth_signals_interrupted() between row blocks (a few times a second)
 * and then stops with SYNTH_INTERRUPTED. */
#ifndef SYNTH_RISK_H
#define SYNTH_RISK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

typedef struct synth_risk_options {
    /* Inputs above this many rows are sampled down, uniformly without replacement and in their
     * original order, to exactly this many ("sampled": true in the output).  The metrics are then
     * estimates; 1e5 rows keep the standard error of a share below 0.0016.  0 = never sample. */
    size_t max_synthetic;   /* default 100000 */
    size_t max_reference;   /* train and holdout, each; default 100000 */
    uint64_t seed;          /* the sampling and the training subset (synth_rng); default 0 */
    size_t histogram_bins;  /* default 20; must be >= 1 */
    /* Tuning (0 = default).  threads: worker threads (default: online CPUs, at most 16). */
    size_t threads;
    size_t block_rows;      /* synthetic rows per tile, default 1024 */
    size_t block_cols;      /* reference rows per tile, default 256 */
} synth_risk_options;

/* The defaults above. */
void synth_risk_options_init(synth_risk_options *opt);

/* Compute the metrics and build the report's "privacy" object in *out ("encoding" is set to the
 * standard encoding text; the caller may replace it).  synthetic: ns rows, train: nt rows, holdout:
 * nh rows or NULL (then nh must be 0); all row-major with `width` floats per row; opt NULL = the
 * defaults.  A worker thread that cannot be started leaves its share to the others.  On error *out
 * is NULL and err says why: SYNTH_BAD_INPUT for an empty input, width 0 or a non-finite value
 * (naming the matrix and row); SYNTH_USAGE for a bad option or argument; SYNTH_NOMEM;
 * SYNTH_INTERRUPTED. */
int synth_risk_compute(const float *synthetic, size_t ns, const float *train, size_t nt, const float *holdout,
                       size_t nh, size_t width, const synth_risk_options *opt, json_t **out, synth_err *err);

/* The nearest-neighbour search behind synth_risk_compute, for tests and other modules (no
 * sampling; opt's threads and block sizes apply, NULL = defaults).  For each of the nq query rows:
 * the exact distance to its closest reference row in dist_q[i] and that row's index in arg_q[i];
 * for each of the nr reference rows: the distance to its closest query row in dist_r[j] and its
 * index in arg_r[j].  Any of the four arrays may be NULL; with dist_r and arg_r both NULL the
 * reference-to-query direction is skipped.  Ties (equal float scores) go to the lowest index; a
 * row equal to a row of the other matrix gets distance 0 and that row.  Errors as for
 * synth_risk_compute. */
int synth_risk_nearest(const float *query, size_t nq, const float *ref, size_t nr, size_t width,
                       const synth_risk_options *opt, double *dist_q, size_t *arg_q, double *dist_r, size_t *arg_r,
                       synth_err *err);

/* Test hook: force the tile-reduction kernel (0 = pick the best the CPU has, 1 = portable C,
 * 2 = AVX2, 3 = AVX-512).  Returns -1 (and changes nothing) when the CPU lacks it.  Process-wide. */
int synth__risk_set_kernel(int kernel);

#endif
