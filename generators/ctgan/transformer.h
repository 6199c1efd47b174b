/* transformer.h -- CTGAN's data transformer: table rows <-> the network's row vectors.
 *
 * Continuous columns (integer, float, datetime as epoch seconds) get mode-specific normalisation:
 * a variational Gaussian mixture (bgm.h) is fitted to the non-null values, modes whose weight is
 * below 0.005 are dropped, and a value x becomes [alpha, one-hot(mode)] where the mode is drawn
 * from the posterior over the kept modes (plus 1e-6 each, as the reference does) and
 * alpha = clip((x - mean) / (4 std), -0.99, 0.99).  Optionally (point_share > 0, not in the
 * reference) a heavy point mass gets a mode slot of its own, so it is reproduced exactly.  A continuous column with nulls has one more
 * two-wide one-hot part [value, null] (nulls take the mean in the mixture).  Categorical and
 * boolean columns are one-hot over the schema's categories plus a null slot when nulls occur; they
 * are the discrete columns the conditional vector ranges over.  Id, PII and text columns are not
 * modelled here (the driver fills them as the copula does).
 * The inverse (decode) turns one row of the generator's raw outputs into chunk cells: alpha =
 * tanh(raw), each one-hot part a draw from softmax(raw) (the distribution of the reference's
 * argmax of a Gumbel-softmax sample), and values clamped to the training range.
 * All randomness comes from the counter-based RNG by (seed, row).  The transformer owns its
 * arrays (_free); it borrows nothing; read-only use is thread-safe. */
#ifndef SYNTH_CTGAN_TRANSFORMER_H
#define SYNTH_CTGAN_TRANSFORMER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "chunk.h"
#include "ctgan/bgm.h"
#include "err.h"
#include "infer.h"
#include "nn/ctgan_net.h"
#include "rng.h"
#include "schema.h"

typedef struct synth_ctgan_tcol {
    size_t col;              /* schema column */
    int continuous;
    int offset;              /* first position in a data row */
    /* continuous */
    synth_bgm bgm;
    int nmodes;              /* kept components */
    int mode[SYNTH_BGM_MAX_COMPONENTS];   /* kept component indexes into bgm */
    int has_point;           /* the mode part starts with one slot for the exact value `point` */
    double point;            /* a point mass (e.g. capital-gain's 92% zeros), when has_point */
    int has_null;            /* a [value, null] part follows the modes */
    double fill;             /* stands for nulls in the mixture */
    double lo, hi;           /* training range (decoded values are clamped to it) */
    /* discrete */
    int ncat;                /* slots: the schema's categories, then a null slot when has_null */
    int discrete_index;      /* its number among the discrete columns */
} synth_ctgan_tcol;

typedef struct synth_ctgan_transformer {
    size_t ncols;
    synth_ctgan_tcol *cols;
    int nspans;
    synth_ctgan_span *spans;
    int data_dim;
    int ndiscrete;
    int *cond_span_index;    /* per discrete column: its span */
    int *cond_offset;        /* per discrete column: first position in a cond vector */
    int *disc_ncat;          /* per discrete column: slots */
    int *disc_col;           /* per discrete column: index into cols */
    int cond_dim;
} synth_ctgan_transformer;

/* Fit on the reservoir sample.  max_modes: components per mixture (1..10).  point_share: a
 * continuous column whose most frequent value holds at least this share of its non-null values
 * gets an extra mode slot for exactly that value (decoded exactly; the mixture is fitted to the
 * other values); 0 turns this off, as the reference has it.  Errors:
 * SYNTH_BAD_INPUT naming line and column for a cell that does not parse, SYNTH_NOMEM. */
int synth_ctgan_transformer_fit(const synth_schema *schema, const synth_sample_table *t, int max_modes, double point_share,
                                uint64_t seed, synth_ctgan_transformer **out, synth_err *err);
void synth_ctgan_transformer_free(synth_ctgan_transformer *tf);

/* Transform every sample row: *data (nrows x data_dim floats) and *cats (nrows x ndiscrete slot
 * numbers) are new arrays the caller frees with synth_free.  The mode draws are a pure function
 * of (seed, row index), so a resumed fit rebuilds exactly the same training matrix. */
int synth_ctgan_transform(const synth_ctgan_transformer *tf, const synth_schema *schema,
                          const synth_sample_table *t, uint64_t seed, float **data, int32_t **cats,
                          synth_err *err);

/* Decode one row of raw generator outputs (data_dim floats) into chunk row r, drawing the
 * category and mode draws from rng.  Can't fail. */
void synth_ctgan_decode_row(const synth_ctgan_transformer *tf, const synth_schema *schema, const float *raw,
                            synth_rng *rng, synth_chunk *ch, size_t r);

/* JSON form (new reference, NULL on out of memory) and back (SYNTH_MODEL naming what is wrong). */
json_t *synth_ctgan_transformer_to_json(const synth_ctgan_transformer *tf, const synth_schema *schema);
int synth_ctgan_transformer_from_json(const json_t *j, const synth_schema *schema, synth_ctgan_transformer **out,
                                      synth_err *err);

#endif
