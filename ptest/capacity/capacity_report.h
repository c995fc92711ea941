/* capacity_report.h - what `ptest capacity` writes: results.json with its "capacity"
 * object, summary.txt (also printed), junit.xml, scorecard.html (+ scorecard.css).
 *
 * OUT/results.json (its own document; each step's results.json in OUT/steps/NN-RATE/ is
 * the usual one of results.h):
 *   {"ptest_version", "kind": "capacity", "started", "duration_s", "interrupted",
 *    "plan": {"name", "source", "target"},
 *    "capacity": {
 *      "rate": P | null,            the capacity: the highest rate whose SLOs held
 *      "first_failing": F | null,   the lowest rate above it that failed (or was
 *                                   generator-limited)
 *      "limited_by": "server" | "generator" | "max" | null,
 *                                   server: P <= capacity < F; generator: capacity >= P,
 *                                   the generator was the limit at F; max: capacity >= P
 *                                   = --max; null: no rate held (capacity < F)
 *      "relative_width": (F - P) / P | null,   the confidence interval's width
 *      "precision", "warmup_s", "step_s", "threads",
 *      "text": "<the headline>",
 *      "slos": [{"label", "expr"}, ...],
 *      "gates": [{"expr", "passed", "message"}, ...],
 *      "steps": [{"rate", "achieved", "judged_s", "planned", "count", "errors", "error_rate",
 *                 "dropped", "queued", "p50_us", "p95_us", "p99_us", "service_p95_us",
 *                 "cpu", "cores", "result": "pass" | "fail" | "generator-limited",
 *                 "stopped_early", "reason", "dir"}, ...]   in the order run
 *    }}
 * Not thread-safe.
 */
#ifndef PTEST_CAPACITY_REPORT_H
#define PTEST_CAPACITY_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "capacity.h"
#include "clock.h"

typedef struct capacity_outcome {
    const plan *p;
    wall_ns started;
    double duration_s;
    bool interrupted;
    const capacity_search *search;
    const capacity_step *steps;
    size_t n_steps;
    const capacity_slo *slos, *gates;
    size_t n_slos, n_gates;
    double warmup_s, step_s;
    unsigned threads;
    /* capacity_report_gates */
    bool gate_failed[CAPACITY_MAX_SLOS];
    char gate_msg[CAPACITY_MAX_SLOS][200];
    size_t gates_failed;
    char text[600]; /* the headline */
} capacity_outcome;

/* Evaluates the gates (`capacity > 500/s`) against the capacity found and writes the
 * headline. */
void capacity_report_gates(capacity_outcome *o);
/* The four outputs into dir; summary.txt also on stdout when print. Returns 0 or -1 with
 * err filled. */
int capacity_report_write(const capacity_outcome *o, const char *dir, bool print, char *err, size_t errlen);

/* The renderings, for the tests. Each returns 0 or -1 (out->failed). */
int capacity_report_json(const capacity_outcome *o, buf *out);
int capacity_report_summary(const capacity_outcome *o, buf *out);
int capacity_report_junit(const capacity_outcome *o, buf *out);
int capacity_report_html(const capacity_outcome *o, buf *out);

#endif
