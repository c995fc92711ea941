/* test_plan.c - unit tests for ptest/plan/plan.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ptest/engine/schedule.h"
#include "ptest/plan/plan.h"

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

/* ---- comparing a loaded plan with an expected one ------------------------------- */

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

#define S(x) ((x) ? (x) : "(null)")
#define CHECK_STR(what, w, g)                                                                                          \
    do {                                                                                                               \
        if (!str_eq((w), (g)))                                                                                         \
            fail_msg("%s: %s: want \"%s\", got \"%s\"", cname, what, S(w), S(g));                                      \
    } while (0)
#define CHECK_U64(what, w, g)                                                                                          \
    do {                                                                                                               \
        if ((uint64_t)(w) != (uint64_t)(g))                                                                            \
            fail_msg("%s: %s: want %" PRIu64 ", got %" PRIu64, cname, what, (uint64_t)(w), (uint64_t)(g));             \
    } while (0)
#define CHECK_DBL(what, w, g)                                                                                          \
    do {                                                                                                               \
        if (fabs((double)(w) - (double)(g)) > 1e-9)                                                                    \
            fail_msg("%s: %s: want %g, got %g", cname, what, (double)(w), (double)(g));                                \
    } while (0)

static void check_headers(const char *cname, const char *what, const plan_header *w, size_t wn, const plan_header *g,
                          size_t gn)
{
    CHECK_U64(what, wn, gn);
    for (size_t i = 0; i < wn; i++) {
        CHECK_STR(what, w[i].name, g[i].name);
        CHECK_STR(what, w[i].value, g[i].value);
    }
}

static void check_plan(const char *cname, const plan *w, const plan *g)
{
    CHECK_STR("name", w->name, g->name);
    CHECK_STR("source", w->source, g->source);
    CHECK_STR("target_str", w->target_str, g->target_str);
    CHECK_STR("target.scheme", w->target.scheme, g->target.scheme);
    CHECK_STR("target.host", w->target.host, g->target.host);
    CHECK_U64("target.port", w->target.port, g->target.port);
    CHECK_STR("target.base_path", w->target.base_path, g->target.base_path);
    CHECK_STR("target.authority", w->target.authority, g->target.authority);
    CHECK_U64("connect_timeout", w->connect_timeout_ns, g->connect_timeout_ns);
    CHECK_U64("request_timeout", w->request_timeout_ns, g->request_timeout_ns);
    CHECK_U64("apdex_t", w->apdex_t_ns, g->apdex_t_ns);
    CHECK_U64("timer_slack", w->timer_slack_ns, g->timer_slack_ns);
    check_headers(cname, "plan headers", w->headers, w->n_headers, g->headers, g->n_headers);
    CHECK_U64("n_scenarios", w->n_scenarios, g->n_scenarios);
    for (size_t i = 0; i < w->n_scenarios; i++) {
        const plan_scenario *ws = &w->scenarios[i], *gs = &g->scenarios[i];
        CHECK_STR("scenario name", ws->name, gs->name);
        CHECK_U64("model", ws->model, gs->model);
        CHECK_U64("users", ws->users, gs->users);
        CHECK_U64("ramp_up", ws->ramp_up_ns, gs->ramp_up_ns);
        CHECK_U64("hold_for", ws->hold_for_ns, gs->hold_for_ns);
        CHECK_U64("iterations", ws->iterations, gs->iterations);
        CHECK_U64("think.dist", ws->think.dist, gs->think.dist);
        CHECK_U64("think.mean", ws->think.mean_ns, gs->think.mean_ns);
        CHECK_U64("think.stddev", ws->think.stddev_ns, gs->think.stddev_ns);
        CHECK_U64("n_stages", ws->n_stages, gs->n_stages);
        for (size_t j = 0; j < ws->n_stages; j++) {
            CHECK_DBL("stage rate", ws->stages[j].rate, gs->stages[j].rate);
            CHECK_U64("stage duration", ws->stages[j].duration_ns, gs->stages[j].duration_ns);
        }
        CHECK_U64("max_connections", ws->max_connections, gs->max_connections);
        CHECK_U64("start_delay", ws->start_delay_ns, gs->start_delay_ns);
        CHECK_U64("weight_total", ws->weight_total, gs->weight_total);
        CHECK_U64("scenario line", ws->line, gs->line);
        CHECK_U64("scenario col", ws->col, gs->col);
        CHECK_U64("n_requests", ws->n_requests, gs->n_requests);
        for (size_t j = 0; j < ws->n_requests; j++) {
            const plan_request *wr = &ws->requests[j], *gr = &gs->requests[j];
            CHECK_STR("label", wr->label, gr->label);
            CHECK_U64("label_id", wr->label_id, gr->label_id);
            CHECK_STR("method", wr->method, gr->method);
            CHECK_STR("path", wr->path, gr->path);
            check_headers(cname, "request headers", wr->headers, wr->n_headers, gr->headers, gr->n_headers);
            CHECK_STR("body", wr->body, gr->body);
            CHECK_U64("body_len", wr->body_len, gr->body_len);
            CHECK_U64("weight", wr->weight, gr->weight);
            CHECK_U64("expect_status", wr->expect_status, gr->expect_status);
            CHECK_STR("expect_body", wr->expect_body, gr->expect_body);
            CHECK_U64("request line", wr->line, gr->line);
            CHECK_U64("request col", wr->col, gr->col);
        }
    }
    CHECK_U64("n_thresholds", w->n_thresholds, g->n_thresholds);
    for (size_t i = 0; i < w->n_thresholds; i++) {
        CHECK_STR("threshold label", w->thresholds[i].label, g->thresholds[i].label);
        CHECK_STR("threshold expr", w->thresholds[i].expr, g->thresholds[i].expr);
        CHECK_U64("threshold line", w->thresholds[i].line, g->thresholds[i].line);
        CHECK_U64("threshold col", w->thresholds[i].col, g->thresholds[i].col);
        CHECK_U64("threshold abort_on_fail", w->thresholds[i].abort_on_fail, g->thresholds[i].abort_on_fail);
        CHECK_U64("threshold delay_abort_eval", w->thresholds[i].delay_abort_eval_ns,
                  g->thresholds[i].delay_abort_eval_ns);
    }
}

/* ---- valid plans ---------------------------------------------------------------- */

/* v1: the format example, both models, every kind of field. */
static const char v1_yaml[] =
    "name: ms-demo\n"                                                                             /* 1 */
    "target: http://127.0.0.1:8080\n"                                                             /* 2 */
    "settings: {connect_timeout: 2s, request_timeout: 10s, apdex_t: 250ms, timer_slack: 250us}\n" /* 3 */
    "headers: {User-Agent: ptest}\n"                                                              /* 4 */
    "scenarios:\n"                                                                                /* 5 */
    "  - name: users\n"                                                                           /* 6 */
    "    model: closed\n"                                                                         /* 7 */
    "    users: 10\n"                                                                             /* 8 */
    "    ramp_up: 10s\n"                                                                          /* 9 */
    "    hold_for: 60s\n"                                                                         /* 10 */
    "    think_time: 100ms\n"                                                                     /* 11 */
    "    requests:\n"                                                                             /* 12 */
    "      - {label: root, path: /, weight: 1, expect: {status: 200, body_contains: \"Hello World!\"}}\n"
    "      - {label: A, path: /A, weight: 2}\n"                                  /* 14 */
    "  - name: arrivals\n"                                                       /* 15 */
    "    model: open\n"                                                          /* 16 */
    "    stages: [{rate: 100/s, duration: 20s}, {rate: 300/s, duration: 40s}]\n" /* 17 */
    "    max_connections: 500\n"                                                 /* 18 */
    "    start_delay: 1500ms\n"                                                  /* 19 */
    "    requests: [{label: B, method: GET, path: /B, headers: {Accept: text/plain}, body: \"...\"}]\n"
    "thresholds:\n"                                     /* 21 */
    "  \"*\": [\"p95 < 250ms\", \"error_rate < 1%\"]\n" /* 22 */
    "  A: [\"p99 < 50ms\"]\n";                          /* 23 */

static plan_header v1_hdr[] = {{"User-Agent", "ptest"}};
static plan_header v1_b_hdr[] = {{"Accept", "text/plain"}};
static plan_request v1_users_req[] = {
    {.label = "root",
     .label_id = 0,
     .method = "GET",
     .path = "/",
     .weight = 1,
     .expect_status = 200,
     .expect_body = "Hello World!",
     .line = 13,
     .col = 9},
    {.label = "A", .label_id = 1, .method = "GET", .path = "/A", .weight = 2, .line = 14, .col = 9},
};
static plan_request v1_arr_req[] = {
    {.label = "B",
     .label_id = 2,
     .method = "GET",
     .path = "/B",
     .n_headers = 1,
     .headers = v1_b_hdr,
     .body = "...",
     .body_len = 3,
     .weight = 1,
     .line = 20,
     .col = 16},
};
static plan_stage v1_stages[] = {{100, 20 * SEC}, {300, 40 * SEC}};
static plan_scenario v1_scen[] = {
    {.name = "users",
     .model = PLAN_CLOSED,
     .users = 10,
     .ramp_up_ns = 10 * SEC,
     .hold_for_ns = 60 * SEC,
     .think = {RNG_CONSTANT, 100 * MS, 0},
     .n_requests = 2,
     .requests = v1_users_req,
     .weight_total = 3,
     .line = 6,
     .col = 5},
    {.name = "arrivals",
     .model = PLAN_OPEN,
     .n_stages = 2,
     .stages = v1_stages,
     .max_connections = 500,
     .start_delay_ns = 1500 * MS,
     .n_requests = 1,
     .requests = v1_arr_req,
     .weight_total = 1,
     .line = 15,
     .col = 5},
};
static plan_threshold v1_thr[] = {
    {.label = "*", .expr = "p95 < 250ms", .line = 22, .col = 9},
    {.label = "*", .expr = "error_rate < 1%", .line = 22, .col = 24},
    {.label = "A", .expr = "p99 < 50ms", .line = 23, .col = 7},
};
static const plan v1_want = {
    .name = "ms-demo",
    .source = "plans/v1.yaml",
    .target = {"http", "127.0.0.1", 8080, "", "127.0.0.1:8080", false},
    .target_str = "http://127.0.0.1:8080",
    .n_scenarios = 2,
    .scenarios = v1_scen,
    .n_thresholds = 3,
    .thresholds = v1_thr,
    .connect_timeout_ns = 2 * SEC,
    .request_timeout_ns = 10 * SEC,
    .apdex_t_ns = 250 * MS,
    .timer_slack_ns = 250 * 1000,
    .n_headers = 1,
    .headers = v1_hdr,
};

/* v2: the smallest closed plan; defaults everywhere. */
static const char v2_yaml[] = "target: http://localhost\n"
                              "scenarios:\n"
                              "- users: 1\n"
                              "  hold_for: 1s\n"
                              "  requests: [{path: /}]\n";
static plan_request v2_req[] = {{.label = "/", .method = "GET", .path = "/", .weight = 1, .line = 5, .col = 14}};
static plan_scenario v2_scen[] = {
    {.name = "scenario-1",
     .model = PLAN_CLOSED,
     .users = 1,
     .hold_for_ns = SEC,
     .n_requests = 1,
     .requests = v2_req,
     .weight_total = 1,
     .line = 3,
     .col = 3},
};
static const plan v2_want = {
    .name = "minimal",
    .source = "dir/minimal.yaml",
    .target = {"http", "localhost", 80, "", "localhost", false},
    .target_str = "http://localhost",
    .n_scenarios = 1,
    .scenarios = v2_scen,
    .connect_timeout_ns = 5 * SEC,
    .request_timeout_ns = 30 * SEC,
    .apdex_t_ns = 500 * MS,
};

/* v3: open model inferred from rate, no target, method/body/headers, a query in the path. */
static const char v3_yaml[] = "scenarios:\n"                                                          /* 1 */
                              "  - rate: 2.5/s\n"                                                     /* 2 */
                              "    duration: 1m\n"                                                    /* 3 */
                              "    start_delay: 0s\n"                                                 /* 4 */
                              "    requests:\n"                                                       /* 5 */
                              "      - path: /search?q=x&n=1\n"                                       /* 6 */
                              "        method: post\n"                                                /* 7 */
                              "        body: '{\"a\": 1}'\n"                                          /* 8 */
                              "        headers: {Content-Type: application/json, X-Tab: \"a\\tb\"}\n" /* 9 */
                              "        weight: 5\n"                                                   /* 10 */
                              "      - path: /B\n"                                                    /* 11 */
                              "        label: beta\n"                                                 /* 12 */
                              "        expect: {status: 404}\n";                                      /* 13 */
static plan_header v3_hdr[] = {{"Content-Type", "application/json"}, {"X-Tab", "a\tb"}};
static plan_request v3_req[] = {
    {.label = "/search?q=x&n=1",
     .label_id = 0,
     .method = "POST",
     .path = "/search?q=x&n=1",
     .n_headers = 2,
     .headers = v3_hdr,
     .body = "{\"a\": 1}",
     .body_len = 8,
     .weight = 5,
     .line = 6,
     .col = 9},
    {.label = "beta",
     .label_id = 1,
     .method = "GET",
     .path = "/B",
     .weight = 1,
     .expect_status = 404,
     .line = 11,
     .col = 9},
};
static plan_stage v3_stages[] = {{2.5, 60 * SEC}};
static plan_scenario v3_scen[] = {
    {.name = "scenario-1",
     .model = PLAN_OPEN,
     .n_stages = 1,
     .stages = v3_stages,
     .max_connections = 1000,
     .n_requests = 2,
     .requests = v3_req,
     .weight_total = 6,
     .line = 2,
     .col = 5},
};
static const plan v3_want = {
    .name = "plan",
    .source = "<input>",
    .n_scenarios = 1,
    .scenarios = v3_scen,
    .connect_timeout_ns = 5 * SEC,
    .request_timeout_ns = 30 * SEC,
    .apdex_t_ns = 500 * MS,
};

/* v4: IPv6 target with a base path, iterations, think-time distributions, one label
 * shared by two scenarios, empty optional sections. */
static const char v4_yaml[] = "name: \"v4\"\n"                                              /* 1 */
                              "target: HTTP://[::1]:8080/api/\n"                            /* 2 */
                              "headers:\n"                                                  /* 3 */
                              "thresholds:\n"                                               /* 4 */
                              "scenarios:\n"                                                /* 5 */
                              "  - name: it\n"                                              /* 6 */
                              "    users: 3\n"                                              /* 7 */
                              "    iterations: 100\n"                                       /* 8 */
                              "    think_time: {dist: uniform, mean: 50ms, stddev: 10ms}\n" /* 9 */
                              "    requests:\n"                                             /* 10 */
                              "      - {path: /x, label: X}\n"                              /* 11 */
                              "      - {path: /y}\n"                                        /* 12 */
                              "  - name: hold\n"                                            /* 13 */
                              "    users: 2\n"                                              /* 14 */
                              "    ramp_up: 1s\n"                                           /* 15 */
                              "    hold_for: 2s\n"                                          /* 16 */
                              "    think_time: {dist: exponential, mean: 1s}\n"             /* 17 */
                              "    requests:\n"                                             /* 18 */
                              "      - {path: /y}\n"                                        /* 19 */
                              "      - {path: /x, label: X, weight: 7}\n"                   /* 20 */
                              "      - {path: /z, method: get}\n";                          /* 21 */
static plan_request v4_it_req[] = {
    {.label = "X", .label_id = 0, .method = "GET", .path = "/x", .weight = 1, .line = 11, .col = 9},
    {.label = "/y", .label_id = 1, .method = "GET", .path = "/y", .weight = 1, .line = 12, .col = 9},
};
static plan_request v4_hold_req[] = {
    {.label = "/y", .label_id = 1, .method = "GET", .path = "/y", .weight = 1, .line = 19, .col = 9},
    {.label = "X", .label_id = 0, .method = "GET", .path = "/x", .weight = 7, .line = 20, .col = 9},
    {.label = "/z", .label_id = 2, .method = "GET", .path = "/z", .weight = 1, .line = 21, .col = 9},
};
static plan_scenario v4_scen[] = {
    {.name = "it",
     .model = PLAN_CLOSED,
     .users = 3,
     .iterations = 100,
     .think = {RNG_UNIFORM, 50 * MS, 10 * MS},
     .n_requests = 2,
     .requests = v4_it_req,
     .weight_total = 2,
     .line = 6,
     .col = 5},
    {.name = "hold",
     .model = PLAN_CLOSED,
     .users = 2,
     .ramp_up_ns = SEC,
     .hold_for_ns = 2 * SEC,
     .think = {RNG_EXPONENTIAL, SEC, 0},
     .n_requests = 3,
     .requests = v4_hold_req,
     .weight_total = 9,
     .line = 13,
     .col = 5},
};
static const plan v4_want = {
    .name = "v4",
    .source = "v4",
    .target = {"http", "::1", 8080, "/api", "[::1]:8080", false},
    .target_str = "HTTP://[::1]:8080/api/",
    .n_scenarios = 2,
    .scenarios = v4_scen,
    .connect_timeout_ns = 5 * SEC,
    .request_timeout_ns = 30 * SEC,
    .apdex_t_ns = 500 * MS,
};

/* v5: explicit port 80, Host override, anchors, block-style thresholds. */
static const char v5_yaml[] = "target: http://10.0.0.1:80/\n"       /* 1 */
                              "settings:\n"                         /* 2 */
                              "  apdex_t: 1s\n"                     /* 3 */
                              "headers:\n"                          /* 4 */
                              "  Host: example.com\n"               /* 5 */
                              "  Accept: \"*/*\"\n"                 /* 6 */
                              "scenarios:\n"                        /* 7 */
                              "  - model: open\n"                   /* 8 */
                              "    rate: 6000/m\n"                  /* 9 */
                              "    duration: 500ms\n"               /* 10 */
                              "    max_connections: 1\n"            /* 11 */
                              "    requests:\n"                     /* 12 */
                              "      - path: /\n"                   /* 13 */
                              "        expect: &ok {status: 200}\n" /* 14 */
                              "      - path: /A\n"                  /* 15 */
                              "        expect: *ok\n"               /* 16 */
                              "thresholds:\n"                       /* 17 */
                              "  \"*\":\n"                          /* 18 */
                              "    - p95 < 250ms\n"                 /* 19 */
                              "    - \"rps > 10\"\n"                /* 20 */
                              "  /A: [error_rate < 1%]\n"           /* 21 */
                              "  /:\n"                              /* 22 */
                              "    - threshold: p99 < 1s for 2s\n"  /* 23 */
                              "      abort_on_fail: true\n"         /* 24 */
                              "      delay_abort_eval: 3s\n";       /* 25 */
static plan_header v5_hdr[] = {{"Host", "example.com"}, {"Accept", "*/*"}};
static plan_request v5_req[] = {
    {.label = "/",
     .label_id = 0,
     .method = "GET",
     .path = "/",
     .weight = 1,
     .expect_status = 200,
     .line = 13,
     .col = 9},
    {.label = "/A",
     .label_id = 1,
     .method = "GET",
     .path = "/A",
     .weight = 1,
     .expect_status = 200,
     .line = 15,
     .col = 9},
};
static plan_stage v5_stages[] = {{100, 500 * MS}};
static plan_scenario v5_scen[] = {
    {.name = "scenario-1",
     .model = PLAN_OPEN,
     .n_stages = 1,
     .stages = v5_stages,
     .max_connections = 1,
     .n_requests = 2,
     .requests = v5_req,
     .weight_total = 2,
     .line = 8,
     .col = 5},
};
static plan_threshold v5_thr[] = {
    {.label = "*", .expr = "p95 < 250ms", .line = 19, .col = 7},
    {.label = "*", .expr = "rps > 10", .line = 20, .col = 7},
    {.label = "/A", .expr = "error_rate < 1%", .line = 21, .col = 8},
    {.label = "/",
     .expr = "p99 < 1s for 2s",
     .abort_on_fail = true,
     .delay_abort_eval_ns = 3 * SEC,
     .line = 23,
     .col = 18},
};
static const plan v5_want = {
    .name = "v5",
    .source = "v5.yml",
    .target = {"http", "10.0.0.1", 80, "", "10.0.0.1", false},
    .target_str = "http://10.0.0.1:80/",
    .n_scenarios = 1,
    .scenarios = v5_scen,
    .n_thresholds = 4,
    .thresholds = v5_thr,
    .connect_timeout_ns = 5 * SEC,
    .request_timeout_ns = 30 * SEC,
    .apdex_t_ns = SEC,
    .n_headers = 2,
    .headers = v5_hdr,
};

static const struct {
    const char *name; /* file name given to the loader (NULL allowed) */
    const char *yaml;
    const plan *want;
} valid_cases[] = {
    {"plans/v1.yaml", v1_yaml, &v1_want},
    {"dir/minimal.yaml", v2_yaml, &v2_want},
    {NULL, v3_yaml, &v3_want},
    {"v4", v4_yaml, &v4_want},
    {"v5.yml", v5_yaml, &v5_want},
};

static void test_valid_plans(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid_cases / sizeof valid_cases[0]; i++) {
        plan p;
        char err[512] = "";
        char cname[32];
        snprintf(cname, sizeof cname, "valid case %zu", i + 1);
        if (plan_load_string(&p, valid_cases[i].name, valid_cases[i].yaml, strlen(valid_cases[i].yaml), err,
                             sizeof err) != 0)
            fail_msg("%s: %s", cname, err);
        check_plan(cname, valid_cases[i].want, &p);
        plan_fini(&p);
        /* plan_fini leaves a zeroed plan, so a second call is harmless. */
        assert_null(p.scenarios);
        plan_fini(&p);
    }
}

/* ---- broken plans: exact messages ----------------------------------------------- */

#define SC "scenarios:\n- users: 1\n  hold_for: 1s\n" /* a closed scenario head, lines 1-3 */
#define L65 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct {
    const char *yaml;
    const char *err; /* a final '*' matches any rest (wording owned by yamltree) */
} broken_cases[] = {
    /* document level */
    {"", "t.yaml: empty plan (expected a mapping with target and scenarios)"},
    {"# nothing\n", "t.yaml: empty plan (expected a mapping with target and scenarios)"},
    {"- a\n", "t.yaml:1:1: expected a mapping, found a sequence"},
    {"targte: http://x\nscenarios: []\n", "t.yaml:1:1: unknown key \"targte\" (did you mean \"target\"?)"},
    {"name: \"\"\n", "t.yaml:1:7: plan name \"\" is empty"},
    {"name: \"a\\x01\"\n",
     "t.yaml:1:7: plan name \"a\\x01\" contains a control or non-ASCII byte (printable ASCII only)"},
    {"target: https://x:0/\n", "t.yaml:1:9: invalid port \"0\" in URL (expected 1-65535)"},
    {"target: ftp://x\n", "t.yaml:1:9: unsupported URL scheme \"ftp\" (only http:// and https:// are supported)"},
    {"target: localhost:8080\n", "t.yaml:1:9: URL \"localhost:8080\" must start with http:// or https://"},
    {"target: http://x/?a=1\n",
     "t.yaml:1:9: target URL must not have a query or fragment (put it in the request path)"},
    {"target: [http://x]\n", "t.yaml:1:9: expected a string, found a sequence"},
    {"target:\n", "t.yaml:1:8: expected a string, found an empty value (null)"},
    {"target: http://x\n", "t.yaml:1:1: plan needs \"scenarios\""},
    {"scenarios: []\n", "t.yaml:1:12: scenarios must not be empty"},
    {"scenarios: {}\n", "t.yaml:1:12: expected a sequence, found a mapping"},
    {"settings: {timeout: 1s}\n",
     "t.yaml:1:12: unknown key \"timeout\" (expected one of: connect_timeout, request_timeout, apdex_t, timer_slack)"},
    {"settings: {apdex_t: 0s}\n", "t.yaml:1:21: apdex_t must be greater than 0"},
    {"settings: {request_timeout: 2h}\n", "t.yaml:1:29: request_timeout is longer than 1h"},
    {"settings: {timer_slack: 11ms}\n",
     "t.yaml:1:25: timer_slack is longer than 10ms (it adds up to itself to every latency)"},
    {"settings: {connect_timeout: 5}\n", "t.yaml:1:29: duration \"5\" needs a unit *"},
    {"headers: [a]\n", "t.yaml:1:10: expected a mapping, found a sequence"},
    {"headers: {\"Bad Name\": x}\n",
     "t.yaml:1:11: invalid header name \"Bad Name\" (a token: letters, digits and !#$%&'*+-.^_`|~)"},
    {"headers: {\"\": x}\n", "t.yaml:1:11: invalid header name \"\" (a token: letters, digits and !#$%&'*+-.^_`|~)"},
    {"headers: {X: \"a\\r\\nb\"}\n", "t.yaml:1:14: value of header \"X\" contains CR, LF or another control byte"},
    {"headers: {X: \"a\\x7f\"}\n", "t.yaml:1:14: value of header \"X\" contains CR, LF or another control byte"},
    {"headers: {Content-Length: 5}\n",
     "t.yaml:1:11: header \"Content-Length\" is set by ptest from the body; remove it"},
    {"headers: {transfer-encoding: chunked}\n",
     "t.yaml:1:11: header \"transfer-encoding\" is set by ptest from the body; remove it"},
    {"headers: {Accept: a, accept: b}\n",
     "t.yaml:1:22: header \"accept\" repeats \"Accept\" (header names are case-insensitive)"},
    {"headers: {X: }\n", "t.yaml:1:14: expected a string, found an empty value (null)"},
    /* scenarios */
    {"scenarios: [a]\n", "t.yaml:1:13: expected a mapping, found \"a\""},
    {"scenarios:\n- usres: 1\n", "t.yaml:2:3: unknown key \"usres\" (did you mean \"users\"?)"},
    {"scenarios:\n- hold_for: 1s\n  requests: [{path: /}]\n", "t.yaml:2:3: closed scenario needs \"users\""},
    {"scenarios:\n- users: 0\n", "t.yaml:2:10: \"0\" is out of range 1..1000000"},
    {"scenarios:\n- users: 4294967296\n", "t.yaml:2:10: \"4294967296\" is out of range 1..1000000"},
    {"scenarios:\n- users: 99999999999999999999\n", "t.yaml:2:10: \"99999999999999999999\" is out of range 1..1000000"},
    {"scenarios:\n- users: -1\n", "t.yaml:2:10: expected an unsigned integer, found \"-1\""},
    {"scenarios:\n- users: 1\n  requests: [{path: /}]\n",
     "t.yaml:2:3: closed scenario needs \"hold_for\" or \"iterations\""},
    {"scenarios:\n- users: 1\n  hold_for: 0s\n", "t.yaml:3:13: hold_for must be greater than 0"},
    {"scenarios:\n- users: 1\n  hold_for: 10\n", "t.yaml:3:13: duration \"10\" needs a unit *"},
    {"scenarios:\n- users: 1\n  hold_for: 9000h\n", "t.yaml:3:13: hold_for is longer than 8760h"},
    {"scenarios:\n- users: 1\n  ramp_up: 5000h\n  hold_for: 5000h\n",
     "t.yaml:2:3: scenario \"scenario-1\" lasts longer than 365 days"},
    {"scenarios:\n- users: 1\n  iterations: 0\n", "t.yaml:3:15: \"0\" is out of range 1..1000000000000"},
    {"scenarios:\n- model: closd\n", "t.yaml:2:10: model must be \"closed\" or \"open\", found \"closd\""},
    {"scenarios:\n- model: closed\n  users: 1\n  rate: 5/s\n",
     "t.yaml:4:3: \"rate\" is not used by a closed scenario (it belongs to model: open)"},
    {"scenarios:\n- stages: []\n  users: 3\n",
     "t.yaml:3:3: \"users\" is not used by an open scenario (it belongs to model: closed)"},
    {"scenarios:\n- rate: 1/s\n  stages: [{rate: 1/s, duration: 1s}]\n",
     "t.yaml:3:3: use either \"rate\" with \"duration\" or \"stages\", not both"},
    {"scenarios:\n- model: open\n  rate: 10/s\n  requests: [{path: /}]\n",
     "t.yaml:2:3: open scenario needs \"duration\" (with \"rate\")"},
    {"scenarios:\n- model: open\n  duration: 10s\n", "t.yaml:2:3: open scenario needs \"rate\" (with \"duration\")"},
    {"scenarios:\n- model: open\n  requests: [{path: /}]\n",
     "t.yaml:2:3: open scenario needs \"rate\" with \"duration\", or \"stages\""},
    {"scenarios:\n- rate: fast\n  duration: 1s\n", "t.yaml:2:9: invalid rate \"fast\" *"},
    {"scenarios:\n- rate: 0/s\n  duration: 1s\n", "t.yaml:2:9: invalid rate \"0/s\" *"},
    {"scenarios:\n- rate: 20000000/s\n  duration: 1s\n",
     "t.yaml:2:9: rate \"20000000/s\" is out of range (above 0, at most 10000000/s)"},
    {"scenarios:\n- rate: 1/s\n  duration: 0s\n", "t.yaml:3:13: duration must be greater than 0"},
    {"scenarios:\n- stages: []\n", "t.yaml:2:11: stages must not be empty"},
    {"scenarios:\n- stages: {rate: 1/s}\n", "t.yaml:2:11: expected a sequence, found a mapping"},
    {"scenarios:\n- stages: [{rate: 5/s}]\n", "t.yaml:2:12: stage needs \"duration\" (with \"rate\")"},
    {"scenarios:\n- stages: [{duration: 5s}]\n", "t.yaml:2:12: stage needs \"rate\" (with \"duration\")"},
    {"scenarios:\n- stages: [{}]\n", "t.yaml:2:12: stage needs \"rate\" and \"duration\""},
    {"scenarios:\n- stages: [{rate: 5/s, duraton: 1s}]\n",
     "t.yaml:2:24: unknown key \"duraton\" (did you mean \"duration\"?)"},
    {"scenarios:\n- stages: [{rate: 1/s, duration: 5000h}, {rate: 1/s, duration: 5000h}]\n",
     "t.yaml:2:3: scenario \"scenario-1\" lasts longer than 365 days"},
    {"scenarios:\n- rate: 1/s\n  duration: 1s\n  max_connections: 0\n",
     "t.yaml:4:20: \"0\" is out of range 1..1000000"},
    {"scenarios:\n- rate: 1/s\n  duration: 1s\n  start_delay: 9000h\n",
     "t.yaml:4:16: start_delay is longer than 8760h"},
    {"scenarios:\n- rate: 1/s\n  duration: 1s\n  start_delay: -1s\n", "t.yaml:4:16: invalid duration \"-1s\" *"},
    {"scenarios:\n- rate: 1/s\n  duration: 1s\n  arrivals: random\n",
     "t.yaml:4:13: arrivals must be \"constant\" or \"poisson\", found \"random\""},
    {"scenarios:\n- rate: 1/s\n  duration: 1s\n  ramp: smooth\n",
     "t.yaml:4:9: ramp must be \"step\" or \"linear\", found \"smooth\""},
    {"scenarios:\n- rate: 1/s\n  duration: 1s\n  start_rate: 5/s\n", "t.yaml:4:3: start_rate needs ramp: linear"},
    {"scenarios:\n- rate: 1/s\n  duration: 1s\n  ramp: linear\n  start_rate: -5/s\n", "t.yaml:5:15: *"},
    {SC "  arrivals: poisson\n",
     "t.yaml:4:3: \"arrivals\" is not used by a closed scenario (it belongs to model: open)"},
    {SC "  think_time: {dist: gauss, mean: 1s}\n",
     "t.yaml:4:22: unknown dist \"gauss\" (expected constant, uniform, normal, lognormal or exponential)"},
    {SC "  think_time: {mean: 1s, stddev: 1ms}\n",
     "t.yaml:4:34: stddev has no effect with dist: constant (choose normal, lognormal or uniform)"},
    {SC "  think_time: {dist: exponential, mean: 1s, stddev: 1ms}\n",
     "t.yaml:4:53: stddev has no effect with dist: exponential (its stddev equals its mean)"},
    {SC "  think_time: {dist: normal}\n", "t.yaml:4:15: think_time needs \"mean\""},
    /* connection control */
    {SC "  keep_alive: maybe\n", "t.yaml:4:15: expected a boolean*"},
    {SC "  keepalive: false\n", "t.yaml:4:3: unknown key \"keepalive\" (did you mean \"keep_alive\"?)"},
    {SC "  max_request_per_connection: 5\n",
     "t.yaml:4:3: unknown key \"max_request_per_connection\" (did you mean \"max_requests_per_connection\"?)"},
    {SC "  max_requests_per_connection: 0\n", "t.yaml:4:32: *"},
    {SC "  max_requests_per_connection: 4294967296\n", "t.yaml:4:32: *"},
    {SC "  max_requests_per_connection: five\n", "t.yaml:4:32: *"},
    {SC "  max_requests_per_connection: [5]\n", "t.yaml:4:32: *"},
    {SC "  connection_lifetime: 0s\n",
     "t.yaml:4:24: connection_lifetime must be greater than 0 (leave it out for no limit)"},
    {SC "  connection_lifetime: 10\n", "t.yaml:4:24: duration \"10\" needs a unit *"},
    {SC "  connection_lifetime: 9000h\n", "t.yaml:4:24: connection_lifetime is longer than 8760h"},
    {SC "  keep_alive: false\n  max_requests_per_connection: 5\n",
     "t.yaml:5:3: max_requests_per_connection has no effect with keep_alive: false (every request has a connection "
     "of its own)"},
    {"scenarios:\n- rate: 10/s\n  duration: 1s\n  connection_lifetime: 1s\n  keep_alive: no\n",
     "t.yaml:4:3: connection_lifetime has no effect with keep_alive: false (every request has a connection of its "
     "own)"},
    {SC "  think_time: 2h\n", "t.yaml:4:15: think_time is longer than 1h"},
    {SC "  think_time: [1s]\n", "t.yaml:4:15: expected a duration (e.g. \"250ms\"), found a sequence"},
    {"scenarios:\n- name: a\n  users: 1\n  hold_for: 1s\n  requests: [{path: /}]\n- name: a\n",
     "t.yaml:6:9: duplicate scenario name \"a\" (first at line 2, column 3)"},
    {"scenarios:\n- name: scenario-2\n  users: 1\n  hold_for: 1s\n  requests: [{path: /}]\n- users: 1\n",
     "t.yaml:6:3: this scenario's default name \"scenario-2\" is taken by the scenario at line 2, column 3; "
     "give it a \"name\""},
    {"scenarios:\n- name: \" a\"\n", "t.yaml:2:9: scenario name \" a\" starts or ends with a space"},
    /* requests */
    {SC, "t.yaml:2:3: scenario \"scenario-1\" needs \"requests\""},
    {SC "  requests: []\n", "t.yaml:4:13: requests must not be empty"},
    {SC "  requests: /\n", "t.yaml:4:13: expected a sequence, found \"/\""},
    {SC "  requests: [{label: x}]\n", "t.yaml:4:14: request needs \"path\""},
    {SC "  requests: [{path: /, lable: x}]\n", "t.yaml:4:24: unknown key \"lable\" (did you mean \"label\"?)"},
    {SC "  requests: [{path: A}]\n",
     "t.yaml:4:21: path \"A\" must start with '/' (the host comes from target) or a variable that gives it"},
    {SC "  requests: [{path: \"\"}]\n",
     "t.yaml:4:21: path \"\" must start with '/' (the host comes from target) or a variable that gives it"},
    {SC "  requests: [{path: \"/a b\"}]\n",
     "t.yaml:4:21: path \"/a b\" contains a space, control or non-ASCII byte (percent-encode it)"},
    {SC "  requests: [{path: \"/a\\x01\"}]\n",
     "t.yaml:4:21: path \"/a\\x01\" contains a space, control or non-ASCII byte (percent-encode it)"},
    {SC "  requests: [{path: \"/\xc3\xa9\"}]\n",
     "t.yaml:4:21: path \"/\\xc3\\xa9\" contains a space, control or non-ASCII byte (percent-encode it)"},
    {SC "  requests: [{path: /, weight: 0}]\n", "t.yaml:4:32: \"0\" is out of range 1..1000000"},
    {SC "  requests: [{path: /, weight: 1000001}]\n", "t.yaml:4:32: \"1000001\" is out of range 1..1000000"},
    {SC "  requests: [{path: /, weight: -1}]\n", "t.yaml:4:32: expected an unsigned integer, found \"-1\""},
    {SC "  requests: [{path: /, label: " L65 "}]\n",
     "t.yaml:4:31: label \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" is longer than 64 bytes"},
    {SC "  requests: [{path: /, label: \"\"}]\n", "t.yaml:4:31: label \"\" is empty"},
    {SC "  requests: [{path: /, label: \"a\\tb\"}]\n",
     "t.yaml:4:31: label \"a\\x09b\" contains a control or non-ASCII byte (printable ASCII only)"},
    {SC "  requests: [{path: /, label: \"*\"}]\n",
     "t.yaml:4:31: label \"*\" is reserved (in thresholds it means every label)"},
    {SC "  requests: [{path: /" L65 "}]\n",
     "t.yaml:4:21: the path as default label is longer than 64 bytes; set a \"label\""},
    {SC "  requests: [{path: /A}, {path: /A}]\n",
     "t.yaml:4:33: duplicate label \"/A\" in scenario \"scenario-1\" (first at line 4, column 14); "
     "give each request its own \"label\""},
    {SC "  requests: [{path: /A, label: x}, {path: /B, label: x}]\n",
     "t.yaml:4:54: duplicate label \"x\" in scenario \"scenario-1\" (first at line 4, column 14); "
     "give each request its own \"label\""},
    {SC "  requests: [{path: /A, label: A}]\n"
        "- users: 1\n  hold_for: 1s\n  requests: [{path: /B, label: A}]\n",
     "t.yaml:7:32: label \"A\" names GET /B here but GET /A at line 4, column 14; "
     "a label must always name the same method and path"},
    {SC "  requests: [{path: /A}]\n- users: 1\n  hold_for: 1s\n  requests: [{path: /A, method: POST}]\n",
     "t.yaml:7:21: label \"/A\" names POST /A here but GET /A at line 4, column 14; "
     "a label must always name the same method and path"},
    {SC "  requests: [{path: /, method: \"G T\"}]\n", "t.yaml:4:32: invalid method \"G T\""},
    {SC "  requests: [{path: /, method: \"\"}]\n", "t.yaml:4:32: invalid method \"\""},
    {SC "  requests: [{path: /, body: [a]}]\n", "t.yaml:4:30: expected a string, found a sequence"},
    {SC "  requests: [{path: /, headers: {X-A: \"\\n\"}}]\n",
     "t.yaml:4:39: value of header \"X-A\" contains CR, LF or another control byte"},
    {SC "  requests: [{path: /, expect: {status: 600}}]\n", "t.yaml:4:41: \"600\" is out of range 100..599"},
    {SC "  requests: [{path: /, expect: {status: 99}}]\n", "t.yaml:4:41: \"99\" is out of range 100..599"},
    {SC "  requests: [{path: /, expect: {code: 200}}]\n",
     "t.yaml:4:33: unknown key \"code\" (expected one of: status, body_contains)"},
    {SC "  requests: [{path: /, expect: {body_contains: \"\"}}]\n", "t.yaml:4:48: body_contains must not be empty"},
    {SC "  requests: [{path: /, expect: ok}]\n", "t.yaml:4:32: expected a mapping, found \"ok\""},
    /* thresholds */
    {SC "  requests: [{path: /A}]\nthresholds: {A: [\"p95 < 1s\"]}\n",
     "t.yaml:5:14: threshold for unknown label \"A\" (did you mean \"/A\"?)"},
    {SC "  requests: [{path: /B, label: Beta}]\nthresholds: {beta: [\"p95 < 1s\"]}\n",
     "t.yaml:5:14: threshold for unknown label \"beta\" (did you mean \"Beta\"?)"},
    {SC "  requests: [{path: /}, {path: /A}]\nthresholds: {zzz: [\"p95 < 1s\"]}\n",
     "t.yaml:5:14: threshold for unknown label \"zzz\" (labels: \"/\", \"/A\"; \"*\" means all)"},
    {SC "  requests: [{path: /}]\nthresholds: {\"*\": \"p95 < 1s\"}\n",
     "t.yaml:5:19: thresholds of \"*\": expected a list of expressions, e.g. [\"p95 < 250ms\"] (an item may be "
     "{threshold: EXPR, abort_on_fail: true, delay_abort_eval: 10s})"},
    {SC "  requests: [{path: /}]\nthresholds: {\"*\": [{abort_on_fail: true}]}\n",
     "t.yaml:5:20: threshold: missing (the expression, e.g. threshold: \"p95 < 250ms\")"},
    {SC "  requests: [{path: /}]\nthresholds: {\"*\": [{threshold: \"p95 < 1s\", abort_on_fail: yes please}]}\n",
     "t.yaml:5:59: expected a boolean (true/false), found \"yes please\""},
    {SC "  requests: [{path: /}]\nthresholds: {\"*\": [{threshold: \"p95 < 1s\", abort_on_fial: true}]}\n",
     "t.yaml:5:44: unknown key \"abort_on_fial\" (did you mean \"abort_on_fail\"?)"},
    {SC "  requests: [{path: /}]\nthresholds: {\"*\": [{threshold: \"p95 < 1s\", delay_abort_eval: 5s}]}\n",
     "t.yaml:5:62: delay_abort_eval has no effect without abort_on_fail: true"},
    {SC
     "  requests: [{path: /}]\nthresholds: {\"*\": [{threshold: \"p95 < 1s\", abort_on_fail: true, delay_abort_eval: "
     "soon}]}\n",
     "t.yaml:5:83: *"},
    {SC "  requests: [{path: /}]\nthresholds: {\"*\": [{threshold: [a]}]}\n",
     "t.yaml:5:32: expected a string, found a sequence"},
    {SC "  requests: [{path: /}]\nthresholds: {\"*\": [\"\"]}\n", "t.yaml:5:20: empty threshold expression"},
    {SC "  requests: [{path: /}]\nthresholds: {\"*\": [\"p95 < 1s\", \" \\t \"]}\n",
     "t.yaml:5:32: empty threshold expression"},
    {SC "  requests: [{path: /}]\nthresholds: {\"*\": [[a]]}\n", "t.yaml:5:20: expected a string, found a sequence"},
    {SC "  requests: [{path: /}]\nthresholds: {\"*\": [\"p95\\x01\"]}\n",
     "t.yaml:5:20: threshold expression \"p95\\x01\" contains a control byte"},
    {SC "  requests: [{path: /}]\nthresholds: [a]\n", "t.yaml:5:13: expected a mapping, found a sequence"},
};

static void test_broken_plans(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof broken_cases / sizeof broken_cases[0]; i++) {
        plan p;
        char err[512] = "";
        const char *y = broken_cases[i].yaml;
        memset(&p, 0xA5, sizeof p);
        if (plan_load_string(&p, "t.yaml", y, strlen(y), err, sizeof err) == 0) {
            plan_fini(&p);
            fail_msg("broken case %zu loaded: %s", i + 1, y);
        }
        const char *want = broken_cases[i].err;
        size_t wl = strlen(want);
        if (wl && want[wl - 1] == '*' ? strncmp(err, want, wl - 1) != 0 : strcmp(err, want) != 0)
            fail_msg("broken case %zu:\n  want: %s\n  got:  %s", i + 1, broken_cases[i].err, err);
        /* A failed load leaves a zeroed plan. */
        assert_null(p.scenarios);
        assert_null(p.name);
        assert_int_equal(p.n_scenarios, 0);
        plan_fini(&p);
    }
}

/* Every prefix of a valid plan either loads or fails with a located message, without
 * leaks (ASan) or reads past the given length; the full text loads. */
static void test_truncated_input(void **state)
{
    (void)state;
    size_t n = strlen(v1_yaml), loaded = 0;
    for (size_t len = 0; len <= n; len++) {
        char *buf = malloc(len ? len : 1); /* exact size: ASan catches over-reads */
        assert_non_null(buf);
        memcpy(buf, v1_yaml, len);
        plan p;
        char err[512] = "";
        int rc = plan_load_string(&p, "t.yaml", buf, len, err, sizeof err);
        if (rc == 0) {
            loaded++;
            assert_true(p.n_scenarios >= 1);
            plan_fini(&p);
        } else {
            assert_int_equal(rc, -1);
            assert_true(strncmp(err, "t.yaml", 6) == 0);
            assert_null(p.scenarios);
        }
        free(buf);
    }
    assert_true(loaded >= 1);
    /* The whole text loads, so the last iteration succeeded. */
    plan p;
    char err[512];
    assert_int_equal(plan_load_string(&p, "t.yaml", v1_yaml, n, err, sizeof err), 0);
    plan_fini(&p);
}

static void test_nul_and_control_bytes(void **state)
{
    (void)state;
    static const char nul[] = "target: http://x\0\nscenarios: []\n";
    static const char ctl[] = "target: http://x\x01\n";
    plan p;
    char err[512] = "";
    assert_int_equal(plan_load_string(&p, "t.yaml", nul, sizeof nul - 1, err, sizeof err), -1);
    assert_true(strncmp(err, "t.yaml:", 7) == 0);
    err[0] = '\0';
    assert_int_equal(plan_load_string(&p, "t.yaml", ctl, sizeof ctl - 1, err, sizeof err), -1);
    assert_true(strncmp(err, "t.yaml:", 7) == 0);
    /* NULL data with length 0 is an empty document. */
    assert_int_equal(plan_load_string(&p, "t.yaml", NULL, 0, err, sizeof err), -1);
    assert_string_equal(err, "t.yaml: empty plan (expected a mapping with target and scenarios)");
    /* A tiny error buffer is filled, truncated and terminated. */
    char small[8];
    memset(small, 'x', sizeof small);
    assert_int_equal(plan_load_string(&p, "t.yaml", "", 0, small, sizeof small), -1);
    assert_string_equal(small, "t.yaml:");
    /* A NULL error buffer is allowed. */
    assert_int_equal(plan_load_string(&p, "t.yaml", "", 0, NULL, 0), -1);
}

static char *make_plan(size_t n_scen, size_t n_req, size_t n_stages)
{
    size_t cap = 256 + n_scen * (64 + n_req * 32 + n_stages * 40);
    char *s = malloc(cap);
    size_t o = 0;
    assert_non_null(s);
    o += (size_t)snprintf(s + o, cap - o, "scenarios:\n");
    for (size_t i = 0; i < n_scen; i++) {
        if (n_stages) {
            o += (size_t)snprintf(s + o, cap - o, "- stages:\n");
            for (size_t k = 0; k < n_stages; k++)
                o += (size_t)snprintf(s + o, cap - o, "  - {rate: 1/s, duration: 1s}\n");
        } else {
            o += (size_t)snprintf(s + o, cap - o, "- users: 1\n  hold_for: 1s\n");
        }
        o += (size_t)snprintf(s + o, cap - o, "  requests:\n");
        for (size_t j = 0; j < n_req; j++)
            o += (size_t)snprintf(s + o, cap - o, "  - {path: /p%zu}\n", j);
    }
    assert_true(o < cap);
    return s;
}

static void test_limits(void **state)
{
    (void)state;
    static const struct {
        size_t scen, req, stages;
        const char *err; /* NULL: loads */
    } cases[] = {
        {PLAN_MAX_SCENARIOS, 1, 0, NULL},
        {PLAN_MAX_SCENARIOS + 1, 1, 0, "t.yaml:2:1: too many scenarios (65, at most 64)"},
        {1, PLAN_MAX_REQUESTS, 0, NULL},
        {1, PLAN_MAX_REQUESTS + 1, 0, "t.yaml:5:3: too many requests (at most 1000 in a plan)"},
        {1, 1, PLAN_MAX_STAGES, NULL},
        {1, 1, PLAN_MAX_STAGES + 1, "t.yaml:3:3: too many stages (1001, at most 1000)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *y = make_plan(cases[i].scen, cases[i].req, cases[i].stages);
        plan p;
        char err[512] = "";
        int rc = plan_load_string(&p, "t.yaml", y, strlen(y), err, sizeof err);
        if (cases[i].err) {
            assert_int_equal(rc, -1);
            assert_string_equal(err, cases[i].err);
        } else {
            if (rc != 0)
                fail_msg("limit case %zu: %s", i + 1, err);
            plan_fini(&p);
        }
        free(y);
    }
    /* Too many requests across scenarios: the scenario that passes the limit is named. */
    char *y = make_plan(2, 600, 0);
    plan p;
    char err[512];
    assert_int_equal(plan_load_string(&p, "t.yaml", y, strlen(y), err, sizeof err), -1);
    assert_string_equal(err, "t.yaml:608:3: too many requests (at most 1000 in a plan)");
    free(y);
}

/* ---- files ---------------------------------------------------------------------- */

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/test_plan_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, v2_yaml, strlen(v2_yaml)), (ssize_t)strlen(v2_yaml));
    close(fd);

    plan p;
    char err[512] = "";
    assert_int_equal(plan_load_file(&p, path, err, sizeof err), 0);
    assert_string_equal(p.source, path);
    assert_string_equal(p.name, path + 5); /* no extension to strip */
    assert_string_equal(p.target.host, "localhost");
    plan_fini(&p);
    unlink(path);

    assert_int_equal(plan_load_file(&p, path, err, sizeof err), -1);
    assert_true(strncmp(err, path, strlen(path)) == 0);
    assert_non_null(strstr(err, "cannot open"));
    assert_null(p.scenarios);
}

/* The demo plan shipped in examples/ loads and has the shape `make demo` relies on. */
static void test_example_plan(void **state)
{
    (void)state;
    char path[1024];
    const char *me = __FILE__;
    const char *tail = strstr(me, "tests/unit/ptest/test_plan.c");
    assert_non_null(tail);
    snprintf(path, sizeof path, "%.*sexamples/plan.yaml", (int)(tail - me), me);

    plan p;
    char err[512] = "";
    if (plan_load_file(&p, path, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(plan_validate(&p, err, sizeof err), 0);
    assert_int_equal(p.n_scenarios, 2);
    assert_int_equal(p.scenarios[0].model, PLAN_CLOSED);
    assert_int_equal(p.scenarios[0].users, 10);
    assert_int_equal(p.scenarios[1].model, PLAN_OPEN);
    /* The demo run stays around 30 s. */
    assert_true(plan_duration(&p) >= 20 * SEC && plan_duration(&p) <= 30 * SEC);
    const char *labels[16];
    assert_int_equal(plan_labels(&p, labels, 16), 7);
    assert_true(p.n_thresholds >= 3);
    plan_fini(&p);
}

/* ---- server: (what ptest reads of the target's own figures, only when asked) ------ */

#define SRV_PLAN(server)                                                                                               \
    "target: http://t.example:8080/api\n" server "scenarios: [{users: 1, hold_for: 1s, requests: [{path: /}]}]\n"

static void test_server(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        const char *metrics, *config; /* as stored; NULL: not asked */
        const char *err;              /* non-NULL: the load fails with this message */
    } cases[] = {
        {SRV_PLAN(""), NULL, NULL, NULL},
        {SRV_PLAN("server:\n"), NULL, NULL, NULL},
        {SRV_PLAN("server: {}\n"), NULL, NULL, NULL},
        {SRV_PLAN("server: {metrics: /metrics, config: /config}\n"), "/metrics", "/config", NULL},
        {SRV_PLAN("server:\n  config: /config\n"), NULL, "/config", NULL},
        {SRV_PLAN("server: {metrics: \"http://exporter:9100/metrics?x=1\"}\n"), "http://exporter:9100/metrics?x=1",
         NULL, NULL},
        {SRV_PLAN("server: {metrics: \"http://[::1]:9100\"}\n"), "http://[::1]:9100", NULL, NULL},
        {SRV_PLAN("server: {metrics: metrics}\n"), NULL, NULL,
         "t.yaml:2:19: server.metrics: \"metrics\" is neither a path (starting with '/', on the target) nor an http:// URL"},
        {SRV_PLAN("server: {metrics: \"\"}\n"), NULL, NULL,
         "t.yaml:2:19: server.metrics: empty; expected a path such as /metrics or an http:// URL"},
        {SRV_PLAN("server: {config: \"https://x/config\"}\n"), NULL, NULL,
         "t.yaml:2:18: server.config: \"https://x/config\": the server's figures are read over plain http only"},
        {SRV_PLAN("server: {config: \"http://x:0/config\"}\n"), NULL, NULL,
         "t.yaml:2:18: server.config: invalid port \"0\" in URL (expected 1-65535)"},
        {SRV_PLAN("server: {config: \"/a b\"}\n"), NULL, NULL,
         "t.yaml:2:18: server.config: path \"/a b\" contains a space, control or non-ASCII byte (percent-encode it)"},
        {SRV_PLAN("server: {config: \"/config#top\"}\n"), NULL, NULL,
         "t.yaml:2:18: server.config: path \"/config#top\" must not have a fragment"},
        {SRV_PLAN("server: {config: \"http://x/c#top\"}\n"), NULL, NULL,
         "t.yaml:2:18: server.config: server URL \"http://x/c#top\" must not have a fragment"},
        {SRV_PLAN("server: {config: [/config]}\n"), NULL, NULL, "t.yaml:2:18: *"},
        {SRV_PLAN("server: {metric: /metrics}\n"), NULL, NULL,
         "t.yaml:2:10: unknown key \"metric\" (did you mean \"metrics\"?)"},
        {SRV_PLAN("server: /metrics\n"), NULL, NULL, "t.yaml:2:9: *"},
        {SRV_PLAN("server: {metrics: \"/m\\0x\"}\n"), NULL, NULL, "t.yaml:2:19: NUL character in string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        plan p;
        char err[512] = "";
        const char *y = cases[i].yaml;
        int rc = plan_load_string(&p, "t.yaml", y, strlen(y), err, sizeof err);
        if (cases[i].err) {
            const char *want = cases[i].err;
            size_t wl = strlen(want);
            if (rc == 0)
                fail_msg("server case %zu loaded", i + 1);
            if (want[wl - 1] == '*' ? strncmp(err, want, wl - 1) != 0 : strcmp(err, want) != 0)
                fail_msg("server case %zu:\n  want: %s\n  got:  %s", i + 1, want, err);
            continue;
        }
        if (rc != 0)
            fail_msg("server case %zu: %s", i + 1, err);
        const char *cname = "server";
        CHECK_STR("server.metrics", cases[i].metrics, p.server.metrics);
        CHECK_STR("server.config", cases[i].config, p.server.config);
        plan_fini(&p);
    }

    /* Where they point: a path goes to the target after its base path; a URL is its own. */
    plan p;
    char err[512] = "";
    const char *y = SRV_PLAN("server: {metrics: /metrics?a=1, config: \"http://other:9000\"}\n");
    assert_int_equal(plan_load_string(&p, "t.yaml", y, strlen(y), err, sizeof err), 0);
    plan_url u;
    assert_int_equal(plan_server_url(&p, p.server.metrics, &u, err, sizeof err), 0);
    assert_string_equal(u.host, "t.example");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.authority, "t.example:8080");
    assert_string_equal(u.base_path, "/api/metrics?a=1");
    plan_url_fini(&u);
    assert_int_equal(plan_server_url(&p, p.server.config, &u, err, sizeof err), 0);
    assert_string_equal(u.host, "other");
    assert_int_equal(u.port, 9000);
    assert_string_equal(u.authority, "other:9000");
    assert_string_equal(u.base_path, "/");
    plan_url_fini(&u);
    assert_int_equal(plan_server_url(&p, "http://other?x", &u, err, sizeof err), 0);
    assert_string_equal(u.base_path, "/?x");
    plan_url_fini(&u);
    /* --target moves a path with it. */
    assert_int_equal(plan_set_target(&p, "http://moved:81", err, sizeof err), 0);
    assert_int_equal(plan_server_url(&p, p.server.metrics, &u, err, sizeof err), 0);
    assert_string_equal(u.authority, "moved:81");
    assert_string_equal(u.base_path, "/metrics?a=1");
    plan_url_fini(&u);
    /* The flags' setter: checked, replaces, clears. */
    assert_int_equal(plan_set_server(&p, false, "/other", err, sizeof err), 0);
    assert_string_equal(p.server.metrics, "/other");
    assert_int_equal(plan_set_server(&p, true, "nope", err, sizeof err), -1);
    assert_string_equal(p.server.config, "http://other:9000");
    assert_int_equal(plan_set_server(&p, true, NULL, err, sizeof err), 0);
    assert_null(p.server.config);
    plan_fini(&p);

    /* Ad-hoc URL plans ask for nothing. */
    assert_int_equal(plan_from_url(&p, "http://x:1/a", 1, 0, SEC, NULL, err, sizeof err), 0);
    assert_null(p.server.metrics);
    assert_null(p.server.config);
    plan_fini(&p);
}

/* ---- URLs ----------------------------------------------------------------------- */

static void test_url_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *host, *base, *auth; /* NULL host: error */
        unsigned port;
        const char *err;
    } cases[] = {
        {"http://a", "a", "", "a", 80, NULL},
        {"http://a/", "a", "", "a", 80, NULL},
        {"HtTp://Host.Example:8080", "Host.Example", "", "Host.Example:8080", 8080, NULL},
        {"http://a:80//", "a", "", "a", 80, NULL},
        {"http://a:1/api/v1/", "a", "/api/v1", "a:1", 1, NULL},
        {"http://a:65535/x", "a", "/x", "a:65535", 65535, NULL},
        {"http://[::1]", "::1", "", "[::1]", 80, NULL},
        {"http://[fe80::1:2]:9000/p", "fe80::1:2", "/p", "[fe80::1:2]:9000", 9000, NULL},
        {"http://[::ffff:10.0.0.1]:80", "::ffff:10.0.0.1", "", "[::ffff:10.0.0.1]", 80, NULL},
        {"http://my_svc.ns.svc.cluster.local:8080", "my_svc.ns.svc.cluster.local", "",
         "my_svc.ns.svc.cluster.local:8080", 8080, NULL},
        {"", NULL, NULL, NULL, 0, "empty URL"},
        {"https://a:", NULL, NULL, NULL, 0, "invalid port \"\" in URL (expected 1-65535)"},
        {"ws://a", NULL, NULL, NULL, 0, "unsupported URL scheme \"ws\" (only http:// and https:// are supported)"},
        {"a:80", NULL, NULL, NULL, 0, "URL \"a:80\" must start with http:// or https://"},
        {"://a", NULL, NULL, NULL, 0, "URL \"://a\" must start with http:// or https://"},
        {"http://", NULL, NULL, NULL, 0, "URL \"http://\" has no host"},
        {"http:///x", NULL, NULL, NULL, 0, "URL \"http:///x\" has no host"},
        {"http://:80", NULL, NULL, NULL, 0, "URL \"http://:80\" has no host"},
        {"http://a:", NULL, NULL, NULL, 0, "invalid port \"\" in URL (expected 1-65535)"},
        {"http://a:0", NULL, NULL, NULL, 0, "invalid port \"0\" in URL (expected 1-65535)"},
        {"http://a:65536", NULL, NULL, NULL, 0, "invalid port \"65536\" in URL (expected 1-65535)"},
        {"http://a:99999999999", NULL, NULL, NULL, 0, "invalid port \"99999999999\" in URL (expected 1-65535)"},
        {"http://a:8o", NULL, NULL, NULL, 0, "invalid port \"8o\" in URL (expected 1-65535)"},
        {"http://a:-1", NULL, NULL, NULL, 0, "invalid port \"-1\" in URL (expected 1-65535)"},
        {"http://::1/", NULL, NULL, NULL, 0, "IPv6 addresses in URLs need brackets, e.g. http://[::1]:8080/"},
        {"http://[::1", NULL, NULL, NULL, 0, "IPv6 address in URL \"http://[::1\" lacks its closing ']'"},
        {"http://[]:80", NULL, NULL, NULL, 0, "invalid IPv6 address \"\" in URL"},
        {"http://[xyz]", NULL, NULL, NULL, 0, "invalid IPv6 address \"xyz\" in URL"},
        {"http://[::1]x", NULL, NULL, NULL, 0, "unexpected \"x\" after the IPv6 address in URL"},
        {"http://user:pw@a/", NULL, NULL, NULL, 0, "user credentials in the URL are not supported"},
        {"http://a b/", NULL, NULL, NULL, 0, "URL host \"a b\" contains a space, control or non-ASCII byte"},
        {"http://a\x01/", NULL, NULL, NULL, 0, "URL host \"a\\x01\" contains a space, control or non-ASCII byte"},
        {"http://a%41/", NULL, NULL, NULL, 0, "invalid host name \"a%41\" in URL"},
        {"http://a/x y", NULL, NULL, NULL, 0, "URL path \"/x y\" contains a space, control or non-ASCII byte"},
        {"http://a/?q", NULL, NULL, NULL, 0,
         "target URL must not have a query or fragment (put it in the request path)"},
        {"http://a#f", NULL, NULL, NULL, 0,
         "target URL must not have a query or fragment (put it in the request path)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        plan_url u;
        char err[256] = "";
        int rc = plan_url_parse(&u, cases[i].in, err, sizeof err);
        if (cases[i].host) {
            if (rc != 0)
                fail_msg("url case %zu (%s): %s", i + 1, cases[i].in, err);
            assert_string_equal(u.scheme, "http");
            assert_string_equal(u.host, cases[i].host);
            assert_string_equal(u.base_path, cases[i].base);
            assert_string_equal(u.authority, cases[i].auth);
            assert_int_equal(u.port, cases[i].port);
            plan_url_fini(&u);
            assert_null(u.host);
        } else {
            if (rc != -1)
                fail_msg("url case %zu (%s) parsed", i + 1, cases[i].in);
            if (strcmp(err, cases[i].err) != 0)
                fail_msg("url case %zu:\n  want: %s\n  got:  %s", i + 1, cases[i].err, err);
            assert_null(u.host);
            assert_null(u.scheme);
        }
    }
    /* NULL and over-long URLs. */
    plan_url u;
    char err[256];
    assert_int_equal(plan_url_parse(&u, NULL, err, sizeof err), -1);
    assert_string_equal(err, "empty URL");
    char *big = malloc(5000);
    assert_non_null(big);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    memcpy(big, "http://a/", 9);
    assert_int_equal(plan_url_parse(&u, big, err, sizeof err), -1);
    assert_string_equal(err, "URL is longer than 4096 bytes");
    free(big);
}

/* ---- ad-hoc plans --------------------------------------------------------------- */

static void test_from_url(void **state)
{
    (void)state;
    plan p;
    char err[256] = "";

    /* Closed: connections become users, duration the hold time. */
    assert_int_equal(plan_from_url(&p, "http://h:8080/A?x=1#frag", 8, 0, 10 * SEC, NULL, err, sizeof err), 0);
    assert_string_equal(p.name, "ad-hoc");
    assert_string_equal(p.source, "command line");
    assert_string_equal(p.target_str, "http://h:8080");
    assert_string_equal(p.target.host, "h");
    assert_int_equal(p.target.port, 8080);
    assert_string_equal(p.target.base_path, "");
    assert_string_equal(p.target.authority, "h:8080");
    assert_int_equal(p.n_scenarios, 1);
    const plan_scenario *s = &p.scenarios[0];
    assert_string_equal(s->name, "default");
    assert_int_equal(s->model, PLAN_CLOSED);
    assert_int_equal(s->users, 8);
    assert_int_equal(s->ramp_up_ns, 0);
    assert_int_equal(s->hold_for_ns, 10 * SEC);
    assert_int_equal(s->n_stages, 0);
    assert_int_equal(s->n_requests, 1);
    assert_int_equal(s->weight_total, 1);
    assert_string_equal(s->requests[0].path, "/A?x=1");
    assert_string_equal(s->requests[0].label, "/A?x=1");
    assert_string_equal(s->requests[0].method, "GET");
    assert_int_equal(s->requests[0].weight, 1);
    assert_int_equal(s->requests[0].label_id, 0);
    assert_null(s->requests[0].body);
    assert_int_equal(p.connect_timeout_ns, 5 * SEC);
    assert_int_equal(p.request_timeout_ns, 30 * SEC);
    assert_int_equal(p.apdex_t_ns, 500 * MS);
    assert_int_equal(plan_duration(&p), 10 * SEC);
    assert_int_equal(plan_validate(&p, err, sizeof err), 0);
    plan_fini(&p);

    /* Open: rate and duration make one stage; connections the cap. */
    assert_int_equal(plan_from_url(&p, "http://[::1]", 50, 250.5, 3 * SEC, "root", err, sizeof err), 0);
    s = &p.scenarios[0];
    assert_int_equal(s->model, PLAN_OPEN);
    assert_int_equal(s->users, 0);
    assert_int_equal(s->max_connections, 50);
    assert_int_equal(s->n_stages, 1);
    assert_true(s->stages[0].rate == 250.5);
    assert_int_equal(s->stages[0].duration_ns, 3 * SEC);
    assert_string_equal(s->requests[0].path, "/");
    assert_string_equal(s->requests[0].label, "root");
    assert_string_equal(p.target.authority, "[::1]");
    plan_fini(&p);

    /* A query without a path asks for "/?...". */
    assert_int_equal(plan_from_url(&p, "http://h?a=b", 1, 0, SEC, NULL, err, sizeof err), 0);
    assert_string_equal(p.scenarios[0].requests[0].path, "/?a=b");
    plan_fini(&p);

    static const struct {
        const char *url, *label;
        uint32_t conns;
        double rate;
        uint64_t dur;
        const char *err;
    } bad[] = {
        {"http://h/", NULL, 0, 0, SEC, "connections must be at least 1"},
        {"http://h/", NULL, 1, -1, SEC, "rate must be a number from 0 to 10000000 per second"},
        {"http://h/", NULL, 1, NAN, SEC, "rate must be a number from 0 to 10000000 per second"},
        {"http://h/", NULL, 1, INFINITY, SEC, "rate must be a number from 0 to 10000000 per second"},
        {"http://h/", NULL, 1, 2e7, SEC, "rate must be a number from 0 to 10000000 per second"},
        {"http://h/", NULL, 1, 0, 0, "duration must be greater than 0 and at most 365 days"},
        {"http://h/", NULL, 1, 0, PLAN_MAX_DURATION_NS + 1, "duration must be greater than 0 and at most 365 days"},
        {"ftp://h/", NULL, 1, 0, SEC, "unsupported URL scheme \"ftp\" (only http:// and https:// are supported)"},
        {"http://h/a b", NULL, 1, 0, SEC, "URL path \"/a b\" contains a space, control or non-ASCII byte"},
        {"http://h/" L65, NULL, 1, 0, SEC, "the URL path as default label is longer than 64 bytes; pass a --label"},
        {"http://h/", L65, 1, 0, SEC,
         "label \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" is longer than 64 bytes"},
        {"http://h/", "", 1, 0, SEC, "label \"\" is empty"},
        {"http://h/", "a\nb", 1, 0, SEC,
         "label \"a\\x0ab\" contains a control or non-ASCII byte (printable ASCII only)"},
        {"http://h/", "*", 1, 0, SEC, "label \"*\" is reserved (in thresholds it means every label)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&p, 0x5A, sizeof p);
        err[0] = '\0';
        if (plan_from_url(&p, bad[i].url, bad[i].conns, bad[i].rate, bad[i].dur, bad[i].label, err, sizeof err) != -1)
            fail_msg("from_url case %zu succeeded", i + 1);
        if (strcmp(err, bad[i].err) != 0)
            fail_msg("from_url case %zu:\n  want: %s\n  got:  %s", i + 1, bad[i].err, err);
        assert_null(p.scenarios);
        assert_null(p.target.host);
        plan_fini(&p);
    }
}

/* ---- overrides ------------------------------------------------------------------ */

static void test_set_target_validate(void **state)
{
    (void)state;
    static const char y[] = "scenarios: [{users: 1, hold_for: 1s, requests: [{path: /}]}]\n";
    plan p;
    char err[256] = "";
    assert_int_equal(plan_load_string(&p, "nt.yaml", y, strlen(y), err, sizeof err), 0);
    assert_null(p.target.host);
    assert_null(p.target_str);
    assert_int_equal(plan_validate(&p, err, sizeof err), -1);
    assert_string_equal(err, "nt.yaml: no target: set \"target:\" in the plan or pass --target URL");

    assert_int_equal(plan_set_target(&p, "http://svc:9000/base/", err, sizeof err), 0);
    assert_string_equal(p.target_str, "http://svc:9000/base/");
    assert_string_equal(p.target.host, "svc");
    assert_int_equal(p.target.port, 9000);
    assert_string_equal(p.target.base_path, "/base");
    assert_int_equal(plan_validate(&p, err, sizeof err), 0);

    /* A bad URL leaves the plan as it was. */
    assert_int_equal(plan_set_target(&p, "gopher://svc", err, sizeof err), -1);
    assert_string_equal(err, "unsupported URL scheme \"gopher\" (only http:// and https:// are supported)");
    assert_string_equal(p.target_str, "http://svc:9000/base/");
    assert_string_equal(p.target.host, "svc");

    /* Replacing again frees the old one (ASan would report a leak). */
    assert_int_equal(plan_set_target(&p, "http://other", err, sizeof err), 0);
    assert_string_equal(p.target.authority, "other");
    assert_string_equal(p.target.base_path, "");
    plan_fini(&p);

    /* An empty plan is not runnable either. */
    memset(&p, 0, sizeof p);
    assert_int_equal(plan_set_target(&p, "http://x", err, sizeof err), 0);
    assert_int_equal(plan_validate(&p, err, sizeof err), -1);
    assert_string_equal(err, "plan: the plan has no scenarios");
    plan_fini(&p);
}

static void test_set_duration_closed(void **state)
{
    (void)state;
    static const struct {
        uint64_t ramp, hold, iters, start, d;
        uint64_t want_hold, want_ramp;
    } cases[] = {
        {10 * SEC, 60 * SEC, 0, 0, 30 * SEC, 20 * SEC, 10 * SEC}, /* hold = d - ramp */
        {0, 60 * SEC, 0, 0, 5 * SEC, 5 * SEC, 0},
        {10 * SEC, 60 * SEC, 0, 0, 10 * SEC, SEC, 10 * SEC}, /* at least 1 s */
        {10 * SEC, 60 * SEC, 0, 0, 3 * SEC, SEC, 10 * SEC},  /* ramp longer than d: kept */
        {10 * SEC, 60 * SEC, 0, 0, 10 * SEC + 1, SEC, 10 * SEC},
        {10 * SEC, 60 * SEC, 0, 0, 11 * SEC + 1, SEC + 1, 10 * SEC},
        {0, 60 * SEC, 0, 0, 500 * MS, 500 * MS, 0}, /* d below 1 s: hold = d */
        {SEC, 60 * SEC, 0, 0, 500 * MS, 500 * MS, SEC},
        {SEC, 0, 100, 0, 20 * SEC, 19 * SEC, SEC},           /* iteration-bound gets a time bound */
        {0, 60 * SEC, 0, 0, 0, 60 * SEC, 0},                 /* 0 is ignored */
        {0, SEC, 0, 2 * SEC, 7 * SEC, 7 * SEC, 0},           /* start delay kept, not counted */
        {0, SEC, 0, 0, UINT64_MAX, PLAN_MAX_DURATION_NS, 0}, /* clamped */
        {0, SEC, 0, PLAN_MAX_DURATION_NS - 5 * SEC, UINT64_MAX, 5 * SEC, 0},
        {PLAN_MAX_DURATION_NS - 2 * SEC, SEC, 0, 2 * SEC, 200 * SEC, SEC, PLAN_MAX_DURATION_NS - 3 * SEC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        plan_scenario s = {.model = PLAN_CLOSED,
                           .users = 1,
                           .ramp_up_ns = cases[i].ramp,
                           .hold_for_ns = cases[i].hold,
                           .iterations = cases[i].iters,
                           .start_delay_ns = cases[i].start};
        plan p = {.n_scenarios = 1, .scenarios = &s};
        plan_set_duration(&p, cases[i].d);
        if (s.hold_for_ns != cases[i].want_hold || s.ramp_up_ns != cases[i].want_ramp)
            fail_msg("closed case %zu: hold %" PRIu64 " ramp %" PRIu64, i + 1, s.hold_for_ns, s.ramp_up_ns);
        assert_int_equal(s.iterations, cases[i].iters);
        assert_true(plan_scenario_duration(&s) <= PLAN_MAX_DURATION_NS);
    }
}

static void test_set_duration_open(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        plan_stage in[4];
        uint64_t d;
        size_t want_n;
        plan_stage want[4];
    } cases[] = {
        {1, {{50, 25 * SEC}}, 10 * SEC, 1, {{50, 10 * SEC}}},
        {2, {{100, 20 * SEC}, {300, 40 * SEC}}, 30 * SEC, 2, {{100, 10 * SEC}, {300, 20 * SEC}}},
        {2, {{100, 20 * SEC}, {300, 40 * SEC}}, 120 * SEC, 2, {{100, 40 * SEC}, {300, 80 * SEC}}},
        /* Thirds of 10 ns: boundaries at 3.33 -> 3 and 6.67 -> 7; the sum is exact. */
        {3, {{1, SEC}, {2, SEC}, {3, SEC}}, 10, 3, {{1, 3}, {2, 4}, {3, 3}}},
        /* A tiny stage that rounds to 0 ns is dropped. */
        {3, {{1, 1}, {2, 1000 * SEC}, {3, 1}}, 100, 1, {{2, 100}}},
        {2, {{1, SEC}, {2, SEC}}, 1, 1, {{1, 1}}},                   /* 0.5 rounds up */
        {1, {{7, SEC}}, 0, 1, {{7, SEC}}},                           /* 0 ignored */
        {1, {{7, SEC}}, UINT64_MAX, 1, {{7, PLAN_MAX_DURATION_NS}}}, /* clamped */
        {4, {{1, SEC}, {2, SEC}, {3, SEC}, {4, SEC}}, 4 * SEC, 4, {{1, SEC}, {2, SEC}, {3, SEC}, {4, SEC}}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        plan_stage st[4];
        memcpy(st, cases[i].in, sizeof st);
        plan_scenario s = {.model = PLAN_OPEN, .n_stages = cases[i].n, .stages = st, .max_connections = 1};
        plan p = {.n_scenarios = 1, .scenarios = &s};
        plan_set_duration(&p, cases[i].d);
        if (s.n_stages != cases[i].want_n)
            fail_msg("open case %zu: %zu stages", i + 1, s.n_stages);
        for (size_t j = 0; j < s.n_stages; j++)
            if (st[j].rate != cases[i].want[j].rate || st[j].duration_ns != cases[i].want[j].duration_ns)
                fail_msg("open case %zu stage %zu: rate %g duration %" PRIu64, i + 1, j, st[j].rate, st[j].duration_ns);
    }

    /* Mixed plan: every scenario gets the new duration; start delays are kept. */
    plan p;
    char err[256];
    assert_int_equal(plan_load_string(&p, "t.yaml", v1_yaml, strlen(v1_yaml), err, sizeof err), 0);
    assert_int_equal(plan_scenario_duration(&p.scenarios[0]), 70 * SEC);
    assert_int_equal(plan_scenario_duration(&p.scenarios[1]), 61500 * MS);
    assert_int_equal(plan_duration(&p), 70 * SEC);
    plan_set_duration(&p, 15 * SEC);
    assert_int_equal(p.scenarios[0].hold_for_ns, 5 * SEC);
    assert_int_equal(p.scenarios[1].stages[0].duration_ns, 5 * SEC);
    assert_int_equal(p.scenarios[1].stages[1].duration_ns, 10 * SEC);
    assert_int_equal(plan_duration(&p), 16500 * MS);
    plan_fini(&p);
}

static void test_durations(void **state)
{
    (void)state;
    plan_stage st[2] = {{1, UINT64_MAX}, {1, 5}};
    plan_scenario s[3] = {
        {.model = PLAN_CLOSED, .ramp_up_ns = SEC, .iterations = 5, .start_delay_ns = 2 * SEC},
        {.model = PLAN_OPEN, .n_stages = 2, .stages = st},
        {.model = PLAN_CLOSED, .ramp_up_ns = UINT64_MAX, .hold_for_ns = 1},
    };
    /* Iteration-bound without hold_for: start delay + ramp-up. */
    assert_int_equal(plan_scenario_duration(&s[0]), 3 * SEC);
    /* Sums saturate instead of wrapping. */
    assert_true(plan_scenario_duration(&s[1]) == UINT64_MAX);
    assert_true(plan_scenario_duration(&s[2]) == UINT64_MAX);
    plan p = {.n_scenarios = 1, .scenarios = s};
    assert_int_equal(plan_duration(&p), 3 * SEC);
    p.n_scenarios = 0;
    assert_int_equal(plan_duration(&p), 0);
}

/* ---- labels --------------------------------------------------------------------- */

static void test_labels(void **state)
{
    (void)state;
    plan p;
    char err[256];
    const char *l[8];

    assert_int_equal(plan_load_string(&p, "v4", v4_yaml, strlen(v4_yaml), err, sizeof err), 0);
    assert_int_equal(plan_labels(&p, l, 8), 3);
    assert_string_equal(l[0], "X");
    assert_string_equal(l[1], "/y");
    assert_string_equal(l[2], "/z");
    /* Truncation: max entries stored, full count returned; NULL with max 0. */
    l[1] = NULL;
    assert_int_equal(plan_labels(&p, l, 1), 3);
    assert_string_equal(l[0], "X");
    assert_null(l[1]);
    assert_int_equal(plan_labels(&p, NULL, 0), 3);
    /* label_id indexes that order. */
    assert_int_equal(plan_labels(&p, l, 8), 3);
    for (size_t i = 0; i < p.n_scenarios; i++)
        for (size_t j = 0; j < p.scenarios[i].n_requests; j++) {
            const plan_request *r = &p.scenarios[i].requests[j];
            assert_true(r->label_id < 3);
            assert_string_equal(l[r->label_id], r->label);
        }
    plan_fini(&p);

    assert_int_equal(plan_load_string(&p, "v1", v1_yaml, strlen(v1_yaml), err, sizeof err), 0);
    assert_int_equal(plan_labels(&p, l, 8), 3);
    assert_string_equal(l[0], "root");
    assert_string_equal(l[1], "A");
    assert_string_equal(l[2], "B");
    plan_fini(&p);

    memset(&p, 0, sizeof p);
    assert_int_equal(plan_labels(&p, l, 8), 0);
}

static void test_request_has_header(void **state)
{
    (void)state;
    plan_header h[] = {{"Accept", "a"}, {"X-Id", "1"}};
    plan_request r = {.n_headers = 2, .headers = h};
    assert_true(plan_request_has_header(&r, "accept"));
    assert_true(plan_request_has_header(&r, "X-ID"));
    assert_false(plan_request_has_header(&r, "Host"));
    assert_false(plan_request_has_header(&r, "Accep"));
    r.n_headers = 0;
    assert_false(plan_request_has_header(&r, "accept"));
}

/* ---- shares (--share INDEX/N) ---------------------------------------------------- */

/* Plans on the stack in these tests are not plan_fini'd: release what plan_apply_share
 * allocated (the copy of the whole plan). */
static void drop_whole(plan *p)
{
    for (size_t i = 0; p->whole && i < p->n_scenarios; i++)
        free(p->whole[i].stages);
    free(p->whole);
    p->whole = NULL;
}

static void test_share_closed(void **state)
{
    (void)state;
    static const struct {
        uint32_t users;
        uint64_t ramp, hold, iters, delay;
        uint32_t index, count;
        uint32_t want_users;
        uint64_t want_delay, want_ramp, want_hold;
    } cases[] = {
        /* 10 users over 3 shares: 4, 3, 3; users 0,3,6,9 / 1,4,7 / 2,5,8 of a 1 s spacing. */
        {10, 10 * SEC, 60 * SEC, 0, 0, 0, 3, 4, 0, 12 * SEC, 58 * SEC},
        {10, 10 * SEC, 60 * SEC, 0, 0, 1, 3, 3, SEC, 9 * SEC, 60 * SEC},
        {10, 10 * SEC, 60 * SEC, 0, 0, 2, 3, 3, 2 * SEC, 9 * SEC, 59 * SEC},
        {10, 0, 60 * SEC, 0, 0, 1, 3, 3, 0, 0, 60 * SEC},                       /* no ramp-up */
        {2, 10 * SEC, 60 * SEC, 0, 0, 2, 3, 0, 0, 10 * SEC, 60 * SEC},          /* no user left */
        {10, 10 * SEC, SEC, 0, 0, 0, 3, 4, 0, 10 * SEC, SEC},                   /* hold too short: plain split */
        {4, 4 * SEC, 0, 5, 0, 1, 2, 2, SEC, 4 * SEC, 0},                        /* iteration-bound */
        {7, 7 * SEC, 3 * SEC, 0, 0, 0, 1, 7, 0, 7 * SEC, 3 * SEC},              /* one share: unchanged */
        {4, 4 * SEC, 10 * SEC, 0, 5 * SEC, 3, 4, 1, 8 * SEC, 0, 11 * SEC},      /* one user: no ramp */
        {8, 8 * SEC, 10 * SEC, 0, 5 * SEC, 3, 4, 2, 8 * SEC, 8 * SEC, 7 * SEC}, /* start delay */
        {2, 10 * SEC, 60 * SEC, 0, 0, 1, 7, 1, 5 * SEC, 0, 65 * SEC},           /* more shares than users */
        {1000000, SEC, SEC, 0, 0, 9999, 10000, 100, 9999 * 1000, SEC, SEC - 9999 * 1000},
        {10, 10 * SEC, 2 * SEC, 0, 0, 1, 2, 5, SEC, 10 * SEC, SEC},      /* hold just absorbs it */
        {10, 10 * SEC, SEC, 0, 0, 1, 2, 5, 0, 10 * SEC, SEC},            /* not: plain split */
        {UINT32_MAX, 0, SEC, 0, 0, 0, 2, UINT32_MAX / 2 + 1, 0, 0, SEC}, /* odd total */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        plan_scenario s = {.model = PLAN_CLOSED,
                           .users = cases[i].users,
                           .ramp_up_ns = cases[i].ramp,
                           .hold_for_ns = cases[i].hold,
                           .iterations = cases[i].iters,
                           .start_delay_ns = cases[i].delay};
        plan p = {.n_scenarios = 1, .scenarios = &s};
        char err[128];
        assert_int_equal(plan_apply_share(&p, cases[i].index, cases[i].count, err, sizeof err), 0);
        if (s.users != cases[i].want_users || s.start_delay_ns != cases[i].want_delay ||
            s.ramp_up_ns != cases[i].want_ramp || s.hold_for_ns != cases[i].want_hold)
            fail_msg("closed share case %zu: users %" PRIu32 " delay %" PRIu64 " ramp %" PRIu64 " hold %" PRIu64, i + 1,
                     s.users, s.start_delay_ns, s.ramp_up_ns, s.hold_for_ns);
        assert_int_equal(s.iterations, cases[i].iters);
        assert_int_equal(p.share_index, cases[i].index);
        assert_int_equal(p.share_count, cases[i].count);
        drop_whole(&p);
    }

    /* The union of the shares is the single run: share i's user j starts when the single
     * run's user i + j * count does (the engine starts user n at ramp_up * n / users), the
     * users add up, and every share ends with the single run. */
    static const uint32_t users[] = {1, 2, 3, 7, 10, 64, 999};
    static const uint32_t counts[] = {1, 2, 3, 4, 7, 10, 1000};
    for (size_t u = 0; u < sizeof users / sizeof users[0]; u++) {
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            const uint64_t ramp = 10 * SEC, hold = 30 * SEC, delay = 2 * SEC;
            uint64_t sum = 0;
            for (uint32_t i = 0; i < counts[c]; i++) {
                plan_scenario s = {.model = PLAN_CLOSED,
                                   .users = users[u],
                                   .ramp_up_ns = ramp,
                                   .hold_for_ns = hold,
                                   .start_delay_ns = delay};
                plan p = {.n_scenarios = 1, .scenarios = &s};
                assert_int_equal(plan_apply_share(&p, i, counts[c], NULL, 0), 0);
                drop_whole(&p);
                sum += s.users;
                assert_int_equal(plan_scenario_duration(&s), delay + ramp + hold);
                for (uint32_t j = 0; j < s.users; j++) {
                    double got = (double)s.start_delay_ns + (double)s.ramp_up_ns * j / s.users;
                    double want = (double)delay + (double)ramp * (i + (double)j * counts[c]) / users[u];
                    if (fabs(got - want) > 2)
                        fail_msg("%" PRIu32 " users, share %" PRIu32 "/%" PRIu32 ", user %" PRIu32
                                 ": starts at %.0f ns, single run at %.0f",
                                 users[u], i, counts[c], j, got, want);
                }
            }
            assert_int_equal(sum, users[u]);
        }
    }
}

/* Absolute arrival times (ns from the run's start) of an open scenario, sorted. */
static size_t open_arrivals(const plan_scenario *s, uint64_t *t, size_t max)
{
    schedule sc;
    assert_int_equal(schedule_init(&sc, s->stages, s->n_stages), 0);
    size_t n = 0;
    schedule_cursor hint = {0, 0, 0};
    uint64_t off;
    for (uint64_t k = 0; schedule_time(&sc, k, &hint, &off) == 0; k++) {
        assert_true(n < max);
        t[n++] = s->start_delay_ns + off;
    }
    schedule_fini(&sc);
    return n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_share_open(void **state)
{
    (void)state;
    plan_stage st[2] = {{100, 20 * SEC}, {300, 40 * SEC}};
    plan_scenario s = {.model = PLAN_OPEN, .n_stages = 2, .stages = st, .max_connections = 501, .start_delay_ns = SEC};
    plan p = {.n_scenarios = 1, .scenarios = &s};
    char err[128];
    assert_int_equal(plan_apply_share(&p, 1, 2, err, sizeof err), 0);
    assert_true(st[0].rate == 50 && st[1].rate == 150);
    assert_int_equal(s.max_connections, 250);
    /* Share 1 takes arrivals 1, 3, 5, ...: the first is 10 ms into the run. */
    assert_int_equal(s.start_delay_ns, SEC + 10 * MS);
    assert_int_equal(st[0].duration_ns, 20 * SEC - 10 * MS);
    assert_int_equal(st[1].duration_ns, 40 * SEC);
    assert_int_equal(plan_scenario_duration(&s), 61 * SEC);
    drop_whole(&p);

    /* max_connections: split, at least 1; an offset longer than the first stage is not applied. */
    plan_stage st2[1] = {{1, SEC / 2}};
    plan_scenario s2 = {.model = PLAN_OPEN, .n_stages = 1, .stages = st2, .max_connections = 3};
    plan p2 = {.n_scenarios = 1, .scenarios = &s2};
    assert_int_equal(plan_apply_share(&p2, 4, 5, err, sizeof err), 0);
    drop_whole(&p2);
    assert_int_equal(s2.max_connections, 1);
    assert_true(st2[0].rate == 0.2);
    assert_int_equal(s2.start_delay_ns, 0);
    assert_int_equal(st2[0].duration_ns, SEC / 2);
    /* A tiny rate: the offset (years) is far beyond the stage and not applied. */
    plan_stage st3[1] = {{1e-9, 10 * SEC}};
    plan_scenario s3 = {.model = PLAN_OPEN, .n_stages = 1, .stages = st3, .max_connections = 1};
    plan p3 = {.n_scenarios = 1, .scenarios = &s3};
    assert_int_equal(plan_apply_share(&p3, 9999, 10000, err, sizeof err), 0);
    drop_whole(&p3);
    assert_int_equal(s3.start_delay_ns, 0);
    assert_int_equal(st3[0].duration_ns, 10 * SEC);
    assert_int_equal(s3.max_connections, 1);

    /* The union of the shares' arrivals is the single run's schedule (to 2 ns). */
    static const struct {
        size_t n;
        plan_stage st[3];
        uint32_t count;
    } cases[] = {
        {1, {{100, 2 * SEC}}, 2},
        {1, {{100, 2 * SEC}}, 3},
        {2, {{100, 2 * SEC}, {250, 2 * SEC}}, 2},
        {2, {{100, 2 * SEC}, {250, 2 * SEC}}, 4},
        {3, {{1000, SEC}, {10, SEC}, {500, 500 * MS}}, 5},
        {1, {{7, 3 * SEC}}, 10}, /* 21 arrivals over 10 shares */
    };
    enum { MAXA = 2000 };
    static uint64_t want[MAXA], got[MAXA];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        plan_stage w[3];
        memcpy(w, cases[i].st, sizeof w);
        plan_scenario ws = {.model = PLAN_OPEN, .n_stages = cases[i].n, .stages = w, .max_connections = 10};
        size_t nw = open_arrivals(&ws, want, MAXA), ng = 0;
        for (uint32_t k = 0; k < cases[i].count; k++) {
            plan_stage g[3];
            memcpy(g, cases[i].st, sizeof g);
            plan_scenario gs = {.model = PLAN_OPEN, .n_stages = cases[i].n, .stages = g, .max_connections = 10};
            plan gp = {.n_scenarios = 1, .scenarios = &gs};
            assert_int_equal(plan_apply_share(&gp, k, cases[i].count, err, sizeof err), 0);
            drop_whole(&gp);
            assert_int_equal(plan_scenario_duration(&gs), plan_scenario_duration(&ws));
            ng += open_arrivals(&gs, got + ng, MAXA - ng);
        }
        if (ng != nw)
            fail_msg("open share case %zu: %zu arrivals in the shares, %zu in the single run", i + 1, ng, nw);
        qsort(got, ng, sizeof got[0], cmp_u64);
        for (size_t j = 0; j < nw; j++)
            if (got[j] > want[j] + 2 || want[j] > got[j] + 2)
                fail_msg("open share case %zu: arrival %zu at %" PRIu64 " ns, single run %" PRIu64, i + 1, j, got[j],
                         want[j]);
    }
}

/* keep_alive, max_requests_per_connection, connection_lifetime: both models, defaults,
 * the flags' plan_set_conn, and a share keeps them (its plan and the whole plan). */
static void test_conn_keys(void **state)
{
    (void)state;
    static const char y[] = "target: http://127.0.0.1:1\n"
                            "scenarios:\n"
                            "  - {name: plain, users: 2, hold_for: 1s, requests: [{path: /}]}\n"
                            "  - {name: noka, users: 2, hold_for: 1s, keep_alive: false, requests: [{path: /}]}\n"
                            "  - name: limits\n"
                            "    rate: 100/s\n"
                            "    duration: 2s\n"
                            "    keep_alive: true\n"
                            "    max_requests_per_connection: 5\n"
                            "    connection_lifetime: 1500ms\n"
                            "    requests: [{path: /}]\n";
    plan p;
    char err[256];
    assert_int_equal(plan_load_string(&p, "t.yaml", y, strlen(y), err, sizeof err), 0);
    const plan_conn *c0 = &p.scenarios[0].conn, *c1 = &p.scenarios[1].conn, *c2 = &p.scenarios[2].conn;
    assert_false(c0->no_keep_alive);
    assert_int_equal(c0->max_requests, 0);
    assert_int_equal(c0->lifetime_ns, 0);
    assert_true(c1->no_keep_alive);
    assert_int_equal(c1->max_requests, 0);
    assert_false(c2->no_keep_alive);
    assert_int_equal(c2->max_requests, 5);
    assert_int_equal(c2->lifetime_ns, 1500 * MS);

    /* --connection-lifetime 10s: only that field, every scenario. */
    plan_conn flag = {true, 7, 10 * SEC};
    plan_set_conn(&p, &flag, PLAN_CONN_LIFETIME);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(p.scenarios[i].conn.lifetime_ns, 10 * SEC);
    assert_true(c1->no_keep_alive);
    assert_int_equal(c2->max_requests, 5);
    plan_set_conn(&p, &flag, PLAN_CONN_KEEP_ALIVE | PLAN_CONN_MAX_REQUESTS);
    for (size_t i = 0; i < 3; i++) {
        assert_true(p.scenarios[i].conn.no_keep_alive);
        assert_int_equal(p.scenarios[i].conn.max_requests, 7);
    }
    plan_set_conn(&p, &flag, 0); /* nothing */
    assert_int_equal(c0->max_requests, 7);

    assert_int_equal(plan_apply_share(&p, 1, 2, err, sizeof err), 0);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(p.scenarios[i].conn.max_requests, 7);
        assert_int_equal(p.whole[i].conn.max_requests, 7);
        assert_int_equal(p.whole[i].conn.lifetime_ns, 10 * SEC);
    }
    plan_fini(&p);

    /* The URL plan keeps the default. */
    assert_int_equal(plan_from_url(&p, "http://127.0.0.1:1/", 2, 0, SEC, NULL, err, sizeof err), 0);
    assert_false(p.scenarios[0].conn.no_keep_alive);
    assert_int_equal(p.scenarios[0].conn.max_requests, 0);
    assert_int_equal(p.scenarios[0].conn.lifetime_ns, 0);
    plan_fini(&p);
}

/* arrivals, ramp and start_rate: loaded, and a share of such a scenario is cut by the
 * schedule (arrival_share_*), not by a start-delay shift. */
static void test_arrival_keys(void **state)
{
    (void)state;
    static const char y[] = "target: http://127.0.0.1:1\n"
                            "scenarios:\n"
                            "  - {name: plain, rate: 10/s, duration: 1s, requests: [{path: /}]}\n"
                            "  - name: ramped\n"
                            "    arrivals: poisson\n"
                            "    ramp: linear\n"
                            "    start_rate: 20/s\n"
                            "    stages: [{rate: 100/s, duration: 10s}, {rate: 100/s, duration: 10s}]\n"
                            "    requests: [{path: /}]\n";
    plan p;
    char err[256];
    assert_int_equal(plan_load_string(&p, "t.yaml", y, strlen(y), err, sizeof err), 0);
    assert_int_equal(p.scenarios[0].arrivals, PLAN_ARRIVALS_CONSTANT);
    assert_int_equal(p.scenarios[0].ramp, PLAN_RAMP_STEP);
    const plan_scenario *r = &p.scenarios[1];
    assert_int_equal(r->arrivals, PLAN_ARRIVALS_POISSON);
    assert_int_equal(r->ramp, PLAN_RAMP_LINEAR);
    assert_true(r->start_rate == 20);
    plan_set_duration(&p, 10 * SEC); /* durations scale, rates stay */
    assert_int_equal(r->stages[0].duration_ns, 5 * SEC);
    assert_true(r->stages[0].rate == 100 && r->start_rate == 20);
    assert_int_equal(plan_apply_share(&p, 1, 4, err, sizeof err), 0);
    assert_true(r->start_rate == 5 && r->stages[0].rate == 25 && r->stages[1].rate == 25);
    assert_int_equal(r->arrival_share_index, 1);
    assert_int_equal(r->arrival_share_count, 4);
    assert_int_equal(r->start_delay_ns, 0);
    assert_int_equal(r->stages[0].duration_ns, 5 * SEC);
    assert_int_equal(p.scenarios[0].arrival_share_count, 0); /* the plain one: shifted as before */
    assert_int_equal(p.scenarios[0].start_delay_ns, 100 * MS);
    plan_fini(&p);
}

static void test_share_errors(void **state)
{
    (void)state;
    static const struct {
        uint32_t index, count;
        const char *msg;
    } cases[] = {
        {0, 0, "share count 0 is out of range"}, {0, PLAN_MAX_SHARES + 1, "out of range"},
        {0, UINT32_MAX, "out of range"},         {3, 3, "share index 3 is out of range (0 to 2)"},
        {UINT32_MAX, 2, "out of range"},
    };
    plan p;
    char err[256];
    assert_int_equal(plan_load_string(&p, "t.yaml", v1_yaml, strlen(v1_yaml), err, sizeof err), 0);
    uint32_t users = p.scenarios[0].users;
    double rate = p.scenarios[1].stages[0].rate;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        assert_int_equal(plan_apply_share(&p, cases[i].index, cases[i].count, err, sizeof err), -1);
        if (!strstr(err, cases[i].msg))
            fail_msg("share error case %zu: \"%s\"", i + 1, err);
        assert_int_equal(p.share_count, 0);
        assert_int_equal(p.scenarios[0].users, users);
    }
    /* A loaded plan is not a share; applying one records it, a second one is refused. */
    assert_int_equal(p.share_count, 0);
    assert_int_equal(plan_apply_share(&p, 1, 2, err, sizeof err), 0);
    assert_int_equal(p.share_index, 1);
    assert_int_equal(p.share_count, 2);
    assert_true(p.scenarios[1].stages[0].rate == rate / 2);
    assert_int_equal(plan_apply_share(&p, 0, 2, err, sizeof err), -1);
    assert_non_null(strstr(err, "already share 1/2"));
    assert_true(p.scenarios[1].stages[0].rate == rate / 2);
    plan_fini(&p);
}

/* https targets: scheme, default port 443 (not in the authority), and the plan's tls: key
 * (paths relative to the plan's directory, positions for later file errors, typos). */
static void test_tls(void **state)
{
    (void)state;
    plan_url u;
    char err[512];
    assert_int_equal(plan_url_parse(&u, "HTTPS://svc.example/api/", err, sizeof err), 0);
    assert_true(u.tls);
    assert_string_equal(u.scheme, "https");
    assert_int_equal(u.port, 443);
    assert_string_equal(u.authority, "svc.example");
    assert_string_equal(u.base_path, "/api");
    plan_url_fini(&u);
    assert_int_equal(plan_url_parse(&u, "https://[::1]:8443", err, sizeof err), 0);
    assert_true(u.tls);
    assert_int_equal(u.port, 8443);
    assert_string_equal(u.authority, "[::1]:8443");
    plan_url_fini(&u);
    /* Port 80 is not https's default, and 443 not http's. */
    assert_int_equal(plan_url_parse(&u, "https://h:80", err, sizeof err), 0);
    assert_string_equal(u.authority, "h:80");
    plan_url_fini(&u);
    assert_int_equal(plan_url_parse(&u, "http://h:443", err, sizeof err), 0);
    assert_false(u.tls);
    assert_string_equal(u.authority, "h:443");
    plan_url_fini(&u);

    static const char good[] =
        "target: https://svc.example:8443/\n"
        "tls: {cacert: certs/ca.pem, cert: /abs/client.pem, key: client.key, insecure: yes, server_name: svc.example}\n"
        "scenarios: [{users: 1, hold_for: 1s, requests: [{path: /}]}]\n";
    plan p;
    assert_int_equal(plan_load_string(&p, "deploy/t.yaml", good, sizeof good - 1, err, sizeof err), 0);
    assert_true(p.target.tls);
    assert_string_equal(p.tls.file[PLAN_TLS_CACERT], "deploy/certs/ca.pem");
    assert_string_equal(p.tls.file[PLAN_TLS_CERT], "/abs/client.pem");
    assert_string_equal(p.tls.file[PLAN_TLS_KEY], "deploy/client.key");
    assert_int_equal(p.tls.line[PLAN_TLS_CACERT], 2);
    assert_int_equal(p.tls.col[PLAN_TLS_CACERT], 15);
    assert_true(p.tls.insecure);
    assert_string_equal(p.tls.server_name, "svc.example");
    /* A flag replaces the plan's file and has no position. */
    assert_int_equal(plan_set_tls_file(&p, PLAN_TLS_CACERT, "other.pem", err, sizeof err), 0);
    assert_string_equal(p.tls.file[PLAN_TLS_CACERT], "other.pem");
    assert_int_equal(p.tls.line[PLAN_TLS_CACERT], 0);
    plan_fini(&p);

    static const struct {
        const char *yaml, *err;
    } bad[] = {
        {"tls: {cacrt: ca.pem}\n", "t.yaml:1:7: unknown key \"cacrt\" (did you mean \"cacert\"?)"},
        {"tls: {insecure: maybe}\n", "t.yaml:1:17: expected a boolean (true/false), found \"maybe\""},
        {"tls: {key: k.pem}\n", "t.yaml:1:12: tls.key needs tls.cert (the client certificate it belongs to)"},
        {"tls: {cacert: \"\"}\n", "t.yaml:1:15: tls.cacert: expected a file name"},
        {"tls: {server_name: \"a b\"}\n", "t.yaml:1:20: tls.server_name \"a b\" is not a host name"},
        {"tls: [ca.pem]\n", "t.yaml:1:6: expected a mapping"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char doc[512];
        snprintf(doc, sizeof doc, "%sscenarios: [{users: 1, hold_for: 1s, requests: [{path: /}]}]\n", bad[i].yaml);
        err[0] = '\0';
        if (plan_load_string(&p, "t.yaml", doc, strlen(doc), err, sizeof err) != -1)
            fail_msg("tls case %zu loaded", i + 1);
        if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
            fail_msg("tls case %zu:\n  want: %s\n  got:  %s", i + 1, bad[i].err, err);
    }
}

/* dns: {ttl, resolve} and plan_add_resolve (--resolve): entries parsed, a later one for the
 * same HOST:PORT replaces the earlier, lookups case-insensitive; bad entries name
 * file:line:col. */
static void test_dns(void **state)
{
    (void)state;
    char err[512];
    plan p;
    static const char good[] = "target: http://Svc.Test:8080/\n"
                               "dns: {ttl: 5s, resolve: [\"svc.test:8080:10.0.0.1,10.0.0.2\", \"v6:80:[::1],::2\"]}\n"
                               "scenarios: [{users: 1, hold_for: 1s, requests: [{path: /}]}]\n";
    assert_int_equal(plan_load_string(&p, "t.yaml", good, sizeof good - 1, err, sizeof err), 0);
    assert_int_equal(p.dns.ttl_ns, 5 * UINT64_C(1000000000));
    assert_int_equal(p.dns.n_resolve, 2);
    const plan_resolve *r = plan_resolve_find(&p, "SVC.test", 8080);
    assert_non_null(r);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->addr[1].family, AF_INET);
    assert_int_equal(r->addr[1].ip[3], 2);
    assert_null(plan_resolve_find(&p, "svc.test", 8081));
    r = plan_resolve_find(&p, "v6", 80);
    assert_non_null(r);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->addr[0].family, AF_INET6);
    assert_int_equal(r->addr[1].ip[15], 2);
    /* --resolve for the same host and port replaces the plan's entry. */
    assert_int_equal(plan_add_resolve(&p, "svc.TEST:8080:127.0.0.9", err, sizeof err), 0);
    assert_int_equal(p.dns.n_resolve, 2);
    r = plan_resolve_find(&p, "svc.test", 8080);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->addr[0].ip[3], 9);
    plan_fini(&p);

    static const char dflt[] = "target: http://h/\nscenarios: [{users: 1, hold_for: 1s, requests: [{path: /}]}]\n";
    assert_int_equal(plan_load_string(&p, "t.yaml", dflt, sizeof dflt - 1, err, sizeof err), 0);
    assert_int_equal(p.dns.ttl_ns, PLAN_DEFAULT_DNS_TTL_NS);
    assert_int_equal(p.dns.n_resolve, 0);
    plan_fini(&p);

    static const struct {
        const char *spec, *err;
    } bad_specs[] = {
        {"svc.test", "expected HOST:PORT:ADDRESS"},
        {":80:10.0.0.1", "expected HOST:PORT:ADDRESS"},
        {"svc:0:10.0.0.1", "expected a port from 1 to 65535, got \"0\""},
        {"svc:http:10.0.0.1", "expected a port from 1 to 65535, got \"http\""},
        {"svc:80:", "\"\" is not an IPv4 or IPv6 address"},
        {"svc:80:10.0.0.1,,10.0.0.2", "\"\" is not an IPv4 or IPv6 address"},
        {"svc:80:10.0.0.256", "\"10.0.0.256\" is not an IPv4 or IPv6 address"},
        {"s/v:80:10.0.0.1", "\"s/v\" is not a host name"},
    };
    memset(&p, 0, sizeof p);
    for (size_t i = 0; i < sizeof bad_specs / sizeof bad_specs[0]; i++) {
        err[0] = '\0';
        if (plan_add_resolve(&p, bad_specs[i].spec, err, sizeof err) != -1)
            fail_msg("resolve spec %zu accepted", i + 1);
        if (strncmp(err, bad_specs[i].err, strlen(bad_specs[i].err)) != 0)
            fail_msg("resolve spec %zu:\n  want: %s\n  got:  %s", i + 1, bad_specs[i].err, err);
    }
    assert_int_equal(p.dns.n_resolve, 0);
    plan_fini(&p);

    static const struct {
        const char *yaml, *err;
    } bad[] = {
        {"dns: {tll: 5s}\n", "t.yaml:1:7: unknown key \"tll\" (did you mean \"ttl\"?)"},
        {"dns: {ttl: 10ms}\n", "t.yaml:1:12: dns.ttl must be 0 (resolve once) or at least 100ms"},
        {"dns: {resolve: \"h:80:10.0.0.1\"}\n", "t.yaml:1:16: expected a sequence"},
        {"dns: {resolve: [\"h:80:nope\"]}\n", "t.yaml:1:17: dns.resolve: \"nope\" is not an IPv4 or IPv6 address"},
        {"dns: [30s]\n", "t.yaml:1:6: expected a mapping"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char doc[512];
        snprintf(doc, sizeof doc, "%sscenarios: [{users: 1, hold_for: 1s, requests: [{path: /}]}]\n", bad[i].yaml);
        err[0] = '\0';
        if (plan_load_string(&p, "t.yaml", doc, strlen(doc), err, sizeof err) != -1)
            fail_msg("dns case %zu loaded", i + 1);
        if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
            fail_msg("dns case %zu:\n  want: %s\n  got:  %s", i + 1, bad[i].err, err);
    }
}

/* Scenario and request targets: interned once by their text, a request inherits its
 * scenario's, the plan's own target is needed only when a request uses it; a label names
 * one target; bad URLs name file:line:col. */
static void test_targets(void **state)
{
    (void)state;
    char err[512];
    plan p;
    static const char good[] =
        "target: http://svc:8080\n"
        "scenarios:\n"
        "  - name: a\n"
        "    users: 1\n"
        "    hold_for: 1s\n"
        "    requests:\n"
        "      - {label: own, path: /}\n"
        "      - {label: dep, path: /d, target: \"https://dep.test/api\"}\n"
        "  - name: b\n"
        "    target: https://dep.test/api\n"
        "    users: 1\n"
        "    hold_for: 1s\n"
        "    requests: [{label: dep2, path: /e}, {label: back, path: /, target: \"http://other:81\"}]\n";
    assert_int_equal(plan_load_string(&p, "t.yaml", good, sizeof good - 1, err, sizeof err), 0);
    assert_int_equal(p.n_targets, 2);
    assert_int_equal(p.scenarios[0].target, 0);
    assert_int_equal(p.scenarios[0].requests[0].target, 0);
    assert_int_equal(p.scenarios[0].requests[1].target, 1);
    assert_int_equal(p.scenarios[1].target, 1);
    assert_int_equal(p.scenarios[1].requests[0].target, 1); /* inherited */
    assert_int_equal(p.scenarios[1].requests[1].target, 2);
    assert_string_equal(plan_target_url(&p, 1)->host, "dep.test");
    assert_true(plan_target_url(&p, 1)->tls);
    assert_string_equal(plan_target_url(&p, 1)->base_path, "/api");
    assert_string_equal(plan_target_str(&p, 2), "http://other:81");
    assert_string_equal(plan_target_url(&p, 0)->host, "svc");
    assert_int_equal(plan_validate(&p, err, sizeof err), 0);
    plan_fini(&p);

    /* No target of the plan's own: fine when every request has one. */
    static const char own_less[] =
        "scenarios: [{target: \"http://a:1\", users: 1, hold_for: 1s, requests: [{path: /}]}]\n";
    assert_int_equal(plan_load_string(&p, "t.yaml", own_less, sizeof own_less - 1, err, sizeof err), 0);
    assert_int_equal(plan_validate(&p, err, sizeof err), 0);
    plan_fini(&p);
    static const char half[] = "scenarios: [{target: \"http://a:1\", users: 1, hold_for: 1s, requests: [{path: /}]},\n"
                               "            {users: 1, hold_for: 1s, requests: [{path: /x}]}]\n";
    assert_int_equal(plan_load_string(&p, "t.yaml", half, sizeof half - 1, err, sizeof err), 0);
    assert_int_equal(plan_validate(&p, err, sizeof err), -1);
    assert_non_null(strstr(err, "no target"));
    plan_fini(&p);

    static const struct {
        const char *yaml, *err;
    } bad[] = {
        {"scenarios: [{target: \"ftp://x\", users: 1, hold_for: 1s, requests: [{path: /}]}]\n", "t.yaml:1:22: "},
        {"scenarios: [{users: 1, hold_for: 1s, requests: [{path: /, target: \"http://\"}]}]\n", "t.yaml:1:67: "},
        {"target: http://a\nscenarios: [{users: 1, hold_for: 1s, requests: [{label: x, path: /}]},\n"
         "            {users: 1, hold_for: 1s, requests: [{label: x, path: /, target: \"http://b\"}]}]\n",
         "t.yaml:3:57: label \"x\" names GET / (another target) here but GET / at line 2, column 49"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (plan_load_string(&p, "t.yaml", bad[i].yaml, strlen(bad[i].yaml), err, sizeof err) != -1)
            fail_msg("target case %zu loaded", i + 1);
        if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
            fail_msg("target case %zu:\n  want: %s\n  got:  %s", i + 1, bad[i].err, err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_plans),
        cmocka_unit_test(test_broken_plans),
        cmocka_unit_test(test_truncated_input),
        cmocka_unit_test(test_nul_and_control_bytes),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_example_plan),
        cmocka_unit_test(test_server),
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_dns),
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_from_url),
        cmocka_unit_test(test_set_target_validate),
        cmocka_unit_test(test_set_duration_closed),
        cmocka_unit_test(test_set_duration_open),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_request_has_header),
        cmocka_unit_test(test_share_closed),
        cmocka_unit_test(test_share_open),
        cmocka_unit_test(test_share_errors),
        cmocka_unit_test(test_conn_keys),
        cmocka_unit_test(test_arrival_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
