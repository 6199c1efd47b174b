/* chunk.c -- generated-row chunks and their CSV formatter.  See chunk.h. */
#include "chunk.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "csv_reader.h"
#include "datetime.h"
#include "numfmt.h"
#include "pii.h"
#include "rng.h"

synth_chunk *synth_chunk_new(size_t ncols, size_t cap)
{
    synth_chunk *ch = synth_calloc(1, sizeof *ch);
    if (ch == NULL)
        return NULL;
    ch->ncols = ncols;
    ch->cap = cap;
    ch->cells = synth_calloc(ncols * cap, sizeof *ch->cells);
    ch->is_null = synth_calloc(ncols * cap, 1);
    if (ch->cells == NULL || ch->is_null == NULL) {
        synth_chunk_free(ch);
        return NULL;
    }
    return ch;
}

void synth_chunk_free(synth_chunk *ch)
{
    if (ch == NULL)
        return;
    synth_free(ch->cells);
    synth_free(ch->is_null);
    synth_free(ch->arena);
    synth_free(ch->scratch);
    synth_free(ch);
}

void *synth_chunk_scratch(synth_chunk *ch, size_t bytes)
{
    if (bytes > ch->scratch_cap) {
        void *p = synth_realloc(ch->scratch, bytes);
        if (p == NULL)
            return NULL;
        ch->scratch = p;
        ch->scratch_cap = bytes;
    }
    return ch->scratch;
}

int synth_chunk_put_text(synth_chunk *ch, size_t col, size_t row, const char *s, size_t len)
{
    if (ch->arena_len + len > ch->arena_cap) {
        size_t ncap = ch->arena_cap ? ch->arena_cap * 2 : 65536;
        while (ncap < ch->arena_len + len)
            ncap *= 2;
        char *na = synth_realloc(ch->arena, ncap);
        if (na == NULL)
            return SYNTH_NOMEM;
        ch->arena = na;
        ch->arena_cap = ncap;
    }
    if (len > 0)   /* an empty text on a fresh chunk: the arena may still be NULL */
        memcpy(ch->arena + ch->arena_len, s, len);
    synth_cell *cell = &ch->cells[col * ch->cap + row];
    cell->str.off = (uint32_t)ch->arena_len;
    cell->str.len = (uint32_t)len;
    ch->arena_len += len;
    return 0;
}

/* ---- formatter -------------------------------------------------------------------------------- */

typedef struct text_ref {
    char *s;
    size_t len;
} text_ref;

typedef struct col_out {
    const synth_column *col;
    text_ref null_text;       /* quoted */
    text_ref *labels;         /* quoted category labels */
    size_t max_width;         /* bytes one cell can take, text columns excluded */
    int quote_dt;             /* datetime layout holds the delimiter, a quote, CR or LF */
} col_out;

struct synth_formatter {
    const synth_schema *schema;
    char delimiter;
    uint64_t seed;
    col_out *cols;
    size_t fixed_row_max;     /* bytes of a row not counting text cells */
    size_t ntext;
};

static int quote_new(text_ref *out, const char *s, char delimiter)
{
    size_t len = strlen(s);
    out->s = synth_malloc(2 * len + 3);
    if (out->s == NULL)
        return SYNTH_NOMEM;
    out->len = synth_csv_quote(out->s, s, len, delimiter);
    return 0;
}

void synth_formatter_free(synth_formatter *f)
{
    if (f == NULL)
        return;
    for (size_t c = 0; f->cols != NULL && c < f->schema->ncols; c++) {
        col_out *co = &f->cols[c];
        synth_free(co->null_text.s);
        if (co->labels != NULL)
            for (size_t i = 0; i < co->col->ncategories; i++)
                synth_free(co->labels[i].s);
        synth_free(co->labels);
    }
    synth_free(f->cols);
    synth_free(f);
}

int synth_formatter_new(synth_formatter **out, const synth_schema *schema, char delimiter,
                        uint64_t seed, synth_err *err)
{
    *out = NULL;
    synth_formatter *f = synth_calloc(1, sizeof *f);
    if (f == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    f->schema = schema;
    f->delimiter = delimiter;
    f->seed = seed;
    f->cols = synth_calloc(schema->ncols, sizeof *f->cols);
    if (f->cols == NULL)
        goto nomem;
    for (size_t c = 0; c < schema->ncols; c++) {
        col_out *co = &f->cols[c];
        const synth_column *col = &schema->cols[c];
        co->col = col;
        if (quote_new(&co->null_text, col->null_token ? col->null_token : "", delimiter))
            goto nomem;
        size_t w = co->null_text.len;
        switch (col->type) {
        case SYNTH_COL_CATEGORICAL:
        case SYNTH_COL_BOOLEAN:
            co->labels = synth_calloc(col->ncategories ? col->ncategories : 1, sizeof *co->labels);
            if (co->labels == NULL)
                goto nomem;
            for (size_t i = 0; i < col->ncategories; i++) {
                if (quote_new(&co->labels[i], col->categories[i].value, delimiter))
                    goto nomem;
                if (co->labels[i].len > w)
                    w = co->labels[i].len;
            }
            break;
        case SYNTH_COL_ID: {
            size_t id_w = (col->id_prefix ? 2 * strlen(col->id_prefix) + 2 : 0) + SYNTH_NUMFMT_MAX + 40;
            if (w < id_w)   /* w is the null text's width so far */
                w = id_w;
            break;
        }
        case SYNTH_COL_TEXT:
            f->ntext++;
            break;
        case SYNTH_COL_PII:
            w = 2 * SYNTH_PII_TEXT_MAX + 2 + co->null_text.len;
            break;
        case SYNTH_COL_DATETIME:
            co->quote_dt = strpbrk(col->dtfmt.pattern, "\"\r\n") != NULL ||
                           strchr(col->dtfmt.pattern, delimiter) != NULL;
            if (w < 2 * SYNTH_DT_TEXT_MAX + 2)
                w = 2 * SYNTH_DT_TEXT_MAX + 2;
            break;
        default:
            if (w < SYNTH_NUMFMT_MAX + SYNTH_DT_TEXT_MAX)
                w = SYNTH_NUMFMT_MAX + SYNTH_DT_TEXT_MAX;
            break;
        }
        co->max_width = w;
        f->fixed_row_max += w + 1;
    }
    if (schema->ncols == 1)
        f->fixed_row_max += 2;   /* room for "" in place of an empty cell (see synth_formatter_rows) */
    *out = f;
    return 0;
nomem:
    synth_formatter_free(f);
    return synth_err_set(err, SYNTH_NOMEM, "out of memory");
}

int synth_formatter_header(const synth_formatter *f, char **buf, size_t *len, synth_err *err)
{
    size_t cap = 2;
    for (size_t c = 0; c < f->schema->ncols; c++)
        cap += 2 * strlen(f->schema->cols[c].name) + 3;
    char *b = synth_malloc(cap);
    if (b == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t c = 0; c < f->schema->ncols; c++) {
        const char *name = f->schema->cols[c].name;
        n += synth_csv_quote(b + n, name, strlen(name), f->delimiter);
        b[n++] = c + 1 < f->schema->ncols ? f->delimiter : '\n';
    }
    *buf = b;
    *len = n;
    return 0;
}

static const char hex_digits[] = "0123456789abcdef";

static size_t put_hex32(char *p, uint32_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = hex_digits[v & 15];
        v >>= 4;
    }
    return 8;
}

static size_t format_id(const synth_formatter *f, const col_out *co, size_t c, int64_t row, char *p)
{
    const synth_column *col = co->col;
    switch (col->id_kind) {
    case SYNTH_ID_INTEGER:
        return synth_fmt_i64(p, col->id_next + row);
    case SYNTH_ID_PREFIXED: {
        /* Digits never need quoting, so the field needs it exactly when the prefix does: then the
         * quotes go around the whole field, not around the prefix alone. */
        size_t n = 0;
        int quoted = 0;
        if (col->id_prefix != NULL) {
            size_t plen = strlen(col->id_prefix);
            n = synth_csv_quote(p, col->id_prefix, plen, f->delimiter);
            quoted = n != plen;
            if (quoted)
                n--;   /* reopen: drop the closing quote */
        }
        char digits[SYNTH_NUMFMT_MAX];
        size_t d = synth_fmt_i64(digits, col->id_next + row);
        for (int pad = col->id_width - (int)d; pad > 0; pad--)
            p[n++] = '0';
        memcpy(p + n, digits, d);
        n += d;
        if (quoted)
            p[n++] = '"';
        return n;
    }
    case SYNTH_ID_UUID:
    case SYNTH_ID_HEX: {
        uint32_t w[4];
        synth_rng_permute128(f->seed, (uint64_t)row, (uint32_t)c, w);
        char hex[32];
        for (int i = 0; i < 4; i++)
            put_hex32(hex + 8 * i, w[i]);
        if (col->id_kind == SYNTH_ID_HEX) {
            memcpy(p, hex, 32);
            return 32;
        }
        hex[12] = '4';                                  /* UUID version 4 layout */
        hex[16] = hex_digits[8 + (w[2] >> 30)];         /* variant 10xx */
        size_t n = 0;
        static const int groups[] = {8, 4, 4, 4, 12};
        const char *src = hex;
        for (int g = 0; g < 5; g++) {
            if (g)
                p[n++] = '-';
            memcpy(p + n, src, (size_t)groups[g]);
            n += (size_t)groups[g];
            src += groups[g];
        }
        return n;
    }
    }
    return 0;
}

int synth_formatter_rows(const synth_formatter *f, const synth_chunk *ch, char **buf, size_t *len,
                         size_t *cap, synth_err *err)
{
    size_t need = *len + ch->nrows * (f->fixed_row_max + 3 * f->ntext) + 2 * ch->arena_len + 16;
    if (need > *cap) {
        size_t ncap = *cap ? *cap : 65536;
        while (ncap < need)
            ncap *= 2;
        char *nb = synth_realloc(*buf, ncap);
        if (nb == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory formatting rows");
        *buf = nb;
        *cap = ncap;
    }
    char *p = *buf + *len;
    const size_t ncols = f->schema->ncols;
    for (size_t r = 0; r < ch->nrows; r++) {
        for (size_t c = 0; c < ncols; c++) {
            const col_out *co = &f->cols[c];
            size_t i = c * ch->cap + r;
            const synth_cell *cell = &ch->cells[i];
            char *start = p;
            if (ch->is_null[i]) {
                memcpy(p, co->null_text.s, co->null_text.len);
                p += co->null_text.len;
            } else {
                switch (co->col->type) {
                case SYNTH_COL_INTEGER: {
                    double v = cell->num;
                    p += synth_fmt_i64(p, (int64_t)(v < 0 ? v - 0.5 : v + 0.5));
                    break;
                }
                case SYNTH_COL_FLOAT:
                    if (co->col->scientific) {
                        /* rare in practice: printf's %e is exact and fast enough here */
                        int n = snprintf(p, SYNTH_NUMFMT_MAX, "%.*e", co->col->decimals, cell->num);
                        p += n > 0 && n < SYNTH_NUMFMT_MAX ? n : 0;
                    } else {
                        p += synth_fmt_fixed(p, cell->num, co->col->decimals);
                    }
                    break;
                case SYNTH_COL_DATETIME:
                    if (co->quote_dt) {
                        char tmp[SYNTH_DT_TEXT_MAX];
                        size_t n = synth_dt_format(&co->col->dtfmt, cell->num, tmp);
                        p += synth_csv_quote(p, tmp, n, f->delimiter);
                    } else {
                        p += synth_dt_format(&co->col->dtfmt, cell->num, p);
                    }
                    break;
                case SYNTH_COL_CATEGORICAL:
                case SYNTH_COL_BOOLEAN: {
                    const text_ref *t = &co->labels[cell->index];
                    memcpy(p, t->s, t->len);
                    p += t->len;
                    break;
                }
                case SYNTH_COL_ID:
                    p += format_id(f, co, c, cell->index, p);
                    break;
                case SYNTH_COL_TEXT:
                    p += synth_csv_quote(p, ch->arena + cell->str.off, cell->str.len, f->delimiter);
                    break;
                case SYNTH_COL_PII: {
                    char fake[SYNTH_PII_TEXT_MAX];
                    const char *shape = co->col->pii_shape;
                    size_t n = synth_pii_fake((synth_pii_entity)co->col->pii_entity, f->seed, (uint64_t)cell->index,
                                              0x5000u + (uint32_t)c, shape && shape[0] ? shape : NULL, fake);
                    p += synth_csv_quote(p, fake, n, f->delimiter);
                    break;
                }
                default:
                    break;
                }
            }
            /* In a one-column file an empty line is no row at all: write an empty cell as "". */
            if (ncols == 1 && p == start) {
                *p++ = '"';
                *p++ = '"';
            }
            *p++ = c + 1 < ncols ? f->delimiter : '\n';
        }
    }
    *len = (size_t)(p - *buf);
    return 0;
}
