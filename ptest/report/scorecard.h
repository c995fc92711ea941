/* scorecard.h - scorecard.html + scorecard.css: verdict first, then the per-label table and
 * the gate's cases, then inline SVG charts (svg.h): latency percentile spectrum (baseline
 * overlaid, dashed), latency and throughput over time, latency histogram.
 * The page holds no script, no <style> element and no style= attribute: it renders fully
 * under Jenkins' default CSP (sandbox; default-src 'none'; img-src 'self'; style-src
 * 'self'), with its look in the external scorecard.css (scorecard_css, embedded so the
 * binary is self-contained). Not thread-safe (one buf).
 */
#ifndef PTEST_SCORECARD_H
#define PTEST_SCORECARD_H

#include "analysis.h"
#include "buf.h"
#include "gate.h"
#include "history.h"

extern const char scorecard_css[];

/* Renders the page. base and trend may be NULL. Returns 0 or -1 (out->failed). */
int scorecard_render(const analysis_run *r, const analysis_run *base, const gate *g, const history *trend, buf *out);

#endif
