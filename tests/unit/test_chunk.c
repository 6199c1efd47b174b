/* test_chunk.c -- unit tests of chunks and the CSV formatter (src/chunk.c): each column type's
 * text (integer rounding, float decimals, datetime layouts, quoted categories, null spellings,
 * integer/prefixed/UUID/hex ids, quoted text), header quoting, a read-back of everything through
 * the CSV reader, buffer growth and allocation failures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "chunk.h"
#include "csv_reader.h"
#include "datetime.h"
#include "schema.h"
#include "test_util.h"

static int group_setup(void **state)
{
    (void)state;
    return tu_make_dir("chunk");
}

static int group_teardown(void **state)
{
    (void)state;
    return tu_drop_dir();
}

/* ---- hand-built schemas -------------------------------------------------------------------------- */

static synth_schema *schema_new(size_t ncols)
{
    synth_schema *s = synth_calloc(1, sizeof *s);
    assert_non_null(s);
    s->cols = synth_calloc(ncols, sizeof *s->cols);
    assert_non_null(s->cols);
    s->ncols = ncols;
    return s;
}

static synth_column *col_set(synth_schema *s, size_t i, const char *name, synth_col_type t)
{
    synth_column *c = &s->cols[i];
    c->name = synth_strdup(name);
    c->null_token = synth_strdup("");
    c->type = t;
    assert_non_null(c->name);
    assert_non_null(c->null_token);
    return c;
}

static void col_null_token(synth_column *c, const char *tok)
{
    synth_free(c->null_token);
    c->null_token = synth_strdup(tok);
}

static void col_categories(synth_column *c, const char *const *vals, size_t n)
{
    c->categories = synth_calloc(n, sizeof *c->categories);
    assert_non_null(c->categories);
    for (size_t i = 0; i < n; i++) {
        c->categories[i].value = synth_strdup(vals[i]);
        c->categories[i].count = n - i;
    }
    c->ncategories = n;
}

/* Format all rows of ch; returns a NUL-terminated synth_malloc'ed text. */
static char *format(const synth_schema *s, const synth_chunk *ch, char delimiter, uint64_t seed)
{
    synth_formatter *f = NULL;
    synth_err err;
    assert_int_equal(synth_formatter_new(&f, s, delimiter, seed, &err), SYNTH_OK);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    assert_int_equal(synth_formatter_rows(f, ch, &buf, &len, &cap, &err), SYNTH_OK);
    assert_true(len < cap);
    buf[len] = '\0';
    assert_int_equal(strlen(buf), len);
    synth_formatter_free(f);
    return buf;
}

static char *header(const synth_schema *s, char delimiter)
{
    synth_formatter *f = NULL;
    synth_err err;
    assert_int_equal(synth_formatter_new(&f, s, delimiter, 0, &err), SYNTH_OK);
    char *h = NULL;
    size_t len = 0;
    assert_int_equal(synth_formatter_header(f, &h, &len, &err), SYNTH_OK);
    char *out = synth_strndup(h, len);
    synth_free(h);
    synth_formatter_free(f);
    return out;
}

/* A one-column chunk of numbers. */
static synth_chunk *numbers(const double *v, size_t n)
{
    synth_chunk *ch = synth_chunk_new(1, n);
    assert_non_null(ch);
    ch->nrows = n;
    for (size_t i = 0; i < n; i++)
        ch->cells[i].num = v[i];
    return ch;
}

/* ---- numbers ---------------------------------------------------------------------------------------- */

static void test_integer_rounding(void **state)
{
    (void)state;
    synth_schema *s = schema_new(1);
    col_set(s, 0, "n", SYNTH_COL_INTEGER);
    const double v[] = {2.5, -2.5, 2.4999, -0.4, 0.5, 1e15, -7.0, 123456789012.0, 0.0, -0.0, 41.5000001};
    synth_chunk *ch = numbers(v, sizeof v / sizeof v[0]);
    char *out = format(s, ch, ',', 0);
    assert_string_equal(out, "3\n-3\n2\n0\n1\n1000000000000000\n-7\n123456789012\n0\n0\n42\n");
    synth_free(out);
    synth_chunk_free(ch);
    synth_schema_free(s);
}

static void test_float_decimals(void **state)
{
    (void)state;
    static const struct {
        int decimals;
        double v;
        const char *text;
    } cases[] = {
        {2, 3.14159, "3.14"},  {2, -0.001, "0.00"},   {2, 1.5, "1.50"},         {2, -12.345678, "-12.35"},
        {2, 0.0, "0.00"},      {2, 1e6, "1000000.00"}, {0, 2.5, "3"},           {0, -2.5, "-3"},
        {3, 1.5, "1.500"},     {1, 0.25, "0.3"},       {4, -0.00005, "-0.0001"}, {6, 123.456789, "123.456789"},
        {0, 0.4, "0"},         {1, 99.95, "100.0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        synth_schema *s = schema_new(1);
        col_set(s, 0, "x", SYNTH_COL_FLOAT)->decimals = cases[i].decimals;
        synth_chunk *ch = numbers(&cases[i].v, 1);
        char *out = format(s, ch, ',', 0);
        char want[64];
        snprintf(want, sizeof want, "%s\n", cases[i].text);
        if (strcmp(out, want) != 0)
            fail_msg("%.10g with %d decimals: '%s', expected '%s'", cases[i].v, cases[i].decimals, out, cases[i].text);
        synth_free(out);
        synth_chunk_free(ch);
        synth_schema_free(s);
    }
}

static void test_datetime_layouts(void **state)
{
    (void)state;
    double t = (double)synth_days_from_civil(2021, 3, 7) * 86400.0 + 3600.0 + 2 * 60 + 3;   /* 01:02:03 */
    static const struct {
        const char *pattern;
        double add;
        const char *text;
    } cases[] = {
        {"%Y-%m-%d", 0, "2021-03-07"},
        {"%Y-%m-%dT%H:%M:%SZ", 0, "2021-03-07T01:02:03Z"},
        {"%Y-%m-%d %H:%M:%S", 0, "2021-03-07 01:02:03"},
        {"%-m/%-d/%Y", 0, "3/7/2021"},
        {"%m/%d/%Y", 0, "03/07/2021"},
        {"%d.%m.%Y %H:%M", 0, "07.03.2021 01:02"},
        {"%Y-%m-%d %H:%M:%S.%3f", 0.125, "2021-03-07 01:02:03.125"},
        {"%H:%M:%S", 0, "01:02:03"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        synth_schema *s = schema_new(1);
        synth_column *c = col_set(s, 0, "d", SYNTH_COL_DATETIME);
        assert_int_equal(synth_dt_from_pattern(&c->dtfmt, cases[i].pattern), 0);
        double v = t + cases[i].add;
        synth_chunk *ch = numbers(&v, 1);
        char *out = format(s, ch, ',', 0);
        char want[64];
        snprintf(want, sizeof want, "%s\n", cases[i].text);
        if (strcmp(out, want) != 0)
            fail_msg("'%s': '%s', expected '%s'", cases[i].pattern, out, cases[i].text);
        synth_free(out);
        synth_chunk_free(ch);
        synth_schema_free(s);
    }
    /* a layout with a ',' in it is quoted; %f with inferred digits */
    synth_schema *s = schema_new(2);
    synth_column *c = col_set(s, 0, "d", SYNTH_COL_DATETIME);
    assert_int_equal(synth_dt_from_pattern(&c->dtfmt, "%d %m, %Y"), 0);
    c = col_set(s, 1, "e", SYNTH_COL_DATETIME);
    assert_int_equal(synth_dt_from_pattern(&c->dtfmt, "%H:%M:%S.%f"), 0);
    c->dtfmt.frac_digits = 2;
    synth_chunk *ch = synth_chunk_new(2, 1);
    ch->nrows = 1;
    ch->cells[0].num = t;
    ch->cells[1].num = 3600.5;
    char *out = format(s, ch, ',', 0);
    assert_string_equal(out, "\"07 03, 2021\",01:00:00.50\n");
    synth_free(out);
    synth_chunk_free(ch);
    synth_schema_free(s);
}

/* ---- categories, nulls ------------------------------------------------------------------------------- */

static const char *const tricky[] = {"plain", "a,b", "say \"hi\"", "line\nbreak", " Male", "cr\rx", "a;b", "\""};

static void test_categories_quoted(void **state)
{
    (void)state;
    const size_t n = sizeof tricky / sizeof tricky[0];
    synth_schema *s = schema_new(2);
    col_categories(col_set(s, 0, "c", SYNTH_COL_CATEGORICAL), tricky, n);
    static const char *const yn[] = {"yes", "no"};
    col_categories(col_set(s, 1, "b", SYNTH_COL_BOOLEAN), yn, 2);
    synth_chunk *ch = synth_chunk_new(2, n);
    ch->nrows = n;
    for (size_t i = 0; i < n; i++) {
        ch->cells[i].index = (int64_t)i;
        ch->cells[ch->cap + i].index = (int64_t)(i % 2);
    }
    char *out = format(s, ch, ',', 0);
    assert_string_equal(out, "plain,yes\n"
                             "\"a,b\",no\n"
                             "\"say \"\"hi\"\"\",yes\n"
                             "\"line\nbreak\",no\n"
                             " Male,yes\n"
                             "\"cr\rx\",no\n"
                             "a;b,yes\n"
                             "\"\"\"\",no\n");
    synth_free(out);
    out = format(s, ch, ';', 0);
    assert_string_equal(out, "plain;yes\n"
                             "a,b;no\n"
                             "\"say \"\"hi\"\"\";yes\n"
                             "\"line\nbreak\";no\n"
                             " Male;yes\n"
                             "\"cr\rx\";no\n"
                             "\"a;b\";yes\n"
                             "\"\"\"\";no\n");
    synth_free(out);
    synth_chunk_free(ch);
    synth_schema_free(s);
}

static void test_null_tokens(void **state)
{
    (void)state;
    synth_schema *s = schema_new(6);
    col_set(s, 0, "i", SYNTH_COL_INTEGER);
    col_null_token(col_set(s, 1, "f", SYNTH_COL_FLOAT), "NA");
    col_null_token(col_set(s, 2, "d", SYNTH_COL_DATETIME), "n,a");
    static const char *const cats[] = {"x"};
    synth_column *c = col_set(s, 3, "c", SYNTH_COL_CATEGORICAL);
    col_categories(c, cats, 1);
    col_null_token(c, " ?");
    col_null_token(col_set(s, 4, "t", SYNTH_COL_TEXT), "\"\"");
    col_null_token(col_set(s, 5, "b", SYNTH_COL_BOOLEAN), "null");
    col_categories(&s->cols[5], cats, 1);
    assert_int_equal(synth_dt_from_pattern(&s->cols[2].dtfmt, "%Y-%m-%d"), 0);
    synth_chunk *ch = synth_chunk_new(6, 2);
    ch->nrows = 2;
    for (size_t c2 = 0; c2 < 6; c2++) {
        ch->is_null[c2 * ch->cap + 0] = 1;   /* row 0: all null */
        ch->cells[c2 * ch->cap + 1].num = 1.0;
    }
    ch->cells[3 * ch->cap + 1].index = 0;
    ch->cells[5 * ch->cap + 1].index = 0;
    assert_int_equal(synth_chunk_put_text(ch, 4, 1, "w", 1), 0);
    char *out = format(s, ch, ',', 0);
    assert_string_equal(out, ",NA,\"n,a\", ?,\"\"\"\"\"\",null\n"
                             "1,1,1970-01-01,x,w,x\n");
    synth_free(out);
    synth_chunk_free(ch);
    synth_schema_free(s);
}

/* The buffer estimate counts each column's null text, id columns included (a 300-byte null
 * token in 1000 null rows would overrun an estimate made from the id width alone). */
static void test_long_null_token(void **state)
{
    (void)state;
    char tok[301];
    memset(tok, 'z', 300);
    tok[300] = '\0';
    synth_schema *s = schema_new(2);
    col_null_token(col_set(s, 0, "id", SYNTH_COL_ID), tok);
    col_null_token(col_set(s, 1, "n", SYNTH_COL_INTEGER), tok);
    const size_t n = 1000;
    synth_chunk *ch = synth_chunk_new(2, n);
    ch->nrows = n;
    memset(ch->is_null, 1, 2 * n);
    char *out = format(s, ch, ',', 0);
    assert_int_equal(strlen(out), n * 602);
    assert_memory_equal(out, tok, 300);
    synth_free(out);
    synth_chunk_free(ch);
    synth_schema_free(s);
}

/* One column: an empty cell must not become an empty line (which a reader skips). */
static void test_single_column_empty_cells(void **state)
{
    (void)state;
    synth_schema *s = schema_new(1);
    col_set(s, 0, "n", SYNTH_COL_INTEGER);
    synth_chunk *ch = synth_chunk_new(1, 3);
    ch->nrows = 3;
    ch->cells[0].num = 1;
    ch->is_null[1] = 1;
    ch->cells[2].num = 3;
    char *out = format(s, ch, ',', 0);
    assert_string_equal(out, "1\n\"\"\n3\n");
    synth_free(out);
    synth_chunk_free(ch);
    synth_schema_free(s);

    s = schema_new(1);
    col_set(s, 0, "t", SYNTH_COL_TEXT);
    ch = synth_chunk_new(1, 2);
    ch->nrows = 2;
    assert_int_equal(synth_chunk_put_text(ch, 0, 0, "", 0), 0);
    assert_int_equal(synth_chunk_put_text(ch, 0, 1, "x", 1), 0);
    out = format(s, ch, ',', 0);
    assert_string_equal(out, "\"\"\nx\n");
    synth_free(out);
    synth_chunk_free(ch);
    synth_schema_free(s);
}

/* ---- ids --------------------------------------------------------------------------------------------- */

static void test_id_integer_and_prefixed(void **state)
{
    (void)state;
    synth_schema *s = schema_new(6);
    col_set(s, 0, "id", SYNTH_COL_ID)->id_next = 100;
    synth_column *c = col_set(s, 1, "p", SYNTH_COL_ID);
    c->id_kind = SYNTH_ID_PREFIXED;
    c->id_prefix = synth_strdup("C");
    c->id_width = 6;
    c->id_next = 26;
    c = col_set(s, 2, "q", SYNTH_COL_ID);   /* a prefix that needs quoting: the whole field is quoted */
    c->id_kind = SYNTH_ID_PREFIXED;
    c->id_prefix = synth_strdup("a,\"b");
    c->id_width = 3;
    c->id_next = 1;
    c = col_set(s, 3, "r", SYNTH_COL_ID);   /* no prefix, no padding */
    c->id_kind = SYNTH_ID_PREFIXED;
    c->id_next = 7;
    c = col_set(s, 4, "u", SYNTH_COL_ID);   /* prefix with a space: not quoted */
    c->id_kind = SYNTH_ID_PREFIXED;
    c->id_prefix = synth_strdup("X ");
    c->id_next = 0;
    col_set(s, 5, "big", SYNTH_COL_ID)->id_next = INT64_C(9000000000000000000);
    synth_chunk *ch = synth_chunk_new(6, 3);
    ch->nrows = 3;
    const int64_t rows[] = {0, 5, 999999};
    for (size_t c2 = 0; c2 < 6; c2++)
        for (size_t r = 0; r < 3; r++)
            ch->cells[c2 * ch->cap + r].index = rows[r];
    char *out = format(s, ch, ',', 0);
    assert_string_equal(out, "100,C000026,\"a,\"\"b001\",7,X 0,9000000000000000000\n"
                             "105,C000031,\"a,\"\"b006\",12,X 5,9000000000000000005\n"
                             "1000099,C1000025,\"a,\"\"b1000000\",1000006,X 999999,9000000000000999999\n");
    synth_free(out);
    synth_chunk_free(ch);
    synth_schema_free(s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_lower_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

/* UUIDs: 8-4-4-4-12 lowercase hex, version 4, variant 10xx; hex ids: 32 lowercase hex digits.
 * Both unique over 100k rows, stable for a seed, different for another seed or column. */
static void test_id_uuid_and_hex(void **state)
{
    (void)state;
    const size_t n = 100000;
    synth_schema *s = schema_new(2);
    col_set(s, 0, "u", SYNTH_COL_ID)->id_kind = SYNTH_ID_UUID;
    col_set(s, 1, "h", SYNTH_COL_ID)->id_kind = SYNTH_ID_HEX;
    synth_chunk *ch = synth_chunk_new(2, n);
    assert_non_null(ch);
    ch->nrows = n;
    for (size_t r = 0; r < n; r++)
        ch->cells[r].index = ch->cells[ch->cap + r].index = (int64_t)r;
    char *out = format(s, ch, ',', 42);
    assert_int_equal(strlen(out), n * (36 + 1 + 32 + 1));
    char first[4 * 70 + 1];
    memcpy(first, out, 4 * 70);
    first[4 * 70] = '\0';
    char **uu = malloc(n * sizeof *uu), **hh = malloc(n * sizeof *hh);
    assert_non_null(uu);
    assert_non_null(hh);
    char *line = out;
    for (size_t r = 0; r < n; r++, line += 70) {
        assert_int_equal(line[36], ',');
        assert_int_equal(line[69], '\n');
        line[36] = line[69] = '\0';
        for (int i = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (line[i] != '-')
                    fail_msg("row %zu: '%s' is not 8-4-4-4-12", r, line);
            } else if (!is_lower_hex(line[i])) {
                fail_msg("row %zu: '%s' has a non-hex digit", r, line);
            }
        }
        if (line[14] != '4' || strchr("89ab", line[19]) == NULL)
            fail_msg("row %zu: '%s' is not a version-4 variant-1 UUID", r, line);
        for (int i = 0; i < 32; i++)
            assert_true(is_lower_hex(line[37 + i]));
        uu[r] = line;
        hh[r] = line + 37;
    }
    qsort(uu, n, sizeof *uu, cmp_str);
    qsort(hh, n, sizeof *hh, cmp_str);
    for (size_t r = 1; r < n; r++) {
        if (strcmp(uu[r - 1], uu[r]) == 0)
            fail_msg("duplicate UUID %s", uu[r]);
        if (strcmp(hh[r - 1], hh[r]) == 0)
            fail_msg("duplicate hex id %s", hh[r]);
    }
    free(uu);
    free(hh);

    /* the same seed gives the same ids; another seed other ids; the two columns differ */
    ch->nrows = 4;
    char *a = format(s, ch, ',', 42), *b = format(s, ch, ',', 42), *c = format(s, ch, ',', 43);
    assert_string_equal(a, b);
    assert_string_equal(a, first);   /* a row's id does not depend on the chunk it is in */
    assert_true(strncmp(a, c, 36) != 0);
    assert_true(strncmp(a + 4, a + 37 + 4, 8) != 0);
    synth_free(a);
    synth_free(b);
    synth_free(c);
    synth_free(out);
    synth_chunk_free(ch);
    synth_schema_free(s);
}

/* ---- text, header ------------------------------------------------------------------------------------- */

static void test_text_cells(void **state)
{
    (void)state;
    static const char *const texts[] = {"plain words", "hello, world", "say \"x\"", "multi\nline", "", " lead"};
    const size_t n = sizeof texts / sizeof texts[0];
    synth_schema *s = schema_new(2);
    col_set(s, 0, "t", SYNTH_COL_TEXT);
    col_set(s, 1, "k", SYNTH_COL_INTEGER);
    synth_chunk *ch = synth_chunk_new(2, n);
    ch->nrows = n;
    for (size_t r = 0; r < n; r++) {
        assert_int_equal(synth_chunk_put_text(ch, 0, r, texts[r], strlen(texts[r])), 0);
        ch->cells[ch->cap + r].num = (double)r;
    }
    char *out = format(s, ch, ',', 0);
    assert_string_equal(out, "plain words,0\n"
                             "\"hello, world\",1\n"
                             "\"say \"\"x\"\"\",2\n"
                             "\"multi\nline\",3\n"
                             ",4\n"
                             " lead,5\n");
    synth_free(out);
    synth_chunk_free(ch);
    synth_schema_free(s);
}

static void test_header_quoting(void **state)
{
    (void)state;
    static const char *const names[] = {"a", "b,c", "d\"e", "f g", "h\ni", "j;k"};
    synth_schema *s = schema_new(6);
    for (size_t i = 0; i < 6; i++)
        col_set(s, i, names[i], SYNTH_COL_INTEGER);
    char *h = header(s, ',');
    assert_string_equal(h, "a,\"b,c\",\"d\"\"e\",f g,\"h\ni\",j;k\n");
    synth_free(h);
    h = header(s, ';');
    assert_string_equal(h, "a;b,c;\"d\"\"e\";f g;\"h\ni\";\"j;k\"\n");
    synth_free(h);
    synth_schema_free(s);
}

/* Everything written is read back by the CSV reader as the same cells. */
static void test_read_back(void **state)
{
    (void)state;
    const size_t nt = sizeof tricky / sizeof tricky[0];
    synth_schema *s = schema_new(5);
    col_categories(col_set(s, 0, "cat,egory", SYNTH_COL_CATEGORICAL), tricky, nt);
    col_set(s, 1, "text\"", SYNTH_COL_TEXT);
    synth_column *p = col_set(s, 2, "pid", SYNTH_COL_ID);
    p->id_kind = SYNTH_ID_PREFIXED;
    p->id_prefix = synth_strdup("k,\"");
    p->id_width = 4;
    col_null_token(col_set(s, 3, "n", SYNTH_COL_FLOAT), "N,A");
    s->cols[3].decimals = 2;
    col_set(s, 4, "u", SYNTH_COL_ID)->id_kind = SYNTH_ID_UUID;
    const size_t n = 200;
    synth_chunk *ch = synth_chunk_new(5, n);
    ch->nrows = n;
    char text[64];
    for (size_t r = 0; r < n; r++) {
        ch->cells[r].index = (int64_t)(r % nt);
        snprintf(text, sizeof text, "%s %zu%s", tricky[(r * 3) % nt], r, r % 5 ? "" : ",\n\"");
        assert_int_equal(synth_chunk_put_text(ch, 1, r, text, strlen(text)), 0);
        ch->cells[2 * ch->cap + r].index = (int64_t)r;
        ch->is_null[3 * ch->cap + r] = r % 4 == 0;
        ch->cells[3 * ch->cap + r].num = (double)r / 8.0;
        ch->cells[4 * ch->cap + r].index = (int64_t)r;
    }
    for (int d = 0; d < 2; d++) {
        char delim = d ? '\t' : ',';
        char *h = header(s, delim), *rows = format(s, ch, delim, 9);
        tu_buf all = {0};
        tu_add(&all, "%s%s", h, rows);
        char path[256];
        tu_path(path, sizeof path, ".csv");
        tu_write(path, all.p, all.len);
        synth_csv_options o;
        synth_csv_options_init(&o);
        o.delimiter = delim;
        synth_csv_reader *rd = NULL;
        synth_err err;
        assert_int_equal(synth_csv_reader_open(&rd, path, &o, &err), SYNTH_OK);
        assert_int_equal(synth_csv_reader_ncols(rd), 5);
        for (size_t c = 0; c < 5; c++)
            assert_string_equal(synth_csv_reader_column_name(rd, c), s->cols[c].name);
        const synth_csv_chunk *cc;
        size_t seen = 0;
        while (synth_csv_reader_next(rd, &cc, &err) == 1) {
            for (size_t r = 0; r < cc->nrows; r++, seen++) {
                size_t len;
                assert_string_equal(synth_csv_cell(cc, r, 0, &len), tricky[seen % nt]);
                snprintf(text, sizeof text, "%s %zu%s", tricky[(seen * 3) % nt], seen, seen % 5 ? "" : ",\n\"");
                assert_string_equal(synth_csv_cell(cc, r, 1, &len), text);
                char want[32];
                snprintf(want, sizeof want, "k,\"%04zu", seen);
                assert_string_equal(synth_csv_cell(cc, r, 2, &len), want);
                if (seen % 4 == 0)
                    snprintf(want, sizeof want, "N,A");
                else
                    snprintf(want, sizeof want, "%.2f", (double)seen / 8.0 + 1e-9);
                assert_string_equal(synth_csv_cell(cc, r, 3, &len), want);
                assert_int_equal(strlen(synth_csv_cell(cc, r, 4, &len)), 36);
            }
        }
        assert_int_equal(seen, n);
        synth_csv_reader_free(rd);
        synth_free(h);
        synth_free(rows);
        tu_buf_free(&all);
    }
    synth_chunk_free(ch);
    synth_schema_free(s);
}

/* ---- buffers, scratch, allocation failures ---------------------------------------------------------------- */

static void test_buffer_growth(void **state)
{
    (void)state;
    synth_schema *s = schema_new(2);
    col_set(s, 0, "t", SYNTH_COL_TEXT);
    col_set(s, 1, "n", SYNTH_COL_INTEGER);
    const size_t n = 300;
    synth_chunk *ch = synth_chunk_new(2, n);
    ch->nrows = n;
    char *big = malloc(5000);
    memset(big, '"', 5000);   /* every byte doubles when quoted: worst case */
    for (size_t r = 0; r < n; r++) {
        assert_int_equal(synth_chunk_put_text(ch, 0, r, big, 1 + r * 16), 0);
        ch->cells[ch->cap + r].num = (double)r;
    }
    assert_true(ch->arena_cap >= ch->arena_len);
    synth_formatter *f;
    synth_err err;
    assert_int_equal(synth_formatter_new(&f, s, ',', 0, &err), SYNTH_OK);
    char *buf = synth_malloc(8);
    size_t len = 3, cap = 8;
    memcpy(buf, "hdr", 3);
    assert_int_equal(synth_formatter_rows(f, ch, &buf, &len, &cap, &err), SYNTH_OK);
    size_t one = len - 3;
    assert_int_equal(synth_formatter_rows(f, ch, &buf, &len, &cap, &err), SYNTH_OK);   /* appends */
    assert_int_equal(len, 3 + 2 * one);
    assert_true(len <= cap);
    assert_memory_equal(buf, "hdr", 3);
    assert_memory_equal(buf + 3, buf + 3 + one, one);
    /* expected size: each text cell 2*len+2, the number, ',' and '\n' */
    size_t want = 0;
    char num[32];
    for (size_t r = 0; r < n; r++)
        want += 2 * (1 + r * 16) + 2 + (size_t)snprintf(num, sizeof num, "%zu", r) + 2;
    assert_int_equal(one, want);
    synth_free(buf);
    free(big);
    synth_formatter_free(f);
    synth_chunk_free(ch);
    synth_schema_free(s);
}

static void test_scratch(void **state)
{
    (void)state;
    synth_chunk *ch = synth_chunk_new(3, 10);
    assert_int_equal(ch->ncols, 3);
    assert_int_equal(ch->cap, 10);
    for (size_t i = 0; i < 30; i++)
        assert_int_equal(ch->is_null[i], 0);
    char *a = synth_chunk_scratch(ch, 100);
    assert_non_null(a);
    memset(a, 7, 100);
    assert_ptr_equal(synth_chunk_scratch(ch, 50), a);   /* smaller: kept */
    char *b = synth_chunk_scratch(ch, 1 << 20);
    assert_non_null(b);
    assert_int_equal(b[99], 7);   /* grown with its content */
    synth_alloc_fail_after(0, 0);
    assert_null(synth_chunk_scratch(ch, 2 << 20));
    synth_alloc_fail_after(-1, 0);
    assert_ptr_equal(synth_chunk_scratch(ch, 1 << 20), b);   /* failure left the old one */
    synth_chunk_free(ch);
    synth_chunk_free(NULL);
    synth_formatter_free(NULL);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    synth_schema *s = schema_new(4);
    col_categories(col_set(s, 0, "c", SYNTH_COL_CATEGORICAL), tricky, sizeof tricky / sizeof tricky[0]);
    col_null_token(col_set(s, 1, "n", SYNTH_COL_INTEGER), "NA");
    col_set(s, 2, "t", SYNTH_COL_TEXT);
    col_categories(col_set(s, 3, "b", SYNTH_COL_BOOLEAN), tricky, 2);
    synth_err err;
    long n;
    synth_formatter *f = NULL;
    for (n = 0;; n++) {
        synth_alloc_fail_after(n, 0);
        int rc = synth_formatter_new(&f, s, ',', 0, &err);
        synth_alloc_fail_after(-1, 0);
        if (rc == SYNTH_OK)
            break;
        assert_int_equal(rc, SYNTH_NOMEM);
        assert_null(f);
        assert_true(n < 100);
    }
    assert_true(n > 5);
    for (n = 0; n < 3; n++) {
        synth_alloc_fail_after(n, 0);
        synth_chunk *ch = synth_chunk_new(4, 16);
        synth_alloc_fail_after(-1, 0);
        assert_null(ch);
    }
    synth_chunk *ch = synth_chunk_new(4, 16);
    ch->nrows = 16;
    synth_alloc_fail_after(0, 0);
    assert_int_equal(synth_chunk_put_text(ch, 2, 0, "abc", 3), SYNTH_NOMEM);
    synth_alloc_fail_after(-1, 0);
    for (size_t r = 0; r < 16; r++)
        assert_int_equal(synth_chunk_put_text(ch, 2, r, "abc", 3), 0);
    char *buf = NULL, *hdr = NULL;
    size_t len = 0, cap = 0;
    synth_alloc_fail_after(0, 0);
    assert_int_equal(synth_formatter_rows(f, ch, &buf, &len, &cap, &err), SYNTH_NOMEM);
    assert_int_equal(synth_formatter_header(f, &hdr, &len, &err), SYNTH_OK);   /* non-sticky: next succeeds */
    synth_free(hdr);
    synth_alloc_fail_after(0, 0);
    assert_int_equal(synth_formatter_header(f, &hdr, &len, &err), SYNTH_NOMEM);
    synth_alloc_fail_after(-1, 0);
    assert_null(buf);
    assert_int_equal(cap, 0);
    assert_int_equal(synth_formatter_rows(f, ch, &buf, &len, &cap, &err), SYNTH_OK);
    synth_free(buf);
    synth_chunk_free(ch);
    synth_formatter_free(f);
    synth_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_rounding),
        cmocka_unit_test(test_float_decimals),
        cmocka_unit_test(test_datetime_layouts),
        cmocka_unit_test(test_categories_quoted),
        cmocka_unit_test(test_null_tokens),
        cmocka_unit_test(test_long_null_token),
        cmocka_unit_test(test_single_column_empty_cells),
        cmocka_unit_test(test_id_integer_and_prefixed),
        cmocka_unit_test(test_id_uuid_and_hex),
        cmocka_unit_test(test_text_cells),
        cmocka_unit_test(test_header_quoting),
        cmocka_unit_test(test_read_back),
        cmocka_unit_test(test_buffer_growth),
        cmocka_unit_test(test_scratch),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
