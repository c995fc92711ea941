/* test_msdemo_metrics.c - bucket layout and the Prometheus exposition of msdemo. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "msdemo/metrics.h"

/* Value of the exposition line that starts with prefix (exactly up to the space). */
static double value_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    }
    fail_msg("series %s not found", series);
    return -1;
}

static void test_layout_buckets(void **state)
{
    (void)state;
    metrics_layout l;
    metrics_layout_init(&l);
    assert_int_equal(l.codes[0], 200);
    uint64_t q[] = {12000000, 12000000, 20000001, 35000000};
    int row = metrics_layout_add_row(&l, "/A", 12000000, 35000000, q, 4);
    assert_int_equal(row, 0);
    const metrics_row *r = &l.rows[0];
    assert_true(r->n_buckets >= 3 && r->n_buckets <= METRICS_MAX_BUCKETS);
    for (size_t i = 1; i < r->n_buckets; i++)
        assert_true(r->le_ns[i] > r->le_ns[i - 1]);
    /* Every extra bound is covered by a bucket at or just above it (rounded up). */
    for (size_t k = 0; k < 4; k++) {
        int found = 0;
        for (size_t i = 0; i < r->n_buckets; i++)
            if (r->le_ns[i] >= q[k] && r->le_ns[i] <= q[k] + q[k] / 50)
                found = 1;
        assert_true(found);
    }
    /* Codes cannot be added after rows exist (the cell layout is fixed). */
    assert_int_equal(metrics_layout_add_code(&l, 418), -1);
}

static void test_many_extra_bounds_fit(void **state)
{
    (void)state;
    metrics_layout l;
    metrics_layout_init(&l);
    uint64_t q[60];
    for (size_t i = 0; i < 60; i++)
        q[i] = (i + 1) * 1000000;
    int row = metrics_layout_add_row(&l, "/X", 1000000, 60000000, q, 60);
    assert_true(row >= 0);
    assert_true(l.rows[row].n_buckets <= METRICS_MAX_BUCKETS);
    assert_true(l.rows[row].le_ns[l.rows[row].n_buckets - 1] >= 60000000);
}

static void test_render_sums_workers(void **state)
{
    (void)state;
    metrics_layout l;
    metrics_layout_init(&l);
    assert_int_equal(metrics_layout_add_code(&l, 599), 0);
    assert_int_equal(metrics_layout_add_code(&l, 599), 0); /* dedup */
    metrics_layout_add_row(&l, "/A", 1000000, 10000000, NULL, 0);
    metrics_layout_add_row(&l, "other", 100000, 1000000, NULL, 0);
    metrics_worker w1, w2;
    assert_int_equal(metrics_worker_init(&w1, &l), 0);
    assert_int_equal(metrics_worker_init(&w2, &l), 0);
    metrics_observe(&w1, 0, 200, 2000000);     /* 2 ms */
    metrics_observe(&w1, 0, 200, 7000000);     /* 7 ms */
    metrics_observe(&w2, 0, 599, 20000000000); /* 20 s: beyond every bucket */
    metrics_observe(&w2, 1, 404, 1500);
    metrics_inflight_add(&w1, 3);
    metrics_inflight_add(&w2, -1);
    metrics_conn_add(&w1, 2);
    metrics_rejected_inc(&w2);

    metrics_worker *ws[] = {&w1, &w2};
    metrics_process proc = {1700000000.5, true, "v1"};
    buf out = BUF_INIT;
    metrics_render(&l, ws, 2, &proc, &out);
    assert_true(buf_ok(&out));
    const char *t = out.data;
    assert_non_null(strstr(t, "# TYPE msdemo_requests_total counter\n"));
    assert_non_null(strstr(t, "# TYPE msdemo_request_duration_seconds histogram\n"));
    assert_true(value_of(t, "msdemo_requests_total{path=\"/A\",code=\"200\"}") == 2);
    assert_true(value_of(t, "msdemo_requests_total{path=\"/A\",code=\"599\"}") == 1);
    assert_true(value_of(t, "msdemo_requests_total{path=\"other\",code=\"404\"}") == 1);
    assert_null(strstr(t, "path=\"other\",code=\"500\"")); /* zero counts of non-200 codes are omitted */
    assert_true(value_of(t, "msdemo_request_duration_seconds_count{path=\"/A\"}") == 3);
    assert_true(value_of(t, "msdemo_request_duration_seconds_bucket{path=\"/A\",le=\"+Inf\"}") == 3);
    assert_true(value_of(t, "msdemo_request_duration_seconds_bucket{path=\"/A\",le=\"0.0025\"}") == 1);
    assert_true(value_of(t, "msdemo_request_duration_seconds_bucket{path=\"/A\",le=\"0.01\"}") == 2);
    double sum = value_of(t, "msdemo_request_duration_seconds_sum{path=\"/A\"}");
    assert_true(sum > 20.0089 && sum < 20.0091);
    assert_true(value_of(t, "msdemo_request_duration_seconds_sum{path=\"other\"}") == 0.0000015);
    assert_true(value_of(t, "msdemo_inflight_requests") == 2);
    assert_true(value_of(t, "msdemo_open_connections") == 2);
    assert_true(value_of(t, "msdemo_rejected_connections_total") == 1);
    assert_true(value_of(t, "msdemo_ready") == 1);
    assert_true(value_of(t, "msdemo_build_info{version=\"v1\"}") == 1);
    assert_true(value_of(t, "process_start_time_seconds") == 1700000000.5);
    assert_true(value_of(t, "process_resident_memory_bytes") > 0);
    assert_true(value_of(t, "process_open_fds") >= 3);

    /* Cumulative buckets never decrease. */
    double prev = -1;
    for (const char *p = strstr(t, "msdemo_request_duration_seconds_bucket{path=\"/A\""); p;
         p = strstr(p + 1, "msdemo_request_duration_seconds_bucket{path=\"/A\"")) {
        double v = strtod(strchr(p, ' ') + 1, NULL);
        assert_true(v >= prev);
        prev = v;
    }
    /* Every sample line ends with a newline and the text ends with one. */
    assert_int_equal(t[out.len - 1], '\n');
    buf_fini(&out);
    metrics_worker_fini(&w1);
    metrics_worker_fini(&w2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_buckets),
        cmocka_unit_test(test_many_extra_bounds_fit),
        cmocka_unit_test(test_render_sums_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
