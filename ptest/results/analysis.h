/* analysis.h - a stored run (results.json + interval logs) as a model the reports read.
 *
 * Reading only: results.h owns the document and writes it; analysis_load reads
 * RESULTS_DIR/results.json (schema in results.h) with jansson and every label's .hlog,
 * adding its intervals into one whole-run latency histogram per label (so percentiles come
 * from the histograms, and merged runs are exact), plus the per-second histograms when
 * asked (merge needs them). Apdex uses the plan's apdex_t (default 500 ms): satisfied
 * <= T, tolerating <= 4T, everything else frustrated: slower responses and every error
 * (transport errors have no latency; responses with an error status are in the histogram,
 * so the successful responses are taken to be spread over the buckets like all of them).
 * Saturation warnings are derived here too, first the generator's own limits
 * (errors_by_kind.local_limit: attempts that never reached the network, outside count and
 * errors, so outside error_rate and the gate), naming the file-descriptor limit
 * (environment.fd_limit) when the plan's connections do not fit under it.
 * Ownership: analysis_run owns everything (analysis_fini). Not thread-safe.
 */
#ifndef PTEST_ANALYSIS_H
#define PTEST_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hist.h"
#include "instances.h"
#include "results.h"
#include "stats.h"

typedef struct analysis_point {
    double t, len_s;
    double rps;
    uint64_t errors;
    double p50_us, p99_us; /* NAN without responses */
} analysis_point;

typedef struct analysis_label {
    const char *name; /* view into the json */
    const char *hlog;
    uint64_t count, errors, dropped, queued;
    uint64_t by_kind[STATS_ERR_N];
    double rps, error_rate;
    double apdex;                         /* NAN when count == 0 */
    bool has_checks;                      /* the plan sets expect: for requests of this label */
    double svc_mean_us;                   /* mean service time from results.json (NAN if unknown) */
    double expected_mean_us;              /* configured delay of the label's endpoint (/config), NAN if unknown */
    uint64_t tls_handshakes, tls_resumed; /* https: "tls" of the label (0 without) */
    double tls_hs_mean_us, tls_hs_p50_us, tls_hs_p99_us; /* handshake time, NAN without */
    hist *lat;                                           /* whole run, us (from the .hlog) */
    size_t n_pts;
    analysis_point *pts; /* time series from results.json */
    size_t n_iv;         /* per-interval histograms (only with want_intervals) */
    hist **iv;
    double *iv_start_s; /* absolute start, seconds since the epoch */
    double *iv_len_s;
} analysis_label;

typedef struct analysis_run {
    json_t *json; /* results.json, owned */
    char *dir;
    const char *plan_name, *started, *target, *aborted;
    double duration_s;
    bool interrupted;
    bool stopped_by_threshold;     /* "threshold_abort" in results.json: ... */
    results_abort threshold_abort; /* ... the abort_on_fail threshold that stopped the run
                                        (views into the json) */
    uint64_t data_exhausted;       /* "data_exhausted_users" */
    double apdex_t_us;
    double planned_rps;     /* open scenarios' mean rate summed; 0 without open load */
    double hlog_base_s;     /* BaseTime of total.hlog (0 when unknown) */
    bool server_scraped;    /* "server" in results.json: the target's /metrics */
    double cpu_ms_per_1000; /* server CPU ms per 1,000 requests (NAN if unknown) */
    double peak_rss_bytes;  /* sampled peak RSS (NAN if unknown) */
    bool has_expected;      /* "expected" (the target's /config) is in results.json */
    double client_busy;     /* ptest's CPU / (duration x threads), NAN if unknown */
    uint64_t fd_limit;      /* environment.fd_limit of the run (0 if unknown) */
    uint64_t plan_conns;    /* the plan's closed users + open max_connections */
    bool tls;               /* https target ("tls" in results.json) */
    const char *tls_error;  /* its first_error (view into the json) or NULL */
    bool has_instances;     /* "instances" (X-Served-By counts) is in results.json ... */
    instances inst;         /* ... and here, the total only (no label rows) */
    size_t n_labels;
    analysis_label *labels;
    analysis_label total;
    char warnings[6][320];
    size_t n_warnings;
} analysis_run;

enum { ANALYSIS_EIO = -1, ANALYSIS_EFORMAT = -2, ANALYSIS_ENOMEM = -3 };

/* Loads dir. Each label's whole-run histogram comes from results.json's "latency_hdr"
 * (base64 of the V2 compressed encoding, written by results.h for `ptest run` and
 * `ptest merge`) when present and want_intervals is false, else from adding the
 * intervals of its .hlog (the same counts, only slower). want_intervals keeps each label's per-second histograms. Returns 0 or an ANALYSIS_*
 * code with err filled ("results/results.json: ..."); r is then freed already. */
int analysis_load(analysis_run *r, const char *dir, bool want_intervals, char *err, size_t errlen);
void analysis_fini(analysis_run *r);

/* Adds the "instances" object of results.json doc (results.h) into t: every label's counts
 * into row row_of(ctx, label) (INSTANCES_TOTAL: the total only), or, when row_of is NULL,
 * the document's total counts into the total. Returns true when doc has such counts. */
bool analysis_instances_add(const json_t *doc, instances *t, size_t (*row_of)(void *ctx, const char *label), void *ctx);

/* Percentile of a label in us (NAN when nothing was measured). */
double analysis_pct(const analysis_label *l, double p);
/* Label by name, or the total for "total"; NULL when absent. */
const analysis_label *analysis_find(const analysis_run *r, const char *name);
/* Percentile callback for threshold_values (ctx = const analysis_label *). */
double analysis_pct_cb(const void *ctx, double p);

#endif
