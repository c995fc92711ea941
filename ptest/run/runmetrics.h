/* runmetrics.h - the live metrics of `ptest run --metrics-listen ADDR`: Prometheus text
 * (format 0.0.4) on GET /metrics while the run goes, served on the coordinator's event
 * loop by lib/net's httpserv (so a scrape never touches the worker threads but for one
 * relaxed load per thread and label, the in-flight gauge).
 *
 * Families, each per label ({label="NAME"}; every label together is label="(total)", as the
 * collector's /metrics has it, so that a plan label called "total" cannot clash):
 *   ptest_requests_total                counter    finished requests (responses and
 *                                                  transport errors)
 *   ptest_errors_total{kind}            counter    failed requests by kind (results.json's
 *                                                  errors_by_kind, local_limit included)
 *   ptest_inflight_requests             gauge      requests sent and not finished, now
 *   ptest_request_duration_seconds      histogram  latency of the responses (from the
 *                                                  intended send time, as results.json)
 *   ptest_requests_per_second           gauge      requests finished in the last second
 *                                                  collected (the achieved rate)
 *   ptest_planned_requests_per_second   gauge      the rate the plan asks for now: its open
 *                                                  scenarios' current stage, shared out by the
 *                                                  requests' weights (labels with open load
 *                                                  only)
 *   ptest_run_elapsed_seconds, ptest_run_planned_seconds   gauges of the run
 * Counters and the histogram move once a second, when the coordinator collects a second
 * (RUN_COLLECT_DELAY after it ends): they are the run's figures up to that second, exactly
 * what results.json will say of those seconds. Histogram buckets: every latency value of
 * the plan's absolute thresholds (p95 < 250ms puts a bound at 0.25 s) and the 1-2.5-5
 * ladder from 100 us to 50 s (promtext.h), so histogram_quantile is exact at the limits the
 * run is judged by.
 * Not thread-safe: the coordinator's thread only.
 */
#ifndef PTEST_RUNMETRICS_H
#define PTEST_RUNMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "engine.h"
#include "evloop.h"
#include "hist.h"
#include "httpserv.h"
#include "plan.h"
#include "promtext.h"
#include "stats.h"

typedef struct runmetrics {
    const plan *p;
    size_t n_labels;
    const char *const *labels; /* [n_labels] borrowed */
    const hist *const *lat;    /* [n_labels + 1] whole-run latency so far, borrowed */
    uint64_t *count, *errors;  /* [n_labels + 1]; [n_labels] the total */
    uint64_t (*by_kind)[STATS_ERR_N];
    uint64_t *last;      /* requests of the last collected second */
    uint64_t elapsed_ns; /* end of the last collected second */
    mono_ns start;       /* the run's time 0 (for the planned rate now) */
    uint64_t le_ns[PROMTEXT_MAX_BUCKETS];
    size_t n_le;
    engine *e;     /* the in-flight gauges; NULL: 0 */
    httpserv *srv; /* NULL until runmetrics_listen */
} runmetrics;

/* Prepares the metrics of p's run over its labels (engine_label order) and lat, the
 * coordinator's whole-run histograms (both borrowed). Returns 0 or -1 (out of memory); m is
 * always initialised. */
int runmetrics_init(runmetrics *m, const plan *p, const char *const *labels, size_t n_labels, const hist *const *lat);
void runmetrics_fini(runmetrics *m);

/* Serves GET/HEAD /metrics (and /healthz "ok"; 404 elsewhere, 405 for other methods) on
 * addr (numeric "host:port", "[v6]:port", ":port") from loop, reading in-flight counts from
 * e. Returns 0 or -1 with err filled (a bad address, cannot listen). */
int runmetrics_listen(runmetrics *m, evloop *loop, const char *addr, engine *e, char *err, size_t errlen);
/* The port listened on (":0" picks one), 0 when not listening. */
uint16_t runmetrics_port(const runmetrics *m);

/* The run's time 0. */
void runmetrics_start(runmetrics *m, mono_ns start);
/* Second t (0-based) of the run is collected: iv holds it. */
void runmetrics_second(runmetrics *m, uint32_t t, const stats_interval *iv);

/* Requests per second the plan's open scenarios ask of label (n_labels of p: every label)
 * at t_ns after the start: each scenario's stage at t (none before its start delay or after
 * its last stage; with ramp: linear the rate interpolated within the stage) times the share of its requests' weight that carries the label. */
double runmetrics_planned_rate(const plan *p, size_t label, size_t n_labels, uint64_t t_ns);
/* True when an open scenario of p sends requests of label (n_labels: any). */
bool runmetrics_has_open(const plan *p, size_t label, size_t n_labels);

/* The exposition at now_ns after the start, with inflight[n_labels + 1] (NULL: zeros).
 * Returns 0 or -1 (out of memory: out->failed). */
int runmetrics_render(const runmetrics *m, uint64_t now_ns, const uint32_t *inflight, buf *out);

#endif
