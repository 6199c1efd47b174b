/* report_html.h -- the validation report (validation/REPORT.md) rendered as one self-contained
 * HTML page: inline CSS and inline SVG charts only (no scripts, no fonts, images or links that
 * fetch anything), readable by a person and printable.
 *
 * The page shows the inputs, the overview scores, the per-column fidelity table and charts
 * (overlaid histograms, grouped bars), the worst column pairs, the correlation heatmaps (real,
 * synthetic, |difference|), the privacy risk (DCR histograms, share closer to train, exact-copy
 * rate, membership-inference AUC) and the ML-utility table.  A part that is null, missing or of
 * the wrong type is shown as "not computed" with a hint; odd values (wrong types, non-finite
 * numbers, empty or ragged arrays, huge names, thousands of columns) never fail the render.
 * Every string from the document is escaped, so the output is also well-formed XML.
 * Reentrant: no global state; the document is only read. */
#ifndef SYNTH_REPORT_HTML_H
#define SYNTH_REPORT_HTML_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/* Render `report` (a JSON object) and write it to path through synth_output (temporary name,
 * renamed on success; "-" is standard output).  SYNTH_USAGE when report is not an object or path
 * is NULL, SYNTH_NOMEM, SYNTH_IO (naming the path). */
int synth_report_write_html(const json_t *report, const char *path, synth_err *err);

/* Render into a new buffer: *html (NUL-terminated, free with synth_free) and *len (bytes, not
 * counting the NUL).  On failure *html is NULL and *len 0.  SYNTH_USAGE, SYNTH_NOMEM. */
int synth_report_render_html(const json_t *report, char **html, size_t *len, synth_err *err);

#endif
