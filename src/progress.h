/* progress.h -- a progress line on stderr for long work: done/total, rate, ETA, a bar.
 *
 * Drawn only when enabled (the CLI resolves --progress=auto|always|never and --quiet); redraws at
 * most every 100 ms so it costs nothing in hot loops.  On a terminal it rewrites one line with
 * '\r'; otherwise (--progress=always into a file) it prints a new line at most once a second.
 * One progress object per thread; the caller owns it. */
#ifndef SYNTH_PROGRESS_H
#define SYNTH_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef enum synth_progress_mode {
    SYNTH_PROGRESS_AUTO = 0,   /* only when the stream is a terminal */
    SYNTH_PROGRESS_ALWAYS,
    SYNTH_PROGRESS_NEVER
} synth_progress_mode;

/* "auto", "always", "never" -> mode; returns -1 for anything else. */
int synth_progress_mode_parse(const char *text, synth_progress_mode *mode);

typedef struct synth_progress synth_progress;

/* label: e.g. "generating"; unit: e.g. "rows"; total 0 = unknown (no ETA, no bar).  Returns NULL
 * when out of memory (the caller then just runs without progress). */
synth_progress *synth_progress_new(const char *label, const char *unit, uint64_t total,
                                   synth_progress_mode mode, FILE *stream);

/* Report that `done` units are finished (absolute, not a delta).  Cheap when nothing to draw. */
void synth_progress_update(synth_progress *p, uint64_t done);

/* Draw the final state (if enabled), end the line, and free p.  NULL is a no-op. */
void synth_progress_finish(synth_progress *p);

/* Seconds since p was created (monotonic clock). */
double synth_progress_elapsed(const synth_progress *p);

/* Human-friendly formatting helpers used by the CLI too: "1.23M", "12.5 s" / "2m05s". */
void synth_format_count(char *buf, size_t size, double value);
void synth_format_duration(char *buf, size_t size, double seconds);

#endif
