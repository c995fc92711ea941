/* plan.c - ptest plans: the YAML loader and its checks, target URLs, ad-hoc plans and the
 * command-line overrides. */
#include "plan.h"
#include "strdist.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamltree.h"

#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_SEC UINT64_C(1000000000)
#define NS_PER_HOUR (UINT64_C(3600) * NS_PER_SEC)

#define MAX_URL 4096
#define MAX_PATH 8192
#define MAX_HOST 255
#define MAX_METHOD 32
#define MAX_HEADER_NAME 256
#define MAX_HEADER_VALUE 8192
#define MAX_EXPR 256
#define MAX_USERS 1000000u
#define MAX_WEIGHT 1000000u
#define MAX_CONNECTIONS 1000000u
#define MAX_ITERATIONS UINT64_C(1000000000000)
/* Far above what one Pi or one laptop can send; it stops a typo ("1000000/s") from
 * turning into a schedule the engine cannot keep anyway. */
#define MAX_RATE 1e7

/* ---- small helpers -------------------------------------------------------------- */

static int set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup(const char *s)
{
    return dupn(s, strlen(s));
}

/* ASCII-only case folding: HTTP names are ASCII and the C locale must not matter. */
static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool caseeq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

static bool caseeq(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && caseeq_n(a, b, n);
}

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

/* Visible ASCII, no space: what a request target may hold without percent-encoding. */
static bool all_vchar(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

#define QCAP 256

/* Quotes a user string for a message: at most 48 bytes, '"', '\' and bytes outside
 * printable ASCII escaped, so a hostile plan cannot garble a log line or a terminal. */
static const char *qs(char *buf, const char *s, size_t n)
{
    size_t o = 0, i;
    buf[o++] = '"';
    for (i = 0; i < n && i < 48; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            o += (size_t)snprintf(buf + o, QCAP - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    if (i < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* Why s cannot be a label or name, or NULL if it can. Printable ASCII only: labels end up
 * in CSV, XML, JSON, HTML and terminal lines, and stay easy to type in thresholds. */
static const char *name_problem(const char *s, size_t n)
{
    if (n == 0)
        return "is empty";
    if (n > PLAN_MAX_LABEL)
        return "is longer than 64 bytes";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            return "contains a control or non-ASCII byte (printable ASCII only)";
    if (s[0] == ' ' || s[n - 1] == ' ')
        return "starts or ends with a space";
    return NULL;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}


/* ---- URLs ----------------------------------------------------------------------- */

void plan_url_free(plan_url *u)
{
    if (!u)
        return;
    free(u->scheme);
    free(u->host);
    free(u->base_path);
    free(u->authority);
    memset(u, 0, sizeof *u);
}

static bool valid_v6(const char *s, size_t n)
{
    bool colon = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ':')
            colon = true;
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.'))
            return false;
    }
    return colon && n <= 45;
}

static bool valid_hostname(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return false;
    }
    return true;
}

/* Parses "http://authority" of s into u (scheme, host, port, authority; base_path left
 * NULL) and points *rest at what follows the authority (path, query, fragment). */
static int url_head(plan_url *u, const char *s, const char **rest, char *err, size_t errlen)
{
    char q[QCAP];

    memset(u, 0, sizeof *u);
    if (!s || !*s)
        return set_err(err, errlen, "empty URL");
    size_t len = strlen(s);
    if (len > MAX_URL)
        return set_err(err, errlen, "URL is longer than %d bytes", MAX_URL);
    const char *sep = strstr(s, "://");
    size_t sl = sep ? (size_t)(sep - s) : 0;
    if (!sep || sl == 0 || !all_vchar(s, sl))
        return set_err(err, errlen, "URL %s must start with http://", qs(q, s, len));
    if (sl == 5 && caseeq_n(s, "https", 5))
        return set_err(err, errlen, "https is not supported: ptest measures plain HTTP inside the cluster");
    if (sl != 4 || !caseeq_n(s, "http", 4))
        return set_err(err, errlen, "unsupported URL scheme %s (only http:// is supported)", qs(q, s, sl));

    const char *a = sep + 3;
    size_t al = strcspn(a, "/?#");
    *rest = a + al;
    if (!all_vchar(a, al))
        return set_err(err, errlen, "URL host %s contains a space, control or non-ASCII byte", qs(q, a, al));
    if (memchr(a, '@', al))
        return set_err(err, errlen, "user credentials in the URL are not supported");

    const char *h = a, *port = NULL;
    size_t hl, pl = 0;
    bool v6 = al > 0 && a[0] == '[';
    if (v6) {
        const char *cb = memchr(a, ']', al);
        if (!cb)
            return set_err(err, errlen, "IPv6 address in URL %s lacks its closing ']'", qs(q, s, len));
        h = a + 1;
        hl = (size_t)(cb - h);
        if (!valid_v6(h, hl))
            return set_err(err, errlen, "invalid IPv6 address %s in URL", qs(q, h, hl));
        const char *after = cb + 1;
        if (after < a + al) {
            if (*after != ':')
                return set_err(err, errlen, "unexpected %s after the IPv6 address in URL",
                               qs(q, after, (size_t)(a + al - after)));
            port = after + 1;
            pl = (size_t)(a + al - port);
        }
    } else {
        const char *colon = memchr(a, ':', al);
        hl = colon ? (size_t)(colon - a) : al;
        if (colon) {
            port = colon + 1;
            pl = (size_t)(a + al - port);
            if (memchr(port, ':', pl))
                return set_err(err, errlen, "IPv6 addresses in URLs need brackets, e.g. http://[::1]:8080/");
        }
        if (!valid_hostname(h, hl))
            return set_err(err, errlen, "invalid host name %s in URL", qs(q, h, hl));
    }
    if (hl == 0)
        return set_err(err, errlen, "URL %s has no host", qs(q, s, len));
    if (hl > MAX_HOST)
        return set_err(err, errlen, "host name in URL is longer than %d bytes", MAX_HOST);

    uint32_t pv = 80;
    if (port) {
        bool ok = pl > 0 && pl <= 5;
        pv = 0;
        for (size_t i = 0; ok && i < pl; i++) {
            if (port[i] < '0' || port[i] > '9')
                ok = false;
            else
                pv = pv * 10 + (uint32_t)(port[i] - '0');
        }
        if (!ok || pv == 0 || pv > 65535)
            return set_err(err, errlen, "invalid port %s in URL (expected 1-65535)", qs(q, port, pl));
    }

    char auth[MAX_HOST + 16];
    if (pv == 80)
        snprintf(auth, sizeof auth, v6 ? "[%.*s]" : "%.*s", (int)hl, h);
    else
        snprintf(auth, sizeof auth, v6 ? "[%.*s]:%u" : "%.*s:%u", (int)hl, h, (unsigned)pv);
    u->port = (uint16_t)pv;
    u->scheme = dup("http");
    u->host = dupn(h, hl);
    u->authority = dup(auth);
    if (!u->scheme || !u->host || !u->authority) {
        plan_url_free(u);
        return set_err(err, errlen, "out of memory");
    }
    return 0;
}

int plan_url_parse(plan_url *u, const char *s, char *err, size_t errlen)
{
    const char *rest;
    char q[QCAP];

    if (url_head(u, s, &rest, err, errlen) < 0)
        return -1;
    size_t n = strlen(rest);
    if (strpbrk(rest, "?#")) {
        plan_url_free(u);
        return set_err(err, errlen, "target URL must not have a query or fragment (put it in the request path)");
    }
    if (!all_vchar(rest, n)) {
        plan_url_free(u);
        return set_err(err, errlen, "URL path %s contains a space, control or non-ASCII byte", qs(q, rest, n));
    }
    while (n > 0 && rest[n - 1] == '/')
        n--;
    if (!(u->base_path = dupn(rest, n))) {
        plan_url_free(u);
        return set_err(err, errlen, "out of memory");
    }
    return 0;
}

/* ---- freeing -------------------------------------------------------------------- */

static void headers_free(plan_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

void plan_free(plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_scenarios; i++) {
        plan_scenario *s = &p->scenarios[i];
        for (size_t j = 0; j < s->n_requests; j++) {
            plan_request *r = &s->requests[j];
            free(r->label);
            free(r->method);
            free(r->path);
            headers_free(r->headers, r->n_headers);
            free(r->body);
            free(r->expect_body);
        }
        free(s->requests);
        free(s->stages);
        free(s->name);
    }
    free(p->scenarios);
    for (size_t i = 0; i < p->n_thresholds; i++) {
        free(p->thresholds[i].label);
        free(p->thresholds[i].expr);
    }
    free(p->thresholds);
    headers_free(p->headers, p->n_headers);
    plan_url_free(&p->target);
    free(p->target_str);
    free(p->name);
    free(p->source);
    memset(p, 0, sizeof *p);
}

static void set_defaults(plan *p)
{
    p->connect_timeout_ns = 5 * NS_PER_SEC;
    p->request_timeout_ns = 30 * NS_PER_SEC;
    p->apdex_t_ns = 500 * NS_PER_MS;
}

/* ---- YAML loading --------------------------------------------------------------- */

typedef struct loader {
    yt_doc doc;
    yt_error err;
    plan *p;
    uint32_t n_labels;      /* distinct labels so far */
    size_t n_requests;      /* requests so far, whole plan */
} loader;

#define FAIL(L, node, ...) yt_fail(&(L)->doc, (node), &(L)->err, __VA_ARGS__)

static int oom(loader *L)
{
    return FAIL(L, NULL, "out of memory");
}

/* Optional mapping-valued keys: an empty value ("headers:" with everything commented out)
 * counts as absent. */
static const yt_node *opt_map(const yt_node *map, const char *key)
{
    const yt_node *v = yt_get(map, key);
    return v && v->kind == YT_NULL ? NULL : v;
}

static int get_str(loader *L, const yt_node *n, char **out)
{
    const char *s;
    if (yt_str(&L->doc, n, &s, &L->err) < 0)
        return -1;
    if (!(*out = dupn(s, n->len)))
        return oom(L);
    return 0;
}

static int get_name(loader *L, const yt_node *n, const char *what, char **out)
{
    char q[QCAP];
    const char *s, *why;
    if (yt_str(&L->doc, n, &s, &L->err) < 0)
        return -1;
    if ((why = name_problem(s, n->len)))
        return FAIL(L, n, "%s %s %s", what, qs(q, s, n->len), why);
    if (!(*out = dupn(s, n->len)))
        return oom(L);
    return 0;
}

static int get_duration(loader *L, const yt_node *map, const char *key, uint64_t max, uint64_t *out)
{
    const yt_node *v = yt_get(map, key);
    if (!v)
        return 0;
    if (yt_duration(&L->doc, v, out, &L->err) < 0)
        return -1;
    if (*out > max) {
        char b[32];
        snprintf(b, sizeof b, "%" PRIu64 "h", max / NS_PER_HOUR);
        return FAIL(L, v, "%s is longer than %s", key, b);
    }
    return 0;
}

static int parse_headers(loader *L, const yt_node *map, plan_header **out, size_t *n_out)
{
    char q[QCAP], q2[QCAP];

    if (yt_expect(&L->doc, map, YT_MAP, &L->err) < 0)
        return -1;
    if (map->n > PLAN_MAX_HEADERS)
        return FAIL(L, map, "too many headers (%zu, at most %d)", map->n, PLAN_MAX_HEADERS);
    if (map->n == 0)
        return 0;
    plan_header *hs = calloc(map->n, sizeof *hs);
    if (!hs)
        return oom(L);
    *out = hs;
    *n_out = map->n;
    for (size_t i = 0; i < map->n; i++) {
        const yt_node *k = map->keys[i], *v = map->vals[i];
        const char *val;
        if (k->len > MAX_HEADER_NAME || !is_token(k->str, k->len))
            return FAIL(L, k, "invalid header name %s (a token: letters, digits and !#$%%&'*+-.^_`|~)",
                        qs(q, k->str, k->len));
        if (caseeq(k->str, "content-length") || caseeq(k->str, "transfer-encoding"))
            return FAIL(L, k, "header %s is set by ptest from the body; remove it", qs(q, k->str, k->len));
        for (size_t j = 0; j < i; j++)
            if (caseeq(map->keys[j]->str, k->str))
                return FAIL(L, k, "header %s repeats %s (header names are case-insensitive)",
                            qs(q, k->str, k->len), qs(q2, map->keys[j]->str, map->keys[j]->len));
        if (yt_str(&L->doc, v, &val, &L->err) < 0)
            return -1;
        if (v->len > MAX_HEADER_VALUE)
            return FAIL(L, v, "value of header %s is longer than %d bytes", qs(q, k->str, k->len),
                        MAX_HEADER_VALUE);
        for (size_t j = 0; j < v->len; j++) {
            unsigned char c = (unsigned char)val[j];
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return FAIL(L, v, "value of header %s contains CR, LF or another control byte",
                            qs(q, k->str, k->len));
        }
        if (!(hs[i].name = dupn(k->str, k->len)) || !(hs[i].value = dupn(val, v->len)))
            return oom(L);
    }
    return 0;
}

static int parse_think(loader *L, const yt_node *n, plan_think *t)
{
    static const char *const keys[] = {"dist", "mean", "stddev", NULL};
    char q[QCAP];
    const yt_node *v;

    t->dist = RNG_CONSTANT;
    if (n->kind != YT_MAP) {
        if (yt_duration(&L->doc, n, &t->mean_ns, &L->err) < 0)
            return -1;
        if (t->mean_ns > NS_PER_HOUR)
            return FAIL(L, n, "think_time is longer than 1h");
        return 0;
    }
    if (yt_check_keys(&L->doc, n, keys, &L->err) < 0)
        return -1;
    if (!yt_get(n, "mean"))
        return FAIL(L, n, "think_time needs \"mean\"");
    if ((v = yt_get(n, "dist"))) {
        const char *s;
        if (yt_str(&L->doc, v, &s, &L->err) < 0)
            return -1;
        if (rng_dist_parse(s, &t->dist) < 0)
            return FAIL(L, v, "unknown dist %s (expected constant, uniform, normal, lognormal or exponential)",
                        qs(q, s, v->len));
    }
    if (get_duration(L, n, "mean", NS_PER_HOUR, &t->mean_ns) < 0 ||
        get_duration(L, n, "stddev", NS_PER_HOUR, &t->stddev_ns) < 0)
        return -1;
    if ((v = yt_get(n, "stddev")) && (t->dist == RNG_CONSTANT || t->dist == RNG_EXPONENTIAL))
        return FAIL(L, v, "stddev has no effect with dist: %s%s", rng_dist_name(t->dist),
                    t->dist == RNG_CONSTANT ? " (choose normal, lognormal or uniform)"
                                            : " (its stddev equals its mean)");
    return 0;
}

static int parse_path(loader *L, const yt_node *n, char **out)
{
    char q[QCAP];
    const char *s;
    if (yt_str(&L->doc, n, &s, &L->err) < 0)
        return -1;
    if (n->len == 0 || s[0] != '/')
        return FAIL(L, n, "path %s must start with '/' (the host comes from target)", qs(q, s, n->len));
    if (n->len > MAX_PATH)
        return FAIL(L, n, "path is longer than %d bytes", MAX_PATH);
    if (!all_vchar(s, n->len))
        return FAIL(L, n, "path %s contains a space, control or non-ASCII byte (percent-encode it)",
                    qs(q, s, n->len));
    if (!(*out = dupn(s, n->len)))
        return oom(L);
    return 0;
}

/* Canonical spelling of the well-known methods, so "get" sends "GET"; other tokens are
 * sent as written (methods are case-sensitive on the wire). */
static char *method_dup(const char *s, size_t n)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i]) == n && caseeq_n(s, known[i], n))
            return dup(known[i]);
    return dupn(s, n);
}

/* A label stands for one (method, path) across the plan: the same label in two scenarios
 * is one line in the results, so it must measure the same thing; within one scenario a
 * repeated label would silently merge two weights. */
static int register_label(loader *L, size_t si, size_t ri, const yt_node *at)
{
    char q[QCAP], q2[QCAP];
    plan *p = L->p;
    plan_request *r = &p->scenarios[si].requests[ri];

    for (size_t j = 0; j < ri; j++) {
        const plan_request *o = &p->scenarios[si].requests[j];
        if (strcmp(o->label, r->label) != 0)
            continue;
        /* In a sequence nothing is merged: a repeated request is just visited twice. */
        if (p->scenarios[si].order == PLAN_ORDER_SEQUENCE && strcmp(o->method, r->method) == 0 &&
            strcmp(o->path, r->path) == 0) {
            r->label_id = o->label_id;
            return 0;
        }
        return FAIL(L, at, "duplicate label %s in scenario %s (first at line %u, column %u); "
                        "give each request its own \"label\"", qs(q, r->label, strlen(r->label)),
                        qs(q2, p->scenarios[si].name, strlen(p->scenarios[si].name)), o->line, o->col);
    }
    for (size_t i = 0; i < si; i++) {
        const plan_scenario *s = &p->scenarios[i];
        for (size_t j = 0; j < s->n_requests; j++) {
            const plan_request *o = &s->requests[j];
            if (strcmp(o->label, r->label) != 0)
                continue;
            if (strcmp(o->method, r->method) != 0 || strcmp(o->path, r->path) != 0)
                return FAIL(L, at, "label %s names %s %s here but %s %s at line %u, column %u; "
                            "a label must always name the same method and path",
                            qs(q, r->label, strlen(r->label)), r->method, r->path, o->method, o->path,
                            o->line, o->col);
            r->label_id = o->label_id;
            return 0;
        }
    }
    r->label_id = L->n_labels++;
    return 0;
}

static int parse_request(loader *L, size_t si, size_t ri, const yt_node *n)
{
    static const char *const keys[] = {"label", "method", "path", "headers", "body", "weight", "expect", NULL};
    static const char *const expect_keys[] = {"status", "body_contains", NULL};
    plan_request *r = &L->p->scenarios[si].requests[ri];
    const yt_node *v, *label_at;
    char q[QCAP];
    uint64_t u;

    if (yt_check_keys(&L->doc, n, keys, &L->err) < 0)
        return -1;
    r->line = n->line;
    r->col = n->col;
    if (!(v = yt_get(n, "path")))
        return FAIL(L, n, "request needs \"path\"");
    if (parse_path(L, v, &r->path) < 0)
        return -1;
    label_at = v;
    if ((v = yt_get(n, "method"))) {
        const char *s;
        if (yt_str(&L->doc, v, &s, &L->err) < 0)
            return -1;
        if (v->len > MAX_METHOD || !is_token(s, v->len))
            return FAIL(L, v, "invalid method %s", qs(q, s, v->len));
        r->method = method_dup(s, v->len);
    } else {
        r->method = dup("GET");
    }
    if (!r->method)
        return oom(L);
    if ((v = yt_get(n, "label"))) {
        if (get_name(L, v, "label", &r->label) < 0)
            return -1;
        label_at = v;
    } else {
        const char *why = name_problem(r->path, strlen(r->path));
        if (why)
            return FAIL(L, label_at, "the path as default label %s; set a \"label\"", why);
        if (!(r->label = dup(r->path)))
            return oom(L);
    }
    if (strcmp(r->label, "*") == 0)
        return FAIL(L, label_at, "label \"*\" is reserved (in thresholds it means every label)");
    r->weight = 1;
    if ((v = yt_get(n, "weight"))) {
        if (yt_u64(&L->doc, v, 1, MAX_WEIGHT, &u, &L->err) < 0)
            return -1;
        r->weight = (uint32_t)u;
    }
    if ((v = opt_map(n, "headers")) && parse_headers(L, v, &r->headers, &r->n_headers) < 0)
        return -1;
    if ((v = yt_get(n, "body"))) {
        if (get_str(L, v, &r->body) < 0)
            return -1;
        r->body_len = v->len;
    }
    if ((v = opt_map(n, "expect"))) {
        const yt_node *e;
        if (yt_check_keys(&L->doc, v, expect_keys, &L->err) < 0)
            return -1;
        if ((e = yt_get(v, "status"))) {
            if (yt_u64(&L->doc, e, 100, 599, &u, &L->err) < 0)
                return -1;
            r->expect_status = (int)u;
        }
        if ((e = yt_get(v, "body_contains"))) {
            if (get_str(L, e, &r->expect_body) < 0)
                return -1;
            if (e->len == 0)
                return FAIL(L, e, "body_contains must not be empty");
        }
    }
    return register_label(L, si, ri, label_at);
}

static int parse_stage(loader *L, const yt_node *n, const char *what, double *rate, uint64_t *dur)
{
    const yt_node *rn = yt_get(n, "rate"), *dn = yt_get(n, "duration");
    char q[QCAP];

    if (!rn && !dn)
        return FAIL(L, n, "%s needs \"rate\" and \"duration\"", what);
    if (!rn)
        return FAIL(L, n, "%s needs \"rate\" (with \"duration\")", what);
    if (!dn)
        return FAIL(L, n, "%s needs \"duration\" (with \"rate\")", what);
    if (yt_rate(&L->doc, rn, rate, &L->err) < 0)
        return -1;
    if (!(*rate > 0) || *rate > MAX_RATE)
        return FAIL(L, rn, "rate %s is out of range (above 0, at most 10000000/s)", qs(q, rn->str, rn->len));
    if (yt_duration(&L->doc, dn, dur, &L->err) < 0)
        return -1;
    if (*dur == 0)
        return FAIL(L, dn, "duration must be greater than 0");
    return 0;
}

static int parse_open(loader *L, plan_scenario *s, const yt_node *n)
{
    static const char *const stage_keys[] = {"rate", "duration", NULL};
    const yt_node *st = yt_get(n, "stages"), *rate = yt_get(n, "rate"), *dur = yt_get(n, "duration");
    const yt_node *v;
    uint64_t u;

    if (st && (rate || dur))
        return FAIL(L, yt_get_key(n, "stages"), "use either \"rate\" with \"duration\" or \"stages\", not both");
    if (st) {
        if (yt_expect(&L->doc, st, YT_SEQ, &L->err) < 0)
            return -1;
        if (st->n == 0)
            return FAIL(L, st, "stages must not be empty");
        if (st->n > PLAN_MAX_STAGES)
            return FAIL(L, st, "too many stages (%zu, at most %d)", st->n, PLAN_MAX_STAGES);
        if (!(s->stages = calloc(st->n, sizeof *s->stages)))
            return oom(L);
        s->n_stages = st->n;
        for (size_t i = 0; i < st->n; i++) {
            if (yt_check_keys(&L->doc, st->items[i], stage_keys, &L->err) < 0 ||
                parse_stage(L, st->items[i], "stage", &s->stages[i].rate, &s->stages[i].duration_ns) < 0)
                return -1;
        }
    } else if (rate || dur) {
        if (!(s->stages = calloc(1, sizeof *s->stages)))
            return oom(L);
        s->n_stages = 1;
        if (parse_stage(L, n, "open scenario", &s->stages[0].rate, &s->stages[0].duration_ns) < 0)
            return -1;
    } else {
        return FAIL(L, n, "open scenario needs \"rate\" with \"duration\", or \"stages\"");
    }
    s->max_connections = PLAN_DEFAULT_MAX_CONNECTIONS;
    if ((v = yt_get(n, "max_connections"))) {
        if (yt_u64(&L->doc, v, 1, MAX_CONNECTIONS, &u, &L->err) < 0)
            return -1;
        s->max_connections = (uint32_t)u;
    }
    return 0;
}

static int parse_closed(loader *L, plan_scenario *s, const yt_node *n)
{
    const yt_node *v;
    uint64_t u;

    if (!(v = yt_get(n, "users")))
        return FAIL(L, n, "closed scenario needs \"users\"");
    if (yt_u64(&L->doc, v, 1, MAX_USERS, &u, &L->err) < 0)
        return -1;
    s->users = (uint32_t)u;
    if (get_duration(L, n, "ramp_up", PLAN_MAX_DURATION_NS, &s->ramp_up_ns) < 0 ||
        get_duration(L, n, "hold_for", PLAN_MAX_DURATION_NS, &s->hold_for_ns) < 0)
        return -1;
    if ((v = yt_get(n, "hold_for")) && s->hold_for_ns == 0)
        return FAIL(L, v, "hold_for must be greater than 0");
    if ((v = yt_get(n, "iterations")) && yt_u64(&L->doc, v, 1, MAX_ITERATIONS, &s->iterations, &L->err) < 0)
        return -1;
    if (!s->hold_for_ns && !s->iterations)
        return FAIL(L, n, "closed scenario needs \"hold_for\" or \"iterations\"");
    if ((v = yt_get(n, "think_time")) && parse_think(L, v, &s->think) < 0)
        return -1;
    if ((v = yt_get(n, "order"))) {
        const char *o;
        char q[QCAP];
        if (yt_str(&L->doc, v, &o, &L->err) < 0)
            return -1;
        if (strcmp(o, "sequence") == 0)
            s->order = PLAN_ORDER_SEQUENCE;
        else if (strcmp(o, "mix") != 0)
            return FAIL(L, v, "order must be \"mix\" or \"sequence\", found %s", qs(q, o, v->len));
    }
    return 0;
}

static int parse_scenario(loader *L, size_t si, const yt_node *n)
{
    static const char *const keys[] = {"name", "model", "users", "ramp_up", "hold_for", "think_time",
                                       "iterations", "rate", "duration", "stages", "max_connections",
                                       "start_delay", "requests", "order", NULL};
    static const char *const closed_only[] = {"users", "ramp_up", "hold_for", "think_time", "iterations",
                                              "order", NULL};
    static const char *const open_only[] = {"rate", "duration", "stages", "max_connections", NULL};
    plan *p = L->p;
    plan_scenario *s = &p->scenarios[si];
    const yt_node *v;
    char q[QCAP];

    if (yt_check_keys(&L->doc, n, keys, &L->err) < 0)
        return -1;
    s->line = n->line;
    s->col = n->col;
    if ((v = yt_get(n, "name"))) {
        if (get_name(L, v, "scenario name", &s->name) < 0)
            return -1;
        for (size_t i = 0; i < si; i++)
            if (strcmp(p->scenarios[i].name, s->name) == 0)
                return FAIL(L, v, "duplicate scenario name %s (first at line %u, column %u)",
                            qs(q, s->name, strlen(s->name)), p->scenarios[i].line, p->scenarios[i].col);
    } else {
        char b[32];
        snprintf(b, sizeof b, "scenario-%zu", si + 1);
        /* Names must be unique both ways: an earlier explicit "scenario-2" is caught here,
         * a later one by the duplicate check above. */
        if (!(s->name = dup(b)))
            return oom(L);
        for (size_t i = 0; i < si; i++)
            if (strcmp(p->scenarios[i].name, s->name) == 0)
                return FAIL(L, n, "this scenario's default name %s is taken by the scenario at line %u, "
                            "column %u; give it a \"name\"", qs(q, b, strlen(b)), p->scenarios[i].line,
                            p->scenarios[i].col);
    }
    if ((v = yt_get(n, "model"))) {
        const char *m;
        if (yt_str(&L->doc, v, &m, &L->err) < 0)
            return -1;
        if (strcmp(m, "closed") == 0)
            s->model = PLAN_CLOSED;
        else if (strcmp(m, "open") == 0)
            s->model = PLAN_OPEN;
        else
            return FAIL(L, v, "model must be \"closed\" or \"open\", found %s", qs(q, m, v->len));
    } else {
        s->model = yt_get(n, "rate") || yt_get(n, "stages") ? PLAN_OPEN : PLAN_CLOSED;
    }
    const char *const *wrong = s->model == PLAN_OPEN ? closed_only : open_only;
    for (; *wrong; wrong++)
        if ((v = yt_get_key(n, *wrong)))
            return FAIL(L, v, "\"%s\" is not used by %s scenario (it belongs to model: %s)", *wrong,
                        s->model == PLAN_OPEN ? "an open" : "a closed", s->model == PLAN_OPEN ? "closed" : "open");
    if ((s->model == PLAN_OPEN ? parse_open(L, s, n) : parse_closed(L, s, n)) < 0)
        return -1;
    if (get_duration(L, n, "start_delay", PLAN_MAX_DURATION_NS, &s->start_delay_ns) < 0)
        return -1;
    if (plan_scenario_duration(s) > PLAN_MAX_DURATION_NS)
        return FAIL(L, n, "scenario %s lasts longer than 365 days", qs(q, s->name, strlen(s->name)));

    if (!(v = yt_get(n, "requests")))
        return FAIL(L, n, "scenario %s needs \"requests\"", qs(q, s->name, strlen(s->name)));
    if (yt_expect(&L->doc, v, YT_SEQ, &L->err) < 0)
        return -1;
    if (v->n == 0)
        return FAIL(L, v, "requests must not be empty");
    if (v->n > PLAN_MAX_REQUESTS - L->n_requests)
        return FAIL(L, v, "too many requests (at most %d in a plan)", PLAN_MAX_REQUESTS);
    L->n_requests += v->n;
    if (!(s->requests = calloc(v->n, sizeof *s->requests)))
        return oom(L);
    s->n_requests = v->n;
    for (size_t i = 0; i < v->n; i++) {
        if (parse_request(L, si, i, v->items[i]) < 0)
            return -1;
        s->weight_total += s->requests[i].weight;
    }
    return 0;
}

/* The closest label to a mistyped threshold key, or NULL. */
static const char *closest_label(const plan *p, const char *k, size_t kl)
{
    const char *best = NULL;
    unsigned best_d = 3;

    for (size_t i = 0; i < p->n_scenarios; i++) {
        const plan_scenario *s = &p->scenarios[i];
        for (size_t j = 0; j < s->n_requests; j++) {
            const char *l = s->requests[j].label;
            size_t ll = strlen(l);
            if (ll == kl && caseeq_n(l, k, kl))
                return l;
            if (kl > PLAN_MAX_LABEL + 2 || (ll > kl ? ll - kl : kl - ll) > 2)
                continue;
            unsigned d = strdist_osa(k, kl, l, ll);
            /* d < ll: replacing every byte of a short label is no typo ("X" vs "A"). */
            if (d < best_d && d < ll) {
                best_d = d;
                best = l;
            }
        }
    }
    return best;
}

static bool has_label(const plan *p, const char *k, size_t kl)
{
    for (size_t i = 0; i < p->n_scenarios; i++)
        for (size_t j = 0; j < p->scenarios[i].n_requests; j++) {
            const char *l = p->scenarios[i].requests[j].label;
            if (strlen(l) == kl && memcmp(l, k, kl) == 0)
                return true;
        }
    return false;
}

static int unknown_label(loader *L, const yt_node *k)
{
    char q[QCAP], list[200];
    const char *best = closest_label(L->p, k->str, k->len);
    const char *labels[16];
    size_t n = plan_labels(L->p, labels, 16), o = 0;

    qs(q, k->str, k->len);
    if (best)
        return FAIL(L, k, "threshold for unknown label %s (did you mean \"%s\"?)", q, best);
    for (size_t i = 0; i < n && i < 16; i++) {
        int w = snprintf(list + o, sizeof list - o, "%s\"%s\"", i ? ", " : "", labels[i]);
        if (w < 0 || (size_t)w >= sizeof list - o || i == 15) {
            o = 0;
            break;
        }
        o += (size_t)w;
    }
    if (o)
        return FAIL(L, k, "threshold for unknown label %s (labels: %s; \"*\" means all)", q, list);
    return FAIL(L, k, "threshold for unknown label %s (\"*\" means all labels)", q);
}

static int parse_thresholds(loader *L, const yt_node *map)
{
    char q[QCAP];
    size_t total = 0;
    plan *p = L->p;

    if (yt_expect(&L->doc, map, YT_MAP, &L->err) < 0)
        return -1;
    for (size_t i = 0; i < map->n; i++) {
        const yt_node *k = map->keys[i], *v = map->vals[i];
        if (!(k->len == 1 && k->str[0] == '*') && !has_label(p, k->str, k->len))
            return unknown_label(L, k);
        if (v->kind != YT_SEQ)
            return FAIL(L, v, "thresholds of %s: expected a list of expressions, e.g. [\"p95 < 250ms\"]",
                        qs(q, k->str, k->len));
        total += v->n;
    }
    if (total == 0)
        return 0;
    if (!(p->thresholds = calloc(total, sizeof *p->thresholds)))
        return oom(L);
    p->n_thresholds = total;
    size_t t = 0;
    for (size_t i = 0; i < map->n; i++) {
        const yt_node *k = map->keys[i], *v = map->vals[i];
        for (size_t j = 0; j < v->n; j++, t++) {
            const yt_node *e = v->items[j];
            plan_threshold *th = &p->thresholds[t];
            if (get_str(L, e, &th->expr) < 0)
                return -1;
            th->line = e->line;
            th->col = e->col;
            if (strspn(th->expr, " \t") == e->len)
                return FAIL(L, e, "empty threshold expression");
            if (e->len > MAX_EXPR)
                return FAIL(L, e, "threshold expression is longer than %d bytes", MAX_EXPR);
            for (size_t c = 0; c < e->len; c++)
                if ((unsigned char)th->expr[c] < 0x20 || th->expr[c] == 0x7f)
                    return FAIL(L, e, "threshold expression %s contains a control byte", qs(q, th->expr, e->len));
            if (!(th->label = dupn(k->str, k->len)))
                return oom(L);
        }
    }
    return 0;
}

/* "dir/ms-demo.yaml" -> "ms-demo"; "plan" when that is no usable name. */
static char *default_name(const char *file)
{
    const char *b = file ? strrchr(file, '/') : NULL;
    b = b ? b + 1 : file ? file : "";
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot > b ? (size_t)(dot - b) : strlen(b);
    if (name_problem(b, n) || (n == 7 && memcmp(b, "<input>", 7) == 0))
        return dup("plan");
    return dupn(b, n);
}

static int parse_root(loader *L)
{
    static const char *const keys[] = {"name", "target", "settings", "headers", "scenarios", "thresholds", NULL};
    static const char *const settings_keys[] = {"connect_timeout", "request_timeout", "apdex_t", NULL};
    const yt_node *root = L->doc.root, *v;
    plan *p = L->p;

    if (!root)
        return FAIL(L, NULL, "empty plan (expected a mapping with target and scenarios)");
    if (yt_check_keys(&L->doc, root, keys, &L->err) < 0)
        return -1;
    if ((v = yt_get(root, "name"))) {
        if (get_name(L, v, "plan name", &p->name) < 0)
            return -1;
    } else if (!(p->name = default_name(L->doc.file))) {
        return oom(L);
    }
    if ((v = yt_get(root, "target"))) {
        const char *s;
        char msg[sizeof L->err.msg];
        if (yt_str(&L->doc, v, &s, &L->err) < 0)
            return -1;
        if (plan_url_parse(&p->target, s, msg, sizeof msg) < 0)
            return FAIL(L, v, "%s", msg);
        if (!(p->target_str = dupn(s, v->len)))
            return oom(L);
    }
    if ((v = opt_map(root, "settings"))) {
        static const char *const names[] = {"connect_timeout", "request_timeout", "apdex_t"};
        uint64_t *dst[] = {&p->connect_timeout_ns, &p->request_timeout_ns, &p->apdex_t_ns};
        if (yt_check_keys(&L->doc, v, settings_keys, &L->err) < 0)
            return -1;
        for (size_t i = 0; i < 3; i++) {
            if (get_duration(L, v, names[i], NS_PER_HOUR, dst[i]) < 0)
                return -1;
            if (yt_get(v, names[i]) && *dst[i] == 0)
                return FAIL(L, yt_get(v, names[i]), "%s must be greater than 0", names[i]);
        }
    }
    if ((v = opt_map(root, "headers")) && parse_headers(L, v, &p->headers, &p->n_headers) < 0)
        return -1;
    if (!(v = yt_get(root, "scenarios")))
        return FAIL(L, root, "plan needs \"scenarios\"");
    if (yt_expect(&L->doc, v, YT_SEQ, &L->err) < 0)
        return -1;
    if (v->n == 0)
        return FAIL(L, v, "scenarios must not be empty");
    if (v->n > PLAN_MAX_SCENARIOS)
        return FAIL(L, v, "too many scenarios (%zu, at most %d)", v->n, PLAN_MAX_SCENARIOS);
    if (!(p->scenarios = calloc(v->n, sizeof *p->scenarios)))
        return oom(L);
    p->n_scenarios = v->n;
    for (size_t i = 0; i < v->n; i++)
        if (parse_scenario(L, i, v->items[i]) < 0)
            return -1;
    if ((v = opt_map(root, "thresholds")) && parse_thresholds(L, v) < 0)
        return -1;
    return 0;
}

/* Shared tail of both loaders: L->doc is loaded (or failed with L->err set). */
static int load_finish(loader *L, int loaded, char *err, size_t errlen)
{
    int rc = -1;
    plan *p = L->p;

    if (loaded == 0) {
        set_defaults(p);
        if (!(p->source = dup(L->doc.file ? L->doc.file : "<input>")))
            oom(L);
        else
            rc = parse_root(L);
        yt_free(&L->doc);
    }
    if (rc < 0) {
        plan_free(p);
        set_err(err, errlen, "%s", L->err.msg);
    }
    return rc;
}

int plan_load_string(plan *p, const char *name, const char *data, size_t len, char *err, size_t errlen)
{
    loader L;
    memset(&L, 0, sizeof L);
    memset(p, 0, sizeof *p);
    L.p = p;
    return load_finish(&L, yt_load_string(&L.doc, name, data, len, &L.err), err, errlen);
}

int plan_load_file(plan *p, const char *path, char *err, size_t errlen)
{
    loader L;
    memset(&L, 0, sizeof L);
    memset(p, 0, sizeof *p);
    L.p = p;
    return load_finish(&L, yt_load_file(&L.doc, path, &L.err), err, errlen);
}

int plan_validate(const plan *p, char *err, size_t errlen)
{
    const char *src = p->source ? p->source : "plan";
    if (!p->target.host)
        return set_err(err, errlen, "%s: no target: set \"target:\" in the plan or pass --target URL", src);
    if (p->n_scenarios == 0)
        return set_err(err, errlen, "%s: the plan has no scenarios", src);
    return 0;
}

/* ---- ad-hoc plans and overrides ------------------------------------------------- */

int plan_from_url(plan *p, const char *url, uint32_t connections, double rate, uint64_t duration_ns,
                  const char *label, char *err, size_t errlen)
{
    const char *rest;
    char q[QCAP];
    plan_scenario *s;
    plan_request *r;

    memset(p, 0, sizeof *p);
    if (connections == 0)
        return set_err(err, errlen, "connections must be at least 1");
    if (!(rate >= 0) || !isfinite(rate) || rate > MAX_RATE)
        return set_err(err, errlen, "rate must be a number from 0 to 10000000 per second");
    if (duration_ns == 0 || duration_ns > PLAN_MAX_DURATION_NS)
        return set_err(err, errlen, "duration must be greater than 0 and at most 365 days");
    if (url_head(&p->target, url, &rest, err, errlen) < 0)
        return -1;
    set_defaults(p);
    size_t pl = strcspn(rest, "#");
    if (!all_vchar(rest, pl)) {
        set_err(err, errlen, "URL path %s contains a space, control or non-ASCII byte", qs(q, rest, pl));
        goto fail;
    }
    if (!(p->target_str = dupn(url, (size_t)(rest - url))) || !(p->target.base_path = dup("")) ||
        !(p->name = dup("ad-hoc")) || !(p->source = dup("command line")) ||
        !(p->scenarios = calloc(1, sizeof *p->scenarios)))
        goto nomem;
    p->n_scenarios = 1;
    s = &p->scenarios[0];
    if (!(s->name = dup("default")) || !(s->requests = calloc(1, sizeof *s->requests)))
        goto nomem;
    s->n_requests = 1;
    r = &s->requests[0];
    if (pl == 0 || rest[0] == '?') {
        /* "http://h" and "http://h?x=1" ask for "/" and "/?x=1". */
        if (!(r->path = malloc(pl + 2)))
            goto nomem;
        r->path[0] = '/';
        memcpy(r->path + 1, rest, pl);
        r->path[pl + 1] = '\0';
    } else if (!(r->path = dupn(rest, pl))) {
        goto nomem;
    }
    if (strlen(r->path) > MAX_PATH) {
        set_err(err, errlen, "URL path is longer than %d bytes", MAX_PATH);
        goto fail;
    }
    const char *l = label ? label : r->path;
    const char *why = name_problem(l, strlen(l));
    if (why) {
        if (label)
            set_err(err, errlen, "label %s %s", qs(q, l, strlen(l)), why);
        else
            set_err(err, errlen, "the URL path as default label %s; pass a --label", why);
        goto fail;
    }
    if (strcmp(l, "*") == 0) {
        set_err(err, errlen, "label \"*\" is reserved (in thresholds it means every label)");
        goto fail;
    }
    if (!(r->label = dup(l)) || !(r->method = dup("GET")))
        goto nomem;
    r->weight = 1;
    s->weight_total = 1;
    if (rate > 0) {
        s->model = PLAN_OPEN;
        s->max_connections = connections;
        if (!(s->stages = calloc(1, sizeof *s->stages)))
            goto nomem;
        s->n_stages = 1;
        s->stages[0].rate = rate;
        s->stages[0].duration_ns = duration_ns;
    } else {
        s->model = PLAN_CLOSED;
        s->users = connections;
        s->hold_for_ns = duration_ns;
    }
    return 0;
nomem:
    set_err(err, errlen, "out of memory");
fail:
    plan_free(p);
    return -1;
}

int plan_set_target(plan *p, const char *url, char *err, size_t errlen)
{
    plan_url u;
    char *s;

    if (plan_url_parse(&u, url, err, errlen) < 0)
        return -1;
    if (!(s = dup(url))) {
        plan_url_free(&u);
        return set_err(err, errlen, "out of memory");
    }
    plan_url_free(&p->target);
    free(p->target_str);
    p->target = u;
    p->target_str = s;
    return 0;
}

static void scale_stages(plan_scenario *s, uint64_t d)
{
    uint64_t total = 0, cum = 0, prev = 0;
    size_t o = 0;

    for (size_t i = 0; i < s->n_stages; i++)
        total = sat_add(total, s->stages[i].duration_ns);
    if (total == 0)
        return;
    /* Boundaries, not durations, are scaled and rounded, so the rounding errors do not add
     * up and the last stage ends exactly at d. Both values are below 2^55 (365 days), so
     * the double quotient is exact to a few ns. */
    for (size_t i = 0; i < s->n_stages; i++) {
        cum = sat_add(cum, s->stages[i].duration_ns);
        uint64_t end = d;
        if (i + 1 < s->n_stages) {
            double e = (double)d * ((double)cum / (double)total) + 0.5;
            end = e >= (double)d ? d : (uint64_t)e;
            if (end < prev)
                end = prev;
        }
        if (end > prev) {
            s->stages[o].rate = s->stages[i].rate;
            s->stages[o].duration_ns = end - prev;
            o++;
        }
        prev = end;
    }
    s->n_stages = o;
}

void plan_set_duration(plan *p, uint64_t duration_ns)
{
    if (duration_ns == 0)
        return;
    for (size_t i = 0; i < p->n_scenarios; i++) {
        plan_scenario *s = &p->scenarios[i];
        uint64_t d = duration_ns, room = PLAN_MAX_DURATION_NS - s->start_delay_ns;
        if (d > room)
            d = room;
        if (d == 0)
            continue;
        if (s->model == PLAN_OPEN) {
            scale_stages(s, d);
        } else {
            uint64_t min_hold = d < NS_PER_SEC ? d : NS_PER_SEC;
            s->hold_for_ns = d > s->ramp_up_ns && d - s->ramp_up_ns > min_hold ? d - s->ramp_up_ns : min_hold;
            if (s->ramp_up_ns > PLAN_MAX_DURATION_NS - s->start_delay_ns - s->hold_for_ns)
                s->ramp_up_ns = PLAN_MAX_DURATION_NS - s->start_delay_ns - s->hold_for_ns;
        }
    }
}

/* ---- distributed runs ------------------------------------------------------------ */

/* Share index of total split over count parts: the first total % count parts get one more. */
static uint32_t share_part(uint32_t total, uint32_t index, uint32_t count)
{
    return total / count + (index < total % count ? 1u : 0u);
}

static void share_closed(plan_scenario *s, uint32_t index, uint32_t count)
{
    uint32_t users = s->users, mine = share_part(users, index, count);

    s->users = mine;
    if (s->ramp_up_ns == 0 || mine == 0)
        return;
    /* The single run starts user n (0-based, over all its threads) at ramp_up * n / users
     * (engine.c). This share stands for users index, index + count, ... (mine of them), so
     * its user j must start at ramp_up * (index + j * count) / users: a start delay longer
     * by ramp_up * index / users and a ramp-up of ramp_up * count * mine / users. Doubles
     * as in the engine: durations are below 2^55 ns, exact to a few ns. */
    double r = (double)s->ramp_up_ns;
    double off = r * (double)index / (double)users;
    /* A single user starts at the start delay: no ramp-up needed (nor room for one). */
    double ramp = mine == 1 ? 0 : r * (double)count * (double)mine / (double)users;
    double delay = (double)s->start_delay_ns + off;
    if (delay + ramp > (double)PLAN_MAX_DURATION_NS)
        return;
    uint64_t new_delay = (uint64_t)(delay + 0.5), new_ramp = (uint64_t)(ramp + 0.5);
    if (s->hold_for_ns == 0) {      /* iteration-bound: no end to keep */
        s->start_delay_ns = new_delay;
        s->ramp_up_ns = new_ramp;
        return;
    }
    /* Time-bound: the scenario must still end when the single run's does. */
    uint64_t end = plan_scenario_duration(s);
    if (new_delay + new_ramp >= end)
        return;   /* hold_for too short to absorb the shift: keep the plain split */
    s->start_delay_ns = new_delay;
    s->ramp_up_ns = new_ramp;
    s->hold_for_ns = end - new_delay - new_ramp;
}

static void share_open(plan_scenario *s, uint32_t index, uint32_t count)
{
    double r0 = s->n_stages ? s->stages[0].rate : 0;

    for (size_t i = 0; i < s->n_stages; i++)
        s->stages[i].rate /= (double)count;
    uint32_t maxc = share_part(s->max_connections, index, count);
    s->max_connections = maxc ? maxc : 1;
    if (index == 0 || !(r0 > 0))
        return;
    /* Every schedule has an arrival at its start (schedule.h), so N shares starting
     * together would send N requests at once and then none for N / rate. Share i takes the
     * single run's arrivals i, i + N, ... instead: the first one is i / rate into the first
     * stage, later ones follow at N / rate. Starting i / rate later and shortening the first
     * stage by as much keeps the stage boundaries in place, and the fractional arrival the
     * shortened stage carries over (schedule.h) keeps the later stages in step as well.
     * Rounded up to whole ns, so no share's arrival comes before the single run's. */
    double offd = ceil((double)index * 1e9 / r0);
    if (!(offd < (double)s->stages[0].duration_ns))    /* also keeps the cast below defined */
        return;
    uint64_t off = (uint64_t)offd;
    if (off >= s->stages[0].duration_ns || off > PLAN_MAX_DURATION_NS - s->start_delay_ns)
        return;
    s->start_delay_ns += off;
    s->stages[0].duration_ns -= off;
}

int plan_apply_share(plan *p, uint32_t index, uint32_t count, char *err, size_t errlen)
{
    if (count == 0 || count > PLAN_MAX_SHARES)
        return set_err(err, errlen, "share count %" PRIu32 " is out of range (1 to %d)", count,
                       PLAN_MAX_SHARES);
    if (index >= count)
        return set_err(err, errlen, "share index %" PRIu32 " is out of range (0 to %" PRIu32 ")", index,
                       count - 1);
    if (p->share_count)
        return set_err(err, errlen, "the plan is already share %" PRIu32 "/%" PRIu32, p->share_index,
                       p->share_count);
    for (size_t i = 0; i < p->n_scenarios; i++) {
        plan_scenario *s = &p->scenarios[i];
        if (s->model == PLAN_OPEN)
            share_open(s, index, count);
        else
            share_closed(s, index, count);
    }
    p->share_index = index;
    p->share_count = count;
    return 0;
}

/* ---- queries -------------------------------------------------------------------- */

uint64_t plan_scenario_duration(const plan_scenario *s)
{
    uint64_t d = s->start_delay_ns;
    if (s->model == PLAN_OPEN) {
        for (size_t i = 0; i < s->n_stages; i++)
            d = sat_add(d, s->stages[i].duration_ns);
    } else {
        d = sat_add(sat_add(d, s->ramp_up_ns), s->hold_for_ns);
    }
    return d;
}

uint64_t plan_duration(const plan *p)
{
    uint64_t d = 0;
    for (size_t i = 0; i < p->n_scenarios; i++) {
        uint64_t sd = plan_scenario_duration(&p->scenarios[i]);
        if (sd > d)
            d = sd;
    }
    return d;
}

size_t plan_labels(const plan *p, const char **labels, size_t max)
{
    size_t n = 0;
    /* label_id is assigned in order of first appearance, so a request introduces a new
     * label exactly when its id equals the count so far. */
    for (size_t i = 0; i < p->n_scenarios; i++)
        for (size_t j = 0; j < p->scenarios[i].n_requests; j++) {
            const plan_request *r = &p->scenarios[i].requests[j];
            if (r->label && r->label_id == n) {
                if (n < max)
                    labels[n] = r->label;
                n++;
            }
        }
    return n;
}

bool plan_request_has_header(const plan_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (caseeq(r->headers[i].name, name))
            return true;
    return false;
}
