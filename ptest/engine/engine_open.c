/* engine_open.c - the open load model: scheduled arrivals on a bounded set of connection
 * slots, waiting FIFO for a free one and dropped past the request timeout (engine.h
 * describes the model). */
#include "engine_int.h"

void engine_open_pump(engine_sc *sc, mono_ns now)
{
    engine_thread *th = sc->th;
    uint64_t timeout = th->eng->target->request_timeout_ns;
    while (!sc->sched_done) {
        uint64_t off;
        if (schedule_time(sc->sch, sc->next_k, &sc->cur, &off) != 0) {
            sc->sched_done = true;
            break;
        }
        mono_ns due = sc->t_begin + off;
        if (due > now) {
            sc->blocked = false;
            if (!evloop_timer_pending(&sc->arrival) || sc->arrival.when != due)
                evloop_timer_start(th->loop, &sc->arrival, due);
            return;
        }
        if (now - due > timeout) {
            /* Waited longer than a request may take: it would only measure our queue. */
            stats_dropped(&th->st, engine_pick(sc, &th->rng)->label, 1);
            sc->next_k += sc->stride;
            continue;
        }
        if (sc->n_avail == 0) {
            sc->blocked = true;
            return; /* backlog: resumed when a connection frees up */
        }
        engine_user *u = sc->avail[--sc->n_avail];
        u->req = engine_pick(sc, &th->rng);
        if (sc->blocked)
            stats_queued(&th->st, u->req->label);
        sc->inflight++;
        stats_begin(&th->st, u->req->label);
        sc->next_k += sc->stride;
        client_send(&u->conn, u->req, due);
    }
    engine_sc_check_done(sc);
}

void engine_on_arrival(evloop *loop, evloop_timer *t)
{
    engine_open_pump(t->data, evloop_now(loop));
}

void engine_open_drop_backlog(engine_sc *sc, mono_ns now)
{
    engine_thread *th = sc->th;
    while (!sc->sched_done) {
        uint64_t off;
        if (schedule_time(sc->sch, sc->next_k, &sc->cur, &off) != 0 || sc->t_begin + off > now)
            return;
        stats_dropped(&th->st, engine_pick(sc, &th->rng)->label, 1);
        sc->next_k += sc->stride;
    }
}

void engine_open_begin(engine_sc *sc, mono_ns start)
{
    sc->t_end = start + plan_scenario_duration(sc->ps);
    if (sc->n_users == 0)
        sc->sched_done = true;
    else
        engine_open_pump(sc, start);
}
