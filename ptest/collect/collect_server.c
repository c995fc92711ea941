/* collect_server.c - the collector's HTTP server and routes.
 *
 * Each connection reads into its own buffer until one request (head and Content-Length
 * body) is complete, answers it and goes on with the bytes after it (keep-alive,
 * pipelining). Uploads are rare (one per worker and second) and small, so a plain buffer
 * per connection is enough; only a final file upload is large, bounded by its route.
 */
#include "collect_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collect_wire.h"
#include "hlog.h"
#include "http.h"
#include "sock.h"
#include "units.h"

#define COLLECT_SERVER_DEFAULT_BODY (64u << 10)
#define COLLECT_SERVER_READ_CHUNK 65536

typedef struct conn {
    evloop_io io;
    evloop_timer idle;
    collect_server *s;
    struct conn *prev, *next;
    buf in, out;
    size_t out_off;
    bool close_after; /* close once out is written */
    bool lingering;   /* half-closed after an error: discard input until EOF */
    bool continued;   /* "100 Continue" sent for the current request */
} conn;

struct collect_server {
    evloop *loop;
    int lfd;
    evloop_io lio;
    collect *c;
    collect_server_upload_cb cb;
    void *arg;
    conn *conns;
    size_t n_conns;
    http_limits lim;
};

/* --- routes -------------------------------------------------------------------------- */

static void reply_text(collect_server_reply *r, int status, const char *text)
{
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    buf_puts(&r->body, text);
    buf_putc(&r->body, '\n');
}

static bool is_method(const char *m, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(m, lit, n) == 0;
}

static bool path_is(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

uint64_t collect_server_body_limit(const char *path, size_t plen)
{
    uint32_t w;
    const char *rest;
    size_t rn;
    if (collect_wire_worker_path(path, plen, &w, &rest, &rn) != 0)
        return COLLECT_SERVER_DEFAULT_BODY;
    if (path_is(rest, rn, "interval"))
        return COLLECT_WIRE_MAX_INTERVAL_BYTES;
    if (path_is(rest, rn, "final"))
        return COLLECT_WIRE_MAX_COMMIT_BYTES;
    if (rn > 6 && memcmp(rest, "final/", 6) == 0)
        return COLLECT_WIRE_MAX_FILE_BYTES;
    return COLLECT_SERVER_DEFAULT_BODY;
}

static void route_worker(collect *c, const char *m, size_t mlen, uint32_t w, const char *rest, size_t rn,
                         const char *body, size_t len, collect_server_reply *r)
{
    char msg[600];
    int rc;
    if (path_is(rest, rn, "interval") || path_is(rest, rn, "final")) {
        if (!is_method(m, mlen, "POST")) {
            r->allow = "POST";
            reply_text(r, 405, "use POST");
            return;
        }
        rc = rest[0] == 'i' ? collect_interval(c, w, body, len, msg, sizeof(msg))
                            : collect_commit(c, w, body, len, msg, sizeof(msg));
    } else if (rn > 6 && memcmp(rest, "final/", 6) == 0) {
        if (!is_method(m, mlen, "PUT")) {
            r->allow = "PUT";
            reply_text(r, 405, "use PUT");
            return;
        }
        rc = collect_put_file(c, w, rest + 6, rn - 6, body, len, msg, sizeof(msg));
    } else {
        reply_text(r, 404, "not found");
        return;
    }
    reply_text(r, collect_http_status(rc), msg);
}

static void route_results(collect *c, const char *name, size_t n, collect_server_reply *r)
{
    if (!collect_done(c)) {
        reply_text(r, 503, "the run is not merged yet (GET /status)");
        return;
    }
    if (n == 0) {
        r->status = collect_results_index(c, &r->body) == 0 ? 200 : 500;
        r->content_type = "text/plain; charset=utf-8";
        return;
    }
    if (!collect_result_ok(c, name, n)) {
        reply_text(r, 404, "no such result file (GET /results/ lists them)");
        return;
    }
    buf path = BUF_INIT;
    buf_printf(&path, "%s/%.*s", collect_out_dir(c), (int)n, name);
    char *data = NULL;
    size_t len = 0;
    if (buf_ok(&path) && hlog_load_file(path.data, &data, &len) == 0) {
        r->status = 200;
        bool json = n > 5 && memcmp(name + n - 5, ".json", 5) == 0;
        bool html = n > 5 && memcmp(name + n - 5, ".html", 5) == 0;
        bool css = n > 4 && memcmp(name + n - 4, ".css", 4) == 0;
        bool xml = n > 4 && memcmp(name + n - 4, ".xml", 4) == 0;
        r->content_type = json   ? "application/json"
                          : html ? "text/html; charset=utf-8"
                          : css  ? "text/css"
                          : xml  ? "application/xml"
                                 : "text/plain; charset=utf-8";
        buf_append(&r->body, data, len);
    } else {
        reply_text(r, 500, "cannot read the file");
    }
    free(data);
    buf_fini(&path);
}

void collect_server_handle(collect *c, const char *m, size_t mlen, const char *path, size_t plen, const char *body,
                           size_t len, uint64_t now_ms, collect_server_reply *r)
{
    r->status = 500;
    r->content_type = "text/plain; charset=utf-8";
    r->allow = NULL;
    uint32_t w;
    const char *rest;
    size_t rn;
    if (collect_wire_worker_path(path, plen, &w, &rest, &rn) == 0) {
        route_worker(c, m, mlen, w, rest, rn, body, len, r);
        return;
    }
    if (path_is(path, plen, "/finish")) {
        if (!is_method(m, mlen, "POST")) {
            r->allow = "POST";
            reply_text(r, 405, "use POST");
            return;
        }
        if (collect_done(c)) {
            reply_text(r, 409, "the run is merged already");
            return;
        }
        collect_request_finish(c);
        reply_text(r, 200, "finishing: merging what arrived");
        return;
    }
    bool known = path_is(path, plen, "/healthz") || path_is(path, plen, "/status") || path_is(path, plen, "/metrics") ||
                 (plen >= 9 && memcmp(path, "/results/", 9) == 0);
    if (!known) {
        reply_text(r, 404, "not found");
        return;
    }
    if (!is_method(m, mlen, "GET") && !is_method(m, mlen, "HEAD")) {
        r->allow = "GET, HEAD";
        reply_text(r, 405, "use GET");
        return;
    }
    if (path_is(path, plen, "/healthz")) {
        reply_text(r, 200, "ok");
    } else if (path_is(path, plen, "/status")) {
        r->status = collect_status_json(c, &r->body) == 0 ? 200 : 500;
        r->content_type = "application/json";
    } else if (path_is(path, plen, "/metrics")) {
        r->status = collect_metrics(c, now_ms, &r->body) == 0 ? 200 : 500;
        r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    } else {
        route_results(c, path + 9, plen - 9, r);
    }
}

/* --- connections ----------------------------------------------------------------------- */

static void conn_close(conn *k)
{
    collect_server *s = k->s;
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
    evloop_timer_start(k->s->loop, &k->idle,
                       evloop_now(k->s->loop) + (mono_ns)COLLECT_SERVER_IDLE_S * CLOCK_NS_PER_SEC);
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

static void queue_reply(conn *k, const collect_server_reply *r, bool head, bool keep_alive)
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
    collect_server_reply r = {.body = BUF_INIT};
    reply_text(&r, status, text);
    queue_reply(k, &r, false, false);
    buf_fini(&r.body);
}

/* Answers every complete request in k->in. Returns false when reading must stop. */
static bool process(conn *k)
{
    collect_server *s = k->s;
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
        uint64_t limit = collect_server_body_limit(req.path.p, req.path.n);
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
        collect_server_reply r = {.body = BUF_INIT};
        collect_server_handle(s->c, req.method.p, req.method.n, req.path.p, req.path.n, k->in.data + hl,
                              (size_t)req.content_length, clock_wall_now() / CLOCK_NS_PER_MS, &r);
        queue_reply(k, &r, http_str_eq(req.method, "HEAD"), req.keep_alive);
        bool upload = r.status == 200 && !http_str_eq(req.method, "GET") && !http_str_eq(req.method, "HEAD");
        buf_fini(&r.body);
        buf_consume(&k->in, need);
        if (upload && s->cb)
            s->cb(s->arg);
    }
    return !k->close_after;
}

static void on_read(conn *k)
{
    for (;;) {
        if (buf_reserve(&k->in, COLLECT_SERVER_READ_CHUNK) != 0) {
            conn_close(k);
            return;
        }
        ssize_t n = recv(k->io.fd, k->in.data + k->in.len, COLLECT_SERVER_READ_CHUNK, 0);
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
    collect_server *s = w->data;
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or EMFILE & co.: the next connection tries again */
        conn *k = s->n_conns < COLLECT_SERVER_MAX_CONNS ? calloc(1, sizeof(*k)) : NULL;
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
static int listen_on(const char *addr, char *err, size_t errlen)
{
    char host[256];
    uint16_t port;
    if (units_split_hostport(addr, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "--listen: expected HOST:PORT, [V6]:PORT or :PORT, got \"%s\"", addr);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    if (sock_listen_addr(host, port, &ss, &sl) != 0) {
        snprintf(err, errlen, "--listen %s: not a numeric address", addr);
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

int collect_server_create(collect_server **out, evloop *loop, const char *addr, collect *c, collect_server_upload_cb cb,
                          void *arg, char *err, size_t errlen)
{
    collect_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->loop = loop;
    s->c = c;
    s->cb = cb;
    s->arg = arg;
    s->lfd = listen_on(addr, err, errlen);
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

void collect_server_destroy(collect_server *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_close(s->conns);
    evloop_io_stop(s->loop, &s->lio);
    close(s->lfd);
    free(s);
}
