/* runmetrics.c - `ptest run --metrics-listen`: the run's live Prometheus metrics. */
#include "runmetrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threshold.h"

/* Every absolute latency threshold's value, in ns, as extra bucket bounds. */
static size_t threshold_bounds(const plan *p, uint64_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_thresholds && n < max; i++) {
        threshold_expr e;
        char err[160];
        if (threshold_parse(p->thresholds[i].expr, &e, NULL, err, sizeof(err)) != 0 || e.relative ||
            e.metric == THRESHOLD_ERROR_RATE || e.metric == THRESHOLD_RPS)
            continue;
        out[n++] = (uint64_t)(e.limit * 1e3 + 0.5);
    }
    return n;
}

int runmetrics_init(runmetrics *m, const plan *p, const char *const *labels, size_t n_labels, const hist *const *lat)
{
    memset(m, 0, sizeof(*m));
    m->p = p;
    m->n_labels = n_labels;
    m->labels = labels;
    m->lat = lat;
    m->count = calloc(n_labels + 1, sizeof(*m->count));
    m->errors = calloc(n_labels + 1, sizeof(*m->errors));
    m->last = calloc(n_labels + 1, sizeof(*m->last));
    m->by_kind = calloc(n_labels + 1, sizeof(*m->by_kind));
    if (!m->count || !m->errors || !m->last || !m->by_kind) {
        runmetrics_fini(m);
        return -1;
    }
    uint64_t extra[PROMTEXT_MAX_BUCKETS];
    size_t n_extra = threshold_bounds(p, extra, PROMTEXT_MAX_BUCKETS);
    m->n_le = promtext_buckets(m->le_ns, PROMTEXT_MAX_BUCKETS, extra, n_extra);
    return 0;
}

void runmetrics_fini(runmetrics *m)
{
    httpserv_destroy(m->srv);
    free(m->count);
    free(m->errors);
    free(m->last);
    free(m->by_kind);
    memset(m, 0, sizeof(*m));
}

void runmetrics_start(runmetrics *m, mono_ns start)
{
    m->start = start;
}

void runmetrics_second(runmetrics *m, uint32_t t, const stats_interval *iv)
{
    for (size_t l = 0; l <= m->n_labels; l++) {
        const stats_second *s = l < m->n_labels ? &iv->labels[l] : &iv->total;
        m->count[l] += s->count;
        m->errors[l] += s->errors;
        m->last[l] = s->count;
        for (int k = 0; k < STATS_ERR_N; k++)
            m->by_kind[l][k] += s->by_kind[k];
    }
    m->elapsed_ns = ((uint64_t)t + 1) * CLOCK_NS_PER_SEC;
}

/* Share of scenario s's requests' weight with label (n_labels: all of it). */
static double weight_share(const plan_scenario *s, size_t label, size_t n_labels)
{
    if (label >= n_labels || s->weight_total == 0)
        return 1;
    uint64_t w = 0;
    for (size_t i = 0; i < s->n_requests; i++)
        if (s->requests[i].label_id == label)
            w += s->requests[i].weight;
    return (double)w / (double)s->weight_total;
}

bool runmetrics_has_open(const plan *p, size_t label, size_t n_labels)
{
    for (size_t i = 0; i < p->n_scenarios; i++)
        if (p->scenarios[i].model == PLAN_OPEN && weight_share(&p->scenarios[i], label, n_labels) > 0)
            return true;
    return false;
}

double runmetrics_planned_rate(const plan *p, size_t label, size_t n_labels, uint64_t t_ns)
{
    double rate = 0;
    for (size_t i = 0; i < p->n_scenarios; i++) {
        const plan_scenario *s = &p->scenarios[i];
        if (s->model != PLAN_OPEN || t_ns < s->start_delay_ns)
            continue;
        uint64_t at = t_ns - s->start_delay_ns, end = 0;
        for (size_t k = 0; k < s->n_stages; k++) {
            uint64_t begin = end;
            end += s->stages[k].duration_ns;
            if (at < end) {
                double r = s->stages[k].rate;
                if (s->ramp == PLAN_RAMP_LINEAR) { /* from the rate the stage starts at */
                    double r0 = k ? s->stages[k - 1].rate : s->start_rate;
                    r = r0 + (r - r0) * (double)(at - begin) / (double)s->stages[k].duration_ns;
                }
                rate += r * weight_share(s, label, n_labels);
                break;
            }
        }
    }
    return rate;
}

/* label="NAME" of row l into lab (reset first). */
static void label_of(const runmetrics *m, size_t l, buf *lab)
{
    buf_reset(lab);
    buf_puts(lab, "label=\"");
    promtext_label_value(lab, l < m->n_labels ? m->labels[l] : "(total)");
    buf_putc(lab, '"');
}

int runmetrics_render(const runmetrics *m, uint64_t now_ns, const uint32_t *inflight, buf *out)
{
    buf lab = BUF_INIT;
    size_t n = m->n_labels;
    promtext_family(out, "ptest_requests_total", "counter",
                    "Finished requests (responses and transport errors) of the seconds collected so far.");
    for (size_t l = 0; l <= n; l++) {
        label_of(m, l, &lab);
        buf_printf(out, "ptest_requests_total{%s} %" PRIu64 "\n", lab.data, m->count[l]);
    }
    promtext_family(out, "ptest_errors_total", "counter", "Failed requests by kind (results.json errors_by_kind).");
    for (size_t l = 0; l <= n; l++) {
        label_of(m, l, &lab);
        for (int k = 1; k < STATS_ERR_N; k++)
            buf_printf(out, "ptest_errors_total{%s,kind=\"%s\"} %" PRIu64 "\n", lab.data, stats_err_name(k),
                       m->by_kind[l][k]);
    }
    promtext_family(out, "ptest_inflight_requests", "gauge", "Requests sent and not finished yet.");
    for (size_t l = 0; l <= n; l++) {
        label_of(m, l, &lab);
        buf_printf(out, "ptest_inflight_requests{%s} %u\n", lab.data, inflight ? (unsigned)inflight[l] : 0u);
    }
    promtext_family(out, "ptest_requests_per_second", "gauge",
                    "Requests finished in the last second collected (the achieved rate).");
    for (size_t l = 0; l <= n; l++) {
        label_of(m, l, &lab);
        buf_printf(out, "ptest_requests_per_second{%s} %" PRIu64 "\n", lab.data, m->last[l]);
    }
    promtext_family(out, "ptest_planned_requests_per_second", "gauge",
                    "Requests per second the plan's open scenarios ask for now (labels with open load).");
    for (size_t l = 0; l <= n; l++) {
        if (!runmetrics_has_open(m->p, l, n))
            continue;
        label_of(m, l, &lab);
        buf_printf(out, "ptest_planned_requests_per_second{%s} %.6g\n", lab.data,
                   runmetrics_planned_rate(m->p, l, n, now_ns));
    }
    promtext_family(out, "ptest_request_duration_seconds", "histogram",
                    "Latency of the responses from their intended send time, seconds collected so far.");
    for (size_t l = 0; l <= n; l++) {
        label_of(m, l, &lab);
        if (buf_ok(&lab))
            promtext_histogram(out, "ptest_request_duration_seconds", lab.data, m->lat ? m->lat[l] : NULL, m->le_ns,
                               m->n_le);
    }
    promtext_family(out, "ptest_run_elapsed_seconds", "gauge", "Time since the run's start.");
    buf_printf(out, "ptest_run_elapsed_seconds %.3f\n", (double)now_ns / 1e9);
    promtext_family(out, "ptest_run_planned_seconds", "gauge", "The run's planned duration.");
    buf_printf(out, "ptest_run_planned_seconds %.3f\n", (double)plan_duration(m->p) / 1e9);
    bool ok = buf_ok(&lab);
    buf_fini(&lab);
    return ok && buf_ok(out) ? 0 : -1;
}

static bool is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static void handle(void *arg, const char *method, size_t mlen, const char *path, size_t plen, const char *body,
                   size_t len, httpserv_reply *r)
{
    (void)body;
    (void)len;
    runmetrics *m = arg;
    /* The path without a query (Prometheus may add params). */
    const char *q = memchr(path, '?', plen);
    if (q)
        plen = (size_t)(q - path);
    if (!is(path, plen, "/metrics") && !is(path, plen, "/healthz")) {
        httpserv_reply_text(r, 404, "not found (GET /metrics)");
        return;
    }
    if (!is(method, mlen, "GET") && !is(method, mlen, "HEAD")) {
        r->allow = "GET, HEAD";
        httpserv_reply_text(r, 405, "use GET");
        return;
    }
    if (is(path, plen, "/healthz")) {
        httpserv_reply_text(r, 200, "ok");
        return;
    }
    uint32_t *inflight = calloc(m->n_labels + 1, sizeof(*inflight));
    for (size_t l = 0; inflight && m->e && l < m->n_labels; l++) {
        for (unsigned i = 0; i < engine_threads(m->e); i++)
            inflight[l] += stats_inflight(engine_thread_stats(m->e, i), l);
        inflight[m->n_labels] += inflight[l];
    }
    mono_ns now = clock_mono_now();
    uint64_t at = m->start && now > m->start ? now - m->start : 0;
    r->status = runmetrics_render(m, at, inflight, &r->body) == 0 ? 200 : 500;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    free(inflight);
}

int runmetrics_listen(runmetrics *m, evloop *loop, const char *addr, engine *e, char *err, size_t errlen)
{
    m->e = e;
    httpserv_opts o = {.handle = handle, .arg = m, .max_conns = 16, .what = "--metrics-listen"};
    return httpserv_create(&m->srv, loop, addr, &o, err, errlen);
}

uint16_t runmetrics_port(const runmetrics *m)
{
    return m->srv ? httpserv_port(m->srv) : 0;
}
