/* metrics.c -- the server's Prometheus registry (see metrics.h).
 *
 * Layout: a fixed array of route slots; slot 0 is route="other".  Each slot holds a counter per
 * (method, status) pair and the histogram's per-bucket counts (not cumulative; rendering sums them,
 * so _count always equals the +Inf bucket of the same scrape) and the latency sum in nanoseconds.
 * A slot's name is written before the slot count is published with a release store, and readers
 * load the count with acquire, so finding a route never takes the lock. */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

static const char *const method_names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
                                           "OTHER"};
#define N_METHODS (sizeof method_names / sizeof method_names[0])

/* Exact status codes kept as their own label; any other code counts under its class ("4xx"). */
static const int status_codes[] = {200, 201, 202, 204, 206, 301, 302, 304, 307, 308, 400, 401, 403,
                                   404, 405, 406, 408, 409, 410, 411, 412, 413, 414, 415, 416, 422,
                                   428, 429, 431, 500, 501, 502, 503, 504};
#define N_CODES (sizeof status_codes / sizeof status_codes[0])
/* Slots N_CODES .. N_CODES+4 are the classes 1xx..5xx, N_CODES+5 is "other". */
#define N_STATUS (N_CODES + 6)

static const char *const job_state_names[SYNTH_METRICS_JOB_NSTATES] = {
    "queued", "running", "succeeded", "failed", "cancelled"};

static const double bucket_bounds[SYNTH_METRICS_N_BUCKETS] = SYNTH_METRICS_BUCKETS;

typedef struct route_slot {
    char name[SYNTH_METRICS_ROUTE_MAX + 1];
    _Atomic uint64_t requests[N_METHODS][N_STATUS];
    _Atomic uint64_t buckets[SYNTH_METRICS_N_BUCKETS + 1]; /* last one: above every bound */
    _Atomic uint64_t sum_ns;
} route_slot;

struct synth_metrics {
    route_slot routes[SYNTH_METRICS_MAX_ROUTES + 1]; /* [0] is "other" */
    _Atomic size_t n_routes;
    pthread_mutex_t add_lock;
    _Atomic uint64_t rows;
    _Atomic uint64_t rate_limited;
    _Atomic uint64_t auth_failures;
    _Atomic int64_t jobs[SYNTH_METRICS_JOB_NSTATES];
    struct timespec started;
    pthread_mutex_t render_lock; /* one render (and collect hook) at a time */
    synth_metrics_collect_fn collect;
    void *collect_user;
};

synth_metrics *synth_metrics_new(synth_err *err)
{
    synth_metrics *m = synth_calloc(1, sizeof *m);
    if (m == NULL) {
        synth_err_set(err, SYNTH_NOMEM, "metrics: out of memory");
        return NULL;
    }
    if (pthread_mutex_init(&m->add_lock, NULL) != 0) {
        synth_free(m);
        synth_err_set(err, SYNTH_INTERNAL, "metrics: cannot create a mutex");
        return NULL;
    }
    if (pthread_mutex_init(&m->render_lock, NULL) != 0) {
        pthread_mutex_destroy(&m->add_lock);
        synth_free(m);
        synth_err_set(err, SYNTH_INTERNAL, "metrics: cannot create a mutex");
        return NULL;
    }
    memcpy(m->routes[0].name, "other", sizeof "other");
    atomic_store_explicit(&m->n_routes, 1, memory_order_release);
    clock_gettime(CLOCK_MONOTONIC, &m->started);
    return m;
}

void synth_metrics_free(synth_metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->add_lock);
    pthread_mutex_destroy(&m->render_lock);
    synth_free(m);
}

void synth_metrics_set_collector(synth_metrics *m, synth_metrics_collect_fn fn, void *user)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->render_lock);
    m->collect = fn;
    m->collect_user = user;
    pthread_mutex_unlock(&m->render_lock);
}

/* The slot index of an existing route label, or 0 ("other") when absent. */
static size_t find_route(const synth_metrics *m, const char *route)
{
    size_t n = atomic_load_explicit(&((synth_metrics *)m)->n_routes, memory_order_acquire);
    for (size_t i = 1; i < n; i++)
        if (strcmp(m->routes[i].name, route) == 0)
            return i;
    return 0;
}

/* The slot for a route label, adding it when there is room. */
static size_t route_slot_for(synth_metrics *m, const char *route)
{
    if (route == NULL || route[0] == '\0' || strcmp(route, "other") == 0)
        return 0;
    size_t i = find_route(m, route);
    if (i != 0)
        return i;
    size_t len = strlen(route);
    if (len > SYNTH_METRICS_ROUTE_MAX)
        return 0;
    pthread_mutex_lock(&m->add_lock);
    i = find_route(m, route); /* another thread may have added it meanwhile */
    if (i == 0) {
        size_t n = atomic_load_explicit(&m->n_routes, memory_order_relaxed);
        if (n < SYNTH_METRICS_MAX_ROUTES + 1) {
            memcpy(m->routes[n].name, route, len + 1);
            atomic_store_explicit(&m->n_routes, n + 1, memory_order_release);
            i = n;
        }
    }
    pthread_mutex_unlock(&m->add_lock);
    return i;
}

static size_t method_index(const char *method)
{
    if (method != NULL)
        for (size_t i = 0; i + 1 < N_METHODS; i++)
            if (strcmp(method, method_names[i]) == 0)
                return i;
    return N_METHODS - 1;
}

static size_t status_index(int status)
{
    for (size_t i = 0; i < N_CODES; i++)
        if (status_codes[i] == status)
            return i;
    if (status >= 100 && status <= 599)
        return N_CODES + (size_t)(status / 100 - 1);
    return N_CODES + 5;
}

/* The label text of a status slot, in caller storage of at least 8 bytes. */
static const char *status_label(size_t idx, char buf[8])
{
    if (idx < N_CODES)
        snprintf(buf, 8, "%d", status_codes[idx]);
    else if (idx < N_CODES + 5)
        snprintf(buf, 8, "%zuxx", idx - N_CODES + 1);
    else
        snprintf(buf, 8, "other");
    return buf;
}

void synth_metrics_observe_request(synth_metrics *m, const char *route, const char *method,
                                   int status, double seconds)
{
    if (m == NULL)
        return;
    route_slot *s = &m->routes[route_slot_for(m, route)];
    atomic_fetch_add_explicit(&s->requests[method_index(method)][status_index(status)], 1,
                              memory_order_relaxed);
    if (!(seconds > 0)) /* also NaN */
        seconds = 0;
    size_t b = 0;
    while (b < SYNTH_METRICS_N_BUCKETS && seconds > bucket_bounds[b])
        b++;
    atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
    double ns = seconds * 1e9;
    uint64_t add = ns >= 1.8e19 ? UINT64_C(18000000000000000000) : (uint64_t)llround(ns);
    atomic_fetch_add_explicit(&s->sum_ns, add, memory_order_relaxed);
}

void synth_metrics_add_rows(synth_metrics *m, uint64_t rows)
{
    if (m != NULL)
        atomic_fetch_add_explicit(&m->rows, rows, memory_order_relaxed);
}

void synth_metrics_inc_rate_limited(synth_metrics *m)
{
    if (m != NULL)
        atomic_fetch_add_explicit(&m->rate_limited, 1, memory_order_relaxed);
}

void synth_metrics_inc_auth_failures(synth_metrics *m)
{
    if (m != NULL)
        atomic_fetch_add_explicit(&m->auth_failures, 1, memory_order_relaxed);
}

void synth_metrics_jobs_set(synth_metrics *m, synth_metrics_job_state state, int64_t value)
{
    if (m != NULL && (int)state >= 0 && state < SYNTH_METRICS_JOB_NSTATES)
        atomic_store_explicit(&m->jobs[state], value, memory_order_relaxed);
}

void synth_metrics_jobs_add(synth_metrics *m, synth_metrics_job_state state, int64_t delta)
{
    if (m != NULL && (int)state >= 0 && state < SYNTH_METRICS_JOB_NSTATES)
        atomic_fetch_add_explicit(&m->jobs[state], delta, memory_order_relaxed);
}

int synth_metrics_job_state_from_name(const char *name)
{
    if (name != NULL)
        for (int i = 0; i < SYNTH_METRICS_JOB_NSTATES; i++)
            if (strcmp(name, job_state_names[i]) == 0)
                return i;
    return -1;
}

uint64_t synth_metrics_requests(const synth_metrics *m, const char *route, const char *method,
                                int status)
{
    if (m == NULL)
        return 0;
    size_t r = (route == NULL || route[0] == '\0') ? 0 : find_route(m, route);
    if (r == 0 && route != NULL && route[0] != '\0' && strcmp(route, "other") != 0)
        return 0;
    return atomic_load_explicit(
        &((synth_metrics *)m)->routes[r].requests[method_index(method)][status_index(status)],
        memory_order_relaxed);
}

uint64_t synth_metrics_rows(const synth_metrics *m)
{
    return m == NULL ? 0 : atomic_load_explicit(&((synth_metrics *)m)->rows, memory_order_relaxed);
}

uint64_t synth_metrics_rate_limited(const synth_metrics *m)
{
    return m == NULL ? 0
                     : atomic_load_explicit(&((synth_metrics *)m)->rate_limited, memory_order_relaxed);
}

int64_t synth_metrics_jobs(const synth_metrics *m, synth_metrics_job_state state)
{
    if (m == NULL || (int)state < 0 || state >= SYNTH_METRICS_JOB_NSTATES)
        return 0;
    return atomic_load_explicit(&((synth_metrics *)m)->jobs[state], memory_order_relaxed);
}

/* ---- rendering ---- */

typedef struct out_buf {
    char *data;
    size_t len, cap;
    int failed;
} out_buf;

static void out_printf(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(out_buf *o, const char *fmt, ...)
{
    if (o->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->data + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->failed = 1;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap * 2 + (size_t)n + 1;
        char *p = synth_realloc(o->data, cap);
        if (p == NULL) {
            o->failed = 1;
            return;
        }
        o->data = p;
        o->cap = cap;
    }
}

/* A label value escaped per the exposition format (backslash, double quote, newline) into buf. */
static const char *escape_label(const char *s, char *buf, size_t size)
{
    size_t j = 0;
    for (; *s != '\0' && j + 3 < size; s++) {
        if (*s == '\\' || *s == '"') {
            buf[j++] = '\\';
            buf[j++] = *s;
        } else if (*s == '\n') {
            buf[j++] = '\\';
            buf[j++] = 'n';
        } else {
            buf[j++] = *s;
        }
    }
    buf[j] = '\0';
    return buf;
}

static void render_requests(out_buf *o, synth_metrics *m, size_t n_routes)
{
    out_printf(o, "# HELP synth_http_requests_total HTTP requests answered, by route template, "
                  "method and status.\n"
                  "# TYPE synth_http_requests_total counter\n");
    char esc[2 * SYNTH_METRICS_ROUTE_MAX + 4], st[8];
    for (size_t r = 0; r < n_routes; r++) {
        route_slot *s = &m->routes[r];
        escape_label(s->name, esc, sizeof esc);
        for (size_t k = 0; k < N_METHODS; k++)
            for (size_t c = 0; c < N_STATUS; c++) {
                uint64_t v = atomic_load_explicit(&s->requests[k][c], memory_order_relaxed);
                if (v != 0)
                    out_printf(o,
                               "synth_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} "
                               "%llu\n",
                               esc, method_names[k], status_label(c, st), (unsigned long long)v);
            }
    }
}

static void render_latency(out_buf *o, synth_metrics *m, size_t n_routes)
{
    out_printf(o, "# HELP synth_http_request_duration_seconds Time from the start of a request to "
                  "its last byte queued, by route template.\n"
                  "# TYPE synth_http_request_duration_seconds histogram\n");
    char esc[2 * SYNTH_METRICS_ROUTE_MAX + 4];
    for (size_t r = 0; r < n_routes; r++) {
        route_slot *s = &m->routes[r];
        uint64_t counts[SYNTH_METRICS_N_BUCKETS + 1], total = 0;
        for (size_t b = 0; b <= SYNTH_METRICS_N_BUCKETS; b++) {
            counts[b] = atomic_load_explicit(&s->buckets[b], memory_order_relaxed);
            total += counts[b];
        }
        if (total == 0)
            continue;
        escape_label(s->name, esc, sizeof esc);
        uint64_t cum = 0;
        for (size_t b = 0; b < SYNTH_METRICS_N_BUCKETS; b++) {
            cum += counts[b];
            out_printf(o, "synth_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                       esc, bucket_bounds[b], (unsigned long long)cum);
        }
        out_printf(o,
                   "synth_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                   "synth_http_request_duration_seconds_sum{route=\"%s\"} %.9f\n"
                   "synth_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                   esc, (unsigned long long)total, esc,
                   (double)atomic_load_explicit(&s->sum_ns, memory_order_relaxed) / 1e9, esc,
                   (unsigned long long)total);
    }
}

static void render_scalars(out_buf *o, synth_metrics *m)
{
    out_printf(o, "# HELP synth_jobs Jobs in the store, by state.\n# TYPE synth_jobs gauge\n");
    for (int i = 0; i < SYNTH_METRICS_JOB_NSTATES; i++)
        out_printf(o, "synth_jobs{state=\"%s\"} %lld\n", job_state_names[i],
                   (long long)atomic_load_explicit(&m->jobs[i], memory_order_relaxed));
    out_printf(o,
               "# HELP synth_rows_generated_total Synthetic rows generated (streamed and by jobs).\n"
               "# TYPE synth_rows_generated_total counter\n"
               "synth_rows_generated_total %llu\n"
               "# HELP synth_rate_limited_total Requests answered 429 by a rate limit.\n"
               "# TYPE synth_rate_limited_total counter\n"
               "synth_rate_limited_total %llu\n"
               "# HELP synth_auth_failures_total Failed authentications (missing, unknown or revoked "
               "key).\n"
               "# TYPE synth_auth_failures_total counter\n"
               "synth_auth_failures_total %llu\n",
               (unsigned long long)atomic_load_explicit(&m->rows, memory_order_relaxed),
               (unsigned long long)atomic_load_explicit(&m->rate_limited, memory_order_relaxed),
               (unsigned long long)atomic_load_explicit(&m->auth_failures, memory_order_relaxed));
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double up = (double)(now.tv_sec - m->started.tv_sec) +
                (double)(now.tv_nsec - m->started.tv_nsec) / 1e9;
    out_printf(o,
               "# HELP synth_uptime_seconds Seconds since the server started.\n"
               "# TYPE synth_uptime_seconds gauge\n"
               "synth_uptime_seconds %.3f\n",
               up);
}

char *synth_metrics_render(synth_metrics *m, size_t *len, synth_err *err)
{
    if (m == NULL) {
        synth_err_set(err, SYNTH_INTERNAL, "metrics: no registry");
        return NULL;
    }
    out_buf o = {.cap = 8192};
    o.data = synth_malloc(o.cap);
    if (o.data == NULL) {
        synth_err_set(err, SYNTH_NOMEM, "metrics: out of memory");
        return NULL;
    }
    o.data[0] = '\0';
    pthread_mutex_lock(&m->render_lock);
    if (m->collect != NULL)
        m->collect(m, m->collect_user);
    size_t n_routes = atomic_load_explicit(&m->n_routes, memory_order_acquire);
    render_requests(&o, m, n_routes);
    render_latency(&o, m, n_routes);
    render_scalars(&o, m);
    pthread_mutex_unlock(&m->render_lock);
    if (o.failed) {
        synth_free(o.data);
        synth_err_set(err, SYNTH_NOMEM, "metrics: out of memory while rendering");
        return NULL;
    }
    if (len != NULL)
        *len = o.len;
    return o.data;
}
