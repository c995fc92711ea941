/* test_ptest_extract.c - extraction: JSON Pointer over a body in place, POSIX regex,
 * response headers, and the plan's extract: entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ptest/journey/extract.h"
#include "ptest/plan/plan.h"

static const char *doc = " {\"token\": \"abc\\\"d\\u00e9\\ud83d\\ude00\", \"n\": -1.5e3, \"ok\": true,\n"
                         "  \"a/b\": 1, \"m~n\": 2, \"skip\": {\"x\": [1, {\"y\": \"]}\"}]},\n"
                         "  \"data\": [{\"id\": 7}, {\"id\": 8, \"tags\": [\"p\", \"q\"]}], \"nul\": null}";

static void json_is(const char *ptr, int want_rc, const char *want)
{
    char out[64];
    size_t len = 0;
    int rc = extract_json(doc, strlen(doc), ptr, out, sizeof out, &len);
    if (rc != want_rc)
        fail_msg("%s: rc %d, want %d", ptr, rc, want_rc);
    if (rc == EXTRACT_OK) {
        assert_int_equal(len, strlen(want));
        assert_memory_equal(out, want, len);
    }
}

static void test_json_pointer(void **state)
{
    (void)state;
    json_is("/token", EXTRACT_OK, "abc\"d\xc3\xa9\xf0\x9f\x98\x80");
    json_is("/n", EXTRACT_OK, "-1.5e3");
    json_is("/ok", EXTRACT_OK, "true");
    json_is("/nul", EXTRACT_OK, "null");
    json_is("/a~1b", EXTRACT_OK, "1");
    json_is("/m~0n", EXTRACT_OK, "2");
    json_is("/data/0/id", EXTRACT_OK, "7");
    json_is("/data/1/tags/1", EXTRACT_OK, "q");
    json_is("/data/1/tags", EXTRACT_OK, "[\"p\", \"q\"]");
    json_is("/skip/x/1/y", EXTRACT_OK, "]}");
    json_is("/data/2", EXTRACT_NONE, NULL);
    json_is("/data/01", EXTRACT_NONE, NULL);
    json_is("/missing", EXTRACT_NONE, NULL);
    json_is("/token/x", EXTRACT_NONE, NULL);
    char out[4];
    size_t len;
    assert_int_equal(extract_json(doc, strlen(doc), "/token", out, sizeof out, &len), EXTRACT_TOO_LONG);
    /* A truncated or broken body finds nothing past the break. */
    assert_int_equal(extract_json("{\"a\": [1, 2", 11, "/a/5", out, sizeof out, &len), EXTRACT_NONE);
    assert_int_equal(extract_json("", 0, "", out, sizeof out, &len), EXTRACT_NONE);
    assert_int_equal(extract_json("42", 2, "", out, sizeof out, &len), EXTRACT_OK);
    char err[128];
    assert_int_equal(extract_pointer_check("/a/~1", err, sizeof err), 0);
    assert_int_equal(extract_pointer_check("a", err, sizeof err), -1);
    assert_int_equal(extract_pointer_check("/a~2", err, sizeof err), -1);
}

static void test_regex_header(void **state)
{
    (void)state;
    regex_t re;
    char err[160], out[32];
    size_t len = 0;
    assert_int_equal(extract_regex_compile(&re, "csrf\" *: *\"([^\"]+)\"", err, sizeof err), 0);
    assert_int_equal(extract_regex(&re, "{\"csrf\": \"c-42\"}", out, sizeof out, &len), EXTRACT_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(out, "c-42", 4);
    assert_int_equal(extract_regex(&re, "{}", out, sizeof out, &len), EXTRACT_NONE);
    regfree(&re);
    assert_int_equal(extract_regex_compile(&re, "id=[0-9]+", err, sizeof err), 0);
    assert_int_equal(extract_regex(&re, "x id=123&y", out, sizeof out, &len), EXTRACT_OK);
    assert_memory_equal(out, "id=123", 6); /* no group: the whole match */
    regfree(&re);
    assert_int_equal(extract_regex_compile(&re, "(a", err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid POSIX extended regular expression"));

    http_header h[2] = {{{"Location", 8}, {"/next", 5}}, {{"X-Id", 4}, {"9", 1}}};
    assert_int_equal(extract_header(h, 2, "x-id", out, sizeof out, &len), EXTRACT_OK);
    assert_int_equal(len, 1);
    assert_int_equal(extract_header(h, 2, "X-None", out, sizeof out, &len), EXTRACT_NONE);
    assert_int_equal(extract_header(h, 2, "location", out, 2, &len), EXTRACT_TOO_LONG);
}

static void test_plan_extract(void **state)
{
    (void)state;
    plan p;
    char err[512];
    const char *y = "target: http://h\n"
                    "scenarios:\n"
                    "  - users: 1\n"
                    "    iterations: 1\n"
                    "    order: sequence\n"
                    "    requests:\n"
                    "      - path: /api\n"
                    "        headers: {Authorization: 'Bearer ${token}'}\n"
                    "      - path: /login\n"
                    "        extract:\n"
                    "          - {json: /token, as: token}\n"
                    "          - {regex: 'id=([0-9]+)', as: id}\n"
                    "          - {header: Location, as: next}\n";
    assert_int_equal(plan_load_string(&p, "t.yaml", y, strlen(y), err, sizeof err), 0);
    const plan_request *r = &p.scenarios[0].requests[1];
    assert_int_equal(r->n_extract, 3);
    assert_int_equal(r->extract[0].kind, PLAN_EXTRACT_JSON);
    assert_string_equal(p.vars[r->extract[0].var].name, "token");
    assert_int_equal(r->extract[1].kind, PLAN_EXTRACT_REGEX);
    assert_int_equal(r->extract[2].kind, PLAN_EXTRACT_HEADER);
    /* A later request's extraction defines the name for the whole scenario. */
    assert_true(p.scenarios[0].requests[0].templated);
    plan_fini(&p);
    static const struct {
        const char *ex, *err;
    } bad[] = {
        {"{regex: '(a', as: x}", "t.yaml:7:27: regex \"(a\": invalid POSIX extended regular expression*"},
        {"{json: token, as: x}", "t.yaml:7:26: json \"token\": a JSON Pointer starts with '/'*"},
        {"{json: /a, regex: b, as: x}", "t.yaml:7:19: an extraction takes one of json, regex or header"},
        {"{json: /a}", "t.yaml:7:19: an extraction needs \"as\"*"},
        {"{header: 'a b', as: x}", "t.yaml:7:28: header \"a b\" is not a header name"},
        {"{json: /a, as: '1x'}", "t.yaml:7:34: invalid variable name \"1x\"*"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char doc2[512];
        snprintf(doc2, sizeof doc2,
                 "target: http://h\nscenarios:\n  - users: 1\n    iterations: 1\n    requests:\n"
                 "      - path: /x\n        extract: [%s]\n",
                 bad[i].ex);
        assert_int_equal(plan_load_string(&p, "t.yaml", doc2, strlen(doc2), err, sizeof err), -1);
        size_t wl = strlen(bad[i].err);
        if (bad[i].err[wl - 1] == '*' ? strncmp(err, bad[i].err, wl - 1) != 0 : strcmp(err, bad[i].err) != 0)
            fail_msg("case %zu: want %s, got %s", i, bad[i].err, err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_pointer),
        cmocka_unit_test(test_regex_header),
        cmocka_unit_test(test_plan_extract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
