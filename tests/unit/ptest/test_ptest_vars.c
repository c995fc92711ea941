/* test_ptest_vars.c - `${name}` templates: scan, compile, expand, and a plan request
 * rendered per send (client_req_expand). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ptest/client/client.h"
#include "ptest/journey/vars.h"

static int lookup(const char *name, size_t len, void *arg)
{
    (void)arg;
    if (len == 4 && memcmp(name, "user", 4) == 0)
        return VARS_N_BUILTIN + 0;
    if (len == 5 && memcmp(name, "token", 5) == 0)
        return VARS_N_BUILTIN + 1;
    return -1;
}

static void expand(const char *tpl, const vars_val *v, size_t nv, char *out, size_t cap, int want_rc)
{
    vars_tpl t = {0, NULL};
    char err[128];
    rng r;
    rng_seed(&r, 1);
    assert_int_equal(
        vars_tpl_compile(&t, tpl, strlen(tpl), VARS_CTX_PATH, VARS_CTX_HEADER, lookup, NULL, err, sizeof err), 0);
    vars_env env = {v, nv, 7, 3, &r};
    size_t len = 0;
    assert_int_equal(vars_expand(&t, &env, out, cap - 1, &len), want_rc);
    if (want_rc == 0)
        out[len] = '\0';
    vars_tpl_fini(&t);
}

static void test_scan_and_builtins(void **state)
{
    (void)state;
    assert_int_equal(vars_builtin("__user", 6), VARS_USER);
    assert_int_equal(vars_builtin("__uuid", 6), VARS_UUID);
    assert_int_equal(vars_builtin("__nope", 6), -1);
    assert_false(vars_has_ref("/plain$/x{y}", 12));
    assert_true(vars_has_ref("/a/${b}", 7));
    assert_true(vars_has_ref("$${b}", 5));
    size_t bad = 0;
    assert_int_equal(vars_scan("/${a", 4, NULL, NULL, &bad), -1);
    assert_int_equal(bad, 1);
    assert_int_equal(vars_scan("/${1a}", 6, NULL, NULL, &bad), -1);
    assert_int_equal(vars_scan("/${}", 4, NULL, NULL, &bad), -1);
    assert_int_equal(vars_scan("$${x} $y {z}", 12, NULL, NULL, &bad), 0); /* no reference: fn never called */
}

static void test_expand(void **state)
{
    (void)state;
    char out[256];
    vars_val v[2] = {{"ann", 3}, {"t0k", 3}};
    expand("/u/${user}/${__user}/${__iter}?t=${token}&lit=$${x}$", v, 2, out, sizeof out, 0);
    assert_string_equal(out, "/u/ann/7/3?t=t0k&lit=${x}$");
    expand("${__uuid}", v, 2, out, sizeof out, 0);
    assert_int_equal(strlen(out), 36);
    assert_int_equal(out[14], '4');
    assert_true(strchr("89ab", out[19]) != NULL);
    expand("${__rand}", v, 2, out, sizeof out, 0);
    assert_true(strlen(out) >= 1 && strlen(out) <= 10);
    /* Too big for the buffer. */
    expand("/0123456789${user}", v, 2, out, 12, VARS_ETOOBIG);
    /* Context: a space is not allowed in the request line, CR/LF not in a header. */
    vars_val bad[2] = {{"a b", 3}, {"x\r\ny", 4}};
    expand("/${user}", bad, 2, out, sizeof out, VARS_EBADVALUE);
    expand("/ HTTP/1.1\r\nA: ${user}", bad, 2, out, sizeof out, 0);
    assert_string_equal(out, "/ HTTP/1.1\r\nA: a b");
    expand("/ HTTP/1.1\r\nA: ${token}", bad, 2, out, sizeof out, VARS_EBADVALUE);
    /* Unknown names are compile errors. */
    vars_tpl t = {0, NULL};
    char err[128];
    assert_int_equal(vars_tpl_compile(&t, "/${who}", 7, 0, 0, lookup, NULL, err, sizeof err), -1);
    assert_string_equal(err, "unknown variable \"who\"");
    vars_tpl_fini(&t);
}

/* A plan request with a templated body: Content-Length is that of the expanded body. */
static void test_request(void **state)
{
    (void)state;
    plan p;
    char err[256];
    const char *y = "target: http://h:8080\n"
                    "variables: {who: bob}\n"
                    "scenarios:\n"
                    "  - users: 1\n"
                    "    iterations: 1\n"
                    "    requests:\n"
                    "      - {path: '/a/${who}', method: POST, body: '{\"u\":\"${who}${__user}\"}',\n"
                    "         headers: {X-U: '${who}'}}\n"
                    "      - {path: /plain}\n";
    assert_int_equal(plan_load_string(&p, "t.yaml", y, strlen(y), err, sizeof err), 0);
    const plan_request *pr = &p.scenarios[0].requests[0];
    assert_true(pr->templated);
    assert_false(p.scenarios[0].requests[1].templated);
    client_req r;
    assert_int_equal(client_req_render(&r, &p, pr, 0, err, sizeof err), 0);
    vars_val v[1] = {{"carol", 5}};
    rng g;
    rng_seed(&g, 2);
    vars_env env = {v, 1, 12, 0, &g};
    char out[1024];
    size_t len = 0;
    const char cookie[] = "Cookie: s=1\r\n";
    assert_int_equal(client_req_expand(&r, true, &env, cookie, sizeof cookie - 1, out, sizeof out, &len), 0);
    out[len] = '\0';
    assert_non_null(strstr(out, "POST /a/carol HTTP/1.1\r\n"));
    assert_non_null(strstr(out, "X-U: carol\r\n"));
    assert_non_null(strstr(out, "Connection: close\r\nCookie: s=1\r\nContent-Length: 15\r\n\r\n{\"u\":\"carol12\"}"));
    assert_int_equal(client_req_expand(&r, false, &env, NULL, 0, out, 60, &len), VARS_ETOOBIG);
    client_req_fini(&r);
    assert_int_equal(plan_set_var(&p, "who", "x", err, sizeof err), 0);
    assert_string_equal(p.vars[0].value, "x");
    assert_int_equal(plan_set_var(&p, "nobody", "x", err, sizeof err), -1);
    plan_fini(&p);

    /* Unknown variables fail the load at the string's position. */
    const char *bad = "target: http://h\n"
                      "scenarios:\n"
                      "  - users: 1\n"
                      "    iterations: 1\n"
                      "    requests:\n"
                      "      - path: /a/${who}\n";
    assert_int_equal(plan_load_string(&p, "t.yaml", bad, strlen(bad), err, sizeof err), -1);
    assert_non_null(strstr(err, "t.yaml:6:15: unknown variable \"who\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_and_builtins),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
