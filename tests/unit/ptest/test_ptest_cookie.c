/* test_ptest_cookie.c - the cookie jar (RFC 6265 essentials): Set-Cookie attributes,
 * domain and path matching, expiry, Secure, replacement, the bounded store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ptest/journey/cookie.h"

#define S UINT64_C(1000000000)
static const wall_ns NOW = UINT64_C(1700000000) * S; /* 2023-11-14 */

static int set(cookie_jar *j, const char *v, const char *host, const char *path)
{
    return cookie_jar_set(j, v, strlen(v), host, path, strlen(path), NOW);
}

static const char *hdr(cookie_jar *j, const char *host, const char *path, bool secure, wall_ns now)
{
    static char out[512];
    size_t len;
    cookie_jar_header(j, host, path, strlen(path), secure, now, out, sizeof out - 1, &len);
    out[len] = '\0';
    return out;
}

static void test_dates(void **state)
{
    (void)state;
    wall_ns t;
    assert_true(cookie_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t));
    assert_int_equal(t / S, 784111777);
    assert_true(cookie_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t));
    assert_int_equal(t / S, 784111777);
    assert_true(cookie_parse_date("Sun Nov  6 08:49:37 1994", 24, &t));
    assert_int_equal(t / S, 784111777);
    assert_false(cookie_parse_date("tomorrow", 8, &t));
    assert_false(cookie_parse_date("Sun, 32 Nov 1994 08:49:37 GMT", 29, &t));
}

static void test_jar(void **state)
{
    (void)state;
    static cookie_jar j;
    cookie_jar_init(&j);
    assert_int_equal(set(&j, "sid=abc; Path=/; HttpOnly", "api.example.com", "/login"), COOKIE_SET);
    assert_int_equal(set(&j, "lang=en", "api.example.com", "/app/page?x=1"), COOKIE_SET); /* path /app */
    assert_int_equal(set(&j, "wide=1; Domain=.example.com", "api.example.com", "/"), COOKIE_SET);
    assert_int_equal(set(&j, "tls=1; Secure", "api.example.com", "/"), COOKIE_SET);
    assert_int_equal(set(&j, "evil=1; Domain=other.com", "api.example.com", "/"), COOKIE_REJECTED);
    assert_int_equal(set(&j, "novalue", "api.example.com", "/"), COOKIE_REJECTED);
    assert_string_equal(hdr(&j, "api.example.com", "/", false, NOW), "Cookie: sid=abc; wide=1\r\n");
    assert_string_equal(hdr(&j, "api.example.com", "/app/x", true, NOW), "Cookie: sid=abc; lang=en; wide=1; tls=1\r\n");
    assert_string_equal(hdr(&j, "api.example.com", "/apple", false, NOW), "Cookie: sid=abc; wide=1\r\n");
    /* Host-only vs Domain: a sibling host gets only the domain cookie. */
    assert_string_equal(hdr(&j, "www.example.com", "/", false, NOW), "Cookie: wide=1\r\n");
    assert_string_equal(hdr(&j, "example.org", "/", false, NOW), "");
    /* Replacement keeps one cookie per name, domain and path; Max-Age <= 0 deletes. */
    assert_int_equal(set(&j, "sid=new; Path=/", "api.example.com", "/"), COOKIE_SET);
    assert_string_equal(hdr(&j, "api.example.com", "/", false, NOW), "Cookie: wide=1; sid=new\r\n");
    assert_int_equal(set(&j, "wide=; Domain=example.com; Max-Age=0", "api.example.com", "/"), COOKIE_DELETED);
    assert_string_equal(hdr(&j, "api.example.com", "/", false, NOW), "Cookie: sid=new\r\n");
    /* Expiry: Max-Age wins over Expires; an Expires in the past deletes. */
    assert_int_equal(set(&j, "short=1; Max-Age=10; Expires=Sun, 06 Nov 2094 08:49:37 GMT", "api.example.com", "/"),
                     COOKIE_SET);
    assert_string_equal(hdr(&j, "api.example.com", "/", false, NOW + 5 * S), "Cookie: sid=new; short=1\r\n");
    assert_string_equal(hdr(&j, "api.example.com", "/", false, NOW + 11 * S), "Cookie: sid=new\r\n");
    assert_int_equal(set(&j, "sid=x; Expires=Sun, 06 Nov 1994 08:49:37 GMT", "api.example.com", "/"), COOKIE_DELETED);
    assert_string_equal(hdr(&j, "api.example.com", "/", false, NOW), "Cookie: short=1\r\n");
    assert_string_equal(hdr(&j, "api.example.com", "/", false, NOW + 11 * S), "");
    /* IP hosts: no domain matching of a suffix. */
    cookie_jar_init(&j);
    assert_int_equal(set(&j, "a=1", "127.0.0.1", "/"), COOKIE_SET);
    assert_string_equal(hdr(&j, "127.0.0.1", "/x", false, NOW), "Cookie: a=1\r\n");
    assert_int_equal(set(&j, "b=1; Domain=0.0.1", "127.0.0.1", "/"), COOKIE_REJECTED);
}

static void test_bounds(void **state)
{
    (void)state;
    static cookie_jar j;
    cookie_jar_init(&j);
    char v[COOKIE_STORE + 16];
    for (int i = 0; i < COOKIE_MAX; i++) {
        snprintf(v, sizeof v, "c%d=%d", i, i);
        assert_int_equal(set(&j, v, "h", "/"), COOKIE_SET);
    }
    assert_int_equal(set(&j, "more=1", "h", "/"), COOKIE_FULL);
    /* Replacing one is fine at the limit, over and over (the store is compacted). */
    for (int i = 0; i < 2000; i++) {
        snprintf(v, sizeof v, "c5=%d", i);
        assert_int_equal(set(&j, v, "h", "/"), COOKIE_SET);
    }
    assert_int_equal(j.n, COOKIE_MAX);
    memset(v, 'x', sizeof v);
    memcpy(v, "big=", 4);
    v[COOKIE_STORE] = '\0';
    assert_int_equal(set(&j, v, "h", "/"), COOKIE_FULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_jar),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
