/* infer.c -- one streaming pass over a CSV: schema inference plus a reservoir sample.
 *
 * For each column the pass keeps a small state: which of the types integer / float / datetime
 * (per candidate layout) still fit every non-null value, decimals and ranges, null spellings, the
 * shape of id-like values (common prefix + digits, UUIDs), word counts for free text, and an exact
 * count of each distinct value until max_categories is exceeded.  The decision rules, in order:
 *   all null -> categorical with no categories; integers -> id when unique and the name says id
 *   (or unique, dense and >= 100 rows), else integer; decimals -> float; one date layout fits all
 *   -> datetime; two spellings of true/false, yes/no, t/f, y/n -> boolean; unique short tokens
 *   without spaces (>= 20 rows, or an id-like name) -> id; at most max_categories distinct values
 *   that repeat (distinct <= half the rows, or <= 20) and are not long prose -> categorical;
 *   anything else -> text.
 * When the distinct-value table overflows, uniqueness is judged on the reservoir sample. */
#include "infer.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "hash.h"
#include "numfmt.h"
#include "rng.h"
#include "signals.h"

#define DT_MAX_CANDIDATES 32
#define PREFIX_MAX 32

static const char *const null_words[] = {"NA", "N/A", "NULL", "null", "NaN", "nan", "None", "?"};
#define N_NULL_WORDS (sizeof null_words / sizeof null_words[0])

void synth_infer_options_init(synth_infer_options *opt)
{
    memset(opt, 0, sizeof *opt);
    synth_csv_options_init(&opt->csv);
    opt->max_categories = 5000;
    opt->reservoir_rows = 200000;
    opt->seed = 0;
    opt->progress = SYNTH_PROGRESS_AUTO;
}

void synth_sample_table_free(synth_sample_table *t)
{
    if (t == NULL)
        return;
    for (size_t r = 0; r < t->nrows; r++)
        synth_free(t->row_blocks[r]);
    synth_free(t->row_blocks);
    synth_free(t->cells);
    synth_free(t->lens);
    synth_free(t->line);
    synth_free(t);
}

/* ---- distinct-value counter: open addressing, string keys ------------------------------------ */

typedef struct distinct_entry {
    char *key;          /* NULL = empty slot */
    uint32_t len;
    uint64_t hash;
    uint64_t count;
} distinct_entry;

typedef struct distinct_map {
    distinct_entry *slots;
    size_t cap;         /* power of two */
    size_t used;
    int overflow;       /* more than the limit: counting stopped */
} distinct_map;


static void distinct_release(distinct_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        synth_free(m->slots[i].key);
    synth_free(m->slots);
    memset(m, 0, sizeof *m);
}

static int distinct_grow(distinct_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    distinct_entry *ns = synth_calloc(ncap, sizeof *ns);
    if (ns == NULL)
        return SYNTH_NOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key == NULL)
            continue;
        size_t j = m->slots[i].hash & (ncap - 1);
        while (ns[j].key != NULL)
            j = (j + 1) & (ncap - 1);
        ns[j] = m->slots[i];
    }
    synth_free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

/* Count one occurrence.  Returns 0, or SYNTH_NOMEM. */
static int distinct_add(distinct_map *m, const char *s, size_t len, size_t limit)
{
    if (m->overflow)
        return 0;
    if ((m->used + 1) * 2 > m->cap && distinct_grow(m))
        return SYNTH_NOMEM;
    uint64_t h = synth_hash_bytes(s, len);
    size_t j = h & (m->cap - 1);
    while (m->slots[j].key != NULL) {
        distinct_entry *e = &m->slots[j];
        if (e->hash == h && e->len == len && memcmp(e->key, s, len) == 0) {
            e->count++;
            return 0;
        }
        j = (j + 1) & (m->cap - 1);
    }
    if (m->used >= limit) {
        m->overflow = 1;
        return 0;
    }
    char *key = synth_strndup(s, len);
    if (key == NULL)
        return SYNTH_NOMEM;
    m->slots[j] = (distinct_entry){key, (uint32_t)len, h, 1};
    m->used++;
    return 0;
}

/* ---- per-column inference state ----------------------------------------------------------------- */

typedef struct col_state {
    uint64_t count, empty, nonnull_strict;  /* nonnull_strict: non-empty cells */
    uint64_t na_count[N_NULL_WORDS];
    char *first_na_text;
    int int_ok, float_ok, max_decimals;
    uint64_t sci_count, fixed_count;  /* float values in scientific vs fixed notation */
    int sci_decimals;                 /* mantissa digits after the point in scientific values */
    double num_min, num_max;
    uint64_t dt_mask;
    double dt_min[DT_MAX_CANDIDATES], dt_max[DT_MAX_CANDIDATES];
    int dt_frac[DT_MAX_CANDIDATES];
    int has_inner_space;
    size_t max_len;
    uint64_t words;
    /* id shapes */
    int prefixed_ok, uuid_ok, prefix_set, width_min, width_max;
    char prefix[PREFIX_MAX + 1];
    size_t prefix_len;
    uint64_t prefixed_max;
    distinct_map distinct;
} col_state;

typedef struct infer_ctx {
    const synth_infer_options *opt;
    size_t ncols;
    col_state *cols;
    const synth_dtfmt *dt;
    size_t ndt;
    synth_sample_table *sample;
    uint64_t rows;
} infer_ctx;

static int na_word_index(const char *s, size_t len)
{
    while (len > 0 && *s == ' ') {
        s++;
        len--;
    }
    while (len > 0 && s[len - 1] == ' ')
        len--;
    for (size_t i = 0; i < N_NULL_WORDS; i++)
        if (strlen(null_words[i]) == len && memcmp(null_words[i], s, len) == 0)
            return (int)i;
    return -1;
}

static int is_uuid(const char *s, size_t len)
{
    if (len != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

static int count_frac_digits(const char *s, size_t len)
{
    const char *dot = memchr(s, '.', len);
    if (dot == NULL)
        return 0;
    int n = 0;
    for (const char *p = dot + 1; p < s + len && isdigit((unsigned char)*p); p++)
        n++;
    return n;
}

static void observe_id_shape(col_state *st, const char *s, size_t len)
{
    if (st->uuid_ok && !is_uuid(s, len))
        st->uuid_ok = 0;
    if (!st->prefixed_ok)
        return;
    size_t d = len;
    while (d > 0 && isdigit((unsigned char)s[d - 1]))
        d--;
    size_t ndigits = len - d;
    if (ndigits == 0 || ndigits > 18 || d > PREFIX_MAX) {
        st->prefixed_ok = 0;
        return;
    }
    if (!st->prefix_set) {
        memcpy(st->prefix, s, d);
        st->prefix[d] = '\0';
        st->prefix_len = d;
        st->prefix_set = 1;
        st->width_min = st->width_max = (int)ndigits;
    } else if (d != st->prefix_len || memcmp(st->prefix, s, d) != 0) {
        st->prefixed_ok = 0;
        return;
    }
    if ((int)ndigits < st->width_min)
        st->width_min = (int)ndigits;
    if ((int)ndigits > st->width_max)
        st->width_max = (int)ndigits;
    uint64_t v = 0;
    for (size_t i = d; i < len; i++)
        v = v * 10 + (uint64_t)(s[i] - '0');
    if (v > st->prefixed_max)
        st->prefixed_max = v;
}

/* "007", "-01.5": a leading zero before another digit marks a code, not a number. */
static int has_leading_zero(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] == ' ')
        i++;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        i++;
    return i + 1 < len && s[i] == '0' && isdigit((unsigned char)s[i + 1]);
}

static int observe_cell(infer_ctx *ctx, col_state *st, const char *s, size_t len)
{
    st->count++;
    if (len == 0) {
        st->empty++;
        return 0;
    }
    st->nonnull_strict++;
    if (len > st->max_len)
        st->max_len = len;
    int rc = distinct_add(&st->distinct, s, len, ctx->opt->max_categories);
    if (rc)
        return rc;
    int na = na_word_index(s, len);
    if (na >= 0) {
        if (st->na_count[na]++ == 0 && st->first_na_text == NULL) {
            st->first_na_text = synth_strndup(s, len);
            if (st->first_na_text == NULL)
                return SYNTH_NOMEM;
        }
    } else {
        if ((st->int_ok || st->float_ok) && has_leading_zero(s, len))
            st->int_ok = st->float_ok = 0;   /* "01000" is a code (zip, account), not a number */
        if (st->int_ok) {
            int64_t iv;
            if (synth_parse_i64(s, len, &iv) == 0) {
                double v = (double)iv;
                st->num_min = fmin(st->num_min, v);
                st->num_max = fmax(st->num_max, v);
            } else {
                st->int_ok = 0;
            }
        }
        if (st->float_ok && !st->int_ok) {
            double v;
            int dec;
            if (synth_parse_double(s, len, &v, &dec) == 0) {
                if (dec > st->max_decimals)
                    st->max_decimals = dec;
                const char *e = memchr(s, 'e', len);
                if (e == NULL)
                    e = memchr(s, 'E', len);
                if (e != NULL) {
                    const char *dot = memchr(s, '.', (size_t)(e - s));
                    int md = dot ? (int)(e - dot - 1) : 0;
                    if (md > st->sci_decimals)
                        st->sci_decimals = md > 15 ? 15 : md;
                    st->sci_count++;
                } else {
                    st->fixed_count++;
                }
                st->num_min = fmin(st->num_min, v);
                st->num_max = fmax(st->num_max, v);
            } else {
                st->float_ok = 0;
            }
        }
        for (uint64_t m = st->dt_mask; m != 0; m &= m - 1) {
            int k = __builtin_ctzll(m);
            double t;
            if (synth_dt_parse(&ctx->dt[k], s, len, &t) == 0) {
                st->dt_min[k] = fmin(st->dt_min[k], t);
                st->dt_max[k] = fmax(st->dt_max[k], t);
                if (strstr(ctx->dt[k].pattern, "%f") != NULL) {
                    int fd = count_frac_digits(s, len);
                    if (fd > st->dt_frac[k])
                        st->dt_frac[k] = fd;
                }
            } else {
                st->dt_mask &= ~(1ULL << k);
            }
        }
    }
    /* Text shape: inner whitespace and word count. */
    size_t a = 0, b = len;
    while (a < b && isspace((unsigned char)s[a]))
        a++;
    while (b > a && isspace((unsigned char)s[b - 1]))
        b--;
    int in_word = 0;
    for (size_t i = a; i < b; i++) {
        int sp = isspace((unsigned char)s[i]);
        if (sp)
            st->has_inner_space = 1;
        if (!sp && !in_word)
            st->words++;
        in_word = !sp;
    }
    observe_id_shape(st, s, len);
    return 0;
}

/* ---- reservoir ------------------------------------------------------------------------------- */

static int reservoir_store(synth_sample_table *t, size_t slot, const synth_csv_chunk *ch, size_t row)
{
    size_t total = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        size_t len;
        synth_csv_cell(ch, row, c, &len);
        total += len + 1;
    }
    char *block = synth_malloc(total);
    if (block == NULL)
        return SYNTH_NOMEM;
    char *p = block;
    for (size_t c = 0; c < t->ncols; c++) {
        size_t len;
        const char *s = synth_csv_cell(ch, row, c, &len);
        memcpy(p, s, len);
        p[len] = '\0';
        t->cells[slot * t->ncols + c] = p;
        t->lens[slot * t->ncols + c] = (uint32_t)len;
        p += len + 1;
    }
    synth_free(t->row_blocks[slot]);
    t->row_blocks[slot] = block;
    t->line[slot] = ch->line[row];
    return 0;
}

static int sample_grow(synth_sample_table *t);

static int reservoir_offer(infer_ctx *ctx, const synth_csv_chunk *ch, size_t row, uint64_t index)
{
    synth_sample_table *t = ctx->sample;
    if (t == NULL || t->cap == 0)
        return 0;
    if (t->nrows < t->cap) {
        if (t->nrows == t->alloc && sample_grow(t))
            return SYNTH_NOMEM;
        int rc = reservoir_store(t, t->nrows, ch, row);
        if (rc == 0)
            t->nrows++;
        return rc;
    }
    synth_rng rng;
    synth_rng_init(&rng, ctx->opt->seed, index, SYNTH_STREAM_FIT);
    uint64_t j = synth_rng_below(&rng, index + 1);
    return j < t->cap ? reservoir_store(t, (size_t)j, ch, row) : 0;
}

/* Arrays grow by doubling up to cap, so a small input never pays for the full reservoir. */
static int sample_grow(synth_sample_table *t)
{
    size_t n = t->alloc ? t->alloc * 2 : 1024;
    if (n > t->cap)
        n = t->cap;
    char **cells = synth_reallocarray(t->cells, n * t->ncols, sizeof *cells);
    if (cells == NULL)
        return SYNTH_NOMEM;
    t->cells = cells;
    uint32_t *lens = synth_reallocarray(t->lens, n * t->ncols, sizeof *lens);
    if (lens == NULL)
        return SYNTH_NOMEM;
    t->lens = lens;
    uint64_t *line = synth_reallocarray(t->line, n, sizeof *line);
    if (line == NULL)
        return SYNTH_NOMEM;
    t->line = line;
    char **blocks = synth_reallocarray(t->row_blocks, n, sizeof *blocks);
    if (blocks == NULL)
        return SYNTH_NOMEM;
    t->row_blocks = blocks;
    for (size_t r = t->alloc; r < n; r++)
        t->row_blocks[r] = NULL;
    t->alloc = n;
    return 0;
}

static synth_sample_table *sample_new(size_t ncols, size_t cap)
{
    synth_sample_table *t = synth_calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->ncols = ncols;
    t->cap = cap;
    return t;
}

/* ---- decisions --------------------------------------------------------------------------------- */

static int name_says_id(const char *name)
{
    size_t n = strlen(name);
    char low[64];
    if (n >= sizeof low)
        return 0;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    static const char *const exact[] = {"id", "uuid", "guid", "key", "pk"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcmp(low, exact[i]) == 0)
            return 1;
    static const char *const suffixes[] = {"_id", "-id", " id", "_uuid", "_key", "uuid"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(low + n - k, suffixes[i]) == 0)
            return 1;
    }
    /* camelCase "customerId" */
    return n > 2 && name[n - 2] == 'I' && name[n - 1] == 'd' && islower((unsigned char)name[n - 3]);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Are the non-empty values of column c in the reservoir all distinct? */
static int sample_unique(const synth_sample_table *t, size_t c, int *ok)
{
    *ok = 1;
    if (t == NULL || t->nrows == 0)
        return 0;
    char **vals = synth_malloc(t->nrows * sizeof *vals);
    if (vals == NULL)
        return SYNTH_NOMEM;
    size_t n = 0;
    for (size_t r = 0; r < t->nrows; r++)
        if (t->lens[r * t->ncols + c] > 0)
            vals[n++] = t->cells[r * t->ncols + c];
    qsort(vals, n, sizeof *vals, cmp_str_ptr);
    for (size_t i = 1; i < n && *ok; i++)
        if (strcmp(vals[i - 1], vals[i]) == 0)
            *ok = 0;
    synth_free(vals);
    return 0;
}

static int cmp_category(const void *a, const void *b)
{
    const synth_category *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->value, y->value);
}

/* Move the distinct map's entries into col->categories (most frequent first). */
static int take_categories(col_state *st, synth_column *col)
{
    col->categories = synth_calloc(st->distinct.used ? st->distinct.used : 1, sizeof *col->categories);
    if (col->categories == NULL)
        return SYNTH_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < st->distinct.cap; i++) {
        distinct_entry *e = &st->distinct.slots[i];
        if (e->key == NULL)
            continue;
        col->categories[n].value = e->key;
        col->categories[n].count = e->count;
        e->key = NULL;
        n++;
    }
    col->ncategories = n;
    qsort(col->categories, n, sizeof *col->categories, cmp_category);
    return 0;
}

static int is_boolean(const col_state *st)
{
    static const char *const pairs[][2] = {{"true", "false"}, {"yes", "no"}, {"t", "f"}, {"y", "n"}};
    if (st->distinct.overflow || st->distinct.used == 0 || st->distinct.used > 2)
        return 0;
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        int all = 1;
        for (size_t i = 0; i < st->distinct.cap && all; i++) {
            const distinct_entry *e = &st->distinct.slots[i];
            if (e->key == NULL)
                continue;
            if (strcasecmp(e->key, pairs[p][0]) != 0 && strcasecmp(e->key, pairs[p][1]) != 0)
                all = 0;
        }
        if (all)
            return 1;
    }
    return 0;
}

static int finalize_column(infer_ctx *ctx, size_t c, synth_column *col)
{
    col_state *st = &ctx->cols[c];
    uint64_t na_total = 0;
    int na_best = -1;
    for (size_t i = 0; i < N_NULL_WORDS; i++) {
        na_total += st->na_count[i];
        if (st->na_count[i] > 0 && (na_best < 0 || st->na_count[i] > st->na_count[na_best]))
            na_best = (int)i;
    }
    uint64_t numeric_nonnull = st->nonnull_strict - na_total;
    int numeric_possible = numeric_nonnull > 0;
    col->count = st->count;
    col->null_count = st->empty;
    const char *null_token = "";
    int unique;
    if (st->distinct.overflow) {
        int rc = sample_unique(ctx->sample, c, &unique);
        if (rc)
            return rc;
    } else {
        unique = st->distinct.used == st->nonnull_strict;
    }

    if (st->nonnull_strict == 0) {
        col->type = SYNTH_COL_CATEGORICAL;
    } else if (numeric_possible && (st->int_ok || st->float_ok || st->dt_mask)) {
        col->null_count = st->empty + na_total;
        if (na_best >= 0 && st->na_count[na_best] > st->empty)
            null_token = null_words[na_best];
        if (st->int_ok) {
            int dense = st->num_max - st->num_min + 1 <= 2.0 * (double)numeric_nonnull;
            if (unique && na_total == 0 && st->empty == 0 &&
                (name_says_id(col->name) || (dense && numeric_nonnull >= 100))) {
                col->type = SYNTH_COL_ID;
                col->id_kind = SYNTH_ID_INTEGER;
                col->id_next = (int64_t)st->num_max + 1;
            } else {
                col->type = SYNTH_COL_INTEGER;
            }
        } else if (st->float_ok) {
            col->type = SYNTH_COL_FLOAT;
            col->decimals = st->max_decimals;
            if (st->sci_count > st->fixed_count) {
                col->scientific = 1;
                col->decimals = st->sci_decimals;
            }
        } else {
            int k = __builtin_ctzll(st->dt_mask);
            col->type = SYNTH_COL_DATETIME;
            col->dtfmt = ctx->dt[k];
            if (strstr(col->dtfmt.pattern, "%f") != NULL && st->dt_frac[k] > 0)
                col->dtfmt.frac_digits = st->dt_frac[k];
            st->num_min = st->dt_min[k];
            st->num_max = st->dt_max[k];
        }
        col->min = st->num_min;
        col->max = st->num_max;
    } else if (is_boolean(st)) {
        col->type = SYNTH_COL_BOOLEAN;
    } else if (unique && !st->has_inner_space && st->max_len <= 64 &&
               (st->nonnull_strict >= 20 || (name_says_id(col->name) && st->nonnull_strict >= 2))) {
        col->type = SYNTH_COL_ID;
        if (st->uuid_ok) {
            col->id_kind = SYNTH_ID_UUID;
        } else if (st->prefixed_ok) {
            col->id_kind = SYNTH_ID_PREFIXED;
            col->id_prefix = synth_strdup(st->prefix);
            if (col->id_prefix == NULL)
                return SYNTH_NOMEM;
            col->id_width = st->width_min == st->width_max ? st->width_max : 0;
            col->id_next = (int64_t)st->prefixed_max + 1;
        } else {
            col->id_kind = SYNTH_ID_HEX;
        }
    } else {
        double mean_words = (double)st->words / (double)st->nonnull_strict;
        uint64_t distinct = st->distinct.used;
        int repeats = distinct <= st->nonnull_strict / 2 || distinct <= 20;
        int prose = mean_words > 3.0 && distinct * 5 > st->nonnull_strict;
        if (!st->distinct.overflow && repeats && !prose) {
            col->type = SYNTH_COL_CATEGORICAL;
        } else {
            col->type = SYNTH_COL_TEXT;
            col->text_mean_words = mean_words;
        }
    }
    if (col->type == SYNTH_COL_CATEGORICAL || col->type == SYNTH_COL_BOOLEAN) {
        int rc = take_categories(st, col);
        if (rc)
            return rc;
    }
    if (null_token[0] != '\0' && st->first_na_text != NULL && na_word_index(st->first_na_text,
            strlen(st->first_na_text)) == na_best)
        null_token = st->first_na_text;
    col->null_token = synth_strdup(null_token);
    return col->null_token == NULL ? SYNTH_NOMEM : 0;
}

/* ---- driver ------------------------------------------------------------------------------------ */

static void ctx_release(infer_ctx *ctx)
{
    if (ctx->cols != NULL) {
        for (size_t c = 0; c < ctx->ncols; c++) {
            distinct_release(&ctx->cols[c].distinct);
            synth_free(ctx->cols[c].first_na_text);
        }
    }
    synth_free(ctx->cols);
}

static int ctx_init(infer_ctx *ctx, size_t ncols)
{
    ctx->ncols = ncols;
    ctx->cols = synth_calloc(ncols, sizeof *ctx->cols);
    if (ctx->cols == NULL)
        return SYNTH_NOMEM;
    ctx->dt = synth_dt_candidates(&ctx->ndt);
    if (ctx->ndt > DT_MAX_CANDIDATES)
        ctx->ndt = DT_MAX_CANDIDATES;
    for (size_t c = 0; c < ncols; c++) {
        col_state *st = &ctx->cols[c];
        st->int_ok = st->float_ok = 1;
        st->num_min = INFINITY;
        st->num_max = -INFINITY;
        st->dt_mask = ctx->ndt == 64 ? ~0ULL : (1ULL << ctx->ndt) - 1;
        for (size_t k = 0; k < ctx->ndt; k++) {
            st->dt_min[k] = INFINITY;
            st->dt_max[k] = -INFINITY;
        }
        st->prefixed_ok = st->uuid_ok = 1;
    }
    return 0;
}

int synth_infer_csv(const char *path, const synth_infer_options *opt, synth_schema **schema_out,
                    synth_sample_table **sample_out, synth_csv_stats *stats, synth_err *err)
{
    synth_infer_options defaults;
    if (opt == NULL) {
        synth_infer_options_init(&defaults);
        opt = &defaults;
    }
    *schema_out = NULL;
    if (sample_out != NULL)
        *sample_out = NULL;
    synth_csv_reader *rd = NULL;
    synth_schema *schema = NULL;
    infer_ctx ctx = {.opt = opt};
    synth_progress *progress = NULL;
    int rc = synth_csv_reader_open(&rd, path, &opt->csv, err);
    if (rc)
        return rc;
    size_t ncols = synth_csv_reader_ncols(rd);
    if ((rc = ctx_init(&ctx, ncols)) != 0)
        goto nomem;
    /* The sample is kept even when the caller does not want it: uniqueness of a column whose
     * distinct-value table overflows is judged on it, so types match with and without a sample. */
    if ((ctx.sample = sample_new(ncols, opt->reservoir_rows)) == NULL)
        goto nomem;
    struct stat sb;
    uint64_t total = (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) ? (uint64_t)sb.st_size : 0;
    progress = synth_progress_new("reading", "bytes", total, opt->progress, stderr);

    const synth_csv_chunk *ch;
    while ((rc = synth_csv_reader_next(rd, &ch, err)) == 1) {
        for (size_t c = 0; c < ncols; c++) {
            col_state *st = &ctx.cols[c];
            for (size_t r = 0; r < ch->nrows; r++) {
                size_t len;
                const char *s = synth_csv_cell(ch, r, c, &len);
                if (observe_cell(&ctx, st, s, len))
                    goto nomem;
            }
        }
        for (size_t r = 0; r < ch->nrows; r++)
            if (reservoir_offer(&ctx, ch, r, ch->first_row + r))
                goto nomem;
        ctx.rows += ch->nrows;
        if (synth_signals_interrupted()) {
            rc = synth_err_set(err, SYNTH_INTERRUPTED, "%s: interrupted", path);
            goto fail;
        }
        if (progress != NULL)
            synth_progress_update(progress, synth_csv_reader_stats(rd)->bytes);
    }
    if (rc < 0)
        goto fail;
    if (ctx.rows == 0) {
        rc = synth_err_set(err, SYNTH_BAD_INPUT, "%s: no data rows (only a header)", path);
        goto fail;
    }
    schema = synth_calloc(1, sizeof *schema);
    if (schema == NULL || (schema->cols = synth_calloc(ncols, sizeof *schema->cols)) == NULL)
        goto nomem;
    schema->ncols = ncols;
    schema->rows = ctx.rows;
    for (size_t c = 0; c < ncols; c++) {
        schema->cols[c].name = synth_strdup(synth_csv_reader_column_name(rd, c));
        if (schema->cols[c].name == NULL || finalize_column(&ctx, c, &schema->cols[c]))
            goto nomem;
    }
    if (stats != NULL)
        *stats = *synth_csv_reader_stats(rd);
    synth_progress_finish(progress);
    synth_csv_reader_free(rd);
    ctx_release(&ctx);
    *schema_out = schema;
    if (sample_out != NULL)
        *sample_out = ctx.sample;
    else
        synth_sample_table_free(ctx.sample);
    return 0;

nomem:
    rc = synth_err_set(err, SYNTH_NOMEM, "%s: out of memory while reading", path);
fail:
    synth_progress_finish(progress);
    synth_csv_reader_free(rd);
    synth_schema_free(schema);
    synth_sample_table_free(ctx.sample);
    ctx_release(&ctx);
    return rc;
}
