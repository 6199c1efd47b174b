/* cmd_privacy.h -- helpers shared by `synth privacy` and `synth generate --qi`. */
#ifndef SYNTH_CMD_PRIVACY_H
#define SYNTH_CMD_PRIVACY_H

#include <stdio.h>

#include <jansson.h>

#include "check.h"
#include "cli.h"

#define SYNTH_CLI_MAX_COLUMNS 64

/* A comma-separated column list split into a copy the list owns (free buf with synth_free). */
typedef struct name_list {
    char *buf;
    const char *names[SYNTH_CLI_MAX_COLUMNS];
    size_t count;
} name_list;

/* Fill spec from --qi, --sensitive, --k, --l, --c, --t, --risk-threshold (absent options are
 * skipped).  SYNTH_USAGE with a message on bad values. */
int synth__cli_privacy_spec(const cli_args *a, synth_privacy_spec *spec, name_list *qi, name_list *sens,
                            synth_err *err);
/* The human summary of a check report. */
void synth__cli_print_privacy(const json_t *report, FILE *out);
/* A share 0..1 given as 0.02 or 2%. */
int synth__cli_parse_share(const char *opt, const char *text, double *out, synth_err *err);

#endif
