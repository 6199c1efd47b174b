/* ff1.c -- FF1 format-preserving encryption (NIST SP 800-38G Rev. 1, Algorithms 7 and 8).
 *
 * Notation follows the standard: X is split into A (u = floor(n/2) numerals) and B (v = n - u);
 * b = ceil(ceil(v*log2(radix))/8) is the byte length of NUM_radix(B), computed exactly as the byte
 * length of radix^v - 1; d = 4*ceil(b/4) + 4.  Each of the 10 Feistel rounds computes
 * R = PRF(P || Q) (AES-CBC-MAC, zero IV), stretches it to d bytes S, and adds y = NUM(S) to
 * NUM_radix(A) modulo radix^m.  The modular addition is done digit-wise in base radix: only the
 * low m base-radix digits of y matter, so y is reduced by repeated division by the radix and then
 * added to (or, decrypting, subtracted from) the numerals of A with a carry that falls off the
 * top.  The CBC-MAC state after P and the tweak's whole blocks is computed once per message.
 * Big integers are little-endian arrays of 32-bit limbs on the stack.  Blocks are encrypted with
 * AES-NI when the CPU has it (key expanded here per FIPS-197, cleansed on free) and through
 * OpenSSL's EVP otherwise; both paths are checked against the NIST samples.  When radix^v <= 2^63
 * (e.g. up to 36 decimal digits) a fast path keeps NUM_radix(A) and NUM_radix(B) as 64-bit
 * integers through the rounds instead (the same arithmetic, checked against the same vectors). */
#include "ff1.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <wmmintrin.h>
#define FF1_HAVE_AESNI 1
#endif

#include "alloc.h"

#define BN_LIMBS 80   /* >= (SYNTH_FF1_MAX_LEN/2 numerals * 16 bits + 8 bytes of d) / 32 */
#define Q_MAX (SYNTH_FF1_MAX_TWEAK + 16 + 1 + 260)

struct synth_ff1 {
    EVP_CIPHER_CTX *ctx;
    unsigned radix;
    int general_only;   /* test hook: skip the 64-bit fast path */
    int aesni;          /* 1: encrypt blocks with AES-NI and rk below; 0: through OpenSSL's EVP */
    int nr;             /* AES rounds (10, 12, 14) */
    uint8_t rk[15][16]; /* expanded key for the AES-NI path (FIPS-197 byte order) */
    size_t cached_n;    /* the length-dependent constants below were computed for this n (0: none) */
    size_t cached_b;
    uint64_t cached_mu, cached_mv;
    size_t base_n, base_tlen;   /* AES(P) was computed for this n and tweak length (< 16) (n 0: none) */
    uint8_t base[16];
};

typedef struct bn {
    uint32_t l[BN_LIMBS];
    size_t n;   /* limbs in use; the top one is nonzero unless n == 0 */
} bn;

static void bn_trim(bn *x)
{
    while (x->n > 0 && x->l[x->n - 1] == 0)
        x->n--;
}

/* x = x * mul + add (mul, add < 2^17). */
static void bn_muladd(bn *x, uint32_t mul, uint32_t add)
{
    uint64_t carry = add;
    for (size_t i = 0; i < x->n; i++) {
        uint64_t t = (uint64_t)x->l[i] * mul + carry;
        x->l[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry != 0 && x->n < BN_LIMBS)
        x->l[x->n++] = (uint32_t)carry;
}

/* x = x / div, returns x mod div (div <= 65536). */
static uint32_t bn_divmod(bn *x, uint32_t div)
{
    uint64_t rem = 0;
    for (size_t i = x->n; i-- > 0;) {
        uint64_t cur = (rem << 32) | x->l[i];
        x->l[i] = (uint32_t)(cur / div);
        rem = cur % div;
    }
    bn_trim(x);
    return (uint32_t)rem;
}

static void bn_from_numerals(bn *x, const uint16_t *s, size_t len, uint32_t radix)
{
    x->n = 0;
    for (size_t i = 0; i < len; i++)
        bn_muladd(x, radix, s[i]);
}

/* Big-endian, exactly len bytes (the value fits by construction). */
static void bn_to_bytes(const bn *x, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        size_t byte = i;   /* byte index from the least significant end */
        size_t limb = byte / 4;
        out[len - 1 - i] = limb < x->n ? (uint8_t)(x->l[limb] >> (8 * (byte % 4))) : 0;
    }
}

static void bn_from_bytes(bn *x, const uint8_t *in, size_t len)
{
    memset(x->l, 0, sizeof x->l);
    x->n = (len + 3) / 4;
    for (size_t i = 0; i < len; i++)
        x->l[i / 4] |= (uint32_t)in[len - 1 - i] << (8 * (i % 4));
    bn_trim(x);
}

static size_t bn_bits(const bn *x)
{
    if (x->n == 0)
        return 0;
    uint32_t top = x->l[x->n - 1];
    size_t bits = (x->n - 1) * 32;
    while (top != 0) {
        bits++;
        top >>= 1;
    }
    return bits;
}

/* Byte length of radix^v - 1. */
static size_t num_bytes(uint32_t radix, size_t v)
{
    bn x = {.n = 1};
    x.l[0] = 1;
    for (size_t i = 0; i < v; i++)
        bn_muladd(&x, radix, 0);
    /* subtract 1 */
    for (size_t i = 0; i < x.n; i++) {
        if (x.l[i]-- != 0)
            break;
    }
    bn_trim(&x);
    return (bn_bits(&x) + 7) / 8;
}

/* FIPS-197 key expansion (used only to feed AES-NI; OpenSSL keeps its own schedule).  The
 * S-box is generated from its definition (multiplicative inverse in GF(2^8) + affine map). */
static void aes_expand_key(const uint8_t *key, size_t keylen, uint8_t rk[15][16], int *nr)
{
    uint8_t sbox[256];
    uint8_t p = 1, q = 1;
    do {
        p = (uint8_t)(p ^ (p << 1) ^ ((p & 0x80) ? 0x1b : 0));
        q ^= (uint8_t)(q << 1);
        q ^= (uint8_t)(q << 2);
        q ^= (uint8_t)(q << 4);
        if (q & 0x80)
            q ^= 0x09;
        uint8_t x = (uint8_t)(q ^ (uint8_t)((q << 1) | (q >> 7)) ^ (uint8_t)((q << 2) | (q >> 6)) ^
                              (uint8_t)((q << 3) | (q >> 5)) ^ (uint8_t)((q << 4) | (q >> 4)));
        sbox[p] = (uint8_t)(x ^ 0x63);
    } while (p != 1);
    sbox[0] = 0x63;
    const size_t nk = keylen / 4;
    *nr = (int)nk + 6;
    const size_t words = 4 * ((size_t)*nr + 1);
    uint8_t w[60][4];
    memcpy(w, key, keylen);
    uint8_t rcon = 1;
    for (size_t i = nk; i < words; i++) {
        uint8_t t[4];
        memcpy(t, w[i - 1], 4);
        if (i % nk == 0) {
            uint8_t t0 = t[0];
            t[0] = (uint8_t)(sbox[t[1]] ^ rcon);
            t[1] = sbox[t[2]];
            t[2] = sbox[t[3]];
            t[3] = sbox[t0];
            rcon = (uint8_t)((rcon << 1) ^ ((rcon & 0x80) ? 0x1b : 0));
        } else if (nk > 6 && i % nk == 4) {
            for (int k = 0; k < 4; k++)
                t[k] = sbox[t[k]];
        }
        for (int k = 0; k < 4; k++)
            w[i][k] = (uint8_t)(w[i - nk][k] ^ t[k]);
    }
    memcpy(rk, w, words * 4);
    OPENSSL_cleanse(w, sizeof w);
}

#ifdef FF1_HAVE_AESNI
__attribute__((target("aes,sse2"))) static void aesni_block(const synth_ff1 *f, const uint8_t in[16], uint8_t out[16])
{
    __m128i st = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in), _mm_loadu_si128((const __m128i *)f->rk[0]));
    for (int r = 1; r < f->nr; r++)
        st = _mm_aesenc_si128(st, _mm_loadu_si128((const __m128i *)f->rk[r]));
    st = _mm_aesenclast_si128(st, _mm_loadu_si128((const __m128i *)f->rk[f->nr]));
    _mm_storeu_si128((__m128i *)out, st);
}
#endif

void synth_ff1__use_evp(synth_ff1 *f, int on)
{
#ifdef FF1_HAVE_AESNI
    f->aesni = !on && __builtin_cpu_supports("aes");
#else
    (void)on;
#endif
}

int synth_ff1_new(synth_ff1 **out, const uint8_t *key, size_t keylen, unsigned radix, synth_err *err)
{
    *out = NULL;
    const EVP_CIPHER *cipher = keylen == 16 ? EVP_aes_128_ecb()
                               : keylen == 24 ? EVP_aes_192_ecb()
                               : keylen == 32 ? EVP_aes_256_ecb()
                                              : NULL;
    if (cipher == NULL)
        return synth_err_set(err, SYNTH_USAGE, "FF1 key must be 16, 24 or 32 bytes (AES-128/192/256), got %zu",
                             keylen);
    if (radix < SYNTH_FF1_MIN_RADIX || radix > SYNTH_FF1_MAX_RADIX)
        return synth_err_set(err, SYNTH_USAGE, "FF1 radix must be between 2 and 65536, got %u", radix);
    synth_ff1 *f = synth_calloc(1, sizeof *f);
    if (f == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    f->radix = radix;
    f->ctx = EVP_CIPHER_CTX_new();
    if (f->ctx == NULL || EVP_EncryptInit_ex(f->ctx, cipher, NULL, key, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(f->ctx, 0) != 1) {
        synth_ff1_free(f);
        return synth_err_set(err, SYNTH_INTERNAL, "FF1: OpenSSL AES initialisation failed");
    }
    aes_expand_key(key, keylen, f->rk, &f->nr);
    synth_ff1__use_evp(f, 0);
    *out = f;
    return 0;
}

void synth_ff1_free(synth_ff1 *f)
{
    if (f == NULL)
        return;
    EVP_CIPHER_CTX_free(f->ctx);   /* cleanses OpenSSL's key schedule */
    OPENSSL_cleanse(f->rk, sizeof f->rk);
    OPENSSL_cleanse(f->base, sizeof f->base);
    synth_free(f);
}

void synth_ff1__general_only(synth_ff1 *f, int on)
{
    f->general_only = on;
}

unsigned synth_ff1_radix(const synth_ff1 *f)
{
    return f->radix;
}

int synth_ff1_check_length(const synth_ff1 *f, size_t n, synth_err *err)
{
    if (n < 2)
        return synth_err_set(err, SYNTH_USAGE, "FF1 needs at least 2 numerals, got %zu", n);
    if (n > SYNTH_FF1_MAX_LEN)
        return synth_err_set(err, SYNTH_USAGE, "FF1 input of %zu numerals is over the limit of %u", n,
                             SYNTH_FF1_MAX_LEN);
    uint64_t dom = 1;
    for (size_t i = 0; i < n && dom < SYNTH_FF1_MIN_DOMAIN; i++)
        dom *= f->radix;
    if (dom < SYNTH_FF1_MIN_DOMAIN)
        return synth_err_set(err, SYNTH_USAGE,
                             "FF1 domain too small: radix %u with %zu numerals gives %llu values; "
                             "SP 800-38G Rev. 1 requires at least 1,000,000",
                             f->radix, n, (unsigned long long)dom);
    return 0;
}

/* One AES block.  EVP_Cipher goes straight to the provider's ECB function: for one block at a
 * time it costs far less than EVP_EncryptUpdate's bookkeeping (no padding, no buffered bytes). */
static int aes_block(synth_ff1 *f, const uint8_t in[16], uint8_t out[16])
{
#ifdef FF1_HAVE_AESNI
    if (f->aesni) {
        aesni_block(f, in, out);
        return 0;
    }
#endif
    return EVP_Cipher(f->ctx, out, in, 16) > 0 ? 0 : -1;
}

/* CBC-MAC continuation: state = AES(state ^ block) for each block of data (len multiple of 16). */
static int cbc_mac(synth_ff1 *f, uint8_t state[16], const uint8_t *data, size_t len)
{
    uint8_t x[16];
    for (size_t off = 0; off < len; off += 16) {
        for (int j = 0; j < 16; j++)
            x[j] = state[j] ^ data[off + j];
        if (aes_block(f, x, state))
            return -1;
    }
    return 0;
}

__extension__ typedef unsigned __int128 u128;

/* radix^k when it is at most 2^63, else 0. */
static uint64_t small_pow(uint32_t radix, size_t k)
{
    uint64_t p = 1;
    for (size_t i = 0; i < k; i++) {
        if (__builtin_mul_overflow(p, (uint64_t)radix, &p) || p > (UINT64_C(1) << 63))
            return 0;
    }
    return p;
}

/* y mod m for 2 <= m < 2^64 with inv = floor((2^64 - 1) / m): the quotient estimate from the
 * 128-bit product is at most 2 below the true one, so at most two corrections follow.  Exact,
 * and far cheaper than a 64-bit division on most CPUs. */
static inline uint64_t mod_inv(uint64_t y, uint64_t m, uint64_t inv)
{
    uint64_t q = (uint64_t)(((u128)y * inv) >> 64);
    uint64_t r = y - q * m;
    while (r >= m)
        r -= m;
    return r;
}

/* Write the v base-radix digits of x into out[0..v) (most significant first). */
static inline void to_numerals(uint64_t x, uint32_t radix, uint16_t *out, size_t v)
{
    if (radix == 10) {   /* the common case: division by a constant */
        for (size_t i = v; i-- > 0;) {
            out[i] = (uint16_t)(x % 10);
            x /= 10;
        }
        return;
    }
    for (size_t i = v; i-- > 0;) {
        out[i] = (uint16_t)(x % radix);
        x /= radix;
    }
}

/* The Feistel rounds when radix^v <= 2^63: NUM_radix(A) and NUM_radix(B) stay 64-bit integers
 * through all ten rounds (y < 2^96 since b <= 8 gives d <= 12), so numerals are converted only
 * at the start and the end.  Same results as the general path. */
static int ff1_rounds_small(synth_ff1 *f, uint16_t *x, size_t u, size_t v, size_t b, size_t d, uint8_t *q,
                            size_t qoff, size_t qlen, const uint8_t base[16], uint64_t mu, uint64_t mv, int decrypt)
{
    const uint32_t radix = f->radix;
    const uint64_t inv_u = UINT64_MAX / mu, inv_v = UINT64_MAX / mv;
    uint64_t na = 0, nb = 0;
    for (size_t i = 0; i < u; i++)
        na = na * radix + x[i];
    for (size_t i = 0; i < v; i++)
        nb = nb * radix + x[u + i];
    uint8_t *tail = q + qlen - b - 1;
    for (int step = 0; step < 10; step++) {
        const int i = decrypt ? 9 - step : step;
        uint64_t qv = decrypt ? na : nb;
        tail[0] = (uint8_t)i;
        for (size_t k = 0; k < b; k++)
            tail[b - k] = (uint8_t)(qv >> (8 * k));
        uint8_t r[16];
        memcpy(r, base, 16);
        if (cbc_mac(f, r, q + qoff, qlen - qoff))
            return -1;
        const uint64_t mod = (i % 2 == 0) ? mu : mv;
        uint64_t ym;
        if (d <= 8) {   /* y < 2^64: no 128-bit division call */
            uint64_t y = 0;
            for (size_t k = 0; k < d; k++)
                y = y << 8 | r[k];
            ym = mod_inv(y, mod, (i % 2 == 0) ? inv_u : inv_v);
        } else {
            u128 y = 0;
            for (size_t k = 0; k < d; k++)
                y = y << 8 | r[k];
            ym = (uint64_t)(y % mod);
        }
        if (!decrypt) {   /* c = (NUM(A) + y) mod radix^m; A = B; B = c */
            uint64_t c = na + ym;   /* both < 2^63: no overflow */
            if (c >= mod)
                c -= mod;
            na = nb;
            nb = c;
        } else {          /* c = (NUM(B) - y) mod radix^m; B = A; A = c */
            uint64_t c = nb >= ym ? nb - ym : nb + (mod - ym);
            nb = na;
            na = c;
        }
    }
    to_numerals(na, radix, x, u);
    to_numerals(nb, radix, x + u, v);
    return 0;
}

/* The per-message constants of FF1 for n numerals under a tweak. */
typedef struct ff1_setup {
    size_t u, v, b, d;
    size_t qlen, fixed;       /* Q's length and its whole-tweak-block prefix */
    uint64_t mu, mv;          /* radix^u, radix^v (0 when over 2^63) */
    uint8_t base[16];         /* CBC-MAC state after P and Q[0..fixed) */
    uint8_t q[Q_MAX];         /* Q with the round number and NUM left zero */
} ff1_setup;

/* Check the arguments (as synth_ff1_encrypt documents) and fill st. */
static int ff1_prepare(synth_ff1 *f, const uint16_t *in, size_t n, const uint8_t *tweak, size_t tlen, ff1_setup *st,
                       synth_err *err)
{
    int rc = synth_ff1_check_length(f, n, err);
    if (rc)
        return rc;
    if (tlen > SYNTH_FF1_MAX_TWEAK)
        return synth_err_set(err, SYNTH_USAGE, "FF1 tweak of %zu bytes is over the limit of %u", tlen,
                             SYNTH_FF1_MAX_TWEAK);
    const uint32_t radix = f->radix;
    for (size_t i = 0; i < n; i++) {
        if (in[i] >= radix)
            return synth_err_set(err, SYNTH_USAGE, "FF1: numeral %u at position %zu is not below the radix %u",
                                 in[i], i + 1, radix);
    }
    const size_t u = n / 2, v = n - u;
    if (f->cached_n != n) {
        f->cached_b = num_bytes(radix, v);
        f->cached_mu = small_pow(radix, u);
        f->cached_mv = small_pow(radix, v);
        f->cached_n = n;
    }
    const size_t b = f->cached_b;
    st->u = u;
    st->v = v;
    st->b = b;
    st->d = 4 * ((b + 3) / 4) + 4;
    st->mu = f->cached_mu;
    st->mv = f->cached_mv;

    uint8_t p[16] = {1, 2, 1, (uint8_t)(radix >> 16), (uint8_t)(radix >> 8), (uint8_t)radix, 10, (uint8_t)(u % 256),
                     (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n,
                     (uint8_t)(tlen >> 24), (uint8_t)(tlen >> 16), (uint8_t)(tlen >> 8), (uint8_t)tlen};
    /* Q = T || 0^pad || [i] || [NUM]^b, a multiple of 16 bytes; its whole-T prefix blocks are
     * the same in every round, so the MAC state after P and those blocks is computed once. */
    const size_t pad = (16 - (tlen + b + 1) % 16) % 16;
    st->qlen = tlen + pad + 1 + b;
    st->fixed = tlen / 16 * 16;
    memset(st->q, 0, st->qlen);
    if (tlen > 0)
        memcpy(st->q, tweak, tlen);
    memset(st->base, 0, 16);
    if (st->fixed == 0 && f->base_n == n && f->base_tlen == tlen) {
        memcpy(st->base, f->base, 16);   /* P depends only on radix, n and tlen */
    } else {
        if (cbc_mac(f, st->base, p, 16) || cbc_mac(f, st->base, st->q, st->fixed))
            return synth_err_set(err, SYNTH_INTERNAL, "FF1: OpenSSL AES failed");
        if (st->fixed == 0) {
            memcpy(f->base, st->base, 16);
            f->base_n = n;
            f->base_tlen = tlen;
        }
    }
    return 0;
}

static int ff1_run(synth_ff1 *f, const uint16_t *in, size_t n, const uint8_t *tweak, size_t tlen, uint16_t *out,
                   int decrypt, synth_err *err)
{
    ff1_setup su;
    int rc = ff1_prepare(f, in, n, tweak, tlen, &su, err);
    if (rc)
        return rc;
    const uint32_t radix = f->radix;
    const size_t u = su.u, v = su.v, b = su.b, d = su.d, qlen = su.qlen, fixed = su.fixed;
    uint8_t *q = su.q, *base = su.base;
    const size_t pad = qlen - tlen - 1 - b;
    const uint64_t mu = su.mu, mv = su.mv;
    if (mv != 0 && !f->general_only) {
        uint16_t x[SYNTH_FF1_MAX_LEN];
        memcpy(x, in, n * sizeof *in);
        if (ff1_rounds_small(f, x, u, v, b, d, q, fixed, qlen, base, mu, mv, decrypt))
            return synth_err_set(err, SYNTH_INTERNAL, "FF1: OpenSSL AES failed");
        memcpy(out, x, n * sizeof *out);
        OPENSSL_cleanse(x, n * sizeof *x);
        return 0;
    }

    uint16_t bufs[3][SYNTH_FF1_MAX_LEN];
    uint16_t *a = bufs[0], *bb = bufs[1], *c = bufs[2];
    memcpy(a, in, u * sizeof *in);
    memcpy(bb, in + u, v * sizeof *in);
    size_t alen = u, blen = v;
    uint16_t ydig[SYNTH_FF1_MAX_LEN];
    for (int step = 0; step < 10; step++) {
        const int i = decrypt ? 9 - step : step;
        /* encrypt: Q carries NUM(B) and A gets y added; decrypt: Q carries NUM(A), B gets y removed */
        const uint16_t *qsrc = decrypt ? a : bb;
        size_t qsrclen = decrypt ? alen : blen;
        bn x;
        bn_from_numerals(&x, qsrc, qsrclen, radix);
        q[tlen + pad] = (uint8_t)i;
        bn_to_bytes(&x, q + tlen + pad + 1, b);
        uint8_t r[16];
        memcpy(r, base, 16);
        if (cbc_mac(f, r, q + fixed, qlen - fixed))
            return synth_err_set(err, SYNTH_INTERNAL, "FF1: OpenSSL AES failed");
        uint8_t s[272];
        memcpy(s, r, 16);
        for (size_t j = 1; j * 16 < d; j++) {
            uint8_t blk[16];
            memcpy(blk, r, 16);
            for (int k = 0; k < 8; k++)
                blk[15 - k] ^= (uint8_t)((uint64_t)j >> (8 * k));
            if (aes_block(f, blk, s + 16 * j))
                return synth_err_set(err, SYNTH_INTERNAL, "FF1: OpenSSL AES failed");
        }
        bn y;
        bn_from_bytes(&y, s, d);
        const size_t m = (i % 2 == 0) ? u : v;
        for (size_t k = m; k-- > 0;)
            ydig[k] = (uint16_t)bn_divmod(&y, radix);
        const uint16_t *src = decrypt ? bb : a;   /* length m */
        uint32_t carry = 0;
        for (size_t k = m; k-- > 0;) {
            if (!decrypt) {
                uint32_t t = (uint32_t)src[k] + ydig[k] + carry;
                carry = t >= radix;
                c[k] = (uint16_t)(carry ? t - radix : t);
            } else {
                int64_t t = (int64_t)src[k] - ydig[k] - carry;
                carry = t < 0;
                c[k] = (uint16_t)(carry ? t + radix : t);
            }
        }
        uint16_t *tmp;
        if (!decrypt) {   /* A = B, B = C */
            tmp = a;
            a = bb;
            alen = blen;
            bb = c;
            blen = m;
            c = tmp;
        } else {          /* B = A, A = C */
            tmp = bb;
            bb = a;
            blen = alen;
            a = c;
            alen = m;
            c = tmp;
        }
    }
    memcpy(out, a, alen * sizeof *out);
    memcpy(out + alen, bb, blen * sizeof *out);
    OPENSSL_cleanse(bufs, sizeof bufs);
    return 0;
}

int synth_ff1_encrypt(synth_ff1 *f, const uint16_t *in, size_t n, const uint8_t *tweak, size_t tlen,
                      uint16_t *out, synth_err *err)
{
    return ff1_run(f, in, n, tweak, tlen, out, 0, err);
}

#ifdef FF1_HAVE_AESNI
#define FF1_LANES 8

/* Encrypt up to FF1_LANES messages at once on the 64-bit path: the ten rounds run in lock step and
 * each round's AES blocks of all lanes are interleaved, so the AES-NI pipeline stays full instead
 * of waiting on one block's latency.  In every round Q differs from lane to lane only in its last
 * block (the round number and NUM(B), b + 1 <= 9 bytes), so the MAC state before that block
 * (`pre`) is shared.  x holds n numerals per lane; `lanes` <= FF1_LANES. */
__attribute__((target("aes,sse2"))) static void ff1_lanes_small(const synth_ff1 *f, const ff1_setup *su,
                                                                  const uint8_t pre[16], uint16_t *x, size_t n,
                                                                  size_t lanes)
{
    const uint32_t radix = f->radix;
    const size_t u = su->u, v = su->v, b = su->b, d = su->d;
    const uint64_t inv_u = UINT64_MAX / su->mu, inv_v = UINT64_MAX / su->mv;
    uint64_t na[FF1_LANES] = {0}, nb[FF1_LANES] = {0};
    for (size_t l = 0; l < lanes; l++) {
        const uint16_t *m = x + l * n;
        for (size_t i = 0; i < u; i++)
            na[l] = na[l] * radix + m[i];
        for (size_t i = 0; i < v; i++)
            nb[l] = nb[l] * radix + m[u + i];
    }
    uint8_t last[16];
    memcpy(last, su->q + su->qlen - 16, 16);
    const __m128i pre_v = _mm_loadu_si128((const __m128i *)pre);
    for (int i = 0; i < 10; i++) {
        __m128i st[FF1_LANES];
        last[15 - b] = (uint8_t)i;
        /* the block as two 64-bit halves: NUM(B) (b <= 8 bytes, big-endian) fills the low bytes
         * of the second half, whose other bytes stay as in `last` */
        uint64_t lo_half, hi_half;
        memcpy(&hi_half, last, 8);
        memcpy(&lo_half, last + 8, 8);
        const uint64_t keep = b >= 8 ? 0 : __builtin_bswap64(lo_half) & (UINT64_MAX << (8 * b));
#pragma GCC unroll 8
        for (size_t l = 0; l < FF1_LANES; l++) {
            const __m128i blk = _mm_set_epi64x((long long)__builtin_bswap64(keep | nb[l]), (long long)hi_half);
            st[l] = _mm_xor_si128(blk, pre_v);
        }
        __m128i rk = _mm_loadu_si128((const __m128i *)f->rk[0]);
#pragma GCC unroll 8
        for (size_t l = 0; l < FF1_LANES; l++)
            st[l] = _mm_xor_si128(st[l], rk);
        for (int r = 1; r < f->nr; r++) {
            rk = _mm_loadu_si128((const __m128i *)f->rk[r]);
#pragma GCC unroll 8
            for (size_t l = 0; l < FF1_LANES; l++)
                st[l] = _mm_aesenc_si128(st[l], rk);
        }
        rk = _mm_loadu_si128((const __m128i *)f->rk[f->nr]);
        const uint64_t mod = (i % 2 == 0) ? su->mu : su->mv;
        for (size_t l = 0; l < lanes; l++) {
            uint8_t r[16];
            _mm_storeu_si128((__m128i *)r, _mm_aesenclast_si128(st[l], rk));
            uint64_t ym;
            if (d <= 8) {   /* d is 8 here (d >= 8 always): y = the first 8 bytes, big-endian */
                uint64_t y;
                memcpy(&y, r, 8);
                ym = mod_inv(__builtin_bswap64(y), mod, (i % 2 == 0) ? inv_u : inv_v);
            } else {
                u128 y = 0;
                for (size_t k = 0; k < d; k++)
                    y = y << 8 | r[k];
                ym = (uint64_t)(y % mod);
            }
            uint64_t c = na[l] + ym;   /* both < 2^63 */
            if (c >= mod)
                c -= mod;
            na[l] = nb[l];
            nb[l] = c;
        }
    }
    for (size_t l = 0; l < lanes; l++) {
        to_numerals(na[l], radix, x + l * n, u);
        to_numerals(nb[l], radix, x + l * n + u, v);
    }
    OPENSSL_cleanse(na, sizeof na);
    OPENSSL_cleanse(nb, sizeof nb);
    OPENSSL_cleanse(last, sizeof last);
}
#endif

int synth_ff1_encrypt_many(synth_ff1 *f, const uint16_t *in, size_t n, size_t count, const uint8_t *tweak,
                           size_t tlen, uint16_t *out, synth_err *err)
{
#ifdef FF1_HAVE_AESNI
    if (count > 1 && f->aesni && !f->general_only) {
        ff1_setup su;
        int rc = ff1_prepare(f, in, n, tweak, tlen, &su, err);
        if (rc)
            return rc;
        int ok = su.mv != 0;
        for (size_t i = n; ok && i < count * n; i++)
            ok = in[i] < f->radix;
        if (ok) {
            /* the MAC state before Q's last block: the same for every message and round */
            uint8_t pre[16];
            memcpy(pre, su.base, 16);
            if (cbc_mac(f, pre, su.q + su.fixed, su.qlen - 16 - su.fixed))
                return synth_err_set(err, SYNTH_INTERNAL, "FF1: OpenSSL AES failed");
            uint16_t x[FF1_LANES * SYNTH_FF1_MAX_LEN];
            for (size_t k = 0; k < count; k += FF1_LANES) {
                size_t lanes = count - k < FF1_LANES ? count - k : FF1_LANES;
                memcpy(x, in + k * n, lanes * n * sizeof *x);
                ff1_lanes_small(f, &su, pre, x, n, lanes);
                memcpy(out + k * n, x, lanes * n * sizeof *x);
            }
            OPENSSL_cleanse(x, sizeof x);
            OPENSSL_cleanse(pre, sizeof pre);
            return 0;
        }
    }
#endif
    for (size_t k = 0; k < count; k++) {
        int rc = ff1_run(f, in + k * n, n, tweak, tlen, out + k * n, 0, err);
        if (rc)
            return rc;
    }
    return 0;
}

int synth_ff1_decrypt(synth_ff1 *f, const uint16_t *in, size_t n, const uint8_t *tweak, size_t tlen,
                      uint16_t *out, synth_err *err)
{
    return ff1_run(f, in, n, tweak, tlen, out, 1, err);
}

static const char alphabet36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static int str_run(synth_ff1 *f, const char *in, const uint8_t *tweak, size_t tlen, char *out, int decrypt,
                   synth_err *err)
{
    if (f->radix > 36)
        return synth_err_set(err, SYNTH_USAGE, "FF1 text form needs radix <= 36, have %u", f->radix);
    size_t n = strlen(in);
    if (n > SYNTH_FF1_MAX_LEN)
        return synth_err_set(err, SYNTH_USAGE, "FF1 input of %zu numerals is over the limit of %u", n,
                             SYNTH_FF1_MAX_LEN);
    uint16_t num[SYNTH_FF1_MAX_LEN] = {0};
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)in[i];
        unsigned val = ch >= '0' && ch <= '9'   ? (unsigned)(ch - '0')
                       : ch >= 'a' && ch <= 'z' ? (unsigned)(ch - 'a' + 10)
                       : ch >= 'A' && ch <= 'Z' ? (unsigned)(ch - 'A' + 10)
                                                : 99u;
        if (val >= f->radix)
            return synth_err_set(err, SYNTH_USAGE, "FF1: character %zu is not a radix-%u digit", i + 1, f->radix);
        num[i] = (uint16_t)val;
    }
    int rc = ff1_run(f, num, n, tweak, tlen, num, decrypt, err);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            out[i] = alphabet36[num[i]];
        out[n] = '\0';
    }
    OPENSSL_cleanse(num, sizeof num);
    return rc;
}

int synth_ff1_encrypt_str(synth_ff1 *f, const char *in, const uint8_t *tweak, size_t tlen, char *out,
                          synth_err *err)
{
    return str_run(f, in, tweak, tlen, out, 0, err);
}

int synth_ff1_decrypt_str(synth_ff1 *f, const char *in, const uint8_t *tweak, size_t tlen, char *out,
                          synth_err *err)
{
    return str_run(f, in, tweak, tlen, out, 1, err);
}
