/* store.c -- the REST server's SQLite store (see store.h).  Skeleton: being implemented. */
#include <stdio.h>
#include <string.h>

#include "store.h"

#define NOT_YET(err) synth_err_set((err), SYNTH_INTERNAL, "store: not implemented yet")

int synth_store_open(const char *data_dir, synth_store **out, synth_err *err)
{
    (void)data_dir;
    *out = NULL;
    return NOT_YET(err);
}
void synth_store_close(synth_store *s) { (void)s; }
const char *synth_store_dir(const synth_store *s) { (void)s; return ""; }
int synth_store_ping(synth_store *s, synth_err *err) { (void)s; return NOT_YET(err); }
int synth_store_schema_version(synth_store *s, int *version, synth_err *err)
{ (void)s; *version = 0; return NOT_YET(err); }
int synth_store_new_id(const char *prefix, char out[SYNTH_ID_MAX], synth_err *err)
{ (void)prefix; out[0] = 0; return NOT_YET(err); }
int synth_store_id_valid(const char *id, const char *prefix) { (void)id; (void)prefix; return 0; }
int synth_store_path(const synth_store *s, synth_store_file kind, const char *id, char *buf, size_t n,
                     synth_err *err)
{ (void)s; (void)kind; (void)id; (void)buf; (void)n; return NOT_YET(err); }
int synth_store_dataset_insert(synth_store *s, synth_dataset *ds, synth_err *err)
{ (void)s; (void)ds; return NOT_YET(err); }
int synth_store_dataset_get(synth_store *s, const char *id, const char *owner, synth_dataset *out, synth_err *err)
{ (void)s; (void)id; (void)owner; (void)out; return NOT_YET(err); }
int synth_store_dataset_list(synth_store *s, const char *owner, size_t limit, synth_dataset **out, size_t *n,
                             synth_err *err)
{ (void)s; (void)owner; (void)limit; *out = NULL; *n = 0; return NOT_YET(err); }
int synth_store_dataset_delete(synth_store *s, const char *id, const char *owner, synth_err *err)
{ (void)s; (void)id; (void)owner; return NOT_YET(err); }
json_t *synth_dataset_json(const synth_dataset *ds) { (void)ds; return NULL; }
int synth_store_model_insert(synth_store *s, synth_model_rec *m, synth_err *err)
{ (void)s; (void)m; return NOT_YET(err); }
int synth_store_model_get(synth_store *s, const char *id, const char *owner, synth_model_rec *out, synth_err *err)
{ (void)s; (void)id; (void)owner; (void)out; return NOT_YET(err); }
int synth_store_model_list(synth_store *s, const char *owner, size_t limit, synth_model_rec **out, size_t *n,
                           synth_err *err)
{ (void)s; (void)owner; (void)limit; *out = NULL; *n = 0; return NOT_YET(err); }
int synth_store_model_delete(synth_store *s, const char *id, const char *owner, synth_err *err)
{ (void)s; (void)id; (void)owner; return NOT_YET(err); }
json_t *synth_model_json(const synth_model_rec *m) { (void)m; return NULL; }
const char *synth_job_kind_name(synth_job_kind k) { (void)k; return "?"; }
const char *synth_job_state_name(synth_job_state st) { (void)st; return "?"; }
int synth_job_kind_parse(const char *name) { (void)name; return -1; }
int synth_job_state_parse(const char *name) { (void)name; return -1; }
int synth_store_job_create(synth_store *s, synth_job_kind kind, const char *params_json, const char *key_id,
                           const char *idem_key, unsigned max_active, synth_job *out, int *existed,
                           synth_err *err)
{
    (void)s; (void)kind; (void)params_json; (void)key_id; (void)idem_key; (void)max_active; (void)out;
    (void)existed;
    return NOT_YET(err);
}
int synth_store_job_get(synth_store *s, const char *id, const char *owner, synth_job *out, synth_err *err)
{ (void)s; (void)id; (void)owner; (void)out; return NOT_YET(err); }
int synth_store_job_list(synth_store *s, const char *owner, int state_filter, size_t limit, synth_job **out,
                         size_t *n, synth_err *err)
{ (void)s; (void)owner; (void)state_filter; (void)limit; *out = NULL; *n = 0; return NOT_YET(err); }
int synth_store_job_cancel(synth_store *s, const char *id, const char *owner, synth_job *out, synth_err *err)
{ (void)s; (void)id; (void)owner; (void)out; return NOT_YET(err); }
int synth_store_job_counts(synth_store *s, uint64_t counts[SYNTH_JOB_NSTATES], synth_err *err)
{ (void)s; memset(counts, 0, sizeof(uint64_t) * SYNTH_JOB_NSTATES); return NOT_YET(err); }
int synth_store_job_active(synth_store *s, const char *key_id, uint64_t *n, synth_err *err)
{ (void)s; (void)key_id; *n = 0; return NOT_YET(err); }
int synth_store_job_claim(synth_store *s, synth_job *out, synth_err *err)
{ (void)s; (void)out; return NOT_YET(err); }
int synth_store_job_progress(synth_store *s, const char *id, double progress, synth_err *err)
{ (void)s; (void)id; (void)progress; return NOT_YET(err); }
int synth_store_job_cancel_requested(synth_store *s, const char *id) { (void)s; (void)id; return 0; }
int synth_store_job_finish(synth_store *s, const char *id, synth_job_state state, const char *result_json,
                           const char *error, synth_err *err)
{ (void)s; (void)id; (void)state; (void)result_json; (void)error; return NOT_YET(err); }
int synth_store_job_requeue(synth_store *s, const char *id, synth_err *err)
{ (void)s; (void)id; return NOT_YET(err); }
int synth_store_job_recover(synth_store *s, int max_attempts, uint64_t *requeued, uint64_t *failed, synth_err *err)
{ (void)s; (void)max_attempts; (void)requeued; (void)failed; return NOT_YET(err); }
json_t *synth_job_json(const synth_job *job) { (void)job; return NULL; }
int synth_store_key_insert(synth_store *s, const synth_key_info *k, const char *hash_hex, synth_err *err)
{ (void)s; (void)k; (void)hash_hex; return NOT_YET(err); }
int synth_store_key_by_prefix(synth_store *s, const char *prefix, synth_key_info *out, char hash_hex[65],
                              synth_err *err)
{ (void)s; (void)prefix; (void)out; (void)hash_hex; return NOT_YET(err); }
int synth_store_key_get(synth_store *s, const char *id_or_prefix, synth_key_info *out, synth_err *err)
{ (void)s; (void)id_or_prefix; (void)out; return NOT_YET(err); }
int synth_store_key_list(synth_store *s, synth_key_info **out, size_t *n, synth_err *err)
{ (void)s; *out = NULL; *n = 0; return NOT_YET(err); }
int synth_store_key_revoke(synth_store *s, const char *id_or_prefix, synth_key_info *out, synth_err *err)
{ (void)s; (void)id_or_prefix; (void)out; return NOT_YET(err); }
int synth_store_audit(synth_store *s, const char *key_id, const char *action, const char *object,
                      uint64_t bytes, const char *detail, synth_err *err)
{ (void)s; (void)key_id; (void)action; (void)object; (void)bytes; (void)detail; return NOT_YET(err); }
int synth_store_audit_count(synth_store *s, uint64_t *n, synth_err *err)
{ (void)s; *n = 0; return NOT_YET(err); }
void synth_store_format_time(int64_t t, char *buf, size_t n) { (void)t; if (n) buf[0] = 0; }
