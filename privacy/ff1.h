/* ff1.h -- FF1 format-preserving encryption (NIST SP 800-38G Rev. 1) with AES from OpenSSL.
 *
 * Encrypts a string of n numerals in base `radix` (2..65536) to another string of n numerals in
 * the same base, under an AES-128/192/256 key and an optional tweak.  Implements Algorithms 7
 * (FF1.Encrypt) and 8 (FF1.Decrypt) exactly, so it reproduces NIST's published samples; the PRF
 * is AES-CBC-MAC with a zero IV.  As Rev. 1 requires, domains with radix^n < 1,000,000 are
 * refused (SYNTH_USAGE).  Numbers are handled by a small fixed-size big integer, so there is no
 * allocation after synth_ff1_new.  A synth_ff1 object holds an OpenSSL cipher context (and, for
 * the AES-NI path, the expanded key, wiped on free): one thread at a time (make one per thread).
 * The key never appears in an error message. */
#ifndef SYNTH_FF1_H
#define SYNTH_FF1_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SYNTH_FF1_MIN_RADIX 2u
#define SYNTH_FF1_MAX_RADIX 65536u
#define SYNTH_FF1_MAX_LEN 256u       /* numerals per message (this implementation's limit) */
#define SYNTH_FF1_MAX_TWEAK 256u     /* bytes */
#define SYNTH_FF1_MIN_DOMAIN 1000000u

typedef struct synth_ff1 synth_ff1;

/* Make an FF1 cipher for `radix` with a 16-, 24- or 32-byte AES key.  SYNTH_USAGE for a bad key
 * length or radix, SYNTH_NOMEM, SYNTH_INTERNAL when OpenSSL fails. */
int synth_ff1_new(synth_ff1 **out, const uint8_t *key, size_t keylen, unsigned radix, synth_err *err);
void synth_ff1_free(synth_ff1 *f);
unsigned synth_ff1_radix(const synth_ff1 *f);
/* Test hook: on != 0 makes every message take the general big-integer path. */
void synth_ff1__general_only(synth_ff1 *f, int on);
/* Test hook: on != 0 encrypts blocks through OpenSSL's EVP even where AES-NI is available. */
void synth_ff1__use_evp(synth_ff1 *f, int on);

/* 0 when n numerals of this radix form an allowed domain (2 <= n <= SYNTH_FF1_MAX_LEN and
 * radix^n >= 10^6); otherwise SYNTH_USAGE with the reason in err. */
int synth_ff1_check_length(const synth_ff1 *f, size_t n, synth_err *err);

/* Encrypt / decrypt in[0..n) (each numeral < radix) into out[0..n) (may equal in).  tweak may be
 * NULL when tlen is 0.  SYNTH_USAGE for a refused domain, a numeral out of range or a tweak over
 * SYNTH_FF1_MAX_TWEAK bytes; SYNTH_INTERNAL when OpenSSL fails. */
int synth_ff1_encrypt(synth_ff1 *f, const uint16_t *in, size_t n, const uint8_t *tweak, size_t tlen,
                      uint16_t *out, synth_err *err);
int synth_ff1_decrypt(synth_ff1 *f, const uint16_t *in, size_t n, const uint8_t *tweak, size_t tlen,
                      uint16_t *out, synth_err *err);

/* Encrypt `count` messages of n numerals each, stored one after another in in[0..count*n), into
 * out (may equal in; same layout), all under the same tweak: the same results as count calls of
 * synth_ff1_encrypt, but with AES-NI several messages go through AES at once, which is several
 * times faster.  Errors as synth_ff1_encrypt (the first failing message's); out is then
 * unspecified. */
int synth_ff1_encrypt_many(synth_ff1 *f, const uint16_t *in, size_t n, size_t count, const uint8_t *tweak,
                           size_t tlen, uint16_t *out, synth_err *err);

/* Convenience over text with radix <= 36 and the alphabet "0123456789abcdefghijklmnopqrstuvwxyz"
 * (upper-case letters read as lower case): in and out are NUL-terminated, out has room for
 * strlen(in)+1 bytes.  SYNTH_USAGE for a character outside the first `radix` symbols. */
int synth_ff1_encrypt_str(synth_ff1 *f, const char *in, const uint8_t *tweak, size_t tlen, char *out,
                          synth_err *err);
int synth_ff1_decrypt_str(synth_ff1 *f, const char *in, const uint8_t *tweak, size_t tlen, char *out,
                          synth_err *err);

#endif
