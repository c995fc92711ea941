/* summary.h - summary.txt: the verdict, warnings and per-label table for a terminal.
 * Not thread-safe (one buf). */
#ifndef PTEST_SUMMARY_H
#define PTEST_SUMMARY_H

#include "analysis.h"
#include "buf.h"
#include "gate.h"
#include "history.h"

/* Verdict line: "PASS: 12 checks passed" / "FAIL: 2 of 12 checks failed" / "ABORTED: ...". */
void summary_verdict(const analysis_run *r, const gate *g, char *out, size_t len);
/* Renders summary.txt (with the trend when trend != NULL). Returns 0 or -1 (out->failed). */
int summary_render(const analysis_run *r, const gate *g, const history *trend, buf *out);

#endif
