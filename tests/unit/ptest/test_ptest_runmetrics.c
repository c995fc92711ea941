/* test_ptest_runmetrics.c - the live metrics of `ptest run --metrics-listen`: bucket bounds
 * from the plan's thresholds, counters moved by collected seconds, the planned rate of open
 * stages shared by weight, and the exposition's lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "ptest/plan/plan.h"
#include "ptest/run/runmetrics.h"

#define SEC UINT64_C(1000000000)

static const char yaml[] = "target: http://127.0.0.1:8080\n"
                           "scenarios:\n"
                           "  - model: open\n"
                           "    start_delay: 1s\n"
                           "    stages: [{rate: 100/s, duration: 2s}, {rate: 40/s, duration: 2s}]\n"
                           "    requests: [{label: a, path: /a, weight: 3}, {label: b, path: /b}]\n"
                           "  - {users: 2, hold_for: 5s, requests: [{label: c, path: /c}]}\n"
                           "thresholds:\n"
                           "  a: [\"p95 < 30ms\", \"error_rate < 1%\", \"p99: +10%\"]\n"
                           "  \"*\": [\"mean < 1.5s for 2s\"]\n";

static void test_planned_rate(void **state)
{
    (void)state;
    plan p;
    char err[512];
    assert_int_equal(plan_load_string(&p, "t.yaml", yaml, strlen(yaml), err, sizeof(err)), 0);
    assert_true(runmetrics_planned_rate(&p, 0, 3, 0) == 0);            /* before the start delay */
    assert_true(runmetrics_planned_rate(&p, 0, 3, 1 * SEC) == 75);     /* 3/4 of 100/s */
    assert_true(runmetrics_planned_rate(&p, 1, 3, 2 * SEC) == 25);     /* 1/4 */
    assert_true(runmetrics_planned_rate(&p, 3, 3, 3 * SEC + 1) == 40); /* every label: the stage */
    assert_true(runmetrics_planned_rate(&p, 0, 3, 5 * SEC) == 0);      /* after the stages */
    assert_true(runmetrics_planned_rate(&p, 2, 3, 2 * SEC) == 0);      /* closed only */
    assert_true(runmetrics_has_open(&p, 0, 3) && runmetrics_has_open(&p, 3, 3));
    assert_false(runmetrics_has_open(&p, 2, 3));
    plan_fini(&p);

    /* ramp: linear: the rate goes from the previous stage's (the first: start_rate). */
    static const char lin[] = "target: http://127.0.0.1:8080\n"
                              "scenarios:\n"
                              "  - model: open\n"
                              "    ramp: linear\n"
                              "    start_rate: 20/s\n"
                              "    stages: [{rate: 100/s, duration: 2s}, {rate: 40/s, duration: 2s}]\n"
                              "    requests: [{path: /a}]\n";
    assert_int_equal(plan_load_string(&p, "l.yaml", lin, strlen(lin), err, sizeof(err)), 0);
    assert_true(fabs(runmetrics_planned_rate(&p, 1, 1, 0) - 20) < 1e-9);
    assert_true(fabs(runmetrics_planned_rate(&p, 1, 1, 1 * SEC) - 60) < 1e-9);
    assert_true(fabs(runmetrics_planned_rate(&p, 1, 1, 3 * SEC) - 70) < 1e-9);
    plan_fini(&p);
}

static void test_render(void **state)
{
    (void)state;
    plan p;
    char err[512];
    assert_int_equal(plan_load_string(&p, "t.yaml", yaml, strlen(yaml), err, sizeof(err)), 0);
    const char *labels[] = {"a", "b", "c"};
    hist *lat[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &lat[i]), 0);
    runmetrics m;
    assert_int_equal(runmetrics_init(&m, &p, labels, 3, (const hist *const *)lat), 0);
    /* Bounds: the ladder (18) and the plan's latency values 30 ms and 1.5 s. */
    assert_int_equal(m.n_le, 20);
    stats_interval iv;
    assert_int_equal(stats_interval_init(&iv, 3), 0);
    iv.labels[0].count = 10;
    iv.labels[0].errors = 2;
    iv.labels[0].by_kind[STATS_ERR_STATUS] = 2;
    iv.total.count = 10;
    iv.total.errors = 2;
    iv.total.by_kind[STATS_ERR_STATUS] = 2;
    for (int i = 0; i < 10; i++) {
        hist_record(lat[0], 20000); /* 20 ms */
        hist_record(lat[3], 20000);
    }
    runmetrics_second(&m, 0, &iv);
    runmetrics_second(&m, 1, &iv);
    uint32_t inflight[4] = {3, 0, 1, 4};
    buf b = BUF_INIT;
    assert_int_equal(runmetrics_render(&m, 1 * SEC + SEC / 2, inflight, &b), 0);
    static const char *const want[] = {
        "# TYPE ptest_requests_total counter\n",
        "\nptest_requests_total{label=\"a\"} 20\n",
        "\nptest_requests_total{label=\"(total)\"} 20\n",
        "\nptest_errors_total{label=\"a\",kind=\"status\"} 4\n",
        "\nptest_errors_total{label=\"c\",kind=\"timeout\"} 0\n",
        "\nptest_inflight_requests{label=\"a\"} 3\n",
        "\nptest_inflight_requests{label=\"(total)\"} 4\n",
        "\nptest_requests_per_second{label=\"a\"} 10\n",
        "\nptest_planned_requests_per_second{label=\"a\"} 75\n",
        "\nptest_planned_requests_per_second{label=\"(total)\"} 100\n",
        "# TYPE ptest_request_duration_seconds histogram\n",
        "\nptest_request_duration_seconds_bucket{label=\"a\",le=\"0.01\"} 0\n",
        "\nptest_request_duration_seconds_bucket{label=\"a\",le=\"0.025\"} 10\n",
        "\nptest_request_duration_seconds_bucket{label=\"a\",le=\"0.03\"} 10\n",
        "\nptest_request_duration_seconds_bucket{label=\"a\",le=\"1.5\"} 10\n",
        "\nptest_request_duration_seconds_count{label=\"a\"} 10\n",
        "\nptest_request_duration_seconds_count{label=\"b\"} 0\n",
        "\nptest_run_elapsed_seconds 1.500\n",
        "\nptest_run_planned_seconds 5.000\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(b.data, want[i]))
            fail_msg("missing %s in:\n%s", want[i], b.data);
    /* No planned rate for a label with closed load only. */
    assert_null(strstr(b.data, "ptest_planned_requests_per_second{label=\"c\"}"));
    buf_fini(&b);
    stats_interval_fini(&iv);
    runmetrics_fini(&m);
    for (int i = 0; i < 4; i++)
        hist_destroy(lat[i]);
    plan_fini(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_planned_rate),
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
