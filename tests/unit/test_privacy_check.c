/* test_privacy_check.c -- unit tests of privacy/check.c: the textbook tables (Sweeney 2002's
 * 2-anonymous table; Machanavajjhala et al. 2007's 4-anonymous inpatient table and its 3-diverse
 * version) with k, class counts and the distinct / entropy / recursive (c,l) l values computed by
 * hand; Li et al. 2007's salary example of ordered-distance EMD (0.375 and 0.167) and an
 * equal-distance example; empty, single-row and all-null inputs; requirement pass/fail flags;
 * unknown and repeated columns; allocation failures.
 * With --bench FILE QI,QI,... [SENSITIVE]: time one check of FILE and print the report (not a test). */
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
#include "check.h"
#include "test_util.h"

/* ---- helpers ------------------------------------------------------------------------------------------ */

static json_t *jget(json_t *o, const char *path)
{
    char key[64];
    while (o != NULL && *path != '\0') {
        const char *dot = strchr(path, '.');
        size_t len = dot != NULL ? (size_t)(dot - path) : strlen(path);
        assert_true(len < sizeof key);
        memcpy(key, path, len);
        key[len] = '\0';
        o = json_object_get(o, key);
        path += len + (dot != NULL);
    }
    return o;
}

static double jnum(json_t *o, const char *path)
{
    json_t *v = jget(o, path);
    if (!json_is_number(v))
        fail_msg("%s is not a number", path);
    return json_number_value(v);
}

static int jbool(json_t *o, const char *path)
{
    json_t *v = jget(o, path);
    if (!json_is_boolean(v))
        fail_msg("%s is not a boolean", path);
    return json_is_true(v);
}

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.9g, want %.9g (tolerance %g)", got, want, tol);
}

/* The requirement entry for model (and column, may be NULL), or NULL. */
static json_t *find_req(json_t *rep, const char *model, const char *column)
{
    json_t *reqs = json_object_get(rep, "requirements");
    size_t i;
    json_t *r;
    json_array_foreach(reqs, i, r) {
        if (strcmp(json_string_value(json_object_get(r, "model")), model) != 0)
            continue;
        json_t *c = json_object_get(r, "column");
        if (column == NULL || (c != NULL && strcmp(json_string_value(c), column) == 0))
            return r;
    }
    return NULL;
}

typedef struct run {
    int rc, passed;
    json_t *rep;
    synth_err err;
} run;

static void split_list(char *buf, const char **out, size_t *n)
{
    *n = 0;
    for (char *save = NULL, *p = strtok_r(buf, ",", &save); p != NULL && *n < 8; p = strtok_r(NULL, ",", &save))
        out[(*n)++] = p;
}

static run check_path(const char *path, const char *qi, const char *sens, uint64_t k, double l, double c, double t,
                      int force_reader)
{
    const char *qis[8], *ss[8];
    char qbuf[256], sbuf[256];
    size_t nq = 0, ns = 0;
    snprintf(qbuf, sizeof qbuf, "%s", qi);
    snprintf(sbuf, sizeof sbuf, "%s", sens ? sens : "");
    split_list(qbuf, qis, &nq);
    split_list(sbuf, ss, &ns);
    synth_privacy_spec spec;
    synth_privacy_spec_init(&spec);
    spec.qi = qis;
    spec.nqi = nq;
    spec.sensitive = ss;
    spec.nsensitive = ns;
    spec.k = k;
    spec.l = l;
    spec.c = c;
    spec.t = t;
    run r;
    r.rep = NULL;
    r.passed = -1;
    synth__privacy_check_force_reader(force_reader);
    r.rc = synth_privacy_check_csv(path, &spec, NULL, SYNTH_PROGRESS_NEVER, &r.rep, &r.passed, &r.err);
    synth__privacy_check_force_reader(0);
    return r;
}

/* Check csv through the fast scanner and through synth_csv_reader; both must agree exactly. */
static run check(const char *csv, const char *qi, const char *sens, uint64_t k, double l, double c, double t)
{
    const char *path = tu_file(".csv", csv);
    run fast = check_path(path, qi, sens, k, l, c, t, 0);
    run slow = check_path(path, qi, sens, k, l, c, t, 1);
    assert_int_equal(fast.rc, slow.rc);
    if (fast.rc == 0) {
        if (!json_equal(fast.rep, slow.rep)) {
            char *a = json_dumps(fast.rep, JSON_COMPACT), *b = json_dumps(slow.rep, JSON_COMPACT);
            fail_msg("fast and reader reports differ:\n%s\n%s", a, b);
        }
        assert_int_equal(fast.passed, slow.passed);
    } else {
        assert_string_equal(fast.err.msg, slow.err.msg);
    }
    json_decref(slow.rep);
    return fast;
}

/* Machanavajjhala et al. 2007, Figure 3: 4-anonymous inpatient microdata. */
static const char *const INPATIENT_4ANON =
    "zip,age,nationality,condition\n"
    "130**,<30,*,Heart Disease\n"
    "130**,<30,*,Heart Disease\n"
    "130**,<30,*,Viral Infection\n"
    "130**,<30,*,Viral Infection\n"
    "1485*,>=40,*,Cancer\n"
    "1485*,>=40,*,Heart Disease\n"
    "1485*,>=40,*,Viral Infection\n"
    "1485*,>=40,*,Viral Infection\n"
    "130**,3*,*,Cancer\n"
    "130**,3*,*,Cancer\n"
    "130**,3*,*,Cancer\n"
    "130**,3*,*,Cancer\n";

/* Figure 5: its 3-diverse version. */
static const char *const INPATIENT_3DIV =
    "zip,age,nationality,condition\n"
    "1305*,<=40,*,Heart Disease\n"
    "1305*,<=40,*,Viral Infection\n"
    "1305*,<=40,*,Cancer\n"
    "1305*,<=40,*,Cancer\n"
    "1485*,>40,*,Cancer\n"
    "1485*,>40,*,Heart Disease\n"
    "1485*,>40,*,Viral Infection\n"
    "1485*,>40,*,Viral Infection\n"
    "1306*,<=40,*,Heart Disease\n"
    "1306*,<=40,*,Viral Infection\n"
    "1306*,<=40,*,Cancer\n"
    "1306*,<=40,*,Cancer\n";

/* ---- tests -------------------------------------------------------------------------------------------- */

static void test_sweeney_2anonymous(void **state)
{
    (void)state;
    /* Sweeney 2002, Figure 2 (race, birth, gender, zip generalized; problem). */
    run r = check("race,birth,gender,zip,problem\n"
                  "black,1965,m,0214*,short breath\n"
                  "black,1965,m,0214*,chest pain\n"
                  "black,1965,f,0213*,hypertension\n"
                  "black,1965,f,0213*,hypertension\n"
                  "black,1964,f,0213*,obesity\n"
                  "black,1964,f,0213*,chest pain\n"
                  "white,1964,m,0213*,chest pain\n"
                  "white,1964,m,0213*,obesity\n"
                  "white,1964,m,0213*,short breath\n"
                  "white,1967,m,0213*,chest pain\n"
                  "white,1967,m,0213*,chest pain\n",
                  "race,birth,gender,zip", "problem", 2, 2, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "rows"), 11);
    assert_int_equal(jnum(r.rep, "classes"), 5);
    assert_int_equal(jnum(r.rep, "k"), 2);
    assert_int_equal(jnum(r.rep, "class_size.min"), 2);
    assert_int_equal(jnum(r.rep, "class_size.max"), 3);
    assert_near(jnum(r.rep, "class_size.median"), 2, 0);
    assert_near(jnum(r.rep, "class_size.mean"), 11.0 / 5, 1e-12);
    assert_int_equal(jnum(r.rep, "rows_below_k"), 0);
    assert_near(jnum(r.rep, "risk.highest"), 0.5, 1e-12);
    assert_near(jnum(r.rep, "risk.average"), 5.0 / 11, 1e-12);
    assert_near(jnum(r.rep, "risk.rows_at_risk"), 1.0, 1e-12); /* 1/2 > 0.2, 1/3 > 0.2 too */
    /* two classes have a single problem (hypertension x2, chest pain x2): distinct l = 1 */
    assert_int_equal(jnum(r.rep, "sensitive.problem.distinct_l"), 1);
    assert_near(jnum(r.rep, "sensitive.problem.entropy_l"), 1.0, 1e-12);
    assert_true(jbool(find_req(r.rep, "k-anonymity", NULL), "passed"));
    assert_false(jbool(find_req(r.rep, "distinct-l-diversity", "problem"), "passed"));
    assert_false(jbool(find_req(r.rep, "entropy-l-diversity", "problem"), "passed"));
    assert_false(r.passed);
    assert_false(jbool(r.rep, "passed"));
    json_decref(r.rep);
}

static void test_inpatient_4anonymous(void **state)
{
    (void)state;
    run r = check(INPATIENT_4ANON, "zip,age,nationality", "condition", 4, 0, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "rows"), 12);
    assert_int_equal(jnum(r.rep, "classes"), 3);
    assert_int_equal(jnum(r.rep, "k"), 4);
    assert_int_equal(jnum(r.rep, "class_size.min"), 4);
    assert_int_equal(jnum(r.rep, "class_size.max"), 4);
    assert_int_equal(jnum(r.rep, "classes_below_k"), 0);
    assert_near(jnum(r.rep, "risk.highest"), 0.25, 1e-12);
    assert_near(jnum(r.rep, "risk.rows_at_risk"), 1.0, 1e-12); /* 0.25 > 0.2 */
    /* the third class is all Cancer: the homogeneity attack; distinct l = 1, entropy 0 */
    assert_int_equal(jnum(r.rep, "sensitive.condition.distinct_l"), 1);
    assert_near(jnum(r.rep, "sensitive.condition.entropy"), 0.0, 1e-12);
    assert_near(jnum(r.rep, "sensitive.condition.entropy_l"), 1.0, 1e-12);
    assert_false(jbool(r.rep, "sensitive.condition.ordered"));
    assert_true(json_is_null(jget(r.rep, "sensitive.condition.recursive_cl.satisfied")));
    assert_true(r.passed); /* only k = 4 is required */
    assert_int_equal(json_array_size(json_object_get(r.rep, "requirements")), 1);
    json_decref(r.rep);

    /* k = 5 fails: every class (12 rows) is below it */
    r = check(INPATIENT_4ANON, "zip,age,nationality", "condition", 5, 0, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_false(r.passed);
    assert_int_equal(jnum(r.rep, "rows_below_k"), 12);
    assert_int_equal(jnum(r.rep, "classes_below_k"), 3);
    assert_int_equal(jnum(find_req(r.rep, "k-anonymity", NULL), "achieved"), 4);
    json_decref(r.rep);

    /* requiring l = 2 fails on the all-Cancer class, in all three variants */
    r = check(INPATIENT_4ANON, "zip,age,nationality", "condition", 4, 2, 3, -1);
    assert_int_equal(r.rc, 0);
    assert_false(r.passed);
    assert_false(jbool(find_req(r.rep, "distinct-l-diversity", "condition"), "passed"));
    assert_false(jbool(find_req(r.rep, "entropy-l-diversity", "condition"), "passed"));
    assert_false(jbool(find_req(r.rep, "recursive-cl-diversity", "condition"), "passed"));
    assert_false(jbool(r.rep, "sensitive.condition.recursive_cl.satisfied"));
    json_decref(r.rep);
}

static void test_inpatient_3diverse(void **state)
{
    (void)state;
    /* every class holds {Cancer: 2, Heart Disease: 1, Viral Infection: 1} */
    run r = check(INPATIENT_3DIV, "zip,age,nationality", "condition", 4, 3, 3, -1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "classes"), 3);
    assert_int_equal(jnum(r.rep, "k"), 4);
    assert_int_equal(jnum(r.rep, "sensitive.condition.distinct_l"), 3);
    /* entropy = -(1/2 ln 1/2 + 2 * 1/4 ln 1/4) = 1.5 ln 2; exp = 2^1.5 = 2.83 < 3 */
    assert_near(jnum(r.rep, "sensitive.condition.entropy"), 1.5 * log(2.0), 1e-12);
    assert_near(jnum(r.rep, "sensitive.condition.entropy_l"), pow(2.0, 1.5), 1e-9);
    assert_true(jbool(find_req(r.rep, "distinct-l-diversity", "condition"), "passed"));
    assert_false(jbool(find_req(r.rep, "entropy-l-diversity", "condition"), "passed"));
    /* recursive (3,3): r1 = 2 < 3 * r3 = 3 holds; c_needed = 2 */
    assert_true(jbool(find_req(r.rep, "recursive-cl-diversity", "condition"), "passed"));
    assert_near(jnum(r.rep, "sensitive.condition.recursive_cl.c_needed"), 2.0, 1e-12);
    assert_false(r.passed); /* entropy 3-diversity fails */
    json_decref(r.rep);

    /* recursive (2,3): 2 < 2 * 1 fails (strict) */
    r = check(INPATIENT_3DIV, "zip,age,nationality", "condition", 0, 3, 2, -1);
    assert_int_equal(r.rc, 0);
    assert_false(jbool(r.rep, "sensitive.condition.recursive_cl.satisfied"));
    json_decref(r.rep);

    /* l = 2: entropy 2.83 >= 2 holds; recursive (1.5, 2): 2 < 1.5 * (1 + 1) holds; passes */
    r = check(INPATIENT_3DIV, "zip,age,nationality", "condition", 4, 2, 1.5, -1);
    assert_int_equal(r.rc, 0);
    assert_true(r.passed);
    assert_near(jnum(r.rep, "sensitive.condition.recursive_cl.c_needed"), 1.0, 1e-12);
    assert_int_equal(json_array_size(json_object_get(r.rep, "requirements")), 4);
    json_decref(r.rep);

    /* exactly uniform class: entropy l = 2 is met at equality (no rounding failure) */
    r = check("g,s\na,x\na,y\nb,x\nb,y\n", "g", "s", 0, 2, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_true(r.passed);
    assert_near(jnum(r.rep, "sensitive.s.entropy_l"), 2.0, 1e-12);
    json_decref(r.rep);
}

static void test_t_closeness_ordered(void **state)
{
    (void)state;
    /* Li et al. 2007: salaries 3K..11K, one each.  {3K,4K,5K}: cumulative differences 2,4,6,5,4,3,2,1
     * (ninths) sum to 3 -> EMD 3/8 = 0.375.  Other class {6..11K} \ ... see below. */
    run r = check("g,salary\n"
                  "a,3000\na,4000\na,5000\n"
                  "b,6000\nb,8000\nb,11000\n"
                  "c,7000\nc,9000\nc,10000\n",
                  "g", "salary", 0, 0, 0, 0.375);
    assert_int_equal(r.rc, 0);
    assert_true(jbool(r.rep, "sensitive.salary.ordered"));
    assert_near(jnum(r.rep, "sensitive.salary.t"), 0.375, 1e-12);
    assert_true(r.passed); /* 0.375 <= 0.375 */
    json_decref(r.rep);

    /* {6K,8K,11K}: cumulative differences -1,-2,-3,-1,-2,0,-1,-2 (ninths) -> 12/9/8 = 0.1667; the
     * other class {3,4,5,7,9,10}K: 1,2,3,1,2,0,1,2 (eighteenths) -> 12/18/8 = 0.0833 */
    r = check("g,salary\n"
              "b,6000\nb,8000\nb,11000\n"
              "r,3000\nr,4000\nr,5000\nr,7000\nr,9000\nr,10000\n",
              "g", "salary", 0, 0, 0, 0.15);
    assert_int_equal(r.rc, 0);
    assert_near(jnum(r.rep, "sensitive.salary.t"), 1.0 / 6, 1e-12);
    assert_false(r.passed);
    assert_false(jbool(find_req(r.rep, "t-closeness", "salary"), "passed"));
    json_decref(r.rep);

    /* equal numbers written differently are one point; one class = the whole table -> t = 0 */
    r = check("g,v\na,1\na,1.0\na,2\n", "g", "v", 0, 0, 0, 0);
    assert_int_equal(r.rc, 0);
    assert_true(jbool(r.rep, "sensitive.v.ordered"));
    assert_near(jnum(r.rep, "sensitive.v.t"), 0.0, 1e-12);
    assert_true(r.passed);
    json_decref(r.rep);
}

static void test_t_closeness_categorical(void **state)
{
    (void)state;
    /* whole: flu 1/2, cancer 1/4, hiv 1/4.  class a {flu, flu}: 1/2 (|1-1/2| + 1/4 + 1/4) = 1/2;
     * class b {cancer, hiv}: 1/2 (1/2 + 1/4 + 1/4) = 1/2 */
    run r = check("g,d\na,flu\na,flu\nb,cancer\nb,hiv\n", "g", "d", 0, 0, 0, 0.6);
    assert_int_equal(r.rc, 0);
    assert_false(jbool(r.rep, "sensitive.d.ordered"));
    assert_near(jnum(r.rep, "sensitive.d.t"), 0.5, 1e-12);
    assert_true(r.passed);
    json_decref(r.rep);

    /* a mixed column (one non-number) is categorical: {1,1,2} vs {x}: whole 1:1/2, 2:1/4, x:1/4;
     * class a {1,1,2}: 1/2 (1/6 + 1/12 + 1/4) = 1/4; class b {x}: 1/2 (1/2 + 1/4 + 3/4) = 3/4 */
    r = check("g,d\na,1\na,1\na,2\nb,x\n", "g", "d", 0, 0, 0, 0.5);
    assert_int_equal(r.rc, 0);
    assert_false(jbool(r.rep, "sensitive.d.ordered"));
    assert_near(jnum(r.rep, "sensitive.d.t"), 0.75, 1e-12);
    assert_false(r.passed);
    json_decref(r.rep);
}

static void test_edge_tables(void **state)
{
    (void)state;
    /* header only: no rows */
    run r = check("a,b\n", "a", NULL, 0, 0, 0, -1);
    assert_int_equal(r.rc, SYNTH_BAD_INPUT);
    assert_null(r.rep);
    tu_assert_contains(r.err.msg, "no data rows");

    /* single row: k = 1, risk 1 */
    r = check("a,b\n1,2\n", "a,b", NULL, 2, 0, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "k"), 1);
    assert_int_equal(jnum(r.rep, "classes"), 1);
    assert_near(jnum(r.rep, "risk.highest"), 1.0, 0);
    assert_false(r.passed);
    json_decref(r.rep);

    /* all-null QIs: one class; the empty cells are values */
    r = check("a,b,s\n,,x\n,,y\n,,x\n", "a,b", "s", 3, 0, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "classes"), 1);
    assert_int_equal(jnum(r.rep, "k"), 3);
    assert_int_equal(jnum(r.rep, "sensitive.s.distinct_l"), 2);
    assert_true(r.passed);
    json_decref(r.rep);

    /* the tuple encoding is unambiguous: ("ab","c") and ("a","bc") are different classes */
    r = check("x,y\nab,c\na,bc\n", "x,y", NULL, 0, 0, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "classes"), 2);
    json_decref(r.rep);

    /* no requirements at all: passes, empty list */
    r = check("x\n1\n", "x", NULL, 0, 0, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_true(r.passed);
    assert_int_equal(json_array_size(json_object_get(r.rep, "requirements")), 0);
    json_decref(r.rep);
}

static void test_many_classes(void **state)
{
    (void)state;
    /* enough classes and values to grow every table: 20000 rows, 5000 classes of 4 */
    tu_buf b = { 0 };
    tu_add(&b, "q1,q2,s\n");
    for (int i = 0; i < 20000; i++)
        tu_add(&b, "%d,%d,v%d\n", i % 5000, (i % 5000) * 7, i % 3);
    run r = check(b.p, "q1,q2", "s", 4, 0, 0, -1);
    tu_buf_free(&b);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "classes"), 5000);
    assert_int_equal(jnum(r.rep, "k"), 4);
    assert_int_equal(jnum(r.rep, "rows"), 20000);
    /* class j holds rows j, j+5000, j+10000, j+15000: values (j, j+2, j+1, j) mod 3 -> 3 distinct */
    assert_int_equal(jnum(r.rep, "sensitive.s.distinct_l"), 3);
    assert_true(r.passed);
    json_decref(r.rep);
}

static void test_csv_forms(void **state)
{
    (void)state;
    /* quoted cells with delimiters, doubled quotes and line breaks are values like any other */
    run r = check("g,s\n\"a,b\",x\n\"a,b\",\"y\"\"z\"\n\"multi\nline\",x\nab,\"\"\n", "g", "s", 0, 0, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "rows"), 4);
    assert_int_equal(jnum(r.rep, "classes"), 3);
    assert_int_equal(jnum(r.rep, "sensitive.s.distinct_values"), 3);
    json_decref(r.rep);
    /* CRLF line ends (the reader handles them), a BOM, no final newline, an empty line */
    r = check("g,s\r\na,x\r\na,y\r\nb,x", "g", "s", 0, 0, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "rows"), 3);
    assert_int_equal(jnum(r.rep, "classes"), 2);
    json_decref(r.rep);
    r = check("\xEF\xBB\xBFg,s\na,x\n\na,y\nb,x", "g", "s", 0, 0, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "rows"), 3);
    json_decref(r.rep);
    /* UTF-8 values; invalid UTF-8 is the reader's error either way */
    r = check("g,s\n\xC3\xA4,x\n\xC3\xA4,y\n", "g", "s", 2, 0, 0, -1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "classes"), 1);
    json_decref(r.rep);
    r = check("g,s\n\xC3,x\n", "g", "s", 0, 0, 0, -1);
    assert_int_equal(r.rc, SYNTH_BAD_INPUT);
    r = check("g,s\na\"b,x\n", "g", "s", 0, 0, 0, -1);
    json_decref(r.rep);
    r = check("g,s\n\"ab\"c,x\n", "g", "s", 0, 0, 0, -1);
    json_decref(r.rep);
    r = check("g,s\n\"abc,x\n", "g", "s", 0, 0, 0, -1);
    assert_int_equal(r.rc, SYNTH_BAD_INPUT);
    r = check("\ng,s\na,x\n", "g", "s", 0, 0, 0, -1);
    json_decref(r.rep);
}

/* Random small CSVs with quotes, line breaks and bad bytes: the fast scanner and the reader agree on
 * every one (check() compares rc, message and report). */
static void test_random_csv_agree(void **state)
{
    (void)state;
    static const char *const atoms[] = { "a", "b", "1", "2.5", "", " ", "\"", "\"\"", ",", "\n", "\r\n", "\r",
                                         "\xC3\xA9", "\xC3", "\"q,\nq\"", "\"x\"\"y\"" };
    uint64_t seed = 12345;
    int ok = 0;
    for (int it = 0; it < 400; it++) {
        tu_buf b = { 0 };
        tu_add(&b, "x,y,z\n");
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int rows = (int)(seed >> 60) + 1;
        for (int rrow = 0; rrow < rows; rrow++) {
            for (int f = 0; f < 3; f++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                unsigned pick = (unsigned)(seed >> 33);
                /* mostly clean fields, sometimes a random atom */
                if (pick % 8 != 0)
                    tu_add(&b, "%s", atoms[pick % 6]);
                else
                    tu_add(&b, "%s", atoms[(pick >> 8) % (sizeof atoms / sizeof atoms[0])]);
                if (f < 2)
                    tu_add(&b, ",");
            }
            tu_add(&b, "\n");
        }
        run r = check(b.p, "x,y", "z", 2, 0, 0, 0.5);
        ok += r.rc == 0;
        json_decref(r.rep);
        tu_buf_free(&b);
    }
    assert_true(ok > 50); /* a good share parses */
}

/* Records longer than the fast scanner's 4 MiB buffer (it grows) and records straddling its refills. */
static void test_long_records(void **state)
{
    (void)state;
    size_t big = 900 * 1024;
    char *fill = malloc(big + 1);
    assert_non_null(fill);
    memset(fill, 'v', big);
    fill[big] = '\0';
    tu_buf b = { 0 };
    tu_add(&b, "a,b,c,d,e,f\n");
    for (int r = 0; r < 4; r++) {
        fill[0] = (char)('0' + r % 2);
        tu_add(&b, "%s,%s,%s,%s,%s,%d\n", fill, fill, fill, fill, fill, r);
        for (int i = 0; i < 3000; i++)
            tu_add(&b, "%d,x,y,z,w,%d\n", i % 7, i % 3);
    }
    free(fill);
    run r = check(b.p, "a,b", "f", 0, 0, 0, -1);
    tu_buf_free(&b);
    assert_int_equal(r.rc, 0);
    assert_int_equal(jnum(r.rep, "rows"), 4 * 3001);
    assert_int_equal(jnum(r.rep, "classes"), 9);
    json_decref(r.rep);
}

static void test_bad_columns(void **state)
{
    (void)state;
    run r = check("a,b,c\n1,2,3\n", "a,zip", NULL, 0, 0, 0, -1);
    assert_int_equal(r.rc, SYNTH_USAGE);
    tu_assert_contains(r.err.msg, ".csv: no column 'zip' (columns: a, b, c)");
    r = check("a,b,c\n1,2,3\n", "a", "salary", 0, 0, 0, -1);
    assert_int_equal(r.rc, SYNTH_USAGE);
    tu_assert_contains(r.err.msg, "no sensitive column 'salary' (columns: a, b, c)");
    r = check("a,b,c\n1,2,3\n", "a,b,a", NULL, 0, 0, 0, -1);
    assert_int_equal(r.rc, SYNTH_USAGE);
    tu_assert_contains(r.err.msg, "column 'a' listed twice");
    r = check("a,b,c\n1,2,3\n", "a", "a", 0, 0, 0, -1);
    assert_int_equal(r.rc, SYNTH_USAGE);
    tu_assert_contains(r.err.msg, "listed twice");
    r = check("a,b,c\n1,2,3\n", "a", NULL, 0, 2, 0, -1);
    assert_int_equal(r.rc, SYNTH_USAGE);
    r = check("a,b,c\n1,2,3\n", "a", "b", 0, 0, 2, -1);
    assert_int_equal(r.rc, SYNTH_USAGE);
    r = check("", "a", NULL, 0, 0, 0, -1);
    assert_int_equal(r.rc, SYNTH_BAD_INPUT);
    /* a ragged row is the reader's error, with the line */
    r = check("a,b\n1,2\n3\n", "a", NULL, 0, 0, 0, -1);
    assert_int_equal(r.rc, SYNTH_BAD_INPUT);
    assert_null(r.rep);
    tu_assert_contains(r.err.msg, "line 3");
}

static void test_alloc_failures(void **state)
{
    (void)state;
    tu_buf b = { 0 };
    tu_add(&b, "q1,q2,s,n\n");
    for (int i = 0; i < 3000; i++)
        tu_add(&b, "%d,x%d,v%d,%d\n", i % 700, i % 3, i % 5, i % 11);
    const char *path = tu_file(".csv", b.p);
    tu_buf_free(&b);
    const char *qis[] = { "q1", "q2" }, *ss[] = { "s", "n" };
    synth_privacy_spec spec;
    synth_privacy_spec_init(&spec);
    spec.qi = qis;
    spec.nqi = 2;
    spec.sensitive = ss;
    spec.nsensitive = 2;
    spec.k = 2;
    spec.l = 2;
    spec.c = 2;
    spec.t = 0.5;
    synth_csv_options opt;
    synth_csv_options_init(&opt);
    opt.chunk_rows = 512; /* several batches through the worker */
    for (int mode = 0; mode < 2; mode++) {
        int ok = 0;
        for (long n = 0; n < 100000 && !ok; n++) {
            json_t *rep = NULL;
            int passed = -1;
            synth_err err;
            synth__privacy_check_force_reader(mode);
            synth_alloc_fail_after(n, 1);
            int rc = synth_privacy_check_csv(path, &spec, &opt, SYNTH_PROGRESS_NEVER, &rep, &passed, &err);
            synth_alloc_fail_after(-1, 0);
            synth__privacy_check_force_reader(0);
            if (rc == 0) {
                ok = 1;
                assert_non_null(rep);
                assert_int_equal(jnum(rep, "rows"), 3000);
                json_decref(rep);
            } else {
                if (rc != SYNTH_NOMEM)
                    fail_msg("n = %ld: rc %d (%s)", n, rc, err.msg);
                assert_null(rep);
            }
        }
        assert_true(ok);
    }
}

/* ---- benchmark mode ----------------------------------------------------------------------------------- */

static int bench(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s --bench FILE QI,QI,... [SENSITIVE,...] [reader]\n", argv[0]);
        return 2;
    }
    const char *qis[16], *ss[16];
    size_t nq = 0, ns = 0;
    for (char *save = NULL, *p = strtok_r(argv[3], ",", &save); p != NULL && nq < 16; p = strtok_r(NULL, ",", &save))
        qis[nq++] = p;
    if (argc > 4)
        for (char *save = NULL, *p = strtok_r(argv[4], ",", &save); p != NULL && ns < 16;
             p = strtok_r(NULL, ",", &save))
            ss[ns++] = p;
    synth_privacy_spec spec;
    synth_privacy_spec_init(&spec);
    spec.qi = qis;
    spec.nqi = nq;
    spec.sensitive = ss;
    spec.nsensitive = ns;
    spec.k = 5;
    if (ns > 0) {
        spec.l = 2;
        spec.c = 3;
        spec.t = 0.2;
    }
    synth__privacy_check_force_reader(argc > 5 && strcmp(argv[5], "reader") == 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    json_t *rep = NULL;
    int passed = 0;
    synth_err err;
    int rc = synth_privacy_check_csv(argv[2], &spec, NULL, SYNTH_PROGRESS_NEVER, &rep, &passed, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    char *text = json_dumps(rep, JSON_INDENT(2));
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("%s\ncheck: %.3f s\n", text ? text : "?", secs);
    free(text);
    json_decref(rep);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    return tu_make_dir("privcheck");
}

static int group_teardown(void **state)
{
    (void)state;
    return tu_drop_dir();
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--bench") == 0)
        return bench(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweeney_2anonymous),
        cmocka_unit_test(test_inpatient_4anonymous),
        cmocka_unit_test(test_inpatient_3diverse),
        cmocka_unit_test(test_t_closeness_ordered),
        cmocka_unit_test(test_t_closeness_categorical),
        cmocka_unit_test(test_edge_tables),
        cmocka_unit_test(test_many_classes),
        cmocka_unit_test(test_csv_forms),
        cmocka_unit_test(test_random_csv_agree),
        cmocka_unit_test(test_long_records),
        cmocka_unit_test(test_bad_columns),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
