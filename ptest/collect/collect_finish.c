/* collect_finish.c - the end of a distributed run: partial workers written as results
 * folders of their own, then merge.c's exact merge and the analysis. */
#include "collect_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hlog.h"
#include "merge.h"
#include "report.h"
#include "results.h"
#include "run.h"

static int by_t(const void *a, const void *b)
{
    uint32_t x = ((const collect_sec *)a)->t, y = ((const collect_sec *)b)->t;
    return x < y ? -1 : x > y;
}

/* What a partial worker's folder is built from. */
typedef struct partial {
    size_t n;     /* labels */
    char **names; /* interval log names [n + 1] */
    stats_interval iv;
    stats_series series;
    stats_label *tots; /* [n + 1], [n] = total */
    hist **lat;        /* [n + 1] whole run */
    results_hlogs hl;
    bool hl_open;
} partial;

static void partial_free(partial *p)
{
    if (p->hl_open)
        (void)results_hlogs_close(&p->hl);
    for (size_t i = 0; i <= p->n; i++) {
        if (p->tots)
            stats_label_fini(&p->tots[i]);
        if (p->lat)
            hist_destroy(p->lat[i]);
    }
    free(p->tots);
    free(p->lat);
    results_names_destroy(p->names, p->n);
    stats_interval_fini(&p->iv);
    stats_series_fini(&p->series);
}

/* Second s of the worker into p->iv (labels and total) and the running totals. */
static int add_second(partial *p, const collect_sec *s)
{
    for (size_t j = 0; j < s->n; j++) {
        const collect_sec_label *l = &s->l[j];
        hist *h = NULL;
        if (l->label >= p->n || hlog_decode_histogram(l->hist, strlen(l->hist), &h) != 0)
            return -1;
        stats_second *dst[2] = {&p->iv.labels[l->label], &p->iv.total};
        stats_label *tot[2] = {&p->tots[l->label], &p->tots[p->n]};
        int rc = 0;
        for (int k = 0; k < 2; k++) {
            rc |= hist_add(dst[k]->lat, h);
            dst[k]->count += l->count;
            dst[k]->errors += l->errors;
            tot[k]->count += l->count;
            tot[k]->errors += l->errors;
            for (size_t e = 0; e < STATS_ERR_N; e++) {
                dst[k]->by_kind[e] += l->by_kind[e];
                tot[k]->by_kind[e] += l->by_kind[e];
            }
        }
        hist_destroy(h);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Writes the seconds worker w sent as an ordinary results folder in dir, through results.c
 * (the one writer of results.json and the interval logs). Missing seconds become empty ones
 * so that the time series stays one point per second. Returns 0 or -1 with err filled. */
static int write_partial(collect_worker *w, const char *dir, char *err, size_t errlen)
{
    partial p;
    memset(&p, 0, sizeof(p));
    p.n = w->n_labels;
    int ret = -1;
    results_label *rl = calloc(p.n ? p.n : 1, sizeof(*rl));
    p.tots = calloc(p.n + 1, sizeof(*p.tots));
    p.lat = calloc(p.n + 1, sizeof(*p.lat));
    stats_series_init(&p.series, p.n);
    if (!rl || !p.tots || !p.lat || stats_interval_init(&p.iv, p.n) != 0 ||
        results_hlog_names((const char *const *)w->labels, p.n, &p.names) != 0)
        goto nomem;
    for (size_t i = 0; i <= p.n; i++)
        if (stats_label_init(&p.tots[i]) != 0 ||
            hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &p.lat[i]) != 0)
            goto nomem;
    if (results_mkdirs(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        goto out;
    }
    wall_ns started = w->start_ms * CLOCK_NS_PER_MS;
    if (results_hlogs_open(&p.hl, dir, p.names, p.n, started, err, errlen) != 0)
        goto out;
    p.hl_open = true;
    if (w->n_secs)
        qsort(w->secs, w->n_secs, sizeof(*w->secs), by_t);
    uint64_t end_ms = 0;
    size_t k = 0;
    uint32_t last = w->n_secs ? w->secs[w->n_secs - 1].t : 0;
    for (uint32_t t = 0; w->n_secs && t <= last; t++) {
        stats_interval_reset(&p.iv);
        uint32_t len = 1000;
        if (k < w->n_secs && w->secs[k].t == t) {
            len = w->secs[k].len_ms;
            if (add_second(&p, &w->secs[k++]) != 0) {
                snprintf(err, errlen, "%s: a stored second does not decode", dir);
                goto out;
            }
        }
        for (size_t i = 0; i < p.n; i++)
            (void)hist_add(p.lat[i], p.iv.labels[i].lat);
        (void)hist_add(p.lat[p.n], p.iv.total.lat);
        (void)results_hlogs_add(&p.hl, (uint64_t)t * 1000, len, &p.iv);
        if (stats_series_add(&p.series, t, len, &p.iv) != 0)
            goto nomem;
        end_ms = (uint64_t)t * 1000 + len;
    }
    p.hl_open = false;
    if (results_hlogs_close(&p.hl) != 0) {
        snprintf(err, errlen, "%s", p.hl.err);
        goto out;
    }
    for (size_t i = 0; i < p.n; i++)
        rl[i] = (results_label){w->labels[i], p.names[i], &p.tots[i], p.lat[i], false};
    results res = {
        .started = started,
        .duration_s = (double)end_ms / 1000.0,
        .n_labels = p.n,
        .labels = rl,
        .total = {"total", p.names[p.n], &p.tots[p.n], p.lat[p.n], false},
        .series = &p.series,
    };
    ret = results_write(&res, dir, err, errlen);
    goto out;
nomem:
    snprintf(err, errlen, "out of memory");
out:
    free(rl);
    partial_free(&p);
    return ret;
}

int collect_finish(collect *c, bool timed_out, bool quiet, char *err, size_t errlen)
{
    uint32_t n = c->n_workers;
    const char **dirs = calloc(n + 1, sizeof(*dirs));
    char **owned = calloc(n + 1, sizeof(*owned));
    uint32_t *lists = calloc(3 * (size_t)n, sizeof(*lists));
    size_t n_dirs = 0;
    int ret = RUN_EXIT_RUNTIME; /* writing a partial worker's or the merged results failed */
    merge_workers mw = {.count = n};
    if (!dirs || !owned || !lists) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    uint32_t *rep = lists, *part = lists + n, *miss = lists + 2 * (size_t)n;
    mw.reported = rep;
    mw.partial = part;
    mw.missing = miss;
    /* Final workers first: merge.c takes the first folder's document (the plan echo with the
     * thresholds) as the base of the merged one. */
    for (uint32_t i = 0; i < n; i++)
        if (c->w[i].state == COLLECT_FINAL && !c->w[i].cut_short) {
            rep[mw.n_reported++] = i;
            dirs[n_dirs++] = c->w[i].dir;
        }
    /* Final but cut short: exact results of part of the run, so partial. */
    for (uint32_t i = 0; i < n; i++)
        if (c->w[i].state == COLLECT_FINAL && c->w[i].cut_short) {
            part[mw.n_partial++] = i;
            dirs[n_dirs++] = c->w[i].dir;
        }
    for (uint32_t i = 0; i < n; i++) {
        collect_worker *w = &c->w[i];
        if (w->state == COLLECT_WAITING) {
            miss[mw.n_missing++] = i;
            continue;
        }
        if (w->state != COLLECT_LIVE)
            continue;
        buf d = BUF_INIT;
        buf_printf(&d, "%s-partial", w->dir);
        owned[n_dirs] = d.data;
        if (!buf_ok(&d)) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        if (write_partial(w, d.data, err, errlen) != 0)
            goto out;
        part[mw.n_partial++] = i;
        dirs[n_dirs++] = d.data;
    }
    if (n_dirs == 0) {
        /* Nobody sent anything: an empty run, so that the results (and the gate naming
         * every worker missing) still exist. */
        collect_worker none;
        memset(&none, 0, sizeof(none));
        none.start_ms = clock_wall_now() / CLOCK_NS_PER_MS;
        buf d = BUF_INIT;
        buf_printf(&d, "%s/empty", c->spool);
        owned[0] = d.data;
        if (!buf_ok(&d)) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        if (write_partial(&none, d.data, err, errlen) != 0)
            goto out;
        dirs[n_dirs++] = d.data;
    }
    int mrc = merge_dirs_workers(dirs, n_dirs, c->out_dir, &mw, err, errlen);
    if (mrc != 0) {
        ret = mrc == MERGE_EWRITE ? RUN_EXIT_RUNTIME : RUN_EXIT_USAGE;
        goto out;
    }
    report_opts ro = {.dir = c->out_dir, .quiet = quiet};
    ret = report_run(&ro);
    if (collect_list_results(c) != 0) {
        snprintf(err, errlen, "out of memory");
        ret = RUN_EXIT_RUNTIME;
    }
out:
    /* Done either way: a collector that cannot write its results will not manage later,
     * and /status says so (exit_code 5). */
    c->done = true;
    c->timed_out = timed_out;
    c->complete = mw.n_reported == n;
    c->exit_code = ret;
    for (uint32_t i = 0; owned && i <= n; i++)
        free(owned[i]);
    free(owned);
    free(dirs);
    free(lists);
    return ret;
}
