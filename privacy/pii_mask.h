/* pii_mask.h -- masking operators for personal data in CSV columns, driven by a JSON policy.
 *
 * A policy maps columns (by header name) and, optionally, PII entities (by entity name, for
 * columns a detector or the caller tags, or whose header is the entity name) to an operator:
 *
 *   redact     value (default "")            the cell becomes the fixed text
 *   replace    value (required)              the cell becomes the fixed text
 *   mask       keep_first, keep_last (0),    every other character (UTF-8 code point) becomes
 *              char (default "*")            the mask character
 *   hash       length (64)                   HMAC-SHA256(key, cell) in lower-case hex, cut to
 *                                            `length` hex digits (8..64)
 *   tokenize   prefix ("tok_"), length (20)  prefix + base32 of a keyed HMAC: the same input and
 *                                            key give the same token in every file
 *   fpe        tweak ("")                    FF1 (AES, radix 10) over the decimal digits, every
 *                                            other character kept in place; a value with fewer
 *                                            than 6 digits is refused (domain < 10^6)
 *   synthetic  entity (required in columns), a format-valid fake from synth_pii_fake; with
 *              consistent (false), seed (0)  consistent the seed comes from a keyed HMAC of
 *                                            the cell, so equal inputs get equal fakes
 *
 * Empty cells stay empty under every operator.  hash, tokenize, fpe and consistent synthetic need
 * a key: 16, 24 or 32 raw bytes from a key file, or hex in $SYNTH_MASK_KEY.  hash is plain
 * HMAC-SHA256 with the key (reproducible with `openssl dgst -sha256 -mac HMAC`); tokenize and
 * synthetic use subkeys derived from it; fpe uses it as the AES key, so standard FF1 decrypts.
 * Keys and cell values never appear in error messages.
 * A masker is used by one thread at a time. */
#ifndef SYNTH_PII_MASK_H
#define SYNTH_PII_MASK_H

#include <stddef.h>
#include <stdint.h>

#include "csv_reader.h"
#include "err.h"
#include "pii.h"

#define SYNTH_MASK_KEY_ENV "SYNTH_MASK_KEY"

typedef struct synth_mask_policy synth_mask_policy;

/* Load and check a policy file.  SYNTH_USAGE naming the file and the field for malformed JSON,
 * unknown fields, operators or entities and bad options; SYNTH_NOMEM. */
int synth_mask_policy_load(synth_mask_policy **out, const char *path, synth_err *err);
/* The same from text; `source` names it in messages. */
int synth_mask_policy_parse(synth_mask_policy **out, const char *text, const char *source, synth_err *err);
void synth_mask_policy_free(synth_mask_policy *p);
/* Name of an operator in the policy that needs a key ("hash", ...), or NULL when none does. */
const char *synth_mask_policy_key_user(const synth_mask_policy *p);

typedef struct synth_mask_key {
    uint8_t bytes[32];
    size_t len;            /* 0: no key */
} synth_mask_key;

/* Read the key from key_file (raw bytes) or, when key_file is NULL, from $SYNTH_MASK_KEY (hex).
 * Neither: 0 with key->len = 0.  SYNTH_USAGE for a wrong length or bad hex, SYNTH_IO for an
 * unreadable file.  Messages never hold key material. */
int synth_mask_key_load(synth_mask_key *key, const char *key_file, synth_err *err);
/* Wipe the key. */
void synth_mask_key_clear(synth_mask_key *key);

typedef struct synth_masker synth_masker;

/* Bind a policy to a header.  entities (may be NULL) gives a detected entity per column
 * (SYNTH_PII_ENTITY_COUNT = none).  SYNTH_USAGE naming the policy source for a policy column not
 * in the header, or a key-needing operator without a key (naming the operator and column).
 * The masker refers to the policy's rules: p must outlive it.  columns are borrowed likewise. */
int synth_masker_new(synth_masker **out, const synth_mask_policy *p, const char *const *columns,
                     const synth_pii_entity *entities, size_t ncols, const synth_mask_key *key, synth_err *err);
void synth_masker_free(synth_masker *m);
/* 1 when column col is masked. */
int synth_masker_masks(const synth_masker *m, size_t col);
/* Bytes of output room synth_masker_cell needs for an input of len bytes (NUL included). */
size_t synth_masker_bound(const synth_masker *m, size_t col, size_t len);
/* Mask one cell (in[len] must be NUL) of data row `row` into out (synth_masker_bound bytes),
 * NUL-terminated; *outlen gets the length.  SYNTH_BAD_INPUT for a value the operator refuses
 * (fpe with under 6 digits); the message names the column, never the value. */
int synth_masker_cell(synth_masker *m, size_t col, const char *in, size_t len, uint64_t row, char *out,
                      size_t *outlen, synth_err *err);

typedef struct synth_mask_stats {
    uint64_t rows;
    uint64_t cells_masked;
    uint64_t bytes_in, bytes_out;
    size_t columns_masked;
} synth_mask_stats;

/* Stream in_path through the masker into out_path (temporary file + rename; "-" = stdout).
 * opt may be NULL.  Errors name the file and line.  A regular file in plain CSV is masked on one
 * worker thread per core (at most 8); the output is the same bytes as with one thread. */
int synth_mask_csv(const char *in_path, const char *out_path, const synth_mask_policy *p,
                   const synth_mask_key *key, const synth_csv_options *opt, synth_mask_stats *stats,
                   synth_err *err);

#endif
