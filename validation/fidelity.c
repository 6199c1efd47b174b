/* fidelity.c -- column shapes and column pair trends of a synthetic CSV against the real one, as
 * in SDMetrics' single-table QualityReport.  See fidelity.h for the API, REPORT.md for the JSON.
 *
 * Definitions (SDMetrics, read from its source: sdmetrics/single_column/statistical/
 * kscomplement.py and tv_complement.py, sdmetrics/column_pairs/statistical/
 * correlation_similarity.py and contingency_similarity.py, sdmetrics/utils.py (get_frequencies),
 * sdmetrics/reports/single_table/_properties/column_shapes.py and column_pair_trends.py,
 * sdmetrics/reports/base_report.py, sdmetrics/reports/utils.py (discretize_table_data), and the
 * maintainers' statements in SDMetrics PR #368 and issue #700):
 *
 *   Column types.  integer, float and datetime columns are numeric ("numerical"/"datetime"
 *   sdtypes; datetimes as epoch seconds -- SDMetrics uses nanoseconds, and every metric here is
 *   invariant to that scale); categorical and boolean columns are categorical (compared by their
 *   exact text).  id and text columns are skipped, as SDMetrics skips sdtypes other than
 *   numerical, datetime, categorical and boolean; they are listed under "skipped".
 *
 *   KSComplement (numeric columns) = 1 - D, D the two-sample Kolmogorov-Smirnov statistic
 *   (scipy ks_2samp: sup |F_real - F_synthetic| over all values) of the non-null values.  Nulls
 *   are dropped.  No values left in either file: undefined (NaN, JSON null).  (SDMetrics rounds
 *   values to 14 decimals first; parsed CSV text makes that a no-op except for values that differ
 *   below 1e-14, which stay apart here.)
 *
 *   TVComplement (categorical columns) = 1 - TVD of the category shares of the non-null values.
 *   Nulls are dropped; no values left in either file: undefined.  A category present only in the
 *   synthetic data is a category of its own with real share 0 -- exactly: SDMetrics'
 *   get_frequencies gives each such category a real count of 1e-6 (and so adds 1e-6 to the real
 *   total per category), which is reproduced here.
 *
 *   CorrelationSimilarity (numeric x numeric) = 1 - |r_real - r_synthetic| / 2, Pearson r over
 *   the rows where both values are present (the pair is dropna'ed).  r undefined (fewer than two
 *   such rows, or a constant column): the pair's score is undefined (SDMetrics raises
 *   ConstantInputError, the property records NaN).  Streaming: per chunk exact two-pass means
 *   and co-moments, merged across chunks with Chan et al.'s pairwise update (numerically stable).
 *
 *   ContingencySimilarity (any pair with a categorical column) = 1 - 1/2 sum over cells
 *   |R(a,b) - S(a,b)| of the 2-D shares over all rows; a null is a category of its own
 *   (groupby(dropna=False)), and so is a synthetic-only category (its cells have real share 0).
 *   A numeric column is first cut into pair_bins (10) equal-width bins whose edges come from the
 *   real data only (np.histogram_bin_edges of the non-null real values: linspace(min, max), or
 *   min-0.5 .. max+0.5 for a constant column, 0..1 with no values), with the outer edges open
 *   (-inf / +inf) so that synthetic values below or above the real range fall into the end bins;
 *   values are assigned like np.digitize (x in [e_i, e_i+1)).  This is the binning SDMetrics'
 *   maintainers specify (PR #368, issue #700: "determine the bins based on the real data only",
 *   end bins open) and that sdmetrics/reports/utils.py's discretize_table_data implements (without
 *   the open ends); some versions of column_pair_trends.py bin each table on its own range
 *   instead, which would compare bins that mean different values, so that is not followed.
 *   SDMetrics >= 0.18 subsamples 50000 rows for this metric; here all rows are used (exact and
 *   deterministic).
 *
 *   Properties: Column Shapes = mean over the compared columns, Column Pair Trends = mean over
 *   all pairs of compared columns (in schema order: itertools.combinations), undefined scores
 *   left out (pandas mean skips NaN); overall = mean of the two (np.nanmean).
 *
 * Streaming and memory.  Each file is read in chunks by synth_csv_reader; nothing grows with the
 * number of rows.  Per numeric column the exact value counts of both files live in one hash map
 * while real + synthetic have at most max_exact_values distinct values, which gives the exact KS.
 * Past that, the column switches to a sketch: sketch_bins - 1 edges at quantiles of the values
 * counted so far (half at quantiles of the complete real data, half at quantiles of the synthetic
 * rows read so far), the exact counts folded into its bins (e_i-1, e_i] plus the count sitting
 * exactly on each edge, and all further values counted there.  KS is then evaluated at the edges,
 * where both CDFs are exact; it underestimates the exact D by at most the largest share of either
 * file strictly inside one bin, which is computed and reported ("ks_sketch").  Contingency tables
 * are dense up to 2^18 cells per pair, hash maps beyond that; synthetic-only categories share one
 * cell per pair (exact: all those cells have real share 0) and are kept apart per column only for
 * TVComplement, up to max_unseen_categories (more are pooled into one; that changes TVComplement
 * only through SDMetrics' 1e-6 regularisation, i.e. by less than 1e-6 * pooled / real rows).
 *
 * The real file is normally read once: numeric bin edges come from the schema's min/max and the
 * categories from its category list (both from the inference pass over the same file).  If the
 * real data turns out to differ (a schema override, another file) or a numeric column of the real
 * data alone has more than max_exact_values distinct values (its sketch edges are then taken from
 * a uniform reservoir sample of the whole real column), the real file is read a second time with
 * the corrected edges; such real data can't come from stdin.  The synthetic file is read once.
 *
 * Histograms of the report are not part of any score: numeric ones have histogram_bins equal-width
 * bins over the real range (synthetic values outside it are counted in the end bins); categorical
 * ones list the max_histogram_categories most frequent real categories, then "(other)" for the
 * rest (other real categories and synthetic-only ones) when that is not empty.  Shares are of the
 * non-null values.
 *
 * Threads.  A read-ahead thread parses the next chunk (and copies it, since the reader reuses its
 * buffers) while the caller's thread works on the current one, helped by up to threads - 1 helper
 * threads: first every column of the chunk is one task (parse, counts, bin codes), then every
 * pair.  A task touches only its own column or pair, so results do not depend on the thread
 * count; errors are reported as a sequential pass would (the first failing column in schema
 * order).  Measured: a 1e7-row synthetic Adult takes about 1.1x the time of reading the CSV alone.
 *
 * Ownership: the returned JSON belongs to the caller; everything else is freed before returning.
 * Thread-safety: no global state; concurrent calls are independent. */
#include "fidelity.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "signals.h"

enum { REAL = 0, SYN = 1 };
enum { KIND_NUM = 1, KIND_CAT = 2 };

#define DENSE_MAX_CELLS ((size_t)1 << 18)
#define LANES 4
#define LANES_MAX_CELLS ((size_t)1 << 14)
#define RESERVOIR_PER_BIN 16
#define TV_REGULARISATION 1e-6
#define SHOW_VALUE_MAX 60
#define AUTO_THREADS_MAX 4

void synth_fidelity_options_init(synth_fidelity_options *opt)
{
    synth_csv_options_init(&opt->csv);
    opt->max_exact_values = 100000;
    opt->sketch_bins = 4096;
    opt->pair_bins = 10;
    opt->histogram_bins = 20;
    opt->max_histogram_categories = 20;
    opt->max_unseen_categories = 100000;
    opt->threads = 0;
    opt->progress = SYNTH_PROGRESS_AUTO;
}

/* ---- hash map: 64-bit key -> a count per file ---------------------------------------------- */

typedef struct cmap_entry {
    uint64_t key;
    uint64_t n[2];              /* both 0: empty slot */
} cmap_entry;

typedef struct cmap {
    cmap_entry *e;
    size_t mask;                /* capacity - 1 (a power of two) */
    size_t n;                   /* used slots */
} cmap;

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static int cmap_init(cmap *m, size_t cap)
{
    m->e = synth_calloc(cap, sizeof *m->e);
    m->mask = cap - 1;
    m->n = 0;
    return m->e == NULL ? -1 : 0;
}

static void cmap_free(cmap *m)
{
    synth_free(m->e);
    m->e = NULL;
    m->n = 0;
    m->mask = 0;
}

static inline int cmap_empty(const cmap_entry *e)
{
    return (e->n[0] | e->n[1]) == 0;
}

/* The slot holding key, or the empty slot where it would go. */
static inline cmap_entry *cmap_probe(const cmap *m, uint64_t key)
{
    size_t i = (size_t)mix64(key) & m->mask;
    for (;;) {
        cmap_entry *e = &m->e[i];
        if (cmap_empty(e) || e->key == key)
            return e;
        i = (i + 1) & m->mask;
    }
}

static int cmap_grow(cmap *m)
{
    cmap old = *m;
    if (cmap_init(m, (old.mask + 1) * 2))
        return *m = old, -1;
    for (size_t i = 0; i <= old.mask; i++) {
        if (!cmap_empty(&old.e[i])) {
            *cmap_probe(m, old.e[i].key) = old.e[i];
            m->n++;
        }
    }
    synth_free(old.e);
    return 0;
}

/* Add w to key's count of file f (inserting the key).  -1 when out of memory. */
static int cmap_add(cmap *m, uint64_t key, int f, uint64_t w)
{
    cmap_entry *e = cmap_probe(m, key);
    if (cmap_empty(e)) {
        if ((m->n + 1) * 2 > m->mask + 1) {
            if (cmap_grow(m))
                return -1;
            e = cmap_probe(m, key);
        }
        e->key = key;
        m->n++;
    }
    e->n[f] += w;
    return 0;
}

/* ---- hash map: string -> dense id ---------------------------------------------------------- */

typedef struct smap {
    uint32_t *slot;             /* id + 1; 0 = empty */
    size_t mask;
    char **name;                /* by id */
    uint32_t *len;
    uint64_t *hash;
    size_t n, alloc;
} smap;

static inline uint64_t str_hash(const char *s, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ len, w = 0;
    const char *end = s + len;
    if (len < 8) {
        for (size_t i = 0; i < len; i++)
            w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    } else {
        while (end - s > 8) {
            memcpy(&w, s, 8);
            h = (h ^ w) * 0xff51afd7ed558ccdULL;
            h ^= h >> 29;
            s += 8;
        }
        memcpy(&w, end - 8, 8);         /* the last 8 bytes, overlapping the previous block */
    }
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return mix64(h);
}

static void smap_free(smap *m)
{
    for (size_t i = 0; i < m->n; i++)
        synth_free(m->name[i]);
    synth_free(m->slot);
    synth_free(m->name);
    synth_free(m->len);
    synth_free(m->hash);
    memset(m, 0, sizeof *m);
}

static long smap_find(const smap *m, const char *s, size_t len, uint64_t h)
{
    if (m->slot == NULL)
        return -1;
    size_t i = (size_t)h & m->mask;
    for (;;) {
        uint32_t v = m->slot[i];
        if (v == 0)
            return -1;
        size_t id = v - 1;
        if (m->hash[id] == h && m->len[id] == len && memcmp(m->name[id], s, len) == 0)
            return (long)id;
        i = (i + 1) & m->mask;
    }
}

static void smap_place(smap *m, size_t id)
{
    size_t i = (size_t)m->hash[id] & m->mask;
    while (m->slot[i] != 0)
        i = (i + 1) & m->mask;
    m->slot[i] = (uint32_t)(id + 1);
}

/* Append a new name (not present); returns its id or -1 when out of memory.  *grown is set when
 * the id arrays were reallocated to m->alloc entries (the caller grows its parallel arrays). */
static long smap_insert(smap *m, const char *s, size_t len, uint64_t h)
{
    if ((m->n + 1) * 2 > m->mask + 1 || m->slot == NULL) {
        size_t cap = m->slot == NULL ? 64 : (m->mask + 1) * 2;
        uint32_t *slot = synth_calloc(cap, sizeof *slot);
        if (slot == NULL)
            return -1;
        synth_free(m->slot);
        m->slot = slot;
        m->mask = cap - 1;
        for (size_t id = 0; id < m->n; id++)
            smap_place(m, id);
    }
    if (m->n == m->alloc) {
        size_t na = m->alloc ? m->alloc * 2 : 32;
        char **name = synth_reallocarray(m->name, na, sizeof *name);
        if (name == NULL)
            return -1;
        m->name = name;
        uint32_t *l = synth_reallocarray(m->len, na, sizeof *l);
        if (l == NULL)
            return -1;
        m->len = l;
        uint64_t *hs = synth_reallocarray(m->hash, na, sizeof *hs);
        if (hs == NULL)
            return -1;
        m->hash = hs;
        m->alloc = na;
    }
    char *copy = synth_strndup(s, len);
    if (copy == NULL)
        return -1;
    size_t id = m->n;
    m->name[id] = copy;
    m->len[id] = (uint32_t)len;
    m->hash[id] = h;
    m->n++;
    smap_place(m, id);
    return (long)id;
}

/* ---- state --------------------------------------------------------------------------------- */

typedef struct fcol {
    const synth_column *sc;
    int kind;
    size_t file_idx[2];         /* column index in each file */
    size_t null_len;            /* strlen of sc->null_token */
    uint64_t nonnull[2], nulls[2];
    double mn[2], mx[2];        /* range of the non-null values read */
    /* scratch for one chunk */
    double *val;                /* numeric value, NAN for null */
    uint32_t *code;             /* contingency code */
    /* numeric */
    int range_known;
    double lo, hi;              /* real range the bins are built on */
    double *pedge, *hedge;      /* pair_bins + 1, histogram_bins + 1 equal-width edges */
    double pinv, hinv;          /* bins per unit of the two */
    uint64_t *hist[2];
    cmap vals;                  /* exact value counts (KS) */
    int want_sketch;            /* the real data alone overflowed the exact map */
    int sketched;
    double *sk_edge;
    size_t sk_m;
    uint64_t *sk_bin[2];        /* sk_m + 1 bins: (e[i-1], e[i]], the last (e[m-1], inf) */
    uint64_t *sk_eq[2];         /* values equal to e[i] */
    double *res;                /* reservoir of real values (first real pass only) */
    size_t res_cap, res_n;
    uint64_t res_seen;
    /* categorical */
    smap cats;
    uint64_t *cnt[2];           /* by id; capacity cnt_alloc */
    size_t cnt_alloc;
    size_t nreal;               /* ids below are real categories */
    size_t kpair;               /* real categories in this pass's contingency tables */
    size_t nunseen;             /* synthetic-only categories kept apart */
    uint64_t pooled;            /* synthetic values of further synthetic-only categories */
    uint64_t rng;               /* for the reservoir */
    int rc;                     /* this column's result on the last chunk, */
    synth_err err;              /* and its error */
} fcol;

typedef struct moments {
    double n, ma, mb, m2a, m2b, cab;
} moments;

typedef struct fpair {
    size_t a, b;                /* indexes into ctx->col */
    int corr;
    moments mom[2];
    size_t da, db;              /* table dims (codes >= dim are "unseen") */
    size_t lanes;               /* dense: LANES interleaved copies of each cell, or 1 */
    uint64_t *tab[2];           /* dense (da * db * lanes), or NULL: sparse */
    cmap sparse;                /* key code_a * db + code_b */
    uint64_t unseen[2];
    int rc;                     /* result on the last chunk (NOMEM) */
} fpair;

struct pool;

typedef struct fctx {
    const synth_schema *schema;
    synth_fidelity_options opt;
    const char *path[2];
    fcol *col;
    size_t ncol;
    size_t *skipped;            /* schema indexes of id/text columns */
    size_t nskipped;
    fpair *pair;
    size_t npair;
    uint64_t rows[2];
    size_t scratch_rows;
    int first_real_pass;
    int real_passes;
    struct pool *pool;          /* helper threads for the per-chunk work, or NULL */
    synth_err *err;
} fctx;

static int nomem(fctx *x)
{
    return synth_err_set(x->err, SYNTH_NOMEM, "out of memory while validating");
}

static int col_nomem(fcol *c)
{
    return synth_err_set(&c->err, SYNTH_NOMEM, "out of memory while validating");
}

static uint64_t next_rand(fcol *c)
{
    c->rng += 0x9E3779B97F4A7C15ULL;
    return mix64(c->rng);
}

/* ---- numeric binning ------------------------------------------------------------------------ */

/* np.histogram_bin_edges(values, nb) for non-null values spanning [lo, hi]. */
static void equal_edges(double lo, double hi, size_t nb, double *e)
{
    if (lo == hi) {
        lo -= 0.5;
        hi += 0.5;
    }
    double step = (hi - lo) / (double)nb;
    for (size_t i = 0; i < nb; i++)
        e[i] = (double)i * step + lo;
    e[nb] = hi;
}

/* Bin 0..nb-1 of x among equal-width edges e[0..nb] (inv = nb / (e[nb] - e[0])), the outer bins
 * open-ended: the number of inner edges e[1..nb-1] that are <= x (np.digitize with -inf/+inf
 * outer edges, minus one).  The guess from inv is corrected against the exact edges. */
static inline size_t bin_of(double x, const double *e, size_t nb, double inv)
{
    double g = (x - e[0]) * inv;
    size_t k = !(g > 0) ? 0 : g >= (double)(nb - 1) ? nb - 1 : (size_t)g;
    while (k > 0 && x < e[k])
        k--;
    while (k + 1 < nb && x >= e[k + 1])
        k++;
    return k;
}

static void set_edges(fctx *x, fcol *c)
{
    double lo = c->range_known ? c->lo : 0.0, hi = c->range_known ? c->hi : 1.0;
    size_t np = x->opt.pair_bins, nh = x->opt.histogram_bins;
    equal_edges(lo, hi, np, c->pedge);
    equal_edges(lo, hi, nh, c->hedge);
    c->pinv = (double)np / (c->pedge[np] - c->pedge[0]);
    c->hinv = (double)nh / (c->hedge[nh] - c->hedge[0]);
}

/* ---- KS: exact counts and the sketch -------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct wval {
    double v;
    uint64_t n[2];
} wval;

static int cmp_wval(const void *a, const void *b)
{
    return cmp_double(&((const wval *)a)->v, &((const wval *)b)->v);
}

/* The exact counts as an array sorted by value (n entries); NULL when out of memory or empty. */
static wval *sorted_values(const cmap *m, size_t *n)
{
    *n = 0;
    if (m->n == 0)
        return NULL;
    wval *w = synth_malloc(m->n * sizeof *w);
    if (w == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i <= m->mask; i++) {
        if (!cmap_empty(&m->e[i])) {
            memcpy(&w[k].v, &m->e[i].key, sizeof(double));
            w[k].n[0] = m->e[i].n[0];
            w[k].n[1] = m->e[i].n[1];
            k++;
        }
    }
    qsort(w, k, sizeof *w, cmp_wval);
    *n = k;
    return w;
}

/* Append to out the distinct values at the q-quantiles k/q (k = 1..q) of the weighted sorted
 * values (the smallest value whose cumulative weight reaches k/q of the total). */
static size_t quantile_edges(const wval *w, size_t n, int f, size_t q, double *out)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i].n[f];
    if (total == 0 || q == 0)
        return 0;
    size_t m = 0, i = 0;
    uint64_t cum = w[0].n[f];
    for (size_t k = 1; k <= q; k++) {
        double target = ceil((double)k * (double)total / (double)q);
        while ((double)cum < target && i + 1 < n)
            cum += w[++i].n[f];
        if (m == 0 || out[m - 1] != w[i].v)
            out[m++] = w[i].v;
    }
    return m;
}

static size_t merge_sorted_unique(const double *a, size_t na, const double *b, size_t nb, double *out)
{
    size_t i = 0, j = 0, m = 0;
    while (i < na || j < nb) {
        double v = (j >= nb || (i < na && a[i] <= b[j])) ? a[i++] : b[j++];
        if (m == 0 || out[m - 1] != v)
            out[m++] = v;
    }
    return m;
}

/* First index i with e[i] >= v (m when none). */
static inline size_t lower_bound(const double *e, size_t m, double v)
{
    size_t lo = 0, hi = m;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static inline void sketch_add(fcol *c, double v, int f, uint64_t w)
{
    size_t i = lower_bound(c->sk_edge, c->sk_m, v);
    c->sk_bin[f][i] += w;
    if (i < c->sk_m && c->sk_edge[i] == v)
        c->sk_eq[f][i] += w;
}

/* Allocate the sketch's counters for the edges in c->sk_edge[0..sk_m). */
static int sketch_alloc(fcol *c)
{
    for (int f = 0; f < 2; f++) {
        c->sk_bin[f] = synth_calloc(c->sk_m + 1, sizeof *c->sk_bin[f]);
        c->sk_eq[f] = synth_calloc(c->sk_m + 1, sizeof *c->sk_eq[f]);
        if (c->sk_bin[f] == NULL || c->sk_eq[f] == NULL)
            return -1;
    }
    c->sketched = 1;
    return 0;
}

/* Switch a column from exact counts to the sketch while reading the synthetic file: edges at
 * quantiles of the real counts and of the synthetic counts so far, the counts folded in. */
static int sketch_from_counts(fctx *x, fcol *c)
{
    size_t n;
    wval *w = sorted_values(&c->vals, &n);
    size_t qr = x->opt.sketch_bins / 2, qs = x->opt.sketch_bins - 1 - qr;
    double *er = synth_malloc((qr + 1) * sizeof *er), *es = synth_malloc((qs + 1) * sizeof *es);
    c->sk_edge = synth_malloc((qr + qs + 2) * sizeof *c->sk_edge);
    if (w == NULL || er == NULL || es == NULL || c->sk_edge == NULL) {
        synth_free(w);
        synth_free(er);
        synth_free(es);
        return col_nomem(c);
    }
    size_t mr = quantile_edges(w, n, REAL, qr, er), ms = quantile_edges(w, n, SYN, qs, es);
    c->sk_m = merge_sorted_unique(er, mr, es, ms, c->sk_edge);
    synth_free(er);
    synth_free(es);
    if (sketch_alloc(c)) {
        synth_free(w);
        return col_nomem(c);
    }
    for (size_t i = 0; i < n; i++)
        for (int f = 0; f < 2; f++)
            if (w[i].n[f] > 0)
                sketch_add(c, w[i].v, f, w[i].n[f]);
    synth_free(w);
    cmap_free(&c->vals);
    return 0;
}

/* Sketch edges from the reservoir of real values (before the second real pass). */
static int sketch_from_reservoir(fctx *x, fcol *c)
{
    size_t q = x->opt.sketch_bins - 1;
    wval *w = synth_malloc((c->res_n ? c->res_n : 1) * sizeof *w);
    c->sk_edge = synth_malloc((q + 1) * sizeof *c->sk_edge);
    if (w == NULL || c->sk_edge == NULL) {
        synth_free(w);
        return col_nomem(c);
    }
    qsort(c->res, c->res_n, sizeof *c->res, cmp_double);
    for (size_t i = 0; i < c->res_n; i++) {
        w[i].v = c->res[i];
        w[i].n[REAL] = 1;
        w[i].n[SYN] = 0;
    }
    c->sk_m = quantile_edges(w, c->res_n, REAL, q, c->sk_edge);
    synth_free(w);
    return sketch_alloc(c) ? col_nomem(c) : 0;
}

static int ks_add(fctx *x, fcol *c, double v, int f)
{
    if (c->sketched) {
        sketch_add(c, v, f, 1);
        return 0;
    }
    if (c->want_sketch)
        return 0;                       /* counted in the second real pass */
    uint64_t key;
    memcpy(&key, &v, sizeof key);
    cmap_entry *e = cmap_probe(&c->vals, key);
    if (!cmap_empty(e)) {
        e->n[f]++;
        return 0;
    }
    if (c->vals.n >= x->opt.max_exact_values) {
        if (f == REAL) {
            c->want_sketch = 1;
            cmap_free(&c->vals);
            return 0;
        }
        int rc = sketch_from_counts(x, c);
        if (rc)
            return rc;
        sketch_add(c, v, f, 1);
        return 0;
    }
    return cmap_add(&c->vals, key, f, 1) ? col_nomem(c) : 0;
}

static int reservoir_add(fctx *x, fcol *c, double v)
{
    if (c->res == NULL) {
        c->res_cap = x->opt.sketch_bins * RESERVOIR_PER_BIN;
        if ((c->res = synth_malloc(c->res_cap * sizeof *c->res)) == NULL)
            return col_nomem(c);
    }
    uint64_t seen = c->res_seen++;
    if (c->res_n < c->res_cap) {
        c->res[c->res_n++] = v;
    } else {
        uint64_t j = next_rand(c) % (seen + 1);
        if (j < c->res_cap)
            c->res[j] = v;
    }
    return 0;
}

/* ---- reading -------------------------------------------------------------------------------- */

static int bad_value(const fctx *x, int f, const synth_csv_chunk *ch, size_t r, fcol *c,
                     const char *s, size_t len)
{
    int show = len > SHOW_VALUE_MAX ? SHOW_VALUE_MAX : (int)len;
    return synth_err_set(&c->err, SYNTH_BAD_INPUT, "%s: line %llu, column '%s': '%.*s%s' is not a valid %s",
                         x->path[f], (unsigned long long)ch->line[r], c->sc->name, show, s,
                         len > SHOW_VALUE_MAX ? "..." : "", synth_col_type_name(c->sc->type));
}

static int read_numeric(fctx *x, fcol *c, const synth_csv_chunk *ch, int f)
{
    size_t ci = c->file_idx[f], nb = x->opt.pair_bins;
    const char *tok = c->sc->null_token;
    for (size_t r = 0; r < ch->nrows; r++) {
        size_t len;
        const char *s = synth_csv_cell(ch, r, ci, &len);
        double v;
        int is_null = len == 0 || (len == c->null_len && memcmp(s, tok, len) == 0);
        if (!is_null && synth_cell_parse_number(c->sc, s, len, &v) != 0) {
            if (!synth_cell_is_null(c->sc, s, len))
                return bad_value(x, f, ch, r, c, s, len);
            is_null = 1;
        }
        if (is_null) {
            c->val[r] = NAN;
            c->code[r] = (uint32_t)nb;
            c->nulls[f]++;
            continue;
        }
        v += 0.0;                       /* -0 -> +0 */
        c->val[r] = v;
        if (c->nonnull[f]++ == 0) {
            c->mn[f] = c->mx[f] = v;
        } else {
            if (v < c->mn[f])
                c->mn[f] = v;
            if (v > c->mx[f])
                c->mx[f] = v;
        }
        c->code[r] = (uint32_t)bin_of(v, c->pedge, nb, c->pinv);
        c->hist[f][bin_of(v, c->hedge, x->opt.histogram_bins, c->hinv)]++;
        int rc = ks_add(x, c, v, f);
        if (rc)
            return rc;
        if (f == REAL && x->first_real_pass && (rc = reservoir_add(x, c, v)) != 0)
            return rc;
    }
    return 0;
}

/* Make room for ids up to c->cats.alloc in the count arrays. */
static int grow_counts(fcol *c)
{
    if (c->cnt_alloc >= c->cats.alloc)
        return 0;
    size_t na = c->cats.alloc;
    for (int f = 0; f < 2; f++) {
        uint64_t *p = synth_reallocarray(c->cnt[f], na, sizeof *p);
        if (p == NULL)
            return col_nomem(c);
        memset(p + c->cnt_alloc, 0, (na - c->cnt_alloc) * sizeof *p);
        c->cnt[f] = p;
    }
    c->cnt_alloc = na;
    return 0;
}

static int read_categorical(fctx *x, fcol *c, const synth_csv_chunk *ch, int f)
{
    size_t ci = c->file_idx[f];
    uint32_t knull = (uint32_t)c->kpair, kunseen = (uint32_t)c->kpair + 1;
    for (size_t r = 0; r < ch->nrows; r++) {
        size_t len;
        const char *s = synth_csv_cell(ch, r, ci, &len);
        /* categorical cells are null only when empty or spelled as the null token */
        if (len == 0 || (len == c->null_len && memcmp(s, c->sc->null_token, len) == 0)) {
            c->code[r] = knull;
            c->nulls[f]++;
            continue;
        }
        c->nonnull[f]++;
        uint64_t h = str_hash(s, len);
        long id = smap_find(&c->cats, s, len, h);
        if (id < 0) {
            if (f == SYN && c->nunseen >= x->opt.max_unseen_categories) {
                c->pooled++;
                c->code[r] = kunseen;
                continue;
            }
            if ((id = smap_insert(&c->cats, s, len, h)) < 0)
                return col_nomem(c);
            int rc = grow_counts(c);
            if (rc)
                return rc;
            if (f == REAL)
                c->nreal++;
            else
                c->nunseen++;
        }
        c->cnt[f][id]++;
        c->code[r] = (size_t)id < c->kpair ? (uint32_t)id : kunseen;
    }
    return 0;
}

/* Merge chunk moments b into a (Chan, Golub & LeVeque). */
static void moments_merge(moments *a, const moments *b)
{
    if (b->n == 0)
        return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    double n = a->n + b->n, da = b->ma - a->ma, db = b->mb - a->mb, w = a->n * b->n / n;
    a->ma += da * b->n / n;
    a->mb += db * b->n / n;
    a->m2a += b->m2a + da * da * w;
    a->m2b += b->m2b + db * db * w;
    a->cab += b->cab + da * db * w;
    a->n = n;
}

static void pair_corr_chunk(fpair *p, const fcol *a, const fcol *b, size_t nrows, int f)
{
    const double *va = a->val, *vb = b->val;
    moments m = {0};
    double sa = 0, sb = 0;
    size_t n = 0;
    for (size_t r = 0; r < nrows; r++) {
        if (!isnan(va[r]) && !isnan(vb[r])) {
            sa += va[r];
            sb += vb[r];
            n++;
        }
    }
    if (n == 0)
        return;
    m.n = (double)n;
    m.ma = sa / m.n;
    m.mb = sb / m.n;
    for (size_t r = 0; r < nrows; r++) {
        if (!isnan(va[r]) && !isnan(vb[r])) {
            double da = va[r] - m.ma, db = vb[r] - m.mb;
            m.m2a += da * da;
            m.m2b += db * db;
            m.cab += da * db;
        }
    }
    moments_merge(&p->mom[f], &m);
}

static int pair_table_chunk(fpair *p, const fcol *a, const fcol *b, size_t nrows, int f)
{
    const uint32_t *ca = a->code, *cb = b->code;
    size_t da = p->da, db = p->db;
    if (p->tab[f] != NULL) {
        uint64_t *t = p->tab[f], unseen = 0;
        if (p->lanes == LANES) {
            /* consecutive rows often hit the same cell: spreading them over interleaved copies
             * keeps the increments from waiting on each other */
            for (size_t r = 0; r < nrows; r++) {
                if (ca[r] < da && cb[r] < db)
                    t[((size_t)ca[r] * db + cb[r]) * LANES + (r & (LANES - 1))]++;
                else
                    unseen++;
            }
        } else {
            for (size_t r = 0; r < nrows; r++) {
                if (ca[r] < da && cb[r] < db)
                    t[(size_t)ca[r] * db + cb[r]]++;
                else
                    unseen++;
            }
        }
        p->unseen[f] += unseen;
        return 0;
    }
    for (size_t r = 0; r < nrows; r++) {
        if (ca[r] < da && cb[r] < db) {
            if (cmap_add(&p->sparse, (uint64_t)ca[r] * db + cb[r], f, 1))
                return SYNTH_NOMEM;
        } else {
            p->unseen[f]++;
        }
    }
    return 0;
}

static int ensure_scratch(fctx *x, size_t nrows)
{
    if (nrows <= x->scratch_rows)
        return 0;
    for (size_t i = 0; i < x->ncol; i++) {
        fcol *c = &x->col[i];
        double *v = synth_reallocarray(c->val, nrows, sizeof *v);
        if (v == NULL)
            return nomem(x);
        c->val = v;
        uint32_t *k = synth_reallocarray(c->code, nrows, sizeof *k);
        if (k == NULL)
            return nomem(x);
        c->code = k;
    }
    x->scratch_rows = nrows;
    return 0;
}

/* Match the file's header against the schema (every schema column present, nothing else). */
static int map_header(fctx *x, synth_csv_reader *rd, int f)
{
    const synth_schema *s = x->schema;
    size_t n = synth_csv_reader_ncols(rd);
    for (size_t i = 0; i < s->ncols; i++) {
        size_t j = 0;
        while (j < n && strcmp(synth_csv_reader_column_name(rd, j), s->cols[i].name) != 0)
            j++;
        if (j == n)
            return synth_err_set(x->err, SYNTH_BAD_INPUT, "%s: column '%s' is missing", x->path[f],
                                 s->cols[i].name);
        for (size_t k = 0; k < x->ncol; k++)
            if (x->col[k].sc == &s->cols[i])
                x->col[k].file_idx[f] = j;
    }
    for (size_t j = 0; j < n; j++) {
        const char *name = synth_csv_reader_column_name(rd, j);
        if (synth_schema_find(s, name) < 0)
            return synth_err_set(x->err, SYNTH_BAD_INPUT, "%s: has column '%s' that %s", x->path[f], name,
                                 f == SYN ? "the real data does not" : "is not in the schema");
    }
    return 0;
}

/* ---- the per-chunk work, spread over helper threads ------------------------------------------ */

/* Every column of a chunk is one task, then (once all are done) every pair.  Tasks touch only
 * their own column or pair (pairs read their two columns' chunk arrays), so any number of
 * threads gives the same result. */
enum { PHASE_COLUMNS = 0, PHASE_PAIRS = 1 };

typedef struct pool {
    fctx *x;
    pthread_t *thread;
    size_t nthreads;
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    uint64_t gen;               /* job number */
    size_t busy;                /* helpers still on the current job */
    int quit;
    /* the current job */
    const synth_csv_chunk *ch;
    int f, phase;
    atomic_size_t next;         /* next task */
} pool;

static void run_column(fctx *x, fcol *c, const synth_csv_chunk *ch, int f)
{
    c->rc = c->kind == KIND_NUM ? read_numeric(x, c, ch, f) : read_categorical(x, c, ch, f);
}

static void run_pair(fctx *x, fpair *p, size_t nrows, int f)
{
    if (p->corr)
        pair_corr_chunk(p, &x->col[p->a], &x->col[p->b], nrows, f);
    else
        p->rc = pair_table_chunk(p, &x->col[p->a], &x->col[p->b], nrows, f);
}

static void run_tasks(pool *pl)
{
    fctx *x = pl->x;
    size_t n = pl->phase == PHASE_COLUMNS ? x->ncol : x->npair;
    for (;;) {
        size_t i = atomic_fetch_add(&pl->next, 1);
        if (i >= n)
            return;
        if (pl->phase == PHASE_COLUMNS)
            run_column(x, &x->col[i], pl->ch, pl->f);
        else
            run_pair(x, &x->pair[i], pl->ch->nrows, pl->f);
    }
}

static void *pool_main(void *arg)
{
    pool *pl = arg;
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        while (pl->gen == seen && !pl->quit)
            pthread_cond_wait(&pl->start, &pl->mu);
        if (pl->quit) {
            pthread_mutex_unlock(&pl->mu);
            return NULL;
        }
        seen = pl->gen;
        pthread_mutex_unlock(&pl->mu);
        run_tasks(pl);
        pthread_mutex_lock(&pl->mu);
        if (--pl->busy == 0)
            pthread_cond_signal(&pl->done);
        pthread_mutex_unlock(&pl->mu);
    }
}

/* Start up to n helper threads; NULL (work in the caller's thread) when none can be had. */
static pool *pool_new(fctx *x, size_t n)
{
    if (n == 0)
        return NULL;
    pool *pl = synth_calloc(1, sizeof *pl);
    if (pl == NULL)
        return NULL;
    pl->x = x;
    pl->thread = synth_calloc(n, sizeof *pl->thread);
    if (pl->thread == NULL || pthread_mutex_init(&pl->mu, NULL) != 0) {
        synth_free(pl->thread);
        synth_free(pl);
        return NULL;
    }
    if (pthread_cond_init(&pl->start, NULL) != 0 || pthread_cond_init(&pl->done, NULL) != 0) {
        /* (a failed pthread_cond_init leaves nothing to destroy; the first one may be) */
        pthread_mutex_destroy(&pl->mu);
        synth_free(pl->thread);
        synth_free(pl);
        return NULL;
    }
    atomic_init(&pl->next, 0);
    while (pl->nthreads < n && pthread_create(&pl->thread[pl->nthreads], NULL, pool_main, pl) == 0)
        pl->nthreads++;
    return pl;
}

static void pool_free(pool *pl)
{
    if (pl == NULL)
        return;
    pthread_mutex_lock(&pl->mu);
    pl->quit = 1;
    pthread_cond_broadcast(&pl->start);
    pthread_mutex_unlock(&pl->mu);
    for (size_t i = 0; i < pl->nthreads; i++)
        pthread_join(pl->thread[i], NULL);
    pthread_cond_destroy(&pl->start);
    pthread_cond_destroy(&pl->done);
    pthread_mutex_destroy(&pl->mu);
    synth_free(pl->thread);
    synth_free(pl);
}

static void run_phase(fctx *x, const synth_csv_chunk *ch, int f, int phase)
{
    pool *pl = x->pool;
    if (pl == NULL || pl->nthreads == 0) {
        if (phase == PHASE_COLUMNS)
            for (size_t i = 0; i < x->ncol; i++)
                run_column(x, &x->col[i], ch, f);
        else
            for (size_t i = 0; i < x->npair; i++)
                run_pair(x, &x->pair[i], ch->nrows, f);
        return;
    }
    pthread_mutex_lock(&pl->mu);
    pl->ch = ch;
    pl->f = f;
    pl->phase = phase;
    atomic_store(&pl->next, 0);
    pl->busy = pl->nthreads;
    pl->gen++;
    pthread_cond_broadcast(&pl->start);
    pthread_mutex_unlock(&pl->mu);
    run_tasks(pl);
    pthread_mutex_lock(&pl->mu);
    while (pl->busy > 0)
        pthread_cond_wait(&pl->done, &pl->mu);
    pthread_mutex_unlock(&pl->mu);
}

/* All the work on one chunk.  Errors are reported as sequential processing would: the first
 * column (in schema order) that failed. */
static int process_chunk(fctx *x, const synth_csv_chunk *ch, int f)
{
    run_phase(x, ch, f, PHASE_COLUMNS);
    for (size_t i = 0; i < x->ncol; i++) {
        if (x->col[i].rc != 0) {
            *x->err = x->col[i].err;
            return x->col[i].rc;
        }
    }
    run_phase(x, ch, f, PHASE_PAIRS);
    for (size_t i = 0; i < x->npair; i++)
        if (x->pair[i].rc != 0)
            return nomem(x);
    return 0;
}

/* ---- read-ahead: a thread reads and copies the next chunk while this one is processed -------- */

typedef struct chunk_buf {
    synth_csv_chunk ch;         /* points into the arrays below */
    char *data;
    size_t data_cap;
    size_t *off;
    size_t off_cap;
    uint32_t *len;
    size_t len_cap;
    uint64_t *line;
    size_t line_cap;
    uint64_t bytes;             /* input bytes consumed after this chunk */
} chunk_buf;

typedef struct ahead {
    synth_csv_reader *rd;
    int threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    chunk_buf buf[2];
    int full[2];
    size_t take;                /* slot the consumer reads next */
    int holding;                /* the consumer holds slot (take + 1) % 2 */
    int done, rc, stop;         /* the reader's end: rc 0 (end of input) or an error in err */
    synth_err err;
} ahead;

/* p grown to hold at least need elements of size bytes (*cap updated), or NULL (p untouched). */
static void *grow_array(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    void *q = synth_reallocarray(p, n, size);
    if (q != NULL)
        *cap = n;
    return q;
}

/* Copy a chunk (compacted to stride nrows) into b.  -1 when out of memory. */
static int copy_chunk(chunk_buf *b, const synth_csv_chunk *ch)
{
    size_t cells = ch->ncols * ch->nrows;
    size_t *off = grow_array(b->off, &b->off_cap, cells, sizeof *off);
    if (off == NULL)
        return -1;
    b->off = off;
    uint32_t *len = grow_array(b->len, &b->len_cap, cells, sizeof *len);
    if (len == NULL)
        return -1;
    b->len = len;
    uint64_t *line = grow_array(b->line, &b->line_cap, ch->nrows, sizeof *line);
    if (line == NULL)
        return -1;
    b->line = line;
    size_t end = 0;
    for (size_t c = 0; c < ch->ncols; c++) {
        const size_t *so = ch->off + c * ch->cap_rows;
        const uint32_t *sl = ch->len + c * ch->cap_rows;
        size_t *d_off = off + c * ch->nrows;
        uint32_t *d_len = len + c * ch->nrows;
        for (size_t r = 0; r < ch->nrows; r++) {
            d_off[r] = so[r];
            d_len[r] = sl[r];
            if (so[r] + sl[r] + 1 > end)
                end = so[r] + sl[r] + 1;
        }
    }
    char *data = grow_array(b->data, &b->data_cap, end, 1);
    if (data == NULL)
        return -1;
    b->data = data;
    memcpy(data, ch->data, end);
    memcpy(line, ch->line, ch->nrows * sizeof *line);
    b->ch = *ch;
    b->ch.cap_rows = ch->nrows;
    b->ch.data = data;
    b->ch.off = off;
    b->ch.len = len;
    b->ch.line = line;
    return 0;
}

static void *ahead_main(void *arg)
{
    ahead *a = arg;
    for (size_t slot = 0;; slot ^= 1) {
        const synth_csv_chunk *ch;
        synth_err e;
        synth_err_clear(&e);
        int rc = synth_csv_reader_next(a->rd, &ch, &e);
        pthread_mutex_lock(&a->mu);
        while (rc == 1 && a->full[slot] && !a->stop)
            pthread_cond_wait(&a->cv, &a->mu);
        int stop = a->stop;
        pthread_mutex_unlock(&a->mu);
        if (stop)
            return NULL;
        if (rc == 1 && copy_chunk(&a->buf[slot], ch) != 0)
            rc = synth_err_set(&e, SYNTH_NOMEM, "%s: out of memory while reading",
                               synth_csv_reader_path(a->rd));
        pthread_mutex_lock(&a->mu);
        if (rc == 1) {
            a->buf[slot].bytes = synth_csv_reader_stats(a->rd)->bytes;
            a->full[slot] = 1;
        } else {
            a->done = 1;
            a->rc = rc;
            a->err = e;
        }
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
        if (rc != 1)
            return NULL;
    }
}

/* Start reading ahead (or, when no thread can be started, read in the caller's thread). */
static void ahead_start(ahead *a, synth_csv_reader *rd)
{
    memset(a, 0, sizeof *a);
    a->rd = rd;
    if (pthread_mutex_init(&a->mu, NULL) != 0)
        return;
    if (pthread_cond_init(&a->cv, NULL) != 0) {
        pthread_mutex_destroy(&a->mu);
        return;
    }
    if (pthread_create(&a->thread, NULL, ahead_main, a) != 0) {
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        return;
    }
    a->threaded = 1;
}

/* Like synth_csv_reader_next; *bytes gets the input consumed so far.  The chunk stays valid until
 * the next call. */
static int ahead_next(ahead *a, const synth_csv_chunk **ch, uint64_t *bytes, synth_err *err)
{
    if (!a->threaded) {
        int rc = synth_csv_reader_next(a->rd, ch, err);
        *bytes = synth_csv_reader_stats(a->rd)->bytes;
        return rc;
    }
    pthread_mutex_lock(&a->mu);
    if (a->holding) {
        a->full[a->take ^ 1] = 0;
        a->holding = 0;
        pthread_cond_broadcast(&a->cv);
    }
    while (!a->full[a->take] && !a->done)
        pthread_cond_wait(&a->cv, &a->mu);
    int rc;
    if (a->full[a->take]) {
        *ch = &a->buf[a->take].ch;
        *bytes = a->buf[a->take].bytes;
        a->take ^= 1;
        a->holding = 1;
        rc = 1;
    } else {
        *ch = NULL;
        rc = a->rc;
        if (rc < 0 && err != NULL)
            *err = a->err;
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static void ahead_stop(ahead *a)
{
    if (a->threaded) {
        pthread_mutex_lock(&a->mu);
        a->stop = 1;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
    }
    for (int i = 0; i < 2; i++) {
        synth_free(a->buf[i].data);
        synth_free(a->buf[i].off);
        synth_free(a->buf[i].len);
        synth_free(a->buf[i].line);
    }
    memset(a, 0, sizeof *a);
}

static int read_file(fctx *x, int f)
{
    synth_csv_reader *rd = NULL;
    int rc = synth_csv_reader_open(&rd, x->path[f], &x->opt.csv, x->err);
    if (rc)
        return rc;
    synth_progress *progress = NULL;
    ahead rda;
    int started = 0;
    if ((rc = map_header(x, rd, f)) != 0)
        goto done;
    struct stat sb;
    uint64_t total = (strcmp(x->path[f], "-") != 0 && stat(x->path[f], &sb) == 0 && S_ISREG(sb.st_mode))
                         ? (uint64_t)sb.st_size : 0;
    progress = synth_progress_new(f == REAL ? "reading real data" : "reading synthetic data", "bytes", total,
                                  x->opt.progress, stderr);
    ahead_start(&rda, rd);
    started = 1;
    const synth_csv_chunk *ch;
    uint64_t bytes = 0;
    while ((rc = ahead_next(&rda, &ch, &bytes, x->err)) == 1) {
        if ((rc = ensure_scratch(x, ch->nrows)) != 0 || (rc = process_chunk(x, ch, f)) != 0)
            goto done;
        x->rows[f] += ch->nrows;
        if (synth_signals_interrupted()) {
            rc = synth_err_set(x->err, SYNTH_INTERRUPTED, "%s: interrupted", x->path[f]);
            goto done;
        }
        if (progress != NULL)
            synth_progress_update(progress, bytes);
    }
    if (rc == 0 && x->rows[f] == 0)
        rc = synth_err_set(x->err, SYNTH_BAD_INPUT, "%s: no data rows (only a header)", x->path[f]);
done:
    if (started)
        ahead_stop(&rda);
    synth_progress_finish(progress);
    synth_csv_reader_free(rd);
    return rc;
}

/* ---- setup ---------------------------------------------------------------------------------- */

static size_t code_dim(const fctx *x, const fcol *c)
{
    return c->kind == KIND_NUM ? x->opt.pair_bins + 1 : c->kpair + 1;
}

/* Zero every accumulator and size the pair tables for a (new) pass over the real file. */
static int begin_pass(fctx *x)
{
    x->rows[REAL] = x->rows[SYN] = 0;
    for (size_t i = 0; i < x->ncol; i++) {
        fcol *c = &x->col[i];
        for (int f = 0; f < 2; f++) {
            c->nonnull[f] = c->nulls[f] = 0;
            c->mn[f] = c->mx[f] = NAN;
        }
        if (c->kind == KIND_NUM) {
            set_edges(x, c);
            for (int f = 0; f < 2; f++)
                memset(c->hist[f], 0, x->opt.histogram_bins * sizeof *c->hist[f]);
            cmap_free(&c->vals);
            if (!c->sketched && !c->want_sketch && cmap_init(&c->vals, 1024))
                return nomem(x);
        } else {
            for (int f = 0; f < 2; f++)
                if (c->cnt[f] != NULL)
                    memset(c->cnt[f], 0, c->cnt_alloc * sizeof *c->cnt[f]);
        }
    }
    for (size_t i = 0; i < x->npair; i++) {
        fpair *p = &x->pair[i];
        memset(p->mom, 0, sizeof p->mom);
        p->unseen[0] = p->unseen[1] = 0;
        for (int f = 0; f < 2; f++) {
            synth_free(p->tab[f]);
            p->tab[f] = NULL;
        }
        cmap_free(&p->sparse);
        if (p->corr)
            continue;
        p->da = code_dim(x, &x->col[p->a]);
        p->db = code_dim(x, &x->col[p->b]);
        if (p->da * p->db <= DENSE_MAX_CELLS) {
            p->lanes = p->da * p->db <= LANES_MAX_CELLS ? LANES : 1;
            for (int f = 0; f < 2; f++)
                if ((p->tab[f] = synth_calloc(p->da * p->db * p->lanes, sizeof *p->tab[f])) == NULL)
                    return nomem(x);
        } else if (cmap_init(&p->sparse, 1024)) {
            return nomem(x);
        }
    }
    return 0;
}

static int setup(fctx *x)
{
    const synth_schema *s = x->schema;
    x->col = synth_calloc(s->ncols ? s->ncols : 1, sizeof *x->col);
    x->skipped = synth_calloc(s->ncols ? s->ncols : 1, sizeof *x->skipped);
    if (x->col == NULL || x->skipped == NULL)
        return nomem(x);
    for (size_t i = 0; i < s->ncols; i++) {
        const synth_column *sc = &s->cols[i];
        int kind = 0;
        switch (sc->type) {
        case SYNTH_COL_INTEGER:
        case SYNTH_COL_FLOAT:
        case SYNTH_COL_DATETIME:
            kind = KIND_NUM;
            break;
        case SYNTH_COL_CATEGORICAL:
        case SYNTH_COL_BOOLEAN:
            kind = KIND_CAT;
            break;
        default:
            x->skipped[x->nskipped++] = i;
            continue;
        }
        fcol *c = &x->col[x->ncol];
        c->rng = 0x5EEDF1DE11717ULL * (x->ncol + 1);
        x->ncol++;
        c->sc = sc;
        c->kind = kind;
        c->null_len = sc->null_token != NULL ? strlen(sc->null_token) : 0;
        if (kind == KIND_NUM) {
            c->range_known = isfinite(sc->min) && isfinite(sc->max) && sc->min <= sc->max;
            c->lo = sc->min;
            c->hi = sc->max;
            c->pedge = synth_malloc((x->opt.pair_bins + 1) * sizeof *c->pedge);
            c->hedge = synth_malloc((x->opt.histogram_bins + 1) * sizeof *c->hedge);
            for (int f = 0; f < 2; f++)
                c->hist[f] = synth_calloc(x->opt.histogram_bins, sizeof *c->hist[f]);
            if (c->pedge == NULL || c->hedge == NULL || c->hist[0] == NULL || c->hist[1] == NULL)
                return nomem(x);
        } else {
            for (size_t k = 0; k < sc->ncategories; k++) {
                const char *v = sc->categories[k].value;
                size_t len = strlen(v);
                uint64_t h = str_hash(v, len);
                if (smap_find(&c->cats, v, len, h) >= 0)
                    continue;
                if (smap_insert(&c->cats, v, len, h) < 0)
                    return nomem(x);
                c->nreal++;
            }
            if (grow_counts(c))
                return nomem(x);
            c->kpair = c->nreal;
        }
    }
    size_t np = x->ncol * (x->ncol ? x->ncol - 1 : 0) / 2;
    x->pair = synth_calloc(np ? np : 1, sizeof *x->pair);
    if (x->pair == NULL)
        return nomem(x);
    for (size_t a = 0; a < x->ncol; a++) {
        for (size_t b = a + 1; b < x->ncol; b++) {
            fpair *p = &x->pair[x->npair++];
            p->a = a;
            p->b = b;
            p->corr = x->col[a].kind == KIND_NUM && x->col[b].kind == KIND_NUM;
        }
    }
    return 0;
}

/* After a real pass: does it have to be read again with what it showed? */
static int real_pass_stale(const fctx *x)
{
    for (size_t i = 0; i < x->ncol; i++) {
        const fcol *c = &x->col[i];
        if (c->kind == KIND_NUM) {
            if (c->want_sketch)
                return 1;
            if (c->nonnull[REAL] > 0 && (!c->range_known || c->lo != c->mn[REAL] || c->hi != c->mx[REAL]))
                return 1;
        } else if (c->nreal != c->kpair) {
            return 1;
        }
    }
    return 0;
}

static int prepare_rerun(fctx *x)
{
    for (size_t i = 0; i < x->ncol; i++) {
        fcol *c = &x->col[i];
        if (c->kind == KIND_NUM) {
            if (c->nonnull[REAL] > 0) {
                c->range_known = 1;
                c->lo = c->mn[REAL];
                c->hi = c->mx[REAL];
            }
            if (c->want_sketch) {
                if (sketch_from_reservoir(x, c))
                    return nomem(x);
                c->want_sketch = 0;
            }
        } else {
            c->kpair = c->nreal;
        }
    }
    return 0;
}

static void release_reservoirs(fctx *x)
{
    for (size_t i = 0; i < x->ncol; i++) {
        synth_free(x->col[i].res);
        x->col[i].res = NULL;
    }
}

static void ctx_free(fctx *x)
{
    for (size_t i = 0; i < x->ncol; i++) {
        fcol *c = &x->col[i];
        synth_free(c->val);
        synth_free(c->code);
        synth_free(c->pedge);
        synth_free(c->hedge);
        cmap_free(&c->vals);
        synth_free(c->sk_edge);
        synth_free(c->res);
        smap_free(&c->cats);
        for (int f = 0; f < 2; f++) {
            synth_free(c->hist[f]);
            synth_free(c->sk_bin[f]);
            synth_free(c->sk_eq[f]);
            synth_free(c->cnt[f]);
        }
    }
    for (size_t i = 0; i < x->npair; i++) {
        for (int f = 0; f < 2; f++)
            synth_free(x->pair[i].tab[f]);
        cmap_free(&x->pair[i].sparse);
    }
    synth_free(x->col);
    synth_free(x->skipped);
    synth_free(x->pair);
}

/* ---- scores --------------------------------------------------------------------------------- */

typedef struct ks_result {
    double score;
    double bound;               /* sketch only: how much 1 - score may exceed the exact value */
} ks_result;

static int ks_score(fctx *x, const fcol *c, ks_result *out)
{
    double R = (double)c->nonnull[REAL], S = (double)c->nonnull[SYN];
    out->score = NAN;
    out->bound = 0;
    if (c->nonnull[REAL] == 0 || c->nonnull[SYN] == 0)
        return 0;
    double d = 0;
    if (c->sketched) {
        uint64_t cr = 0, cs = 0;
        double bound = 0;
        for (size_t i = 0; i <= c->sk_m; i++) {
            double inr = (double)(c->sk_bin[REAL][i] - c->sk_eq[REAL][i]) / R;
            double ins = (double)(c->sk_bin[SYN][i] - c->sk_eq[SYN][i]) / S;
            bound = fmax(bound, fmax(inr, ins));
            cr += c->sk_bin[REAL][i];
            cs += c->sk_bin[SYN][i];
            d = fmax(d, fabs((double)cr / R - (double)cs / S));
        }
        out->bound = bound;
    } else {
        size_t n;
        wval *w = sorted_values(&c->vals, &n);
        if (w == NULL)
            return nomem(x);
        uint64_t cr = 0, cs = 0;
        for (size_t i = 0; i < n; i++) {
            cr += w[i].n[REAL];
            cs += w[i].n[SYN];
            d = fmax(d, fabs((double)cr / R - (double)cs / S));
        }
        synth_free(w);
    }
    out->score = 1.0 - d;
    return 0;
}

static double tv_score(const fcol *c)
{
    if (c->nonnull[REAL] == 0 || c->nonnull[SYN] == 0)
        return NAN;
    size_t unseen = c->pooled > 0;
    for (size_t id = 0; id < c->cats.n; id++)
        if (c->cnt[REAL][id] == 0 && c->cnt[SYN][id] > 0)
            unseen++;
    double S = (double)c->nonnull[SYN];
    double T = (double)c->nonnull[REAL] + (double)unseen * TV_REGULARISATION;
    double tv = 0;
    for (size_t id = 0; id < c->cats.n; id++) {
        double s = (double)c->cnt[SYN][id] / S;
        if (c->cnt[REAL][id] > 0)
            tv += fabs(s - (double)c->cnt[REAL][id] / T);
        else if (c->cnt[SYN][id] > 0)
            tv += fabs(s - TV_REGULARISATION / T);
    }
    if (c->pooled > 0)
        tv += fabs((double)c->pooled / S - TV_REGULARISATION / T);
    return 1.0 - 0.5 * tv;
}

static double pearson(const moments *m)
{
    if (m->n < 2 || m->m2a <= 0 || m->m2b <= 0)
        return NAN;
    double r = m->cab / sqrt(m->m2a * m->m2b);
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

static double contingency_score(const fctx *x, const fpair *p)
{
    double R = (double)x->rows[REAL], S = (double)x->rows[SYN];
    double sum = (double)p->unseen[SYN] / S + (double)p->unseen[REAL] / R;
    if (p->tab[REAL] != NULL) {
        size_t n = p->da * p->db, L = p->lanes;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = 0, s = 0;
            for (size_t l = 0; l < L; l++) {
                r += p->tab[REAL][i * L + l];
                s += p->tab[SYN][i * L + l];
            }
            sum += fabs((double)r / R - (double)s / S);
        }
    } else {
        for (size_t i = 0; i <= p->sparse.mask; i++) {
            const cmap_entry *e = &p->sparse.e[i];
            if (!cmap_empty(e))
                sum += fabs((double)e->n[REAL] / R - (double)e->n[SYN] / S);
        }
    }
    return 1.0 - 0.5 * sum;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int jset(json_t *o, const char *key, json_t *v)
{
    return v == NULL ? -1 : json_object_set_new(o, key, v);
}

static int jpush(json_t *a, json_t *v)
{
    return v == NULL ? -1 : json_array_append_new(a, v);
}

static double share(uint64_t n, uint64_t total)
{
    return total ? (double)n / (double)total : 0.0;
}

static json_t *numeric_histogram(const fctx *x, const fcol *c)
{
    if (c->nonnull[REAL] == 0)
        return json_null();
    json_t *h = json_object(), *e = json_array(), *r = json_array(), *s = json_array();
    int bad = h == NULL || e == NULL || r == NULL || s == NULL;
    for (size_t i = 0; !bad && i <= x->opt.histogram_bins; i++)
        bad |= jpush(e, json_real(c->hedge[i]));
    for (size_t i = 0; !bad && i < x->opt.histogram_bins; i++) {
        bad |= jpush(r, json_real(share(c->hist[REAL][i], c->nonnull[REAL])));
        bad |= jpush(s, json_real(share(c->hist[SYN][i], c->nonnull[SYN])));
    }
    if (h != NULL) {
        bad |= jset(h, "edges", e);
        bad |= jset(h, "real", r);
        bad |= jset(h, "synthetic", s);
    } else {
        json_decref(e);
        json_decref(r);
        json_decref(s);
    }
    if (bad) {
        json_decref(h);
        return NULL;
    }
    return h;
}

typedef struct id_count {
    size_t id;
    uint64_t n;
} id_count;

static int cmp_id_count(const void *a, const void *b)
{
    const id_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

static json_t *categorical_histogram(const fctx *x, const fcol *c)
{
    if (c->nonnull[REAL] == 0)
        return json_null();
    size_t n = 0;
    id_count *order = synth_malloc((c->cats.n ? c->cats.n : 1) * sizeof *order);
    if (order == NULL)
        return NULL;
    for (size_t id = 0; id < c->cats.n; id++)
        if (c->cnt[REAL][id] > 0)
            order[n++] = (id_count){id, c->cnt[REAL][id]};
    qsort(order, n, sizeof *order, cmp_id_count);
    size_t shown = n < x->opt.max_histogram_categories ? n : x->opt.max_histogram_categories;
    uint64_t rest[2] = {c->nonnull[REAL], c->nonnull[SYN]};
    json_t *h = json_object(), *k = json_array(), *r = json_array(), *s = json_array();
    int bad = h == NULL || k == NULL || r == NULL || s == NULL;
    for (size_t i = 0; !bad && i < shown; i++) {
        size_t id = order[i].id;
        bad |= jpush(k, json_stringn(c->cats.name[id], c->cats.len[id]));
        bad |= jpush(r, json_real(share(c->cnt[REAL][id], c->nonnull[REAL])));
        bad |= jpush(s, json_real(share(c->cnt[SYN][id], c->nonnull[SYN])));
        rest[REAL] -= c->cnt[REAL][id];
        rest[SYN] -= c->cnt[SYN][id];
    }
    if (!bad && (rest[REAL] > 0 || rest[SYN] > 0)) {
        bad |= jpush(k, json_string("(other)"));
        bad |= jpush(r, json_real(share(rest[REAL], c->nonnull[REAL])));
        bad |= jpush(s, json_real(share(rest[SYN], c->nonnull[SYN])));
    }
    synth_free(order);
    if (h != NULL) {
        bad |= jset(h, "categories", k);
        bad |= jset(h, "real", r);
        bad |= jset(h, "synthetic", s);
    } else {
        json_decref(k);
        json_decref(r);
        json_decref(s);
    }
    if (bad) {
        json_decref(h);
        return NULL;
    }
    return h;
}

static json_t *pair_names(const fcol *a, const fcol *b)
{
    json_t *n = json_array();
    if (n == NULL)
        return NULL;
    if (jpush(n, json_string(a->sc->name)) || jpush(n, json_string(b->sc->name))) {
        json_decref(n);
        return NULL;
    }
    return n;
}

/* Running mean that skips undefined values; NAN when there are none. */
typedef struct avg {
    double sum;
    size_t n;
} avg;

static void avg_add(avg *a, double v)
{
    if (!isnan(v)) {
        a->sum += v;
        a->n++;
    }
}

static double avg_get(const avg *a)
{
    return a->n ? a->sum / (double)a->n : NAN;
}

static int add_note(json_t *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_note(json_t *notes, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return jpush(notes, json_string(buf));
}

/* Append ", name" for a column to a bounded list text. */
static void list_add(char *buf, size_t size, const char *name)
{
    size_t len = strlen(buf);
    if (len + 8 >= size)
        return;
    int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", name);
    if (n < 0 || (size_t)n >= size - len)
        snprintf(buf + size - 5, 5, "...");
}

static int build_json(fctx *x, json_t **out)
{
    json_t *root = json_object(), *cols = json_array(), *pairs = json_array(), *notes = json_array();
    json_t *skipped = json_array();
    int bad = root == NULL || cols == NULL || pairs == NULL || notes == NULL || skipped == NULL;
    if (bad) {
        json_decref(root);
        json_decref(cols);
        json_decref(pairs);
        json_decref(notes);
        json_decref(skipped);
        return nomem(x);
    }
    bad |= jset(root, "columns", cols);
    bad |= jset(root, "pairs", pairs);
    bad |= jset(root, "skipped", skipped);
    bad |= jset(root, "notes", notes);
    if (bad) {
        json_decref(root);
        return nomem(x);
    }

    avg shapes = {0}, trends = {0};
    char sketched_names[512] = "";
    double worst_bound = 0;
    size_t nsketched = 0, npooled = 0, nundef = 0;
    for (size_t i = 0; i < x->ncol && !bad; i++) {
        fcol *c = &x->col[i];
        json_t *o = json_object();
        if (jpush(cols, o)) {
            bad = 1;
            break;
        }
        double score;
        bad |= jset(o, "column", json_string(c->sc->name));
        bad |= jset(o, "type", json_string(synth_col_type_name(c->sc->type)));
        if (c->kind == KIND_NUM) {
            ks_result ks;
            int rc = ks_score(x, c, &ks);
            if (rc) {
                json_decref(root);
                return rc;
            }
            score = ks.score;
            bad |= jset(o, "kind", json_string("numeric"));
            bad |= jset(o, "metric", json_string("KSComplement"));
            bad |= jset(o, "score", jnum(score));
            if (c->sketched) {
                json_t *k = json_object();
                if (jset(o, "ks_sketch", k) == 0) {
                    bad |= jset(k, "bins", json_integer((json_int_t)c->sk_m + 1));
                    bad |= jset(k, "error_bound", json_real(ks.bound));
                } else {
                    bad = 1;
                }
                list_add(sketched_names, sizeof sketched_names, c->sc->name);
                worst_bound = fmax(worst_bound, ks.bound);
                nsketched++;
            }
            bad |= jset(o, "histogram", numeric_histogram(x, c));
        } else {
            score = tv_score(c);
            bad |= jset(o, "kind", json_string("categorical"));
            bad |= jset(o, "metric", json_string("TVComplement"));
            bad |= jset(o, "score", jnum(score));
            bad |= jset(o, "histogram", categorical_histogram(x, c));
            npooled += c->pooled > 0;
        }
        json_t *nl = json_object();
        if (jset(o, "nulls", nl) == 0) {
            bad |= jset(nl, "real", json_real(share(c->nulls[REAL], x->rows[REAL])));
            bad |= jset(nl, "synthetic", json_real(share(c->nulls[SYN], x->rows[SYN])));
        } else {
            bad = 1;
        }
        nundef += isnan(score);
        avg_add(&shapes, score);
    }

    /* correlation matrix of the numeric columns */
    size_t nnum = 0;
    for (size_t i = 0; i < x->ncol; i++)
        nnum += x->col[i].kind == KIND_NUM;
    size_t *numidx = synth_calloc(x->ncol ? x->ncol : 1, sizeof *numidx);
    double *corr[2] = {synth_calloc(nnum * nnum + 1, sizeof(double)), synth_calloc(nnum * nnum + 1, sizeof(double))};
    if (numidx == NULL || corr[0] == NULL || corr[1] == NULL)
        bad = 1;
    for (size_t i = 0, k = 0; !bad && i < x->ncol; i++)
        if (x->col[i].kind == KIND_NUM)
            numidx[i] = k++;
    for (size_t k = 0; !bad && k < nnum * nnum; k++)
        corr[0][k] = corr[1][k] = NAN;
    for (size_t i = 0; !bad && i < x->ncol; i++) {
        const fcol *c = &x->col[i];
        if (c->kind != KIND_NUM)
            continue;
        size_t k = numidx[i];
        for (int f = 0; f < 2; f++)
            corr[f][k * nnum + k] = c->nonnull[f] > 0 && c->mn[f] < c->mx[f] ? 1.0 : NAN;
    }

    for (size_t i = 0; i < x->npair && !bad; i++) {
        fpair *p = &x->pair[i];
        const fcol *a = &x->col[p->a], *b = &x->col[p->b];
        json_t *o = json_object();
        if (jpush(pairs, o)) {
            bad = 1;
            break;
        }
        bad |= jset(o, "columns", pair_names(a, b));
        double score;
        if (p->corr) {
            double rr = pearson(&p->mom[REAL]), rs = pearson(&p->mom[SYN]);
            score = isnan(rr) || isnan(rs) ? NAN : 1.0 - fabs(rr - rs) / 2.0;
            bad |= jset(o, "metric", json_string("CorrelationSimilarity"));
            bad |= jset(o, "score", jnum(score));
            bad |= jset(o, "real", jnum(rr));
            bad |= jset(o, "synthetic", jnum(rs));
            size_t ka = numidx[p->a], kb = numidx[p->b];
            corr[REAL][ka * nnum + kb] = corr[REAL][kb * nnum + ka] = rr;
            corr[SYN][ka * nnum + kb] = corr[SYN][kb * nnum + ka] = rs;
        } else {
            score = contingency_score(x, p);
            bad |= jset(o, "metric", json_string("ContingencySimilarity"));
            bad |= jset(o, "score", jnum(score));
        }
        nundef += isnan(score);
        avg_add(&trends, score);
    }

    json_t *cm = json_object(), *cn = json_array(), *mr = json_array(), *ms = json_array();
    if (cm == NULL || cn == NULL || mr == NULL || ms == NULL || jset(root, "correlation", cm)) {
        json_decref(cm);
        bad = 1;
    } else {
        bad |= jset(cm, "columns", cn);
        bad |= jset(cm, "real", mr);
        bad |= jset(cm, "synthetic", ms);
        cn = mr = ms = NULL;
    }
    json_decref(cn);
    json_decref(mr);
    json_decref(ms);
    if (!bad) {
        json_t *names = json_object_get(cm, "columns");
        json_t *mat[2] = {json_object_get(cm, "real"), json_object_get(cm, "synthetic")};
        for (size_t i = 0; !bad && i < x->ncol; i++)
            if (x->col[i].kind == KIND_NUM)
                bad |= jpush(names, json_string(x->col[i].sc->name));
        for (int f = 0; f < 2 && !bad; f++) {
            for (size_t r = 0; r < nnum && !bad; r++) {
                json_t *row = json_array();
                bad |= jpush(mat[f], row);
                for (size_t k = 0; k < nnum && !bad; k++)
                    bad |= jpush(row, jnum(corr[f][r * nnum + k]));
            }
        }
    }
    synth_free(numidx);
    synth_free(corr[0]);
    synth_free(corr[1]);

    double cs = avg_get(&shapes), pt = avg_get(&trends);
    avg overall = {0};
    avg_add(&overall, cs);
    avg_add(&overall, pt);
    bad |= jset(root, "overall", jnum(avg_get(&overall)));
    bad |= jset(root, "column_shapes", jnum(cs));
    bad |= jset(root, "column_pair_trends", jnum(pt));
    json_t *rows = json_object();
    if (jset(root, "rows", rows) == 0) {
        bad |= jset(rows, "real", json_integer((json_int_t)x->rows[REAL]));
        bad |= jset(rows, "synthetic", json_integer((json_int_t)x->rows[SYN]));
    } else {
        bad = 1;
    }

    char skipped_names[512] = "";
    for (size_t i = 0; i < x->nskipped && !bad; i++) {
        const synth_column *sc = &x->schema->cols[x->skipped[i]];
        json_t *o = json_object();
        bad |= jpush(skipped, o);
        if (!bad) {
            bad |= jset(o, "column", json_string(sc->name));
            bad |= jset(o, "type", json_string(synth_col_type_name(sc->type)));
        }
        list_add(skipped_names, sizeof skipped_names, sc->name);
    }

    bad |= add_note(notes, "Scores follow SDMetrics' QualityReport: overall = mean of Column Shapes and Column "
                           "Pair Trends, each the mean over its columns or column pairs.");
    bad |= add_note(notes, "nulls: KSComplement (numeric, datetime) and TVComplement (categorical, boolean) "
                           "ignore nulls; CorrelationSimilarity uses the rows where both values are present; "
                           "ContingencySimilarity counts a null as a category of its own.");
    bad |= add_note(notes, "ContingencySimilarity cuts numeric columns into %zu equal-width bins over the real "
                           "data's range; the end bins are open, so synthetic values outside that range fall "
                           "into them.",
                    x->opt.pair_bins);
    bad |= add_note(notes, "Categories found only in the synthetic data count as categories of their own "
                           "(real share 0), lowering TVComplement and ContingencySimilarity.");
    if (x->nskipped > 0)
        bad |= add_note(notes, "Not compared (id and text columns, as SDMetrics skips them): %s.", skipped_names);
    if (nundef > 0)
        bad |= add_note(notes, "%zu score%s undefined (a column empty or constant in one of the files) and left "
                               "out of the averages.",
                        nundef, nundef == 1 ? " is" : "s are");
    if (nsketched > 0)
        bad |= add_note(notes, "numeric columns with more than %zu distinct values (%s): KS computed on a "
                               "%zu-bin sketch with edges at real and synthetic quantiles; it can only "
                               "underestimate the exact statistic, by at most the largest share inside one "
                               "bin (here at most %.2g).",
                        x->opt.max_exact_values, sketched_names, x->opt.sketch_bins, worst_bound);
    if (x->real_passes > 1)
        bad |= add_note(notes, "The real file was read twice: its ranges or categories differ from the schema's, "
                               "or a numeric column of it has more than %zu distinct values.",
                        x->opt.max_exact_values);
    if (npooled > 0)
        bad |= add_note(notes, "%zu categorical column%s more than %zu synthetic-only categories; the rest were "
                               "pooled into one (TVComplement changes by less than 1e-6 per pooled category).",
                        npooled, npooled == 1 ? " has" : "s have", x->opt.max_unseen_categories);
    if (bad) {
        json_decref(root);
        return nomem(x);
    }
    *out = root;
    return 0;
}

/* ---- entry point ---------------------------------------------------------------------------- */

int synth_fidelity_compute(const synth_schema *real_schema, const char *real_path,
                           const char *synthetic_path, const synth_fidelity_options *opt,
                           json_t **out, synth_err *err)
{
    *out = NULL;
    fctx x;
    memset(&x, 0, sizeof x);
    if (opt != NULL)
        x.opt = *opt;
    else
        synth_fidelity_options_init(&x.opt);
    x.schema = real_schema;
    x.path[REAL] = real_path;
    x.path[SYN] = synthetic_path;
    x.err = err;
    if (x.opt.max_exact_values < 1 || x.opt.sketch_bins < 2 || x.opt.pair_bins < 1 ||
        x.opt.histogram_bins < 1 || x.opt.pair_bins > UINT32_MAX / 2)
        return synth_err_set(err, SYNTH_USAGE,
                             "fidelity: max_exact_values, pair_bins and histogram_bins must be at least 1, "
                             "sketch_bins at least 2");
    int rc = setup(&x);
    if (rc == 0) {
        size_t threads = x.opt.threads;
        if (threads == 0) {
            long cpus = sysconf(_SC_NPROCESSORS_ONLN);
            threads = cpus > 2 ? (size_t)cpus - 1 : 1;      /* one CPU for the read-ahead thread */
            if (threads > AUTO_THREADS_MAX)
                threads = AUTO_THREADS_MAX;
        }
        x.pool = pool_new(&x, threads - 1);
    }
    x.first_real_pass = 1;
    for (int attempt = 0; rc == 0; attempt++) {
        if ((rc = begin_pass(&x)) != 0 || (rc = read_file(&x, REAL)) != 0)
            break;
        x.real_passes++;
        x.first_real_pass = 0;
        if (attempt > 0 || !real_pass_stale(&x))
            break;
        if (strcmp(real_path, "-") == 0) {
            rc = synth_err_set(err, SYNTH_BAD_INPUT,
                               "%s: the real data differs from its schema (ranges, categories) or has a column "
                               "with more than %zu distinct values, so it must be read twice: give it as a "
                               "file, not on stdin",
                               real_path, x.opt.max_exact_values);
            break;
        }
        rc = prepare_rerun(&x);
    }
    release_reservoirs(&x);
    if (rc == 0) {
        /* A numeric column without real values: numpy bins an empty array on 0..1. */
        for (size_t i = 0; i < x.ncol; i++) {
            fcol *c = &x.col[i];
            if (c->kind == KIND_NUM && c->nonnull[REAL] == 0) {
                c->range_known = 0;
                set_edges(&x, c);
            }
        }
        rc = read_file(&x, SYN);
    }
    pool_free(x.pool);
    x.pool = NULL;
    if (rc == 0)
        rc = build_json(&x, out);
    ctx_free(&x);
    return rc;
}
