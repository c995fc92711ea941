/* gate.c - evaluating thresholds, checks and the baseline into test cases. */
#include "gate.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threshold.h"

const char GATE_SUITE_WORKERS[] = "workers";

static gate_case *add_case(gate *g, const char *suite, const char *name)
{
    if (g->n == g->cap) {
        size_t ncap = g->cap ? g->cap * 2 : 32;
        gate_case *c = realloc(g->cases, ncap * sizeof(*c));
        if (!c)
            return NULL;
        g->cases = c;
        g->cap = ncap;
    }
    gate_case *c = &g->cases[g->n++];
    memset(c, 0, sizeof(*c));
    c->suite = suite;
    snprintf(c->name, sizeof(c->name), "%s", name);
    return c;
}

const compare_label *gate_cmp(const gate *g, const analysis_run *r, size_t i)
{
    if (!g->has_baseline || i > r->n_labels || !g->cmp_present[i])
        return NULL;
    return &g->cmp[i];
}

static void values(const analysis_label *l, threshold_values *v)
{
    bool any = l->lat && l->lat->total_count > 0;
    v->mean = any ? hist_mean(l->lat) : NAN;
    v->min = any ? (double)hist_min(l->lat) : NAN;
    v->max = any ? (double)hist_max(l->lat) : NAN;
    v->error_rate = l->count ? l->error_rate : NAN;
    v->rps = l->rps;
    v->pct = analysis_pct_cb;
    v->ctx = l;
}

double gate_hist_pct(const void *ctx, double p)
{
    const hist *h = ctx;
    return h && h->total_count ? (double)hist_value_at_percentile(h, p) : NAN;
}

void gate_hist_values(const hist *h, uint64_t count, uint64_t errors, double secs, threshold_values *v)
{
    bool any = h && h->total_count > 0;
    v->mean = any ? hist_mean(h) : NAN;
    v->min = any ? (double)hist_min(h) : NAN;
    v->max = any ? (double)hist_max(h) : NAN;
    v->error_rate = count ? (double)errors / (double)count : NAN;
    v->rps = secs > 0 ? (double)count / secs : NAN;
    v->pct = gate_hist_pct;
    v->ctx = h;
}

const char *gate_threshold_expr(const json_t *item)
{
    if (json_is_string(item))
        return json_string_value(item);
    return json_string_value(json_object_get(item, "threshold"));
}

bool gate_wants_intervals(const analysis_run *r)
{
    const json_t *thr = json_object_get(json_object_get(r->json, "plan"), "thresholds");
    const char *key;
    const json_t *arr;
    json_object_foreach ((json_t *)thr, key, arr) {
        size_t k;
        const json_t *item;
        json_array_foreach (arr, k, item) {
            threshold_expr e;
            char err[160];
            const char *expr = gate_threshold_expr(item);
            if (expr && threshold_parse(expr, &e, NULL, err, sizeof(err)) == 0 && e.for_ns)
                return true;
        }
    }
    return false;
}

/* A "for D" threshold at the end of the run: the label's full one-second windows in order
 * (the time series for counts and errors, the interval log for latencies; a shorter last
 * window is left out), failing when ceil(D / 1 s) consecutive windows break it anywhere in
 * the run (threshold_for_step), the same rule the abort watch applies during the run. */
static void for_case(gate_case *c, const threshold_expr *e, const analysis_label *l)
{
    bool latency = e->metric != THRESHOLD_ERROR_RATE && e->metric != THRESHOLD_RPS;
    size_t n = l->n_pts;
    if (latency && l->n_iv < n)
        n = l->n_iv;
    if (latency && n == 0 && l->n_pts > 0) {
        c->skipped = true;
        snprintf(c->message, sizeof(c->message), "no per-second latency histograms for %s", l->name);
        return;
    }
    uint32_t streak = 0, longest = 0, need = threshold_for_windows(e);
    double from = 0, longest_from = 0;
    bool failed = false;
    for (size_t k = 0; k < n && !failed; k++) {
        const analysis_point *pt = &l->pts[k];
        if (pt->len_s < 0.999)
            continue; /* the rest of the run after its last full second */
        uint64_t count = (uint64_t)llround(pt->rps * pt->len_s);
        threshold_values v;
        gate_hist_values(latency ? l->iv[k] : NULL, count, pt->errors, pt->len_s, &v);
        uint32_t before = streak;
        failed = threshold_for_step(e, threshold_value(e, &v), count == 0, &streak);
        if (streak == 1 && before == 0)
            from = pt->t;
        if (streak > longest) {
            longest = streak;
            longest_from = from;
        }
    }
    snprintf(c->measured, sizeof(c->measured), "broken %u s in a row at most", (unsigned)longest);
    if (failed)
        snprintf(c->message, sizeof(c->message), "%s broke it for %u s in a row from second %.0f (limit %s)", l->name,
                 (unsigned)need, longest_from, c->limit);
    c->failed = failed;
}

/* The abort_on_fail threshold that stopped the run (results.json "threshold_abort") fails
 * its case, whatever the end of the run says, with when and why. */
static int abort_case(gate *g, const analysis_run *r)
{
    const results_abort *a = &r->threshold_abort;
    const analysis_label *l = analysis_find(r, a->label);
    if (!l)
        l = &r->total;
    gate_case *c = NULL;
    for (size_t i = 0; i < g->n && !c; i++)
        if (g->cases[i].suite == l->name && strcmp(g->cases[i].name, a->threshold) == 0)
            c = &g->cases[i];
    if (!c && !(c = add_case(g, l->name, a->threshold)))
        return GATE_ENOMEM;
    c->failed = true;
    c->skipped = false;
    snprintf(c->measured, sizeof(c->measured), "%s", a->measured);
    snprintf(c->limit, sizeof(c->limit), "%s", a->limit);
    snprintf(c->message, sizeof(c->message), "stopped the run at %.1f s (abort_on_fail): %s is %s, limit %s", a->at_s,
             a->label, a->measured, a->limit);
    return 0;
}

static double cmp_metric(const threshold_expr *e, const analysis_label *l)
{
    threshold_values v;
    values(l, &v);
    return threshold_value(e, &v);
}

static int one_threshold(gate *g, const analysis_run *r, const analysis_run *base, size_t li, const char *expr,
                         const char *scope, char *err, size_t errlen)
{
    const analysis_label *l = li < r->n_labels ? &r->labels[li] : &r->total;
    threshold_expr e;
    size_t col = 0;
    char perr[160];
    if (threshold_parse(expr, &e, &col, perr, sizeof(perr)) != 0) {
        snprintf(err, errlen, "threshold \"%s\" of label \"%s\", column %zu: %s", expr, scope, col + 1, perr);
        return GATE_ESYNTAX;
    }
    gate_case *c = add_case(g, l->name, expr);
    if (!c)
        return GATE_ENOMEM;
    threshold_format_limit(&e, c->limit, sizeof(c->limit));
    if (e.metric == THRESHOLD_CAPACITY) {
        c->skipped = true;
        snprintf(c->message, sizeof(c->message), "capacity is judged by ptest capacity, not by a run");
        return 0;
    }
    if (e.for_ns) {
        for_case(c, &e, l);
        return 0;
    }
    double m = cmp_metric(&e, l);
    threshold_format_value(&e, m, c->measured, sizeof(c->measured));
    if (!e.relative) {
        if (!threshold_check(&e, m)) {
            c->failed = true;
            snprintf(c->message, sizeof(c->message), "%s is %s, limit %s", l->name, c->measured, c->limit);
        }
        return 0;
    }
    const compare_label *cl = gate_cmp(g, r, li);
    const analysis_label *bl = base ? analysis_find(base, l->name) : NULL;
    if (!cl || !bl) {
        c->skipped = true;
        snprintf(c->message, sizeof(c->message), "no baseline for %s", l->name);
        return 0;
    }
    double b = cmp_metric(&e, bl);
    char bs[32];
    bool significant =
        e.metric == THRESHOLD_ERROR_RATE ? cl->errors == COMPARE_REGRESSION : cl->latency == COMPARE_REGRESSION;
    double change = b > 0 ? (m - b) / b * 100 : 0;
    threshold_format_value(&e, m, bs, sizeof(bs));
    snprintf(c->measured, sizeof(c->measured), "%s (%+.1f %%)", bs, change);
    if (!threshold_check_relative(&e, b, m) && significant) {
        c->failed = true;
        snprintf(c->message, sizeof(c->message),
                 "%s changed %+.1f %% vs baseline (limit %+g %%), "
                 "significant (Mann-Whitney p = %.2g)",
                 l->name, change, e.limit, cl->mw.p);
    }
    return 0;
}

static bool listed(const json_t *arr, json_int_t i)
{
    size_t k;
    const json_t *v;
    json_array_foreach (arr, k, v) {
        if (json_integer_value(v) == i)
            return true;
    }
    return false;
}

/* One case per worker of a collected run. Returns 0 or GATE_ENOMEM. */
static int worker_cases(gate *g, const analysis_run *r)
{
    const json_t *d = json_object_get(r->json, "distributed");
    json_int_t n = json_integer_value(json_object_get(d, "workers"));
    const json_t *partial = json_object_get(d, "partial"), *missing = json_object_get(d, "missing");
    for (json_int_t i = 0; json_is_object(d) && i < n && i < 100000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "worker %lld", (long long)i);
        gate_case *c = add_case(g, GATE_SUITE_WORKERS, name);
        if (!c)
            return GATE_ENOMEM;
        snprintf(c->limit, sizeof(c->limit), "final results");
        bool part = listed(partial, i), miss = listed(missing, i);
        snprintf(c->measured, sizeof(c->measured), "%s", miss ? "missing" : part ? "partial" : "final results");
        if (miss || part) {
            c->failed = true;
            snprintf(
                c->message, sizeof(c->message),
                miss
                    ? "worker %lld never reported to the collector (missing): its share of the load is not in the results"
                    : "worker %lld sent live seconds but no final results (partial: it did not finish); what it sent is merged",
                (long long)i);
        }
    }
    return 0;
}

int gate_eval(gate *g, const analysis_run *r, const analysis_run *base, char *err, size_t errlen)
{
    memset(g, 0, sizeof(*g));
    err[0] = '\0';
    if (base) {
        g->has_baseline = true;
        g->cmp = calloc(r->n_labels + 1, sizeof(*g->cmp));
        g->cmp_present = calloc(r->n_labels + 1, sizeof(*g->cmp_present));
        if (!g->cmp || !g->cmp_present)
            goto nomem;
        for (size_t i = 0; i <= r->n_labels; i++) {
            const analysis_label *l = i < r->n_labels ? &r->labels[i] : &r->total;
            const analysis_label *b = analysis_find(base, l->name);
            if (!b)
                continue;
            g->cmp_present[i] = true;
            compare_label_run(b->lat, b->count, b->errors, l->lat, l->count, l->errors, &g->cmp[i]);
        }
    }
    const json_t *thr = json_object_get(json_object_get(r->json, "plan"), "thresholds");
    for (size_t i = 0; i <= r->n_labels; i++) {
        const analysis_label *l = i < r->n_labels ? &r->labels[i] : &r->total;
        /* "*" first, then the label's own, as a reader of the plan expects. */
        const char *scopes[2] = {"*", l->name};
        for (int s = 0; s < 2; s++) {
            const json_t *arr = json_object_get(thr, scopes[s]);
            size_t k;
            const json_t *e;
            json_array_foreach (arr, k, e) {
                const char *expr = gate_threshold_expr(e);
                if (!expr)
                    continue;
                int rc = one_threshold(g, r, base, i, expr, scopes[s], err, errlen);
                if (rc == GATE_ENOMEM)
                    goto nomem;
                if (rc != 0)
                    return rc;
            }
        }
        if (l->has_checks) {
            gate_case *c = add_case(g, l->name, "checks");
            if (!c)
                goto nomem;
            uint64_t bad =
                l->by_kind[STATS_ERR_STATUS] + l->by_kind[STATS_ERR_EXPECTATION] + l->by_kind[STATS_ERR_EXTRACT];
            snprintf(c->measured, sizeof(c->measured), "%" PRIu64 " failed", bad);
            snprintf(c->limit, sizeof(c->limit), "0 failed");
            if (bad) {
                c->failed = true;
                snprintf(c->message, sizeof(c->message),
                         "%s: %" PRIu64 " wrong status, %" PRIu64 " body without the expected text, %" PRIu64
                         " failed extraction",
                         l->name, l->by_kind[STATS_ERR_STATUS], l->by_kind[STATS_ERR_EXPECTATION],
                         l->by_kind[STATS_ERR_EXTRACT]);
            }
        }
        const compare_label *cl = gate_cmp(g, r, i);
        if (base) {
            gate_case *c = add_case(g, l->name, "baseline");
            if (!c)
                goto nomem;
            snprintf(c->limit, sizeof(c->limit), "no regression");
            if (!cl) {
                c->skipped = true;
                snprintf(c->message, sizeof(c->message), "%s is not in the baseline", l->name);
            } else {
                snprintf(c->measured, sizeof(c->measured), "p50 %+.1f %%, p95 %+.1f %%",
                         cl->base[0] > 0 ? (cl->cand[0] - cl->base[0]) / cl->base[0] * 100 : 0,
                         cl->base[1] > 0 ? (cl->cand[1] - cl->base[1]) / cl->base[1] * 100 : 0);
                if (cl->verdict == COMPARE_REGRESSION) {
                    c->failed = true;
                    snprintf(c->message, sizeof(c->message),
                             "%s regressed: p50 %.3g -> %.3g ms, p95 %.3g -> "
                             "%.3g ms, errors %.3g -> %.3g %% (Mann-Whitney p = %.2g, errors p = %.2g)",
                             l->name, cl->base[0] / 1e3, cl->cand[0] / 1e3, cl->base[1] / 1e3, cl->cand[1] / 1e3,
                             cl->err_base * 100, cl->err_cand * 100, cl->mw.p, cl->err_p);
                }
            }
        }
    }
    if (worker_cases(g, r) != 0 || (r->stopped_by_threshold && abort_case(g, r) != 0))
        goto nomem;
    for (size_t i = 0; i < g->n; i++)
        g->n_failed += g->cases[i].failed;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
    return GATE_ENOMEM;
}

void gate_fini(gate *g)
{
    free(g->cases);
    free(g->cmp);
    free(g->cmp_present);
    memset(g, 0, sizeof(*g));
}
