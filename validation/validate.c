/* validate.c -- one validation run, assembling the report document.  See validate.h. */
#include "validate.h"

#include <string.h>

#include "alloc.h"
#include "fidelity.h"
#include "infer.h"
#include "pii_leak.h"
#include "risk.h"
#include "schema.h"
#include "utility.h"
#include "vtable.h"

void synth_validate_request_init(synth_validate_request *req)
{
    memset(req, 0, sizeof *req);
    synth_csv_options_init(&req->csv);
    req->max_rows = 100000;
    req->progress = SYNTH_PROGRESS_AUTO;
    req->pii_leakage = 1;
}

static json_t *input_json(const char *path, uint64_t rows)
{
    return json_pack("{s:s, s:I}", "path", path, "rows", (json_int_t)rows);
}

/* Encode the tables with one encoder fitted on the real data and run the risk module. */
static int privacy_part(const synth_schema *schema, const synth_vtable *real, const synth_vtable *syn,
                        const synth_vtable *hold, const synth_validate_request *req, json_t **out,
                        synth_err *err)
{
    synth_encoder *enc = NULL;
    float *ms = NULL, *mt = NULL, *mh = NULL;
    int rc = synth_encoder_new(schema, real, -1, &enc, err);
    if (rc)
        return rc;
    if ((rc = synth_encode_table(enc, syn, &ms, err)) || (rc = synth_encode_table(enc, real, &mt, err)) ||
        (hold != NULL && (rc = synth_encode_table(enc, hold, &mh, err))))
        goto done;
    synth_risk_options ro;
    synth_risk_options_init(&ro);
    ro.seed = req->seed;
    rc = synth_risk_compute(ms, syn->nrows, mt, real->nrows, mh, hold ? hold->nrows : 0, synth_encoder_width(enc),
                            &ro, out, err);
    if (rc == 0 && (syn->sampled || real->sampled || (hold && hold->sampled)))
        json_object_set_new(*out, "sampled", json_true());
done:
    synth_free(ms);
    synth_free(mt);
    synth_free(mh);
    synth_encoder_free(enc);
    return rc;
}

int synth_validate(const synth_validate_request *req, json_t **report, synth_err *err)
{
    *report = NULL;
    if (req->target != NULL && req->holdout_path == NULL)
        return synth_err_set(err, SYNTH_USAGE, "--target needs --holdout: utility is measured on held-out real rows");
    synth_schema *schema = NULL;
    synth_vtable *real = NULL, *syn = NULL, *hold = NULL;
    json_t *fid = NULL, *util = NULL, *priv = NULL, *doc = NULL, *leak = NULL;
    synth_infer_options io;
    synth_infer_options_init(&io);
    io.csv = req->csv;
    io.progress = req->progress;
    int rc = synth_infer_csv(req->real_path, &io, &schema, NULL, NULL, err);
    if (rc)
        goto done;
    if (req->target != NULL && synth_schema_find(schema, req->target) < 0) {
        rc = synth_err_set(err, SYNTH_USAGE, "--target '%s': no such column in %s", req->target, req->real_path);
        goto done;
    }
    synth_fidelity_options fo;
    synth_fidelity_options_init(&fo);
    fo.csv = req->csv;
    fo.progress = req->progress;
    if ((rc = synth_fidelity_compute(schema, req->real_path, req->synthetic_path, &fo, &fid, err)))
        goto done;
    if ((rc = synth_vtable_read_csv(req->real_path, schema, req->max_rows, req->seed, &req->csv, &real, err)) ||
        (rc = synth_vtable_read_csv(req->synthetic_path, schema, req->max_rows, req->seed + 1, &req->csv, &syn, err)))
        goto done;
    if (req->holdout_path != NULL &&
        (rc = synth_vtable_read_csv(req->holdout_path, schema, req->max_rows, req->seed + 2, &req->csv, &hold, err)))
        goto done;
    if (req->target != NULL && (rc = synth_utility_compute(schema, real, syn, hold, req->target, &util, err)))
        goto done;
    if ((rc = privacy_part(schema, real, syn, hold, req, &priv, err)))
        goto done;
    if (req->pii_leakage) {
        synth_pii_leak_options lo;
        synth_pii_leak_options_init(&lo);
        if ((rc = synth_pii_leak_check_csv(req->real_path, req->synthetic_path, &req->csv, &lo, &leak, NULL, err)))
            goto done;
    }
    json_object_set_new(priv, "encoding",
                        json_string("numeric columns min-max scaled to [0,1] on the real data (clamped), "
                                    "categorical columns one-hot (plus 'other' and null slots), id and text "
                                    "columns left out; Euclidean distance"));
    doc = json_pack("{s:s, s:{s:o, s:o, s:o}, s:O, s:O, s:O}", "synth_version", SYNTH_VERSION, "inputs", "real",
                    input_json(req->real_path, real->rows_seen), "synthetic",
                    input_json(req->synthetic_path, syn->rows_seen), "holdout",
                    hold ? input_json(req->holdout_path, hold->rows_seen) : json_null(), "fidelity", fid,
                    "utility", util ? util : json_null(), "privacy", priv);
    if (doc != NULL && leak != NULL && json_object_set(doc, "pii_leakage", leak)) {
        json_decref(doc);
        doc = NULL;
    }
    if (doc == NULL)
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory building the report");
done:
    json_decref(fid);
    json_decref(util);
    json_decref(priv);
    json_decref(leak);
    synth_vtable_free(real);
    synth_vtable_free(syn);
    synth_vtable_free(hold);
    synth_schema_free(schema);
    *report = rc ? NULL : doc;
    if (rc)
        json_decref(doc);
    return rc;
}
