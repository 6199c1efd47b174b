/* metrics.h -- the server's Prometheus registry: request counters, latency histograms, job gauges.
 *
 * One synth_metrics per server.  Recording is lock-free (relaxed C11 atomics on fixed arrays), so
 * the hot path of /healthz costs a few atomic adds; only the first sighting of a new route label
 * takes a mutex.  Label sets are bounded: at most SYNTH_METRICS_MAX_ROUTES route labels (later ones
 * are counted under route="other"), a fixed list of methods (others count as "OTHER") and a fixed
 * list of status codes (others count under their class, e.g. status="4xx").  Route labels are
 * route templates chosen by the server ("/v1/datasets/{id}"), never raw request paths, so a client
 * cannot grow the label set.
 *
 * synth_metrics_render() writes the Prometheus text exposition format, version 0.0.4:
 *   synth_http_requests_total{route,method,status}            counter
 *   synth_http_request_duration_seconds{route} le=...         histogram (cumulative buckets, +Inf,
 *                                                              _sum, _count)
 *   synth_jobs{state}                                         gauge (queued, running, succeeded,
 *                                                              failed, cancelled)
 *   synth_rows_generated_total                                counter
 *   synth_rate_limited_total                                  counter
 *   synth_auth_failures_total                                 counter (failed authentications)
 *   synth_uptime_seconds                                      gauge
 * Families always appear with their HELP and TYPE lines, even before any sample.
 *
 * Thread-safe: every function may be called from any thread once synth_metrics_new returned, except
 * synth_metrics_free (no other call may run concurrently with it). */
#ifndef SYNTH_METRICS_H
#define SYNTH_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Content-Type of the rendered text. */
#define SYNTH_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Distinct route labels kept; more are folded into route="other". */
#define SYNTH_METRICS_MAX_ROUTES 48
/* Longest route label kept (bytes, without NUL); longer ones are folded into "other". */
#define SYNTH_METRICS_ROUTE_MAX 96

/* Upper bounds (seconds) of the latency histogram buckets; +Inf is implicit. */
#define SYNTH_METRICS_BUCKETS \
    { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0 }
#define SYNTH_METRICS_N_BUCKETS 15

/* Job states of the synth_jobs gauge (same spelling as the jobs table). */
typedef enum synth_metrics_job_state {
    SYNTH_METRICS_JOB_QUEUED = 0,
    SYNTH_METRICS_JOB_RUNNING,
    SYNTH_METRICS_JOB_SUCCEEDED,
    SYNTH_METRICS_JOB_FAILED,
    SYNTH_METRICS_JOB_CANCELLED,
    SYNTH_METRICS_JOB_NSTATES
} synth_metrics_job_state;

typedef struct synth_metrics synth_metrics;

/* Called by synth_metrics_render before it writes anything, so the gauges can be refreshed from
 * the source of truth (e.g. SELECT state, count(*) FROM jobs GROUP BY state, then
 * synth_metrics_jobs_set).  Runs on the rendering thread; must not call synth_metrics_render. */
typedef void (*synth_metrics_collect_fn)(synth_metrics *m, void *user);

/* A new, empty registry (all counters 0, uptime counted from now).  Caller frees with
 * synth_metrics_free.  On error (out of memory, mutex) returns NULL and fills err. */
synth_metrics *synth_metrics_new(synth_err *err);

/* Frees the registry; NULL does nothing. */
void synth_metrics_free(synth_metrics *m);

/* Install (or, with fn NULL, remove) the collect hook.  Call before serving starts. */
void synth_metrics_set_collector(synth_metrics *m, synth_metrics_collect_fn fn, void *user);

/* Record one answered request: route template (NULL or "" -> "other"), method ("GET"...; NULL or
 * unknown -> "OTHER"), HTTP status (100..599; others -> "other"), latency in seconds (negative or NaN
 * counted as 0).  Can't fail.  m NULL does nothing. */
void synth_metrics_observe_request(synth_metrics *m, const char *route, const char *method,
                                   int status, double seconds);

/* Counters.  m NULL does nothing. */
void synth_metrics_add_rows(synth_metrics *m, uint64_t rows);
void synth_metrics_inc_rate_limited(synth_metrics *m);
void synth_metrics_inc_auth_failures(synth_metrics *m);

/* Job gauge: set to an absolute value, or add a (possibly negative) delta.  An out-of-range state
 * is ignored. */
void synth_metrics_jobs_set(synth_metrics *m, synth_metrics_job_state state, int64_t value);
void synth_metrics_jobs_add(synth_metrics *m, synth_metrics_job_state state, int64_t delta);
/* The state for a jobs-table spelling ("queued", ...), or -1 when unknown. */
int synth_metrics_job_state_from_name(const char *name);

/* Readers (for tests and for the server's own logic).  Each returns 0 for an unknown label. */
uint64_t synth_metrics_requests(const synth_metrics *m, const char *route, const char *method,
                                int status);
uint64_t synth_metrics_rows(const synth_metrics *m);
uint64_t synth_metrics_rate_limited(const synth_metrics *m);
int64_t synth_metrics_jobs(const synth_metrics *m, synth_metrics_job_state state);

/* Render the whole registry as Prometheus text (version 0.0.4) into a new NUL-terminated string;
 * *len (may be NULL) gets its length.  Caller frees with synth_free.  On error (out of memory)
 * returns NULL and fills err. */
char *synth_metrics_render(synth_metrics *m, size_t *len, synth_err *err);

#endif
