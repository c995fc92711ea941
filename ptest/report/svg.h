/* svg.h - small inline SVG charts drawn with presentation attributes only (no style=, no
 * script), so they render under a CSP of default-src 'none'. Every chart is one <svg> with
 * a viewBox (it scales with the page), a title, axes with ticks and a legend.
 * Text passed in is XML-escaped. Not thread-safe (one buf).
 */
#ifndef PTEST_SVG_H
#define PTEST_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef struct svg_series {
    const double *x, *y; /* n points; NAN y values break the line */
    size_t n;
    const char *name;  /* legend text */
    const char *color; /* "#1f77b4" */
    bool dashed;
} svg_series;

enum svg_xaxis {
    SVG_X_LINEAR,
    SVG_X_PERCENTILE /* x given as percentiles 0..100, drawn as -log10(1 - p/100),
                                  ticks at 0, 90, 99, 99.9 ... */
};

typedef struct svg_chart {
    const char *title;
    const char *x_label, *y_label;
    enum svg_xaxis xaxis;
    double width, height; /* viewBox size, e.g. 600 x 300 */
} svg_chart;

/* Line chart of n series (y axis from 0). */
void svg_lines(buf *b, const svg_chart *c, const svg_series *s, size_t n);
/* Bar chart: bar i spans [x0[i], x1[i]) on a log10 x axis (x > 0) with height y[i]. */
void svg_bars_logx(buf *b, const svg_chart *c, const double *x0, const double *x1, const double *y, size_t n,
                   const char *color);

#endif
