/* results.h - ptest's output files: results.json and the HdrHistogram interval logs.
 *
 * This module owns results.json: it is the one place that builds the document, and the
 * header below is its schema (`ptest capacity` writes a document of its own beside its
 * steps' results.json: capacity_report.h). The other modules hand it their parts (`results` below) and
 * the file is written once, atomically, at the end of `ptest run` (run.c), of `ptest merge`
 * (merge.c) and of a collector's partial worker (collect_finish.c). Writing goes through
 * lib/jsonw (the repo's own streaming writer: stable key order, shortest round-trip doubles);
 * jansson is only the reader, for the modules that load a stored document back (analysis.c,
 * and through it compare, report, merge, collect), and for the few parts that reach this
 * module already parsed (`ptest merge`'s plan, share, environment and expected, msdemo's
 * /config): they are handed over as json_t fragments and written out through jsonw too.
 *
 * results.json (pretty-printed, 2 spaces; keys in this order):
 *   {
 *     "ptest_version": "...", "started": "<RFC 3339 UTC>", "duration_s": <double>,
 *     "interrupted": <bool>,              SIGINT/SIGTERM or an abort stopped the run
 *                                          (merge: any input's)
 *     "aborted": null | "<reason>",       e.g. "target http://... unreachable: connection refused"
 *                                          (merge: the first input's that has one)
 *     "threshold_abort": null | {"threshold": "<expr>", "label": "<label or total>",
 *                           "at_s": <seconds since the start>, "measured", "limit"},
 *                                          the abort_on_fail threshold that stopped the run
 *                                          (abortwatch.h): a verdict, not a failure to run, so
 *                                          "interrupted" and "aborted" stay false / null and
 *                                          the gate fails it (merge: the first input's)
 *     "dropped": <n>,                      open-model arrivals never sent (engine.h)
 *     "data_exhausted_users": <n>,         closed users stopped because their scenario's
 *                                          unique data ran out (plan.h; merge: the sum)
 *     "share": null | {"index", "count"},  this worker's share (ptest run --share I/N);
 *                                          null for a merged run (see "shares")
 *     "environment": null | {"hostname", "cpus", "threads", "target_address", "dns": DNS,
 *                            "targets": [{"target", "address", "dns": DNS}, ...], "fd_limit",
 *                            "event_loop": "epoll" | "io_uring"},
 *                                          targets: those scenarios and requests name besides
 *                                          the plan's own (target_address)
 *                                          the machine that ran the load; null for a merged
 *                                          run (it ran on several: see "environments")
 *     "tls": null | {"verify", "client_certificate", "session_resumption": "per connection",
 *                    "first_error": null | "<the library's reason>"},   https targets
 *                                          (merge: the first input's)
 *     "labels": {"<label>": LABEL, ...},  in plan order (merge: order of first appearance)
 *     "total": LABEL,                      every label together
 *     "instances": null | INSTANCES,       requests per server instance: the values of the
 *                                          responses' X-Served-By header (instances.h);
 *                                          null when no response carried one
 *     "plan": PLAN,                        echo of the plan as run (durations in seconds);
 *                                          a share's plan is its cut (rates / N, ...);
 *                                          merge: the whole plan (the inputs' "whole_plan",
 *                                          else the first input's "plan"). Absent for a
 *                                          collector's partial worker (no plan known).
 *     "whole_plan": null | PLAN,           with "plan": the plan a share was cut from
 *                                          (ptest run --share), else null
 *     "timeseries": [POINT, ...],          one per second of the run
 *     "server": SERVER,                    ptest run only (scrape.h)
 *     "client": {"cpu_seconds": x|null, "threads": n},   ptest run only: ptest's own user +
 *                                          system CPU during the run, engine threads
 *     "expected": null | EXPECTED,         run and merge: the target's configured delays
 *     "merged_from": ["<dir>", ...],       merge only: the inputs, in the order given
 *     "shares": [SHARE | null, ...],       merge only: each input's "share" (same order)
 *     "environments": [ENV | null, ...],   merge only: each input's "environment"
 *     "distributed": {"workers": N, "reported": [...], "partial": [...], "missing": [...]},
 *                                          a collected run only (merge.h, gate.h)
 *     "latency_hdr": {"<label>": "<base64>", ..., "total": ...}
 *                                          run and merge: each label's whole-run latency
 *                                          histogram, V2 compressed (hlog.h), so analysis.c
 *                                          need not add up the interval logs
 *   }
 *   LABEL = {"count", "errors", "error_rate", "dropped", "queued", "rps", "bytes_received",
 *            "bytes_sent", "connections", "latency_us": STATS, "service_time_us": STATS | null,
 *            "errors_by_kind": {"connect_refused", "connect_timeout", "timeout", "reset",
 *                               "bad_response", "status", "expectation", "local_limit", "tls",
 *                               "extraction", "render"},
 *            "status": {"200": n, ...}, "hlog": "<file name>",
 *            "tls": {"handshakes", "resumed", "handshake_us": STATS | null}}   (https only)
 *   connections: connections the label's requests opened (TCP connected, and for https
 *   handshaken): 1 per user or slot with keep-alive, one per request with keep_alive: false,
 *   more with max_requests_per_connection / connection_lifetime or when the server closes.
 *   handshakes: TLS handshakes made for the label's requests (one per new connection),
 *   their time after the TCP connect; it is in latency (the request waited for it) but not
 *   in service_time_us, which starts with the request's first byte.
 *           service_time_us and handshake_us are null in a merged run (no histogram of
 *           them is stored).
 *   INSTANCES = {"header": "X-Served-By", "responses": <responses with the header>,
 *            "distinct": <named values, at most 64>, "other": <responses whose value got no
 *            slot: beyond the first 64 distinct values, empty, longer than 128 bytes or not
 *            printable ASCII>, "max_min_ratio": x | null, "cv": x | null (instances.h:
 *            largest/smallest count, and stddev/mean, over the named values),
 *            "counts": {"<value>": n, ...} (highest first),
 *            "labels": {"<label>": {"counts": {...}, "other": n}, ...} (labels with any)}
 *           Only complete responses count (any status); merge adds the counts per value.
 *   STATS = {"count", "min", "mean", "stddev", "p50", "p90", "p95", "p99", "p999", "max"}
 *           in microseconds from the HDR histogram (hist.h semantics); every field but
 *           "count" is null when nothing was measured (never an invented 0).
 *   POINT = {"t": <second index from the start>, "len_s", "rps", "errors", "p50_us",
 *            "p99_us", "labels": {"<label>": {"rps", "errors", "p50_us", "p99_us"}}}
 *           rps = requests completed in the interval / len_s; p50/p99 null without
 *           responses. The last point covers the rest of the run (len_s may differ from 1).
 *   PLAN  = {"name", "source", "target", "duration_s", "connect_timeout_s",
 *            "request_timeout_s", "apdex_t_s", "timer_slack_s", "headers": {...},
 *            "dns": {"ttl_s", "resolve": ["HOST:PORT:ADDR,...", ...]}, "scenarios": [SCENARIO, ...],
 *            "thresholds": {"<label>": ["<expr>" | {"threshold": "<expr>", "abort_on_fail": true,
 *                           "delay_abort_eval_s": x}, ...]}}   (json_plan below)
 *   SCENARIO = {"name", "target" (only when it names one), "model", "start_delay_s", closed:
 *            "users", "ramp_up_s", "hold_for_s", "iterations", "think_time"; open: "stages",
 *            "arrivals": "constant" | "poisson", "ramp": "step" | "linear", "start_rate"
 *            (linear only), "max_connections"; both: "keep_alive": bool, "max_requests_per_connection": n |
 *            null (no limit), "connection_lifetime_s": x | null (no limit), "cookies": bool, "data": null |
 *            {"file", "format", "mode", "rows", "columns": [...], "bytes"}, "duration_s",
 *            "requests"} (a request: "target" too, when it names one; "extract": [{"json" | "regex" |
 *            "header": "<expr>", "as": "<variable>"}, ...])
 *   DNS   = null | {"pinned", "renewals", "changes", "failures", "last_error",
 *            "final_addresses"}   the target's name during the run (renew.h)
 *   SERVER = {"metrics_url": s|null, "config_url": s|null, "scraped": bool,
 *             "cpu_seconds": <after - before>|null, "requests": <n>,
 *             "cpu_ms_per_1000_requests": x|null, "peak_rss_bytes": n|null, "samples": n}
 *   EXPECTED = {"source": <config URL>, "endpoints": [{"path", "mean_ms", "stddev_ms"}]}
 *   count = finished requests (responses of any status + transport errors); errors =
 *   those with any error kind but local_limit, which counts attempts the generator's own
 *   limits stopped before anything was sent (stats.h: outside count and errors); rps = count / duration_s (duration_s runs until the last
 *   answer, so it includes the in-flight requests of the end); queued = open-model arrivals
 *   that waited for a free connection (latency includes the wait; see engine.h).
 *   A merged run (merge.h): started = the earliest input's start, duration_s = until the
 *   last input's end, counts add, percentiles from the added histograms.
 *
 * Interval logs: "<label>.hlog" per label (file-name-safe: bytes other than [A-Za-z0-9._-]
 * become '_', a leading '.' too, clashes get "-2", "-3"...) and "total.hlog"; one interval
 * per second of latency in microseconds (hlog.h; max column in ms), written as the run goes.
 *
 * Not thread-safe; used by the coordinating thread.
 */
#ifndef PTEST_RESULTS_H
#define PTEST_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "buf.h"
#include "clock.h"
#include "hist.h"
#include "instances.h"
#include "plan.h"
#include "stats.h"

typedef struct results_label {
    const char *name;
    const char *hlog;       /* file name (no directory) */
    const stats_label *tot; /* counts, kinds, status codes, service time */
    const hist *lat;        /* latency of the whole run */
    bool no_service_time;   /* "service_time_us": null (merge: not stored per second) */
} results_label;

/* "server" (scrape.h: scrape_results). */
typedef struct results_server {
    const char *metrics_url, *config_url; /* NULL: null */
    bool scraped;                         /* both /metrics readings, before and after, were taken */
    double cpu_seconds;                   /* NAN: null */
    uint64_t requests;                    /* the run's count */
    double cpu_ms_per_1000_requests;      /* NAN: null */
    double peak_rss_bytes;                /* NAN: null */
    uint64_t samples;
} results_server;

/* "client": ptest's own cost. */
typedef struct results_client {
    double cpu_seconds; /* NAN: null */
    unsigned threads;
} results_client;

/* "distributed": which workers of a collected run (`ptest collect`) the merged folders
 * stand for: "reported" sent their final results, "partial" only live seconds (killed
 * mid-run) or final ones of a run cut short, "missing" nothing. Worker indices, ascending. */
typedef struct results_workers {
    uint32_t count;
    const uint32_t *reported, *partial, *missing;
    size_t n_reported, n_partial, n_missing;
} results_workers;

/* What only a merged document has. */
typedef struct results_merge {
    size_t n_inputs;
    const char *const *dirs;            /* "merged_from" */
    const json_t *const *shares;        /* [n_inputs]: each input's "share" (NULL: null) */
    const json_t *const *environments;  /* [n_inputs]: each input's "environment" */
    const json_t *plan;                 /* the whole run's plan; NULL: no "plan" */
    const results_workers *distributed; /* NULL: no "distributed" */
    const json_t *tls;                  /* the first input's "tls" (NULL: null) */
} results_merge;

/* environment.dns: how the target's name was resolved during the run (run.c, renew.h). */
typedef struct results_dns {
    bool pinned;                 /* a resolve entry gave the addresses: no lookup */
    uint64_t renewals, changes;  /* lookups during the run (every dns.ttl); those that
                                    changed the addresses in use */
    uint64_t failures;           /* lookups that failed (the addresses in use were kept) */
    const char *last_error;      /* the last failure's reason, or NULL */
    const char *final_addresses; /* in use at the end, "10.0.0.1:8080, 10.0.0.2:8080" */
} results_dns;

/* environment.targets: one per target a scenario or request names besides the plan's. */
typedef struct results_target {
    const char *target;  /* as written */
    const char *address; /* in use at the end */
    const results_dns *dns;
} results_target;

/* "threshold_abort": what stopped the run early (run.c, abortwatch.h). */
typedef struct results_abort {
    const char *threshold; /* the expression as written */
    const char *label;     /* the label it failed for ("total" for the total) */
    double at_s;           /* seconds after the start when it was judged failed */
    const char *measured;  /* "231 ms" */
    const char *limit;     /* "< 200 ms" */
} results_abort;

typedef struct results {
    const plan *p;
    wall_ns started;
    double duration_s;
    bool interrupted;
    const char *aborted;                  /* NULL when not aborted */
    const results_abort *threshold_abort; /* NULL: null */
    uint64_t data_exhausted;              /* "data_exhausted_users" */
    unsigned threads;
    const char *target_addr; /* resolved address, "127.0.0.1:8080" */
    const results_dns *dns;  /* NULL: "dns": null in environment */
    size_t n_targets;        /* environment.targets ([] when 0) */
    const results_target *targets;
    const char *event_loop; /* evloop_backend() of the run's loops; NULL: null */
    size_t n_labels;
    const results_label *labels;
    results_label total;
    const stats_series *series;
    bool tls;              /* https target: "tls" sections */
    const char *tls_error; /* the first TLS failure's reason, or NULL */
    /* The parts other modules hand over (NULL / false: the key is left out). */
    const results_server *server; /* with client: a run */
    const results_client *client;
    const json_t *expected;     /* "expected" (written as null when NULL) for a run or merge */
    bool histograms;            /* "latency_hdr" from labels[i].lat and total.lat */
    const results_merge *merge; /* a merged run: share / environment null, plan from here */
    const instances *inst;      /* X-Served-By counts, rows in labels[] order; NULL or empty:
                                   "instances": null */
} results;

/* Renders results.json into out. Returns 0 or -1 (allocation, or a fragment nested deeper
 * than jsonw allows; out->failed). */
int results_json(const results *r, buf *out);
/* Writes dir/results.json atomically. Returns 0 or -1 with err filled. */
int results_write(const results *r, const char *dir, char *err, size_t errlen);

/* File-name-safe names for n labels plus "total" (names[n]), unique. *names and its strings
 * are malloc'ed (free with results_names_destroy). Returns 0 or -1. */
int results_hlog_names(const char *const *labels, size_t n, char ***names);
void results_names_destroy(char **names, size_t n);

/* Streams the interval logs. */
typedef struct results_hlogs {
    size_t n; /* labels; files[n] is total.hlog */
    FILE **files;
    uint64_t base_ms; /* run start, ms since the epoch */
    bool failed;
    char err[256];
} results_hlogs;

/* Creates dir/<names[i]>.hlog for i in 0..n (names from results_hlog_names, which end in
 * ".hlog") with the header. Returns 0 or -1 with err filled. */
int results_hlogs_open(results_hlogs *h, const char *dir, char *const *names, size_t n, wall_ns start, char *err,
                       size_t errlen);
/* Appends the interval [start_ms, start_ms + len_ms) (relative to the run start) of every
 * label (empty labels included, so every file has every second) and of the total.
 * Returns 0 or -1 (sticky; h->err says why). */
int results_hlogs_add(results_hlogs *h, uint64_t start_ms, uint64_t len_ms, const stats_interval *iv);
/* Closes the files. Returns 0 or -1 when a write failed at any point (h->err). */
int results_hlogs_close(results_hlogs *h);

/* mkdir -p. Returns 0 or -1 (errno). */
int results_mkdirs(const char *dir);

#endif
