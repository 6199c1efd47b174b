/* test_engine.c -- unit tests of the sampling engine (src/engine.c) with a Gaussian copula fitted
 * on Adult and with small fake generators: identical bytes for any thread count and chunk size,
 * shards that concatenate to the full run, gzip output that decompresses to the plain output, a
 * model written to a file and opened again giving the same bytes, strict row order under uneven
 * worker timing, errors from the generator and from the output (/dev/full) returned promptly,
 * interrupts, and bad options. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "alloc.h"
#include "copula/copula.h"
#include "engine.h"
#include "infer.h"
#include "output.h"
#include "pipeline.h"
#include "signals.h"
#include "test_util.h"

#define N_ROWS 50000

static synth_schema *g_schema;
static synth_model *g_model;
static const synth_generator *g_gen = &synth_copula_generator;

static int group_setup(void **state)
{
    (void)state;
    if (tu_make_dir("engine"))
        return -1;
    synth_infer_options o;
    synth_infer_options_init(&o);
    o.progress = SYNTH_PROGRESS_NEVER;
    synth_sample_table *t = NULL;
    synth_err err;
    if (synth_infer_csv("datasets/adult.csv", &o, &g_schema, &t, NULL, &err)) {
        fprintf(stderr, "infer: %s\n", err.msg);
        return -1;
    }
    synth_fit_options fo = {.seed = 0, .progress = SYNTH_PROGRESS_NEVER};
    int rc = g_gen->fit(g_schema, t, &fo, &g_model, &err);
    synth_sample_table_free(t);
    if (rc) {
        fprintf(stderr, "fit: %s\n", err.msg);
        return -1;
    }
    alarm(120);   /* a hung engine fails the run instead of stalling it */
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g_model != NULL)
        g_gen->free(g_model);
    synth_schema_free(g_schema);
    return tu_drop_dir();
}

typedef struct run_spec {
    const synth_generator *gen;
    const synth_model *model;
    const synth_schema *schema;
    uint64_t seed, first, end;
    int threads;
    size_t chunk;
    int header;
    int gzip;   /* -1 plain */
} run_spec;

static run_spec spec(uint64_t end, int threads, size_t chunk)
{
    return (run_spec){g_gen, g_model, g_schema, 0, 0, end, threads, chunk, 1, -1};
}

/* Run the engine into path; returns its status (the output is committed on success). */
static int run_to(const run_spec *sp, const char *path, synth_engine_stats *stats, synth_err *err)
{
    synth_engine_options eo;
    synth_engine_options_init(&eo);
    eo.seed = sp->seed;
    eo.first_row = sp->first;
    eo.end_row = sp->end;
    eo.threads = sp->threads;
    eo.chunk_rows = sp->chunk;
    eo.header = sp->header;
    eo.gzip_level = sp->gzip;
    synth_output *out = NULL;
    int rc = synth_output_open(&out, path, err);
    if (rc)
        return rc;
    rc = synth_engine_run(sp->gen, sp->model, sp->schema, &eo, out, stats, err);
    if (rc) {
        synth_output_abort(out);
        return rc;
    }
    return synth_output_commit(out, err);
}

/* Run and read the file back; fails the test on error. */
static char *run_read(const run_spec *sp, size_t *len)
{
    char path[256];
    tu_path(path, sizeof path, sp->gzip >= 0 ? ".csv.gz" : ".csv");
    synth_engine_stats st;
    synth_err err;
    int rc = run_to(sp, path, &st, &err);
    if (rc)
        fail_msg("engine: %d %s", rc, err.msg);
    char *text = tu_read(path, len);
    assert_int_equal(st.rows, sp->end - sp->first);
    assert_int_equal(st.bytes, *len);
    unlink(path);
    return text;
}

static size_t count_lines(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n';
    return n;
}

/* Byte offset just past the k-th newline. */
static size_t after_lines(const char *s, size_t len, size_t k)
{
    size_t i = 0;
    for (size_t n = 0; i < len && n < k; i++)
        n += s[i] == '\n';
    return i;
}

/* ---- determinism ---------------------------------------------------------------------------------- */

static void test_threads_and_chunks(void **state)
{
    (void)state;
    size_t ref_len;
    run_spec sp = spec(N_ROWS, 1, 16384);
    char *ref = run_read(&sp, &ref_len);
    /* Adult has no quoted cells, so lines == rows + header */
    assert_int_equal(count_lines(ref, ref_len), N_ROWS + 1);
    assert_true(strncmp(ref, "age,workclass,fnlwgt,", 21) == 0);

    static const int threads[] = {1, 2, 4};
    static const size_t chunks[] = {7, 1000, 16384, 50000, 65536};
    for (size_t t = 0; t < 3; t++)
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            sp = spec(N_ROWS, threads[t], chunks[c]);
            size_t len;
            char *out = run_read(&sp, &len);
            if (len != ref_len || memcmp(out, ref, len) != 0)
                fail_msg("threads %d chunk %zu: output differs from threads 1 chunk 16384", threads[t], chunks[c]);
            free(out);
        }
    /* chunk size 1 on a prefix: the same first rows */
    for (int t = 1; t <= 4; t *= 2) {
        sp = spec(3000, t, 1);
        size_t len;
        char *out = run_read(&sp, &len);
        size_t want = after_lines(ref, ref_len, 3001);
        assert_int_equal(len, want);
        assert_memory_equal(out, ref, want);
        free(out);
    }
    /* another seed, other rows (same header) */
    sp = spec(N_ROWS, 2, 1000);
    sp.seed = 1;
    size_t len;
    char *other = run_read(&sp, &len);
    size_t hdr = after_lines(ref, ref_len, 1);
    assert_memory_equal(other, ref, hdr);
    assert_true(len != ref_len || memcmp(other, ref, len) != 0);
    free(other);
    free(ref);
}

static void test_shards(void **state)
{
    (void)state;
    const uint64_t n = N_ROWS, k = 3;
    run_spec sp = spec(n, 2, 1000);
    sp.header = 0;
    size_t full_len;
    char *full = run_read(&sp, &full_len);
    assert_int_equal(count_lines(full, full_len), n);
    tu_buf cat = {0};
    for (uint64_t i = 0; i < k; i++) {
        sp = spec((i + 1) * n / k, (int)i + 1, 997 + 10 * (size_t)i);   /* odd sizes: unaligned chunks */
        sp.first = i * n / k;
        sp.header = 0;
        size_t len;
        char *part = run_read(&sp, &len);
        assert_int_equal(count_lines(part, len), sp.end - sp.first);
        tu_add(&cat, "%.*s", (int)len, part);
        free(part);
    }
    assert_int_equal(cat.len, full_len);
    assert_memory_equal(cat.p, full, full_len);
    /* a shard with a header: header + the same rows */
    sp = spec(2 * n / 3, 4, 1000);
    sp.first = n / 3;
    size_t len;
    char *part = run_read(&sp, &len);
    size_t h = after_lines(part, len, 1);
    size_t off = after_lines(full, full_len, n / 3);
    assert_int_equal(len - h, after_lines(full, full_len, 2 * n / 3) - off);
    assert_memory_equal(part + h, full + off, len - h);
    free(part);
    tu_buf_free(&cat);
    free(full);
}

static char *gunzip_file(const char *path, size_t *len)
{
    gzFile gz = gzopen(path, "rb");
    assert_non_null(gz);
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (cap - n < (1 << 16)) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        int got = gzread(gz, buf + n, (unsigned)(cap - n));
        assert_true(got >= 0);
        if (got == 0)
            break;
        n += (size_t)got;
    }
    assert_int_equal(gzclose(gz), Z_OK);
    *len = n;
    return buf;
}

static void test_gzip(void **state)
{
    (void)state;
    run_spec sp = spec(N_ROWS, 1, 16384);
    size_t plain_len;
    char *plain = run_read(&sp, &plain_len);
    static const struct {
        int threads, level;
        size_t chunk;
    } cases[] = {{1, 6, 16384}, {2, 1, 1000}, {4, 9, 777}, {3, 0, 5000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sp = spec(N_ROWS, cases[i].threads, cases[i].chunk);
        sp.gzip = cases[i].level;
        char path[256];
        tu_path(path, sizeof path, ".csv.gz");
        synth_engine_stats st;
        synth_err err;
        int rc = run_to(&sp, path, &st, &err);
        if (rc)
            fail_msg("%s", err.msg);
        size_t raw_len;
        char *raw = tu_read(path, &raw_len);
        assert_int_equal(st.bytes, raw_len);
        assert_int_equal((unsigned char)raw[0], 0x1f);   /* gzip magic */
        assert_int_equal((unsigned char)raw[1], 0x8b);
        if (cases[i].level > 0)
            assert_true(raw_len < plain_len / 3);
        free(raw);
        size_t len;
        char *text = gunzip_file(path, &len);
        if (len != plain_len || memcmp(text, plain, len) != 0)
            fail_msg("gzip threads %d level %d chunk %zu: decompressed output differs", cases[i].threads,
                     cases[i].level, cases[i].chunk);
        free(text);
        unlink(path);
    }
    free(plain);
}

/* A model written by synth_fit_csv and opened by synth_model_open samples the same bytes as the
 * model fitted in memory. */
static void test_model_file(void **state)
{
    (void)state;
    char model[256];
    tu_path(model, sizeof model, ".synth");
    synth_fit_request req;
    synth_fit_request_init(&req);
    req.input = "datasets/adult.csv";
    req.output = model;
    req.infer.progress = SYNTH_PROGRESS_NEVER;
    req.fit.progress = SYNTH_PROGRESS_NEVER;
    synth_fit_result res;
    synth_err err;
    int rc = synth_fit_csv(&req, &res, &err);
    if (rc)
        fail_msg("fit: %s", err.msg);
    assert_int_equal(res.rows, 32561);
    assert_int_equal(res.sample_rows, 32561);
    assert_int_equal(res.ncols, 15);
    synth_loaded_model *lm = NULL;
    rc = synth_model_open(model, &lm, &err);
    if (rc)
        fail_msg("open: %s", err.msg);
    assert_ptr_equal(lm->gen, &synth_copula_generator);
    run_spec sp = spec(20000, 2, 4096);
    size_t a_len, b_len;
    char *a = run_read(&sp, &a_len);
    sp.model = lm->model;
    sp.schema = lm->schema;
    sp.threads = 3;
    char *b = run_read(&sp, &b_len);
    assert_int_equal(a_len, b_len);
    if (memcmp(a, b, a_len) != 0)
        fail_msg("loaded model samples other bytes than the fitted one");
    free(a);
    free(b);
    synth_loaded_model_free(lm);
}

/* ---- fake generators: order, errors -------------------------------------------------------------------- */

static uint64_t fail_from_row = UINT64_MAX;

/* Fills column 0 (an integer id) with the row index; sleeps an uneven few hundred microseconds per
 * chunk so workers finish out of order; fails with BAD_INPUT on the chunk holding fail_from_row. */
static int fake_sample(const synth_model *model, uint64_t seed, synth_chunk *ch, synth_err *err)
{
    (void)model;
    (void)seed;
    uint64_t h = ch->first_row * 0x9E3779B97F4A7C15ULL;
    struct timespec ts = {0, (long)((h >> 40) % 400) * 1000};
    nanosleep(&ts, NULL);
    if (fail_from_row >= ch->first_row && fail_from_row < ch->first_row + ch->nrows)
        return synth_err_set(err, SYNTH_BAD_INPUT, "boom at row %llu", (unsigned long long)fail_from_row);
    for (size_t r = 0; r < ch->nrows; r++) {
        ch->is_null[r] = 0;
        ch->cells[r].index = (int64_t)(ch->first_row + r);
    }
    return 0;
}

static const synth_generator fake_gen = {.name = "fake", .sample = fake_sample};

static synth_schema *id_schema(void)
{
    synth_schema *s = synth_calloc(1, sizeof *s);
    s->cols = synth_calloc(1, sizeof *s->cols);
    s->ncols = 1;
    s->cols[0].name = synth_strdup("row");
    s->cols[0].null_token = synth_strdup("");
    s->cols[0].type = SYNTH_COL_ID;
    s->cols[0].id_kind = SYNTH_ID_INTEGER;
    s->cols[0].id_next = 0;
    return s;
}

static void test_strict_order(void **state)
{
    (void)state;
    synth_schema *s = id_schema();
    fail_from_row = UINT64_MAX;
    static const struct {
        int threads;
        size_t chunk;
        uint64_t first, end;
    } cases[] = {{4, 3, 0, 3000}, {3, 1, 10, 1010}, {2, 64, 5, 20005}, {8, 5, 0, 7}, {4, 1000, 0, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_spec sp = {&fake_gen, NULL, s, 0, cases[i].first, cases[i].end, cases[i].threads, cases[i].chunk, 1, -1};
        size_t len;
        char *out = run_read(&sp, &len);
        tu_buf want = {0};
        tu_add(&want, "row\n");
        for (uint64_t r = cases[i].first; r < cases[i].end; r++)
            tu_add(&want, "%llu\n", (unsigned long long)r);
        assert_int_equal(len, want.len);
        if (memcmp(out, want.p, len) != 0)
            fail_msg("threads %d chunk %zu: rows out of order", cases[i].threads, cases[i].chunk);
        tu_buf_free(&want);
        free(out);
    }
    synth_schema_free(s);
}

static void test_generator_error(void **state)
{
    (void)state;
    synth_schema *s = id_schema();
    static const struct {
        int threads;
        size_t chunk;
        uint64_t fail;
    } cases[] = {{1, 10, 0}, {1, 10, 555}, {2, 7, 3}, {4, 3, 2999}, {4, 100, 150}, {3, 1, 40}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fail_from_row = cases[i].fail;
        run_spec sp = {&fake_gen, NULL, s, 0, 0, 3000, cases[i].threads, cases[i].chunk, 1, -1};
        char path[256];
        tu_path(path, sizeof path, ".csv");
        synth_engine_stats st;
        synth_err err;
        synth_err_clear(&err);
        int rc = run_to(&sp, path, &st, &err);
        if (rc != SYNTH_BAD_INPUT)
            fail_msg("threads %d: got %d (%s), expected the generator's BAD_INPUT", cases[i].threads, rc, err.msg);
        char want[64];
        snprintf(want, sizeof want, "boom at row %llu", (unsigned long long)cases[i].fail);
        assert_string_equal(err.msg, want);
        assert_true(st.rows <= cases[i].fail);   /* nothing at or past the failing chunk was written */
        assert_int_not_equal(access(path, F_OK), 0);   /* aborted: no file left at the target */
    }
    fail_from_row = UINT64_MAX;
    synth_schema_free(s);
}

/* ---- output errors, interrupts, options ---------------------------------------------------------------- */

static void test_dev_full(void **state)
{
    (void)state;
    if (access("/dev/full", W_OK) != 0)
        skip();
    static const struct {
        int threads, header, gzip;
        size_t chunk;
    } cases[] = {{1, 1, -1, 16384}, {2, 1, -1, 1000}, {4, 0, -1, 7}, {4, 0, 1, 1000}, {2, 1, 6, 50}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_spec sp = spec(200000, cases[i].threads, cases[i].chunk);
        sp.header = cases[i].header;
        sp.gzip = cases[i].gzip;
        synth_engine_stats st;
        synth_err err;
        synth_err_clear(&err);
        int rc = run_to(&sp, "/dev/full", &st, &err);
        if (rc != SYNTH_IO)
            fail_msg("threads %d: got %d (%s), expected SYNTH_IO", cases[i].threads, rc, err.msg);
        tu_assert_contains(err.msg, "/dev/full");
        assert_int_equal(st.rows, 0);   /* the first write already failed */
    }
}

static void test_interrupt(void **state)
{
    (void)state;
    synth_signals_install();
    synth__signals_reset();
    raise(SIGINT);   /* the first signal only sets the flag */
    assert_int_equal(synth_signals_interrupted(), SIGINT);
    run_spec sp = spec(N_ROWS, 2, 1000);
    char path[256];
    tu_path(path, sizeof path, ".csv");
    synth_err err;
    int rc = run_to(&sp, path, NULL, &err);
    synth__signals_reset();
    assert_int_equal(rc, SYNTH_INTERRUPTED);
    assert_int_not_equal(access(path, F_OK), 0);
}

static void test_bad_options(void **state)
{
    (void)state;
    char path[256];
    tu_path(path, sizeof path, ".csv");
    synth_err err;
    run_spec sp = spec(100, 1, 0);
    assert_int_equal(run_to(&sp, path, NULL, &err), SYNTH_USAGE);
    sp = spec(100, 0, 10);
    assert_int_equal(run_to(&sp, path, NULL, &err), SYNTH_USAGE);
    sp = spec(100, 1, 10);
    sp.first = 101;
    assert_int_equal(run_to(&sp, path, NULL, &err), SYNTH_USAGE);
    /* zero rows: just the header */
    sp = spec(500, 4, 10);
    sp.first = 500;
    size_t len;
    char *out = run_read(&sp, &len);
    assert_int_equal(count_lines(out, len), 1);
    assert_true(strncmp(out, "age,", 4) == 0);
    free(out);
    /* zero rows, no header: empty file */
    sp.header = 0;
    out = run_read(&sp, &len);
    assert_int_equal(len, 0);
    free(out);
    assert_true(synth_cpu_count() >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_and_chunks),
        cmocka_unit_test(test_shards),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_model_file),
        cmocka_unit_test(test_strict_order),
        cmocka_unit_test(test_generator_error),
        cmocka_unit_test(test_dev_full),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
