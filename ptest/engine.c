/* engine.c - worker threads running the plan's closed users and open arrivals. */
#include "engine.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void thread_finish(eng_thread *th);

/* ---------------------------------------------------------------- helpers ---------- */

static const client_req *pick(eng_sc *sc, rng *r)
{
    if (sc->n_reqs == 1)
        return &sc->reqs[0];
    uint64_t x = rng_below(r, sc->wtotal);
    for (size_t i = 0; i < sc->n_reqs; i++)
        if (x < sc->cumw[i])
            return &sc->reqs[i];
    return &sc->reqs[sc->n_reqs - 1];
}

static uint64_t ns_to_ms(uint64_t ns)
{
    return (ns + CLOCK_NS_PER_MS / 2) / CLOCK_NS_PER_MS;
}

static void jtl_record(eng_thread *th, eng_user *u, const client_result *r, uint64_t lat)
{
    engine *e = th->eng;
    const client_req *q = u->req;
    size_t qi = (size_t)(q - e->reqs);
    jtl_row row;
    mono_ns origin = r->intended >= e->start ? r->intended - e->start : 0;
    row.ts_ms = (e->wall_start + origin) / CLOCK_NS_PER_MS;
    row.elapsed_ms = ns_to_ms(lat);
    row.label_csv = e->label_csv[q->label];
    row.thread_csv = u->thread_csv;
    row.bytes = r->bytes_rx;
    row.sent_bytes = r->bytes_tx;
    row.grp_threads = u->sc->grp;
    row.all_threads = e->all_threads;
    row.url_csv = e->url_csv[qi];
    row.latency_ms = r->t_first > r->intended ? ns_to_ms(r->t_first - r->intended) : 0;
    row.connect_ms = ns_to_ms(r->connect_ns);
    row.success = r->kind == STATS_OK;
    row.err_name = stats_err_name(r->kind);
    if (stats_err_has_response(r->kind)) {
        row.status = r->status;
        row.message = http_reason(r->status);
        row.failure = r->kind == STATS_ERR_STATUS        ? e->fail_status[qi]
                      : r->kind == STATS_ERR_EXPECTATION ? "body does not contain the expected text"
                                                         : "";
    } else {
        row.status = 0;
        row.message = stats_err_text(r->kind);
        row.failure = stats_err_text(r->kind);
    }
    jtl_row_add(&th->jtl, &row);
}

static void record(eng_thread *th, eng_user *u, const client_result *r)
{
    if (r->connected)
        stats_connect(&th->st, STATS_OK);
    else if (r->conn_failed)
        stats_connect(&th->st, r->kind);
    uint64_t lat = r->t_done > r->intended ? r->t_done - r->intended : 0;
    uint64_t svc = r->t_send && r->t_done > r->t_send ? r->t_done - r->t_send : 0;
    stats_record(&th->st, u->req->label, r->t_done, r->kind, r->status, lat, svc, r->bytes_rx,
                 r->bytes_tx);
    if (th->jtl.fd >= 0)
        jtl_record(th, u, r, lat);
}

static void sc_check_done(eng_sc *sc)
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
        thread_finish(th);
}

/* ---------------------------------------------------------------- closed model ----- */

static void user_finish(eng_user *u)
{
    if (u->finished)
        return;
    u->finished = true;
    eng_sc *sc = u->sc;
    ev_timer_stop(sc->th->loop, &u->timer);
    client_close(&u->conn);
    sc->active--;
    sc_check_done(sc);
}

static void user_iterate(eng_user *u, mono_ns intended)
{
    eng_sc *sc = u->sc;
    eng_thread *th = sc->th;
    uint64_t iters = sc->ps->iterations;
    if (th->stopping || intended >= sc->t_end || (iters && u->iters >= iters)) {
        user_finish(u);
        return;
    }
    u->req = sc->ps->order == PLAN_ORDER_SEQUENCE ? &sc->reqs[u->seq] : pick(sc, &th->rng);
    sc->inflight++;
    client_send(&u->conn, u->req, intended);
}

static void on_user_timer(ev_loop *loop, ev_timer *t)
{
    (void)loop;
    eng_user *u = t->data;
    user_iterate(u, u->next);
}

static uint64_t think_ns(eng_sc *sc, rng *r)
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

static void closed_done(eng_user *u, const client_result *r)
{
    eng_sc *sc = u->sc;
    eng_thread *th = sc->th;
    /* In a sequence an iteration is one pass over the requests (a JMeter loop). */
    if (sc->ps->order != PLAN_ORDER_SEQUENCE || ++u->seq == sc->n_reqs) {
        u->seq = 0;
        u->iters++;
    }
    uint64_t wait = r->conn_failed ? ENGINE_CONNECT_BACKOFF : think_ns(sc, &th->rng);
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
    ev_timer_start(th->loop, &u->timer, next);
}

static void on_scenario_end(ev_loop *loop, ev_timer *t)
{
    (void)loop;
    eng_sc *sc = t->data;
    /* Users waiting (ramp-up, think, backoff) finish now; those in flight when their
     * answer arrives. */
    for (size_t i = 0; i < sc->n_users && !sc->done; i++) {
        eng_user *u = &sc->users[i];
        if (!u->finished && !client_busy(&u->conn))
            user_finish(u);
    }
}

/* ---------------------------------------------------------------- open model ------- */

static void open_pump(eng_sc *sc, mono_ns now)
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
            stats_dropped(&th->st, pick(sc, &th->rng)->label, 1);
            sc->next_k += sc->stride;
            continue;
        }
        if (sc->n_avail == 0) {
            sc->blocked = true;
            return; /* backlog: resumed when a connection frees up */
        }
        eng_user *u = sc->avail[--sc->n_avail];
        u->req = pick(sc, &th->rng);
        if (sc->blocked)
            stats_queued(&th->st, u->req->label);
        sc->inflight++;
        sc->next_k += sc->stride;
        client_send(&u->conn, u->req, due);
    }
    sc_check_done(sc);
}

static void on_arrival(ev_loop *loop, ev_timer *t)
{
    open_pump(t->data, ev_now(loop));
}

/* Drops the arrivals that are due but were never sent (at a stop). */
static void open_drop_backlog(eng_sc *sc, mono_ns now)
{
    eng_thread *th = sc->th;
    while (!sc->sched_done) {
        uint64_t off;
        if (sched_time(sc->sch, sc->next_k, &sc->hint, &off) != 0 || sc->t_begin + off > now)
            return;
        stats_dropped(&th->st, pick(sc, &th->rng)->label, 1);
        sc->next_k += sc->stride;
    }
}

/* ---------------------------------------------------------------- both ------------- */

static void on_done(client_conn *c, const client_result *r)
{
    eng_user *u = c->owner;
    eng_sc *sc = u->sc;
    eng_thread *th = sc->th;
    sc->inflight--;
    record(th, u, r);
    u->req = NULL;
    if (th->stopping)
        return;
    if (sc->ps->model == PLAN_CLOSED) {
        closed_done(u, r);
    } else {
        sc->avail[sc->n_avail++] = u;
        open_pump(sc, r->t_done);
    }
    sc_check_done(sc);
}

static void on_tick(ev_loop *loop, ev_timer *t)
{
    eng_thread *th = t->data;
    mono_ns now = ev_now(loop);
    stats_roll(&th->st, now);
    (void)jtl_flush(&th->jtl);
    mono_ns start = th->eng->start;
    uint64_t sec = now > start ? (now - start) / CLOCK_NS_PER_SEC : 0;
    ev_timer_start(loop, t, start + (sec + 1) * CLOCK_NS_PER_SEC);
}

static void on_sweep(ev_loop *loop, ev_timer *t)
{
    eng_thread *th = t->data;
    mono_ns now = ev_now_update(loop);
    for (size_t i = 0; i < th->n_users && !th->stopping; i++)
        if (client_busy(&th->users[i].conn))
            client_check_timeout(&th->users[i].conn, now);
    if (th->sc_left > 0)
        ev_timer_start(loop, t, now + th->eng->sweep_ns);
}

static void thread_finish(eng_thread *th)
{
    ev_timer_stop(th->loop, &th->tick);
    ev_timer_stop(th->loop, &th->sweep);
    for (size_t i = 0; i < th->n_users; i++) {
        ev_timer_stop(th->loop, &th->users[i].timer);
        client_close(&th->users[i].conn);
    }
    for (size_t i = 0; i < th->n_sc; i++) {
        ev_timer_stop(th->loop, &th->sc[i].endt);
        ev_timer_stop(th->loop, &th->sc[i].arrival);
    }
    stats_roll_slow(&th->st, clock_mono_now(), true);
    (void)jtl_flush(&th->jtl);
    __atomic_store_n(&th->finished, 1, __ATOMIC_RELEASE);
    if (th->eng->o.notify)
        ev_wake(th->eng->o.notify);
    ev_break(th->loop);
}

static void on_wake(ev_loop *loop, void *arg)
{
    eng_thread *th = arg;
    if (th->stopping || !__atomic_load_n(&th->stop_flag, __ATOMIC_ACQUIRE))
        return;
    if (__atomic_load_n(&th->finished, __ATOMIC_ACQUIRE))
        return;
    th->stopping = true;
    mono_ns now = ev_now_update(loop);
    for (size_t i = 0; i < th->n_sc; i++) {
        eng_sc *sc = &th->sc[i];
        if (sc->ps->model == PLAN_OPEN && !sc->done)
            open_drop_backlog(sc, now);
        sc->inflight = 0;
        sc->done = true;
    }
    th->sc_left = 0;
    thread_finish(th);
}

static void thread_begin(eng_thread *th)
{
    engine *e = th->eng;
    ev_loop *loop = th->loop;
    th->st.start = e->start;
    th->st.sec = 0;
    th->st.sec_end = e->start + CLOCK_NS_PER_SEC;
    ev_timer_start(loop, &th->tick, e->start + CLOCK_NS_PER_SEC);
    ev_timer_start(loop, &th->sweep, e->start + e->sweep_ns);
    th->sc_left = th->n_sc;
    for (size_t i = 0; i < th->n_sc; i++) {
        eng_sc *sc = &th->sc[i];
        const plan_scenario *ps = sc->ps;
        sc->t_begin = e->start + ps->start_delay_ns;
        if (ps->model == PLAN_CLOSED) {
            bool by_count = ps->hold_for_ns == 0 && ps->iterations > 0;
            sc->t_end = by_count ? UINT64_MAX : e->start + plan_scenario_duration(ps);
            sc->active = sc->n_users;
            for (size_t j = 0; j < sc->n_users; j++) {
                eng_user *u = &sc->users[j];
                /* User n of N starts at ramp_up * n / N (n counted over all threads). */
                uint64_t n = u->num - 1;
                double at = (double)ps->ramp_up_ns * (double)n / (double)(ps->users ? ps->users : 1);
                u->next = sc->t_begin + (uint64_t)at;
                ev_timer_start(loop, &u->timer, u->next);
            }
            if (!by_count)
                ev_timer_start(loop, &sc->endt, sc->t_end);
        } else {
            sc->t_end = e->start + plan_scenario_duration(ps);
            if (sc->n_users == 0)
                sc->sched_done = true;
            else
                open_pump(sc, e->start);
        }
    }
    /* Scenarios without work on this thread are done at once. */
    for (size_t i = 0; i < th->n_sc; i++)
        sc_check_done(&th->sc[i]);
}

static void *thread_main(void *arg)
{
    eng_thread *th = arg;
    thread_begin(th);
    if (!__atomic_load_n(&th->finished, __ATOMIC_ACQUIRE))
        (void)ev_run(th->loop);
    if (!__atomic_load_n(&th->finished, __ATOMIC_ACQUIRE)) {
        /* The loop failed (epoll error): publish what was measured and end. */
        thread_finish(th);
    }
    return NULL;
}

/* ---------------------------------------------------------------- setup ------------ */

static void thread_free(eng_thread *th)
{
    if (th->users)
        for (size_t i = 0; i < th->n_users; i++)
            free(th->users[i].thread_csv);
    if (th->sc)
        for (size_t i = 0; i < th->n_sc; i++)
            free(th->sc[i].avail);
    free(th->sc);
    free(th->users);
    free(th->rbufs);
    jtl_buf_fini(&th->jtl);
    stats_thread_fini(&th->st);
    ev_destroy(th->loop);
}

static int thread_setup(engine *e, eng_thread *th, char *err, size_t errlen)
{
    const plan *p = e->p;
    unsigned T = e->n_threads;
    th->eng = e;
    th->jtl.fd = -1;
    th->loop = ev_create();
    if (!th->loop) {
        snprintf(err, errlen, "cannot create an event loop: %s", strerror(errno));
        return -1;
    }
    ev_set_wake(th->loop, on_wake, th);
    ev_timer_init(&th->tick, on_tick, th);
    ev_timer_init(&th->sweep, on_sweep, th);
    if (stats_thread_init(&th->st, e->n_labels, 0) != 0 || jtl_buf_init(&th->jtl, e->o.jtl_fd) != 0)
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
        eng_sc *sc = &th->sc[i];
        sc->ps = ps;
        sc->th = th;
        sc->reqs = &e->reqs[e->req_off[i]];
        sc->cumw = &e->cumw[e->req_off[i]];
        sc->n_reqs = ps->n_requests;
        sc->wtotal = sc->cumw[sc->n_reqs - 1];
        ev_timer_init(&sc->endt, on_scenario_end, sc);
        ev_timer_init(&sc->arrival, on_arrival, sc);
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
    th->rbufs = calloc(total ? total : 1, CLIENT_RBUF_SIZE);   /* untouched pages cost no RAM */
    if (!th->users || !th->rbufs)
        goto nomem;
    size_t k = 0;
    for (size_t i = 0; i < th->n_sc; i++) {
        eng_sc *sc = &th->sc[i];
        sc->users = &th->users[k];
        for (size_t j = 0; j < sc->n_users; j++, k++) {
            eng_user *u = &th->users[k];
            u->sc = sc;
            /* Closed: global user number j * T + idx; open: slot number in the scenario. */
            u->num = sc->ps->model == PLAN_CLOSED ? (uint32_t)(j * T + th->idx + 1)
                                                  : (uint32_t)(j * sc->stride + th->idx + 1);
            client_conn_init(&u->conn, th->loop, e->target, th->rbufs + k * CLIENT_RBUF_SIZE,
                             CLIENT_RBUF_SIZE, on_done, u, u->num);
            ev_timer_init(&u->timer, on_user_timer, u);
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
        client_req_free(&e->reqs[i]);
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
            sched_fini(&e->scheds[i]);
    free(e->scheds);
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
        if (!(e->url_csv[i] = jtl_csv_field(e->reqs[i].url)) ||
            !(e->fail_status[i] = jtl_csv_field(msg)))
            return -1;
    }
    return 0;
}

int engine_create(engine **out, const plan *p, const client_target *t, const engine_opts *o,
                  char *err, size_t errlen)
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
    if (!e->reqs || !e->cumw || !e->req_off || !e->scheds)
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
                    client_req_free(&e->reqs[m]);
                e->n_reqs = 0;
                goto fail;
            }
            cum += pr->weight ? pr->weight : 1;
            e->cumw[k] = cum;
        }
        if (ps->model == PLAN_OPEN && sched_init(&e->scheds[i], ps->stages, ps->n_stages) != 0) {
            snprintf(err, errlen, "scenario %s: invalid stages", ps->name);
            goto fail;
        }
    }
    if (o->jtl_fd >= 0 && setup_jtl_strings(e) != 0)
        goto nomem;

    /* Timeouts are checked by a sweep; its period bounds their precision. */
    uint64_t tmin = t->connect_timeout_ns < t->request_timeout_ns ? t->connect_timeout_ns
                                                                   : t->request_timeout_ns;
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

int engine_start(engine *e, mono_ns start, char *err, size_t errlen)
{
    e->start = start;
    e->wall_start = clock_wall_now() - (clock_mono_now() - start);
    /* Workers never handle signals: the coordinator does (ev_wake is how it reaches them). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    int rc = 0;
    for (unsigned i = 0; i < e->n_threads; i++) {
        rc = pthread_create(&e->th[i].tid, &attr, thread_main, &e->th[i]);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start thread: %s", strerror(rc));
            break;
        }
        e->th[i].started = true;
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        engine_stop(e);
        engine_join(e);
        return -1;
    }
    return 0;
}

void engine_stop(engine *e)
{
    for (unsigned i = 0; i < e->n_threads; i++) {
        __atomic_store_n(&e->th[i].stop_flag, 1, __ATOMIC_RELEASE);
        if (e->th[i].loop)
            ev_wake(e->th[i].loop);
    }
}

bool engine_finished(const engine *e)
{
    for (unsigned i = 0; i < e->n_threads; i++)
        if (e->th[i].started && !__atomic_load_n(&e->th[i].finished, __ATOMIC_ACQUIRE))
            return false;
    return true;
}

void engine_join(engine *e)
{
    for (unsigned i = 0; i < e->n_threads; i++) {
        if (e->th[i].started) {
            pthread_join(e->th[i].tid, NULL);
            e->th[i].started = false;
        }
    }
}

unsigned engine_threads(const engine *e)
{
    return e->n_threads;
}

size_t engine_n_labels(const engine *e)
{
    return e->n_labels;
}

const char *engine_label(const engine *e, size_t i)
{
    return i < e->n_labels ? e->labels[i] : NULL;
}

stats_thread *engine_thread_stats(engine *e, unsigned i)
{
    return i < e->n_threads ? &e->th[i].st : NULL;
}

int engine_label_totals(engine *e, size_t i, stats_label *dst)
{
    for (unsigned t = 0; t < e->n_threads; t++) {
        int rc = stats_label_merge(dst, &e->th[t].st.labels[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

uint64_t engine_jtl_lost(const engine *e)
{
    uint64_t n = 0;
    for (unsigned t = 0; t < e->n_threads; t++)
        n += e->th[t].jtl.lost;
    return n;
}

uint32_t engine_all_threads(const engine *e)
{
    return e->all_threads;
}
