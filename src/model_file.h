/* model_file.h -- the model file: a SQLite database used as an application file format.
 *
 * Holds text metadata (key -> value; JSON where structured: the schema, the generator's
 * parameters), named binary blobs (arrays of doubles and similar parameters), training provenance,
 * and a privacy-budget ledger.  The file is marked with PRAGMA application_id ('SYNT') and
 * PRAGMA user_version (the format version); opening a file from another application, or from a
 * newer or older format, is a clear SYNTH_MODEL error.  A model being written lives under a
 * temporary name and appears at its final path only on synth_model_file_commit.
 * All SQL uses prepared statements.  One handle per thread. */
#ifndef SYNTH_MODEL_FILE_H
#define SYNTH_MODEL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SYNTH_MODEL_FORMAT_VERSION 1
#define SYNTH_MODEL_APPLICATION_ID 0x53594E54   /* 'SYNT' */

typedef struct synth_model_file synth_model_file;

/* Start a new model file for `path` (written to a temporary file beside it, inside one
 * transaction).  SYNTH_IO on failure, naming the path. */
int synth_model_file_create(synth_model_file **out, const char *path, synth_err *err);

/* Open an existing model read-only.  SYNTH_IO if missing/unreadable, SYNTH_MODEL if it is not a
 * synth model ("x.csv: not a synth model file") or has another format version (the message says
 * which version the file has and which this build reads). */
int synth_model_file_open(synth_model_file **out, const char *path, synth_err *err);

/* Text metadata.  get: *value is a new string the caller frees with synth_free; a missing key is
 * SYNTH_MODEL "model.synth: missing metadata 'key'". */
int synth_model_file_set_meta(synth_model_file *mf, const char *key, const char *value, synth_err *err);
int synth_model_file_get_meta(synth_model_file *mf, const char *key, char **value, synth_err *err);
/* Calls fn(key, value, ctx) for each metadata row, in key order (for `synth inspect`). */
int synth_model_file_each_meta(synth_model_file *mf,
                               void (*fn)(const char *key, const char *value, void *ctx), void *ctx,
                               synth_err *err);

/* Binary blobs.  get: *data is a new buffer (caller frees with synth_free), *len its size. */
int synth_model_file_put_blob(synth_model_file *mf, const char *name, const void *data, size_t len,
                              synth_err *err);
int synth_model_file_get_blob(synth_model_file *mf, const char *name, void **data, size_t *len,
                              synth_err *err);
/* Calls fn(name, size in bytes, ctx) for each blob, in name order (for `synth inspect`). */
int synth_model_file_each_blob(synth_model_file *mf,
                               void (*fn)(const char *name, size_t size, void *ctx), void *ctx,
                               synth_err *err);

/* Arrays of doubles as blobs (stored little-endian IEEE 754 regardless of host).  get checks that
 * the stored length is exactly `count` doubles, else SYNTH_MODEL naming the blob. */
int synth_model_file_put_doubles(synth_model_file *mf, const char *name, const double *v, size_t count,
                                 synth_err *err);
int synth_model_file_get_doubles(synth_model_file *mf, const char *name, double *v, size_t count,
                                 synth_err *err);
/* Variant that allocates: *v is new (synth_free), *count gets the number stored. */
int synth_model_file_get_doubles_new(synth_model_file *mf, const char *name, double **v, size_t *count,
                                     synth_err *err);

/* Provenance rows (key -> value), e.g. source path, rows, sha256 of the input, synth version. */
int synth_model_file_add_provenance(synth_model_file *mf, const char *key, const char *value,
                                    synth_err *err);
/* Calls fn(key, value, ctx) for each provenance row in insertion order. */
int synth_model_file_each_provenance(synth_model_file *mf,
                                     void (*fn)(const char *key, const char *value, void *ctx),
                                     void *ctx, synth_err *err);

/* Privacy budget ledger (used by DP generators later): total epsilon/delta spent so far. */
int synth_model_file_add_privacy_spend(synth_model_file *mf, const char *mechanism, double epsilon,
                                       double delta, synth_err *err);
int synth_model_file_privacy_spent(synth_model_file *mf, double *epsilon, double *delta, synth_err *err);

/* Format version and size of the opened file (for `synth inspect`). */
int synth_model_file_format_version(const synth_model_file *mf);
/* Size in bytes of the file when it was opened; -1 for a model made by synth_model_file_create. */
int64_t synth_model_file_size(const synth_model_file *mf);

/* Commit the transaction, close, fsync and rename the temporary file to the final path; frees mf
 * whatever happens.  Only for files made by synth_model_file_create. */
int synth_model_file_commit(synth_model_file *mf, synth_err *err);

/* Close; for an uncommitted new file the temporary file is deleted.  NULL is a no-op. */
void synth_model_file_free(synth_model_file *mf);

#endif
