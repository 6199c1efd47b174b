/* alloc.c -- allocation wrapper with a failure-injection hook: see alloc.h. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_long alloc_countdown = -1;   /* < 0: hook disabled */
static atomic_int alloc_sticky = 0;
static atomic_long alloc_calls = 0;

static int alloc_should_fail(void)
{
    atomic_fetch_add(&alloc_calls, 1);
    long left = atomic_load(&alloc_countdown);
    if (left < 0)
        return 0;
    if (left == 0) {
        if (!atomic_load(&alloc_sticky))
            atomic_store(&alloc_countdown, -1);
        return 1;
    }
    atomic_fetch_sub(&alloc_countdown, 1);
    return 0;
}

long synth_alloc_fail_after(long n, int sticky)
{
    atomic_store(&alloc_sticky, sticky);
    atomic_store(&alloc_countdown, n < 0 ? -1 : n);
    return atomic_exchange(&alloc_calls, 0);
}

void *synth_malloc(size_t size)
{
    if (alloc_should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *synth_calloc(size_t count, size_t size)
{
    if (alloc_should_fail())
        return NULL;
    if (count == 0 || size == 0)
        return calloc(1, 1);
    return calloc(count, size);
}

void *synth_realloc(void *ptr, size_t size)
{
    if (alloc_should_fail())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

void *synth_reallocarray(void *ptr, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    return synth_realloc(ptr, count * size);
}

void synth_free(void *ptr)
{
    free(ptr);
}

char *synth_strndup(const char *s, size_t len)
{
    char *copy = synth_malloc(len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *synth_strdup(const char *s)
{
    return synth_strndup(s, strlen(s));
}
