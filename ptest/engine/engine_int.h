/* engine_int.h - private to the engine: the engine, thread, scenario-share and user
 * structures, and the calls between engine.c (threads, lifecycle, recording),
 * engine_setup.c (create/destroy), engine_closed.c and engine_open.c (the load models).
 *
 * Everything here runs on the owning worker thread unless said otherwise; nothing is for
 * callers outside ptest/engine*.c.
 */
#ifndef PTEST_ENGINE_INT_H
#define PTEST_ENGINE_INT_H

#include <pthread.h>

#include "engine.h"
#include "jtl.h"
#include "rng.h"
#include "schedule.h"

typedef struct eng_thread eng_thread;
typedef struct eng_sc eng_sc;

/* A closed-model user, or one connection slot of an open scenario. */
typedef struct eng_user {
    client_conn conn;
    ev_timer timer;              /* closed: start, think time, connect backoff */
    eng_sc *sc;
    const client_req *req;       /* the request in flight */
    mono_ns next;                /* closed: intended start of the next iteration */
    uint64_t iters;
    size_t seq;                  /* closed, order: sequence: index of the next request */
    uint32_t num;                /* 1-based number in the scenario (JMeter thread names) */
    uint8_t local_backoff;       /* closed: consecutive local-limit failures (backoff shift) */
    bool finished;
    char *thread_csv;            /* JTL thread name, NULL without JTL */
} eng_user;

/* One thread's share of one scenario. */
struct eng_sc {
    const plan_scenario *ps;
    eng_thread *th;
    const client_req *reqs;      /* [n_reqs], shared read-only */
    const uint64_t *cumw;        /* cumulative weights, shared */
    size_t n_reqs;
    uint64_t wtotal;
    mono_ns t_begin, t_end;      /* t_end == UINT64_MAX: bounded by iterations only */
    size_t n_users;
    eng_user *users;
    size_t active;               /* closed: users that have not finished */
    size_t inflight;
    bool done;
    ev_timer endt;
    uint32_t grp;                /* users / max connections of the whole scenario */
    /* open */
    const sched *sch;
    size_t hint;
    uint64_t next_k, stride;
    bool sched_done;
    bool blocked;                /* arrivals are waiting for a connection */
    ev_timer arrival;
    eng_user **avail;            /* free connection slots, LIFO (warm ones on top) */
    size_t n_avail;
};

struct eng_thread {
    engine *eng;
    unsigned idx;
    pthread_t tid;
    bool started;
    ev_loop *loop;
    rng rng;
    stats_thread st;
    jtl_buf jtl;
    ev_timer tick, sweep;
    size_t n_sc;
    eng_sc *sc;
    eng_user *users;             /* every user/slot of this thread, [n_users] */
    size_t n_users;
    char *rbufs;
    size_t sc_left;
    bool stopping;
    int stop_flag;               /* __atomic */
    int finished;                /* __atomic */
};

struct engine {
    const plan *p;
    const client_target *target;
    engine_opts o;
    unsigned n_threads;
    eng_thread *th;
    size_t n_labels;
    const char **labels;
    char **label_csv;            /* [n_labels], only with JTL */
    size_t n_reqs;
    client_req *reqs;            /* every request of the plan, scenario after scenario */
    char **url_csv;              /* [n_reqs], only with JTL */
    char **fail_status;          /* [n_reqs], only with JTL */
    uint64_t *cumw;              /* [n_reqs] */
    size_t *req_off;             /* [n_scenarios] first request of each scenario */
    sched *scheds;               /* [n_scenarios], empty for closed ones */
    uint32_t all_threads;
    mono_ns start;
    wall_ns wall_start;
    uint64_t sweep_ns;
};

/* engine.c: stops th's timers and connections, publishes its last second and ends its
 * loop (th->finished is set). */
void eng_thread_finish(eng_thread *th);
/* engine.c: the client_done_fn of every user/slot, the per-second tick, the timeout
 * sweep and the stop wake-up. */
void eng_on_done(client_conn *c, const client_result *r);
void eng_on_tick(ev_loop *loop, ev_timer *t);
void eng_on_sweep(ev_loop *loop, ev_timer *t);
void eng_on_wake(ev_loop *loop, void *arg);

/* engine_closed.c: the closed model. */
void eng_closed_begin(eng_sc *sc, mono_ns start);            /* schedules the users' starts */
void eng_closed_done(eng_user *u, const client_result *r);   /* after a recorded response */
void eng_on_user_timer(ev_loop *loop, ev_timer *t);
void eng_on_scenario_end(ev_loop *loop, ev_timer *t);

/* engine_open.c: the open model. */
void eng_open_begin(eng_sc *sc, mono_ns start);
/* Sends the arrivals due at now while connections are free; arms the arrival timer. */
void eng_open_pump(eng_sc *sc, mono_ns now);
/* Drops the arrivals that are due but were never sent (at a stop). */
void eng_open_drop_backlog(eng_sc *sc, mono_ns now);
void eng_on_arrival(ev_loop *loop, ev_timer *t);

/* Both models, per request: inline so that the hot path keeps no extra call. */

/* The scenario's weighted pick (per-thread rng). */
static inline const client_req *eng_pick(eng_sc *sc, rng *r)
{
    if (sc->n_reqs == 1)
        return &sc->reqs[0];
    uint64_t x = rng_below(r, sc->wtotal);
    for (size_t i = 0; i < sc->n_reqs; i++)
        if (x < sc->cumw[i])
            return &sc->reqs[i];
    return &sc->reqs[sc->n_reqs - 1];
}

/* Marks sc done once its time is up and nothing is in flight; finishes the thread with
 * its last scenario. */
static inline void eng_sc_check_done(eng_sc *sc)
{
    if (sc->done)
        return;
    bool over = sc->ps->model == PLAN_CLOSED ? sc->active == 0 : sc->sched_done;
    if (!over || sc->inflight > 0)
        return;
    sc->done = true;
    eng_thread *th = sc->th;
    ev_timer_stop(th->loop, &sc->endt);
    ev_timer_stop(th->loop, &sc->arrival);
    if (--th->sc_left == 0)
        eng_thread_finish(th);
}

#endif
