/* registry.c -- the const table of generators and --param helpers.  See generator.h. */
#include <string.h>

#include "copula/copula.h"
#include "ctgan/ctgan.h"
#include "generator.h"

static const synth_generator *const registry[] = {
    &synth_copula_generator,
    &synth_ctgan_generator,
    NULL,
};

const synth_generator *const *synth_generator_list(void)
{
    return registry;
}

const synth_generator *synth_generator_find(const char *name)
{
    for (size_t i = 0; registry[i] != NULL; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

const char *synth_param_get(const synth_fit_options *opt, const char *key)
{
    size_t klen = strlen(key);
    const char *found = NULL;
    for (size_t i = 0; opt != NULL && i < opt->nparams; i++) {
        const char *p = opt->params[i];
        if (strncmp(p, key, klen) == 0 && p[klen] == '=')
            found = p + klen + 1;   /* the last one given wins */
    }
    return found;
}

int synth_params_check(const synth_fit_options *opt, const synth_generator *gen, synth_err *err)
{
    for (size_t i = 0; i < opt->nparams; i++) {
        const char *p = opt->params[i];
        const char *eq = strchr(p, '=');
        if (eq == NULL || eq == p)
            return synth_err_set(err, SYNTH_USAGE, "--param '%s': expected key=value", p);
        size_t klen = (size_t)(eq - p);
        int known = 0;
        for (const synth_param_desc *d = gen->params; d != NULL && d->name != NULL; d++)
            if (strlen(d->name) == klen && strncmp(d->name, p, klen) == 0)
                known = 1;
        if (!known)
            return synth_err_set(err, SYNTH_USAGE, "--param '%.*s': not a parameter of the %s generator "
                                 "(see synth fit --help)", (int)klen, p, gen->name);
    }
    return 0;
}
