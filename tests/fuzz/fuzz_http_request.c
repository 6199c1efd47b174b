/* fuzz_http_request.c -- libFuzzer target for the server's request parsing (api/http.c), without a
 * socket.
 *
 * The first byte picks what the rest of the input is: a request path run through the route table
 * (every pattern of synth__routes), an Authorization header, a query value, a Content-Type header,
 * or a JSON body checked against each POST route's field table.  Invariants: nothing reads past
 * the input (exact-size heap copies), a matched {id} is 1..63 characters of [A-Za-z0-9_-] and
 * appears verbatim in the path, a bearer token lies inside the header and has only b64token
 * characters, an accepted number prints back to the same text (no leading zeros aside), a JSON
 * body is either accepted (an object holding only listed fields of the right types) or rejected
 * with a 400/413/422 problem whose body is valid JSON, and escaped log text is valid JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "routes_impl.h"

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "fuzz_http_request: line %d: %s\n", __LINE__, #cond);    \
            abort();                                                                  \
        }                                                                             \
    } while (0)

static char *cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

static void fuzz_path(const char *path)
{
    char id[SYNTH_HTTP_ID_MAX + 1];
    for (const synth_route *rt = synth__routes; rt->method != NULL; rt++) {
        if (!synth_http_path_match(rt->pattern, path, id, sizeof id))
            continue;
        if (strchr(rt->pattern, '{') != NULL) {
            size_t n = strlen(id);
            CHECK(synth_http_valid_id(id, n));
            CHECK(strstr(path, id) != NULL);
            CHECK(strstr(id, "..") == NULL && strchr(id, '/') == NULL);
        } else {
            CHECK(strcmp(rt->pattern, path) == 0);
        }
    }
}

static void fuzz_bearer(const char *hdr)
{
    const char *tok = NULL;
    size_t len = 0;
    if (synth_http_bearer(hdr, &tok, &len) != 0)
        return;
    CHECK(tok > hdr && tok + len <= hdr + strlen(hdr));
    CHECK(len >= 1 && len <= SYNTH_HTTP_TOKEN_MAX);
    for (size_t i = 0; i < len; i++)
        CHECK(tok[i] != ' ' && tok[i] != '\0' && (unsigned char)tok[i] > 0x20 && (unsigned char)tok[i] < 0x7f);
}

static void fuzz_number(const char *text)
{
    uint64_t v;
    if (synth_http_parse_u64(text, UINT64_MAX, &v) != 0)
        return;
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    const char *t = text;
    while (*t == '0' && t[1] != '\0')
        t++;
    CHECK(strcmp(buf, t) == 0);
}

static void fuzz_json(const char *body, size_t len)
{
    const synth_http_field *tables[] = {synth_http_body_model, synth_http_body_samples, synth_http_body_validation,
                                        synth_http_body_key};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        json_t *doc = NULL;
        synth_http_problem p;
        synth_http_problem_clear(&p);
        int rc = synth_http_json_body(body, len, tables[t], &doc, &p);
        if (rc == 0) {
            CHECK(json_is_object(doc));
            const char *key;
            json_t *v;
            json_object_foreach(doc, key, v) {
                const synth_http_field *f = tables[t];
                while (f->name != NULL && strcmp(f->name, key) != 0)
                    f++;
                CHECK(f->name != NULL);
            }
            json_decref(doc);
            continue;
        }
        CHECK(doc == NULL);
        CHECK(rc == 400 || rc == 413 || rc == 422 || rc == 500);
        CHECK(p.status == rc);
        size_t blen = 0;
        char *text = synth_http_problem_body(&p, &blen);
        CHECK(text != NULL);
        json_error_t jerr;
        json_t *back = json_loadb(text, blen, 0, &jerr);
        CHECK(back != NULL);
        CHECK(json_integer_value(json_object_get(back, "status")) == rc);
        json_decref(back);
        free(text);
    }
}

static void fuzz_escape(const char *s)
{
    char buf[300], doc[310];
    size_t n = synth_http_json_escape(buf, sizeof buf, s);
    CHECK(n < sizeof buf && strlen(buf) == n);
    snprintf(doc, sizeof doc, "\"%s\"", buf);
    json_error_t jerr;
    json_t *v = json_loads(doc, JSON_DECODE_ANY, &jerr);
    CHECK(v != NULL && json_is_string(v));
    json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 6;
    char *s = cstr(data + 1, size - 1);
    switch (mode) {
    case 0: fuzz_path(s); break;
    case 1: fuzz_bearer(s); break;
    case 2: fuzz_number(s); break;
    case 3:
        (void)synth_http_content_type_is(s, "text/csv");
        (void)synth_http_content_type_is(s, "application/json");
        break;
    case 4: fuzz_json(s, size - 1); break;
    default: fuzz_escape(s); break;
    }
    free(s);
    return 0;
}
