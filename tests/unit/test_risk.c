/* test_risk.c -- unit tests of the privacy-risk metrics (validation/risk.c): hand-computed DCR
 * statistics, histogram, share and membership AUC on tiny 2-D tables; planted exact copies; the
 * share and the attack AUC on fresh samples (about 0.5) and on copies of the training rows (1);
 * the blocked BLAS search against a naive double-precision O(n^2) search for every SIMD kernel, odd
 * block sizes and thread counts; sampling down; the no-holdout case; bad input; interruption; and
 * allocation failures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "risk.h"
#include "rng.h"
#include "signals.h"

/* ---- helpers ------------------------------------------------------------------------------------------ */

/* o's member at a dotted path ("dcr.synthetic_to_train.min"), or NULL. */
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

static void assert_jnull(json_t *o, const char *path)
{
    json_t *v = jget(o, path);
    if (!json_is_null(v))
        fail_msg("%s is not null", path);
}

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.9g, want %.9g (tolerance %g)", got, want, tol);
}

static void assert_counts(json_t *o, const char *path, const long *want, size_t n)
{
    json_t *a = jget(o, path);
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), n);
    for (size_t i = 0; i < n; i++)
        if (json_integer_value(json_array_get(a, i)) != want[i])
            fail_msg("%s[%zu] = %lld, want %ld", path, i, (long long)json_integer_value(json_array_get(a, i)), want[i]);
}

/* n rows of width uniform values in [0,1). */
static float *uniform_rows(size_t n, size_t width, uint64_t seed)
{
    float *m = malloc(n * width * sizeof *m);
    assert_non_null(m);
    for (size_t i = 0; i < n; i++) {
        synth_rng r;
        synth_rng_init(&r, seed, i, 7);
        for (size_t k = 0; k < width; k++)
            m[i * width + k] = (float)synth_rng_uniform(&r);
    }
    return m;
}

#define MIX_WIDTH 8
/* "Encoded" rows: 3 numeric columns in [0,1) and a one-hot group of 5 (a skewed category). */
static float *mixed_rows(size_t n, uint64_t seed)
{
    float *m = calloc(n * MIX_WIDTH, sizeof *m);
    assert_non_null(m);
    for (size_t i = 0; i < n; i++) {
        synth_rng r;
        synth_rng_init(&r, seed, i, 9);
        float *row = m + i * MIX_WIDTH;
        for (int k = 0; k < 3; k++)
            row[k] = (float)synth_rng_uniform(&r);
        double u = synth_rng_uniform(&r);
        int cat = u < 0.4 ? 0 : u < 0.7 ? 1 : u < 0.85 ? 2 : u < 0.95 ? 3 : 4;
        row[3 + cat] = 1.0f;
    }
    return m;
}

static double naive_dist(const float *a, const float *b, size_t width)
{
    double s = 0.0;
    for (size_t k = 0; k < width; k++) {
        double d = (double)a[k] - (double)b[k];
        s += d * d;
    }
    return sqrt(s);
}

/* For each query row, the distance to its closest reference row (double, O(nq * nr)). */
static double *naive_nearest(const float *q, size_t nq, const float *r, size_t nr, size_t width)
{
    double *d = malloc(nq * sizeof *d);
    assert_non_null(d);
    for (size_t i = 0; i < nq; i++) {
        double best = INFINITY;
        for (size_t j = 0; j < nr; j++) {
            double x = naive_dist(q + i * width, r + j * width, width);
            best = x < best ? x : best;
        }
        d[i] = best;
    }
    return d;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double naive_mean(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s / (double)n;
}

/* Median of v (a sorted copy). */
static double naive_median(const double *v, size_t n)
{
    double *c = malloc(n * sizeof *c);
    assert_non_null(c);
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_d);
    double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return m;
}

static json_t *compute_ok(const float *s, size_t ns, const float *t, size_t nt, const float *h, size_t nh,
                          size_t width, const synth_risk_options *opt)
{
    json_t *out = NULL;
    synth_err err;
    int rc = synth_risk_compute(s, ns, t, nt, h, nh, width, opt, &out, &err);
    if (rc != SYNTH_OK)
        fail_msg("synth_risk_compute: %s", err.msg);
    assert_non_null(out);
    return out;
}

static char *dump(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    assert_non_null(s);
    return s;
}

/* ---- hand-computed examples --------------------------------------------------------------------------- */

static const float hand_train[] = {0, 0, 1, 0, 0, 1, 1, 1};
static const float hand_syn[] = {0, 0, 0.5f, 0, 0.2f, 0.9f};
static const float hand_hold[] = {0.5f, 0.1f, 0.2f, 1.0f, 3, 3, 3, 4};

/* Synthetic (0,0), (0.5,0), (0.2,0.9) against the unit square's corners: DCR 0 (an exact copy),
 * 0.5 and sqrt(0.05) (in float: 0.2f, 0.9f).  p5 interpolates between the two smallest. */
static void test_hand_train_only(void **state)
{
    (void)state;
    synth_risk_options opt;
    synth_risk_options_init(&opt);
    opt.histogram_bins = 4;
    json_t *o = compute_ok(hand_syn, 3, hand_train, 4, NULL, 0, 2, &opt);
    double d3 = naive_dist(hand_syn + 4, hand_train + 4, 2); /* (0.2,0.9)-(0,1) = sqrt(0.05) */
    assert_near(d3, sqrt(0.05), 1e-7);
    assert_true(jnum(o, "dcr.synthetic_to_train.min") == 0.0);
    assert_near(jnum(o, "dcr.synthetic_to_train.p5"), 0.1 * d3, 1e-12);
    assert_near(jnum(o, "dcr.synthetic_to_train.median"), d3, 1e-12);
    assert_near(jnum(o, "dcr.synthetic_to_train.mean"), (0.5 + d3) / 3, 1e-12);
    /* Edges over [0, 0.5]: 0.2236 falls in the second bin, 0.5 in the last (closed) one. */
    json_t *edges = jget(o, "dcr.synthetic_to_train.histogram.edges");
    assert_int_equal(json_array_size(edges), 5);
    assert_true(json_real_value(json_array_get(edges, 0)) == 0.0);
    assert_near(json_real_value(json_array_get(edges, 2)), 0.25, 1e-12);
    assert_true(json_real_value(json_array_get(edges, 4)) == 0.5);
    assert_counts(o, "dcr.synthetic_to_train.histogram.counts", (const long[]){1, 1, 0, 1}, 4);
    assert_near(jnum(o, "dcr.exact_copy_rate"), 1.0 / 3, 1e-15);
    assert_jnull(o, "dcr.synthetic_to_holdout");
    assert_jnull(o, "dcr.share_closer_to_train");
    assert_jnull(o, "membership_inference");
    assert_jnull(o, "rows_used.holdout");
    assert_int_equal(json_integer_value(jget(o, "rows_used.synthetic")), 3);
    assert_int_equal(json_integer_value(jget(o, "rows_used.train")), 4);
    assert_true(json_is_false(jget(o, "sampled")));
    assert_true(json_is_string(jget(o, "encoding")));
    json_decref(o);
}

/* The same with a 4-row holdout (0.5,0.1), (0.2,1), (3,3), (3,4):
 *   synthetic -> holdout: sqrt(0.26), 0.1, 0.1; share closer to train: 1, 0, 0 -> 1/3.
 *   members (train) -> synthetic: 0, 0.5, sqrt(0.05), sqrt(0.65); non-members: 0.1, 0.1, 3.5,
 *   sqrt(17.45): 10 of the 16 pairs have the member closer -> AUC 0.625. */
static void test_hand_with_holdout(void **state)
{
    (void)state;
    synth_risk_options opt;
    synth_risk_options_init(&opt);
    opt.histogram_bins = 4;
    json_t *o = compute_ok(hand_syn, 3, hand_train, 4, hand_hold, 4, 2, &opt);
    double h1 = naive_dist(hand_syn, hand_hold, 2); /* sqrt(0.26) in float inputs */
    double h2 = naive_dist(hand_syn + 2, hand_hold, 2), h3 = naive_dist(hand_syn + 4, hand_hold + 2, 2);
    assert_near(h1, sqrt(0.26), 1e-7);
    assert_near(jnum(o, "dcr.synthetic_to_holdout.min"), h2 < h3 ? h2 : h3, 1e-15);
    assert_near(jnum(o, "dcr.synthetic_to_holdout.median"), h2 < h3 ? h3 : h2, 1e-15);
    assert_near(jnum(o, "dcr.synthetic_to_holdout.mean"), (h1 + h2 + h3) / 3, 1e-12);
    assert_near(jnum(o, "dcr.share_closer_to_train"), 1.0 / 3, 1e-15);
    assert_near(jnum(o, "membership_inference.roc_auc"), 0.625, 1e-15);
    /* Common edges over [0, sqrt(0.26)]: train 0 | 0.2236 | - | 0.5; holdout 0.1, 0.1 | - | - | 0.51. */
    json_t *e1 = jget(o, "dcr.synthetic_to_train.histogram.edges");
    json_t *e2 = jget(o, "dcr.synthetic_to_holdout.histogram.edges");
    assert_true(json_equal(e1, e2));
    assert_near(json_real_value(json_array_get(e1, 4)), h1, 1e-15);
    assert_counts(o, "dcr.synthetic_to_train.histogram.counts", (const long[]){1, 1, 0, 1}, 4);
    assert_counts(o, "dcr.synthetic_to_holdout.histogram.counts", (const long[]){2, 0, 0, 1}, 4);
    assert_int_equal(json_integer_value(jget(o, "rows_used.holdout")), 4);
    const char *attack = json_string_value(jget(o, "membership_inference.attack"));
    assert_non_null(attack);
    assert_non_null(strstr(attack, "4 members (the training rows)"));
    json_decref(o);
}

/* ---- planted copies, fresh samples, copies of train ---------------------------------------------------- */

/* 50 distinct training rows copied over 50 random synthetic rows (of 1000): exact_copy_rate is
 * exactly 0.05 and exactly those rows have DCR 0, pointing at the copied row. */
static void test_planted_duplicates(void **state)
{
    (void)state;
    const size_t n = 1000, w = 10, ncopy = 50;
    float *train = uniform_rows(n, w, 1), *syn = uniform_rows(n, w, 2);
    size_t pos[50], src[50];
    char *taken = calloc(n, 1);
    assert_non_null(taken);
    synth_rng r;
    synth_rng_init(&r, 99, 0, 1);
    for (size_t c = 0; c < ncopy; c++) {
        size_t p;
        do
            p = (size_t)synth_rng_below(&r, n);
        while (taken[p]);
        taken[p] = 1;
        pos[c] = p;
        src[c] = (c * 37 + 11) % n; /* distinct training rows */
        memcpy(syn + p * w, train + src[c] * w, w * sizeof *syn);
    }
    synth_risk_options opt;
    synth_risk_options_init(&opt);
    opt.block_rows = 64;
    opt.block_cols = 96;
    opt.threads = 2;
    json_t *o = compute_ok(syn, n, train, n, NULL, 0, w, &opt);
    assert_true(jnum(o, "dcr.exact_copy_rate") == 0.05);
    assert_true(jnum(o, "dcr.synthetic_to_train.min") == 0.0);
    json_decref(o);

    double *d = malloc(n * sizeof *d);
    size_t *arg = malloc(n * sizeof *arg);
    assert_non_null(d);
    assert_non_null(arg);
    synth_err err;
    assert_int_equal(synth_risk_nearest(syn, n, train, n, w, &opt, d, arg, NULL, NULL, &err), SYNTH_OK);
    for (size_t c = 0; c < ncopy; c++) {
        assert_true(d[pos[c]] == 0.0);
        assert_int_equal(arg[pos[c]], src[c]);
    }
    for (size_t i = 0; i < n; i++)
        if (!taken[i])
            assert_true(d[i] > 0.0);
    free(d);
    free(arg);
    free(taken);
    free(train);
    free(syn);
}

/* Synthetic rows drawn afresh from the distribution of train and holdout: nothing memorized, so
 * the share closer to train and the attack's AUC are about 0.5 -- also when the training set is
 * twice the holdout (the share then compares against a random training subset of the holdout's
 * size, and the attack uses as many members as non-members). */
static void test_fresh_samples(void **state)
{
    (void)state;
    for (int twice = 0; twice <= 1; twice++) {
        size_t nh = 2000, nt = twice ? 4000 : 2000, ns = 3000;
        float *train = mixed_rows(nt, 11), *hold = mixed_rows(nh, 12), *syn = mixed_rows(ns, 13);
        synth_risk_options opt;
        synth_risk_options_init(&opt);
        opt.seed = 5;
        json_t *o = compute_ok(syn, ns, train, nt, hold, nh, MIX_WIDTH, &opt);
        assert_near(jnum(o, "dcr.share_closer_to_train"), 0.5, 0.05);
        assert_near(jnum(o, "membership_inference.roc_auc"), 0.5, 0.05);
        assert_true(jnum(o, "dcr.exact_copy_rate") == 0.0);
        assert_true(json_is_false(jget(o, "sampled")));
        const char *attack = json_string_value(jget(o, "membership_inference.attack"));
        assert_non_null(attack);
        if (twice)
            assert_non_null(strstr(attack, "2000 members (a random subset of the 4000 training rows"));
        json_decref(o);
        free(train);
        free(hold);
        free(syn);
    }
}

/* Synthetic rows that are the training rows (in another order): every synthetic row is closer to
 * train, every member has distance 0 and every non-member more: share 1, AUC 1, copies 100%. */
static void test_copies_of_train(void **state)
{
    (void)state;
    const size_t n = 1500;
    float *train = mixed_rows(n, 21), *hold = mixed_rows(n, 22), *syn = malloc(n * MIX_WIDTH * sizeof *syn);
    assert_non_null(syn);
    for (size_t i = 0; i < n; i++)
        memcpy(syn + i * MIX_WIDTH, train + ((i * 7) % n) * MIX_WIDTH, MIX_WIDTH * sizeof *syn);
    json_t *o = compute_ok(syn, n, train, n, hold, n, MIX_WIDTH, NULL);
    assert_near(jnum(o, "dcr.share_closer_to_train"), 1.0, 1e-12);
    assert_near(jnum(o, "membership_inference.roc_auc"), 1.0, 1e-12);
    assert_true(jnum(o, "dcr.exact_copy_rate") == 1.0);
    assert_true(jnum(o, "dcr.synthetic_to_train.mean") == 0.0);
    json_decref(o);
    free(train);
    free(hold);
    free(syn);
}

/* ---- the blocked search against the naive one ------------------------------------------------------------ */

static void check_nearest_vs_naive(const float *q, size_t nq, const float *r, size_t nr, size_t width,
                                   const synth_risk_options *opt, const double *want_q, const double *want_r)
{
    double *dq = malloc(nq * sizeof *dq), *dr = malloc(nr * sizeof *dr);
    size_t *aq = malloc(nq * sizeof *aq), *ar = malloc(nr * sizeof *ar);
    assert_true(dq && dr && aq && ar);
    synth_err err;
    int rc = synth_risk_nearest(q, nq, r, nr, width, opt, dq, aq, dr, ar, &err);
    if (rc != SYNTH_OK)
        fail_msg("synth_risk_nearest: %s", err.msg);
    for (size_t i = 0; i < nq; i++) {
        assert_near(dq[i], want_q[i], 1e-4);
        assert_true(aq[i] < nr);
        assert_near(naive_dist(q + i * width, r + aq[i] * width, width), dq[i], 1e-12);
    }
    for (size_t j = 0; j < nr; j++) {
        assert_near(dr[j], want_r[j], 1e-4);
        assert_true(ar[j] < nq);
        assert_near(naive_dist(r + j * width, q + ar[j] * width, width), dr[j], 1e-12);
    }
    free(dq);
    free(dr);
    free(aq);
    free(ar);
}

/* Random data, width 37 (not a multiple of any SIMD width), blocks smaller than the data and not
 * dividing it, 1-3 threads, every reduction kernel the CPU has: both directions match the naive
 * double-precision search within 1e-4 (in fact to rounding: the chosen pair is recomputed in double). */
static void test_blocked_vs_naive(void **state)
{
    (void)state;
    const size_t nq = 300, nr = 517, w = 37;
    float *q = uniform_rows(nq, w, 31), *r = uniform_rows(nr, w, 32);
    double *want_q = naive_nearest(q, nq, r, nr, w), *want_r = naive_nearest(r, nr, q, nq, w);
    const size_t blocks[][2] = {{7, 13}, {64, 100}, {1, 1}, {0, 0}};
    int kernels = 0;
    for (int kernel = 1; kernel <= 3; kernel++) {
        if (synth__risk_set_kernel(kernel) != 0)
            continue;
        kernels++;
        for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++)
            for (size_t threads = 1; threads <= 3; threads++) {
                synth_risk_options opt;
                synth_risk_options_init(&opt);
                opt.block_rows = blocks[b][0];
                opt.block_cols = blocks[b][1];
                opt.threads = threads;
                check_nearest_vs_naive(q, nq, r, nr, w, &opt, want_q, want_r);
            }
    }
    assert_int_equal(synth__risk_set_kernel(0), 0);
    assert_true(kernels >= 1);
    free(q);
    free(r);
    free(want_q);
    free(want_r);
}

/* Naive share (ties 1/2) and Mann-Whitney AUC (members closer; ties 1/2). */
static double naive_share(const double *dt, const double *dh, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += dt[i] < dh[i] ? 1.0 : dt[i] == dh[i] ? 0.5 : 0.0;
    return s / (double)n;
}

static double naive_auc(const double *dm, size_t nm, const double *dn, size_t nn)
{
    double u = 0;
    for (size_t i = 0; i < nm; i++)
        for (size_t j = 0; j < nn; j++)
            u += dm[i] < dn[j] ? 1.0 : dm[i] == dn[j] ? 0.5 : 0.0;
    return u / ((double)nm * (double)nn);
}

/* The whole report against naive computations, on continuous data and on purely categorical
 * (one-hot) data where distances tie massively (only 0, sqrt(2) and 2 occur). */
static void test_report_vs_naive(void **state)
{
    (void)state;
    for (int categorical = 0; categorical <= 1; categorical++) {
        const size_t ns = 400, nt = 350, nh = 350, w = categorical ? 6 : 11;
        float *s, *t, *h;
        if (categorical) {
            /* Two one-hot groups of 3: 9 distinct rows. */
            s = calloc(ns * w, sizeof *s);
            t = calloc(nt * w, sizeof *t);
            h = calloc(nh * w, sizeof *h);
            assert_true(s && t && h);
            float *mats[3] = {s, t, h};
            size_t sizes[3] = {ns, nt, nh};
            for (int m = 0; m < 3; m++)
                for (size_t i = 0; i < sizes[m]; i++) {
                    synth_rng r;
                    synth_rng_init(&r, 40 + (uint64_t)m, i, 1);
                    mats[m][i * w + synth_rng_below(&r, 3)] = 1.0f;
                    mats[m][i * w + 3 + synth_rng_below(&r, 3)] = 1.0f;
                }
        } else {
            s = uniform_rows(ns, w, 41);
            t = uniform_rows(nt, w, 42);
            h = uniform_rows(nh, w, 43);
        }
        double *dt = naive_nearest(s, ns, t, nt, w), *dh = naive_nearest(s, ns, h, nh, w);
        double *dm = naive_nearest(t, nt, s, ns, w), *dn = naive_nearest(h, nh, s, ns, w);
        synth_risk_options opt;
        synth_risk_options_init(&opt);
        opt.block_rows = 33;
        opt.block_cols = 50;
        opt.threads = 2;
        json_t *o = compute_ok(s, ns, t, nt, h, nh, w, &opt);
        assert_near(jnum(o, "dcr.synthetic_to_train.mean"), naive_mean(dt, ns), 1e-6);
        assert_near(jnum(o, "dcr.synthetic_to_train.median"), naive_median(dt, ns), 1e-6);
        assert_near(jnum(o, "dcr.synthetic_to_holdout.mean"), naive_mean(dh, ns), 1e-6);
        assert_near(jnum(o, "dcr.synthetic_to_holdout.median"), naive_median(dh, ns), 1e-6);
        assert_near(jnum(o, "dcr.share_closer_to_train"), naive_share(dt, dh, ns), 1e-12);
        assert_near(jnum(o, "membership_inference.roc_auc"), naive_auc(dm, nt, dn, nh), 1e-12);
        /* Histogram counts add up to the rows. */
        json_t *c = jget(o, "dcr.synthetic_to_holdout.histogram.counts");
        long total = 0;
        for (size_t b = 0; b < json_array_size(c); b++)
            total += (long)json_integer_value(json_array_get(c, b));
        assert_int_equal(total, ns);
        json_decref(o);
        free(dt);
        free(dh);
        free(dm);
        free(dn);
        free(s);
        free(t);
        free(h);
    }
}

/* The report is the same for any thread count, block size and kernel. */
static void test_deterministic(void **state)
{
    (void)state;
    const size_t ns = 700, nt = 900, nh = 300;
    float *s = mixed_rows(ns, 51), *t = mixed_rows(nt, 52), *h = mixed_rows(nh, 53);
    synth_risk_options opt;
    synth_risk_options_init(&opt);
    opt.seed = 3;
    opt.threads = 1;
    json_t *o = compute_ok(s, ns, t, nt, h, nh, MIX_WIDTH, &opt);
    char *want = dump(o);
    json_decref(o);
    for (int kernel = 1; kernel <= 3; kernel++) {
        if (synth__risk_set_kernel(kernel) != 0)
            continue;
        for (size_t threads = 1; threads <= 4; threads++) {
            opt.threads = threads;
            opt.block_rows = threads * 50;
            opt.block_cols = 64 + threads;
            o = compute_ok(s, ns, t, nt, h, nh, MIX_WIDTH, &opt);
            char *got = dump(o);
            assert_string_equal(got, want);
            free(got);
            json_decref(o);
        }
    }
    assert_int_equal(synth__risk_set_kernel(0), 0);
    free(want);
    free(s);
    free(t);
    free(h);
}

/* ---- sampling, options, no holdout, bad input ----------------------------------------------------------- */

static void test_sampling(void **state)
{
    (void)state;
    const size_t ns = 3000, nt = 2500, nh = 700;
    float *s = mixed_rows(ns, 61), *t = mixed_rows(nt, 62), *h = mixed_rows(nh, 63);
    synth_risk_options opt;
    synth_risk_options_init(&opt);
    opt.max_synthetic = 1000;
    opt.max_reference = 600;
    opt.seed = 17;
    json_t *o = compute_ok(s, ns, t, nt, h, nh, MIX_WIDTH, &opt);
    assert_true(json_is_true(jget(o, "sampled")));
    assert_int_equal(json_integer_value(jget(o, "rows_used.synthetic")), 1000);
    assert_int_equal(json_integer_value(jget(o, "rows_used.train")), 600);
    assert_int_equal(json_integer_value(jget(o, "rows_used.holdout")), 600);
    json_t *c = jget(o, "dcr.synthetic_to_train.histogram.counts");
    long total = 0;
    for (size_t b = 0; b < json_array_size(c); b++)
        total += (long)json_integer_value(json_array_get(c, b));
    assert_int_equal(total, 1000);
    assert_non_null(strstr(json_string_value(jget(o, "membership_inference.attack")), "600 members (the training rows)"));
    char *first = dump(o);
    json_decref(o);
    /* The same seed gives the same rows, another seed other rows. */
    o = compute_ok(s, ns, t, nt, h, nh, MIX_WIDTH, &opt);
    char *again = dump(o);
    assert_string_equal(first, again);
    json_decref(o);
    opt.seed = 18;
    o = compute_ok(s, ns, t, nt, h, nh, MIX_WIDTH, &opt);
    char *other = dump(o);
    assert_string_not_equal(first, other);
    json_decref(o);
    /* Only the synthetic rows above the limit. */
    opt.max_reference = 2500;
    o = compute_ok(s, ns, t, nt, h, nh, MIX_WIDTH, &opt);
    assert_true(json_is_true(jget(o, "sampled")));
    assert_int_equal(json_integer_value(jget(o, "rows_used.train")), 2500);
    json_decref(o);
    /* No limit reached, or no limit (0): nothing sampled. */
    opt.max_synthetic = 3000;
    o = compute_ok(s, ns, t, nt, h, nh, MIX_WIDTH, &opt);
    assert_true(json_is_false(jget(o, "sampled")));
    assert_int_equal(json_integer_value(jget(o, "rows_used.synthetic")), 3000);
    json_decref(o);
    opt.max_synthetic = opt.max_reference = 0;
    o = compute_ok(s, ns, t, nt, h, nh, MIX_WIDTH, &opt);
    assert_true(json_is_false(jget(o, "sampled")));
    json_decref(o);
    free(first);
    free(again);
    free(other);
    free(s);
    free(t);
    free(h);
}

static void test_no_holdout(void **state)
{
    (void)state;
    const size_t n = 200;
    float *s = mixed_rows(n, 71), *t = mixed_rows(n, 72);
    json_t *o = compute_ok(s, n, t, n, NULL, 0, MIX_WIDTH, NULL);
    assert_true(json_is_object(jget(o, "dcr.synthetic_to_train")));
    assert_true(json_is_number(jget(o, "dcr.exact_copy_rate")));
    assert_jnull(o, "dcr.synthetic_to_holdout");
    assert_jnull(o, "dcr.share_closer_to_train");
    assert_jnull(o, "membership_inference");
    assert_jnull(o, "rows_used.holdout");
    char *a = dump(o);
    json_decref(o);
    /* A holdout matrix with no rows is no holdout. */
    o = compute_ok(s, n, t, n, t, 0, MIX_WIDTH, NULL);
    char *b = dump(o);
    assert_string_equal(a, b);
    json_decref(o);
    json_t *out = NULL;
    synth_err err;
    assert_int_equal(synth_risk_compute(s, n, t, n, NULL, 5, MIX_WIDTH, NULL, &out, &err), SYNTH_USAGE);
    assert_null(out);
    free(a);
    free(b);
    free(s);
    free(t);
}

static void test_bad_input(void **state)
{
    (void)state;
    const size_t n = 50;
    float *s = mixed_rows(n, 81), *t = mixed_rows(n, 82);
    json_t *out = NULL;
    synth_err err;
    t[3 * MIX_WIDTH + 2] = NAN;
    assert_int_equal(synth_risk_compute(s, n, t, n, NULL, 0, MIX_WIDTH, NULL, &out, &err), SYNTH_BAD_INPUT);
    assert_null(out);
    assert_non_null(strstr(err.msg, "training row 4"));
    t[3 * MIX_WIDTH + 2] = 0.5f;
    s[7 * MIX_WIDTH] = INFINITY;
    assert_int_equal(synth_risk_compute(s, n, t, n, t, n, MIX_WIDTH, NULL, &out, &err), SYNTH_BAD_INPUT);
    assert_non_null(strstr(err.msg, "synthetic row 8"));
    s[7 * MIX_WIDTH] = 1e30f; /* finite, but its square overflows float */
    assert_int_equal(synth_risk_compute(s, n, t, n, NULL, 0, MIX_WIDTH, NULL, &out, &err), SYNTH_BAD_INPUT);
    s[7 * MIX_WIDTH] = 0.0f;
    assert_int_equal(synth_risk_compute(s, 0, t, n, NULL, 0, MIX_WIDTH, NULL, &out, &err), SYNTH_BAD_INPUT);
    assert_int_equal(synth_risk_compute(s, n, t, 0, NULL, 0, MIX_WIDTH, NULL, &out, &err), SYNTH_BAD_INPUT);
    assert_int_equal(synth_risk_compute(s, n, t, n, NULL, 0, 0, NULL, &out, &err), SYNTH_BAD_INPUT);
    synth_risk_options opt;
    synth_risk_options_init(&opt);
    opt.histogram_bins = 0;
    assert_int_equal(synth_risk_compute(s, n, t, n, NULL, 0, MIX_WIDTH, &opt, &out, &err), SYNTH_USAGE);
    assert_int_equal(synth_risk_compute(s, n, t, n, NULL, 0, MIX_WIDTH, NULL, NULL, &err), SYNTH_USAGE);
    assert_null(out);
    free(s);
    free(t);
}

/* A pending SIGINT stops the search: SYNTH_INTERRUPTED, nothing returned. */
static void test_interrupted(void **state)
{
    (void)state;
    const size_t n = 300;
    float *s = mixed_rows(n, 91), *t = mixed_rows(n, 92);
    synth_signals_install();
    synth__signals_reset();
    raise(SIGINT);
    json_t *out = NULL;
    synth_err err;
    assert_int_equal(synth_risk_compute(s, n, t, n, t, n, MIX_WIDTH, NULL, &out, &err), SYNTH_INTERRUPTED);
    assert_null(out);
    assert_int_equal(synth_risk_nearest(s, n, t, n, MIX_WIDTH, NULL, NULL, NULL, NULL, NULL, &err),
                     SYNTH_INTERRUPTED);
    synth__signals_reset();
    out = compute_ok(s, n, t, n, t, n, MIX_WIDTH, NULL);
    json_decref(out);
    free(s);
    free(t);
}

/* ---- allocation failures -------------------------------------------------------------------------------- */

/* Every allocation of a run that samples down, sets a training subset apart and uses two threads
 * fails in turn (once, then from there on): SYNTH_NOMEM, no output, nothing leaked (ASan). */
static void test_alloc_failures(void **state)
{
    (void)state;
    const size_t ns = 500, nt = 400, nh = 150;
    float *s = mixed_rows(ns, 101), *t = mixed_rows(nt, 102), *h = mixed_rows(nh, 103);
    synth_risk_options opt;
    synth_risk_options_init(&opt);
    opt.max_synthetic = 300;
    opt.max_reference = 350;
    opt.threads = 2;
    opt.block_rows = 64;
    opt.block_cols = 64;
    json_t *out = NULL;
    synth_err err;
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(synth_risk_compute(s, ns, t, nt, h, nh, MIX_WIDTH, &opt, &out, &err), SYNTH_OK);
    long needed = synth_alloc_fail_after(-1, 0);
    json_decref(out);
    assert_true(needed > 10);
    for (int sticky = 0; sticky <= 1; sticky++)
        for (long n = 0; n < needed; n++) {
            out = NULL;
            synth_alloc_fail_after(n, sticky);
            int rc = synth_risk_compute(s, ns, t, nt, h, nh, MIX_WIDTH, &opt, &out, &err);
            synth_alloc_fail_after(-1, 0);
            if (rc != SYNTH_NOMEM)
                fail_msg("allocation %ld (sticky %d): rc %d (%s)", n, sticky, rc, err.msg);
            assert_null(out);
        }
    /* And the lower-level search. */
    double *dq = malloc(ns * sizeof *dq), *dr = malloc(nt * sizeof *dr);
    assert_true(dq && dr);
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(synth_risk_nearest(s, ns, t, nt, MIX_WIDTH, &opt, dq, NULL, dr, NULL, &err), SYNTH_OK);
    needed = synth_alloc_fail_after(-1, 0);
    for (long n = 0; n < needed; n++) {
        synth_alloc_fail_after(n, 0);
        int rc = synth_risk_nearest(s, ns, t, nt, MIX_WIDTH, &opt, dq, NULL, dr, NULL, &err);
        synth_alloc_fail_after(-1, 0);
        assert_int_equal(rc, SYNTH_NOMEM);
    }
    free(dq);
    free(dr);
    free(s);
    free(t);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_train_only),
        cmocka_unit_test(test_hand_with_holdout),
        cmocka_unit_test(test_planted_duplicates),
        cmocka_unit_test(test_fresh_samples),
        cmocka_unit_test(test_copies_of_train),
        cmocka_unit_test(test_blocked_vs_naive),
        cmocka_unit_test(test_report_vs_naive),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_sampling),
        cmocka_unit_test(test_no_holdout),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_interrupted),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
