/* httpserv.c - a small HTTP/1.1 server on an event loop (httpserv.h).
 *
 * Each connection reads into its own buffer until one request (head and Content-Length
 * body) is complete, answers it and goes on with the bytes after it (keep-alive,
 * pipelining). Its users' requests are rare and small (uploads of a distributed run, a
 * Prometheus scrape), so a plain buffer per connection is enough; a large body is bounded by
 * the route's limit.
 */
#include "httpserv.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "sock.h"
#include "units.h"

#define HTTPSERV_READ_CHUNK 65536

typedef struct conn {
    evloop_io io;
    evloop_timer idle;
    httpserv *s;
    struct conn *prev, *next;
    buf in, out;
    size_t out_off;
    bool close_after; /* close once out is written */
    bool lingering;   /* half-closed after an error: discard input until EOF */
    bool continued;   /* "100 Continue" sent for the current request */
} conn;

struct httpserv {
    evloop *loop;
    int lfd;
    evloop_io lio;
    httpserv_opts o;
    conn *conns;
    size_t n_conns;
    http_limits lim;
};

void httpserv_reply_text(httpserv_reply *r, int status, const char *text)
{
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    buf_puts(&r->body, text);
    buf_putc(&r->body, '\n');
}

static void conn_close(conn *k)
{
    httpserv *s = k->s;
    evloop_io_stop(s->loop, &k->io);
    evloop_timer_stop(s->loop, &k->idle);
    close(k->io.fd);
    buf_fini(&k->in);
    buf_fini(&k->out);
    if (k->prev)
        k->prev->next = k->next;
    else
        s->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    s->n_conns--;
    free(k);
}

static void touch(conn *k)
{
    evloop_timer_start(k->s->loop, &k->idle, evloop_now(k->s->loop) + (mono_ns)k->s->o.idle_s * CLOCK_NS_PER_SEC);
}

/* Sends what is queued. Returns -1 when the connection was closed. */
static int flush(conn *k)
{
    while (k->out_off < k->out.len) {
        ssize_t n = send(k->io.fd, k->out.data + k->out_off, k->out.len - k->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            k->out_off += (size_t)n;
            touch(k);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return evloop_io_set(k->s->loop, &k->io, EVLOOP_READ | EVLOOP_WRITE) == 0 ? 0 : (conn_close(k), -1);
        conn_close(k);
        return -1;
    }
    buf_reset(&k->out);
    k->out_off = 0;
    if (k->close_after && !k->lingering) {
        /* Closing with unread input would reset the connection and could destroy the answer
         * in flight: half-close and discard until the peer closes (or the idle timer). */
        k->lingering = true;
        shutdown(k->io.fd, SHUT_WR);
        buf_fini(&k->in);
    }
    return evloop_io_set(k->s->loop, &k->io, EVLOOP_READ) == 0 ? 0 : (conn_close(k), -1);
}

static void queue_reply(conn *k, const httpserv_reply *r, bool head, bool keep_alive)
{
    buf_printf(&k->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n",
               r->status, http_reason(r->status), r->content_type, r->body.len);
    if (r->allow)
        buf_printf(&k->out, "Allow: %s\r\n", r->allow);
    if (!keep_alive)
        buf_puts(&k->out, "Connection: close\r\n");
    buf_puts(&k->out, "\r\n");
    if (!head && r->body.len)
        buf_append(&k->out, r->body.data, r->body.len);
    if (!keep_alive)
        k->close_after = true;
    if (!buf_ok(&k->out)) {
        /* Nothing sensible can be sent: drop the connection. */
        buf_reset(&k->out);
        k->close_after = true;
    }
}

static void error_reply(conn *k, int status, const char *text)
{
    httpserv_reply r = {.body = BUF_INIT};
    httpserv_reply_text(&r, status, text);
    queue_reply(k, &r, false, false);
    buf_fini(&r.body);
}

/* Answers every complete request in k->in. Returns false when reading must stop. */
static bool process(conn *k)
{
    httpserv *s = k->s;
    while (!k->close_after && k->in.len) {
        http_request req;
        int hl = http_parse_request(k->in.data, k->in.len, &s->lim, &req);
        if (hl == HTTP_INCOMPLETE)
            return true;
        if (hl < 0) {
            error_reply(k,
                        hl == HTTP_ERR_TOO_BIG || hl == HTTP_ERR_TOO_MANY ? 431
                        : hl == HTTP_ERR_VERSION                          ? 505
                                                                          : 400,
                        "malformed request");
            return false;
        }
        if (req.body == HTTP_BODY_CHUNKED) {
            error_reply(k, 411, "send the body with a Content-Length");
            return false;
        }
        uint64_t limit = s->o.body_limit ? s->o.body_limit(s->o.arg, req.path.p, req.path.n) : HTTPSERV_DEFAULT_BODY;
        if (req.content_length > limit) {
            char msg[96];
            snprintf(msg, sizeof(msg), "body over %llu bytes", (unsigned long long)limit);
            error_reply(k, 413, msg);
            return false;
        }
        size_t need = (size_t)hl + (size_t)req.content_length;
        if (k->in.len < need) {
            if (req.expect_continue && !k->continued) {
                buf_puts(&k->out, "HTTP/1.1 100 Continue\r\n\r\n");
                k->continued = true;
            }
            return true;
        }
        k->continued = false;
        httpserv_reply r = {.status = 500, .content_type = "text/plain; charset=utf-8", .body = BUF_INIT};
        s->o.handle(s->o.arg, req.method.p, req.method.n, req.path.p, req.path.n, k->in.data + hl,
                    (size_t)req.content_length, &r);
        queue_reply(k, &r, http_str_eq(req.method, "HEAD"), req.keep_alive);
        buf_fini(&r.body);
        buf_consume(&k->in, need);
    }
    return !k->close_after;
}

static void on_read(conn *k)
{
    for (;;) {
        if (buf_reserve(&k->in, HTTPSERV_READ_CHUNK) != 0) {
            conn_close(k);
            return;
        }
        ssize_t n = recv(k->io.fd, k->in.data + k->in.len, HTTPSERV_READ_CHUNK, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            conn_close(k);
            return;
        }
        touch(k);
        if (k->lingering)
            continue; /* discard */
        k->in.len += (size_t)n;
        k->in.data[k->in.len] = '\0';
        if (!process(k))
            break;
    }
    if (k->lingering)
        buf_reset(&k->in);
    (void)flush(k);
}

static void conn_cb(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)loop;
    conn *k = w->data;
    if (events & EVLOOP_WRITE) {
        if (flush(k) != 0)
            return;
    }
    if (events & (EVLOOP_READ | EVLOOP_ERROR))
        on_read(k);
}

static void idle_cb(evloop *loop, evloop_timer *t)
{
    (void)loop;
    conn_close(t->data);
}

static void accept_cb(evloop *loop, evloop_io *w, uint32_t events)
{
    (void)events;
    httpserv *s = w->data;
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or EMFILE & co.: the next connection tries again */
        conn *k = s->n_conns < s->o.max_conns ? calloc(1, sizeof(*k)) : NULL;
        if (!k) {
            close(fd);
            continue;
        }
        k->s = s;
        buf_init(&k->in);
        buf_init(&k->out);
        evloop_io_init(&k->io, fd, conn_cb, k);
        evloop_timer_init(&k->idle, idle_cb, k);
        if (evloop_io_start(loop, &k->io, EVLOOP_READ) != 0) {
            close(fd);
            free(k);
            continue;
        }
        k->next = s->conns;
        if (s->conns)
            s->conns->prev = k;
        s->conns = k;
        s->n_conns++;
        touch(k);
    }
}

/* A numeric host (or "", "*": any IPv4 address; "localhost": 127.0.0.1), as msdemo
 * listens: no name service in a FROM scratch image. */
static int listen_on(const char *what, const char *addr, char *err, size_t errlen)
{
    char host[256];
    uint16_t port;
    if (units_split_hostport(addr, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "%s: expected HOST:PORT, [V6]:PORT or :PORT, got \"%s\"", what, addr);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    if (sock_listen_addr(host, port, &ss, &sl) != 0) {
        snprintf(err, errlen, "%s %s: not a numeric address", what, addr);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (const struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    return fd;
}

int httpserv_create(httpserv **out, evloop *loop, const char *addr, const httpserv_opts *o, char *err, size_t errlen)
{
    httpserv *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->loop = loop;
    s->o = *o;
    if (!s->o.idle_s)
        s->o.idle_s = HTTPSERV_DEFAULT_IDLE_S;
    if (!s->o.max_conns)
        s->o.max_conns = HTTPSERV_DEFAULT_MAX_CONNS;
    s->lfd = listen_on(o->what ? o->what : "--listen", addr, err, errlen);
    if (s->lfd < 0) {
        free(s);
        return -1;
    }
    evloop_io_init(&s->lio, s->lfd, accept_cb, s);
    if (evloop_io_start(loop, &s->lio, EVLOOP_READ) != 0) {
        snprintf(err, errlen, "cannot watch the listening socket");
        close(s->lfd);
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

uint16_t httpserv_port(const httpserv *s)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(s->lfd, (struct sockaddr *)&ss, &sl) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
}

void httpserv_destroy(httpserv *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_close(s->conns);
    evloop_io_stop(s->loop, &s->lio);
    close(s->lfd);
    free(s);
}
