/* test_ptest_results.c - ptest's outputs: results.json shape and values, interval logs,
 * hlog file names, JTL rows and the progress line. */
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "hlog.h"
#include "ptest/results/jtl.h"
#include "ptest/results/results.h"
#include "ptest/run/progress.h"

static char *tmpdir(void)
{
    char *d = strdup("/tmp/test_ptest_results.XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rmtree(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

/* ------------------------------------------------------------------ JSON ---------- */

typedef struct fix {
    plan p;
    plan_scenario sc[2];
    plan_request rq[3];
    plan_stage st[2];
    plan_threshold th[3];
    stats_label tot[3]; /* A, B, total */
    hist *lat[3];
    results_label rl[2];
    stats_series series;
    results r;
} fix;

static void fix_init(fix *f)
{
    memset(f, 0, sizeof(*f));
    f->rq[0] = (plan_request){.label = "A", .method = "GET", .path = "/A", .weight = 2, .expect_status = 200};
    f->rq[1] =
        (plan_request){.label = "root \"q\"", .method = "GET", .path = "/", .weight = 1, .expect_body = "Hello World!"};
    f->rq[2] = (plan_request){.label = "B", .method = "POST", .path = "/B", .weight = 1, .body = "xy", .body_len = 2};
    f->st[0] = (plan_stage){100, 20 * CLOCK_NS_PER_SEC};
    f->st[1] = (plan_stage){300, 40 * CLOCK_NS_PER_SEC};
    f->sc[0] = (plan_scenario){.name = "users",
                               .model = PLAN_CLOSED,
                               .users = 10,
                               .ramp_up_ns = 10 * CLOCK_NS_PER_SEC,
                               .hold_for_ns = 60 * CLOCK_NS_PER_SEC,
                               .n_requests = 2,
                               .requests = &f->rq[0],
                               .weight_total = 3};
    f->sc[1] = (plan_scenario){.name = "arrivals",
                               .model = PLAN_OPEN,
                               .n_stages = 2,
                               .stages = f->st,
                               .max_connections = 500,
                               .n_requests = 1,
                               .requests = &f->rq[2],
                               .weight_total = 1};
    f->th[0] = (plan_threshold){.label = "*", .expr = "p95 < 250ms"};
    f->th[1] = (plan_threshold){.label = "A", .expr = "p99 < 50ms"};
    f->th[2] = (plan_threshold){.label = "*", .expr = "error_rate < 1%"};
    f->p.name = "ms-demo";
    f->p.source = "plan.yaml";
    f->p.target_str = "http://127.0.0.1:8080";
    f->p.n_scenarios = 2;
    f->p.scenarios = f->sc;
    f->p.n_thresholds = 3;
    f->p.thresholds = f->th;
    f->p.connect_timeout_ns = 5 * CLOCK_NS_PER_SEC;
    f->p.request_timeout_ns = 30 * CLOCK_NS_PER_SEC;

    for (int i = 0; i < 3; i++) {
        assert_int_equal(stats_label_init(&f->tot[i]), 0);
        assert_int_equal(hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &f->lat[i]), 0);
    }
    /* A: 100 responses of 1..100 ms (two 500s among them), 3 connection resets.
     * B: nothing at all (no histogram data: every statistic must be null). */
    for (uint64_t v = 1; v <= 100; v++) {
        hist_record(f->lat[0], v * 1000);
        hist_record(&f->tot[0].svc, v * 900);
    }
    f->tot[0].count = 103;
    f->tot[0].errors = 5;
    f->tot[0].by_kind[STATS_OK] = 98;
    f->tot[0].by_kind[STATS_ERR_STATUS] = 2;
    f->tot[0].by_kind[STATS_ERR_RESET] = 3;
    f->tot[0].status[200 - STATS_STATUS_MIN] = 98;
    f->tot[0].status[500 - STATS_STATUS_MIN] = 2;
    f->tot[1].dropped = 7;
    f->tot[1].queued = 4;
    assert_int_equal(stats_label_merge(&f->tot[2], &f->tot[0]), 0);
    assert_int_equal(stats_label_merge(&f->tot[2], &f->tot[1]), 0);
    hist_add(f->lat[2], f->lat[0]);

    stats_series_init(&f->series, 2);
    stats_interval iv;
    assert_int_equal(stats_interval_init(&iv, 2), 0);
    for (uint32_t t = 0; t < 3; t++) {
        stats_interval_reset(&iv);
        if (t < 2) {
            for (int i = 0; i < 50; i++) {
                hist_record(iv.labels[0].lat, (uint64_t)(t + 1) * 1000);
                hist_record(iv.total.lat, (uint64_t)(t + 1) * 1000);
            }
            iv.labels[0].count = iv.total.count = 50 + t;
            iv.labels[0].errors = iv.total.errors = t;
        }
        assert_int_equal(stats_series_add(&f->series, t, t == 2 ? 250 : 1000, &iv), 0);
    }
    stats_interval_fini(&iv);

    f->rl[0] = (results_label){"A", "A.hlog", &f->tot[0], f->lat[0], false};
    f->rl[1] = (results_label){"root \"q\"", "root__q_.hlog", &f->tot[1], f->lat[1], false};
    f->r = (results){
        .p = &f->p,
        .started = UINT64_C(1700000000123000000),
        .duration_s = 2.25,
        .interrupted = false,
        .aborted = NULL,
        .threads = 2,
        .target_addr = "127.0.0.1:8080",
        .n_labels = 2,
        .labels = f->rl,
        .total = {"total", "total.hlog", &f->tot[2], f->lat[2], false},
        .series = &f->series,
    };
}

static void fix_fini(fix *f)
{
    for (int i = 0; i < 3; i++) {
        stats_label_fini(&f->tot[i]);
        hist_destroy(f->lat[i]);
    }
    stats_series_fini(&f->series);
}

static json_t *render(const results *r)
{
    buf b = BUF_INIT;
    assert_int_equal(results_json(r, &b), 0);
    json_error_t e;
    json_t *j = json_loadb(b.data, b.len, 0, &e);
    if (!j)
        fail_msg("results.json does not parse: %s at %d:%d", e.text, e.line, e.column);
    buf_fini(&b);
    return j;
}

static json_t *path(json_t *j, const char *p)
{
    /* "a.b.c" with object keys only; "#n" indexes an array. */
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s", p);
    for (char *tok = strtok(tmp, "."); tok && j; tok = strtok(NULL, "."))
        j = tok[0] == '#' ? json_array_get(j, (size_t)atoi(tok + 1)) : json_object_get(j, tok);
    if (!j)
        fail_msg("missing %s", p);
    return j;
}

static void test_json_shape(void **state)
{
    (void)state;
    fix f;
    fix_init(&f);
    json_t *j = render(&f.r);
    static const char *const top[] = {"ptest_version", "started", "duration_s", "interrupted", "aborted",   "dropped",
                                      "environment",   "labels",  "total",      "plan",        "timeseries"};
    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
        path(j, top[i]);
    assert_string_equal(json_string_value(path(j, "started")), "2023-11-14T22:13:20.123Z");
    assert_true(json_is_false(path(j, "interrupted")));
    assert_true(json_is_null(path(j, "aborted")));
    assert_int_equal(json_integer_value(path(j, "dropped")), 7);
    assert_int_equal(json_integer_value(path(j, "environment.threads")), 2);
    struct rlimit nofile; /* what a local_limit warning names */
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &nofile), 0);
    if (nofile.rlim_cur != RLIM_INFINITY)
        assert_true(json_integer_value(path(j, "environment.fd_limit")) == (json_int_t)nofile.rlim_cur);

    /* Labels in plan order, with every field. */
    json_t *labels = path(j, "labels");
    assert_int_equal(json_object_size(labels), 2);
    const char *first = json_object_iter_key(json_object_iter(labels));
    assert_string_equal(first, "A");
    static const char *const lk[] = {
        "count",      "errors",      "error_rate", "dropped",         "queued",         "rps",    "bytes_received",
        "bytes_sent", "connections", "latency_us", "service_time_us", "errors_by_kind", "status", "hlog"};
    static const char *const sk[] = {"count", "min", "mean", "stddev", "p50", "p90", "p95", "p99", "p999", "max"};
    static const char *const kinds[] = {"connect_refused", "connect_timeout", "timeout",     "reset", "bad_response",
                                        "status",          "expectation",     "local_limit", "tls",   "extraction",
                                        "render"};
    const char *owners[] = {"A", "root \"q\""};
    for (int o = 0; o < 3; o++) {
        json_t *l = o < 2 ? json_object_get(labels, owners[o]) : path(j, "total");
        assert_non_null(l);
        for (size_t i = 0; i < sizeof(lk) / sizeof(lk[0]); i++)
            assert_non_null(json_object_get(l, lk[i]));
        for (size_t i = 0; i < sizeof(sk) / sizeof(sk[0]); i++) {
            assert_non_null(json_object_get(json_object_get(l, "latency_us"), sk[i]));
            assert_non_null(json_object_get(json_object_get(l, "service_time_us"), sk[i]));
        }
        json_t *ek = json_object_get(l, "errors_by_kind");
        assert_int_equal(json_object_size(ek), 11);
        for (size_t i = 0; i < 11; i++)
            assert_true(json_is_integer(json_object_get(ek, kinds[i])));
    }
    /* Values. */
    assert_int_equal(json_integer_value(path(j, "labels.A.count")), 103);
    assert_int_equal(json_integer_value(path(j, "labels.A.errors")), 5);
    assert_true(fabs(json_real_value(path(j, "labels.A.rps")) - 103 / 2.25) < 1e-9);
    assert_int_equal(json_integer_value(path(j, "labels.A.latency_us.count")), 100);
    assert_int_equal(json_integer_value(path(j, "labels.A.latency_us.min")), 1000);
    assert_int_equal(json_integer_value(path(j, "labels.A.latency_us.p50")), hist_value_at_percentile(f.lat[0], 50));
    assert_int_equal(json_integer_value(path(j, "labels.A.latency_us.p999")), hist_value_at_percentile(f.lat[0], 99.9));
    assert_int_equal(json_integer_value(path(j, "labels.A.latency_us.max")), hist_max(f.lat[0]));
    assert_true(fabs(json_number_value(path(j, "labels.A.latency_us.mean")) - hist_mean(f.lat[0])) < 1e-6);
    assert_int_equal(json_integer_value(path(j, "labels.A.service_time_us.min")), 900);
    assert_int_equal(json_integer_value(path(j, "labels.A.errors_by_kind.reset")), 3);
    assert_int_equal(json_integer_value(path(j, "labels.A.status.200")), 98);
    assert_int_equal(json_integer_value(path(j, "labels.A.status.500")), 2);
    assert_string_equal(json_string_value(path(j, "labels.A.hlog")), "A.hlog");
    /* Nothing measured: null, never an invented 0. */
    json_t *q = json_object_get(labels, "root \"q\"");
    assert_int_equal(json_integer_value(json_object_get(q, "dropped")), 7);
    assert_int_equal(json_integer_value(json_object_get(q, "queued")), 4);
    json_t *ql = json_object_get(q, "latency_us");
    assert_int_equal(json_integer_value(json_object_get(ql, "count")), 0);
    for (size_t i = 1; i < sizeof(sk) / sizeof(sk[0]); i++)
        assert_true(json_is_null(json_object_get(ql, sk[i])));
    assert_int_equal(json_object_size(json_object_get(q, "status")), 0);
    assert_int_equal(json_integer_value(path(j, "total.count")), 103);
    assert_int_equal(json_integer_value(path(j, "total.dropped")), 7);

    /* Time series: total at top level, labels inside. */
    json_t *ts = path(j, "timeseries");
    assert_int_equal(json_array_size(ts), 3);
    assert_int_equal(json_integer_value(path(j, "timeseries.#1.t")), 1);
    assert_true(json_number_value(path(j, "timeseries.#1.rps")) == 51.0);
    assert_int_equal(json_integer_value(path(j, "timeseries.#1.errors")), 1);
    assert_true(hist_values_equivalent(f.lat[0], (uint64_t)json_integer_value(path(j, "timeseries.#1.p50_us")), 2000));
    assert_true(
        hist_values_equivalent(f.lat[0], (uint64_t)json_integer_value(path(j, "timeseries.#0.labels.A.p99_us")), 1000));
    assert_true(json_number_value(path(j, "timeseries.#2.len_s")) == 0.25);
    assert_true(json_is_null(path(j, "timeseries.#2.p50_us")));
    assert_true(json_is_null(path(j, "timeseries.#0.labels.root \"q\".p99_us")));

    /* Plan echo. */
    assert_string_equal(json_string_value(path(j, "plan.name")), "ms-demo");
    assert_string_equal(json_string_value(path(j, "plan.target")), "http://127.0.0.1:8080");
    assert_string_equal(json_string_value(path(j, "plan.scenarios.#0.model")), "closed");
    assert_int_equal(json_integer_value(path(j, "plan.scenarios.#0.users")), 10);
    assert_true(json_number_value(path(j, "plan.scenarios.#0.ramp_up_s")) == 10.0);
    assert_string_equal(json_string_value(path(j, "plan.scenarios.#1.model")), "open");
    assert_true(json_number_value(path(j, "plan.scenarios.#1.stages.#1.rate")) == 300.0);
    assert_true(json_number_value(path(j, "plan.scenarios.#1.stages.#1.duration_s")) == 40.0);
    assert_int_equal(json_integer_value(path(j, "plan.scenarios.#1.max_connections")), 500);
    assert_string_equal(json_string_value(path(j, "plan.scenarios.#0.requests.#1.expect.body_contains")),
                        "Hello World!");
    assert_int_equal(json_integer_value(path(j, "plan.scenarios.#0.requests.#0.expect.status")), 200);
    assert_int_equal(json_integer_value(path(j, "plan.scenarios.#1.requests.#0.body_bytes")), 2);
    json_t *thr = path(j, "plan.thresholds");
    assert_int_equal(json_object_size(thr), 2);
    assert_int_equal(json_array_size(json_object_get(thr, "*")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(thr, "*"), 1)), "error_rate < 1%");
    json_decref(j);

    /* Aborted runs say why. */
    f.r.interrupted = true;
    f.r.aborted = "target http://127.0.0.1:9 unreachable: connection refused";
    j = render(&f.r);
    assert_true(json_is_true(path(j, "interrupted")));
    assert_string_equal(json_string_value(path(j, "aborted")), f.r.aborted);
    json_decref(j);
    fix_fini(&f);
}

static void test_write_file(void **state)
{
    (void)state;
    fix f;
    fix_init(&f);
    char *d = tmpdir();
    char sub[512], err[256];
    snprintf(sub, sizeof(sub), "%s/a/b/c", d);
    assert_int_equal(results_mkdirs(sub), 0);
    assert_int_equal(results_mkdirs(sub), 0); /* exists: fine */
    assert_int_equal(results_write(&f.r, sub, err, sizeof(err)), 0);
    char p[600];
    snprintf(p, sizeof(p), "%s/results.json", sub);
    json_error_t e;
    json_t *j = json_load_file(p, 0, &e);
    assert_non_null(j);
    json_decref(j);
    /* A file where a directory should be. */
    assert_int_equal(results_mkdirs(p), -1);
    snprintf(p, sizeof(p), "%s/missing/x", sub);
    assert_int_equal(results_write(&f.r, p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "results.json"));
    rmtree(d);
    free(d);
    fix_fini(&f);
}

/* ------------------------------------------------------------------ hlog ---------- */

static void test_hlog_names(void **state)
{
    (void)state;
    static const char *const labels[] = {"A", "/", "/A", "_A", "total", ".hidden", "a b/c", "", "x-1.2_y", "/A"};
    static const char *const want[] = {"A.hlog",       "_.hlog",     "_A.hlog",  "_A-2.hlog",    "total-2.hlog",
                                       "_hidden.hlog", "a_b_c.hlog", "_-2.hlog", "x-1.2_y.hlog", "_A-3.hlog"};
    size_t n = sizeof(labels) / sizeof(labels[0]);
    char **names;
    assert_int_equal(results_hlog_names(labels, n, &names), 0);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(names[i], want[i]);
    assert_string_equal(names[n], "total.hlog");
    results_names_destroy(names, n);
}

static void test_hlogs_stream(void **state)
{
    (void)state;
    char *d = tmpdir();
    static const char *const labels[] = {"A", "B"};
    char **names;
    assert_int_equal(results_hlog_names(labels, 2, &names), 0);
    results_hlogs h;
    char err[256];
    assert_int_equal(results_hlogs_open(&h, d, names, 2, UINT64_C(1700000000000000000), err, sizeof(err)), 0);
    stats_interval iv;
    assert_int_equal(stats_interval_init(&iv, 2), 0);
    for (int t = 0; t < 4; t++) {
        stats_interval_reset(&iv);
        for (int i = 0; i <= t; i++) {
            hist_record(iv.labels[0].lat, 1000 * (uint64_t)(i + 1));
            hist_record(iv.total.lat, 1000 * (uint64_t)(i + 1));
        }
        assert_int_equal(results_hlogs_add(&h, (uint64_t)t * 1000, t == 3 ? 400 : 1000, &iv), 0);
    }
    assert_int_equal(results_hlogs_close(&h), 0);
    stats_interval_fini(&iv);

    /* Read back: A has 1+2+3+4 values, B's intervals are all empty, total equals A. */
    static const uint64_t want_total[] = {10, 0, 10};
    for (int f = 0; f < 3; f++) {
        char p[600];
        snprintf(p, sizeof(p), "%s/%s", d, names[f]);
        char *data;
        size_t len;
        assert_int_equal(hlog_load_file(p, &data, &len), 0);
        hlog_reader r;
        hlog_reader_init(&r, data, len);
        hlog_interval in;
        int n = 0;
        uint64_t total = 0;
        while (hlog_next(&r, &in) == 1) {
            total += in.h->total_count;
            if (n == 3)
                assert_true(in.length_s == 0.4);
            assert_true(in.start_s == n);
            hist_destroy(in.h);
            n++;
        }
        assert_int_equal(n, 4);
        assert_int_equal(total, want_total[f]);
        assert_true(hlog_base_time(&r) == 1700000000.0);
        free(data);
    }
    results_names_destroy(names, 2);
    rmtree(d);
    free(d);
}

/* ------------------------------------------------------------------ JTL ----------- */

static void test_csv_field(void **state)
{
    (void)state;
    static const char *const t[][2] = {
        {"plain", "plain"},
        {"", ""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"line\nbreak", "\"line\nbreak\""},
        {"cr\r", "\"cr\r\""},
        {"/A?x=1;y", "/A?x=1;y"},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char *s = jtl_csv_field(t[i][0]);
        assert_string_equal(s, t[i][1]);
        free(s);
    }
}

static size_t count_fields(const char *line)
{
    size_t n = 1;
    bool q = false;
    for (const char *p = line; *p && *p != '\n'; p++) {
        if (*p == '"')
            q = !q;
        else if (*p == ',' && !q)
            n++;
    }
    return n;
}

static void test_jtl_rows(void **state)
{
    (void)state;
    char *d = tmpdir();
    char p[512], err[256];
    snprintf(p, sizeof(p), "%s/r.jtl", d);
    int fd;
    assert_int_equal(jtl_open(p, &fd, err, sizeof(err)), 0);
    jtl_buf b;
    assert_int_equal(jtl_buf_init(&b, fd), 0);
    char *label = jtl_csv_field("a,b"), *thread = jtl_csv_field("users 1-1"), *url = jtl_csv_field("http://h:1/a,b");
    jtl_row ok = {.ts_ms = 1700000000123,
                  .elapsed_ms = 12,
                  .label_csv = label,
                  .status = 200,
                  .message = "OK",
                  .thread_csv = thread,
                  .success = true,
                  .failure = "",
                  .bytes = 130,
                  .sent_bytes = 74,
                  .grp_threads = 10,
                  .all_threads = 20,
                  .url_csv = url,
                  .latency_ms = 11,
                  .connect_ms = 1};
    jtl_row bad = ok;
    bad.status = 0;
    bad.err_name = "connect_refused";
    bad.message = "connection refused";
    bad.failure = "connection refused";
    bad.success = false;
    /* Enough rows to pass the buffer several times. */
    for (int i = 0; i < 3000; i++)
        jtl_row_add(&b, i % 3 ? &ok : &bad);
    jtl_buf_fini(&b);
    close(fd);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[1024];
    int n = 0;
    assert_non_null(fgets(line, sizeof(line), f));
    assert_string_equal(line, JTL_HEADER);
    assert_int_equal(count_fields(line), 17);
    while (fgets(line, sizeof(line), f)) {
        assert_int_equal(count_fields(line), 17);
        if (n == 0)
            assert_non_null(strstr(line, "Non HTTP response code: connect_refused"));
        if (n == 1)
            assert_string_equal(line, "1700000000123,12,\"a,b\",200,OK,users 1-1,text,true,,130,74,10,20,"
                                      "\"http://h:1/a,b\",11,0,1\n");
        n++;
    }
    fclose(f);
    assert_int_equal(n, 3000);
    free(label);
    free(thread);
    free(url);
    /* A disabled buffer ignores rows. */
    assert_int_equal(jtl_buf_init(&b, -1), 0);
    jtl_row_add(&b, &ok);
    assert_int_equal(b.len, 0);
    jtl_buf_fini(&b);
    /* An unwritable path is reported. */
    assert_int_equal(jtl_open("/nonexistent-dir/x.jtl", &fd, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/x.jtl"));
    rmtree(d);
    free(d);
}

/* ------------------------------------------------------------------ progress ------ */

static void test_progress_format(void **state)
{
    (void)state;
    char line[256];
    progress_snap s = {.elapsed_ns = 12500 * CLOCK_NS_PER_MS,
                       .rps = 1234.4,
                       .count = 20000,
                       .errors = 20,
                       .has_latency = true,
                       .p50_us = 1230,
                       .p99_us = 45600};
    progress_format(&s, 60 * CLOCK_NS_PER_SEC, line, sizeof(line));
    assert_string_equal(line, "12s/1m  1234 req/s  20000 requests  20 errors (0.10%)  p50 1.23ms  p99 45.6ms");
    s.has_latency = false;
    s.count = 0;
    s.errors = 0;
    s.dropped = 3;
    progress_format(&s, 60 * CLOCK_NS_PER_SEC, line, sizeof(line));
    assert_string_equal(line, "12s/1m  1234 req/s  0 requests  0 errors (0.00%)  p50 -  p99 -  3 dropped");
    /* Truncation keeps the string terminated. */
    assert_int_equal(progress_format(&s, 60 * CLOCK_NS_PER_SEC, line, 8), 7);
    assert_int_equal(strlen(line), 7);
    assert_int_equal(progress_format(&s, 0, line, 0), 0);

    /* Plain mode prints every 10 s only. */
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    progress pg;
    progress_init(&pg, f, true, false, 60 * CLOCK_NS_PER_SEC);
    for (int sec = 1; sec <= 25; sec++) {
        s.elapsed_ns = (uint64_t)sec * CLOCK_NS_PER_SEC;
        progress_update(&pg, &s);
    }
    progress_end(&pg);
    fclose(f);
    int lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2);
    free(out);
}

/* https runs: a "tls" section at the top and per label; none for plain http. */
static void test_json_tls(void **state)
{
    (void)state;
    fix f;
    fix_init(&f);
    json_t *j = render(&f.r);
    assert_true(json_is_null(path(j, "tls")));
    assert_null(json_object_get(path(j, "labels.A"), "tls"));
    assert_null(json_object_get(path(j, "plan"), "tls"));
    json_decref(j);

    f.p.target.tls = true;
    f.p.tls.insecure = true;
    f.p.tls.file[PLAN_TLS_CACERT] = "ca.pem";
    f.tot[0].tls_handshakes = 3;
    f.tot[0].tls_resumed = 2;
    hist_record(&f.tot[0].tls_hs, 1500);
    f.r.tls = true;
    f.r.tls_error = "certificate verify failed: certificate has expired";
    j = render(&f.r);
    assert_true(json_is_false(path(j, "tls.verify")));
    assert_true(json_is_false(path(j, "tls.client_certificate")));
    assert_string_equal(json_string_value(path(j, "tls.session_resumption")), "per connection");
    assert_string_equal(json_string_value(path(j, "tls.first_error")), f.r.tls_error);
    assert_int_equal(json_integer_value(path(j, "labels.A.tls.handshakes")), 3);
    assert_int_equal(json_integer_value(path(j, "labels.A.tls.resumed")), 2);
    assert_int_equal(json_integer_value(path(j, "labels.A.tls.handshake_us.count")), 1);
    assert_int_equal(json_integer_value(path(j, "labels.root \"q\".tls.handshakes")), 0);
    assert_true(json_is_null(path(j, "labels.root \"q\".tls.handshake_us.p50")));
    assert_string_equal(json_string_value(path(j, "plan.tls.cacert")), "ca.pem");
    assert_true(json_is_null(path(j, "plan.tls.cert")));
    assert_true(json_is_true(path(j, "plan.tls.insecure")));
    json_decref(j);
    f.p.tls.file[PLAN_TLS_CACERT] = NULL;
    fix_fini(&f);
}

/* "instances" (X-Served-By counts) and the scenarios' connection settings. */
static void test_json_instances_conn(void **state)
{
    (void)state;
    fix f;
    fix_init(&f);
    f.sc[1].conn = (plan_conn){false, 5, 1500 * CLOCK_NS_PER_MS};
    f.sc[0].conn.no_keep_alive = true;
    f.tot[0].connections = 9;
    f.tot[2].connections = 9; /* the total was added up by fix_init */
    json_t *j = render(&f.r);
    assert_true(json_is_null(path(j, "instances")));
    assert_true(json_is_false(path(j, "plan.scenarios.#0.keep_alive")));
    assert_true(json_is_null(path(j, "plan.scenarios.#0.max_requests_per_connection")));
    assert_true(json_is_null(path(j, "plan.scenarios.#0.connection_lifetime_s")));
    assert_true(json_is_true(path(j, "plan.scenarios.#1.keep_alive")));
    assert_int_equal(json_integer_value(path(j, "plan.scenarios.#1.max_requests_per_connection")), 5);
    assert_true(fabs(json_number_value(path(j, "plan.scenarios.#1.connection_lifetime_s")) - 1.5) < 1e-12);
    assert_int_equal(json_integer_value(path(j, "labels.A.connections")), 9);
    assert_int_equal(json_integer_value(path(j, "total.connections")), 9);
    json_decref(j);

    instances *t = malloc(sizeof(*t));
    assert_non_null(t);
    assert_int_equal(instances_init(t, 2), 0);
    instances_add(t, 0, "pod-b", 5, 30);
    instances_add(t, 0, "pod-a", 5, 60);
    instances_add(t, 0, NULL, 0, 2);
    f.r.inst = t;
    j = render(&f.r);
    assert_string_equal(json_string_value(path(j, "instances.header")), "X-Served-By");
    assert_int_equal(json_integer_value(path(j, "instances.responses")), 92);
    assert_int_equal(json_integer_value(path(j, "instances.distinct")), 2);
    assert_int_equal(json_integer_value(path(j, "instances.other")), 2);
    assert_true(fabs(json_number_value(path(j, "instances.max_min_ratio")) - 2.0) < 1e-12);
    assert_true(fabs(json_number_value(path(j, "instances.cv")) - 1.0 / 3) < 1e-12);
    const char *first = json_object_iter_key(json_object_iter(path(j, "instances.counts")));
    assert_string_equal(first, "pod-a"); /* highest first */
    assert_int_equal(json_integer_value(path(j, "instances.counts.pod-b")), 30);
    assert_int_equal(json_integer_value(path(j, "instances.labels.A.counts.pod-a")), 60);
    assert_int_equal(json_integer_value(path(j, "instances.labels.A.other")), 2);
    assert_null(json_object_get(path(j, "instances.labels"), "root \"q\"")); /* nothing there */
    json_decref(j);
    instances_fini(t);
    free(t);
    fix_fini(&f);
}

/* Top-level keys of a rendered document, in order, as "a,b,c" (pretty-printed: a member of
 * the top object starts a line with exactly two spaces of indent). */
static void top_keys(const results *r, char *out, size_t len)
{
    buf b = BUF_INIT;
    assert_int_equal(results_json(r, &b), 0);
    buf_putc(&b, '\0');
    size_t o = 0;
    out[0] = '\0';
    for (const char *l = b.data; (l = strstr(l, "\n  \"")) != NULL; l++) {
        const char *k = l + 4, *e = strchr(k, '"');
        o += (size_t)snprintf(out + o, len - o, "%s%.*s", o ? "," : "", (int)(e - k), k);
        assert_true(o < len);
    }
    buf_fini(&b);
}

static void test_json_run_parts(void **state)
{
    (void)state;
    /* A share's run: the parts run.c hands over, in the one document. */
    fix f;
    fix_init(&f);
    plan_scenario whole[2] = {f.sc[0], f.sc[1]};
    plan_stage whole_st[2] = {{200, 20 * CLOCK_NS_PER_SEC}, {600, 40 * CLOCK_NS_PER_SEC}};
    whole[0].users = 20;
    whole[1].stages = whole_st;
    f.p.whole = whole;
    f.p.share_index = 1;
    f.p.share_count = 2;
    results_server srv = {"http://t/metrics", NULL, true, 2.5, 103, 24.27, NAN, 3};
    results_client cl = {NAN, 2};
    json_t *exp = json_pack("{s:s, s:[{s:s, s:f, s:n}]}", "source", "http://t/config", "endpoints", "path", "/A",
                            "mean_ms", 10.5, "stddev_ms");
    f.r.server = &srv;
    f.r.client = &cl;
    f.r.expected = exp;
    f.r.histograms = true;
    char keys[512];
    top_keys(&f.r, keys, sizeof(keys));
    assert_string_equal(
        keys,
        "ptest_version,started,duration_s,interrupted,aborted,threshold_abort,dropped,data_exhausted_users,share,environment,"
        "tls,labels,total,instances,plan,whole_plan,timeseries,server,client,expected,latency_hdr");
    json_t *j = render(&f.r);
    assert_int_equal(json_integer_value(path(j, "share.index")), 1);
    assert_int_equal(json_integer_value(path(j, "plan.scenarios.#0.users")), 10);
    assert_int_equal(json_integer_value(path(j, "whole_plan.scenarios.#0.users")), 20);
    assert_true(json_number_value(path(j, "whole_plan.scenarios.#1.stages.#1.rate")) == 600);
    assert_string_equal(json_string_value(path(j, "whole_plan.name")), "ms-demo");
    assert_string_equal(json_string_value(path(j, "server.metrics_url")), "http://t/metrics");
    assert_true(json_is_null(path(j, "server.config_url")));
    assert_true(json_is_true(path(j, "server.scraped")));
    assert_true(json_number_value(path(j, "server.cpu_seconds")) == 2.5);
    assert_true(json_is_null(path(j, "server.peak_rss_bytes")));
    assert_int_equal(json_integer_value(path(j, "server.samples")), 3);
    assert_true(json_is_null(path(j, "client.cpu_seconds")));
    assert_int_equal(json_integer_value(path(j, "client.threads")), 2);
    assert_string_equal(json_string_value(path(j, "expected.endpoints.#0.path")), "/A");
    assert_true(json_number_value(path(j, "expected.endpoints.#0.mean_ms")) == 10.5);
    assert_true(json_is_null(path(j, "expected.endpoints.#0.stddev_ms")));
    /* latency_hdr decodes to the labels' own histograms. */
    const char *names[] = {"A", "root \"q\"", "total"};
    const hist *lats[] = {f.lat[0], f.lat[1], f.lat[2]};
    for (size_t i = 0; i < 3; i++) {
        const char *b64 = json_string_value(json_object_get(json_object_get(j, "latency_hdr"), names[i]));
        assert_non_null(b64);
        hist *h = NULL;
        assert_int_equal(hlog_decode_histogram(b64, strlen(b64), &h), 0);
        assert_int_equal(h->total_count, lats[i]->total_count);
        assert_int_equal(hist_max(h), hist_max(lats[i]));
        hist_destroy(h);
    }
    json_decref(j);
    /* Not a share: whole_plan is null; without server, no server/client/expected. */
    f.p.whole = NULL;
    f.p.share_count = 0;
    f.r.server = NULL;
    f.r.client = NULL;
    f.r.histograms = false;
    top_keys(&f.r, keys, sizeof(keys));
    assert_string_equal(
        keys,
        "ptest_version,started,duration_s,interrupted,aborted,threshold_abort,dropped,data_exhausted_users,share,environment,"
        "tls,labels,total,instances,plan,whole_plan,timeseries");
    j = render(&f.r);
    assert_true(json_is_null(json_object_get(j, "whole_plan")));
    assert_true(json_is_null(json_object_get(j, "share")));
    json_decref(j);
    json_decref(exp);
    fix_fini(&f);
}

static void test_json_merge_parts(void **state)
{
    (void)state;
    /* A merged run: the whole plan, share and environment per input, no service time. */
    fix f;
    fix_init(&f);
    json_t *pl = json_pack("{s:s, s:[{s:s, s:[{s:f, s:f}]}], s:{s:[s]}}", "name", "whole", "scenarios", "model", "open",
                           "stages", "rate", 60.5, "duration_s", 2.5, "thresholds", "A", "p99 < 1s");
    json_t *sh0 = json_pack("{s:i, s:i}", "index", 0, "count", 2);
    json_t *env0 = json_pack("{s:s, s:i}", "hostname", "pi-1", "fd_limit", 1024);
    const char *dirs[] = {"w0", "w1"};
    const json_t *shares[] = {sh0, NULL};
    const json_t *envs[] = {env0, NULL};
    uint32_t rep[] = {0}, miss[] = {1};
    results_workers w = {.count = 2, .reported = rep, .n_reported = 1, .missing = miss, .n_missing = 1};
    results_merge m = {2, dirs, shares, envs, pl, &w, NULL};
    f.r.p = NULL;
    f.r.merge = &m;
    f.r.histograms = true;
    f.rl[0].no_service_time = true;
    char keys[512];
    top_keys(&f.r, keys, sizeof(keys));
    assert_string_equal(
        keys,
        "ptest_version,started,duration_s,interrupted,aborted,threshold_abort,dropped,data_exhausted_users,share,environment,"
        "tls,labels,total,instances,plan,whole_plan,timeseries,expected,merged_from,shares,"
        "environments,distributed,latency_hdr");
    json_t *j = render(&f.r);
    assert_true(json_is_null(json_object_get(j, "share")));
    assert_true(json_is_null(json_object_get(j, "environment")));
    assert_true(json_is_null(json_object_get(j, "whole_plan")));
    assert_true(json_is_null(json_object_get(j, "expected")));
    assert_true(json_equal(json_object_get(j, "plan"), pl));
    assert_string_equal(json_string_value(path(j, "merged_from.#1")), "w1");
    assert_true(json_equal(path(j, "shares.#0"), sh0));
    assert_true(json_is_null(path(j, "shares.#1")));
    assert_true(json_equal(path(j, "environments.#0"), env0));
    assert_int_equal(json_integer_value(path(j, "distributed.workers")), 2);
    assert_int_equal(json_integer_value(path(j, "distributed.missing.#0")), 1);
    assert_int_equal(json_array_size(path(j, "distributed.partial")), 0);
    assert_true(json_is_null(path(j, "labels.A.service_time_us")));
    assert_true(json_is_object(path(j, "total.service_time_us")));
    json_decref(j);
    json_decref(pl);
    json_decref(sh0);
    json_decref(env0);
    fix_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_json_tls),
        cmocka_unit_test(test_json_run_parts),
        cmocka_unit_test(test_json_merge_parts),
        cmocka_unit_test(test_write_file),
        cmocka_unit_test(test_hlog_names),
        cmocka_unit_test(test_hlogs_stream),
        cmocka_unit_test(test_csv_field),
        cmocka_unit_test(test_jtl_rows),
        cmocka_unit_test(test_progress_format),
        cmocka_unit_test(test_json_instances_conn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
