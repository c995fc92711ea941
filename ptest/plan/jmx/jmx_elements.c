/* jmx_elements.c - the JMeter elements that shape requests and scenarios without being
 * samplers: timers (think time), HTTP Header Managers and Response Assertions (jmx_plan_int.h). */
#include "jmx_plan_int.h"

#include <string.h>
#include <strings.h>

/* Assertion.test_type bits, as JMeter stores them. */
enum { AT_MATCH = 1, AT_CONTAINS = 2, AT_NOT = 4, AT_EQUALS = 8, AT_SUBSTRING = 16, AT_OR = 32 };

/* ---------------------------------------------------------------- timers ----------- */

void jmx_add_timer(jmx_conv *c, jmx_think *t, const jmx_node *n)
{
    double delay = 0, range = 0;
    char *ds = jmx_sprop(c, n, "ConstantTimer.delay");
    char *rs = strcmp(n->name, "ConstantTimer") == 0 ? jmx_pdup(c, "0") : jmx_sprop(c, n, "RandomTimer.range");
    if (!ds || !rs)
        return;
    if ((*ds && !jmx_to_ms(ds, &delay)) || (*rs && !jmx_to_ms(rs, &range))) {
        jmx_report(c, n, "timer \"%s\": delay \"%.30s\" or range \"%.30s\" is not a number of ms: skipped",
                   jmx_title(n), ds, rs);
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
        t->dist = RNG_NORMAL; /* a sum of random delays: near normal */
}

/* ---------------------------------------------------------------- headers ---------- */

bool jmx_is_token(const char *s, size_t n)
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

void jmx_set_header(jmx_conv *c, jmx_kv **hs, size_t *n, size_t *cap, const char *name, const char *value)
{
    for (size_t i = 0; i < *n; i++)
        if (strcasecmp((*hs)[i].name, name) == 0) {
            (*hs)[i].value = (char *)value; /* inner managers override */
            return;
        }
    jmx_kv *h = jmx_grow(c, hs, n, cap, sizeof **hs);
    if (h) {
        h->name = (char *)name;
        h->value = (char *)value;
    }
}

void jmx_add_headers(jmx_conv *c, const jmx_node *hm, jmx_kv **hs, size_t *n, size_t *cap)
{
    const jmx_node *collect = jmx_prop_elem(hm, "HeaderManager.headers"), *h;
    for (size_t i = 0; (h = jmx_next_elem(collect, &i));) {
        char *name = jmx_sprop(c, h, "Header.name"), *value = jmx_sprop(c, h, "Header.value");
        if (!name || !value)
            return;
        size_t nl = strlen(name);
        const char *t = name;
        jmx_trim(&t, &nl);
        if (nl == 0)
            continue;
        if (strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0) {
            jmx_report(c, h, "header %s is set by ptest itself: skipped", name);
            continue;
        }
        if (!jmx_is_token(t, nl) || nl > 256 || !header_value_ok(value)) {
            jmx_report(c, h, "header \"%.40s\" is not a valid HTTP header name and value: skipped", name);
            continue;
        }
        jmx_set_header(c, hs, n, cap, jmx_pdupn(c, t, nl), value);
    }
}

/* ---------------------------------------------------------------- assertions ------- */

static bool plain_text(const char *s)
{
    return strpbrk(s, ".^$*+?()[]{}|\\") == NULL;
}

void jmx_apply_assertion(jmx_conv *c, jmx_req *r, const jmx_node *a)
{
    const char *field = jmx_pstr(a, "Assertion.test_field");
    int64_t type = 0;
    const char *ts = jmx_pstr(a, "Assertion.test_type");
    const jmx_node *collect = jmx_prop_elem(a, "Asserion.test_strings");
    if (!collect)
        collect = jmx_prop_elem(a, "Assertion.test_strings");
    if (*ts && !jmx_to_i64(ts, &type))
        type = 0;
    if (jmx_pbool(a, "Assertion.assume_success", false)) {
        jmx_report(c, a, "assertion \"%s\": \"ignore status\" is not supported: skipped", jmx_title(a));
        return;
    }
    if (type & AT_NOT) {
        jmx_report(c, a, "assertion \"%s\": negated (NOT) patterns are not supported: skipped", jmx_title(a));
        return;
    }
    size_t n_str = 0;
    for (size_t i = 0; collect && i < collect->n_kids; i++) {
        const jmx_node *sp = collect->kids[i];
        if (strcmp(sp->name, "stringProp") != 0)
            continue;
        char *s = jmx_subst(c, a, sp->text);
        if (!s)
            return;
        if (n_str++ && (type & AT_OR)) {
            jmx_report(c, a, "assertion \"%s\": OR of several patterns is not supported: extra pattern skipped",
                       jmx_title(a));
            continue;
        }
        if (strcmp(field, "Assertion.response_code") == 0) {
            int64_t code;
            if (!jmx_to_i64(s, &code) || code < 100 || code > 599 || strlen(s) != 3) {
                jmx_report(c, a, "assertion \"%s\": status pattern \"%.40s\" is not one status code: skipped",
                           jmx_title(a), s);
            } else if (r->status && r->status != (int)code) {
                jmx_report(c, a, "assertion \"%s\": a second expected status (%d after %d): skipped", jmx_title(a),
                           (int)code, r->status);
            } else {
                r->status = (int)code;
            }
        } else if (strcmp(field, "Assertion.response_data") == 0 &&
                   ((type & AT_SUBSTRING) || ((type & AT_CONTAINS) && plain_text(s))) && *s) {
            if (r->body_contains)
                jmx_report(c, a, "assertion \"%s\": only one body substring per request: \"%.40s\" skipped",
                           jmx_title(a), s);
            else
                r->body_contains = s;
        } else {
            jmx_report(
                c, a,
                "assertion \"%s\": only status codes and body substrings are supported: pattern \"%.40s\" skipped",
                jmx_title(a), s);
        }
    }
}
