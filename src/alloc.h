/* alloc.h -- the one allocation wrapper of synth.
 *
 * All heap memory goes through these functions so tests can make the Nth allocation fail and prove
 * that every caller turns it into a clean SYNTH_NOMEM error without leaking.  They behave like the
 * libc functions they wrap: NULL on failure, synth_free(NULL) does nothing.  Thread-safe. */
#ifndef SYNTH_ALLOC_H
#define SYNTH_ALLOC_H

#include <stddef.h>

void *synth_malloc(size_t size);
void *synth_calloc(size_t count, size_t size);     /* NULL also when count*size overflows */
void *synth_realloc(void *ptr, size_t size);      /* on failure ptr is left untouched */
void *synth_reallocarray(void *ptr, size_t count, size_t size);
void synth_free(void *ptr);
char *synth_strdup(const char *s);                  /* caller frees with synth_free */
char *synth_strndup(const char *s, size_t len);     /* copies len bytes and adds a NUL */

/* Test hook: make the allocation `n` calls from now fail (n = 0: the very next one), and every one
 * after it while `sticky` is true.  n < 0 disables the hook.  Returns the number of allocations
 * made since the last call, so a test can count how many a function needs. */
long synth_alloc_fail_after(long n, int sticky);

#endif
