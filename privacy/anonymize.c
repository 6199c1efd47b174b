/* anonymize.c -- k-anonymity, l-diversity and t-closeness by full-domain generalization plus
 * suppression.
 *
 * Search: a full-domain lattice search in the style of ARX / Incognito.  A node is a vector of
 * generalization levels, one per quasi-identifier (QI); every value of a QI is generalized to
 * the same level of its hierarchy (hierarchy.c).  Nodes are visited bottom-up by level sum
 * (ties by index, so the result is deterministic).  A node is evaluated by grouping rows into
 * equivalence classes; classes smaller than k, or failing l-diversity or t-closeness, are
 * suppressed, and the node is a solution when the suppressed rows are at most
 * max_suppression * rows.  Privacy is monotone under generalization (merging classes keeps k,
 * distinct l, entropy l and recursive (c,l); the EMD of a merged class is at most the larger of
 * the parts' EMDs, since EMD is convex in the class distribution), so every generalization of a
 * solution is treated as a solution too: such nodes are pruned without evaluation, and only the
 * minimal solutions are compared.  Caveat for t: monotonicity holds exactly for the unsuppressed
 * table; once classes are suppressed the reference distribution changes (see below) and a
 * generalization of a solution may need a different amount of suppression, so with t the pruning
 * is a heuristic -- the chosen node is always evaluated and its output always satisfies every
 * model, but a lower-loss node above a pruned one may be missed.  Among them the one with the lowest
 * normalized certainty penalty wins (ties: discernibility, then level sum, then index).
 * Why the lattice and not Mondrian: it uses the user's hierarchies (Mondrian cannot), every
 * column is recoded consistently (one level per column, which is easy to explain and to check),
 * and it is deterministic; Mondrian would give lower loss on numeric data.
 * Models enforced: k-anonymity, distinct and entropy l-diversity, recursive (c,l)-diversity,
 * t-closeness (Li et al. 2007) per sensitive column with the Earth Mover's Distance of check.h:
 * ordered distance when every non-empty value of the column parses fully as a number (strtod;
 * equal numbers written differently are one value, the empty value sorts first), i.e.
 * EMD = 1/(m-1) sum_i |sum_{j<=i} (p_j - q_j)| over the m sorted distinct values (0 when m = 1),
 * otherwise equal distance, EMD = 1/2 sum |p_i - q_i|.  A class passes when its EMD against the
 * input table's distribution is at most t.  Because the published table is the output, and
 * synth_privacy_check_csv measures EMD against the output's own distribution (values, m and the
 * numeric test taken over the kept rows), a node that suppresses rows then re-checks the kept
 * classes against the kept rows' distribution, suppressing failures until nothing changes (a
 * fixpoint; the suppressed set only grows).  Without suppression both references coincide.
 * The table distribution, value ranks and prefix sums are precomputed per sensitive column;
 * a node costs one sort of (class, rank) pairs per column and O(log m) per (class, value).
 * Loss: NCP = mean over all QI cells of the cell's penalty (hierarchy.h; a suppressed row costs
 * 1 per QI cell); discernibility = sum over kept classes of |class|^2 + suppressed * rows.
 * Memory: the whole input is held in memory (the search evaluates many nodes over every row):
 * the cell bytes plus about 16 bytes per cell and 40 bytes per row per QI; the lattice is capped
 * at 1,000,000 nodes.  Output goes through synth_output (temporary file, renamed when complete)
 * and is then checked with synth_privacy_check_csv; the report carries that check.
 * The caller owns the report.  No global state: thread-safe between independent calls. */
#include "anonymize.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "emd.h"
#include "hash.h"
#include "hierarchy.h"
#include "output.h"
#include "signals.h"

#define MAX_NODES 1000000u

void synth_anonymize_request_init(synth_anonymize_request *req)
{
    memset(req, 0, sizeof *req);
    synth_privacy_spec_init(&req->spec);
    synth_csv_options_init(&req->csv);
    req->max_suppression = 0.0;
    req->progress = SYNTH_PROGRESS_NEVER;
}

/* ---- the table in memory -------------------------------------------------------------------- */

typedef struct table {
    size_t ncols, nrows, rcap;
    char **names;
    char *buf;
    size_t blen, bcap;
    size_t *off;   /* [r * ncols + c] */
    uint32_t *len;
} table;

static void table_free(table *t)
{
    if (t->names != NULL)
        for (size_t c = 0; c < t->ncols; c++)
            synth_free(t->names[c]);
    synth_free(t->names);
    synth_free(t->buf);
    synth_free(t->off);
    synth_free(t->len);
}

static int table_load(table *t, const char *path, const synth_csv_options *opt, synth_err *err)
{
    synth_csv_reader *rd = NULL;
    int rc = synth_csv_reader_open(&rd, path, opt, err);
    if (rc != 0)
        return rc;
    t->ncols = synth_csv_reader_ncols(rd);
    t->names = synth_calloc(t->ncols, sizeof *t->names);
    if (t->names == NULL)
        goto nomem;
    for (size_t c = 0; c < t->ncols; c++)
        if ((t->names[c] = synth_strdup(synth_csv_reader_column_name(rd, c))) == NULL)
            goto nomem;
    const synth_csv_chunk *ch;
    while ((rc = synth_csv_reader_next(rd, &ch, err)) > 0) {
        for (size_t r = 0; r < ch->nrows; r++) {
            if (t->nrows == t->rcap) {
                size_t cap = t->rcap ? 2 * t->rcap : 1024;
                size_t *o = synth_reallocarray(t->off, cap, t->ncols * sizeof *o);
                if (o == NULL)
                    goto nomem;
                t->off = o;
                uint32_t *l = synth_reallocarray(t->len, cap, t->ncols * sizeof *l);
                if (l == NULL)
                    goto nomem;
                t->len = l;
                t->rcap = cap;
            }
            for (size_t c = 0; c < t->ncols; c++) {
                size_t n;
                const char *s = synth_csv_cell(ch, r, c, &n);
                if (t->bcap - t->blen < n + 1) {
                    size_t cap = t->bcap ? t->bcap : 1 << 16;
                    while (cap - t->blen < n + 1)
                        cap *= 2;
                    char *b = synth_realloc(t->buf, cap);
                    if (b == NULL)
                        goto nomem;
                    t->buf = b;
                    t->bcap = cap;
                }
                memcpy(t->buf + t->blen, s, n);
                t->buf[t->blen + n] = '\0';
                t->off[t->nrows * t->ncols + c] = t->blen;
                t->len[t->nrows * t->ncols + c] = (uint32_t)n;
                t->blen += n + 1;
            }
            t->nrows++;
        }
    }
    synth_csv_reader_free(rd);
    return rc;
nomem:
    synth_csv_reader_free(rd);
    return synth_err_set(err, SYNTH_NOMEM, "%s: out of memory while loading the table", path);
}

static const char *cell(const table *t, size_t r, size_t c, uint32_t *len)
{
    *len = t->len[r * t->ncols + c];
    return t->buf + t->off[r * t->ncols + c];
}

/* ---- per-column dictionaries ---------------------------------------------------------------- */

typedef struct dict {
    uint32_t *vid;          /* per row */
    const char **values;    /* distinct texts (point into the table) */
    uint32_t *lens;
    size_t n;
} dict;

static void dict_free(dict *d)
{
    synth_free(d->vid);
    synth_free(d->values);
    synth_free(d->lens);
}

static int dict_build(const table *t, size_t col, dict *d)
{
    size_t cap = 16;
    while (cap < 2 * t->nrows + 2)
        cap *= 2;
    size_t nr = t->nrows ? t->nrows : 1;
    uint32_t *slots = synth_calloc(cap, sizeof *slots);
    d->vid = synth_calloc(nr, sizeof *d->vid);
    d->values = synth_calloc(nr, sizeof *d->values);
    d->lens = synth_calloc(nr, sizeof *d->lens);
    if (slots == NULL || d->vid == NULL || d->values == NULL || d->lens == NULL) {
        synth_free(slots);
        return SYNTH_NOMEM;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        uint32_t n;
        const char *s = cell(t, r, col, &n);
        size_t i = (size_t)synth_hash_bytes(s, n) & (cap - 1);
        for (;;) {
            uint32_t v = slots[i];
            if (v == 0) {
                d->values[d->n] = s;
                d->lens[d->n] = n;
                slots[i] = (uint32_t)++d->n;
                d->vid[r] = (uint32_t)(d->n - 1);
                break;
            }
            if (d->lens[v - 1] == n && memcmp(d->values[v - 1], s, n) == 0) {
                d->vid[r] = v - 1;
                break;
            }
            i = (i + 1) & (cap - 1);
        }
    }
    synth_free(slots);
    return 0;
}

/* ---- node evaluation ------------------------------------------------------------------------ */

/* A reference distribution of one sensitive column over a set of rows, for EMD. */
typedef struct tref {
    int ordered;            /* ordered (numeric) ground distance, else equal distance */
    size_t mr;              /* distinct values (ranks) present */
    uint32_t *rank;         /* per value id (of the present ones) */
    double *q, *Q, *SQ;     /* per rank: share, cumulative share, SQ[i] = Q[0] + ... + Q[i-1] */
} tref;

/* Per sensitive column, precomputed for t-closeness. */
typedef struct tclose {
    size_t m;               /* value ids of the dictionary */
    unsigned char *num;     /* per value id: 1 when it parses fully as a number */
    double *val;            /* per value id: that number */
    uint32_t *sorted;       /* value ids: empty first, numbers ascending, the rest last */
    uint64_t *all, *kept;   /* per value id: count in the input / in the kept rows */
    tref in, out;           /* against the input table / the kept rows */
} tclose;

typedef struct search {
    size_t n, nqi, nsens;
    dict *qd, *sd;
    synth_hier **h;
    uint64_t k;
    double l, c, t;         /* t < 0: no t-closeness */
    uint64_t limit;         /* suppression limit in rows */
    tclose *tc;             /* per sensitive column when t >= 0 */
    double *tmax;           /* per sensitive column: max EMD of the kept classes (last node) */
    /* scratch, sized by n */
    uint32_t *cls, *rep, *slots;
    size_t mask;
    uint64_t *csize, *pairs, *counts;
    unsigned char *bad;
    size_t nclasses;
} search;

typedef struct node_result {
    uint64_t suppressed;
    double ncp;
    double dm;
    size_t classes_kept;
} node_result;

/* ---- t-closeness ---------------------------------------------------------------------------- */


typedef struct numkey {
    int grp;                /* 0 empty, 1 number, 2 other */
    double v;
    uint32_t id;
} numkey;

static int cmp_numkey(const void *a, const void *b)
{
    const numkey *x = a, *y = b;
    if (x->grp != y->grp)
        return x->grp < y->grp ? -1 : 1;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static void tref_free(tref *r)
{
    synth_free(r->rank);
    synth_free(r->q);
    synth_free(r->Q);
    synth_free(r->SQ);
}

static void tclose_free(tclose *tc)
{
    synth_free(tc->num);
    synth_free(tc->val);
    synth_free(tc->sorted);
    synth_free(tc->all);
    synth_free(tc->kept);
    tref_free(&tc->in);
    tref_free(&tc->out);
}

static int tref_alloc(tref *r, size_t m)
{
    r->rank = synth_calloc(m, sizeof *r->rank);
    r->q = synth_calloc(m, sizeof *r->q);
    r->Q = synth_calloc(m, sizeof *r->Q);
    r->SQ = synth_calloc(m + 1, sizeof *r->SQ);
    return r->rank == NULL || r->q == NULL || r->Q == NULL || r->SQ == NULL ? SYNTH_NOMEM : 0;
}

/* The reference distribution of the rows counted in cnt (total rows): numeric test, ranks and
 * prefix sums over the values present only, as synth_privacy_check_csv sees that table. */
static void tref_build(const tclose *tc, const dict *d, const uint64_t *cnt, uint64_t total,
                       tref *r)
{
    int ordered = 1, any = 0;
    for (size_t v = 0; v < tc->m; v++) {
        if (cnt[v] == 0 || d->lens[v] == 0)
            continue;
        any = 1;
        if (!tc->num[v])
            ordered = 0;
    }
    r->ordered = ordered && any;
    size_t mr = 0;
    if (r->ordered) {
        size_t prev = SIZE_MAX;
        for (size_t i = 0; i < tc->m; i++) {
            uint32_t v = tc->sorted[i];
            if (cnt[v] == 0)
                continue;
            if (prev == SIZE_MAX || d->lens[v] == 0 || d->lens[prev] == 0 ||
                tc->val[v] != tc->val[prev])
                mr++;
            r->rank[v] = (uint32_t)(mr - 1);
            prev = v;
        }
    } else {
        for (size_t v = 0; v < tc->m; v++)
            if (cnt[v] != 0)
                r->rank[v] = (uint32_t)mr++;
    }
    r->mr = mr;
    for (size_t i = 0; i < mr; i++)
        r->q[i] = 0.0;
    for (size_t v = 0; v < tc->m; v++)
        if (cnt[v] != 0)
            r->q[r->rank[v]] += (double)cnt[v] / (double)total;
    double acc = 0.0;
    r->SQ[0] = 0.0;
    for (size_t i = 0; i < mr; i++) {
        acc += r->q[i];
        r->Q[i] = acc;
        r->SQ[i + 1] = r->SQ[i] + r->Q[i];
    }
}

static int tclose_init(tclose *tc, const dict *d, const search *s)
{
    size_t m = d->n ? d->n : 1;
    tc->m = d->n;
    tc->num = synth_calloc(m, 1);
    tc->val = synth_calloc(m, sizeof *tc->val);
    tc->sorted = synth_calloc(m, sizeof *tc->sorted);
    tc->all = synth_calloc(m, sizeof *tc->all);
    tc->kept = synth_calloc(m, sizeof *tc->kept);
    numkey *keys = synth_calloc(m, sizeof *keys);
    int rc = tc->num == NULL || tc->val == NULL || tc->sorted == NULL || tc->all == NULL ||
             tc->kept == NULL || keys == NULL ? SYNTH_NOMEM : 0;
    rc = rc != 0 ? rc : tref_alloc(&tc->in, m);
    rc = rc != 0 ? rc : tref_alloc(&tc->out, m);
    if (rc != 0) {
        synth_free(keys);
        return rc;
    }
    for (size_t v = 0; v < d->n; v++) {
        tc->num[v] = (unsigned char)synth__emd_parse_number(d->values[v], d->lens[v], &tc->val[v]);
        keys[v].grp = d->lens[v] == 0 ? 0 : tc->num[v] ? 1 : 2;
        keys[v].v = tc->num[v] ? tc->val[v] : 0.0;
        keys[v].id = (uint32_t)v;
    }
    qsort(keys, d->n, sizeof *keys, cmp_numkey);
    for (size_t i = 0; i < d->n; i++)
        tc->sorted[i] = keys[i].id;
    synth_free(keys);
    for (size_t r = 0; r < s->n; r++)
        tc->all[d->vid[r]]++;
    tref_build(tc, d, tc->all, s->n, &tc->in);
    return 0;
}


static uint32_t gen(const search *s, size_t q, const uint32_t *lv, size_t r)
{
    return s->h[q]->gid[lv[q]][s->qd[q].vid[r]];
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u64_desc(const void *a, const void *b)
{
    return -cmp_u64(a, b);
}

/* Marks s->bad[class] for classes failing l-diversity of sensitive column j. */
static void check_l(search *s, size_t j)
{
    size_t n = s->n;
    for (size_t r = 0; r < n; r++)
        s->pairs[r] = ((uint64_t)s->cls[r] << 32) | s->sd[j].vid[r];
    qsort(s->pairs, n, sizeof *s->pairs, cmp_u64);
    size_t lint = s->l > 0 ? (size_t)ceil(s->l) : 0;
    size_t i = 0;
    while (i < n) {
        uint32_t c = (uint32_t)(s->pairs[i] >> 32);
        double size = (double)s->csize[c], h = 0.0;
        size_t nd = 0;
        while (i < n && (uint32_t)(s->pairs[i] >> 32) == c) {
            size_t j0 = i;
            while (i < n && s->pairs[i] == s->pairs[j0])
                i++;
            double p = (double)(i - j0) / size;
            h -= p * log(p);
            s->counts[nd++] = i - j0;
        }
        int ok = (double)nd >= s->l && h >= log(s->l) - 1e-9;
        if (ok && s->c > 0) {
            qsort(s->counts, nd, sizeof *s->counts, cmp_u64_desc);
            uint64_t tail = 0;
            for (size_t t = lint - 1; t < nd; t++)
                tail += s->counts[t];
            ok = nd >= lint && (double)s->counts[0] < s->c * (double)tail;
        }
        if (!ok)
            s->bad[c] = 1;
    }
}

/* Marks s->bad[class] for kept classes whose EMD for sensitive column j against ref exceeds t;
 * returns how many it marked and sets s->tmax[j] to the largest EMD of the classes kept. */
static size_t check_t(search *s, size_t j, const tref *ref)
{
    const uint32_t *vid = s->sd[j].vid;
    size_t np = 0, marked = 0;
    for (size_t r = 0; r < s->n; r++)
        if (!s->bad[s->cls[r]])
            s->pairs[np++] = ((uint64_t)s->cls[r] << 32) | ref->rank[vid[r]];
    qsort(s->pairs, np, sizeof *s->pairs, cmp_u64);
    double tmax = 0.0;
    size_t i = 0;
    while (i < np) {
        uint32_t c = (uint32_t)(s->pairs[i] >> 32);
        double size = (double)s->csize[c], sum = 0.0, P = 0.0, qs = 0.0;
        size_t a = 0, last = ref->mr >= 2 ? ref->mr - 2 : 0;
        while (i < np && (uint32_t)(s->pairs[i] >> 32) == c) {
            size_t i0 = i;
            while (i < np && s->pairs[i] == s->pairs[i0])
                i++;
            size_t rk = (uint32_t)s->pairs[i0];
            double p = (double)(i - i0) / size;
            if (ref->ordered) {
                if (rk > a && a <= last)
                    sum += synth__emd_seg_abs(ref->Q, ref->SQ, a, rk - 1 < last ? rk - 1 : last, P);
                P += p;
                a = rk;
            } else {
                sum += fabs(p - ref->q[rk]);
                qs += ref->q[rk];
            }
        }
        double emd = 0.0;
        if (ref->mr > 1) {
            if (ref->ordered) {
                if (a <= last)
                    sum += synth__emd_seg_abs(ref->Q, ref->SQ, a, last, P);
                emd = sum / (double)(ref->mr - 1);
            } else {
                emd = (sum + 1.0 - qs) / 2.0;
            }
        }
        if (emd > s->t + 1e-10) {
            s->bad[c] = 1;
            marked++;
        } else if (emd > tmax) {
            tmax = emd;
        }
    }
    s->tmax[j] = tmax;
    return marked;
}

/* t-closeness of the kept classes: against the input table, then (when rows are suppressed)
 * against the kept rows' distribution until a whole pass suppresses nothing more. */
static void enforce_t(search *s)
{
    for (size_t j = 0; j < s->nsens; j++)
        check_t(s, j, &s->tc[j].in);
    for (;;) {
        size_t marked = 0;
        for (size_t j = 0; j < s->nsens; j++) {
            tclose *tc = &s->tc[j];
            uint64_t kept = 0;
            memset(tc->kept, 0, tc->m * sizeof *tc->kept);
            for (size_t r = 0; r < s->n; r++)
                if (!s->bad[s->cls[r]]) {
                    tc->kept[s->sd[j].vid[r]]++;
                    kept++;
                }
            /* nothing suppressed: the kept rows are the input; too much: the node fails anyway */
            if (kept == s->n || kept == 0 || s->n - kept > s->limit)
                return;
            tref_build(tc, &s->sd[j], tc->kept, kept, &tc->out);
            marked += check_t(s, j, &tc->out);
        }
        if (marked == 0)
            return;
    }
}

static void evaluate(search *s, const uint32_t *lv, node_result *res)
{
    memset(s->slots, 0, (s->mask + 1) * sizeof *s->slots);
    s->nclasses = 0;
    for (size_t r = 0; r < s->n; r++) {
        uint64_t hsh = 1469598103934665603ULL;
        for (size_t q = 0; q < s->nqi; q++)
            hsh = (hsh ^ gen(s, q, lv, r)) * 1099511628211ULL;
        size_t i = (size_t)(hsh ^ (hsh >> 29)) & s->mask;
        for (;;) {
            uint32_t c = s->slots[i];
            if (c == 0) {
                c = (uint32_t)s->nclasses++;
                s->slots[i] = c + 1;
                s->rep[c] = (uint32_t)r;
                s->csize[c] = 0;
                s->cls[r] = c;
                break;
            }
            size_t q;
            for (q = 0; q < s->nqi; q++)
                if (gen(s, q, lv, r) != gen(s, q, lv, s->rep[c - 1]))
                    break;
            if (q == s->nqi) {
                s->cls[r] = c - 1;
                break;
            }
            i = (i + 1) & s->mask;
        }
        s->csize[s->cls[r]]++;
    }
    for (size_t c = 0; c < s->nclasses; c++)
        s->bad[c] = s->csize[c] < s->k;
    if (s->l > 0)
        for (size_t j = 0; j < s->nsens; j++)
            check_l(s, j);
    if (s->t >= 0)
        enforce_t(s);
    res->suppressed = 0;
    res->dm = 0.0;
    res->classes_kept = 0;
    for (size_t c = 0; c < s->nclasses; c++) {
        if (s->bad[c]) {
            res->suppressed += s->csize[c];
        } else {
            res->dm += (double)s->csize[c] * (double)s->csize[c];
            res->classes_kept++;
        }
    }
    res->dm += (double)res->suppressed * (double)s->n;
    double sum = (double)res->suppressed * (double)s->nqi;
    for (size_t r = 0; r < s->n; r++)
        if (!s->bad[s->cls[r]])
            for (size_t q = 0; q < s->nqi; q++)
                sum += s->h[q]->ncp[lv[q]][gen(s, q, lv, r)];
    res->ncp = s->n ? sum / ((double)s->n * (double)s->nqi) : 0.0;
}

/* ---- output --------------------------------------------------------------------------------- */

static int write_field(synth_output *o, char **buf, size_t *cap, const char *s, size_t len,
                       char delim, int last, int only, synth_err *err)
{
    if (*cap < 2 * len + 4) {
        size_t nc = 2 * len + 4 > 256 ? 2 * len + 4 : 256;
        char *b = synth_realloc(*buf, nc);
        if (b == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory while writing");
        *buf = b;
        *cap = nc;
    }
    size_t n;
    if (len == 0 && only) {
        memcpy(*buf, "\"\"", 2);
        n = 2;
    } else {
        n = synth_csv_quote(*buf, s, len, delim);
    }
    (*buf)[n++] = last ? '\n' : delim;
    return synth_output_write(o, *buf, n, err);
}

static int write_output(const synth_anonymize_request *req, const table *t, const search *s,
                        const size_t *qcol, const uint32_t *lv, synth_err *err)
{
    synth_output *o = NULL;
    int rc = synth_output_open(&o, req->output, err);
    if (rc != 0)
        return rc;
    char *buf = NULL;
    size_t cap = 0;
    char delim = req->csv.delimiter ? req->csv.delimiter : ',';
    int only = t->ncols == 1;
    for (size_t c = 0; rc == 0 && c < t->ncols; c++)
        rc = write_field(o, &buf, &cap, t->names[c], strlen(t->names[c]), delim,
                         c + 1 == t->ncols, only, err);
    /* QI column -> index in the QI list (or SIZE_MAX) */
    size_t *qi_of = synth_malloc(t->ncols * sizeof *qi_of);
    if (rc == 0 && qi_of == NULL)
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory while writing");
    if (rc == 0) {
        for (size_t c = 0; c < t->ncols; c++)
            qi_of[c] = SIZE_MAX;
        for (size_t q = 0; q < s->nqi; q++)
            qi_of[qcol[q]] = q;
    }
    for (size_t r = 0; rc == 0 && r < t->nrows; r++) {
        if (s->bad[s->cls[r]])
            continue;
        for (size_t c = 0; rc == 0 && c < t->ncols; c++) {
            uint32_t n;
            const char *v = cell(t, r, c, &n);
            size_t q = qi_of[c];
            if (q != SIZE_MAX) {
                v = s->h[q]->labels[lv[q]][gen(s, q, lv, r)];
                n = (uint32_t)strlen(v);
            }
            rc = write_field(o, &buf, &cap, v, n, delim, c + 1 == t->ncols, only, err);
        }
    }
    synth_free(qi_of);
    synth_free(buf);
    if (rc != 0) {
        synth_output_abort(o);
        return rc;
    }
    return synth_output_commit(o, err);
}

/* ---- the request ---------------------------------------------------------------------------- */

static long find_col(const table *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->names[c], name) == 0)
            return (long)c;
    return -1;
}

static int validate(const synth_anonymize_request *req, synth_err *err)
{
    const synth_privacy_spec *sp = &req->spec;
    if (req->input == NULL || req->output == NULL)
        return synth_err_set(err, SYNTH_USAGE, "anonymize needs an input and an output path");
    if (sp->nqi == 0)
        return synth_err_set(err, SYNTH_USAGE,
                             "%s: anonymization needs at least one quasi-identifier column",
                             req->input);
    if (!(req->max_suppression >= 0.0 && req->max_suppression <= 1.0))
        return synth_err_set(err, SYNTH_USAGE, "max_suppression must be between 0 and 1");
    if (!(sp->l >= 0.0) || !(sp->c >= 0.0))
        return synth_err_set(err, SYNTH_USAGE, "l and c must be non-negative numbers");
    if ((sp->l > 0 || sp->c > 0) && sp->nsensitive == 0)
        return synth_err_set(err, SYNTH_USAGE, "%s: l-diversity needs a sensitive column",
                             req->input);
    if (isnan(sp->t))
        return synth_err_set(err, SYNTH_USAGE, "t must be a number (negative: not required)");
    if (sp->t >= 0.0 && sp->nsensitive == 0)
        return synth_err_set(err, SYNTH_USAGE, "%s: t-closeness needs a sensitive column",
                             req->input);
    if (sp->c > 0 && sp->l < 1.0)
        return synth_err_set(err, SYNTH_USAGE, "recursive (c,l)-diversity needs l >= 1");
    return 0;
}

static int jset(json_t *o, const char *key, json_t *v)
{
    return v == NULL ? -1 : json_object_set_new(o, key, v);
}

static json_t *describe_levels(const search *s, const table *t, const size_t *qcol,
                               const uint32_t *lv)
{
    json_t *arr = json_array();
    for (size_t q = 0; arr != NULL && q < s->nqi; q++) {
        const synth_hier *h = s->h[q];
        json_t *o = json_object();
        int bad = o == NULL;
        bad = bad || jset(o, "column", json_string(t->names[qcol[q]]));
        bad = bad || jset(o, "kind", json_string(synth_hier_kind_name(h->kind)));
        bad = bad || jset(o, "level", json_integer((json_int_t)lv[q]));
        bad = bad || jset(o, "levels", json_integer((json_int_t)h->nlevels));
        int top = lv[q] + 1 == h->nlevels && lv[q] > 0;
        bad = bad || jset(o, "suppressed_to_star", json_boolean(top));
        if (h->kind == SYNTH_HIER_INTERVAL && lv[q] > 0 && !top)
            bad = bad || jset(o, "width", json_real(ldexp(h->base_width, (int)lv[q] - 1)));
        if (h->kind == SYNTH_HIER_MASK)
            bad = bad || jset(o, "masked_digits", json_integer((json_int_t)lv[q]));
        if (h->kind == SYNTH_HIER_DATE) {
            static const char *const g[] = {"day", "month", "year", "decade", "*"};
            size_t i = lv[q] == 0 ? 0 : lv[q] - 1 + (h->date_has_day ? 0 : 1);
            bad = bad || jset(o, "granularity", json_string(lv[q] == 0 ? "original" : g[i > 4 ? 4 : i]));
        }
        if (bad || json_array_append_new(arr, o) != 0) {
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* The models enforced: {"k", "l", "c", "t" (null when not required), and with t
 * "t_achieved": {sensitive column: largest EMD of a kept class, against the output's own
 * distribution as synth_privacy_check_csv measures it}}. */
static json_t *describe_models(const search *s, const synth_privacy_spec *sp)
{
    json_t *o = json_object();
    int bad = o == NULL;
    bad = bad || jset(o, "k", json_integer((json_int_t)s->k));
    bad = bad || jset(o, "l", s->l > 0 ? json_real(s->l) : json_null());
    bad = bad || jset(o, "c", s->c > 0 ? json_real(s->c) : json_null());
    bad = bad || jset(o, "t", s->t >= 0 ? json_real(s->t) : json_null());
    if (!bad && s->t >= 0) {
        json_t *a = json_object();
        bad = jset(o, "t_achieved", a);
        for (size_t j = 0; !bad && j < s->nsens; j++)
            bad = jset(a, sp->sensitive[j], json_real(s->tmax[j]));
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int levels_text(char *buf, size_t size, const uint32_t *lv, size_t nqi)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t q = 0; q < nqi && n + 12 < size; q++)
        n += (size_t)snprintf(buf + n, size - n, "%s%u", q ? "," : "[", (unsigned)lv[q]);
    if (n + 2 < size)
        snprintf(buf + n, size - n, "]");
    return 0;
}

int synth_anonymize_csv(const synth_anonymize_request *req, json_t **report, synth_err *err)
{
    *report = NULL;
    int rc = validate(req, err);
    if (rc != 0)
        return rc;
    const synth_privacy_spec *sp = &req->spec;
    table t;
    memset(&t, 0, sizeof t);
    search s;
    memset(&s, 0, sizeof s);
    size_t *qcol = NULL;
    json_t *hfile = NULL, *rep = NULL, *check = NULL;
    uint32_t *lv = NULL, *best = NULL, *sols = NULL, *radix = NULL, *order = NULL, *fail_lv = NULL;
    size_t nsols = 0;

    rc = table_load(&t, req->input, &req->csv, err);
    if (rc != 0)
        goto out;
    if (t.nrows == 0) {
        rc = synth_err_set(err, SYNTH_BAD_INPUT, "%s: no data rows to anonymize", req->input);
        goto out;
    }
    if (t.nrows >= UINT32_MAX) {
        rc = synth_err_set(err, SYNTH_BAD_INPUT, "%s: too many rows to anonymize in memory",
                           req->input);
        goto out;
    }
    s.n = t.nrows;
    s.nqi = sp->nqi;
    s.nsens = sp->nsensitive;
    s.k = sp->k > 0 ? sp->k : 1;
    s.l = sp->l;
    s.c = sp->c;
    s.t = sp->t >= 0.0 ? sp->t : -1.0;
    qcol = synth_calloc(s.nqi + s.nsens, sizeof *qcol);
    s.qd = synth_calloc(s.nqi, sizeof *s.qd);
    s.sd = synth_calloc(s.nsens ? s.nsens : 1, sizeof *s.sd);
    s.h = synth_calloc(s.nqi, sizeof *s.h);
    if (qcol == NULL || s.qd == NULL || s.sd == NULL || s.h == NULL)
        goto nomem;
    for (size_t i = 0; i < s.nqi + s.nsens; i++) {
        const char *name = i < s.nqi ? sp->qi[i] : sp->sensitive[i - s.nqi];
        long c = name != NULL ? find_col(&t, name) : -1;
        if (c < 0) {
            rc = synth_err_set(err, SYNTH_USAGE, "%s: no column named '%s' (%s)", req->input,
                               name ? name : "(null)", i < s.nqi ? "quasi-identifier" : "sensitive");
            goto out;
        }
        for (size_t j = 0; j < i; j++)
            if (qcol[j] == (size_t)c) {
                rc = synth_err_set(err, SYNTH_USAGE, "%s: column '%s' listed twice", req->input,
                                   name);
                goto out;
            }
        qcol[i] = (size_t)c;
    }
    if (req->hierarchy_path != NULL) {
        rc = synth_hier_load_file(req->hierarchy_path, &hfile, err);
        if (rc != 0)
            goto out;
        const char *name;
        json_t *col;
        json_object_foreach(json_object_get(hfile, "columns"), name, col) {
            if (find_col(&t, name) < 0) {
                rc = synth_err_set(err, SYNTH_USAGE,
                                   "%s: hierarchy for unknown column '%s' (not in %s)",
                                   req->hierarchy_path, name, req->input);
                goto out;
            }
        }
    }
    for (size_t q = 0; q < s.nqi; q++) {
        if (dict_build(&t, qcol[q], &s.qd[q]) != 0)
            goto nomem;
        json_t *user = hfile ? json_object_get(json_object_get(hfile, "columns"), sp->qi[q]) : NULL;
        rc = synth_hier_build(sp->qi[q], s.qd[q].values, s.qd[q].lens, s.qd[q].n, user,
                              req->hierarchy_path, &s.h[q], err);
        if (rc != 0)
            goto out;
    }
    for (size_t j = 0; j < s.nsens; j++)
        if (dict_build(&t, qcol[s.nqi + j], &s.sd[j]) != 0)
            goto nomem;
    s.tmax = synth_calloc(s.nsens ? s.nsens : 1, sizeof *s.tmax);
    if (s.tmax == NULL)
        goto nomem;
    if (s.t >= 0) {
        s.tc = synth_calloc(s.nsens, sizeof *s.tc);
        if (s.tc == NULL)
            goto nomem;
        for (size_t j = 0; j < s.nsens; j++)
            if (tclose_init(&s.tc[j], &s.sd[j], &s) != 0)
                goto nomem;
    }

    /* scratch */
    size_t cap = 16;
    while (cap < 2 * s.n)
        cap *= 2;
    s.mask = cap - 1;
    s.slots = synth_calloc(cap, sizeof *s.slots);
    s.cls = synth_calloc(s.n, sizeof *s.cls);
    s.rep = synth_calloc(s.n, sizeof *s.rep);
    s.csize = synth_calloc(s.n, sizeof *s.csize);
    s.pairs = synth_calloc(s.n, sizeof *s.pairs);
    s.counts = synth_calloc(s.n, sizeof *s.counts);
    s.bad = synth_calloc(s.n, 1);
    if (s.slots == NULL || s.cls == NULL || s.rep == NULL || s.csize == NULL ||
        s.pairs == NULL || s.counts == NULL || s.bad == NULL)
        goto nomem;

    /* lattice */
    size_t nodes = 1, maxsum = 0;
    for (size_t q = 0; q < s.nqi; q++) {
        size_t nl = s.h[q]->nlevels;
        if (nodes > MAX_NODES / nl) {
            rc = synth_err_set(err, SYNTH_USAGE,
                               "%s: the generalization lattice has more than %u nodes; use fewer "
                               "quasi-identifiers or shorter hierarchies",
                               req->input, MAX_NODES);
            goto out;
        }
        nodes *= nl;
        maxsum += nl - 1;
    }
    lv = synth_calloc(s.nqi, sizeof *lv);
    best = synth_calloc(s.nqi, sizeof *best);
    radix = synth_calloc(maxsum + 2, sizeof *radix); /* bucket starts by level sum */
    order = synth_calloc(nodes, sizeof *order);
    sols = synth_calloc(s.nqi * 64, sizeof *sols);
    size_t solcap = 64;
    if (lv == NULL || best == NULL || radix == NULL || order == NULL || sols == NULL)
        goto nomem;
    for (size_t i = 0; i < nodes; i++) {
        size_t x = i, sum = 0;
        for (size_t q = 0; q < s.nqi; q++) {
            sum += x % s.h[q]->nlevels;
            x /= s.h[q]->nlevels;
        }
        radix[sum + 1]++;
    }
    for (size_t i = 1; i <= maxsum + 1; i++)
        radix[i] += radix[i - 1];
    for (size_t i = 0; i < nodes; i++) {
        size_t x = i, sum = 0;
        for (size_t q = 0; q < s.nqi; q++) {
            sum += x % s.h[q]->nlevels;
            x /= s.h[q]->nlevels;
        }
        order[radix[sum]++] = (uint32_t)i;
    }
    uint64_t limit = (uint64_t)floor(req->max_suppression * (double)s.n + 1e-9);
    s.limit = limit;
    node_result bres = {0}, fail_best = {UINT64_MAX, 0, 0, 0};
    fail_lv = synth_calloc(s.nqi, sizeof *fail_lv);
    if (fail_lv == NULL)
        goto nomem;
    int found = 0;
    size_t evaluated = 0, bestsum = 0;
    for (size_t oi = 0; oi < nodes; oi++) {
        size_t x = order[oi], sum = 0;
        for (size_t q = 0; q < s.nqi; q++) {
            lv[q] = (uint32_t)(x % s.h[q]->nlevels);
            x /= s.h[q]->nlevels;
            sum += lv[q];
        }
        int dominated = 0;
        for (size_t j = 0; j < nsols && !dominated; j++) {
            size_t q;
            for (q = 0; q < s.nqi; q++)
                if (lv[q] < sols[j * s.nqi + q])
                    break;
            dominated = q == s.nqi;
        }
        if (dominated)
            continue;
        if (synth_signals_interrupted()) {
            rc = synth_err_set(err, SYNTH_INTERRUPTED, "%s: interrupted", req->input);
            goto out;
        }
        node_result res;
        evaluate(&s, lv, &res);
        evaluated++;
        if (res.suppressed > limit) {
            if (res.suppressed < fail_best.suppressed) {
                fail_best = res;
                memcpy(fail_lv, lv, s.nqi * sizeof *lv);
            }
            continue;
        }
        if (nsols == solcap) {
            uint32_t *ns = synth_reallocarray(sols, solcap * 2, s.nqi * sizeof *ns);
            if (ns == NULL)
                goto nomem;
            sols = ns;
            solcap *= 2;
        }
        memcpy(sols + nsols * s.nqi, lv, s.nqi * sizeof *lv);
        nsols++;
        if (!found || res.ncp < bres.ncp - 1e-12 ||
            (fabs(res.ncp - bres.ncp) <= 1e-12 &&
             (res.dm < bres.dm || (res.dm == bres.dm && sum < bestsum)))) {
            found = 1;
            bres = res;
            bestsum = sum;
            memcpy(best, lv, s.nqi * sizeof *lv);
        }
    }
    if (!found) {
        char lvtext[256];
        levels_text(lvtext, sizeof lvtext, fail_lv, s.nqi);
        rc = synth_err_set(err, SYNTH_BAD_INPUT,
                           "%s: no solution within max_suppression %.4g%% (%llu of %zu rows): the "
                           "best found, levels %s, needs %llu rows suppressed",
                           req->input, 100.0 * req->max_suppression, (unsigned long long)limit,
                           s.n, lvtext, (unsigned long long)fail_best.suppressed);
        goto out;
    }

    evaluate(&s, best, &bres);
    rc = write_output(req, &t, &s, qcol, best, err);
    if (rc != 0)
        goto out;

    int passed = 1;
    const char *skip = NULL;
    if (strcmp(req->output, "-") == 0)
        skip = "output is standard output";
    else if (bres.suppressed == s.n)
        skip = "every row was suppressed";
    if (skip == NULL) {
        rc = synth_privacy_check_csv(req->output, sp, &req->csv, SYNTH_PROGRESS_NEVER, &check,
                                     &passed, err);
        if (rc != 0)
            goto out;
    }

    rep = json_object();
    json_t *search_o = json_object(), *loss = json_object();
    int bad = rep == NULL || search_o == NULL || loss == NULL;
    if (bad) {
        json_decref(search_o);
        json_decref(loss);
        goto nomem;
    }
    bad = bad || jset(rep, "input", json_string(req->input));
    bad = bad || jset(rep, "output", json_string(req->output));
    bad = bad || jset(rep, "rows", json_integer((json_int_t)s.n));
    bad = bad || jset(rep, "rows_output", json_integer((json_int_t)(s.n - bres.suppressed)));
    bad = bad || jset(rep, "rows_suppressed", json_integer((json_int_t)bres.suppressed));
    bad = bad || jset(rep, "suppressed_share", json_real((double)bres.suppressed / (double)s.n));
    bad = bad || jset(rep, "max_suppression", json_real(req->max_suppression));
    bad = bad || jset(rep, "classes", json_integer((json_int_t)bres.classes_kept));
    bad = bad || jset(search_o, "method", json_string("full-domain lattice, bottom-up with "
                                                       "monotonicity pruning"));
    bad = bad || jset(search_o, "lattice_nodes", json_integer((json_int_t)nodes));
    bad = bad || jset(search_o, "evaluated", json_integer((json_int_t)evaluated));
    bad = bad || jset(search_o, "minimal_solutions", json_integer((json_int_t)nsols));
    bad = bad || jset(rep, "models", describe_models(&s, sp));
    bad = bad || jset(loss, "ncp", json_real(bres.ncp));
    bad = bad || jset(loss, "discernibility", json_real(bres.dm));
    if (bad || json_object_set_new(rep, "search", search_o) != 0) {
        json_decref(loss);
        goto nomem;
    }
    if (json_object_set_new(rep, "information_loss", loss) != 0)
        goto nomem;
    bad = jset(rep, "generalization", describe_levels(&s, &t, qcol, best));
    if (check != NULL) {
        bad = bad || json_object_set_new(rep, "check", check) != 0;
        check = NULL;
    } else {
        bad = bad || jset(rep, "check", json_null());
        bad = bad || jset(rep, "check_skipped", json_string(skip ? skip : ""));
    }
    bad = bad || jset(rep, "check_passed", json_boolean(passed));
    if (bad)
        goto nomem;
    if (!passed) {
        rc = synth_err_set(err, SYNTH_INTERNAL,
                           "%s: the anonymized output fails the privacy check", req->output);
        goto out;
    }
    *report = rep;
    rep = NULL;
    goto out;

nomem:
    rc = synth_err_set(err, SYNTH_NOMEM, "%s: out of memory while anonymizing", req->input);
out:
    json_decref(rep);
    json_decref(check);
    json_decref(hfile);
    if (s.h != NULL)
        for (size_t q = 0; q < s.nqi; q++)
            synth_hier_free(s.h[q]);
    if (s.qd != NULL)
        for (size_t q = 0; q < s.nqi; q++)
            dict_free(&s.qd[q]);
    if (s.sd != NULL)
        for (size_t j = 0; j < s.nsens; j++)
            dict_free(&s.sd[j]);
    if (s.tc != NULL)
        for (size_t j = 0; j < s.nsens; j++)
            tclose_free(&s.tc[j]);
    synth_free(s.tc);
    synth_free(s.tmax);
    synth_free(s.h);
    synth_free(s.qd);
    synth_free(s.sd);
    synth_free(s.slots);
    synth_free(s.cls);
    synth_free(s.rep);
    synth_free(s.csize);
    synth_free(s.pairs);
    synth_free(s.counts);
    synth_free(s.bad);
    synth_free(qcol);
    synth_free(lv);
    synth_free(best);
    synth_free(sols);
    synth_free(radix);
    synth_free(order);
    synth_free(fail_lv);
    table_free(&t);
    return rc;
}
