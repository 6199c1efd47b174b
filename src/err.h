/* err.h -- errors as values.
 *
 * Every fallible function in synth returns an int status (0 = SYNTH_OK, negative = one of the codes
 * below) and fills a caller-owned synth_err with a human-readable message naming the file, line or
 * field where known.  Nothing below the CLI and the server prints or exits.  The list of codes is
 * an X-macro so the enum, the names and the exit codes can never drift apart.  Codes are only ever
 * added, never renumbered.  Thread-safe: no shared state. */
#ifndef SYNTH_ERR_H
#define SYNTH_ERR_H

#include <stddef.h>

/* X(name, value, process exit code, short description) */
#define SYNTH_ERROR_LIST(X)                                                 \
    X(OK,           0, 0, "success")                                        \
    X(INTERNAL,    -1, 1, "internal error")                                 \
    X(USAGE,       -2, 2, "usage error")                                    \
    X(BAD_INPUT,   -3, 3, "bad input data")                                 \
    X(IO,          -4, 4, "I/O failure")                                    \
    X(MODEL,       -5, 5, "invalid or incompatible model file")             \
    X(NOMEM,       -6, 6, "out of memory")                                  \
    X(INTERRUPTED, -7, 130, "interrupted")                                  \
    X(GATE,        -8, 10, "quality below the required threshold")

typedef enum synth_code {
#define SYNTH__ENUM(name, value, exitcode, desc) SYNTH_##name = value,
    SYNTH_ERROR_LIST(SYNTH__ENUM)
#undef SYNTH__ENUM
} synth_code;

#define SYNTH_ERR_MSG_MAX 512

typedef struct synth_err {
    int code;                       /* a synth_code */
    char msg[SYNTH_ERR_MSG_MAX];    /* human message, never contains secrets */
} synth_err;

/* Reset err to SYNTH_OK with an empty message.  err may be NULL. */
void synth_err_clear(synth_err *err);

/* Record code and a printf-style message in err (which may be NULL) and return code, so callers can
 * write `return synth_err_set(err, SYNTH_BAD_INPUT, "...")`.  Can't fail; long messages are cut. */
int synth_err_set(synth_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with more context ("file.csv: " + old message).  Returns err->code. */
int synth_err_prefix(synth_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "BAD_INPUT", "IO", ...; "UNKNOWN" for a code not in the list. */
const char *synth_code_name(int code);
/* "bad input data", ... */
const char *synth_code_desc(int code);
/* Process exit status for a code (0 ok, 1 internal, 2 usage, 3 bad input, 4 I/O, 5 model,
 * 6 out of memory, 10 quality gate failed (--fail-under), 130 interrupted). */
int synth_code_exit(int code);

#endif
