/* rng.h -- the counter-based random number generator (Philox4x32-10 from Random123).
 *
 * Every random draw in synth is a pure function of (seed, row index, stream, draw number): a
 * stream is opened for one row and one purpose (e.g. the copula's normals, one text column's
 * words) and yields as many numbers as that purpose needs.  Because nothing depends on what other
 * rows or threads did, output is identical for any thread count, chunk size or shard split.
 * The state lives on the caller's stack; no global state; thread-safe. */
#ifndef SYNTH_RNG_H
#define SYNTH_RNG_H

#include <math.h>
#include <stdint.h>

#include <Random123/philox.h>
#include <gsl/gsl_rng.h>

typedef struct synth_rng {
    philox4x32_key_t key;
    philox4x32_ctr_t ctr;
    philox4x32_ctr_t out;
    int avail;               /* unread words left in out */
    int has_spare;           /* Box-Muller's second normal is cached */
    double spare;
} synth_rng;

/* Streams used by synth itself; generators may use any value >= SYNTH_STREAM_GENERATOR. */
enum {
    SYNTH_STREAM_FIT = 1,            /* reservoir sampling and other fit-time randomness */
    SYNTH_STREAM_GENERATOR = 16      /* first stream a generator may use */
};

/* Open stream `stream` for row `row` under `seed`. */
static inline void synth_rng_init(synth_rng *r, uint64_t seed, uint64_t row, uint32_t stream)
{
    r->key.v[0] = (uint32_t)seed;
    r->key.v[1] = (uint32_t)(seed >> 32);
    r->ctr.v[0] = (uint32_t)row;
    r->ctr.v[1] = (uint32_t)(row >> 32);
    r->ctr.v[2] = stream;
    r->ctr.v[3] = 0;
    r->avail = 0;
    r->has_spare = 0;
    r->spare = 0.0;
}

static inline uint32_t synth_rng_u32(synth_rng *r)
{
    if (r->avail == 0) {
        r->out = philox4x32(r->ctr, r->key);
        r->ctr.v[3]++;
        r->avail = 4;
    }
    return r->out.v[--r->avail];
}

static inline uint64_t synth_rng_u64(synth_rng *r)
{
    uint64_t hi = synth_rng_u32(r);
    return (hi << 32) | synth_rng_u32(r);
}

/* Uniform in the open interval (0, 1) with 53 random bits. */
static inline double synth_rng_uniform(synth_rng *r)
{
    uint64_t bits = synth_rng_u64(r) >> 11;
    return ((double)bits + 0.5) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n) for n >= 1 (Lemire's multiply-shift with rejection: unbiased). */
static inline uint64_t synth_rng_below(synth_rng *r, uint64_t n)
{
    uint64_t x = synth_rng_u64(r);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            x = synth_rng_u64(r);
            m = (__uint128_t)x * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Standard normal (Box-Muller; the second value of each pair is cached). */
static inline double synth_rng_normal(synth_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = synth_rng_uniform(r);
    double u2 = synth_rng_uniform(r);
    double radius = sqrt(-2.0 * log(u1));
    double angle = 6.283185307179586476925286766559 * u2;
    r->spare = radius * sin(angle);
    r->has_spare = 1;
    return radius * cos(angle);
}

/* A synth_rng stream seen through GSL's gsl_rng interface, so GSL's samplers (e.g. the fast
 * ziggurat normal) draw from the counter-based stream.  Lives on the caller's stack. */
typedef struct synth_gsl_rng {
    gsl_rng gsl;
    synth_rng rng;
} synth_gsl_rng;

/* Open stream (seed, row, stream) behind r->gsl. */
void synth_gsl_rng_init(synth_gsl_rng *r, uint64_t seed, uint64_t row, uint32_t stream);

/* Standard normal by GSL's ziggurat (one 32-bit draw in ~99% of calls; no log/sin/cos). */
double synth_gsl_rng_normal(synth_gsl_rng *r);

/* The full 128-bit output for counter (value, stream): a bijection of `value` for fixed seed and
 * stream (distinct values give distinct 128-bit outputs). */
static inline void synth_rng_permute128(uint64_t seed, uint64_t value, uint32_t stream, uint32_t out[4])
{
    philox4x32_key_t key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_ctr_t ctr = {{(uint32_t)value, (uint32_t)(value >> 32), stream, 0x1d}};
    philox4x32_ctr_t res = philox4x32(ctr, key);
    for (int i = 0; i < 4; i++)
        out[i] = res.v[i];
}

#endif
