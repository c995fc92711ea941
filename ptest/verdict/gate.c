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
                const char *expr = json_string_value(e);
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
    if (worker_cases(g, r) != 0)
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
