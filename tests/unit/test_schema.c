/* test_schema.c -- unit tests of src/schema.c: the JSON round trip of a schema with every type,
 * malformed stored schemas (SYNTH_MODEL naming the field), user overrides (--schema) and their
 * errors (SYNTH_USAGE naming the file and the field), feeding `synth schema` output back as
 * overrides, null-cell rules, number parsing and category lookup. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "infer.h"
#include "schema.h"
#include "test_util.h"

static int group_setup(void **state)
{
    (void)state;
    return tu_make_dir("schema");
}

static int group_teardown(void **state)
{
    (void)state;
    return tu_drop_dir();
}

/* A CSV with one column of every type and shape: integer id, prefixed id, UUID, hex token,
 * integer with NA nulls, float, categorical (with a delimiter in a value), boolean, datetime
 * with fractional seconds, text, all-null. */
static synth_schema *all_types(void)
{
    tu_buf b = {0};
    tu_add(&b, "id,cust,ref,tok,n,x,cat,flag,when,note,empty\n");
    for (unsigned i = 0; i < 30; i++)
        tu_add(&b, "%u,C%04u,%08x-%04x-4%03x-b%03x-%012x,t%03ux,%s,%u.%02u,%s,%s,2021-03-%02uT10:20:%02u.%03uZ,"
               "the %u quick words here %u,\n",
               i + 1, i + 10, i * 2654435761u, i, i, i, i * 7919u, i, i % 4 ? "NA" : "12", i, i * 3 % 100,
               i % 3 ? "\"a,b\"" : "plain", i % 2 ? "yes" : "no", i % 28 + 1, i % 60, i * 7 % 1000, i, i % 9);
    const char *path = tu_file(".csv", b.p);
    tu_buf_free(&b);
    synth_infer_options o;
    synth_infer_options_init(&o);
    o.progress = SYNTH_PROGRESS_NEVER;
    synth_schema *s = NULL;
    synth_err err;
    int rc = synth_infer_csv(path, &o, &s, NULL, NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
    return s;
}

static const synth_column *col_of(const synth_schema *s, const char *name)
{
    long i = synth_schema_find(s, name);
    if (i < 0)
        fail_msg("no column '%s'", name);
    return &s->cols[i];
}

static char *dump(const synth_schema *s)
{
    json_t *j = synth_schema_to_json(s);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(text);
    json_decref(j);
    return text;
}

static synth_schema *load_text(const char *text, int expect, const char *needle)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (j == NULL)
        fail_msg("bad test JSON: %s", jerr.text);
    synth_schema *s = (synth_schema *)1;
    synth_err err;
    synth_err_clear(&err);
    int rc = synth_schema_from_json(j, &s, &err);
    json_decref(j);
    if (rc != expect)
        fail_msg("from_json(%s): %d (%s), expected %d", text, rc, err.msg, expect);
    if (rc != 0) {
        assert_null(s);
        assert_int_equal(err.code, rc);
        tu_assert_contains(err.msg, needle);
        return NULL;
    }
    return s;
}

/* ---- JSON round trip ------------------------------------------------------------------------------ */

static void assert_columns_equal(const synth_column *a, const synth_column *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->null_count, b->null_count);
    assert_string_equal(a->null_token, b->null_token);
    switch (a->type) {
    case SYNTH_COL_FLOAT:
        assert_int_equal(a->decimals, b->decimals);
        /* fall through */
    case SYNTH_COL_INTEGER:
        assert_true(a->min == b->min && a->max == b->max);
        break;
    case SYNTH_COL_DATETIME:
        assert_string_equal(a->dtfmt.pattern, b->dtfmt.pattern);
        assert_int_equal(a->dtfmt.frac_digits, b->dtfmt.frac_digits);
        assert_true(a->min == b->min && a->max == b->max);
        break;
    case SYNTH_COL_CATEGORICAL:
    case SYNTH_COL_BOOLEAN:
        assert_int_equal(a->ncategories, b->ncategories);
        for (size_t i = 0; i < a->ncategories; i++) {
            assert_string_equal(a->categories[i].value, b->categories[i].value);
            assert_int_equal(a->categories[i].count, b->categories[i].count);
        }
        break;
    case SYNTH_COL_ID:
        assert_int_equal(a->id_kind, b->id_kind);
        if (a->id_kind == SYNTH_ID_PREFIXED) {
            assert_string_equal(a->id_prefix, b->id_prefix);
            assert_int_equal(a->id_width, b->id_width);
        }
        if (a->id_kind == SYNTH_ID_INTEGER || a->id_kind == SYNTH_ID_PREFIXED)
            assert_int_equal(a->id_next, b->id_next);
        break;
    case SYNTH_COL_TEXT:
        assert_true(a->text_mean_words == b->text_mean_words);
        break;
    default:
        fail();
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    synth_schema *s = all_types();
    /* the fixture covers what it claims */
    assert_int_equal(col_of(s, "id")->type, SYNTH_COL_ID);
    assert_int_equal(col_of(s, "id")->id_kind, SYNTH_ID_INTEGER);
    assert_int_equal(col_of(s, "cust")->id_kind, SYNTH_ID_PREFIXED);
    assert_int_equal(col_of(s, "ref")->id_kind, SYNTH_ID_UUID);
    assert_int_equal(col_of(s, "tok")->id_kind, SYNTH_ID_HEX);
    assert_int_equal(col_of(s, "n")->type, SYNTH_COL_INTEGER);
    assert_string_equal(col_of(s, "n")->null_token, "NA");
    assert_int_equal(col_of(s, "x")->type, SYNTH_COL_FLOAT);
    assert_int_equal(col_of(s, "cat")->type, SYNTH_COL_CATEGORICAL);
    assert_int_equal(col_of(s, "flag")->type, SYNTH_COL_BOOLEAN);
    assert_int_equal(col_of(s, "when")->type, SYNTH_COL_DATETIME);
    assert_int_equal(col_of(s, "when")->dtfmt.frac_digits, 3);
    assert_int_equal(col_of(s, "note")->type, SYNTH_COL_TEXT);
    assert_int_equal(col_of(s, "empty")->type, SYNTH_COL_CATEGORICAL);

    char *text = dump(s);
    synth_schema *back = load_text(text, 0, NULL);
    assert_int_equal(back->ncols, s->ncols);
    assert_int_equal(back->rows, s->rows);
    for (size_t c = 0; c < s->ncols; c++)
        assert_columns_equal(&s->cols[c], &back->cols[c]);
    char *text2 = dump(back);
    assert_string_equal(text, text2);
    /* a null_rate is written for each column */
    json_t *j = synth_schema_to_json(s);
    json_t *n = json_array_get(json_object_get(j, "columns"), 4);
    assert_string_equal(json_string_value(json_object_get(n, "name")), "n");
    assert_true(fabs(json_real_value(json_object_get(n, "null_rate")) - 22.0 / 30.0) < 1e-12);
    json_decref(j);
    free(text);
    free(text2);
    synth_schema_free(back);
    synth_schema_free(s);
    synth_schema_free(NULL);
}

static void test_from_json_errors(void **state)
{
    (void)state;
    load_text("{}", SYNTH_MODEL, "columns");
    load_text("{\"columns\": []}", SYNTH_MODEL, "columns");
    load_text("{\"columns\": [{\"name\": \"a\"}]}", SYNTH_MODEL, "column 1: missing name or type");
    load_text("{\"columns\": [{\"name\": \"a\", \"type\": \"integer\"}, 7]}", SYNTH_MODEL, "column 2");
    load_text("{\"columns\": [{\"name\": \"a\", \"type\": \"blob\"}]}", SYNTH_MODEL, "unknown type 'blob'");
    load_text("{\"columns\": [{\"name\": \"a\", \"type\": \"float\", \"decimals\": 16}]}", SYNTH_MODEL,
              "'a': decimals");
    load_text("{\"columns\": [{\"name\": \"a\", \"type\": \"float\", \"decimals\": -1}]}", SYNTH_MODEL, "decimals");
    load_text("{\"columns\": [{\"name\": \"d\", \"type\": \"datetime\"}]}", SYNTH_MODEL, "'d': bad datetime format");
    load_text("{\"columns\": [{\"name\": \"d\", \"type\": \"datetime\", \"format\": \"%Q\"}]}", SYNTH_MODEL,
              "bad datetime format");
    load_text("{\"columns\": [{\"name\": \"c\", \"type\": \"categorical\"}]}", SYNTH_MODEL, "'c': missing categories");
    load_text("{\"columns\": [{\"name\": \"c\", \"type\": \"boolean\", \"categories\": [{\"value\": \"yes\"}, {}]}]}",
              SYNTH_MODEL, "'c': bad category 1");
    load_text("{\"columns\": [{\"name\": \"i\", \"type\": \"id\", \"id_format\": \"weird\"}]}", SYNTH_MODEL,
              "unknown id_format 'weird'");
    load_text("{\"columns\": [{\"name\": \"i\", \"type\": \"id\", \"id_format\": \"prefixed\", \"width\": 25}]}",
              SYNTH_MODEL, "'i': id width");

    /* numbers out of range for their field: an error, not an undefined conversion */
    load_text("{\"columns\": [{\"name\": \"a\", \"type\": \"integer\", \"count\": 1e300}]}", SYNTH_MODEL, "'a': bad count");
    load_text("{\"columns\": [{\"name\": \"a\", \"type\": \"integer\", \"null_count\": -1}]}", SYNTH_MODEL,
              "bad null_count");
    load_text("{\"columns\": [{\"name\": \"a\", \"type\": \"float\", \"decimals\": 1e300}]}", SYNTH_MODEL, "decimals");
    load_text("{\"columns\": [{\"name\": \"a\", \"type\": \"float\", \"decimals\": 2.5}]}", SYNTH_MODEL, "decimals");
    load_text("{\"columns\": [{\"name\": \"i\", \"type\": \"id\", \"next\": 4.1e301}]}", SYNTH_MODEL, "'i': id next");
    load_text("{\"columns\": [{\"name\": \"i\", \"type\": \"id\", \"next\": 9223372036854775807}]}", SYNTH_MODEL,
              "id next");
    load_text("{\"columns\": [{\"name\": \"i\", \"type\": \"id\", \"width\": 3.1e301}]}", SYNTH_MODEL, "id width");
    load_text("{\"columns\": [{\"name\": \"d\", \"type\": \"datetime\", \"format\": \"%Y\", \"frac_digits\": 1e9}]}",
              SYNTH_MODEL, "frac_digits");
    load_text("{\"columns\": [{\"name\": \"c\", \"type\": \"categorical\", \"categories\": [{\"value\": \"x\", "
              "\"count\": -2}]}]}", SYNTH_MODEL, "bad count of category 0");
    load_text("{\"rows\": -5, \"columns\": [{\"name\": \"a\", \"type\": \"text\"}]}", SYNTH_MODEL, "rows");
    /* large ids keep every digit (no trip through a double) */
    synth_schema *big = load_text("{\"rows\": 3.0, \"columns\": [{\"name\": \"i\", \"type\": \"id\", "
                                  "\"next\": 999999999999999999}]}", 0, NULL);
    assert_int_equal(big->cols[0].id_next, INT64_C(999999999999999999));
    assert_int_equal(big->rows, 3);
    synth_schema_free(big);

    /* defaults for what a minimal schema leaves out */
    synth_schema *s = load_text("{\"columns\": [{\"name\": \"i\", \"type\": \"id\"}, {\"name\": \"t\", \"type\": \"text\"}]}",
                                0, NULL);
    assert_int_equal(s->ncols, 2);
    assert_int_equal(s->cols[0].id_kind, SYNTH_ID_INTEGER);
    assert_int_equal(s->cols[0].id_next, 1);
    assert_string_equal(s->cols[0].null_token, "");
    assert_int_equal(s->cols[1].type, SYNTH_COL_TEXT);
    synth_schema_free(s);
}

/* ---- overrides --------------------------------------------------------------------------------------- */

/* Apply an override text; returns the status and leaves the message in err. */
static int apply(synth_schema *s, const char *json, const char **path, synth_err *err)
{
    const char *p = tu_file(".json", json);
    if (path != NULL)
        *path = p;
    synth_err_clear(err);
    return synth_schema_apply_overrides(s, p, err);
}

static void test_override_valid(void **state)
{
    (void)state;
    synth_schema *s = all_types();
    synth_schema *orig = all_types();
    synth_err err;
    int rc = apply(s,
                   "{\"columns\": ["
                   "{\"name\": \"n\", \"type\": \"float\", \"decimals\": 3},"
                   "{\"name\": \"when\", \"format\": \"%Y-%m-%d %H:%M:%S\"},"
                   "{\"name\": \"x\", \"null_token\": \"-\", \"decimals\": 0},"
                   "{\"name\": \"cust\", \"prefix\": \"CUST-\", \"width\": 8, \"next\": 5000},"
                   "{\"name\": \"cat\", \"type\": \"text\"},"
                   "{\"name\": \"tok\"}"
                   "]}",
                   NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
    const synth_column *n = col_of(s, "n");
    assert_int_equal(n->type, SYNTH_COL_FLOAT);
    assert_int_equal(n->decimals, 3);
    assert_int_equal(n->count, col_of(orig, "n")->count);           /* counts kept */
    assert_int_equal(n->null_count, col_of(orig, "n")->null_count);
    assert_string_equal(n->null_token, "NA");
    const synth_column *w = col_of(s, "when");
    assert_int_equal(w->type, SYNTH_COL_DATETIME);
    assert_string_equal(w->dtfmt.pattern, "%Y-%m-%d %H:%M:%S");
    assert_int_equal(w->dtfmt.frac_digits, 0);
    const synth_column *x = col_of(s, "x");
    assert_string_equal(x->null_token, "-");
    assert_int_equal(x->decimals, 0);
    const synth_column *cu = col_of(s, "cust");
    assert_int_equal(cu->id_kind, SYNTH_ID_PREFIXED);
    assert_string_equal(cu->id_prefix, "CUST-");
    assert_int_equal(cu->id_width, 8);
    assert_int_equal(cu->id_next, 5000);
    assert_int_equal(col_of(s, "cat")->type, SYNTH_COL_TEXT);
    /* untouched columns are unchanged */
    static const char *const same[] = {"id", "ref", "tok", "flag", "note", "empty"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        assert_columns_equal(col_of(s, same[i]), col_of(orig, same[i]));

    /* datetime with a format on a non-datetime column; %Nf fixes the digits; frac_digits too */
    rc = apply(s, "{\"columns\": [{\"name\": \"note\", \"type\": \"datetime\", \"format\": \"%d/%m/%Y %H:%M:%S.%3f\"},"
                  "{\"name\": \"when\", \"format\": \"%Y-%m-%dT%H:%M:%S.%fZ\", \"frac_digits\": 2},"
                  "{\"name\": \"tok\", \"type\": \"id\", \"id_format\": \"uuid\"},"
                  "{\"name\": \"flag\", \"type\": \"id\"}]}",
               NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(col_of(s, "note")->type, SYNTH_COL_DATETIME);
    assert_int_equal(col_of(s, "note")->dtfmt.frac_digits, 3);
    assert_int_equal(col_of(s, "when")->dtfmt.frac_digits, 2);
    assert_int_equal(col_of(s, "tok")->id_kind, SYNTH_ID_UUID);
    assert_int_equal(col_of(s, "flag")->type, SYNTH_COL_ID);
    assert_int_equal(col_of(s, "flag")->id_kind, SYNTH_ID_HEX);   /* a new id column: hex by default */

    /* an empty list changes nothing */
    char *before = dump(s);
    assert_int_equal(apply(s, "{\"columns\": []}", NULL, &err), SYNTH_OK);
    char *after = dump(s);
    assert_string_equal(before, after);
    free(before);
    free(after);
    synth_schema_free(s);
    synth_schema_free(orig);
}

/* `synth schema` output, edited or not, is accepted back by --schema (its help says so). */
static void test_override_with_schema_output(void **state)
{
    (void)state;
    synth_schema *s = all_types();
    char *text = dump(s);
    const char *path = tu_file(".json", text);
    synth_err err;
    int rc = synth_schema_apply_overrides(s, path, &err);
    if (rc)
        fail_msg("feeding back synth schema output: %s", err.msg);
    char *again = dump(s);
    assert_string_equal(text, again);
    free(text);
    free(again);
    synth_schema_free(s);
}

static void expect_usage(const char *json, const char *needle)
{
    synth_schema *s = all_types();
    const char *path;
    synth_err err;
    int rc = apply(s, json, &path, &err);
    if (rc != SYNTH_USAGE)
        fail_msg("override %s: got %d (%s), expected SYNTH_USAGE", json, rc, err.msg);
    assert_int_equal(err.code, SYNTH_USAGE);
    tu_assert_contains(err.msg, path);
    tu_assert_contains(err.msg, needle);
    synth_schema_free(s);
}

static void test_override_errors(void **state)
{
    (void)state;
    expect_usage("{\"columns\": [{\"name\": \"nope\", \"type\": \"text\"}]}", "column 'nope' is not in the data");
    expect_usage("{\"columns\": [{\"name\": \"n\", \"type\": \"blob\"}]}", "column 'n': unknown type 'blob'");
    expect_usage("{\"columns\": [{\"name\": \"n\", \"colour\": \"red\"}]}", "column 'n': unknown field 'colour'");
    expect_usage("{\"columns\": [", "line 1");
    expect_usage("{\"columns\": [{\"name\": \"n\", \"type\": \"float\"}]", "line");
    expect_usage("not json", "line 1");
    expect_usage("", "line");
    expect_usage("[]", "\"columns\" array");
    expect_usage("{\"columns\": {}}", "\"columns\" array");
    expect_usage("{\"columns\": [5]}", "columns[0]");
    expect_usage("{\"columns\": [{\"name\": \"n\"}, {\"type\": \"text\"}]}", "columns[1]");
    expect_usage("{\"columns\": [{\"name\": 7}]}", "columns[0]");
    expect_usage("{\"columns\": [{\"name\": \"n\", \"decimals\": 16}]}", "decimals");
    expect_usage("{\"columns\": [{\"name\": \"n\", \"decimals\": -1}]}", "decimals");
    expect_usage("{\"columns\": [{\"name\": \"n\", \"decimals\": \"2\"}]}", "decimals");
    expect_usage("{\"columns\": [{\"name\": \"n\", \"decimals\": 1.5}]}", "decimals");
    expect_usage("{\"columns\": [{\"name\": \"n\", \"type\": \"datetime\"}]}", "'n': a datetime column needs a");
    expect_usage("{\"columns\": [{\"name\": \"when\", \"format\": \"%Q\"}]}", "bad datetime format '%Q'");
    expect_usage("{\"columns\": [{\"name\": \"when\", \"format\": \"no directive\"}]}", "bad datetime format");
    expect_usage("{\"columns\": [{\"name\": \"n\", \"n\": 1, \"n\": 2}]}", "duplicate");
    expect_usage("{\"columns\": [{\"name\": \"n\", \"type\": 5}]}", "\"type\" must be a string");
    expect_usage("{\"columns\": [{\"name\": \"n\", \"null_token\": null}]}", "\"null_token\" must be a string");
    expect_usage("{\"columns\": [{\"name\": \"when\", \"format\": [\"%Y\"]}]}", "\"format\" must be a string");
    expect_usage("{\"columns\": [{\"name\": \"cust\", \"id_format\": \"roman\"}]}", "unknown id_format 'roman'");
    expect_usage("{\"columns\": [{\"name\": \"cust\", \"width\": 20}]}", "width");
    expect_usage("{\"columns\": [{\"name\": \"cust\", \"next\": -1}]}", "next");
    expect_usage("{\"columns\": [{\"name\": \"when\", \"frac_digits\": 10}]}", "frac_digits");

    /* a missing file is an I/O error naming it */
    synth_schema *s = all_types();
    synth_err err;
    char path[256];
    snprintf(path, sizeof path, "%s/missing.json", tu_dir);
    assert_int_equal(synth_schema_apply_overrides(s, path, &err), SYNTH_IO);
    tu_assert_contains(err.msg, path);
    synth_schema_free(s);
}

static void test_override_alloc_failures(void **state)
{
    (void)state;
    synth_schema *s = all_types();
    const char *path = tu_file(".json", "{\"columns\": [{\"name\": \"n\", \"null_token\": \"-\"},"
                                         "{\"name\": \"cust\", \"prefix\": \"Q\"}]}");
    synth_err err;
    for (long n = 0;; n++) {
        synth_alloc_fail_after(n, 0);
        int rc = synth_schema_apply_overrides(s, path, &err);
        synth_alloc_fail_after(-1, 0);
        if (rc == SYNTH_OK)
            break;
        assert_int_equal(rc, SYNTH_NOMEM);
        assert_true(n < 100);
    }
    assert_string_equal(col_of(s, "n")->null_token, "-");
    assert_string_equal(col_of(s, "cust")->id_prefix, "Q");
    synth_schema_free(s);

    /* from_json under allocation failure: NOMEM and nothing leaked (ASan) */
    s = all_types();
    json_t *j = synth_schema_to_json(s);
    for (long n = 0;; n++) {
        synth_schema *back = NULL;
        synth_alloc_fail_after(n, 0);
        int rc = synth_schema_from_json(j, &back, &err);
        synth_alloc_fail_after(-1, 0);
        if (rc == SYNTH_OK) {
            synth_schema_free(back);
            break;
        }
        assert_int_equal(rc, SYNTH_NOMEM);
        assert_null(back);
        assert_true(n < 1000);
    }
    json_decref(j);
    synth_schema_free(s);
}

/* ---- cells --------------------------------------------------------------------------------------------- */

static void test_cell_is_null(void **state)
{
    (void)state;
    synth_column num = {.name = "n", .type = SYNTH_COL_INTEGER, .null_token = ""};
    static const char *const nulls[] = {"", "NA", "N/A", "NULL", "null", "NaN", "nan", "None", "?", " NA ", "  ",
                                        " ?"};
    static const char *const values[] = {"0", "na", "NAN", "n/a", "Null", "-", "NA1", "?? ", "none"};
    synth_col_type numeric[] = {SYNTH_COL_INTEGER, SYNTH_COL_FLOAT, SYNTH_COL_DATETIME};
    for (size_t t = 0; t < 3; t++) {
        num.type = numeric[t];
        for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
            if (!synth_cell_is_null(&num, nulls[i], strlen(nulls[i])))
                fail_msg("'%s' should be null in a %s column", nulls[i], synth_col_type_name(num.type));
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
            if (synth_cell_is_null(&num, values[i], strlen(values[i])))
                fail_msg("'%s' should not be null in a %s column", values[i], synth_col_type_name(num.type));
    }
    /* only the given length counts */
    assert_true(synth_cell_is_null(&num, "NAxyz", 2));
    assert_false(synth_cell_is_null(&num, "NAxyz", 3));
    assert_true(synth_cell_is_null(&num, "xyz", 0));

    /* a custom null token is null in any column type; other columns only know "" */
    synth_col_type others[] = {SYNTH_COL_CATEGORICAL, SYNTH_COL_BOOLEAN, SYNTH_COL_ID, SYNTH_COL_TEXT};
    for (size_t t = 0; t < 4; t++) {
        synth_column c = {.name = "c", .type = others[t], .null_token = ""};
        assert_true(synth_cell_is_null(&c, "", 0));
        assert_false(synth_cell_is_null(&c, "NA", 2));
        assert_false(synth_cell_is_null(&c, " ", 1));
        assert_false(synth_cell_is_null(&c, "?", 1));
        c.null_token = "-";
        assert_true(synth_cell_is_null(&c, "-", 1));
        assert_false(synth_cell_is_null(&c, "--", 2));
        assert_false(synth_cell_is_null(&c, "-x", 1 + 1));
        c.null_token = NULL;   /* tolerated */
        assert_true(synth_cell_is_null(&c, "", 0));
        assert_false(synth_cell_is_null(&c, "-", 1));
    }
    num.type = SYNTH_COL_FLOAT;
    num.null_token = "missing";
    assert_true(synth_cell_is_null(&num, "missing", 7));
    assert_true(synth_cell_is_null(&num, "NA", 2));
    assert_false(synth_cell_is_null(&num, "missin", 6));
}

static void test_cell_parse_and_category(void **state)
{
    (void)state;
    synth_column c = {.name = "n", .type = SYNTH_COL_INTEGER, .null_token = ""};
    double v;
    assert_int_equal(synth_cell_parse_number(&c, "-12", 3, &v), 0);
    assert_true(v == -12.0);
    assert_int_equal(synth_cell_parse_number(&c, "12.0", 4, &v), 0);   /* whole value with a .0 tail */
    assert_true(v == 12.0);
    assert_int_equal(synth_cell_parse_number(&c, "12.5", 4, &v), -1);
    assert_int_equal(synth_cell_parse_number(&c, "abc", 3, &v), -1);
    c.type = SYNTH_COL_FLOAT;
    assert_int_equal(synth_cell_parse_number(&c, "1e3", 3, &v), 0);
    assert_true(v == 1000.0);
    assert_int_equal(synth_cell_parse_number(&c, "1,5", 3, &v), -1);
    c.type = SYNTH_COL_DATETIME;
    assert_int_equal(synth_dt_from_pattern(&c.dtfmt, "%Y-%m-%d"), 0);
    assert_int_equal(synth_cell_parse_number(&c, "1970-01-02", 10, &v), 0);
    assert_true(v == 86400.0);
    assert_int_equal(synth_cell_parse_number(&c, "1970-13-02", 10, &v), -1);
    c.type = SYNTH_COL_TEXT;
    assert_int_equal(synth_cell_parse_number(&c, "1", 1, &v), -1);

    synth_category cats[] = {{"red", 3}, {"a,b", 2}, {"", 0}};
    synth_column k = {.name = "k", .type = SYNTH_COL_CATEGORICAL, .null_token = "", .ncategories = 2,
                      .categories = cats};
    assert_int_equal(synth_cell_category(&k, "red", 3), 0);
    assert_int_equal(synth_cell_category(&k, "a,b", 3), 1);
    assert_int_equal(synth_cell_category(&k, "redx", 3), 0);   /* by length */
    assert_int_equal(synth_cell_category(&k, "re", 2), -1);
    assert_int_equal(synth_cell_category(&k, "", 0), -1);

    /* names */
    synth_col_type t;
    for (int i = 0; i < SYNTH_COL_TYPE_COUNT; i++) {
        assert_int_equal(synth_col_type_parse(synth_col_type_name((synth_col_type)i), &t), 0);
        assert_int_equal(t, i);
    }
    assert_int_equal(synth_col_type_parse("Integer", &t), -1);
    assert_string_equal(synth_col_type_name(SYNTH_COL_TYPE_COUNT), "unknown");
    assert_string_equal(synth_id_kind_name(SYNTH_ID_UUID), "uuid");
    assert_string_equal(synth_id_kind_name((synth_id_kind)9), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_from_json_errors),
        cmocka_unit_test(test_override_valid),
        cmocka_unit_test(test_override_with_schema_output),
        cmocka_unit_test(test_override_errors),
        cmocka_unit_test(test_override_alloc_failures),
        cmocka_unit_test(test_cell_is_null),
        cmocka_unit_test(test_cell_parse_and_category),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
