/* backend_cuda.cu -- the CUDA network backend: cuBLAS sgemm plus one small kernel per op.
 *
 * Built only by `make cuda` (nvcc; the default build never needs CUDA).  Buffers are device
 * memory from cudaMalloc; upload/download are synchronous cudaMemcpy, so a host read after
 * download always sees finished work.  Row-major matrices go to column-major cuBLAS as their
 * transposes (C^T = op(B)^T op(A)^T).  Reductions run one thread per column or row with double
 * accumulators and no atomics, so results do not depend on scheduling.  Random fills use the same
 * Philox blocks as the CPU backend (nn_rng.h), so both draw identical uniforms.  Op semantics are
 * documented in backend_impl.h.  Errors inside ops (a failed launch) are kept in the context and
 * reported by the next alloc, which returns NULL. */
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

extern "C" {
#include "alloc.h"
#include "err.h"
#include "nn/backend_impl.h"
}
#include "nn/nn_rng.h"

namespace {

struct cuda_ctx {
    cublasHandle_t blas;
    float *scratch;       /* per-row partial sums for reductions */
    size_t scratch_n;
    int failed;
};

cuda_ctx *ctx_of(synth_nn_backend *b)
{
    return (cuda_ctx *)b->ctx;
}

const int TPB = 256;

unsigned blocks_for(size_t n)
{
    return (unsigned)((n + TPB - 1) / TPB);
}

void check_launch(synth_nn_backend *b)
{
    if (cudaGetLastError() != cudaSuccess)
        ctx_of(b)->failed = 1;
}

float *scratch(synth_nn_backend *b, size_t n)
{
    cuda_ctx *c = ctx_of(b);
    if (c->scratch_n < n) {
        cudaFree(c->scratch);
        c->scratch = NULL;
        c->scratch_n = 0;
        if (cudaMalloc((void **)&c->scratch, n * sizeof(float)) != cudaSuccess) {
            c->failed = 1;
            return NULL;
        }
        c->scratch_n = n;
    }
    return c->scratch;
}

/* ---- kernels ---------------------------------------------------------------------------------- */

__global__ void k_fill(size_t n, float *p, float v)
{
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < n)
        p[i] = v;
}

__global__ void k_add_bias(int rows, int cols, float *y, int ldy, const float *bias)
{
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < (size_t)rows * cols)
        y[(i / cols) * ldy + i % cols] += bias[i % cols];
}

__global__ void k_col_sum(int rows, int cols, const float *x, int ldx, float beta, float *out)
{
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= cols)
        return;
    double s = 0.0;
    for (int i = 0; i < rows; i++)
        s += x[(size_t)i * ldx + j];
    out[j] = (beta == 0.0f ? 0.0f : beta * out[j]) + (float)s;
}

__global__ void k_bn_relu_train(int rows, int cols, const float *a, const float *gamma, const float *beta, float eps,
                                float momentum, float *rmean, float *rvar, float *xhat, float *invstd, float *y, int ldy)
{
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= cols)
        return;
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < rows; i++)
        mean += a[(size_t)i * cols + j];
    mean /= rows;
    for (int i = 0; i < rows; i++) {
        double d = a[(size_t)i * cols + j] - mean;
        var += d * d;
    }
    float is = (float)(1.0 / sqrt(var / rows + eps)), mf = (float)mean;
    invstd[j] = is;
    rmean[j] = (1.0f - momentum) * rmean[j] + momentum * mf;
    rvar[j] = (1.0f - momentum) * rvar[j] + momentum * (float)(var / (rows - 1));
    for (int i = 0; i < rows; i++) {
        float h = (a[(size_t)i * cols + j] - mf) * is;
        float v = gamma[j] * h + beta[j];
        xhat[(size_t)i * cols + j] = h;
        y[(size_t)i * ldy + j] = v > 0.0f ? v : 0.0f;
    }
}

__global__ void k_bn_relu_eval(int rows, int cols, const float *a, const float *gamma, const float *beta, float eps,
                               const float *rmean, const float *rvar, float *y, int ldy)
{
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= (size_t)rows * cols)
        return;
    int j = (int)(i % cols);
    float sc = gamma[j] / sqrtf(rvar[j] + eps);
    float v = a[i] * sc + (beta[j] - rmean[j] * sc);
    y[(i / cols) * ldy + j] = v > 0.0f ? v : 0.0f;
}

__global__ void k_bn_relu_backward(int rows, int cols, const float *dy, int lddy, const float *y, int ldy,
                                   const float *xhat, const float *gamma, const float *invstd, float *dgamma,
                                   float *dbeta, float *da)
{
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= cols)
        return;
    double sg = 0.0, sb = 0.0;
    for (int i = 0; i < rows; i++) {
        float g = y[(size_t)i * ldy + j] > 0.0f ? dy[(size_t)i * lddy + j] : 0.0f;
        da[(size_t)i * cols + j] = g;
        sb += g;
        sg += (double)g * xhat[(size_t)i * cols + j];
    }
    dgamma[j] = (float)sg;
    dbeta[j] = (float)sb;
    float k = gamma[j] * invstd[j], mb = (float)(sb / rows), mg = (float)(sg / rows);
    for (int i = 0; i < rows; i++) {
        size_t o = (size_t)i * cols + j;
        da[o] = k * (da[o] - mb - xhat[o] * mg);
    }
}

__global__ void k_lrelu_dropout(size_t n, float *a, const float *u, float slope, float p, float *ms)
{
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    float s = a[i] > 0.0f ? 1.0f : slope;
    if (u != NULL)
        s *= u[i] >= p ? 1.0f / (1.0f - p) : 0.0f;
    ms[i] = s;
    a[i] *= s;
}

__global__ void k_mul(size_t n, float *x, const float *y)
{
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < n)
        x[i] *= y[i];
}

__global__ void k_mul_rowvec(int rows, int cols, const float *v, const float *m, float *out)
{
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i < (size_t)rows * cols)
        out[i] = v[i % cols] * m[i];
}

__global__ void k_gp_rows(int rows, int cols, float *g, float lambda, float *rowpen)
{
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows)
        return;
    float *x = g + (size_t)r * cols;
    double ss = 0.0;
    for (int j = 0; j < cols; j++)
        ss += (double)x[j] * x[j];
    double norm = sqrt(ss);
    rowpen[r] = (float)((norm - 1.0) * (norm - 1.0));
    float coef = norm > 0.0 ? (float)(2.0 * lambda / rows * (norm - 1.0) / norm) : 0.0f;
    for (int j = 0; j < cols; j++)
        x[j] *= coef;
}

__global__ void k_sum_scaled(int n, const float *x, float scale, float *out)
{
    if (blockIdx.x != 0 || threadIdx.x != 0)
        return;
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += x[i];
    *out = (float)(scale * s);
}

__global__ void k_interpolate(int packs, int width, const float *alpha, const float *real, const float *fake,
                              float *out)
{
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= (size_t)packs * width)
        return;
    float al = alpha[i / width];
    out[i] = al * real[i] + (1.0f - al) * fake[i];
}

__global__ void k_activate_span(int rows, int kind, int st, int w, const float *logits, int ldl, const float *u,
                                int ldu, float tau, float *out, int ldo)
{
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows)
        return;
    const float *l = logits + (size_t)r * ldl;
    float *o = out + (size_t)r * ldo;
    if (kind == 0) {
        for (int j = st; j < st + w; j++)
            o[j] = tanhf(l[j]);
        return;
    }
    const float *ur = u + (size_t)r * ldu;
    float mx = -INFINITY, itau = 1.0f / tau;
    for (int j = st; j < st + w; j++) {
        o[j] = (l[j] - logf(-logf(ur[j]))) * itau;
        mx = fmaxf(mx, o[j]);
    }
    float sum = 0.0f;
    for (int j = st; j < st + w; j++) {
        o[j] = expf(o[j] - mx);
        sum += o[j];
    }
    for (int j = st; j < st + w; j++)
        o[j] *= 1.0f / sum;
}

__global__ void k_activate_backward_span(int rows, int kind, int st, int w, const float *out, int ldo,
                                         const float *dout, int lddo, float tau, float *dl, int ldd)
{
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows)
        return;
    const float *o = out + (size_t)r * ldo, *d = dout + (size_t)r * lddo;
    float *g = dl + (size_t)r * ldd;
    if (kind == 0) {
        for (int j = st; j < st + w; j++)
            g[j] = d[j] * (1.0f - o[j] * o[j]);
        return;
    }
    float dot = 0.0f;
    for (int j = st; j < st + w; j++)
        dot += d[j] * o[j];
    for (int j = st; j < st + w; j++)
        g[j] = o[j] * (d[j] - dot) / tau;
}

__global__ void k_cond_col(int rows, int nd, int d, int st, int w, int coff, const float *logits, int ldl,
                           const float *cond, int ldc, const float *mask, float scale, float *dl, int ldd,
                           float *rowloss)
{
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows)
        return;
    float m = mask[(size_t)r * nd + d];
    if (m == 0.0f)
        return;
    const float *l = logits + (size_t)r * ldl + st, *c = cond + (size_t)r * ldc + coff;
    float *g = dl + (size_t)r * ldd + st;
    int target = 0;
    float mx = l[0];
    for (int j = 1; j < w; j++) {
        if (c[j] > c[target])
            target = j;
        mx = fmaxf(mx, l[j]);
    }
    double sum = 0.0;
    for (int j = 0; j < w; j++)
        sum += exp((double)(l[j] - mx));
    rowloss[r] += (float)(m * (log(sum) + mx - l[target]));
    float k = scale * m;
    for (int j = 0; j < w; j++)
        g[j] += k * (float)(exp((double)(l[j] - mx)) / sum);
    g[target] -= k;
}

__global__ void k_adam(size_t n, float *p, const float *g, float *m, float *v, float lr_bc1, float beta1, float beta2,
                       float eps, float wd, float sbc2)
{
    size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    float gi = g[i] + wd * p[i];
    m[i] += (gi - m[i]) * (1.0f - beta1);
    v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
    p[i] -= lr_bc1 * (m[i] / (sqrtf(v[i]) / sbc2 + eps));
}

__global__ void k_rand(size_t n, float *p, uint64_t seed, uint64_t counter, int normal)
{
    size_t blk = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
    if (blk * 4 >= n)
        return;
    philox4x32_ctr_t w = synth__nn_philox_block(seed, counter, blk);
    for (size_t j = 0; j < 4 && blk * 4 + j < n; j++) {
        if (!normal) {
            p[blk * 4 + j] = synth__nn_u01(w.v[j]);
            continue;
        }
        size_t pair = j / 2;
        float r = sqrtf(-2.0f * logf(synth__nn_u01(w.v[2 * pair])));
        float ang = 6.2831853071795865f * synth__nn_u01(w.v[2 * pair + 1]);
        p[blk * 4 + j] = r * (j % 2 == 0 ? cosf(ang) : sinf(ang));
    }
}

/* ---- op table --------------------------------------------------------------------------------- */

float *cu_alloc(synth_nn_backend *b, size_t n)
{
    if (ctx_of(b)->failed)
        return NULL;
    float *p = NULL;
    if (cudaMalloc((void **)&p, (n ? n : 1) * sizeof(float)) != cudaSuccess)
        return NULL;
    cudaMemset(p, 0, (n ? n : 1) * sizeof(float));
    return p;
}

void cu_release(synth_nn_backend *b, float *p)
{
    (void)b;
    cudaFree(p);
}

void cu_upload(synth_nn_backend *b, float *dst, const float *src, size_t n)
{
    if (n && cudaMemcpy(dst, src, n * sizeof(float), cudaMemcpyHostToDevice) != cudaSuccess)
        ctx_of(b)->failed = 1;
}

void cu_download(synth_nn_backend *b, float *dst, const float *src, size_t n)
{
    if (n && cudaMemcpy(dst, src, n * sizeof(float), cudaMemcpyDeviceToHost) != cudaSuccess)
        ctx_of(b)->failed = 1;
}

void cu_copy(synth_nn_backend *b, float *dst, const float *src, size_t n)
{
    if (n && cudaMemcpy(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice) != cudaSuccess)
        ctx_of(b)->failed = 1;
}

void cu_fill(synth_nn_backend *b, float *p, size_t n, float v)
{
    if (n == 0)
        return;
    k_fill<<<blocks_for(n), TPB>>>(n, p, v);
    check_launch(b);
}

void cu_copy2d(synth_nn_backend *b, int rows, int cols, const float *src, int lds, float *dst, int ldd)
{
    if (rows == 0 || cols == 0)
        return;
    if (cudaMemcpy2D(dst, (size_t)ldd * sizeof(float), src, (size_t)lds * sizeof(float), (size_t)cols * sizeof(float),
                     (size_t)rows, cudaMemcpyDeviceToDevice) != cudaSuccess)
        ctx_of(b)->failed = 1;
}

void cu_gemm(synth_nn_backend *b, int ta, int tb, int m, int n, int k, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc)
{
    if (m == 0 || n == 0)
        return;
    /* row-major C (m x n) = op(A) op(B)  <=>  column-major C^T (n x m) = op(B)^T op(A)^T */
    if (cublasSgemm(ctx_of(b)->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha,
                    B, ldb, A, lda, &beta, C, ldc) != CUBLAS_STATUS_SUCCESS)
        ctx_of(b)->failed = 1;
}

void cu_add_bias(synth_nn_backend *b, int rows, int cols, float *y, int ldy, const float *bias)
{
    size_t n = (size_t)rows * cols;
    if (n == 0)
        return;
    k_add_bias<<<blocks_for(n), TPB>>>(rows, cols, y, ldy, bias);
    check_launch(b);
}

void cu_col_sum(synth_nn_backend *b, int rows, int cols, const float *x, int ldx, float beta, float *out)
{
    if (cols == 0)
        return;
    k_col_sum<<<blocks_for((size_t)cols), TPB>>>(rows, cols, x, ldx, beta, out);
    check_launch(b);
}

void cu_bn_relu_train(synth_nn_backend *b, int rows, int cols, const float *a, const float *gamma, const float *beta,
                      float eps, float momentum, float *rmean, float *rvar, float *xhat, float *invstd, float *y,
                      int ldy)
{
    k_bn_relu_train<<<blocks_for((size_t)cols), TPB>>>(rows, cols, a, gamma, beta, eps, momentum, rmean, rvar, xhat,
                                                        invstd, y, ldy);
    check_launch(b);
}

void cu_bn_relu_eval(synth_nn_backend *b, int rows, int cols, const float *a, const float *gamma, const float *beta,
                     float eps, const float *rmean, const float *rvar, float *y, int ldy)
{
    size_t n = (size_t)rows * cols;
    if (n == 0)
        return;
    k_bn_relu_eval<<<blocks_for(n), TPB>>>(rows, cols, a, gamma, beta, eps, rmean, rvar, y, ldy);
    check_launch(b);
}

void cu_bn_relu_backward(synth_nn_backend *b, int rows, int cols, const float *dy, int lddy, const float *y, int ldy,
                         const float *xhat, const float *gamma, const float *invstd, float *dgamma, float *dbeta,
                         float *da)
{
    k_bn_relu_backward<<<blocks_for((size_t)cols), TPB>>>(rows, cols, dy, lddy, y, ldy, xhat, gamma, invstd, dgamma,
                                                           dbeta, da);
    check_launch(b);
}

void cu_lrelu_dropout(synth_nn_backend *b, size_t n, float *a, const float *u, float slope, float p, float *ms)
{
    if (n == 0)
        return;
    k_lrelu_dropout<<<blocks_for(n), TPB>>>(n, a, u, slope, p, ms);
    check_launch(b);
}

void cu_mul(synth_nn_backend *b, size_t n, float *x, const float *y)
{
    if (n == 0)
        return;
    k_mul<<<blocks_for(n), TPB>>>(n, x, y);
    check_launch(b);
}

void cu_mul_rowvec(synth_nn_backend *b, int rows, int cols, const float *v, const float *m, float *out)
{
    size_t n = (size_t)rows * cols;
    if (n == 0)
        return;
    k_mul_rowvec<<<blocks_for(n), TPB>>>(rows, cols, v, m, out);
    check_launch(b);
}

void cu_gp_grad(synth_nn_backend *b, int rows, int cols, float *g, float lambda, float *penalty)
{
    float *rowpen = scratch(b, (size_t)rows);
    if (rowpen == NULL)
        return;
    k_gp_rows<<<blocks_for((size_t)rows), TPB>>>(rows, cols, g, lambda, rowpen);
    k_sum_scaled<<<1, 1>>>(rows, rowpen, lambda / rows, penalty);
    check_launch(b);
}

void cu_interpolate(synth_nn_backend *b, int packs, int width, const float *alpha, const float *real,
                    const float *fake, float *out)
{
    size_t n = (size_t)packs * width;
    k_interpolate<<<blocks_for(n), TPB>>>(packs, width, alpha, real, fake, out);
    check_launch(b);
}

void cu_activate(synth_nn_backend *b, int rows, int nspans, const int *kind, const int *start, const int *width,
                 const float *logits, int ldl, const float *u, int ldu, float tau, float *out, int ldo)
{
    for (int s = 0; s < nspans; s++)
        k_activate_span<<<blocks_for((size_t)rows), TPB>>>(rows, kind[s], start[s], width[s], logits, ldl, u, ldu, tau,
                                                            out, ldo);
    check_launch(b);
}

void cu_activate_backward(synth_nn_backend *b, int rows, int nspans, const int *kind, const int *start,
                          const int *width, const float *out, int ldo, const float *dout, int lddo, float tau,
                          float *dlogits, int ldd)
{
    for (int s = 0; s < nspans; s++)
        k_activate_backward_span<<<blocks_for((size_t)rows), TPB>>>(rows, kind[s], start[s], width[s], out, ldo, dout,
                                                                     lddo, tau, dlogits, ldd);
    check_launch(b);
}

void cu_cond_loss(synth_nn_backend *b, int rows, int nd, const int *start, const int *width, const int *coff,
                  const float *logits, int ldl, const float *cond, int ldc, const float *mask, float scale,
                  float *dlogits, int ldd, float *loss)
{
    float *rowloss = scratch(b, (size_t)rows);
    if (rowloss == NULL)
        return;
    k_fill<<<blocks_for((size_t)rows), TPB>>>((size_t)rows, rowloss, 0.0f);
    /* one launch per discrete column: the launches are serialised on the stream, so every row's
     * loss accumulates in column order without atomics */
    for (int d = 0; d < nd; d++)
        k_cond_col<<<blocks_for((size_t)rows), TPB>>>(rows, nd, d, start[d], width[d], coff[d], logits, ldl, cond, ldc,
                                                       mask, scale, dlogits, ldd, rowloss);
    k_sum_scaled<<<1, 1>>>(rows, rowloss, scale, loss);
    check_launch(b);
}

void cu_adam(synth_nn_backend *b, size_t n, float *p, const float *g, float *m, float *v, float lr, float beta1,
             float beta2, float eps, float wd, uint64_t step)
{
    double bc1 = 1.0 - pow(beta1, (double)step), bc2 = 1.0 - pow(beta2, (double)step);
    k_adam<<<blocks_for(n), TPB>>>(n, p, g, m, v, (float)(lr / bc1), beta1, beta2, eps, wd, (float)sqrt(bc2));
    check_launch(b);
}

void cu_rand_uniform(synth_nn_backend *b, size_t n, float *p, uint64_t seed, uint64_t counter)
{
    if (n == 0)
        return;
    k_rand<<<blocks_for((n + 3) / 4), TPB>>>(n, p, seed, counter, 0);
    check_launch(b);
}

void cu_rand_normal(synth_nn_backend *b, size_t n, float *p, uint64_t seed, uint64_t counter)
{
    if (n == 0)
        return;
    k_rand<<<blocks_for((n + 3) / 4), TPB>>>(n, p, seed, counter, 1);
    check_launch(b);
}

int cu_failed(synth_nn_backend *b)
{
    if (cudaDeviceSynchronize() != cudaSuccess || cudaGetLastError() != cudaSuccess)
        ctx_of(b)->failed = 1;
    return ctx_of(b)->failed;
}

void cu_close(synth_nn_backend *b)
{
    cuda_ctx *c = ctx_of(b);
    if (c == NULL)
        return;
    cudaFree(c->scratch);
    cublasDestroy(c->blas);
    synth_free(c);
    b->ctx = NULL;
}

synth_nn_ops make_ops(void)
{
    synth_nn_ops o;
    memset(&o, 0, sizeof o);
    o.name = "cuda";
    o.alloc = cu_alloc;
    o.release = cu_release;
    o.upload = cu_upload;
    o.download = cu_download;
    o.copy = cu_copy;
    o.fill = cu_fill;
    o.copy2d = cu_copy2d;
    o.gemm = cu_gemm;
    o.add_bias = cu_add_bias;
    o.col_sum = cu_col_sum;
    o.bn_relu_train = cu_bn_relu_train;
    o.bn_relu_eval = cu_bn_relu_eval;
    o.bn_relu_backward = cu_bn_relu_backward;
    o.lrelu_dropout = cu_lrelu_dropout;
    o.mul = cu_mul;
    o.mul_rowvec = cu_mul_rowvec;
    o.gp_grad = cu_gp_grad;
    o.interpolate = cu_interpolate;
    o.activate = cu_activate;
    o.activate_backward = cu_activate_backward;
    o.cond_loss = cu_cond_loss;
    o.adam = cu_adam;
    o.rand_uniform = cu_rand_uniform;
    o.rand_normal = cu_rand_normal;
    o.failed = cu_failed;
    o.close = cu_close;
    return o;
}

const synth_nn_ops cuda_ops = make_ops();

} /* namespace */

extern "C" int synth__nn_cuda_present(void)
{
    return 1;
}

extern "C" int synth__nn_cuda_open(int threads, synth_nn_backend *b, synth_err *err)
{
    (void)threads;
    int n = 0;
    cudaError_t ce = cudaGetDeviceCount(&n);
    if (ce != cudaSuccess || n == 0)
        return synth_err_set(err, SYNTH_USAGE,
                             "--device cuda: no usable GPU (%s) although this binary was built by make cuda; "
                             "use --device cpu",
                             ce != cudaSuccess ? cudaGetErrorString(ce) : "no device found");
    cuda_ctx *c = (cuda_ctx *)synth_calloc(1, sizeof *c);
    if (c == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "--device cuda: out of memory");
    if (cublasCreate(&c->blas) != CUBLAS_STATUS_SUCCESS) {
        synth_free(c);
        return synth_err_set(err, SYNTH_USAGE, "--device cuda: cuBLAS could not start");
    }
    /* fp32 accumulate as the CPU backend does (no TF32 shortcuts) */
    cublasSetMathMode(c->blas, CUBLAS_DEFAULT_MATH);
    b->ops = &cuda_ops;
    b->ctx = c;
    return 0;
}
