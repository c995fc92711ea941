/* delay.h - msdemo's delay series: per endpoint, n delays generated once at start.
 *
 * The series is drawn from the chosen distribution with a seeded rng, then fitted so that its
 * own mean and population stddev equal the configured ones (to the nanosecond): a short series
 * then still has exactly the service time that /config announces. Delays cannot be negative:
 * where the fit would make values negative (normal, or any shape with stddev large against
 * the mean), those are set to 0 and the rest refitted; if the targets are out of reach for
 * non-negative values (stddev > mean * sqrt(n - 1), mean 0 with stddev > 0, n == 1), the
 * mean is kept exact, the stddev gets as close as it can and clamped_moved_fit says so.
 *
 * Thread-safety: build and free from one thread; a built series is read-only, so any number
 * of threads may call delay_series_next concurrently, each with its own cursor.
 */
#ifndef MSDEMO_DELAY_H
#define MSDEMO_DELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define DELAY_MAX_N UINT32_C(10000000)
/* Upper bound for mean_ns and stddev_ns (24 h): keeps every fitted value far below 2^63. */
#define DELAY_MAX_NS (UINT64_C(86400) * UINT64_C(1000000000))

typedef struct delay_spec {
    enum rng_dist dist;
    uint64_t mean_ns;
    uint64_t stddev_ns; /* ignored for RNG_CONSTANT */
    uint32_t n;         /* 1..DELAY_MAX_N */
} delay_spec;

typedef struct delay_series {
    uint64_t *v; /* n delays in ns, owned */
    uint32_t n;
    double fit_mean_ns; /* mean and population stddev of v as built */
    double fit_stddev_ns;
    /* true if fit_mean_ns or fit_stddev_ns differs from the target (stddev 0 for constant)
     * by more than max(0.1% of the target, 1 ns), i.e. by more than integer rounding. */
    bool clamped_moved_fit;
    uint32_t clamped; /* values set to 0 because the fit made them negative */
} delay_series;

/* Builds the series for spec, drawing from an rng seeded with seed (same spec and seed, same
 * series on every architecture up to libm rounding). Returns 0, or -1 with a message in err
 * (if err != NULL and errlen > 0): n == 0, n > DELAY_MAX_N, mean or stddev > DELAY_MAX_NS,
 * unknown dist, out of memory. On failure *s is zeroed, so delay_series_fini is still safe.
 * Memory: 8 * n bytes, peak the same (the draws are fitted in place). */
int delay_series_build(delay_series *s, const delay_spec *spec, uint64_t seed, char *err, size_t errlen);

/* Frees s->v and zeroes *s; safe on a zeroed or already freed series. */
void delay_series_fini(delay_series *s);

/* The cursor a worker starts from: worker * n / workers, so that workers that each take
 * their share walk the series evenly. workers == 0 or worker >= workers gives 0. */
uint32_t delay_cursor_start(const delay_series *s, uint32_t worker, uint32_t workers);

/* Next value for a request: returns v[*cursor] and advances *cursor, wrapping at n. The cursor
 * is per worker thread (a uint32_t the caller owns); one cursor visits every element once per
 * n calls. A cursor >= n is first reduced modulo n. Returns 0 for an empty series. */
uint64_t delay_series_next(const delay_series *s, uint32_t *cursor);

#endif
