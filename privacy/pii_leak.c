/* pii_leak.c -- the PII leakage check: a bounded set of keyed hashes of the source's PII values,
 * looked up with every PII match of the output.  See pii_leak.h for the contract and the chance
 * rule; docs/PRIVACY.md ("Leakage check") for what is measured. */
#include "pii_leak.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "alloc.h"
#include "engine.h"

/* ---- SipHash-2-4 (Aumasson and Bernstein, 2012) -------------------------------------------------- */

static uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

static uint64_t load64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#define SIPROUND                                                                                           \
    do {                                                                                                   \
        v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);                                          \
        v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;                                                             \
        v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;                                                             \
        v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);                                          \
    } while (0)

uint64_t synth_pii_siphash(const unsigned char *key, const void *data, size_t len)
{
    const unsigned char *in = data;
    uint64_t k0 = load64(key), k1 = load64(key + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load64(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        b |= (uint64_t)in[full + i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- the set ------------------------------------------------------------------------------------- */

struct synth_pii_hashset {
    unsigned char key[SYNTH_PII_HASH_KEY_BYTES];
    uint64_t *h;        /* 0 = empty slot (a hash of 0 is stored as 1) */
    uint32_t *tag;
    size_t nslots;      /* power of two */
    size_t count, max_values;
    uint64_t dropped;
};

static int alloc_slots(synth_pii_hashset *hs, size_t nslots)
{
    hs->h = synth_calloc(nslots, sizeof *hs->h);
    hs->tag = synth_calloc(nslots, sizeof *hs->tag);
    if (hs->h == NULL || hs->tag == NULL) {
        synth_free(hs->h);
        synth_free(hs->tag);
        hs->h = NULL;
        hs->tag = NULL;
        return SYNTH_NOMEM;
    }
    hs->nslots = nslots;
    return 0;
}

int synth_pii_hashset_new(size_t max_values, const unsigned char *key, synth_pii_hashset **out, synth_err *err)
{
    *out = NULL;
    if (max_values == 0 || max_values > ((size_t)1 << 40))
        return synth_err_set(err, SYNTH_USAGE, "PII value set: the cap must be between 1 and 2^40 values");
    synth_pii_hashset *hs = synth_calloc(1, sizeof *hs);
    if (hs == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    hs->max_values = max_values;
    if (key != NULL) {
        memcpy(hs->key, key, sizeof hs->key);
    } else if (getrandom(hs->key, sizeof hs->key, 0) != (ssize_t)sizeof hs->key) {
        synth_free(hs);
        return synth_err_set(err, SYNTH_IO, "PII value set: no random key (getrandom failed)");
    }
    if (alloc_slots(hs, 1024)) {
        synth_free(hs);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    *out = hs;
    return 0;
}

void synth_pii_hashset_free(synth_pii_hashset *hs)
{
    if (hs == NULL)
        return;
    synth_free(hs->h);
    synth_free(hs->tag);
    synth_free(hs);
}

static size_t probe(const synth_pii_hashset *hs, uint64_t h)
{
    size_t mask = hs->nslots - 1;
    size_t i = (size_t)(h ^ (h >> 32)) & mask;
    while (hs->h[i] != 0 && hs->h[i] != h)
        i = (i + 1) & mask;
    return i;
}

static int grow(synth_pii_hashset *hs)
{
    synth_pii_hashset old = *hs;
    if (alloc_slots(hs, old.nslots * 2)) {
        hs->h = old.h;
        hs->tag = old.tag;
        hs->nslots = old.nslots;
        return SYNTH_NOMEM;
    }
    for (size_t i = 0; i < old.nslots; i++) {
        if (old.h[i] == 0)
            continue;
        size_t j = probe(hs, old.h[i]);
        hs->h[j] = old.h[i];
        hs->tag[j] = old.tag[i];
    }
    synth_free(old.h);
    synth_free(old.tag);
    return 0;
}

static uint64_t key_hash(const synth_pii_hashset *hs, const void *data, size_t len)
{
    uint64_t h = synth_pii_siphash(hs->key, data, len);
    return h ? h : 1;
}

int synth_pii_hashset_add(synth_pii_hashset *hs, const void *data, size_t len, uint32_t tag)
{
    uint64_t h = key_hash(hs, data, len);
    size_t i = probe(hs, h);
    if (hs->h[i] == h)
        return 0;
    if (hs->count >= hs->max_values) {
        hs->dropped++;
        return 2;
    }
    if ((hs->count + 1) * 2 > hs->nslots) {
        if (grow(hs))
            return SYNTH_NOMEM;
        i = probe(hs, h);
    }
    hs->h[i] = h;
    hs->tag[i] = tag;
    hs->count++;
    return 1;
}

uint32_t *synth_pii_hashset_find(const synth_pii_hashset *hs, const void *data, size_t len)
{
    uint64_t h = key_hash(hs, data, len);
    size_t i = probe(hs, h);
    return hs->h[i] == h ? &hs->tag[i] : NULL;
}

size_t synth_pii_hashset_count(const synth_pii_hashset *hs) { return hs ? hs->count : 0; }
uint64_t synth_pii_hashset_dropped(const synth_pii_hashset *hs) { return hs ? hs->dropped : 0; }

/* ---- normalisation --------------------------------------------------------------------------------- */

#define KEY_MAX 1024   /* longer matches (URLs) are keyed by their first KEY_MAX - 1 bytes */
#define CELL_MATCHES 64

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }
static int upper(int c) { return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c; }
static int alnum(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* key[0] = entity, then the value in a form that ignores what a copy may change: case, and for
 * digit formats the punctuation; IPv6 as its 16 bytes. */
static size_t make_key(synth_pii_entity e, const char *s, size_t len, unsigned char *key)
{
    size_t n = 0;
    key[n++] = (unsigned char)e;
    switch (e) {
    case SYNTH_PII_PHONE:
    case SYNTH_PII_SSN:
    case SYNTH_PII_CARD:
    case SYNTH_PII_IBAN:
    case SYNTH_PII_DATE_OF_BIRTH:
    case SYNTH_PII_POSTAL_CODE:
    case SYNTH_PII_MAC:
        for (size_t i = 0; i < len && n < KEY_MAX; i++)
            if (alnum((unsigned char)s[i]))
                key[n++] = (unsigned char)upper((unsigned char)s[i]);
        return n;
    case SYNTH_PII_IPV6: {
        char buf[64];
        struct in6_addr a;
        if (len < sizeof buf) {
            memcpy(buf, s, len);
            buf[len] = '\0';
            if (inet_pton(AF_INET6, buf, &a) == 1) {
                memcpy(key + n, &a, 16);
                return n + 16;
            }
        }
        break;
    }
    case SYNTH_PII_URL:
        if (len >= 8 && lower((unsigned char)s[0]) == 'h') {
            const char *p = memchr(s, ':', len < 6 ? len : 6);
            if (p != NULL && (size_t)(p - s) + 3 <= len && p[1] == '/' && p[2] == '/') {
                len -= (size_t)(p + 3 - s);
                s = p + 3;
            }
        }
        while (len > 0 && s[len - 1] == '/')
            len--;
        break;
    default:
        break;
    }
    int space = 0;
    for (size_t i = 0; i < len && n < KEY_MAX; i++) {
        int c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = 1;
            continue;
        }
        if (space && n > 1 && n < KEY_MAX)
            key[n++] = ' ';
        space = 0;
        if (n < KEY_MAX)
            key[n++] = (unsigned char)lower(c);
    }
    return n;
}

/* ---- the checker ------------------------------------------------------------------------------------ */

#define TAG_ENTITY 0xffu
#define TAG_IN_DOMAIN 0x100u
#define TAG_FOUND 0x200u

enum { OUT_DOMAIN = 0, IN_DOMAIN = 1 };

/* One output column's counts.  A column is only ever scanned by one thread at a time, in row
 * order, so its first example is deterministic. */
typedef struct column_acc {
    char *name;
    uint64_t cells[SYNTH_PII_ENTITY_COUNT][2];
    char example[SYNTH_PII_ENTITY_COUNT][2][SYNTH_PII_MASK_MAX];
} column_acc;

/* What one scanning thread counts (summed at the end). */
typedef struct scan_acc {
    uint64_t out_values[SYNTH_PII_ENTITY_COUNT];
    uint64_t found[SYNTH_PII_ENTITY_COUNT][2];      /* distinct source values seen in the output */
    uint64_t cells[SYNTH_PII_ENTITY_COUNT][2];      /* output cells holding one (per entity) */
    uint64_t cells_scanned;
    synth_pii_match m[CELL_MATCHES];
    unsigned char key[KEY_MAX];
} scan_acc;

struct synth_pii_leak {
    synth_pii_leak_options opt;
    const synth_pii_names *names;
    synth_pii_hashset *set;
    uint64_t src_values[SYNTH_PII_ENTITY_COUNT][2];
    double inv_domain[SYNTH_PII_ENTITY_COUNT];      /* sum of 1/D over in-domain source values */
    scan_acc acc;                                   /* totals (and the single-thread scanner's) */
    size_t ncols;
    column_acc *cols;
};

void synth_pii_leak_options_init(synth_pii_leak_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->max_values = SYNTH_PII_LEAK_MAX_VALUES;
    opt->chance_threshold = 0.01;
}

int synth_pii_leak_new(const synth_pii_leak_options *opt, const synth_pii_names *names, synth_pii_leak **out,
                       synth_err *err)
{
    *out = NULL;
    synth_pii_leak *lk = synth_calloc(1, sizeof *lk);
    if (lk == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    if (opt != NULL)
        lk->opt = *opt;
    else
        synth_pii_leak_options_init(&lk->opt);
    lk->names = names;
    int rc = synth_pii_hashset_new(lk->opt.max_values, lk->opt.key, &lk->set, err);
    if (rc) {
        synth_free(lk);
        return rc;
    }
    *out = lk;
    return 0;
}

static void free_cols(synth_pii_leak *lk)
{
    for (size_t c = 0; lk->cols != NULL && c < lk->ncols; c++)
        synth_free(lk->cols[c].name);
    synth_free(lk->cols);
    lk->cols = NULL;
    lk->ncols = 0;
}

void synth_pii_leak_free(synth_pii_leak *lk)
{
    if (lk == NULL)
        return;
    free_cols(lk);
    synth_pii_hashset_free(lk->set);
    synth_free(lk);
}

int synth_pii_leak_add_source(synth_pii_leak *lk, const char *cell, size_t len, const char *column_name,
                              synth_err *err)
{
    scan_acc *a = &lk->acc;
    size_t n = synth_pii_find_ex(cell, len, column_name, lk->names, a->m, CELL_MATCHES);
    for (size_t k = 0; k < n; k++) {
        synth_pii_entity e = a->m[k].entity;
        const char *v = cell + a->m[k].start;
        size_t kl = make_key(e, v, a->m[k].len, a->key);
        double dom = synth_pii_fake_domain(e, v, a->m[k].len);
        uint32_t tag = (uint32_t)e | (dom > 0 ? TAG_IN_DOMAIN : 0);
        int rc = synth_pii_hashset_add(lk->set, a->key, kl, tag);
        if (rc < 0)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory (PII value set at %zu values)",
                                 synth_pii_hashset_count(lk->set));
        if (rc == 1) {
            lk->src_values[e][dom > 0]++;
            if (dom > 0)
                lk->inv_domain[e] += 1.0 / dom;
        }
    }
    return 0;
}

int synth_pii_leak_set_output_columns(synth_pii_leak *lk, size_t ncols, const char *const *names, synth_err *err)
{
    free_cols(lk);
    lk->cols = synth_calloc(ncols ? ncols : 1, sizeof *lk->cols);
    if (lk->cols == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    lk->ncols = ncols;
    for (size_t c = 0; c < ncols; c++)
        if ((lk->cols[c].name = synth_strdup(names[c] ? names[c] : "")) == NULL) {
            free_cols(lk);
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        }
    return 0;
}

/* Scan one output cell into a (this thread's counts) and ca (the column's).  The set is only read,
 * except the found bit, which is set atomically so that each value is counted by one thread. */
static void scan_cell(const synth_pii_leak *lk, scan_acc *a, column_acc *ca, const char *cell, size_t len)
{
    a->cells_scanned++;
    size_t n = synth_pii_find_ex(cell, len, ca->name, lk->names, a->m, CELL_MATCHES);
    unsigned seen[SYNTH_PII_ENTITY_COUNT] = {0};   /* bit d: this cell already counted for (e, d) */
    for (size_t k = 0; k < n; k++) {
        synth_pii_entity e = a->m[k].entity;
        const char *v = cell + a->m[k].start;
        a->out_values[e]++;
        size_t kl = make_key(e, v, a->m[k].len, a->key);
        uint32_t *tag = synth_pii_hashset_find(lk->set, a->key, kl);
        if (tag == NULL)
            continue;
        uint32_t old = __atomic_fetch_or(tag, TAG_FOUND, __ATOMIC_RELAXED);
        int d = (old & TAG_IN_DOMAIN) ? IN_DOMAIN : OUT_DOMAIN;
        if (!(old & TAG_FOUND))
            a->found[e][d]++;
        if (ca->example[e][d][0] == '\0')
            synth_pii_mask(e, v, a->m[k].len, ca->example[e][d]);
        if (!(seen[e] & (1u << d))) {
            seen[e] |= 1u << d;
            a->cells[e][d]++;
            ca->cells[e][d]++;
        }
    }
}

void synth_pii_leak_scan_output(synth_pii_leak *lk, size_t col, const char *cell, size_t len)
{
    if (col < lk->ncols)
        scan_cell(lk, &lk->acc, &lk->cols[col], cell, len);
}

static void acc_add(scan_acc *to, const scan_acc *from)
{
    for (size_t e = 0; e < SYNTH_PII_ENTITY_COUNT; e++) {
        to->out_values[e] += from->out_values[e];
        for (int d = 0; d < 2; d++) {
            to->found[e][d] += from->found[e][d];
            to->cells[e][d] += from->cells[e][d];
        }
    }
    to->cells_scanned += from->cells_scanned;
}

static double expected_chance(const synth_pii_leak *lk, size_t e)
{
    return (double)lk->acc.out_values[e] * lk->inv_domain[e];
}

/* Do in-domain hits of e count as chance? */
static int chance_possible(const synth_pii_leak *lk, size_t e)
{
    return lk->src_values[e][IN_DOMAIN] > 0 && expected_chance(lk, e) >= lk->opt.chance_threshold;
}

void synth_pii_leak_totals(const synth_pii_leak *lk, uint64_t *leaked_values, uint64_t *leaked_cells)
{
    uint64_t v = 0, c = 0;
    const scan_acc *a = &lk->acc;
    for (size_t e = 0; e < SYNTH_PII_ENTITY_COUNT; e++) {
        v += a->found[e][OUT_DOMAIN];
        c += a->cells[e][OUT_DOMAIN];
        if (!chance_possible(lk, e)) {
            v += a->found[e][IN_DOMAIN];
            c += a->cells[e][IN_DOMAIN];
        }
    }
    if (leaked_values != NULL)
        *leaked_values = v;
    if (leaked_cells != NULL)
        *leaked_cells = c;
}

static const char k_rule[] =
    "a source PII value that no synth fake can equal is a leak whenever it appears in the output; "
    "for source values inside the fake domain of their entity, expected_chance_hits = output values "
    "of the entity x sum of 1/domain size; when that is >= chance_threshold their hits are reported "
    "as chance_* (expected by chance, not leaks), otherwise they are leaks too";

/* The entity's example: from the first column (in file order) with a leak, else with a chance hit. */
static const char *entity_example(const synth_pii_leak *lk, size_t e)
{
    for (int d = 0; d < 2; d++)
        for (size_t c = 0; c < lk->ncols; c++)
            if (lk->cols[c].example[e][d][0] != '\0')
                return lk->cols[c].example[e][d];
    return NULL;
}

json_t *synth_pii_leak_report(const synth_pii_leak *lk)
{
    const scan_acc *a = &lk->acc;
    uint64_t lv = 0, lc = 0, cv = 0, cc = 0, src = 0;
    json_t *ents = json_array(), *cols = json_array(), *j = json_object();
    if (ents == NULL || cols == NULL || j == NULL)
        goto nomem;
    for (size_t e = 0; e < SYNTH_PII_ENTITY_COUNT; e++) {
        uint64_t s = lk->src_values[e][0] + lk->src_values[e][1];
        src += s;
        if (s == 0 && a->out_values[e] == 0)
            continue;
        int chance = chance_possible(lk, e);
        uint64_t ev = a->found[e][OUT_DOMAIN] + (chance ? 0 : a->found[e][IN_DOMAIN]);
        uint64_t ec = a->cells[e][OUT_DOMAIN] + (chance ? 0 : a->cells[e][IN_DOMAIN]);
        uint64_t xv = chance ? a->found[e][IN_DOMAIN] : 0, xc = chance ? a->cells[e][IN_DOMAIN] : 0;
        lv += ev, lc += ec, cv += xv, cc += xc;
        const char *ex = entity_example(lk, e);
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:f, s:b, s:I, s:I, s:I, s:I, s:s?}", "entity",
                              synth_pii_entity_name((synth_pii_entity)e), "source_values", (json_int_t)s,
                              "source_values_in_fake_domain", (json_int_t)lk->src_values[e][IN_DOMAIN],
                              "output_values", (json_int_t)a->out_values[e], "expected_chance_hits",
                              expected_chance(lk, e), "chance_possible", chance, "leaked_values", (json_int_t)ev,
                              "leaked_cells", (json_int_t)ec, "chance_values", (json_int_t)xv, "chance_cells",
                              (json_int_t)xc, "example", ex);
        if (o == NULL || json_array_append_new(ents, o))
            goto nomem;
    }
    for (size_t c = 0; c < lk->ncols; c++) {
        const column_acc *ca = &lk->cols[c];
        for (size_t e = 0; e < SYNTH_PII_ENTITY_COUNT; e++) {
            if (ca->cells[e][0] + ca->cells[e][1] == 0)
                continue;
            int chance = chance_possible(lk, e);
            uint64_t ec = ca->cells[e][OUT_DOMAIN] + (chance ? 0 : ca->cells[e][IN_DOMAIN]);
            uint64_t xc = chance ? ca->cells[e][IN_DOMAIN] : 0;
            const char *ex = ca->example[e][OUT_DOMAIN][0] ? ca->example[e][OUT_DOMAIN] : ca->example[e][IN_DOMAIN];
            json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s}", "column", ca->name, "entity",
                                  synth_pii_entity_name((synth_pii_entity)e), "leaked_cells", (json_int_t)ec,
                                  "chance_cells", (json_int_t)xc, "example", ex);
            if (o == NULL || json_array_append_new(cols, o))
                goto nomem;
        }
    }
    uint64_t dropped = synth_pii_hashset_dropped(lk->set);
    if (json_object_set_new(j, "passed", json_boolean(lv == 0)) ||
        json_object_set_new(j, "leaked_values", json_integer((json_int_t)lv)) ||
        json_object_set_new(j, "leaked_cells", json_integer((json_int_t)lc)) ||
        json_object_set_new(j, "chance_values", json_integer((json_int_t)cv)) ||
        json_object_set_new(j, "chance_cells", json_integer((json_int_t)cc)) ||
        json_object_set_new(j, "source_values", json_integer((json_int_t)src)) ||
        json_object_set_new(j, "source_values_dropped", json_integer((json_int_t)dropped)) ||
        json_object_set_new(j, "max_values", json_integer((json_int_t)lk->opt.max_values)) ||
        json_object_set_new(j, "complete", json_boolean(dropped == 0)) ||
        json_object_set_new(j, "output_cells_scanned", json_integer((json_int_t)a->cells_scanned)) ||
        json_object_set_new(j, "chance_threshold", json_real(lk->opt.chance_threshold)) ||
        json_object_set_new(j, "hash", json_string("SipHash-2-4, 64-bit, random key per run")) ||
        json_object_set_new(j, "rule", json_string(k_rule)))
        goto nomem;
    json_object_set_new(j, "entities", ents);
    json_object_set_new(j, "columns", cols);
    return j;
nomem:
    json_decref(ents);
    json_decref(cols);
    json_decref(j);
    return NULL;
}

/* ---- over CSV files ---------------------------------------------------------------------------------- */

static int source_pass(synth_pii_leak *lk, const char *path, const synth_csv_options *csv, uint64_t *rows,
                       synth_err *err)
{
    synth_csv_reader *rd = NULL;
    int rc = synth_csv_reader_open(&rd, path, csv, err);
    if (rc)
        return rc;
    size_t ncols = synth_csv_reader_ncols(rd);
    const synth_csv_chunk *ch = NULL;
    while ((rc = synth_csv_reader_next(rd, &ch, err)) == 1) {
        for (size_t c = 0; c < ncols && rc == 1; c++) {
            const char *name = synth_csv_reader_column_name(rd, c);
            for (size_t r = 0; r < ch->nrows; r++) {
                size_t len;
                const char *cell = synth_csv_cell(ch, r, c, &len);
                if (len > 0 && synth_pii_leak_add_source(lk, cell, len, name, err)) {
                    rc = SYNTH_NOMEM;
                    break;
                }
            }
        }
        if (rc != 1)
            break;
        *rows += ch->nrows;
    }
    synth_csv_reader_free(rd);
    return rc < 0 ? rc : 0;
}

#define MAX_SCAN_THREADS 16

typedef struct scan_job {
    synth_pii_leak *lk;
    const synth_csv_chunk *ch;
    size_t first, step;   /* columns first, first + step, ... */
    scan_acc acc;
} scan_job;

static void *scan_columns(void *arg)
{
    scan_job *j = arg;
    for (size_t c = j->first; c < j->lk->ncols; c += j->step)
        for (size_t r = 0; r < j->ch->nrows; r++) {
            size_t len;
            const char *cell = synth_csv_cell(j->ch, r, c, &len);
            if (len > 0)
                scan_cell(j->lk, &j->acc, &j->lk->cols[c], cell, len);
        }
    return NULL;
}

/* Scan one chunk with up to nthreads threads, each owning a fixed set of columns. */
static void scan_chunk(synth_pii_leak *lk, const synth_csv_chunk *ch, scan_job *jobs, size_t nthreads)
{
    pthread_t tid[MAX_SCAN_THREADS];
    int started[MAX_SCAN_THREADS] = {0};
    for (size_t t = 0; t < nthreads; t++) {
        jobs[t].lk = lk;
        jobs[t].ch = ch;
        jobs[t].first = t;
        jobs[t].step = nthreads;
        if (t > 0)
            started[t] = pthread_create(&tid[t], NULL, scan_columns, &jobs[t]) == 0;
    }
    scan_columns(&jobs[0]);
    for (size_t t = 1; t < nthreads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            scan_columns(&jobs[t]);   /* no thread: do its columns here */
    }
}

static int output_pass(synth_pii_leak *lk, const char *path, const synth_csv_options *csv, uint64_t *rows,
                       synth_err *err)
{
    synth_csv_reader *rd = NULL;
    int rc = synth_csv_reader_open(&rd, path, csv, err);
    if (rc)
        return rc;
    size_t ncols = synth_csv_reader_ncols(rd);
    const char **names = synth_calloc(ncols ? ncols : 1, sizeof *names);
    if (names == NULL) {
        synth_csv_reader_free(rd);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    for (size_t c = 0; c < ncols; c++)
        names[c] = synth_csv_reader_column_name(rd, c);
    rc = synth_pii_leak_set_output_columns(lk, ncols, names, err);
    synth_free(names);
    size_t nthreads = lk->opt.threads > 0 ? (size_t)lk->opt.threads : (size_t)synth_cpu_count();
    if (nthreads > ncols)
        nthreads = ncols;
    if (nthreads > MAX_SCAN_THREADS)
        nthreads = MAX_SCAN_THREADS;
    if (nthreads < 1)
        nthreads = 1;
    scan_job *jobs = rc == 0 ? synth_calloc(nthreads, sizeof *jobs) : NULL;
    if (rc == 0 && jobs == NULL)
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
    const synth_csv_chunk *ch = NULL;
    while (rc == 0 && (rc = synth_csv_reader_next(rd, &ch, err)) == 1) {
        scan_chunk(lk, ch, jobs, nthreads);
        *rows += ch->nrows;
        rc = 0;
    }
    for (size_t t = 0; jobs != NULL && t < nthreads; t++)
        acc_add(&lk->acc, &jobs[t].acc);
    synth_free(jobs);
    synth_csv_reader_free(rd);
    return rc < 0 ? rc : 0;
}

int synth_pii_leak_check_csv(const char *source, const char *output, const synth_csv_options *csv,
                             const synth_pii_leak_options *opt, json_t **report, uint64_t *leaked, synth_err *err)
{
    *report = NULL;
    synth_pii_names *names = NULL;
    synth_pii_leak *lk = NULL;
    uint64_t src_rows = 0, out_rows = 0;
    int rc = synth_pii_names_load_default(&names, NULL, 0, err);
    if (rc == 0)
        rc = synth_pii_leak_new(opt, names, &lk, err);
    if (rc == 0)
        rc = source_pass(lk, source, csv, &src_rows, err);
    /* A source without a single PII value cannot leak one: the output pass would find nothing. */
    int scan_output = synth_pii_hashset_count(lk->set) > 0 || synth_pii_hashset_dropped(lk->set) > 0;
    if (rc == 0 && scan_output)
        rc = output_pass(lk, output, csv, &out_rows, err);
    if (rc == 0) {
        json_t *j = synth_pii_leak_report(lk);
        if (j == NULL || json_object_set_new(j, "output_scanned", json_boolean(scan_output)) ||
            json_object_set_new(j, "source", json_string(source)) ||
            json_object_set_new(j, "output", json_string(output)) ||
            json_object_set_new(j, "source_rows", json_integer((json_int_t)src_rows)) ||
            json_object_set_new(j, "output_rows", json_integer((json_int_t)out_rows))) {
            json_decref(j);
            rc = synth_err_set(err, SYNTH_NOMEM, "out of memory building the leakage report");
        } else {
            *report = j;
            if (leaked != NULL)
                synth_pii_leak_totals(lk, leaked, NULL);
        }
    }
    synth_pii_leak_free(lk);
    synth_pii_names_free(names);
    return rc;
}
