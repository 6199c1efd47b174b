/* access_log.c -- JSON-lines access log on a buffered stream.  See access_log.h. */
#include "access_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "alloc.h"
#include "http.h"
#include "signals.h"

struct synth_access_log {
    FILE *fp;
    int is_stdout;
    pthread_mutex_t lock;
    unsigned long write_errors;
};

int synth_access_log_open(const char *path, synth_access_log **out, synth_err *err)
{
    *out = NULL;
    synth_access_log *log = synth_calloc(1, sizeof *log);
    if (log == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    if (strcmp(path, "-") == 0) {
        log->fp = stdout;
        log->is_stdout = 1;
    } else {
        log->fp = fopen(path, "ae");
        if (log->fp == NULL) {
            char buf[128];
            int e = errno;
            synth_free(log);
            return synth_err_set(err, SYNTH_IO, "--access-log %s: %s", path, synth__strerror(e, buf, sizeof buf));
        }
    }
    setvbuf(log->fp, NULL, _IOFBF, 1 << 16);
    pthread_mutex_init(&log->lock, NULL);
    *out = log;
    return 0;
}

void synth_access_log_write(synth_access_log *log, const synth_access_entry *e)
{
    if (log == NULL)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[40], ip[64], method[24], path[512], prefix[40];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    synth_http_json_escape(ip, sizeof ip, e->ip ? e->ip : "");
    synth_http_json_escape(method, sizeof method, e->method ? e->method : "");
    synth_http_json_escape(path, sizeof path, e->path ? e->path : "");
    char line[1024];
    int n;
    if (e->key_prefix != NULL && e->key_prefix[0] != '\0') {
        synth_http_json_escape(prefix, sizeof prefix, e->key_prefix);
        n = snprintf(line, sizeof line,
                     "{\"ts\":\"%s.%03ldZ\",\"ip\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,"
                     "\"bytes\":%llu,\"ms\":%.3f,\"key_prefix\":\"%s\"}\n",
                     ts, (long)(tv.tv_usec / 1000), ip, method, path, e->status, (unsigned long long)e->bytes,
                     e->ms, prefix);
    } else {
        n = snprintf(line, sizeof line,
                     "{\"ts\":\"%s.%03ldZ\",\"ip\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,"
                     "\"bytes\":%llu,\"ms\":%.3f,\"key_prefix\":null}\n",
                     ts, (long)(tv.tv_usec / 1000), ip, method, path, e->status, (unsigned long long)e->bytes,
                     e->ms);
    }
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    pthread_mutex_lock(&log->lock);
    if (fwrite(line, 1, len, log->fp) != len)
        log->write_errors++;
    pthread_mutex_unlock(&log->lock);
}

void synth_access_log_flush(synth_access_log *log)
{
    if (log == NULL)
        return;
    pthread_mutex_lock(&log->lock);
    if (fflush(log->fp) != 0)
        log->write_errors++;
    pthread_mutex_unlock(&log->lock);
}

void synth_access_log_free(synth_access_log *log)
{
    if (log == NULL)
        return;
    synth_access_log_flush(log);
    if (!log->is_stdout)
        fclose(log->fp);
    pthread_mutex_destroy(&log->lock);
    synth_free(log);
}
