/* routes_data.c -- handlers for CSV in and CSV out: POST /v1/generate (upload, fit, stream back),
 * POST/GET/DELETE /v1/datasets, GET /v1/models/{id}/rows, plus /metrics and /v1/openapi.json.
 *
 * Streamed answers: a producer thread runs the library's sampling engine (src/engine.h, the same
 * code as `synth generate`) writing into a pipe; libmicrohttpd's content reader pulls from the
 * pipe as the socket drains, so memory stays bounded (engine ring + pipe) for any row count and a
 * slow client slows the engine down.  A client that goes away closes the pipe: the engine's next
 * write fails, the producer stops, and the free callback joins it and frees the model. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "count_arg.h"
#include "engine.h"
#include "openapi.h"
#include "output.h"
#include "pipeline.h"
#include "routes_impl.h"

enum MHD_Result synth__route_metrics(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    size_t len = 0;
    char *text = synth_metrics_render(r->srv->metrics, &len, &err);
    if (text == NULL)
        return synth__respond_error(r, 500, "%s", err.msg);
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, text, synth_free);
    if (resp == NULL) {
        synth_free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, SYNTH_METRICS_CONTENT_TYPE);
    atomic_store(&r->bytes, len);
    return synth__respond(r, 200, resp);
}

enum MHD_Result synth__route_openapi(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    size_t len = 0;
    char *text = synth_openapi_document(SYNTH_VERSION, &len, &err);
    if (text == NULL)
        return synth__respond_error(r, 500, "%s", err.msg);
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, text, synth_free);
    if (resp == NULL) {
        synth_free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    atomic_store(&r->bytes, len);
    return synth__respond(r, 200, resp);
}

/* ---- parameters --------------------------------------------------------------------------- */

int synth__rows_seed(synth_req *r, int *have_rows, uint64_t *rows, uint64_t *seed, enum MHD_Result *answered)
{
    synth_http_problem p;
    synth_http_problem_clear(&p);
    const char *v = synth__req_query(r, "rows");
    *have_rows = 0;
    *rows = 0;
    *seed = 0;
    if (v == NULL) {
        synth_http_problem_set(&p, 400, "the query parameter rows=N is required");
        snprintf(p.field, sizeof p.field, "rows");
        *answered = synth__respond_problem(r, &p);
        return -1;
    }
    synth_err err;
    synth_err_clear(&err);
    if (synth_parse_count(v, UINT64_MAX, rows, "rows", &err) != 0 || *rows == 0) {
        synth_http_problem_set(&p, 400, "%s", *rows == 0 && err.msg[0] == '\0' ? "rows must be at least 1" : err.msg);
        snprintf(p.field, sizeof p.field, "rows");
        *answered = synth__respond_problem(r, &p);
        return -1;
    }
    if (*rows > r->srv->cfg.max_rows) {
        synth_http_problem_set(&p, 422, "rows=%llu is above this server's limit of %llu", (unsigned long long)*rows,
                               (unsigned long long)r->srv->cfg.max_rows);
        snprintf(p.field, sizeof p.field, "rows");
        *answered = synth__respond_problem(r, &p);
        return -1;
    }
    *have_rows = 1;
    if ((v = synth__req_query(r, "seed")) != NULL && synth_http_parse_u64(v, UINT64_MAX, seed) != 0) {
        synth_http_problem_set(&p, 400, "seed must be a whole number from 0 to 18446744073709551615");
        snprintf(p.field, sizeof p.field, "seed");
        *answered = synth__respond_problem(r, &p);
        return -1;
    }
    return 0;
}

/* A library error about the uploaded CSV as a problem: the temporary path becomes "the uploaded
 * CSV", "line N" becomes the line member, a too-long field is 413, other bad input 422. */
static enum MHD_Result csv_problem(synth_req *r, const synth_err *err)
{
    synth_http_problem p;
    synth_http_problem_clear(&p);
    if (err->code != SYNTH_BAD_INPUT && err->code != SYNTH_USAGE)
        return synth__respond_error(r, err->code == SYNTH_NOMEM ? 503 : 500, "cannot read the upload: %s",
                                    synth_code_desc(err->code));
    char msg[SYNTH_ERR_MSG_MAX];
    const char *src = err->msg;
    size_t n = 0, plen = strlen(r->tmp_path);
    while (*src != '\0' && n + 1 < sizeof msg) {
        if (plen > 0 && strncmp(src, r->tmp_path, plen) == 0) {
            n += (size_t)snprintf(msg + n, sizeof msg - n, "the uploaded CSV");
            if (n >= sizeof msg)
                n = sizeof msg - 1;
            src += plen;
            continue;
        }
        msg[n++] = *src++;
    }
    msg[n] = '\0';
    int status = strstr(msg, "field exceeds") != NULL ? 413 : 422;
    synth_http_problem_set(&p, status, "%s", msg);
    const char *line = strstr(msg, "line ");
    if (line != NULL) {
        uint64_t v = 0;
        const char *d = line + 5;
        while (*d >= '0' && *d <= '9' && v < 1000000000000ULL)
            v = v * 10 + (uint64_t)(*d++ - '0');
        p.line = (long)v;
    }
    return synth__respond_problem(r, &p);
}

/* ---- streamed CSV ------------------------------------------------------------------------- */

typedef struct stream {
    synth_req *r;               /* holds a reference */
    synth_loaded_model *lm;
    synth_engine_options eo;
    int rfd, wfd;               /* pipe */
    pthread_t tid;
    int started;
    int rc;                     /* the producer's result */
    synth_err err;
    synth_engine_stats stats;
} stream;

static void *producer_main(void *arg)
{
    stream *st = arg;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", st->wfd);
    synth_output *out = NULL;
    /* The pipe's write end, opened as a special file: synth_output writes it directly. */
    st->rc = synth_output_open(&out, path, &st->err);
    close(st->wfd);
    st->wfd = -1;
    if (st->rc == 0) {
        st->rc = synth_engine_run(st->lm->gen, st->lm->model, st->lm->schema, &st->eo, out, &st->stats, &st->err);
        if (st->rc == 0)
            st->rc = synth_output_commit(out, &st->err);
        else
            synth_output_abort(out);
    }
    return NULL;
}

static void stream_join(stream *st)
{
    if (!st->started)
        return;
    pthread_join(st->tid, NULL);
    st->started = 0;
    synth_metrics_add_rows(st->r->srv->metrics, st->stats.rows);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream *st = cls;
    for (;;) {
        ssize_t n = read(st->rfd, buf, max);
        if (n > 0) {
            atomic_fetch_add(&st->r->bytes, (uint64_t)n);
            return n;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        break;
    }
    stream_join(st);
    /* A failed run must not look complete: end without the last chunk, so the client sees a
     * truncated transfer rather than a short file. */
    return st->rc == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
    stream *st = cls;
    if (st->rfd >= 0)
        close(st->rfd);   /* the producer's next write fails with EPIPE and it stops */
    st->rfd = -1;
    stream_join(st);
    if (st->wfd >= 0)
        close(st->wfd);
    synth_loaded_model_free(st->lm);
    synth__req_release(st->r);
    synth_free(st);
}

enum MHD_Result synth__stream_model(synth_req *r, const char *model_path, int unlink_model, int have_rows,
                                    uint64_t rows, uint64_t seed)
{
    synth_err err;
    synth_err_clear(&err);
    stream *st = synth_calloc(1, sizeof *st);
    if (st == NULL)
        return synth__respond_error(r, 503, "out of memory");
    st->rfd = st->wfd = -1;
    int rc = synth_model_open(model_path, &st->lm, &err);
    if (unlink_model)
        unlink(model_path);
    if (rc) {
        synth_free(st);
        return synth__respond_error(r, 500, "cannot load the model: %s", synth_code_desc(rc));
    }
    synth_engine_options_init(&st->eo);
    st->eo.seed = seed;
    st->eo.first_row = 0;
    st->eo.end_row = have_rows ? rows : st->lm->schema->rows;
    st->eo.threads = synth_cpu_count();
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        synth_loaded_model_free(st->lm);
        synth_free(st);
        return synth__respond_error(r, 503, "cannot stream: %s", strerror(errno));
    }
    st->rfd = fds[0];
    st->wfd = fds[1];
    fcntl(st->wfd, F_SETPIPE_SZ, 1 << 20);   /* fewer wakeups; best effort */
    st->r = r;
    atomic_fetch_add(&r->refs, 1);
    if (pthread_create(&st->tid, NULL, producer_main, st) != 0) {
        stream_free(st);
        return synth__respond_error(r, 503, "cannot start the generator thread");
    }
    st->started = 1;
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, st,
                                                                  stream_free);
    if (resp == NULL) {
        stream_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/csv; charset=utf-8");
    return synth__respond(r, 200, resp);
}

/* ---- POST /v1/generate -------------------------------------------------------------------- */

enum MHD_Result synth__route_generate(synth_req *r)
{
    int have_rows;
    uint64_t rows, seed;
    enum MHD_Result ans;
    if (synth__rows_seed(r, &have_rows, &rows, &seed, &ans) != 0)
        return ans;
    synth_err err;
    synth_err_clear(&err);
    char model_id[SYNTH_ID_MAX], model_path[4096];
    if (synth_store_new_id("md_", model_id, &err) != 0 ||
        synth_store_path(r->srv->store, SYNTH_FILE_TMP, model_id, model_path, sizeof model_path, &err) != 0)
        return synth__respond_error(r, 500, "%s", err.msg);
    synth_fit_request req;
    synth_fit_request_init(&req);
    req.input = r->tmp_path;
    req.output = model_path;
    req.infer.progress = SYNTH_PROGRESS_NEVER;
    req.fit.progress = SYNTH_PROGRESS_NEVER;
    synth_fit_result res;
    int rc = synth_fit_csv(&req, &res, &err);
    if (rc) {
        unlink(model_path);
        return csv_problem(r, &err);
    }
    synth_store_audit(r->srv->store, r->key.id, "generate.stream", NULL, r->body_bytes, NULL, &err);
    unlink(r->tmp_path);   /* the upload is no longer needed */
    r->tmp_path[0] = '\0';
    return synth__stream_model(r, model_path, 1, have_rows, rows, seed);
}

/* ---- datasets ------------------------------------------------------------------------------ */

enum MHD_Result synth__route_dataset_create(synth_req *r)
{
    synth_store *store = r->srv->store;
    synth_err err;
    synth_err_clear(&err);
    const char *name = synth__req_query(r, "name");
    if (name == NULL || name[0] == '\0')
        name = "upload";
    synth_infer_options opt;
    synth_infer_options_init(&opt);
    opt.progress = SYNTH_PROGRESS_NEVER;
    synth_schema *schema = NULL;
    int rc = synth_schema_csv(r->tmp_path, NULL, &opt, &schema, &err);
    if (rc)
        return csv_problem(r, &err);
    synth_dataset ds;
    memset(&ds, 0, sizeof ds);
    snprintf(ds.id, sizeof ds.id, "%s", r->tmp_id);
    snprintf(ds.key_id, sizeof ds.key_id, "%s", r->key.id);
    if (strlen(name) >= sizeof ds.name) {
        synth_schema_free(schema);
        return synth__respond_error(r, 413, "name is longer than %d bytes", SYNTH_NAME_MAX - 1);
    }
    snprintf(ds.name, sizeof ds.name, "%s", name);
    ds.bytes = r->body_bytes;
    ds.rows = schema->rows;
    ds.columns = (uint32_t)schema->ncols;
    synth_schema_free(schema);
    char final_path[4096];
    if ((rc = synth_store_path(store, SYNTH_FILE_DATASET, ds.id, final_path, sizeof final_path, &err)) != 0)
        return synth__respond_store_error(r, rc, &err);
    if (rename(r->tmp_path, final_path) != 0)
        return synth__respond_error(r, 503, "cannot store the dataset: %s", strerror(errno));
    r->tmp_path[0] = '\0';
    if ((rc = synth_store_dataset_insert(store, &ds, &err)) != 0) {
        unlink(final_path);
        return synth__respond_store_error(r, rc, &err);
    }
    synth_store_audit(store, r->key.id, "dataset.create", ds.id, ds.bytes, NULL, &err);
    char location[96];
    snprintf(location, sizeof location, "/v1/datasets/%s", ds.id);
    return synth__respond_json(r, 201, synth_dataset_json(&ds), location);
}

enum MHD_Result synth__route_dataset_list(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    synth_dataset *list = NULL;
    size_t n = 0;
    int rc = synth_store_dataset_list(r->srv->store, synth__req_owner(r), 0, &list, &n, &err);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < n; i++)
        json_array_append_new(items, synth_dataset_json(&list[i]));
    synth_free(list);
    return synth__respond_json(r, 200, items ? json_pack("{s:o}", "items", items) : NULL, NULL);
}

enum MHD_Result synth__route_dataset_get(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    synth_dataset ds;
    if (!synth_store_id_valid(r->id, "ds_"))
        return synth__respond_error(r, 404, "no dataset %s", r->id);
    int rc = synth_store_dataset_get(r->srv->store, r->id, synth__req_owner(r), &ds, &err);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    return synth__respond_json(r, 200, synth_dataset_json(&ds), NULL);
}

enum MHD_Result synth__route_dataset_delete(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    if (!synth_store_id_valid(r->id, "ds_"))
        return synth__respond_error(r, 404, "no dataset %s", r->id);
    int rc = synth_store_dataset_delete(r->srv->store, r->id, synth__req_owner(r), &err);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    synth_store_audit(r->srv->store, r->key.id, "dataset.delete", r->id, 0, NULL, &err);
    return synth__respond_empty(r, 204);
}

/* ---- GET /v1/models/{id}/rows --------------------------------------------------------------- */

enum MHD_Result synth__route_model_rows(synth_req *r)
{
    int have_rows;
    uint64_t rows, seed;
    enum MHD_Result ans;
    if (!synth_store_id_valid(r->id, "md_"))
        return synth__respond_error(r, 404, "no model %s", r->id);
    synth_err err;
    synth_err_clear(&err);
    synth_model_rec m;
    int rc = synth_store_model_get(r->srv->store, r->id, synth__req_owner(r), &m, &err);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    if (synth__rows_seed(r, &have_rows, &rows, &seed, &ans) != 0)
        return ans;
    char path[4096];
    if ((rc = synth_store_path(r->srv->store, SYNTH_FILE_MODEL, m.id, path, sizeof path, &err)) != 0)
        return synth__respond_store_error(r, rc, &err);
    char detail[64];
    snprintf(detail, sizeof detail, "{\"rows\":%llu,\"seed\":%llu}", (unsigned long long)rows,
             (unsigned long long)seed);
    synth_store_audit(r->srv->store, r->key.id, "model.rows", m.id, 0, detail, &err);
    return synth__stream_model(r, path, 0, have_rows, rows, seed);
}
