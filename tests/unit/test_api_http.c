/* test_api_http.c -- unit tests of api/http.c: route patterns and ids, query numbers, bearer
 * parsing, Content-Type, JSON request bodies (each error class with its status, field, line and
 * column), problem+json bodies, log escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "http.h"

static void test_path_match(void **state)
{
    (void)state;
    char id[SYNTH_HTTP_ID_MAX + 1];
    assert_int_equal(synth_http_path_match("/healthz", "/healthz", id, sizeof id), 1);
    assert_int_equal(synth_http_path_match("/healthz", "/healthz/", id, sizeof id), 0);
    assert_int_equal(synth_http_path_match("/healthz", "/health", id, sizeof id), 0);
    assert_int_equal(synth_http_path_match("/v1/datasets/{id}", "/v1/datasets/ds_0123456789abcdef", id, sizeof id), 1);
    assert_string_equal(id, "ds_0123456789abcdef");
    assert_int_equal(synth_http_path_match("/v1/models/{id}/rows", "/v1/models/md_1/rows", id, sizeof id), 1);
    assert_string_equal(id, "md_1");
    assert_int_equal(synth_http_path_match("/v1/models/{id}/rows", "/v1/models/md_1/rowsx", id, sizeof id), 0);
    assert_int_equal(synth_http_path_match("/v1/models/{id}", "/v1/models/md_1/rows", id, sizeof id), 0);
    /* Hostile ids never match: traversal, empty, quotes, spaces, too long. */
    assert_int_equal(synth_http_path_match("/v1/datasets/{id}", "/v1/datasets/..", id, sizeof id), 0);
    assert_int_equal(synth_http_path_match("/v1/datasets/{id}", "/v1/datasets/", id, sizeof id), 0);
    assert_int_equal(synth_http_path_match("/v1/datasets/{id}", "/v1/datasets/../../etc", id, sizeof id), 0);
    assert_int_equal(synth_http_path_match("/v1/datasets/{id}", "/v1/datasets/a'b", id, sizeof id), 0);
    assert_int_equal(synth_http_path_match("/v1/datasets/{id}", "/v1/datasets/a b", id, sizeof id), 0);
    char longid[80];
    memset(longid, 'a', 64);
    longid[64] = '\0';
    char path[128];
    snprintf(path, sizeof path, "/v1/datasets/%s", longid);
    assert_int_equal(synth_http_path_match("/v1/datasets/{id}", path, id, sizeof id), 0);
    longid[63] = '\0';
    snprintf(path, sizeof path, "/v1/datasets/%s", longid);
    assert_int_equal(synth_http_path_match("/v1/datasets/{id}", path, id, sizeof id), 1);
    assert_int_equal(strlen(id), 63);
}

static void test_numbers(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(synth_http_parse_u64("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(synth_http_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(synth_http_parse_u64("18446744073709551616", UINT64_MAX, &v), -1);
    assert_int_equal(synth_http_parse_u64("11", 10, &v), -1);
    assert_int_equal(synth_http_parse_u64("-1", 10, &v), -1);
    assert_int_equal(synth_http_parse_u64(" 1", 10, &v), -1);
    assert_int_equal(synth_http_parse_u64("1 ", 10, &v), -1);
    assert_int_equal(synth_http_parse_u64("", 10, &v), -1);
    assert_int_equal(synth_http_parse_u64(NULL, 10, &v), -1);
}

static void test_bearer(void **state)
{
    (void)state;
    const char *tok;
    size_t len;
    const char *h = "Bearer synth_AbCd1234_xyz";
    assert_int_equal(synth_http_bearer(h, &tok, &len), 0);
    assert_int_equal(len, strlen("synth_AbCd1234_xyz"));
    assert_memory_equal(tok, "synth_AbCd1234_xyz", len);
    assert_int_equal(synth_http_bearer("bearer   abc==  ", &tok, &len), 0);
    assert_int_equal(len, 5);
    assert_int_equal(synth_http_bearer("Basic dXNlcjpwYXNz", &tok, &len), -1);
    assert_int_equal(synth_http_bearer("Bearer", &tok, &len), -1);
    assert_int_equal(synth_http_bearer("Bearer ", &tok, &len), -1);
    assert_int_equal(synth_http_bearer("Bearer a b", &tok, &len), -1);
    assert_int_equal(synth_http_bearer("Bearer a'--", &tok, &len), -1);
    assert_int_equal(synth_http_bearer(NULL, &tok, &len), -1);
    char big[300] = "Bearer ";
    memset(big + 7, 'a', 250);
    big[257] = '\0';
    assert_int_equal(synth_http_bearer(big, &tok, &len), -1);
}

static void test_content_type(void **state)
{
    (void)state;
    assert_int_equal(synth_http_content_type_is("text/csv", "text/csv"), 1);
    assert_int_equal(synth_http_content_type_is("Text/CSV; charset=utf-8", "text/csv"), 1);
    assert_int_equal(synth_http_content_type_is("text/csvx", "text/csv"), 0);
    assert_int_equal(synth_http_content_type_is("application/json", "text/csv"), 0);
    assert_int_equal(synth_http_content_type_is(NULL, "text/csv"), 0);
}

static int body(const char *text, const synth_http_field *fields, synth_http_problem *p, json_t **doc)
{
    synth_http_problem_clear(p);
    return synth_http_json_body(text, strlen(text), fields, doc, p);
}

static void test_json_bodies(void **state)
{
    (void)state;
    synth_http_problem p;
    json_t *doc = NULL;
    assert_int_equal(body("{\"dataset_id\":\"ds_0123456789abcdef\",\"seed\":3,\"params\":{}}", synth_http_body_model,
                          &p, &doc), 0);
    assert_int_equal(json_integer_value(json_object_get(doc, "seed")), 3);
    json_decref(doc);
    /* Syntax error: 400 with line and column. */
    assert_int_equal(body("{\n  \"rows\": 10,\n  \"seed\": }", synth_http_body_samples, &p, &doc), 400);
    assert_null(doc);
    assert_int_equal(p.line, 3);
    assert_true(p.column > 0);
    /* Not an object, unknown field, wrong type, missing field, out of range, too long. */
    assert_int_equal(body("[1,2]", synth_http_body_samples, &p, &doc), 422);
    assert_int_equal(body("{\"rows\":1,\"evil\":true}", synth_http_body_samples, &p, &doc), 422);
    assert_string_equal(p.field, "evil");
    assert_int_equal(body("{\"rows\":\"10\"}", synth_http_body_samples, &p, &doc), 422);
    assert_string_equal(p.field, "rows");
    assert_int_equal(body("{\"seed\":1}", synth_http_body_samples, &p, &doc), 422);
    assert_string_equal(p.field, "rows");
    assert_int_equal(body("{\"rows\":-5}", synth_http_body_samples, &p, &doc), 422);
    assert_int_equal(body("{\"rows\":1.5}", synth_http_body_samples, &p, &doc), 422);
    char big[400];
    snprintf(big, sizeof big, "{\"dataset_id\":\"%0300d\"}", 0);
    assert_int_equal(body(big, synth_http_body_model, &p, &doc), 413);
    assert_string_equal(p.field, "dataset_id");
    assert_int_equal(body("{\"rows\":1,\"rows\":2}", synth_http_body_samples, &p, &doc), 400);
    assert_int_equal(body("{\"name\":\"ci\",\"scopes\":[\"read\",7]}", synth_http_body_key, &p, &doc), 422);
    assert_int_equal(body("{\"name\":\"ci\",\"scopes\":[\"a\",\"b\",\"c\",\"d\"]}", synth_http_body_key, &p, &doc),
                     413);
    /* An empty body is {}: required fields are then missing. */
    assert_int_equal(body("", synth_http_body_samples, &p, &doc), 422);
}

static void test_problem_body(void **state)
{
    (void)state;
    synth_http_problem p;
    synth_http_problem_clear(&p);
    synth_http_problem_set(&p, 422, "line 7: ragged row \"x\" \xff");
    p.line = 7;
    snprintf(p.field, sizeof p.field, "rows");
    size_t len = 0;
    char *text = synth_http_problem_body(&p, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 422);
    assert_string_equal(json_string_value(json_object_get(doc, "title")), "Unprocessable Content");
    assert_int_equal(json_integer_value(json_object_get(doc, "line")), 7);
    assert_string_equal(json_string_value(json_object_get(doc, "field")), "rows");
    assert_non_null(strstr(json_string_value(json_object_get(doc, "detail")), "ragged row \"x\" ?"));
    assert_non_null(strstr(json_string_value(json_object_get(doc, "type")), "422"));
    json_decref(doc);
    free(text);
    assert_string_equal(synth_http_status_title(429), "Too Many Requests");
    assert_string_equal(synth_http_status_title(299), "Error");
}

static void test_escape(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(synth_http_json_escape(buf, sizeof buf, "a\"b\\c\n\xc3"), strlen("a\\\"b\\\\c\\u000a?"));
    assert_string_equal(buf, "a\\\"b\\\\c\\u000a?");
    char small[6];
    synth_http_json_escape(small, sizeof small, "ab\"cd");
    assert_string_equal(small, "ab\\\"c");   /* never cuts an escape in half */
    synth_http_json_escape(small, 4, "ab\"cd");
    assert_string_equal(small, "ab");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_match), cmocka_unit_test(test_numbers), cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_content_type), cmocka_unit_test(test_json_bodies), cmocka_unit_test(test_problem_body),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
