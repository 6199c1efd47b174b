/* cmd_privacy.c -- `synth privacy check` and `synth privacy anonymize`, and the helpers that
 * `generate --qi ... --k ...` shares with them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "anonymize.h"
#include "check.h"
#include "cmd_privacy.h"
#include "commands.h"
#include "output.h"

#define MAX_LIST SYNTH_CLI_MAX_COLUMNS

static int split_list(const char *opt, const char *text, name_list *out, synth_err *err)
{
    memset(out, 0, sizeof *out);
    if (text == NULL)
        return 0;
    out->buf = synth_strdup(text);
    if (out->buf == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    char *p = out->buf;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma != NULL)
            *comma = '\0';
        if (*p == '\0')
            return synth_err_set(err, SYNTH_USAGE, "%s: empty column name in '%s'", opt, text);
        if (out->count == MAX_LIST)
            return synth_err_set(err, SYNTH_USAGE, "%s: more than %d columns", opt, MAX_LIST);
        out->names[out->count++] = p;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

static int parse_double_opt(const char *opt, const char *text, double lo, double hi, double *out, synth_err *err)
{
    char *end;
    double v = strtod(text, &end);
    int percent = *end == '%';
    if (percent) {
        end++;
        v /= 100.0;
    }
    if (*text == '\0' || *end != '\0' || !(v >= lo && v <= hi))
        return synth_err_set(err, SYNTH_USAGE, "%s: expected a number in [%g, %g]%s, got '%s'", opt, lo, hi,
                             hi == 1.0 ? " (or a percentage)" : "", text);
    *out = v;
    return 0;
}

int synth__cli_parse_share(const char *opt, const char *text, double *out, synth_err *err)
{
    return parse_double_opt(opt, text, 0, 1, out, err);
}

int synth__cli_privacy_spec(const cli_args *a, synth_privacy_spec *spec, name_list *qi, name_list *sens,
                            synth_err *err)
{
    synth_privacy_spec_init(spec);
    int rc = split_list("--qi", cli_get(a, "qi"), qi, err);
    if (rc == 0)
        rc = split_list("--sensitive", cli_get(a, "sensitive"), sens, err);
    if (rc)
        return rc;
    if (qi->count == 0)
        return synth_err_set(err, SYNTH_USAGE, "--qi COLUMNS is required (comma-separated quasi-identifiers)");
    spec->qi = qi->names;
    spec->nqi = qi->count;
    spec->sensitive = sens->names;
    spec->nsensitive = sens->count;
    const char *v;
    if ((v = cli_get(a, "k")) != NULL && (rc = cli_parse_uint("--k", v, UINT32_MAX, &spec->k, err)))
        return rc;
    if ((v = cli_get(a, "l")) != NULL && (rc = parse_double_opt("--l", v, 1, 1e9, &spec->l, err)))
        return rc;
    if ((v = cli_get(a, "c")) != NULL && (rc = parse_double_opt("--c", v, 1e-9, 1e9, &spec->c, err)))
        return rc;
    if ((v = cli_get(a, "t")) != NULL && (rc = parse_double_opt("--t", v, 0, 1, &spec->t, err)))
        return rc;
    if ((v = cli_get(a, "risk-threshold")) != NULL &&
        (rc = parse_double_opt("--risk-threshold", v, 0, 1, &spec->risk_threshold, err)))
        return rc;
    if ((spec->l > 0 || spec->t >= 0) && spec->nsensitive == 0)
        return synth_err_set(err, SYNTH_USAGE, "--l and --t need --sensitive COLUMNS");
    if (spec->c > 0 && spec->l <= 0)
        return synth_err_set(err, SYNTH_USAGE, "--c (recursive (c,l)-diversity) needs --l");
    return 0;
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

void synth__cli_print_privacy(const json_t *r, FILE *out)
{
    const json_t *sizes = json_object_get(r, "class_size");
    const json_t *risk = json_object_get(r, "risk");
    fprintf(out, "rows %.0f, equivalence classes %.0f (sizes: min %.0f, median %.0f, mean %.1f, max %.0f)\n",
            num(r, "rows"), num(r, "classes"), num(sizes, "min"), num(sizes, "median"), num(sizes, "mean"),
            num(sizes, "max"));
    fprintf(out, "prosecutor risk: highest %.4f, average %.4f, rows above %.2f: %.2f%%\n", num(risk, "highest"),
            num(risk, "average"), num(risk, "threshold"), 100 * num(risk, "rows_at_risk"));
    const json_t *reqs = json_object_get(r, "requirements");
    size_t i;
    const json_t *q;
    json_array_foreach(reqs, i, q) {
        const char *col = json_string_value(json_object_get(q, "column"));
        fprintf(out, "  %-4s %-22s%s%-16s required %-8g achieved %g\n",
                json_is_true(json_object_get(q, "passed")) ? "ok" : "FAIL",
                json_string_value(json_object_get(q, "model")), col ? " " : "", col ? col : "",
                num(q, "required"), num(q, "achieved"));
    }
}

static const cli_option check_options[] = {
    {"qi", 'q', "COLS", 0, "quasi-identifier columns, comma-separated (required)"},
    {"sensitive", 's', "COLS", 0, "sensitive columns for l-diversity and t-closeness"},
    {"k", 'k', "K", 0, "require k-anonymity: every class has at least K rows"},
    {"l", 'l', "L", 0, "require distinct and entropy l-diversity for each sensitive column"},
    {"c", 'c', "C", 0, "with --l: also require recursive (c,l)-diversity"},
    {"t", 't', "T", 0, "require t-closeness (Earth Mover's Distance <= T)"},
    {"risk-threshold", 0, "P", 0, "report rows whose re-identification risk 1/|class| exceeds P (default 0.2)"},
    {"json", 'j', "FILE", 0, "write the full report as JSON"},
    {"delimiter", 'd', "CHAR", 0, "field delimiter of the input (default ',')"},
    {"quiet", 0, NULL, 0, "no summary on stdout"},
    {NULL, 0, NULL, 0, NULL},
};

static int run_check(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_privacy_spec spec;
    name_list qi, sens;
    synth_csv_options csv;
    synth_csv_options_init(&csv);
    int rc = synth__cli_privacy_spec(a, &spec, &qi, &sens, &err);
    const char *v;
    if (rc == 0 && (v = cli_get(a, "delimiter")) != NULL)
        rc = cli_parse_delimiter(v, &csv.delimiter, &err);
    json_t *report = NULL;
    int passed = 0;
    if (rc == 0)
        rc = synth_privacy_check_csv(a->positional[0], &spec, &csv, SYNTH_PROGRESS_AUTO, &report, &passed, &err);
    if (rc == 0 && cli_get(a, "json") != NULL)
        rc = cli_write_json(report, cli_get(a, "json"), &err);
    if (rc == 0 && !cli_flag(a, "quiet"))
        synth__cli_print_privacy(report, stdout);
    json_decref(report);
    synth_free(qi.buf);
    synth_free(sens.buf);
    if (rc)
        return cli_report("privacy check", &err);
    if (!passed) {
        synth_err_set(&err, SYNTH_GATE, "%s does not meet the requested privacy models", a->positional[0]);
        return cli_report("privacy check", &err);
    }
    return 0;
}

const cli_command synth_cmd_privacy_check = {
    .name = "privacy check",
    .summary = "measure k-anonymity, l-diversity, t-closeness and re-identification risk of a CSV",
    .usage = "synth privacy check DATA.csv --qi COLS [--sensitive COLS] [--k K] [--l L [--c C]] [--t T] [--json R.json]",
    .description =
        "Groups rows into equivalence classes by their quasi-identifier values in one streaming pass\n"
        "(memory grows with the number of classes, not rows) and reports class sizes, prosecutor\n"
        "re-identification risk, l-diversity (distinct, entropy, recursive (c,l)) and t-closeness\n"
        "(Earth Mover's Distance: ordered for numeric, equal distance for categorical sensitive\n"
        "columns).  Exits 10 when a requested k, l, c or t is not met.  See docs/PRIVACY.md.",
    .options = check_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_check,
};

static const cli_option anonymize_options[] = {
    {"qi", 'q', "COLS", 0, "quasi-identifier columns, comma-separated (required)"},
    {"sensitive", 's', "COLS", 0, "sensitive columns for l-diversity and t-closeness"},
    {"k", 'k', "K", 0, "k-anonymity to enforce (required)"},
    {"l", 'l', "L", 0, "also enforce l-diversity"},
    {"c", 'c', "C", 0, "with --l: recursive (c,l)-diversity"},
    {"t", 't', "T", 0, "also enforce t-closeness"},
    {"hierarchy", 'H', "FILE", 0, "generalization hierarchies for categorical columns (JSON)"},
    {"max-suppression", 0, "SHARE", 0, "rows that may be removed, e.g. 2% or 0.02 (default 0)"},
    {"output", 'o', "FILE", 0, "anonymized CSV to write (required; '-' = stdout)"},
    {"json", 'j', "FILE", 0, "write the report (generalization, information loss, check) as JSON"},
    {"risk-threshold", 0, "P", 0, "risk threshold used by the check of the output (default 0.2)"},
    {"delimiter", 'd', "CHAR", 0, "field delimiter (default ',')"},
    {"quiet", 0, NULL, 0, "no summary"},
    {NULL, 0, NULL, 0, NULL},
};

static int run_anonymize(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_anonymize_request req;
    synth_anonymize_request_init(&req);
    name_list qi, sens;
    int rc = synth__cli_privacy_spec(a, &req.spec, &qi, &sens, &err);
    const char *v;
    if (rc == 0 && req.spec.k == 0)
        rc = synth_err_set(&err, SYNTH_USAGE, "--k K is required");
    if (rc == 0 && (v = cli_get(a, "max-suppression")) != NULL)
        rc = parse_double_opt("--max-suppression", v, 0, 1, &req.max_suppression, &err);
    if (rc == 0 && (v = cli_get(a, "delimiter")) != NULL)
        rc = cli_parse_delimiter(v, &req.csv.delimiter, &err);
    req.input = a->positional[0];
    req.output = cli_get(a, "output");
    req.hierarchy_path = cli_get(a, "hierarchy");
    if (rc == 0 && req.output == NULL)
        rc = synth_err_set(&err, SYNTH_USAGE, "-o FILE is required");
    json_t *report = NULL;
    if (rc == 0)
        rc = synth_anonymize_csv(&req, &report, &err);
    if (rc == 0 && cli_get(a, "json") != NULL)
        rc = cli_write_json(report, cli_get(a, "json"), &err);
    if (rc == 0 && !cli_flag(a, "quiet")) {
        FILE *out = strcmp(req.output, "-") == 0 ? stderr : stdout;
        const json_t *loss = json_object_get(report, "information_loss");
        fprintf(out, "suppressed %.0f rows (%.2f%%); information loss: NCP %.4f, discernibility %.0f\n",
                num(report, "rows_suppressed"), 100 * num(report, "suppressed_share"), num(loss, "ncp"),
                num(loss, "discernibility"));
        const json_t *check = json_object_get(report, "check");
        if (json_is_object(check))
            synth__cli_print_privacy(check, out);
    }
    json_decref(report);
    synth_free(qi.buf);
    synth_free(sens.buf);
    return rc ? cli_report("privacy anonymize", &err) : 0;
}

const cli_command synth_cmd_privacy_anonymize = {
    .name = "privacy anonymize",
    .summary = "generalize and suppress a CSV until it is k-anonymous (and l-diverse, t-close)",
    .usage = "synth privacy anonymize DATA.csv --qi COLS --k K [--sensitive COLS --l L] [--hierarchy H.json] "
             "[--max-suppression 2%] -o OUT.csv",
    .description =
        "Generalizes quasi-identifiers (hierarchies from --hierarchy for categorical columns;\n"
        "automatic intervals for numbers, truncation for dates, digit masking for codes such as\n"
        "ZIP) and suppresses the rows that still violate the models, up to --max-suppression.  The\n"
        "search minimizes information loss, reported as normalized certainty penalty and\n"
        "discernibility; the output is checked with the same models.  See docs/PRIVACY.md.",
    .options = anonymize_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_anonymize,
};
