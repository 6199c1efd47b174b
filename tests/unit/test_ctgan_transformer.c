/* test_ctgan_transformer.c -- unit tests of CTGAN's data transformer and conditional sampler
 * (generators/ctgan/transformer, sampler) on a two-mode mixture with correlated categories
 * (tests/cli/data/ctgan_mix.csv) and on Adult: the span layout, one-hot parts and clipped
 * scalars, the round trip encode -> decode (values to float precision, categories exactly), the
 * JSON form loading back bit-exactly, the modes found for the mixture column, the sampler's
 * column and category frequencies (uniform columns, log-frequency categories; generation by
 * frequency), training-by-sampling rows that carry the asked category, and the preprocessing
 * time of Adult (<= 2 s). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "chunk.h"
#include "ctgan/sampler.h"
#include "ctgan/transformer.h"
#include "infer.h"

static synth_schema *g_schema;
static synth_sample_table *g_sample;

static int setup(void **state)
{
    (void)state;
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
    return 0;
}

static void test_layout_and_round_trip(void **state)
{
    (void)state;
    synth_ctgan_transformer *tf;
    synth_err err;
    assert_int_equal(synth_ctgan_transformer_fit(g_schema, g_sample, 10, 0, 1, &tf, &err), 0);
    assert_int_equal(tf->ncols, 4);
    const synth_ctgan_tcol *x = &tf->cols[0], *color = &tf->cols[1], *size = &tf->cols[2], *count = &tf->cols[3];
    assert_true(x->continuous && !color->continuous && !size->continuous && count->continuous);
    assert_int_equal(color->ncat, 3);
    assert_int_equal(size->ncat, 2);
    assert_int_equal(tf->ndiscrete, 2);
    assert_int_equal(tf->cond_dim, 5);
    assert_int_equal(tf->cond_offset[1], 3);
    assert_int_equal(tf->data_dim, 1 + x->nmodes + 3 + 2 + 1 + count->nmodes);
    assert_int_equal(tf->spans[0].kind, SYNTH_SPAN_TANH);
    assert_int_equal(tf->spans[tf->cond_span_index[0]].width, 3);
    /* the mixture column: kept modes cover both -5 and 10 */
    int near_lo = 0, near_hi = 0;
    for (int k = 0; k < x->nmodes; k++) {
        double mu = x->bgm.mean[x->mode[k]];
        near_lo |= fabs(mu + 5) < 1.5;
        near_hi |= fabs(mu - 10) < 2.5;
    }
    assert_true(near_lo && near_hi);

    float *data;
    int32_t *cats;
    assert_int_equal(synth_ctgan_transform(tf, g_schema, g_sample, 1, &data, &cats, &err), 0);
    size_t dim = (size_t)tf->data_dim, n = g_sample->nrows;
    synth_chunk *ch = synth_chunk_new(g_schema->ncols, 1);
    assert_non_null(ch);
    float *raw = synth_malloc(dim * sizeof *raw);
    for (size_t r = 0; r < n; r++) {
        const float *row = data + r * dim;
        /* one-hot parts sum to 1; scalars inside (-1, 1) */
        for (size_t i = 0; i < tf->ncols; i++) {
            const synth_ctgan_tcol *tc = &tf->cols[i];
            int w = tc->continuous ? tc->nmodes : tc->ncat, o = tc->offset + tc->continuous;
            float s = 0;
            for (int k = 0; k < w; k++)
                s += row[o + k];
            assert_true(s == 1.0f);
            if (tc->continuous)
                assert_true(fabsf(row[tc->offset]) <= 0.99f);
        }
        /* decode the encoding itself (scalars through atanh, one-hots as sharp logits) */
        for (size_t j = 0; j < dim; j++)
            raw[j] = row[j] * 60.0f;
        for (size_t i = 0; i < tf->ncols; i++)
            if (tf->cols[i].continuous)
                raw[tf->cols[i].offset] = (float)atanh(row[tf->cols[i].offset]);
        synth_rng rng;
        synth_rng_init(&rng, 5, r, 1);
        ch->nrows = 1;
        synth_ctgan_decode_row(tf, g_schema, raw, &rng, ch, 0);
        double v;
        for (size_t c = 0; c < 4; c += 3) {   /* x and count */
            const char *cell = g_sample->cells[r * g_sample->ncols + c];
            assert_int_equal(synth_cell_parse_number(&g_schema->cols[c], cell, strlen(cell), &v), 0);
            if (fabs(row[tf->cols[c].offset]) < 0.98f)   /* not clipped */
                assert_true(fabs(ch->cells[c * ch->cap].num - v) < 1e-3 * (1 + fabs(v)));
            assert_false(ch->is_null[c * ch->cap]);
        }
        assert_int_equal(ch->cells[1 * ch->cap].index, cats[r * 2 + 0]);
        assert_int_equal(ch->cells[2 * ch->cap].index, cats[r * 2 + 1]);
    }
    /* JSON round trip: every field back bit-exactly */
    json_t *j = synth_ctgan_transformer_to_json(tf, g_schema);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(j);
    json_error_t jerr;
    json_t *back = json_loads(text, 0, &jerr);
    free(text);
    synth_ctgan_transformer *tf2;
    assert_int_equal(synth_ctgan_transformer_from_json(back, g_schema, &tf2, &err), 0);
    json_decref(back);
    assert_int_equal(tf2->data_dim, tf->data_dim);
    assert_int_equal(tf2->nspans, tf->nspans);
    for (size_t i = 0; i < tf->ncols; i++) {
        const synth_ctgan_tcol *a = &tf->cols[i], *b = &tf2->cols[i];
        assert_int_equal(a->nmodes, b->nmodes);
        assert_int_equal(a->offset, b->offset);
        assert_memory_equal(a->mode, b->mode, sizeof a->mode);
        assert_memory_equal(a->bgm.mean, b->bgm.mean, sizeof a->bgm.mean);
        assert_memory_equal(a->bgm.std, b->bgm.std, sizeof a->bgm.std);
        assert_memory_equal(a->bgm.logc, b->bgm.logc, sizeof a->bgm.logc);
        assert_memory_equal(a->bgm.prec, b->bgm.prec, sizeof a->bgm.prec);
        assert_true(a->lo == b->lo && a->hi == b->hi && a->fill == b->fill);
    }
    /* the same seed gives the same matrix (a resumed fit relies on it) */
    float *data2;
    int32_t *cats2;
    assert_int_equal(synth_ctgan_transform(tf2, g_schema, g_sample, 1, &data2, &cats2, &err), 0);
    assert_memory_equal(data, data2, n * dim * sizeof *data);
    /* a damaged form is refused */
    json_t *bad = json_pack("{s:[]}", "columns");
    synth_ctgan_transformer *tf3;
    assert_int_equal(synth_ctgan_transformer_from_json(bad, g_schema, &tf3, &err), SYNTH_MODEL);
    json_decref(bad);
    synth_free(data2);
    synth_free(cats2);
    synth_free(raw);
    synth_chunk_free(ch);
    synth_free(data);
    synth_free(cats);
    synth_ctgan_transformer_free(tf);
    synth_ctgan_transformer_free(tf2);
}

static void test_sampler(void **state)
{
    (void)state;
    /* column 0: counts 900/90/10; column 1: 500/500 */
    size_t n = 1000;
    int ncat[2] = {3, 2};
    int32_t *cats = synth_malloc(n * 2 * sizeof *cats);
    for (size_t r = 0; r < n; r++) {
        cats[r * 2] = r < 900 ? 0 : r < 990 ? 1 : 2;
        cats[r * 2 + 1] = (int32_t)(r % 2);
    }
    synth_ctgan_sampler *s;
    synth_err err;
    assert_int_equal(synth_ctgan_sampler_new(cats, n, 2, ncat, &s, &err), 0);
    assert_int_equal(s->cond_dim, 5);
    int batch = 20000;
    float *cond = synth_malloc((size_t)batch * 5 * sizeof *cond), *mask = synth_malloc((size_t)batch * 2 * sizeof *mask);
    int *col = synth_malloc((size_t)batch * sizeof *col), *cat = synth_malloc((size_t)batch * sizeof *cat);
    synth_rng rng;
    synth_rng_init(&rng, 3, 0, 1);
    synth_ctgan_sampler_condvec(s, &rng, batch, cond, mask, col, cat);
    double cnt[5] = {0}, cols0 = 0;
    for (int i = 0; i < batch; i++) {
        cnt[s->offset[col[i]] + cat[i]]++;
        cols0 += col[i] == 0;
        assert_true(cond[(size_t)i * 5 + (size_t)(s->offset[col[i]] + cat[i])] == 1.0f);
        assert_true(mask[(size_t)i * 2 + (size_t)col[i]] == 1.0f && mask[(size_t)i * 2 + (size_t)(1 - col[i])] == 0.0f);
        size_t row = synth_ctgan_sampler_row(s, &rng, col[i], cat[i]);
        assert_int_equal(cats[row * 2 + (size_t)col[i]], cat[i]);
    }
    assert_true(fabs(cols0 / batch - 0.5) < 0.02);
    double l0 = log(901), l1 = log(91), l2 = log(11), lt = l0 + l1 + l2;
    assert_true(fabs(cnt[0] / cols0 - l0 / lt) < 0.02);
    assert_true(fabs(cnt[1] / cols0 - l1 / lt) < 0.02);
    assert_true(fabs(cnt[2] / cols0 - l2 / lt) < 0.02);
    /* generation: by frequency */
    double g[5] = {0};
    float c[5];
    for (int i = 0; i < batch; i++) {
        synth_ctgan_sampler_generation_cond(s, &rng, 0, c);
        for (int k = 0; k < 5; k++)
            g[k] += c[k];
    }
    double g0 = g[0] + g[1] + g[2];
    assert_true(fabs(g[0] / g0 - 0.9) < 0.02 && fabs(g[2] / g0 - 0.01) < 0.01);
    assert_true(fabs(g[3] / (g[3] + g[4]) - 0.5) < 0.03);
    /* a counts-only sampler gives the same generation draws */
    synth_ctgan_sampler *s2;
    assert_int_equal(synth_ctgan_sampler_from_counts(s->count, 2, ncat, &s2, &err), 0);
    float c1[5], c2[5];
    for (uint64_t r = 0; r < 100; r++) {
        synth_rng a, b;
        synth_rng_init(&a, 9, r, 2);
        synth_rng_init(&b, 9, r, 2);
        synth_ctgan_sampler_generation_cond(s, &a, 0, c1);
        synth_ctgan_sampler_generation_cond(s2, &b, 0, c2);
        assert_memory_equal(c1, c2, sizeof c1);
    }
    synth_ctgan_sampler_free(s2);
    synth_ctgan_sampler_free(s);
    synth_free(cats);
    synth_free(cond);
    synth_free(mask);
    synth_free(col);
    synth_free(cat);
}

/* CPU seconds of this process: preprocessing is single-threaded, and unlike wall time this does
 * not grow with the load of a shared machine. */
static double now(void)
{
    return (double)clock() / CLOCKS_PER_SEC;
}

static void test_adult_preprocessing_time(void **state)
{
    (void)state;
    synth_infer_options o;
    synth_infer_options_init(&o);
    o.progress = SYNTH_PROGRESS_NEVER;
    synth_schema *schema;
    synth_sample_table *t;
    synth_err err;
    assert_int_equal(synth_infer_csv("datasets/adult.csv", &o, &schema, &t, NULL, &err), 0);
    double t0 = now();
    synth_ctgan_transformer *tf;
    assert_int_equal(synth_ctgan_transformer_fit(schema, t, 10, 0, 0, &tf, &err), 0);
    float *data;
    int32_t *cats;
    assert_int_equal(synth_ctgan_transform(tf, schema, t, 0, &data, &cats, &err), 0);
    double secs = now() - t0;
    print_message("adult preprocessing: %.3f s CPU, data_dim %d, cond_dim %d\n", secs, tf->data_dim, tf->cond_dim);
#if !defined(__SANITIZE_ADDRESS__)
    assert_true(secs <= 2.0);   /* the budget; sanitizer builds are several times slower */
#endif
    synth_ctgan_transformer_free(tf);
    synth_free(data);
    synth_free(cats);
    /* point masses: capital-gain's zeros and hours-per-week's 40 get exact slots, decoded exactly */
    assert_int_equal(synth_ctgan_transformer_fit(schema, t, 10, 0.1, 0, &tf, &err), 0);
    const synth_ctgan_tcol *gain = NULL, *hours = NULL, *age = NULL;
    for (size_t i = 0; i < tf->ncols; i++) {
        const char *name = schema->cols[tf->cols[i].col].name;
        if (strcmp(name, "capital-gain") == 0)
            gain = &tf->cols[i];
        if (strcmp(name, "hours-per-week") == 0)
            hours = &tf->cols[i];
        if (strcmp(name, "age") == 0)
            age = &tf->cols[i];
    }
    assert_true(gain->has_point && gain->point == 0 && hours->has_point && hours->point == 40 && !age->has_point);
    assert_int_equal(synth_ctgan_transform(tf, schema, t, 0, &data, &cats, &err), 0);
    size_t dim = (size_t)tf->data_dim;
    float *raw = synth_malloc(dim * sizeof *raw);
    synth_chunk *ch = synth_chunk_new(schema->ncols, 1);
    size_t zeros = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        const float *row = data + r * dim;
        for (size_t j = 0; j < dim; j++)
            raw[j] = row[j] * 60.0f;
        synth_rng rng;
        synth_rng_init(&rng, 5, r, 1);
        ch->nrows = 1;
        synth_ctgan_decode_row(tf, schema, raw, &rng, ch, 0);
        const char *cell = t->cells[r * t->ncols + gain->col];
        if (strcmp(cell, "0") == 0) {
            zeros++;
            assert_true(row[gain->offset + 1] == 1.0f);
            assert_true(ch->cells[gain->col * ch->cap].num == 0.0);
        }
    }
    assert_true(zeros > t->nrows * 9 / 10);
    synth_free(raw);
    synth_chunk_free(ch);
    assert_int_equal(tf->ndiscrete, 9);
    synth_free(data);
    synth_free(cats);
    synth_ctgan_transformer_free(tf);
    synth_schema_free(schema);
    synth_sample_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_and_round_trip),
        cmocka_unit_test(test_sampler),
        cmocka_unit_test(test_adult_preprocessing_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
