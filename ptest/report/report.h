/* report.h - analyse a stored run and write its reports: junit.xml, scorecard.html,
 * scorecard.css and summary.txt into the output directory, and print the summary.
 * Used by `ptest run` (at the end of every run), `ptest report` and `ptest merge`.
 * Not thread-safe.
 */
#ifndef PTEST_REPORT_H
#define PTEST_REPORT_H

#include <stdbool.h>

typedef struct report_opts {
    const char *dir;      /* results directory (results.json, *.hlog) */
    const char *baseline; /* baseline results directory, or NULL */
    const char *out_dir;  /* where the reports go; NULL: dir */
    const char *history;  /* history directory (history.h), or NULL */
    bool quiet;           /* do not print the summary */
} report_opts;

/* Returns a RUN_EXIT_* code (run.h): 0 pass, 1 gate failed, 2 unreadable input or a
 * threshold that does not parse, 3 the run was aborted or interrupted. Messages to stderr. */
int report_run(const report_opts *o);

#endif
