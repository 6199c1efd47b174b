/* test_api_jobs.c -- unit tests of api/jobs.c: parameter checks, a real fit + generate job whose
 * output equals the library/CLI path byte for byte, validation jobs, failures with a reason (and no
 * server path in it), cancel between slices, the worker pool (notify, on_finish hook), drain with
 * requeue, and recovery of jobs a crash left running. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <time.h>

#include "alloc.h"
#include "engine.h"
#include "jobs.h"
#include "output.h"
#include "pipeline.h"
#include "test_util.h"

static synth_store *store;
static char csv_path[256];

static int setup(void **state)
{
    (void)state;
    if (tu_make_dir("api-jobs") != 0)
        return -1;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/data", tu_dir);
    synth_err err;
    if (synth_store_open(dir, &store, &err) != 0)
        return -1;
    /* a small table: integer, categorical, float */
    snprintf(csv_path, sizeof csv_path, "%s/train.csv", tu_dir);
    FILE *f = fopen(csv_path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "age,color,score\n");
    static const char *colors[] = {"red", "green", "blue", "green"};
    for (int i = 0; i < 400; i++)
        fprintf(f, "%d,%s,%.2f\n", 18 + (i * 37) % 60, colors[(i * 7) % 4], (double)((i * 13) % 1000) / 10.0 + (i % 3));
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    synth_store_close(store);
    return tu_drop_dir();
}

/* Copy a CSV file into the store as a dataset of key `key`. */
static void add_dataset(const char *src, const char *key, synth_dataset *d)
{
    synth_err err;
    memset(d, 0, sizeof *d);
    assert_int_equal(synth_store_new_id("ds_", d->id, &err), 0);
    memcpy(d->name, "train", 6);
    if (key)
        snprintf(d->key_id, sizeof d->key_id, "%s", key);
    char path[512];
    assert_int_equal(synth_store_path(store, SYNTH_FILE_DATASET, d->id, path, sizeof path, &err), 0);
    size_t len;
    char *text = tu_read(src, &len);
    tu_write(path, text, len);
    free(text);
    d->bytes = len;
    assert_int_equal(synth_store_dataset_insert(store, d, &err), 0);
}

static void create_job(synth_job_kind kind, const char *params, const char *key, synth_job *j)
{
    synth_err err;
    int rc = synth_jobs_check_params(store, kind, params, key, &err);
    if (rc)
        fail_msg("check %s: %s", params, err.msg);
    rc = synth_store_job_create(store, kind, params, key, NULL, 0, j, NULL, &err);
    if (rc)
        fail_msg("create: %s", err.msg);
}

/* Claim the next job (must be j) and run it in this thread. */
static void run_claimed(const synth_job *j, const synth_jobs_options *opt, synth_job *after)
{
    synth_err err;
    synth_job c;
    assert_int_equal(synth_store_job_claim(store, &c, &err), 0);
    assert_string_equal(c.id, j->id);
    assert_int_equal(synth_jobs_run_one(store, opt, &c, &err), 0);
    assert_int_equal(synth_store_job_get(store, j->id, NULL, after, &err), 0);
}

static void test_check_params(void **state)
{
    (void)state;
    synth_err err;
    synth_dataset d;
    add_dataset(csv_path, "key_aaaaaaaaaaaaaaaa", &d);
    char p[256];
    snprintf(p, sizeof p, "{\"dataset_id\":\"%s\",\"generator\":\"copula\",\"seed\":1}", d.id);
    assert_int_equal(synth_jobs_check_params(store, SYNTH_JOB_FIT, p, "key_aaaaaaaaaaaaaaaa", &err), 0);
    assert_int_equal(synth_jobs_check_params(store, SYNTH_JOB_FIT, p, NULL, &err), 0);
    /* another key's dataset does not exist for it */
    assert_int_equal(synth_jobs_check_params(store, SYNTH_JOB_FIT, p, "key_bbbbbbbbbbbbbbbb", &err),
                     SYNTH_STORE_NOT_FOUND);
    struct {
        synth_job_kind kind;
        const char *params;
        const char *in_msg;
    } bad[] = {
        {SYNTH_JOB_FIT, "{", "not valid JSON"},
        {SYNTH_JOB_FIT, "[]", "JSON object"},
        {SYNTH_JOB_FIT, "{}", "'dataset_id' is required"},
        {SYNTH_JOB_FIT, "{\"dataset_id\":\"../../etc/passwd\"}", "'dataset_id'"},
        {SYNTH_JOB_FIT, "{\"dataset_id\":7}", "must be a string"},
        {SYNTH_JOB_FIT, "{\"dataset_id\":\"ds_0000000000000000\",\"generator\":\"gan9000\"}", "unknown generator"},
        {SYNTH_JOB_FIT, "{\"dataset_id\":\"ds_0000000000000000\",\"params\":{\"nope\":1}}", "nope"},
        {SYNTH_JOB_FIT, "{\"dataset_id\":\"ds_0000000000000000\",\"params\":{\"knots\":[1]}}", "params.knots"},
        {SYNTH_JOB_FIT, "{\"dataset_id\":\"ds_0000000000000000\",\"seed\":-1}", "'seed'"},
        {SYNTH_JOB_GENERATE, "{\"model_id\":\"md_0000000000000000\"}", "'rows'"},
        {SYNTH_JOB_GENERATE, "{\"model_id\":\"md_0000000000000000\",\"rows\":0}", "'rows'"},
        {SYNTH_JOB_GENERATE, "{\"model_id\":\"md_0000000000000000\",\"rows\":1.5}", "'rows'"},
        {SYNTH_JOB_GENERATE, "{\"model_id\":\"md_0000000000000000\",\"rows\":10000000000000}", "'rows'"},
        {SYNTH_JOB_GENERATE, "{\"rows\":10}", "'model_id' is required"},
        {SYNTH_JOB_VALIDATE, "{\"dataset_id\":\"ds_0000000000000000\"}", "'job_id' is required"},
        {SYNTH_JOB_VALIDATE,
         "{\"dataset_id\":\"ds_0000000000000000\",\"job_id\":\"job_0000000000000000\",\"target\":\"age\"}",
         "'holdout_dataset_id'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = synth_jobs_check_params(store, bad[i].kind, bad[i].params, NULL, &err);
        if (rc != SYNTH_BAD_INPUT || strstr(err.msg, bad[i].in_msg) == NULL)
            fail_msg("%s: rc %d, '%s' (want '%s')", bad[i].params, rc, err.msg, bad[i].in_msg);
    }
    /* well-formed but missing objects: not found */
    assert_int_equal(synth_jobs_check_params(store, SYNTH_JOB_GENERATE,
                                             "{\"model_id\":\"md_0000000000000000\",\"rows\":10}", NULL, &err),
                     SYNTH_STORE_NOT_FOUND);
    snprintf(p, sizeof p, "{\"dataset_id\":\"%s\",\"job_id\":\"job_0000000000000000\"}", d.id);
    assert_int_equal(synth_jobs_check_params(store, SYNTH_JOB_VALIDATE, p, NULL, &err), SYNTH_STORE_NOT_FOUND);
}

/* The CLI's path: synth_fit_csv then one synth_engine_run over all rows. */
static char *cli_bytes(const char *model_path, uint64_t rows, uint64_t seed, size_t *len)
{
    synth_err err;
    synth_loaded_model *lm = NULL;
    assert_int_equal(synth_model_open(model_path, &lm, &err), 0);
    char out_path[512];
    tu_path(out_path, sizeof out_path, ".csv");
    synth_output *out = NULL;
    assert_int_equal(synth_output_open(&out, out_path, &err), 0);
    synth_engine_options eo;
    synth_engine_options_init(&eo);
    eo.seed = seed;
    eo.end_row = rows;
    synth_engine_stats st;
    assert_int_equal(synth_engine_run(lm->gen, lm->model, lm->schema, &eo, out, &st, &err), 0);
    assert_int_equal(synth_output_commit(out, &err), 0);
    synth_loaded_model_free(lm);
    return tu_read(out_path, len);
}

static uint64_t hook_rows;
static int hook_calls;
static void on_finish(void *ctx, const synth_job *job, uint64_t rows)
{
    (void)ctx;
    (void)job;
    __atomic_add_fetch(&hook_rows, rows, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&hook_calls, 1, __ATOMIC_SEQ_CST);
}

static void test_fit_generate_validate(void **state)
{
    (void)state;
    synth_err err;
    synth_dataset d;
    add_dataset(csv_path, "key_aaaaaaaaaaaaaaaa", &d);
    char p[512];
    snprintf(p, sizeof p, "{\"dataset_id\":\"%s\",\"seed\":3}", d.id);
    synth_job fit, after;
    create_job(SYNTH_JOB_FIT, p, "key_aaaaaaaaaaaaaaaa", &fit);
    synth_jobs_options opt;
    synth_jobs_options_init(&opt);
    opt.slice_rows = 777;       /* many slices, odd size */
    opt.engine_threads = 2;
    run_claimed(&fit, &opt, &after);
    if (after.state != SYNTH_JOB_SUCCEEDED)
        fail_msg("fit: %s %s", synth_job_state_name(after.state), after.error);
    json_t *res = json_loads(after.result_json, 0, NULL);
    const char *md = json_string_value(json_object_get(res, "model_id"));
    assert_non_null(md);
    assert_string_equal(md + 3, fit.id + 4);   /* md_ + the job's hex */
    assert_int_equal(json_integer_value(json_object_get(res, "rows")), 400);
    assert_int_equal(json_integer_value(json_object_get(res, "columns")), 3);
    synth_model_rec m;
    assert_int_equal(synth_store_model_get(store, md, "key_aaaaaaaaaaaaaaaa", &m, &err), 0);
    assert_string_equal(m.dataset_id, d.id);
    assert_string_equal(m.generator, "copula");
    assert_string_equal(m.job_id, fit.id);

    /* the same fit by the library (CLI path) gives the same model bytes for sampling */
    char cli_model[512];
    tu_path(cli_model, sizeof cli_model, ".synth");
    synth_fit_request req;
    synth_fit_request_init(&req);
    req.input = csv_path;
    req.output = cli_model;
    req.fit.seed = 3;
    req.infer.seed = 3;
    req.infer.progress = SYNTH_PROGRESS_NEVER;
    req.fit.progress = SYNTH_PROGRESS_NEVER;
    synth_fit_result fr;
    assert_int_equal(synth_fit_csv(&req, &fr, &err), 0);

    snprintf(p, sizeof p, "{\"model_id\":\"%s\",\"rows\":5000,\"seed\":42}", md);
    json_decref(res);
    synth_job gen;
    create_job(SYNTH_JOB_GENERATE, p, "key_aaaaaaaaaaaaaaaa", &gen);
    hook_rows = 0;
    hook_calls = 0;
    opt.on_finish = on_finish;
    run_claimed(&gen, &opt, &after);
    if (after.state != SYNTH_JOB_SUCCEEDED)
        fail_msg("generate: %s %s", synth_job_state_name(after.state), after.error);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(hook_rows, 5000);
    assert_true(after.progress == 1.0);
    char out_path[512];
    assert_int_equal(synth_store_path(store, SYNTH_FILE_OUTPUT_CSV, gen.id, out_path, sizeof out_path, &err), 0);
    size_t job_len, cli_len;
    char *job_bytes = tu_read(out_path, &job_len);
    char *lib_bytes = cli_bytes(cli_model, 5000, 42, &cli_len);
    assert_int_equal(job_len, cli_len);
    assert_memory_equal(job_bytes, lib_bytes, job_len);
    res = json_loads(after.result_json, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(res, "rows")), 5000);
    assert_int_equal(json_integer_value(json_object_get(res, "bytes")), (json_int_t)job_len);
    json_decref(res);
    /* 5001 lines: one header */
    size_t lines = 0;
    for (size_t i = 0; i < job_len; i++)
        lines += job_bytes[i] == '\n';
    assert_int_equal(lines, 5001);
    assert_memory_equal(job_bytes, "age,color,score\n", 16);
    free(job_bytes);
    free(lib_bytes);

    /* validation of the generated rows against the dataset */
    snprintf(p, sizeof p, "{\"dataset_id\":\"%s\",\"job_id\":\"%s\"}", d.id, gen.id);
    synth_job val;
    create_job(SYNTH_JOB_VALIDATE, p, "key_aaaaaaaaaaaaaaaa", &val);
    run_claimed(&val, &opt, &after);
    if (after.state != SYNTH_JOB_SUCCEEDED)
        fail_msg("validate: %s %s", synth_job_state_name(after.state), after.error);
    res = json_loads(after.result_json, 0, NULL);
    double overall = json_number_value(json_object_get(res, "overall"));
    assert_true(overall > 0.5 && overall <= 1.0);
    json_decref(res);
    char jpath[512], hpath[512];
    assert_int_equal(synth_store_path(store, SYNTH_FILE_OUTPUT_JSON, val.id, jpath, sizeof jpath, &err), 0);
    assert_int_equal(synth_store_path(store, SYNTH_FILE_OUTPUT_HTML, val.id, hpath, sizeof hpath, &err), 0);
    json_t *doc = json_load_file(jpath, 0, NULL);
    assert_non_null(doc);
    assert_true(fabs(json_number_value(json_object_get(json_object_get(doc, "fidelity"), "overall")) - overall) < 1e-9);
    json_decref(doc);
    size_t hlen;
    char *html = tu_read(hpath, &hlen);
    assert_non_null(strstr(html, "<svg"));
    free(html);
    /* with a holdout and a target: utility is computed too */
    synth_dataset hold;
    add_dataset(csv_path, "key_aaaaaaaaaaaaaaaa", &hold);
    snprintf(p, sizeof p, "{\"dataset_id\":\"%s\",\"job_id\":\"%s\",\"holdout_dataset_id\":\"%s\",\"target\":\"color\"}",
             d.id, gen.id, hold.id);
    synth_job val2;
    create_job(SYNTH_JOB_VALIDATE, p, "key_aaaaaaaaaaaaaaaa", &val2);
    run_claimed(&val2, &opt, &after);
    if (after.state != SYNTH_JOB_SUCCEEDED)
        fail_msg("validate with holdout: %s %s", synth_job_state_name(after.state), after.error);
    res = json_loads(after.result_json, 0, NULL);
    assert_true(json_is_true(json_object_get(res, "utility")));
    json_decref(res);
    /* a validate job naming a fit job is refused */
    snprintf(p, sizeof p, "{\"dataset_id\":\"%s\",\"job_id\":\"%s\"}", d.id, fit.id);
    assert_int_equal(synth_jobs_check_params(store, SYNTH_JOB_VALIDATE, p, NULL, &err), SYNTH_BAD_INPUT);
    assert_non_null(strstr(err.msg, "not a succeeded generate job"));
}

/* A fit on a ragged CSV fails with the reader's message (line number), naming the dataset id and
 * never the server's file path. */
static void test_failure_reason(void **state)
{
    (void)state;
    const char *bad = tu_file(".csv", "a,b\n1,2\n3\n4,5\n");
    synth_dataset d;
    add_dataset(bad, NULL, &d);
    char p[256];
    snprintf(p, sizeof p, "{\"dataset_id\":\"%s\"}", d.id);
    synth_job j, after;
    create_job(SYNTH_JOB_FIT, p, NULL, &j);
    run_claimed(&j, NULL, &after);
    assert_int_equal(after.state, SYNTH_JOB_FAILED);
    assert_non_null(strstr(after.error, d.id));
    assert_non_null(strstr(after.error, "line 3"));
    assert_null(strstr(after.error, tu_dir));
    assert_true(after.finished_at > 0);
}

/* Fit a model from the small CSV through a job; returns its id in md. */
static void fitted_model(char md[SYNTH_ID_MAX])
{
    synth_dataset d;
    add_dataset(csv_path, NULL, &d);
    char p[256];
    snprintf(p, sizeof p, "{\"dataset_id\":\"%s\"}", d.id);
    synth_job j, after;
    create_job(SYNTH_JOB_FIT, p, NULL, &j);
    run_claimed(&j, NULL, &after);
    assert_int_equal(after.state, SYNTH_JOB_SUCCEEDED);
    json_t *res = json_loads(after.result_json, 0, NULL);
    snprintf(md, SYNTH_ID_MAX, "%s", json_string_value(json_object_get(res, "model_id")));
    json_decref(res);
}

/* A cancel request seen between slices: the job ends cancelled and leaves no output file. */
static void test_cancel(void **state)
{
    (void)state;
    synth_err err;
    char md[SYNTH_ID_MAX], p[256];
    fitted_model(md);
    snprintf(p, sizeof p, "{\"model_id\":\"%s\",\"rows\":100000}", md);
    synth_job j, c, after;
    create_job(SYNTH_JOB_GENERATE, p, NULL, &j);
    assert_int_equal(synth_store_job_claim(store, &c, &err), 0);
    assert_int_equal(synth_store_job_cancel(store, j.id, NULL, &after, &err), 0);
    assert_int_equal(after.state, SYNTH_JOB_RUNNING);
    synth_jobs_options opt;
    synth_jobs_options_init(&opt);
    opt.slice_rows = 1000;
    assert_int_equal(synth_jobs_run_one(store, &opt, &c, &err), 0);
    assert_int_equal(synth_store_job_get(store, j.id, NULL, &after, &err), 0);
    assert_int_equal(after.state, SYNTH_JOB_CANCELLED);
    assert_true(after.progress > 0 && after.progress < 0.05);   /* stopped after the first slice */
    char out[512];
    assert_int_equal(synth_store_path(store, SYNTH_FILE_OUTPUT_CSV, j.id, out, sizeof out, &err), 0);
    assert_int_not_equal(access(out, F_OK), 0);
}

static int wait_state(const char *id, synth_job_state want, double seconds, synth_job *j)
{
    synth_err err;
    for (int i = 0; i < (int)(seconds * 100); i++) {
        if (synth_store_job_get(store, id, NULL, j, &err) == 0 && j->state == want)
            return 1;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* The pool runs queued jobs when notified, reports through on_finish, and a drain with no grace
 * puts a long generate job back to queued without counting an attempt. */
static void test_pool_and_drain(void **state)
{
    (void)state;
    synth_err err;
    char md[SYNTH_ID_MAX], p[256];
    fitted_model(md);
    synth_jobs_options opt;
    synth_jobs_options_init(&opt);
    opt.workers = 2;
    opt.slice_rows = 2000;
    opt.engine_threads = 1;
    opt.poll_s = 5;   /* notify, not polling, must wake the workers */
    opt.on_finish = on_finish;
    hook_calls = 0;
    hook_rows = 0;
    synth_jobs *pool = NULL;
    assert_int_equal(synth_jobs_start(store, &opt, &pool, &err), 0);
    synth_job small, big, j;
    snprintf(p, sizeof p, "{\"model_id\":\"%s\",\"rows\":3000,\"seed\":1}", md);
    create_job(SYNTH_JOB_GENERATE, p, NULL, &small);
    synth_jobs_notify(pool);
    assert_true(wait_state(small.id, SYNTH_JOB_SUCCEEDED, 4, &j));
    assert_int_equal(hook_calls, 1);
    assert_int_equal(hook_rows, 3000);

    snprintf(p, sizeof p, "{\"model_id\":\"%s\",\"rows\":100000000,\"seed\":1}", md);
    create_job(SYNTH_JOB_GENERATE, p, NULL, &big);
    synth_jobs_notify(pool);
    assert_true(wait_state(big.id, SYNTH_JOB_RUNNING, 4, &j));
    assert_int_equal(synth_jobs_drain(pool, 0.2), 1);
    assert_int_equal(synth_jobs_drain(pool, 0), 1);   /* idempotent */
    assert_int_equal(synth_store_job_get(store, big.id, NULL, &j, &err), 0);
    assert_int_equal(j.state, SYNTH_JOB_QUEUED);
    assert_int_equal(j.attempts, 0);
    char out[512];
    assert_int_equal(synth_store_path(store, SYNTH_FILE_OUTPUT_CSV, big.id, out, sizeof out, &err), 0);
    assert_int_not_equal(access(out, F_OK), 0);
    synth_jobs_free(pool);
    /* leave the queue empty for the next test */
    assert_int_equal(synth_store_job_cancel(store, big.id, NULL, &j, &err), 0);
}

/* A job a crash left running is requeued by synth_jobs_start and then runs to the end. */
static void test_recovery_on_start(void **state)
{
    (void)state;
    synth_err err;
    char md[SYNTH_ID_MAX], p[256];
    fitted_model(md);
    snprintf(p, sizeof p, "{\"model_id\":\"%s\",\"rows\":1000,\"seed\":9}", md);
    synth_job j, c;
    create_job(SYNTH_JOB_GENERATE, p, NULL, &j);
    assert_int_equal(synth_store_job_claim(store, &c, &err), 0);   /* then "crash" */
    /* what a crash leaves: a temporary output and an upload in progress; real files stay */
    char stale[512], upload[512], keep[512];
    snprintf(stale, sizeof stale, "%s/data/outputs/.%s.csv.tmp-AbC123", tu_dir, j.id);
    snprintf(upload, sizeof upload, "%s/data/tmp/ds_0123456789abcdef.part", tu_dir);
    snprintf(keep, sizeof keep, "%s/data/outputs/job_0123456789abcdef.csv", tu_dir);
    tu_write(stale, "partial", 7);
    tu_write(upload, "partial", 7);
    tu_write(keep, "a\n", 2);
    synth_jobs_options opt;
    synth_jobs_options_init(&opt);
    opt.workers = 1;
    synth_jobs *pool = NULL;
    assert_int_equal(synth_jobs_start(store, &opt, &pool, &err), 0);
    synth_jobs_notify(pool);
    assert_int_not_equal(access(stale, F_OK), 0);
    assert_int_not_equal(access(upload, F_OK), 0);
    assert_int_equal(access(keep, F_OK), 0);
    assert_true(wait_state(j.id, SYNTH_JOB_SUCCEEDED, 5, &c));
    assert_int_equal(c.attempts, 2);
    synth_jobs_free(pool);
}

static void test_bad_options(void **state)
{
    (void)state;
    synth_err err;
    synth_jobs_options opt;
    synth_jobs_options_init(&opt);
    opt.workers = 0;
    synth_jobs *pool = (synth_jobs *)1;
    assert_int_equal(synth_jobs_start(store, &opt, &pool, &err), SYNTH_USAGE);
    assert_null(pool);
    synth_jobs_free(NULL);
    synth_jobs_notify(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_params),    cmocka_unit_test(test_fit_generate_validate),
        cmocka_unit_test(test_failure_reason),  cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_pool_and_drain),  cmocka_unit_test(test_recovery_on_start),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
