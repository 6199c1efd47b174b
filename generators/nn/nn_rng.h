/* nn_rng.h -- the counter-based random words behind the backends' random fills.
 *
 * Element i of fill (seed, counter) comes from word i % 4 of Philox4x32-10 block i / 4, so a fill
 * is a pure function of (seed, counter, i) and every backend (CPU loops, CUDA threads) produces
 * the same numbers.  Normals: Box-Muller on the block's word pairs (0,1) and (2,3), cosine for even
 * elements and sine for odd ones.  Header-only; usable from C and CUDA. */
#ifndef SYNTH_NN_RNG_H
#define SYNTH_NN_RNG_H

#include <stdint.h>

#include <Random123/philox.h>

#ifdef __CUDACC__
#define SYNTH_NN_HD __host__ __device__
#else
#define SYNTH_NN_HD
#endif

static inline SYNTH_NN_HD philox4x32_ctr_t synth__nn_philox_block(uint64_t seed, uint64_t counter, uint64_t block)
{
    philox4x32_key_t key = {{(uint32_t)seed, (uint32_t)(seed >> 32) ^ 0x4e4e0001u}};
    philox4x32_ctr_t ctr = {{(uint32_t)block, (uint32_t)(block >> 32), (uint32_t)counter,
                             (uint32_t)(counter >> 32)}};
    return philox4x32(ctr, key);
}

/* Uniform float in the open interval (0, 1) from the top 23 bits of a word: k + 0.5 is exact in a
 * float for k < 2^23, so the largest value is 1 - 2^-24, never 1 (with 24 bits the top value
 * would round up to exactly 1.0 and -log(-log(u)) would be infinite). */
static inline SYNTH_NN_HD float synth__nn_u01(uint32_t w)
{
    return ((float)(w >> 9) + 0.5f) * (1.0f / 8388608.0f);
}

#endif
