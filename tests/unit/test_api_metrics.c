/* test_api_metrics.c -- unit tests for api/metrics.c: the rendered Prometheus text is parsed back
 * and checked line by line (HELP/TYPE before samples, well-formed sample lines, no duplicate
 * series), counters by route/method/status with bounded labels, cumulative histogram buckets with
 * +Inf, _sum and _count, job gauges and the collect hook, label escaping, exact totals under
 * concurrent updates, and a clean NOMEM on allocation failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "metrics.h"

/* The value of the sample whose series text (name plus labels) is exactly `series`, or -1 when it
 * is absent. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (end == NULL)
            end = line + strlen(line);
        if (line[0] != '#' && (size_t)(end - line) > n && strncmp(line, series, n) == 0 &&
            line[n] == ' ')
            return strtod(line + n + 1, NULL);
        line = *end ? end + 1 : end;
    }
    return -1;
}

static char *render(synth_metrics *m)
{
    synth_err err;
    size_t len = 0;
    char *text = synth_metrics_render(m, &len, &err);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    assert_true(len > 0 && text[len - 1] == '\n');
    return text;
}

static int is_name_char(int c, int first)
{
    return isalpha(c) || c == '_' || c == ':' || (!first && isdigit(c));
}

/* Checks the whole exposition: every line is a HELP, a TYPE or a sample; a family's HELP and TYPE
 * come once and before its samples; sample names belong to the family last typed (histograms:
 * _bucket/_sum/_count); label values are quoted; values parse; no series appears twice.  Returns
 * the number of sample lines. */
static int check_format(const char *text)
{
    char family[128] = "", type[32] = "";
    static char seen[2048][160];
    int n_seen = 0, samples = 0;
    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        assert_non_null(end);
        char buf[512];
        size_t len = (size_t)(end - line);
        assert_true(len > 0 && len < sizeof buf);
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (strncmp(buf, "# HELP ", 7) == 0) {
            char name[128];
            assert_int_equal(sscanf(buf + 7, "%127s", name), 1);
            assert_string_not_equal(name, family); /* once per family */
            snprintf(family, sizeof family, "%s", name);
            type[0] = '\0';
        } else if (strncmp(buf, "# TYPE ", 7) == 0) {
            char name[128], t[32];
            assert_int_equal(sscanf(buf + 7, "%127s %31s", name, t), 2);
            assert_string_equal(name, family); /* TYPE right after its HELP */
            assert_true(strcmp(t, "counter") == 0 || strcmp(t, "gauge") == 0 ||
                        strcmp(t, "histogram") == 0);
            snprintf(type, sizeof type, "%s", t);
        } else {
            assert_true(buf[0] != '#');
            assert_true(type[0] != '\0'); /* a sample after its family's TYPE */
            size_t i = 0;
            assert_true(is_name_char((unsigned char)buf[0], 1));
            while (is_name_char((unsigned char)buf[i], 0))
                i++;
            char name[128];
            memcpy(name, buf, i);
            name[i] = '\0';
            if (strcmp(type, "histogram") == 0) {
                size_t fl = strlen(family);
                assert_int_equal(strncmp(name, family, fl), 0);
                const char *suf = name + fl;
                assert_true(strcmp(suf, "_bucket") == 0 || strcmp(suf, "_sum") == 0 ||
                            strcmp(suf, "_count") == 0);
            } else {
                assert_string_equal(name, family);
            }
            if (buf[i] == '{') {
                char *close = strstr(buf + i, "} ");
                assert_non_null(close);
                /* label pairs: name="value", ... */
                for (char *p = buf + i + 1; p < close;) {
                    assert_true(is_name_char((unsigned char)*p, 1));
                    while (is_name_char((unsigned char)*p, 0))
                        p++;
                    assert_int_equal(p[0], '=');
                    assert_int_equal(p[1], '"');
                    p += 2;
                    while (*p != '"') {
                        assert_true(*p != '\0' && *p != '\n');
                        p += (*p == '\\') ? 2 : 1;
                    }
                    p++;
                    assert_true(*p == ',' || *p == '}');
                    if (*p == ',')
                        p++;
                }
                i = (size_t)(close - buf) + 1;
            }
            assert_int_equal(buf[i], ' ');
            char *num_end;
            double v = strtod(buf + i + 1, &num_end);
            assert_true(*num_end == '\0');
            assert_false(isnan(v));
            /* no duplicate series */
            char series[160];
            snprintf(series, sizeof series, "%.*s", (int)i, buf);
            for (int k = 0; k < n_seen; k++)
                assert_string_not_equal(seen[k], series);
            assert_true(n_seen < 2048);
            snprintf(seen[n_seen++], sizeof seen[0], "%s", series);
            samples++;
        }
        line = end + 1;
    }
    return samples;
}

static void test_empty_registry(void **state)
{
    (void)state;
    synth_err err;
    synth_metrics *m = synth_metrics_new(&err);
    assert_non_null(m);
    char *text = render(m);
    check_format(text);
    const char *families[] = {"synth_http_requests_total counter",
                              "synth_http_request_duration_seconds histogram", "synth_jobs gauge",
                              "synth_rows_generated_total counter", "synth_rate_limited_total counter",
                              "synth_auth_failures_total counter", "synth_uptime_seconds gauge"};
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        char want[128];
        snprintf(want, sizeof want, "# TYPE %s\n", families[i]);
        assert_non_null(strstr(text, want));
    }
    assert_true(sample(text, "synth_jobs{state=\"queued\"}") == 0);
    assert_true(sample(text, "synth_jobs{state=\"cancelled\"}") == 0);
    assert_true(sample(text, "synth_rows_generated_total") == 0);
    assert_true(sample(text, "synth_rate_limited_total") == 0);
    assert_true(sample(text, "synth_uptime_seconds") >= 0);
    assert_null(strstr(text, "synth_http_requests_total{"));
    synth_free(text);
    synth_metrics_free(m);
    synth_metrics_free(NULL);
}

static void test_request_counters(void **state)
{
    (void)state;
    synth_metrics *m = synth_metrics_new(NULL);
    assert_non_null(m);
    for (int i = 0; i < 3; i++)
        synth_metrics_observe_request(m, "/healthz", "GET", 200, 0.0001);
    synth_metrics_observe_request(m, "/v1/datasets", "POST", 201, 0.02);
    synth_metrics_observe_request(m, "/v1/datasets", "POST", 413, 0.001);
    synth_metrics_observe_request(m, "/v1/datasets", "BREW", 418, 0.001); /* OTHER, 4xx */
    synth_metrics_observe_request(m, "/v1/datasets", NULL, 999, 0.001);   /* OTHER, other */
    synth_metrics_observe_request(m, NULL, "GET", 404, 0.001);            /* route other */
    synth_metrics_observe_request(m, "", "GET", 404, 0.001);
    synth_metrics_add_rows(m, 1000);
    synth_metrics_add_rows(m, 234);
    synth_metrics_inc_rate_limited(m);
    synth_metrics_inc_rate_limited(m);
    synth_metrics_inc_auth_failures(m);

    assert_int_equal(synth_metrics_requests(m, "/healthz", "GET", 200), 3);
    assert_int_equal(synth_metrics_requests(m, "/healthz", "GET", 404), 0);
    assert_int_equal(synth_metrics_requests(m, "/nope", "GET", 200), 0);
    assert_int_equal(synth_metrics_rows(m), 1234);
    assert_int_equal(synth_metrics_rate_limited(m), 2);

    char *text = render(m);
    int samples = check_format(text);
    assert_true(sample(text, "synth_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}") ==
                3);
    assert_true(sample(text, "synth_http_requests_total{route=\"/v1/datasets\",method=\"POST\",status=\"201\"}") ==
                1);
    assert_true(sample(text, "synth_http_requests_total{route=\"/v1/datasets\",method=\"POST\",status=\"413\"}") ==
                1);
    assert_true(sample(text, "synth_http_requests_total{route=\"/v1/datasets\",method=\"OTHER\",status=\"4xx\"}") ==
                1);
    assert_true(sample(text, "synth_http_requests_total{route=\"/v1/datasets\",method=\"OTHER\",status=\"other\"}") ==
                1);
    assert_true(sample(text, "synth_http_requests_total{route=\"other\",method=\"GET\",status=\"404\"}") ==
                2);
    assert_true(sample(text, "synth_rows_generated_total") == 1234);
    assert_true(sample(text, "synth_rate_limited_total") == 2);
    assert_true(sample(text, "synth_auth_failures_total") == 1);
    /* 6 request series + 3 routes x (16 buckets + sum + count) + 5 jobs + rows + 429 + 401 + uptime */
    assert_int_equal(samples, 6 + 3 * 18 + 5 + 4);
    synth_free(text);
    synth_metrics_free(m);
}

static void test_histogram(void **state)
{
    (void)state;
    synth_metrics *m = synth_metrics_new(NULL);
    const double lat[] = {0.0001, 0.0005, 0.003, 0.2, 0.25, 100.0, -1.0, NAN};
    double sum = 0;
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++) {
        synth_metrics_observe_request(m, "/v1/generate", "POST", 200, lat[i]);
        sum += lat[i] > 0 ? lat[i] : 0;
    }
    char *text = render(m);
    check_format(text);
    const char *p = "synth_http_request_duration_seconds";
    char series[256];
    const double bounds[] = SYNTH_METRICS_BUCKETS;
    /* cumulative: le is inclusive (0.0005 and 0.25 fall in their own bucket), -1 and NaN count as 0 */
    const double want[SYNTH_METRICS_N_BUCKETS] = {4, 4, 4, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7};
    double prev = 0;
    for (int b = 0; b < SYNTH_METRICS_N_BUCKETS; b++) {
        snprintf(series, sizeof series, "%s_bucket{route=\"/v1/generate\",le=\"%g\"}", p, bounds[b]);
        double v = sample(text, series);
        assert_true(v == want[b]);
        assert_true(v >= prev);
        prev = v;
    }
    snprintf(series, sizeof series, "%s_bucket{route=\"/v1/generate\",le=\"+Inf\"}", p);
    assert_true(sample(text, series) == 8);
    snprintf(series, sizeof series, "%s_count{route=\"/v1/generate\"}", p);
    assert_true(sample(text, series) == 8);
    snprintf(series, sizeof series, "%s_sum{route=\"/v1/generate\"}", p);
    assert_true(fabs(sample(text, series) - sum) < 1e-6);
    /* buckets appear in increasing le order, +Inf last */
    const char *first = strstr(text, "le=\"0.0005\"");
    const char *inf = strstr(text, "le=\"+Inf\"");
    const char *thirty = strstr(text, "le=\"30\"");
    assert_true(first != NULL && thirty != NULL && inf != NULL && first < thirty && thirty < inf);
    synth_free(text);
    synth_metrics_free(m);
}

static void test_bounded_routes(void **state)
{
    (void)state;
    synth_metrics *m = synth_metrics_new(NULL);
    char route[256];
    for (int i = 0; i < SYNTH_METRICS_MAX_ROUTES + 10; i++) {
        snprintf(route, sizeof route, "/r%d", i);
        synth_metrics_observe_request(m, route, "GET", 200, 0.001);
    }
    memset(route, 'a', sizeof route - 1);
    route[sizeof route - 1] = '\0';
    synth_metrics_observe_request(m, route, "GET", 200, 0.001); /* too long -> other */
    for (int i = 0; i < SYNTH_METRICS_MAX_ROUTES; i++) {
        snprintf(route, sizeof route, "/r%d", i);
        assert_int_equal(synth_metrics_requests(m, route, "GET", 200), 1);
    }
    assert_int_equal(synth_metrics_requests(m, "other", "GET", 200), 11);
    char *text = render(m);
    int samples = check_format(text);
    assert_true(sample(text, "synth_http_requests_total{route=\"other\",method=\"GET\",status=\"200\"}") ==
                11);
    snprintf(route, sizeof route, "route=\"/r%d\"", SYNTH_METRICS_MAX_ROUTES);
    assert_null(strstr(text, route));
    assert_int_equal(samples, (SYNTH_METRICS_MAX_ROUTES + 1) * 19 + 9);
    synth_free(text);
    synth_metrics_free(m);
}

static void test_label_escaping(void **state)
{
    (void)state;
    synth_metrics *m = synth_metrics_new(NULL);
    synth_metrics_observe_request(m, "/a\"b\\c\nd", "GET", 200, 0.001);
    char *text = render(m);
    check_format(text);
    assert_true(sample(text, "synth_http_requests_total{route=\"/a\\\"b\\\\c\\nd\",method=\"GET\",status=\"200\"}") ==
                1);
    synth_free(text);
    synth_metrics_free(m);
}

typedef struct collect_state {
    int calls;
} collect_state;

static void collect(synth_metrics *m, void *user)
{
    collect_state *cs = user;
    cs->calls++;
    synth_metrics_jobs_set(m, SYNTH_METRICS_JOB_QUEUED, 7);
    synth_metrics_jobs_set(m, SYNTH_METRICS_JOB_SUCCEEDED, 40 + cs->calls);
}

static void test_jobs_and_collector(void **state)
{
    (void)state;
    synth_metrics *m = synth_metrics_new(NULL);
    synth_metrics_jobs_add(m, SYNTH_METRICS_JOB_RUNNING, 3);
    synth_metrics_jobs_add(m, SYNTH_METRICS_JOB_RUNNING, -1);
    synth_metrics_jobs_add(m, (synth_metrics_job_state)99, 5); /* ignored */
    assert_int_equal(synth_metrics_jobs(m, SYNTH_METRICS_JOB_RUNNING), 2);
    assert_int_equal(synth_metrics_job_state_from_name("failed"), SYNTH_METRICS_JOB_FAILED);
    assert_int_equal(synth_metrics_job_state_from_name("cancelled"), SYNTH_METRICS_JOB_CANCELLED);
    assert_int_equal(synth_metrics_job_state_from_name("done"), -1);
    assert_int_equal(synth_metrics_job_state_from_name(NULL), -1);
    collect_state cs = {0};
    synth_metrics_set_collector(m, collect, &cs);
    char *text = render(m);
    assert_int_equal(cs.calls, 1);
    assert_true(sample(text, "synth_jobs{state=\"queued\"}") == 7);
    assert_true(sample(text, "synth_jobs{state=\"running\"}") == 2);
    assert_true(sample(text, "synth_jobs{state=\"succeeded\"}") == 41);
    assert_true(sample(text, "synth_jobs{state=\"failed\"}") == 0);
    synth_free(text);
    text = render(m);
    assert_int_equal(cs.calls, 2);
    assert_true(sample(text, "synth_jobs{state=\"succeeded\"}") == 42);
    synth_free(text);
    synth_metrics_set_collector(m, NULL, NULL);
    text = render(m);
    assert_int_equal(cs.calls, 2);
    synth_free(text);
    synth_metrics_free(m);
}

#define THREADS 4
#define PER_THREAD 50000

static void *hammer(void *arg)
{
    synth_metrics *m = arg;
    char route[32];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(route, sizeof route, "/t%d", i % 8); /* new routes raced into existence */
        synth_metrics_observe_request(m, route, i % 2 ? "GET" : "POST", 200, 0.002);
        synth_metrics_add_rows(m, 2);
        if (i % 100 == 0) {
            synth_err err;
            char *t = synth_metrics_render(m, NULL, &err); /* renders race with updates */
            synth_free(t);
        }
    }
    return NULL;
}

static void test_concurrent_updates(void **state)
{
    (void)state;
    synth_metrics *m = synth_metrics_new(NULL);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hammer, m), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    uint64_t total = 0;
    char route[32];
    for (int r = 0; r < 8; r++) {
        snprintf(route, sizeof route, "/t%d", r);
        total += synth_metrics_requests(m, route, "GET", 200) + synth_metrics_requests(m, route, "POST", 200);
    }
    assert_int_equal(total, THREADS * PER_THREAD);
    assert_int_equal(synth_metrics_rows(m), 2 * THREADS * PER_THREAD);
    char *text = render(m);
    check_format(text);
    double count = 0;
    for (int r = 0; r < 8; r++) {
        char series[96];
        snprintf(series, sizeof series, "synth_http_request_duration_seconds_count{route=\"/t%d\"}", r);
        count += sample(text, series);
    }
    assert_true(count == THREADS * PER_THREAD);
    assert_null(strstr(text, "route=\"other\",method")); /* all 8 routes got their own slot */
    synth_free(text);
    synth_metrics_free(m);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    synth_err err;
    synth_alloc_fail_after(0, 1);
    synth_metrics *m = synth_metrics_new(&err);
    synth_alloc_fail_after(-1, 0);
    assert_null(m);
    assert_int_equal(err.code, SYNTH_NOMEM);

    m = synth_metrics_new(&err);
    assert_non_null(m);
    for (int i = 0; i < 40; i++) {
        char route[32];
        snprintf(route, sizeof route, "/x%d", i);
        synth_metrics_observe_request(m, route, "GET", 200, 0.001);
    }
    /* the first allocation, then the first growth of the buffer */
    for (long n = 0; n < 2; n++) {
        synth_err_clear(&err);
        synth_alloc_fail_after(n, 1);
        char *text = synth_metrics_render(m, NULL, &err);
        synth_alloc_fail_after(-1, 0);
        assert_null(text);
        assert_int_equal(err.code, SYNTH_NOMEM);
    }
    char *text = render(m);
    synth_free(text);
    assert_null(synth_metrics_render(NULL, NULL, &err));
    synth_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_registry),   cmocka_unit_test(test_request_counters),
        cmocka_unit_test(test_histogram),        cmocka_unit_test(test_bounded_routes),
        cmocka_unit_test(test_label_escaping),   cmocka_unit_test(test_jobs_and_collector),
        cmocka_unit_test(test_concurrent_updates), cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
