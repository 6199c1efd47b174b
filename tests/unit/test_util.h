/* test_util.h -- helpers shared by the unit tests: a private temporary directory per test binary,
 * writing and reading whole files, and small string checks.  Everything is static inline so each
 * test binary takes only what it uses.  Include after <cmocka.h>. */
#ifndef SYNTH_TEST_UTIL_H
#define SYNTH_TEST_UTIL_H

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tu_dir[128];
static unsigned tu_counter;

static inline int tu_rm_entry(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(p);
}

/* cmocka group setup/teardown: create and remove tu_dir ("/tmp/synth-<tag>-XXXXXX"). */
static inline int tu_make_dir(const char *tag)
{
    snprintf(tu_dir, sizeof tu_dir, "/tmp/synth-%s-XXXXXX", tag);
    return mkdtemp(tu_dir) == NULL ? -1 : 0;
}

static inline int tu_drop_dir(void)
{
    if (tu_dir[0] == '\0')
        return 0;
    int rc = nftw(tu_dir, tu_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tu_dir[0] = '\0';
    return rc;
}

/* A fresh path in tu_dir with the given suffix (e.g. ".csv"), in caller storage. */
static inline char *tu_path(char *buf, size_t size, const char *suffix)
{
    snprintf(buf, size, "%s/f%u%s", tu_dir, tu_counter++, suffix);
    return buf;
}

static inline void tu_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len > 0)
        assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Write a NUL-terminated text to a fresh file in tu_dir; returns the path (static, rotating over
 * 16 slots, so a test may hold several at once). */
static inline const char *tu_file(const char *suffix, const char *text)
{
    static char paths[16][192];
    char *p = paths[tu_counter % 16];
    tu_path(p, sizeof paths[0], suffix);
    tu_write(p, text, strlen(text));
    return p;
}

/* Read a whole file into a malloc'ed, NUL-terminated buffer; *len (may be NULL) gets its size. */
static inline char *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (cap - n < 4096) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    assert_int_equal(ferror(f), 0);
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

/* A growable text buffer for building CSV and JSON fixtures. */
typedef struct tu_buf {
    char *p;
    size_t len, cap;
} tu_buf;

static inline void tu_add(tu_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void tu_add(tu_buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap ? b->cap * 2 : 4096;
        while (b->cap - b->len <= (size_t)n)
            b->cap *= 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
}

static inline void tu_buf_free(tu_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Does s contain needle?  (For messages: fails with both texts shown.) */
#define tu_assert_contains(s, needle)                                                          \
    do {                                                                                       \
        const char *tu_s_ = (s), *tu_n_ = (needle);                                            \
        if (strstr(tu_s_, tu_n_) == NULL)                                                      \
            fail_msg("expected \"%s\" to contain \"%s\"", tu_s_, tu_n_);                       \
    } while (0)

#endif
