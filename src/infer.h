/* infer.h -- one streaming pass over a CSV: infer the schema and keep a reservoir sample.
 *
 * Reads every row once in bounded chunks.  Per column it tracks which types still fit every
 * value, null spellings, decimals, date layouts, ranges, id patterns, and exact category counts
 * up to max_categories distinct values.  Alongside, Algorithm R keeps a uniform random sample of
 * at most reservoir_rows raw rows (seeded, so fitting is reproducible); fitting works on that
 * sample, which is what keeps fit memory bounded for inputs larger than memory.
 * The caller owns the returned schema and sample. */
#ifndef SYNTH_INFER_H
#define SYNTH_INFER_H

#include <stddef.h>
#include <stdint.h>

#include "csv_reader.h"
#include "err.h"
#include "progress.h"
#include "schema.h"

/* A reservoir sample of raw rows.  Cell (r, c) is cells[r * ncols + c] (NUL-terminated) with
 * length lens[r * ncols + c]; line[r] is its source line, for error messages. */
typedef struct synth_sample_table {
    size_t ncols;
    size_t nrows;
    size_t cap;             /* reservoir size */
    size_t alloc;           /* rows the arrays below can hold (grows up to cap) */
    char **cells;
    uint32_t *lens;
    uint64_t *line;
    char **row_blocks;      /* one allocation per row holding its cells */
} synth_sample_table;

void synth_sample_table_free(synth_sample_table *t);

typedef struct synth_infer_options {
    synth_csv_options csv;
    size_t max_categories;      /* default 5000: more distinct values -> text or id */
    size_t reservoir_rows;      /* default 200000 */
    uint64_t seed;              /* for the reservoir; default 0 */
    synth_progress_mode progress;
} synth_infer_options;

void synth_infer_options_init(synth_infer_options *opt);

/* Read the whole CSV at path ("-" = stdin).  On success *schema is set, and *sample too when
 * sample is not NULL; stats (may be NULL) gets the reader's counters.  Errors: the reader's
 * (naming file and line), SYNTH_BAD_INPUT "PATH: no data rows" for a header-only file. */
int synth_infer_csv(const char *path, const synth_infer_options *opt, synth_schema **schema,
                    synth_sample_table **sample, synth_csv_stats *stats, synth_err *err);

#endif
