/* routes_keys.c -- admin handlers for API keys: POST /v1/keys (the secret is in the 201 answer,
 * once), GET /v1/keys (never secrets or hashes), DELETE /v1/keys/{id|prefix} (revoke, 204). */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "routes_impl.h"

enum MHD_Result synth__route_key_create(synth_req *r)
{
    synth_http_problem p;
    synth_http_problem_clear(&p);
    json_t *doc = NULL;
    if (synth_http_json_body(r->json, r->json_len, synth_http_body_key, &doc, &p) != 0)
        return synth__respond_problem(r, &p);
    unsigned scopes = 0;
    json_t *arr = json_object_get(doc, "scopes");
    synth_err err;
    synth_err_clear(&err);
    if (arr == NULL) {
        scopes = SYNTH_SCOPE_READ | SYNTH_SCOPE_GENERATE;
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e) {
            unsigned one = 0;
            if (synth_scopes_parse(json_string_value(e), &one, &err) != 0) {
                json_decref(doc);
                synth_http_problem_set(&p, 422, "%s", err.msg);
                snprintf(p.field, sizeof p.field, "scopes");
                return synth__respond_problem(r, &p);
            }
            scopes |= one;
        }
        if (scopes == 0) {
            json_decref(doc);
            synth_http_problem_set(&p, 422, "scopes must name at least one of read, generate, admin");
            snprintf(p.field, sizeof p.field, "scopes");
            return synth__respond_problem(r, &p);
        }
    }
    char *secret = NULL;
    synth_key_info info;
    int rc = synth_keys_create(r->srv->store, json_string_value(json_object_get(doc, "name")), scopes, &secret, &info,
                               &err);
    json_decref(doc);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    json_t *body = synth_key_json(&info);
    if (body != NULL)
        json_object_set_new(body, "secret", json_string(secret));
    memset(secret, 0, strlen(secret));
    synth_free(secret);
    synth_store_audit(r->srv->store, r->key.id, "key.create", info.id, 0, NULL, &err);
    char location[96];
    snprintf(location, sizeof location, "/v1/keys/%s", info.id);
    return synth__respond_json(r, 201, body, location);
}

enum MHD_Result synth__route_key_list(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    json_t *items = NULL;
    int rc = synth_keys_list_json(r->srv->store, &items, &err);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    return synth__respond_json(r, 200, json_pack("{s:o}", "items", items), NULL);
}

enum MHD_Result synth__route_key_revoke(synth_req *r)
{
    synth_err err;
    synth_err_clear(&err);
    synth_key_info info;
    int rc = synth_keys_revoke(r->srv->store, r->id, &info, &err);
    if (rc)
        return synth__respond_store_error(r, rc, &err);
    synth_store_audit(r->srv->store, r->key.id, "key.revoke", info.id, 0, NULL, &err);
    return synth__respond_empty(r, 204);
}
