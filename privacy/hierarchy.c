/* hierarchy.c -- generalization hierarchies (see hierarchy.h for the kinds and the loss metric).
 *
 * Each level is built by handing every value's label to level_add, which interns labels through
 * a small open-addressing table into group ids.  User hierarchies are validated against the whole
 * file entry of the column (level counts, cycles, consistent parents) and against the data (every
 * value present).  Allocation goes through synth_malloc (jansson's own allocator for the JSON
 * maps used while validating).  No global state: thread-safe between independent calls. */
#include "hierarchy.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "datetime.h"
#include "hash.h"

const char *synth_hier_kind_name(synth_hier_kind k)
{
    switch (k) {
    case SYNTH_HIER_SUPPRESS: return "suppress";
    case SYNTH_HIER_USER: return "hierarchy";
    case SYNTH_HIER_INTERVAL: return "interval";
    case SYNTH_HIER_DATE: return "date";
    case SYNTH_HIER_MASK: return "mask";
    }
    return "unknown";
}

int synth_hier_is_null(const char *s, size_t len)
{
    while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return 1;
    static const char *const tokens[] = {"NA", "N/A", "NULL", "null", "NaN", "nan", "None", "?"};
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
        if (strlen(tokens[i]) == len && memcmp(tokens[i], s, len) == 0)
            return 1;
    return 0;
}

void synth_hier_free(synth_hier *h)
{
    if (h == NULL)
        return;
    size_t n = h->nlevels + 1; /* arrays are allocated with one spare level */
    for (size_t l = 0; l < n; l++) {
        if (h->labels != NULL && h->labels[l] != NULL) {
            for (size_t g = 0; g < h->ngroups[l]; g++)
                synth_free(h->labels[l][g]);
            synth_free(h->labels[l]);
        }
        if (h->gid != NULL)
            synth_free(h->gid[l]);
        if (h->ncp != NULL)
            synth_free(h->ncp[l]);
    }
    synth_free(h->labels);
    synth_free(h->gid);
    synth_free(h->ncp);
    synth_free(h->ngroups);
    synth_free(h);
}

/* ---- building levels ------------------------------------------------------------------------ */

typedef struct level_map {
    uint32_t *slots; /* gid + 1; 0 = empty */
    size_t mask;
} level_map;

static int alloc_hier(size_t nvalues, size_t max_levels, synth_hier_kind kind, synth_hier **out)
{
    synth_hier *h = synth_calloc(1, sizeof *h);
    if (h == NULL)
        return SYNTH_NOMEM;
    h->kind = kind;
    h->nvalues = nvalues;
    h->nlevels = max_levels; /* lowered by the builder; free() walks nlevels + 1 */
    h->gid = synth_calloc(max_levels + 1, sizeof *h->gid);
    h->labels = synth_calloc(max_levels + 1, sizeof *h->labels);
    h->ncp = synth_calloc(max_levels + 1, sizeof *h->ncp);
    h->ngroups = synth_calloc(max_levels + 1, sizeof *h->ngroups);
    if (h->gid == NULL || h->labels == NULL || h->ncp == NULL || h->ngroups == NULL) {
        synth_hier_free(h);
        return SYNTH_NOMEM;
    }
    *out = h;
    return 0;
}

static int level_begin(synth_hier *h, size_t level, level_map *m)
{
    size_t cap = 16;
    while (cap < 2 * h->nvalues + 2)
        cap *= 2;
    size_t nv = h->nvalues > 0 ? h->nvalues : 1;
    m->slots = synth_calloc(cap, sizeof *m->slots);
    m->mask = cap - 1;
    h->gid[level] = synth_calloc(nv, sizeof *h->gid[level]);
    h->labels[level] = synth_calloc(nv, sizeof *h->labels[level]);
    if (m->slots == NULL || h->gid[level] == NULL || h->labels[level] == NULL) {
        synth_free(m->slots);
        m->slots = NULL;
        return SYNTH_NOMEM;
    }
    return 0;
}

static int level_add(synth_hier *h, size_t level, level_map *m, size_t value, const char *s,
                     size_t len)
{
    size_t i = (size_t)synth_hash_bytes(s, len) & m->mask;
    for (;;) {
        uint32_t g = m->slots[i];
        if (g == 0)
            break;
        const char *lab = h->labels[level][g - 1];
        if (strlen(lab) == len && memcmp(lab, s, len) == 0) {
            h->gid[level][value] = g - 1;
            return 0;
        }
        i = (i + 1) & m->mask;
    }
    char *copy = synth_strndup(s, len);
    if (copy == NULL)
        return SYNTH_NOMEM;
    size_t g = h->ngroups[level]++;
    h->labels[level][g] = copy;
    m->slots[i] = (uint32_t)g + 1;
    h->gid[level][value] = (uint32_t)g;
    return 0;
}

/* Per-level ncp from leaf counts: (non-null values in the group - 1) / (non-null values - 1). */
static int leaf_ncp(synth_hier *h, const unsigned char *is_null)
{
    size_t d = 0;
    for (size_t v = 0; v < h->nvalues; v++)
        d += !is_null[v];
    for (size_t l = 0; l < h->nlevels; l++) {
        size_t ng = h->ngroups[l] > 0 ? h->ngroups[l] : 1;
        h->ncp[l] = synth_calloc(ng, sizeof *h->ncp[l]);
        if (h->ncp[l] == NULL)
            return SYNTH_NOMEM;
        for (size_t v = 0; v < h->nvalues; v++)
            if (!is_null[v])
                h->ncp[l][h->gid[l][v]] += 1.0;
        for (size_t g = 0; g < h->ngroups[l]; g++) {
            double leaves = h->ncp[l][g];
            h->ncp[l][g] = (d > 1 && leaves > 0) ? (leaves - 1.0) / (double)(d - 1) : 0.0;
        }
    }
    return 0;
}

/* Level `level` = the null text for nulls, "*" for everything else. */
static int add_star_level(synth_hier *h, size_t level, const char *const *values,
                          const uint32_t *lens, const unsigned char *is_null)
{
    level_map m;
    int rc = level_begin(h, level, &m);
    for (size_t v = 0; rc == 0 && v < h->nvalues; v++)
        rc = is_null[v] ? level_add(h, level, &m, v, values[v], lens[v])
                        : level_add(h, level, &m, v, "*", 1);
    synth_free(m.slots);
    return rc;
}

static int add_identity_level(synth_hier *h, const char *const *values, const uint32_t *lens)
{
    level_map m;
    int rc = level_begin(h, 0, &m);
    for (size_t v = 0; rc == 0 && v < h->nvalues; v++)
        rc = level_add(h, 0, &m, v, values[v], lens[v]);
    synth_free(m.slots);
    return rc;
}

/* ---- automatic kinds ------------------------------------------------------------------------ */

static int is_code(const char *const *values, const uint32_t *lens, const unsigned char *is_null,
                   size_t n, size_t *width)
{
    size_t w = 0;
    for (size_t v = 0; v < n; v++) {
        if (is_null[v])
            continue;
        if (w == 0)
            w = lens[v];
        if (lens[v] != w)
            return 0;
        for (size_t i = 0; i < w; i++)
            if (!isdigit((unsigned char)values[v][i]))
                return 0;
    }
    *width = w;
    return w >= 3;
}

static int parse_num(const char *s, double *out)
{
    char *end;
    while (*s == ' ')
        s++;
    if (*s == '\0')
        return -1;
    double x = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (*end != '\0' || !isfinite(x))
        return -1;
    *out = x;
    return 0;
}

static const synth_dtfmt *date_layout(const char *const *values, const uint32_t *lens,
                                      const unsigned char *is_null, size_t n)
{
    size_t nc;
    const synth_dtfmt *cands = synth_dt_candidates(&nc);
    for (size_t c = 0; c < nc; c++) {
        size_t ok = 0, v;
        for (v = 0; v < n; v++) {
            double t;
            if (is_null[v])
                continue;
            if (synth_dt_parse(&cands[c], values[v], lens[v], &t) != 0)
                break;
            ok++;
        }
        if (v == n && ok > 0)
            return &cands[c];
    }
    return NULL;
}

static double nice_up(double x)
{
    double p = pow(10.0, floor(log10(x)));
    double f = x / p;
    return (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * p;
}

static int build_mask(synth_hier *h, const char *const *values, const uint32_t *lens,
                      const unsigned char *is_null, size_t width)
{
    char buf[64];
    int rc = add_identity_level(h, values, lens);
    for (size_t l = 1; rc == 0 && l <= width; l++) {
        level_map m;
        rc = level_begin(h, l, &m);
        for (size_t v = 0; rc == 0 && v < h->nvalues; v++) {
            if (is_null[v]) {
                rc = level_add(h, l, &m, v, values[v], lens[v]);
                continue;
            }
            memcpy(buf, values[v], width);
            memset(buf + width - l, '*', l);
            rc = level_add(h, l, &m, v, buf, width);
        }
        synth_free(m.slots);
    }
    h->nlevels = width + 1;
    return rc == 0 ? leaf_ncp(h, is_null) : rc;
}

static int build_interval(synth_hier *h, const char *const *values, const uint32_t *lens,
                          const unsigned char *is_null, const double *x, double lo, double hi,
                          int integral)
{
    double range = hi - lo;
    double w0 = range > 0 ? nice_up(range / 16.0) : 1.0;
    if (integral && w0 < 1.0)
        w0 = 1.0;
    h->base_width = w0;
    size_t nint = 0; /* interval levels: widths w0 * 2^i while more than one bucket */
    if (range > 0)
        while (nint < 60 && floor(lo / ldexp(w0, (int)nint)) != floor(hi / ldexp(w0, (int)nint)))
            nint++;
    int rc = add_identity_level(h, values, lens);
    char buf[96];
    for (size_t l = 1; rc == 0 && l <= nint; l++) {
        double w = ldexp(w0, (int)l - 1);
        level_map m;
        rc = level_begin(h, l, &m);
        for (size_t v = 0; rc == 0 && v < h->nvalues; v++) {
            if (is_null[v]) {
                rc = level_add(h, l, &m, v, values[v], lens[v]);
                continue;
            }
            double a = floor(x[v] / w) * w;
            int n = snprintf(buf, sizeof buf, "[%.10g-%.10g)", a, a + w);
            rc = level_add(h, l, &m, v, buf, (size_t)n);
        }
        synth_free(m.slots);
    }
    if (rc == 0)
        rc = add_star_level(h, nint + 1, values, lens, is_null);
    h->nlevels = nint + 2;
    for (size_t l = 0; rc == 0 && l < h->nlevels; l++) {
        size_t ng = h->ngroups[l] > 0 ? h->ngroups[l] : 1;
        h->ncp[l] = synth_calloc(ng, sizeof *h->ncp[l]);
        if (h->ncp[l] == NULL)
            return SYNTH_NOMEM;
        if (l == 0 || range <= 0)
            continue;
        double share = l == h->nlevels - 1 ? 1.0 : fmin(1.0, ldexp(w0, (int)l - 1) / range);
        for (size_t v = 0; v < h->nvalues; v++)
            if (!is_null[v])
                h->ncp[l][h->gid[l][v]] = share;
    }
    return rc;
}

static int build_date(synth_hier *h, const char *const *values, const uint32_t *lens,
                      const unsigned char *is_null, const synth_dtfmt *fmt)
{
    double *t = synth_calloc(h->nvalues > 0 ? h->nvalues : 1, sizeof *t);
    if (t == NULL)
        return SYNTH_NOMEM;
    for (size_t v = 0; v < h->nvalues; v++) {
        if (!is_null[v] && synth_dt_parse(fmt, values[v], lens[v], &t[v]) == 0 &&
            fmod(t[v], 86400.0) != 0.0)
            h->date_has_day = 1;
    }
    int rc = add_identity_level(h, values, lens);
    size_t first = h->date_has_day ? 0 : 1; /* 0 day, 1 month, 2 year, 3 decade */
    size_t l = 1;
    char buf[32];
    for (size_t g = first; rc == 0 && g <= 3; g++, l++) {
        level_map m;
        rc = level_begin(h, l, &m);
        for (size_t v = 0; rc == 0 && v < h->nvalues; v++) {
            if (is_null[v]) {
                rc = level_add(h, l, &m, v, values[v], lens[v]);
                continue;
            }
            int y, mo, d, n;
            synth_civil_from_days((long long)floor(t[v] / 86400.0), &y, &mo, &d);
            if (g == 0)
                n = snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, mo, d);
            else if (g == 1)
                n = snprintf(buf, sizeof buf, "%04d-%02d", y, mo);
            else if (g == 2)
                n = snprintf(buf, sizeof buf, "%04d", y);
            else
                n = snprintf(buf, sizeof buf, "%03d*", y / 10);
            rc = level_add(h, l, &m, v, buf, (size_t)n);
        }
        synth_free(m.slots);
    }
    if (rc == 0)
        rc = add_star_level(h, l, values, lens, is_null);
    h->nlevels = l + 1;
    synth_free(t);
    return rc == 0 ? leaf_ncp(h, is_null) : rc;
}

/* ---- user hierarchies ----------------------------------------------------------------------- */

int synth_hier_load_file(const char *path, json_t **out, synth_err *err)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (root == NULL) {
        if (je.line <= 0)
            return synth_err_set(err, SYNTH_USAGE, "%s: cannot read hierarchy file: %s", path,
                                 je.text);
        return synth_err_set(err, SYNTH_USAGE, "%s: line %d: malformed JSON: %s", path, je.line,
                             je.text);
    }
    json_t *cols = json_object_get(root, "columns");
    if (!json_is_object(root) || !json_is_object(cols)) {
        json_decref(root);
        return synth_err_set(err, SYNTH_USAGE,
                             "%s: a hierarchy file must be an object with a \"columns\" object",
                             path);
    }
    const char *name;
    json_t *col;
    json_object_foreach(cols, name, col) {
        if (!json_is_object(col)) {
            int rc = synth_err_set(err, SYNTH_USAGE,
                                   "%s: column '%s': expected an object of value -> [parents]",
                                   path, name);
            json_decref(root);
            return rc;
        }
        const char *value;
        json_t *list;
        json_object_foreach(col, value, list) {
            int ok = json_is_array(list) && json_array_size(list) > 0;
            for (size_t i = 0; ok && i < json_array_size(list); i++)
                ok = json_is_string(json_array_get(list, i));
            if (!ok) {
                int rc = synth_err_set(err, SYNTH_USAGE,
                                       "%s: column '%s': value '%s': expected a non-empty array "
                                       "of strings (parent levels, most specific first)",
                                       path, name, value);
                json_decref(root);
                return rc;
            }
        }
    }
    *out = root;
    return 0;
}

/* Check level counts, cycles and consistent parents over the whole entry of the column. */
static int validate_user(const char *column, const json_t *user, const char *path, size_t *levels,
                         synth_err *err)
{
    const char *value, *first = NULL;
    json_t *list;
    size_t nl = 0;
    json_object_foreach((json_t *)user, value, list) {
        size_t n = json_array_size(list);
        if (first == NULL) {
            first = value;
            nl = n;
        } else if (n != nl) {
            return synth_err_set(err, SYNTH_USAGE,
                                 "%s: column '%s': value '%s' has %zu levels but value '%s' has "
                                 "%zu (inconsistent level counts)",
                                 path, column, value, n, first, nl);
        }
        for (size_t i = 0; i < n; i++)
            if (strcmp(json_string_value(json_array_get(list, i)), value) == 0 &&
                !(i == n - 1 && strcmp(value, "*") == 0))
                return synth_err_set(err, SYNTH_USAGE,
                                     "%s: column '%s': value '%s' is listed as its own ancestor "
                                     "(cycle)",
                                     path, column, value);
    }
    if (first == NULL)
        return synth_err_set(err, SYNTH_USAGE, "%s: column '%s': the hierarchy is empty", path,
                             column);
    for (size_t l = 0; l + 1 < nl; l++) {
        json_t *parents = json_object();
        if (parents == NULL)
            return synth_err_set(err, SYNTH_NOMEM, "out of memory");
        json_object_foreach((json_t *)user, value, list) {
            json_t *lab = json_array_get(list, l), *par = json_array_get(list, l + 1);
            json_t *seen = json_object_get(parents, json_string_value(lab));
            if (seen == NULL) {
                if (json_object_set(parents, json_string_value(lab), par) != 0) {
                    json_decref(parents);
                    return synth_err_set(err, SYNTH_NOMEM, "out of memory");
                }
            } else if (!json_equal(seen, par)) {
                int rc = synth_err_set(err, SYNTH_USAGE,
                                       "%s: column '%s': value '%s': level %zu label '%s' has two "
                                       "different parents, '%s' and '%s' (inconsistent hierarchy)",
                                       path, column, value, l + 1, json_string_value(lab),
                                       json_string_value(seen), json_string_value(par));
                json_decref(parents);
                return rc;
            }
        }
        json_decref(parents);
    }
    *levels = nl;
    return 0;
}

static int build_user(synth_hier *h, const char *column, const char *const *values,
                      const uint32_t *lens, const unsigned char *is_null, const json_t *user,
                      size_t nl, const char *path, synth_err *err)
{
    json_t **lists = synth_calloc(h->nvalues > 0 ? h->nvalues : 1, sizeof *lists);
    if (lists == NULL)
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    for (size_t v = 0; v < h->nvalues; v++) {
        if (is_null[v] && lens[v] == 0)
            continue;
        lists[v] = json_object_get(user, values[v]);
        if (lists[v] == NULL && !is_null[v]) {
            synth_free(lists);
            return synth_err_set(err, SYNTH_USAGE,
                                 "%s: column '%s': value '%s' of the data is missing from the "
                                 "hierarchy",
                                 path, column, values[v]);
        }
    }
    int rc = add_identity_level(h, values, lens);
    for (size_t l = 1; rc == 0 && l <= nl; l++) {
        level_map m;
        rc = level_begin(h, l, &m);
        for (size_t v = 0; rc == 0 && v < h->nvalues; v++) {
            if (lists[v] == NULL) {
                rc = level_add(h, l, &m, v, values[v], lens[v]);
                continue;
            }
            json_t *lab = json_array_get(lists[v], l - 1);
            rc = level_add(h, l, &m, v, json_string_value(lab), json_string_length(lab));
        }
        synth_free(m.slots);
    }
    synth_free(lists);
    h->nlevels = nl + 1;
    size_t top_nonnull = 0;
    if (rc == 0) {
        /* add "*" when the top level still separates non-null values */
        uint32_t g0 = UINT32_MAX;
        for (size_t v = 0; v < h->nvalues; v++) {
            if (is_null[v])
                continue;
            if (g0 == UINT32_MAX)
                g0 = h->gid[nl][v];
            else if (h->gid[nl][v] != g0)
                top_nonnull = 2;
        }
        if (top_nonnull > 1) {
            rc = add_star_level(h, nl + 1, values, lens, is_null);
            h->nlevels = nl + 2;
        }
    }
    if (rc == 0)
        rc = leaf_ncp(h, is_null);
    return rc == 0 ? 0 : synth_err_set(err, SYNTH_NOMEM, "out of memory");
}

int synth_hier_build(const char *column, const char *const *values, const uint32_t *lens,
                     size_t nvalues, const json_t *user, const char *path, synth_hier **out,
                     synth_err *err)
{
    *out = NULL;
    size_t nl = 0;
    if (user != NULL) {
        int rc = validate_user(column, user, path, &nl, err);
        if (rc != 0)
            return rc;
    }
    unsigned char *is_null = synth_calloc(nvalues > 0 ? nvalues : 1, 1);
    double *x = synth_calloc(nvalues > 0 ? nvalues : 1, sizeof *x);
    if (is_null == NULL || x == NULL) {
        synth_free(is_null);
        synth_free(x);
        return synth_err_set(err, SYNTH_NOMEM, "out of memory");
    }
    for (size_t v = 0; v < nvalues; v++)
        is_null[v] = (unsigned char)synth_hier_is_null(values[v], lens[v]);

    synth_hier *h = NULL;
    int rc;
    size_t width = 0;
    if (user != NULL) {
        rc = alloc_hier(nvalues, nl + 2, SYNTH_HIER_USER, &h);
        if (rc == 0) {
            rc = build_user(h, column, values, lens, is_null, user, nl, path, err);
            goto done;
        }
    } else if (is_code(values, lens, is_null, nvalues, &width)) {
        rc = alloc_hier(nvalues, width + 1, SYNTH_HIER_MASK, &h);
        if (rc == 0)
            rc = build_mask(h, values, lens, is_null, width);
    } else {
        int numeric = 1, integral = 1, any = 0;
        double lo = INFINITY, hi = -INFINITY;
        for (size_t v = 0; v < nvalues && numeric; v++) {
            if (is_null[v])
                continue;
            if (parse_num(values[v], &x[v]) != 0) {
                numeric = 0;
                break;
            }
            any = 1;
            integral &= x[v] == floor(x[v]);
            lo = fmin(lo, x[v]);
            hi = fmax(hi, x[v]);
        }
        const synth_dtfmt *fmt = NULL;
        if (numeric && any) {
            rc = alloc_hier(nvalues, 64, SYNTH_HIER_INTERVAL, &h);
            if (rc == 0)
                rc = build_interval(h, values, lens, is_null, x, lo, hi, integral);
        } else if ((fmt = date_layout(values, lens, is_null, nvalues)) != NULL) {
            rc = alloc_hier(nvalues, 6, SYNTH_HIER_DATE, &h);
            if (rc == 0)
                rc = build_date(h, values, lens, is_null, fmt);
        } else {
            rc = alloc_hier(nvalues, 2, SYNTH_HIER_SUPPRESS, &h);
            if (rc == 0)
                rc = add_identity_level(h, values, lens);
            if (rc == 0)
                rc = add_star_level(h, 1, values, lens, is_null);
            if (rc == 0)
                rc = leaf_ncp(h, is_null);
        }
    }
    if (rc != 0)
        rc = synth_err_set(err, SYNTH_NOMEM, "out of memory");
done:
    synth_free(is_null);
    synth_free(x);
    if (rc != 0) {
        synth_hier_free(h);
        return rc;
    }
    *out = h;
    return 0;
}
