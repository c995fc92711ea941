/* collect_server.c - the collector's routes, served by lib/net's httpserv. */
#include "collect_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect_wire.h"
#include "hlog.h"

struct collect_server {
    httpserv *srv;
    collect *c;
    collect_server_upload_cb cb;
    void *arg;
};

/* --- routes -------------------------------------------------------------------------- */

static void reply_text(collect_server_reply *r, int status, const char *text)
{
    httpserv_reply_text(r, status, text);
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
        return HTTPSERV_DEFAULT_BODY;
    if (path_is(rest, rn, "interval"))
        return COLLECT_WIRE_MAX_INTERVAL_BYTES;
    if (path_is(rest, rn, "final"))
        return COLLECT_WIRE_MAX_COMMIT_BYTES;
    if (rn > 6 && memcmp(rest, "final/", 6) == 0)
        return COLLECT_WIRE_MAX_FILE_BYTES;
    return HTTPSERV_DEFAULT_BODY;
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

static uint64_t body_limit(void *arg, const char *path, size_t plen)
{
    (void)arg;
    return collect_server_body_limit(path, plen);
}

static void handle(void *arg, const char *m, size_t mlen, const char *path, size_t plen, const char *body, size_t len,
                   httpserv_reply *r)
{
    collect_server *s = arg;
    collect_server_handle(s->c, m, mlen, path, plen, body, len, clock_wall_now() / CLOCK_NS_PER_MS, r);
    bool read_only = (mlen == 3 && memcmp(m, "GET", 3) == 0) || (mlen == 4 && memcmp(m, "HEAD", 4) == 0);
    /* The callback only arms a timer: the answer is queued before anything it starts runs. */
    if (r->status == 200 && !read_only && s->cb)
        s->cb(s->arg);
}

int collect_server_create(collect_server **out, evloop *loop, const char *addr, collect *c, collect_server_upload_cb cb,
                          void *arg, char *err, size_t errlen)
{
    collect_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->c = c;
    s->cb = cb;
    s->arg = arg;
    httpserv_opts o = {.handle = handle,
                       .body_limit = body_limit,
                       .arg = s,
                       .idle_s = COLLECT_SERVER_IDLE_S,
                       .max_conns = COLLECT_SERVER_MAX_CONNS,
                       .what = "--listen"};
    if (httpserv_create(&s->srv, loop, addr, &o, err, errlen) != 0) {
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
    httpserv_destroy(s->srv);
    free(s);
}
