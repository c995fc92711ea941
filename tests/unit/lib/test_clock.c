/* test_clock.c - unit tests for lib/core/clock.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static void test_mono_non_decreasing(void **state)
{
    (void)state;
    mono_ns prev = clock_mono_now();
    assert_true(prev > 0);
    for (int i = 0; i < 200000; i++) {
        mono_ns t = clock_mono_now();
        assert_true(t >= prev);
        prev = t;
    }
    /* It also advances: a 2 ms sleep must show up (no upper bound asserted). */
    struct timespec ts = {0, 2000000};
    mono_ns before = clock_mono_now();
    while (nanosleep(&ts, &ts) != 0) {
    }
    assert_true(clock_mono_now() - before >= 2 * CLOCK_NS_PER_MS);
}

static void test_wall_now_plausible(void **state)
{
    (void)state;
    /* After 2020-01-01 and agrees with time(2) to within a few seconds. */
    wall_ns w = clock_wall_now();
    assert_true(w > UINT64_C(1577836800) * CLOCK_NS_PER_SEC);
    time_t t = time(NULL);
    assert_true(t != (time_t)-1);
    uint64_t secs = w / CLOCK_NS_PER_SEC;
    uint64_t tt = (uint64_t)t;
    assert_true(secs + 5 >= tt && tt + 5 >= secs);
}

static const struct {
    wall_ns t;
    const char *want;
} wall_cases[] = {
    {0, "1970-01-01T00:00:00.000Z"},
    {999999, "1970-01-01T00:00:00.000Z"}, /* sub-ms truncates */
    {1000000, "1970-01-01T00:00:00.001Z"},
    {999999999, "1970-01-01T00:00:00.999Z"}, /* never rounds up */
    {UINT64_C(86399) * CLOCK_NS_PER_SEC, "1970-01-01T23:59:59.000Z"},
    {UINT64_C(86400) * CLOCK_NS_PER_SEC, "1970-01-02T00:00:00.000Z"},
    {UINT64_C(94694399) * CLOCK_NS_PER_SEC, "1972-12-31T23:59:59.000Z"},  /* leap year */
    {UINT64_C(951782400) * CLOCK_NS_PER_SEC, "2000-02-29T00:00:00.000Z"}, /* 400-year rule */
    {UINT64_C(978220799) * CLOCK_NS_PER_SEC, "2000-12-30T23:59:59.000Z"},
    {UINT64_C(978307200) * CLOCK_NS_PER_SEC, "2001-01-01T00:00:00.000Z"},
    {UINT64_C(1583020799) * CLOCK_NS_PER_SEC + 123456789, "2020-02-29T23:59:59.123Z"},
    {UINT64_C(1709164800) * CLOCK_NS_PER_SEC, "2024-02-29T00:00:00.000Z"},
    {UINT64_C(1790514453) * CLOCK_NS_PER_SEC + 123000000, "2026-09-27T13:07:33.123Z"},
    {UINT64_C(2147483647) * CLOCK_NS_PER_SEC, "2038-01-19T03:14:07.000Z"}, /* 32-bit edge */
    {UINT64_C(2147483648) * CLOCK_NS_PER_SEC, "2038-01-19T03:14:08.000Z"},
    {UINT64_C(4102444800) * CLOCK_NS_PER_SEC, "2100-01-01T00:00:00.000Z"},
    {UINT64_C(4107542399) * CLOCK_NS_PER_SEC, "2100-02-28T23:59:59.000Z"}, /* no Feb 29 */
    {UINT64_C(4107542400) * CLOCK_NS_PER_SEC, "2100-03-01T00:00:00.000Z"},
    {UINT64_MAX, "2554-07-21T23:34:33.709Z"},
};

static void test_wall_format_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(wall_cases) / sizeof(wall_cases[0]); i++) {
        char buf[CLOCK_WALL_FMT_LEN];
        memset(buf, 'x', sizeof(buf));
        char *r = clock_wall_format(wall_cases[i].t, buf, sizeof(buf));
        assert_ptr_equal(r, buf);
        assert_string_equal(buf, wall_cases[i].want);
    }
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
static void assert_wall_shape(const char *s)
{
    static const char pat[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    assert_int_equal(strlen(s), sizeof(pat) - 1);
    for (size_t i = 0; i < sizeof(pat) - 1; i++) {
        if (pat[i] == 'd')
            assert_true(isdigit((unsigned char)s[i]));
        else
            assert_int_equal(s[i], pat[i]);
    }
}

static void test_wall_format_now_shape(void **state)
{
    (void)state;
    char buf[CLOCK_WALL_FMT_LEN];
    assert_wall_shape(clock_wall_format(clock_wall_now(), buf, sizeof(buf)));
    assert_wall_shape(clock_wall_format(0, buf, sizeof(buf)));
    assert_wall_shape(clock_wall_format(UINT64_MAX, buf, sizeof(buf)));
}

/* Cross-check against gmtime_r over the range this platform's time_t can represent. */
static void test_wall_format_vs_gmtime(void **state)
{
    (void)state;
    uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
    uint64_t max_sec = sizeof(time_t) >= 8 ? UINT64_C(18446744073) : UINT64_C(2147483647);
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t sec = x % (max_sec + 1);
        uint64_t ms = (x >> 40) % 1000;
        time_t tt = (time_t)sec;
        struct tm tm;
        assert_non_null(gmtime_r(&tt, &tm));
        char want[64];
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)ms);
        char got[CLOCK_WALL_FMT_LEN];
        clock_wall_format(sec * CLOCK_NS_PER_SEC + ms * CLOCK_NS_PER_MS + 999, got, sizeof(got));
        assert_string_equal(got, want);
    }
}

static void test_wall_format_short_buffer(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        const char *want;
    } cases[] = {
        {1, ""}, {2, "2"}, {11, "2026-09-27"}, {24, "2026-09-27T13:07:33.123"}, {25, "2026-09-27T13:07:33.123Z"},
    };
    wall_ns t = UINT64_C(1790514453) * CLOCK_NS_PER_SEC + 123000000;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[CLOCK_WALL_FMT_LEN + 1];
        memset(buf, 'x', sizeof(buf));
        clock_wall_format(t, buf, cases[i].len);
        assert_string_equal(buf, cases[i].want);
        assert_int_equal(buf[cases[i].len], 'x'); /* nothing written past outlen */
    }
    /* outlen 0: the buffer is not touched at all. */
    char buf[4] = {'a', 'b', 'c', 'd'};
    assert_ptr_equal(clock_wall_format(t, buf, 0), buf);
    assert_memory_equal(buf, "abcd", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mono_non_decreasing),   cmocka_unit_test(test_wall_now_plausible),
        cmocka_unit_test(test_wall_format_table),     cmocka_unit_test(test_wall_format_now_shape),
        cmocka_unit_test(test_wall_format_vs_gmtime), cmocka_unit_test(test_wall_format_short_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
