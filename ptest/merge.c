/* merge.c - exact merge of worker results. */
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

/* One output label: its name, and per second the merged histogram. */
typedef struct mlabel {
    const char *name;
    char *hlog;
    hdr_histogram *all;
    hdr_histogram **sec;       /* [n_sec] */
    json_t *obj;               /* merged LABEL object */
} mlabel;

static json_t *hist_json(const hdr_histogram *h)
{
    json_t *o = json_object();
    bool empty = h->total_count == 0;
    json_object_set_new(o, "count", json_integer((json_int_t)h->total_count));
    json_object_set_new(o, "min", empty ? json_null() : json_integer((json_int_t)hdr_min(h)));
    json_object_set_new(o, "mean", empty ? json_null() : json_real(hdr_mean(h)));
    json_object_set_new(o, "stddev", empty ? json_null() : json_real(hdr_stddev(h)));
    static const struct {
        const char *name;
        double p;
    } pct[] = {{"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"p999", 99.9}};
    for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
        json_object_set_new(o, pct[i].name,
                            empty ? json_null() : json_integer((json_int_t)hdr_value_at_percentile(h, pct[i].p)));
    json_object_set_new(o, "max", empty ? json_null() : json_integer((json_int_t)hdr_max(h)));
    return o;
}

/* dst[key] += src[key] for integer members (objects recursively). */
static void add_counts(json_t *dst, const json_t *src)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)src, key, v) {
        json_t *d = json_object_get(dst, key);
        if (json_is_integer(v)) {
            json_int_t cur = json_is_integer(d) ? json_integer_value(d) : 0;
            json_object_set_new(dst, key, json_integer(cur + json_integer_value(v)));
        } else if (json_is_object(v)) {
            if (!json_is_object(d)) {
                d = json_object();
                json_object_set_new(dst, key, d);
            }
            add_counts(d, v);
        }
    }
}

static mlabel *find_or_add(mlabel *ls, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(ls[i].name, name) == 0)
            return &ls[i];
    mlabel *l = &ls[(*n)++];
    l->name = name;
    return l;
}

static int write_hlog(const char *dir, const mlabel *l, size_t n_sec, double base_s, const double *len_s,
                      char *err, size_t errlen)
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
    for (size_t i = 0; rc == 0 && i < n_sec; i++) {
        rc = hlog_format_interval(NULL, (uint64_t)i * 1000, (uint64_t)llround(len_s[i] * 1000), l->sec[i],
                                  HLOG_MAX_RATIO_US_TO_MS, &s, &len);
        if (rc == 0) {
            buf_append(&b, s, len);
            free(s);
        }
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, l->hlog);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, hlog_strerror(rc));
    else if (buf_write_file(&b, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -1;
    }
    buf_free(&b);
    return rc ? -1 : 0;
}

static json_t *workers_json(const merge_workers *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "workers", json_integer(w->count));
    const struct {
        const char *key;
        const uint32_t *v;
        size_t n;
    } lists[] = {{"reported", w->reported, w->n_reported},
                 {"partial", w->partial, w->n_partial},
                 {"missing", w->missing, w->n_missing}};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        json_t *a = json_array();
        for (size_t k = 0; k < lists[i].n; k++)
            json_array_append_new(a, json_integer(lists[i].v[k]));
        json_object_set_new(o, lists[i].key, a);
    }
    return o;
}

int merge_dirs(const char *const *dirs, size_t n, const char *out_dir, char *err, size_t errlen)
{
    return merge_dirs_workers(dirs, n, out_dir, NULL, err, errlen);
}

int merge_dirs_workers(const char *const *dirs, size_t n, const char *out_dir, const merge_workers *w,
                       char *err, size_t errlen)
{
    int ret = -1;
    an_run *runs = calloc(n, sizeof(*runs));
    size_t loaded = 0, n_lab = 0, n_sec = 0, cap_lab = 1;
    mlabel *ls = NULL;
    double *len_s = NULL, *off = calloc(n ? n : 1, sizeof(double));
    json_t *out = NULL;
    char **names = NULL;
    if (!runs || !off)
        goto nomem;
    if (n == 0) {
        snprintf(err, errlen, "no results to merge");
        goto fail;
    }
    double base = INFINITY, end = 0;
    for (; loaded < n; loaded++) {
        if (an_load(&runs[loaded], dirs[loaded], true, err, errlen) != 0)
            goto fail;
        cap_lab += runs[loaded].n_labels;
        if (runs[loaded].hlog_base_s > 0)
            base = fmin(base, runs[loaded].hlog_base_s);
    }
    if (!isfinite(base))
        base = 0;
    ls = calloc(cap_lab, sizeof(*ls));
    if (!ls)
        goto nomem;
    /* Whole-second offsets and the merged length in seconds. */
    for (size_t k = 0; k < n; k++) {
        const an_run *r = &runs[k];
        off[k] = r->hlog_base_s > 0 ? round(r->hlog_base_s - base) : 0;
        end = fmax(end, off[k] + r->duration_s);
        for (size_t i = 0; i < r->total.n_iv; i++) {
            double idx = round(r->total.iv_start_s[i] - base);
            if (idx >= 0 && (size_t)idx + 1 > n_sec)
                n_sec = (size_t)idx + 1;
        }
        for (size_t i = 0; i < r->n_labels; i++)
            find_or_add(ls, &n_lab, r->labels[i].name);
    }
    mlabel *tot = &ls[n_lab];
    tot->name = "total";
    len_s = calloc(n_sec ? n_sec : 1, sizeof(double));
    if (!len_s)
        goto nomem;
    for (size_t i = 0; i <= n_lab; i++) {
        ls[i].sec = calloc(n_sec ? n_sec : 1, sizeof(*ls[i].sec));
        ls[i].obj = json_object();
        if (!ls[i].sec || !ls[i].obj ||
            hdr_create(HDR_PTEST_LOWEST, HDR_PTEST_HIGHEST, HDR_PTEST_SIGFIGS, &ls[i].all) != 0)
            goto nomem;
        for (size_t s = 0; s < n_sec; s++)
            if (hdr_create(HDR_PTEST_LOWEST, HDR_PTEST_HIGHEST, HDR_PTEST_SIGFIGS, &ls[i].sec[s]) != 0)
                goto nomem;
    }
    /* Add every worker's intervals and counters. */
    for (size_t k = 0; k < n; k++) {
        const an_run *r = &runs[k];
        for (size_t i = 0; i <= r->n_labels; i++) {
            const an_label *l = i < r->n_labels ? &r->labels[i] : &r->total;
            mlabel *m = i < r->n_labels ? find_or_add(ls, &n_lab, l->name) : tot;
            for (size_t v = 0; v < l->n_iv; v++) {
                double idx = round(l->iv_start_s[v] - base);
                size_t s = idx < 0 ? 0 : (size_t)idx;
                if (s >= n_sec)
                    s = n_sec - 1;
                if (hdr_add(m->sec[s], l->iv[v]) != 0 || hdr_add(m->all, l->iv[v]) != 0) {
                    snprintf(err, errlen, "%s: histograms cannot be added", r->dir);
                    goto fail;
                }
                len_s[s] = fmax(len_s[s], l->iv_len_s[v]);
            }
            const json_t *src = i < r->n_labels ? json_object_get(json_object_get(r->json, "labels"), l->name)
                                                : json_object_get(r->json, "total");
            json_t *counts = json_object();
            const char *keys[] = {"count", "errors", "dropped", "queued", "bytes_received", "bytes_sent"};
            for (size_t q = 0; q < sizeof(keys) / sizeof(keys[0]); q++)
                json_object_set(counts, keys[q], json_object_get(src, keys[q]));
            json_object_set(counts, "errors_by_kind", json_object_get(src, "errors_by_kind"));
            json_object_set(counts, "status", json_object_get(src, "status"));
            const json_t *tls = json_object_get(src, "tls");
            if (json_is_object(tls)) {  /* counts only: the handshake times are not mergeable */
                json_t *tc = json_object();
                json_object_set(tc, "handshakes", json_object_get(tls, "handshakes"));
                json_object_set(tc, "resumed", json_object_get(tls, "resumed"));
                json_object_set_new(counts, "tls", tc);
            }
            add_counts(m->obj, counts);
            json_decref(counts);
        }
    }
    const char **lnames = calloc(n_lab ? n_lab : 1, sizeof(*lnames));
    if (!lnames)
        goto nomem;
    for (size_t i = 0; i < n_lab; i++)
        lnames[i] = ls[i].name;
    int rc = results_hlog_names(lnames, n_lab, &names);
    free(lnames);
    if (rc != 0)
        goto nomem;
    /* results.json: the first worker's document with merged labels, total and series. */
    out = json_deep_copy(runs[0].json);
    json_t *labels = json_object();
    if (!out || !labels)
        goto nomem;
    json_object_set_new(out, "labels", labels);
    json_object_set_new(out, "duration_s", json_real(end));
    uint64_t dropped = 0;
    bool interrupted = false;
    json_t *from = json_array();
    for (size_t k = 0; k < n; k++) {
        dropped += runs[k].total.dropped;
        interrupted |= runs[k].interrupted;
        json_array_append_new(from, json_string(dirs[k]));
        if (runs[k].aborted && !json_is_string(json_object_get(out, "aborted")))
            json_object_set_new(out, "aborted", json_string(runs[k].aborted));
    }
    json_object_set_new(out, "merged_from", from);
    if (w)
        json_object_set_new(out, "distributed", workers_json(w));
    /* The first worker's whole-run histograms and its view of the server's CPU (its own
     * time window and request count) do not describe the merged run. */
    json_object_del(out, "latency_hdr");
    json_object_del(out, "server");
    json_object_del(out, "client");
    json_object_set_new(out, "dropped", json_integer((json_int_t)dropped));
    json_object_set_new(out, "interrupted", json_boolean(interrupted));
    for (size_t i = 0; i <= n_lab; i++) {
        mlabel *m = &ls[i];
        m->hlog = names[i];
        json_int_t c = json_integer_value(json_object_get(m->obj, "count"));
        json_int_t e = json_integer_value(json_object_get(m->obj, "errors"));
        json_object_set_new(m->obj, "error_rate", json_real(c ? (double)e / (double)c : 0));
        json_object_set_new(m->obj, "rps", json_real(end > 0 ? (double)c / end : 0));
        json_object_set_new(m->obj, "latency_us", hist_json(m->all));
        json_object_set_new(m->obj, "service_time_us", json_null());
        if (json_is_object(json_object_get(m->obj, "tls")))
            json_object_set_new(json_object_get(m->obj, "tls"), "handshake_us", json_null());
        json_object_set_new(m->obj, "hlog", json_string(m->hlog));
        if (i < n_lab)
            json_object_set(labels, m->name, m->obj);
        else
            json_object_set(out, "total", m->obj);
    }
    /* Time series: counts from each worker's points at their shifted second, percentiles
     * from the merged per-second histograms. */
    json_t *series = json_array();
    json_object_set_new(out, "timeseries", series);
    for (size_t s = 0; s < n_sec; s++) {
        double len = len_s[s] > 0 ? len_s[s] : 1;
        json_t *pt = json_object(), *pl = json_object();
        json_object_set_new(pt, "t", json_integer((json_int_t)s));
        json_object_set_new(pt, "len_s", json_real(len));
        for (size_t i = 0; i <= n_lab; i++) {
            double cnt = 0;
            uint64_t errs = 0;
            for (size_t k = 0; k < n; k++) {
                const an_run *r = &runs[k];
                if ((double)s < off[k])
                    continue;
                size_t t = s - (size_t)off[k];
                const an_label *l = i < n_lab ? an_find(r, ls[i].name) : &r->total;
                if (!l || t >= l->n_pts)
                    continue;
                cnt += l->pts[t].rps * l->pts[t].len_s;
                errs += l->pts[t].errors;
            }
            json_t *dst = i < n_lab ? json_object() : pt;
            const hdr_histogram *h = ls[i].sec[s];
            json_object_set_new(dst, "rps", json_real(round(cnt) / len));
            json_object_set_new(dst, "errors", json_integer((json_int_t)errs));
            json_object_set_new(dst, "p50_us", h->total_count ? json_integer((json_int_t)hdr_value_at_percentile(h, 50))
                                                               : json_null());
            json_object_set_new(dst, "p99_us", h->total_count ? json_integer((json_int_t)hdr_value_at_percentile(h, 99))
                                                               : json_null());
            if (i < n_lab)
                json_object_set_new(pl, ls[i].name, dst);
        }
        json_object_set_new(pt, "labels", pl);
        json_array_append_new(series, pt);
    }
    if (results_mkdirs(out_dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", out_dir, strerror(errno));
        goto fail;
    }
    for (size_t i = 0; i <= n_lab; i++)
        if (write_hlog(out_dir, &ls[i], n_sec, base, len_s, err, errlen) != 0)
            goto fail;
    char *text = json_dumps(out, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    if (!text)
        goto nomem;
    buf b = BUF_INIT;
    buf_puts(&b, text);
    buf_putc(&b, '\n');
    free(text);
    char path[4096];
    snprintf(path, sizeof(path), "%s/results.json", out_dir);
    if (buf_write_file(&b, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        buf_free(&b);
        goto fail;
    }
    buf_free(&b);
    {
        const char **hn = calloc(n_lab + 1, sizeof(*hn));
        const hdr_histogram **hh = calloc(n_lab + 1, sizeof(*hh));
        int src = -1;
        if (hn && hh) {
            for (size_t i = 0; i <= n_lab; i++) {
                hn[i] = ls[i].name;
                hh[i] = ls[i].all;
            }
            src = an_store_histograms(out_dir, hn, hh, n_lab + 1, err, errlen);
        } else {
            snprintf(err, errlen, "out of memory");
        }
        free(hn);
        free(hh);
        if (src != 0)
            goto fail;
    }
    ret = 0;
    goto fail;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    json_decref(out);
    if (ls)
        for (size_t i = 0; i <= n_lab && i < cap_lab; i++) {
            hdr_destroy(ls[i].all);
            for (size_t s = 0; ls[i].sec && s < n_sec; s++)
                hdr_destroy(ls[i].sec[s]);
            free(ls[i].sec);
            json_decref(ls[i].obj);
        }
    free(ls);
    if (names)
        results_names_free(names, n_lab);
    free(len_s);
    free(off);
    for (size_t k = 0; k < loaded; k++)
        an_free(&runs[k]);
    free(runs);
    return ret;
}
