/* csv_reader.c -- streaming CSV reader on top of libcsv: see csv_reader.h.
 *
 * The input is read in 64 KiB blocks with read(2) and fed to libcsv in pieces.  libcsv calls
 * field_cb once per field and row_cb once per unquoted line end; CSV_REPALL_NL makes it report
 * empty lines too, so physical lines are counted without a second pass over the input: row_cb
 * counts the unquoted line ends (a CR directly followed by LF counts once) and field_cb counts the
 * line breaks inside quoted fields while it validates the field's UTF-8 in the same scan.  The
 * line where a record starts is the line counter at the moment its first field arrives.
 * Fields are copied straight into the column-major chunk (one byte arena, a NUL after each field,
 * off/len arrays with stride cap_rows), so there is no per-field allocation.
 *
 * Dialect, chosen deliberately:
 *   - Spaces are never trimmed (the space function returns 0): " a" stays " a".
 *   - libcsv runs with CSV_STRICT.  A quote inside an unquoted field (5'10") is accepted as a
 *     literal character (we re-feed that one byte with strict mode off).  A character after a
 *     closing quote other than the delimiter, a line end or a second quote ("ab"c) is an error, and
 *     so is a quoted field still open at end of input.  Both stay errors with skip_bad_rows, since
 *     the record boundaries after them are guesswork.
 *   - Empty lines are not rows.  A line holding only spaces is a one-field row.
 *   - CR, LF and CRLF all end a line; a UTF-8 byte-order mark at the start of the input is skipped.
 *   - Fields (header included) must be strict UTF-8 (no overlong forms, no surrogates, nothing above
 *     U+10FFFF) without NUL bytes.
 *
 * Memory is bounded by the chunk (about chunk_rows rows; a chunk may hold a few more because
 * libcsv cannot be stopped in the middle of a piece, and the pieces are sized from the average row
 * length to land near chunk_rows), the 64 KiB block, and libcsv's field buffer, whose size is
 * checked after every piece (at most 64 KiB) and which grows by doubling, so it never holds more
 * than about 2 * (max_field_bytes + 64 KiB).
 *
 * This file relies on two details of libcsv 3.0.x that csv.h exposes but does not name: the
 * parser-state numbers in struct csv_parser.pstate (see LIBCSV_* below) and that entry_pos is the
 * length of the field being collected. */
#include "csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

#define BLOCK_BYTES ((size_t)64 * 1024)
#define LIBCSV_BLOCK ((size_t)16 * 1024)    /* first size of libcsv's field buffer */
#define INITIAL_CAP_ROWS ((size_t)256)
#define MAX_FIELD_LIMIT ((size_t)UINT32_MAX - 1)

/* libcsv's parser states (libcsv.c, not exported by csv.h). */
#define LIBCSV_FIELD_BEGUN 2
#define LIBCSV_FIELD_MIGHT_HAVE_ENDED 3

#define PARSER_OPTS (CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL)

enum { PHASE_HEADER, PHASE_DATA };
enum { ST_READING, ST_EOF, ST_DONE, ST_ERROR };
enum { FIELD_BAD_UTF8 = 1, FIELD_HAS_NUL = 2 };

struct synth_csv_reader {
    synth_csv_options opt;
    char *path;                 /* as given */
    const char *name;           /* for messages: path, or "<stdin>" */
    int fd;
    int own_fd;
    int state;                  /* ST_* */
    synth_err err;              /* the sticky error when state == ST_ERROR */

    unsigned char *buf;         /* current block */
    size_t buf_pos, buf_len;
    int at_start;               /* nothing read yet: byte-order-mark check pending */

    struct csv_parser csv;
    int csv_ready;
    int phase;                  /* PHASE_* */
    uint64_t bytes_fed;         /* bytes given to libcsv */
    uint64_t records_ended;     /* records (header included) completed, for piece sizing */

    uint64_t line;              /* 1-based physical line of the parse position */
    int cr_pending;             /* the last event was a line end at CR (an LF next is its pair) */
    uint64_t rec_line;          /* line where the current record started (valid when nf > 0) */
    size_t nf;                  /* fields seen so far in the current record */
    size_t row_start;           /* arena offset of the current record's first byte */
    int row_bad;                /* skip mode: the current record will be skipped */

    char *hdr;                  /* header names, NUL-separated */
    size_t hdr_len, hdr_cap;
    size_t *hdr_off;
    size_t hdr_alloc;
    char **names;
    size_t ncols;

    char *arena;                /* chunk bytes */
    size_t arena_len, arena_cap;
    size_t *off;                /* ncols * cap */
    uint32_t *len;              /* ncols * cap */
    uint64_t *lines;            /* cap */
    size_t cap;
    size_t nrows;               /* complete rows in the chunk; the record in progress is row nrows */
    uint64_t delivered;
    synth_csv_chunk chunk;
    synth_csv_stats stats;
};

void synth_csv_options_init(synth_csv_options *opt)
{
    opt->delimiter = ',';
    opt->chunk_rows = 65536;
    opt->max_field_bytes = (size_t)1 << 20;
    opt->max_columns = 4096;
    opt->skip_bad_rows = 0;
}

/* Record the first error (later ones are ignored) as "NAME: <message>" and return its code. */
__attribute__((format(printf, 3, 4)))
static int rd_fail(synth_csv_reader *rd, int code, const char *fmt, ...)
{
    if (rd->state == ST_ERROR)
        return rd->err.code;
    int n = snprintf(rd->err.msg, sizeof rd->err.msg, "%s: ", rd->name);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof rd->err.msg) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rd->err.msg + n, sizeof rd->err.msg - (size_t)n, fmt, ap);
        va_end(ap);
    }
    rd->err.code = code;
    rd->state = ST_ERROR;
    return code;
}

static int rd_nomem(synth_csv_reader *rd)
{
    return rd_fail(rd, SYNTH_NOMEM, "out of memory while reading CSV");
}

/* libcsv space predicate: nothing is a space, so no field is trimmed. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* Length of the valid UTF-8 multi-byte sequence at s (n bytes available), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

/* Validate a field (strict UTF-8, no NUL) and add its line breaks (CR, LF, CRLF = 1) to *breaks.
 * Returns 0 or a mask of FIELD_BAD_UTF8 / FIELD_HAS_NUL.  Checks 8 printable-ASCII bytes at a
 * time; with over_read set, s[n..n+7] may be read (and are ignored), which speeds up short fields. */
static int scan_field(const unsigned char *s, size_t n, int over_read, uint64_t *breaks)
{
    const uint64_t spaces = 0x2020202020202020ULL, high = 0x8080808080808080ULL;
    int bad = 0;
    size_t i = 0;
    while (i < n) {
        size_t k = n - i;
        if (k >= 8 || over_read) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (k < 8) {
                uint64_t keep = ((uint64_t)1 << (8 * k)) - 1;     /* little-endian: low k bytes */
                w = (w & keep) | (spaces & ~keep);
            } else {
                k = 8;
            }
            /* no byte >= 0x80 and no byte < 0x20 (a borrow can only start at such a byte) */
            if ((((w - spaces) | w) & high) == 0) {
                i += k;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80) {
            i++;
        } else if (c < 0x20) {
            if (c == 0)
                bad |= FIELD_HAS_NUL;
            else if (c == '\r' || (c == '\n' && (i == 0 || s[i - 1] != '\r')))
                (*breaks)++;
            i++;
        } else {
            size_t m = utf8_seq(s + i, n - i);
            if (m == 0) {
                bad |= FIELD_BAD_UTF8;
                m = 1;
            }
            i += m;
        }
    }
    return bad;
}

/* The line where the record being parsed started (or will start). */
static uint64_t cur_rec_line(const synth_csv_reader *rd)
{
    return rd->nf > 0 ? rd->rec_line : rd->line;
}

/* n * size with overflow check; 0 on overflow. */
static size_t mul_size(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return 0;
    return n * size;
}

/* Make room for `more` bytes in the chunk arena.  On failure: error state, returns SYNTH_NOMEM. */
static int arena_reserve(synth_csv_reader *rd, size_t more)
{
    if (rd->arena_cap - rd->arena_len >= more)
        return 0;
    size_t want = rd->arena_len + more;
    size_t cap = rd->arena_cap ? rd->arena_cap : BLOCK_BYTES;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    char *p = synth_realloc(rd->arena, cap);
    if (p == NULL)
        return rd_nomem(rd);
    rd->arena = p;
    rd->arena_cap = cap;
    return 0;
}

/* Grow the chunk's row capacity (cap_rows) and move the columns to the new stride.  On failure the
 * chunk keeps its old layout (arrays may be larger), error state, returns SYNTH_NOMEM. */
static int rows_grow(synth_csv_reader *rd)
{
    size_t old = rd->cap;
    size_t cap;
    if (old >= rd->opt.chunk_rows)
        cap = old + old / 4 + 16;        /* past the target: a piece brought a few extra rows */
    else if (old == 0)
        cap = INITIAL_CAP_ROWS;
    else
        cap = old * 2;
    if (old < rd->opt.chunk_rows && cap > rd->opt.chunk_rows)
        cap = rd->opt.chunk_rows;        /* stop at the target first */
    size_t cells = mul_size(rd->ncols, cap);
    if (cap <= old || cells == 0 || mul_size(cells, sizeof(size_t)) == 0)
        return rd_nomem(rd);
    size_t *off = synth_reallocarray(rd->off, cells, sizeof *off);
    if (off == NULL)
        return rd_nomem(rd);
    rd->off = off;
    uint32_t *len = synth_reallocarray(rd->len, cells, sizeof *len);
    if (len == NULL)
        return rd_nomem(rd);
    rd->len = len;
    uint64_t *lines = synth_reallocarray(rd->lines, cap, sizeof *lines);
    if (lines == NULL)
        return rd_nomem(rd);
    rd->lines = lines;
    if (old > 0) {
        for (size_t c = rd->ncols; c-- > 1;) {
            memmove(off + c * cap, off + c * old, rd->nrows * sizeof *off);
            memmove(len + c * cap, len + c * old, rd->nrows * sizeof *len);
        }
    }
    rd->cap = cap;
    return 0;
}

/* Append a header name.  On failure: error state. */
static void header_field(synth_csv_reader *rd, const unsigned char *f, size_t n, int bad,
                         size_t col)
{
    if (col >= rd->opt.max_columns) {
        rd_fail(rd, SYNTH_BAD_INPUT, "line %llu: too many columns (more than %zu)",
                (unsigned long long)rd->rec_line, rd->opt.max_columns);
        return;
    }
    if (bad) {
        rd_fail(rd, SYNTH_BAD_INPUT, "line %llu, column %zu: %s in header",
                (unsigned long long)rd->rec_line, col + 1,
                (bad & FIELD_HAS_NUL) ? "NUL byte" : "invalid UTF-8");
        return;
    }
    if (col >= rd->hdr_alloc) {
        size_t na = rd->hdr_alloc ? rd->hdr_alloc * 2 : 16;
        size_t *p = synth_reallocarray(rd->hdr_off, na, sizeof *p);
        if (p == NULL) {
            rd_nomem(rd);
            return;
        }
        rd->hdr_off = p;
        rd->hdr_alloc = na;
    }
    if (rd->hdr_cap - rd->hdr_len < n + 1) {
        size_t cap = rd->hdr_cap ? rd->hdr_cap : 256;
        while (cap - rd->hdr_len < n + 1)
            cap *= 2;
        char *p = synth_realloc(rd->hdr, cap);
        if (p == NULL) {
            rd_nomem(rd);
            return;
        }
        rd->hdr = p;
        rd->hdr_cap = cap;
    }
    rd->hdr_off[col] = rd->hdr_len;
    if (n > 0)
        memcpy(rd->hdr + rd->hdr_len, f, n);
    rd->hdr[rd->hdr_len + n] = '\0';
    rd->hdr_len += n + 1;
}

typedef struct name_ref {
    const char *s;
    size_t i;
} name_ref;

static int name_ref_cmp(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    if (c != 0)
        return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The header record ended with nf fields: name empty columns, check for duplicates, allocate the
 * chunk.  On failure: error state. */
static void header_done(synth_csv_reader *rd, size_t nf)
{
    for (size_t i = 0; i < nf; i++) {
        if (rd->hdr[rd->hdr_off[i]] != '\0')
            continue;
        char tmp[48];
        int n = snprintf(tmp, sizeof tmp, "column_%zu", i + 1);
        if (rd->hdr_cap - rd->hdr_len < (size_t)n + 1) {
            size_t cap = rd->hdr_cap * 2 + (size_t)n + 1;
            char *p = synth_realloc(rd->hdr, cap);
            if (p == NULL) {
                rd_nomem(rd);
                return;
            }
            rd->hdr = p;
            rd->hdr_cap = cap;
        }
        memcpy(rd->hdr + rd->hdr_len, tmp, (size_t)n + 1);
        rd->hdr_off[i] = rd->hdr_len;
        rd->hdr_len += (size_t)n + 1;
    }
    rd->names = synth_reallocarray(NULL, nf, sizeof *rd->names);
    if (rd->names == NULL) {
        rd_nomem(rd);
        return;
    }
    for (size_t i = 0; i < nf; i++)
        rd->names[i] = rd->hdr + rd->hdr_off[i];
    rd->ncols = nf;

    if (nf > 1) {
        name_ref *refs = synth_reallocarray(NULL, nf, sizeof *refs);
        if (refs == NULL) {
            rd_nomem(rd);
            return;
        }
        for (size_t i = 0; i < nf; i++) {
            refs[i].s = rd->names[i];
            refs[i].i = i;
        }
        qsort(refs, nf, sizeof *refs, name_ref_cmp);
        size_t best_a = 0, best_b = SIZE_MAX;
        for (size_t i = 1; i < nf; i++) {
            /* first two members of a run of equal names: its earliest pair */
            if (strcmp(refs[i].s, refs[i - 1].s) == 0 &&
                (i == 1 || strcmp(refs[i - 1].s, refs[i - 2].s) != 0) && refs[i].i < best_b) {
                best_a = refs[i - 1].i;
                best_b = refs[i].i;
            }
        }
        synth_free(refs);
        if (best_b != SIZE_MAX) {
            rd_fail(rd, SYNTH_BAD_INPUT, "line %llu: duplicate column name '%s' (columns %zu and %zu)",
                    (unsigned long long)rd->rec_line, rd->names[best_a], best_a + 1, best_b + 1);
            return;
        }
    }
    if (rows_grow(rd) != 0)
        return;
    rd->phase = PHASE_DATA;
}

/* Store one data field of the record in progress.  On failure (non-skip mode): error state. */
static void data_field(synth_csv_reader *rd, const unsigned char *f, size_t n, int bad, size_t col)
{
    if (col == 0 && rd->nrows == rd->cap && rows_grow(rd) != 0)
        return;
    if (rd->row_bad || col >= rd->ncols)
        return;    /* skipped record, or extra field (reported as ragged at the record's end) */
    if (bad) {
        if (!rd->opt.skip_bad_rows) {
            rd_fail(rd, SYNTH_BAD_INPUT, "line %llu, column '%s': %s",
                    (unsigned long long)rd->rec_line, rd->names[col],
                    (bad & FIELD_HAS_NUL) ? "NUL byte in field" : "invalid UTF-8");
            return;
        }
        rd->row_bad = 1;
        rd->arena_len = rd->row_start;
        return;
    }
    if (arena_reserve(rd, n + 1) != 0)
        return;
    size_t i = col * rd->cap + rd->nrows;
    if (n > 0)
        memcpy(rd->arena + rd->arena_len, f, n);
    rd->arena[rd->arena_len + n] = '\0';
    rd->off[i] = rd->arena_len;
    rd->len[i] = (uint32_t)n;
    rd->arena_len += n + 1;
}

/* libcsv field callback. */
static void field_cb(void *s, size_t n, void *data)
{
    synth_csv_reader *rd = data;
    if (rd->state == ST_ERROR)
        return;
    const unsigned char *f = s;
    if (rd->nf == 0) {
        rd->rec_line = rd->line;
        rd->row_bad = 0;
        rd->row_start = rd->arena_len;
    }
    rd->cr_pending = 0;
    uint64_t breaks = 0;
    /* f is libcsv's field buffer, whose first LIBCSV_BLOCK bytes we allocated zeroed (realloc keeps
     * them): reading a little past a short field there touches only initialized memory */
    int over_read = f == rd->csv.entry_buf && n <= LIBCSV_BLOCK - 8;
    int bad = scan_field(f, n, over_read, &breaks);
    size_t col = rd->nf++;
    rd->line += breaks;
    if (n > rd->opt.max_field_bytes) {
        rd_fail(rd, SYNTH_BAD_INPUT, "line %llu: field exceeds %zu bytes",
                (unsigned long long)rd->rec_line, rd->opt.max_field_bytes);
        return;
    }
    if (rd->phase == PHASE_HEADER)
        header_field(rd, f, n, bad, col);
    else
        data_field(rd, f, n, bad, col);
}

/* A data record ended with nf fields: commit it, skip it, or fail. */
static void data_row_done(synth_csv_reader *rd, size_t nf)
{
    if (nf == rd->ncols && !rd->row_bad) {
        rd->lines[rd->nrows++] = rd->rec_line;
        return;
    }
    if (!rd->opt.skip_bad_rows) {
        rd_fail(rd, SYNTH_BAD_INPUT, "line %llu: expected %zu fields, found %zu",
                (unsigned long long)rd->rec_line, rd->ncols, nf);
        return;
    }
    rd->arena_len = rd->row_start;
    rd->row_bad = 0;
    if (rd->stats.skipped_rows++ == 0)
        rd->stats.first_skipped_line = rd->rec_line;
}

/* libcsv record callback: c is the CR or LF that ended the record, -1 at end of input.  Called
 * with no fields for an empty line (CSV_REPALL_NL). */
static void row_cb(int c, void *data)
{
    synth_csv_reader *rd = data;
    if (rd->state == ST_ERROR)
        return;
    size_t nf = rd->nf;
    if (nf > 0) {
        rd->nf = 0;
        rd->records_ended++;
        if (rd->phase == PHASE_HEADER)
            header_done(rd, nf);
        else
            data_row_done(rd, nf);
    }
    if (c == '\n' && rd->cr_pending && nf == 0) {
        rd->cr_pending = 0;            /* the LF of a CRLF */
    } else if (c == '\r' || c == '\n') {
        rd->line++;
        rd->cr_pending = c == '\r';
    } else {
        rd->cr_pending = 0;
    }
}

/* Feed n bytes to libcsv.  Returns 0, or an error code (error state set). */
static int feed(synth_csv_reader *rd, const unsigned char *s, size_t n)
{
    while (n > 0) {
        /* grow libcsv's field buffer geometrically (it adds blk_size bytes at a time) */
        size_t have = csv_get_buffer_size(&rd->csv);
        csv_set_blk_size(&rd->csv, have > LIBCSV_BLOCK ? have : LIBCSV_BLOCK);
        size_t used = csv_parse(&rd->csv, s, n, field_cb, row_cb, rd);
        if (rd->state == ST_ERROR)
            return rd->err.code;
        if (used < n) {
            if (csv_error(&rd->csv) != CSV_EPARSE)
                return rd_nomem(rd);
            if (rd->csv.pstate != LIBCSV_FIELD_BEGUN || rd->csv.quoted)
                return rd_fail(rd, SYNTH_BAD_INPUT,
                               "line %llu: unexpected character after closing quote",
                               (unsigned long long)cur_rec_line(rd));
            /* a quote inside an unquoted field: take it literally */
            rd->csv.status = CSV_SUCCESS;
            csv_set_opts(&rd->csv, PARSER_OPTS & ~CSV_STRICT);
            size_t one = csv_parse(&rd->csv, s + used, 1, field_cb, row_cb, rd);
            csv_set_opts(&rd->csv, PARSER_OPTS);
            if (rd->state == ST_ERROR)
                return rd->err.code;
            if (one != 1)
                return rd_nomem(rd);
            used++;
        }
        rd->bytes_fed += used;
        s += used;
        n -= used;
        size_t pending = rd->csv.entry_pos;
        if (rd->csv.pstate == LIBCSV_FIELD_MIGHT_HAVE_ENDED && pending > 0)
            pending--;                 /* the closing quote is in the buffer until resolved */
        if (pending > rd->opt.max_field_bytes)
            return rd_fail(rd, SYNTH_BAD_INPUT, "line %llu: field exceeds %zu bytes",
                           (unsigned long long)cur_rec_line(rd), rd->opt.max_field_bytes);
    }
    return 0;
}

/* Read the next block.  Returns 1 (data), 0 (end of input) or an error code (error state). */
static int fill(synth_csv_reader *rd)
{
    size_t got = 0;
    size_t want = rd->at_start ? 3 : 1;   /* at the start, enough bytes to see a byte-order mark */
    while (got < want) {
        ssize_t r = read(rd->fd, rd->buf + got, BLOCK_BYTES - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return rd_fail(rd, SYNTH_IO, "read error: %s", strerror(errno));
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    rd->buf_pos = 0;
    rd->buf_len = got;
    if (rd->at_start) {
        rd->at_start = 0;
        if (got >= 3 && memcmp(rd->buf, "\xEF\xBB\xBF", 3) == 0) {
            rd->buf_pos = 3;
            rd->stats.bytes += 3;
        }
    }
    return got > 0;
}

/* End of input: flush libcsv.  Returns 0 or an error code (error state). */
static int finish(synth_csv_reader *rd)
{
    int r = csv_fini(&rd->csv, field_cb, row_cb, rd);
    if (rd->state == ST_ERROR)
        return rd->err.code;
    if (r != 0)
        return rd_fail(rd, SYNTH_BAD_INPUT, "line %llu: unterminated quoted field at end of input",
                       (unsigned long long)cur_rec_line(rd));
    if (rd->phase == PHASE_HEADER)
        return rd_fail(rd, SYNTH_BAD_INPUT, "file is empty (no header row)");
    rd->state = ST_EOF;
    return 0;
}

/* One step: read a block, feed one piece of it, or finish at end of input.  While the header is
 * being read a piece ends at the first line end, so no data row is parsed before open() returns;
 * later a piece is sized to about the rows still missing from the chunk.  Returns 0 or an error
 * code (error state). */
static int pump(synth_csv_reader *rd)
{
    if (rd->buf_pos == rd->buf_len) {
        int r = fill(rd);
        if (r < 0)
            return r;
        if (r == 0)
            return finish(rd);
        if (rd->buf_pos == rd->buf_len)
            return 0;
    }
    const unsigned char *s = rd->buf + rd->buf_pos;
    size_t avail = rd->buf_len - rd->buf_pos;
    size_t want = avail;
    if (rd->phase == PHASE_HEADER) {
        for (size_t i = 0; i < avail; i++) {
            if (s[i] == '\n' || s[i] == '\r') {
                want = i + 1;
                break;
            }
        }
    } else {
        size_t left = rd->opt.chunk_rows - rd->nrows;
        uint64_t est = rd->records_ended ? rd->bytes_fed / rd->records_ended : 64;
        if (est == 0)
            est = 1;
        if (left < avail / est)
            want = left * (size_t)est;
    }
    int r = feed(rd, s, want);
    rd->buf_pos += want;
    rd->stats.bytes += want;
    return r;
}

/* Start a new chunk: the record in progress (if any) moves to row 0.  Can't fail. */
static void chunk_reset(synth_csv_reader *rd)
{
    if (rd->nf > 0) {
        size_t keep = rd->arena_len - rd->row_start;
        size_t stored = rd->row_bad ? 0 : (rd->nf < rd->ncols ? rd->nf : rd->ncols);
        size_t r = rd->nrows;
        if (keep > 0 && rd->row_start > 0)
            memmove(rd->arena, rd->arena + rd->row_start, keep);
        for (size_t c = 0; c < stored; c++) {
            rd->off[c * rd->cap] = rd->off[c * rd->cap + r] - rd->row_start;
            rd->len[c * rd->cap] = rd->len[c * rd->cap + r];
        }
        rd->arena_len = keep;
    } else {
        rd->arena_len = 0;
    }
    rd->row_start = 0;
    rd->nrows = 0;
}

static void reader_free(synth_csv_reader *rd)
{
    if (rd->csv_ready)
        csv_free(&rd->csv);
    if (rd->own_fd && rd->fd >= 0)
        close(rd->fd);
    synth_free(rd->buf);
    synth_free(rd->hdr);
    synth_free(rd->hdr_off);
    synth_free(rd->names);
    synth_free(rd->arena);
    synth_free(rd->off);
    synth_free(rd->len);
    synth_free(rd->lines);
    synth_free(rd->path);
    synth_free(rd);
}

int synth_csv_reader_open(synth_csv_reader **out, const char *path, const synth_csv_options *opt,
                          synth_err *err)
{
    *out = NULL;
    synth_csv_options o;
    if (opt != NULL)
        o = *opt;
    else
        synth_csv_options_init(&o);
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    if (o.chunk_rows == 0 || o.max_columns == 0 || o.max_field_bytes == 0)
        return synth_err_set(err, SYNTH_USAGE, "%s: CSV options: chunk_rows, max_columns and "
                             "max_field_bytes must be positive", name);
    if (o.delimiter == '"' || o.delimiter == '\r' || o.delimiter == '\n' || o.delimiter == '\0')
        return synth_err_set(err, SYNTH_USAGE, "%s: CSV options: invalid delimiter", name);
    if (o.max_field_bytes > MAX_FIELD_LIMIT)
        o.max_field_bytes = MAX_FIELD_LIMIT;
    if (o.chunk_rows > SIZE_MAX / 64)
        o.chunk_rows = SIZE_MAX / 64;

    synth_csv_reader *rd = synth_calloc(1, sizeof *rd);
    if (rd == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "%s: out of memory while reading CSV", name);
    rd->fd = -1;
    rd->opt = o;
    rd->line = 1;
    rd->at_start = 1;
    rd->path = synth_strdup(path);
    rd->buf = synth_malloc(BLOCK_BYTES);
    if (rd->path == NULL || rd->buf == NULL) {
        reader_free(rd);
        return synth_err_set(err, SYNTH_NOMEM, "%s: out of memory while reading CSV", name);
    }
    rd->name = strcmp(path, "-") == 0 ? "<stdin>" : rd->path;

    if (strcmp(path, "-") == 0) {
        rd->fd = STDIN_FILENO;
    } else {
        rd->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (rd->fd < 0) {
            int e = errno;
            reader_free(rd);
            return synth_err_set(err, SYNTH_IO, "%s: %s", name, strerror(e));
        }
        rd->own_fd = 1;
        (void)posix_fadvise(rd->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }

    csv_init(&rd->csv, PARSER_OPTS);
    rd->csv_ready = 1;
    csv_set_delim(&rd->csv, (unsigned char)o.delimiter);
    csv_set_space_func(&rd->csv, no_space);
    csv_set_realloc_func(&rd->csv, synth_realloc);
    csv_set_free_func(&rd->csv, synth_free);
    csv_set_blk_size(&rd->csv, LIBCSV_BLOCK);
    rd->csv.entry_buf = synth_calloc(1, LIBCSV_BLOCK);   /* see field_cb */
    if (rd->csv.entry_buf == NULL) {
        reader_free(rd);
        return synth_err_set(err, SYNTH_NOMEM, "%s: out of memory while reading CSV", name);
    }
    rd->csv.entry_size = LIBCSV_BLOCK;

    while (rd->state == ST_READING && rd->phase == PHASE_HEADER)
        (void)pump(rd);
    if (rd->state == ST_ERROR) {
        int code = rd->err.code;
        if (err != NULL)
            *err = rd->err;
        reader_free(rd);
        return code;
    }
    *out = rd;
    return SYNTH_OK;
}

size_t synth_csv_reader_ncols(const synth_csv_reader *rd)
{
    return rd->ncols;
}

const char *synth_csv_reader_column_name(const synth_csv_reader *rd, size_t i)
{
    return i < rd->ncols ? rd->names[i] : NULL;
}

const char *synth_csv_reader_path(const synth_csv_reader *rd)
{
    return rd->path;
}

int synth_csv_reader_next(synth_csv_reader *rd, const synth_csv_chunk **chunk, synth_err *err)
{
    *chunk = NULL;
    if (rd->state == ST_ERROR) {
        if (err != NULL)
            *err = rd->err;
        return rd->err.code;
    }
    if (rd->state == ST_DONE)
        return 0;
    chunk_reset(rd);
    while (rd->state == ST_READING && rd->nrows < rd->opt.chunk_rows)
        (void)pump(rd);
    if (rd->state == ST_ERROR) {
        if (err != NULL)
            *err = rd->err;
        return rd->err.code;
    }
    if (rd->nrows == 0) {
        rd->state = ST_DONE;
        return 0;
    }
    synth_csv_chunk *ch = &rd->chunk;
    ch->ncols = rd->ncols;
    ch->nrows = rd->nrows;
    ch->cap_rows = rd->cap;
    ch->first_row = rd->delivered;
    ch->data = rd->arena;
    ch->off = rd->off;
    ch->len = rd->len;
    ch->line = rd->lines;
    rd->delivered += rd->nrows;
    rd->stats.rows = rd->delivered;
    *chunk = ch;
    return 1;
}

const synth_csv_stats *synth_csv_reader_stats(const synth_csv_reader *rd)
{
    return &rd->stats;
}

void synth_csv_reader_free(synth_csv_reader *rd)
{
    if (rd != NULL)
        reader_free(rd);
}

size_t synth_csv_quote(char *out, const char *s, size_t len, char delimiter)
{
    size_t i = 0;
    while (i < len && s[i] != delimiter && s[i] != '"' && s[i] != '\r' && s[i] != '\n')
        i++;
    if (i == len) {
        if (len > 0)
            memcpy(out, s, len);
        return len;
    }
    size_t o = 0;
    out[o++] = '"';
    for (i = 0; i < len; i++) {
        if (s[i] == '"')
            out[o++] = '"';
        out[o++] = s[i];
    }
    out[o++] = '"';
    return o;
}
