/* test_report_html.c -- unit tests of validation/report_html.c (the HTML validation report).
 *
 * Renders the hand-written example document (tests/unit/data/report_example.json), hostile,
 * minimal, odd and very wide documents, and checks: no scripts or URLs, every name present and
 * escaped, the whole page and every <svg> block well-formed XML (a small checker here, and
 * `xmllint --noout` too when the binary exists: Debian package libxml2-utils), and that every
 * allocation failure gives SYNTH_NOMEM without leaks (ASan).
 *
 * Also a helper mode for the end-to-end test (tests/cli/90_report_html.bats):
 *   test_report_html --render IN.json OUT.html
 * renders IN.json to OUT.html and exits (0, or the synth exit code of the error). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc.h"
#include "err.h"
#include "report_html.h"
#include "test_util.h"

/* The example document, found next to this source file (the tests run from the repository root). */
static char example_path[512];

static void set_example_path(void)
{
    const char *here = __FILE__;
    const char *slash = strrchr(here, '/');
    int dir_len = slash != NULL ? (int)(slash - here) : 1;
    snprintf(example_path, sizeof example_path, "%.*s/data/report_example.json", dir_len,
             slash != NULL ? here : ".");
}

static json_t *load_example(void)
{
    json_error_t jerr;
    json_t *doc = json_load_file(example_path, 0, &jerr);
    if (doc == NULL)
        fail_msg("%s:%d: %s", example_path, jerr.line, jerr.text);
    return doc;
}

static char *render_ok(const json_t *doc, size_t *len_out)
{
    char *html = NULL;
    size_t len = 0;
    synth_err err;
    synth_err_clear(&err);
    int rc = synth_report_render_html(doc, &html, &len, &err);
    if (rc != SYNTH_OK)
        fail_msg("render failed: %d %s", rc, err.msg);
    assert_non_null(html);
    assert_int_equal(strlen(html), len);
    if (len_out != NULL)
        *len_out = len;
    return html;
}

/* ---- a small XML well-formedness checker --------------------------------------------------- */

/* Enough XML for this page: one root element, an optional <!DOCTYPE ...> before it, elements
 * with balanced and properly nested tags, quoted attributes without '<' and unique per element,
 * '&' only in the five predefined or numeric references, no control characters.  Returns 1, or
 * 0 with a message naming the offset. */
static int ref_ok(const char *s, size_t len, size_t i, size_t *skip)
{
    static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t k = 0; k < 5; k++) {
        size_t n = strlen(named[k]);
        if (i + n <= len && memcmp(s + i, named[k], n) == 0) {
            *skip = n;
            return 1;
        }
    }
    size_t j = i + 1;
    if (j >= len || s[j] != '#')
        return 0;
    j++;
    int hex = j < len && s[j] == 'x';
    if (hex)
        j++;
    size_t start = j;
    while (j < len && (hex ? isxdigit((unsigned char)s[j]) : isdigit((unsigned char)s[j])))
        j++;
    if (j == start || j >= len || s[j] != ';')
        return 0;
    *skip = j + 1 - i;
    return 1;
}

static int name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || c == ':';
}

static int name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == ':' || c == '-' || c == '.';
}

static int xml_check(const char *s, size_t len, char *msg, size_t msgsize)
{
    enum { MAXDEPTH = 256, MAXNAME = 64, MAXATTR = 32 };
    char stack[MAXDEPTH][MAXNAME];
    int depth = 0, roots = 0;
#define XFAIL(...)                                                   \
    do {                                                             \
        int o_ = snprintf(msg, msgsize, "offset %zu: ", i);          \
        snprintf(msg + o_, msgsize - (size_t)o_, __VA_ARGS__);       \
        return 0;                                                    \
    } while (0)
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            XFAIL("control character 0x%02x", c);
        if (c == '&') {
            size_t skip;
            if (!ref_ok(s, len, i, &skip))
                XFAIL("bare '&'");
            if (depth == 0)
                XFAIL("text outside the root element");
            i += skip;
            continue;
        }
        if (c != '<') {
            if (depth == 0 && !isspace(c))
                XFAIL("text outside the root element");
            i++;
            continue;
        }
        if (strncmp(s + i, "<!DOCTYPE", 9) == 0) {
            if (roots > 0 || depth > 0)
                XFAIL("DOCTYPE after the root");
            const char *e = memchr(s + i, '>', len - i);
            if (e == NULL)
                XFAIL("unterminated DOCTYPE");
            i = (size_t)(e - s) + 1;
            continue;
        }
        if (strncmp(s + i, "<!--", 4) == 0) {
            const char *e = strstr(s + i + 4, "-->");
            if (e == NULL)
                XFAIL("unterminated comment");
            i = (size_t)(e - s) + 3;
            continue;
        }
        if (s[i + 1] == '/') {   /* end tag */
            size_t j = i + 2, start = j;
            while (j < len && name_char(s[j]))
                j++;
            size_t n = j - start;
            while (j < len && isspace((unsigned char)s[j]))
                j++;
            if (j >= len || s[j] != '>')
                XFAIL("malformed end tag");
            if (depth == 0)
                XFAIL("end tag </%.*s> without a start tag", (int)n, s + start);
            if (strlen(stack[depth - 1]) != n || memcmp(stack[depth - 1], s + start, n) != 0)
                XFAIL("end tag </%.*s> closes <%s>", (int)n, s + start, stack[depth - 1]);
            depth--;
            i = j + 1;
            continue;
        }
        /* start tag */
        size_t j = i + 1, start = j;
        if (j >= len || !name_start(s[j]))
            XFAIL("'<' not starting a tag");
        while (j < len && name_char(s[j]))
            j++;
        size_t n = j - start;
        if (n >= MAXNAME)
            XFAIL("tag name too long");
        if (depth == 0 && roots++ > 0)
            XFAIL("a second root element <%.*s>", (int)n, s + start);
        char attrs[MAXATTR][MAXNAME];
        int nattr = 0, closed = 0;
        for (;;) {
            size_t ws = j;
            while (j < len && isspace((unsigned char)s[j]))
                j++;
            if (j >= len)
                XFAIL("unterminated tag");
            if (s[j] == '>') {
                j++;
                break;
            }
            if (s[j] == '/' && j + 1 < len && s[j + 1] == '>') {
                j += 2;
                closed = 1;
                break;
            }
            if (j == ws)
                XFAIL("no space before an attribute");
            size_t as = j;
            if (!name_start(s[j]))
                XFAIL("bad attribute name");
            while (j < len && name_char(s[j]))
                j++;
            size_t an = j - as;
            if (an >= MAXNAME || nattr >= MAXATTR)
                XFAIL("attribute name too long or too many attributes");
            for (int k = 0; k < nattr; k++)
                if (strlen(attrs[k]) == an && memcmp(attrs[k], s + as, an) == 0)
                    XFAIL("duplicate attribute %.*s", (int)an, s + as);
            memcpy(attrs[nattr], s + as, an);
            attrs[nattr++][an] = '\0';
            while (j < len && isspace((unsigned char)s[j]))
                j++;
            if (j >= len || s[j] != '=')
                XFAIL("attribute %.*s without a value", (int)an, s + as);
            j++;
            while (j < len && isspace((unsigned char)s[j]))
                j++;
            if (j >= len || (s[j] != '"' && s[j] != '\''))
                XFAIL("unquoted attribute value");
            char q = s[j++];
            while (j < len && s[j] != q) {
                if (s[j] == '<')
                    XFAIL("'<' in an attribute value");
                if ((unsigned char)s[j] < 0x20 && s[j] != '\t' && s[j] != '\n' && s[j] != '\r')
                    XFAIL("control character in an attribute value");
                if (s[j] == '&') {
                    size_t skip;
                    if (!ref_ok(s, len, j, &skip))
                        XFAIL("bare '&' in an attribute value");
                    j += skip;
                } else {
                    j++;
                }
            }
            if (j >= len)
                XFAIL("unterminated attribute value");
            j++;
        }
        if (!closed) {
            if (depth >= MAXDEPTH)
                XFAIL("nesting too deep");
            memcpy(stack[depth], s + start, n);
            stack[depth++][n] = '\0';
        }
        i = j;
    }
    if (depth != 0)
        XFAIL("<%s> not closed at the end", stack[depth - 1]);
    if (roots != 1)
        XFAIL("%d root elements", roots);
#undef XFAIL
    return 1;
}

static void assert_xml(const char *what, const char *s, size_t len)
{
    char msg[256];
    if (!xml_check(s, len, msg, sizeof msg)) {
        size_t off = 0;
        sscanf(msg, "offset %zu", &off);
        size_t from = off > 80 ? off - 80 : 0;
        fail_msg("%s is not well-formed XML: %s; near: %.160s", what, msg, s + from);
    }
}

/* ---- xmllint, when installed ---------------------------------------------------------------- */

static int have_xmllint(void)
{
    static int known = -1;
    if (known < 0) {
        known = system("command -v xmllint >/dev/null 2>&1") == 0;
        if (!known)
            print_message("[  SKIP    ] xmllint not installed (Debian package libxml2-utils): "
                          "only the built-in XML check runs\n");
    }
    return known;
}

static void xmllint_check(const char *what, const char *s, size_t len)
{
    if (!have_xmllint())
        return;
    char path[256], cmd[512];
    tu_path(path, sizeof path, ".xml");
    tu_write(path, s, len);
    snprintf(cmd, sizeof cmd, "xmllint --noout --nonet '%s' >&2", path);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("xmllint rejects %s (exit status %d; file %s)", what, rc, path);
    unlink(path);
}

/* Every <svg ...>...</svg> block of html, checked alone (built-in) and all together (xmllint).
 * Returns the number of blocks. */
static size_t check_svgs(const char *html)
{
    tu_buf all = {0};
    tu_add(&all, "<svgs>\n");
    size_t n = 0;
    const char *p = html;
    while ((p = strstr(p, "<svg")) != NULL) {
        const char *e = strstr(p, "</svg>");
        assert_non_null(e);
        e += strlen("</svg>");
        const char *nested = strstr(p + 4, "<svg");
        if (nested != NULL && nested < e)
            fail_msg("nested <svg> at offset %td", nested - html);
        char what[64];
        snprintf(what, sizeof what, "<svg> block %zu", n + 1);
        assert_xml(what, p, (size_t)(e - p));
        tu_add(&all, "%.*s\n", (int)(e - p), p);
        n++;
        p = e;
    }
    tu_add(&all, "</svgs>\n");
    xmllint_check("the <svg> blocks", all.p, all.len);
    tu_buf_free(&all);
    return n;
}

/* The checks every rendered page must pass; returns the number of <svg> blocks. */
static size_t check_page(const char *html, size_t len)
{
    assert_int_equal(strlen(html), len);
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    for (const char *p = html; *p; p++)
        if (strncasecmp(p, "<script", 7) == 0)
            fail_msg("a <script at offset %td", p - html);
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "url("));
    assert_null(strstr(html, "@import"));
    assert_xml("the page", html, len);
    xmllint_check("the page", html, len);
    return check_svgs(html);
}

/* s escaped as the renderer escapes it (for plain ASCII names). */
static void escaped(const char *s, char *out, size_t size)
{
    size_t o = 0;
    for (; *s && o + 8 < size; s++) {
        const char *r = NULL;
        switch (*s) {
        case '&': r = "&amp;"; break;
        case '<': r = "&lt;"; break;
        case '>': r = "&gt;"; break;
        case '"': r = "&quot;"; break;
        case '\'': r = "&#39;"; break;
        default: break;
        }
        if (r != NULL) {
            memcpy(out + o, r, strlen(r));
            o += strlen(r);
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_example(void **state)
{
    (void)state;
    json_t *doc = load_example();
    size_t len;
    char *html = render_ok(doc, &len);
    size_t nsvg = check_page(html, len);
    const json_t *cols = json_object_get(json_object_get(doc, "fidelity"), "columns");
    size_t ncols = json_array_size(cols);
    assert_true(ncols >= 10);
    /* one chart per column, three heatmaps, one DCR chart */
    assert_int_equal(nsvg, ncols + 3 + 1);
    char esc[512];
    for (size_t i = 0; i < ncols; i++) {
        const char *name = json_string_value(json_object_get(json_array_get(cols, i), "column"));
        assert_non_null(name);
        escaped(name, esc, sizeof esc);
        tu_assert_contains(html, esc);
        char anchor[64];
        snprintf(anchor, sizeof anchor, "id=\"col-%zu\"", i);
        tu_assert_contains(html, anchor);
    }
    /* the parts a reader looks for */
    tu_assert_contains(html, "Overall fidelity");
    tu_assert_contains(html, "0.943");                 /* overall */
    tu_assert_contains(html, "Worst 10 of 105 pairs");
    tu_assert_contains(html, "|Real \xe2\x88\x92 synthetic|");
    tu_assert_contains(html, "Closer to train than to holdout");
    tu_assert_contains(html, "51.4%");                 /* share closer to train */
    tu_assert_contains(html, "0.12%");                 /* exact-copy rate */
    tu_assert_contains(html, "0.507");                 /* MIA AUC */
    tu_assert_contains(html, "coin flip");
    tu_assert_contains(html, "ROC AUC");
    tu_assert_contains(html, "0.975");                 /* roc_auc ratio */
    tu_assert_contains(html, "32,561");
    tu_assert_contains(html, "datasets/adult_holdout.csv");
    tu_assert_contains(html, "Content-Security-Policy");
    assert_null(strstr(html, "Not computed"));
    synth_free(html);
    json_decref(doc);
}

static void test_write_file(void **state)
{
    (void)state;
    json_t *doc = load_example();
    size_t len;
    char *html = render_ok(doc, &len);
    char path[256];
    tu_path(path, sizeof path, ".html");
    synth_err err;
    assert_int_equal(synth_report_write_html(doc, path, &err), SYNTH_OK);
    size_t flen;
    char *back = tu_read(path, &flen);
    assert_int_equal(flen, len);
    assert_memory_equal(back, html, len);
    free(back);
    /* no temporary file left beside it */
    DIR *d = opendir(tu_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-") != NULL)
            fail_msg("temporary file left: %s", e->d_name);
    closedir(d);
    /* an unwritable path is SYNTH_IO, naming it */
    assert_int_equal(synth_report_write_html(doc, "/nonexistent-dir-synth/r.html", &err), SYNTH_IO);
    tu_assert_contains(err.msg, "/nonexistent-dir-synth/r.html");
    assert_int_equal(synth_report_write_html(doc, NULL, &err), SYNTH_USAGE);
    synth_free(html);
    json_decref(doc);
}

#define HOSTILE "<script>alert(1)</script>&\"'"
#define HOSTILE_ESC "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"

static void test_hostile_strings(void **state)
{
    (void)state;
    json_t *doc = load_example();
    json_t *fid = json_object_get(doc, "fidelity");
    json_t *cols = json_object_get(fid, "columns");
    json_t *c0 = json_array_get(cols, 0), *c1 = json_array_get(cols, 1);
    json_object_set_new(c0, "column", json_string(HOSTILE));
    json_object_set_new(c0, "metric", json_string(HOSTILE));
    json_object_set_new(c0, "kind", json_string(HOSTILE));
    json_t *cats = json_object_get(json_object_get(c1, "histogram"), "categories");
    json_array_set_new(cats, 0, json_string(HOSTILE));
    json_array_set_new(cats, 1, json_string("]]><!-- --> &amp; &#0; <![CDATA[ x"));
    json_array_set_new(json_object_get(json_object_get(fid, "correlation"), "columns"), 0, json_string(HOSTILE));
    json_array_set_new(json_object_get(json_array_get(json_object_get(fid, "pairs"), 0), "columns"), 0,
                       json_string(HOSTILE));
    json_object_set_new(json_array_get(json_object_get(fid, "pairs"), 0), "score", json_real(0.01));
    json_array_append_new(json_object_get(fid, "notes"), json_string(HOSTILE));
    json_object_set_new(json_object_get(json_object_get(doc, "inputs"), "real"), "path",
                        json_string("/tmp/" HOSTILE ".csv"));
    json_object_set_new(json_object_get(json_object_get(doc, "inputs"), "synthetic"), "path",
                        json_string("javascript:alert(1)</title><script>"));
    json_object_set_new(doc, "synth_version", json_string(HOSTILE));
    json_t *util = json_object_get(doc, "utility");
    json_object_set_new(util, "target", json_string(HOSTILE));
    json_object_set_new(json_object_get(util, "ratio"), HOSTILE, json_real(0.5));
    json_object_set_new(json_object_get(json_object_get(doc, "privacy"), "membership_inference"), "attack",
                        json_string(HOSTILE));
    json_object_set_new(json_object_get(doc, "privacy"), "encoding", json_string(HOSTILE));
    /* control characters and invalid UTF-8 (jansson would refuse it from a file) */
    json_array_set_new(cats, 2, json_string_nocheck("bell\x07 nul-free \x1b[31m \xff\xfe \xed\xa0\x80 \xc3"));
    size_t len;
    char *html = render_ok(doc, &len);
    check_page(html, len);
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "</script"));
    assert_null(strstr(html, "<!--"));
    assert_null(strstr(html, "<![CDATA["));
    assert_true(count_of(html, HOSTILE_ESC) >= 8);
    tu_assert_contains(html, "javascript:alert(1)&lt;/title&gt;&lt;script&gt;");
    tu_assert_contains(html, "bell\xef\xbf\xbd nul-free \xef\xbf\xbd[31m");
    synth_free(html);
    json_decref(doc);
}

static void test_minimal(void **state)
{
    (void)state;
    const char *docs[] = {
        "{}",
        "{\"synth_version\": null, \"inputs\": null, \"fidelity\": null, \"utility\": null, \"privacy\": null}",
        "{\"synth_version\": \"0.1.0\", \"inputs\": {\"real\": {\"path\": \"a.csv\", \"rows\": 10},"
        " \"synthetic\": {\"path\": \"b.csv\", \"rows\": 20}, \"holdout\": null},"
        " \"fidelity\": null, \"utility\": null, \"privacy\": null}",
        /* privacy without holdout parts */
        "{\"privacy\": {\"dcr\": {\"synthetic_to_train\": {\"min\": 0, \"p5\": 0.1, \"median\": 0.5, \"mean\": 0.6,"
        " \"histogram\": {\"edges\": [0, 0.5, 1], \"counts\": [3, 7]}}, \"synthetic_to_holdout\": null,"
        " \"share_closer_to_train\": null, \"exact_copy_rate\": 0}, \"membership_inference\": null}}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_error_t jerr;
        json_t *doc = json_loads(docs[i], 0, &jerr);
        assert_non_null(doc);
        size_t len;
        char *html = render_ok(doc, &len);
        check_page(html, len);
        tu_assert_contains(html, "Not computed");
        tu_assert_contains(html, "<code>--target COLUMN</code> and <code>--holdout FILE</code>");
        if (i == 3) {
            tu_assert_contains(html, "Synthetic \xe2\x86\x92 holdout: needs <code>--holdout FILE</code>");
            tu_assert_contains(html, "No synthetic row is identical to a training row.");
        }
        synth_free(html);
        json_decref(doc);
    }
}

static void test_not_an_object(void **state)
{
    (void)state;
    const char *docs[] = {"[]", "[1, 2]", "\"text\"", "3", "null", "true"};
    synth_err err;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_t *doc = json_loads(docs[i], JSON_DECODE_ANY, NULL);
        assert_non_null(doc);
        char *html = (char *)"x";
        size_t len = 7;
        assert_int_equal(synth_report_render_html(doc, &html, &len, &err), SYNTH_USAGE);
        assert_null(html);
        assert_int_equal(len, 0);
        tu_assert_contains(err.msg, "not a JSON object");
        json_decref(doc);
    }
    char *html;
    size_t len;
    assert_int_equal(synth_report_render_html(NULL, &html, &len, &err), SYNTH_USAGE);
    assert_null(html);
    assert_int_equal(synth_report_write_html(NULL, "/tmp/never-written.html", &err), SYNTH_USAGE);
    assert_int_equal(access("/tmp/never-written.html", F_OK), -1);
    json_t *obj = json_object();
    assert_int_equal(synth_report_render_html(obj, NULL, &len, &err), SYNTH_USAGE);
    json_decref(obj);
}

static void test_odd_input(void **state)
{
    (void)state;
    char *huge = malloc(20001);
    assert_non_null(huge);
    for (int i = 0; i < 20000; i++)
        huge[i] = (char)('a' + i % 26);
    huge[20000] = '\0';
    json_t *doc = json_pack(
        "{s:i, s:{s:[], s:{s:s, s:s}, s:s},"
        " s:{s:s, s:f, s:[], s:["
        "  {s:s, s:s, s:f, s:{s:[f, f, f], s:[f, f], s:[f]}},"          /* ragged values */
        "  {s:s, s:s, s:{s:[i, i, i], s:[i, i], s:[i, i]}},"            /* decreasing edges */
        "  {s:s, s:s, s:{s:[i, i, i], s:[i, i], s:[i, i]}},"            /* constant column */
        "  {s:s, s:{s:[], s:[], s:[]}},"                                /* empty */
        "  {s:s, s:{s:[s, s, i, n, s], s:[f, s, f], s:{}}},"            /* odd categories */
        "  {s:s, s:{s:[f, f], s:[f], s:[f]}},"                          /* huge numbers */
        "  {s:i, s:[]}, i, n, s,"
        "  {s:s, s:{s:[f, f, f], s:[f, f], s:[f, f]}}"                   /* no score, tiny range */
        " ], s:[{s:[s], s:s, s:f}, i, {s:[i, i], s:f, s:s, s:s}],"
        " s:{s:[s, i, s], s:[[f, f], [f], i], s:s}, s:[s, i, n]},"
        " s:{s:s, s:{s:s}, s:{s:f}, s:[f]},"
        " s:{s:{s:{s:{s:[f, f, f], s:[i, i]}}, s:{s:{s:[f], s:[]}}, s:s, s:f}, s:{s:b}, s:i}}",
        "synth_version", 7,
        "inputs", "real", "synthetic", "path", huge, "rows", "many", "holdout", "none",
        "fidelity", "overall", "high", "column_shapes", 1e300, "column_pair_trends", "columns",
        "column", "ragged", "kind", "numeric", "score", 0.5, "histogram", "edges", 0.0, 1.0, 2.0, "real", 0.5, 0.5,
        "synthetic", -3.0,
        "column", "backwards", "kind", "numeric", "histogram", "edges", 3, 2, 1, "real", 1, 1, "synthetic", 1, 1,
        "column", "constant", "kind", "numeric", "histogram", "edges", 5, 5, 5, "real", 1, 0, "synthetic", 1, 0,
        "column", "empty", "histogram", "categories", "real", "synthetic",
        "column", huge, "histogram", "categories", huge, "", 3, "x", "real", 0.5, "?", 0.5, "synthetic",
        "column", "huge-numbers", "histogram", "edges", -1e308, 1e308, "real", 1e308, "synthetic", 1e-308,
        "column", 12, "histogram", 5, "x",
        "column", "no-score", "histogram", "edges", 1e-12, 1.5e-12, 2e-12, "real", 0.5, 0.5, "synthetic", 0.5, 0.5,
        "pairs", "columns", "only-one", "metric", "x", "score", 0.1, 3, "columns", 1, 2, "score", 0.5, "metric", huge,
        "real", "no",
        "correlation", "columns", "a", 2, "c", "real", 0.5, 0.2, 0.1, 7, "synthetic", "nope", "notes", huge, 3,
        "utility", "target", "t", "train_real", "accuracy", "high", "ratio", "roc_auc", 1e300, "train_synthetic",
        0.5,
        "privacy", "dcr", "synthetic_to_train", "histogram", "edges", 0.0, 0.5, 1.0, "counts", 0, 0,
        "synthetic_to_holdout", "histogram", "edges", 1.0, "counts", "share_closer_to_train", "x",
        "exact_copy_rate", 2.5, "membership_inference", "roc_auc", 1, "sampled", 3);
    if (doc == NULL)
        fail_msg("json_pack failed");
    size_t len;
    char *html = render_ok(doc, &len);
    check_page(html, len);
    /* huge strings are cut: the 20000-character name appears nowhere whole */
    assert_null(strstr(html, huge));
    char head[64];
    snprintf(head, sizeof head, "%.39s\xe2\x80\xa6", huge);   /* a 40-character label */
    tu_assert_contains(html, head);
    tu_assert_contains(html, "not increasing finite numbers");
    tu_assert_contains(html, "no categories");
    tu_assert_contains(html, "(empty)");
    tu_assert_contains(html, "(not a string)");
    tu_assert_contains(html, "(null)");
    tu_assert_contains(html, "\xe2\x80\x93");               /* dashes for missing numbers */
    assert_null(strstr(html, ">nan"));
    assert_null(strstr(html, "nan<"));
    assert_null(strstr(html, ">inf"));
    assert_null(strstr(html, "inf<"));
    assert_null(strstr(html, "\"nan"));
    assert_null(strstr(html, "\"inf"));
    synth_free(html);
    json_decref(doc);
    free(huge);
}

/* 1000 columns, 2000 pairs, a 100-column correlation: charts capped at 60, heatmaps at 60. */
static void test_many_columns(void **state)
{
    (void)state;
    json_t *cols = json_array(), *pairs = json_array(), *names = json_array();
    json_t *mr = json_array(), *ms = json_array();
    for (int i = 0; i < 1000; i++) {
        char name[64];
        snprintf(name, sizeof name, "column_number_%04d_with_a_longish_name", i);
        json_t *h;
        if (i % 2 == 0) {
            json_t *e = json_array(), *r = json_array(), *s = json_array();
            for (int k = 0; k <= 10; k++)
                json_array_append_new(e, json_real(k * 1.5 + i));
            for (int k = 0; k < 10; k++) {
                json_array_append_new(r, json_real(0.1));
                json_array_append_new(s, json_real(0.05 + 0.01 * k));
            }
            h = json_pack("{s:o, s:o, s:o}", "edges", e, "real", r, "synthetic", s);
        } else {
            json_t *c = json_array(), *r = json_array(), *s = json_array();
            for (int k = 0; k < 25; k++) {
                char cat[48];
                snprintf(cat, sizeof cat, "category %d of column %d", k, i);
                json_array_append_new(c, json_string(cat));
                json_array_append_new(r, json_real(0.04));
                json_array_append_new(s, json_real(0.03 + 0.001 * k));
            }
            h = json_pack("{s:o, s:o, s:o}", "categories", c, "real", r, "synthetic", s);
        }
        json_array_append_new(cols, json_pack("{s:s, s:s, s:s, s:f, s:o}", "column", name, "kind",
                                              i % 2 ? "categorical" : "numeric", "metric", "KSComplement",
                                              "score", 0.5 + (i % 97) / 200.0, "histogram", h));
    }
    for (int i = 0; i < 2000; i++)
        json_array_append_new(pairs, json_pack("{s:[s, s], s:s, s:f}", "columns", "a", "b", "metric",
                                               "ContingencySimilarity", "score", 0.5 + (i % 89) / 200.0));
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%d", i);
        json_array_append_new(names, json_string(name));
        json_t *rr = json_array(), *rs = json_array();
        for (int j = 0; j < 100; j++) {
            json_array_append_new(rr, json_real(i == j ? 1.0 : 0.3));
            json_array_append_new(rs, json_real(i == j ? 1.0 : 0.25));
        }
        json_array_append_new(mr, rr);
        json_array_append_new(ms, rs);
    }
    json_t *doc = json_pack("{s:{s:f, s:o, s:o, s:{s:o, s:o, s:o}}}", "fidelity", "overall", 0.8, "columns",
                            cols, "pairs", pairs, "correlation", "columns", names, "real", mr, "synthetic", ms);
    assert_non_null(doc);
    size_t len;
    char *html = render_ok(doc, &len);
    size_t nsvg = check_page(html, len);
    assert_int_equal(nsvg, 60 + 3);
    tu_assert_contains(html, "Charts for the 60 lowest-scoring of 1000 columns");
    tu_assert_contains(html, "Showing the first 60 of 100");
    tu_assert_contains(html, "Column labels are left out");
    tu_assert_contains(html, "Worst 10 of 2000 pairs");
    tu_assert_contains(html, "column_number_0999_with_a_longish_name");   /* the table lists all */
    tu_assert_contains(html, "category 24 of column 1</text>");   /* 25 categories: all drawn */
    assert_null(strstr(html, "first 30 of"));
    synth_free(html);
    json_decref(doc);
}

/* Every allocation of a render, in turn, fails (once, then from there on): SYNTH_NOMEM, no output,
 * nothing leaked (ASan). */
static void test_alloc_failures(void **state)
{
    (void)state;
    json_t *doc = load_example();
    char *html;
    size_t len;
    synth_err err;
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(synth_report_render_html(doc, &html, &len, &err), SYNTH_OK);
    long needed = synth_alloc_fail_after(-1, 0);
    synth_free(html);
    assert_true(needed >= 3);
    for (int sticky = 0; sticky <= 1; sticky++)
        for (long n = 0; n < needed; n++) {
            synth_alloc_fail_after(n, sticky);
            int rc = synth_report_render_html(doc, &html, &len, &err);
            synth_alloc_fail_after(-1, 0);
            if (rc != SYNTH_NOMEM)
                fail_msg("allocation %ld (sticky %d): got %d (%s), expected SYNTH_NOMEM", n, sticky, rc, err.msg);
            assert_null(html);
            assert_int_equal(len, 0);
        }
    /* writing: the render's allocations and the output file's */
    char path[256];
    tu_path(path, sizeof path, ".html");
    synth_alloc_fail_after(-1, 0);
    assert_int_equal(synth_report_write_html(doc, path, &err), SYNTH_OK);
    needed = synth_alloc_fail_after(-1, 0);
    assert_int_equal(unlink(path), 0);
    for (long n = 0; n < needed; n++) {
        synth_alloc_fail_after(n, 0);
        int rc = synth_report_write_html(doc, path, &err);
        synth_alloc_fail_after(-1, 0);
        if (rc != SYNTH_NOMEM)
            fail_msg("write, allocation %ld: got %d (%s), expected SYNTH_NOMEM", n, rc, err.msg);
        assert_int_equal(access(path, F_OK), -1);
    }
    json_decref(doc);
}

static int group_setup(void **state)
{
    (void)state;
    return tu_make_dir("report-html");
}

static int group_teardown(void **state)
{
    (void)state;
    return tu_drop_dir();
}

/* --render IN.json OUT.html: for the end-to-end test. */
static int render_mode(const char *in, const char *out)
{
    json_error_t jerr;
    json_t *doc = json_load_file(in, 0, &jerr);
    if (doc == NULL) {
        fprintf(stderr, "%s:%d: %s\n", in, jerr.line, jerr.text);
        return synth_code_exit(SYNTH_BAD_INPUT);
    }
    synth_err err;
    synth_err_clear(&err);
    int rc = synth_report_write_html(doc, out, &err);
    json_decref(doc);
    if (rc != SYNTH_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return synth_code_exit(rc);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--render") == 0) {
        if (argc != 4) {
            fprintf(stderr, "usage: %s --render IN.json OUT.html\n", argv[0]);
            return 2;
        }
        return render_mode(argv[2], argv[3]);
    }
    set_example_path();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_write_file),
        cmocka_unit_test(test_hostile_strings),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_odd_input),
        cmocka_unit_test(test_many_columns),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
