/* test_msdemo_config.c - msdemo's config: defaults, overrides, and located errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "msdemo/config.h"

static void load_ok(config *cfg, const char *yaml)
{
    char err[512] = "";
    assert_int_equal(config_init(cfg), 0);
    int rc = config_load_string(cfg, "t.yaml", yaml, strlen(yaml), err, sizeof err);
    if (rc != 0)
        fail_msg("unexpected error: %s", err);
}

static void test_defaults(void **state)
{
    (void)state;
    config cfg;
    assert_int_equal(config_init(&cfg), 0);
    assert_string_equal(cfg.listen, "0.0.0.0:8080");
    assert_int_equal(cfg.n_endpoints, 7);
    static const char *const want[][2] = {
        {"/", "Hello World!"},     {"/A", "*****ALPHA*****"}, {"/B", "*****BETA*****"},    {"/C", "*****CHARLIE*****"},
        {"/D", "*****DELTA*****"}, {"/E", "*****ECHO*****"},  {"/F", "*****FOXTROT*****"},
    };
    for (size_t i = 0; i < 7; i++) {
        const config_endpoint *e = config_find(&cfg, want[i][0], strlen(want[i][0]));
        assert_non_null(e);
        assert_string_equal(e->body, want[i][1]);
        assert_int_equal(e->body_len, strlen(want[i][1]));
    }
    assert_null(config_find(&cfg, "/G", 2));
    assert_int_equal(cfg.limits.max_connections, 10000);
    assert_int_equal(cfg.limits.max_header_bytes, 8192);
    assert_true(cfg.limits.header_timeout_ns == UINT64_C(10000000000));
    assert_true(cfg.limits.body_timeout_ns == UINT64_C(10000000000));
    assert_true(cfg.limits.body_min_rate == 1024);
    assert_true(cfg.timer_slack_ns == UINT64_C(100000));
    assert_true(cfg.limits.send_timeout_ns == UINT64_C(60000000000));
    assert_false(cfg.seed_set);
    config_fini(&cfg);
}

static void test_full_file(void **state)
{
    (void)state;
    config cfg;
    load_ok(&cfg, "listen: 127.0.0.1:9090\n"
                  "workers: 3\n"
                  "seed: 42\n"
                  "drain_timeout: 4s\n"
                  "drain_grace: 500ms\n"
                  "timer_slack: 50us\n"
                  "limits: {max_connections: 7, max_header_bytes: 1024, header_timeout: 2s, idle_timeout: 3s,"
                  " max_pipeline: 8, max_body_bytes: 100, body_timeout: 1500ms, body_min_rate: 0,"
                  " send_timeout: 7s}\n"
                  "endpoints:\n"
                  "  - path: /B\n"
                  "    body: \"beta\"\n"
                  "    delay: {dist: lognormal, mean: 20ms, stddev: 5ms, n: 10}\n"
                  "    errors: {rate: 1%, status: 503}\n"
                  "  - {path: /new, body: fresh, content_type: application/json}\n");
    assert_string_equal(cfg.listen, "127.0.0.1:9090");
    assert_int_equal(cfg.workers, 3);
    assert_true(cfg.seed_set);
    assert_true(cfg.seed == 42);
    assert_true(cfg.drain_timeout_ns == UINT64_C(4000000000));
    assert_true(cfg.drain_grace_ns == UINT64_C(500000000));
    assert_true(cfg.timer_slack_ns == UINT64_C(50000));
    assert_int_equal(cfg.limits.max_connections, 7);
    assert_int_equal(cfg.limits.max_pipeline, 8);
    assert_true(cfg.limits.max_body_bytes == 100);
    assert_true(cfg.limits.body_timeout_ns == UINT64_C(1500000000));
    assert_true(cfg.limits.body_min_rate == 0);
    assert_true(cfg.limits.send_timeout_ns == UINT64_C(7000000000));
    assert_int_equal(cfg.n_endpoints, 8);
    const config_endpoint *b = config_find(&cfg, "/B", 2);
    assert_non_null(b);
    assert_string_equal(b->body, "beta");
    assert_int_equal(b->delay.dist, RNG_LOGNORMAL);
    assert_true(b->delay.mean_ns == 20000000);
    assert_true(b->delay.stddev_ns == 5000000);
    assert_int_equal(b->delay.n, 10);
    assert_true(b->error_rate > 0.0099 && b->error_rate < 0.0101);
    assert_int_equal(b->error_status, 503);
    const config_endpoint *n = config_find(&cfg, "/new", 4);
    assert_non_null(n);
    assert_string_equal(n->content_type, "application/json");
    assert_int_equal(n->delay.dist, RNG_CONSTANT);
    assert_true(n->delay.mean_ns == 0);
    config_fini(&cfg);
}

static void test_empty_file_keeps_defaults(void **state)
{
    (void)state;
    config cfg;
    load_ok(&cfg, "");
    assert_int_equal(cfg.n_endpoints, 7);
    config_fini(&cfg);
    load_ok(&cfg, "# only a comment\n");
    assert_int_equal(cfg.n_endpoints, 7);
    config_fini(&cfg);
}

static void test_constant_ignores_stddev(void **state)
{
    (void)state;
    config cfg;
    load_ok(&cfg, "endpoints: [{path: /A, delay: {dist: constant, mean: 5ms, stddev: 3ms}}]\n");
    const config_endpoint *a = config_find(&cfg, "/A", 2);
    assert_true(a->delay.stddev_ns == 0);
    config_fini(&cfg);
}

static const struct {
    const char *yaml;
    const char *want; /* substring of the error, which must start with t.yaml:L:C: */
} bad[] = {
    {"listen: nowhere\n", "t.yaml:1:9: listen must be HOST:PORT"},
    {"workers: -1\n", "t.yaml:1:10:"},
    {"workers: 5000\n", "t.yaml:1:10:"},
    {"drain_timeout: 10\n", "t.yaml:1:16:"},
    {"drain_timeout: 1s\ndrain_grace: 2s\n", "t.yaml:2:14: drain_grace must not exceed drain_timeout"},
    {"endpionts: []\n", "did you mean \"endpoints\""},
    {"limits: {max_conections: 3}\n", "did you mean \"max_connections\""},
    {"limits: {max_header_bytes: 10}\n", "t.yaml:1:28:"},
    {"limits: {header_timeout: 0s}\n", "timeouts must be greater than 0"},
    {"timer_slack: 20ms\n", "t.yaml:1:14: timer_slack above 10ms would distort the delays"},
    {"limits: {body_timeout: 0s}\n", "t.yaml:1:9: timeouts must be greater than 0"},
    {"limits: {send_timeout: 5}\n", "t.yaml:1:24: duration \"5\" needs a unit"},
    {"limits: {body_min_rate: -1}\n", "t.yaml:1:25: expected an unsigned integer"},
    {"limits: {body_timeot: 1s}\n", "did you mean \"body_timeout\""},
    {"endpoints: {path: /A}\n", "t.yaml:1:12:"},
    {"endpoints:\n  - body: x\n", "t.yaml:2:5: endpoint needs a \"path\""},
    {"endpoints:\n  - path: A\n", "t.yaml:2:11: path must start with '/'"},
    {"endpoints:\n  - path: \"/a b\"\n", "t.yaml:2:11: path must start with '/'"},
    {"endpoints:\n  - path: /metrics\n", "t.yaml:2:11: path /metrics is reserved"},
    {"endpoints:\n  - path: /A\n    delay: {dist: gamma}\n", "t.yaml:3:19: unknown distribution \"gamma\""},
    {"endpoints:\n  - path: /A\n    delay: {mean: 2h}\n", "t.yaml:3:19: mean delay above 1h"},
    {"endpoints:\n  - path: /A\n    delay: {n: 0}\n", "t.yaml:3:16:"},
    {"endpoints:\n  - path: /A\n    delay: {stdev: 1ms}\n", "did you mean \"stddev\""},
    {"endpoints:\n  - path: /A\n    errors: {rate: 150%}\n", "t.yaml:3:20: error rate must be between 0 and 1"},
    {"endpoints:\n  - path: /A\n    errors: {status: 99}\n", "t.yaml:3:22:"},
    {"endpoints:\n  - path: /A\n    content_type: \"a\\nb\"\n", "content_type must be one non-empty line"},
    {"listen: [1, 2\n", "t.yaml:"},
    {"- just\n- a list\n", "t.yaml:1:1:"},
    {"seed: 1\nseed: 2\n", "t.yaml:2:1:"},
};

static void test_bad_configs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        config cfg;
        char err[512] = "";
        assert_int_equal(config_init(&cfg), 0);
        int rc = config_load_string(&cfg, "t.yaml", bad[i].yaml, strlen(bad[i].yaml), err, sizeof err);
        if (rc != -1 || !strstr(err, bad[i].want) || strncmp(err, "t.yaml:", 7) != 0)
            fail_msg("case %zu (%s): rc=%d err=\"%s\", want \"%s\"", i, bad[i].yaml, rc, err, bad[i].want);
        config_fini(&cfg);
    }
}

static void test_too_many_endpoints(void **state)
{
    (void)state;
    char yaml[8192];
    size_t off = (size_t)snprintf(yaml, sizeof yaml, "endpoints:\n");
    for (int i = 0; i < CONFIG_MAX_ENDPOINTS; i++)
        off += (size_t)snprintf(yaml + off, sizeof yaml - off, "  - {path: /p%d}\n", i);
    config cfg;
    char err[512];
    assert_int_equal(config_init(&cfg), 0);
    assert_int_equal(config_load_string(&cfg, "t.yaml", yaml, off, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than 64 endpoints"));
    config_fini(&cfg);
}

static void test_set_listen(void **state)
{
    (void)state;
    config cfg;
    assert_int_equal(config_init(&cfg), 0);
    assert_int_equal(config_set_listen(&cfg, "[::1]:8081"), 0);
    assert_string_equal(cfg.listen, "[::1]:8081");
    assert_int_equal(config_set_listen(&cfg, ":0"), 0);
    assert_int_equal(config_set_listen(&cfg, "host:99999"), -1);
    assert_int_equal(config_set_listen(&cfg, "noport"), -1);
    assert_string_equal(cfg.listen, ":0");
    config_fini(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_empty_file_keeps_defaults),
        cmocka_unit_test(test_constant_ignores_stddev),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_too_many_endpoints),
        cmocka_unit_test(test_set_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
