/* rng.c -- the gsl_rng adapter of the counter-based generator (see rng.h). */
#include "rng.h"

#include <gsl/gsl_randist.h>

static unsigned long philox_get(void *state)
{
    return synth_rng_u32((synth_rng *)state);
}

static double philox_get_double(void *state)
{
    return synth_rng_uniform((synth_rng *)state);
}

static void philox_set(void *state, unsigned long seed)
{
    /* Streams are opened with synth_gsl_rng_init; GSL's seeding entry point is not used. */
    (void)state;
    (void)seed;
}

static const gsl_rng_type philox_type = {
    .name = "synth-philox4x32",
    .max = 0xffffffffUL,
    .min = 0,
    .size = sizeof(synth_rng),
    .set = philox_set,
    .get = philox_get,
    .get_double = philox_get_double,
};

void synth_gsl_rng_init(synth_gsl_rng *r, uint64_t seed, uint64_t row, uint32_t stream)
{
    synth_rng_init(&r->rng, seed, row, stream);
    r->gsl.type = &philox_type;
    r->gsl.state = &r->rng;
}

double synth_gsl_rng_normal(synth_gsl_rng *r)
{
    return gsl_ran_gaussian_ziggurat(&r->gsl, 1.0);
}
