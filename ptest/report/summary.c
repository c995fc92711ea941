/* summary.c - the terminal summary. */
#include "summary.h"
#include "units.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void summary_verdict(const analysis_run *r, const gate *g, char *out, size_t len)
{
    if (r->aborted)
        snprintf(out, len, "ABORTED: %s", r->aborted);
    else if (r->interrupted)
        snprintf(out, len, "ABORTED: the run was interrupted");
    else if (r->stopped_by_threshold)
        snprintf(out, len,
                 "FAIL: stopped at %.1f s by threshold \"%s\" of %s (abort_on_fail); %zu of %zu checks failed",
                 r->threshold_abort.at_s, r->threshold_abort.threshold, r->threshold_abort.label, g->n_failed, g->n);
    else if (g->n_failed)
        snprintf(out, len, "FAIL: %zu of %zu checks failed", g->n_failed, g->n);
    else if (g->n)
        snprintf(out, len, "PASS: %zu checks passed", g->n);
    else
        snprintf(out, len, "PASS: no thresholds set");
}

static void row(buf *b, const analysis_label *l)
{
    char c[7][24];
    units_format_us(l->lat && l->lat->total_count ? (double)hist_min(l->lat) : NAN, c[0], sizeof(c[0]));
    units_format_us(l->lat && l->lat->total_count ? hist_mean(l->lat) : NAN, c[1], sizeof(c[1]));
    units_format_us(analysis_pct(l, 50), c[2], sizeof(c[2]));
    units_format_us(analysis_pct(l, 95), c[3], sizeof(c[3]));
    units_format_us(analysis_pct(l, 99), c[4], sizeof(c[4]));
    units_format_us(analysis_pct(l, 99.9), c[5], sizeof(c[5]));
    units_format_us(l->lat && l->lat->total_count ? (double)hist_max(l->lat) : NAN, c[6], sizeof(c[6]));
    char ap[16];
    if (isnan(l->apdex))
        snprintf(ap, sizeof(ap), "-");
    else
        snprintf(ap, sizeof(ap), "%.2f", l->apdex);
    buf_printf(b, "%-16.64s %9" PRIu64 " %9.1f %7.2f%% %9s %9s %9s %9s %9s %9s %9s %5s\n", l->name, l->count, l->rps,
               l->error_rate * 100, c[0], c[1], c[2], c[3], c[4], c[5], c[6], ap);
}

/* "instances: a 50.2% (1004), b 49.8% (996); max/min 1.01, cv 0.4%": each X-Served-By
 * value's share of the responses that carried one, highest first, then the evenness
 * (instances.h). */
static void instances_line(buf *b, const instances *t)
{
    uint64_t all = instances_responses(t);
    unsigned order[INSTANCES_MAX];
    unsigned n = instances_order(t, INSTANCES_TOTAL, order);
    if (all == 0)
        return;
    buf_puts(b, "\ninstances:");
    for (unsigned i = 0; i < n; i++) {
        uint64_t c = t->total[order[i]];
        buf_printf(b, "%s %s %.1f%% (%" PRIu64 ")", i ? "," : "", t->name[order[i]], 100.0 * (double)c / (double)all,
                   c);
    }
    uint64_t other = t->total[INSTANCES_OTHER];
    if (other)
        buf_printf(b, "%s other %.1f%% (%" PRIu64 ")", n ? "," : "", 100.0 * (double)other / (double)all, other);
    double max_min, cv;
    instances_evenness(t, &max_min, &cv);
    if (n)
        buf_printf(b, "; max/min %.2f, cv %.1f%%", max_min, cv * 100);
    buf_putc(b, '\n');
}

int summary_render(const analysis_run *r, const gate *g, const history *trend, buf *out)
{
    char v[320];
    summary_verdict(r, g, v, sizeof(v));
    buf_printf(out, "%s\n", v);
    for (size_t i = 0; i < g->n; i++) {
        const gate_case *c = &g->cases[i];
        if (c->failed)
            buf_printf(out, "  FAILED  [%s] %s: %s\n", c->suite, c->name, c->message);
    }
    for (size_t i = 0; i < r->n_warnings; i++)
        buf_printf(out, "  warning: %s\n", r->warnings[i]);
    buf_printf(out, "\n%-16s %9s %9s %8s %9s %9s %9s %9s %9s %9s %9s %5s\n", "label", "count", "rps", "errors", "min",
               "mean", "p50", "p95", "p99", "p99.9", "max", "apdex");
    for (size_t i = 0; i < r->n_labels; i++)
        row(out, &r->labels[i]);
    row(out, &r->total);
    if (r->has_instances)
        instances_line(out, &r->inst);
    if (r->tls) {
        buf_puts(out, "\nTLS handshakes (after the TCP connect; in latency, not in service time):\n");
        buf_printf(out, "  %-16s %10s %8s %9s %9s %9s\n", "label", "handshakes", "resumed", "mean", "p50", "p99");
        for (size_t i = 0; i <= r->n_labels; i++) {
            const analysis_label *l = i < r->n_labels ? &r->labels[i] : &r->total;
            char m[24], p50[24], p99[24];
            units_format_us(l->tls_handshakes ? l->tls_hs_mean_us : NAN, m, sizeof(m));
            units_format_us(l->tls_handshakes ? l->tls_hs_p50_us : NAN, p50, sizeof(p50));
            units_format_us(l->tls_handshakes ? l->tls_hs_p99_us : NAN, p99, sizeof(p99));
            buf_printf(out, "  %-16.64s %10" PRIu64 " %7.1f%% %9s %9s %9s\n", l->name, l->tls_handshakes,
                       l->tls_handshakes ? 100.0 * (double)l->tls_resumed / (double)l->tls_handshakes : 0.0, m, p50,
                       p99);
        }
    }
    if (r->has_expected) {
        buf_puts(out, "\nexpected vs measured (mean; configured delay from the target's /config):\n");
        for (size_t i = 0; i < r->n_labels; i++) {
            const analysis_label *l = &r->labels[i];
            if (isnan(l->expected_mean_us))
                continue;
            char e[24], sv[24], net[24], lat[24], wait[24];
            double m = l->lat && l->lat->total_count ? hist_mean(l->lat) : NAN;
            units_format_us(l->expected_mean_us, e, sizeof(e));
            units_format_us(l->svc_mean_us, sv, sizeof(sv));
            units_format_us(l->svc_mean_us - l->expected_mean_us, net, sizeof(net));
            units_format_us(m, lat, sizeof(lat));
            units_format_us(m - l->svc_mean_us, wait, sizeof(wait));
            buf_printf(out,
                       "  %-16.64s configured %s; service time %s (network and server add %s); "
                       "latency %s (client wait adds %s)\n",
                       l->name, e, sv, net, lat, wait);
        }
    }
    if (r->server_scraped)
        buf_printf(out, "\nserver: %.2f ms CPU per 1,000 requests, peak RSS %.1f MiB (the target's /metrics)\n",
                   r->cpu_ms_per_1000, r->peak_rss_bytes / 1048576.0);
    if (trend && trend->n) {
        buf_printf(out, "\nhistory (last %zu runs, oldest first):\n", trend->n);
        for (size_t i = 0; i < trend->n; i++) {
            const history_entry *e = &trend->e[i];
            char p50[24], p95[24], p99[24];
            units_format_us(e->p50_us, p50, sizeof(p50));
            units_format_us(e->p95_us, p95, sizeof(p95));
            units_format_us(e->p99_us, p99, sizeof(p99));
            buf_printf(out, "  %-24.40s %-7s %9.1f rps  errors %6.2f%%  p50 %9s  p95 %9s  p99 %9s\n", e->started,
                       e->verdict, e->rps, e->error_rate * 100, p50, p95, p99);
        }
    }
    if (g->has_baseline) {
        buf_printf(out,
                   "\nvs baseline (Mann-Whitney U on the histograms, alpha %.2g; a change must also "
                   "exceed %.0f %% and %.1f ms):\n",
                   COMPARE_ALPHA, COMPARE_MIN_REL * 100, COMPARE_MIN_ABS_US / 1e3);
        for (size_t i = 0; i <= r->n_labels; i++) {
            const compare_label *c = gate_cmp(g, r, i);
            const analysis_label *l = i < r->n_labels ? &r->labels[i] : &r->total;
            if (!c) {
                buf_printf(out, "  %-16.64s not in the baseline\n", l->name);
                continue;
            }
            buf_printf(out,
                       "  %-16.64s p50 %+6.1f%%  p95 %+6.1f%%  p99 %+6.1f%%  mean %+6.1f%%  errors %+.2f pp"
                       "  p=%.2g  %s\n",
                       l->name, c->base[0] > 0 ? (c->cand[0] / c->base[0] - 1) * 100 : 0,
                       c->base[1] > 0 ? (c->cand[1] / c->base[1] - 1) * 100 : 0,
                       c->base[2] > 0 ? (c->cand[2] / c->base[2] - 1) * 100 : 0,
                       c->base[3] > 0 ? (c->cand[3] / c->base[3] - 1) * 100 : 0, (c->err_cand - c->err_base) * 100,
                       c->mw.p, compare_verdict_name(c->verdict));
        }
    }
    return buf_ok(out) ? 0 : -1;
}
