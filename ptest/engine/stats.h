/* stats.h - ptest's measurements: per thread and per label, merged exactly.
 *
 * Units: latencies and service times are recorded in microseconds into HDR histograms
 * (hist.h, HIST_PTEST_*: 1 us .. 1 h, 3 significant digits).
 *   latency      from the intended send time to the last byte of the response (open model:
 *                the schedule's time, so queueing behind a stalled server is counted;
 *                closed model: when the user started the iteration, connect included)
 *   service time from the first byte sent to the last byte received
 * Only requests that got a complete response (any status) are in the histograms; transport
 * failures (connect refused/timeout, timeout, reset, bad response) are counted as errors
 * without a latency, because there is none to measure.
 * The generator's own limits (STATS_ERR_LOCAL_LIMIT: no file descriptor, no local port, no
 * kernel memory for a socket) are not the target's doing: such an attempt never reached the
 * network, so it is counted in by_kind[STATS_ERR_LOCAL_LIMIT] only, never in count or
 * errors (so not in error_rate, rps or any threshold), like an open-model drop.
 *
 * Two halves:
 *   stats_thread   owned by one engine thread (the hot path: no lock, no allocation).
 *                  Latencies go into a "current second" histogram per label; when a second
 *                  ends (stats_roll) it is handed to a published slot under a mutex taken
 *                  once per second. Counters, error kinds, status codes and the service-time
 *                  histogram stay thread-local until the end (stats_label_merge after join).
 *   stats_interval owned by the coordinating thread: stats_collect moves every published
 *                  second into it; the coordinator keeps running totals of latency from the
 *                  intervals (stats_interval_add), so nothing is counted twice or lost.
 * Thread-safety: a stats_thread is written by its owner only, except stats_collect, which
 * may run concurrently on another thread (it only touches the published slot, under the
 * mutex). Everything else is single-threaded.
 */
#ifndef PTEST_STATS_H
#define PTEST_STATS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "hist.h"

/* Outcome of one request. STATS_OK, _STATUS and _EXPECTATION carry a response (and latency). */
enum stats_err {
    STATS_OK = 0,
    STATS_ERR_CONNECT_REFUSED, /* connect() failed (refused, unreachable) */
    STATS_ERR_CONNECT_TIMEOUT, /* no connection within the plan's connect timeout */
    STATS_ERR_TIMEOUT,         /* no complete response within the request timeout */
    STATS_ERR_RESET,           /* connection reset or closed before the response completed */
    STATS_ERR_BAD_RESPONSE,    /* unparsable or oversized response */
    STATS_ERR_STATUS,          /* status not the expected one (default: >= 400) */
    STATS_ERR_EXPECTATION,     /* body_contains not found */
    STATS_ERR_LOCAL_LIMIT,     /* never sent: the generator's own limit (EMFILE, ENFILE,
                                  EADDRNOTAVAIL, ENOBUFS, ENOMEM): not a server error */
    STATS_ERR_TLS,             /* https: the TLS handshake failed (certificate, name, no TLS
                                  at all, alert; a connect failure) or a TLS record error */
    STATS_ERR_EXTRACT,         /* a response came, but an extraction of the request (plan
                                  `extract:`) found nothing: a failed check of its own */
    STATS_ERR_RENDER,          /* never sent: the request rendered per send with the user's
                                  variables exceeds CLIENT_MAX_WIRE or a value holds bytes not
                                  allowed where it goes (CR/LF in a header, space in a path) */
    STATS_ERR_N
};

/* Name used in results ("connect_refused", ...); "ok" for STATS_OK, "unknown" otherwise. */
const char *stats_err_name(int kind);
/* Human text for messages ("connection refused", ...). */
const char *stats_err_text(int kind);
/* True when the kind comes with a response (so with a latency). */
static inline bool stats_err_has_response(int kind)
{
    return kind == STATS_OK || kind == STATS_ERR_STATUS || kind == STATS_ERR_EXPECTATION || kind == STATS_ERR_EXTRACT;
}
/* True for the generator's own limits: counted apart, never as a request or an error. */
static inline bool stats_err_is_local(int kind)
{
    return kind == STATS_ERR_LOCAL_LIMIT;
}

#define STATS_STATUS_MIN 100
#define STATS_STATUS_MAX 999

/* Whole-run totals of one label (one thread's share, or merged). */
typedef struct stats_label {
    uint64_t count;   /* finished requests: responses + transport errors
                                    (attempts stopped by a local limit are not requests) */
    uint64_t errors;  /* count with a kind != STATS_OK; by_kind sums to it but
                                    for [STATS_ERR_LOCAL_LIMIT], which is outside count */
    uint64_t dropped; /* open model: arrivals never sent (see engine.h) */
    uint64_t queued;  /* open model: arrivals sent late because every connection
                                    was busy (their latency includes the wait) */
    uint64_t bytes_rx, bytes_tx;
    uint64_t connections; /* connections opened (TCP connected; https: and handshaken)
                                    by the label's requests */
    uint64_t by_kind[STATS_ERR_N];
    uint64_t status[STATS_STATUS_MAX - STATS_STATUS_MIN + 1];
    hist svc;                /* service time, us */
    uint64_t tls_handshakes; /* https: completed handshakes of the label's requests ... */
    uint64_t tls_resumed;    /* ... of which resumed a session */
    hist tls_hs;             /* their durations, us (in latency, not in service time) */
} stats_label;

/* Initialises / frees one label's totals. Return 0 or HIST_ENOMEM. */
int stats_label_init(stats_label *l);
void stats_label_fini(stats_label *l);
/* dst += src exactly. Returns 0 or an HIST_* code (dst then unchanged for the histogram). */
int stats_label_merge(stats_label *dst, const stats_label *src);

/* The per-second part of one label, as published / collected. */
typedef struct stats_second {
    hist *lat; /* latency of the responses completed in the second, us */
    uint64_t count, errors;
    uint64_t by_kind[STATS_ERR_N]; /* errors of the second by kind ([STATS_OK] stays 0), for
                                    the live view of a distributed run (upload.h); as in
                                    stats_label, [STATS_ERR_LOCAL_LIMIT] is not in count/errors */
} stats_second;

typedef struct stats_thread {
    size_t n_labels;
    stats_label *labels;         /* [n_labels] whole-run, thread-local */
    stats_second *cur;           /* [n_labels] the current second, thread-local */
    mono_ns start;               /* run start: seconds are counted from here */
    uint64_t sec;                /* index of the current second */
    mono_ns sec_end;             /* start + (sec + 1) s */
    uint64_t conn_ok, conn_fail; /* connections established / failed to establish */
    int last_fail;               /* kind of the last connect failure */
    uint32_t *inflight;          /* [n_labels] requests sent and not finished: written by the
                                    owner only, read by the coordinator (relaxed __atomic,
                                    32 bits: untearable on armhf too) */
    /* published, guarded by mu */
    pthread_mutex_t mu;
    stats_second *pub; /* [n_labels] */
    uint64_t pub_sec;  /* latest second merged into pub */
    bool pub_any;      /* pub holds something not collected yet */
    uint64_t pub_conn_ok, pub_conn_fail;
    int pub_last_fail;
} stats_thread;

/* Creates the stats of one thread for n_labels labels, with seconds counted from start.
 * Returns 0, or HIST_ENOMEM/-1 (nothing to free then). */
int stats_thread_init(stats_thread *t, size_t n_labels, mono_ns start);
void stats_thread_fini(stats_thread *t);

/* Hands the current second to the published slot if now is past its end (cheap test;
 * called by the record functions and by a 1 s timer so idle seconds are published too).
 * force publishes whatever is there regardless of now (end of run). Owner thread only. */
void stats_roll_slow(stats_thread *t, mono_ns now, bool force);
static inline void stats_roll(stats_thread *t, mono_ns now)
{
    if (now >= t->sec_end)
        stats_roll_slow(t, now, false);
}

/* Records one finished request of label at time now (monotonic, >= t->start).
 * kind: enum stats_err. For kinds with a response, status is the HTTP status and
 * lat_ns / svc_ns the latency and service time; otherwise they are ignored. A local-limit
 * kind only counts in by_kind (stats_err_is_local).
 * Owner thread only; never allocates. */
void stats_record(stats_thread *t, size_t label, mono_ns now, int kind, int status, uint64_t lat_ns, uint64_t svc_ns,
                  uint64_t bytes_rx, uint64_t bytes_tx);
/* Counts a TLS handshake of ns (resumed or full) made for a request of label. */
void stats_handshake(stats_thread *t, size_t label, uint64_t ns, bool resumed);
/* A request of label is sent (stats_begin) / has finished, whatever its outcome
 * (stats_end): the in-flight gauge of the live metrics. Owner thread only. */
static inline void stats_begin(stats_thread *t, size_t label)
{
    __atomic_store_n(&t->inflight[label], __atomic_load_n(&t->inflight[label], __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}
static inline void stats_end(stats_thread *t, size_t label)
{
    __atomic_store_n(&t->inflight[label], __atomic_load_n(&t->inflight[label], __ATOMIC_RELAXED) - 1, __ATOMIC_RELAXED);
}
/* The in-flight requests of label on thread t; any thread. */
static inline uint32_t stats_inflight(const stats_thread *t, size_t label)
{
    return __atomic_load_n(&t->inflight[label], __ATOMIC_RELAXED);
}
/* Counts n open-model arrivals of label that were never sent. */
static inline void stats_dropped(stats_thread *t, size_t label, uint64_t n)
{
    t->labels[label].dropped += n;
}
/* Counts an open-model arrival of label that had to wait for a free connection. */
static inline void stats_queued(stats_thread *t, size_t label)
{
    t->labels[label].queued++;
}
/* Connection bookkeeping, for the "target unreachable" verdict, and the connections a
 * label's requests opened (kind STATS_OK). */
static inline void stats_connect(stats_thread *t, size_t label, int kind)
{
    if (kind == STATS_OK) {
        t->conn_ok++;
        t->labels[label].connections++;
    } else {
        t->conn_fail++;
        t->last_fail = kind;
    }
}

/* What one collection returns besides the histograms. */
typedef struct stats_health {
    uint64_t conn_ok, conn_fail; /* cumulative, as of the thread's last publication */
    int last_fail;
} stats_health;

/* One second (or the final part of one) of all labels, merged over threads. */
typedef struct stats_interval {
    size_t n_labels;
    stats_second *labels; /* [n_labels] */
    stats_second total;   /* all labels */
} stats_interval;

int stats_interval_init(stats_interval *iv, size_t n_labels);
void stats_interval_fini(stats_interval *iv);
void stats_interval_reset(stats_interval *iv);
/* dst += src (same label count). Returns 0 or an HIST_* code. */
int stats_interval_add(stats_interval *dst, const stats_interval *src);

/* Coordinator side: moves everything thread t published for seconds <= upto into iv
 * (labels and total) and empties the slot; data of later seconds stays for the next
 * collection. h (may be NULL) receives the thread's connection counters. Thread-safe
 * against the owner's stats_roll. Returns 0 or an HIST_* code. */
int stats_collect(stats_thread *t, uint64_t upto, stats_interval *iv, stats_health *h);

/* Percentile of a second's histogram in us (0 when empty). */
uint64_t stats_second_pct(const stats_second *s, double p);

/* --- time series ---------------------------------------------------------------------- */

/* One point of the 1 s time series: requests completed in [t, t + len) seconds after the
 * start, their errors and latency p50/p99 (us; 0 when there was no response). */
typedef struct stats_point {
    uint32_t t;      /* second index */
    uint32_t len_ms; /* length of the interval (1000, less for the last one) */
    uint64_t count, errors;
    uint64_t responses; /* how many latencies the percentiles come from */
    uint64_t p50_us, p99_us;
} stats_point;

/* A growing series for the labels and the total ([n_labels] is the total). Appending may
 * allocate (coordinator only, once per second); failures are sticky and reported. */
typedef struct stats_series {
    size_t n_labels;
    size_t n, cap;    /* points per label */
    stats_point *pts; /* [cap][n_labels + 1] */
    bool failed;
} stats_series;

void stats_series_init(stats_series *s, size_t n_labels);
void stats_series_fini(stats_series *s);
/* Appends interval iv as second t of length len_ms. Returns 0 or -1 (ENOMEM, sticky). */
int stats_series_add(stats_series *s, uint32_t t, uint32_t len_ms, const stats_interval *iv);
/* Point of second index i (0..n-1) of label (n_labels = the total). */
static inline const stats_point *stats_series_at(const stats_series *s, size_t i, size_t label)
{
    return &s->pts[i * (s->n_labels + 1) + label];
}

#endif
