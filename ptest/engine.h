/* engine.h - ptest's load engine: worker threads, one event loop each, shared-nothing.
 *
 * The plan's load is split over the threads:
 *   closed scenarios  user n (0-based, over the whole scenario) runs on thread n % T. Each
 *                     user owns one keep-alive connection and loops: pick a request (the
 *                     scenario's weighted mix, per-thread rng; with order: sequence the
 *                     next one in plan order, a pass being one iteration), send it, wait for
 *                     the answer, think (the plan's think time, clamped at 0), repeat; until the
 *                     scenario's end (start delay + ramp-up + hold-for) or its iterations.
 *                     User n starts at start delay + ramp_up * n / users. Latency is measured
 *                     from the start of the iteration (so it includes a reconnect); after a
 *                     failed connect the user waits ENGINE_CONNECT_BACKOFF before the next
 *                     iteration so that a dead target is not hammered in a busy loop.
 *   open scenarios    arrival k of the schedule (schedule.h) runs on thread k % A, where A =
 *                     min(T, max_connections) threads each get an equal share (+-1) of the
 *                     scenario's max_connections. Every arrival has an intended send time;
 *                     latency is measured from it (coordinated-omission free), the service
 *                     time from the actual send.
 *                     An arrival that finds no free connection WAITS for one (FIFO, in
 *                     schedule order; no memory is needed: the backlog is the range of
 *                     arrival indices that are due but not sent) and its latency includes the
 *                     wait: a server stalled for 1 s yields latencies up to 1 s, as the users
 *                     of an open system would see (such arrivals are counted as
 *                     "queued"). An arrival is DROPPED (counted per label,
 *                     reported as "dropped", never given an invented latency) when it has
 *                     waited longer than the plan's request timeout without getting a
 *                     connection, or when it is still waiting when the run is stopped. So
 *                     `dropped` is the k6 dropped_iterations of a system whose queue is
 *                     bounded by the request timeout. Arrivals still due after the schedule
 *                     ends are sent (they were planned inside the run).
 * A scenario ends when its time is up and its in-flight requests are answered (bounded by
 * the request timeout); a thread ends when all its scenarios have. Interrupting
 * (engine_stop) abandons in-flight requests: they are not counted.
 *
 * Connections, request state and buffers are allocated at engine_create; the hot path
 * (send, receive, record) allocates nothing and takes no lock (stats.h's once-a-second
 * handoff is the only shared state).
 *
 * Thread-safety: create/start/join/destroy from one coordinating thread; engine_stop and
 * engine_finished from any thread.
 */
#ifndef PTEST_ENGINE_H
#define PTEST_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "clock.h"
#include "evloop.h"
#include "plan.h"
#include "stats.h"

#define ENGINE_MAX_THREADS 256
#define ENGINE_CONNECT_BACKOFF (10 * CLOCK_NS_PER_MS)

typedef struct engine engine;

typedef struct engine_opts {
    unsigned threads;        /* >= 1; capped at the number of users + connections */
    int jtl_fd;              /* -1: no JTL; else an O_APPEND fd (jtl_open), not closed here */
    ev_loop *notify;         /* woken (ev_wake) when a thread finishes; may be NULL */
    uint64_t seed;           /* 0: seed the per-thread rngs from the OS */
} engine_opts;

/* Prepares everything for plan p against target t (both must outlive the engine):
 * renders the requests, builds the schedules, allocates threads, loops, connections and
 * statistics. Returns 0 with *out set, or -1 with err filled. */
int engine_create(engine **out, const plan *p, const client_target *t, const engine_opts *o,
                  char *err, size_t errlen);
/* Starts the threads; the run's time 0 is start (monotonic; seconds of the statistics are
 * counted from it). Returns 0 or -1 with err filled (threads already started are stopped
 * and joined). */
int engine_start(engine *e, mono_ns start, char *err, size_t errlen);
/* Asks every thread to stop now (in-flight requests are abandoned). Thread-safe; not
 * async-signal-safe (call it from the coordinator's loop, not a signal handler). */
void engine_stop(engine *e);
/* True once every thread has finished (its last second is published by then). */
bool engine_finished(const engine *e);
/* Waits for the threads. */
void engine_join(engine *e);
void engine_destroy(engine *e);

/* Accessors. Labels are in plan_labels() order. */
unsigned engine_threads(const engine *e);
size_t engine_n_labels(const engine *e);
const char *engine_label(const engine *e, size_t i);
stats_thread *engine_thread_stats(engine *e, unsigned i);
/* After engine_join: merges every thread's whole-run totals of label i into dst (an
 * initialised stats_label). Returns 0 or an HDR_* code. */
int engine_label_totals(engine *e, size_t i, stats_label *dst);
/* Rows lost by the JTL writers (write failures), after engine_join. */
uint64_t engine_jtl_lost(const engine *e);
/* Sum over scenarios of users / max connections (JMeter's allThreads). */
uint32_t engine_all_threads(const engine *e);

#endif
