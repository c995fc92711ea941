/* client_render.c - client_req_render/client_req_fini: validates a plan request and renders
 * it once to wire bytes (request line, headers, body; and once more with `Connection: close`
 * for the last request of a connection), with its report URL and the KMP table
 * of its body_contains text, so that the hot path only send()s a shared buffer. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

#ifndef PT_VERSION
#define PT_VERSION "unknown"
#endif

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
            snprintf(err, errlen, "header \"%s\": invalid name or value for HTTP", h[i].name ? h[i].name : "");
            return -1;
        }
        if (strcasecmp(h[i].name, "content-length") == 0 || strcasecmp(h[i].name, "transfer-encoding") == 0) {
            snprintf(err, errlen, "header %s is computed by ptest; remove it from the plan", h[i].name);
            return -1;
        }
    }
    return 0;
}

/* The request on the wire; close: with `Connection: close`, instead of any Connection
 * header the plan gives. */
static void render(buf *b, const plan *p, const plan_request *pr, const char *method, const char *base, bool close,
                   bool tail)
{
    buf_printf(b, "%s %s%s HTTP/1.1\r\n", method, base, pr->path);
    if (!has_header(pr->headers, pr->n_headers, "host") && !has_header(p->headers, p->n_headers, "host"))
        buf_printf(b, "Host: %s\r\n", plan_target_url(p, pr->target)->authority);
    if (!has_header(pr->headers, pr->n_headers, "user-agent") && !has_header(p->headers, p->n_headers, "user-agent"))
        buf_puts(b, "User-Agent: ptest/" PT_VERSION "\r\n");
    /* Plan-wide headers first, unless the request overrides the same name. */
    for (size_t i = 0; i < p->n_headers; i++)
        if (!has_header(pr->headers, pr->n_headers, p->headers[i].name) &&
            !(close && strcasecmp(p->headers[i].name, "connection") == 0))
            buf_printf(b, "%s: %s\r\n", p->headers[i].name, p->headers[i].value);
    for (size_t i = 0; i < pr->n_headers; i++)
        if (!(close && strcasecmp(pr->headers[i].name, "connection") == 0))
            buf_printf(b, "%s: %s\r\n", pr->headers[i].name, pr->headers[i].value);
    if (close)
        buf_puts(b, "Connection: close\r\n");
    if (!tail)
        return;
    if (pr->body || method_has_body(method))
        buf_printf(b, "Content-Length: %zu\r\n", pr->body ? pr->body_len : (size_t)0);
    buf_puts(b, "\r\n");
    if (pr->body && pr->body_len > 0)
        buf_append(b, pr->body, pr->body_len);
}

/* Template ids of a plan's variables. */
static int lookup(const char *name, size_t len, void *arg)
{
    int i = plan_var_find(arg, name, len);
    return i < 0 ? -1 : VARS_N_BUILTIN + i;
}

int client_req_render(client_req *r, const plan *p, const plan_request *pr, uint32_t label, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    buf b = BUF_INIT, c = BUF_INIT, u = BUF_INIT;
    const char *method = pr->method && *pr->method ? pr->method : "GET";
    const plan_url *t = plan_target_url(p, pr->target);
    const char *base = t->base_path ? t->base_path : "";
    if (!is_token(method)) {
        snprintf(err, errlen, "request %s: invalid method \"%s\"", pr->label, method);
        return -1;
    }
    if (!pr->path || (pr->path[0] != '/' && !(pr->templated && pr->path[0] == '$')) || !is_target(pr->path) ||
        !is_target(base)) {
        snprintf(err, errlen, "request %s: invalid path \"%s\"", pr->label, pr->path ? pr->path : "");
        return -1;
    }
    if (check_headers(p->headers, p->n_headers, err, errlen) != 0 ||
        check_headers(pr->headers, pr->n_headers, err, errlen) != 0)
        return -1;

    render(&b, p, pr, method, base, false, !pr->templated);
    render(&c, p, pr, method, base, true, !pr->templated);

    char hpa[300];
    host_port(t, hpa, sizeof(hpa));
    buf_printf(&u, "%s://%s%s%s", t->tls ? "https" : "http", hpa, base, pr->path);
    if (!buf_ok(&b) || !buf_ok(&c) || !buf_ok(&u))
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
    r->wire_close = c.data;
    r->wire_close_len = c.len;
    r->url = u.data;
    if (pr->templated) {
        r->content_length = pr->body || method_has_body(method);
        if (vars_tpl_compile(&r->tpl_head, r->wire, r->wire_len, VARS_CTX_PATH, VARS_CTX_HEADER, lookup, (void *)p, err,
                             errlen) < 0 ||
            vars_tpl_compile(&r->tpl_head_close, r->wire_close, r->wire_close_len, VARS_CTX_PATH, VARS_CTX_HEADER,
                             lookup, (void *)p, err, errlen) < 0 ||
            (pr->body && vars_tpl_compile(&r->tpl_body, pr->body, pr->body_len, VARS_CTX_BODY, VARS_CTX_BODY, lookup,
                                          (void *)p, err, errlen) < 0)) {
            char why[256];
            snprintf(why, sizeof why, "%s", err);
            client_req_fini(r);
            snprintf(err, errlen, "request %s: %s", pr->label, why);
            return -1;
        }
    }
    return 0;
nomem:
    buf_fini(&b);
    buf_fini(&c);
    buf_fini(&u);
    free(r->expect);
    free(r->kmp);
    memset(r, 0, sizeof(*r));
    snprintf(err, errlen, "out of memory");
    return -1;
}

int client_req_expand(const client_req *r, bool closing, const vars_env *env, const char *extra, size_t extra_len,
                      char *out, size_t cap, size_t *len)
{
    /* The body is expanded after a gap that its Content-Length line fits in, then moved
     * up to the line's end. */
    enum { GAP = 40 };
    size_t n = 0;
    int rc = vars_expand(closing ? &r->tpl_head_close : &r->tpl_head, env, out, cap, &n);
    if (rc)
        return rc;
    if (extra_len > cap - n)
        return VARS_ETOOBIG;
    if (extra_len)
        memcpy(out + n, extra, extra_len);
    n += extra_len;
    if (cap - n < GAP)
        return VARS_ETOOBIG;
    size_t b0 = n + GAP, b = b0;
    if ((rc = vars_expand(&r->tpl_body, env, out, cap, &b)))
        return rc;
    size_t blen = b - b0;
    char cl[GAP + 1];
    int w = r->content_length ? snprintf(cl, sizeof cl, "Content-Length: %zu\r\n\r\n", blen)
                              : snprintf(cl, sizeof cl, "\r\n");
    memcpy(out + n, cl, (size_t)w);
    memmove(out + n + (size_t)w, out + b0, blen);
    *len = n + (size_t)w + blen;
    return 0;
}

void client_req_fini(client_req *r)
{
    vars_tpl_fini(&r->tpl_head);
    vars_tpl_fini(&r->tpl_head_close);
    vars_tpl_fini(&r->tpl_body);
    free(r->wire);
    free(r->wire_close);
    free(r->expect);
    free(r->kmp);
    free(r->url);
    memset(r, 0, sizeof(*r));
}
