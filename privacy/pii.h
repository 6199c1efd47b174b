/* pii.h -- personal data (PII): the entity types synth recognizes, and format-valid fake values.
 *
 * Shared by the detector (pii_detect.c: which cells and columns hold PII), the masking operators
 * (pii_mask.c: synthetic replacement) and generation (PII columns get fresh fakes instead of
 * learned categories).  A fake is a pure function of (seed, row, column stream) through the
 * counter-based RNG, passes the same validators as real values (Luhn and issuer prefixes for
 * cards, mod-97 for IBAN, SSN issuance rules, ...) and uses reserved or test ranges where they
 * exist (example.com mail domains, 555-01xx phone numbers, card test BINs, documentation IPs).
 * Thread-safe; no allocation. */
#ifndef SYNTH_PII_H
#define SYNTH_PII_H

#include <stddef.h>
#include <stdint.h>

#define SYNTH_PII_ENTITIES(X)                                   \
    X(EMAIL, "email")                                           \
    X(PHONE, "phone")                                           \
    X(SSN, "us_ssn")                                            \
    X(CARD, "credit_card")                                      \
    X(IBAN, "iban")                                             \
    X(IPV4, "ipv4")                                             \
    X(IPV6, "ipv6")                                             \
    X(MAC, "mac_address")                                       \
    X(URL, "url")                                               \
    X(DATE_OF_BIRTH, "date_of_birth")                           \
    X(PERSON, "person_name")                                    \
    X(POSTAL_CODE, "postal_code")

typedef enum synth_pii_entity {
#define SYNTH__PII_ENUM(name, text) SYNTH_PII_##name,
    SYNTH_PII_ENTITIES(SYNTH__PII_ENUM)
#undef SYNTH__PII_ENUM
    SYNTH_PII_ENTITY_COUNT
} synth_pii_entity;

#define SYNTH_PII_TEXT_MAX 96   /* buffer size that fits any fake value */

/* "email", "credit_card", ...; NULL for an out-of-range value. */
const char *synth_pii_entity_name(synth_pii_entity e);
/* Returns -1 for an unknown name. */
int synth_pii_entity_parse(const char *name, synth_pii_entity *e);

/* Write a fresh, format-valid fake value of entity e for (seed, row, stream) into buf (at least
 * SYNTH_PII_TEXT_MAX bytes, NUL-terminated).  `like` (may be NULL) is a real value whose shape
 * the fake should follow where that matters (phone punctuation, card length, IBAN country,
 * postal-code pattern); it is never copied.  Returns the length. */
size_t synth_pii_fake(synth_pii_entity e, uint64_t seed, uint64_t row, uint32_t stream, const char *like,
                      char *buf);

/* Chance collisions.  How many distinct values synth_pii_fake can write for entity e in the
 * layout of s[0..len): returns that domain size D (so a fresh fake equals s with probability at
 * most 1/D), or 0 when no fake of e can ever equal s (a phone outside 555-01xx and 07700 900xxx, a
 * card outside the test BINs, an e-mail outside example.com/.org/.net, a name not made of the fake
 * lists' words, an IPv4 outside the documentation ranges, ...).  Used by the leakage check to tell
 * a source value copied into the output from one a fake hit by chance.  Comparison ignores case
 * and, for digit formats, punctuation.  Can't fail. */
double synth_pii_fake_domain(synth_pii_entity e, const char *s, size_t len);

/* Validators (shared by the detector, the masking operators and the tests).  Each returns 1 when
 * the text passes, 0 otherwise; they never read past len/n and need no NUL.
 * synth_pii_luhn_ok: at least 2 digits whose Luhn checksum is 0; spaces and dashes between digits
 *   are skipped, any other character fails.
 * synth_pii_iban_ok: 2 letters (country, either case), 2 check digits, then letters/digits;
 *   single spaces between characters are skipped; 15..34 characters; the exact length for the
 *   countries synth knows (AT BE CH DE ES FR GB IT NL PL); ISO 13616 mod-97 remainder 1.
 * synth_pii_ssn_ok: "AAA-GG-SSSS", "AAA GG SSSS" or 9 digits, with the issuance rules: area not
 *   000, 666 or 900-999, group not 00, serial not 0000. */
int synth_pii_luhn_ok(const char *digits, size_t n);
int synth_pii_iban_ok(const char *s, size_t len);
int synth_pii_ssn_ok(const char *s, size_t len);

#endif
