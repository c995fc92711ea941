/* test_ptest_stats.c - ptest's statistics: recording, per-second handoff, exact merging,
 * the time series, and the handoff under a concurrent collector. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ptest/engine/stats.h"

#define S CLOCK_NS_PER_SEC
#define MS CLOCK_NS_PER_MS
#define US CLOCK_NS_PER_US

static void test_err_names(void **state)
{
    (void)state;
    static const struct {
        int kind;
        const char *name;
        bool response;
    } t[] = {
        {STATS_OK, "ok", true},
        {STATS_ERR_CONNECT_REFUSED, "connect_refused", false},
        {STATS_ERR_CONNECT_TIMEOUT, "connect_timeout", false},
        {STATS_ERR_TIMEOUT, "timeout", false},
        {STATS_ERR_RESET, "reset", false},
        {STATS_ERR_BAD_RESPONSE, "bad_response", false},
        {STATS_ERR_STATUS, "status", true},
        {STATS_ERR_EXPECTATION, "expectation", true},
        {STATS_ERR_LOCAL_LIMIT, "local_limit", false},
        {STATS_ERR_TLS, "tls", false},
        {STATS_ERR_EXTRACT, "extraction", true},
        {STATS_ERR_RENDER, "render", false},
        {STATS_ERR_N, "unknown", false},
        {-1, "unknown", false},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_string_equal(stats_err_name(t[i].kind), t[i].name);
        assert_non_null(stats_err_text(t[i].kind));
        if (t[i].kind >= 0 && t[i].kind < STATS_ERR_N)
            assert_int_equal(stats_err_has_response(t[i].kind), t[i].response);
    }
}

/* One table of records and what the label totals must say afterwards. */
static void test_record_counts(void **state)
{
    (void)state;
    static const struct {
        int kind, status;
        uint64_t lat_ns, svc_ns;
    } rec[] = {
        {STATS_OK, 200, 1 * MS, 900 * US},
        {STATS_OK, 200, 2 * MS, 1 * MS},
        {STATS_OK, 304, 3 * MS, 3 * MS},
        {STATS_ERR_STATUS, 500, 4 * MS, 4 * MS},
        {STATS_ERR_EXPECTATION, 200, 5 * MS, 5 * MS},
        {STATS_ERR_CONNECT_REFUSED, 0, 0, 0},
        {STATS_ERR_TIMEOUT, 0, 30 * S, 30 * S}, /* no latency for transport errors */
        {STATS_ERR_RESET, 0, 1 * MS, 1 * MS},
        {STATS_OK, 99, 1 * MS, 1 * MS}, /* status out of range: not in the map */
        {STATS_OK, 1000, 1 * MS, 1 * MS},
        {STATS_ERR_N + 3, 200, 1 * MS, 1 * MS}, /* unknown kind counts as bad response */
        {STATS_OK, 200, 400, 400},              /* 0.4 us rounds to 0: still recorded */
    };
    stats_thread t;
    assert_int_equal(stats_thread_init(&t, 2, 0), 0);
    for (size_t i = 0; i < sizeof(rec) / sizeof(rec[0]); i++)
        stats_record(&t, 1, 100 * MS, rec[i].kind, rec[i].status, rec[i].lat_ns, rec[i].svc_ns, 10, 5);
    const stats_label *l = &t.labels[1];
    assert_int_equal(l->count, 12);
    assert_int_equal(l->errors, 6);
    assert_int_equal(l->by_kind[STATS_OK], 6);
    assert_int_equal(l->by_kind[STATS_ERR_STATUS], 1);
    assert_int_equal(l->by_kind[STATS_ERR_EXPECTATION], 1);
    assert_int_equal(l->by_kind[STATS_ERR_CONNECT_REFUSED], 1);
    assert_int_equal(l->by_kind[STATS_ERR_TIMEOUT], 1);
    assert_int_equal(l->by_kind[STATS_ERR_RESET], 1);
    assert_int_equal(l->by_kind[STATS_ERR_BAD_RESPONSE], 1);
    assert_int_equal(l->status[200 - STATS_STATUS_MIN], 4);
    assert_int_equal(l->status[304 - STATS_STATUS_MIN], 1);
    assert_int_equal(l->status[500 - STATS_STATUS_MIN], 1);
    assert_int_equal(l->bytes_rx, 120);
    assert_int_equal(l->bytes_tx, 60);
    /* Service time only for the 8 records with a response (bad response has none). */
    assert_int_equal(l->svc.total_count, 8);
    assert_int_equal(hist_max(&l->svc) / 1000, 5); /* 5 ms, never 30 s */
    assert_int_equal(hist_min(&l->svc), 0);
    assert_int_equal(t.cur[1].count, 12);
    assert_int_equal(t.cur[1].errors, 6);
    assert_int_equal(t.cur[1].lat->total_count, 8);
    assert_int_equal(t.labels[0].count, 0);
    stats_thread_fini(&t);
}

/* An attempt the generator's own limit stopped is no request and no error of the target:
 * only by_kind[STATS_ERR_LOCAL_LIMIT] counts it, in the totals and in the published second
 * (a second with nothing else is published too), so error_rate = errors / count and the
 * gate never see it. */
static void test_local_limit_apart(void **state)
{
    (void)state;
    const mono_ns start = 10 * S;
    stats_thread t;
    stats_interval iv;
    assert_int_equal(stats_thread_init(&t, 1, start), 0);
    assert_int_equal(stats_interval_init(&iv, 1), 0);
    stats_record(&t, 0, start + 10 * MS, STATS_OK, 200, 1 * MS, 1 * MS, 10, 5);
    stats_record(&t, 0, start + 20 * MS, STATS_ERR_RESET, 0, 0, 0, 0, 5);
    for (int i = 0; i < 1000; i++)
        stats_record(&t, 0, start + 30 * MS, STATS_ERR_LOCAL_LIMIT, 0, 0, 0, 0, 0);
    const stats_label *l = &t.labels[0];
    assert_int_equal(l->count, 2);
    assert_int_equal(l->errors, 1);
    assert_int_equal(l->by_kind[STATS_ERR_LOCAL_LIMIT], 1000);
    assert_int_equal(l->by_kind[STATS_ERR_RESET], 1);
    assert_int_equal(l->svc.total_count, 1);
    stats_roll(&t, start + 1100 * MS);
    assert_int_equal(stats_collect(&t, UINT64_MAX, &iv, NULL), 0);
    assert_int_equal(iv.total.count, 2);
    assert_int_equal(iv.total.errors, 1);
    assert_int_equal(iv.total.by_kind[STATS_ERR_LOCAL_LIMIT], 1000);
    /* A second with only local-limit attempts is still published. */
    stats_interval_reset(&iv);
    stats_record(&t, 0, start + 1200 * MS, STATS_ERR_LOCAL_LIMIT, 0, 0, 0, 0, 0);
    stats_roll(&t, start + 2100 * MS);
    assert_int_equal(stats_collect(&t, UINT64_MAX, &iv, NULL), 0);
    assert_int_equal(iv.total.count, 0);
    assert_int_equal(iv.total.errors, 0);
    assert_int_equal(iv.total.by_kind[STATS_ERR_LOCAL_LIMIT], 1);
    /* Merged totals keep it apart too. */
    stats_label m;
    assert_int_equal(stats_label_init(&m), 0);
    assert_int_equal(stats_label_merge(&m, l), 0);
    assert_int_equal(m.count, 2);
    assert_int_equal(m.errors, 1);
    assert_int_equal(m.by_kind[STATS_ERR_LOCAL_LIMIT], 1001);
    stats_label_fini(&m);
    stats_interval_fini(&iv);
    stats_thread_fini(&t);
}

/* TLS handshakes: counted and timed per label, apart from the service time, and merged. */
static void test_tls_handshakes(void **state)
{
    (void)state;
    const mono_ns start = 10 * S;
    stats_thread t;
    assert_int_equal(stats_thread_init(&t, 2, start), 0);
    stats_record(&t, 1, start + 10 * MS, STATS_OK, 200, 5 * MS, 1 * MS, 10, 5);
    stats_handshake(&t, 1, 3 * MS, false);
    stats_handshake(&t, 1, 1 * MS, true);
    stats_record(&t, 1, start + 20 * MS, STATS_ERR_TLS, 0, 0, 0, 0, 0);
    const stats_label *l = &t.labels[1];
    assert_int_equal(l->tls_handshakes, 2);
    assert_int_equal(l->tls_resumed, 1);
    assert_int_equal(l->tls_hs.total_count, 2);
    assert_int_equal(hist_max(&l->tls_hs), hist_highest_equivalent(&l->tls_hs, 3000));
    assert_int_equal(l->svc.total_count, 1); /* the handshake is not a service time */
    assert_int_equal(l->errors, 1);          /* a TLS failure is a request error */
    assert_int_equal(l->by_kind[STATS_ERR_TLS], 1);
    assert_int_equal(t.labels[0].tls_handshakes, 0);
    stats_label m;
    assert_int_equal(stats_label_init(&m), 0);
    assert_int_equal(stats_label_merge(&m, l), 0);
    assert_int_equal(stats_label_merge(&m, l), 0);
    assert_int_equal(m.tls_handshakes, 4);
    assert_int_equal(m.tls_resumed, 2);
    assert_int_equal(m.tls_hs.total_count, 4);
    assert_string_equal(stats_err_name(STATS_ERR_TLS), "tls");
    stats_label_fini(&m);
    stats_thread_fini(&t);
}

static void test_roll_and_collect(void **state)
{
    (void)state;
    const mono_ns start = 1000 * S;
    stats_thread t;
    stats_interval iv;
    stats_health h;
    assert_int_equal(stats_thread_init(&t, 2, start), 0);
    assert_int_equal(stats_interval_init(&iv, 2), 0);

    /* Second 0: two of label 0, one error of label 1. */
    stats_record(&t, 0, start + 100 * MS, STATS_OK, 200, 10 * MS, 9 * MS, 0, 0);
    stats_record(&t, 0, start + 900 * MS, STATS_OK, 200, 20 * MS, 19 * MS, 0, 0);
    stats_record(&t, 1, start + 999 * MS, STATS_ERR_RESET, 0, 0, 0, 0, 0);
    stats_connect(&t, 0, STATS_OK);
    stats_connect(&t, 0, STATS_ERR_CONNECT_REFUSED);
    assert_int_equal(t.labels[0].connections, 1);
    /* Nothing is published before the second ends. */
    assert_int_equal(stats_collect(&t, UINT64_MAX, &iv, &h), 0);
    assert_int_equal(iv.total.count, 0);
    assert_int_equal(h.conn_ok, 0);
    stats_roll(&t, start + 999 * MS);
    assert_int_equal(stats_collect(&t, UINT64_MAX, &iv, &h), 0);
    assert_int_equal(iv.total.count, 0);

    /* A record in second 1 publishes second 0 first. */
    stats_record(&t, 0, start + 1500 * MS, STATS_OK, 200, 30 * MS, 29 * MS, 0, 0);
    assert_int_equal(t.sec, 1);
    assert_int_equal(stats_collect(&t, 0, &iv, &h), 0);
    assert_int_equal(iv.labels[0].count, 2);
    assert_int_equal(iv.labels[0].lat->total_count, 2);
    assert_int_equal(iv.labels[1].count, 1);
    assert_int_equal(iv.labels[1].errors, 1);
    assert_int_equal(iv.total.count, 3);
    assert_int_equal(iv.total.errors, 1);
    assert_int_equal(iv.total.lat->total_count, 2);
    assert_int_equal(h.conn_ok, 1);
    assert_int_equal(h.conn_fail, 1);
    assert_int_equal(h.last_fail, STATS_ERR_CONNECT_REFUSED);
    uint64_t p50 = stats_second_pct(&iv.labels[0], 50);
    assert_true(p50 >= 9990 && p50 <= 10010);

    /* Second 1 published by an idle roll at 2.0 s (the 1 s timer); not collected for
     * upto = 0, collected for upto = 1. */
    stats_interval_reset(&iv);
    assert_int_equal(iv.total.count, 0);
    assert_int_equal(iv.total.lat->total_count, 0);
    stats_roll(&t, start + 2 * S);
    assert_int_equal(stats_collect(&t, 0, &iv, NULL), 0);
    assert_int_equal(iv.total.count, 0);
    assert_int_equal(stats_collect(&t, 1, &iv, NULL), 0);
    assert_int_equal(iv.labels[0].count, 1);
    assert_int_equal(iv.total.lat->total_count, 1);
    /* Collected once only. */
    assert_int_equal(stats_collect(&t, UINT64_MAX, &iv, NULL), 0);
    assert_int_equal(iv.labels[0].count, 1);

    /* Skipped seconds: a record at 7.5 s after nothing since 2 s lands in second 7. */
    stats_record(&t, 1, start + 7500 * MS, STATS_OK, 200, 1 * MS, 1 * MS, 0, 0);
    assert_int_equal(t.sec, 7);
    stats_roll_slow(&t, start + 7600 * MS, true); /* end of run: forced */
    stats_interval_reset(&iv);
    assert_int_equal(stats_collect(&t, 6, &iv, NULL), 0);
    assert_int_equal(iv.total.count, 0);
    assert_int_equal(stats_collect(&t, 7, &iv, NULL), 0);
    assert_int_equal(iv.labels[1].count, 1);

    /* Mismatched label counts are refused. */
    stats_interval other;
    assert_int_equal(stats_interval_init(&other, 3), 0);
    assert_int_equal(stats_collect(&t, 7, &other, NULL), HIST_EINVAL);
    assert_int_equal(stats_interval_add(&other, &iv), HIST_EINVAL);
    stats_interval_fini(&other);
    stats_interval_fini(&iv);
    stats_thread_fini(&t);
}

/* When the collector is late, the next second is added to the waiting one: nothing is
 * lost or counted twice, and the owner's histogram is clean afterwards. */
static void test_late_collector(void **state)
{
    (void)state;
    stats_thread t;
    stats_interval iv;
    assert_int_equal(stats_thread_init(&t, 1, 0), 0);
    assert_int_equal(stats_interval_init(&iv, 1), 0);
    for (uint64_t sec = 0; sec < 5; sec++)
        for (int i = 0; i < 10; i++)
            stats_record(&t, 0, sec * S + (uint64_t)i * MS, STATS_OK, 200, (sec + 1) * MS, MS, 0, 0);
    stats_roll_slow(&t, 5 * S, true);
    assert_int_equal(stats_collect(&t, UINT64_MAX, &iv, NULL), 0);
    assert_int_equal(iv.total.count, 50);
    assert_int_equal(iv.labels[0].lat->total_count, 50);
    assert_int_equal(t.cur[0].lat->total_count, 0);
    assert_int_equal(t.cur[0].count, 0);
    assert_int_equal(hist_max(iv.labels[0].lat) / 1000, 5);
    stats_interval_fini(&iv);
    stats_thread_fini(&t);
}

static void test_label_merge_exact(void **state)
{
    (void)state;
    stats_label a, b, all, m;
    assert_int_equal(stats_label_init(&a), 0);
    assert_int_equal(stats_label_init(&b), 0);
    assert_int_equal(stats_label_init(&all), 0);
    assert_int_equal(stats_label_init(&m), 0);
    uint64_t x = 12345;
    for (int i = 0; i < 20000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t v = (x >> 33) % 5000000; /* 0 .. 5 s in us */
        stats_label *dst = (i % 3) ? &a : &b;
        assert_int_equal(hist_record(&dst->svc, v), 0);
        assert_int_equal(hist_record(&all.svc, v), 0);
        dst->count++;
        dst->status[(i % 5) + 100]++;
        dst->by_kind[i % STATS_ERR_N]++;
        if (i % STATS_ERR_N)
            dst->errors++;
        dst->dropped += (uint64_t)(i % 2);
    }
    assert_int_equal(stats_label_merge(&m, &a), 0);
    assert_int_equal(stats_label_merge(&m, &b), 0);
    assert_int_equal(m.count, 20000);
    assert_int_equal(m.dropped, 10000);
    uint64_t kinds = 0;
    for (int k = 0; k < STATS_ERR_N; k++)
        kinds += m.by_kind[k];
    assert_int_equal(kinds, 20000);
    assert_int_equal(m.errors, 20000 - m.by_kind[0]);
    assert_int_equal(m.status[100] + m.status[101] + m.status[102] + m.status[103] + m.status[104], 20000);
    static const double pct[] = {0, 1, 50, 90, 99, 99.9, 99.99, 100};
    for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
        assert_int_equal(hist_value_at_percentile(&m.svc, pct[i]), hist_value_at_percentile(&all.svc, pct[i]));
    assert_int_equal(hist_min(&m.svc), hist_min(&all.svc));
    assert_int_equal(hist_max(&m.svc), hist_max(&all.svc));
    assert_true(hist_mean(&m.svc) == hist_mean(&all.svc));
    stats_label_fini(&a);
    stats_label_fini(&b);
    stats_label_fini(&all);
    stats_label_fini(&m);
}

static void test_series(void **state)
{
    (void)state;
    stats_series s;
    stats_interval iv;
    stats_series_init(&s, 2);
    assert_int_equal(stats_interval_init(&iv, 2), 0);
    /* 150 seconds (the array grows past its first 64 rows); second i has i requests of
     * label 0 with latency i ms, one error of label 1 every even second. */
    for (uint32_t sec = 0; sec < 150; sec++) {
        stats_interval_reset(&iv);
        for (uint32_t i = 0; i < sec; i++) {
            hist_record(iv.labels[0].lat, (uint64_t)sec * 1000);
            hist_record(iv.total.lat, (uint64_t)sec * 1000);
        }
        iv.labels[0].count = sec;
        iv.labels[1].count = iv.labels[1].errors = sec % 2 == 0;
        iv.total.count = sec + (sec % 2 == 0);
        iv.total.errors = sec % 2 == 0;
        assert_int_equal(stats_series_add(&s, sec, sec == 149 ? 500 : 1000, &iv), 0);
    }
    assert_int_equal(s.n, 150);
    assert_false(s.failed);
    for (uint32_t sec = 0; sec < 150; sec++) {
        const stats_point *p0 = stats_series_at(&s, sec, 0);
        const stats_point *p1 = stats_series_at(&s, sec, 1);
        const stats_point *tot = stats_series_at(&s, sec, 2);
        assert_int_equal(p0->t, sec);
        assert_int_equal(p0->count, sec);
        assert_int_equal(p0->responses, sec);
        assert_int_equal(p1->errors, sec % 2 == 0);
        assert_int_equal(p1->responses, 0);
        assert_int_equal(p1->p99_us, 0);
        assert_int_equal(tot->count, sec + (sec % 2 == 0));
        assert_int_equal(tot->len_ms, sec == 149 ? 500 : 1000);
        if (sec > 0) {
            assert_true(hist_values_equivalent(iv.labels[0].lat, p0->p50_us, (uint64_t)sec * 1000));
            assert_true(hist_values_equivalent(iv.labels[0].lat, tot->p99_us, (uint64_t)sec * 1000));
        }
    }
    /* Wrong width is refused. */
    stats_interval iv3;
    assert_int_equal(stats_interval_init(&iv3, 3), 0);
    assert_int_equal(stats_series_add(&s, 150, 1000, &iv3), -1);
    stats_interval_fini(&iv3);
    stats_interval_fini(&iv);
    stats_series_fini(&s);
}

/* The owner records while another thread collects: every record is collected exactly
 * once (times are synthetic, so this does not depend on the machine's speed). */
#define CONC_N 200000
typedef struct conc {
    stats_thread t;
    int done;
} conc;

static void *conc_owner(void *arg)
{
    conc *c = arg;
    for (uint64_t i = 0; i < CONC_N; i++) {
        mono_ns now = i * 50 * US; /* 20000 per second: 10 s of data */
        stats_record(&c->t, i % 2, now, i % 10 == 0 ? STATS_ERR_STATUS : STATS_OK, 200, (i % 1000) * US, US, 0, 0);
    }
    stats_roll_slow(&c->t, CONC_N * 50 * US, true);
    __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_concurrent_handoff(void **state)
{
    (void)state;
    conc c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(stats_thread_init(&c.t, 2, 0), 0);
    stats_interval iv, sum;
    assert_int_equal(stats_interval_init(&iv, 2), 0);
    assert_int_equal(stats_interval_init(&sum, 2), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, conc_owner, &c), 0);
    for (;;) {
        int fin = __atomic_load_n(&c.done, __ATOMIC_ACQUIRE);
        stats_interval_reset(&iv);
        assert_int_equal(stats_collect(&c.t, UINT64_MAX, &iv, NULL), 0);
        assert_int_equal(stats_interval_add(&sum, &iv), 0);
        if (fin)
            break;
    }
    pthread_join(th, NULL);
    assert_int_equal(stats_collect(&c.t, UINT64_MAX, &sum, NULL), 0);
    assert_int_equal(sum.total.count, CONC_N);
    assert_int_equal(sum.total.errors, CONC_N / 10);
    assert_int_equal(sum.labels[0].count + sum.labels[1].count, CONC_N);
    assert_int_equal(sum.total.lat->total_count, CONC_N);
    assert_int_equal(sum.labels[0].lat->total_count, CONC_N / 2);
    assert_int_equal(c.t.labels[0].count + c.t.labels[1].count, CONC_N);
    stats_interval_fini(&iv);
    stats_interval_fini(&sum);
    stats_thread_fini(&c.t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_names),          cmocka_unit_test(test_record_counts),
        cmocka_unit_test(test_local_limit_apart),  cmocka_unit_test(test_tls_handshakes),
        cmocka_unit_test(test_roll_and_collect),   cmocka_unit_test(test_late_collector),
        cmocka_unit_test(test_label_merge_exact),  cmocka_unit_test(test_series),
        cmocka_unit_test(test_concurrent_handoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
