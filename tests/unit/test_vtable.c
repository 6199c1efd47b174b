/* test_vtable.c -- unit tests of typed row samples and their encoding (validation/vtable.c):
 * reading with columns in another order, missing/extra column and bad-number errors (with line
 * numbers), unknown categories -> "other", the reservoir's size, exact membership and
 * determinism for a seed, header-only files; encoder widths and exact encoded rows (one-hot
 * positions, scaling, clamping, null indicators, constant and id columns, the excluded column);
 * allocation-failure injection for reading and encoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "infer.h"
#include "rng.h"
#include "schema.h"
#include "vtable.h"
#include "test_util.h"

static int group_setup(void **state)
{
    (void)state;
    return tu_make_dir("vtable");
}

static int group_teardown(void **state)
{
    (void)state;
    return tu_drop_dir();
}

/* id (id), n (integer 1..3), x (float 0.5..1.5, one null), cat (red, blue), flag (yes, no),
 * k (integer, constant 7). */
static const char *const REF_CSV = "id,n,x,cat,flag,k\n"
                                   "1,1,0.5,red,yes,7\n"
                                   "2,2,1.5,blue,no,7\n"
                                   "3,3,,red,yes,7\n";

static synth_schema *infer_schema(const char *csv)
{
    synth_infer_options o;
    synth_infer_options_init(&o);
    o.progress = SYNTH_PROGRESS_NEVER;
    synth_schema *s = NULL;
    synth_err err;
    if (synth_infer_csv(tu_file(".csv", csv), &o, &s, NULL, NULL, &err) != 0)
        fail_msg("infer: %s", err.msg);
    return s;
}

static synth_schema *ref_schema(void)
{
    synth_schema *s = infer_schema(REF_CSV);
    assert_int_equal(s->ncols, 6);
    static const synth_col_type want[6] = {SYNTH_COL_ID,          SYNTH_COL_INTEGER, SYNTH_COL_FLOAT,
                                           SYNTH_COL_CATEGORICAL, SYNTH_COL_BOOLEAN, SYNTH_COL_INTEGER};
    for (size_t c = 0; c < 6; c++)
        assert_int_equal(s->cols[c].type, want[c]);
    assert_string_equal(s->cols[3].categories[0].value, "red");
    assert_string_equal(s->cols[3].categories[1].value, "blue");
    assert_string_equal(s->cols[4].categories[0].value, "yes");
    assert_string_equal(s->cols[4].categories[1].value, "no");
    return s;
}

static synth_vtable *read_ok(const char *path, const synth_schema *s, size_t max_rows, uint64_t seed)
{
    synth_vtable *t = NULL;
    synth_err err;
    if (synth_vtable_read_csv(path, s, max_rows, seed, NULL, &t, &err) != 0)
        fail_msg("read %s: %s", path, err.msg);
    assert_non_null(t);
    return t;
}

/* NaN-aware equality of doubles. */
static void assert_same(double got, double want, const char *what, size_t r, size_t c)
{
    if (isnan(want) ? !isnan(got) : got != want)
        fail_msg("%s (%zu, %zu): got %g, expected %g", what, r, c, got, want);
}

/* ---- reading -------------------------------------------------------------------------------------- */

static void test_read_reordered(void **state)
{
    (void)state;
    synth_schema *s = ref_schema();
    const char *path = tu_file(".csv", "flag,k,cat,x,n,id\n"
                                       "no,7,green,2.5,4,10\n"
                                       "yes,7,red,,5,11\n"
                                       ",NA,blue,0.25,NA,12\n");
    synth_vtable *t = read_ok(path, s, 0, 1);
    assert_int_equal(t->nrows, 3);
    assert_int_equal(t->ncols, 6);
    assert_int_equal(t->rows_seen, 3);
    assert_int_equal(t->sampled, 0);
    /* schema order: id, n, x, cat, flag, k; green is not a category -> 2 ("other") */
    const double want[3][6] = {
        {NAN, 4, 2.5, 2, 1, 7},
        {NAN, 5, NAN, 0, 0, 7},
        {NAN, NAN, 0.25, 1, NAN, NAN},
    };
    for (size_t r = 0; r < 3; r++)
        for (size_t c = 0; c < 6; c++)
            assert_same(t->v[r * 6 + c], want[r][c], "cell", r, c);
    synth_vtable_free(t);
    synth_schema_free(s);
}

static void test_column_errors(void **state)
{
    (void)state;
    synth_schema *s = ref_schema();
    synth_vtable *t = (synth_vtable *)1;
    synth_err err;

    const char *missing = tu_file(".csv", "id,n,x,cat,k\n1,1,0.5,red,7\n");
    assert_int_equal(synth_vtable_read_csv(missing, s, 0, 0, NULL, &t, &err), SYNTH_BAD_INPUT);
    assert_null(t);
    tu_assert_contains(err.msg, missing);
    tu_assert_contains(err.msg, "missing column 'flag'");

    const char *extra = tu_file(".csv", "id,n,x,cat,flag,k,zip\n1,1,0.5,red,yes,7,9\n");
    assert_int_equal(synth_vtable_read_csv(extra, s, 0, 0, NULL, &t, &err), SYNTH_BAD_INPUT);
    assert_null(t);
    tu_assert_contains(err.msg, extra);
    tu_assert_contains(err.msg, "column 'zip' is not in the schema");

    /* the bad value is found in a row the reservoir does not keep too (max_rows 1) */
    const char *bad = tu_file(".csv", "id,n,x,cat,flag,k\n1,1,0.5,red,yes,7\n2,1,0.5,red,yes,7\n3,abc,1,red,no,7\n");
    assert_int_equal(synth_vtable_read_csv(bad, s, 1, 0, NULL, &t, &err), SYNTH_BAD_INPUT);
    assert_null(t);
    tu_assert_contains(err.msg, bad);
    tu_assert_contains(err.msg, "line 4, column 'n': 'abc' is not a valid integer");

    const char *badf = tu_file(".csv", "id,n,x,cat,flag,k\n1,1,x1,red,yes,7\n");
    assert_int_equal(synth_vtable_read_csv(badf, s, 0, 0, NULL, &t, &err), SYNTH_BAD_INPUT);
    tu_assert_contains(err.msg, "line 2, column 'x': 'x1' is not a valid float");

    assert_int_equal(synth_vtable_read_csv("/nonexistent/x.csv", s, 0, 0, NULL, &t, &err), SYNTH_IO);
    assert_null(t);
    synth_schema_free(s);
}

static void test_header_only(void **state)
{
    (void)state;
    synth_schema *s = ref_schema();
    synth_vtable *t = read_ok(tu_file(".csv", "k,id,n,x,cat,flag\n"), s, 10, 0);
    assert_int_equal(t->nrows, 0);
    assert_int_equal(t->rows_seen, 0);
    assert_int_equal(t->sampled, 0);
    synth_vtable_free(t);
    synth_schema_free(s);
}

/* The reservoir, recomputed here the way vtable.h documents it. */
static void expected_reservoir(size_t rows, size_t cap, uint64_t seed, double *slots)
{
    for (size_t i = 0; i < rows; i++) {
        if (i < cap) {
            slots[i] = (double)i;
            continue;
        }
        synth_rng rng;
        synth_rng_init(&rng, seed, i, SYNTH_STREAM_FIT);
        uint64_t j = synth_rng_below(&rng, i + 1);
        if (j < cap)
            slots[j] = (double)i;
    }
}

static void test_reservoir(void **state)
{
    (void)state;
    tu_buf b = {0};
    tu_add(&b, "v\n");
    for (int i = 0; i < 5000; i++)
        tu_add(&b, "%d\n", i);
    /* a one-column schema: v is an integer column (not an id: no id-like name, and repeats
     * are not needed because we only use the schema's type) */
    synth_schema *s = infer_schema("v\n1\n1\n2\n");
    assert_int_equal(s->cols[0].type, SYNTH_COL_INTEGER);
    const char *path = tu_file(".csv", b.p);
    tu_buf_free(&b);

    synth_csv_options csv;
    synth_csv_options_init(&csv);
    csv.chunk_rows = 700;   /* several chunks */
    synth_vtable *a = NULL, *a2 = NULL, *c = NULL, *all = NULL;
    synth_err err;
    assert_int_equal(synth_vtable_read_csv(path, s, 300, 42, &csv, &a, &err), 0);
    assert_int_equal(synth_vtable_read_csv(path, s, 300, 42, NULL, &a2, &err), 0);
    assert_int_equal(synth_vtable_read_csv(path, s, 300, 43, NULL, &c, &err), 0);
    assert_int_equal(synth_vtable_read_csv(path, s, 10000, 42, NULL, &all, &err), 0);
    assert_int_equal(a->nrows, 300);
    assert_int_equal(a->rows_seen, 5000);
    assert_int_equal(a->sampled, 1);
    /* same seed: the same sample, whatever the chunk size; and exactly Algorithm R */
    assert_memory_equal(a->v, a2->v, 300 * sizeof(double));
    double want[300];
    expected_reservoir(5000, 300, 42, want);
    assert_memory_equal(a->v, want, sizeof want);
    /* another seed: another sample */
    assert_true(memcmp(a->v, c->v, 300 * sizeof(double)) != 0);
    /* distinct rows; roughly uniform (mean of 300 draws from 0..4999 is 2499.5 +- ~83) */
    double sum = 0;
    for (size_t i = 0; i < 300; i++) {
        sum += a->v[i];
        for (size_t j = 0; j < i; j++)
            assert_true(a->v[i] != a->v[j]);
    }
    assert_true(fabs(sum / 300 - 2499.5) < 350);
    /* a limit above the row count keeps every row in order */
    assert_int_equal(all->nrows, 5000);
    assert_int_equal(all->sampled, 0);
    for (size_t i = 0; i < 5000; i++)
        assert_true(all->v[i] == (double)i);
    synth_vtable_free(a);
    synth_vtable_free(a2);
    synth_vtable_free(c);
    synth_vtable_free(all);
    synth_schema_free(s);
}

static void test_datetime_and_nulls(void **state)
{
    (void)state;
    synth_schema *s = infer_schema("when,amount\n2021-01-01,1\n2021-01-02,N/A\n2021-01-03,3\n");
    assert_int_equal(s->cols[0].type, SYNTH_COL_DATETIME);
    synth_vtable *t = read_ok(tu_file(".csv", "amount,when\nNULL,2021-01-02\n4,\n"), s, 0, 0);
    assert_same(t->v[0], 1609545600.0, "when", 0, 0);
    assert_same(t->v[1], NAN, "amount", 0, 1);
    assert_same(t->v[2], NAN, "when", 1, 0);
    assert_same(t->v[3], 4, "amount", 1, 1);
    synth_vtable_free(t);
    synth_err err;
    assert_int_equal(synth_vtable_read_csv(tu_file(".csv", "amount,when\n1,yesterday\n"), s, 0, 0, NULL, &t, &err),
                     SYNTH_BAD_INPUT);
    tu_assert_contains(err.msg, "line 2, column 'when': 'yesterday' is not a valid datetime");
    synth_schema_free(s);
}

/* ---- encoder ------------------------------------------------------------------------------------ */

static void assert_row(const float *got, const float *want, size_t w, const char *what)
{
    for (size_t i = 0; i < w; i++)
        if (got[i] != want[i])
            fail_msg("%s: slot %zu is %g, expected %g", what, i, (double)got[i], (double)want[i]);
}

static void test_encoder(void **state)
{
    (void)state;
    synth_schema *s = ref_schema();
    synth_vtable *ref = read_ok(tu_file(".csv", REF_CSV), s, 0, 0);
    synth_encoder *enc = NULL;
    synth_err err;
    assert_int_equal(synth_encoder_new(s, ref, -1, &enc, &err), 0);
    /* id: none; n: 1 (no nulls in the reference); x: 1 + null indicator; cat: 2 + other + null;
     * flag: 2 + other + null; k: 1 */
    assert_int_equal(synth_encoder_width(enc), 12);

    /* id, n, x, cat, flag, k */
    const double rows[5][6] = {
        {1, 1, 0.5, 0, 0, 7},        /* the reference minimum */
        {NAN, 2, 1.0, 1, 1, 7},      /* mid-range; blue; no */
        {9, 4, 2.5, 2, 1, 8},        /* above the range -> 1; "other" */
        {9, 0, NAN, 0, 0, 6},        /* below -> 0; x null -> 0 + indicator */
        {9, NAN, 0.25, NAN, NAN, NAN}, /* nulls: n (no indicator), cat and flag null slots */
    };
    /*                 n    x  x?   red blue oth nul  yes no  oth nul  k */
    const float want[5][12] = {
        {0.0f, 0.0f, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0},
        {0.5f, 0.5f, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0},
        {1.0f, 1.0f, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0},
        {0.0f, 0.0f, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0},
        {0.0f, 0.0f, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0},
    };
    float out[12];
    char what[32];
    for (size_t r = 0; r < 5; r++) {
        synth_encoder_row(enc, rows[r], out);
        snprintf(what, sizeof what, "row %zu", r);
        assert_row(out, want[r], 12, what);
    }

    /* the whole reference table */
    float *m = NULL;
    assert_int_equal(synth_encode_table(enc, ref, &m, &err), 0);
    const float want_ref[3][12] = {
        {0.0f, 0.0f, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0},
        {0.5f, 1.0f, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0},
        {1.0f, 0.0f, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0},
    };
    for (size_t r = 0; r < 3; r++) {
        snprintf(what, sizeof what, "reference row %zu", r);
        assert_row(m + r * 12, want_ref[r], 12, what);
    }
    synth_free(m);
    synth_encoder_free(enc);

    /* excluding cat (the utility target) drops its 4 slots */
    assert_int_equal(synth_encoder_new(s, ref, 3, &enc, &err), 0);
    assert_int_equal(synth_encoder_width(enc), 8);
    synth_encoder_row(enc, rows[1], out);
    const float want_ex[8] = {0.5f, 0.5f, 0, 0, 1, 0, 0, 0};
    assert_row(out, want_ex, 8, "excluded");
    /* a table with the wrong column count */
    synth_vtable *narrow = synth_vtable_new(2, 5);
    assert_non_null(narrow);
    assert_int_equal(synth_encode_table(enc, narrow, &m, &err), SYNTH_USAGE);
    assert_null(m);
    synth_encoder_free(enc);
    assert_int_equal(synth_encoder_new(s, narrow, -1, &enc, &err), SYNTH_USAGE);
    assert_null(enc);
    synth_vtable_free(narrow);

    assert_int_equal(synth_encoder_new(s, ref, 6, &enc, &err), SYNTH_USAGE);
    assert_null(enc);
    synth_vtable_free(ref);
    synth_schema_free(s);
}

/* A reference without any non-null value of a numeric column: every value maps to 0 and there is
 * an indicator. */
static void test_encoder_all_null(void **state)
{
    (void)state;
    synth_schema *s = ref_schema();
    synth_vtable *ref = synth_vtable_new(2, 6);
    assert_non_null(ref);
    synth_encoder *enc = NULL;
    synth_err err;
    assert_int_equal(synth_encoder_new(s, ref, -1, &enc, &err), 0);
    /* n, x, k each 1 + indicator; cat and flag 4 each */
    assert_int_equal(synth_encoder_width(enc), 14);
    const double row[6] = {1, 5, NAN, 1, 0, 7};
    float out[14];
    synth_encoder_row(enc, row, out);
    const float want[14] = {0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0};
    assert_row(out, want, 14, "all-null reference");
    synth_encoder_free(enc);
    synth_vtable_free(ref);
    synth_schema_free(s);
}

/* ---- allocation failures -------------------------------------------------------------------------- */

static void test_alloc_failures(void **state)
{
    (void)state;
    synth_schema *s = ref_schema();
    tu_buf b = {0};
    tu_add(&b, "cat,flag,k,x,n,id\n");
    for (int i = 0; i < 60; i++)
        tu_add(&b, "%s,%s,7,%d.5,%d,%d\n", i % 3 ? "red" : "teal", i % 2 ? "yes" : "no", i, i % 9, i);
    const char *path = tu_file(".csv", b.p);
    tu_buf_free(&b);
    synth_csv_options csv;
    synth_csv_options_init(&csv);
    csv.chunk_rows = 16;

    synth_err err;
    synth_vtable *ref = NULL;
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(synth_vtable_read_csv(path, s, 20, 5, &csv, &ref, &err), 0);
    long needed = synth_alloc_fail_after(-1, 0);
    assert_true(needed > 5);
    long failures = 0;
    for (int sticky = 0; sticky <= 1; sticky++) {
        for (long n = 0; n <= needed; n++) {
            synth_vtable *t = (synth_vtable *)1;
            synth_alloc_fail_after(n, sticky);
            int rc = synth_vtable_read_csv(path, s, 20, 5, &csv, &t, &err);
            synth_alloc_fail_after(-1, 0);
            if (rc == 0) {
                assert_int_equal(t->nrows, ref->nrows);
                assert_memory_equal(t->v, ref->v, ref->nrows * ref->ncols * sizeof(double));
                synth_vtable_free(t);
                continue;
            }
            if (rc != SYNTH_NOMEM)
                fail_msg("read: allocation %ld (sticky %d): got %d (%s)", n, sticky, rc, err.msg);
            assert_null(t);
            failures++;
        }
    }
    assert_true(failures >= needed);

    /* the encoder and the encoded table */
    synth_encoder *enc = NULL;
    float *m = NULL;
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(synth_encoder_new(s, ref, 3, &enc, &err), 0);
    assert_int_equal(synth_encode_table(enc, ref, &m, &err), 0);
    needed = synth_alloc_fail_after(-1, 0);
    synth_free(m);
    synth_encoder_free(enc);
    assert_int_equal(needed, 3);
    for (long n = 0; n < needed; n++) {
        enc = NULL;
        m = NULL;
        synth_alloc_fail_after(n, 0);
        int rc = synth_encoder_new(s, ref, 3, &enc, &err);
        if (rc == 0)
            rc = synth_encode_table(enc, ref, &m, &err);
        synth_alloc_fail_after(-1, 0);
        assert_int_equal(rc, SYNTH_NOMEM);
        assert_null(m);
        synth_encoder_free(enc);
    }
    synth_vtable_free(ref);
    synth_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_reordered),
        cmocka_unit_test(test_column_errors),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_reservoir),
        cmocka_unit_test(test_datetime_and_nulls),
        cmocka_unit_test(test_encoder),
        cmocka_unit_test(test_encoder_all_null),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
