/* cmd_serve.c -- `synth serve`: run the REST server (api/server.h) until SIGTERM or SIGINT.
 *
 * SIGINT/SIGTERM (and SIGHUP, ignored) are blocked in every thread; the main thread takes the
 * first two with sigtimedwait, so a signal never interrupts a request or a job half-way: the first
 * one starts the drain (stop accepting, /readyz 503, running jobs get --grace seconds, then are
 * requeued), the store is closed and the command exits 0. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "count_arg.h"
#include "server.h"

static const cli_option serve_options[] = {
    {"listen", 'l', "ADDR:PORT", 0, "address to listen on (default 127.0.0.1:8080; port 0 = any free port)"},
    {"data-dir", 'D', "DIR", 0, "store directory: store.db, datasets/, models/, outputs/ (required)"},
    {"tls-cert", 0, "FILE", 0, "PEM certificate: serve HTTPS (with --tls-key)"},
    {"tls-key", 0, "FILE", 0, "PEM private key of --tls-cert"},
    {"threads", 't', "N", 0, "HTTP threads (default: all cores)"},
    {"workers", 'w', "N", 0, "job worker threads (default 2)"},
    {"rate", 0, "R", 0, "requests per second per key, sustained (default 10)"},
    {"burst", 0, "B", 0, "requests a key may make at once after an idle spell (default 20)"},
    {"max-jobs", 0, "N", 0, "queued + running jobs per key (default 4)"},
    {"max-upload", 0, "BYTES", 0, "largest CSV upload (default 1G; 413 above)"},
    {"max-rows", 0, "N", 0, "largest rows= of a streamed generation (default 1e9)"},
    {"access-log", 0, "FILE", 0, "JSON-lines access log ('-' = standard output; default none)"},
    {"auth-failures", 0, "N", 0, "failed authentications per client IP per minute before 429 (default 10)"},
    {"grace", 0, "SECONDS", 0, "on SIGTERM, how long running jobs may finish before requeue (default 30)"},
    {NULL, 0, NULL, 0, NULL},
};

static int parse_listen(const char *text, char *host, size_t hostcap, uint16_t *port, synth_err *err)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL || colon == text || (size_t)(colon - text) >= hostcap)
        return synth_err_set(err, SYNTH_USAGE, "--listen: expected ADDRESS:PORT, got '%s'", text);
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    uint64_t p;
    int rc = cli_parse_uint("--listen port", colon + 1, 65535, &p, err);
    if (rc)
        return rc;
    *port = (uint16_t)p;
    return 0;
}

static int parse_double(const char *opt, const char *text, double min, double *out, synth_err *err)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= min) || v > 1e9)
        return synth_err_set(err, SYNTH_USAGE, "%s: '%s' is not a number >= %g", opt, text, min);
    *out = v;
    return 0;
}

static int read_config(const cli_args *a, synth_server_config *c, char *host, size_t hostcap, synth_err *err)
{
    const char *v;
    uint64_t n;
    int rc = 0;
    if ((v = cli_get(a, "listen")) != NULL) {
        if ((rc = parse_listen(v, host, hostcap, &c->port, err)))
            return rc;
        c->host = host;
    }
    c->data_dir = cli_get(a, "data-dir");
    if (c->data_dir == NULL)
        return synth_err_set(err, SYNTH_USAGE, "--data-dir DIR is required");
    c->tls_cert = cli_get(a, "tls-cert");
    c->tls_key = cli_get(a, "tls-key");
    c->access_log = cli_get(a, "access-log");
    if ((v = cli_get(a, "threads")) != NULL) {
        if ((rc = cli_parse_uint("--threads", v, 256, &n, err)))
            return rc;
        if (n < 1)
            return synth_err_set(err, SYNTH_USAGE, "--threads must be at least 1");
        c->threads = (int)n;
    }
    if ((v = cli_get(a, "workers")) != NULL) {
        if ((rc = cli_parse_uint("--workers", v, 64, &n, err)))
            return rc;
        if (n < 1)
            return synth_err_set(err, SYNTH_USAGE, "--workers must be at least 1");
        c->workers = (int)n;
    }
    if ((v = cli_get(a, "rate")) != NULL && (rc = parse_double("--rate", v, 1e-6, &c->rate, err)))
        return rc;
    if ((v = cli_get(a, "burst")) != NULL) {
        if ((rc = cli_parse_uint("--burst", v, 1000000, &n, err)))
            return rc;
        if (n < 1)
            return synth_err_set(err, SYNTH_USAGE, "--burst must be at least 1");
        c->burst = (double)n;
    }
    if ((v = cli_get(a, "max-jobs")) != NULL) {
        if ((rc = cli_parse_uint("--max-jobs", v, 100000, &n, err)))
            return rc;
        c->max_jobs = (unsigned)n;
    }
    if ((v = cli_get(a, "max-upload")) != NULL &&
        (rc = synth_parse_count(v, 1ULL << 50, &c->max_upload, "--max-upload", err)))
        return rc;
    if ((v = cli_get(a, "max-rows")) != NULL &&
        (rc = synth_parse_count(v, 1000000000000ULL, &c->max_rows, "--max-rows", err)))
        return rc;
    if (c->max_upload == 0 || c->max_rows == 0)
        return synth_err_set(err, SYNTH_USAGE, "%s must be at least 1", c->max_upload == 0 ? "--max-upload" : "--max-rows");
    if ((v = cli_get(a, "auth-failures")) != NULL) {
        if ((rc = cli_parse_uint("--auth-failures", v, 1000000, &n, err)))
            return rc;
        if (n < 1)
            return synth_err_set(err, SYNTH_USAGE, "--auth-failures must be at least 1");
        c->auth_failures = (unsigned)n;
    }
    if ((v = cli_get(a, "grace")) != NULL && (rc = parse_double("--grace", v, 0, &c->grace, err)))
        return rc;
    return 0;
}

static int run_serve(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_server_config cfg;
    synth_server_config_init(&cfg);
    char host[64];
    int rc = read_config(a, &cfg, host, sizeof host, &err);
    if (rc)
        return cli_report("serve", &err);
    /* Block the stop signals before any thread exists, so only sigtimedwait below sees them; a
     * client that goes away must not kill the process either. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigset_t blocked = stop;
    sigaddset(&blocked, SIGHUP);   /* a closed terminal must not stop the engines (signals.c's flag) */
    pthread_sigmask(SIG_BLOCK, &blocked, NULL);
    signal(SIGPIPE, SIG_IGN);
    synth_server *srv = NULL;
    rc = synth_server_start(&cfg, &srv, &err);
    if (rc)
        return cli_report("serve", &err);
    fprintf(stderr, "synth serve: listening on http%s://%s:%u\n", cfg.tls_cert ? "s" : "", cfg.host,
            (unsigned)synth_server_port(srv));
    fflush(stderr);
    int sig;
    for (;;) {
        struct timespec ts = {1, 0};
        sig = sigtimedwait(&stop, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        synth_server_tick(srv);
    }
    fprintf(stderr, "synth serve: %s received, draining (grace %gs)\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
            cfg.grace);
    synth_server_begin_drain(srv);
    rc = synth_server_stop(srv, &err);
    if (rc)
        return cli_report("serve", &err);
    fprintf(stderr, "synth serve: stopped\n");
    return 0;
}

const cli_command synth_cmd_serve = {
    .name = "serve",
    .summary = "run the REST server (upload, fit, generate, validate over HTTP)",
    .usage = "synth serve --data-dir DIR [--listen 127.0.0.1:8080] [options]",
    .description =
        "Serves the REST API (see docs/API.md) on libmicrohttpd with a thread pool: API keys\n"
        "('synth keys create'), per-key rate limits, streamed CSV uploads and downloads, and jobs\n"
        "(fit, generate, validate) in a worker pool recorded in DIR/store.db, so a restart loses\n"
        "nothing.  Prints 'listening on http://ADDR:PORT' on stderr once ready.  SIGTERM/SIGINT:\n"
        "stop accepting, let running jobs finish (--grace), requeue the rest, exit 0.",
    .options = serve_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_serve,
};
