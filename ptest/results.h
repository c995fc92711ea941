/* results.h - ptest's output files: results.json and the HdrHistogram interval logs.
 *
 * results.json (pretty-printed, written atomically at the end of the run):
 *   {
 *     "ptest_version": "...", "started": "<RFC 3339 UTC>", "duration_s": <double>,
 *     "interrupted": <bool>,              SIGINT/SIGTERM or an abort stopped the run
 *     "aborted": null | "<reason>",       e.g. "target http://... unreachable: connection refused"
 *     "dropped": <n>,                      open-model arrivals never sent (engine.h)
 *     "share": null | {"index", "count"},  this worker's share (ptest run --share I/N)
 *     "environment": {"hostname", "cpus", "threads", "target_address", "fd_limit"},
 *     "tls": null | {"verify", "client_certificate", "session_resumption": "per connection",
 *                    "first_error": null | "<the library's reason>"},   https targets
 *     "labels": {"<label>": LABEL, ...},  in plan order
 *     "total": LABEL,                      every label together
 *     "plan": {...},                       echo of the plan as run (durations in seconds)
 *     "timeseries": [POINT, ...]           one per second of the run
 *   }
 *   LABEL = {"count", "errors", "error_rate", "dropped", "queued", "rps", "bytes_received",
 *            "bytes_sent", "latency_us": STATS, "service_time_us": STATS,
 *            "errors_by_kind": {"connect_refused", "connect_timeout", "timeout", "reset",
 *                               "bad_response", "status", "expectation", "local_limit", "tls"},
 *            "status": {"200": n, ...}, "hlog": "<file name>",
 *            "tls": {"handshakes", "resumed", "handshake_us": STATS}}   (https targets only)
 *   handshakes: TLS handshakes made for the label's requests (one per new connection),
 *   their time after the TCP connect; it is in latency (the request waited for it) but not
 *   in service_time_us, which starts with the request's first byte.
 *   STATS = {"count", "min", "mean", "stddev", "p50", "p90", "p95", "p99", "p999", "max"}
 *           in microseconds from the HDR histogram (hdr.h semantics); every field but
 *           "count" is null when nothing was measured (never an invented 0).
 *   POINT = {"t": <second index from the start>, "len_s", "rps", "errors", "p50_us",
 *            "p99_us", "labels": {"<label>": {"rps", "errors", "p50_us", "p99_us"}}}
 *           rps = requests completed in the interval / len_s; p50/p99 null without
 *           responses. The last point covers the rest of the run (len_s may differ from 1).
 *   count = finished requests (responses of any status + transport errors); errors =
 *   those with any error kind but local_limit, which counts attempts the generator's own
 *   limits stopped before anything was sent (stats.h: outside count and errors); rps = count / duration_s (duration_s runs until the last
 *   answer, so it includes the in-flight requests of the end); queued = open-model arrivals
 *   that waited for a free connection (latency includes the wait; see engine.h).
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

#include "buf.h"
#include "clock.h"
#include "hdr.h"
#include "plan.h"
#include "stats.h"

typedef struct results_label {
    const char *name;
    const char *hlog;            /* file name (no directory) */
    const stats_label *tot;      /* counts, kinds, status codes, service time */
    const hdr_histogram *lat;    /* latency of the whole run */
} results_label;

typedef struct results {
    const plan *p;
    wall_ns started;
    double duration_s;
    bool interrupted;
    const char *aborted;         /* NULL when not aborted */
    unsigned threads;
    const char *target_addr;     /* resolved address, "127.0.0.1:8080" */
    size_t n_labels;
    const results_label *labels;
    results_label total;
    const stats_series *series;
    bool tls;                    /* https target: "tls" sections */
    const char *tls_error;       /* the first TLS failure's reason, or NULL */
} results;

/* Renders results.json into out. Returns 0 or -1 (allocation; out->failed). */
int results_json(const results *r, buf *out);
/* Writes dir/results.json atomically. Returns 0 or -1 with err filled. */
int results_write(const results *r, const char *dir, char *err, size_t errlen);

/* File-name-safe names for n labels plus "total" (names[n]), unique. *names and its strings
 * are malloc'ed (free with results_names_free). Returns 0 or -1. */
int results_hlog_names(const char *const *labels, size_t n, char ***names);
void results_names_free(char **names, size_t n);

/* Streams the interval logs. */
typedef struct results_hlogs {
    size_t n;                    /* labels; files[n] is total.hlog */
    FILE **files;
    uint64_t base_ms;            /* run start, ms since the epoch */
    bool failed;
    char err[256];
} results_hlogs;

/* Creates dir/<names[i]>.hlog for i in 0..n (names from results_hlog_names, which end in
 * ".hlog") with the header. Returns 0 or -1 with err filled. */
int results_hlogs_open(results_hlogs *h, const char *dir, char *const *names, size_t n,
                       wall_ns start, char *err, size_t errlen);
/* Appends the interval [start_ms, start_ms + len_ms) (relative to the run start) of every
 * label (empty labels included, so every file has every second) and of the total.
 * Returns 0 or -1 (sticky; h->err says why). */
int results_hlogs_add(results_hlogs *h, uint64_t start_ms, uint64_t len_ms, const stats_interval *iv);
/* Closes the files. Returns 0 or -1 when a write failed at any point (h->err). */
int results_hlogs_close(results_hlogs *h);

/* mkdir -p. Returns 0 or -1 (errno). */
int results_mkdirs(const char *dir);

#endif
