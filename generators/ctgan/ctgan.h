/* ctgan.h -- the CTGAN generator's driver table (see ctgan.c: fit, checkpoints, sampling). */
#ifndef SYNTH_CTGAN_H
#define SYNTH_CTGAN_H

#include "generator.h"

extern const synth_generator synth_ctgan_generator;

/* The trained network's weights as one blob (for tests comparing runs bit-exactly): *blob is new
 * (synth_free), *len its size. */
int synth_ctgan_model_net_blob(const synth_model *m, unsigned char **blob, size_t *len, synth_err *err);

#endif
