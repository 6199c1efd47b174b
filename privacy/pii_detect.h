/* pii_detect.h -- find personal data (PII) in cells and decide which CSV columns hold it.
 *
 * Cell level: pattern recognizers (email, URL, IPv4/IPv6, MAC, IBAN, payment card, US SSN, phone,
 * UK postcode) validated with checksums and issuance rules where the format has them (Luhn +
 * issuer prefix/length for cards, mod-97 + country length for IBAN, area/group/serial rules for
 * SSN, octet ranges for IPv4, inet_pton for IPv6), plus context from the column name: some
 * entities are only reported when the name hints at them (bare 9-digit SSN, date of birth, US ZIP,
 * bare 10-digit phone, a single-word name), and a hint raises every matching score.  Person names
 * come from a word dictionary (datasets/names.txt): two or more consecutive capitalised words that
 * are all in it, or any short alphabetic cell in a name-hinting column.  A cell of free text may
 * hold several matches; matches never overlap (earlier recognizers in the list above win).
 *
 * Column level (synth_pii_scan_csv): the share of non-empty cells with a match per entity, and the
 * decision rules documented at synth_pii_column_decide.  Reports only ever hold masked examples
 * (synth_pii_mask): no raw value leaves this module.
 *
 * Thread-safe: all functions are pure except the dictionary loaders (which allocate). */
#ifndef SYNTH_PII_DETECT_H
#define SYNTH_PII_DETECT_H

#include <jansson.h>
#include <stddef.h>

#include "csv_reader.h"
#include "err.h"
#include "pii.h"

typedef struct synth_pii_match {
    synth_pii_entity entity;
    size_t start, len;     /* byte range of the match in the cell */
    double score;          /* 0..1: how sure the recognizer is */
} synth_pii_match;

/* A set of lowercase name words (first names and surnames). */
typedef struct synth_pii_names synth_pii_names;

/* Load a dictionary: one word per line, '#' starts a comment line, case-insensitive.  SYNTH_IO
 * when the file can't be read, SYNTH_NOMEM. */
int synth_pii_names_load(const char *path, synth_pii_names **out, synth_err *err);
/* Look for names.txt in $SYNTH_DATA_DIR, then <dir of /proc/self/exe>/../datasets, then
 * ./datasets.  Returns 0 with *out set and the file used in found (may be NULL) when found;
 * 0 with *out = NULL when none exists (callers fall back to column-name hints); SYNTH_NOMEM or
 * SYNTH_IO for a file that exists but can't be loaded. */
int synth_pii_names_load_default(synth_pii_names **out, char *found, size_t found_size, synth_err *err);
/* Is the word (len bytes, any case) in the set?  NULL set: 0. */
int synth_pii_names_contains(const synth_pii_names *names, const char *word, size_t len);
size_t synth_pii_names_count(const synth_pii_names *names);
void synth_pii_names_free(synth_pii_names *names);

/* All matches in s[0..len) (s need not be NUL-terminated), in order of start, at most max.
 * column_name (may be NULL) gives context hints.  Without a dictionary persons are found only
 * through a name-hinting column.  Returns the count written to out. */
size_t synth_pii_find(const char *s, size_t len, const char *column_name, synth_pii_match *out, size_t max);
size_t synth_pii_find_ex(const char *s, size_t len, const char *column_name, const synth_pii_names *names,
                         synth_pii_match *out, size_t max);

/* Bitmask (1u << entity) of the entities the column name hints at ("email", "phone_number",
 * "dob", "zip", "first_name", ...). */
unsigned synth_pii_column_hints(const char *column_name);

#define SYNTH_PII_MASK_MAX 64
/* Write a masked rendering of a matched value into buf (SYNTH_PII_MASK_MAX bytes, NUL-terminated)
 * that keeps only what identifies nobody: email "j***@e******.com", SSN "***-**-6789", card
 * "**** **** **** 4242", phone "***-***-2671", IBAN "DE** **** ... 3000", IPs and MACs with the
 * last group kept, names as initials "J*** S****", anything else with every letter and digit but
 * the last two starred.  Values longer than fit are cut with "...".  Returns the length. */
size_t synth_pii_mask(synth_pii_entity e, const char *s, size_t len, char *buf);

typedef struct synth_pii_column_report {
    synth_pii_entity entity;   /* the most frequent entity (meaningful when is_pii or share > 0) */
    double share;              /* matching cells / non-empty cells, for `entity` */
    double confidence;         /* 0..1, see synth_pii_column_decide */
    int is_pii;
    int free_text;             /* in under half of the matching cells the match is (>= 90% of) the cell */
} synth_pii_column_report;

/* Per-column counts gathered while scanning. */
typedef struct synth_pii_column_counts {
    size_t nonempty;                              /* non-empty cells seen */
    size_t cells[SYNTH_PII_ENTITY_COUNT];         /* cells with at least one match of e */
    size_t whole[SYNTH_PII_ENTITY_COUNT];         /* of those, cells where e's matches cover >= 90% of the
                                                     trimmed text (a structured value, not free text) */
    size_t any_cells;                             /* cells with a match of any entity */
    double score_sum[SYNTH_PII_ENTITY_COUNT];     /* sum over matching cells of the best score */
} synth_pii_column_counts;

/* The column decision.  For the entity e with the largest share (ties: lower enum value):
 *   - share >= 0.50, or (not free text and) cells with a match of any entity >= 0.50
 *     (a mixed "contact" column of emails and phones)    -> PII (structured column)
 *   - share >= 0.20 and the column name hints at e       -> PII
 *   - free text (in under half of e's matching cells the match is >= 90% of the trimmed cell) and
 *     cells with a match of any entity >= 2 or >= 5% of non-empty cells  -> PII, free_text = 1
 *     (free text leaks PII even when few rows hold it; expect some false alarms there)
 * confidence = mean match score * min(1, share / 0.5), + 0.1 with a name hint, capped at 1.
 * A column with no non-empty cells is not PII. */
void synth_pii_column_decide(const synth_pii_column_counts *c, unsigned hints, synth_pii_column_report *out);

/* Add one cell to a column's counts.  examples (may be NULL) holds SYNTH_PII_ENTITY_COUNT slots of
 * SYNTH_PII_MASK_MAX bytes: the first match of each entity is stored there masked. */
void synth_pii_count_cell(synth_pii_column_counts *cc, const char *cell, size_t len, const char *column_name,
                          const synth_pii_names *names, char *examples);

/* Scan up to max_rows data rows (0 = all) of a CSV file and build the report:
 *   {"file": ..., "rows_scanned": N, "name_dictionary": "path" | null, "name_detection":
 *    "dictionary+column-names" | "column-names-only",
 *    "columns": [{"name", "is_pii", "entity", "entities": {"email": share, ...}, "share",
 *                 "confidence", "free_text", "example": masked}], "pii_columns": [names]}
 * csv may be NULL for defaults.  Errors as the CSV reader's, SYNTH_NOMEM. */
int synth_pii_scan_csv(const char *path, const synth_csv_options *csv, size_t max_rows, json_t **report,
                       synth_err *err);
/* The same with an explicit dictionary (NULL: column-name hints only; no search is made). */
int synth_pii_scan_csv_ex(const char *path, const synth_csv_options *csv, size_t max_rows,
                          const synth_pii_names *names, const char *names_path, json_t **report,
                          synth_err *err);

#endif
