/* server.c -- the HTTP layer of `synth serve`: libmicrohttpd daemon (thread pool + epoll), the
 * route table, authentication and rate limiting, request bodies (JSON in memory, CSV streamed to
 * a temporary file), answers with problem+json errors, access log and metrics.  See server.h and
 * routes_impl.h; the handlers are in api/routes_*.c.
 *
 * Every request follows the same path: first call of the access handler (headers only) ->
 * route lookup (404/405), authentication (401/403/429), per-key rate limit (429), body checks
 * (415/413); then body pieces go to the sink; the last call runs the handler.  The completion
 * callback logs the request and records its metrics. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "engine.h"
#include "routes_impl.h"
#include "signals.h"

const synth_route synth__routes[] = {
    {"GET", "/healthz", 0, SYNTH_BODY_NONE, synth__route_healthz, 0},
    {"GET", "/readyz", 0, SYNTH_BODY_NONE, synth__route_readyz, 0},
    {"GET", "/metrics", 0, SYNTH_BODY_NONE, synth__route_metrics, 0},
    {"GET", "/v1/openapi.json", 0, SYNTH_BODY_NONE, synth__route_openapi, 0},
    {"POST", "/v1/generate", SYNTH_SCOPE_GENERATE, SYNTH_BODY_CSV, synth__route_generate, 1},
    {"POST", "/v1/datasets", SYNTH_SCOPE_GENERATE, SYNTH_BODY_CSV, synth__route_dataset_create, 1},
    {"GET", "/v1/datasets", SYNTH_SCOPE_READ, SYNTH_BODY_NONE, synth__route_dataset_list, 0},
    {"GET", "/v1/datasets/{id}", SYNTH_SCOPE_READ, SYNTH_BODY_NONE, synth__route_dataset_get, 0},
    {"DELETE", "/v1/datasets/{id}", SYNTH_SCOPE_GENERATE, SYNTH_BODY_NONE, synth__route_dataset_delete, 0},
    {"POST", "/v1/models", SYNTH_SCOPE_GENERATE, SYNTH_BODY_JSON, synth__route_model_create, 0},
    {"GET", "/v1/models", SYNTH_SCOPE_READ, SYNTH_BODY_NONE, synth__route_model_list, 0},
    {"GET", "/v1/models/{id}", SYNTH_SCOPE_READ, SYNTH_BODY_NONE, synth__route_model_get, 0},
    {"DELETE", "/v1/models/{id}", SYNTH_SCOPE_GENERATE, SYNTH_BODY_NONE, synth__route_model_delete, 0},
    {"GET", "/v1/models/{id}/rows", SYNTH_SCOPE_GENERATE, SYNTH_BODY_NONE, synth__route_model_rows, 0},
    {"POST", "/v1/models/{id}/samples", SYNTH_SCOPE_GENERATE, SYNTH_BODY_JSON, synth__route_model_samples, 0},
    {"POST", "/v1/validations", SYNTH_SCOPE_GENERATE, SYNTH_BODY_JSON, synth__route_validation_create, 0},
    {"GET", "/v1/jobs", SYNTH_SCOPE_READ, SYNTH_BODY_NONE, synth__route_job_list, 0},
    {"GET", "/v1/jobs/{id}", SYNTH_SCOPE_READ, SYNTH_BODY_NONE, synth__route_job_get, 0},
    {"DELETE", "/v1/jobs/{id}", SYNTH_SCOPE_GENERATE, SYNTH_BODY_NONE, synth__route_job_cancel, 0},
    {"GET", "/v1/jobs/{id}/result", SYNTH_SCOPE_READ, SYNTH_BODY_NONE, synth__route_job_result, 0},
    {"POST", "/v1/keys", SYNTH_SCOPE_ADMIN, SYNTH_BODY_JSON, synth__route_key_create, 0},
    {"GET", "/v1/keys", SYNTH_SCOPE_ADMIN, SYNTH_BODY_NONE, synth__route_key_list, 0},
    {"DELETE", "/v1/keys/{id}", SYNTH_SCOPE_ADMIN, SYNTH_BODY_NONE, synth__route_key_revoke, 0},
    {NULL, NULL, 0, 0, NULL, 0},
};

void synth_server_config_init(synth_server_config *c)
{
    memset(c, 0, sizeof *c);
    c->host = "127.0.0.1";
    c->port = 8080;
    c->threads = synth_cpu_count();
    c->workers = 2;
    c->rate = 10;
    c->burst = 20;
    c->max_jobs = 4;
    c->auth_failures = 10;
    c->max_upload = 1000000000ULL;   /* "1G", as --max-upload spells it */
    c->max_rows = 1000000000ULL;
    c->grace = 30;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- answers ------------------------------------------------------------------------------ */

static void add_rate_headers(synth_req *r, struct MHD_Response *resp)
{
    if (!r->has_rl)
        return;
    char v[96];
    snprintf(v, sizeof v, "\"default\";q=%llu;w=%llu", (unsigned long long)r->rl.limit,
             (unsigned long long)r->rl.window_s);
    MHD_add_response_header(resp, "RateLimit-Policy", v);
    snprintf(v, sizeof v, "\"default\";r=%llu;t=%llu", (unsigned long long)r->rl.remaining,
             (unsigned long long)r->rl.reset_s);
    MHD_add_response_header(resp, "RateLimit", v);
    snprintf(v, sizeof v, "%llu", (unsigned long long)r->rl.limit);
    MHD_add_response_header(resp, "RateLimit-Limit", v);
    snprintf(v, sizeof v, "%llu", (unsigned long long)r->rl.remaining);
    MHD_add_response_header(resp, "RateLimit-Remaining", v);
    snprintf(v, sizeof v, "%llu", (unsigned long long)r->rl.reset_s);
    MHD_add_response_header(resp, "RateLimit-Reset", v);
    if (!r->rl.allowed) {
        snprintf(v, sizeof v, "%llu", (unsigned long long)r->rl.retry_after_s);
        MHD_add_response_header(resp, "Retry-After", v);
    }
}

enum MHD_Result synth__respond(synth_req *r, int status, struct MHD_Response *resp)
{
    if (resp == NULL)
        return MHD_NO;
    add_rate_headers(r, resp);
    if (r->async == 1) {   /* on a worker thread: park it until the connection is resumed */
        r->pending = resp;
        r->pending_status = status;
        return MHD_YES;
    }
    r->status = status;
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static struct MHD_Response *buffer_response(char *text, size_t len, const char *type, synth_req *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(text);
        return NULL;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    atomic_store(&r->bytes, len);
    return resp;
}

enum MHD_Result synth__respond_problem(synth_req *r, const synth_http_problem *p)
{
    size_t len = 0;
    char *text = synth_http_problem_body(p, &len);
    if (text == NULL)
        return MHD_NO;
    struct MHD_Response *resp = buffer_response(text, len, "application/problem+json", r);
    if (resp == NULL)
        return MHD_NO;
    if (p->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"synth\"");
    if (p->status == 405 && r->url != NULL) {
        char allow[64] = "";
        char id[SYNTH_HTTP_ID_MAX + 1];
        for (const synth_route *rt = synth__routes; rt->method != NULL; rt++) {
            if (synth_http_path_match(rt->pattern, r->url, id, sizeof id) && strstr(allow, rt->method) == NULL) {
                size_t n = strlen(allow);
                snprintf(allow + n, sizeof allow - n, "%s%s", n ? ", " : "", rt->method);
            }
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    }
    if ((p->status == 429 || p->status == 503) && !r->has_rl)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    return synth__respond(r, p->status, resp);
}

enum MHD_Result synth__respond_error(synth_req *r, int status, const char *fmt, ...)
{
    synth_http_problem p;
    synth_http_problem_clear(&p);
    p.status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p.detail, sizeof p.detail, fmt, ap);
    va_end(ap);
    return synth__respond_problem(r, &p);
}

enum MHD_Result synth__respond_json(synth_req *r, int status, json_t *body, const char *location)
{
    if (body == NULL)
        return synth__respond_error(r, 500, "out of memory");
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(body);
    if (text == NULL)
        return synth__respond_error(r, 500, "out of memory");
    struct MHD_Response *resp = buffer_response(text, strlen(text), "application/json", r);
    if (resp == NULL)
        return MHD_NO;
    if (location != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
    return synth__respond(r, status, resp);
}

enum MHD_Result synth__respond_empty(synth_req *r, int status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    return synth__respond(r, status, resp);
}

enum MHD_Result synth__respond_store_error(synth_req *r, int rc, const synth_err *err)
{
    const char *msg = err != NULL && err->msg[0] != '\0' ? err->msg : synth_code_desc(rc);
    switch (rc) {
    case SYNTH_STORE_NOT_FOUND: return synth__respond_error(r, 404, "%s", msg);
    case SYNTH_STORE_CONFLICT: return synth__respond_error(r, 409, "%s", msg);
    case SYNTH_STORE_LIMIT: return synth__respond_error(r, 429, "%s", msg);
    case SYNTH_BAD_INPUT: return synth__respond_error(r, 422, "%s", msg);
    case SYNTH_USAGE: return synth__respond_error(r, 422, "%s", msg);
    case SYNTH_IO: return synth__respond_error(r, 503, "store unavailable: %s", msg);
    default: return synth__respond_error(r, 500, "%s", msg);
    }
}

/* ---- request helpers ---------------------------------------------------------------------- */

const char *synth__req_owner(const synth_req *r)
{
    return synth_scopes_allow(r->key.scopes, SYNTH_SCOPE_ADMIN) ? NULL : r->key.id;
}

const char *synth__req_query(const synth_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

static void req_discard_temp(synth_req *r)
{
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    if (r->tmp_path[0] != '\0') {
        unlink(r->tmp_path);
        r->tmp_path[0] = '\0';
    }
}

void synth__req_release(synth_req *r)
{
    if (r == NULL || atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    req_discard_temp(r);
    if (r->pending != NULL)
        MHD_destroy_response(r->pending);
    synth_free(r->json);
    synth_free(r);
}

/* ---- built-in routes ------------------------------------------------------------------------- */

enum MHD_Result synth__route_healthz(synth_req *r)
{
    atomic_store(&r->bytes, 15);
    r->status = 200;
    return MHD_queue_response(r->conn, 200, r->srv->healthz);
}

enum MHD_Result synth__route_readyz(synth_req *r)
{
    if (atomic_load(&r->srv->draining))
        return synth__respond_error(r, 503, "the server is draining");
    atomic_store(&r->bytes, 18);
    r->status = 200;
    return MHD_queue_response(r->conn, 200, r->srv->readyz_ok);
}

/* ---- the access handler --------------------------------------------------------------------- */

static void client_ip(struct MHD_Connection *conn, char *buf, size_t n)
{
    snprintf(buf, n, "?");
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf, (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf, (socklen_t)n);
}

/* Find the route; 404 or 405 when none (queued).  Returns the route or NULL. */
static const synth_route *find_route(synth_req *r, enum MHD_Result *ret)
{
    int path_known = 0;
    for (const synth_route *rt = synth__routes; rt->method != NULL; rt++) {
        if (!synth_http_path_match(rt->pattern, r->url, r->id, sizeof r->id))
            continue;
        path_known = 1;
        if (strcmp(rt->method, r->method) == 0 || (strcmp(r->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0))
            return rt;
    }
    r->id[0] = '\0';
    if (path_known)
        *ret = synth__respond_error(r, 405, "%s is not allowed on this resource", r->method);
    else
        *ret = synth__respond_error(r, 404, "no such resource");
    return NULL;
}

/* Bearer token -> key, scope, per-key rate limit.  0 = go on; else an answer was queued. */
static int authenticate(synth_req *r, enum MHD_Result *ret)
{
    synth_server *s = r->srv;
    synth_rl_decision d;
    synth_ratelimit_auth_check(s->rl, r->ip, &d);
    if (!d.allowed) {
        r->rl = d;
        r->has_rl = 1;
        synth_metrics_inc_rate_limited(s->metrics);
        *ret = synth__respond_error(r, 429, "too many failed authentications from this address");
        return -1;
    }
    const char *hdr = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *tok = NULL;
    size_t len = 0;
    char token[SYNTH_HTTP_TOKEN_MAX + 1];
    synth_err err;
    synth_err_clear(&err);
    int rc = SYNTH_KEYS_DENIED;
    if (synth_http_bearer(hdr, &tok, &len) == 0) {
        memcpy(token, tok, len);
        token[len] = '\0';
        rc = synth_keys_authenticate(s->store, token, &r->key, &err);
    }
    if (rc < 0) {
        *ret = synth__respond_error(r, 503, "the key store is unavailable");
        return -1;
    }
    if (rc != 0) {
        synth_metrics_inc_auth_failures(s->metrics);
        synth_ratelimit_auth_failed(s->rl, r->ip, &d);
        if (!d.allowed) {
            r->rl = d;
            r->has_rl = 1;
            synth_metrics_inc_rate_limited(s->metrics);
            *ret = synth__respond_error(r, 429, "too many failed authentications from this address");
        } else {
            *ret = synth__respond_error(r, 401, hdr == NULL ? "an API key is required (Authorization: Bearer KEY)"
                                                            : "the API key is invalid or revoked");
        }
        memset(token, 0, sizeof token);
        return -1;
    }
    memset(token, 0, sizeof token);
    r->authed = 1;
    synth_ratelimit_key(s->rl, r->key.id, &r->rl);
    r->has_rl = 1;
    if (!r->rl.allowed) {
        synth_metrics_inc_rate_limited(s->metrics);
        *ret = synth__respond_error(r, 429, "rate limit exceeded: %llu requests per %llu s",
                                    (unsigned long long)r->rl.limit, (unsigned long long)r->rl.window_s);
        return -1;
    }
    if (!synth_scopes_allow(r->key.scopes, r->route->scope)) {
        char need[32];
        synth_scopes_format(r->route->scope, need, sizeof need);
        *ret = synth__respond_error(r, 403, "this key lacks the '%s' scope", need);
        return -1;
    }
    return 0;
}

/* Does the request announce a body?  (An answer queued before the body is read makes libmicrohttpd
 * close the connection, so requests without one are admitted on the final call instead, which
 * keeps keep-alive connections open for /healthz and every GET.) */
static int announces_body(struct MHD_Connection *conn)
{
    const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (clen != NULL && strcmp(clen, "0") != 0)
        return 1;
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

/* Body checks on the first call: Content-Type and declared length.  0 = go on. */
static int body_begin(synth_req *r, enum MHD_Result *ret)
{
    synth_server *s = r->srv;
    const char *ctype = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *clen = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t declared = 0;
    int have_len = clen != NULL && synth_http_parse_u64(clen, UINT64_MAX, &declared) == 0;
    if (r->route->body == SYNTH_BODY_JSON) {
        if (!announces_body(r->conn))
            return 0;   /* no body at all counts as {} */
        if (!synth_http_content_type_is(ctype, "application/json")) {
            *ret = synth__respond_error(r, 415, "the request body must be application/json");
            return -1;
        }
        if (have_len && declared > SYNTH_JSON_BODY_MAX) {
            *ret = synth__respond_error(r, 413, "JSON bodies are limited to %d bytes", SYNTH_JSON_BODY_MAX);
            return -1;
        }
        return 0;
    }
    if (r->route->body != SYNTH_BODY_CSV)
        return 0;
    if (!synth_http_content_type_is(ctype, "text/csv")) {
        *ret = synth__respond_error(r, 415, "the request body must be text/csv");
        return -1;
    }
    if (have_len && declared > s->cfg.max_upload) {
        *ret = synth__respond_error(r, 413, "uploads are limited to %llu bytes", (unsigned long long)s->cfg.max_upload);
        return -1;
    }
    synth_err err;
    synth_err_clear(&err);
    if (synth_store_new_id("ds_", r->tmp_id, &err) != 0 ||
        synth_store_path(s->store, SYNTH_FILE_TMP, r->tmp_id, r->tmp_path, sizeof r->tmp_path, &err) != 0) {
        r->tmp_path[0] = '\0';
        *ret = synth__respond_error(r, 500, "%s", err.msg);
        return -1;
    }
    r->fd = open(r->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (r->fd < 0) {
        r->tmp_path[0] = '\0';
        *ret = synth__respond_error(r, 503, "cannot store the upload: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void body_piece(synth_req *r, const char *data, size_t n)
{
    r->body_bytes += n;
    if (r->body_error)
        return;
    if (r->route->body == SYNTH_BODY_JSON) {
        if (r->json_len + n > SYNTH_JSON_BODY_MAX) {
            r->body_error = 413;
            return;
        }
        char *grown = synth_realloc(r->json, r->json_len + n + 1);
        if (grown == NULL) {
            r->body_error = 500;
            return;
        }
        r->json = grown;
        memcpy(r->json + r->json_len, data, n);
        r->json_len += n;
        r->json[r->json_len] = '\0';
        return;
    }
    if (r->route->body != SYNTH_BODY_CSV || r->fd < 0)
        return;
    if (r->body_bytes > r->srv->cfg.max_upload) {
        r->body_error = 413;
        req_discard_temp(r);   /* as soon as the limit is passed */
        return;
    }
    while (n > 0) {
        ssize_t w = write(r->fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            r->body_error = 507;
            req_discard_temp(r);
            return;
        }
        data += w;
        n -= (size_t)w;
    }
}

/* Route, authenticate, check the body's headers.  0 = go on; else an answer was queued. */
static int admit(synth_req *r, enum MHD_Result *ret)
{
    r->checked = 1;
    r->route = find_route(r, ret);
    if (r->route == NULL)
        return -1;
    if (r->route->scope == 0 && r->route->body == SYNTH_BODY_NONE)
        return 0;
    client_ip(r->conn, r->ip, sizeof r->ip);
    if (r->route->scope != 0 && authenticate(r, ret) != 0)
        return -1;
    return body_begin(r, ret);
}

static void *async_main(void *arg)
{
    synth_req *r = arg;
    synth_server *s = r->srv;
    (void)r->route->fn(r);
    r->async = 2;
    MHD_resume_connection(r->conn);
    synth__req_release(r);
    atomic_fetch_sub(&s->async_inflight, 1);
    return NULL;
}

/* Run a slow handler on its own thread with the connection suspended; the answer is queued when
 * libmicrohttpd calls back after the resume. */
static enum MHD_Result run_async(synth_req *r)
{
    synth_server *s = r->srv;
    if (atomic_fetch_add(&s->async_inflight, 1) >= SYNTH_ASYNC_MAX) {
        atomic_fetch_sub(&s->async_inflight, 1);
        return synth__respond_error(r, 503, "too many uploads are being processed; retry shortly");
    }
    atomic_fetch_add(&r->refs, 1);
    r->async = 1;
    MHD_suspend_connection(r->conn);
    pthread_t tid;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&tid, &attr, async_main, r);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        synth__respond_error(r, 503, "cannot start a worker thread");
        r->async = 2;
        MHD_resume_connection(r->conn);
        synth__req_release(r);
        atomic_fetch_sub(&s->async_inflight, 1);
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size,
                                  void **con_cls)
{
    (void)version;
    synth_server *s = cls;
    synth_req *r = *con_cls;
    enum MHD_Result ret = MHD_YES;
    if (r == NULL) {
        r = synth_calloc(1, sizeof *r);
        if (r == NULL)
            return MHD_NO;
        r->t0 = now_s();
        r->srv = s;
        r->conn = conn;
        r->url = url;
        r->method = method;
        snprintf(r->log_method, sizeof r->log_method, "%s", method);
        snprintf(r->log_path, sizeof r->log_path, "%s", url);
        r->fd = -1;
        atomic_init(&r->refs, 1);
        atomic_init(&r->bytes, 0);
        *con_cls = r;
        /* With a body: refuse early (before reading it) when the request cannot succeed. */
        if (announces_body(conn) && admit(r, &ret) != 0)
            return ret;
        return MHD_YES;
    }
    if (r->async == 2) {   /* a slow handler finished: queue its parked answer */
        r->async = 0;
        struct MHD_Response *resp = r->pending;
        r->pending = NULL;
        if (resp == NULL)
            return MHD_NO;
        r->status = r->pending_status;
        ret = MHD_queue_response(conn, (unsigned)r->status, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    if (r->status != 0) {   /* already answered; drop whatever body still comes */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (r->checked)
            body_piece(r, upload_data, *upload_size);
        *upload_size = 0;
        /* Past the limit the rest is read and dropped so the client gets its 413, but not
         * forever: far beyond it, hang up. */
        if (r->body_error == 413 && r->body_bytes > s->cfg.max_upload + (64u << 20))
            return MHD_NO;
        return MHD_YES;
    }
    if (!r->checked && admit(r, &ret) != 0)
        return ret;
    if (r->body_error == 413) {
        if (r->route->body == SYNTH_BODY_CSV)
            return synth__respond_error(r, 413, "uploads are limited to %llu bytes",
                                        (unsigned long long)s->cfg.max_upload);
        return synth__respond_error(r, 413, "JSON bodies are limited to %d bytes", SYNTH_JSON_BODY_MAX);
    }
    if (r->body_error != 0)
        return synth__respond_error(r, r->body_error == 507 ? 503 : 500, "cannot store the request body");
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    return r->route->slow ? run_async(r) : r->route->fn(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    synth_server *s = cls;
    synth_req *r = *con_cls;
    if (r == NULL)
        return;
    *con_cls = NULL;
    double secs = now_s() - r->t0;
    synth_metrics_observe_request(s->metrics, r->route ? r->route->pattern : NULL, r->log_method, r->status, secs);
    if (s->log != NULL) {
        if (r->ip[0] == '\0')
            client_ip(conn, r->ip, sizeof r->ip);
        synth_access_entry e = {
            .ip = r->ip, .method = r->log_method, .path = r->log_path, .status = r->status,
            .bytes = atomic_load(&r->bytes), .ms = secs * 1000.0, .key_prefix = r->authed ? r->key.prefix : NULL,
        };
        synth_access_log_write(s->log, &e);
    }
    synth__req_release(r);
}

/* ---- start / stop ------------------------------------------------------------------------- */

static int read_pem(const char *path, const char *what, char **out, synth_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rbe");
    if (f == NULL)
        return synth_err_set(err, SYNTH_USAGE, "%s %s: %s", what, path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = synth_malloc(cap + 1);
    if (buf == NULL) {
        fclose(f);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    len = fread(buf, 1, cap, f);
    int too_big = !feof(f);
    fclose(f);
    buf[len] = '\0';
    if (too_big || strstr(buf, "-----BEGIN ") == NULL) {
        synth_free(buf);
        return synth_err_set(err, SYNTH_USAGE, "%s %s: not a PEM file%s", what, path,
                             too_big ? " (larger than 64 KiB)" : "");
    }
    *out = buf;
    return 0;
}

static void free_server(synth_server *s)
{
    if (s->healthz)
        MHD_destroy_response(s->healthz);
    if (s->readyz_ok)
        MHD_destroy_response(s->readyz_ok);
    synth_jobs_free(s->jobs);
    synth_store_close(s->store);
    synth_ratelimit_free(s->rl);
    synth_metrics_free(s->metrics);
    synth_access_log_free(s->log);
    if (s->tls_key_pem != NULL)
        memset(s->tls_key_pem, 0, strlen(s->tls_key_pem));
    synth_free(s->tls_key_pem);
    synth_free(s->tls_cert_pem);
    synth_free(s);
}

static void collect_jobs(synth_metrics *m, void *user)
{
    synth_server *s = user;
    uint64_t counts[SYNTH_JOB_NSTATES];
    synth_err err;
    if (synth_store_job_counts(s->store, counts, &err) != 0)
        return;
    for (int i = 0; i < SYNTH_JOB_NSTATES; i++)
        synth_metrics_jobs_set(m, (synth_metrics_job_state)i, (int64_t)counts[i]);
}

static void on_job_finish(void *ctx, const synth_job *job, uint64_t rows)
{
    (void)job;
    synth_server *s = ctx;
    if (rows > 0)
        synth_metrics_add_rows(s->metrics, rows);
}

static int check_config(const synth_server_config *c, synth_err *err)
{
    if (c->data_dir == NULL || c->data_dir[0] == '\0')
        return synth_err_set(err, SYNTH_USAGE, "--data-dir is required");
    if (c->threads < 1 || c->threads > 256)
        return synth_err_set(err, SYNTH_USAGE, "--threads must be 1..256");
    if ((c->tls_cert == NULL) != (c->tls_key == NULL))
        return synth_err_set(err, SYNTH_USAGE, "--tls-cert and --tls-key go together");
    return 0;
}

static int start_daemon(synth_server *s, synth_err *err)
{
    const synth_server_config *c = &s->cfg;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(c->port);
    if (inet_pton(AF_INET, c->host, &addr.sin_addr) != 1)
        return synth_err_set(err, SYNTH_USAGE, "--listen: '%s' is not an IPv4 address", c->host);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (c->tls_cert != NULL)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[12];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &addr};
    if (c->threads > 1)   /* one thread: the internal polling thread alone */
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, c->threads, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, 4096, NULL};
    if (c->tls_cert != NULL) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key_pem};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (s->daemon == NULL) {
        if (c->tls_cert != NULL)
            return synth_err_set(err, SYNTH_USAGE, "cannot start HTTPS on %s:%u: check that --tls-cert %s and "
                                 "--tls-key %s are a matching PEM certificate and key (and the port is free)",
                                 c->host, (unsigned)c->port, c->tls_cert, c->tls_key);
        return synth_err_set(err, SYNTH_IO, "cannot listen on %s:%u (address in use or not available)", c->host,
                             (unsigned)c->port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di != NULL ? di->port : c->port;
    return 0;
}

int synth_server_start(const synth_server_config *c, synth_server **out, synth_err *err)
{
    *out = NULL;
    int rc = check_config(c, err);
    if (rc)
        return rc;
    synth_server *s = synth_calloc(1, sizeof *s);
    if (s == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    s->cfg = *c;
    atomic_init(&s->draining, 0);
    atomic_init(&s->async_inflight, 0);
    static const char healthz[] = "{\"status\":\"ok\"}";
    static const char ready[] = "{\"status\":\"ready\"}";
    s->healthz = MHD_create_response_from_buffer(sizeof healthz - 1, (void *)healthz, MHD_RESPMEM_PERSISTENT);
    s->readyz_ok = MHD_create_response_from_buffer(sizeof ready - 1, (void *)ready, MHD_RESPMEM_PERSISTENT);
    if (s->healthz == NULL || s->readyz_ok == NULL) {
        free_server(s);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    MHD_add_response_header(s->healthz, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(s->readyz_ok, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (c->tls_cert != NULL && ((rc = read_pem(c->tls_cert, "--tls-cert", &s->tls_cert_pem, err)) != 0 ||
                                (rc = read_pem(c->tls_key, "--tls-key", &s->tls_key_pem, err)) != 0)) {
        free_server(s);
        return rc;
    }
    synth_ratelimit_config rlc;
    synth_ratelimit_config_init(&rlc);
    rlc.rate = c->rate;
    rlc.burst = c->burst < 1 ? 1 : (uint32_t)c->burst;
    rlc.auth_failures = c->auth_failures;
    rlc.max_jobs = c->max_jobs;
    if ((rc = synth_ratelimit_new(&rlc, &s->rl, err)) != 0 || (s->metrics = synth_metrics_new(err)) == NULL ||
        (c->access_log != NULL && (rc = synth_access_log_open(c->access_log, &s->log, err)) != 0) ||
        (rc = synth_store_open(c->data_dir, &s->store, err)) != 0) {
        free_server(s);
        return rc ? rc : err->code;
    }
    synth_metrics_set_collector(s->metrics, collect_jobs, s);
    synth_jobs_options jo;
    synth_jobs_options_init(&jo);
    jo.workers = c->workers;
    jo.on_finish = on_job_finish;
    jo.ctx = s;
    if ((rc = synth_jobs_start(s->store, &jo, &s->jobs, err)) != 0 || (rc = start_daemon(s, err)) != 0) {
        free_server(s);
        return rc;
    }
    *out = s;
    return 0;
}

uint16_t synth_server_port(const synth_server *s)
{
    return s->port;
}

void synth_server_tick(synth_server *s)
{
    synth_access_log_flush(s->log);
}

void synth_server_begin_drain(synth_server *s)
{
    atomic_store(&s->draining, 1);
}

int synth_server_stop(synth_server *s, synth_err *err)
{
    (void)err;
    if (s == NULL)
        return 0;
    atomic_store(&s->draining, 1);
    if (s->daemon != NULL) {
        MHD_socket fd = MHD_quiesce_daemon(s->daemon);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
    }
    if (s->jobs != NULL)
        synth_jobs_drain(s->jobs, s->cfg.grace);
    /* Slow handlers resume their connections: the daemon must outlive them. */
    for (int i = 0; atomic_load(&s->async_inflight) > 0 && i < 6000; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (s->daemon != NULL)
        MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    free_server(s);
    return 0;
}
