/* analysis.c - loading a results directory into the analysis model. */
#include "analysis.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hlog.h"

static uint64_t ju64(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        return (uint64_t)json_integer_value(v);
    if (json_is_real(v) && json_real_value(v) >= 0)
        return (uint64_t)json_real_value(v);
    return 0;
}

static double jnum(const json_t *o, const char *key, double dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void label_free(analysis_label *l)
{
    hist_destroy(l->lat);
    free(l->pts);
    for (size_t i = 0; i < l->n_iv; i++)
        hist_destroy(l->iv[i]);
    free(l->iv);
    free(l->iv_start_s);
    free(l->iv_len_s);
    memset(l, 0, sizeof(*l));
}

void analysis_fini(analysis_run *r)
{
    for (size_t i = 0; i < r->n_labels; i++)
        label_free(&r->labels[i]);
    free(r->labels);
    label_free(&r->total);
    instances_fini(&r->inst);
    json_decref(r->json);
    free(r->dir);
    memset(r, 0, sizeof(*r));
}

/* Adds every interval of the label's .hlog into l->lat (and keeps them when asked). */
static int load_hlog(analysis_run *r, analysis_label *l, bool keep, char *err, size_t errlen)
{
    /* Decoding one whole-run histogram instead of one per second: a 10-minute run has 600
     * intervals per label, each a full counts array to inflate and add. */
    const char *stored = json_string_value(json_object_get(json_object_get(r->json, "latency_hdr"), l->name));
    if (stored && !keep) {
        hist *h = NULL;
        int rc = hlog_decode_histogram(stored, strlen(stored), &h);
        if (rc == 0 && h->unit_magnitude == 0 && h->sig_figs == HIST_PTEST_SIGFIGS) {
            l->lat = h;
            return 0;
        }
        hist_destroy(h); /* not usable: fall back to the interval log */
    }
    if (hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &l->lat) != 0)
        return ANALYSIS_ENOMEM;
    if (!l->hlog)
        return 0;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", r->dir, l->hlog);
    char *data = NULL;
    size_t len = 0;
    int rc = hlog_load_file(path, &data, &len);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, hlog_strerror(rc));
        return rc == HLOG_ENOMEM ? ANALYSIS_ENOMEM : ANALYSIS_EIO;
    }
    hlog_reader rd;
    hlog_reader_init(&rd, data, len);
    size_t cap = 0;
    int ret = 0;
    for (;;) {
        hlog_interval iv;
        rc = hlog_next(&rd, &iv);
        if (rc == 0)
            break;
        if (rc < 0) {
            snprintf(err, errlen, "%s:%zu: %s", path, rd.line_no, hlog_strerror(rc));
            ret = rc == HLOG_ENOMEM || rc == HIST_ENOMEM ? ANALYSIS_ENOMEM : ANALYSIS_EFORMAT;
            break;
        }
        rc = hist_add(l->lat, iv.h);
        if (rc != 0) {
            snprintf(err, errlen, "%s:%zu: %s", path, rd.line_no, hist_strerror(rc));
            hist_destroy(iv.h);
            ret = ANALYSIS_EFORMAT;
            break;
        }
        if (!keep) {
            hist_destroy(iv.h);
            continue;
        }
        if (l->n_iv == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            hist **h = realloc(l->iv, ncap * sizeof(*h));
            if (h)
                l->iv = h;
            double *s = realloc(l->iv_start_s, ncap * sizeof(*s));
            if (s)
                l->iv_start_s = s;
            double *ln = realloc(l->iv_len_s, ncap * sizeof(*ln));
            if (ln)
                l->iv_len_s = ln;
            if (!h || !s || !ln) {
                hist_destroy(iv.h);
                ret = ANALYSIS_ENOMEM;
                break;
            }
            cap = ncap;
        }
        l->iv[l->n_iv] = iv.h;
        l->iv_start_s[l->n_iv] = hlog_base_time(&rd) + iv.start_s;
        l->iv_len_s[l->n_iv] = iv.length_s;
        l->n_iv++;
    }
    if (ret == 0 && l == &r->total)
        r->hlog_base_s = hlog_base_time(&rd);
    free(data);
    if (ret == ANALYSIS_ENOMEM)
        snprintf(err, errlen, "%s: out of memory", path);
    return ret;
}

static void load_label(analysis_label *l, const char *name, const json_t *o)
{
    l->name = name;
    l->hlog = jstr(o, "hlog");
    l->count = ju64(o, "count");
    l->errors = ju64(o, "errors");
    l->dropped = ju64(o, "dropped");
    l->queued = ju64(o, "queued");
    l->rps = jnum(o, "rps", 0);
    l->svc_mean_us = jnum(json_object_get(o, "service_time_us"), "mean", NAN);
    l->expected_mean_us = NAN;
    l->error_rate = l->count ? (double)l->errors / (double)l->count : 0;
    const json_t *k = json_object_get(o, "errors_by_kind");
    for (int i = 1; i < STATS_ERR_N; i++)
        l->by_kind[i] = ju64(k, stats_err_name(i));
    const json_t *tls = json_object_get(o, "tls"), *hs = json_object_get(tls, "handshake_us");
    l->tls_handshakes = ju64(tls, "handshakes");
    l->tls_resumed = ju64(tls, "resumed");
    l->tls_hs_mean_us = jnum(hs, "mean", NAN);
    l->tls_hs_p50_us = jnum(hs, "p50", NAN);
    l->tls_hs_p99_us = jnum(hs, "p99", NAN);
}

static int load_series(analysis_run *r, analysis_label *l)
{
    const json_t *ts = json_object_get(r->json, "timeseries");
    size_t n = json_array_size(ts);
    if (n == 0)
        return 0;
    l->pts = calloc(n, sizeof(*l->pts));
    if (!l->pts)
        return ANALYSIS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *pt = json_array_get(ts, i);
        analysis_point *p = &l->pts[i];
        p->t = jnum(pt, "t", (double)i);
        p->len_s = jnum(pt, "len_s", 1);
        const json_t *src = l == &r->total ? pt : json_object_get(json_object_get(pt, "labels"), l->name);
        p->rps = jnum(src, "rps", 0);
        p->errors = ju64(src, "errors");
        p->p50_us = jnum(src, "p50_us", NAN);
        p->p99_us = jnum(src, "p99_us", NAN);
    }
    l->n_pts = n;
    return 0;
}

static void apdex(analysis_label *l, double t_us)
{
    if (l->count == 0) {
        l->apdex = NAN;
        return;
    }
    double sat = 0, tol = 0;
    hist_iter it;
    hist_iter_init(&it, l->lat);
    while (hist_iter_next(&it)) {
        /* A bucket counts by its median, as hist_mean does. */
        double v = (double)hist_median_equivalent(l->lat, it.lowest);
        if (v <= t_us)
            sat += (double)it.count;
        else if (v <= 4 * t_us)
            tol += (double)it.count;
    }
    /* Responses with an error status are in the histogram but must count as frustrated;
     * which buckets they fell in is unknown, so the successful ones are taken to be spread
     * like all responses. Transport errors have no latency and are frustrated anyway. */
    double n_hist = (double)l->lat->total_count;
    double ok = l->count > l->errors ? (double)(l->count - l->errors) : 0;
    double share = n_hist > 0 ? fmin(1, ok / n_hist) : 0;
    l->apdex = share * (sat + tol / 2) / (double)l->count;
}

static void plan_facts(analysis_run *r)
{
    const json_t *pj = json_object_get(r->json, "plan");
    r->plan_name = jstr(pj, "name");
    r->target = jstr(pj, "target");
    r->apdex_t_us = jnum(pj, "apdex_t_s", 0) * 1e6;
    if (!(r->apdex_t_us > 0))
        r->apdex_t_us = 500e3;
    size_t i;
    const json_t *sc;
    json_array_foreach (json_object_get(pj, "scenarios"), i, sc) {
        const json_t *stages = json_object_get(sc, "stages");
        double arrivals = 0, dur = 0;
        size_t j;
        const json_t *st;
        const char *ramp = jstr(sc, "ramp");
        bool linear = ramp && strcmp(ramp, "linear") == 0;
        double prev = jnum(sc, "start_rate", 0);
        json_array_foreach (stages, j, st) {
            double rate = jnum(st, "rate", 0);
            /* A linear ramp's stage has the mean of its two ends. */
            arrivals += (linear ? (prev + rate) / 2 : rate) * jnum(st, "duration_s", 0);
            dur += jnum(st, "duration_s", 0);
            prev = rate;
        }
        if (dur > 0)
            r->planned_rps += arrivals / dur;
        const char *model = jstr(sc, "model");
        r->plan_conns += ju64(sc, model && strcmp(model, "open") == 0 ? "max_connections" : "users");
        const json_t *rq;
        json_array_foreach (json_object_get(sc, "requests"), j, rq) {
            const json_t *ex = json_object_get(rq, "expect");
            if (!json_is_null(json_object_get(ex, "status")) || !json_is_null(json_object_get(ex, "body_contains")) ||
                json_array_size(json_object_get(rq, "extract")) > 0) {
                const char *lab = jstr(rq, "label");
                for (size_t k = 0; lab && k < r->n_labels; k++)
                    if (strcmp(r->labels[k].name, lab) == 0)
                        r->labels[k].has_checks = true;
            }
        }
    }
}

/* The configured delay of each label's endpoint: labels whose requests all go to one path
 * that /config lists. */
static void expected(analysis_run *r)
{
    const json_t *srv = json_object_get(r->json, "server");
    r->server_scraped = json_is_true(json_object_get(srv, "scraped"));
    r->cpu_ms_per_1000 = jnum(srv, "cpu_ms_per_1000_requests", NAN);
    r->peak_rss_bytes = jnum(srv, "peak_rss_bytes", NAN);
    const json_t *cl = json_object_get(r->json, "client");
    double threads = jnum(cl, "threads", 0);
    r->client_busy = threads > 0 && r->duration_s > 0 ? jnum(cl, "cpu_seconds", NAN) / (threads * r->duration_s) : NAN;
    r->fd_limit = ju64(json_object_get(r->json, "environment"), "fd_limit");
    const json_t *tls = json_object_get(r->json, "tls");
    r->tls = json_is_object(tls);
    r->tls_error = jstr(tls, "first_error");
    const json_t *eps = json_object_get(json_object_get(r->json, "expected"), "endpoints");
    r->has_expected = json_is_array(eps);
    if (!r->has_expected)
        return;
    for (size_t k = 0; k < r->n_labels; k++) {
        analysis_label *l = &r->labels[k];
        const char *path = NULL;
        size_t plen = 0;
        bool mixed = false;
        size_t i, j;
        const json_t *sc, *rq;
        json_array_foreach (json_object_get(json_object_get(r->json, "plan"), "scenarios"), i, sc) {
            json_array_foreach (json_object_get(sc, "requests"), j, rq) {
                const char *lab = jstr(rq, "label"), *p = jstr(rq, "path");
                if (!lab || !p || strcmp(lab, l->name) != 0)
                    continue;
                size_t n = strcspn(p, "?#");
                if (path && (n != plen || memcmp(p, path, n) != 0))
                    mixed = true;
                path = p;
                plen = n;
            }
        }
        if (!path || mixed)
            continue;
        const json_t *e;
        json_array_foreach (eps, i, e) {
            const char *ep = jstr(e, "path");
            if (ep && strlen(ep) == plen && memcmp(ep, path, plen) == 0)
                l->expected_mean_us = jnum(e, "mean_ms", NAN) * 1e3;
        }
    }
}

static void warn(analysis_run *r, const char *msg)
{
    if (r->n_warnings < sizeof(r->warnings) / sizeof(r->warnings[0]))
        snprintf(r->warnings[r->n_warnings++], sizeof(r->warnings[0]), "%s", msg);
}

/* Saturation: the client, not the server, may have been the limit. */
static void saturation(analysis_run *r)
{
    char msg[sizeof(r->warnings[0])];
    const analysis_label *t = &r->total;
    uint64_t local = t->by_kind[STATS_ERR_LOCAL_LIMIT];
    if (local > 0) {
        /* The descriptors the plan needs: one per connection and a few for ptest itself
         * (ENGINE_FD_OWN, engine.h). */
        if (r->fd_limit > 0 && r->plan_conns + 24 >= r->fd_limit)
            snprintf(msg, sizeof(msg),
                     "generator hit its file-descriptor limit (ulimit -n %" PRIu64 "): %" PRIu64
                     " connects not attempted (not counted as server errors); raise ulimit -n or lower users",
                     r->fd_limit, local);
        else
            snprintf(msg, sizeof(msg),
                     "generator hit a local limit (no free local port, system file table or "
                     "socket memory: EADDRNOTAVAIL, ENFILE, ENOBUFS): %" PRIu64 " connects not attempted (not "
                     "counted as server errors); widen net.ipv4.ip_local_port_range, add workers or lower users",
                     local);
        warn(r, msg);
    }
    if (r->planned_rps > 0 && t->rps < 0.95 * r->planned_rps) {
        snprintf(msg, sizeof(msg),
                 "achieved %.1f requests/s of the planned %.1f/s (%.0f %%): "
                 "the load generator or its connection limit may have been the bottleneck",
                 t->rps, r->planned_rps, 100 * t->rps / r->planned_rps);
        warn(r, msg);
    }
    if (r->client_busy > 0.8) {
        snprintf(msg, sizeof(msg),
                 "ptest's own threads were busy %.0f %% of the run: the load generator, "
                 "not the server, may have been the limit (add threads or workers)",
                 100 * r->client_busy);
        warn(r, msg);
    }
    if (t->by_kind[STATS_ERR_TLS] > 0) {
        snprintf(msg, sizeof(msg), "%" PRIu64 " requests failed in TLS: %s", t->by_kind[STATS_ERR_TLS],
                 r->tls_error ? r->tls_error : "reason unknown");
        warn(r, msg);
    }
    if (t->by_kind[STATS_ERR_EXTRACT] > 0) {
        snprintf(msg, sizeof(msg), "%" PRIu64 " responses failed an extraction (extract: found nothing)",
                 t->by_kind[STATS_ERR_EXTRACT]);
        warn(r, msg);
    }
    if (t->by_kind[STATS_ERR_RENDER] > 0) {
        snprintf(msg, sizeof(msg),
                 "%" PRIu64 " requests were not sent: rendered with the user's variables they exceeded the 16 KiB "
                 "buffer or put a value where its bytes are not allowed (CR/LF in a header, a space in the path)",
                 t->by_kind[STATS_ERR_RENDER]);
        warn(r, msg);
    }
    if (r->data_exhausted > 0) {
        snprintf(msg, sizeof(msg),
                 "%" PRIu64 " users stopped early: their scenario's unique data ran out (each row is used "
                 "once; add rows or lower users x iterations)",
                 r->data_exhausted);
        warn(r, msg);
    }
    if (t->dropped > 0) {
        snprintf(msg, sizeof(msg),
                 "%" PRIu64 " planned arrivals were never sent (dropped): the "
                 "client could not keep up",
                 t->dropped);
        warn(r, msg);
    }
    if (t->count > 0 && t->queued * 100 >= t->count) {
        snprintf(msg, sizeof(msg),
                 "%" PRIu64 " requests waited for a free connection; their "
                 "latency includes the wait (raise max_connections if the server is fast)",
                 t->queued);
        warn(r, msg);
    }
}

int analysis_load(analysis_run *r, const char *dir, bool want_intervals, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    int rc = ANALYSIS_ENOMEM;
    r->dir = strdup(dir);
    if (!r->dir) {
        snprintf(err, errlen, "out of memory");
        return ANALYSIS_ENOMEM;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/results.json", dir);
    json_error_t je;
    r->json = json_load_file(path, 0, &je);
    if (!r->json) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        rc = ANALYSIS_EIO;
        goto fail;
    }
    const json_t *labels = json_object_get(r->json, "labels");
    const json_t *total = json_object_get(r->json, "total");
    if (!json_is_object(labels) || !json_is_object(total)) {
        snprintf(err, errlen, "%s: not a ptest results file (no labels/total)", path);
        rc = ANALYSIS_EFORMAT;
        goto fail;
    }
    r->started = jstr(r->json, "started");
    r->aborted = jstr(r->json, "aborted");
    const json_t *ta = json_object_get(r->json, "threshold_abort");
    if (json_is_object(ta) && jstr(ta, "threshold") && jstr(ta, "label")) {
        r->threshold_abort.threshold = jstr(ta, "threshold");
        r->threshold_abort.label = jstr(ta, "label");
        r->threshold_abort.at_s = jnum(ta, "at_s", 0);
        r->threshold_abort.measured = jstr(ta, "measured") ? jstr(ta, "measured") : "";
        r->threshold_abort.limit = jstr(ta, "limit") ? jstr(ta, "limit") : "";
        r->stopped_by_threshold = true;
    }
    r->duration_s = jnum(r->json, "duration_s", 0);
    r->interrupted = json_is_true(json_object_get(r->json, "interrupted"));
    r->data_exhausted = ju64(r->json, "data_exhausted_users");
    size_t n = json_object_size(labels);
    r->labels = calloc(n ? n : 1, sizeof(*r->labels));
    if (!r->labels) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)labels, key, v) {
        load_label(&r->labels[r->n_labels++], key, v);
    }
    load_label(&r->total, "total", total);
    plan_facts(r);
    expected(r);
    r->has_instances = analysis_instances_add(r->json, &r->inst, NULL, NULL);
    for (size_t i = 0; i <= r->n_labels; i++) {
        analysis_label *l = i < r->n_labels ? &r->labels[i] : &r->total;
        rc = load_hlog(r, l, want_intervals, err, errlen);
        if (rc != 0)
            goto fail;
        rc = load_series(r, l);
        if (rc != 0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        apdex(l, r->apdex_t_us);
    }
    saturation(r);
    return 0;
fail:
    analysis_fini(r);
    return rc;
}

/* One "counts" object and its "other" into row of t. */
static void add_counts(instances *t, size_t row, const json_t *o)
{
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)json_object_get(o, "counts"), key, v) {
        if (json_is_integer(v) && json_integer_value(v) > 0)
            instances_add(t, row, key, strlen(key), (uint64_t)json_integer_value(v));
    }
    instances_add(t, row, NULL, 0, ju64(o, "other"));
}

bool analysis_instances_add(const json_t *doc, instances *t, size_t (*row_of)(void *ctx, const char *label), void *ctx)
{
    const json_t *in = json_object_get(doc, "instances");
    if (!json_is_object(in))
        return false;
    if (!row_of) {
        add_counts(t, INSTANCES_TOTAL, in);
        return true;
    }
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)json_object_get(in, "labels"), key, v) {
        add_counts(t, row_of(ctx, key), v);
    }
    return true;
}

double analysis_pct(const analysis_label *l, double p)
{
    if (!l->lat || l->lat->total_count == 0)
        return NAN;
    return (double)hist_value_at_percentile(l->lat, p);
}

double analysis_pct_cb(const void *ctx, double p)
{
    return analysis_pct(ctx, p);
}

const analysis_label *analysis_find(const analysis_run *r, const char *name)
{
    if (strcmp(name, "total") == 0)
        return &r->total;
    for (size_t i = 0; i < r->n_labels; i++)
        if (strcmp(r->labels[i].name, name) == 0)
            return &r->labels[i];
    return NULL;
}
