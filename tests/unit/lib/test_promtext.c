/* test_promtext.c - Prometheus text helpers: family headers, label escaping, seconds,
 * bucket choice (the ladder plus extra bounds, and the cut when they do not fit), and a
 * histogram family out of an HDR histogram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hist.h"
#include "promtext.h"

#define MS UINT64_C(1000000)

static void test_text(void **state)
{
    (void)state;
    buf b = BUF_INIT;
    promtext_family(&b, "x_total", "counter", "Things.");
    promtext_label_value(&b, "a\"b\\c\nd");
    buf_putc(&b, ' ');
    promtext_seconds(&b, 250 * MS);
    buf_putc(&b, ' ');
    promtext_seconds(&b, 2000 * MS);
    buf_putc(&b, ' ');
    promtext_seconds(&b, 1000);
    assert_string_equal(b.data, "# HELP x_total Things.\n# TYPE x_total counter\na\\\"b\\\\c\\nd 0.25 2 0.000001");
    buf_fini(&b);
}

static void test_buckets(void **state)
{
    (void)state;
    uint64_t le[PROMTEXT_MAX_BUCKETS];
    size_t n = promtext_buckets(le, PROMTEXT_MAX_BUCKETS, NULL, 0);
    assert_int_equal(n, 18);
    assert_true(le[0] == MS / 10 && le[17] == 50000 * MS);
    /* Extra bounds join the ladder once, sorted; 0 and values above an hour are left out. */
    uint64_t extra[] = {30 * MS, 250 * MS, 30 * MS, 0, UINT64_C(7200) * 1000 * MS};
    n = promtext_buckets(le, PROMTEXT_MAX_BUCKETS, extra, 5);
    assert_int_equal(n, 19);
    for (size_t i = 1; i < n; i++)
        assert_true(le[i - 1] < le[i]);
    bool has30 = false;
    for (size_t i = 0; i < n; i++)
        has30 |= le[i] == 30 * MS;
    assert_true(has30);
    /* No room for the whole ladder: the extras stay, then the ladder bounds closest to them. */
    n = promtext_buckets(le, 4, extra, 2);
    assert_int_equal(n, 4);
    assert_true(le[0] == 25 * MS && le[1] == 30 * MS && le[2] == 50 * MS && le[3] == 250 * MS);
}

static void test_histogram(void **state)
{
    (void)state;
    hist *h;
    assert_int_equal(hist_create(1, UINT64_C(3600000000), 3, &h), 0);
    for (int i = 0; i < 10; i++)
        hist_record(h, 5000); /* 5 ms */
    hist_record(h, 40000);    /* 40 ms */
    uint64_t le[] = {5 * MS, 30 * MS};
    buf b = BUF_INIT;
    promtext_histogram(&b, "lat_seconds", "label=\"a\"", h, le, 2);
    assert_string_equal(b.data, "lat_seconds_bucket{label=\"a\",le=\"0.005\"} 10\n"
                                "lat_seconds_bucket{label=\"a\",le=\"0.03\"} 10\n"
                                "lat_seconds_bucket{label=\"a\",le=\"+Inf\"} 11\n"
                                "lat_seconds_sum{label=\"a\"} 0.090036\n"
                                "lat_seconds_count{label=\"a\"} 11\n");
    buf_reset(&b);
    promtext_histogram(&b, "lat_seconds", "", NULL, le, 1);
    assert_string_equal(b.data, "lat_seconds_bucket{le=\"0.005\"} 0\n"
                                "lat_seconds_bucket{le=\"+Inf\"} 0\n"
                                "lat_seconds_sum 0.000000\n"
                                "lat_seconds_count 0\n");
    buf_fini(&b);
    hist_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_histogram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
