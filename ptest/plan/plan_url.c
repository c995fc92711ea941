/* plan_url.c - target URLs: parsing "http://host[:port][/base]" into a plan_url, and
 * freeing one; the `server:` entries (a path on the target or a URL of their own). */
#include "plan_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_URL 4096
#define MAX_HOST 255

void plan_url_fini(plan_url *u)
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
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_'))
            return false;
    }
    return true;
}

/* Parses "http://authority" of s into u (scheme, host, port, authority; base_path left
 * NULL) and points *rest at what follows the authority (path, query, fragment). */
int plan_url_head(plan_url *u, const char *s, const char **rest, char *err, size_t errlen)
{
    char q[PLAN_QCAP];

    memset(u, 0, sizeof *u);
    if (!s || !*s)
        return err_set(err, errlen, "empty URL");
    size_t len = strlen(s);
    if (len > MAX_URL)
        return err_set(err, errlen, "URL is longer than %d bytes", MAX_URL);
    const char *sep = strstr(s, "://");
    size_t sl = sep ? (size_t)(sep - s) : 0;
    if (!sep || sl == 0 || !plan_all_vchar(s, sl))
        return err_set(err, errlen, "URL %s must start with http:// or https://", plan_qs(q, s, len));
    bool tls = sl == 5 && plan_caseeq_n(s, "https", 5);
    if (!tls && (sl != 4 || !plan_caseeq_n(s, "http", 4)))
        return err_set(err, errlen, "unsupported URL scheme %s (only http:// and https:// are supported)",
                       plan_qs(q, s, sl));

    const char *a = sep + 3;
    size_t al = strcspn(a, "/?#");
    *rest = a + al;
    if (!plan_all_vchar(a, al))
        return err_set(err, errlen, "URL host %s contains a space, control or non-ASCII byte", plan_qs(q, a, al));
    if (memchr(a, '@', al))
        return err_set(err, errlen, "user credentials in the URL are not supported");

    const char *h = a, *port = NULL;
    size_t hl, pl = 0;
    bool v6 = al > 0 && a[0] == '[';
    if (v6) {
        const char *cb = memchr(a, ']', al);
        if (!cb)
            return err_set(err, errlen, "IPv6 address in URL %s lacks its closing ']'", plan_qs(q, s, len));
        h = a + 1;
        hl = (size_t)(cb - h);
        if (!valid_v6(h, hl))
            return err_set(err, errlen, "invalid IPv6 address %s in URL", plan_qs(q, h, hl));
        const char *after = cb + 1;
        if (after < a + al) {
            if (*after != ':')
                return err_set(err, errlen, "unexpected %s after the IPv6 address in URL",
                               plan_qs(q, after, (size_t)(a + al - after)));
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
                return err_set(err, errlen, "IPv6 addresses in URLs need brackets, e.g. http://[::1]:8080/");
        }
        if (!valid_hostname(h, hl))
            return err_set(err, errlen, "invalid host name %s in URL", plan_qs(q, h, hl));
    }
    if (hl == 0)
        return err_set(err, errlen, "URL %s has no host", plan_qs(q, s, len));
    if (hl > MAX_HOST)
        return err_set(err, errlen, "host name in URL is longer than %d bytes", MAX_HOST);

    uint32_t def = tls ? 443 : 80, pv = def;
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
            return err_set(err, errlen, "invalid port %s in URL (expected 1-65535)", plan_qs(q, port, pl));
    }

    char auth[MAX_HOST + 16];
    if (pv == def)
        snprintf(auth, sizeof auth, v6 ? "[%.*s]" : "%.*s", (int)hl, h);
    else
        snprintf(auth, sizeof auth, v6 ? "[%.*s]:%u" : "%.*s:%u", (int)hl, h, (unsigned)pv);
    u->port = (uint16_t)pv;
    u->tls = tls;
    u->scheme = plan_dup(tls ? "https" : "http");
    u->host = plan_dupn(h, hl);
    u->authority = plan_dup(auth);
    if (!u->scheme || !u->host || !u->authority) {
        plan_url_fini(u);
        return err_set(err, errlen, "out of memory");
    }
    return 0;
}

int plan_url_parse(plan_url *u, const char *s, char *err, size_t errlen)
{
    const char *rest;
    char q[PLAN_QCAP];

    if (plan_url_head(u, s, &rest, err, errlen) < 0)
        return -1;
    size_t n = strlen(rest);
    if (strpbrk(rest, "?#")) {
        plan_url_fini(u);
        return err_set(err, errlen, "target URL must not have a query or fragment (put it in the request path)");
    }
    if (!plan_all_vchar(rest, n)) {
        plan_url_fini(u);
        return err_set(err, errlen, "URL path %s contains a space, control or non-ASCII byte", plan_qs(q, rest, n));
    }
    while (n > 0 && rest[n - 1] == '/')
        n--;
    if (!(u->base_path = plan_dupn(rest, n))) {
        plan_url_fini(u);
        return err_set(err, errlen, "out of memory");
    }
    return 0;
}

/* --- server: where the target's own figures are read (scrape.h) ---------------------- */

/* The part of an http:// URL after its authority, checked: "" or "/...", printable ASCII,
 * no fragment. */
static int server_rest(const char *spec, const char *rest, char *err, size_t errlen)
{
    char q[PLAN_QCAP];
    size_t n = strlen(rest);
    if (n && rest[0] != '/' && rest[0] != '?')
        return err_set(err, errlen, "unexpected %s after the host in %s", plan_qs(q, rest, n),
                       plan_qs(q, spec, strlen(spec)));
    if (!plan_all_vchar(rest, n))
        return err_set(err, errlen,
                       "server URL path %s contains a space, control or non-ASCII byte "
                       "(percent-encode it)",
                       plan_qs(q, rest, n));
    if (memchr(rest, '#', n))
        return err_set(err, errlen, "server URL %s must not have a fragment", plan_qs(q, spec, strlen(spec)));
    return 0;
}

int plan_server_check(const char *spec, char *err, size_t errlen)
{
    char q[PLAN_QCAP];
    size_t n = spec ? strlen(spec) : 0;
    if (n == 0)
        return err_set(err, errlen, "empty; expected a path such as /metrics or an http:// URL");
    if (spec[0] == '/') {
        if (n > MAX_URL)
            return err_set(err, errlen, "path is longer than %d bytes", MAX_URL);
        if (!plan_all_vchar(spec, n))
            return err_set(err, errlen, "path %s contains a space, control or non-ASCII byte (percent-encode it)",
                           plan_qs(q, spec, n));
        if (memchr(spec, '#', n))
            return err_set(err, errlen, "path %s must not have a fragment", plan_qs(q, spec, n));
        return 0;
    }
    if (!strstr(spec, "://"))
        return err_set(err, errlen, "%s is neither a path (starting with '/', on the target) nor an http:// URL",
                       plan_qs(q, spec, n));
    plan_url u;
    const char *rest;
    if (plan_url_head(&u, spec, &rest, err, errlen) < 0)
        return -1;
    if (u.tls) {
        plan_url_fini(&u);
        return err_set(err, errlen, "%s: the server's figures are read over plain http only", plan_qs(q, spec, n));
    }
    int rc = server_rest(spec, rest, err, errlen);
    plan_url_fini(&u);
    return rc;
}

int plan_set_server(plan *p, bool config, const char *spec, char *err, size_t errlen)
{
    char *s = NULL;
    if (spec) {
        if (plan_server_check(spec, err, errlen) < 0)
            return -1;
        if (!(s = plan_dup(spec)))
            return err_set(err, errlen, "out of memory");
    }
    char **dst = config ? &p->server.config : &p->server.metrics;
    free(*dst);
    *dst = s;
    return 0;
}

int plan_server_url(const plan *p, const char *spec, plan_url *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    if (plan_server_check(spec, err, errlen) < 0)
        return -1;
    if (spec[0] == '/') {
        if (!p->target.host)
            return err_set(err, errlen, "server path %s needs a target", spec);
        if (p->target.tls)
            return err_set(err, errlen,
                           "server path %s on an https target: the server's figures are read "
                           "over plain http only; give an http:// URL of them",
                           spec);
        size_t bl = p->target.base_path ? strlen(p->target.base_path) : 0, sl = strlen(spec);
        u->scheme = plan_dup("http");
        u->host = plan_dup(p->target.host);
        u->authority = plan_dup(p->target.authority);
        u->port = p->target.port;
        if ((u->base_path = malloc(bl + sl + 1))) {
            if (bl)
                memcpy(u->base_path, p->target.base_path, bl);
            memcpy(u->base_path + bl, spec, sl + 1);
        }
    } else {
        const char *rest;
        if (plan_url_head(u, spec, &rest, err, errlen) < 0)
            return -1;
        if (rest[0] == '?') {
            size_t rl = strlen(rest);
            if ((u->base_path = malloc(rl + 2))) {
                u->base_path[0] = '/';
                memcpy(u->base_path + 1, rest, rl + 1);
            }
        } else {
            u->base_path = plan_dup(rest[0] ? rest : "/");
        }
    }
    if (!u->scheme || !u->host || !u->authority || !u->base_path) {
        plan_url_fini(u);
        return err_set(err, errlen, "out of memory");
    }
    return 0;
}
