/* test_ptest_report.c - the analysis stage on synthesized results directories: loading,
 * the gate (thresholds, checks, parse errors), junit.xml escaping and structure, the
 * scorecard's CSP rules, merge exactness (histograms and counts add), and how long the
 * reports of a 10-minute, 10-label run take (printed; only a loose bound is asserted). */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "hist.h"
#include "hlog.h"
#include "jsonw.h"
#include "ptest/report/junit.h"
#include "ptest/report/report.h"
#include "ptest/report/scorecard.h"
#include "ptest/report/summary.h"
#include "ptest/results/analysis.h"
#include "ptest/results/merge.h"
#include "ptest/verdict/gate.h"
#include "ptest/verdict/history.h"

#define PER_SEC 40

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005u + 1442695040888963407u;
    return *x >> 33;
}

/* Writes dir with n_labels labels ("L0".."Ln-1") of n_sec seconds, PER_SEC requests per
 * label and second, latency around (label + 1) ms, err_every-th request an error (0: none),
 * thresholds as a JSON object text. Base time base_ms. */
static void synth(const char *dir, size_t n_labels, size_t n_sec, uint64_t seed, unsigned err_every,
                  const char *thresholds, uint64_t base_ms)
{
    mkdir(dir, 0777);
    hist *sec = NULL;
    assert_int_equal(hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &sec), 0);
    hist *tot_sec = NULL;
    assert_int_equal(hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &tot_sec), 0);
    buf *logs = calloc(n_labels + 1, sizeof(buf));
    assert_non_null(logs);
    for (size_t l = 0; l <= n_labels; l++) {
        char *h;
        size_t len;
        assert_int_equal(hlog_format_header(base_ms, base_ms, NULL, &h, &len), 0);
        buf_append(&logs[l], h, len);
        free(h);
    }
    uint64_t x = seed;
    uint64_t count = 0, errors = 0;
    buf ts = BUF_INIT;
    jsonw tw;
    jsonw_init(&tw, &ts, 0);
    jsonw_arr_begin(&tw);
    for (size_t s = 0; s < n_sec; s++) {
        hist_reset(tot_sec);
        jsonw_obj_begin(&tw);
        jsonw_key(&tw, "t");
        jsonw_u64(&tw, s);
        jsonw_key(&tw, "len_s");
        jsonw_double(&tw, 1);
        jsonw_key(&tw, "labels");
        jsonw_obj_begin(&tw);
        for (size_t l = 0; l < n_labels; l++) {
            hist_reset(sec);
            for (int k = 0; k < PER_SEC; k++)
                hist_record(sec, (l + 1) * 1000 * 8 / 10 + lcg(&x) % ((l + 1) * 400 + 1));
            hist_add(tot_sec, sec);
            char *line;
            size_t len;
            assert_int_equal(hlog_format_interval(NULL, s * 1000, 1000, sec, 1000.0, &line, &len), 0);
            buf_append(&logs[l], line, len);
            free(line);
            char name[16];
            snprintf(name, sizeof(name), "L%zu", l);
            jsonw_key(&tw, name);
            jsonw_obj_begin(&tw);
            jsonw_key(&tw, "rps");
            jsonw_double(&tw, PER_SEC);
            jsonw_key(&tw, "errors");
            jsonw_u64(&tw, err_every ? PER_SEC / err_every : 0);
            jsonw_key(&tw, "p50_us");
            jsonw_u64(&tw, hist_value_at_percentile(sec, 50));
            jsonw_key(&tw, "p99_us");
            jsonw_u64(&tw, hist_value_at_percentile(sec, 99));
            jsonw_obj_end(&tw);
        }
        jsonw_obj_end(&tw);
        jsonw_key(&tw, "rps");
        jsonw_double(&tw, (double)(PER_SEC * n_labels));
        jsonw_key(&tw, "errors");
        jsonw_u64(&tw, err_every ? n_labels * (PER_SEC / err_every) : 0);
        jsonw_key(&tw, "p50_us");
        jsonw_u64(&tw, hist_value_at_percentile(tot_sec, 50));
        jsonw_key(&tw, "p99_us");
        jsonw_u64(&tw, hist_value_at_percentile(tot_sec, 99));
        jsonw_obj_end(&tw);
        char *line;
        size_t len;
        assert_int_equal(hlog_format_interval(NULL, s * 1000, 1000, tot_sec, 1000.0, &line, &len), 0);
        buf_append(&logs[n_labels], line, len);
        free(line);
    }
    jsonw_arr_end(&tw);
    count = (uint64_t)PER_SEC * n_sec;
    errors = err_every ? (uint64_t)(PER_SEC / err_every) * n_sec : 0;
    buf js = BUF_INIT;
    buf_printf(&js,
               "{\"ptest_version\":\"test\",\"started\":\"2026-01-01T00:00:00Z\",\"duration_s\":%zu,"
               "\"interrupted\":false,\"aborted\":null,\"dropped\":0,\"labels\":{",
               n_sec);
    for (size_t l = 0; l <= n_labels; l++) {
        uint64_t c = l < n_labels ? count : count * n_labels, e = l < n_labels ? errors : errors * n_labels;
        if (l < n_labels)
            buf_printf(&js, "%s\"L%zu\":", l ? "," : "", l);
        else
            buf_puts(&js, "},\"total\":");
        buf_printf(&js,
                   "{\"count\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"dropped\":0,\"queued\":0,\"rps\":%g,"
                   "\"bytes_received\":%" PRIu64 ",\"bytes_sent\":7,\"errors_by_kind\":{\"status\":%" PRIu64
                   ",\"timeout\":0},\"status\":{\"200\":%" PRIu64 ",\"500\":%" PRIu64 "},",
                   c, e, (double)c / (double)n_sec, c * 10, e, c - e, e);
        if (l < n_labels)
            buf_printf(&js, "\"hlog\":\"L%zu.hlog\"}", l);
        else
            buf_puts(&js, "\"hlog\":\"total.hlog\"}");
    }
    buf_printf(&js,
               ",\"plan\":{\"name\":\"synth <&>\",\"apdex_t_s\":0.005,\"scenarios\":[{\"model\":\"closed\","
               "\"requests\":[{\"label\":\"L0\",\"expect\":{\"status\":200,\"body_contains\":null}}]}],"
               "\"thresholds\":%s},\"timeseries\":",
               thresholds);
    buf_append(&js, ts.data, ts.len);
    buf_puts(&js, "}");
    char path[512];
    snprintf(path, sizeof(path), "%s/results.json", dir);
    assert_int_equal(buf_write_file(&js, path), 0);
    for (size_t l = 0; l <= n_labels; l++) {
        if (l < n_labels)
            snprintf(path, sizeof(path), "%s/L%zu.hlog", dir, l);
        else
            snprintf(path, sizeof(path), "%s/total.hlog", dir);
        assert_int_equal(buf_write_file(&logs[l], path), 0);
        buf_fini(&logs[l]);
    }
    free(logs);
    buf_fini(&js);
    buf_fini(&ts);
    hist_destroy(sec);
    hist_destroy(tot_sec);
}

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_ptest_report.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_load_and_gate(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/g", tmpdir);
    synth(dir, 3, 20, 7, 10, "{\"*\":[\"p95 < 1s\",\"error_rate < 5%\"],\"L2\":[\"p99 < 1ms\"],\"L9\":[\"rps > 1\"]}",
          UINT64_C(1700000000000));
    analysis_run r;
    char err[512];
    assert_int_equal(analysis_load(&r, dir, false, err, sizeof(err)), 0);
    assert_int_equal(r.n_labels, 3);
    assert_string_equal(r.labels[2].name, "L2");
    assert_int_equal(r.labels[0].count, PER_SEC * 20);
    assert_int_equal(r.labels[0].lat->total_count, PER_SEC * 20);
    assert_int_equal(r.total.lat->total_count, PER_SEC * 20 * 3);
    assert_true(r.labels[0].has_checks && !r.labels[1].has_checks);
    assert_true(fabs(r.apdex_t_us - 5000) < 1e-6);
    /* L0 ~0.8-1.2 ms: all satisfied except the 10 % errors (frustrated). */
    assert_true(fabs(r.labels[0].apdex - 0.9) < 1e-9);
    assert_int_equal(r.total.n_pts, 20);
    gate g;
    assert_int_equal(gate_eval(&g, &r, NULL, err, sizeof(err)), 0);
    /* per label: 2 "*" (+1 for L2) + checks for L0; the total: 2. error_rate 10 % fails all. */
    assert_int_equal(g.n, 3 * 2 + 1 + 1 + 2);
    size_t failed_err = 0, failed_p99 = 0, failed_checks = 0;
    for (size_t i = 0; i < g.n; i++) {
        if (!g.cases[i].failed)
            continue;
        failed_err += strcmp(g.cases[i].name, "error_rate < 5%") == 0;
        failed_p99 += strcmp(g.cases[i].name, "p99 < 1ms") == 0;
        failed_checks += strcmp(g.cases[i].name, "checks") == 0;
    }
    assert_int_equal(failed_err, 4);
    assert_int_equal(failed_p99, 1);
    assert_int_equal(failed_checks, 1);
    assert_int_equal(g.n_failed, 6);
    /* junit: counts and structure; the plan name is escaped. */
    buf b = BUF_INIT;
    assert_int_equal(junit_render(&r, &g, &b), 0);
    assert_non_null(strstr(b.data, "<testsuites name=\"synth &lt;&amp;&gt;\" tests=\"10\" failures=\"6\">"));
    assert_non_null(strstr(b.data, "<testsuite name=\"L2\" tests=\"3\" failures=\"2\""));
    assert_non_null(strstr(b.data, "<failure type=\"threshold\" message=\"L2 is "));
    assert_null(strstr(b.data, "<&>"));
    buf_reset(&b);
    /* scorecard: no inline style or script anywhere. */
    assert_int_equal(scorecard_render(&r, NULL, &g, NULL, &b), 0);
    assert_null(strstr(b.data, "style="));
    assert_null(strstr(b.data, "<style"));
    assert_null(strstr(b.data, "<script"));
    assert_non_null(strstr(b.data, "class=\"verdict fail\""));
    assert_true(strstr(b.data, "verdict") < strstr(b.data, "<table") &&
                strstr(b.data, "<table") < strstr(b.data, "<svg"));
    buf_fini(&b);
    gate_fini(&g);
    analysis_fini(&r);

    /* A threshold that does not parse: an error naming it. */
    synth(dir, 1, 2, 7, 0, "{\"L0\":[\"p95 < 250\"]}", UINT64_C(1700000000000));
    assert_int_equal(analysis_load(&r, dir, false, err, sizeof(err)), 0);
    assert_int_equal(gate_eval(&g, &r, NULL, err, sizeof(err)), GATE_ESYNTAX);
    assert_non_null(strstr(err, "p95 < 250"));
    gate_fini(&g);
    analysis_fini(&r);
    report_opts o = {.dir = dir, .quiet = true};
    assert_int_equal(report_run(&o), 2);
    /* Missing directory / broken json. */
    assert_int_equal(analysis_load(&r, "/nonexistent/x", false, err, sizeof(err)), ANALYSIS_EIO);
}

static void test_merge_exact(void **state)
{
    (void)state;
    char a[300], b[300], m[300];
    snprintf(a, sizeof(a), "%s/wa", tmpdir);
    snprintf(b, sizeof(b), "%s/wb", tmpdir);
    snprintf(m, sizeof(m), "%s/merged", tmpdir);
    /* Worker b started 2 s later and has other values and errors. */
    synth(a, 2, 10, 1, 0, "{}", UINT64_C(1700000000000));
    synth(b, 2, 10, 2, 4, "{\"*\":[\"error_rate < 1%\"]}", UINT64_C(1700000002000));
    const char *dirs[] = {a, b};
    char err[512];
    assert_int_equal(merge_dirs(dirs, 2, m, err, sizeof(err)), 0);
    analysis_run ra, rb, rm;
    assert_int_equal(analysis_load(&ra, a, false, err, sizeof(err)), 0);
    assert_int_equal(analysis_load(&rb, b, false, err, sizeof(err)), 0);
    assert_int_equal(analysis_load(&rm, m, true, err, sizeof(err)), 0);
    assert_int_equal(rm.n_labels, 2);
    for (size_t i = 0; i <= 2; i++) {
        const analysis_label *la = i < 2 ? &ra.labels[i] : &ra.total, *lb = i < 2 ? &rb.labels[i] : &rb.total;
        const analysis_label *lm = i < 2 ? &rm.labels[i] : &rm.total;
        assert_int_equal(lm->count, la->count + lb->count);
        assert_int_equal(lm->errors, la->errors + lb->errors);
        assert_int_equal(lm->by_kind[STATS_ERR_STATUS], la->by_kind[STATS_ERR_STATUS] + lb->by_kind[STATS_ERR_STATUS]);
        hist *sum = NULL;
        assert_int_equal(hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &sum), 0);
        assert_int_equal(hist_add(sum, la->lat), 0);
        assert_int_equal(hist_add(sum, lb->lat), 0);
        assert_int_equal(lm->lat->total_count, sum->total_count);
        for (size_t k = 0; k < sum->counts_len; k++)
            assert_int_equal(lm->lat->counts[k], sum->counts[k]);
        static const double ps[] = {50, 90, 99, 99.9, 100};
        for (size_t k = 0; k < 5; k++)
            assert_true(analysis_pct(lm, ps[k]) == (double)hist_value_at_percentile(sum, ps[k]));
        hist_destroy(sum);
        /* Aligned on wall-clock seconds: 12 s, b's first second is the merged third. */
        assert_int_equal(lm->n_iv, 12);
        assert_int_equal(lm->n_pts, 12);
        assert_true(fabs(lm->pts[0].rps - la->pts[0].rps) < 1e-9);
        assert_true(fabs(lm->pts[2].rps - la->pts[2].rps - lb->pts[0].rps) < 1e-9);
        assert_true(fabs(lm->pts[11].rps - lb->pts[9].rps) < 1e-9);
    }
    /* The stored whole-run histograms (fast path) equal the added intervals. */
    analysis_run rf;
    assert_int_equal(analysis_load(&rf, m, false, err, sizeof(err)), 0);
    assert_non_null(json_object_get(rf.json, "latency_hdr"));
    assert_null(json_object_get(rf.json, "server"));
    for (size_t i = 0; i <= 2; i++) {
        const analysis_label *x = i < 2 ? &rf.labels[i] : &rf.total, *y = i < 2 ? &rm.labels[i] : &rm.total;
        assert_int_equal(x->lat->total_count, y->lat->total_count);
        for (size_t k = 0; k < x->lat->counts_len; k++)
            assert_int_equal(x->lat->counts[k], y->lat->counts[k]);
    }
    analysis_fini(&rf);
    json_t *st = json_object_get(json_object_get(rm.json, "total"), "status");
    assert_int_equal(json_integer_value(json_object_get(st, "500")), rb.total.errors);
    assert_true(fabs(rm.duration_s - 12) < 1e-9);
    analysis_fini(&ra);
    analysis_fini(&rb);
    analysis_fini(&rm);
    /* The merged run is analysed with the first worker's plan: L0 has checks, and b's 500s
     * fail them. */
    report_opts o = {.dir = m, .quiet = true};
    assert_int_equal(report_run(&o), 1);
    /* Unreadable input. */
    const char *bad[] = {a, "/nonexistent"};
    assert_int_equal(merge_dirs(bad, 2, m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent"));
}

/* Rewrites dir/results.json with edit applied. */
static void patch_json(const char *dir, void (*edit)(json_t *))
{
    char path[400];
    snprintf(path, sizeof(path), "%s/results.json", dir);
    json_t *root = json_load_file(path, 0, NULL);
    assert_non_null(root);
    edit(root);
    assert_int_equal(json_dump_file(root, path, 0), 0);
    json_decref(root);
}

static void saturated(json_t *root)
{
    /* 20 s at 40/s per label achieved; planned 500/s; client 95 % busy; drops and queueing. */
    json_t *pl = json_object_get(root, "plan");
    json_array_append_new(json_object_get(pl, "scenarios"),
                          json_pack("{s:s, s:[{s:f, s:f}], s:[]}", "model", "open", "stages", "rate", 500.0,
                                    "duration_s", 20.0, "requests"));
    json_object_set_new(root, "client", json_pack("{s:f, s:i}", "cpu_seconds", 19.0, "threads", 1));
    json_t *t = json_object_get(root, "total");
    json_object_set_new(t, "dropped", json_integer(5));
    json_object_set_new(t, "queued", json_integer(100));
    json_object_set_new(
        root, "server",
        json_pack("{s:b, s:f, s:i}", "scraped", 1, "cpu_ms_per_1000_requests", 12.5, "peak_rss_bytes", 3 << 20));
}

static void test_saturation(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/sat", tmpdir);
    synth(dir, 1, 20, 7, 0, "{}", UINT64_C(1700000000000));
    analysis_run r;
    char err[512];
    assert_int_equal(analysis_load(&r, dir, false, err, sizeof(err)), 0);
    assert_int_equal(r.n_warnings, 0);
    assert_false(r.server_scraped);
    analysis_fini(&r);
    patch_json(dir, saturated);
    assert_int_equal(analysis_load(&r, dir, false, err, sizeof(err)), 0);
    assert_int_equal(r.n_warnings, 4);
    assert_non_null(strstr(r.warnings[0], "of the planned 500.0/s"));
    assert_non_null(strstr(r.warnings[1], "busy 95 %"));
    assert_non_null(strstr(r.warnings[2], "5 planned arrivals were never sent"));
    assert_non_null(strstr(r.warnings[3], "waited for a free connection"));
    assert_true(r.server_scraped && r.cpu_ms_per_1000 == 12.5 && r.peak_rss_bytes == 3 << 20);
    gate g;
    assert_int_equal(gate_eval(&g, &r, NULL, err, sizeof(err)), 0);
    buf out = BUF_INIT;
    assert_int_equal(summary_render(&r, &g, NULL, &out), 0);
    assert_non_null(strstr(out.data, "  warning: achieved "));
    assert_non_null(strstr(out.data, "server: 12.50 ms CPU per 1,000 requests, peak RSS 3.0 MiB"));
    buf_fini(&out);
    gate_fini(&g);
    analysis_fini(&r);
}

/* Workers behind a per-connection balancer: a saw pods p1 and p2, b saw p2 and p3. */
static void served_a(json_t *root)
{
    json_object_set_new(root, "instances",
                        json_pack("{s:s, s:i, s:i, s:{s:i, s:i}, s:{s:{s:{s:i, s:i}, s:i}, s:{s:{s:i}, s:i}}}",
                                  "header", "X-Served-By", "responses", 31, "other", 1, "counts", "p1", 20, "p2", 10,
                                  "labels", "L0", "counts", "p1", 20, "p2", 5, "other", 1, "L1", "counts", "p2", 5,
                                  "other", 0));
}

static void served_b(json_t *root)
{
    json_object_set_new(root, "instances",
                        json_pack("{s:s, s:i, s:i, s:{s:i, s:i}, s:{s:{s:{s:i, s:i}, s:i}}}", "header", "X-Served-By",
                                  "responses", 40, "other", 0, "counts", "p3", 30, "p2", 10, "labels", "L1", "counts",
                                  "p3", 30, "p2", 10, "other", 0));
}

static void test_instances_merge(void **state)
{
    (void)state;
    char a[300], b[300], m[300], err[512];
    snprintf(a, sizeof(a), "%s/ia", tmpdir);
    snprintf(b, sizeof(b), "%s/ib", tmpdir);
    snprintf(m, sizeof(m), "%s/im", tmpdir);
    synth(a, 2, 2, 1, 0, "{}", UINT64_C(1700000000000));
    synth(b, 2, 2, 1, 0, "{}", UINT64_C(1700000000000));
    patch_json(a, served_a);
    patch_json(b, served_b);
    const char *dirs[] = {a, b};
    assert_int_equal(merge_dirs(dirs, 2, m, err, sizeof(err)), 0);
    analysis_run r;
    assert_int_equal(analysis_load(&r, m, false, err, sizeof(err)), 0);
    assert_true(r.has_instances);
    const json_t *in = json_object_get(r.json, "instances");
    assert_int_equal(json_integer_value(json_object_get(in, "responses")), 71);
    assert_int_equal(json_integer_value(json_object_get(in, "distinct")), 3);
    assert_int_equal(json_integer_value(json_object_get(in, "other")), 1);
    const json_t *c = json_object_get(in, "counts");
    assert_int_equal(json_integer_value(json_object_get(c, "p1")), 20);
    assert_int_equal(json_integer_value(json_object_get(c, "p2")), 20);
    assert_int_equal(json_integer_value(json_object_get(c, "p3")), 30);
    const json_t *l1 = json_object_get(json_object_get(json_object_get(in, "labels"), "L1"), "counts");
    assert_int_equal(json_integer_value(json_object_get(l1, "p2")), 15);
    assert_int_equal(json_integer_value(json_object_get(l1, "p3")), 30);
    assert_true(fabs(json_number_value(json_object_get(in, "max_min_ratio")) - 1.5) < 1e-12);
    gate g;
    assert_int_equal(gate_eval(&g, &r, NULL, err, sizeof(err)), 0);
    buf out = BUF_INIT;
    assert_int_equal(summary_render(&r, &g, NULL, &out), 0);
    assert_non_null(strstr(out.data, "\ninstances: p3 42.3% (30), p1 28.2% (20), p2 28.2% (20), other 1.4% (1); "
                                     "max/min 1.50, cv 20.2%\n"));
    buf_fini(&out);
    gate_fini(&g);
    analysis_fini(&r);
    /* Without the header anywhere: no line, "instances": null. */
    char d[300];
    snprintf(d, sizeof(d), "%s/ic", tmpdir);
    synth(d, 1, 1, 1, 0, "{}", UINT64_C(1700000000000));
    const char *one[] = {d};
    assert_int_equal(merge_dirs(one, 1, m, err, sizeof(err)), 0);
    assert_int_equal(analysis_load(&r, m, false, err, sizeof(err)), 0);
    assert_false(r.has_instances);
    assert_true(json_is_null(json_object_get(r.json, "instances")));
    assert_int_equal(gate_eval(&g, &r, NULL, err, sizeof(err)), 0);
    assert_int_equal(summary_render(&r, &g, NULL, &out), 0);
    assert_null(strstr(out.data, "instances:"));
    buf_fini(&out);
    gate_fini(&g);
    analysis_fini(&r);
}

/* 1,000,000 users under ulimit -n 20000 (issue 14): the attempts over the limit are
 * errors_by_kind.local_limit, outside count and errors. */
static void fd_limited(json_t *root)
{
    json_t *sc = json_array_get(json_object_get(json_object_get(root, "plan"), "scenarios"), 0);
    json_object_set_new(sc, "users", json_integer(1000000));
    json_object_set_new(root, "environment", json_pack("{s:s, s:i}", "hostname", "h", "fd_limit", 20000));
    const char *who[] = {"total", "L0"};
    for (int i = 0; i < 2; i++) {
        json_t *l = i ? json_object_get(json_object_get(root, "labels"), who[i]) : json_object_get(root, who[i]);
        json_object_set_new(json_object_get(l, "errors_by_kind"), "local_limit", json_integer(979907));
    }
}

/* The same count with room for every connection: another local limit (ports, memory). */
static void port_limited(json_t *root)
{
    fd_limited(root);
    json_object_set_new(json_object_get(root, "environment"), "fd_limit", json_integer(2000000));
}

static void test_local_limit_warning(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/local", tmpdir);
    /* No error of the server at all: error_rate 0 holds whatever local_limit says. */
    synth(dir, 1, 5, 3, 0, "{\"*\":[\"error_rate < 0.1%\"]}", UINT64_C(1700000000000));
    patch_json(dir, fd_limited);
    analysis_run r;
    char err[512];
    assert_int_equal(analysis_load(&r, dir, false, err, sizeof(err)), 0);
    assert_int_equal(r.total.by_kind[STATS_ERR_LOCAL_LIMIT], 979907);
    assert_int_equal(r.total.errors, 0);
    assert_true(r.total.error_rate == 0);
    assert_int_equal(r.fd_limit, 20000);
    assert_true(r.n_warnings >= 1);
    assert_string_equal(r.warnings[0], "generator hit its file-descriptor limit (ulimit -n 20000): 979907 connects "
                                       "not attempted (not counted as server errors); raise ulimit -n or lower users");
    gate g;
    assert_int_equal(gate_eval(&g, &r, NULL, err, sizeof(err)), 0);
    assert_int_equal(g.n_failed, 0);
    buf out = BUF_INIT;
    assert_int_equal(summary_render(&r, &g, NULL, &out), 0);
    assert_non_null(strstr(out.data, "PASS: "));
    assert_non_null(strstr(out.data, "\n  warning: generator hit its file-descriptor limit (ulimit -n 20000)"));
    buf_reset(&out);
    assert_int_equal(junit_render(&r, &g, &out), 0);
    assert_non_null(strstr(out.data, "<system-out>warning: generator hit its file-descriptor limit"));
    assert_null(strstr(out.data, "<failure"));
    buf_reset(&out);
    assert_int_equal(scorecard_render(&r, NULL, &g, NULL, &out), 0);
    assert_non_null(strstr(out.data, "generator hit its file-descriptor limit (ulimit -n 20000)"));
    buf_fini(&out);
    gate_fini(&g);
    analysis_fini(&r);
    patch_json(dir, port_limited);
    assert_int_equal(analysis_load(&r, dir, false, err, sizeof(err)), 0);
    assert_non_null(strstr(r.warnings[0], "generator hit a local limit (no free local port"));
    assert_non_null(strstr(r.warnings[0], "979907 connects not attempted"));
    analysis_fini(&r);
}

static void test_history(void **state)
{
    (void)state;
    char a[300], b[300], hd[300];
    snprintf(a, sizeof(a), "%s/ha", tmpdir);
    snprintf(b, sizeof(b), "%s/hb", tmpdir);
    snprintf(hd, sizeof(hd), "%s/hist/sub", tmpdir);
    synth(a, 1, 3, 1, 0, "{}", UINT64_C(1700000000000));
    synth(b, 1, 3, 2, 0, "{\"*\":[\"p50 < 1us\"]}", UINT64_C(1700000000000));
    analysis_run ra, rb;
    gate ga, gb;
    history h;
    char err[512];
    assert_int_equal(analysis_load(&ra, a, false, err, sizeof(err)), 0);
    assert_int_equal(analysis_load(&rb, b, false, err, sizeof(err)), 0);
    assert_int_equal(gate_eval(&ga, &ra, NULL, err, sizeof(err)), 0);
    assert_int_equal(gate_eval(&gb, &rb, NULL, err, sizeof(err)), 0);
    assert_int_equal(history_update(hd, &ra, &ga, &h, err, sizeof(err)), 0);
    assert_int_equal(h.n, 1);
    /* The same run again is not appended twice. */
    assert_int_equal(history_update(hd, &ra, &ga, &h, err, sizeof(err)), 0);
    assert_int_equal(h.n, 1);
    assert_int_equal(history_update(hd, &rb, &gb, &h, err, sizeof(err)), 0);
    assert_int_equal(h.n, 2);
    assert_string_equal(h.e[0].verdict, "pass");
    assert_string_equal(h.e[1].verdict, "fail");
    assert_true(h.e[1].p50_us == analysis_pct(&rb.total, 50));
    /* Garbage lines are skipped; only the last HISTORY_SHOW runs are kept, in order. */
    char path[400];
    snprintf(path, sizeof(path), "%s/history.jsonl", hd);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("not json\n\x01\n{\"started\":\"x\",\"results\":\"y\",\"p50_us\":null}\n", f);
    for (int i = 0; i < 30; i++)
        fprintf(f, "{\"started\":\"s%d\",\"results\":\"r\",\"p50_us\":%d,\"verdict\":\"pass\"}\n", i, i);
    fclose(f);
    assert_int_equal(history_update(hd, &ra, &ga, &h, err, sizeof(err)), 0);
    assert_int_equal(h.n, HISTORY_SHOW);
    assert_true(h.e[HISTORY_SHOW - 1].p50_us == 29);
    assert_true(h.e[0].p50_us == 30 - HISTORY_SHOW);
    buf out = BUF_INIT;
    assert_int_equal(summary_render(&ra, &ga, &h, &out), 0);
    assert_non_null(strstr(out.data, "history (last 20 runs"));
    buf_reset(&out);
    assert_int_equal(scorecard_render(&ra, NULL, &ga, &h, &out), 0);
    assert_non_null(strstr(out.data, "Trend over the last runs"));
    buf_fini(&out);
    gate_fini(&ga);
    gate_fini(&gb);
    analysis_fini(&ra);
    analysis_fini(&rb);
}

/* "latency_hdr" as results.h writes it, for test_report_speed. */
static json_t *speed_hdr;
static void with_speed_hdr(json_t *root)
{
    json_object_set(root, "latency_hdr", speed_hdr);
}

static void test_report_speed(void **state)
{
    (void)state;
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/big", tmpdir);
    synth(dir, 10, 600, 3, 0, "{\"*\":[\"p95 < 250ms\",\"error_rate < 1%\",\"p99: +10%\"]}", UINT64_C(1700000000000));
    /* As `ptest run` leaves it: the whole-run histograms stored in results.json. */
    analysis_run r;
    char err[512];
    assert_int_equal(analysis_load(&r, dir, false, err, sizeof(err)), 0);
    const char *names[11];
    const hist *hs[11];
    for (size_t i = 0; i <= 10; i++) {
        names[i] = i < 10 ? r.labels[i].name : "total";
        hs[i] = i < 10 ? r.labels[i].lat : r.total.lat;
    }
    speed_hdr = json_object();
    assert_non_null(speed_hdr);
    for (size_t i = 0; i <= 10; i++) {
        char *b64 = NULL;
        size_t len = 0;
        assert_int_equal(hlog_encode_histogram(hs[i], &b64, &len), 0);
        json_object_set_new(speed_hdr, names[i], json_stringn(b64, len));
        free(b64);
    }
    analysis_fini(&r);
    patch_json(dir, with_speed_hdr);
    json_decref(speed_hdr);
    static const char *const what[] = {"without", "with"};
    double ms = 0;
    for (int with = 0; with < 2; with++) {
        report_opts o = {.dir = dir, .baseline = with ? dir : NULL, .quiet = true};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = report_run(&o);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_int_equal(rc, 0);
        ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        printf("report of a 10-minute run with 10 labels, %s a baseline: %.0f ms\n", what[with], ms);
    }
    assert_true(ms < 30000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_and_gate),   cmocka_unit_test(test_merge_exact),
        cmocka_unit_test(test_saturation),      cmocka_unit_test(test_local_limit_warning),
        cmocka_unit_test(test_history),         cmocka_unit_test(test_report_speed),
        cmocka_unit_test(test_instances_merge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
