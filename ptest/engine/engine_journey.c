/* engine_journey.c - the journey side of a user (engine_int.h): its variables, rendered per
 * send into its own buffer, through the client's hooks (client.h). */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

bool engine_journey_needed(const plan *p, const plan_scenario *ps)
{
    (void)p;
    if (ps->data)
        return true;
    for (size_t i = 0; i < ps->n_requests; i++)
        if (ps->requests[i].templated)
            return true;
    return false;
}

int engine_journey_init(engine_user *u, const plan *p)
{
    engine_journey *j = calloc(1, sizeof *j);
    if (!j)
        return -1;
    u->ju = j;
    j->vals = calloc(p->n_vars ? p->n_vars : 1, sizeof *j->vals);
    j->wbuf = malloc(CLIENT_MAX_WIRE); /* untouched pages cost no RAM */
    if (!j->vals || !j->wbuf)
        return -1;
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

static int on_render(client_conn *c)
{
    engine_user *u = c->owner;
    engine_journey *j = u->ju;
    const client_req *r = c->req;
    /* An open scenario's slot takes a row per arrival (unique data is closed-only). */
    if (u->sc->ps->data && u->sc->ps->model == PLAN_OPEN && !c->retried)
        (void)engine_journey_row(u);
    if (!r->src->templated)
        return 0;
    const plan *p = u->sc->th->eng->p;
    vars_env env = {j->vals, p->n_vars, u->num, u->iters, &u->sc->th->rng};
    size_t len = 0;
    int rc = client_req_expand(r, c->closing, &env, NULL, 0, j->wbuf, CLIENT_MAX_WIRE, &len);
    if (rc != 0)
        return STATS_ERR_RENDER;
    c->wire = j->wbuf;
    c->wire_len = len;
    return 0;
}

static void on_head(client_conn *c, const http_response *res)
{
    (void)c;
    (void)res;
}

static int on_done(client_conn *c, int kind)
{
    (void)c;
    return kind;
}

const client_hooks engine_journey_hooks = {on_render, on_head, on_done};
