/* backend.c -- opening and closing network backends by name ("cpu", "cuda").
 *
 * The op tables live in backend_cpu.c and backend_cuda.cu; this file only dispatches.  The CUDA
 * backend is present only in builds made by `make cuda` (SYNTH_CUDA defined); otherwise
 * synth__nn_cuda_open is the stub below and opening "cuda" is a clear usage error. */
#include <string.h>

#include "alloc.h"
#include "nn/backend_impl.h"

int synth_nn_backend_open(const char *name, int threads, synth_nn_backend **out, synth_err *err)
{
    *out = NULL;
    if (name == NULL)
        name = "cpu";
    if (strcmp(name, "cpu") != 0 && strcmp(name, "cuda") != 0)
        return synth_err_set(err, SYNTH_USAGE, "unknown device '%s' (expected cpu or cuda)", name);
    synth_nn_backend *b = synth_calloc(1, sizeof *b);
    if (b == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory opening the %s backend", name);
    b->threads = threads;
    int rc = strcmp(name, "cpu") == 0 ? synth__nn_cpu_open(threads, b, err)
                                      : synth__nn_cuda_open(threads, b, err);
    if (rc != 0) {
        synth_free(b);
        return rc;
    }
    *out = b;
    return 0;
}

void synth_nn_backend_free(synth_nn_backend *b)
{
    if (b == NULL)
        return;
    if (b->ops != NULL && b->ops->close != NULL)
        b->ops->close(b);
    synth_free(b);
}

const char *synth_nn_backend_name(const synth_nn_backend *b)
{
    return b->ops->name;
}

int synth_nn_cuda_compiled(void)
{
    return synth__nn_cuda_present();
}

#ifndef SYNTH_CUDA
int synth__nn_cuda_open(int threads, synth_nn_backend *b, synth_err *err)
{
    (void)threads;
    (void)b;
    return synth_err_set(err, SYNTH_USAGE,
                         "--device cuda: built without CUDA: run make cuda on a machine with nvcc and a GPU");
}

int synth__nn_cuda_present(void)
{
    return 0;
}
#endif
