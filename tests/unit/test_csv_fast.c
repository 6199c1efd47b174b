/* test_csv_fast.c -- the strict-subset record scanner (src/csv_fast.h) on its own: cell offsets,
 * lengths and flags of plain, quoted and escaped fields; the slot map; EMPTY for an empty line;
 * MORE for a record cut short when more bytes may come (and FALLBACK for the same bytes at the
 * end); FALLBACK for CR, NUL, a quote inside an unquoted field, text after a closing quote,
 * invalid UTF-8, a wrong field count and a field over max_field; and the UTF-8 length check. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "csv_fast.h"

/* Parse s (length strlen) as one record of ncols fields; returns the result, *used = bytes taken. */
static int parse(const synth_csv_fast *fs, const char *s, int eof, size_t *used, synth_csv_fast_cell *cells)
{
    const unsigned char *b = (const unsigned char *)s, *next = NULL;
    int r = synth_csv_fast_record(fs, b, b, b + strlen(s), eof, &next, cells);
    *used = next != NULL ? (size_t)(next - b) : 0;
    return r;
}

static void expect_cell(const char *s, synth_csv_fast_cell c, const char *text, uint32_t flags)
{
    size_t n = c.len & SYNTH_CSV_FAST_LEN;
    assert_int_equal(n, strlen(text));
    assert_memory_equal(s + c.off, text, n);
    assert_int_equal(c.len & ~SYNTH_CSV_FAST_LEN, flags);
}

static void test_fields(void **state)
{
    (void)state;
    synth_csv_fast fs;
    synth_csv_fast_init(&fs, ',', 4, 100, NULL);
    synth_csv_fast_cell c[4];
    size_t used;
    const char *s = "ab,\"x,\"\"y\"\"\",,\"\"\nnext";
    assert_int_equal(parse(&fs, s, 0, &used, c), SYNTH_CSV_FAST_OK);
    assert_int_equal(used, strlen("ab,\"x,\"\"y\"\"\",,\"\"\n"));
    expect_cell(s, c[0], "ab", 0);
    expect_cell(s, c[1], "x,\"\"y\"\"", SYNTH_CSV_FAST_QUOTED | SYNTH_CSV_FAST_ESC);
    expect_cell(s, c[2], "", 0);
    expect_cell(s, c[3], "", SYNTH_CSV_FAST_QUOTED);
    /* the last record without a line feed, at the end of the input; UTF-8 inside */
    const char *t = "1,caf\xC3\xA9,\"\xE2\x82\xAC\",z";
    assert_int_equal(parse(&fs, t, 1, &used, c), SYNTH_CSV_FAST_OK);
    assert_int_equal(used, strlen(t));
    expect_cell(t, c[1], "caf\xC3\xA9", 0);
    expect_cell(t, c[2], "\xE2\x82\xAC", SYNTH_CSV_FAST_QUOTED);
    expect_cell(t, c[3], "z", 0);
    /* another delimiter */
    synth_csv_fast_init(&fs, ';', 2, 100, NULL);
    assert_int_equal(parse(&fs, "a,b;c\n", 1, &used, c), SYNTH_CSV_FAST_OK);
    expect_cell("a,b;c\n", c[0], "a,b", 0);
}

static void test_slots(void **state)
{
    (void)state;
    const int slot[4] = {-1, 1, -1, 0};
    synth_csv_fast fs;
    synth_csv_fast_init(&fs, ',', 4, 100, slot);
    synth_csv_fast_cell c[2] = {{0, 0}, {0, 0}};
    size_t used;
    const char *s = "a,bb,ccc,dddd\n";
    assert_int_equal(parse(&fs, s, 1, &used, c), SYNTH_CSV_FAST_OK);
    expect_cell(s, c[0], "dddd", 0);
    expect_cell(s, c[1], "bb", 0);
}

static void test_empty_and_more(void **state)
{
    (void)state;
    synth_csv_fast fs;
    synth_csv_fast_init(&fs, ',', 2, 100, NULL);
    synth_csv_fast_cell c[2];
    size_t used;
    assert_int_equal(parse(&fs, "\na,b\n", 0, &used, c), SYNTH_CSV_FAST_EMPTY);
    assert_int_equal(used, 1);
    /* cut inside an unquoted field, inside a quoted one, right after a closing quote, and
     * inside a UTF-8 sequence: MORE while more may come; at the end the same bytes are a short
     * record, an unterminated quote or a broken sequence */
    static const struct {
        const char *s;
        int at_end;
    } cut[] = {
        {"a,b", SYNTH_CSV_FAST_OK},
        {"a,\"b", SYNTH_CSV_FAST_FALLBACK},
        {"a,\"b\"", SYNTH_CSV_FAST_OK},
        {"a", SYNTH_CSV_FAST_FALLBACK},
        {"a,\xC3", SYNTH_CSV_FAST_FALLBACK},
    };
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        assert_int_equal(parse(&fs, cut[i].s, 0, &used, c), SYNTH_CSV_FAST_MORE);
        assert_int_equal(parse(&fs, cut[i].s, 1, &used, c), cut[i].at_end);
    }
}

static void test_fallback(void **state)
{
    (void)state;
    synth_csv_fast fs;
    synth_csv_fast_init(&fs, ',', 2, 5, NULL);
    synth_csv_fast_cell c[3];
    size_t used;
    static const char *bad[] = {
        "a\r,b\n",      /* CR */
        "a,b\r\n",      /* CRLF */
        "a\"x,b\n",     /* a quote inside an unquoted field */
        "\"a\"x,b\n",   /* text after the closing quote */
        "a,\xC3(\n",    /* a broken two-byte sequence */
        "a,\xED\xA0\x80\n", /* a surrogate */
        "a,\xC0\xAF\n", /* overlong */
        "\"\xFF\",b\n", /* invalid inside quotes */
        "a\n",          /* too few fields */
        "a,b,c\n",      /* too many */
        "abcdef,b\n",   /* a field over max_field (5) */
        "\"a\rb\",c\n", /* CR inside quotes */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse(&fs, bad[i], 1, &used, c), SYNTH_CSV_FAST_FALLBACK);
    /* NUL (strlen would stop at it) */
    const unsigned char nul[] = {'a', 0, ',', 'b', '\n'}, *next = NULL;
    assert_int_equal(synth_csv_fast_record(&fs, nul, nul, nul + sizeof nul, 1, &next, c), SYNTH_CSV_FAST_FALLBACK);
    /* exactly max_field is fine, quoted or not */
    assert_int_equal(parse(&fs, "abcde,\"vwxyz\"\n", 1, &used, c), SYNTH_CSV_FAST_OK);
}

static void test_utf8_len(void **state)
{
    (void)state;
    assert_int_equal(synth_csv_fast_utf8_len((const unsigned char *)"\xC3\xA9", 2), 2);
    assert_int_equal(synth_csv_fast_utf8_len((const unsigned char *)"\xE2\x82\xAC", 3), 3);
    assert_int_equal(synth_csv_fast_utf8_len((const unsigned char *)"\xF0\x9F\x98\x80", 4), 4);
    assert_int_equal(synth_csv_fast_utf8_len((const unsigned char *)"\xF4\x8F\xBF\xBF", 4), 4);
    assert_int_equal(synth_csv_fast_utf8_len((const unsigned char *)"\xF4\x90\x80\x80", 4), 0); /* > U+10FFFF */
    assert_int_equal(synth_csv_fast_utf8_len((const unsigned char *)"\xE0\x80\x80", 3), 0);     /* overlong */
    assert_int_equal(synth_csv_fast_utf8_len((const unsigned char *)"\xE2\x82\xAC", 2), 0);     /* cut short */
    assert_int_equal(synth_csv_fast_utf8_len((const unsigned char *)"\x80", 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_empty_and_more),
        cmocka_unit_test(test_fallback),
        cmocka_unit_test(test_utf8_len),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
