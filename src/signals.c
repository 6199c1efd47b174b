/* signals.c -- interrupt handling and the registry of temporary files: see signals.h.
 *
 * Owns: the process-wide signal flag, the fixed table of live temporary paths (no heap so the
 * signal handler may read it), and the helper that creates "<dir>/.<base>.tmp-XXXXXX" files for
 * output.c and model_file.c.  Callers own the strings and descriptors it hands out.
 * Thread-safety: the table is written under a mutex; each slot's path is written before its atomic
 * "used" flag is set (release) and the handler only reads slots whose flag it sees set (acquire).
 * The signal flag and counter are lock-free atomics, so the handler is async-signal-safe. */
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs lock-free atomic int");

/* ---- signal flag ------------------------------------------------------------------------- */

static atomic_int sig_first = 0;   /* first signal number received, 0 if none */
static atomic_int sig_count = 0;   /* how many signals received */

static void on_signal(int signo)
{
    int saved_errno = errno;
    int expected = 0;
    atomic_compare_exchange_strong(&sig_first, &expected, signo);
    if (atomic_fetch_add(&sig_count, 1) >= 1) {
        static const char msg[] = "\nsynth: interrupted again; removing temporary files and exiting\n";
        ssize_t written = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)written;
        synth__temp_unlink_all();
        _exit(130);
    }
    errno = saved_errno;
}

void synth_signals_install(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    /* SA_RESTART: other modules' blocking reads (stdio, libcsv) should not fail with EINTR; the
     * loops notice the flag at their next poll. */
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&sa.sa_mask, sigs[i]);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        /* A signal ignored when we started (nohup, background job) stays ignored. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

int synth_signals_interrupted(void)
{
    return atomic_load(&sig_first);
}

void synth__signals_reset(void)
{
    atomic_store(&sig_first, 0);
    atomic_store(&sig_count, 0);
}

/* ---- temporary file registry ------------------------------------------------------------- */

#define TEMP_SLOTS 32

static struct temp_slot {
    char path[PATH_MAX];
    atomic_int used;
} temp_slots[TEMP_SLOTS];
static pthread_mutex_t temp_lock = PTHREAD_MUTEX_INITIALIZER;

int synth__temp_register(const char *path)
{
    size_t len = strlen(path);
    if (len >= PATH_MAX)
        return -1;
    int rc = -1;
    pthread_mutex_lock(&temp_lock);
    for (size_t i = 0; i < TEMP_SLOTS; i++) {
        if (atomic_load_explicit(&temp_slots[i].used, memory_order_relaxed) == 0) {
            memcpy(temp_slots[i].path, path, len + 1);
            atomic_store_explicit(&temp_slots[i].used, 1, memory_order_release);
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&temp_lock);
    return rc;
}

void synth__temp_unregister(const char *path)
{
    pthread_mutex_lock(&temp_lock);
    for (size_t i = 0; i < TEMP_SLOTS; i++) {
        if (atomic_load_explicit(&temp_slots[i].used, memory_order_relaxed) != 0 &&
            strcmp(temp_slots[i].path, path) == 0) {
            atomic_store_explicit(&temp_slots[i].used, 0, memory_order_release);
            break;
        }
    }
    pthread_mutex_unlock(&temp_lock);
}

void synth__temp_unlink_all(void)
{
    for (size_t i = 0; i < TEMP_SLOTS; i++)
        if (atomic_load_explicit(&temp_slots[i].used, memory_order_acquire) != 0)
            unlink(temp_slots[i].path);
}

/* ---- helpers for temporary files --------------------------------------------------------- */

const char *synth__strerror(int errnum, char *buf, size_t size)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(errnum, buf, size);
#else
    if (strerror_r(errnum, buf, size) != 0)
        snprintf(buf, size, "error %d", errnum);
    return buf;
#endif
}

static mode_t umask_cached;
static void umask_probe(void)
{
    umask_cached = umask(022);
    umask(umask_cached);
}

/* The process umask without changing it: /proc/self/status on Linux, else a one-time probe. */
static mode_t current_umask(void)
{
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[4096];
        size_t have = 0;
        for (;;) {
            ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            have += (size_t)n;
            if (have == sizeof buf - 1)
                break;
        }
        close(fd);
        buf[have] = '\0';
        const char *p = strstr(buf, "\nUmask:");
        if (p != NULL) {
            char *end;
            long mask = strtol(p + 7, &end, 8);
            if (end != p + 7 && mask >= 0 && mask <= 0777)
                return (mode_t)mask;
        }
    }
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, umask_probe);
    return umask_cached;
}

int synth__temp_create(const char *path, char **final_path, char **tmp_path, int *fd, synth_err *err)
{
    static const char suffix[] = ".tmp-XXXXXX";
    char ebuf[128];
    *final_path = NULL;
    *tmp_path = NULL;
    *fd = -1;
    if (path == NULL || path[0] == '\0')
        return synth_err_set(err, SYNTH_IO, "empty output path");

    const char *target = path;
    char resolved[PATH_MAX];
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return synth_err_set(err, SYNTH_IO, "%s: is a directory", path);
        if (!S_ISREG(st.st_mode))
            return synth_err_set(err, SYNTH_IO, "%s: not a regular file", path);
        struct stat lst;
        if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && realpath(path, resolved) != NULL)
            target = resolved;
    }
    size_t len = strlen(target);
    if (target[len - 1] == '/')
        return synth_err_set(err, SYNTH_IO, "%s: is a directory", path);

    const char *slash = strrchr(target, '/');
    size_t dirlen = slash != NULL ? (size_t)(slash - target) + 1 : 0;   /* includes the '/' */
    const char *base = target + dirlen;
    size_t baselen = len - dirlen;

    char *fin = synth_strndup(target, len);
    char *tmp = synth_malloc(dirlen + 1 + baselen + sizeof suffix);
    if (fin == NULL || tmp == NULL) {
        synth_free(fin);
        synth_free(tmp);
        return synth_err_set(err, SYNTH_NOMEM, "%s: out of memory", path);
    }
    memcpy(tmp, target, dirlen);
    tmp[dirlen] = '.';
    memcpy(tmp + dirlen + 1, base, baselen);
    memcpy(tmp + dirlen + 1 + baselen, suffix, sizeof suffix);

    int f = mkostemp(tmp, O_CLOEXEC);
    if (f < 0) {
        int e = errno;
        int shown = dirlen == 0 ? 1 : dirlen == 1 ? 1 : (int)(dirlen - 1);
        synth_err_set(err, SYNTH_IO, "%s: cannot create a file in '%.*s': %s", path, shown,
                      dirlen == 0 ? "." : target, synth__strerror(e, ebuf, sizeof ebuf));
        synth_free(fin);
        synth_free(tmp);
        return SYNTH_IO;
    }
    synth__temp_register(tmp);
    if (fchmod(f, 0666 & ~current_umask()) != 0) {
        int e = errno;
        synth_err_set(err, SYNTH_IO, "%s: cannot set permissions of '%s': %s", path, tmp,
                      synth__strerror(e, ebuf, sizeof ebuf));
        close(f);
        unlink(tmp);
        synth__temp_unregister(tmp);
        synth_free(fin);
        synth_free(tmp);
        return SYNTH_IO;
    }
    *final_path = fin;
    *tmp_path = tmp;
    *fd = f;
    return SYNTH_OK;
}

void synth__fsync_parent_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        dir[0] = '.';
        dir[1] = '\0';
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0)
            n = 1;   /* "/file" -> "/" */
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    (void)fsync(fd);
    close(fd);
}
