/* cli.h -- command-line plumbing: option tables that drive both getopt_long and the help text,
 * and the mapping of errors to messages and exit codes.
 *
 * Each subcommand declares its options once (cli_option[]); cli_parse turns argv into values the
 * command reads by name, and cli_print_help prints the same table.  `--help` prints on stdout and
 * exits 0; misuse prints a one-line error plus a hint on stderr and exits 2.  Only this module
 * and the commands print; the library below returns errors as values. */
#ifndef SYNTH_CLI_H
#define SYNTH_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "err.h"
#include "progress.h"

#define CLI_MAX_OPTIONS 40
#define CLI_MAX_REPEAT 64

typedef struct cli_option {
    const char *name;        /* long name without "--" */
    char short_name;         /* 0 = none */
    const char *arg;         /* argument placeholder ("N", "FILE"); NULL = flag */
    int repeatable;          /* may be given several times (values collected in order) */
    const char *help;
} cli_option;

struct cli_args;

typedef struct cli_command {
    const char *name;
    const char *summary;     /* one line for `synth help` */
    const char *usage;       /* "synth fit INPUT.csv [options]" */
    const char *description; /* paragraph(s) printed after the usage line */
    const cli_option *options;
    size_t min_args, max_args;   /* positional arguments */
    int (*run)(const struct cli_args *args);
    void (*help_extra)(FILE *out);   /* optional: more help printed after the description */
} cli_command;

typedef struct cli_args {
    const char *values[CLI_MAX_OPTIONS];          /* last value given, or "" for a set flag */
    const char *repeated[CLI_MAX_OPTIONS][CLI_MAX_REPEAT];
    size_t nrepeated[CLI_MAX_OPTIONS];
    char **positional;
    size_t npositional;
    const cli_command *cmd;
} cli_args;

/* Parse argv (argv[0] is the command name).  Returns 0, 1 when --help was printed (exit 0), or
 * SYNTH_USAGE after printing the error and hint. */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out);

/* Value of option `name`, or NULL when not given.  Flags give "". */
const char *cli_get(const cli_args *a, const char *name);
int cli_flag(const cli_args *a, const char *name);
/* All values of a repeatable option; *count set. */
const char *const *cli_get_all(const cli_args *a, const char *name, size_t *count);

void cli_print_help(const cli_command *cmd, FILE *out);

/* Print "synth CMD: message" (and a hint for usage errors) to stderr; return the exit code. */
int cli_report(const char *cmd, const synth_err *err);
/* Convenience for usage errors found by commands. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Shared option parsers; each prints nothing and fills err on bad input (SYNTH_USAGE). */
int cli_parse_uint(const char *opt, const char *text, uint64_t max, uint64_t *out, synth_err *err);
int cli_parse_delimiter(const char *text, char *out, synth_err *err);
int cli_parse_progress(const cli_args *a, synth_progress_mode *mode, synth_err *err);

/* Write a JSON document (indented) to path via synth_output (temporary name + rename). */
int cli_write_json(const json_t *doc, const char *path, synth_err *err);

extern const char synth_exit_codes_help[];

#endif
