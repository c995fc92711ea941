/* respond.c - request routing, the delay and error model per request, response bytes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server_int.h"

void respond_update_date(worker *w)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if ((int64_t)ts.tv_sec == w->date_sec)
        return;
    w->date_sec = (int64_t)ts.tv_sec;
    time_t t = ts.tv_sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(w->date, sizeof w->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static bool method_ok(http_str m, bool *head)
{
    *head = http_str_eq(m, "HEAD");
    return *head || http_str_eq(m, "GET");
}

void respond_route(worker *w, const http_request *req, pending *p)
{
    server *s = w->srv;
    const config *cfg = s->cfg;
    size_t ne = cfg->n_endpoints;
    bool head;

    p->ready_at = p->arrival;
    p->close_after = !req->keep_alive;
    p->keep_alive_10 = req->keep_alive && req->minor_version == 0;
    bool ok_method = method_ok(req->method, &head);
    p->head_only = head;

    for (size_t i = 0; i < ne; i++) {
        const config_endpoint *e = &cfg->endpoints[i];
        if (!http_str_eq(req->path, e->path))
            continue;
        p->row = (uint16_t)i;
        if (!ok_method) {
            p->status = 405;
            return;
        }
        p->status = 200;
        p->ready_at = p->arrival + delay_series_next(&s->series[i], &w->cursors[i]);
        if (e->error_rate > 0 && rng_unit(&w->rng) < e->error_rate)
            p->status = (int16_t)e->error_status;
        return;
    }
    static const char *const ops[] = {"/healthz", "/readyz", "/metrics", "/config"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (!http_str_eq(req->path, ops[i]))
            continue;
        p->row = (uint16_t)(ne + i);
        if (!ok_method)
            p->status = 405;
        else if (ne + i == ne + ROW_READYZ && __atomic_load_n(&s->draining, __ATOMIC_RELAXED))
            p->status = 503;
        else
            p->status = 200;
        return;
    }
    p->row = (uint16_t)(ne + ROW_OTHER);
    p->status = ok_method ? 404 : 405;
}

/* Appends the decimal digits of v. */
static void put_u64(buf *out, uint64_t v)
{
    char d[20];
    size_t i = sizeof d;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    buf_append(out, d + i, sizeof d - i);
}

/* Why no printf: this runs once per response, and vfprintf's format walk and locale-aware
 * conversion were the largest user-space cost per request on GET / (perf, bench/msdemo). */
/* A string literal with its length known at compile time (no strlen per response). */
#define PUT_LIT(out, lit) buf_append((out), (lit), sizeof(lit) - 1)

static void head_lines(worker *w, buf *out, const pending *p, const char *ctype, size_t len)
{
    int status = p->status;
    PUT_LIT(out, "HTTP/1.1 ");
    put_u64(out, (uint64_t)status);
    buf_putc(out, ' ');
    buf_puts(out, http_reason(status));
    PUT_LIT(out, "\r\nServer: msdemo\r\n");
    if (w->srv->instance[0]) {
        PUT_LIT(out, "X-Served-By: ");
        buf_puts(out, w->srv->instance);
        PUT_LIT(out, "\r\n");
    }
    PUT_LIT(out, "Date: ");
    buf_puts(out, w->date);
    PUT_LIT(out, "\r\nContent-Type: ");
    buf_puts(out, ctype);
    PUT_LIT(out, "\r\nContent-Length: ");
    put_u64(out, (uint64_t)len);
    if (p->close_after)
        PUT_LIT(out, "\r\nConnection: close\r\n");
    else if (p->keep_alive_10)
        PUT_LIT(out, "\r\nConnection: keep-alive\r\n");
    else
        PUT_LIT(out, "\r\n");
    if (status == 405)
        PUT_LIT(out, "Allow: GET, HEAD\r\n");
    PUT_LIT(out, "\r\n");
}

static void simple(worker *w, const pending *p, buf *out, const char *ctype, const char *body, size_t len)
{
    head_lines(w, out, p, ctype, len);
    if (!p->head_only)
        buf_append(out, body, len);
}

void respond_format(worker *w, const pending *p, buf *out)
{
    server *s = w->srv;
    size_t ne = s->cfg->n_endpoints;

    if (p->status == 200 && p->row < ne) {
        const config_endpoint *e = &s->cfg->endpoints[p->row];
        simple(w, p, out, e->content_type, e->body, e->body_len);
        return;
    }
    if (p->status == 200 && p->row >= ne) {
        switch (p->row - ne) {
        case ROW_HEALTHZ: simple(w, p, out, "text/plain", "ok\n", 3); return;
        case ROW_READYZ: simple(w, p, out, "text/plain", "ready\n", 6); return;
        case ROW_CONFIG: simple(w, p, out, "application/json", s->config_json.data, s->config_json.len); return;
        case ROW_METRICS: {
            metrics_process proc = {s->start_time, !__atomic_load_n(&s->draining, __ATOMIC_RELAXED), PT_VERSION};
            buf body = BUF_INIT;
            metrics_render(&s->layout, s->mptrs, s->nworkers, &proc, &body);
            if (buf_ok(&body)) {
                simple(w, p, out, "text/plain; version=0.0.4; charset=utf-8", body.data, body.len);
            } else {
                pending q = *p;
                q.status = 500;
                simple(w, &q, out, "text/plain", "out of memory\n", 14);
            }
            buf_fini(&body);
            return;
        }
        default: break;
        }
    }
    char msg[64];
    if (p->row < ne && p->status != 405)
        snprintf(msg, sizeof msg, "injected error\n");
    else if (p->row == ne + ROW_READYZ && p->status == 503)
        snprintf(msg, sizeof msg, "draining\n");
    else
        snprintf(msg, sizeof msg, "%s\n", http_reason(p->status));
    simple(w, p, out, "text/plain", msg, strlen(msg));
}
