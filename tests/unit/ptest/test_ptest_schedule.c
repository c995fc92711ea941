/* test_ptest_schedule.c - the open model's intended send times for rate stages. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ptest/engine/schedule.h"

#define S UINT64_C(1000000000)
#define MS UINT64_C(1000000)

typedef struct probe {
    uint64_t k;
    int rc;        /* 0 or SCHEDULE_END */
    uint64_t t_ns; /* expected time (when rc == 0) */
} probe;

typedef struct sched_case {
    const char *name;
    size_t n;
    plan_stage st[4];
    uint64_t count;
    probe probes[8];
    size_t n_probes;
} sched_case;

static const sched_case cases[] = {
    {"1000/s for 10s",
     1,
     {{1000, 10 * S}},
     10000,
     {{0, 0, 0}, {1, 0, 1 * MS}, {999, 0, 999 * MS}, {9999, 0, 9999 * MS}, {10000, SCHEDULE_END, 0}},
     5},
    {"issue example: 100/s 20s then 300/s 40s",
     2,
     {{100, 20 * S}, {300, 40 * S}},
     14000,
     {{0, 0, 0},
      {1999, 0, 19990 * MS},
      {2000, 0, 20 * S},
      {2003, 0, 20 * S + 10 * MS},
      {13999, 0, 20 * S + 39996666667},
      {14000, SCHEDULE_END, 0}},
     6},
    {"fractional counts carry over",
     2,
     {{3, S / 2}, {1, S}},
     3,
     {{0, 0, 0}, {1, 0, 333333333}, {2, 0, 1 * S}, {3, SCHEDULE_END, 0}},
     4},
    {"a zero-rate stage is a pause",
     3,
     {{10, S}, {0, S}, {10, S}},
     20,
     {{9, 0, 900 * MS}, {10, 0, 2 * S}, {19, 0, 2900 * MS}, {20, SCHEDULE_END, 0}},
     4},
    {"no stages", 0, {{0, 0}}, 0, {{0, SCHEDULE_END, 0}}, 1},
    {"rate below one per stage", 1, {{0.5, S}}, 1, {{0, 0, 0}, {1, SCHEDULE_END, 0}}, 2},
    {"high rate",
     1,
     {{1e7, 3600 * S}},
     UINT64_C(36000000000),
     {{UINT64_C(35999999999), 0, 3600 * S - 100}, {UINT64_C(36000000000), SCHEDULE_END, 0}},
     2},
    {"huge index", 1, {{100, S}}, 100, {{UINT64_MAX, SCHEDULE_END, 0}}, 1},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const sched_case *c = &cases[i];
        schedule s;
        assert_int_equal(schedule_init(&s, c->st, c->n), 0);
        if (schedule_count(&s) != c->count)
            fail_msg("%s: count %llu, want %llu", c->name, (unsigned long long)schedule_count(&s),
                     (unsigned long long)c->count);
        schedule_cursor hint = {0, 0, 0};
        for (size_t j = 0; j < c->n_probes; j++) {
            uint64_t t = 12345;
            int rc = schedule_time(&s, c->probes[j].k, &hint, &t);
            if (rc != c->probes[j].rc)
                fail_msg("%s: k=%llu rc %d, want %d", c->name, (unsigned long long)c->probes[j].k, rc, c->probes[j].rc);
            if (rc == 0 && t != c->probes[j].t_ns)
                fail_msg("%s: k=%llu at %llu ns, want %llu", c->name, (unsigned long long)c->probes[j].k,
                         (unsigned long long)t, (unsigned long long)c->probes[j].t_ns);
        }
        schedule_fini(&s);
    }
}

static void test_invalid(void **state)
{
    (void)state;
    const plan_stage neg[] = {{-1, S}};
    const plan_stage nan_[] = {{NAN, S}};
    const plan_stage inf[] = {{INFINITY, S}};
    schedule s;
    assert_int_equal(schedule_init(&s, neg, 1), -1);
    assert_int_equal(schedule_init(&s, nan_, 1), -1);
    assert_int_equal(schedule_init(&s, inf, 1), -1);
    /* schedule_fini on the zeroed result is harmless. */
    schedule_fini(&s);
}

/* Whatever order and hint, times are the same; increasing k gives non-decreasing times,
 * all inside their stage and before the end. */
static void test_monotonic_and_hint(void **state)
{
    (void)state;
    const plan_stage st[] = {{7, 3 * S}, {0, S}, {1234.5, 2 * S}, {3, 700 * MS}};
    schedule s;
    assert_int_equal(schedule_init(&s, st, 4), 0);
    assert_int_equal(schedule_duration(&s), 6700 * MS);
    assert_true(schedule_peak_rate(&s) == 1234.5);
    uint64_t n = schedule_count(&s);
    assert_int_equal(n, 21 + 2469 + 3); /* 21 + 2469 + 2.1 -> ceil */
    schedule_cursor hint = {0, 0, 0};
    uint64_t prev = 0;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t t, t2;
        schedule_cursor fresh = {0, 0, 0}, wrong = {3, 0, 0};
        assert_int_equal(schedule_time(&s, k, &hint, &t), 0);
        assert_int_equal(schedule_time(&s, k, &fresh, &t2), 0);
        assert_int_equal(t, t2);
        assert_int_equal(schedule_time(&s, k, &wrong, &t2), 0);
        assert_int_equal(t, t2);
        assert_true(t >= prev);
        assert_true(t < schedule_duration(&s));
        assert_false(t >= 3 * S && t < 4 * S); /* nothing during the pause */
        prev = t;
    }
    assert_int_equal(schedule_time(&s, n, &hint, &prev), SCHEDULE_END);
    schedule_fini(&s);
}

/* The engine's split: thread j of T takes k = j, j+T, ...; together they send every
 * arrival once, and the achieved rate per stage is the planned one. */
static void test_thread_split(void **state)
{
    (void)state;
    const plan_stage st[] = {{100, 20 * S}, {300, 40 * S}};
    schedule s;
    assert_int_equal(schedule_init(&s, st, 2), 0);
    for (unsigned T = 1; T <= 5; T++) {
        uint64_t total = 0, in_first = 0;
        for (unsigned j = 0; j < T; j++) {
            schedule_cursor hint = {0, 0, 0};
            uint64_t t, prev = 0;
            for (uint64_t k = j; schedule_time(&s, k, &hint, &t) == 0; k += T) {
                assert_true(t >= prev);
                prev = t;
                total++;
                in_first += t < 20 * S;
            }
        }
        assert_int_equal(total, 14000);
        assert_int_equal(in_first, 2000);
    }
    schedule_fini(&s);
}

/* Poisson arrivals: with a fixed seed the gaps of 200,000 arrivals at 1000/s have a mean of
 * 1 ms within 1 % (the standard error is 0.22 %) and a coefficient of variation of 1 within
 * 2 % (exponential); the count over the schedule is within 5 standard deviations of its
 * mean. The same seed gives the same times; another seed other times. Deterministic: no
 * clock is read. */
static void test_poisson(void **state)
{
    (void)state;
    const plan_stage st[] = {{1000, 200 * S}};
    schedule_opts o = {.poisson = true, .seed = 42};
    schedule s, s2, s3;
    assert_int_equal(schedule_init_opts(&s, st, 1, &o), 0);
    assert_int_equal(schedule_init_opts(&s2, st, 1, &o), 0);
    o.seed = 43;
    assert_int_equal(schedule_init_opts(&s3, st, 1, &o), 0);
    schedule_cursor c = {0, 0, 0}, c2 = {0, 0, 0}, c3 = {0, 0, 0};
    uint64_t t, prev = 0, n = 0, same = 0, differ = 0;
    double sum = 0, sum2 = 0;
    for (uint64_t k = 0; schedule_time(&s, k, &c, &t) == 0; k++, n++) {
        uint64_t t2, t3;
        assert_int_equal(schedule_time(&s2, k, &c2, &t2), 0);
        same += t == t2;
        if (schedule_time(&s3, k, &c3, &t3) == 0)
            differ += t != t3;
        assert_true(t >= prev);
        if (k > 0) {
            double g = (double)(t - prev) / 1e6;
            sum += g;
            sum2 += g * g;
        }
        prev = t;
    }
    assert_int_equal(same, n);
    assert_true(differ > n * 9 / 10);
    double mean = sum / (double)(n - 1), var = sum2 / (double)(n - 1) - mean * mean;
    if (fabs(mean - 1.0) > 0.01 || fabs(sqrt(var) / mean - 1.0) > 0.02)
        fail_msg("poisson gaps: mean %.4f ms, cv %.4f", mean, sqrt(var) / mean);
    if (fabs((double)n - 200000) > 5 * sqrt(200000.0))
        fail_msg("poisson count %llu, expected 200000", (unsigned long long)n);
    assert_int_equal(schedule_count(&s), n);
    /* Any k on its own gives the same time as the walk (a fresh cursor, out of order). */
    const uint64_t ks[] = {199000, 7, 123456, 0};
    for (size_t i = 0; i < 4; i++) {
        schedule_cursor a = {0, 0, 0}, b = {0, 0, 0};
        uint64_t ta, tb;
        assert_int_equal(schedule_time(&s, ks[i], &a, &ta), 0);
        for (uint64_t k = 0; k <= ks[i]; k += 1 + ks[i] / 3)
            (void)schedule_time(&s, k, &b, &tb);
        assert_int_equal(schedule_time(&s, ks[i], &b, &tb), 0);
        assert_true(ta > tb ? ta - tb <= 1 : tb - ta <= 1);
    }
    /* A k far past the end stops quickly. */
    assert_int_equal(schedule_time(&s, UINT64_MAX, &c, &t), SCHEDULE_END);
    schedule_fini(&s);
    schedule_fini(&s2);
    schedule_fini(&s3);
}

/* Poisson arrivals split over threads (k = j, j + T, ...) and over shares (share i of N
 * takes the whole scenario's arrivals i, i + N, ... at rate / N): the same times, to 1 ns. */
static void test_poisson_split(void **state)
{
    (void)state;
    const plan_stage st[] = {{300, 10 * S}, {50, 10 * S}};
    schedule_opts o = {.poisson = true, .linear = true, .start_rate = 10, .seed = 7};
    schedule whole;
    assert_int_equal(schedule_init_opts(&whole, st, 2, &o), 0);
    uint64_t n = schedule_count(&whole);
    uint64_t *want = calloc(n, sizeof(*want));
    assert_non_null(want);
    schedule_cursor c = {0, 0, 0};
    for (uint64_t k = 0; k < n; k++)
        assert_int_equal(schedule_time(&whole, k, &c, &want[k]), 0);
    for (uint32_t N = 1; N <= 4; N++) {
        uint64_t seen = 0;
        for (uint32_t i = 0; i < N; i++) {
            plan_stage sh[2] = {{300.0 / N, 10 * S}, {50.0 / N, 10 * S}};
            schedule_opts so = o;
            so.start_rate = 10.0 / N;
            so.share_index = i;
            so.share_count = N;
            schedule part;
            assert_int_equal(schedule_init_opts(&part, sh, 2, &so), 0);
            for (unsigned T = 1; T <= 3; T++) {
                for (unsigned j = 0; j < T; j++) {
                    schedule_cursor pc = {0, 0, 0};
                    uint64_t t;
                    for (uint64_t m = j; schedule_time(&part, m, &pc, &t) == 0; m += T) {
                        uint64_t g = i + m * N;
                        assert_true(g < n);
                        uint64_t w = want[g];
                        if (t > w + 1 || w > t + 1)
                            fail_msg("share %u/%u thread %u/%u: arrival %llu at %llu, whole run %llu", i, N, j, T,
                                     (unsigned long long)g, (unsigned long long)t, (unsigned long long)w);
                        seen += T == 1;
                    }
                }
            }
            schedule_fini(&part);
        }
        assert_int_equal(seen, n);
    }
    free(want);
    schedule_fini(&whole);
}

/* Linear ramps: the count up to any time is the integral of the rate (to one arrival), the
 * rate runs from the previous stage's (the first: start_rate) to the stage's own, and the
 * steps' behaviour is unchanged without ramp. */
static void test_linear(void **state)
{
    (void)state;
    /* 0 -> 100/s over 10 s (500), 100/s held 10 s (1000), 100 -> 20/s over 5 s (300). */
    const plan_stage st[] = {{100, 10 * S}, {100, 10 * S}, {20, 5 * S}};
    schedule_opts o = {.linear = true, .start_rate = 0};
    schedule s;
    assert_int_equal(schedule_init_opts(&s, st, 3, &o), 0);
    assert_true(fabs(schedule_expected(&s) - 1800) < 1e-9);
    assert_int_equal(schedule_count(&s), 1800);
    assert_true(schedule_peak_rate(&s) == 100);
    uint64_t *t = calloc(1800, sizeof(*t));
    assert_non_null(t);
    schedule_cursor c = {0, 0, 0};
    for (uint64_t k = 0; k < 1800; k++)
        assert_int_equal(schedule_time(&s, k, &c, &t[k]), 0);
    assert_int_equal(schedule_time(&s, 1800, &c, &t[0]), SCHEDULE_END);
    /* N(t) = 5 t^2 in the first stage, 500 + 100 (t - 10) in the second, then
     * 1500 + 100 u - 8 u^2 (u = t - 20). Arrival k is at N(t) = k: count(t) = ceil(N(t)). */
    for (uint64_t ms = 0; ms <= 25000; ms += 250) {
        double x = (double)ms / 1000, want;
        if (x <= 10)
            want = 5 * x * x;
        else if (x <= 20)
            want = 500 + 100 * (x - 10);
        else
            want = 1500 + 100 * (x - 20) - 8 * (x - 20) * (x - 20);
        uint64_t got = 0;
        while (got < 1800 && t[got] < ms * MS)
            got++;
        if (fabs((double)got - ceil(want - 1e-9)) > 1)
            fail_msg("linear: %llu arrivals before %.2f s, integral %.2f", (unsigned long long)got, x, want);
    }
    /* Exact points: arrival 5 at sqrt(1) = 1 s, arrival 500 at 10 s, arrival 1500 at 20 s. */
    assert_int_equal(t[5], 1 * S);
    assert_int_equal(t[500], 10 * S);
    assert_int_equal(t[1500], 20 * S);
    free(t);
    schedule_fini(&s);
    /* Invalid options. */
    schedule_opts bad = {.linear = true, .start_rate = -1};
    assert_int_equal(schedule_init_opts(&s, st, 3, &bad), -1);
    bad = (schedule_opts){.share_index = 2, .share_count = 2};
    assert_int_equal(schedule_init_opts(&s, st, 3, &bad), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),        cmocka_unit_test(test_invalid), cmocka_unit_test(test_monotonic_and_hint),
        cmocka_unit_test(test_thread_split), cmocka_unit_test(test_poisson), cmocka_unit_test(test_poisson_split),
        cmocka_unit_test(test_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
