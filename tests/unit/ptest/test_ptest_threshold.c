/* test_ptest_threshold.c - threshold expressions: the parser table (valid forms, errors with
 * their column, control bytes, out-of-range values) and the evaluation rules. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ptest/verdict/threshold.h"

typedef struct ok_case {
    const char *src;
    enum threshold_metric metric;
    double pct;
    bool relative;
    enum threshold_op op;
    double limit;
} ok_case;

static const ok_case ok_cases[] = {
    {"p95 < 250ms", THRESHOLD_PCT, 95, false, THRESHOLD_LT, 250000},
    {"p95<250ms", THRESHOLD_PCT, 95, false, THRESHOLD_LT, 250000},
    {"  p99.9 <= 1.5s  ", THRESHOLD_PCT, 99.9, false, THRESHOLD_LE, 1500000},
    {"p100 < 10us", THRESHOLD_PCT, 100, false, THRESHOLD_LT, 10},
    {"p50 > 0.5 ms", THRESHOLD_PCT, 50, false, THRESHOLD_GT, 500},
    {"mean < 20ms", THRESHOLD_MEAN, 0, false, THRESHOLD_LT, 20000},
    {"max <= 2s", THRESHOLD_MAX, 0, false, THRESHOLD_LE, 2000000},
    {"min >= 1us", THRESHOLD_MIN, 0, false, THRESHOLD_GE, 1},
    {"error_rate < 1%", THRESHOLD_ERROR_RATE, 0, false, THRESHOLD_LT, 0.01},
    {"error_rate <= 0.05", THRESHOLD_ERROR_RATE, 0, false, THRESHOLD_LE, 0.05},
    {"error_rate < 100%", THRESHOLD_ERROR_RATE, 0, false, THRESHOLD_LT, 1},
    {"rps > 100", THRESHOLD_RPS, 0, false, THRESHOLD_GT, 100},
    {"rps >= 40/s", THRESHOLD_RPS, 0, false, THRESHOLD_GE, 40},
    {"p95: +10%", THRESHOLD_PCT, 95, true, THRESHOLD_LT, 10},
    {"p95 : -5 %", THRESHOLD_PCT, 95, true, THRESHOLD_LT, -5},
    {"mean: +2.5%", THRESHOLD_MEAN, 0, true, THRESHOLD_LT, 2.5},
    {"error_rate: +50%", THRESHOLD_ERROR_RATE, 0, true, THRESHOLD_LT, 50},
    {"p95 < 250ms\t", THRESHOLD_PCT, 95, false, THRESHOLD_LT, 250000},
};

static void test_parse_ok(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        const ok_case *c = &ok_cases[i];
        threshold_expr e;
        size_t col = 99;
        char err[128] = "";
        int rc = threshold_parse(c->src, &e, &col, err, sizeof(err));
        if (rc != 0)
            fail_msg("\"%s\": %s (col %zu)", c->src, err, col);
        assert_int_equal(e.metric, c->metric);
        assert_int_equal(e.relative, c->relative);
        if (c->metric == THRESHOLD_PCT)
            assert_true(fabs(e.pct - c->pct) < 1e-9);
        if (!c->relative)
            assert_int_equal(e.op, c->op);
        if (fabs(e.limit - c->limit) > 1e-9 * fmax(1, fabs(c->limit)))
            fail_msg("\"%s\": limit %g, want %g", c->src, e.limit, c->limit);
    }
}

typedef struct bad_case {
    const char *src;
    size_t col;      /* 0-based offset of the problem */
    const char *msg; /* substring of the message */
} bad_case;

static const bad_case bad_cases[] = {
    {"", 0, "unknown metric"},
    {"p95", 3, "expected <"},
    {"p95 <", 5, "expected a number"},
    {"p95 < 250", 9, "unit"},
    {"p95 < 250 hours", 10, "unit"},
    {"p95 < 250msx", 9, "unit"},
    {"p95 < -3ms", 6, "expected a number"},
    {"p95 < 250ms and more", 12, "unexpected text"},
    {"p0 < 1ms", 1, "percentile"},
    {"p101 < 1ms", 1, "percentile"},
    {"p95.5.5 < 1ms", 5, "expected <"},
    {"latency < 1ms", 0, "unknown metric"},
    {"P95 < 1ms", 0, "unknown metric"},
    {"meanx < 1ms", 0, "unknown metric"},
    {"error_rate < 150%", 13, "at most 100%"},
    {"error_rate < 2", 13, "at most 100%"},
    {"rps: +10%", 5, "relative thresholds apply"},
    {"p95: 10%", 5, "+N%"},
    {"p95: +10", 8, "'%'"},
    {"p95: +%", 6, "expected a number"},
    {"p95 < 1e3ms", 7, "unit"},
    {"p95 < .5ms", 6, "expected a number"},
    {"p95 < 5.ms", 6, "expected a number"},
    {"p95 < 0x10ms", 7, "unit"},
    {"p95 < 1ms\n", 9, "unexpected text"},
    {"p95 <\x01 1ms", 5, "expected a number"},
    {"p95 < 99999999999999999999ms", 6, "expected a number"},
    {"p95 = 1ms", 4, "expected <"},
    {"p95 < 1ms for", 13, "for: expected a duration"},
    {"p95 < 1ms for 10", 16, "needs a unit"},
    {"p95 < 1ms for 10x", 16, "needs a unit"},
    {"p95 < 1ms for 500ms", 14, "1s to 24h"},
    {"p95 < 1ms for 25h", 14, "1s to 24h"},
    {"p95 < 1ms for 10s and", 18, "unexpected text"},
    {"p95 < 1ms for10s", 10, "unexpected text"},
    {"p95: +10% for 10s", 10, "absolute thresholds only"},
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const bad_case *c = &bad_cases[i];
        threshold_expr e;
        size_t col = 999;
        char err[128] = "";
        int rc = threshold_parse(c->src, &e, &col, err, sizeof(err));
        if (rc != THRESHOLD_ESYNTAX)
            fail_msg("\"%s\" parsed", c->src);
        if (col != c->col || !strstr(err, c->msg))
            fail_msg("\"%s\": col %zu \"%s\", want col %zu \"%s\"", c->src, col, err, c->col, c->msg);
    }
    /* NULL and a NUL inside: the parser stops at the C string's end. */
    threshold_expr e;
    char err[64];
    assert_int_equal(threshold_parse(NULL, &e, NULL, err, sizeof(err)), THRESHOLD_ESYNTAX);
    const char nul[] = "p95 < 1ms\0garbage";
    assert_int_equal(threshold_parse(nul, &e, NULL, err, sizeof(err)), 0);
    /* A tiny error buffer is still NUL-terminated. */
    char small[4];
    assert_int_equal(threshold_parse("zzz", &e, NULL, small, sizeof(small)), THRESHOLD_ESYNTAX);
    assert_int_equal(strlen(small), 3);
}

/* "for D": the duration in ns, the window count, the streak rule. */
static void test_for(void **state)
{
    (void)state;
    static const struct {
        const char *src;
        uint64_t ns;
        uint32_t windows;
    } cases[] = {
        {"p95 < 250ms for 10s", UINT64_C(10000000000), 10},       {"error_rate < 1% for 1s", UINT64_C(1000000000), 1},
        {"rps > 100/s for 1500ms", UINT64_C(1500000000), 2},      {"mean<20ms for 2m", UINT64_C(120000000000), 120},
        {"max <= 2s  for  0.5h ", UINT64_C(1800000000000), 1800}, {"p95 < 250ms", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        threshold_expr e;
        char err[96];
        size_t col = 0;
        if (threshold_parse(cases[i].src, &e, &col, err, sizeof(err)) != 0)
            fail_msg("\"%s\": %s (col %zu)", cases[i].src, err, col);
        assert_true(e.for_ns == cases[i].ns);
        assert_int_equal(threshold_for_windows(&e), cases[i].windows);
    }
    threshold_expr e;
    char err[96], out[64];
    assert_int_equal(threshold_parse("p95 < 100ms for 3s", &e, NULL, err, sizeof(err)), 0);
    threshold_format_limit(&e, out, sizeof(out));
    assert_string_equal(out, "< 100 ms for 3s");
    /* Three breaking windows in a row fail it; a good window resets, an empty one does not. */
    uint32_t streak = 0;
    assert_false(threshold_for_step(&e, 200000, false, &streak));
    assert_false(threshold_for_step(&e, 200000, false, &streak));
    assert_false(threshold_for_step(&e, 50000, false, &streak));
    assert_int_equal(streak, 0);
    assert_false(threshold_for_step(&e, 200000, false, &streak));
    assert_false(threshold_for_step(&e, NAN, true, &streak));
    assert_false(threshold_for_step(&e, 200000, false, &streak));
    assert_true(threshold_for_step(&e, 200000, false, &streak));
    assert_int_equal(streak, 3);
}

static double fake_pct(const void *ctx, double p)
{
    (void)ctx;
    return p * 1000; /* p95 = 95 ms */
}

static void test_eval(void **state)
{
    (void)state;
    threshold_values v = {
        .mean = 20000, .min = 100, .max = 300000, .error_rate = 0.02, .rps = 99.5, .pct = fake_pct, .ctx = NULL};
    static const struct {
        const char *src;
        bool pass;
    } cases[] = {
        {"p95 < 100ms", true},      {"p95 < 95ms", false},     {"p95 <= 95ms", true}, {"p99 < 99ms", false},
        {"mean < 20ms", false},     {"mean <= 20ms", true},    {"max < 1s", true},    {"min > 1ms", false},
        {"error_rate < 1%", false}, {"error_rate < 3%", true}, {"rps > 100", false},  {"rps >= 99.5", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        threshold_expr e;
        char err[64];
        assert_int_equal(threshold_parse(cases[i].src, &e, NULL, err, sizeof(err)), 0);
        if (threshold_check(&e, threshold_value(&e, &v)) != cases[i].pass)
            fail_msg("\"%s\": want %s", cases[i].src, cases[i].pass ? "pass" : "fail");
    }
    /* Nothing measured never passes. */
    threshold_expr e;
    char err[64];
    assert_int_equal(threshold_parse("p95 < 1s", &e, NULL, err, sizeof(err)), 0);
    assert_false(threshold_check(&e, NAN));
    /* Relative: +10% allows 10 % growth, -5% demands a 5 % drop. */
    assert_int_equal(threshold_parse("p95: +10%", &e, NULL, err, sizeof(err)), 0);
    assert_true(threshold_check_relative(&e, 100, 110));
    assert_false(threshold_check_relative(&e, 100, 110.5));
    assert_true(threshold_check_relative(&e, 100, 50));
    assert_true(threshold_check_relative(&e, 0, 5));
    assert_false(threshold_check_relative(&e, NAN, 5));
    assert_int_equal(threshold_parse("p95: -5%", &e, NULL, err, sizeof(err)), 0);
    assert_false(threshold_check_relative(&e, 100, 96));
    assert_true(threshold_check_relative(&e, 100, 95));
    assert_false(threshold_check_relative(&e, 0, 1));
    assert_true(threshold_check_relative(&e, 0, 0));
}

static void test_format(void **state)
{
    (void)state;
    threshold_expr e;
    char err[64], out[64];
    assert_int_equal(threshold_parse("p99.9 < 250ms", &e, NULL, err, sizeof(err)), 0);
    threshold_metric_name(&e, out, sizeof(out));
    assert_string_equal(out, "p99.9");
    threshold_format_limit(&e, out, sizeof(out));
    assert_string_equal(out, "< 250 ms");
    threshold_format_value(&e, 1234.0, out, sizeof(out));
    assert_string_equal(out, "1.23 ms");
    threshold_format_value(&e, NAN, out, sizeof(out));
    assert_string_equal(out, "n/a");
    assert_int_equal(threshold_parse("error_rate <= 1%", &e, NULL, err, sizeof(err)), 0);
    threshold_format_limit(&e, out, sizeof(out));
    assert_string_equal(out, "<= 1 %");
    assert_int_equal(threshold_parse("rps > 100", &e, NULL, err, sizeof(err)), 0);
    threshold_format_limit(&e, out, sizeof(out));
    assert_string_equal(out, "> 100.0/s");
    assert_int_equal(threshold_parse("mean: +10%", &e, NULL, err, sizeof(err)), 0);
    threshold_format_limit(&e, out, sizeof(out));
    assert_string_equal(out, "+10 % vs baseline");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok), cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_eval),
        cmocka_unit_test(test_format),   cmocka_unit_test(test_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
