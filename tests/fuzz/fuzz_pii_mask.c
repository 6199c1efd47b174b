/* fuzz_pii_mask.c -- libFuzzer target for `pii mask`'s two CSV paths.
 *
 * synth_mask_csv reads plain files with a fast block scanner on worker threads and falls back to
 * the libcsv reader on anything else.  The first input byte picks a block size (so records are cut
 * at many places); the rest, after a fixed header "a,b,c", is masked with a policy that uses
 * several operators (mask, hash, synthetic by row, replace with a quote and a comma) by both paths.
 * They must agree exactly: return code, error message, output bytes and stats. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pii_mask.h"
#include "pii_mask_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const policies[2] = {
    "{\"columns\": {\"a\": {\"operator\": \"mask\", \"keep_last\": 1},"
    " \"b\": {\"operator\": \"hash\", \"length\": 8},"
    " \"c\": {\"operator\": \"replace\", \"value\": \"x,\\\"y\"}}}",
    "{\"columns\": {\"a\": {\"operator\": \"synthetic\", \"entity\": \"phone\"},"
    " \"b\": {\"operator\": \"fpe\", \"tweak\": \"t\"}, \"c\": {\"operator\": \"tokenize\"}}}",
};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int run(const char *in, const char *out, const synth_mask_policy *p, int force_reader, size_t block,
               synth_mask_stats *st, synth_err *err)
{
    synth_mask_key key;
    memset(&key, 0, sizeof key);
    for (int i = 0; i < 16; i++)
        key.bytes[i] = (uint8_t)i;
    key.len = 16;
    synth_csv_options csv;
    synth_csv_options_init(&csv);
    csv.max_field_bytes = 4096;
    synth__mask_force_reader(force_reader);
    synth__mask_block_size(block);
    memset(st, 0, sizeof *st);
    int rc = synth_mask_csv(in, out, p, &key, &csv, st, err);
    synth__mask_force_reader(0);
    synth__mask_block_size(0);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const size_t blocks[] = {0, 1, 2, 3, 5, 8, 16, 64};
    size_t block = blocks[data[0] % 8];
    const char *policy_json = policies[(data[0] >> 3) & 1];
    char in[64], out1[64], out2[64];
    snprintf(in, sizeof in, "/tmp/fuzz_mask_%d.csv", (int)getpid());
    snprintf(out1, sizeof out1, "/tmp/fuzz_mask_%d.fast", (int)getpid());
    snprintf(out2, sizeof out2, "/tmp/fuzz_mask_%d.ref", (int)getpid());
    FILE *f = fopen(in, "wb");
    if (f == NULL)
        return 0;
    fputs("a,b,c\n", f);
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    synth_mask_policy *p = NULL;
    synth_err e1, e2;
    if (synth_mask_policy_parse(&p, policy_json, "p.json", &e1) != 0)
        abort();
    synth_mask_stats s1, s2;
    int rc1 = run(in, out1, p, 0, block, &s1, &e1);
    int rc2 = run(in, out2, p, 1, 0, &s2, &e2);
    synth_mask_policy_free(p);
    size_t l1 = 0, l2 = 0;
    char *b1 = rc1 == 0 ? slurp(out1, &l1) : NULL, *b2 = rc2 == 0 ? slurp(out2, &l2) : NULL;
    if (rc1 != rc2 || (rc1 != 0 && strcmp(e1.msg, e2.msg) != 0) ||
        (rc1 == 0 && (b1 == NULL || b2 == NULL || l1 != l2 || memcmp(b1, b2, l1) != 0 || s1.rows != s2.rows ||
                      s1.cells_masked != s2.cells_masked || s1.bytes_out != s2.bytes_out || s1.bytes_in != s2.bytes_in))) {
        fprintf(stderr, "fast path and reader disagree (block %zu): rc %d vs %d (%s | %s)\n", block, rc1, rc2,
                rc1 ? e1.msg : "", rc2 ? e2.msg : "");
        abort();
    }
    free(b1);
    free(b2);
    unlink(in);
    unlink(out1);
    unlink(out2);
    return 0;
}
