/* chunk.h -- a bounded, column-major block of generated rows, and its CSV formatter.
 *
 * Generators fill chunks with typed cells: numbers (integer, float and datetime values, the last
 * as seconds since the epoch), category indexes into the schema's category list, id numbers, or
 * text placed in the chunk's own string arena.  The formatter turns a chunk into CSV text in the
 * source's formats (decimals, date layout, null spelling, quoting) without printf.
 * A chunk is owned by one thread at a time; the caller owns it (_new/_free). */
#ifndef SYNTH_CHUNK_H
#define SYNTH_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "schema.h"

typedef union synth_cell {
    double num;              /* integer, float, datetime */
    int64_t index;           /* categorical/boolean: index into column->categories; id: number */
    struct {
        uint32_t off, len;   /* text: bytes in chunk->arena */
    } str;
} synth_cell;

typedef struct synth_chunk {
    size_t ncols;
    size_t cap;              /* rows the chunk can hold */
    size_t nrows;            /* rows filled */
    uint64_t first_row;      /* global index of row 0 */
    synth_cell *cells;       /* cells[col * cap + row] */
    uint8_t *is_null;        /* is_null[col * cap + row] */
    char *arena;             /* text bytes */
    size_t arena_len, arena_cap;
    void *scratch;           /* generator working memory, kept between calls (synth_chunk_scratch) */
    size_t scratch_cap;
} synth_chunk;

synth_chunk *synth_chunk_new(size_t ncols, size_t cap);   /* NULL when out of memory */
void synth_chunk_free(synth_chunk *ch);                    /* NULL is a no-op */

/* Working memory of at least `bytes` for the generator filling this chunk (grown as needed, freed
 * with the chunk).  NULL when out of memory. */
void *synth_chunk_scratch(synth_chunk *ch, size_t bytes);

/* Append text for a cell; returns 0 or SYNTH_NOMEM. */
int synth_chunk_put_text(synth_chunk *ch, size_t col, size_t row, const char *s, size_t len);

/* Precomputed per-column output facts (quoted category labels, widths); built once per run. */
typedef struct synth_formatter synth_formatter;

/* seed is needed for UUID/hex ids, which are a keyed permutation of the row index. */
int synth_formatter_new(synth_formatter **out, const synth_schema *schema, char delimiter,
                        uint64_t seed, synth_err *err);
void synth_formatter_free(synth_formatter *f);

/* Header line ("a,b,c\n") into a new buffer: *buf (synth_free), *len. */
int synth_formatter_header(const synth_formatter *f, char **buf, size_t *len, synth_err *err);

/* Append the chunk's rows as CSV lines to *buf (capacity *cap, grown with synth_realloc),
 * starting at *len.  Returns 0 or SYNTH_NOMEM. */
int synth_formatter_rows(const synth_formatter *f, const synth_chunk *ch, char **buf, size_t *len,
                         size_t *cap, synth_err *err);

#endif
