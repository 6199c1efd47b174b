/* test_api_store.c -- unit tests of api/store.c: migrations (fresh, re-open, future version), server
 * paths and ids, datasets/models CRUD with owners and conflicts, jobs (idempotency, concurrency cap,
 * claim, cancel, crash recovery), SQL-injection strings as plain data, and concurrent use. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>

#include "alloc.h"
#include "store.h"
#include "test_util.h"

static int setup(void **state)
{
    (void)state;
    return tu_make_dir("api-store");
}

static int teardown(void **state)
{
    (void)state;
    return tu_drop_dir();
}

/* A fresh data dir (not yet created) in tu_dir. */
static const char *fresh_dir(void)
{
    static char buf[256];
    return tu_path(buf, sizeof buf, ".d");
}

static synth_store *open_ok(const char *dir)
{
    synth_err err;
    synth_store *s = NULL;
    int rc = synth_store_open(dir, &s, &err);
    if (rc != 0)
        fail_msg("open %s: %s", dir, err.msg);
    return s;
}

static void exec_sql(const char *dir, const char *sql)
{
    char path[512];
    snprintf(path, sizeof path, "%s/store.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static void test_migrations(void **state)
{
    (void)state;
    const char *dir = fresh_dir();
    synth_store *s = open_ok(dir);
    int v = -1;
    synth_err err;
    assert_int_equal(synth_store_schema_version(s, &v, &err), 0);
    assert_int_equal(v, SYNTH_STORE_SCHEMA_VERSION);
    assert_int_equal(synth_store_ping(s, &err), 0);
    struct stat sb;
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/models", dir);
    assert_int_equal(stat(sub, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    synth_store_close(s);

    /* re-open: idempotent, one row per migration, WAL mode */
    s = open_ok(dir);
    assert_int_equal(synth_store_schema_version(s, &v, &err), 0);
    assert_int_equal(v, SYNTH_STORE_SCHEMA_VERSION);
    synth_store_close(s);
    char path[512];
    snprintf(path, sizeof path, "%s/store.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM schema_migrations", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), SYNTH_STORE_SCHEMA_VERSION);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    /* every table of the contract exists */
    const char *tables[] = {"api_keys", "datasets", "models", "jobs", "schedules", "audit_log"};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=?",
                                            -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 1);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static void test_future_version(void **state)
{
    (void)state;
    const char *dir = fresh_dir();
    synth_store_close(open_ok(dir));
    exec_sql(dir, "INSERT INTO schema_migrations(version, applied_at) VALUES (99, 0)");
    synth_store *s = NULL;
    synth_err err;
    int rc = synth_store_open(dir, &s, &err);
    assert_int_equal(rc, SYNTH_IO);
    assert_null(s);
    assert_non_null(strstr(err.msg, "schema version 99"));
    assert_non_null(strstr(err.msg, "newer"));
}

static void test_open_errors(void **state)
{
    (void)state;
    synth_store *s = NULL;
    synth_err err;
    assert_int_equal(synth_store_open("", &s, &err), SYNTH_USAGE);
    const char *file = tu_file(".txt", "x");
    assert_int_equal(synth_store_open(file, &s, &err), SYNTH_IO);
    assert_non_null(strstr(err.msg, "not a directory"));
    assert_null(s);
}

static void test_ids_and_paths(void **state)
{
    (void)state;
    synth_store *s = open_ok(fresh_dir());
    synth_err err;
    char a[SYNTH_ID_MAX], b[SYNTH_ID_MAX];
    assert_int_equal(synth_store_new_id("ds_", a, &err), 0);
    assert_int_equal(synth_store_new_id("ds_", b, &err), 0);
    assert_int_equal(strlen(a), 19);
    assert_string_not_equal(a, b);
    assert_true(synth_store_id_valid(a, "ds_"));
    assert_false(synth_store_id_valid(a, "md_"));
    assert_false(synth_store_id_valid("ds_0123456789abcdeF", "ds_"));
    assert_false(synth_store_id_valid("ds_0123456789abcde", "ds_"));
    assert_false(synth_store_id_valid("ds_0123456789abcdef0", "ds_"));
    assert_false(synth_store_id_valid("ds_../../etc/passwd", "ds_"));
    assert_false(synth_store_id_valid(NULL, "ds_"));
    char path[512], want[512];
    assert_int_equal(synth_store_path(s, SYNTH_FILE_DATASET, a, path, sizeof path, &err), 0);
    snprintf(want, sizeof want, "%s/datasets/%s.csv", synth_store_dir(s), a);
    assert_string_equal(path, want);
    /* traversal and wrong prefixes never make a path */
    assert_int_equal(synth_store_path(s, SYNTH_FILE_DATASET, "../store", path, sizeof path, &err), SYNTH_BAD_INPUT);
    assert_int_equal(synth_store_path(s, SYNTH_FILE_MODEL, a, path, sizeof path, &err), SYNTH_BAD_INPUT);
    assert_int_equal(synth_store_path(s, SYNTH_FILE_OUTPUT_CSV, "job_/../../x", path, sizeof path, &err),
                     SYNTH_BAD_INPUT);
    assert_int_equal(synth_store_path(s, SYNTH_FILE_TMP, a, path, sizeof path, &err), 0);
    assert_non_null(strstr(path, "/tmp/ds_"));
    assert_int_equal(synth_store_path(s, SYNTH_FILE_DATASET, a, path, 10, &err), SYNTH_INTERNAL);
    synth_store_close(s);
}

static void make_dataset(synth_store *s, const char *name, const char *key, synth_dataset *ds)
{
    synth_err err;
    memset(ds, 0, sizeof *ds);
    assert_int_equal(synth_store_new_id("ds_", ds->id, &err), 0);
    snprintf(ds->name, sizeof ds->name, "%s", name);
    if (key)
        snprintf(ds->key_id, sizeof ds->key_id, "%s", key);
    ds->rows = 100;
    ds->columns = 3;
    ds->bytes = 1234;
    int rc = synth_store_dataset_insert(s, ds, &err);
    if (rc)
        fail_msg("insert: %s", err.msg);
    char path[512];
    assert_int_equal(synth_store_path(s, SYNTH_FILE_DATASET, ds->id, path, sizeof path, &err), 0);
    tu_write(path, "a,b\n1,2\n", 8);
}

static void test_datasets(void **state)
{
    (void)state;
    synth_store *s = open_ok(fresh_dir());
    synth_err err;
    synth_dataset d1, d2, d3, got;
    make_dataset(s, "first", "key_aaaaaaaaaaaaaaaa", &d1);
    make_dataset(s, "second", "key_aaaaaaaaaaaaaaaa", &d2);
    make_dataset(s, "other's", "key_bbbbbbbbbbbbbbbb", &d3);
    assert_true(d1.created_at > 0);

    assert_int_equal(synth_store_dataset_get(s, d1.id, "key_aaaaaaaaaaaaaaaa", &got, &err), 0);
    assert_string_equal(got.name, "first");
    assert_int_equal(got.rows, 100);
    assert_int_equal(got.columns, 3);
    assert_int_equal(got.bytes, 1234);
    /* another key's dataset is "not found"; admin (NULL) sees it */
    assert_int_equal(synth_store_dataset_get(s, d3.id, "key_aaaaaaaaaaaaaaaa", &got, &err), SYNTH_STORE_NOT_FOUND);
    assert_non_null(strstr(err.msg, "not found"));
    assert_int_equal(synth_store_dataset_get(s, d3.id, NULL, &got, &err), 0);
    assert_int_equal(synth_store_dataset_get(s, "ds_nonsense", NULL, &got, &err), SYNTH_STORE_NOT_FOUND);

    synth_dataset *list;
    size_t n;
    assert_int_equal(synth_store_dataset_list(s, "key_aaaaaaaaaaaaaaaa", 0, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, d2.id);   /* newest first */
    assert_string_equal(list[1].id, d1.id);
    synth_free(list);
    assert_int_equal(synth_store_dataset_list(s, NULL, 0, &list, &n, &err), 0);
    assert_int_equal(n, 3);
    synth_free(list);
    assert_int_equal(synth_store_dataset_list(s, NULL, 1, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    synth_free(list);

    json_t *j = synth_dataset_json(&d1);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "first");
    assert_int_equal(json_integer_value(json_object_get(j, "rows")), 100);
    const char *created = json_string_value(json_object_get(j, "created_at"));
    assert_non_null(created);
    assert_int_equal(strlen(created), 20);
    assert_int_equal(created[19], 'Z');
    json_decref(j);

    /* bad names */
    synth_dataset bad = d1;
    assert_int_equal(synth_store_new_id("ds_", bad.id, &err), 0);
    bad.name[0] = '\0';
    assert_int_equal(synth_store_dataset_insert(s, &bad, &err), SYNTH_BAD_INPUT);
    assert_non_null(strstr(err.msg, "name"));
    memcpy(bad.name, "a\nb", 4);
    assert_int_equal(synth_store_dataset_insert(s, &bad, &err), SYNTH_BAD_INPUT);
    memcpy(bad.name, "\xff\xfe", 3);
    assert_int_equal(synth_store_dataset_insert(s, &bad, &err), SYNTH_BAD_INPUT);

    /* delete: wrong owner is not found; a model on it is a conflict; then gone with its file */
    char path[512];
    assert_int_equal(synth_store_path(s, SYNTH_FILE_DATASET, d1.id, path, sizeof path, &err), 0);
    assert_int_equal(synth_store_dataset_delete(s, d1.id, "key_bbbbbbbbbbbbbbbb", &err), SYNTH_STORE_NOT_FOUND);
    synth_model_rec m;
    memset(&m, 0, sizeof m);
    assert_int_equal(synth_store_new_id("md_", m.id, &err), 0);
    memcpy(m.dataset_id, d1.id, sizeof d1.id);
    memcpy(m.generator, "copula", 7);
    memcpy(m.key_id, "key_aaaaaaaaaaaaaaaa", 21);
    assert_int_equal(synth_store_model_insert(s, &m, &err), 0);
    assert_int_equal(synth_store_dataset_delete(s, d1.id, NULL, &err), SYNTH_STORE_CONFLICT);
    assert_non_null(strstr(err.msg, "in use"));
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(synth_store_model_delete(s, m.id, "key_aaaaaaaaaaaaaaaa", &err), 0);
    assert_int_equal(synth_store_dataset_delete(s, d1.id, "key_aaaaaaaaaaaaaaaa", &err), 0);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(synth_store_dataset_get(s, d1.id, NULL, &got, &err), SYNTH_STORE_NOT_FOUND);
    assert_int_equal(synth_store_dataset_delete(s, d1.id, NULL, &err), SYNTH_STORE_NOT_FOUND);

    /* a queued job that names the dataset blocks its deletion too */
    synth_job job;
    char params[128];
    snprintf(params, sizeof params, "{\"dataset_id\":\"%s\",\"generator\":\"copula\"}", d2.id);
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, params, "key_aaaaaaaaaaaaaaaa", NULL, 0, &job, NULL,
                                            &err), 0);
    assert_int_equal(synth_store_dataset_delete(s, d2.id, NULL, &err), SYNTH_STORE_CONFLICT);
    assert_int_equal(synth_store_job_cancel(s, job.id, NULL, &job, &err), 0);
    assert_int_equal(synth_store_dataset_delete(s, d2.id, NULL, &err), 0);
    synth_store_close(s);
}

static void test_models(void **state)
{
    (void)state;
    synth_store *s = open_ok(fresh_dir());
    synth_err err;
    synth_model_rec m, got;
    memset(&m, 0, sizeof m);
    assert_int_equal(synth_store_new_id("md_", m.id, &err), 0);
    memcpy(m.dataset_id, "ds_0000000000000001", 20);
    memcpy(m.generator, "copula", 7);
    memcpy(m.params_json, "{\"knots\":\"11\"}", 15);
    memcpy(m.key_id, "key_aaaaaaaaaaaaaaaa", 21);
    memcpy(m.job_id, "job_0000000000000001", 21);
    assert_int_equal(synth_store_model_insert(s, &m, &err), 0);
    /* re-insert (a fit job re-run) replaces, not duplicates */
    assert_int_equal(synth_store_model_insert(s, &m, &err), 0);
    synth_model_rec *list;
    size_t n;
    assert_int_equal(synth_store_model_list(s, NULL, 0, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    synth_free(list);
    assert_int_equal(synth_store_model_get(s, m.id, "key_aaaaaaaaaaaaaaaa", &got, &err), 0);
    assert_string_equal(got.params_json, "{\"knots\":\"11\"}");
    assert_string_equal(got.job_id, "job_0000000000000001");
    assert_int_equal(synth_store_model_get(s, m.id, "key_bbbbbbbbbbbbbbbb", &got, &err), SYNTH_STORE_NOT_FOUND);
    json_t *j = synth_model_json(&got);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "params"), "knots")), "11");
    json_decref(j);
    /* a running generate job on the model blocks deletion */
    char params[128];
    snprintf(params, sizeof params, "{\"model_id\":\"%s\",\"rows\":10,\"seed\":1}", m.id);
    synth_job job;
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_GENERATE, params, NULL, NULL, 0, &job, NULL, &err), 0);
    assert_int_equal(synth_store_job_claim(s, &job, &err), 0);
    assert_int_equal(synth_store_model_delete(s, m.id, NULL, &err), SYNTH_STORE_CONFLICT);
    assert_int_equal(synth_store_job_finish(s, job.id, SYNTH_JOB_SUCCEEDED, "{}", NULL, &err), 0);
    assert_int_equal(synth_store_model_delete(s, m.id, NULL, &err), 0);
    assert_int_equal(synth_store_model_get(s, m.id, NULL, &got, &err), SYNTH_STORE_NOT_FOUND);
    synth_store_close(s);
}

static void test_job_idempotency(void **state)
{
    (void)state;
    synth_store *s = open_ok(fresh_dir());
    synth_err err;
    synth_job a, b;
    int existed = -1;
    const char *key = "key_aaaaaaaaaaaaaaaa";
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_GENERATE, "{\"rows\": 10, \"model_id\": \"md_x\"}", key,
                                            "abc", 0, &a, &existed, &err), 0);
    assert_int_equal(existed, 0);
    assert_int_equal(a.state, SYNTH_JOB_QUEUED);
    assert_string_equal(a.params_json, "{\"model_id\":\"md_x\",\"rows\":10}");   /* canonical */
    assert_string_equal(a.idempotency_key, "abc");
    /* same request, keys in another order and other spacing: the same job */
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_GENERATE, "{\"model_id\":\"md_x\",\"rows\":10}", key,
                                            "abc", 0, &b, &existed, &err), 0);
    assert_int_equal(existed, 1);
    assert_string_equal(a.id, b.id);
    /* different body: conflict */
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_GENERATE, "{\"model_id\":\"md_x\",\"rows\":11}", key,
                                            "abc", 0, &b, &existed, &err), SYNTH_STORE_CONFLICT);
    assert_non_null(strstr(err.msg, "Idempotency-Key"));
    /* different kind: conflict */
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{\"model_id\":\"md_x\",\"rows\":10}", key, "abc", 0,
                                            &b, &existed, &err), SYNTH_STORE_CONFLICT);
    /* the same idempotency key under another API key is independent */
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_GENERATE, "{\"model_id\":\"md_x\",\"rows\":11}",
                                            "key_bbbbbbbbbbbbbbbb", "abc", 0, &b, &existed, &err), 0);
    assert_int_equal(existed, 0);
    assert_string_not_equal(a.id, b.id);
    /* no idempotency key: always new */
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_GENERATE, "{\"rows\":1}", key, NULL, 0, &b, NULL, &err), 0);
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_GENERATE, "{\"rows\":1}", key, "", 0, &a, NULL, &err), 0);
    assert_string_not_equal(a.id, b.id);
    /* bad params */
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_GENERATE, "[1]", key, NULL, 0, &b, NULL, &err),
                     SYNTH_BAD_INPUT);
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_GENERATE, "{", key, NULL, 0, &b, NULL, &err),
                     SYNTH_BAD_INPUT);
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_GENERATE, "{}", key, "bad\nkey", 0, &b, NULL, &err),
                     SYNTH_BAD_INPUT);
    synth_store_close(s);
}

static void test_job_cap(void **state)
{
    (void)state;
    synth_store *s = open_ok(fresh_dir());
    synth_err err;
    synth_job j[4];
    const char *key = "key_aaaaaaaaaaaaaaaa";
    for (int i = 0; i < 3; i++)
        assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{}", key, i == 0 ? "first" : NULL, 3, &j[i], NULL,
                                                &err), 0);
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{}", key, NULL, 3, &j[3], NULL, &err),
                     SYNTH_STORE_LIMIT);
    assert_non_null(strstr(err.msg, "limit 3"));
    /* an idempotent replay is still answered at the cap (it starts nothing) */
    int existed = 0;
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{}", key, "first", 3, &j[3], &existed, &err), 0);
    assert_int_equal(existed, 1);
    assert_string_equal(j[3].id, j[0].id);
    uint64_t active;
    assert_int_equal(synth_store_job_active(s, key, &active, &err), 0);
    assert_int_equal(active, 3);
    /* another key is not affected */
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{}", "key_bbbbbbbbbbbbbbbb", NULL, 3, &j[3], NULL,
                                            &err), 0);
    /* finishing one frees a slot */
    synth_job c;
    assert_int_equal(synth_store_job_claim(s, &c, &err), 0);
    assert_string_equal(c.id, j[0].id);   /* oldest first */
    assert_int_equal(synth_store_job_finish(s, c.id, SYNTH_JOB_FAILED, NULL, "boom", &err), 0);
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{}", key, NULL, 3, &j[3], NULL, &err), 0);
    uint64_t counts[SYNTH_JOB_NSTATES];
    assert_int_equal(synth_store_job_counts(s, counts, &err), 0);
    assert_int_equal(counts[SYNTH_JOB_QUEUED], 4);
    assert_int_equal(counts[SYNTH_JOB_FAILED], 1);
    assert_int_equal(counts[SYNTH_JOB_RUNNING], 0);
    synth_store_close(s);
}

static void test_job_lifecycle(void **state)
{
    (void)state;
    synth_store *s = open_ok(fresh_dir());
    synth_err err;
    synth_job a, b, got;
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{\"n\":1}", "key_aaaaaaaaaaaaaaaa", NULL, 0, &a,
                                            NULL, &err), 0);
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{\"n\":2}", "key_aaaaaaaaaaaaaaaa", NULL, 0, &b,
                                            NULL, &err), 0);
    assert_int_equal(synth_store_job_claim(s, &got, &err), 0);
    assert_string_equal(got.id, a.id);
    assert_int_equal(got.state, SYNTH_JOB_RUNNING);
    assert_int_equal(got.attempts, 1);
    assert_true(got.started_at > 0);
    assert_int_equal(synth_store_job_progress(s, a.id, 0.5, &err), 0);
    assert_int_equal(synth_store_job_progress(s, a.id, 7, &err), 0);   /* clamped */
    assert_int_equal(synth_store_job_get(s, a.id, NULL, &got, &err), 0);
    assert_true(got.progress == 1.0);
    /* cancel a running job: flag only */
    assert_false(synth_store_job_cancel_requested(s, a.id));
    assert_int_equal(synth_store_job_cancel(s, a.id, "key_aaaaaaaaaaaaaaaa", &got, &err), 0);
    assert_int_equal(got.state, SYNTH_JOB_RUNNING);
    assert_int_equal(got.cancel_requested, 1);
    assert_true(synth_store_job_cancel_requested(s, a.id));
    assert_int_equal(synth_store_job_finish(s, a.id, SYNTH_JOB_CANCELLED, NULL, "cancelled", &err), 0);
    /* cancel a queued job: immediate */
    assert_int_equal(synth_store_job_cancel(s, b.id, NULL, &got, &err), 0);
    assert_int_equal(got.state, SYNTH_JOB_CANCELLED);
    assert_true(got.finished_at > 0);
    assert_int_equal(synth_store_job_claim(s, &got, &err), SYNTH_STORE_NOT_FOUND);
    /* wrong owner: not found */
    assert_int_equal(synth_store_job_cancel(s, b.id, "key_bbbbbbbbbbbbbbbb", &got, &err), SYNTH_STORE_NOT_FOUND);
    assert_int_equal(synth_store_job_get(s, "job_../../x", NULL, &got, &err), SYNTH_STORE_NOT_FOUND);
    /* a finished job stays as it is */
    assert_int_equal(synth_store_job_cancel(s, a.id, NULL, &got, &err), 0);
    assert_int_equal(got.state, SYNTH_JOB_CANCELLED);
    /* success records result and progress 1; JSON form */
    synth_job c;
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_GENERATE, "{}", NULL, NULL, 0, &c, NULL, &err), 0);
    assert_int_equal(synth_store_job_claim(s, &got, &err), 0);
    assert_int_equal(synth_store_job_finish(s, c.id, SYNTH_JOB_SUCCEEDED, "{\"rows\":5}", NULL, &err), 0);
    assert_int_equal(synth_store_job_get(s, c.id, NULL, &got, &err), 0);
    assert_int_equal(got.state, SYNTH_JOB_SUCCEEDED);
    json_t *j = synth_job_json(&got);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "succeeded");
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "generate");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "result"), "rows")), 5);
    assert_true(json_real_value(json_object_get(j, "progress")) == 1.0);
    assert_true(json_is_null(json_object_get(j, "error")));
    json_decref(j);
    /* lists: by owner and by state */
    synth_job *list;
    size_t n;
    assert_int_equal(synth_store_job_list(s, "key_aaaaaaaaaaaaaaaa", -1, 0, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    synth_free(list);
    assert_int_equal(synth_store_job_list(s, NULL, SYNTH_JOB_SUCCEEDED, 0, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, c.id);
    synth_free(list);
    assert_int_equal(synth_job_kind_parse("validate"), SYNTH_JOB_VALIDATE);
    assert_int_equal(synth_job_state_parse("nope"), -1);
    synth_store_close(s);
}

/* A crash leaves jobs `running`: they are requeued (attempts kept) until the third start, then
 * failed with a reason; a cancel requested before the crash ends as cancelled. */
static void test_job_recovery(void **state)
{
    (void)state;
    const char *dir = fresh_dir();
    synth_store *s = open_ok(dir);
    synth_err err;
    synth_job a, b, got;
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{\"x\":1}", NULL, NULL, 0, &a, NULL, &err), 0);
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{\"x\":2}", NULL, NULL, 0, &b, NULL, &err), 0);
    assert_int_equal(synth_store_job_claim(s, &got, &err), 0);
    assert_int_equal(synth_store_job_claim(s, &got, &err), 0);
    assert_int_equal(synth_store_job_cancel(s, b.id, NULL, &got, &err), 0);
    synth_store_close(s);   /* "crash": both left running */
    for (int start = 1; start <= 3; start++) {
        s = open_ok(dir);
        uint64_t requeued = 9, failed = 9;
        assert_int_equal(synth_store_job_recover(s, 3, &requeued, &failed, &err), 0);
        assert_int_equal(synth_store_job_get(s, b.id, NULL, &got, &err), 0);
        assert_int_equal(got.state, SYNTH_JOB_CANCELLED);
        assert_int_equal(synth_store_job_get(s, a.id, NULL, &got, &err), 0);
        if (start < 3) {
            assert_int_equal(requeued, 1);
            assert_int_equal(failed, 0);
            assert_int_equal(got.state, SYNTH_JOB_QUEUED);
            assert_int_equal(got.attempts, start);
            assert_int_equal(synth_store_job_claim(s, &got, &err), 0);   /* runs again, "crashes" again */
            assert_int_equal(got.attempts, start + 1);
        } else {
            assert_int_equal(requeued, 0);
            assert_int_equal(failed, 1);
            assert_int_equal(got.state, SYNTH_JOB_FAILED);
            assert_non_null(strstr(got.error, "abandoned after 3 attempts"));
            assert_true(got.finished_at > 0);
        }
        synth_store_close(s);
    }
    /* a graceful requeue (drain) does not count as an attempt */
    s = open_ok(dir);
    synth_job c;
    assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{\"x\":3}", NULL, NULL, 0, &c, NULL, &err), 0);
    assert_int_equal(synth_store_job_claim(s, &got, &err), 0);
    assert_int_equal(synth_store_job_requeue(s, c.id, &err), 0);
    assert_int_equal(synth_store_job_get(s, c.id, NULL, &got, &err), 0);
    assert_int_equal(got.state, SYNTH_JOB_QUEUED);
    assert_int_equal(got.attempts, 0);
    synth_store_close(s);
}

/* Strings that would break a spliced SQL statement are plain data. */
static void test_sql_injection(void **state)
{
    (void)state;
    synth_store *s = open_ok(fresh_dir());
    synth_err err;
    const char *evil[] = {"x'); DROP TABLE datasets; --", "' OR '1'='1", "\"; DELETE FROM jobs; --",
                          "R'); DROP TABLE api_keys;--", "%s%n%x"};
    for (size_t i = 0; i < 5; i++) {
        synth_dataset d, got;
        make_dataset(s, evil[i], evil[i], &d);
        assert_int_equal(synth_store_dataset_get(s, d.id, evil[i], &got, &err), 0);
        assert_string_equal(got.name, evil[i]);
        assert_string_equal(got.key_id, evil[i]);
        assert_int_equal(synth_store_dataset_get(s, evil[i], NULL, &got, &err), SYNTH_STORE_NOT_FOUND);
        assert_int_equal(synth_store_dataset_delete(s, evil[i], NULL, &err), SYNTH_STORE_NOT_FOUND);
        synth_job j;
        assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{}", evil[i], evil[i], 0, &j, NULL, &err), 0);
        assert_string_equal(j.idempotency_key, evil[i]);
        assert_int_equal(synth_store_job_get(s, evil[i], NULL, &j, &err), SYNTH_STORE_NOT_FOUND);
        synth_key_info k;
        assert_int_equal(synth_store_key_get(s, evil[i], &k, &err), SYNTH_STORE_NOT_FOUND);
        assert_int_equal(synth_store_key_revoke(s, evil[i], &k, &err), SYNTH_STORE_NOT_FOUND);
        assert_int_equal(synth_store_audit(s, evil[i], evil[i], evil[i], 1, evil[i], &err), 0);
    }
    synth_dataset *list;
    size_t n;
    assert_int_equal(synth_store_dataset_list(s, "' OR '1'='1", 0, &list, &n, &err), 0);
    assert_int_equal(n, 1);   /* only its own, not all */
    synth_free(list);
    assert_int_equal(synth_store_dataset_list(s, NULL, 0, &list, &n, &err), 0);
    assert_int_equal(n, 5);
    synth_free(list);
    uint64_t audits;
    assert_int_equal(synth_store_audit_count(s, &audits, &err), 0);
    assert_int_equal(audits, 5);
    int v;
    assert_int_equal(synth_store_schema_version(s, &v, &err), 0);
    synth_store_close(s);
}

typedef struct {
    synth_store *s;
    int created;
} thread_arg;

static void *create_jobs(void *p)
{
    thread_arg *a = p;
    synth_err err;
    for (int i = 0; i < 50; i++) {
        synth_job j;
        int rc = synth_store_job_create(a->s, SYNTH_JOB_FIT, "{}", "key_aaaaaaaaaaaaaaaa", NULL, 60, &j, NULL, &err);
        if (rc == 0)
            a->created++;
        else if (rc != SYNTH_STORE_LIMIT)
            return p;
    }
    return NULL;
}

/* Four threads race to create 200 jobs under a cap of 60: exactly 60 get in. */
static void test_concurrent_cap(void **state)
{
    (void)state;
    synth_store *s = open_ok(fresh_dir());
    pthread_t t[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].s = s;
        args[i].created = 0;
        assert_int_equal(pthread_create(&t[i], NULL, create_jobs, &args[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        assert_null(ret);
        total += args[i].created;
    }
    assert_int_equal(total, 60);
    uint64_t active;
    synth_err err;
    assert_int_equal(synth_store_job_active(s, "key_aaaaaaaaaaaaaaaa", &active, &err), 0);
    assert_int_equal(active, 60);
    synth_store_close(s);
}

/* Every allocation of open, list and job create failing in turn gives SYNTH_NOMEM (or success when
 * the failed call was not needed), never a crash or a leak (ASan checks the leaks). */
static void test_alloc_failures(void **state)
{
    (void)state;
    const char *dir = fresh_dir();
    synth_store_close(open_ok(dir));
    synth_err err;
    int nomem = 0;
    for (long n = 0; n < 20; n++) {
        synth_store *s = NULL;
        synth_alloc_fail_after(n, 1);
        int rc = synth_store_open(dir, &s, &err);
        synth_alloc_fail_after(-1, 0);
        if (rc == SYNTH_NOMEM) {
            nomem++;
            assert_null(s);
            continue;
        }
        assert_int_equal(rc, 0);
        synth_dataset d;
        make_dataset(s, "d", NULL, &d);
        synth_dataset *list = NULL;
        size_t cnt = 0;
        synth_alloc_fail_after(0, 1);
        rc = synth_store_dataset_list(s, NULL, 0, &list, &cnt, &err);
        synth_job j;
        int rc2 = synth_store_job_create(s, SYNTH_JOB_FIT, "{}", NULL, NULL, 0, &j, NULL, &err);
        synth_alloc_fail_after(-1, 0);
        assert_int_equal(rc, SYNTH_NOMEM);
        assert_null(list);
        assert_int_equal(cnt, 0);
        assert_int_equal(rc2, SYNTH_NOMEM);
        synth_store_close(s);
        break;
    }
    assert_true(nomem >= 2);
}

typedef struct {
    synth_store *s;
    char (*ids)[SYNTH_ID_MAX];
    int n;
} claim_arg;

static void *claim_all(void *p)
{
    claim_arg *a = p;
    synth_err err;
    synth_job j;
    while (synth_store_job_claim(a->s, &j, &err) == 0)
        memcpy(a->ids[a->n++], j.id, SYNTH_ID_MAX);
    return NULL;
}

static int cmp_id(const void *x, const void *y)
{
    return strcmp(x, y);
}

/* Four workers claiming at once: each of 200 jobs is claimed exactly once. */
static void test_concurrent_claims(void **state)
{
    (void)state;
    synth_store *s = open_ok(fresh_dir());
    synth_err err;
    synth_job j;
    for (int i = 0; i < 200; i++)
        assert_int_equal(synth_store_job_create(s, SYNTH_JOB_FIT, "{}", NULL, NULL, 0, &j, NULL, &err), 0);
    static char ids[4][200][SYNTH_ID_MAX];
    pthread_t t[4];
    claim_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].s = s;
        args[i].ids = ids[i];
        args[i].n = 0;
        assert_int_equal(pthread_create(&t[i], NULL, claim_all, &args[i]), 0);
    }
    static char all[200][SYNTH_ID_MAX];
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        for (int k = 0; k < args[i].n; k++)
            memcpy(all[total++], ids[i][k], SYNTH_ID_MAX);
    }
    assert_int_equal(total, 200);
    qsort(all, 200, SYNTH_ID_MAX, cmp_id);
    for (int i = 1; i < 200; i++)
        assert_string_not_equal(all[i - 1], all[i]);
    uint64_t counts[SYNTH_JOB_NSTATES];
    assert_int_equal(synth_store_job_counts(s, counts, &err), 0);
    assert_int_equal(counts[SYNTH_JOB_RUNNING], 200);
    synth_store_close(s);
}

static void test_time_format(void **state)
{
    (void)state;
    char buf[32];
    synth_store_format_time(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    synth_store_format_time(1795000000, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-18T11:06:40Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations),     cmocka_unit_test(test_future_version),
        cmocka_unit_test(test_open_errors),    cmocka_unit_test(test_ids_and_paths),
        cmocka_unit_test(test_datasets),       cmocka_unit_test(test_models),
        cmocka_unit_test(test_job_idempotency), cmocka_unit_test(test_job_cap),
        cmocka_unit_test(test_job_lifecycle),  cmocka_unit_test(test_job_recovery),
        cmocka_unit_test(test_sql_injection),  cmocka_unit_test(test_concurrent_cap),
        cmocka_unit_test(test_concurrent_claims), cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_time_format),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
