/* cmd_validate.c -- `synth validate`: fidelity, utility and privacy-risk report for a
 * real/synthetic pair; also used by `generate --validate-against`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "commands.h"
#include "output.h"
#include "report_html.h"
#include "validate.h"

void synth__cli_print_leakage(const json_t *leak, FILE *out);

static const cli_option validate_options[] = {
    {"real", 'r', "FILE", 0, "the real (training) CSV file (required)"},
    {"synthetic", 's', "FILE", 0, "the synthetic CSV file (required)"},
    {"holdout", 0, "FILE", 0, "real rows not used for training: enables utility and holdout DCR"},
    {"target", 't', "COLUMN", 0, "column to predict for the utility test (needs --holdout)"},
    {"json", 'j', "FILE", 0, "write the full report as JSON"},
    {"html", 0, "FILE", 0, "write a self-contained HTML report"},
    {"fail-under", 0, "SCORE", 0, "exit 10 when the overall quality score is below SCORE (0..1)"},
    {"fail-on-leak", 0, NULL, 0, "exit 10 when a PII value of the real file appears in the synthetic one"},
    {"no-leak-check", 0, NULL, 0, "skip the PII leakage check (one more pass over both files)"},
    {"max-rows", 0, "N", 0, "rows per file sampled for utility and privacy risk (default 100000)"},
    {"seed", 0, "N", 0, "seed for those samples (default 0)"},
    {"delimiter", 'd', "CHAR", 0, "field delimiter of the inputs (default ',')"},
    {"progress", 0, "WHEN", 0, "progress on stderr: auto (default), always, never"},
    {"quiet", 'q', NULL, 0, "no summary table"},
    {NULL, 0, NULL, 0, NULL},
};

static double number_at(const json_t *o, const char *a, const char *b)
{
    const json_t *v = json_object_get(o, a);
    if (b != NULL)
        v = json_object_get(v, b);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void print_summary(const json_t *doc, FILE *out)
{
    const json_t *in = json_object_get(doc, "inputs");
    const json_t *fid = json_object_get(doc, "fidelity");
    fprintf(out, "real       %s (%lld rows)\nsynthetic  %s (%lld rows)\n",
            json_string_value(json_object_get(json_object_get(in, "real"), "path")),
            (long long)json_integer_value(json_object_get(json_object_get(in, "real"), "rows")),
            json_string_value(json_object_get(json_object_get(in, "synthetic"), "path")),
            (long long)json_integer_value(json_object_get(json_object_get(in, "synthetic"), "rows")));
    fprintf(out, "\n  quality (fidelity)\n");
    fprintf(out, "    overall              %.4f\n", number_at(fid, "overall", NULL));
    fprintf(out, "    column shapes        %.4f\n", number_at(fid, "column_shapes", NULL));
    fprintf(out, "    column pair trends   %.4f\n", number_at(fid, "column_pair_trends", NULL));
    /* the three weakest columns */
    const json_t *cols = json_object_get(fid, "columns");
    size_t n = json_array_size(cols), shown = 0;
    int *used = synth_calloc(n ? n : 1, sizeof *used);
    for (size_t k = 0; used != NULL && k < 3 && k < n; k++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!used[i] && (best == n || number_at(json_array_get(cols, i), "score", NULL) <
                                              number_at(json_array_get(cols, best), "score", NULL)))
                best = i;
        if (best == n)
            break;
        used[best] = 1;
        const json_t *c = json_array_get(cols, best);
        fprintf(out, "    %s %-16.16s %.4f (%s)\n", shown++ ? "              " : "weakest columns",
                json_string_value(json_object_get(c, "column")), number_at(c, "score", NULL),
                json_string_value(json_object_get(c, "metric")));
    }
    synth_free(used);
    const json_t *util = json_object_get(doc, "utility");
    if (json_is_object(util)) {
        fprintf(out, "\n  utility: predict '%s' (%s), train on real vs synthetic, test on holdout\n",
                json_string_value(json_object_get(util, "target")), json_string_value(json_object_get(util, "model")));
        const char *metrics[] = {"accuracy", "f1", "roc_auc", "r2"};
        for (size_t i = 0; i < 4; i++) {
            double r = number_at(util, "train_real", metrics[i]);
            if (isnan(r))
                continue;
            fprintf(out, "    %-9s real %.4f   synthetic %.4f   ratio %.3f\n", metrics[i], r,
                    number_at(util, "train_synthetic", metrics[i]), number_at(util, "ratio", metrics[i]));
        }
    }
    const json_t *priv = json_object_get(doc, "privacy");
    if (json_is_object(priv)) {
        const json_t *dcr = json_object_get(priv, "dcr");
        fprintf(out, "\n  privacy risk\n");
        fprintf(out, "    exact copies of training rows   %.2f%%\n", 100 * number_at(dcr, "exact_copy_rate", NULL));
        fprintf(out, "    median distance to training     %.4f\n", number_at(dcr, "synthetic_to_train", "median"));
        double share = number_at(dcr, "share_closer_to_train", NULL);
        if (!isnan(share))
            fprintf(out, "    closer to training than holdout %.1f%% (50%% = no memorization)\n", 100 * share);
        double auc = number_at(priv, "membership_inference", "roc_auc");
        if (!isnan(auc))
            fprintf(out, "    membership-inference ROC AUC    %.3f (0.5 = attacker guesses)\n", auc);
        if (json_is_true(json_object_get(priv, "sampled")))
            fprintf(out, "    (computed on samples; see rows_used in the JSON report)\n");
    }
    const json_t *leak = json_object_get(doc, "pii_leakage");
    if (json_is_object(leak))
        synth__cli_print_leakage(leak, out);
}

/* The leakage section of a summary: totals, then one line per entity with hits (masked examples). */
void synth__cli_print_leakage(const json_t *leak, FILE *out)
{
    double lv = number_at(leak, "leaked_values", NULL), lc = number_at(leak, "leaked_cells", NULL);
    fprintf(out, "\n  PII leakage (source values found in the output)\n");
    fprintf(out, "    leaked source values            %.0f in %.0f cells%s\n", lv, lc,
            lv > 0 ? "   LEAK" : "");
    fprintf(out, "    equal by chance (small domains) %.0f in %.0f cells\n", number_at(leak, "chance_values", NULL),
            number_at(leak, "chance_cells", NULL));
    const json_t *ents = json_object_get(leak, "entities");
    for (size_t i = 0; i < json_array_size(ents); i++) {
        const json_t *e = json_array_get(ents, i);
        double v = number_at(e, "leaked_values", NULL), cv = number_at(e, "chance_values", NULL);
        if (v == 0 && cv == 0)
            continue;
        const char *ex = json_string_value(json_object_get(e, "example"));
        if (v > 0)
            fprintf(out, "    %-16s leaked %.0f values in %.0f cells, e.g. %s\n",
                    json_string_value(json_object_get(e, "entity")), v, number_at(e, "leaked_cells", NULL),
                    ex ? ex : "-");
        else
            fprintf(out, "    %-16s %.0f values by chance (expected %.2g hits)\n",
                    json_string_value(json_object_get(e, "entity")), cv,
                    number_at(e, "expected_chance_hits", NULL));
    }
    if (json_is_false(json_object_get(leak, "complete")))
        fprintf(out, "    (source PII set full: %.0f values not checked, see max_values)\n",
                number_at(leak, "source_values_dropped", NULL));
}

int synth__cli_validate(const char *cmd, const synth_validate_request *req, const char *json_path,
                        const char *html_path, double fail_under, int fail_on_leak, int quiet);

int synth__cli_validate(const char *cmd, const synth_validate_request *req, const char *json_path,
                        const char *html_path, double fail_under, int fail_on_leak, int quiet)
{
    synth_err err;
    synth_err_clear(&err);
    json_t *doc = NULL;
    int rc = synth_validate(req, &doc, &err);
    if (rc == 0 && json_path != NULL)
        rc = cli_write_json(doc, json_path, &err);
    if (rc == 0 && html_path != NULL)
        rc = synth_report_write_html(doc, html_path, &err);
    if (rc) {
        json_decref(doc);
        return cli_report(cmd, &err);
    }
    if (!quiet) {
        FILE *out = strcmp(cmd, "validate") == 0 ? stdout : stderr;
        print_summary(doc, out);
        if (json_path)
            fprintf(out, "\n  JSON report: %s\n", json_path);
        if (html_path)
            fprintf(out, "%s  HTML report: %s\n", json_path ? "" : "\n", html_path);
    }
    double overall = number_at(json_object_get(doc, "fidelity"), "overall", NULL);
    double leaked = number_at(json_object_get(doc, "pii_leakage"), "leaked_values", NULL);
    double leaked_cells = number_at(json_object_get(doc, "pii_leakage"), "leaked_cells", NULL);
    json_decref(doc);
    if (fail_on_leak && leaked > 0) {
        synth_err_set(&err, SYNTH_GATE, "%.0f PII values of %s appear in %s (%.0f cells; --fail-on-leak)", leaked,
                      req->real_path, req->synthetic_path, leaked_cells);
        return cli_report(cmd, &err);
    }
    if (!isnan(fail_under) && !(overall >= fail_under)) {
        synth_err_set(&err, SYNTH_GATE, "overall quality %.4f is below --fail-under %.4f", overall, fail_under);
        return cli_report(cmd, &err);
    }
    return 0;
}

int synth__cli_parse_score(const char *text, double *out, synth_err *err);

int synth__cli_parse_score(const char *text, double *out, synth_err *err)
{
    char *end;
    double v = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || !(v >= 0 && v <= 1))
        return synth_err_set(err, SYNTH_USAGE, "--fail-under: expected a score between 0 and 1, got '%s'", text);
    *out = v;
    return 0;
}

static int run_validate(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_validate_request req;
    synth_validate_request_init(&req);
    req.real_path = cli_get(a, "real");
    req.synthetic_path = cli_get(a, "synthetic");
    if (req.real_path == NULL || req.synthetic_path == NULL)
        return cli_usage_error(&synth_cmd_validate, "--real and --synthetic are required");
    req.holdout_path = cli_get(a, "holdout");
    req.target = cli_get(a, "target");
    const char *v;
    int rc = 0;
    uint64_t n;
    double fail_under = NAN;
    if ((v = cli_get(a, "fail-under")) != NULL)
        rc = synth__cli_parse_score(v, &fail_under, &err);
    if (rc == 0 && (v = cli_get(a, "max-rows")) != NULL) {
        rc = cli_parse_uint("--max-rows", v, 10000000, &n, &err);
        if (rc == 0 && n < 10)
            rc = synth_err_set(&err, SYNTH_USAGE, "--max-rows must be at least 10");
        req.max_rows = (size_t)n;
    }
    if (rc == 0 && (v = cli_get(a, "seed")) != NULL)
        rc = cli_parse_uint("--seed", v, UINT64_MAX, &req.seed, &err);
    if (rc == 0 && (v = cli_get(a, "delimiter")) != NULL)
        rc = cli_parse_delimiter(v, &req.csv.delimiter, &err);
    if (rc == 0)
        rc = cli_parse_progress(a, &req.progress, &err);
    if (rc == 0 && cli_flag(a, "no-leak-check") && cli_flag(a, "fail-on-leak"))
        rc = synth_err_set(&err, SYNTH_USAGE, "--fail-on-leak needs the leakage check (drop --no-leak-check)");
    if (rc)
        return cli_report("validate", &err);
    req.pii_leakage = !cli_flag(a, "no-leak-check");
    return synth__cli_validate("validate", &req, cli_get(a, "json"), cli_get(a, "html"), fail_under,
                               cli_flag(a, "fail-on-leak"), cli_flag(a, "quiet"));
}

const cli_command synth_cmd_validate = {
    .name = "validate",
    .summary = "score a synthetic CSV against the real one: fidelity, utility, privacy risk",
    .usage = "synth validate --real REAL.csv --synthetic SYNTH.csv [--holdout H.csv --target COL] "
             "[--json R.json] [--html R.html] [--fail-under 0.8]",
    .description =
        "Fidelity uses the reference definitions (SDMetrics): column shapes (KS complement for\n"
        "numeric and datetime columns, TV complement for categorical and boolean ones), column pair\n"
        "trends (correlation similarity for numeric pairs, contingency similarity otherwise, numeric\n"
        "columns in 10 bins), overall = their mean.  Both files are streamed in bounded memory.\n"
        "Utility (--target, --holdout): the same model trained on real and on synthetic rows, tested\n"
        "on the holdout.  Privacy risk: distance to the closest training (and holdout) record,\n"
        "exact copies, and a distance-based membership-inference attack.  PII leakage: every PII\n"
        "value of the real file (whole cells and inside free text) is looked for in the synthetic\n"
        "one; values a fake can equal by chance (small domains) are reported apart; --fail-on-leak\n"
        "exits 10 on a leak.  Prints a summary table;\n"
        "--json and --html write the full report (see validation/REPORT.md).",
    .options = validate_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_validate,
};
