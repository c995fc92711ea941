/* compare.h - baseline vs candidate latency: is the difference real and does it matter?
 *
 * The test is the Mann-Whitney U (Wilcoxon rank-sum) test with the normal approximation and
 * tie correction, computed exactly from two HDR histograms' bucket counts: every bucket is
 * one tied group (values in a bucket are indistinguishable after recording), so the rank sum
 * and the tie term come from one merged pass over the buckets, O(buckets), whatever the
 * number of requests.
 *
 * Significance alone is not enough: with 10^5 requests per side a 0.1 % shift is
 * "significant". A change counts (regression or improvement) only when p < COMPARE_ALPHA and
 * the median or the p95 moved by more than COMPARE_MIN_REL and more than COMPARE_MIN_ABS_US in the
 * same direction as the test's effect. Error rates are compared with a two-proportion z-test
 * and count when p < COMPARE_ALPHA and the rate moved by more than COMPARE_MIN_ERR_PP points.
 * Pure functions; thread-safe.
 */
#ifndef PTEST_COMPARE_H
#define PTEST_COMPARE_H

#include <stdint.h>

#include "hist.h"

#define COMPARE_ALPHA 0.01
#define COMPARE_MIN_REL 0.05
#define COMPARE_MIN_ABS_US 500.0
#define COMPARE_MIN_ERR_PP 0.5

enum compare_verdict { COMPARE_SAME = 0, COMPARE_REGRESSION = 1, COMPARE_IMPROVEMENT = 2 };

typedef struct compare_mw {
    double u;   /* U of the candidate (b) */
    double z;   /* > 0: b tends to be larger (slower) */
    double p;   /* two-sided */
    double a12; /* P(b > a) + P(b == a) / 2: 0.5 = no effect */
} compare_mw;

/* Mann-Whitney U test of a (baseline) vs b (candidate). The histograms must share the bucket
 * layout (HIST_PTEST_*). Returns 0, or HIST_EINCOMPAT when the layouts differ, or HIST_EINVAL
 * when either is empty (*out is then {0, 0, 1, 0.5}). */
int compare_mann_whitney(const hist *a, const hist *b, compare_mw *out);

/* Two-sided p-value of the two-proportion z-test (errors ea of na vs eb of nb); 1 when either
 * side is empty or both rates are 0 or 1. *z > 0 when b's rate is higher. */
double compare_proportions(uint64_t ea, uint64_t na, uint64_t eb, uint64_t nb, double *z);

typedef struct compare_label {
    compare_mw mw;
    int mw_rc;                 /* compare_mann_whitney's return */
    double base[4], cand[4];   /* p50, p95, p99, mean (us) */
    double err_base, err_cand; /* error rates */
    double err_p;
    enum compare_verdict latency, errors, verdict; /* verdict: regression wins over improvement */
} compare_label;

/* Compares one label. a/b may be empty histograms. */
void compare_label_run(const hist *a, uint64_t a_count, uint64_t a_errors, const hist *b, uint64_t b_count,
                       uint64_t b_errors, compare_label *out);

const char *compare_verdict_name(enum compare_verdict v);

#endif
