/* pii_leak.h -- the PII leakage check: does any personal value of the source (real) data appear in
 * the synthetic output?
 *
 * Source pass: every cell of every column goes through the PII recognizers (pii_detect.h: whole
 * PII cells and PII tokens inside free text alike); each match is normalised (case, and
 * punctuation for digit formats) and only its keyed 64-bit hash (SipHash-2-4 under a random
 * per-run key) is kept, in a bounded open-addressing set (synth_pii_hashset): no raw value is held
 * or reported.  Output pass: the output's cells go through the same recognizers and every match
 * is looked up.  Memory: the set (at most max_values entries; 12 bytes per slot, load <= 1/2)
 * plus one CSV chunk per file; both files are streamed.
 *
 * Chance hits.  synth's fakes come from finite domains (pii.h: synth_pii_fake_domain), some small
 * (dates of birth, documentation IPv4s, ZIP codes, 555-01xx phones, 2,500 fake names).  A source
 * value that no fake can ever equal ("outside the fake domain") can only appear in the output by
 * being copied: any hit on it is a leak.  For values inside the fake domain of entity e, the
 * expected number of chance hits is E_e = (output values of e) x sum over those source values of
 * 1/domain_size; when E_e >= chance_threshold (default 0.01) their hits are reported as "expected
 * by chance" (with E_e) and are not leaks; below it a chance hit is negligible and every hit is a
 * leak.  Reports hold counts and masked examples only (synth_pii_mask).
 *
 * synth_pii_leak_check_csv scans the output with one thread per core, each owning a fixed set of
 * columns (so counts and examples do not depend on the thread count).  The object API below is
 * not thread-safe per object; independent checks may run in parallel.  The caller owns every
 * object and report it receives (_free, json_decref). */
#ifndef SYNTH_PII_LEAK_H
#define SYNTH_PII_LEAK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "csv_reader.h"
#include "err.h"
#include "pii_detect.h"

/* ---- the bounded hash set ----------------------------------------------------------------------- */

#define SYNTH_PII_LEAK_MAX_VALUES (2u << 20)   /* default cap: 2,097,152 distinct values (48 MiB) */
#define SYNTH_PII_HASH_KEY_BYTES 16

typedef struct synth_pii_hashset synth_pii_hashset;

/* A set of at most max_values keyed 64-bit hashes, each with a 32-bit tag the caller may update.
 * key: SYNTH_PII_HASH_KEY_BYTES bytes, or NULL for a random key (getrandom).  The table starts
 * small and doubles up to 2 * max_values slots.  SYNTH_USAGE for max_values 0, SYNTH_NOMEM. */
int synth_pii_hashset_new(size_t max_values, const unsigned char *key, synth_pii_hashset **out, synth_err *err);
/* NULL is a no-op. */
void synth_pii_hashset_free(synth_pii_hashset *hs);
/* Add data[0..len) with tag.  Returns 1 when added, 0 when already present (tag untouched), 2 when
 * the set is full (not added), SYNTH_NOMEM when growing failed (the set stays valid). */
int synth_pii_hashset_add(synth_pii_hashset *hs, const void *data, size_t len, uint32_t tag);
/* The tag of data[0..len) (writable; valid until the next add), or NULL when absent.  A different
 * value is reported present only on a 64-bit hash collision: with S values and L lookups, about
 * S * L / 2^64. */
uint32_t *synth_pii_hashset_find(const synth_pii_hashset *hs, const void *data, size_t len);
size_t synth_pii_hashset_count(const synth_pii_hashset *hs);
/* Values refused because the set was full. */
uint64_t synth_pii_hashset_dropped(const synth_pii_hashset *hs);
/* SipHash-2-4 of data under key (16 bytes); exposed for the tests (reference vectors). */
uint64_t synth_pii_siphash(const unsigned char *key, const void *data, size_t len);

/* ---- the check ---------------------------------------------------------------------------------- */

typedef struct synth_pii_leak_options {
    size_t max_values;          /* cap of the source value set (default SYNTH_PII_LEAK_MAX_VALUES) */
    const unsigned char *key;   /* SYNTH_PII_HASH_KEY_BYTES, or NULL = random per run (default) */
    double chance_threshold;    /* E_e at or above which in-domain hits count as chance (0.01) */
    int threads;                /* synth_pii_leak_check_csv's output pass: 0 = all cores (default) */
} synth_pii_leak_options;

void synth_pii_leak_options_init(synth_pii_leak_options *opt);

typedef struct synth_pii_leak synth_pii_leak;

/* names (borrowed, may be NULL: persons found through column names only) must outlive the
 * checker.  opt may be NULL for defaults. */
int synth_pii_leak_new(const synth_pii_leak_options *opt, const synth_pii_names *names, synth_pii_leak **out,
                       synth_err *err);
void synth_pii_leak_free(synth_pii_leak *lk);

/* Source pass: one cell of the column named column_name.  SYNTH_NOMEM only (a full set counts
 * the value as dropped and goes on). */
int synth_pii_leak_add_source(synth_pii_leak *lk, const char *cell, size_t len, const char *column_name,
                              synth_err *err);
/* Output pass: declare the output's columns (copied), then scan cells of column col. */
int synth_pii_leak_set_output_columns(synth_pii_leak *lk, size_t ncols, const char *const *names, synth_err *err);
void synth_pii_leak_scan_output(synth_pii_leak *lk, size_t col, const char *cell, size_t len);

/* Totals so far under the chance rule: distinct source values found in the output that count
 * as leaks, and output cells holding one. */
void synth_pii_leak_totals(const synth_pii_leak *lk, uint64_t *leaked_values, uint64_t *leaked_cells);

/* The report (see docs/PRIVACY.md, "Leakage check"):
 *   {"passed", "leaked_values", "leaked_cells", "chance_values", "chance_cells", "source_values",
 *    "source_values_dropped", "max_values", "complete", "output_cells_scanned", "chance_threshold",
 *    "hash", "rule", "entities": [{"entity", "source_values", "source_values_in_fake_domain",
 *    "output_values", "expected_chance_hits", "chance_possible", "leaked_values", "leaked_cells",
 *    "chance_values", "chance_cells", "example"}],
 *    "columns": [{"column", "entity", "leaked_cells", "chance_cells", "example"}]}
 * NULL when out of memory. */
json_t *synth_pii_leak_report(const synth_pii_leak *lk);

/* The whole check on two CSV files (same delimiter): the report above plus "source" and "output"
 * paths and "source_rows"/"output_rows".  *leaked (may be NULL) gets leaked_values.  The name
 * dictionary is found as synth_pii_names_load_default does.  Errors as the CSV reader's,
 * SYNTH_NOMEM. */
int synth_pii_leak_check_csv(const char *source, const char *output, const synth_csv_options *csv,
                             const synth_pii_leak_options *opt, json_t **report, uint64_t *leaked, synth_err *err);

#endif
