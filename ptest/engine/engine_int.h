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

#include <regex.h>

#include "cookie.h"
#include "engine.h"
#include "extract.h"
#include "jtl.h"
#include "rng.h"
#include "schedule.h"

typedef struct engine_thread engine_thread;
typedef struct engine_sc engine_sc;

/* A user's journey state (engine_journey.c): its variables and the buffers that rendering,
 * extraction and cookies need; allocated at engine_create for the users of scenarios that
 * use any of them, NULL for the others. */
typedef struct engine_journey {
    vars_val *vals;   /* [p->n_vars]: constants point into the plan, the others below */
    char *wbuf;       /* CLIENT_MAX_WIRE: the request rendered for this send */
    char *store;      /* extracted values: slot i (engine.var_slot) at i * EXTRACT_MAX_VALUE */
    char *kept;       /* EXTRACT_MAX_BODY + 1: the body of a request with json/regex rules */
    bool failed;      /* an extraction of the request in flight found nothing */
    cookie_jar *jar;  /* scenario cookies: on, else NULL */
    const char *path; /* the request target of the request in flight, as sent (for Set-Cookie) */
    size_t path_len;
} engine_journey;

/* The compiled extractions of one request (engine.rules, parallel to engine.reqs). */
typedef struct engine_rules {
    size_t n;
    const plan_extract *x; /* [n] the plan's */
    regex_t *re;           /* [n], compiled for PLAN_EXTRACT_REGEX only */
    bool body;             /* a json or regex rule: the body is kept */
} engine_rules;

/* A closed-model user, or one connection slot of an open scenario. */
typedef struct engine_user {
    client_conn conn;
    evloop_timer timer; /* closed: start, think time, connect backoff */
    engine_sc *sc;
    const client_req *req; /* the request in flight */
    mono_ns next;          /* closed: intended start of the next iteration */
    uint64_t iters;
    size_t seq;            /* closed, order: sequence: index of the next request */
    uint32_t num;          /* 1-based number in the scenario (JMeter thread names) */
    uint8_t local_backoff; /* closed: consecutive local-limit failures (backoff shift) */
    bool finished;
    char *thread_csv;   /* JTL thread name, NULL without JTL */
    engine_journey *ju; /* NULL: a scenario without journey features */
} engine_user;

/* One thread's share of one scenario. */
struct engine_sc {
    const plan_scenario *ps;
    engine_thread *th;
    const client_req *reqs; /* [n_reqs], shared read-only */
    const uint64_t *cumw;   /* cumulative weights, shared */
    size_t n_reqs;
    uint64_t wtotal;
    mono_ns t_begin, t_end; /* t_end == UINT64_MAX: bounded by iterations only */
    size_t n_users;
    engine_user *users;
    size_t active; /* closed: users that have not finished */
    size_t inflight;
    bool done;
    evloop_timer endt;
    uint32_t grp; /* users / max connections of the whole scenario */
    /* open */
    const schedule *sch;
    schedule_cursor cur;
    uint64_t next_k, stride;
    bool sched_done;
    bool blocked; /* arrivals are waiting for a connection */
    evloop_timer arrival;
    engine_user **avail; /* free connection slots, LIFO (warm ones on top) */
    size_t n_avail;
    bool journey;       /* its users have journey state (engine_journey_needed) */
    uint64_t exhausted; /* closed users stopped because their unique data ran out */
};

struct engine_thread {
    engine *eng;
    unsigned idx;
    pthread_t tid;
    bool started;
    evloop *loop;
    rng rng;
    stats_thread st;
    instances inst; /* X-Served-By values of this thread's responses */
    jtl_buf jtl;
    evloop_timer tick, sweep;
    size_t n_sc;
    engine_sc *sc;
    engine_user *users; /* every user/slot of this thread, [n_users] */
    size_t n_users;
    char *rbufs;   /* each user's read buffer, [n_users * CLIENT_RBUF_SIZE] */
    char *scratch; /* the thread's receive buffer (client_conn.scratch) */
    size_t sc_left;
    bool stopping;
    int stop_flag; /* __atomic */
    int finished;  /* __atomic */
};

struct engine {
    const plan *p;
    const client_target *target; /* [1 + p->n_targets] (engine_create) */
    engine_opts o;
    unsigned n_threads;
    engine_thread *th;
    size_t n_labels;
    const char **labels;
    char **label_csv; /* [n_labels], only with JTL */
    size_t n_reqs;
    client_req *reqs;    /* every request of the plan, scenario after scenario */
    char **url_csv;      /* [n_reqs], only with JTL */
    char **fail_status;  /* [n_reqs], only with JTL */
    uint64_t *cumw;      /* [n_reqs] */
    size_t *req_off;     /* [n_scenarios] first request of each scenario */
    schedule *scheds;    /* [n_scenarios], empty for closed ones */
    uint64_t *data_next; /* [p->n_data] (atomic): the next row of sequential and unique data */
    engine_rules *rules; /* [n_reqs] */
    int32_t *var_slot;   /* [p->n_vars]: the store slot of an extracted variable, else -1 */
    size_t n_slots;
    uint32_t all_threads;
    mono_ns start;
    wall_ns wall_start;
    uint64_t sweep_ns;
};

/* engine.c: stops th's timers and connections, publishes its last second and ends its
 * loop (th->finished is set). */
void engine_thread_finish(engine_thread *th);
/* engine.c: the client_done_fn of every user/slot, the per-second tick, the timeout
 * sweep and the stop wake-up. */
void engine_on_done(client_conn *c, const client_result *r);
void engine_on_tick(evloop *loop, evloop_timer *t);
void engine_on_sweep(evloop *loop, evloop_timer *t);
void engine_on_wake(evloop *loop, void *arg);

/* engine_closed.c: the closed model. */
void engine_closed_begin(engine_sc *sc, mono_ns start);          /* schedules the users' starts */
void engine_closed_done(engine_user *u, const client_result *r); /* after a recorded response */
void engine_on_user_timer(evloop *loop, evloop_timer *t);
void engine_on_scenario_end(evloop *loop, evloop_timer *t);

/* engine_journey.c: variables, data, extraction and cookies of a user.
 *   engine_journey_needed  whether a scenario's users need state (and c->hooks)
 *   engine_journey_init    allocates u's state (u->sc set); 0 or -1 (out of memory)
 *   engine_journey_fini    frees it
 *   engine_journey_hooks   the client hooks of journey users */
bool engine_journey_needed(const plan *p, const plan_scenario *ps);
int engine_journey_init(engine_user *u, const plan *p);
/* engine_create: compiles every request's extractions and numbers the extracted variables
 * (e->rules, e->var_slot); 0 or -1 with err filled. engine_journey_rules_fini frees them. */
int engine_journey_rules(engine *e, char *err, size_t errlen);
void engine_journey_rules_fini(engine *e);
/* Gives u the next row of its scenario's data (a closed user at each iteration's start);
 * false when unique data ran out (the user stops). */
bool engine_journey_row(engine_user *u);
void engine_journey_fini(engine_user *u);
extern const client_hooks engine_journey_hooks;

/* engine_open.c: the open model. */
void engine_open_begin(engine_sc *sc, mono_ns start);
/* Sends the arrivals due at now while connections are free; arms the arrival timer. */
void engine_open_pump(engine_sc *sc, mono_ns now);
/* Drops the arrivals that are due but were never sent (at a stop). */
void engine_open_drop_backlog(engine_sc *sc, mono_ns now);
void engine_on_arrival(evloop *loop, evloop_timer *t);

/* Both models, per request: inline so that the hot path keeps no extra call. */

/* The scenario's weighted pick (per-thread rng). */
static inline const client_req *engine_pick(engine_sc *sc, rng *r)
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
static inline void engine_sc_check_done(engine_sc *sc)
{
    if (sc->done)
        return;
    bool over = sc->ps->model == PLAN_CLOSED ? sc->active == 0 : sc->sched_done;
    if (!over || sc->inflight > 0)
        return;
    sc->done = true;
    engine_thread *th = sc->th;
    evloop_timer_stop(th->loop, &sc->endt);
    evloop_timer_stop(th->loop, &sc->arrival);
    if (--th->sc_left == 0)
        engine_thread_finish(th);
}

#endif
