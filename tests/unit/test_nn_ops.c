/* test_nn_ops.c -- the network backend's ops, one layer at a time (generators/nn/backend_*.c).
 *
 * CPU backend: Adam against hand-computed PyTorch updates; BatchNorm1d + ReLU forward against
 * hand values (batch statistics, running statistics with momentum 0.1 and the unbiased variance);
 * finite-difference checks of the backward of BatchNorm + ReLU, tanh / Gumbel-softmax heads, the
 * conditional cross-entropy and the gradient penalty's dP/dg; LeakyReLU + dropout masks; gemm with
 * every transpose combination against a naive product; the counter-based fills (range, moments,
 * purity in (seed, counter, index)).  When a CUDA backend can be opened (a `make cuda` build on a
 * machine with a GPU), the same training steps run on both backends and must agree. */
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
#include "nn/backend_impl.h"
#include "nn/ctgan_net.h"
#include "nn/ctgan_net_internal.h"
#include "nn/nn_rng.h"

static synth_nn_backend *cpu;

static int setup(void **state)
{
    (void)state;
    synth_err err;
    return synth_nn_backend_open("cpu", 1, &cpu, &err);
}

static int teardown(void **state)
{
    (void)state;
    synth_nn_backend_free(cpu);
    return 0;
}

static float frand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 65536.0f * 2.0f - 1.0f;
}

static void test_adam_hand_values(void **state)
{
    (void)state;
    /* lr 0.1, betas 0.5 / 0.9: step 1 m = 0.25, v = 0.025, m^ = 0.5, v^ = 0.25 -> p -= 0.1;
     * step 2 m = 0.375, v = 0.0475, m^ = 0.5, v^ = 0.25 -> p -= 0.1 again. */
    float p[2] = {1.0f, 2.0f}, g[2] = {0.5f, 0.5f}, m[2] = {0}, v[2] = {0};
    cpu->ops->adam(cpu, 1, p, g, m, v, 0.1f, 0.5f, 0.9f, 1e-8f, 0.0f, 1);
    assert_float_equal(p[0], 0.9f, 1e-6f);
    assert_float_equal(m[0], 0.25f, 1e-7f);
    assert_float_equal(v[0], 0.025f, 1e-7f);
    cpu->ops->adam(cpu, 1, p, g, m, v, 0.1f, 0.5f, 0.9f, 1e-8f, 0.0f, 2);
    assert_float_equal(p[0], 0.8f, 1e-6f);
    assert_float_equal(m[0], 0.375f, 1e-7f);
    assert_float_equal(v[0], 0.0475f, 1e-7f);
    /* weight decay is L2 added to the gradient: g' = 0.5 + 0.25 * 2 = 1, m = 0.5, v = 0.1 */
    float q = 2.0f, gq = 0.5f, mq = 0.0f, vq = 0.0f;
    cpu->ops->adam(cpu, 1, &q, &gq, &mq, &vq, 0.1f, 0.5f, 0.9f, 1e-8f, 0.25f, 1);
    assert_float_equal(mq, 0.5f, 1e-7f);
    assert_float_equal(vq, 0.1f, 1e-7f);
    assert_float_equal(q, 1.9f, 1e-6f);
    /* a tiny gradient: step 1 still moves by lr (sign), eps matters only near zero */
    float r = 0.0f, gr = 1e-3f, mr = 0.0f, vr = 0.0f;
    cpu->ops->adam(cpu, 1, &r, &gr, &mr, &vr, 0.01f, 0.5f, 0.9f, 1e-8f, 0.0f, 1);
    assert_float_equal(r, -0.01f * 1e-3f / (1e-3f + 1e-8f), 1e-8f);
}

static void test_batchnorm_forward_hand_values(void **state)
{
    (void)state;
    float a[8] = {1, -2, 3, -4, 5, -6, 7, -8};   /* 4 rows x 2 cols */
    float gamma[2] = {1.0f, 2.0f}, beta[2] = {0.0f, 0.5f}, rm[2] = {0, 0}, rv[2] = {1, 1};
    float xhat[8], is[2], y[8];
    cpu->ops->bn_relu_train(cpu, 4, 2, a, gamma, beta, 1e-5f, 0.1f, rm, rv, xhat, is, y, 2);
    /* column 0: 1 3 5 7, mean 4, biased var 5, unbiased 20/3 */
    assert_float_equal(is[0], 1.0 / sqrt(5.0 + 1e-5), 1e-6);
    assert_float_equal(rm[0], 0.4f, 1e-6f);
    assert_float_equal(rv[0], 0.9f + 0.1f * 20.0f / 3.0f, 1e-6f);
    assert_float_equal(xhat[0], -3.0 / sqrt(5.0 + 1e-5), 1e-6);
    assert_float_equal(y[0], 0.0f, 0.0f);                          /* ReLU */
    assert_float_equal(y[6], 3.0 / sqrt(5.0 + 1e-5), 1e-6);
    /* column 1: -2 -4 -6 -8, mean -5; y = relu(2 xhat + 0.5) */
    assert_float_equal(rm[1], -0.5f, 1e-6f);
    assert_float_equal(y[1], 2.0 * 3.0 / sqrt(5.0 + 1e-5) + 0.5, 1e-5);
    assert_float_equal(y[7], 0.0f, 0.0f);
    /* eval mode uses the running statistics */
    float ye[8];
    cpu->ops->bn_relu_eval(cpu, 4, 2, a, gamma, beta, 1e-5f, rm, rv, ye, 2);
    assert_float_equal(ye[6], (7.0 - 0.4) / sqrt(rv[0] + 1e-5), 1e-5);
}

/* loss = sum c * y of bn_relu_train(a): backward against central differences in a, gamma, beta. */
static double bn_loss(const float *a, const float *gamma, const float *beta, const float *c, int rows, int cols)
{
    float rm[8] = {0}, rv[8] = {0}, xhat[64], is[8], y[64];
    cpu->ops->bn_relu_train(cpu, rows, cols, a, gamma, beta, 1e-5f, 0.1f, rm, rv, xhat, is, y, cols);
    double s = 0.0;
    for (int i = 0; i < rows * cols; i++)
        s += (double)c[i] * y[i];
    return s;
}

static void check_fd(double ana, double fd, double scale)
{
    if (fabs(ana - fd) > 2e-2 * fmax(fabs(ana), scale))
        fail_msg("analytic %.6g vs finite difference %.6g", ana, fd);
}

static void test_batchnorm_backward_fd(void **state)
{
    (void)state;
    enum { R = 6, C = 3 };
    unsigned s = 1;
    float a[R * C], c[R * C], gamma[C], beta[C];
    for (int i = 0; i < R * C; i++) {
        a[i] = frand(&s) * 2.0f;
        c[i] = frand(&s);
    }
    for (int j = 0; j < C; j++) {
        gamma[j] = 1.0f + 0.3f * frand(&s);
        beta[j] = 0.2f * frand(&s);
    }
    float rm[C] = {0}, rv[C] = {0}, xhat[R * C], is[C], y[R * C], dg[C], db[C], da[R * C];
    cpu->ops->bn_relu_train(cpu, R, C, a, gamma, beta, 1e-5f, 0.1f, rm, rv, xhat, is, y, C);
    cpu->ops->bn_relu_backward(cpu, R, C, c, C, y, C, xhat, gamma, is, dg, db, da);
    const float eps = 1e-3f;
    for (int i = 0; i < R * C; i++) {
        float k = a[i];
        a[i] = k + eps;
        double lp = bn_loss(a, gamma, beta, c, R, C);
        a[i] = k - eps;
        double lm = bn_loss(a, gamma, beta, c, R, C);
        a[i] = k;
        check_fd(da[i], (lp - lm) / (2 * eps), 1e-2);
    }
    for (int j = 0; j < C; j++) {
        float k = gamma[j];
        gamma[j] = k + eps;
        double lp = bn_loss(a, gamma, beta, c, R, C);
        gamma[j] = k - eps;
        double lm = bn_loss(a, gamma, beta, c, R, C);
        gamma[j] = k;
        check_fd(dg[j], (lp - lm) / (2 * eps), 1e-2);
        k = beta[j];
        beta[j] = k + eps;
        lp = bn_loss(a, gamma, beta, c, R, C);
        beta[j] = k - eps;
        lm = bn_loss(a, gamma, beta, c, R, C);
        beta[j] = k;
        check_fd(db[j], (lp - lm) / (2 * eps), 1e-2);
    }
}

/* Output heads: one tanh span, two softmax spans; loss = sum c * out with fixed uniforms. */
static const int hk[3] = {0, 1, 1}, hs[3] = {0, 1, 4}, hw[3] = {1, 3, 2};
enum { HR = 3, HD = 6 };

static double head_loss(const float *l, const float *u, const float *c)
{
    float out[HR * HD];
    cpu->ops->activate(cpu, HR, 3, hk, hs, hw, l, HD, u, HD, 0.2f, out, HD);
    double s = 0.0;
    for (int i = 0; i < HR * HD; i++)
        s += (double)c[i] * out[i];
    return s;
}

static void test_heads_forward_and_backward(void **state)
{
    (void)state;
    unsigned s = 7;
    float l[HR * HD], u[HR * HD], c[HR * HD], out[HR * HD], dl[HR * HD];
    for (int i = 0; i < HR * HD; i++) {
        l[i] = frand(&s);
        u[i] = 0.05f + 0.9f * (frand(&s) * 0.5f + 0.5f);
        c[i] = frand(&s);
    }
    cpu->ops->activate(cpu, HR, 3, hk, hs, hw, l, HD, u, HD, 0.2f, out, HD);
    for (int r = 0; r < HR; r++) {
        assert_float_equal(out[r * HD], tanhf(l[r * HD]), 1e-6f);
        /* Gumbel-softmax by hand for the 3-wide span */
        double z[3], mx = -1e30, sum = 0.0;
        for (int j = 0; j < 3; j++) {
            z[j] = (l[r * HD + 1 + j] - log(-log(u[r * HD + 1 + j]))) / 0.2;
            mx = fmax(mx, z[j]);
        }
        for (int j = 0; j < 3; j++)
            sum += exp(z[j] - mx);
        for (int j = 0; j < 3; j++)
            assert_float_equal(out[r * HD + 1 + j], exp(z[j] - mx) / sum, 1e-5);
        assert_float_equal(out[r * HD + 4] + out[r * HD + 5], 1.0f, 1e-6f);
    }
    cpu->ops->activate_backward(cpu, HR, 3, hk, hs, hw, out, HD, c, HD, 0.2f, dl, HD);
    const float eps = 1e-3f;
    for (int i = 0; i < HR * HD; i++) {
        float k = l[i];
        l[i] = k + eps;
        double lp = head_loss(l, u, c);
        l[i] = k - eps;
        double lm = head_loss(l, u, c);
        l[i] = k;
        check_fd(dl[i], (lp - lm) / (2 * eps), 1e-2);
    }
}

/* Conditional cross-entropy over two discrete spans. */
static const int cs[2] = {1, 4}, cw[2] = {3, 2}, co[2] = {0, 3};
enum { CR = 4, CC = 5 };

static double ce_loss(const float *l, const float *cond, const float *mask, float *dl)
{
    float loss, scratch[CR * HD] = {0};
    cpu->ops->cond_loss(cpu, CR, 2, cs, cw, co, l, HD, cond, CC, mask, 1.0f / CR, dl ? dl : scratch, HD, &loss);
    return loss;
}

static void test_cond_loss(void **state)
{
    (void)state;
    unsigned s = 3;
    float l[CR * HD], cond[CR * CC] = {0}, mask[CR * 2] = {0}, dl[CR * HD] = {0};
    for (int i = 0; i < CR * HD; i++)
        l[i] = 2.0f * frand(&s);
    for (int r = 0; r < CR; r++) {
        int d = r % 2, cat = r % cw[d];
        cond[r * CC + co[d] + cat] = 1.0f;
        mask[r * 2 + d] = 1.0f;
    }
    double loss = ce_loss(l, cond, mask, dl);
    /* by hand: mean over rows of -log softmax(l span)[target] for the masked column */
    double want = 0.0;
    for (int r = 0; r < CR; r++) {
        int d = r % 2, cat = r % cw[d];
        double sum = 0.0;
        for (int j = 0; j < cw[d]; j++)
            sum += exp(l[r * HD + cs[d] + j]);
        want += log(sum) - l[r * HD + cs[d] + cat];
    }
    assert_float_equal(loss, want / CR, 1e-5);
    for (int i = 0; i < CR * HD; i++) {
        const float eps = 1e-3f;
        float k = l[i];
        l[i] = k + eps;
        double lp = ce_loss(l, cond, mask, NULL);
        l[i] = k - eps;
        double lm = ce_loss(l, cond, mask, NULL);
        l[i] = k;
        check_fd(dl[i], (lp - lm) / (2 * eps), 1e-2);
    }
    /* the tanh column (0) and unmasked spans get no gradient */
    for (int r = 0; r < CR; r++)
        assert_float_equal(dl[r * HD], 0.0f, 0.0f);
}

static void test_gradient_penalty_grad(void **state)
{
    (void)state;
    enum { R = 3, C = 5 };
    unsigned s = 11;
    float g[R * C], gg[R * C], pen;
    for (int i = 0; i < R * C; i++)
        g[i] = frand(&s);
    memcpy(gg, g, sizeof g);
    cpu->ops->gp_grad(cpu, R, C, gg, 10.0f, &pen);
    double want = 0.0;
    for (int r = 0; r < R; r++) {
        double n = 0.0;
        for (int j = 0; j < C; j++)
            n += (double)g[r * C + j] * g[r * C + j];
        want += (sqrt(n) - 1.0) * (sqrt(n) - 1.0);
    }
    assert_float_equal(pen, 10.0 * want / R, 1e-5);
    for (int i = 0; i < R * C; i++) {
        const float eps = 1e-3f;
        float t[R * C], pp, pm;
        memcpy(t, g, sizeof t);
        t[i] = g[i] + eps;
        cpu->ops->gp_grad(cpu, R, C, t, 10.0f, &pp);
        memcpy(t, g, sizeof t);
        t[i] = g[i] - eps;
        cpu->ops->gp_grad(cpu, R, C, t, 10.0f, &pm);
        check_fd(gg[i], ((double)pp - pm) / (2 * eps), 1e-2);
    }
}

static void test_lrelu_dropout_and_fills(void **state)
{
    (void)state;
    enum { N = 20000 };
    float *a = malloc(N * sizeof(float)), *u = malloc(N * sizeof(float)), *ms = malloc(N * sizeof(float));
    float *v = malloc(N * sizeof(float));
    assert_true(a && u && ms && v);
    cpu->ops->rand_uniform(cpu, N, u, 5, 9);
    double mean = 0.0;
    for (int i = 0; i < N; i++) {
        assert_true(u[i] > 0.0f && u[i] < 1.0f);
        mean += u[i];
    }
    assert_float_equal(mean / N, 0.5, 0.01);
    for (int i = 0; i < N; i++)
        a[i] = (i % 2) ? 1.5f : -1.5f;
    cpu->ops->lrelu_dropout(cpu, N, a, u, 0.2f, 0.5f, ms);
    int kept = 0;
    for (int i = 0; i < N; i++) {
        float want = u[i] >= 0.5f ? ((i % 2) ? 3.0f : -0.6f) : 0.0f;   /* lrelu(x) / (1 - p) or 0 */
        assert_float_equal(a[i], want, 1e-6f);
        kept += u[i] >= 0.5f;
    }
    assert_true(abs(kept - N / 2) < N / 50);
    /* normals: moments, and each element a pure function of (seed, counter, index) */
    cpu->ops->rand_normal(cpu, N, v, 5, 10);
    double m1 = 0.0, m2 = 0.0;
    for (int i = 0; i < N; i++) {
        m1 += v[i];
        m2 += (double)v[i] * v[i];
    }
    assert_float_equal(m1 / N, 0.0, 0.03);
    assert_float_equal(m2 / N, 1.0, 0.05);
    float head[7];
    cpu->ops->rand_normal(cpu, 7, head, 5, 10);
    assert_memory_equal(head, v, sizeof head);
    cpu->ops->rand_normal(cpu, 7, head, 5, 11);
    assert_true(memcmp(head, v, sizeof head) != 0);
    free(a);
    free(u);
    free(ms);
    free(v);
}

/* Regression: the largest 32-bit word once gave u == 1.0 exactly, so -log(-log(u)) was infinite
 * and a Gumbel-softmax span turned into NaN mid-training. */
static void test_uniform_is_open_interval(void **state)
{
    (void)state;
    const uint32_t words[] = {0u, 1u, 511u, 512u, 0x7fffffffu, 0xfffffe00u, 0xfffffeffu, 0xffffffffu};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        float u = synth__nn_u01(words[i]);
        assert_true(u > 0.0f && u < 1.0f);
        assert_true(isfinite(-logf(-logf(u))));
    }
    assert_true(synth__nn_u01(0xffffffffu) > 0.9999998f);
}

static void test_gemm_transposes(void **state)
{
    (void)state;
    enum { M = 5, N = 4, K = 3 };
    unsigned s = 2;
    float A[M * K], B[K * N], At[K * M], Bt[N * K];
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            At[k * M + i] = A[i * K + k] = frand(&s);
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            Bt[j * K + k] = B[k * N + j] = frand(&s);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            float C[M * N];
            for (int i = 0; i < M * N; i++)
                C[i] = 1.0f;
            cpu->ops->gemm(cpu, ta, tb, M, N, K, 2.0f, ta ? At : A, ta ? M : K, tb ? Bt : B, tb ? K : N, 0.5f, C, N);
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double want = 0.5;
                    for (int k = 0; k < K; k++)
                        want += 2.0 * A[i * K + k] * B[k * N + j];
                    assert_float_equal(C[i * N + j], want, 1e-5);
                }
        }
}

/* With a CUDA backend available: three training steps from one seed on both backends agree. */
static void test_cuda_matches_cpu(void **state)
{
    (void)state;
    synth_err err;
    synth_nn_backend *gpu = NULL;
    if (synth_nn_backend_open("cuda", 0, &gpu, &err) != 0) {
        printf("cuda backend not available (%s): comparison skipped\n", err.msg);
        skip();
    }
    static const synth_ctgan_span sp[] = {{SYNTH_SPAN_TANH, 1}, {SYNTH_SPAN_SOFTMAX, 3}, {SYNTH_SPAN_SOFTMAX, 4}};
    static const int ci[1] = {2}, coff[1] = {0};
    synth_ctgan_config cfg;
    synth_ctgan_config_defaults(&cfg);
    cfg.data_dim = 8;
    cfg.spans = sp;
    cfg.nspans = 3;
    cfg.cond_dim = 4;
    cfg.cond_span_index = ci;
    cfg.cond_offset = coff;
    cfg.ndiscrete = 1;
    cfg.embedding_dim = 16;
    cfg.gen_dims[0] = cfg.gen_dims[1] = 32;
    cfg.dis_dims[0] = cfg.dis_dims[1] = 32;
    enum { B = 40 };
    float real[B * 8] = {0}, cond[B * 4] = {0}, cond2[B * 4] = {0}, mask[B] = {0};
    for (int i = 0; i < B; i++) {
        real[i * 8] = 0.5f * sinf((float)i);
        real[i * 8 + 1 + i % 3] = 1.0f;
        real[i * 8 + 4 + i % 4] = 1.0f;
        cond[i * 4 + i % 4] = 1.0f;
        cond2[i * 4 + (i * 3) % 4] = 1.0f;
        mask[i] = 1.0f;
    }
    synth_ctgan_net *a, *g;
    assert_int_equal(synth_ctgan_net_new(cpu, &cfg, 9, &a, &err), 0);
    assert_int_equal(synth_ctgan_net_new(gpu, &cfg, 9, &g, &err), 0);
    synth_ctgan_dbatch d = {real, cond, cond2, mask};
    synth_ctgan_gbatch gb = {cond, mask};
    for (int s = 0; s < 3; s++) {
        float lda, lga, ldg, lgg;
        assert_int_equal(synth_ctgan_net_train_step(a, B, &d, 1, &gb, &lda, &lga, &err), 0);
        assert_int_equal(synth_ctgan_net_train_step(g, B, &d, 1, &gb, &ldg, &lgg, &err), 0);
        assert_float_equal(lda, ldg, 1e-3 * (1 + fabsf(lda)));
        assert_float_equal(lga, lgg, 1e-3 * (1 + fabsf(lga)));
    }
    unsigned char *ba, *bg;
    size_t na, ng;
    assert_int_equal(synth_ctgan_net_save(a, &ba, &na, &err), 0);
    assert_int_equal(synth_ctgan_net_save(g, &bg, &ng, &err), 0);
    assert_int_equal(na, ng);
    /* normalised mean squared error of all saved floats (weights, moments, running stats) */
    const float *fa = (const float *)(const void *)(ba + 8 + 16 * 8), *fg = (const float *)(const void *)(bg + 8 + 16 * 8);
    size_t nf = (na - 8 - 16 * 8) / sizeof(float);
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < nf; i++) {
        num += ((double)fa[i] - fg[i]) * ((double)fa[i] - fg[i]);
        den += (double)fa[i] * fa[i];
    }
    printf("cuda vs cpu after 3 steps: NMSE %.3g over %zu floats\n", num / den, nf);
    assert_true(num / den < 1e-5);   /* Adam amplifies sign flips of near-zero gradients */
    synth_free(ba);
    synth_free(bg);
    synth_ctgan_net_free(a);
    synth_ctgan_net_free(g);
    synth_nn_backend_free(gpu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_hand_values),
        cmocka_unit_test(test_batchnorm_forward_hand_values),
        cmocka_unit_test(test_batchnorm_backward_fd),
        cmocka_unit_test(test_heads_forward_and_backward),
        cmocka_unit_test(test_cond_loss),
        cmocka_unit_test(test_gradient_penalty_grad),
        cmocka_unit_test(test_lrelu_dropout_and_fills),
        cmocka_unit_test(test_uniform_is_open_interval),
        cmocka_unit_test(test_gemm_transposes),
        cmocka_unit_test(test_cuda_matches_cpu),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
