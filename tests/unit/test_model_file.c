/* test_model_file.c -- unit tests of model_file.c: round trips of every kind of content, the
 * temporary-file discipline, rejection of foreign files and other format versions, and
 * allocation-failure injection.  Each test works in its own mkdtemp directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "alloc.h"
#include "model_file.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static int make_dir(void **state)
{
    char *dir = synth_strdup("/tmp/synth-test-model-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    *state = dir;
    return 0;
}

static int drop_dir(void **state)
{
    const char *dir = *state;
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        char p[PATH_MAX];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (unlink(p) != 0)
                rmdir(p);
        }
        closedir(d);
    }
    rmdir(dir);
    synth_free(*state);
    return 0;
}

static int count_entries(const char *dir, char *names, size_t size)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    size_t used = 0;
    names[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        int w = snprintf(names + used, size - used, "%s ", e->d_name);
        if (w > 0 && (size_t)w < size - used)
            used += (size_t)w;
    }
    closedir(d);
    return n;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Run one SQL statement with sqlite3 directly (to tamper with a committed model). */
static void tamper(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* Make a small committed model at dir/name; returns the path in buf. */
static void make_model(const char *dir, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", dir, name);
    synth_model_file *mf;
    synth_err err;
    assert_int_equal(synth_model_file_create(&mf, buf, &err), SYNTH_OK);
    assert_int_equal(synth_model_file_set_meta(mf, "generator", "gaussian_copula", &err), SYNTH_OK);
    static const char blob[] = "blob\0data";
    assert_int_equal(synth_model_file_put_blob(mf, "raw", blob, sizeof blob, &err), SYNTH_OK);
    double v[5] = {1, 2, 3, 4, 5};
    assert_int_equal(synth_model_file_put_doubles(mf, "v", v, 5, &err), SYNTH_OK);
    assert_int_equal(synth_model_file_commit(mf, &err), SYNTH_OK);
}

struct pairs {
    int n;
    char text[512];
};

static void collect(const char *key, const char *value, void *ctx)
{
    struct pairs *p = ctx;
    size_t used = strlen(p->text);
    snprintf(p->text + used, sizeof p->text - used, "%s=%s;", key, value);
    p->n++;
}

static void collect_blob(const char *name, size_t size, void *ctx)
{
    struct pairs *p = ctx;
    size_t used = strlen(p->text);
    snprintf(p->text + used, sizeof p->text - used, "%s:%zu;", name, size);
    p->n++;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], names[1024];
    snprintf(path, sizeof path, "%s/model.synth", dir);
    mode_t old_mask = umask(022);

    synth_model_file *mf = NULL;
    synth_err err;
    synth_err_clear(&err);
    assert_int_equal(synth_model_file_create(&mf, path, &err), SYNTH_OK);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(count_entries(dir, names, sizeof names), 1);
    assert_non_null(strstr(names, ".model.synth.tmp-"));
    assert_int_equal(synth_model_file_format_version(mf), SYNTH_MODEL_FORMAT_VERSION);
    assert_int_equal(synth_model_file_size(mf), -1);

    assert_int_equal(synth_model_file_set_meta(mf, "schema", "{\"columns\": [\"a'; DROP TABLE meta;--\"]}", &err),
                     SYNTH_OK);
    assert_int_equal(synth_model_file_set_meta(mf, "generator", "old", &err), SYNTH_OK);
    assert_int_equal(synth_model_file_set_meta(mf, "generator", "gaussian_copula", &err), SYNTH_OK);
    assert_int_equal(synth_model_file_set_meta(mf, "empty", "", &err), SYNTH_OK);

    unsigned char raw[300];
    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (unsigned char)(i * 7);
    assert_int_equal(synth_model_file_put_blob(mf, "raw", raw, sizeof raw, &err), SYNTH_OK);
    assert_int_equal(synth_model_file_put_blob(mf, "nothing", NULL, 0, &err), SYNTH_OK);

    double w[6] = {1.5, -0.0, 1e-300, -123456.789, INFINITY, NAN};
    assert_int_equal(synth_model_file_put_doubles(mf, "w", w, 6, &err), SYNTH_OK);
    assert_int_equal(synth_model_file_put_doubles(mf, "none", NULL, 0, &err), SYNTH_OK);

    assert_int_equal(synth_model_file_add_provenance(mf, "source", "adult.csv", &err), SYNTH_OK);
    assert_int_equal(synth_model_file_add_provenance(mf, "rows", "32561", &err), SYNTH_OK);
    assert_int_equal(synth_model_file_add_provenance(mf, "source", "again.csv", &err), SYNTH_OK);

    assert_int_equal(synth_model_file_add_privacy_spend(mf, "laplace", 0.5, 0.0, &err), SYNTH_OK);
    assert_int_equal(synth_model_file_add_privacy_spend(mf, "gaussian", 0.25, 1e-6, &err), SYNTH_OK);
    assert_int_equal(synth_model_file_add_privacy_spend(mf, "bad", -1.0, 0.0, &err), SYNTH_INTERNAL);

    /* readable before commit through the same handle */
    char *value = NULL;
    assert_int_equal(synth_model_file_get_meta(mf, "generator", &value, &err), SYNTH_OK);
    assert_string_equal(value, "gaussian_copula");
    synth_free(value);
    assert_int_equal(synth_model_file_commit(mf, &err), SYNTH_OK);

    assert_int_equal(count_entries(dir, names, sizeof names), 1);
    assert_string_equal(names, "model.synth ");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    umask(old_mask);

    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_OK);
    assert_int_equal(synth_model_file_format_version(mf), SYNTH_MODEL_FORMAT_VERSION);
    assert_int_equal(synth_model_file_size(mf), (int64_t)st.st_size);

    assert_int_equal(synth_model_file_get_meta(mf, "generator", &value, &err), SYNTH_OK);
    assert_string_equal(value, "gaussian_copula");
    synth_free(value);
    assert_int_equal(synth_model_file_get_meta(mf, "schema", &value, &err), SYNTH_OK);
    assert_string_equal(value, "{\"columns\": [\"a'; DROP TABLE meta;--\"]}");
    synth_free(value);
    assert_int_equal(synth_model_file_get_meta(mf, "empty", &value, &err), SYNTH_OK);
    assert_string_equal(value, "");
    synth_free(value);

    void *data = NULL;
    size_t len = 0;
    assert_int_equal(synth_model_file_get_blob(mf, "raw", &data, &len, &err), SYNTH_OK);
    assert_int_equal(len, sizeof raw);
    assert_memory_equal(data, raw, sizeof raw);
    synth_free(data);
    assert_int_equal(synth_model_file_get_blob(mf, "nothing", &data, &len, &err), SYNTH_OK);
    assert_non_null(data);
    assert_int_equal(len, 0);
    synth_free(data);

    /* doubles: bit-exact, and stored little-endian */
    double back[6];
    assert_int_equal(synth_model_file_get_doubles(mf, "w", back, 6, &err), SYNTH_OK);
    assert_memory_equal(back, w, sizeof w);
    assert_int_equal(synth_model_file_get_blob(mf, "w", &data, &len, &err), SYNTH_OK);
    static const unsigned char le_1_5[8] = {0, 0, 0, 0, 0, 0, 0xf8, 0x3f};
    assert_int_equal(len, 48);
    assert_memory_equal(data, le_1_5, 8);
    synth_free(data);
    double *vn = NULL;
    size_t count = 0;
    assert_int_equal(synth_model_file_get_doubles_new(mf, "w", &vn, &count, &err), SYNTH_OK);
    assert_int_equal(count, 6);
    assert_memory_equal(vn, w, sizeof w);
    synth_free(vn);
    assert_int_equal(synth_model_file_get_doubles_new(mf, "none", &vn, &count, &err), SYNTH_OK);
    assert_int_equal(count, 0);
    synth_free(vn);
    assert_int_equal(synth_model_file_get_doubles(mf, "none", back, 0, &err), SYNTH_OK);

    char want[PATH_MAX + 128];
    assert_int_equal(synth_model_file_get_doubles(mf, "w", back, 5, &err), SYNTH_MODEL);
    snprintf(want, sizeof want, "%s: blob 'w' holds 48 bytes, expected 5 doubles", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(synth_model_file_get_doubles_new(mf, "raw", &vn, &count, &err), SYNTH_MODEL);
    assert_non_null(strstr(err.msg, "'raw'"));
    assert_null(vn);

    struct pairs prov = {0, ""};
    assert_int_equal(synth_model_file_each_provenance(mf, collect, &prov, &err), SYNTH_OK);
    assert_int_equal(prov.n, 3);
    assert_string_equal(prov.text, "source=adult.csv;rows=32561;source=again.csv;");

    struct pairs meta = {0, ""};
    assert_int_equal(synth_model_file_each_meta(mf, collect, &meta, &err), SYNTH_OK);
    assert_int_equal(meta.n, 3);
    assert_non_null(strstr(meta.text, "empty=;generator=gaussian_copula;schema="));

    struct pairs blobs = {0, ""};
    assert_int_equal(synth_model_file_each_blob(mf, collect_blob, &blobs, &err), SYNTH_OK);
    assert_string_equal(blobs.text, "none:0;nothing:0;raw:300;w:48;");

    double eps = -1, delta = -1;
    assert_int_equal(synth_model_file_privacy_spent(mf, &eps, &delta, &err), SYNTH_OK);
    assert_true(fabs(eps - 0.75) < 1e-12);
    assert_true(fabs(delta - 1e-6) < 1e-18);

    /* a read-only handle refuses writes */
    assert_int_equal(synth_model_file_set_meta(mf, "x", "y", &err), SYNTH_INTERNAL);
    assert_non_null(strstr(err.msg, "read-only"));
    assert_int_equal(synth_model_file_commit(mf, &err), SYNTH_INTERNAL);   /* frees mf */
    assert_int_equal(count_entries(dir, names, sizeof names), 1);
}

static void test_missing_keys(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], want[PATH_MAX + 64];
    make_model(dir, "m.synth", path, sizeof path);
    synth_model_file *mf;
    synth_err err;
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_OK);
    char *value = (char *)0x1;
    assert_int_equal(synth_model_file_get_meta(mf, "nope", &value, &err), SYNTH_MODEL);
    assert_null(value);
    snprintf(want, sizeof want, "%s: missing metadata 'nope'", path);
    assert_string_equal(err.msg, want);
    void *data;
    size_t len;
    assert_int_equal(synth_model_file_get_blob(mf, "nope", &data, &len, &err), SYNTH_MODEL);
    snprintf(want, sizeof want, "%s: missing blob 'nope'", path);
    assert_string_equal(err.msg, want);
    double v[5];
    assert_int_equal(synth_model_file_get_doubles(mf, "nope", v, 5, &err), SYNTH_MODEL);
    assert_string_equal(err.msg, want);
    struct pairs prov = {0, ""};
    assert_int_equal(synth_model_file_each_provenance(mf, collect, &prov, &err), SYNTH_OK);
    assert_int_equal(prov.n, 0);
    double eps = -1, delta = -1;
    assert_int_equal(synth_model_file_privacy_spent(mf, &eps, &delta, &err), SYNTH_OK);
    assert_true(eps == 0.0 && delta == 0.0);
    synth_model_file_free(mf);
}

static void test_uncommitted_free_leaves_nothing(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], names[1024];
    snprintf(path, sizeof path, "%s/model.synth", dir);
    synth_model_file *mf;
    synth_err err;
    assert_int_equal(synth_model_file_create(&mf, path, &err), SYNTH_OK);
    assert_int_equal(synth_model_file_set_meta(mf, "k", "v", &err), SYNTH_OK);
    double v[1000] = {0};
    assert_int_equal(synth_model_file_put_doubles(mf, "big", v, 1000, &err), SYNTH_OK);
    synth_model_file_free(mf);
    assert_int_equal(count_entries(dir, names, sizeof names), 0);
    synth_model_file_free(NULL);
}

static void test_commit_replaces_existing(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], names[1024];
    make_model(dir, "m.synth", path, sizeof path);
    synth_model_file *mf;
    synth_err err;
    assert_int_equal(synth_model_file_create(&mf, path, &err), SYNTH_OK);
    assert_int_equal(synth_model_file_set_meta(mf, "generator", "second", &err), SYNTH_OK);
    assert_int_equal(synth_model_file_commit(mf, &err), SYNTH_OK);
    assert_int_equal(count_entries(dir, names, sizeof names), 1);
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_OK);
    char *value;
    assert_int_equal(synth_model_file_get_meta(mf, "generator", &value, &err), SYNTH_OK);
    assert_string_equal(value, "second");
    synth_free(value);
    void *data;
    size_t len;
    assert_int_equal(synth_model_file_get_blob(mf, "raw", &data, &len, &err), SYNTH_MODEL);
    synth_model_file_free(mf);
}

static void test_create_errors(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], want[PATH_MAX + 64];
    synth_model_file *mf = (synth_model_file *)0x1;
    synth_err err;
    assert_int_equal(synth_model_file_create(&mf, dir, &err), SYNTH_IO);
    assert_null(mf);
    snprintf(want, sizeof want, "%s: is a directory", dir);
    assert_string_equal(err.msg, want);
    snprintf(path, sizeof path, "%s/missing/m.synth", dir);
    assert_int_equal(synth_model_file_create(&mf, path, &err), SYNTH_IO);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "No such file or directory"));
}

static void test_open_not_a_model(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], want[PATH_MAX + 64];
    synth_model_file *mf = (synth_model_file *)0x1;
    synth_err err;

    /* a CSV, long enough to fill SQLite's 100-byte header */
    snprintf(path, sizeof path, "%s/data.csv", dir);
    write_text(path, "age,workclass,fnlwgt,education,education-num,marital-status,occupation\n"
                     "39,State-gov,77516,Bachelors,13,Never-married,Adm-clerical\n"
                     "50,Self-emp-not-inc,83311,Bachelors,13,Married-civ-spouse,Exec-managerial\n");
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_MODEL);
    assert_null(mf);
    snprintf(want, sizeof want, "%s: not a synth model file", path);
    assert_string_equal(err.msg, want);

    /* a tiny text file and an empty file */
    snprintf(path, sizeof path, "%s/tiny.csv", dir);
    write_text(path, "a,b\n1,2\n");
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_MODEL);
    assert_non_null(strstr(err.msg, "not a synth model"));
    snprintf(path, sizeof path, "%s/empty", dir);
    write_text(path, "");
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_MODEL);
    assert_non_null(strstr(err.msg, "not a synth model"));

    /* another application's SQLite database */
    snprintf(path, sizeof path, "%s/other.db", dir);
    tamper(path, "CREATE TABLE t(x); PRAGMA application_id=42;");
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_MODEL);
    snprintf(want, sizeof want, "%s: not a synth model file", path);
    assert_string_equal(err.msg, want);

    /* missing file and directory are I/O errors */
    snprintf(path, sizeof path, "%s/absent.synth", dir);
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_IO);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(synth_model_file_open(&mf, dir, &err), SYNTH_IO);
    assert_non_null(strstr(err.msg, "is a directory"));
}

static void test_open_other_versions(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], want[PATH_MAX + 128];
    make_model(dir, "m.synth", path, sizeof path);
    synth_model_file *mf = (synth_model_file *)0x1;
    synth_err err;

    tamper(path, "PRAGMA user_version=3");
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_MODEL);
    assert_null(mf);
    snprintf(want, sizeof want,
             "%s: model format version 3 is newer than this synth reads (1); upgrade synth", path);
    assert_string_equal(err.msg, want);

    tamper(path, "PRAGMA user_version=0");
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_MODEL);
    snprintf(want, sizeof want,
             "%s: model format version 0 is older than this synth reads (1); refit the model", path);
    assert_string_equal(err.msg, want);

    tamper(path, "PRAGMA user_version=1");
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_OK);
    synth_model_file_free(mf);
}

static void test_alloc_failures_reading(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX];
    make_model(dir, "m.synth", path, sizeof path);
    synth_model_file *mf;
    synth_err err;
    assert_int_equal(synth_model_file_open(&mf, path, &err), SYNTH_OK);

    for (int which = 0; which < 3; which++) {
        int ok = 0;
        for (long n = 0; n < 20 && !ok; n++) {
            synth_alloc_fail_after(n, 0);
            char *value = NULL;
            void *data = NULL;
            double *v = NULL;
            size_t len = 0;
            int rc = which == 0   ? synth_model_file_get_meta(mf, "generator", &value, &err)
                     : which == 1 ? synth_model_file_get_blob(mf, "raw", &data, &len, &err)
                                  : synth_model_file_get_doubles_new(mf, "v", &v, &len, &err);
            synth_alloc_fail_after(-1, 0);
            if (rc == SYNTH_OK) {
                ok = 1;
                assert_true(value != NULL || data != NULL || v != NULL);
            } else {
                assert_int_equal(rc, SYNTH_NOMEM);
                assert_int_equal(err.code, SYNTH_NOMEM);
                assert_null(value);
                assert_null(data);
                assert_null(v);
            }
            synth_free(value);
            synth_free(data);
            synth_free(v);
        }
        assert_true(ok);
    }
    synth_model_file_free(mf);
}

static void test_alloc_failures_create_open(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], names[1024];
    snprintf(path, sizeof path, "%s/m.synth", dir);
    int ok = 0;
    for (long n = 0; n < 20 && !ok; n++) {
        synth_model_file *mf = NULL;
        synth_err err;
        synth_alloc_fail_after(n, 0);
        int rc = synth_model_file_create(&mf, path, &err);
        synth_alloc_fail_after(-1, 0);
        if (rc == SYNTH_OK) {
            ok = 1;
            assert_int_equal(synth_model_file_commit(mf, &err), SYNTH_OK);
        } else {
            assert_int_equal(rc, SYNTH_NOMEM);
            assert_null(mf);
            assert_int_equal(count_entries(dir, names, sizeof names), 0);
        }
    }
    assert_true(ok);
    ok = 0;
    for (long n = 0; n < 20 && !ok; n++) {
        synth_model_file *mf = NULL;
        synth_err err;
        synth_alloc_fail_after(n, 0);
        int rc = synth_model_file_open(&mf, path, &err);
        synth_alloc_fail_after(-1, 0);
        if (rc == SYNTH_OK) {
            ok = 1;
            synth_model_file_free(mf);
        } else {
            assert_int_equal(rc, SYNTH_NOMEM);
            assert_null(mf);
        }
    }
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_missing_keys, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_uncommitted_free_leaves_nothing, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_commit_replaces_existing, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_create_errors, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_open_not_a_model, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_open_other_versions, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_alloc_failures_reading, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_alloc_failures_create_open, make_dir, drop_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
