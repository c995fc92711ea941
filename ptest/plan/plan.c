/* plan.c - ptest plans: freeing, ad-hoc plans from a URL, the command-line overrides
 * (target, duration) and queries. The YAML loader is in plan_load.c, target URLs in
 * plan_url.c, distributed shares in plan_share.c. */
#include "plan_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vars.h"

#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_SEC UINT64_C(1000000000)

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
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

void plan_fini(plan *p)
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
            for (size_t k = 0; k < r->n_extract; k++)
                free(r->extract[k].expr);
            free(r->extract);
        }
        free(s->requests);
        free(s->stages);
        free(s->name);
    }
    free(p->scenarios);
    for (size_t i = 0; p->whole && i < p->n_scenarios; i++)
        free(p->whole[i].stages);
    free(p->whole);
    for (size_t i = 0; i < p->n_thresholds; i++) {
        free(p->thresholds[i].label);
        free(p->thresholds[i].expr);
    }
    free(p->thresholds);
    headers_free(p->headers, p->n_headers);
    for (size_t i = 0; i < p->n_vars; i++) {
        free(p->vars[i].name);
        free(p->vars[i].value);
    }
    free(p->vars);
    for (size_t i = 0; i < p->n_data; i++) {
        free(p->data[i].file);
        feeder_fini(&p->data[i].rows);
        free(p->data[i].col_var);
    }
    free(p->data);
    plan_url_fini(&p->target);
    free(p->target_str);
    free(p->server.metrics);
    free(p->server.config);
    free(p->name);
    free(p->source);
    for (size_t i = 0; i < PLAN_TLS_N_FILES; i++)
        free(p->tls.file[i]);
    free(p->tls.server_name);
    for (size_t i = 0; i < p->dns.n_resolve; i++)
        free(p->dns.resolve[i].host);
    for (size_t i = 0; i < p->n_targets; i++) {
        plan_url_fini(&p->targets[i]);
        free(p->target_strs[i]);
    }
    free(p->targets);
    free(p->target_strs);
    memset(p, 0, sizeof *p);
}

void plan_set_defaults(plan *p)
{
    p->connect_timeout_ns = 5 * NS_PER_SEC;
    p->dns.ttl_ns = PLAN_DEFAULT_DNS_TTL_NS;
    p->request_timeout_ns = 30 * NS_PER_SEC;
    p->apdex_t_ns = 500 * NS_PER_MS;
}

/* ---- ad-hoc plans and overrides ------------------------------------------------- */

int plan_from_url(plan *p, const char *url, uint32_t connections, double rate, uint64_t duration_ns, const char *label,
                  char *err, size_t errlen)
{
    const char *rest;
    char q[PLAN_QCAP];
    plan_scenario *s;
    plan_request *r;

    memset(p, 0, sizeof *p);
    if (connections == 0)
        return err_set(err, errlen, "connections must be at least 1");
    if (!(rate >= 0) || !isfinite(rate) || rate > PLAN_MAX_RATE)
        return err_set(err, errlen, "rate must be a number from 0 to 10000000 per second");
    if (duration_ns == 0 || duration_ns > PLAN_MAX_DURATION_NS)
        return err_set(err, errlen, "duration must be greater than 0 and at most 365 days");
    if (plan_url_head(&p->target, url, &rest, err, errlen) < 0)
        return -1;
    plan_set_defaults(p);
    size_t pl = strcspn(rest, "#");
    if (!plan_all_vchar(rest, pl)) {
        err_set(err, errlen, "URL path %s contains a space, control or non-ASCII byte", plan_qs(q, rest, pl));
        goto fail;
    }
    if (!(p->target_str = plan_dupn(url, (size_t)(rest - url))) || !(p->target.base_path = plan_dup("")) ||
        !(p->name = plan_dup("ad-hoc")) || !(p->source = plan_dup("command line")) ||
        !(p->scenarios = calloc(1, sizeof *p->scenarios)))
        goto nomem;
    p->n_scenarios = 1;
    s = &p->scenarios[0];
    if (!(s->name = plan_dup("default")) || !(s->requests = calloc(1, sizeof *s->requests)))
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
    } else if (!(r->path = plan_dupn(rest, pl))) {
        goto nomem;
    }
    if (strlen(r->path) > PLAN_MAX_PATH) {
        err_set(err, errlen, "URL path is longer than %d bytes", PLAN_MAX_PATH);
        goto fail;
    }
    const char *l = label ? label : r->path;
    const char *why = plan_name_problem(l, strlen(l));
    if (why) {
        if (label)
            err_set(err, errlen, "label %s %s", plan_qs(q, l, strlen(l)), why);
        else
            err_set(err, errlen, "the URL path as default label %s; pass a --label", why);
        goto fail;
    }
    if (strcmp(l, "*") == 0) {
        err_set(err, errlen, "label \"*\" is reserved (in thresholds it means every label)");
        goto fail;
    }
    if (!(r->label = plan_dup(l)) || !(r->method = plan_dup("GET")))
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
    err_set(err, errlen, "out of memory");
fail:
    plan_fini(p);
    return -1;
}

int plan_var_find(const plan *p, const char *name, size_t len)
{
    for (size_t i = 0; i < p->n_vars; i++)
        if (strlen(p->vars[i].name) == len && memcmp(p->vars[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

int plan_set_var(plan *p, const char *name, const char *value, char *err, size_t errlen)
{
    int i = plan_var_find(p, name, strlen(name));
    if (i < 0 || !p->vars[i].value)
        return err_set(err, errlen,
                       "the plan declares no variable \"%s\" (declare it under \"variables:\" with a default)", name);
    size_t n = strlen(value);
    if (n > PLAN_MAX_VAR_VALUE)
        return err_set(err, errlen, "value of variable \"%s\" is longer than %d bytes", name, PLAN_MAX_VAR_VALUE);
    char *v = plan_dupn(value, n);
    if (!v)
        return err_set(err, errlen, "out of memory");
    free(p->vars[i].value);
    p->vars[i].value = v;
    p->vars[i].value_len = n;
    return 0;
}

int plan_vars_from_env(plan *p, char *err, size_t errlen)
{
    for (size_t i = 0; i < p->n_vars; i++) {
        char key[16 + VARS_MAX_NAME];
        if (!p->vars[i].value)
            continue;
        snprintf(key, sizeof key, "PTEST_VAR_%s", p->vars[i].name);
        const char *v = getenv(key);
        if (v && plan_set_var(p, p->vars[i].name, v, err, errlen) < 0)
            return -1;
    }
    return 0;
}

int plan_set_tls_file(plan *p, enum plan_tls_file which, const char *path, char *err, size_t errlen)
{
    char *s = plan_dup(path);
    if (!s)
        return err_set(err, errlen, "out of memory");
    free(p->tls.file[which]);
    p->tls.file[which] = s;
    p->tls.line[which] = p->tls.col[which] = 0;
    return 0;
}

int plan_set_target(plan *p, const char *url, char *err, size_t errlen)
{
    plan_url u;
    char *s;

    if (plan_url_parse(&u, url, err, errlen) < 0)
        return -1;
    if (!(s = plan_dup(url))) {
        plan_url_fini(&u);
        return err_set(err, errlen, "out of memory");
    }
    plan_url_fini(&p->target);
    free(p->target_str);
    p->target = u;
    p->target_str = s;
    return 0;
}

const plan_url *plan_target_url(const plan *p, uint32_t i)
{
    return i == 0 || i > p->n_targets ? &p->target : &p->targets[i - 1];
}

const char *plan_target_str(const plan *p, uint32_t i)
{
    return i == 0 || i > p->n_targets ? p->target_str : p->target_strs[i - 1];
}

uint32_t plan_add_target(plan *p, const char *url, char *err, size_t errlen)
{
    for (size_t i = 0; i < p->n_targets; i++)
        if (strcmp(p->target_strs[i], url) == 0)
            return (uint32_t)(i + 1);
    if (p->n_targets == PLAN_MAX_TARGETS) {
        err_set(err, errlen, "more than %d targets besides the plan's", PLAN_MAX_TARGETS);
        return 0;
    }
    plan_url u;
    if (plan_url_parse(&u, url, err, errlen) < 0)
        return 0;
    plan_url *nt = realloc(p->targets, (p->n_targets + 1) * sizeof *nt);
    if (nt)
        p->targets = nt;
    char **ns = nt ? realloc(p->target_strs, (p->n_targets + 1) * sizeof *ns) : NULL;
    if (ns)
        p->target_strs = ns;
    char *str = ns ? plan_dup(url) : NULL;
    if (!str) {
        plan_url_fini(&u);
        err_set(err, errlen, "out of memory");
        return 0;
    }
    p->targets[p->n_targets] = u;
    p->target_strs[p->n_targets] = str;
    return (uint32_t)++p->n_targets;
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

void plan_set_conn(plan *p, const plan_conn *c, unsigned fields)
{
    for (size_t i = 0; i < p->n_scenarios; i++) {
        plan_conn *d = &p->scenarios[i].conn;
        if (fields & PLAN_CONN_KEEP_ALIVE)
            d->no_keep_alive = c->no_keep_alive;
        if (fields & PLAN_CONN_MAX_REQUESTS)
            d->max_requests = c->max_requests;
        if (fields & PLAN_CONN_LIFETIME)
            d->lifetime_ns = c->lifetime_ns;
    }
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
        if (plan_caseeq(r->headers[i].name, name))
            return true;
    return false;
}
