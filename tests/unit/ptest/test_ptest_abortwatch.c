/* test_ptest_abortwatch.c - abort_on_fail thresholds judged second by second: cumulative
 * values after delay_abort_eval, "for" streaks on single seconds, "*" over labels and the
 * total, labels without requests not judged, the first failure reported once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ptest/plan/plan.h"
#include "ptest/verdict/abortwatch.h"

typedef struct fix {
    plan p;
    hist *cum[3];
    stats_interval iv;
    abortwatch w;
} fix;

static const char *const labels[] = {"a", "b"};

static void setup(fix *f, const char *thresholds)
{
    char yaml[1024], err[512];
    snprintf(yaml, sizeof(yaml),
             "target: http://127.0.0.1:8080\n"
             "scenarios: [{users: 1, hold_for: 30s, requests: [{label: a, path: /a}, {label: b, path: /b}]}]\n"
             "thresholds:\n%s",
             thresholds);
    assert_int_equal(plan_load_string(&f->p, "t.yaml", yaml, strlen(yaml), err, sizeof(err)), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &f->cum[i]), 0);
    assert_int_equal(stats_interval_init(&f->iv, 2), 0);
    assert_int_equal(abortwatch_init(&f->w, &f->p, labels, 2, err, sizeof(err)), 0);
}

static void teardown(fix *f)
{
    abortwatch_fini(&f->w);
    stats_interval_fini(&f->iv);
    for (int i = 0; i < 3; i++)
        hist_destroy(f->cum[i]);
    plan_fini(&f->p);
}

/* One second of label l: n requests of lat_us, errs of them failed. */
static bool second(fix *f, uint32_t t, size_t l, uint64_t n, uint64_t errs, uint64_t lat_us)
{
    stats_interval_reset(&f->iv);
    f->iv.labels[l].count = f->iv.total.count = n;
    f->iv.labels[l].errors = f->iv.total.errors = errs;
    for (uint64_t i = 0; i < n; i++) {
        hist_record(f->iv.labels[l].lat, lat_us);
        hist_record(f->iv.total.lat, lat_us);
        hist_record(f->cum[l], lat_us);
        hist_record(f->cum[2], lat_us);
    }
    return abortwatch_second(&f->w, t, &f->iv, (const hist *const *)f->cum);
}

static void test_cumulative_after_delay(void **state)
{
    (void)state;
    fix f;
    setup(&f, "  a: [p95 < 1s, {threshold: error_rate < 10%, abort_on_fail: true, delay_abort_eval: 3s}]\n");
    assert_int_equal(f.w.n, 1);
    assert_false(second(&f, 0, 0, 100, 50, 1000)); /* 50 %, but within the delay */
    assert_false(second(&f, 1, 0, 100, 0, 1000));
    /* Second 2 ends at 3 s: judged on the run so far, 50 of 300 = 16.7 %. */
    assert_true(second(&f, 2, 0, 100, 0, 1000));
    assert_string_equal(f.w.fired.threshold, "error_rate < 10%");
    assert_string_equal(f.w.fired.label, "a");
    assert_true(f.w.fired.at_s == 3);
    assert_string_equal(f.w.fired.measured, "16.7 %");
    assert_string_equal(f.w.fired.limit, "< 10 %");
    assert_false(second(&f, 3, 0, 100, 100, 1000)); /* reported once */
    teardown(&f);
}

static void test_for_streak(void **state)
{
    (void)state;
    fix f;
    setup(&f, "  \"*\": [{threshold: p95 < 50ms for 2s, abort_on_fail: true}]\n");
    assert_false(second(&f, 0, 1, 10, 0, 80000)); /* b slow: streak 1 (b and total) */
    assert_false(second(&f, 1, 1, 10, 0, 1000));  /* fast: reset */
    assert_false(second(&f, 2, 1, 10, 0, 80000));
    assert_false(second(&f, 3, 0, 0, 0, 0)); /* nothing finished: neither counts nor resets */
    assert_true(second(&f, 4, 1, 10, 0, 90000));
    assert_string_equal(f.w.fired.label, "b");
    assert_true(f.w.fired.at_s == 5);
    assert_string_equal(f.w.fired.limit, "< 50.0 ms for 2s");
    teardown(&f);
}

static void test_nothing_to_watch(void **state)
{
    (void)state;
    fix f;
    /* Without abort_on_fail, a relative threshold, a label without requests: no abort. */
    setup(&f, "  a: [error_rate < 1%, {threshold: \"p95: +10%\", abort_on_fail: true}]\n"
              "  b: [{threshold: error_rate < 1%, abort_on_fail: true}]\n");
    assert_int_equal(f.w.n, 1);
    assert_false(second(&f, 0, 0, 10, 10, 1000)); /* a fails, but is not watched; b has nothing */
    assert_true(second(&f, 1, 1, 10, 1, 1000));
    assert_string_equal(f.w.fired.label, "b");
    teardown(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cumulative_after_delay),
        cmocka_unit_test(test_for_streak),
        cmocka_unit_test(test_nothing_to_watch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
