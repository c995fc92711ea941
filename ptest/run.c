/* run.c - the coordinating thread of a run: seconds, signals, verdicts, output. */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "client.h"
#include "engine.h"
#include "evloop.h"
#include "jtl.h"
#include "analysis.h"
#include "progress.h"
#include "report.h"
#include "results.h"
#include "scrape.h"
#include "stats.h"
#include "tls.h"
#include "units.h"
#include "upload.h"

/* The coordinator collects second k a little after it ends, so that worker threads whose
 * loops were busy at the boundary have published it. */
#define RUN_COLLECT_DELAY (200 * CLOCK_NS_PER_MS)
#define RUN_UNREACHABLE_AFTER CLOCK_NS_PER_SEC

/* Signal handlers can only reach the loop through globals; nothing else uses these. */
static ev_loop *volatile run_sig_loop;
static volatile sig_atomic_t run_sig_count;

static void on_signal(int signo)
{
    run_sig_count++;
    if (run_sig_count > 1) {
        /* A second ^C: the user does not want to wait for a clean stop. */
        signal(signo, SIG_DFL);
        raise(signo);
        return;
    }
    ev_loop *l = run_sig_loop;
    if (l)
        ev_wake(l);
}

typedef struct coord {
    const plan *p;
    const run_opts *o;
    engine *e;
    ev_loop *loop;
    ev_timer tick;
    mono_ns start;
    uint64_t next_sec;           /* next second to collect */
    size_t n_labels;
    stats_interval iv;
    hdr_histogram **lat;         /* [n_labels + 1] whole-run latency; [n_labels] = total */
    stats_series series;
    results_hlogs hl;
    bool hl_open;
    progress pg;
    uint64_t count, errors;
    stats_health health;
    bool interrupted;
    char aborted[512];
    int fatal;                   /* a collection failed (should not happen) */
    upload *up;                  /* --report-to, or NULL */
    const char **lnames;         /* [n_labels] for the uploads */
    uint64_t start_ms;           /* wall clock of the start: the interval logs' BaseTime */
    ptls *tls;                   /* https: the TLS context, else NULL */
} coord;

static int collect(coord *c, uint64_t upto)
{
    stats_interval_reset(&c->iv);
    c->health.conn_ok = 0;
    c->health.conn_fail = 0;
    for (unsigned i = 0; i < engine_threads(c->e); i++) {
        stats_health h = {0, 0, 0};
        int rc = stats_collect(engine_thread_stats(c->e, i), upto, &c->iv, &h);
        if (rc != 0)
            return rc;
        c->health.conn_ok += h.conn_ok;
        c->health.conn_fail += h.conn_fail;
        if (h.conn_fail)
            c->health.last_fail = h.last_fail;
    }
    return 0;
}

/* Books the collected interval as second t of length len_ns. */
static void book(coord *c, uint32_t t, uint64_t len_ns)
{
    for (size_t i = 0; i < c->n_labels; i++)
        if (hdr_add(c->lat[i], c->iv.labels[i].lat) != 0)
            c->fatal = 1;
    if (hdr_add(c->lat[c->n_labels], c->iv.total.lat) != 0)
        c->fatal = 1;
    uint32_t len_ms = (uint32_t)((len_ns + CLOCK_NS_PER_MS / 2) / CLOCK_NS_PER_MS);
    if (len_ms == 0)
        len_ms = 1;
    (void)stats_series_add(&c->series, t, len_ms, &c->iv);
    if (c->hl_open)
        (void)results_hlogs_add(&c->hl, (uint64_t)t * 1000, len_ms, &c->iv);
    if (c->up)
        upload_interval(c->up, c->start_ms, t, len_ms, &c->iv, c->lnames);
    c->count += c->iv.total.count;
    c->errors += c->iv.total.errors;
}

static void show(coord *c, uint64_t elapsed_ns, double len_s)
{
    progress_snap s;
    memset(&s, 0, sizeof(s));
    s.elapsed_ns = elapsed_ns;
    s.rps = len_s > 0 ? (double)c->iv.total.count / len_s : 0;
    s.count = c->count;
    s.errors = c->errors;
    s.has_latency = c->iv.total.lat->total_count > 0;
    s.p50_us = stats_second_pct(&c->iv.total, 50.0);
    s.p99_us = stats_second_pct(&c->iv.total, 99.0);
    progress_update(&c->pg, &s);
}

/* "target URL unreachable: connection refused", or for TLS the library's reason. */
static void unreachable_msg(coord *c)
{
    const char *tls = c->tls && c->health.last_fail == STATS_ERR_TLS ? ptls_first_error(c->tls) : NULL;
    if (tls)
        snprintf(c->aborted, sizeof(c->aborted), "target %s: TLS handshake failed: %s", c->p->target_str, tls);
    else
        snprintf(c->aborted, sizeof(c->aborted), "target %s unreachable: %s", c->p->target_str,
                 stats_err_text(c->health.last_fail));
}

static void stop_unreachable(coord *c)
{
    unreachable_msg(c);
    engine_stop(c->e);
}

static void on_tick(ev_loop *loop, ev_timer *t)
{
    coord *c = t->data;
    if (collect(c, c->next_sec) != 0)
        c->fatal = 1;
    book(c, (uint32_t)c->next_sec, CLOCK_NS_PER_SEC);
    c->next_sec++;
    show(c, c->next_sec * CLOCK_NS_PER_SEC, 1.0);
    mono_ns now = ev_now(loop);
    if (!c->aborted[0] && !c->interrupted && c->health.conn_ok == 0 && c->health.conn_fail > 0 &&
        now - c->start >= RUN_UNREACHABLE_AFTER)
        stop_unreachable(c);
    if (engine_finished(c->e)) {
        ev_break(loop);
        return;
    }
    ev_timer_start(loop, t, c->start + (c->next_sec + 1) * CLOCK_NS_PER_SEC + RUN_COLLECT_DELAY);
}

static void on_wake(ev_loop *loop, void *arg)
{
    coord *c = arg;
    if (run_sig_count > 0 && !c->interrupted) {
        c->interrupted = true;
        engine_stop(c->e);
    }
    if (engine_finished(c->e))
        ev_break(loop);
}

static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > 4 ? 4 : (unsigned)n;
}

static void fmt_us(const hdr_histogram *h, double pct, char *out, size_t len)
{
    if (h->total_count == 0) {
        snprintf(out, len, "-");
        return;
    }
    uint64_t us = pct < 0 ? hdr_max(h) : hdr_value_at_percentile(h, pct);
    units_format_duration(us * CLOCK_NS_PER_US, out, len);
}

static void summary(const results *r, const char *dir)
{
    printf("%s: %.1fs, %" PRIu64 " requests, %.1f req/s, %" PRIu64 " errors, %" PRIu64
           " dropped%s\n",
           r->p->name ? r->p->name : "run", r->duration_s, r->total.tot->count,
           r->duration_s > 0 ? (double)r->total.tot->count / r->duration_s : 0.0,
           r->total.tot->errors, r->total.tot->dropped, r->interrupted ? " (interrupted)" : "");
    printf("  %-24s %10s %10s %8s %9s %9s %9s %9s\n", "label", "count", "req/s", "errors",
           "p50", "p90", "p99", "max");
    for (size_t i = 0; i <= r->n_labels; i++) {
        const results_label *l = i < r->n_labels ? &r->labels[i] : &r->total;
        if (i == r->n_labels && r->n_labels == 1)
            break;
        char p50[16], p90[16], p99[16], mx[16];
        fmt_us(l->lat, 50, p50, sizeof(p50));
        fmt_us(l->lat, 90, p90, sizeof(p90));
        fmt_us(l->lat, 99, p99, sizeof(p99));
        fmt_us(l->lat, -1, mx, sizeof(mx));
        printf("  %-24.24s %10" PRIu64 " %10.1f %8" PRIu64 " %9s %9s %9s %9s\n",
               i < r->n_labels ? l->name : "(total)", l->tot->count,
               r->duration_s > 0 ? (double)l->tot->count / r->duration_s : 0.0, l->tot->errors,
               p50, p90, p99, mx);
    }
    printf("results in %s/\n", dir);
    fflush(stdout);
}

/* scrape_target of a `server:` entry (plan_server_url); u owns the strings. */
static int server_target(const plan *p, const char *spec, plan_url *u, scrape_target *t)
{
    char err[512];
    if (plan_server_url(p, spec, u, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: server: %s: %s\n", spec, err);
        return -1;
    }
    *t = (scrape_target){u->host, u->port, u->authority, u->base_path, SCRAPE_TIMEOUT_MS};
    return 0;
}

/* Starts reading what the plan's `server:` (or --server-metrics / --server-config) asks
 * for; nothing when it asks for nothing. */
static int start_scrape(const plan *p, scrape_state *scr)
{
    if (!p->server.metrics && !p->server.config)
        return 0;
    plan_url mu, cu;
    scrape_target mt, ct;
    memset(&mu, 0, sizeof(mu));
    memset(&cu, 0, sizeof(cu));
    int rc = -1;
    if ((p->server.metrics && server_target(p, p->server.metrics, &mu, &mt) != 0) ||
        (p->server.config && server_target(p, p->server.config, &cu, &ct) != 0))
        goto out;
    if (scrape_init(scr, p->server.metrics ? &mt : NULL, p->server.config ? &ct : NULL) != 0) {
        fprintf(stderr, "ptest: out of memory\n");
        goto out;
    }
    scrape_start(scr);
    rc = 0;
out:
    plan_url_free(&mu);
    plan_url_free(&cu);
    return rc;
}

int run_plan(const plan *p, const run_opts *o)
{
    int ret = RUN_EXIT_USAGE;
    char err[512];
    const char *dir = o->out_dir ? o->out_dir : "results";
    coord c;
    memset(&c, 0, sizeof(c));
    c.p = p;
    c.o = o;
    int jtl_fd = -1;
    char **names = NULL;
    stats_label *tots = NULL;
    results_label *rl = NULL;
    stats_series_init(&c.series, 0);
    struct sigaction old_int, old_term;
    bool sig_installed = false;
    scrape_state scr;
    (void)scrape_init(&scr, NULL, NULL); /* nothing to read yet; cannot fail */

    if (results_mkdirs(dir) != 0) {
        fprintf(stderr, "ptest: cannot create output directory %s: %s\n", dir, strerror(errno));
        return RUN_EXIT_USAGE;
    }

    client_target target;
    memset(&target, 0, sizeof(target));
    target.connect_timeout_ns = p->connect_timeout_ns ? p->connect_timeout_ns : 5 * CLOCK_NS_PER_SEC;
    target.request_timeout_ns = p->request_timeout_ns ? p->request_timeout_ns : 30 * CLOCK_NS_PER_SEC;
    char addr[256];
    int kind = 0;
    int rc = client_target_resolve(&target, p->target.host, p->target.port,
                                   target.connect_timeout_ns, &kind, addr, sizeof(addr));
    if (rc != 0) {
        fprintf(stderr, "ptest: target %s unreachable: %s\n", p->target_str, addr);
        return RUN_EXIT_ABORTED;
    }
    if (p->target.tls) {
        if (ptls_create(&c.tls, p, err, sizeof(err)) != 0) {
            fprintf(stderr, "ptest: %s\n", err);
            return RUN_EXIT_USAGE;
        }
        target.tls = c.tls;
    }

    if (o->jtl_path && jtl_open(o->jtl_path, &jtl_fd, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: cannot write the JTL file: %s\n", err);
        return RUN_EXIT_USAGE;
    }
    engine_fit fit;
    int fits = engine_fit_check(p, &fit, err, sizeof(err));
    if (fits != ENGINE_FIT_OK)
        fprintf(stderr, "ptest: %s%s\n", fits == ENGINE_FIT_WARN ? "warning: " : "", err);
    if (fits == ENGINE_FIT_REFUSE)
        goto out;
    /* The target's own figures (server-side cost, expected delays), only when asked. They are
     * read on their own thread, started now and never waited for: the load does not wait. */
    if (start_scrape(p, &scr) != 0)
        goto out;

    c.loop = ev_create();
    if (!c.loop) {
        fprintf(stderr, "ptest: cannot create an event loop: %s\n", strerror(errno));
        goto out;
    }
    engine_opts eo = {
        .threads = o->threads ? o->threads : default_threads(),
        .jtl_fd = jtl_fd,
        .notify = c.loop,
        .seed = o->seed,
    };
    if (engine_create(&c.e, p, &target, &eo, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        goto out;
    }
    c.n_labels = engine_n_labels(c.e);
    stats_series_init(&c.series, c.n_labels);
    c.lat = calloc(c.n_labels + 1, sizeof(*c.lat));
    if (!c.lat || stats_interval_init(&c.iv, c.n_labels) != 0)
        goto nomem;
    for (size_t i = 0; i <= c.n_labels; i++)
        if (hdr_create(HDR_PTEST_LOWEST, HDR_PTEST_HIGHEST, HDR_PTEST_SIGFIGS, &c.lat[i]) != 0)
            goto nomem;
    c.lnames = calloc(c.n_labels ? c.n_labels : 1, sizeof(*c.lnames));
    if (!c.lnames)
        goto nomem;
    for (size_t i = 0; i < c.n_labels; i++)
        c.lnames[i] = engine_label(c.e, i);
    if (results_hlog_names(c.lnames, c.n_labels, &names) != 0)
        goto nomem;
    if (o->report_to &&
        upload_create(&c.up, o->report_to, p->share_index, p->share_count, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: --report-to: %s\n", err);
        goto out;
    }

    ev_timer_init(&c.tick, on_tick, &c);
    ev_set_wake(c.loop, on_wake, &c);
    run_sig_count = 0;
    run_sig_loop = c.loop;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sig_installed = true;

    double cpu0 = scrape_self_cpu();
    wall_ns started = clock_wall_now();
    c.start = clock_mono_now();
    c.start_ms = started / CLOCK_NS_PER_MS;
    if (results_hlogs_open(&c.hl, dir, names, c.n_labels, started, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        goto out;
    }
    c.hl_open = true;
    progress_init(&c.pg, stderr, !o->quiet, isatty(STDERR_FILENO) == 1, plan_duration(p));
    if (engine_start(c.e, c.start, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        goto out;
    }
    ev_timer_start(c.loop, &c.tick, c.start + CLOCK_NS_PER_SEC + RUN_COLLECT_DELAY);
    if (ev_run(c.loop) != 0) {
        /* The coordinator's loop failed: stop the workers and still report. */
        engine_stop(c.e);
    }
    engine_join(c.e);
    mono_ns end = clock_mono_now();
    scrape_stop(&scr);
    scr.client_cpu_s = scrape_self_cpu() - cpu0;
    scr.client_threads = engine_threads(c.e);
    ev_timer_stop(c.loop, &c.tick);

    /* The rest of the run since the last full second. */
    if (collect(&c, UINT64_MAX) != 0)
        c.fatal = 1;
    uint64_t done_ns = c.next_sec * CLOCK_NS_PER_SEC;
    uint64_t rest_ns = end > c.start + done_ns ? end - c.start - done_ns : CLOCK_NS_PER_MS;
    if (end > c.start + done_ns || c.iv.total.count > 0)
        book(&c, (uint32_t)c.next_sec, rest_ns);
    if (!c.aborted[0] && !c.interrupted && c.health.conn_ok == 0 && c.health.conn_fail > 0)
        unreachable_msg(&c);
    show(&c, end - c.start, (double)rest_ns / 1e9);
    progress_end(&c.pg);

    tots = calloc(c.n_labels + 1, sizeof(*tots));
    rl = calloc(c.n_labels ? c.n_labels : 1, sizeof(*rl));
    if (!tots || !rl)
        goto nomem;
    for (size_t i = 0; i <= c.n_labels; i++)
        if (stats_label_init(&tots[i]) != 0)
            goto nomem;
    for (size_t i = 0; i < c.n_labels; i++) {
        if (engine_label_totals(c.e, i, &tots[i]) != 0 ||
            stats_label_merge(&tots[c.n_labels], &tots[i]) != 0)
            c.fatal = 1;
        rl[i].name = engine_label(c.e, i);
        rl[i].hlog = names[i];
        rl[i].tot = &tots[i];
        rl[i].lat = c.lat[i];
    }
    results res = {
        .p = p,
        .started = started,
        .duration_s = (double)(end - c.start) / 1e9,
        .interrupted = c.interrupted || c.aborted[0],
        .aborted = c.aborted[0] ? c.aborted : NULL,
        .threads = engine_threads(c.e),
        .target_addr = addr,
        .n_labels = c.n_labels,
        .labels = rl,
        .total = {"total", names[c.n_labels], &tots[c.n_labels], c.lat[c.n_labels]},
        .series = &c.series,
        .tls = c.tls != NULL,
        .tls_error = c.tls ? ptls_first_error(c.tls) : NULL,
    };
    if (c.fatal || c.series.failed)
        fprintf(stderr, "ptest: warning: some measurements could not be merged (out of memory)\n");
    uint64_t lost = engine_jtl_lost(c.e);
    if (lost)
        fprintf(stderr, "ptest: warning: %" PRIu64 " JTL rows could not be written\n", lost);
    c.hl_open = false;
    if (results_hlogs_close(&c.hl) != 0)
        fprintf(stderr, "ptest: warning: %s\n", c.hl.err);
    if (results_write(&res, dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        ret = RUN_EXIT_USAGE;
        goto out;
    }
    if (scrape_annotate(&scr, dir, tots[c.n_labels].count, err, sizeof(err)) != 0)
        fprintf(stderr, "ptest: warning: %s\n", err);
    {
        char why[600];
        if (scrape_problem(&scr, why, sizeof(why)))
            fprintf(stderr, "ptest: warning: %s\n", why);
    }
    {
        const char **hn = calloc(c.n_labels + 1, sizeof(*hn));
        if (hn) {
            for (size_t i = 0; i < c.n_labels; i++)
                hn[i] = rl[i].name;
            hn[c.n_labels] = "total";
            if (an_store_histograms(dir, hn, (const hdr_histogram *const *)c.lat, c.n_labels + 1, err,
                                    sizeof(err)) != 0)
                fprintf(stderr, "ptest: warning: %s\n", err);
            free(hn);
        }
    }
    const stats_label *all = &tots[c.n_labels];
    if (all->queued > 0 && all->queued * 100 >= all->count)
        fprintf(stderr, "ptest: note: %" PRIu64 " of %" PRIu64 " requests found every connection "
                "busy and waited for one; their latency includes the wait (a slow or stalled "
                "server causes this; with a fast server, raise -c / max_connections)\n",
                all->queued, all->count);
    if (c.aborted[0])
        fprintf(stderr, "ptest: %s\n", c.aborted);
    else if (c.interrupted)
        fprintf(stderr, "ptest: interrupted; results of what ran are in %s/\n", dir);
    /* The analysis below prints the verdict and the per-label table; this short table is
     * only for an aborted run, which is not analysed. */
    if (!o->quiet && c.aborted[0])
        summary(&res, dir);
    ret = c.aborted[0] || c.interrupted ? RUN_EXIT_ABORTED : RUN_EXIT_OK;
    if (!c.aborted[0]) {
        /* The analysis reads back what was just written, so `ptest report` on the same
         * directory gives the same verdict. */
        report_opts rep = {.dir = dir, .quiet = o->quiet};
        int arc = report_run(&rep);
        if (ret == RUN_EXIT_OK || arc == RUN_EXIT_USAGE)
            ret = arc;
        if (!o->quiet)
            printf("\nresults and reports (results.json, *.hlog, junit.xml, scorecard.html, summary.txt) in %s/\n", dir);
    }
    if (c.up) {
        /* What the collector merges: results.json and the interval logs it names. */
        const char **files = calloc(c.n_labels + 2, sizeof(*files));
        if (!files)
            goto nomem;
        files[0] = "results.json";
        for (size_t i = 0; i <= c.n_labels; i++)
            files[i + 1] = names[i];
        fflush(stdout);
        if (upload_final(c.up, dir, files, c.n_labels + 2,
                         o->report_timeout_ns ? o->report_timeout_ns : UPLOAD_FINAL_TIMEOUT_NS, err,
                         sizeof(err)) != 0) {
            fprintf(stderr, "ptest: --report-to: %s (the results are in %s/)\n", err, dir);
            ret = RUN_EXIT_UNDELIVERED;
        } else if (!o->quiet) {
            printf("results delivered to %s\n", o->report_to);
        }
        free(files);
    }
    goto out;
nomem:
    fprintf(stderr, "ptest: out of memory\n");
    ret = RUN_EXIT_ABORTED;
out:
    upload_destroy(c.up);
    free(c.lnames);
    scrape_free(&scr);
    if (sig_installed) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        run_sig_loop = NULL;
    }
    if (c.hl_open)
        (void)results_hlogs_close(&c.hl);
    if (c.e) {
        engine_stop(c.e);
        engine_join(c.e);
    }
    if (tots)
        for (size_t i = 0; i <= c.n_labels; i++)
            stats_label_fini(&tots[i]);
    free(tots);
    free(rl);
    results_names_free(names, c.n_labels);
    if (c.lat)
        for (size_t i = 0; i <= c.n_labels; i++)
            hdr_destroy(c.lat[i]);
    free(c.lat);
    stats_interval_fini(&c.iv);
    stats_series_fini(&c.series);
    engine_destroy(c.e);
    ptls_free(c.tls);
    ev_destroy(c.loop);
    if (jtl_fd >= 0)
        close(jtl_fd);
    return ret;
}
