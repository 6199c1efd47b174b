/* http.c -- route patterns, id/query/Authorization parsing, JSON bodies, problem details.
 * See http.h. */
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void synth_http_problem_clear(synth_http_problem *p)
{
    memset(p, 0, sizeof *p);
}

int synth_http_problem_set(synth_http_problem *p, int status, const char *fmt, ...)
{
    p->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof p->detail, fmt, ap);
    va_end(ap);
    return status;
}

typedef struct status_title {
    int status;
    const char *title;
} status_title;

static const status_title titles[] = {
    {200, "OK"}, {201, "Created"}, {202, "Accepted"}, {204, "No Content"},
    {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"},
    {405, "Method Not Allowed"}, {409, "Conflict"}, {411, "Length Required"},
    {413, "Content Too Large"}, {415, "Unsupported Media Type"}, {422, "Unprocessable Content"},
    {429, "Too Many Requests"}, {500, "Internal Server Error"}, {503, "Service Unavailable"},
};

const char *synth_http_status_title(int status)
{
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
        if (titles[i].status == status)
            return titles[i].title;
    return "Error";
}

/* A JSON string of s; when s is not valid UTF-8 (a message quoting raw input), bytes >= 0x80 are
 * replaced by '?' so the answer is still valid JSON. */
static json_t *safe_string(const char *s)
{
    json_t *v = json_string(s);
    if (v != NULL)
        return v;
    char buf[512];
    size_t n = 0;
    for (; *s != '\0' && n + 1 < sizeof buf; s++)
        buf[n++] = (unsigned char)*s >= 0x80 ? '?' : *s;
    buf[n] = '\0';
    return json_string(buf);
}

char *synth_http_problem_body(const synth_http_problem *p, size_t *len)
{
    char type[64];
    snprintf(type, sizeof type, "https://synth.dev/problems/%d", p->status);
    json_t *doc = json_pack("{s:s, s:s, s:i, s:o}", "type", type, "title", synth_http_status_title(p->status),
                            "status", p->status, "detail", safe_string(p->detail));
    if (doc == NULL)
        return NULL;
    if (p->field[0] != '\0')
        json_object_set_new(doc, "field", safe_string(p->field));
    if (p->line > 0)
        json_object_set_new(doc, "line", json_integer(p->line));
    if (p->column > 0)
        json_object_set_new(doc, "column", json_integer(p->column));
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(doc);
    if (text != NULL && len != NULL)
        *len = strlen(text);
    return text;
}

static int id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int synth_http_valid_id(const char *s, size_t len)
{
    if (len == 0 || len > SYNTH_HTTP_ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!id_char((unsigned char)s[i]))
            return 0;
    return 1;
}

int synth_http_path_match(const char *pattern, const char *path, char *id, size_t cap)
{
    const char *p = pattern, *s = path;
    while (*p != '\0') {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (close == NULL)
                return 0;
            size_t n = strcspn(s, "/");
            if (!synth_http_valid_id(s, n) || cap <= n)
                return 0;
            memcpy(id, s, n);
            id[n] = '\0';
            s += n;
            p = close + 1;
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    return *s == '\0';
}

int synth_http_parse_u64(const char *text, uint64_t max, uint64_t *out)
{
    if (text == NULL || *text == '\0')
        return -1;
    uint64_t v = 0;
    for (const char *c = text; *c != '\0'; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        unsigned d = (unsigned)(*c - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static int b64token_char(unsigned char c)
{
    return id_char(c) || c == '.' || c == '~' || c == '+' || c == '/';
}

int synth_http_bearer(const char *header, const char **tok, size_t *len)
{
    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
        return -1;
    const char *t = header + 7;
    while (*t == ' ')
        t++;
    size_t n = 0;
    while (b64token_char((unsigned char)t[n]))
        n++;
    size_t eq = 0;
    while (t[n + eq] == '=')
        eq++;
    const char *rest = t + n + eq;
    while (*rest == ' ')
        rest++;
    if (n == 0 || n + eq > SYNTH_HTTP_TOKEN_MAX || *rest != '\0')
        return -1;
    *tok = t;
    *len = n + eq;
    return 0;
}

int synth_http_content_type_is(const char *header, const char *mime)
{
    if (header == NULL)
        return 0;
    while (*header == ' ')
        header++;
    size_t n = strlen(mime);
    if (strncasecmp(header, mime, n) != 0)
        return 0;
    const char *rest = header + n;
    while (*rest == ' ')
        rest++;
    return *rest == '\0' || *rest == ';';
}

const synth_http_field synth_http_body_model[] = {
    {"dataset_id", SYNTH_JSON_STRING, 1, SYNTH_HTTP_ID_MAX},
    {"generator", SYNTH_JSON_STRING, 0, 32},
    {"seed", SYNTH_JSON_UINT, 0, 0},
    {"params", SYNTH_JSON_OBJECT, 0, 0},
    {NULL, 0, 0, 0},
};

const synth_http_field synth_http_body_samples[] = {
    {"rows", SYNTH_JSON_UINT, 1, 1000000000000ULL},
    {"seed", SYNTH_JSON_UINT, 0, 0},
    {NULL, 0, 0, 0},
};

const synth_http_field synth_http_body_validation[] = {
    {"dataset_id", SYNTH_JSON_STRING, 1, SYNTH_HTTP_ID_MAX},
    {"job_id", SYNTH_JSON_STRING, 1, SYNTH_HTTP_ID_MAX},
    {"holdout_dataset_id", SYNTH_JSON_STRING, 0, SYNTH_HTTP_ID_MAX},
    {"target", SYNTH_JSON_STRING, 0, 256},
    {NULL, 0, 0, 0},
};

const synth_http_field synth_http_body_key[] = {
    {"name", SYNTH_JSON_STRING, 1, 255},
    {"scopes", SYNTH_JSON_STRINGS, 0, 3},
    {NULL, 0, 0, 0},
};

static const char *type_name(synth_json_type t)
{
    switch (t) {
    case SYNTH_JSON_STRING: return "a string";
    case SYNTH_JSON_UINT: return "a non-negative integer";
    case SYNTH_JSON_OBJECT: return "an object";
    case SYNTH_JSON_STRINGS: return "an array of strings";
    }
    return "?";
}

static int field_problem(synth_http_problem *p, int status, const char *field, const char *fmt, const char *a)
{
    synth_http_problem_set(p, status, fmt, field, a);
    snprintf(p->field, sizeof p->field, "%s", field);
    return status;
}

static int check_value(const synth_http_field *f, json_t *v, synth_http_problem *p)
{
    switch (f->type) {
    case SYNTH_JSON_STRING:
        if (!json_is_string(v))
            break;
        if (json_string_length(v) == 0)
            return field_problem(p, 422, f->name, "field '%s' must not be empty%s", "");
        if (json_string_length(v) > f->max)
            return field_problem(p, 413, f->name, "field '%s' is too long%s", "");
        if (strlen(json_string_value(v)) != json_string_length(v))
            return field_problem(p, 422, f->name, "field '%s' contains a NUL byte%s", "");
        return 0;
    case SYNTH_JSON_UINT:
        if (!json_is_integer(v))
            break;
        if (json_integer_value(v) < 0 || (f->max > 0 && (uint64_t)json_integer_value(v) > f->max))
            return field_problem(p, 422, f->name, "field '%s' is out of range%s", "");
        return 0;
    case SYNTH_JSON_OBJECT:
        if (!json_is_object(v))
            break;
        return 0;
    case SYNTH_JSON_STRINGS: {
        if (!json_is_array(v))
            break;
        if (json_array_size(v) > f->max)
            return field_problem(p, 413, f->name, "field '%s' has too many entries%s", "");
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > 64)
                return field_problem(p, 422, f->name, "field '%s' must hold short non-empty strings%s", "");
        }
        return 0;
    }
    }
    return field_problem(p, 422, f->name, "field '%s' must be %s", type_name(f->type));
}

int synth_http_json_body(const char *body, size_t len, const synth_http_field *fields, json_t **out,
                         synth_http_problem *p)
{
    *out = NULL;
    json_t *doc;
    if (len == 0) {
        doc = json_object();
        if (doc == NULL)
            return synth_http_problem_set(p, 500, "out of memory");
    } else {
        json_error_t jerr;
        doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
        if (doc == NULL) {
            synth_http_problem_set(p, 400, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
                                   jerr.text);
            p->line = jerr.line > 0 ? jerr.line : 0;
            p->column = jerr.column > 0 ? jerr.column : 0;
            return 400;
        }
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return synth_http_problem_set(p, 422, "the request body must be a JSON object");
    }
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        const synth_http_field *f = fields;
        while (f->name != NULL && strcmp(f->name, key) != 0)
            f++;
        if (f->name == NULL) {
            synth_http_problem_set(p, 422, "unknown field '%.64s'", key);
            snprintf(p->field, sizeof p->field, "%s", key);
            json_decref(doc);
            return 422;
        }
        int rc = check_value(f, v, p);
        if (rc) {
            json_decref(doc);
            return rc;
        }
    }
    for (const synth_http_field *f = fields; f->name != NULL; f++) {
        if (f->required && json_object_get(doc, f->name) == NULL) {
            json_decref(doc);
            return field_problem(p, 422, f->name, "missing required field '%s'%s", "");
        }
    }
    *out = doc;
    return 0;
}

size_t synth_http_json_escape(char *buf, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    if (cap == 0)
        return 0;
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[6];
        size_t k;
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            k = 2;
        } else if (c < 0x20) {
            tmp[0] = '\\';
            tmp[1] = 'u';
            tmp[2] = '0';
            tmp[3] = '0';
            tmp[4] = hex[c >> 4];
            tmp[5] = hex[c & 15];
            k = 6;
        } else if (c >= 0x80) {
            tmp[0] = '?';
            k = 1;
        } else {
            tmp[0] = (char)c;
            k = 1;
        }
        if (n + k >= cap)
            break;
        memcpy(buf + n, tmp, k);
        n += k;
    }
    buf[n] = '\0';
    return n;
}
