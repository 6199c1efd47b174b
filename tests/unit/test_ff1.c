/* test_ff1.c -- unit tests of ff1.c: NIST SP 800-38G FF1 samples 1-9 (AES-128/192/256, radix 10
 * and 36, with and without tweak), encrypt/decrypt round trips over many radixes and lengths,
 * the Rev. 1 small-domain refusal, argument checks and allocation failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "ff1.h"

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = hex[2 * i + (size_t)k];
            v = v * 16 + (unsigned)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
        }
        out[i] = (uint8_t)v;
    }
    return n;
}

#define K128 "2B7E151628AED2A6ABF7158809CF4F3C"
#define K192 K128 "EF4359D8D580AA4F"
#define K256 K192 "7F036D6F04FC6A94"
#define T1 "39383736353433323130"
#define T2 "3737373770717273373737"
#define P10 "0123456789"
#define P36 "0123456789abcdefghi"

static const struct {
    const char *key, *tweak, *pt, *ct;
    unsigned radix;
} samples[] = {
    {K128, "", P10, "2433477484", 10},           {K128, T1, P10, "6124200773", 10},
    {K128, T2, P36, "a9tv40mll9kdu509eum", 36},  {K192, "", P10, "2830668132", 10},
    {K192, T1, P10, "2496655549", 10},           {K192, T2, P36, "xbj3kv35jrawxv32ysr", 36},
    {K256, "", P10, "6657667009", 10},           {K256, T1, P10, "1001623463", 10},
    {K256, T2, P36, "xs8a0azh2avyalyzuwd", 36},
};

static void nist_samples(int general_only, int use_evp)
{
    for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
        uint8_t key[32], tweak[32];
        size_t klen = unhex(samples[s].key, key), tlen = unhex(samples[s].tweak, tweak);
        synth_ff1 *f = NULL;
        synth_err err;
        assert_int_equal(synth_ff1_new(&f, key, klen, samples[s].radix, &err), 0);
        synth_ff1__general_only(f, general_only);
        synth_ff1__use_evp(f, use_evp);
        char ct[64], pt[64];
        assert_int_equal(synth_ff1_encrypt_str(f, samples[s].pt, tweak, tlen, ct, &err), 0);
        if (strcmp(ct, samples[s].ct) != 0)
            fail_msg("NIST sample %zu (%s path, %s): got %s, want %s", s + 1, general_only ? "general" : "64-bit",
                     use_evp ? "EVP" : "AES-NI if present", ct, samples[s].ct);
        assert_int_equal(synth_ff1_decrypt_str(f, ct, tweak, tlen, pt, &err), 0);
        assert_string_equal(pt, samples[s].pt);
        synth_ff1_free(f);
    }
}

/* Both arithmetic paths (64-bit fast path and general big integers) and both AES paths (AES-NI
 * and OpenSSL EVP) must reproduce NIST. */
static void test_nist_samples(void **state)
{
    (void)state;
    for (int g = 0; g < 2; g++)
        for (int e = 0; e < 2; e++)
            nist_samples(g, e);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static void test_round_trips(void **state)
{
    (void)state;
    static const unsigned radixes[] = {2, 3, 7, 10, 16, 26, 36, 62, 255, 256, 1000, 40000, 65535, 65536};
    uint8_t key[32];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 37 + 11);
    static const size_t klens[] = {16, 24, 32};
    for (size_t ri = 0; ri < sizeof radixes / sizeof radixes[0]; ri++) {
        for (size_t ki = 0; ki < 3; ki++) {
            synth_ff1 *f = NULL;
            synth_err err;
            assert_int_equal(synth_ff1_new(&f, key, klens[ki], radixes[ri], &err), 0);
            for (size_t n = 2; n <= SYNTH_FF1_MAX_LEN; n += (n < 40 ? 1 : 37)) {
                if (synth_ff1_check_length(f, n, &err) != 0)
                    continue;
                uint16_t x[SYNTH_FF1_MAX_LEN], y[SYNTH_FF1_MAX_LEN], z[SYNTH_FF1_MAX_LEN];
                for (size_t k = 0; k < n; k++)
                    x[k] = (uint16_t)(rnd() % radixes[ri]);
                uint8_t tweak[40];
                size_t tlen = rnd() % sizeof tweak;
                for (size_t k = 0; k < tlen; k++)
                    tweak[k] = (uint8_t)rnd();
                assert_int_equal(synth_ff1_encrypt(f, x, n, tweak, tlen, y, &err), 0);
                for (size_t k = 0; k < n; k++)
                    assert_true(y[k] < radixes[ri]);
                assert_int_not_equal(memcmp(x, y, n * sizeof *x), 0);
                assert_int_equal(synth_ff1_decrypt(f, y, n, tweak, tlen, z, &err), 0);
                assert_memory_equal(x, z, n * sizeof *x);
                /* the general path agrees with the fast path */
                synth_ff1__general_only(f, 1);
                synth_ff1__use_evp(f, (int)(n % 2));
                assert_int_equal(synth_ff1_encrypt(f, x, n, tweak, tlen, z, &err), 0);
                assert_memory_equal(y, z, n * sizeof *x);
                synth_ff1__general_only(f, 0);
                synth_ff1__use_evp(f, 0);
                /* a different tweak gives a different ciphertext */
                tweak[0] ^= 1;
                assert_int_equal(synth_ff1_encrypt(f, x, n, tweak, tlen > 0 ? tlen : 1, z, &err), 0);
                assert_int_not_equal(memcmp(y, z, n * sizeof *x), 0);
            }
            synth_ff1_free(f);
        }
    }
}

static void test_small_domain_refused(void **state)
{
    (void)state;
    uint8_t key[16] = {0};
    synth_ff1 *f = NULL;
    synth_err err;
    assert_int_equal(synth_ff1_new(&f, key, 16, 10, &err), 0);
    char out[32];
    assert_int_equal(synth_ff1_encrypt_str(f, "12345", NULL, 0, out, &err), SYNTH_USAGE);
    assert_non_null(strstr(err.msg, "1,000,000"));
    assert_int_equal(synth_ff1_encrypt_str(f, "123456", NULL, 0, out, &err), 0);
    assert_int_equal(strlen(out), 6);
    assert_int_equal(synth_ff1_check_length(f, 1, &err), SYNTH_USAGE);
    assert_int_equal(synth_ff1_check_length(f, SYNTH_FF1_MAX_LEN + 1, &err), SYNTH_USAGE);
    synth_ff1_free(f);
    /* radix 2: 19 bits are too few (524288), 20 are enough (1048576) */
    assert_int_equal(synth_ff1_new(&f, key, 16, 2, &err), 0);
    assert_int_equal(synth_ff1_check_length(f, 19, &err), SYNTH_USAGE);
    assert_int_equal(synth_ff1_check_length(f, 20, &err), 0);
    synth_ff1_free(f);
    /* radix 65536: 2 numerals are enough */
    assert_int_equal(synth_ff1_new(&f, key, 16, 65536, &err), 0);
    assert_int_equal(synth_ff1_check_length(f, 2, &err), 0);
    synth_ff1_free(f);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    uint8_t key[32] = {0};
    synth_ff1 *f = (synth_ff1 *)&f;
    synth_err err;
    assert_int_equal(synth_ff1_new(&f, key, 20, 10, &err), SYNTH_USAGE);
    assert_null(f);
    assert_non_null(strstr(err.msg, "16, 24 or 32"));
    assert_int_equal(synth_ff1_new(&f, key, 16, 1, &err), SYNTH_USAGE);
    assert_int_equal(synth_ff1_new(&f, key, 16, 65537, &err), SYNTH_USAGE);
    assert_int_equal(synth_ff1_new(&f, key, 16, 10, &err), 0);
    char out[32];
    assert_int_equal(synth_ff1_encrypt_str(f, "12345a789", NULL, 0, out, &err), SYNTH_USAGE);
    uint16_t x[8] = {1, 2, 3, 4, 5, 6, 7, 10};
    assert_int_equal(synth_ff1_encrypt(f, x, 8, NULL, 0, x, &err), SYNTH_USAGE);
    uint8_t big[SYNTH_FF1_MAX_TWEAK + 1] = {0};
    x[7] = 9;
    assert_int_equal(synth_ff1_encrypt(f, x, 8, big, sizeof big, x, &err), SYNTH_USAGE);
    synth_ff1_free(f);
    synth_ff1_free(NULL);
}

/* synth_ff1_encrypt_many gives the same numerals as one synth_ff1_encrypt per message, for every
 * key size, several radices, lengths (64-bit and big-integer paths), tweak lengths (whole and
 * partial blocks), counts around the lane width, and through EVP; and reports the same errors. */
static void test_encrypt_many(void **state)
{
    (void)state;
    static const unsigned radices[] = {10, 2, 36, 1000};
    static const size_t lens[] = {6, 7, 16, 19, 20, 40};
    static const size_t tlens[] = {0, 5, 16, 27};
    static const size_t counts[] = {1, 2, 7, 8, 9, 17};
    uint8_t key[32], tweak[32];
    for (int i = 0; i < 32; i++) {
        key[i] = (uint8_t)(i * 29 + 3);
        tweak[i] = (uint8_t)(i * 13 + 1);
    }
    uint32_t seed = 12345;
    uint16_t in[17 * 40], one[17 * 40], many[17 * 40];
    synth_err err;
    for (size_t kl = 16; kl <= 32; kl += 8) {
        for (size_t ri = 0; ri < sizeof radices / sizeof radices[0]; ri++) {
            synth_ff1 *f = NULL;
            assert_int_equal(synth_ff1_new(&f, key, kl, radices[ri], &err), 0);
            for (int evp = 0; evp < 2; evp++) {
                synth_ff1__use_evp(f, evp);
                for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
                    size_t n = lens[li];
                    if (synth_ff1_check_length(f, n, &err) != 0)
                        continue;
                    for (size_t ti = 0; ti < sizeof tlens / sizeof tlens[0]; ti++) {
                        for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
                            size_t c = counts[ci];
                            for (size_t i = 0; i < c * n; i++) {
                                seed = seed * 1103515245u + 12345u;
                                in[i] = (uint16_t)((seed >> 8) % radices[ri]);
                            }
                            for (size_t k = 0; k < c; k++)
                                assert_int_equal(synth_ff1_encrypt(f, in + k * n, n, tweak, tlens[ti], one + k * n, &err), 0);
                            assert_int_equal(synth_ff1_encrypt_many(f, in, n, c, tweak, tlens[ti], many, &err), 0);
                            assert_memory_equal(one, many, c * n * sizeof *one);
                            /* in place */
                            assert_int_equal(synth_ff1_encrypt_many(f, in, n, c, tweak, tlens[ti], in, &err), 0);
                            assert_memory_equal(one, in, c * n * sizeof *one);
                        }
                    }
                }
            }
            /* errors: a small domain, a numeral out of range in a later message */
            uint16_t bad[3 * 20] = {0};
            assert_int_equal(synth_ff1_encrypt_many(f, bad, radices[ri] == 10 ? 5 : 1, 3, NULL, 0, bad, &err), SYNTH_USAGE);
            bad[20 + 3] = (uint16_t)radices[ri];
            assert_int_equal(synth_ff1_encrypt_many(f, bad, 20, 3, NULL, 0, bad, &err), SYNTH_USAGE);
            assert_non_null(strstr(err.msg, "position 4"));
            synth_ff1_free(f);
        }
    }
}

static void test_alloc_failure(void **state)
{
    (void)state;
    uint8_t key[16] = {0};
    synth_ff1 *f = NULL;
    synth_err err;
    synth_alloc_fail_after(0, 1);
    int rc = synth_ff1_new(&f, key, 16, 10, &err);
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(rc, SYNTH_NOMEM);
    assert_null(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_samples),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_small_domain_refused),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_encrypt_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
