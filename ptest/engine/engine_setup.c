/* engine_setup.c - engine_create and engine_destroy: renders the plan's requests, builds
 * the open schedules and the JTL strings, and lays out every thread's scenario shares,
 * users, connections and read buffers (all allocation happens here, none on the hot path). */
#include "engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void thread_free(engine_thread *th)
{
    if (th->users)
        for (size_t i = 0; i < th->n_users; i++) {
            free(th->users[i].thread_csv);
            engine_journey_fini(&th->users[i]);
            client_conn_fini(&th->users[i].conn);
        }
    if (th->sc)
        for (size_t i = 0; i < th->n_sc; i++)
            free(th->sc[i].avail);
    free(th->sc);
    free(th->users);
    free(th->rbufs);
    free(th->scratch);
    jtl_buf_fini(&th->jtl);
    stats_thread_fini(&th->st);
    instances_fini(&th->inst);
    evloop_destroy(th->loop);
}

static int thread_setup(engine *e, engine_thread *th, char *err, size_t errlen)
{
    const plan *p = e->p;
    unsigned T = e->n_threads;
    th->eng = e;
    th->jtl.fd = -1;
    th->loop = evloop_create();
    if (!th->loop) {
        const char *why = evloop_create_error();
        snprintf(err, errlen, "cannot create an event loop: %s", *why ? why : strerror(errno));
        return -1;
    }
    evloop_set_wake(th->loop, engine_on_wake, th);
    /* Arrivals (and think times) due within the slack share one wake-up: the pump sends
     * every arrival due by then in one pass, each still timed from its intended time. */
    evloop_set_timer_slack(th->loop, p->timer_slack_ns);
    evloop_timer_init(&th->tick, engine_on_tick, th);
    evloop_timer_init(&th->sweep, engine_on_sweep, th);
    if (stats_thread_init(&th->st, e->n_labels, 0) != 0 || instances_init(&th->inst, e->n_labels) != 0 ||
        jtl_buf_init(&th->jtl, e->o.jtl_fd) != 0)
        goto nomem;
    if (e->o.seed)
        rng_seed(&th->rng, e->o.seed + th->idx);
    else
        rng_seed_os(&th->rng);

    th->n_sc = p->n_scenarios;
    th->sc = calloc(th->n_sc, sizeof(*th->sc));
    if (!th->sc)
        goto nomem;
    size_t total = 0;
    for (size_t i = 0; i < p->n_scenarios; i++) {
        const plan_scenario *ps = &p->scenarios[i];
        engine_sc *sc = &th->sc[i];
        sc->ps = ps;
        sc->th = th;
        sc->reqs = &e->reqs[e->req_off[i]];
        sc->cumw = &e->cumw[e->req_off[i]];
        sc->n_reqs = ps->n_requests;
        sc->wtotal = sc->cumw[sc->n_reqs - 1];
        evloop_timer_init(&sc->endt, engine_on_scenario_end, sc);
        evloop_timer_init(&sc->arrival, engine_on_arrival, sc);
        sc->journey = engine_journey_needed(p, ps);
        if (ps->model == PLAN_CLOSED) {
            sc->grp = ps->users;
            sc->n_users = ps->users / T + (th->idx < ps->users % T ? 1 : 0);
        } else {
            uint32_t maxc = ps->max_connections ? ps->max_connections : 1;
            unsigned A = maxc < T ? maxc : T;
            sc->grp = maxc;
            sc->sch = &e->scheds[i];
            sc->stride = A;
            sc->next_k = th->idx;
            sc->n_users = th->idx < A ? maxc / A + (th->idx < maxc % A ? 1 : 0) : 0;
            sc->avail = calloc(sc->n_users ? sc->n_users : 1, sizeof(*sc->avail));
            if (!sc->avail)
                goto nomem;
        }
        total += sc->n_users;
    }
    if (total > SIZE_MAX / CLIENT_RBUF_SIZE) {
        snprintf(err, errlen, "too many connections for this machine's address space");
        return -1;
    }
    th->n_users = total;
    th->users = calloc(total ? total : 1, sizeof(*th->users));
    th->rbufs = calloc(total ? total : 1, CLIENT_RBUF_SIZE); /* untouched pages cost no RAM */
    th->scratch = malloc(CLIENT_RBUF_SIZE);                  /* what whole responses touch */
    if (!th->users || !th->rbufs || !th->scratch)
        goto nomem;
    size_t k = 0;
    for (size_t i = 0; i < th->n_sc; i++) {
        engine_sc *sc = &th->sc[i];
        sc->users = &th->users[k];
        for (size_t j = 0; j < sc->n_users; j++, k++) {
            engine_user *u = &th->users[k];
            u->sc = sc;
            /* Closed: global user number j * T + idx; open: slot number in the scenario. */
            u->num = sc->ps->model == PLAN_CLOSED ? (uint32_t)(j * T + th->idx + 1)
                                                  : (uint32_t)(j * sc->stride + th->idx + 1);
            client_conn_init(&u->conn, th->loop, &e->target[sc->ps->target], th->rbufs + k * CLIENT_RBUF_SIZE,
                             CLIENT_RBUF_SIZE, engine_on_done, u, u->num);
            u->conn.ctl = &sc->ps->conn;
            u->conn.inst = &th->inst;
            u->conn.scratch = th->scratch;
            if (sc->journey) {
                if (engine_journey_init(u, p) != 0)
                    goto nomem;
                u->conn.hooks = &engine_journey_hooks;
            }
            evloop_timer_init(&u->timer, engine_on_user_timer, u);
            if (e->o.jtl_fd >= 0) {
                char name[PLAN_MAX_LABEL + 48];
                snprintf(name, sizeof(name), "%s %u-%u", sc->ps->name, th->idx + 1, (unsigned)u->num);
                if (!(u->thread_csv = jtl_csv_field(name)))
                    goto nomem;
            }
        }
        if (sc->ps->model == PLAN_OPEN) {
            /* Slot 0 on top: connections are opened only as the load needs them. */
            for (size_t j = 0; j < sc->n_users; j++)
                sc->avail[j] = &sc->users[sc->n_users - 1 - j];
            sc->n_avail = sc->n_users;
        }
    }
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

void engine_destroy(engine *e)
{
    if (!e)
        return;
    if (e->th) {
        for (unsigned i = 0; i < e->n_threads; i++)
            thread_free(&e->th[i]);
        free(e->th);
    }
    for (size_t i = 0; i < e->n_reqs; i++) {
        client_req_fini(&e->reqs[i]);
        if (e->url_csv)
            free(e->url_csv[i]);
        if (e->fail_status)
            free(e->fail_status[i]);
    }
    if (e->label_csv)
        for (size_t i = 0; i < e->n_labels; i++)
            free(e->label_csv[i]);
    if (e->scheds)
        for (size_t i = 0; i < e->p->n_scenarios; i++)
            schedule_fini(&e->scheds[i]);
    free(e->scheds);
    free(e->data_next);
    engine_journey_rules_fini(e);
    free(e->label_csv);
    free(e->url_csv);
    free(e->fail_status);
    free(e->reqs);
    free(e->cumw);
    free(e->req_off);
    free(e->labels);
    free(e);
}

static int setup_jtl_strings(engine *e)
{
    e->label_csv = calloc(e->n_labels ? e->n_labels : 1, sizeof(char *));
    e->url_csv = calloc(e->n_reqs, sizeof(char *));
    e->fail_status = calloc(e->n_reqs, sizeof(char *));
    if (!e->label_csv || !e->url_csv || !e->fail_status)
        return -1;
    for (size_t i = 0; i < e->n_labels; i++)
        if (!(e->label_csv[i] = jtl_csv_field(e->labels[i])))
            return -1;
    for (size_t i = 0; i < e->n_reqs; i++) {
        char msg[64];
        if (e->reqs[i].expect_status)
            snprintf(msg, sizeof(msg), "expected status %d", e->reqs[i].expect_status);
        else
            snprintf(msg, sizeof(msg), "HTTP error status");
        if (!(e->url_csv[i] = jtl_csv_field(e->reqs[i].url)) || !(e->fail_status[i] = jtl_csv_field(msg)))
            return -1;
    }
    return 0;
}

int engine_create(engine **out, const plan *p, const client_target *t, const engine_opts *o, char *err, size_t errlen)
{
    *out = NULL;
    engine *e = calloc(1, sizeof(*e));
    if (!e)
        goto nomem;
    e->p = p;
    e->target = t;
    e->o = *o;
    if (p->n_scenarios == 0) {
        snprintf(err, errlen, "the plan has no scenarios");
        goto fail;
    }

    e->n_labels = plan_labels(p, NULL, 0);
    e->labels = calloc(e->n_labels ? e->n_labels : 1, sizeof(*e->labels));
    if (!e->labels)
        goto nomem;
    plan_labels(p, e->labels, e->n_labels);

    uint64_t units = 0;
    for (size_t i = 0; i < p->n_scenarios; i++) {
        const plan_scenario *ps = &p->scenarios[i];
        if (ps->n_requests == 0) {
            snprintf(err, errlen, "scenario %s has no requests", ps->name);
            goto fail;
        }
        e->n_reqs += ps->n_requests;
        units += ps->model == PLAN_CLOSED ? ps->users : ps->max_connections;
    }
    e->all_threads = units > UINT32_MAX ? UINT32_MAX : (uint32_t)units;
    unsigned T = o->threads ? o->threads : 1;
    if (T > ENGINE_MAX_THREADS)
        T = ENGINE_MAX_THREADS;
    if (units > 0 && T > units)
        T = (unsigned)units;
    e->n_threads = T;

    e->reqs = calloc(e->n_reqs, sizeof(*e->reqs));
    e->cumw = calloc(e->n_reqs, sizeof(*e->cumw));
    e->req_off = calloc(p->n_scenarios, sizeof(*e->req_off));
    e->scheds = calloc(p->n_scenarios, sizeof(*e->scheds));
    e->data_next = calloc(p->n_data ? p->n_data : 1, sizeof(*e->data_next));
    if (!e->reqs || !e->cumw || !e->req_off || !e->scheds || !e->data_next)
        goto nomem;
    size_t k = 0;
    for (size_t i = 0; i < p->n_scenarios; i++) {
        const plan_scenario *ps = &p->scenarios[i];
        e->req_off[i] = k;
        uint64_t cum = 0;
        for (size_t j = 0; j < ps->n_requests; j++, k++) {
            const plan_request *pr = &ps->requests[j];
            if (client_req_render(&e->reqs[k], p, pr, pr->label_id, err, errlen) != 0) {
                for (size_t m = 0; m < k; m++)
                    client_req_fini(&e->reqs[m]);
                e->n_reqs = 0;
                goto fail;
            }
            if (p->n_targets)
                e->reqs[k].target = &t[pr->target];
            cum += pr->weight ? pr->weight : 1;
            e->cumw[k] = cum;
        }
        if (ps->model == PLAN_OPEN && schedule_init_scenario(&e->scheds[i], ps, o->seed) != 0) {
            snprintf(err, errlen, "scenario %s: invalid stages", ps->name);
            goto fail;
        }
    }
    if (engine_journey_rules(e, err, errlen) != 0)
        goto fail;
    if (o->jtl_fd >= 0 && setup_jtl_strings(e) != 0)
        goto nomem;

    /* Timeouts are checked by a sweep; its period bounds their precision. */
    uint64_t tmin = t->connect_timeout_ns < t->request_timeout_ns ? t->connect_timeout_ns : t->request_timeout_ns;
    e->sweep_ns = tmin / 20;
    if (e->sweep_ns < CLOCK_NS_PER_MS)
        e->sweep_ns = CLOCK_NS_PER_MS;
    if (e->sweep_ns > 100 * CLOCK_NS_PER_MS)
        e->sweep_ns = 100 * CLOCK_NS_PER_MS;

    e->th = calloc(T, sizeof(*e->th));
    if (!e->th)
        goto nomem;
    for (unsigned i = 0; i < T; i++) {
        e->th[i].idx = i;
        e->th[i].jtl.fd = -1;
    }
    for (unsigned i = 0; i < T; i++)
        if (thread_setup(e, &e->th[i], err, errlen) != 0)
            goto fail;
    *out = e;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    engine_destroy(e);
    return -1;
}
