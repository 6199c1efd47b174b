/* openapi.c -- the OpenAPI 3.0 document, generated from the operation table (see openapi.h).
 *
 * The resource schemas are written as JSON inside the C source with the JSON() macro (the
 * preprocessor turns the tokens into one string literal, quotes escaped) and parsed with Jansson at
 * build time of the document, so a typo is an error value, and the unit test makes sure there is
 * none.  Paths, parameters and responses are assembled from synth_api_ops. */
#include "openapi.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"

#ifndef SYNTH_VERSION
#define SYNTH_VERSION "0.0.0"
#endif

#define JSON(...) #__VA_ARGS__

const synth_api_op synth_api_ops[] = {
    {"GET", "/healthz", NULL, "getHealth", "Liveness: the process answers", NULL, NULL, 200, "Health",
     NULL},
    {"GET", "/readyz", NULL, "getReady", "Readiness: 503 while starting or draining", NULL, NULL, 200,
     "Health", "503"},
    {"GET", "/metrics", NULL, "getMetrics", "Prometheus metrics (text format 0.0.4)", NULL, NULL, 200,
     "text/plain", NULL},
    {"GET", "/v1/openapi.json", NULL, "getOpenApi", "This document", NULL, NULL, 200, "Document", NULL},
    {"POST", "/v1/generate", "generate", "generateFromCsv",
     "Fit a Gaussian copula to the uploaded CSV and stream N synthetic rows back (chunked); the bytes "
     "equal `synth fit` + `synth generate --rows N --seed S`",
     "rows! seed", "text/csv", 200, "text/csv", "400 413 415 422"},
    {"POST", "/v1/datasets", "generate", "createDataset",
     "Upload a CSV dataset (streamed to disk, size-limited)", "name", "text/csv", 201, "Dataset",
     "400 413 415 422"},
    {"GET", "/v1/datasets", "read", "listDatasets", "The key's datasets, newest first", NULL, NULL, 200,
     "DatasetList", NULL},
    {"GET", "/v1/datasets/{id}", "read", "getDataset", "One dataset", NULL, NULL, 200, "Dataset", "404"},
    {"DELETE", "/v1/datasets/{id}", "generate", "deleteDataset",
     "Delete a dataset and its file (409 while a model or a job uses it)", NULL, NULL, 204, NULL,
     "404 409"},
    {"POST", "/v1/models", "generate", "createModel", "Fit a model on a dataset (a fit job)", NULL,
     "ModelCreate", 202, "Job", "400 404 409 413 415 422"},
    {"GET", "/v1/models", "read", "listModels", "The key's models, newest first", NULL, NULL, 200,
     "ModelList", NULL},
    {"GET", "/v1/models/{id}", "read", "getModel", "One model", NULL, NULL, 200, "Model", "404"},
    {"DELETE", "/v1/models/{id}", "generate", "deleteModel",
     "Delete a model and its file (409 while a job uses it)", NULL, NULL, 204, NULL, "404 409"},
    {"GET", "/v1/models/{id}/rows", "generate", "streamRows",
     "Stream N synthetic rows from a model as CSV (chunked, constant memory)", "rows! seed", NULL, 200,
     "text/csv", "400 404"},
    {"POST", "/v1/models/{id}/samples", "generate", "createSamples",
     "Generate N rows from a model into an output file (a generate job)", NULL, "SampleCreate", 202,
     "Job", "400 404 409 413 415 422"},
    {"POST", "/v1/validations", "generate", "createValidation",
     "Validate a finished generate job's output against a dataset (a validate job)", NULL,
     "ValidationCreate", 202, "Job", "400 404 409 413 415 422"},
    {"GET", "/v1/jobs", "read", "listJobs", "The key's jobs, newest first", "state", NULL, 200, "JobList",
     "400"},
    {"GET", "/v1/jobs/{id}", "read", "getJob", "One job: state, progress, result or error", NULL, NULL,
     200, "Job", "404"},
    {"DELETE", "/v1/jobs/{id}", "generate", "cancelJob",
     "Cancel a job: a queued one at once, a running one between chunks", NULL, NULL, 200, "Job", "404"},
    {"GET", "/v1/jobs/{id}/result", "read", "getJobResult",
     "A finished job's result: generated CSV, the validation report (JSON, or HTML with "
     "format=html), or the fitted model's description",
     "format", NULL, 200, "report", "400 404 409"},
    {"POST", "/v1/keys", "admin", "createKey", "Create an API key; the secret is in this answer only",
     NULL, "KeyCreate", 201, "KeyCreated", "400 413 415 422"},
    {"GET", "/v1/keys", "admin", "listKeys", "All keys (never secrets or hashes)", NULL, NULL, 200,
     "KeyList", NULL},
    {"DELETE", "/v1/keys/{id}", "admin", "revokeKey", "Revoke a key (by id or prefix)", NULL, NULL, 204,
     NULL, "404"},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL},
};

size_t synth_api_op_count(void)
{
    size_t n = 0;
    while (synth_api_ops[n].method != NULL)
        n++;
    return n;
}

/* Resource schemas (components.schemas). */
static const char schemas_json[] = JSON({
    "Problem" : {
        "type" : "object",
        "description" : "RFC 9457 problem details (application/problem+json)",
        "required" : [ "type", "title", "status", "detail" ],
        "properties" : {
            "type" : {"type" : "string", "description" : "a URI naming the problem type"},
            "title" : {"type" : "string", "description" : "the status's reason phrase"},
            "status" : {"type" : "integer", "minimum" : 400, "maximum" : 599},
            "detail" : {"type" : "string", "description" : "what went wrong, in words"},
            "instance" : {"type" : "string"},
            "field" : {"type" : "string", "description" : "the offending parameter or field"},
            "line" : {"type" : "integer", "description" : "1-based line of a CSV or JSON error"},
            "column" : {"type" : "integer", "description" : "1-based column of a JSON syntax error"}
        }
    },
    "Health" : {
        "type" : "object",
        "required" : ["status"],
        "properties" : {"status" : {"type" : "string", "enum" : [ "ok", "ready", "starting", "draining" ]}}
    },
    "Document" : {"type" : "object", "description" : "an OpenAPI 3.0 document"},
    "Dataset" : {
        "type" : "object",
        "required" : [ "id", "name", "rows", "columns", "bytes", "created_at" ],
        "properties" : {
            "id" : {"type" : "string", "pattern" : "^ds_[0-9a-f]{16}$"},
            "name" : {"type" : "string", "minLength" : 1, "maxLength" : 255},
            "rows" : {"type" : "integer", "minimum" : 0},
            "columns" : {"type" : "integer", "minimum" : 1},
            "bytes" : {"type" : "integer", "minimum" : 0},
            "created_at" : {"type" : "string", "format" : "date-time"}
        }
    },
    "DatasetList" : {
        "type" : "object",
        "required" : ["items"],
        "properties" : {"items" : {"type" : "array", "items" : {"$ref" : "#/components/schemas/Dataset"}}}
    },
    "Model" : {
        "type" : "object",
        "required" : [ "id", "dataset_id", "generator", "created_at" ],
        "properties" : {
            "id" : {"type" : "string", "pattern" : "^md_[0-9a-f]{16}$"},
            "dataset_id" : {"type" : "string"},
            "generator" : {"type" : "string", "enum" : ["copula"]},
            "params" : {"type" : "object"},
            "job_id" : {"type" : "string", "description" : "the fit job that made it"},
            "created_at" : {"type" : "string", "format" : "date-time"}
        }
    },
    "ModelList" : {
        "type" : "object",
        "required" : ["items"],
        "properties" : {"items" : {"type" : "array", "items" : {"$ref" : "#/components/schemas/Model"}}}
    },
    "ModelCreate" : {
        "type" : "object",
        "required" : ["dataset_id"],
        "additionalProperties" : false,
        "properties" : {
            "dataset_id" : {"type" : "string"},
            "generator" : {"type" : "string", "enum" : ["copula"], "default" : "copula"},
            "seed" : {"type" : "integer", "minimum" : 0, "default" : 0},
            "params" : {"type" : "object", "description" : "generator parameters (synth fit --param)"}
        }
    },
    "SampleCreate" : {
        "type" : "object",
        "required" : ["rows"],
        "additionalProperties" : false,
        "properties" : {
            "rows" : {"type" : "integer", "minimum" : 1},
            "seed" : {"type" : "integer", "minimum" : 0, "default" : 0}
        }
    },
    "ValidationCreate" : {
        "type" : "object",
        "required" : [ "dataset_id", "job_id" ],
        "additionalProperties" : false,
        "properties" : {
            "dataset_id" : {"type" : "string", "description" : "the real data"},
            "job_id" : {"type" : "string", "description" : "a succeeded generate job"},
            "holdout_dataset_id" : {"type" : "string", "description" : "real rows not used to fit"},
            "target" : {"type" : "string", "description" : "column for the ML-utility check"}
        }
    },
    "Job" : {
        "type" : "object",
        "required" : [ "id", "kind", "state", "progress", "created_at" ],
        "properties" : {
            "id" : {"type" : "string", "pattern" : "^job_[0-9a-f]{16}$"},
            "kind" : {"type" : "string", "enum" : [ "fit", "generate", "validate" ]},
            "state" : {"type" : "string", "enum" : [ "queued", "running", "succeeded", "failed", "cancelled" ]},
            "progress" : {"type" : "number", "minimum" : 0, "maximum" : 1},
            "params" : {"type" : "object"},
            "result" : {"type" : "object", "nullable" : true},
            "error" : {"type" : "string", "nullable" : true},
            "attempts" : {"type" : "integer", "minimum" : 0},
            "created_at" : {"type" : "string", "format" : "date-time"},
            "started_at" : {"type" : "string", "format" : "date-time", "nullable" : true},
            "finished_at" : {"type" : "string", "format" : "date-time", "nullable" : true},
            "links" : {"type" : "object", "additionalProperties" : {"type" : "string"}}
        }
    },
    "JobList" : {
        "type" : "object",
        "required" : ["items"],
        "properties" : {"items" : {"type" : "array", "items" : {"$ref" : "#/components/schemas/Job"}}}
    },
    "KeyCreate" : {
        "type" : "object",
        "required" : ["name"],
        "additionalProperties" : false,
        "properties" : {
            "name" : {"type" : "string", "minLength" : 1, "maxLength" : 255},
            "scopes" : {
                "type" : "array",
                "items" : {"type" : "string", "enum" : [ "read", "generate", "admin" ]},
                "default" : [ "read", "generate" ]
            }
        }
    },
    "Key" : {
        "type" : "object",
        "required" : [ "id", "name", "prefix", "scopes", "created_at" ],
        "properties" : {
            "id" : {"type" : "string"},
            "name" : {"type" : "string"},
            "prefix" : {"type" : "string", "minLength" : 8, "maxLength" : 8},
            "scopes" : {"type" : "array", "items" : {"type" : "string", "enum" : [ "read", "generate", "admin" ]}},
            "created_at" : {"type" : "string", "format" : "date-time"},
            "revoked_at" : {"type" : "string", "format" : "date-time", "nullable" : true}
        }
    },
    "KeyCreated" : {
        "allOf" : [
            {"$ref" : "#/components/schemas/Key"}, {
                "type" : "object",
                "required" : ["secret"],
                "properties" : {
                    "secret" : {
                        "type" : "string",
                        "pattern" : "^synth_[A-Za-z0-9]{8}_[A-Za-z0-9]{32}$",
                        "description" : "shown once; only its SHA-256 is stored"
                    }
                }
            }
        ]
    },
    "KeyList" : {
        "type" : "object",
        "required" : ["items"],
        "properties" : {"items" : {"type" : "array", "items" : {"$ref" : "#/components/schemas/Key"}}}
    }
});

/* Query parameters (by name) and the headers the responses carry. */
static const char params_json[] = JSON({
    "rows" : {"description" : "number of rows to generate", "schema" : {"type" : "integer", "minimum" : 1}},
    "seed" : {
        "description" : "random seed; the same model, seed and row index give the same row",
        "schema" : {"type" : "integer", "minimum" : 0, "default" : 0}
    },
    "name" : {"description" : "a name for the dataset", "schema" : {"type" : "string", "minLength" : 1, "maxLength" : 255}},
    "state" : {
        "description" : "only jobs in this state",
        "schema" : {"type" : "string", "enum" : [ "queued", "running", "succeeded", "failed", "cancelled" ]}
    },
    "format" : {
        "description" : "validation reports: json (default) or html",
        "schema" : {"type" : "string", "enum" : [ "json", "html" ]}
    }
});

static const char headers_json[] = JSON({
    "RateLimit-Policy" : {
        "description" : "the quota policy (draft-ietf-httpapi-ratelimit-headers): burst q and window w in seconds",
        "schema" : {"type" : "string", "example" : "\"default\";q=20;w=2"}
    },
    "RateLimit" : {
        "description" : "remaining requests r and seconds t until the quota resets",
        "schema" : {"type" : "string", "example" : "\"default\";r=19;t=1"}
    },
    "RateLimit-Limit" : {"description" : "requests allowed in a burst", "schema" : {"type" : "integer"}},
    "RateLimit-Remaining" : {"description" : "requests left now", "schema" : {"type" : "integer"}},
    "RateLimit-Reset" : {"description" : "seconds until the quota is full again", "schema" : {"type" : "integer"}},
    "Retry-After" : {"description" : "seconds to wait before retrying", "schema" : {"type" : "integer"}},
    "Location" : {"description" : "URL of the new resource or job", "schema" : {"type" : "string"}},
    "WWW-Authenticate" : {"description" : "Bearer", "schema" : {"type" : "string"}}
});

/* Error responses by status (components.responses.E<status>). */
static const struct {
    int status;
    const char *description;
} error_responses[] = {
    {400, "Bad request: malformed parameters or JSON (with line and column)"},
    {401, "Missing, unknown or revoked API key"},
    {403, "The key lacks the route's scope"},
    {404, "No such object (or not this key's)"},
    {405, "Method not allowed (see Allow)"},
    {409, "Conflict: Idempotency-Key reused with another body, object in use, job not finished"},
    {413, "Upload, body or field too large"},
    {415, "Unsupported Content-Type"},
    {422, "Unprocessable: bad CSV (with line) or bad field values (with field)"},
    {429, "Rate limit, concurrent-job cap or failed-auth limit reached (see Retry-After)"},
    {500, "Internal error"},
    {503, "Starting, draining, or the store is unavailable"},
};

static const char *const ratelimit_headers[] = {"RateLimit-Policy", "RateLimit", "RateLimit-Limit",
                                                "RateLimit-Remaining", "RateLimit-Reset"};
#define N_RL (sizeof ratelimit_headers / sizeof ratelimit_headers[0])

static json_t *ref(const char *section, const char *name)
{
    char buf[160];
    snprintf(buf, sizeof buf, "#/components/%s/%s", section, name);
    return json_pack("{s:s}", "$ref", buf);
}

/* json_object_set_new that records a failure (NULL value or out of memory) in *ok. */
static void put(json_t *obj, const char *key, json_t *value, int *ok)
{
    if (value == NULL || json_object_set_new(obj, key, value) != 0)
        *ok = 0;
}

static void push(json_t *arr, json_t *value, int *ok)
{
    if (value == NULL || json_array_append_new(arr, value) != 0)
        *ok = 0;
}

static json_t *error_response_component(int status, const char *description, int *ok)
{
    json_t *r = json_pack("{s:s, s:{s:{s:o}}}", "description", description, "content",
                          "application/problem+json", "schema", ref("schemas", "Problem"));
    if (r == NULL) {
        *ok = 0;
        return NULL;
    }
    json_t *h = json_object();
    if (status == 401)
        put(h, "WWW-Authenticate", ref("headers", "WWW-Authenticate"), ok);
    if (status == 429) {
        put(h, "Retry-After", ref("headers", "Retry-After"), ok);
        for (size_t i = 0; i < N_RL; i++)
            put(h, ratelimit_headers[i], ref("headers", ratelimit_headers[i]), ok);
    }
    if (h != NULL && json_object_size(h) > 0)
        put(r, "headers", h, ok);
    else
        json_decref(h);
    return r;
}

static int known_error(int status)
{
    for (size_t i = 0; i < sizeof error_responses / sizeof error_responses[0]; i++)
        if (error_responses[i].status == status)
            return 1;
    return 0;
}

static void add_error(json_t *responses, int status, synth_err *err, int *ok)
{
    if (!known_error(status)) {
        synth_err_set(err, SYNTH_INTERNAL, "openapi: no error response for status %d", status);
        *ok = 0;
        return;
    }
    char code[8], name[8];
    snprintf(code, sizeof code, "%d", status);
    snprintf(name, sizeof name, "E%d", status);
    put(responses, code, ref("responses", name), ok);
}

static json_t *success_response(const synth_api_op *op, json_t *schemas, synth_err *err, int *ok)
{
    json_t *r = json_object();
    if (r == NULL) {
        *ok = 0;
        return NULL;
    }
    const char *desc = op->status == 201   ? "Created"
                       : op->status == 202 ? "Accepted: the job is queued (poll Location)"
                       : op->status == 204 ? "Deleted"
                                           : "OK";
    put(r, "description", json_string(desc), ok);
    json_t *h = json_object();
    if (op->scope != NULL)
        for (size_t i = 0; i < N_RL; i++)
            put(h, ratelimit_headers[i], ref("headers", ratelimit_headers[i]), ok);
    if (op->status == 201 || op->status == 202)
        put(h, "Location", ref("headers", "Location"), ok);
    if (h != NULL && json_object_size(h) > 0)
        put(r, "headers", h, ok);
    else
        json_decref(h);
    if (op->result == NULL)
        return r;
    json_t *content = json_object();
    if (strcmp(op->result, "text/csv") == 0 || strcmp(op->result, "text/plain") == 0) {
        put(content, op->result, json_pack("{s:{s:s}}", "schema", "type", "string"), ok);
    } else if (strcmp(op->result, "report") == 0) {
        put(content, "application/json", json_pack("{s:{s:s}}", "schema", "type", "object"), ok);
        put(content, "text/html", json_pack("{s:{s:s}}", "schema", "type", "string"), ok);
        put(content, "text/csv", json_pack("{s:{s:s}}", "schema", "type", "string"), ok);
    } else if (json_object_get(schemas, op->result) != NULL) {
        put(content, "application/json", json_pack("{s:o}", "schema", ref("schemas", op->result)), ok);
    } else {
        synth_err_set(err, SYNTH_INTERNAL, "openapi: %s %s: unknown result schema %s", op->method,
                      op->path, op->result);
        *ok = 0;
    }
    put(r, "content", content, ok);
    return r;
}

static json_t *parameters(const synth_api_op *op, json_t *params, synth_err *err, int *ok)
{
    json_t *list = json_array();
    if (list == NULL) {
        *ok = 0;
        return NULL;
    }
    if (strstr(op->path, "{id}") != NULL)
        push(list, ref("parameters", "id"), ok);
    if (strcmp(op->method, "POST") == 0 && op->status == 202)
        push(list, ref("parameters", "Idempotency-Key"), ok);
    for (const char *q = op->query; q != NULL && *q != '\0';) {
        while (*q == ' ')
            q++;
        size_t n = strcspn(q, " ");
        if (n == 0)
            break;
        int required = q[n - 1] == '!';
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(n - (size_t)required), q);
        json_t *def = json_object_get(params, name);
        if (def == NULL) {
            synth_err_set(err, SYNTH_INTERNAL, "openapi: %s %s: unknown query parameter %s", op->method,
                          op->path, name);
            *ok = 0;
            break;
        }
        json_t *p = json_deep_copy(def);
        put(p, "name", json_string(name), ok);
        put(p, "in", json_string("query"), ok);
        put(p, "required", json_boolean(required), ok);
        push(list, p, ok);
        q += n;
    }
    return list;
}

static json_t *operation(const synth_api_op *op, json_t *schemas, json_t *params, synth_err *err, int *ok)
{
    json_t *o = json_object();
    if (o == NULL) {
        *ok = 0;
        return NULL;
    }
    put(o, "operationId", json_string(op->operation_id), ok);
    put(o, "summary", json_string(op->summary), ok);
    /* tag: the first path segment after /v1 ("datasets"), or "service" */
    char tag[32] = "service";
    if (strncmp(op->path, "/v1/", 4) == 0 && strcmp(op->path, "/v1/openapi.json") != 0)
        snprintf(tag, sizeof tag, "%.*s", (int)strcspn(op->path + 4, "/"), op->path + 4);
    put(o, "tags", json_pack("[s]", tag), ok);
    if (op->scope != NULL) {
        put(o, "security", json_pack("[{s:[]}]", "bearer"), ok);
        put(o, "x-synth-scope", json_string(op->scope), ok);
    } else {
        put(o, "security", json_array(), ok);
    }
    json_t *plist = parameters(op, params, err, ok);
    if (plist != NULL && json_array_size(plist) > 0)
        put(o, "parameters", plist, ok);
    else
        json_decref(plist);
    if (op->body != NULL) {
        json_t *content;
        if (strcmp(op->body, "text/csv") == 0) {
            content = json_pack("{s:{s:{s:s,s:s}}}", "text/csv", "schema", "type", "string", "format",
                                "binary");
        } else if (json_object_get(schemas, op->body) != NULL) {
            content = json_pack("{s:{s:o}}", "application/json", "schema", ref("schemas", op->body));
        } else {
            synth_err_set(err, SYNTH_INTERNAL, "openapi: %s %s: unknown body schema %s", op->method,
                          op->path, op->body);
            *ok = 0;
            content = NULL;
        }
        if (content != NULL)
            put(o, "requestBody", json_pack("{s:b,s:o}", "required", 1, "content", content), ok);
    }
    json_t *responses = json_object();
    char code[8];
    snprintf(code, sizeof code, "%d", op->status);
    put(responses, code, success_response(op, schemas, err, ok), ok);
    if (op->scope != NULL) {
        add_error(responses, 401, err, ok);
        add_error(responses, 403, err, ok);
        add_error(responses, 429, err, ok);
    }
    for (const char *e = op->errors; e != NULL && *e != '\0';) {
        char *end;
        long status = strtol(e, &end, 10);
        if (end == e) {
            synth_err_set(err, SYNTH_INTERNAL, "openapi: %s %s: bad error list", op->method, op->path);
            *ok = 0;
            break;
        }
        add_error(responses, (int)status, err, ok);
        e = end;
    }
    if (op->scope != NULL || op->errors != NULL)
        add_error(responses, 500, err, ok);
    put(o, "responses", responses, ok);
    return o;
}

static json_t *components(json_t *schemas, json_t *headers, int *ok)
{
    json_t *c = json_object();
    if (c == NULL) {
        *ok = 0;
        return NULL;
    }
    put(c, "schemas", json_incref(schemas), ok);
    put(c, "headers", json_incref(headers), ok);
    json_t *params = json_pack(
        "{s:{s:s,s:s,s:b,s:s,s:{s:s,s:s}}, s:{s:s,s:s,s:b,s:s,s:{s:s,s:i,s:i}}}", "id", "name", "id", "in",
        "path", "required", 1, "description", "a server-generated id (ds_, md_, job_ or key_ + 16 hex)",
        "schema", "type", "string", "pattern", "^[A-Za-z0-9_-]{1,63}$", "Idempotency-Key", "name",
        "Idempotency-Key", "in", "header", "required", 0, "description",
        "a retried request with the same key and body returns the first job instead of a new one; "
        "the same key with another body answers 409",
        "schema", "type", "string", "minLength", 1, "maxLength", 255);
    put(c, "parameters", params, ok);
    json_t *resp = json_object();
    for (size_t i = 0; i < sizeof error_responses / sizeof error_responses[0]; i++) {
        char name[8];
        snprintf(name, sizeof name, "E%d", error_responses[i].status);
        put(resp, name, error_response_component(error_responses[i].status, error_responses[i].description, ok),
            ok);
    }
    put(c, "responses", resp, ok);
    put(c, "securitySchemes",
        json_pack("{s:{s:s,s:s,s:s}}", "bearer", "type", "http", "scheme", "bearer", "description",
                  "API key from `synth keys create` or POST /v1/keys: synth_<prefix>_<secret>"),
        ok);
    return c;
}

static json_t *load(const char *text, const char *what, synth_err *err)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (v == NULL)
        synth_err_set(err, SYNTH_INTERNAL, "openapi: %s: %s at line %d column %d", what, je.text, je.line,
                      je.column);
    return v;
}

char *synth_openapi_document(const char *version, size_t *len, synth_err *err)
{
    int ok = 1;
    synth_err_clear(err);
    json_t *schemas = load(schemas_json, "schemas", err);
    json_t *params = load(params_json, "parameters", err);
    json_t *headers = load(headers_json, "headers", err);
    json_t *doc = NULL;
    char *out = NULL;
    if (schemas == NULL || params == NULL || headers == NULL)
        goto done;
    doc = json_pack("{s:s, s:{s:s,s:s,s:s}, s:[{s:s}]}", "openapi", "3.0.3", "info", "title", "synth REST API",
                    "version", version != NULL ? version : SYNTH_VERSION, "description",
                    "Upload CSV data, fit models, generate synthetic rows (as jobs or streamed), validate "
                    "them.  Errors are RFC 9457 problem+json.  See docs/API.md.",
                    "servers", "url", "http://127.0.0.1:8080");
    json_t *paths = json_object();
    if (doc == NULL || paths == NULL) {
        json_decref(paths);
        synth_err_set(err, SYNTH_NOMEM, "openapi: out of memory");
        goto done;
    }
    put(doc, "paths", paths, &ok);
    for (const synth_api_op *op = synth_api_ops; op->method != NULL && ok; op++) {
        json_t *item = json_object_get(paths, op->path);
        if (item == NULL) {
            item = json_object();
            put(paths, op->path, item, &ok);
        }
        char m[16];
        size_t i = 0;
        for (; op->method[i] != '\0' && i + 1 < sizeof m; i++)
            m[i] = (char)tolower((unsigned char)op->method[i]);
        m[i] = '\0';
        if (ok && json_object_get(item, m) != NULL) {
            synth_err_set(err, SYNTH_INTERNAL, "openapi: %s %s listed twice", op->method, op->path);
            ok = 0;
            break;
        }
        if (ok)
            put(item, m, operation(op, schemas, params, err, &ok), &ok);
    }
    if (ok)
        put(doc, "components", components(schemas, headers, &ok), &ok);
    if (!ok) {
        if (err == NULL || err->code == SYNTH_OK)
            synth_err_set(err, SYNTH_NOMEM, "openapi: out of memory");
        goto done;
    }
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        synth_err_set(err, SYNTH_NOMEM, "openapi: out of memory");
        goto done;
    }
    out = synth_strdup(text);
    free(text); /* Jansson's allocation */
    if (out == NULL)
        synth_err_set(err, SYNTH_NOMEM, "openapi: out of memory");
    else if (len != NULL)
        *len = strlen(out);
done:
    json_decref(doc);
    json_decref(schemas);
    json_decref(params);
    json_decref(headers);
    return out;
}
