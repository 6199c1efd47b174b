/* test_copula.c -- unit tests of the Gaussian copula generator (generators/copula/) on Adult:
 * fidelity of 100k sampled rows against the training data (two-sample KS per numeric column,
 * total variation per categorical column, Pearson correlations of numeric pairs, the
 * sex x relationship contingency), categories only from training, save/load round trips that
 * sample identical cells, parametric marginals, parameter validation, row purity, and allocation
 * failures during fit, load and sampling. */
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
#include "chunk.h"
#include "copula/copula.h"
#include "generator.h"
#include "infer.h"
#include "model_file.h"
#include "test_util.h"

#define N_GEN 100000
#define CHUNK 16384

static const synth_generator *gen = &synth_copula_generator;

/* A table of values column by column: numbers (NaN = null) or category indexes (-1 = null). */
typedef struct table {
    size_t nrows, ncols;
    double **num;     /* numeric columns, else NULL */
    int32_t **cat;    /* categorical/boolean columns, else NULL */
} table;

static synth_schema *g_schema;
static synth_sample_table *g_sample;
static synth_model *g_model;
static table g_real, g_gen;

static int is_numeric(synth_col_type t)
{
    return t == SYNTH_COL_INTEGER || t == SYNTH_COL_FLOAT || t == SYNTH_COL_DATETIME;
}

static int is_categorical(synth_col_type t)
{
    return t == SYNTH_COL_CATEGORICAL || t == SYNTH_COL_BOOLEAN;
}

static void table_init(table *t, const synth_schema *s, size_t nrows)
{
    t->nrows = nrows;
    t->ncols = s->ncols;
    t->num = calloc(s->ncols, sizeof *t->num);
    t->cat = calloc(s->ncols, sizeof *t->cat);
    for (size_t c = 0; c < s->ncols; c++) {
        if (is_numeric(s->cols[c].type))
            t->num[c] = malloc(nrows * sizeof **t->num);
        else if (is_categorical(s->cols[c].type))
            t->cat[c] = malloc(nrows * sizeof **t->cat);
    }
}

static void table_free(table *t)
{
    for (size_t c = 0; t->num != NULL && c < t->ncols; c++) {
        free(t->num[c]);
        free(t->cat[c]);
    }
    free(t->num);
    free(t->cat);
    memset(t, 0, sizeof *t);
}

/* The training rows as values. */
static void table_from_sample(table *t, const synth_schema *s, const synth_sample_table *smp)
{
    table_init(t, s, smp->nrows);
    for (size_t c = 0; c < s->ncols; c++) {
        const synth_column *col = &s->cols[c];
        for (size_t r = 0; r < smp->nrows; r++) {
            const char *v = smp->cells[r * smp->ncols + c];
            size_t len = smp->lens[r * smp->ncols + c];
            if (t->num[c] != NULL) {
                if (synth_cell_is_null(col, v, len))
                    t->num[c][r] = NAN;
                else
                    assert_int_equal(synth_cell_parse_number(col, v, len, &t->num[c][r]), 0);
            } else if (t->cat[c] != NULL) {
                t->cat[c][r] = len == 0 ? -1 : (int32_t)synth_cell_category(col, v, len);
                assert_true(len == 0 || t->cat[c][r] >= 0);
            }
        }
    }
}

/* Sample rows [first, first + n) into t (rows t_off...), in chunks of chunk_rows. */
static void sample_into(const synth_model *m, const synth_schema *s, uint64_t seed, uint64_t first, size_t n,
                        size_t chunk_rows, table *t)
{
    synth_chunk *ch = synth_chunk_new(s->ncols, chunk_rows);
    assert_non_null(ch);
    synth_err err;
    for (size_t done = 0; done < n;) {
        ch->first_row = first + done;
        ch->nrows = n - done < chunk_rows ? n - done : chunk_rows;
        int rc = gen->sample(m, seed, ch, &err);
        if (rc)
            fail_msg("sample: %s", err.msg);
        for (size_t c = 0; c < s->ncols; c++) {
            const synth_column *col = &s->cols[c];
            for (size_t r = 0; r < ch->nrows; r++) {
                size_t i = c * ch->cap + r;
                if (t->num[c] != NULL) {
                    double v = ch->cells[i].num;
                    if (!ch->is_null[i] && col->type == SYNTH_COL_INTEGER)
                        v = (double)(int64_t)(v < 0 ? v - 0.5 : v + 0.5);   /* as the formatter writes it */
                    t->num[c][done + r] = ch->is_null[i] ? NAN : v;
                } else if (t->cat[c] != NULL) {
                    int64_t k = ch->cells[i].index;
                    if (!ch->is_null[i] && (k < 0 || (uint64_t)k >= col->ncategories))
                        fail_msg("column '%s': category index %lld outside the %zu training categories", col->name,
                                 (long long)k, col->ncategories);
                    t->cat[c][done + r] = ch->is_null[i] ? -1 : (int32_t)k;
                }
            }
        }
        done += ch->nrows;
    }
    synth_chunk_free(ch);
}

static int group_setup(void **state)
{
    (void)state;
    if (tu_make_dir("copula"))
        return -1;
    synth_infer_options o;
    synth_infer_options_init(&o);
    o.progress = SYNTH_PROGRESS_NEVER;
    synth_err err;
    if (synth_infer_csv("datasets/adult.csv", &o, &g_schema, &g_sample, NULL, &err)) {
        fprintf(stderr, "infer: %s\n", err.msg);
        return -1;
    }
    synth_fit_options fo = {.seed = 0, .progress = SYNTH_PROGRESS_NEVER};
    if (gen->fit(g_schema, g_sample, &fo, &g_model, &err)) {
        fprintf(stderr, "fit: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    table_free(&g_real);
    table_free(&g_gen);
    if (g_model != NULL)
        gen->free(g_model);
    synth_sample_table_free(g_sample);
    synth_schema_free(g_schema);
    return tu_drop_dir();
}

/* The real and generated tables, built once for the fidelity tests. */
static void need_tables(void)
{
    if (g_gen.num != NULL)
        return;
    table_from_sample(&g_real, g_schema, g_sample);
    table_init(&g_gen, g_schema, N_GEN);
    sample_into(g_model, g_schema, 1, 0, N_GEN, CHUNK, &g_gen);
}

/* ---- statistics ------------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Non-null values of a column, sorted (caller frees); *n gets their number. */
static double *sorted_values(const double *v, size_t rows, size_t *n)
{
    double *out = malloc((rows ? rows : 1) * sizeof *out);
    size_t k = 0;
    for (size_t r = 0; r < rows; r++)
        if (!isnan(v[r]))
            out[k++] = v[r];
    qsort(out, k, sizeof *out, cmp_double);
    *n = k;
    return out;
}

/* Two-sample Kolmogorov-Smirnov statistic sup |F_a - F_b| of sorted samples (ties handled by
 * stepping past every copy of a value before comparing). */
static double ks_two_sample(const double *a, size_t n, const double *b, size_t m)
{
    size_t i = 0, j = 0;
    double d = 0;
    while (i < n && j < m) {
        double x = a[i] < b[j] ? a[i] : b[j];
        while (i < n && a[i] == x)
            i++;
        while (j < m && b[j] == x)
            j++;
        d = fmax(d, fabs((double)i / (double)n - (double)j / (double)m));
    }
    return d;
}

static double pearson(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0, k = 0;
    for (size_t r = 0; r < n; r++)
        if (!isnan(x[r]) && !isnan(y[r])) {
            mx += x[r];
            my += y[r];
            k++;
        }
    mx /= k;
    my /= k;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t r = 0; r < n; r++)
        if (!isnan(x[r]) && !isnan(y[r])) {
            sxy += (x[r] - mx) * (y[r] - my);
            sxx += (x[r] - mx) * (x[r] - mx);
            syy += (y[r] - my) * (y[r] - my);
        }
    return sxy / sqrt(sxx * syy);
}

/* ---- fidelity on Adult ------------------------------------------------------------------------------- */

/* KS per numeric column < 0.03.  Why that bound holds for a correct model: discrete marginals
 * (columns with <= 1000 distinct values: age, education-num, capital-gain/loss, hours) reproduce
 * the training CDF exactly at every value, and the 1001-knot quantile function (fnlwgt) is exact
 * at each knot, so its CDF error is at most 1/1000 between knots.  What remains is sampling noise:
 * the 99.9% critical value of the two-sample KS for n = 100000, m = 32561 is
 * 1.95 * sqrt(1/n + 1/m) ~= 0.0124 (the usual 1.36 * sqrt(...) ~= 0.0087 at 95%).  0.03 leaves
 * room for both and still catches a wrong marginal (a misplaced null share, a shifted or
 * mis-rounded column gives KS well above 0.05). */
static void test_numeric_marginals_ks(void **state)
{
    (void)state;
    need_tables();
    double worst = 0;
    const char *worst_col = "";
    for (size_t c = 0; c < g_schema->ncols; c++) {
        if (g_real.num[c] == NULL)
            continue;
        size_t n, m;
        double *a = sorted_values(g_gen.num[c], g_gen.nrows, &n);
        double *b = sorted_values(g_real.num[c], g_real.nrows, &m);
        double ks = ks_two_sample(a, n, b, m);
        print_message("KS %-16s %.4f\n", g_schema->cols[c].name, ks);
        if (ks > worst) {
            worst = ks;
            worst_col = g_schema->cols[c].name;
        }
        /* generated values stay inside the training range */
        assert_true(a[0] >= g_schema->cols[c].min && a[n - 1] <= g_schema->cols[c].max);
        free(a);
        free(b);
    }
    print_message("KS max %.4f (%s)\n", worst, worst_col);
    if (worst >= 0.03)
        fail_msg("KS %.4f for column '%s' (bound 0.03)", worst, worst_col);
}

/* Total variation distance per categorical column < 0.02: category frequencies come from the
 * exact counts of the schema pass and are laid out as intervals of u, so only sampling noise
 * remains (for 100k rows and up to 42 categories, E[TV] ~ 0.5 * sum sqrt(2 p / (pi n)) < 0.01). */
static void test_categorical_tv(void **state)
{
    (void)state;
    need_tables();
    double worst = 0;
    const char *worst_col = "";
    for (size_t c = 0; c < g_schema->ncols; c++) {
        if (g_real.cat[c] == NULL)
            continue;
        const synth_column *col = &g_schema->cols[c];
        size_t k = col->ncategories + 1;   /* [0] = null */
        double *pg = calloc(k, sizeof *pg), *pr = calloc(k, sizeof *pr);
        for (size_t r = 0; r < g_gen.nrows; r++)
            pg[g_gen.cat[c][r] + 1] += 1.0 / (double)g_gen.nrows;
        for (size_t r = 0; r < g_real.nrows; r++)
            pr[g_real.cat[c][r] + 1] += 1.0 / (double)g_real.nrows;
        double tv = 0;
        for (size_t i = 0; i < k; i++)
            tv += 0.5 * fabs(pg[i] - pr[i]);
        /* no null slot when training had no nulls */
        if (col->null_count == 0)
            assert_true(pg[0] == 0.0);
        print_message("TV %-16s %.4f\n", col->name, tv);
        if (tv > worst) {
            worst = tv;
            worst_col = col->name;
        }
        free(pg);
        free(pr);
    }
    print_message("TV max %.4f (%s)\n", worst, worst_col);
    if (worst >= 0.02)
        fail_msg("total variation %.4f for column '%s' (bound 0.02)", worst, worst_col);
}

/* Pearson correlation of each numeric pair within 0.1 of the real one.  The copula fits the
 * correlation of normal scores, which matches Pearson on the raw values only approximately for
 * skewed columns (capital-gain); 0.1 is the tolerance the project uses for "dependence kept". */
static void test_numeric_correlations(void **state)
{
    (void)state;
    need_tables();
    double worst = 0;
    char worst_pair[96] = "";
    for (size_t a = 0; a < g_schema->ncols; a++)
        for (size_t b = a + 1; b < g_schema->ncols; b++) {
            if (g_real.num[a] == NULL || g_real.num[b] == NULL)
                continue;
            double rr = pearson(g_real.num[a], g_real.num[b], g_real.nrows);
            double rg = pearson(g_gen.num[a], g_gen.num[b], g_gen.nrows);
            double diff = fabs(rr - rg);
            if (diff > worst) {
                worst = diff;
                snprintf(worst_pair, sizeof worst_pair, "%s x %s: real %.3f generated %.3f", g_schema->cols[a].name,
                         g_schema->cols[b].name, rr, rg);
            }
        }
    print_message("correlation max |diff| %.4f (%s)\n", worst, worst_pair);
    if (worst > 0.1)
        fail_msg("Pearson correlation differs by %.4f (bound 0.1): %s", worst, worst_pair);
}

/* In Adult, 13192 of the 13193 Husband rows are Male (0.99992).  A Gaussian copula cannot make
 * that exact: it gives the pair a latent correlation, and the share of Male among generated
 * Husbands is P(sex in Male's interval | relationship in Husband's interval).  Independence would
 * give 0.669 (the Male share); the fitted model gives 0.938 (measured with the default
 * parameters, seed 1, 100k rows; the sampling noise on ~40k Husband rows is ~0.001).  The bound
 * 0.9 sits between the two: it fails when the dependence is lost or badly weakened.
 * Wife -> Female (real 0.9987) is only printed: with one latent axis per column, the category
 * order puts Wife beside Husband (both married), so generated Wives are mostly Male (0.196 at the
 * time of writing, below independence 0.331) -- a known limit of the one-dimensional encoding. */
static void test_sex_relationship(void **state)
{
    (void)state;
    need_tables();
    long sex = synth_schema_find(g_schema, "sex"), rel = synth_schema_find(g_schema, "relationship");
    assert_true(sex >= 0 && rel >= 0);
    const synth_column *sc = &g_schema->cols[sex], *rc = &g_schema->cols[rel];
    int32_t male = (int32_t)synth_cell_category(sc, " Male", 5), female = (int32_t)synth_cell_category(sc, " Female", 7);
    int32_t husband = (int32_t)synth_cell_category(rc, " Husband", 8), wife = (int32_t)synth_cell_category(rc, " Wife", 5);
    assert_true(male >= 0 && female >= 0 && husband >= 0 && wife >= 0);
    double share[2][2] = {{0}};   /* [real/gen][husband->male, wife->female] */
    const table *tabs[2] = {&g_real, &g_gen};
    for (int t = 0; t < 2; t++) {
        double h = 0, hm = 0, w = 0, wf = 0;
        for (size_t r = 0; r < tabs[t]->nrows; r++) {
            int32_t s = tabs[t]->cat[sex][r], q = tabs[t]->cat[rel][r];
            if (q == husband) {
                h++;
                hm += s == male;
            } else if (q == wife) {
                w++;
                wf += s == female;
            }
        }
        share[t][0] = hm / h;
        share[t][1] = wf / w;
    }
    print_message("Husband->Male real %.4f generated %.4f; Wife->Female real %.4f generated %.4f\n", share[0][0],
                  share[1][0], share[0][1], share[1][1]);
    assert_true(share[0][0] > 0.999);
    if (share[1][0] < 0.9)
        fail_msg("share of generated Husband rows that are Male: %.4f (real %.4f, bound 0.9)", share[1][0], share[0][0]);
}

/* ---- model round trips ------------------------------------------------------------------------------- */

static void save_model(const synth_model *m, const char *path)
{
    synth_model_file *mf = NULL;
    synth_err err;
    assert_int_equal(synth_model_file_create(&mf, path, &err), SYNTH_OK);
    int rc = gen->save(m, mf, &err);
    if (rc)
        fail_msg("save: %s", err.msg);
    assert_int_equal(synth_model_file_commit(mf, &err), SYNTH_OK);
}

static int load_model(const char *path, const synth_schema *s, synth_model **out, synth_err *err)
{
    synth_model_file *mf = NULL;
    int rc = synth_model_file_open(&mf, path, err);
    if (rc)
        return rc;
    rc = gen->load(mf, s, out, err);
    synth_model_file_free(mf);
    return rc;
}

/* Sample rows with both models and require identical cells (bit-exact numbers, same indexes, same
 * text, same nulls). */
static void assert_same_samples(const synth_model *a, const synth_model *b, const synth_schema *s, uint64_t seed,
                                uint64_t first, size_t n)
{
    synth_chunk *ca = synth_chunk_new(s->ncols, n), *cb = synth_chunk_new(s->ncols, n);
    ca->first_row = cb->first_row = first;
    ca->nrows = cb->nrows = n;
    synth_err err;
    assert_int_equal(gen->sample(a, seed, ca, &err), SYNTH_OK);
    assert_int_equal(gen->sample(b, seed, cb, &err), SYNTH_OK);
    for (size_t c = 0; c < s->ncols; c++)
        for (size_t r = 0; r < n; r++) {
            size_t i = c * n + r;
            if (ca->is_null[i] != cb->is_null[i])
                fail_msg("column '%s' row %zu: null %d vs %d", s->cols[c].name, r, ca->is_null[i], cb->is_null[i]);
            if (ca->is_null[i])
                continue;
            switch (s->cols[c].type) {
            case SYNTH_COL_TEXT:
                assert_int_equal(ca->cells[i].str.len, cb->cells[i].str.len);
                assert_memory_equal(ca->arena + ca->cells[i].str.off, cb->arena + cb->cells[i].str.off,
                                    ca->cells[i].str.len);
                break;
            case SYNTH_COL_INTEGER:
            case SYNTH_COL_FLOAT:
            case SYNTH_COL_DATETIME:
                if (memcmp(&ca->cells[i].num, &cb->cells[i].num, sizeof(double)) != 0)
                    fail_msg("column '%s' row %zu: %.17g vs %.17g", s->cols[c].name, r, ca->cells[i].num,
                             cb->cells[i].num);
                break;
            default:
                assert_int_equal(ca->cells[i].index, cb->cells[i].index);
            }
        }
    synth_chunk_free(ca);
    synth_chunk_free(cb);
}

static void test_round_trip_adult(void **state)
{
    (void)state;
    char path[256];
    tu_path(path, sizeof path, ".synth");
    save_model(g_model, path);
    synth_model *back = NULL;
    synth_err err;
    int rc = load_model(path, g_schema, &back, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_same_samples(g_model, back, g_schema, 7, 0, 20000);
    assert_same_samples(g_model, back, g_schema, 7, 123456789, 1000);
    json_t *da = gen->describe(g_model), *db = gen->describe(back);
    assert_non_null(da);
    assert_true(json_equal(da, db));
    assert_int_equal(json_array_size(json_object_get(da, "dimensions")), 15);
    json_decref(da);
    json_decref(db);
    gen->free(back);
}

/* A small table with every type the copula handles: text, ids, datetime, boolean, nulls. */
static const char *small_fixture(void)
{
    static char path[256];
    if (path[0] != '\0')
        return path;
    static const char *const words[] = {"red", "green", "blue", "cyan", "gold"};
    tu_buf b = {0};
    tu_add(&b, "id,cust,age,score,color,ok,when,note,empty,rare\n");
    for (int i = 0; i < 60; i++)
        tu_add(&b, "%d,C%04d,%s,%d.%02d,%s,%s,2021-%02d-%02d 10:%02d:00,%s %s word%d and %s,,%s\n", i + 1, i * 2,
               i % 7 == 0 ? "NA" : (i % 3 ? "30" : "41"), i % 13, (i * 37) % 100, words[i % 5], i % 4 ? "yes" : "no",
               i % 12 + 1, i % 28 + 1, i % 60, words[i % 3], words[(i + 1) % 5], i, words[i % 2],
               i % 10 == 0 ? "x" : "");
    tu_path(path, sizeof path, ".csv");
    tu_write(path, b.p, b.len);
    tu_buf_free(&b);
    return path;
}

static void infer_small(synth_schema **s, synth_sample_table **t)
{
    synth_infer_options o;
    synth_infer_options_init(&o);
    o.progress = SYNTH_PROGRESS_NEVER;
    synth_err err;
    int rc = synth_infer_csv(small_fixture(), &o, s, t, NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
}

static void test_round_trip_all_types(void **state)
{
    (void)state;
    synth_schema *s;
    synth_sample_table *t;
    infer_small(&s, &t);
    assert_int_equal(s->cols[synth_schema_find(s, "note")].type, SYNTH_COL_TEXT);
    assert_int_equal(s->cols[synth_schema_find(s, "when")].type, SYNTH_COL_DATETIME);
    assert_int_equal(s->cols[synth_schema_find(s, "cust")].type, SYNTH_COL_ID);
    synth_model *m = NULL, *back = NULL;
    synth_fit_options fo = {.progress = SYNTH_PROGRESS_NEVER};
    synth_err err;
    int rc = gen->fit(s, t, &fo, &m, &err);
    if (rc)
        fail_msg("fit: %s", err.msg);
    char path[256];
    tu_path(path, sizeof path, ".synth");
    save_model(m, path);
    rc = load_model(path, s, &back, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_same_samples(m, back, s, 3, 0, 5000);
    /* ids are the row numbers; text is made of training words seen at least twice */
    synth_chunk *ch = synth_chunk_new(s->ncols, 500);
    ch->nrows = 500;
    ch->first_row = 1000;
    assert_int_equal(gen->sample(m, 3, ch, &err), SYNTH_OK);
    size_t note = (size_t)synth_schema_find(s, "note"), id = (size_t)synth_schema_find(s, "id");
    for (size_t r = 0; r < 500; r++) {
        assert_int_equal(ch->cells[id * ch->cap + r].index, 1000 + (int64_t)r);
        if (ch->is_null[note * ch->cap + r])
            continue;
        char text[512];
        synth_cell cell = ch->cells[note * ch->cap + r];
        assert_true(cell.str.len < sizeof text);
        memcpy(text, ch->arena + cell.str.off, cell.str.len);
        text[cell.str.len] = '\0';
        /* "wordN" are the only training words containing "word", and each occurs once */
        if (strstr(text, "word") != NULL)
            fail_msg("'%s': a word seen once in training must not be emitted", text);
    }
    synth_chunk_free(ch);
    gen->free(back);
    gen->free(m);
    synth_sample_table_free(t);
    synth_schema_free(s);
}

/* A row is a pure function of (model, seed, row): the same rows in another chunk layout match. */
static void test_row_purity(void **state)
{
    (void)state;
    need_tables();
    table t;
    table_init(&t, g_schema, 300);
    sample_into(g_model, g_schema, 1, 5000, 300, 7, &t);
    for (size_t c = 0; c < g_schema->ncols; c++)
        for (size_t r = 0; r < 300; r++) {
            if (t.num[c] != NULL) {
                double a = t.num[c][r], b = g_gen.num[c][5000 + r];
                assert_true((isnan(a) && isnan(b)) || a == b);
            } else if (t.cat[c] != NULL) {
                assert_int_equal(t.cat[c][r], g_gen.cat[c][5000 + r]);
            }
        }
    table_free(&t);
}

/* ---- parameters ----------------------------------------------------------------------------------------- */

static void test_parametric(void **state)
{
    (void)state;
    const char *params[] = {"marginals=parametric"};
    synth_fit_options fo = {.params = params, .nparams = 1, .progress = SYNTH_PROGRESS_NEVER};
    synth_model *m = NULL;
    synth_err err;
    int rc = gen->fit(g_schema, g_sample, &fo, &m, &err);
    if (rc)
        fail_msg("fit: %s", err.msg);
    json_t *d = gen->describe(m);
    json_t *dims = json_object_get(d, "dimensions");
    size_t i;
    json_t *o;
    size_t nparam = 0;
    json_array_foreach(dims, i, o) {
        const char *kind = json_string_value(json_object_get(o, "marginal"));
        if (kind != NULL) {
            assert_string_equal(kind, "parametric");
            nparam++;
        }
    }
    assert_int_equal(nparam, 6);
    json_decref(d);
    table t;
    table_init(&t, g_schema, 20000);
    sample_into(m, g_schema, 2, 0, 20000, 4096, &t);
    for (size_t c = 0; c < g_schema->ncols; c++) {
        if (t.num[c] == NULL)
            continue;
        const synth_column *col = &g_schema->cols[c];
        double lo = INFINITY, hi = -INFINITY;
        for (size_t r = 0; r < t.nrows; r++) {
            double v = t.num[c][r];
            assert_false(isnan(v));   /* Adult has no numeric nulls */
            if (v < col->min || v > col->max)
                fail_msg("column '%s': %.17g outside [%g, %g]", col->name, v, col->min, col->max);
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
        assert_true(hi > lo);   /* not collapsed to a constant */
    }
    table_free(&t);
    /* and it saves and loads to the same samples */
    char path[256];
    tu_path(path, sizeof path, ".synth");
    save_model(m, path);
    synth_model *back = NULL;
    rc = load_model(path, g_schema, &back, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_same_samples(m, back, g_schema, 2, 0, 2000);
    gen->free(back);
    gen->free(m);
}

static void expect_param_error(const char *param, const char *needle)
{
    const char *params[] = {param};
    synth_fit_options fo = {.params = params, .nparams = 1, .progress = SYNTH_PROGRESS_NEVER};
    synth_model *m = (synth_model *)1;
    synth_err err;
    synth_err_clear(&err);
    int rc = gen->fit(g_schema, g_sample, &fo, &m, &err);
    if (rc != SYNTH_USAGE)
        fail_msg("--param %s: got %d (%s), expected SYNTH_USAGE", param, rc, err.msg);
    assert_null(m);
    tu_assert_contains(err.msg, needle);
}

static void test_param_validation(void **state)
{
    (void)state;
    expect_param_error("knots=1", "knots=1");
    expect_param_error("knots=0", "knots");
    expect_param_error("knots=abc", "knots=abc");
    expect_param_error("knots=", "knots");
    expect_param_error("knots=-5", "knots");
    expect_param_error("knots=12x", "knots");
    expect_param_error("marginals=foo", "marginals=foo");
    expect_param_error("marginals=", "marginals");
    expect_param_error("order_iterations=101", "order_iterations");
    expect_param_error("correction=2", "correction");
    expect_param_error("discrete_max=1e3", "discrete_max");
    /* unknown keys are rejected by the registry helper the CLI calls before fit */
    const char *params[] = {"knots=11", "bogus=1"};
    synth_fit_options fo = {.params = params, .nparams = 2};
    synth_err err;
    assert_int_equal(synth_params_check(&fo, gen, &err), SYNTH_USAGE);
    tu_assert_contains(err.msg, "bogus");
    const char *noeq[] = {"knots"};
    fo.params = noeq;
    fo.nparams = 1;
    assert_int_equal(synth_params_check(&fo, gen, &err), SYNTH_USAGE);
    assert_ptr_equal(synth_generator_find("copula"), gen);
    assert_null(synth_generator_find("gan"));
    /* valid extremes fit */
    const char *ok[] = {"knots=2", "discrete_max=0", "order_iterations=0", "correction=0", "knots=3"};
    fo.params = ok;
    fo.nparams = 5;
    fo.progress = SYNTH_PROGRESS_NEVER;
    assert_int_equal(synth_params_check(&fo, gen, &err), SYNTH_OK);
    assert_string_equal(synth_param_get(&fo, "knots"), "3");   /* the last one wins */
    synth_model *m = NULL;
    int rc = gen->fit(g_schema, g_sample, &fo, &m, &err);
    if (rc)
        fail_msg("fit: %s", err.msg);
    gen->free(m);
}

static void test_fit_bad_input(void **state)
{
    (void)state;
    synth_sample_table empty = {.ncols = g_schema->ncols};
    synth_fit_options fo = {.progress = SYNTH_PROGRESS_NEVER};
    synth_model *m = NULL;
    synth_err err;
    assert_int_equal(gen->fit(g_schema, &empty, &fo, &m, &err), SYNTH_BAD_INPUT);
    assert_null(m);
    assert_int_equal(gen->fit(g_schema, NULL, &fo, &m, &err), SYNTH_BAD_INPUT);
}

/* ---- allocation failures ------------------------------------------------------------------------------ */

/* Every allocation of fit, in turn, fails once (then all from that one on): the result is
 * SYNTH_NOMEM, no crash, nothing leaked (ASan).  Regression: an allocation failure inside the
 * correlation repair used to come back as SYNTH_INTERNAL "could not be factored". */
static void test_alloc_failures_fit(void **state)
{
    (void)state;
    synth_schema *s;
    synth_sample_table *t;
    infer_small(&s, &t);
    synth_fit_options fo = {.progress = SYNTH_PROGRESS_NEVER};
    synth_model *m = NULL;
    synth_err err;
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(gen->fit(s, t, &fo, &m, &err), SYNTH_OK);
    long needed = synth_alloc_fail_after(-1, 0);
    gen->free(m);
    assert_true(needed > 10);
    long internal = 0, first_internal = -1;
    char internal_msg[SYNTH_ERR_MSG_MAX] = "";
    for (int sticky = 0; sticky <= 1; sticky++)
        for (long n = 0; n < needed; n++) {
            m = NULL;
            synth_err_clear(&err);
            synth_alloc_fail_after(n, sticky);
            int rc = gen->fit(s, t, &fo, &m, &err);
            synth_alloc_fail_after(-1, 0);
            if (rc == SYNTH_OK) {
                gen->free(m);
                fail_msg("allocation %ld (sticky %d) failed but fit succeeded", n, sticky);
            }
            assert_null(m);
            if (rc == SYNTH_INTERNAL) {
                if (internal++ == 0) {
                    first_internal = n;
                    snprintf(internal_msg, sizeof internal_msg, "%s", err.msg);
                }
                continue;
            }
            if (rc != SYNTH_NOMEM)
                fail_msg("allocation %ld (sticky %d): got %d (%s), expected SYNTH_NOMEM", n, sticky, rc, err.msg);
        }
    synth_sample_table_free(t);
    synth_schema_free(s);
    if (internal > 0)
        fail_msg("%ld injected allocation failures (first at allocation %ld) returned SYNTH_INTERNAL \"%s\" "
                 "instead of SYNTH_NOMEM", internal, first_internal, internal_msg);
}

static void test_alloc_failures_load_and_sample(void **state)
{
    (void)state;
    synth_schema *s;
    synth_sample_table *t;
    infer_small(&s, &t);
    synth_fit_options fo = {.progress = SYNTH_PROGRESS_NEVER};
    synth_model *m = NULL;
    synth_err err;
    assert_int_equal(gen->fit(s, t, &fo, &m, &err), SYNTH_OK);
    char path[256];
    tu_path(path, sizeof path, ".synth");
    save_model(m, path);
    /* load */
    synth_model_file *mf = NULL;
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_OK);
    long n;
    for (n = 0;; n++) {
        synth_model *back = NULL;
        synth_alloc_fail_after(n, 0);
        int rc = gen->load(mf, s, &back, &err);
        synth_alloc_fail_after(-1, 0);
        if (rc == SYNTH_OK) {
            assert_same_samples(m, back, s, 1, 0, 500);
            gen->free(back);
            break;
        }
        if (rc != SYNTH_NOMEM)
            fail_msg("load, allocation %ld: got %d (%s), expected SYNTH_NOMEM", n, rc, err.msg);
        assert_null(back);
        assert_true(n < 10000);
    }
    assert_true(n > 5);
    synth_model_file_free(mf);
    /* sample: the chunk's scratch and text arena */
    for (n = 0; n < 2; n++) {
        synth_chunk *ch = synth_chunk_new(s->ncols, 256);
        ch->nrows = 256;
        synth_alloc_fail_after(n, 0);
        int rc = gen->sample(m, 1, ch, &err);
        synth_alloc_fail_after(-1, 0);
        assert_int_equal(rc, SYNTH_NOMEM);
        assert_int_equal(gen->sample(m, 1, ch, &err), SYNTH_OK);   /* and the chunk is still usable */
        synth_chunk_free(ch);
    }
    gen->free(m);
    synth_sample_table_free(t);
    synth_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric_marginals_ks),
        cmocka_unit_test(test_categorical_tv),
        cmocka_unit_test(test_numeric_correlations),
        cmocka_unit_test(test_sex_relationship),
        cmocka_unit_test(test_round_trip_adult),
        cmocka_unit_test(test_round_trip_all_types),
        cmocka_unit_test(test_row_purity),
        cmocka_unit_test(test_parametric),
        cmocka_unit_test(test_param_validation),
        cmocka_unit_test(test_fit_bad_input),
        cmocka_unit_test(test_alloc_failures_fit),
        cmocka_unit_test(test_alloc_failures_load_and_sample),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
