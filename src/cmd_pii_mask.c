/* cmd_pii_mask.c -- `synth pii mask`: mask personal-data columns of a CSV by a JSON policy
 * (redact, replace, mask, hash, tokenize, FF1 format-preserving encryption, synthetic fakes). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pii_mask.h"

extern const cli_command synth_cmd_pii_mask;

static const cli_option mask_options[] = {
    {"policy", 'p', "FILE", 0, "masking policy (JSON; required)"},
    {"output", 'o', "FILE", 0, "masked CSV to write (required; '-' = stdout)"},
    {"key-file", 'k', "FILE", 0, "key: 16, 24 or 32 raw bytes (default: hex in $SYNTH_MASK_KEY)"},
    {"delimiter", 'd', "CHAR", 0, "field delimiter (default ','; 'tab' for tabs)"},
    {"quiet", 'q', NULL, 0, "no summary"},
    {NULL, 0, NULL, 0, NULL},
};

static int run_mask(const cli_args *a)
{
    synth_err err;
    synth_err_clear(&err);
    synth_csv_options csv;
    synth_csv_options_init(&csv);
    const char *policy_path = cli_get(a, "policy"), *out_path = cli_get(a, "output"), *v;
    int rc = 0;
    if (policy_path == NULL)
        rc = synth_err_set(&err, SYNTH_USAGE, "--policy FILE is required");
    else if (out_path == NULL)
        rc = synth_err_set(&err, SYNTH_USAGE, "-o FILE is required");
    else if ((v = cli_get(a, "delimiter")) != NULL)
        rc = cli_parse_delimiter(v, &csv.delimiter, &err);
    if (rc)
        return cli_report("pii mask", &err);
    synth_mask_policy *policy = NULL;
    synth_mask_key key;
    memset(&key, 0, sizeof key);
    rc = synth_mask_policy_load(&policy, policy_path, &err);
    if (rc == 0)
        rc = synth_mask_key_load(&key, cli_get(a, "key-file"), &err);
    synth_mask_stats st;
    if (rc == 0)
        rc = synth_mask_csv(a->positional[0], out_path, policy, &key, &csv, &st, &err);
    synth_mask_key_clear(&key);
    synth_mask_policy_free(policy);
    if (rc)
        return cli_report("pii mask", &err);
    if (!cli_flag(a, "quiet") && strcmp(out_path, "-") != 0)
        fprintf(stderr, "synth pii mask: %llu rows, %zu column%s masked (%llu cells) -> %s\n",
                (unsigned long long)st.rows, st.columns_masked, st.columns_masked == 1 ? "" : "s",
                (unsigned long long)st.cells_masked, out_path);
    return 0;
}

const cli_command synth_cmd_pii_mask = {
    .name = "pii mask",
    .summary = "mask personal data in a CSV by a policy (hash, tokenize, FF1 encryption, fakes, ...)",
    .usage = "synth pii mask IN.csv --policy POLICY.json -o OUT.csv [--key-file KEY]",
    .description =
        "Streams IN.csv and rewrites the columns named in the policy; all other columns and the\n"
        "CSV quoting are kept.  A policy is {\"columns\": {NAME: {\"operator\": OP, ...}}, \"entities\":\n"
        "{ENTITY: {...}}} with OP one of redact (value), replace (value), mask (keep_first,\n"
        "keep_last, char), hash (length), tokenize (prefix, length), fpe (tweak) and synthetic\n"
        "(entity, consistent, seed).  hash, tokenize, fpe and consistent synthetic need a key:\n"
        "--key-file with 16, 24 or 32 raw bytes, or $SYNTH_MASK_KEY in hex.  fpe encrypts the\n"
        "digits with FF1 (NIST SP 800-38G, AES) and keeps every other character, so values keep\n"
        "their format and can be decrypted with the key; values with fewer than 6 digits are\n"
        "refused.  Empty cells stay empty.  The output is written under a temporary name and\n"
        "renamed when complete.",
    .options = mask_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_mask,
};
