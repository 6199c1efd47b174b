/* csv_reader.h -- streaming CSV reader (libcsv) into bounded column-major chunks.
 *
 * Reads a header row, then hands out the data rows a chunk at a time; memory is bounded by the
 * chunk size and the largest field (max_field_bytes), never by the file.  Handles quoted fields
 * with embedded delimiters, newlines and doubled quotes, CRLF and CR line ends, a UTF-8 byte-order
 * mark, and a custom delimiter.  Field text is kept byte-exact (no trimming of spaces).
 * Errors name the file and the line where the bad record starts: ragged rows, empty input,
 * invalid UTF-8, fields over max_field_bytes, unterminated quotes, duplicate header names.  With
 * skip_bad_rows, bad records (ragged, invalid UTF-8) are skipped and counted instead.
 * Not thread-safe: one reader per thread.  The reader owns every chunk it returns. */
#ifndef SYNTH_CSV_READER_H
#define SYNTH_CSV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct synth_csv_options {
    char delimiter;            /* default ',' */
    size_t chunk_rows;         /* target rows per chunk, default 65536 (a chunk may hold a few more) */
    size_t max_field_bytes;    /* default 1 MiB; a longer field is an error */
    size_t max_columns;        /* default 4096 */
    int skip_bad_rows;         /* 0: bad record = error; 1: skip and count it */
} synth_csv_options;

/* Fill opt with the defaults above.  Can't fail. */
void synth_csv_options_init(synth_csv_options *opt);

/* A chunk of data rows, column-major.  Cell (row r, column c) is the bytes
 * data + off[c * cap_rows + r], length len[c * cap_rows + r]; the bytes are followed by a NUL so
 * they may be used as a C string (a field containing NUL bytes is rejected as invalid). */
typedef struct synth_csv_chunk {
    size_t ncols;
    size_t nrows;
    size_t cap_rows;            /* stride between columns in off/len */
    uint64_t first_row;         /* 0-based index of row 0 among all data rows read (skipped excluded) */
    const char *data;
    const size_t *off;
    const uint32_t *len;
    const uint64_t *line;       /* line[r]: 1-based physical line where row r starts */
} synth_csv_chunk;

static inline const char *synth_csv_cell(const synth_csv_chunk *ch, size_t row, size_t col,
                                         size_t *len)
{
    size_t i = col * ch->cap_rows + row;
    if (len != NULL)
        *len = ch->len[i];
    return ch->data + ch->off[i];
}

typedef struct synth_csv_stats {
    uint64_t rows;              /* data rows delivered */
    uint64_t skipped_rows;      /* bad records skipped (skip_bad_rows) */
    uint64_t first_skipped_line;/* line of the first skipped record, 0 if none */
    uint64_t bytes;             /* input bytes consumed */
} synth_csv_stats;

typedef struct synth_csv_reader synth_csv_reader;

/* Open path ("-" = stdin) and read its header row.  On error *out is NULL and err names the file
 * (e.g. "data.csv: file is empty", "data.csv: line 1: duplicate column name 'age' (columns 1 and
 * 4)").  Empty header names become "column_N" (1-based).  opt may be NULL for defaults. */
int synth_csv_reader_open(synth_csv_reader **out, const char *path, const synth_csv_options *opt,
                          synth_err *err);

size_t synth_csv_reader_ncols(const synth_csv_reader *rd);
/* Header name of column i; valid until the reader is freed. */
const char *synth_csv_reader_column_name(const synth_csv_reader *rd, size_t i);
const char *synth_csv_reader_path(const synth_csv_reader *rd);

/* Read the next chunk.  Returns 1 and sets *chunk (valid until the next call or free) when rows
 * are available, 0 at end of input (*chunk = NULL), negative on error (SYNTH_BAD_INPUT with
 * "file: line N: ..." or SYNTH_IO).  After an error or 0 further calls return the same. */
int synth_csv_reader_next(synth_csv_reader *rd, const synth_csv_chunk **chunk, synth_err *err);

const synth_csv_stats *synth_csv_reader_stats(const synth_csv_reader *rd);

/* Free the reader and close its file.  NULL is a no-op. */
void synth_csv_reader_free(synth_csv_reader *rd);

/* Append `s` (len bytes) to out as one CSV field: quoted (with doubled quotes) only when it holds
 * the delimiter, a quote, CR or LF -- i.e. exactly when this reader would otherwise misparse it
 * (leading and trailing spaces are kept as they are, unquoted).  An empty field is written as
 * nothing; in a one-column file that gives an empty line, which is not a row, so such a writer
 * should write "" instead.  out must have room for 2*len+2 bytes.  Returns bytes written.  Can't
 * fail. */
size_t synth_csv_quote(char *out, const char *s, size_t len, char delimiter);

#endif
