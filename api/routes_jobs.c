/* routes_jobs.c -- handlers for the job-backed resources: POST/GET/DELETE /v1/models,
 * POST /v1/models/{id}/samples, POST /v1/validations, GET/DELETE /v1/jobs[/{id}], and
 * GET /v1/jobs/{id}/result.
 *
 * Job-creating POSTs validate the JSON body (http.h field tables), build the job's params
 * (jobs.h), let the pool check the references, and queue the job in the store, which also
 * enforces Idempotency-Key (same key + same body -> the same job; another body -> 409) and the
 * per-key cap on active jobs (429).  They answer 202 with the job and Location: /v1/jobs/{id}. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "routes_impl.h"

/* Job JSON plus links. */
static json_t *job_json(const synth_job *job)
{
    json_t *j = synth_job_json(job);
    if (j == NULL)
        return NULL;
    char self[96], result[112];
    snprintf(self, sizeof self, "/v1/jobs/%s", job->id);
    snprintf(result, sizeof result, "/v1/jobs/%s/result", job->id);
    json_t *links = json_pack("{s:s}", "self", self);
    if (links != NULL && job->state == SYNTH_JOB_SUCCEEDED)
        json_object_set_new(links, "result", json_string(result));
    if (links != NULL && job->kind == SYNTH_JOB_FIT && job->state == SYNTH_JOB_SUCCEEDED) {
        json_t *res = json_loads(job->result_json, 0, NULL);
        const char *mid = json_string_value(json_object_get(res, "model_id"));
        if (mid != NULL) {
            char model[96];
            snprintf(model, sizeof model, "/v1/models/%s", mid);
            json_object_set_new(links, "model", json_string(model));
        }
        json_decref(res);
    }
    json_object_set_new(j, "links", links);
    return j;
}

/* Parse the JSON body against fields; on failure an answer is queued and -1 returned. */
static int read_body(synth_req *r, const synth_http_field *fields, json_t **doc, enum MHD_Result *ans)
{
    synth_http_problem p;
    synth_http_problem_clear(&p);
    if (synth_http_json_body(r->json, r->json_len, fields, doc, &p) != 0) {
        *ans = synth__respond_problem(r, &p);
        return -1;
    }
    return 0;
}

/* Check, queue, answer 202 (or the error). */
static enum MHD_Result create_job(synth_req *r, synth_job_kind kind, json_t *params)
{
    synth_store *store = r->srv->store;
    synth_err err;
    synth_err_clear(&err);
    char *text = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(params);
    if (text == NULL)
        return synth__respond_error(r, 500, "out of memory");
    int rc = synth_jobs_check_params(store, kind, text, synth__req_owner(r), &err);
    if (rc) {
        free(text);
        return synth__respond_store_error(r, rc, &err);
    }
    const char *idem = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
    if (idem != NULL && (idem[0] == '\0' || strlen(idem) >= SYNTH_IDEM_MAX)) {
        free(text);
        return synth__respond_error(r, 400, "Idempotency-Key must be 1..%d bytes", SYNTH_IDEM_MAX - 1);
    }
    synth_job job;
    int existed = 0;
    rc = synth_store_job_create(store, kind, text, r->key.id, idem, r->srv->cfg.max_jobs, &job, &existed, &err);
    free(text);
    if (rc == SYNTH_STORE_LIMIT) {
        r->rl.allowed = 0;
        r->rl.retry_after_s = r->rl.retry_after_s ? r->rl.retry_after_s : 1;
        synth_metrics_inc_rate_limited(r->srv->metrics);
        return synth__respond_error(r, 429, "this key already has %u queued or running jobs", r->srv->cfg.max_jobs);
    }
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    if (!existed) {
        synth_store_audit(store, r->key.id, "job.create", job.id, 0, synth_job_kind_name(kind), &err);
        synth_jobs_notify(r->srv->jobs);
    }
    char location[96];
    snprintf(location, sizeof location, "/v1/jobs/%s", job.id);
    return synth__respond_json(r, 202, job_json(&job), location);
}

/* ---- models ------------------------------------------------------------------------------- */

enum MHD_Result synth__route_model_create(synth_req *r)
{
    json_t *doc = NULL;
    enum MHD_Result ans;
    if (read_body(r, synth_http_body_model, &doc, &ans) != 0)
        return ans;
    if (json_object_get(doc, "generator") == NULL)
        json_object_set_new(doc, "generator", json_string("copula"));
    if (json_object_get(doc, "seed") == NULL)
        json_object_set_new(doc, "seed", json_integer(0));
    if (json_object_get(doc, "params") == NULL)
        json_object_set_new(doc, "params", json_object());
    return create_job(r, SYNTH_JOB_FIT, doc);
}

enum MHD_Result synth__route_model_list(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    synth_model_rec *list = NULL;
    size_t n = 0;
    int rc = synth_store_model_list(r->srv->store, synth__req_owner(r), 0, &list, &n, &err);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < n; i++)
        json_array_append_new(items, synth_model_json(&list[i]));
    synth_free(list);
    return synth__respond_json(r, 200, items ? json_pack("{s:o}", "items", items) : NULL, NULL);
}

enum MHD_Result synth__route_model_get(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    synth_model_rec m;
    if (!synth_store_id_valid(r->id, "md_"))
        return synth__respond_error(r, 404, "no model %s", r->id);
    int rc = synth_store_model_get(r->srv->store, r->id, synth__req_owner(r), &m, &err);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    return synth__respond_json(r, 200, synth_model_json(&m), NULL);
}

enum MHD_Result synth__route_model_delete(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    if (!synth_store_id_valid(r->id, "md_"))
        return synth__respond_error(r, 404, "no model %s", r->id);
    int rc = synth_store_model_delete(r->srv->store, r->id, synth__req_owner(r), &err);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    synth_store_audit(r->srv->store, r->key.id, "model.delete", r->id, 0, NULL, &err);
    return synth__respond_empty(r, 204);
}

enum MHD_Result synth__route_model_samples(synth_req *r)
{
    json_t *doc = NULL;
    enum MHD_Result ans;
    if (!synth_store_id_valid(r->id, "md_"))
        return synth__respond_error(r, 404, "no model %s", r->id);
    if (read_body(r, synth_http_body_samples, &doc, &ans) != 0)
        return ans;
    json_int_t rows = json_integer_value(json_object_get(doc, "rows"));
    if (rows < 1) {
        json_decref(doc);
        return synth__respond_error(r, 422, "rows must be at least 1");
    }
    if (json_object_get(doc, "seed") == NULL)
        json_object_set_new(doc, "seed", json_integer(0));
    json_object_set_new(doc, "model_id", json_string(r->id));
    return create_job(r, SYNTH_JOB_GENERATE, doc);
}

enum MHD_Result synth__route_validation_create(synth_req *r)
{
    json_t *doc = NULL;
    enum MHD_Result ans;
    if (read_body(r, synth_http_body_validation, &doc, &ans) != 0)
        return ans;
    return create_job(r, SYNTH_JOB_VALIDATE, doc);
}

/* ---- jobs --------------------------------------------------------------------------------- */

enum MHD_Result synth__route_job_list(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    int state = -1;
    const char *v = synth__req_query(r, "state");
    if (v != NULL && (state = synth_job_state_parse(v)) < 0) {
        synth_http_problem p;
        synth_http_problem_clear(&p);
        synth_http_problem_set(&p, 400, "state must be queued, running, succeeded, failed or cancelled");
        snprintf(p.field, sizeof p.field, "state");
        return synth__respond_problem(r, &p);
    }
    synth_job *list = NULL;
    size_t n = 0;
    int rc = synth_store_job_list(r->srv->store, synth__req_owner(r), state, 0, &list, &n, &err);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    json_t *items = json_array();
    for (size_t i = 0; items != NULL && i < n; i++)
        json_array_append_new(items, job_json(&list[i]));
    synth_free(list);
    return synth__respond_json(r, 200, items ? json_pack("{s:o}", "items", items) : NULL, NULL);
}

static int get_job(synth_req *r, synth_job *job, enum MHD_Result *ans)
{
    synth_err err;
    synth_err_clear(&err);
    if (!synth_store_id_valid(r->id, "job_")) {
        *ans = synth__respond_error(r, 404, "no job %s", r->id);
        return -1;
    }
    int rc = synth_store_job_get(r->srv->store, r->id, synth__req_owner(r), job, &err);
    if (rc) {
        *ans = synth__respond_store_error(r, rc, &err);
        return -1;
    }
    return 0;
}

enum MHD_Result synth__route_job_get(synth_req *r)
{
    synth_job job;
    enum MHD_Result ans;
    if (get_job(r, &job, &ans) != 0)
        return ans;
    return synth__respond_json(r, 200, job_json(&job), NULL);
}

enum MHD_Result synth__route_job_cancel(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    synth_job job;
    enum MHD_Result ans;
    if (get_job(r, &job, &ans) != 0)
        return ans;
    int rc = synth_store_job_cancel(r->srv->store, r->id, synth__req_owner(r), &job, &err);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    synth_store_audit(r->srv->store, r->key.id, "job.cancel", r->id, 0, NULL, &err);
    synth_jobs_notify(r->srv->jobs);
    return synth__respond_json(r, 200, job_json(&job), NULL);
}

/* A whole output file (sent by the kernel from the descriptor). */
static enum MHD_Result send_file(synth_req *r, const char *path, const char *type, const char *what)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return synth__respond_error(r, errno == ENOENT ? 404 : 503, "the %s of job %s is missing", what, r->id);
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (resp == NULL) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    atomic_store(&r->bytes, (uint64_t)st.st_size);
    synth_err err;
    synth_store_audit(r->srv->store, r->key.id, "job.result", r->id, (uint64_t)st.st_size, NULL, &err);
    return synth__respond(r, 200, resp);
}

enum MHD_Result synth__route_job_result(synth_req *r)
{
    synth_job job;
    enum MHD_Result ans;
    if (get_job(r, &job, &ans) != 0)
        return ans;
    const char *format = synth__req_query(r, "format");
    if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "html") != 0) {
        synth_http_problem p;
        synth_http_problem_clear(&p);
        synth_http_problem_set(&p, 400, "format must be json or html");
        snprintf(p.field, sizeof p.field, "format");
        return synth__respond_problem(r, &p);
    }
    if (job.state != SYNTH_JOB_SUCCEEDED)
        return synth__respond_error(r, 409, "job %s is %s; its result exists once it has succeeded", job.id,
                                    synth_job_state_name(job.state));
    synth_err err;
    synth_err_clear(&err);
    char path[4096];
    int rc = 0;
    switch (job.kind) {
    case SYNTH_JOB_GENERATE:
        if (format != NULL)
            return synth__respond_error(r, 400, "format applies to validation reports only");
        rc = synth_store_path(r->srv->store, SYNTH_FILE_OUTPUT_CSV, job.id, path, sizeof path, &err);
        return rc ? synth__respond_store_error(r, rc, &err) : send_file(r, path, "text/csv; charset=utf-8", "output");
    case SYNTH_JOB_VALIDATE: {
        int html = format != NULL && strcmp(format, "html") == 0;
        rc = synth_store_path(r->srv->store, html ? SYNTH_FILE_OUTPUT_HTML : SYNTH_FILE_OUTPUT_JSON, job.id, path,
                              sizeof path, &err);
        return rc ? synth__respond_store_error(r, rc, &err)
                  : send_file(r, path, html ? "text/html; charset=utf-8" : "application/json", "report");
    }
    case SYNTH_JOB_FIT:
    default: {
        if (format != NULL)
            return synth__respond_error(r, 400, "format applies to validation reports only");
        json_t *res = json_loads(job.result_json, 0, NULL);
        if (res == NULL)
            return synth__respond_error(r, 500, "job %s has no readable result", job.id);
        return synth__respond_json(r, 200, res, NULL);
    }
    }
}
