/* merge.c - exact merge of worker results.
 *
 * Steps, each with its own resources and a setup/teardown pair:
 *   inputs  the folders, loaded with their per-second histograms (analysis.h, jansson);
 *   grid    the merged labels and the time grid (whole seconds from the earliest start),
 *           every input's intervals and counters added in;
 *   doc     what results.h needs to write the merged results.json: hlog names, labels,
 *           time series and the merged run's parts (whole plan, inputs' shares and
 *           environments);
 * then the output folder is written: the interval logs, and results.json once. */
#include "merge.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analysis.h"
#include "buf.h"
#include "hlog.h"
#include "results.h"

/* ---------------------------------------------------------------- inputs ---------- */

typedef struct minputs {
    const char *const *dirs;
    size_t n, loaded;
    analysis_run *runs; /* [n] */
    double base;        /* earliest interval-log BaseTime, s since the epoch (0: none) */
    double *off;        /* [n] whole seconds each input starts after base */
} minputs;

static void inputs_free(minputs *in)
{
    while (in->loaded > 0)
        analysis_fini(&in->runs[--in->loaded]);
    free(in->runs);
    free(in->off);
    in->runs = NULL;
    in->off = NULL;
}

static int inputs_load(minputs *in, const char *const *dirs, size_t n, char *err, size_t errlen)
{
    memset(in, 0, sizeof(*in));
    in->dirs = dirs;
    in->n = n;
    in->runs = calloc(n ? n : 1, sizeof(*in->runs));
    in->off = calloc(n ? n : 1, sizeof(*in->off));
    if (!in->runs || !in->off) {
        snprintf(err, errlen, "out of memory");
        return MERGE_EWRITE;
    }
    double base = INFINITY;
    for (; in->loaded < n; in->loaded++) {
        analysis_run *r = &in->runs[in->loaded];
        int rc = analysis_load(r, dirs[in->loaded], true, err, errlen);
        if (rc != 0)
            return rc == ANALYSIS_ENOMEM ? MERGE_EWRITE : MERGE_EINPUT;
        if (r->hlog_base_s > 0)
            base = fmin(base, r->hlog_base_s);
    }
    in->base = isfinite(base) ? base : 0;
    for (size_t k = 0; k < n; k++)
        in->off[k] = in->runs[k].hlog_base_s > 0 ? round(in->runs[k].hlog_base_s - in->base) : 0;
    return 0;
}

/* ---------------------------------------------------------------- grid ------------ */

/* One output label: its name, added counters, and the whole-run and per-second histograms. */
typedef struct mlabel {
    const char *name; /* borrowed from an input's document */
    stats_label tot;  /* counters added (its service-time histogram stays empty) */
    bool tot_ready;
    hist *all;
    hist **sec; /* [n_sec] */
} mlabel;

typedef struct mgrid {
    size_t n_lab, cap; /* labels; ls[n_lab] is the total */
    mlabel *ls;
    size_t n_sec;
    double *len_s;  /* [n_sec] longest interval booked in each second */
    double end;     /* merged duration, s */
    instances inst; /* X-Served-By counts added by value, rows in label order */
} mgrid;

static void grid_free(mgrid *g)
{
    for (size_t i = 0; g->ls && i < g->cap; i++) {
        mlabel *m = &g->ls[i];
        hist_destroy(m->all);
        for (size_t s = 0; m->sec && s < g->n_sec; s++)
            hist_destroy(m->sec[s]);
        free(m->sec);
        if (m->tot_ready)
            stats_label_fini(&m->tot);
    }
    free(g->ls);
    free(g->len_s);
    instances_fini(&g->inst);
    memset(g, 0, sizeof(*g));
}

static mlabel *find_or_add(mgrid *g, const char *name)
{
    for (size_t i = 0; i < g->n_lab; i++)
        if (strcmp(g->ls[i].name, name) == 0)
            return &g->ls[i];
    mlabel *l = &g->ls[g->n_lab++];
    l->name = name;
    return l;
}

static int label_init(mlabel *m, size_t n_sec)
{
    m->sec = calloc(n_sec ? n_sec : 1, sizeof(*m->sec));
    if (!m->sec || stats_label_init(&m->tot) != 0)
        return -1;
    m->tot_ready = true;
    if (hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &m->all) != 0)
        return -1;
    for (size_t s = 0; s < n_sec; s++)
        if (hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &m->sec[s]) != 0)
            return -1;
    return 0;
}

/* The union of the labels, in order of first appearance, and the length of the grid. */
static int grid_init(mgrid *g, const minputs *in)
{
    memset(g, 0, sizeof(*g));
    g->cap = 1;
    for (size_t k = 0; k < in->n; k++)
        g->cap += in->runs[k].n_labels;
    g->ls = calloc(g->cap, sizeof(*g->ls));
    if (!g->ls)
        return -1;
    for (size_t k = 0; k < in->n; k++) {
        const analysis_run *r = &in->runs[k];
        g->end = fmax(g->end, in->off[k] + r->duration_s);
        for (size_t i = 0; i < r->total.n_iv; i++) {
            double idx = round(r->total.iv_start_s[i] - in->base);
            if (idx >= 0 && (size_t)idx + 1 > g->n_sec)
                g->n_sec = (size_t)idx + 1;
        }
        for (size_t i = 0; i < r->n_labels; i++)
            find_or_add(g, r->labels[i].name);
    }
    g->ls[g->n_lab].name = "total";
    g->len_s = calloc(g->n_sec ? g->n_sec : 1, sizeof(*g->len_s));
    if (!g->len_s)
        return -1;
    for (size_t i = 0; i <= g->n_lab; i++)
        if (label_init(&g->ls[i], g->n_sec) != 0)
            return -1;
    return instances_init(&g->inst, g->n_lab);
}

/* analysis_instances_add's row of a label: its index in the grid. */
static size_t grid_row(void *ctx, const char *label)
{
    const mgrid *g = ctx;
    for (size_t i = 0; i < g->n_lab; i++)
        if (strcmp(g->ls[i].name, label) == 0)
            return i;
    return INSTANCES_TOTAL;
}

static uint64_t jcount(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

/* dst += the counters of one input's LABEL object (results.h). */
static void add_counts(stats_label *dst, const json_t *src)
{
    dst->count += jcount(src, "count");
    dst->errors += jcount(src, "errors");
    dst->dropped += jcount(src, "dropped");
    dst->queued += jcount(src, "queued");
    dst->bytes_rx += jcount(src, "bytes_received");
    dst->bytes_tx += jcount(src, "bytes_sent");
    dst->connections += jcount(src, "connections");
    const json_t *kinds = json_object_get(src, "errors_by_kind");
    for (int k = 1; k < STATS_ERR_N; k++)
        dst->by_kind[k] += jcount(kinds, stats_err_name(k));
    const char *key;
    json_t *v;
    const json_t *tls = json_object_get(src, "tls");
    dst->tls_handshakes += jcount(tls, "handshakes"); /* counts only: the handshake */
    dst->tls_resumed += jcount(tls, "resumed");       /* times are not stored per second */
    json_object_foreach (json_object_get(src, "status"), key, v) {
        char *e;
        long code = strtol(key, &e, 10);
        if (*e == '\0' && code >= STATS_STATUS_MIN && code <= STATS_STATUS_MAX && json_is_integer(v) &&
            json_integer_value(v) > 0)
            dst->status[code - STATS_STATUS_MIN] += (uint64_t)json_integer_value(v);
    }
}

/* Adds one input's label l (its intervals, counters) into m. */
static int grid_add_label(mgrid *g, const minputs *in, const analysis_run *r, const analysis_label *l, mlabel *m,
                          char *err, size_t errlen)
{
    for (size_t v = 0; v < l->n_iv; v++) {
        double idx = round(l->iv_start_s[v] - in->base);
        size_t s = idx < 0 ? 0 : (size_t)idx;
        if (s >= g->n_sec)
            s = g->n_sec - 1;
        if (hist_add(m->sec[s], l->iv[v]) != 0 || hist_add(m->all, l->iv[v]) != 0) {
            snprintf(err, errlen, "%s: histograms cannot be added", r->dir);
            return -1;
        }
        g->len_s[s] = fmax(g->len_s[s], l->iv_len_s[v]);
    }
    const json_t *src = l == &r->total ? json_object_get(r->json, "total")
                                       : json_object_get(json_object_get(r->json, "labels"), l->name);
    add_counts(&m->tot, src);
    return 0;
}

static int grid_add(mgrid *g, const minputs *in, char *err, size_t errlen)
{
    for (size_t k = 0; k < in->n; k++) {
        const analysis_run *r = &in->runs[k];
        for (size_t i = 0; i <= r->n_labels; i++) {
            const analysis_label *l = i < r->n_labels ? &r->labels[i] : &r->total;
            mlabel *m = i < r->n_labels ? find_or_add(g, l->name) : &g->ls[g->n_lab];
            if (grid_add_label(g, in, r, l, m, err, errlen) != 0)
                return -1;
        }
        (void)analysis_instances_add(r->json, &g->inst, grid_row, g);
    }
    return 0;
}

/* ---------------------------------------------------------------- doc ------------- */

typedef struct mdoc {
    char **names; /* hlog file names, [n_lab] is total.hlog */
    size_t n_names;
    results_label *rl; /* [n_lab] */
    stats_series series;
    const json_t **shares, **envs; /* [n] borrowed from the inputs */
    results_merge merge;
    results res;
} mdoc;

static void doc_free(mdoc *d)
{
    if (d->names)
        results_names_destroy(d->names, d->n_names);
    free(d->rl);
    free(d->shares);
    free(d->envs);
    stats_series_fini(&d->series);
    memset(d, 0, sizeof(*d));
}

/* Per second: counts from each input's points at its shifted second, percentiles from the
 * merged per-second histograms. */
static void series_point(stats_point *pt, const mgrid *g, const minputs *in, size_t s, size_t i)
{
    double cnt = 0;
    uint64_t errs = 0;
    for (size_t k = 0; k < in->n; k++) {
        const analysis_run *r = &in->runs[k];
        if ((double)s < in->off[k])
            continue;
        size_t t = s - (size_t)in->off[k];
        const analysis_label *l = i < g->n_lab ? analysis_find(r, g->ls[i].name) : &r->total;
        if (!l || t >= l->n_pts)
            continue;
        cnt += l->pts[t].rps * l->pts[t].len_s;
        errs += l->pts[t].errors;
    }
    const hist *h = g->ls[i].sec[s];
    double len = g->len_s[s] > 0 ? g->len_s[s] : 1;
    *pt = (stats_point){
        .t = (uint32_t)s,
        .len_ms = (uint32_t)llround(len * 1000),
        .count = (uint64_t)llround(cnt),
        .errors = errs,
        .responses = h->total_count,
        .p50_us = h->total_count ? hist_value_at_percentile(h, 50) : 0,
        .p99_us = h->total_count ? hist_value_at_percentile(h, 99) : 0,
    };
}

static int doc_series(mdoc *d, const mgrid *g, const minputs *in)
{
    stats_series_init(&d->series, g->n_lab);
    d->series.pts = calloc((g->n_sec ? g->n_sec : 1) * (g->n_lab + 1), sizeof(*d->series.pts));
    if (!d->series.pts)
        return -1;
    d->series.cap = d->series.n = g->n_sec;
    for (size_t s = 0; s < g->n_sec; s++)
        for (size_t i = 0; i <= g->n_lab; i++)
            series_point(&d->series.pts[s * (g->n_lab + 1) + i], g, in, s, i);
    return 0;
}

/* The merged run's plan is the whole plan: a share's "whole_plan" (the plan it was cut
 * from), else the first input's "plan" (inputs that are not shares, or older ones). */
static const json_t *whole_plan(const minputs *in)
{
    for (size_t k = 0; k < in->n; k++) {
        const json_t *w = json_object_get(in->runs[k].json, "whole_plan");
        if (json_is_object(w))
            return w;
    }
    for (size_t k = 0; k < in->n; k++) {
        const json_t *p = json_object_get(in->runs[k].json, "plan");
        if (json_is_object(p))
            return p;
    }
    return NULL;
}

/* The merged run's parts: the whole plan, each input's share and environment, and the
 * first input's view of the target's configuration. */
static int doc_parts(mdoc *d, const minputs *in, const results_workers *w)
{
    d->shares = calloc(in->n ? in->n : 1, sizeof(*d->shares));
    d->envs = calloc(in->n ? in->n : 1, sizeof(*d->envs));
    if (!d->shares || !d->envs)
        return -1;
    const json_t *expected = NULL, *tls = NULL;
    for (size_t k = 0; k < in->n; k++) {
        const json_t *j = in->runs[k].json;
        if (!tls && json_is_object(json_object_get(j, "tls")))
            tls = json_object_get(j, "tls");
        d->shares[k] = json_object_get(j, "share");
        d->envs[k] = json_object_get(j, "environment");
        if (!expected && json_is_object(json_object_get(j, "expected")))
            expected = json_object_get(j, "expected");
    }
    d->merge = (results_merge){
        .n_inputs = in->n,
        .dirs = in->dirs,
        .shares = d->shares,
        .environments = d->envs,
        .plan = whole_plan(in),
        .distributed = w,
        .tls = tls,
    };
    d->res.tls = tls != NULL;
    d->res.expected = expected;
    d->res.merge = &d->merge;
    return 0;
}

static void doc_head(mdoc *d, const minputs *in, const mgrid *g)
{
    results *res = &d->res;
    res->started = (wall_ns)llround(in->base * 1e9);
    res->duration_s = g->end;
    for (size_t k = 0; k < in->n; k++) {
        res->interrupted |= in->runs[k].interrupted;
        res->data_exhausted += in->runs[k].data_exhausted;
        if (!res->aborted && in->runs[k].aborted)
            res->aborted = in->runs[k].aborted;
        if (!res->threshold_abort && in->runs[k].stopped_by_threshold)
            res->threshold_abort = &in->runs[k].threshold_abort;
    }
    res->n_labels = g->n_lab;
    res->labels = d->rl;
    res->series = &d->series;
    res->histograms = true;
}

static int doc_build(mdoc *d, const mgrid *g, const minputs *in, const results_workers *w)
{
    memset(d, 0, sizeof(*d));
    stats_series_init(&d->series, 0);
    const char **lnames = calloc(g->n_lab ? g->n_lab : 1, sizeof(*lnames));
    if (!lnames)
        return -1;
    for (size_t i = 0; i < g->n_lab; i++)
        lnames[i] = g->ls[i].name;
    int rc = results_hlog_names(lnames, g->n_lab, &d->names);
    free(lnames);
    if (rc != 0)
        return -1;
    d->n_names = g->n_lab;
    d->rl = calloc(g->n_lab ? g->n_lab : 1, sizeof(*d->rl));
    if (!d->rl || doc_series(d, g, in) != 0 || doc_parts(d, in, w) != 0)
        return -1;
    for (size_t i = 0; i <= g->n_lab; i++) {
        const mlabel *m = &g->ls[i];
        results_label l = {m->name, d->names[i], &m->tot, m->all, true};
        if (i < g->n_lab)
            d->rl[i] = l;
        else
            d->res.total = l;
    }
    doc_head(d, in, g);
    d->res.inst = &g->inst;
    return 0;
}

/* ---------------------------------------------------------------- output ---------- */

static int write_hlog(const char *dir, const mlabel *l, const char *name, const mgrid *g, double base_s, char *err,
                      size_t errlen)
{
    buf b = BUF_INIT;
    char *s = NULL;
    size_t len;
    uint64_t base_ms = (uint64_t)llround(base_s * 1000);
    int rc = hlog_format_header(base_ms, base_ms, "Merged by ptest", &s, &len);
    if (rc == 0) {
        buf_append(&b, s, len);
        free(s);
    }
    for (size_t i = 0; rc == 0 && i < g->n_sec; i++) {
        rc = hlog_format_interval(NULL, (uint64_t)i * 1000, (uint64_t)llround(g->len_s[i] * 1000), l->sec[i],
                                  HLOG_MAX_RATIO_US_TO_MS, &s, &len);
        if (rc == 0) {
            buf_append(&b, s, len);
            free(s);
        }
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, hlog_strerror(rc));
    else if (buf_write_file(&b, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    buf_fini(&b);
    return rc ? -1 : 0;
}

static int write_out(const char *out_dir, const mgrid *g, const mdoc *d, double base, char *err, size_t errlen)
{
    if (results_mkdirs(out_dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", out_dir, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i <= g->n_lab; i++)
        if (write_hlog(out_dir, &g->ls[i], d->names[i], g, base, err, errlen) != 0)
            return -1;
    return results_write(&d->res, out_dir, err, errlen);
}

int merge_dirs(const char *const *dirs, size_t n, const char *out_dir, char *err, size_t errlen)
{
    return merge_dirs_workers(dirs, n, out_dir, NULL, err, errlen);
}

int merge_dirs_workers(const char *const *dirs, size_t n, const char *out_dir, const merge_workers *w, char *err,
                       size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "no results to merge");
        return MERGE_EINPUT;
    }
    minputs in;
    mgrid g;
    mdoc d;
    memset(&g, 0, sizeof(g));
    memset(&d, 0, sizeof(d));
    int ret = inputs_load(&in, dirs, n, err, errlen);
    if (ret != 0)
        goto out;
    ret = MERGE_EWRITE;
    if (grid_init(&g, &in) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (grid_add(&g, &in, err, errlen) != 0) {
        ret = MERGE_EINPUT;
        goto out;
    }
    if (doc_build(&d, &g, &in, w) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    ret = write_out(out_dir, &g, &d, in.base, err, errlen) == 0 ? 0 : MERGE_EWRITE;
out:
    doc_free(&d);
    grid_free(&g);
    inputs_free(&in);
    return ret;
}
