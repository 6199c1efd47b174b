/* fuzz_schema_json.c -- libFuzzer harness for the two JSON inputs of src/schema.c: user overrides
 * (--schema FILE, synth_schema_apply_overrides) and stored schemas (synth_schema_from_json, as read
 * from model files).
 *
 * Once per process a small schema with every column type is inferred from a fixed CSV and kept as
 * JSON text.  Each input is then
 *  1. written to a temp file and applied as an override file to a fresh copy of that schema: the
 *     result must be 0 or SYNTH_USAGE (message naming the file) -- never another code, a crash or
 *     a leak; on success the schema must survive to_json -> from_json -> to_json unchanged, and a
 *     formatter must be able to write its header and a row of nulls and ids;
 *  2. parsed with json_loads and, if it is JSON, read with synth_schema_from_json: 0 or
 *     SYNTH_MODEL (with a message); on success the same round trip and formatting checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc.h"
#include "chunk.h"
#include "infer.h"
#include "schema.h"

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_schema_json: check failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static char in_path[64];
static char *base_json;   /* the fixed schema as JSON text */

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (len > 0)
        CHECK(fwrite(data, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

static char *dump(const synth_schema *s)
{
    json_t *j = synth_schema_to_json(s);
    CHECK(j != NULL);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK(text != NULL);
    json_decref(j);
    return text;
}

static synth_schema *parse_schema(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    CHECK(j != NULL);
    synth_schema *s = NULL;
    synth_err err;
    CHECK(synth_schema_from_json(j, &s, &err) == 0);
    json_decref(j);
    return s;
}

static void init_base(void)
{
    snprintf(in_path, sizeof in_path, "/tmp/fuzz_schema_json.%ld.json", (long)getpid());
    char csv_path[64];
    snprintf(csv_path, sizeof csv_path, "/tmp/fuzz_schema_json.%ld.csv", (long)getpid());
    static const char csv[] =
        "id,cust,ref,n,x,cat,flag,when,note,empty\n"
        "1,C001,0b7c3f1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f,5,1.25,\"a,b\",yes,2021-03-07 10:20:30.125,the first note,\n"
        "2,C002,1b7c3f1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f,NA,2.5,plain,no,2021-03-08 11:20:30.5,another longer note here,\n"
        "3,C003,2b7c3f1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f,NA,-3,plain,yes,2020-12-31 00:00:00.0,third one with words,\n";
    write_file(csv_path, csv, sizeof csv - 1);
    synth_infer_options o;
    synth_infer_options_init(&o);
    o.progress = SYNTH_PROGRESS_NEVER;
    synth_schema *s = NULL;
    synth_err err;
    CHECK(synth_infer_csv(csv_path, &o, &s, NULL, NULL, &err) == 0);
    unlink(csv_path);
    base_json = dump(s);
    synth_schema_free(s);
}

/* A schema that loaded must round-trip through JSON and be formattable. */
static void check_schema(const synth_schema *s)
{
    char *a = dump(s);
    synth_schema *back = parse_schema(a);
    char *b = dump(back);
    if (strcmp(a, b) != 0) {
        fprintf(stderr, "round trip differs:\n%s\n%s\n", a, b);
        abort();
    }
    free(a);
    free(b);
    synth_schema_free(back);

    synth_formatter *f = NULL;
    synth_err err;
    CHECK(synth_formatter_new(&f, s, ',', 1, &err) == 0);
    char *hdr = NULL;
    size_t hlen = 0;
    CHECK(synth_formatter_header(f, &hdr, &hlen, &err) == 0);
    CHECK(hlen >= s->ncols && hdr[hlen - 1] == '\n');
    synth_free(hdr);
    /* row 0: every cell null; row 1: ids are set (the only cells a generator never nulls) */
    synth_chunk *ch = synth_chunk_new(s->ncols, 2);
    CHECK(ch != NULL);
    ch->nrows = 2;
    for (size_t c = 0; c < s->ncols; c++) {
        ch->is_null[c * 2] = 1;
        ch->is_null[c * 2 + 1] = s->cols[c].type != SYNTH_COL_ID;
        ch->cells[c * 2 + 1].index = 1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    CHECK(synth_formatter_rows(f, ch, &buf, &len, &cap, &err) == 0);
    CHECK(len <= cap && len >= 2 && buf[len - 1] == '\n');
    synth_free(buf);
    synth_chunk_free(ch);
    synth_formatter_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (base_json == NULL)
        init_base();

    /* 1. as an override file */
    write_file(in_path, data, size);
    synth_schema *s = parse_schema(base_json);
    synth_err err;
    synth_err_clear(&err);
    int rc = synth_schema_apply_overrides(s, in_path, &err);
    CHECK(rc == 0 || rc == SYNTH_USAGE);
    if (rc != 0) {
        CHECK(err.code == rc);
        CHECK(strstr(err.msg, in_path) != NULL);
    } else {
        check_schema(s);
    }
    synth_schema_free(s);
    unlink(in_path);

    /* 2. as a stored schema */
    char *text = malloc(size + 1);
    CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    free(text);
    if (j != NULL) {
        synth_schema *t = NULL;
        synth_err_clear(&err);
        rc = synth_schema_from_json(j, &t, &err);
        CHECK(rc == 0 || rc == SYNTH_MODEL);
        if (rc == 0) {
            CHECK(t != NULL && t->ncols > 0);
            check_schema(t);
            synth_schema_free(t);
        } else {
            CHECK(t == NULL && err.code == rc && err.msg[0] != '\0');
        }
        json_decref(j);
    }
    return 0;
}
