/* output.h -- safe output files: written under a temporary name, renamed when complete.
 *
 * A run that fails or is interrupted never leaves a file at the final path that looks complete:
 * data goes to a hidden temporary file in the same directory (so the final rename is atomic),
 * which is flushed, fsync'ed and renamed over the target only by synth_output_commit.  "-" means
 * standard output (written directly; a failed write is still an error).  Gzip framing is the
 * caller's job (see synth_gzip_member) so compression can run on worker threads.
 * An output object is used by one thread at a time. */
#ifndef SYNTH_OUTPUT_H
#define SYNTH_OUTPUT_H

#include <stddef.h>

#include "err.h"

typedef struct synth_output synth_output;

/* Create the temporary file beside `path` (or wrap stdout for "-").  Errors (SYNTH_IO) name the
 * path: missing directory, no permission, path is a directory. */
int synth_output_open(synth_output **out, const char *path, synth_err *err);

/* Write all len bytes (retrying short writes and EINTR).  SYNTH_IO on failure (disk full, EPIPE). */
int synth_output_write(synth_output *o, const void *buf, size_t len, synth_err *err);

/* Flush, fsync, close and rename to the final path; frees o whatever happens (on failure the
 * temporary file is removed).  For stdout: flush only. */
int synth_output_commit(synth_output *o, synth_err *err);

/* Remove the temporary file and free o.  NULL is a no-op.  Async-signal-safe use is NOT supported;
 * for signals see synth_output_temp_path + unlink. */
void synth_output_abort(synth_output *o);

/* Path of the temporary file (NULL for stdout); valid until commit/abort. */
const char *synth_output_temp_path(const synth_output *o);

/* 1 if path ends in ".gz" (case-sensitive). */
int synth_output_is_gzip_path(const char *path);

/* Compress in[0..len) as one complete gzip member (RFC 1952; members may be concatenated and
 * every gunzip reads them as one stream) at zlib `level` (0-9) into *buf, growing it with
 * synth_realloc as needed (*cap is its capacity; *buf may start NULL).  Sets *out_len.  Returns 0
 * or SYNTH_NOMEM/SYNTH_INTERNAL. */
int synth_gzip_member(const void *in, size_t len, int level, char **buf, size_t *cap,
                      size_t *out_len, synth_err *err);

/* An upper bound on the size of the gzip member synth_gzip_member makes from len bytes at any
 * level (SIZE_MAX if that would overflow); callers may size a reusable buffer with it. */
size_t synth_gzip_bound(size_t len);

#endif
