/* jobs.h -- the job worker pool: fit, generate and validate jobs run from the store's queue.
 *
 * N worker threads claim queued jobs (synth_store_job_claim) and run them with the same library
 * the CLI uses: fit = synth_fit_csv (src/pipeline.h) on the dataset's file, writing
 * models/<md_id>.synth and a models row; generate = synth_engine_run (src/engine.h) in slices of
 * rows into outputs/<job_id>.csv (temporary name, renamed when complete); validate =
 * synth_validate (validation/validate.h) writing outputs/<job_id>.json and .html.  Progress goes
 * to the store; a cancel request (DELETE) is honoured between slices; failures are recorded with
 * a reason.  At start the pool recovers jobs a crash left `running` (requeued, or failed after 3
 * attempts) and removes the temporary files a crash left (synth_store_sweep_temp).
 * synth_jobs_drain (SIGTERM) stops claiming, lets running jobs finish for a grace
 * period, then stops them and requeues them.
 *
 * Job parameters (params_json, a JSON object; the server builds it from the request body):
 *   fit:      {"dataset_id":"ds_..", "generator":"copula", "seed":N, "params":{"key":"value",..}}
 *             result {"model_id":"md_.."}; the model id is "md_" + the job id's hex digits, so a
 *             re-run after a crash rewrites the same model.
 *   generate: {"model_id":"md_..", "rows":N, "seed":S}
 *             result {"rows":N, "bytes":B, "format":"csv"}; bytes equal `synth generate --rows N
 *             --seed S` on the same model file.
 *   validate: {"dataset_id":"ds_..", "job_id":"job_.." (a succeeded generate job),
 *              "holdout_dataset_id":"ds_.." (optional), "target":"column" (optional)}
 *             result {"overall","column_shapes","column_pair_trends"} (numbers or null); the full
 *             report is outputs/<job_id>.json and outputs/<job_id>.html.
 *
 * Thread-safety: synth_jobs_notify may be called from any thread; start/drain/free from one. */
#ifndef SYNTH_API_JOBS_H
#define SYNTH_API_JOBS_H

#include <stdint.h>

#include "err.h"
#include "store.h"

#define SYNTH_JOBS_MAX_ATTEMPTS 3
#define SYNTH_JOBS_MAX_ROWS 1000000000000ULL   /* generate jobs: at most 1e12 rows */

typedef struct synth_jobs_options {
    int workers;              /* worker threads (default 2, 1..64) */
    int engine_threads;       /* threads per generate job (default 1 ... cores / workers) */
    uint64_t slice_rows;      /* rows per engine slice between progress/cancel checks (default 262144) */
    double poll_s;            /* idle workers re-check the queue this often even without notify (default 1) */
    /* Optional hook, called from a worker thread after each job reaches a terminal state (the job
     * as stored) and with rows > 0 for rows written by a generate job (for synth_rows_generated_total). */
    void (*on_finish)(void *ctx, const synth_job *job, uint64_t rows);
    void *ctx;
} synth_jobs_options;

void synth_jobs_options_init(synth_jobs_options *opt);

typedef struct synth_jobs synth_jobs;

/* Recover crashed jobs (synth_store_job_recover with SYNTH_JOBS_MAX_ATTEMPTS), sweep temporary
 * files, then start the workers.  The store is borrowed and must outlive the pool.  SYNTH_USAGE for bad options,
 * SYNTH_NOMEM, SYNTH_INTERNAL (thread creation), or the store's errors. */
int synth_jobs_start(synth_store *store, const synth_jobs_options *opt, synth_jobs **out, synth_err *err);

/* A job was queued (or cancelled): wake an idle worker.  Cheap; NULL is a no-op. */
void synth_jobs_notify(synth_jobs *jobs);

/* Stop claiming new jobs; wait up to grace_s seconds for running jobs to finish; ask the rest to
 * stop (generate jobs stop between slices) and put them back to `queued`; join the workers.  A fit
 * or validate job cannot be stopped half-way: the drain waits for it and records its outcome.
 * Returns the number of jobs requeued.  Idempotent. */
int synth_jobs_drain(synth_jobs *jobs, double grace_s);

/* Drain with grace 0 if not yet drained, and free.  NULL is a no-op. */
void synth_jobs_free(synth_jobs *jobs);

/* Check a job request before queueing it (the server calls this for POST /v1/models, /samples,
 * /validations): params must be an object with the fields above, of the right types and ranges,
 * and every referenced dataset / model / job must exist and belong to owner (NULL = any) -- a
 * validate job's job_id must be a succeeded generate job.  0; SYNTH_BAD_INPUT (422) with a message
 * naming the field; SYNTH_STORE_NOT_FOUND (404) naming the missing object; store errors. */
int synth_jobs_check_params(synth_store *store, synth_job_kind kind, const char *params_json,
                            const char *owner, synth_err *err);

/* Run one job synchronously in the calling thread, exactly as a worker would (claimed job in,
 * terminal state recorded in the store).  For tests and tools.  Returns 0 when the job reached a
 * terminal state (look at the store for which one), negative on store failure. */
int synth_jobs_run_one(synth_store *store, const synth_jobs_options *opt, const synth_job *job, synth_err *err);

#endif
