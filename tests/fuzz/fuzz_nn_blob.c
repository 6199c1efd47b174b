/* fuzz_nn_blob.c -- libFuzzer harness for the CTGAN weight blob loader (generators/nn/ctgan_net.c).
 *
 * The input is handed to synth_ctgan_net_load for a fixed small config.  It must either fail with
 * SYNTH_MODEL (or SYNTH_NOMEM) and leave *out NULL, or succeed; a loaded net must save back to
 * exactly the input bytes, generate rows (values may be anything, the floats are arbitrary) and
 * survive a training step (which may report a diverged loss, never crash).  Seed: a valid blob
 * (tests/fuzz/seeds/fuzz_nn_blob/valid.bin, made with this config by `fuzz_nn_blob -write-seed`
 * style code below when NN_BLOB_WRITE_SEED is defined). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "nn/backend.h"
#include "nn/ctgan_net.h"

static const synth_ctgan_span spans[] = {{SYNTH_SPAN_TANH, 1}, {SYNTH_SPAN_SOFTMAX, 2}, {SYNTH_SPAN_SOFTMAX, 3}};
static const int cond_span[1] = {2}, cond_off[1] = {0};

static void config(synth_ctgan_config *c)
{
    synth_ctgan_config_defaults(c);
    c->data_dim = 6;
    c->spans = spans;
    c->nspans = 3;
    c->cond_dim = 3;
    c->cond_span_index = cond_span;
    c->cond_offset = cond_off;
    c->ndiscrete = 1;
    c->embedding_dim = 4;
    c->gen_dims[0] = c->gen_dims[1] = 5;
    c->dis_dims[0] = c->dis_dims[1] = 4;
    c->pac = 2;
}

static synth_nn_backend *backend(void)
{
    static synth_nn_backend *b;
    synth_err err;
    if (b == NULL && synth_nn_backend_open("cpu", 1, &b, &err) != 0)
        abort();
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    synth_err err;
    synth_ctgan_config cfg;
    config(&cfg);
    synth_ctgan_net *net = (synth_ctgan_net *)1;
    int rc = synth_ctgan_net_load(backend(), &cfg, data, size, &net, &err);
    if (rc != 0) {
        if ((rc != SYNTH_MODEL && rc != SYNTH_NOMEM) || net != NULL)
            abort();
        return 0;
    }
    unsigned char *blob;
    size_t len;
    if (synth_ctgan_net_save(net, &blob, &len, &err) != 0 || len != size || memcmp(blob, data, size) != 0)
        abort();
    synth_free(blob);
    float z[3 * 4] = {0.5f, -1, 2, 0, 1, 1, 1, 1, -3, 0, 0, 0.25f}, c[3 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, out[3 * 6];
    if (synth_ctgan_net_generate(net, 3, z, c, out, &err) != 0)
        abort();
    float real[4 * 6] = {0.1f, 1, 0, 1, 0, 0, -0.5f, 0, 1, 0, 1, 0, 0.9f, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0};
    float cd[4 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0}, mask[4] = {1, 1, 1, 1};
    synth_ctgan_dbatch db = {real, cd, cd, mask};
    synth_ctgan_gbatch gb = {cd, mask};
    rc = synth_ctgan_net_train_step(net, 4, &db, 1, &gb, NULL, NULL, &err);
    if (rc != 0 && rc != SYNTH_BAD_INPUT && rc != SYNTH_NOMEM)
        abort();
    synth_ctgan_net_free(net);
    return 0;
}

#ifdef NN_BLOB_WRITE_SEED
int main(int argc, char **argv)
{
    synth_err err;
    synth_ctgan_config cfg;
    config(&cfg);
    synth_ctgan_net *net;
    unsigned char *blob;
    size_t len;
    if (argc < 2 || synth_ctgan_net_new(backend(), &cfg, 1, &net, &err) != 0 ||
        synth_ctgan_net_save(net, &blob, &len, &err) != 0)
        return 1;
    FILE *f = fopen(argv[1], "wb");
    if (f == NULL || fwrite(blob, 1, len, f) != len || fclose(f) != 0)
        return 1;
    return LLVMFuzzerTestOneInput(blob, len);
}
#endif
