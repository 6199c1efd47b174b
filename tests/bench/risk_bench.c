/* risk_bench.c -- benchmark of synth_risk_compute (validation/risk.c) at Adult scale: 100,000
 * synthetic rows against 32,561 training rows (and a 16,281-row holdout with the membership attack),
 * width 108 (Adult one-hot: 6 numeric columns in [0,1] and 8 one-hot groups of 102 columns in all).
 * The rows are generated deterministically; each case prints the median wall time of RUNS runs.
 *
 * Usage: risk_bench [--runs N] [--threads N] [--blas-threads N] [--block ROWS COLS] [--case train|holdout|both]
 * Build (after make; never link -lgslcblas ahead of OpenBLAS: its sgemm is ~15x slower):
 *        cc -O2 -std=c11 -D_GNU_SOURCE -Isrc -Ivalidation $(pkg-config --cflags openblas jansson)
 *        tests/bench/risk_bench.c build/libsynth.a $(pkg-config --libs openblas jansson) -lpthread -lm
 *        -o build/risk_bench */
#include <cblas.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "risk.h"
#include "rng.h"

#define WIDTH 108
#define N_SYN 100000
#define N_TRAIN 32561
#define N_HOLD 16281

static const int groups[] = {9, 16, 7, 15, 6, 5, 2, 42}; /* one-hot group sizes: 6 + 102 = 108 */

static float *make_rows(size_t n, uint64_t seed)
{
    float *m = malloc(n * WIDTH * sizeof *m);
    if (m == NULL) {
        fprintf(stderr, "risk_bench: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        synth_rng r;
        synth_rng_init(&r, seed, i, 1);
        float *row = m + i * WIDTH;
        memset(row, 0, WIDTH * sizeof *row);
        size_t c = 0;
        for (; c < 6; c++)
            row[c] = (float)synth_rng_uniform(&r);
        for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
            row[c + synth_rng_below(&r, (uint64_t)groups[g])] = 1.0f;
            c += (size_t)groups[g];
        }
    }
    return m;
}

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long arg_long(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0) {
        fprintf(stderr, "risk_bench: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

static void run_case(const char *label, const float *syn, const float *train, const float *hold, size_t nh,
                     const synth_risk_options *opt, int runs)
{
    double t[16] = {0}, cpu[16] = {0};
    json_t *last = NULL;
    for (int r = 0; r < runs; r++) {
        synth_err err;
        json_t *out = NULL;
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        int rc = synth_risk_compute(syn, N_SYN, train, N_TRAIN, hold, nh, WIDTH, opt, &out, &err);
        t[r] = clock_s(CLOCK_MONOTONIC) - t0;
        cpu[r] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (rc != SYNTH_OK) {
            fprintf(stderr, "risk_bench: %s\n", err.msg);
            exit(1);
        }
        json_decref(last);
        last = out;
    }
    double sorted[16], csorted[16];
    memcpy(sorted, t, sizeof t);
    memcpy(csorted, cpu, sizeof cpu);
    qsort(sorted, (size_t)runs, sizeof *sorted, cmp_double);
    qsort(csorted, (size_t)runs, sizeof *csorted, cmp_double);
    printf("%-42s median %6.2f s wall, %6.2f s CPU  (wall of each run:", label, sorted[runs / 2], csorted[runs / 2]);
    for (int r = 0; r < runs; r++)
        printf(" %.2f", t[r]);
    json_t *dcr = json_object_get(last, "dcr");
    json_t *mia = json_object_get(last, "membership_inference");
    printf(")  DCR median %.4f", json_real_value(json_object_get(json_object_get(dcr, "synthetic_to_train"), "median")));
    if (json_is_object(mia))
        printf(", share %.4f, AUC %.4f", json_real_value(json_object_get(dcr, "share_closer_to_train")),
               json_real_value(json_object_get(mia, "roc_auc")));
    printf("\n");
    json_decref(last);
}

int main(int argc, char **argv)
{
    synth_risk_options opt;
    synth_risk_options_init(&opt);
    int runs = 3, blas_threads = 0;
    const char *which = "both";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = (int)arg_long(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            opt.threads = (size_t)arg_long(argv[++i]);
        else if (strcmp(argv[i], "--blas-threads") == 0 && i + 1 < argc)
            blas_threads = (int)arg_long(argv[++i]);
        else if (strcmp(argv[i], "--block") == 0 && i + 2 < argc) {
            opt.block_rows = (size_t)arg_long(argv[++i]);
            opt.block_cols = (size_t)arg_long(argv[++i]);
        } else if (strcmp(argv[i], "--case") == 0 && i + 1 < argc)
            which = argv[++i];
        else {
            fprintf(stderr, "usage: risk_bench [--runs N] [--threads N] [--blas-threads N] [--block ROWS COLS] "
                            "[--case train|holdout|both]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 15) {
        fprintf(stderr, "risk_bench: --runs must be 1..15\n");
        return 2;
    }
    if (blas_threads > 0)
        openblas_set_num_threads(blas_threads);
    float *syn = make_rows(N_SYN, 1), *train = make_rows(N_TRAIN, 2), *hold = make_rows(N_HOLD, 3);
    printf("risk_bench: width %d, %d synthetic rows, %d training rows, holdout %d rows; threads %zu "
           "(0 = auto), OpenBLAS threads %d, block %zu x %zu (0 = default)\n",
           WIDTH, N_SYN, N_TRAIN, N_HOLD, opt.threads, openblas_get_num_threads(), opt.block_rows, opt.block_cols);
    if (strcmp(which, "holdout") != 0)
        run_case("train only (DCR, exact copies):", syn, train, NULL, 0, &opt, runs);
    if (strcmp(which, "train") != 0)
        run_case("train + holdout (DCR both, share, MIA):", syn, train, hold, N_HOLD, &opt, runs);
    free(syn);
    free(train);
    free(hold);
    return 0;
}
