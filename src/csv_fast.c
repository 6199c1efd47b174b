/* csv_fast.c -- the strict-subset CSV record scanner: its byte-class table, the UTF-8 check and
 * the record parser (see csv_fast.h for the subset and the fallback contract). */
#include "csv_fast.h"

#include <string.h>

void synth_csv_fast_init(synth_csv_fast *fs, char delimiter, size_t ncols, size_t max_field, const int *slot)
{
    for (int c = 0; c < 256; c++)
        fs->cls[c] = (c == 0 || c == '\r' || c >= 0x80) ? SYNTH_CSV_FAST_LOOK : SYNTH_CSV_FAST_PLAIN;
    fs->cls['"'] = SYNTH_CSV_FAST_QUOTE;
    fs->cls['\n'] = SYNTH_CSV_FAST_LF;
    fs->cls[(unsigned char)delimiter] = SYNTH_CSV_FAST_DELIM;
    fs->ncols = ncols;
    /* a field never exceeds its buffer, so this changes no answer; it keeps lengths in 30 bits */
    fs->max_field = max_field < SYNTH_CSV_FAST_MAX_BUF ? max_field : SYNTH_CSV_FAST_MAX_BUF - 1;
    fs->slot = slot;
}

size_t synth_csv_fast_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

int synth_csv_fast_record(const synth_csv_fast *fs, const unsigned char *base, const unsigned char *p,
                          const unsigned char *end, int eof, const unsigned char **next, synth_csv_fast_cell *cells)
{
    const unsigned char *cls = fs->cls;
    if (p < end && *p == '\n') {
        *next = p + 1;
        return SYNTH_CSV_FAST_EMPTY;
    }
    size_t f = 0;
    for (;;) {
        const unsigned char *cs, *ce;
        uint32_t flags = 0;
        if (p < end && *p == '"') {
            const unsigned char *q = p + 1;
            for (;;) {
                q = memchr(q, '"', (size_t)(end - q));
                if (q == NULL)
                    return eof ? SYNTH_CSV_FAST_FALLBACK : SYNTH_CSV_FAST_MORE;
                if (q + 1 == end && !eof)
                    return SYNTH_CSV_FAST_MORE;
                if (q + 1 < end && q[1] == '"') {
                    flags |= SYNTH_CSV_FAST_ESC;
                    q += 2;
                    continue;
                }
                break;
            }
            flags |= SYNTH_CSV_FAST_QUOTED;
            cs = p + 1;
            ce = q;
            for (const unsigned char *t = cs; t < ce;) {
                if (cls[*t] != SYNTH_CSV_FAST_LOOK) {
                    t++;
                    continue;
                }
                if (*t < 0x80)
                    return SYNTH_CSV_FAST_FALLBACK; /* NUL or CR */
                size_t m = synth_csv_fast_utf8_len(t, (size_t)(ce - t));
                if (m == 0)
                    return SYNTH_CSV_FAST_FALLBACK;
                t += m;
            }
            p = q + 1;
            if (p < end && cls[*p] != SYNTH_CSV_FAST_DELIM && *p != '\n')
                return SYNTH_CSV_FAST_FALLBACK;
        } else {
            cs = p;
            for (;;) {
                while (p < end && cls[*p] == SYNTH_CSV_FAST_PLAIN)
                    p++;
                if (p == end) {
                    if (!eof)
                        return SYNTH_CSV_FAST_MORE;
                    break;
                }
                unsigned char k = cls[*p];
                if (k == SYNTH_CSV_FAST_DELIM || k == SYNTH_CSV_FAST_LF)
                    break;
                if (k == SYNTH_CSV_FAST_QUOTE || *p < 0x80)
                    return SYNTH_CSV_FAST_FALLBACK; /* quote inside a field, NUL, CR */
                size_t m = synth_csv_fast_utf8_len(p, (size_t)(end - p));
                if (m == 0)
                    return (!eof && end - p < 4) ? SYNTH_CSV_FAST_MORE : SYNTH_CSV_FAST_FALLBACK;
                p += m;
            }
            ce = p;
        }
        if ((size_t)(ce - cs) > fs->max_field || f >= fs->ncols)
            return SYNTH_CSV_FAST_FALLBACK;
        int sl = fs->slot != NULL ? fs->slot[f] : (int)f;
        if (sl >= 0) {
            cells[sl].off = (uint32_t)(cs - base);
            cells[sl].len = (uint32_t)(ce - cs) | flags;
        }
        f++;
        if (p == end) { /* eof */
            *next = p;
            break;
        }
        if (*p++ == '\n') {
            *next = p;
            break;
        }
        /* a delimiter: another field follows (possibly empty, at the end) */
    }
    return f == fs->ncols ? SYNTH_CSV_FAST_OK : SYNTH_CSV_FAST_FALLBACK;
}
