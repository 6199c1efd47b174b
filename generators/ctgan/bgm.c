/* bgm.c -- variational Bayesian Gaussian mixture in one dimension.  See bgm.h.
 *
 * Notation follows scikit-learn's BayesianGaussianMixture (Bishop, PRML 10.2; Blei and Jordan
 * 2006 for the stick-breaking weights).  For component k with soft count N_k, mean xbar_k and
 * variance S_k of its responsibilities:
 *   weights (stick breaking)  a_k = 1 + N_k,  b_k = w0 + sum_{j>k} N_j
 *   means                     beta_k = beta0 + N_k,  m_k = (beta0 m0 + N_k xbar_k) / beta_k
 *   precision (Wishart, d=1)  nu_k = nu0 + N_k,
 *                             W_k^-1 = (psi0 + N_k S_k + N_k beta0 / beta_k (xbar_k - m0)^2) / nu_k
 *   E[log pi_k] = digamma(a_k) - digamma(a_k+b_k) + sum_{j<k} (digamma(b_j) - digamma(a_j+b_j))
 *   E[log p(x|k)] = log N(x; m_k, W_k^-1) - 0.5 log nu_k + 0.5 (log 2 + digamma(nu_k/2) - 1/beta_k)
 * and the lower bound used for the stopping rule is scikit-learn's _compute_lower_bound. */
#include "ctgan/bgm.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_psi.h>

#include "alloc.h"
#include "rng.h"

#define BGM_STREAM (SYNTH_STREAM_GENERATOR + 40)
#define REG_COVAR 1e-6
#define LOG_2PI 1.8378770664093454836

void synth_bgm_options_init(synth_bgm_options *opt)
{
    opt->ncomp = 10;
    opt->weight_prior = 0.001;
    opt->max_iter = 100;
    opt->tol = 1e-3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct bgm_data {
    size_t u;          /* distinct values */
    double *x;         /* ascending */
    double *w;         /* counts */
    double total;
} bgm_data;

/* Weighted k-means++ (greedy, 2 + log k trials as scikit-learn) then Lloyd iterations.
 * labels[i] receives the cluster of x[i]. */
static void kmeans(const bgm_data *d, int k, uint64_t seed, int *labels, double *dist)
{
    double centers[SYNTH_BGM_MAX_COMPONENTS];
    synth_rng rng;
    synth_rng_init(&rng, seed, 0, BGM_STREAM);
    int trials = 2 + (int)log((double)k);
    /* first center: a point drawn by weight */
    double t = synth_rng_uniform(&rng) * d->total, acc = 0;
    size_t pick = d->u - 1;
    for (size_t i = 0; i < d->u; i++) {
        acc += d->w[i];
        if (acc >= t) {
            pick = i;
            break;
        }
    }
    centers[0] = d->x[pick];
    double pot = 0;
    for (size_t i = 0; i < d->u; i++) {
        dist[i] = (d->x[i] - centers[0]) * (d->x[i] - centers[0]);
        pot += d->w[i] * dist[i];
    }
    for (int c = 1; c < k; c++) {
        double best_pot = INFINITY, best_x = centers[0];
        for (int tr = 0; tr < trials; tr++) {
            double target = synth_rng_uniform(&rng) * pot, a = 0;
            size_t cand = d->u - 1;
            for (size_t i = 0; i < d->u; i++) {
                a += d->w[i] * dist[i];
                if (a >= target && d->w[i] * dist[i] > 0) {
                    cand = i;
                    break;
                }
            }
            double cx = d->x[cand], p = 0;
            for (size_t i = 0; i < d->u; i++) {
                double dd = (d->x[i] - cx) * (d->x[i] - cx);
                p += d->w[i] * (dd < dist[i] ? dd : dist[i]);
            }
            if (p < best_pot) {
                best_pot = p;
                best_x = cx;
            }
        }
        centers[c] = best_x;
        pot = 0;
        for (size_t i = 0; i < d->u; i++) {
            double dd = (d->x[i] - best_x) * (d->x[i] - best_x);
            if (dd < dist[i])
                dist[i] = dd;
            pot += d->w[i] * dist[i];
        }
    }
    for (size_t i = 0; i < d->u; i++)
        labels[i] = -1;
    for (int it = 0; it < 300; it++) {
        int changed = 0;
        double sum[SYNTH_BGM_MAX_COMPONENTS] = {0}, cnt[SYNTH_BGM_MAX_COMPONENTS] = {0};
        for (size_t i = 0; i < d->u; i++) {
            int best = 0;
            double bd = INFINITY;
            for (int c = 0; c < k; c++) {
                double dd = fabs(d->x[i] - centers[c]);
                if (dd < bd) {
                    bd = dd;
                    best = c;
                }
            }
            if (labels[i] != best) {
                labels[i] = best;
                changed = 1;
            }
            sum[best] += d->w[i] * d->x[i];
            cnt[best] += d->w[i];
        }
        if (!changed)
            break;
        for (int c = 0; c < k; c++)
            if (cnt[c] > 0)
                centers[c] = sum[c] / cnt[c];
    }
}

typedef struct bgm_state {
    int k;
    double w0, m0, psi0;               /* priors (beta0 = nu0 = 1) */
    double a[SYNTH_BGM_MAX_COMPONENTS], b[SYNTH_BGM_MAX_COMPONENTS];
    double beta[SYNTH_BGM_MAX_COMPONENTS], mean[SYNTH_BGM_MAX_COMPONENTS];
    double nu[SYNTH_BGM_MAX_COMPONENTS], cov[SYNTH_BGM_MAX_COMPONENTS], prec[SYNTH_BGM_MAX_COMPONENTS];
} bgm_state;

/* M step from responsibilities resp[i*k + c] (already exp'd). */
static void m_step(const bgm_data *d, bgm_state *s, const double *resp)
{
    int k = s->k;
    double nk[SYNTH_BGM_MAX_COMPONENTS], xk[SYNTH_BGM_MAX_COMPONENTS], sk[SYNTH_BGM_MAX_COMPONENTS];
    for (int c = 0; c < k; c++) {
        double n = 0, sx = 0;
        for (size_t i = 0; i < d->u; i++) {
            double r = d->w[i] * resp[i * (size_t)k + (size_t)c];
            n += r;
            sx += r * d->x[i];
        }
        nk[c] = n + 10 * DBL_EPSILON;
        xk[c] = sx / nk[c];
        double ss = 0;
        for (size_t i = 0; i < d->u; i++) {
            double diff = d->x[i] - xk[c];
            ss += d->w[i] * resp[i * (size_t)k + (size_t)c] * diff * diff;
        }
        sk[c] = ss / nk[c] + REG_COVAR;
    }
    double tail = 0;
    for (int c = k - 1; c >= 0; c--) {
        s->a[c] = 1.0 + nk[c];
        s->b[c] = s->w0 + tail;
        tail += nk[c];
    }
    for (int c = 0; c < k; c++) {
        s->beta[c] = 1.0 + nk[c];
        s->mean[c] = (s->m0 + nk[c] * xk[c]) / s->beta[c];
        s->nu[c] = 1.0 + nk[c];
        double diff = xk[c] - s->m0;
        s->cov[c] = (s->psi0 + nk[c] * sk[c] + nk[c] / s->beta[c] * diff * diff) / s->nu[c];
        s->prec[c] = 1.0 / sqrt(s->cov[c]);
    }
}

/* Per-component constants of the log weighted probability (everything but the quadratic term). */
static void log_consts(const bgm_state *s, double *logc)
{
    double run = 0;
    for (int c = 0; c < s->k; c++) {
        double dsum = gsl_sf_psi(s->a[c] + s->b[c]);
        double logw = gsl_sf_psi(s->a[c]) - dsum + run;
        run += gsl_sf_psi(s->b[c]) - dsum;
        double log_lambda = M_LN2 + gsl_sf_psi(0.5 * s->nu[c]);
        logc[c] = logw - 0.5 * LOG_2PI + log(s->prec[c]) - 0.5 * log(s->nu[c]) +
                  0.5 * (log_lambda - 1.0 / s->beta[c]);
    }
}

/* Normalised log responsibilities of value x into lr[0..k). */
static void log_resp_row(int k, const double *logc, const double *mean, const double *prec, double x, double *lr)
{
    double mx = -INFINITY;
    for (int c = 0; c < k; c++) {
        double z = (x - mean[c]) * prec[c];
        lr[c] = logc[c] - 0.5 * z * z;
        if (lr[c] > mx)
            mx = lr[c];
    }
    double s = 0;
    for (int c = 0; c < k; c++)
        s += exp(lr[c] - mx);   /* >= 1: the largest term is exp(0) */
    double lse = mx + log(s > 1.0 ? s : 1.0);
    for (int c = 0; c < k; c++)
        lr[c] -= lse;
}

static double lower_bound(const bgm_data *d, const bgm_state *s, const double *resp)
{
    int k = s->k;
    double ent = 0;
    for (size_t i = 0; i < d->u; i++) {
        double e = 0;
        for (int c = 0; c < k; c++) {
            double r = resp[i * (size_t)k + (size_t)c];
            if (r > 0)
                e += r * log(r);
        }
        ent += d->w[i] * e;
    }
    double log_wishart = 0, log_norm_weight = 0, log_beta = 0;
    for (int c = 0; c < k; c++) {
        double ldpc = log(s->prec[c]) - 0.5 * log(s->nu[c]);
        log_wishart += -(s->nu[c] * ldpc + s->nu[c] * 0.5 * M_LN2 + lgamma(0.5 * s->nu[c]));
        log_norm_weight += -(lgamma(s->a[c]) + lgamma(s->b[c]) - lgamma(s->a[c] + s->b[c]));
        log_beta += log(s->beta[c]);
    }
    return -ent - log_wishart - log_norm_weight - 0.5 * log_beta;
}

static int compress(const double *x, size_t n, bgm_data *d)
{
    double *sorted = synth_malloc(n * sizeof *sorted);
    d->x = synth_malloc(n * sizeof *d->x);
    d->w = synth_malloc(n * sizeof *d->w);
    if (sorted == NULL || d->x == NULL || d->w == NULL) {
        synth_free(sorted);
        return SYNTH_NOMEM;
    }
    memcpy(sorted, x, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_double);
    d->u = 0;
    for (size_t i = 0; i < n; i++) {
        if (d->u > 0 && d->x[d->u - 1] == sorted[i]) {
            d->w[d->u - 1] += 1;
        } else {
            d->x[d->u] = sorted[i];
            d->w[d->u++] = 1;
        }
    }
    d->total = (double)n;
    synth_free(sorted);
    return 0;
}

int synth_bgm_fit(const double *x, size_t n, const synth_bgm_options *opt, uint64_t seed, synth_bgm *out,
                  synth_err *err)
{
    memset(out, 0, sizeof *out);
    int k = opt->ncomp;
    if (k < 1 || k > SYNTH_BGM_MAX_COMPONENTS || n == 0 || !(opt->weight_prior > 0) || opt->max_iter < 1)
        return synth_err_set(err, SYNTH_USAGE, "mixture: bad options (components 1..%d, prior > 0)",
                             SYNTH_BGM_MAX_COMPONENTS);
    bgm_data d = {0};
    double *resp = NULL, *dist = NULL;
    int *labels = NULL;
    int rc = compress(x, n, &d);
    if (rc)
        goto nomem;
    double m0 = 0;
    for (size_t i = 0; i < d.u; i++)
        m0 += d.w[i] * d.x[i];
    m0 /= d.total;
    double var = 0;
    for (size_t i = 0; i < d.u; i++)
        var += d.w[i] * (d.x[i] - m0) * (d.x[i] - m0);
    var = n > 1 ? var / (double)(n - 1) : 0.0;
    if (d.u == 1 || !(var > 0)) {
        out->ncomp = 1;
        out->weight[0] = 1;
        out->mean[0] = d.x[0];
        out->std[0] = sqrt(REG_COVAR);
        out->prec[0] = 1.0 / out->std[0];
        out->logc[0] = 0;
        out->converged = 1;
        goto done;
    }
    resp = synth_calloc(d.u * (size_t)k, sizeof *resp);
    dist = synth_malloc(d.u * sizeof *dist);
    labels = synth_malloc(d.u * sizeof *labels);
    if (resp == NULL || dist == NULL || labels == NULL)
        goto nomem;
    kmeans(&d, k, seed, labels, dist);
    for (size_t i = 0; i < d.u; i++)
        resp[i * (size_t)k + (size_t)labels[i]] = 1.0;
    bgm_state s = {.k = k, .w0 = opt->weight_prior, .m0 = m0, .psi0 = var};
    m_step(&d, &s, resp);
    double lb = -INFINITY, logc[SYNTH_BGM_MAX_COMPONENTS], lr[SYNTH_BGM_MAX_COMPONENTS];
    for (int it = 1; it <= opt->max_iter; it++) {
        double prev = lb;
        log_consts(&s, logc);
        for (size_t i = 0; i < d.u; i++) {
            log_resp_row(k, logc, s.mean, s.prec, d.x[i], lr);
            for (int c = 0; c < k; c++)
                resp[i * (size_t)k + (size_t)c] = exp(lr[c]);
        }
        m_step(&d, &s, resp);
        lb = lower_bound(&d, &s, resp);
        out->iterations = it;
        if (fabs(lb - prev) < opt->tol) {
            out->converged = 1;
            break;
        }
    }
    out->ncomp = k;
    log_consts(&s, out->logc);
    double acc = 1, total = 0;
    for (int c = 0; c < k; c++) {
        double sum = s.a[c] + s.b[c];
        out->weight[c] = s.a[c] / sum * acc;
        acc *= s.b[c] / sum;
        total += out->weight[c];
    }
    for (int c = 0; c < k; c++) {
        out->weight[c] /= total;
        out->mean[c] = s.mean[c];
        out->std[c] = sqrt(s.cov[c]);
        out->prec[c] = s.prec[c];
    }
done:
    synth_free(d.x);
    synth_free(d.w);
    synth_free(resp);
    synth_free(dist);
    synth_free(labels);
    return 0;
nomem:
    synth_free(d.x);
    synth_free(d.w);
    synth_free(resp);
    synth_free(dist);
    synth_free(labels);
    return synth_err_set(err, SYNTH_NOMEM, "out of memory fitting a mixture");
}

void synth_bgm_proba(const synth_bgm *m, double x, double *proba)
{
    double lr[SYNTH_BGM_MAX_COMPONENTS];
    log_resp_row(m->ncomp, m->logc, m->mean, m->prec, x, lr);
    for (int c = 0; c < m->ncomp; c++)
        proba[c] = exp(lr[c]);
}
