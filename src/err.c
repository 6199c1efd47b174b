/* err.c -- errors as values: see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void synth_err_clear(synth_err *err)
{
    if (err == NULL)
        return;
    err->code = SYNTH_OK;
    err->msg[0] = '\0';
}

int synth_err_set(synth_err *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

int synth_err_prefix(synth_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return SYNTH_INTERNAL;
    char prefix[SYNTH_ERR_MSG_MAX];
    char old[SYNTH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t plen = strlen(prefix), olen = strnlen(old, sizeof old - 1);
    if (plen > sizeof err->msg - 1)
        plen = sizeof err->msg - 1;
    if (olen > sizeof err->msg - 1 - plen)
        olen = sizeof err->msg - 1 - plen;
    memcpy(err->msg, prefix, plen);
    memcpy(err->msg + plen, old, olen);
    err->msg[plen + olen] = '\0';
    return err->code;
}

const char *synth_code_name(int code)
{
    switch (code) {
#define SYNTH__NAME(name, value, exitcode, desc) case value: return #name;
    SYNTH_ERROR_LIST(SYNTH__NAME)
#undef SYNTH__NAME
    }
    return "UNKNOWN";
}

const char *synth_code_desc(int code)
{
    switch (code) {
#define SYNTH__DESC(name, value, exitcode, desc) case value: return desc;
    SYNTH_ERROR_LIST(SYNTH__DESC)
#undef SYNTH__DESC
    }
    return "unknown error";
}

int synth_code_exit(int code)
{
    switch (code) {
#define SYNTH__EXIT(name, value, exitcode, desc) case value: return exitcode;
    SYNTH_ERROR_LIST(SYNTH__EXIT)
#undef SYNTH__EXIT
    }
    return 1;
}
