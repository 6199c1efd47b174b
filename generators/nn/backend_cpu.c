/* backend_cpu.c -- the CPU network backend: OpenBLAS sgemm (threaded) and plain loops.
 *
 * Buffers are host memory from synth_calloc.  gemm goes to cblas_sgemm with the BLAS thread count
 * given at open (openblas_set_num_threads, process-wide); every other op is a simple loop over
 * contiguous rows that the compiler can vectorise.  Column reductions run over tiles of columns
 * with double accumulators on the stack, so no op allocates.  See backend_impl.h for each op's
 * contract. */
/* The loops below are written to vectorise: GCC's -O2 only vectorises loops without a scalar
 * remainder, and sqrtf/expf keep errno semantics unless told otherwise. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-math-errno")
#endif

#include <assert.h>
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "alloc.h"
#include "nn/backend_impl.h"
#include "nn/nn_rng.h"

#define TILE 256

static float *cpu_alloc(synth_nn_backend *b, size_t n)
{
    (void)b;
    return synth_calloc(n ? n : 1, sizeof(float));
}

static void cpu_release(synth_nn_backend *b, float *p)
{
    (void)b;
    synth_free(p);
}

static void cpu_copy(synth_nn_backend *b, float *dst, const float *src, size_t n)
{
    (void)b;
    if (n)
        memmove(dst, src, n * sizeof(float));
}

static void cpu_fill(synth_nn_backend *b, float *p, size_t n, float value)
{
    (void)b;
    for (size_t i = 0; i < n; i++)
        p[i] = value;
}

static void cpu_copy2d(synth_nn_backend *b, int rows, int cols, const float *src, int lds, float *dst, int ldd)
{
    (void)b;
    for (int i = 0; i < rows; i++)
        memcpy(dst + (size_t)i * ldd, src + (size_t)i * lds, (size_t)cols * sizeof(float));
}

static void cpu_gemm(synth_nn_backend *b, int ta, int tb, int m, int n, int k, float alpha, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    (void)b;
    if (m == 0 || n == 0)
        return;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha,
                A, lda, B, ldb, beta, C, ldc);
}

static void cpu_add_bias(synth_nn_backend *b, int rows, int cols, float *y, int ldy, const float *bias)
{
    (void)b;
    for (int i = 0; i < rows; i++) {
        float *r = y + (size_t)i * ldy;
        for (int j = 0; j < cols; j++)
            r[j] += bias[j];
    }
}

static void cpu_col_sum(synth_nn_backend *b, int rows, int cols, const float *x, int ldx, float beta, float *out)
{
    (void)b;
    for (int c0 = 0; c0 < cols; c0 += TILE) {
        int w = cols - c0 < TILE ? cols - c0 : TILE;
        double s[TILE] = {0};
        for (int i = 0; i < rows; i++) {
            const float *r = x + (size_t)i * ldx + c0;
            for (int j = 0; j < w; j++)
                s[j] += r[j];
        }
        for (int j = 0; j < w; j++)
            out[c0 + j] = (beta == 0.0f ? 0.0f : beta * out[c0 + j]) + (float)s[j];
    }
}

static void cpu_bn_relu_train(synth_nn_backend *b, int rows, int cols, const float *a, const float *gamma,
                              const float *beta, float eps, float momentum, float *rmean, float *rvar,
                              float *xhat, float *invstd, float *y, int ldy)
{
    (void)b;
    assert(rows >= 2);
    for (int c0 = 0; c0 < cols; c0 += TILE) {
        int w = cols - c0 < TILE ? cols - c0 : TILE;
        double mean[TILE] = {0}, var[TILE] = {0};
        for (int i = 0; i < rows; i++) {
            const float *r = a + (size_t)i * cols + c0;
            for (int j = 0; j < w; j++)
                mean[j] += r[j];
        }
        for (int j = 0; j < w; j++)
            mean[j] /= rows;
        for (int i = 0; i < rows; i++) {
            const float *r = a + (size_t)i * cols + c0;
            for (int j = 0; j < w; j++) {
                double d = r[j] - mean[j];
                var[j] += d * d;
            }
        }
        float mf[TILE], is[TILE];
        for (int j = 0; j < w; j++) {
            double v = var[j] / rows;
            is[j] = (float)(1.0 / sqrt(v + eps));
            mf[j] = (float)mean[j];
            invstd[c0 + j] = is[j];
            rmean[c0 + j] = (1.0f - momentum) * rmean[c0 + j] + momentum * (float)mean[j];
            rvar[c0 + j] = (1.0f - momentum) * rvar[c0 + j] + momentum * (float)(var[j] / (rows - 1));
        }
        for (int i = 0; i < rows; i++) {
            const float *r = a + (size_t)i * cols + c0;
            float *xh = xhat + (size_t)i * cols + c0;
            float *yr = y + (size_t)i * ldy + c0;
            for (int j = 0; j < w; j++) {
                float h = (r[j] - mf[j]) * is[j];
                float v = gamma[c0 + j] * h + beta[c0 + j];
                xh[j] = h;
                yr[j] = v > 0.0f ? v : 0.0f;
            }
        }
    }
}

static void cpu_bn_relu_eval(synth_nn_backend *b, int rows, int cols, const float *a, const float *gamma,
                             const float *beta, float eps, const float *rmean, const float *rvar, float *y,
                             int ldy)
{
    (void)b;
    for (int c0 = 0; c0 < cols; c0 += TILE) {
        int w = cols - c0 < TILE ? cols - c0 : TILE;
        float sc[TILE], sh[TILE];
        for (int j = 0; j < w; j++) {
            sc[j] = gamma[c0 + j] / sqrtf(rvar[c0 + j] + eps);
            sh[j] = beta[c0 + j] - rmean[c0 + j] * sc[j];
        }
        for (int i = 0; i < rows; i++) {
            const float *r = a + (size_t)i * cols + c0;
            float *yr = y + (size_t)i * ldy + c0;
            for (int j = 0; j < w; j++) {
                float v = r[j] * sc[j] + sh[j];
                yr[j] = v > 0.0f ? v : 0.0f;
            }
        }
    }
}

static void cpu_bn_relu_backward(synth_nn_backend *b, int rows, int cols, const float *dy, int lddy,
                                 const float *y, int ldy, const float *xhat, const float *gamma,
                                 const float *invstd, float *dgamma, float *dbeta, float *da)
{
    (void)b;
    for (int c0 = 0; c0 < cols; c0 += TILE) {
        int w = cols - c0 < TILE ? cols - c0 : TILE;
        double sg[TILE] = {0}, sb[TILE] = {0};
        for (int i = 0; i < rows; i++) {
            const float *d = dy + (size_t)i * lddy + c0;
            const float *yr = y + (size_t)i * ldy + c0;
            const float *xh = xhat + (size_t)i * cols + c0;
            float *out = da + (size_t)i * cols + c0;
            for (int j = 0; j < w; j++) {
                float g = yr[j] > 0.0f ? d[j] : 0.0f;
                out[j] = g;   /* ReLU'd upstream gradient, finished below */
                sb[j] += g;
                sg[j] += (double)g * xh[j];
            }
        }
        float k[TILE], mb[TILE], mg[TILE];
        for (int j = 0; j < w; j++) {
            dgamma[c0 + j] = (float)sg[j];
            dbeta[c0 + j] = (float)sb[j];
            k[j] = gamma[c0 + j] * invstd[c0 + j];
            mb[j] = (float)(sb[j] / rows);
            mg[j] = (float)(sg[j] / rows);
        }
        for (int i = 0; i < rows; i++) {
            const float *xh = xhat + (size_t)i * cols + c0;
            float *out = da + (size_t)i * cols + c0;
            for (int j = 0; j < w; j++)
                out[j] = k[j] * (out[j] - mb[j] - xh[j] * mg[j]);
        }
    }
}

static void cpu_lrelu_dropout(synth_nn_backend *b, size_t n, float *a, const float *u, float slope, float p,
                              float *ms)
{
    (void)b;
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        float s = a[i] > 0.0f ? 1.0f : slope;
        if (u != NULL)
            s *= u[i] >= p ? keep : 0.0f;
        ms[i] = s;
        a[i] *= s;
    }
}

static void cpu_mul(synth_nn_backend *b, size_t n, float *x, const float *y)
{
    (void)b;
    for (size_t i = 0; i < n; i++)
        x[i] *= y[i];
}

static void cpu_mul_rowvec(synth_nn_backend *b, int rows, int cols, const float *v, const float *m, float *out)
{
    (void)b;
    for (int i = 0; i < rows; i++) {
        const float *mr = m + (size_t)i * cols;
        float *o = out + (size_t)i * cols;
        for (int j = 0; j < cols; j++)
            o[j] = v[j] * mr[j];
    }
}

static void cpu_gp_grad(synth_nn_backend *b, int rows, int cols, float *g, float lambda, float *penalty)
{
    (void)b;
    double total = 0.0;
    for (int i = 0; i < rows; i++) {
        float *r = g + (size_t)i * cols;
        double ss = 0.0;
        for (int j = 0; j < cols; j++)
            ss += (double)r[j] * r[j];
        double norm = sqrt(ss);
        total += (norm - 1.0) * (norm - 1.0);
        float coef = norm > 0.0 ? (float)(2.0 * lambda / rows * (norm - 1.0) / norm) : 0.0f;
        for (int j = 0; j < cols; j++)
            r[j] *= coef;
    }
    *penalty = (float)(lambda * total / rows);
}

static void cpu_interpolate(synth_nn_backend *b, int packs, int width, const float *alpha, const float *real,
                            const float *fake, float *out)
{
    (void)b;
    for (int p = 0; p < packs; p++) {
        float al = alpha[p];
        size_t o = (size_t)p * width;
        for (int j = 0; j < width; j++)
            out[o + j] = al * real[o + j] + (1.0f - al) * fake[o + j];
    }
}

static void cpu_activate(synth_nn_backend *b, int rows, int nspans, const int *kind, const int *start,
                         const int *width, const float *logits, int ldl, const float *u, int ldu, float tau,
                         float *out, int ldo)
{
    (void)b;
    float itau = 1.0f / tau;
    for (int i = 0; i < rows; i++) {
        const float *l = logits + (size_t)i * ldl;
        const float *ur = u + (size_t)i * ldu;
        float *o = out + (size_t)i * ldo;
        for (int s = 0; s < nspans; s++) {
            int st = start[s], w = width[s];
            if (kind[s] == 0) {
                for (int j = st; j < st + w; j++)
                    o[j] = tanhf(l[j]);
                continue;
            }
            float mx = -INFINITY;
            for (int j = st; j < st + w; j++) {
                o[j] = (l[j] - logf(-logf(ur[j]))) * itau;
                mx = o[j] > mx ? o[j] : mx;
            }
            float sum = 0.0f;
            for (int j = st; j < st + w; j++) {
                o[j] = expf(o[j] - mx);
                sum += o[j];
            }
            float inv = 1.0f / sum;
            for (int j = st; j < st + w; j++)
                o[j] *= inv;
        }
    }
}

static void cpu_activate_backward(synth_nn_backend *b, int rows, int nspans, const int *kind, const int *start,
                                  const int *width, const float *out, int ldo, const float *dout, int lddo,
                                  float tau, float *dlogits, int ldd)
{
    (void)b;
    float itau = 1.0f / tau;
    for (int i = 0; i < rows; i++) {
        const float *o = out + (size_t)i * ldo;
        const float *d = dout + (size_t)i * lddo;
        float *dl = dlogits + (size_t)i * ldd;
        for (int s = 0; s < nspans; s++) {
            int st = start[s], w = width[s];
            if (kind[s] == 0) {
                for (int j = st; j < st + w; j++)
                    dl[j] = d[j] * (1.0f - o[j] * o[j]);
                continue;
            }
            float dot = 0.0f;
            for (int j = st; j < st + w; j++)
                dot += d[j] * o[j];
            for (int j = st; j < st + w; j++)
                dl[j] = itau * o[j] * (d[j] - dot);
        }
    }
}

static void cpu_cond_loss(synth_nn_backend *b, int rows, int nd, const int *start, const int *width,
                          const int *coff, const float *logits, int ldl, const float *cond, int ldc,
                          const float *mask, float scale, float *dlogits, int ldd, float *loss)
{
    (void)b;
    double total = 0.0;
    for (int i = 0; i < rows; i++) {
        const float *l = logits + (size_t)i * ldl;
        const float *c = cond + (size_t)i * ldc;
        float *dl = dlogits + (size_t)i * ldd;
        for (int d = 0; d < nd; d++) {
            float m = mask[(size_t)i * nd + d];
            if (m == 0.0f)
                continue;
            int st = start[d], w = width[d], target = 0;
            for (int j = 1; j < w; j++)
                if (c[coff[d] + j] > c[coff[d] + target])
                    target = j;
            float mx = -INFINITY;
            for (int j = 0; j < w; j++)
                mx = l[st + j] > mx ? l[st + j] : mx;
            double sum = 0.0;   /* >= 1: the max term is exp(0); w >= 1 */
            int jj = 0;
            do
                sum += exp((double)(l[st + jj] - mx));
            while (++jj < w);
            total += m * (log(sum) + mx - l[st + target]);
            float k = scale * m;
            for (int j = 0; j < w; j++)
                dl[st + j] += k * (float)(exp((double)(l[st + j] - mx)) / sum);
            dl[st + target] -= k;
        }
    }
    *loss = (float)(scale * total);
}

static void cpu_adam(synth_nn_backend *b, size_t n, float *p, const float *g, float *m, float *v, float lr,
                     float beta1, float beta2, float eps, float wd, uint64_t step)
{
    (void)b;
    double bc1 = 1.0 - pow(beta1, (double)step), bc2 = 1.0 - pow(beta2, (double)step);
    float step_size = (float)(lr / bc1), sbc2 = (float)sqrt(bc2);
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + wd * p[i];
        m[i] += (gi - m[i]) * (1.0f - beta1);
        v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        float denom = sqrtf(v[i]) / sbc2 + eps;
        p[i] -= step_size * (m[i] / denom);
    }
}

static void cpu_rand_uniform(synth_nn_backend *b, size_t n, float *p, uint64_t seed, uint64_t counter)
{
    (void)b;
    for (size_t blk = 0; blk * 4 < n; blk++) {
        philox4x32_ctr_t w = synth__nn_philox_block(seed, counter, blk);
        for (size_t j = 0; j < 4 && blk * 4 + j < n; j++)
            p[blk * 4 + j] = synth__nn_u01(w.v[j]);
    }
}

static void cpu_rand_normal(synth_nn_backend *b, size_t n, float *p, uint64_t seed, uint64_t counter)
{
    (void)b;
    for (size_t blk = 0; blk * 4 < n; blk++) {
        philox4x32_ctr_t w = synth__nn_philox_block(seed, counter, blk);
        float out[4];
        for (int pair = 0; pair < 2; pair++) {   /* Box-Muller once per pair of words */
            float r = sqrtf(-2.0f * logf(synth__nn_u01(w.v[2 * pair])));
            float ang = 6.2831853071795865f * synth__nn_u01(w.v[2 * pair + 1]);
            out[2 * pair] = r * cosf(ang);
            out[2 * pair + 1] = r * sinf(ang);
        }
        for (size_t j = 0; j < 4 && blk * 4 + j < n; j++)
            p[blk * 4 + j] = out[j];
    }
}

static const synth_nn_ops cpu_ops = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .release = cpu_release,
    .upload = cpu_copy,
    .download = cpu_copy,
    .copy = cpu_copy,
    .fill = cpu_fill,
    .copy2d = cpu_copy2d,
    .gemm = cpu_gemm,
    .add_bias = cpu_add_bias,
    .col_sum = cpu_col_sum,
    .bn_relu_train = cpu_bn_relu_train,
    .bn_relu_eval = cpu_bn_relu_eval,
    .bn_relu_backward = cpu_bn_relu_backward,
    .lrelu_dropout = cpu_lrelu_dropout,
    .mul = cpu_mul,
    .mul_rowvec = cpu_mul_rowvec,
    .gp_grad = cpu_gp_grad,
    .interpolate = cpu_interpolate,
    .activate = cpu_activate,
    .activate_backward = cpu_activate_backward,
    .cond_loss = cpu_cond_loss,
    .adam = cpu_adam,
    .rand_uniform = cpu_rand_uniform,
    .rand_normal = cpu_rand_normal,
    .close = NULL,
};

int synth__nn_cpu_open(int threads, synth_nn_backend *b, synth_err *err)
{
    (void)err;
    if (threads > 0)
        openblas_set_num_threads(threads);
    b->ops = &cpu_ops;
    b->ctx = NULL;
    return 0;
}
