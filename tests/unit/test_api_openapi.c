/* test_api_openapi.c -- unit tests for api/openapi.c: the generated document parses, lists every
 * operation of synth_api_ops exactly once with a unique operationId, every "$ref" resolves inside
 * the document, keyed routes declare bearer security with 401/403/429 and the RateLimit headers,
 * job-creating POSTs take Idempotency-Key and answer Location, {id} paths declare their parameter,
 * and an allocation failure is a clean NOMEM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"
#include "openapi.h"

static json_t *load_doc(void)
{
    synth_err err;
    size_t len = 0;
    char *text = synth_openapi_document("9.9.9", &len, &err);
    if (text == NULL)
        fail_msg("synth_openapi_document: %s", err.msg);
    assert_int_equal(strlen(text), len);
    json_error_t je;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    synth_free(text);
    if (doc == NULL)
        fail_msg("document is not JSON: %s (line %d)", je.text, je.line);
    return doc;
}

static json_t *op_of(json_t *doc, const synth_api_op *op)
{
    char m[16];
    size_t i = 0;
    for (; op->method[i] != '\0'; i++)
        m[i] = (char)tolower((unsigned char)op->method[i]);
    m[i] = '\0';
    return json_object_get(json_object_get(json_object_get(doc, "paths"), op->path), m);
}

static void test_header_and_operations(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "info"), "version")), "9.9.9");
    size_t n = synth_api_op_count();
    assert_true(n >= 23);
    /* every table row is in the document, and the document has nothing else */
    size_t in_doc = 0;
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) in_doc += json_object_size(item);
    assert_int_equal(in_doc, n);
    for (size_t i = 0; i < n; i++) {
        const synth_api_op *op = &synth_api_ops[i];
        json_t *o = op_of(doc, op);
        if (o == NULL)
            fail_msg("%s %s missing", op->method, op->path);
        assert_string_equal(json_string_value(json_object_get(o, "operationId")), op->operation_id);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(synth_api_ops[j].operation_id, op->operation_id);
        char code[8];
        snprintf(code, sizeof code, "%d", op->status);
        assert_non_null(json_object_get(json_object_get(o, "responses"), code));
    }
    json_decref(doc);
}

/* Resolve "#/a/b/c" inside doc. */
static json_t *resolve(json_t *doc, const char *r)
{
    if (strncmp(r, "#/", 2) != 0)
        return NULL;
    json_t *cur = doc;
    char part[128];
    for (const char *p = r + 2; cur != NULL && *p != '\0';) {
        size_t n = strcspn(p, "/");
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        cur = json_object_get(cur, part);
        p += n + (p[n] == '/');
    }
    return cur;
}

static int check_refs(json_t *doc, json_t *v)
{
    int count = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            if (strcmp(k, "$ref") == 0) {
                assert_true(json_is_string(x));
                if (resolve(doc, json_string_value(x)) == NULL)
                    fail_msg("dangling $ref %s", json_string_value(x));
                count++;
            } else {
                count += check_refs(doc, x);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) count += check_refs(doc, x);
    }
    return count;
}

static void test_refs_resolve(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    assert_true(check_refs(doc, doc) > 100);
    /* the problem schema has the RFC 9457 members */
    json_t *req = resolve(doc, "#/components/schemas/Problem/required");
    assert_int_equal(json_array_size(req), 4);
    assert_non_null(resolve(doc, "#/components/securitySchemes/bearer"));
    assert_string_equal(json_string_value(resolve(doc, "#/components/securitySchemes/bearer/scheme")), "bearer");
    assert_non_null(resolve(doc, "#/components/responses/E429/headers/Retry-After"));
    assert_non_null(resolve(doc, "#/components/responses/E429/headers/RateLimit-Policy"));
    assert_non_null(resolve(doc, "#/components/responses/E401/headers/WWW-Authenticate"));
    json_decref(doc);
}

static int has_param(json_t *o, const char *ref_or_name)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(o, "parameters"), i, p)
    {
        const char *r = json_string_value(json_object_get(p, "$ref"));
        const char *nm = json_string_value(json_object_get(p, "name"));
        if ((r != NULL && strcmp(r, ref_or_name) == 0) || (nm != NULL && strcmp(nm, ref_or_name) == 0))
            return 1;
    }
    return 0;
}

static void test_route_conventions(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    for (size_t i = 0; i < synth_api_op_count(); i++) {
        const synth_api_op *op = &synth_api_ops[i];
        json_t *o = op_of(doc, op);
        json_t *resp = json_object_get(o, "responses");
        char code[8];
        snprintf(code, sizeof code, "%d", op->status);
        json_t *ok = json_object_get(resp, code);
        json_t *sec = json_object_get(o, "security");
        assert_true(json_is_array(sec));
        if (op->scope != NULL) {
            assert_int_equal(json_array_size(sec), 1);
            assert_non_null(json_object_get(json_array_get(sec, 0), "bearer"));
            assert_string_equal(json_string_value(json_object_get(o, "x-synth-scope")), op->scope);
            assert_non_null(json_object_get(resp, "401"));
            assert_non_null(json_object_get(resp, "403"));
            assert_non_null(json_object_get(resp, "429"));
            assert_non_null(json_object_get(json_object_get(ok, "headers"), "RateLimit"));
            assert_non_null(json_object_get(json_object_get(ok, "headers"), "RateLimit-Policy"));
        } else {
            assert_int_equal(json_array_size(sec), 0);
            assert_null(json_object_get(resp, "401"));
        }
        if (strstr(op->path, "{id}") != NULL)
            assert_true(has_param(o, "#/components/parameters/id"));
        else
            assert_false(has_param(o, "#/components/parameters/id"));
        if (op->status == 202 || op->status == 201)
            assert_non_null(json_object_get(json_object_get(ok, "headers"), "Location"));
        if (op->status == 202)
            assert_true(has_param(o, "#/components/parameters/Idempotency-Key"));
        if (op->status == 204)
            assert_null(json_object_get(ok, "content"));
        if (op->body != NULL)
            assert_non_null(json_object_get(o, "requestBody"));
        if (op->query != NULL && strstr(op->query, "rows!") != NULL) {
            json_t *p = json_array_get(json_object_get(o, "parameters"), strstr(op->path, "{id}") ? 1 : 0);
            assert_string_equal(json_string_value(json_object_get(p, "name")), "rows");
            assert_true(json_is_true(json_object_get(p, "required")));
        }
    }
    /* the contract's streamed routes answer text/csv */
    json_t *paths = json_object_get(doc, "paths");
    const char *streamed[][2] = {{"/v1/generate", "post"}, {"/v1/models/{id}/rows", "get"}};
    for (size_t i = 0; i < 2; i++) {
        json_t *o = json_object_get(json_object_get(paths, streamed[i][0]), streamed[i][1]);
        json_t *content = json_object_get(json_object_get(json_object_get(o, "responses"), "200"), "content");
        assert_non_null(json_object_get(content, "text/csv"));
    }
    json_decref(doc);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    synth_err err;
    synth_alloc_fail_after(0, 1);
    char *text = synth_openapi_document(NULL, NULL, &err);
    synth_alloc_fail_after(-1, 0);
    assert_null(text);
    assert_int_equal(err.code, SYNTH_NOMEM);
    text = synth_openapi_document(NULL, NULL, &err);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"version\":\"" SYNTH_VERSION "\""));
    synth_free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_operations),
        cmocka_unit_test(test_refs_resolve),
        cmocka_unit_test(test_route_conventions),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
