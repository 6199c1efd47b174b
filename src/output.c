/* output.c -- safe output files (temporary name, fsync, atomic rename) and gzip members: see
 * output.h.
 *
 * Owns: the synth_output object, its descriptor and its temporary file (registered in signals.c
 * while it exists so a hard interrupt can remove it).  Three kinds of target:
 *   "-"                         standard output, written directly;
 *   an existing non-regular     a device or FIFO (/dev/null, a named pipe), written directly --
 *   file                        renaming over it would replace the device;
 *   anything else               "<dir>/.<base>.tmp-XXXXXX", renamed over the target on commit.
 * Thread-safety: an output object is used by one thread at a time; synth_gzip_member is
 * reentrant (its zlib state lives on the stack, allocations go through synth_malloc). */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "alloc.h"
#include "signals.h"

struct synth_output {
    int fd;
    int direct;        /* 1: stdout or a special file, no temporary file */
    int owns_fd;       /* 1: close fd on commit/abort (not for stdout) */
    int failed;        /* a write failed: commit refuses */
    char *path;        /* as given, for messages */
    char *final_path;  /* rename target (symlinks resolved); NULL when direct */
    char *tmp;         /* temporary file; NULL when direct */
};

static void output_free(synth_output *o)
{
    synth_free(o->path);
    synth_free(o->final_path);
    synth_free(o->tmp);
    synth_free(o);
}

static void output_discard_temp(synth_output *o)
{
    if (o->tmp != NULL) {
        unlink(o->tmp);
        synth__temp_unregister(o->tmp);
    }
}

int synth_output_open(synth_output **out, const char *path, synth_err *err)
{
    char ebuf[128];
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return synth_err_set(err, SYNTH_IO, "empty output path");
    synth_output *o = synth_calloc(1, sizeof *o);
    if (o == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "%s: out of memory", path);
    o->fd = -1;
    o->path = synth_strdup(strcmp(path, "-") == 0 ? "<stdout>" : path);
    if (o->path == NULL) {
        output_free(o);
        return synth_err_set(err, SYNTH_NOMEM, "%s: out of memory", path);
    }

    if (strcmp(path, "-") == 0) {
        fflush(stdout);   /* keep anything printed through stdio before our bytes */
        o->fd = STDOUT_FILENO;
        o->direct = 1;
        *out = o;
        return SYNTH_OK;
    }

    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            int e = errno;
            output_free(o);
            return synth_err_set(err, SYNTH_IO, "%s: %s", path, synth__strerror(e, ebuf, sizeof ebuf));
        }
        o->fd = fd;
        o->direct = 1;
        o->owns_fd = 1;
        *out = o;
        return SYNTH_OK;
    }

    int rc = synth__temp_create(path, &o->final_path, &o->tmp, &o->fd, err);
    if (rc != SYNTH_OK) {
        output_free(o);
        return rc;
    }
    o->owns_fd = 1;
    *out = o;
    return SYNTH_OK;
}

int synth_output_write(synth_output *o, const void *buf, size_t len, synth_err *err)
{
    char ebuf[128];
    const char *p = buf;
    if (o->failed)
        return synth_err_set(err, SYNTH_IO, "%s: write after a failed write", o->path);
    while (len > 0) {
        size_t chunk = len > (size_t)1 << 30 ? (size_t)1 << 30 : len;
        ssize_t n = write(o->fd, p, chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            o->failed = 1;
            return synth_err_set(err, SYNTH_IO, "%s: write failed: %s", o->path,
                                 synth__strerror(e, ebuf, sizeof ebuf));
        }
        if (n == 0) {
            o->failed = 1;
            return synth_err_set(err, SYNTH_IO, "%s: write failed: no progress", o->path);
        }
        p += n;
        len -= (size_t)n;
    }
    return SYNTH_OK;
}

int synth_output_commit(synth_output *o, synth_err *err)
{
    char ebuf[128];
    int rc = SYNTH_OK;
    if (o == NULL)
        return synth_err_set(err, SYNTH_INTERNAL, "commit of a NULL output");
    if (o->failed) {
        rc = synth_err_set(err, SYNTH_IO, "%s: not committed after a failed write", o->path);
        if (o->owns_fd)
            close(o->fd);
        output_discard_temp(o);
        output_free(o);
        return rc;
    }
    if (o->direct) {
        if (o->owns_fd && close(o->fd) != 0) {
            int e = errno;
            rc = synth_err_set(err, SYNTH_IO, "%s: close failed: %s", o->path,
                               synth__strerror(e, ebuf, sizeof ebuf));
        }
        output_free(o);
        return rc;
    }

    if (fsync(o->fd) != 0 && errno != EINVAL && errno != EROFS) {
        int e = errno;
        rc = synth_err_set(err, SYNTH_IO, "%s: fsync failed: %s", o->path,
                           synth__strerror(e, ebuf, sizeof ebuf));
    }
    if (close(o->fd) != 0 && rc == SYNTH_OK && errno != EINTR) {
        int e = errno;
        rc = synth_err_set(err, SYNTH_IO, "%s: close failed: %s", o->path,
                           synth__strerror(e, ebuf, sizeof ebuf));
    }
    o->fd = -1;
    if (rc == SYNTH_OK && rename(o->tmp, o->final_path) != 0) {
        int e = errno;
        rc = synth_err_set(err, SYNTH_IO, "%s: cannot rename '%s' to it: %s", o->path, o->tmp,
                           synth__strerror(e, ebuf, sizeof ebuf));
    }
    if (rc == SYNTH_OK) {
        synth__temp_unregister(o->tmp);
        synth__fsync_parent_dir(o->final_path);
    } else {
        output_discard_temp(o);
    }
    output_free(o);
    return rc;
}

void synth_output_abort(synth_output *o)
{
    if (o == NULL)
        return;
    if (o->owns_fd && o->fd >= 0)
        close(o->fd);
    output_discard_temp(o);
    output_free(o);
}

const char *synth_output_temp_path(const synth_output *o)
{
    return o == NULL ? NULL : o->tmp;
}

int synth_output_is_gzip_path(const char *path)
{
    if (path == NULL)
        return 0;
    size_t n = strlen(path);
    return n >= 3 && memcmp(path + n - 3, ".gz", 3) == 0;
}

/* ---- gzip -------------------------------------------------------------------------------- */

static voidpf zalloc_synth(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return synth_calloc(items, size);
}

static void zfree_synth(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    synth_free(ptr);
}

size_t synth_gzip_bound(size_t len)
{
    /* zlib's conservative deflateBound plus the gzip header and trailer, with headroom. */
    size_t extra = (len >> 12) + (len >> 14) + (len >> 25) + 13 + 18 + 32;
    return len > SIZE_MAX - extra ? SIZE_MAX : len + extra;
}

static int grow(char **buf, size_t *cap, size_t want)
{
    if (*cap >= want)
        return 0;
    char *nb = synth_realloc(*buf, want);
    if (nb == NULL)
        return -1;
    *buf = nb;
    *cap = want;
    return 0;
}

int synth_gzip_member(const void *in, size_t len, int level, char **buf, size_t *cap,
                      size_t *out_len, synth_err *err)
{
    *out_len = 0;
    if (level < -1 || level > 9)
        return synth_err_set(err, SYNTH_INTERNAL, "gzip: invalid compression level %d", level);
    if (*buf == NULL)
        *cap = 0;
    if (grow(buf, cap, synth_gzip_bound(len)) != 0)
        return synth_err_set(err, SYNTH_NOMEM, "gzip: out of memory");

    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = zalloc_synth;
    zs.zfree = zfree_synth;
    int zrc = deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (zrc != Z_OK)
        return synth_err_set(err, zrc == Z_MEM_ERROR ? SYNTH_NOMEM : SYNTH_INTERNAL,
                             "gzip: deflateInit2 failed (%d)", zrc);

    const unsigned char *src = in;
    size_t in_left = len;
    size_t produced = 0;
    int rc = SYNTH_OK;
    for (;;) {
        if (zs.avail_in == 0 && in_left > 0) {
            uInt take = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            zs.next_in = (Bytef *)(uintptr_t)src;   /* zlib does not write through next_in */
            zs.avail_in = take;
            src += take;
            in_left -= take;
        }
        if (produced == *cap) {
            size_t want = *cap < SIZE_MAX / 2 ? *cap * 2 : SIZE_MAX;
            if (want == *cap || grow(buf, cap, want) != 0) {
                rc = synth_err_set(err, SYNTH_NOMEM, "gzip: out of memory");
                break;
            }
        }
        size_t room = *cap - produced;
        zs.next_out = (Bytef *)*buf + produced;
        zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        uInt before = zs.avail_out;
        zrc = deflate(&zs, in_left > 0 ? Z_NO_FLUSH : Z_FINISH);
        produced += before - zs.avail_out;
        if (zrc == Z_STREAM_END)
            break;
        if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            rc = synth_err_set(err, SYNTH_INTERNAL, "gzip: deflate failed (%d)", zrc);
            break;
        }
    }
    deflateEnd(&zs);
    if (rc == SYNTH_OK)
        *out_len = produced;
    return rc;
}
