/* fuzz_csv.c -- libFuzzer harness for the CSV reader (src/csv_reader.c).
 *
 * The input is written to a per-process temp file and read back completely in three
 * configurations (',' strict, ',' skip_bad_rows, '\t' skip_bad_rows) with tiny chunks and
 * max_field_bytes = 4096.  Checked on every chunk: nrows <= cap_rows, column count, first_row
 * continuity, line numbers increasing, every cell <= max_field_bytes, NUL-terminated and free of
 * embedded NULs.  When a read succeeds, its rows are written back through synth_csv_quote and read
 * again; the second read must succeed and return the same header and cells. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "csv_reader.h"

#define MAX_FIELD 4096

static char in_path[64], rt_path[64];

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void buf_add(buf *b, const void *s, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (b->p == NULL)
            abort();
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        abort();
    if (len > 0 && fwrite(data, 1, len, f) != len)
        abort();
    if (fclose(f) != 0)
        abort();
}

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "fuzz_csv: check failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                \
        }                                                                           \
    } while (0)

/* Read path; append a canonical dump (names and cells, length-prefixed) to dump and, when quoted
 * is non-NULL, the data re-encoded as CSV.  Returns the reader's final status. */
static int read_file(const char *path, const synth_csv_options *opt, buf *dump, buf *quoted)
{
    synth_csv_reader *rd;
    synth_err err;
    int rc = synth_csv_reader_open(&rd, path, opt, &err);
    if (rc != 0) {
        CHECK(rc < 0 && rd == NULL && err.code == rc);
        CHECK(strncmp(err.msg, path, strlen(path)) == 0);
        return rc;
    }
    size_t ncols = synth_csv_reader_ncols(rd);
    CHECK(ncols >= 1 && ncols <= opt->max_columns);
    char tmp[2 * MAX_FIELD + 2];
    if (quoted != NULL)
        buf_add(quoted, "\xEF\xBB\xBF", 3);   /* a BOM, so a name starting with one survives */
    for (size_t c = 0; c < ncols; c++) {
        const char *name = synth_csv_reader_column_name(rd, c);
        size_t n = strlen(name);
        CHECK(n > 0 && n <= MAX_FIELD + 16);
        buf_add(dump, &n, sizeof n);
        buf_add(dump, name, n);
        if (quoted != NULL) {
            if (c > 0)
                buf_add(quoted, &opt->delimiter, 1);
            buf_add(quoted, tmp, synth_csv_quote(tmp, name, n, opt->delimiter));
        }
    }
    if (quoted != NULL)
        buf_add(quoted, "\r\n", 2);
    uint64_t next_row = 0, prev_line = 0;
    const synth_csv_chunk *ch;
    while ((rc = synth_csv_reader_next(rd, &ch, &err)) == 1) {
        CHECK(ch->ncols == ncols);
        CHECK(ch->nrows >= 1 && ch->nrows <= ch->cap_rows);
        CHECK(ch->first_row == next_row);
        next_row += ch->nrows;
        for (size_t r = 0; r < ch->nrows; r++) {
            CHECK(ch->line[r] > prev_line);
            prev_line = ch->line[r];
            for (size_t c = 0; c < ncols; c++) {
                size_t n;
                const char *cell = synth_csv_cell(ch, r, c, &n);
                CHECK(n <= MAX_FIELD);
                CHECK(cell[n] == '\0');
                CHECK(memchr(cell, '\0', n) == NULL);
                buf_add(dump, &n, sizeof n);
                buf_add(dump, cell, n);
                if (quoted != NULL) {
                    if (c > 0)
                        buf_add(quoted, &opt->delimiter, 1);
                    if (n == 0 && ncols == 1)
                        buf_add(quoted, "\"\"", 2);   /* an empty line would not be a row */
                    else
                        buf_add(quoted, tmp, synth_csv_quote(tmp, cell, n, opt->delimiter));
                }
            }
            if (quoted != NULL)
                buf_add(quoted, "\n", 1);
        }
    }
    CHECK(ch == NULL);
    if (rc < 0) {
        CHECK(err.code == rc && strncmp(err.msg, path, strlen(path)) == 0);
        synth_err err2;
        CHECK(synth_csv_reader_next(rd, &ch, &err2) == rc && ch == NULL);
    } else {
        CHECK(synth_csv_reader_next(rd, &ch, &err) == 0 && ch == NULL);
    }
    const synth_csv_stats *st = synth_csv_reader_stats(rd);
    CHECK(st->rows == next_row);
    CHECK(!opt->skip_bad_rows ? st->skipped_rows == 0 : 1);
    CHECK((st->skipped_rows == 0) == (st->first_skipped_line == 0));
    synth_csv_reader_free(rd);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (in_path[0] == '\0') {
        snprintf(in_path, sizeof in_path, "/tmp/fuzz_csv.%ld.csv", (long)getpid());
        snprintf(rt_path, sizeof rt_path, "/tmp/fuzz_csv.%ld.rt.csv", (long)getpid());
    }
    write_file(in_path, data, size);
    static const struct {
        char delim;
        int skip;
        size_t chunk;
    } modes[] = {{',', 0, 3}, {',', 1, 1}, {'\t', 1, 7}};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        synth_csv_options opt;
        synth_csv_options_init(&opt);
        opt.delimiter = modes[m].delim;
        opt.skip_bad_rows = modes[m].skip;
        opt.chunk_rows = modes[m].chunk;
        opt.max_field_bytes = MAX_FIELD;
        opt.max_columns = 64;
        buf dump = {0}, quoted = {0}, dump2 = {0};
        int rc = read_file(in_path, &opt, &dump, &quoted);
        CHECK(rc == 0 || rc == SYNTH_BAD_INPUT);
        if (rc == 0) {
            write_file(rt_path, quoted.p, quoted.len);
            opt.skip_bad_rows = 0;
            opt.chunk_rows = 2;
            int rc2 = read_file(rt_path, &opt, &dump2, NULL);
            CHECK(rc2 == 0);
            CHECK(dump.len == dump2.len && memcmp(dump.p, dump2.p, dump.len) == 0);
        }
        free(dump.p);
        free(quoted.p);
        free(dump2.p);
    }
    unlink(in_path);
    unlink(rt_path);
    return 0;
}
