/* history.h - a run history for trends: one JSON line per run in DIR/history.jsonl
 *   {"started", "plan", "results", "count", "rps", "error_rate", "p50_us", "p95_us",
 *    "p99_us", "verdict": "pass" | "fail" | "aborted"}
 * A run already in the file (same "started" and "results") is not appended again, so
 * `ptest report` can be repeated. Not thread-safe; one writer per directory at a time.
 */
#ifndef PTEST_HISTORY_H
#define PTEST_HISTORY_H

#include <stddef.h>

#include "analysis.h"
#include "gate.h"

#define HISTORY_SHOW 20 /* runs shown in the trend */

typedef struct history_entry {
    char started[40];
    char verdict[8];
    double rps, error_rate, p50_us, p95_us, p99_us;
} history_entry;

typedef struct history {
    size_t n; /* the last n runs, oldest first (n <= HISTORY_SHOW) */
    history_entry e[HISTORY_SHOW];
} history;

/* Appends r (with its gate verdict) to dir/history.jsonl, creating dir, and loads the last
 * HISTORY_SHOW runs into *h. Lines that do not parse are skipped. Returns 0 or -1 with err. */
int history_update(const char *dir, const analysis_run *r, const gate *g, history *h, char *err, size_t errlen);

#endif
