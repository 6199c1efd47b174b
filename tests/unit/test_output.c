/* test_output.c -- unit tests of output.c (safe output files, gzip members) and signals.c
 * (interrupt flag, temporary-file registry).  Each test works in its own mkdtemp directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "alloc.h"
#include "output.h"
#include "signals.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static int make_dir(void **state)
{
    char *dir = synth_strdup("/tmp/synth-test-output-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    *state = dir;
    return 0;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char p[PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int drop_dir(void **state)
{
    remove_tree(*state);
    synth_free(*state);
    return 0;
}

/* Number of entries in dir (besides . and ..); names joined into `names`. */
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

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 4096, n = 0;
    char *buf = synth_malloc(cap);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = synth_realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static void fill_pattern(char *buf, size_t len, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1664525u + 1013904223u;
        /* compressible but not trivial: CSV-like digits */
        buf[i] = (i % 17 == 16) ? '\n' : (i % 5 == 4) ? ',' : (char)('0' + (x >> 28) % 10);
    }
}

/* ---- output files ------------------------------------------------------------------------ */

static void test_commit_exact_content(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], names[1024];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    mode_t old = umask(022);

    synth_output *o = NULL;
    synth_err err;
    synth_err_clear(&err);
    assert_int_equal(synth_output_open(&o, path, &err), SYNTH_OK);
    const char *tmp = synth_output_temp_path(o);
    assert_non_null(tmp);
    assert_non_null(strstr(tmp, "/.out.csv.tmp-"));
    assert_int_equal(access(tmp, F_OK), 0);
    assert_int_equal(access(path, F_OK), -1);   /* nothing at the final path before commit */

    size_t big_len = 3u << 20;
    char *big = synth_malloc(big_len);
    assert_non_null(big);
    fill_pattern(big, big_len, 7);
    assert_int_equal(synth_output_write(o, "a,b\n", 4, &err), SYNTH_OK);
    assert_int_equal(synth_output_write(o, big, big_len, &err), SYNTH_OK);
    assert_int_equal(synth_output_write(o, "", 0, &err), SYNTH_OK);
    assert_int_equal(synth_output_commit(o, &err), SYNTH_OK);

    size_t len;
    char *got = read_all(path, &len);
    assert_int_equal(len, 4 + big_len);
    assert_memory_equal(got, "a,b\n", 4);
    assert_memory_equal(got + 4, big, big_len);
    synth_free(got);
    synth_free(big);

    assert_int_equal(count_entries(dir, names, sizeof names), 1);
    assert_string_equal(names, "out.csv ");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    umask(old);
}

static void test_commit_replaces_existing_and_follows_symlink(void **state)
{
    const char *dir = *state;
    char real[PATH_MAX], link[PATH_MAX], names[1024];
    snprintf(real, sizeof real, "%s/real.csv", dir);
    snprintf(link, sizeof link, "%s/link.csv", dir);
    FILE *f = fopen(real, "w");
    assert_non_null(f);
    fputs("old contents that are longer\n", f);
    fclose(f);
    assert_int_equal(symlink("real.csv", link), 0);

    synth_output *o;
    synth_err err;
    assert_int_equal(synth_output_open(&o, link, &err), SYNTH_OK);
    assert_int_equal(synth_output_write(o, "new\n", 4, &err), SYNTH_OK);
    assert_int_equal(synth_output_commit(o, &err), SYNTH_OK);

    struct stat lst;
    assert_int_equal(lstat(link, &lst), 0);
    assert_true(S_ISLNK(lst.st_mode));
    size_t len;
    char *got = read_all(real, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(got, "new\n", 4);
    synth_free(got);
    assert_int_equal(count_entries(dir, names, sizeof names), 2);
}

static void test_abort_leaves_nothing(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], names[1024];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    synth_output *o;
    synth_err err;
    assert_int_equal(synth_output_open(&o, path, &err), SYNTH_OK);
    assert_int_equal(synth_output_write(o, "partial", 7, &err), SYNTH_OK);
    synth_output_abort(o);
    assert_int_equal(count_entries(dir, names, sizeof names), 0);
    synth_output_abort(NULL);
}

static void test_missing_directory(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/no/such/dir/out.csv", dir);
    synth_output *o = (synth_output *)0x1;
    synth_err err;
    synth_err_clear(&err);
    assert_int_equal(synth_output_open(&o, path, &err), SYNTH_IO);
    assert_null(o);
    assert_int_equal(err.code, SYNTH_IO);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "No such file or directory"));
}

static void test_path_is_directory(void **state)
{
    const char *dir = *state;
    synth_output *o;
    synth_err err;
    char want[PATH_MAX + 32];
    assert_int_equal(synth_output_open(&o, dir, &err), SYNTH_IO);
    snprintf(want, sizeof want, "%s: is a directory", dir);
    assert_string_equal(err.msg, want);

    char slash[PATH_MAX];
    snprintf(slash, sizeof slash, "%s/newdir/", dir);
    assert_int_equal(synth_output_open(&o, slash, &err), SYNTH_IO);
    assert_non_null(strstr(err.msg, "is a directory"));

    assert_int_equal(synth_output_open(&o, "", &err), SYNTH_IO);
}

static void test_special_file_written_directly(void **state)
{
    (void)state;
    synth_output *o;
    synth_err err;
    assert_int_equal(synth_output_open(&o, "/dev/null", &err), SYNTH_OK);
    assert_null(synth_output_temp_path(o));
    assert_int_equal(synth_output_write(o, "x", 1, &err), SYNTH_OK);
    assert_int_equal(synth_output_commit(o, &err), SYNTH_OK);
    struct stat st;
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
}

static void test_stdout(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/captured", dir);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_not_equal(dup2(fd, STDOUT_FILENO), -1);
    close(fd);

    synth_output *o;
    synth_err err;
    int rc_open = synth_output_open(&o, "-", &err);
    const char *tmp = rc_open == SYNTH_OK ? synth_output_temp_path(o) : "x";
    int rc_w = rc_open == SYNTH_OK ? synth_output_write(o, "hello\n", 6, &err) : -100;
    int rc_c = rc_open == SYNTH_OK ? synth_output_commit(o, &err) : -100;

    assert_int_not_equal(dup2(saved, STDOUT_FILENO), -1);
    close(saved);
    assert_int_equal(rc_open, SYNTH_OK);
    assert_null(tmp);
    assert_int_equal(rc_w, SYNTH_OK);
    assert_int_equal(rc_c, SYNTH_OK);
    size_t len;
    char *got = read_all(path, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(got, "hello\n", 6);
    synth_free(got);
}

static void test_stdout_write_error(void **state)
{
    (void)state;
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open("/dev/full", O_WRONLY);
    if (fd < 0) {
        close(saved);
        skip();
    }
    assert_int_not_equal(dup2(fd, STDOUT_FILENO), -1);
    close(fd);
    synth_output *o;
    synth_err err;
    int rc_open = synth_output_open(&o, "-", &err);
    int rc_w = rc_open == SYNTH_OK ? synth_output_write(o, "data\n", 5, &err) : -100;
    synth_err err2;
    int rc_c = rc_open == SYNTH_OK ? synth_output_commit(o, &err2) : -100;
    assert_int_not_equal(dup2(saved, STDOUT_FILENO), -1);
    close(saved);
    assert_int_equal(rc_open, SYNTH_OK);
    assert_int_equal(rc_w, SYNTH_IO);
    assert_non_null(strstr(err.msg, "<stdout>: write failed: No space left on device"));
    assert_int_equal(rc_c, SYNTH_IO);
}

static void test_is_gzip_path(void **state)
{
    (void)state;
    assert_true(synth_output_is_gzip_path("a.csv.gz"));
    assert_true(synth_output_is_gzip_path(".gz"));
    assert_false(synth_output_is_gzip_path("a.csv.GZ"));
    assert_false(synth_output_is_gzip_path("a.csv"));
    assert_false(synth_output_is_gzip_path("gz"));
    assert_false(synth_output_is_gzip_path("-"));
}

static void test_open_alloc_failures(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], names[1024];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    int ok = 0;
    for (long n = 0; n < 50 && !ok; n++) {
        synth_output *o = NULL;
        synth_err err;
        synth_alloc_fail_after(n, 0);
        int rc = synth_output_open(&o, path, &err);
        synth_alloc_fail_after(-1, 0);
        if (rc == SYNTH_OK) {
            ok = 1;
            synth_output_abort(o);
        } else {
            assert_int_equal(rc, SYNTH_NOMEM);
            assert_null(o);
        }
        assert_int_equal(count_entries(dir, names, sizeof names), 0);
    }
    assert_true(ok);
}

/* ---- gzip -------------------------------------------------------------------------------- */

/* Inflate a concatenation of gzip members into out (capacity cap); returns the length. */
static size_t gunzip_all(const unsigned char *in, size_t len, unsigned char *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(inflateInit2(&zs, 15 + 32), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int members = 0;
    for (;;) {
        int rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            members++;
            if (zs.avail_in == 0)
                break;
            assert_int_equal(inflateReset(&zs), Z_OK);
            continue;
        }
        assert_int_equal(rc, Z_OK);
    }
    size_t n = cap - zs.avail_out;
    inflateEnd(&zs);
    assert_true(members >= 1);
    return n;
}

static void test_gzip_members_concatenate(void **state)
{
    const char *dir = *state;
    size_t total = (2u << 20) + 12345;
    char *orig = synth_malloc(total);
    assert_non_null(orig);
    fill_pattern(orig, total, 3);
    /* pieces at several levels, including an empty one */
    size_t cuts[] = {0, 1000, 1000, 500000, 1500000, total};
    int levels[] = {6, 1, 9, 0, -1};

    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/out.csv.gz", dir);
    synth_output *o;
    synth_err err;
    assert_int_equal(synth_output_open(&o, path, &err), SYNTH_OK);
    char *buf = NULL;
    size_t cap = 0;
    for (size_t i = 0; i + 1 < sizeof cuts / sizeof cuts[0]; i++) {
        size_t out_len = 0;
        assert_int_equal(synth_gzip_member(orig + cuts[i], cuts[i + 1] - cuts[i], levels[i], &buf, &cap,
                                           &out_len, &err),
                         SYNTH_OK);
        assert_true(out_len >= 18);
        assert_true(out_len <= synth_gzip_bound(cuts[i + 1] - cuts[i]));
        assert_int_equal((unsigned char)buf[0], 0x1f);
        assert_int_equal((unsigned char)buf[1], 0x8b);
        assert_int_equal(synth_output_write(o, buf, out_len, &err), SYNTH_OK);
    }
    synth_free(buf);
    assert_int_equal(synth_output_commit(o, &err), SYNTH_OK);

    size_t zlen;
    char *z = read_all(path, &zlen);
    assert_true(zlen < total);
    unsigned char *back = synth_malloc(total + 16);
    assert_non_null(back);
    size_t n = gunzip_all((unsigned char *)z, zlen, back, total + 16);
    assert_int_equal(n, total);
    assert_memory_equal(back, orig, total);

    /* gzread also reads the concatenation as one stream */
    gzFile gz = gzopen(path, "rb");
    assert_non_null(gz);
    int got = gzread(gz, back, (unsigned)(total + 16));
    gzclose(gz);
    assert_int_equal(got, (int)total);
    assert_memory_equal(back, orig, total);

    synth_free(back);
    synth_free(z);
    synth_free(orig);
}

static void test_gzip_small_buffer_and_bad_level(void **state)
{
    (void)state;
    char in[] = "hello, hello, hello, hello\n";
    char *buf = synth_malloc(4);   /* too small: must grow */
    assert_non_null(buf);
    size_t cap = 4, out_len;
    synth_err err;
    assert_int_equal(synth_gzip_member(in, sizeof in - 1, 6, &buf, &cap, &out_len, &err), SYNTH_OK);
    assert_true(cap >= out_len);
    unsigned char back[64];
    assert_int_equal(gunzip_all((unsigned char *)buf, out_len, back, sizeof back), sizeof in - 1);
    assert_memory_equal(back, in, sizeof in - 1);
    assert_int_equal(synth_gzip_member(in, 3, 10, &buf, &cap, &out_len, &err), SYNTH_INTERNAL);
    synth_free(buf);
    assert_true(synth_gzip_bound(SIZE_MAX - 3) == SIZE_MAX);
}

static void test_gzip_alloc_failures(void **state)
{
    (void)state;
    char in[4096];
    fill_pattern(in, sizeof in, 9);
    int ok = 0;
    for (long n = 0; n < 100 && !ok; n++) {
        char *buf = NULL;
        size_t cap = 0, out_len = 0;
        synth_err err;
        synth_alloc_fail_after(n, 0);
        int rc = synth_gzip_member(in, sizeof in, 6, &buf, &cap, &out_len, &err);
        synth_alloc_fail_after(-1, 0);
        if (rc == SYNTH_OK)
            ok = 1;
        else
            assert_int_equal(rc, SYNTH_NOMEM);
        synth_free(buf);
    }
    assert_true(ok);
}

/* ---- signals ----------------------------------------------------------------------------- */

static void test_signal_once_sets_flag(void **state)
{
    (void)state;
    synth_signals_install();
    synth__signals_reset();
    assert_int_equal(synth_signals_interrupted(), 0);
    assert_int_equal(raise(SIGINT), 0);
    assert_int_equal(synth_signals_interrupted(), SIGINT);
    synth__signals_reset();
    assert_int_equal(raise(SIGTERM), 0);
    assert_int_equal(synth_signals_interrupted(), SIGTERM);
    synth__signals_reset();
    assert_int_equal(synth_signals_interrupted(), 0);
}

static void test_second_signal_removes_temps_and_exits(void **state)
{
    const char *dir = *state;
    char path[PATH_MAX], names[1024];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, STDERR_FILENO);
        synth_signals_install();
        synth__signals_reset();
        synth_output *o;
        synth_err err;
        if (synth_output_open(&o, path, &err) != SYNTH_OK)
            _exit(3);
        if (synth_output_write(o, "x", 1, &err) != SYNTH_OK)
            _exit(4);
        raise(SIGINT);
        if (synth_signals_interrupted() != SIGINT)
            _exit(5);
        raise(SIGINT);   /* does not return */
        _exit(6);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    assert_int_equal(count_entries(dir, names, sizeof names), 0);
}

static void test_registry_unregister(void **state)
{
    const char *dir = *state;
    char a[PATH_MAX], b[PATH_MAX], names[1024];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    fclose(fopen(a, "w"));
    fclose(fopen(b, "w"));
    assert_int_equal(synth__temp_register(a), 0);
    assert_int_equal(synth__temp_register(b), 0);
    synth__temp_unregister(a);
    synth__temp_unregister("/not/registered");
    synth__temp_unlink_all();
    assert_int_equal(count_entries(dir, names, sizeof names), 1);
    assert_string_equal(names, "a ");
    synth__temp_unregister(b);
    /* the table is bounded: registering too many fails softly */
    int fails = 0;
    for (int i = 0; i < 100; i++)
        if (synth__temp_register("/tmp/synth-test-never-exists") != 0)
            fails++;
    assert_true(fails > 0);
    for (int i = 0; i < 100; i++)
        synth__temp_unregister("/tmp/synth-test-never-exists");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_exact_content, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_commit_replaces_existing_and_follows_symlink, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_missing_directory, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_path_is_directory, make_dir, drop_dir),
        cmocka_unit_test(test_special_file_written_directly),
        cmocka_unit_test_setup_teardown(test_stdout, make_dir, drop_dir),
        cmocka_unit_test(test_stdout_write_error),
        cmocka_unit_test(test_is_gzip_path),
        cmocka_unit_test_setup_teardown(test_open_alloc_failures, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_gzip_members_concatenate, make_dir, drop_dir),
        cmocka_unit_test(test_gzip_small_buffer_and_bad_level),
        cmocka_unit_test(test_gzip_alloc_failures),
        cmocka_unit_test(test_signal_once_sets_flag),
        cmocka_unit_test_setup_teardown(test_second_signal_removes_temps_and_exits, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_registry_unregister, make_dir, drop_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
