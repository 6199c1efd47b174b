/* progress.c -- a progress line for long work: see progress.h.
 *
 * Owns: the synth_progress object and copies of its label and unit; the stream belongs to the
 * caller.  On a terminal the line is rewritten in place ('\r', text, clear-to-end "\x1b[K") at most
 * every 100 ms; elsewhere (--progress=always into a file or pipe) a plain line without escape codes
 * is printed at most once a second.  Times come from CLOCK_MONOTONIC.
 * Thread-safety: one progress object per thread; the format helpers are reentrant. */
#include "progress.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

#define BAR_WIDTH 20
#define TTY_INTERVAL 0.1
#define PLAIN_INTERVAL 1.0

struct synth_progress {
    char *label;
    char *unit;
    uint64_t total;
    uint64_t done;
    FILE *stream;
    int enabled;
    int tty;
    double start;
    double last_draw;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int synth_progress_mode_parse(const char *text, synth_progress_mode *mode)
{
    if (text == NULL)
        return -1;
    if (strcmp(text, "auto") == 0)
        *mode = SYNTH_PROGRESS_AUTO;
    else if (strcmp(text, "always") == 0)
        *mode = SYNTH_PROGRESS_ALWAYS;
    else if (strcmp(text, "never") == 0)
        *mode = SYNTH_PROGRESS_NEVER;
    else
        return -1;
    return 0;
}

synth_progress *synth_progress_new(const char *label, const char *unit, uint64_t total,
                                   synth_progress_mode mode, FILE *stream)
{
    synth_progress *p = synth_calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->label = synth_strdup(label != NULL ? label : "");
    p->unit = synth_strdup(unit != NULL ? unit : "");
    if (p->label == NULL || p->unit == NULL) {
        synth_free(p->label);
        synth_free(p->unit);
        synth_free(p);
        return NULL;
    }
    p->stream = stream != NULL ? stream : stderr;
    p->total = total;
    int fd = fileno(p->stream);
    p->tty = fd >= 0 && isatty(fd);
    p->enabled = mode == SYNTH_PROGRESS_ALWAYS || (mode == SYNTH_PROGRESS_AUTO && p->tty);
    p->start = now_seconds();
    p->last_draw = p->start;
    return p;
}

static void draw(synth_progress *p, double t, int final)
{
    char line[384], done_s[32], total_s[32], rate_s[32], time_s[32];
    double elapsed = t - p->start;
    double rate = elapsed > 1e-6 ? (double)p->done / elapsed : 0.0;
    size_t n = 0;

    synth_format_count(done_s, sizeof done_s, (double)p->done);
    synth_format_count(rate_s, sizeof rate_s, rate);
    if (p->total > 0) {
        double frac = p->done >= p->total ? 1.0 : (double)p->done / (double)p->total;
        int filled = (int)(frac * BAR_WIDTH);
        char bar[BAR_WIDTH + 1];
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        synth_format_count(total_s, sizeof total_s, (double)p->total);
        n = (size_t)snprintf(line, sizeof line, "%s  [%s] %3d%%  %s/%s %s", p->label, bar,
                             (int)(frac * 100.0), done_s, total_s, p->unit);
    } else {
        n = (size_t)snprintf(line, sizeof line, "%s  %s %s", p->label, done_s, p->unit);
    }
    if (n < sizeof line && elapsed > 1e-6)
        n += (size_t)snprintf(line + n, sizeof line - n, "  %s %s/s", rate_s, p->unit);
    if (n < sizeof line) {
        if (final) {
            synth_format_duration(time_s, sizeof time_s, elapsed);
            n += (size_t)snprintf(line + n, sizeof line - n, "  in %s", time_s);
        } else if (p->total > 0 && rate > 0.0 && p->done < p->total) {
            synth_format_duration(time_s, sizeof time_s, (double)(p->total - p->done) / rate);
            n += (size_t)snprintf(line + n, sizeof line - n, "  ETA %s", time_s);
        } else if (p->total == 0) {
            synth_format_duration(time_s, sizeof time_s, elapsed);
            n += (size_t)snprintf(line + n, sizeof line - n, "  %s", time_s);
        }
    }
    if (p->tty)
        fprintf(p->stream, "\r%s\x1b[K%s", line, final ? "\n" : "");
    else
        fprintf(p->stream, "%s\n", line);
    fflush(p->stream);
    p->last_draw = t;
}

void synth_progress_update(synth_progress *p, uint64_t done)
{
    if (p == NULL)
        return;
    p->done = done;
    if (!p->enabled)
        return;
    double t = now_seconds();
    if (t - p->last_draw < (p->tty ? TTY_INTERVAL : PLAIN_INTERVAL))
        return;
    draw(p, t, 0);
}

void synth_progress_finish(synth_progress *p)
{
    if (p == NULL)
        return;
    if (p->enabled)
        draw(p, now_seconds(), 1);
    synth_free(p->label);
    synth_free(p->unit);
    synth_free(p);
}

double synth_progress_elapsed(const synth_progress *p)
{
    return p == NULL ? 0.0 : now_seconds() - p->start;
}

void synth_format_count(char *buf, size_t size, double value)
{
    static const char units[] = {'\0', 'k', 'M', 'G', 'T', 'P', 'E'};
    if (buf == NULL || size == 0)
        return;
    if (isnan(value)) {
        snprintf(buf, size, "?");
        return;
    }
    const char *sign = value < 0 ? "-" : "";
    double a = fabs(value);
    size_t u = 0;
    while (a >= 999.5 && u + 1 < sizeof units) {
        a /= 1000.0;
        u++;
    }
    char suffix[2] = {units[u], '\0'};
    if (isinf(a))
        snprintf(buf, size, "%sinf", sign);
    else if (u == 0 && a == floor(a))
        snprintf(buf, size, "%s%.0f", sign, a);
    else if (a < 9.995)
        snprintf(buf, size, "%s%.2f%s", sign, a, suffix);
    else if (a < 99.95)
        snprintf(buf, size, "%s%.1f%s", sign, a, suffix);
    else
        snprintf(buf, size, "%s%.0f%s", sign, a, suffix);
}

void synth_format_duration(char *buf, size_t size, double seconds)
{
    if (buf == NULL || size == 0)
        return;
    if (isnan(seconds) || seconds < 0) {
        snprintf(buf, size, "?");
        return;
    }
    if (seconds < 9.995) {
        snprintf(buf, size, "%.2f s", seconds);
        return;
    }
    if (seconds < 59.95) {
        snprintf(buf, size, "%.1f s", seconds);
        return;
    }
    if (seconds > 1e15) {
        snprintf(buf, size, "forever");
        return;
    }
    long long t = llround(seconds);
    if (t < 3600)
        snprintf(buf, size, "%lldm%02llds", t / 60, t % 60);
    else
        snprintf(buf, size, "%lldh%02lldm", t / 3600, (t % 3600) / 60);
}
