/* engine_closed.c - the closed load model: users that each own one keep-alive connection
 * and loop send, wait, think (engine.h describes the model). */
#include "engine_int.h"

static void user_finish(engine_user *u)
{
    if (u->finished)
        return;
    u->finished = true;
    engine_sc *sc = u->sc;
    evloop_timer_stop(sc->th->loop, &u->timer);
    client_close(&u->conn);
    sc->active--;
    engine_sc_check_done(sc);
}

static void user_iterate(engine_user *u, mono_ns intended)
{
    engine_sc *sc = u->sc;
    engine_thread *th = sc->th;
    uint64_t iters = sc->ps->iterations;
    if (th->stopping || intended >= sc->t_end || (iters && u->iters >= iters)) {
        user_finish(u);
        return;
    }
    /* A new iteration takes the next row of the scenario's data. */
    if (sc->ps->data && (sc->ps->order != PLAN_ORDER_SEQUENCE || u->seq == 0) && !engine_journey_row(u)) {
        sc->exhausted++;
        user_finish(u);
        return;
    }
    u->req = sc->ps->order == PLAN_ORDER_SEQUENCE ? &sc->reqs[u->seq] : engine_pick(sc, &th->rng);
    sc->inflight++;
    stats_begin(&th->st, u->req->label);
    client_send(&u->conn, u->req, intended);
}

void engine_on_user_timer(evloop *loop, evloop_timer *t)
{
    (void)loop;
    engine_user *u = t->data;
    user_iterate(u, u->next);
}

static uint64_t think_ns(engine_sc *sc, rng *r)
{
    const plan_think *k = &sc->ps->think;
    if (k->mean_ns == 0 && k->stddev_ns == 0)
        return 0;
    double d = rng_draw(r, k->dist, (double)k->mean_ns, (double)k->stddev_ns);
    if (!(d > 0))
        return 0;
    if (d > (double)PLAN_MAX_DURATION_NS)
        d = (double)PLAN_MAX_DURATION_NS;
    return (uint64_t)d;
}

void engine_closed_done(engine_user *u, const client_result *r)
{
    engine_sc *sc = u->sc;
    engine_thread *th = sc->th;
    /* In a sequence an iteration is one pass over the requests (a JMeter loop). */
    if (sc->ps->order != PLAN_ORDER_SEQUENCE || ++u->seq == sc->n_reqs) {
        u->seq = 0;
        u->iters++;
    }
    uint64_t wait;
    if (stats_err_is_local(r->kind)) {
        /* No descriptor/port/memory: back off 10 ms, doubling up to 1 s while it lasts,
         * so that users beyond the limit cost little CPU (the users that do have a
         * connection are the ones being measured). */
        wait = ENGINE_CONNECT_BACKOFF << u->local_backoff;
        if ((ENGINE_CONNECT_BACKOFF << (u->local_backoff + 1)) <= ENGINE_LOCAL_BACKOFF_MAX)
            u->local_backoff++;
    } else {
        u->local_backoff = 0;
        wait = r->conn_failed ? ENGINE_CONNECT_BACKOFF : think_ns(sc, &th->rng);
    }
    mono_ns next = r->t_done + wait;
    if (wait == 0) {
        user_iterate(u, r->t_done);
        return;
    }
    if (next >= sc->t_end) {
        user_finish(u);
        return;
    }
    u->next = next;
    evloop_timer_start(th->loop, &u->timer, next);
}

void engine_on_scenario_end(evloop *loop, evloop_timer *t)
{
    (void)loop;
    engine_sc *sc = t->data;
    /* Users waiting (ramp-up, think, backoff) finish now; those in flight when their
     * answer arrives. */
    for (size_t i = 0; i < sc->n_users && !sc->done; i++) {
        engine_user *u = &sc->users[i];
        if (!u->finished && !client_busy(&u->conn))
            user_finish(u);
    }
}

void engine_closed_begin(engine_sc *sc, mono_ns start)
{
    const plan_scenario *ps = sc->ps;
    evloop *loop = sc->th->loop;
    bool by_count = ps->hold_for_ns == 0 && ps->iterations > 0;
    sc->t_end = by_count ? UINT64_MAX : start + plan_scenario_duration(ps);
    sc->active = sc->n_users;
    for (size_t j = 0; j < sc->n_users; j++) {
        engine_user *u = &sc->users[j];
        /* User n of N starts at ramp_up * n / N (n counted over all threads). */
        uint64_t n = u->num - 1;
        double at = (double)ps->ramp_up_ns * (double)n / (double)(ps->users ? ps->users : 1);
        u->next = sc->t_begin + (uint64_t)at;
        evloop_timer_start(loop, &u->timer, u->next);
    }
    if (!by_count)
        evloop_timer_start(loop, &sc->endt, sc->t_end);
}
