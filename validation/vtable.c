/* vtable.c -- typed row samples of a CSV and their numeric encoding: see vtable.h.
 *
 * Reading maps header columns to schema columns by name, then streams the file chunk by chunk:
 * each row's numeric cells are parsed (to report bad values wherever they are), and rows that
 * the reservoir keeps are converted in full (categories looked up in a small per-column hash
 * map).  The table's storage grows by doubling up to max_rows. */
#include "vtable.h"

#include <math.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "rng.h"
#include "signals.h"

synth_vtable *synth_vtable_new(size_t nrows, size_t ncols)
{
    if (ncols != 0 && nrows > SIZE_MAX / sizeof(double) / ncols)
        return NULL;
    synth_vtable *t = synth_calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->v = synth_malloc(nrows * ncols * sizeof(double));
    if (t->v == NULL) {
        synth_free(t);
        return NULL;
    }
    for (size_t i = 0; i < nrows * ncols; i++)
        t->v[i] = NAN;
    t->nrows = nrows;
    t->ncols = ncols;
    t->rows_seen = nrows;
    return t;
}

void synth_vtable_free(synth_vtable *t)
{
    if (t == NULL)
        return;
    synth_free(t->v);
    synth_free(t);
}

static int is_numeric(synth_col_type t)
{
    return t == SYNTH_COL_INTEGER || t == SYNTH_COL_FLOAT || t == SYNTH_COL_DATETIME;
}

static int is_categorical(synth_col_type t)
{
    return t == SYNTH_COL_CATEGORICAL || t == SYNTH_COL_BOOLEAN;
}

/* ---- category lookup: open addressing over the schema's category strings ---------------------- */

typedef struct cat_map {
    uint32_t *slots;        /* category index + 1; 0 = empty */
    size_t mask;
} cat_map;


static int cat_map_init(cat_map *m, const synth_column *col)
{
    size_t cap = 8;
    while (cap < 2 * col->ncategories + 2)
        cap *= 2;
    m->slots = synth_calloc(cap, sizeof *m->slots);
    if (m->slots == NULL)
        return -1;
    m->mask = cap - 1;
    for (size_t i = 0; i < col->ncategories && i < UINT32_MAX - 1; i++) {
        const char *v = col->categories[i].value;
        size_t h = (size_t)synth_hash_bytes(v, strlen(v)) & m->mask;
        while (m->slots[h] != 0) {
            /* a duplicate category keeps its first index, as synth_cell_category would */
            if (strcmp(col->categories[m->slots[h] - 1].value, v) == 0)
                break;
            h = (h + 1) & m->mask;
        }
        if (m->slots[h] == 0)
            m->slots[h] = (uint32_t)(i + 1);
    }
    return 0;
}

static double cat_map_find(const cat_map *m, const synth_column *col, const char *s, size_t len)
{
    size_t h = (size_t)synth_hash_bytes(s, len) & m->mask;
    while (m->slots[h] != 0) {
        const char *v = col->categories[m->slots[h] - 1].value;
        if (strncmp(v, s, len) == 0 && v[len] == '\0')
            return (double)(m->slots[h] - 1);
        h = (h + 1) & m->mask;
    }
    return (double)col->ncategories;   /* "other" */
}

/* ---- reading -------------------------------------------------------------------------------------- */

typedef struct read_ctx {
    const char *path;
    const synth_schema *schema;
    size_t hcols;           /* header columns (= schema->ncols once checked) */
    size_t *hdr_to_col;     /* header column -> schema column */
    cat_map *maps;          /* per schema column (slots NULL unless categorical/boolean) */
} read_ctx;

/* Parse row r of the chunk.  dst (schema order) may be NULL: then only numeric cells are checked. */
static int parse_row(const read_ctx *ctx, const synth_csv_chunk *ch, size_t r, double *dst, synth_err *err)
{
    for (size_t h = 0; h < ctx->hcols; h++) {
        size_t c = ctx->hdr_to_col[h];
        const synth_column *col = &ctx->schema->cols[c];
        if (!is_numeric(col->type) && dst == NULL)
            continue;
        size_t len;
        const char *s = synth_csv_cell(ch, r, h, &len);
        double x = NAN;
        if (is_numeric(col->type)) {
            if (!synth_cell_is_null(col, s, len)) {
                if (synth_cell_parse_number(col, s, len, &x) != 0 || !isfinite(x))
                    return synth_err_set(err, SYNTH_BAD_INPUT, "%s: line %llu, column '%s': '%.40s' is not a valid %s",
                                         ctx->path, (unsigned long long)ch->line[r], col->name, s,
                                         synth_col_type_name(col->type));
            }
        } else if (is_categorical(col->type)) {
            if (!synth_cell_is_null(col, s, len))
                x = cat_map_find(&ctx->maps[c], col, s, len);
        }
        if (dst != NULL)
            dst[c] = x;
    }
    return SYNTH_OK;
}

/* Make room for row index `row` (grows by doubling, never past limit rows; limit 0 = none). */
static int ensure_rows(synth_vtable *t, size_t *alloc_rows, size_t row, size_t limit)
{
    if (row < *alloc_rows)
        return 0;
    size_t want = *alloc_rows ? *alloc_rows * 2 : 1024;
    if (want <= row)
        want = row + 1;
    if (limit != 0 && want > limit)
        want = limit;
    size_t ncols = t->ncols ? t->ncols : 1;
    if (want > SIZE_MAX / sizeof(double) / ncols)
        return -1;
    double *nv = synth_realloc(t->v, want * ncols * sizeof(double));
    if (nv == NULL)
        return -1;
    t->v = nv;
    *alloc_rows = want;
    return 0;
}

static int map_header(read_ctx *ctx, const synth_csv_reader *rd, synth_err *err)
{
    const synth_schema *schema = ctx->schema;
    size_t hc = synth_csv_reader_ncols(rd);
    ctx->hdr_to_col = synth_calloc(hc ? hc : 1, sizeof *ctx->hdr_to_col);
    unsigned char *seen = synth_calloc(schema->ncols ? schema->ncols : 1, 1);
    if (ctx->hdr_to_col == NULL || seen == NULL) {
        synth_free(seen);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    ctx->hcols = hc;
    for (size_t h = 0; h < hc; h++) {
        const char *name = synth_csv_reader_column_name(rd, h);
        long c = synth_schema_find(schema, name);
        if (c < 0 || seen[c]) {
            synth_free(seen);
            return synth_err_set(err, SYNTH_BAD_INPUT, "%s: column '%s' is not in the schema", ctx->path, name);
        }
        seen[c] = 1;
        ctx->hdr_to_col[h] = (size_t)c;
    }
    for (size_t c = 0; c < schema->ncols; c++) {
        if (!seen[c]) {
            synth_free(seen);
            return synth_err_set(err, SYNTH_BAD_INPUT, "%s: missing column '%s' (the schema has it)", ctx->path,
                                 schema->cols[c].name);
        }
    }
    synth_free(seen);
    return SYNTH_OK;
}

int synth_vtable_read_csv(const char *path, const synth_schema *schema, size_t max_rows, uint64_t seed,
                          const synth_csv_options *csv, synth_vtable **out, synth_err *err)
{
    *out = NULL;
    read_ctx ctx = {.path = path, .schema = schema};
    synth_csv_reader *rd = NULL;
    synth_vtable *t = NULL;
    double *tmp = NULL;
    int rc = synth_csv_reader_open(&rd, path, csv, err);
    if (rc != 0)
        return rc;
    if ((rc = map_header(&ctx, rd, err)) != 0)
        goto done;
    size_t ncols = schema->ncols;
    ctx.maps = synth_calloc(ncols ? ncols : 1, sizeof *ctx.maps);
    t = synth_calloc(1, sizeof *t);
    tmp = synth_malloc((ncols ? ncols : 1) * sizeof *tmp);
    if (ctx.maps == NULL || t == NULL || tmp == NULL) {
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
        goto done;
    }
    t->ncols = ncols;
    for (size_t c = 0; c < ncols; c++) {
        if (is_categorical(schema->cols[c].type) && cat_map_init(&ctx.maps[c], &schema->cols[c]) != 0) {
            rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
            goto done;
        }
    }

    size_t alloc_rows = 0;
    uint64_t seen = 0;
    const synth_csv_chunk *ch;
    for (;;) {
        rc = synth_csv_reader_next(rd, &ch, err);
        if (rc < 0)
            goto done;
        if (rc == 0)
            break;
        rc = 0;
        for (size_t r = 0; r < ch->nrows; r++, seen++) {
            size_t slot = SIZE_MAX;
            if (max_rows == 0 || seen < max_rows) {
                slot = (size_t)seen;
            } else {
                synth_rng rng;
                synth_rng_init(&rng, seed, seen, SYNTH_STREAM_FIT);
                uint64_t j = synth_rng_below(&rng, seen + 1);
                if (j < max_rows)
                    slot = (size_t)j;
            }
            if (slot == SIZE_MAX) {
                if ((rc = parse_row(&ctx, ch, r, NULL, err)) != 0)
                    goto done;
                continue;
            }
            if ((rc = parse_row(&ctx, ch, r, tmp, err)) != 0)
                goto done;
            if (ensure_rows(t, &alloc_rows, slot, max_rows) != 0) {
                rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
                goto done;
            }
            memcpy(t->v + slot * ncols, tmp, ncols * sizeof *tmp);
            if (slot >= t->nrows)
                t->nrows = slot + 1;
        }
        if (synth_signals_interrupted()) {
            rc = synth_err_set(err, SYNTH_INTERRUPTED, "%s: interrupted", path);
            goto done;
        }
    }
    if (t->v == NULL && (t->v = synth_malloc(sizeof(double))) == NULL) {
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
        goto done;
    }
    t->rows_seen = seen;
    t->sampled = seen > t->nrows;
    *out = t;
    t = NULL;
    rc = SYNTH_OK;
done:
    if (ctx.maps != NULL)
        for (size_t c = 0; c < schema->ncols; c++)
            synth_free(ctx.maps[c].slots);
    synth_free(ctx.maps);
    synth_free(ctx.hdr_to_col);
    synth_free(tmp);
    synth_vtable_free(t);
    synth_csv_reader_free(rd);
    return rc;
}

/* ---- encoder ------------------------------------------------------------------------------------ */

typedef enum enc_kind { ENC_NUMERIC, ENC_ONEHOT } enc_kind;

typedef struct enc_col {
    size_t col;             /* schema column */
    size_t offset;          /* first slot */
    enc_kind kind;
    double min, scale;      /* numeric: (x - min) * scale, clamped; scale 0 for constant */
    int null_slot;          /* numeric: a null-indicator slot follows */
    size_t ncat;            /* one-hot: categories (then "other", then null) */
} enc_col;

struct synth_encoder {
    size_t ncols;           /* schema columns (row length) */
    size_t width;
    size_t n;
    enc_col *cols;
};

int synth_encoder_new(const synth_schema *schema, const synth_vtable *reference, long exclude_col,
                      synth_encoder **out, synth_err *err)
{
    *out = NULL;
    if (reference->ncols != schema->ncols)
        return synth_err_set(err, SYNTH_USAGE, "encoder: the table has %zu columns, the schema %zu",
                             reference->ncols, schema->ncols);
    if (exclude_col < -1 || (exclude_col >= 0 && (size_t)exclude_col >= schema->ncols))
        return synth_err_set(err, SYNTH_USAGE, "encoder: no column %ld to exclude", exclude_col);
    synth_encoder *enc = synth_calloc(1, sizeof *enc);
    if (enc == NULL || (enc->cols = synth_calloc(schema->ncols ? schema->ncols : 1, sizeof *enc->cols)) == NULL) {
        synth_free(enc);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    enc->ncols = schema->ncols;
    size_t off = 0;
    for (size_t c = 0; c < schema->ncols; c++) {
        const synth_column *col = &schema->cols[c];
        if ((long)c == exclude_col)
            continue;
        enc_col *e = &enc->cols[enc->n];
        e->col = c;
        e->offset = off;
        if (is_numeric(col->type)) {
            double lo = INFINITY, hi = -INFINITY;
            int nulls = 0;
            for (size_t r = 0; r < reference->nrows; r++) {
                double x = reference->v[r * reference->ncols + c];
                if (isnan(x)) {
                    nulls = 1;
                    continue;
                }
                lo = fmin(lo, x);
                hi = fmax(hi, x);
            }
            e->kind = ENC_NUMERIC;
            e->min = isfinite(lo) ? lo : 0.0;
            e->scale = (isfinite(lo) && hi > lo) ? 1.0 / (hi - lo) : 0.0;
            e->null_slot = nulls;
            off += 1 + (size_t)nulls;
        } else if (is_categorical(col->type)) {
            e->kind = ENC_ONEHOT;
            e->ncat = col->ncategories;
            off += col->ncategories + 2;
        } else {
            continue;
        }
        enc->n++;
    }
    enc->width = off;
    *out = enc;
    return SYNTH_OK;
}

size_t synth_encoder_width(const synth_encoder *enc)
{
    return enc->width;
}

void synth_encoder_row(const synth_encoder *enc, const double *row, float *out)
{
    memset(out, 0, enc->width * sizeof *out);
    for (size_t i = 0; i < enc->n; i++) {
        const enc_col *e = &enc->cols[i];
        double x = row[e->col];
        float *o = out + e->offset;
        if (e->kind == ENC_NUMERIC) {
            if (isnan(x)) {
                if (e->null_slot)
                    o[1] = 1.0f;
                continue;
            }
            double s = (x - e->min) * e->scale;
            if (!(s > 0.0))
                s = 0.0;
            else if (s > 1.0)
                s = 1.0;
            o[0] = (float)s;
        } else {
            if (isnan(x))
                o[e->ncat + 1] = 1.0f;
            else if (x >= 0.0 && x < (double)e->ncat)
                o[(size_t)x] = 1.0f;
            else
                o[e->ncat] = 1.0f;
        }
    }
}

int synth_encode_table(const synth_encoder *enc, const synth_vtable *t, float **matrix, synth_err *err)
{
    *matrix = NULL;
    if (t->ncols != enc->ncols)
        return synth_err_set(err, SYNTH_USAGE, "encoder: the table has %zu columns, the encoder expects %zu",
                             t->ncols, enc->ncols);
    size_t w = enc->width;
    if (w != 0 && t->nrows > SIZE_MAX / sizeof(float) / w)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    float *m = synth_malloc(t->nrows * w * sizeof *m);
    if (m == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    for (size_t r = 0; r < t->nrows; r++)
        synth_encoder_row(enc, t->v + r * t->ncols, m + r * w);
    *matrix = m;
    return SYNTH_OK;
}

void synth_encoder_free(synth_encoder *enc)
{
    if (enc == NULL)
        return;
    synth_free(enc->cols);
    synth_free(enc);
}
