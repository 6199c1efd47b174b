/* test_progress.c -- unit tests of progress.c: the format helpers' exact strings, mode parsing,
 * and what a progress object writes for each mode (plain file, terminal via a pseudo-terminal). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "progress.h"

static void sleep_seconds(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Read everything written to f (a tmpfile) as a string; caller frees. */
static char *slurp(FILE *f, size_t *len)
{
    fflush(f);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *buf = synth_malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)n, f);
    assert_int_equal(got, (size_t)n);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void check_count(double v, const char *want)
{
    char buf[32];
    synth_format_count(buf, sizeof buf, v);
    assert_string_equal(buf, want);
}

static void check_duration(double v, const char *want)
{
    char buf[32];
    synth_format_duration(buf, sizeof buf, v);
    assert_string_equal(buf, want);
}

static void test_format_count(void **state)
{
    (void)state;
    check_count(0, "0");
    check_count(7, "7");
    check_count(999, "999");
    check_count(1234, "1.23k");
    check_count(1.5e6, "1.50M");
    check_count(1e7, "10.0M");
    check_count(2.5e9, "2.50G");
    check_count(123456, "123k");
    check_count(999999, "1.00M");   /* rounding moves to the next unit, never "1000k" */
    check_count(9999, "10.0k");
    check_count(1e12, "1.00T");
    check_count(12.5, "12.5");
    check_count(0.5, "0.50");
    check_count(-1500, "-1.50k");
    check_count(NAN, "?");
    char tiny[4];
    synth_format_count(tiny, sizeof tiny, 1234567);   /* truncated, still terminated */
    assert_int_equal(strlen(tiny), 3);
}

static void test_format_duration(void **state)
{
    (void)state;
    check_duration(0, "0.00 s");
    check_duration(0.123, "0.12 s");
    check_duration(3.6, "3.60 s");
    check_duration(12.5, "12.5 s");
    check_duration(59.96, "1m00s");
    check_duration(125, "2m05s");
    check_duration(3599.4, "59m59s");
    check_duration(3725, "1h02m");
    check_duration(90000, "25h00m");
    check_duration(-1, "?");
}

static void test_mode_parse(void **state)
{
    (void)state;
    synth_progress_mode m = SYNTH_PROGRESS_NEVER;
    assert_int_equal(synth_progress_mode_parse("auto", &m), 0);
    assert_int_equal(m, SYNTH_PROGRESS_AUTO);
    assert_int_equal(synth_progress_mode_parse("always", &m), 0);
    assert_int_equal(m, SYNTH_PROGRESS_ALWAYS);
    assert_int_equal(synth_progress_mode_parse("never", &m), 0);
    assert_int_equal(m, SYNTH_PROGRESS_NEVER);
    assert_int_equal(synth_progress_mode_parse("sometimes", &m), -1);
    assert_int_equal(synth_progress_mode_parse("", &m), -1);
    assert_int_equal(synth_progress_mode_parse(NULL, &m), -1);
}

static void test_always_into_file(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    synth_progress *p = synth_progress_new("generating", "rows", 10000000, SYNTH_PROGRESS_ALWAYS, f);
    assert_non_null(p);
    for (uint64_t i = 0; i <= 1000; i++)
        synth_progress_update(p, i * 4500);   /* fast: nothing drawn within the first second */
    sleep_seconds(1.05);
    synth_progress_update(p, 4500000);        /* more than a second later: one plain line */
    synth_progress_update(p, 4600000);        /* too soon for another */
    assert_true(synth_progress_elapsed(p) >= 1.0);
    synth_progress_finish(p);

    size_t len;
    char *out = slurp(f, &len);
    fclose(f);
    assert_null(strchr(out, '\x1b'));
    assert_null(strchr(out, '\r'));
    /* exactly two lines: the periodic one and the final one */
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += out[i] == '\n';
    assert_int_equal(lines, 2);
    assert_non_null(strstr(out, "generating  [#########...........]  45%  4.50M/10.0M rows"));
    assert_non_null(strstr(out, "rows/s  ETA "));
    char *second = strchr(out, '\n') + 1;
    assert_non_null(strstr(second, "4.60M/10.0M rows"));
    assert_non_null(strstr(second, "  in 1."));
    assert_null(strstr(second, "ETA"));
    synth_free(out);
}

static void test_unknown_total(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    synth_progress *p = synth_progress_new("reading", "rows", 0, SYNTH_PROGRESS_ALWAYS, f);
    assert_non_null(p);
    synth_progress_update(p, 1234);
    synth_progress_finish(p);
    size_t len;
    char *out = slurp(f, &len);
    fclose(f);
    assert_true(strncmp(out, "reading  1.23k rows", 19) == 0);
    assert_null(strchr(out, '['));
    assert_null(strstr(out, "ETA"));
    assert_non_null(strstr(out, "rows"));
    assert_int_equal(out[len - 1], '\n');
    synth_free(out);
}

static void test_never_and_auto_write_nothing(void **state)
{
    (void)state;
    synth_progress_mode modes[] = {SYNTH_PROGRESS_NEVER, SYNTH_PROGRESS_AUTO};
    for (size_t m = 0; m < 2; m++) {
        FILE *f = tmpfile();
        assert_non_null(f);
        synth_progress *p = synth_progress_new("generating", "rows", 100, modes[m], f);
        assert_non_null(p);
        synth_progress_update(p, 50);
        sleep_seconds(0.15);
        synth_progress_update(p, 100);
        synth_progress_finish(p);
        fflush(f);
        assert_int_equal(ftell(f), 0);
        fclose(f);
    }
    synth_progress_finish(NULL);
    synth_progress_update(NULL, 1);
}

static void test_terminal_rewrites_line(void **state)
{
    (void)state;
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        if (master >= 0)
            close(master);
        skip();
    }
    const char *name = ptsname(master);
    assert_non_null(name);
    int slave = open(name, O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    FILE *f = fdopen(slave, "w");
    assert_non_null(f);

    synth_progress *p = synth_progress_new("generating", "rows", 1000, SYNTH_PROGRESS_AUTO, f);
    assert_non_null(p);
    sleep_seconds(0.12);
    synth_progress_update(p, 500);
    synth_progress_finish(p);
    fclose(f);

    char buf[2048];
    size_t n = 0;
    int flags = fcntl(master, F_GETFL);
    fcntl(master, F_SETFL, flags | O_NONBLOCK);
    for (;;) {
        ssize_t r = read(master, buf + n, sizeof buf - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(master);
    buf[n] = '\0';
    assert_true(buf[0] == '\r');
    assert_non_null(strstr(buf, "\x1b[K"));
    assert_non_null(strstr(buf, "]  50%  500/1.00k rows"));
    assert_non_null(strstr(buf, "in "));   /* the final line with the elapsed time */
}

static void test_new_alloc_failure(void **state)
{
    (void)state;
    int ok = 0;
    for (long n = 0; n < 10 && !ok; n++) {
        synth_alloc_fail_after(n, 0);
        synth_progress *p = synth_progress_new("x", "rows", 1, SYNTH_PROGRESS_NEVER, stderr);
        synth_alloc_fail_after(-1, 0);
        if (p != NULL) {
            ok = 1;
            synth_progress_finish(p);
        }
    }
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_count),
        cmocka_unit_test(test_format_duration),
        cmocka_unit_test(test_mode_parse),
        cmocka_unit_test(test_always_into_file),
        cmocka_unit_test(test_unknown_total),
        cmocka_unit_test(test_never_and_auto_write_nothing),
        cmocka_unit_test(test_terminal_rewrites_line),
        cmocka_unit_test(test_new_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
