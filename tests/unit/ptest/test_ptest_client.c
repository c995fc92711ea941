/* test_ptest_client.c - request pre-rendering and the client connection against a scripted
 * server on a loopback socket: framings, splits at every byte, checks, keep-alive, errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "ptest/client/client.h"
#include "ptest/client/client_int.h"
#include "ptest/engine/stats.h"

/* ------------------------------------------------------------------ rendering ----- */

static plan_header ph_json[] = {{"Accept", "application/json"}, {"X-Plan", "p"}};
static plan_header rh_accept[] = {{"accept", "text/plain"}};
static plan_header rh_host[] = {{"Host", "example.org"}};
static plan_header rh_cr[] = {{"X-Bad", "a\r\nInjected: 1"}};
static plan_header rh_cl[] = {{"Content-Length", "5"}};
static plan_header rh_badname[] = {{"X Bad", "v"}};

static plan make_plan(const char *host, uint16_t port, const char *base, plan_header *h, size_t nh)
{
    plan p;
    memset(&p, 0, sizeof(p));
    p.target.host = (char *)host;
    p.target.port = port;
    p.target.base_path = (char *)base;
    static char auth[300];
    bool v6 = strchr(host, ':') != NULL;
    if (port == 80)
        snprintf(auth, sizeof(auth), v6 ? "[%s]" : "%s", host);
    else
        snprintf(auth, sizeof(auth), v6 ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
    p.target.authority = auth;
    p.headers = h;
    p.n_headers = nh;
    return p;
}

typedef struct render_case {
    const char *name;
    const char *host;
    uint16_t port;
    const char *base;
    bool plan_headers;
    plan_request r;
    int rc;
    const char *wire; /* expected bytes (NULL: only rc checked) */
    const char *url;
    bool head;
} render_case;

/* The version in the User-Agent depends on the build; normalize() drops it. */
#define UA "User-Agent: ptest\r\n"

static const render_case rcases[] = {
    {"plain GET",
     "127.0.0.1",
     8080,
     "",
     false,
     {.label = "r", .path = "/"},
     0,
     "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" UA "\r\n",
     "http://127.0.0.1:8080/",
     false},
    {"base path, query, port 80",
     "svc",
     80,
     "/api",
     false,
     {.label = "r", .method = "GET", .path = "/x?a=1,2"},
     0,
     "GET /api/x?a=1,2 HTTP/1.1\r\nHost: svc\r\n" UA "\r\n",
     "http://svc:80/api/x?a=1,2",
     false},
    {"IPv6 host",
     "::1",
     9000,
     "",
     false,
     {.label = "r", .path = "/v6"},
     0,
     "GET /v6 HTTP/1.1\r\nHost: [::1]:9000\r\n" UA "\r\n",
     "http://[::1]:9000/v6",
     false},
    {"POST body",
     "h",
     81,
     "",
     false,
     {.label = "r", .method = "POST", .path = "/p", .body = "a\0b", .body_len = 3},
     0,
     "POST /p HTTP/1.1\r\nHost: h:81\r\n" UA "Content-Length: 3\r\n\r\na\0b",
     NULL,
     false},
    {"PUT without body sends Content-Length: 0",
     "h",
     81,
     "",
     false,
     {.label = "r", .method = "PUT", .path = "/p"},
     0,
     "PUT /p HTTP/1.1\r\nHost: h:81\r\n" UA "Content-Length: 0\r\n\r\n",
     NULL,
     false},
    {"HEAD",
     "h",
     81,
     "",
     false,
     {.label = "r", .method = "HEAD", .path = "/"},
     0,
     "HEAD / HTTP/1.1\r\nHost: h:81\r\n" UA "\r\n",
     NULL,
     true},
    {"plan headers, request overrides case-insensitively",
     "h",
     81,
     "",
     true,
     {.label = "r", .path = "/", .headers = rh_accept, .n_headers = 1},
     0,
     "GET / HTTP/1.1\r\nHost: h:81\r\n" UA "X-Plan: p\r\naccept: text/plain\r\n\r\n",
     NULL,
     false},
    {"request Host replaces the default",
     "h",
     81,
     "",
     false,
     {.label = "r", .path = "/", .headers = rh_host, .n_headers = 1},
     0,
     "GET / HTTP/1.1\r\n" UA "Host: example.org\r\n\r\n",
     NULL,
     false},
    {"CRLF in a header value",
     "h",
     81,
     "",
     false,
     {.label = "r", .path = "/", .headers = rh_cr, .n_headers = 1},
     -1,
     NULL,
     NULL,
     false},
    {"Content-Length in the plan",
     "h",
     81,
     "",
     false,
     {.label = "r", .path = "/", .headers = rh_cl, .n_headers = 1},
     -1,
     NULL,
     NULL,
     false},
    {"space in a header name",
     "h",
     81,
     "",
     false,
     {.label = "r", .path = "/", .headers = rh_badname, .n_headers = 1},
     -1,
     NULL,
     NULL,
     false},
    {"bad method", "h", 81, "", false, {.label = "r", .method = "G ET", .path = "/"}, -1, NULL, NULL, false},
    {"space in path", "h", 81, "", false, {.label = "r", .path = "/a b"}, -1, NULL, NULL, false},
    {"control byte in path", "h", 81, "", false, {.label = "r", .path = "/a\x01"}, -1, NULL, NULL, false},
    {"relative path", "h", 81, "", false, {.label = "r", .path = "a"}, -1, NULL, NULL, false},
};

static size_t wire_len(const render_case *c)
{
    /* The POST case carries a NUL: its length is the head plus body_len. */
    if (c->r.body)
        return strlen(c->wire) + 1 + strlen(c->wire + strlen(c->wire) + 1);
    return strlen(c->wire);
}

/* Copies wire into out with "User-Agent: ptest/<version>" shortened to "User-Agent: ptest". */
static size_t normalize(const char *wire, size_t n, char *out, size_t cap)
{
    static const char ua[] = "User-Agent: ptest/";
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        if (n - i >= sizeof(ua) - 1 && memcmp(wire + i, ua, sizeof(ua) - 1) == 0) {
            memcpy(out + o, "User-Agent: ptest", 17);
            o += 17;
            i += sizeof(ua) - 1;
            while (i < n && wire[i] != '\r')
                i++;
            i--;
            continue;
        }
        out[o++] = wire[i];
    }
    return o;
}

static void test_render(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
        const render_case *c = &rcases[i];
        plan p = make_plan(c->host, c->port, c->base, c->plan_headers ? ph_json : NULL, c->plan_headers ? 2 : 0);
        client_req r;
        char err[256] = "";
        int rc = client_req_render(&r, &p, &c->r, 7, err, sizeof(err));
        if (rc != c->rc)
            fail_msg("%s: rc %d (%s)", c->name, rc, err);
        if (rc != 0) {
            assert_true(err[0] != '\0');
            continue;
        }
        size_t n = wire_len(c);
        char got[512];
        size_t gn = normalize(r.wire, r.wire_len, got, sizeof(got));
        if (gn != n || memcmp(got, c->wire, n) != 0)
            fail_msg("%s: got [%.*s]", c->name, (int)r.wire_len, r.wire);
        if (c->url)
            assert_string_equal(r.url, c->url);
        assert_int_equal(r.head, c->head);
        assert_int_equal(r.label, 7);
        client_req_fini(&r);
    }
}

static void test_render_expect(void **state)
{
    (void)state;
    plan p = make_plan("h", 1, "", NULL, 0);
    plan_request pr = {.label = "r", .path = "/", .expect_status = 201, .expect_body = "abab"};
    client_req r;
    char err[128];
    assert_int_equal(client_req_render(&r, &p, &pr, 0, err, sizeof(err)), 0);
    assert_int_equal(r.expect_status, 201);
    assert_int_equal(r.expect_len, 4);
    static const uint32_t kmp[] = {0, 0, 1, 2};
    for (int i = 0; i < 4; i++)
        assert_int_equal(r.kmp[i], kmp[i]);
    client_req_fini(&r);
    pr.expect_body = ""; /* empty: no check */
    assert_int_equal(client_req_render(&r, &p, &pr, 0, err, sizeof(err)), 0);
    assert_null(r.expect);
    client_req_fini(&r);
}

/* ------------------------------------------------------------------ connection ---- */

typedef struct fixture {
    evloop *loop;
    int lfd;
    client_target target;
    client_conn c;
    char rbuf[CLIENT_RBUF_SIZE];
    int ndone;
    client_result res;
    int sfd;        /* server side of the current connection */
    char req[4096]; /* the last request head the server read */
} fixture;

static void on_done(client_conn *c, const client_result *r)
{
    fixture *f = c->owner;
    f->ndone++;
    f->res = *r;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->loop = evloop_create();
    assert_non_null(f->loop);
    f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(f->lfd, 16), 0);
    socklen_t al = sizeof(a);
    getsockname(f->lfd, (struct sockaddr *)&a, &al);
    client_target_set_addr(&f->target, (const struct sockaddr *)&a, sizeof(a));
    f->target.connect_timeout_ns = 2 * CLOCK_NS_PER_SEC;
    f->target.request_timeout_ns = 2 * CLOCK_NS_PER_SEC;
    client_conn_init(&f->c, f->loop, &f->target, f->rbuf, sizeof(f->rbuf), on_done, f, 1);
    f->sfd = -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    client_close(&f->c);
    if (f->sfd >= 0)
        close(f->sfd);
    close(f->lfd);
    evloop_destroy(f->loop);
    free(f);
    return 0;
}

/* Runs the loop until the done callback ran `want` times in total or 3 s passed. */
static void spin_until(fixture *f, int want)
{
    mono_ns until = clock_mono_now() + 3 * CLOCK_NS_PER_SEC;
    while (f->ndone < want && clock_mono_now() < until) {
        /* A short poll keeps each step bounded without relying on the client's state. */
        evloop_run_once(f->loop, false);
        struct pollfd p = {.fd = f->lfd, .events = 0};
        poll(&p, 1, 1);
    }
}

static void spin_a_bit(fixture *f)
{
    for (int i = 0; i < 5; i++) {
        evloop_run_once(f->loop, false);
        struct pollfd p = {.fd = f->lfd, .events = 0};
        poll(&p, 1, 1);
    }
}

static const char *current_case = "";

/* Accepts the client's connection (if new) and reads one request head. */
static void server_read_request(fixture *f, bool new_conn)
{
    if (new_conn) {
        if (f->sfd >= 0)
            close(f->sfd);
        f->sfd = -1;
        for (int i = 0; i < 300 && f->sfd < 0; i++) {
            spin_a_bit(f);
            f->sfd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        }
        assert_true(f->sfd >= 0);
    }
    char buf[4096];
    size_t n = 0;
    for (int i = 0; i < 1000; i++) {
        spin_a_bit(f);
        ssize_t r = recv(f->sfd, buf + n, sizeof(buf) - n - 1, 0);
        if (r > 0)
            n += (size_t)r;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n")) {
            memcpy(f->req, buf, n + 1);
            return;
        }
    }
    fail_msg("%s: no request arrived (client state %d, %zu bytes)", current_case, f->c.state, n);
}

static void server_send(fixture *f, const char *data, size_t n, size_t piece)
{
    for (size_t off = 0; off < n;) {
        size_t k = piece && n - off > piece ? piece : n - off;
        ssize_t w = send(f->sfd, data + off, k, MSG_NOSIGNAL);
        if (w < 0 && errno == EAGAIN) {
            spin_a_bit(f);
            continue;
        }
        if (w <= 0)
            return; /* the client gave up early (an error case): that is its right */
        off += (size_t)w;
        if (piece)
            spin_a_bit(f);
    }
}

typedef struct resp_case {
    const char *name;
    const char *method;
    int expect_status;
    const char *expect_body;
    const char *response;
    bool close_after; /* server closes after sending */
    int kind;
    int status;
    int state; /* client state after the result */
} resp_case;

static const resp_case resp_cases[] = {
    {"content-length", NULL, 0, NULL, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, STATS_OK, 200,
     CLIENT_IDLE},
    {"bare LF head", NULL, 0, NULL, "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false, STATS_OK, 200, CLIENT_IDLE},
    {"chunked, match across chunks", NULL, 0, "lo wo",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n", false,
     STATS_OK, 200, CLIENT_IDLE},
    {"body_contains missing", NULL, 0, "Hello World!", "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nHello World",
     false, STATS_ERR_EXPECTATION, 200, CLIENT_IDLE},
    {"body_contains with overlap (KMP)", NULL, 0, "aab", "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\naaaaaab", false,
     STATS_OK, 200, CLIENT_IDLE},
    {"body_contains with NUL bytes", NULL, 0, "b", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n\0\0b", false, STATS_OK,
     200, CLIENT_IDLE},
    {"500 is an error by default", NULL, 0, NULL, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
     false, STATS_ERR_STATUS, 500, CLIENT_IDLE},
    {"302 is fine by default, not followed", NULL, 0, NULL,
     "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", false, STATS_OK, 302, CLIENT_IDLE},
    {"expected status differs", NULL, 201, NULL, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false,
     STATS_ERR_STATUS, 200, CLIENT_IDLE},
    {"expected 404", NULL, 404, NULL, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false, STATS_OK, 404,
     CLIENT_IDLE},
    {"until close", NULL, 0, "abc", "HTTP/1.1 200 OK\r\n\r\nxxabc", true, STATS_OK, 200, CLIENT_CLOSED},
    {"Connection: close", NULL, 0, NULL, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false,
     STATS_OK, 200, CLIENT_CLOSED},
    {"HTTP/1.0 without keep-alive", NULL, 0, NULL, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false, STATS_OK,
     200, CLIENT_CLOSED},
    {"HEAD with a Content-Length", "HEAD", 0, NULL, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", false, STATS_OK,
     200, CLIENT_IDLE},
    {"204", NULL, 0, NULL, "HTTP/1.1 204 No Content\r\n\r\n", false, STATS_OK, 204, CLIENT_IDLE},
    {"100 Continue first", NULL, 0, NULL, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
     false, STATS_OK, 200, CLIENT_IDLE},
    {"101 without asking", NULL, 0, NULL, "HTTP/1.1 101 Switching Protocols\r\n\r\n", false, STATS_ERR_BAD_RESPONSE, 0,
     CLIENT_CLOSED},
    {"garbage", NULL, 0, NULL, "HTTX/1.1 200 OK\r\n\r\n", false, STATS_ERR_BAD_RESPONSE, 0, CLIENT_CLOSED},
    {"NUL in head", NULL, 0, NULL, "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", false, STATS_ERR_BAD_RESPONSE, 0,
     CLIENT_CLOSED},
    {"bad chunk size", NULL, 0, NULL, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false,
     STATS_ERR_BAD_RESPONSE, 200, CLIENT_CLOSED},
    {"two Content-Lengths", NULL, 0, NULL, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", false,
     STATS_ERR_BAD_RESPONSE, 0, CLIENT_CLOSED},
    {"closed mid-body", NULL, 0, NULL, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true, STATS_ERR_RESET, 200,
     CLIENT_CLOSED},
    {"closed before any byte", NULL, 0, NULL, "", true, STATS_ERR_RESET, 0, CLIENT_CLOSED},
    {"extra bytes after the response", NULL, 0, NULL, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxJUNK", false,
     STATS_OK, 200, CLIENT_CLOSED},
};

/* Sizes for the response split: whole, every byte, and a few odd pieces. */
static const size_t pieces[] = {0, 1, 2, 3, 7};

static void run_resp_case(fixture *f, const resp_case *rc, size_t piece)
{
    plan p = make_plan("127.0.0.1", 1, "", NULL, 0);
    plan_request pr = {.label = "r",
                       .method = (char *)rc->method,
                       .path = "/",
                       .expect_status = rc->expect_status,
                       .expect_body = (char *)rc->expect_body};
    client_req req;
    char err[128];
    assert_int_equal(client_req_render(&req, &p, &pr, 0, err, sizeof(err)), 0);
    /* Response lengths are computed with the embedded NULs of some cases in mind. */
    size_t n = strlen(rc->response);
    if (strcmp(rc->name, "body_contains with NUL bytes") == 0)
        n = strlen(rc->response) + 3;
    if (strcmp(rc->name, "NUL in head") == 0)
        n = 27;
    f->ndone = 0;
    current_case = rc->name;
    mono_ns t0 = clock_mono_now();
    client_send(&f->c, &req, t0);
    assert_int_equal(f->ndone, 0); /* never from inside client_send */
    server_read_request(f, true);
    server_send(f, rc->response, n, piece);
    if (rc->close_after) {
        close(f->sfd);
        f->sfd = -1;
    }
    spin_until(f, 1);
    if (f->ndone != 1)
        fail_msg("%s (piece %zu): no result", rc->name, piece);
    if (f->res.kind != rc->kind || f->res.status != rc->status || f->c.state != rc->state)
        fail_msg("%s (piece %zu): kind %d status %d state %d, want %d %d %d", rc->name, piece, f->res.kind,
                 f->res.status, f->c.state, rc->kind, rc->status, rc->state);
    assert_true(f->res.connected);
    assert_true(f->res.t_done >= f->res.t_send && f->res.t_send >= t0);
    assert_int_equal(f->res.bytes_tx, req.wire_len);
    client_close(&f->c);
    client_req_fini(&req);
}

static void test_responses(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++)
        for (size_t j = 0; j < sizeof(pieces) / sizeof(pieces[0]); j++)
            run_resp_case(f, &resp_cases[i], pieces[j]);
}

/* The same responses with a thread scratch buffer (client_conn.scratch): the results are
 * the same, and a response that arrives in one read never touches the connection's own
 * buffer (what keeps an idle connection's pages out of RSS). */
static void test_responses_scratch(void **state)
{
    fixture *f = *state;
    static char scratch[CLIENT_RBUF_SIZE];
    static const char zero[CLIENT_RBUF_SIZE];
    for (size_t i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++)
        for (size_t j = 0; j < sizeof(pieces) / sizeof(pieces[0]); j++) {
            memset(f->rbuf, 0, sizeof(f->rbuf));
            f->c.scratch = scratch;
            run_resp_case(f, &resp_cases[i], pieces[j]);
            if (pieces[j] == 0 && memcmp(f->rbuf, zero, sizeof(zero)) != 0)
                fail_msg("%s: a whole response was copied to the connection's buffer", resp_cases[i].name);
        }
}

static void test_head_too_big(void **state)
{
    fixture *f = *state;
    plan p = make_plan("127.0.0.1", 1, "", NULL, 0);
    plan_request pr = {.label = "r", .path = "/"};
    client_req req;
    char err[128];
    assert_int_equal(client_req_render(&req, &p, &pr, 0, err, sizeof(err)), 0);
    client_send(&f->c, &req, clock_mono_now());
    server_read_request(f, true);
    static char big[CLIENT_RBUF_SIZE + 100];
    memset(big, 'a', sizeof(big));
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    server_send(f, big, sizeof(big), 0);
    spin_until(f, 1);
    assert_int_equal(f->ndone, 1);
    assert_int_equal(f->res.kind, STATS_ERR_BAD_RESPONSE);
    client_req_fini(&req);
}

/* Keep-alive: the second request reuses the socket; after the server closes the idle
 * connection, the third is resent on a new connection without an error. */
static void test_keepalive_and_retry(void **state)
{
    fixture *f = *state;
    plan p = make_plan("127.0.0.1", 1, "", NULL, 0);
    plan_request pr = {.label = "r", .path = "/"};
    client_req req;
    char err[128];
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    assert_int_equal(client_req_render(&req, &p, &pr, 0, err, sizeof(err)), 0);

    client_send(&f->c, &req, clock_mono_now());
    server_read_request(f, true);
    server_send(f, ok, sizeof(ok) - 1, 0);
    spin_until(f, 1);
    assert_int_equal(f->res.kind, STATS_OK);
    assert_true(f->res.connected);
    int fd1 = f->c.io.fd;

    client_send(&f->c, &req, clock_mono_now());
    server_read_request(f, false);
    server_send(f, ok, sizeof(ok) - 1, 0);
    spin_until(f, 2);
    assert_int_equal(f->res.kind, STATS_OK);
    assert_false(f->res.connected);
    assert_int_equal(f->c.io.fd, fd1);
    assert_int_equal(f->c.served, 2);

    /* The server drops the idle connection; the request races with the close. */
    shutdown(f->sfd, SHUT_RDWR);
    client_send(&f->c, &req, clock_mono_now());
    server_read_request(f, true);
    server_send(f, ok, sizeof(ok) - 1, 0);
    spin_until(f, 3);
    assert_int_equal(f->ndone, 3);
    assert_int_equal(f->res.kind, STATS_OK);
    assert_true(f->res.connected);
    client_req_fini(&req);
}

static void test_connect_refused_and_timeout(void **state)
{
    fixture *f = *state;
    plan p = make_plan("127.0.0.1", 1, "", NULL, 0);
    plan_request pr = {.label = "r", .path = "/"};
    client_req req;
    char err[128];
    assert_int_equal(client_req_render(&req, &p, &pr, 0, err, sizeof(err)), 0);

    /* A port nobody listens on. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    client_target dead = f->target;
    client_target_set_addr(&dead, (const struct sockaddr *)&a, sizeof(a));
    client_conn c;
    char rbuf[1024];
    client_conn_init(&c, f->loop, &dead, rbuf, sizeof(rbuf), on_done, f, 2);
    f->ndone = 0;
    client_send(&c, &req, clock_mono_now());
    assert_int_equal(f->ndone, 0);
    spin_until(f, 1);
    assert_int_equal(f->ndone, 1);
    assert_int_equal(f->res.kind, STATS_ERR_CONNECT_REFUSED);
    assert_true(f->res.conn_failed);
    assert_int_equal(c.state, CLIENT_CLOSED);

    /* Request timeout: the server never answers. */
    client_send(&f->c, &req, clock_mono_now());
    server_read_request(f, true);
    client_check_timeout(&f->c, clock_mono_now());
    assert_int_equal(f->ndone, 1); /* not yet due */
    client_check_timeout(&f->c, clock_mono_now() + 3 * CLOCK_NS_PER_SEC);
    assert_int_equal(f->ndone, 2);
    assert_int_equal(f->res.kind, STATS_ERR_TIMEOUT);
    assert_int_equal(f->c.state, CLIENT_CLOSED);
    client_req_fini(&req);
}

/* The generator's own limits are a kind of their own, never the target's refusal. */
static void test_local_limit(void **state)
{
    fixture *f = *state;
    static const struct {
        int e, kind;
    } map[] = {
        {EMFILE, STATS_ERR_LOCAL_LIMIT},           {ENFILE, STATS_ERR_LOCAL_LIMIT},
        {EADDRNOTAVAIL, STATS_ERR_LOCAL_LIMIT},    {ENOBUFS, STATS_ERR_LOCAL_LIMIT},
        {ENOMEM, STATS_ERR_LOCAL_LIMIT},           {EAGAIN, STATS_ERR_LOCAL_LIMIT},
        {ENOSPC, STATS_ERR_LOCAL_LIMIT},           {ECONNREFUSED, STATS_ERR_CONNECT_REFUSED},
        {EHOSTUNREACH, STATS_ERR_CONNECT_REFUSED}, {ENETUNREACH, STATS_ERR_CONNECT_REFUSED},
        {ECONNRESET, STATS_ERR_CONNECT_REFUSED},   {ETIMEDOUT, STATS_ERR_CONNECT_TIMEOUT},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (client_kind_of_errno(map[i].e) != map[i].kind)
            fail_msg("errno %d (%s): kind %s, expected %s", map[i].e, strerror(map[i].e),
                     stats_err_name(client_kind_of_errno(map[i].e)), stats_err_name(map[i].kind));
    }
    assert_string_equal(stats_err_name(STATS_ERR_LOCAL_LIMIT), "local_limit");
    assert_true(stats_err_is_local(STATS_ERR_LOCAL_LIMIT));
    assert_false(stats_err_is_local(STATS_ERR_CONNECT_REFUSED));
    assert_false(stats_err_has_response(STATS_ERR_LOCAL_LIMIT));

    /* A real EMFILE: the soft limit at the lowest free descriptor, so socket() fails. */
    plan p = make_plan("127.0.0.1", 1, "", NULL, 0);
    plan_request pr = {.label = "r", .path = "/"};
    client_req req;
    char err[128];
    assert_int_equal(client_req_render(&req, &p, &pr, 0, err, sizeof(err)), 0);
    struct rlimit old, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    int lowest = dup(0);
    assert_true(lowest >= 0);
    close(lowest);
    low = old;
    low.rlim_cur = (rlim_t)lowest;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    f->ndone = 0;
    client_send(&f->c, &req, clock_mono_now());
    assert_int_equal(f->ndone, 0); /* reported from the loop, as every failure */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    spin_until(f, 1);
    assert_int_equal(f->ndone, 1);
    assert_int_equal(f->res.kind, STATS_ERR_LOCAL_LIMIT);
    assert_false(f->res.conn_failed); /* not a failure of the target */
    assert_false(f->res.connected);
    assert_int_equal(f->res.bytes_tx, 0);
    assert_int_equal(f->c.state, CLIENT_CLOSED);
    client_req_fini(&req);
}

static void test_resolve(void **state)
{
    fixture *f = *state;
    struct sockaddr_in *in = (struct sockaddr_in *)(void *)&f->target.first.a[0].sa;
    uint16_t port = ntohs(in->sin_port);
    client_target t;
    int kind = -1;
    char msg[128];
    assert_int_equal(client_target_resolve(&t, "127.0.0.1", port, CLOCK_NS_PER_SEC, &kind, msg, sizeof(msg)), 0);
    char want[64];
    snprintf(want, sizeof(want), "127.0.0.1:%u", (unsigned)port);
    assert_string_equal(msg, want);
    /* The probe connection is pending in the backlog: take it off. */
    int s = accept(f->lfd, NULL, NULL);
    if (s >= 0)
        close(s);
    assert_int_equal(client_target_resolve(&t, "no-such-host.invalid", port, CLOCK_NS_PER_SEC, &kind, msg, sizeof(msg)),
                     -1);
    assert_non_null(strstr(msg, "cannot resolve"));
}

static const char ok_resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* One request and its answer; new_conn: the server expects a new connection. */
static void exchange(fixture *f, const client_req *req, bool new_conn, const char *resp, int want)
{
    client_send(&f->c, req, clock_mono_now());
    server_read_request(f, new_conn);
    server_send(f, resp, strlen(resp), 0);
    spin_until(f, want);
    assert_int_equal(f->ndone, want);
    assert_int_equal(f->res.kind, STATS_OK);
    assert_int_equal(f->res.connected, new_conn);
}

/* Takes the connect probe of client_target_renew off listener l. */
static void drop_probe(int l)
{
    for (int i = 0; i < 300; i++) {
        int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        if (s >= 0) {
            close(s);
            return;
        }
        poll(NULL, 0, 1);
    }
    fail_msg("no probe connection arrived");
}

/* A renewal that moves the target from 127.0.0.1 to 127.0.0.2 (the same port): an idle
 * kept-alive connection reconnects to the new address on its next request; one busy when
 * the set changes is closed after its response; an unchanged answer or a failed lookup
 * keep the set. */
static void test_renew(void **state)
{
    fixture *f = *state;
    struct sockaddr_in a = *(struct sockaddr_in *)(void *)&f->target.first.a[0].sa;
    uint16_t port = ntohs(a.sin_port);
    int l1 = f->lfd, l2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
    if (l2 < 0 || bind(l2, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(l2, 16) != 0) {
        if (l2 >= 0)
            close(l2);
        skip(); /* 127.0.0.2 not on lo, or its port taken */
    }
    fcntl(l1, F_SETFL, fcntl(l1, F_GETFL) | O_NONBLOCK);
    plan p = make_plan("127.0.0.1", port, "", NULL, 0);
    plan_request pr = {.label = "r", .path = "/"};
    client_req req;
    char err[128], msg[256], want[64];
    assert_int_equal(client_req_render(&req, &p, &pr, 0, err, sizeof(err)), 0);

    exchange(f, &req, true, ok_resp, 1);
    assert_int_equal(f->c.state, CLIENT_IDLE);

    assert_int_equal(client_target_renew(&f->target, "127.0.0.2", port, msg, sizeof(msg)), 1);
    snprintf(want, sizeof(want), "127.0.0.2:%u", (unsigned)port);
    assert_string_equal(msg, want);
    drop_probe(l2);
    client_target_format(&f->target, msg, sizeof(msg));
    assert_string_equal(msg, want);
    assert_int_equal(client_target_renew(&f->target, "127.0.0.2", port, msg, sizeof(msg)), 0); /* known: no probe */
    assert_int_equal(client_target_renew(&f->target, "no-such-host.invalid", port, msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "cannot resolve"));

    /* The idle connection to .1 moves to .2 on its next request. */
    f->lfd = l2;
    client_send(&f->c, &req, clock_mono_now());
    server_read_request(f, true);
    struct sockaddr_in local;
    socklen_t ll = sizeof(local);
    assert_int_equal(getsockname(f->sfd, (struct sockaddr *)&local, &ll), 0);
    assert_int_equal(ntohl(local.sin_addr.s_addr), INADDR_LOOPBACK + 1);
    /* The set changes back while this request is in flight: closed after its response. */
    assert_int_equal(client_target_renew(&f->target, "127.0.0.1", port, msg, sizeof(msg)), 1);
    drop_probe(l1);
    server_send(f, ok_resp, strlen(ok_resp), 0);
    spin_until(f, 2);
    assert_int_equal(f->res.kind, STATS_OK);
    assert_true(f->res.connected);
    assert_int_equal(f->c.state, CLIENT_CLOSED);
    assert_true(f->c.io.fd < 0);
    f->lfd = l1;
    close(l2);
    client_req_fini(&req);
    client_target_fini(&f->target);
}

/* The second rendering: `Connection: close` instead of the plan's Connection header. */
static void test_render_close(void **state)
{
    (void)state;
    static plan_header ph[] = {{"Connection", "keep-alive"}, {"X-Plan", "p"}};
    static plan_header rh[] = {{"connection", "Upgrade"}};
    plan p = make_plan("h", 8080, "", ph, 2);
    plan_request pr = {.label = "r", .method = "POST", .path = "/x", .body = "ab", .body_len = 2};
    client_req r;
    char err[128];
    assert_int_equal(client_req_render(&r, &p, &pr, 0, err, sizeof(err)), 0);
    char got[512];
    got[normalize(r.wire, r.wire_len, got, sizeof(got) - 1)] = '\0';
    assert_string_equal(got, "POST /x HTTP/1.1\r\nHost: h:8080\r\n" UA
                             "Connection: keep-alive\r\nX-Plan: p\r\nContent-Length: 2\r\n\r\nab");
    got[normalize(r.wire_close, r.wire_close_len, got, sizeof(got) - 1)] = '\0';
    assert_string_equal(got, "POST /x HTTP/1.1\r\nHost: h:8080\r\n" UA
                             "X-Plan: p\r\nConnection: close\r\nContent-Length: 2\r\n\r\nab");
    assert_int_equal(r.wire_close_len, strlen(r.wire_close));
    client_req_fini(&r);
    pr.headers = rh;
    pr.n_headers = 1;
    assert_int_equal(client_req_render(&r, &p, &pr, 0, err, sizeof(err)), 0);
    assert_non_null(strstr(r.wire, "connection: Upgrade\r\n"));
    assert_null(strstr(r.wire, "keep-alive"));
    assert_null(strstr(r.wire_close, "Upgrade"));
    assert_non_null(strstr(r.wire_close, "Connection: close\r\n"));
    client_req_fini(&r);
}

/* keep_alive false, max_requests_per_connection, connection_lifetime (plan_conn). */
static void test_conn_control(void **state)
{
    fixture *f = *state;
    plan p = make_plan("127.0.0.1", 1, "", NULL, 0);
    plan_request pr = {.label = "r", .path = "/"};
    client_req req;
    char err[128];
    assert_int_equal(client_req_render(&req, &p, &pr, 0, err, sizeof(err)), 0);

    /* max 3: requests 1 and 2 reuse the connection, 3 says close; the 4th opens a new one. */
    plan_conn ctl = {false, 3, 0};
    f->c.ctl = &ctl;
    exchange(f, &req, true, ok_resp, 1);
    assert_null(strstr(f->req, "Connection: close"));
    exchange(f, &req, false, ok_resp, 2);
    assert_null(strstr(f->req, "Connection: close"));
    assert_int_equal(f->c.state, CLIENT_IDLE);
    exchange(f, &req, false, ok_resp, 3);
    assert_non_null(strstr(f->req, "Connection: close\r\n"));
    assert_int_equal(f->c.state, CLIENT_CLOSED); /* closed by us, the server kept it open */
    exchange(f, &req, true, ok_resp, 4);
    assert_null(strstr(f->req, "Connection: close"));

    /* max 1 and keep_alive false: every request says close and gets a connection. */
    plan_conn one = {false, 1, 0}, noka = {true, 0, 0};
    f->c.ctl = &one;
    client_close(&f->c);
    exchange(f, &req, true, ok_resp, 5);
    assert_non_null(strstr(f->req, "Connection: close\r\n"));
    assert_int_equal(f->c.state, CLIENT_CLOSED);
    f->c.ctl = &noka;
    exchange(f, &req, true, ok_resp, 6);
    assert_non_null(strstr(f->req, "Connection: close\r\n"));
    assert_int_equal(f->c.state, CLIENT_CLOSED);
    exchange(f, &req, true, ok_resp, 7);

    /* lifetime 30 ms: a young connection is reused; one found idle past it is replaced
     * before the request goes out (one-sided: we wait longer than the lifetime). */
    plan_conn life = {false, 0, 30 * CLOCK_NS_PER_MS};
    f->c.ctl = &life;
    exchange(f, &req, true, ok_resp, 8);
    assert_null(strstr(f->req, "Connection: close"));
    usleep(40000);
    assert_int_equal(f->c.state, CLIENT_IDLE);
    exchange(f, &req, true, ok_resp, 9);
    /* A response that completes past the lifetime closes the connection after it. */
    client_send(&f->c, &req, clock_mono_now());
    server_read_request(f, false);
    usleep(40000);
    server_send(f, ok_resp, strlen(ok_resp), 0);
    spin_until(f, 10);
    assert_int_equal(f->res.kind, STATS_OK);
    assert_false(f->res.connected);
    assert_int_equal(f->c.state, CLIENT_CLOSED);
    client_req_fini(&req);
}

/* X-Served-By: looked up in the table as the head is parsed, reported per result. */
static void test_served_by(void **state)
{
    fixture *f = *state;
    instances *t = malloc(sizeof(*t));
    assert_non_null(t);
    assert_int_equal(instances_init(t, 1), 0);
    f->c.inst = t;
    plan p = make_plan("127.0.0.1", 1, "", NULL, 0);
    plan_request pr = {.label = "r", .path = "/"};
    client_req req;
    char err[128];
    assert_int_equal(client_req_render(&req, &p, &pr, 0, err, sizeof(err)), 0);
    static const struct {
        const char *resp;
        int instance;
    } stream[] = {
        {"HTTP/1.1 200 OK\r\nX-Served-By: ms-a\r\nContent-Length: 2\r\n\r\nok", 0},
        {"HTTP/1.1 200 OK\r\nx-served-by:   ms-b  \r\nContent-Length: 2\r\n\r\nok", 1},
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", -1},
        {"HTTP/1.1 200 OK\r\nX-Served-By: ms-a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 0},
        {"HTTP/1.1 100 Continue\r\nX-Served-By: ms-c\r\n\r\nHTTP/1.1 200 OK\r\nX-Served-By: ms-b\r\n"
         "Content-Length: 0\r\n\r\n",
         1},
        {"HTTP/1.1 200 OK\r\nX-Served-By: \r\nContent-Length: 2\r\n\r\nok", INSTANCES_OTHER},
    };
    for (size_t i = 0; i < sizeof(stream) / sizeof(stream[0]); i++) {
        exchange(f, &req, i == 0, stream[i].resp, (int)i + 1);
        if (f->res.instance != stream[i].instance)
            fail_msg("response %zu: instance %d, want %d", i + 1, f->res.instance, stream[i].instance);
        if (f->res.instance >= 0)
            instances_count(t, 0, (unsigned)f->res.instance);
    }
    assert_int_equal(t->n, 2);
    assert_string_equal(t->name[0], "ms-a");
    assert_string_equal(t->name[1], "ms-b");
    assert_int_equal(instances_get(t, 0, 0), 2);
    assert_int_equal(instances_get(t, INSTANCES_TOTAL, 1), 2);
    assert_int_equal(instances_get(t, INSTANCES_TOTAL, INSTANCES_OTHER), 1);
    assert_int_equal(instances_responses(t), 5);
    client_close(&f->c);
    client_req_fini(&req);
    instances_fini(t);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_render_expect),
        cmocka_unit_test_setup_teardown(test_responses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_responses_scratch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_too_big, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keepalive_and_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused_and_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renew, setup, teardown),
        cmocka_unit_test(test_render_close),
        cmocka_unit_test_setup_teardown(test_conn_control, setup, teardown),
        cmocka_unit_test_setup_teardown(test_served_by, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
