/* test_units.c - durations, rates, integers, percentages, numbers, host:port. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "units.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

static const struct dur_case {
    const char *in;
    uint64_t def; /* default unit for a bare number, 0 = none */
    int rc;
    uint64_t want;
} dur_cases[] = {
    {"250ms", 0, 0, 250 * MS},
    {"10s", 0, 0, 10 * SEC},
    {"1.5s", 0, 0, 1500 * MS},
    {"2m", 0, 0, 120 * SEC},
    {"1h", 0, 0, 3600 * SEC},
    {"500us", 0, 0, 500000},
    {"1\xC2\xB5s", 0, 0, 1000}, /* µs */
    {"100ns", 0, 0, 100},
    {"0", 0, 0, 0},
    {"0s", 0, 0, 0},
    {"007ms", 0, 0, 7 * MS},
    {"1m30s", 0, 0, 90 * SEC},
    {"1h15m", 0, 0, 4500 * SEC},
    {"1s500ms", 0, 0, 1500 * MS},
    {".5s", 0, 0, 500 * MS},
    {"0.0000000015s", 0, 0, 2}, /* 1.5 ns rounds half up */
    {"0.0000000014s", 0, 0, 1},
    {"1.123456789499s", 0, 0, 1123456789}, /* only the 10th digit rounds */
    {"1.1234567895s", 0, 0, 1123456790},
    {"0.9999999999s", 0, 0, SEC}, /* rounding carries into seconds */
    {"0.5h", 0, 0, 1800 * SEC},
    {"18446744073709551615ns", 0, 0, UINT64_MAX},
    {"18446744073s", 0, 0, 18446744073 * SEC},
    {"5124095h", 0, 0, UINT64_C(5124095) * 3600 * SEC},
    {"10", MS, 0, 10 * MS},
    {"1.5", SEC, 0, 1500 * MS},
    {"10ms", SEC, 0, 10 * MS}, /* a unit wins over the default */
    /* errors */
    {"", 0, -1, 0},
    {"10", 0, -1, 0}, /* bare number without default */
    {"-1s", 0, -1, 0},
    {"+1s", 0, -1, 0},
    {"-0s", 0, -1, 0},
    {"1.s", 0, -1, 0},
    {"1..5s", 0, -1, 0},
    {"s", 0, -1, 0},
    {"ms", 0, -1, 0},
    {".s", 0, -1, 0},
    {"1x", 0, -1, 0},
    {"10S", 0, -1, 0},
    {"1 s", 0, -1, 0},
    {" 1s", 0, -1, 0},
    {"1s ", 0, -1, 0},
    {"1s\n", 0, -1, 0},
    {"1e3s", 0, -1, 0},
    {"1sm", 0, -1, 0},
    {"1m-1s", 0, -1, 0},
    {"1m30", SEC, -1, 0},                 /* bare part after a unit */
    {"18446744073709551616ns", 0, -1, 0}, /* UINT64_MAX + 1 */
    {"99999999999999999999999s", 0, -1, 0},
    {"18446744074s", 0, -1, 0},
    {"5124096h", 0, -1, 0},
    {"18446744073709551615ns1ns", 0, -1, 0}, /* the sum overflows */
    {"18446744073709551615", SEC, -1, 0},
    {"1\xC2s", 0, -1, 0}, /* half a µ */
};

static void test_duration_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(dur_cases); i++) {
        const struct dur_case *c = &dur_cases[i];
        uint64_t v = 12345;
        int rc = units_parse_duration(c->in, c->def, &v);
        if (rc != c->rc || (rc == 0 && v != c->want))
            print_error("case %zu \"%s\": rc %d v %llu\n", i, c->in, rc, (unsigned long long)v);
        assert_int_equal(rc, c->rc);
        if (rc == 0)
            assert_true(v == c->want);
        else
            assert_true(v == 12345); /* output untouched on error */
    }
}

/* A duration embedded in a longer buffer: only the NUL ends it. */
static void test_duration_nul_inside(void **state)
{
    (void)state;
    const char s[] = "10s\0junk";
    uint64_t v = 0;
    assert_int_equal(units_parse_duration(s, 0, &v), 0);
    assert_true(v == 10 * SEC);
    assert_int_equal(units_parse_duration(NULL, 0, &v), -1);
}

static const struct rate_case {
    const char *in;
    int rc;
    double want;
} rate_cases[] = {
    {"100/s", 0, 100.0},  {"6000/m", 0, 100.0}, {"5/ms", 0, 5000.0}, {"100", 0, 100.0},
    {"0.5/s", 0, 0.5},    {"36/h", 0, 0.01},    {"1/us", 0, 1e6},    {"2/ns", 0, 2e9},
    {"1e3/s", 0, 1000.0}, {"0/s", -1, 0},       {"0", -1, 0},        {"-1/s", -1, 0},
    {"+1/s", -1, 0},      {"/s", -1, 0},        {"100/", -1, 0},     {"100/x", -1, 0},
    {"100/ s", -1, 0},    {"100 /s", -1, 0},    {"100/s/s", -1, 0},  {"100/1s", -1, 0},
    {"abc", -1, 0},       {"nan", -1, 0},       {"inf/s", -1, 0},    {"1e999/s", -1, 0},
    {"1e308/ns", -1, 0}, /* finite number, infinite rate */
    {"", -1, 0},
};

static void test_rate_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(rate_cases); i++) {
        const struct rate_case *c = &rate_cases[i];
        double v = -1;
        int rc = units_parse_rate(c->in, &v);
        if (rc != c->rc)
            print_error("case %zu \"%s\": rc %d\n", i, c->in, rc);
        assert_int_equal(rc, c->rc);
        if (rc == 0)
            assert_true(fabs(v - c->want) <= 1e-9 * c->want);
    }
}

static const struct u64_case {
    const char *in;
    int rc;
    uint64_t want;
} u64_cases[] = {
    {"0", 0, 0},
    {"42", 0, 42},
    {"007", 0, 7},
    {"18446744073709551615", 0, UINT64_MAX},
    {"18446744073709551616", -1, 0},
    {"18446744073709551620", -1, 0},
    {"99999999999999999999", -1, 0},
    {"000000000000000000000000000001", 0, 1},
    {"", -1, 0},
    {"-1", -1, 0},
    {"+1", -1, 0},
    {" 1", -1, 0},
    {"1 ", -1, 0},
    {"1a", -1, 0},
    {"0x10", -1, 0},
    {"1.0", -1, 0},
    {"1e3", -1, 0},
};

static void test_u64_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(u64_cases); i++) {
        uint64_t v = 999;
        int rc = units_parse_u64(u64_cases[i].in, &v);
        if (rc != u64_cases[i].rc)
            print_error("case %zu \"%s\"\n", i, u64_cases[i].in);
        assert_int_equal(rc, u64_cases[i].rc);
        assert_true(v == (rc == 0 ? u64_cases[i].want : 999));
    }
    uint64_t v;
    assert_int_equal(units_parse_u64(NULL, &v), -1);
}

static const struct pct_case {
    const char *in;
    int rc;
    double want;
} pct_cases[] = {
    {"1%", 0, 0.01}, {"0.5%", 0, 0.005}, {"0.01", 0, 0.01}, {"100%", 0, 1.0}, {"250%", 0, 2.5}, {"0", 0, 0.0},
    {"0%", 0, 0.0},  {"1", 0, 1.0},      {".5", 0, 0.5},    {"5", -1, 0}, /* bare number above 1: refused */
    {"1.5", -1, 0},  {"-1%", -1, 0},     {"+1%", -1, 0},    {"%", -1, 0},     {"", -1, 0},      {"1e-2", -1, 0},
    {"abc%", -1, 0}, {"1%%", -1, 0},     {"nan%", -1, 0},   {"1 %", -1, 0},   {"%1", -1, 0},
};

static void test_percent_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(pct_cases); i++) {
        double v = -7;
        int rc = units_parse_percent(pct_cases[i].in, &v);
        if (rc != pct_cases[i].rc)
            print_error("case %zu \"%s\"\n", i, pct_cases[i].in);
        assert_int_equal(rc, pct_cases[i].rc);
        if (rc == 0)
            assert_true(fabs(v - pct_cases[i].want) < 1e-12);
        else
            assert_true(v == -7);
    }
}

static const struct dbl_case {
    const char *in;
    int rc;
    double want;
} dbl_cases[] = {
    {"1.5", 0, 1.5},      {"-2", 0, -2.0},  {"+3", 0, 3.0},     {".5", 0, 0.5},    {"5.", 0, 5.0},  {"1e3", 0, 1000.0},
    {"1E-3", 0, 0.001},   {"-0", 0, 0.0},   {"1e-400", 0, 0.0}, /* underflow to zero is still a number */
    {"", -1, 0},          {".", -1, 0},     {"-", -1, 0},       {"nan", -1, 0},    {"NaN", -1, 0},  {"inf", -1, 0},
    {"-Infinity", -1, 0}, {"0x1p3", -1, 0}, {"1e999", -1, 0},   {"-1e999", -1, 0}, {"1.5x", -1, 0}, {" 1", -1, 0},
    {"1 ", -1, 0},        {"1e", -1, 0},    {"1e+", -1, 0},     {"e5", -1, 0},     {"1,5", -1, 0},  {"--1", -1, 0},
};

static void test_double_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(dbl_cases); i++) {
        double v = -7;
        int rc = units_parse_double(dbl_cases[i].in, &v);
        if (rc != dbl_cases[i].rc)
            print_error("case %zu \"%s\"\n", i, dbl_cases[i].in);
        assert_int_equal(rc, dbl_cases[i].rc);
        if (rc == 0)
            assert_true(v == dbl_cases[i].want);
    }
}

static const struct fmt_case {
    uint64_t ns;
    const char *want;
} fmt_cases[] =
    {
        {0, "0s"},
        {1, "1ns"},
        {999, "999ns"},
        {1000, "1us"},
        {1500, "1.5us"},
        {9999, "10us"},
        {812345, "812us"},
        {999499, "999us"},
        {999500, "1ms"}, /* rounding reaches the next unit */
        {1000000, "1ms"},
        {20345678, "20.3ms"},
        {20350000, "20.4ms"},
        {1250000000, "1.25s"},
        {1005000000, "1.01s"},
        {59996000000, "1m"},
        {90 * SEC, "1.5m"},
        {3600 * SEC, "1h"},
        {3723 * SEC, "1.03h"},
        {UINT64_MAX, "5124096h"},
};

static void test_format_duration_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(fmt_cases); i++) {
        char out[32];
        assert_ptr_equal(units_format_duration(fmt_cases[i].ns, out, sizeof out), out);
        if (strcmp(out, fmt_cases[i].want) != 0)
            print_error("case %zu: got %s want %s\n", i, out, fmt_cases[i].want);
        assert_string_equal(out, fmt_cases[i].want);
    }
}

static void test_format_duration_truncates(void **state)
{
    (void)state;
    char out[4] = "xyz";
    units_format_duration(1250000000, out, sizeof out);
    assert_string_equal(out, "1.2");
    char none[2] = "q";
    units_format_duration(5, none, 0); /* nothing written */
    assert_int_equal(none[0], 'q');
}

/* Formatted values parse back to within the rounding of three significant digits. */
static void test_format_parse_roundtrip(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t ns = x >> (x % 64);
        char out[32];
        uint64_t back;
        units_format_duration(ns, out, sizeof out);
        assert_int_equal(units_parse_duration(out, 0, &back), 0);
        double err = fabs((double)back - (double)ns);
        if (err > 0.006 * (double)ns + 0.5)
            print_error("%llu -> %s -> %llu\n", (unsigned long long)ns, out, (unsigned long long)back);
        assert_true(err <= 0.006 * (double)ns + 0.5);
    }
}

static const struct hp_case {
    const char *in;
    size_t hostlen;
    int rc;
    const char *host;
    uint16_t port;
} hp_cases[] = {
    {"0.0.0.0:8080", 64, 0, "0.0.0.0", 8080},
    {":8080", 64, 0, "", 8080},
    {"[::1]:443", 64, 0, "::1", 443},
    {"[fe80::1%eth0]:80", 64, 0, "fe80::1%eth0", 80},
    {"localhost:0", 64, 0, "localhost", 0},
    {"h:65535", 64, 0, "h", 65535},
    {"abcd:1", 5, 0, "abcd", 1}, /* exactly fits with its NUL */
    {"abcd:1", 4, -1, NULL, 0},  /* one byte short */
    {"h:65536", 64, -1, NULL, 0},
    {"h:99999999999999999999", 64, -1, NULL, 0},
    {"h:", 64, -1, NULL, 0},
    {"h", 64, -1, NULL, 0},
    {"", 64, -1, NULL, 0},
    {":", 64, -1, NULL, 0},
    {"::1:80", 64, -1, NULL, 0},
    {"[::1]", 64, -1, NULL, 0},
    {"[::1]80", 64, -1, NULL, 0},
    {"[]:80", 64, -1, NULL, 0},
    {"[::1:80", 64, -1, NULL, 0},
    {"h:-1", 64, -1, NULL, 0},
    {"h:+1", 64, -1, NULL, 0},
    {"h:80a", 64, -1, NULL, 0},
    {"h: 80", 64, -1, NULL, 0},
    {"a b:80", 64, -1, NULL, 0},
    {"host\x01:80", 64, -1, NULL, 0},
    {"http://h:80", 64, -1, NULL, 0},
};

static void test_hostport_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(hp_cases); i++) {
        const struct hp_case *c = &hp_cases[i];
        char host[64];
        uint16_t port = 7;
        memset(host, 'X', sizeof host);
        int rc = units_split_hostport(c->in, host, c->hostlen, &port);
        if (rc != c->rc)
            print_error("case %zu \"%s\": rc %d\n", i, c->in, rc);
        assert_int_equal(rc, c->rc);
        if (rc == 0) {
            assert_string_equal(host, c->host);
            assert_int_equal(port, c->port);
        } else {
            assert_int_equal(port, 7);
        }
        /* Never writes past hostlen. */
        for (size_t j = c->hostlen; j < sizeof host; j++)
            assert_int_equal(host[j], 'X');
    }
}

/* The one latency format of the reports. */
static void test_format_us(void **state)
{
    (void)state;
    static const struct {
        double us;
        const char *out;
    } cases[] = {
        {0, "0 us"},        {812.4, "812 us"},  {999.4, "999 us"},  {1000, "1.00 ms"},  {1234, "1.23 ms"},
        {20300, "20.3 ms"}, {250000, "250 ms"}, {999000, "999 ms"}, {1.25e6, "1.25 s"}, {NAN, "-"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[32];
        assert_string_equal(units_format_us(cases[i].us, out, sizeof out), cases[i].out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_table),
        cmocka_unit_test(test_duration_nul_inside),
        cmocka_unit_test(test_rate_table),
        cmocka_unit_test(test_u64_table),
        cmocka_unit_test(test_percent_table),
        cmocka_unit_test(test_double_table),
        cmocka_unit_test(test_format_duration_table),
        cmocka_unit_test(test_format_duration_truncates),
        cmocka_unit_test(test_format_parse_roundtrip),
        cmocka_unit_test(test_hostport_table),
        cmocka_unit_test(test_format_us),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
