/* test_nn_grad.c -- finite-difference checks of the CTGAN network's gradients (generators/nn/).
 *
 * On a tiny net (two continuous-like spans, two discrete columns, pac 2, 2 + 2 hidden layers) the
 * analytic gradient of loss_D (+ lambda * gradient penalty, i.e. the double backpropagation) is
 * compared with central differences for EVERY critic weight, and the gradient of loss_G (through
 * the critic, Gumbel-softmax with fixed draws, batchnorm, the residual concatenations and the
 * conditional cross-entropy) for EVERY generator weight; also without discrete columns (no cond
 * vector) with one block / one critic layer, and with no residual block, three critic layers and
 * pac 1.  The RNG counter is rewound before each
 * evaluation so noise, Gumbel draws, dropout masks and mixing weights are identical.  Errors are
 * relative, after subtracting the float32 noise floor of a central difference (one ulp of the loss
 * over 2 eps); exact zeros (a Linear bias feeding batchnorm) must come out as zero. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "nn/ctgan_net.h"
#include "nn/ctgan_net_internal.h"

#define BATCH 8
#define DATA 9
#define COND 5
#define ND 2

static const synth_ctgan_span spans[] = {
    {SYNTH_SPAN_TANH, 1}, {SYNTH_SPAN_SOFTMAX, 3}, {SYNTH_SPAN_SOFTMAX, 2}, {SYNTH_SPAN_SOFTMAX, 3}};
static const int cond_span[ND] = {2, 3};
static const int cond_off[ND] = {0, 2};

static float real[BATCH * DATA], cfake[BATCH * COND], condreal[BATCH * COND], mask[BATCH * ND];

static void tiny_config(synth_ctgan_config *c)
{
    synth_ctgan_config_defaults(c);
    c->data_dim = DATA;
    c->spans = spans;
    c->nspans = 4;
    c->cond_dim = COND;
    c->cond_span_index = cond_span;
    c->cond_offset = cond_off;
    c->ndiscrete = ND;
    c->embedding_dim = 4;
    c->gen_dims[0] = 5;
    c->gen_dims[1] = 6;
    c->ngen = 2;
    c->dis_dims[0] = 7;
    c->dis_dims[1] = 5;
    c->ndis = 2;
    c->pac = 2;
}

/* Deterministic batches: real rows with a tanh value and one-hot spans, cond vectors choosing
 * column i % 2, the real side permuted by i -> (3i + 1) % 8. */
static void make_batches(void)
{
    memset(real, 0, sizeof real);
    memset(cfake, 0, sizeof cfake);
    memset(condreal, 0, sizeof condreal);
    memset(mask, 0, sizeof mask);
    for (int i = 0; i < BATCH; i++) {
        float *r = real + i * DATA;
        r[0] = 0.9f * sinf(1.7f * (float)i + 0.3f);
        r[1 + i % 3] = 1.0f;
        r[4 + (i / 2) % 2] = 1.0f;
        r[6 + (i * 5) % 3] = 1.0f;
        int d = i % 2, cat = d == 0 ? i / 2 % 2 : i % 3;
        cfake[i * COND + cond_off[d] + cat] = 1.0f;
        mask[i * ND + d] = 1.0f;
    }
    for (int i = 0; i < BATCH; i++)
        memcpy(condreal + i * COND, cfake + ((3 * i + 1) % BATCH) * COND, COND * sizeof(float));
}

static synth_nn_backend *g_b;

static int setup(void **state)
{
    (void)state;
    synth_err err;
    make_batches();
    return synth_nn_backend_open("cpu", 1, &g_b, &err);
}

static int teardown(void **state)
{
    (void)state;
    synth_nn_backend_free(g_b);
    return 0;
}

static float eval(synth_ctgan_net *net, int critic, uint64_t counter)
{
    synth_err err;
    synth_ctgan_dbatch d = {real, cfake, condreal, mask};
    synth_ctgan_gbatch g = {cfake, mask};
    *synth__ctgan_net_rng_counter(net) = counter;
    float loss = NAN;
    assert_int_equal(synth__ctgan_net_loss_grad(net, BATCH, critic ? &d : NULL, &g, &loss, &err), 0);
    return loss;
}

/* Compare the analytic gradient with central differences for every parameter; returns the worst
 * relative error (|fd - g| / max(|g|, floor)) and counts the parameters checked. */
/* variant 0: the tiny config; 1: no discrete columns (no cond vector), one residual block, one
 * critic layer; 2: no residual block, three critic layers, pac 1. */
static void check_all(int critic, double eps, double tol, int variant)
{
    synth_err err;
    synth_ctgan_config cfg;
    tiny_config(&cfg);
    if (variant == 1) {
        cfg.cond_dim = 0;
        cfg.ndiscrete = 0;
        cfg.cond_span_index = NULL;
        cfg.cond_offset = NULL;
        cfg.ngen = 1;
        cfg.ndis = 1;
    } else if (variant == 2) {
        cfg.ngen = 0;
        cfg.ndis = 3;
        cfg.dis_dims[2] = 4;
        cfg.pac = 1;
    }
    synth_ctgan_net *net;
    assert_int_equal(synth_ctgan_net_new(g_b, &cfg, 42, &net, &err), 0);
    /* a few training steps first, so weights are not at their symmetric start */
    synth_ctgan_dbatch d = {real, cfake, condreal, mask};
    synth_ctgan_gbatch g = {cfake, mask};
    for (int s = 0; s < 3; s++)
        assert_int_equal(synth_ctgan_net_train_step(net, BATCH, &d, 1, &g, NULL, NULL, &err), 0);

    size_t n, ng;
    float *p = synth__ctgan_net_buffer(net, critic ? SYNTH__NET_DP : SYNTH__NET_GP, &n);
    float *gr = synth__ctgan_net_buffer(net, critic ? SYNTH__NET_DG : SYNTH__NET_GG, &ng);
    assert_int_equal(n, ng);
    uint64_t c0 = *synth__ctgan_net_rng_counter(net);
    float l0 = eval(net, critic, c0);
    assert_true(isfinite(l0));
    double *ana = malloc(n * sizeof *ana);
    assert_non_null(ana);
    double gmax = 0.0;
    for (size_t k = 0; k < n; k++) {
        ana[k] = gr[k];
        gmax = fabs(ana[k]) > gmax ? fabs(ana[k]) : gmax;
    }
    assert_true(gmax > 1e-3);   /* the gradient is not trivially zero */
    double worst = 0.0;
    size_t bad = 0, worst_k = 0, nonzero = 0;
    for (size_t k = 0; k < n; k++) {
        float keep = p[k];
        p[k] = keep + (float)eps;
        double lp = eval(net, critic, c0);
        p[k] = keep - (float)eps;
        double lm = eval(net, critic, c0);
        p[k] = keep;
        double h = ((double)(keep + (float)eps) - (double)(keep - (float)eps));
        double fd = (lp - lm) / h;
        /* float32 losses: one ulp of the loss over 2 eps is the noise floor */
        double noise = fmax(fabs(lp), fabs(lm)) * 1.2e-7 / h;
        double e = fmax(0.0, fabs(fd - ana[k]) - noise) / fmax(fabs(ana[k]), 1e-2 * gmax);
        if (fabs(ana[k]) > 1e-6)
            nonzero++;
        if (e > worst) {
            worst = e;
            worst_k = k;
        }
        if (e > tol) {
            bad++;
            printf("  param %zu: analytic %.6g, finite difference %.6g\n", k, ana[k], fd);
        }
    }
    printf("variant %d %s: loss %.4g, %zu params (%zu nonzero, largest |g| %.3g), worst relative error %.3g at %zu, "
           "%zu above %.2g\n",
           variant, critic ? "critic" : "generator", (double)l0, n, nonzero, gmax, worst, worst_k, bad, tol);
    assert_true(nonzero > n / 2);
    assert_int_equal(bad, 0);
    free(ana);
    synth_ctgan_net_free(net);
}

static void test_critic_gradient_with_penalty(void **state)
{
    (void)state;
    for (int v = 0; v < 3; v++)
        check_all(1, 1e-3, 2e-2, v);
}

static void test_generator_gradient(void **state)
{
    (void)state;
    for (int v = 0; v < 3; v++)
        check_all(0, 1e-3, 2e-2, v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_critic_gradient_with_penalty),
        cmocka_unit_test(test_generator_gradient),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
