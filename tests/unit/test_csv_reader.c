/* test_csv_reader.c -- unit tests for the streaming CSV reader (src/csv_reader.c): dialect
 * (quotes, line ends, BOM, delimiters, spaces), chunking and line numbers, every error with its
 * line, skip_bad_rows, bounded memory on a huge field, synth_csv_quote, allocation failures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "alloc.h"
#include "csv_reader.h"

static char tmpdir[64];
static unsigned file_counter;

static int rm_entry(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(p);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/synth_csv_test_XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write len bytes to a fresh file in tmpdir; returns its path (static storage, rotating). */
static const char *write_tmp(const void *data, size_t len)
{
    static char paths[8][128];
    char *p = paths[file_counter % 8];
    snprintf(p, 128, "%s/f%u.csv", tmpdir, file_counter++);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    if (len > 0)
        assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return p;
}
#define WRITE(lit) write_tmp(lit, sizeof(lit) - 1)

typedef struct result {
    int rc;
    char *out;          /* "H:a|b\nL2:1|2\n..." */
    size_t len, cap;
    char msg[SYNTH_ERR_MSG_MAX];
    synth_csv_stats stats;
    size_t nchunks;
    size_t max_chunk_rows;
} result;

static void out_add(result *r, const char *s, size_t n)
{
    if (r->cap - r->len < n + 1) {
        size_t cap = r->cap ? r->cap : 256;
        while (cap - r->len < n + 1)
            cap *= 2;
        r->out = realloc(r->out, cap);
        assert_non_null(r->out);
        r->cap = cap;
    }
    memcpy(r->out + r->len, s, n);
    r->len += n;
    r->out[r->len] = '\0';
}

static void out_str(result *r, const char *s)
{
    out_add(r, s, strlen(s));
}

static void result_free(result *r)
{
    free(r->out);
    memset(r, 0, sizeof *r);
}

/* Read everything, checking the chunk invariants on the way.  Returns the final status (0 at a
 * clean end).  res->out holds the header and rows; res->msg the error message. */
static int read_all(const char *path, const synth_csv_options *opt, result *res)
{
    memset(res, 0, sizeof *res);
    out_str(res, "");
    synth_csv_reader *rd = (synth_csv_reader *)1;
    synth_err err;
    synth_err_clear(&err);
    int rc = synth_csv_reader_open(&rd, path, opt, &err);
    if (rc != 0) {
        assert_null(rd);
        assert_int_equal(err.code, rc);
        res->rc = rc;
        memcpy(res->msg, err.msg, sizeof res->msg);
        return rc;
    }
    size_t ncols = synth_csv_reader_ncols(rd);
    assert_true(ncols > 0);
    out_str(res, "H:");
    for (size_t c = 0; c < ncols; c++) {
        if (c > 0)
            out_str(res, "|");
        out_str(res, synth_csv_reader_column_name(rd, c));
    }
    out_str(res, "\n");
    assert_null(synth_csv_reader_column_name(rd, ncols));
    uint64_t next_row = 0, prev_line = 0;
    const synth_csv_chunk *ch;
    while ((rc = synth_csv_reader_next(rd, &ch, &err)) == 1) {
        assert_non_null(ch);
        assert_int_equal(ch->ncols, ncols);
        assert_true(ch->nrows > 0);
        assert_true(ch->nrows <= ch->cap_rows);
        assert_int_equal(ch->first_row, next_row);
        next_row += ch->nrows;
        res->nchunks++;
        if (ch->nrows > res->max_chunk_rows)
            res->max_chunk_rows = ch->nrows;
        for (size_t r = 0; r < ch->nrows; r++) {
            assert_true(ch->line[r] > prev_line);
            prev_line = ch->line[r];
            char buf[32];
            snprintf(buf, sizeof buf, "L%llu:", (unsigned long long)ch->line[r]);
            out_str(res, buf);
            for (size_t c = 0; c < ncols; c++) {
                size_t n;
                const char *cell = synth_csv_cell(ch, r, c, &n);
                assert_int_equal(cell[n], '\0');
                assert_int_equal(strlen(cell), n);
                if (c > 0)
                    out_str(res, "|");
                out_add(res, cell, n);
            }
            out_str(res, "\n");
        }
    }
    assert_null(ch);
    if (rc < 0) {
        assert_int_equal(err.code, rc);
        memcpy(res->msg, err.msg, sizeof res->msg);
        /* errors are sticky */
        synth_err err2;
        assert_int_equal(synth_csv_reader_next(rd, &ch, &err2), rc);
        assert_string_equal(err2.msg, err.msg);
    } else {
        assert_int_equal(synth_csv_reader_next(rd, &ch, &err), 0);
        assert_null(ch);
    }
    res->stats = *synth_csv_reader_stats(rd);
    assert_int_equal(res->stats.rows, next_row);
    synth_csv_reader_free(rd);
    res->rc = rc;
    return rc;
}

/* Expect a successful read with exactly this output. */
static void expect_ok(const char *path, const synth_csv_options *opt, const char *want)
{
    result r;
    int rc = read_all(path, opt, &r);
    if (rc != 0)
        print_error("unexpected error %d: %s\n", rc, r.msg);
    assert_int_equal(rc, 0);
    assert_string_equal(r.out, want);
    result_free(&r);
}

/* Expect an error with this code whose message is "PATH: " + want_tail. */
static void expect_err(const char *path, const synth_csv_options *opt, int code,
                       const char *want_tail)
{
    result r;
    int rc = read_all(path, opt, &r);
    char want[SYNTH_ERR_MSG_MAX + 16];
    snprintf(want, sizeof want, "%s: %s", path, want_tail);
    if (rc != code || strcmp(r.msg, want) != 0)
        print_error("got %d '%s', want %d '%s'\n", rc, r.msg, code, want);
    assert_int_equal(rc, code);
    assert_string_equal(r.msg, want);
    result_free(&r);
}

static void test_simple(void **state)
{
    (void)state;
    expect_ok(WRITE("a,b,c\n1,2,3\n4,5,6\n"), NULL, "H:a|b|c\nL2:1|2|3\nL3:4|5|6\n");
    expect_ok(WRITE("a,b\n1,2"), NULL, "H:a|b\nL2:1|2\n");
    expect_ok(WRITE("a,b\n,\n1,\n,2\n"), NULL, "H:a|b\nL2:|\nL3:1|\nL4:|2\n");
    expect_ok(WRITE("x\n1\n2\n"), NULL, "H:x\nL2:1\nL3:2\n");
    result r;
    const char *p = WRITE("a,b\n1,2\n");
    assert_int_equal(read_all(p, NULL, &r), 0);
    assert_int_equal(r.stats.rows, 1);
    assert_int_equal(r.stats.bytes, 8);
    assert_int_equal(r.stats.skipped_rows, 0);
    result_free(&r);
}

static void test_quoted(void **state)
{
    (void)state;
    expect_ok(WRITE("name,desc\n\"x, y\",\"he said \"\"hi\"\"\"\n\"multi\nline\",z\nlast,row\n"),
              NULL, "H:name|desc\nL2:x, y|he said \"hi\"\nL3:multi\nline|z\nL5:last|row\n");
    /* quoted header names, empty quoted fields, quotes only */
    expect_ok(WRITE("\"a,1\",\"b\"\"\"\n\"\",\"\"\"\"\n"), NULL, "H:a,1|b\"\nL2:|\"\n");
    /* a quote inside an unquoted field is literal */
    expect_ok(WRITE("h,w\n5'10\",x\na\"\"b,c\"\n"), NULL, "H:h|w\nL2:5'10\"|x\nL3:a\"\"b|c\"\n");
    /* closing quote at end of input */
    expect_ok(WRITE("a\n\"x\ny\""), NULL, "H:a\nL2:x\ny\n");
}

static void test_after_quote_error(void **state)
{
    (void)state;
    expect_err(WRITE("a,b\n1,2\n\"ab\"c,d\n"), NULL, SYNTH_BAD_INPUT,
               "line 3: unexpected character after closing quote");
    expect_err(WRITE("a,b\n1,2\n3,\"x\ny\" ,d\n"), NULL, SYNTH_BAD_INPUT,
               "line 3: unexpected character after closing quote");
    synth_csv_options o;
    synth_csv_options_init(&o);
    o.skip_bad_rows = 1;
    expect_err(WRITE("a,b\n\"ab\"c,d\n"), &o, SYNTH_BAD_INPUT,
               "line 2: unexpected character after closing quote");
}

static void test_line_ends(void **state)
{
    (void)state;
    expect_ok(WRITE("a,b\r\n1,2\r\n\"x\r\ny\",3\r\n4,5\r\n"), NULL,
              "H:a|b\nL2:1|2\nL3:x\r\ny|3\nL5:4|5\n");
    expect_ok(WRITE("a,b\r1,2\r\r3,4"), NULL, "H:a|b\nL2:1|2\nL4:3|4\n");
    expect_ok(WRITE("a,b\r\"x\ry\",1\r2,3\r"), NULL, "H:a|b\nL2:x\ry|1\nL4:2|3\n");
    /* mixed, with empty lines before the header and between rows */
    expect_ok(WRITE("\n\r\n\ra,b\n\n1,2\r\n\r\n\n3,4\n\n"), NULL, "H:a|b\nL6:1|2\nL9:3|4\n");
    /* CR and LF separated by a quote are two line breaks */
    expect_ok(WRITE("a\n\"x\r\"\n1\n"), NULL, "H:a\nL2:x\r\nL4:1\n");
}

static void test_bom(void **state)
{
    (void)state;
    expect_ok(WRITE("\xEF\xBB\xBF" "a,b\n1,2\n"), NULL, "H:a|b\nL2:1|2\n");
    expect_ok(WRITE("\xEF\xBB\xBF\"a\",b\n1,2\n"), NULL, "H:a|b\nL2:1|2\n");
    /* only at the start of the file */
    expect_ok(WRITE("a,b\n\xEF\xBB\xBF" "1,2\n"), NULL, "H:a|b\nL2:\xEF\xBB\xBF" "1|2\n");
}

static void test_delimiters(void **state)
{
    (void)state;
    synth_csv_options o;
    synth_csv_options_init(&o);
    o.delimiter = ';';
    expect_ok(WRITE("a;b\n1,5;x\n\"p;q\";\"r\"\n"), &o, "H:a|b\nL2:1,5|x\nL3:p;q|r\n");
    o.delimiter = '\t';
    expect_ok(WRITE("a\tb\n 1\t\"2\t3\"\n\t\n"), &o, "H:a|b\nL2: 1|2\t3\nL3:|\n");
    o.delimiter = '|';
    expect_ok(WRITE("a|b\n1,2|3\n"), &o, "H:a|b\nL2:1,2|3\n");
    o.delimiter = '"';
    result r;
    assert_int_equal(read_all(WRITE("a\n"), &o, &r), SYNTH_USAGE);
    result_free(&r);
}

static void test_spaces_preserved(void **state)
{
    (void)state;
    expect_ok(WRITE("a, b \n 1 , 2 \n\" x \",y\n  ,\t\n"), NULL,
              "H:a| b \nL2: 1 | 2 \nL3: x |y\nL4:  |\t\n");
    /* a line of spaces is a one-field row */
    expect_ok(WRITE("a\n   \n"), NULL, "H:a\nL2:   \n");
    const char *p = "/work/main/datasets/adult.csv";
    if (access(p, R_OK) == 0) {
        synth_csv_reader *rd;
        synth_err err;
        assert_int_equal(synth_csv_reader_open(&rd, p, NULL, &err), 0);
        assert_int_equal(synth_csv_reader_ncols(rd), 15);
        const synth_csv_chunk *ch;
        assert_int_equal(synth_csv_reader_next(rd, &ch, &err), 1);
        assert_string_equal(synth_csv_cell(ch, 0, 1, NULL), " State-gov");
        assert_string_equal(synth_csv_cell(ch, 0, 0, NULL), "39");
        synth_csv_reader_free(rd);
    }
}

static void test_chunking(void **state)
{
    (void)state;
    char file[512] = "id,v\n";
    char want[1024] = "H:id|v\n";
    unsigned line = 2;
    for (int i = 0; i < 10; i++) {
        size_t fl = strlen(file), wl = strlen(want);
        if (i % 4 == 3) {      /* an empty line and a two-line field */
            snprintf(file + fl, sizeof file - fl, "\n%d,\"a\nb\"\n", i);
            snprintf(want + wl, sizeof want - wl, "L%u:%d|a\nb\n", line + 1, i);
            line += 3;
        } else {
            snprintf(file + fl, sizeof file - fl, "%d,v%d\n", i, i);
            snprintf(want + wl, sizeof want - wl, "L%u:%d|v%d\n", line, i, i);
            line += 1;
        }
    }
    const char *p = write_tmp(file, strlen(file));
    synth_csv_options o;
    synth_csv_options_init(&o);
    for (size_t cr = 1; cr <= 11; cr++) {
        o.chunk_rows = cr;
        result r;
        assert_int_equal(read_all(p, &o, &r), 0);
        assert_string_equal(r.out, want);
        assert_int_equal(r.stats.rows, 10);
        assert_true(r.nchunks >= (10 + 2 * cr - 1) / (2 * cr));
        assert_true(r.max_chunk_rows <= 2 * cr);
        result_free(&r);
    }
    o.chunk_rows = 3;
    result r;
    assert_int_equal(read_all(p, &o, &r), 0);
    assert_true(r.nchunks >= 3);
    result_free(&r);
}

static void test_line_numbers_after_multiline(void **state)
{
    (void)state;
    expect_err(WRITE("a,b\n\"x\ny\nz\",1\n1,2,3\n"), NULL, SYNTH_BAD_INPUT,
               "line 5: expected 2 fields, found 3");
    expect_err(WRITE("a,b\r\n\"x\r\ny\r\nz\",1\r\n\r\n1\r\n"), NULL, SYNTH_BAD_INPUT,
               "line 6: expected 2 fields, found 1");
    /* the error names the line where the record starts, not where it ends */
    expect_err(WRITE("a,b\n1,2\n3,\"x\ny\",4\n"), NULL, SYNTH_BAD_INPUT,
               "line 3: expected 2 fields, found 3");
}

static void test_ragged(void **state)
{
    (void)state;
    char file[2048] = "";
    for (int line = 1; line <= 8; line++) {
        int n = line == 7 ? 14 : 15;
        for (int c = 0; c < n; c++) {
            size_t l = strlen(file);
            snprintf(file + l, sizeof file - l, "%s%c%d", c ? "," : "", 'a' + c, line);
        }
        size_t l = strlen(file);
        snprintf(file + l, sizeof file - l, "\n");
    }
    expect_err(write_tmp(file, strlen(file)), NULL, SYNTH_BAD_INPUT,
               "line 7: expected 15 fields, found 14");
    expect_err(WRITE("a,b\n1,2\n1,2,,\n"), NULL, SYNTH_BAD_INPUT,
               "line 3: expected 2 fields, found 4");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xC3\x28", "\xC0\x80", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xED\xBF\xBF",
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF8\x88\x80\x80\x80", "\x80", "\xBF", "\xE2\x82",
        "\xE2\x82 x", "\xF0\x9F\x98", "\xFF", "\xFE", "abcdefghijklmnop\x80qrstuvwxyz",
        "\xF0\x80\x80\x80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char file[128];
        int n = snprintf(file, sizeof file, "id,name\n1,ok\n2,%s\n3,x\n", bad[i]);
        expect_err(write_tmp(file, (size_t)n), NULL, SYNTH_BAD_INPUT,
                   "line 3, column 'name': invalid UTF-8");
    }
    /* valid multi-byte text, including the edges of the ranges */
    expect_ok(WRITE("k,v\n\xC3\xA9,\xE2\x82\xAC\xF0\x9F\x98\x80\n\xC2\x80\xDF\xBF,\xE0\xA0\x80"
                    "\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\n"),
              NULL,
              "H:k|v\nL2:\xC3\xA9|\xE2\x82\xAC\xF0\x9F\x98\x80\nL3:\xC2\x80\xDF\xBF|\xE0\xA0\x80"
              "\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\n");
    /* NUL bytes */
    expect_err(WRITE("a,b\n1,x\0y\n"), NULL, SYNTH_BAD_INPUT, "line 2, column 'b': NUL byte in field");
    expect_err(WRITE("a,b\n1,\"long field with a nul \0 inside\"\n"), NULL, SYNTH_BAD_INPUT,
               "line 2, column 'b': NUL byte in field");
    /* header */
    expect_err(WRITE("a,b\xFF\n1,2\n"), NULL, SYNTH_BAD_INPUT,
               "line 1, column 2: invalid UTF-8 in header");
    /* skip mode does not excuse a bad header */
    synth_csv_options o;
    synth_csv_options_init(&o);
    o.skip_bad_rows = 1;
    expect_err(WRITE("a\0,b\n1,2\n"), &o, SYNTH_BAD_INPUT, "line 1, column 1: NUL byte in header");
}

static void test_oversize(void **state)
{
    (void)state;
    synth_csv_options o;
    synth_csv_options_init(&o);
    o.max_field_bytes = 16;
    /* exactly 16 bytes is fine, quoted or not */
    expect_ok(WRITE("a,b\n0123456789abcdef,\"0123456789abcde\"\"\"\n"), &o,
              "H:a|b\nL2:0123456789abcdef|0123456789abcde\"\n");
    char file[512] = "a,b\n";
    for (int line = 2; line <= 8; line++) {
        size_t l = strlen(file);
        snprintf(file + l, sizeof file - l, "%d,x\n", line);
    }
    size_t l = strlen(file);
    snprintf(file + l, sizeof file - l, "9,0123456789abcdefg\n10,y\n");
    expect_err(write_tmp(file, strlen(file)), &o, SYNTH_BAD_INPUT, "line 9: field exceeds 16 bytes");
    /* a multi-line quoted field: the line where its record starts */
    expect_err(WRITE("a,b\n1,\"0123\n4567\n89abcdefg\"\n"), &o, SYNTH_BAD_INPUT,
               "line 2: field exceeds 16 bytes");
    /* still an error in skip mode; header fields count too */
    o.skip_bad_rows = 1;
    expect_err(WRITE("a,b\n1,2\n3,0123456789abcdefghi\n"), &o, SYNTH_BAD_INPUT,
               "line 3: field exceeds 16 bytes");
    expect_err(WRITE("a,0123456789abcdefghi\n1,2\n"), &o, SYNTH_BAD_INPUT,
               "line 1: field exceeds 16 bytes");
}

/* A quoted field of exactly max_field_bytes must pass wherever a piece boundary falls. */
static void test_oversize_boundary(void **state)
{
    (void)state;
    synth_csv_options o;
    synth_csv_options_init(&o);
    o.max_field_bytes = 8;
    for (int pad = 0; pad < 12; pad++) {
        char file[1024] = "a,b\n";
        for (int row = 0; row < 30; row++) {
            size_t l = strlen(file);
            snprintf(file + l, sizeof file - l, "%.*s,\"abcdefgh\"\n", (row * 7 + pad) % 8 + 1,
                     "xxxxxxxxx");
        }
        const char *p = write_tmp(file, strlen(file));
        for (size_t cr = 1; cr <= 5; cr++) {
            o.chunk_rows = cr;
            result r;
            int rc = read_all(p, &o, &r);
            if (rc != 0)
                print_error("pad %d chunk %zu: %s\n", pad, cr, r.msg);
            assert_int_equal(rc, 0);
            assert_int_equal(r.stats.rows, 30);
            result_free(&r);
        }
    }
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A 48 MiB field against a 1 MiB limit: detected while streaming, never buffered whole. */
static void test_oversize_streaming(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/huge.csv", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("a,b\n1,2\n3,\"", f);
    static char block[65536];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 48 * 16; i++)
        assert_int_equal(fwrite(block, 1, sizeof block, f), sizeof block);
    fputs("\"\n", f);
    assert_int_equal(fclose(f), 0);
    long before = max_rss_kb();
    expect_err(path, NULL, SYNTH_BAD_INPUT, "line 3: field exceeds 1048576 bytes");
    long grew = max_rss_kb() - before;
    print_message("max RSS grew by %ld KiB reading a 48 MiB field\n", grew);
    assert_true(grew < 16 * 1024);
    /* unquoted too */
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("a,b\n1,", f);
    for (int i = 0; i < 32; i++)
        assert_int_equal(fwrite(block, 1, sizeof block, f), sizeof block);
    assert_int_equal(fclose(f), 0);
    expect_err(path, NULL, SYNTH_BAD_INPUT, "line 2: field exceeds 1048576 bytes");
}

static void test_unterminated(void **state)
{
    (void)state;
    expect_err(WRITE("a,b\n1,2\n3,\"abc\ndef\n"), NULL, SYNTH_BAD_INPUT,
               "line 3: unterminated quoted field at end of input");
    expect_err(WRITE("a,b\n\n\"abc"), NULL, SYNTH_BAD_INPUT,
               "line 3: unterminated quoted field at end of input");
    expect_err(WRITE("a,b\n\"x\"\"\n"), NULL, SYNTH_BAD_INPUT,
               "line 2: unterminated quoted field at end of input");
    expect_err(WRITE("\"a,b\n1,2\n"), NULL, SYNTH_BAD_INPUT,
               "line 1: unterminated quoted field at end of input");
    synth_csv_options o;
    synth_csv_options_init(&o);
    o.skip_bad_rows = 1;
    expect_err(WRITE("a,b\n1,2\n\n\"x\n"), &o, SYNTH_BAD_INPUT,
               "line 4: unterminated quoted field at end of input");
}

static void test_skip_bad_rows(void **state)
{
    (void)state;
    synth_csv_options o;
    synth_csv_options_init(&o);
    o.skip_bad_rows = 1;
    const char *p = WRITE("a,b\n1,2\n3\n4,5\n6,\xff\n\"7\n\",8,9\n10,11\n\xC0,1,2\n12,13");
    for (size_t cr = 1; cr <= 4; cr++) {
        o.chunk_rows = cr;
        result r;
        assert_int_equal(read_all(p, &o, &r), 0);
        assert_string_equal(r.out, "H:a|b\nL2:1|2\nL4:4|5\nL8:10|11\nL10:12|13\n");
        assert_int_equal(r.stats.rows, 4);
        assert_int_equal(r.stats.skipped_rows, 4);
        assert_int_equal(r.stats.first_skipped_line, 3);
        result_free(&r);
    }
    /* without skipping, the first bad record is the error */
    expect_err(p, NULL, SYNTH_BAD_INPUT, "line 3: expected 2 fields, found 1");
    /* all rows bad */
    o.chunk_rows = 2;
    result r;
    assert_int_equal(read_all(WRITE("a,b\n1\n2\n3\n"), &o, &r), 0);
    assert_string_equal(r.out, "H:a|b\n");
    assert_int_equal(r.stats.skipped_rows, 3);
    assert_int_equal(r.stats.first_skipped_line, 2);
    result_free(&r);
}

static void test_empty_file(void **state)
{
    (void)state;
    expect_err(WRITE(""), NULL, SYNTH_BAD_INPUT, "file is empty (no header row)");
    expect_err(WRITE("\n\r\n\r"), NULL, SYNTH_BAD_INPUT, "file is empty (no header row)");
    expect_err(WRITE("\xEF\xBB\xBF"), NULL, SYNTH_BAD_INPUT, "file is empty (no header row)");
    expect_err(WRITE("\xEF\xBB\xBF\n"), NULL, SYNTH_BAD_INPUT, "file is empty (no header row)");
}

static void test_header_only(void **state)
{
    (void)state;
    expect_ok(WRITE("a,b\n"), NULL, "H:a|b\n");
    expect_ok(WRITE("a,b"), NULL, "H:a|b\n");
    expect_ok(WRITE("a,b\r\n\r\n"), NULL, "H:a|b\n");
    expect_ok(WRITE("\xEF\xBB\xBF" "a"), NULL, "H:a\n");
}

static void test_header_names(void **state)
{
    (void)state;
    expect_err(WRITE("age,x,y,age\n1,2,3,4\n"), NULL, SYNTH_BAD_INPUT,
               "line 1: duplicate column name 'age' (columns 1 and 4)");
    expect_err(WRITE("b,a,b,a\n"), NULL, SYNTH_BAD_INPUT,
               "line 1: duplicate column name 'b' (columns 1 and 3)");
    expect_err(WRITE("\n\nq,a,a,q\n"), NULL, SYNTH_BAD_INPUT,
               "line 3: duplicate column name 'a' (columns 2 and 3)");
    expect_ok(WRITE("a,,b,\n1,2,3,4\n"), NULL, "H:a|column_2|b|column_4\nL2:1|2|3|4\n");
    expect_err(WRITE("column_2,\n"), NULL, SYNTH_BAD_INPUT,
               "line 1: duplicate column name 'column_2' (columns 1 and 2)");
    expect_ok(WRITE("A,a,a \n1,2,3\n"), NULL, "H:A|a|a \nL2:1|2|3\n");
    synth_csv_options o;
    synth_csv_options_init(&o);
    o.max_columns = 3;
    expect_ok(WRITE("a,b,c\n1,2,3\n"), &o, "H:a|b|c\nL2:1|2|3\n");
    expect_err(WRITE("a,b,c,d\n"), &o, SYNTH_BAD_INPUT, "line 1: too many columns (more than 3)");
}

static void test_missing_file(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/does-not-exist.csv", tmpdir);
    expect_err(path, NULL, SYNTH_IO, "No such file or directory");
    result r;
    assert_int_equal(read_all(tmpdir, NULL, &r), SYNTH_IO);
    assert_non_null(strstr(r.msg, tmpdir));
    result_free(&r);
}

static void test_stdin(void **state)
{
    (void)state;
    const char *p = WRITE("a,b\n1,\"2\n3\"\n");
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    int fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    synth_csv_reader *rd;
    synth_err err;
    assert_int_equal(synth_csv_reader_open(&rd, "-", NULL, &err), 0);
    assert_string_equal(synth_csv_reader_path(rd), "-");
    const synth_csv_chunk *ch;
    assert_int_equal(synth_csv_reader_next(rd, &ch, &err), 1);
    assert_int_equal(ch->nrows, 1);
    assert_string_equal(synth_csv_cell(ch, 0, 1, NULL), "2\n3");
    assert_int_equal(synth_csv_reader_next(rd, &ch, &err), 0);
    synth_csv_reader_free(rd);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    synth_csv_reader_free(NULL);
}

static void check_quote(const char *in, char delim, const char *want)
{
    char out[256];
    size_t n = synth_csv_quote(out, in, strlen(in), delim);
    assert_true(n <= 2 * strlen(in) + 2);
    out[n] = '\0';
    assert_string_equal(out, want);
}

static void test_quote(void **state)
{
    (void)state;
    check_quote("", ',', "");
    check_quote("plain", ',', "plain");
    check_quote(" spaced ", ',', " spaced ");
    check_quote("a,b", ',', "\"a,b\"");
    check_quote("a;b", ',', "a;b");
    check_quote("a;b", ';', "\"a;b\"");
    check_quote("a\tb", '\t', "\"a\tb\"");
    check_quote("say \"hi\"", ',', "\"say \"\"hi\"\"\"");
    check_quote("\"", ',', "\"\"\"\"");
    check_quote("a\nb", ',', "\"a\nb\"");
    check_quote("a\rb", ',', "\"a\rb\"");
    check_quote("\xC3\xA9t\xC3\xA9", ',', "\xC3\xA9t\xC3\xA9");
}

/* Write n rows of awkward content through synth_csv_quote with line end eol; read back with
 * several chunk sizes and compare every cell and line number.  Crosses many 64 KiB blocks. */
static void test_large_roundtrip(void **state)
{
    (void)state;
    static const char *const eols[] = {"\n", "\r\n", "\r"};
    const int nrows = 20000;
    for (size_t e = 0; e < 3; e++) {
        const char *eol = eols[e];
        result file, want;
        memset(&file, 0, sizeof file);
        memset(&want, 0, sizeof want);
        out_str(&file, "id,text,num\n");
        out_str(&want, "H:id|text|num\n");
        uint64_t line = 2;
        for (int i = 0; i < nrows; i++) {
            char text[600], q[1300], row[1400];
            switch (i % 6) {
            case 0:
                snprintf(text, sizeof text, "plain %d", i);
                break;
            case 1:
                snprintf(text, sizeof text, "comma, \"quote\" %d", i);
                break;
            case 2:
                snprintf(text, sizeof text, "two%slines %d", eol, i);
                break;
            case 3:
                snprintf(text, sizeof text, " %*d ", 500, i);
                break;
            case 4:
                snprintf(text, sizeof text, "%s", "");
                break;
            default:
                snprintf(text, sizeof text, "\xC3\xA9\xE2\x82\xAC%s%s%d", eol, eol, i);
                break;
            }
            size_t qn = synth_csv_quote(q, text, strlen(text), ',');
            q[qn] = '\0';
            snprintf(row, sizeof row, "%d,%s,%d%s", i, q, i * 7, eol);
            out_str(&file, row);
            snprintf(row, sizeof row, "L%llu:%d|%s|%d\n", (unsigned long long)line, i, text, i * 7);
            out_str(&want, row);
            line += 1 + (i % 6 == 2 ? 1 : 0) + (i % 6 == 5 ? 2 : 0);
            if (i % 100 == 99) {     /* some empty lines */
                out_str(&file, eol);
                line++;
            }
        }
        const char *p = write_tmp(file.out, file.len);
        static const size_t chunks[] = {1, 7, 1000, 65536};
        for (size_t c = 0; c < 4; c++) {
            synth_csv_options o;
            synth_csv_options_init(&o);
            o.chunk_rows = chunks[c];
            result r;
            int rc = read_all(p, &o, &r);
            if (rc != 0)
                print_error("%s\n", r.msg);
            assert_int_equal(rc, 0);
            assert_int_equal(r.stats.rows, (uint64_t)nrows);
            assert_int_equal(r.stats.bytes, file.len);
            assert_string_equal(r.out, want.out);
            if (chunks[c] >= 1000)
                assert_true(r.max_chunk_rows <= chunks[c] + chunks[c] / 4 + 16);
            result_free(&r);
        }
        result_free(&file);
        result_free(&want);
    }
}

/* Every allocation failure while opening and reading becomes SYNTH_NOMEM, without a leak (the
 * sanitizer build checks leaks) or a crash. */
static void run_alloc_failures(const char *path, size_t chunk_rows)
{
    synth_csv_options o;
    synth_csv_options_init(&o);
    o.chunk_rows = chunk_rows;
    result good;
    assert_int_equal(read_all(path, &o, &good), 0);
    synth_alloc_fail_after(-1, 0);
    result r;
    assert_int_equal(read_all(path, &o, &r), 0);
    long total = synth_alloc_fail_after(-1, 0);
    result_free(&r);
    assert_true(total > 3);
    for (int sticky = 0; sticky <= 1; sticky++) {
        for (long n = 0; n <= total; n++) {
            synth_alloc_fail_after(n, sticky);
            int rc = read_all(path, &o, &r);
            synth_alloc_fail_after(-1, 0);
            if (rc == 0) {
                /* non-sticky: libcsv retries a failed buffer growth with a smaller step */
                assert_true(n == total || !sticky);
                assert_string_equal(r.out, good.out);
            } else {
                assert_int_equal(rc, SYNTH_NOMEM);
                assert_non_null(strstr(r.msg, "out of memory"));
                assert_true(n < total);
            }
            result_free(&r);
        }
    }
    result_free(&good);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    result file;
    memset(&file, 0, sizeof file);
    out_str(&file, "\xEF\xBB\xBF" "a,,c\n");
    for (int i = 0; i < 40; i++) {
        char row[64];
        snprintf(row, sizeof row, "%d,\"x\ny\",%d\n", i, i);
        out_str(&file, row);
    }
    out_str(&file, "big,\"");
    for (int i = 0; i < 3000; i++)
        out_str(&file, "0123456789");
    out_str(&file, "\",z\n1,2,3\n");
    const char *p = write_tmp(file.out, file.len);
    result_free(&file);
    run_alloc_failures(p, 3);
    run_alloc_failures(p, 65536);
    synth_alloc_fail_after(0, 1);
    result r;
    assert_int_equal(read_all(p, NULL, &r), SYNTH_NOMEM);
    synth_alloc_fail_after(-1, 0);
    result_free(&r);
}

static void test_bad_options(void **state)
{
    (void)state;
    const char *p = WRITE("a\n1\n");
    synth_csv_options o;
    synth_csv_options_init(&o);
    o.chunk_rows = 0;
    result r;
    assert_int_equal(read_all(p, &o, &r), SYNTH_USAGE);
    result_free(&r);
    synth_csv_options_init(&o);
    o.max_columns = 0;
    assert_int_equal(read_all(p, &o, &r), SYNTH_USAGE);
    result_free(&r);
    synth_csv_options_init(&o);
    o.delimiter = '\n';
    assert_int_equal(read_all(p, &o, &r), SYNTH_USAGE);
    result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversize_streaming),
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_after_quote_error),
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_delimiters),
        cmocka_unit_test(test_spaces_preserved),
        cmocka_unit_test(test_chunking),
        cmocka_unit_test(test_line_numbers_after_multiline),
        cmocka_unit_test(test_ragged),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_oversize_boundary),
        cmocka_unit_test(test_unterminated),
        cmocka_unit_test(test_skip_bad_rows),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_header_names),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_large_roundtrip),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
