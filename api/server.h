/* server.h -- `synth serve`: the REST server on libmicrohttpd (thread pool + epoll).
 *
 * synth_server_start opens the store and the job pool under the data dir, binds the listen
 * address (port 0 = any free port; synth_server_port tells which), and serves until
 * synth_server_stop.  Routing, auth, rate limits, uploads and streamed downloads live in
 * server.c and the api/routes_*.c handlers; this header is all the CLI needs.
 * Thread-safety: start/stop from one thread; synth_server_tick and synth_server_begin_drain may be
 * called from that thread while the server runs. */
#ifndef SYNTH_SERVER_H
#define SYNTH_SERVER_H

#include <stdint.h>

#include "err.h"

typedef struct synth_server_config {
    const char *host;          /* numeric IPv4 address to bind, default "127.0.0.1" */
    uint16_t port;             /* 0 = pick a free port */
    const char *data_dir;      /* required */
    int threads;               /* HTTP thread pool size (default: CPU count) */
    int workers;               /* job workers (default 2) */
    double rate;               /* per-key sustained requests/s (default 10) */
    double burst;              /* per-key bucket size (default 20) */
    unsigned max_jobs;         /* queued+running jobs per key (default 4) */
    unsigned auth_failures;    /* failed auth per IP per minute (default 10) */
    uint64_t max_upload;       /* bytes per CSV upload (default 1e9) */
    uint64_t max_rows;         /* largest rows= of a request (default 1e9) */
    const char *access_log;    /* file, "-" for stdout, NULL for none */
    const char *tls_cert;      /* PEM files; both or neither */
    const char *tls_key;
    double grace;              /* seconds running jobs get to finish on shutdown (default 30) */
} synth_server_config;

void synth_server_config_init(synth_server_config *c);

typedef struct synth_server synth_server;

/* Start serving.  Errors: SYNTH_USAGE (bad config, unreadable/invalid TLS files), SYNTH_IO (store,
 * bind), SYNTH_NOMEM.  On success *out runs until synth_server_stop. */
int synth_server_start(const synth_server_config *c, synth_server **out, synth_err *err);

/* The bound TCP port. */
uint16_t synth_server_port(const synth_server *s);

/* Periodic housekeeping (about once a second): flush the access log. */
void synth_server_tick(synth_server *s);

/* Stop accepting connections and answer /readyz with 503 from now on. */
void synth_server_begin_drain(synth_server *s);

/* Drain and free: stop accepting, give running jobs up to config.grace seconds (then requeue
 * them), stop the HTTP daemon, close the store.  NULL is a no-op.  Returns 0 or the first error
 * met while closing (err filled); s is freed either way. */
int synth_server_stop(synth_server *s, synth_err *err);

#endif
