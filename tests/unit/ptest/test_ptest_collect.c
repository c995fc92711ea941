/* test_ptest_collect.c - the distributed collector without sockets: the wire format (round
 * trip, a table of malformed intervals, partial input at a guard page), worker paths and
 * file names, the collector's state (duplicates, conflicts, /status, /metrics, progress),
 * the routes (404, 405, 503), and the merge of final and partial workers: the partial one
 * contributes exactly what it sent, the missing one is named, the gate fails for both. */
#include <inttypes.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/guard.h"

#include "buf.h"
#include "hist.h"
#include "hlog.h"
#include "ptest/collect/collect.h"
#include "ptest/collect/collect_server.h"
#include "ptest/collect/collect_wire.h"
#include "ptest/engine/stats.h"
#include "ptest/run/run.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_ptest_collect.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Second t of a worker with labels A and B: A gets n requests at (1 + t) ms with one
 * timeout, B n / 2 requests at 5 ms. */
static void make_second(stats_interval *iv, uint32_t n, uint32_t t)
{
    assert_int_equal(stats_interval_init(iv, 2), 0);
    for (uint32_t i = 0; i < n; i++)
        hist_record(iv->labels[0].lat, 1000 * (1 + t) + i);
    iv->labels[0].count = n + 1;
    iv->labels[0].errors = 1;
    iv->labels[0].by_kind[STATS_ERR_TIMEOUT] = 1;
    for (uint32_t i = 0; i < n / 2; i++)
        hist_record(iv->labels[1].lat, 5000);
    iv->labels[1].count = n / 2;
}

static char *interval_body(uint32_t workers, uint64_t start_ms, uint32_t t, uint32_t n, size_t *len)
{
    stats_interval iv;
    make_second(&iv, n, t);
    static const char *const names[] = {"A", "B"};
    buf b = BUF_INIT;
    assert_int_equal(collect_wire_format_interval(&b, workers, start_ms, t, 1000, &iv, names), 0);
    stats_interval_fini(&iv);
    *len = b.len;
    return b.data;
}

static void test_wire_round_trip(void **state)
{
    (void)state;
    size_t len;
    char *body = interval_body(3, UINT64_C(1700000000123), 7, 40, &len);
    guarded g;
    guard_copy(&g, body, len);
    collect_wire_interval iv;
    char err[256];
    assert_int_equal(collect_wire_parse_interval(g.p, len, &iv, err, sizeof(err)), 0);
    assert_int_equal(iv.workers, 3);
    assert_int_equal(iv.start_ms, UINT64_C(1700000000123));
    assert_int_equal(iv.t, 7);
    assert_int_equal(iv.len_ms, 1000);
    assert_int_equal(iv.n_labels, 2);
    assert_string_equal(iv.labels[0].name, "A");
    assert_int_equal(iv.labels[0].count, 41);
    assert_int_equal(iv.labels[0].errors, 1);
    assert_int_equal(iv.labels[0].by_kind[STATS_ERR_TIMEOUT], 1);
    assert_int_equal(iv.labels[0].lat->total_count, 40);
    assert_int_equal(hist_min(iv.labels[0].lat), 8000);
    assert_int_equal(iv.labels[1].lat->total_count, 20);
    collect_wire_interval_fini(&iv);
    /* Every proper prefix is an error, never a success or a read past the end. */
    for (size_t n = 0; n < len; n += 7) {
        guarded p;
        guard_copy(&p, body, n);
        assert_int_not_equal(collect_wire_parse_interval(p.p, n, &iv, err, sizeof(err)), 0);
        guard_fini(&p);
    }
    guard_fini(&g);
    free(body);
}

/* fmt with every "%s" replaced by h (not printf: the table's texts are data). */
static void subst(char *out, size_t outlen, const char *fmt, const char *h)
{
    buf b = BUF_INIT;
    for (const char *p = fmt; *p; p++) {
        if (p[0] == '%' && p[1] == 's') {
            buf_puts(&b, h);
            p++;
        } else {
            buf_putc(&b, *p);
        }
    }
    assert_true(buf_ok(&b) && b.len < outlen);
    memcpy(out, b.data ? b.data : "", b.len + 1);
    buf_fini(&b);
}

static void test_wire_malformed(void **state)
{
    (void)state;
    char *h = NULL, *big = NULL;
    size_t hl;
    hist *x = NULL;
    assert_int_equal(hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &x), 0);
    hist_record(x, 100);
    hist_record(x, 200);
    assert_int_equal(hlog_encode_histogram(x, &h, &hl), 0);
    hist *y = NULL; /* another layout: 2 significant digits */
    assert_int_equal(hist_create(1, 1000000, 2, &y), 0);
    assert_int_equal(hlog_encode_histogram(y, &big, &hl), 0);
    char good[512];
    snprintf(good, sizeof(good),
             "{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"A\","
             "\"count\":2,\"errors\":0,\"errors_by_kind\":{},\"hist\":\"%s\"}]}",
             h);
    collect_wire_interval iv;
    char err[256];
    assert_int_equal(collect_wire_parse_interval(good, strlen(good), &iv, err, sizeof(err)), 0);
    collect_wire_interval_fini(&iv);
    /* local_limit counts attempts outside count and errors (stats.h): not in the sum. */
    snprintf(good, sizeof(good),
             "{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"A\","
             "\"count\":2,\"errors\":1,\"errors_by_kind\":{\"reset\":1,\"local_limit\":500},\"hist\":\"%s\"}]}",
             h);
    if (collect_wire_parse_interval(good, strlen(good), &iv, err, sizeof(err)) != 0)
        fail_msg("local_limit refused: %s", err);
    assert_int_equal(iv.labels[0].by_kind[STATS_ERR_LOCAL_LIMIT], 500);
    assert_int_equal(iv.labels[0].errors, 1);
    collect_wire_interval_fini(&iv);
    const struct {
        const char *fmt; /* %s = the histogram */
        const char *why;
    } bad[] = {
        {"", "empty"},
        {"[]", "not an object"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000}", "no labels"},
        {"{\"workers\":0,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[]}", "no workers"},
        {"{\"workers\":-1,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[]}", "negative"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":99999999999,\"len_ms\":1000,\"labels\":[]}", "t out of range"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":0,\"labels\":[]}", "len 0"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":1.5,\"len_ms\":1000,\"labels\":[]}", "real t"},
        {"{\"workers\":2,\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[]}", "duplicate key"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"\",\"count\":2,\"errors\":0,"
         "\"errors_by_kind\":{},\"hist\":\"%s\"}]}",
         "empty name"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"A\",\"count\":2,\"errors\":3,"
         "\"errors_by_kind\":{\"reset\":3},\"hist\":\"%s\"}]}",
         "errors > count"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"A\",\"count\":2,\"errors\":1,"
         "\"errors_by_kind\":{},\"hist\":\"%s\"}]}",
         "kinds do not add up"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"A\",\"count\":2,\"errors\":1,"
         "\"errors_by_kind\":{\"ok\":1},\"hist\":\"%s\"}]}",
         "kind ok"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"A\",\"count\":2,\"errors\":1,"
         "\"errors_by_kind\":{\"local_limit\":1},\"hist\":\"%s\"}]}",
         "local_limit as one of the errors"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"A\",\"count\":1,\"errors\":0,"
         "\"errors_by_kind\":{},\"hist\":\"%s\"}]}",
         "more latencies than count"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"A\",\"count\":2,\"errors\":0,"
         "\"errors_by_kind\":{},\"hist\":\"HISTFAAAAAA!\"}]}",
         "bad base64"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"A\",\"count\":2,\"errors\":0,"
         "\"errors_by_kind\":{},\"hist\":\"%s\"},{\"name\":\"A\",\"count\":2,\"errors\":0,\"errors_by_kind\":{},"
         "\"hist\":\"%s\"}]}",
         "label twice"},
        {"{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"A\\u0000\",\"count\":2,"
         "\"errors\":0,\"errors_by_kind\":{},\"hist\":\"%s\"}]}",
         "NUL in a name"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[1024];
        subst(body, sizeof(body), bad[i].fmt, h);
        int rc = collect_wire_parse_interval(body, strlen(body), &iv, err, sizeof(err));
        if (rc == 0)
            fail_msg("accepted: %s", bad[i].why);
        assert_int_equal(iv.n_labels, 0);
        assert_null(iv.labels);
    }
    /* A histogram of another layout is refused. */
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"workers\":2,\"start_ms\":1,\"t\":0,\"len_ms\":1000,\"labels\":[{\"name\":\"A\","
             "\"count\":2,\"errors\":0,\"errors_by_kind\":{},\"hist\":\"%s\"}]}",
             big);
    assert_int_equal(collect_wire_parse_interval(body, strlen(body), &iv, err, sizeof(err)), COLLECT_WIRE_ESYNTAX);
    /* NUL bytes inside the body. */
    char nul[] = "{\"workers\":2\0}";
    assert_int_equal(collect_wire_parse_interval(nul, sizeof(nul) - 1, &iv, err, sizeof(err)), COLLECT_WIRE_ESYNTAX);
    uint32_t w = 0;
    assert_int_equal(collect_wire_parse_commit("{\"workers\":3}", 13, &w, err, sizeof(err)), 0);
    assert_int_equal(w, 3);
    assert_int_not_equal(collect_wire_parse_commit("{\"workers\":0}", 13, &w, err, sizeof(err)), 0);
    assert_int_not_equal(collect_wire_parse_commit("{}", 2, &w, err, sizeof(err)), 0);
    assert_int_not_equal(collect_wire_parse_commit("3", 1, &w, err, sizeof(err)), 0);
    free(h);
    free(big);
    hist_destroy(x);
    hist_destroy(y);
}

static void test_paths_and_names(void **state)
{
    (void)state;
    const struct {
        const char *path;
        int rc;
        uint32_t index;
        const char *rest;
    } paths[] = {
        {"/v1/workers/0/interval", 0, 0, "interval"},
        {"/v1/workers/12/final/A.hlog", 0, 12, "final/A.hlog"},
        {"/v1/workers/2147483647/final", 0, 2147483647u, "final"},
        {"/v1/workers/2147483648/final", -1, 0, NULL},
        {"/v1/workers/01/final", -1, 0, NULL},
        {"/v1/workers//final", -1, 0, NULL},
        {"/v1/workers/-1/final", -1, 0, NULL},
        {"/v1/workers/3", -1, 0, NULL},
        {"/v1/workers/", -1, 0, NULL},
        {"/v1/worker/3/final", -1, 0, NULL},
        {"/v1/workers/99999999999/final", -1, 0, NULL},
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        uint32_t idx = 99;
        const char *rest = NULL;
        size_t rn = 0;
        int rc = collect_wire_worker_path(paths[i].path, strlen(paths[i].path), &idx, &rest, &rn);
        assert_int_equal(rc, paths[i].rc);
        if (rc == 0) {
            assert_int_equal(idx, paths[i].index);
            assert_int_equal(rn, strlen(paths[i].rest));
            assert_memory_equal(rest, paths[i].rest, rn);
        }
    }
    const struct {
        const char *name;
        bool ok;
    } names[] = {
        {"results.json", true},
        {"A.hlog", true},
        {"total-2.hlog", true},
        {"_x.y.hlog", true},
        {".hlog", false},
        {"..hlog", false},
        {".a.hlog", false},
        {"a/b.hlog", false},
        {"../a.hlog", false},
        {"a.hlog.tmp", false},
        {"junit.xml", false},
        {"a b.hlog", false},
        {"", false},
        {"results.json2", false},
        {"a%2F.hlog", false},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_int_equal(collect_wire_valid_file_name(names[i].name, strlen(names[i].name)), names[i].ok);
    char nul[] = "a\0b.hlog";
    assert_false(collect_wire_valid_file_name(nul, sizeof(nul) - 1));
}

static collect *new_coll(const char *sub, uint32_t workers)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/%s", tmpdir, sub);
    collect *c = NULL;
    char err[256];
    assert_int_equal(collect_create(&c, workers, dir, err, sizeof(err)), 0);
    return c;
}

static json_t *status(const collect *c)
{
    buf b = BUF_INIT;
    assert_int_equal(collect_status_json(c, &b), 0);
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, 0, &je);
    assert_non_null(j);
    buf_fini(&b);
    return j;
}

static void test_state(void **state)
{
    (void)state;
    collect *c = new_coll("state", 3);
    char msg[512];
    size_t len;
    char *b0 = interval_body(3, 1000000, 0, 10, &len);
    assert_int_equal(collect_interval(c, 0, b0, len, msg, sizeof(msg)), COLLECT_OK);
    assert_int_equal(collect_interval(c, 0, b0, len, msg, sizeof(msg)), COLLECT_OK); /* a retry */
    assert_non_null(strstr(msg, "duplicate"));
    assert_int_equal(collect_interval(c, 5, b0, len, msg, sizeof(msg)), COLLECT_ENOTFOUND);
    assert_int_equal(collect_http_status(COLLECT_ENOTFOUND), 404);
    free(b0);
    char *other = interval_body(4, 1000000, 1, 10, &len);
    assert_int_equal(collect_interval(c, 0, other, len, msg, sizeof(msg)), COLLECT_ECONFLICT);
    free(other);
    char *restart = interval_body(3, 2000000, 1, 10, &len);
    assert_int_equal(collect_interval(c, 0, restart, len, msg, sizeof(msg)), COLLECT_ECONFLICT);
    free(restart);
    assert_int_equal(collect_interval(c, 1, "{", 1, msg, sizeof(msg)), COLLECT_EBAD);
    assert_int_equal(collect_http_status(COLLECT_EBAD), 400);
    assert_int_equal(collect_put_file(c, 1, "../x.hlog", 9, "x", 1, msg, sizeof(msg)), COLLECT_EBAD);
    assert_int_equal(collect_commit(c, 1, "{\"workers\":3}", 13, msg, sizeof(msg)), COLLECT_EBAD); /* no files */
    assert_int_equal(collect_commit(c, 1, "{\"workers\":2}", 13, msg, sizeof(msg)), COLLECT_ECONFLICT);

    json_t *s = status(c);
    assert_int_equal(json_integer_value(json_object_get(s, "workers")), 3);
    assert_int_equal(json_array_size(json_object_get(s, "reported")), 0);
    assert_int_equal(json_array_size(json_object_get(s, "live")), 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(s, "live"), 0)), 0);
    assert_int_equal(json_array_size(json_object_get(s, "missing")), 2);
    assert_true(json_is_false(json_object_get(s, "done")));
    assert_true(json_is_null(json_object_get(s, "exit_code")));
    json_decref(s);

    buf m = BUF_INIT;
    assert_int_equal(collect_metrics(c, 1000000 + 2000 + 300, &m), 0);
    assert_non_null(strstr(m.data, "ptest_requests_total{label=\"A\"} 11\n"));
    assert_non_null(strstr(m.data, "ptest_requests_total{label=\"(total)\"} 16\n"));
    assert_non_null(strstr(m.data, "ptest_errors_total{label=\"A\",kind=\"timeout\"} 1\n"));
    assert_non_null(strstr(m.data, "ptest_requests_per_second{label=\"A\"} 11\n"));
    assert_non_null(strstr(m.data, "ptest_latency_seconds_count{label=\"B\"} 5\n"));
    assert_non_null(strstr(m.data, "ptest_collect_workers{state=\"waiting\"} 2\n"));
    buf_fini(&m);
    char line[256];
    collect_progress(c, 3 * UINT64_C(1000000000), 1000000 + 2000 + 300, line, sizeof(line));
    assert_non_null(strstr(line, "workers 1/3 live, 0 final"));
    assert_non_null(strstr(line, "16 requests"));
    assert_non_null(strstr(line, "16 req/s"));
    buf idx = BUF_INIT;
    assert_int_equal(collect_results_index(c, &idx), -1); /* not done */
    buf_fini(&idx);
    collect_destroy(c);
}

static void test_routes(void **state)
{
    (void)state;
    collect *c = new_coll("routes", 1);
    const struct {
        const char *method, *path;
        int status;
    } t[] = {
        {"GET", "/healthz", 200},
        {"HEAD", "/healthz", 200},
        {"GET", "/status", 200},
        {"GET", "/metrics", 200},
        {"GET", "/results/", 503},
        {"GET", "/results/results.json", 503},
        {"POST", "/status", 405},
        {"GET", "/nope", 404},
        {"GET", "/v1/workers/0/interval", 405},
        {"POST", "/v1/workers/0/final/A.hlog", 405},
        {"POST", "/v1/workers/0/other", 404},
        {"POST", "/v1/workers/1/interval", 404},
        {"POST", "/v1/workers/0/interval", 400},
        {"PUT", "/v1/workers/0/final/.x", 400},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        collect_server_reply r = {.body = BUF_INIT};
        collect_server_handle(c, t[i].method, strlen(t[i].method), t[i].path, strlen(t[i].path), "x", 1, 0, &r);
        if (r.status != t[i].status)
            fail_msg("%s %s: %d, expected %d", t[i].method, t[i].path, r.status, t[i].status);
        if (r.status == 405)
            assert_non_null(r.allow);
        buf_fini(&r.body);
    }
    assert_int_equal(collect_server_body_limit("/v1/workers/0/interval", 22), COLLECT_WIRE_MAX_INTERVAL_BYTES);
    assert_int_equal(collect_server_body_limit("/v1/workers/0/final/A.hlog", 26), COLLECT_WIRE_MAX_FILE_BYTES);
    assert_int_equal(collect_server_body_limit("/v1/workers/0/final", 19), COLLECT_WIRE_MAX_COMMIT_BYTES);
    collect_destroy(c);
}

/* A final worker's folder, as `ptest run` would upload it: one label A, 2 s. */
static void upload_final_worker(collect *c, uint32_t w, uint32_t workers, uint64_t start_ms)
{
    char *hdr = NULL, *line = NULL;
    size_t hl, ll;
    hist *h = NULL;
    assert_int_equal(hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &h), 0);
    for (int i = 0; i < 30; i++)
        hist_record(h, 2000);
    buf log = BUF_INIT;
    assert_int_equal(hlog_format_header(start_ms, start_ms, NULL, &hdr, &hl), 0);
    buf_append(&log, hdr, hl);
    for (int s = 0; s < 2; s++) {
        assert_int_equal(hlog_format_interval(NULL, (uint64_t)s * 1000, 1000, h, 1000.0, &line, &ll), 0);
        buf_append(&log, line, ll);
        free(line);
    }
    char js[2048];
    snprintf(
        js, sizeof(js),
        "{\"started\":\"2026-01-01T00:00:00Z\",\"duration_s\":2,\"interrupted\":false,\"aborted\":null,"
        "\"share\":{\"index\":%u,\"count\":%u},"
        "\"labels\":{\"A\":{\"count\":60,\"errors\":0,\"dropped\":0,\"queued\":0,\"rps\":30,"
        "\"bytes_received\":600,\"bytes_sent\":600,\"errors_by_kind\":{},\"status\":{\"200\":60},\"hlog\":\"A.hlog\"}},"
        "\"total\":{\"count\":60,\"errors\":0,\"dropped\":0,\"queued\":0,\"rps\":30,\"bytes_received\":600,"
        "\"bytes_sent\":600,\"errors_by_kind\":{},\"status\":{\"200\":60},\"hlog\":\"total.hlog\"},"
        "\"plan\":{\"name\":\"dist\",\"thresholds\":{\"A\":[\"p99 < 1s\"]}},"
        "\"timeseries\":[{\"t\":0,\"len_s\":1,\"rps\":30,\"errors\":0,\"labels\":{\"A\":{\"rps\":30,\"errors\":0}}},"
        "{\"t\":1,\"len_s\":1,\"rps\":30,\"errors\":0,\"labels\":{\"A\":{\"rps\":30,\"errors\":0}}}]}",
        (unsigned)w, (unsigned)workers);
    char msg[512];
    assert_int_equal(collect_put_file(c, w, "results.json", 12, js, strlen(js), msg, sizeof(msg)), COLLECT_OK);
    assert_int_equal(collect_put_file(c, w, "A.hlog", 6, log.data, log.len, msg, sizeof(msg)), COLLECT_OK);
    /* total.hlog missing: the commit is refused, then accepted once it is there. */
    char commit[32];
    snprintf(commit, sizeof(commit), "{\"workers\":%u}", (unsigned)workers);
    assert_int_equal(collect_commit(c, w, commit, strlen(commit), msg, sizeof(msg)), COLLECT_EBAD);
    assert_int_equal(collect_put_file(c, w, "total.hlog", 10, log.data, log.len, msg, sizeof(msg)), COLLECT_OK);
    assert_int_equal(collect_commit(c, w, commit, strlen(commit), msg, sizeof(msg)), COLLECT_OK);
    assert_int_equal(collect_commit(c, w, commit, strlen(commit), msg, sizeof(msg)), COLLECT_OK); /* retried */
    assert_int_equal(collect_put_file(c, w, "A.hlog", 6, "x", 1, msg, sizeof(msg)), COLLECT_ECONFLICT);
    buf_fini(&log);
    free(hdr);
    hist_destroy(h);
}

static void test_merge_partial_missing(void **state)
{
    (void)state;
    collect *c = new_coll("merge", 3);
    uint64_t start = UINT64_C(1767225600000); /* 2026-01-01 */
    upload_final_worker(c, 0, 3, start);
    /* Worker 1 sends seconds 0 and 2 (1 was lost) and is killed. */
    char msg[512];
    uint64_t sent_count = 0, sent_lat = 0;
    for (uint32_t t = 0; t <= 2; t += 2) {
        size_t len;
        char *b = interval_body(3, start, t, 20, &len);
        assert_int_equal(collect_interval(c, 1, b, len, msg, sizeof(msg)), COLLECT_OK);
        free(b);
        sent_count += 21 + 10;
        sent_lat += 20 + 10;
    }
    assert_false(collect_all_final(c));
    char err[512];
    int rc = collect_finish(c, true, true, err, sizeof(err));
    assert_int_equal(rc, RUN_EXIT_GATE);
    assert_true(collect_done(c));
    size_t len;
    char *b = interval_body(3, start, 3, 20, &len);
    assert_int_equal(collect_interval(c, 1, b, len, msg, sizeof(msg)), COLLECT_ECONFLICT); /* closed */
    free(b);

    json_t *s = status(c);
    assert_true(json_is_true(json_object_get(s, "done")));
    assert_true(json_is_false(json_object_get(s, "complete")));
    assert_true(json_is_true(json_object_get(s, "timed_out")));
    assert_int_equal(json_integer_value(json_object_get(s, "exit_code")), RUN_EXIT_GATE);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(s, "partial"), 0)), 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(s, "missing"), 0)), 2);
    json_decref(s);

    char path[512];
    snprintf(path, sizeof(path), "%s/merge/results.json", tmpdir);
    json_error_t je;
    json_t *r = json_load_file(path, 0, &je);
    assert_non_null(r);
    const json_t *d = json_object_get(r, "distributed");
    assert_int_equal(json_integer_value(json_object_get(d, "workers")), 3);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(d, "reported"), 0)), 0);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(d, "partial"), 0)), 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(d, "missing"), 0)), 2);
    const json_t *tot = json_object_get(r, "total");
    assert_int_equal(json_integer_value(json_object_get(tot, "count")), 60 + sent_count);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(tot, "latency_us"), "count")), 60 + sent_lat);
    const json_t *a = json_object_get(json_object_get(r, "labels"), "A");
    assert_int_equal(json_integer_value(json_object_get(a, "count")), 60 + 42);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "errors_by_kind"), "timeout")), 2);
    /* The plan (thresholds) comes from the final worker's document. */
    assert_non_null(json_object_get(json_object_get(json_object_get(r, "plan"), "thresholds"), "A"));
    json_decref(r);

    snprintf(path, sizeof(path), "%s/merge/junit.xml", tmpdir);
    char *xml = NULL;
    size_t xl;
    assert_int_equal(hlog_load_file(path, &xml, &xl), 0);
    assert_non_null(strstr(xml, "<testsuite name=\"workers\" tests=\"3\" failures=\"2\""));
    assert_non_null(strstr(xml, "name=\"worker 1\""));
    assert_non_null(strstr(xml, "worker 2 never reported"));
    free(xml);

    buf idx = BUF_INIT;
    snprintf(path, sizeof(path), "%s/merge/stray.txt", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(collect_results_index(c, &idx), 0);
    assert_non_null(idx.data);
    assert_null(strstr(idx.data, "stray"));
    assert_non_null(strstr(idx.data, "results.json\n"));
    assert_non_null(strstr(idx.data, "A.hlog\n"));
    assert_non_null(strstr(idx.data, "total.hlog\n"));
    assert_non_null(strstr(idx.data, "junit.xml\n"));
    assert_null(strstr(idx.data, ".workers"));
    buf_fini(&idx);
    assert_true(collect_result_ok(c, "A.hlog", 6));
    assert_false(collect_result_ok(c, ".workers", 8));
    assert_false(collect_result_ok(c, "stray.txt", 9));
    assert_false(collect_result_ok(c, "../merge/results.json", 21));
    collect_server_reply rep = {.body = BUF_INIT};
    collect_server_handle(c, "GET", 3, "/results/summary.txt", 20, "", 0, 0, &rep);
    assert_int_equal(rep.status, 200);
    assert_non_null(strstr(rep.body.data, "worker 1"));
    buf_fini(&rep.body);
    collect_destroy(c);
}

static void test_nobody_reported(void **state)
{
    (void)state;
    collect *c = new_coll("none", 2);
    char err[512];
    assert_int_equal(collect_finish(c, true, true, err, sizeof(err)), RUN_EXIT_GATE);
    json_t *s = status(c);
    assert_int_equal(json_array_size(json_object_get(s, "missing")), 2);
    json_decref(s);
    collect_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_round_trip), cmocka_unit_test(test_wire_malformed),
        cmocka_unit_test(test_paths_and_names), cmocka_unit_test(test_state),
        cmocka_unit_test(test_routes),          cmocka_unit_test(test_merge_partial_missing),
        cmocka_unit_test(test_nobody_reported),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
