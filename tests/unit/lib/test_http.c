/* test_http.c - unit tests for lib/net/http.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "http.h"

/* Fails with the case name, so a table row that breaks is named in the output. */
#define CHECK(cond, name, ...)                                                                                         \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            print_error("%s: ", (name));                                                                               \
            print_error(__VA_ARGS__);                                                                                  \
            print_error("\n");                                                                                         \
            fail();                                                                                                    \
        }                                                                                                              \
    } while (0)

#define S(lit) lit, sizeof(lit) - 1
#define OK 1 /* expected rc: success with the whole input as the head */
#define B(lit) lit, sizeof(lit) - 1

/* ---- requests --------------------------------------------------------------------- */

typedef struct req_case {
    const char *name;
    const char *in;
    size_t len;
    int rc;
    int minor;
    enum http_body_kind body;
    uint64_t cl;
    bool keep_alive;
} req_case;

#define GET11 "GET / HTTP/1.1\r\nHost: h\r\n"
#define POST11 "POST /p HTTP/1.1\r\nHost: h\r\n"

static const req_case req_cases[] = {
    /* valid */
    {"minimal", S("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"http10", S("GET / HTTP/1.0\r\n\r\n"), OK, 0, HTTP_BODY_NONE, 0, false},
    {"host", S(GET11 "\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"bare lf", S("GET / HTTP/1.1\nHost: h\n\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"leading crlf", S("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"leading lf", S("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"lowercase method", S("get / HTTP/1.1\r\nHost: h\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"token method", S("M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"options star", S("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"absolute form", S("GET http://h/p?q HTTP/1.1\r\nHost: h\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"authority form", S("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"query", S("GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: h\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"empty value", S(GET11 "X:\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"ows value", S(GET11 "X: \t a b \t\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"obs-text value", S(GET11 "X: a\x80\xff\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"tchar name", S(GET11 "!#$%&'*+-.^_`|~09az: v\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"cl", S(POST11 "Content-Length: 5\r\n\r\n"), OK, 1, HTTP_BODY_LENGTH, 5, true},
    {"cl zero", S(POST11 "Content-Length: 0\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"cl ows", S(POST11 "content-length:  7 \r\n\r\n"), OK, 1, HTTP_BODY_LENGTH, 7, true},
    {"cl leading zeros", S(POST11 "Content-Length: 007\r\n\r\n"), OK, 1, HTTP_BODY_LENGTH, 7, true},
    {"cl max", S(POST11 "Content-Length: 18446744073709551615\r\n\r\n"), OK, 1, HTTP_BODY_LENGTH, UINT64_MAX, true},
    {"te chunked", S(POST11 "Transfer-Encoding: chunked\r\n\r\n"), OK, 1, HTTP_BODY_CHUNKED, 0, true},
    {"te case", S(POST11 "transfer-encoding: ChUnKeD\r\n\r\n"), OK, 1, HTTP_BODY_CHUNKED, 0, true},
    {"te list", S(POST11 "Transfer-Encoding: gzip, chunked\r\n\r\n"), OK, 1, HTTP_BODY_CHUNKED, 0, true},
    {"te two lines", S(POST11 "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"), OK, 1,
     HTTP_BODY_CHUNKED, 0, true},
    {"te empty elems", S(POST11 "Transfer-Encoding: , chunked ,\r\n\r\n"), OK, 1, HTTP_BODY_CHUNKED, 0, true},
    {"te lookalike name", S(POST11 "Transfer_Encoding: chunked\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"conn close", S(GET11 "Connection: close\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, false},
    {"conn close list", S(GET11 "Connection: Keep-Alive, CLOSE\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, false},
    {"conn closed", S(GET11 "Connection: closed\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, true},
    {"conn 2nd line", S(GET11 "Connection: upgrade\r\nConnection: close\r\n\r\n"), OK, 1, HTTP_BODY_NONE, 0, false},
    {"10 keep-alive", S("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), OK, 0, HTTP_BODY_NONE, 0, true},
    {"10 keep-alive list", S("GET / HTTP/1.0\r\nConnection: foo , Keep-Alive\r\n\r\n"), OK, 0, HTTP_BODY_NONE, 0, true},
    {"10 ka and close", S("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"), OK, 0, HTTP_BODY_NONE, 0, false},
    {"10 cl", S("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n"), OK, 0, HTTP_BODY_LENGTH, 3, false},

    /* request line */
    {"leading sp", S(" GET / HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"bare cr leading", S("\rGET / HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"double sp", S("GET  / HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"tab sep", S("GET\t/ HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"trailing sp", S("GET / HTTP/1.1 \r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"sp in target", S("GET /a b HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"ctl in target", S("GET /\x01 HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"nul in target", S("GET /\0 HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"del in target", S("GET /\x7f HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"8bit in target", S("GET /\xc3\xa9 HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"nul in method", S("G\0T / HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"paren method", S("(GET) / HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"empty method", S(" / HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"no target", S("GET HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"query first", S("GET ?x HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"star plus", S("OPTIONS *x HTTP/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"http09", S("GET /\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"lower version", S("GET / http/1.1\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"version x", S("GET / HTTP/1.x\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"version 11", S("GET / HTTP/11\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"version 1.10", S("GET / HTTP/1.10\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"version 2", S("GET / HTTP/2\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"version 1.2", S("GET / HTTP/1.2\r\n\r\n"), HTTP_ERR_VERSION, 0, 0, 0, false},
    {"version 2.0", S("GET / HTTP/2.0\r\n\r\n"), HTTP_ERR_VERSION, 0, 0, 0, false},
    {"version 0.9", S("GET / HTTP/0.9\r\n\r\n"), HTTP_ERR_VERSION, 0, 0, 0, false},
    {"bare cr eol", S("GET / HTTP/1.1\rHost: h\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},

    /* header fields */
    {"sp before colon", S(GET11 "X : v\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"obs-fold sp", S(GET11 "X: a\r\n b\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"obs-fold tab", S(GET11 "X: a\r\n\tb\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"ws first line", S("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"empty name", S(GET11 ": v\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"no colon", S(GET11 "Xv\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"nul in value", S(GET11 "X: a\0b\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"ctl in value",
     S(GET11 "X: a\x01"
             "b\r\n\r\n"),
     HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"esc in value", S(GET11 "X: a\x1b[0m\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"del in value", S(GET11 "X: a\x7f\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"cr in value", S(GET11 "X: a\rb\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"8bit in name", S(GET11 "X\xc3: v\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"nul in name", S(GET11 "X\0: v\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"bare cr end", S(GET11 "\rX"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"two hosts", S(GET11 "Host: evil\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"1.1 without host", S("GET / HTTP/1.1\r\nX: v\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},

    /* framing / smuggling */
    {"cl and te", S(POST11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0,
     false},
    {"te and cl", S(POST11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0,
     false},
    {"cl twice equal", S(POST11 "Content-Length: 5\r\nContent-Length: 5\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl twice diff", S(POST11 "Content-Length: 5\r\ncontent-length: 6\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl list", S(POST11 "Content-Length: 5, 5\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl empty", S(POST11 "Content-Length:\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl alpha", S(POST11 "Content-Length: abc\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl plus", S(POST11 "Content-Length: +5\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl minus", S(POST11 "Content-Length: -1\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl inner sp", S(POST11 "Content-Length: 1 2\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl hex", S(POST11 "Content-Length: 0x10\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl overflow", S(POST11 "Content-Length: 18446744073709551616\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl overflow long", S(POST11 "Content-Length: 99999999999999999999999\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te not last", S(POST11 "Transfer-Encoding: chunked, gzip\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te gzip only", S(POST11 "Transfer-Encoding: gzip\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te identity", S(POST11 "Transfer-Encoding: identity\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te xchunked", S(POST11 "Transfer-Encoding: xchunked\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te chunked x2", S(POST11 "Transfer-Encoding: chunked, chunked\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te chunked 2 lines", S(POST11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
     HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te then gzip line", S(POST11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"), HTTP_ERR_FRAMING,
     0, 0, 0, false},
    {"te empty", S(POST11 "Transfer-Encoding:\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te commas", S(POST11 "Transfer-Encoding: , ,\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te http10", S("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te sp colon", S(POST11 "Transfer-Encoding : chunked\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"te vtab",
     S(POST11 "Transfer-Encoding: \x0b"
              "chunked\r\n\r\n"),
     HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"te folded", S(POST11 "Transfer-Encoding:\r\n chunked\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"cl folded", S(POST11 "Content-Length: 1\r\n 0\r\n\r\n"), HTTP_ERR_SYNTAX, 0, 0, 0, false},
};

static void check_req_fields(const req_case *c, const http_request *r)
{
    CHECK(r->minor_version == c->minor, c->name, "minor %d", r->minor_version);
    CHECK(r->body == c->body, c->name, "body %d", (int)r->body);
    CHECK(r->content_length == c->cl, c->name, "cl %" PRIu64, r->content_length);
    CHECK(r->keep_alive == c->keep_alive, c->name, "keep_alive %d", r->keep_alive);
}

static void test_request_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof req_cases / sizeof req_cases[0]; i++) {
        const req_case *c = &req_cases[i];
        http_request r;
        int want = c->rc == OK ? (int)c->len : c->rc;
        int rc = http_parse_request(c->in, c->len, NULL, &r);
        CHECK(rc == want, c->name, "rc %d want %d", rc, want);
        if (want > 0)
            check_req_fields(c, &r);
        /* Every strict prefix: INCOMPLETE, or already the same error. */
        for (size_t k = 0; k < c->len; k++) {
            int prc = http_parse_request(c->in, k, NULL, &r);
            CHECK(prc == HTTP_INCOMPLETE || (want < 0 && prc == want), c->name, "prefix %zu rc %d", k, prc);
        }
        /* Bytes after the head (a body or the next request) change nothing. */
        if (want > 0) {
            char buf[512];
            assert_true(c->len + 7 <= sizeof buf);
            memcpy(buf, c->in, c->len);
            memcpy(buf + c->len, "GARBAGE", 7);
            rc = http_parse_request(buf, c->len + 7, NULL, &r);
            CHECK(rc == want, c->name, "with suffix rc %d", rc);
            check_req_fields(c, &r);
        }
    }
}

static void assert_view(http_str s, const char *want)
{
    if (!http_str_eq(s, want)) {
        print_error("view '%.*s' want '%s'\n", (int)s.n, s.p, want);
        fail();
    }
}

static void test_request_fields(void **state)
{
    (void)state;
    static const char in[] = "\r\nPOST /a/b?x=1&y=2 HTTP/1.1\r\n"
                             "Host: example.com\r\n"
                             "X-Empty:\r\n"
                             "X-Pad: \t padded value \t\r\n"
                             "Expect: 100-Continue\r\n"
                             "content-length: 3\r\n\r\nabc";
    http_request r;
    int rc = http_parse_request(in, sizeof in - 1, NULL, &r);
    assert_int_equal(rc, (int)(sizeof in - 1 - 3));
    assert_view(r.method, "POST");
    assert_view(r.target, "/a/b?x=1&y=2");
    assert_view(r.path, "/a/b");
    assert_view(r.query, "x=1&y=2");
    assert_int_equal(r.num_headers, 5);
    assert_view(r.headers[0].name, "Host");
    assert_view(r.headers[0].value, "example.com");
    assert_view(r.headers[1].name, "X-Empty");
    assert_int_equal(r.headers[1].value.n, 0);
    assert_view(r.headers[2].value, "padded value");
    assert_true(r.expect_continue);
    assert_int_equal(r.body, HTTP_BODY_LENGTH);
    assert_true(r.content_length == 3);
    const http_header *h = http_find_header(r.headers, r.num_headers, "CONTENT-LENGTH");
    assert_non_null(h);
    assert_view(h->value, "3");
    assert_null(http_find_header(r.headers, r.num_headers, "content-type"));

    /* query: '?' alone gives an empty query; none gives n == 0 */
    rc = http_parse_request(S("GET /p? HTTP/1.1\r\nHost: h\r\n\r\n"), NULL, &r);
    assert_true(rc > 0);
    assert_view(r.path, "/p");
    assert_int_equal(r.query.n, 0);
    rc = http_parse_request(S("GET /p HTTP/1.1\r\nHost: h\r\n\r\n"), NULL, &r);
    assert_true(rc > 0);
    assert_view(r.path, "/p");
    assert_int_equal(r.query.n, 0);
    /* Expect in HTTP/1.0 is ignored; other expectations are not 100-continue */
    rc = http_parse_request(S("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"), NULL, &r);
    assert_true(rc > 0);
    assert_false(r.expect_continue);
    rc = http_parse_request(S("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continuex\r\n\r\n"), NULL, &r);
    assert_true(rc > 0);
    assert_false(r.expect_continue);
}

/* Absolute-form targets route by their path (RFC 9112 §3.2.2); other forms keep theirs. */
static void test_request_absolute_form(void **state)
{
    (void)state;
    static const struct {
        const char *target, *path, *query;
    } cases[] = {
        {"http://h/A", "/A", ""},
        {"http://h:8080/a/b?x=1", "/a/b", "x=1"},
        {"HTTP://h", "/", ""},
        {"http://h?q", "/", "q"},
        {"https://user@h/p", "/p", ""},
        {"/x://y", "/x://y", ""}, /* origin-form with "://" inside */
        {"h:443", "h:443", ""},   /* authority-form */
        {"*", "*", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char in[128];
        int n = snprintf(in, sizeof in, "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", cases[i].target);
        http_request r;
        assert_int_equal(http_parse_request(in, (size_t)n, NULL, &r), n);
        assert_view(r.path, cases[i].path);
        assert_view(r.query, cases[i].query);
        assert_int_equal(r.target.n, strlen(cases[i].target));
    }
}

/* Requests back to back in one buffer, each parsed from where the last one ended. */
static void test_request_pipeline(void **state)
{
    (void)state;
    static const char in[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                             "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
                             "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "3\r\nabc\r\n0\r\n\r\n"
                             "\r\nGET /d HTTP/1.0\r\n\r\n"
                             "GET /e HTTP/1.1\r\n";
    static const char *const paths[] = {"/a", "/b", "/c", "/d"};
    static const char *const bodies[] = {"", "hello", "abc", ""};
    size_t off = 0, len = sizeof in - 1;
    for (size_t i = 0; i < 4; i++) {
        http_request r;
        int rc = http_parse_request(in + off, len - off, NULL, &r);
        assert_true(rc > 0);
        assert_view(r.path, paths[i]);
        off += (size_t)rc;
        char body[16];
        size_t bn = 0;
        if (r.body == HTTP_BODY_LENGTH) {
            assert_true(r.content_length <= sizeof body);
            bn = (size_t)r.content_length;
            memcpy(body, in + off, bn);
            off += bn;
        } else if (r.body == HTTP_BODY_CHUNKED) {
            http_chunked ck;
            http_str d;
            size_t used;
            http_chunked_init(&ck);
            for (;;) {
                rc = http_chunked_next(&ck, in + off, len - off, &d, &used);
                assert_true(rc >= 0);
                memcpy(body + bn, d.p, d.n);
                bn += d.n;
                off += used;
                if (rc == 1)
                    break;
                assert_true(d.n > 0);
            }
        }
        assert_int_equal(bn, strlen(bodies[i]));
        assert_memory_equal(body, bodies[i], bn);
    }
    http_request r;
    assert_int_equal(http_parse_request(in + off, len - off, NULL, &r), HTTP_INCOMPLETE);
}

static void test_request_limits(void **state)
{
    (void)state;
    static char buf[20000];
    /* A head of exactly N bytes: accepted at max N, TOO_BIG at max N - 1. */
    const char *pre = "GET / HTTP/1.0\r\nX: ";
    size_t want = 9000;
    size_t pl = strlen(pre);
    memcpy(buf, pre, pl);
    memset(buf + pl, 'a', want - pl - 4);
    memcpy(buf + want - 4, "\r\n\r\n", 4);
    http_request r;
    http_limits lim = {want};
    assert_int_equal(http_parse_request(buf, want, &lim, &r), (int)want);
    assert_int_equal(http_parse_request(buf, want + 100, &lim, &r), (int)want);
    lim.max_header_bytes = want - 1;
    assert_int_equal(http_parse_request(buf, want, &lim, &r), HTTP_ERR_TOO_BIG);
    assert_int_equal(http_parse_request(buf, want - 1, &lim, &r), HTTP_ERR_TOO_BIG);
    assert_int_equal(http_parse_request(buf, want - 2, &lim, &r), HTTP_INCOMPLETE);
    /* default limit (NULL and 0) is HTTP_DEFAULT_MAX_HEADER_BYTES */
    lim.max_header_bytes = 0;
    assert_int_equal(http_parse_request(buf, want, &lim, &r), HTTP_ERR_TOO_BIG);
    assert_int_equal(http_parse_request(buf, want, NULL, &r), HTTP_ERR_TOO_BIG);
    assert_int_equal(http_parse_request(buf, HTTP_DEFAULT_MAX_HEADER_BYTES - 1, NULL, &r), HTTP_INCOMPLETE);
    /* an error before the limit wins over TOO_BIG */
    buf[100] = '\0';
    assert_int_equal(http_parse_request(buf, want, NULL, &r), HTTP_ERR_SYNTAX);
    /* endless leading empty lines count against the limit */
    for (size_t i = 0; i < sizeof buf; i += 2)
        memcpy(buf + i, "\r\n", 2);
    assert_int_equal(http_parse_request(buf, sizeof buf, NULL, &r), HTTP_ERR_TOO_BIG);
}

static void test_request_too_many(void **state)
{
    (void)state;
    static char buf[4096];
    for (int count = HTTP_MAX_HEADERS - 1; count <= HTTP_MAX_HEADERS + 2; count++) {
        size_t n = (size_t)snprintf(buf, sizeof buf, "GET / HTTP/1.0\r\n");
        for (int i = 0; i < count; i++)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "X-%d: %d\r\n", i, i);
        n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\n");
        assert_true(n < sizeof buf);
        http_request r;
        int rc = http_parse_request(buf, n, NULL, &r);
        if (count <= HTTP_MAX_HEADERS) {
            assert_int_equal(rc, (int)n);
            assert_int_equal(r.num_headers, (size_t)count);
            assert_view(r.headers[count - 1].name, count == 64 ? "X-63" : "X-62");
        } else {
            assert_int_equal(rc, HTTP_ERR_TOO_MANY);
        }
    }
}

/* ---- responses -------------------------------------------------------------------- */

typedef struct res_case {
    const char *name;
    const char *in;
    size_t len;
    bool head;
    int rc;
    int status;
    enum http_body_kind body;
    uint64_t cl;
    bool keep_alive;
} res_case;

static const res_case res_cases[] = {
    {"cl", S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), false, OK, 200, HTTP_BODY_LENGTH, 5, true},
    {"cl zero", S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), false, OK, 200, HTTP_BODY_NONE, 0, true},
    {"chunked", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), false, OK, 200, HTTP_BODY_CHUNKED, 0, true},
    {"until close", S("HTTP/1.1 200 OK\r\n\r\n"), false, OK, 200, HTTP_BODY_UNTIL_CLOSE, 0, false},
    {"te gzip", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), false, OK, 200, HTTP_BODY_UNTIL_CLOSE, 0,
     false},
    {"10 cl", S("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n"), false, OK, 200, HTTP_BODY_LENGTH, 2, false},
    {"10 ka", S("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n"), false, OK, 200,
     HTTP_BODY_LENGTH, 2, true},
    {"close", S("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n"), false, OK, 200, HTTP_BODY_LENGTH,
     2, false},
    {"head", S("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"), true, OK, 200, HTTP_BODY_NONE, 100, true},
    {"head chunked", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), true, OK, 200, HTTP_BODY_NONE, 0,
     true},
    {"head no cl", S("HTTP/1.1 200 OK\r\n\r\n"), true, OK, 200, HTTP_BODY_NONE, 0, true},
    {"100", S("HTTP/1.1 100 Continue\r\n\r\n"), false, OK, 100, HTTP_BODY_NONE, 0, true},
    {"101", S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"), false, OK, 101, HTTP_BODY_NONE, 0, true},
    {"204", S("HTTP/1.1 204 No Content\r\n\r\n"), false, OK, 204, HTTP_BODY_NONE, 0, true},
    {"304", S("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"), false, OK, 304, HTTP_BODY_NONE, 9, true},
    {"404 cl", S("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n"), false, OK, 404, HTTP_BODY_LENGTH, 9, true},
    {"999", S("HTTP/1.1 999 Odd\r\nContent-Length: 1\r\n\r\n"), false, OK, 999, HTTP_BODY_LENGTH, 1, true},
    {"no reason", S("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n"), false, OK, 200, HTTP_BODY_LENGTH, 1, true},
    {"empty reason", S("HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\n"), false, OK, 200, HTTP_BODY_LENGTH, 1, true},
    {"8bit reason", S("HTTP/1.1 200 \xc3\xa9t\xc3\xa9 ok\r\nContent-Length: 1\r\n\r\n"), false, OK, 200,
     HTTP_BODY_LENGTH, 1, true},
    {"bare lf", S("HTTP/1.1 200 OK\nContent-Length: 1\n\n"), false, OK, 200, HTTP_BODY_LENGTH, 1, true},

    {"status short", S("HTTP/1.1 20 OK\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"status long", S("HTTP/1.1 2000 OK\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"status 099", S("HTTP/1.1 099 OK\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"status alpha", S("HTTP/1.1 2x0 OK\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"two sp", S("HTTP/1.1  200 OK\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"no sp", S("HTTP/1.1\t200 OK\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"version only", S("HTTP/1.1\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"ctl reason", S("HTTP/1.1 200 O\x01K\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"nul reason", S("HTTP/1.1 200 O\0K\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"leading crlf", S("\r\nHTTP/1.1 200 OK\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"version 2", S("HTTP/2 200 OK\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"version 2.0", S("HTTP/2.0 200 OK\r\n\r\n"), false, HTTP_ERR_VERSION, 0, 0, 0, false},
    {"icy", S("ICY 200 OK\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"obs-fold", S("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"), false, HTTP_ERR_SYNTAX, 0, 0, 0, false},
    {"cl and te", S("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"), false,
     HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl twice", S("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"), false, HTTP_ERR_FRAMING, 0, 0,
     0, false},
    {"cl bad", S("HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\n"), false, HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"cl bad head", S("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n"), true, HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te 10", S("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), false, HTTP_ERR_FRAMING, 0, 0, 0, false},
    {"te not last", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), false, HTTP_ERR_FRAMING, 0, 0, 0,
     false},
    {"te chunked x2", S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"), false, HTTP_ERR_FRAMING, 0,
     0, 0, false},
};

static void test_response_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof res_cases / sizeof res_cases[0]; i++) {
        const res_case *c = &res_cases[i];
        http_response r;
        int want = c->rc == OK ? (int)c->len : c->rc;
        int rc = http_parse_response(c->in, c->len, NULL, c->head, &r);
        CHECK(rc == want, c->name, "rc %d want %d", rc, want);
        if (want > 0) {
            CHECK(r.status == c->status, c->name, "status %d", r.status);
            CHECK(r.body == c->body, c->name, "body %d", (int)r.body);
            CHECK(r.content_length == c->cl, c->name, "cl %" PRIu64, r.content_length);
            CHECK(r.keep_alive == c->keep_alive, c->name, "keep_alive %d", r.keep_alive);
        }
        for (size_t k = 0; k < c->len; k++) {
            int prc = http_parse_response(c->in, k, NULL, c->head, &r);
            CHECK(prc == HTTP_INCOMPLETE || (want < 0 && prc == want), c->name, "prefix %zu rc %d", k, prc);
        }
    }
}

static void test_response_fields(void **state)
{
    (void)state;
    http_response r;
    int rc = http_parse_response(S("HTTP/1.0 404 Not  Found\r\nServer: x\r\n\r\nbody"), NULL, false, &r);
    assert_int_equal(rc, (int)strlen("HTTP/1.0 404 Not  Found\r\nServer: x\r\n\r\n"));
    assert_int_equal(r.minor_version, 0);
    assert_int_equal(r.status, 404);
    assert_view(r.reason, "Not  Found");
    assert_int_equal(r.num_headers, 1);
    assert_view(r.headers[0].value, "x");
    rc = http_parse_response(S("HTTP/1.1 200\r\n\r\n"), NULL, false, &r);
    assert_true(rc > 0);
    assert_int_equal(r.reason.n, 0);
    /* limits apply to responses too */
    http_limits lim = {10};
    assert_int_equal(http_parse_response(S("HTTP/1.1 200 OK\r\n\r\n"), &lim, false, &r), HTTP_ERR_TOO_BIG);
    lim.max_header_bytes = 19;
    assert_int_equal(http_parse_response(S("HTTP/1.1 200 OK\r\n\r\n"), &lim, false, &r), 19);
}

/* Responses pipelined on one connection, bodies of each kind, as ptest reads them. */
static void test_response_stream(void **state)
{
    (void)state;
    static const char in[] = "HTTP/1.1 100 Continue\r\n\r\n"
                             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
                             "HTTP/1.1 204 No Content\r\n\r\n"
                             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "2\r\nab\r\n1;x=y\r\nc\r\n0\r\nT: v\r\n\r\n"
                             "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n" /* HEAD */
                             "HTTP/1.1 200 OK\r\n\r\nrest of stream";
    static const int status[] = {100, 200, 204, 200, 200, 200};
    static const char *const bodies[] = {"", "hi", "", "abc", "", "rest of stream"};
    size_t off = 0, len = sizeof in - 1;
    for (size_t i = 0; i < 6; i++) {
        http_response r;
        int rc = http_parse_response(in + off, len - off, NULL, i == 4, &r);
        assert_true(rc > 0);
        assert_int_equal(r.status, status[i]);
        off += (size_t)rc;
        const char *body = in + off;
        size_t bn = 0;
        char dec[16];
        switch (r.body) {
        case HTTP_BODY_NONE: break;
        case HTTP_BODY_LENGTH: bn = (size_t)r.content_length; break;
        case HTTP_BODY_UNTIL_CLOSE: bn = len - off; break;
        case HTTP_BODY_CHUNKED: {
            /* decode through an 8-byte window, as a reader with a small buffer would */
            http_chunked ck;
            http_chunked_init(&ck);
            size_t total = 0, got = 0;
            int crc = 0;
            while (crc == 0) {
                size_t left = len - off - total, n = left < 8 ? left : 8, used;
                assert_true(got + n <= sizeof dec);
                memcpy(dec + got, in + off + total, n);
                crc = http_chunked_decode(&ck, dec + got, &n, &used);
                assert_true(crc >= 0);
                got += n;
                total += used;
            }
            body = dec;
            bn = got;
            off += total;
            break;
        }
        }
        assert_int_equal(bn, strlen(bodies[i]));
        assert_memory_equal(body, bodies[i], bn);
        if (r.body != HTTP_BODY_CHUNKED)
            off += bn;
    }
    assert_int_equal(off, len);
}

/* ---- chunked ---------------------------------------------------------------------- */

typedef struct chunk_case {
    const char *name;
    const char *in;
    size_t len;
    int rc;           /* 1 complete, 0 needs more, HTTP_ERR_CHUNK */
    const char *body; /* decoded body when rc >= 0 */
    size_t body_len;
    size_t consumed; /* when rc == 1: message length (0 = whole input) */
} chunk_case;

static const chunk_case chunk_cases[] = {
    {"one", S("5\r\nhello\r\n0\r\n\r\n"), 1, B("hello"), 0},
    {"empty", S("0\r\n\r\n"), 1, B(""), 0},
    {"two", S("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), 1, B("hello world"), 0},
    {"hex upper", S("A\r\n0123456789\r\n0\r\n\r\n"), 1, B("0123456789"), 0},
    {"hex lower", S("b\r\n0123456789a\r\n0\r\n\r\n"), 1, B("0123456789a"), 0},
    {"leading zeros", S("0005\r\nhello\r\n0000\r\n\r\n"), 1, B("hello"), 0},
    {"ext", S("5;name=value\r\nhello\r\n0;x\r\n\r\n"), 1, B("hello"), 0},
    {"ext quoted", S("5;n=\"a b;c\"\r\nhello\r\n0\r\n\r\n"), 1, B("hello"), 0},
    {"ext bws", S("5 \t;x\r\nhello\r\n0\r\n\r\n"), 1, B("hello"), 0},
    {"trailers", S("1\r\nx\r\n0\r\nX-T: v\r\nY:\r\n\r\n"), 1, B("x"), 0},
    {"crlf in data", S("4\r\n\r\n\r\n\r\n0\r\n\r\n"), 1, B("\r\n\r\n"), 0},
    {"nul in data", S("3\r\na\0b\r\n0\r\n\r\n"), 1, B("a\0b"), 0},
    {"next message", S("1\r\nx\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n"), 1, B("x"), 11},
    {"partial", S("5\r\nhel"), 0, B("hel"), 0},
    {"partial size", S("5\r\nhello\r\n1"), 0, B("hello"), 0},
    {"no end", S("5\r\nhello\r\n0\r\n"), 0, B("hello"), 0},

    {"empty size", S("\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"bad digit", S("x\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"0x prefix", S("0x5\r\nhello\r\n0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"plus", S("+5\r\nhello\r\n0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"minus", S("-5\r\nhello\r\n0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"leading sp", S(" 5\r\nhello\r\n0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"ws no ext", S("5 \r\nhello\r\n0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"size bare lf", S("5\nhello\r\n0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"size bare cr", S("5\rhello\r\n0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"data too long", S("5\r\nhelloX\r\n0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"data bare lf", S("5\r\nhello\n0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"data bare cr", S("5\r\nhello\r0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"data no crlf", S("5\r\nhello0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"end bare lf", S("0\r\n\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"end cr cr", S("0\r\n\r\r"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"overflow", S("10000000000000000\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"ext nul", S("5;a\0b\r\nhello\r\n0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"ext lf", S("5;a\nhello\r\n0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"trailer sp colon", S("0\r\nX : v\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"trailer fold", S("0\r\nX: v\r\n w\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"trailer nul", S("0\r\nX: \0\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"trailer no colon", S("0\r\nX\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"trailer bare lf", S("0\r\nX: v\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
    {"trailer bare cr", S("0\r\nX: v\rY: w\r\n\r\n"), HTTP_ERR_CHUNK, NULL, 0, 0},
};

/* Decodes in[0..len) through http_chunked_next, fed in pieces of `step` bytes starting
 * after a first piece of `first` bytes (both > 0). Returns the final rc; the body goes to
 * out, the bytes consumed to *consumed. */
static int decode_next_pieces(const char *in, size_t len, size_t first, size_t step, char *out, size_t *outn,
                              size_t *consumed)
{
    http_chunked c;
    http_chunked_init(&c);
    size_t off = 0, fed = first < len ? first : len, bn = 0;
    int rc = 0;
    for (;;) {
        http_str d;
        size_t used;
        rc = http_chunked_next(&c, in + off, fed - off, &d, &used);
        if (rc < 0)
            break;
        assert_true(used <= fed - off);
        if (d.n) {
            assert_true(d.p >= in + off && d.p + d.n <= in + off + used);
            memcpy(out + bn, d.p, d.n);
            bn += d.n;
        } else {
            assert_true(rc == 1 || used == fed - off);
        }
        off += used;
        if (rc == 1)
            break;
        if (off == fed) {
            if (fed == len)
                break;
            fed = fed + step < len ? fed + step : len;
        }
    }
    *outn = bn;
    *consumed = off;
    return rc;
}

/* Same through http_chunked_decode (in place) on a private copy. */
static int decode_inplace_pieces(const char *in, size_t len, size_t first, size_t step, char *out, size_t *outn,
                                 size_t *consumed)
{
    http_chunked c;
    http_chunked_init(&c);
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, in, len);
    size_t off = 0, fed = first < len ? first : len, bn = 0;
    int rc;
    for (;;) {
        size_t n = fed - off, used;
        rc = http_chunked_decode(&c, copy + off, &n, &used);
        if (rc < 0)
            break;
        memcpy(out + bn, copy + off, n);
        bn += n;
        off += used;
        if (rc == 1)
            break;
        assert_int_equal(off, fed);
        if (fed == len)
            break;
        fed = fed + step < len ? fed + step : len;
    }
    /* bytes after the message are left untouched */
    assert_memory_equal(copy + off, in + off, len - off);
    free(copy);
    *outn = bn;
    *consumed = off;
    return rc;
}

static void check_chunk_result(const chunk_case *c, int rc, const char *out, size_t outn, size_t consumed,
                               const char *how, size_t split)
{
    CHECK(rc == c->rc, c->name, "%s split %zu: rc %d want %d", how, split, rc, c->rc);
    if (rc < 0)
        return;
    size_t bl = c->body_len;
    CHECK(outn == bl && memcmp(out, c->body, bl) == 0, c->name, "%s split %zu: body", how, split);
    size_t wantc = (rc == 1 && c->consumed) ? c->consumed : c->len;
    CHECK(consumed == wantc, c->name, "%s split %zu: consumed %zu want %zu", how, split, consumed, wantc);
}

static void test_chunked_table(void **state)
{
    (void)state;
    char out[256];
    for (size_t i = 0; i < sizeof chunk_cases / sizeof chunk_cases[0]; i++) {
        const chunk_case *c = &chunk_cases[i];
        size_t outn, consumed;
        int rc;
        /* whole, every two-piece split, and byte by byte */
        for (size_t split = 1; split <= c->len; split++) {
            rc = decode_next_pieces(c->in, c->len, split, c->len, out, &outn, &consumed);
            check_chunk_result(c, rc, out, outn, consumed, "next", split);
            rc = decode_inplace_pieces(c->in, c->len, split, c->len, out, &outn, &consumed);
            check_chunk_result(c, rc, out, outn, consumed, "inplace", split);
        }
        rc = decode_next_pieces(c->in, c->len, 1, 1, out, &outn, &consumed);
        check_chunk_result(c, rc, out, outn, consumed, "next bytewise", 1);
        rc = decode_inplace_pieces(c->in, c->len, 1, 1, out, &outn, &consumed);
        check_chunk_result(c, rc, out, outn, consumed, "inplace bytewise", 1);
    }
}

static void test_chunked_states(void **state)
{
    (void)state;
    http_chunked c;
    http_str d;
    size_t used;
    /* errors are sticky; completion is sticky and consumes nothing more */
    http_chunked_init(&c);
    assert_int_equal(http_chunked_next(&c, S("z"), &d, &used), HTTP_ERR_CHUNK);
    assert_int_equal(http_chunked_next(&c, S("0\r\n\r\n"), &d, &used), HTTP_ERR_CHUNK);
    http_chunked_init(&c);
    assert_int_equal(http_chunked_next(&c, S("0\r\n\r\n"), &d, &used), 1);
    assert_int_equal(used, 5);
    assert_int_equal(http_chunked_next(&c, S("5\r\n"), &d, &used), 1);
    assert_int_equal(used, 0);
    assert_int_equal(d.n, 0);
    /* one data run per call, framing after it consumed */
    http_chunked_init(&c);
    static const char two[] = "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n";
    assert_int_equal(http_chunked_next(&c, two, sizeof two - 1, &d, &used), 0);
    assert_view(d, "ab");
    assert_int_equal(used, 10);
    assert_int_equal(http_chunked_next(&c, two + 10, sizeof two - 11, &d, &used), 1);
    assert_view(d, "cde");
    assert_int_equal(used, sizeof two - 11);
    /* largest size fits; one more hex digit overflows */
    http_chunked_init(&c);
    assert_int_equal(http_chunked_next(&c, S("ffffffffffffffff\r\nxy"), &d, &used), 0);
    assert_int_equal(d.n, 2);
    http_chunked_init(&c);
    assert_int_equal(http_chunked_next(&c, S("ffffffffffffffff0"), &d, &used), HTTP_ERR_CHUNK);
    /* a chunk larger than 4 GiB is counted in 64 bits (matters on 32-bit size_t) */
    http_chunked_init(&c);
    assert_int_equal(http_chunked_next(&c, S("100000000\r\nab"), &d, &used), 0);
    assert_int_equal(d.n, 2);
    assert_true(c.remaining == UINT64_C(0x100000000) - 2);
}

static void test_chunked_bounds(void **state)
{
    (void)state;
    static char buf[HTTP_CHUNK_MAX_TRAILERS + 64];
    http_chunked c;
    http_str d;
    size_t used;
    /* chunk-size line of exactly HTTP_CHUNK_MAX_LINE bytes (CRLF excluded) ok, one more not */
    for (size_t extra = 0; extra <= 1; extra++) {
        size_t n = HTTP_CHUNK_MAX_LINE + extra;
        memset(buf, '0', n);
        buf[n - 1] = '1';
        memcpy(buf + n, "\r\nx\r\n0\r\n\r\n", 10);
        http_chunked_init(&c);
        int rc = http_chunked_next(&c, buf, n + 10, &d, &used);
        assert_int_equal(rc, extra ? HTTP_ERR_CHUNK : 1);
        memcpy(buf, "1;", 2);
        memset(buf + 2, 'e', n - 2);
        memcpy(buf + n, "\r\nx\r\n0\r\n\r\n", 10);
        http_chunked_init(&c);
        rc = http_chunked_next(&c, buf, n + 10, &d, &used);
        assert_int_equal(rc, extra ? HTTP_ERR_CHUNK : 1);
    }
    /* endless extension fed byte by byte fails once over the bound */
    http_chunked_init(&c);
    int rc = http_chunked_next(&c, S("1;"), &d, &used);
    size_t fed = 2;
    while (rc == 0 && fed < 100000) {
        rc = http_chunked_next(&c, S("e"), &d, &used);
        fed++;
    }
    assert_int_equal(rc, HTTP_ERR_CHUNK);
    assert_true(fed == HTTP_CHUNK_MAX_LINE + 1);
    /* trailer fields of HTTP_CHUNK_MAX_TRAILERS bytes ok, one more not */
    for (size_t extra = 0; extra <= 1; extra++) {
        size_t tl = HTTP_CHUNK_MAX_TRAILERS + extra;
        size_t n = 3;
        memcpy(buf, "0\r\n", 3);
        memcpy(buf + n, "X: ", 3);
        size_t vlen = tl - 3 - 2; /* "X: " + value + CRLF */
        memset(buf + n + 3, 'v', vlen);
        n += 3 + vlen;
        memcpy(buf + n, "\r\n\r\n", 4);
        n += 4;
        http_chunked_init(&c);
        rc = http_chunked_next(&c, buf, n, &d, &used);
        assert_int_equal(rc, extra ? HTTP_ERR_CHUNK : 1);
    }
    /* the byte past the trailer bound may fall in a name, a value, its CR or LF, or the
     * start of the next field: each fails */
    const size_t M = HTTP_CHUNK_MAX_TRAILERS;
    struct {
        size_t name, value;
        const char *after;
    } over[] = {
        {M + 1, 1, "\r\n\r\n"},         /* in the name */
        {1, M, "\r\n\r\n"},             /* in the value */
        {1, M - 3, "\r\n\r\n"},         /* on the CR */
        {1, M - 4, "\r\n\r\n"},         /* on the LF */
        {1, M - 5, "\r\nY: z\r\n\r\n"}, /* on the next field's first byte */
    };
    for (size_t i = 0; i < sizeof over / sizeof over[0]; i++) {
        size_t n = 0;
        memcpy(buf, "0\r\n", 3);
        n = 3;
        memset(buf + n, 'N', over[i].name);
        n += over[i].name;
        memcpy(buf + n, ": ", 2);
        n += 2;
        memset(buf + n, 'v', over[i].value);
        n += over[i].value;
        size_t al = strlen(over[i].after);
        assert_true(n + al <= sizeof buf);
        memcpy(buf + n, over[i].after, al);
        n += al;
        http_chunked_init(&c);
        rc = http_chunked_next(&c, buf, n, &d, &used);
        CHECK(rc == HTTP_ERR_CHUNK, "trailer bound", "layout %zu: rc %d", i, rc);
    }
    /* endless BWS after the size */
    memset(buf, ' ', HTTP_CHUNK_MAX_LINE + 8);
    buf[0] = '1';
    http_chunked_init(&c);
    assert_int_equal(http_chunked_next(&c, buf, HTTP_CHUNK_MAX_LINE + 8, &d, &used), HTTP_ERR_CHUNK);
}

/* ---- guard page: input ends at an unreadable page, so any over-read faults --------- */

typedef struct guard {
    char *page;
    size_t pagesz;
} guard;

static char *guard_place(guard *g, const char *in, size_t len)
{
    assert_true(len <= g->pagesz);
    char *p = g->page + g->pagesz - len;
    memcpy(p, in, len);
    return p;
}

static void test_guard_page(void **state)
{
    (void)state;
    guard g;
    long ps = sysconf(_SC_PAGESIZE);
    assert_true(ps > 0);
    g.pagesz = (size_t)ps;
    char *map = mmap(NULL, 2 * g.pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + g.pagesz, g.pagesz, PROT_NONE), 0);
    g.page = map;

    for (size_t i = 0; i < sizeof req_cases / sizeof req_cases[0]; i++) {
        const req_case *c = &req_cases[i];
        for (size_t k = 0; k <= c->len; k++) {
            http_request r;
            char *p = guard_place(&g, c->in, k);
            int rc = http_parse_request(p, k, NULL, &r);
            assert_true(rc != 0);
        }
    }
    for (size_t i = 0; i < sizeof res_cases / sizeof res_cases[0]; i++) {
        const res_case *c = &res_cases[i];
        for (size_t k = 0; k <= c->len; k++) {
            http_response r;
            char *p = guard_place(&g, c->in, k);
            int rc = http_parse_response(p, k, NULL, c->head, &r);
            assert_true(rc != 0);
        }
    }
    for (size_t i = 0; i < sizeof chunk_cases / sizeof chunk_cases[0]; i++) {
        const chunk_case *c = &chunk_cases[i];
        for (size_t k = 0; k <= c->len; k++) {
            http_chunked ck;
            http_str d;
            size_t used, n = k;
            char *p = guard_place(&g, c->in, k);
            http_chunked_init(&ck);
            int rc = http_chunked_next(&ck, p, k, &d, &used);
            assert_true(used <= k);
            p = guard_place(&g, c->in, k);
            http_chunked_init(&ck);
            rc = http_chunked_decode(&ck, p, &n, &used);
            assert_true(rc <= 1 && used <= k && n <= used);
        }
    }
    /* a head that fills the page exactly, and the same head one byte short */
    char *big = malloc(g.pagesz);
    assert_non_null(big);
    memset(big, 'a', g.pagesz);
    memcpy(big, "GET / HTTP/1.0\r\nX: ", 19);
    memcpy(big + g.pagesz - 4, "\r\n\r\n", 4);
    http_limits lim = {g.pagesz};
    http_request r;
    char *p = guard_place(&g, big, g.pagesz);
    assert_int_equal(http_parse_request(p, g.pagesz, &lim, &r), (int)g.pagesz);
    p = guard_place(&g, big, g.pagesz - 1);
    assert_int_equal(http_parse_request(p, g.pagesz - 1, &lim, &r), HTTP_INCOMPLETE);
    free(big);
    assert_int_equal(munmap(map, 2 * g.pagesz), 0);
}

/* ---- helpers ---------------------------------------------------------------------- */

static void test_str_helpers(void **state)
{
    (void)state;
    http_str s = {"Content-Length", 14};
    assert_true(http_str_eq(s, "Content-Length"));
    assert_false(http_str_eq(s, "content-length"));
    assert_true(http_str_ieq(s, "content-LENGTH"));
    assert_false(http_str_ieq(s, "content-lengt"));
    assert_false(http_str_ieq(s, "content-lengthx"));
    http_str e = {NULL, 0};
    assert_true(http_str_eq(e, ""));
    assert_true(http_str_ieq(e, ""));
    assert_false(http_str_ieq(e, "a"));
    /* case folding is ASCII only: '@' (0x40) and '`' (0x60) differ */
    http_str at = {"@", 1};
    assert_false(http_str_ieq(at, "`"));
    http_str nul = {"a\0", 2};
    assert_false(http_str_eq(nul, "a"));
    assert_false(http_str_ieq(nul, "a"));
    assert_string_equal(http_reason(200), "OK");
    assert_string_equal(http_reason(404), "Not Found");
    assert_string_equal(http_reason(431), "Request Header Fields Too Large");
    assert_string_equal(http_reason(505), "HTTP Version Not Supported");
    assert_string_equal(http_reason(299), "Unknown");
    assert_string_equal(http_reason(-1), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_table),
        cmocka_unit_test(test_request_fields),
        cmocka_unit_test(test_request_absolute_form),
        cmocka_unit_test(test_request_pipeline),
        cmocka_unit_test(test_request_limits),
        cmocka_unit_test(test_request_too_many),
        cmocka_unit_test(test_response_table),
        cmocka_unit_test(test_response_fields),
        cmocka_unit_test(test_response_stream),
        cmocka_unit_test(test_chunked_table),
        cmocka_unit_test(test_chunked_states),
        cmocka_unit_test(test_chunked_bounds),
        cmocka_unit_test(test_guard_page),
        cmocka_unit_test(test_str_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
