/* vtable.h -- typed in-memory row samples of a CSV, and their numeric encoding for models and
 * distances (used by the utility report and the privacy-risk report).
 *
 * synth_vtable: a row-major matrix of doubles, one row per kept CSV row and one column per schema
 * column (schema order): the number for integer/float/datetime columns (datetime: epoch seconds),
 * the category index for categorical/boolean columns, NaN for nulls and for id/text columns.
 * Reading keeps a uniform reservoir sample (Algorithm R, synth_rng keyed by a seed) of at most
 * max_rows rows, so memory is bounded for any input size.
 *
 * synth_encoder: turns a vtable row into a vector of floats in [0, 1] (min-max scaled numbers,
 * null indicators, one-hot categories), with ranges taken from a reference table.
 *
 * Ownership: a vtable is one synth_malloc'ed struct plus one synth_malloc'ed `v` array (so callers
 * may build their own with synth_vtable_new); synth_vtable_free releases both.  An encoder owns
 * its plan and is released by synth_encoder_free.  Thread-safety: no shared state; a finished
 * vtable or encoder may be read from many threads at once. */
#ifndef SYNTH_VTABLE_H
#define SYNTH_VTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "csv_reader.h"
#include "err.h"
#include "schema.h"

typedef struct synth_vtable {
    size_t nrows, ncols;
    double *v;          /* row-major nrows x ncols: numeric value (integer/float/datetime seconds) or
                         * category index into schema->cols[c].categories (index ncategories = a
                         * value not in the schema, "other"); NaN = null; id/text columns hold NaN */
    uint64_t rows_seen; /* data rows in the file (the table may be a sample) */
    int sampled;        /* 1 when rows_seen > nrows */
} synth_vtable;

/* A table of nrows x ncols NaNs with rows_seen = nrows, sampled = 0 (NULL when out of memory). */
synth_vtable *synth_vtable_new(size_t nrows, size_t ncols);

/* Read a CSV whose columns match the schema by name (any order; a missing or extra column is
 * SYNTH_BAD_INPUT naming the file and the column), keeping a uniform reservoir sample of at most
 * max_rows rows (0 = keep every row): Algorithm R where row i >= max_rows replaces slot
 * synth_rng_below(i + 1) of stream (seed, i, SYNTH_STREAM_FIT) when that is < max_rows; kept rows
 * stay in slot order.  Every numeric/datetime cell of every row is checked, sampled or not: one
 * that does not parse is SYNTH_BAD_INPUT "path: line N, column 'c': 'x' is not a valid integer"
 * (or float, datetime).  A header-only file gives a table with 0 rows.  csv may be NULL for the
 * reader's defaults.  On error *out is NULL. */
int synth_vtable_read_csv(const char *path, const synth_schema *schema, size_t max_rows, uint64_t seed,
                          const synth_csv_options *csv, synth_vtable **out, synth_err *err);

/* NULL is a no-op. */
void synth_vtable_free(synth_vtable *t);

/* Encoding for distances and models, in schema column order:
 *   integer/float/datetime: one slot, min-max scaled to [0,1] over the reference table's non-null
 *     values (values outside clamp to [0,1]; a constant or all-null column maps to 0); a null
 *     gives 0, plus one 0/1 null-indicator slot right after it when the reference has a null in
 *     that column;
 *   categorical/boolean: one-hot over the schema's categories (ncategories slots, in schema
 *     order), then one slot for "other" (index ncategories or any out-of-range index) and one
 *     for null;
 *   id/text columns and exclude_col (-1 = none; the utility target) get no slots. */
typedef struct synth_encoder synth_encoder;

/* reference must have schema->ncols columns.  SYNTH_USAGE for a bad exclude_col or a column count
 * mismatch, SYNTH_NOMEM.  On error *out is NULL. */
int synth_encoder_new(const synth_schema *schema, const synth_vtable *reference, long exclude_col,
                      synth_encoder **out, synth_err *err);
size_t synth_encoder_width(const synth_encoder *enc);
/* row: one vtable row (ncols doubles); out: synth_encoder_width floats.  Can't fail. */
void synth_encoder_row(const synth_encoder *enc, const double *row, float *out);
/* The whole table, row-major nrows x width, in a new synth_malloc'ed array (*matrix; caller frees
 * with synth_free).  SYNTH_USAGE on a column count mismatch, SYNTH_NOMEM. */
int synth_encode_table(const synth_encoder *enc, const synth_vtable *t, float **matrix, synth_err *err);
/* NULL is a no-op. */
void synth_encoder_free(synth_encoder *enc);

#endif
