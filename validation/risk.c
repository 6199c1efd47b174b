/* risk.c -- distance to closest record and membership inference; see risk.h.
 *
 * Layout of the work: the synthetic rows S are cut into blocks of block_rows rows, handed out to
 * the worker threads through an atomic counter.  The reference rows are up to three segments:
 * the training rows set apart as the comparison subset (T1), the other training rows (T2) and the
 * holdout (H).  For each block and each tile of block_cols rows of a segment, one sgemm gives
 * -2 S.R^T and a SIMD pass folds it into
 *   - per synthetic row i: min_j (||r_j||^2 - 2 s_i.r_j) and its argmin (per segment), and
 *   - per reference row j of T1 and H (only with a holdout): min_i (||s_i||^2 - 2 s_i.r_j) and its
 *     argmin, in the worker's own arrays, merged after the join.
 * Ties keep the lowest index, so the chosen neighbours do not depend on the thread count.  Then
 * each distance is recomputed exactly (double) between the row and its chosen neighbour, and rows
 * found identical by a hash set get distance 0. */
#include "risk.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "rng.h"
#include "signals.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define RISK_X86 1
#else
#define RISK_X86 0
#endif

#define RISK_DEFAULT_MAX_ROWS 100000
#define RISK_DEFAULT_BINS 20
#define RISK_DEFAULT_BLOCK_ROWS 1024
#define RISK_DEFAULT_BLOCK_COLS 256
#define RISK_MAX_THREADS 16
#define RISK_MAX_ROWS ((size_t)INT32_MAX)
#define RISK_STREAM 0x5249534bu /* "RISK": the rng stream of the sampling */
#define NO_ARG UINT32_MAX

static const char RISK_ENCODING[] = "numeric min-max scaled to [0,1] on the real data, categoricals one-hot";

void synth_risk_options_init(synth_risk_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->max_synthetic = RISK_DEFAULT_MAX_ROWS;
    opt->max_reference = RISK_DEFAULT_MAX_ROWS;
    opt->histogram_bins = RISK_DEFAULT_BINS;
}

/* ---- tile reduction kernels ----------------------------------------------------------------------- */

/* tile: mb x nb products -2 s_i.r_j (row stride ld); anorm: the mb synthetic norms; bnorm: the nb
 * reference norms; rbest/rarg: the mb running row minima (rarg: col0 + j); cbest/carg: the nb
 * running column minima (carg: row0 + i), or NULL. */
typedef void (*reduce_fn)(const float *tile, size_t ld, size_t mb, size_t nb, const float *anorm,
                          const float *bnorm, float *rbest, uint32_t *rarg, uint32_t col0, float *cbest,
                          uint32_t *carg, uint32_t row0);

static inline void col_scalar(const float *c, size_t from, size_t nb, float a, uint32_t gi, float *cbest,
                              uint32_t *carg)
{
    for (size_t j = from; j < nb; j++) {
        float u = c[j] + a;
        if (u < cbest[j]) {
            cbest[j] = u;
            carg[j] = gi;
        }
    }
}

static inline float rowmin_scalar(const float *c, const float *bnorm, size_t from, size_t nb, float m)
{
    for (size_t j = from; j < nb; j++) {
        float t = c[j] + bnorm[j];
        m = t < m ? t : m;
    }
    return m;
}

/* First j >= from with c[j] + bnorm[j] == m (the same float sum as the minimum, so it exists). */
static inline size_t first_eq_scalar(const float *c, const float *bnorm, size_t from, size_t nb, float m)
{
    for (size_t j = from; j < nb; j++)
        if (c[j] + bnorm[j] == m)
            return j;
    return nb;
}

static void reduce_scalar(const float *tile, size_t ld, size_t mb, size_t nb, const float *anorm,
                          const float *bnorm, float *rbest, uint32_t *rarg, uint32_t col0, float *cbest,
                          uint32_t *carg, uint32_t row0)
{
    for (size_t i = 0; i < mb; i++) {
        const float *c = tile + i * ld;
        float m = rowmin_scalar(c, bnorm, 0, nb, INFINITY);
        if (m < rbest[i]) {
            rbest[i] = m;
            rarg[i] = col0 + (uint32_t)first_eq_scalar(c, bnorm, 0, nb, m);
        }
        if (cbest != NULL)
            col_scalar(c, 0, nb, anorm[i], row0 + (uint32_t)i, cbest, carg);
    }
}

#if RISK_X86
__attribute__((target("avx2"))) static inline float hmin256(__m256 v)
{
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

__attribute__((target("avx2"))) static void reduce_avx2(const float *tile, size_t ld, size_t mb, size_t nb,
                                                        const float *anorm, const float *bnorm, float *rbest,
                                                        uint32_t *rarg, uint32_t col0, float *cbest,
                                                        uint32_t *carg, uint32_t row0)
{
    size_t nv = nb & ~(size_t)7;
    for (size_t i = 0; i < mb; i++) {
        const float *c = tile + i * ld;
        __m256 vmin = _mm256_set1_ps(INFINITY);
        if (cbest != NULL) {
            __m256 va = _mm256_set1_ps(anorm[i]);
            __m256i vi = _mm256_set1_epi32((int)(row0 + (uint32_t)i));
            for (size_t j = 0; j < nv; j += 8) {
                __m256 v = _mm256_loadu_ps(c + j);
                vmin = _mm256_min_ps(vmin, _mm256_add_ps(v, _mm256_loadu_ps(bnorm + j)));
                __m256 u = _mm256_add_ps(v, va);
                __m256 cb = _mm256_loadu_ps(cbest + j);
                __m256 lt = _mm256_cmp_ps(u, cb, _CMP_LT_OQ);
                _mm256_storeu_ps(cbest + j, _mm256_blendv_ps(cb, u, lt));
                __m256i ca = _mm256_loadu_si256((const __m256i *)(carg + j));
                _mm256_storeu_si256((__m256i *)(carg + j), _mm256_blendv_epi8(ca, vi, _mm256_castps_si256(lt)));
            }
            col_scalar(c, nv, nb, anorm[i], row0 + (uint32_t)i, cbest, carg);
        } else {
            for (size_t j = 0; j < nv; j += 8)
                vmin = _mm256_min_ps(vmin, _mm256_add_ps(_mm256_loadu_ps(c + j), _mm256_loadu_ps(bnorm + j)));
        }
        float m = rowmin_scalar(c, bnorm, nv, nb, hmin256(vmin));
        if (m < rbest[i]) {
            size_t at = nb;
            __m256 vm = _mm256_set1_ps(m);
            for (size_t j = 0; j < nv && at == nb; j += 8) {
                __m256 t = _mm256_add_ps(_mm256_loadu_ps(c + j), _mm256_loadu_ps(bnorm + j));
                int bits = _mm256_movemask_ps(_mm256_cmp_ps(t, vm, _CMP_EQ_OQ));
                if (bits != 0)
                    at = j + (size_t)__builtin_ctz((unsigned)bits);
            }
            if (at == nb)
                at = first_eq_scalar(c, bnorm, nv, nb, m);
            rbest[i] = m;
            rarg[i] = col0 + (uint32_t)at;
        }
    }
}

__attribute__((target("avx512f"))) static void reduce_avx512(const float *tile, size_t ld, size_t mb, size_t nb,
                                                             const float *anorm, const float *bnorm,
                                                             float *rbest, uint32_t *rarg, uint32_t col0,
                                                             float *cbest, uint32_t *carg, uint32_t row0)
{
    size_t nv = nb & ~(size_t)15;
    for (size_t i = 0; i < mb; i++) {
        const float *c = tile + i * ld;
        __m512 vmin = _mm512_set1_ps(INFINITY);
        if (cbest != NULL) {
            __m512 va = _mm512_set1_ps(anorm[i]);
            __m512i vi = _mm512_set1_epi32((int)(row0 + (uint32_t)i));
            for (size_t j = 0; j < nv; j += 16) {
                __m512 v = _mm512_loadu_ps(c + j);
                vmin = _mm512_min_ps(vmin, _mm512_add_ps(v, _mm512_loadu_ps(bnorm + j)));
                __m512 u = _mm512_add_ps(v, va);
                __mmask16 lt = _mm512_cmp_ps_mask(u, _mm512_loadu_ps(cbest + j), _CMP_LT_OQ);
                _mm512_mask_storeu_ps(cbest + j, lt, u);
                _mm512_mask_storeu_epi32(carg + j, lt, vi);
            }
            col_scalar(c, nv, nb, anorm[i], row0 + (uint32_t)i, cbest, carg);
        } else {
            for (size_t j = 0; j < nv; j += 16)
                vmin = _mm512_min_ps(vmin, _mm512_add_ps(_mm512_loadu_ps(c + j), _mm512_loadu_ps(bnorm + j)));
        }
        float m = rowmin_scalar(c, bnorm, nv, nb, _mm512_reduce_min_ps(vmin));
        if (m < rbest[i]) {
            size_t at = nb;
            __m512 vm = _mm512_set1_ps(m);
            for (size_t j = 0; j < nv && at == nb; j += 16) {
                __m512 t = _mm512_add_ps(_mm512_loadu_ps(c + j), _mm512_loadu_ps(bnorm + j));
                unsigned bits = _mm512_cmp_ps_mask(t, vm, _CMP_EQ_OQ);
                if (bits != 0)
                    at = j + (size_t)__builtin_ctz(bits);
            }
            if (at == nb)
                at = first_eq_scalar(c, bnorm, nv, nb, m);
            rbest[i] = m;
            rarg[i] = col0 + (uint32_t)at;
        }
    }
}
#endif

static atomic_int forced_kernel; /* synth__risk_set_kernel */

int synth__risk_set_kernel(int kernel)
{
    if (kernel < 0 || kernel > 3)
        return -1;
#if RISK_X86
    __builtin_cpu_init();
    if ((kernel == 2 && !__builtin_cpu_supports("avx2")) || (kernel == 3 && !__builtin_cpu_supports("avx512f")))
        return -1;
#else
    if (kernel > 1)
        return -1;
#endif
    atomic_store(&forced_kernel, kernel);
    return 0;
}

static reduce_fn pick_reduce(void)
{
    int k = atomic_load(&forced_kernel);
    if (k == 1)
        return reduce_scalar;
#if RISK_X86
    if (k == 2)
        return reduce_avx2;
    if (k == 3)
        return reduce_avx512;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return reduce_avx512;
    if (__builtin_cpu_supports("avx2"))
        return reduce_avx2;
#endif
    return reduce_scalar;
}

/* ---- the blocked nearest-neighbour search --------------------------------------------------------- */

typedef struct segment {
    const float *rows;   /* n rows of width floats */
    const float *norms;  /* their squared norms */
    size_t n;
    float *rbest;        /* per synthetic row: min over this segment of ||r||^2 - 2 s.r */
    uint32_t *rarg;      /* its argmin (index in the segment) */
    size_t col_off;      /* offset of this segment in the column arrays, or SIZE_MAX: none */
} segment;

typedef struct search {
    const float *S;
    const float *snorm;
    size_t ns, width;
    segment seg[3];
    int nseg;
    size_t ncol;                /* column slots: T1 then H (0 without a holdout) */
    size_t block_rows, block_cols, nblocks;
    reduce_fn reduce;
    atomic_size_t next_block;
    atomic_int stop;
} search;

typedef struct worker {
    search *s;
    float *tile;        /* block_rows x block_cols */
    float *cbest;       /* ncol */
    uint32_t *carg;     /* ncol */
    pthread_t tid;
    int started;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    search *s = w->s;
    const int width = (int)s->width, ld = (int)s->block_cols;
    for (;;) {
        if (atomic_load(&s->stop))
            break;
        if (synth_signals_interrupted()) {
            atomic_store(&s->stop, 1);
            break;
        }
        size_t b = atomic_fetch_add(&s->next_block, 1);
        if (b >= s->nblocks)
            break;
        size_t i0 = b * s->block_rows;
        size_t mb = s->ns - i0 < s->block_rows ? s->ns - i0 : s->block_rows;
        const float *A = s->S + i0 * s->width;
        for (int g = 0; g < s->nseg; g++) {
            const segment *sg = &s->seg[g];
            for (size_t j0 = 0; j0 < sg->n; j0 += s->block_cols) {
                size_t nb = sg->n - j0 < s->block_cols ? sg->n - j0 : s->block_cols;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)mb, (int)nb, width, -2.0f, A, width,
                            sg->rows + j0 * s->width, width, 0.0f, w->tile, ld);
                int cols = sg->col_off != SIZE_MAX;
                s->reduce(w->tile, s->block_cols, mb, nb, s->snorm + i0, sg->norms + j0, sg->rbest + i0,
                          sg->rarg + i0, (uint32_t)j0, cols ? w->cbest + sg->col_off + j0 : NULL,
                          cols ? w->carg + sg->col_off + j0 : NULL, (uint32_t)i0);
            }
        }
    }
    return NULL;
}

/* Run the search over nthreads workers (the calling thread is worker 0; a thread that cannot be
 * started just leaves its share to the others).  Column results merged into w[0]. */
static void run_search(search *s, worker *w, size_t nthreads)
{
    int prev_blas = 0;
    if (nthreads > 1) {
        prev_blas = openblas_get_num_threads();
        openblas_set_num_threads(1);
    }
    for (size_t t = 1; t < nthreads; t++)
        w[t].started = pthread_create(&w[t].tid, NULL, worker_main, &w[t]) == 0;
    worker_main(&w[0]);
    for (size_t t = 1; t < nthreads; t++) {
        if (!w[t].started)
            continue;
        pthread_join(w[t].tid, NULL);
        for (size_t j = 0; j < s->ncol; j++)
            if (w[t].cbest[j] < w[0].cbest[j] || (w[t].cbest[j] == w[0].cbest[j] && w[t].carg[j] < w[0].carg[j])) {
                w[0].cbest[j] = w[t].cbest[j];
                w[0].carg[j] = w[t].carg[j];
            }
    }
    if (nthreads > 1)
        openblas_set_num_threads(prev_blas);
}

static void workers_free(worker *w, size_t nw)
{
    for (size_t t = 0; w != NULL && t < nw; t++) {
        synth_free(w[t].tile);
        synth_free(w[t].cbest);
        synth_free(w[t].carg);
    }
    synth_free(w);
}

/* Set up s's row results (every segment's rbest/rarg must cover s->ns rows), allocate up to
 * `threads` workers and run the search.  On SYNTH_OK (*w)[0].cbest/carg hold the s->ncol column
 * minima; the caller frees *w with workers_free(*w, *nw) in every case. */
static int search_exec(search *s, size_t threads, worker **w, size_t *nw)
{
    s->nblocks = (s->ns + s->block_rows - 1) / s->block_rows;
    s->reduce = pick_reduce();
    atomic_init(&s->next_block, 0);
    atomic_init(&s->stop, 0);
    for (int g = 0; g < s->nseg; g++)
        for (size_t i = 0; i < s->ns; i++) {
            s->seg[g].rbest[i] = INFINITY;
            s->seg[g].rarg[i] = NO_ARG;
        }
    *nw = threads < s->nblocks ? threads : s->nblocks;
    *w = synth_calloc(*nw, sizeof **w);
    if (*w == NULL)
        return SYNTH_NOMEM;
    for (size_t t = 0; t < *nw; t++) {
        worker *wk = &(*w)[t];
        wk->s = s;
        wk->tile = synth_reallocarray(NULL, s->block_rows * s->block_cols, sizeof *wk->tile);
        if (wk->tile == NULL)
            return SYNTH_NOMEM;
        if (s->ncol > 0) {
            wk->cbest = synth_reallocarray(NULL, s->ncol, sizeof *wk->cbest);
            wk->carg = synth_reallocarray(NULL, s->ncol, sizeof *wk->carg);
            if (wk->cbest == NULL || wk->carg == NULL)
                return SYNTH_NOMEM;
            for (size_t j = 0; j < s->ncol; j++) {
                wk->cbest[j] = INFINITY;
                wk->carg[j] = NO_ARG;
            }
        }
    }
    run_search(s, *w, *nw);
    return atomic_load(&s->stop) ? SYNTH_INTERRUPTED : SYNTH_OK;
}

/* ---- helpers: sampling, norms, exact rows ----------------------------------------------------------- */

/* k of n indexes, uniformly without replacement, in increasing order (Knuth's algorithm S). */
static size_t *sample_sorted(size_t n, size_t k, uint64_t seed, uint64_t which)
{
    size_t *idx = synth_malloc((k ? k : 1) * sizeof *idx);
    if (idx == NULL)
        return NULL;
    synth_rng r;
    synth_rng_init(&r, seed, which, RISK_STREAM);
    size_t got = 0;
    for (size_t i = 0; i < n && got < k; i++)
        if (synth_rng_below(&r, n - i) < k - got)
            idx[got++] = i;
    return idx;
}

/* Copy rows idx[0..k) of m into a new matrix. */
static float *gather(const float *m, const size_t *idx, size_t k, size_t width)
{
    float *out = synth_reallocarray(NULL, k, width * sizeof *out);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < k; i++)
        memcpy(out + i * width, m + idx[i] * width, width * sizeof *out);
    return out;
}

/* Squared norms; returns the first row with a non-finite or too large value, or n. */
static size_t norms(const float *m, size_t n, size_t width, float *out)
{
    for (size_t i = 0; i < n; i++) {
        const float *r = m + i * width;
        double s = 0.0;
        int finite = 1;
        for (size_t k = 0; k < width; k++) {
            finite &= isfinite(r[k]) != 0;
            s += (double)r[k] * (double)r[k];
        }
        /* Bounded so that no sum of products in the tiles can overflow. */
        if (!finite || !(s <= FLT_MAX / 8))
            return i;
        out[i] = (float)s;
    }
    return n;
}

static double exact_dist(const float *a, const float *b, size_t width)
{
    double s = 0.0;
    for (size_t k = 0; k < width; k++) {
        double d = (double)a[k] - (double)b[k];
        s += d * d;
    }
    return sqrt(s);
}

/* A set of rows (indexes into one matrix) by value; exact comparison, -0 == +0. */
typedef struct rowset {
    uint32_t *slot; /* index + 1; 0 = empty */
    size_t mask;
    const float *rows;
    size_t width;
} rowset;

static uint64_t row_hash(const float *r, size_t width)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ width;
    for (size_t k = 0; k < width; k++) {
        float x = r[k];
        if (x == 0.0f)
            x = 0.0f;
        uint32_t b;
        memcpy(&b, &x, sizeof b);
        h = (h ^ b) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    return h;
}

static int rows_equal(const float *a, const float *b, size_t width)
{
    for (size_t k = 0; k < width; k++)
        if (a[k] != b[k])
            return 0;
    return 1;
}

/* Index of a row of the set equal to r (the lowest one inserted), or SIZE_MAX. */
static size_t rowset_find(const rowset *s, const float *r)
{
    for (size_t p = (size_t)row_hash(r, s->width) & s->mask;; p = (p + 1) & s->mask) {
        uint32_t v = s->slot[p];
        if (v == 0)
            return SIZE_MAX;
        if (rows_equal(s->rows + (size_t)(v - 1) * s->width, r, s->width))
            return v - 1;
    }
}

static int rowset_build(rowset *s, const float *rows, size_t n, size_t width)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    s->slot = synth_calloc(cap, sizeof *s->slot);
    if (s->slot == NULL)
        return -1;
    s->mask = cap - 1;
    s->rows = rows;
    s->width = width;
    for (size_t i = 0; i < n; i++) {
        const float *r = rows + i * width;
        size_t p = (size_t)row_hash(r, width) & s->mask;
        while (s->slot[p] != 0 && !rows_equal(rows + (size_t)(s->slot[p] - 1) * width, r, width))
            p = (p + 1) & s->mask;
        if (s->slot[p] == 0)
            s->slot[p] = (uint32_t)(i + 1);
    }
    return 0;
}

/* ---- statistics and JSON ---------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Percentile p of sorted v[0..n) by linear interpolation between order statistics. */
static double percentile(const double *v, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)h;
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

/* Mann-Whitney AUC of members (smaller distance = more likely a member) against non-members; both
 * arrays get sorted. */
static double auc_closer(double *dm, size_t nm, double *dn, size_t nn)
{
    qsort(dm, nm, sizeof *dm, cmp_double);
    qsort(dn, nn, sizeof *dn, cmp_double);
    double u = 0.0;
    size_t lo = 0, hi = 0; /* dn[0..lo) < x, dn[0..hi) <= x */
    for (size_t i = 0; i < nm; i++) {
        double x = dm[i];
        while (lo < nn && dn[lo] < x)
            lo++;
        if (hi < lo)
            hi = lo;
        while (hi < nn && dn[hi] <= x)
            hi++;
        u += (double)(nn - hi) + 0.5 * (double)(hi - lo);
    }
    return u / ((double)nm * (double)nn);
}

/* Set o[key] = v (stolen); returns -1 when v is NULL or the set fails. */
static int jset(json_t *o, const char *key, json_t *v)
{
    if (v == NULL)
        return -1;
    return json_object_set_new(o, key, v) == 0 ? 0 : -1;
}

/* {"min", "p5", "median", "mean", "histogram": {"edges", "counts"}} of v (sorted in place). */
static json_t *distribution_json(double *v, size_t n, const double *edges, size_t bins)
{
    qsort(v, n, sizeof *v, cmp_double);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    json_t *o = json_object(), *hist = json_object(), *je = json_array(), *jc = json_array();
    int bad = o == NULL || hist == NULL || je == NULL || jc == NULL;
    for (size_t b = 0; !bad && b <= bins; b++)
        bad = json_array_append_new(je, json_real(edges[b])) != 0;
    size_t i = 0;
    for (size_t b = 0; !bad && b < bins; b++) {
        size_t start = i;
        while (i < n && (b == bins - 1 || v[i] < edges[b + 1]))
            i++;
        bad = json_array_append_new(jc, json_integer((json_int_t)(i - start))) != 0;
    }
    if (!bad) {
        bad = jset(o, "min", json_real(v[0])) || jset(o, "p5", json_real(percentile(v, n, 0.05))) ||
              jset(o, "median", json_real(percentile(v, n, 0.5))) || jset(o, "mean", json_real(sum / (double)n));
        bad = bad || jset(hist, "edges", je);
        je = NULL;
        bad = bad || jset(hist, "counts", jc);
        jc = NULL;
        bad = bad || jset(o, "histogram", hist);
        hist = NULL;
    }
    json_decref(je);
    json_decref(jc);
    json_decref(hist);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- the entry points --------------------------------------------------------------------------------- */

typedef struct settings {
    size_t block_rows, block_cols, threads;
} settings;

static size_t default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > RISK_MAX_THREADS ? RISK_MAX_THREADS : (size_t)n;
}

/* The checks shared by both entry points; opt must not be NULL. */
static int check_common(size_t width, const synth_risk_options *opt, settings *st, synth_err *err)
{
    if (width == 0 || width > (size_t)INT_MAX)
        return synth_err_set(err, SYNTH_BAD_INPUT, "risk: bad row width %zu", width);
    st->block_rows = opt->block_rows ? opt->block_rows : RISK_DEFAULT_BLOCK_ROWS;
    st->block_cols = opt->block_cols ? opt->block_cols : RISK_DEFAULT_BLOCK_COLS;
    if (st->block_rows > 65536 || st->block_cols > 65536)
        return synth_err_set(err, SYNTH_USAGE, "risk: block sizes must be at most 65536");
    st->threads = opt->threads ? opt->threads : default_threads();
    if (st->threads > RISK_MAX_THREADS)
        st->threads = RISK_MAX_THREADS;
    return SYNTH_OK;
}

/* Norms of one input, or SYNTH_BAD_INPUT naming the first bad row (idx maps to original rows). */
static int input_norms(const char *name, const float *m, size_t n, size_t width, const size_t *idx, float *out,
                       synth_err *err)
{
    size_t bad = norms(m, n, width, out);
    if (bad < n)
        return synth_err_set(err, SYNTH_BAD_INPUT,
                             "risk: %s row %zu has a non-finite or too large value (rows must be encoded)", name,
                             (idx != NULL ? idx[bad] : bad) + 1);
    return SYNTH_OK;
}

int synth_risk_nearest(const float *query, size_t nq, const float *ref, size_t nr, size_t width,
                       const synth_risk_options *opt, double *dist_q, size_t *arg_q, double *dist_r, size_t *arg_r,
                       synth_err *err)
{
    synth_err_clear(err);
    synth_risk_options defaults;
    if (opt == NULL) {
        synth_risk_options_init(&defaults);
        opt = &defaults;
    }
    settings st;
    int rc = check_common(width, opt, &st, err);
    if (rc)
        return rc;
    if (query == NULL || nq == 0 || ref == NULL || nr == 0)
        return synth_err_set(err, SYNTH_BAD_INPUT, "risk: no rows to compare");
    if (nq > RISK_MAX_ROWS || nr > RISK_MAX_ROWS)
        return synth_err_set(err, SYNTH_BAD_INPUT, "risk: more than %zu rows in one input", RISK_MAX_ROWS);
    const int cols = dist_r != NULL || arg_r != NULL;
    float *qn = synth_reallocarray(NULL, nq, sizeof *qn), *rn = synth_reallocarray(NULL, nr, sizeof *rn);
    float *rbest = synth_reallocarray(NULL, nq, sizeof *rbest);
    uint32_t *rarg = synth_reallocarray(NULL, nq, sizeof *rarg);
    rowset qset = {0}, rset = {0};
    worker *w = NULL;
    size_t nw = 0;
    rc = SYNTH_NOMEM;
    if (qn == NULL || rn == NULL || rbest == NULL || rarg == NULL || rowset_build(&rset, ref, nr, width) != 0 ||
        (cols && rowset_build(&qset, query, nq, width) != 0))
        goto done;
    if ((rc = input_norms("query", query, nq, width, NULL, qn, err)) != SYNTH_OK ||
        (rc = input_norms("reference", ref, nr, width, NULL, rn, err)) != SYNTH_OK)
        goto done;
    search s;
    memset(&s, 0, sizeof s);
    s.S = query;
    s.snorm = qn;
    s.ns = nq;
    s.width = width;
    s.block_rows = st.block_rows;
    s.block_cols = st.block_cols;
    s.seg[0] = (segment){ref, rn, nr, rbest, rarg, cols ? 0 : SIZE_MAX};
    s.nseg = 1;
    s.ncol = cols ? nr : 0;
    if ((rc = search_exec(&s, st.threads, &w, &nw)) != SYNTH_OK)
        goto done;
    for (size_t i = 0; i < nq; i++) {
        const float *row = query + i * width;
        size_t same = rowset_find(&rset, row), j = same != SIZE_MAX ? same : rarg[i];
        if (dist_q != NULL)
            dist_q[i] = same != SIZE_MAX ? 0.0 : exact_dist(row, ref + j * width, width);
        if (arg_q != NULL)
            arg_q[i] = j;
    }
    for (size_t j = 0; cols && j < nr; j++) {
        const float *row = ref + j * width;
        size_t same = rowset_find(&qset, row), i = same != SIZE_MAX ? same : w[0].carg[j];
        if (dist_r != NULL)
            dist_r[j] = same != SIZE_MAX ? 0.0 : exact_dist(row, query + i * width, width);
        if (arg_r != NULL)
            arg_r[j] = i;
    }
done:
    workers_free(w, nw);
    synth_free(qn);
    synth_free(rn);
    synth_free(rbest);
    synth_free(rarg);
    synth_free(qset.slot);
    synth_free(rset.slot);
    if (rc == SYNTH_NOMEM)
        synth_err_set(err, SYNTH_NOMEM, "risk: out of memory");
    else if (rc == SYNTH_INTERRUPTED)
        synth_err_set(err, SYNTH_INTERRUPTED, "risk: interrupted");
    return rc;
}

typedef struct work {
    size_t *sidx, *tidx, *hidx, *subpos; /* sampled rows of each input; subset positions in train */
    float *S, *T, *H;                    /* owned copies (NULL: the caller's rows are used) */
    float *snorm, *tnorm, *hnorm;
    float *rbest;                        /* 3 x ns */
    uint32_t *rarg;                      /* 3 x ns */
    worker *w;
    size_t nw;
    rowset tset, hset, sset;
    double *dtrain, *dsub, *dhold, *dmem, *dnon;
} work;

static void work_free(work *k)
{
    synth_free(k->sidx);
    synth_free(k->tidx);
    synth_free(k->hidx);
    synth_free(k->subpos);
    synth_free(k->S);
    synth_free(k->T);
    synth_free(k->H);
    synth_free(k->snorm);
    synth_free(k->tnorm);
    synth_free(k->hnorm);
    synth_free(k->rbest);
    synth_free(k->rarg);
    workers_free(k->w, k->nw);
    synth_free(k->tset.slot);
    synth_free(k->hset.slot);
    synth_free(k->sset.slot);
    synth_free(k->dtrain);
    synth_free(k->dsub);
    synth_free(k->dhold);
    synth_free(k->dmem);
    synth_free(k->dnon);
}

static json_t *build_json(const work *k, size_t ns, size_t nt, size_t nh, size_t nsub, int sampled, size_t exact,
                          size_t bins, double share, double auc, int have_holdout)
{
    json_t *o = json_object(), *used = json_object(), *dcr = json_object();
    json_t *mia = have_holdout ? json_object() : json_null();
    int bad = o == NULL || used == NULL || dcr == NULL || mia == NULL;
    double *edges = synth_calloc(bins + 1, sizeof *edges);
    bad = bad || edges == NULL;
    if (!bad) {
        double hi = 0.0;
        for (size_t i = 0; i < ns; i++) {
            hi = k->dtrain[i] > hi ? k->dtrain[i] : hi;
            if (have_holdout)
                hi = k->dhold[i] > hi ? k->dhold[i] : hi;
        }
        if (hi == 0.0)
            hi = 1.0;
        for (size_t b = 0; b <= bins; b++)
            edges[b] = b == bins ? hi : hi * (double)b / (double)bins;
        bad = jset(used, "synthetic", json_integer((json_int_t)ns)) ||
              jset(used, "train", json_integer((json_int_t)nt)) ||
              jset(used, "holdout", have_holdout ? json_integer((json_int_t)nh) : json_null());
        bad = bad || jset(dcr, "synthetic_to_train", distribution_json(k->dtrain, ns, edges, bins));
        bad = bad || jset(dcr, "synthetic_to_holdout",
                          have_holdout ? distribution_json(k->dhold, ns, edges, bins) : json_null());
        bad = bad || jset(dcr, "share_closer_to_train", have_holdout ? json_real(share) : json_null());
        bad = bad || jset(dcr, "exact_copy_rate", json_real((double)exact / (double)ns));
    }
    if (!bad && have_holdout) {
        char text[512];
        if (nsub < nt)
            snprintf(text, sizeof text,
                     "distance to closest record: each real row scores minus its distance to the closest "
                     "synthetic row; ROC AUC (Mann-Whitney, ties 1/2) of %zu members (a random subset of the "
                     "%zu training rows, as many as the holdout, drawn with the seed) against %zu "
                     "non-members (the holdout rows)",
                     nsub, nt, nh);
        else
            snprintf(text, sizeof text,
                     "distance to closest record: each real row scores minus its distance to the closest "
                     "synthetic row; ROC AUC (Mann-Whitney, ties 1/2) of %zu members (the training rows) "
                     "against %zu non-members (the holdout rows)",
                     nsub, nh);
        bad = jset(mia, "roc_auc", json_real(auc)) || jset(mia, "attack", json_string(text));
    }
    synth_free(edges);
    if (!bad) {
        bad = jset(o, "encoding", json_string(RISK_ENCODING));
        bad = bad || jset(o, "rows_used", used);
        used = NULL;
        bad = bad || jset(o, "sampled", json_boolean(sampled));
        bad = bad || jset(o, "dcr", dcr);
        dcr = NULL;
        bad = bad || jset(o, "membership_inference", mia);
        mia = NULL;
    }
    json_decref(used);
    json_decref(dcr);
    json_decref(mia);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The working training rows: sampled down to nt_u and, when nsub < nt_u, reordered so that the
 * random comparison subset comes first.  Leaves k->T NULL when the caller's rows serve as they are. */
static int prepare_train(work *k, const float *train, size_t nt, size_t nt_u, size_t nsub, size_t width,
                         uint64_t seed)
{
    if (nt_u == nt && nsub == nt_u)
        return SYNTH_OK;
    if (nt_u < nt) {
        if ((k->tidx = sample_sorted(nt, nt_u, seed, 1)) == NULL)
            return SYNTH_NOMEM;
    } else {
        if ((k->tidx = synth_reallocarray(NULL, nt_u, sizeof *k->tidx)) == NULL)
            return SYNTH_NOMEM;
        for (size_t i = 0; i < nt_u; i++)
            k->tidx[i] = i;
    }
    if (nsub < nt_u) {
        size_t *order = synth_reallocarray(NULL, nt_u, sizeof *order);
        if (order == NULL || (k->subpos = sample_sorted(nt_u, nsub, seed, 3)) == NULL) {
            synth_free(order);
            return SYNTH_NOMEM;
        }
        size_t a = 0, b = nsub, q = 0;
        for (size_t p = 0; p < nt_u; p++) {
            if (q < nsub && k->subpos[q] == p) {
                order[a++] = k->tidx[p];
                q++;
            } else {
                order[b++] = k->tidx[p];
            }
        }
        synth_free(k->tidx);
        k->tidx = order;
    }
    k->T = gather(train, k->tidx, nt_u, width);
    return k->T != NULL ? SYNTH_OK : SYNTH_NOMEM;
}

int synth_risk_compute(const float *synthetic, size_t ns, const float *train, size_t nt, const float *holdout,
                       size_t nh, size_t width, const synth_risk_options *opt, json_t **out, synth_err *err)
{
    synth_err_clear(err);
    if (out == NULL)
        return synth_err_set(err, SYNTH_USAGE, "risk: no output given");
    *out = NULL;
    synth_risk_options defaults;
    if (opt == NULL) {
        synth_risk_options_init(&defaults);
        opt = &defaults;
    }
    settings st;
    int rc = check_common(width, opt, &st, err);
    if (rc)
        return rc;
    if (holdout == NULL && nh != 0)
        return synth_err_set(err, SYNTH_USAGE, "risk: %zu holdout rows but no holdout matrix", nh);
    if (holdout != NULL && nh == 0)
        holdout = NULL;
    if (synthetic == NULL || ns == 0)
        return synth_err_set(err, SYNTH_BAD_INPUT, "risk: no synthetic rows");
    if (train == NULL || nt == 0)
        return synth_err_set(err, SYNTH_BAD_INPUT, "risk: no training rows");
    if (opt->histogram_bins == 0 || opt->histogram_bins > 100000)
        return synth_err_set(err, SYNTH_USAGE, "risk: histogram_bins must be in 1..100000");

    const int have_holdout = holdout != NULL;
    size_t ns_u = opt->max_synthetic && ns > opt->max_synthetic ? opt->max_synthetic : ns;
    size_t nt_u = opt->max_reference && nt > opt->max_reference ? opt->max_reference : nt;
    size_t nh_u = opt->max_reference && nh > opt->max_reference ? opt->max_reference : nh;
    if (ns_u > RISK_MAX_ROWS || nt_u > RISK_MAX_ROWS || nh_u > RISK_MAX_ROWS)
        return synth_err_set(err, SYNTH_BAD_INPUT, "risk: more than %zu rows in one input; sample down first",
                             RISK_MAX_ROWS);
    const int sampled = ns_u < ns || nt_u < nt || nh_u < nh;
    /* The comparison subset: the first nsub rows of the working training matrix. */
    const size_t nsub = have_holdout && nt_u > nh_u ? nh_u : nt_u;

    work k;
    memset(&k, 0, sizeof k);
    rc = SYNTH_NOMEM;
    const float *S = synthetic, *T = train, *H = holdout;
    if (ns_u < ns) {
        if ((k.sidx = sample_sorted(ns, ns_u, opt->seed, 0)) == NULL ||
            (k.S = gather(S, k.sidx, ns_u, width)) == NULL)
            goto fail;
        S = k.S;
    }
    if (nh_u < nh) {
        if ((k.hidx = sample_sorted(nh, nh_u, opt->seed, 2)) == NULL ||
            (k.H = gather(H, k.hidx, nh_u, width)) == NULL)
            goto fail;
        H = k.H;
    }
    if (prepare_train(&k, train, nt, nt_u, nsub, width, opt->seed) != SYNTH_OK)
        goto fail;
    if (k.T != NULL)
        T = k.T;

    k.snorm = synth_reallocarray(NULL, ns_u, sizeof *k.snorm);
    k.tnorm = synth_reallocarray(NULL, nt_u, sizeof *k.tnorm);
    k.hnorm = have_holdout ? synth_reallocarray(NULL, nh_u, sizeof *k.hnorm) : NULL;
    k.rbest = synth_reallocarray(NULL, 3 * ns_u, sizeof *k.rbest);
    k.rarg = synth_reallocarray(NULL, 3 * ns_u, sizeof *k.rarg);
    k.dtrain = synth_reallocarray(NULL, ns_u, sizeof *k.dtrain);
    if (k.snorm == NULL || k.tnorm == NULL || (have_holdout && k.hnorm == NULL) || k.rbest == NULL ||
        k.rarg == NULL || k.dtrain == NULL)
        goto fail;
    if (have_holdout) {
        k.dsub = nsub < nt_u ? synth_reallocarray(NULL, ns_u, sizeof *k.dsub) : NULL;
        k.dhold = synth_reallocarray(NULL, ns_u, sizeof *k.dhold);
        k.dmem = synth_reallocarray(NULL, nsub, sizeof *k.dmem);
        k.dnon = synth_reallocarray(NULL, nh_u, sizeof *k.dnon);
        if ((nsub < nt_u && k.dsub == NULL) || k.dhold == NULL || k.dmem == NULL || k.dnon == NULL)
            goto fail;
    }
    /* Exact-copy sets (before the long part, so that it fails early when memory is short). */
    if (rowset_build(&k.tset, T, nt_u, width) != 0 ||
        (have_holdout && (rowset_build(&k.hset, H, nh_u, width) != 0 || rowset_build(&k.sset, S, ns_u, width) != 0)))
        goto fail;
    if ((rc = input_norms("synthetic", S, ns_u, width, k.sidx, k.snorm, err)) != SYNTH_OK ||
        (rc = input_norms("training", T, nt_u, width, k.tidx, k.tnorm, err)) != SYNTH_OK ||
        (have_holdout && (rc = input_norms("holdout", H, nh_u, width, k.hidx, k.hnorm, err)) != SYNTH_OK))
        goto fail;

    search s;
    memset(&s, 0, sizeof s);
    s.S = S;
    s.snorm = k.snorm;
    s.ns = ns_u;
    s.width = width;
    s.block_rows = st.block_rows;
    s.block_cols = st.block_cols;
    s.ncol = have_holdout ? nsub + nh_u : 0;
    s.seg[0] = (segment){T, k.tnorm, nsub, k.rbest, k.rarg, have_holdout ? 0 : SIZE_MAX};
    s.nseg = 1;
    if (nsub < nt_u)
        s.seg[s.nseg++] = (segment){T + nsub * width, k.tnorm + nsub, nt_u - nsub, k.rbest + ns_u,
                                    k.rarg + ns_u, SIZE_MAX};
    if (have_holdout)
        s.seg[s.nseg++] = (segment){H, k.hnorm, nh_u, k.rbest + 2 * ns_u, k.rarg + 2 * ns_u, nsub};
    if ((rc = search_exec(&s, st.threads, &k.w, &k.nw)) != SYNTH_OK) {
        if (rc == SYNTH_INTERRUPTED)
            synth_err_set(err, SYNTH_INTERRUPTED, "risk: interrupted");
        goto fail;
    }

    /* Exact distances to the chosen neighbours; exact copies (hash sets) are 0. */
    size_t exact = 0;
    const float *best1 = k.rbest, *best2 = k.rbest + ns_u;
    for (size_t i = 0; i < ns_u; i++) {
        const float *row = S + i * width;
        size_t copy = rowset_find(&k.tset, row);
        size_t j = k.rarg[i];
        if (nsub < nt_u && best2[i] < best1[i])
            j = nsub + k.rarg[ns_u + i];
        exact += copy != SIZE_MAX;
        k.dtrain[i] = copy != SIZE_MAX ? 0.0 : exact_dist(row, T + j * width, width);
        if (k.dsub != NULL)
            k.dsub[i] = copy < nsub ? 0.0 : exact_dist(row, T + (size_t)k.rarg[i] * width, width);
        if (have_holdout)
            k.dhold[i] = rowset_find(&k.hset, row) != SIZE_MAX
                             ? 0.0
                             : exact_dist(row, H + (size_t)k.rarg[2 * ns_u + i] * width, width);
    }
    double share = 0.0, auc = 0.0;
    if (have_holdout) {
        const double *dt = k.dsub != NULL ? k.dsub : k.dtrain;
        double closer = 0.0;
        for (size_t i = 0; i < ns_u; i++)
            closer += dt[i] < k.dhold[i] ? 1.0 : dt[i] == k.dhold[i] ? 0.5 : 0.0;
        share = closer / (double)ns_u;
        const uint32_t *carg = k.w[0].carg;
        for (size_t j = 0; j < nsub; j++) {
            const float *row = T + j * width;
            k.dmem[j] = rowset_find(&k.sset, row) != SIZE_MAX ? 0.0
                                                               : exact_dist(row, S + (size_t)carg[j] * width, width);
        }
        for (size_t j = 0; j < nh_u; j++) {
            const float *row = H + j * width;
            k.dnon[j] = rowset_find(&k.sset, row) != SIZE_MAX
                            ? 0.0
                            : exact_dist(row, S + (size_t)carg[nsub + j] * width, width);
        }
        auc = auc_closer(k.dmem, nsub, k.dnon, nh_u);
    }

    *out = build_json(&k, ns_u, nt_u, nh_u, nsub, sampled, exact, opt->histogram_bins, share, auc, have_holdout);
    if (*out == NULL) {
        rc = SYNTH_NOMEM;
        goto fail;
    }
    work_free(&k);
    return SYNTH_OK;

fail:
    work_free(&k);
    if (rc == SYNTH_NOMEM)
        synth_err_set(err, SYNTH_NOMEM, "risk: out of memory");
    return rc;
}
