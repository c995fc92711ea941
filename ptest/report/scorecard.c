/* scorecard.c - the HTML scorecard. */
#include "scorecard.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"
#include "summary.h"
#include "svg.h"
#include "units.h"

const char scorecard_css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f4f5f7;color:#222}\n"
    "main{max-width:1180px;margin:0 auto;padding:24px}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}\n"
    ".meta{color:#666;font-size:13px;margin-bottom:16px}\n"
    ".verdict{border-radius:8px;padding:16px 20px;color:#fff;font-size:20px;font-weight:600}\n"
    ".verdict.pass{background:#2e7d32}.verdict.fail{background:#c62828}.verdict.aborted{background:#ef6c00}\n"
    ".verdict ul{font-size:14px;font-weight:400;margin:8px 0 0;padding-left:20px}\n"
    ".warn{background:#fff8e1;border-left:4px solid #f9a825;padding:8px 12px;margin:10px 0;font-size:14px}\n"
    "table{border-collapse:collapse;width:100%;background:#fff;font-size:13px;box-shadow:0 1px 2px rgba(0,0,0,.1)}\n"
    ".scroll{overflow-x:auto}\n"
    "th,td{padding:5px 7px;text-align:right;border-bottom:1px solid #eee;white-space:nowrap}\n"
    "td.wrap{white-space:normal;text-align:left}\n"
    "th{background:#fafafa;color:#555;font-weight:600}\n"
    "td.l,th.l{text-align:left}tr.total td{font-weight:600;border-top:2px solid #ccc}\n"
    "td.bad{color:#c62828;font-weight:600}td.good{color:#2e7d32}td.skip{color:#888}\n"
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}\n"
    ".chart{width:100%;height:auto;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.1);border-radius:4px}\n"
    "footer{color:#888;font-size:12px;margin-top:24px}\n"
    ".note{color:#666;font-size:12px;margin:6px 0}table.narrow{width:auto}\n";

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

static void esc(buf *b, const char *s)
{
    xml_escape_str(b, s);
}

static void td_us(buf *b, double us)
{
    char t[32];
    units_format_us(us, t, sizeof(t));
    buf_printf(b, "<td>%s</td>", t);
}

static double pct_change(double a, double b)
{
    return a > 0 && !isnan(b) ? (b / a - 1) * 100 : 0;
}

static void label_row(buf *b, const analysis_label *l, const compare_label *c, bool with_base, bool total)
{
    buf_printf(b, "<tr%s><td class=\"l\">", total ? " class=\"total\"" : "");
    esc(b, l->name);
    buf_printf(b, "</td><td>%" PRIu64 "</td><td>%.1f</td><td%s>%.2f %%</td>", l->count, l->rps,
               l->errors ? " class=\"bad\"" : "", l->error_rate * 100);
    bool any = l->lat && l->lat->total_count;
    td_us(b, any ? hist_mean(l->lat) : NAN);
    static const double ps[] = {50, 90, 95, 99, 99.9};
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
        td_us(b, analysis_pct(l, ps[i]));
    td_us(b, any ? (double)hist_max(l->lat) : NAN);
    if (isnan(l->apdex))
        buf_puts(b, "<td>-</td>");
    else
        buf_printf(b, "<td>%.2f</td>", l->apdex);
    if (with_base) {
        if (!c) {
            buf_puts(b, "<td class=\"skip\">-</td><td class=\"skip\">-</td><td class=\"skip\">not in baseline</td>");
        } else {
            const char *cls = c->verdict == COMPARE_REGRESSION    ? "bad"
                              : c->verdict == COMPARE_IMPROVEMENT ? "good"
                                                                  : "";
            buf_printf(b, "<td>%+.1f %%</td><td>%+.1f %%</td><td class=\"wrap %s\">%s (p=%.2g)</td>",
                       pct_change(c->base[0], c->cand[0]), pct_change(c->base[1], c->cand[1]), cls,
                       compare_verdict_name(c->verdict), c->mw.p);
        }
    }
    buf_puts(b, "</tr>\n");
}

/* Percentile spectrum points: p = 1 - 10^-x, x from 0 to log10(count) (at most 6). */
static size_t spectrum(const analysis_label *l, double *x, double *y, size_t max)
{
    if (!l->lat || l->lat->total_count == 0)
        return 0;
    double top = fmin(6, fmax(1, log10((double)l->lat->total_count)));
    size_t n = 0;
    for (double k = 0; k <= top + 1e-9 && n < max; k += top / (double)(max - 1)) {
        x[n] = (1 - pow(10, -k)) * 100;
        y[n] = (double)hist_value_at_percentile(l->lat, x[n]) / 1e3;
        n++;
    }
    return n;
}

#define SPEC_PTS 120
#define MAX_LINES 8

static void chart_spectrum(buf *b, const analysis_run *r, const analysis_run *base)
{
    double(*xs)[SPEC_PTS] = calloc(MAX_LINES + 1, sizeof(*xs));
    double(*ys)[SPEC_PTS] = calloc(MAX_LINES + 1, sizeof(*ys));
    svg_series s[MAX_LINES + 1];
    size_t n = 0;
    if (!xs || !ys) {
        b->failed = true;
        goto out;
    }
    const analysis_label *tot = &r->total;
    for (size_t i = 0; i < r->n_labels && n < MAX_LINES - 1; i++) {
        size_t k = spectrum(&r->labels[i], xs[n], ys[n], SPEC_PTS);
        s[n] = (svg_series){xs[n], ys[n], k, r->labels[i].name, palette[n % 10], false};
        n++;
    }
    size_t k = spectrum(tot, xs[n], ys[n], SPEC_PTS);
    s[n] = (svg_series){xs[n], ys[n], k, "total", "#222222", false};
    n++;
    if (base) {
        k = spectrum(&base->total, xs[n], ys[n], SPEC_PTS);
        s[n] = (svg_series){xs[n], ys[n], k, "baseline total", "#999999", true};
        n++;
    }
    svg_chart c = {"Latency by percentile", "percentile (log scale)", "latency (ms)", SVG_X_PERCENTILE, 600, 320};
    svg_lines(b, &c, s, n);
out:
    free(xs);
    free(ys);
}

static void chart_time(buf *b, const analysis_run *r)
{
    const analysis_label *t = &r->total;
    size_t n = t->n_pts;
    double *x = calloc(n ? n : 1, sizeof(double)), *p50 = calloc(n ? n : 1, sizeof(double));
    double *p99 = calloc(n ? n : 1, sizeof(double)), *rps = calloc(n ? n : 1, sizeof(double));
    double *err = calloc(n ? n : 1, sizeof(double));
    if (!x || !p50 || !p99 || !rps || !err) {
        b->failed = true;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        x[i] = t->pts[i].t + t->pts[i].len_s;
        p50[i] = t->pts[i].p50_us / 1e3;
        p99[i] = t->pts[i].p99_us / 1e3;
        rps[i] = t->pts[i].rps;
        err[i] = t->pts[i].len_s > 0 ? (double)t->pts[i].errors / t->pts[i].len_s : 0;
    }
    svg_series lat[2] = {{x, p99, n, "p99", "#d62728", false}, {x, p50, n, "p50", "#1f77b4", false}};
    svg_chart c1 = {"Latency over time (all labels)", "seconds since start", "latency (ms)", SVG_X_LINEAR, 600, 320};
    svg_lines(b, &c1, lat, 2);
    svg_series thr[2] = {{x, rps, n, "requests/s", "#2ca02c", false}, {x, err, n, "errors/s", "#d62728", false}};
    svg_chart c2 = {"Throughput over time", "seconds since start", "per second", SVG_X_LINEAR, 600, 320};
    svg_lines(b, &c2, thr, 2);
out:
    free(x);
    free(p50);
    free(p99);
    free(rps);
    free(err);
}

#define HIST_BINS 48

static void chart_histogram(buf *b, const analysis_run *r)
{
    const hist *h = r->total.lat;
    double x0[HIST_BINS], x1[HIST_BINS], y[HIST_BINS];
    memset(y, 0, sizeof(y));
    double lo = h && h->total_count ? fmax(1, (double)hist_min(h)) : 1;
    double hi = h && h->total_count ? fmax(lo * 1.01, (double)hist_max(h)) : 10;
    double llo = log10(lo), step = (log10(hi) - llo) / HIST_BINS;
    for (int i = 0; i < HIST_BINS; i++) {
        x0[i] = pow(10, llo + step * i);
        x1[i] = pow(10, llo + step * (i + 1));
    }
    if (h && h->total_count) {
        hist_iter it;
        hist_iter_init(&it, h);
        while (hist_iter_next(&it)) {
            double v = fmax(1, (double)hist_median_equivalent(h, it.lowest));
            int k = (int)((log10(v) - llo) / step);
            k = k < 0 ? 0 : k >= HIST_BINS ? HIST_BINS - 1 : k;
            y[k] += (double)it.count;
        }
    }
    svg_chart c = {"Latency histogram (all labels)", "latency (ms, log scale)", "requests", SVG_X_LINEAR, 600, 320};
    svg_bars_logx(b, &c, x0, x1, y, HIST_BINS, "#1f77b4");
}

static void chart_history(buf *b, const history *h)
{
    double x[HISTORY_SHOW], y[3][HISTORY_SHOW];
    for (size_t i = 0; i < h->n; i++) {
        x[i] = (double)i + 1 - (double)h->n;
        y[0][i] = h->e[i].p50_us / 1e3;
        y[1][i] = h->e[i].p95_us / 1e3;
        y[2][i] = h->e[i].p99_us / 1e3;
    }
    svg_series s[3] = {{x, y[2], h->n, "p99", "#d62728", false},
                       {x, y[1], h->n, "p95", "#ff7f0e", false},
                       {x, y[0], h->n, "p50", "#1f77b4", false}};
    svg_chart c = {"Trend over the last runs (all labels)",
                   "runs before this one (0 = this run)",
                   "latency (ms)",
                   SVG_X_LINEAR,
                   600,
                   320};
    svg_lines(b, &c, s, 3);
}

int scorecard_render(const analysis_run *r, const analysis_run *base, const gate *g, const history *trend, buf *out)
{
    char verdict[320];
    summary_verdict(r, g, verdict, sizeof(verdict));
    const char *cls = r->aborted || r->interrupted ? "aborted" : g->n_failed ? "fail" : "pass";
    buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  "<title>ptest scorecard: ");
    esc(out, r->plan_name ? r->plan_name : "run");
    buf_puts(out, "</title><link rel=\"stylesheet\" href=\"scorecard.css\"></head><body><main>\n<h1>");
    esc(out, r->plan_name ? r->plan_name : "ptest run");
    buf_puts(out, "</h1><div class=\"meta\">");
    esc(out, r->started);
    buf_printf(out, " &middot; %.1f s", r->duration_s);
    if (r->target) {
        buf_puts(out, " &middot; target ");
        esc(out, r->target);
    }
    if (base) {
        buf_puts(out, " &middot; baseline ");
        esc(out, base->dir);
    }
    buf_printf(out, "</div>\n<div class=\"verdict %s\">", cls);
    esc(out, verdict);
    if (g->n_failed) {
        buf_puts(out, "<ul>");
        for (size_t i = 0; i < g->n; i++)
            if (g->cases[i].failed) {
                buf_puts(out, "<li>");
                esc(out, g->cases[i].message);
                buf_puts(out, "</li>");
            }
        buf_puts(out, "</ul>");
    }
    buf_puts(out, "</div>\n");
    for (size_t i = 0; i < r->n_warnings; i++) {
        buf_puts(out, "<div class=\"warn\">");
        esc(out, r->warnings[i]);
        buf_puts(out, "</div>\n");
    }
    buf_puts(
        out,
        "<h2>Per label</h2><div class=\"scroll\"><table><tr><th class=\"l\">label</th><th>requests</th><th>req/s</th>"
        "<th>errors</th><th>mean</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th>"
        "<th>max</th><th>Apdex</th>");
    if (g->has_baseline)
        buf_puts(out, "<th>p50 vs base</th><th>p95 vs base</th><th class=\"l\">change</th>");
    buf_puts(out, "</tr>\n");
    for (size_t i = 0; i <= r->n_labels; i++)
        label_row(out, i < r->n_labels ? &r->labels[i] : &r->total, gate_cmp(g, r, i), g->has_baseline,
                  i == r->n_labels);
    buf_puts(out, "</table></div>\n<h2>Charts</h2><div class=\"charts\">\n");
    chart_spectrum(out, r, base);
    chart_time(out, r);
    chart_histogram(out, r);
    if (trend && trend->n)
        chart_history(out, trend);
    buf_puts(out, "</div>\n");
    if (r->has_expected) {
        buf_puts(out, "<h2>Where the time goes</h2><div class=\"scroll\"><table><tr><th class=\"l\">label</th>"
                      "<th>configured delay</th><th>service time</th><th>network + server add</th>"
                      "<th>latency</th><th>client wait adds</th></tr>\n");
        for (size_t i = 0; i < r->n_labels; i++) {
            const analysis_label *l = &r->labels[i];
            if (isnan(l->expected_mean_us))
                continue;
            double m = l->lat && l->lat->total_count ? hist_mean(l->lat) : NAN;
            buf_puts(out, "<tr><td class=\"l\">");
            esc(out, l->name);
            buf_puts(out, "</td>");
            td_us(out, l->expected_mean_us);
            td_us(out, l->svc_mean_us);
            td_us(out, l->svc_mean_us - l->expected_mean_us);
            td_us(out, m);
            td_us(out, m - l->svc_mean_us);
            buf_puts(out, "</tr>\n");
        }
        buf_puts(out, "</table></div>\n<p class=\"note\">Means. The configured delay comes from the target's "
                      "/config; service time runs from the first byte sent to the last byte received, so "
                      "what it adds is the network and the server (on a Pi: its CPU); latency also counts "
                      "the wait for a connection and the schedule.</p>\n");
    }
    if (r->server_scraped)
        buf_printf(out,
                   "<h2>Server-side cost</h2><table class=\"narrow\"><tr><th class=\"l\">CPU per 1,000 "
                   "requests</th><td>%.2f ms</td></tr><tr><th class=\"l\">peak RSS (sampled every "
                   "second)</th><td>%.1f MiB</td></tr></table>\n",
                   r->cpu_ms_per_1000, r->peak_rss_bytes / 1048576.0);
    if (g->n) {
        buf_puts(out, "<h2>Gate</h2><table><tr><th class=\"l\">label</th><th class=\"l\">check</th>"
                      "<th>measured</th><th>limit</th><th class=\"l\">result</th></tr>\n");
        for (size_t i = 0; i < g->n; i++) {
            const gate_case *c = &g->cases[i];
            buf_puts(out, "<tr><td class=\"l\">");
            esc(out, c->suite);
            buf_puts(out, "</td><td class=\"l\">");
            esc(out, c->name);
            buf_puts(out, "</td><td>");
            esc(out, c->measured);
            buf_puts(out, "</td><td>");
            esc(out, c->limit);
            buf_printf(out, "</td><td class=\"l %s\">%s</td></tr>\n",
                       c->failed    ? "bad"
                       : c->skipped ? "skip"
                                    : "good",
                       c->failed    ? "failed"
                       : c->skipped ? "skipped"
                                    : "passed");
        }
        buf_puts(out, "</table>\n");
    }
    buf_printf(out,
               "<footer>Apdex T = %.0f ms. Latency from the intended send time (coordinated-omission "
               "free). Baseline comparison: Mann-Whitney U on the HDR histograms (p &lt; %.2g and a shift of "
               "the median or p95 above %.0f %% and %.1f ms).</footer>\n</main></body></html>\n",
               r->apdex_t_us / 1e3, COMPARE_ALPHA, COMPARE_MIN_REL * 100, COMPARE_MIN_ABS_US / 1e3);
    return buf_ok(out) ? 0 : -1;
}
