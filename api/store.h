/* store.h -- the REST server's store: one SQLite database plus server-named files under a data dir.
 *
 * Layout of <data-dir> (created 0700): store.db (WAL mode, busy timeout 5 s, numbered migrations
 * in table schema_migrations), datasets/<ds_id>.csv, models/<md_id>.synth, outputs/<job_id>.csv
 * (.json / .html for validation reports), tmp/ (uploads in progress).  Every id is made here from
 * the OpenSSL CSPRNG ("ds_", "md_", "job_", "key_" + 16 lowercase hex digits) and every file path
 * comes from synth_store_path, which accepts only well-formed ids: no user-controlled text ever
 * reaches the filesystem.  All SQL uses prepared statements with bound parameters.
 *
 * Tables: api_keys, datasets, models, jobs, schedules (created for the batch-job issue, unused
 * here), audit_log.  Timestamps are Unix seconds (int64, UTC); 0 means "not yet".
 *
 * Return values: 0 on success; the positive outcomes SYNTH_STORE_NOT_FOUND, SYNTH_STORE_CONFLICT
 * and SYNTH_STORE_LIMIT where a function documents them (err then holds a message naming the
 * object, suitable for a problem+json "detail"); a negative synth_code on failure (SYNTH_IO for
 * SQLite/file errors, SYNTH_BAD_INPUT for bad field values, SYNTH_NOMEM).
 *
 * Ownership filters: functions taking `owner` (a key id) act only on that key's objects and answer
 * SYNTH_STORE_NOT_FOUND for anybody else's; owner NULL means any key (admin).
 *
 * Thread-safety: a synth_store may be shared by any number of threads; each call takes the
 * store's mutex around its (single) SQLite connection, so calls are atomic with respect to each
 * other.  Record structs are plain values (fixed-size strings) the caller owns; lists are arrays
 * freed with synth_free. */
#ifndef SYNTH_API_STORE_H
#define SYNTH_API_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

/* Positive outcomes (not failures; see above). */
#define SYNTH_STORE_NOT_FOUND 1   /* no such object (or not the owner's) */
#define SYNTH_STORE_CONFLICT  2   /* 409: idempotency key reused with another request; object in use */
#define SYNTH_STORE_LIMIT     3   /* 429: the key already has max_active queued/running jobs */

#define SYNTH_STORE_SCHEMA_VERSION 1   /* the newest migration this build knows */

#define SYNTH_ID_MAX 32            /* "job_" + 16 hex + NUL fits */
#define SYNTH_NAME_MAX 256         /* dataset and key names: 1..255 bytes */
#define SYNTH_GENERATOR_MAX 32
#define SYNTH_JSON_MAX 4096        /* params_json / result_json (compact JSON) */
#define SYNTH_IDEM_MAX 256         /* Idempotency-Key header value: 1..255 bytes */
#define SYNTH_KEY_PREFIX_LEN 8

typedef struct synth_store synth_store;

/* Open (creating when missing) the store in data_dir: mkdir -p 0700 of the dir and its subdirs, open
 * store.db, WAL, busy timeout, run pending migrations.  Idempotent.  A database whose
 * schema_migrations holds a version newer than SYNTH_STORE_SCHEMA_VERSION is refused (SYNTH_IO,
 * message names both versions).  On success *out is new (synth_store_close). */
int synth_store_open(const char *data_dir, synth_store **out, synth_err *err);

/* Close the database and free.  NULL is a no-op.  No other thread may be using the store. */
void synth_store_close(synth_store *s);

/* The data directory as given to open (borrowed; valid until close). */
const char *synth_store_dir(const synth_store *s);

/* Readiness: a trivial query on the database.  0 or SYNTH_IO. */
int synth_store_ping(synth_store *s, synth_err *err);

/* Schema version recorded in the database (for tests and diagnostics). */
int synth_store_schema_version(synth_store *s, int *version, synth_err *err);

/* ---- ids and paths ---------------------------------------------------------------------- */

/* A new id: prefix ("ds_", "md_", "job_", "key_") + 16 lowercase hex digits from RAND_bytes.
 * out must hold SYNTH_ID_MAX bytes.  SYNTH_INTERNAL if the CSPRNG fails. */
int synth_store_new_id(const char *prefix, char out[SYNTH_ID_MAX], synth_err *err);

/* 1 when id is exactly prefix + 16 lowercase hex digits, else 0.  Use it on every id taken from
 * a URL or a JSON body before anything else (a malformed id is simply "not found"). */
int synth_store_id_valid(const char *id, const char *prefix);

typedef enum synth_store_file {
    SYNTH_FILE_DATASET,        /* datasets/<ds_id>.csv */
    SYNTH_FILE_MODEL,          /* models/<md_id>.synth */
    SYNTH_FILE_OUTPUT_CSV,     /* outputs/<job_id>.csv   (generate jobs) */
    SYNTH_FILE_OUTPUT_JSON,    /* outputs/<job_id>.json  (validate jobs: full report) */
    SYNTH_FILE_OUTPUT_HTML,    /* outputs/<job_id>.html  (validate jobs: HTML report) */
    SYNTH_FILE_TMP             /* tmp/<id>.part: any valid id, e.g. an upload in progress */
} synth_store_file;

/* Write the path of a server-named file into buf (size n).  The id must match the kind's prefix
 * (ds_ / md_ / job_; for SYNTH_FILE_TMP any of those or key_ / up_), else SYNTH_BAD_INPUT; SYNTH_INTERNAL when
 * n is too small.  Never touches the filesystem. */
int synth_store_path(const synth_store *s, synth_store_file kind, const char *id, char *buf, size_t n,
                     synth_err *err);

/* Remove what a crash can leave behind: hidden temporary files (".<name>.tmp-XXXXXX", see
 * src/output.h) in datasets/, models/ and outputs/, and every file in tmp/.  Only the server calls
 * this (synth_jobs_start), before any job runs.  *removed (may be NULL) gets the count. */
int synth_store_sweep_temp(synth_store *s, uint64_t *removed, synth_err *err);

/* ---- datasets ---------------------------------------------------------------------------- */

typedef struct synth_dataset {
    char id[SYNTH_ID_MAX];
    char name[SYNTH_NAME_MAX];
    char key_id[SYNTH_ID_MAX];     /* owner */
    uint64_t bytes;
    uint64_t rows;
    uint32_t columns;
    int64_t created_at;
} synth_dataset;

/* Record a dataset whose file is already at synth_store_path(SYNTH_FILE_DATASET, ds->id).
 * ds->id must be valid (synth_store_new_id("ds_")), name 1..255 bytes of UTF-8 without control
 * characters (else SYNTH_BAD_INPUT naming the field); created_at 0 = now (written back). */
int synth_store_dataset_insert(synth_store *s, synth_dataset *ds, synth_err *err);
/* 0 or SYNTH_STORE_NOT_FOUND. */
int synth_store_dataset_get(synth_store *s, const char *id, const char *owner, synth_dataset *out,
                            synth_err *err);
/* Newest first, at most limit (0 = 100; capped at 1000).  *out is a new array (synth_free). */
int synth_store_dataset_list(synth_store *s, const char *owner, size_t limit, synth_dataset **out,
                             size_t *n, synth_err *err);
/* Delete the record and its file.  SYNTH_STORE_NOT_FOUND; SYNTH_STORE_CONFLICT when a model was
 * fitted on it or a queued/running job refers to it. */
int synth_store_dataset_delete(synth_store *s, const char *id, const char *owner, synth_err *err);
/* {"id","name","rows","columns","bytes","created_at"} (created_at as RFC 3339 UTC); new reference,
 * NULL when out of memory. */
json_t *synth_dataset_json(const synth_dataset *ds);

/* ---- models ------------------------------------------------------------------------------ */

typedef struct synth_model_rec {
    char id[SYNTH_ID_MAX];
    char dataset_id[SYNTH_ID_MAX];
    char generator[SYNTH_GENERATOR_MAX];
    char params_json[SYNTH_JSON_MAX];  /* compact JSON object ("{}" when none) */
    char key_id[SYNTH_ID_MAX];
    char job_id[SYNTH_ID_MAX];         /* the fit job that made it */
    int64_t created_at;
} synth_model_rec;

/* Models are inserted by fit jobs (jobs.c); the server only reads and deletes them. */
int synth_store_model_insert(synth_store *s, synth_model_rec *m, synth_err *err);
int synth_store_model_get(synth_store *s, const char *id, const char *owner, synth_model_rec *out,
                          synth_err *err);
int synth_store_model_list(synth_store *s, const char *owner, size_t limit, synth_model_rec **out,
                           size_t *n, synth_err *err);
/* Delete record and file.  SYNTH_STORE_NOT_FOUND; SYNTH_STORE_CONFLICT when a queued/running job
 * uses the model. */
int synth_store_model_delete(synth_store *s, const char *id, const char *owner, synth_err *err);
/* {"id","dataset_id","generator","params","job_id","created_at"}; new reference or NULL. */
json_t *synth_model_json(const synth_model_rec *m);

/* ---- jobs -------------------------------------------------------------------------------- */

typedef enum synth_job_kind { SYNTH_JOB_FIT = 0, SYNTH_JOB_GENERATE, SYNTH_JOB_VALIDATE } synth_job_kind;
typedef enum synth_job_state {
    SYNTH_JOB_QUEUED = 0, SYNTH_JOB_RUNNING, SYNTH_JOB_SUCCEEDED, SYNTH_JOB_FAILED, SYNTH_JOB_CANCELLED
} synth_job_state;
#define SYNTH_JOB_NSTATES 5

/* "fit"/"generate"/"validate"; "queued"/"running"/"succeeded"/"failed"/"cancelled". */
const char *synth_job_kind_name(synth_job_kind k);
const char *synth_job_state_name(synth_job_state s);
/* Name -> value; -1 when unknown. */
int synth_job_kind_parse(const char *name);
int synth_job_state_parse(const char *name);

typedef struct synth_job {
    char id[SYNTH_ID_MAX];
    synth_job_kind kind;
    synth_job_state state;
    char params_json[SYNTH_JSON_MAX];   /* canonical compact JSON (sorted keys); see jobs.h */
    double progress;                    /* 0..1 */
    char result_json[SYNTH_JSON_MAX];   /* "" until succeeded */
    char error[SYNTH_ERR_MSG_MAX];      /* "" unless failed (or cancelled: "cancelled") */
    char key_id[SYNTH_ID_MAX];
    char idempotency_key[SYNTH_IDEM_MAX];  /* "" when none */
    int64_t created_at, started_at, finished_at;
    int attempts;                       /* times a worker has started it */
    int cancel_requested;               /* DELETE arrived while running */
} synth_job;

/* Queue a job.  params_json must be a JSON object (else SYNTH_BAD_INPUT); it is stored in
 * canonical form (sorted keys, compact), which is also what the idempotency check compares.
 * idem_key: NULL or "" for none, else 1..255 bytes.  If this key_id already has a job with the same
 * idempotency key: same kind and canonical params -> 0 with *existed = 1 and *out = that job;
 * otherwise SYNTH_STORE_CONFLICT.  max_active > 0: when the key already has that many queued or
 * running jobs, SYNTH_STORE_LIMIT (checked atomically with the insert).  New job: 0, *existed = 0,
 * *out filled (state queued).  existed may be NULL. */
int synth_store_job_create(synth_store *s, synth_job_kind kind, const char *params_json, const char *key_id,
                           const char *idem_key, unsigned max_active, synth_job *out, int *existed,
                           synth_err *err);
int synth_store_job_get(synth_store *s, const char *id, const char *owner, synth_job *out, synth_err *err);
/* Newest first; state_filter < 0 = any state. */
int synth_store_job_list(synth_store *s, const char *owner, int state_filter, size_t limit, synth_job **out,
                         size_t *n, synth_err *err);
/* DELETE /v1/jobs/{id}: a queued job becomes cancelled at once; a running one gets
 * cancel_requested = 1 (the worker stops between chunks and marks it cancelled); a finished job is
 * left as it is.  *out gets the job after the change.  0 or SYNTH_STORE_NOT_FOUND. */
int synth_store_job_cancel(synth_store *s, const char *id, const char *owner, synth_job *out, synth_err *err);
/* Number of jobs per state (index = synth_job_state), for the synth_jobs{state} gauge. */
int synth_store_job_counts(synth_store *s, uint64_t counts[SYNTH_JOB_NSTATES], synth_err *err);
/* Queued + running jobs of one key. */
int synth_store_job_active(synth_store *s, const char *key_id, uint64_t *n, synth_err *err);

/* Worker side (jobs.c).  Claim the oldest queued job: state running, started_at now, attempts+1.
 * 0 with *out filled, or SYNTH_STORE_NOT_FOUND when none is queued. */
int synth_store_job_claim(synth_store *s, synth_job *out, synth_err *err);
/* Set progress (clamped to 0..1) of a running job. */
int synth_store_job_progress(synth_store *s, const char *id, double progress, synth_err *err);
/* 1 when DELETE asked a running job to stop, else 0 (also 0 on error). */
int synth_store_job_cancel_requested(synth_store *s, const char *id);
/* Terminal state (succeeded / failed / cancelled) with result_json (may be NULL) and error (may be
 * NULL); finished_at now; progress 1 on success. */
int synth_store_job_finish(synth_store *s, const char *id, synth_job_state state, const char *result_json,
                           const char *error, synth_err *err);
/* A running job the pool could not finish during a drain: back to queued (attempts-1, so a
 * graceful stop does not count as a failed attempt). */
int synth_store_job_requeue(synth_store *s, const char *id, synth_err *err);
/* At startup, after a crash: every job still `running` is requeued, or failed with the reason
 * "abandoned after N attempts" when it has already been started max_attempts (3) times.  Counts of
 * each outcome in *requeued and *failed (either may be NULL). */
int synth_store_job_recover(synth_store *s, int max_attempts, uint64_t *requeued, uint64_t *failed,
                            synth_err *err);
/* {"id","kind","state","progress","params","result","error","attempts","created_at","started_at",
 * "finished_at"}; absent times and empty result/error are JSON null.  New reference or NULL. */
json_t *synth_job_json(const synth_job *job);

/* ---- API keys (the crypto is in keys.h; this is only the table) --------------------------- */

typedef struct synth_key_info {
    char id[SYNTH_ID_MAX];                 /* "key_" + 16 hex */
    char name[SYNTH_NAME_MAX];
    char prefix[SYNTH_KEY_PREFIX_LEN + 1]; /* the visible part of the secret */
    unsigned scopes;                       /* SYNTH_SCOPE_* bits (keys.h) */
    int64_t created_at;
    int64_t revoked_at;                    /* 0 = active */
} synth_key_info;

/* Insert a key row with its SHA-256 hex hash (64 chars).  SYNTH_STORE_CONFLICT if the prefix is
 * taken (the caller draws another). */
int synth_store_key_insert(synth_store *s, const synth_key_info *k, const char *hash_hex, synth_err *err);
/* Look up by prefix: info and stored hash (65 bytes).  0 or SYNTH_STORE_NOT_FOUND. */
int synth_store_key_by_prefix(synth_store *s, const char *prefix, synth_key_info *out, char hash_hex[65],
                              synth_err *err);
/* By id or by prefix: 0 or SYNTH_STORE_NOT_FOUND. */
int synth_store_key_get(synth_store *s, const char *id_or_prefix, synth_key_info *out, synth_err *err);
/* Oldest first, revoked included. */
int synth_store_key_list(synth_store *s, synth_key_info **out, size_t *n, synth_err *err);
/* Set revoked_at (idempotent: revoking again keeps the first time).  0 or SYNTH_STORE_NOT_FOUND. */
int synth_store_key_revoke(synth_store *s, const char *id_or_prefix, synth_key_info *out, synth_err *err);

/* ---- audit log --------------------------------------------------------------------------- */

/* One row per data operation: key_id (may be NULL for the CLI), action ("dataset.create",
 * "model.delete", "job.create", "key.revoke", ...), object id, bytes moved, detail (may be NULL,
 * short free text or JSON; never secrets). */
int synth_store_audit(synth_store *s, const char *key_id, const char *action, const char *object,
                      uint64_t bytes, const char *detail, synth_err *err);
/* Number of audit rows (tests). */
int synth_store_audit_count(synth_store *s, uint64_t *n, synth_err *err);

/* "2026-11-26T09:15:00Z" into buf (at least 21 bytes). */
void synth_store_format_time(int64_t t, char *buf, size_t n);

#endif
