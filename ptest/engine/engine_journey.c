/* engine_journey.c - the journey side of a user (engine_int.h): its variables (constants,
 * data rows, extracted values), its request rendered per send into its own buffer, and the
 * extractions of the responses, through the client's hooks (client.h). Everything is
 * allocated at engine_create; nothing here allocates per request. */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool has_extract(const plan_scenario *ps)
{
    for (size_t i = 0; i < ps->n_requests; i++)
        if (ps->requests[i].n_extract)
            return true;
    return false;
}

static bool has_body_rules(const plan_scenario *ps)
{
    for (size_t i = 0; i < ps->n_requests; i++)
        for (size_t k = 0; k < ps->requests[i].n_extract; k++)
            if (ps->requests[i].extract[k].kind != PLAN_EXTRACT_HEADER)
                return true;
    return false;
}

bool engine_journey_needed(const plan *p, const plan_scenario *ps)
{
    (void)p;
    if (ps->data || ps->cookies || has_extract(ps))
        return true;
    for (size_t i = 0; i < ps->n_requests; i++)
        if (ps->requests[i].templated)
            return true;
    return false;
}

int engine_journey_rules(engine *e, char *err, size_t errlen)
{
    const plan *p = e->p;
    e->rules = calloc(e->n_reqs ? e->n_reqs : 1, sizeof *e->rules);
    e->var_slot = malloc((p->n_vars ? p->n_vars : 1) * sizeof *e->var_slot);
    if (!e->rules || !e->var_slot)
        goto nomem;
    for (size_t i = 0; i < p->n_vars; i++)
        e->var_slot[i] = -1;
    size_t k = 0;
    for (size_t s = 0; s < p->n_scenarios; s++)
        for (size_t j = 0; j < p->scenarios[s].n_requests; j++, k++) {
            const plan_request *pr = &p->scenarios[s].requests[j];
            engine_rules *r = &e->rules[k];
            if (!pr->n_extract)
                continue;
            r->n = pr->n_extract;
            r->x = pr->extract;
            if (!(r->re = calloc(r->n, sizeof *r->re)))
                goto nomem;
            for (size_t x = 0; x < r->n; x++) {
                if (e->var_slot[r->x[x].var] < 0)
                    e->var_slot[r->x[x].var] = (int32_t)e->n_slots++;
                if (r->x[x].kind == PLAN_EXTRACT_HEADER)
                    continue;
                r->body = true;
                if (r->x[x].kind == PLAN_EXTRACT_REGEX &&
                    extract_regex_compile(&r->re[x], r->x[x].expr, err, errlen) < 0) {
                    r->n = x; /* the compiled ones are freed */
                    return -1;
                }
            }
        }
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

void engine_journey_rules_fini(engine *e)
{
    for (size_t k = 0; e->rules && k < e->n_reqs; k++) {
        engine_rules *r = &e->rules[k];
        for (size_t x = 0; r->re && x < r->n; x++)
            if (r->x[x].kind == PLAN_EXTRACT_REGEX)
                regfree(&r->re[x]);
        free(r->re);
    }
    free(e->rules);
    free(e->var_slot);
    e->rules = NULL;
    e->var_slot = NULL;
}

int engine_journey_init(engine_user *u, const plan *p)
{
    engine *e = u->sc->th->eng;
    engine_journey *j = calloc(1, sizeof *j);
    if (!j)
        return -1;
    u->ju = j;
    j->vals = calloc(p->n_vars ? p->n_vars : 1, sizeof *j->vals);
    j->wbuf = malloc(CLIENT_MAX_WIRE); /* untouched pages cost no RAM */
    if (!j->vals || !j->wbuf)
        return -1;
    if (has_extract(u->sc->ps) && !(j->store = malloc(e->n_slots * EXTRACT_MAX_VALUE)))
        return -1;
    if (has_body_rules(u->sc->ps) && !(j->kept = malloc(EXTRACT_MAX_BODY + 1)))
        return -1;
    if (u->sc->ps->cookies) {
        if (!(j->jar = malloc(sizeof *j->jar)))
            return -1;
        cookie_jar_init(j->jar);
    }
    for (size_t i = 0; i < p->n_vars; i++)
        if (p->vars[i].value) {
            j->vals[i].p = p->vars[i].value;
            j->vals[i].len = (uint32_t)p->vars[i].value_len;
        }
    return 0;
}

void engine_journey_fini(engine_user *u)
{
    engine_journey *j = u->ju;
    if (!j)
        return;
    free(j->vals);
    free(j->wbuf);
    free(j->store);
    free(j->kept);
    free(j->jar);
    free(j);
    u->ju = NULL;
}

bool engine_journey_row(engine_user *u)
{
    engine *e = u->sc->th->eng;
    const plan_scenario *ps = u->sc->ps;
    uint32_t di = ps->data - 1;
    const plan_data *d = &e->p->data[di];
    size_t n = d->rows.n_rows;
    uint64_t r;
    if (d->mode == PLAN_DATA_RANDOM) {
        r = rng_below(&u->sc->th->rng, n);
    } else {
        r = __atomic_fetch_add(&e->data_next[di], 1, __ATOMIC_RELAXED);
        if (d->mode == PLAN_DATA_UNIQUE && r >= n)
            return false;
        r %= n;
    }
    for (size_t c = 0; c < d->rows.n_cols; c++) {
        vars_val *v = &u->ju->vals[d->col_var[c]];
        v->p = feeder_field(&d->rows, (size_t)r, c, &v->len);
    }
    return true;
}

static const engine_rules *rules_of(const engine_user *u, const client_req *r)
{
    const engine *e = u->sc->th->eng;
    return &e->rules[r - e->reqs];
}

static int on_render(client_conn *c)
{
    engine_user *u = c->owner;
    engine_journey *j = u->ju;
    const client_req *r = c->req;
    const engine_rules *rl = rules_of(u, r);
    j->failed = false;
    c->kept = j->kept;
    c->kept_cap = rl->body ? EXTRACT_MAX_BODY : 0;
    /* An open scenario's slot takes a row per arrival (unique data is closed-only). */
    if (u->sc->ps->data && u->sc->ps->model == PLAN_OPEN && !c->retried)
        (void)engine_journey_row(u);
    bool cookies = j->jar && j->jar->n > 0;
    const char *wire = c->closing ? r->wire_close : r->wire;
    size_t len = c->closing ? r->wire_close_len : r->wire_len;
    if (r->src->templated || cookies) {
        const plan *p = u->sc->th->eng->p;
        if (r->src->templated) {
            vars_env env = {j->vals, p->n_vars, u->num, u->iters, &u->sc->th->rng};
            len = 0;
            if (client_req_expand(r, c->closing, &env, NULL, 0, j->wbuf, CLIENT_MAX_WIRE, &len) != 0)
                return STATS_ERR_RENDER;
        } else {
            if (len > CLIENT_MAX_WIRE)
                return STATS_ERR_RENDER;
            memcpy(j->wbuf, wire, len);
        }
        wire = j->wbuf;
        if (cookies) {
            const plan_url *t = plan_target_url(p, r->src->target);
            const char *sp = memchr(wire, ' ', len),
                       *sp2 = sp ? memchr(sp + 1, ' ', len - (size_t)(sp + 1 - wire)) : NULL;
            const char *end = memmem(wire, len, "\r\n\r\n", 4);
            char ck[COOKIE_STORE + 3 * COOKIE_MAX + 16];
            size_t cl = 0;
            if (sp2 && end) {
                cookie_jar_header(j->jar, t->host, sp + 1, (size_t)(sp2 - sp - 1), t->tls, clock_wall_now(), ck,
                                  sizeof ck, &cl);
                if (cl > CLIENT_MAX_WIRE - len)
                    return STATS_ERR_RENDER;
                /* The Cookie line goes last among the headers. */
                size_t at = (size_t)(end - wire) + 2;
                memmove(j->wbuf + at + cl, j->wbuf + at, len - at);
                memcpy(j->wbuf + at, ck, cl);
                len += cl;
            }
        }
        c->wire = j->wbuf;
        c->wire_len = len;
    }
    if (j->jar) {
        const char *sp = memchr(wire, ' ', len);
        const char *sp2 = sp ? memchr(sp + 1, ' ', len - (size_t)(sp + 1 - wire)) : NULL;
        j->path = sp2 ? sp + 1 : "/";
        j->path_len = sp2 ? (size_t)(sp2 - sp - 1) : 1;
    }
    return 0;
}

/* Stores an extraction's outcome in the user's variable (empty when it found nothing). */
static void set_value(engine_user *u, const plan_extract *x, int rc, char *slot, size_t len)
{
    vars_val *v = &u->ju->vals[x->var];
    if (rc != EXTRACT_OK) {
        u->ju->failed = true;
        v->p = NULL;
        v->len = 0;
        return;
    }
    v->p = slot;
    v->len = (uint32_t)len;
}

static char *slot_of(engine_user *u, const plan_extract *x)
{
    const engine *e = u->sc->th->eng;
    return u->ju->store + (size_t)e->var_slot[x->var] * EXTRACT_MAX_VALUE;
}

static void on_head(client_conn *c, const http_response *res)
{
    engine_user *u = c->owner;
    const engine_rules *rl = rules_of(u, c->req);
    engine_journey *j = u->ju;
    if (j->jar) {
        const plan_url *t = plan_target_url(u->sc->th->eng->p, c->req->src->target);
        wall_ns now = 0;
        for (size_t i = 0; i < res->num_headers; i++) {
            const http_header *h = &res->headers[i];
            if (h->name.n != 10 || strncasecmp(h->name.p, "set-cookie", 10) != 0)
                continue;
            if (!now)
                now = clock_wall_now();
            (void)cookie_jar_set(j->jar, h->value.p, h->value.n, t->host, j->path, j->path_len, now);
        }
    }
    for (size_t i = 0; i < rl->n; i++) {
        const plan_extract *x = &rl->x[i];
        if (x->kind != PLAN_EXTRACT_HEADER)
            continue;
        char *slot = slot_of(u, x);
        size_t len = 0;
        int rc = extract_header(res->headers, res->num_headers, x->expr, slot, EXTRACT_MAX_VALUE, &len);
        set_value(u, x, rc, slot, len);
    }
}

static int on_done(client_conn *c, int kind)
{
    engine_user *u = c->owner;
    engine_journey *j = u->ju;
    const engine_rules *rl = rules_of(u, c->req);
    if (kind != STATS_OK || rl->n == 0)
        return kind;
    if (rl->body)
        j->kept[c->kept_len] = '\0';
    for (size_t i = 0; i < rl->n; i++) {
        const plan_extract *x = &rl->x[i];
        char *slot = slot_of(u, x);
        size_t len = 0;
        int rc;
        if (x->kind == PLAN_EXTRACT_JSON)
            rc = extract_json(j->kept, c->kept_len, x->expr, slot, EXTRACT_MAX_VALUE, &len);
        else if (x->kind == PLAN_EXTRACT_REGEX)
            rc = extract_regex(&rl->re[i], j->kept, slot, EXTRACT_MAX_VALUE, &len);
        else
            continue;
        set_value(u, x, rc, slot, len);
    }
    return j->failed ? STATS_ERR_EXTRACT : kind;
}

const client_hooks engine_journey_hooks = {on_render, on_head, on_done};
