/* test_delay.c - msdemo delay series: fitting, clamping, limits, reproducibility, cursors.
 *
 * Every built series is checked against statistics recomputed here from its integers (exact
 * integer sum, two-pass variance), so the reported fit cannot drift from the data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "msdemo/delay.h"

#define US(x) ((uint64_t)(x)*UINT64_C(1000))
#define MS(x) ((uint64_t)(x)*UINT64_C(1000000))
#define SEC(x) ((uint64_t)(x)*UINT64_C(1000000000))
#define HOUR SEC(3600)

#define SEED UINT64_C(20240601)

/* What a case expects of the fit. */
enum fit_expect {
    EXACT,  /* mean exact, stddev within 1 ns, not flagged */
    MISSED, /* flagged; mean still exact */
    FLAT,   /* every value == mean, stddev 0, not flagged */
};

enum clamp_expect { CLAMP_NONE, CLAMP_SOME, CLAMP_ANY };

typedef struct fit_case {
    const char *name;
    enum rng_dist dist;
    uint64_t mean, stddev;
    uint32_t n;
    enum fit_expect fit;
    enum clamp_expect clamp;
    double want_stddev; /* MISSED: the best-effort stddev expected */
} fit_case;

static const fit_case fit_cases[] = {
    /* the built-in endpoints' shapes */
    {"normal 20ms/5ms", RNG_NORMAL, MS(20), MS(5), 1000, EXACT, CLAMP_NONE, 0},
    {"normal 10ms/2ms", RNG_NORMAL, MS(10), MS(2), 1000, EXACT, CLAMP_NONE, 0},
    {"lognormal 30ms/10ms", RNG_LOGNORMAL, MS(30), MS(10), 1000, EXACT, CLAMP_ANY, 0},
    {"exponential 5ms/5ms", RNG_EXPONENTIAL, MS(5), MS(5), 1000, EXACT, CLAMP_ANY, 0},
    {"uniform 100ms/20ms", RNG_UNIFORM, MS(100), MS(20), 1000, EXACT, CLAMP_NONE, 0},
    /* constant ignores stddev */
    {"constant 7ms", RNG_CONSTANT, MS(7), 0, 1000, FLAT, CLAMP_NONE, 0},
    {"constant 7ms stddev given", RNG_CONSTANT, MS(7), MS(3), 1000, FLAT, CLAMP_NONE, 0},
    /* stddev 0 */
    {"normal stddev 0", RNG_NORMAL, MS(20), 0, 500, FLAT, CLAMP_NONE, 0},
    {"lognormal stddev 0", RNG_LOGNORMAL, MS(20), 0, 500, FLAT, CLAMP_NONE, 0},
    {"exponential stddev 0", RNG_EXPONENTIAL, MS(20), 0, 500, FLAT, CLAMP_NONE, 0},
    {"uniform stddev 0", RNG_UNIFORM, MS(20), 0, 500, FLAT, CLAMP_NONE, 0},
    /* n = 1: a single value has no spread */
    {"n=1 stddev 0", RNG_NORMAL, MS(20), 0, 1, FLAT, CLAMP_NONE, 0},
    {"n=1 constant", RNG_CONSTANT, MS(20), MS(5), 1, FLAT, CLAMP_NONE, 0},
    {"n=1 normal", RNG_NORMAL, MS(20), MS(5), 1, MISSED, CLAMP_NONE, 0},
    {"n=1 lognormal", RNG_LOGNORMAL, MS(20), MS(5), 1, MISSED, CLAMP_NONE, 0},
    {"n=1 exponential", RNG_EXPONENTIAL, MS(20), MS(5), 1, MISSED, CLAMP_NONE, 0},
    {"n=1 uniform", RNG_UNIFORM, MS(20), MS(5), 1, MISSED, CLAMP_NONE, 0},
    /* n = 2: mean +- stddev exactly, when stddev <= mean */
    {"n=2 normal", RNG_NORMAL, 100, 50, 2, EXACT, CLAMP_NONE, 0},
    {"n=2 lognormal", RNG_LOGNORMAL, MS(3), MS(1), 2, EXACT, CLAMP_NONE, 0},
    {"n=2 exponential", RNG_EXPONENTIAL, MS(3), MS(2), 2, EXACT, CLAMP_NONE, 0},
    {"n=2 stddev == mean", RNG_EXPONENTIAL, MS(3), MS(3), 2, EXACT, CLAMP_SOME, 0},
    {"n=2 uniform", RNG_UNIFORM, MS(3), MS(2), 2, EXACT, CLAMP_NONE, 0},
    {"n=2 stddev > mean", RNG_NORMAL, 100, 150, 2, MISSED, CLAMP_SOME, 100.0},
    /* mean 0: all values 0 */
    {"mean 0 stddev 0", RNG_NORMAL, 0, 0, 100, FLAT, CLAMP_NONE, 0},
    {"mean 0 constant", RNG_CONSTANT, 0, 0, 100, FLAT, CLAMP_NONE, 0},
    {"mean 0 normal", RNG_NORMAL, 0, MS(5), 100, MISSED, CLAMP_SOME, 0.0},
    {"mean 0 exponential", RNG_EXPONENTIAL, 0, MS(5), 100, MISSED, CLAMP_SOME, 0.0},
    /* huge values */
    {"normal 1h/10min", RNG_NORMAL, HOUR, SEC(600), 10000, EXACT, CLAMP_NONE, 0},
    {"normal 1h/1h", RNG_NORMAL, HOUR, HOUR, 1000, EXACT, CLAMP_SOME, 0},
    {"lognormal 1h/1h", RNG_LOGNORMAL, HOUR, HOUR, 1000, EXACT, CLAMP_ANY, 0},
    {"exponential 1h/1h", RNG_EXPONENTIAL, HOUR, HOUR, 1000, EXACT, CLAMP_ANY, 0},
    {"uniform 1h/1h", RNG_UNIFORM, HOUR, HOUR, 1000, EXACT, CLAMP_SOME, 0},
    {"normal 24h/24h (limit)", RNG_NORMAL, DELAY_MAX_NS, DELAY_MAX_NS, 1000, EXACT, CLAMP_SOME, 0},
    {"constant 24h (limit)", RNG_CONSTANT, DELAY_MAX_NS, 0, 1000, FLAT, CLAMP_NONE, 0},
    /* clamping at 0: reachable with zeros and a refit */
    {"normal 1ms/5ms", RNG_NORMAL, MS(1), MS(5), 1000, EXACT, CLAMP_SOME, 0},
    {"normal 1ms/1ms", RNG_NORMAL, MS(1), MS(1), 1000, EXACT, CLAMP_SOME, 0},
    {"exponential 1ms/3ms", RNG_EXPONENTIAL, MS(1), MS(3), 1000, EXACT, CLAMP_SOME, 0},
    {"uniform 1ms/1ms", RNG_UNIFORM, MS(1), MS(1), 1000, EXACT, CLAMP_SOME, 0},
    {"lognormal 1ms/20ms", RNG_LOGNORMAL, MS(1), MS(20), 10000, EXACT, CLAMP_ANY, 0},
    {"normal 1ms/30ms n=1000", RNG_NORMAL, MS(1), MS(30), 1000, EXACT, CLAMP_SOME, 0},
    /* clamping at 0: out of reach (stddev > mean sqrt(n - 1)), best effort mean sqrt(n - 1) */
    {"normal 1ms/5ms n=10", RNG_NORMAL, MS(1), MS(5), 10, MISSED, CLAMP_SOME, 3e6},
    {"exponential 1ms/50ms n=100", RNG_EXPONENTIAL, MS(1), MS(50), 100, MISSED, CLAMP_SOME, 1e6 * 9.9498743710662},
    /* the boundary stddev == mean sqrt(n - 1) is reachable, by one value and zeros */
    {"normal 1ms/3ms n=10", RNG_NORMAL, MS(1), MS(3), 10, EXACT, CLAMP_SOME, 0},
    /* tiny values: rounding to whole ns dominates, within the 1 ns tolerance */
    {"normal 10ns/1ns", RNG_NORMAL, 10, 1, 1000, EXACT, CLAMP_NONE, 0},
    {"uniform 3ns/1ns", RNG_UNIFORM, 3, 1, 1000, EXACT, CLAMP_ANY, 0},
    {"normal 1ns/1ns", RNG_NORMAL, 1, 1, 1000, EXACT, CLAMP_SOME, 0},
    /* longer series */
    /* 4 stddevs below the mean is below 0: a long normal series clamps a few values */
    {"normal 20ms/5ms n=100000", RNG_NORMAL, MS(20), MS(5), 100000, EXACT, CLAMP_SOME, 0},
    {"exponential 500us/2ms n=100000", RNG_EXPONENTIAL, US(500), MS(2), 100000, EXACT, CLAMP_SOME, 0},
};

/* Statistics recomputed from the integers, independently of delay.c. */
static void recompute(const delay_series *s, double *mean, double *sd, uint64_t *sum_out)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        assert_true(s->v[i] <= UINT64_C(1) << 62);
        sum += s->v[i]; /* test cases keep n * max < 2^64 */
    }
    double m = (double)sum / s->n, m2 = 0.0;
    for (uint32_t i = 0; i < s->n; i++)
        m2 += ((double)s->v[i] - m) * ((double)s->v[i] - m);
    *mean = m;
    *sd = sqrt(m2 / s->n);
    *sum_out = sum;
}

static void check_case(const fit_case *c, const delay_series *s)
{
    double mean, sd;
    uint64_t sum;
    assert_non_null(s->v);
    assert_int_equal(s->n, c->n);
    recompute(s, &mean, &sd, &sum);
    /* The reported fit is the series' own. */
    if (fabs(mean - s->fit_mean_ns) > 1e-9 * (mean + 1.0) || fabs(sd - s->fit_stddev_ns) > 1e-6 * (sd + 1.0))
        fail_msg("%s: reported %.6f/%.6f, recomputed %.6f/%.6f", c->name, s->fit_mean_ns, s->fit_stddev_ns, mean, sd);
    /* The mean is exact in every case: sum == n * mean. */
    if (sum != (uint64_t)c->n * c->mean)
        fail_msg("%s: sum %" PRIu64 " != n * mean", c->name, sum);

    uint32_t zeros = 0;
    for (uint32_t i = 0; i < s->n; i++)
        zeros += s->v[i] == 0;
    switch (c->clamp) {
    case CLAMP_NONE:
        if (s->clamped != 0)
            fail_msg("%s: %" PRIu32 " clamped", c->name, s->clamped);
        break;
    case CLAMP_SOME:
        if (s->clamped == 0)
            fail_msg("%s: expected clamping", c->name);
        break;
    case CLAMP_ANY: break;
    }
    if (s->clamped > zeros)
        fail_msg("%s: %" PRIu32 " clamped but only %" PRIu32 " zeros", c->name, s->clamped, zeros);

    switch (c->fit) {
    case EXACT:
        if (s->clamped_moved_fit || fabs(sd - (double)c->stddev) > 1.0)
            fail_msg("%s: stddev %.6f for %" PRIu64 " (flag %d)", c->name, sd, c->stddev, s->clamped_moved_fit);
        break;
    case FLAT:
        assert_false(s->clamped_moved_fit);
        assert_true(s->fit_stddev_ns == 0.0);
        for (uint32_t i = 0; i < s->n; i++)
            assert_int_equal(s->v[i], c->mean);
        break;
    case MISSED:
        if (!s->clamped_moved_fit)
            fail_msg("%s: not flagged (stddev %.3f)", c->name, sd);
        if (fabs(sd - c->want_stddev) > 1.0)
            fail_msg("%s: best-effort stddev %.3f, expected %.3f", c->name, sd, c->want_stddev);
        break;
    }
}

static void test_fit_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fit_cases / sizeof fit_cases[0]; i++) {
        const fit_case *c = &fit_cases[i];
        delay_spec spec = {c->dist, c->mean, c->stddev, c->n};
        delay_series s;
        char err[128] = "";
        if (delay_series_build(&s, &spec, SEED + i, err, sizeof err) != 0)
            fail_msg("%s: build failed: %s", c->name, err);
        check_case(c, &s);
        delay_series_fini(&s);
    }
}

/* The same fits hold for other seeds: the clamping search must not depend on luck. */
static void test_fit_many_seeds(void **state)
{
    (void)state;
    static const struct {
        enum rng_dist dist;
        uint64_t mean, stddev;
        uint32_t n;
    } shapes[] = {
        {RNG_NORMAL, MS(1), MS(5), 200}, {RNG_NORMAL, MS(1), MS(2), 30},     {RNG_EXPONENTIAL, MS(1), MS(4), 50},
        {RNG_UNIFORM, MS(1), MS(3), 40}, {RNG_LOGNORMAL, MS(1), MS(9), 100}, {RNG_NORMAL, MS(1), 2999000, 10},
        {RNG_NORMAL, MS(5), MS(1), 3},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        for (uint64_t seed = 1; seed <= 300; seed++) {
            delay_spec spec = {shapes[k].dist, shapes[k].mean, shapes[k].stddev, shapes[k].n};
            delay_series s;
            assert_int_equal(delay_series_build(&s, &spec, seed, NULL, 0), 0);
            fit_case c = {"seed sweep", spec.dist, spec.mean_ns, spec.stddev_ns, spec.n, EXACT, CLAMP_ANY, 0};
            check_case(&c, &s);
            delay_series_fini(&s);
        }
    }
}

static void test_n2_values(void **state)
{
    (void)state;
    for (int d = RNG_UNIFORM; d <= RNG_EXPONENTIAL; d++) {
        delay_spec spec = {(enum rng_dist)d, 100, 40, 2};
        delay_series s;
        assert_int_equal(delay_series_build(&s, &spec, SEED, NULL, 0), 0);
        uint64_t lo = s.v[0] < s.v[1] ? s.v[0] : s.v[1];
        uint64_t hi = s.v[0] < s.v[1] ? s.v[1] : s.v[0];
        assert_int_equal(lo, 60);
        assert_int_equal(hi, 140);
        delay_series_fini(&s);
    }
    /* Out of reach: one value 2 * mean, the other 0. */
    delay_spec spec = {RNG_NORMAL, 100, 150, 2};
    delay_series s;
    assert_int_equal(delay_series_build(&s, &spec, SEED, NULL, 0), 0);
    assert_int_equal(s.v[0] + s.v[1], 200);
    assert_true(s.v[0] == 0 || s.v[1] == 0);
    assert_int_equal(s.clamped, 1);
    delay_series_fini(&s);
}

/* normal 20ms/5ms: the fit lands on the targets to the nanosecond. */
static void test_fit_precision(void **state)
{
    (void)state;
    delay_spec spec = {RNG_NORMAL, MS(20), MS(5), 1000};
    delay_series s;
    assert_int_equal(delay_series_build(&s, &spec, 1, NULL, 0), 0);
    assert_true(s.fit_mean_ns == 20e6);
    assert_true(fabs(s.fit_stddev_ns - 5e6) <= 1.0);
    assert_false(s.clamped_moved_fit);
    assert_int_equal(s.clamped, 0);
    /* The values look normal: about 68% within one stddev, none beyond 5. */
    uint32_t inside = 0;
    for (uint32_t i = 0; i < s.n; i++) {
        double z = ((double)s.v[i] - 20e6) / 5e6;
        inside += fabs(z) < 1.0;
        assert_true(fabs(z) < 5.0);
    }
    assert_in_range(inside, 600, 760);
    delay_series_fini(&s);
}

/* normal 1ms/5ms: a normal shape cannot have that spread without going below 0, so values
 * are clamped at 0, never negative (they are unsigned: check none wrapped around), and the
 * refit still reaches the targets. With n = 10 the target is out of reach and reported. */
static void test_clamping(void **state)
{
    (void)state;
    delay_spec spec = {RNG_NORMAL, MS(1), MS(5), 1000};
    delay_series s;
    assert_int_equal(delay_series_build(&s, &spec, SEED, NULL, 0), 0);
    uint32_t zeros = 0;
    for (uint32_t i = 0; i < s.n; i++) {
        assert_true(s.v[i] < MS(1) * 1000); /* a wrapped negative would be ~2^64 */
        zeros += s.v[i] == 0;
    }
    assert_true(s.clamped > 500 && s.clamped <= zeros);
    assert_false(s.clamped_moved_fit);
    assert_true(s.fit_mean_ns == 1e6);
    assert_true(fabs(s.fit_stddev_ns - 5e6) <= 1.0);
    delay_series_fini(&s);

    spec.n = 10;
    assert_int_equal(delay_series_build(&s, &spec, SEED, NULL, 0), 0);
    assert_true(s.clamped_moved_fit);
    assert_true(s.fit_mean_ns == 1e6);
    assert_true(fabs(s.fit_stddev_ns - 3e6) <= 1.0); /* mean * sqrt(n - 1), the most possible */
    assert_int_equal(s.clamped, 9);
    delay_series_fini(&s);
}

/* --- limits and errors --------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        delay_spec spec;
        const char *msg; /* substring of the message */
    } cases[] = {
        {"n 0", {RNG_NORMAL, MS(1), 0, 0}, "length 0"},
        {"n max+1", {RNG_NORMAL, MS(1), 0, DELAY_MAX_N + 1}, "out of range"},
        {"n UINT32_MAX", {RNG_NORMAL, MS(1), 0, UINT32_MAX}, "out of range"},
        {"mean max+1", {RNG_NORMAL, DELAY_MAX_NS + 1, 0, 10}, "24h"},
        {"stddev max+1", {RNG_NORMAL, MS(1), DELAY_MAX_NS + 1, 10}, "24h"},
        {"mean UINT64_MAX", {RNG_CONSTANT, UINT64_MAX, 0, 10}, "24h"},
        {"constant stddev max+1", {RNG_CONSTANT, MS(1), DELAY_MAX_NS + 1, 10}, "24h"},
        {"dist 5", {(enum rng_dist)5, MS(1), 0, 10}, "distribution"},
        {"dist -1", {(enum rng_dist) - 1, MS(1), 0, 10}, "distribution"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        delay_series s;
        memset(&s, 0xa5, sizeof s);
        char err[128] = "";
        if (delay_series_build(&s, &cases[i].spec, SEED, err, sizeof err) != -1)
            fail_msg("%s: accepted", cases[i].name);
        if (!strstr(err, cases[i].msg))
            fail_msg("%s: message \"%s\"", cases[i].name, err);
        assert_null(s.v); /* zeroed on failure */
        assert_int_equal(s.n, 0);
        delay_series_fini(&s);
        /* no error buffer, and a 1-byte one */
        assert_int_equal(delay_series_build(&s, &cases[i].spec, SEED, NULL, 0), -1);
        char one[1] = {'x'};
        assert_int_equal(delay_series_build(&s, &cases[i].spec, SEED, one, sizeof one), -1);
        assert_int_equal(one[0], '\0');
    }
}

static void test_limits_accepted(void **state)
{
    (void)state;
    delay_series s;
    /* The longest series at the longest delay, constant so it is quick: 80 MB, and a sum
     * (8.64e20 ns) beyond 64 bits. */
    delay_spec big = {RNG_CONSTANT, DELAY_MAX_NS, 0, DELAY_MAX_N};
    assert_int_equal(delay_series_build(&s, &big, SEED, NULL, 0), 0);
    assert_int_equal(s.n, DELAY_MAX_N);
    assert_int_equal(s.v[0], DELAY_MAX_NS);
    assert_int_equal(s.v[DELAY_MAX_N - 1], DELAY_MAX_NS);
    assert_true(s.fit_mean_ns == (double)DELAY_MAX_NS && s.fit_stddev_ns == 0.0);
    assert_false(s.clamped_moved_fit);
    delay_series_fini(&s);
    /* Mean and stddev at the limit together. */
    delay_spec top = {RNG_EXPONENTIAL, DELAY_MAX_NS, DELAY_MAX_NS, 64};
    assert_int_equal(delay_series_build(&s, &top, SEED, NULL, 0), 0);
    assert_true(s.fit_mean_ns == (double)DELAY_MAX_NS);
    assert_true(fabs(s.fit_stddev_ns - (double)DELAY_MAX_NS) <= 1.0);
    delay_series_fini(&s);
}

static void test_free_twice(void **state)
{
    (void)state;
    delay_series s;
    memset(&s, 0, sizeof s);
    delay_series_fini(&s);
    delay_spec spec = {RNG_NORMAL, MS(1), US(100), 10};
    assert_int_equal(delay_series_build(&s, &spec, SEED, NULL, 0), 0);
    delay_series_fini(&s);
    delay_series_fini(&s);
    assert_null(s.v);
}

/* --- reproducibility ----------------------------------------------------------------- */

static void test_reproducible(void **state)
{
    (void)state;
    for (int d = RNG_CONSTANT; d <= RNG_EXPONENTIAL; d++) {
        delay_spec spec = {(enum rng_dist)d, MS(2), MS(3), 500};
        delay_series a, b, c;
        assert_int_equal(delay_series_build(&a, &spec, 42, NULL, 0), 0);
        assert_int_equal(delay_series_build(&b, &spec, 42, NULL, 0), 0);
        assert_int_equal(delay_series_build(&c, &spec, 43, NULL, 0), 0);
        assert_memory_equal(a.v, b.v, a.n * sizeof a.v[0]);
        assert_true(a.fit_mean_ns == b.fit_mean_ns && a.fit_stddev_ns == b.fit_stddev_ns);
        assert_int_equal(a.clamped, b.clamped);
        if (d == RNG_CONSTANT)
            assert_memory_equal(a.v, c.v, a.n * sizeof a.v[0]);
        else
            assert_memory_not_equal(a.v, c.v, a.n * sizeof a.v[0]);
        delay_series_fini(&a);
        delay_series_fini(&b);
        delay_series_fini(&c);
    }
}

/* --- walking the series -------------------------------------------------------------- */

static void build_walk_series(delay_series *s, uint32_t n)
{
    delay_spec spec = {RNG_UNIFORM, MS(10), MS(2), n};
    assert_int_equal(delay_series_build(s, &spec, SEED, NULL, 0), 0);
}

static void test_next_one_cursor(void **state)
{
    (void)state;
    enum { N = 1000 };
    delay_series s;
    build_walk_series(&s, N);
    uint32_t cursor = 0;
    for (int round = 0; round < 3; round++) {
        uint8_t seen[N] = {0};
        for (uint32_t i = 0; i < N; i++) {
            uint32_t at = cursor;
            assert_true(at < N);
            assert_int_equal(delay_series_next(&s, &cursor), s.v[at]);
            seen[at]++;
        }
        for (uint32_t i = 0; i < N; i++)
            assert_int_equal(seen[i], 1);
        assert_int_equal(cursor, 0); /* back at the start after n calls */
    }
    delay_series_fini(&s);
}

static void test_next_four_cursors(void **state)
{
    (void)state;
    static const uint32_t ns[] = {1000, 1001, 1003, 4, 3, 1};
    enum { WORKERS = 4 };
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        uint32_t n = ns[k];
        delay_series s;
        build_walk_series(&s, n);
        uint32_t start[WORKERS + 1];
        for (uint32_t w = 0; w < WORKERS; w++)
            start[w] = delay_cursor_start(&s, w, WORKERS);
        start[WORKERS] = n;
        uint8_t *seen = calloc(n, 1);
        assert_non_null(seen);
        /* Each worker takes its share, interleaved as threads would. */
        uint32_t cursor[WORKERS], left[WORKERS];
        for (uint32_t w = 0; w < WORKERS; w++) {
            assert_true(start[w] <= start[w + 1]);
            cursor[w] = start[w];
            left[w] = start[w + 1] - start[w];
        }
        for (int busy = 1; busy;) {
            busy = 0;
            for (uint32_t w = 0; w < WORKERS; w++) {
                if (left[w] == 0)
                    continue;
                uint32_t at = cursor[w];
                assert_int_equal(delay_series_next(&s, &cursor[w]), s.v[at]);
                seen[at]++;
                left[w]--;
                busy = 1;
            }
        }
        for (uint32_t i = 0; i < n; i++)
            assert_int_equal(seen[i], 1);
        free(seen);
        delay_series_fini(&s);
    }
}

static void test_next_odd_cursors(void **state)
{
    (void)state;
    delay_series s;
    build_walk_series(&s, 10);
    uint32_t c = 13; /* out of range: reduced modulo n */
    assert_int_equal(delay_series_next(&s, &c), s.v[3]);
    assert_int_equal(c, 4);
    c = UINT32_MAX; /* 4294967295 % 10 == 5 */
    assert_int_equal(delay_series_next(&s, &c), s.v[5]);
    assert_int_equal(c, 6);
    c = 9;
    assert_int_equal(delay_series_next(&s, &c), s.v[9]);
    assert_int_equal(c, 0);
    delay_series_fini(&s);

    delay_series empty;
    memset(&empty, 0, sizeof empty);
    c = 7;
    assert_int_equal(delay_series_next(&empty, &c), 0);
}

static void test_cursor_start(void **state)
{
    (void)state;
    delay_series s;
    memset(&s, 0, sizeof s);
    s.n = DELAY_MAX_N; /* only n is read */
    assert_int_equal(delay_cursor_start(&s, 0, 4), 0);
    assert_int_equal(delay_cursor_start(&s, 1, 4), 2500000);
    assert_int_equal(delay_cursor_start(&s, 3, 4), 7500000);
    assert_int_equal(delay_cursor_start(&s, 2, 3), 6666666);
    /* worker * n exceeds 32 bits: 1000 * 10^7 / 1001 */
    assert_int_equal(delay_cursor_start(&s, 1000, 1001), 9990009);
    assert_int_equal(delay_cursor_start(&s, UINT32_MAX - 1, UINT32_MAX), 9999999);
    assert_int_equal(delay_cursor_start(&s, 4, 4), 0); /* out of range */
    assert_int_equal(delay_cursor_start(&s, 0, 0), 0);
    s.n = 1;
    assert_int_equal(delay_cursor_start(&s, 3, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_table),         cmocka_unit_test(test_fit_many_seeds),
        cmocka_unit_test(test_n2_values),         cmocka_unit_test(test_fit_precision),
        cmocka_unit_test(test_clamping),          cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits_accepted),   cmocka_unit_test(test_free_twice),
        cmocka_unit_test(test_reproducible),      cmocka_unit_test(test_next_one_cursor),
        cmocka_unit_test(test_next_four_cursors), cmocka_unit_test(test_next_odd_cursors),
        cmocka_unit_test(test_cursor_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
