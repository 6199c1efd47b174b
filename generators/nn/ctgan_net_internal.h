/* ctgan_net_internal.h -- hooks into synth_ctgan_net for the unit tests (gradient checks).
 *
 * Not for generator code: these expose the flat parameter and gradient buffers (backend memory;
 * host pointers only with the CPU backend) and the RNG counter, so a test can recompute a loss
 * with the same noise, Gumbel draws and dropout masks after nudging one weight. */
#ifndef SYNTH_NN_CTGAN_NET_INTERNAL_H
#define SYNTH_NN_CTGAN_NET_INTERNAL_H

#include "nn/ctgan_net.h"

enum { SYNTH__NET_GP, SYNTH__NET_GG, SYNTH__NET_DP, SYNTH__NET_DG, SYNTH__NET_GSTATE };

/* With d != NULL: one critic batch's loss_D (+ penalty), its gradient left in the D gradient
 * buffer; with d == NULL: the generator batch g's loss_G, gradient in the G gradient buffer.
 * No parameter is updated (batchnorm running statistics are). */
int synth__ctgan_net_loss_grad(synth_ctgan_net *net, int batch, const synth_ctgan_dbatch *d,
                               const synth_ctgan_gbatch *g, float *loss, synth_err *err);
/* One of the buffers above and its length in floats. */
float *synth__ctgan_net_buffer(synth_ctgan_net *net, int which, size_t *n);
/* The counter of the net's next random fill (read it, run, write it back to replay the draws). */
uint64_t *synth__ctgan_net_rng_counter(synth_ctgan_net *net);

#endif
