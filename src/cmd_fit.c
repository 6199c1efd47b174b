/* cmd_fit.c -- `synth fit`: learn a model from a CSV file and write the model file. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "commands.h"
#include "pipeline.h"
#include "progress.h"

int synth__cli_read_options(const cli_args *a, synth_infer_options *opt, synth_err *err);

static const cli_option fit_options[] = {
    {"output", 'o', "FILE", 0, "model file to write (default: INPUT's name with .synth, here)"},
    {"generator", 'g', "NAME", 0, "generator to fit (default: copula; see below)"},
    {"param", 'p', "KEY=VALUE", 1, "generator parameter (repeatable; see below)"},
    {"schema", 0, "FILE", 0, "override inferred column types/parameters (JSON as 'synth schema' prints)"},
    {"seed", 's', "N", 0, "seed for the fit's random choices (default 0)"},
    {"sample-rows", 0, "N", 0, "fit on a uniform reservoir sample of at most N rows (default 200000)"},
    {"delimiter", 'd', "CHAR", 0, "field delimiter of the input (default ','; 'tab' for tabs)"},
    {"max-categories", 0, "N", 0, "more distinct values than N make a column text or id (default 5000)"},
    {"skip-bad-rows", 0, NULL, 0, "skip and count ragged or invalid-UTF-8 rows instead of failing"},
    {"progress", 0, "WHEN", 0, "progress on stderr: auto (default, when a terminal), always, never"},
    {"epochs", 0, "N", 0, "ctgan: training epochs (same as --param epochs=N; default 300)"},
    {"checkpoint-every", 0, "N", 0, "ctgan: write MODEL.ckpt every N epochs (default 10; 0 = never)"},
    {"resume", 0, "CKPT", 0, "ctgan: continue training from a checkpoint (MODEL.ckpt)"},
    {"device", 0, "DEV", 0, "ctgan: train on cpu (default) or cuda (needs a build made by make cuda)"},
    {"threads", 't', "N", 0, "ctgan: BLAS threads for training (default: OpenBLAS's; 1 = reproducible)"},
    {"quiet", 'q', NULL, 0, "no progress and no summary"},
    {NULL, 0, NULL, 0, NULL},
};

/* "dir/data.csv" -> "data.synth" */
static char *default_model_path(const char *input)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot != NULL && dot != base)
        len = (size_t)(dot - base);
    char *out = synth_malloc(len + 7);
    if (out != NULL) {
        memcpy(out, base, len);
        memcpy(out + len, ".synth", 7);
    }
    return out;
}

static void print_epoch(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "synth fit: %s\n", line);
}

/* The training options of long-running generators (ctgan): --epochs becomes --param epochs=N
 * (so it is recorded with the other parameters); *extra and *params are new (caller frees). */
static int read_training_options(const cli_args *a, synth_fit_request *req, char **extra, const char ***params,
                                 char **ckpt, synth_err *err)
{
    const char *v;
    uint64_t n;
    int rc;
    *extra = NULL;
    *params = NULL;
    *ckpt = NULL;
    if ((v = cli_get(a, "epochs")) != NULL) {
        if ((rc = cli_parse_uint("--epochs", v, 1000000, &n, err)))
            return rc;
        if (n == 0)
            return synth_err_set(err, SYNTH_USAGE, "--epochs must be at least 1");
        *extra = synth_malloc(32);
        *params = synth_calloc(req->fit.nparams + 1, sizeof **params);
        if (*extra == NULL || *params == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        snprintf(*extra, 32, "epochs=%llu", (unsigned long long)n);
        for (size_t i = 0; i < req->fit.nparams; i++)
            (*params)[i] = req->fit.params[i];
        (*params)[req->fit.nparams] = *extra;
        req->fit.params = *params;
        req->fit.nparams++;
    }
    req->fit.checkpoint_every = 10;
    if ((v = cli_get(a, "checkpoint-every")) != NULL) {
        if ((rc = cli_parse_uint("--checkpoint-every", v, 1000000, &n, err)))
            return rc;
        req->fit.checkpoint_every = (unsigned)n;
    }
    if ((v = cli_get(a, "threads")) != NULL) {
        if ((rc = cli_parse_uint("--threads", v, 256, &n, err)))
            return rc;
        if (n == 0)
            return synth_err_set(err, SYNTH_USAGE, "--threads must be at least 1");
        req->fit.threads = (int)n;
    }
    if ((v = cli_get(a, "device")) != NULL) {
        if (strcmp(v, "cpu") != 0 && strcmp(v, "cuda") != 0)
            return synth_err_set(err, SYNTH_USAGE, "--device %s: expected cpu or cuda", v);
        req->fit.device = v;
    }
    req->fit.resume_path = cli_get(a, "resume");
    if (req->fit.checkpoint_every > 0) {
        size_t len = strlen(req->output);
        if ((*ckpt = synth_malloc(len + 6)) == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        memcpy(*ckpt, req->output, len);
        memcpy(*ckpt + len, ".ckpt", 6);
        req->fit.checkpoint_path = *ckpt;
    }
    if (!cli_flag(a, "quiet"))
        req->fit.log = print_epoch;
    return 0;
}

static int run_fit(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_fit_request req;
    synth_fit_request_init(&req);
    req.input = a->positional[0];
    int rc = synth__cli_read_options(a, &req.infer, &err);
    if (rc)
        return cli_report("fit", &err);
    req.fit.progress = req.infer.progress;
    const char *v;
    if ((v = cli_get(a, "seed")) != NULL) {
        if ((rc = cli_parse_uint("--seed", v, UINT64_MAX, &req.fit.seed, &err)))
            return cli_report("fit", &err);
        req.infer.seed = req.fit.seed;
    }
    if ((v = cli_get(a, "generator")) != NULL)
        req.generator = v;
    req.schema_path = cli_get(a, "schema");
    req.fit.params = cli_get_all(a, "param", &req.fit.nparams);
    char *owned_output = NULL;
    req.output = cli_get(a, "output");
    if (req.output == NULL) {
        if (strcmp(req.input, "-") == 0)
            return cli_usage_error(&synth_cmd_fit, "reading standard input needs -o MODEL");
        req.output = owned_output = default_model_path(req.input);
        if (owned_output == NULL) {
            synth_err_set(&err, SYNTH_NOMEM, "out of memory");
            return cli_report("fit", &err);
        }
    }
    if (strcmp(req.output, "-") == 0) {
        synth_free(owned_output);
        return cli_usage_error(&synth_cmd_fit, "a model file cannot be written to standard output");
    }
    char *extra = NULL, *ckpt = NULL;
    const char **params = NULL;
    synth_fit_result res;
    rc = read_training_options(a, &req, &extra, &params, &ckpt, &err);
    if (rc == 0)
        rc = synth_fit_csv(&req, &res, &err);
    if (rc == 0 && !cli_flag(a, "quiet")) {
        char secs[32];
        synth_format_duration(secs, sizeof secs, res.seconds);
        fprintf(stderr, "synth fit: %s model of %llu rows x %zu columns -> %s in %s", req.generator,
                (unsigned long long)res.rows, res.ncols, req.output, secs);
        if (res.sample_rows < res.rows)
            fprintf(stderr, " (fitted on a sample of %llu rows)", (unsigned long long)res.sample_rows);
        if (res.skipped_rows > 0)
            fprintf(stderr, " (%llu bad rows skipped)", (unsigned long long)res.skipped_rows);
        fputc('\n', stderr);
    }
    synth_free(owned_output);
    synth_free(extra);
    synth_free(ckpt);
    synth_free(params);
    return rc ? cli_report("fit", &err) : 0;
}

static void fit_help_extra(FILE *out)
{
    fprintf(out, "\nGenerators and their --param keys:\n");
    for (const synth_generator *const *g = synth_generator_list(); *g != NULL; g++) {
        fprintf(out, "  %s: %s\n", (*g)->name, (*g)->description);
        for (const synth_param_desc *p = (*g)->params; p->name != NULL; p++)
            fprintf(out, "    %-22s %s (default %s)\n", p->name, p->help, p->default_value);
    }
}

const cli_command synth_cmd_fit = {
    .name = "fit",
    .summary = "learn a model from a CSV file and write it to a .synth model file",
    .usage = "synth fit INPUT.csv [-o MODEL.synth] [options]",
    .description =
        "Reads INPUT.csv once in bounded memory (schema inference plus a uniform reservoir sample;\n"
        "'-' reads standard input), fits the generator on the sample and writes a model file (a\n"
        "SQLite database) under a temporary name, renamed into place only when complete.",
    .options = fit_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_fit,
    .help_extra = fit_help_extra,
};
