/* schema.h -- column types of a table, inferred from a CSV stream, printed and read as JSON.
 *
 * A schema lists each column's type (integer, float, categorical, boolean, datetime, id, text),
 * its null rate and the facts needed to write values back in the source's format: decimals for
 * floats, the layout of dates, the spelling of nulls and booleans, the id pattern, and, for
 * categorical and boolean columns, every category with its exact count.  The inference pass
 * (synth_infer_*, infer.c) also keeps a bounded reservoir sample of rows for fitting.
 * A schema owns all its strings; synth_schema_free releases them.  Not thread-safe to modify;
 * read-only use from many threads is fine. */
#ifndef SYNTH_SCHEMA_H
#define SYNTH_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "datetime.h"
#include "err.h"

typedef enum synth_col_type {
    SYNTH_COL_INTEGER = 0,
    SYNTH_COL_FLOAT,
    SYNTH_COL_CATEGORICAL,
    SYNTH_COL_BOOLEAN,
    SYNTH_COL_DATETIME,
    SYNTH_COL_ID,
    SYNTH_COL_TEXT,
    SYNTH_COL_PII,           /* personal data: generated as fresh format-valid fakes, never learned */
    SYNTH_COL_TYPE_COUNT
} synth_col_type;

typedef enum synth_id_kind {
    SYNTH_ID_INTEGER = 0,   /* 1, 2, 3 ...: generated as max+1, max+2, ... */
    SYNTH_ID_PREFIXED,      /* "C000123": same prefix, fresh numbers above the training maximum */
    SYNTH_ID_UUID,          /* 8-4-4-4-12 hex: fresh random-looking UUIDs, unique per row */
    SYNTH_ID_HEX            /* anything else: 32 hex digits, unique per row */
} synth_id_kind;

typedef struct synth_category {
    char *value;            /* exact source text (never NULL; "" is not used: that is a null) */
    uint64_t count;
} synth_category;

typedef struct synth_column {
    char *name;
    synth_col_type type;
    uint64_t count;          /* rows seen */
    uint64_t null_count;     /* of which null */
    char *null_token;        /* written for a null: "" unless the source spelled nulls otherwise */
    /* integer, float, datetime (seconds since the epoch) */
    double min, max;
    int decimals;            /* float: digits after the point as in the source (scientific: of the mantissa) */
    int scientific;          /* float: written as 1.500e-04 (most source values were) */
    synth_dtfmt dtfmt;       /* datetime: source layout */
    /* categorical, boolean: most frequent first */
    size_t ncategories;
    synth_category *categories;
    /* id */
    synth_id_kind id_kind;
    char *id_prefix;         /* SYNTH_ID_PREFIXED */
    int id_width;            /* digits, zero-padded to this width (PREFIXED); 0 = no padding */
    int64_t id_next;         /* first fresh number (INTEGER, PREFIXED) */
    /* text */
    double text_mean_words;
    /* pii: a synth_pii_entity, and the shape of the values with every digit and letter replaced
     * (separators, length, a card's first digit and an IBAN's country kept), never a real value */
    int pii_entity;
    char *pii_shape;
} synth_column;

typedef struct synth_schema {
    size_t ncols;
    synth_column *cols;
    uint64_t rows;           /* data rows seen when inferred */
} synth_schema;

const char *synth_col_type_name(synth_col_type t);
/* Returns -1 for an unknown name. */
int synth_col_type_parse(const char *name, synth_col_type *t);
const char *synth_id_kind_name(synth_id_kind k);

/* Frees all strings and the schema itself.  NULL is a no-op. */
void synth_schema_free(synth_schema *s);

/* Index of the column named `name`, or -1. */
long synth_schema_find(const synth_schema *s, const char *name);

/* The schema as a JSON object (new reference, NULL on out of memory). */
json_t *synth_schema_to_json(const synth_schema *s);

/* Build a complete schema from JSON written by synth_schema_to_json (as stored in model files).
 * SYNTH_MODEL on anything missing or malformed (names the field). */
int synth_schema_from_json(const json_t *json, synth_schema **out, synth_err *err);

/* Apply a user's override file (--schema FILE) to an inferred schema: {"columns": [{"name": ...,
 * "type": ..., "decimals": ..., "format": ..., "null_token": ...}]}, each field optional except
 * name.  Unknown columns, types or fields are SYNTH_USAGE errors naming the file and the field.
 * A column whose type changes keeps its counts; the fitter re-derives what the new type needs
 * from the reservoir sample (categories, range). */
int synth_schema_apply_overrides(synth_schema *s, const char *path, synth_err *err);

/* Is this cell a null for column `col`?  Empty cells always are; numeric and datetime columns
 * also accept NA, N/A, NULL, null, NaN, nan, None, ? (the spelling is kept in null_token). */
int synth_cell_is_null(const synth_column *col, const char *s, size_t len);

/* Parse a non-null cell of a numeric/datetime column into a double (datetime: epoch seconds).
 * Returns 0, or -1 if the text does not fit the column's type. */
int synth_cell_parse_number(const synth_column *col, const char *s, size_t len, double *out);

/* Index of a categorical/boolean cell in col->categories, or -1 if unknown. Linear scan: for fit
 * time only (the fitter builds a hash map when it needs speed). */
long synth_cell_category(const synth_column *col, const char *s, size_t len);

#endif
