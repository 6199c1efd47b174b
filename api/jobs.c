/* jobs.c -- the job worker pool and the fit / generate / validate executors (see jobs.h).
 *
 * Workers loop: claim the oldest queued job from the store, run it, record the outcome, and sleep
 * on a condition variable (woken by synth_jobs_notify, or every poll_s) when the queue is empty.
 * Executors call the same library functions as `synth fit`, `synth generate` and `synth validate`;
 * generation runs in slices of rows (row i depends only on (model, seed, i), so slices written one
 * after the other, the header only before the first, are byte-identical to one run) and between
 * slices records progress and looks for a cancel request or a drain. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "engine.h"
#include "jobs.h"
#include "output.h"
#include "pipeline.h"
#include "report_html.h"
#include "validate.h"

#define PATH_MAX_LEN 4096

/* Outcomes of an executor besides 0 and negative synth codes. */
#define STOP_CANCEL 1   /* DELETE /v1/jobs/{id} */
#define STOP_DRAIN 2    /* the pool is draining: requeue */

struct synth_jobs {
    synth_store *store;
    synth_jobs_options opt;
    pthread_t *threads;
    int nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;        /* no more claims */
    int abort_running;   /* running jobs stop at the next slice and are requeued */
    int drained;
    int wakeups;         /* notifications not yet consumed */
    int running;         /* jobs in progress */
    int requeued;
    pthread_cond_t idle_cv;   /* signalled when running drops */
};

/* What an executor sees. */
typedef struct job_ctx {
    synth_store *store;
    const synth_jobs_options *opt;
    synth_jobs *pool;    /* NULL for synth_jobs_run_one */
    const synth_job *job;
    uint64_t rows;       /* rows written (generate) */
    char *result;        /* compact JSON (jansson's allocator) */
} job_ctx;

void synth_jobs_options_init(synth_jobs_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->workers = 2;
    opt->slice_rows = 262144;
    opt->poll_s = 1.0;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static int stop_requested(job_ctx *c)
{
    if (c->pool != NULL) {
        pthread_mutex_lock(&c->pool->mu);
        int abort_now = c->pool->abort_running;
        pthread_mutex_unlock(&c->pool->mu);
        if (abort_now)
            return STOP_DRAIN;
    }
    return synth_store_job_cancel_requested(c->store, c->job->id) ? STOP_CANCEL : 0;
}

/* Replace every occurrence of `from` in msg by `to` (messages must not reveal server paths). */
static void scrub(char *msg, size_t cap, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    if (fl == 0)
        return;
    char *p;
    while ((p = strstr(msg, from)) != NULL) {
        size_t tail = strlen(p + fl);
        if ((size_t)(p - msg) + tl + tail + 1 > cap)
            return;
        memmove(p + tl, p + fl, tail + 1);
        memcpy(p, to, tl);
    }
}

static int params_load(const synth_job *job, json_t **out, synth_err *err)
{
    json_error_t je;
    *out = json_loads(job->params_json, 0, &je);
    if (*out == NULL || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return synth_err_set(err, SYNTH_BAD_INPUT, "job parameters are not a JSON object");
    }
    return 0;
}

/* Optional non-negative integer field; *present says whether it was there. */
static int get_uint(json_t *obj, const char *field, uint64_t max, uint64_t *out, int *present, synth_err *err)
{
    json_t *v = json_object_get(obj, field);
    *present = v != NULL && !json_is_null(v);
    if (!*present)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return synth_err_set(err, SYNTH_BAD_INPUT, "field '%s': must be an integer from 0 to %llu", field,
                             (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* Optional string field (NULL when absent). */
static int get_str(json_t *obj, const char *field, const char **out, synth_err *err)
{
    json_t *v = json_object_get(obj, field);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return synth_err_set(err, SYNTH_BAD_INPUT, "field '%s': must be a string", field);
    *out = json_string_value(v);
    return 0;
}

/* A required id field of the given prefix. */
static int get_id(json_t *obj, const char *field, const char *prefix, int required, const char **out,
                  synth_err *err)
{
    int rc = get_str(obj, field, out, err);
    if (rc)
        return rc;
    if (*out == NULL)
        return required ? synth_err_set(err, SYNTH_BAD_INPUT, "field '%s' is required", field) : 0;
    if (!synth_store_id_valid(*out, prefix))
        return synth_err_set(err, SYNTH_BAD_INPUT, "field '%s': not a %sid", field, prefix);
    return 0;
}

/* {"key": value, ...} -> "key=value" strings for the generator (numbers and booleans as text).
 * *strs holds pointers into *buf; both freed with synth_free. */
static int params_to_strings(json_t *params, char ***strs, size_t *n, char **buf, synth_err *err)
{
    *strs = NULL;
    *buf = NULL;
    *n = 0;
    if (params == NULL || json_is_null(params))
        return 0;
    if (!json_is_object(params))
        return synth_err_set(err, SYNTH_BAD_INPUT, "field 'params': must be an object");
    size_t count = json_object_size(params);
    if (count > CLI_MAX_REPEAT)
        return synth_err_set(err, SYNTH_BAD_INPUT, "field 'params': at most %d entries", CLI_MAX_REPEAT);
    size_t per = 512;
    *strs = synth_calloc(count + 1, sizeof **strs);
    *buf = synth_calloc(count + 1, per);
    if (*strs == NULL || *buf == NULL) {
        synth_free(*strs);
        synth_free(*buf);
        *strs = NULL;
        *buf = NULL;
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    const char *key;
    json_t *v;
    size_t i = 0;
    json_object_foreach(params, key, v) {
        char *slot = *buf + i * per;
        char val[400];
        if (json_is_string(v) && strlen(json_string_value(v)) >= sizeof val)
            return synth_err_set(err, SYNTH_BAD_INPUT, "field 'params.%.60s': value too long", key);
        if (json_is_string(v))
            snprintf(val, sizeof val, "%s", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(val, sizeof val, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            snprintf(val, sizeof val, "%.17g", json_real_value(v));
        else if (json_is_boolean(v))
            snprintf(val, sizeof val, "%s", json_is_true(v) ? "true" : "false");
        else
            return synth_err_set(err, SYNTH_BAD_INPUT, "field 'params.%.60s': must be a string, number or boolean",
                                 key);
        size_t kl = strlen(key), vl = strlen(val);
        if (kl == 0 || kl + vl + 2 > per || strchr(key, '=') != NULL)
            return synth_err_set(err, SYNTH_BAD_INPUT, "field 'params.%.60s': bad key or value too long", key);
        memcpy(slot, key, kl);
        slot[kl] = '=';
        memcpy(slot + kl + 1, val, vl + 1);
        (*strs)[i++] = slot;
    }
    *n = i;
    return 0;
}

static int set_result(job_ctx *c, json_t *doc, synth_err *err)
{
    if (doc == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    c->result = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    return c->result == NULL ? synth_err_set(err, SYNTH_NOMEM, "out of memory") : 0;
}

/* ---- parameter checks (shared by the server and the executors) --------------------------- */

static int check_fit(synth_store *s, json_t *p, const char *owner, synth_err *err)
{
    const char *ds, *gen_name;
    uint64_t seed;
    int present, rc;
    if ((rc = get_id(p, "dataset_id", "ds_", 1, &ds, err)) || (rc = get_str(p, "generator", &gen_name, err)) ||
        (rc = get_uint(p, "seed", UINT64_MAX >> 1, &seed, &present, err)))
        return rc;
    const synth_generator *gen = synth_generator_find(gen_name != NULL ? gen_name : "copula");
    if (gen == NULL)
        return synth_err_set(err, SYNTH_BAD_INPUT, "field 'generator': unknown generator '%.60s'", gen_name);
    char **strs, *buf;
    size_t n;
    if ((rc = params_to_strings(json_object_get(p, "params"), &strs, &n, &buf, err)) != 0) {
        synth_free(strs);
        synth_free(buf);
        return rc;
    }
    synth_fit_options fo;
    memset(&fo, 0, sizeof fo);
    fo.params = (const char *const *)strs;
    fo.nparams = n;
    rc = synth_params_check(&fo, gen, err);
    synth_free(strs);
    synth_free(buf);
    if (rc) {
        char why[SYNTH_ERR_MSG_MAX];
        memcpy(why, err->msg, sizeof why);
        return synth_err_set(err, SYNTH_BAD_INPUT, "field 'params': %s", why);
    }
    if (s != NULL) {
        synth_dataset d;
        rc = synth_store_dataset_get(s, ds, owner, &d, err);
    }
    return rc;
}

static int check_generate(synth_store *s, json_t *p, const char *owner, synth_err *err)
{
    const char *md;
    uint64_t rows, seed;
    int present, rc;
    if ((rc = get_id(p, "model_id", "md_", 1, &md, err)) ||
        (rc = get_uint(p, "rows", SYNTH_JOBS_MAX_ROWS, &rows, &present, err)))
        return rc;
    if (!present || rows == 0)
        return synth_err_set(err, SYNTH_BAD_INPUT, "field 'rows': an integer from 1 to %llu is required",
                             (unsigned long long)SYNTH_JOBS_MAX_ROWS);
    if ((rc = get_uint(p, "seed", UINT64_MAX >> 1, &seed, &present, err)))
        return rc;
    if (s != NULL) {
        synth_model_rec m;
        rc = synth_store_model_get(s, md, owner, &m, err);
    }
    return rc;
}

static int check_validate(synth_store *s, json_t *p, const char *owner, synth_err *err)
{
    const char *ds, *job_id, *holdout, *target;
    int rc;
    if ((rc = get_id(p, "dataset_id", "ds_", 1, &ds, err)) || (rc = get_id(p, "job_id", "job_", 1, &job_id, err)) ||
        (rc = get_id(p, "holdout_dataset_id", "ds_", 0, &holdout, err)) || (rc = get_str(p, "target", &target, err)))
        return rc;
    if (target != NULL && holdout == NULL)
        return synth_err_set(err, SYNTH_BAD_INPUT, "field 'target' needs 'holdout_dataset_id'");
    if (target != NULL && (target[0] == '\0' || strlen(target) > 1024))
        return synth_err_set(err, SYNTH_BAD_INPUT, "field 'target': must be a column name");
    if (s == NULL)
        return 0;
    synth_dataset d;
    if ((rc = synth_store_dataset_get(s, ds, owner, &d, err)) != 0)
        return rc;
    if (holdout != NULL && (rc = synth_store_dataset_get(s, holdout, owner, &d, err)) != 0)
        return rc;
    synth_job j;
    if ((rc = synth_store_job_get(s, job_id, owner, &j, err)) != 0)
        return rc;
    if (j.kind != SYNTH_JOB_GENERATE || j.state != SYNTH_JOB_SUCCEEDED)
        return synth_err_set(err, SYNTH_BAD_INPUT, "field 'job_id': job %s is a %s job in state %s, not a "
                             "succeeded generate job", j.id, synth_job_kind_name(j.kind), synth_job_state_name(j.state));
    return 0;
}

int synth_jobs_check_params(synth_store *store, synth_job_kind kind, const char *params_json, const char *owner,
                            synth_err *err)
{
    json_error_t je;
    json_t *p = json_loads(params_json != NULL ? params_json : "", JSON_REJECT_DUPLICATES, &je);
    if (p == NULL)
        return synth_err_set(err, SYNTH_BAD_INPUT, "request body is not valid JSON (line %d, column %d): %s", je.line,
                             je.column, je.text);
    int rc;
    if (!json_is_object(p))
        rc = synth_err_set(err, SYNTH_BAD_INPUT, "request body must be a JSON object");
    else if (kind == SYNTH_JOB_FIT)
        rc = check_fit(store, p, owner, err);
    else if (kind == SYNTH_JOB_GENERATE)
        rc = check_generate(store, p, owner, err);
    else if (kind == SYNTH_JOB_VALIDATE)
        rc = check_validate(store, p, owner, err);
    else
        rc = synth_err_set(err, SYNTH_INTERNAL, "unknown job kind");
    json_decref(p);
    return rc;
}

/* ---- executors --------------------------------------------------------------------------- */

static int run_fit(job_ctx *c, json_t *p, synth_err *err)
{
    int rc = check_fit(NULL, p, NULL, err);
    if (rc)
        return rc;
    const char *ds = json_string_value(json_object_get(p, "dataset_id"));
    const char *gen = json_string_value(json_object_get(p, "generator"));
    char in[PATH_MAX_LEN], out[PATH_MAX_LEN], md_id[SYNTH_ID_MAX];
    snprintf(md_id, sizeof md_id, "md_%s", c->job->id + 4);   /* same hex as the job: re-runs rewrite it */
    synth_dataset d;
    if ((rc = synth_store_dataset_get(c->store, ds, NULL, &d, err)) != 0)
        return rc == SYNTH_STORE_NOT_FOUND ? synth_err_set(err, SYNTH_BAD_INPUT, "dataset %s no longer exists", ds)
                                           : rc;
    if ((rc = synth_store_path(c->store, SYNTH_FILE_DATASET, ds, in, sizeof in, err)) ||
        (rc = synth_store_path(c->store, SYNTH_FILE_MODEL, md_id, out, sizeof out, err)))
        return rc;
    synth_fit_request req;
    synth_fit_request_init(&req);
    req.input = in;
    req.output = out;
    if (gen != NULL)
        req.generator = gen;
    req.infer.progress = SYNTH_PROGRESS_NEVER;
    req.fit.progress = SYNTH_PROGRESS_NEVER;
    json_t *seed = json_object_get(p, "seed");
    if (json_is_integer(seed)) {
        req.fit.seed = (uint64_t)json_integer_value(seed);
        req.infer.seed = req.fit.seed;
    }
    char **strs, *buf;
    size_t n;
    if ((rc = params_to_strings(json_object_get(p, "params"), &strs, &n, &buf, err)) != 0) {
        synth_free(strs);
        synth_free(buf);
        return rc;
    }
    req.fit.params = (const char *const *)strs;
    req.fit.nparams = n;
    synth_store_job_progress(c->store, c->job->id, 0.05, NULL);
    synth_fit_result res;
    rc = synth_fit_csv(&req, &res, err);
    synth_free(strs);
    synth_free(buf);
    if (rc) {
        char label[64];
        snprintf(label, sizeof label, "dataset %s", ds);
        scrub(err->msg, sizeof err->msg, in, label);
        return rc;
    }
    /* a drain lets a finished fit count; a cancel that came during the fit still wins */
    if (synth_store_job_cancel_requested(c->store, c->job->id)) {
        unlink(out);
        return STOP_CANCEL;
    }
    synth_model_rec m;
    memset(&m, 0, sizeof m);
    memcpy(m.id, md_id, sizeof md_id);
    snprintf(m.dataset_id, sizeof m.dataset_id, "%s", ds);
    snprintf(m.generator, sizeof m.generator, "%s", req.generator);
    json_t *params = json_object_get(p, "params");
    char *pj = params != NULL && json_is_object(params) ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    snprintf(m.params_json, sizeof m.params_json, "%s", pj != NULL ? pj : "{}");
    free(pj);
    snprintf(m.key_id, sizeof m.key_id, "%s", c->job->key_id);
    snprintf(m.job_id, sizeof m.job_id, "%s", c->job->id);
    if ((rc = synth_store_model_insert(c->store, &m, err)) != 0)
        return rc;
    return set_result(c, json_pack("{s:s, s:I, s:I, s:I}", "model_id", m.id, "rows", (json_int_t)res.rows,
                                   "sample_rows", (json_int_t)res.sample_rows, "columns", (json_int_t)res.ncols),
                      err);
}

static int run_generate(job_ctx *c, json_t *p, synth_err *err)
{
    int rc = check_generate(NULL, p, NULL, err);
    if (rc)
        return rc;
    const char *md = json_string_value(json_object_get(p, "model_id"));
    uint64_t rows = (uint64_t)json_integer_value(json_object_get(p, "rows"));
    uint64_t seed = json_is_integer(json_object_get(p, "seed")) ? (uint64_t)json_integer_value(json_object_get(p, "seed"))
                                                                : 0;
    char model_path[PATH_MAX_LEN], out_path[PATH_MAX_LEN];
    synth_model_rec m;
    if ((rc = synth_store_model_get(c->store, md, NULL, &m, err)) != 0)
        return rc == SYNTH_STORE_NOT_FOUND ? synth_err_set(err, SYNTH_BAD_INPUT, "model %s no longer exists", md) : rc;
    if ((rc = synth_store_path(c->store, SYNTH_FILE_MODEL, md, model_path, sizeof model_path, err)) ||
        (rc = synth_store_path(c->store, SYNTH_FILE_OUTPUT_CSV, c->job->id, out_path, sizeof out_path, err)))
        return rc;
    synth_loaded_model *lm = NULL;
    if ((rc = synth_model_open(model_path, &lm, err)) != 0) {
        char label[64];
        snprintf(label, sizeof label, "model %s", md);
        scrub(err->msg, sizeof err->msg, model_path, label);
        return rc;
    }
    synth_output *out = NULL;
    if ((rc = synth_output_open(&out, out_path, err)) != 0) {
        synth_loaded_model_free(lm);
        return rc;
    }
    synth_engine_options eo;
    synth_engine_options_init(&eo);
    eo.seed = seed;
    eo.threads = c->opt->engine_threads;
    if (eo.threads < 1) {
        int workers = c->opt->workers > 0 ? c->opt->workers : 1;
        eo.threads = synth_cpu_count() / workers;
        if (eo.threads < 1)
            eo.threads = 1;
    }
    uint64_t slice = c->opt->slice_rows > 0 ? c->opt->slice_rows : 262144;
    uint64_t bytes = 0;
    int stop = 0;
    for (uint64_t first = 0; rc == 0 && first < rows; first += slice) {
        eo.first_row = first;
        eo.end_row = rows - first > slice ? first + slice : rows;
        eo.header = first == 0;
        synth_engine_stats st;
        rc = synth_engine_run(lm->gen, lm->model, lm->schema, &eo, out, &st, err);
        if (rc)
            break;
        bytes += st.bytes;
        c->rows = eo.end_row;
        synth_store_job_progress(c->store, c->job->id, (double)eo.end_row / (double)rows, NULL);
        if (eo.end_row < rows && (stop = stop_requested(c)) != 0)
            break;
    }
    synth_loaded_model_free(lm);
    if (rc == 0 && stop == 0)
        rc = synth_output_commit(out, err);
    else
        synth_output_abort(out);
    if (rc == SYNTH_INTERRUPTED)
        return STOP_DRAIN;   /* the process got SIGINT/SIGTERM: run it again after the restart */
    if (rc)
        return rc;
    if (stop) {
        c->rows = 0;
        return stop;
    }
    return set_result(c, json_pack("{s:I, s:I, s:s, s:s}", "rows", (json_int_t)rows, "bytes", (json_int_t)bytes,
                                   "format", "csv", "model_id", md),
                      err);
}

static json_t *num_or_null(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_real(json_number_value(v)) : json_null();
}

/* The report names its inputs by server path; a client sees object ids instead, never the layout
 * of the data directory. */
static int label_report_inputs(json_t *doc, const char *ds, const char *gen_job, const char *holdout, synth_err *err)
{
    static const char *const keys[] = {"real", "synthetic", "holdout"};
    const char *ids[] = {ds, gen_job, holdout};
    const char *fields[] = {"dataset_id", "job_id", "dataset_id"};
    json_t *inputs = json_object_get(doc, "inputs");
    for (size_t i = 0; i < 3; i++) {
        json_t *in = json_object_get(inputs, keys[i]);
        if (!json_is_object(in))
            continue;
        json_object_del(in, "path");
        if (ids[i] != NULL && json_object_set_new(in, fields[i], json_string(ids[i])) != 0)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory labelling the report");
    }
    json_t *leak = json_object_get(doc, "pii_leakage");
    if (json_is_object(leak) && (json_object_set_new(leak, "source", json_string(ds)) != 0 ||
                                 json_object_set_new(leak, "output", json_string(gen_job)) != 0))
        return synth_err_set(err, SYNTH_NOMEM, "out of memory labelling the report");
    return 0;
}

static int run_validate(job_ctx *c, json_t *p, synth_err *err)
{
    int rc = check_validate(NULL, p, NULL, err);
    if (rc)
        return rc;
    const char *ds = json_string_value(json_object_get(p, "dataset_id"));
    const char *gen_job = json_string_value(json_object_get(p, "job_id"));
    const char *holdout = json_string_value(json_object_get(p, "holdout_dataset_id"));
    const char *target = json_string_value(json_object_get(p, "target"));
    char real[PATH_MAX_LEN], synth[PATH_MAX_LEN], hold[PATH_MAX_LEN], jpath[PATH_MAX_LEN], hpath[PATH_MAX_LEN];
    if ((rc = synth_store_path(c->store, SYNTH_FILE_DATASET, ds, real, sizeof real, err)) ||
        (rc = synth_store_path(c->store, SYNTH_FILE_OUTPUT_CSV, gen_job, synth, sizeof synth, err)) ||
        (holdout != NULL && (rc = synth_store_path(c->store, SYNTH_FILE_DATASET, holdout, hold, sizeof hold, err))) ||
        (rc = synth_store_path(c->store, SYNTH_FILE_OUTPUT_JSON, c->job->id, jpath, sizeof jpath, err)) ||
        (rc = synth_store_path(c->store, SYNTH_FILE_OUTPUT_HTML, c->job->id, hpath, sizeof hpath, err)))
        return rc;
    synth_validate_request req;
    synth_validate_request_init(&req);
    req.real_path = real;
    req.synthetic_path = synth;
    req.holdout_path = holdout != NULL ? hold : NULL;
    req.target = target;
    req.progress = SYNTH_PROGRESS_NEVER;
    synth_store_job_progress(c->store, c->job->id, 0.05, NULL);
    json_t *doc = NULL;
    rc = synth_validate(&req, &doc, err);
    if (rc == 0)
        rc = label_report_inputs(doc, ds, gen_job, holdout, err);
    if (rc == 0)
        rc = cli_write_json(doc, jpath, err);
    if (rc == 0)
        rc = synth_report_write_html(doc, hpath, err);
    if (rc) {
        char label[64];
        snprintf(label, sizeof label, "dataset %s", ds);
        scrub(err->msg, sizeof err->msg, real, label);
        snprintf(label, sizeof label, "output of job %s", gen_job);
        scrub(err->msg, sizeof err->msg, synth, label);
        if (holdout != NULL) {
            snprintf(label, sizeof label, "dataset %s", holdout);
            scrub(err->msg, sizeof err->msg, hold, label);
        }
        json_decref(doc);
        return rc == SYNTH_INTERRUPTED ? STOP_DRAIN : rc;
    }
    json_t *fid = json_object_get(doc, "fidelity");
    json_t *res = json_pack("{s:o, s:o, s:o, s:b, s:s, s:s}", "overall", num_or_null(fid, "overall"), "column_shapes",
                            num_or_null(fid, "column_shapes"), "column_pair_trends",
                            num_or_null(fid, "column_pair_trends"), "utility",
                            json_is_object(json_object_get(doc, "utility")), "report_json", "json", "report_html",
                            "html");
    json_decref(doc);
    return set_result(c, res, err);
}

/* ---- running one job --------------------------------------------------------------------- */

static int run_job(synth_store *store, const synth_jobs_options *opt, synth_jobs *pool, const synth_job *job,
                   synth_err *err)
{
    job_ctx c;
    memset(&c, 0, sizeof c);
    c.store = store;
    c.opt = opt;
    c.pool = pool;
    c.job = job;
    synth_err jerr;
    synth_err_clear(&jerr);
    json_t *p = NULL;
    int rc = params_load(job, &p, &jerr);
    if (rc == 0) {
        switch (job->kind) {
        case SYNTH_JOB_FIT: rc = run_fit(&c, p, &jerr); break;
        case SYNTH_JOB_GENERATE: rc = run_generate(&c, p, &jerr); break;
        case SYNTH_JOB_VALIDATE: rc = run_validate(&c, p, &jerr); break;
        default: rc = synth_err_set(&jerr, SYNTH_INTERNAL, "unknown job kind"); break;
        }
    }
    json_decref(p);
    if (rc == SYNTH_INTERRUPTED)
        rc = STOP_DRAIN;   /* the process got SIGINT/SIGTERM: keep the job for the next start */
    int src;
    int terminal = 1;
    if (rc == 0) {
        src = synth_store_job_finish(store, job->id, SYNTH_JOB_SUCCEEDED, c.result, NULL, err);
    } else if (rc == STOP_CANCEL) {
        src = synth_store_job_finish(store, job->id, SYNTH_JOB_CANCELLED, NULL, "cancelled", err);
    } else if (rc == STOP_DRAIN) {
        terminal = 0;
        src = synth_store_job_requeue(store, job->id, err);
        if (pool != NULL) {
            pthread_mutex_lock(&pool->mu);
            pool->requeued++;
            pthread_mutex_unlock(&pool->mu);
        }
    } else {
        if (jerr.msg[0] == '\0')
            synth_err_set(&jerr, rc, "%s", synth_code_desc(rc));
        src = synth_store_job_finish(store, job->id, SYNTH_JOB_FAILED, NULL, jerr.msg, err);
    }
    free(c.result);   /* json_dumps' allocator */
    if (src == 0 && terminal && opt->on_finish != NULL) {
        synth_job done;
        synth_err ignore;
        if (synth_store_job_get(store, job->id, NULL, &done, &ignore) == 0)
            opt->on_finish(opt->ctx, &done, rc == 0 ? c.rows : 0);
    }
    return src;
}

int synth_jobs_run_one(synth_store *store, const synth_jobs_options *opt, const synth_job *job, synth_err *err)
{
    synth_jobs_options defaults;
    if (opt == NULL) {
        synth_jobs_options_init(&defaults);
        opt = &defaults;
    }
    return run_job(store, opt, NULL, job, err);
}

/* ---- the pool ---------------------------------------------------------------------------- */

static void deadline_after(struct timespec *ts, double seconds)
{
    clock_gettime(CLOCK_REALTIME, ts);
    if (!(seconds > 0))
        seconds = 0;
    if (seconds > 1e6)
        seconds = 1e6;
    double whole = floor(seconds);
    ts->tv_sec += (time_t)whole;
    ts->tv_nsec += (long)((seconds - whole) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void *worker_main(void *arg)
{
    synth_jobs *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        if (p->stopping) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        p->running++;
        pthread_mutex_unlock(&p->mu);

        synth_job job;
        synth_err err;
        int rc = synth_store_job_claim(p->store, &job, &err);
        if (rc == 0)
            run_job(p->store, &p->opt, p, &job, &err);

        pthread_mutex_lock(&p->mu);
        p->running--;
        pthread_cond_broadcast(&p->idle_cv);
        if (rc != 0 && !p->stopping) {
            if (p->wakeups > 0) {
                p->wakeups--;
            } else {
                struct timespec ts;
                deadline_after(&ts, p->opt.poll_s);
                pthread_cond_timedwait(&p->cv, &p->mu, &ts);
                if (p->wakeups > 0)
                    p->wakeups--;
            }
        }
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

int synth_jobs_start(synth_store *store, const synth_jobs_options *opt, synth_jobs **out, synth_err *err)
{
    *out = NULL;
    synth_jobs_options o;
    if (opt != NULL)
        o = *opt;
    else
        synth_jobs_options_init(&o);
    if (o.workers < 1 || o.workers > 64)
        return synth_err_set(err, SYNTH_USAGE, "--workers must be 1..64");
    if (o.engine_threads < 0 || o.engine_threads > 256)
        return synth_err_set(err, SYNTH_USAGE, "engine threads must be 0..256");
    if (o.slice_rows == 0)
        o.slice_rows = 262144;
    if (!(o.poll_s > 0))
        o.poll_s = 1.0;
    uint64_t requeued = 0, failed = 0;
    int rc = synth_store_job_recover(store, SYNTH_JOBS_MAX_ATTEMPTS, &requeued, &failed, err);
    if (rc == 0)
        rc = synth_store_sweep_temp(store, NULL, err);
    if (rc)
        return rc;
    synth_jobs *p = synth_calloc(1, sizeof *p);
    if (p == NULL || (p->threads = synth_calloc((size_t)o.workers, sizeof *p->threads)) == NULL) {
        synth_free(p);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    p->store = store;
    p->opt = o;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_cond_init(&p->idle_cv, NULL);
    for (int i = 0; i < o.workers; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
            synth_jobs_free(p);
            return synth_err_set(err, SYNTH_INTERNAL, "cannot start job worker threads");
        }
        p->nthreads++;
    }
    *out = p;
    return 0;
}

void synth_jobs_notify(synth_jobs *jobs)
{
    if (jobs == NULL)
        return;
    pthread_mutex_lock(&jobs->mu);
    if (jobs->wakeups < jobs->nthreads)
        jobs->wakeups++;
    pthread_cond_signal(&jobs->cv);
    pthread_mutex_unlock(&jobs->mu);
}

int synth_jobs_drain(synth_jobs *jobs, double grace_s)
{
    if (jobs == NULL)
        return 0;
    pthread_mutex_lock(&jobs->mu);
    if (jobs->drained) {
        int n = jobs->requeued;
        pthread_mutex_unlock(&jobs->mu);
        return n;
    }
    jobs->stopping = 1;
    pthread_cond_broadcast(&jobs->cv);
    struct timespec ts;
    deadline_after(&ts, grace_s);
    while (jobs->running > 0) {
        if (pthread_cond_timedwait(&jobs->idle_cv, &jobs->mu, &ts) != 0 && jobs->running > 0)
            break;   /* grace period over */
    }
    if (jobs->running > 0)
        jobs->abort_running = 1;   /* generate jobs stop at their next slice and are requeued */
    pthread_mutex_unlock(&jobs->mu);
    for (int i = 0; i < jobs->nthreads; i++)
        pthread_join(jobs->threads[i], NULL);
    pthread_mutex_lock(&jobs->mu);
    jobs->drained = 1;
    int n = jobs->requeued;
    pthread_mutex_unlock(&jobs->mu);
    return n;
}

void synth_jobs_free(synth_jobs *jobs)
{
    if (jobs == NULL)
        return;
    synth_jobs_drain(jobs, 0);
    pthread_mutex_destroy(&jobs->mu);
    pthread_cond_destroy(&jobs->cv);
    pthread_cond_destroy(&jobs->idle_cv);
    synth_free(jobs->threads);
    synth_free(jobs);
}
