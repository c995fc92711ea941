/* scrape.h - what the target says about itself, read during `ptest run` only when the plan
 * (`server: {metrics: ..., config: ...}`) or the command line (--server-metrics,
 * --server-config) asks for it; without either, ptest sends no request but the plan's.
 *   config   msdemo's effective configuration (endpoints[].path and .delay fitted
 *            mean/stddev in ms): the expected delays, stored so `ptest report` can
 *            compare them with the measured latency offline; read once, as the run starts;
 *   metrics  process_cpu_seconds_total and process_resident_memory_bytes (Prometheus
 *            text), as the run starts, once a second during it (RSS peak), and after it.
 * Every read is a blocking HTTP/1.1 GET with a bound on the whole exchange (SCRAPE_TIMEOUT_MS:
 * name resolution, connect, send, answer); the answer is framed as lib/http says
 * (Content-Length, chunked, or until close) and the metrics connection is kept alive from
 * one reading to the next. A target without these endpoints is fine (nothing is recorded;
 * scrape_problem says why).
 * The readings run on their own thread, started before the load and never waited for: the
 * first request of the run does not wait for them. The first /metrics reading is therefore
 * taken as the load begins (on a local target within a millisecond or two of it); the CPU
 * the server spends in that overlap is not counted, which is far below the resolution of
 * process_cpu_seconds_total for any run longer than a second.
 * The readings are handed to results.h, which writes them into results.json ("server" from
 * scrape_results, "expected" from scrape_expected; the schema is in results.h).
 */
#ifndef PTEST_SCRAPE_H
#define PTEST_SCRAPE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "results.h"

#define SCRAPE_TIMEOUT_MS 1000     /* default bound on one GET */
#define SCRAPE_MAX_BODY (4u << 20) /* longer answers fail */

typedef struct scrape_target {
    const char *host; /* resolved by lib/dns on each (re)connect */
    uint16_t port;
    const char *authority; /* Host header */
    const char *path;      /* request target sent: "/metrics", "/api/metrics?x=1" */
    uint64_t timeout_ms;   /* 0: SCRAPE_TIMEOUT_MS */
} scrape_target;

/* A connection kept between GETs to one target (fd -1: none). */
typedef struct scrape_conn {
    int fd;
} scrape_conn;
#define SCRAPE_CONN_INIT                                                                                               \
    {                                                                                                                  \
        -1                                                                                                             \
    }

/* GET t->path on c (connecting when c has no connection; a kept connection that turns out
 * closed before any byte of the answer is replaced once, within the same bound). Returns
 * the final status (200..999) with the body in *body (appended, decoded when chunked), or
 * -1 with why filled (connect, timeout, malformed or too long an answer; *body may hold
 * partial data). c stays open only when the answer allows keep-alive and was read whole. */
int scrape_get(scrape_conn *c, const scrape_target *t, buf *body, char *why, size_t whylen);
void scrape_conn_close(scrape_conn *c);

/* Value of the unlabelled sample `name` in Prometheus text (first match). Returns 0 or -1. */
int scrape_metric(const char *text, size_t len, const char *name, double *out);

typedef struct scrape_state {
    /* what was asked (copies, owned) */
    bool want_metrics, want_config;
    scrape_target metrics_t, config_t;
    char *strs[6];                  /* host, authority, path of each */
    char *metrics_url, *config_url; /* "http://authority/path", for results and messages */
    /* readings; written by the thread until scrape_stop, read after it */
    scrape_conn mconn;
    bool have_before, have_after;
    double cpu_before, cpu_after;
    double peak_rss;
    uint64_t samples;
    char *config;                           /* config body (malloc'ed) or NULL */
    char metrics_why[256], config_why[256]; /* why a reading failed ("" if it did not) */
    /* the thread */
    pthread_t thread;
    bool running, sync_ok, first_done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
} scrape_state;

/* Zeroes s and records what to read (either may be NULL: not asked). Returns 0, or -1 when
 * out of memory (then nothing is read). */
int scrape_init(scrape_state *s, const scrape_target *metrics, const scrape_target *config);
/* Starts the thread: the first /metrics reading and /config, then a /metrics reading once
 * a second (only when the first one succeeded). Returns at once; no-op when nothing was
 * asked. Without a thread (pthread_create failed) the readings are taken by scrape_stop. */
void scrape_start(scrape_state *s);
/* Stops the thread (waiting for a GET in flight, at most its bound), then takes the last
 * /metrics reading. Idempotent. */
void scrape_stop(scrape_state *s);
/* Why what was asked is missing, for a warning: NULL when everything asked was read. */
const char *scrape_problem(const scrape_state *s, char *out, size_t len);
/* ptest's own user + system CPU seconds so far (getrusage), for results.json "client". */
double scrape_self_cpu(void);
/* results.json "server" from the readings (strings borrowed from s); requests: the run's
 * total count. */
void scrape_results(const scrape_state *s, uint64_t requests, results_server *out);
/* results.json "expected" from msdemo's /config (endpoints[].path, .delay.fitted_mean_ms and
 * fitted_stddev_ms), or NULL when it was not read or is not msdemo's. Free with json_decref. */
json_t *scrape_expected(const scrape_state *s);
void scrape_fini(scrape_state *s);

#endif
