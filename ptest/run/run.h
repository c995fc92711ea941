/* run.h - `ptest run`: coordinates one run of a plan.
 *
 * Resolves and probes the target, starts the engine, and on its own event loop (the
 * calling thread) collects every second from the worker threads (stats.h): the 1 s time
 * series, the interval logs written as the run goes, the progress line, the "target
 * unreachable" verdict (no connection ever established, at least one failed, after 1 s
 * or at the end). SIGINT/SIGTERM stop the run cleanly (a second one kills ptest); the
 * results of what ran are still written, marked interrupted. At the end: results.json,
 * a summary on stdout (unless quiet). With report_to, every second goes to the collector
 * as it is collected, and the result files at the end (upload.h); if they cannot be
 * delivered the run ends with RUN_EXIT_UNDELIVERED (the local results are written anyway).
 * When the coordinator's event loop fails, the run stops, its results are written (marked
 * aborted, with the reason) and it ends with RUN_EXIT_RUNTIME.
 */
#ifndef PTEST_RUN_H
#define PTEST_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"
#include "stats.h"

/* Exit codes of ptest, as `ptest --help`, the README and docs/ptest.md list them. 2 is
 * for what is wrong with what was asked (arguments, the plan, input results that cannot be
 * read, a plan the machine refuses); 5 for what failed while doing it. */
typedef enum run_exit {
    RUN_EXIT_OK = 0,
    RUN_EXIT_GATE = 1,        /* the gate failed: a threshold, a check or a regression */
    RUN_EXIT_USAGE = 2,       /* usage or plan error, unreadable input results */
    RUN_EXIT_ABORTED = 3,     /* interrupted, or target unreachable (results are written) */
    RUN_EXIT_UNDELIVERED = 4, /* --report-to: the final results never reached the collector */
    RUN_EXIT_RUNTIME = 5,     /* runtime failure: an output (directory, results.json, interval
                                    log, JTL, report) could not be written, the event loop
                                    failed, out of memory */
} run_exit;

/* A caller's view of the run as it goes (`ptest capacity`).
 * second: every collected interval (second t, len_ns long; the last one may be shorter), on
 * the coordinator thread. Returning true stops the run now: its results are still written,
 * marked aborted with why.
 * totals: after the engine joined, the whole-run totals per label, [n_labels] the total. */
typedef bool run_watch_second_fn(void *arg, uint32_t t, uint64_t len_ns, const stats_interval *iv, char *why,
                                 size_t whylen);
typedef void run_watch_totals_fn(void *arg, const stats_label *tots, size_t n_labels);
typedef struct run_watch {
    run_watch_second_fn *second;
    run_watch_totals_fn *totals;
    void *arg;
} run_watch;

typedef struct run_opts {
    const char *out_dir;        /* created if missing; default "results" */
    const char *jtl_path;       /* NULL: no JTL */
    unsigned threads;           /* 0: online CPUs, at most 4 */
    bool quiet;                 /* no progress line and no summary */
    uint64_t seed;              /* 0: random per-thread seeds */
    const char *report_to;      /* collector URL (upload.h), or NULL; needs a share */
    uint64_t report_timeout_ns; /* bound on the final upload; 0: UPLOAD_FINAL_TIMEOUT_NS */
    const char *metrics_listen; /* --metrics-listen ADDR: live Prometheus metrics
                                   (runmetrics.h), or NULL */
    const run_watch *watch;     /* or NULL */
} run_opts;

/* Runs plan p (validated, with a target). Messages go to stderr. Returns a RUN_EXIT_*. */
int run_plan(const plan *p, const run_opts *o);

#endif
