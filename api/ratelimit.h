/* ratelimit.h -- request limits of the REST server: a token bucket per API key and a limiter of
 * failed authentications per client IP.
 *
 * Both are GCRA (the generic cell rate algorithm), which is exactly a token bucket of capacity
 * `burst` refilled at `rate` tokens per second, kept in integer nanoseconds so the arithmetic is
 * exact: after an idle period a key may make `burst` requests at once, then one every 1/rate s.
 * State lives in fixed-size tables (capacity slots each, set at creation): memory is bounded
 * whatever the number of keys or IPs.  A slot whose bucket is full again is free for reuse; when a
 * probe window holds no such slot the nearest-to-full one is recycled (it then starts full).
 * The concurrent-jobs cap is enforced atomically by the store (synth_store_job_create's
 * max_active); the configured value lives here so the server has one limits object.
 * Thread-safe: every call takes the limiter's mutex.  The clock is injectable for tests. */
#ifndef SYNTH_API_RATELIMIT_H
#define SYNTH_API_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Monotonic time in nanoseconds. */
typedef uint64_t (*synth_clock_fn)(void *ctx);
/* The default clock: CLOCK_MONOTONIC. */
uint64_t synth_clock_monotonic(void *ctx);

typedef struct synth_ratelimit_config {
    double rate;              /* per key: sustained requests per second (default 10; > 0) */
    uint32_t burst;           /* per key: bucket capacity (default 20; >= 1) */
    uint32_t auth_failures;   /* per IP: failed authentications allowed per window (default 10) */
    uint32_t auth_window_s;   /* ... window in seconds (default 60) */
    uint32_t max_jobs;        /* per key: queued + running jobs (default 4; 0 = no cap) */
    size_t capacity;          /* slots per table (default 4096) */
    synth_clock_fn clock;     /* default synth_clock_monotonic */
    void *clock_ctx;
} synth_ratelimit_config;

void synth_ratelimit_config_init(synth_ratelimit_config *cfg);

typedef struct synth_ratelimit synth_ratelimit;

/* SYNTH_USAGE for a bad config (rate <= 0 or not finite, burst 0, ...), SYNTH_NOMEM. */
int synth_ratelimit_new(const synth_ratelimit_config *cfg, synth_ratelimit **out, synth_err *err);
void synth_ratelimit_free(synth_ratelimit *rl);   /* NULL is a no-op */
const synth_ratelimit_config *synth_ratelimit_config_get(const synth_ratelimit *rl);

/* What a check decided, with everything the headers need:
 *   RateLimit-Policy: "default";q=<limit>;w=<window_s>
 *   RateLimit: "default";r=<remaining>;t=<reset_s>
 *   RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset, and Retry-After when denied. */
typedef struct synth_rl_decision {
    int allowed;              /* 1: go on; 0: answer 429 */
    uint64_t limit;           /* the quota q (burst, or auth_failures) */
    uint64_t window_s;        /* w: seconds for a full bucket to refill from empty (ceil, >= 1) */
    uint64_t remaining;       /* requests that could be made right now after this one */
    uint64_t reset_s;         /* seconds until the bucket is full again (ceil) */
    uint64_t retry_after_s;   /* denied: seconds until the next request would pass (ceil, >= 1); else 0 */
} synth_rl_decision;

/* One request by key_id: takes a token when one is there.  Can't fail (key_id longer than 63
 * bytes is cut). */
void synth_ratelimit_key(synth_ratelimit *rl, const char *key_id, synth_rl_decision *d);

/* Failed-auth limiter per client IP (IPv4 or IPv6 text).  _check only looks: allowed = 0 when the
 * IP has used up its failures (answer 429 before even looking at the key).  _failed records one
 * failure and says whether it was still within the limit (allowed = 1 -> answer 401, else 429). */
void synth_ratelimit_auth_check(synth_ratelimit *rl, const char *ip, synth_rl_decision *d);
void synth_ratelimit_auth_failed(synth_ratelimit *rl, const char *ip, synth_rl_decision *d);

/* Totals since creation (for /metrics): denied key requests and denied auth attempts. */
uint64_t synth_ratelimit_denied_total(const synth_ratelimit *rl);

#endif
