/* engine_open.c - the open load model: scheduled arrivals on a bounded set of connection
 * slots, waiting FIFO for a free one and dropped past the request timeout (engine.h
 * describes the model). */
#include "engine_int.h"

void eng_open_pump(eng_sc *sc, mono_ns now)
{
    eng_thread *th = sc->th;
    uint64_t timeout = th->eng->target->request_timeout_ns;
    while (!sc->sched_done) {
        uint64_t off;
        if (sched_time(sc->sch, sc->next_k, &sc->hint, &off) != 0) {
            sc->sched_done = true;
            break;
        }
        mono_ns due = sc->t_begin + off;
        if (due > now) {
            sc->blocked = false;
            if (!ev_timer_pending(&sc->arrival) || sc->arrival.when != due)
                ev_timer_start(th->loop, &sc->arrival, due);
            return;
        }
        if (now - due > timeout) {
            /* Waited longer than a request may take: it would only measure our queue. */
            stats_dropped(&th->st, eng_pick(sc, &th->rng)->label, 1);
            sc->next_k += sc->stride;
            continue;
        }
        if (sc->n_avail == 0) {
            sc->blocked = true;
            return; /* backlog: resumed when a connection frees up */
        }
        eng_user *u = sc->avail[--sc->n_avail];
        u->req = eng_pick(sc, &th->rng);
        if (sc->blocked)
            stats_queued(&th->st, u->req->label);
        sc->inflight++;
        sc->next_k += sc->stride;
        client_send(&u->conn, u->req, due);
    }
    eng_sc_check_done(sc);
}

void eng_on_arrival(ev_loop *loop, ev_timer *t)
{
    eng_open_pump(t->data, ev_now(loop));
}

void eng_open_drop_backlog(eng_sc *sc, mono_ns now)
{
    eng_thread *th = sc->th;
    while (!sc->sched_done) {
        uint64_t off;
        if (sched_time(sc->sch, sc->next_k, &sc->hint, &off) != 0 || sc->t_begin + off > now)
            return;
        stats_dropped(&th->st, eng_pick(sc, &th->rng)->label, 1);
        sc->next_k += sc->stride;
    }
}

void eng_open_begin(eng_sc *sc, mono_ns start)
{
    sc->t_end = start + plan_scenario_duration(sc->ps);
    if (sc->n_users == 0)
        sc->sched_done = true;
    else
        eng_open_pump(sc, start);
}
