/* capacity.c - the capacity search: steps, their verdicts, the driver around run_plan. */
#include "capacity.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capacity_report.h"
#include "clock.h"
#include "results.h"
#include "run.h"
#include "scrape.h"
#include "units.h"

/* ---- the search ------------------------------------------------------------------ */

void capacity_search_init(capacity_search *s, double start, double max, double precision)
{
    memset(s, 0, sizeof(*s));
    s->max = max > 0 ? max : CAPACITY_DEFAULT_MAX;
    s->start = start > 0 ? start : CAPACITY_DEFAULT_START;
    if (s->start > s->max)
        s->start = s->max;
    s->precision = precision > 0 ? precision : CAPACITY_DEFAULT_PRECISION;
}

double capacity_search_next(const capacity_search *s)
{
    if (s->generator || s->steps >= CAPACITY_MAX_STEPS)
        return 0;
    if (s->pass == 0 && s->fail == 0)
        return s->start;
    if (s->fail == 0) /* step up: doubling, at most to max */
        return s->pass >= s->max ? 0 : fmin(2 * s->pass, s->max);
    if (s->pass == 0) { /* the start fails: halving */
        double r = s->fail / 2;
        return r < CAPACITY_MIN_RATE ? 0 : r;
    }
    if (s->fail - s->pass <= s->precision * s->pass)
        return 0;
    return (s->pass + s->fail) / 2;
}

void capacity_search_record(capacity_search *s, double rate, enum capacity_result r)
{
    s->steps++;
    switch (r) {
    case CAPACITY_PASS:
        if (rate > s->pass)
            s->pass = rate;
        break;
    case CAPACITY_FAIL:
        if (s->fail == 0 || rate < s->fail)
            s->fail = rate;
        break;
    case CAPACITY_GENERATOR:
        s->generator = true;
        s->fail = rate;
        break;
    }
}

/* ---- judging ---------------------------------------------------------------------- */

static bool is_latency(enum threshold_metric m)
{
    return m == THRESHOLD_PCT || m == THRESHOLD_MEAN || m == THRESHOLD_MIN || m == THRESHOLD_MAX;
}

double capacity_value(const threshold_expr *e, const capacity_measure *m, bool service)
{
    const hist *h = service ? m->svc : m->lat;
    bool any = h && h->total_count > 0;
    switch (e->metric) {
    case THRESHOLD_PCT: return any ? (double)hist_value_at_percentile(h, e->pct) : NAN;
    case THRESHOLD_MEAN: return any ? hist_mean(h) : NAN;
    case THRESHOLD_MIN: return any ? (double)hist_min(h) : NAN;
    case THRESHOLD_MAX: return any ? (double)hist_max(h) : NAN;
    case THRESHOLD_ERROR_RATE: return m->count ? (double)m->errors / (double)m->count : NAN;
    case THRESHOLD_RPS: return m->window_s > 0 ? (double)m->count / m->window_s : NAN;
    case THRESHOLD_CAPACITY: return NAN;
    }
    return NAN;
}

/* Label index li of m applies to slo (li == n_labels: the total). */
static bool applies(const capacity_slo *slo, const capacity_measure *m, size_t li, size_t n_labels)
{
    if (strcmp(slo->label, "*") == 0)
        return true;
    return li < n_labels && m[li].name && strcmp(m[li].name, slo->label) == 0;
}

static void describe(const capacity_slo *slo, const capacity_measure *m, double v, char *out, size_t len)
{
    char mv[48], lim[64], name[24];
    threshold_format_value(&slo->e, v, mv, sizeof(mv));
    threshold_format_limit(&slo->e, lim, sizeof(lim));
    threshold_metric_name(&slo->e, name, sizeof(name));
    snprintf(out, len, "%s: %s is %s, limit %s", m->name ? m->name : "total", name, mv, lim);
}

/* Appends to b (cap bytes, *len used), truncating. */
static void addf(char *b, size_t cap, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void addf(char *b, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

void capacity_judge(capacity_step *st, const capacity_slo *slos, size_t n_slos, const capacity_measure *m,
                    size_t n_labels)
{
    char slo_why[300] = "";
    st->slo_ok = st->svc_ok = true;
    if (m[n_labels].count == 0) {
        st->slo_ok = st->svc_ok = false;
        snprintf(slo_why, sizeof(slo_why), "no response in the judged seconds");
    }
    for (size_t i = 0; i < n_slos; i++) {
        if (slos[i].e.relative || slos[i].e.metric == THRESHOLD_CAPACITY)
            continue;
        for (size_t li = 0; li <= n_labels; li++) {
            if (!applies(&slos[i], m, li, n_labels))
                continue;
            double v = capacity_value(&slos[i].e, &m[li], false);
            if (!threshold_check(&slos[i].e, v)) {
                if (st->slo_ok)
                    describe(&slos[i], &m[li], v, slo_why, sizeof(slo_why));
                st->slo_ok = false;
            }
            if (!threshold_check(&slos[i].e, capacity_value(&slos[i].e, &m[li], true)))
                st->svc_ok = false;
        }
    }
    /* The generator's own limits, first the plain ones. */
    double planned = (double)st->planned;
    double tol = st->poisson ? fmax(0.01 * planned, 3 * sqrt(planned)) : fmax(0.01 * planned, 2);
    bool short_of = planned > 0 && (double)st->count < planned - tol;
    char gen[360] = "";
    size_t gl = 0;
#define GEN(...) addf(gen, sizeof(gen), &gl, __VA_ARGS__)
    if (st->cpu > CAPACITY_CPU_LIMIT)
        GEN("the generator's CPU was %.0f %% of its %u core%s", st->cpu * 100, st->cores, st->cores == 1 ? "" : "s");
    if (st->dropped > 0 && !st->lost_early)
        GEN("%s%" PRIu64 " planned arrivals were dropped by the generator", gl ? "; " : "", st->dropped);
    if (short_of && st->svc_ok)
        GEN("%sachieved %.1f/s of the planned %.1f/s while the server's service time met the SLOs", gl ? "; " : "",
            st->achieved, st->rate);
    else if (!st->slo_ok && st->svc_ok && m[n_labels].count > 0)
        GEN("%sthe SLOs fail on the latency from the intended send time but hold on the service time: the wait "
            "was ptest's own",
            gl ? "; " : "");
    if (gl && st->queued > 0)
        GEN(" (%" PRIu64 " requests found every connection busy: raise --max-connections)", st->queued);
#undef GEN
    if (gen[0]) {
        st->result = CAPACITY_GENERATOR;
        if (slo_why[0])
            snprintf(st->reason, sizeof(st->reason), "%s (%s)", gen, slo_why);
        else
            snprintf(st->reason, sizeof(st->reason), "%s", gen);
    } else {
        st->result = st->slo_ok ? CAPACITY_PASS : CAPACITY_FAIL;
        snprintf(st->reason, sizeof(st->reason), "%s", slo_why);
    }
}

bool capacity_lost_early(const capacity_slo *slos, size_t n_slos, const capacity_measure *m, size_t n_labels,
                         double planned_rate, char *why, size_t whylen)
{
    const capacity_measure *t = &m[n_labels];
    if (t->window_s < CAPACITY_EARLY_S)
        return false;
    double planned = planned_rate * t->window_s;
    if (t->window_s >= 2 && (double)t->count < 0.5 * planned) {
        snprintf(why, whylen, "%" PRIu64 " answers of about %.0f planned arrivals", t->count, planned);
        return true;
    }
    for (size_t i = 0; i < n_slos; i++) {
        const threshold_expr *e = &slos[i].e;
        if (e->relative || (e->op != THRESHOLD_LT && e->op != THRESHOLD_LE))
            continue;
        if (!is_latency(e->metric) && e->metric != THRESHOLD_ERROR_RATE)
            continue;
        for (size_t li = 0; li <= n_labels; li++) {
            if (!applies(&slos[i], m, li, n_labels) || m[li].count < 20)
                continue;
            double v = capacity_value(e, &m[li], false);
            bool lost =
                e->metric == THRESHOLD_ERROR_RATE ? v > 2 * e->limit + 0.01 : v > CAPACITY_EARLY_FACTOR * e->limit;
            if (lost) {
                char d[300];
                describe(&slos[i], &m[li], v, d, sizeof(d));
                snprintf(why, whylen, "%s", d);
                return true;
            }
        }
    }
    return false;
}

/* ---- the driver ------------------------------------------------------------------- */

typedef struct cap {
    plan *p;
    const capacity_opts *o;
    const char *dir;
    capacity_slo slos[CAPACITY_MAX_SLOS];
    size_t n_slos;
    capacity_slo gates[CAPACITY_MAX_SLOS];
    size_t n_gates;
    size_t n_labels;
    const char **labels;
    double *w; /* [n_scenarios] the rate's share of each scenario */
    bool poisson;
    unsigned threads, cores;
    uint64_t warm_s, step_s;
    /* the step being run */
    capacity_measure *m; /* [n_labels + 1] */
    double rate, cpu0, cpu1;
    mono_ns wall0, wall1;
    uint64_t dropped, queued;
    bool lost;
    capacity_step steps[CAPACITY_MAX_STEPS];
    size_t n_steps;
} cap;

static double scenario_mean_rate(const plan_scenario *s)
{
    double n = 0, d = 0, prev = s->start_rate;
    for (size_t i = 0; i < s->n_stages; i++) {
        double r = s->stages[i].rate, dur = (double)s->stages[i].duration_ns / 1e9;
        n += (s->ramp == PLAN_RAMP_LINEAR ? (prev + r) / 2 : r) * dur;
        d += dur;
        prev = r;
    }
    return d > 0 ? n / d : 0;
}

/* Every scenario becomes one constant open stage (capacity.h); returns the plan's planned
 * open rate (0 unless every scenario is open), or -1 out of memory. */
static double convert(cap *c)
{
    plan *p = c->p;
    bool all_open = true;
    double sum = 0;
    for (size_t i = 0; i < p->n_scenarios; i++) {
        if (p->scenarios[i].model != PLAN_OPEN)
            all_open = false;
        else
            sum += scenario_mean_rate(&p->scenarios[i]);
    }
    if (!(sum > 0))
        all_open = false;
    for (size_t i = 0; i < p->n_scenarios; i++) {
        plan_scenario *s = &p->scenarios[i];
        c->w[i] = all_open ? scenario_mean_rate(s) / sum : 1.0 / (double)p->n_scenarios;
        if (s->model == PLAN_CLOSED) {
            s->model = PLAN_OPEN;
            s->users = 0;
            s->ramp_up_ns = s->hold_for_ns = s->iterations = 0;
            memset(&s->think, 0, sizeof(s->think));
            s->order = PLAN_ORDER_MIX;
            s->max_connections = PLAN_DEFAULT_MAX_CONNECTIONS;
        }
        free(s->stages);
        s->stages = calloc(1, sizeof(*s->stages));
        if (!s->stages)
            return -1;
        s->n_stages = 1;
        s->ramp = PLAN_RAMP_STEP;
        s->start_rate = 0;
        s->start_delay_ns = 0;
        if (c->o->max_conns)
            s->max_connections = c->o->max_conns;
        if (s->arrivals == PLAN_ARRIVALS_POISSON)
            c->poisson = true;
    }
    return all_open ? sum : 0;
}

static int add_slo(capacity_slo *list, size_t *n, const char *label, const char *expr, const threshold_expr *e)
{
    if (*n == CAPACITY_MAX_SLOS)
        return -1;
    list[*n] = (capacity_slo){label, expr, *e};
    (*n)++;
    return 0;
}

/* The plan's thresholds (capacity ones are gates, relative ones are skipped) and the
 * --slo expressions, which replace the plan's SLOs. Returns a RUN_EXIT_*. */
static int collect_slos(cap *c)
{
    char err[256];
    size_t col = 0;
    threshold_expr e;
    for (size_t i = 0; i < c->p->n_thresholds; i++) {
        const plan_threshold *t = &c->p->thresholds[i];
        if (threshold_parse(t->expr, &e, &col, err, sizeof(err)) != 0) {
            fprintf(stderr, "ptest capacity: %s:%u:%u: threshold \"%s\", character %zu: %s\n", c->p->source, t->line,
                    t->col, t->expr, col + 1, err);
            return RUN_EXIT_USAGE;
        }
        if (e.metric == THRESHOLD_CAPACITY) {
            if (add_slo(c->gates, &c->n_gates, t->label, t->expr, &e) != 0)
                return RUN_EXIT_USAGE;
        } else if (e.relative) {
            if (!c->o->quiet)
                fprintf(stderr, "ptest capacity: note: %s:%u:%u: \"%s\" compares with a baseline: not an SLO here\n",
                        c->p->source, t->line, t->col, t->expr);
        } else if (c->o->n_slo == 0 && add_slo(c->slos, &c->n_slos, t->label, t->expr, &e) != 0) {
            return RUN_EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < c->o->n_slo; i++) {
        if (threshold_parse(c->o->slo[i], &e, &col, err, sizeof(err)) != 0) {
            fprintf(stderr, "ptest capacity: --slo \"%s\", character %zu: %s\n", c->o->slo[i], col + 1, err);
            return RUN_EXIT_USAGE;
        }
        if (e.relative || e.metric == THRESHOLD_CAPACITY) {
            fprintf(stderr, "ptest capacity: --slo \"%s\": an SLO is an absolute limit of a run (%s)\n", c->o->slo[i],
                    e.relative ? "not a change vs a baseline" : "capacity is what is searched");
            return RUN_EXIT_USAGE;
        }
        if (add_slo(c->slos, &c->n_slos, "*", c->o->slo[i], &e) != 0) {
            fprintf(stderr, "ptest capacity: at most %d SLOs\n", CAPACITY_MAX_SLOS);
            return RUN_EXIT_USAGE;
        }
    }
    if (c->n_slos == 0) {
        fprintf(stderr, "ptest capacity: no SLO to hold: give --slo EXPR (e.g. --slo \"p95 < 250ms\") or plan "
                        "thresholds\n");
        return RUN_EXIT_USAGE;
    }
    return RUN_EXIT_OK;
}

static bool on_second(void *arg, uint32_t t, uint64_t len_ns, const stats_interval *iv, char *why, size_t whylen)
{
    cap *c = arg;
    if (t < c->warm_s) {
        if (t + 1 == c->warm_s) {
            c->cpu0 = scrape_self_cpu();
            c->wall0 = clock_mono_now();
        }
        return false;
    }
    for (size_t i = 0; i <= c->n_labels; i++) {
        const stats_second *s = i < c->n_labels ? &iv->labels[i] : &iv->total;
        if (s->lat)
            (void)hist_add(c->m[i].lat, s->lat);
        c->m[i].count += s->count;
        c->m[i].errors += s->errors;
        c->m[i].window_s += (double)len_ns / 1e9;
    }
    char d[320];
    if (!c->lost && capacity_lost_early(c->slos, c->n_slos, c->m, c->n_labels, c->rate, d, sizeof(d))) {
        c->lost = true;
        snprintf(why, whylen, "capacity: the step at %g/s is stopped after %.0f judged s, clearly lost: %s", c->rate,
                 c->m[c->n_labels].window_s, d);
        return true;
    }
    return false;
}

static void on_totals(void *arg, const stats_label *tots, size_t n_labels)
{
    cap *c = arg;
    c->cpu1 = scrape_self_cpu();
    c->wall1 = clock_mono_now();
    for (size_t i = 0; i <= n_labels && i <= c->n_labels; i++)
        (void)hist_add(c->m[i].svc, &tots[i].svc);
    c->dropped = tots[n_labels].dropped;
    c->queued = tots[n_labels].queued;
}

static void measures_reset(cap *c)
{
    for (size_t i = 0; i <= c->n_labels; i++) {
        hist_reset(c->m[i].lat);
        hist_reset(c->m[i].svc);
        c->m[i].count = c->m[i].errors = 0;
        c->m[i].window_s = 0;
    }
}

static double pct_or_nan(const hist *h, double p)
{
    return h->total_count ? (double)hist_value_at_percentile(h, p) : NAN;
}

static void progress_line(const cap *c, const capacity_step *st)
{
    if (c->o->quiet)
        return;
    char p95[24];
    units_format_us(st->p95_us, p95, sizeof(p95));
    static const char *const res[] = {"pass", "fail", "GENERATOR-LIMITED"};
    fprintf(stderr,
            "ptest capacity: step %zu at %g/s: %s%s: achieved %.1f/s, p95 %s, errors %.2f %%, cpu %.0f %%%s%s\n",
            c->n_steps, st->rate, res[st->result], st->lost_early ? " (stopped early)" : "", st->achieved,
            isnan(st->p95_us) ? "-" : p95, st->count ? 100.0 * (double)st->errors / (double)st->count : 0.0,
            st->cpu * 100, st->reason[0] ? ": " : "", st->reason);
}

/* One step at rate r. Returns a RUN_EXIT_* (OK also when the step failed its SLOs). */
static int run_step(cap *c, double r)
{
    capacity_step *st = &c->steps[c->n_steps];
    memset(st, 0, sizeof(*st));
    uint64_t judged = c->step_s;
    uint64_t need = (uint64_t)ceil(CAPACITY_MIN_ARRIVALS / r);
    uint64_t cap_s = c->step_s > 60 ? c->step_s : 60;
    if (need > judged)
        judged = need < cap_s ? need : cap_s;
    uint64_t dur = (c->warm_s + judged) * CLOCK_NS_PER_SEC;
    for (size_t i = 0; i < c->p->n_scenarios; i++) {
        c->p->scenarios[i].stages[0].rate = r * c->w[i];
        c->p->scenarios[i].stages[0].duration_ns = dur;
    }
    c->rate = r;
    c->lost = false;
    c->dropped = c->queued = 0;
    measures_reset(c);
    c->cpu0 = scrape_self_cpu();
    c->wall0 = clock_mono_now();
    c->cpu1 = c->cpu0;
    c->wall1 = c->wall0;
    snprintf(st->dir, sizeof(st->dir), "steps/%02zu-%g", c->n_steps + 1, r);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", c->dir, st->dir);
    if (!c->o->quiet)
        fprintf(stderr, "ptest capacity: step %zu at %g/s: %" PRIu64 " s warm-up + %" PRIu64 " s judged ...\n",
                c->n_steps + 1, r, c->warm_s, judged);
    run_watch w = {on_second, on_totals, c};
    run_opts ro = {.out_dir = path, .threads = c->threads, .quiet = true, .seed = c->o->seed, .watch = &w};
    int rc = run_plan(c->p, &ro);
    if (rc == RUN_EXIT_ABORTED && !c->lost)
        return rc; /* interrupted, or the target is unreachable (run_plan said which) */
    if (rc != RUN_EXIT_OK && rc != RUN_EXIT_GATE && rc != RUN_EXIT_ABORTED)
        return rc;
    const capacity_measure *t = &c->m[c->n_labels];
    st->rate = r;
    st->window_s = t->window_s;
    st->achieved = t->window_s > 0 ? (double)t->count / t->window_s : 0;
    st->planned = (uint64_t)llround(r * t->window_s);
    st->poisson = c->poisson;
    st->count = t->count;
    st->errors = t->errors;
    st->dropped = c->dropped;
    st->queued = c->queued;
    st->p50_us = pct_or_nan(t->lat, 50);
    st->p95_us = pct_or_nan(t->lat, 95);
    st->p99_us = pct_or_nan(t->lat, 99);
    st->svc_p95_us = pct_or_nan(t->svc, 95);
    st->cores = c->cores;
    double wall = (double)(c->wall1 - c->wall0) / 1e9;
    st->cpu = wall > 0 ? (c->cpu1 - c->cpu0) / wall / c->cores : 0;
    st->lost_early = c->lost;
    capacity_judge(st, c->slos, c->n_slos, c->m, c->n_labels);
    c->n_steps++;
    progress_line(c, st);
    return RUN_EXIT_OK;
}

static unsigned usable_cores(unsigned threads)
{
    unsigned n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = (unsigned)CPU_COUNT(&set);
    if (n == 0) {
        long o = sysconf(_SC_NPROCESSORS_ONLN);
        n = o > 0 ? (unsigned)o : 1;
    }
    return threads < n ? threads : n;
}

static int setup(cap *c)
{
    plan *p = c->p;
    c->n_labels = plan_labels(p, NULL, 0);
    c->labels = calloc(c->n_labels ? c->n_labels : 1, sizeof(*c->labels));
    c->m = calloc(c->n_labels + 1, sizeof(*c->m));
    c->w = calloc(p->n_scenarios ? p->n_scenarios : 1, sizeof(*c->w));
    if (!c->labels || !c->m || !c->w)
        return -1;
    plan_labels(p, c->labels, c->n_labels);
    for (size_t i = 0; i <= c->n_labels; i++) {
        c->m[i].name = i < c->n_labels ? c->labels[i] : "total";
        if (hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &c->m[i].lat) != 0 ||
            hist_create(HIST_PTEST_LOWEST, HIST_PTEST_HIGHEST, HIST_PTEST_SIGFIGS, &c->m[i].svc) != 0)
            return -1;
    }
    return 0;
}

static void teardown(cap *c)
{
    for (size_t i = 0; c->m && i <= c->n_labels; i++) {
        hist_destroy(c->m[i].lat);
        hist_destroy(c->m[i].svc);
    }
    free(c->m);
    free(c->labels);
    free(c->w);
}

static uint64_t whole_seconds(uint64_t ns)
{
    return (ns + CLOCK_NS_PER_SEC - 1) / CLOCK_NS_PER_SEC;
}

/* The result and its gates, written and printed. */
static int conclude(cap *c, const capacity_search *s, wall_ns started, bool interrupted)
{
    capacity_outcome out = {
        .p = c->p,
        .started = started,
        .duration_s = (double)(clock_wall_now() - started) / 1e9,
        .interrupted = interrupted,
        .search = s,
        .steps = c->steps,
        .n_steps = c->n_steps,
        .slos = c->slos,
        .n_slos = c->n_slos,
        .gates = c->gates,
        .n_gates = c->n_gates,
        .warmup_s = (double)c->warm_s,
        .step_s = (double)c->step_s,
        .threads = c->threads,
    };
    capacity_report_gates(&out);
    char err[512];
    if (capacity_report_write(&out, c->dir, !c->o->quiet, err, sizeof(err)) != 0) {
        fprintf(stderr, "ptest capacity: %s\n", err);
        return RUN_EXIT_RUNTIME;
    }
    if (interrupted)
        return RUN_EXIT_ABORTED;
    return out.gates_failed ? RUN_EXIT_GATE : RUN_EXIT_OK;
}

int capacity_run(plan *p, const capacity_opts *o)
{
    cap *c = calloc(1, sizeof(*c));
    if (!c) {
        fprintf(stderr, "ptest capacity: out of memory\n");
        return RUN_EXIT_RUNTIME;
    }
    c->p = p;
    c->o = o;
    c->dir = o->out_dir ? o->out_dir : "results";
    int rc = collect_slos(c);
    if (rc != RUN_EXIT_OK)
        goto out;
    rc = RUN_EXIT_RUNTIME;
    if (setup(c) != 0) {
        fprintf(stderr, "ptest capacity: out of memory\n");
        goto out;
    }
    double planned = convert(c);
    if (planned < 0) {
        fprintf(stderr, "ptest capacity: out of memory\n");
        goto out;
    }
    if (results_mkdirs(c->dir) != 0) {
        fprintf(stderr, "ptest capacity: cannot create output directory %s: %s\n", c->dir, strerror(errno));
        goto out;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    c->threads = o->threads ? o->threads : ncpu > 4 ? 4 : ncpu > 0 ? (unsigned)ncpu : 1;
    c->cores = usable_cores(c->threads);
    c->warm_s = whole_seconds(o->warmup_ns == UINT64_MAX ? CAPACITY_DEFAULT_WARMUP_NS : o->warmup_ns);
    c->step_s = whole_seconds(o->step_ns ? o->step_ns : CAPACITY_DEFAULT_STEP_NS);
    capacity_search s;
    capacity_search_init(&s, o->start > 0 ? o->start : planned, o->max, o->precision);
    if (!o->quiet)
        fprintf(stderr,
                "ptest capacity: %s -> %s: from %g/s, at most %g/s, precision %g %%; each step %" PRIu64
                " s warm-up (not judged) + %" PRIu64 " s judged; %zu SLO%s\n",
                p->name ? p->name : "plan", p->target_str ? p->target_str : "-", s.start, s.max, s.precision * 100,
                c->warm_s, c->step_s, c->n_slos, c->n_slos == 1 ? "" : "s");
    wall_ns started = clock_wall_now();
    bool interrupted = false;
    double r;
    while ((r = capacity_search_next(&s)) > 0) {
        int src = run_step(c, r);
        if (src == RUN_EXIT_ABORTED) {
            interrupted = true;
            break;
        }
        if (src != RUN_EXIT_OK) {
            rc = src;
            goto out;
        }
        enum capacity_result res = c->steps[c->n_steps - 1].result;
        capacity_search_record(&s, r, res);
        if (res != CAPACITY_PASS && o->cooldown_ns && capacity_search_next(&s) > 0) {
            struct timespec ts = {(time_t)(o->cooldown_ns / CLOCK_NS_PER_SEC),
                                  (long)(o->cooldown_ns % CLOCK_NS_PER_SEC)};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
        }
    }
    rc = conclude(c, &s, started, interrupted);
out:
    teardown(c);
    free(c);
    return rc;
}
