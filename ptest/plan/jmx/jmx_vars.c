/* jmx_vars.c - JMeter property access, ${var} / ${__P(...)} / ${__property(...)} substitution,
 * number parsing and user-defined variables (Arguments), for the plan builder (jmx_plan_int.h). */
#include "jmx_plan_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* ---------------------------------------------------------------- properties ------- */

bool jmx_enabled(const jmx_node *n)
{
    const char *e = jmx_attr(n, "enabled");
    return !e || strcmp(e, "false") != 0;
}

const char *jmx_title(const jmx_node *n)
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
const jmx_node *jmx_prop_elem(const jmx_node *n, const char *name)
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

const jmx_node *jmx_next_elem(const jmx_node *collection, size_t *i)
{
    while (collection && *i < collection->n_kids) {
        const jmx_node *k = collection->kids[(*i)++];
        if (strcmp(k->name, "elementProp") == 0)
            return k;
    }
    return NULL;
}

/* A scalar property's raw text, or "" when absent or not scalar. */
const char *jmx_pstr(const jmx_node *n, const char *name)
{
    const jmx_node *p = jmx_prop_elem(n, name);
    if (!p || strcmp(p->name, "elementProp") == 0 || strcmp(p->name, "collectionProp") == 0)
        return "";
    return p->text;
}

bool jmx_pbool(const jmx_node *n, const char *name, bool dflt)
{
    const char *s = jmx_pstr(n, name);
    if (!*s)
        return dflt;
    return strcmp(s, "true") == 0;
}

/* ---------------------------------------------------------------- substitution ----- */

static const char *lookup(const jmx_kv *a, size_t n, const char *name, size_t len)
{
    /* Later definitions win, as with JMeter's -J and variables redefined further down. */
    for (size_t i = n; i-- > 0;)
        if (strlen(a[i].name) == len && memcmp(a[i].name, name, len) == 0)
            return a[i].value;
    return NULL;
}

static const char *lookup_prop(jmx_conv *c, const char *name, size_t len)
{
    for (size_t i = c->o->n_props; i-- > 0;) {
        const jmx_prop *p = &c->o->props[i];
        if (strlen(p->name) == len && memcmp(p->name, name, len) == 0)
            return p->value;
    }
    return NULL;
}

void jmx_trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* Evaluates one ${...} body into out; false when it is not supported (left as written). */
static bool eval_ref(jmx_conv *c, const jmx_node *at, const char *in, size_t n, buf *out)
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
        jmx_trim(&name, &nl);
        const char *v = lookup_prop(c, name, nl);
        if (v)
            buf_puts(out, v);
        else if (dflt)
            buf_append(out, dflt, dl);
        else if (fn_p)
            buf_putc(out, '1'); /* JMeter's documented default */
        else
            buf_append(out, name, nl); /* __property: the name itself */
        return true;
    }
    if (n >= 2 && in[0] == '_' && in[1] == '_') {
        jmx_report(c, at, "function ${%.*s} is not supported: left as written", (int)(n > 60 ? 60 : n), in);
        return false;
    }
    for (size_t i = 0; i < c->n_rt_vars; i++)
        if (strlen(c->rt_vars[i]) == n && memcmp(c->rt_vars[i], in, n) == 0) {
            buf_puts(out, "${"); /* an extractor's variable: ptest's own at run time */
            buf_append(out, in, n);
            buf_putc(out, '}');
            return true;
        }
    const char *v = lookup(c->vars, c->n_vars, in, n);
    if (!v) {
        jmx_report(c, at, "variable ${%.*s} is not defined: left as written", (int)(n > 60 ? 60 : n), in);
        return false;
    }
    buf_puts(out, v);
    return true;
}

/* Text left as written: every `${` in it becomes `$${` (ptest's literal `${`), also one
 * inside the reference ("${a=${b}" would otherwise still refer to b). */
static void put_literal(buf *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '$' && i + 1 < n && p[i + 1] == '{')
            buf_putc(out, '$');
        buf_putc(out, p[i]);
    }
}

char *jmx_subst(jmx_conv *c, const jmx_node *at, const char *s)
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
        /* What is left as written is sent as written: `$${` is ptest's literal `${`. */
        if (!e) {
            put_literal(&out, d, strlen(d));
            break;
        }
        size_t bl = (size_t)(e - d - 2);
        if (!eval_ref(c, at, d + 2, bl, &out))
            put_literal(&out, d, bl + 3);
        i = (size_t)(e - s) + 1;
    }
    if (!buf_ok(&out)) {
        buf_fini(&out);
        c->fail = JMX_ERR_NOMEM;
        snprintf(c->err, c->errlen, "out of memory");
        return NULL;
    }
    r = jmx_pdupn(c, out.data ? out.data : "", out.len);
    buf_fini(&out);
    return r;
}

char *jmx_sprop(jmx_conv *c, const jmx_node *n, const char *name)
{
    return jmx_subst(c, n, jmx_pstr(n, name));
}

/* Parses a whole decimal integer (after substitution, blanks trimmed). */
bool jmx_to_i64(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    jmx_trim(&s, &n);
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

bool jmx_to_ms(const char *s, double *out)
{
    size_t n = strlen(s);
    jmx_trim(&s, &n);
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
bool jmx_num_prop(jmx_conv *c, const jmx_node *n, const char *name, int64_t lo, int64_t hi, int64_t dflt, int64_t *out)
{
    char *s = jmx_sprop(c, n, name);
    if (!s)
        return false;
    size_t l = strlen(s);
    const char *t = s;
    jmx_trim(&t, &l);
    if (l == 0) {
        *out = dflt;
        return true;
    }
    if (!jmx_to_i64(s, out) || *out < lo || *out > hi) {
        const jmx_node *p = jmx_prop_elem(n, name);
        jmx_fatal(c, p ? p : n, JMX_ERR_PLAN,
                  "%s: expected a whole number from %" PRId64 " to %" PRId64 ", got \"%.40s\"", name, lo, hi, s);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- variables -------- */

void jmx_add_vars(jmx_conv *c, const jmx_node *args)
{
    const jmx_node *collect = jmx_prop_elem(args, "Arguments.arguments"), *a;
    for (size_t i = 0; (a = jmx_next_elem(collect, &i));) {
        char *name = jmx_pdup(c, jmx_pstr(a, "Argument.name"));
        char *value = jmx_sprop(c, a, "Argument.value"); /* earlier variables are visible */
        jmx_kv *v = jmx_grow(c, &c->vars, &c->n_vars, &c->cap_vars, sizeof *c->vars);
        if (!v || !name || !value)
            return;
        v->name = name;
        v->value = value;
    }
}
