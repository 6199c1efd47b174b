/* hash.h -- the one string hash of synth's internal hash tables (FNV-1a with a final mix).
 * Not for security: keyed or cryptographic hashing lives where it is needed. */
#ifndef SYNTH_HASH_H
#define SYNTH_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t synth_hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

#endif
