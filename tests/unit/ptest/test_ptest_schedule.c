/* test_ptest_schedule.c - the open model's intended send times for rate stages. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
        size_t hint = 0;
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
    size_t hint = 0;
    uint64_t prev = 0;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t t, t2;
        size_t fresh = 0, wrong = 3;
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
            size_t hint = 0;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_monotonic_and_hint),
        cmocka_unit_test(test_thread_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
