/* fidelity.h -- the "fidelity" part of the validation report: column shapes and column pair
 * trends of a synthetic CSV against the real one, as defined by SDMetrics' single-table quality
 * report (see validation/REPORT.md for the JSON and fidelity.c for every definition and choice).
 *
 * Both files are streamed in bounded chunks; memory does not grow with the number of rows (exact
 * value counts per numeric column are kept up to max_exact_values distinct values, then a fixed
 * sketch).  Work is spread over a few threads (see threads below).  The caller owns the returned
 * JSON.  Thread-safe: no shared state (the options and the schema are only read). */
#ifndef SYNTH_FIDELITY_H
#define SYNTH_FIDELITY_H

#include <stddef.h>

#include <jansson.h>

#include "csv_reader.h"
#include "err.h"
#include "progress.h"
#include "schema.h"

typedef struct synth_fidelity_options {
    synth_csv_options csv;           /* for reading both files */
    size_t max_exact_values;         /* numeric columns: exact KS up to this many distinct values
                                        (real and synthetic together; default 100000), else sketched */
    size_t sketch_bins;              /* bins of that sketch (default 4096) */
    size_t pair_bins;                /* bins of numeric columns in ContingencySimilarity (default 10,
                                        as SDMetrics) */
    size_t histogram_bins;           /* bins of the report's numeric histograms (default 20) */
    size_t max_histogram_categories; /* categorical histograms: most frequent real categories shown
                                        (default 20), the rest pooled as "(other)" */
    size_t max_unseen_categories;    /* distinct synthetic-only categories kept apart per column
                                        (default 100000); more are pooled into one */
    size_t threads;                  /* threads for the work on each chunk, the caller's included
                                        (a read-ahead thread comes on top); 0 = auto: one less than
                                        the CPUs, at most 4.  Results do not depend on it. */
    synth_progress_mode progress;    /* progress line on stderr while reading */
} synth_fidelity_options;

/* Fill opt with the defaults above (progress: AUTO).  Can't fail. */
void synth_fidelity_options_init(synth_fidelity_options *opt);

/* Stream the real and the synthetic CSV (columns matched by name against real_schema, which was
 * inferred from the real file) and compute the fidelity part of the report.  *out is a new JSON
 * object (see REPORT.md); opt may be NULL for the defaults.
 * Errors: SYNTH_USAGE for bad options; SYNTH_BAD_INPUT naming the file for a column missing from
 * or extra in a file ("synth.csv: column 'age' is missing", "synth.csv: has column 'foo' that the
 * real data does not"), a file without data rows, or a cell that does not parse for a numeric
 * column ("synth.csv: line 12, column 'age': 'abc' is not a valid integer"); the reader's errors
 * (naming file and line); SYNTH_IO; SYNTH_NOMEM; SYNTH_INTERRUPTED.  On error *out is NULL. */
int synth_fidelity_compute(const synth_schema *real_schema, const char *real_path,
                           const char *synthetic_path, const synth_fidelity_options *opt,
                           json_t **out, synth_err *err);

#endif
