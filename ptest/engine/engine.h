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
                     A user that cannot even open a socket (the generator's own limit:
                     STATS_ERR_LOCAL_LIMIT, stats.h) waits 10 ms, doubling up to
                     ENGINE_LOCAL_BACKOFF_MAX while the limit lasts; each attempt is counted
                     as local_limit, never as a request or an error of the target.
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
#include "instances.h"
#include "plan.h"
#include "stats.h"

#define ENGINE_MAX_THREADS 256
#define ENGINE_CONNECT_BACKOFF (10 * CLOCK_NS_PER_MS)
#define ENGINE_LOCAL_BACKOFF_MAX CLOCK_NS_PER_SEC /* closed users beyond a local limit */

typedef struct engine engine;

typedef struct engine_opts {
    unsigned threads; /* >= 1; capped at the number of users + connections */
    int jtl_fd;       /* -1: no JTL; else an O_APPEND fd (jtl_open), not closed here */
    evloop *notify;   /* woken (evloop_wake) when a thread finishes; may be NULL */
    uint64_t seed;    /* 0: seed the per-thread rngs from the OS */
} engine_opts;

/* Prepares everything for plan p against t (both must outlive the engine): t[0] the plan's
 * target, t[i] its targets[i - 1] (plan_request.target), [1 + p->n_targets] in all, with the
 * same timeouts:
 * renders the requests, builds the schedules, allocates threads, loops, connections and
 * statistics. Returns 0 with *out set, or -1 with err filled. */
int engine_create(engine **out, const plan *p, const client_target *t, const engine_opts *o, char *err, size_t errlen);
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

/* --- does the plan fit this machine (checked by `ptest run` before any load) ----------
 *
 * Memory per user, measured with `ptest run` (closed users, 1 s think time, msdemo on the
 * same host, amd64; VmHWM of ptest and the kernel's Slab in /proc/meminfo):
 *   every user or open connection slot  engine_user_bytes(): its struct (440 bytes on
 *                                       amd64) and a pointer; its 16 KiB read buffer is
 *                                       calloc'ed and costs no RAM while untouched, which
 *                                       it stays while responses arrive whole (they are
 *                                       read into the thread's buffer, client.h scratch)
 *   a user with a connection            + ENGINE_CONN_BYTES: the kernel's socket (Slab
 *                                       +3.9 KB per socket; ptest's own RSS grows by 498 B
 *                                       per connected user at 18,000, bench/README.md;
 *                                       4,511 B before the thread buffer); up to
 *                                       ENGINE_CONN_BYTES_MAX when responses arrive in
 *                                       pieces and fill the whole read buffer
 * Descriptors: one per connection plus ENGINE_FD_OWN and one interval log per label.
 * Policy: not enough memory for the measured figure refuses the run (ENGINE_FIT_REFUSE:
 * it would end in the OOM killer, without results); too few descriptors (after raising the
 * soft limit toward the hard one, as wrk and nginx do), or memory short only in the
 * worst case, warns (ENGINE_FIT_WARN): the run goes on, the users beyond the limit count
 * their attempts as local_limit (stats.h) and the analysis says so. */
#define ENGINE_CONN_BYTES 4096u
#define ENGINE_CONN_BYTES_MAX (CLIENT_RBUF_SIZE + 4096u)
/* An https connection's OpenSSL state on top (SSL object, its buffers, the session):
 * 1,000 users, RSS 30 MiB against 7.6 MiB over plain http, ~19 KiB each (bench/ptest_tls.sh). */
#define ENGINE_TLS_CONN_BYTES 20480u
#define ENGINE_BASE_BYTES (UINT64_C(16) << 20) /* threads, histograms, results */
/* Descriptors ptest holds besides its connections, with one interval log per label more:
 * std streams, 3 per event loop (epoll, eventfd, timerfd; 4 engine threads and the
 * coordinator), JTL, scrape (13 seen with one engine thread and one label). */
#define ENGINE_FD_OWN 24u
#define ENGINE_FD_MARGIN 64u /* raised limit: room above the need */

enum { ENGINE_FIT_REFUSE = -1, ENGINE_FIT_OK = 0, ENGINE_FIT_WARN = 1 };

typedef struct engine_fit {
    uint64_t users;      /* closed users + open max_connections of the plan */
    uint64_t user_bytes; /* engine_user_bytes() */
    uint64_t tls_bytes;  /* https target: ENGINE_TLS_CONN_BYTES more per connection, else 0 */
    uint64_t fds_own;    /* ENGINE_FD_OWN + labels */
    uint64_t fds_needed; /* users + fds_own */
    uint64_t fd_limit;   /* soft RLIMIT_NOFILE in effect (0: unknown) */
    uint64_t fd_hard;
    uint64_t mem_avail;   /* bytes (0: unknown, not checked) */
    const char *mem_from; /* "MemAvailable" or "the cgroup's memory.max" */
    uint64_t mem_needed;  /* set by engine_fit_judge: the measured figure */
    uint64_t mem_worst;   /* set by engine_fit_judge: with full read buffers */
} engine_fit;

/* Bytes of one user or connection slot before it connects. */
uint64_t engine_user_bytes(void);
/* Judges f (users, user_bytes, fds_own, fds_needed, fd_limit, fd_hard, mem_avail, mem_from
 * filled in) and fills mem_needed/mem_worst. Returns an ENGINE_FIT_*; msg gets the refusal or the
 * warnings ("" when it fits). Pure: for the unit tests. */
int engine_fit_judge(engine_fit *f, char *msg, size_t msglen);
/* Fills f for plan p on this machine: raises the soft RLIMIT_NOFILE to what the plan needs
 * plus ENGINE_FD_MARGIN (at most the hard limit), reads /proc/meminfo MemAvailable and the cgroup v2
 * memory.max room, then engine_fit_judge. Call before engine_create. */
int engine_fit_check(const plan *p, engine_fit *f, char *msg, size_t msglen);

/* Accessors. Labels are in plan_labels() order. */
unsigned engine_threads(const engine *e);
size_t engine_n_labels(const engine *e);
const char *engine_label(const engine *e, size_t i);
stats_thread *engine_thread_stats(engine *e, unsigned i);
/* After engine_join: merges every thread's whole-run totals of label i into dst (an
 * initialised stats_label). Returns 0 or an HIST_* code. */
int engine_label_totals(engine *e, size_t i, stats_label *dst);
/* After engine_join: adds every thread's X-Served-By counts into dst (instances_init'ed
 * with engine_n_labels labels). */
void engine_instances(const engine *e, instances *dst);
/* Rows lost by the JTL writers (write failures), after engine_join. */
uint64_t engine_jtl_lost(const engine *e);
/* After engine_join: closed users that stopped because their scenario's unique data ran
 * out (plan.h PLAN_DATA_UNIQUE). */
uint64_t engine_data_exhausted(const engine *e);
/* Sum over scenarios of users / max connections (JMeter's allThreads). */
uint32_t engine_all_threads(const engine *e);

#endif
