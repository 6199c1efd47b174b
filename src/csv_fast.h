/* csv_fast.h -- a strict-subset CSV record scanner shared by the fast paths of `privacy check`
 * (privacy/check.c) and `pii mask` (privacy/pii_mask_fast.c).
 *
 * The subset: LF line ends; quoted fields that close right before a delimiter, an LF or the end;
 * strict UTF-8; no NUL and no CR anywhere; no quote inside an unquoted field; every record with
 * the expected number of fields; no field over max_field bytes.  On that subset it reads the same
 * records and fields as synth_csv_reader (src/csv_reader.h).  On anything else it answers
 * SYNTH_CSV_FAST_FALLBACK and reports nothing: the caller starts over (or resumes) with the libcsv
 * reader, which handles the input or reports the exact error with its line.  Callers also leave
 * an empty line before the header and an empty file to the reader.
 *
 * Cells are references into the caller's buffer (offset from a base pointer, length and flags),
 * so the buffer that holds a record must be below SYNTH_CSV_FAST_MAX_BUF bytes.  One direct call
 * per record, none per cell: the loops (a byte-class table, memchr for quotes) live in csv_fast.c,
 * out of line on purpose -- inlined into check.c's big read loop they ran about 15% slower there
 * (register spills).  Nothing here allocates; a synth_csv_fast is read-only after
 * synth_csv_fast_init and may be shared by threads. */
#ifndef SYNTH_CSV_FAST_H
#define SYNTH_CSV_FAST_H

#include <stddef.h>
#include <stdint.h>

/* Results of synth_csv_fast_record. */
#define SYNTH_CSV_FAST_OK 0       /* a record: cells filled, *next after its line feed (or the end) */
#define SYNTH_CSV_FAST_FALLBACK 1 /* outside the subset: leave the input to the libcsv reader */
#define SYNTH_CSV_FAST_MORE 2     /* the record runs past the bytes given (only when !eof) */
#define SYNTH_CSV_FAST_EMPTY 3    /* an empty line; *next after it */

/* Flags and length in synth_csv_fast_cell.len. */
#define SYNTH_CSV_FAST_QUOTED 0x80000000u /* the field was quoted */
#define SYNTH_CSV_FAST_ESC 0x40000000u    /* ... and holds doubled quotes (to unescape) */
#define SYNTH_CSV_FAST_LEN 0x3fffffffu    /* the raw length (between the quotes, if any) */
#define SYNTH_CSV_FAST_MAX_BUF ((size_t)1 << 30) /* keeps every offset and length in 30 bits */

/* Byte classes of the table. */
enum {
    SYNTH_CSV_FAST_PLAIN = 0,
    SYNTH_CSV_FAST_DELIM = 1,
    SYNTH_CSV_FAST_LF = 2,
    SYNTH_CSV_FAST_QUOTE = 3,
    SYNTH_CSV_FAST_LOOK = 4 /* NUL, CR or a byte >= 0x80: needs a look */
};

/* One field: its raw bytes are base[off .. off + (len & SYNTH_CSV_FAST_LEN)). */
typedef struct synth_csv_fast_cell {
    uint32_t off;
    uint32_t len; /* length | SYNTH_CSV_FAST_QUOTED | SYNTH_CSV_FAST_ESC */
} synth_csv_fast_cell;

typedef struct synth_csv_fast {
    unsigned char cls[256]; /* SYNTH_CSV_FAST_* class of every byte */
    size_t ncols;           /* fields per record */
    size_t max_field;       /* a longer field gives FALLBACK */
    const int *slot;        /* NULL: field f goes to cells[f]; else [ncols]: its cell index, or -1
                             * for a field not wanted (borrowed: must outlive the scanner) */
} synth_csv_fast;

/* Fill *fs for records of ncols fields separated by delimiter; slot as in synth_csv_fast.  Can't
 * fail. */
void synth_csv_fast_init(synth_csv_fast *fs, char delimiter, size_t ncols, size_t max_field, const int *slot);

/* Length of the valid UTF-8 sequence that starts at s[0] (a byte >= 0x80; n > 0 bytes
 * available), or 0 when it is not one (overlong, surrogate, above U+10FFFF, or cut short).  Out of
 * line on purpose: it runs only on bytes >= 0x80 and keeps the scanning loops small. */
size_t synth_csv_fast_utf8_len(const unsigned char *s, size_t n);

/* Parse the record at p (base <= p <= end, end - base <= SYNTH_CSV_FAST_MAX_BUF).  eof: end is the
 * end of the input (else a record cut at end gives MORE and the caller reads more and calls again
 * from the same p).  Returns SYNTH_CSV_FAST_OK (cells filled with offsets from base, *next after
 * the record), SYNTH_CSV_FAST_EMPTY (*next set), SYNTH_CSV_FAST_MORE or SYNTH_CSV_FAST_FALLBACK;
 * cells may be partly written on any result. */
int synth_csv_fast_record(const synth_csv_fast *fs, const unsigned char *base, const unsigned char *p,
                          const unsigned char *end, int eof, const unsigned char **next, synth_csv_fast_cell *cells);

#endif
