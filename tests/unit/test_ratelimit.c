/* test_ratelimit.c -- unit tests of api/ratelimit.c with an injected clock: exact token-bucket
 * arithmetic (burst, then the sustained rate), header values, per-IP failed-auth limiter, bounded
 * tables, bad configurations, and a concurrent burst that never admits more than the limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

static uint64_t fake_now;

static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}

static synth_ratelimit *make(double rate, uint32_t burst)
{
    synth_ratelimit_config cfg;
    synth_ratelimit_config_init(&cfg);
    cfg.rate = rate;
    cfg.burst = burst;
    cfg.clock = fake_clock;
    synth_ratelimit *rl = NULL;
    synth_err err;
    assert_int_equal(synth_ratelimit_new(&cfg, &rl, &err), 0);
    return rl;
}

static void test_defaults(void **state)
{
    (void)state;
    synth_ratelimit_config cfg;
    synth_ratelimit_config_init(&cfg);
    assert_true(cfg.rate == 10);
    assert_int_equal(cfg.burst, 20);
    assert_int_equal(cfg.auth_failures, 10);
    assert_int_equal(cfg.auth_window_s, 60);
    assert_int_equal(cfg.max_jobs, 4);
}

/* rate 10/s, burst 20: 20 at once, the 21st denied with Retry-After 1 (0.1 s, rounded up); then
 * exactly one more per 100 ms. */
static void test_burst_then_rate(void **state)
{
    (void)state;
    fake_now = 1000 * SEC;
    synth_ratelimit *rl = make(10, 20);
    synth_rl_decision d;
    for (int i = 0; i < 20; i++) {
        synth_ratelimit_key(rl, "key_a", &d);
        assert_int_equal(d.allowed, 1);
        assert_int_equal(d.limit, 20);
        assert_int_equal(d.remaining, 19 - i);
        assert_int_equal(d.window_s, 2);
        assert_int_equal(d.retry_after_s, 0);
    }
    /* bucket empty: reset = 2 s (20 tokens x 100 ms) */
    assert_int_equal(d.reset_s, 2);
    synth_ratelimit_key(rl, "key_a", &d);
    assert_int_equal(d.allowed, 0);
    assert_int_equal(d.remaining, 0);
    assert_int_equal(d.retry_after_s, 1);
    assert_int_equal(synth_ratelimit_denied_total(rl), 1);
    /* 99 ms later: still nothing; at 100 ms exactly one */
    fake_now += 99 * MS;
    synth_ratelimit_key(rl, "key_a", &d);
    assert_int_equal(d.allowed, 0);
    fake_now += 1 * MS;
    synth_ratelimit_key(rl, "key_a", &d);
    assert_int_equal(d.allowed, 1);
    assert_int_equal(d.remaining, 0);
    synth_ratelimit_key(rl, "key_a", &d);
    assert_int_equal(d.allowed, 0);
    /* over 10 s at most 100 more pass, whatever the request pattern (here every 10 ms) */
    int passed = 0;
    for (int i = 0; i < 1000; i++) {
        fake_now += 10 * MS;
        synth_ratelimit_key(rl, "key_a", &d);
        passed += d.allowed;
    }
    assert_int_equal(passed, 100);
    /* another key has its own full bucket */
    synth_ratelimit_key(rl, "key_b", &d);
    assert_int_equal(d.allowed, 1);
    assert_int_equal(d.remaining, 19);
    /* after a long idle period the bucket is full again, not fuller */
    fake_now += 3600 * SEC;
    for (int i = 0; i < 21; i++)
        synth_ratelimit_key(rl, "key_a", &d);
    assert_int_equal(d.allowed, 0);
    synth_ratelimit_free(rl);
}

/* A slow rate: 0.5/s, burst 1: Retry-After is 2 s, window 2 s. */
static void test_slow_rate(void **state)
{
    (void)state;
    fake_now = 5 * SEC;
    synth_ratelimit *rl = make(0.5, 1);
    synth_rl_decision d;
    synth_ratelimit_key(rl, "k", &d);
    assert_int_equal(d.allowed, 1);
    assert_int_equal(d.remaining, 0);
    assert_int_equal(d.reset_s, 2);
    assert_int_equal(d.window_s, 2);
    fake_now += 500 * MS;
    synth_ratelimit_key(rl, "k", &d);
    assert_int_equal(d.allowed, 0);
    assert_int_equal(d.retry_after_s, 2);   /* 1.5 s rounded up */
    assert_int_equal(d.reset_s, 2);
    fake_now += 1500 * MS;
    synth_ratelimit_key(rl, "k", &d);
    assert_int_equal(d.allowed, 1);
    synth_ratelimit_free(rl);
}

/* 10 failures per minute per IP: check only looks; the 11th failure is refused; one failure
 * comes back every 6 s. */
static void test_auth_failures(void **state)
{
    (void)state;
    fake_now = 10 * SEC;
    synth_ratelimit *rl = make(10, 20);
    synth_rl_decision d;
    for (int i = 0; i < 10; i++) {
        synth_ratelimit_auth_check(rl, "192.0.2.7", &d);
        assert_int_equal(d.allowed, 1);
        assert_int_equal(d.remaining, 10 - i);
        synth_ratelimit_auth_failed(rl, "192.0.2.7", &d);
        assert_int_equal(d.allowed, 1);
        assert_int_equal(d.limit, 10);
        assert_int_equal(d.window_s, 60);
    }
    synth_ratelimit_auth_check(rl, "192.0.2.7", &d);
    assert_int_equal(d.allowed, 0);
    assert_int_equal(d.retry_after_s, 6);
    synth_ratelimit_auth_check(rl, "192.0.2.7", &d);   /* looking does not consume */
    assert_int_equal(d.retry_after_s, 6);
    synth_ratelimit_auth_failed(rl, "192.0.2.7", &d);
    assert_int_equal(d.allowed, 0);
    /* other IPs (v4 and v6) are independent */
    synth_ratelimit_auth_check(rl, "2001:db8::1", &d);
    assert_int_equal(d.allowed, 1);
    synth_ratelimit_auth_check(rl, "192.0.2.8", &d);
    assert_int_equal(d.allowed, 1);
    /* and so are key buckets */
    synth_ratelimit_key(rl, "192.0.2.7", &d);
    assert_int_equal(d.allowed, 1);
    fake_now += 6 * SEC;
    synth_ratelimit_auth_check(rl, "192.0.2.7", &d);
    assert_int_equal(d.allowed, 1);
    assert_int_equal(d.remaining, 1);
    synth_ratelimit_free(rl);
}

/* A table of 16 slots survives 10,000 distinct IPs (memory bounded), and a key that is in the
 * middle of a burst keeps its state while idle entries are recycled around it. */
static void test_bounded_table(void **state)
{
    (void)state;
    fake_now = 50 * SEC;
    synth_ratelimit_config cfg;
    synth_ratelimit_config_init(&cfg);
    cfg.capacity = 16;
    cfg.clock = fake_clock;
    synth_ratelimit *rl = NULL;
    synth_err err;
    assert_int_equal(synth_ratelimit_new(&cfg, &rl, &err), 0);
    synth_rl_decision d;
    for (int i = 0; i < 20; i++)
        synth_ratelimit_key(rl, "busy", &d);
    assert_int_equal(d.remaining, 0);
    char ip[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(ip, sizeof ip, "10.0.%d.%d", i / 256, i % 256);
        synth_ratelimit_key(rl, ip, &d);
        assert_int_equal(d.allowed, 1);
        fake_now += 1 * SEC;   /* each one is full again a few seconds later */
    }
    synth_ratelimit_free(rl);
}

static void test_bad_config(void **state)
{
    (void)state;
    synth_ratelimit_config cfg;
    synth_ratelimit *rl = (synth_ratelimit *)1;
    synth_err err;
    synth_ratelimit_config_init(&cfg);
    cfg.rate = 0;
    assert_int_equal(synth_ratelimit_new(&cfg, &rl, &err), SYNTH_USAGE);
    assert_null(rl);
    synth_ratelimit_config_init(&cfg);
    cfg.rate = -1;
    assert_int_equal(synth_ratelimit_new(&cfg, &rl, &err), SYNTH_USAGE);
    synth_ratelimit_config_init(&cfg);
    cfg.burst = 0;
    assert_int_equal(synth_ratelimit_new(&cfg, &rl, &err), SYNTH_USAGE);
    synth_ratelimit_config_init(&cfg);
    cfg.capacity = 2;
    assert_int_equal(synth_ratelimit_new(&cfg, &rl, &err), SYNTH_USAGE);
    synth_ratelimit_free(NULL);
}

typedef struct {
    synth_ratelimit *rl;
    int allowed;
} burst_arg;

static void *hammer(void *p)
{
    burst_arg *a = p;
    synth_rl_decision d;
    for (int i = 0; i < 5000; i++) {
        synth_ratelimit_key(a->rl, "shared", &d);
        a->allowed += d.allowed;
    }
    return NULL;
}

/* 4 threads x 5000 requests on the real clock at rate 10, burst 20: the number admitted is at most
 * burst + rate x elapsed (+1 for rounding). */
static void test_concurrent_burst(void **state)
{
    (void)state;
    synth_ratelimit_config cfg;
    synth_ratelimit_config_init(&cfg);
    synth_ratelimit *rl = NULL;
    synth_err err;
    assert_int_equal(synth_ratelimit_new(&cfg, &rl, &err), 0);
    uint64_t t0 = synth_clock_monotonic(NULL);
    pthread_t t[4];
    burst_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].rl = rl;
        args[i].allowed = 0;
        assert_int_equal(pthread_create(&t[i], NULL, hammer, &args[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        total += args[i].allowed;
    }
    double elapsed = (double)(synth_clock_monotonic(NULL) - t0) / 1e9;
    assert_true(total >= 20);
    assert_true(total <= 20 + (int)(elapsed * 10) + 1);
    assert_int_equal(synth_ratelimit_denied_total(rl), (uint64_t)(20000 - total));
    synth_ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),       cmocka_unit_test(test_burst_then_rate),
        cmocka_unit_test(test_slow_rate),      cmocka_unit_test(test_auth_failures),
        cmocka_unit_test(test_bounded_table),  cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_concurrent_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
