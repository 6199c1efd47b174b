/* anonymize.h -- enforce k-anonymity (and l-diversity, t-closeness) by generalization and
 * suppression, writing an anonymized CSV.
 *
 * Generalization hierarchies: categorical QIs from a JSON file (value -> list of parent levels,
 * most specific first, e.g. {"zip": {"13053": ["1305*", "130**", "*"]}} or an equivalent documented
 * form); numeric QIs get automatic interval hierarchies; dates are truncated (day -> month ->
 * year -> decade); code-like columns (digits, e.g. ZIP) get digit masking from the right.
 * Rows still violating the models after generalization are suppressed, up to max_suppression of
 * all rows.  The search (see anonymize.c for which one and why) minimizes information loss, which
 * is reported as normalized certainty penalty and discernibility next to the result.
 * The output passes synth_privacy_check_csv for the same spec.  The input is held in memory
 * (the search needs every row); the caller owns the report. */
#ifndef SYNTH_PRIVACY_ANONYMIZE_H
#define SYNTH_PRIVACY_ANONYMIZE_H

#include <jansson.h>

#include "check.h"

typedef struct synth_anonymize_request {
    const char *input;              /* CSV path */
    const char *output;             /* CSV path ("-" = stdout); written under a temporary name */
    const char *hierarchy_path;     /* JSON hierarchies, or NULL: automatic ones only */
    synth_privacy_spec spec;        /* which models and parameters to enforce */
    double max_suppression;         /* share of rows that may be suppressed (removed), 0..1 */
    synth_csv_options csv;
    synth_progress_mode progress;
} synth_anonymize_request;

void synth_anonymize_request_init(synth_anonymize_request *req);

/* *report (new JSON object): the generalization chosen per QI (level / interval width / mask),
 * rows_suppressed and its share, information loss {ncp, discernibility}, and the check of the
 * output (as synth_privacy_check_csv reports it).  SYNTH_BAD_INPUT when no solution exists within
 * max_suppression (the message says the best found); hierarchy errors (cycles, values missing
 * from a hierarchy, unknown columns, malformed JSON) are SYNTH_USAGE naming the file and value. */
int synth_anonymize_csv(const synth_anonymize_request *req, json_t **report, synth_err *err);

#endif
