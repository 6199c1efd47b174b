/* access_log.h -- the server's access log: one JSON line per answered request.
 *
 * {"ts":"2026-01-02T03:04:05.678Z","ip":"127.0.0.1","method":"GET","path":"/v1/jobs","status":200,
 *  "bytes":123,"ms":0.42,"key_prefix":"ab12cd34"}
 * The path never includes the query string, and nothing ever logs a key, a secret or a body.
 * Lines go to a buffered stream (a file opened for appending, or stdout for "-") under one mutex;
 * synth_access_log_flush (called about once a second by the server) and _free push them out.
 * Thread-safe. */
#ifndef SYNTH_ACCESS_LOG_H
#define SYNTH_ACCESS_LOG_H

#include <stdint.h>

#include "err.h"

typedef struct synth_access_log synth_access_log;

typedef struct synth_access_entry {
    const char *ip;           /* client address text */
    const char *method;
    const char *path;         /* request path without the query */
    int status;
    uint64_t bytes;           /* body bytes sent */
    double ms;                /* time from the first byte of the request to the end of the answer */
    const char *key_prefix;   /* visible prefix of the key used, or NULL */
} synth_access_entry;

/* Open path for appending ("-" = standard output).  SYNTH_IO naming the path; SYNTH_NOMEM. */
int synth_access_log_open(const char *path, synth_access_log **out, synth_err *err);
/* Append one line.  Write errors are counted, not reported (the request already got its answer).
 * log NULL does nothing. */
void synth_access_log_write(synth_access_log *log, const synth_access_entry *e);
void synth_access_log_flush(synth_access_log *log);
/* Flush, close (unless stdout) and free.  NULL is a no-op. */
void synth_access_log_free(synth_access_log *log);

#endif
