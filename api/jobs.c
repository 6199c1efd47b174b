/* jobs.c -- the job worker pool (see jobs.h).  Skeleton: being implemented. */
#include <string.h>

#include "jobs.h"

#define NOT_YET(err) synth_err_set((err), SYNTH_INTERNAL, "jobs: not implemented yet")

void synth_jobs_options_init(synth_jobs_options *opt) { memset(opt, 0, sizeof *opt); opt->workers = 2; }
int synth_jobs_start(synth_store *store, const synth_jobs_options *opt, synth_jobs **out, synth_err *err)
{ (void)store; (void)opt; *out = NULL; return NOT_YET(err); }
void synth_jobs_notify(synth_jobs *jobs) { (void)jobs; }
int synth_jobs_drain(synth_jobs *jobs, double grace_s) { (void)jobs; (void)grace_s; return 0; }
void synth_jobs_free(synth_jobs *jobs) { (void)jobs; }
int synth_jobs_check_params(synth_store *store, synth_job_kind kind, const char *params_json,
                            const char *owner, synth_err *err)
{ (void)store; (void)kind; (void)params_json; (void)owner; return NOT_YET(err); }
int synth_jobs_run_one(synth_store *store, const synth_jobs_options *opt, const synth_job *job, synth_err *err)
{ (void)store; (void)opt; (void)job; return NOT_YET(err); }
