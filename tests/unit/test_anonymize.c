/* test_anonymize.c -- unit tests of privacy/anonymize.c and privacy/hierarchy.c: the textbook
 * inpatient table (Machanavajjhala et al. 2007) with k=4 and l=2, t-closeness on Li et al.'s
 * salary example (ordered distance) and a categorical table (equal distance), Adult with k=5
 * and l, and with k=5 and t=0.15, the
 * automatic hierarchies, hierarchy-file errors, edge cases (empty, single row, all-null QIs) and
 * allocation-failure injection.  k, l and t of every output are verified independently here
 * (counting classes; EMD computed from the output file), and by the report's
 * synth_privacy_check_csv result. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "anonymize.h"
#include "hierarchy.h"
#include "test_util.h"

#define DATA "tests/unit/data/privacy/"

static int setup(void **state)
{
    (void)state;
    return tu_make_dir("anonymize");
}

static int teardown(void **state)
{
    (void)state;
    return tu_drop_dir();
}

/* ---- independent verification of an output file -------------------------------------------- */

typedef struct verdict {
    size_t rows, classes, min_class, min_distinct;
    char first_zip[16];
} verdict;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Count classes over the QI columns (and distinct values of `sens` per class, if not NULL). */
static verdict verify(const char *path, const char *const *qi, size_t nqi, const char *sens)
{
    verdict v;
    memset(&v, 0, sizeof v);
    v.min_class = SIZE_MAX;
    v.min_distinct = SIZE_MAX;
    synth_err err;
    synth_csv_reader *rd = NULL;
    assert_int_equal(synth_csv_reader_open(&rd, path, NULL, &err), 0);
    size_t idx[16], sidx = SIZE_MAX;
    assert_true(nqi <= 16);
    for (size_t q = 0; q < nqi; q++) {
        idx[q] = SIZE_MAX;
        for (size_t c = 0; c < synth_csv_reader_ncols(rd); c++)
            if (strcmp(synth_csv_reader_column_name(rd, c), qi[q]) == 0)
                idx[q] = c;
        assert_true(idx[q] != SIZE_MAX);
    }
    for (size_t c = 0; sens && c < synth_csv_reader_ncols(rd); c++)
        if (strcmp(synth_csv_reader_column_name(rd, c), sens) == 0)
            sidx = c;
    size_t cap = 1024, n = 0;
    char **keys = malloc(cap * sizeof *keys);
    assert_non_null(keys);
    const synth_csv_chunk *ch;
    int rc;
    while ((rc = synth_csv_reader_next(rd, &ch, &err)) > 0) {
        for (size_t r = 0; r < ch->nrows; r++) {
            char buf[1024];
            size_t len = 0;
            for (size_t q = 0; q < nqi; q++) {
                size_t l;
                const char *s = synth_csv_cell(ch, r, idx[q], &l);
                if (q == 0 && v.first_zip[0] == '\0')
                    snprintf(v.first_zip, sizeof v.first_zip, "%s", s);
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s\x1f", s);
            }
            size_t l;
            const char *s = sidx != SIZE_MAX ? synth_csv_cell(ch, r, sidx, &l) : "";
            snprintf(buf + len, sizeof buf - len, "\x1e%s", s);
            if (n == cap) {
                cap *= 2;
                keys = realloc(keys, cap * sizeof *keys);
                assert_non_null(keys);
            }
            keys[n] = strdup(buf);
            assert_non_null(keys[n]);
            n++;
        }
    }
    assert_int_equal(rc, 0);
    synth_csv_reader_free(rd);
    qsort(keys, n, sizeof *keys, cmp_str);
    size_t i = 0;
    while (i < n) {
        size_t j = i, distinct = 0;
        size_t klen = (size_t)(strchr(keys[i], '\x1e') - keys[i]);
        while (j < n && strncmp(keys[j], keys[i], klen + 1) == 0) {
            if (j == i || strcmp(keys[j], keys[j - 1]) != 0)
                distinct++;
            j++;
        }
        v.classes++;
        if (j - i < v.min_class)
            v.min_class = j - i;
        if (distinct < v.min_distinct)
            v.min_distinct = distinct;
        i = j;
    }
    for (i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    v.rows = n;
    return v;
}

/* EMD of every class of the output (classes over the QI columns, in sorted key order) against
 * the output's own distribution of `sens`, computed naively: ordered distance when every
 * non-empty value parses as a number (equal numbers are one value), else equal distance.
 * Fills emd[] (up to cap classes) and returns the number of classes; *max = largest EMD. */
typedef struct trow {
    char *key;
    char *val;
    double num;
} trow;

static int cmp_trow(const void *a, const void *b)
{
    return strcmp(((const trow *)a)->key, ((const trow *)b)->key);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t class_emds(const char *path, const char *const *qi, size_t nqi, const char *sens,
                         double *emd, size_t cap, double *max)
{
    synth_err err;
    synth_csv_reader *rd = NULL;
    assert_int_equal(synth_csv_reader_open(&rd, path, NULL, &err), 0);
    size_t idx[16], sidx = SIZE_MAX;
    assert_true(nqi <= 16);
    for (size_t c = 0; c < synth_csv_reader_ncols(rd); c++) {
        const char *name = synth_csv_reader_column_name(rd, c);
        for (size_t q = 0; q < nqi; q++)
            if (strcmp(name, qi[q]) == 0)
                idx[q] = c;
        if (strcmp(name, sens) == 0)
            sidx = c;
    }
    assert_true(sidx != SIZE_MAX);
    size_t n = 0, rcap = 1024;
    trow *rows = malloc(rcap * sizeof *rows);
    assert_non_null(rows);
    int numeric = 1, any = 0;
    const synth_csv_chunk *ch;
    int rc;
    while ((rc = synth_csv_reader_next(rd, &ch, &err)) > 0) {
        for (size_t r = 0; r < ch->nrows; r++) {
            char buf[1024];
            size_t len = 0, l;
            for (size_t q = 0; q < nqi; q++)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s\x1f",
                                        synth_csv_cell(ch, r, idx[q], &l));
            if (n == rcap) {
                rcap *= 2;
                rows = realloc(rows, rcap * sizeof *rows);
                assert_non_null(rows);
            }
            rows[n].key = strdup(buf);
            rows[n].val = strdup(synth_csv_cell(ch, r, sidx, &l));
            assert_non_null(rows[n].key);
            assert_non_null(rows[n].val);
            char *end;
            rows[n].num = strtod(rows[n].val, &end);
            if (rows[n].val[0] != '\0') {
                any = 1;
                if (*end != '\0' || isnan(rows[n].num))
                    numeric = 0;
            }
            n++;
        }
    }
    assert_int_equal(rc, 0);
    synth_csv_reader_free(rd);
    numeric = numeric && any;
    /* distinct values: numbers (empty = -inf, sorted first) or texts (as sorted strings) */
    double *dv = malloc((n ? n : 1) * sizeof *dv);
    char **sv = malloc((n ? n : 1) * sizeof *sv);
    assert_non_null(dv);
    assert_non_null(sv);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        dv[i] = rows[i].val[0] == '\0' ? -INFINITY : rows[i].num;
        sv[i] = rows[i].val;
    }
    if (numeric)
        qsort(dv, n, sizeof *dv, cmp_dbl);
    else
        qsort(sv, n, sizeof *sv, cmp_str);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || (numeric ? dv[i] != dv[m - 1] : strcmp(sv[i], sv[m - 1]) != 0)) {
            dv[m] = dv[i];
            sv[m] = sv[i];
            m++;
        }
    size_t *vix = malloc((n ? n : 1) * sizeof *vix);
    double *q = calloc(m ? m : 1, sizeof *q), *p = calloc(m ? m : 1, sizeof *p);
    assert_non_null(vix);
    assert_non_null(q);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        double x = rows[i].val[0] == '\0' ? -INFINITY : rows[i].num;
        size_t j;
        for (j = 0; j < m; j++)
            if (numeric ? dv[j] == x : strcmp(sv[j], rows[i].val) == 0)
                break;
        assert_true(j < m);
        vix[i] = j;
        q[j] += 1.0 / (double)n;
    }
    /* sort rows by key, carrying the value index */
    for (size_t i = 0; i < n; i++) {
        char *tmp = malloc(32);
        assert_non_null(tmp);
        snprintf(tmp, 32, "%zu", vix[i]);
        free(rows[i].val);
        rows[i].val = tmp;
    }
    qsort(rows, n, sizeof *rows, cmp_trow);
    size_t ncls = 0, i = 0;
    *max = 0.0;
    while (i < n) {
        size_t j = i;
        memset(p, 0, m * sizeof *p);
        while (j < n && strcmp(rows[j].key, rows[i].key) == 0)
            j++;
        for (size_t r = i; r < j; r++)
            p[strtoul(rows[r].val, NULL, 10)] += 1.0 / (double)(j - i);
        double e = 0.0;
        if (m > 1) {
            if (numeric) {
                double cum = 0.0;
                for (size_t v = 0; v < m; v++) {
                    cum += p[v] - q[v];
                    e += fabs(cum);
                }
                e /= (double)(m - 1);
            } else {
                for (size_t v = 0; v < m; v++)
                    e += fabs(p[v] - q[v]);
                e /= 2.0;
            }
        }
        if (ncls < cap)
            emd[ncls] = e;
        if (e > *max)
            *max = e;
        ncls++;
        i = j;
    }
    for (i = 0; i < n; i++) {
        free(rows[i].key);
        free(rows[i].val);
    }
    free(rows);
    free(dv);
    free(sv);
    free(vix);
    free(q);
    free(p);
    return ncls;
}

static json_int_t jint(const json_t *o, const char *key)
{
    json_t *x = json_object_get(o, key);
    assert_true(json_is_integer(x));
    return json_integer_value(x);
}

static const char *const inpatient_qi[] = {"zip", "age", "nationality"};
static const char *const condition[] = {"condition"};

static void inpatient_request(synth_anonymize_request *req, char *out, size_t size)
{
    synth_anonymize_request_init(req);
    req->input = DATA "inpatient.csv";
    req->output = tu_path(out, size, ".csv");
    req->spec.qi = inpatient_qi;
    req->spec.nqi = 3;
    req->spec.k = 4;
}

/* ---- the textbook table --------------------------------------------------------------------- */

static void test_inpatient_k4(void **state)
{
    (void)state;
    char out[256];
    synth_anonymize_request req;
    inpatient_request(&req, out, sizeof out);
    req.hierarchy_path = DATA "inpatient_age.json";
    json_t *rep = NULL;
    synth_err err;
    int rc = synth_anonymize_csv(&req, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    verdict v = verify(out, inpatient_qi, 3, NULL);
    assert_int_equal(v.rows, 12);
    assert_true(v.min_class >= 4);
    assert_int_equal(v.classes, 3);
    assert_int_equal(jint(rep, "rows_suppressed"), 0);
    assert_true(json_is_true(json_object_get(rep, "check_passed")));
    /* Optimal by NCP: zip masked one digit (1305*, 1306*, 1485* -- lower loss than the paper's
     * "130**" and "148**", and just as 4-anonymous), age "<40"/">=40", nationality suppressed. */
    json_t *g = json_object_get(rep, "generalization");
    assert_int_equal(json_array_size(g), 3);
    assert_int_equal(jint(json_array_get(g, 0), "level"), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(g, 0), "kind")), "mask");
    assert_int_equal(jint(json_array_get(g, 1), "level"), 2);
    assert_int_equal(jint(json_array_get(g, 2), "level"), 1);
    char *text = tu_read(out, NULL);
    assert_non_null(strstr(text, "zip,age,nationality,condition\n"));
    assert_non_null(strstr(text, "1305*,<40,*,Heart Disease\n"));
    assert_non_null(strstr(text, "1485*,>=40,*,Cancer\n"));
    free(text);
    json_t *loss = json_object_get(rep, "information_loss");
    double ncp = json_real_value(json_object_get(loss, "ncp"));
    /* zip: 4 of 12 rows in 1485* (2 of 4 zips): (4/12)(1/3); age: (8*7/11 + 4*3/11)/12; nat: 1 */
    double expect = ((4.0 / 12.0) * (1.0 / 3.0) + (8.0 * 7.0 / 11.0 + 4.0 * 3.0 / 11.0) / 12.0 + 1.0) / 3.0;
    assert_true(fabs(ncp - expect) < 1e-9);
    assert_true(fabs(json_real_value(json_object_get(loss, "discernibility")) - 48.0) < 1e-9);
    json_decref(rep);

    /* the paper's "130**" and "148**" are level 2 of the automatic zip mask */
    const char *vals[] = {"13053", "13068", "14853"};
    uint32_t lens[] = {5, 5, 5};
    synth_hier *h = NULL;
    assert_int_equal(synth_hier_build("zip", vals, lens, 3, NULL, NULL, &h, &err), 0);
    assert_int_equal(h->kind, SYNTH_HIER_MASK);
    assert_int_equal(h->nlevels, 6);
    assert_string_equal(h->labels[2][h->gid[2][0]], "130**");
    assert_string_equal(h->labels[2][h->gid[2][2]], "148**");
    assert_int_equal(h->gid[2][0], h->gid[2][1]);
    assert_string_equal(h->labels[5][h->gid[5][1]], "*****");
    synth_hier_free(h);
}

static void test_inpatient_l2(void **state)
{
    (void)state;
    char out[256];
    synth_anonymize_request req;
    inpatient_request(&req, out, sizeof out);
    req.hierarchy_path = DATA "inpatient_age.json";
    req.spec.sensitive = condition;
    req.spec.nsensitive = 1;
    req.spec.l = 2;
    json_t *rep = NULL;
    synth_err err;
    int rc = synth_anonymize_csv(&req, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    verdict v = verify(out, inpatient_qi, 3, "condition");
    assert_int_equal(v.rows, 12);
    assert_true(v.min_class >= 4);
    assert_true(v.min_distinct >= 2);
    assert_true(json_is_true(json_object_get(rep, "check_passed")));
    json_decref(rep);

    /* l = 3 (entropy l = 3 too): no class of this table reaches it without merging everything */
    inpatient_request(&req, out, sizeof out);
    req.hierarchy_path = DATA "inpatient_age.json";
    req.spec.sensitive = condition;
    req.spec.nsensitive = 1;
    req.spec.l = 3;
    rc = synth_anonymize_csv(&req, &rep, &err);
    if (rc == 0) {
        v = verify(out, inpatient_qi, 3, "condition");
        assert_true(v.min_distinct >= 3);
        assert_true(json_is_true(json_object_get(rep, "check_passed")));
        json_decref(rep);
    } else {
        assert_int_equal(rc, SYNTH_BAD_INPUT);
        assert_non_null(strstr(err.msg, "no solution"));
    }
}

static void test_inpatient_auto(void **state)
{
    (void)state;
    char out[256];
    synth_anonymize_request req;
    inpatient_request(&req, out, sizeof out);
    req.hierarchy_path = DATA "nationality.json";
    json_t *rep = NULL;
    synth_err err;
    int rc = synth_anonymize_csv(&req, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    verdict v = verify(out, inpatient_qi, 3, NULL);
    assert_int_equal(v.rows, 12);
    assert_true(v.min_class >= 4);
    json_t *age = json_array_get(json_object_get(rep, "generalization"), 1);
    assert_string_equal(json_string_value(json_object_get(age, "kind")), "interval");
    json_decref(rep);

    /* the automatic age intervals: range 34 -> base width 5 -> [20-25), [20-30), [0-40)/[40-80) */
    const char *vals[] = {"21", "28", "55", ""};
    uint32_t lens[] = {2, 2, 2, 0};
    synth_hier *h = NULL;
    assert_int_equal(synth_hier_build("age", vals, lens, 4, NULL, NULL, &h, &err), 0);
    assert_int_equal(h->kind, SYNTH_HIER_INTERVAL);
    assert_true(h->base_width == 5.0);
    assert_string_equal(h->labels[1][h->gid[1][0]], "[20-25)");
    assert_string_equal(h->labels[2][h->gid[2][1]], "[20-30)");
    assert_string_equal(h->labels[3][h->gid[3][2]], "[40-60)");
    assert_string_equal(h->labels[h->nlevels - 1][h->gid[h->nlevels - 1][0]], "*");
    assert_string_equal(h->labels[h->nlevels - 1][h->gid[h->nlevels - 1][3]], "");
    assert_true(h->ncp[h->nlevels - 1][h->gid[h->nlevels - 1][0]] == 1.0);
    assert_true(h->ncp[1][h->gid[1][0]] > 0.0 && h->ncp[1][h->gid[1][0]] < 1.0);
    synth_hier_free(h);
}

static void test_date_and_category_hierarchies(void **state)
{
    (void)state;
    synth_err err;
    const char *d[] = {"2021-03-07", "2021-04-01", "2015-12-31"};
    uint32_t dl[] = {10, 10, 10};
    synth_hier *h = NULL;
    assert_int_equal(synth_hier_build("when", d, dl, 3, NULL, NULL, &h, &err), 0);
    assert_int_equal(h->kind, SYNTH_HIER_DATE);
    assert_int_equal(h->nlevels, 5); /* value, month, year, decade, * */
    assert_string_equal(h->labels[1][h->gid[1][0]], "2021-03");
    assert_string_equal(h->labels[2][h->gid[2][0]], "2021");
    assert_string_equal(h->labels[3][h->gid[3][0]], "202*");
    assert_string_equal(h->labels[3][h->gid[3][2]], "201*");
    assert_string_equal(h->labels[4][h->gid[4][2]], "*");
    synth_hier_free(h);

    const char *c[] = {"red", "green"};
    uint32_t cl[] = {3, 5};
    assert_int_equal(synth_hier_build("colour", c, cl, 2, NULL, NULL, &h, &err), 0);
    assert_int_equal(h->kind, SYNTH_HIER_SUPPRESS);
    assert_int_equal(h->nlevels, 2);
    assert_int_equal(h->ngroups[1], 1);
    assert_string_equal(h->labels[1][0], "*");
    synth_hier_free(h);

    /* a user hierarchy whose top level still separates values gets a final "*" level */
    json_error_t je;
    json_t *user = json_loads("{\"red\": [\"warm\"], \"green\": [\"cold\"], "
                              "\"blue\": [\"cold\"]}", 0, &je);
    assert_non_null(user);
    assert_int_equal(synth_hier_build("colour", c, cl, 2, user, "h.json", &h, &err), 0);
    assert_int_equal(h->kind, SYNTH_HIER_USER);
    assert_int_equal(h->nlevels, 3);
    assert_string_equal(h->labels[1][h->gid[1][0]], "warm");
    assert_string_equal(h->labels[2][h->gid[2][1]], "*");
    assert_true(h->ncp[1][h->gid[1][1]] == 0.0);
    assert_true(h->ncp[2][0] == 1.0);
    synth_hier_free(h);
    json_decref(user);
}

/* ---- t-closeness ---------------------------------------------------------------------------- */

static double sens_t(const json_t *rep, const char *col)
{
    json_t *x = json_object_get(json_object_get(json_object_get(json_object_get(rep, "check"),
                                                                "sensitive"), col), "t");
    assert_true(json_is_real(x));
    return json_real_value(x);
}

static const char *const salary_qi[] = {"zip", "age"};
static const char *const salary[] = {"salary"};

static int salary_run(double t, double max_supp, char *out, size_t size, json_t **rep,
                      synth_err *err)
{
    synth_anonymize_request req;
    synth_anonymize_request_init(&req);
    req.input = DATA "salary.csv";
    req.output = tu_path(out, size, ".csv");
    req.spec.qi = salary_qi;
    req.spec.nqi = 2;
    req.spec.sensitive = salary;
    req.spec.nsensitive = 1;
    req.spec.k = 3;
    req.spec.t = t;
    req.max_suppression = max_supp;
    return synth_anonymize_csv(&req, rep, err);
}

static void test_t_salary(void **state)
{
    (void)state;
    /* Li et al. 2007: against {3K..11K}, {3K,4K,5K} has ordered EMD 0.375, {6K,8K,11K} 0.167
     * (and {7K,9K,10K} 17/72 = 0.236) */
    double emd[8], max;
    const char *g[] = {"g"};
    const char *f = tu_file(".csv", "g,salary\na,3000\na,4000\na,5000\nb,6000\nb,8000\n"
                                    "b,11000\nc,7000\nc,9000\nc,10000\n");
    assert_int_equal(class_emds(f, g, 1, "salary", emd, 8, &max), 3);
    assert_true(fabs(emd[0] - 0.375) < 1e-12);
    assert_true(fabs(emd[1] - 1.0 / 6.0) < 1e-12);
    assert_true(fabs(emd[2] - 17.0 / 72.0) < 1e-12);

    /* salary.csv: zip level 1 (4760*, 4761*, 4762*) groups {3,4,5}, {6,8,11}, {7,9,10} (EMD
     * 0.375, 0.167, 0.236: fails t = 0.2); age intervals of width 4 ([20-24), [32-36), [48-52))
     * group {3,5,9}, {4,7,10}, {6,8,11} (EMD 1/6, 1/12, 1/6: passes t = 0.2, fails t = 0.1), and
     * so do widths 8 and 16; width 32 ([0-32), [32-64)) leaves {3,5,9} alone (1/6).  With k = 3
     * the zip must be 476** for the age classes.  So t = 0.2 gives the three age classes, and
     * t = 0.1 without suppression only the single class of all rows. */
    char out[256];
    json_t *rep = NULL;
    synth_err err;
    int rc = salary_run(0.2, 0.0, out, sizeof out, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    size_t ncls = class_emds(out, salary_qi, 2, "salary", emd, 8, &max);
    assert_int_equal(ncls, 3);
    assert_true(max <= 0.2);
    assert_true(fabs(max - 1.0 / 6.0) < 1e-12);
    verdict v = verify(out, salary_qi, 2, NULL);
    assert_int_equal(v.rows, 9);
    assert_true(v.min_class >= 3);
    assert_true(json_is_true(json_object_get(rep, "check_passed")));
    assert_true(fabs(sens_t(rep, "salary") - 1.0 / 6.0) < 1e-9);
    json_t *models = json_object_get(rep, "models");
    assert_true(json_real_value(json_object_get(models, "t")) == 0.2);
    assert_true(fabs(json_real_value(json_object_get(json_object_get(models, "t_achieved"),
                                                     "salary")) - 1.0 / 6.0) < 1e-9);
    json_decref(rep);

    rc = salary_run(0.1, 0.0, out, sizeof out, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(class_emds(out, salary_qi, 2, "salary", emd, 8, &max), 1);
    assert_true(max == 0.0);
    assert_int_equal(jint(rep, "rows_output"), 9);
    assert_true(json_is_true(json_object_get(rep, "check_passed")));
    json_decref(rep);

    /* t = 0.1 with k = 3 and 3 rows of suppression: the age classes lose {3,5,9} and {6,8,11}
     * (6 rows): still the single class */
    rc = salary_run(0.1, 3.0 / 9.0, out, sizeof out, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    class_emds(out, salary_qi, 2, "salary", emd, 8, &max);
    assert_true(max <= 0.1);
    assert_true(json_is_true(json_object_get(rep, "check_passed")));
    json_decref(rep);
}

static void test_t_categorical(void **state)
{
    (void)state;
    /* equal distance: the table is half flu, half cold; each age class is 3:1 -> EMD 0.25 */
    static const char *const qi[] = {"age"};
    static const char *const diag[] = {"diag"};
    char out[256];
    synth_anonymize_request req;
    synth_anonymize_request_init(&req);
    req.input = tu_file(".csv", "age,diag\n21,flu\n22,flu\n23,flu\n24,cold\n"
                                "51,cold\n52,cold\n53,cold\n54,flu\n");
    req.output = tu_path(out, sizeof out, ".csv");
    req.spec.qi = qi;
    req.spec.nqi = 1;
    req.spec.sensitive = diag;
    req.spec.nsensitive = 1;
    req.spec.k = 4;
    req.spec.t = 0.3;
    json_t *rep = NULL;
    synth_err err;
    int rc = synth_anonymize_csv(&req, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    double emd[4], max;
    assert_int_equal(class_emds(out, qi, 1, "diag", emd, 4, &max), 2);
    assert_true(fabs(emd[0] - 0.25) < 1e-12 && fabs(emd[1] - 0.25) < 1e-12);
    assert_true(fabs(sens_t(rep, "diag") - 0.25) < 1e-9);
    assert_true(json_is_false(json_object_get(json_object_get(json_object_get(
        json_object_get(rep, "check"), "sensitive"), "diag"), "ordered")));
    json_decref(rep);

    req.spec.t = 0.2; /* only the whole table (EMD 0) */
    req.output = tu_path(out, sizeof out, ".csv");
    rc = synth_anonymize_csv(&req, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(class_emds(out, qi, 1, "diag", emd, 4, &max), 1);
    assert_true(max == 0.0);
    json_decref(rep);

    /* with one class allowed to go (4 of 8 rows), the other is the whole output: EMD 0 */
    req.max_suppression = 0.5;
    req.output = tu_path(out, sizeof out, ".csv");
    rc = synth_anonymize_csv(&req, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    class_emds(out, qi, 1, "diag", emd, 4, &max);
    assert_true(max <= 0.2);
    assert_true(json_is_true(json_object_get(rep, "check_passed")));
    json_decref(rep);
}

static void test_adult_t(void **state)
{
    (void)state;
    static const char *const qi[] = {"age", "sex", "race"};
    static const char *const income[] = {"income"};
    char out[256];
    synth_anonymize_request req;
    synth_anonymize_request_init(&req);
    req.input = "datasets/adult.csv";
    req.output = tu_path(out, sizeof out, ".csv");
    req.spec.qi = qi;
    req.spec.nqi = 3;
    req.spec.sensitive = income;
    req.spec.nsensitive = 1;
    req.spec.k = 5;
    req.spec.t = 0.15;
    req.max_suppression = 0.05;
    json_t *rep = NULL;
    synth_err err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = synth_anonymize_csv(&req, &rep, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0)
        fail_msg("%s", err.msg);
    json_int_t rows = jint(rep, "rows"), supp = jint(rep, "rows_suppressed");
    assert_true((double)supp <= 0.05 * (double)rows);
    verdict v = verify(out, qi, 3, NULL);
    assert_int_equal(v.rows, (size_t)(rows - supp));
    assert_true(v.min_class >= 5);
    double max;
    size_t ncls = class_emds(out, qi, 3, "income", NULL, 0, &max);
    assert_true(max <= 0.15 + 1e-9);
    assert_true(json_is_true(json_object_get(rep, "check_passed")));
    assert_true(sens_t(rep, "income") <= 0.15 + 1e-9);
    assert_true(fabs(sens_t(rep, "income") - max) < 1e-9);
    char *g = json_dumps(json_object_get(rep, "generalization"), JSON_COMPACT);
    print_message("adult k=5, t=0.15 (income): ncp %.4f, max EMD %.4f, suppressed %lld of %lld, "
                  "classes %zu, %.2f s\n  %s\n",
                  json_real_value(json_object_get(json_object_get(rep, "information_loss"), "ncp")),
                  max, (long long)supp, (long long)rows, ncls,
                  (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec), g);
    free(g);
    json_decref(rep);
}

/* ---- Adult ---------------------------------------------------------------------------------- */

static void test_adult_k5(void **state)
{
    (void)state;
    static const char *const qi[] = {"age", "sex", "race", "marital-status"};
    char out[256];
    synth_anonymize_request req;
    synth_anonymize_request_init(&req);
    req.input = "datasets/adult.csv";
    req.output = tu_path(out, sizeof out, ".csv");
    req.hierarchy_path = DATA "adult_marital.json";
    req.spec.qi = qi;
    req.spec.nqi = 4;
    req.spec.k = 5;
    req.max_suppression = 0.02;
    json_t *rep = NULL;
    synth_err err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = synth_anonymize_csv(&req, &rep, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0)
        fail_msg("%s", err.msg);
    json_int_t rows = jint(rep, "rows"), supp = jint(rep, "rows_suppressed");
    assert_int_equal(rows, 32561);
    assert_true((double)supp <= 0.02 * (double)rows);
    verdict v = verify(out, qi, 4, NULL);
    assert_int_equal(v.rows, (size_t)(rows - supp));
    assert_true(v.min_class >= 5);
    assert_true(json_is_true(json_object_get(rep, "check_passed")));
    json_t *chk = json_object_get(rep, "check");
    assert_int_equal(jint(chk, "rows"), rows - supp);
    char *g = json_dumps(json_object_get(rep, "generalization"), JSON_COMPACT);
    print_message("adult k=5: ncp %.4f, discernibility %.0f, suppressed %lld of %lld, classes %lld, "
                  "%.2f s\n  %s\n",
                  json_real_value(json_object_get(json_object_get(rep, "information_loss"), "ncp")),
                  json_real_value(json_object_get(json_object_get(rep, "information_loss"),
                                                  "discernibility")),
                  (long long)supp, (long long)rows, (long long)jint(rep, "classes"),
                  (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec), g);
    free(g);
    json_decref(rep);

    /* the same with l = 1.5 for income (distinct 2, entropy 1.5: the whole table has entropy l
     * 1.73, so l = 2 is impossible -- covered by the "no solution" error below) */
    static const char *const income[] = {"income"};
    req.output = tu_path(out, sizeof out, ".csv");
    req.spec.sensitive = income;
    req.spec.nsensitive = 1;
    req.spec.l = 2;
    assert_int_equal(synth_anonymize_csv(&req, &rep, &err), SYNTH_BAD_INPUT);
    assert_non_null(strstr(err.msg, "no solution"));
    req.spec.l = 1.5;
    rc = synth_anonymize_csv(&req, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    supp = jint(rep, "rows_suppressed");
    assert_true((double)supp <= 0.02 * (double)rows);
    v = verify(out, qi, 4, "income");
    assert_true(v.min_class >= 5);
    assert_true(v.min_distinct >= 2);
    assert_true(json_is_true(json_object_get(rep, "check_passed")));
    print_message("adult k=5, l=1.5 (income): ncp %.4f, suppressed %lld\n",
                  json_real_value(json_object_get(json_object_get(rep, "information_loss"), "ncp")),
                  (long long)supp);
    json_decref(rep);
}

/* ---- hierarchy errors ----------------------------------------------------------------------- */

static void expect_usage(const char *hier, const char *const *needles)
{
    char out[256];
    synth_anonymize_request req;
    inpatient_request(&req, out, sizeof out);
    req.hierarchy_path = hier;
    json_t *rep = NULL;
    synth_err err;
    assert_int_equal(synth_anonymize_csv(&req, &rep, &err), SYNTH_USAGE);
    assert_null(rep);
    assert_non_null(strstr(err.msg, hier));
    for (size_t i = 0; needles[i] != NULL; i++)
        if (strstr(err.msg, needles[i]) == NULL)
            fail_msg("'%s' not in: %s", needles[i], err.msg);
}

static void test_hierarchy_errors(void **state)
{
    (void)state;
    expect_usage(DATA "bad_missing.json", (const char *const[]){"'age'", "'55'", "missing", NULL});
    expect_usage(DATA "bad_unknown_column.json", (const char *const[]){"'postcode'", "unknown", NULL});
    expect_usage(DATA "bad_malformed.json", (const char *const[]){"malformed JSON", NULL});
    expect_usage(DATA "bad_levels.json",
                 (const char *const[]){"'nationality'", "'Japanese'", "levels", NULL});
    expect_usage(DATA "bad_cycle.json", (const char *const[]){"'Russian'", "cycle", NULL});
    expect_usage(DATA "bad_parents.json",
                 (const char *const[]){"'Asian'", "'Eurasia'", "'Other'", "inconsistent", NULL});
    expect_usage(tu_file(".json", "{\"columns\": {\"zip\": {\"13053\": \"1305*\"}}}"),
                 (const char *const[]){"'13053'", "array", NULL});
    expect_usage(tu_file(".json", "[1, 2]"), (const char *const[]){"\"columns\"", NULL});
    expect_usage("/nonexistent/h.json", (const char *const[]){"cannot read", NULL});
}

/* ---- edge cases ----------------------------------------------------------------------------- */

static void test_empty_and_single(void **state)
{
    (void)state;
    static const char *const qi[] = {"a"};
    char out[256];
    synth_anonymize_request req;
    synth_anonymize_request_init(&req);
    req.output = tu_path(out, sizeof out, ".csv");
    req.spec.qi = qi;
    req.spec.nqi = 1;
    req.spec.k = 2;
    json_t *rep = NULL;
    synth_err err;

    req.input = tu_file(".csv", "a,b\n");
    assert_int_equal(synth_anonymize_csv(&req, &rep, &err), SYNTH_BAD_INPUT);
    assert_non_null(strstr(err.msg, "no data rows"));

    req.input = tu_file(".csv", "a,b\nx,1\n");
    assert_int_equal(synth_anonymize_csv(&req, &rep, &err), SYNTH_BAD_INPUT);
    assert_non_null(strstr(err.msg, "no solution"));
    assert_null(rep);

    req.max_suppression = 1.0;
    int rc = synth_anonymize_csv(&req, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(jint(rep, "rows_suppressed"), 1);
    assert_int_equal(jint(rep, "rows_output"), 0);
    assert_true(json_is_null(json_object_get(rep, "check")));
    json_decref(rep);
    char *text = tu_read(out, NULL);
    assert_string_equal(text, "a,b\n");
    free(text);

    /* unknown QI, t-closeness without a sensitive column, bad max_suppression */
    static const char *const nope[] = {"nope"};
    req.spec.qi = nope;
    assert_int_equal(synth_anonymize_csv(&req, &rep, &err), SYNTH_USAGE);
    assert_non_null(strstr(err.msg, "'nope'"));
    req.spec.qi = qi;
    req.spec.t = 0.2;
    assert_int_equal(synth_anonymize_csv(&req, &rep, &err), SYNTH_USAGE);
    req.spec.t = -1;
    req.max_suppression = 1.5;
    assert_int_equal(synth_anonymize_csv(&req, &rep, &err), SYNTH_USAGE);
}

static void test_all_null_qis(void **state)
{
    (void)state;
    static const char *const qi[] = {"a", "d"};
    char out[256];
    synth_anonymize_request req;
    synth_anonymize_request_init(&req);
    req.input = tu_file(".csv", "a,d,s\n,,x\n,,y\n,,\"z,1\"\n,,w\n");
    req.output = tu_path(out, sizeof out, ".csv");
    req.spec.qi = qi;
    req.spec.nqi = 2;
    req.spec.k = 4;
    json_t *rep = NULL;
    synth_err err;
    int rc = synth_anonymize_csv(&req, &rep, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(jint(rep, "rows_suppressed"), 0);
    assert_true(json_real_value(json_object_get(json_object_get(rep, "information_loss"), "ncp")) == 0.0);
    json_decref(rep);
    char *text = tu_read(out, NULL);
    assert_string_equal(text, "a,d,s\n,,x\n,,y\n,,\"z,1\"\n,,w\n");
    free(text);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    char out[256];
    synth_anonymize_request req;
    inpatient_request(&req, out, sizeof out);
    req.hierarchy_path = DATA "inpatient_age.json";
    req.spec.sensitive = condition;
    req.spec.nsensitive = 1;
    req.spec.l = 2;
    req.spec.t = 0.5;
    json_t *rep = NULL;
    synth_err err;
    int rc = -1;
    long n;
    for (n = 0; n < 5000 && rc != 0; n++) {
        synth_alloc_fail_after(n, 1);
        rc = synth_anonymize_csv(&req, &rep, &err);
        synth_alloc_fail_after(-1, 0);
        if (rc != 0) {
            if (rc != SYNTH_NOMEM)
                fail_msg("allocation %ld: rc %d: %s", n, rc, err.msg);
            assert_null(rep);
        }
    }
    assert_int_equal(rc, 0);
    assert_true(n > 10);
    json_decref(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inpatient_k4),
        cmocka_unit_test(test_inpatient_l2),
        cmocka_unit_test(test_inpatient_auto),
        cmocka_unit_test(test_date_and_category_hierarchies),
        cmocka_unit_test(test_adult_k5),
        cmocka_unit_test(test_t_salary),
        cmocka_unit_test(test_t_categorical),
        cmocka_unit_test(test_adult_t),
        cmocka_unit_test(test_hierarchy_errors),
        cmocka_unit_test(test_empty_and_single),
        cmocka_unit_test(test_all_null_qis),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
