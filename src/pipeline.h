/* pipeline.h -- the library calls the CLI and the server share: fit a CSV into a model file, and
 * open a model file into a ready-to-sample generator.
 *
 * synth_fit_csv: one streaming pass (schema inference + reservoir sample, infer.h), the user's
 * schema overrides, the generator's fit, and the model file written under a temporary name and
 * renamed when complete.  synth_model_open: reads and checks the file (format version, schema,
 * generator).  The caller owns the results (free with synth_loaded_model_free).  Not thread-safe per
 * object; independent calls may run in parallel. */
#ifndef SYNTH_PIPELINE_H
#define SYNTH_PIPELINE_H

#include <stdint.h>

#include "err.h"
#include "generator.h"
#include "infer.h"
#include "schema.h"

typedef struct synth_fit_request {
    const char *input;            /* CSV path or "-" */
    const char *output;           /* model path */
    const char *generator;        /* default "copula" */
    const char *schema_path;      /* --schema overrides, or NULL */
    synth_infer_options infer;
    synth_fit_options fit;
} synth_fit_request;

void synth_fit_request_init(synth_fit_request *req);

typedef struct synth_fit_result {
    uint64_t rows;                /* data rows read */
    uint64_t skipped_rows;        /* bad rows skipped (--skip-bad-rows) */
    uint64_t sample_rows;         /* rows the model was fitted on (reservoir) */
    size_t ncols;
    double seconds;
} synth_fit_result;

int synth_fit_csv(const synth_fit_request *req, synth_fit_result *result, synth_err *err);

/* Infer a schema only (for `synth schema`), applying overrides when schema_path is not NULL. */
int synth_schema_csv(const char *input, const char *schema_path, const synth_infer_options *opt,
                     synth_schema **out, synth_err *err);

typedef struct synth_loaded_model {
    synth_schema *schema;
    const synth_generator *gen;
    synth_model *model;
    json_t *info;                 /* metadata for inspect: version, created_at, training facts */
} synth_loaded_model;

int synth_model_open(const char *path, synth_loaded_model **out, synth_err *err);
void synth_loaded_model_free(synth_loaded_model *lm);

#endif
