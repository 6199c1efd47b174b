/* keys.c -- API keys (see keys.h).  Skeleton: being implemented. */
#include <string.h>

#include "keys.h"

#define NOT_YET(err) synth_err_set((err), SYNTH_INTERNAL, "keys: not implemented yet")

int synth_scopes_parse(const char *text, unsigned *out, synth_err *err) { (void)text; *out = 0; return NOT_YET(err); }
void synth_scopes_format(unsigned scopes, char *buf, size_t n) { (void)scopes; if (n) buf[0] = 0; }
int synth_scopes_allow(unsigned have, unsigned need)
{ return (have & SYNTH_SCOPE_ADMIN) != 0 || (have & need) == need; }
json_t *synth_scopes_json(unsigned scopes) { (void)scopes; return NULL; }
int synth_keys_create(synth_store *s, const char *name, unsigned scopes, char **secret, synth_key_info *info,
                      synth_err *err)
{ (void)s; (void)name; (void)scopes; *secret = NULL; (void)info; return NOT_YET(err); }
int synth_keys_authenticate(synth_store *s, const char *token, synth_key_info *out, synth_err *err)
{ (void)s; (void)token; (void)out; return NOT_YET(err); }
int synth_keys_revoke(synth_store *s, const char *id_or_prefix, synth_key_info *info, synth_err *err)
{ (void)s; (void)id_or_prefix; (void)info; return NOT_YET(err); }
json_t *synth_key_json(const synth_key_info *k) { (void)k; return NULL; }
int synth_keys_list_json(synth_store *s, json_t **out, synth_err *err) { (void)s; *out = NULL; return NOT_YET(err); }
