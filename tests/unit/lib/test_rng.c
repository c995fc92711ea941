/* test_rng.c - xoshiro256** and splitmix64 streams, distributions, rng_below, dist names.
 *
 * Known answers are published reference vectors (splitmix64 from seed 0; xoshiro256** from
 * state {1,2,3,4}, the rand_xoshiro / reference-C outputs; xoshiro256** seeded by splitmix64
 * with 42). Statistical checks use a fixed seed, so they are deterministic; their tolerances
 * are 6 standard errors so that a change of seed would not break them, while a wrong
 * transform (bias, wrong scale, wrong shape) is far outside them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "rng.h"

#define N_DRAWS 1000000
#define TOL_SIGMAS 6.0

typedef struct moments {
    double mean, var, min, max;
} moments;

typedef double (*draw_fn)(rng *r, const void *arg);

static moments sample(rng *r, draw_fn fn, const void *arg, uint32_t n)
{
    /* Welford's update: one pass, no cancellation. */
    moments m = {0.0, 0.0, INFINITY, -INFINITY};
    double m2 = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        double x = fn(r, arg);
        double d = x - m.mean;
        m.mean += d / (i + 1);
        m2 += d * (x - m.mean);
        if (x < m.min)
            m.min = x;
        if (x > m.max)
            m.max = x;
    }
    m.var = m2 / n;
    return m;
}

/* Checks a sample's mean and variance against the distribution's mean mu, variance var and
 * fourth central moment mu4 (standard error of the sample variance is sqrt((mu4 - var^2)/n)). */
static void check_moments(const moments *m, double mu, double var, double mu4, uint32_t n)
{
    double se_mean = sqrt(var / n);
    double se_var = sqrt((mu4 - var * var) / n);
    if (fabs(m->mean - mu) > TOL_SIGMAS * se_mean)
        fail_msg("mean %.9g, expected %.9g +- %.3g", m->mean, mu, TOL_SIGMAS * se_mean);
    if (fabs(m->var - var) > TOL_SIGMAS * se_var)
        fail_msg("variance %.9g, expected %.9g +- %.3g", m->var, var, TOL_SIGMAS * se_var);
}

/* --- known answers ------------------------------------------------------------------- */

static void test_splitmix_reference(void **state)
{
    (void)state;
    /* The published first four splitmix64 outputs for seed 0 become the state. */
    static const uint64_t want[4] = {
        UINT64_C(0xe220a8397b1dcdaf),
        UINT64_C(0x6e789e6aa1b965f4),
        UINT64_C(0x06c45d188009454f),
        UINT64_C(0xf88bb8a8724c81ec),
    };
    rng r;
    rng_seed(&r, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(r.s[i], want[i]);
}

static void test_xoshiro_reference(void **state)
{
    (void)state;
    static const uint64_t want[] = {
        UINT64_C(11520),
        UINT64_C(0),
        UINT64_C(1509978240),
        UINT64_C(1215971899390074240),
        UINT64_C(1216172134540287360),
        UINT64_C(607988272756665600),
        UINT64_C(16172922978634559625),
        UINT64_C(8476171486693032832),
        UINT64_C(10595114339597558777),
        UINT64_C(2904607092377533576),
    };
    rng r = {{1, 2, 3, 4}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(rng_u64(&r), want[i]);
}

static void test_seeded_reference(void **state)
{
    (void)state;
    static const uint64_t want[] = {
        UINT64_C(1546998764402558742),
        UINT64_C(6990951692964543102),
        UINT64_C(12544586762248559009),
    };
    rng r;
    rng_seed(&r, 42);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(rng_u64(&r), want[i]);
}

/* --- streams and seeding ------------------------------------------------------------- */

static void test_same_seed_same_stream(void **state)
{
    (void)state;
    static const uint64_t seeds[] = {0, 1, 42, UINT64_C(0xffffffffffffffff), UINT64_C(0x8000000000000000)};
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        rng a, b;
        rng_seed(&a, seeds[k]);
        rng_seed(&b, seeds[k]);
        assert_true((a.s[0] | a.s[1] | a.s[2] | a.s[3]) != 0);
        for (int i = 0; i < 1000; i++) {
            assert_int_equal(rng_u64(&a), rng_u64(&b));
            assert_true(rng_normal(&a) == rng_normal(&b));
            assert_int_equal(rng_below(&a, 7), rng_below(&b, 7));
        }
        /* A copy continues the same stream. */
        rng c = a;
        for (int i = 0; i < 100; i++)
            assert_int_equal(rng_u64(&a), rng_u64(&c));
    }
}

static void test_different_seeds_differ(void **state)
{
    (void)state;
    rng a, b;
    rng_seed(&a, 1);
    rng_seed(&b, 2);
    int same = 0;
    for (int i = 0; i < 64; i++)
        same += rng_u64(&a) == rng_u64(&b);
    assert_int_equal(same, 0);
}

static void test_seed_os(void **state)
{
    (void)state;
    rng a, b;
    rng_seed_os(&a);
    rng_seed_os(&b);
    assert_true((a.s[0] | a.s[1] | a.s[2] | a.s[3]) != 0);
    assert_memory_not_equal(a.s, b.s, sizeof a.s);
    /* The stream works from an OS seed too (no all-zero state). */
    uint64_t x = rng_u64(&a), y = rng_u64(&a);
    assert_true(x != y);
}

/* --- rng_unit ------------------------------------------------------------------------ */

static double draw_unit(rng *r, const void *arg)
{
    (void)arg;
    return rng_unit(r);
}

static void test_unit(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 7);
    /* Every value is k * 2^-53 with k < 2^53: the top 53 bits of the word. */
    for (int i = 0; i < 100000; i++) {
        double u = rng_unit(&r);
        assert_true(u >= 0.0 && u < 1.0);
        double k = u * 0x1.0p53;
        assert_true(k == floor(k));
    }
    rng_seed(&r, 8);
    moments m = sample(&r, draw_unit, NULL, N_DRAWS);
    /* U(0,1): variance 1/12, fourth central moment 1/80. */
    check_moments(&m, 0.5, 1.0 / 12.0, 1.0 / 80.0, N_DRAWS);
    assert_true(m.min < 1e-4 && m.max > 1.0 - 1e-4);
}

static void test_unit_extremes(void **state)
{
    (void)state;
    /* The reference state {1,2,3,4} yields 0 as its second output: the low end exactly. */
    rng r = {{1, 2, 3, 4}};
    (void)rng_u64(&r); /* 11520 */
    assert_true(rng_unit(&r) == 0.0);
}

/* --- rng_normal, rng_exp ------------------------------------------------------------- */

static double draw_normal(rng *r, const void *arg)
{
    (void)arg;
    return rng_normal(r);
}

static double draw_exp(rng *r, const void *arg)
{
    (void)arg;
    return rng_exp(r);
}

static void test_normal(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 11);
    moments m = sample(&r, draw_normal, NULL, N_DRAWS);
    check_moments(&m, 0.0, 1.0, 3.0, N_DRAWS);
    assert_true(isfinite(m.min) && isfinite(m.max));
    /* Shape: P(|Z| < 1) = 0.682689..., binomial standard error. */
    rng_seed(&r, 12);
    uint32_t inside = 0;
    for (uint32_t i = 0; i < N_DRAWS; i++)
        inside += fabs(rng_normal(&r)) < 1.0;
    double p = 0.6826894921370859, se = sqrt(p * (1.0 - p) / N_DRAWS);
    assert_true(fabs((double)inside / N_DRAWS - p) < TOL_SIGMAS * se);
}

static void test_exp(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 13);
    moments m = sample(&r, draw_exp, NULL, N_DRAWS);
    /* Exp(1): variance 1, fourth central moment 9. */
    check_moments(&m, 1.0, 1.0, 9.0, N_DRAWS);
    assert_true(m.min >= 0.0 && isfinite(m.max));
    /* Shape: P(X > 1) = 1/e. */
    rng_seed(&r, 14);
    uint32_t above = 0;
    for (uint32_t i = 0; i < N_DRAWS; i++)
        above += rng_exp(&r) > 1.0;
    double p = exp(-1.0), se = sqrt(p * (1.0 - p) / N_DRAWS);
    assert_true(fabs((double)above / N_DRAWS - p) < TOL_SIGMAS * se);
    /* u == 0 gives exactly 0, not -0 or NaN: state {1,2,3,4} yields 11520 then 0. */
    rng z = {{1, 2, 3, 4}};
    (void)rng_u64(&z);
    double e = rng_exp(&z);
    assert_true(e == 0.0 && !signbit(e));
}

/* --- rng_below ----------------------------------------------------------------------- */

static void test_below_chi_square(void **state)
{
    (void)state;
    enum { K = 7, DRAWS = 700000 };
    uint32_t count[K] = {0};
    rng r;
    rng_seed(&r, 21);
    for (uint32_t i = 0; i < DRAWS; i++) {
        uint64_t x = rng_below(&r, K);
        assert_true(x < K);
        count[x]++;
    }
    double expect = (double)DRAWS / K, chi2 = 0.0;
    for (int i = 0; i < K; i++)
        chi2 += (count[i] - expect) * (count[i] - expect) / expect;
    /* 6 degrees of freedom: P(chi2 > 40) ~ 5e-7, P(chi2 < 0.01) ~ 1e-7 (too regular). */
    if (chi2 > 40.0 || chi2 < 0.01)
        fail_msg("chi-square %.3f for n = 7", chi2);
}

static void test_below_bounds(void **state)
{
    (void)state;
    static const uint64_t ns[] = {
        1,
        2,
        3,
        7,
        10,
        1000,
        UINT64_C(0xffffffff),
        UINT64_C(0x100000000),
        UINT64_C(0x100000001),
        UINT64_C(0x8000000000000000),
        UINT64_C(0x8000000000000001),
        UINT64_C(0xfffffffffffffffe),
        UINT64_C(0xffffffffffffffff),
    };
    rng r;
    rng_seed(&r, 22);
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        uint64_t max = 0;
        for (int i = 0; i < 20000; i++) {
            uint64_t x = rng_below(&r, ns[k]);
            assert_true(x < ns[k]);
            if (x > max)
                max = x;
        }
        if (ns[k] == 1)
            assert_int_equal(max, 0);
        if (ns[k] <= 3)
            assert_int_equal(max, ns[k] - 1); /* every value is reached */
    }
    assert_int_equal(rng_below(&r, 0), 0); /* outside the contract, but defined */
}

static void test_below_no_modulo_bias(void **state)
{
    (void)state;
    /* n = 0xAAAAAAAAAAAAAAAB (about 2/3 of 2^64): 2^64 mod n is about n / 2, so a plain
     * x % n would hit [0, n/2) twice as often as [n/2, n): 2/3 of the draws instead of 1/2. */
    const uint64_t n = UINT64_C(0xAAAAAAAAAAAAAAAB);
    enum { DRAWS = 200000 };
    rng r;
    rng_seed(&r, 23);
    uint32_t low = 0;
    for (uint32_t i = 0; i < DRAWS; i++)
        low += rng_below(&r, n) < n / 2;
    double se = sqrt(0.25 / DRAWS);
    assert_true(fabs((double)low / DRAWS - 0.5) < TOL_SIGMAS * se);
}

/* --- names --------------------------------------------------------------------------- */

static void test_dist_names(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int ok;
        enum rng_dist d;
    } cases[] = {
        {"constant", 1, RNG_CONSTANT},
        {"uniform", 1, RNG_UNIFORM},
        {"normal", 1, RNG_NORMAL},
        {"lognormal", 1, RNG_LOGNORMAL},
        {"exponential", 1, RNG_EXPONENTIAL},
        {"", 0, RNG_CONSTANT},
        {"Normal", 0, RNG_CONSTANT},
        {"NORMAL", 0, RNG_CONSTANT},
        {"norm", 0, RNG_CONSTANT},
        {"normalx", 0, RNG_CONSTANT},
        {"normal ", 0, RNG_CONSTANT},
        {" normal", 0, RNG_CONSTANT},
        {"normal\n", 0, RNG_CONSTANT},
        {"\x01normal", 0, RNG_CONSTANT},
        {"log normal", 0, RNG_CONSTANT},
        {"unknown", 0, RNG_CONSTANT},
        {"exp", 0, RNG_CONSTANT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum rng_dist d = (enum rng_dist)99;
        int rc = rng_dist_parse(cases[i].s, &d);
        if (cases[i].ok) {
            assert_int_equal(rc, 0);
            assert_int_equal(d, cases[i].d);
            assert_string_equal(rng_dist_name(d), cases[i].s);
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(d, 99); /* untouched */
        }
    }
    /* A name with a NUL inside is just its prefix to C; "normal\0x" parses as "normal". */
    enum rng_dist d;
    assert_int_equal(rng_dist_parse("normal\0x", &d), 0);
    assert_int_equal(d, RNG_NORMAL);
    assert_int_equal(rng_dist_parse(NULL, &d), -1);
    assert_string_equal(rng_dist_name((enum rng_dist)5), "unknown");
    assert_string_equal(rng_dist_name((enum rng_dist) - 1), "unknown");
}

/* --- rng_draw ------------------------------------------------------------------------ */

typedef struct draw_case {
    enum rng_dist dist;
    double mean, stddev;
} draw_case;

static double draw_case_fn(rng *r, const void *arg)
{
    const draw_case *c = arg;
    return rng_draw(r, c->dist, c->mean, c->stddev);
}

/* Fourth central moment over variance squared (kurtosis) of each distribution. */
static double kurtosis(const draw_case *c)
{
    switch (c->dist) {
    case RNG_UNIFORM: return 9.0 / 5.0;
    case RNG_NORMAL: return 3.0;
    case RNG_EXPONENTIAL: return 9.0;
    case RNG_LOGNORMAL: {
        double w = 1.0 + (c->stddev / c->mean) * (c->stddev / c->mean);
        return w * w * w * w + 2.0 * w * w * w + 3.0 * w * w - 3.0;
    }
    case RNG_CONSTANT: break;
    }
    return 1.0;
}

static void test_draw_moments(void **state)
{
    (void)state;
    static const draw_case cases[] = {
        {RNG_UNIFORM, 100.0, 20.0},  {RNG_UNIFORM, 0.0, 1.0},       {RNG_NORMAL, 20e6, 5e6},
        {RNG_NORMAL, -3.0, 0.5},     {RNG_LOGNORMAL, 30e6, 10e6},   {RNG_LOGNORMAL, 1.0, 0.5},
        {RNG_EXPONENTIAL, 5e6, 0.0}, {RNG_EXPONENTIAL, 2.0, 123.0}, /* stddev ignored: stddev is the mean */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const draw_case *c = &cases[i];
        rng r;
        rng_seed(&r, 100 + i);
        moments m = sample(&r, draw_case_fn, c, N_DRAWS);
        double sd = c->dist == RNG_EXPONENTIAL ? c->mean : c->stddev;
        double var = sd * sd;
        check_moments(&m, c->mean, var, kurtosis(c) * var * var, N_DRAWS);
        if (c->dist == RNG_UNIFORM) {
            double h = sqrt(3.0) * c->stddev;
            assert_true(m.min >= c->mean - h && m.max <= c->mean + h);
            assert_true(m.min < c->mean - 0.999 * h && m.max > c->mean + 0.999 * h);
        }
        if (c->dist == RNG_LOGNORMAL || c->dist == RNG_EXPONENTIAL)
            assert_true(m.min >= 0.0);
    }
}

static void test_draw_degenerate(void **state)
{
    (void)state;
    rng r, before;
    rng_seed(&r, 5);
    before = r;
    assert_true(rng_draw(&r, RNG_CONSTANT, 7.5, 3.0) == 7.5);
    assert_true(rng_draw(&r, RNG_LOGNORMAL, 0.0, 3.0) == 0.0);
    assert_true(rng_draw(&r, RNG_LOGNORMAL, -1.0, 3.0) == -1.0);
    assert_true(rng_draw(&r, RNG_LOGNORMAL, 4.0, 0.0) == 4.0);
    assert_memory_equal(r.s, before.s, sizeof r.s); /* none of them drew */
    assert_true(rng_draw(&r, RNG_NORMAL, 4.0, 0.0) == 4.0);
    assert_true(rng_draw(&r, RNG_UNIFORM, 4.0, 0.0) == 4.0);
    assert_true(rng_draw(&r, RNG_EXPONENTIAL, 0.0, 1.0) == 0.0);
    assert_true(rng_draw(&r, (enum rng_dist)42, 9.0, 1.0) == 9.0);
}

/* rng_os_bytes fills exactly what is asked (0, 1 and more than getrandom's 256-byte atomic
 * size), and two draws differ. */
static void test_os_bytes(void **state)
{
    (void)state;
    unsigned char a[1000], b[1000];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    assert_int_equal(rng_os_bytes(a, 0), 0);
    assert_int_equal(rng_os_bytes(a, 1), 0);
    assert_int_equal(rng_os_bytes(a, sizeof a), 0);
    assert_int_equal(rng_os_bytes(b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    size_t zeros = 0; /* all 1000 bytes written: about 4 of them are 0 by chance, not 1000 */
    for (size_t i = 0; i < sizeof a; i++)
        zeros += a[i] == 0;
    assert_true(zeros < 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splitmix_reference),
        cmocka_unit_test(test_xoshiro_reference),
        cmocka_unit_test(test_seeded_reference),
        cmocka_unit_test(test_same_seed_same_stream),
        cmocka_unit_test(test_different_seeds_differ),
        cmocka_unit_test(test_seed_os),
        cmocka_unit_test(test_unit),
        cmocka_unit_test(test_unit_extremes),
        cmocka_unit_test(test_normal),
        cmocka_unit_test(test_exp),
        cmocka_unit_test(test_below_chi_square),
        cmocka_unit_test(test_below_bounds),
        cmocka_unit_test(test_below_no_modulo_bias),
        cmocka_unit_test(test_dist_names),
        cmocka_unit_test(test_draw_moments),
        cmocka_unit_test(test_draw_degenerate),
        cmocka_unit_test(test_os_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
