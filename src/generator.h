/* generator.h -- the one interface every generator implements (a driver table).
 *
 * The CLI, the server and batch jobs reach generators only through synth_generator: fit a model
 * from a schema and a reservoir sample, sample any rows [first_row, first_row + n) as a pure
 * function of (model, seed, row index), save to and load from a model file, free.  The registry
 * is a const table (synth_generator_find).  A model is immutable after fit/load and may be
 * sampled from many threads at once. */
#ifndef SYNTH_GENERATOR_H
#define SYNTH_GENERATOR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "chunk.h"
#include "err.h"
#include "infer.h"
#include "model_file.h"
#include "schema.h"

typedef struct synth_model synth_model;   /* generator-specific */

typedef struct synth_param_desc {
    const char *name;
    const char *default_value;
    const char *help;
} synth_param_desc;

typedef struct synth_fit_options {
    uint64_t seed;
    const char *const *params;   /* "key=value" strings (--param), validated by the generator */
    size_t nparams;
    synth_progress_mode progress;
    /* For generators that train for long (ctgan); the others ignore these.  Zero/NULL = defaults. */
    const char *device;               /* "cpu" (default) or "cuda" */
    int threads;                      /* BLAS threads while training (0 = the library's default) */
    const char *checkpoint_path;      /* where to write checkpoints (NULL = none) */
    unsigned checkpoint_every;        /* epochs between checkpoints (0 = generator default) */
    const char *resume_path;          /* continue training from this checkpoint (NULL = fresh) */
    /* One line of training progress per epoch (NULL = silent); called on the fitting thread. */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
} synth_fit_options;

typedef struct synth_generator {
    const char *name;
    const char *description;
    const synth_param_desc *params;   /* terminated by a {NULL} entry */

    /* Learn a model.  The schema is borrowed and must outlive the model. */
    int (*fit)(const synth_schema *schema, const synth_sample_table *sample,
               const synth_fit_options *opt, synth_model **out, synth_err *err);
    /* Fill chunk rows [0, chunk->nrows) with rows chunk->first_row + i.  Thread-safe. */
    int (*sample)(const synth_model *model, uint64_t seed, synth_chunk *chunk, synth_err *err);
    int (*save)(const synth_model *model, synth_model_file *mf, synth_err *err);
    /* The schema is borrowed and must outlive the model. */
    int (*load)(synth_model_file *mf, const synth_schema *schema, synth_model **out, synth_err *err);
    void (*free)(synth_model *model);
    /* Parameters and learned facts as JSON for `synth inspect` (new reference; NULL = none). */
    json_t *(*describe)(const synth_model *model);
} synth_generator;

/* NULL when no generator has that name. */
const synth_generator *synth_generator_find(const char *name);
/* The registry, NULL-terminated. */
const synth_generator *const *synth_generator_list(void);

/* Look up "key" among --param strings: returns the value text or NULL. */
const char *synth_param_get(const synth_fit_options *opt, const char *key);
/* Reject any --param whose key is not in `known` (SYNTH_USAGE naming the key and the generator). */
int synth_params_check(const synth_fit_options *opt, const synth_generator *gen, synth_err *err);

#endif
