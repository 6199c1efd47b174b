/* check.c -- k-anonymity, l-diversity and t-closeness of a CSV in one streaming pass: see check.h.
 *
 * What: the reader thread (the caller) parses chunks with synth_csv_reader and copies only the
 * needed cells of each row -- the quasi-identifiers (QIs), then the sensitive columns, each as a
 * 4-byte length followed by its bytes -- into a batch; a worker thread takes the batches and
 * (1) finds the row's equivalence class in an open-addressing table keyed by the encoded QI tuple
 * (the length prefixes make the key unambiguous, so no separator byte is needed and empty cells
 * are values like any other), (2) interns each sensitive value in a per-column dictionary, and
 * (3) counts the (class, value) pair in a per-column pair table.  Parsing of chunk k+1 thus
 * overlaps the hashing of chunk k.  A regular file is first read by a faster scanner of its own
 * (see fast_pass) that copies only the needed cells; on anything outside the plain subset it
 * understands (CR, NUL, bad UTF-8, ragged rows, stray quotes) the pass starts over through
 * synth_csv_reader, which gives the same result or the exact error.  After the pass the pairs are
 * grouped by class (counting sort) and every model is evaluated per class.
 * Memory bound: O(classes + distinct sensitive values + distinct (class, value) pairs) plus two
 * batches and the reader's chunk; never proportional to the number of rows.
 * Ownership: the caller owns the returned report; everything else is freed before returning.
 * Thread-safety: no shared state; each call starts (at most) one private worker thread. */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "csv_fast.h"
#include "emd.h"
#include "hash.h"
#include "signals.h"

static _Atomic int force_reader;

void synth__privacy_check_force_reader(int on)
{
    force_reader = on;
}

void synth_privacy_spec_init(synth_privacy_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->t = -1.0;
    spec->risk_threshold = 0.2;
}

/* ---- interning table: byte strings -> dense ids, with a count per id -------------------------- */

typedef struct strent {
    size_t off;      /* into arena */
    uint32_t len;
    uint32_t hash32; /* low bits of the hash, for rehashing */
    uint64_t count;
} strent;

typedef struct strtab {
    uint64_t *slots; /* 0 = empty; else (hash high 32 bits << 32) | (id + 1) */
    size_t mask;
    strent *ents;
    size_t n, cap;
    char *arena;     /* each string followed by a NUL */
    size_t alen, acap;
    uint64_t *full;  /* full hash per id (for growing) */
} strtab;

static void strtab_free(strtab *t)
{
    synth_free(t->slots);
    synth_free(t->ents);
    synth_free(t->arena);
    synth_free(t->full);
    memset(t, 0, sizeof *t);
}

static int strtab_init(strtab *t, size_t slots)
{
    memset(t, 0, sizeof *t);
    t->slots = synth_calloc(slots, sizeof *t->slots);
    if (t->slots == NULL)
        return SYNTH_NOMEM;
    t->mask = slots - 1;
    return 0;
}

static int strtab_grow(strtab *t)
{
    size_t nslots = (t->mask + 1) * 2;
    uint64_t *s = synth_calloc(nslots, sizeof *s);
    if (s == NULL)
        return SYNTH_NOMEM;
    for (size_t id = 0; id < t->n; id++) {
        uint64_t h = t->full[id];
        size_t i = (size_t)h & (nslots - 1);
        while (s[i] != 0)
            i = (i + 1) & (nslots - 1);
        s[i] = ((h >> 32) << 32) | (uint64_t)(id + 1);
    }
    synth_free(t->slots);
    t->slots = s;
    t->mask = nslots - 1;
    return 0;
}

/* Find or add s; *id gets its id.  Adds `add` to its count.  Returns 0, 1 (new) or SYNTH_NOMEM. */
static int strtab_intern(strtab *t, const char *s, uint32_t len, uint64_t h, uint64_t add, uint32_t *id)
{
    uint64_t tag = (h >> 32) << 32;
    size_t i = (size_t)h & t->mask;
    for (;;) {
        uint64_t v = t->slots[i];
        if (v == 0)
            break;
        if ((v & 0xffffffff00000000ULL) == tag) {
            size_t k = (size_t)(v & 0xffffffffULL) - 1;
            strent *e = &t->ents[k];
            if (e->len == len && memcmp(t->arena + e->off, s, len) == 0) {
                e->count += add;
                *id = (uint32_t)k;
                return 0;
            }
        }
        i = (i + 1) & t->mask;
    }
    if (t->n >= 0xfffffff0u)
        return SYNTH_NOMEM; /* more than 2^32 distinct tuples: treat as out of memory */
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        strent *e = synth_reallocarray(t->ents, ncap, sizeof *e);
        if (e == NULL)
            return SYNTH_NOMEM;
        t->ents = e;
        uint64_t *f = synth_reallocarray(t->full, ncap, sizeof *f);
        if (f == NULL)
            return SYNTH_NOMEM;
        t->full = f;
        t->cap = ncap;
    }
    if (t->acap - t->alen < (size_t)len + 1) {
        size_t ncap = t->acap ? t->acap : 4096;
        while (ncap - t->alen < (size_t)len + 1)
            ncap *= 2;
        char *a = synth_realloc(t->arena, ncap);
        if (a == NULL)
            return SYNTH_NOMEM;
        t->arena = a;
        t->acap = ncap;
    }
    memcpy(t->arena + t->alen, s, len);
    t->arena[t->alen + len] = '\0';
    size_t k = t->n;
    t->ents[k] = (strent){ .off = t->alen, .len = len, .hash32 = (uint32_t)h, .count = add };
    t->full[k] = h;
    t->alen += (size_t)len + 1;
    t->slots[i] = tag | (uint64_t)(k + 1);
    t->n++;
    *id = (uint32_t)k;
    if (t->n * 2 > t->mask + 1) {
        int rc = strtab_grow(t);
        if (rc != 0)
            return rc;
    }
    return 1;
}

/* ---- pair table: (class id, value id) -> count ------------------------------------------------ */

typedef struct pair {
    uint64_t key;   /* class << 32 | value */
    uint64_t count; /* 0 = empty slot */
} pair;

typedef struct pairtab {
    pair *slots;
    size_t mask, n;
} pairtab;

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static int pairtab_init(pairtab *t, size_t slots)
{
    t->slots = synth_calloc(slots, sizeof *t->slots);
    if (t->slots == NULL)
        return SYNTH_NOMEM;
    t->mask = slots - 1;
    t->n = 0;
    return 0;
}

static int pairtab_add(pairtab *t, uint64_t key)
{
    size_t i = (size_t)mix64(key) & t->mask;
    while (t->slots[i].count != 0) {
        if (t->slots[i].key == key) {
            t->slots[i].count++;
            return 0;
        }
        i = (i + 1) & t->mask;
    }
    t->slots[i].key = key;
    t->slots[i].count = 1;
    t->n++;
    if (t->n * 2 > t->mask + 1) {
        size_t nslots = (t->mask + 1) * 2;
        pair *s = synth_calloc(nslots, sizeof *s);
        if (s == NULL)
            return SYNTH_NOMEM;
        for (size_t j = 0; j <= t->mask; j++) {
            if (t->slots[j].count == 0)
                continue;
            size_t p = (size_t)mix64(t->slots[j].key) & (nslots - 1);
            while (s[p].count != 0)
                p = (p + 1) & (nslots - 1);
            s[p] = t->slots[j];
        }
        synth_free(t->slots);
        t->slots = s;
        t->mask = nslots - 1;
    }
    return 0;
}

/* ---- the pass ----------------------------------------------------------------------------------- */

typedef struct batch {
    char *buf;       /* rows: for each needed column, uint32 length + bytes */
    size_t len, cap;
    size_t nrows;
} batch;

typedef struct state {
    size_t nqi, nsens;
    strtab classes;
    strtab *values;  /* [nsens] */
    pairtab *pairs;  /* [nsens] */
    uint64_t rows;

    /* hand-over between the reader (producer) and the worker (consumer) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch slot[2];
    int full[2];     /* slot holds a batch to process */
    int done;        /* producer finished (or failed) */
    int werr;        /* worker error (SYNTH_NOMEM) */
} state;

static int process_batch(state *st, const batch *b)
{
    const char *p = b->buf;
    for (size_t r = 0; r < b->nrows; r++) {
        const char *key = p;
        for (size_t c = 0; c < st->nqi; c++) {
            uint32_t n;
            memcpy(&n, p, 4);
            p += 4 + (size_t)n;
        }
        size_t klen = (size_t)(p - key);
        uint32_t cls;
        int rc = strtab_intern(&st->classes, key, (uint32_t)klen, synth_hash_bytes(key, klen), 1, &cls);
        if (rc < 0)
            return rc;
        for (size_t s = 0; s < st->nsens; s++) {
            uint32_t n;
            memcpy(&n, p, 4);
            const char *v = p + 4;
            p += 4 + (size_t)n;
            uint32_t vid;
            rc = strtab_intern(&st->values[s], v, n, synth_hash_bytes(v, n), 1, &vid);
            if (rc < 0)
                return rc;
            rc = pairtab_add(&st->pairs[s], ((uint64_t)cls << 32) | vid);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static void *worker_main(void *arg)
{
    state *st = arg;
    int next = 0;
    for (;;) {
        pthread_mutex_lock(&st->mu);
        while (!st->full[next] && !st->done)
            pthread_cond_wait(&st->cv, &st->mu);
        if (!st->full[next]) { /* done and nothing left */
            pthread_mutex_unlock(&st->mu);
            return NULL;
        }
        pthread_mutex_unlock(&st->mu);
        int rc = st->werr == 0 ? process_batch(st, &st->slot[next]) : 0;
        pthread_mutex_lock(&st->mu);
        if (rc < 0)
            st->werr = rc;
        st->full[next] = 0;
        pthread_cond_broadcast(&st->cv);
        pthread_mutex_unlock(&st->mu);
        next ^= 1;
    }
}

/* Copy the needed cells of a chunk into b. */
static int fill_batch(batch *b, const synth_csv_chunk *ch, const size_t *cols, size_t ncols)
{
    size_t need = 0;
    for (size_t c = 0; c < ncols; c++)
        for (size_t r = 0; r < ch->nrows; r++)
            need += 4 + (size_t)ch->len[cols[c] * ch->cap_rows + r];
    if (need > b->cap) {
        size_t ncap = b->cap ? b->cap : 1 << 16;
        while (ncap < need)
            ncap *= 2;
        char *nb = synth_realloc(b->buf, ncap);
        if (nb == NULL)
            return SYNTH_NOMEM;
        b->buf = nb;
        b->cap = ncap;
    }
    char *p = b->buf;
    for (size_t r = 0; r < ch->nrows; r++) {
        for (size_t c = 0; c < ncols; c++) {
            size_t i = cols[c] * ch->cap_rows + r;
            uint32_t n = ch->len[i];
            memcpy(p, &n, 4);
            memcpy(p + 4, ch->data + ch->off[i], n);
            p += 4 + (size_t)n;
        }
    }
    b->len = need;
    b->nrows = ch->nrows;
    return 0;
}

/* ---- evaluation helpers ------------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_u64_desc(const void *a, const void *b)
{
    return cmp_u64(b, a);
}

typedef struct numkey {
    double v;
    uint32_t id;
    int empty;
} numkey;

static int cmp_numkey(const void *a, const void *b)
{
    const numkey *x = a, *y = b;
    if (x->empty != y->empty)
        return x->empty ? -1 : 1;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

typedef struct vc {
    uint32_t v;      /* value id, or rank when ordered */
    uint64_t count;
} vc;

static int cmp_vc_v(const void *a, const void *b)
{
    const vc *x = a, *y = b;
    return (x->v > y->v) - (x->v < y->v);
}



/* Per-sensitive-column results. */
typedef struct sens_result {
    uint64_t distinct_l;
    double min_entropy;
    double t;
    int ordered;
    int recursive_ok;    /* for the required (c, l) */
    double c_needed;     /* max over classes of r1 / (r_l + ... + r_m); INFINITY when some class has < l */
    size_t distinct_values;
} sens_result;

static int eval_sensitive(const state *st, size_t s, double l, double c, sens_result *res)
{
    const strtab *vals = &st->values[s];
    const pairtab *pt = &st->pairs[s];
    size_t nclass = st->classes.n, m = vals->n;
    int rc = SYNTH_NOMEM;
    size_t *start = synth_calloc(nclass + 1, sizeof *start);
    vc *grp = synth_calloc(pt->n ? pt->n : 1, sizeof *grp);
    uint32_t *rank = synth_calloc(m ? m : 1, sizeof *rank);
    numkey *keys = synth_calloc(m ? m : 1, sizeof *keys);
    double *q = synth_calloc(m ? m : 1, sizeof *q);
    double *Q = synth_calloc(m ? m : 1, sizeof *Q);
    double *SQ = synth_calloc(m + 1, sizeof *SQ);
    uint64_t *counts = synth_calloc(m ? m : 1, sizeof *counts);
    if (start == NULL || grp == NULL || rank == NULL || keys == NULL || q == NULL || Q == NULL || SQ == NULL ||
        counts == NULL)
        goto out;

    /* numeric?  every non-empty value parses */
    int ordered = 1, any = 0;
    for (size_t i = 0; i < m; i++) {
        const strent *e = &vals->ents[i];
        keys[i].id = (uint32_t)i;
        keys[i].empty = e->len == 0;
        keys[i].v = 0.0;
        if (e->len == 0)
            continue;
        any = 1;
        if (!synth__emd_parse_number(vals->arena + e->off, e->len, &keys[i].v))
            ordered = 0;
    }
    if (!any)
        ordered = 0;
    size_t mr = m; /* number of distinct ranks (equal numbers written differently share one) */
    if (ordered) {
        qsort(keys, m, sizeof *keys, cmp_numkey);
        mr = 0;
        for (size_t i = 0; i < m; i++) {
            if (i > 0 && (keys[i].empty != keys[i - 1].empty || keys[i].v != keys[i - 1].v))
                mr++;
            rank[keys[i].id] = (uint32_t)mr;
        }
        mr = m ? mr + 1 : 0;
    } else {
        for (size_t i = 0; i < m; i++)
            rank[i] = (uint32_t)i;
    }
    /* whole-table distribution, in rank order */
    double rows = (double)st->rows;
    for (size_t i = 0; i < m; i++)
        q[rank[i]] += (double)vals->ents[i].count / rows;
    double acc = 0.0;
    for (size_t i = 0; i < mr; i++) {
        acc += q[i];
        Q[i] = acc;
        SQ[i + 1] = SQ[i] + Q[i];
    }

    /* group the pairs by class (counting sort) */
    for (size_t i = 0; i <= pt->mask; i++)
        if (pt->slots[i].count != 0)
            start[(size_t)(pt->slots[i].key >> 32) + 1]++;
    for (size_t k = 0; k < nclass; k++)
        start[k + 1] += start[k];
    size_t *fillp = synth_calloc(nclass ? nclass : 1, sizeof *fillp);
    if (fillp == NULL)
        goto out;
    memcpy(fillp, start, nclass * sizeof *fillp);
    for (size_t i = 0; i <= pt->mask; i++) {
        const pair *pp = &pt->slots[i];
        if (pp->count == 0)
            continue;
        size_t k = (size_t)(pp->key >> 32);
        grp[fillp[k]++] = (vc){ .v = rank[(uint32_t)pp->key], .count = pp->count };
    }
    synth_free(fillp);

    uint64_t lmin = UINT64_MAX;
    size_t lint = l > 0 ? (size_t)ceil(l) : 0;
    double hmin = INFINITY, tmax = 0.0, cneed = 0.0;
    int rec_ok = 1;
    for (size_t k = 0; k < nclass; k++) {
        vc *g = grp + start[k];
        size_t n = start[k + 1] - start[k];
        double size = (double)st->classes.ents[k].count;
        if ((uint64_t)n < lmin)
            lmin = n;
        double h = 0.0;
        for (size_t i = 0; i < n; i++) {
            double p = (double)g[i].count / size;
            h -= p * log(p);
        }
        if (h < hmin)
            hmin = h;
        if (lint > 0) {
            for (size_t i = 0; i < n; i++)
                counts[i] = g[i].count;
            qsort(counts, n, sizeof *counts, cmp_u64_desc);
            uint64_t tail = 0;
            for (size_t i = lint - 1; i < n; i++)
                tail += counts[i];
            double ratio = (n < lint || tail == 0) ? INFINITY : (double)counts[0] / (double)tail;
            if (ratio > cneed)
                cneed = ratio;
            if (c > 0 && !(n >= lint && (double)counts[0] < c * (double)tail))
                rec_ok = 0;
        }
        /* EMD against the whole table */
        double emd = 0.0;
        if (mr > 1) {
            if (ordered) {
                /* several value ids may share a rank: sort, then merge equal ranks implicitly (a
                 * zero-length segment adds nothing) */
                qsort(g, n, sizeof *g, cmp_vc_v);
                size_t last = mr - 2; /* cumulative differences at positions 0 .. mr-2 */
                double sum = 0.0, P = 0.0;
                size_t a = 0;
                for (size_t i = 0; i < n; i++) {
                    size_t r = g[i].v;
                    if (r > a && a <= last)
                        sum += synth__emd_seg_abs(Q, SQ, a, r - 1 < last ? r - 1 : last, P);
                    P += (double)g[i].count / size;
                    a = r;
                }
                if (a <= last)
                    sum += synth__emd_seg_abs(Q, SQ, a, last, P);
                emd = sum / (double)(mr - 1);
            } else {
                double sum = 0.0, qs = 0.0;
                for (size_t i = 0; i < n; i++) {
                    double p = (double)g[i].count / size;
                    sum += fabs(p - q[g[i].v]);
                    qs += q[g[i].v];
                }
                sum += 1.0 - qs;
                emd = sum / 2.0;
                if (emd < 0)
                    emd = 0;
            }
        }
        if (emd > tmax)
            tmax = emd;
    }
    res->distinct_l = nclass ? lmin : 0;
    res->min_entropy = nclass ? hmin : 0.0;
    res->t = tmax;
    res->ordered = ordered;
    res->recursive_ok = rec_ok;
    res->c_needed = cneed;
    res->distinct_values = m;
    rc = 0;
out:
    synth_free(start);
    synth_free(grp);
    synth_free(rank);
    synth_free(keys);
    synth_free(q);
    synth_free(Q);
    synth_free(SQ);
    synth_free(counts);
    return rc;
}

/* ---- report ------------------------------------------------------------------------------------- */

static int jset(json_t *o, const char *key, json_t *v)
{
    return v == NULL ? -1 : json_object_set_new(o, key, v);
}

static int add_req(json_t *reqs, const char *model, const char *column, json_t *required, json_t *achieved,
                   int ok)
{
    json_t *r = json_object();
    if (r == NULL) {
        json_decref(required);
        json_decref(achieved);
        return -1;
    }
    int bad = jset(r, "model", json_string(model));
    if (column != NULL)
        bad |= jset(r, "column", json_string(column));
    bad |= jset(r, "required", required);
    bad |= jset(r, "achieved", achieved);
    bad |= jset(r, "passed", json_boolean(ok));
    if (json_array_append_new(reqs, r) != 0)
        bad = -1;
    return bad ? -1 : 0;
}

static json_t *jreal(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* ---- entry point -------------------------------------------------------------------------------- */

static int find_col(synth_csv_reader *rd, const char *name, size_t *col)
{
    size_t n = synth_csv_reader_ncols(rd);
    for (size_t i = 0; i < n; i++)
        if (strcmp(synth_csv_reader_column_name(rd, i), name) == 0) {
            *col = i;
            return 1;
        }
    return 0;
}

static int unknown_col(synth_csv_reader *rd, const char *what, const char *name, synth_err *err)
{
    char list[SYNTH_ERR_MSG_MAX];
    size_t used = 0, n = synth_csv_reader_ncols(rd);
    list[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", synth_csv_reader_column_name(rd, i));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used >= sizeof list)
        used = sizeof list - 1;
    return synth_err_set(err, SYNTH_USAGE, "%s: no %scolumn '%s' (columns: %s)", synth_csv_reader_path(rd), what,
                         name, list);
}

static void tables_free(state *st)
{
    strtab_free(&st->classes);
    if (st->values != NULL)
        for (size_t s = 0; s < st->nsens; s++)
            strtab_free(&st->values[s]);
    if (st->pairs != NULL)
        for (size_t s = 0; s < st->nsens; s++)
            synth_free(st->pairs[s].slots);
    synth_free(st->values);
    synth_free(st->pairs);
    st->values = NULL;
    st->pairs = NULL;
    st->rows = 0;
}

static int tables_init(state *st)
{
    st->values = synth_calloc(st->nsens ? st->nsens : 1, sizeof *st->values);
    st->pairs = synth_calloc(st->nsens ? st->nsens : 1, sizeof *st->pairs);
    if (st->values == NULL || st->pairs == NULL || strtab_init(&st->classes, 1024) < 0)
        return SYNTH_NOMEM;
    for (size_t s = 0; s < st->nsens; s++)
        if (strtab_init(&st->values[s], 64) < 0 || pairtab_init(&st->pairs[s], 1024) < 0)
            return SYNTH_NOMEM;
    return 0;
}

/* ---- the pipeline: the caller fills batches, the worker (or, without a thread, the caller) consumes */

typedef struct pipeline {
    state *st;
    pthread_t th;
    int threaded, cur;
} pipeline;

static void pipe_start(pipeline *pl, state *st)
{
    pl->st = st;
    pl->cur = 0;
    st->done = 0;
    st->werr = 0;
    st->full[0] = st->full[1] = 0;
    pl->threaded = pthread_create(&pl->th, NULL, worker_main, st) == 0;
}

/* The batch to fill next, or NULL when the worker has failed. */
static batch *pipe_acquire(pipeline *pl)
{
    state *st = pl->st;
    if (!pl->threaded)
        return st->werr < 0 ? NULL : &st->slot[pl->cur];
    pthread_mutex_lock(&st->mu);
    while (st->full[pl->cur] && st->werr == 0)
        pthread_cond_wait(&st->cv, &st->mu);
    int werr = st->werr;
    pthread_mutex_unlock(&st->mu);
    return werr < 0 ? NULL : &st->slot[pl->cur];
}

static void pipe_submit(pipeline *pl)
{
    state *st = pl->st;
    st->rows += st->slot[pl->cur].nrows;
    if (!pl->threaded) {
        int rc = process_batch(st, &st->slot[pl->cur]);
        if (rc < 0)
            st->werr = rc;
        return;
    }
    pthread_mutex_lock(&st->mu);
    st->full[pl->cur] = 1;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    pl->cur ^= 1;
}

/* Wait for the worker to finish; returns its error (0 or SYNTH_NOMEM). */
static int pipe_stop(pipeline *pl)
{
    state *st = pl->st;
    if (pl->threaded) {
        pthread_mutex_lock(&st->mu);
        st->done = 1;
        pthread_cond_broadcast(&st->cv);
        pthread_mutex_unlock(&st->mu);
        pthread_join(pl->th, NULL);
        pl->threaded = 0;
    }
    return st->werr;
}

/* ---- producer 1: synth_csv_reader ------------------------------------------------------------- */

static int reader_pass(synth_csv_reader *rd, pipeline *pl, const size_t *cols, size_t ncols, synth_progress *prog,
                       synth_err *err)
{
    for (;;) {
        const synth_csv_chunk *ch = NULL;
        int r = synth_csv_reader_next(rd, &ch, err);
        if (r <= 0)
            return r;
        if (synth_signals_interrupted())
            return synth_err_set(err, SYNTH_INTERRUPTED, "%s: interrupted", synth_csv_reader_path(rd));
        batch *b = pipe_acquire(pl);
        if (b == NULL)
            return SYNTH_NOMEM;
        if (fill_batch(b, ch, cols, ncols) < 0)
            return SYNTH_NOMEM;
        pipe_submit(pl);
        synth_progress_update(prog, pl->st->rows);
    }
}

/* ---- producer 2: a fast scanner for plain files ----------------------------------------------------
 * libcsv hands over every byte through a callback and the reader copies every field; on a big file
 * that is most of the time.  For a regular file this scanner reads the records itself and copies
 * only the needed cells.  It accepts only the strict subset of src/csv_fast.h (plus: no empty line
 * before the header, no record over the largest valid one) and answers FALLBACK on anything else,
 * after which the caller starts over with the reader, which then reports the exact error (or
 * handles the CR line ends).  On the accepted subset both read the same rows and cells. */

#define FAST_FALLBACK 1 /* fast_pass: leave the file to the reader */
#define FAST_BLOCK ((size_t)4 << 20)

static int batch_put(batch *b, const unsigned char *base, const synth_csv_fast_cell *cells, size_t n)
{
    size_t need = 0;
    for (size_t i = 0; i < n; i++)
        need += 4 + (cells[i].len & SYNTH_CSV_FAST_LEN);
    if (b->cap - b->len < need) {
        size_t ncap = b->cap ? b->cap : 1 << 20;
        while (ncap - b->len < need)
            ncap *= 2;
        char *nb = synth_realloc(b->buf, ncap);
        if (nb == NULL)
            return SYNTH_NOMEM;
        b->buf = nb;
        b->cap = ncap;
    }
    char *o = b->buf + b->len;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *cs = base + cells[i].off;
        size_t clen = cells[i].len & SYNTH_CSV_FAST_LEN;
        uint32_t len;
        if (!(cells[i].len & SYNTH_CSV_FAST_ESC)) {
            len = (uint32_t)clen;
            memcpy(o + 4, cs, clen);
        } else {
            len = 0;
            for (size_t j = 0; j < clen; j++) {
                o[4 + len++] = (char)cs[j];
                if (cs[j] == '"')
                    j++; /* the doubled quote */
            }
        }
        memcpy(o, &len, 4);
        o += 4 + (size_t)len;
    }
    b->len = (size_t)(o - b->buf);
    b->nrows++;
    return 0;
}

/* Returns 0, FAST_FALLBACK (nothing reported yet; the caller resets and uses the reader),
 * SYNTH_NOMEM, SYNTH_IO or SYNTH_INTERRUPTED (err set). */
static int fast_pass(const char *path, const synth_csv_options *opt, size_t ncols_file, const size_t *cols,
                     size_t ncols, pipeline *pl, synth_progress *prog, synth_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return FAST_FALLBACK;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return FAST_FALLBACK;
    }
    int rc = SYNTH_NOMEM;
    int *slot = synth_calloc(ncols_file, sizeof *slot);
    synth_csv_fast_cell *cells = synth_calloc(ncols_file, sizeof *cells); /* >= ncols */
    /* the longest valid record (every field quoted, every byte a doubled quote), capped so that the
     * buffer stays below SYNTH_CSV_FAST_MAX_BUF (a longer record goes to the reader) */
    size_t cap = FAST_BLOCK, limit = SYNTH_CSV_FAST_MAX_BUF;
    if (opt->max_field_bytes < SYNTH_CSV_FAST_MAX_BUF &&
        ncols_file < (SYNTH_CSV_FAST_MAX_BUF - FAST_BLOCK) / (opt->max_field_bytes * 2 + 3))
        limit = ncols_file * (opt->max_field_bytes * 2 + 3) + FAST_BLOCK;
    unsigned char *buf = synth_malloc(cap);
    if (slot == NULL || cells == NULL || buf == NULL)
        goto out;
    for (size_t i = 0; i < ncols_file; i++)
        slot[i] = -1;
    for (size_t i = 0; i < ncols; i++)
        slot[cols[i]] = (int)i;
    synth_csv_fast fc;
    synth_csv_fast_init(&fc, opt->delimiter, ncols_file, opt->max_field_bytes, slot);

    size_t have = 0, pos = 0;
    int eof = 0, header = 1, bom_done = 0;
    uint64_t chunk_rows = opt->chunk_rows ? opt->chunk_rows : 65536;
    batch *b = pipe_acquire(pl);
    if (b == NULL)
        goto out;
    b->len = 0;
    b->nrows = 0;
    for (;;) {
        if (!eof && have - pos < 4096) {
            /* compact and read more (a record is never split across this: FAST_MORE below) */
            memmove(buf, buf + pos, have - pos);
            have -= pos;
            pos = 0;
            ssize_t n = read(fd, buf + have, cap - have);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                rc = FAST_FALLBACK; /* let the reader report the I/O error */
                goto out;
            }
            if (n == 0)
                eof = 1;
            have += (size_t)n;
            if (!bom_done && (have >= 3 || eof)) {
                bom_done = 1;
                if (have >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
                    pos = 3;
            }
            continue;
        }
        if (pos == have && eof)
            break;
        const unsigned char *next = NULL;
        int r = synth_csv_fast_record(&fc, buf, buf + pos, buf + have, eof, &next, cells);
        if (r == SYNTH_CSV_FAST_MORE) {
            /* the record runs past the buffered bytes: move it to the front, grow if it fills the
             * whole buffer, read more */
            memmove(buf, buf + pos, have - pos);
            have -= pos;
            pos = 0;
            if (have == cap) {
                if (cap >= limit) {
                    rc = FAST_FALLBACK;
                    goto out;
                }
                unsigned char *nb = synth_realloc(buf, cap * 2);
                if (nb == NULL)
                    goto out;
                buf = nb;
                cap *= 2;
            }
            ssize_t n;
            do
                n = read(fd, buf + have, cap - have);
            while (n < 0 && errno == EINTR);
            if (n < 0) {
                rc = FAST_FALLBACK;
                goto out;
            }
            if (n == 0)
                eof = 1;
            have += (size_t)n;
            continue;
        }
        if (r == SYNTH_CSV_FAST_FALLBACK) {
            rc = FAST_FALLBACK;
            goto out;
        }
        if (r == SYNTH_CSV_FAST_EMPTY && header) {
            rc = FAST_FALLBACK; /* an empty line before the header: leave it to the reader */
            goto out;
        }
        pos = (size_t)(next - buf);
        if (r == SYNTH_CSV_FAST_EMPTY)
            continue;
        if (header) {
            header = 0;
            continue;
        }
        if (batch_put(b, buf, cells, ncols) < 0)
            goto out;
        if (b->nrows >= chunk_rows) {
            pipe_submit(pl);
            synth_progress_update(prog, pl->st->rows);
            if (synth_signals_interrupted()) {
                rc = synth_err_set(err, SYNTH_INTERRUPTED, "%s: interrupted", path);
                goto out;
            }
            b = pipe_acquire(pl);
            if (b == NULL)
                goto out;
            b->len = 0;
            b->nrows = 0;
        }
    }
    if (header) {
        rc = FAST_FALLBACK; /* no header: the reader reports the empty file */
        goto out;
    }
    if (b->nrows > 0)
        pipe_submit(pl);
    rc = 0;
out:
    if (rc == SYNTH_NOMEM)
        synth_err_set(err, SYNTH_NOMEM, "%s: out of memory while checking privacy", path);
    close(fd);
    synth_free(slot);
    synth_free(cells);
    synth_free(buf);
    return rc;
}

/* ---- entry point ---------------------------------------------------------------------------------- */

static int build_report(const state *st, const synth_privacy_spec *spec, const char *path,
                        const sens_result *sr, json_t **report, int *passed);

int synth_privacy_check_csv(const char *path, const synth_privacy_spec *spec, const synth_csv_options *csv,
                            synth_progress_mode progress, json_t **report, int *passed, synth_err *err)
{
    synth_err_clear(err);
    *report = NULL;
    *passed = 0;
    if (spec == NULL || spec->nqi == 0)
        return synth_err_set(err, SYNTH_USAGE, "%s: privacy check needs at least one quasi-identifier column",
                             path);
    if (spec->nsensitive == 0 && (spec->l > 0 || spec->c > 0 || spec->t >= 0))
        return synth_err_set(err, SYNTH_USAGE, "%s: l-diversity and t-closeness need a sensitive column", path);
    if (spec->c > 0 && !(spec->l > 0))
        return synth_err_set(err, SYNTH_USAGE, "%s: recursive (c,l)-diversity needs l", path);
    if (spec->l < 0 || isnan(spec->l) || spec->c < 0 || isnan(spec->c) || isnan(spec->t))
        return synth_err_set(err, SYNTH_USAGE, "%s: l and c must be non-negative numbers", path);

    synth_csv_options opt;
    if (csv != NULL)
        opt = *csv;
    else
        synth_csv_options_init(&opt);
    synth_csv_reader *rd = NULL;
    int rc = synth_csv_reader_open(&rd, path, &opt, err);
    if (rc < 0)
        return rc;

    size_t ncols = spec->nqi + spec->nsensitive;
    size_t *cols = synth_calloc(ncols, sizeof *cols);
    sens_result *sr = synth_calloc(spec->nsensitive ? spec->nsensitive : 1, sizeof *sr);
    state st;
    memset(&st, 0, sizeof st);
    st.nqi = spec->nqi;
    st.nsens = spec->nsensitive;
    synth_progress *prog = NULL;
    int sync_ready = 0;
    if (cols == NULL || sr == NULL)
        goto nomem;
    for (size_t i = 0; i < ncols; i++) {
        const char *name = i < spec->nqi ? spec->qi[i] : spec->sensitive[i - spec->nqi];
        if (name == NULL || !find_col(rd, name, &cols[i])) {
            rc = unknown_col(rd, i < spec->nqi ? "" : "sensitive ", name ? name : "(null)", err);
            goto done;
        }
        for (size_t j = 0; j < i; j++)
            if (cols[j] == cols[i]) {
                rc = synth_err_set(err, SYNTH_USAGE, "%s: column '%s' listed twice", path, name);
                goto done;
            }
    }
    if (tables_init(&st) < 0)
        goto nomem;
    if (pthread_mutex_init(&st.mu, NULL) != 0)
        goto nomem;
    if (pthread_cond_init(&st.cv, NULL) != 0) {
        pthread_mutex_destroy(&st.mu);
        goto nomem;
    }
    sync_ready = 1;
    prog = synth_progress_new("checking", "rows", 0, progress, stderr);

    pipeline pl;
    rc = FAST_FALLBACK;
    unsigned char dl = (unsigned char)opt.delimiter;
    if (!force_reader && strcmp(path, "-") != 0 && !opt.skip_bad_rows && dl != '"' && dl != '\n' && dl != '\r' &&
        dl != '\0' && dl < 0x80) {
        pipe_start(&pl, &st);
        rc = fast_pass(path, &opt, synth_csv_reader_ncols(rd), cols, ncols, &pl, prog, err);
        int werr = pipe_stop(&pl);
        if (rc == FAST_FALLBACK && werr == 0) {
            tables_free(&st);
            if (tables_init(&st) < 0)
                goto nomem;
        } else if (rc == 0 && werr < 0) {
            rc = werr;
        }
    }
    if (rc == FAST_FALLBACK) {
        pipe_start(&pl, &st);
        rc = reader_pass(rd, &pl, cols, ncols, prog, err);
        int werr = pipe_stop(&pl);
        if (rc == 0 && werr < 0)
            rc = werr;
    }
    synth_progress_finish(prog);
    if (rc == SYNTH_NOMEM)
        goto nomem;
    if (rc < 0)
        goto done;
    if (st.rows == 0) {
        rc = synth_err_set(err, SYNTH_BAD_INPUT, "%s: no data rows to check", path);
        goto done;
    }
    for (size_t s = 0; s < st.nsens; s++)
        if (eval_sensitive(&st, s, spec->l, spec->c, &sr[s]) < 0)
            goto nomem;
    if (build_report(&st, spec, path, sr, report, passed) < 0)
        goto nomem;
    rc = 0;
    goto done;
nomem:
    rc = synth_err_set(err, SYNTH_NOMEM, "%s: out of memory while checking privacy", path);
done:
    if (sync_ready) {
        pthread_cond_destroy(&st.cv);
        pthread_mutex_destroy(&st.mu);
    }
    tables_free(&st);
    synth_free(st.slot[0].buf);
    synth_free(st.slot[1].buf);
    synth_free(cols);
    synth_free(sr);
    synth_csv_reader_free(rd);
    return rc;
}

static int build_report(const state *st, const synth_privacy_spec *spec, const char *path,
                        const sens_result *sr, json_t **report, int *passed)
{
    size_t nclass = st->classes.n;
    uint64_t *sizes = synth_calloc(nclass, sizeof *sizes);
    if (sizes == NULL)
        return -1;
    for (size_t k = 0; k < nclass; k++)
        sizes[k] = st->classes.ents[k].count;
    qsort(sizes, nclass, sizeof *sizes, cmp_u64);
    uint64_t kmin = sizes[0], kmax = sizes[nclass - 1];
    double median = nclass % 2 ? (double)sizes[nclass / 2]
                               : ((double)sizes[nclass / 2 - 1] + (double)sizes[nclass / 2]) / 2.0;
    uint64_t rows_below = 0, classes_below = 0, rows_risk = 0;
    for (size_t k = 0; k < nclass; k++) {
        if (sizes[k] < spec->k) {
            rows_below += sizes[k];
            classes_below++;
        }
        if (1.0 / (double)sizes[k] > spec->risk_threshold)
            rows_risk += sizes[k];
    }
    synth_free(sizes);
    double rows = (double)st->rows;
    int all_ok = 1, bad = 0;

    json_t *rep = json_object(), *qi = json_array(), *cs = json_object(), *risk = json_object(),
           *sens = json_object(), *reqs = json_array();
    if (rep == NULL || qi == NULL || cs == NULL || risk == NULL || sens == NULL || reqs == NULL) {
        json_decref(rep);
        json_decref(qi);
        json_decref(cs);
        json_decref(risk);
        json_decref(sens);
        json_decref(reqs);
        return -1;
    }
    bad |= jset(rep, "file", json_string(path));
    bad |= jset(rep, "rows", json_integer((json_int_t)st->rows));
    bad |= jset(rep, "classes", json_integer((json_int_t)nclass));
    for (size_t i = 0; i < spec->nqi; i++)
        bad |= json_array_append_new(qi, json_string(spec->qi[i]));
    bad |= jset(rep, "quasi_identifiers", qi);
    bad |= jset(cs, "min", json_integer((json_int_t)kmin));
    bad |= jset(cs, "median", json_real(median));
    bad |= jset(cs, "mean", json_real(rows / (double)nclass));
    bad |= jset(cs, "max", json_integer((json_int_t)kmax));
    bad |= jset(rep, "class_size", cs);
    bad |= jset(rep, "k", json_integer((json_int_t)kmin));
    bad |= jset(rep, "k_required", spec->k > 0 ? json_integer((json_int_t)spec->k) : json_null());
    bad |= jset(rep, "rows_below_k", json_integer((json_int_t)rows_below));
    bad |= jset(rep, "classes_below_k", json_integer((json_int_t)classes_below));
    bad |= jset(risk, "highest", json_real(1.0 / (double)kmin));
    bad |= jset(risk, "average", json_real((double)nclass / rows));
    bad |= jset(risk, "rows_at_risk", json_real((double)rows_risk / rows));
    bad |= jset(risk, "threshold", json_real(spec->risk_threshold));
    bad |= jset(rep, "risk", risk);
    if (spec->k > 0) {
        int ok = kmin >= spec->k;
        all_ok &= ok;
        bad |= add_req(reqs, "k-anonymity", NULL, json_integer((json_int_t)spec->k), json_integer((json_int_t)kmin),
                       ok);
    }
    const double eps = 1e-9;
    for (size_t s = 0; s < st->nsens; s++) {
        const sens_result *r = &sr[s];
        const char *name = spec->sensitive[s];
        json_t *o = json_object(), *rec = json_object();
        if (o == NULL || rec == NULL) {
            json_decref(o);
            json_decref(rec);
            bad = -1;
            break;
        }
        bad |= jset(o, "distinct_values", json_integer((json_int_t)r->distinct_values));
        bad |= jset(o, "distinct_l", json_integer((json_int_t)r->distinct_l));
        bad |= jset(o, "entropy", json_real(r->min_entropy));
        bad |= jset(o, "entropy_l", json_real(exp(r->min_entropy)));
        int rec_req = spec->c > 0 && spec->l > 0;
        bad |= jset(rec, "c", spec->c > 0 ? json_real(spec->c) : json_null());
        bad |= jset(rec, "l", spec->l > 0 ? json_real(spec->l) : json_null());
        bad |= jset(rec, "c_needed", spec->l > 0 ? jreal(r->c_needed) : json_null());
        bad |= jset(rec, "satisfied", rec_req ? json_boolean(r->recursive_ok) : json_null());
        bad |= jset(o, "recursive_cl", rec);
        bad |= jset(o, "t", json_real(r->t));
        bad |= jset(o, "ordered", json_boolean(r->ordered));
        bad |= jset(sens, name, o);
        if (spec->l > 0) {
            int ok = (double)r->distinct_l >= spec->l;
            all_ok &= ok;
            bad |= add_req(reqs, "distinct-l-diversity", name, json_real(spec->l),
                           json_integer((json_int_t)r->distinct_l), ok);
            ok = r->min_entropy >= log(spec->l) - eps;
            all_ok &= ok;
            bad |= add_req(reqs, "entropy-l-diversity", name, json_real(spec->l), json_real(exp(r->min_entropy)), ok);
        }
        if (rec_req) {
            all_ok &= r->recursive_ok;
            bad |= add_req(reqs, "recursive-cl-diversity", name, json_real(spec->c), jreal(r->c_needed),
                           r->recursive_ok);
        }
        if (spec->t >= 0) {
            int ok = r->t <= spec->t + eps;
            all_ok &= ok;
            bad |= add_req(reqs, "t-closeness", name, json_real(spec->t), json_real(r->t), ok);
        }
    }
    bad |= jset(rep, "sensitive", sens);
    bad |= jset(rep, "requirements", reqs);
    bad |= jset(rep, "passed", json_boolean(all_ok));
    if (bad) {
        json_decref(rep);
        return -1;
    }
    *report = rep;
    *passed = all_ok;
    return 0;
}
