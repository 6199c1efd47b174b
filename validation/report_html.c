/* report_html.c -- the validation report as one self-contained HTML page: see report_html.h.
 *
 * Input: the report document of validation/REPORT.md.  Every part is optional and every field is
 * type-checked where it is read (jget/jstr/jnum), so a partial, odd or hostile document still
 * gives a complete page.  Output: HTML5 that is also well-formed XML (void elements self-closed,
 * only numeric character references, no xmlns and so no URL anywhere), inline CSS, and inline
 * SVG charts drawn here with a tiny helper set (svg_*).  No scripts, and a Content-Security-Policy
 * meta tag tells the browser that nothing may be fetched.
 * Every string from the document goes through hb_esc: & < > " ' escaped, invalid UTF-8, control
 * characters and XML-forbidden code points replaced by U+FFFD, optionally cut with an ellipsis.
 * Memory: one growing buffer that remembers its first failed allocation ("sticky" nomem), so the
 * drawing code never checks; temporary arrays are allocated through the same buffer's error flag.
 * The renderer reports SYNTH_NOMEM at the end.  Reentrant: no global state. */
#include "report_html.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "output.h"

/* UTF-8 text used on the page (kept as escapes so this file stays ASCII). */
#define U_DASH "\xe2\x80\x93"     /* en dash: a missing number */
#define U_ELLIPSIS "\xe2\x80\xa6"
#define U_ARROW "\xe2\x86\x92"
#define U_TIMES "\xc3\x97"
#define U_APPROX "\xe2\x89\x88"
#define U_DIVIDE "\xc3\xb7"
#define U_MINUS "\xe2\x88\x92"
#define U_MIDDOT "\xc2\xb7"
#define U_GE "\xe2\x89\xa5"
#define U_REPLACEMENT "\xef\xbf\xbd"

#define MAX_CHART_COLUMNS 60     /* per-column charts drawn at most */
#define MAX_HEATMAP_COLUMNS 60   /* correlation heatmaps: first this many columns */
#define MAX_BINS 200             /* histograms with more bins are merged down to this */
#define MAX_CATEGORIES 30        /* categorical bars drawn at most */
#define WORST_PAIRS 10
#define LABEL_CHARS 40           /* chart labels are cut to this many characters */
#define NAME_CHARS 120           /* names in headings and tables */
#define PATH_CHARS 300

#define COLOR_REAL "#4c78a8"
#define COLOR_SYN "#f58518"
#define COLOR_TRAIN "#4c78a8"
#define COLOR_HOLDOUT "#e45756"
#define COLOR_AXIS "#98a2b3"
#define COLOR_GRID "#eaecf0"
#define COLOR_TEXT "#475467"

/* ---- the output buffer -------------------------------------------------------------------- */

typedef struct hb {
    char *p;
    size_t len, cap;
    int nomem;    /* an allocation failed: everything after is dropped, the render fails */
} hb;

static int hb_reserve(hb *b, size_t extra)
{
    if (b->nomem)
        return -1;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->nomem = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64 * 1024;
    while (cap < need)
        cap *= 2;
    char *p = synth_realloc(b->p, cap);
    if (p == NULL) {
        b->nomem = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static void hb_putn(hb *b, const char *s, size_t n)
{
    if (hb_reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void hb_puts(hb *b, const char *s)
{
    hb_putn(b, s, strlen(s));
}

/* Formatted text of this file's own making (never a string from the document: see hb_esc). */
static void hb_printf(hb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hb_printf(hb *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        hb_putn(b, tmp, (size_t)n);
        return;
    }
    if (hb_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Zeroed scratch memory; NULL (and the buffer marked failed) when out of memory. */
static void *hb_calloc(hb *b, size_t count, size_t size)
{
    if (b->nomem)
        return NULL;
    void *p = synth_calloc(count ? count : 1, size);
    if (p == NULL)
        b->nomem = 1;
    return p;
}

/* ---- escaping ----------------------------------------------------------------------------- */

/* Decode one UTF-8 sequence at p (NUL-terminated): its code point, or U+FFFD for a malformed
 * one (overlong, surrogate, out of range, cut short).  Returns the bytes consumed (>= 1). */
static size_t utf8_next(const unsigned char *p, uint32_t *cp)
{
    unsigned c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t v;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        unsigned d = p[i];
        unsigned dlo = i == 1 ? lo : 0x80, dhi = i == 1 ? hi : 0xBF;
        if (d < dlo || d > dhi) {
            *cp = 0xFFFD;
            return i;
        }
        v = (v << 6) | (d & 0x3F);
    }
    *cp = v;
    return n;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    while (*p) {
        p += utf8_next(p, &cp);
        n++;
    }
    return n;
}

/* Append s (NULL: nothing) escaped for HTML text and attribute values, which is also valid XML:
 * & < > " ' as references; invalid UTF-8, control characters (but tab and newline), DEL, C1
 * controls and U+FFFE/U+FFFF as U+FFFD.  max_chars > 0: at most that many characters, the last
 * an ellipsis when the text was cut. */
static void hb_esc(hb *b, const char *s, size_t max_chars)
{
    if (s == NULL)
        return;
    size_t limit = SIZE_MAX;
    if (max_chars > 0 && utf8_chars(s) > max_chars)
        limit = max_chars - 1;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t count = 0; *p && count < limit; count++) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);
        switch (cp) {
        case '&': hb_puts(b, "&amp;"); break;
        case '<': hb_puts(b, "&lt;"); break;
        case '>': hb_puts(b, "&gt;"); break;
        case '"': hb_puts(b, "&quot;"); break;
        case '\'': hb_puts(b, "&#39;"); break;
        case '\t':
        case '\n': hb_putn(b, (const char *)p, 1); break;
        default:
            if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF)
                cp = 0xFFFD;
            if (cp == 0xFFFD)
                hb_puts(b, U_REPLACEMENT);
            else
                hb_putn(b, (const char *)p, n);
        }
        p += n;
    }
    if (limit != SIZE_MAX)
        hb_puts(b, U_ELLIPSIS);
}

/* ---- reading the document ----------------------------------------------------------------- */

static const json_t *jget(const json_t *obj, const char *key)
{
    return json_is_object(obj) ? json_object_get(obj, key) : NULL;
}

static const char *jstr(const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* 1 and *out when v is a finite number. */
static int jnum(const json_t *v, double *out)
{
    if (!json_is_number(v))
        return 0;
    double d = json_number_value(v);
    if (!isfinite(d))
        return 0;
    *out = d;
    return 1;
}

static double jnum_or(const json_t *v, double fallback)
{
    double d;
    return jnum(v, &d) ? d : fallback;
}

static size_t jsize(const json_t *v)
{
    return json_is_array(v) ? json_array_size(v) : 0;
}

/* Element i of array a as a number; NAN when missing or not a finite number. */
static double jat(const json_t *a, size_t i)
{
    return jnum_or(json_array_get(a, i), NAN);
}

/* The first n elements of array a as shares: missing, non-numeric, non-finite or negative
 * entries count as 0.  NULL when out of memory. */
static double *share_array(hb *b, const json_t *a, size_t n)
{
    double *v = hb_calloc(b, n, sizeof *v);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        double d = jat(a, i);
        v[i] = isfinite(d) && d > 0 ? d : 0.0;
    }
    return v;
}

/* ---- numbers ------------------------------------------------------------------------------ */

static void hb_fixed(hb *b, double d, int prec)
{
    if (!isfinite(d)) {
        hb_puts(b, U_DASH);
        return;
    }
    if (fabs(d) < 0.5 * pow(10.0, -prec))
        d = 0.0;    /* no "-0.000" */
    hb_printf(b, "%.*f", prec, d);
}

static void hb_jfixed(hb *b, const json_t *v, int prec)
{
    hb_fixed(b, jnum_or(v, NAN), prec);
}

/* A share as a percentage ("51.0%"). */
static void hb_pct(hb *b, double d, int prec)
{
    hb_fixed(b, isfinite(d) ? d * 100.0 : d, prec);
    if (isfinite(d))
        hb_puts(b, "%");
}

/* A count with thousands separators ("32,561"); non-integral values as %.6g. */
static void hb_count(hb *b, const json_t *v)
{
    double d;
    if (!jnum(v, &d)) {
        hb_puts(b, U_DASH);
        return;
    }
    if (fabs(d) >= 1e15 || d != floor(d)) {
        hb_printf(b, "%.6g", d);
        return;
    }
    long long ll = (long long)d;
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", ll < 0 ? -ll : ll);
    if (ll < 0)
        hb_puts(b, "-");
    for (int i = 0; i < n; i++) {
        hb_putn(b, digits + i, 1);
        if (i < n - 1 && (n - 1 - i) % 3 == 0)
            hb_puts(b, ",");
    }
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* CSS class of a score in [0, 1] (higher is better). */
static const char *score_class(double s)
{
    if (!isfinite(s))
        return "none";
    return s >= 0.9 ? "good" : s >= 0.75 ? "fair" : "poor";
}

/* A small inline score bar. */
static void hb_minibar(hb *b, double s)
{
    hb_puts(b, "<span class=\"minibar\">");
    if (isfinite(s))
        hb_printf(b, "<span class=\"%s\" style=\"width:%.1f%%\"></span>", score_class(s),
                  clamp(s, 0.0, 1.0) * 100.0);
    hb_puts(b, "</span>");
}

/* ---- axes --------------------------------------------------------------------------------- */

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks over range. */
static double nice_step(double range, int target)
{
    if (!(range > 0) || !isfinite(range))
        return 1.0;
    double raw = range / target;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double m = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    return m * mag;
}

typedef struct axisfmt {
    double scale;
    const char *suffix;
    int decimals;     /* < 0: %.3g */
} axisfmt;

/* How to print the ticks of an axis over [lo, hi] with the given step: plain, k, M, or %. */
static axisfmt axis_format(double lo, double hi, double step, int percent)
{
    axisfmt f = {1.0, "", 0};
    double m = fmax(fabs(lo), fabs(hi));
    if (percent) {
        f.scale = 100.0;
        f.suffix = "%";
    } else if (m >= 1e6) {
        f.scale = 1e-6;
        f.suffix = "M";
    } else if (m >= 1e4) {
        f.scale = 1e-3;
        f.suffix = "k";
    }
    double s = step * f.scale;
    if (m * f.scale >= 1e6 || s < 1e-6)
        f.decimals = -1;
    else
        f.decimals = s >= 1 ? 0 : (int)ceil(-log10(s) - 1e-9);
    return f;
}

static void tick_label(char *buf, size_t size, const axisfmt *f, double v)
{
    double x = v * f->scale;
    if (f->decimals < 0) {
        snprintf(buf, size, "%.3g%s", x, f->suffix);
        return;
    }
    if (fabs(x) < 0.5 * pow(10.0, -f->decimals))
        x = 0.0;
    snprintf(buf, size, "%.*f%s", f->decimals, x, f->suffix);
}

/* ---- colors ------------------------------------------------------------------------------- */

typedef struct cstop {
    double at;
    unsigned rgb;
} cstop;

static const cstop DIVERGING[] = {   /* RdBu, reversed: negative blue, positive red */
    {-1.0, 0x2166ac}, {-0.5, 0x67a9cf}, {0.0, 0xf7f7f7}, {0.5, 0xef8a62}, {1.0, 0xb2182b}};
static const cstop SEQUENTIAL[] = {  /* Purples */
    {0.0, 0xfcfbfd}, {0.25, 0xdadaeb}, {0.5, 0x9e9ac8}, {0.75, 0x6a51a3}, {1.0, 0x3f007d}};

static unsigned color_at(const cstop *st, size_t n, double t, char out[8])
{
    t = clamp(isfinite(t) ? t : st[0].at, st[0].at, st[n - 1].at);
    size_t i = 0;
    while (i + 2 < n && t > st[i + 1].at)
        i++;
    double u = (t - st[i].at) / (st[i + 1].at - st[i].at);
    unsigned rgb = 0;
    for (int sh = 16; sh >= 0; sh -= 8) {
        double a = (st[i].rgb >> sh) & 0xFF, c = (st[i + 1].rgb >> sh) & 0xFF;
        unsigned ch = (unsigned)lround(a + (c - a) * u);
        rgb |= (ch & 0xFF) << sh;
    }
    snprintf(out, 8, "#%06x", rgb);
    return rgb;
}

/* ---- SVG helpers -------------------------------------------------------------------------- */

static double fin(double v)
{
    return isfinite(v) ? v : 0.0;
}

/* <svg> with a viewBox so it scales down in narrow containers; aria_label escaped. */
static void svg_open(hb *b, double w, double h, const char *aria_label)
{
    hb_printf(b, "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"",
              fin(w), fin(h), fin(w), fin(h));
    hb_esc(b, aria_label, NAME_CHARS);
    hb_puts(b, "\">");
}

static void svg_close(hb *b)
{
    hb_puts(b, "</svg>\n");
}

/* Start a <rect>; finish with svg_rect_end (optionally after a <title>). */
static void svg_rect_begin(hb *b, double x, double y, double w, double h, const char *fill,
                           double opacity, const char *stroke)
{
    hb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"", fin(x),
              fin(y), fmax(0.0, fin(w)), fmax(0.0, fin(h)), fill);
    if (opacity < 1.0)
        hb_printf(b, " fill-opacity=\"%.2f\"", opacity);
    if (stroke != NULL)
        hb_printf(b, " stroke=\"%s\" stroke-width=\"1\"", stroke);
    hb_puts(b, ">");
}

static void svg_rect_end(hb *b)
{
    hb_puts(b, "</rect>");
}

static void svg_rect(hb *b, double x, double y, double w, double h, const char *fill, double opacity)
{
    svg_rect_begin(b, x, y, w, h, fill, opacity, NULL);
    svg_rect_end(b);
}

static void svg_line(hb *b, double x1, double y1, double x2, double y2, const char *stroke,
                     double width)
{
    hb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"/>",
              fin(x1), fin(y1), fin(x2), fin(y2), stroke, width);
}

typedef struct txt {
    double size;          /* font size in px */
    const char *anchor;   /* start, middle, end */
    const char *fill;
    double rotate;        /* degrees around (x, y) */
    int bold;
} txt;

/* <text> at (x, y): the escaped text, cut to max_chars (0: whole). */
static void svg_text(hb *b, double x, double y, const txt *t, const char *text, size_t max_chars)
{
    hb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\" text-anchor=\"%s\" fill=\"%s\"", fin(x),
              fin(y), t->size, t->anchor, t->fill);
    if (t->bold)
        hb_puts(b, " font-weight=\"600\"");
    if (t->rotate != 0.0)
        hb_printf(b, " transform=\"rotate(%.0f %.1f %.1f)\"", t->rotate, fin(x), fin(y));
    hb_puts(b, ">");
    hb_esc(b, text, max_chars);
    hb_puts(b, "</text>");
}

/* An estimate of the width of n characters at a font size (no font metrics here). */
static double text_width(size_t n, double size)
{
    return (double)n * size * 0.58;
}

/* A legend row: colored squares (outlined where outline[i]; outline may be NULL) and names, left
 * to right from (x, y). */
static void svg_legend(hb *b, double x, double y, const char *const *names, const char *const *colors,
                       const int *outline, size_t n)
{
    txt t = {11, "start", COLOR_TEXT, 0, 0};
    for (size_t i = 0; i < n; i++) {
        if (outline != NULL && outline[i]) {
            svg_rect_begin(b, x + 0.75, y - 8.25, 8.5, 8.5, colors[i], 0.25, colors[i]);
            svg_rect_end(b);
        } else {
            svg_rect(b, x, y - 9, 10, 10, colors[i], 0.75);
        }
        svg_text(b, x + 14, y, &t, names[i], 0);
        x += 14 + text_width(utf8_chars(names[i]), 11) + 18;
    }
}

/* ---- charts ------------------------------------------------------------------------------- */

typedef struct hseries {
    double *edges;      /* nb + 1, non-decreasing */
    double *vals;       /* nb shares */
    size_t nb;
    const char *color;
    const char *name;
    int outline;        /* 0: filled bars; 1: light fill with a solid outline (drawn on top) */
} hseries;

/* Merge adjacent bins so that at most MAX_BINS remain (v2 may be NULL).  Returns the new count. */
static size_t rebin(double *e, double *v1, double *v2, size_t nb)
{
    if (nb <= MAX_BINS)
        return nb;
    size_t g = (nb + MAX_BINS - 1) / MAX_BINS, m = 0;
    for (size_t i = 0; i < nb; i += g, m++) {
        size_t end = i + g < nb ? i + g : nb;
        double a = 0, c = 0;
        for (size_t j = i; j < end; j++) {
            a += v1[j];
            if (v2 != NULL)
                c += v2[j];
        }
        e[m] = e[i];
        v1[m] = a;
        if (v2 != NULL)
            v2[m] = c;
    }
    e[m] = e[nb];
    return m;
}

/* Bin edges from array a: 1 and *e (n + 1 finite non-decreasing numbers, n >= 1) when usable;
 * 0 with *why when not (or when out of memory: then the buffer is marked failed). */
static int read_edges(hb *b, const json_t *a, double **e, size_t *nb, const char **why)
{
    *e = NULL;
    size_t ne = jsize(a);
    if (ne < 2) {
        *why = "the histogram has no bins";
        return 0;
    }
    double *v = hb_calloc(b, ne, sizeof *v);
    if (v == NULL) {
        *why = "out of memory";
        return 0;
    }
    for (size_t i = 0; i < ne; i++) {
        v[i] = jat(a, i);
        if (!isfinite(v[i]) || (i > 0 && v[i] < v[i - 1])) {
            synth_free(v);
            *why = "the histogram's bin edges are not increasing finite numbers";
            return 0;
        }
    }
    if (v[ne - 1] == v[0])   /* one value: spread the bins over a unit interval around it */
        for (size_t i = 0; i < ne; i++)
            v[i] = v[0] - 0.5 + (double)i / (double)(ne - 1);
    *e = v;
    *nb = ne - 1;
    return 1;
}

/* Overlaid histograms of ns series of shares over their bin edges, with axes and a legend. */
static void chart_hist(hb *b, const hseries *s, size_t ns, const char *xlabel, const char *ylabel,
                       const char *aria)
{
    const double W = 560, H = 250, L = 58, R = 16, T = 32, B = 48;
    const double pw = W - L - R, ph = H - T - B;
    double x0 = INFINITY, x1 = -INFINITY, ymax = 0;
    for (size_t k = 0; k < ns; k++) {
        x0 = fmin(x0, s[k].edges[0]);
        x1 = fmax(x1, s[k].edges[s[k].nb]);
        for (size_t i = 0; i < s[k].nb; i++)
            ymax = fmax(ymax, s[k].vals[i]);
    }
    if (!(x1 > x0)) {
        x0 -= 0.5;
        x1 += 0.5;
    }
    double ystep = nice_step(ymax > 0 ? ymax : 1.0, 4);
    double ytop = ceil((ymax > 0 ? ymax : 1.0) / ystep - 1e-9) * ystep;
    int percent = ylabel != NULL && ytop <= 1.0;
    svg_open(b, W, H, aria);
    /* legend */
    const char *names[4], *colors[4];
    int outline[4];
    for (size_t k = 0; k < ns && k < 4; k++) {
        names[k] = s[k].name;
        colors[k] = s[k].color;
        outline[k] = s[k].outline;
    }
    svg_legend(b, L, 16, names, colors, outline, ns < 4 ? ns : 4);
    /* y grid and ticks */
    txt tk = {10.5, "end", COLOR_TEXT, 0, 0};
    axisfmt fy = axis_format(0, ytop, ystep, percent);
    for (int k = 0; k <= 20; k++) {
        double v = k * ystep;
        if (v > ytop * (1 + 1e-9))
            break;
        double y = T + ph - v / ytop * ph;
        svg_line(b, L, y, L + pw, y, COLOR_GRID, 1);
        char lab[48];
        tick_label(lab, sizeof lab, &fy, v);
        svg_text(b, L - 6, y + 3.5, &tk, lab, 0);
    }
    /* bars */
    for (size_t k = 0; k < ns; k++) {
        for (size_t i = 0; i < s[k].nb; i++) {
            double xa = L + (s[k].edges[i] - x0) / (x1 - x0) * pw;
            double xb = L + (s[k].edges[i + 1] - x0) / (x1 - x0) * pw;
            double w = fmax(xb - xa - (xb - xa > 3 ? 1 : 0), 0.8);
            double h = clamp(s[k].vals[i] / ytop, 0, 1) * ph;
            if (s[k].outline)
                svg_rect_begin(b, xa + 0.75, T + ph - h + 0.75, w - 1.5, h - 0.75, s[k].color, 0.08,
                               h > 0 ? s[k].color : NULL);
            else
                svg_rect_begin(b, xa, T + ph - h, w, h, s[k].color, 0.6, NULL);
            hb_printf(b, "<title>%s ", s[k].name);
            hb_printf(b, "[%.6g, %.6g): ", s[k].edges[i], s[k].edges[i + 1]);
            hb_pct(b, s[k].vals[i], 1);
            hb_puts(b, "</title>");
            svg_rect_end(b);
        }
    }
    /* axes */
    svg_line(b, L, T + ph, L + pw, T + ph, COLOR_AXIS, 1);
    double xstep = nice_step(x1 - x0, 5);
    axisfmt fx = axis_format(x0, x1, xstep, 0);
    txt tx = {10.5, "middle", COLOR_TEXT, 0, 0};
    double first = ceil(x0 / xstep - 1e-9) * xstep;
    for (int k = 0; k <= 20; k++) {
        double v = first + k * xstep;
        if (v > x1 + xstep * 1e-9)
            break;
        double x = L + (v - x0) / (x1 - x0) * pw;
        svg_line(b, x, T + ph, x, T + ph + 4, COLOR_AXIS, 1);
        char lab[48];
        tick_label(lab, sizeof lab, &fx, v);
        svg_text(b, x, T + ph + 16, &tx, lab, 0);
    }
    txt tl = {11, "middle", COLOR_TEXT, 0, 1};
    svg_text(b, L + pw / 2, H - 8, &tl, xlabel, LABEL_CHARS);
    if (ylabel != NULL) {
        tl.rotate = -90;
        svg_text(b, 14, T + ph / 2, &tl, ylabel, 0);
    }
    svg_close(b);
}

static void not_available(hb *b, const char *why)
{
    hb_puts(b, "<div class=\"na small\">");
    hb_esc(b, why, 0);
    hb_puts(b, "</div>\n");
}

/* A numeric column: real and synthetic shares over the shared bin edges. */
static void chart_numeric(hb *b, const json_t *h, const char *name)
{
    double *e;
    size_t nb;
    const char *why;
    if (!read_edges(b, jget(h, "edges"), &e, &nb, &why)) {
        not_available(b, why);
        return;
    }
    double *rv = share_array(b, jget(h, "real"), nb);
    double *sv = share_array(b, jget(h, "synthetic"), nb);
    if (rv != NULL && sv != NULL) {
        nb = rebin(e, rv, sv, nb);
        hseries s[2] = {{e, rv, nb, COLOR_REAL, "real", 0}, {e, sv, nb, COLOR_SYN, "synthetic", 1}};
        chart_hist(b, s, 2, name, "share of rows", name);
    }
    synth_free(rv);
    synth_free(sv);
    synth_free(e);
}

/* The text of category i (strings as they are; other values described). */
static const char *category_name(const json_t *cats, size_t i)
{
    const json_t *c = json_array_get(cats, i);
    const char *s = jstr(c);
    if (s != NULL)
        return s[0] != '\0' ? s : "(empty)";
    return json_is_null(c) ? "(null)" : "(not a string)";
}

/* A categorical column: horizontal grouped bars, real and synthetic, one row per category. */
static void chart_categorical(hb *b, const json_t *h, const char *name)
{
    const json_t *cats = jget(h, "categories");
    size_t total = jsize(cats), k = total < MAX_CATEGORIES ? total : MAX_CATEGORIES;
    if (k == 0) {
        not_available(b, "the histogram has no categories");
        return;
    }
    double *rv = share_array(b, jget(h, "real"), k);
    double *sv = share_array(b, jget(h, "synthetic"), k);
    if (rv == NULL || sv == NULL) {
        synth_free(rv);
        synth_free(sv);
        return;
    }
    size_t maxc = 4;
    double xmax = 0;
    for (size_t i = 0; i < k; i++) {
        size_t c = utf8_chars(category_name(cats, i));
        maxc = c > maxc ? c : maxc;
        xmax = fmax(xmax, fmax(rv[i], sv[i]));
    }
    if (maxc > LABEL_CHARS)
        maxc = LABEL_CHARS;
    const double W = 560, R = 20, T = 32, B = 40, row = 22;
    double L = clamp(text_width(maxc, 11) + 14, 60, 250);
    double pw = W - L - R, ph = row * (double)k, H = T + ph + B;
    double xstep = nice_step(xmax > 0 ? xmax : 1.0, 4);
    double xtop = ceil((xmax > 0 ? xmax : 1.0) / xstep - 1e-9) * xstep;
    svg_open(b, W, H, name);
    const char *names[2] = {"real", "synthetic"}, *colors[2] = {COLOR_REAL, COLOR_SYN};
    svg_legend(b, L, 16, names, colors, NULL, 2);
    axisfmt fx = axis_format(0, xtop, xstep, xtop <= 1.0);
    txt tx = {10.5, "middle", COLOR_TEXT, 0, 0};
    for (int j = 0; j <= 20; j++) {
        double v = j * xstep;
        if (v > xtop * (1 + 1e-9))
            break;
        double x = L + v / xtop * pw;
        svg_line(b, x, T - 4, x, T + ph, COLOR_GRID, 1);
        char lab[48];
        tick_label(lab, sizeof lab, &fx, v);
        svg_text(b, x, T + ph + 15, &tx, lab, 0);
    }
    txt tl = {11, "end", COLOR_TEXT, 0, 0};
    const double *vals[2] = {rv, sv};
    for (size_t i = 0; i < k; i++) {
        double y = T + (double)i * row;
        const char *cat = category_name(cats, i);
        svg_text(b, L - 7, y + row / 2 + 4, &tl, cat, LABEL_CHARS);
        for (int s = 0; s < 2; s++) {
            double w = clamp(vals[s][i] / xtop, 0, 1) * pw;
            svg_rect_begin(b, L, y + 3 + s * 8, w, 8, colors[s], 0.85, NULL);
            hb_puts(b, "<title>");
            hb_esc(b, cat, NAME_CHARS);
            hb_printf(b, " " U_MIDDOT " %s ", names[s]);
            hb_pct(b, vals[s][i], 1);
            hb_puts(b, "</title>");
            svg_rect_end(b);
        }
    }
    svg_line(b, L, T - 4, L, T + ph, COLOR_AXIS, 1);
    txt ta = {11, "middle", COLOR_TEXT, 0, 1};
    char cap[96];
    if (total > k)
        snprintf(cap, sizeof cap, "share of rows (first %zu of %zu categories)", k, total);
    else
        snprintf(cap, sizeof cap, "share of rows");
    svg_text(b, L + pw / 2, H - 8, &ta, cap, 0);
    svg_close(b);
    synth_free(rv);
    synth_free(sv);
}

/* ---- heatmaps ----------------------------------------------------------------------------- */

#define HM_LABEL_CHARS 22

/* Cell (i, j) of an n x n matrix (array of arrays); NAN when missing. */
static double cell_at(const json_t *m, size_t i, size_t j)
{
    return jat(json_array_get(m, i), j);
}

/* A correlation heatmap of the first n columns: ma itself (diff = 0, diverging scale -1..1) or
 * |ma - mb| (diff = 1, sequential scale 0..1, larger shown as 1).  Returns 1 when the column
 * labels were drawn (0: too many columns for readable labels; the cells' tooltips name them). */
static int heatmap(hb *b, const json_t *names, size_t n, const json_t *ma, const json_t *mb, int diff,
                    const char *aria)
{
    size_t maxc = 1;
    for (size_t i = 0; i < n; i++) {
        const char *nm = jstr(json_array_get(names, i));
        size_t c = nm != NULL ? utf8_chars(nm) : 1;
        maxc = c > maxc ? c : maxc;
    }
    if (maxc > HM_LABEL_CHARS)
        maxc = HM_LABEL_CHARS;
    double cell = clamp(floor(300.0 / (double)n), 5, 34);
    double fs = fmin(11, cell - 1);
    int labels = fs >= 6;
    double lw = labels ? text_width(maxc, fs) + 6 : 0;
    double L = lw + 6, T = labels ? lw * 0.72 + 10 : 8, grid = cell * (double)n;
    double R = labels ? fmax(12, lw * 0.72 - cell / 2 + 6) : 12;
    double lgw = clamp(grid, 140, 240);
    double W = fmax(L + grid + R, L + lgw + 20), H = T + grid + 48;
    svg_open(b, W, H, aria);
    if (labels) {
        txt tr = {fs, "end", COLOR_TEXT, 0, 0}, tc = {fs, "start", COLOR_TEXT, -45, 0};
        for (size_t i = 0; i < n; i++) {
            const char *nm = jstr(json_array_get(names, i));
            if (nm == NULL)
                nm = "?";
            svg_text(b, L - 4, T + ((double)i + 0.5) * cell + fs * 0.35, &tr, nm, HM_LABEL_CHARS);
            svg_text(b, L + ((double)i + 0.5) * cell, T - 4, &tc, nm, HM_LABEL_CHARS);
        }
    }
    txt tv = {cell >= 36 ? 10 : 9, "middle", "#1d2939", 0, 0};
    for (size_t i = 0; i < n; i++) {
        const char *ri = jstr(json_array_get(names, i));
        for (size_t j = 0; j < n; j++) {
            const char *cj = jstr(json_array_get(names, j));
            double a = cell_at(ma, i, j), v = a;
            double c = diff ? cell_at(mb, i, j) : NAN;
            if (diff)
                v = fabs(a - c);
            char fill[8] = "#e4e7ec";
            unsigned rgb = 0xe4e7ec;
            if (isfinite(v))
                rgb = diff ? color_at(SEQUENTIAL, 5, v, fill) : color_at(DIVERGING, 5, v, fill);
            svg_rect_begin(b, L + (double)j * cell, T + (double)i * cell, cell - (cell > 8 ? 1 : 0),
                           cell - (cell > 8 ? 1 : 0), fill, 1.0, NULL);
            hb_puts(b, "<title>");
            hb_esc(b, ri != NULL ? ri : "?", 60);
            hb_puts(b, " " U_TIMES " ");
            hb_esc(b, cj != NULL ? cj : "?", 60);
            hb_puts(b, ": ");
            if (!isfinite(v)) {
                hb_puts(b, "not computed");
            } else if (diff) {
                hb_fixed(b, v, 3);
                hb_puts(b, " (real ");
                hb_fixed(b, a, 3);
                hb_puts(b, ", synthetic ");
                hb_fixed(b, c, 3);
                hb_puts(b, ")");
            } else {
                hb_fixed(b, v, 3);
            }
            hb_puts(b, "</title>");
            svg_rect_end(b);
            if (cell >= 30 && isfinite(v)) {
                double lum = 0.299 * ((rgb >> 16) & 0xFF) + 0.587 * ((rgb >> 8) & 0xFF) + 0.114 * (rgb & 0xFF);
                tv.fill = lum < 140 ? "#ffffff" : "#1d2939";
                char lab[32];
                snprintf(lab, sizeof lab, "%.2f", fabs(v) < 0.005 ? 0.0 : v);
                svg_text(b, L + ((double)j + 0.5) * cell, T + ((double)i + 0.5) * cell + 3.5, &tv, lab, 0);
            }
        }
    }
    /* color scale */
    double ly = T + grid + 14;
    const int steps = 40;
    for (int k = 0; k < steps; k++) {
        double t = (k + 0.5) / steps;
        char fill[8];
        if (diff)
            color_at(SEQUENTIAL, 5, t, fill);
        else
            color_at(DIVERGING, 5, -1 + 2 * t, fill);
        svg_rect(b, L + lgw * k / steps, ly, lgw / steps + 0.3, 10, fill, 1.0);
    }
    txt tl = {10, "middle", COLOR_TEXT, 0, 0};
    const char *lab3[3] = {"0", "0.5", U_GE "1"};
    const char *dlab3[3] = {U_MINUS "1", "0", "1"};
    for (int k = 0; k < 3; k++) {
        double x = L + lgw * k / 2.0;
        svg_line(b, x, ly + 10, x, ly + 14, COLOR_AXIS, 1);
        tl.anchor = k == 0 ? "start" : k == 2 ? "end" : "middle";
        svg_text(b, x, ly + 25, &tl, diff ? lab3[k] : dlab3[k], 0);
    }
    svg_close(b);
    return labels;
}

/* ---- page parts --------------------------------------------------------------------------- */

static const char CSS[] =
    ":root{color-scheme:light}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f5f7fa;color:#1d2939;"
    "font:14px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
    "\"Noto Sans\",\"Liberation Sans\",sans-serif}"
    ".wrap{max-width:1220px;margin:0 auto;padding:0 28px}"
    "header{background:#1b2540;color:#fff;padding:30px 0 20px}"
    "header h1{margin:0;font-size:26px;font-weight:650;letter-spacing:-.01em}"
    "header .sub{color:#b9c3d8;font-size:13.5px;margin-top:4px}"
    "nav{margin-top:16px}"
    "nav a{color:#dbe3f3;text-decoration:none;font-size:13px;margin-right:18px;"
    "border-bottom:1px solid transparent}"
    "nav a:hover{border-bottom-color:#dbe3f3}"
    "main{padding:8px 0 40px}"
    "section{margin-top:30px}"
    "h2{font-size:19px;font-weight:650;margin:0 0 4px;letter-spacing:-.01em}"
    "h3{font-size:14.5px;font-weight:600;margin:0}"
    "p.lead{color:#475467;margin:0 0 14px;font-size:13.5px}"
    ".card{background:#fff;border:1px solid #e4e7ec;border-radius:10px;padding:18px 20px;"
    "box-shadow:0 1px 2px rgba(16,24,40,.05);overflow-x:auto}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(200px,100%),1fr));gap:16px}"
    ".grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(520px,100%),1fr));gap:16px;"
    "align-items:start}"
    ".stack > * + *{margin-top:16px}"
    ".kpi .label{font-size:11.5px;text-transform:uppercase;letter-spacing:.07em;color:#667085;"
    "font-weight:600;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}"
    ".kpi .value{font-size:34px;font-weight:650;line-height:1.15;margin:6px 0 10px;"
    "font-variant-numeric:tabular-nums}"
    ".kpi .hint{font-size:12.5px;color:#667085;margin-top:8px}"
    ".bar{height:8px;background:#eef1f5;border-radius:4px;overflow:hidden}"
    ".bar > span,.minibar > span{display:block;height:100%;border-radius:4px}"
    ".minibar{display:inline-block;width:84px;height:6px;background:#eef1f5;border-radius:3px;"
    "vertical-align:middle;margin-left:10px;overflow:hidden}"
    ".good{background:#12b76a}.fair{background:#f79009}.poor{background:#f04438}"
    ".none{background:transparent}"
    ".pill{display:inline-block;font-size:12px;font-weight:600;padding:2px 9px;border-radius:999px}"
    ".pill.good{background:#ecfdf3;color:#027a48}.pill.fair{background:#fffaeb;color:#b54708}"
    ".pill.poor{background:#fef3f2;color:#b42318}.pill.none{background:#f2f4f7;color:#475467}"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "th{text-align:left;color:#667085;font-weight:600;font-size:12px;text-transform:uppercase;"
    "letter-spacing:.04em;border-bottom:1px solid #e4e7ec;padding:7px 10px}"
    "td{border-bottom:1px solid #f2f4f7;padding:7px 10px;vertical-align:middle}"
    "tr:last-child td{border-bottom:0}"
    ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "td.name{overflow-wrap:anywhere;font-weight:500}"
    "td.name a{color:inherit;text-decoration:none}td.name a:hover{text-decoration:underline}"
    ".muted{color:#667085}td.key{white-space:nowrap;width:1%}"
    ".small{font-size:12.5px}"
    ".scroll{max-height:560px;overflow:auto}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(520px,100%),1fr));gap:16px;"
    "align-items:start}"
    ".chart .meta{font-size:12.5px;color:#667085;margin:2px 0 8px}"
    ".chart h3{overflow-wrap:anywhere}"
    "svg{max-width:100%;height:auto;display:block}"
    ".heatmaps{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(300px,100%),1fr));gap:24px;"
    "align-items:start}"
    "figure{margin:0}"
    "figcaption{font-size:13px;font-weight:600;margin-bottom:6px}"
    ".na{color:#475467;background:#f9fafb;border:1px dashed #d0d5dd;border-radius:8px;"
    "padding:12px 14px}"
    ".na strong{color:#344054}"
    "ul.notes{margin:6px 0 0;padding-left:20px;color:#475467;font-size:13px}"
    "code{white-space:nowrap;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,\"Liberation Mono\",monospace;"
    "font-size:12.5px;background:#f2f4f7;padding:1px 5px;border-radius:4px}"
    "footer{color:#667085;font-size:12.5px;padding:20px 0 36px;border-top:1px solid #e4e7ec;margin-top:12px}"
    "@media print{body{background:#fff}.card{box-shadow:none}header{background:#fff;color:#000}"
    "header .sub,nav a{color:#333}}";

/* "Not computed" with a hint (plain text of this file's making; hint may contain <code>). */
static void not_computed(hb *b, const char *hint_html)
{
    hb_puts(b, "<div class=\"na\"><strong>Not computed.</strong> ");
    hb_puts(b, hint_html);
    hb_puts(b, "</div>\n");
}

static void page_head(hb *b, const json_t *r)
{
    const json_t *in = jget(r, "inputs");
    const char *real = jstr(jget(jget(in, "real"), "path"));
    const char *syn = jstr(jget(jget(in, "synthetic"), "path"));
    hb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "style-src 'unsafe-inline'\"/>\n"
               "<meta name=\"generator\" content=\"synth\"/>\n<title>Validation report");
    if (syn != NULL) {
        hb_puts(b, ": ");
        hb_esc(b, syn, 80);
    }
    hb_puts(b, "</title>\n<style>");
    hb_puts(b, CSS);
    hb_puts(b, "</style>\n</head>\n<body>\n<header><div class=\"wrap\">\n"
               "<h1>Synthetic data validation report</h1>\n<div class=\"sub\">");
    if (syn != NULL || real != NULL) {
        hb_puts(b, "<b>");
        hb_esc(b, syn != NULL ? syn : "synthetic data", 120);
        hb_puts(b, "</b> compared with <b>");
        hb_esc(b, real != NULL ? real : "the real data", 120);
        hb_puts(b, "</b> " U_MIDDOT " ");
    }
    const char *ver = jstr(jget(r, "synth_version"));
    hb_puts(b, "synth ");
    hb_esc(b, ver != NULL ? ver : "(version unknown)", 40);
    hb_puts(b, "</div>\n<nav><a href=\"#overview\">Overview</a><a href=\"#columns\">Columns</a>"
               "<a href=\"#pairs\">Column pairs</a><a href=\"#correlation\">Correlations</a>"
               "<a href=\"#privacy\">Privacy</a><a href=\"#utility\">Utility</a></nav>\n"
               "</div></header>\n<main class=\"wrap\">\n");
}

static void inputs_table(hb *b, const json_t *in)
{
    static const char *const roles[3][3] = {
        {"real", "Real (training)", "the data the model was fitted on"},
        {"synthetic", "Synthetic", "the generated data under test"},
        {"holdout", "Holdout", "real rows the model never saw"}};
    hb_puts(b, "<div class=\"card\"><h3>Inputs</h3>\n<table><thead><tr><th>Role</th><th>File</th>"
               "<th class=\"num\">Rows</th></tr></thead><tbody>\n");
    for (int i = 0; i < 3; i++) {
        const json_t *f = jget(in, roles[i][0]);
        hb_printf(b, "<tr><td>%s<div class=\"muted small\">%s</div></td><td class=\"name\">", roles[i][1],
                  roles[i][2]);
        const char *path = jstr(jget(f, "path"));
        if (json_is_object(f) && path != NULL) {
            hb_puts(b, "<code>");
            hb_esc(b, path, PATH_CHARS);
            hb_puts(b, "</code>");
        } else if (i == 2) {
            hb_puts(b, "<span class=\"muted\">not given (<code>--holdout FILE</code> enables ML utility, "
                       "DCR to holdout and membership inference)</span>");
        } else {
            hb_puts(b, "<span class=\"muted\">" U_DASH "</span>");
        }
        hb_puts(b, "</td><td class=\"num\">");
        hb_count(b, jget(f, "rows"));
        hb_puts(b, "</td></tr>\n");
    }
    hb_puts(b, "</tbody></table></div>\n");
}

static void kpi(hb *b, const char *label, double v, int bar, const char *hint)
{
    hb_printf(b, "<div class=\"card kpi\"><div class=\"label\">%s</div><div class=\"value\">", label);
    hb_fixed(b, v, 3);
    hb_puts(b, "</div>");
    if (bar) {
        hb_puts(b, "<div class=\"bar\">");
        if (isfinite(v))
            hb_printf(b, "<span class=\"%s\" style=\"width:%.1f%%\"></span>", score_class(v),
                      clamp(v, 0, 1) * 100.0);
        hb_puts(b, "</div>");
    }
    hb_printf(b, "<div class=\"hint\">%s</div></div>\n", hint);
}

/* The main metric of a utility block: roc_auc, r2, f1, accuracy or the first number. */
static const char *primary_metric(const json_t *ratio)
{
    static const char *const pref[] = {"roc_auc", "r2", "f1", "accuracy"};
    for (size_t i = 0; i < sizeof pref / sizeof pref[0]; i++)
        if (json_is_number(jget(ratio, pref[i])))
            return pref[i];
    const char *key;
    const json_t *v;
    if (json_is_object(ratio))
        json_object_foreach((json_t *)ratio, key, v) if (json_is_number(v)) return key;
    return NULL;
}

static void metric_label(hb *b, const char *key)
{
    static const char *const names[][2] = {
        {"accuracy", "Accuracy"}, {"f1", "F1"}, {"roc_auc", "ROC AUC"}, {"r2", "R\xc2\xb2"},
        {"precision", "Precision"}, {"recall", "Recall"}, {"rmse", "RMSE"}, {"mae", "MAE"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(key, names[i][0]) == 0) {
            hb_puts(b, names[i][1]);
            return;
        }
    hb_esc(b, key, 60);
}

/* Plain-language reading of the membership-inference AUC; *cls gets the pill class. */
static const char *mia_reading(double auc, const char **cls)
{
    if (!isfinite(auc)) {
        *cls = "none";
        return "not computed";
    }
    if (auc <= 0.55 && auc >= 0.45) {
        *cls = "good";
        return U_APPROX " 0.5: an attacker cannot tell training rows from unseen rows better than a coin "
               "flip. Good.";
    }
    if (auc < 0.45) {
        *cls = "good";
        return "Below 0.5: the attack does worse than chance, so it finds no membership signal.";
    }
    if (auc <= 0.65) {
        *cls = "fair";
        return "Above 0.5: an attacker does somewhat better than chance at telling which rows were "
               "used for training.";
    }
    *cls = "poor";
    return "Well above 0.5: the synthetic data reveals which rows were in the training set.";
}

static const char *dcr_reading(double share, const char **cls)
{
    if (!isfinite(share)) {
        *cls = "none";
        return "needs <code>--holdout FILE</code>";
    }
    if (fabs(share - 0.5) <= 0.05) {
        *cls = "good";
        return U_APPROX " 0.5: synthetic rows are no closer to the training rows than to unseen real "
               "rows. Good.";
    }
    if (share > 0.5) {
        *cls = share > 0.6 ? "poor" : "fair";
        return "Above 0.5: synthetic rows sit closer to the training rows than to unseen rows, a sign "
               "of memorization.";
    }
    *cls = "good";
    return "Below 0.5: synthetic rows are closer to unseen rows; no sign of memorization.";
}

static void overview(hb *b, const json_t *r)
{
    const json_t *fid = jget(r, "fidelity"), *util = jget(r, "utility"), *priv = jget(r, "privacy");
    hb_puts(b, "<section id=\"overview\"><h2>Overview</h2>\n<p class=\"lead\">Scores are in [0, 1], "
               "higher is better: " U_GE " 0.90 good, " U_GE " 0.75 fair, below that poor.</p>\n"
               "<div class=\"cards\">\n");
    int hf = json_is_object(fid);
    kpi(b, "Overall fidelity", hf ? jnum_or(jget(fid, "overall"), NAN) : NAN, 1,
        hf ? "mean of column shapes and column pair trends" : "not computed");
    kpi(b, "Column shapes", hf ? jnum_or(jget(fid, "column_shapes"), NAN) : NAN, 1,
        hf ? "each column's distribution, real vs synthetic" : "not computed");
    kpi(b, "Column pair trends", hf ? jnum_or(jget(fid, "column_pair_trends"), NAN) : NAN, 1,
        hf ? "correlations and contingency tables of column pairs" : "not computed");
    const json_t *ratio = jget(util, "ratio");
    const char *pm = json_is_object(util) ? primary_metric(ratio) : NULL;
    if (pm != NULL) {
        hb_puts(b, "<div class=\"card kpi\"><div class=\"label\">ML utility</div><div class=\"value\">");
        double v = jnum_or(jget(ratio, pm), NAN);
        hb_fixed(b, v, 3);
        hb_puts(b, "</div><div class=\"bar\">");
        if (isfinite(v))
            hb_printf(b, "<span class=\"%s\" style=\"width:%.1f%%\"></span>", score_class(v),
                      clamp(v, 0, 1) * 100.0);
        hb_puts(b, "</div><div class=\"hint\">");
        metric_label(b, pm);
        hb_puts(b, " of a model trained on synthetic " U_DIVIDE " trained on real data</div></div>\n");
    } else {
        kpi(b, "ML utility", NAN, 1, "needs <code>--target</code> and <code>--holdout</code>");
    }
    double auc = jnum_or(jget(jget(priv, "membership_inference"), "roc_auc"), NAN);
    const char *cls;
    mia_reading(auc, &cls);
    hb_puts(b, "<div class=\"card kpi\"><div class=\"label\">Privacy: MIA AUC</div>"
               "<div class=\"value\">");
    hb_fixed(b, auc, 3);
    hb_printf(b, "</div><span class=\"pill %s\">%s</span><div class=\"hint\">%s</div></div>\n", cls,
              !isfinite(auc) ? "not computed" : strcmp(cls, "good") == 0 ? "low risk"
                                                : strcmp(cls, "fair") == 0 ? "some risk" : "high risk",
              isfinite(auc) ? "membership-inference attack; 0.5 (chance) is ideal" : json_is_object(priv) ? "needs <code>--holdout</code>"
                                                                             : "privacy checks not run");
    hb_puts(b, "</div>\n");
    hb_puts(b, "<div style=\"margin-top:16px\">");
    inputs_table(b, jget(r, "inputs"));
    hb_puts(b, "</div></section>\n");
}

/* (score, index) for sorting ascending, missing scores last, ties by index. */
typedef struct ranked {
    double score;
    size_t idx;
} ranked;

static int ranked_cmp(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    int fa = isfinite(a->score), fb = isfinite(b->score);
    if (fa != fb)
        return fa ? -1 : 1;
    if (fa && a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int idx_cmp(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void columns_table(hb *b, const json_t *cols, const unsigned char *charted)
{
    size_t n = jsize(cols);
    hb_puts(b, "<div class=\"card\"><h3>Column shapes</h3><p class=\"muted small\" style=\"margin:2px 0 8px\">"
               "KSComplement (numeric) and TVComplement (categorical): 1 " U_MINUS " the largest gap "
               "between the real and synthetic distributions.</p>\n");
    if (n == 0) {
        hb_puts(b, "<div class=\"na small\">No columns in the report.</div></div>\n");
        return;
    }
    hb_printf(b, "<div class=\"%s\"><table><thead><tr><th class=\"num\">#</th><th>Column</th><th>Kind</th>"
                 "<th>Metric</th><th class=\"num\">Score</th></tr></thead><tbody>\n",
              n > 16 ? "scroll" : "");
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(cols, i);
        const char *name = jstr(jget(c, "column"));
        hb_printf(b, "<tr><td class=\"num muted\">%zu</td><td class=\"name\">", i + 1);
        if (charted != NULL && charted[i])
            hb_printf(b, "<a href=\"#col-%zu\">", i);
        hb_esc(b, name != NULL ? name : "(unnamed)", NAME_CHARS);
        if (charted != NULL && charted[i])
            hb_puts(b, "</a>");
        hb_puts(b, "</td><td class=\"muted\">");
        hb_esc(b, jstr(jget(c, "kind")), 30);
        hb_puts(b, "</td><td class=\"muted\">");
        hb_esc(b, jstr(jget(c, "metric")), 40);
        hb_puts(b, "</td><td class=\"num\">");
        double s = jnum_or(jget(c, "score"), NAN);
        hb_fixed(b, s, 3);
        hb_minibar(b, s);
        hb_puts(b, "</td></tr>\n");
    }
    hb_puts(b, "</tbody></table></div></div>\n");
}

static void column_chart(hb *b, const json_t *c, size_t idx)
{
    const char *name = jstr(jget(c, "column"));
    if (name == NULL)
        name = "(unnamed)";
    const json_t *h = jget(c, "histogram");
    hb_printf(b, "<div class=\"card chart\" id=\"col-%zu\"><h3>", idx);
    hb_esc(b, name, NAME_CHARS);
    hb_puts(b, "</h3><div class=\"meta\">");
    const char *kind = jstr(jget(c, "kind")), *metric = jstr(jget(c, "metric"));
    if (kind != NULL) {
        hb_esc(b, kind, 30);
        hb_puts(b, " " U_MIDDOT " ");
    }
    hb_esc(b, metric != NULL ? metric : "score", 40);
    hb_puts(b, " ");
    double s = jnum_or(jget(c, "score"), NAN);
    hb_fixed(b, s, 3);
    hb_minibar(b, s);
    hb_puts(b, "</div>\n");
    if (json_is_array(jget(h, "categories")))
        chart_categorical(b, h, name);
    else if (json_is_array(jget(h, "edges")))
        chart_numeric(b, h, name);
    else
        not_available(b, "No histogram in the report for this column.");
    hb_puts(b, "</div>\n");
}

static void fidelity_columns(hb *b, const json_t *cols)
{
    size_t n = jsize(cols);
    unsigned char *charted = NULL;
    ranked *rk = NULL;
    size_t shown = n;
    if (n > 0) {
        charted = hb_calloc(b, n, 1);
        rk = hb_calloc(b, n, sizeof *rk);
        if (charted == NULL || rk == NULL) {
            synth_free(charted);
            synth_free(rk);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            rk[i].score = jnum_or(jget(json_array_get(cols, i), "score"), NAN);
            rk[i].idx = i;
        }
        if (n > MAX_CHART_COLUMNS) {   /* the lowest scores, shown in document order */
            qsort(rk, n, sizeof *rk, ranked_cmp);
            shown = MAX_CHART_COLUMNS;
            qsort(rk, shown, sizeof *rk, idx_cmp);
        }
        for (size_t i = 0; i < shown; i++)
            charted[rk[i].idx] = 1;
    }
    hb_puts(b, "<section id=\"columns\"><h2>Columns</h2>\n<p class=\"lead\">How closely each column's "
               "distribution in the synthetic data follows the real data.</p>\n");
    columns_table(b, cols, charted);
    if (n > 0) {
        hb_puts(b, "<h3 style=\"margin:22px 0 4px\">Distributions</h3>\n<p class=\"lead\">");
        if (shown < n)
            hb_printf(b, "Charts for the %zu lowest-scoring of %zu columns (charts are capped at %d "
                         "columns; the table above lists all). ",
                      shown, n, MAX_CHART_COLUMNS);
        hb_puts(b, "Numeric columns: overlaid histograms over the real data's bins. Categorical "
                   "columns: share of rows per category, most frequent real category first.</p>\n"
                   "<div class=\"charts\">\n");
        for (size_t i = 0; i < shown; i++)
            column_chart(b, json_array_get(cols, rk[i].idx), rk[i].idx);
        hb_puts(b, "</div>\n");
    }
    hb_puts(b, "</section>\n");
    synth_free(charted);
    synth_free(rk);
}

static void pair_name(hb *b, const json_t *p)
{
    const json_t *cs = jget(p, "columns");
    const char *a = jstr(json_array_get(cs, 0)), *c = jstr(json_array_get(cs, 1));
    hb_esc(b, a != NULL ? a : "?", 60);
    hb_puts(b, " <span class=\"muted\">" U_TIMES "</span> ");
    hb_esc(b, c != NULL ? c : "?", 60);
}

static void fidelity_pairs(hb *b, const json_t *pairs)
{
    size_t n = jsize(pairs);
    hb_puts(b, "<section id=\"pairs\"><h2>Column pairs</h2>\n<p class=\"lead\">The pairs whose "
               "relationship is reproduced worst: CorrelationSimilarity (numeric pairs, 1 " U_MINUS
               " |real " U_MINUS " synthetic| / 2 of the Pearson correlation) and ContingencySimilarity "
               "(pairs with a categorical column).</p>\n<div class=\"card\">");
    if (n == 0) {
        hb_puts(b, "<div class=\"na small\">No column pairs in the report.</div></div></section>\n");
        return;
    }
    ranked *rk = hb_calloc(b, n, sizeof *rk);
    if (rk == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        rk[i].score = jnum_or(jget(json_array_get(pairs, i), "score"), NAN);
        rk[i].idx = i;
    }
    qsort(rk, n, sizeof *rk, ranked_cmp);
    size_t k = n < WORST_PAIRS ? n : WORST_PAIRS;
    hb_printf(b, "<h3>Worst %zu of %zu pairs</h3><table><thead><tr><th>Columns</th><th>Metric</th>"
                 "<th class=\"num\">Real corr.</th><th class=\"num\">Synthetic corr.</th>"
                 "<th class=\"num\">Score</th></tr></thead><tbody>\n",
              k, n);
    for (size_t i = 0; i < k; i++) {
        const json_t *p = json_array_get(pairs, rk[i].idx);
        hb_puts(b, "<tr><td class=\"name\">");
        pair_name(b, p);
        hb_puts(b, "</td><td class=\"muted\">");
        hb_esc(b, jstr(jget(p, "metric")), 40);
        hb_puts(b, "</td><td class=\"num\">");
        hb_jfixed(b, jget(p, "real"), 3);
        hb_puts(b, "</td><td class=\"num\">");
        hb_jfixed(b, jget(p, "synthetic"), 3);
        hb_puts(b, "</td><td class=\"num\">");
        hb_fixed(b, rk[i].score, 3);
        hb_minibar(b, rk[i].score);
        hb_puts(b, "</td></tr>\n");
    }
    hb_puts(b, "</tbody></table></div></section>\n");
    synth_free(rk);
}

static void fidelity_correlation(hb *b, const json_t *corr)
{
    hb_puts(b, "<section id=\"correlation\"><h2>Correlations</h2>\n<p class=\"lead\">Pearson "
               "correlation between numeric columns in the real and the synthetic data, and the "
               "absolute difference (0 is a perfect match). Hover a cell for its value.</p>\n"
               "<div class=\"card\">");
    const json_t *names = jget(corr, "columns");
    size_t n = jsize(names);
    if (!json_is_object(corr)) {
        not_computed(b, "The report has no correlation matrices.");
    } else if (n == 0) {
        hb_puts(b, "<div class=\"na small\">No numeric columns: no correlations to show.</div>");
    } else {
        size_t shown = n < MAX_HEATMAP_COLUMNS ? n : MAX_HEATMAP_COLUMNS;
        if (shown < n)
            hb_printf(b, "<p class=\"muted small\" style=\"margin-top:0\">Showing the first %zu of %zu "
                         "numeric columns (heatmaps are capped at %d).</p>",
                      shown, n, MAX_HEATMAP_COLUMNS);
        const json_t *mr = jget(corr, "real"), *ms = jget(corr, "synthetic");
        hb_puts(b, "<div class=\"heatmaps\">\n<figure><figcaption>Real</figcaption>");
        heatmap(b, names, shown, mr, NULL, 0, "correlation of the real data");
        hb_puts(b, "</figure>\n<figure><figcaption>Synthetic</figcaption>");
        heatmap(b, names, shown, ms, NULL, 0, "correlation of the synthetic data");
        hb_puts(b, "</figure>\n<figure><figcaption>|Real " U_MINUS " synthetic|</figcaption>");
        int labels = heatmap(b, names, shown, mr, ms, 1, "absolute difference of the correlations");
        hb_puts(b, "</figure>\n</div>");
        if (!labels)
            hb_puts(b, "<p class=\"muted small\" style=\"margin-bottom:0\">Column labels are left out at "
                       "this size; hover a cell for its columns and value.</p>");
    }
    hb_puts(b, "</div></section>\n");
}

static void fidelity_section(hb *b, const json_t *fid)
{
    if (!json_is_object(fid)) {
        hb_puts(b, "<section id=\"columns\"><h2>Fidelity</h2>\n");
        not_computed(b, "Fidelity compares the real and the synthetic file and is part of every "
                        "<code>synth validate</code> run; this document has none.");
        hb_puts(b, "</section>\n<section id=\"pairs\"></section><section id=\"correlation\"></section>\n");
        return;
    }
    fidelity_columns(b, jget(fid, "columns"));
    fidelity_pairs(b, jget(fid, "pairs"));
    fidelity_correlation(b, jget(fid, "correlation"));
    const json_t *notes = jget(fid, "notes");
    if (jsize(notes) > 0) {
        hb_puts(b, "<section><div class=\"card\"><h3>Notes</h3><ul class=\"notes\">");
        for (size_t i = 0; i < jsize(notes); i++) {
            const char *s = jstr(json_array_get(notes, i));
            if (s == NULL)
                continue;
            hb_puts(b, "<li>");
            hb_esc(b, s, 2000);
            hb_puts(b, "</li>");
        }
        hb_puts(b, "</ul></div></section>\n");
    }
}

/* A DCR histogram {edges, counts} as shares; 0 when unusable. */
static int dcr_series(hb *b, const json_t *d, hseries *s, const char *name, const char *color, int outline)
{
    const json_t *h = jget(d, "histogram");
    const char *why;
    if (!read_edges(b, jget(h, "edges"), &s->edges, &s->nb, &why))
        return 0;
    s->vals = share_array(b, jget(h, "counts"), s->nb);
    if (s->vals == NULL) {
        synth_free(s->edges);
        return 0;
    }
    double total = 0;
    for (size_t i = 0; i < s->nb; i++)
        total += s->vals[i];
    if (total > 0 && isfinite(total))
        for (size_t i = 0; i < s->nb; i++)
            s->vals[i] /= total;
    s->nb = rebin(s->edges, s->vals, NULL, s->nb);
    s->name = name;
    s->color = color;
    s->outline = outline;
    return 1;
}

/* The PII leakage check (privacy/pii_leak.h): totals, then per entity and per column, masked
 * examples only (the report never holds a raw value). */
static void leakage_section(hb *b, const json_t *lk)
{
    if (!json_is_object(lk))
        return;
    double lv = jnum_or(jget(lk, "leaked_values"), NAN);
    hb_puts(b, "<section id=\"pii-leakage\"><h2>PII leakage</h2>\n<p class=\"lead\">Personal values of "
               "the real file (e-mails, phones, SSNs, cards, names...: whole cells and inside free text) "
               "looked for in the synthetic file. Values a fresh fake can equal by chance (small domains "
               "such as dates of birth or documentation IP addresses) are counted apart.</p>\n");
    hb_puts(b, "<div class=\"cards\">\n<div class=\"card kpi\"><div class=\"label\">Leaked source "
               "values</div><div class=\"value\">");
    hb_count(b, jget(lk, "leaked_values"));
    hb_puts(b, "</div><div class=\"hint\">");
    if (lv == 0)
        hb_puts(b, "No PII value of the real file appears in the synthetic file.");
    else {
        hb_count(b, jget(lk, "leaked_cells"));
        hb_puts(b, " synthetic cells hold a real PII value.");
    }
    hb_puts(b, "</div></div>\n<div class=\"card kpi\"><div class=\"label\">Equal by chance</div>"
               "<div class=\"value\">");
    hb_count(b, jget(lk, "chance_values"));
    hb_puts(b, "</div><div class=\"hint\">Source values a fake hit by chance (not leaks).</div></div>\n"
               "<div class=\"card kpi\"><div class=\"label\">Source PII values checked</div>"
               "<div class=\"value\">");
    hb_count(b, jget(lk, "source_values"));
    hb_puts(b, "</div><div class=\"hint\">");
    hb_puts(b, json_is_false(jget(lk, "complete")) ? "The value set was full: some values were not checked."
                                                    : "Every source PII value was checked.");
    hb_puts(b, "</div></div>\n</div>\n<div class=\"card\" style=\"margin-top:16px\"><table><thead><tr>"
               "<th>Entity</th><th class=\"num\">Source values</th><th class=\"num\">Expected chance "
               "hits</th><th class=\"num\">Leaked values</th><th class=\"num\">Leaked cells</th>"
               "<th class=\"num\">Chance values</th><th>Example (masked)</th></tr></thead><tbody>\n");
    const json_t *ents = jget(lk, "entities");
    for (size_t i = 0; i < jsize(ents); i++) {
        const json_t *e = json_array_get(ents, i);
        hb_puts(b, "<tr><td>");
        hb_esc(b, jstr(jget(e, "entity")) ? jstr(jget(e, "entity")) : "?", 40);
        hb_puts(b, "</td><td class=\"num\">");
        hb_count(b, jget(e, "source_values"));
        hb_puts(b, "</td><td class=\"num\">");
        hb_printf(b, "%.3g", jnum_or(jget(e, "expected_chance_hits"), 0));
        hb_puts(b, "</td><td class=\"num\">");
        hb_count(b, jget(e, "leaked_values"));
        hb_puts(b, "</td><td class=\"num\">");
        hb_count(b, jget(e, "leaked_cells"));
        hb_puts(b, "</td><td class=\"num\">");
        hb_count(b, jget(e, "chance_values"));
        hb_puts(b, "</td><td><code>");
        hb_esc(b, jstr(jget(e, "example")) ? jstr(jget(e, "example")) : "", 64);
        hb_puts(b, "</code></td></tr>\n");
    }
    hb_puts(b, "</tbody></table>\n");
    const json_t *cols = jget(lk, "columns");
    if (jsize(cols) > 0) {
        hb_puts(b, "<table style=\"margin-top:14px\"><thead><tr><th>Synthetic column</th><th>Entity</th>"
                   "<th class=\"num\">Leaked cells</th><th class=\"num\">Chance cells</th><th>Example "
                   "(masked)</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < jsize(cols); i++) {
            const json_t *c = json_array_get(cols, i);
            hb_puts(b, "<tr><td>");
            hb_esc(b, jstr(jget(c, "column")) ? jstr(jget(c, "column")) : "?", 60);
            hb_puts(b, "</td><td>");
            hb_esc(b, jstr(jget(c, "entity")) ? jstr(jget(c, "entity")) : "?", 40);
            hb_puts(b, "</td><td class=\"num\">");
            hb_count(b, jget(c, "leaked_cells"));
            hb_puts(b, "</td><td class=\"num\">");
            hb_count(b, jget(c, "chance_cells"));
            hb_puts(b, "</td><td><code>");
            hb_esc(b, jstr(jget(c, "example")) ? jstr(jget(c, "example")) : "", 64);
            hb_puts(b, "</code></td></tr>\n");
        }
        hb_puts(b, "</tbody></table>\n");
    }
    const char *rule = jstr(jget(lk, "rule"));
    if (rule != NULL) {
        hb_puts(b, "<p class=\"muted small\">Rule: ");
        hb_esc(b, rule, 600);
        hb_puts(b, "</p>\n");
    }
    hb_puts(b, "</div>\n</section>\n");
}

static void privacy_section(hb *b, const json_t *priv)
{
    hb_puts(b, "<section id=\"privacy\"><h2>Privacy risk</h2>\n<p class=\"lead\">Whether the "
               "synthetic rows copy or sit unusually close to the rows the model was trained on.</p>\n");
    if (!json_is_object(priv)) {
        not_computed(b, "The privacy-risk checks (distance to closest record, membership inference) "
                        "were not run. The distance to holdout rows and membership inference need "
                        "<code>--holdout FILE</code>.");
        hb_puts(b, "</section>\n");
        return;
    }
    const json_t *dcr = jget(priv, "dcr");
    const json_t *tr = jget(dcr, "synthetic_to_train"), *ho = jget(dcr, "synthetic_to_holdout");
    double share = jnum_or(jget(dcr, "share_closer_to_train"), NAN);
    double copies = jnum_or(jget(dcr, "exact_copy_rate"), NAN);
    const json_t *mia = jget(priv, "membership_inference");
    double auc = jnum_or(jget(mia, "roc_auc"), NAN);
    const char *cls;
    hb_puts(b, "<div class=\"cards\">\n");
    /* share closer to train */
    const char *reading = dcr_reading(share, &cls);
    hb_puts(b, "<div class=\"card kpi\"><div class=\"label\">Closer to train than to holdout</div>"
               "<div class=\"value\">");
    hb_pct(b, share, 1);
    hb_printf(b, "</div><div class=\"hint\">%s</div></div>\n", reading);
    /* exact copies */
    hb_puts(b, "<div class=\"card kpi\"><div class=\"label\">Exact copies of training rows</div>"
               "<div class=\"value\">");
    hb_pct(b, copies, 2);
    hb_puts(b, "</div><div class=\"hint\">");
    if (!isfinite(copies))
        hb_puts(b, "not computed");
    else if (copies == 0)
        hb_puts(b, "No synthetic row is identical to a training row.");
    else
        hb_puts(b, "Share of synthetic rows identical to a training row (expected only when the data "
                   "has few distinct rows).");
    hb_puts(b, "</div></div>\n");
    /* membership inference */
    reading = mia_reading(auc, &cls);
    hb_puts(b, "<div class=\"card kpi\"><div class=\"label\">Membership inference AUC</div>"
               "<div class=\"value\">");
    hb_fixed(b, auc, 3);
    hb_printf(b, "</div><div class=\"hint\">%s</div>", isfinite(auc) ? reading
                                                                     : "needs <code>--holdout FILE</code>");
    const char *attack = jstr(jget(mia, "attack"));
    if (attack != NULL) {
        hb_puts(b, "<div class=\"hint\">Attack: ");
        hb_esc(b, attack, 300);
        hb_puts(b, "</div>");
    }
    hb_puts(b, "</div>\n</div>\n");
    /* DCR chart and statistics */
    hb_puts(b, "<div class=\"grid2\" style=\"margin-top:16px\">\n<div class=\"card\"><h3>Distance to "
               "closest record (DCR)</h3><p class=\"muted small\" style=\"margin:2px 0 8px\">For each "
               "synthetic row, the distance to the nearest training row and to the nearest holdout row. "
               "The two histograms should overlap; a pile-up near 0 for train only means copying.</p>\n");
    hseries s[2];
    size_t ns = 0;
    if (dcr_series(b, tr, &s[ns], "synthetic " U_ARROW " train", COLOR_TRAIN, 0))
        ns++;
    if (dcr_series(b, ho, &s[ns], "synthetic " U_ARROW " holdout", COLOR_HOLDOUT, 1))
        ns++;
    if (ns > 0)
        chart_hist(b, s, ns, "distance to the closest record", "share of synthetic rows",
                   "distance to closest record histograms");
    else if (json_is_object(dcr))
        not_available(b, "No DCR histogram in the report.");
    else
        not_computed(b, "No distance-to-closest-record data in the report.");
    for (size_t k = 0; k < ns; k++) {
        synth_free(s[k].edges);
        synth_free(s[k].vals);
    }
    if (json_is_object(dcr) && !json_is_object(ho))
        hb_puts(b, "<p class=\"muted small\">Synthetic " U_ARROW " holdout: needs "
                   "<code>--holdout FILE</code>.</p>");
    hb_puts(b, "</div>\n<div class=\"card\"><h3>DCR statistics</h3><table><thead><tr><th></th>"
               "<th class=\"num\">Synthetic " U_ARROW " train</th><th class=\"num\">Synthetic " U_ARROW
               " holdout</th></tr></thead><tbody>\n");
    static const char *const stats[][2] = {
        {"min", "Minimum"}, {"p5", "5th percentile"}, {"median", "Median"}, {"mean", "Mean"}};
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++) {
        hb_printf(b, "<tr><td>%s</td><td class=\"num\">", stats[i][1]);
        hb_jfixed(b, jget(tr, stats[i][0]), 3);
        hb_puts(b, "</td><td class=\"num\">");
        hb_jfixed(b, jget(ho, stats[i][0]), 3);
        hb_puts(b, "</td></tr>\n");
    }
    hb_puts(b, "</tbody></table>\n<table style=\"margin-top:14px\"><tbody>\n");
    const char *enc = jstr(jget(priv, "encoding"));
    if (enc != NULL) {
        hb_puts(b, "<tr><td class=\"muted key\">Encoding</td><td>");
        hb_esc(b, enc, 300);
        hb_puts(b, "</td></tr>\n");
    }
    const json_t *used = jget(priv, "rows_used");
    if (json_is_object(used)) {
        hb_puts(b, "<tr><td class=\"muted key\">Rows used</td><td>");
        static const char *const who[3] = {"synthetic", "train", "holdout"};
        for (int i = 0; i < 3; i++) {
            if (i > 0)
                hb_puts(b, " " U_MIDDOT " ");
            hb_printf(b, "%s ", who[i]);
            hb_count(b, jget(used, who[i]));
        }
        hb_puts(b, "</td></tr>\n");
    }
    const json_t *sampled = jget(priv, "sampled");
    if (json_is_boolean(sampled))
        hb_printf(b, "<tr><td class=\"muted key\">Sampled</td><td>%s</td></tr>\n",
                  json_is_true(sampled) ? "yes: the inputs were sampled down for these checks"
                                        : "no: all rows were used");
    hb_puts(b, "</tbody></table></div>\n</div>\n</section>\n");
}

static void utility_section(hb *b, const json_t *u)
{
    hb_puts(b, "<section id=\"utility\"><h2>ML utility</h2>\n<p class=\"lead\">A model trained on the "
               "synthetic data against the same model trained on the real data, both evaluated on the "
               "holdout.</p>\n");
    if (!json_is_object(u)) {
        not_computed(b, "ML utility needs <code>--target COLUMN</code> and <code>--holdout FILE</code>.");
        hb_puts(b, "</section>\n");
        return;
    }
    hb_puts(b, "<div class=\"card\"><p class=\"small\" style=\"margin:0 0 10px\">");
    static const char *const info[][2] = {
        {"target", "Target"}, {"task", "Task"}, {"model", "Model"}, {"positive_class", "Positive class"}};
    int any = 0;
    for (size_t i = 0; i < sizeof info / sizeof info[0]; i++) {
        const char *v = jstr(jget(u, info[i][0]));
        if (v == NULL)
            continue;
        if (any++)
            hb_puts(b, " &#160;" U_MIDDOT "&#160; ");
        hb_printf(b, "<span class=\"muted\">%s</span> <code>", info[i][1]);
        hb_esc(b, v, NAME_CHARS);
        hb_puts(b, "</code>");
    }
    hb_puts(b, "</p>\n");
    const json_t *blocks[3] = {jget(u, "train_real"), jget(u, "train_synthetic"), jget(u, "ratio")};
    /* metric keys: those of train_real, then any new ones of the others, in document order */
    const char *keys[32] = {NULL};
    size_t nk = 0;
    for (int k = 0; k < 3; k++) {
        const char *key;
        const json_t *v;
        if (!json_is_object(blocks[k]))
            continue;
        json_object_foreach((json_t *)blocks[k], key, v) {
            (void)v;
            size_t j = 0;
            while (j < nk && strcmp(keys[j], key) != 0)
                j++;
            if (j == nk && nk < sizeof keys / sizeof keys[0])
                keys[nk++] = key;
        }
    }
    if (nk == 0) {
        hb_puts(b, "<div class=\"na small\">No metrics in the report.</div></div></section>\n");
        return;
    }
    hb_puts(b, "<table><thead><tr><th>Metric</th><th class=\"num\">Train on real</th>"
               "<th class=\"num\">Train on synthetic</th><th class=\"num\">Ratio (synthetic " U_DIVIDE
               " real)</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < nk; i++) {
        hb_puts(b, "<tr><td class=\"name\">");
        metric_label(b, keys[i]);
        hb_puts(b, "</td>");
        for (int k = 0; k < 3; k++) {
            hb_puts(b, "<td class=\"num\">");
            double v = jnum_or(jget(blocks[k], keys[i]), NAN);
            hb_fixed(b, v, 3);
            if (k == 2)
                hb_minibar(b, v);
            hb_puts(b, "</td>");
        }
        hb_puts(b, "</tr>\n");
    }
    hb_puts(b, "</tbody></table>\n<p class=\"muted small\" style=\"margin:10px 0 0\">A ratio near 1 "
               "means a model trained on the synthetic data does as well as one trained on the real "
               "data.</p></div>\n</section>\n");
}

static void page_foot(hb *b, const json_t *r)
{
    const char *ver = jstr(jget(r, "synth_version"));
    hb_puts(b, "</main>\n<footer><div class=\"wrap\">Generated by synth ");
    hb_esc(b, ver != NULL ? ver : "", 40);
    hb_puts(b, ". A self-contained page: no scripts, nothing loaded from the network. The same data "
               "as JSON: <code>synth validate --json FILE</code>.</div></footer>\n</body>\n</html>\n");
}

static void render(hb *b, const json_t *r)
{
    page_head(b, r);
    overview(b, r);
    fidelity_section(b, jget(r, "fidelity"));
    privacy_section(b, jget(r, "privacy"));
    leakage_section(b, jget(r, "pii_leakage"));
    utility_section(b, jget(r, "utility"));
    page_foot(b, r);
}

/* ---- public ------------------------------------------------------------------------------- */

int synth_report_render_html(const json_t *report, char **html, size_t *len, synth_err *err)
{
    if (html != NULL)
        *html = NULL;
    if (len != NULL)
        *len = 0;
    if (html == NULL || len == NULL)
        return synth_err_set(err, SYNTH_USAGE, "report: no output buffer");
    if (!json_is_object(report))
        return synth_err_set(err, SYNTH_USAGE, "report: the report document is not a JSON object");
    hb b = {NULL, 0, 0, 0};
    render(&b, report);
    if (b.nomem || b.p == NULL) {
        synth_free(b.p);
        return synth_err_set(err, SYNTH_NOMEM, "report: out of memory rendering the HTML page");
    }
    *html = b.p;
    *len = b.len;
    return SYNTH_OK;
}

int synth_report_write_html(const json_t *report, const char *path, synth_err *err)
{
    if (path == NULL)
        return synth_err_set(err, SYNTH_USAGE, "report: no output path");
    char *html;
    size_t len;
    int rc = synth_report_render_html(report, &html, &len, err);
    if (rc != SYNTH_OK)
        return rc;
    synth_output *o = NULL;
    rc = synth_output_open(&o, path, err);
    if (rc == SYNTH_OK) {
        rc = synth_output_write(o, html, len, err);
        if (rc == SYNTH_OK)
            rc = synth_output_commit(o, err);
        else
            synth_output_abort(o);
    }
    synth_free(html);
    return rc;
}
