/* junit.h - junit.xml for Jenkins' junit step: one <testsuite> per label (and "total"),
 * one <testcase> per gate case (gate.h); failures carry the measured value and the limit;
 * skipped cases are <skipped/>. Everything written is escaped (lib/data/xml.h).
 * Not thread-safe (one buf).
 */
#ifndef PTEST_JUNIT_H
#define PTEST_JUNIT_H

#include <stddef.h>

#include "analysis.h"
#include "buf.h"
#include "gate.h"

/* Renders the document. Returns 0 or -1 (out->failed). */
int junit_render(const analysis_run *r, const gate *g, buf *out);

#endif
