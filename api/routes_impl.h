/* routes_impl.h -- private to the server: the server object, the per-request context and the
 * helpers the route handlers (api/routes_*.c) answer with.
 *
 * A request context (synth_req) lives from the first call of the access handler to the
 * completion callback (and, for streamed answers, until the stream is freed too: refs).  Handlers
 * run once the whole body has arrived (CSV bodies sit in a temporary file, JSON bodies in memory)
 * and must queue exactly one answer through one of the synth__respond_* helpers, which add the
 * rate-limit headers and record status and size for the access log and metrics. */
#ifndef SYNTH_ROUTES_IMPL_H
#define SYNTH_ROUTES_IMPL_H

#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "access_log.h"
#include "http.h"
#include "jobs.h"
#include "keys.h"
#include "metrics.h"
#include "ratelimit.h"
#include "server.h"
#include "store.h"

struct synth_req;
typedef enum MHD_Result (*synth_route_fn)(struct synth_req *r);

typedef enum synth_body_kind {
    SYNTH_BODY_NONE = 0,     /* any body is ignored */
    SYNTH_BODY_JSON,         /* application/json, kept in memory (SYNTH_JSON_BODY_MAX) */
    SYNTH_BODY_CSV           /* text/csv, streamed to tmp/<id>.part (config.max_upload) */
} synth_body_kind;

#define SYNTH_JSON_BODY_MAX (64 * 1024)

typedef struct synth_route {
    const char *method;
    const char *pattern;     /* "/v1/datasets/{id}"; also the metrics route label */
    unsigned scope;          /* SYNTH_SCOPE_* needed; 0 = no authentication */
    synth_body_kind body;
    synth_route_fn fn;
    int slow;                /* runs on its own thread, the connection suspended meanwhile (fits,
                                CSV passes), so the HTTP threads keep answering */
} synth_route;

/* Slow handlers running at once; more are answered 503. */
#define SYNTH_ASYNC_MAX 16

/* The route table (terminated by a {NULL} entry); api/server.c. */
extern const synth_route synth__routes[];

struct synth_server {
    synth_server_config cfg;
    struct MHD_Daemon *daemon;
    uint16_t port;
    synth_store *store;
    synth_jobs *jobs;
    synth_ratelimit *rl;
    synth_metrics *metrics;
    synth_access_log *log;
    atomic_int draining;
    atomic_int async_inflight;        /* slow handlers running (see synth_route.slow) */
    struct MHD_Response *healthz;     /* shared, prebuilt */
    struct MHD_Response *readyz_ok;
    char *tls_cert_pem, *tls_key_pem;
};

typedef struct synth_req {
    synth_server *srv;
    struct MHD_Connection *conn;
    const char *method;      /* MHD's; valid until the answer is queued */
    const char *url;         /* path without the query; likewise */
    char log_method[16];     /* copies for the access log, written after the answer */
    char log_path[512];
    const synth_route *route;
    int checked;             /* admitted (route, auth, body headers) */
    char id[SYNTH_HTTP_ID_MAX + 1];
    char ip[64];
    double t0;
    atomic_int refs;
    int status;              /* answered status, 0 until then */
    _Atomic uint64_t bytes;  /* body bytes sent */
    /* slow handlers: 1 while running on a worker thread (answers are parked in pending), 2 when
     * done and the connection resumed */
    int async;
    struct MHD_Response *pending;
    int pending_status;
    /* authentication */
    int authed;
    synth_key_info key;
    synth_rl_decision rl;
    int has_rl;
    /* body */
    int body_error;          /* 413 seen while reading: answer it at the end */
    char *json;              /* SYNTH_BODY_JSON */
    size_t json_len;
    int fd;                  /* SYNTH_BODY_CSV: temp file, -1 when none */
    char tmp_id[SYNTH_ID_MAX];
    char tmp_path[4096];     /* "" when no temp file (or it was renamed away) */
    uint64_t body_bytes;
} synth_req;

/* Owner filter for store calls: NULL for admin keys (see everything), else the key's id. */
const char *synth__req_owner(const synth_req *r);
/* Query parameter (MHD decodes it) or NULL. */
const char *synth__req_query(const synth_req *r, const char *name);
/* Drop a reference; frees the request at zero. */
void synth__req_release(synth_req *r);

/* Answers.  Each queues the response and returns MHD_YES/MHD_NO for the access handler. */
enum MHD_Result synth__respond_problem(synth_req *r, const synth_http_problem *p);
enum MHD_Result synth__respond_error(synth_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The body is a new reference that this call consumes (json_decref).  location may be NULL. */
enum MHD_Result synth__respond_json(synth_req *r, int status, json_t *body, const char *location);
enum MHD_Result synth__respond_empty(synth_req *r, int status);
/* Queue a response built by the caller (adds the common headers; destroys the caller's ref). */
enum MHD_Result synth__respond(synth_req *r, int status, struct MHD_Response *resp);
/* A store/keys/jobs result mapped to an answer: NOT_FOUND -> 404, CONFLICT -> 409, LIMIT -> 429,
 * BAD_INPUT -> 422, NOMEM/IO/other -> 500/503, with err's message as the detail. */
enum MHD_Result synth__respond_store_error(synth_req *r, int rc, const synth_err *err);

/* Handlers. */
enum MHD_Result synth__route_healthz(synth_req *r);
enum MHD_Result synth__route_readyz(synth_req *r);
enum MHD_Result synth__route_metrics(synth_req *r);
enum MHD_Result synth__route_openapi(synth_req *r);
enum MHD_Result synth__route_generate(synth_req *r);
enum MHD_Result synth__route_dataset_create(synth_req *r);
enum MHD_Result synth__route_dataset_list(synth_req *r);
enum MHD_Result synth__route_dataset_get(synth_req *r);
enum MHD_Result synth__route_dataset_delete(synth_req *r);
enum MHD_Result synth__route_model_create(synth_req *r);
enum MHD_Result synth__route_model_list(synth_req *r);
enum MHD_Result synth__route_model_get(synth_req *r);
enum MHD_Result synth__route_model_delete(synth_req *r);
enum MHD_Result synth__route_model_rows(synth_req *r);
enum MHD_Result synth__route_model_samples(synth_req *r);
enum MHD_Result synth__route_validation_create(synth_req *r);
enum MHD_Result synth__route_job_list(synth_req *r);
enum MHD_Result synth__route_job_get(synth_req *r);
enum MHD_Result synth__route_job_cancel(synth_req *r);
enum MHD_Result synth__route_job_result(synth_req *r);
enum MHD_Result synth__route_key_create(synth_req *r);
enum MHD_Result synth__route_key_list(synth_req *r);
enum MHD_Result synth__route_key_revoke(synth_req *r);

/* Stream rows [0, rows) of the model file at path as CSV (chunked) and answer 200.  unlink_model:
 * remove the file once it is loaded (the one-shot /v1/generate model). */
enum MHD_Result synth__stream_model(synth_req *r, const char *model_path, int unlink_model, int have_rows,
                                    uint64_t rows, uint64_t seed);

/* rows= and seed= query parameters: 0, or an answer was queued (*answered = the MHD result). */
int synth__rows_seed(synth_req *r, int *have_rows, uint64_t *rows, uint64_t *seed, enum MHD_Result *answered);

#endif
