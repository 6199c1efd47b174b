/* validate.h -- the whole validation run: fidelity, utility and privacy risk of a synthetic CSV
 * against the real one, as one JSON report document (validation/REPORT.md).
 *
 * The real file's schema is inferred once and used to read the synthetic and holdout files.
 * Fidelity streams both files whole (bounded memory); utility and risk work on uniform samples
 * of at most max_rows rows per file, and the report says when sampling happened.  The PII leakage
 * check (privacy/pii_leak.h) streams both files once more and adds "pii_leakage".  The caller owns
 * the returned report (json_decref).  Thread-safe between independent calls. */
#ifndef SYNTH_VALIDATE_H
#define SYNTH_VALIDATE_H

#include <jansson.h>
#include <stdint.h>

#include "csv_reader.h"
#include "err.h"
#include "progress.h"

typedef struct synth_validate_request {
    const char *real_path;
    const char *synthetic_path;
    const char *holdout_path;   /* NULL: no utility, and DCR against training only */
    const char *target;         /* NULL: no utility */
    synth_csv_options csv;
    size_t max_rows;            /* per file, for utility and risk (default 100000) */
    uint64_t seed;              /* for the samples */
    synth_progress_mode progress;
    int pii_leakage;            /* 1 (default): add the "pii_leakage" section (privacy/pii_leak.h) */
} synth_validate_request;

void synth_validate_request_init(synth_validate_request *req);

int synth_validate(const synth_validate_request *req, json_t **report, synth_err *err);

#endif
