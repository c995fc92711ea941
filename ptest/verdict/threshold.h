/* threshold.h - the plan's pass/fail expressions: parsing and evaluation.
 *
 * Grammar (spaces optional between tokens):
 *   absolute:  METRIC OP VALUE          "p95 < 250ms", "error_rate < 1%", "rps > 100"
 *   relative:  METRIC ":" SIGN NUMBER "%"   "p95: +10%" (against a baseline run)
 *   METRIC  p50 p90 p95 p99 p99.9 ... (pNN[.N], 0 < NN <= 100), mean, min, max,
 *           error_rate, rps, capacity (the rate `ptest capacity` finds: a gate of its own,
 *           "capacity > 500/s"; not measured by a run)
 *   OP      <  <=  >  >=
 *   VALUE   latency metrics: a number with a unit us, ms or s (required);
 *           error_rate: a percentage "1%" or a fraction "0.01"; rps, capacity: a plain
 *           number, "/s" optional.
 * Relative thresholds apply to latency metrics and error_rate; "+10%" means "may grow by at
 * most 10 %" ("-5%" means "must shrink by at least 5 %").
 * An absolute threshold may end with "for DURATION" ("p95 < 250ms for 10s", as Taurus'
 * timeframe): it then fails only when it is broken for that long without a break, judged per
 * one-second window (each second's requests alone, not the run so far): ceil(D / 1 s)
 * consecutive windows that break it (THRESHOLD_FOR_WINDOWS). A window without any finished
 * request neither extends nor ends a streak. DURATION: a number with ms, s, m or h, 1 s to
 * 24 h.
 * Internally latencies are microseconds, error rates fractions.
 * Pure functions; thread-safe.
 */
#ifndef PTEST_THRESHOLD_H
#define PTEST_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum threshold_metric {
    THRESHOLD_PCT,
    THRESHOLD_MEAN,
    THRESHOLD_MIN,
    THRESHOLD_MAX,
    THRESHOLD_ERROR_RATE,
    THRESHOLD_RPS,
    THRESHOLD_CAPACITY
};
enum threshold_op { THRESHOLD_LT, THRESHOLD_LE, THRESHOLD_GT, THRESHOLD_GE };

#define THRESHOLD_ESYNTAX (-1)

typedef struct threshold_expr {
    enum threshold_metric metric;
    double pct; /* THRESHOLD_PCT: the percentile, 0 < pct <= 100 */
    bool relative;
    enum threshold_op op; /* absolute only */
    double limit;         /* absolute: us, fraction or rps; relative: percent (+10) */
    uint64_t for_ns;      /* "for D": D in ns, 0 = judged once on the whole run (or run so far) */
} threshold_expr;

#define THRESHOLD_FOR_MIN_NS UINT64_C(1000000000)
#define THRESHOLD_FOR_MAX_NS (UINT64_C(24) * 3600 * 1000000000)

/* How many consecutive one-second windows must break e ("for D": ceil(D / 1 s); 0 without). */
uint32_t threshold_for_windows(const threshold_expr *e);
/* One window of a "for" threshold: measured is its value in the window, empty true when the
 * window had no finished request. Updates *streak (consecutive breaking windows) and returns
 * true when the streak has reached threshold_for_windows(e): the threshold fails. */
bool threshold_for_step(const threshold_expr *e, double measured, bool empty, uint32_t *streak);

/* Parses s. Returns 0, or THRESHOLD_ESYNTAX with *col the 0-based byte offset of the problem and err
 * filled with a message (no location prefix). */
int threshold_parse(const char *s, threshold_expr *out, size_t *col, char *err, size_t errlen);

/* Measured values of one label (latencies in us). */
typedef struct threshold_values {
    double mean, min, max, error_rate, rps;
    double (*pct)(const void *ctx, double p); /* percentile in us */
    const void *ctx;
} threshold_values;

/* Value of e's metric in v (NAN for capacity, which no run measures). */
double threshold_value(const threshold_expr *e, const threshold_values *v);
/* Absolute: true when measured satisfies the threshold. */
bool threshold_check(const threshold_expr *e, double measured);
/* Relative: true when candidate vs base stays within the allowed change. base == 0 passes
 * unless candidate > 0 and the limit forbids growth. */
bool threshold_check_relative(const threshold_expr *e, double base, double candidate);
/* Human text of the limit: "< 250 ms", "< 1 %", "> 100/s", "+10 % vs baseline", with
 * " for 10 s" for a "for" threshold. */
void threshold_format_limit(const threshold_expr *e, char *out, size_t len);
/* Formats a measured value of e's metric: "231.4 ms", "0.52 %", "104.2/s". */
void threshold_format_value(const threshold_expr *e, double v, char *out, size_t len);
/* Name of the metric: "p95", "p99.9", "mean", "error_rate", ... */
void threshold_metric_name(const threshold_expr *e, char *out, size_t len);

#endif
