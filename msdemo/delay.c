/* delay.c - generating and fitting msdemo's delay series.
 *
 * The fit. Draws x_i from the distribution are mapped by an increasing affine map
 * y = a + b x chosen so that the y have exactly the target mean M and population stddev S.
 * When that makes the smallest values negative, they become 0 and a, b are solved again over
 * the others ("kept" values, those with x >= t for a threshold t) so that the whole series,
 * zeros included, still has mean M and stddev S. With k kept values, q = n / k:
 *     mean of kept y      = q M
 *     variance of kept y  = q (S^2 - (q - 1) M^2)          (from sum y = nM, sum y^2 = n(S^2+M^2))
 * so b = sd(kept y) / sd(kept x), a = mean(kept y) - b mean(kept x). Keeping fewer values
 * raises q, which raises the mean of the kept ones faster than their spread: it is how a
 * series of non-negative values reaches a large stddev/mean ratio. The variance turns
 * negative when k < n / (1 + S^2/M^2): too few kept values cannot hold that much mean.
 * k0 = ceil(n / (1 + S^2/M^2)) always works when k0 >= 2 (for any k values not all equal,
 * (mean - min) / sd >= 1 / sqrt(k - 1), which is just enough), so a fit with every value >= 0
 * exists exactly when S^2 < (n - 1) M^2; at S^2 >= (n - 1) M^2 the best a non-negative
 * series can do is one value n M and n - 1 zeros (stddev M sqrt(n - 1)), which is what the
 * build falls back to, keeping the mean exact.
 *
 * The search for t first iterates "clamp what the last fit made negative, refit" (t only
 * grows, usually a handful of passes), and if that overshoots into too few kept values,
 * bisects t between the last fit with negatives and the overshoot. See delay_fit_search.
 *
 * Memory: the draws are stored as doubles in the very array that then holds the integer
 * delays (both are 8 bytes; memcpy moves the bits, so there is no aliasing question), which
 * halves the peak for a 10-million-value series on a 1 GiB Pi.
 */
#include "delay.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fixed-point passes before switching to bisection, and bisection steps (each halves a
 * double interval, so 200 is far more than the 64-ish that exhaust its precision). */
#define FIT_FIXED_POINT_MAX 64
#define FIT_BISECT_MAX      200
/* A kept value this far below 0 still counts as >= 0; rounding to integer ns lands it on 0. */
#define FIT_NEG_SLACK       0.25

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static double xget(const uint64_t *v, uint32_t i)
{
    double d;
    memcpy(&d, &v[i], sizeof d);
    return d;
}

static void xset(uint64_t *v, uint32_t i, double d)
{
    memcpy(&v[i], &d, sizeof d);
}

enum fit_status {
    FIT_OK,        /* every kept value maps to >= 0 */
    FIT_NEG,       /* some kept values map below 0: raise t */
    FIT_FEW,       /* too few kept values to hold the mean and stddev: lower t */
    FIT_FLAT,      /* kept draws all equal (k == 1 or ties): no b can spread them */
};

typedef struct fit {
    double t;      /* kept: x >= t */
    double a, b;
    uint32_t k;
    enum fit_status status;
} fit;

/* Solves a, b for the values with x >= f->t (see the top of the file). */
static void fit_solve(const uint64_t *v, uint32_t n, double M, double S, fit *f)
{
    uint32_t k = 0;
    double sum = 0.0, min = INFINITY;
    for (uint32_t i = 0; i < n; i++) {
        double x = xget(v, i);
        if (x >= f->t) {
            k++;
            sum += x;
            if (x < min)
                min = x;
        }
    }
    f->k = k;
    f->a = M;
    f->b = 0.0;
    if (k == 0) {
        f->status = FIT_FEW;
        return;
    }
    double mx = sum / k;
    /* Second pass for the spread: sum of squares minus square of sums cancels badly for
     * lognormal draws in nanoseconds. */
    double m2 = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        double x = xget(v, i);
        if (x >= f->t)
            m2 += (x - mx) * (x - mx);
    }
    double q = (double)n / k;
    double var_y = q * (S * S - (q - 1.0) * M * M);
    if (var_y < 0.0) {
        f->status = FIT_FEW;
        return;
    }
    double sd_x = sqrt(m2 / k);
    if (!(sd_x > 0.0)) {
        f->status = FIT_FLAT;
        return;
    }
    f->b = sqrt(var_y) / sd_x;
    f->a = q * M - f->b * mx;
    f->status = (f->a + f->b * min >= -FIT_NEG_SLACK) ? FIT_OK : FIT_NEG;
#ifdef DELAY_TRACE
    fprintf(stderr, "TRACE k=%u status=%d\n", k, f->status);
#endif
}

/* Finds the smallest threshold (most values kept) whose fit is FIT_OK, starting from
 * t = xmin (all kept); on success *best holds it and the result is 0, otherwise -1 and *best
 * holds the last fit that had negatives (the caller clamps those and reports the moved fit). */
static int delay_fit_search(const uint64_t *v, uint32_t n, double M, double S, double xmin,
                            fit *best)
{
    fit f = {.t = xmin};
    fit_solve(v, n, M, S, &f);
    /* Clamp-and-refit: each pass clamps at least one more value, and in practice settles in
     * a few passes because the kept values' fit moves less each time. */
    for (int it = 0; it < FIT_FIXED_POINT_MAX && f.status == FIT_NEG; it++) {
        fit g = {.t = -f.a / f.b};
        fit_solve(v, n, M, S, &g);
        if (g.status != FIT_NEG && g.status != FIT_OK) {
            /* Overshot: bisect between f (negatives) and g (too few kept). */
            fit lo = f, hi = g;
            for (int j = 0; j < FIT_BISECT_MAX; j++) {
                double mid = lo.t + (hi.t - lo.t) / 2.0;
                if (!(mid > lo.t && mid < hi.t))
                    break;
                fit m = {.t = mid};
                fit_solve(v, n, M, S, &m);
                if (m.status == FIT_OK) {
                    *best = m;
                    return 0;
                }
                if (m.status == FIT_NEG)
                    lo = m;
                else
                    hi = m;
                if (lo.k == hi.k + 1u && lo.status == FIT_NEG)
                    break;      /* adjacent counts without an OK between (ties) */
            }
            *best = lo;
            return -1;
        }
        f = g;
    }
    *best = f;
    return f.status == FIT_OK ? 0 : -1;
}

/* Integer sum of v as (hi, lo) words: n * 24 h does not fit in 64 bits. */
static void series_stats(delay_series *s)
{
    uint64_t hi = 0, lo = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        uint64_t before = lo;
        lo += s->v[i];
        if (lo < before)
            hi++;
    }
    double mean = ((double)hi * 18446744073709551616.0 + (double)lo) / s->n;
    double m2 = 0.0;
    for (uint32_t i = 0; i < s->n; i++) {
        double d = (double)s->v[i] - mean;
        m2 += d * d;
    }
    s->fit_mean_ns = mean;
    s->fit_stddev_ns = sqrt(m2 / s->n);
}

/* Rounding each value on its own could leave the sum n/2 ns off; carrying each value's
 * rounding error into the next keeps the sum within 1 ns of the real sum (so the mean is
 * exact) while moving no value by more than 1 ns. */
static uint32_t round_series(uint64_t *v, uint32_t n, const fit *f)
{
    double carry = 0.0;
    uint32_t clamped = 0;
    for (uint32_t i = 0; i < n; i++) {
        double x = xget(v, i);
        double y = x >= f->t ? f->a + f->b * x : -1.0;
        if (y < 0.0) {
            clamped++;
            y = 0.0;
        }
        double z = y + carry;
        double r = floor(z + 0.5);
        if (r < 0.0)
            r = 0.0;
        carry = z - r;
        v[i] = (uint64_t)r;
    }
    return clamped;
}

/* Makes sum(v) == n * mean exactly by moving single values by 1 ns; the residue left by
 * floating-point sums is a few ns at most. Differences are taken modulo 2^64, where the true
 * difference (small) is exact even if n * mean itself exceeds 64 bits. */
static void fix_sum(uint64_t *v, uint32_t n, uint64_t mean)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum += v[i];
    uint64_t want = (uint64_t)n * mean;
    uint64_t up = want - sum, down = sum - want;
    if (up == 0)
        return;
    if (up <= n) {
        for (uint32_t i = 0; i < n && up > 0; i++) {
            if (v[i] > 0) {    /* leave clamped zeros alone */
                v[i]++;
                up--;
            }
        }
    } else if (down <= n) {
        for (uint32_t i = 0; i < n && down > 0; i++) {
            if (v[i] > 0) {
                v[i]--;
                down--;
            }
        }
    }
}

static bool off_target(double got, double want)
{
    double tol = fmax(want * 0.001, 1.0);
    return fabs(got - want) > tol;
}

int delay_series_build(delay_series *s, const delay_spec *spec, uint64_t seed, char *err,
                       size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (spec->n == 0 || spec->n > DELAY_MAX_N) {
        set_err(err, errlen, "delay series length %" PRIu32 " out of range 1..%" PRIu32,
                spec->n, DELAY_MAX_N);
        return -1;
    }
    if ((unsigned)spec->dist > (unsigned)RNG_EXPONENTIAL) {
        set_err(err, errlen, "unknown delay distribution %d", (int)spec->dist);
        return -1;
    }
    if (spec->mean_ns > DELAY_MAX_NS || spec->stddev_ns > DELAY_MAX_NS) {
        set_err(err, errlen, "delay mean or stddev above 24h");
        return -1;
    }
    uint32_t n = spec->n;
    uint64_t *v = malloc((size_t)n * sizeof *v);
    if (!v) {
        set_err(err, errlen, "out of memory for %" PRIu32 " delays", n);
        return -1;
    }
    s->v = v;
    s->n = n;

    uint64_t mean = spec->mean_ns;
    uint64_t stddev = spec->dist == RNG_CONSTANT ? 0 : spec->stddev_ns;
    double M = (double)mean, S = (double)stddev;

    if (stddev == 0) {
        for (uint32_t i = 0; i < n; i++)
            v[i] = mean;
        goto done;
    }

    rng r;
    rng_seed(&r, seed);
    uint32_t argmax = 0;
    double xmin = INFINITY, xmax = -INFINITY;
    for (uint32_t i = 0; i < n; i++) {
        double x = rng_draw(&r, spec->dist, M, S);
        xset(v, i, x);
        if (x > xmax) {
            xmax = x;
            argmax = i;
        }
        if (x < xmin)
            xmin = x;
    }

    /* Out of reach for non-negative values (n == 1 and mean 0 included): the one series
     * with the largest stddev for this mean. */
    if (S * S >= (double)(n - 1) * M * M) {
        for (uint32_t i = 0; i < n; i++)
            v[i] = 0;
        v[argmax] = (uint64_t)n * mean;
        s->clamped = n - 1;
        goto done;
    }

    fit f;
    if (delay_fit_search(v, n, M, S, xmin, &f) < 0 && f.status == FIT_FLAT) {
        /* All draws equal: nothing to spread (cannot happen with continuous draws and
         * n >= 2, but a fit must not divide by zero). */
        for (uint32_t i = 0; i < n; i++)
            v[i] = mean;
        goto done;
    }
    s->clamped = round_series(v, n, &f);
    fix_sum(v, n, mean);

done:
    series_stats(s);
    s->clamped_moved_fit = off_target(s->fit_mean_ns, M) || off_target(s->fit_stddev_ns, S);
    return 0;
}

void delay_series_free(delay_series *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

uint32_t delay_cursor_start(const delay_series *s, uint32_t worker, uint32_t workers)
{
    if (workers == 0 || worker >= workers)
        return 0;
    return (uint32_t)((uint64_t)worker * s->n / workers);
}

uint64_t delay_series_next(const delay_series *s, uint32_t *cursor)
{
    if (s->n == 0)
        return 0;
    uint32_t c = *cursor;
    if (c >= s->n)
        c %= s->n;
    uint64_t d = s->v[c];
    *cursor = c + 1 == s->n ? 0 : c + 1;
    return d;
}
