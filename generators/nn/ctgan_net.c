/* ctgan_net.c -- the CTGAN generator and PacGAN critic, WGAN-GP training step, inference, blobs.
 *
 * All arithmetic goes through the backend op table (backend_impl.h), so the same code runs on the
 * CPU (OpenBLAS) and CUDA backends.  Layout choices that keep the step cheap:
 *   - every parameter of G lives in one flat buffer (and its gradient, Adam m and v in three more
 *     of the same shape), so Adam is one op and save/load are plain copies; the same for D;
 *   - G's residual concatenation costs no copies: one row-major buffer H holds, per row,
 *     [r_{L-1} | ... | r_1 | r_0 | z | c], so block k's input [r_{k-1} .. r_0 z c] is a column
 *     window of H and block k writes its output just left of it; the final Linear reads all of H;
 *   - the critic's pac-packing is a reinterpretation: B rows of width (data_dim + cond_dim) in a
 *     contiguous buffer are B/pac rows of width pac * (data_dim + cond_dim).
 *
 * The gradient penalty and its exact gradient (double backpropagation)
 * -------------------------------------------------------------------
 * The critic on a packed input x (one row per pack p) is
 *   a_0 = x W_0^T + b_0,  d_0 = lrelu(a_0) * m_0 = a_0 * s_0,   s_0 = lrelu'(a_0) * m_0
 *   a_l = d_{l-1} W_l^T + b_l,  d_l = a_l * s_l   (l = 1 .. L-1)
 *   y   = d_{L-1} w_L^T + b_L
 * where m_l is the dropout mask (0 or 2) and lrelu'(a) is 1 or 0.2.  s_l is piecewise constant in
 * the weights (its derivative is zero wherever it exists, as autograd also takes it), so the
 * input gradient of each pack's output is the chain of linear maps
 *   u_{L-1} = w_L * s_{L-1}   (w_L broadcast over packs)
 *   u_{l-1} = (u_l W_l) * s_{l-1}
 *   g       = u_0 W_0                                   (packs x pac*(data_dim+cond_dim))
 * and the penalty is P = lambda / N * sum_p (|g_p| - 1)^2 over the N packs.  Backpropagating P:
 *   G    = dP/dg = 2 lambda / N * (|g_p| - 1) / |g_p| * g_p
 *   dP/dW_0  = u_0^T G,           R_0 = dP/du_0 = G W_0^T
 *   dP/dW_l  = u_l^T (R_{l-1} * s_{l-1}),   R_l = (R_{l-1} * s_{l-1}) W_l^T      (l = 1 .. L-1)
 *   dP/dw_L  = sum_p R_{L-1} * s_{L-1}
 * and the biases get nothing (they do not appear in g).  The interpolated input's own dropout
 * masks are the ones in s_l (the reference draws them in its D(interpolates) call).  These terms
 * are added to the ordinary backward pass of loss_D = mean D(fake) - mean D(real) over its two
 * forward passes, each with its own dropout masks.  tests/unit/test_nn_grad.c checks all of it
 * against finite differences. */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "nn/backend_impl.h"
#include "nn/ctgan_net.h"
#include "nn/ctgan_net_internal.h"
#include "nn/nn_rng.h"

#define MAXL SYNTH_CTGAN_MAX_LAYERS
#define BN_EPS 1e-5f
#define BN_MOMENTUM 0.1f
#define ADAM_EPS 1e-8f
#define LRELU_SLOPE 0.2f
#define DROPOUT 0.5f
#define GEN_BLOCK 1024            /* rows per inference block */
#define BLOB_MAGIC "SYCTGAN1"
#define BLOB_VERSION 1u

typedef struct {
    int in, out;
    size_t w, b;                  /* offsets of weight (out x in) and bias (out) in the flat buffer */
} lin;

typedef struct {                  /* one flat parameter set with its gradient and Adam moments */
    size_t n;
    float *p, *g, *m, *v;
} pset;

/* A Linear layer prepared for the inference kernel (see synth_ctgan_net_generate). */
typedef struct {
    int in, out, outp;   /* outp: out rounded up to GEN_TILE */
    float *wt;           /* in x outp, zero padded */
    const float *bias;
} dense;

struct synth_ctgan_net {
    synth_nn_backend *b;
    const synth_nn_ops *ops;
    synth_ctgan_config cfg;
    synth_ctgan_span *spans;
    int *cond_span_index, *cond_offset;
    int *span_kind, *span_start, *span_width;   /* host arrays for activate */
    int *disc_start, *disc_width;               /* per discrete column: its logits span */
    uint64_t seed, rng_counter, steps, dsteps;

    /* generator */
    pset G;
    lin glin[MAXL + 1];           /* ngen residual Linears, then the output Linear */
    size_t gamma[MAXL], beta[MAXL];
    float *gstate;                /* running mean and var per block */
    size_t rmean[MAXL], rvar[MAXL], nstate;
    int hwidth;                   /* width of H: sum(gen_dims) + embedding_dim + cond_dim */
    int rcol[MAXL];               /* column of block k's output in H */
    int zcol;                     /* column of z in H (c follows it) */

    /* critic */
    pset D;
    lin dlin[MAXL + 1];
    int row_w;                    /* data_dim + cond_dim */
    int din;                      /* pac * row_w */
    int maxh;

    /* scratch for one batch size (see ensure_scratch) */
    int cap;
    float *H, *dH, *A[MAXL], *xhat[MAXL], *invstd[MAXL], *dA;
    float *logits, *dlogits, *gumbel, *noise, *cond, *mask;
    float *xs, *xf, *xr, *xi, *dxf, *alpha;       /* xf, xr, xi: views of xs (3 x batch rows) */
    float *actb[MAXL], *msb[MAXL], *dab[MAXL], *yb;   /* 3 x packs rows per critic layer */
    float *act[3][MAXL], *ms[3][MAXL], *y[3];       /* views: fake, real, interpolated packs */
    float *dbuf[2], *dropu, *dy, *scal;

    /* G's Linears transposed for inference, made by _load (CPU backend) and dropped by training */
    dense inf[MAXL + 1];
    int inf_ready;
};

static void drop_inference(synth_ctgan_net *net);

/* ---- configuration ---------------------------------------------------------------------------- */

void synth_ctgan_config_defaults(synth_ctgan_config *cfg)
{
    *cfg = (synth_ctgan_config){0};
    cfg->embedding_dim = 128;
    cfg->gen_dims[0] = cfg->gen_dims[1] = 256;
    cfg->ngen = 2;
    cfg->dis_dims[0] = cfg->dis_dims[1] = 256;
    cfg->ndis = 2;
    cfg->pac = 10;
    cfg->lr_g = cfg->lr_d = 2e-4f;
    cfg->beta1 = 0.5f;
    cfg->beta2 = 0.9f;
    cfg->weight_decay_g = cfg->weight_decay_d = 1e-6f;
    cfg->gp_lambda = 10.0f;
    cfg->tau = 0.2f;
    cfg->discriminator_steps = 1;
}

static int check_config(const synth_ctgan_config *c, synth_err *err)
{
    const int big = 1 << 20;
    if (c->data_dim < 1 || c->data_dim > big || c->nspans < 1 || c->spans == NULL)
        return synth_err_set(err, SYNTH_USAGE, "ctgan net: data_dim %d / %d spans out of range", c->data_dim,
                             c->nspans);
    long sum = 0;
    for (int s = 0; s < c->nspans; s++) {
        if (c->spans[s].width < 1 || (c->spans[s].kind != SYNTH_SPAN_TANH && c->spans[s].kind != SYNTH_SPAN_SOFTMAX))
            return synth_err_set(err, SYNTH_USAGE, "ctgan net: span %d has width %d or an unknown kind", s,
                                 c->spans[s].width);
        sum += c->spans[s].width;
    }
    if (sum != c->data_dim)
        return synth_err_set(err, SYNTH_USAGE, "ctgan net: span widths sum to %ld, not data_dim %d", sum,
                             c->data_dim);
    if (c->cond_dim < 0 || c->cond_dim > big || c->ndiscrete < 0 || c->ndiscrete > c->nspans ||
        (c->ndiscrete > 0 && (c->cond_span_index == NULL || c->cond_offset == NULL)))
        return synth_err_set(err, SYNTH_USAGE, "ctgan net: bad cond_dim %d / ndiscrete %d", c->cond_dim,
                             c->ndiscrete);
    for (int d = 0; d < c->ndiscrete; d++) {
        int s = c->cond_span_index[d];
        if (s < 0 || s >= c->nspans || c->spans[s].kind != SYNTH_SPAN_SOFTMAX || c->cond_offset[d] < 0 ||
            c->cond_offset[d] + c->spans[s].width > c->cond_dim)
            return synth_err_set(err, SYNTH_USAGE,
                                 "ctgan net: discrete column %d: span %d is not a softmax span inside the cond vector",
                                 d, s);
    }
    if (c->embedding_dim < 1 || c->embedding_dim > big || c->ngen < 0 || c->ngen > MAXL || c->ndis < 1 ||
        c->ndis > MAXL || c->pac < 1 || c->pac > 1024 || c->discriminator_steps < 1)
        return synth_err_set(err, SYNTH_USAGE, "ctgan net: layer counts, pac or discriminator_steps out of range");
    for (int k = 0; k < c->ngen; k++)
        if (c->gen_dims[k] < 1 || c->gen_dims[k] > big)
            return synth_err_set(err, SYNTH_USAGE, "ctgan net: generator layer %d has width %d", k, c->gen_dims[k]);
    for (int k = 0; k < c->ndis; k++)
        if (c->dis_dims[k] < 1 || c->dis_dims[k] > big)
            return synth_err_set(err, SYNTH_USAGE, "ctgan net: critic layer %d has width %d", k, c->dis_dims[k]);
    long sumg = 0;
    for (int k = 0; k < c->ngen; k++)
        sumg += c->gen_dims[k];
    if ((long)c->pac * (c->data_dim + c->cond_dim) > (1L << 24) ||
        sumg + c->embedding_dim + c->cond_dim > (1L << 24))
        return synth_err_set(err, SYNTH_USAGE, "ctgan net: layers too wide (pac x row width or generator width > 2^24)");
    if (!(c->tau > 0.0f) || !(c->lr_g >= 0.0f) || !(c->lr_d >= 0.0f) || !(c->beta1 >= 0.0f && c->beta1 < 1.0f) ||
        !(c->beta2 >= 0.0f && c->beta2 < 1.0f) || !(c->gp_lambda >= 0.0f))
        return synth_err_set(err, SYNTH_USAGE, "ctgan net: tau, learning rates, betas or gp_lambda out of range");
    return 0;
}

/* ---- construction ----------------------------------------------------------------------------- */

static float *balloc(synth_ctgan_net *net, size_t n, int *fail)
{
    float *p = net->ops->alloc(net->b, n);
    if (p == NULL)
        *fail = 1;
    return p;
}

static void bfree(synth_ctgan_net *net, float **p)
{
    if (*p != NULL)
        net->ops->release(net->b, *p);
    *p = NULL;
}

static lin add_lin(size_t *n, int in, int out)
{
    lin l = {in, out, *n, *n + (size_t)in * out};
    *n += (size_t)in * out + (size_t)out;
    return l;
}

static void layout(synth_ctgan_net *net)
{
    const synth_ctgan_config *c = &net->cfg;
    size_t n = 0;
    int in = c->embedding_dim + c->cond_dim, sumg = 0;
    for (int k = 0; k < c->ngen; k++)
        sumg += c->gen_dims[k];
    net->hwidth = sumg + in;
    net->zcol = sumg;
    int col = sumg;
    for (int k = 0; k < c->ngen; k++) {
        net->glin[k] = add_lin(&n, in, c->gen_dims[k]);
        net->gamma[k] = n;
        net->beta[k] = n + (size_t)c->gen_dims[k];
        n += 2 * (size_t)c->gen_dims[k];
        col -= c->gen_dims[k];
        net->rcol[k] = col;
        in += c->gen_dims[k];
    }
    net->glin[c->ngen] = add_lin(&n, in, c->data_dim);
    net->G.n = n;
    net->nstate = 0;
    for (int k = 0; k < c->ngen; k++) {
        net->rmean[k] = net->nstate;
        net->rvar[k] = net->nstate + (size_t)c->gen_dims[k];
        net->nstate += 2 * (size_t)c->gen_dims[k];
    }
    net->row_w = c->data_dim + c->cond_dim;
    net->din = c->pac * net->row_w;
    n = 0;
    in = net->din;
    net->maxh = 1;
    for (int k = 0; k < c->ndis; k++) {
        net->dlin[k] = add_lin(&n, in, c->dis_dims[k]);
        in = c->dis_dims[k];
        net->maxh = in > net->maxh ? in : net->maxh;
    }
    net->dlin[c->ndis] = add_lin(&n, in, 1);
    net->D.n = n;
}

static int alloc_pset(synth_ctgan_net *net, pset *s)
{
    int fail = 0;
    s->p = balloc(net, s->n, &fail);
    s->g = balloc(net, s->n, &fail);
    s->m = balloc(net, s->n, &fail);
    s->v = balloc(net, s->n, &fail);
    return fail;
}

static void free_pset(synth_ctgan_net *net, pset *s)
{
    bfree(net, &s->p);
    bfree(net, &s->g);
    bfree(net, &s->m);
    bfree(net, &s->v);
}

static void free_scratch(synth_ctgan_net *net)
{
    float **all[] = {&net->H, &net->dH, &net->dA, &net->logits, &net->dlogits, &net->gumbel, &net->noise,
                     &net->cond, &net->mask, &net->xs, &net->dxf, &net->alpha, &net->yb, &net->dbuf[0],
                     &net->dbuf[1], &net->dropu, &net->dy, &net->scal};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        bfree(net, all[i]);
    for (int k = 0; k < MAXL; k++) {
        bfree(net, &net->A[k]);
        bfree(net, &net->xhat[k]);
        bfree(net, &net->invstd[k]);
        bfree(net, &net->actb[k]);
        bfree(net, &net->msb[k]);
        bfree(net, &net->dab[k]);
    }
    net->cap = 0;
}

/* Buffers for batches of `batch` rows (batch / pac packs). */
static int ensure_scratch(synth_ctgan_net *net, int batch, synth_err *err)
{
    if (net->cap == batch)
        return 0;
    free_scratch(net);
    const synth_ctgan_config *c = &net->cfg;
    size_t B = (size_t)batch, P = (size_t)(batch / c->pac);
    int fail = 0, maxg = 1;
    for (int k = 0; k < c->ngen; k++) {
        net->A[k] = balloc(net, B * c->gen_dims[k], &fail);
        net->xhat[k] = balloc(net, B * c->gen_dims[k], &fail);
        net->invstd[k] = balloc(net, (size_t)c->gen_dims[k], &fail);
        maxg = c->gen_dims[k] > maxg ? c->gen_dims[k] : maxg;
    }
    net->H = balloc(net, B * net->hwidth, &fail);
    net->dH = balloc(net, B * net->hwidth, &fail);
    net->dA = balloc(net, B * maxg, &fail);
    net->logits = balloc(net, B * c->data_dim, &fail);
    net->dlogits = balloc(net, B * c->data_dim, &fail);
    net->gumbel = balloc(net, B * c->data_dim, &fail);
    net->noise = balloc(net, B * c->embedding_dim, &fail);
    net->cond = balloc(net, B * (c->cond_dim + 1), &fail);
    net->mask = balloc(net, B * (c->ndiscrete + 1), &fail);
    net->xs = balloc(net, 3 * B * net->row_w, &fail);
    net->dxf = balloc(net, B * net->row_w, &fail);
    net->alpha = balloc(net, P, &fail);
    net->dy = balloc(net, 3 * P, &fail);
    net->scal = balloc(net, 8, &fail);
    net->dbuf[0] = balloc(net, P * net->maxh, &fail);
    net->dbuf[1] = balloc(net, P * net->maxh, &fail);
    net->dropu = balloc(net, 3 * P * net->maxh, &fail);
    net->yb = balloc(net, 3 * P, &fail);
    for (int k = 0; k < c->ndis; k++) {
        net->actb[k] = balloc(net, 3 * P * c->dis_dims[k], &fail);
        net->msb[k] = balloc(net, 3 * P * c->dis_dims[k], &fail);
        net->dab[k] = balloc(net, 3 * P * c->dis_dims[k], &fail);
    }
    if (!fail) {
        size_t rw = B * net->row_w;
        net->xf = net->xs;
        net->xr = net->xs + rw;
        net->xi = net->xs + 2 * rw;
        for (int s = 0; s < 3; s++) {
            net->y[s] = net->yb + (size_t)s * P;
            for (int k = 0; k < c->ndis; k++) {
                net->act[s][k] = net->actb[k] + (size_t)s * P * c->dis_dims[k];
                net->ms[s][k] = net->msb[k] + (size_t)s * P * c->dis_dims[k];
            }
        }
    }
    if (fail) {
        free_scratch(net);
        return synth_err_set(err, SYNTH_NOMEM, "ctgan net: out of memory for a batch of %d rows", batch);
    }
    net->cap = batch;
    return 0;
}

void synth_ctgan_net_free(synth_ctgan_net *net)
{
    if (net == NULL)
        return;
    drop_inference(net);
    if (net->ops != NULL) {
        free_scratch(net);
        free_pset(net, &net->G);
        free_pset(net, &net->D);
        bfree(net, &net->gstate);
    }
    synth_free(net->spans);
    synth_free(net->cond_span_index);
    synth_free(net->cond_offset);
    synth_free(net->span_kind);
    synth_free(net->span_start);
    synth_free(net->span_width);
    synth_free(net->disc_start);
    synth_free(net->disc_width);
    synth_free(net);
}

/* Allocate a net with its config, layout and zeroed parameter buffers (no initialisation). */
static int net_alloc(synth_nn_backend *b, const synth_ctgan_config *cfg, synth_ctgan_net **out, synth_err *err)
{
    *out = NULL;
    int rc = check_config(cfg, err);
    if (rc != 0)
        return rc;
    synth_ctgan_net *net = synth_calloc(1, sizeof *net);
    if (net == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "ctgan net: out of memory");
    net->b = b;
    net->ops = b->ops;
    net->cfg = *cfg;
    int ns = cfg->nspans, nd = cfg->ndiscrete;
    net->spans = synth_calloc((size_t)ns, sizeof *net->spans);
    net->cond_span_index = synth_calloc((size_t)nd + 1, sizeof(int));
    net->cond_offset = synth_calloc((size_t)nd + 1, sizeof(int));
    net->span_kind = synth_calloc((size_t)ns, sizeof(int));
    net->span_start = synth_calloc((size_t)ns, sizeof(int));
    net->span_width = synth_calloc((size_t)ns, sizeof(int));
    net->disc_start = synth_calloc((size_t)nd + 1, sizeof(int));
    net->disc_width = synth_calloc((size_t)nd + 1, sizeof(int));
    if (!net->spans || !net->cond_span_index || !net->cond_offset || !net->span_kind || !net->span_start ||
        !net->span_width || !net->disc_start || !net->disc_width) {
        synth_ctgan_net_free(net);
        return synth_err_set(err, SYNTH_NOMEM, "ctgan net: out of memory");
    }
    memcpy(net->spans, cfg->spans, (size_t)ns * sizeof *net->spans);
    if (nd > 0) {
        memcpy(net->cond_span_index, cfg->cond_span_index, (size_t)nd * sizeof(int));
        memcpy(net->cond_offset, cfg->cond_offset, (size_t)nd * sizeof(int));
    }
    net->cfg.spans = net->spans;
    net->cfg.cond_span_index = net->cond_span_index;
    net->cfg.cond_offset = net->cond_offset;
    for (int s = 0, st = 0; s < ns; s++) {
        net->span_kind[s] = cfg->spans[s].kind == SYNTH_SPAN_TANH ? 0 : 1;
        net->span_start[s] = st;
        net->span_width[s] = cfg->spans[s].width;
        st += cfg->spans[s].width;
    }
    for (int d = 0; d < nd; d++) {
        net->disc_start[d] = net->span_start[cfg->cond_span_index[d]];
        net->disc_width[d] = net->span_width[cfg->cond_span_index[d]];
    }
    layout(net);
    int fail = alloc_pset(net, &net->G) | alloc_pset(net, &net->D);
    net->gstate = balloc(net, net->nstate + 1, &fail);
    if (fail) {
        synth_ctgan_net_free(net);
        return synth_err_set(err, SYNTH_NOMEM, "ctgan net: out of memory for the weights");
    }
    *out = net;
    return 0;
}

/* PyTorch's Linear initialisation: weight and bias uniform in +-1/sqrt(fan_in). */
static void init_linear(float *host, lin l, uint64_t seed, uint64_t counter)
{
    float bound = 1.0f / sqrtf((float)l.in);
    size_t n = (size_t)l.in * l.out + (size_t)l.out;
    for (size_t blk = 0; blk * 4 < n; blk++) {
        philox4x32_ctr_t w = synth__nn_philox_block(seed, counter, blk);
        for (size_t j = 0; j < 4 && blk * 4 + j < n; j++)
            host[l.w + blk * 4 + j] = bound * (2.0f * synth__nn_u01(w.v[j]) - 1.0f);
    }
}

int synth_ctgan_net_new(synth_nn_backend *b, const synth_ctgan_config *cfg, uint64_t seed,
                        synth_ctgan_net **out, synth_err *err)
{
    synth_ctgan_net *net;
    int rc = net_alloc(b, cfg, &net, err);
    if (rc != 0)
        return rc;
    net->seed = seed;
    size_t big = net->G.n > net->D.n ? net->G.n : net->D.n;
    big = big > net->nstate ? big : net->nstate;
    float *host = synth_calloc(big + 1, sizeof(float));
    if (host == NULL) {
        synth_ctgan_net_free(net);
        return synth_err_set(err, SYNTH_NOMEM, "ctgan net: out of memory for the weights");
    }
    for (int k = 0; k <= cfg->ngen; k++)
        init_linear(host, net->glin[k], seed, net->rng_counter++);
    for (int k = 0; k < cfg->ngen; k++)
        for (int j = 0; j < cfg->gen_dims[k]; j++) {
            host[net->gamma[k] + j] = 1.0f;
            host[net->beta[k] + j] = 0.0f;
        }
    net->ops->upload(b, net->G.p, host, net->G.n);
    for (int k = 0; k <= cfg->ndis; k++)
        init_linear(host, net->dlin[k], seed, net->rng_counter++);
    net->ops->upload(b, net->D.p, host, net->D.n);
    for (int k = 0; k < cfg->ngen; k++)
        for (int j = 0; j < cfg->gen_dims[k]; j++) {
            host[net->rmean[k] + j] = 0.0f;
            host[net->rvar[k] + j] = 1.0f;
        }
    net->ops->upload(b, net->gstate, host, net->nstate);
    synth_free(host);
    *out = net;
    return 0;
}

const synth_ctgan_config *synth_ctgan_net_config(const synth_ctgan_net *net)
{
    return &net->cfg;
}

uint64_t synth_ctgan_net_steps(const synth_ctgan_net *net)
{
    return net->steps;
}

/* ---- generator -------------------------------------------------------------------------------- */

/* Y (rows x l.out, ldy) = X (rows x l.in, ldx) W^T + b. */
static void linear(synth_ctgan_net *net, const float *params, lin l, int rows, const float *X, int ldx, float *Y,
                   int ldy)
{
    net->ops->gemm(net->b, 0, 1, rows, l.out, l.in, 1.0f, X, ldx, params + l.w, l.in, 0.0f, Y, ldy);
    net->ops->add_bias(net->b, rows, l.out, Y, ldy, params + l.b);
}

/* Training-mode G forward for `batch` rows: fresh noise into H's z columns, net->cond into its c
 * columns, logits out, then the output heads with fresh Gumbel draws into xf (ld row_w) and the
 * cond copied after them. */
static void g_forward_train(synth_ctgan_net *net, int batch)
{
    const synth_ctgan_config *c = &net->cfg;
    const synth_nn_ops *o = net->ops;
    int W = net->hwidth;
    o->rand_normal(net->b, (size_t)batch * c->embedding_dim, net->noise, net->seed, net->rng_counter++);
    o->copy2d(net->b, batch, c->embedding_dim, net->noise, c->embedding_dim, net->H + net->zcol, W);
    o->copy2d(net->b, batch, c->cond_dim, net->cond, c->cond_dim, net->H + net->zcol + c->embedding_dim, W);
    for (int k = 0; k < c->ngen; k++) {
        lin l = net->glin[k];
        int incol = net->rcol[k] + l.out;
        linear(net, net->G.p, l, batch, net->H + incol, W, net->A[k], l.out);
        o->bn_relu_train(net->b, batch, l.out, net->A[k], net->G.p + net->gamma[k], net->G.p + net->beta[k], BN_EPS,
                         BN_MOMENTUM, net->gstate + net->rmean[k], net->gstate + net->rvar[k], net->xhat[k],
                         net->invstd[k], net->H + net->rcol[k], W);
    }
    linear(net, net->G.p, net->glin[c->ngen], batch, net->H, W, net->logits, c->data_dim);
    o->rand_uniform(net->b, (size_t)batch * c->data_dim, net->gumbel, net->seed, net->rng_counter++);
    o->activate(net->b, batch, c->nspans, net->span_kind, net->span_start, net->span_width, net->logits,
                c->data_dim, net->gumbel, c->data_dim, c->tau, net->xf, net->row_w);
    o->copy2d(net->b, batch, c->cond_dim, net->cond, c->cond_dim, net->xf + c->data_dim, net->row_w);
}

/* G backward from dlogits (batch x data_dim) into G.g (overwritten). */
static void g_backward(synth_ctgan_net *net, int batch)
{
    const synth_ctgan_config *c = &net->cfg;
    const synth_nn_ops *o = net->ops;
    int W = net->hwidth;
    lin lo = net->glin[c->ngen];
    o->gemm(net->b, 1, 0, lo.out, lo.in, batch, 1.0f, net->dlogits, lo.out, net->H, W, 0.0f, net->G.g + lo.w, lo.in);
    o->col_sum(net->b, batch, lo.out, net->dlogits, lo.out, 0.0f, net->G.g + lo.b);
    if (c->ngen == 0)
        return;
    /* only the r columns of H need a gradient (z and c are inputs) */
    o->gemm(net->b, 0, 0, batch, net->zcol, lo.out, 1.0f, net->dlogits, lo.out, net->G.p + lo.w, lo.in, 0.0f,
            net->dH, W);
    for (int k = c->ngen - 1; k >= 0; k--) {
        lin l = net->glin[k];
        int incol = net->rcol[k] + l.out;
        o->bn_relu_backward(net->b, batch, l.out, net->dH + net->rcol[k], W, net->H + net->rcol[k], W, net->xhat[k],
                            net->G.p + net->gamma[k], net->invstd[k], net->G.g + net->gamma[k],
                            net->G.g + net->beta[k], net->dA);
        o->gemm(net->b, 1, 0, l.out, l.in, batch, 1.0f, net->dA, l.out, net->H + incol, W, 0.0f, net->G.g + l.w,
                l.in);
        o->col_sum(net->b, batch, l.out, net->dA, l.out, 0.0f, net->G.g + l.b);
        int rw = net->zcol - incol;   /* the earlier blocks' outputs inside this block's input */
        if (rw > 0)
            o->gemm(net->b, 0, 0, batch, rw, l.out, 1.0f, net->dA, l.out, net->G.p + l.w, l.in, 1.0f, net->dH + incol,
                    W);
    }
}

/* ---- critic ----------------------------------------------------------------------------------- */

/* Train-mode critic on packed input X (packs x din) with fresh dropout masks, activations in set s. */
static void d_forward(synth_ctgan_net *net, int packs, const float *X, int s)
{
    const synth_ctgan_config *c = &net->cfg;
    const float *in = X;
    int inw = net->din;
    for (int l = 0; l < c->ndis; l++) {
        int h = c->dis_dims[l];
        linear(net, net->D.p, net->dlin[l], packs, in, inw, net->act[s][l], h);
        net->ops->rand_uniform(net->b, (size_t)packs * h, net->dropu, net->seed, net->rng_counter++);
        net->ops->lrelu_dropout(net->b, (size_t)packs * h, net->act[s][l], net->dropu, LRELU_SLOPE, DROPOUT,
                                net->ms[s][l]);
        in = net->act[s][l];
        inw = h;
    }
    linear(net, net->D.p, net->dlin[c->ndis], packs, in, inw, net->y[s], 1);
}

/* Input gradient (packs x din, into dX) of dyval * sum_p y_p through the critic pass s; the
 * generator step needs no critic weight gradient. */
static void d_input_grad(synth_ctgan_net *net, int packs, int s, float dyval, float *dX)
{
    const synth_ctgan_config *c = &net->cfg;
    const synth_nn_ops *o = net->ops;
    int L = c->ndis, hl = c->dis_dims[L - 1];
    o->fill(net->b, net->dy, (size_t)packs, dyval);
    float *cur = net->dbuf[0], *nxt = net->dbuf[1];
    o->gemm(net->b, 0, 0, packs, hl, 1, 1.0f, net->dy, 1, net->D.p + net->dlin[L].w, hl, 0.0f, cur, hl);
    for (int l = L - 1; l >= 0; l--) {
        lin li = net->dlin[l];
        o->mul(net->b, (size_t)packs * li.out, cur, net->ms[s][l]);
        o->gemm(net->b, 0, 0, packs, li.in, li.out, 1.0f, cur, li.out, net->D.p + li.w, li.in, 0.0f,
                l > 0 ? nxt : dX, li.in);
        float *t = cur;
        cur = nxt;
        nxt = t;
    }
}

/* The whole critic gradient of one batch, with the three packs sets stacked so every weight
 * gradient is ONE gemm over 3 x packs rows (set 0 fake, 1 real, 2 interpolated):
 *   dW_l = [delta_fake; delta_real; u_l]^T [in_fake; in_real; T_{l-1}]      (T_{-1} = G)
 * where the first two row blocks are the ordinary backward of mean D(fake) - mean D(real) and
 * the third is the gradient penalty's term u_l^T T_{l-1} from the derivation at the top of this
 * file (u_l written into the interpolated rows of dab[l], T_{l-1} over the interpolated rows of
 * the activations, G over the interpolated inputs, all no longer needed by then).  The output
 * weight gets dy = 1 on the interpolated rows, i.e. sum_p T_{L-1}; biases sum the first two
 * blocks only.  Leaves the penalty in scal[0]. */
static void d_backward_stacked(synth_ctgan_net *net, int P)
{
    const synth_ctgan_config *c = &net->cfg;
    const synth_nn_ops *o = net->ops;
    int L = c->ndis;
    float **ms = net->ms[2];
    size_t P2 = 2 * (size_t)P;
    /* penalty: u chain down into the interpolated rows of dab */
    for (int l = L - 1; l >= 0; l--) {
        int h = c->dis_dims[l];
        float *u = net->dab[l] + P2 * h;
        if (l == L - 1) {
            o->mul_rowvec(net->b, P, h, net->D.p + net->dlin[L].w, ms[l], u);
        } else {
            lin ln = net->dlin[l + 1];
            o->gemm(net->b, 0, 0, P, ln.in, ln.out, 1.0f, net->dab[l + 1] + P2 * ln.out, ln.out, net->D.p + ln.w,
                    ln.in, 0.0f, u, ln.in);
            o->mul(net->b, (size_t)P * h, u, ms[l]);
        }
    }
    lin l0 = net->dlin[0];
    o->gemm(net->b, 0, 0, P, l0.in, l0.out, 1.0f, net->dab[0] + P2 * l0.out, l0.out, net->D.p + l0.w, l0.in, 0.0f,
            net->xi, l0.in);
    o->gp_grad(net->b, P, l0.in, net->xi, c->gp_lambda, net->scal);
    /* T chain up into the interpolated rows of the activations */
    for (int l = 0; l < L; l++) {
        lin li = net->dlin[l];
        const float *below = l == 0 ? net->xi : net->act[2][l - 1];
        o->gemm(net->b, 0, 1, P, li.out, li.in, 1.0f, below, li.in, net->D.p + li.w, li.in, 0.0f, net->act[2][l],
                li.out);
        o->mul(net->b, (size_t)P * li.out, net->act[2][l], ms[l]);
    }
    /* loss part: d/dy of mean(y_fake) - mean(y_real); 1 on the penalty rows (see above) */
    o->fill(net->b, net->dy, (size_t)P, 1.0f / P);
    o->fill(net->b, net->dy + P, (size_t)P, -1.0f / P);
    o->fill(net->b, net->dy + P2, (size_t)P, 1.0f);
    lin lo = net->dlin[L];
    o->gemm(net->b, 1, 0, 1, lo.in, 3 * P, 1.0f, net->dy, 1, net->actb[L - 1], lo.in, 0.0f, net->D.g + lo.w, lo.in);
    o->col_sum(net->b, (int)P2, 1, net->dy, 1, 0.0f, net->D.g + lo.b);
    o->gemm(net->b, 0, 0, (int)P2, lo.in, 1, 1.0f, net->dy, 1, net->D.p + lo.w, lo.in, 0.0f, net->dab[L - 1], lo.in);
    o->mul(net->b, P2 * lo.in, net->dab[L - 1], net->msb[L - 1]);
    for (int l = L - 1; l >= 0; l--) {
        lin li = net->dlin[l];
        const float *in = l > 0 ? net->actb[l - 1] : net->xs;
        o->gemm(net->b, 1, 0, li.out, li.in, 3 * P, 1.0f, net->dab[l], li.out, in, li.in, 0.0f, net->D.g + li.w,
                li.in);
        o->col_sum(net->b, (int)P2, li.out, net->dab[l], li.out, 0.0f, net->D.g + li.b);
        if (l > 0) {
            o->gemm(net->b, 0, 0, (int)P2, li.in, li.out, 1.0f, net->dab[l], li.out, net->D.p + li.w, li.in, 0.0f,
                    net->dab[l - 1], li.in);
            o->mul(net->b, P2 * li.in, net->dab[l - 1], net->msb[l - 1]);
        }
    }
}

static float mean_of(synth_ctgan_net *net, const float *y, int n, float *host)
{
    net->ops->download(net->b, host, y, (size_t)n);
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += host[i];
    return (float)(s / n);
}

/* ---- the training step ------------------------------------------------------------------------ */

/* One critic batch: forward passes on fake, real and interpolated packs, the gradient of
 * loss_D + lambda * GP into D.g (overwritten).  Returns loss_D including the penalty. */
static float d_grad(synth_ctgan_net *net, int batch, const synth_ctgan_dbatch *d, float *host)
{
    const synth_ctgan_config *c = &net->cfg;
    const synth_nn_ops *o = net->ops;
    int P = batch / c->pac;
    if (c->cond_dim > 0)
        o->upload(net->b, net->cond, d->cond_fake, (size_t)batch * c->cond_dim);
    g_forward_train(net, batch);
    /* real rows ++ cond_real, staged through dxf */
    o->upload(net->b, net->dxf, d->real, (size_t)batch * c->data_dim);
    o->copy2d(net->b, batch, c->data_dim, net->dxf, c->data_dim, net->xr, net->row_w);
    if (c->cond_dim > 0) {
        o->upload(net->b, net->dxf, d->cond_real, (size_t)batch * c->cond_dim);
        o->copy2d(net->b, batch, c->cond_dim, net->dxf, c->cond_dim, net->xr + c->data_dim, net->row_w);
    }
    o->rand_uniform(net->b, (size_t)P, net->alpha, net->seed, net->rng_counter++);
    o->interpolate(net->b, P, net->din, net->alpha, net->xr, net->xf, net->xi);
    d_forward(net, 3 * P, net->xs, 0);   /* fake, real and interpolated packs in one pass */
    float loss = mean_of(net, net->y[0], P, host) - mean_of(net, net->y[1], P, host);
    d_backward_stacked(net, P);
    float pen;
    o->download(net->b, &pen, net->scal, 1);
    return loss + pen;
}

/* The generator batch: G and D forward, the gradient of loss_G into G.g (overwritten). */
static float g_grad(synth_ctgan_net *net, int batch, const synth_ctgan_gbatch *g, float *host)
{
    const synth_ctgan_config *c = &net->cfg;
    const synth_nn_ops *o = net->ops;
    int P = batch / c->pac;
    if (c->cond_dim > 0)
        o->upload(net->b, net->cond, g->cond, (size_t)batch * c->cond_dim);
    g_forward_train(net, batch);
    d_forward(net, P, net->xf, 0);
    d_input_grad(net, P, 0, -1.0f / P, net->dxf);
    o->activate_backward(net->b, batch, c->nspans, net->span_kind, net->span_start, net->span_width, net->xf,
                         net->row_w, net->dxf, net->row_w, c->tau, net->dlogits, c->data_dim);
    float ce = 0.0f;
    if (c->ndiscrete > 0) {
        o->upload(net->b, net->mask, g->mask, (size_t)batch * c->ndiscrete);
        o->cond_loss(net->b, batch, c->ndiscrete, net->disc_start, net->disc_width, net->cond_offset, net->logits,
                     c->data_dim, net->cond, c->cond_dim, net->mask, 1.0f / batch, net->dlogits, c->data_dim,
                     net->scal + 1);
        o->download(net->b, &ce, net->scal + 1, 1);
    }
    g_backward(net, batch);
    return -mean_of(net, net->y[0], P, host) + ce;
}

static int check_batches(synth_ctgan_net *net, int batch, const synth_ctgan_dbatch *d, int nd,
                         const synth_ctgan_gbatch *g, synth_err *err)
{
    const synth_ctgan_config *c = &net->cfg;
    if (batch < 2 || batch % c->pac != 0 || batch > (1 << 24))
        return synth_err_set(err, SYNTH_USAGE, "ctgan: batch size %d must be at least 2 and a multiple of pac %d",
                             batch, c->pac);
    if (nd < 0 || (nd > 0 && d == NULL))
        return synth_err_set(err, SYNTH_USAGE, "ctgan: training step without its critic batches");
    for (int s = 0; s < nd; s++)
        if (d[s].real == NULL || (c->cond_dim > 0 && (d[s].cond_fake == NULL || d[s].cond_real == NULL)))
            return synth_err_set(err, SYNTH_USAGE, "ctgan: critic batch %d incomplete", s);
    if (g != NULL && ((c->ndiscrete > 0 && g->mask == NULL) || (c->cond_dim > 0 && g->cond == NULL)))
        return synth_err_set(err, SYNTH_USAGE, "ctgan: generator batch without cond or mask");
    return ensure_scratch(net, batch, err);
}

int synth_ctgan_net_train_step(synth_ctgan_net *net, int batch, const synth_ctgan_dbatch *d, int nd,
                               const synth_ctgan_gbatch *g, float *loss_d, float *loss_g, synth_err *err)
{
    const synth_ctgan_config *c = &net->cfg;
    if (g == NULL)
        return synth_err_set(err, SYNTH_USAGE, "ctgan: training step without its generator batch");
    int rc = check_batches(net, batch, d, nd, g, err);
    if (rc != 0)
        return rc;
    float *host = synth_malloc((size_t)(batch / c->pac) * sizeof(float) + 8 * sizeof(float));
    if (host == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "ctgan: out of memory");
    drop_inference(net);
    float ld = 0.0f;
    for (int s = 0; s < nd; s++) {
        ld = d_grad(net, batch, &d[s], host);
        net->dsteps++;
        net->ops->adam(net->b, net->D.n, net->D.p, net->D.g, net->D.m, net->D.v, c->lr_d, c->beta1, c->beta2,
                       ADAM_EPS, c->weight_decay_d, net->dsteps);
    }
    float lg = g_grad(net, batch, g, host);
    net->steps++;
    net->ops->adam(net->b, net->G.n, net->G.p, net->G.g, net->G.m, net->G.v, c->lr_g, c->beta1, c->beta2, ADAM_EPS,
                   c->weight_decay_g, net->steps);
    synth_free(host);
    if (net->ops->failed != NULL && net->ops->failed(net->b))
        return synth_err_set(err, SYNTH_INTERNAL, "ctgan: the %s backend failed during step %llu", net->ops->name,
                             (unsigned long long)net->steps);
    if (loss_d != NULL)
        *loss_d = ld;
    if (loss_g != NULL)
        *loss_g = lg;
    if (!isfinite(ld) || !isfinite(lg))
        return synth_err_set(err, SYNTH_BAD_INPUT, "ctgan: training diverged (loss_d %g, loss_g %g at step %llu)",
                             (double)ld, (double)lg, (unsigned long long)net->steps);
    return 0;
}

/* ---- test hooks (ctgan_net_internal.h) -------------------------------------------------------- */

int synth__ctgan_net_loss_grad(synth_ctgan_net *net, int batch, const synth_ctgan_dbatch *d,
                               const synth_ctgan_gbatch *g, float *loss, synth_err *err)
{
    int rc = check_batches(net, batch, d, d != NULL ? 1 : 0, g, err);
    if (rc != 0)
        return rc;
    float *host = synth_malloc((size_t)(batch / net->cfg.pac) * sizeof(float) + 8 * sizeof(float));
    if (host == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "ctgan: out of memory");
    *loss = d != NULL ? d_grad(net, batch, d, host) : g_grad(net, batch, g, host);
    synth_free(host);
    return 0;
}

float *synth__ctgan_net_buffer(synth_ctgan_net *net, int which, size_t *n)
{
    switch (which) {
    case SYNTH__NET_GP: *n = net->G.n; return net->G.p;
    case SYNTH__NET_GG: *n = net->G.n; return net->G.g;
    case SYNTH__NET_DP: *n = net->D.n; return net->D.p;
    case SYNTH__NET_DG: *n = net->D.n; return net->D.g;
    case SYNTH__NET_GSTATE: *n = net->nstate; return net->gstate;
    default: *n = 0; return NULL;
    }
}

uint64_t *synth__ctgan_net_rng_counter(synth_ctgan_net *net)
{
    return &net->rng_counter;
}

/* ---- inference -------------------------------------------------------------------------------- */

/* Inference runs on the host with its own dense kernel instead of sgemm: BLAS kernels sum in an
 * order that depends on how many rows a call holds and on the thread split, so a row would come
 * out differently in different chunks or shards.  Here every output element is
 *   bias + (((x_0 w_0 + x_1 w_1) + x_2 w_2) + ...)       in k order, one multiply and one add each
 * (no FMA contraction: C11 mode), whatever the number of rows, so sampling stays a pure function
 * of (model, seed, row index).  Weights are transposed into k-major tiles of GEN_TILE columns. */
#define GEN_TILE 16
#define GEN_ROWS 6


/* 8 floats; GCC/Clang vector extension (two SSE registers on the baseline target, one AVX one in
 * the avx2 clone).  Unaligned access through the aligned(4) variant. */
typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));

/* acc (rows x GEN_TILE) = X (rows x in) * wt[:, tile]: 2 x 6 vector accumulators held in
 * registers; each element sees acc = acc + x_k * w_k for k = 0, 1, ... (separate multiply and
 * add: no FMA contraction in C11 mode). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
static void dense_tile(int rows, int in, const float *X, int ldx, const float *wt, int outp, float *acc)
{
    v8 a00 = {0}, a01 = {0}, a10 = {0}, a11 = {0}, a20 = {0}, a21 = {0}, a30 = {0}, a31 = {0}, a40 = {0}, a41 = {0}, a50 = {0}, a51 = {0};
    /* rows past the end repeat row 0 (computed, never stored by the caller) */
    const float *x0 = X;
    const float *x1 = X + (size_t)(1 < rows ? 1 : 0) * ldx;
    const float *x2 = X + (size_t)(2 < rows ? 2 : 0) * ldx;
    const float *x3 = X + (size_t)(3 < rows ? 3 : 0) * ldx;
    const float *x4 = X + (size_t)(4 < rows ? 4 : 0) * ldx;
    const float *x5 = X + (size_t)(5 < rows ? 5 : 0) * ldx;
    for (int k = 0; k < in; k++) {
        const float *w = wt + (size_t)k * outp;
        v8 w0 = *(const v8u *)w, w1 = *(const v8u *)(w + 8);
        v8 b0 = {x0[k], x0[k], x0[k], x0[k], x0[k], x0[k], x0[k], x0[k]};
        a00 += b0 * w0;
        a01 += b0 * w1;
        v8 b1 = {x1[k], x1[k], x1[k], x1[k], x1[k], x1[k], x1[k], x1[k]};
        a10 += b1 * w0;
        a11 += b1 * w1;
        v8 b2 = {x2[k], x2[k], x2[k], x2[k], x2[k], x2[k], x2[k], x2[k]};
        a20 += b2 * w0;
        a21 += b2 * w1;
        v8 b3 = {x3[k], x3[k], x3[k], x3[k], x3[k], x3[k], x3[k], x3[k]};
        a30 += b3 * w0;
        a31 += b3 * w1;
        v8 b4 = {x4[k], x4[k], x4[k], x4[k], x4[k], x4[k], x4[k], x4[k]};
        a40 += b4 * w0;
        a41 += b4 * w1;
        v8 b5 = {x5[k], x5[k], x5[k], x5[k], x5[k], x5[k], x5[k], x5[k]};
        a50 += b5 * w0;
        a51 += b5 * w1;
    }
    *(v8u *)(acc + 0) = a00;
    *(v8u *)(acc + 8) = a01;
    *(v8u *)(acc + 16) = a10;
    *(v8u *)(acc + 24) = a11;
    *(v8u *)(acc + 32) = a20;
    *(v8u *)(acc + 40) = a21;
    *(v8u *)(acc + 48) = a30;
    *(v8u *)(acc + 56) = a31;
    *(v8u *)(acc + 64) = a40;
    *(v8u *)(acc + 72) = a41;
    *(v8u *)(acc + 80) = a50;
    *(v8u *)(acc + 88) = a51;
}

/* Y (rows x out, ldy) = X W^T + bias, deterministic per element (see above). */
static void dense_rows(const dense *d, int rows, const float *X, int ldx, float *Y, int ldy)
{
    for (int i0 = 0; i0 < rows; i0 += GEN_ROWS) {
        int r = rows - i0 < GEN_ROWS ? rows - i0 : GEN_ROWS;
        for (int j0 = 0; j0 < d->outp; j0 += GEN_TILE) {
            float acc[GEN_ROWS * GEN_TILE] = {0};
            dense_tile(r, d->in, X + (size_t)i0 * ldx, ldx, d->wt + j0, d->outp, acc);
            int w = d->out - j0 < GEN_TILE ? d->out - j0 : GEN_TILE;
            for (int rr = 0; rr < r; rr++)
                for (int j = 0; j < w; j++)
                    Y[(size_t)(i0 + rr) * ldy + j0 + j] = acc[rr * GEN_TILE + j] + d->bias[j0 + j];
        }
    }
}

/* Inference batchnorm + ReLU: y = max(a * scale + shift, 0), vectorised (same bits as scalar). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
static void bn_relu_rows(int rows, int cols, const float *A, const float *scale, const float *shift, float *Y, int ldy)
{
    for (int i = 0; i < rows; i++) {
        const float *a = A + (size_t)i * cols;
        float *y = Y + (size_t)i * ldy;
        for (int j = 0; j < cols; j++) {
            float v = a[j] * scale[j] + shift[j];
            y[j] = v > 0.0f ? v : 0.0f;
        }
    }
}

static int dense_make(dense *d, const float *params, lin l)
{
    d->in = l.in;
    d->out = l.out;
    d->outp = (l.out + GEN_TILE - 1) / GEN_TILE * GEN_TILE;
    d->wt = synth_calloc((size_t)l.in * d->outp, sizeof(float));
    if (d->wt == NULL)
        return -1;
    for (int j = 0; j < l.out; j++)
        for (int k = 0; k < l.in; k++)
            d->wt[(size_t)k * d->outp + j] = params[l.w + (size_t)j * l.in + k];
    d->bias = params + l.b;
    return 0;
}

int synth_ctgan_net_generate(const synth_ctgan_net *net, int n, const float *noise, const float *cond,
                             float *out, synth_err *err)
{
    const synth_ctgan_config *c = &net->cfg;
    if (n <= 0)
        return 0;
    if (c->cond_dim > 0 && cond == NULL)
        return synth_err_set(err, SYNTH_USAGE, "ctgan: generate without cond vectors");
    int blk = n < GEN_BLOCK ? n : GEN_BLOCK, maxg = 1, W = net->hwidth, E = c->embedding_dim;
    for (int k = 0; k < c->ngen; k++)
        maxg = c->gen_dims[k] > maxg ? c->gen_dims[k] : maxg;
    int cpu = net->ops->download == NULL || strcmp(net->ops->name, "cpu") == 0;
    float *hostp = cpu ? NULL : synth_malloc((net->G.n + net->nstate + 1) * sizeof(float));
    float *H = synth_malloc((size_t)blk * W * sizeof(float));
    float *A = synth_malloc((size_t)blk * maxg * sizeof(float));
    float *sc = synth_malloc((size_t)2 * maxg * sizeof(float));
    dense d[MAXL + 1] = {{0}};
    int fail = (!cpu && hostp == NULL) || H == NULL || A == NULL || sc == NULL;
    const float *P = net->G.p, *S = net->gstate;
    if (!fail && !cpu) {
        net->ops->download(net->b, hostp, net->G.p, net->G.n);
        net->ops->download(net->b, hostp + net->G.n, net->gstate, net->nstate);
        P = hostp;
        S = hostp + net->G.n;
    }
    for (int k = 0; !fail && !net->inf_ready && k <= c->ngen; k++)
        fail = dense_make(&d[k], P, net->glin[k]) != 0;
    const dense *dl = net->inf_ready ? net->inf : d;
    if (!fail) {
        for (int r0 = 0; r0 < n; r0 += blk) {
            int rows = n - r0 < blk ? n - r0 : blk;
            for (int i = 0; i < rows; i++) {
                float *h = H + (size_t)i * W + net->zcol;
                memcpy(h, noise + (size_t)(r0 + i) * E, (size_t)E * sizeof(float));
                if (c->cond_dim > 0)
                    memcpy(h + E, cond + (size_t)(r0 + i) * c->cond_dim, (size_t)c->cond_dim * sizeof(float));
            }
            for (int k = 0; k < c->ngen; k++) {
                lin l = net->glin[k];
                const float *g = P + net->gamma[k], *be = P + net->beta[k];
                const float *rm = S + net->rmean[k], *rv = S + net->rvar[k];
                for (int j = 0; j < l.out; j++) {
                    sc[j] = g[j] / sqrtf(rv[j] + BN_EPS);
                    sc[maxg + j] = be[j] - rm[j] * sc[j];
                }
                dense_rows(&dl[k], rows, H + net->rcol[k] + l.out, W, A, l.out);
                bn_relu_rows(rows, l.out, A, sc, sc + maxg, H + net->rcol[k], W);
            }
            dense_rows(&dl[c->ngen], rows, H, W, out + (size_t)r0 * c->data_dim, c->data_dim);
        }
    }
    for (int k = 0; k <= c->ngen; k++)
        synth_free(d[k].wt);
    synth_free(hostp);
    synth_free(H);
    synth_free(A);
    synth_free(sc);
    if (fail)
        return synth_err_set(err, SYNTH_NOMEM, "ctgan: out of memory generating %d rows", blk);
    return 0;
}

static void drop_inference(synth_ctgan_net *net)
{
    for (int k = 0; k <= MAXL; k++) {
        synth_free(net->inf[k].wt);
        net->inf[k].wt = NULL;
    }
    net->inf_ready = 0;
}

/* Prepare the transposed weights once (CPU backend: they are host memory).  Failure is not an
 * error: generate then prepares them per call. */
static void prepare_inference(synth_ctgan_net *net)
{
    if (strcmp(net->ops->name, "cpu") != 0)
        return;
    for (int k = 0; k <= net->cfg.ngen; k++)
        if (dense_make(&net->inf[k], net->G.p, net->glin[k]) != 0) {
            drop_inference(net);
            return;
        }
    net->inf_ready = 1;
}

/* ---- blobs ------------------------------------------------------------------------------------ */

/* Header: magic, then 16 uint64 fields (sizes checked on load, seed, RNG counter, steps). */
#define HDR_FIELDS 16

static void header(const synth_ctgan_net *net, uint64_t h[HDR_FIELDS])
{
    const synth_ctgan_config *c = &net->cfg;
    memset(h, 0, HDR_FIELDS * sizeof h[0]);
    h[0] = BLOB_VERSION;
    h[1] = (uint64_t)c->data_dim;
    h[2] = (uint64_t)c->cond_dim;
    h[3] = (uint64_t)c->embedding_dim;
    h[4] = (uint64_t)c->ngen;
    h[5] = (uint64_t)c->ndis;
    h[6] = (uint64_t)c->pac;
    h[7] = net->G.n;
    h[8] = net->nstate;
    h[9] = net->D.n;
    h[10] = net->seed;
    h[11] = net->rng_counter;
    h[12] = net->steps;
    h[13] = net->dsteps;
}

int synth_ctgan_net_save(const synth_ctgan_net *net, unsigned char **blob, size_t *len, synth_err *err)
{
    *blob = NULL;
    *len = 0;
    uint64_t h[HDR_FIELDS];
    header(net, h);
    size_t nf = 3 * net->G.n + net->nstate + 3 * net->D.n;
    size_t total = 8 + sizeof h + nf * sizeof(float);
    unsigned char *p = synth_malloc(total);
    if (p == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "ctgan: out of memory saving the weights (%zu bytes)", total);
    memcpy(p, BLOB_MAGIC, 8);
    memcpy(p + 8, h, sizeof h);
    float *f = (float *)(void *)(p + 8 + sizeof h);
    const float *parts[] = {net->G.p, net->G.m, net->G.v, net->gstate, net->D.p, net->D.m, net->D.v};
    size_t sizes[] = {net->G.n, net->G.n, net->G.n, net->nstate, net->D.n, net->D.n, net->D.n};
    for (int i = 0; i < 7; i++) {
        net->ops->download(net->b, f, parts[i], sizes[i]);
        f += sizes[i];
    }
    *blob = p;
    *len = total;
    return 0;
}

int synth_ctgan_net_load(synth_nn_backend *b, const synth_ctgan_config *cfg, const unsigned char *blob,
                         size_t len, synth_ctgan_net **out, synth_err *err)
{
    *out = NULL;
    synth_ctgan_net *net;
    int rc = net_alloc(b, cfg, &net, err);
    if (rc != 0)
        return rc;
    uint64_t want[HDR_FIELDS], got[HDR_FIELDS];
    header(net, want);
    size_t nf = 3 * net->G.n + net->nstate + 3 * net->D.n;
    if (len < 8 + sizeof got || memcmp(blob, BLOB_MAGIC, 8) != 0) {
        synth_ctgan_net_free(net);
        return synth_err_set(err, SYNTH_MODEL, "ctgan weights: not a CTGAN weight blob");
    }
    memcpy(got, blob + 8, sizeof got);
    if (got[0] != BLOB_VERSION) {
        synth_ctgan_net_free(net);
        return synth_err_set(err, SYNTH_MODEL, "ctgan weights: format version %llu, this build reads %u",
                             (unsigned long long)got[0], BLOB_VERSION);
    }
    for (int i = 1; i <= 9; i++)
        if (got[i] != want[i]) {
            synth_ctgan_net_free(net);
            return synth_err_set(err, SYNTH_MODEL, "ctgan weights: size field %d is %llu, the model expects %llu",
                                 i, (unsigned long long)got[i], (unsigned long long)want[i]);
        }
    if (got[14] != 0 || got[15] != 0) {
        synth_ctgan_net_free(net);
        return synth_err_set(err, SYNTH_MODEL, "ctgan weights: reserved header fields are set (newer format?)");
    }
    if (len != 8 + sizeof got + nf * sizeof(float)) {
        synth_ctgan_net_free(net);
        return synth_err_set(err, SYNTH_MODEL, "ctgan weights: blob is %zu bytes, expected %zu", len,
                             8 + sizeof got + nf * sizeof(float));
    }
    net->seed = got[10];
    net->rng_counter = got[11];
    net->steps = got[12];
    net->dsteps = got[13];
    float *tmp = synth_malloc(nf * sizeof(float) + 1);
    if (tmp == NULL) {
        synth_ctgan_net_free(net);
        return synth_err_set(err, SYNTH_NOMEM, "ctgan weights: out of memory");
    }
    memcpy(tmp, blob + 8 + sizeof got, nf * sizeof(float));
    const float *f = tmp;
    float *parts[] = {net->G.p, net->G.m, net->G.v, net->gstate, net->D.p, net->D.m, net->D.v};
    size_t sizes[] = {net->G.n, net->G.n, net->G.n, net->nstate, net->D.n, net->D.n, net->D.n};
    for (int i = 0; i < 7; i++) {
        net->ops->upload(b, parts[i], f, sizes[i]);
        f += sizes[i];
    }
    synth_free(tmp);
    prepare_inference(net);
    *out = net;
    return 0;
}
