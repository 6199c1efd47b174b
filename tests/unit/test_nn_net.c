/* test_nn_net.c -- the CTGAN network's contracts (generators/nn/ctgan_net.c): single-thread
 * determinism for a seed, bit-exact save -> load and resumed training identical to uninterrupted
 * training, blob validation, inference checked against a double-precision reference (batchnorm
 * with running statistics) and independent of how rows are split into calls, config validation,
 * the CUDA-less build's message, and clean SYNTH_NOMEM on every failed allocation. */
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
#include "nn/backend.h"
#include "nn/ctgan_net.h"
#include "nn/ctgan_net_internal.h"

#define BATCH 20
#define DATA 9
#define COND 5
#define ND 2
#define EMB 6

static const synth_ctgan_span spans[] = {
    {SYNTH_SPAN_TANH, 1}, {SYNTH_SPAN_SOFTMAX, 3}, {SYNTH_SPAN_SOFTMAX, 2}, {SYNTH_SPAN_SOFTMAX, 3}};
static const int cond_span[ND] = {2, 3};
static const int cond_off[ND] = {0, 2};
static float real[BATCH * DATA], cfake[BATCH * COND], condreal[BATCH * COND], mask[BATCH * ND];
static synth_nn_backend *g_b;

static void config(synth_ctgan_config *c)
{
    synth_ctgan_config_defaults(c);
    c->data_dim = DATA;
    c->spans = spans;
    c->nspans = 4;
    c->cond_dim = COND;
    c->cond_span_index = cond_span;
    c->cond_offset = cond_off;
    c->ndiscrete = ND;
    c->embedding_dim = EMB;
    c->gen_dims[0] = 8;
    c->gen_dims[1] = 7;
    c->dis_dims[0] = 9;
    c->dis_dims[1] = 6;
    c->pac = 5;
}

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < BATCH; i++) {
        float *r = real + i * DATA;
        r[0] = 0.8f * cosf(0.9f * (float)i);
        r[1 + i % 3] = 1.0f;
        r[4 + (i / 3) % 2] = 1.0f;
        r[6 + (i * 7) % 3] = 1.0f;
        int d = i % 2, cat = d == 0 ? (i / 2) % 2 : i % 3;
        cfake[i * COND + cond_off[d] + cat] = 1.0f;
        mask[i * ND + d] = 1.0f;
    }
    for (int i = 0; i < BATCH; i++)
        memcpy(condreal + i * COND, cfake + ((7 * i + 3) % BATCH) * COND, COND * sizeof(float));
    synth_err err;
    return synth_nn_backend_open("cpu", 1, &g_b, &err);
}

static int teardown(void **state)
{
    (void)state;
    synth_nn_backend_free(g_b);
    return 0;
}

static void train(synth_ctgan_net *net, int steps)
{
    synth_err err;
    synth_ctgan_dbatch d = {real, cfake, condreal, mask};
    synth_ctgan_gbatch g = {cfake, mask};
    for (int s = 0; s < steps; s++) {
        float ld = NAN, lg = NAN;
        assert_int_equal(synth_ctgan_net_train_step(net, BATCH, &d, 1, &g, &ld, &lg, &err), 0);
        assert_true(isfinite(ld) && isfinite(lg));
    }
}

static synth_ctgan_net *new_net(uint64_t seed)
{
    synth_err err;
    synth_ctgan_config cfg;
    config(&cfg);
    synth_ctgan_net *net = NULL;
    assert_int_equal(synth_ctgan_net_new(g_b, &cfg, seed, &net, &err), 0);
    return net;
}

static int same_buffers(synth_ctgan_net *a, synth_ctgan_net *b)
{
    for (int w = SYNTH__NET_GP; w <= SYNTH__NET_GSTATE; w++) {
        if (w == SYNTH__NET_GG || w == SYNTH__NET_DG)
            continue;
        size_t na, nb;
        float *pa = synth__ctgan_net_buffer(a, w, &na), *pb = synth__ctgan_net_buffer(b, w, &nb);
        if (na != nb || memcmp(pa, pb, na * sizeof(float)) != 0)
            return 0;
    }
    return 1;
}

static void test_deterministic_for_a_seed(void **state)
{
    (void)state;
    synth_ctgan_net *a = new_net(7), *b = new_net(7), *c = new_net(8);
    assert_true(same_buffers(a, b));
    assert_false(same_buffers(a, c));
    train(a, 4);
    train(b, 4);
    train(c, 4);
    assert_true(same_buffers(a, b));
    assert_false(same_buffers(a, c));
    assert_int_equal(synth_ctgan_net_steps(a), 4);
    synth_ctgan_net_free(a);
    synth_ctgan_net_free(b);
    synth_ctgan_net_free(c);
}

static void test_training_moves_weights(void **state)
{
    (void)state;
    synth_ctgan_net *a = new_net(3), *b = new_net(3);
    train(a, 1);
    size_t n;
    float *pa = synth__ctgan_net_buffer(a, SYNTH__NET_DP, &n), *pb = synth__ctgan_net_buffer(b, SYNTH__NET_DP, &n);
    size_t moved = 0;
    for (size_t i = 0; i < n; i++) {
        float dlt = fabsf(pa[i] - pb[i]);
        moved += dlt > 0.0f;
        assert_true(dlt <= 2.5e-4f);   /* Adam's first step moves each weight by at most about lr */
    }
    assert_true(moved > n * 9 / 10);
    synth_ctgan_net_free(a);
    synth_ctgan_net_free(b);
}

static void test_save_load_resume(void **state)
{
    (void)state;
    synth_err err;
    synth_ctgan_config cfg;
    config(&cfg);
    synth_ctgan_net *a = new_net(11);
    train(a, 3);
    unsigned char *blob = NULL, *blob2 = NULL;
    size_t len = 0, len2 = 0;
    assert_int_equal(synth_ctgan_net_save(a, &blob, &len, &err), 0);
    synth_ctgan_net *b = NULL;
    assert_int_equal(synth_ctgan_net_load(g_b, &cfg, blob, len, &b, &err), 0);
    assert_int_equal(synth_ctgan_net_save(b, &blob2, &len2, &err), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(blob, blob2, len);
    assert_true(same_buffers(a, b));
    assert_int_equal(synth_ctgan_net_steps(b), 3);
    /* resuming gives exactly what the uninterrupted run gives */
    train(a, 2);
    train(b, 2);
    assert_true(same_buffers(a, b));
    synth_free(blob2);

    /* broken blobs */
    synth_ctgan_net *c = NULL;
    assert_int_equal(synth_ctgan_net_load(g_b, &cfg, blob, len - 4, &c, &err), SYNTH_MODEL);
    assert_null(c);
    assert_int_equal(synth_ctgan_net_load(g_b, &cfg, blob, 10, &c, &err), SYNTH_MODEL);
    blob[0] ^= 1;
    assert_int_equal(synth_ctgan_net_load(g_b, &cfg, blob, len, &c, &err), SYNTH_MODEL);
    assert_non_null(strstr(err.msg, "not a CTGAN"));
    blob[0] ^= 1;
    cfg.pac = 10;   /* another critic shape */
    assert_int_equal(synth_ctgan_net_load(g_b, &cfg, blob, len, &c, &err), SYNTH_MODEL);
    assert_null(c);
    synth_free(blob);
    synth_ctgan_net_free(a);
    synth_ctgan_net_free(b);
}

/* Double-precision reference of inference: residual blocks with batchnorm on running stats. */
static void reference_generate(synth_ctgan_net *net, const float *z, const float *cond, double *out)
{
    const synth_ctgan_config *c = synth_ctgan_net_config(net);
    size_t n;
    const float *p = synth__ctgan_net_buffer(net, SYNTH__NET_GP, &n);
    const float *st = synth__ctgan_net_buffer(net, SYNTH__NET_GSTATE, &n);
    double h[64];
    int w = 0;
    for (int j = 0; j < c->embedding_dim; j++)
        h[w++] = z[j];
    for (int j = 0; j < c->cond_dim; j++)
        h[w++] = cond[j];
    size_t off = 0, soff = 0;
    for (int k = 0; k < c->ngen; k++) {
        int o = c->gen_dims[k];
        double r[64];
        const float *W = p + off, *bias = W + (size_t)o * w, *gamma = bias + o, *beta = gamma + o;
        for (int j = 0; j < o; j++) {
            double a = bias[j];
            for (int i = 0; i < w; i++)
                a += (double)W[j * w + i] * h[i];
            double y = (a - st[soff + j]) / sqrt(st[soff + o + j] + 1e-5) * gamma[j] + beta[j];
            r[j] = y > 0 ? y : 0;
        }
        off += (size_t)o * w + 3 * (size_t)o;
        soff += 2 * (size_t)o;
        memmove(h + o, h, (size_t)w * sizeof(double));   /* cat([out, input]) */
        memcpy(h, r, (size_t)o * sizeof(double));
        w += o;
    }
    const float *W = p + off, *bias = W + (size_t)c->data_dim * w;
    for (int j = 0; j < c->data_dim; j++) {
        double a = bias[j];
        for (int i = 0; i < w; i++)
            a += (double)W[j * w + i] * h[i];
        out[j] = a;
    }
}

static void test_generate_matches_reference_and_is_row_pure(void **state)
{
    (void)state;
    synth_err err;
    synth_ctgan_net *net = new_net(5);
    train(net, 6);   /* running statistics away from 0 / 1 */
    size_t n;
    const float *st = synth__ctgan_net_buffer(net, SYNTH__NET_GSTATE, &n);
    assert_true(fabsf(st[0]) > 1e-4f);
    enum { ROWS = 37 };
    float z[ROWS * EMB], cond[ROWS * COND], all[ROWS * DATA], part[ROWS * DATA];
    for (int i = 0; i < ROWS * EMB; i++)
        z[i] = sinf(0.37f * (float)i) * 1.5f;
    memset(cond, 0, sizeof cond);
    for (int i = 0; i < ROWS; i++)
        cond[i * COND + i % COND] = 1.0f;
    assert_int_equal(synth_ctgan_net_generate(net, ROWS, z, cond, all, &err), 0);
    for (int i = 0; i < ROWS; i++) {
        double ref[DATA];
        reference_generate(net, z + i * EMB, cond + i * COND, ref);
        for (int j = 0; j < DATA; j++)
            assert_true(fabs(all[i * DATA + j] - ref[j]) < 1e-4 * (1.0 + fabs(ref[j])));
    }
    /* the same rows in calls of 1, 5 and 31 rows: byte-identical */
    const int splits[] = {1, 5, 31};
    for (int s = 0, r = 0; r < ROWS; s = (s + 1) % 3) {
        int m = splits[s] < ROWS - r ? splits[s] : ROWS - r;
        assert_int_equal(synth_ctgan_net_generate(net, m, z + r * EMB, cond + r * COND, part + r * DATA, &err), 0);
        r += m;
    }
    assert_memory_equal(all, part, sizeof all);
    /* a loaded net (weights prepared once at load) gives the same bytes */
    unsigned char *blob;
    size_t len;
    assert_int_equal(synth_ctgan_net_save(net, &blob, &len, &err), 0);
    synth_ctgan_config cfg;
    config(&cfg);
    synth_ctgan_net *loaded;
    assert_int_equal(synth_ctgan_net_load(g_b, &cfg, blob, len, &loaded, &err), 0);
    memset(part, 0, sizeof part);
    assert_int_equal(synth_ctgan_net_generate(loaded, ROWS, z, cond, part, &err), 0);
    assert_memory_equal(all, part, sizeof all);
    synth_free(blob);
    synth_ctgan_net_free(loaded);
    synth_ctgan_net_free(net);
}

static void test_config_and_device_errors(void **state)
{
    (void)state;
    synth_err err;
    synth_ctgan_config cfg;
    config(&cfg);
    synth_ctgan_net *net = NULL;
    cfg.data_dim = 10;
    assert_int_equal(synth_ctgan_net_new(g_b, &cfg, 1, &net, &err), SYNTH_USAGE);
    assert_null(net);
    config(&cfg);
    const int bad_span[ND] = {0, 3};   /* span 0 is a tanh span */
    cfg.cond_span_index = bad_span;
    assert_int_equal(synth_ctgan_net_new(g_b, &cfg, 1, &net, &err), SYNTH_USAGE);
    config(&cfg);
    net = new_net(1);
    synth_ctgan_dbatch d = {real, cfake, condreal, mask};
    synth_ctgan_gbatch g = {cfake, mask};
    assert_int_equal(synth_ctgan_net_train_step(net, 12, &d, 1, &g, NULL, NULL, &err), SYNTH_USAGE); /* not x pac */
    assert_non_null(strstr(err.msg, "multiple of pac"));
    synth_ctgan_net_free(net);

    synth_nn_backend *b = NULL;
    if (!synth_nn_cuda_compiled()) {
        assert_int_equal(synth_nn_backend_open("cuda", 0, &b, &err), SYNTH_USAGE);
        assert_non_null(strstr(err.msg, "built without CUDA: run make cuda"));
        assert_null(b);
    }
    assert_int_equal(synth_nn_backend_open("tpu", 0, &b, &err), SYNTH_USAGE);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    synth_err err;
    synth_ctgan_config cfg;
    config(&cfg);
    synth_ctgan_dbatch d = {real, cfake, condreal, mask};
    synth_ctgan_gbatch g = {cfake, mask};
    int saw_nomem = 0;
    for (long n = 0; n < 400; n++) {
        synth_ctgan_net *net = NULL;
        synth_alloc_fail_after(n, 1);
        int rc = synth_ctgan_net_new(g_b, &cfg, 1, &net, &err);
        if (rc == 0)
            rc = synth_ctgan_net_train_step(net, BATCH, &d, 1, &g, NULL, NULL, &err);
        float out[DATA], z[EMB] = {0}, c[COND] = {1};
        if (rc == 0)
            rc = synth_ctgan_net_generate(net, 1, z, c, out, &err);
        synth_alloc_fail_after(-1, 0);
        synth_ctgan_net_free(net);
        if (rc == 0)
            break;
        assert_int_equal(rc, SYNTH_NOMEM);
        saw_nomem++;
    }
    assert_true(saw_nomem > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic_for_a_seed),
        cmocka_unit_test(test_training_moves_weights),
        cmocka_unit_test(test_save_load_resume),
        cmocka_unit_test(test_generate_matches_reference_and_is_row_pure),
        cmocka_unit_test(test_config_and_device_errors),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
