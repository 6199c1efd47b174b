/* cmd_schema.c -- `synth schema`: infer a CSV's schema and print it as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "commands.h"
#include "output.h"
#include "pipeline.h"

static const cli_option schema_options[] = {
    {"output", 'o', "FILE", 0, "write the JSON to FILE instead of standard output"},
    {"schema", 0, "FILE", 0, "apply overrides from FILE (same JSON shape) before printing"},
    {"delimiter", 'd', "CHAR", 0, "field delimiter of the input (default ','; 'tab' for tabs)"},
    {"max-categories", 0, "N", 0, "more distinct values than N make a column text or id (default 5000)"},
    {"skip-bad-rows", 0, NULL, 0, "skip and count ragged or invalid-UTF-8 rows instead of failing"},
    {"progress", 0, "WHEN", 0, "progress on stderr: auto (default, when a terminal), always, never"},
    {"quiet", 'q', NULL, 0, "no progress and no summary"},
    {NULL, 0, NULL, 0, NULL},
};

/* Options shared by schema and fit for reading CSV. */
int synth__cli_read_options(const cli_args *a, synth_infer_options *opt, synth_err *err);

int synth__cli_read_options(const cli_args *a, synth_infer_options *opt, synth_err *err)
{
    const char *v;
    uint64_t n;
    int rc;
    if ((v = cli_get(a, "delimiter")) != NULL && (rc = cli_parse_delimiter(v, &opt->csv.delimiter, err)))
        return rc;
    if ((v = cli_get(a, "max-categories")) != NULL) {
        if ((rc = cli_parse_uint("--max-categories", v, 1000000, &n, err)))
            return rc;
        if (n < 1)
            return synth_err_set(err, SYNTH_USAGE, "--max-categories must be at least 1");
        opt->max_categories = (size_t)n;
    }
    if ((v = cli_get(a, "sample-rows")) != NULL) {
        if ((rc = cli_parse_uint("--sample-rows", v, 100000000, &n, err)))
            return rc;
        if (n < 1)
            return synth_err_set(err, SYNTH_USAGE, "--sample-rows must be at least 1");
        opt->reservoir_rows = (size_t)n;
    }
    opt->csv.skip_bad_rows = cli_flag(a, "skip-bad-rows");
    return cli_parse_progress(a, &opt->progress, err);
}

static int run_schema(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_infer_options opt;
    synth_infer_options_init(&opt);
    int rc = synth__cli_read_options(a, &opt, &err);
    if (rc)
        return cli_report("schema", &err);
    synth_schema *schema = NULL;
    rc = synth_schema_csv(a->positional[0], cli_get(a, "schema"), &opt, &schema, &err);
    if (rc)
        return cli_report("schema", &err);
    json_t *j = synth_schema_to_json(schema);
    synth_schema_free(schema);
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (text == NULL) {
        synth_err_set(&err, SYNTH_NOMEM, "out of memory");
        return cli_report("schema", &err);
    }
    const char *path = cli_get(a, "output");
    synth_output *out = NULL;
    rc = synth_output_open(&out, path ? path : "-", &err);
    if (rc == 0)
        rc = synth_output_write(out, text, strlen(text), &err);
    if (rc == 0)
        rc = synth_output_write(out, "\n", 1, &err);
    if (rc == 0) {
        rc = synth_output_commit(out, &err);
    } else {
        synth_output_abort(out);
    }
    free(text);
    return rc ? cli_report("schema", &err) : 0;
}

const cli_command synth_cmd_schema = {
    .name = "schema",
    .summary = "infer a CSV file's column types and print them as JSON",
    .usage = "synth schema INPUT.csv [options]",
    .description =
        "Reads INPUT.csv once (streaming; '-' reads standard input) and prints each column's\n"
        "inferred type (integer, float, categorical, boolean, datetime, id, text), null rate and\n"
        "format details as JSON.  Edit the output and pass it back with --schema to 'synth fit' to\n"
        "override any column's type or parameters.",
    .options = schema_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_schema,
};
