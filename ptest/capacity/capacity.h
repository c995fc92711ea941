/* capacity.h - `ptest capacity`: the highest arrival rate at which the plan's SLOs hold.
 *
 * The search. Every step is an open-model run (run.h's run_plan, the same engine and
 * results as `ptest run`) of the plan's requests at one rate R: each scenario becomes an
 * open scenario of constant rate R * w_i (w_i: its share of the plan's planned open rate
 * when every scenario is open, else 1 / scenarios), keeping its requests, weights, target,
 * connection settings, max_connections (closed ones: PLAN_DEFAULT_MAX_CONNECTIONS, or
 * --max-connections for all) and `arrivals:`; ramps and start delays are dropped. A step
 * lasts warm-up + judged time; only the judged seconds count (the warm-up connects and
 * fills the server's queues). Coarse step-up from the start rate, doubling while the SLOs
 * hold (at most to --max), halving while they fail from the start; then bisection between
 * the last passing rate P and the first failing F until F - P <= precision * P.
 *
 * A step's verdict (capacity_judge):
 *   pass       every SLO holds over the judged seconds (latency from the intended time).
 *   fail       one does not: the server's limit.
 *   generator  the generator was the limit, whatever the SLOs say: its CPU above
 *              CAPACITY_CPU_LIMIT of its cores (user + system time of ptest over the
 *              judged wall time, over min(threads, CPUs it may run on)); planned arrivals
 *              dropped; fewer responses than planned (beyond 1 %, or 3 standard deviations
 *              for poisson arrivals) while the service time (from the actual send) meets the
 *              SLOs; or SLOs failing on the latency but holding on the service time (ptest's
 *              own wait: late sends, every connection busy).
 * The search stops at the first generator step: the result is then "capacity >= P, limited
 * by the generator", never a server capacity. A step is stopped early when it is clearly
 * lost: after at least CAPACITY_EARLY_S judged seconds an upper-bound SLO is measured above
 * CAPACITY_EARLY_FACTOR times its limit (an error rate above twice its limit plus 1 %), or
 * fewer than half the planned arrivals were answered (after 2 judged seconds).
 *
 * Pure parts (search, judging) are separate for the unit tests. Not thread-safe.
 */
#ifndef PTEST_CAPACITY_H
#define PTEST_CAPACITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "plan.h"
#include "threshold.h"

#define CAPACITY_MAX_SLOS 64
#define CAPACITY_MAX_STEPS 40
#define CAPACITY_MIN_RATE 1.0 /* per second: below this the search gives up ("below 1/s") */
#define CAPACITY_DEFAULT_MAX 1e6
#define CAPACITY_DEFAULT_START 10.0 /* without open scenarios to start from */
#define CAPACITY_DEFAULT_PRECISION 0.05
#define CAPACITY_DEFAULT_WARMUP_NS (UINT64_C(2) * 1000000000)
#define CAPACITY_DEFAULT_STEP_NS (UINT64_C(10) * 1000000000)
#define CAPACITY_MIN_ARRIVALS 100 /* a judged part holds at least this many (planned) */
#define CAPACITY_CPU_LIMIT 0.9
#define CAPACITY_EARLY_S 1.0
#define CAPACITY_EARLY_FACTOR 2.0

enum capacity_result { CAPACITY_PASS, CAPACITY_FAIL, CAPACITY_GENERATOR };

/* ---- the search ------------------------------------------------------------------ */

typedef struct capacity_search {
    double start, max, precision;
    double pass, fail; /* highest passing, lowest failing (or generator) rate; 0: none */
    bool generator;    /* stopped at a generator-limited step (its rate is fail) */
    size_t steps;
} capacity_search;

void capacity_search_init(capacity_search *s, double start, double max, double precision);
/* The next rate to try, or 0 when the search is over. */
double capacity_search_next(const capacity_search *s);
void capacity_search_record(capacity_search *s, double rate, enum capacity_result r);

/* ---- SLOs ------------------------------------------------------------------------- */

typedef struct capacity_slo {
    const char *label; /* "*": every label and the total; else one label */
    const char *expr;  /* as written */
    threshold_expr e;
} capacity_slo;

/* What one label measured in a step: latency over the judged seconds, service time over
 * the whole step (it has no per-second split). */
typedef struct capacity_measure {
    const char *name;
    hist *lat, *svc;
    uint64_t count, errors; /* judged */
    double window_s;
} capacity_measure;

/* Value of e's metric in m; service: latency metrics from the service time instead. */
double capacity_value(const threshold_expr *e, const capacity_measure *m, bool service);

/* ---- a step ----------------------------------------------------------------------- */

typedef struct capacity_step {
    double rate;      /* planned, per second */
    double achieved;  /* responses and errors per judged second */
    double window_s;  /* judged seconds */
    double cpu;       /* ptest's CPU over the judged seconds, fraction of its cores */
    unsigned cores;   /* min(threads, CPUs) */
    bool poisson;     /* some scenario has poisson arrivals (the count varies) */
    uint64_t planned; /* arrivals planned in the judged part */
    uint64_t count, errors, dropped, queued;
    double p50_us, p95_us, p99_us, svc_p95_us; /* the total; NAN without responses */
    enum capacity_result result;
    bool lost_early;
    bool slo_ok, svc_ok; /* SLOs on latency / on service time */
    char reason[400];    /* the failed SLO, or why the generator was the limit */
    char dir[64];        /* its results, relative to the output directory */
} capacity_step;

/* Judges step st from its measures (m[0..n_labels], [n_labels] the total) against the
 * SLOs: sets slo_ok, svc_ok, result and reason. Pure. */
void capacity_judge(capacity_step *st, const capacity_slo *slos, size_t n_slos, const capacity_measure *m,
                    size_t n_labels);
/* True when the judged part so far is clearly lost (see above); why gets the reason. */
bool capacity_lost_early(const capacity_slo *slos, size_t n_slos, const capacity_measure *m, size_t n_labels,
                         double planned_rate, char *why, size_t whylen);

/* ---- the command ------------------------------------------------------------------ */

typedef struct capacity_opts {
    double start;         /* 0: the plan's planned open rate, else CAPACITY_DEFAULT_START */
    double max;           /* 0: CAPACITY_DEFAULT_MAX */
    double precision;     /* 0: CAPACITY_DEFAULT_PRECISION */
    uint64_t warmup_ns;   /* rounded up to whole seconds; UINT64_MAX: the default */
    uint64_t step_ns;     /* judged part; 0: the default; rounded up to whole seconds */
    uint64_t cooldown_ns; /* pause after a step that did not pass (a server working off
                             the requests of a lost step starts the next one drained) */
    uint32_t max_conns;   /* 0: the scenarios' own */
    const char **slo;     /* --slo expressions ("*"), replacing the plan's SLOs; n_slo */
    size_t n_slo;
    const char *out_dir; /* default "results" */
    unsigned threads;    /* 0: online CPUs, at most 4 */
    uint64_t seed;
    bool quiet;
} capacity_opts;

/* Runs the search for plan p (loaded and validated; changed in place into the steps'
 * plan). Writes OUT/results.json ("capacity"), summary.txt, junit.xml, scorecard.html
 * and .css, and every step's own results in OUT/steps/NN-RATE/. Returns a RUN_EXIT_*: 0
 * (the gates hold, or there are none), 1 (a `capacity` threshold of the plan fails), 2
 * usage (no SLO, an SLO that does not parse), 3 interrupted or target unreachable, 5. */
int capacity_run(plan *p, const capacity_opts *o);

#endif
