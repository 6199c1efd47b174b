/* cmd_generate.c -- `synth generate`: sample rows from a model file as CSV (optionally gzip). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "count_arg.h"
#include "engine.h"
#include "output.h"
#include "pipeline.h"
#include "progress.h"
#include "alloc.h"
#include "anonymize.h"
#include "check.h"
#include "pii_leak.h"
#include "cmd_privacy.h"
#include "validate.h"

#define MAX_ROWS 1000000000000000ULL   /* 1e15: far beyond any disk, well inside uint64 */

static const cli_option generate_options[] = {
    {"rows", 'n', "N", 0, "rows to generate: 1000000, 1e6, 1M, 1_000_000 (default: as many as trained on)"},
    {"output", 'o', "FILE", 0, "output file ('-' = standard output, the default); FILE.gz is gzip-compressed"},
    {"seed", 's', "N", 0, "random seed; the same model, seed and row give the same row (default 0)"},
    {"threads", 't', "N", 0, "worker threads (default: all cores); output is the same for any N"},
    {"shard", 0, "I/K", 0, "write only part I of K: rows [I*N/K, (I+1)*N/K) of the full run"},
    {"chunk-rows", 0, "N", 0, "rows per work unit (default 16384); output is the same for any N"},
    {"no-header", 0, NULL, 0, "do not write the header line"},
    {"gzip", 'z', NULL, 0, "gzip-compress the output even when it does not end in .gz"},
    {"compression-level", 0, "N", 0, "gzip level 1-9 (default 6)"},
    {"delimiter", 'd', "CHAR", 0, "field delimiter of the output (default ',')"},
    {"progress", 0, "WHEN", 0, "progress on stderr: auto (default, when a terminal), always, never"},
    {"quiet", 'q', NULL, 0, "no progress and no summary"},
    {"validate-against", 0, "REAL.csv", 0, "after writing, score the output against the real data (see validate)"},
    {"holdout", 0, "FILE", 0, "with --validate-against: real rows not used for training"},
    {"target", 0, "COLUMN", 0, "with --validate-against and --holdout: utility target column"},
    {"json", 0, "FILE", 0, "with --validate-against: write the JSON report"},
    {"html", 0, "FILE", 0, "with --validate-against: write the HTML report"},
    {"fail-under", 0, "SCORE", 0, "with --validate-against: exit 10 when overall quality < SCORE"},
    {"leak-check", 0, "SOURCE.csv", 0, "after writing, look for PII values of SOURCE.csv in the output"},
    {"fail-on-leak", 0, NULL, 0, "with --leak-check or --validate-against: exit 10 when a PII value leaked"},
    {"qi", 0, "COLS", 0, "check the output's k-anonymity over these quasi-identifiers (see privacy check)"},
    {"sensitive", 0, "COLS", 0, "with --qi: sensitive columns for --l and --t"},
    {"k", 0, "K", 0, "with --qi: required k (exit 10 when not met, unless --enforce)"},
    {"l", 0, "L", 0, "with --qi --sensitive: required l-diversity"},
    {"t", 0, "T", 0, "with --qi --sensitive: required t-closeness"},
    {"enforce", 0, NULL, 0, "with --qi --k: anonymize the output until it meets the models"},
    {"hierarchy", 0, "FILE", 0, "with --enforce: generalization hierarchies (JSON)"},
    {"max-suppression", 0, "SHARE", 0, "with --enforce: rows that may be removed (e.g. 2%)"},
    {NULL, 0, NULL, 0, NULL},
};

/* --qi ...: check (or with --enforce anonymize) the file just written. */
static int privacy_after_generate(const cli_args *a, const char *path, char delimiter)
{
    synth_err err;
    synth_err_clear(&err);
    synth_privacy_spec spec;
    name_list qi = {0}, sens = {0};
    json_t *report = NULL;
    int passed = 0;
    int rc = synth__cli_privacy_spec(a, &spec, &qi, &sens, &err);
    if (rc == 0 && cli_flag(a, "enforce")) {
        synth_anonymize_request req;
        synth_anonymize_request_init(&req);
        req.spec = spec;
        req.input = path;
        req.output = path;
        req.hierarchy_path = cli_get(a, "hierarchy");
        req.csv.delimiter = delimiter;
        if (spec.k == 0)
            rc = synth_err_set(&err, SYNTH_USAGE, "--enforce needs --k");
        if (rc == 0 && cli_get(a, "max-suppression") != NULL)
            rc = synth__cli_parse_share("--max-suppression", cli_get(a, "max-suppression"), &req.max_suppression, &err);
        if (rc == 0)
            rc = synth_anonymize_csv(&req, &report, &err);
        passed = 1;
        if (rc == 0 && !cli_flag(a, "quiet")) {
            fprintf(stderr, "synth generate: anonymized %s: %.0f rows suppressed\n", path,
                    json_number_value(json_object_get(report, "rows_suppressed")));
            if (json_is_object(json_object_get(report, "check")))
                synth__cli_print_privacy(json_object_get(report, "check"), stderr);
        }
    } else if (rc == 0) {
        synth_csv_options csv;
        synth_csv_options_init(&csv);
        csv.delimiter = delimiter;
        rc = synth_privacy_check_csv(path, &spec, &csv, SYNTH_PROGRESS_NEVER, &report, &passed, &err);
        if (rc == 0 && !cli_flag(a, "quiet"))
            synth__cli_print_privacy(report, stderr);
    }
    json_decref(report);
    synth_free(qi.buf);
    synth_free(sens.buf);
    if (rc)
        return cli_report("generate", &err);
    if (!passed) {
        synth_err_set(&err, SYNTH_GATE, "%s does not meet the requested privacy models (use --enforce to "
                      "anonymize it)", path);
        return cli_report("generate", &err);
    }
    return 0;
}

int synth__cli_validate(const char *cmd, const synth_validate_request *req, const char *json_path,
                        const char *html_path, double fail_under, int fail_on_leak, int quiet);
int synth__cli_parse_score(const char *text, double *out, synth_err *err);
void synth__cli_print_leakage(const json_t *leak, FILE *out);

/* SYNTH_IO naming the file when it cannot be opened for reading. */
static int check_readable(const char *path, synth_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return synth_err_set(err, SYNTH_IO, "%s: %s", path[0] ? path : "''", strerror(errno));
    fclose(f);
    return 0;
}

/* --leak-check SOURCE.csv: look for the source's PII values in the file just written. */
static int leak_check_after_generate(const cli_args *a, const char *source, const char *path, char delimiter)
{
    synth_err err;
    synth_err_clear(&err);
    synth_csv_options csv;
    synth_csv_options_init(&csv);
    csv.delimiter = delimiter;
    synth_pii_leak_options lo;
    synth_pii_leak_options_init(&lo);
    json_t *report = NULL;
    uint64_t leaked = 0;
    int rc = synth_pii_leak_check_csv(source, path, &csv, &lo, &report, &leaked, &err);
    if (rc)
        return cli_report("generate", &err);
    if (!cli_flag(a, "quiet"))
        synth__cli_print_leakage(report, stderr);
    double cells = json_number_value(json_object_get(report, "leaked_cells"));
    json_decref(report);
    if (leaked > 0 && cli_flag(a, "fail-on-leak")) {
        synth_err_set(&err, SYNTH_GATE, "%llu PII values of %s appear in %s (%.0f cells; --fail-on-leak)",
                      (unsigned long long)leaked, source, path, cells);
        return cli_report("generate", &err);
    }
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int read_generate_options(const cli_args *a, const synth_loaded_model *lm, synth_engine_options *eo,
                                 uint64_t *total_rows, synth_progress_mode *pm, synth_err *err)
{
    const char *v;
    uint64_t n;
    int rc;
    *total_rows = lm->schema->rows;
    if ((v = cli_get(a, "rows")) != NULL && (rc = synth_parse_count(v, MAX_ROWS, total_rows, "--rows", err)))
        return rc;
    if ((v = cli_get(a, "seed")) != NULL && (rc = cli_parse_uint("--seed", v, UINT64_MAX, &eo->seed, err)))
        return rc;
    eo->threads = synth_cpu_count();
    if ((v = cli_get(a, "threads")) != NULL) {
        if ((rc = cli_parse_uint("--threads", v, 256, &n, err)))
            return rc;
        if (n < 1)
            return synth_err_set(err, SYNTH_USAGE, "--threads must be at least 1");
        eo->threads = (int)n;
    }
    if ((v = cli_get(a, "chunk-rows")) != NULL) {
        if ((rc = cli_parse_uint("--chunk-rows", v, 1u << 22, &n, err)))
            return rc;
        if (n < 1)
            return synth_err_set(err, SYNTH_USAGE, "--chunk-rows must be at least 1");
        eo->chunk_rows = (size_t)n;
    }
    eo->first_row = 0;
    eo->end_row = *total_rows;
    if ((v = cli_get(a, "shard")) != NULL) {
        uint64_t i, k;
        if ((rc = synth_parse_shard(v, &i, &k, err)))
            return rc;
        eo->first_row = (uint64_t)((__uint128_t)i * *total_rows / k);
        eo->end_row = (uint64_t)((__uint128_t)(i + 1) * *total_rows / k);
    }
    eo->header = !cli_flag(a, "no-header");
    if ((v = cli_get(a, "delimiter")) != NULL && (rc = cli_parse_delimiter(v, &eo->delimiter, err)))
        return rc;
    const char *out = cli_get(a, "output");
    int gzip = cli_flag(a, "gzip") || (out != NULL && synth_output_is_gzip_path(out));
    int level = 6;
    if ((v = cli_get(a, "compression-level")) != NULL) {
        if ((rc = cli_parse_uint("--compression-level", v, 9, &n, err)))
            return rc;
        if (n < 1)
            return synth_err_set(err, SYNTH_USAGE, "--compression-level must be 1..9");
        level = (int)n;
        if (!gzip)
            return synth_err_set(err, SYNTH_USAGE, "--compression-level needs gzip output (FILE.gz or --gzip)");
    }
    eo->gzip_level = gzip ? level : -1;
    return cli_parse_progress(a, pm, err);
}

static int run_generate(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_loaded_model *lm = NULL;
    int rc = synth_model_open(a->positional[0], &lm, &err);
    if (rc)
        return cli_report("generate", &err);
    synth_engine_options eo;
    synth_engine_options_init(&eo);
    uint64_t total;
    synth_progress_mode pm;
    rc = read_generate_options(a, lm, &eo, &total, &pm, &err);
    if (rc) {
        synth_loaded_model_free(lm);
        return cli_report("generate", &err);
    }
    const char *path = cli_get(a, "output");
    if (path == NULL)
        path = "-";
    const char *real = cli_get(a, "validate-against");
    double fail_under = NAN;
    if (real == NULL && (cli_get(a, "holdout") || cli_get(a, "target") || cli_get(a, "json") || cli_get(a, "html") ||
                         cli_get(a, "fail-under"))) {
        synth_loaded_model_free(lm);
        return cli_usage_error(&synth_cmd_generate, "--holdout, --target, --json, --html and --fail-under need "
                                                    "--validate-against REAL.csv");
    }
    const char *leak_src = cli_get(a, "leak-check");
    if (cli_flag(a, "fail-on-leak") && leak_src == NULL && real == NULL) {
        synth_loaded_model_free(lm);
        return cli_usage_error(&synth_cmd_generate, "--fail-on-leak needs --leak-check SOURCE.csv or "
                                                    "--validate-against REAL.csv");
    }
    if (leak_src != NULL && (strcmp(path, "-") == 0 || eo.gzip_level >= 0)) {
        synth_loaded_model_free(lm);
        return cli_usage_error(&synth_cmd_generate, "--leak-check needs a plain CSV output file (-o FILE.csv)");
    }
    /* Files read after generating are checked first, so a typo does not cost a whole run. */
    const char *read_later[] = {leak_src, real, cli_get(a, "holdout")};
    for (size_t i = 0; i < sizeof read_later / sizeof read_later[0]; i++)
        if (read_later[i] != NULL && (rc = check_readable(read_later[i], &err)) != 0) {
            synth_loaded_model_free(lm);
            return cli_report("generate", &err);
        }
    int privacy = cli_get(a, "qi") != NULL;
    if (!privacy && (cli_get(a, "k") || cli_get(a, "l") || cli_get(a, "t") || cli_get(a, "sensitive") ||
                     cli_flag(a, "enforce") || cli_get(a, "hierarchy") || cli_get(a, "max-suppression"))) {
        synth_loaded_model_free(lm);
        return cli_usage_error(&synth_cmd_generate, "--k, --l, --t, --sensitive and --enforce need --qi COLS");
    }
    if (privacy && (strcmp(path, "-") == 0 || eo.gzip_level >= 0)) {
        synth_loaded_model_free(lm);
        return cli_usage_error(&synth_cmd_generate, "--qi needs a plain CSV output file (-o FILE.csv)");
    }
    if (real != NULL && (strcmp(path, "-") == 0 || eo.gzip_level >= 0)) {
        synth_loaded_model_free(lm);
        return cli_usage_error(&synth_cmd_generate, "--validate-against needs a plain CSV output file (-o FILE.csv)");
    }
    if (real != NULL && cli_get(a, "fail-under") != NULL &&
        synth__cli_parse_score(cli_get(a, "fail-under"), &fail_under, &err)) {
        synth_loaded_model_free(lm);
        return cli_report("generate", &err);
    }
    if (strcmp(path, "-") == 0 && eo.gzip_level >= 0 && isatty(STDOUT_FILENO)) {
        synth_loaded_model_free(lm);
        return cli_usage_error(&synth_cmd_generate, "refusing to write gzip data to a terminal");
    }
    synth_output *out = NULL;
    if ((rc = synth_output_open(&out, path, &err)) != 0) {
        synth_loaded_model_free(lm);
        return cli_report("generate", &err);
    }
    double t0 = now_seconds();
    eo.progress = synth_progress_new("generating", "rows", eo.end_row - eo.first_row, pm, stderr);
    synth_engine_stats stats;
    rc = synth_engine_run(lm->gen, lm->model, lm->schema, &eo, out, &stats, &err);
    synth_progress_finish(eo.progress);
    if (rc == 0) {
        rc = synth_output_commit(out, &err);
    } else {
        synth_output_abort(out);
    }
    double secs = now_seconds() - t0;
    synth_loaded_model_free(lm);
    if (rc)
        return cli_report("generate", &err);
    if (!cli_flag(a, "quiet") && strcmp(path, "-") != 0) {
        char rows_s[32], bytes_s[32], rate_s[32], secs_s[32];
        synth_format_count(rows_s, sizeof rows_s, (double)stats.rows);
        synth_format_count(bytes_s, sizeof bytes_s, (double)stats.bytes);
        synth_format_count(rate_s, sizeof rate_s, secs > 0 ? (double)stats.rows / secs : 0);
        synth_format_duration(secs_s, sizeof secs_s, secs);
        fprintf(stderr, "synth generate: wrote %s rows (%sB) to %s in %s (%s rows/s, %d threads)\n", rows_s,
                bytes_s, path, secs_s, rate_s, eo.threads);
    }
    if (privacy) {
        int prc = privacy_after_generate(a, path, eo.delimiter);
        if (prc != 0)
            return prc;
    }
    if (leak_src != NULL) {
        int lrc = leak_check_after_generate(a, leak_src, path, eo.delimiter);
        if (lrc != 0)
            return lrc;
    }
    if (real == NULL)
        return 0;
    synth_validate_request req;
    synth_validate_request_init(&req);
    req.real_path = real;
    req.synthetic_path = path;
    req.holdout_path = cli_get(a, "holdout");
    req.target = cli_get(a, "target");
    req.csv.delimiter = eo.delimiter;
    req.progress = pm;
    /* the same source was just checked for leaks: do not scan both files again */
    req.pii_leakage = leak_src == NULL || strcmp(leak_src, real) != 0;
    return synth__cli_validate("generate", &req, cli_get(a, "json"), cli_get(a, "html"), fail_under,
                               cli_flag(a, "fail-on-leak") && req.pii_leakage, cli_flag(a, "quiet"));
}

const cli_command synth_cmd_generate = {
    .name = "generate",
    .summary = "write synthetic rows from a model file as CSV",
    .usage = "synth generate MODEL.synth [--rows N] [-o FILE] [options]",
    .description =
        "Samples rows in parallel and streams them out in constant memory.  Row i depends only on\n"
        "(model, seed, i): the output is byte-identical for any --threads and --chunk-rows, and\n"
        "the --shard parts 0..K-1 of a run, concatenated without their headers, are exactly the\n"
        "single-machine output.  A file is written under a temporary name and renamed only when\n"
        "complete; a failed or interrupted run leaves nothing behind.",
    .options = generate_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_generate,
};
