/* test_hist.c - lib/hdr: layout, recording and clamping, percentiles against a sorted array,
 * statistics, merge, iteration, V2 encoding (known bytes, round trips, corrupt input). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "tests/unit/guard.h"

#include "hist.h"

/* ---------------------------------------------------------------- helpers ----------- */

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

static double rng_unit(void) /* [0, 1) */
{
    return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static hist *ptest_hist(void)
{
    hist *h = NULL;
    assert_int_equal(hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &h), 0);
    return h;
}

static void assert_same_hist(const hist *a, const hist *b)
{
    assert_int_equal(a->lowest, b->lowest);
    assert_int_equal(a->highest, b->highest);
    assert_int_equal(a->sig_figs, b->sig_figs);
    assert_int_equal(a->counts_len, b->counts_len);
    assert_int_equal(a->total_count, b->total_count);
    assert_memory_equal(a->counts, b->counts, a->counts_len * sizeof(uint64_t));
    assert_int_equal(hist_min(a), hist_min(b));
    assert_int_equal(hist_max(a), hist_max(b));
}

static int decode_guarded(const uint8_t *data, size_t len, hist **out)
{
    guarded g;
    guard_copy(&g, data, len);
    int rc = hist_decode(g.p, len, out);
    guard_fini(&g);
    return rc;
}

/* ---------------------------------------------------------------- configuration ----- */

static void test_config_table(void **state)
{
    (void)state;
    /* counts_len values agree with hdr-histogram-js 3.0.1's countsArrayLength where it can
     * represent the range (up to 2^53 - 1). */
    static const struct {
        uint64_t lowest, highest;
        int sig;
        int rc;
        size_t counts_len;
        int32_t sub_bucket_count;
    } t[] = {
        {1, 3600000000u, 3, 0, 23552, 2048}, /* ptest */
        {1, 2, 0, 0, 3, 2},                  /* 0..1 in bucket 0, 2 needs a second one */
        {1, 2, 3, 0, 2048, 2048},            /* bucket_count 1: (1 + 1) * 1024 */
        {1, 2047, 3, 0, 2048, 2048},
        {1, 2048, 3, 0, 3072, 2048},
        {1000, 3600000000u, 3, 0, 14336, 2048}, /* unit magnitude 9 */
        {1, (uint64_t)INT64_MAX, 3, 0, 55296, 2048},
        {1, (uint64_t)INT64_MAX, 5, 0, 6160384, 262144},
        {1, UINT64_C(9007199254740991), 3, 0, 45056, 2048},
        {1, 100, 1, 0, 64, 32},
        {0, 100, 3, HIST_EINVAL, 0, 0}, /* lowest 0 */
        {10, 19, 3, HIST_EINVAL, 0, 0}, /* highest < 2 * lowest */
        {10, 20, 3, 0, 2048, 2048},
        {1, 100, 6, HIST_EINVAL, 0, 0}, /* too many digits */
        {1, 100, -1, HIST_EINVAL, 0, 0},
        {1, (uint64_t)INT64_MAX + 1, 3, HIST_EINVAL, 0, 0},
        {1, UINT64_MAX, 3, HIST_EINVAL, 0, 0},
        {UINT64_C(1) << 52, UINT64_C(1) << 62, 3, HIST_EINVAL, 0, 0}, /* 52 + 10 > 61 */
        {UINT64_C(1) << 51, UINT64_C(1) << 62, 3, 0, 2048 + 1024, 2048},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        hist h;
        int rc = hist_init(&h, t[i].lowest, t[i].highest, t[i].sig);
        if (rc != t[i].rc)
            fail_msg("case %zu: rc %d, want %d", i, rc, t[i].rc);
        if (rc == 0) {
            if (h.counts_len != t[i].counts_len)
                fail_msg("case %zu: counts_len %zu, want %zu", i, h.counts_len, t[i].counts_len);
            assert_int_equal(h.sub_bucket_count, t[i].sub_bucket_count);
            /* highest must be inside the array */
            assert_true(hist_count_at_value(&h, h.highest) == 0);
            assert_int_equal(hist_record(&h, h.highest), 0);
            assert_int_equal(hist_count_at_value(&h, h.highest), 1);
            assert_int_equal(h.clamped, 0);
        } else {
            assert_null(h.counts);
        }
        hist_fini(&h);
        hist_fini(&h); /* idempotent */
    }
    hist_destroy(NULL);
}

static void test_equivalent_ranges(void **state)
{
    (void)state;
    hist *h = ptest_hist();
    static const struct {
        uint64_t v, lo, hi;
    } t[] = {
        {0, 0, 0},
        {1, 1, 1},
        {1000, 1000, 1000},
        {2047, 2047, 2047},
        {2048, 2048, 2049},
        {2049, 2048, 2049},
        {4095, 4094, 4095},
        {4096, 4096, 4099},
        {1000000, 999936, 1000447},
        {3600000000u, 3598712832u, 3600809983u},
        {UINT64_MAX, UINT64_MAX - (UINT64_C(1) << 53) + 1, UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_int_equal(hist_lowest_equivalent(h, t[i].v), t[i].lo);
        assert_int_equal(hist_highest_equivalent(h, t[i].v), t[i].hi);
        assert_true(hist_values_equivalent(h, t[i].v, t[i].lo));
        assert_true(hist_values_equivalent(h, t[i].v, t[i].hi));
        uint64_t mid = hist_median_equivalent(h, t[i].v);
        assert_true(mid >= t[i].lo && mid <= t[i].hi);
        if (t[i].hi < UINT64_MAX)
            assert_false(hist_values_equivalent(h, t[i].v, t[i].hi + 1));
    }
    /* the 3-digit promise: every bucket at most 1/1000 of its values wide */
    for (uint64_t v = 1; v < UINT64_C(1) << 40; v = v * 3 + 1) {
        uint64_t w = hist_highest_equivalent(h, v) - hist_lowest_equivalent(h, v) + 1;
        assert_true((double)w <= (double)v / 1000.0 + 1.0);
    }
    assert_int_equal(hist_count_at_value(h, UINT64_MAX), 0); /* beyond the array */
    hist_destroy(h);
}

/* ---------------------------------------------------------------- recording --------- */

static void test_record_clamp_and_overflow(void **state)
{
    (void)state;
    hist *h = ptest_hist();
    assert_int_equal(hist_min(h), 0);
    assert_int_equal(hist_max(h), 0);
    assert_int_equal(hist_value_at_percentile(h, 50), 0);
    assert_true(hist_mean(h) == 0.0 && hist_stddev(h) == 0.0);

    assert_int_equal(hist_record_n(h, 5, 0), 0); /* no-op */
    assert_int_equal(h->total_count, 0);
    assert_int_equal(h->min_value, UINT64_MAX);

    static const uint64_t above[] = {3600000001u, 5000000000u, UINT64_MAX};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(hist_record(h, above[i]), 0);
    assert_int_equal(hist_record_n(h, 3600000000u, 2), 0); /* at the limit: not clamped */
    assert_int_equal(h->clamped, 3);
    assert_int_equal(h->total_count, 5);
    assert_int_equal(hist_count_at_value(h, 3600000000u), 5);
    assert_int_equal(hist_max(h), 3600809983u);
    assert_int_equal(hist_min(h), 3598712832u);

    assert_int_equal(hist_record(h, 0), 0);
    assert_int_equal(hist_min(h), 0);
    assert_int_equal(hist_value_at_percentile(h, 0), 0);

    /* the total never wraps: a refused record changes nothing */
    assert_int_equal(hist_record_n(h, 7, UINT64_MAX - 6), 0);
    assert_int_equal(h->total_count, UINT64_MAX);
    assert_int_equal(hist_record(h, 9), HIST_EOVERFLOW);
    assert_int_equal(hist_record_n(h, 1, UINT64_MAX), HIST_EOVERFLOW);
    assert_int_equal(h->total_count, UINT64_MAX);
    assert_int_equal(hist_count_at_value(h, 9), 0);

    hist_reset(h);
    assert_int_equal(h->total_count, 0);
    assert_int_equal(h->clamped, 0);
    assert_int_equal(hist_max(h), 0);
    hist_iter it;
    hist_iter_init(&it, h);
    assert_false(hist_iter_next(&it));
    hist_destroy(h);
}

/* ---------------------------------------------------------------- percentiles ------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

enum dist { D_UNIFORM, D_EXPONENTIAL, D_LOGNORMAL, D_CONSTANT, D_BIMODAL, D_SMALL, D_EDGES };

static uint64_t draw(enum dist d, size_t i)
{
    static const uint64_t edges[] = {0, 1, 2047, 2048, 2049, 4095, 4096, 999999, 3600000000u};
    switch (d) {
    case D_UNIFORM: return 1 + rng_next() % 1000000;
    case D_EXPONENTIAL: return (uint64_t)(-20000.0 * log(1.0 - rng_unit()));
    case D_LOGNORMAL: {
        double u1 = rng_unit(), u2 = rng_unit();
        double z = sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
        double v = exp(9.9 + 1.5 * z);
        return v > 3.6e9 ? 3600000000u : (uint64_t)v;
    }
    case D_CONSTANT: return 20000;
    case D_BIMODAL: return rng_next() % 10 ? 800 + rng_next() % 400 : 250000 + rng_next() % 50000;
    case D_SMALL: return rng_next() % 3000; /* many exact (unit-width) buckets */
    case D_EDGES: return edges[i % (sizeof(edges) / sizeof(edges[0]))];
    }
    return 0;
}

/* Percentiles as per-mille of a percent, so the brute-force rank is exact integer math:
 * rank = ceil(p * N / 100) = ceil(pm * N / 100000), at least 1. */
static const uint64_t permille[] = {0,     1,     100,   1000,  10000, 25000, 50000, 75000,
                                    90000, 95000, 99000, 99900, 99990, 99999, 100000};

static void check_against_sorted(const hist *h, uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    for (size_t i = 0; i < sizeof(permille) / sizeof(permille[0]); i++) {
        uint64_t pm = permille[i];
        uint64_t rank = (pm * n + 99999) / 100000;
        if (rank < 1)
            rank = 1;
        uint64_t truth = v[rank - 1];
        uint64_t got = hist_value_at_percentile(h, (double)pm / 1000.0);
        uint64_t want = pm == 0 ? hist_lowest_equivalent(h, truth) : hist_highest_equivalent(h, truth);
        if (got != want)
            fail_msg("n=%zu p=%.3f: got %llu, want %llu (truth %llu)", n, (double)pm / 1000.0, (unsigned long long)got,
                     (unsigned long long)want, (unsigned long long)truth);
        /* within the 3-significant-digit resolution of the true order statistic */
        double err = fabs((double)got - (double)truth);
        assert_true(err <= (double)truth / 1000.0 + 0.5);
    }
    assert_int_equal(hist_min(h), hist_lowest_equivalent(h, v[0]));
    assert_int_equal(hist_max(h), hist_highest_equivalent(h, v[n - 1]));

    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)v[i];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        sq += ((double)v[i] - mean) * ((double)v[i] - mean);
    double sd = sqrt(sq / (double)n);
    double m = hist_mean(h), s = hist_stddev(h);
    assert_true(fabs(m - mean) <= mean / 1000.0 + 0.5);
    assert_true(fabs(s - sd) <= (sd + mean) / 1000.0 + 0.5);
}

static void test_percentiles_vs_sorted(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 3, 7, 10, 100, 999, 1000, 1001, 100000};
    uint64_t *v = malloc(100000 * sizeof(*v));
    assert_non_null(v);
    for (int d = D_UNIFORM; d <= D_EDGES; d++) {
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
            hist *h = ptest_hist();
            size_t n = sizes[k];
            for (size_t i = 0; i < n; i++) {
                v[i] = draw((enum dist)d, i);
                assert_int_equal(hist_record(h, v[i]), 0);
            }
            assert_int_equal(h->total_count, n);
            check_against_sorted(h, v, n);
            hist_destroy(h);
        }
    }
    free(v);
}

static void test_percentile_rounding(void **state)
{
    (void)state;
    hist *h = ptest_hist();
    for (uint64_t i = 1; i <= 1000; i++)
        hist_record(h, i);
    /* (99.9 / 100) * 1000 == 999.0000000000001 in doubles: the "- ulp" rule keeps rank 999 */
    assert_int_equal(hist_value_at_percentile(h, 99.9), 999);
    assert_int_equal(hist_value_at_percentile(h, 50), 500);
    assert_int_equal(hist_value_at_percentile(h, 100), 1000);
    assert_int_equal(hist_value_at_percentile(h, 250), 1000); /* clamped to 100 */
    assert_int_equal(hist_value_at_percentile(h, 0), 1);
    assert_int_equal(hist_value_at_percentile(h, -5), 1);  /* clamped to 0 */
    assert_int_equal(hist_value_at_percentile(h, NAN), 1); /* NaN counts as 0 */
    assert_int_equal(hist_value_at_percentile(h, INFINITY), 1000);
    assert_int_equal(hist_value_at_percentile(h, 1e-300), 1); /* rank 1 at least */
    hist_destroy(h);

    /* p == 0 gives the lowest, p > 0 the highest equivalent value of the bucket */
    h = ptest_hist();
    hist_record(h, 1000000);
    assert_int_equal(hist_value_at_percentile(h, 0), 999936);
    assert_int_equal(hist_value_at_percentile(h, 1e-9), 1000447);
    hist_destroy(h);
}

/* Mean and stddev follow hdr-histogram-js to the last bit (same medians, same order). The
 * expected doubles were printed by hdr-histogram-js 3.0.1 for the same recording. */
static void test_mean_stddev_reference(void **state)
{
    (void)state;
    hist *h = ptest_hist();
    static const uint64_t vals[] = {1, 2, 2, 3000, 1000000, 1000000, 1000000, 3600000000u};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        hist_record(h, vals[i]);
    hist_record_n(h, 20000, 300);
    assert_true(hist_mean(h) == 11716777.24025974);
    assert_true(hist_stddev(h) == 204780546.07915375);
    assert_int_equal(hist_value_at_percentile(h, 50), 20015);
    assert_int_equal(hist_value_at_percentile(h, 99), 1000447);
    assert_int_equal(hist_value_at_percentile(h, 99.9), 3600809983u);
    hist_destroy(h);
}

/* ---------------------------------------------------------------- merge, iteration -- */

static void test_merge_equals_union(void **state)
{
    (void)state;
    hist *a = ptest_hist(), *b = ptest_hist(), *u = ptest_hist();
    for (int i = 0; i < 50000; i++) {
        uint64_t x = draw(D_LOGNORMAL, 0), y = draw(D_BIMODAL, 0);
        hist_record(a, x);
        hist_record(b, y);
        hist_record(u, x);
        hist_record(u, y);
    }
    hist_record(b, 9000000000u); /* clamped in b and in u */
    hist_record(u, 9000000000u);
    assert_int_equal(hist_add(a, b), 0);
    assert_same_hist(a, u);
    assert_int_equal(a->clamped, 1);
    for (int p = 0; p <= 100; p += 5)
        assert_int_equal(hist_value_at_percentile(a, p), hist_value_at_percentile(u, p));
    assert_true(hist_mean(a) == hist_mean(u));

    /* merging an empty histogram changes nothing; into an empty one copies */
    hist *e = ptest_hist();
    assert_int_equal(hist_add(a, e), 0);
    assert_same_hist(a, u);
    assert_int_equal(hist_add(e, u), 0);
    assert_same_hist(e, u);

    /* self-merge doubles */
    assert_int_equal(hist_add(e, e), 0);
    assert_int_equal(e->total_count, 2 * u->total_count);
    assert_int_equal(e->clamped, 2);
    for (size_t i = 0; i < u->counts_len; i++)
        assert_int_equal(e->counts[i], 2 * u->counts[i]);
    hist_destroy(a);
    hist_destroy(b);
    hist_destroy(u);
    hist_destroy(e);
}

static void test_merge_errors_and_ranges(void **state)
{
    (void)state;
    hist *a = ptest_hist(), *b = NULL, *small = NULL;
    assert_int_equal(hist_create(1, 3600000000u, 2, &b), 0); /* different digits */
    hist_record(a, 5);
    hist_record(b, 5);
    assert_int_equal(hist_add(a, b), HIST_EINCOMPAT);
    assert_int_equal(a->total_count, 1);
    hist_destroy(b);
    assert_int_equal(hist_create(2, 3600000000u, 3, &b), 0); /* different unit magnitude */
    assert_int_equal(hist_add(a, b), HIST_EINCOMPAT);
    hist_destroy(b);

    /* same layout, smaller range: values above dst->highest are clamped and counted */
    assert_int_equal(hist_create(1, 100000, 3, &small), 0);
    hist_record_n(a, 3000000, 4);
    hist_record(a, 100000);
    assert_int_equal(hist_add(small, a), 0);
    assert_int_equal(small->total_count, 6);
    assert_int_equal(small->clamped, 4);
    assert_int_equal(hist_count_at_value(small, 100000), 5);
    assert_int_equal(hist_max(small), hist_highest_equivalent(small, 100000));
    assert_int_equal(hist_min(small), 5);
    /* and a larger range takes everything exactly */
    hist *big = NULL;
    assert_int_equal(hist_create(1, (uint64_t)INT64_MAX, 3, &big), 0);
    assert_int_equal(hist_add(big, a), 0);
    assert_int_equal(big->clamped, 0);
    assert_int_equal(hist_count_at_value(big, 3000000), 4);
    assert_int_equal(hist_max(big), hist_max(a));

    /* overflow: nothing changes */
    hist_reset(small);
    hist_record_n(small, 10, UINT64_MAX - 2);
    assert_int_equal(hist_add(small, a), HIST_EOVERFLOW);
    assert_int_equal(small->total_count, UINT64_MAX - 2);
    assert_int_equal(hist_count_at_value(small, 5), 0);
    hist_destroy(a);
    hist_destroy(small);
    hist_destroy(big);
}

static void test_iteration(void **state)
{
    (void)state;
    hist *h = ptest_hist();
    static const uint64_t vals[] = {0, 1, 1, 2048, 2049, 5000, 1000000, 3600000000u};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        hist_record(h, vals[i]);
    static const struct {
        uint64_t lo, hi, count;
    } want[] = {
        {0, 0, 1}, {1, 1, 2}, {2048, 2049, 2}, {5000, 5003, 1}, {999936, 1000447, 1}, {3598712832u, 3600809983u, 1}};
    hist_iter it;
    hist_iter_init(&it, h);
    size_t k = 0;
    uint64_t cum = 0;
    while (hist_iter_next(&it)) {
        assert_true(k < sizeof(want) / sizeof(want[0]));
        assert_int_equal(it.lowest, want[k].lo);
        assert_int_equal(it.highest, want[k].hi);
        assert_int_equal(it.count, want[k].count);
        cum += it.count;
        assert_int_equal(it.cumulative, cum);
        k++;
    }
    assert_int_equal(k, sizeof(want) / sizeof(want[0]));
    assert_int_equal(cum, h->total_count);
    assert_false(hist_iter_next(&it)); /* stays at the end */
    hist_destroy(h);
}

/* ---------------------------------------------------------------- encoding ---------- */

static void round_trip(const hist *h)
{
    for (int compressed = 0; compressed < 2; compressed++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        int rc = compressed ? hist_encode_compressed(h, &buf, &len) : hist_encode(h, &buf, &len);
        assert_int_equal(rc, 0);
        hist *d = NULL;
        assert_int_equal(decode_guarded(buf, len, &d), 0);
        assert_same_hist(h, d);
        assert_int_equal(hist_value_at_percentile(d, 99.9), hist_value_at_percentile(h, 99.9));
        assert_int_equal(d->clamped, 0); /* not part of the format */
        hist_destroy(d);
        free(buf);
    }
}

static void test_encode_round_trips(void **state)
{
    (void)state;
    hist *h = ptest_hist();
    round_trip(h); /* empty */
    hist_record(h, 42);
    round_trip(h); /* single value */
    hist_reset(h);
    hist_record(h, HIST_PTEST_HIGHEST);
    round_trip(h); /* max value */
    hist_record_n(h, 7000000000u, 3);
    round_trip(h); /* clamped values */
    hist_reset(h);
    hist_record(h, 0);
    round_trip(h); /* zero */
    hist_reset(h);
    for (int i = 0; i < 1000000; i++)
        hist_record(h, draw(i % 2 ? D_LOGNORMAL : D_EXPONENTIAL, 0));
    round_trip(h); /* 1e6 random values */
    hist_reset(h);
    hist_record_n(h, 77, (uint64_t)INT64_MAX); /* the largest encodable count: a 9-byte word */
    round_trip(h);
    hist_record(h, 1); /* sum beyond INT64_MAX is fine, one count beyond is not */
    round_trip(h);
    hist_record_n(h, 77, 1);
    uint8_t *buf = NULL;
    size_t len;
    assert_int_equal(hist_encode(h, &buf, &len), HIST_EINVAL);
    assert_int_equal(hist_encode_compressed(h, &buf, &len), HIST_EINVAL);
    hist_destroy(h);

    /* other configurations */
    static const struct {
        uint64_t lowest, highest;
        int sig;
    } cfg[] = {{1, 2, 0}, {1, 1000, 1}, {1000, 3600000000u, 3}, {1, (uint64_t)INT64_MAX, 2}, {1, 86400000000u, 4}};
    for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
        assert_int_equal(hist_create(cfg[i].lowest, cfg[i].highest, cfg[i].sig, &h), 0);
        for (int k = 0; k < 5000; k++)
            hist_record(h, rng_next() % (cfg[i].highest + 1));
        round_trip(h);
        hist_destroy(h);
    }
}

/* Builds a V2 header by hand. */
static size_t make_header(uint8_t *p, uint32_t cookie, uint32_t plen, uint32_t offset, uint32_t sig, uint64_t lowest,
                          uint64_t highest, uint64_t ratio_bits)
{
    uint64_t f[3] = {lowest, highest, ratio_bits};
    uint32_t w[4] = {cookie, plen, offset, sig};
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 4; b++)
            p[i * 4 + b] = (uint8_t)(w[i] >> (24 - 8 * b));
    for (int i = 0; i < 3; i++)
        for (int b = 0; b < 8; b++)
            p[16 + i * 8 + b] = (uint8_t)(f[i] >> (56 - 8 * b));
    return 40;
}

#define RATIO_1 UINT64_C(0x3FF0000000000000)

static void test_encode_known_bytes(void **state)
{
    (void)state;
    hist *h = ptest_hist();
    hist_record(h, 1);
    hist_record(h, 10);
    hist_record_n(h, 11, 300);
    uint8_t *buf = NULL;
    size_t len;
    assert_int_equal(hist_encode(h, &buf, &len), 0);
    uint8_t want[64];
    size_t n = make_header(want, 0x1c849313, 6, 0, 3, 1, 3600000000u, RATIO_1);
    /* slot 0 empty (single zero = 0), slot 1 = 1, slots 2..9 empty (-8 -> 15), slot 10 = 1,
     * slot 11 = 300 (ZigZag 600 = 0x258 -> LEB128 d8 04) */
    static const uint8_t payload[] = {0x00, 0x02, 0x0f, 0x02, 0xd8, 0x04};
    memcpy(want + n, payload, sizeof(payload));
    assert_int_equal(len, n + sizeof(payload));
    assert_memory_equal(buf, want, len);
    free(buf);

    /* empty: one zero word, like the reference */
    hist_reset(h);
    assert_int_equal(hist_encode(h, &buf, &len), 0);
    assert_int_equal(len, 41);
    assert_int_equal(buf[3], 0x13);
    assert_int_equal(buf[7], 1);
    assert_int_equal(buf[40], 0);
    free(buf);

    /* compressed wrapper: cookie, length, zlib stream of the above */
    assert_int_equal(hist_encode_compressed(h, &buf, &len), 0);
    static const uint8_t cookie[] = {0x1c, 0x84, 0x93, 0x14};
    assert_memory_equal(buf, cookie, 4);
    uint32_t clen = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
    assert_int_equal(clen, len - 8);
    uint8_t raw[64];
    uLongf rawlen = sizeof(raw);
    assert_int_equal(uncompress(raw, &rawlen, buf + 8, clen), Z_OK);
    assert_int_equal(rawlen, 41);
    free(buf);

    /* a count of INT64_MAX is the 9-byte word fe ff ff ff ff ff ff ff ff */
    hist_record_n(h, 0, (uint64_t)INT64_MAX);
    assert_int_equal(hist_encode(h, &buf, &len), 0);
    assert_int_equal(len, 49);
    assert_int_equal(buf[40], 0xfe);
    for (int i = 41; i < 49; i++)
        assert_int_equal(buf[i], 0xff);
    free(buf);
    hist_destroy(h);
}

/* Encoded by hdr-histogram-js 3.0.1 (encodeIntoCompressedBase64) for the recording of
 * test_mean_stddev_reference, decoded from base64 here by hand to stay independent of
 * lib/base64. Its header carries normalizing offset 1 and an int64 1 as conversion ratio. */
static const uint8_t js_compressed[] = {
    0x1c, 0x84, 0x93, 0x14, 0x00, 0x00, 0x00, 0x34, 0x78, 0x9c, 0x93, 0x69, 0x99, 0x2c, 0xcc,
    0xc0, 0xc0, 0x20, 0xc8, 0xc0, 0xc0, 0xc0, 0xc8, 0xc0, 0xc0, 0xc0, 0xcc, 0x00, 0x01, 0x20,
    0x36, 0xc3, 0xb5, 0xc9, 0x4b, 0x18, 0xe0, 0x7c, 0x26, 0x96, 0x8d, 0xea, 0x4c, 0x9d, 0x3a,
    0x37, 0x58, 0x7e, 0x47, 0xb1, 0x2d, 0xde, 0xc3, 0xc8, 0x04, 0x00, 0xae, 0x07, 0x08, 0x99,
};

static void test_decode_reference_encoding(void **state)
{
    (void)state;
    hist *d = NULL;
    assert_int_equal(decode_guarded(js_compressed, sizeof(js_compressed), &d), 0);
    hist *h = ptest_hist();
    static const uint64_t vals[] = {1, 2, 2, 3000, 1000000, 1000000, 1000000, 3600000000u};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        hist_record(h, vals[i]);
    hist_record_n(h, 20000, 300);
    assert_same_hist(h, d);
    assert_true(d->conversion_ratio == 1.0);
    assert_true(hist_mean(d) == 11716777.24025974);
    hist_destroy(d);
    hist_destroy(h);
}

static void test_decode_rejects(void **state)
{
    (void)state;
    uint8_t buf[128];
    static const uint8_t ok_payload[] = {0x00, 0x02};
    static const struct {
        const char *name;
        uint32_t cookie, plen, offset, sig;
        uint64_t lowest, highest, ratio;
        const uint8_t *payload;
        size_t payload_len;
        int rc;
    } t[] = {
        {"valid", 0x1c849313, 2, 0, 3, 1, 3600000000u, RATIO_1, ok_payload, 2, 0},
        {"cookie without word-size bits", 0x1c849303, 2, 0, 3, 1, 1000, RATIO_1, ok_payload, 2, 0},
        {"JS header fields", 0x1c849313, 2, 1, 3, 1, 1000, 1, ok_payload, 2, 0},
        {"V1 cookie", 0x1c849301, 2, 0, 3, 1, 1000, RATIO_1, ok_payload, 2, HIST_ECOOKIE},
        {"V0 cookie", 0x1c849308, 2, 0, 3, 1, 1000, RATIO_1, ok_payload, 2, HIST_ECOOKIE},
        {"junk cookie", 0xdeadbeef, 2, 0, 3, 1, 1000, RATIO_1, ok_payload, 2, HIST_ECOOKIE},
        {"payload longer than data", 0x1c849313, 3, 0, 3, 1, 1000, RATIO_1, ok_payload, 2, HIST_ECORRUPT},
        {"payload shorter than data", 0x1c849313, 1, 0, 3, 1, 1000, RATIO_1, ok_payload, 2, HIST_ECORRUPT},
        {"huge payload length", 0x1c849313, 0xffffffff, 0, 3, 1, 1000, RATIO_1, ok_payload, 2, HIST_ECORRUPT},
        {"sig 6", 0x1c849313, 2, 0, 6, 1, 1000, RATIO_1, ok_payload, 2, HIST_EINVAL},
        {"sig negative", 0x1c849313, 2, 0, 0xffffffff, 1, 1000, RATIO_1, ok_payload, 2, HIST_EINVAL},
        {"lowest 0", 0x1c849313, 2, 0, 3, 0, 1000, RATIO_1, ok_payload, 2, HIST_EINVAL},
        {"highest < 2*lowest", 0x1c849313, 2, 0, 3, 600, 1000, RATIO_1, ok_payload, 2, HIST_EINVAL},
        {"highest negative", 0x1c849313, 2, 0, 3, 1, UINT64_C(1) << 63, RATIO_1, ok_payload, 2, HIST_EINVAL},
        {"truncated varint", 0x1c849313, 2, 0, 3, 1, 1000, RATIO_1, (const uint8_t *)"\x02\x80", 2, HIST_ECORRUPT},
        {"truncated 9-byte varint", 0x1c849313, 8, 0, 3, 1, 1000, RATIO_1,
         (const uint8_t *)"\xfe\xff\xff\xff\xff\xff\xff\xff", 8, HIST_ECORRUPT},
        {"zero run past the end", 0x1c849313, 2, 0, 3, 1, 1000, RATIO_1, (const uint8_t *)"\xff\x7f", 2, HIST_ECORRUPT},
        {"zero run of 2^63", 0x1c849313, 9, 0, 3, 1, 1000, RATIO_1,
         (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9, HIST_ECORRUPT},
        {"counts past the end", 0x1c849313, 4, 0, 0, 1, 2, RATIO_1, (const uint8_t *)"\x02\x02\x02\x02", 4,
         HIST_ECORRUPT},
        {"counts sum overflow", 0x1c849313, 27, 0, 3, 1, 1000, RATIO_1,
         (const uint8_t *)"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff\xff\xff\xff\xff\xff"
                          "\xfe\xff\xff\xff\xff\xff\xff\xff\xff",
         27, HIST_EOVERFLOW},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        size_t n =
            make_header(buf, t[i].cookie, t[i].plen, t[i].offset, t[i].sig, t[i].lowest, t[i].highest, t[i].ratio);
        memcpy(buf + n, t[i].payload, t[i].payload_len);
        n += t[i].payload_len;
        hist *d = NULL;
        int rc = decode_guarded(buf, n, &d);
        if (rc != t[i].rc)
            fail_msg("%s: rc %d, want %d", t[i].name, rc, t[i].rc);
        if (rc == 0) {
            assert_int_equal(d->total_count, 1);
            assert_int_equal(hist_count_at_value(d, 1), 1);
            assert_true(d->conversion_ratio == 1.0);
        } else {
            assert_null(d);
        }
        hist_destroy(d);

        /* the same, wrapped in the compressed form */
        uLongf clen = sizeof(buf) - 8;
        uint8_t wrapped[160];
        assert_int_equal(compress2(wrapped + 8, &clen, buf, n, 6), Z_OK);
        wrapped[0] = 0x1c, wrapped[1] = 0x84, wrapped[2] = 0x93, wrapped[3] = 0x14;
        wrapped[4] = (uint8_t)(clen >> 24), wrapped[5] = (uint8_t)(clen >> 16);
        wrapped[6] = (uint8_t)(clen >> 8), wrapped[7] = (uint8_t)clen;
        d = NULL;
        rc = decode_guarded(wrapped, clen + 8, &d);
        if (rc != t[i].rc)
            fail_msg("compressed %s: rc %d, want %d", t[i].name, rc, t[i].rc);
        hist_destroy(d);
    }

    /* short inputs */
    hist *d = NULL;
    assert_int_equal(decode_guarded((const uint8_t *)"", 0, &d), HIST_ECORRUPT);
    assert_int_equal(decode_guarded((const uint8_t *)"\x1c\x84\x93", 3, &d), HIST_ECORRUPT);
    assert_int_equal(decode_guarded((const uint8_t *)"\x1c\x84\x93\x13", 4, &d), HIST_ECORRUPT);
    assert_int_equal(decode_guarded((const uint8_t *)"\x1c\x84\x93\x14\0\0\0", 7, &d), HIST_ECORRUPT);
    assert_null(d);
}

static void test_decode_compressed_framing(void **state)
{
    (void)state;
    hist *h = ptest_hist(), *d = NULL;
    for (int i = 0; i < 2000; i++)
        hist_record(h, draw(D_LOGNORMAL, 0));
    uint8_t *buf = NULL;
    size_t len;
    assert_int_equal(hist_encode_compressed(h, &buf, &len), 0);
    uint8_t *copy = malloc(len + 16);
    assert_non_null(copy);

    /* every truncation fails cleanly (the guard page catches over-reads) */
    for (size_t k = 0; k < len; k++) {
        d = NULL;
        assert_true(decode_guarded(buf, k, &d) < 0);
        assert_null(d);
    }
    /* length field one more / one less than the data, trailing byte after the stream */
    memcpy(copy, buf, len);
    copy[7]++;
    assert_int_equal(decode_guarded(copy, len, &d), HIST_ECORRUPT);
    copy[7] -= 2;
    assert_int_equal(decode_guarded(copy, len, &d), HIST_ECORRUPT);
    memcpy(copy, buf, len);
    copy[len] = 0;
    assert_int_equal(decode_guarded(copy, len + 1, &d), HIST_ECORRUPT);
    /* a stream that inflates to more than header + payload */
    {
        uint8_t *raw = NULL;
        size_t rawlen;
        assert_int_equal(hist_encode(h, &raw, &rawlen), 0);
        uint8_t *big = malloc(rawlen + 1);
        memcpy(big, raw, rawlen);
        big[rawlen] = 0;
        uLongf clen = compressBound((uLong)rawlen + 1);
        uint8_t *w = malloc(clen + 8);
        assert_int_equal(compress2(w + 8, &clen, big, (uLong)rawlen + 1, 6), Z_OK);
        memcpy(w, buf, 4);
        w[4] = (uint8_t)(clen >> 24), w[5] = (uint8_t)(clen >> 16), w[6] = (uint8_t)(clen >> 8);
        w[7] = (uint8_t)clen;
        assert_int_equal(decode_guarded(w, clen + 8, &d), HIST_ECORRUPT);
        /* and a compressed wrapper around a compressed encoding */
        clen = compressBound((uLong)len);
        free(w);
        w = malloc(clen + 8);
        assert_int_equal(compress2(w + 8, &clen, buf, (uLong)len, 6), Z_OK);
        memcpy(w, buf, 4);
        w[4] = (uint8_t)(clen >> 24), w[5] = (uint8_t)(clen >> 16), w[6] = (uint8_t)(clen >> 8);
        w[7] = (uint8_t)clen;
        assert_int_equal(decode_guarded(w, clen + 8, &d), HIST_ECOOKIE);
        free(w);
        free(big);
        free(raw);
    }
    /* not a zlib stream */
    memcpy(copy, buf, len);
    copy[8] ^= 0xff;
    assert_int_equal(decode_guarded(copy, len, &d), HIST_ECORRUPT);
    /* flipping any single bit never crashes; a success still yields a consistent histogram */
    for (size_t k = 0; k < len * 8; k += 3) {
        memcpy(copy, buf, len);
        copy[k / 8] ^= (uint8_t)(1u << (k % 8));
        d = NULL;
        if (decode_guarded(copy, len, &d) == 0) {
            uint64_t sum = 0;
            for (size_t i = 0; i < d->counts_len; i++)
                sum += d->counts[i];
            assert_int_equal(sum, d->total_count);
            hist_destroy(d);
        }
    }
    free(copy);
    free(buf);
    hist_destroy(h);
    assert_string_equal(hist_strerror(HIST_ECOOKIE), "unknown histogram encoding cookie");
    assert_string_equal(hist_strerror(12345), "unknown histogram error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_table),
        cmocka_unit_test(test_equivalent_ranges),
        cmocka_unit_test(test_record_clamp_and_overflow),
        cmocka_unit_test(test_percentiles_vs_sorted),
        cmocka_unit_test(test_percentile_rounding),
        cmocka_unit_test(test_mean_stddev_reference),
        cmocka_unit_test(test_merge_equals_union),
        cmocka_unit_test(test_merge_errors_and_ranges),
        cmocka_unit_test(test_iteration),
        cmocka_unit_test(test_encode_round_trips),
        cmocka_unit_test(test_encode_known_bytes),
        cmocka_unit_test(test_decode_reference_encoding),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_decode_compressed_framing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
