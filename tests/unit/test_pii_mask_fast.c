/* test_pii_mask_fast.c -- the fast path of synth_mask_csv (pii_mask_fast.c) against the reader
 * path: on plain and tricky inputs (quotes, embedded delimiters and newlines, doubled quotes, CRLF,
 * a lone CR, empty fields and lines, BOM, one-column files, no final newline, a quote inside an
 * unquoted field, long records) the output bytes and the stats must be identical, at the default
 * block size and at block sizes small enough to cut almost every record; on bad input (ragged row,
 * invalid UTF-8, unterminated quote, a value fpe refuses) the error code and message must be
 * identical.  Also checks that the fast path really handles plain input (all rows) and hands the
 * rest to the reader after a CR. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "pii_mask.h"
#include "pii_mask_fast.h"
#include "test_util.h"

static const char policy_json[] =
    "{\"columns\": {\"id\": {\"operator\": \"tokenize\"},"
    " \"name\": {\"operator\": \"replace\", \"value\": \"R,\\\"X\"},"
    " \"email\": {\"operator\": \"hash\", \"length\": 16},"
    " \"ssn\": {\"operator\": \"mask\", \"keep_last\": 4},"
    " \"card\": {\"operator\": \"fpe\"},"
    " \"phone\": {\"operator\": \"synthetic\", \"entity\": \"phone\"},"
    " \"city\": {\"operator\": \"redact\"}}}";

static const char header[] = "id,name,email,ssn,card,phone,amount,city,note\n";

static const size_t block_sizes[] = {0, 1, 7, 64, 333};

typedef struct run_result {
    int rc;
    char msg[SYNTH_ERR_MSG_MAX];
    char *out;        /* malloc'ed output, NULL on error */
    size_t out_len;
    synth_mask_stats st;
} run_result;

static synth_mask_key test_key(void)
{
    synth_mask_key k;
    memset(&k, 0, sizeof k);
    for (int i = 0; i < 32; i++)
        k.bytes[i] = (uint8_t)(7 * i + 1);
    k.len = 32;
    return k;
}

static run_result run(const char *in, const char *policy, int force_reader, size_t block)
{
    synth_mask_policy *p = NULL;
    synth_err err;
    if (synth_mask_policy_parse(&p, policy, "p.json", &err) != 0)
        fail_msg("policy: %s", err.msg);
    synth_mask_key key = test_key();
    char out[192];
    tu_path(out, sizeof out, ".csv");
    run_result r;
    memset(&r, 0, sizeof r);
    synth__mask_force_reader(force_reader);
    synth__mask_block_size(block);
    r.rc = synth_mask_csv(in, out, p, &key, NULL, &r.st, &err);
    synth__mask_force_reader(0);
    synth__mask_block_size(0);
    synth_mask_policy_free(p);
    if (r.rc == 0) {
        r.out = tu_read(out, &r.out_len);
        remove(out);
    } else {
        snprintf(r.msg, sizeof r.msg, "%s", err.msg);
        FILE *f = fopen(out, "r");
        assert_null(f);   /* nothing at the final path */
    }
    return r;
}

/* Mask `text` through both paths at every block size; they must agree.  Returns the rows the
 * fast path wrote at the default block size. */
static uint64_t agree(const char *text, const char *policy)
{
    const char *in = tu_file(".csv", text);
    run_result ref = run(in, policy, 1, 0);
    uint64_t fast_rows = 0;
    for (size_t i = 0; i < sizeof block_sizes / sizeof block_sizes[0]; i++) {
        run_result f = run(in, policy, 0, block_sizes[i]);
        if (i == 0)
            fast_rows = synth__mask_last_fast_rows();
        if (f.rc != ref.rc || strcmp(f.msg, ref.msg) != 0)
            fail_msg("block %zu: rc %d '%s' vs reader %d '%s'", block_sizes[i], f.rc, f.msg, ref.rc, ref.msg);
        if (ref.rc == 0) {
            assert_int_equal(f.out_len, ref.out_len);
            assert_memory_equal(f.out, ref.out, ref.out_len);
            assert_int_equal(f.st.rows, ref.st.rows);
            assert_int_equal(f.st.cells_masked, ref.st.cells_masked);
            assert_int_equal(f.st.bytes_out, ref.st.bytes_out);
            assert_int_equal(f.st.bytes_in, ref.st.bytes_in);
            assert_int_equal(f.st.columns_masked, ref.st.columns_masked);
        }
        free(f.out);
    }
    free(ref.out);
    return fast_rows;
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* n plain rows; with tricky = 1 also quoted fields with delimiters, newlines, doubled quotes and
 * UTF-8, empty fields and empty lines. */
static void add_rows(tu_buf *b, size_t n, int tricky, uint32_t seed)
{
    static const char *const names[] = {"Alice Smith", "Bob Jones", "\"Brown, Carol\"", "\"Dave \"\"D\"\" Evans\"",
                                        "Zoë Ångström", "", "\"multi\nline\"", " spaced "};
    static const char *const notes[] = {"ok", "", "\"a,b\"", "\"x\ny\nz\"", "\"\"", "\"q\"\"\"", "plain text",
                                        "\"\xe2\x82\xac 5\""};
    for (size_t i = 0; i < n; i++) {
        uint32_t r = lcg(&seed);
        unsigned k = tricky ? r % 8 : r % 2;
        tu_add(b, "C-%07zu,%s,user%u@example.com,%03u-%02u-%04u,4%03u %04u %04u %04u,(555) 010-%04u,%u.%02u,%s,%s\n",
               i, names[k], r % 1000, 100 + r % 800, 1 + r % 98, r % 10000, r % 1000, (r >> 3) % 10000,
               (r >> 5) % 10000, (r >> 7) % 10000, (r >> 2) % 10000, r % 997, r % 100,
               (tricky && r % 5 == 0) ? "" : "Leeds", tricky ? notes[(r >> 4) % 8] : "n");
        if (tricky && r % 17 == 0)
            tu_add(b, "\n");
    }
}

static void test_plain(void **state)
{
    (void)state;
    tu_buf b = {0};
    tu_add(&b, "%s", header);
    add_rows(&b, 300, 0, 1);
    assert_int_equal(agree(b.p, policy_json), 300);
    tu_buf_free(&b);
}

static void test_tricky(void **state)
{
    (void)state;
    tu_buf b = {0};
    tu_add(&b, "%s", header);
    add_rows(&b, 400, 1, 2);
    assert_int_equal(agree(b.p, policy_json), 400);
    /* no final newline, and a final record that is a quoted field */
    b.len--;
    b.p[b.len] = '\0';
    assert_int_equal(agree(b.p, policy_json), 400);
    tu_add(&b, "\nC-9,x,e@x.org,123-45-6789,4111 1111 1111 1111,(555) 010-0000,1,York,\"end\"");
    assert_int_equal(agree(b.p, policy_json), 401);
    /* a BOM and a quoted header field */
    tu_buf c = {0};
    tu_add(&c, "\xEF\xBB\xBF%s", header);
    add_rows(&c, 50, 1, 3);
    assert_int_equal(agree(c.p, policy_json), 50);
    tu_buf_free(&c);
    tu_add(&c, "\"id\",name,email,ssn,card,phone,amount,city,\"no\nte\"\n");
    add_rows(&c, 50, 1, 4);
    agree(c.p, "{\"columns\": {\"id\": {\"operator\": \"hash\"}, \"no\\nte\": {\"operator\": \"mask\"}}}");
    tu_buf_free(&c);
    tu_buf_free(&b);
}

static void test_fallback_mid_file(void **state)
{
    (void)state;
    tu_buf b = {0};
    tu_add(&b, "%s", header);
    add_rows(&b, 200, 1, 5);
    tu_add(&b, "C-1,Eve,e@x.org,123-45-6789,4111 1111 1111 1111,(555) 010-0000,1,York,cr\r\n");   /* CRLF */
    add_rows(&b, 100, 1, 6);
    tu_add(&b, "C-2,Ann,a@x.org,123-45-6789,4111 1111 1111 1111,(555) 010-0000,1,5'10\",quote\n");
    add_rows(&b, 20, 0, 7);
    assert_int_equal(agree(b.p, policy_json), 0);   /* one default block holds it all: the reader does it */
    const char *in = tu_file(".csv", b.p);
    run_result r = run(in, policy_json, 0, 512);    /* small blocks: those before the CR are fast */
    assert_int_equal(r.rc, 0);
    assert_true(synth__mask_last_fast_rows() > 100 && synth__mask_last_fast_rows() < 200);
    assert_int_equal(r.st.rows, 322);
    free(r.out);
    tu_buf_free(&b);
    /* CRLF everywhere: the reader does all of it, the same way */
    tu_add(&b, "id,name\r\nC-1,Al\r\nC-2,\"B\r\nb\"\r\n");
    assert_int_equal(agree(b.p, "{\"columns\": {\"name\": {\"operator\": \"mask\", \"keep_first\": 1}}}"), 0);
    tu_buf_free(&b);
}

static void test_small_files(void **state)
{
    (void)state;
    const char *mask_a = "{\"columns\": {\"a\": {\"operator\": \"mask\"}}}";
    agree("a\n", mask_a);
    agree("a", mask_a);
    agree("a\nxy\n\"\"\n\n\"q\"\"\"\nlast", mask_a);
    agree("a\n \n\"\"\n", mask_a);
    agree("a,b\n,\n\",\",\n", mask_a);
    agree("\na,b\n1,2\n", mask_a);              /* an empty line before the header */
    agree("a,b\n1,2\n\n\n3,4\n\n", mask_a);
    /* fpe over blocks with only empty cells or only empty lines (regressions found by the fuzzer) */
    const char *fpe_a = "{\"columns\": {\"a\": {\"operator\": \"fpe\", \"tweak\": \"t\"}}}";
    assert_int_equal(agree("a,b\n,x\n\n,y\n", fpe_a), 2);
    assert_int_equal(agree("a,b\n1234567,x\n\n\n,y\n76-54-321,z\n", fpe_a), 3);
    /* a record longer than several blocks */
    tu_buf b = {0};
    tu_add(&b, "a,b\n");
    for (int i = 0; i < 2000; i++)
        tu_add(&b, "%c", 'a' + i % 26);
    tu_add(&b, ",\"");
    for (int i = 0; i < 500; i++)
        tu_add(&b, "x\n\"\",");
    tu_add(&b, "\"\nshort,row\n");
    assert_int_equal(agree(b.p, mask_a), 2);
    tu_buf_free(&b);
}

static void test_errors(void **state)
{
    (void)state;
    tu_buf b = {0};
    const char *bad[] = {
        "C-1,only,three\n",                                                        /* ragged */
        "C-1,a,b,c,d,e,f,g,h,i\n",                                                 /* too many */
        "C-1,\xff\xfe,e@x.org,1,4111 1111 1111 1111,1,1,York,n\n",                 /* bad UTF-8 */
        "C-1,x,e@x.org,123-45-6789,4111 1111 1111 1111,1,1,York,\"open\n",         /* unterminated */
        "C-1,x,e@x.org,123-45-6789,4111,1,1,York,n\n",                             /* fpe: 4 digits */
        "C-1,x,e@x.org,123-45-6789,\"4111 1111\",1,1,York,n\r\nC-2,\"ab\"c,1,2,3,4,5,6,7\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tu_buf_free(&b);
        tu_add(&b, "%s", header);
        add_rows(&b, 150, 1, (uint32_t)(10 + i));
        tu_add(&b, "%s", bad[i]);
        add_rows(&b, 30, 1, (uint32_t)(20 + i));
        const char *in = tu_file(".csv", b.p);
        run_result ref = run(in, policy_json, 1, 0);
        assert_int_not_equal(ref.rc, 0);
        assert_non_null(strstr(ref.msg, "line "));
        agree(b.p, policy_json);
    }
    tu_buf_free(&b);
}

static void test_alloc_failures_fast(void **state)
{
    (void)state;
    tu_buf b = {0};
    tu_add(&b, "%s", header);
    add_rows(&b, 100, 1, 9);
    const char *in = tu_file(".csv", b.p);
    synth_mask_key key = test_key();
    char out[192];
    tu_path(out, sizeof out, ".csv");
    synth__mask_block_size(256);
    long n;
    int rc = -1;
    for (n = 0; n < 5000; n++) {
        synth_mask_policy *p = NULL;
        synth_err err;
        synth_alloc_fail_after(n, 1);
        rc = synth_mask_policy_parse(&p, policy_json, "p.json", &err);
        if (rc == 0)
            rc = synth_mask_csv(in, out, p, &key, NULL, NULL, &err);
        synth_alloc_fail_after(-1, 0);
        synth_mask_policy_free(p);
        if (rc == 0)
            break;
        if (rc != SYNTH_NOMEM)
            fail_msg("allocation %ld: rc %d: %s", n, rc, err.msg);
    }
    synth__mask_block_size(0);
    assert_int_equal(rc, 0);
    assert_true(n > 10);
    tu_buf_free(&b);
}

static int setup(void **state)
{
    (void)state;
    return tu_make_dir("pii-mask-fast");
}

static int teardown(void **state)
{
    (void)state;
    return tu_drop_dir();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_tricky),
        cmocka_unit_test(test_fallback_mid_file),
        cmocka_unit_test(test_small_files),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alloc_failures_fast),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
