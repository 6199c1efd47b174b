/* model_file.c -- the model file, a SQLite database used as an application file format: see
 * model_file.h.
 *
 * Owns: the synth_model_file handle, its sqlite3 connection and, for a new model, its temporary
 * file "<dir>/.<base>.tmp-XXXXXX" (registered in signals.c so a hard interrupt removes it).  A new
 * model is written inside one transaction with journal_mode=MEMORY and synchronous=OFF (nobody
 * else can see the temporary file); commit ends the transaction, closes the database, fsyncs the
 * file and renames it over the target.  Existing models are opened read-only.  All values reach
 * SQL through bound parameters; the only formatted SQL text is the two PRAGMAs that take this
 * build's own integer constants.  Doubles are stored as little-endian IEEE 754.
 * Thread-safety: one handle per thread (the connection is opened with SQLITE_OPEN_NOMUTEX). */
#include "model_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "alloc.h"
#include "signals.h"

#define BUSY_TIMEOUT_MS 2000

struct synth_model_file {
    sqlite3 *db;
    char *path;        /* as given, for messages */
    char *final_path;  /* rename target (new models only) */
    char *tmp;         /* temporary file (new models only) */
    int writable;      /* made by create, not yet committed */
    int version;       /* user_version of the file */
    int64_t size;      /* file size in bytes at open (-1 for new models) */
};

static const char *const schema_sql[] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE blobs(name TEXT PRIMARY KEY, data BLOB NOT NULL)",
    "CREATE TABLE provenance(seq INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT NOT NULL)",
    ("CREATE TABLE privacy_ledger(seq INTEGER PRIMARY KEY, mechanism TEXT NOT NULL, "
     "epsilon REAL NOT NULL, delta REAL NOT NULL, at TEXT NOT NULL)"),
};

/* ---- helpers ----------------------------------------------------------------------------- */

static int code_for_sqlite(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return SYNTH_NOMEM;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return SYNTH_IO;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_ERROR:
    case SQLITE_SCHEMA:
    case SQLITE_MISMATCH:
    case SQLITE_CONSTRAINT:
        return SYNTH_MODEL;
    default:
        return SYNTH_INTERNAL;
    }
}

/* Record a SQLite failure: "PATH: what: sqlite message". */
static int db_fail(synth_model_file *mf, synth_err *err, int rc, const char *what)
{
    const char *msg = mf->db != NULL ? sqlite3_errmsg(mf->db) : sqlite3_errstr(rc);
    return synth_err_set(err, code_for_sqlite(rc), "%s: %s: %s", mf->path, what, msg);
}

static int prepare(synth_model_file *mf, const char *sql, sqlite3_stmt **st, synth_err *err)
{
    int rc = sqlite3_prepare_v2(mf->db, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        *st = NULL;
        return db_fail(mf, err, rc, "cannot prepare query");
    }
    return SYNTH_OK;
}

/* Run a statement that returns no rows, then finalize it. */
static int step_done(synth_model_file *mf, sqlite3_stmt *st, const char *what, synth_err *err)
{
    int rc = sqlite3_step(st);
    int out = SYNTH_OK;
    if (rc != SQLITE_DONE)
        out = db_fail(mf, err, rc, what);
    sqlite3_finalize(st);
    return out;
}

static int exec_sql(synth_model_file *mf, const char *sql, const char *what, synth_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare(mf, sql, &st, err);
    if (rc != SYNTH_OK)
        return rc;
    /* PRAGMA journal_mode returns a row; step until done. */
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_finalize(st);
    if (s != SQLITE_DONE)
        return db_fail(mf, err, s, what);
    return SYNTH_OK;
}

/* While writing a new model, SQL errors are I/O failures (the header promises SYNTH_IO). */
static int as_io_error(int rc, synth_err *err)
{
    if (rc != SYNTH_MODEL)
        return rc;
    if (err != NULL)
        err->code = SYNTH_IO;
    return SYNTH_IO;
}

static int need_writable(synth_model_file *mf, synth_err *err)
{
    if (mf == NULL)
        return synth_err_set(err, SYNTH_INTERNAL, "model file: NULL handle");
    if (!mf->writable)
        return synth_err_set(err, SYNTH_INTERNAL, "%s: model file is open read-only", mf->path);
    return SYNTH_OK;
}

static int bind_text(synth_model_file *mf, sqlite3_stmt *st, int idx, const char *s, synth_err *err)
{
    int rc = sqlite3_bind_text64(st, idx, s, strlen(s), SQLITE_STATIC, SQLITE_UTF8);
    if (rc != SQLITE_OK)
        return db_fail(mf, err, rc, "cannot bind value");
    return SYNTH_OK;
}

static int bind_blob(synth_model_file *mf, sqlite3_stmt *st, int idx, const void *data, size_t len,
                     synth_err *err)
{
    int rc = len == 0 ? sqlite3_bind_zeroblob(st, idx, 0)   /* not NULL: an empty blob */
                      : sqlite3_bind_blob64(st, idx, data, len, SQLITE_STATIC);
    if (rc != SQLITE_OK)
        return db_fail(mf, err, rc, "cannot bind value");
    return SYNTH_OK;
}

static void store_le(unsigned char *dst, const double *v, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint64_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        for (int b = 0; b < 8; b++)
            dst[i * 8 + (size_t)b] = (unsigned char)(bits >> (8 * b));
    }
}

static void load_le(double *v, const unsigned char *src, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint64_t bits = 0;
        for (int b = 0; b < 8; b++)
            bits |= (uint64_t)src[i * 8 + (size_t)b] << (8 * b);
        memcpy(&v[i], &bits, sizeof bits);
    }
}

static int host_is_little_endian(void)
{
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
    return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
#else
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
#endif
}

static void model_free(synth_model_file *mf)
{
    if (mf->db != NULL)
        sqlite3_close_v2(mf->db);
    synth_free(mf->path);
    synth_free(mf->final_path);
    synth_free(mf->tmp);
    synth_free(mf);
}

/* ---- create / open ----------------------------------------------------------------------- */

int synth_model_file_create(synth_model_file **out, const char *path, synth_err *err)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return synth_err_set(err, SYNTH_IO, "empty model path");
    synth_model_file *mf = synth_calloc(1, sizeof *mf);
    if (mf == NULL || (mf->path = synth_strdup(path)) == NULL) {
        synth_free(mf);
        return synth_err_set(err, SYNTH_NOMEM, "%s: out of memory", path);
    }
    mf->version = SYNTH_MODEL_FORMAT_VERSION;
    mf->size = -1;
    int fd;
    int rc = synth__temp_create(path, &mf->final_path, &mf->tmp, &fd, err);
    if (rc != SYNTH_OK) {
        model_free(mf);
        return rc;
    }
    close(fd);   /* an empty file is a valid empty database */
    mf->writable = 1;

    int s = sqlite3_open_v2(mf->tmp, &mf->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (s != SQLITE_OK) {
        rc = db_fail(mf, err, s, "cannot open database");
        goto fail;
    }
    sqlite3_extended_result_codes(mf->db, 1);
    sqlite3_busy_timeout(mf->db, BUSY_TIMEOUT_MS);
    char pragma[96];
    if ((rc = exec_sql(mf, "PRAGMA journal_mode=MEMORY", "cannot set journal mode", err)) != SYNTH_OK ||
        (rc = exec_sql(mf, "PRAGMA synchronous=OFF", "cannot set synchronous mode", err)) != SYNTH_OK ||
        (rc = exec_sql(mf, "BEGIN", "cannot begin transaction", err)) != SYNTH_OK)
        goto fail;
    /* PRAGMA values cannot be bound; these are this build's own constants, not input. */
    snprintf(pragma, sizeof pragma, "PRAGMA application_id=%ld", (long)SYNTH_MODEL_APPLICATION_ID);
    if ((rc = exec_sql(mf, pragma, "cannot set application_id", err)) != SYNTH_OK)
        goto fail;
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", SYNTH_MODEL_FORMAT_VERSION);
    if ((rc = exec_sql(mf, pragma, "cannot set user_version", err)) != SYNTH_OK)
        goto fail;
    for (size_t i = 0; i < sizeof schema_sql / sizeof schema_sql[0]; i++)
        if ((rc = exec_sql(mf, schema_sql[i], "cannot create tables", err)) != SYNTH_OK)
            goto fail;
    *out = mf;
    return SYNTH_OK;

fail:
    rc = as_io_error(rc, err);
    synth_model_file_free(mf);
    return rc;
}

/* Read one integer PRAGMA.  SQLITE_NOTADB and friends become "not a synth model file". */
static int read_pragma_int(synth_model_file *mf, const char *sql, int *value, synth_err *err)
{
    sqlite3_stmt *st = NULL;
    int s = sqlite3_prepare_v2(mf->db, sql, -1, &st, NULL);
    if (s == SQLITE_OK) {
        s = sqlite3_step(st);
        if (s == SQLITE_ROW) {
            *value = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
            return SYNTH_OK;
        }
    }
    sqlite3_finalize(st);
    int base = s & 0xff;
    if (base == SQLITE_NOTADB || base == SQLITE_CORRUPT || base == SQLITE_DONE)
        return synth_err_set(err, SYNTH_MODEL, "%s: not a synth model file", mf->path);
    return db_fail(mf, err, s, "cannot read database");
}

/* A truncated or damaged file must not load as a model that quietly samples wrong values: the
 * size must be exactly page_count * page_size, and SQLite's quick_check must pass. */
static int check_integrity(synth_model_file *mf, synth_err *err)
{
    int pages = 0, page_size = 0;
    int rc = read_pragma_int(mf, "PRAGMA page_count", &pages, err);
    if (rc == SYNTH_OK)
        rc = read_pragma_int(mf, "PRAGMA page_size", &page_size, err);
    if (rc != SYNTH_OK)
        return rc;
    if ((int64_t)pages * page_size != mf->size)
        return synth_err_set(err, SYNTH_MODEL, "%s: model file is damaged (size %lld bytes, expected %lld); "
                             "it may have been truncated", mf->path, (long long)mf->size,
                             (long long)pages * page_size);
    sqlite3_stmt *st = NULL;
    int s = sqlite3_prepare_v2(mf->db, "PRAGMA quick_check", -1, &st, NULL);
    int ok = 0;
    if (s == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(st, 0);
        ok = text != NULL && strcmp((const char *)text, "ok") == 0;
    }
    sqlite3_finalize(st);
    if (!ok)
        return synth_err_set(err, SYNTH_MODEL, "%s: model file is damaged (integrity check failed)", mf->path);
    return SYNTH_OK;
}

int synth_model_file_open(synth_model_file **out, const char *path, synth_err *err)
{
    char ebuf[128];
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return synth_err_set(err, SYNTH_IO, "empty model path");

    /* Check with plain open(2) first so a missing or unreadable file gets errno's message. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return synth_err_set(err, SYNTH_IO, "%s: %s", path, synth__strerror(e, ebuf, sizeof ebuf));
    }
    struct stat st;
    int is_dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
    int64_t size = is_dir ? 0 : (int64_t)st.st_size;
    close(fd);
    if (is_dir)
        return synth_err_set(err, SYNTH_IO, "%s: is a directory", path);

    synth_model_file *mf = synth_calloc(1, sizeof *mf);
    if (mf == NULL || (mf->path = synth_strdup(path)) == NULL) {
        synth_free(mf);
        return synth_err_set(err, SYNTH_NOMEM, "%s: out of memory", path);
    }
    mf->size = size;
    int s = sqlite3_open_v2(path, &mf->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (s != SQLITE_OK) {
        int rc = db_fail(mf, err, s, "cannot open");
        if (rc == SYNTH_MODEL)
            rc = synth_err_set(err, SYNTH_MODEL, "%s: not a synth model file", path);
        model_free(mf);
        return rc;
    }
    sqlite3_extended_result_codes(mf->db, 1);
    sqlite3_busy_timeout(mf->db, BUSY_TIMEOUT_MS);

    int app_id = 0, version = 0;
    int rc = read_pragma_int(mf, "PRAGMA application_id", &app_id, err);
    if (rc == SYNTH_OK && (uint32_t)app_id != (uint32_t)SYNTH_MODEL_APPLICATION_ID)
        rc = synth_err_set(err, SYNTH_MODEL, "%s: not a synth model file", path);
    if (rc == SYNTH_OK)
        rc = read_pragma_int(mf, "PRAGMA user_version", &version, err);
    if (rc == SYNTH_OK && version > SYNTH_MODEL_FORMAT_VERSION)
        rc = synth_err_set(err, SYNTH_MODEL,
                           "%s: model format version %d is newer than this synth reads (%d); "
                           "upgrade synth",
                           path, version, SYNTH_MODEL_FORMAT_VERSION);
    if (rc == SYNTH_OK && version < SYNTH_MODEL_FORMAT_VERSION)
        rc = synth_err_set(err, SYNTH_MODEL,
                           "%s: model format version %d is older than this synth reads (%d); "
                           "refit the model",
                           path, version, SYNTH_MODEL_FORMAT_VERSION);
    if (rc == SYNTH_OK)
        rc = check_integrity(mf, err);
    if (rc != SYNTH_OK) {
        model_free(mf);
        return rc;
    }
    mf->version = version;
    *out = mf;
    return SYNTH_OK;
}

/* ---- metadata ---------------------------------------------------------------------------- */

int synth_model_file_set_meta(synth_model_file *mf, const char *key, const char *value, synth_err *err)
{
    int rc = need_writable(mf, err);
    if (rc != SYNTH_OK)
        return rc;
    if (key == NULL || value == NULL)
        return synth_err_set(err, SYNTH_INTERNAL, "%s: set_meta with a NULL key or value", mf->path);
    sqlite3_stmt *st;
    if ((rc = prepare(mf, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", &st, err)) != SYNTH_OK)
        return rc;
    if ((rc = bind_text(mf, st, 1, key, err)) != SYNTH_OK || (rc = bind_text(mf, st, 2, value, err)) != SYNTH_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    return step_done(mf, st, "cannot store metadata", err);
}

int synth_model_file_get_meta(synth_model_file *mf, const char *key, char **value, synth_err *err)
{
    *value = NULL;
    if (mf == NULL || key == NULL)
        return synth_err_set(err, SYNTH_INTERNAL, "model file: get_meta with a NULL argument");
    sqlite3_stmt *st;
    int rc = prepare(mf, "SELECT value FROM meta WHERE key = ?1", &st, err);
    if (rc != SYNTH_OK)
        return rc;
    if ((rc = bind_text(mf, st, 1, key, err)) != SYNTH_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        if (text == NULL && sqlite3_errcode(mf->db) == SQLITE_NOMEM)
            rc = synth_err_set(err, SYNTH_NOMEM, "%s: out of memory", mf->path);
        else if ((*value = synth_strndup(text != NULL ? (const char *)text : "", text != NULL ? len : 0)) == NULL)
            rc = synth_err_set(err, SYNTH_NOMEM, "%s: out of memory reading metadata '%s'", mf->path, key);
    } else if (s == SQLITE_DONE) {
        rc = synth_err_set(err, SYNTH_MODEL, "%s: missing metadata '%s'", mf->path, key);
    } else {
        rc = db_fail(mf, err, s, "cannot read metadata");
    }
    sqlite3_finalize(st);
    return rc;
}

int synth_model_file_each_meta(synth_model_file *mf,
                               void (*fn)(const char *key, const char *value, void *ctx), void *ctx,
                               synth_err *err)
{
    if (mf == NULL || fn == NULL)
        return synth_err_set(err, SYNTH_INTERNAL, "model file: each_meta with a NULL argument");
    sqlite3_stmt *st;
    int rc = prepare(mf, "SELECT key, value FROM meta ORDER BY key", &st, err);
    if (rc != SYNTH_OK)
        return rc;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *k = sqlite3_column_text(st, 0);
        const unsigned char *v = sqlite3_column_text(st, 1);
        fn(k != NULL ? (const char *)k : "", v != NULL ? (const char *)v : "", ctx);
    }
    if (s != SQLITE_DONE)
        rc = db_fail(mf, err, s, "cannot read metadata");
    sqlite3_finalize(st);
    return rc;
}

/* ---- blobs ------------------------------------------------------------------------------- */

int synth_model_file_put_blob(synth_model_file *mf, const char *name, const void *data, size_t len,
                              synth_err *err)
{
    int rc = need_writable(mf, err);
    if (rc != SYNTH_OK)
        return rc;
    if (name == NULL || (data == NULL && len > 0))
        return synth_err_set(err, SYNTH_INTERNAL, "%s: put_blob with a NULL argument", mf->path);
    sqlite3_stmt *st;
    if ((rc = prepare(mf, "INSERT OR REPLACE INTO blobs(name, data) VALUES(?1, ?2)", &st, err)) != SYNTH_OK)
        return rc;
    if ((rc = bind_text(mf, st, 1, name, err)) != SYNTH_OK ||
        (rc = bind_blob(mf, st, 2, data, len, err)) != SYNTH_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    return step_done(mf, st, "cannot store blob", err);
}

/* Select the blob `name`; on SYNTH_OK *st is positioned on its row (caller finalizes). */
static int select_blob(synth_model_file *mf, const char *name, sqlite3_stmt **st, synth_err *err)
{
    *st = NULL;
    if (mf == NULL || name == NULL)
        return synth_err_set(err, SYNTH_INTERNAL, "model file: blob access with a NULL argument");
    int rc = prepare(mf, "SELECT data FROM blobs WHERE name = ?1", st, err);
    if (rc != SYNTH_OK)
        return rc;
    if ((rc = bind_text(mf, *st, 1, name, err)) == SYNTH_OK) {
        int s = sqlite3_step(*st);
        if (s == SQLITE_DONE)
            rc = synth_err_set(err, SYNTH_MODEL, "%s: missing blob '%s'", mf->path, name);
        else if (s != SQLITE_ROW)
            rc = db_fail(mf, err, s, "cannot read blob");
    }
    if (rc != SYNTH_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
    }
    return rc;
}

/* The blob bytes of the current row; NULL only on a SQLite allocation failure when len > 0. */
static const void *column_blob(sqlite3_stmt *st, size_t *len)
{
    const void *p = sqlite3_column_blob(st, 0);
    *len = (size_t)sqlite3_column_bytes(st, 0);
    return p;
}

int synth_model_file_get_blob(synth_model_file *mf, const char *name, void **data, size_t *len,
                              synth_err *err)
{
    *data = NULL;
    *len = 0;
    sqlite3_stmt *st;
    int rc = select_blob(mf, name, &st, err);
    if (rc != SYNTH_OK)
        return rc;
    size_t n;
    const void *p = column_blob(st, &n);
    if (p == NULL && n > 0) {
        rc = synth_err_set(err, SYNTH_NOMEM, "%s: out of memory reading blob '%s'", mf->path, name);
    } else {
        void *copy = synth_malloc(n);
        if (copy == NULL) {
            rc = synth_err_set(err, SYNTH_NOMEM, "%s: out of memory reading blob '%s'", mf->path, name);
        } else {
            if (n > 0)
                memcpy(copy, p, n);
            *data = copy;
            *len = n;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

int synth_model_file_each_blob(synth_model_file *mf,
                               void (*fn)(const char *name, size_t size, void *ctx), void *ctx,
                               synth_err *err)
{
    if (mf == NULL || fn == NULL)
        return synth_err_set(err, SYNTH_INTERNAL, "model file: each_blob with a NULL argument");
    sqlite3_stmt *st;
    int rc = prepare(mf, "SELECT name, length(data) FROM blobs ORDER BY name", &st, err);
    if (rc != SYNTH_OK)
        return rc;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *n = sqlite3_column_text(st, 0);
        fn(n != NULL ? (const char *)n : "", (size_t)sqlite3_column_int64(st, 1), ctx);
    }
    if (s != SQLITE_DONE)
        rc = db_fail(mf, err, s, "cannot list blobs");
    sqlite3_finalize(st);
    return rc;
}

/* ---- doubles ----------------------------------------------------------------------------- */

int synth_model_file_put_doubles(synth_model_file *mf, const char *name, const double *v, size_t count,
                                 synth_err *err)
{
    int rc = need_writable(mf, err);
    if (rc != SYNTH_OK)
        return rc;
    if (v == NULL && count > 0)
        return synth_err_set(err, SYNTH_INTERNAL, "%s: put_doubles with a NULL array", mf->path);
    if (count > SIZE_MAX / 8)
        return synth_err_set(err, SYNTH_INTERNAL, "%s: blob '%s' too large", mf->path, name);
    if (host_is_little_endian())
        return synth_model_file_put_blob(mf, name, v, count * 8, err);
    unsigned char *le = synth_malloc(count * 8);
    if (le == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "%s: out of memory storing blob '%s'", mf->path, name);
    store_le(le, v, count);
    rc = synth_model_file_put_blob(mf, name, le, count * 8, err);
    synth_free(le);
    return rc;
}

static void decode_doubles(double *v, const void *src, size_t count)
{
    if (count == 0)
        return;
    if (host_is_little_endian())
        memcpy(v, src, count * 8);
    else
        load_le(v, src, count);
}

int synth_model_file_get_doubles(synth_model_file *mf, const char *name, double *v, size_t count,
                                 synth_err *err)
{
    sqlite3_stmt *st;
    int rc = select_blob(mf, name, &st, err);
    if (rc != SYNTH_OK)
        return rc;
    size_t n;
    const void *p = column_blob(st, &n);
    if (p == NULL && n > 0)
        rc = synth_err_set(err, SYNTH_NOMEM, "%s: out of memory reading blob '%s'", mf->path, name);
    else if (count > SIZE_MAX / 8 || n != count * 8)
        rc = synth_err_set(err, SYNTH_MODEL, "%s: blob '%s' holds %zu bytes, expected %zu doubles",
                           mf->path, name, n, count);
    else
        decode_doubles(v, p, count);
    sqlite3_finalize(st);
    return rc;
}

int synth_model_file_get_doubles_new(synth_model_file *mf, const char *name, double **v, size_t *count,
                                     synth_err *err)
{
    *v = NULL;
    *count = 0;
    sqlite3_stmt *st;
    int rc = select_blob(mf, name, &st, err);
    if (rc != SYNTH_OK)
        return rc;
    size_t n;
    const void *p = column_blob(st, &n);
    if (p == NULL && n > 0) {
        rc = synth_err_set(err, SYNTH_NOMEM, "%s: out of memory reading blob '%s'", mf->path, name);
    } else if (n % 8 != 0) {
        rc = synth_err_set(err, SYNTH_MODEL, "%s: blob '%s' holds %zu bytes, not a whole number of doubles",
                           mf->path, name, n);
    } else {
        double *out = synth_malloc(n);
        if (out == NULL) {
            rc = synth_err_set(err, SYNTH_NOMEM, "%s: out of memory reading blob '%s'", mf->path, name);
        } else {
            decode_doubles(out, p, n / 8);
            *v = out;
            *count = n / 8;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- provenance -------------------------------------------------------------------------- */

int synth_model_file_add_provenance(synth_model_file *mf, const char *key, const char *value,
                                    synth_err *err)
{
    int rc = need_writable(mf, err);
    if (rc != SYNTH_OK)
        return rc;
    if (key == NULL || value == NULL)
        return synth_err_set(err, SYNTH_INTERNAL, "%s: add_provenance with a NULL argument", mf->path);
    sqlite3_stmt *st;
    if ((rc = prepare(mf, "INSERT INTO provenance(key, value) VALUES(?1, ?2)", &st, err)) != SYNTH_OK)
        return rc;
    if ((rc = bind_text(mf, st, 1, key, err)) != SYNTH_OK || (rc = bind_text(mf, st, 2, value, err)) != SYNTH_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    return step_done(mf, st, "cannot store provenance", err);
}

int synth_model_file_each_provenance(synth_model_file *mf,
                                     void (*fn)(const char *key, const char *value, void *ctx),
                                     void *ctx, synth_err *err)
{
    if (mf == NULL || fn == NULL)
        return synth_err_set(err, SYNTH_INTERNAL, "model file: each_provenance with a NULL argument");
    sqlite3_stmt *st;
    int rc = prepare(mf, "SELECT key, value FROM provenance ORDER BY seq", &st, err);
    if (rc != SYNTH_OK)
        return rc;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *k = sqlite3_column_text(st, 0);
        const unsigned char *v = sqlite3_column_text(st, 1);
        fn(k != NULL ? (const char *)k : "", v != NULL ? (const char *)v : "", ctx);
    }
    if (s != SQLITE_DONE)
        rc = db_fail(mf, err, s, "cannot read provenance");
    sqlite3_finalize(st);
    return rc;
}

/* ---- privacy ledger ---------------------------------------------------------------------- */

int synth_model_file_add_privacy_spend(synth_model_file *mf, const char *mechanism, double epsilon,
                                       double delta, synth_err *err)
{
    int rc = need_writable(mf, err);
    if (rc != SYNTH_OK)
        return rc;
    if (mechanism == NULL || !isfinite(epsilon) || epsilon < 0 || !isfinite(delta) || delta < 0 ||
        delta > 1)
        return synth_err_set(err, SYNTH_INTERNAL, "%s: invalid privacy spend (epsilon %g, delta %g)",
                             mf->path, epsilon, delta);
    char at[32];
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL || strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(at, sizeof at, "unknown");
    sqlite3_stmt *st;
    if ((rc = prepare(mf, "INSERT INTO privacy_ledger(mechanism, epsilon, delta, at) VALUES(?1, ?2, ?3, ?4)",
                      &st, err)) != SYNTH_OK)
        return rc;
    int s = SQLITE_OK;
    if ((rc = bind_text(mf, st, 1, mechanism, err)) != SYNTH_OK ||
        (s = sqlite3_bind_double(st, 2, epsilon)) != SQLITE_OK ||
        (s = sqlite3_bind_double(st, 3, delta)) != SQLITE_OK ||
        (rc = bind_text(mf, st, 4, at, err)) != SYNTH_OK) {
        if (rc == SYNTH_OK)
            rc = db_fail(mf, err, s, "cannot bind value");
        sqlite3_finalize(st);
        return rc;
    }
    return step_done(mf, st, "cannot store privacy spend", err);
}

int synth_model_file_privacy_spent(synth_model_file *mf, double *epsilon, double *delta, synth_err *err)
{
    *epsilon = 0.0;
    *delta = 0.0;
    if (mf == NULL)
        return synth_err_set(err, SYNTH_INTERNAL, "model file: NULL handle");
    sqlite3_stmt *st;
    int rc = prepare(mf, "SELECT total(epsilon), total(delta) FROM privacy_ledger", &st, err);
    if (rc != SYNTH_OK)
        return rc;
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        *epsilon = sqlite3_column_double(st, 0);
        *delta = sqlite3_column_double(st, 1);
    } else {
        rc = db_fail(mf, err, s, "cannot read privacy ledger");
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- info, commit, free ------------------------------------------------------------------ */

int synth_model_file_format_version(const synth_model_file *mf)
{
    return mf == NULL ? 0 : mf->version;
}

int64_t synth_model_file_size(const synth_model_file *mf)
{
    return mf == NULL ? -1 : mf->size;
}

int synth_model_file_commit(synth_model_file *mf, synth_err *err)
{
    char ebuf[128];
    int rc = need_writable(mf, err);
    if (rc != SYNTH_OK) {
        synth_model_file_free(mf);
        return rc;
    }
    if ((rc = exec_sql(mf, "COMMIT", "cannot commit", err)) != SYNTH_OK) {
        rc = as_io_error(rc, err);
        synth_model_file_free(mf);
        return rc;
    }
    int s = sqlite3_close(mf->db);
    if (s != SQLITE_OK) {
        rc = db_fail(mf, err, s, "cannot close database");
        synth_model_file_free(mf);
        return rc;
    }
    mf->db = NULL;

    /* synchronous=OFF: make the data durable ourselves before the rename. */
    int fd = open(mf->tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        rc = synth_err_set(err, SYNTH_IO, "%s: cannot sync '%s': %s", mf->path, mf->tmp,
                           synth__strerror(e, ebuf, sizeof ebuf));
    }
    if (fd >= 0)
        close(fd);
    if (rc == SYNTH_OK && rename(mf->tmp, mf->final_path) != 0) {
        int e = errno;
        rc = synth_err_set(err, SYNTH_IO, "%s: cannot rename '%s' to it: %s", mf->path, mf->tmp,
                           synth__strerror(e, ebuf, sizeof ebuf));
    }
    if (rc != SYNTH_OK) {
        synth_model_file_free(mf);   /* removes the temporary file */
        return rc;
    }
    synth__temp_unregister(mf->tmp);
    synth__fsync_parent_dir(mf->final_path);
    mf->writable = 0;
    model_free(mf);
    return SYNTH_OK;
}

void synth_model_file_free(synth_model_file *mf)
{
    if (mf == NULL)
        return;
    if (mf->db != NULL) {
        sqlite3_close_v2(mf->db);   /* an open transaction is rolled back */
        mf->db = NULL;
    }
    if (mf->tmp != NULL && mf->writable) {
        unlink(mf->tmp);
        synth__temp_unregister(mf->tmp);
    }
    model_free(mf);
}
