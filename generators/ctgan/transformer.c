/* transformer.c -- CTGAN's mode-specific normalisation and one-hot encoding.  See transformer.h. */
#include "ctgan/transformer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define TF_STREAM (SYNTH_STREAM_GENERATOR + 48)   /* + column: mode draws while transforming */
#define WEIGHT_THRESHOLD 0.005
#define STD_MULTIPLIER 4.0

static int is_modelled(synth_col_type t)
{
    return t != SYNTH_COL_ID && t != SYNTH_COL_PII && t != SYNTH_COL_TEXT;
}

static int is_continuous(synth_col_type t)
{
    return t == SYNTH_COL_INTEGER || t == SYNTH_COL_FLOAT || t == SYNTH_COL_DATETIME;
}

void synth_ctgan_transformer_free(synth_ctgan_transformer *tf)
{
    if (tf == NULL)
        return;
    synth_free(tf->cols);
    synth_free(tf->spans);
    synth_free(tf->cond_span_index);
    synth_free(tf->cond_offset);
    synth_free(tf->disc_ncat);
    synth_free(tf->disc_col);
    synth_free(tf);
}

/* Spans, offsets and the cond layout from the columns' shapes. */
static int build_layout(synth_ctgan_transformer *tf)
{
    int nspans = 0, nd = 0;
    for (size_t i = 0; i < tf->ncols; i++) {
        const synth_ctgan_tcol *c = &tf->cols[i];
        nspans += c->continuous ? 2 + c->has_null : 1;
        nd += !c->continuous;
    }
    tf->spans = synth_calloc(nspans ? (size_t)nspans : 1, sizeof *tf->spans);
    tf->cond_span_index = synth_calloc(nd ? (size_t)nd : 1, sizeof(int));
    tf->cond_offset = synth_calloc(nd ? (size_t)nd : 1, sizeof(int));
    tf->disc_ncat = synth_calloc(nd ? (size_t)nd : 1, sizeof(int));
    tf->disc_col = synth_calloc(nd ? (size_t)nd : 1, sizeof(int));
    if (tf->spans == NULL || tf->cond_span_index == NULL || tf->cond_offset == NULL || tf->disc_ncat == NULL ||
        tf->disc_col == NULL)
        return SYNTH_NOMEM;
    int s = 0, off = 0, d = 0, coff = 0;
    for (size_t i = 0; i < tf->ncols; i++) {
        synth_ctgan_tcol *c = &tf->cols[i];
        c->offset = off;
        if (c->continuous) {
            tf->spans[s++] = (synth_ctgan_span){SYNTH_SPAN_TANH, 1};
            tf->spans[s++] = (synth_ctgan_span){SYNTH_SPAN_SOFTMAX, c->has_point + c->nmodes};
            off += 1 + c->has_point + c->nmodes;
            if (c->has_null) {
                tf->spans[s++] = (synth_ctgan_span){SYNTH_SPAN_SOFTMAX, 2};
                off += 2;
            }
        } else {
            c->discrete_index = d;
            tf->cond_span_index[d] = s;
            tf->cond_offset[d] = coff;
            tf->disc_ncat[d] = c->ncat;
            tf->disc_col[d] = (int)i;
            tf->spans[s++] = (synth_ctgan_span){SYNTH_SPAN_SOFTMAX, c->ncat};
            off += c->ncat;
            coff += c->ncat;
            d++;
        }
    }
    tf->nspans = nspans;
    tf->ndiscrete = nd;
    tf->data_dim = off;
    tf->cond_dim = coff;
    return 0;
}

static int alloc_cols(const synth_schema *schema, synth_ctgan_transformer **out)
{
    synth_ctgan_transformer *tf = synth_calloc(1, sizeof *tf);
    if (tf == NULL)
        return SYNTH_NOMEM;
    size_t n = 0;
    for (size_t c = 0; c < schema->ncols; c++)
        n += is_modelled(schema->cols[c].type);
    tf->cols = synth_calloc(n ? n : 1, sizeof *tf->cols);
    if (tf->cols == NULL) {
        synth_free(tf);
        return SYNTH_NOMEM;
    }
    for (size_t c = 0; c < schema->ncols; c++)
        if (is_modelled(schema->cols[c].type)) {
            synth_ctgan_tcol *tc = &tf->cols[tf->ncols++];
            tc->col = c;
            tc->continuous = is_continuous(schema->cols[c].type);
        }
    *out = tf;
    return 0;
}

/* Values of a continuous column (NaN for nulls); the caller frees. */
static int column_values(const synth_column *col, size_t c, const synth_sample_table *t, double **out,
                         synth_err *err)
{
    double *v = synth_malloc((t->nrows ? t->nrows : 1) * sizeof *v);
    if (v == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    for (size_t r = 0; r < t->nrows; r++) {
        const char *s = t->cells[r * t->ncols + c];
        size_t len = t->lens[r * t->ncols + c];
        if (synth_cell_is_null(col, s, len)) {
            v[r] = NAN;
            continue;
        }
        if (synth_cell_parse_number(col, s, len, &v[r]) || !isfinite(v[r])) {
            synth_free(v);
            return synth_err_set(err, SYNTH_BAD_INPUT, "line %llu, column '%s': '%.40s' is not a valid %s",
                                 (unsigned long long)t->line[r], col->name, s, synth_col_type_name(col->type));
        }
    }
    *out = v;
    return 0;
}

typedef struct label_index {
    const char *value;
    int32_t index;
} label_index;

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const label_index *)a)->value, ((const label_index *)b)->value);
}

/* Slot of every row of a discrete column (null slot = ncategories); *saw_null set. */
static int column_slots(const synth_column *col, size_t c, const synth_sample_table *t, int32_t *slots,
                        int *saw_null, synth_err *err)
{
    size_t nc = col->ncategories;
    label_index *idx = synth_malloc((nc ? nc : 1) * sizeof *idx);
    if (idx == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    for (size_t i = 0; i < nc; i++)
        idx[i] = (label_index){col->categories[i].value, (int32_t)i};
    qsort(idx, nc, sizeof *idx, cmp_label);
    *saw_null = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        const char *s = t->cells[r * t->ncols + c];
        if (t->lens[r * t->ncols + c] == 0) {
            slots[r] = (int32_t)nc;
            *saw_null = 1;
            continue;
        }
        label_index key = {s, 0};
        label_index *hit = nc ? bsearch(&key, idx, nc, sizeof *idx, cmp_label) : NULL;
        if (hit == NULL) {
            synth_free(idx);
            return synth_err_set(err, SYNTH_BAD_INPUT, "line %llu, column '%s': '%.40s' is not a known category",
                                 (unsigned long long)t->line[r], col->name, s);
        }
        slots[r] = hit->index;
    }
    synth_free(idx);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The most frequent value of v[0..n) and its count. */
static int most_frequent(const double *v, size_t n, double *value, size_t *count)
{
    double *s = synth_malloc(n * sizeof *s);
    if (s == NULL)
        return SYNTH_NOMEM;
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    *count = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && s[j] == s[i])
            j++;
        if (j - i > *count) {
            *count = j - i;
            *value = s[i];
        }
        i = j;
    }
    synth_free(s);
    return 0;
}

static int fit_continuous(synth_ctgan_tcol *tc, const synth_column *col, const synth_sample_table *t, int max_modes,
                          double point_share, uint64_t seed, synth_err *err)
{
    double *v;
    int rc = column_values(col, tc->col, t, &v, err);
    if (rc)
        return rc;
    size_t nn = 0;
    double sum = 0;
    tc->lo = INFINITY;
    tc->hi = -INFINITY;
    for (size_t r = 0; r < t->nrows; r++)
        if (!isnan(v[r])) {
            sum += v[r];
            tc->lo = fmin(tc->lo, v[r]);
            tc->hi = fmax(tc->hi, v[r]);
            v[nn++] = v[r];
        }
    tc->has_null = nn < t->nrows || col->null_count > 0;
    if (nn == 0) {   /* all null: a constant stands in */
        v[0] = 0;
        nn = 1;
        tc->lo = tc->hi = 0;
    }
    tc->fill = nn ? sum / (double)nn : 0;
    tc->has_point = 0;
    if (point_share > 0 && nn > 1) {
        size_t cnt;
        if (most_frequent(v, nn, &tc->point, &cnt)) {
            synth_free(v);
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        }
        if ((double)cnt >= point_share * (double)nn && cnt < nn) {
            size_t k = 0;   /* the mixture models the rest */
            for (size_t i = 0; i < nn; i++)
                if (v[i] != tc->point)
                    v[k++] = v[i];
            nn = k;
            tc->has_point = 1;
        }
    }
    synth_bgm_options opt;
    synth_bgm_options_init(&opt);
    opt.ncomp = max_modes;
    rc = synth_bgm_fit(v, nn, &opt, seed + tc->col, &tc->bgm, err);
    synth_free(v);
    if (rc)
        return rc;
    tc->nmodes = 0;
    for (int k = 0; k < tc->bgm.ncomp; k++)
        if (tc->bgm.weight[k] > WEIGHT_THRESHOLD || tc->bgm.ncomp == 1)
            tc->mode[tc->nmodes++] = k;
    if (tc->nmodes == 0) {   /* cannot happen with weights summing to 1 and <= 10 modes; kept safe */
        int best = 0;
        for (int k = 1; k < tc->bgm.ncomp; k++)
            if (tc->bgm.weight[k] > tc->bgm.weight[best])
                best = k;
        tc->mode[tc->nmodes++] = best;
    }
    return 0;
}

int synth_ctgan_transformer_fit(const synth_schema *schema, const synth_sample_table *t, int max_modes, double point_share,
                                uint64_t seed, synth_ctgan_transformer **out, synth_err *err)
{
    *out = NULL;
    synth_ctgan_transformer *tf;
    if (alloc_cols(schema, &tf))
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    int32_t *slots = synth_malloc((t->nrows ? t->nrows : 1) * sizeof *slots);
    int rc = 0;
    if (slots == NULL)
        goto nomem;
    for (size_t i = 0; i < tf->ncols; i++) {
        synth_ctgan_tcol *tc = &tf->cols[i];
        const synth_column *col = &schema->cols[tc->col];
        if (tc->continuous) {
            rc = fit_continuous(tc, col, t, max_modes, point_share, seed, err);
        } else {
            int saw_null;
            rc = column_slots(col, tc->col, t, slots, &saw_null, err);
            tc->has_null = saw_null || col->null_count > 0 || col->ncategories == 0;
            tc->ncat = (int)col->ncategories + tc->has_null;
        }
        if (rc)
            goto fail;
    }
    if (build_layout(tf))
        goto nomem;
    synth_free(slots);
    *out = tf;
    return 0;
nomem:
    rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
fail:
    synth_free(slots);
    synth_ctgan_transformer_free(tf);
    return rc;
}

int synth_ctgan_transform(const synth_ctgan_transformer *tf, const synth_schema *schema,
                          const synth_sample_table *t, uint64_t seed, float **data, int32_t **cats,
                          synth_err *err)
{
    size_t n = t->nrows, dim = (size_t)tf->data_dim, nd = (size_t)tf->ndiscrete;
    *data = synth_calloc(n > 0 && dim > 0 ? n * dim : 1, sizeof **data);
    *cats = synth_malloc((n > 0 && nd > 0 ? n * nd : 1) * sizeof **cats);
    int32_t *slots = synth_malloc((n ? n : 1) * sizeof *slots);
    int rc = 0;
    if (*data == NULL || *cats == NULL || slots == NULL) {
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < tf->ncols; i++) {
        const synth_ctgan_tcol *tc = &tf->cols[i];
        const synth_column *col = &schema->cols[tc->col];
        if (!tc->continuous) {
            int saw_null;
            if ((rc = column_slots(col, tc->col, t, slots, &saw_null, err)))
                goto fail;
            for (size_t r = 0; r < n; r++) {
                int32_t s = slots[r];
                if (s >= tc->ncat) {   /* a null in a column whose fit saw none */
                    rc = synth_err_set(err, SYNTH_BAD_INPUT, "line %llu, column '%s': null not seen when fitting",
                                       (unsigned long long)t->line[r], col->name);
                    goto fail;
                }
                (*data)[r * dim + (size_t)tc->offset + (size_t)s] = 1.0f;
                (*cats)[r * nd + (size_t)tc->discrete_index] = s;
            }
            continue;
        }
        double *v;
        if ((rc = column_values(col, tc->col, t, &v, err)))
            goto fail;
        const synth_bgm *m = &tc->bgm;
        for (size_t r = 0; r < n; r++) {
            int null = isnan(v[r]);
            double x = null ? tc->fill : v[r];
            float *row = *data + r * dim + (size_t)tc->offset;
            if (tc->has_point && !null && x == tc->point) {
                row[0] = 0.0f;
                row[1] = 1.0f;
                if (tc->has_null)
                    row[2 + tc->nmodes] = 1.0f;
                continue;
            }
            double p[SYNTH_BGM_MAX_COMPONENTS], cum[SYNTH_BGM_MAX_COMPONENTS], total = 0;
            synth_bgm_proba(m, x, p);
            for (int k = 0; k < tc->nmodes; k++) {
                total += p[tc->mode[k]] + 1e-6;
                cum[k] = total;
            }
            synth_rng rng;
            synth_rng_init(&rng, seed, r, TF_STREAM + (uint32_t)tc->col);
            double u = synth_rng_uniform(&rng) * total;
            int k = 0;
            while (k + 1 < tc->nmodes && cum[k] < u)
                k++;
            int comp = tc->mode[k];
            double alpha = (x - m->mean[comp]) / (STD_MULTIPLIER * m->std[comp]);
            alpha = alpha < -0.99 ? -0.99 : alpha > 0.99 ? 0.99 : alpha;
            row[0] = (float)alpha;
            row[1 + tc->has_point + k] = 1.0f;
            if (tc->has_null)
                row[1 + tc->has_point + tc->nmodes + null] = 1.0f;
        }
        synth_free(v);
    }
    synth_free(slots);
    return 0;
fail:
    synth_free(slots);
    synth_free(*data);
    synth_free(*cats);
    *data = NULL;
    *cats = NULL;
    return rc;
}

/* A draw from softmax(raw[0..n)): the same distribution as argmax(raw + Gumbel noise), the
 * reference's Gumbel-softmax followed by argmax, for one uniform and n exponentials. */
static int softmax_draw(const float *raw, int n, synth_rng *rng)
{
    float mx = raw[0];
    for (int k = 1; k < n; k++)
        mx = raw[k] > mx ? raw[k] : mx;
    double p[256], sum = 0;
    if (n > 256) {   /* wider spans (many categories): two passes, no buffer */
        for (int k = 0; k < n; k++)
            sum += exp((double)(raw[k] - mx));
        double u = synth_rng_uniform(rng) * sum, acc = 0;
        for (int k = 0; k < n; k++) {
            acc += exp((double)(raw[k] - mx));
            if (u < acc)
                return k;
        }
        return n - 1;
    }
    for (int k = 0; k < n; k++) {
        p[k] = exp((double)(raw[k] - mx));
        sum += p[k];
    }
    double u = synth_rng_uniform(rng) * sum, acc = 0;
    for (int k = 0; k < n; k++) {
        acc += p[k];
        if (u < acc)
            return k;
    }
    return n - 1;
}

void synth_ctgan_decode_row(const synth_ctgan_transformer *tf, const synth_schema *schema, const float *raw,
                            synth_rng *rng, synth_chunk *ch, size_t r)
{
    for (size_t i = 0; i < tf->ncols; i++) {
        const synth_ctgan_tcol *tc = &tf->cols[i];
        const float *x = raw + tc->offset;
        size_t cell = tc->col * ch->cap + r;
        if (!tc->continuous) {
            int s = softmax_draw(x, tc->ncat, rng);
            int nc = (int)schema->cols[tc->col].ncategories;
            ch->is_null[cell] = s >= nc;
            ch->cells[cell].index = s >= nc ? 0 : s;
            continue;
        }
        double alpha = tanh((double)x[0]);
        int k = softmax_draw(x + 1, tc->has_point + tc->nmodes, rng), comp;
        double v;
        if (tc->has_point && k == 0) {
            v = tc->point;
        } else {
            comp = tc->mode[k - tc->has_point];
            v = alpha * STD_MULTIPLIER * tc->bgm.std[comp] + tc->bgm.mean[comp];
            v = v < tc->lo ? tc->lo : v > tc->hi ? tc->hi : v;
        }
        int null = tc->has_null && softmax_draw(x + 1 + tc->has_point + tc->nmodes, 2, rng) == 1;
        ch->is_null[cell] = (uint8_t)null;
        ch->cells[cell].num = v;
    }
}

/* ---- JSON ------------------------------------------------------------------------------------- */

static json_t *doubles_json(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < n; i++)
        if (json_array_append_new(a, json_real(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *synth_ctgan_transformer_to_json(const synth_ctgan_transformer *tf, const synth_schema *schema)
{
    json_t *cols = json_array();
    for (size_t i = 0; cols != NULL && i < tf->ncols; i++) {
        const synth_ctgan_tcol *tc = &tf->cols[i];
        json_t *o;
        if (tc->continuous) {
            const synth_bgm *m = &tc->bgm;
            json_t *modes = json_array();
            for (int k = 0; modes != NULL && k < tc->nmodes; k++)
                json_array_append_new(modes, json_integer(tc->mode[k]));
            o = json_pack("{s:s, s:s, s:o, s:b, s:o, s:f, s:f, s:f, s:{s:i, s:i, s:b, s:o, s:o, s:o, s:o, s:o}}",
                          "column", schema->cols[tc->col].name, "kind", "continuous", "modes", modes, "has_null",
                          tc->has_null, "point_mass", tc->has_point ? json_real(tc->point) : json_null(), "fill",
                          tc->fill, "lo", tc->lo, "hi", tc->hi, "mixture", "components",
                          m->ncomp, "iterations", m->iterations, "converged", m->converged, "weight",
                          doubles_json(m->weight, m->ncomp), "mean", doubles_json(m->mean, m->ncomp), "std",
                          doubles_json(m->std, m->ncomp), "prec", doubles_json(m->prec, m->ncomp), "logc",
                          doubles_json(m->logc, m->ncomp));
        } else {
            o = json_pack("{s:s, s:s, s:i, s:b}", "column", schema->cols[tc->col].name, "kind", "discrete",
                          "slots", tc->ncat, "has_null", tc->has_null);
        }
        if (o == NULL || json_array_append_new(cols, o)) {
            json_decref(cols);
            return NULL;
        }
    }
    return cols == NULL ? NULL : json_pack("{s:o, s:i, s:i}", "columns", cols, "data_dim", tf->data_dim,
                                           "cond_dim", tf->cond_dim);
}

static int bad(synth_err *err, const char *what)
{
    return synth_err_set(err, SYNTH_MODEL, "ctgan transformer is damaged: %s", what);
}

static int read_doubles(const json_t *a, double *v, int n)
{
    if (!json_is_array(a) || json_array_size(a) != (size_t)n)
        return -1;
    for (int i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, (size_t)i);
        if (!json_is_number(x))
            return -1;
        v[i] = json_number_value(x);
    }
    return 0;
}

static int tcol_from_json(synth_ctgan_tcol *tc, const json_t *o, const synth_schema *schema, synth_err *err)
{
    const synth_column *col = &schema->cols[tc->col];
    const char *name = json_string_value(json_object_get(o, "column"));
    const char *kind = json_string_value(json_object_get(o, "kind"));
    if (name == NULL || strcmp(name, col->name) != 0 || kind == NULL)
        return synth_err_set(err, SYNTH_MODEL, "ctgan transformer: its columns do not match this table's (made from another input?)");
    if (strcmp(kind, tc->continuous ? "continuous" : "discrete") != 0)
        return bad(err, "column kind does not match the schema");
    tc->has_null = json_is_true(json_object_get(o, "has_null"));
    if (!tc->continuous) {
        tc->ncat = (int)json_integer_value(json_object_get(o, "slots"));
        if (tc->ncat != (int)col->ncategories + tc->has_null || tc->ncat < 1)
            return bad(err, "category slots");
        return 0;
    }
    const json_t *pm = json_object_get(o, "point_mass");
    tc->has_point = json_is_number(pm);
    tc->point = tc->has_point ? json_number_value(pm) : 0.0;
    tc->fill = json_number_value(json_object_get(o, "fill"));
    tc->lo = json_number_value(json_object_get(o, "lo"));
    tc->hi = json_number_value(json_object_get(o, "hi"));
    const json_t *mj = json_object_get(o, "mixture");
    synth_bgm *m = &tc->bgm;
    m->ncomp = (int)json_integer_value(json_object_get(mj, "components"));
    m->iterations = (int)json_integer_value(json_object_get(mj, "iterations"));
    m->converged = json_is_true(json_object_get(mj, "converged"));
    if (m->ncomp < 1 || m->ncomp > SYNTH_BGM_MAX_COMPONENTS)
        return bad(err, "mixture components");
    if (read_doubles(json_object_get(mj, "weight"), m->weight, m->ncomp) ||
        read_doubles(json_object_get(mj, "mean"), m->mean, m->ncomp) ||
        read_doubles(json_object_get(mj, "std"), m->std, m->ncomp) ||
        read_doubles(json_object_get(mj, "prec"), m->prec, m->ncomp) ||
        read_doubles(json_object_get(mj, "logc"), m->logc, m->ncomp))
        return bad(err, "mixture parameters");
    const json_t *modes = json_object_get(o, "modes");
    tc->nmodes = (int)json_array_size(modes);
    if (tc->nmodes < 1 || tc->nmodes > m->ncomp)
        return bad(err, "modes");
    for (int k = 0; k < tc->nmodes; k++) {
        json_int_t c = json_integer_value(json_array_get(modes, (size_t)k));
        if (c < 0 || c >= m->ncomp)
            return bad(err, "mode index");
        tc->mode[k] = (int)c;
    }
    return 0;
}

int synth_ctgan_transformer_from_json(const json_t *j, const synth_schema *schema, synth_ctgan_transformer **out,
                                      synth_err *err)
{
    *out = NULL;
    synth_ctgan_transformer *tf;
    if (alloc_cols(schema, &tf))
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    const json_t *cols = json_object_get(j, "columns");
    int rc;
    if (!json_is_array(cols) || json_array_size(cols) != tf->ncols) {
        rc = synth_err_set(err, SYNTH_MODEL, "ctgan transformer: its columns do not match this table's (made from another input?)");
        goto fail;
    }
    for (size_t i = 0; i < tf->ncols; i++)
        if ((rc = tcol_from_json(&tf->cols[i], json_array_get(cols, i), schema, err)))
            goto fail;
    if (build_layout(tf)) {
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
        goto fail;
    }
    *out = tf;
    return 0;
fail:
    synth_ctgan_transformer_free(tf);
    return rc;
}
