/* test_ptest_scrape.c - reading process metrics out of Prometheus text, and the blocking
 * GET against a closed port (fails, does not hang). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ptest/scrape.h"

static void test_metric_table(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;            /* 0: strlen */
        const char *name;
        int rc;
        double want;
    } cases[] = {
        {"process_cpu_seconds_total 1.25\n", 0, "process_cpu_seconds_total", 0, 1.25},
        {"# HELP x y\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 3\n", 0,
         "process_cpu_seconds_total", 0, 3},
        {"process_cpu_seconds_total_extra 9\nprocess_cpu_seconds_total\t2e3\n", 0, "process_cpu_seconds_total", 0, 2000},
        {"process_resident_memory_bytes{pid=\"1\"} 5\n", 0, "process_resident_memory_bytes", -1, 0},
        {"process_resident_memory_bytes 1048576", 0, "process_resident_memory_bytes", 0, 1048576},
        {"process_resident_memory_bytes NaN\n", 0, "process_resident_memory_bytes", -1, 0},
        {"process_resident_memory_bytes +Inf\n", 0, "process_resident_memory_bytes", -1, 0},
        {"process_resident_memory_bytes \n", 0, "process_resident_memory_bytes", -1, 0},
        {"", 0, "process_resident_memory_bytes", -1, 0},
        {"x 1\n\0\nprocess_cpu_seconds_total 7\n", 34, "process_cpu_seconds_total", 0, 7},
        {"x 1\0process_cpu_seconds_total 7\n", 31, "process_cpu_seconds_total", -1, 0}, /* NUL mid-line */
        {"process_cpu_seconds_total 7\n", 20, "process_cpu_seconds_total", -1, 0}, /* cut short */
        {"process_cpu_seconds_total 123456789012345678901234567890123456789012345678901234567890123456789 \n", 0,
         "process_cpu_seconds_total", -1, 0}, /* too long to be read whole: not truncated */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double v = -1;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        int rc = scrape_metric(cases[i].text, len, cases[i].name, &v);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d", i, rc);
        if (rc == 0 && (v < cases[i].want * 0.999999 || v > cases[i].want * 1.000001))
            fail_msg("case %zu: %g", i, v);
    }
}

static void test_get_refused(void **state)
{
    (void)state;
    /* Port 1 on localhost: refused at once (or timed out within the limit). */
    scrape_target t = {"127.0.0.1", 1, "127.0.0.1:1", "", 500};
    buf b = BUF_INIT;
    assert_int_equal(scrape_get(&t, "/metrics", &b), -1);
    buf_free(&b);
    scrape_state s;
    scrape_before(&s, &t);
    assert_false(s.have_before);
    assert_null(s.config);
    scrape_sampler_start(&s); /* no-op without metrics */
    assert_false(s.running);
    scrape_after(&s);
    assert_false(s.have_after);
    scrape_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_table),
        cmocka_unit_test(test_get_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
