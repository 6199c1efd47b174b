/* keys.h -- API keys: creation (shown once), authentication, revocation, scopes.
 *
 * A secret looks like "synth_<prefix>_<body>": prefix = 8 and body = 32 base62 characters, all drawn
 * from OpenSSL's RAND_bytes by rejection sampling (190 bits of entropy in the body).  Only the
 * SHA-256 of the whole secret is stored (hex, table api_keys); the prefix is stored in clear so a
 * key can be found and named in logs.  Authentication looks the key up by prefix and compares the
 * hashes with CRYPTO_memcmp (constant time), so a right prefix with a wrong body costs the same as
 * a right key.  Scopes: read, generate, admin; admin implies the others.
 * Thread-safe (the store serializes its own calls). */
#ifndef SYNTH_API_KEYS_H
#define SYNTH_API_KEYS_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

enum {
    SYNTH_SCOPE_READ = 1u << 0,
    SYNTH_SCOPE_GENERATE = 1u << 1,
    SYNTH_SCOPE_ADMIN = 1u << 2,
};
#define SYNTH_SCOPE_ALL (SYNTH_SCOPE_READ | SYNTH_SCOPE_GENERATE | SYNTH_SCOPE_ADMIN)

/* Length of a secret: "synth_" (6) + 8 + "_" (1) + 32 = 47 characters. */
#define SYNTH_KEY_SECRET_LEN 47
#define SYNTH_KEY_BODY_LEN 32

/* Positive outcome of synth_keys_authenticate: the token is missing, malformed, unknown, wrong or
 * revoked (all answered 401 alike; err says which, for logs, never containing the token). */
#define SYNTH_KEYS_DENIED 1

/* "read,generate" (comma-separated, spaces allowed, no duplicates needed) -> bits.  SYNTH_USAGE
 * naming the unknown scope; an empty list is an error too. */
int synth_scopes_parse(const char *text, unsigned *out, synth_err *err);
/* bits -> "read,generate,admin" order, into buf (32 bytes is always enough). */
void synth_scopes_format(unsigned scopes, char *buf, size_t n);
/* 1 when a key with `have` may do what needs `need` (admin implies every scope). */
int synth_scopes_allow(unsigned have, unsigned need);
/* JSON array of scope names, new reference or NULL. */
json_t *synth_scopes_json(unsigned scopes);

/* Create a key named `name` (1..255 bytes, no control characters) with `scopes` (non-zero).  On
 * success *secret is a new NUL-terminated string of SYNTH_KEY_SECRET_LEN characters (caller frees
 * with synth_free, after wiping it if it likes); info (may be NULL) gets the stored metadata.
 * Errors: SYNTH_BAD_INPUT (name/scopes), SYNTH_INTERNAL (CSPRNG), the store's. */
int synth_keys_create(synth_store *s, const char *name, unsigned scopes, char **secret, synth_key_info *info,
                      synth_err *err);

/* Check a bearer token (the text after "Bearer ").  0 with *out filled for an active key whose hash
 * matches; SYNTH_KEYS_DENIED otherwise; negative on store failure (answer 503/500). */
int synth_keys_authenticate(synth_store *s, const char *token, synth_key_info *out, synth_err *err);

/* Revoke by id ("key_...") or prefix.  0 (info filled if not NULL) or SYNTH_STORE_NOT_FOUND. */
int synth_keys_revoke(synth_store *s, const char *id_or_prefix, synth_key_info *info, synth_err *err);

/* One key as JSON: {"id","name","prefix","scopes":[...],"created_at","revoked_at"|null}; never the
 * hash or the secret.  New reference or NULL. */
json_t *synth_key_json(const synth_key_info *k);
/* All keys as a JSON array (oldest first).  New reference in *out. */
int synth_keys_list_json(synth_store *s, json_t **out, synth_err *err);

#endif
