/* fuzz_model.c -- libFuzzer target for model files, an input synth reads from users.
 *
 * The input is written to a file and opened with synth_model_open; when it loads, a few rows are
 * sampled and formatted.  Seeds are real model files (tests/fuzz/seeds/fuzz_model/), so mutations
 * reach the stored schema JSON, the generator's JSON and the parameter blobs.  Any crash, hang,
 * leak or sanitizer report is a bug: a damaged model must give a clean SYNTH_MODEL error. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "chunk.h"
#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_model_%d.synth", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    synth_err err;
    synth_loaded_model *lm = NULL;
    if (synth_model_open(path, &lm, &err) == 0) {
        synth_chunk *ch = synth_chunk_new(lm->schema->ncols, 64);
        synth_formatter *fmt = NULL;
        if (ch != NULL && synth_formatter_new(&fmt, lm->schema, ',', 1, &err) == 0) {
            ch->first_row = 12345;
            ch->nrows = 64;
            if (lm->gen->sample(lm->model, 7, ch, &err) == 0) {
                char *buf = NULL;
                size_t len = 0, cap = 0;
                synth_formatter_rows(fmt, ch, &buf, &len, &cap, &err);
                synth_free(buf);
            }
        }
        synth_formatter_free(fmt);
        synth_chunk_free(ch);
        synth_loaded_model_free(lm);
    }
    unlink(path);
    return 0;
}
