/* run.c - the coordinating thread of a run: seconds, signals, verdicts, output.
 *
 * run_plan is a sequence of steps, each owning its resources with a setup/teardown pair:
 *   run_out       the output directory and the JTL file
 *   (target)      resolving and probing the target: no resources
 *   scrape_state  the target's own figures, read on their own thread (scrape.h)
 *   coord         the event loop, the engine, the measurements of every second (the time
 *                 series, the whole-run histograms, the interval logs), the uploads
 *   run_sigs      SIGINT/SIGTERM handlers, restored at the end
 *   run_totals    the whole-run counters per label, after the engine joined
 * and then results.json is written once (results.h), analysed (report.h) and delivered
 * (upload.h). Each step returns a RUN_EXIT_* (run.h) that says what went wrong. */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "abortwatch.h"
#include "analysis.h"
#include "client.h"
#include "engine.h"
#include "evloop.h"
#include "jtl.h"
#include "progress.h"
#include "ptls.h"
#include "renew.h"
#include "report.h"
#include "results.h"
#include "runmetrics.h"
#include "scrape.h"
#include "stats.h"
#include "units.h"
#include "upload.h"

/* The coordinator collects second k a little after it ends, so that worker threads whose
 * loops were busy at the boundary have published it. */
#define RUN_COLLECT_DELAY (200 * CLOCK_NS_PER_MS)
#define RUN_UNREACHABLE_AFTER CLOCK_NS_PER_SEC

/* Signal handlers can only reach the loop through globals; nothing else uses these. */
static evloop *volatile run_sig_loop;
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
    evloop *l = run_sig_loop;
    if (l)
        evloop_wake(l);
}

typedef struct coord {
    const plan *p;
    const run_opts *o;
    engine *e;
    evloop *loop;
    evloop_timer tick;
    mono_ns start;
    uint64_t next_sec; /* next second to collect */
    size_t n_labels;
    stats_interval iv;
    hist **lat; /* [n_labels + 1] whole-run latency; [n_labels] = total */
    stats_series series;
    results_hlogs hl;
    bool hl_open;
    progress pg;
    uint64_t count, errors;
    stats_health health;
    bool interrupted;
    char aborted[512];
    int fatal;              /* a collection failed (out of memory) */
    bool loop_failed;       /* the coordinator's event loop failed: run cut short */
    bool watch_stopped;     /* run_opts.watch stopped the run (its caller says so) */
    upload *up;             /* --report-to, or NULL */
    const char **lnames;    /* [n_labels] for the uploads */
    char **names;           /* interval-log file names, [n_labels] = total.hlog */
    uint64_t start_ms;      /* wall clock of the start: the interval logs' BaseTime */
    const ptls *tls;        /* https: the run's TLS context (run_plan owns it), else NULL */
    const results_dns *dns; /* how the name was resolved during the run, for results.json */
    size_t n_more;          /* the plan's other targets, for results.json */
    const results_target *more;
    abortwatch aw; /* the plan's abort_on_fail thresholds */
    runmetrics rm; /* --metrics-listen */
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
        if (hist_add(c->lat[i], c->iv.labels[i].lat) != 0)
            c->fatal = 1;
    if (hist_add(c->lat[c->n_labels], c->iv.total.lat) != 0)
        c->fatal = 1;
    uint32_t len_ms = (uint32_t)((len_ns + CLOCK_NS_PER_MS / 2) / CLOCK_NS_PER_MS);
    if (len_ms == 0)
        len_ms = 1;
    (void)stats_series_add(&c->series, t, len_ms, &c->iv);
    if (c->hl_open)
        (void)results_hlogs_add(&c->hl, (uint64_t)t * 1000, len_ms, &c->iv);
    if (c->up)
        upload_interval(c->up, c->start_ms, t, len_ms, &c->iv, c->lnames);
    runmetrics_second(&c->rm, t, &c->iv);
    c->count += c->iv.total.count;
    c->errors += c->iv.total.errors;
    const run_watch *w = c->o->watch;
    char why[400];
    if (w && w->second && !c->aborted[0] && w->second(w->arg, t, len_ns, &c->iv, why, sizeof(why))) {
        snprintf(c->aborted, sizeof(c->aborted), "%s", why);
        c->watch_stopped = true;
        if (!engine_finished(c->e))
            engine_stop(c->e);
    }
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
    /* Every connection failed: with several targets, the plan's own is named (or, without
     * one, the first a scenario names). */
    const char *name = c->p->target_str ? c->p->target_str : plan_target_str(c->p, 1);
    const char *tls = c->tls && c->health.last_fail == STATS_ERR_TLS ? ptls_first_error(c->tls) : NULL;
    if (tls)
        snprintf(c->aborted, sizeof(c->aborted), "target %s: TLS handshake failed: %s", name, tls);
    else
        snprintf(c->aborted, sizeof(c->aborted), "target %s unreachable: %s", name,
                 stats_err_text(c->health.last_fail));
}

static void stop_unreachable(coord *c)
{
    unreachable_msg(c);
    engine_stop(c->e);
}

static void on_tick(evloop *loop, evloop_timer *t)
{
    coord *c = t->data;
    if (collect(c, c->next_sec) != 0)
        c->fatal = 1;
    book(c, (uint32_t)c->next_sec, CLOCK_NS_PER_SEC);
    if (!c->aborted[0] && !c->interrupted &&
        abortwatch_second(&c->aw, (uint32_t)c->next_sec, &c->iv, (const hist *const *)c->lat)) {
        const abortwatch_fired *f = &c->aw.fired;
        progress_end(&c->pg);
        fprintf(stderr, "ptest: threshold \"%s\" of %s failed at %.1f s (%s, limit %s): abort_on_fail stops the run\n",
                f->threshold, f->label, f->at_s, f->measured, f->limit);
        engine_stop(c->e);
    }
    c->next_sec++;
    show(c, c->next_sec * CLOCK_NS_PER_SEC, 1.0);
    mono_ns now = evloop_now(loop);
    if (!c->aborted[0] && !c->interrupted && c->health.conn_ok == 0 && c->health.conn_fail > 0 &&
        now - c->start >= RUN_UNREACHABLE_AFTER)
        stop_unreachable(c);
    if (engine_finished(c->e)) {
        evloop_break(loop);
        return;
    }
    evloop_timer_start(loop, t, c->start + (c->next_sec + 1) * CLOCK_NS_PER_SEC + RUN_COLLECT_DELAY);
}

static void on_wake(evloop *loop, void *arg)
{
    coord *c = arg;
    if (run_sig_count > 0 && !c->interrupted) {
        c->interrupted = true;
        engine_stop(c->e);
    }
    if (engine_finished(c->e))
        evloop_break(loop);
}

static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > 4 ? 4 : (unsigned)n;
}

static void fmt_us(const hist *h, double pct, char *out, size_t len)
{
    if (h->total_count == 0) {
        snprintf(out, len, "-");
        return;
    }
    uint64_t us = pct < 0 ? hist_max(h) : hist_value_at_percentile(h, pct);
    units_format_us((double)us, out, len);
}

static void summary(const results *r, const char *dir)
{
    printf("%s: %.1fs, %" PRIu64 " requests, %.1f req/s, %" PRIu64 " errors, %" PRIu64 " dropped%s\n",
           r->p->name ? r->p->name : "run", r->duration_s, r->total.tot->count,
           r->duration_s > 0 ? (double)r->total.tot->count / r->duration_s : 0.0, r->total.tot->errors,
           r->total.tot->dropped, r->interrupted ? " (interrupted)" : "");
    printf("  %-24s %10s %10s %8s %9s %9s %9s %9s\n", "label", "count", "req/s", "errors", "p50", "p90", "p99", "max");
    for (size_t i = 0; i <= r->n_labels; i++) {
        const results_label *l = i < r->n_labels ? &r->labels[i] : &r->total;
        if (i == r->n_labels && r->n_labels == 1)
            break;
        char p50[16], p90[16], p99[16], mx[16];
        fmt_us(l->lat, 50, p50, sizeof(p50));
        fmt_us(l->lat, 90, p90, sizeof(p90));
        fmt_us(l->lat, 99, p99, sizeof(p99));
        fmt_us(l->lat, -1, mx, sizeof(mx));
        printf("  %-24.24s %10" PRIu64 " %10.1f %8" PRIu64 " %9s %9s %9s %9s\n", i < r->n_labels ? l->name : "(total)",
               l->tot->count, r->duration_s > 0 ? (double)l->tot->count / r->duration_s : 0.0, l->tot->errors, p50, p90,
               p99, mx);
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
 * for; nothing when it asks for nothing. Returns a RUN_EXIT_*. */
static int start_scrape(const plan *p, scrape_state *scr)
{
    if (!p->server.metrics && !p->server.config)
        return RUN_EXIT_OK;
    plan_url mu, cu;
    scrape_target mt, ct;
    memset(&mu, 0, sizeof(mu));
    memset(&cu, 0, sizeof(cu));
    int rc = RUN_EXIT_USAGE;
    if ((p->server.metrics && server_target(p, p->server.metrics, &mu, &mt) != 0) ||
        (p->server.config && server_target(p, p->server.config, &cu, &ct) != 0))
        goto out;
    rc = RUN_EXIT_RUNTIME;
    if (scrape_init(scr, p->server.metrics ? &mt : NULL, p->server.config ? &ct : NULL) != 0) {
        fprintf(stderr, "ptest: out of memory\n");
        goto out;
    }
    scrape_start(scr);
    rc = RUN_EXIT_OK;
out:
    plan_url_fini(&mu);
    plan_url_fini(&cu);
    return rc;
}

/* ---------------------------------------------------------------- output ---------- */

typedef struct run_out {
    const char *dir;
    int jtl_fd; /* -1: no JTL */
} run_out;

static int out_open(run_out *ro, const run_opts *o)
{
    char err[512];
    ro->dir = o->out_dir ? o->out_dir : "results";
    ro->jtl_fd = -1;
    if (results_mkdirs(ro->dir) != 0) {
        fprintf(stderr, "ptest: cannot create output directory %s: %s\n", ro->dir, strerror(errno));
        return RUN_EXIT_RUNTIME;
    }
    if (o->jtl_path && jtl_open(o->jtl_path, &ro->jtl_fd, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: cannot write the JTL file: %s\n", err);
        return RUN_EXIT_RUNTIME;
    }
    return RUN_EXIT_OK;
}

static void out_close(run_out *ro)
{
    if (ro->jtl_fd >= 0)
        close(ro->jtl_fd);
    ro->jtl_fd = -1;
}

/* The run's targets: [0] the plan's own (unused, zeroed, when the plan has none), [i] its
 * targets[i - 1]; each resolved (or pinned) and probed, with its TLS context and renewer. */
typedef struct run_targets {
    size_t n;
    client_target *t;
    renew *rn;
    char (*addr)[1024];   /* the addresses at start, for results.json */
    results_dns *dns;     /* [n], filled after the load */
    results_target *more; /* [n - 1], results.json environment.targets */
} run_targets;

static void targets_close(run_targets *rt)
{
    for (size_t i = 0; rt->t && i < rt->n; i++) {
        ptls_destroy(rt->t[i].tls);
        client_target_fini(&rt->t[i]);
    }
    free(rt->t);
    free(rt->rn);
    free(rt->addr);
    free(rt->dns);
    free(rt->more);
    memset(rt, 0, sizeof(*rt));
}

/* Resolves (or takes the plan's pinned addresses for) and probes target i; rt->addr[i]
 * gets the addresses used. https: its TLS context (certificates and keys loaded now: a bad
 * file is a usage error before any load). */
static int target_open(const plan *p, run_targets *rt, uint32_t i)
{
    client_target *t = &rt->t[i];
    const plan_url *u = plan_target_url(p, i);
    char *addr = rt->addr[i];
    t->connect_timeout_ns = p->connect_timeout_ns ? p->connect_timeout_ns : 5 * CLOCK_NS_PER_SEC;
    t->request_timeout_ns = p->request_timeout_ns ? p->request_timeout_ns : 30 * CLOCK_NS_PER_SEC;
    if (!u->host)
        return RUN_EXIT_OK; /* a plan without a target of its own: every scenario names one */
    int kind = 0;
    const plan_resolve *pin = plan_resolve_find(p, u->host, u->port);
    int rc = pin ? client_target_use(t, pin->addr, pin->n, u->port, t->connect_timeout_ns, &kind, addr, 1024)
                 : client_target_resolve(t, u->host, u->port, t->connect_timeout_ns, &kind, addr, 1024);
    if (rc != 0) {
        fprintf(stderr, "ptest: target %s unreachable%s: %s\n", plan_target_str(p, i),
                pin ? " (at its pinned addresses)" : "", addr);
        return RUN_EXIT_ABORTED;
    }
    char err[512];
    if (u->tls && ptls_create(&t->tls, p, i, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        return RUN_EXIT_USAGE;
    }
    return RUN_EXIT_OK;
}

static int targets_open(const plan *p, run_targets *rt)
{
    memset(rt, 0, sizeof(*rt));
    rt->n = 1 + p->n_targets;
    rt->t = calloc(rt->n, sizeof(*rt->t));
    rt->rn = calloc(rt->n, sizeof(*rt->rn));
    rt->addr = calloc(rt->n, sizeof(*rt->addr));
    rt->dns = calloc(rt->n, sizeof(*rt->dns));
    rt->more = calloc(rt->n, sizeof(*rt->more));
    if (!rt->t || !rt->rn || !rt->addr || !rt->dns || !rt->more) {
        fprintf(stderr, "ptest: out of memory\n");
        return RUN_EXIT_RUNTIME;
    }
    for (uint32_t i = 0; i < rt->n; i++) {
        int rc = target_open(p, rt, i);
        if (rc != RUN_EXIT_OK)
            return rc;
    }
    return RUN_EXIT_OK;
}

/* The first TLS context of the run (the "tls" sections of results.json), or NULL. */
static const ptls *targets_tls(const run_targets *rt)
{
    for (size_t i = 0; i < rt->n; i++)
        if (rt->t[i].tls)
            return rt->t[i].tls;
    return NULL;
}

static void targets_renew_start(const plan *p, run_targets *rt)
{
    for (uint32_t i = 0; i < rt->n; i++) {
        const plan_url *u = plan_target_url(p, i);
        bool pinned = u->host && plan_resolve_find(p, u->host, u->port) != NULL;
        if (u->host && renew_start(&rt->rn[i], &rt->t[i], u->host, u->port, p->dns.ttl_ns, pinned) != 0)
            fprintf(stderr,
                    "ptest: warning: cannot start the dns renewer for %s (%s): its addresses stay as resolved\n",
                    plan_target_str(p, i), strerror(errno));
    }
}

/* Stops the renewers and describes each target for results.json. */
static void targets_renew_stop(const plan *p, run_targets *rt)
{
    for (uint32_t i = 0; i < rt->n; i++) {
        const plan_url *u = plan_target_url(p, i);
        renew_stop(&rt->rn[i]);
        bool pinned = u->host && plan_resolve_find(p, u->host, u->port) != NULL;
        client_target_format(&rt->t[i], rt->addr[i], sizeof(rt->addr[i]));
        renew_results(&rt->rn[i], pinned, rt->addr[i], &rt->dns[i]);
        if (i > 0)
            rt->more[i - 1] = (results_target){plan_target_str(p, i), rt->addr[i], &rt->dns[i]};
    }
}

/* ---------------------------------------------------------------- coordinator ----- */

static void coord_free(coord *c)
{
    upload_destroy(c->up);
    c->up = NULL;
    if (c->hl_open)
        (void)results_hlogs_close(&c->hl);
    c->hl_open = false;
    if (c->e) {
        engine_stop(c->e);
        engine_join(c->e);
    }
    results_names_destroy(c->names, c->n_labels);
    free(c->lnames);
    if (c->lat)
        for (size_t i = 0; i <= c->n_labels; i++)
            hist_destroy(c->lat[i]);
    free(c->lat);
    stats_interval_fini(&c->iv);
    stats_series_fini(&c->series);
    abortwatch_fini(&c->aw);
    runmetrics_fini(&c->rm);
    engine_destroy(c->e);
    evloop_destroy(c->loop);
    memset(c, 0, sizeof(*c));
}

/* The measurements of every second: whole-run histograms, the collected interval, the
 * series, the label and interval-log names. */
static int coord_measurements(coord *c)
{
    c->n_labels = engine_n_labels(c->e);
    stats_series_init(&c->series, c->n_labels);
    c->lat = calloc(c->n_labels + 1, sizeof(*c->lat));
    if (!c->lat || stats_interval_init(&c->iv, c->n_labels) != 0)
        return -1;
    for (size_t i = 0; i <= c->n_labels; i++)
        if (hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &c->lat[i]) != 0)
            return -1;
    c->lnames = calloc(c->n_labels ? c->n_labels : 1, sizeof(*c->lnames));
    if (!c->lnames)
        return -1;
    for (size_t i = 0; i < c->n_labels; i++)
        c->lnames[i] = engine_label(c->e, i);
    char err[256];
    if (abortwatch_init(&c->aw, c->p, c->lnames, c->n_labels, err, sizeof(err)) != 0 ||
        runmetrics_init(&c->rm, c->p, c->lnames, c->n_labels, (const hist *const *)c->lat) != 0)
        return -1;
    return results_hlog_names(c->lnames, c->n_labels, &c->names);
}

/* Loop, engine, measurements and uploads for plan p; c is zeroed first. */
static int coord_setup(coord *c, const plan *p, const run_opts *o, const run_targets *rt, int jtl_fd)
{
    char err[512];
    memset(c, 0, sizeof(*c));
    c->p = p;
    c->o = o;
    c->tls = targets_tls(rt);
    stats_series_init(&c->series, 0);
    c->loop = evloop_create();
    if (!c->loop) {
        const char *why = evloop_create_error();
        fprintf(stderr, "ptest: cannot create an event loop: %s\n", *why ? why : strerror(errno));
        return RUN_EXIT_RUNTIME;
    }
    engine_opts eo = {
        .threads = o->threads ? o->threads : default_threads(),
        .jtl_fd = jtl_fd,
        .notify = c->loop,
        .seed = o->seed,
    };
    if (engine_create(&c->e, p, rt->t, &eo, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        return RUN_EXIT_RUNTIME;
    }
    if (coord_measurements(c) != 0) {
        fprintf(stderr, "ptest: out of memory\n");
        return RUN_EXIT_RUNTIME;
    }
    if (o->metrics_listen && runmetrics_listen(&c->rm, c->loop, o->metrics_listen, c->e, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        return RUN_EXIT_USAGE;
    }
    if (o->report_to && upload_create(&c->up, o->report_to, p->share_index, p->share_count, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: --report-to: %s\n", err);
        return RUN_EXIT_USAGE;
    }
    evloop_timer_init(&c->tick, on_tick, c);
    evloop_set_wake(c->loop, on_wake, c);
    return RUN_EXIT_OK;
}

/* ---------------------------------------------------------------- signals --------- */

typedef struct run_sigs {
    struct sigaction old_int, old_term;
    bool installed;
} run_sigs;

static void sigs_install(run_sigs *s, evloop *loop)
{
    run_sig_count = 0;
    run_sig_loop = loop;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &s->old_int);
    sigaction(SIGTERM, &sa, &s->old_term);
    s->installed = true;
}

static void sigs_restore(run_sigs *s)
{
    if (!s->installed)
        return;
    sigaction(SIGINT, &s->old_int, NULL);
    sigaction(SIGTERM, &s->old_term, NULL);
    run_sig_loop = NULL;
    s->installed = false;
}

/* ---------------------------------------------------------------- the run --------- */

/* What the run measured besides the seconds. */
typedef struct run_clock {
    wall_ns started;
    mono_ns end;
    double cpu0, client_cpu_s; /* ptest's own CPU at the start, during the run */
} run_clock;

/* The rest of the run since the last full second, and the end-of-run verdict. */
static void measure_finish(coord *c, run_clock *k)
{
    if (collect(c, UINT64_MAX) != 0)
        c->fatal = 1;
    uint64_t done_ns = c->next_sec * CLOCK_NS_PER_SEC;
    uint64_t rest_ns = k->end > c->start + done_ns ? k->end - c->start - done_ns : CLOCK_NS_PER_MS;
    if (k->end > c->start + done_ns || c->iv.total.count > 0)
        book(c, (uint32_t)c->next_sec, rest_ns);
    if (!c->aborted[0] && !c->interrupted && c->health.conn_ok == 0 && c->health.conn_fail > 0)
        unreachable_msg(c);
    show(c, k->end - c->start, (double)rest_ns / 1e9);
    progress_end(&c->pg);
}

/* Runs the load: opens the interval logs, starts the engine, collects every second until
 * it finishes (or is stopped), then the rest. */
static int measure(coord *c, const char *dir, scrape_state *scr, run_clock *k)
{
    char err[512];
    k->cpu0 = scrape_self_cpu();
    k->started = clock_wall_now();
    c->start = clock_mono_now();
    c->start_ms = k->started / CLOCK_NS_PER_MS;
    runmetrics_start(&c->rm, c->start);
    if (results_hlogs_open(&c->hl, dir, c->names, c->n_labels, k->started, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        return RUN_EXIT_RUNTIME;
    }
    c->hl_open = true;
    if (!c->o->quiet) {
        /* The start line: what runs, on how many threads, on which event-loop backend. */
        fprintf(stderr, "ptest: %s -> %s: %u threads, event loop %s\n", c->p->name ? c->p->name : "run",
                c->p->target_str ? c->p->target_str : "-", engine_threads(c->e), evloop_backend(c->loop));
        if (*evloop_create_error())
            fprintf(stderr, "ptest: io_uring not taken (%s)\n", evloop_create_error());
        if (c->o->metrics_listen)
            fprintf(stderr, "ptest: live metrics on %s, port %u: GET /metrics\n", c->o->metrics_listen,
                    (unsigned)runmetrics_port(&c->rm));
    }
    progress_init(&c->pg, stderr, !c->o->quiet, isatty(STDERR_FILENO) == 1, plan_duration(c->p));
    if (engine_start(c->e, c->start, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        return RUN_EXIT_RUNTIME;
    }
    evloop_timer_start(c->loop, &c->tick, c->start + CLOCK_NS_PER_SEC + RUN_COLLECT_DELAY);
    if (evloop_run(c->loop) != 0) {
        /* The coordinator's loop failed: stop the workers and still report what ran. */
        c->loop_failed = true;
        snprintf(c->aborted, sizeof(c->aborted), "the coordinator's event loop failed: %s", strerror(errno));
        engine_stop(c->e);
    }
    engine_join(c->e);
    k->end = clock_mono_now();
    scrape_stop(scr);
    k->client_cpu_s = scrape_self_cpu() - k->cpu0;
    evloop_timer_stop(c->loop, &c->tick);
    measure_finish(c, k);
    return RUN_EXIT_OK;
}

/* Whole-run counters per label ([n] is the total) and their results.h labels. */
typedef struct run_totals {
    size_t n, ready; /* labels; how many of tots[] are initialised */
    stats_label *tots;
    results_label *rl;
} run_totals;

static void totals_free(run_totals *t)
{
    for (size_t i = 0; i < t->ready; i++)
        stats_label_fini(&t->tots[i]);
    free(t->tots);
    free(t->rl);
    memset(t, 0, sizeof(*t));
}

static int totals_build(run_totals *t, coord *c)
{
    memset(t, 0, sizeof(*t));
    t->n = c->n_labels;
    t->tots = calloc(c->n_labels + 1, sizeof(*t->tots));
    t->rl = calloc(c->n_labels ? c->n_labels : 1, sizeof(*t->rl));
    if (!t->tots || !t->rl)
        return -1;
    for (; t->ready <= c->n_labels; t->ready++)
        if (stats_label_init(&t->tots[t->ready]) != 0)
            return -1;
    for (size_t i = 0; i < c->n_labels; i++) {
        if (engine_label_totals(c->e, i, &t->tots[i]) != 0 ||
            stats_label_merge(&t->tots[c->n_labels], &t->tots[i]) != 0)
            c->fatal = 1;
        t->rl[i] = (results_label){engine_label(c->e, i), c->names[i], &t->tots[i], c->lat[i], false};
    }
    return 0;
}

static void notes(const coord *c, const stats_label *all, const char *dir)
{
    if (all->queued > 0 && all->queued * 100 >= all->count)
        fprintf(stderr,
                "ptest: note: %" PRIu64 " of %" PRIu64 " requests found every connection "
                "busy and waited for one; their latency includes the wait (a slow or stalled "
                "server causes this; with a fast server, raise -c / max_connections)\n",
                all->queued, all->count);
    if (c->aborted[0] && !c->watch_stopped)
        fprintf(stderr, "ptest: %s\n", c->aborted);
    else if (c->interrupted)
        fprintf(stderr, "ptest: interrupted; results of what ran are in %s/\n", dir);
}

/* The one write of results.json, with the target's figures and ptest's own cost. */
static int write_results(coord *c, const run_totals *t, const scrape_state *scr, const run_clock *k, const char *dir,
                         const char *addr)
{
    char err[512];
    instances inst;
    bool have_inst = instances_init(&inst, c->n_labels) == 0;
    if (have_inst)
        engine_instances(c->e, &inst);
    else
        c->fatal = 1;
    results_server srv;
    scrape_results(scr, t->tots[t->n].count, &srv);
    results_client cl = {k->client_cpu_s, engine_threads(c->e)};
    json_t *expected = scrape_expected(scr);
    const abortwatch_fired *f = &c->aw.fired;
    results_abort ta = {f->threshold, f->label, f->at_s, f->measured, f->limit};
    results res = {
        .p = c->p,
        .started = k->started,
        .duration_s = (double)(k->end - c->start) / 1e9,
        .interrupted = c->interrupted || c->aborted[0],
        .aborted = c->aborted[0] ? c->aborted : NULL,
        .threshold_abort = c->aw.has_fired ? &ta : NULL,
        .data_exhausted = engine_data_exhausted(c->e),
        .threads = engine_threads(c->e),
        .target_addr = addr,
        .dns = c->dns,
        .n_targets = c->n_more,
        .targets = c->more,
        .event_loop = evloop_backend(c->loop),
        .n_labels = c->n_labels,
        .labels = t->rl,
        .total = {"total", c->names[c->n_labels], &t->tots[t->n], c->lat[c->n_labels], false},
        .series = &c->series,
        .server = &srv,
        .client = &cl,
        .expected = expected,
        .histograms = true,
        .tls = c->tls != NULL,
        .tls_error = c->tls ? ptls_first_error(c->tls) : NULL,
        .inst = have_inst ? &inst : NULL,
    };
    int rc = results_write(&res, dir, err, sizeof(err));
    json_decref(expected);
    instances_fini(&inst);
    if (rc != 0) {
        fprintf(stderr, "ptest: %s\n", err);
        return RUN_EXIT_RUNTIME;
    }
    notes(c, &t->tots[t->n], dir);
    if (!c->o->quiet && c->aborted[0])
        summary(&res, dir);
    return RUN_EXIT_OK;
}

/* Closes the interval logs; warns of what was lost. RUN_EXIT_RUNTIME when a measurement or
 * an output file is incomplete (out of memory, a failed write). */
static int check_outputs(coord *c, const scrape_state *scr)
{
    int ret = RUN_EXIT_OK;
    if (c->fatal || c->series.failed) {
        fprintf(stderr, "ptest: some measurements could not be merged (out of memory)\n");
        ret = RUN_EXIT_RUNTIME;
    }
    uint64_t lost = engine_jtl_lost(c->e);
    if (lost) {
        fprintf(stderr, "ptest: %" PRIu64 " JTL rows could not be written\n", lost);
        ret = RUN_EXIT_RUNTIME;
    }
    c->hl_open = false;
    if (results_hlogs_close(&c->hl) != 0) {
        fprintf(stderr, "ptest: %s\n", c->hl.err);
        ret = RUN_EXIT_RUNTIME;
    }
    char why[600];
    if (scrape_problem(scr, why, sizeof(why)))
        fprintf(stderr, "ptest: warning: %s\n", why);
    return ret;
}

/* The verdict: an aborted run is not analysed (write_results printed its short table);
 * otherwise the analysis reads back what was just written, so `ptest report` on the same
 * directory gives the same verdict. */
static int verdict(const coord *c, const char *dir)
{
    if (c->aborted[0])
        return RUN_EXIT_ABORTED;
    int ret = c->interrupted ? RUN_EXIT_ABORTED : RUN_EXIT_OK;
    report_opts rep = {.dir = dir, .quiet = c->o->quiet};
    int arc = report_run(&rep);
    if (ret == RUN_EXIT_OK || arc == RUN_EXIT_USAGE || arc == RUN_EXIT_RUNTIME)
        ret = arc;
    if (!c->o->quiet)
        printf("\nresults and reports (results.json, *.hlog, junit.xml, scorecard.html, summary.txt) in %s/\n", dir);
    return ret;
}

/* --report-to: results.json and the interval logs it names, to the collector. */
static int deliver(coord *c, const char *dir)
{
    char err[512];
    const char **files = calloc(c->n_labels + 2, sizeof(*files));
    if (!files) {
        fprintf(stderr, "ptest: out of memory\n");
        return RUN_EXIT_RUNTIME;
    }
    files[0] = "results.json";
    for (size_t i = 0; i <= c->n_labels; i++)
        files[i + 1] = c->names[i];
    fflush(stdout);
    int ret = RUN_EXIT_OK;
    if (upload_final(c->up, dir, files, c->n_labels + 2,
                     c->o->report_timeout_ns ? c->o->report_timeout_ns : UPLOAD_FINAL_TIMEOUT_NS, err,
                     sizeof(err)) != 0) {
        fprintf(stderr, "ptest: --report-to: %s (the results are in %s/)\n", err, dir);
        ret = RUN_EXIT_UNDELIVERED;
    } else if (!c->o->quiet) {
        printf("results delivered to %s\n", c->o->report_to);
    }
    free(files);
    return ret;
}

/* After the load: totals, results.json, messages, verdict, delivery. */
static int finish(coord *c, const scrape_state *scr, const run_clock *k, const char *dir, const char *addr)
{
    run_totals t;
    if (totals_build(&t, c) != 0) {
        totals_free(&t);
        fprintf(stderr, "ptest: out of memory\n");
        return RUN_EXIT_RUNTIME;
    }
    if (c->o->watch && c->o->watch->totals)
        c->o->watch->totals(c->o->watch->arg, t.tots, t.n);
    int ret = check_outputs(c, scr);
    int wrc = write_results(c, &t, scr, k, dir, addr);
    totals_free(&t);
    if (wrc != RUN_EXIT_OK)
        return wrc;
    int v = verdict(c, dir);
    if (c->loop_failed || ret != RUN_EXIT_OK)
        v = RUN_EXIT_RUNTIME;
    if (c->up) {
        int d = deliver(c, dir);
        if (d != RUN_EXIT_OK)
            v = d;
    }
    return v;
}

/* Fit, scrape, coordinator, signals, the load, the rest. */
static int run_with(const plan *p, const run_opts *o, const run_out *out, run_targets *rt)
{
    char err[512];
    engine_fit fit;
    int fits = engine_fit_check(p, &fit, err, sizeof(err));
    if (fits != ENGINE_FIT_OK)
        fprintf(stderr, "ptest: %s%s\n", fits == ENGINE_FIT_WARN ? "warning: " : "", err);
    if (fits == ENGINE_FIT_REFUSE)
        return RUN_EXIT_USAGE;
    scrape_state scr;
    (void)scrape_init(&scr, NULL, NULL); /* nothing to read yet; cannot fail */
    /* The target's own figures (server-side cost, expected delays), only when asked. They are
     * read on their own thread, started now and never waited for: the load does not wait. */
    int ret = start_scrape(p, &scr);
    coord c;
    memset(&c, 0, sizeof(c));
    run_sigs sigs = {.installed = false};
    if (ret == RUN_EXIT_OK)
        ret = coord_setup(&c, p, o, rt, out->jtl_fd);
    if (ret == RUN_EXIT_OK) {
        sigs_install(&sigs, c.loop);
        run_clock k;
        memset(&k, 0, sizeof(k));
        char start_addr[sizeof(rt->addr[0])];
        memcpy(start_addr, rt->addr[0], sizeof(start_addr));
        targets_renew_start(p, rt);
        ret = measure(&c, out->dir, &scr, &k);
        targets_renew_stop(p, rt);
        c.dns = p->target.host ? &rt->dns[0] : NULL;
        c.n_more = rt->n - 1;
        c.more = rt->more;
        if (ret == RUN_EXIT_OK)
            ret = finish(&c, &scr, &k, out->dir, p->target.host ? start_addr : NULL);
    }
    sigs_restore(&sigs);
    coord_free(&c);
    scrape_fini(&scr);
    return ret;
}

int run_plan(const plan *p, const run_opts *o)
{
    run_out out;
    int ret = out_open(&out, o);
    if (ret == RUN_EXIT_OK) {
        run_targets rt;
        ret = targets_open(p, &rt);
        if (ret == RUN_EXIT_OK)
            ret = run_with(p, o, &out, &rt);
        targets_close(&rt);
    }
    out_close(&out);
    return ret;
}
