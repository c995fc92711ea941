/* scrape.h - what the target says about itself, captured during `ptest run`:
 *   GET /config   msdemo's effective configuration (endpoints[].path and .delay fitted
 *                 mean/stddev in ms): the expected delays, stored so `ptest report` can
 *                 compare them with the measured latency offline;
 *   GET /metrics  process_cpu_seconds_total and process_resident_memory_bytes (Prometheus
 *                 text), before the run, once a second during it (RSS peak), and after.
 * Every request is a short blocking HTTP/1.1 GET on its own connection with a timeout;
 * a target without these endpoints is fine (nothing is recorded).
 * The results go into results.json after results_write (scrape_annotate):
 *   "server": {"scraped": bool, "cpu_seconds": <after - before>, "requests": <n>,
 *              "cpu_ms_per_1000_requests": x|null, "peak_rss_bytes": n|null, "samples": n}
 *   "expected": {"source": "/config", "endpoints": [{"path", "mean_ms", "stddev_ms"}]}
 *   "client": {"cpu_seconds": <ptest's own user+system CPU during the run>, "threads": n}
 * The sampler runs on its own thread (scrape_sampler_*); everything else is called by the
 * coordinating thread.
 */
#ifndef PTEST_SCRAPE_H
#define PTEST_SCRAPE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct scrape_target {
    const char *host;          /* as in the plan's URL (resolved by lib/dns on each GET) */
    uint16_t port;
    const char *authority;     /* Host header */
    const char *base_path;     /* "" or "/api" */
    uint64_t timeout_ms;
} scrape_target;

/* GET base_path + path. Returns the status (100..999) with the body in *body (appended), or
 * -1 (connect/timeout/parse failure; *body may hold partial data). Bodies above 4 MiB fail. */
int scrape_get(const scrape_target *t, const char *path, buf *body);

/* Value of the unlabelled sample `name` in Prometheus text (first match). Returns 0 or -1. */
int scrape_metric(const char *text, size_t len, const char *name, double *out);

typedef struct scrape_state {
    scrape_target t;
    bool have_before, have_after;
    double cpu_before, cpu_after;
    double peak_rss;
    uint64_t samples;
    char *config;              /* /config body (malloc'ed) or NULL */
    double client_cpu_s;       /* set by the caller: ptest's own CPU during the run */
    unsigned client_threads;   /* set by the caller: engine threads */
    /* sampler */
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
} scrape_state;

/* Scrapes /config and /metrics before the run. Never fails (missing data stays missing). */
void scrape_before(scrape_state *s, const scrape_target *t);
/* Starts / stops the once-a-second RSS sampler (no-op if /metrics was not there). */
void scrape_sampler_start(scrape_state *s);
void scrape_sampler_stop(scrape_state *s);
/* ptest's own user + system CPU seconds so far (getrusage), for client_cpu_s. */
double scrape_self_cpu(void);
/* Scrapes /metrics after the run. */
void scrape_after(scrape_state *s);
/* Adds "server" and "expected" to dir/results.json (rewritten atomically). requests: the
 * run's total count. Returns 0 or -1 with err filled. */
int scrape_annotate(const scrape_state *s, const char *dir, uint64_t requests, char *err, size_t errlen);
void scrape_free(scrape_state *s);

#endif
