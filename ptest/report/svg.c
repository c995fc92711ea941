/* svg.c - line and bar charts as SVG text. */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "xml.h"

#define ML 62.0 /* margins: left (y tick labels), right, top (title), bottom (x labels) */
#define MR 16.0
#define MT 34.0
#define MB 44.0

static void text(buf *b, const char *s)
{
    xml_escape_str(b, s);
}

/* A "nice" tick step near range / 5: 1, 2 or 5 times a power of ten. */
static double nice_step(double range)
{
    if (!(range > 0))
        return 1;
    double raw = range / 5, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* Tick k of an axis whose ticks are whole multiples of step: k * step, computed from the
 * index and never by adding steps up (0.2 added five times to -1 is -5.55e-17, not 0).
 * "+ 0.0" turns -0 (from ceil of a small negative) into 0. */
static double tick_at(double k, double step)
{
    return k * step + 0.0;
}

static void fmt_tick(double v, char *out, size_t len)
{
    if (fabs(v) >= 1e6)
        snprintf(out, len, "%.3gM", v / 1e6);
    else if (fabs(v) >= 1e4)
        snprintf(out, len, "%.3gk", v / 1e3);
    else
        snprintf(out, len, "%.4g", v);
}

static double px(double x)
{
    /* Two decimals keep paths short and exact enough at any zoom. */
    return round(x * 100) / 100;
}

static void frame(buf *b, const svg_chart *c)
{
    buf_printf(b,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 %.0f %.0f\" "
               "role=\"img\" aria-label=\"",
               c->width, c->height);
    text(b, c->title);
    buf_printf(b, "\"><rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>", c->width, c->height);
    buf_printf(b,
               "<text x=\"%.0f\" y=\"20\" font-family=\"sans-serif\" font-size=\"14\" font-weight=\"bold\" "
               "fill=\"#222222\">",
               ML);
    text(b, c->title);
    buf_puts(b, "</text>");
}

static void yaxis(buf *b, const svg_chart *c, double ymax)
{
    double w = c->width - ML - MR, h = c->height - MT - MB, step = nice_step(ymax);
    for (double k = 0; tick_at(k, step) <= ymax * 1.0001; k++) {
        double v = tick_at(k, step), y = MT + h - v / ymax * h;
        char t[32];
        fmt_tick(v, t, sizeof(t));
        buf_printf(b,
                   "<line x1=\"%.0f\" y1=\"%.2f\" x2=\"%.0f\" y2=\"%.2f\" stroke=\"#e3e3e3\" stroke-width=\"1\"/>"
                   "<text x=\"%.0f\" y=\"%.2f\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#555555\" "
                   "text-anchor=\"end\">%s</text>",
                   ML, y, ML + w, y, ML - 6, y + 4, t);
    }
    buf_printf(b,
               "<text x=\"14\" y=\"%.0f\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#555555\" "
               "text-anchor=\"middle\" transform=\"rotate(-90 14 %.0f)\">",
               MT + h / 2, MT + h / 2);
    text(b, c->y_label);
    buf_printf(b, "</text><line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#888888\"/>", ML, MT + h,
               ML + w, MT + h);
    buf_printf(b,
               "<text x=\"%.0f\" y=\"%.0f\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#555555\" "
               "text-anchor=\"middle\">",
               ML + w / 2, c->height - 6);
    text(b, c->x_label);
    buf_puts(b, "</text>");
}

static void xtick(buf *b, const svg_chart *c, double x, const char *label)
{
    double h = c->height - MT - MB;
    buf_printf(b,
               "<line x1=\"%.2f\" y1=\"%.0f\" x2=\"%.2f\" y2=\"%.0f\" stroke=\"#888888\"/>"
               "<text x=\"%.2f\" y=\"%.0f\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#555555\" "
               "text-anchor=\"middle\">",
               x, MT + h, x, MT + h + 4, x, MT + h + 16);
    text(b, label);
    buf_puts(b, "</text>");
}

static double xmap(const svg_chart *c, double x)
{
    if (c->xaxis == SVG_X_PERCENTILE) {
        double q = 1 - x / 100;
        return q > 1e-7 ? -log10(q) : 7;
    }
    return x;
}

static void legend(buf *b, const svg_chart *c, const svg_series *s, size_t n)
{
    double x = ML + 8;
    for (size_t i = 0; i < n; i++) {
        if (!s[i].name)
            continue;
        buf_printf(b,
                   "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"2.5\"%s/>"
                   "<text x=\"%.0f\" y=\"%.0f\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#333333\">",
                   x, MT + 2, x + 18, MT + 2, s[i].color, s[i].dashed ? " stroke-dasharray=\"5 3\"" : "", x + 22,
                   MT + 6);
        text(b, s[i].name);
        buf_puts(b, "</text>");
        x += 30 + 7.0 * (double)strlen(s[i].name);
        if (x > c->width - 100)
            break;
    }
}

void svg_lines(buf *b, const svg_chart *c, const svg_series *s, size_t n)
{
    double xmin = INFINITY, xmax = -INFINITY, ymax = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < s[i].n; k++) {
            double x = xmap(c, s[i].x[k]);
            xmin = fmin(xmin, x);
            xmax = fmax(xmax, x);
            if (!isnan(s[i].y[k]))
                ymax = fmax(ymax, s[i].y[k]);
        }
    if (!(xmax > xmin)) {
        xmin = 0;
        xmax = 1;
    }
    if (c->xaxis == SVG_X_PERCENTILE)
        xmin = 0;
    ymax = ymax > 0 ? ymax * 1.08 : 1;
    double w = c->width - ML - MR, h = c->height - MT - MB;
    frame(b, c);
    yaxis(b, c, ymax);
    if (c->xaxis == SVG_X_PERCENTILE) {
        static const char *const names[] = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
        for (int k = 0; k <= 6 && k <= xmax + 1e-9; k++)
            xtick(b, c, ML + (k - xmin) / (xmax - xmin) * w, names[k]);
    } else {
        double step = nice_step(xmax - xmin);
        for (double k = ceil(xmin / step - 1e-9); tick_at(k, step) <= xmax + step * 1e-9; k++) {
            double v = tick_at(k, step);
            char t[32];
            fmt_tick(v, t, sizeof(t));
            xtick(b, c, ML + (v - xmin) / (xmax - xmin) * w, t);
        }
    }
    for (size_t i = 0; i < n; i++) {
        buf_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\"%s d=\"",
                   s[i].color, s[i].dashed ? " stroke-dasharray=\"6 4\"" : "");
        bool pen = false;
        for (size_t k = 0; k < s[i].n; k++) {
            if (isnan(s[i].y[k])) {
                pen = false;
                continue;
            }
            double x = ML + (xmap(c, s[i].x[k]) - xmin) / (xmax - xmin) * w;
            double y = MT + h - s[i].y[k] / ymax * h;
            buf_printf(b, "%c%g %g", pen ? 'L' : 'M', px(x), px(y));
            pen = true;
        }
        buf_puts(b, "\"/>");
    }
    legend(b, c, s, n);
    buf_puts(b, "</svg>\n");
}

void svg_bars_logx(buf *b, const svg_chart *c, const double *x0, const double *x1, const double *y, size_t n,
                   const char *color)
{
    double lo = INFINITY, hi = -INFINITY, ymax = 0;
    for (size_t i = 0; i < n; i++) {
        if (x0[i] > 0)
            lo = fmin(lo, log10(x0[i]));
        if (x1[i] > 0)
            hi = fmax(hi, log10(x1[i]));
        ymax = fmax(ymax, y[i]);
    }
    if (!(hi > lo)) {
        lo = 0;
        hi = 1;
    }
    ymax = ymax > 0 ? ymax * 1.08 : 1;
    double w = c->width - ML - MR, h = c->height - MT - MB;
    frame(b, c);
    yaxis(b, c, ymax);
    /* Decade ticks with 2 and 5 in between, labelled in ms. */
    for (double d = floor(lo); d <= ceil(hi); d++)
        for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
            double v = log10(m) + d;
            if (v < lo - 1e-9 || v > hi + 1e-9)
                continue;
            char t[32];
            fmt_tick(m * pow(10, d) / 1e3, t, sizeof(t));
            xtick(b, c, ML + (v - lo) / (hi - lo) * w, t);
        }
    for (size_t i = 0; i < n; i++) {
        if (!(x0[i] > 0) || !(x1[i] > 0) || y[i] <= 0)
            continue;
        double a = ML + (log10(x0[i]) - lo) / (hi - lo) * w, e = ML + (log10(x1[i]) - lo) / (hi - lo) * w;
        double top = MT + h - y[i] / ymax * h;
        buf_printf(b, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"%s\"/>", px(a), px(top),
                   px(fmax(e - a - 0.5, 0.5)), px(MT + h - top), color);
    }
    buf_puts(b, "</svg>\n");
}
