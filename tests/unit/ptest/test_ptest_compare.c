/* test_ptest_compare.c - the Mann-Whitney U test on histograms against values computed
 * by hand (ranks with ties, normal approximation with tie and continuity correction, as
 * scipy.stats.mannwhitneyu(method="asymptotic") does), the proportions test, and the
 * verdict rules (significant AND material). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "hist.h"
#include "ptest/verdict/compare.h"

static hist *make_hist(const uint64_t *v, size_t n)
{
    hist *h = NULL;
    assert_int_equal(hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &h), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(hist_record(h, v[i]), 0);
    return h;
}

typedef struct mw_case {
    uint64_t a[8], b[8];
    size_t na, nb;
    double u, z, p;
} mw_case;

static const mw_case mw_cases[] = {
    /* Complete separation, no ties. */
    {{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}, 5, 5, 25.0, 2.5067182457620487, 0.012185780355344818},
    /* Ties across the samples. */
    {{1, 1, 2, 2, 3}, {2, 3, 3, 4, 4}, 5, 5, 22.0, 1.9397372618891686, 0.05241162867102868},
    /* U exactly at its mean. */
    {{5, 5, 5, 7}, {5, 5, 6}, 4, 3, 6.0, 0.0, 1.0},
    /* Reversed: b smaller. */
    {{6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}, 5, 5, 0.0, -2.5067182457620487, 0.012185780355344818},
};

static void test_mann_whitney_known(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(mw_cases) / sizeof(mw_cases[0]); i++) {
        const mw_case *c = &mw_cases[i];
        hist *a = make_hist(c->a, c->na), *b = make_hist(c->b, c->nb);
        compare_mw r;
        assert_int_equal(compare_mann_whitney(a, b, &r), 0);
        if (fabs(r.u - c->u) > 1e-9 || fabs(r.z - c->z) > 1e-9 || fabs(r.p - c->p) > 1e-9)
            fail_msg("case %zu: u %g z %g p %g", i, r.u, r.z, r.p);
        assert_true(fabs(r.a12 - c->u / (double)(c->na * c->nb)) < 1e-12);
        hist_destroy(a);
        hist_destroy(b);
    }
}

static void test_mann_whitney_edges(void **state)
{
    (void)state;
    uint64_t one[] = {100};
    hist *a = make_hist(one, 1), *empty = make_hist(NULL, 0);
    compare_mw r;
    assert_int_equal(compare_mann_whitney(a, empty, &r), HIST_EINVAL);
    assert_true(r.p == 1.0);
    assert_int_equal(compare_mann_whitney(empty, a, &r), HIST_EINVAL);
    /* All values in one bucket on both sides: variance 0, no difference. */
    assert_int_equal(compare_mann_whitney(a, a, &r), 0);
    assert_true(r.p == 1.0);
    /* Different layouts. */
    hist *other = NULL;
    assert_int_equal(hist_create(1, 1000000, 2, &other), 0);
    assert_int_equal(hist_record(other, 5), 0);
    assert_int_equal(compare_mann_whitney(a, other, &r), HIST_EINCOMPAT);
    hist_destroy(other);
    /* Huge counts stay finite (values far above 2^32 requests). */
    hist *big = make_hist(NULL, 0), *big2 = make_hist(NULL, 0);
    assert_int_equal(hist_record_n(big, 1000, UINT64_C(1) << 40), 0);
    assert_int_equal(hist_record_n(big2, 1000, UINT64_C(1) << 40), 0);
    assert_int_equal(hist_record_n(big2, 2000, UINT64_C(1) << 30), 0);
    assert_int_equal(compare_mann_whitney(big, big2, &r), 0);
    assert_true(isfinite(r.z) && r.z > 0 && r.p < 1e-6);
    hist_destroy(big);
    hist_destroy(big2);
    hist_destroy(a);
    hist_destroy(empty);
}

/* n values around median m (us), spread deterministic. */
static hist *around(double m, size_t n, uint64_t seed)
{
    hist *h = make_hist(NULL, 0);
    uint64_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        double u = (double)(x >> 11) / 9007199254740992.0;
        assert_int_equal(hist_record(h, (uint64_t)(m * (0.8 + 0.4 * u))), 0);
    }
    return h;
}

static void test_verdicts(void **state)
{
    (void)state;
    static const struct {
        double base_m, cand_m;
        uint64_t base_err, cand_err;
        enum compare_verdict want;
    } cases[] = {
        {10000, 10000, 0, 0, COMPARE_SAME},       /* same distribution (other seed) */
        {10000, 10200, 0, 0, COMPARE_SAME},       /* +2 %: significant with 20k samples, not material */
        {300, 600, 0, 0, COMPARE_SAME},           /* +100 % but only 0.3 ms */
        {10000, 15000, 0, 0, COMPARE_REGRESSION}, /* +50 % */
        {15000, 10000, 0, 0, COMPARE_IMPROVEMENT},
        {10000, 10000, 0, 400, COMPARE_REGRESSION}, /* errors 0 % -> 2 % */
        {10000, 10000, 400, 0, COMPARE_IMPROVEMENT},
        {10000, 10000, 20, 25, COMPARE_SAME},       /* 0.1 % -> 0.125 % */
        {15000, 10000, 0, 400, COMPARE_REGRESSION}, /* regression wins over improvement */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hist *a = around(cases[i].base_m, 20000, 1), *b = around(cases[i].cand_m, 20000, 2);
        compare_label c;
        compare_label_run(a, 20000, cases[i].base_err, b, 20000, cases[i].cand_err, &c);
        if (c.verdict != cases[i].want)
            fail_msg("case %zu: %s (p %g, p50 %g -> %g)", i, compare_verdict_name(c.verdict), c.mw.p, c.base[0],
                     c.cand[0]);
        hist_destroy(a);
        hist_destroy(b);
    }
    /* Empty sides: no verdict, no NaN trouble. */
    hist *e = make_hist(NULL, 0);
    compare_label c;
    compare_label_run(e, 0, 0, e, 0, 0, &c);
    assert_int_equal(c.verdict, COMPARE_SAME);
    assert_int_equal(c.mw_rc, HIST_EINVAL);
    hist_destroy(e);
}

static void test_proportions(void **state)
{
    (void)state;
    double z;
    /* 10/100 vs 20/100: pooled 0.15, se = sqrt(.15*.85*.02) */
    double p = compare_proportions(10, 100, 20, 100, &z);
    double want_z = 0.1 / sqrt(0.15 * 0.85 * 0.02);
    assert_true(fabs(z - want_z) < 1e-12);
    assert_true(fabs(p - erfc(want_z / sqrt(2.0))) < 1e-12);
    assert_true(compare_proportions(0, 100, 0, 100, &z) == 1.0);
    assert_true(compare_proportions(100, 100, 100, 100, &z) == 1.0);
    assert_true(compare_proportions(1, 0, 1, 10, &z) == 1.0);
    assert_string_equal(compare_verdict_name(COMPARE_SAME), "no significant change");
    assert_string_equal(compare_verdict_name(COMPARE_REGRESSION), "regression");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mann_whitney_known),
        cmocka_unit_test(test_mann_whitney_edges),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_proportions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
