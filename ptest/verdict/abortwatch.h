/* abortwatch.h - the plan's abort_on_fail thresholds, judged while the run goes.
 *
 * The run's coordinator (run.c) hands every collected second to abortwatch_second. Each
 * threshold with abort_on_fail (plan.h) is judged once a second, from the first second that
 * ends at or after its delay_abort_eval:
 *   - without "for": on the run so far (cumulative, as k6 does): the whole-run latency
 *     histogram up to that second, the requests and errors so far, rps = requests so far /
 *     seconds so far;
 *   - with "for D" (threshold.h): on each second alone; it fails when ceil(D / 1 s)
 *     consecutive seconds, counted from its delay on, break it.
 * A label (or "*": every label and the total) without any finished request yet is not
 * judged; neither are relative thresholds ("p95: +10%": they need a baseline). The first
 * failure wins: abortwatch_second returns true once, and w->fired says what failed.
 * Ownership: the watch owns its state (abortwatch_fini). Not thread-safe (the coordinator).
 */
#ifndef PTEST_ABORTWATCH_H
#define PTEST_ABORTWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "plan.h"
#include "stats.h"
#include "threshold.h"

typedef struct abortwatch_item {
    const plan_threshold *t;
    threshold_expr e;
    bool every;       /* "*": every label and the total */
    size_t label;     /* else the label's index (plan_labels order) */
    uint32_t *streak; /* "for": consecutive breaking seconds, [n_labels + 1] */
} abortwatch_item;

/* What stopped the run (strings owned by the watch). */
typedef struct abortwatch_fired {
    const char *threshold; /* the expression as written */
    const char *label;     /* the label, or "total" */
    double at_s;           /* seconds since the start: the end of the second judged */
    char measured[64];     /* "231 ms"; a "for" threshold: its value in the last second */
    char limit[80];        /* "< 200 ms", "< 200 ms for 3s" */
} abortwatch_fired;

typedef struct abortwatch {
    size_t n_labels;
    const char *const *labels; /* [n_labels], borrowed */
    size_t n;                  /* abort_on_fail thresholds; 0: nothing to watch */
    abortwatch_item *items;
    uint64_t *count, *errors; /* [n_labels + 1] so far; [n_labels] the total */
    bool has_fired;
    abortwatch_fired fired;
} abortwatch;

/* Prepares the watch of p's abort_on_fail thresholds for the run's labels (engine_label
 * order; both borrowed for the watch's life). Expressions are parsed (ptest run checked them
 * already). Returns 0, or -1 (out of memory, an expression that does not parse) with err
 * filled; w is always initialised. */
int abortwatch_init(abortwatch *w, const plan *p, const char *const *labels, size_t n_labels, char *err, size_t errlen);
void abortwatch_fini(abortwatch *w);

/* Second t (0-based) of the run is collected: iv holds it (labels and total), cum[0 ..
 * n_labels] the whole-run latency histograms including it ([n_labels] the total). Returns
 * true the first time an abort threshold fails (then w->fired is set). */
bool abortwatch_second(abortwatch *w, uint32_t t, const stats_interval *iv, const hist *const *cum);

#endif
