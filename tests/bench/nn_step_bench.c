/* nn_step_bench.c -- times CTGAN training steps and inference at Adult-like sizes (make nn-bench).
 *
 * Layout like the transformed Adult table: 6 continuous columns (tanh + 8 modes) and 9 discrete
 * columns with 104 categories in all, so data_dim 158 and cond_dim 104; batch 500, pac 10,
 * default network sizes.  Reports milliseconds per step (one critic + one generator update),
 * the implied seconds per Adult epoch (32,561 rows = 65 steps of 500) and inference rows/s.
 * Usage: nn_step_bench [steps=30] [threads=0 (OpenBLAS default)] [device=cpu] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "nn/backend.h"
#include "nn/ctgan_net.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 30;
    int threads = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 0;
    const char *device = argc > 3 ? argv[3] : "cpu";
    static const int disc[9] = {9, 16, 7, 15, 6, 5, 2, 42, 2};
    synth_ctgan_span spans[32];
    int ns = 0, data = 0, cond = 0, cidx[9], coff[9];
    for (int c = 0; c < 6; c++) {
        spans[ns++] = (synth_ctgan_span){SYNTH_SPAN_TANH, 1};
        spans[ns++] = (synth_ctgan_span){SYNTH_SPAN_SOFTMAX, 8};
        data += 9;
    }
    for (int d = 0; d < 9; d++) {
        cidx[d] = ns;
        coff[d] = cond;
        spans[ns++] = (synth_ctgan_span){SYNTH_SPAN_SOFTMAX, disc[d]};
        data += disc[d];
        cond += disc[d];
    }
    synth_ctgan_config cfg;
    synth_ctgan_config_defaults(&cfg);
    cfg.data_dim = data;
    cfg.spans = spans;
    cfg.nspans = ns;
    cfg.cond_dim = cond;
    cfg.cond_span_index = cidx;
    cfg.cond_offset = coff;
    cfg.ndiscrete = 9;
    const int B = 500;
    float *real = calloc((size_t)B * data, sizeof(float)), *c1 = calloc((size_t)B * cond, sizeof(float));
    float *c2 = calloc((size_t)B * cond, sizeof(float)), *mask = calloc((size_t)B * 9, sizeof(float));
    if (!real || !c1 || !c2 || !mask)
        return 1;
    for (int i = 0; i < B; i++) {
        float *r = real + (size_t)i * data;
        for (int s = 0, st = 0; s < ns; st += spans[s].width, s++) {
            if (spans[s].kind == SYNTH_SPAN_TANH)
                r[st] = 0.5f * sinf((float)(i * 7 + s));
            else
                r[st + (i * 13 + s) % spans[s].width] = 1.0f;
        }
        int d = i % 9;
        c1[(size_t)i * cond + coff[d] + i % disc[d]] = 1.0f;
        mask[(size_t)i * 9 + d] = 1.0f;
    }
    for (int i = 0; i < B; i++)
        memcpy(c2 + (size_t)i * cond, c1 + (size_t)((i * 37 + 11) % B) * cond, (size_t)cond * sizeof(float));
    synth_err err;
    synth_nn_backend *b;
    synth_ctgan_net *net;
    if (synth_nn_backend_open(device, threads, &b, &err) != 0 || synth_ctgan_net_new(b, &cfg, 1, &net, &err) != 0) {
        fprintf(stderr, "nn_step_bench: %s\n", err.msg);
        return 1;
    }
    synth_ctgan_dbatch db = {real, c1, c2, mask};
    synth_ctgan_gbatch gb = {c1, mask};
    float ld = 0, lg = 0;
    synth_ctgan_net_train_step(net, B, &db, 1, &gb, &ld, &lg, &err);   /* warm-up */
    double t0 = now(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int s = 0; s < steps; s++)
        if (synth_ctgan_net_train_step(net, B, &db, 1, &gb, &ld, &lg, &err) != 0) {
            fprintf(stderr, "nn_step_bench: %s\n", err.msg);
            return 1;
        }
    double ms = (now() - t0) * 1e3 / steps, cpu_ms = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e3 / steps;
    printf("nn_step_bench: device %s, data_dim %d, cond_dim %d, batch %d, pac %d: %.1f ms/step wall "
           "(%.1f ms CPU over all threads), %.2f s per Adult epoch (65 steps); losses D %.3f G %.3f\n",
           device, data, cond, B, cfg.pac, ms, cpu_ms, ms * 65 / 1e3, (double)ld, (double)lg);
    const int N = 20000;
    float *z = calloc((size_t)N * cfg.embedding_dim, sizeof(float)), *out = calloc((size_t)N * data, sizeof(float));
    float *cc = calloc((size_t)N * cond, sizeof(float));
    if (!z || !out || !cc)
        return 1;
    for (int i = 0; i < N * cfg.embedding_dim; i++)
        z[i] = sinf((float)i);
    t0 = now();
    c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    synth_ctgan_net_generate(net, N, z, cc, out, &err);
    double secs = now() - t0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("nn_step_bench: inference %.0f rows/s wall, %.0f rows per CPU second (one thread, G forward only)\n",
           N / secs, N / cpu);
    /* as the sampler calls it: a loaded net, 256 rows per call */
    unsigned char *blob;
    size_t len;
    synth_ctgan_net *loaded;
    if (synth_ctgan_net_save(net, &blob, &len, &err) != 0 || synth_ctgan_net_load(b, &cfg, blob, len, &loaded, &err) != 0)
        return 1;
    c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int r = 0; r + 256 <= N; r += 256)
        synth_ctgan_net_generate(loaded, 256, z + (size_t)r * cfg.embedding_dim, cc + (size_t)r * cond,
                                 out + (size_t)r * data, &err);
    cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("nn_step_bench: inference on a loaded net, 256 rows per call: %.0f rows per CPU second\n",
           (N / 256 * 256) / cpu);
    synth_free(blob);
    synth_ctgan_net_free(loaded);
    synth_ctgan_net_free(net);
    synth_nn_backend_free(b);
    free(real); free(c1); free(c2); free(mask); free(z); free(out); free(cc);
    return 0;
}
