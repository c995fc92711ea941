/* client.c - HTTP/1.1 client connection: pre-rendered requests, in-place response parsing.
 *
 * Per request on a kept-alive connection the hot path is: one send() (the socket is
 * always watched for EV_READ, so no epoll_ctl), one recv() (more only for bodies larger
 * than the buffer) and the parse of the head in place; two clock reads. Nothing allocates.
 */
#include "client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "stats.h"

#ifndef PT_VERSION
#define PT_VERSION "unknown"
#endif

/* ------------------------------------------------------------------ target -------- */

static int kind_of_errno(int e)
{
    return e == ETIMEDOUT ? STATS_ERR_CONNECT_TIMEOUT : STATS_ERR_CONNECT_REFUSED;
}

static void format_addr(const struct sockaddr *sa, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
        snprintf(out, outlen, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
        snprintf(out, outlen, "[%s]:%u", host, port);
    } else {
        snprintf(out, outlen, "?");
    }
}

/* Blocking-with-timeout connect probe. Returns 0 or an errno value. */
static int probe(const struct sockaddr *sa, socklen_t len, uint64_t timeout_ns)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int e = 0;
    if (connect(fd, sa, len) != 0) {
        e = errno;
        if (e == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            uint64_t ms = timeout_ns / CLOCK_NS_PER_MS;
            int r = poll(&p, 1, ms > 600000 ? 600000 : (int)ms);
            if (r == 0) {
                e = ETIMEDOUT;
            } else if (r < 0) {
                e = errno;
            } else {
                socklen_t el = sizeof(e);
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
                    e = errno;
            }
        }
    }
    close(fd);
    return e;
}

int client_target_resolve(client_target *t, const char *host, uint16_t port,
                          uint64_t connect_timeout_ns, int *kind, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    /* No AI_ADDRCONFIG: it hides ::1 on hosts without a global IPv6 address, and every
     * candidate is probed anyway. */
    hints.ai_flags = AI_NUMERICSERV;
    char ps[8];
    snprintf(ps, sizeof(ps), "%u", (unsigned)port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int last = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(t->addr))
            continue;
        last = probe(ai->ai_addr, ai->ai_addrlen, connect_timeout_ns);
        if (last == 0) {
            memset(&t->addr, 0, sizeof(t->addr));
            memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
            t->addrlen = ai->ai_addrlen;
            format_addr(ai->ai_addr, err, errlen);
            freeaddrinfo(res);
            return 0;
        }
    }
    freeaddrinfo(res);
    *kind = kind_of_errno(last);
    snprintf(err, errlen, "%s", last == ETIMEDOUT || last == ECONNREFUSED
                                    ? stats_err_text(*kind) : strerror(last));
    return -2;
}

/* ------------------------------------------------------------------ rendering ----- */

static bool is_tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static bool is_token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return false;
    return true;
}

/* Field values: visible ASCII, obs-text, SP and HTAB; no CR, LF, NUL or other controls. */
static bool is_field_value(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return false;
    }
    return true;
}

/* Request targets are sent as written; only visible ASCII is allowed on the wire. */
static bool is_target(const char *s)
{
    if (!s)
        return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= 0x20 || ch >= 0x7f)
            return false;
    }
    return true;
}

static bool has_header(const plan_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(h[i].name, name) == 0)
            return true;
    return false;
}

static bool method_has_body(const char *m)
{
    return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;
}

static void host_port(const plan_url *u, char *out, size_t outlen)
{
    bool v6 = strchr(u->host, ':') != NULL;
    snprintf(out, outlen, v6 ? "[%s]:%u" : "%s:%u", u->host, (unsigned)u->port);
}

static int check_headers(const plan_header *h, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_token(h[i].name) || !h[i].value || !is_field_value(h[i].value)) {
            snprintf(err, errlen, "header \"%s\": invalid name or value for HTTP",
                     h[i].name ? h[i].name : "");
            return -1;
        }
        if (strcasecmp(h[i].name, "content-length") == 0 ||
            strcasecmp(h[i].name, "transfer-encoding") == 0) {
            snprintf(err, errlen, "header %s is computed by ptest; remove it from the plan",
                     h[i].name);
            return -1;
        }
    }
    return 0;
}

int client_req_render(client_req *r, const plan *p, const plan_request *pr, uint32_t label,
                      char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    buf b = BUF_INIT, u = BUF_INIT;
    const char *method = pr->method && *pr->method ? pr->method : "GET";
    const char *base = p->target.base_path ? p->target.base_path : "";
    if (!is_token(method)) {
        snprintf(err, errlen, "request %s: invalid method \"%s\"", pr->label, method);
        return -1;
    }
    if (!pr->path || pr->path[0] != '/' || !is_target(pr->path) || !is_target(base)) {
        snprintf(err, errlen, "request %s: invalid path \"%s\"", pr->label,
                 pr->path ? pr->path : "");
        return -1;
    }
    if (check_headers(p->headers, p->n_headers, err, errlen) != 0 ||
        check_headers(pr->headers, pr->n_headers, err, errlen) != 0)
        return -1;

    buf_printf(&b, "%s %s%s HTTP/1.1\r\n", method, base, pr->path);
    if (!has_header(pr->headers, pr->n_headers, "host") &&
        !has_header(p->headers, p->n_headers, "host"))
        buf_printf(&b, "Host: %s\r\n", p->target.authority);
    if (!has_header(pr->headers, pr->n_headers, "user-agent") &&
        !has_header(p->headers, p->n_headers, "user-agent"))
        buf_puts(&b, "User-Agent: ptest/" PT_VERSION "\r\n");
    /* Plan-wide headers first, unless the request overrides the same name. */
    for (size_t i = 0; i < p->n_headers; i++)
        if (!has_header(pr->headers, pr->n_headers, p->headers[i].name))
            buf_printf(&b, "%s: %s\r\n", p->headers[i].name, p->headers[i].value);
    for (size_t i = 0; i < pr->n_headers; i++)
        buf_printf(&b, "%s: %s\r\n", pr->headers[i].name, pr->headers[i].value);
    if (pr->body || method_has_body(method))
        buf_printf(&b, "Content-Length: %zu\r\n", pr->body ? pr->body_len : (size_t)0);
    buf_puts(&b, "\r\n");
    if (pr->body && pr->body_len > 0)
        buf_append(&b, pr->body, pr->body_len);

    char hpa[300];
    host_port(&p->target, hpa, sizeof(hpa));
    buf_printf(&u, "http://%s%s%s", hpa, base, pr->path);
    if (!buf_ok(&b) || !buf_ok(&u))
        goto nomem;

    r->src = pr;
    r->label = label;
    r->head = strcmp(method, "HEAD") == 0;
    r->expect_status = pr->expect_status;
    if (pr->expect_body && *pr->expect_body) {
        size_t m = strlen(pr->expect_body);
        r->expect = malloc(m + 1);
        r->kmp = malloc(m * sizeof(*r->kmp));
        if (!r->expect || !r->kmp)
            goto nomem;
        memcpy(r->expect, pr->expect_body, m + 1);
        r->expect_len = m;
        /* kmp[i]: length of the longest proper prefix of expect[0..i] that is also a
         * suffix of it, so a mismatch falls back without re-reading body bytes. */
        r->kmp[0] = 0;
        uint32_t k = 0;
        for (size_t i = 1; i < m; i++) {
            while (k > 0 && r->expect[i] != r->expect[k])
                k = r->kmp[k - 1];
            if (r->expect[i] == r->expect[k])
                k++;
            r->kmp[i] = k;
        }
    }
    r->wire = b.data;
    r->wire_len = b.len;
    r->url = u.data;
    return 0;
nomem:
    buf_free(&b);
    buf_free(&u);
    free(r->expect);
    free(r->kmp);
    memset(r, 0, sizeof(*r));
    snprintf(err, errlen, "out of memory");
    return -1;
}

void client_req_free(client_req *r)
{
    free(r->wire);
    free(r->expect);
    free(r->kmp);
    free(r->url);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ connection ---- */

static void on_io(ev_loop *loop, ev_io *w, uint32_t events);
static void on_defer(ev_loop *loop, ev_timer *t);

void client_conn_init(client_conn *c, ev_loop *loop, const client_target *target, char *rbuf,
                      size_t rcap, client_done_fn done, void *owner, uint32_t id)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->target = target;
    c->done = done;
    c->owner = owner;
    c->id = id;
    c->rbuf = rbuf;
    c->rcap = rcap;
    c->state = CLIENT_CLOSED;
    ev_io_init(&c->io, -1, on_io, c);
    ev_timer_init(&c->defer, on_defer, c);
}

static void close_socket(client_conn *c)
{
    if (c->io.fd >= 0) {
        ev_io_stop(c->loop, &c->io);
        close(c->io.fd);
        c->io.fd = -1;
    }
    c->served = 0;
    c->rlen = 0;
}

void client_close(client_conn *c)
{
    ev_timer_stop(c->loop, &c->defer);
    close_socket(c);
    c->state = CLIENT_CLOSED;
    c->req = NULL;
}

static void deliver(client_conn *c, int kind, mono_ns now)
{
    client_result r;
    r.kind = kind;
    r.status = c->head_done ? c->status : 0;
    r.intended = c->intended;
    r.t_send = c->t_send;
    r.t_first = c->t_first;
    r.t_done = now;
    r.connect_ns = c->connect_ns;
    r.connected = c->connected_now;
    r.conn_failed = kind == STATS_ERR_CONNECT_REFUSED || kind == STATS_ERR_CONNECT_TIMEOUT;
    r.bytes_rx = c->bytes_rx;
    r.bytes_tx = c->t_send ? c->sent : 0;
    c->req = NULL;
    c->gen++;
    c->done(c, &r);
}

static void fail(client_conn *c, int kind)
{
    close_socket(c);
    c->state = CLIENT_CLOSED;
    deliver(c, kind, clock_mono_now());
}

static void fail_later(client_conn *c, int kind)
{
    close_socket(c);
    c->state = CLIENT_FAILING;
    c->fail_kind = kind;
    ev_timer_start(c->loop, &c->defer, ev_now(c->loop));
}

static void on_defer(ev_loop *loop, ev_timer *t)
{
    (void)loop;
    client_conn *c = t->data;
    if (c->state == CLIENT_FAILING) {
        c->state = CLIENT_CLOSED;
        deliver(c, c->fail_kind, clock_mono_now());
    }
}

static void reset_response(client_conn *c)
{
    c->head_done = false;
    c->matched = false;
    c->keep_alive = false;
    c->status = 0;
    c->remaining = 0;
    c->match = 0;
    c->bytes_rx = 0;
    c->t_first = 0;
    c->rlen = 0;
}

static void do_send(client_conn *c);

/* Opens the socket and starts connecting. Returns 0 or a stats_err kind. */
static int start_connect(client_conn *c)
{
    const client_target *t = c->target;
    int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return STATS_ERR_CONNECT_REFUSED;
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->t_conn = clock_mono_now();
    c->served = 0;
    ev_io_init(&c->io, fd, on_io, c);
    if (connect(fd, (const struct sockaddr *)&t->addr, t->addrlen) == 0) {
        if (ev_io_start(c->loop, &c->io, EV_READ) != 0)
            goto fail;
        c->connect_ns = clock_mono_now() - c->t_conn;
        c->connected_now = true;
        return 0;
    }
    if (errno != EINPROGRESS) {
        int kind = kind_of_errno(errno);
        close(fd);
        c->io.fd = -1;
        return kind;
    }
    if (ev_io_start(c->loop, &c->io, EV_WRITE) != 0)
        goto fail;
    c->state = CLIENT_CONNECTING;
    return 0;
fail:
    close(fd);
    c->io.fd = -1;
    return STATS_ERR_CONNECT_REFUSED;
}

/* Starts (or restarts, for the keep-alive retry) the exchange on the current socket. */
static void begin(client_conn *c)
{
    if (c->io.fd < 0) {
        int kind = start_connect(c);
        if (kind != 0) {
            fail_later(c, kind);
            return;
        }
        if (c->state == CLIENT_CONNECTING)
            return;
    }
    do_send(c);
}

void client_send(client_conn *c, const client_req *req, mono_ns intended)
{
    c->req = req;
    c->intended = intended;
    c->t_send = 0;
    c->sent = 0;
    c->connect_ns = 0;
    c->connected_now = false;
    c->retried = false;
    reset_response(c);
    c->state = CLIENT_SENDING;
    begin(c);
}

/* A reused connection that dies before answering was most likely closed by the server
 * while idle (keep-alive timeout racing our request): resend once on a new connection
 * instead of reporting a server failure. */
static bool may_retry(const client_conn *c)
{
    return c->served > 0 && !c->retried && c->bytes_rx == 0;
}

static void retry_or_fail(client_conn *c, int kind)
{
    if (!may_retry(c)) {
        fail(c, kind);
        return;
    }
    close_socket(c);
    c->retried = true;
    c->t_send = 0;
    c->sent = 0;
    reset_response(c);
    c->state = CLIENT_SENDING;
    begin(c);
}

static void do_send(client_conn *c)
{
    const client_req *r = c->req;
    if (c->t_send == 0)
        c->t_send = clock_mono_now();
    while (c->sent < r->wire_len) {
        ssize_t n = send(c->io.fd, r->wire + c->sent, r->wire_len - c->sent, MSG_NOSIGNAL);
        if (n > 0) {
            c->sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->state = CLIENT_SENDING;
            if (c->io.events != (EV_READ | EV_WRITE) &&
                ev_io_set(c->loop, &c->io, EV_READ | EV_WRITE) != 0)
                fail(c, STATS_ERR_RESET);
            return;
        }
        retry_or_fail(c, STATS_ERR_RESET);
        return;
    }
    c->state = CLIENT_WAITING;
    if (c->io.events != EV_READ && ev_io_set(c->loop, &c->io, EV_READ) != 0)
        fail(c, STATS_ERR_RESET);
}

static void on_connected(client_conn *c)
{
    int e = 0;
    socklen_t el = sizeof(e);
    if (getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
        e = errno;
    if (e == EINPROGRESS || e == EALREADY)
        return;
    if (e != 0) {
        fail(c, kind_of_errno(e));
        return;
    }
    c->connect_ns = clock_mono_now() - c->t_conn;
    c->connected_now = true;
    c->state = CLIENT_SENDING;
    do_send(c);
}

static void match_feed(client_conn *c, const char *p, size_t n)
{
    const client_req *r = c->req;
    if (!r->expect || c->matched)
        return;
    size_t j = c->match;
    for (size_t i = 0; i < n; i++) {
        while (j > 0 && p[i] != r->expect[j])
            j = r->kmp[j - 1];
        if (p[i] == r->expect[j] && ++j == r->expect_len) {
            c->matched = true;
            return;
        }
    }
    c->match = j;
}

enum { PARSE_MORE = 0, PARSE_DONE = 1 };

/* Parses what is in rbuf. Returns PARSE_MORE (all bytes taken or a head is incomplete),
 * PARSE_DONE (response complete; *extra = bytes after it) or a negative stats_err. */
static int parse(client_conn *c, size_t *extra)
{
    size_t off = 0;
    if (!c->head_done) {
        http_limits lim = {.max_header_bytes = c->rcap};
        http_response res;
        for (;;) {
            int h = http_parse_response(c->rbuf, c->rlen, &lim, c->req->head, &res);
            if (h == HTTP_INCOMPLETE)
                return c->rlen >= c->rcap ? -STATS_ERR_BAD_RESPONSE : PARSE_MORE;
            if (h < 0)
                return -STATS_ERR_BAD_RESPONSE;
            if (res.status >= 200) {
                off = (size_t)h;
                break;
            }
            if (res.status == 101)
                return -STATS_ERR_BAD_RESPONSE;   /* no upgrade was asked for */
            /* 1xx interim response: drop it and parse what follows. */
            memmove(c->rbuf, c->rbuf + h, c->rlen - (size_t)h);
            c->rlen -= (size_t)h;
        }
        c->head_done = true;
        c->status = res.status;
        c->body = res.body;
        c->remaining = res.content_length;
        c->keep_alive = res.keep_alive;
        if (c->body == HTTP_BODY_CHUNKED)
            http_chunked_init(&c->chunk);
    }
    size_t avail = c->rlen - off;
    switch (c->body) {
    case HTTP_BODY_NONE:
        *extra = avail;
        return PARSE_DONE;
    case HTTP_BODY_LENGTH: {
        size_t take = avail;
        if ((uint64_t)take > c->remaining)
            take = (size_t)c->remaining;
        match_feed(c, c->rbuf + off, take);
        c->remaining -= take;
        c->rlen = 0;
        if (c->remaining == 0) {
            *extra = avail - take;
            return PARSE_DONE;
        }
        return PARSE_MORE;
    }
    case HTTP_BODY_CHUNKED:
        while (off < c->rlen) {
            http_str data;
            size_t used;
            int r = http_chunked_next(&c->chunk, c->rbuf + off, c->rlen - off, &data, &used);
            if (r < 0)
                return -STATS_ERR_BAD_RESPONSE;
            if (data.n > 0)
                match_feed(c, data.p, data.n);
            off += used;
            if (r == 1) {
                *extra = c->rlen - off;
                c->rlen = 0;
                return PARSE_DONE;
            }
            if (used == 0 && data.n == 0)
                break;
        }
        c->rlen = 0;
        return PARSE_MORE;
    default: /* HTTP_BODY_UNTIL_CLOSE */
        match_feed(c, c->rbuf + off, avail);
        c->rlen = 0;
        return PARSE_MORE;
    }
}

static void complete(client_conn *c, bool reusable)
{
    const client_req *r = c->req;
    int kind = STATS_OK;
    if (r->expect_status ? c->status != r->expect_status : (c->status >= 400 || c->status < 200))
        kind = STATS_ERR_STATUS;
    else if (r->expect && !c->matched)
        kind = STATS_ERR_EXPECTATION;
    mono_ns now = clock_mono_now();
    if (reusable && c->keep_alive) {
        c->served++;
        c->state = CLIENT_IDLE;
        c->rlen = 0;
    } else {
        close_socket(c);
        c->state = CLIENT_CLOSED;
    }
    deliver(c, kind, now);
}

static void on_eof(client_conn *c)
{
    if (c->head_done && c->body == HTTP_BODY_UNTIL_CLOSE) {
        complete(c, false);
        return;
    }
    retry_or_fail(c, STATS_ERR_RESET);
}

static void on_readable(client_conn *c)
{
    for (;;) {
        size_t space = c->rcap - c->rlen;
        ssize_t n = recv(c->io.fd, c->rbuf + c->rlen, space, 0);
        if (n > 0) {
            if (c->t_first == 0)
                c->t_first = ev_now(c->loop);
            c->bytes_rx += (uint64_t)n;
            c->rlen += (size_t)n;
            size_t extra = 0;
            int r = parse(c, &extra);
            if (r < 0) {
                fail(c, -r);
                return;
            }
            if (r == PARSE_DONE) {
                /* Bytes after a complete response (no pipelining was asked for) mean the
                 * stream is out of step: use the response, drop the connection. */
                c->bytes_rx -= extra;
                complete(c, extra == 0);
                return;
            }
            if ((size_t)n < space)
                return;
            continue;
        }
        if (n == 0) {
            on_eof(c);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        retry_or_fail(c, STATS_ERR_RESET);
        return;
    }
}

/* Idle keep-alive socket became readable: the server closed it (or sent garbage). */
static void on_idle_readable(client_conn *c)
{
    char tmp[64];
    ssize_t n = recv(c->io.fd, tmp, sizeof(tmp), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    close_socket(c);
    c->state = CLIENT_CLOSED;
}

static void on_io(ev_loop *loop, ev_io *w, uint32_t events)
{
    (void)loop;
    client_conn *c = w->data;
    switch (c->state) {
    case CLIENT_CONNECTING:
        if (events & (EV_WRITE | EV_ERROR))
            on_connected(c);
        return;
    case CLIENT_IDLE:
        on_idle_readable(c);
        return;
    case CLIENT_SENDING:
        if (events & EV_WRITE) {
            uint32_t gen = c->gen;
            do_send(c);
            /* A failure may have been delivered and a new request started on c. */
            if (c->gen != gen || (c->state != CLIENT_WAITING && c->state != CLIENT_SENDING))
                return;
        }
        if (events & (EV_READ | EV_ERROR))
            on_readable(c);
        return;
    case CLIENT_WAITING:
        on_readable(c);
        return;
    default:
        return;
    }
}

void client_check_timeout(client_conn *c, mono_ns now)
{
    const client_target *t = c->target;
    if (c->state == CLIENT_CONNECTING) {
        if (now - c->t_conn >= t->connect_timeout_ns)
            fail(c, STATS_ERR_CONNECT_TIMEOUT);
    } else if (c->state == CLIENT_SENDING || c->state == CLIENT_WAITING) {
        mono_ns from = c->t_send ? c->t_send : c->t_conn;
        if (now > from && now - from >= t->request_timeout_ns)
            fail(c, STATS_ERR_TIMEOUT);
    }
}
