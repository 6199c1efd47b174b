/* main.c -- the synth command: dispatches git-style subcommands (see commands.h). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "signals.h"

const cli_command *const synth_commands[] = {
    &synth_cmd_schema, &synth_cmd_fit, &synth_cmd_generate, &synth_cmd_validate, &synth_cmd_inspect,
    &synth_cmd_privacy_check, &synth_cmd_privacy_anonymize, &synth_cmd_pii_scan, &synth_cmd_pii_mask,
    &synth_cmd_serve, &synth_cmd_keys_create, &synth_cmd_keys_list, &synth_cmd_keys_revoke,
    NULL,
};

static void print_overview(FILE *out)
{
    fprintf(out,
            "synth %s -- learn a table, write look-alike synthetic rows\n\n"
            "Usage: synth COMMAND [options]\n"
            "       synth help [COMMAND] | synth --version\n\nCommands:\n",
            SYNTH_VERSION);
    for (size_t i = 0; synth_commands[i] != NULL; i++)
        fprintf(out, "  %-18s %s\n", synth_commands[i]->name, synth_commands[i]->summary);
    fprintf(out,
            "\nExample:\n"
            "  synth fit datasets/adult.csv -o adult.synth\n"
            "  synth generate adult.synth --rows 1e7 -o adult-10m.csv\n\n"
            "Run 'synth COMMAND --help' for a command's options.\n\n%s",
            synth_exit_codes_help);
}

/* "privacy" takes a subcommand: argv "privacy check ..." names the command "privacy check". */
static const cli_command *find_command2(const char *group, const char *name)
{
    char joined[64];
    snprintf(joined, sizeof joined, "%s %s", group, name);
    for (size_t i = 0; synth_commands[i] != NULL; i++)
        if (strcmp(synth_commands[i]->name, joined) == 0)
            return synth_commands[i];
    return NULL;
}

/* Does some command's name start with "name "?  ("privacy" for "privacy check"). */
static int is_group(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; synth_commands[i] != NULL; i++)
        if (strncmp(synth_commands[i]->name, name, n) == 0 && synth_commands[i]->name[n] == ' ')
            return 1;
    return 0;
}

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; synth_commands[i] != NULL; i++)
        if (strcmp(synth_commands[i]->name, name) == 0)
            return synth_commands[i];
    return NULL;
}

static int finish(int code)
{
    if ((fflush(stdout) != 0 || ferror(stdout)) && code == 0) {   /* ferror: an earlier write failed */
        fprintf(stderr, "synth: cannot write to standard output\n");
        return 4;
    }
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("synth %s\n", SYNTH_VERSION);
        return finish(0);
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (strcmp(name, "help") == 0 && argc > 2) {
            const cli_command *cmd = argc > 3 ? find_command2(argv[2], argv[3]) : NULL;
            if (cmd == NULL)
                cmd = find_command(argv[2]);
            if (cmd == NULL) {
                fprintf(stderr, "synth help: unknown command '%s'\nTry 'synth help'.\n", argv[2]);
                return 2;
            }
            cli_print_help(cmd, stdout);
            return finish(0);
        }
        print_overview(stdout);
        return finish(0);
    }
    const cli_command *cmd = find_command(name);
    int shift = 1;
    if (cmd == NULL && is_group(name)) {
        cmd = argc > 2 ? find_command2(name, argv[2]) : NULL;
        if (cmd == NULL) {
            fprintf(stderr, "synth %s: expected a subcommand:", name);
            for (size_t i = 0; synth_commands[i] != NULL; i++)
                if (strncmp(synth_commands[i]->name, name, strlen(name)) == 0 &&
                    synth_commands[i]->name[strlen(name)] == ' ')
                    fprintf(stderr, " %s", synth_commands[i]->name + strlen(name) + 1);
            fprintf(stderr, "\nTry 'synth help' for the list of commands.\n");
            return 2;
        }
        shift = 2;
    }
    if (cmd == NULL) {
        fprintf(stderr, "synth: unknown command '%s'\nTry 'synth help' for the list of commands.\n", name);
        return 2;
    }
    cli_args args;
    int rc = cli_parse(cmd, argc - shift, argv + shift, &args);
    if (rc == 1)
        return finish(0);
    if (rc != 0)
        return 2;
    synth_signals_install();
    return finish(cmd->run(&args));
}
