/* jmx_sampler.c - HTTP Request samplers turned into the requests of a scenario: fields with
 * the HTTP Request Defaults in scope, arguments, target, timeouts, headers, labels
 * (jmx_plan_int.h). */
#include "jmx_plan_int.h"

#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* ---------------------------------------------------------------- requests --------- */

/* The innermost non-empty value of an HTTPSampler.* field: the sampler, then the
 * defaults in scope from the inside out. */
static char *http_field(jmx_conv *c, const jmx_node *s, const char *name)
{
    char *v = jmx_sprop(c, s, name);
    for (size_t i = c->n_scope; v && !*v && i-- > 0;)
        if (jmx_is_defaults(c->scope[i]))
            v = jmx_sprop(c, c->scope[i], name);
    return v;
}

static void put_encoded(buf *b, const char *s, bool encode)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!encode || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
            ch == '-' || ch == '*' || ch == '_')
            buf_putc(b, (char)ch);
        else if (ch == ' ')
            buf_putc(b, '+');
        else
            buf_printf(b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
    }
}

/* Appends the sampler's (and the defaults') arguments as name=value&... to b; raw (the
 * values only) for a raw body. */
static void put_args(jmx_conv *c, const jmx_node *holder, buf *b, bool raw)
{
    const jmx_node *args = jmx_prop_elem(holder, "HTTPsampler.Arguments");
    const jmx_node *collect = jmx_prop_elem(args, "Arguments.arguments"), *a;
    for (size_t i = 0; (a = jmx_next_elem(collect, &i));) {
        char *name = jmx_sprop(c, a, "Argument.name"), *value = jmx_sprop(c, a, "Argument.value");
        if (!name || !value)
            return;
        if (raw) {
            buf_puts(b, value);
            continue;
        }
        bool enc = jmx_pbool(a, "HTTPArgument.always_encode", false);
        if (b->len)
            buf_putc(b, '&');
        put_encoded(b, name, enc);
        if (*name || jmx_pbool(a, "HTTPArgument.use_equals", true))
            buf_putc(b, '=');
        put_encoded(b, value, enc);
    }
}

/* Percent-encodes what a request target may not contain raw (JMeter encodes spaces too). */
static char *clean_path(jmx_conv *c, const char *p)
{
    buf b = BUF_INIT;
    if (*p != '/')
        buf_putc(&b, '/');
    for (; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch >= 0x7f)
            buf_printf(&b, "%%%02X", ch);
        else
            buf_putc(&b, (char)ch);
    }
    char *r = buf_ok(&b) ? jmx_pdupn(c, b.data, b.len) : NULL;
    if (!buf_ok(&b))
        jmx_fatal(c, NULL, JMX_ERR_NOMEM, "out of memory");
    buf_fini(&b);
    return r;
}

char *jmx_clean_label(jmx_conv *c, const jmx_node *at, const char *l, const char *path)
{
    char b[PLAN_MAX_LABEL + 1];
    size_t n = 0;
    bool changed = false;
    while (*l == ' ')
        l++;
    if (!*l)
        l = path;
    for (; *l && n < PLAN_MAX_LABEL; l++) {
        unsigned char ch = (unsigned char)*l;
        b[n++] = ch < 0x20 || ch >= 0x7f ? (changed = true, '_') : (char)ch;
    }
    if (*l)
        changed = true;
    while (n && b[n - 1] == ' ')
        n--;
    if (n == 1 && b[0] == '*') {
        b[0] = '_';
        changed = true;
    }
    b[n] = '\0';
    if (changed)
        jmx_report(c, at, "name changed to \"%s\" (names are at most 64 printable ASCII bytes)", b);
    return jmx_pdupn(c, b, n);
}

/* A label names one method and path in the whole plan (ptest reports it as one line);
 * JMeter would merge different requests under one name, ptest renames the later ones. */
static char *unique_label(jmx_conv *c, const jmx_node *at, char *label, const char *method, const char *path)
{
    char b[PLAN_MAX_LABEL + 16];
    const char *try = label;
    for (unsigned k = 2; k < 10000; k++) {
        bool clash = false, same = false;
        for (size_t i = 0; i < c->m->n_sc && !clash && !same; i++)
            for (size_t j = 0; j < c->m->sc[i].n_reqs; j++) {
                const jmx_req *o = &c->m->sc[i].reqs[j];
                if (!o->label || strcmp(o->label, try) != 0)
                    continue;
                if (strcmp(o->method, method) == 0 && strcmp(o->path, path) == 0)
                    same = true;
                else
                    clash = true;
                break;
            }
        if (!clash) {
            if (try != label)
                jmx_report(c, at, "label \"%s\" already names another request: renamed \"%s\"", label, try);
            return try == label ? label : jmx_pdup(c, try);
        }
        int w = snprintf(b, sizeof b, "%.*s (%u)", PLAN_MAX_LABEL - 8, label, k);
        (void)w;
        try = b;
    }
    jmx_fatal(c, at, JMX_ERR_PLAN, "too many requests named \"%s\"", label);
    return NULL;
}

static void set_target(jmx_conv *c, const jmx_node *s, const char *proto, const char *host, const char *port)
{
    char t[400];
    if (!*host)
        return;
    if (*proto && strcasecmp(proto, "http") != 0) {
        jmx_report(c, s, "protocol \"%.20s\" is not supported (ptest speaks http): pass --target", proto);
        return;
    }
    snprintf(t, sizeof t, "http://%.255s%s%.20s", host, *port ? ":" : "", port);
    plan_url u;
    char uerr[200];
    if (plan_url_parse(&u, t, uerr, sizeof uerr) != 0) {
        jmx_report(c, s, "server %s: %s: pass --target", t, uerr);
        return;
    }
    plan_url_fini(&u);
    if (!c->m->target) {
        c->m->target = jmx_pdup(c, t);
        c->target_at = s;
    } else if (strcmp(c->m->target, t) != 0) {
        jmx_report(c, s,
                   "sampler \"%s\" names %s but the plan's target is %s (line %u): every request goes to the target",
                   jmx_title(s), t, c->m->target, c->target_at->line);
    }
}

static void set_timeout(jmx_conv *c, const jmx_node *s, const char *name, uint64_t *dst)
{
    char *v = http_field(c, s, name);
    int64_t ms;
    if (!v || !*v)
        return;
    if (!jmx_to_i64(v, &ms) || ms <= 0 || ms > 3600000) {
        if (!(jmx_to_i64(v, &ms) && ms == 0))
            jmx_report(c, s, "%s \"%.30s\" is not a number of ms from 1 to 3600000: skipped", name, v);
        return;
    }
    if (*dst && *dst != (uint64_t)ms)
        jmx_report(c, s,
                   "%s %" PRId64 "ms differs from another sampler's %" PRIu64
                   "ms: ptest has one per plan, the first is kept",
                   name, ms, *dst);
    else
        *dst = (uint64_t)ms;
}

/* JSONPath's simple subset ($.a.b[0], $['a']) as a JSON Pointer (/a/b/0), or NULL. */
static char *json_pointer(jmx_conv *c, const char *jp)
{
    buf b = BUF_INIT;
    const char *p = jp;
    if (*p++ != '$')
        return NULL;
    bool ok = true;
    while (*p && ok) {
        const char *a, *e;
        if (*p == '.') {
            a = ++p;
            while (*p && *p != '.' && *p != '[')
                p++;
            e = p;
            ok = e > a && !memchr(a, '*', (size_t)(e - a));
        } else if (p[0] == '[' && (p[1] == '\'' || p[1] == '"')) {
            char q = p[1];
            a = p + 2;
            e = strchr(a, q);
            ok = e && e[1] == ']';
            p = ok ? e + 2 : p;
        } else if (*p == '[') {
            a = ++p;
            while (*p >= '0' && *p <= '9')
                p++;
            e = p;
            ok = e > a && *p == ']';
            p++;
        } else {
            ok = false;
            break;
        }
        if (!ok)
            break;
        buf_putc(&b, '/');
        for (const char *x = a; x < e; x++)
            buf_puts(&b, *x == '~' ? "~0" : *x == '/' ? "~1" : (char[]){*x, 0});
    }
    char *r = ok && buf_ok(&b) ? jmx_pdupn(c, b.data ? b.data : "", b.len) : NULL;
    buf_fini(&b);
    return r;
}

bool jmx_rt_var(jmx_conv *c, const jmx_node *k, const char *name)
{
    bool ok = *name && strlen(name) <= 64 && !(name[0] >= '0' && name[0] <= '9') && name[0] != '.' && name[0] != '-';
    for (const char *q = name; ok && *q; q++)
        ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_' ||
             *q == '.' || *q == '-';
    if (!ok || (name[0] == '_' && name[1] == '_')) {
        jmx_report(c, k, "%s \"%s\": no usable reference name: skipped", k->name, jmx_title(k));
        return false;
    }
    for (size_t i = 0; i < c->n_rt_vars; i++)
        if (strcmp(c->rt_vars[i], name) == 0)
            return true;
    if (c->n_rt_vars == sizeof c->rt_vars / sizeof c->rt_vars[0]) {
        jmx_report(c, k, "%s \"%s\": too many extracted variables: skipped", k->name, jmx_title(k));
        return false;
    }
    c->rt_vars[c->n_rt_vars++] = name;
    return true;
}

/* A Regular Expression Extractor (body, group 1 of the first match) or a JSON Extractor
 * (one simple JSONPath, the first match) as an extraction; anything else is reported. */
static void add_extractor(jmx_conv *c, jmx_extract *x, size_t *n, const jmx_node *k)
{
    if (*n == JMX_MAX_EXTRACT) {
        jmx_report(c, k, "%s \"%s\": more than %d extractors on one sampler: skipped", k->name, jmx_title(k),
                   JMX_MAX_EXTRACT);
        return;
    }
    const char *t = jmx_title(k);
    if (strcmp(k->name, "RegexExtractor") == 0) {
        const char *name = jmx_pstr(k, "RegexExtractor.refname"), *re = jmx_pstr(k, "RegexExtractor.regex");
        const char *tpl = jmx_pstr(k, "RegexExtractor.template"), *num = jmx_pstr(k, "RegexExtractor.match_number");
        const char *where = jmx_pstr(k, "RegexExtractor.useHeaders");
        regex_t r;
        if (*where && strcmp(where, "false") != 0) {
            jmx_report(c, k, "regular expression extractor \"%s\": only the body is supported: skipped", t);
            return;
        }
        if ((*tpl && strcmp(tpl, "$1$") != 0) || (*num && strcmp(num, "1") != 0)) {
            jmx_report(
                c, k, "regular expression extractor \"%s\": only template $1$ of the first match is supported: skipped",
                t);
            return;
        }
        if (regcomp(&r, re, REG_EXTENDED) != 0) {
            jmx_report(c, k,
                       "regular expression extractor \"%s\": not a POSIX extended expression (ptest has no PCRE): "
                       "skipped",
                       t);
            return;
        }
        regfree(&r);
        if (!jmx_rt_var(c, k, name))
            return;
        x[*n] = (jmx_extract){false, jmx_pdup(c, re), jmx_pdup(c, name)};
        (*n)++;
        return;
    }
    const char *name = jmx_pstr(k, "JSONPostProcessor.referenceNames"),
               *jp = jmx_pstr(k, "JSONPostProcessor.jsonPathExprs");
    const char *num = jmx_pstr(k, "JSONPostProcessor.match_numbers");
    char *ptr = strchr(name, ';') || strchr(jp, ';') ? NULL : json_pointer(c, jp);
    if (!ptr || (*num && strcmp(num, "1") != 0)) {
        jmx_report(
            c, k, "JSON extractor \"%s\": only one simple path ($.a.b[0]) of the first match is supported: skipped", t);
        return;
    }
    if (!jmx_rt_var(c, k, name))
        return;
    x[*n] = (jmx_extract){true, ptr, jmx_pdup(c, name)};
    (*n)++;
}

void jmx_add_request(jmx_conv *c, jmx_scen *sc, const jmx_node *s, const jmx_node *kids)
{
    jmx_extract ext[JMX_MAX_EXTRACT];
    size_t n_ext = 0;
    size_t mark = c->n_scope;
    jmx_kv *hs = NULL;
    size_t n_h = 0, cap_h = 0;
    size_t i = 0;
    const jmx_node *k, *kk;

    if (c->total_reqs >= PLAN_MAX_REQUESTS) {
        jmx_fatal(c, s, JMX_ERR_PLAN, "more than %d requests (loops are expanded into the sequence)",
                  PLAN_MAX_REQUESTS);
        return;
    }
    while (kids && (k = jmx_next_pair(kids, &i, &kk))) {
        if (!jmx_enabled(k))
            continue;
        if (jmx_is_scoped_config(k))
            jmx_push_scope(c, k);
        else if (jmx_is_timer(k))
            jmx_report(c, k, "timer \"%s\" of one sampler is not supported (think time is per thread group): skipped",
                       jmx_title(k));
        else if (strcmp(k->name, "RegexExtractor") == 0 || strcmp(k->name, "JSONPostProcessor") == 0)
            add_extractor(c, ext, &n_ext, k);
        else
            jmx_report(c, k, "%s \"%s\" is not supported: skipped", k->name, jmx_title(k));
    }
    char *proto = http_field(c, s, "HTTPSampler.protocol"), *host = http_field(c, s, "HTTPSampler.domain");
    char *port = http_field(c, s, "HTTPSampler.port"), *path = jmx_sprop(c, s, "HTTPSampler.path");
    char *method = jmx_sprop(c, s, "HTTPSampler.method");
    if (!proto || !host || !port || !path || !method)
        goto done;
    if (!*path)
        path = http_field(c, s, "HTTPSampler.path");
    if (!path)
        goto done;
    /* A full URL in the path field overrides protocol, host and port, as in JMeter. */
    if (strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0) {
        char *hp = strstr(path, "://") + 3, *slash = strchr(hp, '/');
        char *colon;
        size_t hl = slash ? (size_t)(slash - hp) : strlen(hp);
        proto = jmx_pdupn(c, path, (size_t)(hp - 3 - path));
        host = jmx_pdupn(c, hp, hl);
        if (!proto || !host)
            goto done;
        port = "";
        if ((colon = strrchr(host, ':')) && !strchr(colon, ']')) {
            *colon = '\0';
            port = colon + 1;
        }
        path = slash ? slash : "/";
    }
    set_target(c, s, proto, host, port);
    set_timeout(c, s, "HTTPSampler.connect_timeout", &c->m->connect_ms);
    set_timeout(c, s, "HTTPSampler.response_timeout", &c->m->response_ms);
    if (jmx_pbool(s, "HTTPSampler.image_parser", false))
        jmx_report(c, s, "sampler \"%s\": embedded resources are not fetched", jmx_title(s));

    for (size_t m = 0; m < strlen(method); m++)
        method[m] = (char)((method[m] >= 'a' && method[m] <= 'z') ? method[m] - 32 : method[m]);
    if (!*method)
        method = "GET";
    if (!jmx_is_token(method, strlen(method)) || strlen(method) > 32) {
        jmx_fatal(c, s, JMX_ERR_PLAN, "sampler \"%s\": invalid method \"%.40s\"", jmx_title(s), method);
        goto done;
    }
    bool body_method = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
    bool raw = jmx_pbool(s, "HTTPSampler.postBodyRaw", false);
    buf args = BUF_INIT;
    put_args(c, s, &args, raw && body_method);
    for (size_t d = 0; d < c->n_scope && !raw; d++)
        if (jmx_is_defaults(c->scope[d]))
            put_args(c, c->scope[d], &args, false);
    if (!buf_ok(&args)) {
        buf_fini(&args);
        jmx_fatal(c, s, JMX_ERR_NOMEM, "out of memory");
        goto done;
    }
    char *body = NULL;
    if (body_method) {
        if (args.len || raw)
            body = jmx_pdupn(c, args.data ? args.data : "", args.len);
    } else if (args.len) {
        buf q = BUF_INIT;
        buf_puts(&q, path);
        buf_putc(&q, strchr(path, '?') ? '&' : '?');
        buf_append(&q, args.data, args.len);
        path = buf_ok(&q) ? jmx_pdupn(c, q.data, q.len) : NULL;
        buf_fini(&q);
    }
    buf_fini(&args);
    if (!path || !(path = clean_path(c, path)))
        goto done;
    if (strlen(path) > 8192) {
        jmx_fatal(c, s, JMX_ERR_PLAN, "sampler \"%s\": path longer than 8192 bytes", jmx_title(s));
        goto done;
    }

    for (size_t d = c->plan_mark; d < c->n_scope; d++)
        if (strcmp(c->scope[d]->name, "HeaderManager") == 0)
            jmx_add_headers(c, c->scope[d], &hs, &n_h, &cap_h);
    if (body && !raw) {
        bool has_ct = false;
        for (size_t h = 0; h < n_h; h++)
            has_ct |= strcasecmp(hs[h].name, "Content-Type") == 0;
        for (size_t h = 0; h < c->m->n_headers; h++)
            has_ct |= strcasecmp(c->m->headers[h].name, "Content-Type") == 0;
        if (!has_ct)
            jmx_set_header(c, &hs, &n_h, &cap_h, "Content-Type", "application/x-www-form-urlencoded");
    }

    char *label = jmx_sprop(c, s, "TestElement.name");
    if (label && !*label)
        label = jmx_subst(c, s, jmx_title(s));
    if (!label || !(label = jmx_clean_label(c, s, label, path)) || !(method = jmx_pdup(c, method)))
        goto done;
    if (!(label = unique_label(c, s, label, method, path)))
        goto done;
    jmx_req *r = jmx_grow(c, &sc->reqs, &sc->n_reqs, &c->cap_reqs, sizeof *sc->reqs);
    if (!r)
        goto done;
    r->label = label;
    r->method = method;
    r->path = path;
    r->body = body;
    r->headers = hs;
    r->n_headers = n_h;
    r->no_keepalive = !jmx_pbool(s, "HTTPSampler.use_keepalive", true);
    memcpy(r->extract, ext, n_ext * sizeof ext[0]);
    r->n_extract = n_ext;
    c->total_reqs++;
    for (size_t d = 0; d < c->n_scope; d++)
        if (strcmp(c->scope[d]->name, "ResponseAssertion") == 0)
            jmx_apply_assertion(c, r, c->scope[d]);
done:
    c->n_scope = mark;
}
