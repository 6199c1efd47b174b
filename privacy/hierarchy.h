/* hierarchy.h -- generalization hierarchies of quasi-identifier columns, for the anonymizer.
 *
 * A hierarchy maps each distinct value of one column (value ids 0..nvalues-1, as the caller
 * numbered them) to a label at every level: level 0 is the value itself, the last level is the
 * most general (normally "*").  At each level, values with the same label share a group id
 * (gid), so the anonymizer can form equivalence classes on small integers.  Kinds:
 *   user      from a JSON file: {"columns": {"zip": {"13053": ["1305*", "130**", "*"], ...}}},
 *             value -> its parent labels, most specific first.  Only this list form is supported
 *             (no {"parent": ...} form), so parent chains cannot loop; a value listed among its
 *             own ancestors is rejected as a cycle.  Every value of the data must be listed (values
 *             only in the file are allowed), every list must have the same length, and a label at
 *             one level must always have the same parent (else "inconsistent").  When the top
 *             level still has more than one label, a final "*" level is added.
 *   interval  integer/float columns: intervals "[20-30)" of width w*2^(level-1), aligned to
 *             multiples of the width, w = range/16 rounded up to 1, 2 or 5 times a power of ten;
 *             widths double until one interval would cover the whole range, then "*".
 *   date      dates: (day ->) month "2021-03" -> year "2021" -> decade "202*" -> "*".
 *   mask      code-like columns (all values digits of one length >= 3, e.g. ZIP): mask digits
 *             from the right, "13053" -> "1305*" -> "130**" -> ... -> "*****".
 *   suppress  any other column: one level above the value, "*".
 * Null cells (empty, or NA-like for numeric/date columns) keep their text at every level and
 * cost nothing in the loss metric.  Loss per group (ncp): intervals width/range (capped at 1),
 * others (distinct data values under the group - 1) / (distinct values - 1); "*" costs 1.
 * Memory: O(nvalues * nlevels).  A hierarchy owns all its memory; read-only use from several
 * threads is fine. */
#ifndef SYNTH_PRIVACY_HIERARCHY_H
#define SYNTH_PRIVACY_HIERARCHY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

typedef enum synth_hier_kind {
    SYNTH_HIER_SUPPRESS = 0,
    SYNTH_HIER_USER,
    SYNTH_HIER_INTERVAL,
    SYNTH_HIER_DATE,
    SYNTH_HIER_MASK
} synth_hier_kind;

typedef struct synth_hier {
    synth_hier_kind kind;
    size_t nvalues;         /* distinct values the hierarchy was built for */
    size_t nlevels;         /* levels including level 0 (the value itself); >= 2 */
    uint32_t **gid;         /* gid[level][value] */
    size_t *ngroups;        /* ngroups[level] */
    char ***labels;         /* labels[level][gid], NUL-terminated */
    double **ncp;           /* ncp[level][gid], 0..1 */
    double base_width;      /* interval: width of level 1 */
    int date_has_day;       /* date: level 1 is the day (the data has times of day) */
} synth_hier;

const char *synth_hier_kind_name(synth_hier_kind k);

/* Load and parse a hierarchy file.  SYNTH_USAGE naming the file (and line) when it is not JSON,
 * has no "columns" object, or a column is not an object of value -> array of strings. */
int synth_hier_load_file(const char *path, json_t **out, synth_err *err);

/* Build the hierarchy of column `column` for its distinct values (values[i], lens[i] bytes,
 * NUL-terminated).  user: that column's object from the file (NULL: automatic, kind picked from
 * the values); path names the file in errors (SYNTH_USAGE: value missing, inconsistent level
 * counts or parents, cycle).  SYNTH_NOMEM on allocation failure.  *out owned by the caller. */
int synth_hier_build(const char *column, const char *const *values, const uint32_t *lens,
                     size_t nvalues, const json_t *user, const char *path, synth_hier **out,
                     synth_err *err);

/* Is this text a null cell (empty, or NA-like: NA N/A NULL null NaN nan None ?, spaces around
 * allowed) for numeric and date detection? */
int synth_hier_is_null(const char *s, size_t len);

void synth_hier_free(synth_hier *h);

#endif
