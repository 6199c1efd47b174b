/* store.c -- the REST server's SQLite store: migrations, records, server-named files (see store.h).
 *
 * One connection per store, guarded by a mutex; WAL mode so a `synth keys` CLI process can read and
 * write beside a running server (busy_timeout waits for the other writer).  Multi-statement
 * changes run inside BEGIN IMMEDIATE so they are atomic across processes too.  Every statement is
 * prepared with bound parameters; no text from a request is ever spliced into SQL. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "alloc.h"
#include "signals.h"
#include "store.h"

struct synth_store {
    char *dir;
    sqlite3 *db;
    pthread_mutex_t mu;
    sqlite3_stmt *key_lookup;   /* prepared once: authentication runs on every request */
};

/* ---- migrations -------------------------------------------------------------------------- */

/* migrations[i] brings the schema to version i + 1.  Append only; never edit a released one. */
static const char *const migrations[] = {
    /* 1: the REST API issue */
    "CREATE TABLE api_keys ("
    "  id TEXT PRIMARY KEY, name TEXT NOT NULL, prefix TEXT NOT NULL UNIQUE, hash TEXT NOT NULL,"
    "  scopes INTEGER NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);"
    "CREATE TABLE datasets ("
    "  id TEXT PRIMARY KEY, name TEXT NOT NULL, file TEXT NOT NULL, bytes INTEGER NOT NULL,"
    "  rows INTEGER NOT NULL, columns INTEGER NOT NULL, key_id TEXT, created_at INTEGER NOT NULL);"
    "CREATE INDEX datasets_key ON datasets(key_id);"
    "CREATE TABLE models ("
    "  id TEXT PRIMARY KEY, dataset_id TEXT NOT NULL, generator TEXT NOT NULL, file TEXT NOT NULL,"
    "  params_json TEXT NOT NULL, key_id TEXT, job_id TEXT, created_at INTEGER NOT NULL);"
    "CREATE INDEX models_dataset ON models(dataset_id);"
    "CREATE TABLE jobs ("
    "  id TEXT PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('fit','generate','validate')),"
    "  state TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','cancelled')),"
    "  params_json TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, result_json TEXT, error TEXT,"
    "  key_id TEXT, idempotency_key TEXT, created_at INTEGER NOT NULL, started_at INTEGER,"
    "  finished_at INTEGER, attempts INTEGER NOT NULL DEFAULT 0,"
    "  cancel_requested INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (key_id, idempotency_key));"
    "CREATE INDEX jobs_state ON jobs(state);"
    "CREATE INDEX jobs_key ON jobs(key_id);"
    "CREATE TABLE schedules ("
    "  id TEXT PRIMARY KEY, cron TEXT NOT NULL, job_template_json TEXT NOT NULL, key_id TEXT,"
    "  enabled INTEGER NOT NULL DEFAULT 1, next_run_at INTEGER, last_run_at INTEGER, last_job_id TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE audit_log ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, key_id TEXT, action TEXT NOT NULL,"
    "  object TEXT, bytes INTEGER NOT NULL DEFAULT 0, detail TEXT);",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(NMIGRATIONS == SYNTH_STORE_SCHEMA_VERSION, "one migration per schema version");

/* ---- small helpers ----------------------------------------------------------------------- */

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static int db_fail(synth_store *s, const char *what, synth_err *err)
{
    return synth_err_set(err, SYNTH_IO, "store %s: %s: %s", s->dir, what, sqlite3_errmsg(s->db));
}

static int prep(synth_store *s, const char *sql, sqlite3_stmt **st, synth_err *err)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return db_fail(s, "prepare", err);
    }
    return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Copy column i (text, NULL -> "") into buf of n bytes, cutting if needed. */
static void col_text(sqlite3_stmt *st, int i, char *buf, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t len = t != NULL ? (size_t)sqlite3_column_bytes(st, i) : 0;
    if (len >= n)
        len = n - 1;
    if (len > 0)
        memcpy(buf, t, len);
    buf[len] = '\0';
}

static int exec(synth_store *s, const char *sql, synth_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = synth_err_set(err, SYNTH_IO, "store %s: %s", s->dir, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

static void rollback(synth_store *s)
{
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Run a statement expected to finish with SQLITE_DONE; *changes gets the rows changed. */
static int step_done(synth_store *s, sqlite3_stmt *st, const char *what, int *changes, synth_err *err)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(s, what, err);
    if (changes != NULL)
        *changes = sqlite3_changes(s->db);
    return 0;
}

/* 1..255 bytes of valid UTF-8 without control characters. */
static int text_ok(const char *t, size_t max)
{
    size_t len = strlen(t);
    if (len == 0 || len >= max)
        return 0;
    const unsigned char *p = (const unsigned char *)t;
    while (*p) {
        unsigned c = *p;
        int extra;
        if (c < 0x20 || c == 0x7f)
            return 0;
        if (c < 0x80)
            extra = 0;
        else if (c >= 0xc2 && c <= 0xdf)
            extra = 1;
        else if (c >= 0xe0 && c <= 0xef)
            extra = 2;
        else if (c >= 0xf0 && c <= 0xf4)
            extra = 3;
        else
            return 0;
        p++;
        for (int i = 0; i < extra; i++, p++)
            if ((*p & 0xc0) != 0x80)
                return 0;
    }
    return 1;
}

void synth_store_format_time(int64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (n == 0)
        return;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        buf[0] = '\0';
}

static json_t *time_json(int64_t t)
{
    if (t <= 0)
        return json_null();
    char buf[32];
    synth_store_format_time(t, buf, sizeof buf);
    return json_string(buf);
}

/* ---- open / close ------------------------------------------------------------------------ */

static int make_dir(const char *path, synth_err *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        char eb[128];
        return synth_err_set(err, SYNTH_IO, "cannot create directory %s: %s", path,
                             synth__strerror(errno, eb, sizeof eb));
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return synth_err_set(err, SYNTH_IO, "%s is not a directory", path);
    return 0;
}

static int read_version(synth_store *s, int *version, synth_err *err)
{
    sqlite3_stmt *st;
    int rc = prep(s, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &st, err);
    if (rc)
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return db_fail(s, "reading the schema version", err);
    }
    *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

static int migrate(synth_store *s, synth_err *err)
{
    int rc = exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)", err);
    if (rc)
        return rc;
    if ((rc = exec(s, "BEGIN IMMEDIATE", err)) != 0)
        return rc;
    int version = 0;
    if ((rc = read_version(s, &version, err)) != 0) {
        rollback(s);
        return rc;
    }
    if (version > SYNTH_STORE_SCHEMA_VERSION) {
        rollback(s);
        return synth_err_set(err, SYNTH_IO,
                             "store %s has schema version %d, newer than this synth understands (%d); "
                             "use a newer synth",
                             s->dir, version, SYNTH_STORE_SCHEMA_VERSION);
    }
    for (int v = version + 1; v <= NMIGRATIONS; v++) {
        if ((rc = exec(s, migrations[v - 1], err)) != 0) {
            rollback(s);
            return synth_err_prefix(err, "migration %d: ", v);
        }
        sqlite3_stmt *st;
        if ((rc = prep(s, "INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)", &st, err))) {
            rollback(s);
            return rc;
        }
        sqlite3_bind_int(st, 1, v);
        sqlite3_bind_int64(st, 2, now_s());
        if ((rc = step_done(s, st, "recording a migration", NULL, err)) != 0) {
            rollback(s);
            return rc;
        }
    }
    if ((rc = exec(s, "COMMIT", err)) != 0)
        rollback(s);
    return rc;
}

int synth_store_open(const char *data_dir, synth_store **out, synth_err *err)
{
    *out = NULL;
    if (data_dir == NULL || data_dir[0] == '\0')
        return synth_err_set(err, SYNTH_USAGE, "a data directory is required (--data-dir)");
    /* like mkdir -p: missing parents too (0700 each) */
    char path[4096];
    size_t dlen = strlen(data_dir);
    if (dlen >= sizeof path - 16)
        return synth_err_set(err, SYNTH_USAGE, "data directory path too long");
    memcpy(path, data_dir, dlen + 1);
    for (size_t i = 1; i < dlen; i++) {
        if (path[i] != '/')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            char eb[128];
            return synth_err_set(err, SYNTH_IO, "cannot create directory %s: %s", path,
                                 synth__strerror(errno, eb, sizeof eb));
        }
        path[i] = '/';
    }
    int rc = make_dir(data_dir, err);
    if (rc)
        return rc;
    static const char *const subdirs[] = {"datasets", "models", "outputs", "tmp"};
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s", data_dir, subdirs[i]) >= sizeof path)
            return synth_err_set(err, SYNTH_USAGE, "data directory path too long");
        if ((rc = make_dir(path, err)) != 0)
            return rc;
    }
    synth_store *s = synth_calloc(1, sizeof *s);
    if (s == NULL || (s->dir = synth_strdup(data_dir)) == NULL) {
        synth_free(s);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    pthread_mutex_init(&s->mu, NULL);
    snprintf(path, sizeof path, "%s/store.db", data_dir);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rc = synth_err_set(err, SYNTH_IO, "cannot open %s: %s", path,
                           s->db ? sqlite3_errmsg(s->db) : "out of memory");
        synth_store_close(s);
        return rc;
    }
    chmod(path, 0600);
    sqlite3_busy_timeout(s->db, 5000);
    sqlite3_extended_result_codes(s->db, 1);
    rc = exec(s, "PRAGMA journal_mode=WAL", err);
    if (rc == 0)
        rc = exec(s, "PRAGMA synchronous=NORMAL", err);
    if (rc == 0)
        rc = migrate(s, err);
    if (rc) {
        synth_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void synth_store_close(synth_store *s)
{
    if (s == NULL)
        return;
    sqlite3_finalize(s->key_lookup);
    if (s->db != NULL)
        sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    synth_free(s->dir);
    synth_free(s);
}

const char *synth_store_dir(const synth_store *s)
{
    return s->dir;
}

#define LOCK(s) pthread_mutex_lock(&(s)->mu)
#define UNLOCK(s) pthread_mutex_unlock(&(s)->mu)

int synth_store_ping(synth_store *s, synth_err *err)
{
    LOCK(s);
    int rc = exec(s, "SELECT 1 FROM schema_migrations LIMIT 1", err);
    UNLOCK(s);
    return rc;
}

int synth_store_schema_version(synth_store *s, int *version, synth_err *err)
{
    LOCK(s);
    int rc = read_version(s, version, err);
    UNLOCK(s);
    return rc;
}

/* ---- ids and paths ----------------------------------------------------------------------- */

int synth_store_new_id(const char *prefix, char out[SYNTH_ID_MAX], synth_err *err)
{
    unsigned char raw[8];
    size_t plen = strlen(prefix);
    if (plen + 17 > SYNTH_ID_MAX)
        return synth_err_set(err, SYNTH_INTERNAL, "id prefix too long");
    if (RAND_bytes(raw, sizeof raw) != 1)
        return synth_err_set(err, SYNTH_INTERNAL, "the random number generator failed");
    static const char hex[] = "0123456789abcdef";
    memcpy(out, prefix, plen);
    for (size_t i = 0; i < sizeof raw; i++) {
        out[plen + 2 * i] = hex[raw[i] >> 4];
        out[plen + 2 * i + 1] = hex[raw[i] & 15];
    }
    out[plen + 16] = '\0';
    return 0;
}

int synth_store_id_valid(const char *id, const char *prefix)
{
    if (id == NULL || prefix == NULL)
        return 0;
    size_t plen = strlen(prefix);
    if (strncmp(id, prefix, plen) != 0)
        return 0;
    const char *h = id + plen;
    for (int i = 0; i < 16; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return 0;
    return h[16] == '\0';
}

int synth_store_path(const synth_store *s, synth_store_file kind, const char *id, char *buf, size_t n,
                     synth_err *err)
{
    const char *prefix = NULL, *dir = NULL, *ext = NULL;
    switch (kind) {
    case SYNTH_FILE_DATASET: prefix = "ds_"; dir = "datasets"; ext = ".csv"; break;
    case SYNTH_FILE_MODEL: prefix = "md_"; dir = "models"; ext = ".synth"; break;
    case SYNTH_FILE_OUTPUT_CSV: prefix = "job_"; dir = "outputs"; ext = ".csv"; break;
    case SYNTH_FILE_OUTPUT_JSON: prefix = "job_"; dir = "outputs"; ext = ".json"; break;
    case SYNTH_FILE_OUTPUT_HTML: prefix = "job_"; dir = "outputs"; ext = ".html"; break;
    case SYNTH_FILE_TMP: dir = "tmp"; ext = ".part"; break;
    }
    if (dir == NULL)
        return synth_err_set(err, SYNTH_INTERNAL, "unknown store file kind %d", (int)kind);
    int ok = prefix != NULL ? synth_store_id_valid(id, prefix)
                            : (synth_store_id_valid(id, "ds_") || synth_store_id_valid(id, "md_") ||
                               synth_store_id_valid(id, "job_") || synth_store_id_valid(id, "key_") ||
                               synth_store_id_valid(id, "up_"));
    if (!ok)
        return synth_err_set(err, SYNTH_BAD_INPUT, "not a valid %sid", prefix != NULL ? prefix : "");
    if ((size_t)snprintf(buf, n, "%s/%s/%s%s", s->dir, dir, id, ext) >= n)
        return synth_err_set(err, SYNTH_INTERNAL, "path buffer too small");
    return 0;
}

static void unlink_file(synth_store *s, synth_store_file kind, const char *id)
{
    char path[4096];
    if (synth_store_path(s, kind, id, path, sizeof path, NULL) == 0)
        unlink(path);
}

int synth_store_sweep_temp(synth_store *s, uint64_t *removed, synth_err *err)
{
    static const char *const dirs[] = {"datasets", "models", "outputs", "tmp"};
    uint64_t n = 0;
    char path[4096];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        int all = strcmp(dirs[i], "tmp") == 0;
        snprintf(path, sizeof path, "%s/%s", s->dir, dirs[i]);
        DIR *d = opendir(path);
        if (d == NULL) {
            char eb[128];
            return synth_err_set(err, SYNTH_IO, "cannot read directory %s: %s", path,
                                 synth__strerror(errno, eb, sizeof eb));
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (!all && !(e->d_name[0] == '.' && strstr(e->d_name, ".tmp-") != NULL))
                continue;
            if (unlinkat(dirfd(d), e->d_name, 0) == 0)
                n++;
        }
        closedir(d);
    }
    if (removed != NULL)
        *removed = n;
    return 0;
}

/* ---- datasets ---------------------------------------------------------------------------- */

#define DS_COLS "id, name, key_id, bytes, rows, columns, created_at"

static void ds_row(sqlite3_stmt *st, synth_dataset *d)
{
    col_text(st, 0, d->id, sizeof d->id);
    col_text(st, 1, d->name, sizeof d->name);
    col_text(st, 2, d->key_id, sizeof d->key_id);
    d->bytes = (uint64_t)sqlite3_column_int64(st, 3);
    d->rows = (uint64_t)sqlite3_column_int64(st, 4);
    d->columns = (uint32_t)sqlite3_column_int64(st, 5);
    d->created_at = sqlite3_column_int64(st, 6);
}

int synth_store_dataset_insert(synth_store *s, synth_dataset *ds, synth_err *err)
{
    if (!synth_store_id_valid(ds->id, "ds_"))
        return synth_err_set(err, SYNTH_BAD_INPUT, "dataset id is not valid");
    if (!text_ok(ds->name, SYNTH_NAME_MAX))
        return synth_err_set(err, SYNTH_BAD_INPUT,
                             "field 'name': must be 1-255 bytes of UTF-8 without control characters");
    if (ds->created_at == 0)
        ds->created_at = now_s();
    char file[64];
    snprintf(file, sizeof file, "datasets/%s.csv", ds->id);
    LOCK(s);
    sqlite3_stmt *st;
    int rc = prep(s, "INSERT INTO datasets(id, name, file, bytes, rows, columns, key_id, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &st, err);
    if (rc == 0) {
        bind_text(st, 1, ds->id);
        bind_text(st, 2, ds->name);
        bind_text(st, 3, file);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)ds->bytes);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)ds->rows);
        sqlite3_bind_int64(st, 6, ds->columns);
        bind_text(st, 7, ds->key_id[0] ? ds->key_id : NULL);
        sqlite3_bind_int64(st, 8, ds->created_at);
        rc = step_done(s, st, "inserting a dataset", NULL, err);
    }
    UNLOCK(s);
    return rc;
}

/* Fetch one row by id with an owner filter; 0, NOT_FOUND or an error.  Caller holds the lock. */
static int get_one(synth_store *s, const char *sql, const char *id, const char *owner, sqlite3_stmt **out,
                   synth_err *err)
{
    *out = NULL;
    sqlite3_stmt *st;
    int rc = prep(s, sql, &st, err);
    if (rc)
        return rc;
    bind_text(st, 1, id);
    bind_text(st, 2, owner);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = st;
        return 0;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return SYNTH_STORE_NOT_FOUND;
    return db_fail(s, "lookup", err);
}

static int not_found(synth_err *err, const char *what, const char *id)
{
    synth_err_set(err, SYNTH_OK, "%s %.40s not found", what, id != NULL ? id : "");
    return SYNTH_STORE_NOT_FOUND;
}

int synth_store_dataset_get(synth_store *s, const char *id, const char *owner, synth_dataset *out,
                            synth_err *err)
{
    if (!synth_store_id_valid(id, "ds_"))
        return not_found(err, "dataset", id);
    LOCK(s);
    sqlite3_stmt *st;
    int rc = get_one(s, "SELECT " DS_COLS " FROM datasets WHERE id = ?1 AND (?2 IS NULL OR key_id = ?2)", id,
                     owner, &st, err);
    if (rc == 0) {
        ds_row(st, out);
        sqlite3_finalize(st);
    }
    UNLOCK(s);
    return rc == SYNTH_STORE_NOT_FOUND ? not_found(err, "dataset", id) : rc;
}

static size_t clamp_limit(size_t limit)
{
    return limit == 0 ? 100 : limit > 1000 ? 1000 : limit;
}

/* Run a list query (?1 = owner, ?2 = limit, optional ?3 = int filter) filling an array of
 * elem_size records with fill(). */
static int list_query(synth_store *s, const char *sql, const char *owner, size_t limit, int use3, int v3,
                      size_t elem_size, void (*fill)(sqlite3_stmt *, void *), void **out, size_t *n,
                      synth_err *err)
{
    *out = NULL;
    *n = 0;
    limit = clamp_limit(limit);
    sqlite3_stmt *st;
    LOCK(s);
    int rc = prep(s, sql, &st, err);
    if (rc) {
        UNLOCK(s);
        return rc;
    }
    bind_text(st, 1, owner);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    if (use3)
        sqlite3_bind_int(st, 3, v3);
    char *arr = NULL;
    size_t cap = 0, cnt = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char *na = synth_reallocarray(arr, ncap, elem_size);
            if (na == NULL) {
                sqlite3_finalize(st);
                UNLOCK(s);
                synth_free(arr);
                return synth_err_set(err, SYNTH_NOMEM, "out of memory");
            }
            arr = na;
            cap = ncap;
        }
        memset(arr + cnt * elem_size, 0, elem_size);
        fill(st, arr + cnt * elem_size);
        cnt++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        rc = db_fail(s, "list", err);
        UNLOCK(s);
        synth_free(arr);
        return rc;
    }
    UNLOCK(s);
    *out = arr;
    *n = cnt;
    return 0;
}

static void ds_fill(sqlite3_stmt *st, void *p)
{
    ds_row(st, p);
}

int synth_store_dataset_list(synth_store *s, const char *owner, size_t limit, synth_dataset **out, size_t *n,
                             synth_err *err)
{
    void *arr;
    int rc = list_query(s, "SELECT " DS_COLS " FROM datasets WHERE (?1 IS NULL OR key_id = ?1) "
                           "ORDER BY rowid DESC LIMIT ?2", owner, limit, 0, 0, sizeof(synth_dataset),
                        ds_fill, &arr, n, err);
    *out = arr;
    return rc;
}

/* Count rows of a one-number query binding ?1 (and ?2 when b is not NULL).  Caller holds lock. */
static int count_query(synth_store *s, const char *sql, const char *a, const char *b, int64_t *count,
                       synth_err *err)
{
    sqlite3_stmt *st;
    int rc = prep(s, sql, &st, err);
    if (rc)
        return rc;
    bind_text(st, 1, a);
    if (b != NULL)
        bind_text(st, 2, b);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return db_fail(s, "count", err);
    }
    *count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

#define ACTIVE "state IN ('queued','running')"

/* Delete a row (table by sql) after checks; shared by datasets and models. */
static int delete_checked(synth_store *s, const char *what, const char *id, const char *owner,
                          const char *exists_sql, const char *const *uses_sql, const char *const *uses_what,
                          const char *delete_sql, synth_err *err)
{
    int rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    int64_t c = 0;
    if ((rc = count_query(s, exists_sql, id, owner, &c, err)) != 0)
        goto fail;
    if (c == 0) {
        rollback(s);
        return not_found(err, what, id);
    }
    for (size_t i = 0; uses_sql[i] != NULL; i++) {
        if ((rc = count_query(s, uses_sql[i], id, NULL, &c, err)) != 0)
            goto fail;
        if (c > 0) {
            rollback(s);
            synth_err_set(err, SYNTH_OK, "%s %s is in use by %lld %s", what, id, (long long)c, uses_what[i]);
            return SYNTH_STORE_CONFLICT;
        }
    }
    sqlite3_stmt *st;
    if ((rc = prep(s, delete_sql, &st, err)) != 0)
        goto fail;
    bind_text(st, 1, id);
    if ((rc = step_done(s, st, "delete", NULL, err)) != 0)
        goto fail;
    if ((rc = exec(s, "COMMIT", err)) != 0)
        goto fail;
    return 0;
fail:
    rollback(s);
    return rc;
}

int synth_store_dataset_delete(synth_store *s, const char *id, const char *owner, synth_err *err)
{
    if (!synth_store_id_valid(id, "ds_"))
        return not_found(err, "dataset", id);
    static const char *const uses[] = {
        "SELECT COUNT(*) FROM models WHERE dataset_id = ?1",
        "SELECT COUNT(*) FROM jobs WHERE " ACTIVE " AND json_valid(params_json) AND "
        "(json_extract(params_json, '$.dataset_id') = ?1 OR "
        " json_extract(params_json, '$.holdout_dataset_id') = ?1)",
        NULL,
    };
    static const char *const uses_what[] = {"model(s)", "queued or running job(s)"};
    LOCK(s);
    int rc = delete_checked(s, "dataset", id, owner,
                            "SELECT COUNT(*) FROM datasets WHERE id = ?1 AND (?2 IS NULL OR key_id = ?2)", uses,
                            uses_what, "DELETE FROM datasets WHERE id = ?1", err);
    if (rc == 0)
        unlink_file(s, SYNTH_FILE_DATASET, id);
    UNLOCK(s);
    return rc;
}

json_t *synth_dataset_json(const synth_dataset *ds)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}", "id", ds->id, "name", ds->name, "rows",
                     (json_int_t)ds->rows, "columns", (json_int_t)ds->columns, "bytes", (json_int_t)ds->bytes,
                     "created_at", time_json(ds->created_at));
}

/* ---- models ------------------------------------------------------------------------------ */

#define MD_COLS "id, dataset_id, generator, params_json, key_id, job_id, created_at"

static void md_row(sqlite3_stmt *st, synth_model_rec *m)
{
    col_text(st, 0, m->id, sizeof m->id);
    col_text(st, 1, m->dataset_id, sizeof m->dataset_id);
    col_text(st, 2, m->generator, sizeof m->generator);
    col_text(st, 3, m->params_json, sizeof m->params_json);
    col_text(st, 4, m->key_id, sizeof m->key_id);
    col_text(st, 5, m->job_id, sizeof m->job_id);
    m->created_at = sqlite3_column_int64(st, 6);
}

int synth_store_model_insert(synth_store *s, synth_model_rec *m, synth_err *err)
{
    if (!synth_store_id_valid(m->id, "md_"))
        return synth_err_set(err, SYNTH_BAD_INPUT, "model id is not valid");
    if (m->created_at == 0)
        m->created_at = now_s();
    if (m->params_json[0] == '\0')
        memcpy(m->params_json, "{}", 3);
    char file[64];
    snprintf(file, sizeof file, "models/%s.synth", m->id);
    LOCK(s);
    sqlite3_stmt *st;
    /* INSERT OR REPLACE: a fit job re-run after a crash rewrites its own model. */
    int rc = prep(s, "INSERT OR REPLACE INTO models(id, dataset_id, generator, file, params_json, key_id, "
                     "job_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &st, err);
    if (rc == 0) {
        bind_text(st, 1, m->id);
        bind_text(st, 2, m->dataset_id);
        bind_text(st, 3, m->generator);
        bind_text(st, 4, file);
        bind_text(st, 5, m->params_json);
        bind_text(st, 6, m->key_id[0] ? m->key_id : NULL);
        bind_text(st, 7, m->job_id[0] ? m->job_id : NULL);
        sqlite3_bind_int64(st, 8, m->created_at);
        rc = step_done(s, st, "inserting a model", NULL, err);
    }
    UNLOCK(s);
    return rc;
}

int synth_store_model_get(synth_store *s, const char *id, const char *owner, synth_model_rec *out,
                          synth_err *err)
{
    if (!synth_store_id_valid(id, "md_"))
        return not_found(err, "model", id);
    LOCK(s);
    sqlite3_stmt *st;
    int rc = get_one(s, "SELECT " MD_COLS " FROM models WHERE id = ?1 AND (?2 IS NULL OR key_id = ?2)", id,
                     owner, &st, err);
    if (rc == 0) {
        md_row(st, out);
        sqlite3_finalize(st);
    }
    UNLOCK(s);
    return rc == SYNTH_STORE_NOT_FOUND ? not_found(err, "model", id) : rc;
}

static void md_fill(sqlite3_stmt *st, void *p)
{
    md_row(st, p);
}

int synth_store_model_list(synth_store *s, const char *owner, size_t limit, synth_model_rec **out, size_t *n,
                           synth_err *err)
{
    void *arr;
    int rc = list_query(s, "SELECT " MD_COLS " FROM models WHERE (?1 IS NULL OR key_id = ?1) "
                           "ORDER BY rowid DESC LIMIT ?2", owner, limit, 0, 0, sizeof(synth_model_rec),
                        md_fill, &arr, n, err);
    *out = arr;
    return rc;
}

int synth_store_model_delete(synth_store *s, const char *id, const char *owner, synth_err *err)
{
    if (!synth_store_id_valid(id, "md_"))
        return not_found(err, "model", id);
    static const char *const uses[] = {
        "SELECT COUNT(*) FROM jobs WHERE " ACTIVE " AND json_valid(params_json) AND "
        "json_extract(params_json, '$.model_id') = ?1",
        NULL,
    };
    static const char *const uses_what[] = {"queued or running job(s)"};
    LOCK(s);
    int rc = delete_checked(s, "model", id, owner,
                            "SELECT COUNT(*) FROM models WHERE id = ?1 AND (?2 IS NULL OR key_id = ?2)", uses,
                            uses_what, "DELETE FROM models WHERE id = ?1", err);
    if (rc == 0)
        unlink_file(s, SYNTH_FILE_MODEL, id);
    UNLOCK(s);
    return rc;
}

json_t *synth_model_json(const synth_model_rec *m)
{
    json_t *params = json_loads(m->params_json, 0, NULL);
    if (params == NULL)
        params = json_object();
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "id", m->id, "dataset_id", m->dataset_id, "generator",
                     m->generator, "params", params, "job_id", m->job_id[0] ? json_string(m->job_id) : json_null(),
                     "created_at", time_json(m->created_at));
}

/* ---- jobs -------------------------------------------------------------------------------- */

static const char *const kind_names[] = {"fit", "generate", "validate"};
static const char *const state_names[] = {"queued", "running", "succeeded", "failed", "cancelled"};

const char *synth_job_kind_name(synth_job_kind k)
{
    return (unsigned)k < 3 ? kind_names[k] : "unknown";
}

const char *synth_job_state_name(synth_job_state st)
{
    return (unsigned)st < SYNTH_JOB_NSTATES ? state_names[st] : "unknown";
}

int synth_job_kind_parse(const char *name)
{
    for (int i = 0; name != NULL && i < 3; i++)
        if (strcmp(name, kind_names[i]) == 0)
            return i;
    return -1;
}

int synth_job_state_parse(const char *name)
{
    for (int i = 0; name != NULL && i < SYNTH_JOB_NSTATES; i++)
        if (strcmp(name, state_names[i]) == 0)
            return i;
    return -1;
}

#define JOB_COLS "id, kind, state, params_json, progress, result_json, error, key_id, idempotency_key, " \
                 "created_at, started_at, finished_at, attempts, cancel_requested"

static void job_row(sqlite3_stmt *st, synth_job *j)
{
    char tmp[16];
    col_text(st, 0, j->id, sizeof j->id);
    col_text(st, 1, tmp, sizeof tmp);
    int k = synth_job_kind_parse(tmp);
    j->kind = k < 0 ? SYNTH_JOB_FIT : (synth_job_kind)k;
    col_text(st, 2, tmp, sizeof tmp);
    int sv = synth_job_state_parse(tmp);
    j->state = sv < 0 ? SYNTH_JOB_FAILED : (synth_job_state)sv;
    col_text(st, 3, j->params_json, sizeof j->params_json);
    j->progress = sqlite3_column_double(st, 4);
    col_text(st, 5, j->result_json, sizeof j->result_json);
    col_text(st, 6, j->error, sizeof j->error);
    col_text(st, 7, j->key_id, sizeof j->key_id);
    col_text(st, 8, j->idempotency_key, sizeof j->idempotency_key);
    j->created_at = sqlite3_column_int64(st, 9);
    j->started_at = sqlite3_column_int64(st, 10);
    j->finished_at = sqlite3_column_int64(st, 11);
    j->attempts = sqlite3_column_int(st, 12);
    j->cancel_requested = sqlite3_column_int(st, 13);
}

static void job_fill(sqlite3_stmt *st, void *p)
{
    job_row(st, p);
}

/* Caller holds the lock.  owner NULL = any. */
static int job_get_locked(synth_store *s, const char *id, const char *owner, synth_job *out, synth_err *err)
{
    sqlite3_stmt *st;
    int rc = get_one(s, "SELECT " JOB_COLS " FROM jobs WHERE id = ?1 AND (?2 IS NULL OR key_id = ?2)", id, owner,
                     &st, err);
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        job_row(st, out);
        sqlite3_finalize(st);
    }
    return rc;
}

/* Canonical compact JSON with sorted keys; new string (synth_free) or an error. */
static int canonical_json(const char *text, char **out, synth_err *err)
{
    json_error_t je;
    json_t *v = json_loads(text != NULL ? text : "", JSON_REJECT_DUPLICATES, &je);
    if (v == NULL)
        return synth_err_set(err, SYNTH_BAD_INPUT, "job parameters are not valid JSON: %s", je.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return synth_err_set(err, SYNTH_BAD_INPUT, "job parameters must be a JSON object");
    }
    char *d = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    if (d == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    size_t len = strlen(d);
    if (len >= SYNTH_JSON_MAX) {
        free(d); /* jansson's allocator */
        return synth_err_set(err, SYNTH_BAD_INPUT, "job parameters too large (%zu bytes; at most %d)", len,
                             SYNTH_JSON_MAX - 1);
    }
    *out = synth_strdup(d);
    free(d);
    return *out == NULL ? synth_err_set(err, SYNTH_NOMEM, "out of memory") : 0;
}

static int job_create_locked(synth_store *s, synth_job_kind kind, const char *params, const char *key_id,
                             const char *idem, unsigned max_active, synth_job *out, int *existed, synth_err *err)
{
    int64_t c = 0;
    int rc;
    if (idem != NULL) {
        sqlite3_stmt *st;
        rc = get_one(s, "SELECT " JOB_COLS " FROM jobs WHERE idempotency_key = ?1 AND key_id IS ?2", idem,
                     key_id, &st, err);
        if (rc == 0) {
            memset(out, 0, sizeof *out);
            job_row(st, out);
            sqlite3_finalize(st);
            if (out->kind == kind && strcmp(out->params_json, params) == 0) {
                *existed = 1;
                return 0;
            }
            synth_err_set(err, SYNTH_OK, "Idempotency-Key was already used for job %s with a different request",
                          out->id);
            return SYNTH_STORE_CONFLICT;
        }
        if (rc != SYNTH_STORE_NOT_FOUND)
            return rc;
    }
    if (max_active > 0) {
        if ((rc = count_query(s, "SELECT COUNT(*) FROM jobs WHERE key_id IS ?1 AND " ACTIVE, key_id, NULL, &c,
                              err)) != 0)
            return rc;
        if (c >= (int64_t)max_active) {
            synth_err_set(err, SYNTH_OK, "this key already has %lld queued or running jobs (limit %u)",
                          (long long)c, max_active);
            return SYNTH_STORE_LIMIT;
        }
    }
    char id[SYNTH_ID_MAX];
    if ((rc = synth_store_new_id("job_", id, err)) != 0)
        return rc;
    sqlite3_stmt *st;
    if ((rc = prep(s, "INSERT INTO jobs(id, kind, state, params_json, key_id, idempotency_key, created_at) "
                      "VALUES (?, ?, 'queued', ?, ?, ?, ?)", &st, err)) != 0)
        return rc;
    bind_text(st, 1, id);
    bind_text(st, 2, synth_job_kind_name(kind));
    bind_text(st, 3, params);
    bind_text(st, 4, key_id);
    bind_text(st, 5, idem);
    sqlite3_bind_int64(st, 6, now_s());
    if ((rc = step_done(s, st, "inserting a job", NULL, err)) != 0)
        return rc;
    *existed = 0;
    return job_get_locked(s, id, NULL, out, err);
}

int synth_store_job_create(synth_store *s, synth_job_kind kind, const char *params_json, const char *key_id,
                           const char *idem_key, unsigned max_active, synth_job *out, int *existed,
                           synth_err *err)
{
    int dummy;
    if (existed == NULL)
        existed = &dummy;
    *existed = 0;
    if ((unsigned)kind > SYNTH_JOB_VALIDATE)
        return synth_err_set(err, SYNTH_INTERNAL, "unknown job kind %d", (int)kind);
    if (idem_key != NULL && idem_key[0] == '\0')
        idem_key = NULL;
    if (idem_key != NULL && !text_ok(idem_key, SYNTH_IDEM_MAX))
        return synth_err_set(err, SYNTH_BAD_INPUT,
                             "Idempotency-Key must be 1-255 bytes of UTF-8 without control characters");
    if (key_id != NULL && key_id[0] == '\0')
        key_id = NULL;
    char *params = NULL;
    int rc = canonical_json(params_json, &params, err);
    if (rc)
        return rc;
    LOCK(s);
    rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc == 0) {
        rc = job_create_locked(s, kind, params, key_id, idem_key, max_active, out, existed, err);
        if (rc == 0)
            rc = exec(s, "COMMIT", err);
        if (rc != 0)
            rollback(s);
    }
    UNLOCK(s);
    synth_free(params);
    return rc;
}

int synth_store_job_get(synth_store *s, const char *id, const char *owner, synth_job *out, synth_err *err)
{
    if (!synth_store_id_valid(id, "job_"))
        return not_found(err, "job", id);
    LOCK(s);
    int rc = job_get_locked(s, id, owner, out, err);
    UNLOCK(s);
    return rc == SYNTH_STORE_NOT_FOUND ? not_found(err, "job", id) : rc;
}

int synth_store_job_list(synth_store *s, const char *owner, int state_filter, size_t limit, synth_job **out,
                         size_t *n, synth_err *err)
{
    void *arr;
    int rc;
    if (state_filter >= 0 && state_filter < SYNTH_JOB_NSTATES) {
        /* the state name is bound as text through a CASE on ?3 */
        rc = list_query(s, "SELECT " JOB_COLS " FROM jobs WHERE (?1 IS NULL OR key_id = ?1) AND state = "
                           "CASE ?3 WHEN 0 THEN 'queued' WHEN 1 THEN 'running' WHEN 2 THEN 'succeeded' "
                           "WHEN 3 THEN 'failed' ELSE 'cancelled' END ORDER BY rowid DESC LIMIT ?2",
                        owner, limit, 1, state_filter, sizeof(synth_job), job_fill, &arr, n, err);
    } else {
        rc = list_query(s, "SELECT " JOB_COLS " FROM jobs WHERE (?1 IS NULL OR key_id = ?1) "
                           "ORDER BY rowid DESC LIMIT ?2", owner, limit, 0, 0, sizeof(synth_job), job_fill, &arr,
                        n, err);
    }
    *out = arr;
    return rc;
}

/* UPDATE with ?1 = id and optional ?2 = int64; caller holds the lock. */
static int update_id(synth_store *s, const char *sql, const char *id, int64_t v2, int *changes, synth_err *err)
{
    sqlite3_stmt *st;
    int rc = prep(s, sql, &st, err);
    if (rc)
        return rc;
    bind_text(st, 1, id);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, v2);
    return step_done(s, st, "updating a job", changes, err);
}

int synth_store_job_cancel(synth_store *s, const char *id, const char *owner, synth_job *out, synth_err *err)
{
    if (!synth_store_id_valid(id, "job_"))
        return not_found(err, "job", id);
    LOCK(s);
    synth_job cur;
    int rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc == 0)
        rc = job_get_locked(s, id, owner, &cur, err);
    if (rc == 0 && cur.state == SYNTH_JOB_QUEUED)
        rc = update_id(s, "UPDATE jobs SET state = 'cancelled', error = 'cancelled', finished_at = ?2 "
                          "WHERE id = ?1 AND state = 'queued'", id, now_s(), NULL, err);
    else if (rc == 0 && cur.state == SYNTH_JOB_RUNNING)
        rc = update_id(s, "UPDATE jobs SET cancel_requested = 1 WHERE id = ?1 AND state = 'running'", id, 0, NULL,
                       err);
    if (rc == 0)
        rc = job_get_locked(s, id, NULL, out, err);
    if (rc == 0)
        rc = exec(s, "COMMIT", err);
    if (rc != 0)
        rollback(s);
    UNLOCK(s);
    return rc == SYNTH_STORE_NOT_FOUND ? not_found(err, "job", id) : rc;
}

int synth_store_job_counts(synth_store *s, uint64_t counts[SYNTH_JOB_NSTATES], synth_err *err)
{
    memset(counts, 0, sizeof(uint64_t) * SYNTH_JOB_NSTATES);
    LOCK(s);
    sqlite3_stmt *st;
    int rc = prep(s, "SELECT state, COUNT(*) FROM jobs GROUP BY state", &st, err);
    if (rc == 0) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int k = synth_job_state_parse((const char *)sqlite3_column_text(st, 0));
            if (k >= 0)
                counts[k] = (uint64_t)sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        rc = rc == SQLITE_DONE ? 0 : db_fail(s, "counting jobs", err);
    }
    UNLOCK(s);
    return rc;
}

int synth_store_job_active(synth_store *s, const char *key_id, uint64_t *n, synth_err *err)
{
    int64_t c = 0;
    LOCK(s);
    int rc = count_query(s, "SELECT COUNT(*) FROM jobs WHERE key_id IS ?1 AND " ACTIVE, key_id, NULL, &c, err);
    UNLOCK(s);
    *n = (uint64_t)c;
    return rc;
}

int synth_store_job_claim(synth_store *s, synth_job *out, synth_err *err)
{
    LOCK(s);
    int rc = exec(s, "BEGIN IMMEDIATE", err);
    char id[SYNTH_ID_MAX] = "";
    if (rc == 0) {
        sqlite3_stmt *st;
        rc = prep(s, "SELECT id FROM jobs WHERE state = 'queued' ORDER BY rowid LIMIT 1", &st, err);
        if (rc == 0) {
            int sr = sqlite3_step(st);
            if (sr == SQLITE_ROW)
                col_text(st, 0, id, sizeof id);
            else if (sr != SQLITE_DONE)
                rc = db_fail(s, "claiming a job", err);
            sqlite3_finalize(st);
        }
        if (rc == 0 && id[0] == '\0')
            rc = SYNTH_STORE_NOT_FOUND;
        if (rc == 0)
            rc = update_id(s, "UPDATE jobs SET state = 'running', started_at = ?2, attempts = attempts + 1, "
                              "progress = 0 WHERE id = ?1", id, now_s(), NULL, err);
        if (rc == 0)
            rc = job_get_locked(s, id, NULL, out, err);
        if (rc == 0)
            rc = exec(s, "COMMIT", err);
        if (rc != 0)
            rollback(s);
    }
    UNLOCK(s);
    return rc;
}

int synth_store_job_progress(synth_store *s, const char *id, double progress, synth_err *err)
{
    if (!(progress >= 0))
        progress = 0;
    if (progress > 1)
        progress = 1;
    LOCK(s);
    sqlite3_stmt *st;
    int rc = prep(s, "UPDATE jobs SET progress = ?2 WHERE id = ?1 AND state = 'running'", &st, err);
    if (rc == 0) {
        bind_text(st, 1, id);
        sqlite3_bind_double(st, 2, progress);
        rc = step_done(s, st, "updating progress", NULL, err);
    }
    UNLOCK(s);
    return rc;
}

int synth_store_job_cancel_requested(synth_store *s, const char *id)
{
    int64_t c = 0;
    LOCK(s);
    int rc = count_query(s, "SELECT COUNT(*) FROM jobs WHERE id = ?1 AND cancel_requested = 1", id, NULL, &c, NULL);
    UNLOCK(s);
    return rc == 0 && c > 0;
}

int synth_store_job_finish(synth_store *s, const char *id, synth_job_state state, const char *result_json,
                           const char *error, synth_err *err)
{
    if (state != SYNTH_JOB_SUCCEEDED && state != SYNTH_JOB_FAILED && state != SYNTH_JOB_CANCELLED)
        return synth_err_set(err, SYNTH_INTERNAL, "finish needs a terminal state");
    LOCK(s);
    sqlite3_stmt *st;
    int rc = prep(s, "UPDATE jobs SET state = ?2, result_json = ?3, error = ?4, finished_at = ?5, "
                     "progress = CASE WHEN ?2 = 'succeeded' THEN 1 ELSE progress END "
                     "WHERE id = ?1 AND state = 'running'", &st, err);
    if (rc == 0) {
        bind_text(st, 1, id);
        bind_text(st, 2, synth_job_state_name(state));
        bind_text(st, 3, result_json);
        bind_text(st, 4, error);
        sqlite3_bind_int64(st, 5, now_s());
        rc = step_done(s, st, "finishing a job", NULL, err);
    }
    UNLOCK(s);
    return rc;
}

int synth_store_job_requeue(synth_store *s, const char *id, synth_err *err)
{
    LOCK(s);
    int rc = update_id(s, "UPDATE jobs SET state = 'queued', started_at = NULL, progress = 0, "
                          "attempts = MAX(attempts - 1, 0) WHERE id = ?1 AND state = 'running'", id, 0, NULL, err);
    UNLOCK(s);
    return rc;
}

int synth_store_job_recover(synth_store *s, int max_attempts, uint64_t *requeued, uint64_t *failed,
                            synth_err *err)
{
    int n_cancel = 0, n_failed = 0, n_requeued = 0;
    LOCK(s);
    int rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc == 0)
        rc = update_id(s, "UPDATE jobs SET state = 'cancelled', error = 'cancelled', finished_at = ?2 "
                          "WHERE state = 'running' AND cancel_requested = 1", "", now_s(), &n_cancel, err);
    if (rc == 0) {
        sqlite3_stmt *st;
        rc = prep(s, "UPDATE jobs SET state = 'failed', finished_at = ?2, error = 'abandoned after ' || attempts "
                     "|| ' attempts: the server stopped while the job was running' "
                     "WHERE state = 'running' AND attempts >= ?1", &st, err);
        if (rc == 0) {
            sqlite3_bind_int(st, 1, max_attempts);
            sqlite3_bind_int64(st, 2, now_s());
            rc = step_done(s, st, "recovering jobs", &n_failed, err);
        }
    }
    if (rc == 0)
        rc = update_id(s, "UPDATE jobs SET state = 'queued', started_at = NULL, progress = 0 "
                          "WHERE state = 'running' AND ?1 = ?1", "", 0, &n_requeued, err);
    if (rc == 0)
        rc = exec(s, "COMMIT", err);
    if (rc != 0)
        rollback(s);
    UNLOCK(s);
    if (requeued != NULL)
        *requeued = (uint64_t)n_requeued;
    if (failed != NULL)
        *failed = (uint64_t)n_failed;
    return rc;
}

json_t *synth_job_json(const synth_job *job)
{
    json_t *params = json_loads(job->params_json, 0, NULL);
    json_t *result = job->result_json[0] ? json_loads(job->result_json, 0, NULL) : NULL;
    return json_pack("{s:s, s:s, s:s, s:f, s:o, s:o, s:o, s:i, s:o, s:o, s:o}", "id", job->id, "kind",
                     synth_job_kind_name(job->kind), "state", synth_job_state_name(job->state), "progress",
                     job->progress, "params", params ? params : json_object(), "result",
                     result ? result : json_null(), "error", job->error[0] ? json_string(job->error) : json_null(),
                     "attempts", job->attempts, "created_at", time_json(job->created_at), "started_at",
                     time_json(job->started_at), "finished_at", time_json(job->finished_at));
}

/* ---- API keys ---------------------------------------------------------------------------- */

#define KEY_COLS "id, name, prefix, scopes, created_at, revoked_at"

static void key_row(sqlite3_stmt *st, synth_key_info *k)
{
    col_text(st, 0, k->id, sizeof k->id);
    col_text(st, 1, k->name, sizeof k->name);
    col_text(st, 2, k->prefix, sizeof k->prefix);
    k->scopes = (unsigned)sqlite3_column_int(st, 3);
    k->created_at = sqlite3_column_int64(st, 4);
    k->revoked_at = sqlite3_column_int64(st, 5);
}

static void key_fill(sqlite3_stmt *st, void *p)
{
    key_row(st, p);
}

int synth_store_key_insert(synth_store *s, const synth_key_info *k, const char *hash_hex, synth_err *err)
{
    if (!synth_store_id_valid(k->id, "key_"))
        return synth_err_set(err, SYNTH_BAD_INPUT, "key id is not valid");
    if (!text_ok(k->name, SYNTH_NAME_MAX))
        return synth_err_set(err, SYNTH_BAD_INPUT,
                             "field 'name': must be 1-255 bytes of UTF-8 without control characters");
    LOCK(s);
    sqlite3_stmt *st;
    int rc = prep(s, "INSERT INTO api_keys(id, name, prefix, hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                  &st, err);
    if (rc == 0) {
        bind_text(st, 1, k->id);
        bind_text(st, 2, k->name);
        bind_text(st, 3, k->prefix);
        bind_text(st, 4, hash_hex);
        sqlite3_bind_int(st, 5, (int)k->scopes);
        sqlite3_bind_int64(st, 6, k->created_at ? k->created_at : now_s());
        int sr = sqlite3_step(st);
        int ext = sqlite3_extended_errcode(s->db);
        sqlite3_finalize(st);
        if (sr == SQLITE_CONSTRAINT || ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
            synth_err_set(err, SYNTH_OK, "key prefix already in use");
            rc = SYNTH_STORE_CONFLICT;
        } else if (sr != SQLITE_DONE) {
            rc = db_fail(s, "inserting a key", err);
        }
    }
    UNLOCK(s);
    return rc;
}

int synth_store_key_by_prefix(synth_store *s, const char *prefix, synth_key_info *out, char hash_hex[65],
                              synth_err *err)
{
    int rc = 0;
    LOCK(s);
    if (s->key_lookup == NULL &&
        sqlite3_prepare_v3(s->db, "SELECT " KEY_COLS ", hash FROM api_keys WHERE prefix = ?1", -1,
                           SQLITE_PREPARE_PERSISTENT, &s->key_lookup, NULL) != SQLITE_OK) {
        s->key_lookup = NULL;
        rc = db_fail(s, "prepare", err);
    }
    if (rc == 0) {
        sqlite3_stmt *st = s->key_lookup;
        bind_text(st, 1, prefix);
        int sr = sqlite3_step(st);
        if (sr == SQLITE_ROW) {
            memset(out, 0, sizeof *out);
            key_row(st, out);
            col_text(st, 6, hash_hex, 65);
        } else {
            rc = sr == SQLITE_DONE ? SYNTH_STORE_NOT_FOUND : db_fail(s, "key lookup", err);
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    UNLOCK(s);
    return rc == SYNTH_STORE_NOT_FOUND ? not_found(err, "key", "") : rc;
}

int synth_store_key_get(synth_store *s, const char *id_or_prefix, synth_key_info *out, synth_err *err)
{
    LOCK(s);
    sqlite3_stmt *st;
    int rc = get_one(s, "SELECT " KEY_COLS " FROM api_keys WHERE (id = ?1 OR prefix = ?1) AND ?2 IS NULL",
                     id_or_prefix, NULL, &st, err);
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        key_row(st, out);
        sqlite3_finalize(st);
    }
    UNLOCK(s);
    return rc == SYNTH_STORE_NOT_FOUND ? not_found(err, "key", id_or_prefix) : rc;
}

int synth_store_key_list(synth_store *s, synth_key_info **out, size_t *n, synth_err *err)
{
    void *arr;
    int rc = list_query(s, "SELECT " KEY_COLS " FROM api_keys WHERE ?1 IS NULL ORDER BY rowid LIMIT ?2", NULL,
                        1000, 0, 0, sizeof(synth_key_info), key_fill, &arr, n, err);
    *out = arr;
    return rc;
}

int synth_store_key_revoke(synth_store *s, const char *id_or_prefix, synth_key_info *out, synth_err *err)
{
    LOCK(s);
    int rc = update_id(s, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1 OR prefix = ?1",
                       id_or_prefix, now_s(), NULL, err);
    sqlite3_stmt *st;
    if (rc == 0)
        rc = get_one(s, "SELECT " KEY_COLS " FROM api_keys WHERE (id = ?1 OR prefix = ?1) AND ?2 IS NULL",
                     id_or_prefix, NULL, &st, err);
    if (rc == 0) {
        synth_key_info k;
        memset(&k, 0, sizeof k);
        key_row(st, &k);
        sqlite3_finalize(st);
        if (out != NULL)
            *out = k;
    }
    UNLOCK(s);
    return rc == SYNTH_STORE_NOT_FOUND ? not_found(err, "key", id_or_prefix) : rc;
}

/* ---- audit log --------------------------------------------------------------------------- */

int synth_store_audit(synth_store *s, const char *key_id, const char *action, const char *object,
                      uint64_t bytes, const char *detail, synth_err *err)
{
    LOCK(s);
    sqlite3_stmt *st;
    int rc = prep(s, "INSERT INTO audit_log(at, key_id, action, object, bytes, detail) VALUES (?, ?, ?, ?, ?, ?)",
                  &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, now_s());
        bind_text(st, 2, key_id != NULL && key_id[0] ? key_id : NULL);
        bind_text(st, 3, action != NULL ? action : "");
        bind_text(st, 4, object);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)bytes);
        bind_text(st, 6, detail);
        rc = step_done(s, st, "writing the audit log", NULL, err);
    }
    UNLOCK(s);
    return rc;
}

int synth_store_audit_count(synth_store *s, uint64_t *n, synth_err *err)
{
    int64_t c = 0;
    LOCK(s);
    int rc = count_query(s, "SELECT COUNT(*) FROM audit_log WHERE ?1 IS NULL", NULL, NULL, &c, err);
    UNLOCK(s);
    *n = (uint64_t)c;
    return rc;
}
