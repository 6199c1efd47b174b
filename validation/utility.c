/* utility.c -- "train on synthetic, test on real": see utility.h.
 *
 * Models work on the encoded float matrix a block of rows at a time: each block is widened to
 * doubles with a leading intercept column, then X'WX is accumulated with BLAS dsyrk and X'r with
 * dgemv, so the memory beyond the encoded matrix is one block and a (d+1)^2 matrix.  When rows
 * are mostly zeros (one-hot slots; Adult: ~14 non-zeros of 124) the logistic fit instead keeps
 * the non-zeros as sparse rows and accumulates per-row outer products, several times faster.
 * Linear systems are solved by Cholesky (LAPACKE dposv, column-major so LAPACKE allocates
 * nothing). */
#include "utility.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define BLOCK_ROWS 2048
#define NEWTON_MAX_ITER 100

static int nomem(synth_err *err)
{
    return synth_err_set(err, SYNTH_NOMEM, "out of memory");
}

/* ---- models ---------------------------------------------------------------------------------- */

double synth_sigmoid(double z)
{
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* log(1 + exp(z)) without overflow. */
static double softplus(double z)
{
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

double synth_linear_predict(const double *coef, const float *xrow, size_t d)
{
    double s = coef[0];
    for (size_t j = 0; j < d; j++)
        s += coef[1 + j] * (double)xrow[j];
    return s;
}

/* Rows [r0, r0 + nb) of x as doubles with a leading 1 (nb x (d + 1), row-major). */
static void fill_block(const float *x, size_t d, size_t r0, size_t nb, double *z)
{
    size_t p = d + 1;
    for (size_t i = 0; i < nb; i++) {
        double *zi = z + i * p;
        const float *xi = x + (r0 + i) * d;
        zi[0] = 1.0;
        for (size_t j = 0; j < d; j++)
            zi[1 + j] = xi[j];
    }
}

typedef struct fit_ws {
    double *z;              /* BLOCK_ROWS x p */
    double *eta;            /* BLOCK_ROWS */
    double *aux;            /* BLOCK_ROWS */
    double *h;              /* p x p */
    double *g, *delta, *wtry;   /* p each */
} fit_ws;

static void ws_free(fit_ws *ws)
{
    synth_free(ws->z);
    synth_free(ws->eta);
    synth_free(ws->aux);
    synth_free(ws->h);
    synth_free(ws->g);
    synth_free(ws->delta);
    synth_free(ws->wtry);
}

static int ws_init(fit_ws *ws, size_t n, size_t d)
{
    memset(ws, 0, sizeof *ws);
    size_t p = d + 1;
    size_t rows = n < BLOCK_ROWS ? n : BLOCK_ROWS;
    if (p > SIZE_MAX / sizeof(double) / p || (rows != 0 && p > SIZE_MAX / sizeof(double) / rows))
        return -1;
    ws->z = synth_malloc(rows * p * sizeof(double));
    ws->eta = synth_malloc(rows * sizeof(double));
    ws->aux = synth_malloc(rows * sizeof(double));
    ws->h = synth_malloc(p * p * sizeof(double));
    ws->g = synth_malloc(p * sizeof(double));
    ws->delta = synth_malloc(p * sizeof(double));
    ws->wtry = synth_malloc(p * sizeof(double));
    if (!ws->z || !ws->eta || !ws->aux || !ws->h || !ws->g || !ws->delta || !ws->wtry) {
        ws_free(ws);
        return -1;
    }
    return 0;
}

/* Diagonal jitter so a feature that is zero in every row (and lambda = 0) still gives a solvable
 * system; far below anything that changes a fit. */
static double jitter(size_t n)
{
    return 1e-12 * (1.0 + (double)n);
}

/* The rows of x as sparse lists of their non-zero features (indices 1..d: after the intercept).
 * Encoded tables are mostly one-hot slots, so for the logistic fit's Hessian, accumulating
 * per-row outer products of the non-zeros costs n * nnz^2 / 2 instead of BLAS's n * p^2 / 2; it
 * is used when the rows are sparse enough for that to win (see sparse_build). */
typedef struct sparse_x {
    size_t *start;          /* n + 1: row i is entries start[i] .. start[i + 1] - 1 */
    uint32_t *idx;          /* ascending within a row */
    double *val;
} sparse_x;

static void sparse_free(sparse_x *sp)
{
    synth_free(sp->start);
    synth_free(sp->idx);
    synth_free(sp->val);
    memset(sp, 0, sizeof *sp);
}

/* Fill sp when the average row has fewer than p / 4 non-zeros (1 = built, 0 = dense is better,
 * -1 = out of memory). */
static int sparse_build(const float *x, size_t n, size_t d, sparse_x *sp)
{
    memset(sp, 0, sizeof *sp);
    size_t nnz = 0;
    for (size_t i = 0; i < n * d; i++)
        nnz += x[i] != 0.0f;
    if (4 * (nnz / n + 1) >= d + 1)
        return 0;
    sp->start = synth_malloc((n + 1) * sizeof *sp->start);
    sp->idx = synth_malloc((nnz ? nnz : 1) * sizeof *sp->idx);
    sp->val = synth_malloc((nnz ? nnz : 1) * sizeof *sp->val);
    if (sp->start == NULL || sp->idx == NULL || sp->val == NULL) {
        sparse_free(sp);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        sp->start[i] = k;
        const float *xi = x + i * d;
        for (size_t j = 0; j < d; j++) {
            if (xi[j] != 0.0f) {
                sp->idx[k] = (uint32_t)(j + 1);
                sp->val[k++] = xi[j];
            }
        }
    }
    sp->start[n] = k;
    return 1;
}

/* The sparse counterpart of the block loop in logreg_pass. */
static double logreg_pass_sparse(const sparse_x *sp, size_t n, size_t p, const unsigned char *y, const double *w,
                                 fit_ws *ws, int with_derivatives)
{
    double loss = 0.0;
    double *h = ws->h, *g = ws->g;
    for (size_t i = 0; i < n; i++) {
        size_t a = sp->start[i], b = sp->start[i + 1];
        double e = w[0];
        for (size_t t = a; t < b; t++)
            e += w[sp->idx[t]] * sp->val[t];
        int yi = y[i] != 0;
        loss += softplus(e) - (yi ? e : 0.0);
        if (!with_derivatives)
            continue;
        double pr = synth_sigmoid(e);
        double r = pr - yi, wt = pr * (1.0 - pr);
        g[0] += r;
        h[0] += wt;
        for (size_t t = a; t < b; t++) {
            size_t jt = sp->idx[t];
            double vt = wt * sp->val[t];
            g[jt] += r * sp->val[t];
            h[jt] += vt;                    /* row 0 (the intercept), column jt */
            double *hrow = h + jt * p;
            for (size_t u = t; u < b; u++)
                hrow[sp->idx[u]] += vt * sp->val[u];
        }
    }
    return loss;
}

/* Penalized negative log-likelihood at w; with g/h non-NULL also its gradient and Hessian (upper
 * triangle of the row-major p x p matrix). */
static double logreg_pass(const float *x, const sparse_x *sp, size_t n, size_t d, const unsigned char *y,
                          const double *w, double lambda, fit_ws *ws, int with_derivatives)
{
    size_t p = d + 1;
    double loss = 0.0;
    if (with_derivatives) {
        memset(ws->h, 0, p * p * sizeof(double));
        memset(ws->g, 0, p * sizeof(double));
    }
    if (sp != NULL)
        loss = logreg_pass_sparse(sp, n, p, y, w, ws, with_derivatives);
    for (size_t r0 = 0; sp == NULL && r0 < n; r0 += BLOCK_ROWS) {
        size_t nb = n - r0 < BLOCK_ROWS ? n - r0 : BLOCK_ROWS;
        fill_block(x, d, r0, nb, ws->z);
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)nb, (int)p, 1.0, ws->z, (int)p, w, 1, 0.0, ws->eta, 1);
        for (size_t i = 0; i < nb; i++) {
            double e = ws->eta[i];
            int yi = y[r0 + i] != 0;
            loss += softplus(e) - (yi ? e : 0.0);
            if (with_derivatives) {
                double pr = synth_sigmoid(e);
                ws->eta[i] = pr - yi;                 /* residual */
                ws->aux[i] = sqrt(pr * (1.0 - pr));   /* sqrt of the IRLS weight */
            }
        }
        if (!with_derivatives)
            continue;
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)nb, (int)p, 1.0, ws->z, (int)p, ws->eta, 1, 1.0, ws->g, 1);
        for (size_t i = 0; i < nb; i++) {
            double s = ws->aux[i];
            double *zi = ws->z + i * p;
            for (size_t j = 0; j < p; j++)
                zi[j] *= s;
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)p, (int)nb, 1.0, ws->z, (int)p, 1.0, ws->h, (int)p);
    }
    for (size_t j = 1; j < p; j++) {
        loss += 0.5 * lambda * w[j] * w[j];
        if (with_derivatives) {
            ws->g[j] += lambda * w[j];
            ws->h[j * p + j] += lambda;
        }
    }
    if (with_derivatives)
        for (size_t j = 0; j < p; j++)
            ws->h[j * p + j] += jitter(n);
    return loss;
}

/* Solve H x = b in place (b -> x).  H: upper triangle of a row-major p x p matrix = the lower
 * triangle of the same memory read column-major. */
static int cholesky_solve(double *h, double *b, size_t p, synth_err *err)
{
    lapack_int info = LAPACKE_dposv(LAPACK_COL_MAJOR, 'L', (lapack_int)p, 1, h, (lapack_int)p, b, (lapack_int)p);
    if (info != 0)
        return synth_err_set(err, SYNTH_INTERNAL, "model fit: the normal equations could not be solved (dposv info %d)",
                             (int)info);
    return SYNTH_OK;
}

static int check_dims(size_t n, size_t d, synth_err *err)
{
    if (n == 0)
        return synth_err_set(err, SYNTH_USAGE, "model fit: no rows");
    if (n > (size_t)INT32_MAX || d + 1 > 46340)
        return synth_err_set(err, SYNTH_USAGE, "model fit: %zu rows x %zu features is too large", n, d);
    return SYNTH_OK;
}

int synth_logreg_fit(const float *x, size_t n, size_t d, const unsigned char *y, double lambda, double *coef,
                     synth_err *err)
{
    int rc = check_dims(n, d, err);
    if (rc != 0)
        return rc;
    size_t p = d + 1;
    fit_ws ws;
    sparse_x sparse;
    int use_sparse = sparse_build(x, n, d, &sparse);
    if (use_sparse < 0)
        return nomem(err);
    const sparse_x *sp = use_sparse ? &sparse : NULL;
    if (ws_init(&ws, use_sparse ? 0 : n, d) != 0) {
        sparse_free(&sparse);
        return nomem(err);
    }
    memset(coef, 0, p * sizeof *coef);
    for (int it = 0; it < NEWTON_MAX_ITER; it++) {
        double loss = logreg_pass(x, sp, n, d, y, coef, lambda, &ws, 1);
        memcpy(ws.delta, ws.g, p * sizeof(double));
        if ((rc = cholesky_solve(ws.h, ws.delta, p, err)) != 0)
            break;
        double dec = cblas_ddot((int)p, ws.g, 1, ws.delta, 1);   /* Newton decrement squared */
        if (!(dec > 0.0))
            break;
        if (dec <= 2e-8 * (1.0 + loss)) {
            /* within the quadratic region: one last full step, no line search (whose loss
             * differences would be at rounding level here) */
            for (size_t j = 0; j < p; j++)
                coef[j] -= ws.delta[j];
            break;
        }
        int accepted = 0;
        for (double step = 1.0; step >= 1e-8; step *= 0.5) {
            for (size_t j = 0; j < p; j++)
                ws.wtry[j] = coef[j] - step * ws.delta[j];
            double lt = logreg_pass(x, sp, n, d, y, ws.wtry, lambda, &ws, 0);
            if (lt <= loss - 1e-4 * step * dec) {
                accepted = 1;
                break;
            }
        }
        if (!accepted)
            break;
        memcpy(coef, ws.wtry, p * sizeof(double));
    }
    ws_free(&ws);
    sparse_free(&sparse);
    return rc;
}

int synth_ridge_fit(const float *x, size_t n, size_t d, const double *y, double lambda, double *coef,
                    synth_err *err)
{
    int rc = check_dims(n, d, err);
    if (rc != 0)
        return rc;
    size_t p = d + 1;
    fit_ws ws;
    if (ws_init(&ws, n, d) != 0)
        return nomem(err);
    /* Standardize y (exactly equivalent for ridge with an unpenalized intercept; better scaled). */
    double mean = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (y[i] - mean) * (y[i] - mean);
    double sd = sqrt(ss / (double)n);
    if (!(sd > 0.0) || !isfinite(sd))
        sd = 1.0;
    memset(ws.h, 0, p * p * sizeof(double));
    memset(coef, 0, p * sizeof *coef);
    for (size_t r0 = 0; r0 < n; r0 += BLOCK_ROWS) {
        size_t nb = n - r0 < BLOCK_ROWS ? n - r0 : BLOCK_ROWS;
        fill_block(x, d, r0, nb, ws.z);
        for (size_t i = 0; i < nb; i++)
            ws.eta[i] = (y[r0 + i] - mean) / sd;
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)nb, (int)p, 1.0, ws.z, (int)p, ws.eta, 1, 1.0, coef, 1);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)p, (int)nb, 1.0, ws.z, (int)p, 1.0, ws.h, (int)p);
    }
    for (size_t j = 0; j < p; j++)
        ws.h[j * p + j] += (j > 0 ? lambda : 0.0) + jitter(n);
    rc = cholesky_solve(ws.h, coef, p, err);
    if (rc == 0) {
        for (size_t j = 0; j < p; j++)
            coef[j] *= sd;
        coef[0] += mean;
    }
    ws_free(&ws);
    return rc;
}

/* ---- metrics --------------------------------------------------------------------------------- */

void synth_binary_scores(const unsigned char *pred, const unsigned char *labels, size_t n, double *accuracy,
                         double *f1)
{
    size_t tp = 0, fp = 0, fn = 0, right = 0;
    for (size_t i = 0; i < n; i++) {
        int p = pred[i] != 0, l = labels[i] != 0;
        right += p == l;
        tp += p && l;
        fp += p && !l;
        fn += !p && l;
    }
    *accuracy = n ? (double)right / (double)n : NAN;
    size_t den = 2 * tp + fp + fn;
    *f1 = den ? 2.0 * (double)tp / (double)den : NAN;
}

typedef struct scored {
    double s;
    unsigned char label;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

int synth_roc_auc(const double *scores, const unsigned char *labels, size_t n, double *auc, synth_err *err)
{
    *auc = NAN;
    size_t npos = 0;
    for (size_t i = 0; i < n; i++)
        npos += labels[i] != 0;
    if (npos == 0 || npos == n)
        return SYNTH_OK;
    scored *v = synth_malloc(n * sizeof *v);
    if (v == NULL)
        return nomem(err);
    for (size_t i = 0; i < n; i++) {
        v[i].s = scores[i];
        v[i].label = labels[i] != 0;
    }
    qsort(v, n, sizeof *v, cmp_scored);
    double rank_sum = 0.0;   /* of the positives, 1-based, ties averaged */
    for (size_t i = 0; i < n;) {
        size_t j = i, pos = 0;
        while (j < n && v[j].s == v[i].s)
            pos += v[j++].label;
        rank_sum += (double)pos * ((double)(i + 1) + (double)j) / 2.0;
        i = j;
    }
    synth_free(v);
    double np = (double)npos, nn = (double)(n - npos);
    *auc = (rank_sum - np * (np + 1.0) / 2.0) / (np * nn);
    return SYNTH_OK;
}

/* ---- the report ------------------------------------------------------------------------------ */

typedef struct dataset {
    const char *what;       /* "real training data", ... */
    float *x;               /* n x d */
    double *y;              /* target value (numeric or category index) */
    size_t n, dropped;
} dataset;

static void dataset_free(dataset *ds)
{
    synth_free(ds->x);
    synth_free(ds->y);
    ds->x = NULL;
    ds->y = NULL;
}

/* Encode the rows of t whose target is not null. */
static int dataset_build(const synth_encoder *enc, const synth_vtable *t, size_t tc, const char *what, dataset *ds,
                         synth_err *err)
{
    memset(ds, 0, sizeof *ds);
    ds->what = what;
    size_t d = synth_encoder_width(enc);
    size_t n = 0;
    for (size_t r = 0; r < t->nrows; r++)
        n += !isnan(t->v[r * t->ncols + tc]);
    ds->dropped = t->nrows - n;
    if (n == 0)
        return synth_err_set(err, SYNTH_BAD_INPUT, "%s: no rows%s", what,
                             t->nrows ? " with a non-null target" : "");
    if (d != 0 && n > SIZE_MAX / sizeof(float) / d)
        return nomem(err);
    ds->x = synth_malloc(n * d * sizeof(float));
    ds->y = synth_malloc(n * sizeof(double));
    if (ds->x == NULL || ds->y == NULL) {
        dataset_free(ds);
        return nomem(err);
    }
    size_t k = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        const double *row = t->v + r * t->ncols;
        if (isnan(row[tc]))
            continue;
        synth_encoder_row(enc, row, ds->x + k * d);
        ds->y[k++] = row[tc];
    }
    ds->n = n;
    return SYNTH_OK;
}

typedef struct metrics {
    double accuracy, f1, roc_auc, r2;
} metrics;

typedef struct cls_ctx {
    const synth_column *tcol;
    size_t ncat;            /* target categories; class index ncat = "(other)" */
    size_t nmodels;         /* 1 (binary) or the number of classes (one-vs-rest) */
    size_t *model_class;    /* class index each model predicts */
    int binary;
    size_t d;
} cls_ctx;

static size_t class_of(const cls_ctx *c, double v)
{
    return (v >= 0.0 && v < (double)c->ncat) ? (size_t)v : c->ncat;
}

static const char *class_name(const cls_ctx *c, size_t k)
{
    return k < c->ncat ? c->tcol->categories[k].value : "(other)";
}

/* Fit the classification models on ds and score them on the holdout. */
static int classify(const cls_ctx *c, const dataset *ds, const dataset *hold, metrics *m, synth_err *err)
{
    size_t p = c->d + 1, nm = c->nmodels, nh = hold->n;
    int rc = SYNTH_OK;
    unsigned char *lab = synth_malloc(ds->n > nh ? ds->n : nh);
    unsigned char *pred = synth_malloc(nh);
    double *coef = synth_malloc(nm * p * sizeof(double));
    int *konst = synth_calloc(nm, sizeof *konst);   /* 0: fitted; 1: never this class */
    double *scores = synth_malloc(nh * nm * sizeof(double));
    double *col = synth_malloc(nh * sizeof(double));
    if (!lab || !pred || !coef || !konst || !scores || !col) {
        rc = nomem(err);
        goto done;
    }
    /* at least two classes in this training set */
    size_t first = class_of(c, ds->y[0]), distinct = 1;
    for (size_t i = 1; i < ds->n && distinct < 2; i++)
        distinct += class_of(c, ds->y[i]) != first;
    if (c->binary) {
        size_t npos = 0;
        for (size_t i = 0; i < ds->n; i++)
            npos += class_of(c, ds->y[i]) == c->model_class[0];
        if (npos == 0 || npos == ds->n)
            distinct = 1;
    }
    if (distinct < 2) {
        rc = synth_err_set(err, SYNTH_BAD_INPUT, "%s: the target '%s' has only one class ('%s')%s; need at least 2",
                           ds->what, c->tcol->name, class_name(c, first),
                           c->binary ? " among the real training data's two" : "");
        goto done;
    }
    for (size_t k = 0; k < nm; k++) {
        size_t npos = 0;
        for (size_t i = 0; i < ds->n; i++)
            npos += (lab[i] = class_of(c, ds->y[i]) == c->model_class[k]);
        if (npos == 0) {
            konst[k] = 1;
            continue;
        }
        double lambda = SYNTH_UTILITY_LOGREG_LAMBDA * (double)ds->n;
        if ((rc = synth_logreg_fit(ds->x, ds->n, c->d, lab, lambda, coef + k * p, err)) != 0) {
            synth_err_prefix(err, "%s: ", ds->what);
            goto done;
        }
    }
    for (size_t i = 0; i < nh; i++)
        for (size_t k = 0; k < nm; k++)
            scores[i * nm + k] = konst[k] ? 0.0 : synth_sigmoid(synth_linear_predict(coef + k * p, hold->x + i * c->d, c->d));
    if (c->binary) {
        for (size_t i = 0; i < nh; i++) {
            lab[i] = class_of(c, hold->y[i]) == c->model_class[0];
            pred[i] = scores[i] >= 0.5;
        }
        synth_binary_scores(pred, lab, nh, &m->accuracy, &m->f1);
        rc = synth_roc_auc(scores, lab, nh, &m->roc_auc, err);
        goto done;
    }
    /* one-vs-rest: argmax for accuracy; per-class F1 and AUC, macro-averaged */
    size_t right = 0;
    for (size_t i = 0; i < nh; i++) {
        size_t best = 0;
        for (size_t k = 1; k < nm; k++)
            if (scores[i * nm + k] > scores[i * nm + best])
                best = k;
        pred[i] = (unsigned char)best;   /* model index; nm <= SYNTH_UTILITY_MAX_CLASSES */
        right += c->model_class[best] == class_of(c, hold->y[i]);
    }
    m->accuracy = (double)right / (double)nh;
    double f1_sum = 0.0, auc_sum = 0.0;
    size_t f1_n = 0, auc_n = 0;
    unsigned char *pk = synth_malloc(nh);
    if (pk == NULL) {
        rc = nomem(err);
        goto done;
    }
    for (size_t k = 0; k < nm; k++) {
        for (size_t i = 0; i < nh; i++) {
            lab[i] = class_of(c, hold->y[i]) == c->model_class[k];
            pk[i] = pred[i] == k;
            col[i] = scores[i * nm + k];
        }
        double acc, f1, auc;
        synth_binary_scores(pk, lab, nh, &acc, &f1);
        if (!isnan(f1)) {
            f1_sum += f1;
            f1_n++;
        }
        if ((rc = synth_roc_auc(col, lab, nh, &auc, err)) != 0)
            break;
        if (!isnan(auc)) {
            auc_sum += auc;
            auc_n++;
        }
    }
    synth_free(pk);
    m->f1 = f1_n ? f1_sum / (double)f1_n : NAN;
    m->roc_auc = auc_n ? auc_sum / (double)auc_n : NAN;
done:
    synth_free(lab);
    synth_free(pred);
    synth_free(coef);
    synth_free(konst);
    synth_free(scores);
    synth_free(col);
    return rc;
}

static int regress(size_t d, const dataset *ds, const dataset *hold, metrics *m, synth_err *err)
{
    double *coef = synth_malloc((d + 1) * sizeof(double));
    if (coef == NULL)
        return nomem(err);
    int rc = synth_ridge_fit(ds->x, ds->n, d, ds->y, SYNTH_UTILITY_RIDGE_LAMBDA * (double)ds->n, coef, err);
    if (rc != 0) {
        synth_err_prefix(err, "%s: ", ds->what);
        synth_free(coef);
        return rc;
    }
    double mean = 0.0;
    for (size_t i = 0; i < hold->n; i++)
        mean += hold->y[i];
    mean /= (double)hold->n;
    double ss_res = 0.0, ss_tot = 0.0;
    for (size_t i = 0; i < hold->n; i++) {
        double e = hold->y[i] - synth_linear_predict(coef, hold->x + i * d, d);
        ss_res += e * e;
        ss_tot += (hold->y[i] - mean) * (hold->y[i] - mean);
    }
    m->r2 = ss_tot > 0.0 ? 1.0 - ss_res / ss_tot : NAN;
    synth_free(coef);
    return SYNTH_OK;
}

/* ---- JSON -------------------------------------------------------------------------------------- */

static json_t *num_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static int put(json_t *o, const char *key, json_t *v)
{
    return v == NULL ? -1 : json_object_set_new(o, key, v);
}

static double ratio(double syn, double real, int needs_positive)
{
    if (!isfinite(syn) || !isfinite(real) || real == 0.0 || (needs_positive && real < 0.0))
        return NAN;
    return syn / real;
}

static json_t *metrics_json(const metrics *m, int classification)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int bad = 0;
    if (classification) {
        bad |= put(o, "accuracy", num_or_null(m->accuracy));
        bad |= put(o, "f1", num_or_null(m->f1));
        bad |= put(o, "roc_auc", num_or_null(m->roc_auc));
    } else {
        bad |= put(o, "r2", num_or_null(m->r2));
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int add_note(json_t *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_note(json_t *notes, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return json_array_append_new(notes, json_string(buf));
}

typedef struct report_in {
    const synth_column *tcol;
    const cls_ctx *cls;     /* NULL for regression */
    size_t d;
    const dataset *ds[3];   /* real, synthetic, holdout */
    const synth_vtable *tables[3];
    metrics m[2];
    size_t holdout_unseen;  /* holdout rows whose class the real training data lacks */
} report_in;

static json_t *report_json(const report_in *in)
{
    int classification = in->cls != NULL;
    json_t *o = json_object(), *rows = json_object(), *notes = json_array(), *ratios = json_object();
    int bad = o == NULL || rows == NULL || notes == NULL || ratios == NULL;
    if (bad)
        goto fail;
    bad |= put(o, "target", json_string(in->tcol->name));
    bad |= put(o, "task", json_string(classification ? "classification" : "regression"));
    if (classification && in->cls->binary) {
        bad |= put(o, "model", json_string("logistic regression"));
        bad |= put(o, "positive_class", json_string(class_name(in->cls, in->cls->model_class[0])));
    } else if (classification) {
        bad |= put(o, "model", json_string("logistic regression (one-vs-rest)"));
        json_t *names = json_array();
        bad |= put(o, "classes", names);
        for (size_t k = 0; names != NULL && k < in->cls->nmodels; k++)
            bad |= json_array_append_new(names, json_string(class_name(in->cls, in->cls->model_class[k])));
        bad |= put(o, "averaging", json_string("macro over classes (one-vs-rest)"));
    } else {
        bad |= put(o, "model", json_string("linear regression (ridge)"));
    }
    bad |= put(o, "train_real", metrics_json(&in->m[0], classification));
    bad |= put(o, "train_synthetic", metrics_json(&in->m[1], classification));
    if (classification) {
        bad |= put(ratios, "accuracy", num_or_null(ratio(in->m[1].accuracy, in->m[0].accuracy, 0)));
        bad |= put(ratios, "f1", num_or_null(ratio(in->m[1].f1, in->m[0].f1, 0)));
        bad |= put(ratios, "roc_auc", num_or_null(ratio(in->m[1].roc_auc, in->m[0].roc_auc, 0)));
    } else {
        bad |= put(ratios, "r2", num_or_null(ratio(in->m[1].r2, in->m[0].r2, 1)));
    }
    bad |= json_object_set(o, "ratio", ratios);
    bad |= put(o, "features", json_integer((json_int_t)in->d));
    static const char *const keys[3] = {"train_real", "train_synthetic", "holdout"};
    static const char *const words[3] = {"real training", "synthetic", "holdout"};
    for (int i = 0; i < 3; i++)
        bad |= put(rows, keys[i], json_integer((json_int_t)in->ds[i]->n));
    bad |= json_object_set(o, "rows", rows);
    if (in->ds[0]->dropped || in->ds[1]->dropped || in->ds[2]->dropped)
        bad |= add_note(notes, "rows with a null target were dropped: %zu real training, %zu synthetic, %zu holdout",
                        in->ds[0]->dropped, in->ds[1]->dropped, in->ds[2]->dropped);
    for (int i = 0; i < 3; i++)
        if (in->tables[i]->sampled)
            bad |= add_note(notes, "the %s data is a uniform sample of %zu of its %llu rows", words[i],
                            in->tables[i]->nrows, (unsigned long long)in->tables[i]->rows_seen);
    if (in->holdout_unseen)
        bad |= add_note(notes, "%zu holdout rows have a target class absent from the real training data%s",
                        in->holdout_unseen, in->cls->binary ? " (scored as negatives)" : " (always mispredicted)");
    if (classification)
        bad |= add_note(notes, "features: every other column, numbers min-max scaled on the real training data, "
                        "categories one-hot; L2 penalty %g * rows; prediction threshold 0.5",
                        SYNTH_UTILITY_LOGREG_LAMBDA);
    else
        bad |= add_note(notes, "R^2 on the holdout; the ratio is null when the real model's R^2 is not positive");
    bad |= json_object_set(o, "notes", notes);
    if (bad)
        goto fail;
    json_decref(rows);
    json_decref(notes);
    json_decref(ratios);
    return o;
fail:
    json_decref(o);
    json_decref(rows);
    json_decref(notes);
    json_decref(ratios);
    return NULL;
}

int synth_utility_compute(const synth_schema *schema, const synth_vtable *train_real, const synth_vtable *synthetic,
                          const synth_vtable *holdout, const char *target, json_t **out, synth_err *err)
{
    *out = NULL;
    const synth_vtable *tables[3] = {train_real, synthetic, holdout};
    static const char *const what[3] = {"real training data", "synthetic data", "holdout data"};
    for (int i = 0; i < 3; i++)
        if (tables[i]->ncols != schema->ncols)
            return synth_err_set(err, SYNTH_USAGE, "utility: the %s has %zu columns, the schema %zu", what[i],
                                 tables[i]->ncols, schema->ncols);
    long tcl = synth_schema_find(schema, target);
    if (tcl < 0)
        return synth_err_set(err, SYNTH_USAGE, "utility: no column '%s' to use as the target", target);
    size_t tc = (size_t)tcl;
    const synth_column *tcol = &schema->cols[tc];
    if (tcol->type == SYNTH_COL_ID || tcol->type == SYNTH_COL_TEXT)
        return synth_err_set(err, SYNTH_USAGE,
                             "utility: the target '%s' is %s column; choose a categorical, boolean or numeric one",
                             target, tcol->type == SYNTH_COL_ID ? "an id" : "a text");
    int classification = tcol->type == SYNTH_COL_CATEGORICAL || tcol->type == SYNTH_COL_BOOLEAN;

    synth_encoder *enc = NULL;
    dataset ds[3];
    memset(ds, 0, sizeof ds);
    size_t *counts = NULL;
    cls_ctx cls = {0};
    report_in rin = {0};
    int rc = synth_encoder_new(schema, train_real, tcl, &enc, err);
    if (rc != 0)
        return rc;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = dataset_build(enc, tables[i], tc, what[i], &ds[i], err);
    if (rc != 0)
        goto done;
    size_t d = synth_encoder_width(enc);
    rin.tcol = tcol;
    rin.d = d;
    for (int i = 0; i < 3; i++) {
        rin.ds[i] = &ds[i];
        rin.tables[i] = tables[i];
    }
    for (int i = 0; i < 2; i++)
        rin.m[i].accuracy = rin.m[i].f1 = rin.m[i].roc_auc = rin.m[i].r2 = NAN;

    if (!classification) {
        for (int i = 0; i < 2 && rc == 0; i++)
            rc = regress(d, &ds[i], &ds[2], &rin.m[i], err);
        if (rc != 0)
            goto done;
    } else {
        cls.tcol = tcol;
        cls.ncat = tcol->ncategories;
        cls.d = d;
        counts = synth_calloc(cls.ncat + 1, sizeof *counts);
        cls.model_class = synth_calloc(SYNTH_UTILITY_MAX_CLASSES, sizeof *cls.model_class);
        if (counts == NULL || cls.model_class == NULL) {
            rc = nomem(err);
            goto done;
        }
        for (size_t i = 0; i < ds[0].n; i++)
            counts[class_of(&cls, ds[0].y[i])]++;
        size_t nclasses = 0, only = 0;
        for (size_t k = 0; k <= cls.ncat; k++) {
            if (counts[k] == 0)
                continue;
            only = k;
            if (nclasses < SYNTH_UTILITY_MAX_CLASSES)
                cls.model_class[nclasses] = k;
            nclasses++;
        }
        if (nclasses < 2) {
            rc = synth_err_set(err, SYNTH_BAD_INPUT, "real training data: the target '%s' has only one class ('%s'); "
                               "need at least 2", target, class_name(&cls, only));
            goto done;
        }
        if (nclasses > SYNTH_UTILITY_MAX_CLASSES) {
            rc = synth_err_set(err, SYNTH_USAGE, "utility: the target '%s' has %zu classes in the real training data; "
                               "at most %d are supported", target, nclasses, SYNTH_UTILITY_MAX_CLASSES);
            goto done;
        }
        cls.binary = nclasses == 2;
        if (cls.binary) {
            size_t a = cls.model_class[0], b = cls.model_class[1];
            cls.model_class[0] = counts[b] <= counts[a] ? b : a;
            cls.nmodels = 1;
        } else {
            cls.nmodels = nclasses;
        }
        for (size_t i = 0; i < ds[2].n; i++)
            rin.holdout_unseen += counts[class_of(&cls, ds[2].y[i])] == 0;
        rin.cls = &cls;
        for (int i = 0; i < 2 && rc == 0; i++)
            rc = classify(&cls, &ds[i], &ds[2], &rin.m[i], err);
        if (rc != 0)
            goto done;
    }
    if ((*out = report_json(&rin)) == NULL)
        rc = nomem(err);
done:
    for (int i = 0; i < 3; i++)
        dataset_free(&ds[i]);
    synth_free(counts);
    synth_free(cls.model_class);
    synth_encoder_free(enc);
    return rc;
}
