/* engine.c - worker threads (one event loop each), their lifecycle, the recording of each
 * outcome into the thread's own statistics and JTL buffer, and the merge after join.
 * The load models are in engine_closed.c and engine_open.c, setup in engine_setup.c. */
#include "engine_int.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- recording -------- */

static uint64_t ns_to_ms(uint64_t ns)
{
    return (ns + CLOCK_NS_PER_MS / 2) / CLOCK_NS_PER_MS;
}

static void jtl_record(engine_thread *th, engine_user *u, const client_result *r, uint64_t lat)
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
    /* As JMeter's Connect: the TCP connect and, for https, the TLS handshake. */
    row.connect_ms = ns_to_ms(r->connect_ns + r->handshake_ns);
    row.success = r->kind == STATS_OK;
    row.err_name = stats_err_name(r->kind);
    if (stats_err_has_response(r->kind)) {
        row.status = r->status;
        row.message = http_reason(r->status);
        row.failure = r->kind == STATS_ERR_STATUS        ? e->fail_status[qi]
                      : r->kind == STATS_ERR_EXPECTATION ? "body does not contain the expected text"
                      : r->kind == STATS_ERR_EXTRACT     ? "an extraction found nothing"
                                                         : "";
    } else {
        row.status = 0;
        row.message = stats_err_text(r->kind);
        row.failure = stats_err_text(r->kind);
    }
    jtl_row_add(&th->jtl, &row);
}

static void record(engine_thread *th, engine_user *u, const client_result *r)
{
    if (stats_err_is_local(r->kind)) {
        /* The generator's own limit: not a sample (no JTL row), not a connect failure of
         * the target (the "unreachable" verdict), not a request in count/errors. */
        stats_record(&th->st, u->req->label, r->t_done, r->kind, 0, 0, 0, 0, 0);
        return;
    }
    if (r->connected)
        stats_connect(&th->st, u->req->label, STATS_OK);
    else if (r->conn_failed)
        stats_connect(&th->st, u->req->label, r->kind);
    if (r->instance >= 0 && stats_err_has_response(r->kind))
        instances_count(&th->inst, u->req->label, (unsigned)r->instance);
    uint64_t lat = r->t_done > r->intended ? r->t_done - r->intended : 0;
    uint64_t svc = r->t_send && r->t_done > r->t_send ? r->t_done - r->t_send : 0;
    stats_record(&th->st, u->req->label, r->t_done, r->kind, r->status, lat, svc, r->bytes_rx, r->bytes_tx);
    if (r->handshake)
        stats_handshake(&th->st, u->req->label, r->handshake_ns, r->resumed);
    if (th->jtl.fd >= 0)
        jtl_record(th, u, r, lat);
}

/* ---------------------------------------------------------------- thread loop ------ */

void engine_on_done(client_conn *c, const client_result *r)
{
    engine_user *u = c->owner;
    engine_sc *sc = u->sc;
    engine_thread *th = sc->th;
    sc->inflight--;
    stats_end(&th->st, u->req->label);
    record(th, u, r);
    u->req = NULL;
    if (th->stopping)
        return;
    if (sc->ps->model == PLAN_CLOSED) {
        engine_closed_done(u, r);
    } else {
        sc->avail[sc->n_avail++] = u;
        engine_open_pump(sc, r->t_done);
    }
    engine_sc_check_done(sc);
}

void engine_on_tick(evloop *loop, evloop_timer *t)
{
    engine_thread *th = t->data;
    mono_ns now = evloop_now(loop);
    stats_roll(&th->st, now);
    (void)jtl_flush(&th->jtl);
    mono_ns start = th->eng->start;
    uint64_t sec = now > start ? (now - start) / CLOCK_NS_PER_SEC : 0;
    evloop_timer_start(loop, t, start + (sec + 1) * CLOCK_NS_PER_SEC);
}

void engine_on_sweep(evloop *loop, evloop_timer *t)
{
    engine_thread *th = t->data;
    mono_ns now = evloop_now_update(loop);
    for (size_t i = 0; i < th->n_users && !th->stopping; i++)
        if (client_busy(&th->users[i].conn))
            client_check_timeout(&th->users[i].conn, now);
    if (th->sc_left > 0)
        evloop_timer_start(loop, t, now + th->eng->sweep_ns);
}

void engine_thread_finish(engine_thread *th)
{
    evloop_timer_stop(th->loop, &th->tick);
    evloop_timer_stop(th->loop, &th->sweep);
    for (size_t i = 0; i < th->n_users; i++) {
        evloop_timer_stop(th->loop, &th->users[i].timer);
        client_close(&th->users[i].conn);
    }
    for (size_t i = 0; i < th->n_sc; i++) {
        evloop_timer_stop(th->loop, &th->sc[i].endt);
        evloop_timer_stop(th->loop, &th->sc[i].arrival);
    }
    stats_roll_slow(&th->st, clock_mono_now(), true);
    (void)jtl_flush(&th->jtl);
    __atomic_store_n(&th->finished, 1, __ATOMIC_RELEASE);
    if (th->eng->o.notify)
        evloop_wake(th->eng->o.notify);
    evloop_break(th->loop);
}

void engine_on_wake(evloop *loop, void *arg)
{
    engine_thread *th = arg;
    if (th->stopping || !__atomic_load_n(&th->stop_flag, __ATOMIC_ACQUIRE))
        return;
    if (__atomic_load_n(&th->finished, __ATOMIC_ACQUIRE))
        return;
    th->stopping = true;
    mono_ns now = evloop_now_update(loop);
    for (size_t i = 0; i < th->n_sc; i++) {
        engine_sc *sc = &th->sc[i];
        if (sc->ps->model == PLAN_OPEN && !sc->done)
            engine_open_drop_backlog(sc, now);
        sc->inflight = 0;
        sc->done = true;
    }
    th->sc_left = 0;
    engine_thread_finish(th);
}

static void thread_begin(engine_thread *th)
{
    engine *e = th->eng;
    evloop *loop = th->loop;
    th->st.start = e->start;
    th->st.sec = 0;
    th->st.sec_end = e->start + CLOCK_NS_PER_SEC;
    evloop_timer_start(loop, &th->tick, e->start + CLOCK_NS_PER_SEC);
    evloop_timer_start(loop, &th->sweep, e->start + e->sweep_ns);
    th->sc_left = th->n_sc;
    for (size_t i = 0; i < th->n_sc; i++) {
        engine_sc *sc = &th->sc[i];
        sc->t_begin = e->start + sc->ps->start_delay_ns;
        if (sc->ps->model == PLAN_CLOSED)
            engine_closed_begin(sc, e->start);
        else
            engine_open_begin(sc, e->start);
    }
    /* Scenarios without work on this thread are done at once. */
    for (size_t i = 0; i < th->n_sc; i++)
        engine_sc_check_done(&th->sc[i]);
}

static void *thread_main(void *arg)
{
    engine_thread *th = arg;
    thread_begin(th);
    if (!__atomic_load_n(&th->finished, __ATOMIC_ACQUIRE))
        (void)evloop_run(th->loop);
    if (!__atomic_load_n(&th->finished, __ATOMIC_ACQUIRE)) {
        /* The loop failed (epoll error): publish what was measured and end. */
        engine_thread_finish(th);
    }
    return NULL;
}

/* ---------------------------------------------------------------- lifecycle -------- */

int engine_start(engine *e, mono_ns start, char *err, size_t errlen)
{
    e->start = start;
    e->wall_start = clock_wall_now() - (clock_mono_now() - start);
    /* Workers never handle signals: the coordinator does (evloop_wake is how it reaches them). */
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
            evloop_wake(e->th[i].loop);
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

void engine_instances(const engine *e, instances *dst)
{
    for (unsigned t = 0; t < e->n_threads; t++)
        instances_merge(dst, &e->th[t].inst);
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

uint64_t engine_data_exhausted(const engine *e)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < e->n_threads; i++)
        for (size_t j = 0; j < e->th[i].n_sc; j++)
            n += e->th[i].sc[j].exhausted;
    return n;
}
