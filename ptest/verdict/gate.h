/* gate.h - the quality gate: thresholds, checks and the baseline comparison of one run,
 * as a list of test cases (what junit.xml, summary.txt and the scorecard show).
 *
 * Cases, per label in run order then the total:
 *   - one per threshold that applies to the label (plan thresholds: the label's own and
 *     "*", which applies to every label and the total);
 *   - "checks" for labels whose plan requests have expect: (fails when any response had the
 *     wrong status or lacked the expected body);
 *   - "baseline" when a baseline run is given (fails on a regression, compare.h);
 * then, for a run collected from distributed workers (results.json "distributed", merge.h),
 * suite GATE_SUITE_WORKERS: one case "worker I" per worker, failed when the worker is
 * partial (only live seconds arrived: it did not finish) or missing (it sent nothing).
 * Relative thresholds ("p95: +10%") are skipped without a baseline and fail only when the
 * limit is exceeded and the comparison finds the change significant. A "for D" threshold
 * (threshold.h) fails when ceil(D / 1 s) consecutive full one-second windows anywhere in the
 * run break it. An abort_on_fail threshold that stopped the run (results.json
 * "threshold_abort") fails, its message saying when and with what value.
 * Ownership: gate owns its cases and comparisons (gate_fini). Not thread-safe.
 */
#ifndef PTEST_GATE_H
#define PTEST_GATE_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis.h"
#include "compare.h"
#include "threshold.h"

/* Suite of the per-worker cases (compare by pointer, as for labels). */
extern const char GATE_SUITE_WORKERS[];

typedef struct gate_case {
    const char *suite; /* label name (view into the run), or GATE_SUITE_WORKERS */
    char name[192];    /* "p95 < 250ms", "checks", "baseline" */
    bool failed, skipped;
    char measured[64]; /* "231 ms" */
    char limit[64];    /* "< 250 ms" */
    char message[320]; /* why it failed or was skipped ("" when it passed) */
} gate_case;

typedef struct gate {
    size_t n, cap;
    gate_case *cases;
    size_t n_failed;
    bool has_baseline;
    compare_label *cmp; /* [run->n_labels + 1] (last = total) with a baseline */
    bool *cmp_present;  /* the label exists in the baseline too */
} gate;

enum { GATE_ESYNTAX = -1, GATE_ENOMEM = -2 };

/* Evaluates run r against its plan's thresholds and, when base != NULL, the baseline.
 * Returns 0, GATE_ESYNTAX (a threshold does not parse: err says which) or GATE_ENOMEM;
 * g is always initialised (gate_fini it). */
int gate_eval(gate *g, const analysis_run *r, const analysis_run *base, char *err, size_t errlen);
void gate_fini(gate *g);

/* The expression of a plan.thresholds item of results.json: the string, or the "threshold"
 * of an object ({"threshold", "abort_on_fail", "delay_abort_eval_s"}); NULL otherwise. */
const char *gate_threshold_expr(const json_t *item);
/* True when a threshold of r's plan has a "for" clause: gate_eval then needs r loaded with
 * its per-second histograms (analysis_load want_intervals). */
bool gate_wants_intervals(const analysis_run *r);
/* threshold_values of latencies in h (us), count requests of which errors failed, over secs
 * seconds (rps = count / secs); NAN where nothing was measured. h may be NULL. */
void gate_hist_values(const hist *h, uint64_t count, uint64_t errors, double secs, threshold_values *v);
/* Percentile callback of gate_hist_values (ctx = const hist *). */
double gate_hist_pct(const void *ctx, double p);

/* Label i's comparison (i == n_labels: the total), NULL without a baseline/that label. */
const compare_label *gate_cmp(const gate *g, const analysis_run *r, size_t i);

#endif
