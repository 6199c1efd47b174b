/* cli.c -- option tables, help text, error reporting for the CLI.  See cli.h. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "count_arg.h"
#include "output.h"

const char synth_exit_codes_help[] =
    "Exit status:\n"
    "  0    success\n"
    "  1    internal error (a bug: please report it)\n"
    "  2    usage error (unknown option, bad option value, missing argument)\n"
    "  3    bad input data (malformed CSV, wrong types, no rows)\n"
    "  4    I/O failure (missing file, permission, disk full)\n"
    "  5    invalid or incompatible model file\n"
    "  6    out of memory\n"
    "  10   a gate failed: quality below --fail-under, requested k/l/c/t not met, or a PII leak\n"
    "       under --fail-on-leak\n"
    "  130  interrupted (no partial output is left behind)\n";

static long option_index(const cli_command *cmd, const char *name)
{
    for (size_t i = 0; cmd->options[i].name != NULL; i++)
        if (strcmp(cmd->options[i].name, name) == 0)
            return (long)i;
    return -1;
}

const char *cli_get(const cli_args *a, const char *name)
{
    long i = option_index(a->cmd, name);
    return i < 0 ? NULL : a->values[i];
}

int cli_flag(const cli_args *a, const char *name)
{
    return cli_get(a, name) != NULL;
}

const char *const *cli_get_all(const cli_args *a, const char *name, size_t *count)
{
    long i = option_index(a->cmd, name);
    *count = i < 0 ? 0 : a->nrepeated[i];
    return i < 0 ? NULL : a->repeated[i];
}

void cli_print_help(const cli_command *cmd, FILE *out)
{
    fprintf(out, "Usage: %s\n\n%s\n", cmd->usage, cmd->description);
    if (cmd->help_extra != NULL)
        cmd->help_extra(out);
    if (cmd->options[0].name != NULL)
        fprintf(out, "\nOptions:\n");
    for (size_t i = 0; cmd->options[i].name != NULL; i++) {
        const cli_option *o = &cmd->options[i];
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-28s %s\n", left, o->help);
    }
    fprintf(out, "  %-28s %s\n\n%s", "-h, --help", "show this help and exit", synth_exit_codes_help);
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "synth %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'synth %s --help' for more information.\n", cmd->name);
    return synth_code_exit(SYNTH_USAGE);
}

int cli_report(const char *cmd, const synth_err *err)
{
    const char *msg = err->msg[0] ? err->msg : synth_code_desc(err->code);
    if (err->code == SYNTH_INTERRUPTED)
        fprintf(stderr, "synth %s: interrupted; no output was left behind\n", cmd);
    else
        fprintf(stderr, "synth %s: %s\n", cmd, msg);
    if (err->code == SYNTH_USAGE)
        fprintf(stderr, "Try 'synth %s --help' for more information.\n", cmd);
    return synth_code_exit(err->code);
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out)
{
    memset(out, 0, sizeof *out);
    out->cmd = cmd;
    struct option longopts[CLI_MAX_OPTIONS + 2];
    char shortopts[3 * CLI_MAX_OPTIONS + 4];
    size_t ns = 0, n = 0;
    shortopts[ns++] = ':';
    for (; cmd->options[n].name != NULL; n++) {
        const cli_option *o = &cmd->options[n];
        longopts[n] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, 1000 + (int)n};
        if (o->short_name) {
            shortopts[ns++] = o->short_name;
            if (o->arg)
                shortopts[ns++] = ':';
        }
    }
    longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[n] = (struct option){NULL, 0, NULL, 0};
    shortopts[ns++] = 'h';
    shortopts[ns] = '\0';
    optind = 1;
    opterr = 0;
    int c, li = -1;
    while ((c = getopt_long(argc, argv, shortopts, longopts, &li)) != -1) {
        long idx = -1;
        if (c == 'h')
            goto help;
        if (c == '?') {
            /* optopt: 0 for an unknown long option; a long option's table value (1000 + i, or 'h'
             * for --help) when a flag was given "=VALUE"; else the unknown short option. */
            if (optopt >= 1000 && optopt < 1000 + (int)n - 1)   /* n counts --help too */
                return cli_usage_error(cmd, "option '--%s' does not take a value", cmd->options[optopt - 1000].name),
                       SYNTH_USAGE;
            if (optopt == 'h' && strncmp(argv[optind - 1], "--", 2) == 0)
                return cli_usage_error(cmd, "option '--help' does not take a value"), SYNTH_USAGE;
            if (optopt)
                return cli_usage_error(cmd, "unknown option '-%c'", optopt), SYNTH_USAGE;
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]), SYNTH_USAGE;
        }
        if (c == ':') {
            return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]), SYNTH_USAGE;
        }
        if (c >= 1000) {
            idx = c - 1000;
        } else {
            for (size_t i = 0; cmd->options[i].name != NULL; i++)
                if (cmd->options[i].short_name == c)
                    idx = (long)i;
        }
        if (idx < 0)
            return cli_usage_error(cmd, "unknown option"), SYNTH_USAGE;
        const cli_option *o = &cmd->options[idx];
        out->values[idx] = o->arg ? optarg : "";
        if (o->repeatable) {
            if (out->nrepeated[idx] >= CLI_MAX_REPEAT)
                return cli_usage_error(cmd, "--%s given too many times (max %d)", o->name, CLI_MAX_REPEAT),
                       SYNTH_USAGE;
            out->repeated[idx][out->nrepeated[idx]++] = optarg;
        }
        li = -1;
    }
    out->positional = argv + optind;
    out->npositional = (size_t)(argc - optind);
    if (out->npositional < cmd->min_args)
        return cli_usage_error(cmd, "missing argument (usage: %s)", cmd->usage), SYNTH_USAGE;
    if (out->npositional > cmd->max_args)
        return cli_usage_error(cmd, "unexpected argument '%s'", out->positional[cmd->max_args]), SYNTH_USAGE;
    return 0;
help:
    cli_print_help(cmd, stdout);
    return 1;
}

int cli_parse_uint(const char *opt, const char *text, uint64_t max, uint64_t *out, synth_err *err)
{
    return synth_parse_count(text, max, out, opt, err);
}

int cli_parse_delimiter(const char *text, char *out, synth_err *err)
{
    if (strcmp(text, "\\t") == 0 || strcmp(text, "tab") == 0) {
        *out = '\t';
        return 0;
    }
    if (strlen(text) != 1 || text[0] == '"' || text[0] == '\n' || text[0] == '\r')
        return synth_err_set(err, SYNTH_USAGE, "--delimiter: expected one character (or 'tab'), got '%s'", text);
    *out = text[0];
    return 0;
}

int cli_parse_progress(const cli_args *a, synth_progress_mode *mode, synth_err *err)
{
    *mode = SYNTH_PROGRESS_AUTO;
    const char *p = cli_get(a, "progress");
    if (p != NULL && synth_progress_mode_parse(p, mode) != 0)
        return synth_err_set(err, SYNTH_USAGE, "--progress: expected auto, always or never, got '%s'", p);
    if (cli_flag(a, "quiet"))
        *mode = SYNTH_PROGRESS_NEVER;
    return 0;
}

int cli_write_json(const json_t *doc, const char *path, synth_err *err)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    synth_output *out = NULL;
    int rc = synth_output_open(&out, path, err);
    if (rc == 0)
        rc = synth_output_write(out, text, strlen(text), err);
    if (rc == 0)
        rc = synth_output_write(out, "\n", 1, err);
    if (rc == 0)
        rc = synth_output_commit(out, err);
    else
        synth_output_abort(out);
    free(text);
    return rc;
}
