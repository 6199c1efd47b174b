/* fuzz_pii_scan.c -- libFuzzer target for privacy/pii_detect.c.
 *
 * The input is one cell, given to synth_pii_find with no column name, with a column name taken
 * from the input's first byte (so every context hint -- SSN, phone, DOB, ZIP, person -- is
 * exercised), and to synth_pii_find_ex with a small built-in name dictionary.  The cell is an
 * exact-size heap copy so ASan sees any over-read.  Invariants: matches lie inside the cell, are
 * sorted and never overlap, scores are in (0, 1], the count never exceeds max, and the masked form
 * of every match fits SYNTH_PII_MASK_MAX. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pii_detect.h"

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "fuzz_pii_scan: line %d: %s\n", __LINE__, #cond);      \
            abort();                                                                \
        }                                                                           \
    } while (0)

static const char *const k_columns[] = {
    NULL, "notes", "email", "phone_number", "ssn", "card", "iban", "ip", "mac_address", "website",
    "date_of_birth", "first_name", "customer name", "zip", "postcode", "productName",
};

static synth_pii_names *g_names;

static void check(const char *cell, size_t len, const char *col, const synth_pii_names *names, size_t max)
{
    synth_pii_match m[16];
    size_t n = synth_pii_find_ex(cell, len, col, names, m, max);
    CHECK(n <= max);
    for (size_t i = 0; i < n; i++) {
        CHECK((unsigned)m[i].entity < SYNTH_PII_ENTITY_COUNT);
        CHECK(m[i].len > 0 && m[i].start <= len && m[i].len <= len - m[i].start);
        CHECK(m[i].score > 0 && m[i].score <= 1.0);
        if (i > 0)
            CHECK(m[i].start >= m[i - 1].start + m[i - 1].len);
        char buf[SYNTH_PII_MASK_MAX];
        size_t ml = synth_pii_mask(m[i].entity, cell + m[i].start, m[i].len, buf);
        CHECK(ml < SYNTH_PII_MASK_MAX && strlen(buf) == ml);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_names == NULL) {
        char path[] = "/tmp/fuzz_pii_names_XXXXXX";
        int fd = mkstemp(path);
        if (fd >= 0) {
            static const char words[] = "# test\nmaria\ngarcia\njohn\nsmith\nO'Brien\n";
            if (write(fd, words, sizeof words - 1) == (ssize_t)(sizeof words - 1)) {
                synth_err err;
                synth_pii_names_load(path, &g_names, &err);
            }
            close(fd);
            unlink(path);
        }
    }
    char *cell = malloc(size ? size : 1);
    if (cell == NULL)
        return 0;
    if (size)
        memcpy(cell, data, size);
    const char *col = size ? k_columns[data[0] % (sizeof k_columns / sizeof k_columns[0])] : NULL;
    check(cell, size, NULL, NULL, 16);
    check(cell, size, col, NULL, 16);
    check(cell, size, col, g_names, 16);
    check(cell, size, "notes", g_names, 3);
    free(cell);
    return 0;
}
