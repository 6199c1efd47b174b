/* pii_mask.c -- masking operators over a CSV stream (see pii_mask.h for the policy format).
 *
 * The policy is parsed once into rules; a masker binds rules to header columns and holds the
 * keyed state: precomputed HMAC-SHA256 inner/outer states (the key block hashed once, so a cell
 * costs two SHA-256 finalisations and no allocation) and an FF1 cipher.  synth_mask_csv first
 * hands a regular file to the threaded fast path (pii_mask_fast.c, one masker per worker); for
 * anything that path does not take -- stdin, and the rows after the first record outside its
 * plain subset -- it reads chunks from the streaming reader, masks cell by cell into a reusable
 * row buffer, quotes with synth_csv_quote and writes through synth_output (temporary file +
 * rename; both paths write the same bytes).  Subkeys:
 * tokenize = HMAC(key, "synth-mask-v1 tokenize"), synthetic = HMAC(key, "synth-mask-v1
 * synthetic"); hash uses the key itself. */
#define OPENSSL_SUPPRESS_DEPRECATED 1   /* SHA256_CTX: copyable state for fast keyed hashing */
#include "pii_mask.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "alloc.h"
#include "engine.h"
#include "ff1.h"
#include "output.h"
#include "pii_mask_fast.h"
#include "signals.h"

typedef enum mask_op { OP_REDACT, OP_REPLACE, OP_MASK, OP_HASH, OP_TOKENIZE, OP_FPE, OP_SYNTHETIC, OP_COUNT } mask_op;

static const char *const op_names[OP_COUNT] = {"redact", "replace", "mask", "hash", "tokenize", "fpe", "synthetic"};

typedef struct mask_rule {
    char *name;            /* column or entity name */
    int is_entity;
    synth_pii_entity entity_key;   /* for entity rules */
    mask_op op;
    char *value;           /* redact, replace */
    size_t value_len;
    size_t keep_first, keep_last;
    char mask_char;
    size_t length;         /* hash: hex digits; tokenize: base32 characters */
    char *prefix;          /* tokenize */
    size_t prefix_len;
    uint8_t *tweak;        /* fpe */
    size_t tweak_len;
    synth_pii_entity entity;   /* synthetic */
    int consistent;
    uint64_t seed;
} mask_rule;

struct synth_mask_policy {
    char *source;
    mask_rule *rules;
    size_t nrules;
};

static int op_needs_key(const mask_rule *r)
{
    return r->op == OP_HASH || r->op == OP_TOKENIZE || r->op == OP_FPE || (r->op == OP_SYNTHETIC && r->consistent);
}

/* ---- policy ----------------------------------------------------------------------------------- */

static void rule_free(mask_rule *r)
{
    synth_free(r->name);
    synth_free(r->value);
    synth_free(r->prefix);
    synth_free(r->tweak);
}

void synth_mask_policy_free(synth_mask_policy *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nrules; i++)
        rule_free(&p->rules[i]);
    synth_free(p->rules);
    synth_free(p->source);
    synth_free(p);
}

const char *synth_mask_policy_key_user(const synth_mask_policy *p)
{
    for (size_t i = 0; i < p->nrules; i++) {
        if (op_needs_key(&p->rules[i]))
            return op_names[p->rules[i].op];
    }
    return NULL;
}

#define POLICY_ERR(...) synth_err_set(err, SYNTH_USAGE, __VA_ARGS__)

static int get_uint(const json_t *j, const char *src, const char *sect, const char *name, const char *field,
                    size_t lo, size_t hi, size_t *out, synth_err *err)
{
    if (!json_is_integer(j) || json_integer_value(j) < (json_int_t)lo || json_integer_value(j) > (json_int_t)hi)
        return POLICY_ERR("%s: %s.%s.%s: must be an integer from %zu to %zu", src, sect, name, field, lo, hi);
    *out = (size_t)json_integer_value(j);
    return 0;
}

static int get_str(const json_t *j, const char *src, const char *sect, const char *name, const char *field,
                   size_t maxlen, char **out, size_t *outlen, synth_err *err)
{
    if (!json_is_string(j))
        return POLICY_ERR("%s: %s.%s.%s: must be a string", src, sect, name, field);
    size_t len = json_string_length(j);
    if (len > maxlen)
        return POLICY_ERR("%s: %s.%s.%s: longer than %zu bytes", src, sect, name, field, maxlen);
    if (memchr(json_string_value(j), '\0', len) != NULL)
        return POLICY_ERR("%s: %s.%s.%s: must not contain NUL characters", src, sect, name, field);
    synth_free(*out);
    *out = synth_strndup(json_string_value(j), len);
    if (*out == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    if (outlen != NULL)
        *outlen = len;
    return 0;
}

static int parse_rule(mask_rule *r, const json_t *obj, const char *src, const char *sect, const char *name,
                      synth_err *err)
{
    if (!json_is_object(obj))
        return POLICY_ERR("%s: %s.%s: must be an object with an \"operator\"", src, sect, name);
    const json_t *opj = json_object_get(obj, "operator");
    if (!json_is_string(opj))
        return POLICY_ERR("%s: %s.%s.operator: missing or not a string (one of redact, replace, mask, hash, "
                          "tokenize, fpe, synthetic)",
                          src, sect, name);
    r->op = OP_COUNT;
    for (int i = 0; i < OP_COUNT; i++) {
        if (strcmp(json_string_value(opj), op_names[i]) == 0)
            r->op = (mask_op)i;
    }
    if (r->op == OP_COUNT)
        return POLICY_ERR("%s: %s.%s.operator: unknown operator '%s' (one of redact, replace, mask, hash, "
                          "tokenize, fpe, synthetic)",
                          src, sect, name, json_string_value(opj));
    r->mask_char = '*';
    r->length = r->op == OP_HASH ? 64 : 20;
    r->entity = r->is_entity ? r->entity_key : SYNTH_PII_ENTITY_COUNT;
    int have_value = 0;
    const char *key;
    const json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)obj, key, v) {
        if (strcmp(key, "operator") == 0)
            continue;
        int ok = 0;
        switch (r->op) {
        case OP_REDACT:
        case OP_REPLACE:
            if (strcmp(key, "value") == 0) {
                ok = 1;
                have_value = 1;
                rc = get_str(v, src, sect, name, key, 4096, &r->value, &r->value_len, err);
            }
            break;
        case OP_MASK:
            if (strcmp(key, "keep_first") == 0) {
                ok = 1;
                rc = get_uint(v, src, sect, name, key, 0, 1000000, &r->keep_first, err);
            } else if (strcmp(key, "keep_last") == 0) {
                ok = 1;
                rc = get_uint(v, src, sect, name, key, 0, 1000000, &r->keep_last, err);
            } else if (strcmp(key, "char") == 0) {
                ok = 1;
                const char *s = json_is_string(v) ? json_string_value(v) : NULL;
                if (s == NULL || json_string_length(v) != 1 || (unsigned char)s[0] < 0x20 || (unsigned char)s[0] > 0x7e)
                    rc = POLICY_ERR("%s: %s.%s.char: must be one printable ASCII character", src, sect, name);
                else
                    r->mask_char = s[0];
            }
            break;
        case OP_HASH:
            if (strcmp(key, "length") == 0) {
                ok = 1;
                rc = get_uint(v, src, sect, name, key, 8, 64, &r->length, err);
            }
            break;
        case OP_TOKENIZE:
            if (strcmp(key, "length") == 0) {
                ok = 1;
                rc = get_uint(v, src, sect, name, key, 8, 51, &r->length, err);
            } else if (strcmp(key, "prefix") == 0) {
                ok = 1;
                rc = get_str(v, src, sect, name, key, 64, &r->prefix, &r->prefix_len, err);
            }
            break;
        case OP_FPE:
            if (strcmp(key, "tweak") == 0) {
                ok = 1;
                char *t = NULL;
                rc = get_str(v, src, sect, name, key, SYNTH_FF1_MAX_TWEAK, &t, &r->tweak_len, err);
                synth_free(r->tweak);
                r->tweak = (uint8_t *)t;
            }
            break;
        case OP_SYNTHETIC:
            if (strcmp(key, "entity") == 0) {
                ok = 1;
                if (!json_is_string(v) || synth_pii_entity_parse(json_string_value(v), &r->entity) != 0)
                    rc = POLICY_ERR("%s: %s.%s.entity: unknown entity (one of email, phone, us_ssn, credit_card, "
                                    "iban, ipv4, ipv6, mac_address, url, date_of_birth, person_name, postal_code)",
                                    src, sect, name);
            } else if (strcmp(key, "consistent") == 0) {
                ok = 1;
                if (!json_is_boolean(v))
                    rc = POLICY_ERR("%s: %s.%s.consistent: must be true or false", src, sect, name);
                else
                    r->consistent = json_is_true(v);
            } else if (strcmp(key, "seed") == 0) {
                ok = 1;
                if (!json_is_integer(v) || json_integer_value(v) < 0)
                    rc = POLICY_ERR("%s: %s.%s.seed: must be a non-negative integer", src, sect, name);
                else
                    r->seed = (uint64_t)json_integer_value(v);
            }
            break;
        case OP_COUNT:
            break;
        }
        if (rc)
            return rc;
        if (!ok)
            return POLICY_ERR("%s: %s.%s.%s: unknown option for operator '%s'", src, sect, name, key,
                              op_names[r->op]);
    }
    if (r->op == OP_REPLACE && !have_value)
        return POLICY_ERR("%s: %s.%s.value: required for operator 'replace'", src, sect, name);
    if (r->op == OP_SYNTHETIC && r->entity == SYNTH_PII_ENTITY_COUNT)
        return POLICY_ERR("%s: %s.%s.entity: required for operator 'synthetic'", src, sect, name);
    if (r->op == OP_TOKENIZE && r->prefix == NULL) {
        r->prefix = synth_strdup("tok_");
        if (r->prefix == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        r->prefix_len = 4;
    }
    if ((r->op == OP_REDACT) && r->value == NULL) {
        r->value = synth_strdup("");
        if (r->value == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    return 0;
}

static int parse_section(synth_mask_policy *p, const json_t *sec, const char *sect, int is_entity, synth_err *err)
{
    if (sec == NULL)
        return 0;
    if (!json_is_object(sec))
        return POLICY_ERR("%s: %s: must be an object", p->source, sect);
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)sec, name, v) {
        mask_rule *r = &p->rules[p->nrules];
        memset(r, 0, sizeof *r);
        r->is_entity = is_entity;
        if (is_entity && synth_pii_entity_parse(name, &r->entity_key) != 0)
            return POLICY_ERR("%s: entities.%s: unknown entity", p->source, name);
        r->name = synth_strdup(name);
        if (r->name == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        p->nrules++;
        int rc = parse_rule(r, v, p->source, sect, name, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int policy_from_json(synth_mask_policy **out, const json_t *root, const char *source, synth_err *err)
{
    if (!json_is_object(root))
        return POLICY_ERR("%s: a policy must be a JSON object with \"columns\" and/or \"entities\"", source);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)root, key, v) {
        if (strcmp(key, "columns") != 0 && strcmp(key, "entities") != 0)
            return POLICY_ERR("%s: %s: unknown field (expected \"columns\" or \"entities\")", source, key);
    }
    const json_t *cols = json_object_get(root, "columns"), *ents = json_object_get(root, "entities");
    size_t n = (json_is_object(cols) ? json_object_size(cols) : 0) + (json_is_object(ents) ? json_object_size(ents) : 0);
    synth_mask_policy *p = synth_calloc(1, sizeof *p);
    if (p == NULL || (p->source = synth_strdup(source)) == NULL ||
        (p->rules = synth_calloc(n > 0 ? n : 1, sizeof *p->rules)) == NULL) {
        synth_mask_policy_free(p);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    int rc = parse_section(p, cols, "columns", 0, err);
    if (rc == 0)
        rc = parse_section(p, ents, "entities", 1, err);
    if (rc == 0 && p->nrules == 0)
        rc = POLICY_ERR("%s: the policy masks nothing (no \"columns\" or \"entities\" entries)", source);
    if (rc) {
        synth_mask_policy_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int synth_mask_policy_parse(synth_mask_policy **out, const char *text, const char *source, synth_err *err)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return POLICY_ERR("%s: line %d: malformed JSON: %s", source, je.line, je.text);
    int rc = policy_from_json(out, root, source, err);
    json_decref(root);
    return rc;
}

int synth_mask_policy_load(synth_mask_policy **out, const char *path, synth_err *err)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        if (je.line <= 0)
            return POLICY_ERR("%s: cannot read policy file: %s", path, je.text);
        return POLICY_ERR("%s: line %d: malformed JSON: %s", path, je.line, je.text);
    }
    int rc = policy_from_json(out, root, path, err);
    json_decref(root);
    return rc;
}

/* ---- keys ------------------------------------------------------------------------------------ */

void synth_mask_key_clear(synth_mask_key *key)
{
    OPENSSL_cleanse(key, sizeof *key);
}

static int hexval(int ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

int synth_mask_key_load(synth_mask_key *key, const char *key_file, synth_err *err)
{
    memset(key, 0, sizeof *key);
    if (key_file != NULL) {
        FILE *f = fopen(key_file, "rb");
        if (f == NULL)
            return synth_err_set(err, SYNTH_IO, "%s: cannot open key file: %s", key_file, strerror(errno));
        uint8_t buf[33];
        size_t n = fread(buf, 1, sizeof buf, f);
        int bad = ferror(f);
        fclose(f);
        if (bad) {
            OPENSSL_cleanse(buf, sizeof buf);
            return synth_err_set(err, SYNTH_IO, "%s: cannot read key file", key_file);
        }
        if (n != 16 && n != 24 && n != 32) {
            OPENSSL_cleanse(buf, sizeof buf);
            return synth_err_set(err, SYNTH_USAGE,
                                 "%s: a key file must hold exactly 16, 24 or 32 raw bytes (AES-128/192/256), "
                                 "this one holds %s%zu",
                                 key_file, n == sizeof buf ? "more than " : "", n == sizeof buf ? (size_t)32 : n);
        }
        memcpy(key->bytes, buf, n);
        key->len = n;
        OPENSSL_cleanse(buf, sizeof buf);
        return 0;
    }
    const char *hex = getenv(SYNTH_MASK_KEY_ENV);
    if (hex == NULL || hex[0] == '\0')
        return 0;
    size_t len = strlen(hex);
    if (len != 32 && len != 48 && len != 64)
        return synth_err_set(err, SYNTH_USAGE,
                             "$" SYNTH_MASK_KEY_ENV " must be 32, 48 or 64 hex digits (a 16-, 24- or 32-byte key), "
                             "it has %zu characters",
                             len);
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            synth_mask_key_clear(key);
            return synth_err_set(err, SYNTH_USAGE, "$" SYNTH_MASK_KEY_ENV " holds a character that is not a hex digit");
        }
        key->bytes[i] = (uint8_t)(hi * 16 + lo);
    }
    key->len = len / 2;
    return 0;
}

/* ---- HMAC-SHA256 with precomputed pads -------------------------------------------------------- */

typedef struct hmac_key {
    SHA256_CTX inner, outer;
} hmac_key;

static void hmac_setup(hmac_key *h, const uint8_t *key, size_t len)
{
    uint8_t pad[64];
    memset(pad, 0, sizeof pad);
    memcpy(pad, key, len);   /* len <= 32 < block size */
    for (int i = 0; i < 64; i++)
        pad[i] ^= 0x36;
    SHA256_Init(&h->inner);
    SHA256_Update(&h->inner, pad, 64);
    for (int i = 0; i < 64; i++)
        pad[i] ^= 0x36 ^ 0x5c;
    SHA256_Init(&h->outer);
    SHA256_Update(&h->outer, pad, 64);
    OPENSSL_cleanse(pad, sizeof pad);
}

static void hmac_run(const hmac_key *h, const void *msg, size_t len, uint8_t out[32])
{
    SHA256_CTX c = h->inner;
    SHA256_Update(&c, msg, len);
    SHA256_Final(out, &c);
    c = h->outer;
    SHA256_Update(&c, out, 32);
    SHA256_Final(out, &c);
}

/* ---- masker ------------------------------------------------------------------------------------ */

struct synth_masker {
    size_t ncols;
    const mask_rule **rule;   /* per column, NULL = kept */
    char **colname;           /* borrowed header names (for messages) */
    hmac_key hk_hash, hk_tok, hk_syn;
    synth_ff1 *ff1;
    int have_key;
};

void synth_masker_free(synth_masker *m)
{
    if (m == NULL)
        return;
    synth_ff1_free(m->ff1);
    synth_free(m->rule);
    synth_free(m->colname);
    OPENSSL_cleanse(m, sizeof *m);
    synth_free(m);
}

int synth_masker_masks(const synth_masker *m, size_t col)
{
    return col < m->ncols && m->rule[col] != NULL;
}

int synth_masker_new(synth_masker **out, const synth_mask_policy *p, const char *const *columns,
                     const synth_pii_entity *entities, size_t ncols, const synth_mask_key *key, synth_err *err)
{
    *out = NULL;
    /* every policy column must exist */
    for (size_t i = 0; i < p->nrules; i++) {
        const mask_rule *r = &p->rules[i];
        if (r->is_entity)
            continue;
        size_t c = 0;
        while (c < ncols && strcmp(columns[c], r->name) != 0)
            c++;
        if (c == ncols)
            return POLICY_ERR("%s: columns.%s: no column of that name in the input header", p->source, r->name);
    }
    synth_masker *m = synth_calloc(1, sizeof *m);
    if (m == NULL || (m->rule = synth_calloc(ncols > 0 ? ncols : 1, sizeof *m->rule)) == NULL ||
        (m->colname = synth_calloc(ncols > 0 ? ncols : 1, sizeof *m->colname)) == NULL) {
        synth_masker_free(m);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    m->ncols = ncols;
    for (size_t c = 0; c < ncols; c++) {
        m->colname[c] = (char *)columns[c];
        const mask_rule *hit = NULL;
        for (size_t i = 0; i < p->nrules && hit == NULL; i++) {
            if (!p->rules[i].is_entity && strcmp(p->rules[i].name, columns[c]) == 0)
                hit = &p->rules[i];
        }
        for (size_t i = 0; i < p->nrules && hit == NULL; i++) {
            const mask_rule *r = &p->rules[i];
            if (r->is_entity && ((entities != NULL && entities[c] == r->entity_key) ||
                                 strcasecmp(r->name, columns[c]) == 0))
                hit = r;
        }
        m->rule[c] = hit;
        if (hit != NULL && op_needs_key(hit) && (key == NULL || key->len == 0)) {
            int rc = synth_err_set(err, SYNTH_USAGE,
                                   "operator '%s' (column '%s') needs a key: give --key-file FILE (16, 24 or 32 raw "
                                   "bytes) or set $" SYNTH_MASK_KEY_ENV " (hex)",
                                   op_names[hit->op], columns[c]);
            synth_masker_free(m);
            return rc;
        }
    }
    if (key != NULL && key->len > 0) {
        if (key->len != 16 && key->len != 24 && key->len != 32) {
            synth_masker_free(m);
            return synth_err_set(err, SYNTH_USAGE, "mask key must be 16, 24 or 32 bytes");
        }
        m->have_key = 1;
        hmac_setup(&m->hk_hash, key->bytes, key->len);
        uint8_t sub[32];
        static const char tok_label[] = "synth-mask-v1 tokenize", syn_label[] = "synth-mask-v1 synthetic";
        hmac_run(&m->hk_hash, tok_label, sizeof tok_label - 1, sub);
        hmac_setup(&m->hk_tok, sub, 32);
        hmac_run(&m->hk_hash, syn_label, sizeof syn_label - 1, sub);
        hmac_setup(&m->hk_syn, sub, 32);
        OPENSSL_cleanse(sub, sizeof sub);
        int need_ff1 = 0;
        for (size_t c = 0; c < ncols; c++)
            need_ff1 |= m->rule[c] != NULL && m->rule[c]->op == OP_FPE;
        if (need_ff1) {
            int rc = synth_ff1_new(&m->ff1, key->bytes, key->len, 10, err);
            if (rc) {
                synth_masker_free(m);
                return rc;
            }
        }
    }
    *out = m;
    return 0;
}

size_t synth_masker_bound(const synth_masker *m, size_t col, size_t len)
{
    const mask_rule *r = col < m->ncols ? m->rule[col] : NULL;
    size_t need = len;
    if (r != NULL) {
        switch (r->op) {
        case OP_REDACT:
        case OP_REPLACE:
            need = r->value_len > len ? r->value_len : len;
            break;
        case OP_TOKENIZE:
            need = r->prefix_len + r->length > len ? r->prefix_len + r->length : len;
            break;
        case OP_HASH:
        case OP_SYNTHETIC:
            need = len > SYNTH_PII_TEXT_MAX ? len : SYNTH_PII_TEXT_MAX;
            break;
        default:
            break;
        }
    }
    return need + 1;
}

static const char hexdig[] = "0123456789abcdef";
static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static int is_cont(unsigned char ch)
{
    return (ch & 0xc0) == 0x80;
}

int synth_masker_cell(synth_masker *m, size_t col, const char *in, size_t len, uint64_t row, char *out,
                      size_t *outlen, synth_err *err)
{
    const mask_rule *r = col < m->ncols ? m->rule[col] : NULL;
    if (r == NULL || len == 0) {
        memcpy(out, in, len);
        out[len] = '\0';
        *outlen = len;
        return 0;
    }
    uint8_t mac[32];
    size_t n = 0;
    switch (r->op) {
    case OP_REDACT:
    case OP_REPLACE:
        memcpy(out, r->value, r->value_len);
        n = r->value_len;
        break;
    case OP_MASK: {
        size_t cps = 0;
        for (size_t i = 0; i < len; i++)
            cps += !is_cont((unsigned char)in[i]);
        size_t cp = 0;
        for (size_t i = 0; i < len;) {
            size_t j = i + 1;
            while (j < len && is_cont((unsigned char)in[j]))
                j++;
            if (cp < r->keep_first || cp + r->keep_last >= cps) {
                memcpy(out + n, in + i, j - i);
                n += j - i;
            } else {
                out[n++] = r->mask_char;
            }
            cp++;
            i = j;
        }
        break;
    }
    case OP_HASH:
        hmac_run(&m->hk_hash, in, len, mac);
        for (size_t i = 0; i < r->length; i++)
            out[i] = hexdig[(mac[i / 2] >> (i % 2 ? 0 : 4)) & 15];
        n = r->length;
        break;
    case OP_TOKENIZE: {
        hmac_run(&m->hk_tok, in, len, mac);
        memcpy(out, r->prefix, r->prefix_len);
        n = r->prefix_len;
        for (size_t i = 0; i < r->length; i++) {
            size_t bit = i * 5, byte = bit / 8, shift = bit % 8;
            unsigned w = ((unsigned)mac[byte] << 8) | (byte + 1 < 32 ? mac[byte + 1] : 0);
            out[n++] = b32[(w >> (11 - shift)) & 31];
        }
        break;
    }
    case OP_FPE: {
        uint16_t dig[SYNTH_FF1_MAX_LEN];
        size_t nd = 0;
        for (size_t i = 0; i < len; i++) {
            if (in[i] >= '0' && in[i] <= '9') {
                if (nd == SYNTH_FF1_MAX_LEN)
                    return synth_err_set(err, SYNTH_BAD_INPUT, "column '%s': fpe: value has more than %u digits",
                                         m->colname[col], SYNTH_FF1_MAX_LEN);
                dig[nd++] = (uint16_t)(in[i] - '0');
            }
        }
        if (nd < 6)
            return synth_err_set(err, SYNTH_BAD_INPUT,
                                 "column '%s': fpe: value has %zu digit%s, fewer than the 6 that FF1 needs "
                                 "(domain of at least 10^6 values, SP 800-38G Rev. 1)",
                                 m->colname[col], nd, nd == 1 ? "" : "s");
        int rc = synth_ff1_encrypt(m->ff1, dig, nd, r->tweak, r->tweak_len, dig, err);
        if (rc)
            return rc;
        size_t k = 0;
        for (size_t i = 0; i < len; i++)
            out[i] = (in[i] >= '0' && in[i] <= '9') ? (char)('0' + dig[k++]) : in[i];
        OPENSSL_cleanse(dig, nd * sizeof *dig);
        n = len;
        break;
    }
    case OP_SYNTHETIC: {
        uint64_t seed = r->seed, frow = row;
        uint32_t stream = (uint32_t)col;
        if (r->consistent) {
            SHA256_CTX c = m->hk_syn.inner;
            uint8_t e = (uint8_t)r->entity;
            SHA256_Update(&c, &e, 1);
            SHA256_Update(&c, in, len);
            SHA256_Final(mac, &c);
            c = m->hk_syn.outer;
            SHA256_Update(&c, mac, 32);
            SHA256_Final(mac, &c);
            seed = 0;
            for (int i = 0; i < 8; i++)
                seed = seed << 8 | mac[i];
            frow = 0;
            stream = 0;
        }
        char buf[SYNTH_PII_TEXT_MAX];
        n = synth_pii_fake(r->entity, seed, frow, stream, in, buf);
        if (n >= SYNTH_PII_TEXT_MAX)
            n = SYNTH_PII_TEXT_MAX - 1;
        memcpy(out, buf, n);
        break;
    }
    case OP_COUNT:
        break;
    }
    out[n] = '\0';
    *outlen = n;
    OPENSSL_cleanse(mac, sizeof mac);
    return 0;
}

/* ---- fast-path support (pii_mask_fast.h) ------------------------------------------------------ */

int synth__masker_is_fpe(const synth_masker *m, size_t col)
{
    return col < m->ncols && m->rule[col] != NULL && m->rule[col]->op == OP_FPE;
}

int synth__masker_fpe_many(synth_masker *m, size_t col, uint16_t *digits, size_t nd, size_t count, synth_err *err)
{
    const mask_rule *r = m->rule[col];
    return synth_ff1_encrypt_many(m->ff1, digits, nd, count, r->tweak, r->tweak_len, digits, err);
}

/* ---- CSV stream -------------------------------------------------------------------------------- */

typedef struct growbuf {
    char *p;
    size_t len, cap;
} growbuf;

static int gb_reserve(growbuf *b, size_t more)
{
    if (b->cap - b->len >= more)
        return 0;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    char *p = synth_realloc(b->p, cap);
    if (p == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

/* Append one field, quoted as needed (an empty lone field as ""). */
static int put_field(growbuf *b, const char *s, size_t len, char delim, int lone)
{
    if (gb_reserve(b, 2 * len + 4))
        return -1;
    if (len == 0 && lone) {
        b->p[b->len++] = '"';
        b->p[b->len++] = '"';
        return 0;
    }
    b->len += synth_csv_quote(b->p + b->len, s, len, delim);
    return 0;
}

#define FLUSH_BYTES (1u << 20)
#define MAX_WORKERS 8

/* The fast path with one masker per worker (m is the first); see pii_mask_fast.h. */
static int mask_fast(const char *in_path, const synth_mask_policy *p, const char *const *names, size_t ncols,
                     const synth_mask_key *key, synth_masker *m, const synth_csv_options *o, synth_output *out,
                     synth_mask_stats *fst, synth_err *err)
{
    int cpus = synth_cpu_count();
    size_t nw = cpus > MAX_WORKERS ? MAX_WORKERS : (size_t)cpus;
    synth_masker *ms[MAX_WORKERS] = {m};
    int rc = 0;
    for (size_t i = 1; i < nw && rc == 0; i++)
        rc = synth_masker_new(&ms[i], p, names, NULL, ncols, key, err);
    if (rc == 0)
        rc = synth__mask_csv_fast(in_path, ncols, ms, nw, o->delimiter, o->max_field_bytes, out, fst, err);
    for (size_t i = 1; i < nw; i++)
        synth_masker_free(ms[i]);
    return rc;
}

int synth_mask_csv(const char *in_path, const char *out_path, const synth_mask_policy *p,
                   const synth_mask_key *key, const synth_csv_options *opt, synth_mask_stats *stats,
                   synth_err *err)
{
    synth_csv_options o;
    if (opt != NULL)
        o = *opt;
    else
        synth_csv_options_init(&o);
    synth_mask_stats st;
    memset(&st, 0, sizeof st);
    synth_csv_reader *rd = NULL;
    synth_masker *m = NULL;
    synth_output *out = NULL;
    growbuf buf = {0};
    char *cell = NULL;
    size_t cell_cap = 0;
    const char **names = NULL;
    int rc = synth_csv_reader_open(&rd, in_path, &o, err);
    if (rc)
        goto done;
    size_t ncols = synth_csv_reader_ncols(rd);
    names = synth_calloc(ncols, sizeof *names);
    if (names == NULL) {
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
        goto done;
    }
    for (size_t c = 0; c < ncols; c++)
        names[c] = synth_csv_reader_column_name(rd, c);
    rc = synth_masker_new(&m, p, names, NULL, ncols, key, err);
    if (rc)
        goto done;
    for (size_t c = 0; c < ncols; c++)
        st.columns_masked += (size_t)synth_masker_masks(m, c);
    rc = synth_output_open(&out, out_path, err);
    if (rc)
        goto done;
    for (size_t c = 0; c < ncols; c++) {
        if ((c > 0 && gb_reserve(&buf, 1)) || (c > 0 && (buf.p[buf.len++] = o.delimiter, 0)) ||
            put_field(&buf, names[c], strlen(names[c]), o.delimiter, ncols == 1) || gb_reserve(&buf, 1)) {
            rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
            goto done;
        }
    }
    buf.p[buf.len++] = '\n';
    uint64_t skip = 0;   /* data rows the fast path has written */
    unsigned char dl = (unsigned char)o.delimiter;
    if (!synth__mask_forced_reader() && strcmp(in_path, "-") != 0 && !o.skip_bad_rows && dl != '"' &&
        dl != '\n' && dl != '\r' && dl != '\0' && dl < 0x80) {
        if ((rc = synth_output_write(out, buf.p, buf.len, err)))
            goto done;
        st.bytes_out += buf.len;
        buf.len = 0;
        synth_mask_stats fst;
        rc = mask_fast(in_path, p, names, ncols, key, m, &o, out, &fst, err);
        if (rc < 0)
            goto done;
        st.cells_masked += fst.cells_masked;
        st.bytes_out += fst.bytes_out;
        if (rc == 0) {
            st.rows = fst.rows;
            st.bytes_in = fst.bytes_in;
            rc = synth_output_commit(out, err);
            out = NULL;
            goto done;
        }
        skip = fst.rows;   /* fallback: the reader masks the rest and reports any error */
        rc = 0;
    }
    const synth_csv_chunk *ch;
    int more;
    while ((more = synth_csv_reader_next(rd, &ch, err)) > 0) {
        if (synth_signals_interrupted()) {
            rc = synth_err_set(err, SYNTH_INTERRUPTED, "interrupted");
            goto done;
        }
        size_t r0 = 0;
        if (ch->first_row < skip)
            r0 = skip - ch->first_row >= ch->nrows ? ch->nrows : (size_t)(skip - ch->first_row);
        for (size_t r = r0; r < ch->nrows; r++) {
            for (size_t c = 0; c < ncols; c++) {
                size_t len;
                const char *s = synth_csv_cell(ch, r, c, &len);
                if (c > 0) {
                    if (gb_reserve(&buf, 1)) {
                        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
                        goto done;
                    }
                    buf.p[buf.len++] = o.delimiter;
                }
                if (synth_masker_masks(m, c)) {
                    size_t need = synth_masker_bound(m, c, len);
                    if (need > cell_cap) {
                        char *nc = synth_realloc(cell, need);
                        if (nc == NULL) {
                            rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
                            goto done;
                        }
                        cell = nc;
                        cell_cap = need;
                    }
                    size_t olen;
                    rc = synth_masker_cell(m, c, s, len, ch->first_row + r, cell, &olen, err);
                    if (rc) {
                        synth_err_prefix(err, "%s: line %llu: ", in_path, (unsigned long long)ch->line[r]);
                        goto done;
                    }
                    s = cell;
                    len = olen;
                    st.cells_masked++;
                }
                if (put_field(&buf, s, len, o.delimiter, ncols == 1)) {
                    rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
                    goto done;
                }
            }
            if (gb_reserve(&buf, 1)) {
                rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
                goto done;
            }
            buf.p[buf.len++] = '\n';
            if (buf.len >= FLUSH_BYTES) {
                if ((rc = synth_output_write(out, buf.p, buf.len, err)))
                    goto done;
                st.bytes_out += buf.len;
                buf.len = 0;
            }
        }
        st.rows += ch->nrows;
    }
    if (more < 0) {
        rc = more;
        goto done;
    }
    if (buf.len > 0 && (rc = synth_output_write(out, buf.p, buf.len, err)))
        goto done;
    st.bytes_out += buf.len;
    st.bytes_in = synth_csv_reader_stats(rd)->bytes;
    rc = synth_output_commit(out, err);
    out = NULL;
done:
    synth_output_abort(out);
    synth_masker_free(m);
    synth_csv_reader_free(rd);
    synth_free(names);
    if (cell != NULL)
        OPENSSL_cleanse(cell, cell_cap);
    synth_free(cell);
    if (buf.p != NULL)
        OPENSSL_cleanse(buf.p, buf.cap);
    synth_free(buf.p);
    if (rc == 0 && stats != NULL)
        *stats = st;
    return rc;
}
