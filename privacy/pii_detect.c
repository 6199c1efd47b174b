/* pii_detect.c -- PII recognizers (patterns + checksums + column-name context), masking, and the
 * column-level CSV scan.  See pii_detect.h for the contract and the decision thresholds.
 *
 * Recognizers run in a fixed priority order over the whole cell; a candidate that overlaps an
 * accepted match is dropped, so "https://x.com/?u=a@b.com" is one URL and an email's digits are
 * never also a phone.  Everything is ASCII-only and never reads outside s[0..len). */
#include "pii_detect.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

/* ---- character classes (ASCII only, locale-independent) ------------------------------------------------ */

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_alpha(int c) { return is_upper(c) || is_lower(c); }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static int is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int to_lower(int c) { return is_upper(c) ? c - 'A' + 'a' : c; }

static const char *const k_entity_names[] = {
#define SYNTH__PII_NAME(name, text) text,
    SYNTH_PII_ENTITIES(SYNTH__PII_NAME)
#undef SYNTH__PII_NAME
};

static const char *entity_name(synth_pii_entity e)
{
    return (unsigned)e < SYNTH_PII_ENTITY_COUNT ? k_entity_names[e] : "unknown";
}

/* ---- name dictionary ----------------------------------------------------------------------------------- */

struct synth_pii_names {
    char *text;       /* all words, NUL-separated */
    size_t *slots;    /* open addressing: offset+1 into text, 0 = empty */
    size_t nslots;    /* power of two */
    size_t count;
};

static uint64_t hash_word(const char *w, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        if (w[i] == '\'')
            continue;
        h ^= (unsigned char)to_lower((unsigned char)w[i]);
        h *= 1099511628211ull;
    }
    return h;
}

/* Compare a dictionary word (lowercase, NUL-terminated) with w[0..len) ignoring case and apostrophes. */
static int word_equal(const char *dict, const char *w, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (w[i] == '\'')
            continue;
        if (dict[k] == '\0' || dict[k] != to_lower((unsigned char)w[i]))
            return 0;
        k++;
    }
    return dict[k] == '\0';
}

int synth_pii_names_contains(const synth_pii_names *names, const char *word, size_t len)
{
    if (names == NULL || len == 0 || names->count == 0)
        return 0;
    size_t mask = names->nslots - 1;
    for (size_t i = (size_t)hash_word(word, len) & mask;; i = (i + 1) & mask) {
        size_t v = names->slots[i];
        if (v == 0)
            return 0;
        if (word_equal(names->text + v - 1, word, len))
            return 1;
    }
}

size_t synth_pii_names_count(const synth_pii_names *names) { return names ? names->count : 0; }

void synth_pii_names_free(synth_pii_names *names)
{
    if (names == NULL)
        return;
    synth_free(names->text);
    synth_free(names->slots);
    synth_free(names);
}

int synth_pii_names_load(const char *path, synth_pii_names **out, synth_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return synth_err_set(err, SYNTH_IO, "%s: cannot open name dictionary", path);
    size_t cap = 8192, n = 0;
    char *buf = synth_malloc(cap);
    if (buf == NULL) {
        fclose(f);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    for (;;) {
        if (cap - n < 4096) {
            if (cap > ((size_t)64 << 20)) {
                synth_free(buf);
                fclose(f);
                return synth_err_set(err, SYNTH_BAD_INPUT, "%s: name dictionary over 64 MiB", path);
            }
            char *nb = synth_realloc(buf, cap * 2);
            if (nb == NULL) {
                synth_free(buf);
                fclose(f);
                return synth_err_set(err, SYNTH_NOMEM, "out of memory");
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        synth_free(buf);
        return synth_err_set(err, SYNTH_IO, "%s: read error", path);
    }
    /* Normalise in place: each kept line becomes a lowercase NUL-terminated word. */
    size_t w = 0, words = 0;
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && buf[e] != '\n')
            e++;
        size_t a = i, b = e;
        while (a < b && is_space((unsigned char)buf[a]))
            a++;
        while (b > a && is_space((unsigned char)buf[b - 1]))
            b--;
        if (b > a && buf[a] != '#') {
            for (size_t k = a; k < b; k++)
                if (buf[k] != '\'')
                    buf[w++] = (char)to_lower((unsigned char)buf[k]);
            buf[w++] = '\0';
            words++;
        }
        i = e + 1;
    }
    synth_pii_names *nm = synth_calloc(1, sizeof *nm);
    size_t nslots = 16;
    while (nslots < words * 2 + 2)
        nslots *= 2;
    size_t *slots = nm ? synth_calloc(nslots, sizeof *slots) : NULL;
    if (slots == NULL) {
        synth_free(nm);
        synth_free(buf);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    nm->text = buf;
    nm->slots = slots;
    nm->nslots = nslots;
    for (size_t off = 0; off < w;) {
        size_t l = strlen(buf + off);
        if (!synth_pii_names_contains(nm, buf + off, l)) {
            size_t i = (size_t)hash_word(buf + off, l) & (nslots - 1);
            while (slots[i] != 0)
                i = (i + 1) & (nslots - 1);
            slots[i] = off + 1;
            nm->count++;
        }
        off += l + 1;
    }
    *out = nm;
    return 0;
}

static int try_names_file(const char *dir, const char *sub, char *path, size_t size)
{
    int n = snprintf(path, size, "%s%s/names.txt", dir, sub);
    return n > 0 && (size_t)n < size && access(path, R_OK) == 0;
}

int synth_pii_names_load_default(synth_pii_names **out, char *found, size_t found_size, synth_err *err)
{
    *out = NULL;
    char path[4096];
    int ok = 0;
    const char *env = getenv("SYNTH_DATA_DIR");
    if (env != NULL && *env != '\0')
        ok = try_names_file(env, "", path, sizeof path);
    if (!ok) {
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash != NULL) {
                *slash = '\0';
                ok = try_names_file(exe, "/../datasets", path, sizeof path);
                if (!ok)  /* build/tests/x and build/san/tests/x live deeper than bin/synth */
                    ok = try_names_file(exe, "/../../datasets", path, sizeof path);
                if (!ok)
                    ok = try_names_file(exe, "/../../../datasets", path, sizeof path);
            }
        }
    }
    if (!ok)
        ok = try_names_file("datasets", "", path, sizeof path);
    if (!ok)
        return 0;
    int rc = synth_pii_names_load(path, out, err);
    if (rc == 0 && found != NULL && found_size > 0)
        snprintf(found, found_size, "%s", path);
    return rc;
}

/* ---- column-name hints ---------------------------------------------------------------------------------- */

/* Does the normalised name (lowercase alnum words joined by '_', with '_' at both ends) hold the
 * word sequence w ("_zip_") or, for w without underscores at the ends, the substring? */
static int has(const char *norm, const char *w) { return strstr(norm, w) != NULL; }

unsigned synth_pii_column_hints(const char *column_name)
{
    if (column_name == NULL)
        return 0;
    char norm[136];
    size_t n = 0;
    norm[n++] = '_';
    int prev_lower = 0;
    for (const char *p = column_name; *p != '\0' && n < sizeof norm - 3; p++) {
        int c = (unsigned char)*p;
        if (is_upper(c) && prev_lower && norm[n - 1] != '_')  /* camelCase -> camel_case */
            norm[n++] = '_';
        if (is_alnum(c)) {
            norm[n++] = (char)to_lower(c);
        } else if (norm[n - 1] != '_') {
            norm[n++] = '_';
        }
        prev_lower = is_lower(c) || is_digit(c);
    }
    if (norm[n - 1] != '_')
        norm[n++] = '_';
    norm[n] = '\0';
    unsigned h = 0;
#define HINT(E) (h |= 1u << SYNTH_PII_##E)
    if (has(norm, "mail"))
        HINT(EMAIL);
    if (has(norm, "phone") || has(norm, "_tel_") || has(norm, "telephone") || has(norm, "mobile") ||
        has(norm, "_cell_") || has(norm, "_fax_") || has(norm, "msisdn"))
        HINT(PHONE);
    if (has(norm, "ssn") || has(norm, "social_security") || has(norm, "_sin_") || has(norm, "tax_id") ||
        has(norm, "_tin_"))
        HINT(SSN);
    if (has(norm, "card") || has(norm, "_cc_") || has(norm, "_pan_") || has(norm, "credit"))
        HINT(CARD);
    if (has(norm, "iban") || has(norm, "bank_account"))
        HINT(IBAN);
    if (has(norm, "_ip_") || has(norm, "ipv4") || has(norm, "ip_addr") || has(norm, "ipaddr") ||
        has(norm, "_ip"))
        h |= (1u << SYNTH_PII_IPV4) | (1u << SYNTH_PII_IPV6);
    if (has(norm, "ipv6"))
        HINT(IPV6);
    if (has(norm, "_mac_") || has(norm, "mac_addr") || has(norm, "macaddr"))
        HINT(MAC);
    if (has(norm, "url") || has(norm, "website") || has(norm, "homepage") || has(norm, "_link_") ||
        has(norm, "_web_"))
        HINT(URL);
    if (has(norm, "_dob_") || has(norm, "birth") || has(norm, "_born_"))
        HINT(DATE_OF_BIRTH);
    if (has(norm, "_name_") || has(norm, "firstname") || has(norm, "lastname") || has(norm, "surname") ||
        has(norm, "fullname") || has(norm, "forename") || has(norm, "given_name") || has(norm, "family_name") ||
        has(norm, "_customer_") || has(norm, "_person_") || has(norm, "_contact_") || has(norm, "username") ||
        has(norm, "_patient_"))
        HINT(PERSON);
    /* "product_name", "file_name", "company_name", ... are not persons. */
    if (has(norm, "product") || has(norm, "file") || has(norm, "company") || has(norm, "_item") ||
        has(norm, "host") || has(norm, "_city") || has(norm, "street") || has(norm, "_brand") ||
        has(norm, "_category") || has(norm, "_country") || has(norm, "_domain") || has(norm, "_column") ||
        has(norm, "_table") || has(norm, "_field") || has(norm, "_event") || has(norm, "_app"))
        h &= ~(1u << SYNTH_PII_PERSON);
    if (has(norm, "_zip") || has(norm, "postal") || has(norm, "postcode") || has(norm, "post_code") ||
        has(norm, "zipcode"))
        HINT(POSTAL_CODE);
#undef HINT
    return h;
}

/* ---- match collection ------------------------------------------------------------------------------------ */

typedef struct scan {
    const char *s;
    size_t len;
    unsigned hints;
    const synth_pii_names *names;
    synth_pii_match *out;
    size_t n, max;
} scan;

static double with_hint(const scan *sc, synth_pii_entity e, double score)
{
    if (sc->hints & (1u << e))
        score += 0.15;
    return score > 1.0 ? 1.0 : score;
}

/* Accept [start, start+len) unless it overlaps an accepted match or out is full.  Returns 1 if added. */
static int add(scan *sc, synth_pii_entity e, size_t start, size_t len, double score)
{
    if (len == 0 || sc->n >= sc->max)
        return 0;
    for (size_t i = 0; i < sc->n; i++) {
        const synth_pii_match *m = &sc->out[i];
        if (start < m->start + m->len && m->start < start + len)
            return 0;
    }
    synth_pii_match *m = &sc->out[sc->n++];
    m->entity = e;
    m->start = start;
    m->len = len;
    m->score = with_hint(sc, e, score);
    return 1;
}

static int at(const scan *sc, size_t i) { return i < sc->len ? (unsigned char)sc->s[i] : 0; }

/* Word boundaries that also keep joined tokens ("ORD-2024-0001", "v1.2.3.4b") whole. */
static int left_ok(const scan *sc, size_t i)
{
    if (i == 0)
        return 1;
    int p = at(sc, i - 1);
    if (is_alnum(p))
        return 0;
    if ((p == '-' || p == '.' || p == '/' || p == '_' || p == ':') && i >= 2 && is_alnum(at(sc, i - 2)))
        return 0;
    return 1;
}

static int right_ok(const scan *sc, size_t j)
{
    if (j >= sc->len)
        return 1;
    int c = at(sc, j);
    if (is_alnum(c))
        return 0;
    if ((c == '-' || c == '/' || c == '_' || c == '@') && is_alnum(at(sc, j + 1)))
        return 0;
    if ((c == '.' || c == ':') && is_digit(at(sc, j + 1)))
        return 0;
    return 1;
}

/* ---- email and URL --------------------------------------------------------------------------------------- */

static int local_char(int c) { return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }

/* Domain [a, b) valid: >= 2 labels of [A-Za-z0-9-] not starting/ending with '-', TLD >= 2 letters. */
static int domain_ok(const char *s, size_t a, size_t b)
{
    size_t labels = 0, lab_start = a;
    for (size_t i = a; i <= b; i++) {
        if (i == b || s[i] == '.') {
            size_t l = i - lab_start;
            if (l == 0 || l > 63 || s[lab_start] == '-' || s[i - 1] == '-')
                return 0;
            labels++;
            if (i == b) {
                if (l < 2)
                    return 0;
                for (size_t k = lab_start; k < b; k++)
                    if (!is_alpha((unsigned char)s[k]))
                        return 0;
            }
            lab_start = i + 1;
        } else if (!is_alnum((unsigned char)s[i]) && s[i] != '-') {
            return 0;
        }
    }
    return labels >= 2;
}

static int prefix_ci(const scan *sc, size_t i, const char *p)
{
    for (size_t k = 0; p[k] != '\0'; k++)
        if (to_lower(at(sc, i + k)) != p[k])
            return 0;
    return 1;
}

static void find_urls(scan *sc)
{
    for (size_t i = 0; i < sc->len; i++) {
        size_t h;
        if (prefix_ci(sc, i, "https://"))
            h = i + 8;
        else if (prefix_ci(sc, i, "http://"))
            h = i + 7;
        else if (prefix_ci(sc, i, "www."))
            h = i;
        else
            continue;
        if (i > 0 && (is_alnum(at(sc, i - 1)) || at(sc, i - 1) == '.' || at(sc, i - 1) == '/' ||
                      at(sc, i - 1) == '@'))
            continue;
        size_t e = h;
        while (e < sc->len && e - i < 2048) {  /* URLs are cut at 2 KiB: no quadratic rescans */
            int c = at(sc, e);
            if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == '\'' || c == '`' || c == 127)
                break;
            e++;
        }
        while (e > h && strchr(".,;:!?)]}", sc->s[e - 1]) != NULL)
            e--;
        size_t he = h;
        while (he < e && sc->s[he] != '/' && sc->s[he] != '?' && sc->s[he] != '#' && sc->s[he] != ':')
            he++;
        size_t hs = h;  /* skip "user@" */
        for (size_t k = h; k < he; k++)
            if (sc->s[k] == '@')
                hs = k + 1;
        if (he > hs && domain_ok(sc->s, hs, he)) {
            add(sc, SYNTH_PII_URL, i, e - i, 0.8);
            i = e;
        }
    }
}

static void find_emails(scan *sc)
{
    for (size_t a = 0; a < sc->len; a++) {
        if (sc->s[a] != '@')
            continue;
        size_t l = a;
        while (l > 0 && a - l < 65 && local_char(at(sc, l - 1)))   /* bounded: no quadratic scans */
            l--;
        while (l < a && (sc->s[l] == '.' || sc->s[l] == '-' || sc->s[l] == '+'))
            l++;
        if (l == a || sc->s[a - 1] == '.' || a - l > 64 || (l > 0 && local_char(at(sc, l - 1))))
            continue;
        size_t r = a + 1;
        while (r < sc->len && r - a < 256 && (is_alnum(at(sc, r)) || at(sc, r) == '.' || at(sc, r) == '-'))
            r++;
        while (r > a + 1 && (sc->s[r - 1] == '.' || sc->s[r - 1] == '-'))
            r--;
        if (r > a + 1 && domain_ok(sc->s, a + 1, r) && (r >= sc->len || at(sc, r) != '@'))
            add(sc, SYNTH_PII_EMAIL, l, r - l, 0.95);
    }
}

/* ---- IBAN ----------------------------------------------------------------------------------------------- */

static const struct { char cc[3]; unsigned char len; } k_iban[] = {
    {"AD", 24}, {"AT", 20}, {"BE", 16}, {"BG", 22}, {"CH", 21}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"EE", 20}, {"ES", 24}, {"FI", 18}, {"FR", 27}, {"GB", 22}, {"GI", 23}, {"GR", 27},
    {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IS", 26}, {"IT", 27}, {"LI", 21}, {"LT", 20}, {"LU", 20},
    {"LV", 21}, {"MC", 27}, {"MT", 31}, {"NL", 18}, {"NO", 15}, {"PL", 28}, {"PT", 25}, {"RO", 24},
    {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"VA", 22},
};

static int iban_length(int c0, int c1)
{
    for (size_t i = 0; i < sizeof k_iban / sizeof k_iban[0]; i++)
        if (k_iban[i].cc[0] == c0 && k_iban[i].cc[1] == c1)
            return k_iban[i].len;
    return 0;
}

/* mod-97 of the rearranged IBAN (first four characters moved to the end, letters as 10..35). */
static int iban_check(const char *v, size_t n)
{
    unsigned r = 0;
    for (size_t k = 0; k < n; k++) {
        int c = (unsigned char)v[(k + 4) % n];
        if (is_digit(c)) {
            r = (r * 10 + (unsigned)(c - '0')) % 97;
        } else if (is_upper(c)) {
            r = (r * 100 + (unsigned)(c - 'A' + 10)) % 97;
        } else {
            return 0;
        }
    }
    return r == 1;
}

static void find_ibans(scan *sc)
{
    for (size_t i = 0; i + 4 <= sc->len; i++) {
        if (!is_upper(at(sc, i)) || !is_upper(at(sc, i + 1)) || !is_digit(at(sc, i + 2)) ||
            !is_digit(at(sc, i + 3)) || !left_ok(sc, i))
            continue;
        int want = iban_length(at(sc, i), at(sc, i + 1));
        if (want == 0)
            continue;
        char v[40];
        size_t n = 0, j = i;
        while (n < (size_t)want && j < sc->len) {
            int c = at(sc, j);
            if (is_digit(c) || is_upper(c)) {
                v[n++] = (char)c;
                j++;
            } else if (c == ' ' && n % 4 == 0 && n > 0 && (is_digit(at(sc, j + 1)) || is_upper(at(sc, j + 1)))) {
                j++;
            } else {
                break;
            }
        }
        if (n == (size_t)want && right_ok(sc, j) && iban_check(v, n))
            if (add(sc, SYNTH_PII_IBAN, i, j - i, 1.0))
                i = j;
    }
}

/* ---- MAC, IPv6, IPv4 ------------------------------------------------------------------------------------ */

static void find_macs(scan *sc)
{
    for (size_t i = 0; i + 17 <= sc->len; i++) {
        int sep = at(sc, i + 2);
        if ((sep != ':' && sep != '-') || !left_ok(sc, i))
            continue;
        int ok = 1;
        for (size_t g = 0; g < 6 && ok; g++) {
            size_t p = i + g * 3;
            ok = is_hex(at(sc, p)) && is_hex(at(sc, p + 1)) && (g == 5 || at(sc, p + 2) == sep);
        }
        if (!ok)
            continue;
        size_t j = i + 17;
        if (j < sc->len && (is_alnum(at(sc, j)) || (at(sc, j) == sep && is_hex(at(sc, j + 1)))))
            continue;
        if (add(sc, SYNTH_PII_MAC, i, 17, 0.9))
            i = j;
    }
}

static void find_ipv6(scan *sc)
{
    for (size_t i = 0; i < sc->len; i++) {
        int c = at(sc, i);
        if (!is_hex(c) && c != ':')
            continue;
        if (i > 0 && (is_alnum(at(sc, i - 1)) || at(sc, i - 1) == ':' || at(sc, i - 1) == '.'))
            continue;
        size_t j = i, colons = 0, hexd = 0;
        while (j < sc->len && (is_hex(at(sc, j)) || at(sc, j) == ':' || at(sc, j) == '.')) {
            colons += at(sc, j) == ':';
            hexd += is_hex(at(sc, j)) != 0;
            j++;
        }
        size_t end = j;
        if (colons >= 2 && hexd >= 1 && (end >= sc->len || !is_alnum(at(sc, end)))) {
            while (end > i && sc->s[end - 1] == '.')
                end--;
            for (int tries = 0; tries < 2 && end > i; tries++) {
                char buf[64];
                struct in6_addr a;
                if (end - i < sizeof buf) {
                    memcpy(buf, sc->s + i, end - i);
                    buf[end - i] = '\0';
                    if (inet_pton(AF_INET6, buf, &a) == 1) {
                        add(sc, SYNTH_PII_IPV6, i, end - i, 0.9);
                        break;
                    }
                }
                /* "fe80::1:" at a sentence end: drop one trailing single colon and retry. */
                if (end - i >= 2 && sc->s[end - 1] == ':' && sc->s[end - 2] != ':')
                    end--;
                else
                    break;
            }
        }
        i = j;
    }
}

/* Parse a dotted quad at i; returns its length or 0. */
static size_t ipv4_at(const scan *sc, size_t i)
{
    size_t j = i;
    for (int o = 0; o < 4; o++) {
        if (o > 0) {
            if (at(sc, j) != '.')
                return 0;
            j++;
        }
        size_t d = 0;
        unsigned v = 0;
        while (d < 4 && is_digit(at(sc, j + d))) {
            v = v * 10 + (unsigned)(at(sc, j + d) - '0');
            d++;
        }
        if (d == 0 || d > 3 || v > 255 || (d > 1 && at(sc, j) == '0'))
            return 0;
        j += d;
    }
    return j - i;
}

static void find_ipv4(scan *sc)
{
    for (size_t i = 0; i < sc->len; i++) {
        if (!is_digit(at(sc, i)) || (i > 0 && (is_alnum(at(sc, i - 1)) || at(sc, i - 1) == '.')))
            continue;
        size_t n = ipv4_at(sc, i);
        if (n > 0 && right_ok(sc, i + n) && !(at(sc, i + n) == '.' && is_alnum(at(sc, i + n + 1))))
            if (add(sc, SYNTH_PII_IPV4, i, n, 0.8))
                i += n;
        while (i + 1 < sc->len && (is_digit(at(sc, i + 1)) || at(sc, i + 1) == '.'))
            i++;
    }
}

/* ---- digit groups: SSN, cards, phones, ZIP --------------------------------------------------------------- */

typedef struct dgroup {
    size_t start, end;   /* digits [start, end) */
    char sep_before;     /* separator between the previous group and this one ('\0' for the first) */
} dgroup;

#define MAX_GROUPS 12

static int ssn_valid(const char *d)
{
    int area = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    int group = (d[3] - '0') * 10 + (d[4] - '0');
    int serial = (d[5] - '0') * 1000 + (d[6] - '0') * 100 + (d[7] - '0') * 10 + (d[8] - '0');
    return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

static int luhn_ok(const char *d, size_t n)
{
    unsigned sum = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned v = (unsigned)(d[n - 1 - k] - '0');
        if (k % 2 == 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

static int card_issuer_ok(const char *d, size_t n)
{
    int p2 = (d[0] - '0') * 10 + (d[1] - '0');
    int p3 = p2 * 10 + (d[2] - '0');
    int p4 = p3 * 10 + (d[3] - '0');
    if (d[0] == '4')
        return n == 13 || n == 16 || n == 19;                       /* Visa */
    if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
        return n == 16;                                              /* Mastercard */
    if (p2 == 34 || p2 == 37)
        return n == 15;                                              /* Amex */
    if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649))
        return n == 16;                                              /* Discover */
    return 0;
}

static int nanp_ok(const char *d) { return d[0] >= '2' && d[3] >= '2' && !(d[1] == '1' && d[2] == '1'); }

/* Classify groups g[a..b] (span [p, q) including a leading '+' or '(').  Adds and returns 1 on a match. */
static int classify(scan *sc, const dgroup *g, size_t a, size_t b, size_t p, size_t q)
{
    char d[32];
    size_t nd = 0, ng = b - a + 1, gl[MAX_GROUPS] = {0};
    for (size_t k = a; k <= b; k++) {
        gl[k - a] = g[k].end - g[k].start;
        if (nd + gl[k - a] >= sizeof d)
            return 0;
        memcpy(d + nd, sc->s + g[k].start, gl[k - a]);
        nd += gl[k - a];
    }
    d[nd] = '\0';
    int plus = sc->s[p] == '+', paren = sc->s[p] == '(';
    int same_sep = 1, has_paren_sep = 0;
    for (size_t k = a + 1; k <= b; k++) {
        if (g[k].sep_before != g[a + 1].sep_before)
            same_sep = 0;
        if (g[k].sep_before == ')')
            has_paren_sep = 1;
    }
    char sep = ng > 1 ? g[a + 1].sep_before : '\0';
    unsigned hints = sc->hints;

    /* SSN: 123-45-6789, or 9 bare digits in an SSN column. */
    if (!plus && !paren && ng == 3 && gl[0] == 3 && gl[1] == 2 && gl[2] == 4 && same_sep &&
        (sep == '-' || (sep == ' ' && (hints & (1u << SYNTH_PII_SSN)))))
        return ssn_valid(d) ? add(sc, SYNTH_PII_SSN, p, q - p, 0.85) : 0;
    if (!plus && !paren && ng == 1 && nd == 9 && (hints & (1u << SYNTH_PII_SSN)))
        return ssn_valid(d) ? add(sc, SYNTH_PII_SSN, p, q - p, 0.75) : 0;

    /* Payment card: 13-19 digits, Luhn, issuer prefix + length; groups of >= 3 with one kind of separator. */
    if (!plus && !paren && nd >= 13 && nd <= 19 && same_sep && (ng == 1 || sep == ' ' || sep == '-')) {
        int groups_ok = 1;
        for (size_t k = 0; k + 1 < ng; k++)
            if (gl[k] < 4 || gl[k] > 6)
                groups_ok = 0;
        if (groups_ok && luhn_ok(d, nd) && card_issuer_ok(d, nd))
            return add(sc, SYNTH_PII_CARD, p, q - p, 0.95);
    }

    /* US ZIP in a postal column. */
    if ((hints & (1u << SYNTH_PII_POSTAL_CODE)) && !plus && !paren &&
        ((ng == 1 && nd == 5) || (ng == 2 && gl[0] == 5 && gl[1] == 4 && sep == '-')))
        return add(sc, SYNTH_PII_POSTAL_CODE, p, q - p, 0.6);

    /* Phones. */
    if (plus) {
        if (d[0] != '0' && nd >= 8 && nd <= 15 && (ng == 1 || gl[0] <= 3)) {
            if (d[0] == '1' && (nd != 11 || !nanp_ok(d + 1)))
                return 0;
            return add(sc, SYNTH_PII_PHONE, p, q - p, 0.8);
        }
        return 0;
    }
    size_t k0 = 0;
    if (ng == 4 && gl[0] == 1 && d[0] == '1')  /* 1 415 555 2671 */
        k0 = 1;
    if (ng - k0 == 3 && gl[k0] == 3 && gl[k0 + 1] == 3 && gl[k0 + 2] == 4) {
        const char *n10 = d + k0;
        int shape = (paren && k0 == 0 && has_paren_sep) || (!paren && !has_paren_sep && sep != '\0');
        if (!paren && k0 == 0 && !same_sep)
            shape = 0;
        if (shape && nanp_ok(n10))
            return add(sc, SYNTH_PII_PHONE, p, q - p, 0.75);
        return 0;
    }
    if (!paren && ng == 1 && nd == 10 && (hints & (1u << SYNTH_PII_PHONE)) && nanp_ok(d))
        return add(sc, SYNTH_PII_PHONE, p, q - p, 0.6);
    /* National formats with a trunk 0: "020 7946 0958", "030 12345678". */
    if (d[0] == '0' && d[1] != '0' && nd >= 10 && nd <= 11 && ng >= 2 && ng <= 4 && gl[0] >= 2 && gl[0] <= 5 &&
        (sep == ' ' || sep == '-' || sep == ')')) {
        int ok = 1;
        for (size_t k = 0; k < ng; k++)
            if (gl[k] < 2)
                ok = 0;
        if (ok)
            return add(sc, SYNTH_PII_PHONE, p, q - p, 0.5);
    }
    if (!paren && ng == 1 && nd >= 10 && nd <= 11 && d[0] == '0' && (hints & (1u << SYNTH_PII_PHONE)))
        return add(sc, SYNTH_PII_PHONE, p, q - p, 0.5);
    return 0;
}

static void find_digit_runs(scan *sc)
{
    size_t i = 0;
    while (i < sc->len) {
        int c = at(sc, i);
        if (!is_digit(c) && !((c == '+' || c == '(') && is_digit(at(sc, i + 1)))) {
            i++;
            continue;
        }
        if (!left_ok(sc, i) || (c == '+' && i > 0 && is_digit(at(sc, i - 1)))) {
            while (i < sc->len && (is_alnum(at(sc, i)) || at(sc, i) == '+' || at(sc, i) == '('))
                i++;
            continue;
        }
        /* Collect groups. */
        dgroup g[MAX_GROUPS];
        size_t lead[MAX_GROUPS];   /* span start for a candidate beginning at group k */
        size_t ng = 0, j = i;
        char sep = '\0';
        for (;;) {
            size_t st = j;
            if (at(sc, j) == '+' || at(sc, j) == '(')
                j++;
            size_t ds = j;
            while (j < sc->len && is_digit(at(sc, j)))
                j++;
            if (j == ds || j - ds > 19) {
                j = st;
                break;
            }
            lead[ng] = st;
            g[ng].start = ds;
            g[ng].end = j;
            g[ng].sep_before = sep;
            ng++;
            if (ng == MAX_GROUPS)
                break;
            /* Separator: one of ' ', '-', '.', ')' , ") " then a digit, '(' or '+' (only '(' after a space). */
            size_t k = j;
            sep = '\0';
            if (at(sc, k) == ')') {
                if (sc->s[lead[ng - 1]] != '(')
                    break;
                sep = ')';
                k++;
                if (at(sc, k) == ' ' || at(sc, k) == '-')
                    k++;
            } else if (at(sc, k) == ' ' || at(sc, k) == '-' || at(sc, k) == '.') {
                sep = (char)at(sc, k);
                k++;
            }
            if (sep == '\0' || !is_digit(at(sc, k)))
                break;
            j = k;
        }
        if (ng == 0) {
            i++;
            continue;
        }
        size_t a = 0;
        while (a < ng) {
            size_t p = lead[a];
            int matched = 0;
            if (a == 0 || left_ok(sc, p)) {
                size_t bmax = a + 5 < ng ? a + 5 : ng - 1;
                for (size_t b = bmax + 1; b-- > a;) {
                    if (!right_ok(sc, g[b].end) && !(at(sc, g[b].end) == ')' && b + 1 < ng))
                        continue;
                    if (!right_ok(sc, g[b].end))
                        continue;
                    if (classify(sc, g, a, b, p, g[b].end)) {
                        a = b + 1;
                        matched = 1;
                        break;
                    }
                }
            }
            if (!matched)
                a++;
        }
        i = g[ng - 1].end > i ? g[ng - 1].end : i + 1;
    }
}

/* ---- UK postcode ----------------------------------------------------------------------------------------- */

static size_t uk_inward(const scan *sc, size_t j)
{
    if (at(sc, j) == ' ')
        j++;
    if (is_digit(at(sc, j)) && is_upper(at(sc, j + 1)) && is_upper(at(sc, j + 2)) && right_ok(sc, j + 3))
        return j + 3;
    return 0;
}

static void find_uk_postcodes(scan *sc)
{
    for (size_t i = 0; i + 5 <= sc->len; i++) {
        if (!is_upper(at(sc, i)) || !left_ok(sc, i))
            continue;
        size_t j = i + 1;
        if (is_upper(at(sc, j)))
            j++;
        if (!is_digit(at(sc, j)))
            continue;
        j++;
        size_t e = 0;
        if (is_upper(at(sc, j)) || is_digit(at(sc, j)))  /* A9A / A99 outward codes */
            e = uk_inward(sc, j + 1);
        if (e == 0)
            e = uk_inward(sc, j);
        /* Without a space the outward/inward split must still leave a 2-4 char outward code. */
        if (e != 0 && add(sc, SYNTH_PII_POSTAL_CODE, i, e - i, 0.6))
            i = e;
    }
}

/* ---- dates of birth -------------------------------------------------------------------------------------- */

static int read_num(const char *s, size_t len, size_t *i, size_t mind, size_t maxd, int *v)
{
    size_t d = 0;
    *v = 0;
    while (*i < len && d < maxd && is_digit((unsigned char)s[*i])) {
        *v = *v * 10 + (s[*i] - '0');
        (*i)++;
        d++;
    }
    return d >= mind && !(*i < len && is_digit((unsigned char)s[*i]));
}

static int month_name(const char *s, size_t len, size_t *i)
{
    static const char *const m[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    if (*i + 3 > len)
        return 0;
    for (int k = 0; k < 12; k++) {
        if (to_lower((unsigned char)s[*i]) == m[k][0] && to_lower((unsigned char)s[*i + 1]) == m[k][1] &&
            to_lower((unsigned char)s[*i + 2]) == m[k][2]) {
            *i += 3;
            while (*i < len && is_alpha((unsigned char)s[*i]))
                (*i)++;
            if (*i < len && s[*i] == '.')
                (*i)++;
            return k + 1;
        }
    }
    return 0;
}

static int dmy_ok(int d, int m, int y) { return y >= 1900 && y <= 2030 && m >= 1 && m <= 12 && d >= 1 && d <= 31; }

/* Is s[0..len) (already trimmed) a date: Y-M-D, D/M/Y or M/D/Y, D.M.Y, "5 March 1985", "March 5, 1985",
 * optionally followed by a time part after 'T' or ' '? */
static int is_date(const char *s, size_t len)
{
    size_t i = 0;
    int a, b, c;
    if (len < 6 || len > 40)
        return 0;
    if (read_num(s, len, &i, 4, 4, &a)) {
        if (i >= len || (s[i] != '-' && s[i] != '/' && s[i] != '.'))
            return 0;
        char sp = s[i++];
        if (!read_num(s, len, &i, 1, 2, &b) || i >= len || s[i++] != sp || !read_num(s, len, &i, 1, 2, &c))
            return 0;
        if (!dmy_ok(c, b, a))
            return 0;
    } else if ((i = 0, read_num(s, len, &i, 1, 2, &a))) {
        if (i < len && (s[i] == '/' || s[i] == '.' || s[i] == '-')) {
            char sp = s[i++];
            if (!read_num(s, len, &i, 1, 2, &b) || i >= len || s[i++] != sp || !read_num(s, len, &i, 4, 4, &c))
                return 0;
            if (!dmy_ok(a, b, c) && !dmy_ok(b, a, c))
                return 0;
        } else {
            if (i < len && s[i] == ' ')
                i++;
            int m = month_name(s, len, &i);
            if (m == 0 || i >= len || s[i++] != ' ' || !read_num(s, len, &i, 4, 4, &c) || !dmy_ok(a, m, c))
                return 0;
        }
    } else {
        i = 0;
        int m = month_name(s, len, &i);
        if (m == 0 || i >= len || s[i++] != ' ' || !read_num(s, len, &i, 1, 2, &a))
            return 0;
        if (i < len && s[i] == ',')
            i++;
        if (i >= len || s[i++] != ' ' || !read_num(s, len, &i, 4, 4, &c) || !dmy_ok(a, m, c))
            return 0;
    }
    if (i == len)
        return 1;
    return (s[i] == 'T' || s[i] == ' ') && i + 1 < len && is_digit((unsigned char)s[i + 1]);
}

/* ---- person names ---------------------------------------------------------------------------------------- */

static int is_name_word_char(int c) { return is_alpha(c) || c == '\'' || c == '-'; }

static const char *const k_not_names[] = {"n/a", "na", "none", "null", "unknown", "anonymous", "redacted",
                                          "test", "admin", "-", "tbd", "nil"};

/* Whole cell in a name column: 1-4 words of letters (with ' - . ,), first char a letter. */
static void find_person_in_name_column(scan *sc, size_t a, size_t b)
{
    if (b - a == 0 || b - a > 60 || !is_alpha(at(sc, a)))
        return;
    for (size_t k = 0; k < sizeof k_not_names / sizeof k_not_names[0]; k++) {
        size_t l = strlen(k_not_names[k]);
        if (l == b - a && prefix_ci(sc, a, k_not_names[k]))
            return;
    }
    size_t words = 0, in_dict = 0;
    for (size_t i = a; i < b;) {
        int c = at(sc, i);
        if (c == ' ' || c == ',' || c == '.') {
            i++;
            continue;
        }
        if (!is_alpha(c))
            return;
        size_t s = i;
        while (i < b && is_name_word_char(at(sc, i)))
            i++;
        if (i < b && at(sc, i) != ' ' && at(sc, i) != ',' && at(sc, i) != '.')
            return;
        words++;
        in_dict += synth_pii_names_contains(sc->names, sc->s + s, i - s) != 0;
    }
    if (words >= 1 && words <= 4)
        add(sc, SYNTH_PII_PERSON, a, b - a, in_dict > 0 ? 0.85 : 0.6);
}

/* Free text: >= 2 consecutive capitalised dictionary words ("Maria Garcia", "Jean-Luc Picard" needs both). */
static void find_person_words(scan *sc)
{
    if (sc->names == NULL)
        return;
    size_t i = 0, run_start = 0, run_end = 0, run_len = 0;
    while (i <= sc->len) {
        int c = at(sc, i);
        if (i < sc->len && is_upper(c) && left_ok(sc, i) && !(i > 0 && at(sc, i - 1) == '@')) {
            size_t s = i;
            i++;
            int lower_rest = 1;
            while (i < sc->len && is_name_word_char(at(sc, i))) {
                if (is_upper(at(sc, i)) && at(sc, i - 1) != '\'' && at(sc, i - 1) != '-')
                    lower_rest = 0;
                i++;
            }
            int ok = lower_rest && i - s >= 2 && (i >= sc->len || (!is_digit(at(sc, i)) && at(sc, i) != '@')) &&
                     synth_pii_names_contains(sc->names, sc->s + s, i - s);
            if (ok && run_len > 0 && s == run_end + 1 && at(sc, run_end) == ' ') {
                run_end = i;
                run_len++;
                continue;
            }
            if (run_len >= 2)
                add(sc, SYNTH_PII_PERSON, run_start, run_end - run_start, 0.75);
            run_len = ok ? 1 : 0;
            run_start = s;
            run_end = i;
            continue;
        }
        if (i >= sc->len || !(c == ' ' && run_len > 0 && i == run_end)) {
            if (run_len >= 2)
                add(sc, SYNTH_PII_PERSON, run_start, run_end - run_start, 0.75);
            run_len = 0;
        }
        if (i < sc->len && is_alnum(c)) {
            while (i < sc->len && is_alnum(at(sc, i)))
                i++;
            if (run_len >= 2)
                add(sc, SYNTH_PII_PERSON, run_start, run_end - run_start, 0.75);
            run_len = 0;
            continue;
        }
        i++;
    }
}

/* ---- the finder ------------------------------------------------------------------------------------------ */

size_t synth_pii_find_ex(const char *s, size_t len, const char *column_name, const synth_pii_names *names,
                         synth_pii_match *out, size_t max)
{
    if (s == NULL || out == NULL || max == 0)
        return 0;
    scan sc = {s, len, synth_pii_column_hints(column_name), names, out, 0, max};
    size_t a = 0, b = len;
    while (a < b && is_space((unsigned char)s[a]))
        a++;
    while (b > a && is_space((unsigned char)s[b - 1]))
        b--;
    if (a == b)
        return 0;
    if ((sc.hints & (1u << SYNTH_PII_DATE_OF_BIRTH)) && is_date(s + a, b - a)) {
        add(&sc, SYNTH_PII_DATE_OF_BIRTH, a, b - a, 0.75);
        return sc.n;
    }
    find_urls(&sc);
    find_emails(&sc);
    find_ibans(&sc);
    find_macs(&sc);
    find_ipv6(&sc);
    find_ipv4(&sc);
    find_digit_runs(&sc);
    find_uk_postcodes(&sc);
    if ((sc.hints & (1u << SYNTH_PII_PERSON)) && sc.n == 0)
        find_person_in_name_column(&sc, a, b);
    find_person_words(&sc);
    /* Sort by start (insertion sort; n is small). */
    for (size_t i = 1; i < sc.n; i++) {
        synth_pii_match m = out[i];
        size_t k = i;
        while (k > 0 && out[k - 1].start > m.start) {
            out[k] = out[k - 1];
            k--;
        }
        out[k] = m;
    }
    return sc.n;
}

size_t synth_pii_find(const char *s, size_t len, const char *column_name, synth_pii_match *out, size_t max)
{
    return synth_pii_find_ex(s, len, column_name, NULL, out, max);
}

/* ---- masking --------------------------------------------------------------------------------------------- */

typedef struct mbuf {
    char *p;
    size_t n;
} mbuf;

static void put(mbuf *m, int c)
{
    if (m->n < SYNTH_PII_MASK_MAX - 4)
        m->p[m->n++] = (char)c;
    else if (m->n == SYNTH_PII_MASK_MAX - 4) {
        memcpy(m->p + m->n, "...", 3);
        m->n += 3;
    }
}

/* Star every letter/digit in s[a..b) except the last `keep` of them; other characters stay. */
static void star_keep_last(mbuf *m, const char *s, size_t a, size_t b, size_t keep)
{
    size_t total = 0;
    for (size_t i = a; i < b; i++)
        total += is_alnum((unsigned char)s[i]) != 0;
    size_t seen = 0;
    for (size_t i = a; i < b; i++) {
        int c = (unsigned char)s[i];
        if (is_alnum(c)) {
            seen++;
            put(m, seen + keep > total ? c : '*');
        } else if (c >= 0x20 && c < 0x7f) {
            put(m, c);
        } else {
            put(m, '?');
        }
    }
}

size_t synth_pii_mask(synth_pii_entity e, const char *s, size_t len, char *buf)
{
    mbuf m = {buf, 0};
    switch (e) {
    case SYNTH_PII_EMAIL: {
        size_t at_pos = len;
        for (size_t i = 0; i < len; i++)
            if (s[i] == '@')
                at_pos = i;
        if (at_pos == len) {
            star_keep_last(&m, s, 0, len, 0);
            break;
        }
        size_t dot = len;
        for (size_t i = at_pos + 1; i < len; i++)
            if (s[i] == '.')
                dot = i;
        put(&m, is_alnum((unsigned char)s[0]) ? s[0] : '*');
        put(&m, '*'), put(&m, '*'), put(&m, '*');
        put(&m, '@');
        if (at_pos + 1 < len)
            put(&m, is_alnum((unsigned char)s[at_pos + 1]) ? s[at_pos + 1] : '*');
        for (size_t i = at_pos + 2; i < dot; i++)
            put(&m, '*');
        for (size_t i = dot; i < len; i++)   /* the top-level domain identifies nobody */
            put(&m, is_alnum((unsigned char)s[i]) || s[i] == '.' ? s[i] : '*');
        break;
    }
    case SYNTH_PII_SSN:
    case SYNTH_PII_CARD:
    case SYNTH_PII_PHONE:
        star_keep_last(&m, s, 0, len, 4);
        break;
    case SYNTH_PII_IBAN:
        for (size_t i = 0; i < len; i++) {   /* keep the country code, star the rest but the last 4 */
            if (i >= 2)
                break;
            put(&m, s[i]);
        }
        if (len > 2)
            star_keep_last(&m, s, 2, len, 4);
        break;
    case SYNTH_PII_IPV4:
    case SYNTH_PII_IPV6:
    case SYNTH_PII_MAC:
    case SYNTH_PII_POSTAL_CODE:
        star_keep_last(&m, s, 0, len, 2);
        break;
    case SYNTH_PII_PERSON: {
        int start = 1;
        for (size_t i = 0; i < len; i++) {
            int c = (unsigned char)s[i];
            if (is_alpha(c)) {
                put(&m, start ? c : '*');
                start = 0;
            } else {
                put(&m, c >= 0x20 && c < 0x7f ? c : '?');
                start = 1;
            }
        }
        break;
    }
    default:
        star_keep_last(&m, s, 0, len, 2);
        break;
    }
    buf[m.n] = '\0';
    return m.n;
}

/* ---- column decision ------------------------------------------------------------------------------------- */

void synth_pii_column_decide(const synth_pii_column_counts *c, unsigned hints, synth_pii_column_report *out)
{
    memset(out, 0, sizeof *out);
    out->entity = SYNTH_PII_EMAIL;
    if (c->nonempty == 0)
        return;
    size_t best = 0;
    for (size_t e = 1; e < SYNTH_PII_ENTITY_COUNT; e++)
        if (c->cells[e] > c->cells[best])
            best = e;
    out->entity = (synth_pii_entity)best;
    size_t hits = c->cells[best];
    if (hits == 0)
        return;
    double share = (double)hits / (double)c->nonempty;
    double mean = c->score_sum[best] / (double)hits;
    int hinted = (hints >> best) & 1u;
    out->share = share;
    out->free_text = c->whole[best] * 2 < hits;
    double conf = mean * (share < 0.5 ? share / 0.5 : 1.0) + (hinted ? 0.1 : 0.0);
    out->confidence = conf > 1.0 ? 1.0 : conf;
    double any_share = (double)c->any_cells / (double)c->nonempty;
    if (share >= 0.5 || (hinted && share >= 0.2) || (!out->free_text && any_share >= 0.5))
        out->is_pii = 1;
    else if (out->free_text &&
             (c->any_cells >= 2 || (double)c->any_cells >= 0.05 * (double)c->nonempty))
        out->is_pii = 1;
    if (out->free_text && out->is_pii && out->confidence < 0.5)
        out->confidence = mean * 0.5 + 0.25 > 1.0 ? 1.0 : mean * 0.5 + 0.25;
}

/* ---- CSV scan -------------------------------------------------------------------------------------------- */

#define CELL_MATCHES 64

void synth_pii_count_cell(synth_pii_column_counts *cc, const char *cell, size_t len, const char *column_name,
                          const synth_pii_names *names, char *examples)
{
    synth_pii_match m[CELL_MATCHES];
    size_t a = 0, b = len;
    while (a < b && is_space((unsigned char)cell[a]))
        a++;
    while (b > a && is_space((unsigned char)cell[b - 1]))
        b--;
    if (a == b)
        return;
    cc->nonempty++;
    size_t n = synth_pii_find_ex(cell, len, column_name, names, m, CELL_MATCHES);
    size_t cover[SYNTH_PII_ENTITY_COUNT] = {0};
    double best[SYNTH_PII_ENTITY_COUNT] = {0};
    for (size_t k = 0; k < n; k++) {
        synth_pii_entity e = m[k].entity;
        if (cover[e] == 0 && examples != NULL) {
            char *ex = examples + (size_t)e * SYNTH_PII_MASK_MAX;
            if (ex[0] == '\0')
                synth_pii_mask(e, cell + m[k].start, m[k].len, ex);
        }
        cover[e] += m[k].len;
        if (m[k].score > best[e])
            best[e] = m[k].score;
    }
    cc->any_cells += n > 0;
    for (size_t e = 0; e < SYNTH_PII_ENTITY_COUNT; e++) {
        if (cover[e] == 0)
            continue;
        cc->cells[e]++;
        cc->score_sum[e] += best[e];
        if (cover[e] * 10 >= (b - a) * 9)
            cc->whole[e]++;
    }
}

int synth_pii_scan_csv_ex(const char *path, const synth_csv_options *csv, size_t max_rows,
                          const synth_pii_names *names, const char *names_path, json_t **report,
                          synth_err *err)
{
    *report = NULL;
    synth_csv_reader *rd = NULL;
    int rc = synth_csv_reader_open(&rd, path, csv, err);
    if (rc)
        return rc;
    size_t ncols = synth_csv_reader_ncols(rd);
    synth_pii_column_counts *counts = synth_calloc(ncols ? ncols : 1, sizeof *counts);
    unsigned *hints = synth_calloc(ncols ? ncols : 1, sizeof *hints);
    char *examples = synth_calloc((ncols ? ncols : 1) * SYNTH_PII_ENTITY_COUNT, SYNTH_PII_MASK_MAX);
    synth_pii_match *m = synth_malloc(CELL_MATCHES * sizeof *m);
    if (counts == NULL || hints == NULL || examples == NULL || m == NULL) {
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
        goto done;
    }
    for (size_t c = 0; c < ncols; c++)
        hints[c] = synth_pii_column_hints(synth_csv_reader_column_name(rd, c));
    size_t rows = 0;
    const synth_csv_chunk *ch = NULL;
    while ((max_rows == 0 || rows < max_rows) && (rc = synth_csv_reader_next(rd, &ch, err)) == 1) {
        size_t nr = ch->nrows;
        if (max_rows != 0 && nr > max_rows - rows)
            nr = max_rows - rows;
        for (size_t c = 0; c < ncols; c++) {
            const char *cname = synth_csv_reader_column_name(rd, c);
            synth_pii_column_counts *cc = &counts[c];
            for (size_t r = 0; r < nr; r++) {
                size_t len;
                const char *cell = synth_csv_cell(ch, r, c, &len);
                synth_pii_count_cell(cc, cell, len, cname, names,
                                     examples + c * SYNTH_PII_ENTITY_COUNT * SYNTH_PII_MASK_MAX);
            }
        }
        rows += nr;
    }
    if (rc < 0)
        goto done;
    rc = 0;
    json_t *j = json_object();
    json_t *cols = json_array();
    json_t *pii_cols = json_array();
    if (j == NULL || cols == NULL || pii_cols == NULL) {
        json_decref(j);
        json_decref(cols);
        json_decref(pii_cols);
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
        goto done;
    }
    json_object_set_new(j, "file", json_string(path));
    json_object_set_new(j, "rows_scanned", json_integer((json_int_t)rows));
    json_object_set_new(j, "name_dictionary", names_path && names ? json_string(names_path) : json_null());
    json_object_set_new(j, "name_detection", json_string(names ? "dictionary+column-names" : "column-names-only"));
    for (size_t c = 0; c < ncols; c++) {
        synth_pii_column_report cr;
        synth_pii_column_decide(&counts[c], hints[c], &cr);
        const char *cname = synth_csv_reader_column_name(rd, c);
        json_t *o = json_object();
        json_t *ents = json_object();
        if (o == NULL || ents == NULL) {
            json_decref(o);
            json_decref(ents);
            json_decref(j);
            json_decref(cols);
            json_decref(pii_cols);
            rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
            goto done;
        }
        for (size_t e = 0; e < SYNTH_PII_ENTITY_COUNT; e++)
            if (counts[c].cells[e] > 0)
                json_object_set_new(ents, entity_name((synth_pii_entity)e),
                                    json_real((double)counts[c].cells[e] / (double)counts[c].nonempty));
        int any = cr.share > 0;
        json_object_set_new(o, "name", json_string(cname));
        json_object_set_new(o, "is_pii", json_boolean(cr.is_pii));
        json_object_set_new(o, "entity", any ? json_string(entity_name(cr.entity)) : json_null());
        json_object_set_new(o, "entities", ents);
        json_object_set_new(o, "share", json_real(cr.share));
        json_object_set_new(o, "confidence", json_real(cr.confidence));
        json_object_set_new(o, "free_text", json_boolean(cr.free_text));
        json_object_set_new(o, "nonempty_cells", json_integer((json_int_t)counts[c].nonempty));
        const char *ex = examples + (c * SYNTH_PII_ENTITY_COUNT + cr.entity) * SYNTH_PII_MASK_MAX;
        json_object_set_new(o, "example", any && ex[0] ? json_string(ex) : json_null());
        json_array_append_new(cols, o);
        if (cr.is_pii)
            json_array_append_new(pii_cols, json_string(cname));
    }
    json_object_set_new(j, "columns", cols);
    json_object_set_new(j, "pii_columns", pii_cols);
    *report = j;
done:
    synth_free(m);
    synth_free(examples);
    synth_free(hints);
    synth_free(counts);
    synth_csv_reader_free(rd);
    return rc;
}

int synth_pii_scan_csv(const char *path, const synth_csv_options *csv, size_t max_rows, json_t **report,
                       synth_err *err)
{
    synth_pii_names *names = NULL;
    char found[4096] = "";
    int rc = synth_pii_names_load_default(&names, found, sizeof found, err);
    if (rc)
        return rc;
    rc = synth_pii_scan_csv_ex(path, csv, max_rows, names, found, report, err);
    synth_pii_names_free(names);
    return rc;
}
