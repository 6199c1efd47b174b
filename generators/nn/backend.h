/* backend.h -- the linear-algebra backend of the network engine (CPU: OpenBLAS; CUDA: cuBLAS).
 *
 * Everything the CTGAN network computes goes through a synth_nn_backend: buffers of floats that
 * live where the backend computes (host memory for "cpu", device memory for "cuda"), sgemm, a few
 * fused elementwise ops, reductions and counter-based RNG fills.  The op table itself is private
 * (backend_impl.h); this header only opens and closes backends.
 *
 * "cpu" is always available (OpenBLAS, `threads` BLAS threads; 0 = leave OpenBLAS's default).
 * "cuda" is available only in a build made by `make cuda`; otherwise opening it fails with
 * SYNTH_USAGE and a message saying how to build it.  A backend is used by one thread at a time. */
#ifndef SYNTH_NN_BACKEND_H
#define SYNTH_NN_BACKEND_H

#include "err.h"

typedef struct synth_nn_backend synth_nn_backend;

/* Open backend `name` ("cpu" or "cuda").  On error *out is NULL and err says why. */
int synth_nn_backend_open(const char *name, int threads, synth_nn_backend **out, synth_err *err);
/* Close a backend (after every net using it was freed).  NULL does nothing. */
void synth_nn_backend_free(synth_nn_backend *b);
/* "cpu" or "cuda". */
const char *synth_nn_backend_name(const synth_nn_backend *b);
/* 1 when this build contains the CUDA backend (made by `make cuda`). */
int synth_nn_cuda_compiled(void);

#endif
