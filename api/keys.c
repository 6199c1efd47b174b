/* keys.c -- API keys: random secrets shown once, SHA-256 at rest, constant-time checks (see keys.h). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "alloc.h"
#include "keys.h"

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char *const scope_names[] = {"read", "generate", "admin"};
#define NSCOPES 3
#define SECRET_HEAD "synth_"
#define HEAD_LEN 6

/* ---- scopes ------------------------------------------------------------------------------ */

int synth_scopes_parse(const char *text, unsigned *out, synth_err *err)
{
    *out = 0;
    if (text == NULL)
        return synth_err_set(err, SYNTH_USAGE, "no scopes given (use read, generate, admin)");
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ')
            p++;
        size_t len = (size_t)(p - start);
        int found = -1;
        for (int i = 0; i < NSCOPES; i++)
            if (strlen(scope_names[i]) == len && memcmp(scope_names[i], start, len) == 0)
                found = i;
        if (found < 0)
            return synth_err_set(err, SYNTH_USAGE, "unknown scope '%.*s' (use read, generate, admin)",
                                 (int)(len > 40 ? 40 : len), start);
        *out |= 1u << found;
    }
    if (*out == 0)
        return synth_err_set(err, SYNTH_USAGE, "no scopes given (use read, generate, admin)");
    return 0;
}

void synth_scopes_format(unsigned scopes, char *buf, size_t n)
{
    size_t used = 0;
    if (n == 0)
        return;
    buf[0] = '\0';
    for (int i = 0; i < NSCOPES; i++) {
        if (!(scopes & (1u << i)))
            continue;
        int w = snprintf(buf + used, n - used, "%s%s", used ? "," : "", scope_names[i]);
        if (w < 0 || (size_t)w >= n - used)
            return;
        used += (size_t)w;
    }
}

int synth_scopes_allow(unsigned have, unsigned need)
{
    if (have & SYNTH_SCOPE_ADMIN)
        return 1;
    return (have & need) == need;
}

json_t *synth_scopes_json(unsigned scopes)
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < NSCOPES; i++)
        if (scopes & (1u << i))
            json_array_append_new(a, json_string(scope_names[i]));
    return a;
}

/* ---- secrets ----------------------------------------------------------------------------- */

/* n base62 characters from RAND_bytes by rejection sampling (bytes >= 248 are dropped, so every
 * character is exactly uniform). */
static int random_base62(char *out, size_t n)
{
    unsigned char buf[64];
    size_t got = 0;
    while (got < n) {
        if (RAND_bytes(buf, sizeof buf) != 1)
            return -1;
        for (size_t i = 0; i < sizeof buf && got < n; i++)
            if (buf[i] < 248)
                out[got++] = base62[buf[i] % 62];
    }
    OPENSSL_cleanse(buf, sizeof buf);
    return 0;
}

/* SHA-256 of text as 64 lowercase hex digits + NUL. */
static int sha256_hex(const char *text, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return -1;
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return 0;
}

static int is_base62(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\0' || strchr(base62, p[i]) == NULL)
            return 0;
    return 1;
}

int synth_keys_create(synth_store *s, const char *name, unsigned scopes, char **secret, synth_key_info *info,
                      synth_err *err)
{
    *secret = NULL;
    if (scopes == 0 || (scopes & ~(unsigned)SYNTH_SCOPE_ALL) != 0)
        return synth_err_set(err, SYNTH_BAD_INPUT, "a key needs at least one scope (read, generate, admin)");
    if (name == NULL || strlen(name) >= SYNTH_NAME_MAX)
        return synth_err_set(err, SYNTH_BAD_INPUT, "field 'name': must be 1-255 bytes");
    synth_key_info k;
    memset(&k, 0, sizeof k);
    memcpy(k.name, name, strlen(name) + 1);
    k.scopes = scopes;
    char *sec = synth_malloc(SYNTH_KEY_SECRET_LEN + 1);
    if (sec == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    int rc = synth_store_new_id("key_", k.id, err);
    for (int attempt = 0; rc == 0 && attempt < 8; attempt++) {
        memcpy(sec, SECRET_HEAD, HEAD_LEN);
        if (random_base62(sec + HEAD_LEN, SYNTH_KEY_PREFIX_LEN) != 0 ||
            random_base62(sec + HEAD_LEN + SYNTH_KEY_PREFIX_LEN + 1, SYNTH_KEY_BODY_LEN) != 0) {
            rc = synth_err_set(err, SYNTH_INTERNAL, "the random number generator failed");
            break;
        }
        sec[HEAD_LEN + SYNTH_KEY_PREFIX_LEN] = '_';
        sec[SYNTH_KEY_SECRET_LEN] = '\0';
        memcpy(k.prefix, sec + HEAD_LEN, SYNTH_KEY_PREFIX_LEN);
        k.prefix[SYNTH_KEY_PREFIX_LEN] = '\0';
        char hash[65];
        if (sha256_hex(sec, SYNTH_KEY_SECRET_LEN, hash) != 0) {
            rc = synth_err_set(err, SYNTH_INTERNAL, "SHA-256 failed");
            break;
        }
        rc = synth_store_key_insert(s, &k, hash, err);
        if (rc != SYNTH_STORE_CONFLICT)
            break;
        rc = 0;   /* prefix collision (1 in 62^8 per key): draw again */
        if (attempt == 7)
            rc = synth_err_set(err, SYNTH_INTERNAL, "could not find a free key prefix");
    }
    if (rc == 0)
        rc = synth_store_key_get(s, k.id, &k, err);
    if (rc != 0) {
        OPENSSL_cleanse(sec, SYNTH_KEY_SECRET_LEN + 1);
        synth_free(sec);
        return rc == SYNTH_STORE_NOT_FOUND ? synth_err_set(err, SYNTH_INTERNAL, "key vanished after insert") : rc;
    }
    if (info != NULL)
        *info = k;
    *secret = sec;
    return 0;
}

int synth_keys_authenticate(synth_store *s, const char *token, synth_key_info *out, synth_err *err)
{
    if (token == NULL || token[0] == '\0') {
        synth_err_set(err, SYNTH_OK, "no API key given");
        return SYNTH_KEYS_DENIED;
    }
    size_t len = strnlen(token, SYNTH_KEY_SECRET_LEN + 1);
    if (len != SYNTH_KEY_SECRET_LEN || memcmp(token, SECRET_HEAD, HEAD_LEN) != 0 ||
        token[HEAD_LEN + SYNTH_KEY_PREFIX_LEN] != '_' || !is_base62(token + HEAD_LEN, SYNTH_KEY_PREFIX_LEN) ||
        !is_base62(token + HEAD_LEN + SYNTH_KEY_PREFIX_LEN + 1, SYNTH_KEY_BODY_LEN)) {
        synth_err_set(err, SYNTH_OK, "malformed API key");
        return SYNTH_KEYS_DENIED;
    }
    char prefix[SYNTH_KEY_PREFIX_LEN + 1];
    memcpy(prefix, token + HEAD_LEN, SYNTH_KEY_PREFIX_LEN);
    prefix[SYNTH_KEY_PREFIX_LEN] = '\0';
    char given[65], stored[65];
    if (sha256_hex(token, len, given) != 0)
        return synth_err_set(err, SYNTH_INTERNAL, "SHA-256 failed");
    synth_key_info k;
    int rc = synth_store_key_by_prefix(s, prefix, &k, stored, err);
    if (rc < 0)
        return rc;
    int found = rc == 0;
    if (!found)
        memset(stored, '0', 64);   /* compare anyway: the same work whether or not the prefix exists */
    stored[64] = '\0';
    int match = CRYPTO_memcmp(given, stored, 64) == 0;
    if (!found || !match) {
        synth_err_set(err, SYNTH_OK, "%s API key (prefix %s)", found ? "wrong" : "unknown", prefix);
        return SYNTH_KEYS_DENIED;
    }
    if (k.revoked_at != 0) {
        synth_err_set(err, SYNTH_OK, "revoked API key (prefix %s)", prefix);
        return SYNTH_KEYS_DENIED;
    }
    if (out != NULL)
        *out = k;
    return 0;
}

int synth_keys_revoke(synth_store *s, const char *id_or_prefix, synth_key_info *info, synth_err *err)
{
    if (id_or_prefix == NULL || id_or_prefix[0] == '\0')
        return synth_err_set(err, SYNTH_USAGE, "which key? give its id or prefix");
    return synth_store_key_revoke(s, id_or_prefix, info, err);
}

json_t *synth_key_json(const synth_key_info *k)
{
    char created[32], revoked[32];
    synth_store_format_time(k->created_at, created, sizeof created);
    synth_store_format_time(k->revoked_at, revoked, sizeof revoked);
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o}", "id", k->id, "name", k->name, "prefix", k->prefix, "scopes",
                     synth_scopes_json(k->scopes), "created_at", created, "revoked_at",
                     k->revoked_at ? json_string(revoked) : json_null());
}

int synth_keys_list_json(synth_store *s, json_t **out, synth_err *err)
{
    *out = NULL;
    synth_key_info *keys = NULL;
    size_t n = 0;
    int rc = synth_store_key_list(s, &keys, &n, err);
    if (rc)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        json_t *one = synth_key_json(&keys[i]);
        if (one == NULL || json_array_append_new(arr, one) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    synth_free(keys);
    if (arr == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    *out = arr;
    return 0;
}
