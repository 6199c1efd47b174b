/* ctgan.c -- the CTGAN generator (Xu et al. 2019) behind the generator interface.
 *
 * Fit: the transformer (transformer.h) encodes the reservoir sample, the sampler (sampler.h)
 * builds training-by-sampling indexes, and each epoch runs max(rows / batch, 1) steps of the
 * network's WGAN-GP update (generators/nn/ctgan_net.h) on batches assembled here exactly as the
 * reference's fit loop does: cond vectors c1 and masks, a permutation, real rows matching the
 * permuted conds (c2).  All randomness of a step comes from the counter-based RNG keyed by the
 * seed and the global step number, and the net carries its own RNG state, so a run resumed from
 * a checkpoint (the same model-file format plus the epoch) ends bit-identical to an uninterrupted
 * one (with one BLAS thread).  One line of progress per epoch goes to opt->log.
 * Sample: for each output row, the noise and the cond vector come from the counter-based RNG keyed
 * by (seed, row index), rows go through the generator in fixed blocks of BLOCK rows (zero-padded)
 * with batchnorm in inference mode, and each row is decoded with its own Gumbel draws; so output
 * is byte-identical for any thread count, chunk size or shard.  Id and PII columns are filled from
 * the row index as for the copula; text columns, which CTGAN does not model, come from a copula
 * model of the same table (its bag-of-words text model), fitted and stored alongside.
 * The model is immutable after fit/load; sampling is thread-safe. */
#include "ctgan/ctgan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "copula/copula.h"
#include "ctgan/sampler.h"
#include "ctgan/transformer.h"
#include "model_file.h"
#include "nn/ctgan_net.h"
#include "rng.h"
#include "signals.h"

#define BLOCK 256
#define STREAM_TRAIN (SYNTH_STREAM_GENERATOR + 64)   /* + critic step (0..7); +8 the generator step */
#define STREAM_NOISE (SYNTH_STREAM_GENERATOR + 80)
#define STREAM_DRAW (SYNTH_STREAM_GENERATOR + 81)
#define MAX_DSTEPS 8

typedef struct ctgan_params {
    uint64_t epochs, batch, embedding_dim, pac, dsteps, max_modes;
    int gen_dims[SYNTH_CTGAN_MAX_LAYERS], ngen;
    int dis_dims[SYNTH_CTGAN_MAX_LAYERS], ndis;
    double lr_g, lr_d, decay_g, decay_d, point_share;
    int log_frequency_sampling;
    uint64_t seed;
} ctgan_params;

struct synth_model {
    const synth_schema *schema;
    ctgan_params p;
    synth_ctgan_transformer *tf;
    synth_ctgan_sampler *sampler;
    synth_nn_backend *backend;
    synth_ctgan_net *net;
    synth_ctgan_config cfg;
    uint64_t epochs_done;
    double loss_g, loss_d, seconds_per_epoch;
    char device[8];
    synth_model *text;   /* copula model whose text columns fill ours (only when the schema has text) */
};

static const synth_param_desc ctgan_params_desc[] = {
    {"epochs", "300", "training epochs (also --epochs)"},
    {"batch_size", "500", "rows per training batch (a multiple of pac)"},
    {"embedding_dim", "128", "noise width"},
    {"generator_dim", "256,256", "generator residual layer widths (1 to 4, comma-separated)"},
    {"discriminator_dim", "256,256", "critic layer widths (1 to 4, comma-separated)"},
    {"generator_lr", "2e-4", "generator Adam learning rate"},
    {"discriminator_lr", "2e-4", "critic Adam learning rate"},
    {"generator_decay", "1e-6", "generator weight decay"},
    {"discriminator_decay", "1e-6", "critic weight decay"},
    {"pac", "10", "rows per critic pack (PacGAN)"},
    {"discriminator_steps", "1", "critic updates per generator update"},
    {"max_modes", "10", "mixture components per continuous column"},
    {"point_mass", "0", "a continuous column's most frequent value with at least this share gets an exact mode "
                        "(e.g. 0.1; 0 = off, the reference)"},
    {"sample_cond", "frequency", "generation cond vectors by category frequency, or log_frequency (reference)"},
    {NULL, NULL, NULL},
};

/* ---- parameters ------------------------------------------------------------------------------ */

static int param_uint(const synth_fit_options *opt, const char *key, uint64_t dflt, uint64_t lo, uint64_t hi,
                      uint64_t *out, synth_err *err)
{
    const char *v = synth_param_get(opt, key);
    *out = dflt;
    if (v == NULL)
        return 0;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (*v == '\0' || *end != '\0' || *v == '-' || x < lo || x > hi)
        return synth_err_set(err, SYNTH_USAGE, "--param %s=%s: expected an integer %llu..%llu", key, v,
                             (unsigned long long)lo, (unsigned long long)hi);
    *out = x;
    return 0;
}

static int param_real(const synth_fit_options *opt, const char *key, double dflt, double *out, synth_err *err)
{
    const char *v = synth_param_get(opt, key);
    *out = dflt;
    if (v == NULL)
        return 0;
    char *end;
    double x = strtod(v, &end);
    if (*v == '\0' || *end != '\0' || !(x >= 0) || !isfinite(x) || x > 1.0)
        return synth_err_set(err, SYNTH_USAGE, "--param %s=%s: expected a number in [0, 1]", key, v);
    *out = x;
    return 0;
}

static int param_dims(const synth_fit_options *opt, const char *key, int *dims, int *n, synth_err *err)
{
    const char *v = synth_param_get(opt, key);
    dims[0] = dims[1] = 256;
    *n = 2;
    if (v == NULL)
        return 0;
    *n = 0;
    const char *s = v;
    while (*s != '\0') {
        char *end;
        long x = strtol(s, &end, 10);
        if (end == s || x < 1 || x > 4096 || *n == SYNTH_CTGAN_MAX_LAYERS || (*end != ',' && *end != '\0'))
            return synth_err_set(err, SYNTH_USAGE, "--param %s=%s: expected 1 to %d widths 1..4096, like 256,256",
                                 key, v, SYNTH_CTGAN_MAX_LAYERS);
        dims[(*n)++] = (int)x;
        s = *end == ',' ? end + 1 : end;
    }
    if (*n == 0)
        return synth_err_set(err, SYNTH_USAGE, "--param %s: empty", key);
    return 0;
}

static int parse_params(ctgan_params *p, const synth_fit_options *opt, synth_err *err)
{
    int rc;
    if ((rc = param_uint(opt, "epochs", 300, 1, 1000000, &p->epochs, err)) ||
        (rc = param_uint(opt, "batch_size", 500, 2, 1000000, &p->batch, err)) ||
        (rc = param_uint(opt, "embedding_dim", 128, 1, 4096, &p->embedding_dim, err)) ||
        (rc = param_uint(opt, "pac", 10, 1, 1000, &p->pac, err)) ||
        (rc = param_uint(opt, "discriminator_steps", 1, 1, MAX_DSTEPS, &p->dsteps, err)) ||
        (rc = param_uint(opt, "max_modes", 10, 1, SYNTH_BGM_MAX_COMPONENTS, &p->max_modes, err)) ||
        (rc = param_real(opt, "generator_lr", 2e-4, &p->lr_g, err)) ||
        (rc = param_real(opt, "discriminator_lr", 2e-4, &p->lr_d, err)) ||
        (rc = param_real(opt, "generator_decay", 1e-6, &p->decay_g, err)) ||
        (rc = param_real(opt, "discriminator_decay", 1e-6, &p->decay_d, err)) ||
        (rc = param_real(opt, "point_mass", 0, &p->point_share, err)) ||
        (rc = param_dims(opt, "generator_dim", p->gen_dims, &p->ngen, err)) ||
        (rc = param_dims(opt, "discriminator_dim", p->dis_dims, &p->ndis, err)))
        return rc;
    if (p->batch % p->pac != 0)
        return synth_err_set(err, SYNTH_USAGE, "--param batch_size=%llu must be a multiple of pac=%llu",
                             (unsigned long long)p->batch, (unsigned long long)p->pac);
    const char *sc = synth_param_get(opt, "sample_cond");
    if (sc != NULL && strcmp(sc, "frequency") != 0 && strcmp(sc, "log_frequency") != 0)
        return synth_err_set(err, SYNTH_USAGE, "--param sample_cond=%s: expected frequency or log_frequency", sc);
    p->log_frequency_sampling = sc != NULL && strcmp(sc, "log_frequency") == 0;
    p->seed = opt->seed;
    return 0;
}

static json_t *dims_json(const int *d, int n)
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, json_integer(d[i]));
    return a;
}

static json_t *params_json(const ctgan_params *p)
{
    return json_pack("{s:I, s:I, s:I, s:o, s:o, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:f, s:s, s:I}", "epochs",
                     (json_int_t)p->epochs, "batch_size", (json_int_t)p->batch, "embedding_dim",
                     (json_int_t)p->embedding_dim, "generator_dim", dims_json(p->gen_dims, p->ngen),
                     "discriminator_dim", dims_json(p->dis_dims, p->ndis), "generator_lr", p->lr_g,
                     "discriminator_lr", p->lr_d, "generator_decay", p->decay_g, "discriminator_decay", p->decay_d,
                     "pac", (json_int_t)p->pac, "discriminator_steps", (json_int_t)p->dsteps, "max_modes",
                     (json_int_t)p->max_modes, "point_mass", p->point_share, "sample_cond", p->log_frequency_sampling ? "log_frequency" : "frequency",
                     "seed", (json_int_t)p->seed);
}

static int read_dims(const json_t *a, int *d, int *n)
{
    *n = (int)json_array_size(a);
    if (*n < 1 || *n > SYNTH_CTGAN_MAX_LAYERS)
        return -1;
    for (int i = 0; i < *n; i++) {
        json_int_t x = json_integer_value(json_array_get(a, (size_t)i));
        if (x < 1 || x > 4096)
            return -1;
        d[i] = (int)x;
    }
    return 0;
}

static int params_from_json(ctgan_params *p, const json_t *j)
{
    p->epochs = (uint64_t)json_integer_value(json_object_get(j, "epochs"));
    p->batch = (uint64_t)json_integer_value(json_object_get(j, "batch_size"));
    p->embedding_dim = (uint64_t)json_integer_value(json_object_get(j, "embedding_dim"));
    p->pac = (uint64_t)json_integer_value(json_object_get(j, "pac"));
    p->dsteps = (uint64_t)json_integer_value(json_object_get(j, "discriminator_steps"));
    p->max_modes = (uint64_t)json_integer_value(json_object_get(j, "max_modes"));
    p->lr_g = json_number_value(json_object_get(j, "generator_lr"));
    p->lr_d = json_number_value(json_object_get(j, "discriminator_lr"));
    p->decay_g = json_number_value(json_object_get(j, "generator_decay"));
    p->decay_d = json_number_value(json_object_get(j, "discriminator_decay"));
    p->point_share = json_number_value(json_object_get(j, "point_mass"));
    p->seed = (uint64_t)json_integer_value(json_object_get(j, "seed"));
    const char *sc = json_string_value(json_object_get(j, "sample_cond"));
    p->log_frequency_sampling = sc != NULL && strcmp(sc, "log_frequency") == 0;
    if (read_dims(json_object_get(j, "generator_dim"), p->gen_dims, &p->ngen) ||
        read_dims(json_object_get(j, "discriminator_dim"), p->dis_dims, &p->ndis))
        return -1;
    if (p->batch < 2 || p->pac < 1 || p->batch % p->pac != 0 || p->embedding_dim < 1 || p->embedding_dim > 4096 ||
        p->dsteps < 1 || p->dsteps > MAX_DSTEPS)
        return -1;
    return 0;
}

static void make_config(synth_model *m)
{
    synth_ctgan_config *c = &m->cfg;
    synth_ctgan_config_defaults(c);
    const synth_ctgan_transformer *tf = m->tf;
    c->data_dim = tf->data_dim;
    c->spans = tf->spans;
    c->nspans = tf->nspans;
    c->cond_dim = tf->cond_dim;
    c->cond_span_index = tf->cond_span_index;
    c->cond_offset = tf->cond_offset;
    c->ndiscrete = tf->ndiscrete;
    c->embedding_dim = (int)m->p.embedding_dim;
    memcpy(c->gen_dims, m->p.gen_dims, sizeof c->gen_dims);
    c->ngen = m->p.ngen;
    memcpy(c->dis_dims, m->p.dis_dims, sizeof c->dis_dims);
    c->ndis = m->p.ndis;
    c->pac = (int)m->p.pac;
    c->lr_g = (float)m->p.lr_g;
    c->lr_d = (float)m->p.lr_d;
    c->weight_decay_g = (float)m->p.decay_g;
    c->weight_decay_d = (float)m->p.decay_d;
    c->discriminator_steps = (int)m->p.dsteps;
}

static void model_free(synth_model *m)
{
    if (m == NULL)
        return;
    synth_ctgan_net_free(m->net);
    synth_nn_backend_free(m->backend);
    synth_ctgan_sampler_free(m->sampler);
    synth_ctgan_transformer_free(m->tf);
    if (m->text != NULL)
        synth_copula_generator.free(m->text);
    synth_free(m);
}

static int has_text(const synth_schema *s)
{
    for (size_t c = 0; c < s->ncols; c++)
        if (s->cols[c].type == SYNTH_COL_TEXT)
            return 1;
    return 0;
}

/* ---- save / load (also the checkpoint format) ------------------------------------------------- */

static json_t *model_json(const synth_model *m)
{
    json_t *counts = json_array();
    for (int i = 0; counts != NULL && i < m->sampler->cond_dim; i++)
        json_array_append_new(counts, json_integer((json_int_t)m->sampler->count[i]));
    return json_pack("{s:o, s:o, s:o, s:I, s:f, s:f, s:f, s:s}", "params", params_json(&m->p), "transformer",
                     synth_ctgan_transformer_to_json(m->tf, m->schema), "category_counts", counts, "epochs_done",
                     (json_int_t)m->epochs_done, "loss_g", isfinite(m->loss_g) ? m->loss_g : 0.0, "loss_d",
                     isfinite(m->loss_d) ? m->loss_d : 0.0, "seconds_per_epoch", m->seconds_per_epoch,
                     "device", m->device);
}

static int ctgan_save(const synth_model *m, synth_model_file *mf, synth_err *err)
{
    json_t *root = model_json(m);
    char *text = root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(root);
    if (text == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory saving the model");
    int rc = synth_model_file_set_meta(mf, "ctgan", text, err);
    free(text);
    if (rc)
        return rc;
    unsigned char *blob;
    size_t len;
    if ((rc = synth_ctgan_net_save(m->net, &blob, &len, err)))
        return rc;
    rc = synth_model_file_put_blob(mf, "ctgan_net", blob, len, err);
    synth_free(blob);
    if (rc == 0 && m->text != NULL)   /* the copula's own metadata and blobs, as it stores them */
        rc = synth_copula_generator.save(m->text, mf, err);
    return rc;
}

static int bad_model(synth_err *err, const char *what)
{
    return synth_err_set(err, SYNTH_MODEL, "ctgan model is damaged: %s", what);
}

/* Everything but the net: params, transformer, sampler counts, training facts. */
static int load_state(synth_model *m, synth_model_file *mf, synth_err *err)
{
    char *text = NULL;
    int rc = synth_model_file_get_meta(mf, "ctgan", &text, err);
    if (rc)
        return rc;
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    synth_free(text);
    if (root == NULL)
        return bad_model(err, "metadata is not JSON");
    if (params_from_json(&m->p, json_object_get(root, "params"))) {
        json_decref(root);
        return bad_model(err, "parameters");
    }
    rc = synth_ctgan_transformer_from_json(json_object_get(root, "transformer"), m->schema, &m->tf, err);
    if (rc) {
        json_decref(root);
        return rc;
    }
    const json_t *counts = json_object_get(root, "category_counts");
    size_t cd = (size_t)m->tf->cond_dim;
    uint64_t *c = synth_calloc(cd ? cd : 1, sizeof *c);
    if (c == NULL) {
        json_decref(root);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    if (json_array_size(counts) != cd) {
        synth_free(c);
        json_decref(root);
        return bad_model(err, "category counts");
    }
    for (size_t i = 0; i < cd; i++) {
        json_int_t x = json_integer_value(json_array_get(counts, i));
        c[i] = x > 0 ? (uint64_t)x : 0;
    }
    rc = synth_ctgan_sampler_from_counts(c, m->tf->ndiscrete, m->tf->disc_ncat, &m->sampler, err);
    synth_free(c);
    m->epochs_done = (uint64_t)json_integer_value(json_object_get(root, "epochs_done"));
    m->loss_g = json_number_value(json_object_get(root, "loss_g"));
    m->loss_d = json_number_value(json_object_get(root, "loss_d"));
    m->seconds_per_epoch = json_number_value(json_object_get(root, "seconds_per_epoch"));
    const char *dev = json_string_value(json_object_get(root, "device"));
    snprintf(m->device, sizeof m->device, "%s", dev ? dev : "cpu");
    json_decref(root);
    if (rc == 0)
        make_config(m);
    return rc;
}

static int load_net(synth_model *m, synth_model_file *mf, synth_err *err)
{
    void *blob = NULL;
    size_t len = 0;
    int rc = synth_model_file_get_blob(mf, "ctgan_net", &blob, &len, err);
    if (rc)
        return rc;
    rc = synth_ctgan_net_load(m->backend, &m->cfg, blob, len, &m->net, err);
    synth_free(blob);
    return rc;
}

static int ctgan_load(synth_model_file *mf, const synth_schema *schema, synth_model **out, synth_err *err)
{
    *out = NULL;
    synth_model *m = synth_calloc(1, sizeof *m);
    if (m == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    m->schema = schema;
    int rc = load_state(m, mf, err);
    /* Generation runs on the CPU backend with one BLAS thread: the engine already spreads chunks
     * over its worker threads. */
    if (rc == 0)
        rc = synth_nn_backend_open("cpu", 1, &m->backend, err);
    if (rc == 0)
        rc = load_net(m, mf, err);
    if (rc == 0 && has_text(schema)) {
        /* a checkpoint has no text model yet (it is fitted after training): text stays null */
        char *fmt = NULL;
        int is_ckpt = synth_model_file_get_meta(mf, "format", &fmt, NULL) == 0 &&
                      strcmp(fmt, "synth-ctgan-checkpoint") == 0;
        synth_free(fmt);
        if (!is_ckpt)
            rc = synth_copula_generator.load(mf, schema, &m->text, err);
    }
    if (rc) {
        model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ---- fit ------------------------------------------------------------------------------------- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int write_checkpoint(const synth_model *m, const char *path, synth_err *err)
{
    synth_model_file *mf = NULL;
    int rc = synth_model_file_create(&mf, path, err);
    if (rc)
        return rc;
    /* With the schema and the usual metadata a checkpoint is also a model `synth generate` and
     * `synth inspect` open (to look at a long training while it runs). */
    char num[32], created[32];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    snprintf(num, sizeof num, "%llu", (unsigned long long)m->epochs_done);
    json_t *sj = synth_schema_to_json(m->schema);
    char *schema_text = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
    json_decref(sj);
    if (schema_text == NULL) {
        synth_model_file_free(mf);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    if ((rc = synth_model_file_set_meta(mf, "format", "synth-ctgan-checkpoint", err)) ||
        (rc = synth_model_file_set_meta(mf, "generator", "ctgan", err)) ||
        (rc = synth_model_file_set_meta(mf, "synth_version", SYNTH_VERSION, err)) ||
        (rc = synth_model_file_set_meta(mf, "created_at", created, err)) ||
        (rc = synth_model_file_set_meta(mf, "schema", schema_text, err)) ||
        (rc = synth_model_file_set_meta(mf, "checkpoint_epoch", num, err)) || (rc = ctgan_save(m, mf, err))) {
        free(schema_text);
        synth_model_file_free(mf);
        return rc;
    }
    free(schema_text);
    return synth_model_file_commit(mf, err);
}

/* Start from a checkpoint: its parameters (the epochs may be raised), transformer and net. */
static int resume_from(synth_model *m, const char *path, uint64_t epochs, synth_err *err)
{
    synth_model_file *mf = NULL;
    int rc = synth_model_file_open(&mf, path, err);
    if (rc)
        return rc;
    char *fmt = NULL;
    rc = synth_model_file_get_meta(mf, "format", &fmt, err);
    if (rc == 0 && strcmp(fmt, "synth-ctgan-checkpoint") != 0)
        rc = synth_err_set(err, SYNTH_USAGE, "--resume %s: not a ctgan checkpoint", path);
    synth_free(fmt);
    if (rc == 0) {
        rc = load_state(m, mf, err);
        if (rc)
            synth_err_prefix(err, "--resume %s: ", path);
    }
    if (rc == 0)
        rc = load_net(m, mf, err);
    synth_model_file_free(mf);
    if (rc == 0)
        m->p.epochs = epochs;
    return rc;
}

typedef struct train_buffers {
    float *real[MAX_DSTEPS], *c1[MAX_DSTEPS], *c2[MAX_DSTEPS], *m1[MAX_DSTEPS];
    float *gc, *gm;
    int *col, *cat, *perm;
} train_buffers;

static void buffers_free(train_buffers *b)
{
    for (int i = 0; i < MAX_DSTEPS; i++) {
        synth_free(b->real[i]);
        synth_free(b->c1[i]);
        synth_free(b->c2[i]);
        synth_free(b->m1[i]);
    }
    synth_free(b->gc);
    synth_free(b->gm);
    synth_free(b->col);
    synth_free(b->cat);
    synth_free(b->perm);
}

static int buffers_alloc(train_buffers *b, int nd, size_t batch, size_t dim, size_t cd, size_t ndisc)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < nd; i++) {
        b->real[i] = synth_malloc(batch * dim * sizeof(float));
        b->c1[i] = synth_malloc((cd ? batch * cd : 1) * sizeof(float));
        b->c2[i] = synth_malloc((cd ? batch * cd : 1) * sizeof(float));
        b->m1[i] = synth_malloc((ndisc ? batch * ndisc : 1) * sizeof(float));
        if (b->real[i] == NULL || b->c1[i] == NULL || b->c2[i] == NULL || b->m1[i] == NULL)
            return SYNTH_NOMEM;
    }
    b->gc = synth_malloc((cd ? batch * cd : 1) * sizeof(float));
    b->gm = synth_malloc((ndisc ? batch * ndisc : 1) * sizeof(float));
    b->col = synth_malloc(batch * sizeof(int));
    b->cat = synth_malloc(batch * sizeof(int));
    b->perm = synth_malloc(batch * sizeof(int));
    return b->gc && b->gm && b->col && b->cat && b->perm ? 0 : SYNTH_NOMEM;
}

/* Assemble critic batch i of global step `step` (the reference's c1, m1, perm, real, c2). */
static void critic_batch(const synth_model *m, const float *data, size_t nrows, uint64_t step, int i,
                         train_buffers *b)
{
    const synth_ctgan_sampler *s = m->sampler;
    size_t batch = (size_t)m->p.batch, dim = (size_t)m->tf->data_dim, cd = (size_t)s->cond_dim;
    synth_rng rng;
    synth_rng_init(&rng, m->p.seed, step, STREAM_TRAIN + (uint32_t)i);
    if (s->ndiscrete == 0) {
        for (size_t r = 0; r < batch; r++)
            memcpy(b->real[i] + r * dim, data + synth_rng_below(&rng, nrows) * dim, dim * sizeof(float));
        return;
    }
    synth_ctgan_sampler_condvec(s, &rng, (int)batch, b->c1[i], b->m1[i], b->col, b->cat);
    for (size_t r = 0; r < batch; r++)
        b->perm[r] = (int)r;
    for (size_t r = batch - 1; r > 0; r--) {   /* Fisher-Yates */
        size_t j = (size_t)synth_rng_below(&rng, r + 1);
        int t = b->perm[r];
        b->perm[r] = b->perm[j];
        b->perm[j] = t;
    }
    for (size_t r = 0; r < batch; r++) {
        size_t p = (size_t)b->perm[r];
        size_t row = synth_ctgan_sampler_row(s, &rng, b->col[p], b->cat[p]);
        memcpy(b->real[i] + r * dim, data + row * dim, dim * sizeof(float));
        memcpy(b->c2[i] + r * cd, b->c1[i] + p * cd, cd * sizeof(float));
    }
}

static int train(synth_model *m, const float *data, size_t nrows, const synth_fit_options *opt, synth_err *err)
{
    size_t batch = (size_t)m->p.batch;
    int nd = (int)m->p.dsteps;
    train_buffers b;
    if (buffers_alloc(&b, nd, batch, (size_t)m->tf->data_dim, (size_t)m->tf->cond_dim, (size_t)m->tf->ndiscrete)) {
        buffers_free(&b);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    uint64_t steps = nrows / batch > 0 ? nrows / batch : 1;
    unsigned every = opt->checkpoint_every ? opt->checkpoint_every : 10;
    int rc = 0;
    double total_time = 0;
    uint64_t timed = 0;
    for (uint64_t epoch = m->epochs_done + 1; epoch <= m->p.epochs; epoch++) {
        double t0 = now_seconds();
        float ld = 0, lg = 0;
        for (uint64_t st = 0; st < steps; st++) {
            uint64_t gstep = (epoch - 1) * steps + st;
            synth_ctgan_dbatch db[MAX_DSTEPS];
            for (int i = 0; i < nd; i++) {
                critic_batch(m, data, nrows, gstep, i, &b);
                db[i] = (synth_ctgan_dbatch){b.real[i], b.c1[i], b.c2[i], b.m1[i]};
            }
            synth_ctgan_gbatch gb = {b.gc, b.gm};
            if (m->sampler->ndiscrete > 0) {
                synth_rng rng;
                synth_rng_init(&rng, m->p.seed, gstep, STREAM_TRAIN + MAX_DSTEPS);
                synth_ctgan_sampler_condvec(m->sampler, &rng, (int)batch, b.gc, b.gm, b.col, b.cat);
            }
            if ((rc = synth_ctgan_net_train_step(m->net, (int)batch, db, nd, &gb, &ld, &lg, err)) != 0) {
                synth_err_prefix(err, "epoch %llu: ", (unsigned long long)epoch);
                goto done;
            }
        }
        double secs = now_seconds() - t0;
        total_time += secs;
        timed++;
        m->epochs_done = epoch;
        m->loss_d = ld;
        m->loss_g = lg;
        m->seconds_per_epoch = total_time / (double)timed;
        if (opt->log != NULL) {
            char line[160];
            snprintf(line, sizeof line, "epoch %llu/%llu  loss_g %.3f  loss_d %.3f  %.1f s",
                     (unsigned long long)epoch, (unsigned long long)m->p.epochs, (double)lg, (double)ld, secs);
            opt->log(opt->log_ctx, line);
        }
        int stop = synth_signals_interrupted();
        if (opt->checkpoint_path != NULL && (epoch % every == 0 || stop)) {
            if ((rc = write_checkpoint(m, opt->checkpoint_path, err)) != 0)
                goto done;
        }
        if (stop) {
            if (opt->log != NULL && opt->checkpoint_path != NULL) {
                char line[600];
                snprintf(line, sizeof line, "interrupted after epoch %llu; checkpoint written: resume with --resume %s",
                         (unsigned long long)epoch, opt->checkpoint_path);
                opt->log(opt->log_ctx, line);
            }
            rc = synth_err_set(err, SYNTH_INTERRUPTED, "interrupted after epoch %llu%s%s", (unsigned long long)epoch,
                               opt->checkpoint_path ? "; resume with --resume " : "",
                               opt->checkpoint_path ? opt->checkpoint_path : "");
            goto done;
        }
    }
done:
    buffers_free(&b);
    return rc;
}

static int ctgan_fit(const synth_schema *schema, const synth_sample_table *t, const synth_fit_options *opt,
                     synth_model **out, synth_err *err)
{
    *out = NULL;
    if (t == NULL || t->nrows == 0)
        return synth_err_set(err, SYNTH_BAD_INPUT, "no rows to fit");
    synth_model *m = synth_calloc(1, sizeof *m);
    if (m == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    m->schema = schema;
    snprintf(m->device, sizeof m->device, "%s", opt->device ? opt->device : "cpu");
    float *data = NULL;
    int32_t *cats = NULL;
    int rc = parse_params(&m->p, opt, err);
    if (rc == 0)
        rc = synth_nn_backend_open(m->device, opt->threads, &m->backend, err);
    if (rc)
        goto done;
    double t0 = now_seconds();
    clock_t c0 = clock();   /* CPU time too: wall time on a shared machine carries its load */
    if (opt->resume_path != NULL) {
        if ((rc = resume_from(m, opt->resume_path, m->p.epochs, err)))
            goto done;
    } else if ((rc = synth_ctgan_transformer_fit(schema, t, (int)m->p.max_modes, m->p.point_share, m->p.seed,
                                                     &m->tf, err))) {
        goto done;
    }
    if (m->tf->data_dim == 0) {
        rc = synth_err_set(err, SYNTH_BAD_INPUT, "ctgan: nothing to learn: every column is an id, PII or text "
                           "column (the copula generator handles such tables)");
        goto done;
    }
    if ((rc = synth_ctgan_transform(m->tf, schema, t, m->p.seed, &data, &cats, err)))
        goto done;
    if (opt->log != NULL) {
        char line[200];
        snprintf(line, sizeof line,
                 "preprocessing %.2f s (%.2f s CPU): %zu rows -> data_dim %d, cond_dim %d (%d discrete columns)%s",
                 now_seconds() - t0, (double)(clock() - c0) / CLOCKS_PER_SEC, t->nrows, m->tf->data_dim, m->tf->cond_dim, m->tf->ndiscrete,
                 opt->resume_path ? ", transformer from the checkpoint" : "");
        opt->log(opt->log_ctx, line);
    }
    synth_ctgan_sampler_free(m->sampler);   /* a resumed model has a counts-only sampler */
    m->sampler = NULL;
    if ((rc = synth_ctgan_sampler_new(cats, t->nrows, m->tf->ndiscrete, m->tf->disc_ncat, &m->sampler, err)))
        goto done;
    make_config(m);
    if (m->net == NULL && (rc = synth_ctgan_net_new(m->backend, &m->cfg, m->p.seed, &m->net, err)))
        goto done;
    rc = train(m, data, t->nrows, opt, err);
    /* CTGAN does not model free text; the copula's bag-of-words model of those columns does. */
    if (rc == 0 && has_text(schema)) {
        synth_fit_options copt = {.seed = opt->seed, .progress = SYNTH_PROGRESS_NEVER};
        rc = synth_copula_generator.fit(schema, t, &copt, &m->text, err);
    }
done:
    synth_free(data);
    synth_free(cats);
    if (rc) {
        model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ---- sample ---------------------------------------------------------------------------------- */

static int ctgan_sample(const synth_model *m, uint64_t seed, synth_chunk *ch, synth_err *err)
{
    const synth_schema *s = m->schema;
    size_t n = ch->nrows, emb = (size_t)m->cfg.embedding_dim, cd = (size_t)m->cfg.cond_dim;
    size_t dim = (size_t)m->cfg.data_dim;
    size_t bytes = BLOCK * (emb + (cd ? cd : 1) + dim) * sizeof(float) + BLOCK * sizeof(synth_rng);
    synth_rng *draw = synth_chunk_scratch(ch, bytes);   /* BLOCK rngs, then the float arrays */
    if (draw == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    float *noise = (void *)(draw + BLOCK);
    float *cond = noise + BLOCK * emb;
    float *raw = cond + BLOCK * (cd ? cd : 1);
    ch->arena_len = 0;
    if (m->text != NULL) {
        /* text columns (and everything else, overwritten below) from the copula; its scratch
         * use comes first, so ours is asked for afterwards */
        int rc = synth_copula_generator.sample(m->text, seed, ch, err);
        if (rc)
            return rc;
        draw = synth_chunk_scratch(ch, bytes);
        if (draw == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        noise = (void *)(draw + BLOCK);
        cond = noise + BLOCK * emb;
        raw = cond + BLOCK * (cd ? cd : 1);
    }
    for (size_t b0 = 0; b0 < n; b0 += BLOCK) {
        size_t nb = n - b0 < BLOCK ? n - b0 : BLOCK;
        memset(noise, 0, BLOCK * emb * sizeof(float));
        memset(cond, 0, BLOCK * (cd ? cd : 1) * sizeof(float));
        for (size_t i = 0; i < nb; i++) {
            uint64_t row = ch->first_row + b0 + i;
            synth_gsl_rng g;
            synth_gsl_rng_init(&g, seed, row, STREAM_NOISE);
            for (size_t k = 0; k < emb; k++)
                noise[i * emb + k] = (float)synth_gsl_rng_normal(&g);
            synth_rng_init(&draw[i], seed, row, STREAM_DRAW);
            if (cd)
                synth_ctgan_sampler_generation_cond(m->sampler, &draw[i], m->p.log_frequency_sampling, cond + i * cd);
        }
        /* Always a full block: every row is computed in the same position-independent way. */
        int rc = synth_ctgan_net_generate(m->net, BLOCK, noise, cd ? cond : NULL, raw, err);
        if (rc)
            return rc;
        for (size_t i = 0; i < nb; i++)
            synth_ctgan_decode_row(m->tf, s, raw + i * dim, &draw[i], ch, b0 + i);
    }
    for (size_t c = 0; c < s->ncols; c++) {
        synth_col_type ty = s->cols[c].type;
        if (ty != SYNTH_COL_ID && ty != SYNTH_COL_PII && (ty != SYNTH_COL_TEXT || m->text != NULL))
            continue;
        for (size_t r = 0; r < n; r++) {
            /* ids and PII: the formatter makes a fresh value from the row index; text without a
             * text model (a checkpoint) is null */
            ch->is_null[c * ch->cap + r] = ty == SYNTH_COL_TEXT;
            ch->cells[c * ch->cap + r].index = (int64_t)(ch->first_row + r);
        }
    }
    return 0;
}

static json_t *ctgan_describe(const synth_model *m)
{
    json_t *cols = json_array();
    for (size_t i = 0; cols != NULL && i < m->tf->ncols; i++) {
        const synth_ctgan_tcol *tc = &m->tf->cols[i];
        json_t *o = tc->continuous
                        ? json_pack("{s:s, s:s, s:i, s:b}", "column", m->schema->cols[tc->col].name, "encoding",
                                    "mode-specific normalisation", "modes", tc->nmodes, "null_part", tc->has_null)
                        : json_pack("{s:s, s:s, s:i}", "column", m->schema->cols[tc->col].name, "encoding",
                                    "one-hot (conditional)", "slots", tc->ncat);
        json_array_append_new(cols, o);
    }
    return json_pack("{s:o, s:o, s:i, s:i, s:I, s:f, s:f, s:f, s:s}", "params", params_json(&m->p), "columns", cols,
                     "data_dim", m->tf->data_dim, "cond_dim", m->tf->cond_dim, "epochs_trained",
                     (json_int_t)m->epochs_done, "loss_g", m->loss_g, "loss_d", m->loss_d, "seconds_per_epoch",
                     m->seconds_per_epoch, "trained_on", m->device);
}

int synth_ctgan_model_net_blob(const synth_model *m, unsigned char **blob, size_t *len, synth_err *err)
{
    return synth_ctgan_net_save(m->net, blob, len, err);
}

const synth_generator synth_ctgan_generator = {
    .name = "ctgan",
    .description = "CTGAN (Xu et al. 2019): conditional tabular GAN with mode-specific normalisation, "
                   "training-by-sampling and a WGAN-GP PacGAN critic",
    .params = ctgan_params_desc,
    .fit = ctgan_fit,
    .sample = ctgan_sample,
    .save = ctgan_save,
    .load = ctgan_load,
    .free = model_free,
    .describe = ctgan_describe,
};
