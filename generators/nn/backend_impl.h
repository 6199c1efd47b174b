/* backend_impl.h -- the private op table every network backend fills (CPU, CUDA).
 *
 * Buffers are float arrays in the backend's own memory (host for "cpu", device for "cuda"); only
 * upload/download cross to and from host memory.  Matrices are row-major with an explicit leading
 * dimension (ld = distance between rows, in floats), so views into a wider buffer need no copies.
 * Ops cannot fail except alloc (NULL); sizes are the caller's responsibility (asserted on CPU).
 * Span layouts (activate, cond_loss) are host arrays: kind (0 tanh, 1 softmax), start, width.
 * Random fills are pure functions of (seed, counter, element index), identical on every backend:
 * element i of a fill uses Philox4x32-10 block i/4 (see synth__nn_philox_*). */
#ifndef SYNTH_NN_BACKEND_IMPL_H
#define SYNTH_NN_BACKEND_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "nn/backend.h"

typedef struct synth_nn_ops {
    const char *name;
    /* Buffers: zero-filled; NULL on failure.  release(NULL) does nothing. */
    float *(*alloc)(synth_nn_backend *b, size_t n);
    void (*release)(synth_nn_backend *b, float *p);
    void (*upload)(synth_nn_backend *b, float *dst, const float *host_src, size_t n);
    void (*download)(synth_nn_backend *b, float *host_dst, const float *src, size_t n);
    void (*copy)(synth_nn_backend *b, float *dst, const float *src, size_t n);
    void (*fill)(synth_nn_backend *b, float *p, size_t n, float value);
    /* dst[i*ldd + j] = src[i*lds + j] for i < rows, j < cols. */
    void (*copy2d)(synth_nn_backend *b, int rows, int cols, const float *src, int lds, float *dst, int ldd);
    /* C = alpha op(A) op(B) + beta C; op(A) is m x k, op(B) k x n, C m x n; ta/tb nonzero = transpose. */
    void (*gemm)(synth_nn_backend *b, int ta, int tb, int m, int n, int k, float alpha, const float *A,
                 int lda, const float *B, int ldb, float beta, float *C, int ldc);
    /* y[i][j] += bias[j]. */
    void (*add_bias)(synth_nn_backend *b, int rows, int cols, float *y, int ldy, const float *bias);
    /* out[j] = beta * out[j] + sum_i x[i][j]. */
    void (*col_sum)(synth_nn_backend *b, int rows, int cols, const float *x, int ldx, float beta, float *out);
    /* BatchNorm1d (train: batch mean, biased variance for normalising, running stats updated with
     * the unbiased variance and `momentum`) followed by ReLU.  a is rows x cols (contiguous);
     * xhat (rows x cols) and invstd (cols) are saved for backward; y is written at ldy. */
    void (*bn_relu_train)(synth_nn_backend *b, int rows, int cols, const float *a, const float *gamma,
                          const float *beta, float eps, float momentum, float *rmean, float *rvar,
                          float *xhat, float *invstd, float *y, int ldy);
    /* Inference: running statistics, then ReLU. */
    void (*bn_relu_eval)(synth_nn_backend *b, int rows, int cols, const float *a, const float *gamma,
                         const float *beta, float eps, const float *rmean, const float *rvar, float *y,
                         int ldy);
    /* Backward of bn_relu_train: dy at lddy, the forward output y at ldy (for the ReLU mask).
     * Writes dgamma, dbeta (cols) and da (rows x cols, contiguous). */
    void (*bn_relu_backward)(synth_nn_backend *b, int rows, int cols, const float *dy, int lddy,
                             const float *y, int ldy, const float *xhat, const float *gamma,
                             const float *invstd, float *dgamma, float *dbeta, float *da);
    /* LeakyReLU(slope) then dropout: ms[i] = slope'(a[i]) * (u == NULL || u[i] >= p ? 1/(1-p) : 0)
     * and a[i] *= ms[i] in place (LeakyReLU(a) = a * slope'(a)).  u NULL: no dropout. */
    void (*lrelu_dropout)(synth_nn_backend *b, size_t n, float *a, const float *u, float slope, float p,
                          float *ms);
    /* x[i] *= y[i]. */
    void (*mul)(synth_nn_backend *b, size_t n, float *x, const float *y);
    /* out[i][j] = v[j] * m[i][j] (all contiguous, rows x cols). */
    void (*mul_rowvec)(synth_nn_backend *b, int rows, int cols, const float *v, const float *m, float *out);
    /* Gradient penalty: g (rows x cols) holds each pack's input gradient; replaced by the gradient
     * of lambda * mean_rows (|g_row| - 1)^2 with respect to g; *penalty (one float in backend
     * memory) receives that value. */
    void (*gp_grad)(synth_nn_backend *b, int rows, int cols, float *g, float lambda, float *penalty);
    /* out[p][j] = alpha[p] real[p][j] + (1 - alpha[p]) fake[p][j]; packs x width, contiguous. */
    void (*interpolate)(synth_nn_backend *b, int packs, int width, const float *alpha, const float *real,
                        const float *fake, float *out);
    /* Output heads: tanh on tanh spans; softmax((logits + g) / tau) on softmax spans with
     * g = -log(-log(u)) from the uniforms u (rows x ldu). */
    void (*activate)(synth_nn_backend *b, int rows, int nspans, const int *kind, const int *start,
                     const int *width, const float *logits, int ldl, const float *u, int ldu, float tau,
                     float *out, int ldo);
    /* Backward of activate: dlogits (ldd) = d out / d logits applied to dout (lddo). */
    void (*activate_backward)(synth_nn_backend *b, int rows, int nspans, const int *kind, const int *start,
                              const int *width, const float *out, int ldo, const float *dout, int lddo,
                              float tau, float *dlogits, int ldd);
    /* Conditional cross-entropy: for each row i and discrete column d (logit span start[d] width[d],
     * cond part at coff[d]): ce = logsumexp(l) - l[argmax cond part]; *loss (backend memory) =
     * scale * sum mask[i][d] ce; dlogits += scale * mask[i][d] (softmax(l) - onehot). */
    void (*cond_loss)(synth_nn_backend *b, int rows, int nd, const int *start, const int *width,
                      const int *coff, const float *logits, int ldl, const float *cond, int ldc,
                      const float *mask, float scale, float *dlogits, int ldd, float *loss);
    /* PyTorch Adam with L2 weight decay; step counts from 1. */
    void (*adam)(synth_nn_backend *b, size_t n, float *p, const float *g, float *m, float *v, float lr,
                 float beta1, float beta2, float eps, float wd, uint64_t step);
    /* Uniform (0,1) / standard normal fills, element i a function of (seed, counter, i). */
    void (*rand_uniform)(synth_nn_backend *b, size_t n, float *p, uint64_t seed, uint64_t counter);
    void (*rand_normal)(synth_nn_backend *b, size_t n, float *p, uint64_t seed, uint64_t counter);
    /* Optional (NULL = never fails): nonzero once an op has failed asynchronously (a CUDA launch
     * or copy); the net checks it after each step and reports SYNTH_INTERNAL. */
    int (*failed)(synth_nn_backend *b);
    void (*close)(synth_nn_backend *b);
} synth_nn_ops;

struct synth_nn_backend {
    const synth_nn_ops *ops;
    void *ctx;        /* backend-private */
    int threads;
};

/* The CPU backend (always present) and the CUDA one (stubbed unless built by `make cuda`). */
int synth__nn_cpu_open(int threads, synth_nn_backend *b, synth_err *err);
int synth__nn_cuda_open(int threads, synth_nn_backend *b, synth_err *err);
int synth__nn_cuda_present(void);


#endif
