/* test_ptest_capacity.c - the capacity search and the verdict of a step (pure parts). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ptest/capacity/capacity.h"
#include "ptest/capacity/capacity_report.h"

/* A server of capacity C: every rate up to C passes; the generator gives up at G (0: never). */
static capacity_search search_against(double start, double max, double precision, double C, double G)
{
    capacity_search s;
    capacity_search_init(&s, start, max, precision);
    double r;
    while ((r = capacity_search_next(&s)) > 0) {
        enum capacity_result res = G > 0 && r >= G ? CAPACITY_GENERATOR : r <= C ? CAPACITY_PASS : CAPACITY_FAIL;
        capacity_search_record(&s, r, res);
    }
    return s;
}

static void test_search(void **state)
{
    (void)state;
    static const double caps[] = {1.5, 7, 100, 333, 12345, 99999};
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        double C = caps[i];
        capacity_search s = search_against(10, 1e6, 0.05, C, 0);
        if (!(s.pass <= C && s.fail > C && s.fail - s.pass <= 0.05 * s.pass + 1e-9))
            fail_msg("capacity %g: pass %g, fail %g", C, s.pass, s.fail);
        assert_false(s.generator);
        assert_true(s.steps < 30);
    }
    /* Precision 1 %: tighter, a few steps more. */
    capacity_search s = search_against(10, 1e6, 0.01, 100, 0);
    assert_true(s.pass <= 100 && s.fail > 100 && s.fail - s.pass <= 1);
    /* Everything passes: up to --max, "capacity >= max". */
    s = search_against(10, 500, 0.05, 1e9, 0);
    assert_true(s.pass == 500);
    assert_true(s.fail == 0);
    /* Nothing passes: halving down to the floor, "capacity below". */
    s = search_against(10, 1e6, 0.05, 0.1, 0);
    assert_true(s.pass == 0);
    assert_true(s.fail >= CAPACITY_MIN_RATE && s.fail < 2 * CAPACITY_MIN_RATE + 1e-9);
    /* The generator gives up first: the search stops there, a lower bound. */
    s = search_against(10, 1e6, 0.05, 1e9, 640);
    assert_true(s.generator);
    assert_true(s.pass == 320 && s.fail == 640);
    assert_true(capacity_search_next(&s) == 0);
    /* The start above --max is clamped. */
    capacity_search_init(&s, 900, 100, 0);
    assert_true(capacity_search_next(&s) == 100);
    assert_true(s.precision == CAPACITY_DEFAULT_PRECISION);
}

typedef struct fixture {
    hist *lat[2], *svc[2];
    capacity_measure m[2]; /* one label and the total */
    capacity_slo slo[2];
    capacity_step st;
} fixture;

/* n responses at lat_us (latency) and svc_us (service time), one label "/". */
static void fill(fixture *f, uint64_t n, uint64_t lat_us, uint64_t svc_us, uint64_t errors, double window_s)
{
    for (int i = 0; i < 2; i++) {
        hist_reset(f->lat[i]);
        hist_reset(f->svc[i]);
        assert_int_equal(hist_record_n(f->lat[i], lat_us, n), 0);
        assert_int_equal(hist_record_n(f->svc[i], svc_us, n), 0);
        f->m[i] = (capacity_measure){i == 0 ? "/" : "total", f->lat[i], f->svc[i], n, errors, window_s};
    }
    memset(&f->st, 0, sizeof(f->st));
    f->st.rate = (double)n / window_s;
    f->st.window_s = window_s;
    f->st.planned = n;
    f->st.count = n;
    f->st.achieved = (double)n / window_s;
    f->st.cores = 2;
}

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof(f));
    for (int i = 0; i < 2; i++) {
        if (hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &f.lat[i]) != 0 ||
            hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &f.svc[i]) != 0)
            return -1;
    }
    static const char *const exprs[] = {"p95 < 25ms", "error_rate < 1%"};
    for (int i = 0; i < 2; i++) {
        size_t col;
        char err[128];
        f.slo[i].label = "*";
        f.slo[i].expr = exprs[i];
        if (threshold_parse(exprs[i], &f.slo[i].e, &col, err, sizeof(err)) != 0)
            return -1;
    }
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 2; i++) {
        hist_destroy(f->lat[i]);
        hist_destroy(f->svc[i]);
    }
    return 0;
}

static void test_judge(void **state)
{
    fixture *f = *state;
    /* Within the SLOs. */
    fill(f, 1000, 20000, 20000, 0, 10);
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_PASS);
    assert_true(f->st.slo_ok && f->st.svc_ok);
    /* The server is slow: latency and service time beyond the SLO. */
    fill(f, 1000, 90000, 80000, 0, 10);
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_FAIL);
    assert_non_null(strstr(f->st.reason, "p95 is"));
    /* Errors. */
    fill(f, 1000, 20000, 20000, 50, 10);
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_FAIL);
    assert_non_null(strstr(f->st.reason, "error_rate"));
    /* The latency fails, the service time holds: ptest's own wait. */
    fill(f, 1000, 90000, 20000, 0, 10);
    f->st.queued = 700;
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_GENERATOR);
    assert_non_null(strstr(f->st.reason, "ptest's own"));
    assert_non_null(strstr(f->st.reason, "700 requests found every connection busy"));
    /* The generator's CPU, whatever the SLOs say. */
    fill(f, 1000, 20000, 20000, 0, 10);
    f->st.cpu = 0.95;
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_GENERATOR);
    assert_non_null(strstr(f->st.reason, "CPU was 95 % of its 2 cores"));
    /* Dropped arrivals (not at an early stop, which drops the backlog itself). */
    fill(f, 1000, 20000, 20000, 0, 10);
    f->st.dropped = 3;
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_GENERATOR);
    f->st.lost_early = true;
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_PASS);
    /* Fewer answers than planned: the generator's when the service time holds ... */
    fill(f, 900, 20000, 20000, 0, 10);
    f->st.planned = 1000;
    f->st.rate = 100;
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_GENERATOR);
    assert_non_null(strstr(f->st.reason, "achieved 90.0/s of the planned 100.0/s"));
    /* ... the server's when it does not. */
    fill(f, 900, 90000, 80000, 0, 10);
    f->st.planned = 1000;
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_FAIL);
    /* 1 % short with constant arrivals is within; poisson allows 3 standard deviations. */
    fill(f, 995, 20000, 20000, 0, 10);
    f->st.planned = 1000;
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_PASS);
    fill(f, 930, 20000, 20000, 0, 10);
    f->st.planned = 1000;
    f->st.poisson = true;
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_PASS); /* 70 < 3 sqrt(1000) = 95 */
    /* No response at all. */
    fill(f, 0, 1, 1, 0, 10);
    f->st.planned = 1000;
    capacity_judge(&f->st, f->slo, 2, f->m, 1);
    assert_int_equal(f->st.result, CAPACITY_FAIL);
    assert_non_null(strstr(f->st.reason, "no response"));
}

static void test_lost_early(void **state)
{
    fixture *f = *state;
    char why[256];
    fill(f, 100, 60000, 60000, 0, 1); /* p95 60 ms > 2 x 25 ms */
    assert_true(capacity_lost_early(f->slo, 2, f->m, 1, 100, why, sizeof(why)));
    assert_non_null(strstr(why, "p95 is"));
    fill(f, 100, 40000, 40000, 0, 1); /* 1.6 x: may still be judged */
    assert_false(capacity_lost_early(f->slo, 2, f->m, 1, 100, why, sizeof(why)));
    fill(f, 100, 60000, 60000, 0, 0.5); /* not a judged second yet */
    assert_false(capacity_lost_early(f->slo, 2, f->m, 1, 100, why, sizeof(why)));
    fill(f, 100, 20000, 20000, 5, 1); /* 5 % errors > 2 x 1 % + 1 % */
    assert_true(capacity_lost_early(f->slo, 2, f->m, 1, 100, why, sizeof(why)));
    fill(f, 90, 20000, 20000, 0, 2); /* 90 answers of 400 planned */
    assert_true(capacity_lost_early(f->slo, 2, f->m, 1, 200, why, sizeof(why)));
    assert_non_null(strstr(why, "90 answers of about 400"));
}

static void test_gates(void **state)
{
    (void)state;
    capacity_slo gate = {"*", "capacity > 500/s", {0}};
    size_t col;
    char err[128];
    assert_int_equal(threshold_parse(gate.expr, &gate.e, &col, err, sizeof(err)), 0);
    assert_int_equal(gate.e.metric, THRESHOLD_CAPACITY);
    assert_true(gate.e.limit == 500);
    assert_int_equal(threshold_parse("capacity: +5%", &gate.e, &col, err, sizeof(err)), THRESHOLD_ESYNTAX);
    assert_int_equal(threshold_parse(gate.expr, &gate.e, &col, err, sizeof(err)), 0);
    plan p;
    memset(&p, 0, sizeof(p));
    capacity_search s;
    capacity_search_init(&s, 10, 1e6, 0.05);
    s.pass = 640;
    s.fail = 660;
    capacity_outcome o = {.p = &p, .search = &s, .gates = &gate, .n_gates = 1};
    capacity_report_gates(&o);
    assert_int_equal(o.gates_failed, 0);
    assert_non_null(strstr(o.text, "capacity 640/s"));
    s.pass = 320;
    s.fail = 640;
    s.generator = true;
    capacity_report_gates(&o);
    assert_int_equal(o.gates_failed, 1);
    assert_non_null(strstr(o.text, "capacity >= 320/s, limited by the generator at 640/s"));
    assert_non_null(strstr(o.gate_msg[0], "capacity is >= 320.0/s"));
    /* The renderings are well-formed enough to hold the text. */
    buf b = BUF_INIT;
    assert_int_equal(capacity_report_json(&o, &b), 0);
    assert_non_null(strstr(b.data, "\"limited_by\": \"generator\""));
    buf_reset(&b);
    assert_int_equal(capacity_report_junit(&o, &b), 0);
    assert_non_null(strstr(b.data, "<failure type=\"threshold\""));
    buf_reset(&b);
    assert_int_equal(capacity_report_html(&o, &b), 0);
    assert_non_null(strstr(b.data, "</html>"));
    buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search),
        cmocka_unit_test_setup_teardown(test_judge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_early, setup, teardown),
        cmocka_unit_test(test_gates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
