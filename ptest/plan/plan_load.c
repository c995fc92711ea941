/* plan_load.c - the YAML plan loader and its checks (plan_load_file, plan_load_string,
 * plan_validate). */
#include "plan_int.h"
#include "strdist.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "vars.h"
#include "yamltree.h"

#define NS_PER_HOUR (UINT64_C(3600) * UINT64_C(1000000000))

#define MAX_METHOD 32
#define MAX_HEADER_NAME 256
#define MAX_HEADER_VALUE 8192
#define MAX_EXPR 256
#define MAX_USERS 1000000u
#define MAX_WEIGHT 1000000u
#define MAX_CONNECTIONS 1000000u
#define MAX_ITERATIONS UINT64_C(1000000000000)

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

typedef struct loader {
    yamltree_doc doc;
    yamltree_error err;
    plan *p;
    uint32_t n_labels;  /* distinct labels so far */
    uint32_t plan_data; /* the plan's own `data:` (p->data number), 0: none */
    size_t n_requests;  /* requests so far, whole plan */
} loader;

#define FAIL(L, node, ...) yamltree_fail(&(L)->doc, (node), &(L)->err, __VA_ARGS__)

static int oom(loader *L)
{
    return FAIL(L, NULL, "out of memory");
}

/* Optional mapping-valued keys: an empty value ("headers:" with everything commented out)
 * counts as absent. */
static const yamltree_node *opt_map(const yamltree_node *map, const char *key)
{
    const yamltree_node *v = yamltree_get(map, key);
    return v && v->kind == YAMLTREE_NULL ? NULL : v;
}

static int get_str(loader *L, const yamltree_node *n, char **out)
{
    const char *s;
    if (yamltree_str(&L->doc, n, &s, &L->err) < 0)
        return -1;
    if (!(*out = plan_dupn(s, n->len)))
        return oom(L);
    return 0;
}

static int get_name(loader *L, const yamltree_node *n, const char *what, char **out)
{
    char q[PLAN_QCAP];
    const char *s, *why;
    if (yamltree_str(&L->doc, n, &s, &L->err) < 0)
        return -1;
    if ((why = plan_name_problem(s, n->len)))
        return FAIL(L, n, "%s %s %s", what, plan_qs(q, s, n->len), why);
    if (!(*out = plan_dupn(s, n->len)))
        return oom(L);
    return 0;
}

static int get_duration(loader *L, const yamltree_node *map, const char *key, uint64_t max, uint64_t *out)
{
    const yamltree_node *v = yamltree_get(map, key);
    if (!v)
        return 0;
    if (yamltree_duration(&L->doc, v, out, &L->err) < 0)
        return -1;
    if (*out > max) {
        char b[32];
        snprintf(b, sizeof b, "%" PRIu64 "h", max / NS_PER_HOUR);
        return FAIL(L, v, "%s is longer than %s", key, b);
    }
    return 0;
}

static int parse_headers(loader *L, const yamltree_node *map, plan_header **out, size_t *n_out)
{
    char q[PLAN_QCAP], q2[PLAN_QCAP];

    if (yamltree_expect(&L->doc, map, YAMLTREE_MAP, &L->err) < 0)
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
        const yamltree_node *k = map->keys[i], *v = map->vals[i];
        const char *val;
        if (k->len > MAX_HEADER_NAME || !is_token(k->str, k->len))
            return FAIL(L, k, "invalid header name %s (a token: letters, digits and !#$%%&'*+-.^_`|~)",
                        plan_qs(q, k->str, k->len));
        if (plan_caseeq(k->str, "content-length") || plan_caseeq(k->str, "transfer-encoding"))
            return FAIL(L, k, "header %s is set by ptest from the body; remove it", plan_qs(q, k->str, k->len));
        for (size_t j = 0; j < i; j++)
            if (plan_caseeq(map->keys[j]->str, k->str))
                return FAIL(L, k, "header %s repeats %s (header names are case-insensitive)",
                            plan_qs(q, k->str, k->len), plan_qs(q2, map->keys[j]->str, map->keys[j]->len));
        if (yamltree_str(&L->doc, v, &val, &L->err) < 0)
            return -1;
        if (v->len > MAX_HEADER_VALUE)
            return FAIL(L, v, "value of header %s is longer than %d bytes", plan_qs(q, k->str, k->len),
                        MAX_HEADER_VALUE);
        for (size_t j = 0; j < v->len; j++) {
            unsigned char c = (unsigned char)val[j];
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return FAIL(L, v, "value of header %s contains CR, LF or another control byte",
                            plan_qs(q, k->str, k->len));
        }
        if (!(hs[i].name = plan_dupn(k->str, k->len)) || !(hs[i].value = plan_dupn(val, v->len)))
            return oom(L);
    }
    return 0;
}

static int parse_think(loader *L, const yamltree_node *n, plan_think *t)
{
    static const char *const keys[] = {"dist", "mean", "stddev", NULL};
    char q[PLAN_QCAP];
    const yamltree_node *v;

    t->dist = RNG_CONSTANT;
    if (n->kind != YAMLTREE_MAP) {
        if (yamltree_duration(&L->doc, n, &t->mean_ns, &L->err) < 0)
            return -1;
        if (t->mean_ns > NS_PER_HOUR)
            return FAIL(L, n, "think_time is longer than 1h");
        return 0;
    }
    if (yamltree_check_keys(&L->doc, n, keys, &L->err) < 0)
        return -1;
    if (!yamltree_get(n, "mean"))
        return FAIL(L, n, "think_time needs \"mean\"");
    if ((v = yamltree_get(n, "dist"))) {
        const char *s;
        if (yamltree_str(&L->doc, v, &s, &L->err) < 0)
            return -1;
        if (rng_dist_parse(s, &t->dist) < 0)
            return FAIL(L, v, "unknown dist %s (expected constant, uniform, normal, lognormal or exponential)",
                        plan_qs(q, s, v->len));
    }
    if (get_duration(L, n, "mean", NS_PER_HOUR, &t->mean_ns) < 0 ||
        get_duration(L, n, "stddev", NS_PER_HOUR, &t->stddev_ns) < 0)
        return -1;
    if ((v = yamltree_get(n, "stddev")) && (t->dist == RNG_CONSTANT || t->dist == RNG_EXPONENTIAL))
        return FAIL(L, v, "stddev has no effect with dist: %s%s", rng_dist_name(t->dist),
                    t->dist == RNG_CONSTANT ? " (choose normal, lognormal or uniform)"
                                            : " (its stddev equals its mean)");
    return 0;
}

static int parse_path(loader *L, const yamltree_node *n, char **out)
{
    char q[PLAN_QCAP];
    const char *s;
    if (yamltree_str(&L->doc, n, &s, &L->err) < 0)
        return -1;
    if (n->len == 0 || (s[0] != '/' && !(n->len > 2 && s[0] == '$' && s[1] == '{')))
        return FAIL(L, n, "path %s must start with '/' (the host comes from target) or a variable that gives it",
                    plan_qs(q, s, n->len));
    if (n->len > PLAN_MAX_PATH)
        return FAIL(L, n, "path is longer than %d bytes", PLAN_MAX_PATH);
    if (!plan_all_vchar(s, n->len))
        return FAIL(L, n, "path %s contains a space, control or non-ASCII byte (percent-encode it)",
                    plan_qs(q, s, n->len));
    if (!(*out = plan_dupn(s, n->len)))
        return oom(L);
    return 0;
}

/* Canonical spelling of the well-known methods, so "get" sends "GET"; other tokens are
 * sent as written (methods are case-sensitive on the wire). */
static char *method_dup(const char *s, size_t n)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i]) == n && plan_caseeq_n(s, known[i], n))
            return plan_dup(known[i]);
    return plan_dupn(s, n);
}

/* A label stands for one (method, path) across the plan: the same label in two scenarios
 * is one line in the results, so it must measure the same thing; within one scenario a
 * repeated label would silently merge two weights. */
static int register_label(loader *L, size_t si, size_t ri, const yamltree_node *at)
{
    char q[PLAN_QCAP], q2[PLAN_QCAP];
    plan *p = L->p;
    plan_request *r = &p->scenarios[si].requests[ri];

    for (size_t j = 0; j < ri; j++) {
        const plan_request *o = &p->scenarios[si].requests[j];
        if (strcmp(o->label, r->label) != 0)
            continue;
        /* In a sequence nothing is merged: a repeated request is just visited twice. */
        if (p->scenarios[si].order == PLAN_ORDER_SEQUENCE && strcmp(o->method, r->method) == 0 &&
            strcmp(o->path, r->path) == 0 && o->target == r->target) {
            r->label_id = o->label_id;
            return 0;
        }
        return FAIL(L, at,
                    "duplicate label %s in scenario %s (first at line %u, column %u); "
                    "give each request its own \"label\"",
                    plan_qs(q, r->label, strlen(r->label)),
                    plan_qs(q2, p->scenarios[si].name, strlen(p->scenarios[si].name)), o->line, o->col);
    }
    for (size_t i = 0; i < si; i++) {
        const plan_scenario *s = &p->scenarios[i];
        for (size_t j = 0; j < s->n_requests; j++) {
            const plan_request *o = &s->requests[j];
            if (strcmp(o->label, r->label) != 0)
                continue;
            if (strcmp(o->method, r->method) != 0 || strcmp(o->path, r->path) != 0 || o->target != r->target)
                return FAIL(L, at,
                            "label %s names %s %s%s here but %s %s at line %u, column %u; "
                            "a label must always name the same method and path%s",
                            plan_qs(q, r->label, strlen(r->label)), r->method, r->path,
                            o->target != r->target ? " (another target)" : "", o->method, o->path, o->line, o->col,
                            o->target != r->target ? " on the same target" : "");
            r->label_id = o->label_id;
            return 0;
        }
    }
    r->label_id = L->n_labels++;
    return 0;
}

/* A scenario's or request's `target: URL`: its number in p->targets. */
static int get_target(loader *L, const yamltree_node *v, uint32_t *out)
{
    const char *s;
    char msg[sizeof L->err.msg];
    if (yamltree_str(&L->doc, v, &s, &L->err) < 0)
        return -1;
    if (strlen(s) != v->len)
        return FAIL(L, v, "target contains a NUL byte");
    if (!(*out = plan_add_target(L->p, s, msg, sizeof msg)))
        return FAIL(L, v, "%s", msg);
    return 0;
}

static int parse_extract(loader *L, plan_request *r, const yamltree_node *list);

static int parse_request(loader *L, size_t si, size_t ri, const yamltree_node *n)
{
    static const char *const keys[] = {"label",  "method", "path",   "headers", "body",
                                       "weight", "expect", "target", "extract", NULL};
    static const char *const expect_keys[] = {"status", "body_contains", NULL};
    plan_request *r = &L->p->scenarios[si].requests[ri];
    const yamltree_node *v, *label_at;
    char q[PLAN_QCAP];
    uint64_t u;

    if (yamltree_check_keys(&L->doc, n, keys, &L->err) < 0)
        return -1;
    r->line = n->line;
    r->col = n->col;
    r->target = L->p->scenarios[si].target;
    if ((v = yamltree_get(n, "target")) && get_target(L, v, &r->target) < 0)
        return -1;
    if (!(v = yamltree_get(n, "path")))
        return FAIL(L, n, "request needs \"path\"");
    if (parse_path(L, v, &r->path) < 0)
        return -1;
    label_at = v;
    if ((v = yamltree_get(n, "method"))) {
        const char *s;
        if (yamltree_str(&L->doc, v, &s, &L->err) < 0)
            return -1;
        if (v->len > MAX_METHOD || !is_token(s, v->len))
            return FAIL(L, v, "invalid method %s", plan_qs(q, s, v->len));
        r->method = method_dup(s, v->len);
    } else {
        r->method = plan_dup("GET");
    }
    if (!r->method)
        return oom(L);
    if ((v = yamltree_get(n, "label"))) {
        if (get_name(L, v, "label", &r->label) < 0)
            return -1;
        label_at = v;
    } else {
        const char *why = plan_name_problem(r->path, strlen(r->path));
        if (why)
            return FAIL(L, label_at, "the path as default label %s; set a \"label\"", why);
        if (!(r->label = plan_dup(r->path)))
            return oom(L);
    }
    if (strcmp(r->label, "*") == 0)
        return FAIL(L, label_at, "label \"*\" is reserved (in thresholds it means every label)");
    r->weight = 1;
    if ((v = yamltree_get(n, "weight"))) {
        if (yamltree_u64(&L->doc, v, 1, MAX_WEIGHT, &u, &L->err) < 0)
            return -1;
        r->weight = (uint32_t)u;
    }
    if ((v = opt_map(n, "headers")) && parse_headers(L, v, &r->headers, &r->n_headers) < 0)
        return -1;
    if ((v = yamltree_get(n, "body"))) {
        if (get_str(L, v, &r->body) < 0)
            return -1;
        r->body_len = v->len;
    }
    if ((v = opt_map(n, "expect"))) {
        const yamltree_node *e;
        if (yamltree_check_keys(&L->doc, v, expect_keys, &L->err) < 0)
            return -1;
        if ((e = yamltree_get(v, "status"))) {
            if (yamltree_u64(&L->doc, e, 100, 599, &u, &L->err) < 0)
                return -1;
            r->expect_status = (int)u;
        }
        if ((e = yamltree_get(v, "body_contains"))) {
            if (get_str(L, e, &r->expect_body) < 0)
                return -1;
            if (e->len == 0)
                return FAIL(L, e, "body_contains must not be empty");
        }
    }
    if ((v = yamltree_get(n, "extract")) && v->kind != YAMLTREE_NULL && parse_extract(L, r, v) < 0)
        return -1;
    return register_label(L, si, ri, label_at);
}

/* A name a scenario may use: a built-in, a constant, or one the scenario defines (its data
 * columns, its extractions). */
static bool var_defined(loader *L, size_t si, const char *name, size_t len)
{
    const plan *p = L->p;
    const plan_scenario *s = &p->scenarios[si];
    if (vars_builtin(name, len) >= 0)
        return true;
    int i = plan_var_find(p, name, len);
    if (i < 0)
        return false;
    if (p->vars[i].value)
        return true;
    if (s->data) {
        const plan_data *d = &p->data[s->data - 1];
        for (size_t c = 0; c < d->rows.n_cols; c++)
            if (d->col_var[c] == (uint32_t)i)
                return true;
    }
    for (size_t r = 0; r < s->n_requests; r++)
        for (size_t k = 0; k < s->requests[r].n_extract; k++)
            if (s->requests[r].extract[k].var == (uint32_t)i)
                return true;
    return false;
}

typedef struct ref_ctx {
    loader *L;
    size_t si;
    const char *bad; /* the first unknown name */
    size_t bad_len;
} ref_ctx;

static int ref_check(const char *name, size_t len, size_t off, void *arg)
{
    ref_ctx *rc = arg;
    (void)off;
    if (var_defined(rc->L, rc->si, name, len))
        return 0;
    rc->bad = name;
    rc->bad_len = len;
    return 1;
}

/* Checks the references of string node n (path, header value, body) for scenario si;
 * *templated is set when it has any. */
static int check_node_refs(loader *L, size_t si, const yamltree_node *n, bool *templated)
{
    const char *s;
    size_t bad_off;
    ref_ctx rc = {L, si, NULL, 0};
    if (!n || n->kind == YAMLTREE_NULL || yamltree_str(&L->doc, n, &s, &L->err) < 0 || !vars_has_ref(s, n->len))
        return 0;
    *templated = true;
    int r = vars_scan(s, n->len, ref_check, &rc, &bad_off);
    if (r < 0) {
        char q[PLAN_QCAP];
        size_t m = n->len - bad_off < 24 ? n->len - bad_off : 24;
        return FAIL(L, n, "malformed variable reference %s (expected ${name}; $${ is a literal ${)",
                    plan_qs(q, s + bad_off, m));
    }
    if (r > 0)
        return FAIL(L, n,
                    "unknown variable \"%.*s\" in scenario \"%s\" (not a built-in, a constant of "
                    "\"variables:\", a column of the scenario's data or an extraction's \"as\")",
                    (int)rc.bad_len, rc.bad, L->p->scenarios[si].name);
    return 0;
}

static int check_headers_refs(loader *L, size_t si, const yamltree_node *h, bool *templated)
{
    if (!h || h->kind != YAMLTREE_MAP)
        return 0;
    for (size_t i = 0; i < h->n; i++)
        if (check_node_refs(L, si, h->vals[i], templated) < 0)
            return -1;
    return 0;
}

/* After every request of scenario si is parsed (an extraction of a later request defines
 * a name for the whole scenario): its references, and the plan headers' for it. */
static int check_scenario_refs(loader *L, size_t si, const yamltree_node *reqs)
{
    plan_scenario *s = &L->p->scenarios[si];
    bool plan_tpl = false;
    if (check_headers_refs(L, si, opt_map(L->doc.root, "headers"), &plan_tpl) < 0)
        return -1;
    for (size_t i = 0; i < s->n_requests; i++) {
        const yamltree_node *n = reqs->items[i];
        bool t = plan_tpl;
        if (check_node_refs(L, si, yamltree_get(n, "path"), &t) < 0 ||
            check_headers_refs(L, si, opt_map(n, "headers"), &t) < 0 ||
            check_node_refs(L, si, yamltree_get(n, "body"), &t) < 0)
            return -1;
        s->requests[i].templated = t;
    }
    return 0;
}

/* Adds variable name (node at: where, for messages) to the plan; value NULL: set per
 * user. Returns its index, or -1 (reported). A name defined twice is an error for a
 * constant; a per-user name may be defined by several scenarios or extractions. */
static int add_var(loader *L, const yamltree_node *at, const char *name, size_t len, const char *value, size_t vlen)
{
    char q[PLAN_QCAP];
    plan *p = L->p;
    if (!vars_name_ok(name, len) || vars_builtin(name, len) >= 0 || (len >= 2 && name[0] == '_' && name[1] == '_'))
        return FAIL(L, at,
                    "invalid variable name %s (letters, digits, _ . -, starting with a letter or _, at most "
                    "%d bytes; names starting with __ are the built-ins')",
                    plan_qs(q, name, len), VARS_MAX_NAME);
    int i = plan_var_find(p, name, len);
    if (i >= 0) {
        if (value || p->vars[i].value)
            return FAIL(L, at, "variable %s is already defined at line %u, column %u", plan_qs(q, name, len),
                        p->vars[i].line, p->vars[i].col);
        return i;
    }
    if (p->n_vars >= PLAN_MAX_VARS)
        return FAIL(L, at, "too many variables (at most %d in a plan)", PLAN_MAX_VARS);
    plan_var *v = realloc(p->vars, (p->n_vars + 1) * sizeof *v);
    if (!v)
        return oom(L);
    p->vars = v;
    v = &p->vars[p->n_vars];
    memset(v, 0, sizeof *v);
    v->line = at->line;
    v->col = at->col;
    if (!(v->name = plan_dupn(name, len)) || (value && !(v->value = plan_dupn(value, vlen)))) {
        free(v->name);
        return oom(L);
    }
    v->value_len = vlen;
    return (int)p->n_vars++;
}

#define MAX_EXTRACT 32 /* per request */

/* extract: [{json: POINTER | regex: ERE | header: NAME, as: VAR}, ...] */
static int parse_extract(loader *L, plan_request *r, const yamltree_node *list)
{
    static const char *const keys[] = {"json", "regex", "header", "as", NULL};
    static const char *const kinds[] = {"json", "regex", "header"};
    char msg[sizeof L->err.msg], q[PLAN_QCAP];
    if (yamltree_expect(&L->doc, list, YAMLTREE_SEQ, &L->err) < 0)
        return -1;
    if (list->n > MAX_EXTRACT)
        return FAIL(L, list, "too many extractions (%zu, at most %d per request)", list->n, MAX_EXTRACT);
    if (list->n == 0)
        return 0;
    if (!(r->extract = calloc(list->n, sizeof *r->extract)))
        return oom(L);
    for (size_t i = 0; i < list->n; i++) {
        const yamltree_node *e = list->items[i], *v = NULL, *as;
        plan_extract *x = &r->extract[i];
        if (yamltree_expect(&L->doc, e, YAMLTREE_MAP, &L->err) < 0 ||
            yamltree_check_keys(&L->doc, e, keys, &L->err) < 0)
            return -1;
        int kind = -1;
        for (int k = 0; k < 3; k++) {
            const yamltree_node *kv = yamltree_get(e, kinds[k]);
            if (!kv)
                continue;
            if (v)
                return FAIL(L, e, "an extraction takes one of json, regex or header");
            v = kv;
            kind = k;
        }
        if (!v)
            return FAIL(L, e, "an extraction needs json: POINTER, regex: EXPRESSION or header: NAME");
        if (!(as = yamltree_get(e, "as")))
            return FAIL(L, e, "an extraction needs \"as\": the variable it sets");
        x->kind = kind;
        x->line = v->line;
        x->col = v->col;
        r->n_extract = i + 1;
        if (get_str(L, v, &x->expr) < 0)
            return -1;
        if (strlen(x->expr) != v->len)
            return FAIL(L, v, "extraction contains a NUL byte");
        if (kind == PLAN_EXTRACT_JSON && extract_pointer_check(x->expr, msg, sizeof msg) < 0)
            return FAIL(L, v, "json %s: %s", plan_qs(q, x->expr, v->len), msg);
        if (kind == PLAN_EXTRACT_REGEX) {
            regex_t re;
            if (extract_regex_compile(&re, x->expr, msg, sizeof msg) < 0)
                return FAIL(L, v, "regex %s: %s", plan_qs(q, x->expr, v->len), msg);
            regfree(&re);
        }
        if (kind == PLAN_EXTRACT_HEADER && (v->len > MAX_HEADER_NAME || !is_token(x->expr, v->len)))
            return FAIL(L, v, "header %s is not a header name", plan_qs(q, x->expr, v->len));
        const char *name;
        if (yamltree_str(&L->doc, as, &name, &L->err) < 0)
            return -1;
        int vi = plan_var_find(L->p, name, as->len);
        if (vi >= 0 && L->p->vars[vi].value)
            return FAIL(L, as, "%s is a constant of \"variables:\" (line %u); extract into another name",
                        plan_qs(q, name, as->len), L->p->vars[vi].line);
        if ((vi = add_var(L, as, name, as->len, NULL, 0)) < 0)
            return -1;
        x->var = (uint32_t)vi;
    }
    return 0;
}

/* variables: {name: value, ...}: the plan's constants. */
static int parse_variables(loader *L, const yamltree_node *map)
{
    if (yamltree_expect(&L->doc, map, YAMLTREE_MAP, &L->err) < 0)
        return -1;
    for (size_t i = 0; i < map->n; i++) {
        const yamltree_node *k = map->keys[i], *v = map->vals[i];
        const char *val = "";
        size_t vlen = 0;
        if (v->kind != YAMLTREE_NULL) {
            if (yamltree_str(&L->doc, v, &val, &L->err) < 0)
                return -1;
            vlen = v->len;
        }
        if (vlen > PLAN_MAX_VAR_VALUE || strlen(val) != vlen)
            return FAIL(L, v, "value of variable %.*s is longer than %d bytes or contains a NUL byte", (int)k->len,
                        k->str, PLAN_MAX_VAR_VALUE);
        if (vars_has_ref(val, vlen))
            return FAIL(L, v, "a constant cannot refer to variables");
        if (add_var(L, k, k->str, k->len, val, vlen) < 0)
            return -1;
    }
    return 0;
}

/* A path of the plan relative to the plan file's directory ("certs/ca.pem" in
 * "deploy/plan.yaml" is "deploy/certs/ca.pem"); absolute paths and plans without a file
 * keep it as written. */
static char *plan_relative(const char *file, const char *s, size_t n)
{
    const char *slash = file ? strrchr(file, '/') : NULL;
    if (n == 0 || s[0] == '/' || !slash || (file[0] == '<'))
        return plan_dupn(s, n);
    size_t dl = (size_t)(slash - file) + 1;
    char *out = malloc(dl + n + 1);
    if (out) {
        memcpy(out, file, dl);
        memcpy(out + dl, s, n);
        out[dl + n] = '\0';
    }
    return out;
}

/* data: FILE, or {file: FILE, format: csv | jsonl, mode: sequential | random | unique}:
 * loads the file (relative to the plan's directory) and defines its columns as variables.
 * Returns the data's number (p->data[i - 1]) or 0 (reported). */
static uint32_t parse_data(loader *L, const yamltree_node *n)
{
    static const char *const keys[] = {"file", "format", "mode", "columns", "header", NULL};
    plan *p = L->p;
    const yamltree_node *fn = n, *v;
    const char *s;
    char q[PLAN_QCAP];
    enum plan_data_mode mode = PLAN_DATA_SEQUENTIAL;
    int format = -1;
    char names[FEEDER_MAX_COLS * (VARS_MAX_NAME + 1) + 1];
    feeder_cols cols = {names, false};
    bool named = false;

    if (n->kind == YAMLTREE_MAP) {
        if (yamltree_check_keys(&L->doc, n, keys, &L->err) < 0)
            return 0;
        if (!(fn = yamltree_get(n, "file")))
            return ((void)FAIL(L, n, "data needs \"file\""), 0u);
        if ((v = yamltree_get(n, "mode"))) {
            if (yamltree_str(&L->doc, v, &s, &L->err) < 0)
                return 0;
            if (strcmp(s, "sequential") == 0)
                mode = PLAN_DATA_SEQUENTIAL;
            else if (strcmp(s, "random") == 0)
                mode = PLAN_DATA_RANDOM;
            else if (strcmp(s, "unique") == 0)
                mode = PLAN_DATA_UNIQUE;
            else
                return (
                    (void)FAIL(L, v, "data mode must be sequential, random or unique, found %s", plan_qs(q, s, v->len)),
                    0u);
        }
        if ((v = yamltree_get(n, "format"))) {
            if (yamltree_str(&L->doc, v, &s, &L->err) < 0)
                return 0;
            if (strcmp(s, "csv") == 0)
                format = FEEDER_CSV;
            else if (strcmp(s, "jsonl") == 0)
                format = FEEDER_JSONL;
            else
                return ((void)FAIL(L, v, "data format must be csv or jsonl, found %s", plan_qs(q, s, v->len)), 0u);
        }
        /* columns: [a, b] names a CSV file's columns: its rows are all data, unless header:
         * true (then its first row is skipped). */
        if ((v = yamltree_get(n, "columns"))) {
            if (yamltree_expect(&L->doc, v, YAMLTREE_SEQ, &L->err) < 0)
                return 0;
            if (v->n == 0 || v->n > FEEDER_MAX_COLS)
                return ((void)FAIL(L, v, "data columns: 1 to %d names", FEEDER_MAX_COLS), 0u);
            size_t len = 0;
            for (size_t i = 0; i < v->n; i++) {
                const yamltree_node *c = v->items[i];
                if (yamltree_str(&L->doc, c, &s, &L->err) < 0)
                    return 0;
                if (!vars_name_ok(s, c->len) || strchr(s, ','))
                    return ((void)FAIL(L, c, "data column %s is not a variable name", plan_qs(q, s, c->len)), 0u);
                len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? "," : "", s);
            }
            named = true;
        }
        if ((v = yamltree_get(n, "header"))) {
            if (yamltree_bool(&L->doc, v, &cols.skip_first, &L->err) < 0)
                return 0;
            if (!named)
                return ((void)FAIL(L, v,
                                   "data header: goes with columns: (without them the first row names the "
                                   "columns)"),
                        0u);
        }
    }
    if (yamltree_str(&L->doc, fn, &s, &L->err) < 0)
        return 0;
    if (fn->len == 0 || strlen(s) != fn->len)
        return ((void)FAIL(L, fn, "data: expected a file name"), 0u);
    plan_data *d = realloc(p->data, (p->n_data + 1) * sizeof *d);
    if (!d)
        return ((void)oom(L), 0u);
    p->data = d;
    d = &p->data[p->n_data++];
    memset(d, 0, sizeof *d);
    d->mode = mode;
    d->line = fn->line;
    d->col = fn->col;
    if (!(d->file = plan_relative(L->doc.file, s, fn->len)))
        return ((void)oom(L), 0u);
    d->format = format >= 0 ? format : feeder_format_of(d->file);
    char msg[sizeof L->err.msg];
    if (named && d->format != FEEDER_CSV)
        return ((void)FAIL(L, yamltree_get(n, "columns"),
                           "data columns: are for CSV files (JSON lines name them by "
                           "their keys)"),
                0u);
    if (feeder_load_file_cols(&d->rows, d->file, d->format, named ? &cols : NULL, msg, sizeof msg) < 0)
        return ((void)FAIL(L, fn, "data: %s", msg), 0u);
    if (!(d->col_var = calloc(d->rows.n_cols, sizeof *d->col_var)))
        return ((void)oom(L), 0u);
    for (size_t c = 0; c < d->rows.n_cols; c++) {
        const char *col = d->rows.cols[c];
        int i = plan_var_find(p, col, strlen(col));
        if (i >= 0 && p->vars[i].value)
            return ((void)FAIL(L, fn, "data column \"%s\" is also a constant of \"variables:\" (line %u)", col,
                               p->vars[i].line),
                    0u);
        if ((i = add_var(L, fn, col, strlen(col), NULL, 0)) < 0)
            return 0;
        d->col_var[c] = (uint32_t)i;
    }
    return (uint32_t)p->n_data;
}

/* A rate that may be 0 ("0", "0/s", "0.0/m": yamltree_rate takes only positive ones). */
static int get_rate0(loader *L, const yamltree_node *n, double *rate)
{
    if (n->kind == YAMLTREE_SCALAR && n->str) {
        size_t i = 0;
        while (n->str[i] == '0' || n->str[i] == '.')
            i++;
        if (i > 0 && (n->str[i] == '\0' || n->str[i] == '/')) {
            *rate = 0;
            return 0;
        }
    }
    return yamltree_rate(&L->doc, n, rate, &L->err);
}

static int parse_stage(loader *L, const yamltree_node *n, const char *what, bool zero_ok, double *rate, uint64_t *dur)
{
    const yamltree_node *rn = yamltree_get(n, "rate"), *dn = yamltree_get(n, "duration");
    char q[PLAN_QCAP];

    if (!rn && !dn)
        return FAIL(L, n, "%s needs \"rate\" and \"duration\"", what);
    if (!rn)
        return FAIL(L, n, "%s needs \"rate\" (with \"duration\")", what);
    if (!dn)
        return FAIL(L, n, "%s needs \"duration\" (with \"rate\")", what);
    if ((zero_ok ? get_rate0(L, rn, rate) : yamltree_rate(&L->doc, rn, rate, &L->err)) < 0)
        return -1;
    /* A linear ramp may go down to 0 (and a stage of 0 after it is a pause). */
    if (!(*rate > 0 || (zero_ok && *rate == 0)) || *rate > PLAN_MAX_RATE)
        return FAIL(L, rn, "rate %s is out of range (above 0, at most 10000000/s)", plan_qs(q, rn->str, rn->len));
    if (yamltree_duration(&L->doc, dn, dur, &L->err) < 0)
        return -1;
    if (*dur == 0)
        return FAIL(L, dn, "duration must be greater than 0");
    return 0;
}

static int parse_open(loader *L, plan_scenario *s, const yamltree_node *n)
{
    static const char *const stage_keys[] = {"rate", "duration", NULL};
    const yamltree_node *st = yamltree_get(n, "stages"), *rate = yamltree_get(n, "rate"),
                        *dur = yamltree_get(n, "duration");
    const yamltree_node *v;
    uint64_t u;

    if ((v = yamltree_get(n, "arrivals"))) {
        const char *a;
        char q[PLAN_QCAP];
        if (yamltree_str(&L->doc, v, &a, &L->err) < 0)
            return -1;
        if (strcmp(a, "poisson") == 0)
            s->arrivals = PLAN_ARRIVALS_POISSON;
        else if (strcmp(a, "constant") != 0)
            return FAIL(L, v, "arrivals must be \"constant\" or \"poisson\", found %s", plan_qs(q, a, v->len));
    }
    if ((v = yamltree_get(n, "ramp"))) {
        const char *a;
        char q[PLAN_QCAP];
        if (yamltree_str(&L->doc, v, &a, &L->err) < 0)
            return -1;
        if (strcmp(a, "linear") == 0)
            s->ramp = PLAN_RAMP_LINEAR;
        else if (strcmp(a, "step") != 0)
            return FAIL(L, v, "ramp must be \"step\" or \"linear\", found %s", plan_qs(q, a, v->len));
    }
    if ((v = yamltree_get(n, "start_rate"))) {
        char q[PLAN_QCAP];
        if (s->ramp != PLAN_RAMP_LINEAR)
            return FAIL(L, yamltree_get_key(n, "start_rate"), "start_rate needs ramp: linear");
        if (get_rate0(L, v, &s->start_rate) < 0)
            return -1;
        if (!(s->start_rate >= 0) || s->start_rate > PLAN_MAX_RATE)
            return FAIL(L, v, "start_rate %s is out of range (0 to 10000000/s)", plan_qs(q, v->str, v->len));
    }
    if (st && (rate || dur))
        return FAIL(L, yamltree_get_key(n, "stages"), "use either \"rate\" with \"duration\" or \"stages\", not both");
    if (st) {
        if (yamltree_expect(&L->doc, st, YAMLTREE_SEQ, &L->err) < 0)
            return -1;
        if (st->n == 0)
            return FAIL(L, st, "stages must not be empty");
        if (st->n > PLAN_MAX_STAGES)
            return FAIL(L, st, "too many stages (%zu, at most %d)", st->n, PLAN_MAX_STAGES);
        if (!(s->stages = calloc(st->n, sizeof *s->stages)))
            return oom(L);
        s->n_stages = st->n;
        for (size_t i = 0; i < st->n; i++) {
            if (yamltree_check_keys(&L->doc, st->items[i], stage_keys, &L->err) < 0 ||
                parse_stage(L, st->items[i], "stage", s->ramp == PLAN_RAMP_LINEAR, &s->stages[i].rate,
                            &s->stages[i].duration_ns) < 0)
                return -1;
        }
    } else if (rate || dur) {
        if (!(s->stages = calloc(1, sizeof *s->stages)))
            return oom(L);
        s->n_stages = 1;
        if (parse_stage(L, n, "open scenario", false, &s->stages[0].rate, &s->stages[0].duration_ns) < 0)
            return -1;
    } else {
        return FAIL(L, n, "open scenario needs \"rate\" with \"duration\", or \"stages\"");
    }
    s->max_connections = PLAN_DEFAULT_MAX_CONNECTIONS;
    if ((v = yamltree_get(n, "max_connections"))) {
        if (yamltree_u64(&L->doc, v, 1, MAX_CONNECTIONS, &u, &L->err) < 0)
            return -1;
        s->max_connections = (uint32_t)u;
    }
    return 0;
}

static int parse_closed(loader *L, plan_scenario *s, const yamltree_node *n)
{
    const yamltree_node *v;
    uint64_t u;

    if (!(v = yamltree_get(n, "users")))
        return FAIL(L, n, "closed scenario needs \"users\"");
    if (yamltree_u64(&L->doc, v, 1, MAX_USERS, &u, &L->err) < 0)
        return -1;
    s->users = (uint32_t)u;
    if (get_duration(L, n, "ramp_up", PLAN_MAX_DURATION_NS, &s->ramp_up_ns) < 0 ||
        get_duration(L, n, "hold_for", PLAN_MAX_DURATION_NS, &s->hold_for_ns) < 0)
        return -1;
    if ((v = yamltree_get(n, "hold_for")) && s->hold_for_ns == 0)
        return FAIL(L, v, "hold_for must be greater than 0");
    if ((v = yamltree_get(n, "iterations")) && yamltree_u64(&L->doc, v, 1, MAX_ITERATIONS, &s->iterations, &L->err) < 0)
        return -1;
    if (!s->hold_for_ns && !s->iterations)
        return FAIL(L, n, "closed scenario needs \"hold_for\" or \"iterations\"");
    if ((v = yamltree_get(n, "think_time")) && parse_think(L, v, &s->think) < 0)
        return -1;
    if ((v = yamltree_get(n, "order"))) {
        const char *o;
        char q[PLAN_QCAP];
        if (yamltree_str(&L->doc, v, &o, &L->err) < 0)
            return -1;
        if (strcmp(o, "sequence") == 0)
            s->order = PLAN_ORDER_SEQUENCE;
        else if (strcmp(o, "mix") != 0)
            return FAIL(L, v, "order must be \"mix\" or \"sequence\", found %s", plan_qs(q, o, v->len));
    }
    return 0;
}

/* keep_alive, max_requests_per_connection, connection_lifetime (both models). */
static int parse_conn(loader *L, plan_scenario *s, const yamltree_node *n)
{
    const yamltree_node *v;
    bool keep = true;
    uint64_t u;

    if ((v = yamltree_get(n, "keep_alive")) && yamltree_bool(&L->doc, v, &keep, &L->err) < 0)
        return -1;
    s->conn.no_keep_alive = !keep;
    if ((v = yamltree_get(n, "max_requests_per_connection"))) {
        if (yamltree_u64(&L->doc, v, 1, PLAN_MAX_REQUESTS_PER_CONNECTION, &u, &L->err) < 0)
            return -1;
        s->conn.max_requests = (uint32_t)u;
    }
    if (get_duration(L, n, "connection_lifetime", PLAN_MAX_DURATION_NS, &s->conn.lifetime_ns) < 0)
        return -1;
    if ((v = yamltree_get(n, "connection_lifetime")) && s->conn.lifetime_ns == 0)
        return FAIL(L, v, "connection_lifetime must be greater than 0 (leave it out for no limit)");
    if (!keep) {
        static const char *const limits[] = {"max_requests_per_connection", "connection_lifetime"};
        for (size_t i = 0; i < 2; i++)
            if ((v = yamltree_get_key(n, limits[i])))
                return FAIL(L, v, "%s has no effect with keep_alive: false (every request has a connection of its own)",
                            limits[i]);
    }
    return 0;
}

static int parse_scenario(loader *L, size_t si, const yamltree_node *n)
{
    static const char *const keys[] = {"name",
                                       "model",
                                       "users",
                                       "ramp_up",
                                       "hold_for",
                                       "think_time",
                                       "iterations",
                                       "rate",
                                       "duration",
                                       "stages",
                                       "max_connections",
                                       "arrivals",
                                       "ramp",
                                       "start_rate",
                                       "start_delay",
                                       "requests",
                                       "order",
                                       "keep_alive",
                                       "max_requests_per_connection",
                                       "connection_lifetime",
                                       "target",
                                       "data",
                                       "cookies",
                                       NULL};
    static const char *const closed_only[] = {"users",      "ramp_up", "hold_for", "think_time",
                                              "iterations", "order",   NULL};
    static const char *const open_only[] = {"rate",     "duration", "stages",     "max_connections",
                                            "arrivals", "ramp",     "start_rate", NULL};
    plan *p = L->p;
    plan_scenario *s = &p->scenarios[si];
    const yamltree_node *v;
    char q[PLAN_QCAP];

    if (yamltree_check_keys(&L->doc, n, keys, &L->err) < 0)
        return -1;
    s->line = n->line;
    s->col = n->col;
    if ((v = yamltree_get(n, "target")) && get_target(L, v, &s->target) < 0)
        return -1;
    s->data = L->plan_data;
    if ((v = opt_map(n, "data")) && !(s->data = parse_data(L, v)))
        return -1;
    if ((v = yamltree_get(n, "name"))) {
        if (get_name(L, v, "scenario name", &s->name) < 0)
            return -1;
        for (size_t i = 0; i < si; i++)
            if (strcmp(p->scenarios[i].name, s->name) == 0)
                return FAIL(L, v, "duplicate scenario name %s (first at line %u, column %u)",
                            plan_qs(q, s->name, strlen(s->name)), p->scenarios[i].line, p->scenarios[i].col);
    } else {
        char b[32];
        snprintf(b, sizeof b, "scenario-%zu", si + 1);
        /* Names must be unique both ways: an earlier explicit "scenario-2" is caught here,
         * a later one by the duplicate check above. */
        if (!(s->name = plan_dup(b)))
            return oom(L);
        for (size_t i = 0; i < si; i++)
            if (strcmp(p->scenarios[i].name, s->name) == 0)
                return FAIL(L, n,
                            "this scenario's default name %s is taken by the scenario at line %u, "
                            "column %u; give it a \"name\"",
                            plan_qs(q, b, strlen(b)), p->scenarios[i].line, p->scenarios[i].col);
    }
    if ((v = yamltree_get(n, "model"))) {
        const char *m;
        if (yamltree_str(&L->doc, v, &m, &L->err) < 0)
            return -1;
        if (strcmp(m, "closed") == 0)
            s->model = PLAN_CLOSED;
        else if (strcmp(m, "open") == 0)
            s->model = PLAN_OPEN;
        else
            return FAIL(L, v, "model must be \"closed\" or \"open\", found %s", plan_qs(q, m, v->len));
    } else {
        s->model = yamltree_get(n, "rate") || yamltree_get(n, "stages") ? PLAN_OPEN : PLAN_CLOSED;
    }
    const char *const *wrong = s->model == PLAN_OPEN ? closed_only : open_only;
    for (; *wrong; wrong++)
        if ((v = yamltree_get_key(n, *wrong)))
            return FAIL(L, v, "\"%s\" is not used by %s scenario (it belongs to model: %s)", *wrong,
                        s->model == PLAN_OPEN ? "an open" : "a closed", s->model == PLAN_OPEN ? "closed" : "open");
    if ((s->model == PLAN_OPEN ? parse_open(L, s, n) : parse_closed(L, s, n)) < 0)
        return -1;
    s->cookies = s->model == PLAN_CLOSED && s->order == PLAN_ORDER_SEQUENCE;
    if ((v = yamltree_get(n, "cookies")) && yamltree_bool(&L->doc, v, &s->cookies, &L->err) < 0)
        return -1;
    if (s->model == PLAN_OPEN && s->data && p->data[s->data - 1].mode == PLAN_DATA_UNIQUE)
        return FAIL(L, yamltree_get(n, "data") ? yamltree_get(n, "data") : n,
                    "data mode unique needs a closed scenario (its users stop when the rows run out)");
    if (get_duration(L, n, "start_delay", PLAN_MAX_DURATION_NS, &s->start_delay_ns) < 0 || parse_conn(L, s, n) < 0)
        return -1;
    if (plan_scenario_duration(s) > PLAN_MAX_DURATION_NS)
        return FAIL(L, n, "scenario %s lasts longer than 365 days", plan_qs(q, s->name, strlen(s->name)));

    if (!(v = yamltree_get(n, "requests")))
        return FAIL(L, n, "scenario %s needs \"requests\"", plan_qs(q, s->name, strlen(s->name)));
    if (yamltree_expect(&L->doc, v, YAMLTREE_SEQ, &L->err) < 0)
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
    return check_scenario_refs(L, si, v);
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
            if (ll == kl && plan_caseeq_n(l, k, kl))
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

static int unknown_label(loader *L, const yamltree_node *k)
{
    char q[PLAN_QCAP], list[200];
    const char *best = closest_label(L->p, k->str, k->len);
    const char *labels[16];
    size_t n = plan_labels(L->p, labels, 16), o = 0;

    plan_qs(q, k->str, k->len);
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

/* {threshold: EXPR, abort_on_fail: BOOL, delay_abort_eval: D}: the options into th, the
 * expression's node into *expr. */
static int threshold_options(loader *L, const yamltree_node *map, plan_threshold *th, const yamltree_node **expr)
{
    static const char *const keys[] = {"threshold", "abort_on_fail", "delay_abort_eval", NULL};
    const yamltree_node *v;
    if (yamltree_check_keys(&L->doc, map, keys, &L->err) < 0)
        return -1;
    if (!(*expr = yamltree_get(map, "threshold")))
        return FAIL(L, map, "threshold: missing (the expression, e.g. threshold: \"p95 < 250ms\")");
    if ((v = yamltree_get(map, "abort_on_fail")) && yamltree_bool(&L->doc, v, &th->abort_on_fail, &L->err) < 0)
        return -1;
    if (get_duration(L, map, "delay_abort_eval", PLAN_MAX_DURATION_NS, &th->delay_abort_eval_ns) < 0)
        return -1;
    if ((v = yamltree_get(map, "delay_abort_eval")) && !th->abort_on_fail)
        return FAIL(L, v, "delay_abort_eval has no effect without abort_on_fail: true");
    return 0;
}

static int parse_thresholds(loader *L, const yamltree_node *map)
{
    char q[PLAN_QCAP];
    size_t total = 0;
    plan *p = L->p;

    if (yamltree_expect(&L->doc, map, YAMLTREE_MAP, &L->err) < 0)
        return -1;
    for (size_t i = 0; i < map->n; i++) {
        const yamltree_node *k = map->keys[i], *v = map->vals[i];
        if (!(k->len == 1 && k->str[0] == '*') && !has_label(p, k->str, k->len))
            return unknown_label(L, k);
        if (v->kind != YAMLTREE_SEQ)
            return FAIL(L, v,
                        "thresholds of %s: expected a list of expressions, e.g. [\"p95 < 250ms\"] (an item may be "
                        "{threshold: EXPR, abort_on_fail: true, delay_abort_eval: 10s})",
                        plan_qs(q, k->str, k->len));
        total += v->n;
    }
    if (total == 0)
        return 0;
    if (!(p->thresholds = calloc(total, sizeof *p->thresholds)))
        return oom(L);
    p->n_thresholds = total;
    size_t t = 0;
    for (size_t i = 0; i < map->n; i++) {
        const yamltree_node *k = map->keys[i], *v = map->vals[i];
        for (size_t j = 0; j < v->n; j++, t++) {
            const yamltree_node *e = v->items[j];
            plan_threshold *th = &p->thresholds[t];
            if (e->kind == YAMLTREE_MAP && threshold_options(L, e, th, &e) < 0)
                return -1;
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
                    return FAIL(L, e, "threshold expression %s contains a control byte", plan_qs(q, th->expr, e->len));
            if (!(th->label = plan_dupn(k->str, k->len)))
                return oom(L);
        }
    }
    return 0;
}

/* server: {metrics: PATH-or-URL, config: PATH-or-URL}: what ptest reads of the target's own
 * figures; nothing unless asked. */
static int parse_server(loader *L, const yamltree_node *map)
{
    static const char *const keys[] = {"metrics", "config", NULL};
    char msg[sizeof L->err.msg];
    if (yamltree_expect(&L->doc, map, YAMLTREE_MAP, &L->err) < 0 ||
        yamltree_check_keys(&L->doc, map, keys, &L->err) < 0)
        return -1;
    for (size_t i = 0; i < 2; i++) {
        const yamltree_node *v = opt_map(map, keys[i]);
        char *s = NULL;
        if (!v)
            continue;
        if (get_str(L, v, &s) < 0)
            return -1;
        bool nul = strlen(s) != v->len;
        if (nul || plan_server_check(s, msg, sizeof msg) < 0) {
            free(s);
            return FAIL(L, v, "server.%s: %s", keys[i], nul ? "contains a NUL byte" : msg);
        }
        *(i ? &L->p->server.config : &L->p->server.metrics) = s;
    }
    return 0;
}

/* tls: {cacert: FILE, insecure: BOOL, cert: FILE, key: FILE, server_name: NAME} */
static int parse_tls(loader *L, const yamltree_node *map)
{
    static const char *const keys[] = {"cacert", "cert", "key", "insecure", "server_name", NULL};
    plan_tls *t = &L->p->tls;
    const yamltree_node *v;
    const char *s;
    char q[PLAN_QCAP];
    if (yamltree_expect(&L->doc, map, YAMLTREE_MAP, &L->err) < 0 ||
        yamltree_check_keys(&L->doc, map, keys, &L->err) < 0)
        return -1;
    for (int i = 0; i < PLAN_TLS_N_FILES; i++) {
        if (!(v = yamltree_get(map, keys[i])))
            continue;
        if (yamltree_str(&L->doc, v, &s, &L->err) < 0)
            return -1;
        if (v->len == 0 || strlen(s) != v->len)
            return FAIL(L, v, "tls.%s: expected a file name", keys[i]);
        if (!(t->file[i] = plan_relative(L->doc.file, s, v->len)))
            return oom(L);
        t->line[i] = v->line;
        t->col[i] = v->col;
    }
    if (t->file[PLAN_TLS_KEY] && !t->file[PLAN_TLS_CERT])
        return FAIL(L, yamltree_get(map, "key"), "tls.key needs tls.cert (the client certificate it belongs to)");
    if ((v = yamltree_get(map, "insecure")) && yamltree_bool(&L->doc, v, &t->insecure, &L->err) < 0)
        return -1;
    if ((v = yamltree_get(map, "server_name"))) {
        if (yamltree_str(&L->doc, v, &s, &L->err) < 0)
            return -1;
        bool ok = v->len > 0 && v->len <= 253;
        for (size_t i = 0; ok && i < v->len; i++)
            ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
                 s[i] == '-' || s[i] == '.' || s[i] == '_' || s[i] == ':';
        if (!ok)
            return FAIL(L, v, "tls.server_name %s is not a host name", plan_qs(q, s, v->len));
        if (!(t->server_name = plan_dupn(s, v->len)))
            return oom(L);
    }
    return 0;
}

/* dns: {ttl: DURATION (0: resolve once), resolve: ["HOST:PORT:ADDR[,ADDR...]", ...]} */
static int parse_dns(loader *L, const yamltree_node *map)
{
    static const char *const keys[] = {"ttl", "resolve", NULL};
    const yamltree_node *v;
    char msg[sizeof L->err.msg];
    if (yamltree_expect(&L->doc, map, YAMLTREE_MAP, &L->err) < 0 ||
        yamltree_check_keys(&L->doc, map, keys, &L->err) < 0)
        return -1;
    if ((v = yamltree_get(map, "ttl"))) {
        if (yamltree_duration(&L->doc, v, &L->p->dns.ttl_ns, &L->err) < 0)
            return -1;
        if (L->p->dns.ttl_ns != 0 && L->p->dns.ttl_ns < 100 * UINT64_C(1000000))
            return FAIL(L, v, "dns.ttl must be 0 (resolve once) or at least 100ms");
    }
    if (!(v = yamltree_get(map, "resolve")))
        return 0;
    if (yamltree_expect(&L->doc, v, YAMLTREE_SEQ, &L->err) < 0)
        return -1;
    for (size_t i = 0; i < v->n; i++) {
        const yamltree_node *e = v->items[i];
        const char *s;
        if (yamltree_str(&L->doc, e, &s, &L->err) < 0)
            return -1;
        if (strlen(s) != e->len || plan_add_resolve(L->p, s, msg, sizeof msg) < 0)
            return FAIL(L, e, "dns.resolve: %s", strlen(s) != e->len ? "contains a NUL byte" : msg);
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
    if (plan_name_problem(b, n) || (n == 7 && memcmp(b, "<input>", 7) == 0))
        return plan_dup("plan");
    return plan_dupn(b, n);
}

static int parse_root(loader *L)
{
    static const char *const keys[] = {"name", "target",    "settings",   "headers",   "server", "tls",
                                       "dns",  "scenarios", "thresholds", "variables", "data",   NULL};
    static const char *const settings_keys[] = {"connect_timeout", "request_timeout", "apdex_t", "timer_slack", NULL};
    const yamltree_node *root = L->doc.root, *v;
    plan *p = L->p;

    if (!root)
        return FAIL(L, NULL, "empty plan (expected a mapping with target and scenarios)");
    if (yamltree_check_keys(&L->doc, root, keys, &L->err) < 0)
        return -1;
    if ((v = yamltree_get(root, "name"))) {
        if (get_name(L, v, "plan name", &p->name) < 0)
            return -1;
    } else if (!(p->name = default_name(L->doc.file))) {
        return oom(L);
    }
    if ((v = yamltree_get(root, "target"))) {
        const char *s;
        char msg[sizeof L->err.msg];
        if (yamltree_str(&L->doc, v, &s, &L->err) < 0)
            return -1;
        if (plan_url_parse(&p->target, s, msg, sizeof msg) < 0)
            return FAIL(L, v, "%s", msg);
        if (!(p->target_str = plan_dupn(s, v->len)))
            return oom(L);
    }
    if ((v = opt_map(root, "settings"))) {
        static const char *const names[] = {"connect_timeout", "request_timeout", "apdex_t"};
        uint64_t *dst[] = {&p->connect_timeout_ns, &p->request_timeout_ns, &p->apdex_t_ns};
        if (yamltree_check_keys(&L->doc, v, settings_keys, &L->err) < 0)
            return -1;
        for (size_t i = 0; i < 3; i++) {
            if (get_duration(L, v, names[i], NS_PER_HOUR, dst[i]) < 0)
                return -1;
            if (yamltree_get(v, names[i]) && *dst[i] == 0)
                return FAIL(L, yamltree_get(v, names[i]), "%s must be greater than 0", names[i]);
        }
        const yamltree_node *ts = yamltree_get(v, "timer_slack");
        if (ts) {
            if (yamltree_duration(&L->doc, ts, &p->timer_slack_ns, &L->err) < 0)
                return -1;
            if (p->timer_slack_ns > PLAN_MAX_TIMER_SLACK_NS)
                return FAIL(L, ts, "timer_slack is longer than 10ms (it adds up to itself to every latency)");
        }
    }
    if ((v = opt_map(root, "headers")) && parse_headers(L, v, &p->headers, &p->n_headers) < 0)
        return -1;
    if ((v = opt_map(root, "variables")) && parse_variables(L, v) < 0)
        return -1;
    if ((v = opt_map(root, "data")) && !(L->plan_data = parse_data(L, v)))
        return -1;
    if ((v = opt_map(root, "server")) && parse_server(L, v) < 0)
        return -1;
    if ((v = opt_map(root, "tls")) && parse_tls(L, v) < 0)
        return -1;
    if ((v = opt_map(root, "dns")) && parse_dns(L, v) < 0)
        return -1;
    if (!(v = yamltree_get(root, "scenarios")))
        return FAIL(L, root, "plan needs \"scenarios\"");
    if (yamltree_expect(&L->doc, v, YAMLTREE_SEQ, &L->err) < 0)
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
        plan_set_defaults(p);
        if (!(p->source = plan_dup(L->doc.file ? L->doc.file : "<input>")))
            oom(L);
        else
            rc = parse_root(L);
        yamltree_fini(&L->doc);
    }
    if (rc < 0) {
        plan_fini(p);
        err_set(err, errlen, "%s", L->err.msg);
    }
    return rc;
}

int plan_load_string(plan *p, const char *name, const char *data, size_t len, char *err, size_t errlen)
{
    loader L;
    memset(&L, 0, sizeof L);
    memset(p, 0, sizeof *p);
    L.p = p;
    return load_finish(&L, yamltree_load_string(&L.doc, name, data, len, &L.err), err, errlen);
}

int plan_load_file(plan *p, const char *path, char *err, size_t errlen)
{
    loader L;
    memset(&L, 0, sizeof L);
    memset(p, 0, sizeof *p);
    L.p = p;
    return load_finish(&L, yamltree_load_file(&L.doc, path, &L.err), err, errlen);
}

int plan_validate(const plan *p, char *err, size_t errlen)
{
    const char *src = p->source ? p->source : "plan";
    bool needs_target = false; /* a request that goes to the plan's own target */
    for (size_t i = 0; i < p->n_scenarios && !needs_target; i++)
        for (size_t j = 0; j < p->scenarios[i].n_requests && !needs_target; j++)
            needs_target = p->scenarios[i].requests[j].target == 0;
    if (!p->target.host && (needs_target || p->n_scenarios == 0))
        return err_set(err, errlen, "%s: no target: set \"target:\" in the plan or pass --target URL", src);
    if (p->n_scenarios == 0)
        return err_set(err, errlen, "%s: the plan has no scenarios", src);
    return 0;
}
