/* openapi.h -- the OpenAPI 3.0 document of the REST API, served at GET /v1/openapi.json.
 *
 * The document is generated from synth_api_ops, one row per (method, path): scope, parameters,
 * request body, success response, the error statuses it can answer.  Shared parts (the problem+json
 * schema, the RateLimit headers, the bearer security scheme, the resource schemas) live in
 * components and are referenced.  tests/cli/98_api_openapi.bats fetches the served document and
 * checks that every operation it lists answers with something other than 404/405, so the table
 * and the server cannot drift apart silently.
 *
 * Thread-safe: the table is const and synth_openapi_document builds a fresh string per call. */
#ifndef SYNTH_OPENAPI_H
#define SYNTH_OPENAPI_H

#include <stddef.h>

#include "err.h"

/* One operation of the API. */
typedef struct synth_api_op {
    const char *method;       /* "GET", "POST", "DELETE" */
    const char *path;         /* template; "{id}" marks the path parameter */
    const char *scope;        /* required key scope: "read", "generate", "admin"; NULL = no key */
    const char *operation_id; /* unique, camelCase */
    const char *summary;
    const char *query;        /* space-separated query parameters of components.parameters; a
                                 trailing '!' marks a required one ("rows! seed"); NULL = none */
    const char *body;         /* request body: NULL, "text/csv", or a JSON schema name */
    int status;               /* success status (200, 201, 202, 204) */
    const char *result;       /* success body: a JSON schema name, "text/csv", "text/plain",
                                 "report" (JSON or HTML), NULL = no body */
    const char *errors;       /* error statuses besides 401/403/429 of keyed routes and 500, e.g.
                                 "404 409"; NULL = none */
} synth_api_op;

/* The operations, terminated by an entry whose method is NULL. */
extern const synth_api_op synth_api_ops[];

/* Number of operations in synth_api_ops. */
size_t synth_api_op_count(void);

/* The whole document as compact JSON text in a new NUL-terminated string (caller frees with
 * synth_free); *len (may be NULL) gets its length.  version goes to info.version (NULL: the build's
 * SYNTH_VERSION).  On error (out of memory, or a table entry naming an unknown schema, parameter
 * or status: a programming error the unit test catches) returns NULL and fills err. */
char *synth_openapi_document(const char *version, size_t *len, synth_err *err);

#endif
