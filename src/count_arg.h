/* count_arg.h -- parse row counts and similar non-negative integers given on the command line.
 *
 * Accepts "10000000", "10_000_000", "1e7", "1.5e6", "10M", "10k", "2G" (k/K = 1e3, M = 1e6,
 * G/B = 1e9, T = 1e12) and rejects negatives, fractions ("1.5", "1e-1"), overflow above `max`,
 * empty strings, misplaced underscores and trailing garbage, each with a message that says why.
 * Exact integer arithmetic (no floating point).  Thread-safe, no allocation. */
#ifndef SYNTH_COUNT_ARG_H
#define SYNTH_COUNT_ARG_H

#include <stdint.h>

#include "err.h"

/* Returns 0 and sets *out, or SYNTH_USAGE with err naming `what` (e.g. "--rows: '1.5' is not a
 * whole number"). */
int synth_parse_count(const char *text, uint64_t max, uint64_t *out, const char *what, synth_err *err);

/* Parse "I/K" for --shard: 0 <= I < K, 1 <= K <= 1000000.  Returns 0 or SYNTH_USAGE. */
int synth_parse_shard(const char *text, uint64_t *index, uint64_t *count, synth_err *err);

#endif
