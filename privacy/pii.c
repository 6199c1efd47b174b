/* pii.c -- PII entity names, format-valid fake values and the validators of pii.h.
 *
 * Every fake is a pure function of (seed, row, stream) through the counter-based RNG (rng.h): one
 * stream is opened per call and the entity draws what it needs from it, so the same triple always
 * gives the same text, on any thread.  Nothing is allocated; output goes to the caller's buffer and
 * is always shorter than SYNTH_PII_TEXT_MAX.  Reserved or test ranges are used where they exist:
 *   email        <syllables>@example.com / .org / .net (RFC 2606 reserved domains)
 *   phone        NANP 555-0100..555-0199 (reserved for fiction) after a NANP-shaped area code;
 *                for a UK `like` ("+44...", "0044...", "07...") Ofcom's drama range 07700 900000-999
 *   us_ssn       random numbers that satisfy the issuance rules (area 001-899 but not 666, group
 *                01-99, serial 0001-9999).  There is no reserved range of rule-valid SSNs, so a
 *                fake may coincide with a real number, as any valid-format value can; it is not
 *                derived from the input.
 *   credit_card  Luhn-valid numbers on the networks' test BINs (Visa 411111/424242, Mastercard
 *                555555/222300, Amex 378282 with 15 digits, Discover 601111)
 *   iban         country from `like` (default DE; AT BE CH DE ES FR GB IT NL PL) with the right
 *                length, national check digits where the country has simple ones (FR RIB key,
 *                ES DC, IT CIN, BE) and computed ISO 13616 mod-97 check digits; bank codes are
 *                random, so an IBAN may look like a real bank's
 *   ipv4 / ipv6  documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737)
 *                and 2001:db8::/32 (RFC 3849)
 *   mac_address  locally administered unicast (second hex digit 2, 6, a or e)
 *   url          https://www.example.com/<path>
 *   date_of_birth  uniform over 1940-01-01..2005-12-31
 *   person_name  "First Last" from built-in lists (50 + 50 names)
 *   postal_code  US ZIP / ZIP+4, or a UK-shaped postcode when `like` looks British
 * `like` only steers the shape (punctuation, digit grouping, country, layout, case); no character
 * of it is copied except separators. */
#include "pii.h"

#include <string.h>

#include "rng.h"

/* ---------------------------------------------------------------------------------- names */

static const char *const entity_names[] = {
#define SYNTH__PII_NAME(name, text) text,
    SYNTH_PII_ENTITIES(SYNTH__PII_NAME)
#undef SYNTH__PII_NAME
};

const char *synth_pii_entity_name(synth_pii_entity e)
{
    if ((int)e < 0 || (int)e >= (int)SYNTH_PII_ENTITY_COUNT)
        return NULL;
    return entity_names[e];
}

int synth_pii_entity_parse(const char *name, synth_pii_entity *e)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < (int)SYNTH_PII_ENTITY_COUNT; i++) {
        if (strcmp(name, entity_names[i]) == 0) {
            if (e != NULL)
                *e = (synth_pii_entity)i;
            return 0;
        }
    }
    return -1;
}

/* ---------------------------------------------------------------------------------- output */

#define LIKE_MAX 64 /* only this much of `like` is looked at */

typedef struct out {
    char *buf;
    size_t len;
} out;

static void put_c(out *o, char c)
{
    if (o->len < SYNTH_PII_TEXT_MAX - 1)
        o->buf[o->len++] = c;
}

static void put_s(out *o, const char *s)
{
    while (*s)
        put_c(o, *s++);
}

static void put_num(out *o, unsigned v, int width)
{
    char d[16];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < 15);
    while (n < width && n < 15)
        d[n++] = '0';
    while (n > 0)
        put_c(o, d[--n]);
}

static void put_hex(out *o, unsigned v, int width, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char d[8];
    int n = 0;
    do {
        d[n++] = digits[v & 15];
        v >>= 4;
    } while (v > 0 && n < 8);
    while (n < width && n < 8)
        d[n++] = '0';
    while (n > 0)
        put_c(o, d[--n]);
}

static size_t finish(out *o)
{
    o->buf[o->len] = '\0';
    return o->len;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static char to_upper(char c)
{
    return is_lower(c) ? (char)(c - 'a' + 'A') : c;
}

static size_t like_len(const char *like)
{
    if (like == NULL)
        return 0;
    size_t n = 0;
    while (n < LIKE_MAX && like[n] != '\0')
        n++;
    return like[n] == '\0' ? n : 0; /* an overlong `like` gives no guidance */
}

/* Digits of like[0..n) into d (at most cap); returns how many there are (may exceed cap). */
static size_t like_digits(const char *like, size_t n, char *d, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_digit(like[i])) {
            if (k < cap)
                d[k] = like[i];
            k++;
        }
    }
    return k;
}

/* Copy like's layout, with its digits replaced in order by `digits` (as many as like has) and any
 * character outside `punct` dropped. */
static void put_template(out *o, const char *like, size_t n, const char *digits, const char *punct)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = like[i];
        if (is_digit(c))
            put_c(o, digits[k++]);
        else if (strchr(punct, c) != NULL)
            put_c(o, c);
    }
}

static void rand_digits(synth_rng *r, char *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = (char)('0' + synth_rng_below(r, 10));
}

static char pick_char(synth_rng *r, const char *set)
{
    return set[synth_rng_below(r, strlen(set))];
}

/* ---------------------------------------------------------------------------------- words */

static const char *const syllables[] = {
    "ka", "lo", "mi", "ra", "ne", "to", "su", "vi", "da", "be", "ri", "no", "sa", "te",
    "lu", "mo", "ha", "ke", "zi", "po", "na", "li", "fe", "go", "ja", "re", "ta", "mu",
    "si", "do", "la", "ve", "ni", "ro", "cu", "pe", "ti", "ma", "se", "ko", "bar", "len",
    "mar", "tin", "son", "dor", "vel", "kin",
};
#define N_SYLLABLES (sizeof syllables / sizeof syllables[0])

static const char *const first_names[] = {
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Margaret", "Mark",
    "Sandra", "Paul", "Ashley", "Steven", "Emily", "Andrew", "Donna", "Kenneth", "Michelle",
    "Joshua", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah", "Omar",
    "Aisha", "Luis", "Mei", "Raj", "Sofia",
};
static const char *const last_names[] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
};
#define N_FIRST (sizeof first_names / sizeof first_names[0])
#define N_LAST (sizeof last_names / sizeof last_names[0])

static void put_word(out *o, synth_rng *r, int min_syl, int max_syl)
{
    int n = min_syl + (int)synth_rng_below(r, (uint64_t)(max_syl - min_syl + 1));
    for (int i = 0; i < n; i++)
        put_s(o, syllables[synth_rng_below(r, N_SYLLABLES)]);
}

/* ---------------------------------------------------------------------------------- email, url */

static void fake_email(out *o, synth_rng *r)
{
    static const char *const domains[] = {"example.com", "example.org", "example.net"};
    put_word(o, r, 2, 3);
    if (synth_rng_below(r, 2) == 0) {
        static const char seps[] = {'.', '_', '\0'};
        char sep = seps[synth_rng_below(r, 3)];
        if (sep)
            put_c(o, sep);
        put_word(o, r, 2, 3);
    }
    if (synth_rng_below(r, 2) == 0)
        put_num(o, (unsigned)(1 + synth_rng_below(r, 999)), 1);
    put_c(o, '@');
    put_s(o, domains[synth_rng_below(r, 3)]);
}

static void fake_url(out *o, synth_rng *r)
{
    put_s(o, "https://www.example.com/");
    int segs = 1 + (int)synth_rng_below(r, 3);
    for (int i = 0; i < segs; i++) {
        if (i > 0)
            put_c(o, '/');
        put_word(o, r, 2, 3);
        if (synth_rng_below(r, 3) == 0) {
            put_c(o, '-');
            put_word(o, r, 1, 2);
        }
    }
    if (synth_rng_below(r, 2) == 0) {
        put_c(o, '/');
        put_num(o, (unsigned)(1 + synth_rng_below(r, 99999)), 1);
    }
}

/* ---------------------------------------------------------------------------------- phone */

static const char phone_punct[] = " -().+/";

static void fake_phone(out *o, synth_rng *r, const char *like)
{
    size_t n = like_len(like);
    size_t s = 0;
    while (s < n && like[s] == ' ')
        s++;
    char ld[16];
    size_t nd = like_digits(like, n, ld, sizeof ld);
    int uk = (n - s >= 3 && memcmp(like + s, "+44", 3) == 0) ||
             (n - s >= 4 && memcmp(like + s, "0044", 4) == 0) ||
             (nd == 11 && ld[0] == '0' && ld[1] == '7' && like[s] == '0');
    if (uk) {
        char tail[3];
        rand_digits(r, tail, 3);
        char d[16];
        size_t k = 0;
        if (nd == 14 && memcmp(ld, "0044", 4) == 0) {
            memcpy(d, "0044", 4);
            k = 4;
        } else if (nd == 13 && memcmp(ld, "440", 3) == 0) {
            memcpy(d, "440", 3);
            k = 3;
        } else if (nd == 12 && memcmp(ld, "44", 2) == 0) {
            memcpy(d, "44", 2);
            k = 2;
        } else if (nd == 11 && ld[0] == '0') {
            d[0] = '0';
            k = 1;
        } else {
            put_s(o, "+44 7700 900");
            for (int i = 0; i < 3; i++)
                put_c(o, tail[i]);
            return;
        }
        memcpy(d + k, "7700900", 7);
        memcpy(d + k + 7, tail, 3);
        put_template(o, like, n, d, phone_punct);
        return;
    }
    /* NANP: area code NXX with X2 != 9 and not N11; exchange 555; line 0100-0199 */
    char d[11];
    d[0] = '1';
    unsigned a1 = 2 + (unsigned)synth_rng_below(r, 8);
    unsigned a2, a3;
    do {
        a2 = (unsigned)synth_rng_below(r, 9);
        a3 = (unsigned)synth_rng_below(r, 10);
    } while (a2 == 1 && a3 == 1);
    d[1] = (char)('0' + a1);
    d[2] = (char)('0' + a2);
    d[3] = (char)('0' + a3);
    memcpy(d + 4, "55501", 5);
    rand_digits(r, d + 9, 2);
    if (nd == 10) {
        put_template(o, like, n, d + 1, phone_punct);
    } else if (nd == 11 && ld[0] == '1') {
        put_template(o, like, n, d, phone_punct);
    } else {
        put_s(o, "+1-");
        for (int i = 1; i < 11; i++) {
            put_c(o, d[i]);
            if (i == 3 || i == 6)
                put_c(o, '-');
        }
    }
}

/* ---------------------------------------------------------------------------------- SSN */

static void fake_ssn(out *o, synth_rng *r, const char *like)
{
    unsigned area;
    do
        area = 1 + (unsigned)synth_rng_below(r, 899);
    while (area == 666);
    unsigned group = 1 + (unsigned)synth_rng_below(r, 99);
    unsigned serial = 1 + (unsigned)synth_rng_below(r, 9999);
    size_t n = like_len(like);
    char sep = '-';
    if (n > 0) {
        char ld[16];
        size_t nd = like_digits(like, n, ld, sizeof ld);
        if (nd == 9 && memchr(like, '-', n) == NULL)
            sep = memchr(like, ' ', n) != NULL ? ' ' : '\0';
    }
    put_num(o, area, 3);
    if (sep)
        put_c(o, sep);
    put_num(o, group, 2);
    if (sep)
        put_c(o, sep);
    put_num(o, serial, 4);
}

/* ---------------------------------------------------------------------------------- cards */

/* Luhn check digit for the payload d[0..n). */
static char luhn_digit(const char *d, size_t n)
{
    unsigned sum = 0;
    int dbl = 1; /* the rightmost payload digit is doubled once the check digit is appended */
    for (size_t i = n; i-- > 0;) {
        unsigned v = (unsigned)(d[i] - '0');
        if (dbl) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
        dbl = !dbl;
    }
    return (char)('0' + (10 - sum % 10) % 10);
}

static void fake_card(out *o, synth_rng *r, const char *like)
{
    enum { VISA1, VISA2, MC1, MC2, AMEX, DISC, NBIN };
    static const char *const bins[NBIN] = {"411111", "424242", "555555", "222300", "378282", "601111"};
    size_t n = like_len(like);
    char ld[24];
    size_t nd = like_digits(like, n, ld, sizeof ld);
    int brand;
    size_t len = 16;
    char first = nd > 0 ? ld[0] : '\0';
    if (first == '4')
        brand = synth_rng_below(r, 2) ? VISA2 : VISA1;
    else if (first == '5')
        brand = MC1;
    else if (first == '2')
        brand = MC2;
    else if (first == '3' || nd == 15)
        brand = AMEX;
    else if (first == '6')
        brand = DISC;
    else
        brand = (int)synth_rng_below(r, NBIN);
    if (brand == AMEX)
        len = 15;
    else if ((brand == VISA1 || brand == VISA2) && (nd == 13 || nd == 19))
        len = nd;
    else if (brand == DISC && nd >= 16 && nd <= 19)
        len = nd;
    char d[24];
    memcpy(d, bins[brand], 6);
    rand_digits(r, d + 6, len - 7);
    d[len - 1] = luhn_digit(d, len - 1);
    if (nd == len) {
        put_template(o, like, n, d, " -");
        return;
    }
    char sep = ' ';
    if (n > 0) {
        const char *sp = memchr(like, ' ', n), *da = memchr(like, '-', n);
        sep = da != NULL && (sp == NULL || da < sp) ? '-' : sp != NULL ? ' ' : '\0';
    }
    /* Amex 4-6-5, others in fours */
    for (size_t i = 0; i < len; i++) {
        int cut = brand == AMEX ? (i == 4 || i == 10) : (i > 0 && i % 4 == 0);
        if (cut && sep)
            put_c(o, sep);
        put_c(o, d[i]);
    }
}

/* ---------------------------------------------------------------------------------- IBAN */

/* BBAN layout per country: 'n' digit, 'a' upper-case letter. */
typedef struct iban_country {
    char cc[3];
    const char *bban;
} iban_country;

static const iban_country iban_countries[] = {
    {"DE", "nnnnnnnnnnnnnnnnnn"},      /* 8 bank code, 10 account */
    {"FR", "nnnnnnnnnnnnnnnnnnnnnnn"}, /* 5 bank, 5 branch, 11 account, 2 RIB key */
    {"GB", "aaaannnnnnnnnnnnnn"},      /* 4 bank, 6 sort code, 8 account */
    {"NL", "aaaannnnnnnnnn"},          /* 4 bank, 10 account */
    {"ES", "nnnnnnnnnnnnnnnnnnnn"},    /* 4 bank, 4 branch, 2 DC, 10 account */
    {"IT", "annnnnnnnnnnnnnnnnnnnnn"}, /* CIN, 5 ABI, 5 CAB, 12 account */
    {"AT", "nnnnnnnnnnnnnnnn"},
    {"BE", "nnnnnnnnnnnn"}, /* 3 bank, 7 account, 2 check */
    {"CH", "nnnnnnnnnnnnnnnnn"},
    {"PL", "nnnnnnnnnnnnnnnnnnnnnnnn"},
};
#define N_IBAN_COUNTRIES (sizeof iban_countries / sizeof iban_countries[0])

static unsigned mod97_digits(const char *d, size_t n, unsigned acc)
{
    for (size_t i = 0; i < n; i++)
        acc = (acc * 10 + (unsigned)(d[i] - '0')) % 97;
    return acc;
}

/* ISO 13616 remainder of an IBAN given as country, check digits and BBAN (upper case/digits). */
static unsigned iban_mod97(const char *cc, const char *check, const char *bban, size_t bn)
{
    unsigned acc = 0;
    const char *parts[3] = {bban, cc, check};
    size_t lens[3] = {bn, 2, 2};
    for (int p = 0; p < 3; p++) {
        for (size_t i = 0; i < lens[p]; i++) {
            char c = parts[p][i];
            if (is_digit(c))
                acc = (acc * 10 + (unsigned)(c - '0')) % 97;
            else
                acc = (acc * 100 + (unsigned)(c - 'A' + 10)) % 97;
        }
    }
    return acc;
}

static unsigned es_dc(const char *d) /* 10 digits */
{
    static const unsigned w[10] = {1, 2, 4, 8, 5, 10, 9, 7, 3, 6};
    unsigned s = 0;
    for (int i = 0; i < 10; i++)
        s += w[i] * (unsigned)(d[i] - '0');
    unsigned v = 11 - s % 11;
    return v == 11 ? 0 : v == 10 ? 1 : v;
}

static char it_cin(const char *d) /* ABI + CAB + account: 22 characters */
{
    static const unsigned odd[26] = {1,  0,  5,  7,  9,  13, 15, 17, 19, 21, 2,  4,  18,
                                     20, 11, 3,  6,  8,  12, 14, 16, 10, 22, 25, 24, 23};
    unsigned s = 0;
    for (int i = 0; i < 22; i++) {
        unsigned v = is_digit(d[i]) ? (unsigned)(d[i] - '0') : (unsigned)(to_upper(d[i]) - 'A');
        s += (i % 2 == 0) ? odd[v] : v;
    }
    return (char)('A' + s % 26);
}

static void fake_iban(out *o, synth_rng *r, const char *like)
{
    size_t n = like_len(like);
    const iban_country *c = &iban_countries[0];
    size_t s = 0;
    while (s < n && like[s] == ' ')
        s++;
    if (n - s >= 2) {
        char a = to_upper(like[s]), b = to_upper(like[s + 1]);
        for (size_t i = 0; i < N_IBAN_COUNTRIES; i++)
            if (iban_countries[i].cc[0] == a && iban_countries[i].cc[1] == b)
                c = &iban_countries[i];
    }
    char bban[32];
    size_t bn = strlen(c->bban);
    for (size_t i = 0; i < bn; i++)
        bban[i] = c->bban[i] == 'n' ? (char)('0' + synth_rng_below(r, 10))
                                    : (char)('A' + synth_rng_below(r, 26));
    if (memcmp(c->cc, "FR", 2) == 0) { /* RIB key = 97 - (89 bank + 15 branch + 3 account) mod 97 */
        unsigned k = (89 * mod97_digits(bban, 5, 0) + 15 * mod97_digits(bban + 5, 5, 0) +
                      3 * mod97_digits(bban + 10, 11, 0)) % 97;
        k = 97 - k;
        bban[21] = (char)('0' + k / 10);
        bban[22] = (char)('0' + k % 10);
    } else if (memcmp(c->cc, "ES", 2) == 0) {
        char t[10] = {'0', '0'};
        memcpy(t + 2, bban, 8);
        bban[8] = (char)('0' + es_dc(t));
        bban[9] = (char)('0' + es_dc(bban + 10));
    } else if (memcmp(c->cc, "IT", 2) == 0) {
        bban[0] = it_cin(bban + 1);
    } else if (memcmp(c->cc, "BE", 2) == 0) {
        unsigned k = mod97_digits(bban, 10, 0);
        k = k == 0 ? 97 : k;
        bban[10] = (char)('0' + k / 10);
        bban[11] = (char)('0' + k % 10);
    }
    unsigned check = 98 - iban_mod97(c->cc, "00", bban, bn);
    char full[40];
    full[0] = c->cc[0];
    full[1] = c->cc[1];
    full[2] = (char)('0' + check / 10);
    full[3] = (char)('0' + check % 10);
    memcpy(full + 4, bban, bn);
    size_t fn = bn + 4;
    int spaced = n > s && memchr(like + s, ' ', n - s) != NULL;
    for (size_t i = 0; i < fn; i++) {
        if (spaced && i > 0 && i % 4 == 0)
            put_c(o, ' ');
        put_c(o, full[i]);
    }
}

/* ---------------------------------------------------------------------------------- network */

static void fake_ipv4(out *o, synth_rng *r)
{
    static const char *const nets[] = {"192.0.2.", "198.51.100.", "203.0.113."};
    put_s(o, nets[synth_rng_below(r, 3)]);
    put_num(o, (unsigned)(1 + synth_rng_below(r, 254)), 1);
}

static void fake_ipv6(out *o, synth_rng *r, const char *like)
{
    size_t n = like_len(like);
    int upper = 0;
    for (size_t i = 0; i < n; i++)
        upper |= like[i] >= 'A' && like[i] <= 'F';
    put_s(o, upper ? "2001:DB8" : "2001:db8");
    /* six non-zero groups: no zero run, so the text is already in RFC 5952 canonical form */
    for (int i = 0; i < 6; i++) {
        put_c(o, ':');
        put_hex(o, (unsigned)(1 + synth_rng_below(r, 0xffff)), 1, upper);
    }
}

static void fake_mac(out *o, synth_rng *r, const char *like)
{
    size_t n = like_len(like);
    int upper = 0;
    for (size_t i = 0; i < n; i++)
        upper |= like[i] >= 'A' && like[i] <= 'F';
    char sep = ':';
    int cisco = 0;
    if (n > 0) {
        if (memchr(like, '-', n) != NULL)
            sep = '-';
        else if (memchr(like, '.', n) != NULL)
            cisco = 1;
        else if (memchr(like, ':', n) == NULL)
            sep = '\0';
    }
    static const unsigned la[4] = {0x2, 0x6, 0xa, 0xe};
    unsigned b[6];
    b[0] = ((unsigned)synth_rng_below(r, 16) << 4) | la[synth_rng_below(r, 4)];
    for (int i = 1; i < 6; i++)
        b[i] = (unsigned)synth_rng_below(r, 256);
    for (int i = 0; i < 6; i++) {
        if (cisco && (i == 2 || i == 4))
            put_c(o, '.');
        else if (!cisco && i > 0 && sep)
            put_c(o, sep);
        put_hex(o, b[i], 2, upper);
    }
}

/* ---------------------------------------------------------------------------------- dates */

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long yy = (long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

/* Reads up to 4 digits at like[*i]; returns the count read and the value in *v. */
static int read_num(const char *s, size_t n, size_t *i, unsigned *v)
{
    int k = 0;
    *v = 0;
    while (*i < n && is_digit(s[*i]) && k < 5) {
        *v = *v * 10 + (unsigned)(s[*i] - '0');
        (*i)++;
        k++;
    }
    return k;
}

static void fake_dob(out *o, synth_rng *r, const char *like)
{
    long lo = days_from_civil(1940, 1, 1), hi = days_from_civil(2005, 12, 31);
    long z = lo + (long)synth_rng_below(r, (uint64_t)(hi - lo + 1));
    long y;
    unsigned m, d;
    civil_from_days(z, &y, &m, &d);

    /* layout: 'Y' year first, 'M' month/day/year, 'D' day/month/year */
    char layout = 'Y', sep = '-';
    size_t n = like_len(like), i = 0;
    unsigned a, b, c;
    while (i < n && like[i] == ' ')
        i++;
    int ka = read_num(like, n, &i, &a);
    if (ka > 0 && i < n && (like[i] == '-' || like[i] == '/' || like[i] == '.')) {
        char s1 = like[i++];
        int kb = read_num(like, n, &i, &b);
        if (kb > 0 && i < n && like[i] == s1) {
            i++;
            int kc = read_num(like, n, &i, &c);
            if (ka == 4 && kb <= 2 && kc > 0 && kc <= 2) {
                layout = 'Y';
                sep = s1;
            } else if (ka <= 2 && kb <= 2 && kc == 4) {
                sep = s1;
                if (s1 == '.')
                    layout = 'D';
                else if (s1 == '/')
                    layout = a > 12 ? 'D' : 'M';
                else
                    layout = b > 12 ? 'M' : 'D';
            }
        }
    }
    if (layout == 'Y') {
        put_num(o, (unsigned)y, 4);
        put_c(o, sep);
        put_num(o, m, 2);
        put_c(o, sep);
        put_num(o, d, 2);
    } else {
        put_num(o, layout == 'M' ? m : d, 2);
        put_c(o, sep);
        put_num(o, layout == 'M' ? d : m, 2);
        put_c(o, sep);
        put_num(o, (unsigned)y, 4);
    }
}

/* ---------------------------------------------------------------------------------- names, postal */

static void fake_person(out *o, synth_rng *r, const char *like)
{
    const char *first = first_names[synth_rng_below(r, N_FIRST)];
    const char *last = last_names[synth_rng_below(r, N_LAST)];
    size_t n = like_len(like);
    int comma = n > 0 && memchr(like, ',', n) != NULL;
    int upper = n > 0, lower = n > 0;
    for (size_t i = 0; i < n; i++) {
        upper &= !is_lower(like[i]);
        lower &= !is_upper(like[i]);
    }
    size_t start = o->len;
    if (comma) {
        put_s(o, last);
        put_s(o, ", ");
        put_s(o, first);
    } else {
        put_s(o, first);
        put_c(o, ' ');
        put_s(o, last);
    }
    if (upper != lower) { /* like is all upper or all lower case */
        for (size_t i = start; i < o->len; i++) {
            char ch = o->buf[i];
            o->buf[i] = upper ? to_upper(ch) : is_upper(ch) ? (char)(ch - 'A' + 'a') : ch;
        }
    }
}

static void fake_postal(out *o, synth_rng *r, const char *like)
{
    size_t n = like_len(like), s = 0;
    while (s < n && like[s] == ' ')
        s++;
    int uk = 0; /* US ZIPs are all digits; a letter means a UK-style postcode */
    for (size_t i = s; i < n; i++)
        uk |= is_upper(to_upper(like[i]));
    if (uk) {
        /* outward: A9, A99, AA9, AA99, A9A or AA9A; inward: 9AA (Royal Mail letter rules) */
        static const char l1[] = "ABCDEFGHIJKLMNOPRSTUWYZ", l2[] = "ABCDEFGHKLMNOPQRSTUVWXY",
                          l3[] = "ABCDEFGHJKPSTUW", l4[] = "ABEHMNPRVWXY", in[] = "ABDEFGHJLNPQRSTUWXYZ";
        int fmt = (int)synth_rng_below(r, 6);
        put_c(o, pick_char(r, l1));
        if (fmt == 2 || fmt == 3 || fmt == 5)
            put_c(o, pick_char(r, l2));
        put_c(o, (char)('1' + synth_rng_below(r, 9)));
        if (fmt == 1 || fmt == 3)
            put_c(o, (char)('0' + synth_rng_below(r, 10)));
        if (fmt == 4)
            put_c(o, pick_char(r, l3));
        if (fmt == 5)
            put_c(o, pick_char(r, l4));
        if (memchr(like + s, ' ', n - s) != NULL)
            put_c(o, ' ');
        put_c(o, (char)('0' + synth_rng_below(r, 10)));
        put_c(o, pick_char(r, in));
        put_c(o, pick_char(r, in));
        return;
    }
    put_num(o, (unsigned)(501 + synth_rng_below(r, 99950 - 501 + 1)), 5);
    if (n > 0 && memchr(like, '-', n) != NULL) {
        put_c(o, '-');
        put_num(o, (unsigned)(1 + synth_rng_below(r, 9999)), 4);
    }
}

/* ---------------------------------------------------------------------------------- entry point */

size_t synth_pii_fake(synth_pii_entity e, uint64_t seed, uint64_t row, uint32_t stream, const char *like,
                      char *buf)
{
    out o = {buf, 0};
    synth_rng r;
    synth_rng_init(&r, seed, row, stream);
    switch (e) {
    case SYNTH_PII_EMAIL: fake_email(&o, &r); break;
    case SYNTH_PII_PHONE: fake_phone(&o, &r, like); break;
    case SYNTH_PII_SSN: fake_ssn(&o, &r, like); break;
    case SYNTH_PII_CARD: fake_card(&o, &r, like); break;
    case SYNTH_PII_IBAN: fake_iban(&o, &r, like); break;
    case SYNTH_PII_IPV4: fake_ipv4(&o, &r); break;
    case SYNTH_PII_IPV6: fake_ipv6(&o, &r, like); break;
    case SYNTH_PII_MAC: fake_mac(&o, &r, like); break;
    case SYNTH_PII_URL: fake_url(&o, &r); break;
    case SYNTH_PII_DATE_OF_BIRTH: fake_dob(&o, &r, like); break;
    case SYNTH_PII_PERSON: fake_person(&o, &r, like); break;
    case SYNTH_PII_POSTAL_CODE: fake_postal(&o, &r, like); break;
    case SYNTH_PII_ENTITY_COUNT:
    default: break;
    }
    return finish(&o);
}

/* ---------------------------------------------------------------------------------- validators */

int synth_pii_luhn_ok(const char *digits, size_t n)
{
    if (digits == NULL)
        return 0;
    unsigned sum = 0;
    size_t k = 0;
    for (size_t i = n; i-- > 0;) {
        char c = digits[i];
        if (c == ' ' || c == '-') {
            if (i == 0 || i == n - 1 || !is_digit(digits[i - 1]) || !is_digit(digits[i + 1]))
                return 0;
            continue;
        }
        if (!is_digit(c))
            return 0;
        unsigned v = (unsigned)(c - '0');
        if (k % 2 == 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
        k++;
    }
    return k >= 2 && sum % 10 == 0;
}

static int iban_known_length(char a, char b, size_t *len)
{
    for (size_t i = 0; i < N_IBAN_COUNTRIES; i++) {
        if (iban_countries[i].cc[0] == a && iban_countries[i].cc[1] == b) {
            *len = strlen(iban_countries[i].bban) + 4;
            return 1;
        }
    }
    return 0;
}

int synth_pii_iban_ok(const char *s, size_t len)
{
    if (s == NULL)
        return 0;
    char t[34];
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ' ') {
            if (i == 0 || i == len - 1 || s[i - 1] == ' ')
                return 0;
            continue;
        }
        c = to_upper(c);
        if (!is_digit(c) && !is_upper(c))
            return 0;
        if (k == sizeof t)
            return 0;
        t[k++] = c;
    }
    if (k < 15 || !is_upper(t[0]) || !is_upper(t[1]) || !is_digit(t[2]) || !is_digit(t[3]))
        return 0;
    size_t want;
    if (iban_known_length(t[0], t[1], &want) && want != k)
        return 0;
    return iban_mod97(t, t + 2, t + 4, k - 4) == 1;
}

int synth_pii_ssn_ok(const char *s, size_t len)
{
    if (s == NULL)
        return 0;
    char d[9];
    if (len == 9) {
        memcpy(d, s, 9);
    } else if (len == 11 && (s[3] == '-' || s[3] == ' ') && s[6] == s[3]) {
        memcpy(d, s, 3);
        memcpy(d + 3, s + 4, 2);
        memcpy(d + 5, s + 7, 4);
    } else {
        return 0;
    }
    for (int i = 0; i < 9; i++)
        if (!is_digit(d[i]))
            return 0;
    if (memcmp(d, "000", 3) == 0 || memcmp(d, "666", 3) == 0 || d[0] == '9')
        return 0;
    if (memcmp(d + 3, "00", 2) == 0 || memcmp(d + 5, "0000", 4) == 0)
        return 0;
    return 1;
}

/* ---------------------------------------------------------------------------------- chance */

static int word_eq_ci(const char *w, size_t n, const char *ref)
{
    size_t k = 0;
    for (; k < n && ref[k] != '\0'; k++)
        if (to_upper(w[k]) != to_upper(ref[k]))
            return 0;
    return k == n && ref[k] == '\0';
}

static int in_list(const char *w, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (word_eq_ci(w, n, list[i]))
            return 1;
    return 0;
}

/* "First Last" or "Last, First" with both words from the fake lists. */
static int fake_person_shape(const char *s, size_t len)
{
    const char *w[3];
    size_t wl[3], nw = 0;
    int comma = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && (s[i] == ' ' || s[i] == ','))
            comma |= s[i++] == ',';
        size_t a = i;
        while (i < len && s[i] != ' ' && s[i] != ',')
            i++;
        if (i > a) {
            if (nw == 2)
                return 0;
            w[nw] = s + a;
            wl[nw++] = i - a;
        }
    }
    if (nw != 2)
        return 0;
    size_t f = comma ? 1 : 0, l = comma ? 0 : 1;
    return in_list(w[f], wl[f], first_names, N_FIRST) && in_list(w[l], wl[l], last_names, N_LAST);
}

static int ends_with_ci(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && word_eq_ci(s + len - n, n, suffix);
}

double synth_pii_fake_domain(synth_pii_entity e, const char *s, size_t len)
{
    char d[40];
    size_t nd = 0;
    for (size_t i = 0; i < len; i++)
        if (is_digit(s[i]) && nd < sizeof d)
            d[nd++] = s[i];
    switch (e) {
    case SYNTH_PII_EMAIL:   /* 2-3 of 48 syllables, optional second word and number: over 1e10 */
        return ends_with_ci(s, len, "@example.com") || ends_with_ci(s, len, "@example.org") ||
                       ends_with_ci(s, len, "@example.net")
                   ? 1e10
                   : 0;
    case SYNTH_PII_URL:
        return len >= 24 && word_eq_ci(s, 24, "https://www.example.com/") ? 1e10 : 0;
    case SYNTH_PII_PHONE:   /* NANP: 712 area codes x 555-0100..0199; UK drama range: 1000 */
        if (nd >= 10 && memcmp(d + nd - 10, "7700900", 7) == 0)
            return 1000;
        if (nd >= 7 && memcmp(d + nd - 7, "55501", 5) == 0)
            return 712.0 * 100;
        return 0;
    case SYNTH_PII_SSN:     /* every rule-valid number: areas 1-899 but 666, groups 1-99, serials */
        return nd == 9 ? 898.0 * 99 * 9999 : 0;
    case SYNTH_PII_CARD: {  /* test BINs; 15-digit Amex has 8 free digits, the others >= 9 (16) */
        static const char *const bins[] = {"411111", "424242", "555555", "222300", "378282", "601111"};
        if (nd < 13)
            return 0;
        for (size_t i = 0; i < sizeof bins / sizeof bins[0]; i++)
            if (memcmp(d, bins[i], 6) == 0)
                return nd == 15 ? 1e8 : nd == 13 ? 1e6 : 1e9;
        return 0;
    }
    case SYNTH_PII_IBAN: {  /* the countries fakes use; random BBAN digits: >= 1e10 each */
        size_t i = 0;
        while (i < len && s[i] == ' ')
            i++;
        if (len - i < 2)
            return 0;
        for (size_t k = 0; k < N_IBAN_COUNTRIES; k++)
            if (to_upper(s[i]) == iban_countries[k].cc[0] && to_upper(s[i + 1]) == iban_countries[k].cc[1])
                return 1e10;
        return 0;
    }
    case SYNTH_PII_IPV4: {  /* 3 documentation /24 nets, hosts 1-254 */
        static const char *const nets[] = {"192.0.2.", "198.51.100.", "203.0.113."};
        for (size_t i = 0; i < 3; i++) {
            size_t n = strlen(nets[i]);
            if (len > n && memcmp(s, nets[i], n) == 0)
                return 3.0 * 254;
        }
        return 0;
    }
    case SYNTH_PII_IPV6:    /* 2001:db8: + six random non-zero groups */
        return len >= 9 && word_eq_ci(s, 9, "2001:db8:") ? 7.9e28 : 0;
    case SYNTH_PII_MAC: {   /* locally administered unicast: 46 random bits */
        int c = len >= 2 ? to_upper(s[1]) : 0;
        return c == '2' || c == '6' || c == 'A' || c == 'E' ? 7.0e13 : 0;
    }
    case SYNTH_PII_DATE_OF_BIRTH:   /* one day of 1940-01-01..2005-12-31 */
        return 24106;
    case SYNTH_PII_PERSON:
        return fake_person_shape(s, len) ? (double)(N_FIRST * N_LAST) : 0;
    case SYNTH_PII_POSTAL_CODE: {
        int letters = 0;
        for (size_t i = 0; i < len; i++)
            letters |= is_upper(to_upper(s[i])) && !is_digit(s[i]);
        if (letters)   /* UK: the smallest of 6 equally likely formats, A9 9AA: 6 x 207 x 4000 */
            return 6.0 * 207 * 4000;
        if (nd == 5 || nd == 9) {
            unsigned v = 0;
            for (size_t i = 0; i < 5; i++)
                v = v * 10 + (unsigned)(d[i] - '0');
            if (v < 501 || v > 99950)
                return 0;
            return nd == 5 ? 99450.0 : 99450.0 * 9999;
        }
        return 0;
    }
    case SYNTH_PII_ENTITY_COUNT:
    default:
        return 0;
    }
}
