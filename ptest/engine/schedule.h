/* schedule.h - the open model's arrival schedule: intended send times for rate stages.
 *
 * Stages are steps: stage i holds its rate for its duration, starting where the previous
 * one ended (a stage of rate 0 is a pause). Arrivals are the points where the cumulative
 * count of the rate reaches 0, 1, 2, ...: arrival k lies in the stage whose cumulative range
 * holds k and is sent (k - before) / rate seconds after the stage's start. So the first
 * arrival is at 0, a 100/s stage of 20 s has exactly 2000 arrivals, and a fractional count
 * carries over to the next stage instead of being rounded per stage.
 * Engine threads share the arrivals: thread j of T takes k = j, j + T, j + 2T, ...
 *
 * Pure arithmetic on a read-only struct: thread-safe once built.
 */
#ifndef PTEST_SCHEDULE_H
#define PTEST_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

#define SCHEDULE_END (-1) /* arrival index past the end of the schedule */

typedef struct schedule {
    size_t n;
    double *rate;       /* [n] per second */
    double *cum;        /* [n + 1] arrivals before stage i; cum[n] = total (may be fractional) */
    uint64_t *start_ns; /* [n + 1] stage start offsets; start_ns[n] = total duration */
} schedule;

/* Builds the schedule of n stages (copied). Returns 0, or -1 on allocation failure or a
 * negative / non-finite rate. n == 0 is a valid empty schedule. */
int schedule_init(schedule *s, const plan_stage *stages, size_t n);
void schedule_fini(schedule *s);

/* Number of arrivals in the whole schedule (those with a time before the end). */
uint64_t schedule_count(const schedule *s);
/* Total duration in ns. */
static inline uint64_t schedule_duration(const schedule *s)
{
    return s->start_ns[s->n];
}

/* Intended offset (ns from the schedule's start) of arrival k. *hint is a stage index the
 * caller keeps between calls (start with 0); looking up increasing k costs O(1).
 * Returns 0 with *t_ns set, or SCHEDULE_END when k >= schedule_count(s). */
int schedule_time(const schedule *s, uint64_t k, size_t *hint, uint64_t *t_ns);

/* Highest rate of all stages (per second); 0 for an empty schedule. */
double schedule_peak_rate(const schedule *s);

#endif
