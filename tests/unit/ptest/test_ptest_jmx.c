/* test_ptest_jmx.c - JMeter plans (in JMeter's own file format) converted to ptest YAML:
 * the YAML loads back into the expected plan; JMeter semantics (loops, ramp-up, scheduler,
 * scopes of defaults, headers and assertions, timers, variables); warnings, --strict and
 * malformed input with line and column; the sequence order of the plan loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ptest/plan/jmx/jmx.h"
#include "ptest/plan/jmx/jmx_tree.h"

/* ------------------------------------------------------------------ building plans - */

#define HEAD                                                                                                           \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<jmeterTestPlan version=\"1.2\" properties=\"5.0\" jmeter=\"5.4.1\">\n<hashTree>\n"
#define TP(vars)                                                                                                                         \
    "<TestPlan guiclass=\"TestPlanGui\" testclass=\"TestPlan\" testname=\"T\" enabled=\"true\">\n"                                       \
    "<elementProp name=\"TestPlan.user_defined_variables\" elementType=\"Arguments\"><collectionProp name=\"Arguments.arguments\">" vars \
    "</collectionProp></elementProp></TestPlan>\n<hashTree>\n"
#define VAR(n, v)                                                                                                      \
    "<elementProp name=\"" n "\" elementType=\"Argument\"><stringProp name=\"Argument.name\">" n                       \
    "</stringProp><stringProp name=\"Argument.value\">" v "</stringProp></elementProp>"
#define TAIL "</hashTree>\n</hashTree>\n</jmeterTestPlan>\n"
#define DEFAULTS(host, port)                                                                                           \
    "<ConfigTestElement guiclass=\"HttpDefaultsGui\" testclass=\"ConfigTestElement\" testname=\"D\" enabled=\"true\">" \
    "<stringProp name=\"HTTPSampler.domain\">" host "</stringProp><stringProp name=\"HTTPSampler.port\">" port         \
    "</stringProp></ConfigTestElement><hashTree/>\n"
/* A thread group: threads, ramp-up s, loops, scheduler, duration s, delay s; its tree. */
#define TG(name, threads, ramp, loops, schedule, dur, delay, body)                                                                                 \
    "<ThreadGroup guiclass=\"ThreadGroupGui\" testclass=\"ThreadGroup\" testname=\"" name "\" enabled=\"true\">"                                   \
    "<stringProp name=\"ThreadGroup.on_sample_error\">continue</stringProp>"                                                                       \
    "<elementProp name=\"ThreadGroup.main_controller\" elementType=\"LoopController\" guiclass=\"LoopControlPanel\" testclass=\"LoopController\">" \
    "<boolProp name=\"LoopController.continue_forever\">false</boolProp><stringProp name=\"LoopController.loops\">" loops                          \
    "</stringProp></elementProp>"                                                                                                                  \
    "<stringProp name=\"ThreadGroup.num_threads\">" threads                                                                                        \
    "</stringProp><stringProp name=\"ThreadGroup.ramp_time\">" ramp "</stringProp>"                                                                \
    "<boolProp name=\"ThreadGroup.scheduler\">" schedule "</boolProp><stringProp name=\"ThreadGroup.duration\">" dur                               \
    "</stringProp>"                                                                                                                                \
    "<stringProp name=\"ThreadGroup.delay\">" delay "</stringProp></ThreadGroup>\n<hashTree>\n" body TG_END
#define TG_END "</hashTree>\n"
#define SAMPLER_X(name, method, path, extra, kids)                                                                     \
    "<HTTPSamplerProxy guiclass=\"HttpTestSampleGui\" testclass=\"HTTPSamplerProxy\" testname=\"" name                 \
    "\" enabled=\"true\">"                                                                                             \
    "<stringProp name=\"HTTPSampler.path\">" path "</stringProp><stringProp name=\"HTTPSampler.method\">" method       \
    "</stringProp>" extra "</HTTPSamplerProxy>\n<hashTree>" kids "</hashTree>\n"
#define SAMPLER(name, path) SAMPLER_X(name, "GET", path, "", "")
#define HEADERS(h)                                                                                                     \
    "<HeaderManager guiclass=\"HeaderPanel\" testclass=\"HeaderManager\" testname=\"H\" enabled=\"true\">"             \
    "<collectionProp name=\"HeaderManager.headers\">" h "</collectionProp></HeaderManager><hashTree/>\n"
#define HDR(n, v)                                                                                                      \
    "<elementProp name=\"\" elementType=\"Header\"><stringProp name=\"Header.name\">" n                                \
    "</stringProp><stringProp name=\"Header.value\">" v "</stringProp></elementProp>"
#define ASSERT(field, type, str)                                                                                       \
    "<ResponseAssertion guiclass=\"AssertionGui\" testclass=\"ResponseAssertion\" testname=\"A\" enabled=\"true\">"    \
    "<collectionProp name=\"Asserion.test_strings\"><stringProp name=\"1\">" str "</stringProp></collectionProp>"      \
    "<stringProp name=\"Assertion.test_field\">Assertion." field                                                       \
    "</stringProp><intProp name=\"Assertion.test_type\">" type "</intProp>"                                            \
    "</ResponseAssertion><hashTree/>\n"
#define ARG(n, v, enc)                                                                                                 \
    "<elementProp name=\"" n "\" elementType=\"HTTPArgument\"><boolProp name=\"HTTPArgument.always_encode\">" enc      \
    "</boolProp><stringProp name=\"Argument.name\">" n "</stringProp><stringProp name=\"Argument.value\">" v           \
    "</stringProp></elementProp>"
#define ARGS(a)                                                                                                             \
    "<elementProp name=\"HTTPsampler.Arguments\" elementType=\"Arguments\"><collectionProp name=\"Arguments.arguments\">" a \
    "</collectionProp></elementProp>"
#define PLAN(body) HEAD TP("") DEFAULTS("127.0.0.1", "8080") body TAIL

/* Joins NULL-terminated pieces (ISO C limits one string literal to 4095 bytes). */
static char *join(const char *const *parts)
{
    size_t n = 0;
    for (size_t i = 0; parts[i]; i++)
        n += strlen(parts[i]);
    char *d = malloc(n + 1);
    assert_non_null(d);
    d[0] = '\0';
    for (size_t i = 0; parts[i]; i++)
        strcat(d, parts[i]);
    return d;
}

typedef struct warns {
    size_t n;
    char last[512];
} warns;

static void on_warn(void *ctx, const char *line)
{
    warns *w = ctx;
    w->n++;
    if (getenv("JMX_WARN"))
        fprintf(stderr, "warn: %s\n", line);
    snprintf(w->last, sizeof w->last, "%s", line);
}

/* Converts doc; on JMX_OK loads the YAML into p (which must load). */
static int convert(const char *doc, const jmx_prop *props, size_t n_props, bool strict, uint64_t dur, plan *p, warns *w,
                   char *err, size_t errlen)
{
    jmx_opts o = {props, n_props, dur, strict, on_warn, w};
    char *yaml = NULL, perr[512];
    size_t yl;
    memset(w, 0, sizeof *w);
    memset(p, 0, sizeof *p);
    int rc = jmx_to_yaml("t.jmx", doc, strlen(doc), &o, &yaml, &yl, err, errlen);
    if (rc != JMX_OK) {
        assert_null(yaml);
        return rc;
    }
    assert_int_equal(strlen(yaml), yl);
    if (plan_load_string(p, "t.yaml", yaml, yl, perr, sizeof perr) != 0)
        fail_msg("converted YAML does not load: %s\n%s", perr, yaml);
    free(yaml);
    return rc;
}

static const char *hdr(const plan_header *hs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(hs[i].name, name) == 0)
            return hs[i].value;
    return NULL;
}

/* ------------------------------------------------------------------ tests ---------- */

static void test_msdemo_example(void **state)
{
    (void)state;
    FILE *f = fopen("examples/ms-demo.jmx", "rb");
    if (!f)
        f = fopen("../../examples/ms-demo.jmx", "rb");
    assert_non_null(f);
    static char doc[1 << 16];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    jmx_prop props[] = {{"host", "10.0.0.9"}, {"port", "9999"}, {"port", "18080"}};
    plan p;
    warns w;
    char err[512];
    assert_int_equal(convert(doc, props, 3, false, 0, &p, &w, err, sizeof err), JMX_OK);
    assert_string_equal(p.target_str, "http://10.0.0.9:18080"); /* the last -J wins */
    assert_string_equal(p.name, "MS-DEMO");
    assert_int_equal(p.n_scenarios, 2);
    assert_int_equal(p.n_headers, 2);
    assert_string_equal(hdr(p.headers, p.n_headers, "User-Agent"), "ms-demo-jmeter");
    assert_int_equal(p.connect_timeout_ns, UINT64_C(5000000000));
    static const char *const labels[] = {"/", "/A", "/B", "/C", "/D", "/E", "/F"};
    size_t li = 0;
    for (size_t i = 0; i < 2; i++) {
        const plan_scenario *s = &p.scenarios[i];
        assert_int_equal(s->order, PLAN_ORDER_SEQUENCE);
        assert_int_equal(s->users, 10);
        assert_int_equal(s->iterations, 10);
        assert_int_equal(s->ramp_up_ns, UINT64_C(10000000000));
        assert_int_equal(s->hold_for_ns, 0);
        for (size_t j = 0; j < s->n_requests; j++, li++) {
            assert_string_equal(s->requests[j].label, labels[li]);
            assert_string_equal(s->requests[j].path, labels[li]);
        }
    }
    assert_int_equal(li, 7);
    assert_int_equal(p.scenarios[0].requests[0].expect_status, 200);
    assert_string_equal(p.scenarios[0].requests[0].expect_body, "Hello World!");
    assert_int_equal(w.n, 1); /* the Summary Report listener */
    assert_non_null(strstr(w.last, "warning: ResultCollector"));
    plan_fini(&p);
    /* Defaults of __P when no -J is given; strict refuses the listener. */
    assert_int_equal(convert(doc, NULL, 0, false, 0, &p, &w, err, sizeof err), JMX_OK);
    assert_string_equal(p.target_str, "http://localhost:8080");
    plan_fini(&p);
    assert_int_equal(convert(doc, NULL, 0, true, 0, &p, &w, err, sizeof err), JMX_ERR_STRICT);
    assert_int_equal(w.n, 1);
    assert_non_null(strstr(w.last, "error: ResultCollector"));
}

static void test_loops_controllers_disabled(void **state)
{
    (void)state;
    static const char doc[] = PLAN(TG(
        "g", "3", "6", "2", "false", "", "",
        SAMPLER(
            "one",
            "/1") "<LoopController guiclass=\"LoopControlPanel\" testclass=\"LoopController\" testname=\"L\" enabled=\"true\">"
                  "<stringProp name=\"LoopController.loops\">3</stringProp></LoopController>\n<hashTree>" SAMPLER(
                      "two",
                      "/2") "<GenericController guiclass=\"LogicControllerGui\" testclass=\"GenericController\" testname=\"S\" enabled=\"true\"/>"
                            "<hashTree>" SAMPLER(
                                "three",
                                "/3") "<DebugSampler testname=\"dbg\"/><hashTree/></hashTree>"
                                      "</hashTree>"
                                      "<TransactionController guiclass=\"TransactionControllerGui\" testclass=\"TransactionController\" testname=\"T\" enabled=\"true\"/>"
                                      "<hashTree>" SAMPLER(
                                          "four",
                                          "/4") "</hashTree>"
                                                "<HTTPSamplerProxy testclass=\"HTTPSamplerProxy\" testname=\"off\" enabled=\"false\">"
                                                "<stringProp name=\"HTTPSampler.path\">/off</stringProp></HTTPSamplerProxy><hashTree/>"
                                                "<GenericController testclass=\"GenericController\" testname=\"off\" enabled=\"false\"/><hashTree>" SAMPLER(
                                                    "five", "/5") "</hashTree>"));
    static const char *const want[] = {"one", "two", "three", "two", "three", "two", "three", "four"};
    plan p;
    warns w;
    char err[512];
    assert_int_equal(convert(doc, NULL, 0, false, 0, &p, &w, err, sizeof err), JMX_OK);
    const plan_scenario *s = &p.scenarios[0];
    assert_int_equal(s->n_requests, 8);
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(s->requests[i].label, want[i]);
    assert_int_equal(plan_labels(&p, NULL, 0), 4);
    assert_int_equal(s->users, 3);
    assert_int_equal(s->iterations, 2);
    assert_int_equal(s->ramp_up_ns, UINT64_C(6000000000));
    assert_int_equal(w.n, 1); /* the debug sampler, once for 3 loops */
    assert_non_null(strstr(w.last, "DebugSampler"));
    plan_fini(&p);
}

typedef struct tg_case {
    const char *doc;
    uint64_t opt_duration_ns;
    int rc;
    uint64_t iterations, hold_ns, delay_ns;
} tg_case;

static void test_thread_group_bounds(void **state)
{
    (void)state;
    static const tg_case cases[] = {
        /* forever with the scheduler: the duration includes the ramp-up */
        {PLAN(TG("g", "2", "10", "-1", "true", "60", "5", SAMPLER("a", "/a"))), 0, JMX_OK, 0, UINT64_C(50000000000),
         UINT64_C(5000000000)},
        /* loops and duration: whichever ends first */
        {PLAN(TG("g", "2", "0", "7", "true", "30", "", SAMPLER("a", "/a"))), 0, JMX_OK, 7, UINT64_C(30000000000), 0},
        /* delay without scheduler: ignored, as JMeter does */
        {PLAN(TG("g", "2", "0", "7", "false", "30", "9", SAMPLER("a", "/a"))), 0, JMX_OK, 7, 0, 0},
        /* forever without a duration: needs -d */
        {PLAN(TG("g", "2", "0", "-1", "false", "", "", SAMPLER("a", "/a"))), 0, JMX_ERR_PLAN, 0, 0, 0},
        {PLAN(TG("g", "2", "1", "-1", "false", "", "", SAMPLER("a", "/a"))), UINT64_C(20000000000), JMX_OK, 0,
         UINT64_C(19000000000), 0},
        /* out of range / not numbers */
        {PLAN(TG("g", "-2", "0", "1", "false", "", "", SAMPLER("a", "/a"))), 0, JMX_ERR_PLAN, 0, 0, 0},
        {PLAN(TG("g", "x", "0", "1", "false", "", "", SAMPLER("a", "/a"))), 0, JMX_ERR_PLAN, 0, 0, 0},
        {PLAN(TG("g", "2", "0", "99999999999999999999999", "false", "", "", SAMPLER("a", "/a"))), 0, JMX_ERR_PLAN, 0, 0,
         0},
        {PLAN(TG("g", "2", "-1", "1", "false", "", "", SAMPLER("a", "/a"))), 0, JMX_ERR_PLAN, 0, 0, 0},
        /* no threads, no samplers: nothing to run */
        {PLAN(TG("g", "0", "0", "1", "false", "", "", SAMPLER("a", "/a"))), 0, JMX_ERR_PLAN, 0, 0, 0},
        {PLAN(TG("g", "1", "0", "1", "false", "", "", "")), 0, JMX_ERR_PLAN, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const tg_case *c = &cases[i];
        plan p;
        warns w;
        char err[512] = "";
        int rc = convert(c->doc, NULL, 0, false, c->opt_duration_ns, &p, &w, err, sizeof err);
        if (rc != c->rc)
            fail_msg("case %zu: rc %d, expected %d (%s)", i, rc, c->rc, err);
        if (rc != JMX_OK) {
            assert_non_null(strstr(err, "t.jmx:"));
            continue;
        }
        assert_int_equal(p.scenarios[0].iterations, c->iterations);
        assert_int_equal(p.scenarios[0].hold_for_ns, c->hold_ns);
        assert_int_equal(p.scenarios[0].start_delay_ns, c->delay_ns);
        plan_fini(&p);
    }
}

static void test_requests_headers_assertions(void **state)
{
    (void)state;
    static const char *const parts[] = {
        HEAD TP(VAR("v", "vv") VAR("w", "${v}-${__P(p)}")) DEFAULTS("${__P(h,def.example)}", "")
            HEADERS(HDR("X-Plan", "${w}") HDR("Accept", "*/*")),
        "<ThreadGroup testclass=\"ThreadGroup\" testname=\"g\"><stringProp name=\"ThreadGroup.num_threads\">1</stringProp>"
        "</ThreadGroup>\n<hashTree>\n",
        HEADERS(HDR("X-Group", "g") HDR("X-Over", "group")) ASSERT("response_code", "8", "200") SAMPLER_X(
            "get", "get", "/q", ARGS(ARG("a b", "c&amp;d", "true") ARG("raw", "x y", "false")),
            HEADERS(HDR("x-over", "sampler") HDR("Content-Length", "5")) ASSERT("response_data", "16", "hello ${v}")),
        SAMPLER_X("form", "POST", "/f", ARGS(ARG("k", "v 1", "true")), "") SAMPLER_X(
            "raw", "PUT", "/r",
            "<boolProp name=\"HTTPSampler.postBodyRaw\">true</boolProp>" ARGS(ARG("", "{\"x\":1}\n", "false")),
            ASSERT("response_data", "4", "nope") ASSERT("response_data", "1", "re.*gex")),
        SAMPLER_X("full", "GET", "http://other:81/x y?z", "", "") SAMPLER_X("${v}", "GET", "/same", "", "")
            SAMPLER_X("vv", "GET", "/other", "", "") SAMPLER_X("undef", "GET", "/${nope}/${__Random(1,2)}", "", "")
                TG_END TAIL,
        NULL};
    plan p;
    warns w;
    char err[512] = "";
    jmx_prop props[] = {{"p", "PP"}};
    char *doc = join(parts);
    int rc = convert(doc, props, 1, false, 0, &p, &w, err, sizeof err);
    free(doc);
    if (rc != JMX_OK)
        fail_msg("rc %d: %s", rc, err);
    assert_string_equal(p.target_str, "http://def.example");
    assert_string_equal(hdr(p.headers, p.n_headers, "X-Plan"), "vv-PP");
    const plan_scenario *s = &p.scenarios[0];
    assert_int_equal(s->n_requests, 7);
    const plan_request *r = &s->requests[0];
    assert_string_equal(r->method, "GET");
    assert_string_equal(r->path, "/q?a+b=c%26d&raw=x%20y");
    assert_string_equal(hdr(r->headers, r->n_headers, "X-Group"), "g");
    assert_string_equal(hdr(r->headers, r->n_headers, "X-Over"), "sampler"); /* inner wins */
    assert_null(hdr(r->headers, r->n_headers, "Content-Length"));
    assert_null(hdr(r->headers, r->n_headers, "X-Plan")); /* plan level */
    assert_int_equal(r->expect_status, 200);
    assert_string_equal(r->expect_body, "hello vv");
    r = &s->requests[1];
    assert_string_equal(r->body, "k=v+1");
    assert_string_equal(hdr(r->headers, r->n_headers, "Content-Type"), "application/x-www-form-urlencoded");
    assert_int_equal(r->expect_status, 200);
    assert_null(r->expect_body);
    r = &s->requests[2];
    assert_string_equal(r->body, "{\"x\":1}\n");
    assert_null(hdr(r->headers, r->n_headers, "Content-Type"));
    assert_null(r->expect_body); /* NOT, regex */
    assert_string_equal(s->requests[3].path, "/x%20y?z");
    assert_string_equal(s->requests[4].label, "vv");
    assert_string_equal(s->requests[5].label, "vv (2)"); /* renamed */
    /* Sent as written: `$${` is ptest's literal `${` (vars.h). */
    assert_string_equal(s->requests[6].path, "/$${nope}/$${__Random(1,2)}");
    assert_true(s->requests[6].templated);
    /* Content-Length, NOT, regex, other host, rename, undefined variable, function. */
    assert_int_equal(w.n, 7);
    plan_fini(&p);
}

typedef struct think_case {
    const char *timers;
    enum rng_dist dist;
    uint64_t mean_ns, stddev_ns;
} think_case;

#define TIMER(cls, delay, range)                                                                                       \
    "<" cls " testclass=\"" cls "\" testname=\"t\" enabled=\"true\"><stringProp name=\"ConstantTimer.delay\">" delay   \
    "</stringProp><stringProp name=\"RandomTimer.range\">" range "</stringProp></" cls "><hashTree/>"

static void test_timers(void **state)
{
    (void)state;
    static const think_case cases[] = {
        {"", RNG_CONSTANT, 0, 0},
        {TIMER("ConstantTimer", "300", ""), RNG_CONSTANT, UINT64_C(300000000), 0},
        {TIMER("UniformRandomTimer", "100", "60"), RNG_UNIFORM, UINT64_C(130000000), UINT64_C(17320508)},
        {TIMER("GaussianRandomTimer", "300", "100.0"), RNG_NORMAL, UINT64_C(300000000), UINT64_C(100000000)},
        {TIMER("ConstantTimer", "100", "") TIMER("UniformRandomTimer", "0", "0"), RNG_CONSTANT, UINT64_C(100000000), 0},
        {TIMER("GaussianRandomTimer", "0", "30") TIMER("GaussianRandomTimer", "0", "40"), RNG_NORMAL, 0,
         UINT64_C(50000000)},
        {TIMER("ConstantTimer", "7200000", ""), RNG_CONSTANT, UINT64_C(3600000000000), 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *parts[] = {
            HEAD TP("") DEFAULTS(
                "127.0.0.1",
                "8080") "<ThreadGroup testclass=\"ThreadGroup\" testname=\"g\">"
                        "<stringProp name=\"ThreadGroup.num_threads\">1</stringProp></ThreadGroup>\n<hashTree>\n",
            cases[i].timers, SAMPLER("a", "/a") TG_END TAIL, NULL};
        char *full = join(parts);
        plan p;
        warns w;
        char err[512];
        assert_int_equal(convert(full, NULL, 0, false, 0, &p, &w, err, sizeof err), JMX_OK);
        free(full);
        const plan_think *t = &p.scenarios[0].think;
        if (t->dist != cases[i].dist || t->mean_ns != cases[i].mean_ns || t->stddev_ns != cases[i].stddev_ns)
            fail_msg("case %zu: dist %d mean %llu sd %llu", i, (int)t->dist, (unsigned long long)t->mean_ns,
                     (unsigned long long)t->stddev_ns);
        plan_fini(&p);
    }
}

/* Timers below the thread group's own level: reported, not applied. */
static void test_scoped_timers(void **state)
{
    (void)state;
    static const char *const docs[][2] = {
        {PLAN(
             TG("g", "1", "0", "1", "false", "", "", SAMPLER_X("a", "GET", "/a", "", TIMER("ConstantTimer", "5", "")))),
         "of one sampler"},
        {PLAN(TG("g", "1", "0", "1", "false", "", "",
                 "<GenericController testclass=\"GenericController\"/><hashTree>" TIMER("ConstantTimer", "5", "")
                     SAMPLER("a", "/a") "</hashTree>")),
         "inside a controller"},
    };
    for (size_t i = 0; i < 2; i++) {
        plan p;
        warns w;
        char err[512];
        assert_int_equal(convert(docs[i][0], NULL, 0, false, 0, &p, &w, err, sizeof err), JMX_OK);
        assert_int_equal(p.scenarios[0].think.mean_ns, 0);
        assert_int_equal(w.n, 1);
        assert_non_null(strstr(w.last, docs[i][1]));
        plan_fini(&p);
    }
}

typedef struct bad_case {
    const char *doc;
    int rc;
    const char *msg;
} bad_case;

static void test_bad_input(void **state)
{
    (void)state;
    static const char nul_doc[] = HEAD "\0" TAIL;
    static const bad_case cases[] = {
        {"", JMX_ERR_XML, "t.jmx:1:1: malformed XML"},
        {"<jmeterTestPlan", JMX_ERR_XML, "t.jmx:1:"},
        {HEAD "<TestPlan>\n  <a></b>", JMX_ERR_XML, "t.jmx:5:8: malformed XML"},
        {"<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x/>", JMX_ERR_XML, "DOCTYPE declarations"},
        {"<x>\x01</x>", JMX_ERR_XML, "t.jmx:1:4"},
        {"<x>\xff</x>", JMX_ERR_XML, "t.jmx:1:4"},
        {"<plan/>", JMX_ERR_PLAN, "not a JMeter plan"},
        {"<jmeterTestPlan><hashTree><ThreadGroup/></hashTree></jmeterTestPlan>", JMX_ERR_PLAN, "<TestPlan>"},
        {"<jmeterTestPlan/>", JMX_ERR_PLAN, "<TestPlan>"},
        {HEAD TP("") TAIL, JMX_ERR_PLAN, "no enabled thread group"},
        /* nested loops of nothing: bounded work, not a hang */
        {"<jmeterTestPlan><hashTree><TestPlan/><hashTree><ThreadGroup/><hashTree>" SAMPLER(
             "a",
             "/a") "<LoopController testclass=\"LoopController\"><intProp name=\"LoopController.loops\">1000</intProp></LoopController><hashTree>"
                   "<LoopController testclass=\"LoopController\"><intProp name=\"LoopController.loops\">1000</intProp></LoopController><hashTree>"
                   "<GenericController/><hashTree/></hashTree></hashTree></hashTree></hashTree></hashTree></jmeterTestPlan>",
         JMX_ERR_PLAN, "expand to more than"},
        /* loops expanding to more requests than a plan may hold */
        {"<jmeterTestPlan><hashTree><TestPlan/><hashTree><ThreadGroup/><hashTree>"
         "<LoopController testclass=\"LoopController\"><intProp name=\"LoopController.loops\">1000</intProp></LoopController><hashTree>" SAMPLER(
             "a", "/a") SAMPLER("b", "/b") "</hashTree></hashTree></hashTree></hashTree></jmeterTestPlan>",
         JMX_ERR_PLAN, "more than 1000 requests"},
        {"<jmeterTestPlan><hashTree><TestPlan/><hashTree><ThreadGroup/><hashTree>" SAMPLER(
             "a", "/a") "</hashTree></hashTree></hashTree></jmeterTestPlan>",
         JMX_OK, NULL},
    };
    char deep[JMX_TREE_MAX_DEPTH * 7 + 64] = "";
    for (int i = 0; i <= JMX_TREE_MAX_DEPTH; i++)
        strcat(deep, "<a>");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] + 2; i++) {
        const char *doc = i < sizeof cases / sizeof cases[0]    ? cases[i].doc
                          : i == sizeof cases / sizeof cases[0] ? deep
                                                                : NULL;
        size_t len = doc ? strlen(doc) : sizeof nul_doc - 1;
        int want = i < sizeof cases / sizeof cases[0] ? cases[i].rc : JMX_ERR_XML;
        const char *msg = i < sizeof cases / sizeof cases[0] ? cases[i].msg : doc ? "deeper than" : "t.jmx:4:1";
        if (!doc)
            doc = nul_doc;
        jmx_opts o = {NULL, 0, 0, false, NULL, NULL};
        char *yaml = NULL, err[512] = "";
        size_t yl = 0;
        int rc = jmx_to_yaml("t.jmx", doc, len, &o, &yaml, &yl, err, sizeof err);
        if (rc != want)
            fail_msg("case %zu: rc %d, expected %d (%s)", i, rc, want, err);
        if (msg && !strstr(err, msg))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, msg);
        free(yaml);
    }
}

static void test_https_and_names(void **state)
{
    (void)state;
    static const char doc[] = HEAD TP("") TG("same", "1", "0", "1", "false", "", "",
                                             SAMPLER_X("s", "GET", "/a",
                                                       "<stringProp name=\"HTTPSampler.protocol\">https</stringProp>"
                                                       "<stringProp name=\"HTTPSampler.domain\">h</stringProp>",
                                                       ""))
        TG("same", "1", "0", "1", "false", "", "",
           SAMPLER("   ", "/b") SAMPLER("*", "/c") SAMPLER("\xc3\xa9t\xc3\xa9", "/d")) TAIL;
    plan p;
    warns w;
    char err[512];
    assert_int_equal(convert(doc, NULL, 0, false, 0, &p, &w, err, sizeof err), JMX_OK);
    assert_null(p.target_str); /* https: give --target */
    assert_string_equal(p.scenarios[1].name, "same (2)");
    assert_string_equal(p.scenarios[1].requests[0].label, "/b");
    assert_string_equal(p.scenarios[1].requests[1].label, "_");
    assert_string_equal(p.scenarios[1].requests[2].label, "__t__");
    assert_int_equal(w.n, 3);
    plan_fini(&p);
}

/* HTTPSampler.use_keepalive false on every sampler of a thread group: keep_alive: false;
 * on some of them: kept on, with a warning. */
static void test_keepalive(void **state)
{
    (void)state;
#define NOKA "<boolProp name=\"HTTPSampler.use_keepalive\">false</boolProp>"
    static const char *const parts[] = {
        HEAD TP("") DEFAULTS("127.0.0.1", "8080"),
        TG("all", "1", "0", "1", "false", "", "",
           SAMPLER_X("a", "GET", "/a", NOKA, "") SAMPLER_X("b", "GET", "/b", NOKA, "")),
        TG("some", "1", "0", "1", "false", "", "", SAMPLER_X("c", "GET", "/c", NOKA, "") SAMPLER("d", "/d")),
        TG("none", "1", "0", "1", "false", "", "", SAMPLER("e", "/e")) TAIL, NULL};
    char *doc = join(parts);
#undef NOKA
    plan p;
    warns w;
    char err[512];
    assert_int_equal(convert(doc, NULL, 0, false, 0, &p, &w, err, sizeof err), JMX_OK);
    assert_int_equal(p.n_scenarios, 3);
    assert_true(p.scenarios[0].conn.no_keep_alive);
    assert_false(p.scenarios[1].conn.no_keep_alive);
    assert_false(p.scenarios[2].conn.no_keep_alive);
    assert_int_equal(w.n, 1);
    assert_non_null(strstr(w.last, "thread group \"some\": 1 of 2 samplers have keep-alive off"));
    plan_fini(&p);
    free(doc);
}

/* HTTP Cookie Manager: the jar (cookies: true, the default of a sequence); without one,
 * cookies: false, as JMeter keeps none. */
static void test_cookie_manager(void **state)
{
    (void)state;
    static const char *const parts[] = {
        HEAD TP("") DEFAULTS("127.0.0.1", "8080"),
        TG("with", "1", "0", "1", "false", "", "",
           "<CookieManager testname=\"cm\" enabled=\"true\"/><hashTree/>" SAMPLER("a", "/a")),
        TG("without", "1", "0", "1", "false", "", "", SAMPLER("b", "/b")) TAIL, NULL};
    char *doc = join(parts);
    plan p;
    warns w;
    char err[512];
    assert_int_equal(convert(doc, NULL, 0, false, 0, &p, &w, err, sizeof err), JMX_OK);
    assert_int_equal(p.n_scenarios, 2);
    assert_true(p.scenarios[0].cookies);
    assert_false(p.scenarios[1].cookies);
    assert_int_equal(w.n, 0); /* mapped, not "not supported" */
    plan_fini(&p);
    free(doc);
}

/* CSV Data Set Config: the scenario's data: (variableNames as columns:, ignoreFirstLine as
 * header:, recycle off as mode: unique); a plan-level one serves every thread group; what
 * cannot be said the same way is warned and skipped. */
static void test_csv_data_set(void **state)
{
    (void)state;
    char csv[64];
    snprintf(csv, sizeof csv, "/tmp/test_jmx_csv_%ld.csv", (long)getpid());
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("name,secret\nu1,p1\nu2,p2\n", f);
    fclose(f);
#define SP(n, v) "<stringProp name=\"" n "\">" v "</stringProp>"
#define CSVDS(title, names, first, recycle, delim)                                                                     \
    "<CSVDataSet testname=\"" title "\" enabled=\"true\">" SP("filename", "@CSV@") SP("variableNames", names)          \
        SP("delimiter", delim) "<boolProp name=\"ignoreFirstLine\">" first "</boolProp>"                               \
                               "<boolProp name=\"recycle\">" recycle                                                   \
                               "</boolProp><boolProp name=\"stopThread\">true</boolProp>"                              \
                               "</CSVDataSet><hashTree/>"
    static const char *const parts[] = {
        HEAD TP("") DEFAULTS("127.0.0.1", "8080"),
        TG("named", "1", "0", "1", "false", "", "",
           CSVDS("c1", "user, pw", "true", "false", ",") SAMPLER("a", "/a/${user}")),
        TG("header", "1", "0", "1", "false", "", "", CSVDS("c2", "", "false", "true", ",") SAMPLER("b", "/b/${name}")),
        TG("semicolon", "1", "0", "1", "false", "", "", CSVDS("c3", "x", "false", "true", ";") SAMPLER("c", "/c")) TAIL,
        NULL};
#undef CSVDS
#undef SP
    char *doc = join(parts), full[16384];
    size_t n = 0;
    for (const char *q = doc; *q && n + sizeof csv < sizeof full;) {
        if (strncmp(q, "@CSV@", 5) == 0) {
            n += (size_t)snprintf(full + n, sizeof full - n, "%s", csv);
            q += 5;
        } else {
            full[n++] = *q++;
        }
    }
    full[n] = '\0';
    free(doc);
    plan p;
    warns w;
    char err[512];
    assert_int_equal(convert(full, NULL, 0, false, 0, &p, &w, err, sizeof err), JMX_OK);
    assert_int_equal(p.n_scenarios, 3);
    assert_int_equal(p.n_data, 2);
    const plan_data *d = &p.data[p.scenarios[0].data - 1];
    assert_int_equal(d->mode, PLAN_DATA_UNIQUE);
    assert_string_equal(d->rows.cols[0], "user");
    assert_int_equal(d->rows.n_rows, 2); /* the header row skipped */
    d = &p.data[p.scenarios[1].data - 1];
    assert_int_equal(d->mode, PLAN_DATA_SEQUENTIAL);
    assert_string_equal(d->rows.cols[1], "secret");
    assert_int_equal(d->rows.n_rows, 2);
    assert_int_equal(p.scenarios[2].data, 0);
    assert_int_equal(w.n, 1);
    assert_non_null(strstr(w.last, "CSV Data Set \"c3\": not mapped: ptest reads ',' separated files only"));
    plan_fini(&p);
    unlink(csv);
}

/* Regular Expression and JSON Extractors: extract: entries, their variables kept as ${name}
 * for ptest to fill at run time; what does not map is warned and skipped. */
static void test_extractors(void **state)
{
    (void)state;
#define SP(n, v) "<stringProp name=\"" n "\">" v "</stringProp>"
    static const char *const parts[] = {
        HEAD TP("") DEFAULTS("127.0.0.1", "8080"),
        TG("g", "1", "0", "1", "false", "", "",
           SAMPLER_X(
               "login", "POST", "/login", "",
               "<JSONPostProcessor testname=\"j\" enabled=\"true\">" SP("JSONPostProcessor.referenceNames", "token")
                   SP("JSONPostProcessor.jsonPathExprs",
                      "$.data[1].token") "</JSONPostProcessor><hashTree/>"
                                         "<RegexExtractor testname=\"r\" enabled=\"true\">" SP("RegexExtractor.refname",
                                                                                               "csrf")
                                             SP("RegexExtractor.regex", "csrf=([a-z0-9]+)")
                                                 SP("RegexExtractor.template",
                                                    "$1$") "</RegexExtractor><hashTree/>"
                                                           "<JSONPostProcessor testname=\"deep\" enabled=\"true\">" SP(
                                                               "JSONPostProcessor.referenceNames", "all")
                                                               SP("JSONPostProcessor.jsonPathExprs",
                                                                  "$..id") "</JSONPostProcessor><hashTree/>")
               SAMPLER("me", "/me/${token}/${csrf}")) TAIL,
        NULL};
#undef SP
    char *doc = join(parts);
    plan p;
    warns w;
    char err[512];
    assert_int_equal(convert(doc, NULL, 0, false, 0, &p, &w, err, sizeof err), JMX_OK);
    const plan_request *r = &p.scenarios[0].requests[0];
    assert_int_equal(r->n_extract, 2);
    assert_int_equal(r->extract[0].kind, PLAN_EXTRACT_JSON);
    assert_string_equal(r->extract[0].expr, "/data/1/token");
    assert_string_equal(p.vars[r->extract[0].var].name, "token");
    assert_int_equal(r->extract[1].kind, PLAN_EXTRACT_REGEX);
    assert_string_equal(r->extract[1].expr, "csrf=([a-z0-9]+)");
    assert_string_equal(p.scenarios[0].requests[1].path, "/me/${token}/${csrf}");
    assert_true(p.scenarios[0].requests[1].templated);
    assert_int_equal(w.n, 1); /* $..id */
    assert_non_null(strstr(w.last, "JSON extractor \"deep\": only one simple path"));
    plan_fini(&p);
    free(doc);
}

/* The plan loader's order: key (used by every converted plan). */
static void test_plan_order(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        int ok;
        const char *msg;
    } cases[] = {
        {"scenarios: [{users: 1, iterations: 1, order: sequence, requests: [{path: /a}, {path: /a}]}]", 1, NULL},
        {"scenarios: [{users: 1, iterations: 1, order: mix, requests: [{path: /a}, {path: /a}]}]", 0,
         "duplicate label"},
        {"scenarios: [{users: 1, iterations: 1, requests: [{path: /a}, {path: /a}]}]", 0, "duplicate label"},
        {"scenarios: [{users: 1, iterations: 1, order: sequence, requests: [{label: x, path: /a}, {label: x, path: /b}]}]",
         0, "duplicate label"},
        {"scenarios: [{users: 1, iterations: 1, order: random, requests: [{path: /a}]}]", 0, "1:46: order must be"},
        {"scenarios: [{users: 1, iterations: 1, order: [sequence], requests: [{path: /a}]}]", 0, "1:46"},
        {"scenarios: [{rate: 1, duration: 1s, order: sequence, requests: [{path: /a}]}]", 0, "\"order\" is not used"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        plan p;
        char err[512] = "";
        int rc = plan_load_string(&p, "o.yaml", cases[i].yaml, strlen(cases[i].yaml), err, sizeof err);
        if ((rc == 0) != cases[i].ok)
            fail_msg("case %zu: rc %d (%s)", i, rc, err);
        if (rc == 0) {
            assert_int_equal(p.scenarios[0].order, PLAN_ORDER_SEQUENCE);
            assert_int_equal(p.scenarios[0].requests[1].label_id, 0);
            plan_fini(&p);
        } else if (!strstr(err, cases[i].msg)) {
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].msg);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msdemo_example),
        cmocka_unit_test(test_loops_controllers_disabled),
        cmocka_unit_test(test_thread_group_bounds),
        cmocka_unit_test(test_requests_headers_assertions),
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_scoped_timers),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_https_and_names),
        cmocka_unit_test(test_plan_order),
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_cookie_manager),
        cmocka_unit_test(test_csv_data_set),
        cmocka_unit_test(test_extractors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
