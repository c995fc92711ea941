/* server_int.h - private structures shared by server.c, conn.c and respond.c. */
#ifndef MSDEMO_SERVER_INT_H
#define MSDEMO_SERVER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "delay.h"
#include "evloop.h"
#include "http.h"
#include "metrics.h"
#include "rng.h"
#include "server.h"

/* Rows after the configured endpoints: operations paths and everything else. */
enum { ROW_HEALTHZ, ROW_READYZ, ROW_METRICS, ROW_CONFIG, ROW_OTHER, ROW_OPS_COUNT };

/* One queued response. Requests on a connection are answered strictly in order
 * (pipelining), each when its own delay has passed and every earlier one is written. */
typedef struct pending {
    mono_ns arrival;
    mono_ns ready_at;
    uint16_t row;
    int16_t status;
    bool head_only;
    bool close_after;   /* Connection: close, then close the socket */
    bool keep_alive_10; /* HTTP/1.0 client asked for keep-alive: say yes explicitly */
    bool body_open;     /* its request body is still being read: not answered before the
                            * status is final (a body error replaces it; one response each) */
    bool send_continue; /* "Expect: 100-continue": write the interim 100 when it is first
                            * in line, so it never overtakes an earlier answer */
} pending;

#define CONN_INLINE_Q 2

typedef struct worker worker;

typedef struct conn {
    evloop_io io;
    evloop_timer resp_timer; /* fires when the head of the queue is due */
    evloop_timer idle_timer; /* header_timeout while a head is incomplete, else idle_timeout */
    worker *w;
    struct conn *prev, *next;
    buf in;  /* partial input kept between reads; empty (no memory) usually */
    buf out; /* output the socket did not take yet; empty usually */
    size_t out_off;
    pending *q; /* ring of queued responses */
    pending q_inline[CONN_INLINE_Q];
    uint32_t q_head, q_len, q_cap;
    mono_ns head_start; /* when the current incomplete head began (0 = none) */
    uint64_t body_left; /* Content-Length body bytes still to discard */
    uint64_t body_seen; /* body bytes discarded so far (both framings) */
    http_chunked chunked;
    bool in_chunked;
    bool stop_reading; /* a close_after response is queued, or the peer half-closed */
    bool closing;      /* drain: close once the queue is empty */
    bool want_write;
} conn;

struct worker {
    server *srv;
    unsigned idx;
    pthread_t thread;
    bool started;
    evloop *loop;
    int lfd;
    evloop_io lio;
    evloop_timer accept_pause; /* after EMFILE: stop accepting for a moment */
    metrics_worker metrics;
    rng rng;
    uint32_t *cursors; /* per endpoint position in its delay series */
    char *rbuf;        /* read scratch */
    size_t rbuf_cap;
    buf wbuf;    /* write scratch */
    conn *conns; /* all open connections (for drain) */
    size_t nconns;
    conn *free_conns;        /* recycled connection structs */
    size_t conns_peak;       /* most connections open since memory was last given back */
    evloop_timer trim_timer; /* gives freed connection memory back to the OS after a storm */
    char date[40];
    int64_t date_sec;
    bool drain_seen, listen_closed;
};

struct server {
    const config *cfg;
    size_t nworkers;
    worker *workers;
    delay_series *series; /* one per endpoint */
    metrics_layout layout;
    metrics_worker **mptrs;
    buf config_json;
    char instance[64]; /* X-Served-By value, "" = no header */
    uint16_t port;
    double start_time;
    http_limits hlim;
    /* Cross-thread state, accessed with __atomic builtins. */
    int draining;         /* readyz 503 */
    int stop_listening;   /* workers close their listeners */
    uint32_t connections; /* open connections, all workers */
};

/* conn.c */
void conn_accept(worker *w, int fd);
void conn_close(conn *c);
void conn_drain(conn *c);
void conn_free_cache(worker *w);
/* trim_timer's callback: returns free heap memory to the OS (malloc_trim) once a burst of
 * connections has closed, so a Pi gets it back; conns_peak restarts from now. */
void conn_trim_cb(evloop *loop, evloop_timer *t);

/* respond.c: routes a parsed request to a queued response. */
void respond_route(worker *w, const http_request *req, pending *p);
/* Appends the full response for p to out. */
void respond_format(worker *w, const pending *p, buf *out);
/* Refreshes the cached Date header value if the second changed. */
void respond_update_date(worker *w);

#endif
