/* ratelimit.c -- GCRA token buckets per API key and per client IP in bounded tables (see ratelimit.h).
 *
 * Per slot we keep only the "theoretical arrival time" (TAT, ns): the instant at which the bucket
 * would be full again.  A request at `now` is admitted when max(TAT, now) + T - now <= tau, where
 * T = 1/rate is the emission interval and tau = burst * T the capacity; it then moves TAT by T.
 * Everything is integer nanoseconds, so "burst at once, then one per T" holds exactly. */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "ratelimit.h"

#define NAME_MAX_LEN 64      /* key ids and IPv6 texts fit */
#define PROBE 8              /* slots examined per lookup */
#define NS 1000000000ULL

typedef struct rl_slot {
    char name[NAME_MAX_LEN]; /* "" = empty */
    uint64_t tat;
} rl_slot;

typedef struct rl_table {
    rl_slot *slots;
    size_t capacity;
    uint64_t interval_ns;    /* T */
    uint64_t tau_ns;         /* burst * T */
    uint64_t quota;          /* burst */
} rl_table;

struct synth_ratelimit {
    synth_ratelimit_config cfg;
    pthread_mutex_t mu;
    rl_table keys, ips;
    uint64_t denied;
};

uint64_t synth_clock_monotonic(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

void synth_ratelimit_config_init(synth_ratelimit_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->rate = 10;
    cfg->burst = 20;
    cfg->auth_failures = 10;
    cfg->auth_window_s = 60;
    cfg->max_jobs = 4;
    cfg->capacity = 4096;
    cfg->clock = synth_clock_monotonic;
}

static int table_init(rl_table *t, size_t capacity, uint64_t interval_ns, uint64_t quota)
{
    t->slots = synth_calloc(capacity, sizeof *t->slots);
    t->capacity = capacity;
    t->interval_ns = interval_ns;
    t->quota = quota;
    t->tau_ns = interval_ns * quota;
    return t->slots == NULL ? -1 : 0;
}

int synth_ratelimit_new(const synth_ratelimit_config *cfg, synth_ratelimit **out, synth_err *err)
{
    *out = NULL;
    if (!(cfg->rate > 0) || !isfinite(cfg->rate) || cfg->rate > 1e9)
        return synth_err_set(err, SYNTH_USAGE, "rate must be a number of requests per second in (0, 1e9]");
    if (cfg->burst < 1 || cfg->burst > 1000000)
        return synth_err_set(err, SYNTH_USAGE, "burst must be 1..1000000");
    if (cfg->auth_failures < 1 || cfg->auth_window_s < 1 || cfg->auth_window_s > 86400)
        return synth_err_set(err, SYNTH_USAGE, "failed-auth limit needs at least 1 failure per 1..86400 s");
    if (cfg->capacity < PROBE || cfg->capacity > (1u << 24))
        return synth_err_set(err, SYNTH_USAGE, "rate-limit table capacity must be %d..16777216", PROBE);
    synth_ratelimit *rl = synth_calloc(1, sizeof *rl);
    if (rl == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    rl->cfg = *cfg;
    if (rl->cfg.clock == NULL)
        rl->cfg.clock = synth_clock_monotonic;
    uint64_t key_t = (uint64_t)llround(1e9 / cfg->rate);
    if (key_t == 0)
        key_t = 1;
    uint64_t ip_t = (uint64_t)cfg->auth_window_s * NS / cfg->auth_failures;
    if (table_init(&rl->keys, cfg->capacity, key_t, cfg->burst) != 0 ||
        table_init(&rl->ips, cfg->capacity, ip_t, cfg->auth_failures) != 0) {
        synth_free(rl->keys.slots);
        synth_free(rl);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    pthread_mutex_init(&rl->mu, NULL);
    *out = rl;
    return 0;
}

void synth_ratelimit_free(synth_ratelimit *rl)
{
    if (rl == NULL)
        return;
    pthread_mutex_destroy(&rl->mu);
    synth_free(rl->keys.slots);
    synth_free(rl->ips.slots);
    synth_free(rl);
}

const synth_ratelimit_config *synth_ratelimit_config_get(const synth_ratelimit *rl)
{
    return &rl->cfg;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* The slot for name: its own, else an empty or full-again one, else the nearest-to-full one
 * (recycled: it starts full).  Never NULL. */
static rl_slot *table_slot(rl_table *t, const char *name_in, uint64_t now)
{
    char name[NAME_MAX_LEN];
    size_t len = strnlen(name_in, NAME_MAX_LEN - 1);
    memcpy(name, name_in, len);
    name[len] = '\0';
    size_t start = (size_t)(fnv1a(name) % t->capacity);
    rl_slot *reuse = NULL, *oldest = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        rl_slot *s = &t->slots[(start + i) % t->capacity];
        if (s->name[0] != '\0' && strcmp(s->name, name) == 0)
            return s;
        if (reuse == NULL && (s->name[0] == '\0' || s->tat <= now))
            reuse = s;
        if (oldest == NULL || s->tat < oldest->tat)
            oldest = s;
    }
    rl_slot *s = reuse != NULL ? reuse : oldest;
    memcpy(s->name, name, len + 1);
    s->tat = 0;
    return s;
}

static uint64_t ceil_s(uint64_t ns)
{
    return (ns + NS - 1) / NS;
}

/* consume = 0: only look (would one more be admitted?).  Returns allowed. */
static int gcra(rl_table *t, rl_slot *s, uint64_t now, int consume, synth_rl_decision *d)
{
    uint64_t tat = s->tat > now ? s->tat : now;
    uint64_t new_tat = tat + t->interval_ns;
    d->limit = t->quota;
    d->window_s = ceil_s(t->tau_ns);
    if (d->window_s == 0)
        d->window_s = 1;
    if (new_tat - now > t->tau_ns) {
        d->allowed = 0;
        d->remaining = 0;
        d->reset_s = ceil_s(tat - now);
        d->retry_after_s = ceil_s(new_tat - t->tau_ns - now);
        if (d->retry_after_s == 0)
            d->retry_after_s = 1;
        return 0;
    }
    d->allowed = 1;
    d->retry_after_s = 0;
    if (consume) {
        s->tat = new_tat;
        d->remaining = (t->tau_ns - (new_tat - now)) / t->interval_ns;
        d->reset_s = ceil_s(new_tat - now);
    } else {
        d->remaining = (t->tau_ns - (tat - now)) / t->interval_ns;
        d->reset_s = ceil_s(tat - now);
    }
    return 1;
}

static void check(synth_ratelimit *rl, rl_table *t, const char *name, int consume, synth_rl_decision *d)
{
    uint64_t now = rl->cfg.clock(rl->cfg.clock_ctx);
    pthread_mutex_lock(&rl->mu);
    rl_slot *s = table_slot(t, name != NULL ? name : "", now);
    if (!gcra(t, s, now, consume, d))
        rl->denied++;
    pthread_mutex_unlock(&rl->mu);
}

void synth_ratelimit_key(synth_ratelimit *rl, const char *key_id, synth_rl_decision *d)
{
    check(rl, &rl->keys, key_id, 1, d);
}

void synth_ratelimit_auth_check(synth_ratelimit *rl, const char *ip, synth_rl_decision *d)
{
    check(rl, &rl->ips, ip, 0, d);
}

void synth_ratelimit_auth_failed(synth_ratelimit *rl, const char *ip, synth_rl_decision *d)
{
    check(rl, &rl->ips, ip, 1, d);
}

uint64_t synth_ratelimit_denied_total(const synth_ratelimit *rl)
{
    synth_ratelimit *m = (synth_ratelimit *)rl;
    pthread_mutex_lock(&m->mu);
    uint64_t n = m->denied;
    pthread_mutex_unlock(&m->mu);
    return n;
}
