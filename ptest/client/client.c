/* client.c - HTTP/1.1 client connection: the connect/send/receive state machine, keep-alive
 * and its retry, in-place response parsing, timeouts. Requests are rendered beforehand
 * (client_render.c); the target is resolved in client_target.c.
 *
 * Per request on a kept-alive connection the hot path is: one send() (the socket is
 * always watched for EVLOOP_READ, so no epoll_ctl), one recv() (more only for bodies larger
 * than the buffer) and the parse of the head in place; two clock reads. Nothing allocates.
 * With TLS, SSL_write and SSL_read take their place (client_tls.c); OpenSSL's buffers are
 * allocated while a connection is busy and released while it is idle.
 */
#include "client_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "ptls.h"

/* ------------------------------------------------------------------ connection ---- */

static void on_io(evloop *loop, evloop_io *w, uint32_t events);
static void on_defer(evloop *loop, evloop_timer *t);

/* The address connection c gets in set s: number id % n. */
static const client_addr *addr_in(const client_conn *c, const client_addrset *s)
{
    return &s->a[s->n > 1 ? c->id % s->n : 0];
}

/* Points c at its address in the target's current set (before each connect). */
static void pick_addr(client_conn *c)
{
    const client_addrset *s = client_target_addrs(c->target);
    const client_addr *a = addr_in(c, s);
    c->set = s;
    c->sa = (const struct sockaddr *)&a->sa;
    c->salen = a->len;
}

/* After a renewal of the target's addresses: true when c's address is no longer the one its
 * id gets (the connection is then closed after its response, and reconnects to the new
 * one); else c follows the new set. One atomic load per response when nothing changed. */
static bool addr_moved(client_conn *c)
{
    const client_addrset *s = client_target_addrs(c->target);
    if (s == c->set)
        return false;
    const client_addr *a = addr_in(c, s);
    if (a->len != c->salen || memcmp(&a->sa, c->sa, a->len) != 0)
        return true;
    pick_addr(c);
    return false;
}

void client_conn_init(client_conn *c, evloop *loop, const client_target *target, char *rbuf, size_t rcap,
                      client_done_fn done, void *owner, uint32_t id)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->target = target;
    c->done = done;
    c->owner = owner;
    c->id = id;
    pick_addr(c);
    c->rbuf = rbuf;
    c->rcap = rcap;
    c->state = CLIENT_CLOSED;
    c->instance = -1;
    evloop_io_init(&c->io, -1, on_io, c);
    evloop_timer_init(&c->defer, on_defer, c);
}

static void close_socket(client_conn *c)
{
    client_tls_close(c);
    if (c->io.fd >= 0) {
        evloop_io_stop(c->loop, &c->io);
        close(c->io.fd);
        c->io.fd = -1;
    }
    c->served = 0;
    c->rlen = 0;
}

void client_close(client_conn *c)
{
    evloop_timer_stop(c->loop, &c->defer);
    close_socket(c);
    c->state = CLIENT_CLOSED;
    c->req = NULL;
}

void client_conn_fini(client_conn *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->sess) {
        SSL_SESSION_free(c->sess);
        c->sess = NULL;
    }
}

/* A request for another target than the connection's (plan: a scenario whose requests name
 * several targets): the connection moves there. Its TLS session belongs to the old server. */
static void switch_target(client_conn *c, const client_target *t)
{
    close_socket(c);
    client_conn_fini(c);
    c->target = t;
    pick_addr(c);
}

static inline ssize_t io_send(client_conn *c, const void *p, size_t n)
{
    return c->ssl ? client_tls_send(c, p, n) : send(c->io.fd, p, n, MSG_NOSIGNAL);
}

static inline ssize_t io_recv(client_conn *c, void *p, size_t n)
{
    return c->ssl ? client_tls_recv(c, p, n) : recv(c->io.fd, p, n, 0);
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
    r.handshake_ns = c->handshaked_now ? c->handshake_ns : 0;
    r.handshake = c->handshaked_now;
    r.resumed = c->handshaked_now && c->resumed;
    r.connected = c->connected_now && !c->hs_failed;
    r.conn_failed = kind == STATS_ERR_CONNECT_REFUSED || kind == STATS_ERR_CONNECT_TIMEOUT ||
                    (kind == STATS_ERR_TLS && c->hs_failed);
    r.bytes_rx = c->bytes_rx;
    r.bytes_tx = c->t_send ? c->sent : 0;
    r.instance = c->head_done ? c->instance : -1;
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
    evloop_timer_start(c->loop, &c->defer, evloop_now(c->loop));
}

static void on_defer(evloop *loop, evloop_timer *t)
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
    c->instance = -1;
    c->kept_len = 0;
    c->kept_trunc = false;
}

static void do_send(client_conn *c);

/* Opens the socket and starts connecting. Returns 0 or a stats_err kind (a local limit when
 * socket() or epoll_ctl ran out of descriptors, ports or memory: client_kind_of_errno). */
static int start_connect(client_conn *c)
{
    pick_addr(c);
    int fd = socket(c->sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return client_kind_of_errno(errno);
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->t_conn = clock_mono_now();
    c->served = 0;
    evloop_io_init(&c->io, fd, on_io, c);
    int e = 0;
    if (connect(fd, c->sa, c->salen) == 0) {
        if ((e = -evloop_io_start(c->loop, &c->io, EVLOOP_READ)) != 0)
            goto fail;
        return 0;
    }
    if (errno != EINPROGRESS) {
        e = errno;
        goto fail;
    }
    if ((e = -evloop_io_start(c->loop, &c->io, EVLOOP_WRITE)) != 0)
        goto fail;
    c->state = CLIENT_CONNECTING;
    return 0;
fail:
    close(fd);
    c->io.fd = -1;
    return client_kind_of_errno(e);
}

static void tls_step(client_conn *c, bool in_send);

/* The TCP connection is up: handshake (TLS) or send. in_send: called from inside
 * client_send, where failures must be reported from the loop (fail_later). */
static void tcp_up(client_conn *c, bool in_send)
{
    c->connect_ns = clock_mono_now() - c->t_conn;
    if (c->target->tls) {
        int kind = client_tls_start(c);
        if (kind != 0) {
            if (in_send)
                fail_later(c, kind);
            else
                fail(c, kind);
            return;
        }
        tls_step(c, in_send);
        return;
    }
    c->connected_now = true;
    c->state = CLIENT_SENDING;
    do_send(c);
}

/* Drives the handshake; sends the request once it is done. */
static void tls_step(client_conn *c, bool in_send)
{
    char why[384];
    int r = client_tls_step(c, why, sizeof(why));
    if (r == 0)
        return;
    if (r < 0) {
        c->hs_failed = true;
        if (in_send)
            fail_later(c, STATS_ERR_TLS);
        else
            fail(c, STATS_ERR_TLS);
        return;
    }
    c->connected_now = true;
    c->state = CLIENT_SENDING;
    do_send(c);
}

/* The connection has lived its connection_lifetime (c->ctl->lifetime_ns set). */
static bool too_old(const client_conn *c, mono_ns now)
{
    return now > c->t_conn && now - c->t_conn >= c->ctl->lifetime_ns;
}

/* Starts (or restarts, for the keep-alive retry) the exchange on the current socket: on a
 * new one when the idle one has outlived the scenario's connection_lifetime. Decides here,
 * once per attempt, whether this request is the connection's last (wire_close). */
static void begin(client_conn *c)
{
    const plan_conn *ctl = c->ctl;
    if (ctl && ctl->lifetime_ns && c->io.fd >= 0 && too_old(c, clock_mono_now())) {
        close_socket(c);
        c->state = CLIENT_SENDING;
    }
    c->closing = ctl && (ctl->no_keep_alive || (ctl->max_requests && c->served + 1 >= ctl->max_requests));
    if (c->hooks) {
        c->wire = NULL;
        int kind = c->hooks->render(c);
        if (kind != 0) {
            fail_later(c, kind);
            return;
        }
    }
    if (c->io.fd < 0) {
        int kind = start_connect(c);
        if (kind != 0) {
            fail_later(c, kind);
            return;
        }
        if (c->state != CLIENT_CONNECTING)
            tcp_up(c, true);
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
    c->handshaked_now = false;
    c->hs_failed = false;
    c->retried = false;
    reset_response(c);
    if (req->target && req->target != c->target)
        switch_target(c, req->target);
    else if (c->io.fd >= 0 && addr_moved(c)) /* kept alive while the target's addresses changed */
        close_socket(c);
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
    const char *wire = c->wire ? c->wire : c->closing ? r->wire_close : r->wire;
    size_t len = c->wire ? c->wire_len : c->closing ? r->wire_close_len : r->wire_len;
    if (c->t_send == 0)
        c->t_send = clock_mono_now();
    while (c->sent < len) {
        ssize_t n = io_send(c, wire + c->sent, len - c->sent);
        if (n > 0) {
            c->sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->state = CLIENT_SENDING;
            /* TLS sets its own interest (a write may wait for a read). */
            if (!c->ssl && c->io.events != (EVLOOP_READ | EVLOOP_WRITE) &&
                evloop_io_set(c->loop, &c->io, EVLOOP_READ | EVLOOP_WRITE) != 0)
                fail(c, STATS_ERR_RESET);
            return;
        }
        if (n < 0 && errno == EPROTO && c->ssl) {
            fail(c, STATS_ERR_TLS);
            return;
        }
        retry_or_fail(c, STATS_ERR_RESET);
        return;
    }
    c->state = CLIENT_WAITING;
    if (c->io.events != EVLOOP_READ && evloop_io_set(c->loop, &c->io, EVLOOP_READ) != 0)
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
        fail(c, client_kind_of_errno(e));
        return;
    }
    tcp_up(c, false);
}

/* Keeps body bytes for the owner (extraction), up to body_cap. */
static void keep_body(client_conn *c, const char *p, size_t n)
{
    size_t room = c->kept_cap - c->kept_len;
    if (n > room) {
        c->kept_trunc = true;
        n = room;
    }
    memcpy(c->kept + c->kept_len, p, n);
    c->kept_len += n;
}

static void match_feed(client_conn *c, const char *p, size_t n)
{
    const client_req *r = c->req;
    if (c->kept_cap)
        keep_body(c, p, n);
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
                return -STATS_ERR_BAD_RESPONSE; /* no upgrade was asked for */
            /* 1xx interim response: drop it and parse what follows. */
            memmove(c->rbuf, c->rbuf + h, c->rlen - (size_t)h);
            c->rlen -= (size_t)h;
        }
        c->head_done = true;
        c->status = res.status;
        c->body = res.body;
        c->remaining = res.content_length;
        c->keep_alive = res.keep_alive;
        if (c->inst) {
            const http_header *sb = http_find_header(res.headers, res.num_headers, INSTANCES_HEADER);
            if (sb) {
                unsigned i = instances_find(c->inst, sb->value.p, sb->value.n, c->inst_hint);
                c->instance = (int16_t)i;
                c->inst_hint = (uint8_t)i;
            }
        }
        if (c->body == HTTP_BODY_CHUNKED)
            http_chunked_init(&c->chunk);
        if (c->hooks)
            c->hooks->head(c, &res);
    }
    size_t avail = c->rlen - off;
    switch (c->body) {
    case HTTP_BODY_NONE: *extra = avail; return PARSE_DONE;
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
    if (c->hooks)
        kind = c->hooks->done(c, kind);
    mono_ns now = clock_mono_now();
    const plan_conn *ctl = c->ctl;
    if (reusable && c->keep_alive && !c->closing && !(ctl && ctl->lifetime_ns && too_old(c, now)) && !addr_moved(c)) {
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
        /* Nothing kept from an earlier read: read into the thread's scratch buffer, so
         * that a response that arrives whole never touches the connection's own. */
        char *own = c->rbuf;
        if (c->rlen == 0 && c->scratch)
            c->rbuf = c->scratch;
        ssize_t n = io_recv(c, c->rbuf + c->rlen, space);
        if (n > 0) {
            if (c->t_first == 0)
                c->t_first = evloop_now(c->loop);
            c->bytes_rx += (uint64_t)n;
            c->rlen += (size_t)n;
            size_t extra = 0;
            int r = parse(c, &extra);
            if (c->rbuf != own) {
                if (r == PARSE_MORE && c->rlen > 0)
                    memcpy(own, c->rbuf, c->rlen); /* an incomplete head: keep it */
                c->rbuf = own;
            }
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
            if ((size_t)n < space && !client_tls_pending(c))
                return;
            continue;
        }
        c->rbuf = own;
        if (n == 0) {
            on_eof(c);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        if (errno == EPROTO && c->ssl) {
            /* Nothing ever came on this connection: the server refused it in TLS after
             * the handshake (TLS 1.3 rejects a client certificate this way), so it is a
             * failure to connect, not a failure of a request. */
            c->hs_failed = c->served == 0 && c->bytes_rx == 0;
            fail(c, STATS_ERR_TLS);
            return;
        }
        retry_or_fail(c, STATS_ERR_RESET);
        return;
    }
}

/* Idle keep-alive socket became readable: the server closed it (or sent garbage). */
static void on_idle_readable(client_conn *c)
{
    char tmp[64];
    /* TLS: a record that is no data (a session ticket) leaves the connection usable. */
    ssize_t n = io_recv(c, tmp, sizeof(tmp));
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    close_socket(c);
    c->state = CLIENT_CLOSED;
}

static void on_io(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)loop;
    client_conn *c = w->data;
    switch (c->state) {
    case CLIENT_CONNECTING:
        if (events & (EVLOOP_WRITE | EVLOOP_ERROR))
            on_connected(c);
        return;
    case CLIENT_HANDSHAKING: tls_step(c, false); return;
    case CLIENT_IDLE: on_idle_readable(c); return;
    case CLIENT_SENDING:
        /* TLS: a write may have waited for a read, so any event retries it. */
        if ((events & EVLOOP_WRITE) || c->ssl) {
            uint32_t gen = c->gen;
            do_send(c);
            /* A failure may have been delivered and a new request started on c. */
            if (c->gen != gen || (c->state != CLIENT_WAITING && c->state != CLIENT_SENDING))
                return;
        }
        if (events & (EVLOOP_READ | EVLOOP_ERROR))
            on_readable(c);
        return;
    case CLIENT_WAITING: on_readable(c); return;
    default: return;
    }
}

void client_check_timeout(client_conn *c, mono_ns now)
{
    const client_target *t = c->target;
    if (c->state == CLIENT_CONNECTING) {
        if (now - c->t_conn >= t->connect_timeout_ns)
            fail(c, STATS_ERR_CONNECT_TIMEOUT);
    } else if (c->state == CLIENT_HANDSHAKING) {
        if (now - c->t_conn >= t->connect_timeout_ns) {
            char why[160];
            snprintf(why, sizeof(why),
                     "no TLS handshake within the connect timeout of %.3g s (not a TLS "
                     "server on this port?)",
                     (double)t->connect_timeout_ns / 1e9);
            ptls_note_error(t->tls, why);
            c->hs_failed = true;
            fail(c, STATS_ERR_TLS);
        }
    } else if (c->state == CLIENT_SENDING || c->state == CLIENT_WAITING) {
        mono_ns from = c->t_send ? c->t_send : c->t_conn;
        if (now > from && now - from >= t->request_timeout_ns)
            fail(c, STATS_ERR_TIMEOUT);
    }
}
