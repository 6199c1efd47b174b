/* test_fidelity.c -- unit tests of the fidelity report (validation/fidelity.c): every metric on
 * tiny hand-computed examples (KSComplement, TVComplement with SDMetrics' 1e-6 regularisation,
 * CorrelationSimilarity, ContingencySimilarity with a binned numeric column and out-of-range
 * synthetic values, nulls as SDMetrics treats them), datetime and boolean columns, skipped id
 * columns, histograms and the correlation matrix, identical files scoring exactly 1, a
 * column-wise shuffled Adult keeping its shapes but losing its pair trends, the KS sketch staying
 * within its stated bound of the exact value, a schema that does not match the real file (second
 * read), the input errors, and allocation-failure injection. */
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
#include "fidelity.h"
#include "infer.h"
#include "schema.h"
#include "test_util.h"

#define EPS 1e-9

static int group_setup(void **state)
{
    (void)state;
    return tu_make_dir("fidelity");
}

static int group_teardown(void **state)
{
    (void)state;
    return tu_drop_dir();
}

static void opts(synth_fidelity_options *o)
{
    synth_fidelity_options_init(o);
    o->progress = SYNTH_PROGRESS_NEVER;
}

static synth_schema *infer_path(const char *path)
{
    synth_infer_options io;
    synth_infer_options_init(&io);
    io.progress = SYNTH_PROGRESS_NEVER;
    synth_schema *s = NULL;
    synth_err err;
    if (synth_infer_csv(path, &io, &s, NULL, NULL, &err) != 0)
        fail_msg("infer %s: %s", path, err.msg);
    return s;
}

/* Fidelity of two files (schema inferred from the real one); fails the test on error. */
static json_t *fid_paths(const char *real, const char *syn, const synth_fidelity_options *opt)
{
    synth_fidelity_options o;
    if (opt == NULL) {
        opts(&o);
        opt = &o;
    }
    synth_schema *s = infer_path(real);
    json_t *j = NULL;
    synth_err err;
    synth_err_clear(&err);
    int rc = synth_fidelity_compute(s, real, syn, opt, &j, &err);
    synth_schema_free(s);
    if (rc != 0)
        fail_msg("fidelity failed (%d): %s", rc, err.msg);
    assert_non_null(j);
    return j;
}

static json_t *fid(const char *real_csv, const char *syn_csv, const synth_fidelity_options *opt)
{
    const char *real = tu_file(".csv", real_csv);
    const char *syn = tu_file(".csv", syn_csv);
    return fid_paths(real, syn, opt);
}

/* The error of a run that must fail; *msg gets the message. */
static int fid_fail(const char *real, const char *syn, synth_err *err)
{
    synth_fidelity_options o;
    opts(&o);
    synth_schema *s = infer_path(real);
    json_t *j = (json_t *)1;
    synth_err_clear(err);
    int rc = synth_fidelity_compute(s, real, syn, &o, &j, err);
    synth_schema_free(s);
    assert_null(j);
    assert_int_not_equal(rc, 0);
    return rc;
}

static const json_t *column(const json_t *j, const char *name)
{
    const json_t *cols = json_object_get(j, "columns");
    for (size_t i = 0; i < json_array_size(cols); i++) {
        const json_t *c = json_array_get(cols, i);
        if (strcmp(json_string_value(json_object_get(c, "column")), name) == 0)
            return c;
    }
    fail_msg("no column '%s'", name);
    return NULL;
}

static const json_t *pair(const json_t *j, const char *a, const char *b)
{
    const json_t *pairs = json_object_get(j, "pairs");
    for (size_t i = 0; i < json_array_size(pairs); i++) {
        const json_t *p = json_array_get(pairs, i);
        const json_t *names = json_object_get(p, "columns");
        if (strcmp(json_string_value(json_array_get(names, 0)), a) == 0 &&
            strcmp(json_string_value(json_array_get(names, 1)), b) == 0)
            return p;
    }
    fail_msg("no pair '%s', '%s'", a, b);
    return NULL;
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        fail_msg("'%s' is not a number", key);
    return json_number_value(v);
}

static void assert_near(double got, double want, double eps)
{
    if (!(fabs(got - want) <= eps))
        fail_msg("got %.17g, expected %.17g (+- %g)", got, want, eps);
}

static const char *metric(const json_t *o)
{
    return json_string_value(json_object_get(o, "metric"));
}

/* Does some note contain needle? */
static int has_note(const json_t *j, const char *needle)
{
    const json_t *notes = json_object_get(j, "notes");
    for (size_t i = 0; i < json_array_size(notes); i++)
        if (strstr(json_string_value(json_array_get(notes, i)), needle) != NULL)
            return 1;
    return 0;
}

/* ---- metrics, by hand ---------------------------------------------------------------------- */

static void test_ks_by_hand(void **state)
{
    (void)state;
    /* F_real = .25 .5 .75 1 1, F_synth = .25 .75 .75 .75 1 at 1..5: D = 0.25 */
    json_t *j = fid("age\n1\n2\n3\n4\n", "age\n1\n2\n2\n5\n", NULL);
    const json_t *c = column(j, "age");
    assert_string_equal(metric(c), "KSComplement");
    assert_string_equal(json_string_value(json_object_get(c, "kind")), "numeric");
    assert_near(num(c, "score"), 0.75, EPS);
    assert_near(num(j, "column_shapes"), 0.75, EPS);
    assert_true(json_is_null(json_object_get(j, "column_pair_trends")));  /* no pairs */
    assert_near(num(j, "overall"), 0.75, EPS);
    json_decref(j);
}

static void test_ks_nulls_dropped(void **state)
{
    (void)state;
    /* real {1,2,4}, synthetic {2,2,3}: F_real 1/3 2/3 2/3 1, F_synth 0 2/3 1 1 -> D = 1/3 */
    json_t *j = fid("age,g\n1,u\n2,v\nNA,u\n4,v\n", "age,g\n,u\n2,v\n2,u\n3,v\n", NULL);
    const json_t *c = column(j, "age");
    assert_near(num(c, "score"), 2.0 / 3.0, EPS);
    const json_t *nulls = json_object_get(c, "nulls");
    assert_near(num(nulls, "real"), 0.25, EPS);
    assert_near(num(nulls, "synthetic"), 0.25, EPS);
    json_decref(j);
}

static void test_tv_by_hand(void **state)
{
    (void)state;
    /* real a a b b, synthetic a a a c: c is synthetic-only; SDMetrics' get_frequencies gives it a
     * real count of 1e-6, so the real shares are 2/T, 2/T, 1e-6/T with T = 4 + 1e-6 */
    json_t *j = fid("g\nab\nab\nbc\nbc\n", "g\nab\nab\nab\ncd\n", NULL);
    const json_t *c = column(j, "g");
    assert_string_equal(metric(c), "TVComplement");
    double T = 4 + 1e-6;
    double tv = fabs(0.75 - 2 / T) + fabs(0.0 - 2 / T) + fabs(0.25 - 1e-6 / T);
    assert_near(num(c, "score"), 1 - 0.5 * tv, EPS);
    assert_near(num(c, "score"), 0.5, 0.01);           /* the plain definition */
    /* histogram: real categories by frequency, then "(other)" for the synthetic-only one */
    const json_t *h = json_object_get(c, "histogram");
    const json_t *cats = json_object_get(h, "categories");
    assert_int_equal(json_array_size(cats), 3);
    assert_string_equal(json_string_value(json_array_get(cats, 0)), "ab");
    assert_string_equal(json_string_value(json_array_get(cats, 1)), "bc");
    assert_string_equal(json_string_value(json_array_get(cats, 2)), "(other)");
    assert_near(json_real_value(json_array_get(json_object_get(h, "real"), 2)), 0.0, EPS);
    assert_near(json_real_value(json_array_get(json_object_get(h, "synthetic"), 0)), 0.75, EPS);
    assert_near(json_real_value(json_array_get(json_object_get(h, "synthetic"), 2)), 0.25, EPS);
    json_decref(j);
}

static void test_tv_nulls_dropped(void **state)
{
    (void)state;
    /* real non-null {ab:1, bc:2}, synthetic {ab:2}: TV = |1 - 1/3| + |0 - 2/3| = 4/3 -> 1/3 */
    json_t *j = fid("g,h\nab,1\n,2\nbc,1\nbc,2\n", "g,h\nab,1\nab,2\n,1\n,2\n", NULL);
    assert_near(num(column(j, "g"), "score"), 1.0 / 3.0, EPS);
    json_decref(j);
}

static void test_unseen_categories_pooled(void **state)
{
    (void)state;
    /* synthetic-only cc, dd, ee; only one kept apart, the other two pooled into one */
    synth_fidelity_options o;
    opts(&o);
    o.max_unseen_categories = 1;
    const char *real = "g,h\naa,1\naa,2\nbb,1\nbb,2\n", *syn = "g,h\naa,1\ncc,2\ndd,1\nee,2\n";
    json_t *j = fid(real, syn, &o), *ref = fid(real, syn, NULL);
    double want = 1 - 0.5 * (fabs(0.25 - 2 / (4 + 3e-6)) + 2 / (4 + 3e-6) + 3 * fabs(0.25 - 1e-6 / (4 + 3e-6)));
    assert_near(num(column(ref, "g"), "score"), want, EPS);
    assert_near(num(column(j, "g"), "score"), want, 1e-6);     /* only the regularisation differs */
    assert_true(num(pair(j, "g", "h"), "score") == num(pair(ref, "g", "h"), "score"));
    assert_true(has_note(j, "pooled"));
    assert_false(has_note(ref, "pooled"));
    json_decref(j);
    json_decref(ref);
}

static void test_boolean_and_datetime(void **state)
{
    (void)state;
    json_t *j = fid("flag,day\ntrue,2020-01-01\nfalse,2020-01-02\ntrue,2020-01-03\ntrue,2020-01-03\n",
                    "flag,day\ntrue,2020-01-01\ntrue,2020-01-05\ntrue,2020-01-05\ntrue,2020-01-02\n", NULL);
    const json_t *b = column(j, "flag");
    assert_string_equal(json_string_value(json_object_get(b, "type")), "boolean");
    assert_string_equal(metric(b), "TVComplement");
    assert_near(num(b, "score"), 0.75, EPS);            /* 1 - (|1 - .75| + |0 - .25|) / 2 */
    const json_t *d = column(j, "day");
    assert_string_equal(json_string_value(json_object_get(d, "type")), "datetime");
    assert_string_equal(metric(d), "KSComplement");
    /* real d1 d2 d3 d3, synthetic d1 d2 d5 d5: F_real .25 .5 1 1, F_synth .25 .5 .5 1 -> D = .5 */
    assert_near(num(d, "score"), 0.5, EPS);
    /* datetime x boolean: contingency on the datetime's bins (range d1..d3, width 0.2 day) */
    const json_t *p = pair(j, "flag", "day");
    assert_string_equal(metric(p), "ContingencySimilarity");
    /* real: (t,bin0) (f,bin5) (t,bin9) (t,bin9); synthetic: (t,bin0) (t,bin9) x2 (t,bin5):
     * diffs .25 (f,5) + .25 (t,5) -> 1 - .25 */
    assert_near(num(p, "score"), 0.75, EPS);
    assert_false(has_note(j, "read twice"));            /* parsed exactly as inference did */
    json_decref(j);
}

static void test_correlation_by_hand(void **state)
{
    (void)state;
    /* real x 1..4, y 2 4 5 9 (a row with y missing is left out): r = 11 / sqrt(5 * 26);
     * synthetic y 4 3 2 1: r = -1 */
    json_t *j = fid("x,y\n1,2\n2,4\n3,5\n4,9\n5,\n", "x,y\n1,4\n2,3\n3,2\n4,1\n", NULL);
    const json_t *p = pair(j, "x", "y");
    assert_string_equal(metric(p), "CorrelationSimilarity");
    double rr = 11 / sqrt(130.0);
    assert_near(num(p, "real"), rr, EPS);
    assert_near(num(p, "synthetic"), -1, EPS);
    assert_near(num(p, "score"), 1 - fabs(rr + 1) / 2, EPS);
    assert_near(num(j, "column_pair_trends"), 1 - fabs(rr + 1) / 2, EPS);
    /* the matrix */
    const json_t *cm = json_object_get(j, "correlation");
    assert_int_equal(json_array_size(json_object_get(cm, "columns")), 2);
    const json_t *real = json_object_get(cm, "real"), *syn = json_object_get(cm, "synthetic");
    assert_near(json_real_value(json_array_get(json_array_get(real, 0), 0)), 1, EPS);
    assert_near(json_real_value(json_array_get(json_array_get(real, 0), 1)), rr, EPS);
    assert_near(json_real_value(json_array_get(json_array_get(real, 1), 0)), rr, EPS);
    assert_near(json_real_value(json_array_get(json_array_get(syn, 1), 0)), -1, EPS);
    json_decref(j);
}

static void test_correlation_undefined(void **state)
{
    (void)state;
    /* synthetic y constant: r undefined -> score null, left out of the average (which then has
     * only the contingency pairs) */
    json_t *j = fid("x,y,g\n1,2,ab\n2,4,ab\n3,5,cd\n4,9,cd\n", "x,y,g\n1,7,ab\n2,7,ab\n3,7,cd\n4,7,cd\n", NULL);
    const json_t *p = pair(j, "x", "y");
    assert_true(json_is_null(json_object_get(p, "score")));
    assert_true(json_is_null(json_object_get(p, "synthetic")));
    assert_true(json_is_number(json_object_get(p, "real")));
    double a = num(pair(j, "x", "g"), "score"), b = num(pair(j, "y", "g"), "score");
    assert_near(num(j, "column_pair_trends"), (a + b) / 2, EPS);
    assert_true(has_note(j, "undefined"));
    json_decref(j);
}

static void test_contingency_categorical(void **state)
{
    (void)state;
    /* real (a,x) (a,y) (b,x) (b,x); synthetic (a,x) (a,x) (b,y) (c,x):
     * |.25-.5| + |.25-0| + |.5-0| + |0-.25| + |0-.25| = 1.5 -> 0.25 */
    json_t *j = fid("p,q\naa,xx\naa,yy\nbb,xx\nbb,xx\n", "p,q\naa,xx\naa,xx\nbb,yy\ncc,xx\n", NULL);
    const json_t *pr = pair(j, "p", "q");
    assert_string_equal(metric(pr), "ContingencySimilarity");
    assert_near(num(pr, "score"), 0.25, EPS);
    assert_null(json_object_get(pr, "real"));
    json_decref(j);
}

static void test_contingency_numeric_binned(void **state)
{
    (void)state;
    /* n on the real range 0..10: 10 bins of width 1, outer bins open.  Real (n, g):
     * (0,a)->bin0, (10,b)->bin9, (5,a)->bin5, (10,b)->bin9, (null,a).  Synthetic: (-5,a)->bin0
     * (below the range), (20,b)->bin9 (above), (5,a)->bin5, (9.5,b)->bin9, (null,a): the same
     * table -> 1.0 although the values differ */
    json_t *j = fid("n,g\n0.0,a1\n10.0,b1\n5.0,a1\n10.0,b1\n,a1\n", "n,g\n-5,a1\n20,b1\n5,a1\n9.5,b1\n,a1\n", NULL);
    assert_near(num(pair(j, "n", "g"), "score"), 1.0, EPS);
    json_decref(j);
    /* Synthetic (1,a)->bin1 (on the inner edge 1: upper bin, as np.digitize), (9.99,b)->bin9,
     * (5,b)->bin5, (null,a) x2.  Real shares: (0,a) .2 (9,b) .4 (5,a) .2 (null,a) .2; synthetic:
     * (1,a) .2 (9,b) .2 (5,b) .2 (null,a) .4 -> diffs .2 .2 .2 .2 .2 .2 = 1.2 -> 0.4 */
    j = fid("n,g\n0.0,a1\n10.0,b1\n5.0,a1\n10.0,b1\n,a1\n", "n,g\n1,a1\n9.99,b1\n5,b1\n,a1\n,a1\n", NULL);
    assert_near(num(pair(j, "n", "g"), "score"), 0.4, EPS);
    json_decref(j);
}

static void test_histogram_numeric(void **state)
{
    (void)state;
    synth_fidelity_options o;
    opts(&o);
    o.histogram_bins = 4;
    /* real range 0..8: edges 0 2 4 6 8; synthetic -3 and 100 clamp into the end bins */
    json_t *j = fid("v\n0\n1\n3\n8\n", "v\n-3\n5\n100\n7\n", &o);
    const json_t *h = json_object_get(column(j, "v"), "histogram");
    const json_t *e = json_object_get(h, "edges"), *r = json_object_get(h, "real"), *s = json_object_get(h, "synthetic");
    assert_int_equal(json_array_size(e), 5);
    assert_near(json_real_value(json_array_get(e, 0)), 0, EPS);
    assert_near(json_real_value(json_array_get(e, 4)), 8, EPS);
    double want_r[] = {0.5, 0.25, 0, 0.25}, want_s[] = {0.25, 0, 0.25, 0.5};
    for (size_t i = 0; i < 4; i++) {
        assert_near(json_real_value(json_array_get(r, i)), want_r[i], EPS);
        assert_near(json_real_value(json_array_get(s, i)), want_s[i], EPS);
    }
    json_decref(j);
}

static void test_histogram_categories_capped(void **state)
{
    (void)state;
    synth_fidelity_options o;
    opts(&o);
    o.max_histogram_categories = 2;
    json_t *j = fid("g\ncc\naa\naa\naa\nbb\nbb\ndd\n", "g\naa\nbb\ncc\ndd\n", &o);
    const json_t *h = json_object_get(column(j, "g"), "histogram");
    const json_t *cats = json_object_get(h, "categories");
    assert_int_equal(json_array_size(cats), 3);
    assert_string_equal(json_string_value(json_array_get(cats, 0)), "aa");
    assert_string_equal(json_string_value(json_array_get(cats, 1)), "bb");
    assert_string_equal(json_string_value(json_array_get(cats, 2)), "(other)");
    assert_near(json_real_value(json_array_get(json_object_get(h, "real"), 2)), 2.0 / 7.0, EPS);
    assert_near(json_real_value(json_array_get(json_object_get(h, "synthetic"), 2)), 0.5, EPS);
    json_decref(j);
}

static void test_id_and_text_skipped(void **state)
{
    (void)state;
    json_t *j = fid("user_id,age,g\n1,30,ab\n2,40,ab\n3,30,cd\n", "user_id,age,g\n7,30,ab\n8,40,cd\n9,30,cd\n", NULL);
    const json_t *sk = json_object_get(j, "skipped");
    assert_int_equal(json_array_size(sk), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(sk, 0), "column")), "user_id");
    assert_int_equal(json_array_size(json_object_get(j, "columns")), 2);
    assert_int_equal(json_array_size(json_object_get(j, "pairs")), 1);
    assert_true(has_note(j, "user_id"));
    json_decref(j);
}

/* ---- identical, shuffled, Adult ------------------------------------------------------------ */

static void assert_all_one(const json_t *j)
{
    assert_true(num(j, "overall") == 1.0);
    assert_true(num(j, "column_shapes") == 1.0);
    assert_true(num(j, "column_pair_trends") == 1.0);
    const json_t *cols = json_object_get(j, "columns"), *pairs = json_object_get(j, "pairs");
    for (size_t i = 0; i < json_array_size(cols); i++)
        assert_true(num(json_array_get(cols, i), "score") == 1.0);
    for (size_t i = 0; i < json_array_size(pairs); i++)
        assert_true(num(json_array_get(pairs, i), "score") == 1.0);
}

static void test_identical_adult(void **state)
{
    (void)state;
    json_t *j = fid_paths("datasets/adult.csv", "datasets/adult.csv", NULL);
    assert_all_one(j);
    assert_int_equal(json_array_size(json_object_get(j, "columns")), 15);
    assert_int_equal(json_array_size(json_object_get(j, "pairs")), 105);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "rows"), "synthetic")), 32561);
    assert_false(has_note(j, "read twice"));            /* the schema matched: one real pass */
    json_decref(j);
    /* also with nulls, a datetime, and the sketch */
    const char *csv = "n,g,d\n1.5,aa,2021-03-01\n,bb,2021-03-02\n2.5,,\n3.5,aa,2021-03-04\n2.5,bb,2021-03-01\n";
    synth_fidelity_options o;
    opts(&o);
    o.max_exact_values = 1;
    j = fid(csv, csv, &o);
    assert_all_one(j);
    json_decref(j);
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Adult with every column permuted independently (fixed seed). */
static const char *shuffled_adult(void)
{
    char *text = tu_read("datasets/adult.csv", NULL);
    size_t nlines = 0;
    for (char *p = text; *p; p++)
        nlines += *p == '\n';
    char **line = malloc(nlines * sizeof *line);
    assert_non_null(line);
    size_t n = 0;
    char *p = text;
    while (*p) {
        line[n++] = p;
        char *nl = strchr(p, '\n');
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    assert_true(n > 1);
    size_t rows = n > 1 ? n - 1 : 1, ncols = 15;
    char ***cell = malloc(rows * sizeof *cell);
    assert_non_null(cell);
    for (size_t r = 0; r < rows; r++) {
        cell[r] = malloc(ncols * sizeof **cell);
        assert_non_null(cell[r]);
        char *q = line[r + 1];
        for (size_t c = 0; c < ncols; c++) {
            cell[r][c] = q;
            char *comma = strchr(q, ',');
            if (comma != NULL) {
                *comma = '\0';
                q = comma + 1;
            }
        }
    }
    uint64_t seed = 12345;
    for (size_t c = 0; c < ncols; c++) {
        for (size_t r = rows - 1; r > 0; r--) {
            size_t k = (size_t)(lcg(&seed) % (r + 1));
            char *t = cell[r][c];
            cell[r][c] = cell[k][c];
            cell[k][c] = t;
        }
    }
    tu_buf b = {0};
    tu_add(&b, "%s\n", line[0]);
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < ncols; c++)
            tu_add(&b, "%s%s", cell[r][c], c + 1 < ncols ? "," : "\n");
        free(cell[r]);
    }
    static char path[192];
    tu_path(path, sizeof path, ".csv");
    tu_write(path, b.p, b.len);
    tu_buf_free(&b);
    free(cell);
    free(line);
    free(text);
    return path;
}

static void test_shuffled_adult(void **state)
{
    (void)state;
    const char *shuf = shuffled_adult();
    json_t *j = fid_paths("datasets/adult.csv", shuf, NULL);
    /* the same values in every column: shapes exactly 1 */
    assert_true(num(j, "column_shapes") == 1.0);
    /* but the pairs are broken: real correlations such as education-num x income vanish */
    double trends = num(j, "column_pair_trends");
    assert_true(trends < 0.95);
    const json_t *p = pair(j, "education", "education-num");
    assert_true(num(p, "score") < 0.3);                 /* a 1:1 mapping, scrambled */
    p = pair(j, "age", "fnlwgt");
    assert_near(num(p, "real"), -0.0766, 0.0005);        /* Adult's known Pearson r */
    assert_near(num(p, "synthetic"), 0, 0.02);
    json_decref(j);
}

static void test_threads_same_result(void **state)
{
    (void)state;
    const char *shuf = shuffled_adult();
    json_t *ref = NULL;
    size_t threads[] = {1, 2, 4, 7};
    for (size_t i = 0; i < 4; i++) {
        synth_fidelity_options o;
        opts(&o);
        o.threads = threads[i];
        o.max_exact_values = 5000;      /* fnlwgt sketched */
        o.csv.chunk_rows = 1000;        /* many chunks */
        json_t *j = fid_paths("datasets/adult.csv", shuf, &o);
        if (ref == NULL)
            ref = j;
        else if (!json_equal(j, ref))
            fail_msg("threads %zu: a different result", threads[i]);
        if (j != ref)
            json_decref(j);
    }
    json_decref(ref);
}

/* ---- the KS sketch ------------------------------------------------------------------------- */

static double ks_of(const char *real, const char *syn, size_t max_exact, size_t bins, const char *col,
                    double *bound)
{
    synth_fidelity_options o;
    opts(&o);
    o.max_exact_values = max_exact;
    o.sketch_bins = bins;
    json_t *j = fid_paths(real, syn, &o);
    const json_t *c = column(j, col);
    const json_t *sk = json_object_get(c, "ks_sketch");
    *bound = sk != NULL ? num(sk, "error_bound") : 0;
    if (max_exact < 1000) {
        assert_non_null(sk);
        assert_true(has_note(j, "sketch"));
    } else {
        assert_null(sk);
    }
    double s = num(c, "score");
    json_decref(j);
    return s;
}

static void test_sketch_within_bound(void **state)
{
    (void)state;
    const char *shuf = shuffled_adult();
    /* a synthetic Adult that differs: ages shifted by a few years on a third of the rows */
    tu_buf b = {0};
    char *text = tu_read("datasets/adult.csv", NULL);
    char *save = NULL;
    size_t r = 0;
    for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save), r++) {
        if (r == 0 || r % 3 != 0) {
            tu_add(&b, "%s\n", line);
            continue;
        }
        char *comma = strchr(line, ',');
        tu_add(&b, "%ld%s\n", strtol(line, NULL, 10) + (long)(r % 7), comma);
    }
    free(text);
    char path[192];
    tu_path(path, sizeof path, ".csv");
    tu_write(path, b.p, b.len);
    tu_buf_free(&b);

    const char *cols[] = {"age", "fnlwgt", "capital-gain"};
    const char *syns[] = {path, shuf};
    for (size_t s = 0; s < 2; s++) {
        for (size_t c = 0; c < 3; c++) {
            double bound, exact = ks_of("datasets/adult.csv", syns[s], 100000, 4096, cols[c], &bound);
            size_t bins[] = {4096, 64, 8};
            for (size_t k = 0; k < 3; k++) {
                /* max_exact_values 10: the real data alone overflows (edges from the reservoir,
                 * second real pass) */
                double sk = ks_of("datasets/adult.csv", syns[s], 10, bins[k], cols[c], &bound);
                if (!(sk >= exact - 1e-12 && sk - exact <= bound + 1e-12))
                    fail_msg("%s vs %s, %zu bins: sketch %.6f exact %.6f bound %.6f", cols[c], syns[s], bins[k],
                             sk, exact, bound);
            }
        }
    }
    /* The switch while reading the synthetic file: real with 5 distinct values, synthetic with
     * 40; edges from both, folded exact counts */
    tu_buf rb = {0}, sb = {0};
    tu_add(&rb, "v\n");
    tu_add(&sb, "v\n");
    for (int i = 0; i < 200; i++) {
        tu_add(&rb, "%d\n", i % 5);
        tu_add(&sb, "%d\n", (i * 7) % 40 - 10);
    }
    const char *real = tu_file(".csv", rb.p), *syn = tu_file(".csv", sb.p);
    tu_buf_free(&rb);
    tu_buf_free(&sb);
    double bound, exact = ks_of(real, syn, 100000, 4096, "v", &bound);
    size_t bins[] = {4096, 16, 4, 2};
    for (size_t k = 0; k < 4; k++) {
        double sk = ks_of(real, syn, 10, bins[k], "v", &bound);
        if (!(sk >= exact - 1e-12 && sk - exact <= bound + 1e-12))
            fail_msg("%zu bins: sketch %.6f exact %.6f bound %.6f", bins[k], sk, exact, bound);
        if (bins[k] == 4096)
            assert_near(sk, exact, 1e-12);      /* every distinct value is an edge: exact */
    }
}

/* ---- a schema that does not match the real file -------------------------------------------- */

static void test_schema_mismatch_reads_twice(void **state)
{
    (void)state;
    /* schema inferred from a narrower file with fewer categories than the real one */
    const char *narrow = tu_file(".csv", "n,g\n2,aa\n3,aa\n4,bb\n");
    const char *real = tu_file(".csv", "n,g\n0,aa\n3,cc\n10,bb\n7,cc\n,aa\n");
    const char *syn = tu_file(".csv", "n,g\n1,aa\n9,cc\n5,bb\n11,dd\n,cc\n");
    synth_schema *s = infer_path(narrow);
    synth_fidelity_options o;
    opts(&o);
    json_t *j = NULL;
    synth_err err;
    assert_int_equal(synth_fidelity_compute(s, real, syn, &o, &j, &err), 0);
    synth_schema_free(s);
    json_t *ref = fid_paths(real, syn, NULL);
    assert_true(has_note(j, "read twice"));
    assert_false(has_note(ref, "read twice"));
    const char *keys[] = {"overall", "column_shapes", "column_pair_trends"};
    for (size_t i = 0; i < 3; i++)
        assert_near(num(j, keys[i]), num(ref, keys[i]), 1e-15);
    assert_true(json_equal(json_object_get(j, "columns"), json_object_get(ref, "columns")));
    assert_true(json_equal(json_object_get(j, "pairs"), json_object_get(ref, "pairs")));
    json_decref(j);
    json_decref(ref);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    const char *real = tu_file(".csv", "age,g\n1,aa\n2,bb\n");
    synth_err err;

    const char *missing = tu_file(".csv", "g\naa\n");
    assert_int_equal(fid_fail(real, missing, &err), SYNTH_BAD_INPUT);
    tu_assert_contains(err.msg, missing);
    tu_assert_contains(err.msg, "column 'age' is missing");

    const char *extra = tu_file(".csv", "age,g,foo\n1,aa,3\n");
    assert_int_equal(fid_fail(real, extra, &err), SYNTH_BAD_INPUT);
    tu_assert_contains(err.msg, extra);
    tu_assert_contains(err.msg, "has column 'foo' that the real data does not");

    const char *empty = tu_file(".csv", "");
    assert_int_equal(fid_fail(real, empty, &err), SYNTH_BAD_INPUT);
    tu_assert_contains(err.msg, empty);

    const char *header_only = tu_file(".csv", "age,g\n");
    assert_int_equal(fid_fail(real, header_only, &err), SYNTH_BAD_INPUT);
    tu_assert_contains(err.msg, header_only);
    tu_assert_contains(err.msg, "no data rows");

    const char *bad = tu_file(".csv", "age,g\n1,aa\n2,bb\nabc,aa\n");
    assert_int_equal(fid_fail(real, bad, &err), SYNTH_BAD_INPUT);
    char want[256];
    snprintf(want, sizeof want, "%s: line 4, column 'age': 'abc' is not a valid integer", bad);
    assert_string_equal(err.msg, want);

    /* bad values in two columns of one chunk, with helper threads: the first column is named, as
     * a sequential pass would */
    const char *two_real = tu_file(".csv", "a,b\n1,2\n3,4\n");
    const char *two_bad = tu_file(".csv", "a,b\n1,2\n1,x\ny,2\n");
    synth_schema *two = infer_path(two_real);
    synth_fidelity_options to;
    opts(&to);
    to.threads = 4;
    json_t *tj = NULL;
    assert_int_equal(synth_fidelity_compute(two, two_real, two_bad, &to, &tj, &err), SYNTH_BAD_INPUT);
    snprintf(want, sizeof want, "%s: line 4, column 'a': 'y' is not a valid integer", two_bad);
    assert_string_equal(err.msg, want);
    synth_schema_free(two);

    const char *day_real = tu_file(".csv", "day\n2020-01-01\n2020-01-02\n");
    const char *day_bad = tu_file(".csv", "day\n2020-01-01\n2020-13-45\n");
    assert_int_equal(fid_fail(day_real, day_bad, &err), SYNTH_BAD_INPUT);
    snprintf(want, sizeof want, "%s: line 3, column 'day': '2020-13-45' is not a valid datetime", day_bad);
    assert_string_equal(err.msg, want);

    const char *ragged = tu_file(".csv", "age,g\n1,aa\n2\n");
    assert_int_equal(fid_fail(real, ragged, &err), SYNTH_BAD_INPUT);
    tu_assert_contains(err.msg, ragged);
    tu_assert_contains(err.msg, "line 3");

    /* a bad value in the real file names the real file */
    const char *schema_src = tu_file(".csv", "age,g\n1,aa\n");
    const char *bad_real = tu_file(".csv", "age,g\n1,aa\n2.5,aa\n");
    synth_schema *s = infer_path(schema_src);
    json_t *j = NULL;
    assert_int_equal(synth_fidelity_compute(s, bad_real, real, NULL, &j, &err), SYNTH_BAD_INPUT);
    snprintf(want, sizeof want, "%s: line 3, column 'age': '2.5' is not a valid integer", bad_real);
    assert_string_equal(err.msg, want);
    assert_null(j);

    const char *nofile = "/nonexistent/synth.csv";
    assert_int_not_equal(synth_fidelity_compute(s, real, nofile, NULL, &j, &err), 0);
    tu_assert_contains(err.msg, nofile);

    synth_fidelity_options o;
    opts(&o);
    o.pair_bins = 0;
    assert_int_equal(synth_fidelity_compute(s, real, real, &o, &j, &err), SYNTH_USAGE);
    synth_schema_free(s);
}

/* ---- allocation failures ------------------------------------------------------------------- */

static void test_alloc_failures(void **state)
{
    (void)state;
    const char *real = tu_file(".csv", "n,x,g,day\n1,0.5,aa,2020-01-01\n2,1.5,bb,2020-01-02\n,2.5,aa,\n4,0.5,cc,2020-01-04\n");
    const char *syn = tu_file(".csv", "n,x,g,day\n1,0.7,aa,2020-01-01\n5,1.5,dd,2020-01-09\n2,,ee,\n4,0.5,aa,2020-01-04\n");
    synth_schema *s = infer_path(real);
    synth_fidelity_options o;
    opts(&o);
    o.max_exact_values = 3;             /* the sketch paths too */
    synth_err err;
    json_t *ref = NULL;
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(synth_fidelity_compute(s, real, syn, &o, &ref, &err), 0);
    long needed = synth_alloc_fail_after(-1, 0);
    assert_true(needed > 20);
    long failures = 0;
    for (int run = 0; run < 4; run++) {
        int sticky = run & 1;
        o.threads = run < 2 ? 1 : 3;    /* also with helper threads (their pool may fail: no helpers) */
        for (long n = 0; n <= needed + 5; n++) {
            json_t *j = NULL;
            synth_alloc_fail_after(n, sticky);
            int rc = synth_fidelity_compute(s, real, syn, &o, &j, &err);
            synth_alloc_fail_after(-1, 0);
            if (rc == 0) {
                assert_true(json_equal(j, ref));
                json_decref(j);
                continue;
            }
            if (rc != SYNTH_NOMEM)
                fail_msg("allocation %ld (sticky %d): got %d (%s), expected NOMEM", n, sticky, rc, err.msg);
            assert_null(j);
            failures++;
        }
    }
    assert_true(failures >= 2 * needed);
    json_decref(ref);
    synth_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ks_by_hand),
        cmocka_unit_test(test_ks_nulls_dropped),
        cmocka_unit_test(test_tv_by_hand),
        cmocka_unit_test(test_tv_nulls_dropped),
        cmocka_unit_test(test_unseen_categories_pooled),
        cmocka_unit_test(test_boolean_and_datetime),
        cmocka_unit_test(test_correlation_by_hand),
        cmocka_unit_test(test_correlation_undefined),
        cmocka_unit_test(test_contingency_categorical),
        cmocka_unit_test(test_contingency_numeric_binned),
        cmocka_unit_test(test_histogram_numeric),
        cmocka_unit_test(test_histogram_categories_capped),
        cmocka_unit_test(test_id_and_text_skipped),
        cmocka_unit_test(test_identical_adult),
        cmocka_unit_test(test_shuffled_adult),
        cmocka_unit_test(test_threads_same_result),
        cmocka_unit_test(test_sketch_within_bound),
        cmocka_unit_test(test_schema_mismatch_reads_twice),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
