/* check.h -- k-anonymity, l-diversity and t-closeness of a CSV, checked in one streaming pass.
 *
 * Rows are grouped into equivalence classes by the tuple of their quasi-identifier (QI) values
 * (exact text; an empty cell is a value like any other).  Memory grows with the number of
 * classes and of distinct sensitive values per class, never with the number of rows.
 * Definitions follow the papers (cited in docs/PRIVACY.md) and ARX:
 *   k-anonymity (Sweeney 2002): every class has at least k rows.
 *   prosecutor re-identification risk of a row = 1 / |its class|: highest, average, and the
 *     share of rows whose risk exceeds risk_threshold.
 *   l-diversity (Machanavajjhala et al. 2007), per sensitive column, all three variants:
 *     distinct l: every class has at least l distinct sensitive values;
 *     entropy l: every class has entropy -sum p log p >= log l;
 *     recursive (c,l): every class has r_1 < c (r_l + r_(l+1) + ... + r_m), r_i the i-th largest
 *     count of a sensitive value in the class.
 *   t-closeness (Li et al. 2007), per sensitive column: every class's distribution of sensitive
 *     values is within Earth Mover's Distance t of the whole table's; ordered distance for numeric
 *     sensitive columns (values sorted, ground distance |i-j|/(m-1)), equal distance for
 *     categorical ones (EMD = total variation).
 * The caller owns the returned report (json_decref).  Thread-safe between independent calls. */
#ifndef SYNTH_PRIVACY_CHECK_H
#define SYNTH_PRIVACY_CHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "csv_reader.h"
#include "err.h"
#include "progress.h"

typedef struct synth_privacy_spec {
    const char *const *qi;          /* quasi-identifier column names (at least one) */
    size_t nqi;
    const char *const *sensitive;   /* sensitive column names (may be none) */
    size_t nsensitive;
    uint64_t k;                     /* required k; 0 = report only */
    double l;                       /* required l for distinct and entropy l-diversity; 0 = not required */
    double c;                       /* c of recursive (c,l)-diversity; 0 = not required (needs l) */
    double t;                       /* required t; negative = not required */
    double risk_threshold;          /* rows with 1/|class| above this are "at risk"; default 0.2 */
} synth_privacy_spec;

void synth_privacy_spec_init(synth_privacy_spec *spec);

/* Check the CSV at path.  *report (new JSON object) holds: rows, classes, class sizes (min,
 * median, mean, max), rows_below_k and classes_below_k, risk {highest, average, rows_at_risk
 * share, threshold}, per sensitive column {distinct_l (min over classes), entropy_l
 * (exp of min entropy), recursive_cl {c, l, satisfied}, t (max EMD over classes), ordered:
 * bool}, and "requirements": [{"model": "k-anonymity", "required": 5, "achieved": 3,
 * "passed": false}, ...]; *passed is 1 when every required model holds.  Errors name the file
 * and the column (unknown QI or sensitive column, a column listed twice, no rows). */
int synth_privacy_check_csv(const char *path, const synth_privacy_spec *spec, const synth_csv_options *csv,
                            synth_progress_mode progress, json_t **report, int *passed, synth_err *err);

/* Test hook: with on != 0, always read through synth_csv_reader (never the fast scanner that plain
 * files get), so tests can compare the two.  Process-wide. */
void synth__privacy_check_force_reader(int on);

#endif
