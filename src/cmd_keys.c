/* cmd_keys.c -- `synth keys create|list|revoke`: manage the REST server's API keys offline, on the
 * same store (--data-dir) a running `synth serve` uses.  The secret is printed once, alone on
 * stdout, so `KEY=$(synth keys create ...)` works; everything else goes to stderr.  Listing never
 * shows secrets or hashes. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "commands.h"
#include "keys.h"
#include "store.h"

static int open_store(const cli_args *a, const cli_command *cmd, synth_store **s, synth_err *err)
{
    const char *dir = cli_get(a, "data-dir");
    if (dir == NULL || dir[0] == '\0')
        return cli_usage_error(cmd, "--data-dir DIR is required (the directory 'synth serve' uses)");
    int rc = synth_store_open(dir, s, err);
    return rc ? cli_report(cmd->name, err) : 0;
}

/* ---- create ------------------------------------------------------------------------------ */

static const cli_option create_options[] = {
    {"name", 'n', "NAME", 0, "a label for the key, shown in listings and logs (required)"},
    {"scopes", 's', "LIST", 0, "comma-separated: read, generate, admin (default read,generate; admin implies all)"},
    {"data-dir", 'd', "DIR", 0, "the server's data directory (created when missing)"},
    {"json", 0, NULL, 0, "print the key's metadata as JSON on stderr"},
    {NULL, 0, NULL, 0, NULL},
};

static int run_create(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    const char *name = cli_get(a, "name");
    if (name == NULL || name[0] == '\0')
        return cli_usage_error(&synth_cmd_keys_create, "--name NAME is required");
    unsigned scopes;
    const char *sv = cli_get(a, "scopes");
    if (synth_scopes_parse(sv != NULL ? sv : "read,generate", &scopes, &err) != 0)
        return cli_usage_error(&synth_cmd_keys_create, "--scopes: %s", err.msg);
    synth_store *s = NULL;
    int rc = open_store(a, &synth_cmd_keys_create, &s, &err);
    if (rc)
        return rc;
    char *secret = NULL;
    synth_key_info info;
    rc = synth_keys_create(s, name, scopes, &secret, &info, &err);
    if (rc == SYNTH_BAD_INPUT) {
        synth_store_close(s);
        return cli_usage_error(&synth_cmd_keys_create, "%s", err.msg);
    }
    if (rc == 0)
        rc = synth_store_audit(s, NULL, "key.create", info.id, 0, "synth keys create", &err);
    synth_store_close(s);
    if (rc) {
        synth_free(secret);
        return cli_report("keys create", &err);
    }
    printf("%s\n", secret);
    memset(secret, 0, SYNTH_KEY_SECRET_LEN);
    synth_free(secret);
    char sc[32];
    synth_scopes_format(info.scopes, sc, sizeof sc);
    if (cli_flag(a, "json")) {
        json_t *j = synth_key_json(&info);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        fprintf(stderr, "%s\n", text ? text : "{}");
        free(text);
        json_decref(j);
    } else {
        fprintf(stderr, "synth keys create: key %s (prefix %s, name '%s', scopes %s); the secret above is shown "
                        "only once\n", info.id, info.prefix, info.name, sc);
    }
    return 0;
}

const cli_command synth_cmd_keys_create = {
    .name = "keys create",
    .summary = "create an API key for 'synth serve' (printed once on stdout)",
    .usage = "synth keys create --name NAME [--scopes read,generate] --data-dir DIR",
    .description =
        "Creates a random API key (OpenSSL CSPRNG) in the server's store and prints the secret alone\n"
        "on standard output, once: only its SHA-256 is stored.  Metadata (id, prefix, scopes) goes to\n"
        "standard error.  Clients send it as 'Authorization: Bearer <key>'.",
    .options = create_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_create,
};

/* ---- list -------------------------------------------------------------------------------- */

static const cli_option list_options[] = {
    {"data-dir", 'd', "DIR", 0, "the server's data directory"},
    {"json", 0, NULL, 0, "print a JSON array instead of a table"},
    {NULL, 0, NULL, 0, NULL},
};

static int run_list(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_store *s = NULL;
    int rc = open_store(a, &synth_cmd_keys_list, &s, &err);
    if (rc)
        return rc;
    if (cli_flag(a, "json")) {
        json_t *arr = NULL;
        rc = synth_keys_list_json(s, &arr, &err);
        synth_store_close(s);
        if (rc)
            return cli_report("keys list", &err);
        char *text = json_dumps(arr, JSON_INDENT(2));
        json_decref(arr);
        if (text == NULL) {
            synth_err_set(&err, SYNTH_NOMEM, "out of memory");
            return cli_report("keys list", &err);
        }
        printf("%s\n", text);
        free(text);
        return 0;
    }
    synth_key_info *keys = NULL;
    size_t n = 0;
    rc = synth_store_key_list(s, &keys, &n, &err);
    synth_store_close(s);
    if (rc)
        return cli_report("keys list", &err);
    printf("%-20s  %-8s  %-20s  %-19s  %-20s  %s\n", "ID", "PREFIX", "SCOPES", "CREATED", "REVOKED", "NAME");
    for (size_t i = 0; i < n; i++) {
        char sc[32], created[32], revoked[32];
        synth_scopes_format(keys[i].scopes, sc, sizeof sc);
        synth_store_format_time(keys[i].created_at, created, sizeof created);
        if (keys[i].revoked_at)
            synth_store_format_time(keys[i].revoked_at, revoked, sizeof revoked);
        else
            memcpy(revoked, "-", 2);
        printf("%-20s  %-8s  %-20s  %-19s  %-20s  %s\n", keys[i].id, keys[i].prefix, sc, created, revoked,
               keys[i].name);
    }
    synth_free(keys);
    return 0;
}

const cli_command synth_cmd_keys_list = {
    .name = "keys list",
    .summary = "list the API keys of a server's store (never secrets)",
    .usage = "synth keys list --data-dir DIR [--json]",
    .description = "Lists every key, revoked ones included: id, visible prefix, scopes, creation and revocation\n"
                   "times, name.  Neither the secret nor its hash is ever shown.",
    .options = list_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_list,
};

/* ---- revoke ------------------------------------------------------------------------------ */

static const cli_option revoke_options[] = {
    {"data-dir", 'd', "DIR", 0, "the server's data directory"},
    {NULL, 0, NULL, 0, NULL},
};

static int run_revoke(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_store *s = NULL;
    int rc = open_store(a, &synth_cmd_keys_revoke, &s, &err);
    if (rc)
        return rc;
    const char *which = a->positional[0];
    synth_key_info info;
    rc = synth_keys_revoke(s, which, &info, &err);
    if (rc == 0)
        rc = synth_store_audit(s, NULL, "key.revoke", info.id, 0, "synth keys revoke", &err);
    synth_store_close(s);
    if (rc == SYNTH_STORE_NOT_FOUND)
        return cli_usage_error(&synth_cmd_keys_revoke, "no key with id or prefix '%s'", which);
    if (rc)
        return cli_report("keys revoke", &err);
    fprintf(stderr, "synth keys revoke: key %s (prefix %s, name '%s') is revoked\n", info.id, info.prefix, info.name);
    return 0;
}

const cli_command synth_cmd_keys_revoke = {
    .name = "keys revoke",
    .summary = "revoke an API key by id or prefix (takes effect at once)",
    .usage = "synth keys revoke ID|PREFIX --data-dir DIR",
    .description = "Marks the key revoked; a running server refuses it from its next request on (401).\n"
                   "Revoking a revoked key again is not an error.",
    .options = revoke_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_revoke,
};
