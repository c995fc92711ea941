/* delay.c - generating and fitting msdemo's delay series.
 *
 * The fit. Draws x_i from the distribution are mapped by an increasing affine map
 * y = ym + b (x - mx) chosen so that the y have exactly the target mean M and population
 * stddev S (mx is the mean of the draws, ym = M, b = S / sd(x)). When that makes the
 * smallest values negative, they become 0 and ym, b are solved again over the others
 * ("kept" values, those with x >= t for a threshold t; mx is then their mean) so that the
 * whole series, zeros included, still has mean M and stddev S. With k kept values, q = n / k:
 *     mean of kept y      ym = q M
 *     variance of kept y  q (S^2 - (q - 1) M^2)     (from sum y = nM, sum y^2 = n (S^2 + M^2))
 * and b = sd(kept y) / sd(kept x). Keeping fewer values raises q, which raises the mean of
 * the kept ones faster than their spread: it is how a series of non-negative values reaches
 * a large stddev/mean ratio. The variance turns negative when k < n / (1 + S^2/M^2): too few
 * kept values cannot hold that much mean. k0 = ceil(n / (1 + S^2/M^2)) always works when
 * k0 >= 2 (for any k values not all equal, (mean - min) / sd >= 1 / sqrt(k - 1), which is just
 * enough), so a fit with every value >= 0 exists exactly when S^2 < (n - 1) M^2; at
 * S^2 >= (n - 1) M^2 the best a non-negative series can do is one value n M and n - 1 zeros
 * (stddev M sqrt(n - 1)), which is what the build falls back to, keeping the mean exact.
 * Every fitted value is at most M + S sqrt(n - 1) < 2^63 for the limits in delay.h.
 *
 * The threshold t is found by clamp-and-refit passes, see fit_search.
 *
 * Memory: the draws are stored as doubles in the very array that then holds the integer
 * delays (both are 8 bytes; memcpy moves the bits, so there is no aliasing question), which
 * halves the peak for a 10-million-value series on a 1 GiB Pi.
 */
#include "delay.h"
#include "err.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bound on clamp-and-refit passes (each is two reads of the series). */
#define FIT_MAX_PASSES 100
/* A kept value this far below 0 still counts as >= 0; rounding to integer ns lands it on 0. */
#define FIT_NEG_SLACK 0.25

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
    FIT_OK,   /* every kept value maps to >= 0 */
    FIT_NEG,  /* some kept values map below 0: raise t */
    FIT_FEW,  /* too few kept values to hold the mean and stddev: lower t */
    FIT_FLAT, /* kept draws all equal (k == 1 or ties): no b can spread them */
};

typedef struct fit {
    double t;     /* kept: x >= t */
    double mx;    /* mean of the kept x */
    double ym, b; /* kept y = ym + b (x - mx) */
    uint32_t k;
    enum fit_status status;
} fit;

static double fit_y(const fit *f, double x)
{
    /* Centred on mx rather than a + b x: near the mean, x - mx is exact, so the y keep
     * their sum n M to far below 1 ns even at 24 h x 10^7 values. */
    return f->ym + f->b * (x - f->mx);
}

/* Neumaier's compensated sum: 10^7 terms summed naively lose ~10 bits, which at hour-long
 * delays is more than a nanosecond of mean or stddev. */
typedef struct ksum {
    double s, c;
} ksum;

static void ksum_add(ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}

/* Solves mx, ym, b for the values with x >= f->t (see the top of the file). */
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
    f->mx = 0.0;
    f->ym = M;
    f->b = 0.0;
    if (k == 0) {
        f->status = FIT_FEW;
        return;
    }
    /* Second pass around the rough mean m0: refines the mean and gives the spread without
     * the cancellation of sum(x^2) - sum(x)^2/k (lognormal draws in ns are large). */
    double m0 = sum / k;
    ksum d = {0.0, 0.0}, d2 = {0.0, 0.0};
    for (uint32_t i = 0; i < n; i++) {
        double x = xget(v, i);
        if (x >= f->t) {
            ksum_add(&d, x - m0);
            ksum_add(&d2, (x - m0) * (x - m0));
        }
    }
    double dsum = d.s + d.c;
    double m2 = (d2.s + d2.c) - dsum * dsum / k;
    f->mx = m0 + dsum / k;
    double q = (double)n / k;
    double var_y = q * (S * S - (q - 1.0) * M * M);
    if (var_y < 0.0) {
        f->status = FIT_FEW;
        return;
    }
    double sd_x = m2 > 0.0 ? sqrt(m2 / k) : 0.0;
    if (!(sd_x > 0.0)) {
        f->status = FIT_FLAT;
        return;
    }
    f->ym = q * M;
    f->b = sqrt(var_y) / sd_x;
    f->status = fit_y(f, min) >= -FIT_NEG_SLACK ? FIT_OK : FIT_NEG;
}

/* Clamp-and-refit, starting from t = xmin (all kept): each pass clamps what the last fit
 * made negative and solves again. t only grows and every pass clamps at least one more value;
 * in practice it settles within a few to twenty passes. It never overshoots into too few
 * kept values: a pass that keeps the k' values a fit mapped to >= 0 had, over them, a sum
 * >= nM (only negatives were dropped) and a sum of squares <= n(S^2 + M^2), so by
 * Cauchy-Schwarz n^2 M^2 <= k' n (S^2 + M^2), i.e. k' >= n / (1 + S^2/M^2), where the
 * variance above is still >= 0. The result is the fit with the most values kept and all of
 * them >= 0; past FIT_MAX_PASSES (not seen in practice) the caller clamps what is left and
 * reports the moved fit. */
static void fit_search(const uint64_t *v, uint32_t n, double M, double S, double xmin, fit *out)
{
    fit f = {.t = xmin};
    fit_solve(v, n, M, S, &f);
    for (int pass = 0; pass < FIT_MAX_PASSES && f.status == FIT_NEG; pass++) {
        fit g = {.t = f.mx - f.ym / f.b}; /* where fit_y(&f, x) == 0 */
        fit_solve(v, n, M, S, &g);
        if (g.status != FIT_OK && g.status != FIT_NEG)
            break; /* only with tied draws */
        f = g;
    }
    *out = f;
}

/* Mean and population stddev of the final integers, as exactly as a double can hold them:
 * the sum is kept in two 64-bit words (n x 24 h exceeds 64 bits) and divided by n in 32-bit
 * limbs (n < 2^24, so no 128-bit type is needed), deviations are taken from the integer part
 * of the mean first, and their squares are summed with compensation. */
static void series_stats(delay_series *s)
{
    uint64_t hi = 0, lo = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        lo += s->v[i];
        hi += lo < s->v[i];
    }
    uint32_t limb[4] = {(uint32_t)(hi >> 32), (uint32_t)hi, (uint32_t)(lo >> 32), (uint32_t)lo};
    uint64_t rem = 0, quot = 0;
    for (int j = 0; j < 4; j++) {
        uint64_t cur = (rem << 32) | limb[j];
        quot = (quot << 32) | (cur / s->n); /* the top limbs' quotients are 0: mean < 2^64 */
        rem = cur % s->n;
    }
    double frac = (double)rem / s->n;
    ksum m2 = {0.0, 0.0};
    for (uint32_t i = 0; i < s->n; i++) {
        uint64_t x = s->v[i];
        double d = (x >= quot ? (double)(x - quot) : -(double)(quot - x)) - frac;
        ksum_add(&m2, d * d);
    }
    s->fit_mean_ns = (double)quot + frac;
    s->fit_stddev_ns = sqrt((m2.s + m2.c) / s->n);
}

/* Writes the fitted values as integer ns over the draws; returns how many were clamped to 0.
 * Rounding each value on its own could leave the sum n/2 ns off; carrying each value's
 * rounding error into the next keeps the sum within 1 ns of the real sum (so the mean is
 * exact up to floating-point residue, which fix_sum removes) while moving no value by more
 * than 1 ns, so the stddev moves by at most 1 ns. */
static uint32_t round_series(uint64_t *v, uint32_t n, const fit *f)
{
    double carry = 0.0;
    uint32_t clamped = 0;
    for (uint32_t i = 0; i < n; i++) {
        double x = xget(v, i);
        double y = 0.0;
        if (x < f->t)
            clamped++;
        else if ((y = fit_y(f, x)) < 0.0) {
            clamped += y < -FIT_NEG_SLACK; /* left over by a capped search */
            y = 0.0;
        }
        double r = floor(y + carry + 0.5);
        if (r < 0.0)
            r = 0.0;
        /* y - r is exact (r is within 1 of y), so the carry keeps every fraction even when
         * y is so large that y + carry would round it away. */
        carry = (y - r) + carry;
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
            if (v[i] > 0) { /* leave clamped zeros alone */
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

int delay_series_build(delay_series *s, const delay_spec *spec, uint64_t seed, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (spec->n == 0 || spec->n > DELAY_MAX_N) {
        err_set(err, errlen, "delay series length %" PRIu32 " out of range 1..%" PRIu32, spec->n, DELAY_MAX_N);
        return -1;
    }
    if ((unsigned)spec->dist > (unsigned)RNG_EXPONENTIAL) {
        err_set(err, errlen, "unknown delay distribution %d", (int)spec->dist);
        return -1;
    }
    if (spec->mean_ns > DELAY_MAX_NS || spec->stddev_ns > DELAY_MAX_NS) {
        err_set(err, errlen, "delay mean or stddev above 24h");
        return -1;
    }
    uint32_t n = spec->n;
    uint64_t *v = malloc((size_t)n * sizeof *v);
    if (!v) {
        err_set(err, errlen, "out of memory for %" PRIu32 " delays", n);
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
    fit_search(v, n, M, S, xmin, &f);
    if (f.status == FIT_FLAT) {
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

void delay_series_fini(delay_series *s)
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
