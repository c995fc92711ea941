/* jmx_plan.c - JMeter plan semantics over the jmx_tree element tree (jmx_plan.h). */
#include "jmx_plan.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define MAX_THINK_NS (UINT64_C(3600) * NS_PER_S)
#define MAX_LOOP_EXPANSION PLAN_MAX_REQUESTS
/* Elements visited while expanding loops: nested loops of empty controllers would
 * otherwise take forever without producing a single request. */
#define MAX_VISITS 1000000

/* Assertion.test_type bits, as JMeter stores them. */
enum { AT_MATCH = 1, AT_CONTAINS = 2, AT_NOT = 4, AT_EQUALS = 8, AT_SUBSTRING = 16, AT_OR = 32 };

typedef jmx_kv kv;
typedef jmx_req jreq;

typedef struct jthink {
    double mean_ms, var_ms2;
    int n_random;
    enum rng_dist dist;
} jthink;

typedef jmx_scen jscen;

typedef struct conv {
    jmx_model *m;                  /* what is built */
    const char *file;
    const jmx_opts *o;
    char *err;
    size_t errlen;
    int fail;                      /* JMX_ERR_* once something fatal happened */
    unsigned quiet;                /* > 0 inside repeated loop bodies: warn once */
    size_t cap_notes;
    kv *vars;
    size_t n_vars, cap_vars;
    const jmx_node **scope;        /* config elements in scope, outermost first */
    size_t n_scope, cap_scope, plan_mark;
    size_t cap_headers, cap_sc, cap_reqs;
    jthink plan_think, think;      /* timers of the plan / of the thread group being built */
    const jmx_node *target_at;
    size_t total_reqs;
    size_t visits;
} conv;

/* ---------------------------------------------------------------- memory ----------- */

static void *palloc(conv *c, size_t n)
{
    if (c->fail)
        return NULL;
    if (c->m->n_pool == c->m->cap_pool) {
        size_t cap = c->m->cap_pool ? c->m->cap_pool * 2 : 64;
        void **p = realloc(c->m->pool, cap * sizeof *p);
        if (!p)
            goto nomem;
        c->m->pool = p;
        c->m->cap_pool = cap;
    }
    void *m = calloc(1, n ? n : 1);
    if (!m)
        goto nomem;
    c->m->pool[c->m->n_pool++] = m;
    return m;
nomem:
    c->fail = JMX_ERR_NOMEM;
    snprintf(c->err, c->errlen, "out of memory");
    return NULL;
}

static char *pdupn(conv *c, const char *s, size_t n)
{
    char *d = palloc(c, n + 1);
    if (d)
        memcpy(d, s, n);
    return d;
}

static char *pdup(conv *c, const char *s)
{
    return pdupn(c, s, strlen(s));
}

/* Grows *arr (elements of size sz) to hold one more; returns the new element or NULL. */
static void *grow(conv *c, void *arrp, size_t *n, size_t *cap, size_t sz)
{
    void **arr = arrp;
    if (c->fail)
        return NULL;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        char *m = palloc(c, nc * sz);
        if (!m)
            return NULL;
        if (*n)
            memcpy(m, *arr, *n * sz);
        *arr = m;
        *cap = nc;
    }
    return (char *)*arr + (*n)++ * sz;
}

/* ---------------------------------------------------------------- messages --------- */


static void report(conv *c, const jmx_node *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(conv *c, const jmx_node *at, const char *fmt, ...)
{
    char msg[512], line[700];
    va_list ap;
    if (c->quiet)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s:%u:%u: %s: %s", c->file, at ? at->line : 0, at ? at->col : 0,
             c->o->strict ? "error" : "warning", msg);
    if (c->o->warn)
        c->o->warn(c->o->warn_ctx, line);
    jmx_note *note = grow(c, &c->m->notes, &c->m->n_notes, &c->cap_notes, sizeof *note);
    if (note) {
        note->line = at ? at->line : 0;
        note->msg = pdup(c, msg);
    }
}

static int fatal(conv *c, const jmx_node *at, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fatal(conv *c, const jmx_node *at, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->fail) {
        c->fail = code;
        if (at)
            snprintf(c->err, c->errlen, "%s:%u:%u: %s", c->file, at->line, at->col, msg);
        else
            snprintf(c->err, c->errlen, "%s: %s", c->file, msg);
    }
    return -1;
}

/* ---------------------------------------------------------------- properties ------- */

static bool enabled(const jmx_node *n)
{
    const char *e = jmx_attr(n, "enabled");
    return !e || strcmp(e, "false") != 0;
}

static const char *title(const jmx_node *n)
{
    const char *t = jmx_attr(n, "testname");
    return t ? t : "";
}

static bool is_prop_tag(const char *t)
{
    return strcmp(t, "stringProp") == 0 || strcmp(t, "boolProp") == 0 || strcmp(t, "intProp") == 0 ||
           strcmp(t, "longProp") == 0 || strcmp(t, "doubleProp") == 0 || strcmp(t, "floatProp") == 0 ||
           strcmp(t, "elementProp") == 0 || strcmp(t, "collectionProp") == 0 || strcmp(t, "objProp") == 0;
}

/* The property element named name among n's children, or NULL. */
static const jmx_node *prop(const jmx_node *n, const char *name)
{
    if (!n)
        return NULL;
    for (size_t i = 0; i < n->n_kids; i++) {
        const jmx_node *k = n->kids[i];
        const char *pn = jmx_attr(k, "name");
        if (pn && strcmp(pn, name) == 0 && is_prop_tag(k->name))
            return k;
    }
    return NULL;
}

/* A scalar property's raw text, or "" when absent or not scalar. */
static const char *pstr(const jmx_node *n, const char *name)
{
    const jmx_node *p = prop(n, name);
    if (!p || strcmp(p->name, "elementProp") == 0 || strcmp(p->name, "collectionProp") == 0)
        return "";
    return p->text;
}

static bool pbool(const jmx_node *n, const char *name, bool dflt)
{
    const char *s = pstr(n, name);
    if (!*s)
        return dflt;
    return strcmp(s, "true") == 0;
}

/* ---------------------------------------------------------------- substitution ----- */

static const char *lookup(const kv *a, size_t n, const char *name, size_t len)
{
    /* Later definitions win, as with JMeter's -J and variables redefined further down. */
    for (size_t i = n; i-- > 0;)
        if (strlen(a[i].name) == len && memcmp(a[i].name, name, len) == 0)
            return a[i].value;
    return NULL;
}

static const char *lookup_prop(conv *c, const char *name, size_t len)
{
    for (size_t i = c->o->n_props; i-- > 0;) {
        const jmx_prop *p = &c->o->props[i];
        if (strlen(p->name) == len && memcmp(p->name, name, len) == 0)
            return p->value;
    }
    return NULL;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* Evaluates one ${...} body into out; false when it is not supported (left as written). */
static bool eval_ref(conv *c, const jmx_node *at, const char *in, size_t n, buf *out)
{
    bool fn_p = n > 5 && memcmp(in, "__P(", 4) == 0 && in[n - 1] == ')';
    bool fn_prop = n > 12 && memcmp(in, "__property(", 11) == 0 && in[n - 1] == ')';
    if (fn_p || fn_prop) {
        const char *a = in + (fn_p ? 4 : 11), *end = in + n - 1;
        const char *comma = memchr(a, ',', (size_t)(end - a));
        const char *name = a, *dflt = NULL;
        size_t nl = (size_t)((comma ? comma : end) - a), dl = 0;
        if (comma) {
            dflt = comma + 1;
            dl = (size_t)(end - dflt);
            if (fn_prop) {
                /* __property(name,variable,default): the variable is not needed here. */
                const char *c2 = memchr(dflt, ',', dl);
                if (c2) {
                    dl -= (size_t)(c2 + 1 - dflt);
                    dflt = c2 + 1;
                } else {
                    dflt = NULL;
                }
            }
        }
        trim(&name, &nl);
        const char *v = lookup_prop(c, name, nl);
        if (v)
            buf_puts(out, v);
        else if (dflt)
            buf_append(out, dflt, dl);
        else if (fn_p)
            buf_putc(out, '1');                      /* JMeter's documented default */
        else
            buf_append(out, name, nl);               /* __property: the name itself */
        return true;
    }
    if (n >= 2 && in[0] == '_' && in[1] == '_') {
        report(c, at, "function ${%.*s} is not supported: left as written", (int)(n > 60 ? 60 : n), in);
        return false;
    }
    const char *v = lookup(c->vars, c->n_vars, in, n);
    if (!v) {
        report(c, at, "variable ${%.*s} is not defined: left as written", (int)(n > 60 ? 60 : n), in);
        return false;
    }
    buf_puts(out, v);
    return true;
}

static char *subst(conv *c, const jmx_node *at, const char *s)
{
    buf out = BUF_INIT;
    size_t i = 0, n = strlen(s);
    char *r;

    while (i < n) {
        const char *d = strstr(s + i, "${");
        if (!d) {
            buf_append(&out, s + i, n - i);
            break;
        }
        size_t at_d = (size_t)(d - s);
        buf_append(&out, s + i, at_d - i);
        /* The body ends at the '}' closing it; nested ${...} in arguments is rare in plans
         * and not supported (the first '}' ends the reference). */
        const char *e = strchr(d + 2, '}');
        if (!e) {
            buf_puts(&out, d);
            break;
        }
        size_t bl = (size_t)(e - d - 2);
        if (!eval_ref(c, at, d + 2, bl, &out))
            buf_append(&out, d, bl + 3);
        i = (size_t)(e - s) + 1;
    }
    if (!buf_ok(&out)) {
        buf_free(&out);
        c->fail = JMX_ERR_NOMEM;
        snprintf(c->err, c->errlen, "out of memory");
        return NULL;
    }
    r = pdupn(c, out.data ? out.data : "", out.len);
    buf_free(&out);
    return r;
}

static char *sprop(conv *c, const jmx_node *n, const char *name)
{
    return subst(c, n, pstr(n, name));
}

/* Parses a whole decimal integer (after substitution, blanks trimmed). */
static bool to_i64(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    trim(&s, &n);
    if (n == 0 || n > 20)
        return false;
    char b[24];
    memcpy(b, s, n);
    b[n] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(b, &end, 10);
    if (errno || *end)
        return false;
    *out = (int64_t)v;
    return true;
}

static bool to_ms(const char *s, double *out)
{
    size_t n = strlen(s);
    trim(&s, &n);
    if (n == 0 || n > 30)
        return false;
    char b[32];
    memcpy(b, s, n);
    b[n] = '\0';
    char *end;
    double v = strtod(b, &end);
    if (*end || !isfinite(v) || v < 0 || v > 1e12)
        return false;
    *out = v;
    return true;
}

/* An integer property in [lo, hi]; absent/empty gives dflt. false (after a fatal error)
 * when it is not a number in range. */
static bool num_prop(conv *c, const jmx_node *n, const char *name, int64_t lo, int64_t hi, int64_t dflt,
                     int64_t *out)
{
    char *s = sprop(c, n, name);
    if (!s)
        return false;
    size_t l = strlen(s);
    const char *t = s;
    trim(&t, &l);
    if (l == 0) {
        *out = dflt;
        return true;
    }
    if (!to_i64(s, out) || *out < lo || *out > hi) {
        const jmx_node *p = prop(n, name);
        fatal(c, p ? p : n, JMX_ERR_PLAN, "%s: expected a whole number from %" PRId64 " to %" PRId64 ", got \"%.40s\"",
              name, lo, hi, s);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- scope ------------ */

static bool is_defaults(const jmx_node *n)
{
    const char *g = jmx_attr(n, "guiclass");
    return strcmp(n->name, "ConfigTestElement") == 0 && g && strcmp(g, "HttpDefaultsGui") == 0;
}

static bool is_timer(const jmx_node *n)
{
    return strcmp(n->name, "ConstantTimer") == 0 || strcmp(n->name, "UniformRandomTimer") == 0 ||
           strcmp(n->name, "GaussianRandomTimer") == 0;
}

static bool is_sampler(const jmx_node *n)
{
    return strcmp(n->name, "HTTPSamplerProxy") == 0 || strcmp(n->name, "HTTPSampler") == 0 ||
           strcmp(n->name, "HTTPSampler2") == 0;
}

static bool is_scoped_config(const jmx_node *n)
{
    return strcmp(n->name, "HeaderManager") == 0 || strcmp(n->name, "ResponseAssertion") == 0 || is_defaults(n);
}

static void push_scope(conv *c, const jmx_node *n)
{
    const jmx_node **slot = grow(c, &c->scope, &c->n_scope, &c->cap_scope, sizeof *c->scope);
    if (slot)
        *slot = n;
}

/* The next (element, its hashTree or NULL) pair of a hashTree at *i. */
static const jmx_node *next_pair(const jmx_node *ht, size_t *i, const jmx_node **kids)
{
    while (*i < ht->n_kids) {
        const jmx_node *e = ht->kids[(*i)++];
        if (strcmp(e->name, "hashTree") == 0)
            continue;                                /* stray tree: nothing owns it */
        *kids = NULL;
        if (*i < ht->n_kids && strcmp(ht->kids[*i]->name, "hashTree") == 0)
            *kids = ht->kids[(*i)++];
        return e;
    }
    return NULL;
}

static void add_vars(conv *c, const jmx_node *args)
{
    const jmx_node *coll = prop(args, "Arguments.arguments");
    if (!coll)
        return;
    for (size_t i = 0; i < coll->n_kids; i++) {
        const jmx_node *a = coll->kids[i];
        if (strcmp(a->name, "elementProp") != 0)
            continue;
        char *name = pdup(c, pstr(a, "Argument.name"));
        char *value = sprop(c, a, "Argument.value");    /* earlier variables are visible */
        kv *v = grow(c, &c->vars, &c->n_vars, &c->cap_vars, sizeof *c->vars);
        if (!v || !name || !value)
            return;
        v->name = name;
        v->value = value;
    }
}

/* ---------------------------------------------------------------- timers ----------- */

static void add_timer(conv *c, jthink *t, const jmx_node *n)
{
    double delay = 0, range = 0;
    char *ds = sprop(c, n, "ConstantTimer.delay");
    char *rs = strcmp(n->name, "ConstantTimer") == 0 ? pdup(c, "0") : sprop(c, n, "RandomTimer.range");
    if (!ds || !rs)
        return;
    if ((*ds && !to_ms(ds, &delay)) || (*rs && !to_ms(rs, &range))) {
        report(c, n, "timer \"%s\": delay \"%.30s\" or range \"%.30s\" is not a number of ms: skipped", title(n), ds,
               rs);
        return;
    }
    if (strcmp(n->name, "UniformRandomTimer") == 0) {
        /* offset + uniform [0, range): mean offset + range/2, variance range^2/12 */
        t->mean_ms += delay + range / 2;
        t->var_ms2 += range * range / 12;
        if (range > 0 && t->n_random++ == 0)
            t->dist = RNG_UNIFORM;
    } else if (strcmp(n->name, "GaussianRandomTimer") == 0) {
        /* JMeter: |gaussian * range + offset|; ptest clamps negative draws at 0 instead. */
        t->mean_ms += delay;
        t->var_ms2 += range * range;
        if (range > 0 && t->n_random++ == 0)
            t->dist = RNG_NORMAL;
    } else {
        t->mean_ms += delay;
    }
    if (t->n_random > 1)
        t->dist = RNG_NORMAL;                        /* a sum of random delays: near normal */
}

/* ---------------------------------------------------------------- requests --------- */

/* The innermost non-empty value of an HTTPSampler.* field: the sampler, then the
 * defaults in scope from the inside out. */
static char *http_field(conv *c, const jmx_node *s, const char *name)
{
    char *v = sprop(c, s, name);
    for (size_t i = c->n_scope; v && !*v && i-- > 0;)
        if (is_defaults(c->scope[i]))
            v = sprop(c, c->scope[i], name);
    return v;
}

static void put_encoded(buf *b, const char *s, bool encode)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!encode || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '.' || ch == '-' || ch == '*' || ch == '_')
            buf_putc(b, (char)ch);
        else if (ch == ' ')
            buf_putc(b, '+');
        else
            buf_printf(b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
    }
}

/* Appends the sampler's (and the defaults') arguments as name=value&... to b; raw (the
 * values only) for a raw body. */
static void put_args(conv *c, const jmx_node *holder, buf *b, bool raw)
{
    const jmx_node *args = prop(holder, "HTTPsampler.Arguments");
    const jmx_node *coll = prop(args, "Arguments.arguments");
    if (!coll)
        return;
    for (size_t i = 0; i < coll->n_kids; i++) {
        const jmx_node *a = coll->kids[i];
        if (strcmp(a->name, "elementProp") != 0)
            continue;
        char *name = sprop(c, a, "Argument.name"), *value = sprop(c, a, "Argument.value");
        if (!name || !value)
            return;
        if (raw) {
            buf_puts(b, value);
            continue;
        }
        bool enc = pbool(a, "HTTPArgument.always_encode", false);
        if (b->len)
            buf_putc(b, '&');
        put_encoded(b, name, enc);
        if (*name || pbool(a, "HTTPArgument.use_equals", true))
            buf_putc(b, '=');
        put_encoded(b, value, enc);
    }
}

static bool is_token(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              (ch && strchr("!#$%&'*+-.^_`|~", ch))))
            return false;
    }
    return true;
}

static bool header_value_ok(const char *v)
{
    size_t n = 0;
    for (; *v; v++, n++)
        if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
            return false;
    return n <= 8192;
}

static void set_header(conv *c, kv **hs, size_t *n, size_t *cap, const char *name, const char *value)
{
    for (size_t i = 0; i < *n; i++)
        if (strcasecmp((*hs)[i].name, name) == 0) {
            (*hs)[i].value = (char *)value;              /* inner managers override */
            return;
        }
    kv *h = grow(c, hs, n, cap, sizeof **hs);
    if (h) {
        h->name = (char *)name;
        h->value = (char *)value;
    }
}

static void add_headers(conv *c, const jmx_node *hm, kv **hs, size_t *n, size_t *cap)
{
    const jmx_node *coll = prop(hm, "HeaderManager.headers");
    for (size_t i = 0; coll && i < coll->n_kids; i++) {
        const jmx_node *h = coll->kids[i];
        if (strcmp(h->name, "elementProp") != 0)
            continue;
        char *name = sprop(c, h, "Header.name"), *value = sprop(c, h, "Header.value");
        if (!name || !value)
            return;
        size_t nl = strlen(name);
        const char *t = name;
        trim(&t, &nl);
        if (nl == 0)
            continue;
        if (strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0) {
            report(c, h, "header %s is set by ptest itself: skipped", name);
            continue;
        }
        if (!is_token(t, nl) || nl > 256 || !header_value_ok(value)) {
            report(c, h, "header \"%.40s\" is not a valid HTTP header name and value: skipped", name);
            continue;
        }
        set_header(c, hs, n, cap, pdupn(c, t, nl), value);
    }
}

static bool plain_text(const char *s)
{
    return strpbrk(s, ".^$*+?()[]{}|\\") == NULL;
}

static void apply_assertion(conv *c, jreq *r, const jmx_node *a)
{
    const char *field = pstr(a, "Assertion.test_field");
    int64_t type = 0;
    const char *ts = pstr(a, "Assertion.test_type");
    const jmx_node *coll = prop(a, "Asserion.test_strings");
    if (!coll)
        coll = prop(a, "Assertion.test_strings");
    if (*ts && !to_i64(ts, &type))
        type = 0;
    if (pbool(a, "Assertion.assume_success", false)) {
        report(c, a, "assertion \"%s\": \"ignore status\" is not supported: skipped", title(a));
        return;
    }
    if (type & AT_NOT) {
        report(c, a, "assertion \"%s\": negated (NOT) patterns are not supported: skipped", title(a));
        return;
    }
    size_t n_str = 0;
    for (size_t i = 0; coll && i < coll->n_kids; i++) {
        const jmx_node *sp = coll->kids[i];
        if (strcmp(sp->name, "stringProp") != 0)
            continue;
        char *s = subst(c, a, sp->text);
        if (!s)
            return;
        if (n_str++ && (type & AT_OR)) {
            report(c, a, "assertion \"%s\": OR of several patterns is not supported: extra pattern skipped", title(a));
            continue;
        }
        if (strcmp(field, "Assertion.response_code") == 0) {
            int64_t code;
            if (!to_i64(s, &code) || code < 100 || code > 599 || strlen(s) != 3) {
                report(c, a, "assertion \"%s\": status pattern \"%.40s\" is not one status code: skipped", title(a), s);
            } else if (r->status && r->status != (int)code) {
                report(c, a, "assertion \"%s\": a second expected status (%d after %d): skipped", title(a), (int)code,
                       r->status);
            } else {
                r->status = (int)code;
            }
        } else if (strcmp(field, "Assertion.response_data") == 0 &&
                   ((type & AT_SUBSTRING) || ((type & AT_CONTAINS) && plain_text(s))) && *s) {
            if (r->body_contains)
                report(c, a, "assertion \"%s\": only one body substring per request: \"%.40s\" skipped", title(a), s);
            else
                r->body_contains = s;
        } else {
            report(c, a, "assertion \"%s\": only status codes and body substrings are supported: pattern \"%.40s\" skipped",
                   title(a), s);
        }
    }
}

/* Percent-encodes what a request target may not contain raw (JMeter encodes spaces too). */
static char *clean_path(conv *c, const char *p)
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
    char *r = buf_ok(&b) ? pdupn(c, b.data, b.len) : NULL;
    if (!buf_ok(&b))
        fatal(c, NULL, JMX_ERR_NOMEM, "out of memory");
    buf_free(&b);
    return r;
}

static char *clean_label(conv *c, const jmx_node *at, const char *l, const char *path)
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
        report(c, at, "name changed to \"%s\" (names are at most 64 printable ASCII bytes)", b);
    return pdupn(c, b, n);
}

/* A label names one method and path in the whole plan (ptest reports it as one line);
 * JMeter would merge different requests under one name, ptest renames the later ones. */
static char *unique_label(conv *c, const jmx_node *at, char *label, const char *method, const char *path)
{
    char b[PLAN_MAX_LABEL + 16];
    const char *try = label;
    for (unsigned k = 2; k < 10000; k++) {
        bool clash = false, same = false;
        for (size_t i = 0; i < c->m->n_sc && !clash && !same; i++)
            for (size_t j = 0; j < c->m->sc[i].n_reqs; j++) {
                const jreq *o = &c->m->sc[i].reqs[j];
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
                report(c, at, "label \"%s\" already names another request: renamed \"%s\"", label, try);
            return try == label ? label : pdup(c, try);
        }
        int w = snprintf(b, sizeof b, "%.*s (%u)", PLAN_MAX_LABEL - 8, label, k);
        (void)w;
        try = b;
    }
    fatal(c, at, JMX_ERR_PLAN, "too many requests named \"%s\"", label);
    return NULL;
}

static void set_target(conv *c, const jmx_node *s, const char *proto, const char *host, const char *port)
{
    char t[400];
    if (!*host)
        return;
    if (*proto && strcasecmp(proto, "http") != 0) {
        report(c, s, "protocol \"%.20s\" is not supported (ptest speaks http): pass --target", proto);
        return;
    }
    snprintf(t, sizeof t, "http://%.255s%s%.20s", host, *port ? ":" : "", port);
    plan_url u;
    char uerr[200];
    if (plan_url_parse(&u, t, uerr, sizeof uerr) != 0) {
        report(c, s, "server %s: %s: pass --target", t, uerr);
        return;
    }
    plan_url_free(&u);
    if (!c->m->target) {
        c->m->target = pdup(c, t);
        c->target_at = s;
    } else if (strcmp(c->m->target, t) != 0) {
        report(c, s, "sampler \"%s\" names %s but the plan's target is %s (line %u): every request goes to the target",
               title(s), t, c->m->target, c->target_at->line);
    }
}

static void set_timeout(conv *c, const jmx_node *s, const char *name, uint64_t *dst)
{
    char *v = http_field(c, s, name);
    int64_t ms;
    if (!v || !*v)
        return;
    if (!to_i64(v, &ms) || ms <= 0 || ms > 3600000) {
        if (!(to_i64(v, &ms) && ms == 0))
            report(c, s, "%s \"%.30s\" is not a number of ms from 1 to 3600000: skipped", name, v);
        return;
    }
    if (*dst && *dst != (uint64_t)ms)
        report(c, s, "%s %" PRId64 "ms differs from another sampler's %" PRIu64 "ms: ptest has one per plan, the first is kept",
               name, ms, *dst);
    else
        *dst = (uint64_t)ms;
}

static void add_request(conv *c, jscen *sc, const jmx_node *s, const jmx_node *kids)
{
    size_t mark = c->n_scope;
    kv *hs = NULL;
    size_t n_h = 0, cap_h = 0;
    size_t i = 0;
    const jmx_node *k, *kk;

    if (c->total_reqs >= PLAN_MAX_REQUESTS) {
        fatal(c, s, JMX_ERR_PLAN, "more than %d requests (loops are expanded into the sequence)", PLAN_MAX_REQUESTS);
        return;
    }
    while (kids && (k = next_pair(kids, &i, &kk))) {
        if (!enabled(k))
            continue;
        if (is_scoped_config(k))
            push_scope(c, k);
        else if (is_timer(k))
            report(c, k, "timer \"%s\" of one sampler is not supported (think time is per thread group): skipped",
                   title(k));
        else
            report(c, k, "%s \"%s\" is not supported: skipped", k->name, title(k));
    }
    char *proto = http_field(c, s, "HTTPSampler.protocol"), *host = http_field(c, s, "HTTPSampler.domain");
    char *port = http_field(c, s, "HTTPSampler.port"), *path = sprop(c, s, "HTTPSampler.path");
    char *method = sprop(c, s, "HTTPSampler.method");
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
        proto = pdupn(c, path, (size_t)(hp - 3 - path));
        host = pdupn(c, hp, hl);
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
    if (!pbool(s, "HTTPSampler.use_keepalive", true))
        report(c, s, "sampler \"%s\": keep-alive off is not supported (ptest keeps connections open)", title(s));
    if (pbool(s, "HTTPSampler.image_parser", false))
        report(c, s, "sampler \"%s\": embedded resources are not fetched", title(s));

    for (size_t m = 0; m < strlen(method); m++)
        method[m] = (char)((method[m] >= 'a' && method[m] <= 'z') ? method[m] - 32 : method[m]);
    if (!*method)
        method = "GET";
    if (!is_token(method, strlen(method)) || strlen(method) > 32) {
        fatal(c, s, JMX_ERR_PLAN, "sampler \"%s\": invalid method \"%.40s\"", title(s), method);
        goto done;
    }
    bool body_method = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
    bool raw = pbool(s, "HTTPSampler.postBodyRaw", false);
    buf args = BUF_INIT;
    put_args(c, s, &args, raw && body_method);
    for (size_t d = 0; d < c->n_scope && !raw; d++)
        if (is_defaults(c->scope[d]))
            put_args(c, c->scope[d], &args, false);
    if (!buf_ok(&args)) {
        buf_free(&args);
        fatal(c, s, JMX_ERR_NOMEM, "out of memory");
        goto done;
    }
    char *body = NULL;
    if (body_method) {
        if (args.len || raw)
            body = pdupn(c, args.data ? args.data : "", args.len);
    } else if (args.len) {
        buf q = BUF_INIT;
        buf_puts(&q, path);
        buf_putc(&q, strchr(path, '?') ? '&' : '?');
        buf_append(&q, args.data, args.len);
        path = buf_ok(&q) ? pdupn(c, q.data, q.len) : NULL;
        buf_free(&q);
    }
    buf_free(&args);
    if (!path || !(path = clean_path(c, path)))
        goto done;
    if (strlen(path) > 8192) {
        fatal(c, s, JMX_ERR_PLAN, "sampler \"%s\": path longer than 8192 bytes", title(s));
        goto done;
    }

    for (size_t d = c->plan_mark; d < c->n_scope; d++)
        if (strcmp(c->scope[d]->name, "HeaderManager") == 0)
            add_headers(c, c->scope[d], &hs, &n_h, &cap_h);
    if (body && !raw) {
        bool has_ct = false;
        for (size_t h = 0; h < n_h; h++)
            has_ct |= strcasecmp(hs[h].name, "Content-Type") == 0;
        for (size_t h = 0; h < c->m->n_headers; h++)
            has_ct |= strcasecmp(c->m->headers[h].name, "Content-Type") == 0;
        if (!has_ct)
            set_header(c, &hs, &n_h, &cap_h, "Content-Type", "application/x-www-form-urlencoded");
    }

    char *label = sprop(c, s, "TestElement.name");
    if (label && !*label)
        label = subst(c, s, title(s));
    if (!label || !(label = clean_label(c, s, label, path)) || !(method = pdup(c, method)))
        goto done;
    if (!(label = unique_label(c, s, label, method, path)))
        goto done;
    jreq *r = grow(c, &sc->reqs, &sc->n_reqs, &c->cap_reqs, sizeof *sc->reqs);
    if (!r)
        goto done;
    r->label = label;
    r->method = method;
    r->path = path;
    r->body = body;
    r->headers = hs;
    r->n_headers = n_h;
    c->total_reqs++;
    for (size_t d = 0; d < c->n_scope; d++)
        if (strcmp(c->scope[d]->name, "ResponseAssertion") == 0)
            apply_assertion(c, r, c->scope[d]);
done:
    c->n_scope = mark;
}

/* ---------------------------------------------------------------- tree walk -------- */

static void walk(conv *c, jscen *sc, const jmx_node *ht, unsigned level);

static void walk_element(conv *c, jscen *sc, const jmx_node *e, const jmx_node *kids, unsigned level)
{
    if (++c->visits > MAX_VISITS) {
        fatal(c, e, JMX_ERR_PLAN, "the plan's loops expand to more than %d elements", MAX_VISITS);
        return;
    }
    if (is_sampler(e)) {
        add_request(c, sc, e, kids);
    } else if (strcmp(e->name, "GenericController") == 0 || strcmp(e->name, "TransactionController") == 0) {
        if (kids)
            walk(c, sc, kids, level + 1);
    } else if (strcmp(e->name, "LoopController") == 0) {
        int64_t loops;
        if (!num_prop(c, e, "LoopController.loops", -1, MAX_LOOP_EXPANSION, 1, &loops))
            return;
        if (loops < 0) {
            report(c, e, "loop controller \"%s\" loops forever: not supported, its children run once", title(e));
            loops = 1;
        }
        for (int64_t i = 0; i < loops && kids && !c->fail; i++) {
            /* Report problems inside the body once, not once per repetition. */
            c->quiet += i > 0;
            walk(c, sc, kids, level + 1);
            c->quiet -= i > 0;
        }
    } else if (is_scoped_config(e) || strcmp(e->name, "Arguments") == 0) {
        /* taken in the scope pass */
    } else if (is_timer(e)) {
        if (level > 0)
            report(c, e, "timer \"%s\" inside a controller is not supported (think time is per thread group): skipped",
                   title(e));
    } else {
        report(c, e, "%s \"%s\" is not supported: skipped", e->name, title(e));
    }
}

/* level 0: the thread group's own tree. */
static void walk(conv *c, jscen *sc, const jmx_node *ht, unsigned level)
{
    size_t mark = c->n_scope, i = 0;
    const jmx_node *e, *kids;

    while ((e = next_pair(ht, &i, &kids)) && !c->fail) {
        if (!enabled(e))
            continue;
        if (is_scoped_config(e))
            push_scope(c, e);
        else if (strcmp(e->name, "Arguments") == 0)
            add_vars(c, e);
        else if (is_timer(e) && level == 0)
            add_timer(c, &c->think, e);
    }
    i = 0;
    while ((e = next_pair(ht, &i, &kids)) && !c->fail)
        if (enabled(e))
            walk_element(c, sc, e, kids, level);
    c->n_scope = mark;
}

static uint64_t ms_to_ns(conv *c, const jmx_node *at, double ms)
{
    double ns = ms * 1e6 + 0.5;
    if (ns > (double)MAX_THINK_NS) {
        report(c, at, "think time above 1h: clamped to 1h");
        return MAX_THINK_NS;
    }
    return (uint64_t)ns;
}

static void thread_group(conv *c, const jmx_node *tg, const jmx_node *kids)
{
    const jmx_node *lc = prop(tg, "ThreadGroup.main_controller");
    int64_t threads, ramp, loops, duration = 0, delay = 0;
    bool sched = pbool(tg, "ThreadGroup.scheduler", false);

    if (!num_prop(c, tg, "ThreadGroup.num_threads", 0, 1000000, 1, &threads) ||
        !num_prop(c, tg, "ThreadGroup.ramp_time", 0, 365 * 86400, 0, &ramp) ||
        !num_prop(c, lc, "LoopController.loops", -1, INT64_C(1000000000000), 1, &loops))
        return;
    if (sched && (!num_prop(c, tg, "ThreadGroup.duration", 0, 365 * 86400, 0, &duration) ||
                  !num_prop(c, tg, "ThreadGroup.delay", 0, 365 * 86400, 0, &delay)))
        return;
    if (pbool(lc, "LoopController.continue_forever", false) && loops < 0)
        loops = -1;
    const char *err_action = pstr(tg, "ThreadGroup.on_sample_error");
    if (*err_action && strcmp(err_action, "continue") != 0)
        report(c, tg, "thread group \"%s\": on_sample_error \"%s\" is not supported: ptest continues after errors",
               title(tg), err_action);
    if (threads == 0 || loops == 0) {
        report(c, tg, "thread group \"%s\" has no %s: skipped", title(tg), threads ? "loops" : "threads");
        return;
    }
    jscen *sc = grow(c, &c->m->sc, &c->m->n_sc, &c->cap_sc, sizeof *c->m->sc);
    if (!sc)
        return;
    memset(sc, 0, sizeof *sc);                       /* the slot of a skipped group is reused */
    sc->line = tg->line;
    c->think = c->plan_think;
    c->cap_reqs = 0;
    sc->users = (uint64_t)threads;
    sc->ramp_ns = (uint64_t)ramp * NS_PER_S;
    sc->delay_ns = (uint64_t)delay * NS_PER_S;
    if (loops > 0)
        sc->iterations = (uint64_t)loops;
    if (sched && duration > 0) {
        /* JMeter's duration counts from the group's start and includes the ramp-up. */
        uint64_t d = (uint64_t)duration * NS_PER_S;
        sc->hold_ns = d > sc->ramp_ns ? d - sc->ramp_ns : NS_PER_MS;
        if (d <= sc->ramp_ns)
            report(c, tg, "thread group \"%s\": duration %" PRId64 "s is not longer than its ramp-up: later threads never start",
                   title(tg), duration);
    } else if (loops < 0) {
        if (!c->o->duration_ns) {
            fatal(c, tg, JMX_ERR_PLAN, "thread group \"%s\" loops forever without a scheduler duration: "
                  "set one in the plan or pass -d", title(tg));
            return;
        }
        sc->hold_ns = c->o->duration_ns > sc->ramp_ns ? c->o->duration_ns - sc->ramp_ns : NS_PER_S;
    }
    if (sc->delay_ns + sc->ramp_ns + sc->hold_ns > PLAN_MAX_DURATION_NS) {
        fatal(c, tg, JMX_ERR_PLAN, "thread group \"%s\" lasts longer than 365 days", title(tg));
        return;
    }
    char *name = subst(c, tg, title(tg));
    if (!name || !(name = clean_label(c, tg, name, "thread group")))
        return;
    char *base = name;
    for (unsigned k = 2; k < 10000; k++) {
        bool dup = false;
        for (size_t i = 0; i + 1 < c->m->n_sc; i++)
            dup |= strcmp(c->m->sc[i].name, name) == 0;
        if (!dup)
            break;
        char b[PLAN_MAX_LABEL + 16];
        snprintf(b, sizeof b, "%.*s (%u)", PLAN_MAX_LABEL - 8, base, k);
        if (!(name = pdup(c, b)))
            return;
    }
    sc->name = name;
    if (kids)
        walk(c, sc, kids, 0);
    const jthink *t = &c->think;
    sc->think_dist = t->n_random ? t->dist : RNG_CONSTANT;
    sc->think_mean_ns = ms_to_ns(c, tg, t->mean_ms);
    sc->think_sd_ns = t->n_random ? ms_to_ns(c, tg, sqrt(t->var_ms2)) : 0;
    if (!c->fail && sc->n_reqs == 0) {
        report(c, tg, "thread group \"%s\" has no HTTP samplers: skipped", title(tg));
        c->m->n_sc--;
    }
}

static void test_plan(conv *c, const jmx_node *tp, const jmx_node *kids)
{
    size_t i = 0;
    const jmx_node *e, *k;

    add_vars(c, prop(tp, "TestPlan.user_defined_variables"));
    if (pbool(tp, "TestPlan.serialize_threadgroups", false))
        report(c, tp, "\"run thread groups consecutively\" is not supported: they run at the same time");
    char *name = subst(c, tp, title(tp));
    if (name && *name)
        c->m->name = clean_label(c, tp, name, "plan");
    if (!kids)
        return;
    /* Scope first: variables, plan headers, defaults, assertions and timers apply to every
     * thread group wherever they stand in the plan's tree. */
    while ((e = next_pair(kids, &i, &k)) && !c->fail) {
        if (!enabled(e))
            continue;
        if (strcmp(e->name, "Arguments") == 0) {
            add_vars(c, e);
        } else if (strcmp(e->name, "HeaderManager") == 0) {
            add_headers(c, e, &c->m->headers, &c->m->n_headers, &c->cap_headers);
        } else if (is_scoped_config(e)) {
            push_scope(c, e);
        } else if (is_timer(e)) {
            add_timer(c, &c->plan_think, e);
        }
    }
    c->plan_mark = c->n_scope;
    i = 0;
    while ((e = next_pair(kids, &i, &k)) && !c->fail) {
        if (!enabled(e) || is_scoped_config(e) || is_timer(e) || strcmp(e->name, "Arguments") == 0)
            continue;
        if (strcmp(e->name, "ThreadGroup") == 0)
            thread_group(c, e, k);
        else
            report(c, e, "%s \"%s\" is not supported: skipped", e->name, title(e));
    }
}

/* ---------------------------------------------------------------- entry point ------ */

int jmx_plan_build(jmx_model *m, const char *file, const jmx_node *root, const jmx_opts *o, char *err,
                   size_t errlen)
{
    conv c;
    size_t i = 0;
    const jmx_node *top = NULL, *tp = NULL, *kids = NULL;

    memset(m, 0, sizeof *m);
    memset(&c, 0, sizeof c);
    c.m = m;
    c.file = file;
    c.o = o;
    c.err = err;
    c.errlen = errlen;
    if (strcmp(root->name, "jmeterTestPlan") != 0) {
        fatal(&c, root, JMX_ERR_PLAN, "not a JMeter plan (the root element is <%s>, expected <jmeterTestPlan>)",
              root->name);
        goto done;
    }
    if (root->n_kids)
        top = root->kids[0];
    if (top && strcmp(top->name, "hashTree") == 0)
        tp = next_pair(top, &i, &kids);
    if (!tp || strcmp(tp->name, "TestPlan") != 0) {
        fatal(&c, tp ? tp : root, JMX_ERR_PLAN, "expected a <TestPlan> in the first <hashTree>");
        goto done;
    }
    test_plan(&c, tp, kids);
    if (c.fail)
        goto done;
    if (m->n_sc == 0) {
        fatal(&c, tp, JMX_ERR_PLAN, "no enabled thread group with HTTP samplers");
        goto done;
    }
    if (o->strict && m->n_notes)
        fatal(&c, NULL, JMX_ERR_STRICT, "%zu unsupported element%s or value%s (--strict)", m->n_notes,
              m->n_notes == 1 ? "" : "s", m->n_notes == 1 ? "" : "s");
done:
    return c.fail;
}

void jmx_model_free(jmx_model *m)
{
    for (size_t i = 0; i < m->n_pool; i++)
        free(m->pool[i]);
    free(m->pool);
    memset(m, 0, sizeof *m);
}
