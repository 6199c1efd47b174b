/* cmd_pii_scan.c -- `synth pii scan FILE.csv`: find the columns that hold personal data.
 *
 * Prints one line per column (entity types, share of non-empty cells, confidence, a masked
 * example -- never a raw value) and optionally writes the full JSON report (pii_detect.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "output.h"
#include "pii_detect.h"

extern const cli_command synth_cmd_pii_scan;

static const cli_option pii_scan_options[] = {
    {"json", 0, "FILE", 0, "write the JSON report to FILE ('-' = standard output, no table then)"},
    {"max-rows", 0, "N", 0, "scan at most N data rows (default: all)"},
    {"delimiter", 'd', "CHAR", 0, "field delimiter of the input (default ','; 'tab' for tabs)"},
    {"skip-bad-rows", 0, NULL, 0, "skip and count ragged or invalid-UTF-8 rows instead of failing"},
    {NULL, 0, NULL, 0, NULL},
};

static void print_table(const json_t *rep, FILE *out)
{
    const json_t *cols = json_object_get(rep, "columns");
    fprintf(out, "%-24s %-5s %-28s %6s %5s  %s\n", "column", "pii", "entities", "share", "conf", "example");
    size_t i;
    const json_t *c;
    json_array_foreach(cols, i, c) {
        char ents[160] = "";
        size_t n = 0;
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)json_object_get(c, "entities"), key, v) {
            int w = snprintf(ents + n, sizeof ents - n, "%s%s", n ? "," : "", key);
            if (w < 0 || (size_t)w >= sizeof ents - n)
                break;
            n += (size_t)w;
        }
        const char *ex = json_string_value(json_object_get(c, "example"));
        int pii = json_is_true(json_object_get(c, "is_pii"));
        int ft = json_is_true(json_object_get(c, "free_text"));
        fprintf(out, "%-24s %-5s %-28s %5.1f%% %5.2f  %s%s\n", json_string_value(json_object_get(c, "name")),
                pii ? "yes" : "no", n ? ents : "-", 100.0 * json_real_value(json_object_get(c, "share")),
                json_real_value(json_object_get(c, "confidence")), ex ? ex : "-",
                ft && pii ? "  (free text)" : "");
    }
    if (json_is_null(json_object_get(rep, "name_dictionary")))
        fprintf(out, "note: name dictionary (names.txt) not found; person names detected from column names only\n");
}

static int run_pii_scan(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_csv_options csv;
    synth_csv_options_init(&csv);
    const char *v;
    uint64_t max_rows = 0;
    int rc = 0;
    if ((v = cli_get(a, "delimiter")) != NULL)
        rc = cli_parse_delimiter(v, &csv.delimiter, &err);
    if (rc == 0 && (v = cli_get(a, "max-rows")) != NULL)
        rc = cli_parse_uint("--max-rows", v, UINT64_MAX / 2, &max_rows, &err);
    if (rc)
        return cli_report("pii scan", &err);
    csv.skip_bad_rows = cli_flag(a, "skip-bad-rows");
    json_t *rep = NULL;
    rc = synth_pii_scan_csv(a->positional[0], &csv, (size_t)max_rows, &rep, &err);
    if (rc)
        return cli_report("pii scan", &err);
    const char *path = cli_get(a, "json");
    if (path == NULL || strcmp(path, "-") != 0)
        print_table(rep, stdout);
    if (path != NULL) {
        char *text = json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (text == NULL) {
            json_decref(rep);
            synth_err_set(&err, SYNTH_NOMEM, "out of memory");
            return cli_report("pii scan", &err);
        }
        synth_output *out = NULL;
        rc = synth_output_open(&out, path, &err);
        if (rc == 0)
            rc = synth_output_write(out, text, strlen(text), &err);
        if (rc == 0)
            rc = synth_output_write(out, "\n", 1, &err);
        if (rc == 0)
            rc = synth_output_commit(out, &err);
        else
            synth_output_abort(out);
        free(text);
    }
    json_decref(rep);
    return rc ? cli_report("pii scan", &err) : 0;
}

const cli_command synth_cmd_pii_scan = {
    .name = "pii scan",
    .summary = "find the columns of a CSV file that hold personal data (PII)",
    .usage = "synth pii scan INPUT.csv [--json FILE] [--max-rows N]",
    .description =
        "Scans INPUT.csv ('-' reads standard input) for emails, phone numbers, US SSNs, payment\n"
        "cards (Luhn + issuer), IBANs (mod-97), IPv4/IPv6 and MAC addresses, URLs, dates of birth,\n"
        "person names (datasets/names.txt, found via $SYNTH_DATA_DIR, <binary>/../datasets or\n"
        "./datasets) and postal codes, using patterns, checksums and column-name hints.  Prints\n"
        "one line per column with the share of matching cells, a confidence and a masked example;\n"
        "raw values are never printed.  A column is PII when >= 50% of its non-empty cells match,\n"
        ">= 20% with a hinting column name, or when it is free text with\n"
        "matches in >= 2 cells (or >= 5%) -- free text leaks PII even when few rows hold it.",
    .options = pii_scan_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_pii_scan,
};
