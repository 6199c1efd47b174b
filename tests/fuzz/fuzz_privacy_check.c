/* fuzz_privacy_check.c -- libFuzzer target for the privacy check's CSV input.
 *
 * The check has two parsers: a fast strict scanner for plain files and the libcsv reader it falls
 * back to.  The input (after a fixed header "a,b,c") is checked with QIs a,b and sensitive c by
 * both; they must agree exactly (return code and report), and neither may crash or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const char *path, int force_reader, json_t **report, int *passed, synth_err *err)
{
    static const char *const qi[] = {"a", "b"};
    static const char *const sens[] = {"c"};
    synth_privacy_spec spec;
    synth_privacy_spec_init(&spec);
    spec.qi = qi;
    spec.nqi = 2;
    spec.sensitive = sens;
    spec.nsensitive = 1;
    spec.k = 2;
    spec.l = 2;
    spec.c = 2;
    spec.t = 0.3;
    synth_csv_options csv;
    synth_csv_options_init(&csv);
    csv.max_field_bytes = 4096;
    synth__privacy_check_force_reader(force_reader);
    int rc = synth_privacy_check_csv(path, &spec, &csv, SYNTH_PROGRESS_NEVER, report, passed, err);
    synth__privacy_check_force_reader(0);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_privacy_%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    fputs("a,b,c\n", f);
    fwrite(data, 1, size, f);
    fclose(f);
    json_t *r1 = NULL, *r2 = NULL;
    int p1 = 0, p2 = 0;
    synth_err e1, e2;
    int rc1 = run(path, 0, &r1, &p1, &e1);
    int rc2 = run(path, 1, &r2, &p2, &e2);
    if (rc1 != rc2 || (rc1 == 0 && (p1 != p2 || !json_equal(r1, r2))) ||
        (rc1 != 0 && strcmp(e1.msg, e2.msg) != 0)) {
        fprintf(stderr, "scanner and reader disagree: rc %d vs %d (%s | %s)\n", rc1, rc2, rc1 ? e1.msg : "",
                rc2 ? e2.msg : "");
        abort();
    }
    json_decref(r1);
    json_decref(r2);
    unlink(path);
    return 0;
}
