/* pipeline.c -- fit a CSV into a model file; open a model file.  See pipeline.h. */
#include "pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alloc.h"
#include "model_file.h"
#include "pii_detect.h"
#include "signals.h"

void synth_fit_request_init(synth_fit_request *req)
{
    memset(req, 0, sizeof *req);
    req->generator = "copula";
    synth_infer_options_init(&req->infer);
    req->fit.progress = SYNTH_PROGRESS_AUTO;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct count_entry {
    const char *value;
    uint64_t count;
} count_entry;

static int cmp_count_value(const void *a, const void *b)
{
    return strcmp(((const count_entry *)a)->value, ((const count_entry *)b)->value);
}

static int cmp_count_desc(const void *a, const void *b)
{
    const count_entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->value, y->value);
}

/* A column whose type was overridden to categorical/boolean: categories from the sample. */
static int categories_from_sample(synth_column *col, size_t c, const synth_sample_table *t, synth_err *err)
{
    count_entry *e = synth_malloc((t->nrows ? t->nrows : 1) * sizeof *e);
    if (e == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    size_t n = 0;
    uint64_t nulls = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        if (t->lens[r * t->ncols + c] == 0)
            nulls++;
        else
            e[n++] = (count_entry){t->cells[r * t->ncols + c], 1};
    }
    qsort(e, n, sizeof *e, cmp_count_value);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u > 0 && strcmp(e[u - 1].value, e[i].value) == 0)
            e[u - 1].count++;
        else
            e[u++] = e[i];
    }
    qsort(e, u, sizeof *e, cmp_count_desc);
    for (size_t i = 0; i < col->ncategories; i++)
        synth_free(col->categories[i].value);
    synth_free(col->categories);
    col->ncategories = 0;
    col->categories = synth_calloc(u ? u : 1, sizeof *col->categories);
    if (col->categories == NULL) {
        synth_free(e);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < u; i++) {
        if ((col->categories[i].value = synth_strdup(e[i].value)) == NULL) {
            synth_free(e);
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        }
        col->categories[i].count = e[i].count;
        col->ncategories = i + 1;
    }
    col->null_count = nulls;
    col->count = t->nrows;
    synth_free(e);
    return 0;
}

/* Re-derive what a column's new type needs after --schema changed it. */
static int complete_overridden(synth_schema *s, const synth_col_type *before, const synth_sample_table *t,
                               synth_err *err)
{
    for (size_t c = 0; c < s->ncols; c++) {
        synth_column *col = &s->cols[c];
        if (col->type == before[c])
            continue;
        switch (col->type) {
        case SYNTH_COL_CATEGORICAL:
        case SYNTH_COL_BOOLEAN: {
            int rc = categories_from_sample(col, c, t, err);
            if (rc)
                return rc;
            break;
        }
        case SYNTH_COL_INTEGER:
        case SYNTH_COL_FLOAT:
        case SYNTH_COL_DATETIME: {
            col->min = INFINITY;
            col->max = -INFINITY;
            uint64_t nulls = 0;
            for (size_t r = 0; r < t->nrows; r++) {
                const char *v = t->cells[r * t->ncols + c];
                size_t len = t->lens[r * t->ncols + c];
                double x;
                if (synth_cell_is_null(col, v, len)) {
                    nulls++;
                    continue;
                }
                if (synth_cell_parse_number(col, v, len, &x))
                    return synth_err_set(err, SYNTH_BAD_INPUT, "line %llu, column '%s': '%.40s' is not a valid %s "
                                         "(type set by --schema)", (unsigned long long)t->line[r], col->name, v,
                                         synth_col_type_name(col->type));
                col->min = fmin(col->min, x);
                col->max = fmax(col->max, x);
            }
            col->null_count = nulls;
            col->count = t->nrows;
            break;
        }
        case SYNTH_COL_TEXT: {
            uint64_t words = 0, cells = 0;
            for (size_t r = 0; r < t->nrows; r++) {
                const char *v = t->cells[r * t->ncols + c];
                size_t len = t->lens[r * t->ncols + c];
                if (len == 0)
                    continue;
                cells++;
                int in_word = 0;
                for (size_t i = 0; i < len; i++) {
                    int sp = v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r';
                    words += !sp && !in_word;
                    in_word = !sp;
                }
            }
            col->text_mean_words = cells ? (double)words / (double)cells : 0.0;
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

/* The shape of a real value with nothing identifying left: digits become '0' and letters 'x'/'X',
 * except what the fake generator needs to follow the format (a card's first digit for the brand,
 * an IBAN's country letters, a phone's country code after '+'). */
static void pii_shape(synth_pii_entity e, const char *s, size_t len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < size; i++) {
        char ch = s[i];
        int keep = (e == SYNTH_PII_CARD && i == 0) || (e == SYNTH_PII_IBAN && i < 2) ||
                   (e == SYNTH_PII_PHONE && s[0] == '+' && i > 0 && i <= 2);
        if (!keep && ch >= '0' && ch <= '9')
            ch = '0';
        else if (!keep && ch >= 'a' && ch <= 'z')
            ch = 'x';
        else if (!keep && ch >= 'A' && ch <= 'Z')
            ch = 'X';
        out[n++] = ch;
    }
    out[n] = '\0';
}

/* Columns that hold personal data (structured: most cells are one PII value) become type pii:
 * their values are never modelled, and generation writes fresh format-valid fakes. */
static int detect_pii_columns(synth_schema *s, const synth_sample_table *t, synth_err *err)
{
    synth_pii_names *names = NULL;
    char found[512];
    int rc = synth_pii_names_load_default(&names, found, sizeof found, err);
    if (rc)
        return rc;
    size_t rows = t->nrows < 5000 ? t->nrows : 5000;
    for (size_t c = 0; c < s->ncols; c++) {
        synth_column *col = &s->cols[c];
        if (col->type == SYNTH_COL_FLOAT || col->type == SYNTH_COL_BOOLEAN)
            continue;
        synth_pii_column_counts counts;
        memset(&counts, 0, sizeof counts);
        for (size_t r = 0; r < rows; r++)
            synth_pii_count_cell(&counts, t->cells[r * t->ncols + c], t->lens[r * t->ncols + c], col->name, names,
                                 NULL);
        synth_pii_column_report rep;
        synth_pii_column_decide(&counts, synth_pii_column_hints(col->name), &rep);
        if (!rep.is_pii || rep.free_text || rep.share < 0.5)
            continue;
        /* the shape of the first value that is wholly this entity */
        char shape[SYNTH_PII_TEXT_MAX] = "";
        for (size_t r = 0; r < rows && shape[0] == '\0'; r++) {
            const char *v = t->cells[r * t->ncols + c];
            size_t len = t->lens[r * t->ncols + c];
            synth_pii_match m[4];
            size_t k = synth_pii_find_ex(v, len, col->name, names, m, 4);
            if (k == 1 && m[0].entity == rep.entity && m[0].len * 10 >= len * 9)
                pii_shape(rep.entity, v, len, shape, sizeof shape);
        }
        for (size_t i = 0; i < col->ncategories; i++)
            synth_free(col->categories[i].value);
        synth_free(col->categories);
        col->categories = NULL;
        col->ncategories = 0;
        synth_free(col->pii_shape);
        col->pii_shape = synth_strdup(shape);
        if (col->pii_shape == NULL) {
            synth_pii_names_free(names);
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        }
        col->type = SYNTH_COL_PII;
        col->pii_entity = (int)rep.entity;
    }
    synth_pii_names_free(names);
    return 0;
}

static int infer_with_overrides(const char *input, const char *schema_path, const synth_infer_options *opt,
                                synth_schema **schema, synth_sample_table **sample, synth_csv_stats *stats,
                                synth_err *err)
{
    int rc = synth_infer_csv(input, opt, schema, sample, stats, err);
    if (rc == 0 && sample != NULL && *sample != NULL)
        rc = detect_pii_columns(*schema, *sample, err);
    if (rc || schema_path == NULL)
        return rc;
    synth_col_type *before = synth_malloc((*schema)->ncols * sizeof *before);
    if (before == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    for (size_t c = 0; c < (*schema)->ncols; c++)
        before[c] = (*schema)->cols[c].type;
    rc = synth_schema_apply_overrides(*schema, schema_path, err);
    if (rc == 0 && sample != NULL && *sample != NULL)
        rc = complete_overridden(*schema, before, *sample, err);
    synth_free(before);
    return rc;
}

int synth_schema_csv(const char *input, const char *schema_path, const synth_infer_options *opt,
                     synth_schema **out, synth_err *err)
{
    synth_sample_table *sample = NULL;
    int rc = infer_with_overrides(input, schema_path, opt, out, &sample, NULL, err);
    synth_sample_table_free(sample);
    if (rc) {
        synth_schema_free(*out);
        *out = NULL;
    }
    return rc;
}

static int write_model(const synth_fit_request *req, const synth_generator *gen, const synth_schema *schema,
                       const synth_model *model, const synth_fit_result *res, synth_err *err)
{
    synth_model_file *mf = NULL;
    int rc = synth_model_file_create(&mf, req->output, err);
    if (rc)
        return rc;
    json_t *sj = synth_schema_to_json(schema);
    char *schema_text = sj ? json_dumps(sj, JSON_COMPACT) : NULL;
    json_decref(sj);
    char created[32], num[32];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    if (schema_text == NULL) {
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = synth_model_file_set_meta(mf, "format", "synth-model", err)) ||
        (rc = synth_model_file_set_meta(mf, "generator", gen->name, err)) ||
        (rc = synth_model_file_set_meta(mf, "synth_version", SYNTH_VERSION, err)) ||
        (rc = synth_model_file_set_meta(mf, "created_at", created, err)) ||
        (rc = synth_model_file_set_meta(mf, "schema", schema_text, err)))
        goto done;
    snprintf(num, sizeof num, "%llu", (unsigned long long)req->fit.seed);
    if ((rc = synth_model_file_set_meta(mf, "fit_seed", num, err)))
        goto done;
    if ((rc = synth_model_file_add_provenance(mf, "source", req->input, err)))
        goto done;
    struct stat sb;
    if (strcmp(req->input, "-") != 0 && stat(req->input, &sb) == 0) {
        snprintf(num, sizeof num, "%lld", (long long)sb.st_size);
        if ((rc = synth_model_file_add_provenance(mf, "source_bytes", num, err)))
            goto done;
    }
    snprintf(num, sizeof num, "%llu", (unsigned long long)res->rows);
    if ((rc = synth_model_file_add_provenance(mf, "rows", num, err)))
        goto done;
    snprintf(num, sizeof num, "%llu", (unsigned long long)res->sample_rows);
    if ((rc = synth_model_file_add_provenance(mf, "rows_fitted", num, err)))
        goto done;
    snprintf(num, sizeof num, "%llu", (unsigned long long)res->skipped_rows);
    if ((rc = synth_model_file_add_provenance(mf, "rows_skipped", num, err)))
        goto done;
    for (size_t i = 0; i < req->fit.nparams; i++)
        if ((rc = synth_model_file_add_provenance(mf, "param", req->fit.params[i], err)))
            goto done;
    if ((rc = gen->save(model, mf, err)))
        goto done;
    rc = synth_model_file_commit(mf, err);
    mf = NULL;
done:
    free(schema_text);
    synth_model_file_free(mf);
    return rc;
}

int synth_fit_csv(const synth_fit_request *req, synth_fit_result *result, synth_err *err)
{
    double t0 = now_seconds();
    synth_fit_result local = {0};
    if (result == NULL)
        result = &local;
    memset(result, 0, sizeof *result);
    const synth_generator *gen = synth_generator_find(req->generator ? req->generator : "copula");
    if (gen == NULL)
        return synth_err_set(err, SYNTH_USAGE, "unknown generator '%s' (see synth fit --help)", req->generator);
    int rc = synth_params_check(&req->fit, gen, err);
    if (rc)
        return rc;
    synth_schema *schema = NULL;
    synth_sample_table *sample = NULL;
    synth_model *model = NULL;
    synth_csv_stats stats = {0};
    rc = infer_with_overrides(req->input, req->schema_path, &req->infer, &schema, &sample, &stats, err);
    if (rc)
        goto done;
    result->rows = stats.rows;
    result->skipped_rows = stats.skipped_rows;
    result->sample_rows = sample->nrows;
    result->ncols = schema->ncols;
    rc = gen->fit(schema, sample, &req->fit, &model, err);
    if (rc) {
        synth_err_prefix(err, "%s: ", req->input);
        goto done;
    }
    synth_sample_table_free(sample);   /* the reservoir is not needed past fit */
    sample = NULL;
    if (synth_signals_interrupted()) {
        rc = synth_err_set(err, SYNTH_INTERRUPTED, "interrupted");
        goto done;
    }
    rc = write_model(req, gen, schema, model, result, err);
    result->seconds = now_seconds() - t0;
done:
    if (model != NULL)
        gen->free(model);
    synth_sample_table_free(sample);
    synth_schema_free(schema);
    return rc;
}

void synth_loaded_model_free(synth_loaded_model *lm)
{
    if (lm == NULL)
        return;
    if (lm->model != NULL)
        lm->gen->free(lm->model);
    synth_schema_free(lm->schema);
    json_decref(lm->info);
    synth_free(lm);
}

static void add_provenance(const char *key, const char *value, void *ctx)
{
    json_t *prov = ctx;
    json_t *old = json_object_get(prov, key);
    if (old == NULL) {
        json_object_set_new(prov, key, json_string(value));
    } else if (json_is_array(old)) {
        json_array_append_new(old, json_string(value));
    } else {
        json_t *arr = json_pack("[O, s]", old, value);
        json_object_set_new(prov, key, arr);
    }
}

int synth_model_open(const char *path, synth_loaded_model **out, synth_err *err)
{
    *out = NULL;
    synth_model_file *mf = NULL;
    char *gen_name = NULL, *schema_text = NULL, *version = NULL, *created = NULL;
    synth_loaded_model *lm = synth_calloc(1, sizeof *lm);
    if (lm == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    int rc = synth_model_file_open(&mf, path, err);
    if (rc)
        goto fail;
    if ((rc = synth_model_file_get_meta(mf, "generator", &gen_name, err)) ||
        (rc = synth_model_file_get_meta(mf, "schema", &schema_text, err)) ||
        (rc = synth_model_file_get_meta(mf, "synth_version", &version, err)) ||
        (rc = synth_model_file_get_meta(mf, "created_at", &created, err)))
        goto fail;
    lm->gen = synth_generator_find(gen_name);
    if (lm->gen == NULL) {
        rc = synth_err_set(err, SYNTH_MODEL, "%s: generator '%s' is not part of this synth", path, gen_name);
        goto fail;
    }
    json_error_t jerr;
    json_t *sj = json_loads(schema_text, 0, &jerr);
    if (sj == NULL) {
        rc = synth_err_set(err, SYNTH_MODEL, "%s: stored schema is not valid JSON", path);
        goto fail;
    }
    rc = synth_schema_from_json(sj, &lm->schema, err);
    json_decref(sj);
    if (rc) {
        synth_err_prefix(err, "%s: ", path);
        goto fail;
    }
    rc = lm->gen->load(mf, lm->schema, &lm->model, err);
    if (rc) {
        synth_err_prefix(err, "%s: ", path);
        goto fail;
    }
    json_t *prov = json_object();
    synth_model_file_each_provenance(mf, add_provenance, prov, NULL);
    double eps = 0, delta = 0;
    synth_model_file_privacy_spent(mf, &eps, &delta, NULL);
    lm->info = json_pack("{s:s, s:i, s:s, s:s, s:s, s:o, s:{s:f, s:f}}", "path", path, "format_version",
                         synth_model_file_format_version(mf), "generator", gen_name, "synth_version", version,
                         "created_at", created, "provenance", prov ? prov : json_object(), "privacy_spent",
                         "epsilon", eps, "delta", delta);
    synth_model_file_free(mf);
    synth_free(gen_name);
    synth_free(schema_text);
    synth_free(version);
    synth_free(created);
    *out = lm;
    return 0;
fail:
    synth_model_file_free(mf);
    synth_free(gen_name);
    synth_free(schema_text);
    synth_free(version);
    synth_free(created);
    synth_loaded_model_free(lm);
    return rc;
}
