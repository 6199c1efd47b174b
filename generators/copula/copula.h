/* copula.h -- the Gaussian copula generator's driver table (see copula.c for the model). */
#ifndef SYNTH_COPULA_H
#define SYNTH_COPULA_H

#include "generator.h"

extern const synth_generator synth_copula_generator;

#endif
