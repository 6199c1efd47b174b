/* schema.c -- column types, null spellings, JSON form of a schema, user overrides.  See schema.h. */
#include "schema.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "numfmt.h"
#include "pii.h"

static const char *const type_names[SYNTH_COL_TYPE_COUNT] = {
    "integer", "float", "categorical", "boolean", "datetime", "id", "text", "pii",
};

static const char *const id_kind_names[] = {"integer", "prefixed", "uuid", "hex"};

/* Spellings of a missing value accepted in numeric and datetime columns (besides ""). */
static const char *const null_words[] = {"NA", "N/A", "NULL", "null", "NaN", "nan", "None", "?"};

const char *synth_col_type_name(synth_col_type t)
{
    return (unsigned)t < SYNTH_COL_TYPE_COUNT ? type_names[t] : "unknown";
}

int synth_col_type_parse(const char *name, synth_col_type *t)
{
    for (int i = 0; i < SYNTH_COL_TYPE_COUNT; i++) {
        if (strcmp(name, type_names[i]) == 0) {
            *t = (synth_col_type)i;
            return 0;
        }
    }
    return -1;
}

const char *synth_id_kind_name(synth_id_kind k)
{
    return (unsigned)k < sizeof id_kind_names / sizeof id_kind_names[0] ? id_kind_names[k] : "unknown";
}

static void column_release(synth_column *c)
{
    synth_free(c->name);
    synth_free(c->null_token);
    for (size_t i = 0; i < c->ncategories; i++)
        synth_free(c->categories[i].value);
    synth_free(c->categories);
    synth_free(c->id_prefix);
    synth_free(c->pii_shape);
}

void synth_schema_free(synth_schema *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->ncols; i++)
        column_release(&s->cols[i]);
    synth_free(s->cols);
    synth_free(s);
}

long synth_schema_find(const synth_schema *s, const char *name)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i].name, name) == 0)
            return (long)i;
    return -1;
}

static int is_numeric_type(synth_col_type t)
{
    return t == SYNTH_COL_INTEGER || t == SYNTH_COL_FLOAT || t == SYNTH_COL_DATETIME;
}

int synth_cell_is_null(const synth_column *col, const char *s, size_t len)
{
    if (len == 0)
        return 1;
    if (col->null_token != NULL && col->null_token[0] != '\0' && strlen(col->null_token) == len &&
        memcmp(col->null_token, s, len) == 0)
        return 1;
    if (!is_numeric_type(col->type))
        return 0;
    while (len > 0 && *s == ' ') {
        s++;
        len--;
    }
    while (len > 0 && s[len - 1] == ' ')
        len--;
    if (len == 0)
        return 1;
    for (size_t i = 0; i < sizeof null_words / sizeof null_words[0]; i++)
        if (strlen(null_words[i]) == len && memcmp(null_words[i], s, len) == 0)
            return 1;
    return 0;
}

int synth_cell_parse_number(const synth_column *col, const char *s, size_t len, double *out)
{
    switch (col->type) {
    case SYNTH_COL_INTEGER: {
        int64_t v;
        if (synth_parse_i64(s, len, &v) == 0) {
            *out = (double)v;
            return 0;
        }
        int decimals;
        double d;
        /* An override may declare "integer" on data with a ".0" tail: accept whole values. */
        if (synth_parse_double(s, len, &d, &decimals) == 0 && d == (double)(int64_t)d) {
            *out = d;
            return 0;
        }
        return -1;
    }
    case SYNTH_COL_FLOAT: {
        int decimals;
        return synth_parse_double(s, len, out, &decimals);
    }
    case SYNTH_COL_DATETIME:
        return synth_dt_parse(&col->dtfmt, s, len, out);
    default:
        return -1;
    }
}

long synth_cell_category(const synth_column *col, const char *s, size_t len)
{
    for (size_t i = 0; i < col->ncategories; i++) {
        const char *v = col->categories[i].value;
        if (strlen(v) == len && memcmp(v, s, len) == 0)
            return (long)i;
    }
    return -1;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static int json_put(json_t *obj, const char *key, json_t *value)
{
    return value == NULL ? -1 : json_object_set_new(obj, key, value);
}

static json_t *column_to_json(const synth_column *c)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int bad = 0;
    bad |= json_put(o, "name", json_string(c->name));
    bad |= json_put(o, "type", json_string(synth_col_type_name(c->type)));
    bad |= json_put(o, "count", json_integer((json_int_t)c->count));
    bad |= json_put(o, "null_count", json_integer((json_int_t)c->null_count));
    bad |= json_put(o, "null_rate", json_real(c->count ? (double)c->null_count / (double)c->count : 0.0));
    bad |= json_put(o, "null_token", json_string(c->null_token ? c->null_token : ""));
    switch (c->type) {
    case SYNTH_COL_FLOAT:
        bad |= json_put(o, "decimals", json_integer(c->decimals));
        bad |= json_put(o, "notation", json_string(c->scientific ? "scientific" : "fixed"));
        /* fall through */
    case SYNTH_COL_INTEGER:
        bad |= json_put(o, "min", json_real(c->min));
        bad |= json_put(o, "max", json_real(c->max));
        break;
    case SYNTH_COL_DATETIME:
        bad |= json_put(o, "format", json_string(c->dtfmt.pattern));
        bad |= json_put(o, "frac_digits", json_integer(c->dtfmt.frac_digits));
        bad |= json_put(o, "min", json_real(c->min));
        bad |= json_put(o, "max", json_real(c->max));
        break;
    case SYNTH_COL_CATEGORICAL:
    case SYNTH_COL_BOOLEAN: {
        json_t *cats = json_array();
        bad |= cats == NULL;
        for (size_t i = 0; cats != NULL && i < c->ncategories; i++) {
            json_t *cat = json_object();
            bad |= cat == NULL;
            if (cat == NULL)
                break;
            bad |= json_put(cat, "value", json_string(c->categories[i].value));
            bad |= json_put(cat, "count", json_integer((json_int_t)c->categories[i].count));
            bad |= json_array_append_new(cats, cat);
        }
        bad |= json_put(o, "categories", cats);
        break;
    }
    case SYNTH_COL_ID:
        bad |= json_put(o, "id_format", json_string(synth_id_kind_name(c->id_kind)));
        if (c->id_kind == SYNTH_ID_PREFIXED) {
            bad |= json_put(o, "prefix", json_string(c->id_prefix ? c->id_prefix : ""));
            bad |= json_put(o, "width", json_integer(c->id_width));
        }
        if (c->id_kind == SYNTH_ID_INTEGER || c->id_kind == SYNTH_ID_PREFIXED)
            bad |= json_put(o, "next", json_integer((json_int_t)c->id_next));
        break;
    case SYNTH_COL_TEXT:
        bad |= json_put(o, "mean_words", json_real(c->text_mean_words));
        break;
    case SYNTH_COL_PII:
        bad |= json_put(o, "entity", json_string(synth_pii_entity_name((synth_pii_entity)c->pii_entity)));
        bad |= json_put(o, "shape", json_string(c->pii_shape ? c->pii_shape : ""));
        break;
    default:
        break;
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *synth_schema_to_json(const synth_schema *s)
{
    json_t *root = json_object();
    json_t *cols = json_array();
    if (root == NULL || cols == NULL || json_object_set_new(root, "rows", json_integer((json_int_t)s->rows)) ||
        json_object_set(root, "columns", cols)) {
        json_decref(root);
        json_decref(cols);
        return NULL;
    }
    json_decref(cols);   /* root holds it now */
    for (size_t i = 0; i < s->ncols; i++) {
        json_t *c = column_to_json(&s->cols[i]);
        if (c == NULL || json_array_append_new(cols, c)) {
            json_decref(root);
            return NULL;
        }
    }
    return root;
}

static int get_string(const json_t *o, const char *key, const char **out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

static double get_number(const json_t *o, const char *key, double dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

/* Largest first id number: leaves room for 10^18 generated rows without int64 overflow. */
#define SCHEMA_ID_NEXT_MAX 1000000000000000000LL

/* Largest count a stored schema may hold (2^62: exact as a double, far above any real table). */
#define SCHEMA_COUNT_MAX 4611686018427387904LL

/* Integer field `key` in [lo, hi] (a whole real is accepted too): 0 with *out set (dflt when the
 * field is absent), -1 when it is present but not such a number.  Checking before converting
 * keeps a damaged file from making an out-of-range (undefined) float-to-integer conversion. */
static int get_integer(const json_t *o, const char *key, long long dflt, long long lo, long long hi,
                       long long *out)
{
    json_t *v = json_object_get(o, key);
    *out = dflt;
    if (v == NULL)
        return 0;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < lo || i > hi)
            return -1;
        *out = (long long)i;
        return 0;
    }
    double d = json_is_real(v) ? json_real_value(v) : NAN;
    if (!(d >= (double)lo && d <= (double)hi) || d != floor(d))
        return -1;
    *out = (long long)d;
    return 0;
}

static int column_from_json(const json_t *o, size_t index, synth_column *c, synth_err *err)
{
    const char *name, *type, *tok = "";
    if (!json_is_object(o) || get_string(o, "name", &name) || get_string(o, "type", &type))
        return synth_err_set(err, SYNTH_MODEL, "schema: column %zu: missing name or type", index + 1);
    if (synth_col_type_parse(type, &c->type))
        return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': unknown type '%s'", name, type);
    get_string(o, "null_token", &tok);
    c->name = synth_strdup(name);
    c->null_token = synth_strdup(tok);
    if (c->name == NULL || c->null_token == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    long long v;
    if (get_integer(o, "count", 0, 0, SCHEMA_COUNT_MAX, &v))
        return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': bad count", name);
    c->count = (uint64_t)v;
    if (get_integer(o, "null_count", 0, 0, SCHEMA_COUNT_MAX, &v))
        return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': bad null_count", name);
    c->null_count = (uint64_t)v;
    c->min = get_number(o, "min", 0);
    c->max = get_number(o, "max", 0);
    if (get_integer(o, "decimals", 0, 0, 15, &v))
        return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': decimals out of range", name);
    c->decimals = (int)v;
    const char *notation = "fixed";
    get_string(o, "notation", &notation);
    c->scientific = strcmp(notation, "scientific") == 0;
    c->text_mean_words = get_number(o, "mean_words", 0);
    if (c->type == SYNTH_COL_PII) {
        const char *entity = "", *shape = "";
        synth_pii_entity e;
        get_string(o, "entity", &entity);
        get_string(o, "shape", &shape);
        if (synth_pii_entity_parse(entity, &e) != 0)
            return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': unknown PII entity '%s'", name, entity);
        c->pii_entity = (int)e;
        if (strlen(shape) >= SYNTH_PII_TEXT_MAX)
            return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': PII shape too long", name);
        if ((c->pii_shape = synth_strdup(shape)) == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    if (c->type == SYNTH_COL_DATETIME) {
        const char *fmt;
        if (get_string(o, "format", &fmt) || synth_dt_from_pattern(&c->dtfmt, fmt))
            return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': bad datetime format", name);
        if (get_integer(o, "frac_digits", c->dtfmt.frac_digits, 0, 9, &v))
            return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': frac_digits out of range", name);
        c->dtfmt.frac_digits = (int)v;
    }
    if (c->type == SYNTH_COL_CATEGORICAL || c->type == SYNTH_COL_BOOLEAN) {
        json_t *cats = json_object_get(o, "categories");
        if (!json_is_array(cats))
            return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': missing categories", name);
        size_t n = json_array_size(cats);
        c->categories = synth_calloc(n ? n : 1, sizeof *c->categories);
        if (c->categories == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            const char *value;
            json_t *cat = json_array_get(cats, i);
            if (get_string(cat, "value", &value))
                return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': bad category %zu", name, i);
            c->categories[i].value = synth_strdup(value);
            if (c->categories[i].value == NULL)
                return synth_err_set(err, SYNTH_NOMEM, "out of memory");
            c->ncategories = i + 1;   /* owned by the column from here on */
            if (get_integer(cat, "count", 0, 0, SCHEMA_COUNT_MAX, &v))
                return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': bad count of category %zu", name, i);
            c->categories[i].count = (uint64_t)v;
        }
    }
    if (c->type == SYNTH_COL_ID) {
        const char *kind = "integer", *prefix = "";
        get_string(o, "id_format", &kind);
        int k;
        for (k = 0; k < 4 && strcmp(kind, id_kind_names[k]) != 0; k++)
            ;
        if (k == 4)
            return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': unknown id_format '%s'", name, kind);
        c->id_kind = (synth_id_kind)k;
        get_string(o, "prefix", &prefix);
        c->id_prefix = synth_strdup(prefix);
        if (c->id_prefix == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        if (get_integer(o, "width", 0, 0, 19, &v))
            return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': id width out of range", name);
        c->id_width = (int)v;
        if (get_integer(o, "next", 1, 0, SCHEMA_ID_NEXT_MAX, &v))
            return synth_err_set(err, SYNTH_MODEL, "schema: column '%s': id next out of range", name);
        c->id_next = (int64_t)v;
    }
    return 0;
}

int synth_schema_from_json(const json_t *json, synth_schema **out, synth_err *err)
{
    *out = NULL;
    json_t *cols = json_object_get(json, "columns");
    if (!json_is_array(cols) || json_array_size(cols) == 0)
        return synth_err_set(err, SYNTH_MODEL, "schema: missing 'columns'");
    synth_schema *s = synth_calloc(1, sizeof *s);
    if (s == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    size_t n = json_array_size(cols);
    s->cols = synth_calloc(n, sizeof *s->cols);
    if (s->cols == NULL) {
        synth_free(s);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    long long rows;
    if (get_integer(json, "rows", 0, 0, SCHEMA_COUNT_MAX, &rows)) {
        synth_free(s->cols);
        synth_free(s);
        return synth_err_set(err, SYNTH_MODEL, "schema: bad 'rows'");
    }
    s->rows = (uint64_t)rows;
    for (size_t i = 0; i < n; i++) {
        s->ncols = i + 1;
        int rc = column_from_json(json_array_get(cols, i), i, &s->cols[i], err);
        if (rc) {
            synth_schema_free(s);
            return rc;
        }
    }
    *out = s;
    return 0;
}

/* ---- user overrides --------------------------------------------------------------------------- */

static int override_column(synth_column *c, const json_t *o, const char *path, synth_err *err)
{
    /* The fields a user may set, then the facts synth_schema_to_json also writes (so the output of
     * `synth schema` can be edited and passed back): those are re-derived from the data, and
     * ignored here. */
    static const char *const known[] = {"name", "type", "decimals", "format", "null_token",
                                        "id_format", "prefix", "width", "next", "frac_digits",
                                        "count", "null_count", "null_rate", "min", "max", "categories",
                                        "mean_words", "notation"};
    static const char *const strings[] = {"type", "format", "null_token", "id_format", "prefix", "notation"};
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)o, key, value) {
        size_t k;
        for (k = 0; k < sizeof known / sizeof known[0] && strcmp(key, known[k]) != 0; k++)
            ;
        if (k == sizeof known / sizeof known[0])
            return synth_err_set(err, SYNTH_USAGE, "%s: column '%s': unknown field '%s'", path, c->name, key);
    }
    for (size_t k = 0; k < sizeof strings / sizeof strings[0]; k++) {
        json_t *v = json_object_get(o, strings[k]);
        if (v != NULL && !json_is_string(v))
            return synth_err_set(err, SYNTH_USAGE, "%s: column '%s': \"%s\" must be a string", path, c->name,
                                 strings[k]);
    }
    const char *type;
    if (get_string(o, "type", &type) == 0) {
        synth_col_type t;
        if (synth_col_type_parse(type, &t))
            return synth_err_set(err, SYNTH_USAGE,
                                 "%s: column '%s': unknown type '%s' (integer, float, categorical, "
                                 "boolean, datetime, id, text)", path, c->name, type);
        if (t == SYNTH_COL_ID && c->type != SYNTH_COL_ID)
            c->id_kind = SYNTH_ID_HEX;   /* unless "id_format" below says otherwise */
        c->type = t;
    }
    json_t *dec = json_object_get(o, "decimals");
    if (dec != NULL) {
        if (!json_is_integer(dec) || json_integer_value(dec) < 0 || json_integer_value(dec) > 15)
            return synth_err_set(err, SYNTH_USAGE, "%s: column '%s': decimals must be an integer 0..15",
                                 path, c->name);
        c->decimals = (int)json_integer_value(dec);
    }
    const char *notation;
    if (get_string(o, "notation", &notation) == 0) {
        if (strcmp(notation, "fixed") != 0 && strcmp(notation, "scientific") != 0)
            return synth_err_set(err, SYNTH_USAGE, "%s: column '%s': notation must be \"fixed\" or \"scientific\"",
                                 path, c->name);
        c->scientific = strcmp(notation, "scientific") == 0;
    }
    const char *fmt;
    if (get_string(o, "format", &fmt) == 0 && synth_dt_from_pattern(&c->dtfmt, fmt))
        return synth_err_set(err, SYNTH_USAGE, "%s: column '%s': bad datetime format '%s'", path, c->name, fmt);
    if (c->type == SYNTH_COL_DATETIME && c->dtfmt.pattern[0] == '\0')
        return synth_err_set(err, SYNTH_USAGE, "%s: column '%s': a datetime column needs a \"format\"",
                             path, c->name);
    json_t *frac = json_object_get(o, "frac_digits");
    if (frac != NULL) {
        if (!json_is_integer(frac) || json_integer_value(frac) < 0 || json_integer_value(frac) > 9)
            return synth_err_set(err, SYNTH_USAGE, "%s: column '%s': frac_digits must be an integer 0..9",
                                 path, c->name);
        c->dtfmt.frac_digits = (int)json_integer_value(frac);
    }
    const char *tok;
    if (get_string(o, "null_token", &tok) == 0) {
        char *copy = synth_strdup(tok);
        if (copy == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        synth_free(c->null_token);
        c->null_token = copy;
    }
    const char *kind;
    if (get_string(o, "id_format", &kind) == 0) {
        int k;
        for (k = 0; k < 4 && strcmp(kind, id_kind_names[k]) != 0; k++)
            ;
        if (k == 4)
            return synth_err_set(err, SYNTH_USAGE, "%s: column '%s': unknown id_format '%s' (integer, prefixed, "
                                 "uuid, hex)", path, c->name, kind);
        c->id_kind = (synth_id_kind)k;
    }
    const char *prefix;
    if (get_string(o, "prefix", &prefix) == 0) {
        char *copy = synth_strdup(prefix);
        if (copy == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        synth_free(c->id_prefix);
        c->id_prefix = copy;
    }
    json_t *width = json_object_get(o, "width");
    if (width != NULL) {
        if (!json_is_integer(width) || json_integer_value(width) < 0 || json_integer_value(width) > 19)
            return synth_err_set(err, SYNTH_USAGE, "%s: column '%s': width must be an integer 0..19", path, c->name);
        c->id_width = (int)json_integer_value(width);
    }
    json_t *next = json_object_get(o, "next");
    if (next != NULL) {
        if (!json_is_integer(next) || json_integer_value(next) < 0 || json_integer_value(next) > SCHEMA_ID_NEXT_MAX)
            return synth_err_set(err, SYNTH_USAGE, "%s: column '%s': next must be an integer 0..10^18", path, c->name);
        c->id_next = (int64_t)json_integer_value(next);
    }
    return 0;
}

int synth_schema_apply_overrides(synth_schema *s, const char *path, synth_err *err)
{
    json_error_t jerr;
    FILE *probe = fopen(path, "r");
    if (probe == NULL)
        return synth_err_set(err, SYNTH_IO, "%s: %s", path, strerror(errno));
    fclose(probe);
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return synth_err_set(err, SYNTH_USAGE, "%s: line %d: %s", path, jerr.line, jerr.text);
    int rc = 0;
    json_t *cols = json_object_get(root, "columns");
    if (!json_is_array(cols)) {
        rc = synth_err_set(err, SYNTH_USAGE, "%s: expected an object with a \"columns\" array", path);
        goto done;
    }
    size_t i;
    json_t *o;
    json_array_foreach(cols, i, o) {
        const char *name;
        if (!json_is_object(o) || get_string(o, "name", &name)) {
            rc = synth_err_set(err, SYNTH_USAGE, "%s: columns[%zu]: expected an object with a \"name\"", path, i);
            goto done;
        }
        long idx = synth_schema_find(s, name);
        if (idx < 0) {
            rc = synth_err_set(err, SYNTH_USAGE, "%s: column '%s' is not in the data", path, name);
            goto done;
        }
        rc = override_column(&s->cols[idx], o, path, err);
        if (rc)
            goto done;
    }
done:
    json_decref(root);
    return rc;
}
