/* collect_live.c - the live view of a distributed run: /metrics and the progress line. */
#include "collect_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "promtext.h"
#include "units.h"

/* Requests of the last complete wall-clock second (COLLECT_LAG_S behind now). */
static uint64_t recent(const collect_agg *a, uint64_t now_ms, int *slot)
{
    uint64_t s = now_ms / 1000 - COLLECT_LAG_S;
    *slot = collect_ring_slot(a, s);
    return *slot >= 0 ? a->ring_count[*slot] : 0;
}

/* The aggregate's name as a label: the total is "(total)", so that it cannot clash with a
 * plan label called "total". */
static void sample_start(buf *out, const char *metric, const collect *c, size_t i)
{
    buf_printf(out, "%s{label=\"", metric);
    promtext_label_value(out, i < c->n_aggs ? c->aggs[i].name : "(total)");
    buf_putc(out, '"');
}

int collect_metrics(const collect *c, uint64_t now_ms, buf *out)
{
    static const char *const states[] = {"waiting", "live", "final"};
    promtext_family(out, "ptest_collect_workers", "gauge",
                    "Workers of the distributed run by state (waiting: nothing received yet).");
    for (int s = 0; s < 3; s++) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < c->n_workers; i++)
            n += c->w[i].state == s;
        buf_printf(out, "ptest_collect_workers{state=\"%s\"} %u\n", states[s], (unsigned)n);
    }
    promtext_family(out, "ptest_collect_done", "gauge", "1 once the merged results are written.");
    buf_printf(out, "ptest_collect_done %d\n", c->done ? 1 : 0);
    promtext_family(out, "ptest_requests_total", "counter",
                    "Finished requests of every worker (responses and transport errors).");
    for (size_t i = 0; i <= c->n_aggs; i++) {
        sample_start(out, "ptest_requests_total", c, i);
        buf_printf(out, "} %" PRIu64 "\n", (i < c->n_aggs ? &c->aggs[i] : &c->total)->count);
    }
    promtext_family(out, "ptest_errors_total", "counter", "Failed requests of every worker by kind.");
    for (size_t i = 0; i <= c->n_aggs; i++)
        for (int k = 1; k < STATS_ERR_N; k++) {
            sample_start(out, "ptest_errors_total", c, i);
            buf_printf(out, ",kind=\"%s\"} %" PRIu64 "\n", stats_err_name(k),
                       (i < c->n_aggs ? &c->aggs[i] : &c->total)->by_kind[k]);
        }
    promtext_family(out, "ptest_requests_per_second", "gauge",
                    "Requests of every worker in the last complete wall-clock second (2 s ago).");
    for (size_t i = 0; i <= c->n_aggs; i++) {
        int slot;
        sample_start(out, "ptest_requests_per_second", c, i);
        buf_printf(out, "} %" PRIu64 "\n", recent(i < c->n_aggs ? &c->aggs[i] : &c->total, now_ms, &slot));
    }
    promtext_family(out, "ptest_latency_seconds", "summary",
                    "Latency of the responses of every worker since the start (HDR histograms added).");
    static const struct {
        const char *q;
        double p;
    } qs[] = {{"0.5", 50}, {"0.9", 90}, {"0.95", 95}, {"0.99", 99}, {"0.999", 99.9}};
    for (size_t i = 0; i <= c->n_aggs; i++) {
        const hist *h = (i < c->n_aggs ? &c->aggs[i] : &c->total)->lat;
        for (size_t q = 0; q < sizeof(qs) / sizeof(qs[0]); q++) {
            sample_start(out, "ptest_latency_seconds", c, i);
            if (h->total_count)
                buf_printf(out, ",quantile=\"%s\"} %.6f\n", qs[q].q,
                           (double)hist_value_at_percentile(h, qs[q].p) / 1e6);
            else
                buf_printf(out, ",quantile=\"%s\"} NaN\n", qs[q].q);
        }
        sample_start(out, "ptest_latency_seconds_sum", c, i);
        buf_printf(out, "} %.6f\n", h->total_count ? hist_mean(h) * (double)h->total_count / 1e6 : 0.0);
        sample_start(out, "ptest_latency_seconds_count", c, i);
        buf_printf(out, "} %" PRIu64 "\n", h->total_count);
    }
    promtext_family(out, "ptest_request_duration_seconds", "histogram",
                    "Latency of the responses of every worker since the start (HDR histograms added).");
    uint64_t le[PROMTEXT_MAX_BUCKETS];
    size_t n_le = promtext_buckets(le, PROMTEXT_MAX_BUCKETS, NULL, 0);
    for (size_t i = 0; i <= c->n_aggs; i++) {
        buf lab = BUF_INIT;
        buf_puts(&lab, "label=\"");
        promtext_label_value(&lab, i < c->n_aggs ? c->aggs[i].name : "(total)");
        buf_putc(&lab, '"');
        if (!buf_ok(&lab)) {
            buf_fini(&lab);
            return -1;
        }
        promtext_histogram(out, "ptest_request_duration_seconds", lab.data,
                           (i < c->n_aggs ? &c->aggs[i] : &c->total)->lat, le, n_le);
        buf_fini(&lab);
    }
    return buf_ok(out) ? 0 : -1;
}

size_t collect_progress(const collect *c, uint64_t elapsed_ns, uint64_t now_ms, char *out, size_t outlen)
{
    if (outlen == 0)
        return 0;
    uint32_t live = 0, final = 0;
    for (uint32_t i = 0; i < c->n_workers; i++) {
        live += c->w[i].state != COLLECT_WAITING;
        final += c->w[i].state == COLLECT_FINAL;
    }
    int slot;
    uint64_t rps = recent(&c->total, now_ms, &slot);
    char el[24], p50[24] = "-", p99[24] = "-";
    units_format_duration(elapsed_ns / CLOCK_NS_PER_SEC * CLOCK_NS_PER_SEC, el, sizeof(el));
    const hist *h = slot >= 0 ? c->ring_lat[slot] : NULL;
    if (h && h->total_count) {
        units_format_duration(hist_value_at_percentile(h, 50) * CLOCK_NS_PER_US, p50, sizeof(p50));
        units_format_duration(hist_value_at_percentile(h, 99) * CLOCK_NS_PER_US, p99, sizeof(p99));
    }
    const collect_agg *t = &c->total;
    double pct = t->count ? 100.0 * (double)t->errors / (double)t->count : 0.0;
    int n = snprintf(out, outlen,
                     "collect %s  workers %u/%u live, %u final  %" PRIu64 " req/s  %" PRIu64 " requests  %" PRIu64
                     " errors (%.2f%%)  p50 %s  p99 %s%s",
                     el, (unsigned)live, (unsigned)c->n_workers, (unsigned) final, rps, t->count, t->errors, pct, p50,
                     p99, c->done ? "  done" : "");
    if (n < 0)
        n = 0;
    return (size_t)n < outlen ? (size_t)n : outlen - 1;
}
