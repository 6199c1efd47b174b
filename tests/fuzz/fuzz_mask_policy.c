/* fuzz_mask_policy.c -- libFuzzer target for masking policies (JSON from users) and the operators.
 *
 * The input is parsed as a policy; when it parses, it is bound to a fixed header with a fixed key
 * and applied to a few sample cells of every column.  A bad policy must be a clean error; a good
 * one must never crash, overflow its output bound or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "pii_mask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    synth_err err;
    synth_mask_policy *p = NULL;
    if (synth_mask_policy_parse(&p, text, "fuzz.json", &err) == 0) {
        static const char *const cols[] = {"id", "name", "email", "ssn", "card", "phone", "note"};
        static const char *const cells[] = {"", "C-1001", "Alice Smith", "alice@example.com", "123-45-6789",
                                            "4111 1111 1111 1111", "(555) 010-1234", "ünïcödé ✓", "0"};
        synth_mask_key key = {.len = 32};
        for (size_t i = 0; i < sizeof key.bytes; i++)
            key.bytes[i] = (uint8_t)(i * 7 + 1);
        synth_masker *m = NULL;
        if (synth_masker_new(&m, p, cols, NULL, 7, &key, &err) == 0) {
            for (size_t c = 0; c < 7; c++) {
                for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++) {
                    size_t len = strlen(cells[k]);
                    size_t bound = synth_masker_bound(m, c, len);
                    char *out = synth_malloc(bound);
                    size_t outlen = 0;
                    if (out != NULL && synth_masker_cell(m, c, cells[k], len, k, out, &outlen, &err) == 0 &&
                        (outlen >= bound || out[outlen] != '\0'))
                        abort();
                    synth_free(out);
                }
            }
            synth_masker_free(m);
        }
        synth_mask_policy_free(p);
    }
    free(text);
    return 0;
}
