/* schedule.h - the open model's arrival schedule: intended send times for rate stages.
 *
 * Rate. Stages follow each other, each starting where the previous one ended. With steps
 * (the default) stage i holds its rate for its duration (a stage of rate 0 is a pause).
 * With linear ramps (`ramp: linear`, k6's ramping-arrival-rate) the rate changes linearly
 * over stage i from the rate the previous stage ended at (the first stage: start_rate) to
 * stage i's rate: r(t) = a + (b - a) t / D, so its arrivals are D (a + b) / 2 (the integral
 * of the rate), and a stage of the same rate as the one before holds it constant.
 *
 * Arrivals. Let N(t) be the integral of the rate from the start (the expected count). With
 * constant arrivals (the default) arrival k is sent when N(t) reaches k: the first arrival
 * is at 0, a 100/s stage of 20 s has exactly 2000 arrivals, and a fractional count carries
 * over to the next stage instead of being rounded per stage. With poisson arrivals arrival
 * k is sent when N(t) reaches X(k) = E_0 + E_1 + ... + E_k, E_j independent exponential
 * gaps of mean 1 (a Poisson process of rate r(t): time-changed unit exponentials): the count
 * over the schedule is random, of mean N(end). E_j = -ln U_j, where U_j is a counter-based
 * draw (a hash of the seed and j, not a stream): any thread gets X(k) by summing the gaps
 * since the last k it asked for (a cursor), allocating nothing; a thread that takes every
 * A-th arrival costs A hashes and A / 16 logarithms per arrival (products of 16 uniforms
 * share one log). The same seed gives the same times, whatever the threads.
 *
 * Engine threads share the arrivals: thread j of T takes k = j, j + T, j + 2T, ...
 *
 * Shares (share_count > 1: ptest run --share I/N with poisson arrivals or linear ramps):
 * the schedule's arrival m is arrival I + m N of the whole scenario, whose rates are N times
 * the stages' (the share's are divided by N): it is sent when N(t) reaches X(I + m N) / N.
 * So the shares together send exactly the whole scenario's arrivals.
 *
 * Pure arithmetic on a read-only struct: thread-safe once built (each caller its cursor).
 */
#ifndef PTEST_SCHEDULE_H
#define PTEST_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

#define SCHEDULE_END (-1) /* arrival index past the end of the schedule */

typedef struct schedule_opts {
    bool poisson;                      /* exponential gaps instead of constant ones */
    bool linear;                       /* linear ramps between the stages' rates */
    double start_rate;                 /* linear: rate at the start of the first stage */
    uint64_t seed;                     /* poisson: the key of the draws */
    uint32_t share_index, share_count; /* 0 or 1 count: the whole scenario */
} schedule_opts;

typedef struct schedule {
    size_t n;
    double *rate;       /* [n] per second at the end of stage i */
    double *rate0;      /* [n] per second at its start (== rate[i] with steps) */
    double *cum;        /* [n + 1] expected arrivals before stage i; cum[n] = total */
    uint64_t *start_ns; /* [n + 1] stage start offsets; start_ns[n] = total duration */
    schedule_opts o;
} schedule;

/* Where a caller is in the schedule; zeroed to start. Looking up increasing k costs O(1)
 * (constant) or O(gap in k) draws (poisson); going back restarts from 0. */
typedef struct schedule_cursor {
    size_t stage;    /* a stage hint */
    uint64_t n_done; /* poisson: gaps E_0 .. E_{n_done - 1} are summed in x */
    double x;
} schedule_cursor;

/* Builds the schedule of n stages (copied) with constant arrivals and steps. Returns 0, or
 * -1 on allocation failure or a negative / non-finite rate. n == 0 is a valid empty
 * schedule. */
int schedule_init(schedule *s, const plan_stage *stages, size_t n);
/* The same with o's arrivals, ramp and share (o copied; NULL: schedule_init). */
int schedule_init_opts(schedule *s, const plan_stage *stages, size_t n, const schedule_opts *o);
/* The schedule of open scenario sc: its arrivals, ramp and share; poisson draws keyed by
 * seed and the scenario's name (seed 0: the name alone, so runs repeat by default). */
int schedule_init_scenario(schedule *s, const plan_scenario *sc, uint64_t seed);
void schedule_fini(schedule *s);

/* Number of arrivals in the whole schedule (those with a time before the end). Constant:
 * O(1); poisson: counts them (O(arrivals)), for tests and tools. */
uint64_t schedule_count(const schedule *s);
/* Expected number of arrivals: the integral of the rate (for a share: its part). */
double schedule_expected(const schedule *s);
/* Total duration in ns. */
static inline uint64_t schedule_duration(const schedule *s)
{
    return s->start_ns[s->n];
}

/* Intended offset (ns from the schedule's start) of arrival k. Returns 0 with *t_ns set,
 * or SCHEDULE_END when k is past the end. */
int schedule_time(const schedule *s, uint64_t k, schedule_cursor *c, uint64_t *t_ns);

/* Highest rate of all stages (per second); 0 for an empty schedule. */
double schedule_peak_rate(const schedule *s);

#endif
