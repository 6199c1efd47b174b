/* ctgan_net.h -- the CTGAN networks: generator, PacGAN critic, WGAN-GP training step, inference.
 *
 * A synth_ctgan_net holds the generator G (residual blocks Linear -> BatchNorm1d -> ReLU whose
 * output is concatenated with their input, then a Linear to data_dim), the critic D (pac rows
 * packed into one input; [Linear -> LeakyReLU(0.2) -> Dropout(0.5)] per hidden layer, then
 * Linear -> 1), both Adam states and the net's own counter-based RNG (noise, Gumbel draws,
 * dropout masks, gradient-penalty mixing weights).  It follows the reference implementation
 * (Xu et al. 2019, sdv-dev/CTGAN ctgan/synthesizers/ctgan.py) step for step; the gradient penalty
 * is differentiated exactly (double backpropagation, derivation in ctgan_net.c and docs/CTGAN.md).
 *
 * The net knows nothing about columns: the caller (generators/ctgan) describes the output layout
 * as spans, builds the conditional vectors and masks, and samples real rows.  All float arrays
 * passed in or out are host memory, row-major.  A net is used by one thread at a time, except
 * synth_ctgan_net_generate, which only reads the net and may run on many threads at once with the
 * CPU backend.  Training is deterministic for a seed with one BLAS thread. */
#ifndef SYNTH_NN_CTGAN_NET_H
#define SYNTH_NN_CTGAN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "nn/backend.h"

typedef enum { SYNTH_SPAN_TANH, SYNTH_SPAN_SOFTMAX } synth_span_kind;

/* One span of a data row: a continuous column is a TANH span of width 1 followed by a SOFTMAX
 * span of its k modes; a discrete column is one SOFTMAX span of its k categories. */
typedef struct {
    synth_span_kind kind;
    int width;
} synth_ctgan_span;

#define SYNTH_CTGAN_MAX_LAYERS 4

typedef struct {
    int data_dim;                   /* sum of span widths */
    const synth_ctgan_span *spans;  /* nspans entries (copied by _new/_load) */
    int nspans;
    int cond_dim;                   /* sum of the discrete columns' category counts (0 = none) */
    const int *cond_span_index;     /* for discrete column d: its span's index in spans */
    const int *cond_offset;         /* for discrete column d: its first position in a cond vector */
    int ndiscrete;
    int embedding_dim;              /* noise width, default 128 */
    int gen_dims[SYNTH_CTGAN_MAX_LAYERS], ngen;  /* default 256, 256 */
    int dis_dims[SYNTH_CTGAN_MAX_LAYERS], ndis;  /* default 256, 256 */
    int pac;                        /* rows per critic pack, default 10; must divide the batch */
    float lr_g, lr_d;               /* 2e-4, 2e-4 */
    float beta1, beta2;             /* 0.5, 0.9 */
    float weight_decay_g, weight_decay_d;  /* 1e-6, 1e-6 (PyTorch Adam: L2 added to the gradient) */
    float gp_lambda;                /* 10 */
    float tau;                      /* Gumbel-softmax temperature, 0.2 */
    int discriminator_steps;        /* critic updates per generator update, 1 */
} synth_ctgan_config;

/* Fill the hyperparameters with the reference defaults and the layout with zeros / NULL. */
void synth_ctgan_config_defaults(synth_ctgan_config *cfg);

typedef struct synth_ctgan_net synth_ctgan_net;

/* Build G and D with PyTorch's default initialisation (Linear: U(-1/sqrt(fan_in), +), BatchNorm:
 * gamma 1, beta 0, running mean 0, running var 1) drawn from the counter-based RNG under `seed`.
 * The config (including its arrays) is copied; the backend is borrowed and must outlive the net.
 * SYNTH_USAGE for an inconsistent config (spans not summing to data_dim, a cond span that is not a
 * SOFTMAX span, sizes out of range).  On error *out is NULL. */
int synth_ctgan_net_new(synth_nn_backend *b, const synth_ctgan_config *cfg, uint64_t seed,
                        synth_ctgan_net **out, synth_err *err);
/* NULL does nothing. */
void synth_ctgan_net_free(synth_ctgan_net *net);

/* The net's copy of its config (valid while the net lives). */
const synth_ctgan_config *synth_ctgan_net_config(const synth_ctgan_net *net);
/* Training steps done so far (each call of synth_ctgan_net_train_step counts one). */
uint64_t synth_ctgan_net_steps(const synth_ctgan_net *net);

/* What one critic update needs, all `batch` rows:
 *   real       batch x data_dim: real rows, already transformed, matched to cond_real
 *   cond_fake  batch x cond_dim: the conditional vectors fed to G (c1 in the reference)
 *   cond_real  batch x cond_dim: the same vectors permuted to match `real` (c2)
 *   mask       batch x ndiscrete: unused by the critic step (may be NULL)
 * With cond_dim == 0 the cond pointers may be NULL. */
typedef struct {
    const float *real;
    const float *cond_fake;
    const float *cond_real;
    const float *mask;
} synth_ctgan_dbatch;

/* What the generator update needs: cond (batch x cond_dim) and mask (batch x ndiscrete: 1 for the
 * discrete column each row was conditioned on, else 0). */
typedef struct {
    const float *cond;
    const float *mask;
} synth_ctgan_gbatch;

/* One step of the reference fit loop: for each of the nd (= discriminator_steps) critic batches,
 * draw noise, run G (train mode), apply tanh / Gumbel-softmax, compute
 *   loss_D = -(mean D(real ++ cond_real) - mean D(fake ++ cond_fake)) + lambda * GP
 * and take one Adam step on D; then draw noise, run G and D, compute
 *   loss_G = -mean D(fake ++ cond) + sum over rows and discrete columns of
 *            mask * cross_entropy(G's raw logits of that column, argmax of its cond part) / batch
 * and take one Adam step on G.  batch must be a positive multiple of pac.  The last critic loss
 * and the generator loss go to *loss_d and *loss_g (either may be NULL).  On error the net may be
 * half-updated; SYNTH_BAD_INPUT when a loss became non-finite. */
int synth_ctgan_net_train_step(synth_ctgan_net *net, int batch, const synth_ctgan_dbatch *d, int nd,
                               const synth_ctgan_gbatch *g, float *loss_d, float *loss_g,
                               synth_err *err);

/* Inference: batchnorm with running statistics.  noise is n x embedding_dim, cond n x cond_dim
 * (NULL when cond_dim == 0), out n x data_dim receives G's pre-activation outputs; the caller
 * applies tanh / Gumbel-softmax with its own per-row RNG.  Each output row is a function of its
 * own noise and cond row only, bit for bit, whatever n and the other rows are (a host kernel with
 * a fixed summation order, no BLAS), and the same on every x86-64 machine.  Only reads the net:
 * thread-safe (any backend; a non-CPU net copies its weights to the host per call).
 * SYNTH_NOMEM when scratch memory cannot be had. */
int synth_ctgan_net_generate(const synth_ctgan_net *net, int n, const float *noise, const float *cond,
                             float *out, synth_err *err);

/* Serialise weights, batchnorm running statistics, both Adam states, the step count and the RNG
 * state into one blob (little-endian floats, with a header checked by _load).  Caller frees *blob
 * with synth_free.  A net loaded from the blob continues training exactly as the original would. */
int synth_ctgan_net_save(const synth_ctgan_net *net, unsigned char **blob, size_t *len, synth_err *err);
/* Rebuild a net from a blob made by _save with the same config.  SYNTH_MODEL when the blob is
 * truncated, from another version, or does not match the config's sizes. */
int synth_ctgan_net_load(synth_nn_backend *b, const synth_ctgan_config *cfg, const unsigned char *blob,
                         size_t len, synth_ctgan_net **out, synth_err *err);

#endif
