/* pii_mask_fast.h -- the fast path of synth_mask_csv (private to pii_mask.c and the tests).
 *
 * For a regular file in a plain CSV subset, the file is read in blocks cut at record boundaries,
 * worker threads parse and mask the blocks (one masker each), and the caller's thread writes the
 * masked blocks in order.  See pii_mask_fast.c for the subset and the fallback rule. */
#ifndef SYNTH_PII_MASK_FAST_H
#define SYNTH_PII_MASK_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "pii_mask.h"

/* Returned when the fast path stops at something it does not handle; see below. */
#define SYNTH__MASK_FALLBACK 1

/* Mask the data rows of `path` (whose header has ncols fields and has already been written to out
 * by the caller) with maskers[0..nworkers) (one per worker thread, all bound to the same policy,
 * header and key).  Returns 0 when every row was written; SYNTH__MASK_FALLBACK when it met input
 * outside its subset or a cell the masker refuses, in which case exactly the first
 * stats->rows data rows have been written, correctly, and the caller must mask the rest (and
 * report any error) with the reader; a negative code (SYNTH_NOMEM, SYNTH_IO from a write,
 * SYNTH_INTERRUPTED) with err set.  stats gets rows, cells_masked, bytes_in and bytes_out of what
 * was written (columns_masked is left alone). */
int synth__mask_csv_fast(const char *path, size_t ncols, synth_masker *const *maskers, size_t nworkers,
                         char delimiter, size_t max_field_bytes, synth_output *out, synth_mask_stats *stats,
                         synth_err *err);

/* 1 when column col of m is masked with fpe. */
int synth__masker_is_fpe(const synth_masker *m, size_t col);
/* FF1-encrypt count digit strings of nd digits each (digits[0..count*nd), in place) with column
 * col's fpe rule, as synth_masker_cell would digit by digit (the caller checks nd is 6..256). */
int synth__masker_fpe_many(synth_masker *m, size_t col, uint16_t *digits, size_t nd, size_t count, synth_err *err);

/* Test hook: 1 makes synth_mask_csv skip the fast path (reader only); 0 restores it. */
void synth__mask_force_reader(int on);

/* 1 while synth__mask_force_reader is on. */
int synth__mask_forced_reader(void);

/* Test hook: block size in bytes for the fast path (0 = default), to exercise block boundaries
 * on small inputs. */
void synth__mask_block_size(size_t bytes);

/* Test hook: data rows the fast path wrote in its last call (all of them unless it fell back). */
uint64_t synth__mask_last_fast_rows(void);

#endif
