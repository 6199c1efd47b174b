/* test_ctgan.c -- unit tests of the CTGAN generator driver (generators/ctgan/ctgan.c) on a small
 * two-mode mixture with correlated categories: save/load gives a bit-identical net and identical
 * samples; training 4 epochs straight equals 2 epochs, a checkpoint and 2 resumed epochs, bit for
 * bit (one BLAS thread); sampling is a pure function of the row index (any chunking gives the same
 * cells); the per-epoch progress lines; parameter validation; --device cuda in a build without
 * CUDA is a clear error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "chunk.h"
#include "ctgan/ctgan.h"
#include "generator.h"
#include "infer.h"
#include "model_file.h"
#include "nn/backend.h"
#include "test_util.h"

static const synth_generator *gen = &synth_ctgan_generator;
static synth_schema *g_schema;
static synth_sample_table *g_sample;

/* Small and quick: 64-wide layers, batch 100 (20 steps per epoch on 2000 rows). */
static const char *small_params[] = {"generator_dim=64,64", "discriminator_dim=64,64", "embedding_dim=32",
                                     "batch_size=100", "epochs=2"};

static int setup(void **state)
{
    (void)state;
    if (tu_make_dir("ctgan"))
        return -1;
    synth_infer_options o;
    synth_infer_options_init(&o);
    o.progress = SYNTH_PROGRESS_NEVER;
    synth_err err;
    return synth_infer_csv("tests/cli/data/ctgan_mix.csv", &o, &g_schema, &g_sample, NULL, &err);
}

static int teardown(void **state)
{
    (void)state;
    synth_schema_free(g_schema);
    synth_sample_table_free(g_sample);
    return tu_drop_dir();
}

static void options(synth_fit_options *opt, const char **params, size_t n)
{
    memset(opt, 0, sizeof *opt);
    opt->seed = 11;
    opt->params = params;
    opt->nparams = n;
    opt->progress = SYNTH_PROGRESS_NEVER;
    opt->threads = 1;
}

static synth_model *fit(const char **params, size_t n, const char *ckpt, const char *resume)
{
    synth_fit_options opt;
    options(&opt, params, n);
    opt.checkpoint_path = ckpt;
    opt.checkpoint_every = 2;
    opt.resume_path = resume;
    synth_model *m = NULL;
    synth_err err;
    int rc = gen->fit(g_schema, g_sample, &opt, &m, &err);
    if (rc)
        print_error("fit: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return m;
}

static void blob_of(const synth_model *m, unsigned char **b, size_t *len)
{
    synth_err err;
    assert_int_equal(synth_ctgan_model_net_blob(m, b, len, &err), 0);
}

/* Sample rows [first, first + n) into a fresh chunk. */
static synth_chunk *sample(const synth_model *m, uint64_t first, size_t n)
{
    synth_chunk *ch = synth_chunk_new(g_schema->ncols, n);
    assert_non_null(ch);
    ch->first_row = first;
    ch->nrows = n;
    synth_err err;
    assert_int_equal(gen->sample(m, 42, ch, &err), 0);
    return ch;
}

static void assert_same_rows(const synth_chunk *a, size_t ra, const synth_chunk *b, size_t rb, size_t n)
{
    for (size_t c = 0; c < g_schema->ncols; c++)
        for (size_t r = 0; r < n; r++) {
            assert_int_equal(a->is_null[c * a->cap + ra + r], b->is_null[c * b->cap + rb + r]);
            assert_memory_equal(&a->cells[c * a->cap + ra + r], &b->cells[c * b->cap + rb + r], sizeof(synth_cell));
        }
}

static void test_save_load_and_purity(void **state)
{
    (void)state;
    synth_model *m = fit(small_params, 5, NULL, NULL);
    char path[256];
    tu_path(path, sizeof path, "m.synth");
    synth_model_file *mf;
    synth_err err;
    assert_int_equal(synth_model_file_create(&mf, path, &err), 0);
    assert_int_equal(gen->save(m, mf, &err), 0);
    assert_int_equal(synth_model_file_commit(mf, &err), 0);
    assert_int_equal(synth_model_file_open(&mf, path, &err), 0);
    synth_model *m2;
    assert_int_equal(gen->load(mf, g_schema, &m2, &err), 0);
    synth_model_file_free(mf);
    unsigned char *b1, *b2;
    size_t l1, l2;
    blob_of(m, &b1, &l1);
    blob_of(m2, &b2, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    synth_chunk *a = sample(m, 0, 1000), *b = sample(m2, 0, 1000);
    assert_same_rows(a, 0, b, 0, 1000);
    /* any chunking gives the same rows: pieces of 37 rows starting at odd offsets */
    for (uint64_t first = 3; first + 37 <= 1000; first += 211) {
        synth_chunk *p = sample(m2, first, 37);
        assert_same_rows(a, first, p, 0, 37);
        synth_chunk_free(p);
    }
    /* sane values: categories in range, numbers inside the training range */
    for (size_t r = 0; r < 1000; r++) {
        assert_true(a->cells[1 * a->cap + r].index >= 0 && a->cells[1 * a->cap + r].index < 3);
        double x = a->cells[0 * a->cap + r].num;
        assert_true(x >= g_schema->cols[0].min && x <= g_schema->cols[0].max);
    }
    json_t *d = gen->describe(m2);
    assert_non_null(d);
    assert_int_equal(json_integer_value(json_object_get(d, "epochs_trained")), 2);
    json_decref(d);
    synth_chunk_free(a);
    synth_chunk_free(b);
    synth_free(b1);
    synth_free(b2);
    gen->free(m);
    gen->free(m2);
}

static void test_resume_is_exact(void **state)
{
    (void)state;
    const char *four[] = {"generator_dim=64,64", "discriminator_dim=64,64", "embedding_dim=32", "batch_size=100",
                          "epochs=4"};
    synth_model *straight = fit(four, 5, NULL, NULL);
    char ckpt[256];
    tu_path(ckpt, sizeof ckpt, "run.ckpt");
    synth_model *half = fit(small_params, 5, ckpt, NULL);   /* 2 epochs, checkpoint at epoch 2 */
    synth_model *resumed = fit(four, 5, NULL, ckpt);
    unsigned char *b1, *b2, *b3;
    size_t l1, l2, l3;
    blob_of(straight, &b1, &l1);
    blob_of(resumed, &b2, &l2);
    blob_of(half, &b3, &l3);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    assert_true(l3 != l1 || memcmp(b1, b3, l1) != 0);   /* 2 epochs really differ from 4 */
    synth_free(b1);
    synth_free(b2);
    synth_free(b3);
    gen->free(straight);
    gen->free(half);
    gen->free(resumed);
    /* resuming from something that is not a checkpoint is refused */
    synth_fit_options opt;
    options(&opt, four, 5);
    opt.resume_path = "tests/cli/data/ctgan_mix.csv";
    synth_model *m;
    synth_err err;
    assert_int_not_equal(gen->fit(g_schema, g_sample, &opt, &m, &err), 0);
}

static int nlines;
static char last_line[200];

static void logger(void *ctx, const char *line)
{
    (void)ctx;
    nlines++;
    snprintf(last_line, sizeof last_line, "%s", line);
}

static void test_progress_and_params(void **state)
{
    (void)state;
    synth_fit_options opt;
    options(&opt, small_params, 5);
    opt.log = logger;
    synth_model *m;
    synth_err err;
    nlines = 0;
    assert_int_equal(gen->fit(g_schema, g_sample, &opt, &m, &err), 0);
    assert_int_equal(nlines, 3);   /* preprocessing + 2 epochs */
    assert_non_null(strstr(last_line, "epoch 2/2  loss_g "));
    assert_non_null(strstr(last_line, "loss_d "));
    gen->free(m);
    const char *bad[][1] = {{"batch_size=55"}, {"epochs=0"}, {"generator_dim=12,x"}, {"sample_cond=maybe"},
                            {"generator_lr=-1"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        options(&opt, bad[i], 1);
        assert_int_equal(gen->fit(g_schema, g_sample, &opt, &m, &err), SYNTH_USAGE);
    }
    options(&opt, small_params, 5);
    opt.device = "cuda";
    if (!synth_nn_cuda_compiled()) {
        assert_int_equal(gen->fit(g_schema, g_sample, &opt, &m, &err), SYNTH_USAGE);
        assert_non_null(strstr(err.msg, "make cuda"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_load_and_purity),
        cmocka_unit_test(test_resume_is_exact),
        cmocka_unit_test(test_progress_and_params),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
