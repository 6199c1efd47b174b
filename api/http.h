/* http.h -- the socket-free half of the REST server: route patterns, id and query-value checks,
 * Authorization header parsing, JSON request bodies, RFC 9457 problem details.
 *
 * Nothing here touches libmicrohttpd or the store, so the fuzzer (tests/fuzz/fuzz_http_request.c)
 * drives every function directly.  Input always comes from the network: every function returns an
 * error value (never asserts) on bad input.  No global state; thread-safe. */
#ifndef SYNTH_HTTP_H
#define SYNTH_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Longest {id} path segment accepted (bytes). */
#define SYNTH_HTTP_ID_MAX 63
/* Longest bearer token accepted (bytes). */
#define SYNTH_HTTP_TOKEN_MAX 200

/* An RFC 9457 problem: the status plus a human detail and, where known, the field or line. */
typedef struct synth_http_problem {
    int status;             /* HTTP status (400..599) */
    char detail[384];       /* human message; never a secret */
    char field[64];         /* offending field or parameter, "" when none */
    long line;              /* 1-based line of a CSV or JSON error, 0 when none */
    long column;            /* 1-based column of a JSON syntax error, 0 when none */
} synth_http_problem;

/* Reset p to "no problem" (status 0). */
void synth_http_problem_clear(synth_http_problem *p);
/* Set status and a printf-style detail; returns status, so handlers can `return ...`. */
int synth_http_problem_set(synth_http_problem *p, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The reason phrase of a status ("Not Found"); "Error" for one not in the table. */
const char *synth_http_status_title(int status);
/* The problem as an application/problem+json document: a new NUL-terminated string allocated by
 * Jansson's allocator (free with free(), or hand it to MHD with MHD_RESPMEM_MUST_FREE); *len gets
 * its length.  NULL when out of memory. */
char *synth_http_problem_body(const synth_http_problem *p, size_t *len);

/* Does path match pattern?  Pattern segments are literal or "{id}"; an {id} segment of the path
 * must be 1..SYNTH_HTTP_ID_MAX characters of [A-Za-z0-9_-] (so "..", "%2F" leftovers and quotes
 * never match).  On a match returns 1 and copies the id (if the pattern has one) into id[cap]
 * (cap > SYNTH_HTTP_ID_MAX); otherwise 0. */
int synth_http_path_match(const char *pattern, const char *path, char *id, size_t cap);
/* 1 when s[0..len) is a well-formed id segment (see above). */
int synth_http_valid_id(const char *s, size_t len);

/* Parse an unsigned decimal (digits only, no sign or spaces, at most max).  0 or -1. */
int synth_http_parse_u64(const char *text, uint64_t max, uint64_t *out);

/* "Bearer <token>" (scheme case-insensitive, one or more spaces).  The token must be 1..
 * SYNTH_HTTP_TOKEN_MAX characters of RFC 6750's b64token set.  Returns 0 and points *tok and *len into
 * header; -1 when header is NULL, another scheme, or malformed. */
int synth_http_bearer(const char *header, const char **tok, size_t *len);

/* Does a Content-Type header name `mime` (case-insensitive, parameters after ';' ignored)? */
int synth_http_content_type_is(const char *header, const char *mime);

/* JSON request bodies: the fields a route accepts. */
typedef enum synth_json_type {
    SYNTH_JSON_STRING = 1,   /* string of 1..max_len bytes */
    SYNTH_JSON_UINT,         /* integer >= 0 and <= max (max 0 = any non-negative) */
    SYNTH_JSON_OBJECT,       /* object */
    SYNTH_JSON_STRINGS       /* array of at most max_len strings (each <= 64 bytes) */
} synth_json_type;

typedef struct synth_http_field {
    const char *name;
    synth_json_type type;
    int required;
    uint64_t max;            /* SYNTH_JSON_STRING/_STRINGS: longest length (413 above); UINT: largest value */
} synth_http_field;

/* Field tables of the routes that take JSON bodies (terminated by a {NULL} entry). */
extern const synth_http_field synth_http_body_model[];       /* POST /v1/models */
extern const synth_http_field synth_http_body_samples[];     /* POST /v1/models/{id}/samples */
extern const synth_http_field synth_http_body_validation[];  /* POST /v1/validations */
extern const synth_http_field synth_http_body_key[];         /* POST /v1/keys */

/* Parse body[0..len) as one JSON object holding only the listed fields with the listed types.
 * Returns 0 and sets *out (json_decref) or a status with p filled: 400 for a syntax error (with
 * line and column), 422 for a non-object, an unknown field, a wrong type or value, a missing
 * required field, 413 for a string longer than its max.  An empty body counts as {}. */
int synth_http_json_body(const char *body, size_t len, const synth_http_field *fields, json_t **out,
                         synth_http_problem *p);

/* Write s as a JSON string body (without quotes) into buf[cap], escaping quotes, backslashes and
 * control bytes and replacing bytes >= 0x80 by '?' (log lines stay ASCII).  Always NUL-terminates;
 * returns the length written (cut short when cap is too small). */
size_t synth_http_json_escape(char *buf, size_t cap, const char *s);

#endif
