/* test_utility.c -- unit tests of the "train on synthetic, test on real" report
 * (validation/utility.c): ROC AUC with ties and accuracy/F1 on hand examples, logistic regression
 * (coefficient signs, a zero gradient at the optimum, a separable set; dense and sparse paths), ridge regression
 * recovering y = 2x + 1, the JSON for binary, one-vs-rest and regression targets, null targets,
 * every error, Adult (income: accuracy and AUC on a holdout, ratio exactly 1 for the same data as
 * "synthetic", fit time), and allocation-failure injection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "infer.h"
#include "rng.h"
#include "schema.h"
#include "utility.h"
#include "vtable.h"
#include "test_util.h"

static int group_setup(void **state)
{
    (void)state;
    return tu_make_dir("utility");
}

static int group_teardown(void **state)
{
    (void)state;
    return tu_drop_dir();
}

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

static double uniform(uint64_t seed, uint64_t row)
{
    synth_rng r;
    synth_rng_init(&r, seed, row, SYNTH_STREAM_GENERATOR);
    return synth_rng_uniform(&r);
}

static double num(const json_t *o, const char *a, const char *b)
{
    const json_t *v = json_object_get(o, a);
    if (b != NULL)
        v = json_object_get(v, b);
    if (!json_is_number(v))
        fail_msg("%s.%s is not a number", a, b ? b : "");
    return json_number_value(v);
}

/* ---- metrics -------------------------------------------------------------------------------------- */

static void test_roc_auc(void **state)
{
    (void)state;
    synth_err err;
    double auc;
    const double s1[4] = {0.1, 0.4, 0.35, 0.8};
    const unsigned char l1[4] = {0, 0, 1, 1};
    assert_int_equal(synth_roc_auc(s1, l1, 4, &auc, &err), 0);
    assert_true(auc == 0.75);   /* ranks 1,3 | 2,4: U = 6 - 3 = 3 of 4 pairs */
    /* ties: 0.5 x3 share rank 2; positives ranks 2 and 4: U = 6 - 3 = 3 -> 0.75 */
    const double s2[4] = {0.5, 0.5, 0.5, 0.9};
    const unsigned char l2[4] = {0, 1, 0, 1};
    assert_int_equal(synth_roc_auc(s2, l2, 4, &auc, &err), 0);
    assert_true(auc == 0.75);
    /* a positive tied with a negative counts half: pairs (p0.7>n0.2) 1 + (p0.7=n0.7) 0.5 -> 0.75 */
    const double s3[3] = {0.2, 0.7, 0.7};
    const unsigned char l3[3] = {0, 0, 1};
    assert_int_equal(synth_roc_auc(s3, l3, 3, &auc, &err), 0);
    assert_true(auc == 0.75);
    /* all tied: 0.5; reversed: 0; one class only: undefined */
    const double s4[4] = {1, 1, 1, 1};
    assert_int_equal(synth_roc_auc(s4, l1, 4, &auc, &err), 0);
    assert_true(auc == 0.5);
    const double s5[4] = {0.9, 0.8, 0.2, 0.1};
    assert_int_equal(synth_roc_auc(s5, l1, 4, &auc, &err), 0);
    assert_true(auc == 0.0);
    const unsigned char l6[4] = {1, 1, 1, 1};
    assert_int_equal(synth_roc_auc(s1, l6, 4, &auc, &err), 0);
    assert_true(isnan(auc));
}

static void test_accuracy_f1(void **state)
{
    (void)state;
    const unsigned char pred[5] = {1, 1, 0, 0, 1};
    const unsigned char lab[5] = {1, 0, 0, 1, 1};
    double acc, f1;
    synth_binary_scores(pred, lab, 5, &acc, &f1);
    assert_true(acc == 0.6);                 /* 3 of 5 right */
    assert_true(fabs(f1 - 2.0 / 3.0) < 1e-15); /* TP 2, FP 1, FN 1: 4 / 6 */
    const unsigned char zeros[3] = {0, 0, 0};
    synth_binary_scores(zeros, zeros, 3, &acc, &f1);
    assert_true(acc == 1.0);
    assert_true(isnan(f1));
}

/* ---- models --------------------------------------------------------------------------------------- */

static void test_logreg(void **state)
{
    (void)state;
    const size_t n = 4000, d = 2;
    float *x = malloc(n * d * sizeof *x);
    unsigned char *y = malloc(n);
    assert_non_null(x);
    assert_non_null(y);
    for (size_t i = 0; i < n; i++) {
        double a = uniform(1, i), b = uniform(2, i), noise = uniform(3, i) - 0.5;
        x[i * d] = (float)a;
        x[i * d + 1] = (float)b;
        y[i] = 3 * a - 2 * b + 0.2 * noise > 0.5;
    }
    double coef[3];
    synth_err err;
    double lambda = 1e-4 * (double)n;
    assert_int_equal(synth_logreg_fit(x, n, d, y, lambda, coef, &err), 0);
    assert_true(coef[1] > 0);
    assert_true(coef[2] < 0);
    assert_true(coef[0] < 0);
    /* the boundary 3a - 2b = 0.5 is recovered in direction: w2/w1 ~ -2/3 */
    assert_true(fabs(coef[2] / coef[1] + 2.0 / 3.0) < 0.05);
    size_t right = 0;
    double g[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        double p = synth_sigmoid(synth_linear_predict(coef, x + i * d, d));
        right += (p >= 0.5) == y[i];
        g[0] += p - y[i];
        g[1] += (p - y[i]) * x[i * d];
        g[2] += (p - y[i]) * x[i * d + 1];
    }
    assert_true((double)right / (double)n > 0.97);
    /* optimality: the penalized gradient vanishes */
    g[1] += lambda * coef[1];
    g[2] += lambda * coef[2];
    for (int j = 0; j < 3; j++)
        if (fabs(g[j]) > 1e-6)
            fail_msg("gradient[%d] = %g", j, g[j]);

    /* separable (a gap around 0.5): every row right */
    for (size_t i = 0; i < n; i++) {
        double a = (double)(i % 100) / 100.0;
        if (a >= 0.45 && a < 0.55)
            a = a < 0.5 ? 0.3 : 0.7;
        x[i * d] = (float)a;
        x[i * d + 1] = (float)uniform(4, i);
        y[i] = a > 0.5;
    }
    assert_int_equal(synth_logreg_fit(x, n, d, y, lambda, coef, &err), 0);
    assert_true(coef[1] > 0);
    right = 0;
    for (size_t i = 0; i < n; i++)
        right += (synth_sigmoid(synth_linear_predict(coef, x + i * d, d)) >= 0.5) == y[i];
    assert_int_equal(right, n);
    assert_int_equal(synth_logreg_fit(x, 0, d, y, lambda, coef, &err), SYNTH_USAGE);
    free(x);
    free(y);
}

/* Mostly one-hot rows take the sparse Hessian path: the optimum must be the same (zero gradient),
 * and the effects recovered: categories 0..9 push towards 1, the numeric feature too. */
static void test_logreg_sparse(void **state)
{
    (void)state;
    const size_t n = 3000, d = 31;   /* 30 one-hot slots + 1 numeric: 2 non-zeros of 31 */
    float *x = calloc(n * d, sizeof *x);
    unsigned char *y = malloc(n);
    assert_non_null(x);
    assert_non_null(y);
    for (size_t i = 0; i < n; i++) {
        size_t cat = i % 30;
        double v = uniform(5, i);
        x[i * d + cat] = 1.0f;
        x[i * d + 30] = (float)v;
        double logit = (cat < 10 ? 1.5 : -1.0) + 2.0 * (v - 0.5);
        y[i] = uniform(6, i) < synth_sigmoid(logit);
    }
    double coef[32];
    synth_err err;
    double lambda = 1e-4 * (double)n;
    assert_int_equal(synth_logreg_fit(x, n, d, y, lambda, coef, &err), 0);
    double g[32] = {0};
    for (size_t i = 0; i < n; i++) {
        double r = synth_sigmoid(synth_linear_predict(coef, x + i * d, d)) - y[i];
        g[0] += r;
        for (size_t j = 0; j < d; j++)
            g[1 + j] += r * x[i * d + j];
    }
    for (size_t j = 0; j <= d; j++) {
        if (j > 0)
            g[j] += lambda * coef[j];
        if (fabs(g[j]) > 1e-6)
            fail_msg("gradient[%zu] = %g", j, g[j]);
    }
    double hi = 0, lo = 0;
    for (size_t c = 0; c < 30; c++) {
        if (c < 10)
            hi += coef[1 + c];
        else
            lo += coef[1 + c];
    }
    assert_true(hi / 10 - lo / 20 > 1.5);   /* true difference 2.5 */
    assert_true(coef[31] > 0.5);             /* true 2 */
    free(x);
    free(y);
}

static void test_ridge(void **state)
{
    (void)state;
    const size_t n = 65;
    float x[65];
    double y[65], coef[2];
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)i / 64.0f;   /* exact in float */
        y[i] = 2.0 * x[i] + 1.0;
    }
    synth_err err;
    assert_int_equal(synth_ridge_fit(x, n, 1, y, 0.0, coef, &err), 0);
    assert_true(fabs(coef[0] - 1.0) < 1e-9);
    assert_true(fabs(coef[1] - 2.0) < 1e-9);
    /* the report's small ridge penalty shrinks the slope by ~lambda / Sxx only */
    assert_int_equal(synth_ridge_fit(x, n, 1, y, SYNTH_UTILITY_RIDGE_LAMBDA * (double)n, coef, &err), 0);
    assert_true(fabs(coef[1] - 2.0) < 1e-4);
    /* datetime-sized targets keep their precision (y standardized inside) */
    for (size_t i = 0; i < n; i++)
        y[i] = 1.6e9 + 86400.0 * x[i];
    assert_int_equal(synth_ridge_fit(x, n, 1, y, 0.0, coef, &err), 0);
    assert_true(fabs(coef[0] - 1.6e9) < 1e-3);
    assert_true(fabs(coef[1] - 86400.0) < 1e-3);
}

/* ---- the report ----------------------------------------------------------------------------------- */

/* A table of n rows x ncols from a row filler. */
typedef void (*row_fn)(size_t i, uint64_t seed, double *row);

static synth_vtable *make_table(size_t n, size_t ncols, uint64_t seed, row_fn fill)
{
    synth_vtable *t = synth_vtable_new(n, ncols);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++)
        fill(i, seed, t->v + i * ncols);
    return t;
}

/* Regression: x float, y = 2x + 1 (float). */
static void fill_linear(size_t i, uint64_t seed, double *row)
{
    row[0] = seed == 0 ? (double)i / 100.0 : ((double)i + 0.5) / 100.0;
    row[1] = 2.0 * row[0] + 1.0;
}

static void test_regression_report(void **state)
{
    (void)state;
    synth_schema *s = infer_schema("x,y\n0.5,2.0\n1.5,4.0\n0.25,1.5\n");
    assert_int_equal(s->cols[1].type, SYNTH_COL_FLOAT);
    synth_vtable *train = make_table(100, 2, 0, fill_linear);
    synth_vtable *hold = make_table(99, 2, 1, fill_linear);
    json_t *u = NULL;
    synth_err err;
    if (synth_utility_compute(s, train, train, hold, "y", &u, &err) != 0)
        fail_msg("utility: %s", err.msg);
    assert_string_equal(json_string_value(json_object_get(u, "task")), "regression");
    double r2 = num(u, "train_real", "r2");
    if (fabs(r2 - 1.0) > 1e-8)
        fail_msg("R^2 = %.17g", r2);
    assert_true(num(u, "ratio", "r2") == 1.0);
    assert_true(num(u, "features", NULL) == 1);
    assert_null(json_object_get(u, "positive_class"));
    json_decref(u);
    synth_vtable_free(train);
    synth_vtable_free(hold);
    synth_schema_free(s);
}

/* Binary: x float, g categorical (a, b), y categorical (no: frequent, yes: rare) = x > 0.7. */
static const char *const BIN_CSV = "x,g,y\n0.1,a,no\n0.9,b,yes\n0.4,a,no\n0.5,b,no\n0.2,a,no\n0.95,a,yes\n";

static void fill_binary(size_t i, uint64_t seed, double *row)
{
    row[0] = uniform(seed, i);
    row[1] = (double)(i % 2);
    row[2] = row[0] + 0.1 * (uniform(seed + 100, i) - 0.5) > 0.7 ? 1 : 0;
}

static void test_binary_report(void **state)
{
    (void)state;
    synth_schema *s = infer_schema(BIN_CSV);
    assert_string_equal(s->cols[2].categories[0].value, "no");
    synth_vtable *train = make_table(600, 3, 1, fill_binary);
    synth_vtable *syn = make_table(500, 3, 2, fill_binary);
    synth_vtable *hold = make_table(400, 3, 3, fill_binary);
    /* two null targets in the holdout are dropped */
    hold->v[0 * 3 + 2] = NAN;
    hold->v[7 * 3 + 2] = NAN;
    json_t *u = NULL;
    synth_err err;
    if (synth_utility_compute(s, train, syn, hold, "y", &u, &err) != 0)
        fail_msg("utility: %s", err.msg);
    assert_string_equal(json_string_value(json_object_get(u, "task")), "classification");
    assert_string_equal(json_string_value(json_object_get(u, "model")), "logistic regression");
    assert_string_equal(json_string_value(json_object_get(u, "positive_class")), "yes");
    assert_true(num(u, "features", NULL) == 5);   /* x + a, b, other, null */
    assert_true(num(u, "rows", "train_real") == 600);
    assert_true(num(u, "rows", "train_synthetic") == 500);
    assert_true(num(u, "rows", "holdout") == 398);
    for (int k = 0; k < 2; k++) {
        const char *which = k ? "train_synthetic" : "train_real";
        assert_true(num(u, which, "accuracy") > 0.9);
        assert_true(num(u, which, "f1") > 0.8);
        assert_true(num(u, which, "roc_auc") > 0.95);
    }
    assert_true(fabs(num(u, "ratio", "accuracy") - num(u, "train_synthetic", "accuracy") /
                                                     num(u, "train_real", "accuracy")) < 1e-15);
    char *text = json_dumps(u, 0);
    tu_assert_contains(text, "rows with a null target were dropped: 0 real training, 0 synthetic, 2 holdout");
    free(text);
    json_decref(u);

    /* deterministic: the same inputs give the same document */
    json_t *u2 = NULL, *u3 = NULL;
    assert_int_equal(synth_utility_compute(s, train, syn, hold, "y", &u2, &err), 0);
    assert_int_equal(synth_utility_compute(s, train, syn, hold, "y", &u3, &err), 0);
    assert_true(json_equal(u2, u3));
    json_decref(u2);
    json_decref(u3);
    synth_vtable_free(train);
    synth_vtable_free(syn);
    synth_vtable_free(hold);
    synth_schema_free(s);
}

/* Three classes: y = argmax(x1, x2, x3). */
static void fill_three(size_t i, uint64_t seed, double *row)
{
    size_t best = 0;
    for (size_t j = 0; j < 3; j++) {
        row[j] = uniform(seed + j * 10, i);
        if (row[j] > row[best])
            best = j;
    }
    row[3] = (double)best;
}

static void test_multiclass_report(void **state)
{
    (void)state;
    synth_schema *s = infer_schema("x1,x2,x3,y\n0.9,0.1,0.2,p\n0.1,0.8,0.3,q\n0.1,0.2,0.7,r\n0.8,0.1,0.1,p\n");
    assert_int_equal(s->cols[3].ncategories, 3);
    synth_vtable *train = make_table(1500, 4, 1, fill_three);
    synth_vtable *hold = make_table(800, 4, 2, fill_three);
    json_t *u = NULL;
    synth_err err;
    if (synth_utility_compute(s, train, train, hold, "y", &u, &err) != 0)
        fail_msg("utility: %s", err.msg);
    assert_string_equal(json_string_value(json_object_get(u, "model")), "logistic regression (one-vs-rest)");
    assert_null(json_object_get(u, "positive_class"));
    assert_int_equal(json_array_size(json_object_get(u, "classes")), 3);
    assert_non_null(json_object_get(u, "averaging"));
    assert_true(num(u, "train_real", "accuracy") > 0.85);
    assert_true(num(u, "train_real", "f1") > 0.85);
    assert_true(num(u, "train_real", "roc_auc") > 0.95);
    assert_true(num(u, "ratio", "accuracy") == 1.0);
    assert_true(num(u, "ratio", "f1") == 1.0);
    assert_true(num(u, "ratio", "roc_auc") == 1.0);
    json_decref(u);

    /* a synthetic set with only two of the three classes still works (the third is never predicted) */
    synth_vtable *two = make_table(1500, 4, 3, fill_three);
    for (size_t i = 0; i < two->nrows; i++)
        if (two->v[i * 4 + 3] == 2)
            two->v[i * 4 + 3] = 1;
    assert_int_equal(synth_utility_compute(s, train, two, hold, "y", &u, &err), 0);
    assert_true(num(u, "train_synthetic", "accuracy") < num(u, "train_real", "accuracy"));
    json_decref(u);
    synth_vtable_free(two);
    synth_vtable_free(train);
    synth_vtable_free(hold);
    synth_schema_free(s);
}

static void test_errors(void **state)
{
    (void)state;
    synth_schema *s = infer_schema(BIN_CSV);
    synth_vtable *train = make_table(50, 3, 1, fill_binary);
    synth_vtable *hold = make_table(50, 3, 3, fill_binary);
    json_t *u = (json_t *)1;
    synth_err err;

    assert_int_equal(synth_utility_compute(s, train, train, hold, "income", &u, &err), SYNTH_USAGE);
    assert_null(u);
    tu_assert_contains(err.msg, "no column 'income'");

    /* a synthetic set with one class */
    synth_vtable *one = make_table(50, 3, 1, fill_binary);
    for (size_t i = 0; i < one->nrows; i++)
        one->v[i * 3 + 2] = 0;
    assert_int_equal(synth_utility_compute(s, train, one, hold, "y", &u, &err), SYNTH_BAD_INPUT);
    assert_null(u);
    tu_assert_contains(err.msg, "synthetic data: the target 'y' has only one class ('no')");
    assert_int_equal(synth_utility_compute(s, one, train, hold, "y", &u, &err), SYNTH_BAD_INPUT);
    tu_assert_contains(err.msg, "real training data: the target 'y' has only one class ('no')");
    /* all targets null */
    for (size_t i = 0; i < one->nrows; i++)
        one->v[i * 3 + 2] = NAN;
    assert_int_equal(synth_utility_compute(s, train, one, hold, "y", &u, &err), SYNTH_BAD_INPUT);
    tu_assert_contains(err.msg, "synthetic data: no rows with a non-null target");
    /* empty holdout */
    synth_vtable *empty = synth_vtable_new(0, 3);
    assert_non_null(empty);
    assert_int_equal(synth_utility_compute(s, train, train, empty, "y", &u, &err), SYNTH_BAD_INPUT);
    tu_assert_contains(err.msg, "holdout data: no rows");
    /* wrong column count */
    synth_vtable *narrow = synth_vtable_new(5, 2);
    assert_non_null(narrow);
    assert_int_equal(synth_utility_compute(s, train, narrow, hold, "y", &u, &err), SYNTH_USAGE);
    synth_vtable_free(narrow);
    synth_vtable_free(empty);
    synth_vtable_free(one);
    synth_vtable_free(train);
    synth_vtable_free(hold);
    synth_schema_free(s);

    /* id and text targets */
    tu_buf b = {0};
    tu_add(&b, "cust_id,note,v\n");
    for (int i = 0; i < 30; i++)
        tu_add(&b, "%d,%s number %d was written here by someone,%d\n", i + 1, i % 2 ? "odd" : "even", i, i % 3);
    s = infer_schema(b.p);
    tu_buf_free(&b);
    assert_int_equal(s->cols[0].type, SYNTH_COL_ID);
    assert_int_equal(s->cols[1].type, SYNTH_COL_TEXT);
    synth_vtable *t = synth_vtable_new(4, 3);
    assert_non_null(t);
    assert_int_equal(synth_utility_compute(s, t, t, t, "cust_id", &u, &err), SYNTH_USAGE);
    tu_assert_contains(err.msg, "the target 'cust_id' is an id column");
    assert_int_equal(synth_utility_compute(s, t, t, t, "note", &u, &err), SYNTH_USAGE);
    tu_assert_contains(err.msg, "the target 'note' is a text column");
    synth_vtable_free(t);
    synth_schema_free(s);

    /* too many classes */
    b = (tu_buf){0};
    tu_add(&b, "x,c\n");
    for (int i = 0; i < 80; i++)
        tu_add(&b, "%d,k%d\n", i, i % 40);
    s = infer_schema(b.p);
    tu_buf_free(&b);
    assert_int_equal(s->cols[1].ncategories, 40);
    t = synth_vtable_new(80, 2);
    assert_non_null(t);
    for (size_t i = 0; i < 80; i++) {
        t->v[i * 2] = (double)i;
        t->v[i * 2 + 1] = (double)(i % 40);
    }
    assert_int_equal(synth_utility_compute(s, t, t, t, "c", &u, &err), SYNTH_USAGE);
    tu_assert_contains(err.msg, "40 classes");
    synth_vtable_free(t);
    synth_schema_free(s);
}

/* ---- Adult -------------------------------------------------------------------------------------- */

static synth_vtable *subset(const synth_vtable *all, int holdout)
{
    size_t n = 0;
    for (size_t i = 0; i < all->nrows; i++) {
        uint32_t h[4];
        synth_rng_permute128(2024, i, 7, h);
        n += (h[0] % 3 == 0) == holdout;
    }
    synth_vtable *t = synth_vtable_new(n, all->ncols);
    assert_non_null(t);
    size_t k = 0;
    for (size_t i = 0; i < all->nrows; i++) {
        uint32_t h[4];
        synth_rng_permute128(2024, i, 7, h);
        if ((h[0] % 3 == 0) == holdout)
            memcpy(t->v + k++ * all->ncols, all->v + i * all->ncols, all->ncols * sizeof(double));
    }
    return t;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void test_adult(void **state)
{
    (void)state;
    synth_infer_options o;
    synth_infer_options_init(&o);
    o.progress = SYNTH_PROGRESS_NEVER;
    synth_schema *s = NULL;
    synth_err err;
    if (synth_infer_csv("datasets/adult.csv", &o, &s, NULL, NULL, &err) != 0)
        fail_msg("infer: %s", err.msg);
    synth_vtable *all = NULL;
    if (synth_vtable_read_csv("datasets/adult.csv", s, 0, 0, NULL, &all, &err) != 0)
        fail_msg("read: %s", err.msg);
    assert_int_equal(all->nrows, 32561);
    synth_vtable *train = subset(all, 0), *hold = subset(all, 1);
    assert_int_equal(train->nrows + hold->nrows, 32561);
    assert_true(hold->nrows > 10000 && hold->nrows < 11700);

    json_t *u = NULL;
    double t0 = now();
    if (synth_utility_compute(s, train, train, hold, "income", &u, &err) != 0)
        fail_msg("utility: %s", err.msg);
    double secs = now() - t0;
    assert_string_equal(json_string_value(json_object_get(u, "positive_class")), " >50K");
    double acc = num(u, "train_real", "accuracy"), f1 = num(u, "train_real", "f1"),
           auc = num(u, "train_real", "roc_auc");
    printf("  adult income: %zu train, %zu holdout, %g features: accuracy %.4f, F1 %.4f, ROC AUC %.4f; "
           "two fits + scoring %.3f s\n",
           train->nrows, hold->nrows, num(u, "features", NULL), acc, f1, auc, secs);
    assert_true(acc > 0.80);
    assert_true(auc > 0.85);
    assert_true(f1 > 0.5);
    assert_true(num(u, "ratio", "accuracy") == 1.0);
    assert_true(num(u, "ratio", "f1") == 1.0);
    assert_true(num(u, "ratio", "roc_auc") == 1.0);
    json_decref(u);

    /* a regression target on the same data: hours-per-week */
    t0 = now();
    if (synth_utility_compute(s, train, train, hold, "hours-per-week", &u, &err) != 0)
        fail_msg("utility: %s", err.msg);
    double r2 = num(u, "train_real", "r2");
    printf("  adult hours-per-week: R^2 %.4f (%.3f s)\n", r2, now() - t0);
    assert_true(r2 > 0.1 && r2 < 1.0);
    assert_true(num(u, "ratio", "r2") == 1.0);
    json_decref(u);
    synth_vtable_free(train);
    synth_vtable_free(hold);
    synth_vtable_free(all);
    synth_schema_free(s);
}

/* ---- allocation failures -------------------------------------------------------------------------- */

static void check_alloc_failures(const synth_schema *s, const synth_vtable *train, const synth_vtable *syn,
                                 const synth_vtable *hold, const char *target)
{
    synth_err err;
    json_t *ref = NULL;
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(synth_utility_compute(s, train, syn, hold, target, &ref, &err), 0);
    long needed = synth_alloc_fail_after(-1, 0);
    assert_true(needed > 5);
    for (int sticky = 0; sticky <= 1; sticky++) {
        for (long n = 0; n < needed; n++) {
            json_t *u = (json_t *)1;
            synth_alloc_fail_after(n, sticky);
            int rc = synth_utility_compute(s, train, syn, hold, target, &u, &err);
            synth_alloc_fail_after(-1, 0);
            if (rc != SYNTH_NOMEM)
                fail_msg("%s: allocation %ld (sticky %d): got %d (%s)", target, n, sticky, rc, err.msg);
            assert_null(u);
        }
    }
    json_decref(ref);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    synth_schema *s = infer_schema(BIN_CSV);
    synth_vtable *train = make_table(60, 3, 1, fill_binary);
    synth_vtable *hold = make_table(40, 3, 3, fill_binary);
    check_alloc_failures(s, train, train, hold, "y");
    check_alloc_failures(s, train, train, hold, "x");
    synth_vtable_free(train);
    synth_vtable_free(hold);
    synth_schema_free(s);

    s = infer_schema("x1,x2,x3,y\n0.9,0.1,0.2,p\n0.1,0.8,0.3,q\n0.1,0.2,0.7,r\n0.8,0.1,0.1,p\n");
    train = make_table(60, 4, 1, fill_three);
    hold = make_table(40, 4, 2, fill_three);
    check_alloc_failures(s, train, train, hold, "y");
    synth_vtable_free(train);
    synth_vtable_free(hold);
    synth_schema_free(s);

    /* the sparse path of the logistic fit */
    const size_t n = 90, d = 31;
    float x[90 * 31] = {0};
    unsigned char y[90];
    for (size_t i = 0; i < n; i++) {
        x[i * d + i % 30] = 1.0f;
        x[i * d + 30] = (float)uniform(7, i);
        y[i] = i % 30 < 10 || i % 7 == 0;
    }
    double coef[32], ref_coef[32];
    synth_err err;
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(synth_logreg_fit(x, n, d, y, 0.01, ref_coef, &err), 0);
    long needed = synth_alloc_fail_after(-1, 0);
    assert_true(needed >= 10);   /* 3 sparse arrays + 7 work arrays */
    for (long k = 0; k < needed; k++) {
        synth_alloc_fail_after(k, 0);
        int rc = synth_logreg_fit(x, n, d, y, 0.01, coef, &err);
        synth_alloc_fail_after(-1, 0);
        assert_int_equal(rc, SYNTH_NOMEM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roc_auc),
        cmocka_unit_test(test_accuracy_f1),
        cmocka_unit_test(test_logreg),
        cmocka_unit_test(test_logreg_sparse),
        cmocka_unit_test(test_ridge),
        cmocka_unit_test(test_regression_report),
        cmocka_unit_test(test_binary_report),
        cmocka_unit_test(test_multiclass_report),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_adult),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
