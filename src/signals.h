/* signals.h -- interrupt handling (SIGINT/SIGTERM/SIGHUP) and the registry of temporary files.
 *
 * The first signal only sets a flag: long-running loops poll synth_signals_interrupted() and stop
 * cleanly (aborting their outputs, which removes the temporary files), and the CLI exits 130.  A
 * second signal means "stop now": the handler unlinks every registered temporary file and calls
 * _exit(130).  The registry is a fixed-size table (no heap, so the handler can read it) that
 * output.c and model_file.c fill while a temporary file exists.
 * Thread-safety: register/unregister take a mutex; the handler reads the table without locking
 * (each slot's path is complete before its atomic "used" flag is set). */
#ifndef SYNTH_SIGNALS_H
#define SYNTH_SIGNALS_H

#include "err.h"

/* Install the handlers for SIGINT, SIGTERM and SIGHUP.  Safe to call more than once. */
void synth_signals_install(void);

/* The first signal received (SIGINT, SIGTERM or SIGHUP), or 0 if none.  Async-signal-safe. */
int synth_signals_interrupted(void);

/* Test hook: forget any signal received so far. */
void synth__signals_reset(void);

/* Register a temporary file to be unlinked if the process is killed by a second signal.
 * Returns 0, or -1 when the table is full or the path too long (the file is then just not
 * cleaned up on a hard interrupt; callers go on). */
int synth__temp_register(const char *path);
/* Remove path from the table (no-op when absent).  Does not unlink it. */
void synth__temp_unregister(const char *path);
/* Unlink every registered file.  Async-signal-safe (used by the handler). */
void synth__temp_unlink_all(void);

/* Shared helper of output.c and model_file.c: create an empty temporary file
 * "<dir>/.<basename>.tmp-XXXXXX" beside the file that will be renamed to `path`, with mode
 * 0666 & ~umask, close-on-exec, and register it.  If `path` is a symbolic link to a regular file
 * the link's target is what gets replaced.  On success *final_path (the path to rename to) and
 * *tmp_path are new strings (synth_free) and *fd is open for writing.  SYNTH_IO naming `path` when
 * it is a directory, has no file name, or the directory is missing or not writable; SYNTH_NOMEM. */
int synth__temp_create(const char *path, char **final_path, char **tmp_path, int *fd, synth_err *err);

/* fsync the directory holding `path` (best effort: errors are ignored). */
void synth__fsync_parent_dir(const char *path);

/* Thread-safe strerror: the message for errnum in buf (or a static string). */
const char *synth__strerror(int errnum, char *buf, size_t size);

#endif
