/* cmd_inspect.c -- `synth inspect`: describe a model file (human table or JSON). */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "pii.h"
#include "pipeline.h"

static const cli_option inspect_options[] = {
    {"json", 'j', NULL, 0, "print everything as one JSON document"},
    {NULL, 0, NULL, 0, NULL},
};

static void print_column(const synth_column *c)
{
    double nulls = c->count ? 100.0 * (double)c->null_count / (double)c->count : 0.0;
    printf("  %-24s %-12s %6.2f%%  ", c->name, synth_col_type_name(c->type), nulls);
    switch (c->type) {
    case SYNTH_COL_INTEGER:
        printf("range %.0f..%.0f", c->min, c->max);
        break;
    case SYNTH_COL_FLOAT:
        printf("range %g..%g, %d decimals", c->min, c->max, c->decimals);
        break;
    case SYNTH_COL_DATETIME:
        printf("format %s", c->dtfmt.pattern);
        break;
    case SYNTH_COL_CATEGORICAL:
    case SYNTH_COL_BOOLEAN:
        printf("%zu categories", c->ncategories);
        break;
    case SYNTH_COL_ID:
        printf("fresh unique ids (%s)", synth_id_kind_name(c->id_kind));
        break;
    case SYNTH_COL_TEXT:
        printf("free text, %.1f words on average", c->text_mean_words);
        break;
    case SYNTH_COL_PII:
        printf("personal data (%s): fresh fakes, never learned", synth_pii_entity_name((synth_pii_entity)c->pii_entity));
        break;
    default:
        break;
    }
    putchar('\n');
}

static int run_inspect(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_loaded_model *lm = NULL;
    int rc = synth_model_open(a->positional[0], &lm, &err);
    if (rc)
        return cli_report("inspect", &err);
    if (cli_flag(a, "json")) {
        json_t *doc = json_pack("{s:O, s:o, s:o}", "model", lm->info, "schema", synth_schema_to_json(lm->schema),
                                "parameters", lm->gen->describe ? lm->gen->describe(lm->model) : json_null());
        char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(doc);
        if (text == NULL) {
            synth_loaded_model_free(lm);
            synth_err_set(&err, SYNTH_NOMEM, "out of memory");
            return cli_report("inspect", &err);
        }
        puts(text);
        free(text);
    } else {
        const json_t *prov = json_object_get(lm->info, "provenance");
        printf("model       %s (format %lld, synth %s)\n", a->positional[0],
               (long long)json_integer_value(json_object_get(lm->info, "format_version")),
               json_string_value(json_object_get(lm->info, "synth_version")));
        printf("created     %s\n", json_string_value(json_object_get(lm->info, "created_at")));
        printf("generator   %s: %s\n", lm->gen->name, lm->gen->description);
        printf("trained on  %s (%s rows, %s fitted, %s skipped)\n",
               json_string_value(json_object_get(prov, "source")) ? json_string_value(json_object_get(prov, "source")) : "?",
               json_string_value(json_object_get(prov, "rows")) ? json_string_value(json_object_get(prov, "rows")) : "?",
               json_string_value(json_object_get(prov, "rows_fitted")) ? json_string_value(json_object_get(prov, "rows_fitted")) : "?",
               json_string_value(json_object_get(prov, "rows_skipped")) ? json_string_value(json_object_get(prov, "rows_skipped")) : "?");
        json_t *desc = lm->gen->describe ? lm->gen->describe(lm->model) : NULL;
        const json_t *epochs = json_object_get(desc, "epochs_trained");
        if (epochs != NULL)   /* generators that train (ctgan) */
            printf("training    %lld epochs on %s, %.2f s/epoch, last loss_g %.3f, loss_d %.3f\n",
                   (long long)json_integer_value(epochs), json_string_value(json_object_get(desc, "trained_on")),
                   json_number_value(json_object_get(desc, "seconds_per_epoch")),
                   json_number_value(json_object_get(desc, "loss_g")), json_number_value(json_object_get(desc, "loss_d")));
        json_decref(desc);
        printf("columns     %zu\n\n  %-24s %-12s %7s  %s\n", lm->schema->ncols, "name", "type", "nulls", "details");
        for (size_t c = 0; c < lm->schema->ncols; c++)
            print_column(&lm->schema->cols[c]);
    }
    synth_loaded_model_free(lm);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        synth_err_set(&err, SYNTH_IO, "cannot write to standard output");
        return cli_report("inspect", &err);
    }
    return 0;
}

const cli_command synth_cmd_inspect = {
    .name = "inspect",
    .summary = "describe a model file: schema, generator, parameters, provenance",
    .usage = "synth inspect MODEL.synth [--json]",
    .description = "Prints what a model file holds.  --json gives the full metadata, schema and learned\n"
                   "parameters as JSON for scripts.",
    .options = inspect_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_inspect,
};
