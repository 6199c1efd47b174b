/* engine.h -- the sampling engine: worker threads fill and format chunks, an ordered writer
 * emits them.
 *
 * Rows [first_row, end_row) are cut into chunks of chunk_rows.  Each worker takes the next chunk
 * index, asks the generator for those rows (a pure function of model, seed and row index), formats
 * them as CSV (and, for gzip output, compresses the chunk as its own gzip member), and parks the
 * bytes in a ring of 2 x threads slots.  The calling thread writes slots strictly in chunk order.
 * Memory is therefore bounded by threads x chunk size whatever the row count, and the bytes are
 * identical for any thread count or chunk size.  Interrupts (signals.h) stop the run cleanly. */
#ifndef SYNTH_ENGINE_H
#define SYNTH_ENGINE_H

#include <stdint.h>

#include "err.h"
#include "generator.h"
#include "output.h"
#include "progress.h"

typedef struct synth_engine_options {
    uint64_t seed;
    uint64_t first_row;       /* inclusive */
    uint64_t end_row;         /* exclusive */
    int threads;              /* >= 1 */
    size_t chunk_rows;        /* default 16384 */
    int gzip_level;           /* -1: plain text; 0-9: gzip */
    int header;               /* write the header line first */
    char delimiter;
    synth_progress *progress; /* may be NULL */
} synth_engine_options;

void synth_engine_options_init(synth_engine_options *opt);

typedef struct synth_engine_stats {
    uint64_t rows;
    uint64_t bytes;           /* bytes written (compressed when gzip) */
} synth_engine_stats;

/* Generate and write.  Errors: the generator's, SYNTH_IO from the output, SYNTH_INTERRUPTED. */
int synth_engine_run(const synth_generator *gen, const synth_model *model, const synth_schema *schema,
                     const synth_engine_options *opt, synth_output *out, synth_engine_stats *stats,
                     synth_err *err);

/* Number of online CPUs (at least 1). */
int synth_cpu_count(void);

#endif
