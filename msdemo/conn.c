/* conn.c - one client connection: reading and parsing requests, the ordered queue of
 * delayed responses, writing, timeouts and a lingering close.
 *
 * Memory per connection is the struct alone in the common case: input is read into the
 * worker's scratch buffer and parsed there; only an incomplete request head is copied into
 * the connection's own buffer. Output is formatted into the worker's scratch buffer and sent
 * at once; only what the socket does not take is kept. So 10,000 connections waiting on
 * delayed responses cost a few hundred bytes each.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "server_int.h"

#define FREE_CACHE_MAX 256
#define LINGER_NS (2 * CLOCK_NS_PER_SEC)
/* Memory is given back when the open connections fell to half of a peak of at least
 * TRIM_MIN_PEAK, TRIM_DELAY after that (one trim per storm, not one per close). */
#define TRIM_MIN_PEAK 1024
#define TRIM_DELAY (1 * CLOCK_NS_PER_SEC)

static void conn_io_cb(evloop *loop, evloop_io *io, uint32_t events);
static void conn_resp_cb(evloop *loop, evloop_timer *t);
static void conn_idle_cb(evloop *loop, evloop_timer *t);
static void conn_update(conn *c, mono_ns now);

/* Extra per-connection state kept in the timer's data: the idle deadline and flags that do
 * not need their own fields. */
typedef struct conn_ext {
    mono_ns deadline;
    mono_ns body_start; /* when the current request body began (its head was parsed) */
    mono_ns last_body;  /* when body bytes last arrived */
    mono_ns last_send;  /* when the socket last took response bytes, or output began */
    uint64_t requests;
    bool close_after_write;
    bool lingering;
} conn_ext;

/* conn_ext lives right after the conn in the same allocation. */
#define EXT(c) ((conn_ext *)((c) + 1))

void conn_accept(worker *w, int fd)
{
    server *s = w->srv;
    conn *c = w->free_conns;
    if (c) {
        w->free_conns = c->next;
    } else {
        c = malloc(sizeof *c + sizeof(conn_ext));
        if (!c) {
            close(fd);
            __atomic_fetch_sub(&s->connections, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    memset(c, 0, sizeof *c + sizeof(conn_ext));
    c->w = w;
    c->q = c->q_inline;
    c->q_cap = CONN_INLINE_Q;
    buf_init(&c->in);
    buf_init(&c->out);
    evloop_io_init(&c->io, fd, conn_io_cb, c);
    evloop_timer_init(&c->resp_timer, conn_resp_cb, c);
    evloop_timer_init(&c->idle_timer, conn_idle_cb, c);
    if (evloop_io_start(w->loop, &c->io, EVLOOP_READ) < 0) {
        close(fd);
        __atomic_fetch_sub(&s->connections, 1, __ATOMIC_RELAXED);
        c->next = w->free_conns;
        w->free_conns = c;
        return;
    }
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    if (w->nconns > w->conns_peak)
        w->conns_peak = w->nconns;
    metrics_conn_add(&w->metrics, 1);
    mono_ns now = evloop_now(w->loop);
    EXT(c)->deadline = now + s->cfg->limits.header_timeout_ns;
    evloop_timer_start(w->loop, &c->idle_timer, EXT(c)->deadline);
}

void conn_close(conn *c)
{
    worker *w = c->w;
    evloop_io_stop(w->loop, &c->io);
    evloop_timer_stop(w->loop, &c->resp_timer);
    evloop_timer_stop(w->loop, &c->idle_timer);
    close(c->io.fd);
    if (c->q_len)
        metrics_inflight_add(&w->metrics, -(int64_t)c->q_len);
    if (c->q != c->q_inline)
        free(c->q);
    buf_fini(&c->in);
    buf_fini(&c->out);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->nconns--;
    metrics_conn_add(&w->metrics, -1);
    __atomic_fetch_sub(&w->srv->connections, 1, __ATOMIC_RELAXED);
    size_t cached = 0;
    for (conn *f = w->free_conns; f && cached < FREE_CACHE_MAX; f = f->next)
        cached++;
    if (cached < FREE_CACHE_MAX) {
        c->next = w->free_conns;
        w->free_conns = c;
    } else {
        free(c);
    }
    if (!w->listen_closed && w->conns_peak >= TRIM_MIN_PEAK && w->nconns <= w->conns_peak / 2 &&
        !evloop_timer_pending(&w->trim_timer))
        evloop_timer_start(w->loop, &w->trim_timer, evloop_now(w->loop) + TRIM_DELAY);
    if (w->listen_closed && w->nconns == 0)
        evloop_break(w->loop);
}

void conn_trim_cb(evloop *loop, evloop_timer *t)
{
    worker *w = t->data;
    (void)loop;
    /* The connection structs freed in the storm are scattered through the heap: free()
     * alone keeps them resident. malloc_trim also releases whole free pages inside it. */
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    w->conns_peak = w->nconns;
}

void conn_free_cache(worker *w)
{
    while (w->free_conns) {
        conn *c = w->free_conns;
        w->free_conns = c->next;
        free(c);
    }
}

/* --- the response queue ------------------------------------------------------------- */

static pending *q_front(conn *c)
{
    return &c->q[c->q_head];
}

static pending *q_push(conn *c)
{
    if (c->q_len == c->q_cap) {
        uint32_t ncap = c->q_cap * 2;
        pending *nq = malloc(ncap * sizeof *nq);
        if (!nq)
            return NULL;
        for (uint32_t i = 0; i < c->q_len; i++)
            nq[i] = c->q[(c->q_head + i) % c->q_cap];
        if (c->q != c->q_inline)
            free(c->q);
        c->q = nq;
        c->q_cap = ncap;
        c->q_head = 0;
    }
    pending *p = &c->q[(c->q_head + c->q_len) % c->q_cap];
    c->q_len++;
    memset(p, 0, sizeof *p);
    metrics_inflight_add(&c->w->metrics, 1);
    return p;
}

static void q_pop(conn *c)
{
    c->q_head = (c->q_head + 1) % c->q_cap;
    c->q_len--;
    metrics_inflight_add(&c->w->metrics, -1);
    if (c->q_len == 0 && c->q != c->q_inline) {
        free(c->q);
        c->q = c->q_inline;
        c->q_cap = CONN_INLINE_Q;
        c->q_head = 0;
    }
}

/* Queues an error answer for input we will not parse further; the connection closes after it. */
static void queue_error(conn *c, int status, mono_ns now)
{
    pending *p = q_push(c);
    c->stop_reading = true;
    if (!p) {
        EXT(c)->close_after_write = true;
        return;
    }
    p->arrival = p->ready_at = now;
    p->row = (uint16_t)(c->w->srv->cfg->n_endpoints + ROW_OTHER);
    p->status = (int16_t)status;
    p->close_after = true;
}

static bool in_body(const conn *c)
{
    return c->body_left || c->in_chunked;
}

/* The queued answer whose request body is being read: always the last one queued, since
 * nothing after it is parsed before the body ends. */
static pending *q_back(conn *c)
{
    return &c->q[(c->q_head + c->q_len - 1) % c->q_cap];
}

/* The body ended well: its request may be answered. */
static void body_done(conn *c)
{
    c->body_left = 0;
    c->in_chunked = false;
    if (c->q_len && q_back(c)->body_open) {
        q_back(c)->body_open = false;
        q_back(c)->send_continue = false;
    }
}

/* The body is malformed, too large or too slow: its request gets this status instead of the
 * one routed from its head (which was never written), and the connection closes after it. */
static void body_error(conn *c, int status, mono_ns now)
{
    c->body_left = 0;
    c->in_chunked = false;
    if (!c->q_len || !q_back(c)->body_open) {
        queue_error(c, status, now);
        return;
    }
    pending *p = q_back(c);
    p->body_open = false;
    p->send_continue = false;
    p->ready_at = now;
    p->row = (uint16_t)(c->w->srv->cfg->n_endpoints + ROW_OTHER);
    p->status = (int16_t)status;
    p->close_after = true;
    p->head_only = false;
    c->stop_reading = true;
}

static int parse_error_status(int rc)
{
    switch (rc) {
    case HTTP_ERR_TOO_BIG:
    case HTTP_ERR_TOO_MANY: return 431;
    case HTTP_ERR_VERSION: return 505;
    default: return 400;
    }
}

/* Parses and queues as many requests from data[0..len) as allowed; returns bytes used.
 * data is writable: the chunked decoder works in place. */
static size_t process_input(conn *c, char *data, size_t len, mono_ns now)
{
    server *s = c->w->srv;
    const config_limits *lim = &s->cfg->limits;
    size_t off = 0;

    while (off < len && !c->stop_reading) {
        if (c->body_left) {
            size_t take = len - off < c->body_left ? len - off : (size_t)c->body_left;
            off += take;
            c->body_left -= take;
            c->body_seen += take;
            EXT(c)->last_body = now;
            if (c->body_left == 0)
                body_done(c);
            continue;
        }
        if (c->in_chunked) {
            size_t dlen = len - off, used = 0;
            int r = http_chunked_decode(&c->chunked, data + off, &dlen, &used);
            c->body_seen += dlen;
            off += used;
            EXT(c)->last_body = now;
            if (r < 0) {
                body_error(c, 400, now);
                return len;
            }
            if (c->body_seen > lim->max_body_bytes) {
                body_error(c, 413, now);
                return len;
            }
            if (r == 1)
                body_done(c);
            else if (used == 0)
                break;
            continue;
        }
        /* Backpressure: parse more once answers went out and the socket took them. */
        if (c->q_len >= lim->max_pipeline || c->out.len)
            break;

        http_request req;
        int r = http_parse_request(data + off, len - off, &s->hlim, &req);
        if (r == HTTP_INCOMPLETE)
            break;
        if (r < 0) {
            queue_error(c, parse_error_status(r), now);
            return len;
        }
        off += (size_t)r;
        EXT(c)->requests++;
        if (req.body == HTTP_BODY_LENGTH && req.content_length > lim->max_body_bytes) {
            queue_error(c, 413, now);
            return len;
        }
        pending *p = q_push(c);
        if (!p) {
            queue_error(c, 503, now);
            return len;
        }
        p->arrival = now;
        respond_route(c->w, &req, p);
        if (req.body != HTTP_BODY_NONE) {
            p->body_open = true;
            p->send_continue = req.expect_continue;
            c->body_seen = 0;
            EXT(c)->body_start = EXT(c)->last_body = now;
        }
        if (req.body == HTTP_BODY_LENGTH) {
            c->body_left = req.content_length;
        } else if (req.body == HTTP_BODY_CHUNKED) {
            c->in_chunked = true;
            http_chunked_init(&c->chunked);
        }
        if (p->close_after)
            c->stop_reading = true;
    }
    return off;
}

/* --- output ------------------------------------------------------------------------- */

static void start_linger(conn *c, mono_ns now)
{
    /* Closing with unread input makes the kernel send RST, which can destroy the response
     * still in flight to the client. So: half-close, read and discard until EOF or 2 s. */
    EXT(c)->lingering = true;
    shutdown(c->io.fd, SHUT_WR);
    evloop_timer_stop(c->w->loop, &c->resp_timer);
    evloop_io_set(c->w->loop, &c->io, EVLOOP_READ);
    EXT(c)->deadline = now + LINGER_NS;
    evloop_timer_start(c->w->loop, &c->idle_timer, EXT(c)->deadline);
}

/* Sends b from *off; returns 0 (all sent or would block) or -1 (connection is dead). */
static int send_buf(conn *c, const char *data, size_t len, size_t *sent)
{
    *sent = 0;
    while (*sent < len) {
        ssize_t n = send(c->io.fd, data + *sent, len - *sent, MSG_NOSIGNAL);
        if (n > 0) {
            *sent += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Writes every response that is due. Returns -1 if the connection was closed. */
static int flush_due(conn *c, mono_ns now)
{
    worker *w = c->w;
    bool direct = c->out.len == 0;
    buf *out = direct ? &w->wbuf : &c->out;
    if (direct)
        buf_reset(out);

    while (c->q_len && q_front(c)->ready_at <= now) {
        pending *p = q_front(c);
        if (p->body_open) {
            /* First in line, body still coming: the 100 the client waits for, once. */
            if (p->send_continue) {
                buf_puts(out, "HTTP/1.1 100 Continue\r\n\r\n");
                p->send_continue = false;
            }
            break;
        }
        if (c->closing && c->q_len == 1 && c->in.len == 0)
            p->close_after = true;
        if (p->close_after)
            EXT(c)->close_after_write = true;
        if (direct && out->len == 0)
            respond_update_date(w);
        respond_format(w, p, out);
        metrics_observe(&w->metrics, p->row, p->status, now - p->arrival);
        q_pop(c);
        if (EXT(c)->close_after_write)
            break;
    }
    if (EXT(c)->close_after_write) {
        /* Nothing after a closing response is ever answered. */
        while (c->q_len)
            q_pop(c);
    }
    if (!buf_ok(out)) {
        log_error("out of memory formatting a response", "\"worker\":%u", w->idx);
        conn_close(c);
        return -1;
    }
    size_t sent;
    if (direct) {
        if (out->len && send_buf(c, out->data, out->len, &sent) < 0) {
            conn_close(c);
            return -1;
        }
        if (out->len && sent < out->len) {
            buf_append(&c->out, out->data + sent, out->len - sent);
            c->out_off = 0;
            EXT(c)->last_send = now;
            if (!buf_ok(&c->out)) {
                conn_close(c);
                return -1;
            }
        }
    } else {
        if (send_buf(c, c->out.data + c->out_off, c->out.len - c->out_off, &sent) < 0) {
            conn_close(c);
            return -1;
        }
        if (sent)
            EXT(c)->last_send = now;
        c->out_off += sent;
        if (c->out_off == c->out.len) {
            buf_fini(&c->out);
            c->out_off = 0;
        }
    }
    if (c->out.len == 0 && EXT(c)->close_after_write && !EXT(c)->lingering)
        start_linger(c, now);
    return 0;
}

/* --- reading ------------------------------------------------------------------------ */

/* Parses what is buffered in c->in (after backpressure eased); returns bytes used. */
static size_t pump_buffered(conn *c, mono_ns now)
{
    if (!c->in.len || c->stop_reading)
        return 0;
    size_t used = process_input(c, c->in.data, c->in.len, now);
    buf_consume(&c->in, used);
    if (c->in.len == 0) {
        buf_fini(&c->in);
        c->head_start = 0;
    } else if (used) {
        c->head_start = now; /* what is left is a head that starts being read now */
    }
    return used;
}

/* Writes what is due and parses what is buffered, in turns, until neither makes progress:
 * requests that arrived together (a long pipeline in one read) are all answered without
 * waiting for a read event that will never come. Returns -1 if the connection was closed,
 * 1 if it is lingering, else 0. */
static int conn_progress(conn *c, mono_ns now)
{
    for (;;) {
        if (flush_due(c, now) < 0)
            return -1;
        if (EXT(c)->lingering)
            return 1;
        /* flush_due wrote everything due it could; only newly parsed requests can make
         * more due, so stop when parsing used nothing. */
        if (pump_buffered(c, now) == 0)
            return 0;
    }
}

static void on_readable(conn *c)
{
    worker *w = c->w;
    mono_ns now = evloop_now_update(w->loop);

    for (;;) {
        ssize_t n = recv(c->io.fd, w->rbuf, w->rbuf_cap, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            conn_close(c);
            return;
        }
        if (n == 0) {
            if (EXT(c)->lingering || (c->q_len == 0 && c->out.len == 0)) {
                conn_close(c);
                return;
            }
            if (in_body(c)) {
                body_error(c, 400, now); /* half-closed in the middle of a body */
                break;
            }
            c->stop_reading = true; /* half-closed: answer what was asked, then close */
            EXT(c)->close_after_write = c->q_len == 0;
            break;
        }
        if (EXT(c)->lingering)
            continue; /* discard */
        if (c->stop_reading)
            break;
        size_t len = (size_t)n;
        char *data;
        if (c->in.len) {
            if (buf_append(&c->in, w->rbuf, len) < 0) {
                conn_close(c);
                return;
            }
            data = c->in.data;
            len = c->in.len;
        } else {
            data = w->rbuf;
        }
        size_t used = process_input(c, data, len, now);
        if (c->in.len) {
            buf_consume(&c->in, used);
        } else if (used < len && !c->stop_reading) {
            if (buf_append(&c->in, data + used, len - used) < 0) {
                conn_close(c);
                return;
            }
        }
        if (c->in.len == 0) {
            buf_fini(&c->in);
            c->head_start = 0;
        } else if (c->head_start == 0) {
            c->head_start = now;
        }
        /* A short read means the socket is drained: skip the extra recv that would only
         * return EAGAIN (one syscall per request saved). Level-triggered epoll reports
         * anything that arrives later. */
        if ((size_t)n < w->rbuf_cap || c->stop_reading || c->in.len > w->srv->hlim.max_header_bytes)
            break;
    }
    if (EXT(c)->lingering)
        return;
    if (conn_progress(c, now) != 0)
        return;
    conn_update(c, now);
}

/* Sets the epoll interest and the timers from the connection's state. */
static void conn_update(conn *c, mono_ns now)
{
    worker *w = c->w;
    const config_limits *lim = &w->srv->cfg->limits;
    if (EXT(c)->lingering)
        return;
    if (c->stop_reading && c->q_len == 0 && c->out.len == 0 && !EXT(c)->close_after_write) {
        /* Peer half-closed or drain, nothing left to answer. */
        conn_close(c);
        return;
    }
    if (c->closing && c->q_len == 0 && c->out.len == 0) {
        conn_close(c);
        return;
    }
    /* Reading is on while a body is open (its bytes are discarded, they queue nothing), else
     * only while another request could be queued and answered: room in the queue, the
     * socket took every answer, and no more than one head is buffered. So a client that
     * sends without reading costs bounded memory. */
    uint32_t ev = 0;
    bool room = c->q_len < lim->max_pipeline && c->out.len == 0 && c->in.len <= w->srv->hlim.max_header_bytes;
    if (!c->stop_reading && (room || in_body(c)))
        ev |= EVLOOP_READ;
    if (c->out.len)
        ev |= EVLOOP_WRITE;
    if (ev != c->io.events)
        evloop_io_set(w->loop, &c->io, ev);

    if (c->q_len && !q_front(c)->body_open) {
        mono_ns due = q_front(c)->ready_at;
        if (!evloop_timer_pending(&c->resp_timer) || c->resp_timer.when != due)
            evloop_timer_start(w->loop, &c->resp_timer, due);
    } else if (evloop_timer_pending(&c->resp_timer)) {
        evloop_timer_stop(w->loop, &c->resp_timer);
    }

    /* One timer serves every timeout. It is re-armed only when the new deadline is earlier
     * than the armed one; a late-armed timer re-checks when it fires. */
    mono_ns deadline;
    if (in_body(c)) {
        /* body_timeout between reads, and after a grace of body_timeout at least
         * body_min_rate on average (mod_reqtimeout's MinRate): a trickle is cut off. */
        deadline = EXT(c)->last_body + lim->body_timeout_ns;
        if (lim->body_min_rate) {
            uint64_t earned = c->body_seen / lim->body_min_rate * CLOCK_NS_PER_SEC +
                              c->body_seen % lim->body_min_rate * CLOCK_NS_PER_SEC / lim->body_min_rate;
            mono_ns floor = EXT(c)->body_start + lim->body_timeout_ns + earned;
            if (floor < deadline)
                deadline = floor;
        }
    } else if (c->out.len) {
        deadline = EXT(c)->last_send + lim->send_timeout_ns; /* a client that stopped reading */
    } else if (c->in.len && c->q_len < lim->max_pipeline) {
        deadline = (c->head_start ? c->head_start : now) + lim->header_timeout_ns;
    } else if (c->q_len || c->in.len) {
        deadline = 0; /* busy: no idle limit while we owe answers */
    } else if (EXT(c)->requests == 0) {
        deadline = EXT(c)->deadline; /* first request still to come: accept + header_timeout */
    } else {
        deadline = now + lim->idle_timeout_ns;
    }
    EXT(c)->deadline = deadline;
    if (deadline && (!evloop_timer_pending(&c->idle_timer) || c->idle_timer.when > deadline))
        evloop_timer_start(w->loop, &c->idle_timer, deadline);
}

static void conn_io_cb(evloop *loop, evloop_io *io, uint32_t events)
{
    conn *c = io->data;
    (void)loop;
    if (events & (EVLOOP_READ | EVLOOP_ERROR)) {
        on_readable(c);
        return; /* on_readable flushed; c may be gone */
    }
    if (events & EVLOOP_WRITE) {
        mono_ns now = evloop_now_update(c->w->loop);
        if (conn_progress(c, now) == 0)
            conn_update(c, now);
    }
}

static void conn_resp_cb(evloop *loop, evloop_timer *t)
{
    conn *c = t->data;
    mono_ns now = evloop_now(loop);
    if (conn_progress(c, now) == 0)
        conn_update(c, now);
}

static void conn_idle_cb(evloop *loop, evloop_timer *t)
{
    conn *c = t->data;
    mono_ns now = evloop_now(loop);
    if (EXT(c)->lingering) {
        conn_close(c);
        return;
    }
    if (EXT(c)->deadline == 0)
        return; /* busy; conn_update re-arms when the answers are out */
    if (now < EXT(c)->deadline) {
        evloop_timer_start(loop, t, EXT(c)->deadline);
        return;
    }
    if (in_body(c)) {
        /* A body that pauses too long or trickles: its request is answered 408. */
        buf_fini(&c->in);
        body_error(c, 408, now);
    } else if (c->out.len) {
        conn_close(c); /* send_timeout: the client stopped reading our answers */
        return;
    } else if (c->in.len) {
        /* Slowloris: a head that never completes. */
        buf_fini(&c->in);
        queue_error(c, 408, now);
    } else {
        conn_close(c); /* idle keep-alive connection, or one that never sent anything */
        return;
    }
    if (flush_due(c, now) < 0 || EXT(c)->lingering)
        return;
    conn_update(c, now);
}

void conn_drain(conn *c)
{
    mono_ns now = evloop_now(c->w->loop);
    if (EXT(c)->lingering)
        return;
    c->closing = true;
    c->stop_reading = true;
    if (c->q_len == 0 && c->out.len == 0) {
        conn_close(c);
        return;
    }
    conn_update(c, now);
}
