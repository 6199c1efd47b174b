/* commands.h -- the CLI's subcommand table (one entry per `synth CMD`). */
#ifndef SYNTH_COMMANDS_H
#define SYNTH_COMMANDS_H

#include "cli.h"

extern const cli_command synth_cmd_schema;
extern const cli_command synth_cmd_fit;
extern const cli_command synth_cmd_generate;
extern const cli_command synth_cmd_inspect;
extern const cli_command synth_cmd_validate;
extern const cli_command synth_cmd_privacy_check;
extern const cli_command synth_cmd_privacy_anonymize;
extern const cli_command synth_cmd_pii_mask;
extern const cli_command synth_cmd_pii_scan;
extern const cli_command synth_cmd_serve;
extern const cli_command synth_cmd_keys_create;
extern const cli_command synth_cmd_keys_list;
extern const cli_command synth_cmd_keys_revoke;

/* NULL-terminated list in the order `synth help` shows them. */
extern const cli_command *const synth_commands[];

#endif
